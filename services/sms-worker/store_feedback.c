/* store_feedback.c: Twilio's conversion signal (sms_feedback, migration 0014): claims of owed
 * Outcome=confirmed POSTs with a lease, like outbox rows, and their answers with audit rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_feedback.h"
#include "store_int.h"

/* Feedback rows (migration 0014) due now whose message is known: its SID is the verification's
 * (auth copies it on verify, this worker's st_sent when the SID came later), else that of the
 * verification's newest outbox row once that row is done sending. A row whose message ends without
 * a SID (the console backend, a failed send) is 'skipped' by the same statement. */
static const struct pa_stmt st_feedback_claim
    = { "WITH c AS (SELECT f2.id, f2.state AS was, coalesce(v.message_sid, lo.twilio_sid) AS sid"
	" FROM sms_feedback f2 JOIN verifications v ON v.id = f2.verification_id"
	" LEFT JOIN LATERAL (SELECT o.twilio_sid, o.state FROM sms_outbox o"
	"  WHERE o.verification_id = f2.verification_id ORDER BY o.id DESC LIMIT 1) lo ON true"
	" WHERE (f2.state = 'queued' AND f2.next_attempt_at <= now()"
	"   OR f2.state = 'sending' AND f2.lease_until < now())"
	"  AND (v.message_sid IS NOT NULL OR lo.state IS NULL"
	"   OR lo.state NOT IN ('queued', 'sending'))"
	" ORDER BY f2.id LIMIT $1::int FOR UPDATE OF f2 SKIP LOCKED)"
	" UPDATE sms_feedback f SET"
	"  state = CASE WHEN c.sid IS NULL THEN 'skipped' ELSE 'sending' END,"
	"  message_sid = c.sid,"
	"  lease_owner = CASE WHEN c.sid IS NULL THEN NULL ELSE $2 END,"
	"  lease_until = CASE WHEN c.sid IS NULL THEN NULL"
	"   ELSE now() + make_interval(secs => $3::int) END,"
	"  attempts = f.attempts + CASE WHEN c.sid IS NULL THEN 0 ELSE 1 END,"
	"  final_at = CASE WHEN c.sid IS NULL THEN now() END"
	" FROM c WHERE f.id = c.id"
	" RETURNING f.id, f.verification_id::text, coalesce(f.message_sid, ''), f.attempts,"
	"  c.was",
	      3 };
/* The feedback claim's columns, in RETURNING order. */
enum { F_ID, F_VERIFICATION, F_SID, F_ATTEMPTS, F_WAS };
#define FB_MINE " WHERE id = $1::bigint AND lease_owner = $2 AND state = 'sending'"
/* An answer to a Feedback POST, with its audit row: done, failed, or back to the queue. */
static const struct pa_stmt st_feedback_finish
    = { "WITH f AS (UPDATE sms_feedback SET state = $3,"
	"  next_attempt_at = now() + make_interval(secs => $4::double precision),"
	"  http_status = $5::int, lease_owner = NULL, lease_until = NULL,"
	"  final_at = CASE WHEN $3 = 'queued' THEN NULL ELSE now() END" FB_MINE
	" RETURNING verification_id, message_sid),"
	" a AS (SELECT audit_append('sms_feedback', 'sms-worker', NULL, NULL, f.verification_id,"
	"  f.message_sid, NULL, CASE $3 WHEN 'done' THEN 'confirmed' WHEN 'queued' THEN 'retry'"
	"   ELSE 'failed' END, $6::jsonb) AS audit_id FROM f)"
	" SELECT count(*), (SELECT count(audit_id) FROM a) FROM f",
	      6 };

pa_err
smsw_store_feedback_claim(struct pa_db *db, const struct smsw_lessee *l, int max,
    struct smsw_feedback *out, int *n, int *skipped)
{
	char        lease[16], lim[16];
	const char *params[3] = { lim, l->owner, lease };
	PGresult   *res;
	pa_err      rv;

	*n = *skipped = 0;
	if (max <= 0)
		return PA_OK;
	(void) snprintf(lease, sizeof lease, "%d", l->lease_s);
	(void) snprintf(lim, sizeof lim, "%d", max);
	if ((rv = pa_db_exec(db, &st_feedback_claim, params, &res)) != PA_OK)
		return rv;
	for (int i = 0; i < PQntuples(res) && *n < max; i++) {
		struct smsw_feedback *f = &out[*n];

		if (PQgetvalue(res, i, F_SID)[0] == '\0') {
			(*skipped)++;
			continue;
		}
		*f = (struct smsw_feedback) { .id = strtoll(PQgetvalue(res, i, F_ID), NULL, 10) };
		(void) snprintf(f->verification_id, sizeof f->verification_id, "%s",
		    PQgetvalue(res, i, F_VERIFICATION));
		(void) snprintf(
		    f->message_sid, sizeof f->message_sid, "%s", PQgetvalue(res, i, F_SID));
		f->attempts  = atoi(PQgetvalue(res, i, F_ATTEMPTS));
		f->reclaimed = strcmp(PQgetvalue(res, i, F_WAS), "sending") == 0;
		(*n)++;
	}
	PQclear(res);
	return PA_OK;
}

pa_err
smsw_store_feedback_finish(struct pa_db *db, const char *owner, const struct smsw_feedback *f,
    const struct smsw_result *r, long http_status, bool *lost)
{
	char        idtxt[24], delay[32], http[16];
	char       *detail    = NULL;
	const char *params[6] = { idtxt, owner, NULL, delay, http, NULL };
	PGresult   *res;
	pa_err      rv;

	*lost = false;
	switch (r->outcome) {
	case SMSW_SENT:
		params[2] = "done";
		break;
	case SMSW_FAILED:
		params[2] = "failed";
		break;
	case SMSW_RETRY:
		params[2] = "queued";
		break;
	default:
		return PA_EINVAL;
	}
	(void) snprintf(idtxt, sizeof idtxt, "%lld", (long long) f->id);
	(void) snprintf(delay, sizeof delay, "%.3f",
	    r->outcome == SMSW_RETRY ? r->retry_after_ms / 1000.0 : 0.0);
	(void) snprintf(http, sizeof http, "%ld", http_status);
	if ((detail = smsw_store_detail_json("attempt", f->attempts, "http_status",
	         (int) http_status, "error_code", r->error_code))
	    == NULL)
		return PA_ENOMEM;
	params[5] = detail;
	rv        = pa_db_exec(db, &st_feedback_finish, params, &res);
	free(detail);
	if (rv != PA_OK)
		return rv;
	*lost = strcmp(PQgetvalue(res, 0, 0), "0") == 0;
	PQclear(res);
	return PA_OK;
}
