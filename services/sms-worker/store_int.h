/* store_int.h: what the store's files (store.c, store_status.c, store_feedback.c) share and
 * nothing else includes: SQL fragments over sms_outbox and the helpers that read their results. */
#ifndef PHONEAUTH_SMSW_STORE_INT_H
#define PHONEAUTH_SMSW_STORE_INT_H

#include <libpq-fe.h>

#include "message.h"

/* Rows whose code has less than this left are expired rather than sent: Twilio's smallest
 * ValidityPeriod is 1 s, and a code that arrives dead is worse than none. */
#define EXPIRE_MARGIN "interval '1 second'"

/* Twilio's status order (migration 0003's twilio_status_rank), with WhatsApp's 'read' one above
 * the finals: it comes after 'delivered' and moves a delivered row's twilio_status on (its state
 * stays 'delivered'), while 'undelivered' or 'failed' after 'delivered' still change nothing. */
#define RANK(x) "(twilio_status_rank(" x ") + CASE WHEN " x " = 'read' THEN 1 ELSE 0 END)"

/* Migration 0015's held fallback of the rows of CTE src (columns id, state, channel,
 * error_code): a row that failed for good ('failed', 'undelivered') queues it, due at once, so
 * the same code goes on the other channel; one delivered (or read) cancels it, never sent. In
 * the same statement as the status, with its audit row (sms_fallback or sms_cancelled, both
 * channels in the detail); $6 is the phone, masked. The final SELECT reads HELD_RESULT. */
#define HELD_MOVE(src, actor)                                                               \
	" fb AS (UPDATE sms_outbox h SET next_attempt_at = now(),"                          \
	"  state = CASE WHEN s.state = 'delivered' THEN 'cancelled' ELSE 'queued' END"      \
	"  FROM " src " s WHERE h.fallback_for = s.id AND h.state = 'held'"                 \
	"   AND s.state IN ('failed', 'undelivered', 'delivered')"                          \
	"  RETURNING h.id, h.state, h.verification_id, h.channel, s.id AS primary_id,"      \
	"   s.channel AS primary_channel, s.error_code AS primary_error),"                  \
	" fa AS (SELECT audit_append(CASE fb.state WHEN 'queued' THEN 'sms_fallback'"       \
	"   ELSE 'sms_cancelled' END, " actor ", NULL, $6, fb.verification_id, NULL, NULL," \
	"  fb.state, jsonb_build_object('from', fb.primary_channel, 'to', fb.channel,"      \
	"   'outbox_id', fb.id, 'primary_id', fb.primary_id, 'reason', CASE fb.state"       \
	"   WHEN 'queued' THEN 'primary_failed' ELSE 'primary_delivered' END)"              \
	"   || CASE WHEN fb.primary_error IS NOT NULL"                                      \
	"   THEN jsonb_build_object('error_code', fb.primary_error) ELSE '{}'::jsonb END)"  \
	"  AS audit_id FROM fb)"
#define HELD_RESULT                                               \
	" (SELECT min(id) FROM fb), (SELECT min(state) FROM fb)," \
	" (SELECT count(audit_id) FROM fa)"

/* What HELD_RESULT says, from columns id_col and id_col + 1 of res's first row. */
struct smsw_fallback smsw_store_held_result(const PGresult *res, int id_col);

/* {"key": n, ...} for an audit detail: the pairs whose value is not 0 (k may be NULL); malloc'd,
 * NULL when out of memory. */
char *smsw_store_detail_json(
    const char *k1, int v1, const char *k2, int v2, const char *k3, int v3);

#endif
