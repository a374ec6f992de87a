/* migrate.h: applies migrations/NNNN_name.sql in order, each once and in its own transaction,
 * under an advisory lock so that many instances starting at once apply each file once. */
#ifndef PHONEAUTH_COMMON_MIGRATE_H
#define PHONEAUTH_COMMON_MIGRATE_H

#include <stddef.h>

#include "common/db.h"

struct pa_migrate_result {
	unsigned applied; /* files applied by this run */
	unsigned current; /* highest version now recorded */
};

/* Applies what dir holds and schema_migrations lacks. On failure err names the file and the
 * database's message; nothing of the failing file stays applied. */
pa_err pa_migrate(struct pa_migrate_result *out, struct pa_db *db, const char *dir, char *err,
    size_t errsz) PA_MUSTCHECK;

#endif
