/* store.c: the worker's SQL over sms_outbox (from the claim on: sends, held fallbacks),
 * sms_opt_outs and sms_workers, and its one write to users (store_status.c has the delivery
 * statuses, store_feedback.c the conversion feedback). Rows are claimed with a lease in one
 * statement (FOR UPDATE SKIP LOCKED), so many workers on many machines never take the same row;
 * a lease that runs out (a dead worker) makes the row claimable again. Every outcome is recorded
 * only while the lease is still ours, together with its audit row (audit_append()), in one
 * statement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "common/phone.h"
#include "common/strbuf.h"
#include "store.h"
#include "store_int.h"

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
	"o.attempts, coalesce(c.why, ''), o.channel, o.kind, o.locale"

/* The claim's columns, in RETURNING order. */
enum {
	C_ID,
	C_STATE,
	C_WAS,
	C_VERIFICATION,
	C_PHONE,
	C_SEALED,
	C_TTL,
	C_ATTEMPTS,
	C_WHY,
	C_CHANNEL,
	C_KIND,
	C_LOCALE
};

#define DUE                                                     \
	" (o2.state = 'queued' AND o2.next_attempt_at <= now()" \
	"  OR o2.state = 'sending' AND o2.lease_until < now())"

/* Issue 13, finding 6: the code of a due row may no longer work. A resend wrote a newer row for
 * the same verification (why = 'replaced'; the row's own held fallback, written after it with the
 * same code, does not count), or the verification left 'pending' (a restart
 * expired it, it was verified or its tries ran out: why = its state). Such a row is cancelled by
 * the claim itself, so it is never leased or sent, however many Twilio retries it waited for. */
#define CLAIM_FROM                                                            \
	"WITH c AS (SELECT o2.id, o2.state AS was,"                           \
	"  CASE WHEN EXISTS (SELECT 1 FROM sms_outbox o3"                     \
	"    WHERE o3.verification_id = o2.verification_id AND o3.id > o2.id" \
	"     AND o3.fallback_for IS DISTINCT FROM o2.id) THEN 'replaced'"    \
	"   ELSE (SELECT nullif(v.state, 'pending') FROM verifications v"     \
	"    WHERE v.id = o2.verification_id) END AS why"                     \
	" FROM sms_outbox o2 WHERE"

static const struct pa_stmt st_claim_ids
    = { CLAIM_FROM " o2.id = ANY($1::bigint[]) AND" DUE " ORDER BY o2.id LIMIT $4::int"
	           " FOR UPDATE SKIP LOCKED)" CLAIM_SET,
	      4 };
static const struct pa_stmt st_claim_due
    = { CLAIM_FROM DUE " ORDER BY o2.id LIMIT $1::int FOR UPDATE SKIP LOCKED)" CLAIM_SET, 3 };

#define MINE " WHERE id = $1::bigint AND lease_owner = $2 AND state = 'sending'"
/* The audit row of an outcome, one per row of o. The final SELECT reads audit_id, so the CTE
 * (a plain SELECT, which PostgreSQL runs only as far as it is read) runs for every row. */
#define AUDIT(event, outcome)                                                                  \
	" a AS (SELECT audit_append(" event ", 'sms-worker', NULL, $6, o.verification_id, $3," \
	"  NULL, " outcome ", $7::jsonb) AS audit_id FROM o)"
#define OUTCOME_RESULT " SELECT count(*), (SELECT count(audit_id) FROM a) FROM o"

/* A SID stored late may already have callbacks waiting (outbox_id NULL): the best of them is
 * applied here and they are linked to the row. */
static const struct pa_stmt st_sent
    = { "WITH ev AS (SELECT status, error_code FROM message_status_events"
	"  WHERE twilio_sid = $3 AND outbox_id IS NULL"
	"  AND " RANK("status") " > " RANK("$4") " ORDER BY " RANK(
	    "status") " DESC, id DESC"
	              "  LIMIT 1),"
	              " o AS (UPDATE sms_outbox SET"
	              "  state = coalesce((SELECT twilio_status_final_state(status) FROM ev), "
	              "'sent'),"
	              "  twilio_sid = $3, twilio_status = coalesce((SELECT status FROM ev), $4),"
	              "  error_code = (SELECT error_code FROM ev), error_message = $5, sent_at = "
	              "now(),"
	              "  status_updated_at = now(), lease_owner = NULL, lease_until = NULL, "
	              "body_sealed = "
	              "NULL" MINE " RETURNING id, verification_id, state, channel, error_code),"
	              " l AS (UPDATE message_status_events e SET outbox_id = o.id FROM o"
	              "  WHERE e.twilio_sid = $3 AND e.outbox_id IS NULL RETURNING 1),"
	              " v AS (UPDATE verifications v SET message_sid = $3 FROM o WHERE v.id = "
	              "o.verification_id"
	              "  AND v.state = 'verified' AND v.message_sid IS NULL AND $3 IS NOT NULL "
	              "RETURNING "
	              "1)," HELD_MOVE("o", "'sms-worker'") "," AUDIT(
	                  "'sms_sent'", "$4::text") " SELECT count(*), (SELECT count(audit_id) "
	                                            "FROM a)," HELD_RESULT " FROM o",
	      7 };
/* Permanent: the error is kept; 21610 (the person replied STOP) opts the phone out here and,
 * in the same transaction, in users (smsw_store_user_opted_out). */
static const struct pa_stmt st_failed
    = { "WITH o AS (UPDATE sms_outbox SET state = 'failed', error_code = nullif($4::int, 0),"
	"  error_message = $5" MINE
	" RETURNING id, verification_id, phone_e164, state, channel, error_code),"
	" x AS (INSERT INTO sms_opt_outs (phone_e164, error_code)"
	"  SELECT phone_e164, $4::int FROM o WHERE $4::int = 21610 ON CONFLICT DO NOTHING "
	"RETURNING 1)," HELD_MOVE("o", "'sms-worker'") "," AUDIT("'sms_failed'",
	    "'failed'") " SELECT count(*), (SELECT count(audit_id) FROM a)," HELD_RESULT
	                ", (SELECT phone_e164 FROM o) FROM o",
	      7 };
/* The finish statements' columns: rows written, audit rows, then HELD_RESULT's. */
enum { R_ROWS, R_AUDITS, R_HELD_ID, R_HELD_STATE, R_HELD_AUDITS, R_FAILED_PHONE };
static const struct pa_stmt st_user_opted_out
    = { "UPDATE users SET opted_out_at = now() WHERE phone_e164 = $1 AND opted_out_at IS NULL", 1 };
/* Back to the queue after a delay, unless the code would be dead by then. */
static const struct pa_stmt st_retry
    = { "WITH o AS (UPDATE sms_outbox SET"
	"  state = CASE WHEN now() + make_interval(secs => $4::double precision) + " EXPIRE_MARGIN
	"   >= not_after THEN 'expired' ELSE 'queued' END,"
	"  next_attempt_at = now() + make_interval(secs => $4::double precision),"
	"  error_code = nullif($5::int, 0), lease_owner = NULL, lease_until = NULL" MINE
	" RETURNING id, verification_id, state),"
	" a AS (SELECT audit_append(CASE WHEN o.state = 'expired' THEN 'sms_expired'"
	"   ELSE 'sms_retry' END, 'sms-worker', NULL, $6, o.verification_id, $3, NULL, o.state,"
	"   $7::jsonb) AS audit_id FROM o)" OUTCOME_RESULT,
	      7 };
static const struct pa_stmt st_audit_expired
    = { "SELECT audit_append('sms_expired', 'sms-worker', NULL, $1, $2::uuid, NULL, NULL,"
	" 'expired', NULL)",
	      2 };
static const struct pa_stmt st_audit_cancelled
    = { "SELECT audit_append('sms_cancelled', 'sms-worker', NULL, $1, $2::uuid, NULL, NULL,"
	" 'cancelled', jsonb_build_object('reason', $3::text, 'attempts', $4::int))",
	      4 };
/* Held fallbacks that will never be needed: past their not_after ('expired'), or whose code no
 * longer works ('cancelled': a resend wrote a newer row, or the verification left 'pending', as
 * the claim's CLAIM_FROM says). A held row is never leased: this is the only way it ends besides
 * HELD_MOVE. */
static const struct pa_stmt st_held_end
    = { "WITH c AS (SELECT o2.id, w.why, o2.not_after <= now() + " EXPIRE_MARGIN " AS dead"
	" FROM sms_outbox o2 CROSS JOIN LATERAL (SELECT CASE WHEN EXISTS (SELECT 1"
	"   FROM sms_outbox o3 WHERE o3.verification_id = o2.verification_id AND o3.id > o2.id)"
	"   THEN 'replaced' ELSE (SELECT nullif(v.state, 'pending') FROM verifications v"
	"    WHERE v.id = o2.verification_id) END AS why) w"
	" WHERE o2.state = 'held' AND (w.why IS NOT NULL OR o2.not_after <= now() + " EXPIRE_MARGIN
	")"
	" ORDER BY o2.id LIMIT $1::int FOR UPDATE OF o2 SKIP LOCKED)"
	" UPDATE sms_outbox o SET state = CASE WHEN c.dead THEN 'expired' ELSE 'cancelled' END"
	" FROM c WHERE o.id = c.id"
	" RETURNING o.id, o.state, o.verification_id::text, o.phone_e164,"
	"  CASE WHEN c.dead THEN '' ELSE c.why END, o.attempts, o.channel, o.kind, o.locale",
	      1 };
enum { H_ID, H_STATE, H_VERIFICATION, H_PHONE, H_WHY, H_ATTEMPTS, H_CHANNEL, H_KIND, H_LOCALE };
static const struct pa_stmt st_heartbeat
    = { "INSERT INTO sms_workers (id, host, pid, started_at, last_seen_at)"
	" VALUES ($1, $2, $3::int, now(), now())"
	" ON CONFLICT (id) DO UPDATE SET last_seen_at = now()",
	      3 };
/* The sealed body of a claimed row, from its hex text; NULL when it does not decode. */
static void
sealed_from_hex(struct smsw_job *j, const char *hex)
{
	size_t hexlen = strlen(hex), len = hexlen / 2, bin_len = 0;

	if (len == 0 || (j->sealed = malloc(len)) == NULL)
		return;
	if (sodium_hex2bin(j->sealed, len, hex, hexlen, NULL, &bin_len, NULL) != 0
	    || bin_len != len) {
		free(j->sealed);
		j->sealed = NULL;
		return;
	}
	j->sealed_len = len;
}

static struct smsw_job
claimed_row(const PGresult *res, int i)
{
	struct smsw_job j     = { .id = strtoll(PQgetvalue(res, i, C_ID), NULL, 10) };
	const char     *state = PQgetvalue(res, i, C_STATE);

	(void) snprintf(
	    j.verification_id, sizeof j.verification_id, "%s", PQgetvalue(res, i, C_VERIFICATION));
	(void) snprintf(j.phone, sizeof j.phone, "%s", PQgetvalue(res, i, C_PHONE));
	(void) snprintf(j.why, sizeof j.why, "%s", PQgetvalue(res, i, C_WHY));
	(void) snprintf(j.channel, sizeof j.channel, "%s", PQgetvalue(res, i, C_CHANNEL));
	(void) snprintf(j.kind, sizeof j.kind, "%s", PQgetvalue(res, i, C_KIND));
	(void) snprintf(j.locale, sizeof j.locale, "%s", PQgetvalue(res, i, C_LOCALE));
	j.ttl_left_s = atoi(PQgetvalue(res, i, C_TTL));
	j.attempts   = atoi(PQgetvalue(res, i, C_ATTEMPTS));
	j.reclaimed  = strcmp(PQgetvalue(res, i, C_WAS), "sending") == 0;
	if (strcmp(state, "cancelled") == 0)
		j.state = SMSW_CLAIM_CANCELLED;
	else if (strcmp(state, "expired") == 0)
		j.state = SMSW_CLAIM_EXPIRED;
	else
		sealed_from_hex(&j, PQgetvalue(res, i, C_SEALED));
	return j;
}

pa_err
smsw_store_claim(struct pa_db *db, const struct smsw_lessee *l, const int64_t *ids, int nids,
    int max, struct smsw_job *out, int *n)
{
	struct pa_strbuf arr = { 0 };
	char             lease[16], lim[16];
	const char      *params[4] = { lim, l->owner, lease, NULL };
	PGresult        *res;
	pa_err           rv;

	*n = 0;
	if (max <= 0 || (ids != NULL && nids <= 0))
		return PA_OK;
	(void) snprintf(lease, sizeof lease, "%d", l->lease_s);
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
	rv = pa_db_exec(db, ids != NULL ? &st_claim_ids : &st_claim_due, params, &res);
	pa_strbuf_free(&arr);
	if (rv != PA_OK)
		return rv;
	/* LIMIT max: every row fits. */
	for (int i = 0; i < PQntuples(res) && *n < max; i++)
		out[(*n)++] = claimed_row(res, i);
	PQclear(res);
	return PA_OK;
}

pa_err
smsw_store_audit_unsent(struct pa_db *db, const struct smsw_job *j)
{
	char        masked[PA_PHONE_MASK_MAX], attempts[16];
	const char *params[4]
	    = { pa_phone_mask(j->phone, masked), j->verification_id, j->why, attempts };

	(void) snprintf(attempts, sizeof attempts, "%d", j->attempts);
	switch (j->state) {
	case SMSW_CLAIM_CANCELLED:
		return pa_db_exec(db, &st_audit_cancelled, params, NULL);
	case SMSW_CLAIM_EXPIRED:
		return pa_db_exec(db, &st_audit_expired, params, NULL);
	default:
		return PA_EINVAL;
	}
}

pa_err
smsw_store_held_end(struct pa_db *db, int max, struct smsw_job *out, int *n)
{
	char        lim[16];
	const char *params[1] = { lim };
	PGresult   *res;
	pa_err      rv;

	*n = 0;
	if (max <= 0)
		return PA_OK;
	(void) snprintf(lim, sizeof lim, "%d", max);
	if ((rv = pa_db_exec(db, &st_held_end, params, &res)) != PA_OK)
		return rv;
	for (int i = 0; i < PQntuples(res) && *n < max; i++) {
		struct smsw_job *j = &out[(*n)++];

		*j       = (struct smsw_job) { .id = strtoll(PQgetvalue(res, i, H_ID), NULL, 10) };
		j->state = strcmp(PQgetvalue(res, i, H_STATE), "expired") == 0
		    ? SMSW_CLAIM_EXPIRED
		    : SMSW_CLAIM_CANCELLED;
		(void) snprintf(j->verification_id, sizeof j->verification_id, "%s",
		    PQgetvalue(res, i, H_VERIFICATION));
		(void) snprintf(j->phone, sizeof j->phone, "%s", PQgetvalue(res, i, H_PHONE));
		(void) snprintf(j->why, sizeof j->why, "%s", PQgetvalue(res, i, H_WHY));
		(void) snprintf(j->channel, sizeof j->channel, "%s", PQgetvalue(res, i, H_CHANNEL));
		(void) snprintf(j->kind, sizeof j->kind, "%s", PQgetvalue(res, i, H_KIND));
		(void) snprintf(j->locale, sizeof j->locale, "%s", PQgetvalue(res, i, H_LOCALE));
		j->attempts = atoi(PQgetvalue(res, i, H_ATTEMPTS));
	}
	PQclear(res);
	return PA_OK;
}

char *
smsw_store_detail_json(const char *k1, int v1, const char *k2, int v2, const char *k3, int v3)
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

struct smsw_fallback
smsw_store_held_result(const PGresult *res, int id_col)
{
	struct smsw_fallback fb = { 0 };

	if (!PQgetisnull(res, 0, id_col)) {
		fb.id     = strtoll(PQgetvalue(res, 0, id_col), NULL, 10);
		fb.queued = strcmp(PQgetvalue(res, 0, id_col + 1), "queued") == 0;
	}
	return fb;
}

/* FAILED: with 21610 the row's failure and the user's opt-out commit together. */
static pa_err
finish_failed(struct pa_db *db, const char *const *params, int error_code, bool *lost,
    struct smsw_fallback *fb)
{
	PGresult *res;
	pa_err    rv;

	if (error_code != 21610) {
		if ((rv = pa_db_exec(db, &st_failed, params, &res)) != PA_OK)
			return rv;
		*lost = strcmp(PQgetvalue(res, 0, R_ROWS), "0") == 0;
		*fb   = smsw_store_held_result(res, R_HELD_ID);
		PQclear(res);
		return PA_OK;
	}
	if ((rv = pa_db_begin(db)) != PA_OK)
		return rv;
	if ((rv = pa_db_exec(db, &st_failed, params, &res)) != PA_OK)
		goto out_fail;
	*lost = strcmp(PQgetvalue(res, 0, R_ROWS), "0") == 0;
	*fb   = smsw_store_held_result(res, R_HELD_ID);
	if (!*lost
	    && (rv = smsw_store_user_opted_out(db, PQgetvalue(res, 0, R_FAILED_PHONE))) != PA_OK) {
		PQclear(res);
		goto out_fail;
	}
	PQclear(res);
	if ((rv = pa_db_commit(db)) != PA_OK)
		goto out_fail;
	return PA_OK;
out_fail:
	*lost = false;
	*fb   = (struct smsw_fallback) { 0 };
	pa_db_rollback(db);
	return rv;
}

/* The audit detail of FAILED: detail_json's, and our own reason when there is one. */
static char *
failed_detail(const struct smsw_job *j, const struct smsw_result *r)
{
	char *base
	    = smsw_store_detail_json("attempt", j->attempts, "error_code", r->error_code, NULL, 0);
	json_object *o;
	char        *s;

	if (base == NULL || r->reason == NULL)
		return base;
	o = json_tokener_parse(base);
	free(base);
	if (o == NULL)
		return NULL;
	(void) json_object_object_add(o, "reason", json_object_new_string(r->reason));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

pa_err
smsw_store_finish(struct pa_db *db, const char *owner, const struct smsw_job *j,
    const struct smsw_result *r, bool *lost, struct smsw_fallback *fb)
{
	char                  idtxt[24], masked[PA_PHONE_MASK_MAX], code[16], delay[32];
	char                 *detail    = NULL;
	const char           *params[7] = { idtxt, owner, NULL, NULL, NULL, masked, NULL };
	const struct pa_stmt *st;
	PGresult             *res;
	pa_err                rv;

	*lost = false;
	*fb   = (struct smsw_fallback) { 0 };
	(void) snprintf(idtxt, sizeof idtxt, "%lld", (long long) j->id);
	(void) snprintf(code, sizeof code, "%d", r->error_code);
	(void) pa_phone_mask(j->phone, masked);
	switch (r->outcome) {
	case SMSW_SENT:
		st        = &st_sent;
		params[2] = r->sid[0] != '\0' ? r->sid : NULL;
		params[3] = r->status;
		detail    = smsw_store_detail_json("attempt", j->attempts, NULL, 0, NULL, 0);
		break;
	case SMSW_FAILED:
		st        = &st_failed;
		params[3] = code;
		/* Twilio's message can quote the number: it stays in the outbox row, never in the
		 * audit trail or the logs. */
		params[4] = r->error_message;
		detail    = failed_detail(j, r);
		break;
	case SMSW_RETRY:
		st = &st_retry;
		(void) snprintf(delay, sizeof delay, "%.3f", r->retry_after_ms / 1000.0);
		params[3] = delay;
		params[4] = code;
		detail = smsw_store_detail_json("attempt", j->attempts, "error_code", r->error_code,
		    "retry_after_ms", r->retry_after_ms);
		break;
	default:
		return PA_EINVAL;
	}
	if (detail == NULL)
		return PA_ENOMEM;
	params[6] = detail;
	if (st == &st_failed) {
		rv = finish_failed(db, params, r->error_code, lost, fb);
		free(detail);
		return rv;
	}
	rv = pa_db_exec(db, st, params, &res);
	free(detail);
	if (rv != PA_OK)
		return rv;
	*lost = strcmp(PQgetvalue(res, 0, R_ROWS), "0") == 0;
	if (st == &st_sent)
		*fb = smsw_store_held_result(res, R_HELD_ID);
	PQclear(res);
	return PA_OK;
}

pa_err
smsw_store_user_opted_out(struct pa_db *db, const char *phone)
{
	const char *params[1] = { phone };

	return pa_db_exec(db, &st_user_opted_out, params, NULL);
}

pa_err
smsw_store_heartbeat(struct pa_db *db, const char *id, const char *host, int pid)
{
	char        pidtxt[16];
	const char *params[3] = { id, host, pidtxt };

	(void) snprintf(pidtxt, sizeof pidtxt, "%d", pid);
	return pa_db_exec(db, &st_heartbeat, params, NULL);
}
