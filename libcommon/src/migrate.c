/* migrate.c: ordered, idempotent, advisory-locked schema migrations from .sql files. */
#include "common/migrate.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Any constant works; it only has to be the same for every instance. */
#define MIGRATE_LOCK_KEY "727001"
#define MIGRATE_MAX_FILES 512
#define MIGRATE_MAX_BYTES (4 * 1024 * 1024)

static const struct pa_stmt st_lock   = { "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0 };
static const struct pa_stmt st_unlock = { "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", 0 };
static const struct pa_stmt st_create = { "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                                  " version integer PRIMARY KEY,"
	                                  " name text NOT NULL,"
	                                  " applied_at timestamptz NOT NULL DEFAULT now())",
	0 };
static const struct pa_stmt st_applied
    = { "SELECT 1 FROM schema_migrations WHERE version = $1", 1 };
static const struct pa_stmt st_record
    = { "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2 };
static const struct pa_stmt st_current
    = { "SELECT coalesce(max(version), 0) FROM schema_migrations", 0 };

/* "0001_init.sql" -> 1; -1 for names that are not migrations. */
static int
migration_version(const char *name)
{
	size_t len = strlen(name);

	if (len < 10 || strspn(name, "0123456789") != 4 || name[4] != '_'
	    || strcmp(name + len - 4, ".sql") != 0)
		return -1;
	for (const char *p = name + 5; p < name + len - 4; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return -1;
	return atoi(name);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static char *
read_file(const char *path)
{
	FILE  *f = fopen(path, "rb");
	char  *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	if ((buf = malloc(MIGRATE_MAX_BYTES + 1)) == NULL) {
		(void) fclose(f);
		return NULL;
	}
	n = fread(buf, 1, MIGRATE_MAX_BYTES + 1, f);
	if (ferror(f) || n > MIGRATE_MAX_BYTES) {
		(void) fclose(f);
		free(buf);
		return NULL;
	}
	(void) fclose(f);
	buf[n] = '\0';
	return buf;
}

static pa_err
migrate_one(struct pa_db *db, const char *dir, const char *name, int version, bool *applied,
    char *err, size_t errsz)
{
	char        path[1024], vtext[16];
	const char *params[2] = { vtext, name };
	PGresult   *res;
	char       *sql;
	pa_err      rv;

	*applied = false;
	(void) snprintf(vtext, sizeof vtext, "%d", version);
	if ((rv = pa_db_exec(db, &st_applied, params, &res)) != PA_OK)
		return rv;
	if (PQntuples(res) > 0) {
		PQclear(res);
		return PA_OK;
	}
	PQclear(res);
	(void) snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((sql = read_file(path)) == NULL) {
		(void) snprintf(err, errsz, "cannot read %s", path);
		return PA_EIO;
	}
	if ((rv = pa_db_begin(db)) != PA_OK)
		goto out_free_sql;
	if ((rv = pa_db_exec_simple(db, sql)) != PA_OK
	    || (rv = pa_db_exec(db, &st_record, params, NULL)) != PA_OK
	    || (rv = pa_db_commit(db)) != PA_OK) {
		(void) snprintf(err, errsz, "%s: %s", name, pa_db_errmsg(db));
		pa_db_rollback(db);
		goto out_free_sql;
	}
	*applied = true;
out_free_sql:
	free(sql);
	return rv;
}

pa_err
pa_migrate(
    struct pa_migrate_result *out, struct pa_db *db, const char *dir, char *err, size_t errsz)
{
	char                    *names[MIGRATE_MAX_FILES];
	size_t                   n = 0;
	struct pa_migrate_result r = { 0 };
	struct dirent           *de;
	PGresult                *res;
	DIR                     *d;
	pa_err                   rv;

	err[0] = '\0';
	if ((d = opendir(dir)) == NULL) {
		(void) snprintf(err, errsz, "cannot open migrations directory %s", dir);
		return PA_EIO;
	}
	while ((de = readdir(d)) != NULL && n < MIGRATE_MAX_FILES) {
		if (migration_version(de->d_name) < 0)
			continue;
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rv = PA_ENOMEM;
			(void) closedir(d);
			goto out_free_names;
		}
		n++;
	}
	(void) closedir(d);
	qsort(names, n, sizeof names[0], cmp_names);

	if ((rv = pa_db_exec(db, &st_lock, NULL, NULL)) != PA_OK) {
		(void) snprintf(err, errsz, "cannot lock: %s", pa_db_errmsg(db));
		goto out_free_names;
	}
	if ((rv = pa_db_exec(db, &st_create, NULL, NULL)) != PA_OK) {
		(void) snprintf(
		    err, errsz, "cannot create schema_migrations: %s", pa_db_errmsg(db));
		goto out_unlock;
	}
	for (size_t i = 0; i < n; i++) {
		bool applied;

		if (i > 0 && migration_version(names[i]) == migration_version(names[i - 1])) {
			(void) snprintf(err, errsz, "two migrations share version %.4s", names[i]);
			rv = PA_EINVAL;
			goto out_unlock;
		}
		rv = migrate_one(
		    db, dir, names[i], migration_version(names[i]), &applied, err, errsz);
		if (rv != PA_OK)
			goto out_unlock;
		r.applied += applied;
	}
	if ((rv = pa_db_exec(db, &st_current, NULL, &res)) != PA_OK)
		goto out_unlock;
	r.current = (unsigned) atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	*out = r;
out_unlock:
	/* Should the unlock fail, the lock goes with the session when the caller disconnects. */
	if (pa_db_exec(db, &st_unlock, NULL, NULL) != PA_OK && rv == PA_OK)
		rv = PA_EDB;
out_free_names:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return rv;
}
