/* store.h: the SMS worker's SQL, and nothing else: typed rows in and out, no logging, no metrics,
 * no decisions. It owns the worker's tables: sms_outbox from the claim on (claims with a lease,
 * outcomes, held fallbacks, releases; store_status.h: statuses and reconciliation marks),
 * sms_feedback (store_feedback.h), message_status_events (store_status.h), sms_opt_outs and
 * sms_workers (heartbeats). Every audit row it writes goes through the database's
 * audit_append() (migration 0008), in the same statement as the change it records.
 *
 * It makes one write to a table auth owns (services/auth/store_accounts.h):
 * smsw_store_user_opted_out sets users.opted_out_at when Twilio answers 21610 (the person
 * replied STOP), in the transaction that fails the row.
 *
 * Every function runs on the caller's connection (one per thread): the send loop's, or a
 * status callback thread's. */
#ifndef PHONEAUTH_SMSW_STORE_H
#define PHONEAUTH_SMSW_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/db.h"
#include "message.h"

/* Who claims: the lease owner (host:pid:random) and how long a lease lasts. */
struct smsw_lessee {
	const char *owner;
	int         lease_s;
};

/* Claims the rows among ids that are due (queued, or leased by a worker whose lease ran out);
 * with ids == NULL claims up to max due rows of any id (the sweep). One statement: a due row
 * whose code expires within a second ends 'expired', one a resend or restart replaced ends
 * 'cancelled', the others are leased to l->owner. Every row comes back, up to max, in out[0..*n)
 * with its state: the caller audits the ended ones (smsw_store_audit_unsent), sends the leased
 * ones, and fails those whose sealed body is NULL (it did not decode) or does not open. The
 * caller smsw_job_clear()s each. */
pa_err smsw_store_claim(struct pa_db *db, const struct smsw_lessee *l, const int64_t *ids, int nids,
    int max, struct smsw_job *out, int *n) PA_MUSTCHECK;

/* The audit row of a claimed row that ended unsent (j->state EXPIRED or CANCELLED). */
pa_err smsw_store_audit_unsent(struct pa_db *db, const struct smsw_job *j) PA_MUSTCHECK;

/* Records r (SENT, FAILED or RETRY) for j, only while j's lease is still owner's, with its audit
 * row in the same statement. A SENT row learns any status callback that arrived before its SID
 * was stored; a verified verification learns its message SID. FAILED with 21610 also records
 * the opt-out (sms_opt_outs, and smsw_store_user_opted_out in the same transaction). FAILED (or
 * a SENT that learned a final status) moves j's held fallback in the same statement: queued
 * when j failed, cancelled when it was delivered, with an audit row (sms_fallback or
 * sms_cancelled); *fb says which (id 0: none). A FAILED r->reason goes into the audit detail.
 * *lost is set when the lease was no longer owner's (another worker took the row): nothing
 * was written. */
pa_err smsw_store_finish(struct pa_db *db, const char *owner, const struct smsw_job *j,
    const struct smsw_result *r, bool *lost, struct smsw_fallback *fb) PA_MUSTCHECK;

/* Ends up to max held fallbacks (migration 0015) that will never be sent: 'expired' past their
 * not_after, 'cancelled' when their code no longer works (why: "replaced" or the verification's
 * state). Held rows are never claimed; a primary's final status moves the others (HELD_MOVE).
 * out[0..*n) come back like the claim's ended rows: the caller audits each
 * (smsw_store_audit_unsent). */
pa_err smsw_store_held_end(struct pa_db *db, int max, struct smsw_job *out, int *n) PA_MUSTCHECK;

/* Sets users.opted_out_at for the user whose phone is phone, if not already set: the worker's
 * only write to a table auth owns (services/auth/store_accounts.h). smsw_store_finish calls it
 * inside the transaction that fails a row with 21610; it is exported so the ownership is
 * visible here, not to be called on its own. */
pa_err smsw_store_user_opted_out(struct pa_db *db, const char *phone) PA_MUSTCHECK;

/* Records worker id as alive (host, pid, start, last seen). */
pa_err smsw_store_heartbeat(
    struct pa_db *db, const char *id, const char *host, int pid) PA_MUSTCHECK;

#endif
