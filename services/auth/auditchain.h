/* auditchain.h: makes the audit trail tamper-evident: a background thread signs each new range of
 * audit rows into a hash chain (the audit_checkpoints table, whose SQL is store_auditchain's),
 * and verify recomputes the chain and names the first row or checkpoint that no longer matches. */
#ifndef PHONEAUTH_AUTH_AUDITCHAIN_H
#define PHONEAUTH_AUTH_AUDITCHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>

#include "common/db.h"
#include "common/strbuf.h"

struct auth_app;
struct auth_auditchain;
/* Starts the thread that signs new audit rows every PHONEAUTH_AUDIT_EVERY (app->audit_sk). */
pa_err auth_auditchain_start(struct auth_auditchain **out, struct auth_app *app) PA_MUSTCHECK;
/* Signs what is left, then stops the thread. NULL is a no-op. */
void auth_auditchain_stop(struct auth_auditchain *c);
void auth_auditchain_write_metrics(struct pa_strbuf *out, struct auth_auditchain *c);

/* What verifying the chain found. ok: every checkpoint chains, is signed by public_key and
 * matches the rows it covers; otherwise problem names the first mismatch (bad_row and/or
 * bad_checkpoint set). */
struct auth_audit_report {
	bool          ok;
	int64_t       checkpoints, rows, rows_unsigned, last_row, bad_row, bad_checkpoint;
	unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
	unsigned char last_hash[32];
	char          problem[160];
};
/* Walks the whole chain in one snapshot; known_hash (32 bytes, or NULL) must be one of its links.
 * PA_OK whether or not it matched (see rep->ok); an error
 * only when the database could not be read. */
pa_err auth_auditchain_verify(struct pa_db *db, const unsigned char pk[32],
    const unsigned char *known_hash, struct auth_audit_report *rep) PA_MUSTCHECK;

#endif
