/* store_admin.c: the SQL of the Admin views, and their rows read by column name constants. */
#include "store_admin.h"

#include <stdio.h>
#include <stdlib.h>

#define MS(col) "coalesce((extract(epoch FROM " col ") * 1000)::bigint, 0)"

#define USER_COLS                                                                            \
	" u.id::text, coalesce(u.phone_e164, ''), coalesce(u.email, ''),"                    \
	" u.phone_verified_at IS NOT NULL, " MS("u.phone_verified_at") ", " MS(              \
	    "u.created_at") ","                                                              \
	                    " coalesce(v.message_sid, ''), coalesce(u.subscription_id, '')," \
	                    " (extract(epoch FROM u.created_at) * 1000000)::bigint,"         \
	                    " coalesce((SELECT o.channel FROM sms_outbox o"                  \
	                    "  WHERE o.twilio_sid = v.message_sid LIMIT 1), v.channel, '')"
enum {
	U_ID,
	U_PHONE,
	U_EMAIL,
	U_VERIFIED,
	U_VERIFIED_AT,
	U_CREATED_AT,
	U_SID,
	U_SUB,
	U_US,
	U_CHANNEL,
	U_VERIFICATION,
	U_STATUS,
	U_SESSIONS
};

#define USER_FILTER                                                                         \
	" WHERE ($1::int = 0 OR ($1::int = 1) = (u.phone_verified_at IS NOT NULL))"         \
	" AND ($2 = '' OR u.phone_e164 LIKE $2 OR lower(u.email) LIKE lower($2))"           \
	" AND ($3::bigint = 0 OR u.created_at >= to_timestamp($3::bigint / 1000.0))"        \
	" AND ($4::bigint = 0 OR u.created_at < to_timestamp($4::bigint / 1000.0))"         \
	" AND ($5::bigint = 0 OR u.phone_verified_at >= to_timestamp($5::bigint / 1000.0))" \
	" AND ($6::bigint = 0 OR u.phone_verified_at < to_timestamp($6::bigint / 1000.0))"

static const struct pa_stmt st_users
    = { "SELECT" USER_COLS
	" FROM users u LEFT JOIN verifications v ON v.id = u.verified_by" USER_FILTER
	" AND ($7::bigint = 0 OR (u.created_at, u.id) < (timestamptz 'epoch' + $7::bigint *"
	"  interval '1 microsecond', $8::uuid))"
	" ORDER BY u.created_at DESC, u.id DESC LIMIT $9::int",
	      9 };
static const struct pa_stmt st_users_count = { "SELECT count(*) FROM users u" USER_FILTER, 6 };
static const struct pa_stmt st_user_get
    = { "SELECT" USER_COLS ", coalesce(u.verified_by::text, ''),"
	" coalesce((SELECT o.twilio_status FROM sms_outbox o WHERE o.twilio_sid = v.message_sid), "
	"''),"
	" (SELECT count(*) FROM sessions s WHERE s.user_id = u.id AND s.revoked_at IS NULL"
	"  AND s.expires_at > now())"
	" FROM users u LEFT JOIN verifications v ON v.id = u.verified_by"
	" WHERE u.id = nullif($1, '')::uuid OR u.phone_e164 = nullif($2, '')"
	" OR lower(u.email) = lower(nullif($3, ''))"
	" ORDER BY u.phone_verified_at IS NOT NULL DESC, u.created_at DESC LIMIT 1",
	      3 };
static const struct pa_stmt st_timeline
    = { "SELECT * FROM ("
	" SELECT 1 AS kind, " MS(
	    "o.created_at") " AS at, o.verification_id::text,"
	                    "  coalesce(o.twilio_sid, ''), o.state, coalesce(o.error_code, 0),"
	                    "  coalesce((SELECT json_agg(json_build_array(e.status, " MS(
	                        "e.received_at") ","
	                                         "   coalesce(e.error_code, 0)) ORDER BY e.id) "
	                                         "FROM message_status_events e"
	                                         "   WHERE e.outbox_id = o.id), '[]')::text,"
	                                         "  o.channel"
	                                         " FROM sms_outbox o JOIN verifications v ON v.id "
	                                         "= o.verification_id"
	                                         " WHERE v.user_id = $1::uuid OR v.phone_e164 = $2"
	                                         " UNION ALL"
	                                         " SELECT 2, " MS(
	                                             "a.at") ", coalesce(a.verification_id::text, "
	                                                     "''), '', a.outcome, 0, '[]', ''"
	                                                     " FROM audit_events a WHERE a.event = "
	                                                     "'code_checked' AND a.verification_id "
	                                                     "IN"
	                                                     "  (SELECT id FROM verifications "
	                                                     "WHERE user_id = $1::uuid OR "
	                                                     "phone_e164 = $2)"
	                                                     ") t ORDER BY at LIMIT "
	                                                     "200",
	      2 };
enum { T_KIND, T_AT, T_VERIFICATION, T_SID, T_OUTCOME, T_ERROR, T_STATUSES, T_CHANNEL };
static const struct pa_stmt st_audit_list
    = { "SELECT a.id, " MS(
	    "a.at") ", a.event, a.actor, coalesce(a.user_id::text, ''),"
	            " coalesce(a.phone_masked, ''), coalesce(a.verification_id::text, ''),"
	            " coalesce(a.message_sid, ''), coalesce(host(a.end_user_ip), ''), "
	            "coalesce(a.outcome, ''),"
	            " coalesce(a.detail::text, '')"
	            " FROM audit_events a"
	            " WHERE ($1 = '' OR a.event = $1) AND ($2 = '' OR a.user_id::text = $2)"
	            " AND ($3 = '' OR a.phone_masked = $3) AND ($4 = '' OR a.verification_id::text "
	            "= $4)"
	            " AND ($5::bigint = 0 OR a.at >= to_timestamp($5::bigint / 1000.0))"
	            " AND ($6::bigint = 0 OR a.at < to_timestamp($6::bigint / 1000.0))"
	            " AND ($7::bigint = 0 OR (CASE WHEN $8::boolean THEN a.id > $7::bigint"
	            "  ELSE a.id < $7::bigint END))"
	            " AND NOT ($10 <> '' AND a.event = 'admin_call' AND a.detail->>'follow' IS NOT "
	            "DISTINCT FROM $10)"
	            " ORDER BY CASE WHEN $8::boolean THEN a.id END ASC, a.id DESC LIMIT $9::int",
	      10 };
enum {
	A_ID,
	A_AT,
	A_EVENT,
	A_ACTOR,
	A_USER,
	A_PHONE,
	A_VERIFICATION,
	A_SID,
	A_IP,
	A_OUTCOME,
	A_DETAIL
};
static const struct pa_stmt st_messages
    = { "SELECT o.id, o.verification_id::text, o.phone_e164, o.state, coalesce(o.twilio_sid, ''),"
	" coalesce(o.twilio_status, ''), coalesce(o.error_code, 0), coalesce(o.error_message, ''),"
	" o.attempts, " MS("o.created_at") ", " MS("o.sent_at") ", " MS(
	    "o.final_at") ", o.channel, o.kind, coalesce(o.encoding, ''), coalesce(o.segments, 0),"
	                  " o.locale, coalesce(o.fallback_for, 0) FROM sms_outbox o"
	                  " WHERE ($1 = '' OR o.state = $1 OR o.twilio_status = $1) AND ($2 = '' "
	                  "OR o.twilio_sid = $2)"
	                  " AND ($3::bigint = 0 OR o.created_at >= to_timestamp($3::bigint / "
	                  "1000.0))"
	                  " AND ($4::bigint = 0 OR o.created_at < to_timestamp($4::bigint / "
	                  "1000.0))"
	                  " AND ($5::bigint = 0 OR o.id < $5::bigint)"
	                  " ORDER BY o.id DESC LIMIT $6::int",
	      6 };
enum {
	M_ID,
	M_VERIFICATION,
	M_PHONE,
	M_STATE,
	M_SID,
	M_STATUS,
	M_ERROR,
	M_ERROR_MSG,
	M_ATTEMPTS,
	M_CREATED,
	M_SENT,
	M_FINAL,
	M_CHANNEL,
	M_KIND,
	M_ENCODING,
	M_SEGMENTS,
	M_LOCALE,
	M_FALLBACK_FOR
};
/* Statuses are passed through as text, so a new outbox state ('cancelled') is just another key
 * of sends_by_status; sends by country leave cancelled rows out: they never went to Twilio. */
static const struct pa_stmt st_stats
    = { "SELECT count(*) FILTER (WHERE NOT phantom AND backend <> 'test'),"
	" count(*) FILTER (WHERE verified_at IS NOT NULL AND backend <> 'test'),"
	" count(*) FILTER (WHERE NOT phantom AND backend <> 'test' AND (state = 'expired'"
	"  OR state = 'pending' AND expires_at < now())),"
	" (SELECT coalesce(json_agg(json_build_array(s, c) ORDER BY c DESC), '[]')::text FROM"
	"  (SELECT coalesce(twilio_status, state) AS s, count(*) AS c FROM sms_outbox"
	"   WHERE created_at > now() - $1::int * interval '1s' GROUP BY 1) x),"
	" (SELECT coalesce(json_agg(json_build_array(p, c) ORDER BY c DESC), '[]')::text FROM"
	"  (SELECT phone_e164 AS p, count(*) AS c FROM sms_outbox"
	"   WHERE created_at > now() - $1::int * interval '1s' AND state <> 'cancelled'"
	"   GROUP BY 1) x),"
	/* Test numbers are counted apart: they send nothing and would flatter the conversion. */
	" count(*) FILTER (WHERE backend = 'test'),"
	" count(*) FILTER (WHERE backend = 'test' AND verified_at IS NOT NULL),"
	" (SELECT coalesce(json_agg(json_build_array(ch, c) ORDER BY c DESC), '[]')::text FROM"
	"  (SELECT channel AS ch, count(*) AS c FROM sms_outbox"
	"   WHERE created_at > now() - $1::int * interval '1s'"
	"   AND state NOT IN ('cancelled', 'held') GROUP BY 1) x)"
	" FROM verifications WHERE created_at > now() - $1::int * interval '1s'",
	      1 };
enum {
	S_STARTED,
	S_VERIFIED,
	S_EXPIRED,
	S_BY_STATUS,
	S_BY_PHONE,
	S_TEST_STARTED,
	S_TEST_VERIFIED,
	S_BY_CHANNEL
};

static const char *
val(const struct auth_views_page *pg, size_t row, int col)
{
	return PQgetvalue(pg->res, (int) row, col);
}

static int64_t
num(const struct auth_views_page *pg, size_t row, int col)
{
	return strtoll(PQgetvalue(pg->res, (int) row, col), NULL, 10);
}

static pa_err
page(struct pa_db *db, const struct pa_stmt *st, const char *const *params, unsigned limit,
    struct auth_views_page *pg)
{
	pa_err rv;

	*pg = (struct auth_views_page) { .res = NULL };
	if ((rv = pa_db_exec(db, st, params, &pg->res)) != PA_OK)
		return rv;
	pg->n = (size_t) PQntuples(pg->res);
	if (limit > 0 && pg->n > limit)
		pg->n = limit;
	return PA_OK;
}

void
auth_views_page_free(struct auth_views_page *pg)
{
	PQclear(pg->res);
	*pg = (struct auth_views_page) { .res = NULL };
}

pa_err
auth_views_users(struct pa_db *db, const struct auth_views_user_filter *f,
    struct auth_views_page *pg, int64_t *total)
{
	char        filt[16], t[4][24], lim[16];
	const char *params[9]
	    = { filt, f->search, t[0], t[1], t[2], t[3], f->cursor_us, f->cursor_id, lim };
	PGresult *cnt;
	pa_err    rv;

	(void) snprintf(filt, sizeof filt, "%d", f->verified);
	(void) snprintf(t[0], sizeof t[0], "%lld", (long long) f->created_from_ms);
	(void) snprintf(t[1], sizeof t[1], "%lld", (long long) f->created_to_ms);
	(void) snprintf(t[2], sizeof t[2], "%lld", (long long) f->verified_from_ms);
	(void) snprintf(t[3], sizeof t[3], "%lld", (long long) f->verified_to_ms);
	(void) snprintf(lim, sizeof lim, "%u", f->limit);
	if ((rv = page(db, &st_users, params, 0, pg)) != PA_OK)
		return rv;
	if ((rv = pa_db_exec(db, &st_users_count, params, &cnt)) != PA_OK) {
		auth_views_page_free(pg);
		return rv;
	}
	*total = strtoll(PQgetvalue(cnt, 0, 0), NULL, 10);
	PQclear(cnt);
	return PA_OK;
}

void
auth_views_user_at(const struct auth_views_page *pg, size_t i, struct auth_views_user *out)
{
	*out = (struct auth_views_user) { .id = val(pg, i, U_ID),
		.phone_e164                   = val(pg, i, U_PHONE),
		.email                        = val(pg, i, U_EMAIL),
		.message_sid                  = val(pg, i, U_SID),
		.subscription_id              = val(pg, i, U_SUB),
		.verified                     = val(pg, i, U_VERIFIED)[0] == 't',
		.verified_at_ms               = num(pg, i, U_VERIFIED_AT),
		.created_at_ms                = num(pg, i, U_CREATED_AT),
		.cursor_us                    = val(pg, i, U_US),
		.channel                      = val(pg, i, U_CHANNEL) };
}

pa_err
auth_views_user_get(struct pa_db *db, const struct auth_views_who *who, struct auth_views_page *pg)
{
	const char *params[3] = { who->id, who->phone_e164, who->email };

	return page(db, &st_user_get, params, 1, pg);
}

void
auth_views_user_detail_at(const struct auth_views_page *pg, struct auth_views_user_detail *out)
{
	auth_views_user_at(pg, 0, &out->user);
	out->verification_id = val(pg, 0, U_VERIFICATION);
	out->delivery_status = val(pg, 0, U_STATUS);
	out->sessions        = num(pg, 0, U_SESSIONS);
}

pa_err
auth_views_timeline(
    struct pa_db *db, const char *user_id, const char *phone, struct auth_views_page *pg)
{
	const char *params[2] = { user_id, phone };

	return page(db, &st_timeline, params, 0, pg);
}

void
auth_views_timeline_at(
    const struct auth_views_page *pg, size_t i, struct auth_views_timeline_entry *out)
{
	*out = (struct auth_views_timeline_entry) { .send = num(pg, i, T_KIND) == 1,
		.at_ms                                    = num(pg, i, T_AT),
		.verification_id                          = val(pg, i, T_VERIFICATION),
		.message_sid                              = val(pg, i, T_SID),
		.outcome                                  = val(pg, i, T_OUTCOME),
		.error_code                               = (int32_t) num(pg, i, T_ERROR),
		.statuses_json                            = val(pg, i, T_STATUSES),
		.channel                                  = val(pg, i, T_CHANNEL) };
}

pa_err
auth_views_audit_events(
    struct pa_db *db, const struct auth_views_audit_filter *f, struct auth_views_page *pg)
{
	char        from[24], to[24], lim[16];
	const char *params[10] = { f->event, f->user_id, f->phone_masked, f->verification_id, from,
		to, f->cursor, f->oldest_first ? "true" : "false", lim, f->follow_id };

	(void) snprintf(from, sizeof from, "%lld", (long long) f->from_ms);
	(void) snprintf(to, sizeof to, "%lld", (long long) f->to_ms);
	(void) snprintf(lim, sizeof lim, "%u", f->limit);
	return page(db, &st_audit_list, params, 0, pg);
}

void
auth_views_audit_at(const struct auth_views_page *pg, size_t i, struct auth_views_audit_row *out)
{
	*out = (struct auth_views_audit_row) { .id = num(pg, i, A_ID),
		.at_ms                             = num(pg, i, A_AT),
		.event                             = val(pg, i, A_EVENT),
		.actor                             = val(pg, i, A_ACTOR),
		.user_id                           = val(pg, i, A_USER),
		.phone_masked                      = val(pg, i, A_PHONE),
		.verification_id                   = val(pg, i, A_VERIFICATION),
		.message_sid                       = val(pg, i, A_SID),
		.end_user_ip                       = val(pg, i, A_IP),
		.outcome                           = val(pg, i, A_OUTCOME),
		.detail_json                       = val(pg, i, A_DETAIL) };
}

pa_err
auth_views_messages(
    struct pa_db *db, const struct auth_views_message_filter *f, struct auth_views_page *pg)
{
	char        from[24], to[24], lim[16];
	const char *params[6] = { f->state, f->message_sid, from, to, f->cursor, lim };

	(void) snprintf(from, sizeof from, "%lld", (long long) f->from_ms);
	(void) snprintf(to, sizeof to, "%lld", (long long) f->to_ms);
	(void) snprintf(lim, sizeof lim, "%u", f->limit);
	return page(db, &st_messages, params, 0, pg);
}

void
auth_views_message_at(const struct auth_views_page *pg, size_t i, struct auth_views_message *out)
{
	*out = (struct auth_views_message) { .id = num(pg, i, M_ID),
		.verification_id                 = val(pg, i, M_VERIFICATION),
		.phone_e164                      = val(pg, i, M_PHONE),
		.state                           = val(pg, i, M_STATE),
		.message_sid                     = val(pg, i, M_SID),
		.twilio_status                   = val(pg, i, M_STATUS),
		.error_message                   = val(pg, i, M_ERROR_MSG),
		.error_code                      = (int32_t) num(pg, i, M_ERROR),
		.attempts                        = (uint32_t) num(pg, i, M_ATTEMPTS),
		.created_at_ms                   = num(pg, i, M_CREATED),
		.sent_at_ms                      = num(pg, i, M_SENT),
		.final_at_ms                     = num(pg, i, M_FINAL),
		.channel                         = val(pg, i, M_CHANNEL),
		.kind                            = val(pg, i, M_KIND),
		.encoding                        = val(pg, i, M_ENCODING),
		.segments                        = (uint32_t) num(pg, i, M_SEGMENTS),
		.locale                          = val(pg, i, M_LOCALE),
		.fallback_for                    = num(pg, i, M_FALLBACK_FOR) };
}

pa_err
auth_views_stats(struct pa_db *db, uint32_t window_s, struct auth_views_page *pg)
{
	char        wtxt[16];
	const char *params[1] = { wtxt };

	(void) snprintf(wtxt, sizeof wtxt, "%u", window_s);
	return page(db, &st_stats, params, 1, pg);
}

void
auth_views_stats_at(const struct auth_views_page *pg, struct auth_views_stats *out)
{
	*out = (struct auth_views_stats) { .started = num(pg, 0, S_STARTED),
		.verified                           = num(pg, 0, S_VERIFIED),
		.expired                            = num(pg, 0, S_EXPIRED),
		.by_status_json                     = val(pg, 0, S_BY_STATUS),
		.by_phone_json                      = val(pg, 0, S_BY_PHONE),
		.test_started                       = num(pg, 0, S_TEST_STARTED),
		.test_verified                      = num(pg, 0, S_TEST_VERIFIED),
		.by_channel_json                    = val(pg, 0, S_BY_CHANNEL) };
}
