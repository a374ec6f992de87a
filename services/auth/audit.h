/* audit.h: the auth service's audit rows. Every row goes through here, in the transaction of the
 * change it records, into the append-only audit_events table by way of the database's
 * audit_append() (migration 0008), its one writer, which the SMS worker's store calls too. Phones
 * are masked before they are stored. */
#ifndef PHONEAUTH_AUTH_AUDIT_H
#define PHONEAUTH_AUTH_AUDIT_H

#include "common/db.h"
#include "common/phone.h"

struct auth_audit {
	const char *event; /* "code_sent", "login_failed", ... */
	const char *user_id; /* uuid text or NULL */
	const char *phone_e164; /* masked before it is stored */
	const char *verification_id; /* uuid text or NULL */
	const char *message_sid;
	const char *outcome;
	const char *detail_json;
	const char *actor; /* NULL: "site" */
	const char *ip; /* the end user's IP (auth_caller_ip) or NULL */
};

/* Storage for one row's parameters while its batch runs. */
struct auth_audit_row {
	const char *params[9];
	char        masked[PA_PHONE_MASK_MAX];
};

/* The row as a step of a batch (pa_db_exec_batch); row must outlive the batch. */
struct pa_db_step auth_audit_step(struct auth_audit_row *row, const struct auth_audit *a);

/* Appends the row now, in db's open transaction if there is one. */
pa_err auth_audit_write(struct pa_db *db, const struct auth_audit *a) PA_MUSTCHECK;

#endif
