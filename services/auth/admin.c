/* admin.c: the Admin service: who is verified, when, by which message, and what was sent. It
 * runs on its own listener; every call carries the admin token and leaves an audit row naming
 * the method and its filters. Reads only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth.h"
#include "common/log.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 500
#define TIMELINE_MAX 200

#define MS(col) "coalesce((extract(epoch FROM " col ") * 1000)::bigint, 0)"

/* ---- authorization --------------------------------------------------------------------------- */

bool
auth_admin_authorize(struct pa_rpc_call *call, void *arg)
{
	struct auth_app                     *app    = arg;
	const Phoneauth__V1__CallerMetadata *caller = pa_rpc_call_caller(call);
	const char                          *given  = caller->admin_token ? caller->admin_token : "";
	struct auth_worker                  *w      = pa_rpc_call_state(call);
	json_object                         *d;

	if (auth_token_matches(given, app->cfg.admin_token))
		return true;
	pa_log_warn("admin_denied", "method=%s token=%s", pa_rpc_call_method(call),
	    given[0] ? "wrong" : "missing");
	if ((d = json_object_new_object()) != NULL) {
		(void) json_object_object_add(d, "method",
		    json_object_new_string(pa_rpc_call_method(call)));
		(void) json_object_object_add(d, "token",
		    json_object_new_string(given[0] ? "wrong" : "missing"));
		if (auth_audit(w, call, &(struct auth_audit) { .event = "admin_denied",
		                            .actor = "admin", .outcome = "denied",
		                            .detail_json = json_object_to_json_string_ext(d,
		                                JSON_C_TO_STRING_PLAIN) }) != PA_OK)
			pa_log_warn("audit_failed", "event=admin_denied sqlstate=%s",
			    pa_db_sqlstate(w->db));
		json_object_put(d);
	}
	pa_rpc_call_fail(call, CODE(PERMISSION_DENIED), REASON(ADMIN_TOKEN_INVALID),
	    "admin token missing or wrong");
	return false;
}

/* Audits an admin call with its filters (d is consumed). */
static pa_err
admin_audit(struct auth_worker *w, struct pa_rpc_call *call, json_object *d)
{
	pa_err rv;

	if (d == NULL)
		return PA_ENOMEM;
	(void) json_object_object_add(d, "method", json_object_new_string(pa_rpc_call_method(call)));
	rv = auth_audit(w, call, &(struct auth_audit) { .event = "admin_call", .actor = "admin",
	                             .outcome = "ok",
	                             .detail_json = json_object_to_json_string_ext(d,
	                                 JSON_C_TO_STRING_PLAIN) });
	json_object_put(d);
	return rv;
}

static void
jadd_str(json_object *d, const char *k, const char *v)
{
	if (d != NULL && v != NULL && *v != '\0')
		(void) json_object_object_add(d, k, json_object_new_string(v));
}

static void
jadd_int(json_object *d, const char *k, int64_t v)
{
	if (d != NULL && v != 0)
		(void) json_object_object_add(d, k, json_object_new_int64(v));
}

static unsigned
page_size(uint32_t asked)
{
	return asked == 0 ? PAGE_DEFAULT : asked > PAGE_MAX ? PAGE_MAX : asked;
}

/* "%" and "_" in a search are text, not patterns. */
static void
like_prefix(const char *s, char *out, size_t outsz)
{
	size_t n = 0;

	for (; *s != '\0' && n + 3 < outsz; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			out[n++] = '\\';
		out[n++] = *s;
	}
	out[n++] = '%';
	out[n]   = '\0';
}

/* An id cursor ("12345") into out, "0" for none; false for anything else. */
static bool
id_cursor(const char *cursor, char out[24])
{
	size_t n = cursor != NULL ? strlen(cursor) : 0;

	if (n == 0) {
		(void) snprintf(out, 24, "0");
		return true;
	}
	if (strspn(cursor, "0123456789") != n || n > 18)
		return false;
	(void) snprintf(out, 24, "%s", cursor);
	return true;
}

/* The cursor after a page of n rows whose first column is the id, fetched with one row more
 * than n to tell whether there is a next page: that row's predecessor's id, or "". */
static char *
id_next_cursor(const PGresult *res, unsigned n, char next[24])
{
	next[0] = '\0';
	if ((size_t) PQntuples(res) > n)
		(void) snprintf(next, 24, "%s", PQgetvalue(res, (int) n - 1, 0));
	return next;
}

static void
fail_cursor(struct pa_rpc_call *call, json_object *d)
{
	json_object_put(d);
	pa_rpc_call_fail(call, CODE(INVALID_ARGUMENT), REASON(REASON_UNSPECIFIED), "bad cursor");
}

static int64_t
ll(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static char *
val(const PGresult *r, int row, int col)
{
	return PQgetvalue(r, row, col);
}

#define FAIL_RETURN(rv)                        \
	do {                                       \
		pa_rpc_call_fail_err(call, (rv));      \
		closure(NULL, data);                   \
		return;                                \
	} while (0)

/* ---- ListUsers ------------------------------------------------------------------------------- */

#define USER_COLS                                                                             \
	" u.id::text, coalesce(u.phone_e164, ''), coalesce(u.email, ''),"                         \
	" u.phone_verified_at IS NOT NULL, " MS("u.phone_verified_at") ", " MS("u.created_at") "," \
	" coalesce(v.message_sid, ''), coalesce(u.subscription_id, ''),"                          \
	" (extract(epoch FROM u.created_at) * 1000000)::bigint"

#define USER_FILTER                                                                           \
	" WHERE ($1::int = 0 OR ($1::int = 1) = (u.phone_verified_at IS NOT NULL))"               \
	" AND ($2 = '' OR u.phone_e164 LIKE $2 OR lower(u.email) LIKE lower($2))"                 \
	" AND ($3::bigint = 0 OR u.created_at >= to_timestamp($3::bigint / 1000.0))"              \
	" AND ($4::bigint = 0 OR u.created_at < to_timestamp($4::bigint / 1000.0))"               \
	" AND ($5::bigint = 0 OR u.phone_verified_at >= to_timestamp($5::bigint / 1000.0))"       \
	" AND ($6::bigint = 0 OR u.phone_verified_at < to_timestamp($6::bigint / 1000.0))"

static const struct pa_stmt st_users = {
	"SELECT" USER_COLS " FROM users u LEFT JOIN verifications v ON v.id = u.verified_by"
	USER_FILTER
	" AND ($7::bigint = 0 OR (u.created_at, u.id) < (timestamptz 'epoch' + $7::bigint *"
	"  interval '1 microsecond', $8::uuid))"
	" ORDER BY u.created_at DESC, u.id DESC LIMIT $9::int",
	9
};
static const struct pa_stmt st_users_count = {
	"SELECT count(*) FROM users u" USER_FILTER, 6
};

static void
user_fill(Phoneauth__V1__UserSummary *u, const PGresult *r, int i, char *masked)
{
	phoneauth__v1__user_summary__init(u);
	u->user_id             = val(r, i, 0);
	u->phone_e164          = val(r, i, 1);
	u->phone_masked        = (char *) (u->phone_e164[0] ? pa_phone_mask(u->phone_e164, masked) : "");
	u->email               = val(r, i, 2);
	u->verified            = val(r, i, 3)[0] == 't';
	u->verified_at_unix_ms = ll(r, i, 4);
	u->created_at_unix_ms  = ll(r, i, 5);
	u->message_sid         = val(r, i, 6);
	u->subscription_id     = val(r, i, 7);
}

static void
admin_list_users(Phoneauth__V1__Admin_Service *svc, const Phoneauth__V1__ListUsersRequest *in,
    Phoneauth__V1__ListUsersResponse_Closure closure, void *data)
{
	struct pa_rpc_call               *call = data;
	struct auth_worker               *w    = pa_rpc_call_state(call);
	Phoneauth__V1__ListUsersResponse  resp = PHONEAUTH__V1__LIST_USERS_RESPONSE__INIT;
	Phoneauth__V1__UserSummary       *rows = NULL, **ptrs = NULL;
	char (*masked)[PA_PHONE_MASK_MAX]       = NULL;
	char        filt[16], pat[300] = "", t[4][24], cur_us[24] = "0", cur_id[37] = "", lim[16];
	char        next[80] = "";
	const char *params[9] = { filt, pat, t[0], t[1], t[2], t[3], cur_us, NULL, lim };
	unsigned    n = page_size(in->page_size);
	PGresult   *res = NULL, *cnt = NULL;
	json_object *d = json_object_new_object();
	pa_err       rv;

	(void) svc;
	(void) snprintf(filt, sizeof filt, "%d", (int) in->verified);
	if (in->search != NULL && in->search[0] != '\0')
		like_prefix(in->search, pat, sizeof pat);
	(void) snprintf(t[0], sizeof t[0], "%lld", (long long) in->created_from_unix_ms);
	(void) snprintf(t[1], sizeof t[1], "%lld", (long long) in->created_to_unix_ms);
	(void) snprintf(t[2], sizeof t[2], "%lld", (long long) in->verified_from_unix_ms);
	(void) snprintf(t[3], sizeof t[3], "%lld", (long long) in->verified_to_unix_ms);
	if (in->cursor != NULL && in->cursor[0] != '\0') {
		if (sscanf(in->cursor, "%23[0-9]/%36s", cur_us, cur_id) != 2 || !auth_is_uuid(cur_id)) {
			fail_cursor(call, d);
			closure(NULL, data);
			return;
		}
		params[7] = cur_id;
	}
	(void) snprintf(lim, sizeof lim, "%u", n + 1);
	(void) json_object_object_add(d, "verified", json_object_new_int(in->verified));
	jadd_str(d, "search", in->search);
	jadd_int(d, "created_from_unix_ms", in->created_from_unix_ms);
	jadd_int(d, "created_to_unix_ms", in->created_to_unix_ms);
	jadd_int(d, "verified_from_unix_ms", in->verified_from_unix_ms);
	jadd_int(d, "verified_to_unix_ms", in->verified_to_unix_ms);
	jadd_str(d, "cursor", in->cursor);
	if ((rv = admin_audit(w, call, d)) != PA_OK ||
	    (rv = pa_db_exec(w->db, &st_users, params, &res)) != PA_OK ||
	    (rv = pa_db_exec(w->db, &st_users_count, params, &cnt)) != PA_OK) {
		PQclear(res);
		FAIL_RETURN(rv);
	}
	resp.total   = (uint64_t) ll(cnt, 0, 0);
	resp.n_users = (size_t) PQntuples(res) > n ? n : (size_t) PQntuples(res);
	if (resp.n_users > 0 &&
	    ((rows = calloc(resp.n_users, sizeof *rows)) == NULL ||
	        (ptrs = calloc(resp.n_users, sizeof *ptrs)) == NULL ||
	        (masked = calloc(resp.n_users, sizeof *masked)) == NULL)) {
		free(rows);
		free(ptrs);
		PQclear(res);
		PQclear(cnt);
		FAIL_RETURN(PA_ENOMEM);
	}
	for (size_t i = 0; i < resp.n_users; i++) {
		user_fill(&rows[i], res, (int) i, masked[i]);
		ptrs[i] = &rows[i];
	}
	resp.users = ptrs;
	if ((size_t) PQntuples(res) > n) {
		(void) snprintf(next, sizeof next, "%s/%s", val(res, (int) n - 1, 8), val(res, (int) n - 1, 0));
		resp.next_cursor = next;
	}
	closure(&resp, data);
	free(rows);
	free(ptrs);
	free(masked);
	PQclear(res);
	PQclear(cnt);
}

/* ---- GetUser --------------------------------------------------------------------------------- */

static const struct pa_stmt st_user_get = {
	"SELECT" USER_COLS ", coalesce(u.verified_by::text, ''),"
	" coalesce((SELECT o.twilio_status FROM sms_outbox o WHERE o.twilio_sid = v.message_sid), ''),"
	" (SELECT count(*) FROM sessions s WHERE s.user_id = u.id AND s.revoked_at IS NULL"
	"  AND s.expires_at > now())"
	" FROM users u LEFT JOIN verifications v ON v.id = u.verified_by"
	" WHERE u.id::text = $1 OR u.phone_e164 = $1 OR lower(u.email) = lower($1)"
	" ORDER BY u.phone_verified_at IS NOT NULL DESC, u.created_at DESC LIMIT 1",
	1
};
/* Sends (one row per outbox row, its statuses as JSON) and code checks, oldest first. */
static const struct pa_stmt st_timeline = {
	"SELECT * FROM ("
	" SELECT 1 AS kind, " MS("o.created_at") " AS at, o.verification_id::text,"
	"  coalesce(o.twilio_sid, ''), o.state, coalesce(o.error_code, 0),"
	"  coalesce((SELECT json_agg(json_build_array(e.status, " MS("e.received_at") ","
	"   coalesce(e.error_code, 0)) ORDER BY e.id) FROM message_status_events e"
	"   WHERE e.outbox_id = o.id), '[]')::text"
	" FROM sms_outbox o JOIN verifications v ON v.id = o.verification_id"
	" WHERE v.user_id = $1::uuid OR v.phone_e164 = $2"
	" UNION ALL"
	" SELECT 2, " MS("a.at") ", coalesce(a.verification_id::text, ''), '', a.outcome, 0, '[]'"
	" FROM audit_events a WHERE a.event = 'code_checked' AND a.verification_id IN"
	"  (SELECT id FROM verifications WHERE user_id = $1::uuid OR phone_e164 = $2)"
	") t ORDER BY at LIMIT " "200",
	2
};

static void
admin_get_user(Phoneauth__V1__Admin_Service *svc, const Phoneauth__V1__GetUserRequest *in,
    Phoneauth__V1__GetUserResponse_Closure closure, void *data)
{
	struct pa_rpc_call            *call = data;
	struct auth_worker            *w    = pa_rpc_call_state(call);
	Phoneauth__V1__GetUserResponse resp = PHONEAUTH__V1__GET_USER_RESPONSE__INIT;
	Phoneauth__V1__UserSummary     user;
	Phoneauth__V1__TimelineEntry  *tl = NULL, **tlp = NULL;
	Phoneauth__V1__StatusChange   *sc = NULL, **scp = NULL;
	json_object                  **parsed = NULL;
	char                           masked[PA_PHONE_MASK_MAX];
	const char                    *params[1] = { in->user ? in->user : "" };
	const char                    *tparams[2];
	json_object                   *d = json_object_new_object();
	PGresult                      *res = NULL, *tres = NULL;
	size_t                         nsc = 0, k = 0;
	pa_err                         rv;

	(void) svc;
	jadd_str(d, "user", in->user);
	if ((rv = admin_audit(w, call, d)) != PA_OK ||
	    (rv = pa_db_exec(w->db, &st_user_get, params, &res)) != PA_OK)
		FAIL_RETURN(rv);
	if (PQntuples(res) == 0) {
		PQclear(res);
		pa_rpc_call_fail(call, CODE(NOT_FOUND), REASON(REASON_UNSPECIFIED), "no such user");
		closure(NULL, data);
		return;
	}
	user_fill(&user, res, 0, masked);
	resp.user            = &user;
	resp.verification_id = val(res, 0, 9);
	resp.delivery_status = val(res, 0, 10);
	resp.sessions        = (uint32_t) ll(res, 0, 11);
	tparams[0]           = user.user_id;
	tparams[1]           = user.phone_e164;
	if ((rv = pa_db_exec(w->db, &st_timeline, tparams, &tres)) != PA_OK) {
		PQclear(res);
		FAIL_RETURN(rv);
	}
	resp.n_timeline = (size_t) PQntuples(tres);
	if (resp.n_timeline > 0) {
		tl     = calloc(resp.n_timeline, sizeof *tl);
		tlp    = calloc(resp.n_timeline, sizeof *tlp);
		parsed = calloc(resp.n_timeline, sizeof *parsed);
		for (size_t i = 0; parsed != NULL && i < resp.n_timeline; i++) {
			parsed[i] = json_tokener_parse(val(tres, (int) i, 6));
			if (parsed[i] != NULL && json_object_is_type(parsed[i], json_type_array))
				nsc += json_object_array_length(parsed[i]);
		}
		if (nsc > 0) {
			sc  = calloc(nsc, sizeof *sc);
			scp = calloc(nsc, sizeof *scp);
		}
	}
	if (resp.n_timeline > 0 && (tl == NULL || tlp == NULL || parsed == NULL ||
	                               (nsc > 0 && (sc == NULL || scp == NULL)))) {
		rv = PA_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < resp.n_timeline; i++) {
		Phoneauth__V1__TimelineEntry *e = &tl[i];

		phoneauth__v1__timeline_entry__init(e);
		e->kind            = ll(tres, (int) i, 0) == 1 ?
		                         PHONEAUTH__V1__TIMELINE_ENTRY__KIND__SEND :
		                         PHONEAUTH__V1__TIMELINE_ENTRY__KIND__CODE_CHECK;
		e->at_unix_ms      = ll(tres, (int) i, 1);
		e->verification_id = val(tres, (int) i, 2);
		e->message_sid     = val(tres, (int) i, 3);
		e->outcome         = val(tres, (int) i, 4);
		e->error_code      = (int32_t) ll(tres, (int) i, 5);
		if (parsed[i] != NULL && json_object_is_type(parsed[i], json_type_array)) {
			size_t m = json_object_array_length(parsed[i]);

			e->statuses   = &scp[k];
			e->n_statuses = m;
			for (size_t j = 0; j < m; j++, k++) {
				json_object *a = json_object_array_get_idx(parsed[i], j);

				phoneauth__v1__status_change__init(&sc[k]);
				sc[k].status     = (char *) json_object_get_string(json_object_array_get_idx(a, 0));
				sc[k].at_unix_ms = json_object_get_int64(json_object_array_get_idx(a, 1));
				sc[k].error_code = json_object_get_int(json_object_array_get_idx(a, 2));
				scp[k]           = &sc[k];
			}
		}
		tlp[i] = e;
	}
	resp.timeline = tlp;
	closure(&resp, data);
out:
	if (rv != PA_OK) {
		pa_rpc_call_fail_err(call, rv);
		closure(NULL, data);
	}
	for (size_t i = 0; parsed != NULL && i < resp.n_timeline; i++)
		json_object_put(parsed[i]);
	free(parsed);
	free(tl);
	free(tlp);
	free(sc);
	free(scp);
	PQclear(res);
	PQclear(tres);
}

/* ---- ListAuditEvents ------------------------------------------------------------------------- */

static const struct pa_stmt st_audit_list = {
	"SELECT a.id, " MS("a.at") ", a.event, a.actor, coalesce(a.user_id::text, ''),"
	" coalesce(a.phone_masked, ''), coalesce(a.verification_id::text, ''),"
	" coalesce(a.message_sid, ''), coalesce(host(a.end_user_ip), ''), coalesce(a.outcome, ''),"
	" coalesce(a.detail::text, '')"
	" FROM audit_events a"
	" WHERE ($1 = '' OR a.event = $1) AND ($2 = '' OR a.user_id::text = $2)"
	" AND ($3 = '' OR a.phone_masked = $3) AND ($4 = '' OR a.verification_id::text = $4)"
	" AND ($5::bigint = 0 OR a.at >= to_timestamp($5::bigint / 1000.0))"
	" AND ($6::bigint = 0 OR a.at < to_timestamp($6::bigint / 1000.0))"
	" AND ($7::bigint = 0 OR (CASE WHEN $8::boolean THEN a.id > $7::bigint"
	"  ELSE a.id < $7::bigint END))"
	" AND NOT ($10 <> '' AND a.event = 'admin_call' AND a.detail->>'follow' IS NOT DISTINCT FROM $10)"
	" ORDER BY CASE WHEN $8::boolean THEN a.id END ASC, a.id DESC LIMIT $9::int",
	10
};

static void
admin_list_audit_events(Phoneauth__V1__Admin_Service *svc,
    const Phoneauth__V1__ListAuditEventsRequest *in,
    Phoneauth__V1__ListAuditEventsResponse_Closure closure, void *data)
{
	struct pa_rpc_call                     *call = data;
	struct auth_worker                     *w    = pa_rpc_call_state(call);
	Phoneauth__V1__ListAuditEventsResponse  resp = PHONEAUTH__V1__LIST_AUDIT_EVENTS_RESPONSE__INIT;
	Phoneauth__V1__AuditEvent              *rows = NULL, **ptrs = NULL;
	char        masked[PA_PHONE_MASK_MAX] = "", from[24], to[24], cur[24], lim[16];
	char        next[24] = "";
	const char *params[10] = { in->event ? in->event : "", in->user_id ? in->user_id : "",
		masked, in->verification_id ? in->verification_id : "", from, to, cur,
		in->oldest_first ? "true" : "false", lim, in->follow_id ? in->follow_id : "" };
	unsigned     n = page_size(in->page_size);
	json_object *d = json_object_new_object();
	PGresult    *res;
	pa_err       rv;

	(void) svc;
	/* A phone filter matches the stored (masked) form. */
	if (in->phone != NULL && in->phone[0] != '\0')
		(void) pa_phone_mask(in->phone, masked);
	(void) snprintf(from, sizeof from, "%lld", (long long) in->from_unix_ms);
	(void) snprintf(to, sizeof to, "%lld", (long long) in->to_unix_ms);
	if (!id_cursor(in->cursor, cur)) {
		fail_cursor(call, d);
		closure(NULL, data);
		return;
	}
	(void) snprintf(lim, sizeof lim, "%u", n + 1);
	jadd_str(d, "event", in->event);
	jadd_str(d, "user_id", in->user_id);
	jadd_str(d, "phone", masked);
	jadd_str(d, "verification_id", in->verification_id);
	jadd_int(d, "from_unix_ms", in->from_unix_ms);
	jadd_int(d, "to_unix_ms", in->to_unix_ms);
	jadd_str(d, "cursor", in->cursor);
	jadd_str(d, "follow", in->follow_id);
	if ((in->user_id && in->user_id[0] && !auth_is_uuid(in->user_id)) ||
	    (in->verification_id && in->verification_id[0] && !auth_is_uuid(in->verification_id))) {
		json_object_put(d);
		pa_rpc_call_fail(call, CODE(INVALID_ARGUMENT), REASON(REASON_UNSPECIFIED), "ids are UUIDs");
		closure(NULL, data);
		return;
	}
	if ((rv = admin_audit(w, call, d)) != PA_OK ||
	    (rv = pa_db_exec(w->db, &st_audit_list, params, &res)) != PA_OK)
		FAIL_RETURN(rv);
	resp.n_events = (size_t) PQntuples(res) > n ? n : (size_t) PQntuples(res);
	if (resp.n_events > 0 && ((rows = calloc(resp.n_events, sizeof *rows)) == NULL ||
	                             (ptrs = calloc(resp.n_events, sizeof *ptrs)) == NULL)) {
		free(rows);
		PQclear(res);
		FAIL_RETURN(PA_ENOMEM);
	}
	for (size_t i = 0; i < resp.n_events; i++) {
		Phoneauth__V1__AuditEvent *e = &rows[i];
		int                        r = (int) i;

		phoneauth__v1__audit_event__init(e);
		e->id              = (uint64_t) ll(res, r, 0);
		e->at_unix_ms      = ll(res, r, 1);
		e->event           = val(res, r, 2);
		e->actor           = val(res, r, 3);
		e->user_id         = val(res, r, 4);
		e->phone_masked    = val(res, r, 5);
		e->verification_id = val(res, r, 6);
		e->message_sid     = val(res, r, 7);
		e->end_user_ip     = val(res, r, 8);
		e->outcome         = val(res, r, 9);
		e->detail_json     = val(res, r, 10);
		ptrs[i]            = e;
	}
	resp.events = ptrs;
	resp.next_cursor = id_next_cursor(res, n, next);
	closure(&resp, data);
	free(rows);
	free(ptrs);
	PQclear(res);
}

/* ---- ListMessages ---------------------------------------------------------------------------- */

static const struct pa_stmt st_messages = {
	"SELECT o.id, o.verification_id::text, o.phone_e164, o.state, coalesce(o.twilio_sid, ''),"
	" coalesce(o.twilio_status, ''), coalesce(o.error_code, 0), coalesce(o.error_message, ''),"
	" o.attempts, " MS("o.created_at") ", " MS("o.sent_at") ", " MS("o.final_at")
	" FROM sms_outbox o"
	" WHERE ($1 = '' OR o.state = $1 OR o.twilio_status = $1) AND ($2 = '' OR o.twilio_sid = $2)"
	" AND ($3::bigint = 0 OR o.created_at >= to_timestamp($3::bigint / 1000.0))"
	" AND ($4::bigint = 0 OR o.created_at < to_timestamp($4::bigint / 1000.0))"
	" AND ($5::bigint = 0 OR o.id < $5::bigint)"
	" ORDER BY o.id DESC LIMIT $6::int",
	6
};

static void
admin_list_messages(Phoneauth__V1__Admin_Service *svc,
    const Phoneauth__V1__ListMessagesRequest *in, Phoneauth__V1__ListMessagesResponse_Closure closure,
    void *data)
{
	struct pa_rpc_call                 *call = data;
	struct auth_worker                 *w    = pa_rpc_call_state(call);
	Phoneauth__V1__ListMessagesResponse resp = PHONEAUTH__V1__LIST_MESSAGES_RESPONSE__INIT;
	Phoneauth__V1__Message             *rows = NULL, **ptrs = NULL;
	char (*masked)[PA_PHONE_MASK_MAX]        = NULL;
	char        from[24], to[24], cur[24], lim[16], next[24] = "";
	const char *params[6] = { in->state ? in->state : "", in->message_sid ? in->message_sid : "",
		from, to, cur, lim };
	unsigned     n = page_size(in->page_size);
	json_object *d = json_object_new_object();
	PGresult    *res;
	pa_err       rv;

	(void) svc;
	(void) snprintf(from, sizeof from, "%lld", (long long) in->from_unix_ms);
	(void) snprintf(to, sizeof to, "%lld", (long long) in->to_unix_ms);
	if (!id_cursor(in->cursor, cur)) {
		fail_cursor(call, d);
		closure(NULL, data);
		return;
	}
	(void) snprintf(lim, sizeof lim, "%u", n + 1);
	jadd_str(d, "state", in->state);
	jadd_str(d, "message_sid", in->message_sid);
	jadd_int(d, "from_unix_ms", in->from_unix_ms);
	jadd_int(d, "to_unix_ms", in->to_unix_ms);
	jadd_str(d, "cursor", in->cursor);
	if ((rv = admin_audit(w, call, d)) != PA_OK ||
	    (rv = pa_db_exec(w->db, &st_messages, params, &res)) != PA_OK)
		FAIL_RETURN(rv);
	resp.n_messages = (size_t) PQntuples(res) > n ? n : (size_t) PQntuples(res);
	if (resp.n_messages > 0 && ((rows = calloc(resp.n_messages, sizeof *rows)) == NULL ||
	                               (ptrs = calloc(resp.n_messages, sizeof *ptrs)) == NULL ||
	                               (masked = calloc(resp.n_messages, sizeof *masked)) == NULL)) {
		free(rows);
		free(ptrs);
		PQclear(res);
		FAIL_RETURN(PA_ENOMEM);
	}
	for (size_t i = 0; i < resp.n_messages; i++) {
		Phoneauth__V1__Message *m = &rows[i];
		int                     r = (int) i;

		phoneauth__v1__message__init(m);
		m->id                 = (uint64_t) ll(res, r, 0);
		m->verification_id    = val(res, r, 1);
		m->phone_masked       = (char *) pa_phone_mask(val(res, r, 2), masked[i]);
		m->state              = val(res, r, 3);
		m->message_sid        = val(res, r, 4);
		m->twilio_status      = val(res, r, 5);
		m->error_code         = (int32_t) ll(res, r, 6);
		m->error_message      = val(res, r, 7);
		m->attempts           = (uint32_t) ll(res, r, 8);
		m->created_at_unix_ms = ll(res, r, 9);
		m->sent_at_unix_ms    = ll(res, r, 10);
		m->final_at_unix_ms   = ll(res, r, 11);
		ptrs[i]               = m;
	}
	resp.messages = ptrs;
	resp.next_cursor = id_next_cursor(res, n, next);
	closure(&resp, data);
	free(rows);
	free(ptrs);
	free(masked);
	PQclear(res);
}

/* ---- Stats ----------------------------------------------------------------------------------- */

static const struct pa_stmt st_stats = {
	"SELECT count(*) FILTER (WHERE NOT phantom),"
	" count(*) FILTER (WHERE verified_at IS NOT NULL),"
	" count(*) FILTER (WHERE NOT phantom AND (state = 'expired'"
	"  OR state = 'pending' AND expires_at < now())),"
	" (SELECT coalesce(json_agg(json_build_array(s, c) ORDER BY c DESC), '[]')::text FROM"
	"  (SELECT coalesce(twilio_status, state) AS s, count(*) AS c FROM sms_outbox"
	"   WHERE created_at > now() - $1::int * interval '1s' GROUP BY 1) x),"
	" (SELECT coalesce(json_agg(json_build_array(p, c) ORDER BY c DESC), '[]')::text FROM"
	"  (SELECT phone_e164 AS p, count(*) AS c FROM sms_outbox"
	"   WHERE created_at > now() - $1::int * interval '1s' GROUP BY 1) x)"
	" FROM verifications WHERE created_at > now() - $1::int * interval '1s'",
	1
};

static void
admin_stats(Phoneauth__V1__Admin_Service *svc, const Phoneauth__V1__StatsRequest *in,
    Phoneauth__V1__StatsResponse_Closure closure, void *data)
{
	struct pa_rpc_call          *call = data;
	struct auth_worker          *w    = pa_rpc_call_state(call);
	Phoneauth__V1__StatsResponse resp = PHONEAUTH__V1__STATS_RESPONSE__INIT;
	uint32_t                     win  = in->window_s == 0 ? 86400 : in->window_s;
	char                         wtxt[16];
	const char                  *params[1] = { wtxt };
	json_object                 *d = json_object_new_object(), *by_status = NULL, *by_phone = NULL;
	Phoneauth__V1__CountBy       st[32], ct[64], *stp[32], *ctp[64];
	char                         cc[64][8];
	PGresult                    *res;
	pa_err                       rv;

	(void) svc;
	(void) snprintf(wtxt, sizeof wtxt, "%u", win);
	jadd_int(d, "window_s", win);
	if ((rv = admin_audit(w, call, d)) != PA_OK ||
	    (rv = pa_db_exec(w->db, &st_stats, params, &res)) != PA_OK)
		FAIL_RETURN(rv);
	resp.window_s               = win;
	resp.verifications_started  = (uint64_t) ll(res, 0, 0);
	resp.verifications_verified = (uint64_t) ll(res, 0, 1);
	resp.verifications_expired  = (uint64_t) ll(res, 0, 2);
	by_status                   = json_tokener_parse(val(res, 0, 3));
	by_phone                    = json_tokener_parse(val(res, 0, 4));
	for (size_t i = 0; by_status && i < json_object_array_length(by_status) && i < 32; i++) {
		json_object *a = json_object_array_get_idx(by_status, i);

		phoneauth__v1__count_by__init(&st[i]);
		st[i].key   = (char *) json_object_get_string(json_object_array_get_idx(a, 0));
		st[i].count = (uint64_t) json_object_get_int64(json_object_array_get_idx(a, 1));
		stp[i]      = &st[i];
		resp.n_sends_by_status++;
	}
	/* Countries by calling code: the mask keeps "+<code>" in front of the stars. */
	for (size_t i = 0; by_phone && i < json_object_array_length(by_phone); i++) {
		json_object *a = json_object_array_get_idx(by_phone, i);
		char         m[PA_PHONE_MASK_MAX];
		size_t       j, len;

		(void) pa_phone_mask(json_object_get_string(json_object_array_get_idx(a, 0)), m);
		len = strcspn(m, "*");
		if (len >= sizeof cc[0])
			len = sizeof cc[0] - 1;
		for (j = 0; j < resp.n_sends_by_country; j++)
			if (strncmp(cc[j], m, len) == 0 && cc[j][len] == '\0')
				break;
		if (j == resp.n_sends_by_country) {
			if (j == 64)
				continue;
			memcpy(cc[j], m, len);
			cc[j][len] = '\0';
			phoneauth__v1__count_by__init(&ct[j]);
			ct[j].key  = cc[j];
			ctp[j]     = &ct[j];
			resp.n_sends_by_country++;
		}
		ct[j].count += (uint64_t) json_object_get_int64(json_object_array_get_idx(a, 1));
	}
	resp.sends_by_status  = stp;
	resp.sends_by_country = ctp;
	closure(&resp, data);
	json_object_put(by_status);
	json_object_put(by_phone);
	PQclear(res);
}

/* ---- VerifyAudit ----------------------------------------------------------------------------- */

static void
admin_verify_audit(Phoneauth__V1__Admin_Service *svc, const Phoneauth__V1__VerifyAuditRequest *in,
    Phoneauth__V1__VerifyAuditResponse_Closure closure, void *data)
{
	struct pa_rpc_call                *call = data;
	struct auth_worker                *w    = pa_rpc_call_state(call);
	Phoneauth__V1__VerifyAuditResponse resp = PHONEAUTH__V1__VERIFY_AUDIT_RESPONSE__INIT;
	struct auth_audit_report           rep;
	char                               pk[65], hash[65];
	pa_err                             rv;

	unsigned char                      known[32];
	size_t                             known_len = 0;
	json_object                       *d         = json_object_new_object();

	(void) svc;
	if (in->known_hash_hex != NULL && in->known_hash_hex[0] != '\0' &&
	    (sodium_hex2bin(known, sizeof known, in->known_hash_hex, strlen(in->known_hash_hex), NULL,
	         &known_len, NULL) != 0 || known_len != sizeof known)) {
		json_object_put(d);
		pa_rpc_call_fail(call, CODE(INVALID_ARGUMENT), REASON(REASON_UNSPECIFIED),
		    "known_hash_hex must be 64 hex characters");
		closure(NULL, data);
		return;
	}
	jadd_str(d, "known_hash", in->known_hash_hex);
	if (!w->app->audit_signing) {
		json_object_put(d);
		pa_rpc_call_fail(call, CODE(FAILED_PRECONDITION), REASON(REASON_UNSPECIFIED),
		    "PHONEAUTH_AUDIT_KEY is not set: the audit trail is not signed");
		closure(NULL, data);
		return;
	}
	/* The call's own audit row is written first, so the check covers who asked. */
	if ((rv = admin_audit(w, call, d)) != PA_OK ||
	    (rv = auth_auditchain_verify(w->db, w->app->audit_pk, known_len ? known : NULL, &rep)) !=
	        PA_OK)
		FAIL_RETURN(rv);
	resp.ok              = rep.ok;
	resp.checkpoints     = (uint64_t) rep.checkpoints;
	resp.rows_checked    = (uint64_t) rep.rows;
	resp.rows_unsigned   = (uint64_t) rep.rows_unsigned;
	resp.last_signed_row = (uint64_t) rep.last_row;
	resp.last_hash_hex   = sodium_bin2hex(hash, sizeof hash, rep.last_hash, sizeof rep.last_hash);
	resp.public_key_hex  = sodium_bin2hex(pk, sizeof pk, rep.public_key, sizeof rep.public_key);
	resp.bad_row         = (uint64_t) rep.bad_row;
	resp.bad_checkpoint  = (uint64_t) rep.bad_checkpoint;
	resp.problem         = rep.problem;
	if (!rep.ok)
		pa_log_error("audit_tampered", "checkpoint=%lld row=%lld", (long long) rep.bad_checkpoint,
		    (long long) rep.bad_row);
	closure(&resp, data);
}

void
auth_admin_init(struct auth_app *app)
{
	static const Phoneauth__V1__Admin_Service svc = PHONEAUTH__V1__ADMIN__INIT(admin_);

	app->admin = svc;
}
