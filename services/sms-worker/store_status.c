/* store_status.c: delivery statuses (migration 0003): a callback's or a reconciliation GET's
 * status recorded in message_status_events, the outbox row moved only forward (and its held
 * fallback with it, migration 0015), audited, in one statement; and the rows to ask Twilio
 * about. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/phone.h"
#include "store_int.h"
#include "store_status.h"

static const struct pa_stmt st_reconcile
    = { "UPDATE sms_outbox SET reconciled_at = now() WHERE id IN ("
	" SELECT id FROM sms_outbox WHERE state = 'sent' AND twilio_sid IS NOT NULL"
	"  AND kind = 'message'"
	"  AND sent_at < now() - make_interval(secs => $1::int)"
	"  AND sent_at > now() - interval '7 days'"
	"  AND (reconciled_at IS NULL OR reconciled_at < now() - make_interval(secs => $1::int))"
	" ORDER BY sent_at LIMIT $2::int FOR UPDATE SKIP LOCKED)"
	" RETURNING twilio_sid, phone_e164",
	      2 };
/* One statement: the event, the forward move and the audit row. The caller guesses the row's
 * phone ($5, masked in $6) so that the audit row can show it without a round trip first; when
 * the guess is wrong (g.go false) nothing is written and the caller runs it again with the
 * phone returned. A final state reached here moves the row's held fallback (HELD_MOVE). */
#define STATUS_FORWARD " AND " RANK("$2") " > " RANK("o.twilio_status")
static const struct pa_stmt st_status
    = { "WITH o AS (SELECT id, verification_id, phone_e164, twilio_status, state FROM sms_outbox"
	"  WHERE twilio_sid = $1 FOR UPDATE),"
	" g AS (SELECT NOT EXISTS (SELECT 1 FROM o WHERE phone_e164 IS DISTINCT FROM $5::text)"
	"  AS go),"
	" u AS (UPDATE sms_outbox s SET twilio_status = $2,"
	"  state = coalesce(twilio_status_final_state($2), s.state),"
	"  error_code = coalesce(nullif($3::int, 0), s.error_code), status_updated_at = now()"
	"  FROM o, g WHERE g.go AND s.id = o.id AND o.state IN ('sent', 'delivered')" STATUS_FORWARD
	"  RETURNING s.id, s.state, s.channel, s.error_code),"
	" e AS (INSERT INTO message_status_events (outbox_id, twilio_sid, status, error_code,"
	"  raw_dlr_done_date) SELECT (SELECT id FROM o), $1, $2, nullif($3::int, 0), $4::text"
	"  FROM g WHERE g.go RETURNING 1),"
	" a AS (SELECT audit_append('sms_status', $7::text, NULL,"
	"  CASE WHEN EXISTS (SELECT 1 FROM o) THEN $6::text END, (SELECT verification_id FROM o),"
	"  $1, NULL, $2, jsonb_build_object('applied', EXISTS (SELECT 1 FROM u))"
	"   || CASE WHEN $3::int <> 0 THEN jsonb_build_object('error_code', $3::int)"
	"   ELSE '{}'::jsonb END) AS audit_id FROM g WHERE g.go)," HELD_MOVE("u",
	    "$7::text") " SELECT g.go, (SELECT count(*) FROM o), (SELECT count(*) FROM u),"
	                "  (SELECT phone_e164 FROM o), (SELECT count(audit_id) FROM a)," HELD_RESULT
	                " FROM g",
	      7 };
enum { S_GO, S_KNOWN, S_MOVED, S_PHONE, S_AUDITS, S_HELD_ID, S_HELD_STATE };

pa_err
smsw_store_reconcile_take(
    struct pa_db *db, int after_s, int max, struct smsw_reconcile_row *out, int *n)
{
	char        after[16], lim[16];
	const char *params[2] = { after, lim };
	PGresult   *res;
	pa_err      rv;

	(void) snprintf(after, sizeof after, "%d", after_s);
	(void) snprintf(lim, sizeof lim, "%d", max);
	if ((rv = pa_db_exec(db, &st_reconcile, params, &res)) != PA_OK)
		return rv;
	*n = 0;
	for (int i = 0; i < PQntuples(res) && *n < max; i++, (*n)++) {
		(void) snprintf(out[*n].sid, sizeof out[*n].sid, "%s", PQgetvalue(res, i, 0));
		(void) snprintf(out[*n].phone, sizeof out[*n].phone, "%s", PQgetvalue(res, i, 1));
	}
	PQclear(res);
	return PA_OK;
}

pa_err
smsw_store_status(struct pa_db *db, const char *actor, const char *sid, const char *status,
    int error_code, const char *raw_dlr, const char *phone, enum smsw_cb_result *result,
    struct smsw_fallback *fb)
{
	char        code[16], masked[PA_PHONE_MASK_MAX], guess[SMSW_PHONE_SIZE];
	const char *params[7] = { sid, status, code, raw_dlr, phone, NULL, actor };
	PGresult   *res;
	pa_err      rv;

	*fb = (struct smsw_fallback) { 0 };
	(void) snprintf(code, sizeof code, "%d", error_code);
	for (int try = 0; try < 2; try++) {
		bool go, known, moved;

		params[5] = params[4] != NULL ? pa_phone_mask(params[4], masked) : NULL;
		if ((rv = pa_db_exec(db, &st_status, params, &res)) != PA_OK)
			return rv;
		go    = strcmp(PQgetvalue(res, 0, S_GO), "t") == 0;
		known = strcmp(PQgetvalue(res, 0, S_KNOWN), "0") != 0;
		moved = strcmp(PQgetvalue(res, 0, S_MOVED), "0") != 0;
		if (go) {
			*fb = smsw_store_held_result(res, S_HELD_ID);
			PQclear(res);
			*result = !known ? SMSW_CB_UNKNOWN_SID
			    : moved      ? SMSW_CB_APPLIED
			                 : SMSW_CB_STALE;
			return PA_OK;
		}
		/* The row's phone was not the one guessed: nothing was written; again with it. */
		(void) snprintf(guess, sizeof guess, "%s", PQgetvalue(res, 0, S_PHONE));
		params[4] = guess;
		PQclear(res);
	}
	return PA_EIO; /* cannot happen: a row's phone never changes */
}
