/* outbox.c: the worker side of the outbox. Rows are claimed with a lease in one statement (FOR
 * UPDATE SKIP LOCKED), so many workers on many machines never take the same row; a lease that
 * runs out (a dead worker) makes the row claimable again. Every outcome is recorded only while
 * the lease is still ours, together with its audit row, in one round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "common/log.h"
#include "common/phone.h"
#include "worker.h"

/* Rows whose code has less than this left are expired rather than sent: Twilio's smallest
 * ValidityPeriod is 1 s, and a code that arrives dead is worse than none. */
#define EXPIRE_MARGIN "interval '1 second'"

/* A claimed row ends without a lease, never sent: superseded (c.why set) or about to expire. */
#define ENDS "(c.why IS NOT NULL OR o.not_after <= now() + " EXPIRE_MARGIN ")"

#define CLAIM_SET                                                                              \
	" UPDATE sms_outbox o SET"                                                             \
	"  state = CASE WHEN c.why IS NOT NULL THEN 'cancelled'"                               \
	"   WHEN o.not_after <= now() + " EXPIRE_MARGIN " THEN 'expired' ELSE 'sending' END,"  \
	"  lease_owner = CASE WHEN " ENDS " THEN NULL ELSE $2 END,"                            \
	"  lease_until = CASE WHEN " ENDS " THEN NULL"                                         \
	"   ELSE now() + make_interval(secs => $3::int) END,"                                  \
	"  attempts = o.attempts + CASE WHEN " ENDS " THEN 0 ELSE 1 END"                       \
	" FROM c WHERE o.id = c.id"                                                            \
	" RETURNING o.id, o.state, c.was, o.verification_id::text, o.phone_e164,"              \
	"  encode(o.body_sealed, 'hex'), ceil(extract(epoch FROM o.not_after - now()))::int, " \
	"o.attempts, coalesce(c.why, '')"

#define DUE                                                     \
	" (o2.state = 'queued' AND o2.next_attempt_at <= now()" \
	"  OR o2.state = 'sending' AND o2.lease_until < now())"

/* Issue 13, finding 6: the code of a due row may no longer work. A resend wrote a newer row for
 * the same verification (why = 'replaced'), or the verification left 'pending' (a restart
 * expired it, it was verified or its tries ran out: why = its state). Such a row is cancelled by
 * the claim itself, so it is never leased or sent, however many Twilio retries it waited for. */
#define CLAIM_FROM                                                                             \
	"WITH c AS (SELECT o2.id, o2.state AS was,"                                            \
	"  CASE WHEN EXISTS (SELECT 1 FROM sms_outbox o3"                                      \
	"    WHERE o3.verification_id = o2.verification_id AND o3.id > o2.id) THEN 'replaced'" \
	"   ELSE (SELECT nullif(v.state, 'pending') FROM verifications v"                      \
	"    WHERE v.id = o2.verification_id) END AS why"                                      \
	" FROM sms_outbox o2 WHERE"

static const struct pa_stmt st_claim_ids
    = { CLAIM_FROM " o2.id = ANY($1::bigint[]) AND" DUE " ORDER BY o2.id LIMIT $4::int"
	           " FOR UPDATE SKIP LOCKED)" CLAIM_SET,
	      4 };
static const struct pa_stmt st_claim_due
    = { CLAIM_FROM DUE " ORDER BY o2.id LIMIT $1::int FOR UPDATE SKIP LOCKED)" CLAIM_SET, 3 };

#define MINE " WHERE id = $1::bigint AND lease_owner = $2 AND state = 'sending'"
#define AUDIT(event, outcome)                                                           \
	" a AS (INSERT INTO audit_events (event, actor, phone_masked, verification_id," \
	"  message_sid, outcome, detail)"                                               \
	"  SELECT " event ", 'sms-worker', $6, o.verification_id, $3, " outcome         \
	", $7::jsonb FROM o"                                                            \
	"  RETURNING 1)"

/* A SID stored late may already have callbacks waiting (outbox_id NULL): the best of them is
 * applied here and they are linked to the row. */
static const struct pa_stmt st_sent
    = { "WITH ev AS (SELECT status, error_code FROM message_status_events"
	"  WHERE twilio_sid = $3 AND outbox_id IS NULL"
	"   AND twilio_status_rank(status) > twilio_status_rank($4)"
	"  ORDER BY twilio_status_rank(status) DESC, id DESC LIMIT 1),"
	" o AS (UPDATE sms_outbox SET"
	"  state = coalesce((SELECT twilio_status_final_state(status) FROM ev), 'sent'),"
	"  twilio_sid = $3, twilio_status = coalesce((SELECT status FROM ev), $4),"
	"  error_code = (SELECT error_code FROM ev), error_message = $5, sent_at = now(),"
	"  status_updated_at = now(), lease_owner = NULL, lease_until = NULL, body_sealed = "
	"NULL" MINE " RETURNING id, verification_id),"
	" l AS (UPDATE message_status_events e SET outbox_id = o.id FROM o"
	"  WHERE e.twilio_sid = $3 AND e.outbox_id IS NULL RETURNING 1),"
	" v AS (UPDATE verifications v SET message_sid = $3 FROM o WHERE v.id = o.verification_id"
	"  AND v.state = 'verified' AND v.message_sid IS NULL AND $3 IS NOT NULL RETURNING "
	"1)," AUDIT("'sms_sent'", "$4") " SELECT count(*) FROM o",
	      7 };
/* Permanent: the error is kept; 21610 (the person replied STOP) opts the phone out. */
static const struct pa_stmt st_failed
    = { "WITH o AS (UPDATE sms_outbox SET state = 'failed', error_code = nullif($4::int, 0),"
	"  error_message = $5" MINE " RETURNING id, verification_id, phone_e164),"
	" x AS (INSERT INTO sms_opt_outs (phone_e164, error_code)"
	"  SELECT phone_e164, $4::int FROM o WHERE $4::int = 21610 ON CONFLICT DO NOTHING "
	"RETURNING 1),"
	" u AS (UPDATE users SET opted_out_at = now() FROM o WHERE $4::int = 21610"
	"  AND users.phone_e164 = o.phone_e164 AND users.opted_out_at IS NULL RETURNING 1)," AUDIT(
	    "'sms_failed'", "'failed'") " SELECT count(*) FROM o",
	      7 };
/* Back to the queue after a delay, unless the code would be dead by then. */
static const struct pa_stmt st_retry
    = { "WITH o AS (UPDATE sms_outbox SET"
	"  state = CASE WHEN now() + make_interval(secs => $4::double precision) + " EXPIRE_MARGIN
	"   >= not_after THEN 'expired' ELSE 'queued' END,"
	"  next_attempt_at = now() + make_interval(secs => $4::double precision),"
	"  error_code = nullif($5::int, 0), lease_owner = NULL, lease_until = NULL" MINE
	" RETURNING id, verification_id, state),"
	" a AS (INSERT INTO audit_events (event, actor, phone_masked, verification_id,"
	"  message_sid, outcome, detail)"
	"  SELECT CASE WHEN o.state = 'expired' THEN 'sms_expired' ELSE 'sms_retry' END,"
	"   'sms-worker', $6, o.verification_id, $3, o.state, $7::jsonb FROM o RETURNING 1)"
	" SELECT count(*) FROM o",
	      7 };
static const struct pa_stmt st_release
    = { "UPDATE sms_outbox SET state = 'queued', lease_owner = NULL, lease_until = NULL,"
	" attempts = greatest(attempts - 1, 0)" MINE,
	      2 };
static const struct pa_stmt st_audit_expired
    = { "INSERT INTO audit_events (event, actor, phone_masked, verification_id, outcome)"
	" VALUES ('sms_expired', 'sms-worker', $1, $2::uuid, 'expired')",
	      2 };
static const struct pa_stmt st_audit_cancelled
    = { "SELECT audit_append('sms_cancelled', 'sms-worker', NULL, $1, $2::uuid, NULL, NULL,"
	" 'cancelled', jsonb_build_object('reason', $3::text, 'attempts', $4::int))",
	      4 };
static const struct pa_stmt st_heartbeat
    = { "INSERT INTO sms_workers (id, host, pid, started_at, last_seen_at)"
	" VALUES ($1, $2, $3::int, now(), now())"
	" ON CONFLICT (id) DO UPDATE SET last_seen_at = now()",
	      3 };
static const struct pa_stmt st_reconcile
    = { "UPDATE sms_outbox SET reconciled_at = now() WHERE id IN ("
	" SELECT id FROM sms_outbox WHERE state = 'sent' AND twilio_sid IS NOT NULL"
	"  AND sent_at < now() - make_interval(secs => $1::int)"
	"  AND sent_at > now() - interval '7 days'"
	"  AND (reconciled_at IS NULL OR reconciled_at < now() - make_interval(secs => $1::int))"
	" ORDER BY sent_at LIMIT $2::int FOR UPDATE SKIP LOCKED)"
	" RETURNING twilio_sid",
	      2 };
static const struct pa_stmt st_status
    = { "WITH o AS (SELECT id, verification_id, phone_e164, twilio_status, state FROM sms_outbox"
	"  WHERE twilio_sid = $1 FOR UPDATE),"
	" u AS (UPDATE sms_outbox s SET twilio_status = $2,"
	"  state = coalesce(twilio_status_final_state($2), s.state),"
	"  error_code = coalesce(nullif($3::int, 0), s.error_code), status_updated_at = now()"
	"  FROM o WHERE s.id = o.id AND o.state = 'sent'"
	"   AND twilio_status_rank($2) > twilio_status_rank(o.twilio_status) RETURNING s.id),"
	" e AS (INSERT INTO message_status_events (outbox_id, twilio_sid, status, error_code,"
	"  raw_dlr_done_date) VALUES ((SELECT id FROM o), $1, $2, nullif($3::int, 0), $4)"
	"  RETURNING 1)"
	" SELECT (SELECT count(*) FROM o), (SELECT count(*) FROM u), (SELECT phone_e164 FROM o),"
	"  (SELECT verification_id::text FROM o)",
	      4 };
static const struct pa_stmt st_status_audit
    = { "INSERT INTO audit_events (event, actor, phone_masked, verification_id, message_sid,"
	" outcome, detail) VALUES ('sms_status', $1, $2, $3::uuid, $4, $5, $6::jsonb)",
	      6 };

void
smsw_job_clear(struct smsw_job *j)
{
	if (j->body != NULL) {
		sodium_memzero(j->body, j->body_len);
		free(j->body);
	}
	*j = (struct smsw_job) { 0 };
}

/* Opens the sealed body of a claimed row into j. */
static pa_err
open_body(struct smsw *w, struct smsw_job *j, const char *hex)
{
	size_t         hexlen = strlen(hex), sealed_len = hexlen / 2, bin_len = 0;
	unsigned char *sealed;
	pa_err         rv;

	if (sealed_len == 0 || (sealed = malloc(sealed_len)) == NULL)
		return sealed_len == 0 ? PA_EINVAL : PA_ENOMEM;
	if (sodium_hex2bin(sealed, sealed_len, hex, hexlen, NULL, &bin_len, NULL) != 0
	    || bin_len != sealed_len) {
		free(sealed);
		return PA_EINVAL;
	}
	rv = pa_open(&j->body, &j->body_len, &w->outbox_keys, j->verification_id,
	    strlen(j->verification_id), sealed, sealed_len);
	free(sealed);
	return rv;
}

pa_err
smsw_claim(struct smsw *w, const int64_t *ids, int nids, int max, struct smsw_job *out, int *n)
{
	struct pa_strbuf arr = { 0 };
	char             lease[16], lim[16];
	const char      *params[4] = { lim, w->id, lease, NULL };
	PGresult        *res;
	pa_err           rv;

	*n = 0;
	if (max <= 0 || (ids != NULL && nids <= 0))
		return PA_OK;
	(void) snprintf(lease, sizeof lease, "%d", w->cfg.lease_s);
	(void) snprintf(lim, sizeof lim, "%d", max);
	if (ids != NULL) {
		pa_strbuf_append(&arr, "{", 1);
		for (int i = 0; i < nids; i++)
			pa_strbuf_printf(&arr, "%s%lld", i ? "," : "", (long long) ids[i]);
		pa_strbuf_append(&arr, "}", 2);
		if (arr.oom) {
			pa_strbuf_free(&arr);
			return PA_ENOMEM;
		}
		params[0] = arr.data;
		params[3] = lim;
	}
	rv = pa_db_exec(w->db, ids != NULL ? &st_claim_ids : &st_claim_due, params, &res);
	pa_strbuf_free(&arr);
	if (rv != PA_OK)
		return rv;
	for (int i = 0; i < PQntuples(res); i++) {
		struct smsw_job j = { .id = strtoll(PQgetvalue(res, i, 0), NULL, 10) };
		char            masked[PA_PHONE_MASK_MAX];

		(void) snprintf(
		    j.verification_id, sizeof j.verification_id, "%s", PQgetvalue(res, i, 3));
		(void) snprintf(j.phone, sizeof j.phone, "%s", PQgetvalue(res, i, 4));
		j.ttl_left_s = atoi(PQgetvalue(res, i, 6));
		j.attempts   = atoi(PQgetvalue(res, i, 7));
		j.reclaimed  = strcmp(PQgetvalue(res, i, 2), "sending") == 0;
		if (strcmp(PQgetvalue(res, i, 1), "cancelled") == 0) {
			const char *ap[4] = { pa_phone_mask(j.phone, masked), j.verification_id,
				PQgetvalue(res, i, 8), PQgetvalue(res, i, 7) };

			smsw_metrics.cancelled++;
			pa_log_info("sms_cancelled",
			    "outbox_id=%lld phone=%s attempts=%d reason=%s", (long long) j.id,
			    masked, j.attempts, ap[2]);
			if ((rv = pa_db_exec(w->db, &st_audit_cancelled, ap, NULL)) != PA_OK)
				pa_log_warn("audit_failed", "outbox_id=%lld error=%s",
				    (long long) j.id, pa_err_name(rv));
			continue;
		}
		if (strcmp(PQgetvalue(res, i, 1), "expired") == 0) {
			const char *ap[2] = { pa_phone_mask(j.phone, masked), j.verification_id };

			smsw_metrics.sends[SMSW_EXPIRED]++;
			pa_log_info("sms_expired", "outbox_id=%lld phone=%s attempts=%d",
			    (long long) j.id, masked, j.attempts);
			if ((rv = pa_db_exec(w->db, &st_audit_expired, ap, NULL)) != PA_OK)
				pa_log_warn("audit_failed", "outbox_id=%lld error=%s",
				    (long long) j.id, pa_err_name(rv));
			continue;
		}
		if (j.reclaimed) {
			/* The only window for a second send: the previous holder may have reached
			 * Twilio before it died. */
			smsw_metrics.reclaimed++;
			pa_log_warn("sms_reclaimed",
			    "outbox_id=%lld phone=%s attempts=%d "
			    "note=\"lease ran out; it may have been sent once\"",
			    (long long) j.id, pa_phone_mask(j.phone, masked), j.attempts);
		}
		if ((rv = open_body(w, &j, PQgetvalue(res, i, 5))) != PA_OK) {
			/* A body that does not open now never will (its key was dropped from
			 * PHONEAUTH_OUTBOX_KEY, or it was altered): fail it instead of retrying. */
			struct smsw_result fr = { .outcome = SMSW_FAILED,
				.status                    = "failed",
				.error_message
				= "sealed body does not open with PHONEAUTH_OUTBOX_KEY" };
			bool               lost;

			pa_log_error("sms_body_unreadable", "outbox_id=%lld error=%s",
			    (long long) j.id, pa_err_name(rv));
			if (smsw_finish(w, &j, &fr, &lost) == PA_OK)
				smsw_metrics.sends[SMSW_FAILED]++;
			smsw_job_clear(&j);
			continue;
		}
		if (*n < max)
			out[(*n)++] = j;
		else
			smsw_job_clear(&j);
	}
	PQclear(res);
	return PA_OK;
}

/* {"key": n, ...} for the audit detail; pairs of (name, value) ending with NULL. */
static char *
detail_json(const char *k1, int v1, const char *k2, int v2, const char *k3, int v3)
{
	json_object *o       = json_object_new_object();
	const char  *keys[3] = { k1, k2, k3 };
	int          vals[3] = { v1, v2, v3 };
	char        *s       = NULL;

	if (o == NULL)
		return NULL;
	for (int i = 0; i < 3; i++)
		if (keys[i] != NULL && vals[i] != 0)
			(void) json_object_object_add(o, keys[i], json_object_new_int(vals[i]));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

pa_err
smsw_finish(struct smsw *w, const struct smsw_job *j, const struct smsw_result *r, bool *lost)
{
	char                  idtxt[24], masked[PA_PHONE_MASK_MAX], code[16], delay[32];
	char                 *detail    = NULL;
	const char           *params[7] = { idtxt, w->id, NULL, NULL, NULL, masked, NULL };
	const struct pa_stmt *st;
	PGresult             *res;
	pa_err                rv;

	*lost = false;
	(void) snprintf(idtxt, sizeof idtxt, "%lld", (long long) j->id);
	(void) snprintf(code, sizeof code, "%d", r->error_code);
	(void) pa_phone_mask(j->phone, masked);
	switch (r->outcome) {
	case SMSW_SENT:
		st        = &st_sent;
		params[2] = r->sid[0] != '\0' ? r->sid : NULL;
		params[3] = r->status;
		detail    = detail_json("attempt", j->attempts, NULL, 0, NULL, 0);
		break;
	case SMSW_FAILED:
		st        = &st_failed;
		params[3] = code;
		/* Twilio's message can quote the number: it stays in the outbox row, never in the
		 * audit trail or the logs. */
		params[4] = r->error_message;
		detail = detail_json("attempt", j->attempts, "error_code", r->error_code, NULL, 0);
		break;
	case SMSW_RETRY:
		st = &st_retry;
		(void) snprintf(delay, sizeof delay, "%.3f", r->retry_after_ms / 1000.0);
		params[3] = delay;
		params[4] = code;
		detail    = detail_json("attempt", j->attempts, "error_code", r->error_code,
		       "retry_after_ms", r->retry_after_ms);
		break;
	default:
		return PA_EINVAL;
	}
	if (detail == NULL)
		return PA_ENOMEM;
	params[6] = detail;
	rv        = pa_db_exec(w->db, st, params, &res);
	free(detail);
	if (rv != PA_OK)
		return rv;
	*lost = strcmp(PQgetvalue(res, 0, 0), "0") == 0;
	PQclear(res);
	return PA_OK;
}

pa_err
smsw_release(struct smsw *w, const struct smsw_job *j)
{
	char        idtxt[24];
	const char *params[2] = { idtxt, w->id };

	(void) snprintf(idtxt, sizeof idtxt, "%lld", (long long) j->id);
	return pa_db_exec(w->db, &st_release, params, NULL);
}

pa_err
smsw_heartbeat(struct smsw *w)
{
	char        pid[16];
	const char *params[3] = { w->id, w->host, pid };

	(void) snprintf(pid, sizeof pid, "%d", (int) getpid());
	return pa_db_exec(w->db, &st_heartbeat, params, NULL);
}

pa_err
smsw_reconcile_take(struct smsw *w, int max, char (*sids)[40], int *n)
{
	char        after[16], lim[16];
	const char *params[2] = { after, lim };
	PGresult   *res;
	pa_err      rv;

	(void) snprintf(after, sizeof after, "%d", w->cfg.reconcile_after_s);
	(void) snprintf(lim, sizeof lim, "%d", max);
	if ((rv = pa_db_exec(w->db, &st_reconcile, params, &res)) != PA_OK)
		return rv;
	*n = 0;
	for (int i = 0; i < PQntuples(res) && *n < max; i++)
		(void) snprintf(sids[(*n)++], 40, "%s", PQgetvalue(res, i, 0));
	PQclear(res);
	return PA_OK;
}

pa_err
smsw_status_record(struct pa_db *db, const char *actor, const char *sid, const char *status,
    int error_code, const char *raw_dlr, enum smsw_cb_result *result)
{
	char        code[16], masked[PA_PHONE_MASK_MAX];
	const char *params[4] = { sid, status, code, raw_dlr };
	const char *aparams[6];
	char       *detail = NULL;
	PGresult   *res;
	bool        known, moved;
	pa_err      rv;

	(void) snprintf(code, sizeof code, "%d", error_code);
	if ((rv = pa_db_begin(db)) != PA_OK)
		return rv;
	if ((rv = pa_db_exec(db, &st_status, params, &res)) != PA_OK)
		goto out_fail;
	known      = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
	moved      = strcmp(PQgetvalue(res, 0, 1), "0") != 0;
	*result    = !known ? SMSW_CB_UNKNOWN_SID : moved ? SMSW_CB_APPLIED : SMSW_CB_STALE;
	aparams[0] = actor;
	aparams[1] = known ? pa_phone_mask(PQgetvalue(res, 0, 2), masked) : NULL;
	aparams[2] = known ? PQgetvalue(res, 0, 3) : NULL;
	aparams[3] = sid;
	aparams[4] = status;
	{
		json_object *o = json_object_new_object();

		if (o != NULL) {
			(void) json_object_object_add(o, "applied", json_object_new_boolean(moved));
			if (error_code != 0)
				(void) json_object_object_add(
				    o, "error_code", json_object_new_int(error_code));
			detail = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
		}
	}
	aparams[5] = detail;
	if (detail == NULL)
		rv = PA_ENOMEM;
	else
		rv = pa_db_exec(db, &st_status_audit, aparams, NULL);
	free(detail);
	PQclear(res);
	if (rv != PA_OK || (rv = pa_db_commit(db)) != PA_OK)
		goto out_fail;
	return PA_OK;
out_fail:
	pa_db_rollback(db);
	return rv;
}
