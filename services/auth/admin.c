/* admin.c: the Admin service's table, its authorize hook (the admin token, compared in constant
 * time; a refusal is audited), the helpers its handlers share, and the user views (ListUsers,
 * GetUser with its timeline of sends and code checks). */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "caller.h"
#include "common/log.h"
#include "common/phone.h"
#include "ids.h"
#include "input.h"
#include "phoneauth/v1/admin.pb-c.h"
#include "store_admin.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 500

static pa_rpc_authorize_fn admin_authorize;

static const struct pa_rpc_method methods[] = {
	{ "ListUsers", PA_RPC_FAST, auth_admin_list_users },
	{ "GetUser", PA_RPC_FAST, auth_admin_get_user },
	{ "ListAuditEvents", PA_RPC_FAST, auth_admin_list_audit_events },
	{ "ListMessages", PA_RPC_FAST, auth_admin_list_messages },
	{ "Stats", PA_RPC_FAST, auth_admin_stats },
	{ "VerifyAudit", PA_RPC_FAST, auth_admin_verify_audit },
	{ "ListBreakers", PA_RPC_FAST, auth_admin_list_breakers },
	{ "RearmBreaker", PA_RPC_FAST, auth_admin_rearm_breaker },
};

struct pa_rpc_service
auth_admin_service(struct auth_app *app)
{
	return (struct pa_rpc_service) { .desc = &phoneauth__v1__admin__descriptor,
		.methods                       = methods,
		.n_methods                     = sizeof methods / sizeof methods[0],
		.authorize                     = admin_authorize,
		.arg                           = app };
}

/* ---- authorization --------------------------------------------------------------------------- */

static struct pa_rpc_result
admin_authorize(struct pa_rpc_call *call, void *state, void *arg)
{
	struct auth_app                     *app    = arg;
	struct auth_worker                  *w      = state;
	const Phoneauth__V1__CallerMetadata *caller = pa_rpc_call_caller(call);
	const char                          *given = caller->admin_token ? caller->admin_token : "";
	json_object                         *d;

	if (auth_token_matches(given, app->cfg.admin_token))
		return pa_rpc_ok(NULL);
	pa_log_warn("admin_denied", "method=%s token=%s", pa_rpc_call_method(call),
	    given[0] ? "wrong" : "missing");
	if ((d = json_object_new_object()) != NULL) {
		auth_admin_jstr(d, "method", pa_rpc_call_method(call));
		auth_admin_jstr(d, "token", given[0] ? "wrong" : "missing");
		if (auth_audit_write(w->db,
		        &(struct auth_audit) { .event = "admin_denied",
		            .actor                    = "admin",
		            .outcome                  = "denied",
		            .ip                       = auth_caller_ip(call),
		            .detail_json
		            = json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN) })
		    != PA_OK)
			pa_log_warn("audit_failed", "event=admin_denied sqlstate=%s",
			    pa_db_sqlstate(w->db));
		json_object_put(d);
	}
	return pa_rpc_fail(
	    CODE(PERMISSION_DENIED), REASON(ADMIN_TOKEN_INVALID), "admin token missing or wrong");
}

/* ---- helpers --------------------------------------------------------------------------------- */

pa_err
auth_admin_audit(struct auth_worker *w, struct pa_rpc_call *call, json_object *d)
{
	pa_err rv;

	if (d == NULL)
		return PA_ENOMEM;
	(void) json_object_object_add(
	    d, "method", json_object_new_string(pa_rpc_call_method(call)));
	rv = auth_audit_write(w->db,
	    &(struct auth_audit) { .event = "admin_call",
	        .actor                    = "admin",
	        .outcome                  = "ok",
	        .ip                       = auth_caller_ip(call),
	        .detail_json = json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN) });
	json_object_put(d);
	return rv;
}

void
auth_admin_jstr(json_object *d, const char *k, const char *v)
{
	if (d != NULL && v != NULL && *v != '\0')
		(void) json_object_object_add(d, k, json_object_new_string(v));
}

void
auth_admin_jint(json_object *d, const char *k, int64_t v)
{
	if (d != NULL && v != 0)
		(void) json_object_object_add(d, k, json_object_new_int64(v));
}

unsigned
auth_admin_page_size(uint32_t asked)
{
	return asked == 0 ? PAGE_DEFAULT : asked > PAGE_MAX ? PAGE_MAX : asked;
}

bool
auth_admin_id_cursor(const char *cursor, char out[24])
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

struct pa_rpc_result
auth_admin_bad_cursor(json_object *d)
{
	json_object_put(d);
	return pa_rpc_fail(CODE(INVALID_ARGUMENT), REASON(REASON_UNSPECIFIED), "bad cursor");
}

char *
auth_admin_dup(struct pa_rpc_call *call, const char *s, bool *oom)
{
	char *p = pa_rpc_call_strdup(call, s);

	if (p == NULL) {
		*oom = true;
		return (char *) "";
	}
	return p;
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

/* ---- ListUsers ------------------------------------------------------------------------------- */

static void
user_fill(struct pa_rpc_call *call, Phoneauth__V1__UserSummary *u,
    const struct auth_views_user *row, enum pa_phone_mask_style style, bool *oom)
{
	char masked[PA_PHONE_MASK_MAX];

	phoneauth__v1__user_summary__init(u);
	u->user_id             = auth_admin_dup(call, row->id, oom);
	u->phone_e164          = auth_admin_dup(call, row->phone_e164, oom);
	u->phone_masked        = auth_admin_dup(call,
            row->phone_e164[0] ? pa_phone_mask_styled(row->phone_e164, style, masked) : "", oom);
	u->email               = auth_admin_dup(call, row->email, oom);
	u->verified            = row->verified;
	u->verified_at_unix_ms = row->verified_at_ms;
	u->created_at_unix_ms  = row->created_at_ms;
	u->message_sid         = auth_admin_dup(call, row->message_sid, oom);
	u->subscription_id     = auth_admin_dup(call, row->subscription_id, oom);
	u->channel             = auth_admin_dup(call, row->channel, oom);
}

static json_object *
users_detail(const Phoneauth__V1__ListUsersRequest *in)
{
	json_object *d = json_object_new_object();

	if (d != NULL)
		(void) json_object_object_add(d, "verified", json_object_new_int(in->verified));
	auth_admin_jstr(d, "search", in->search);
	auth_admin_jint(d, "created_from_unix_ms", in->created_from_unix_ms);
	auth_admin_jint(d, "created_to_unix_ms", in->created_to_unix_ms);
	auth_admin_jint(d, "verified_from_unix_ms", in->verified_from_unix_ms);
	auth_admin_jint(d, "verified_to_unix_ms", in->verified_to_unix_ms);
	auth_admin_jstr(d, "cursor", in->cursor);
	return d;
}

struct pa_rpc_result
auth_admin_list_users(struct pa_rpc_call *call, void *state, const void *in_, void *out_)
{
	struct auth_worker                    *w   = state;
	const Phoneauth__V1__ListUsersRequest *in  = in_;
	Phoneauth__V1__ListUsersResponse      *out = out_;
	unsigned                               n   = auth_admin_page_size(in->page_size);
	char pat[300] = "", cur_us[24] = "0", cur_id[AUTH_UUID_LEN] = "", next[80];
	struct auth_views_user_filter f = { .verified = (int) in->verified,
		.search                               = pat,
		.created_from_ms                      = in->created_from_unix_ms,
		.created_to_ms                        = in->created_to_unix_ms,
		.verified_from_ms                     = in->verified_from_unix_ms,
		.verified_to_ms                       = in->verified_to_unix_ms,
		.cursor_us                            = cur_us,
		.limit                                = n + 1 };
	struct auth_views_page        pg;
	struct auth_views_user        row;
	struct pa_phone               ph;
	int64_t                       total;
	bool                          oom = false;
	pa_err                        rv;

	/* A whole phone number in any format the Auth RPCs accept searches by its E.164 form. */
	if (in->search != NULL && in->search[0] != '\0' && strchr(in->search, '@') == NULL
	    && auth_phone_accept(w->app, &w->app->policy, in->search, &ph).code == CODE(OK))
		like_prefix(ph.e164, pat, sizeof pat);
	else if (in->search != NULL && in->search[0] != '\0')
		like_prefix(in->search, pat, sizeof pat);
	if (in->cursor != NULL && in->cursor[0] != '\0') {
		if (sscanf(in->cursor, "%23[0-9]/%36s", cur_us, cur_id) != 2
		    || !auth_is_uuid(cur_id))
			return auth_admin_bad_cursor(users_detail(in));
		f.cursor_id = cur_id;
	}
	if ((rv = auth_admin_audit(w, call, users_detail(in))) != PA_OK
	    || (rv = auth_views_users(w->db, &f, &pg, &total)) != PA_OK)
		return pa_rpc_fail_err(rv);
	out->total   = (uint64_t) total;
	out->n_users = pg.n > n ? n : pg.n;
	out->users   = pa_rpc_call_alloc(call, (out->n_users + 1) * sizeof *out->users);
	oom          = out->users == NULL;
	for (size_t i = 0; !oom && i < out->n_users; i++) {
		if ((out->users[i] = pa_rpc_call_alloc(call, sizeof *out->users[i])) == NULL) {
			oom = true;
			break;
		}
		auth_views_user_at(&pg, i, &row);
		user_fill(call, out->users[i], &row, w->app->policy.phone_mask, &oom);
	}
	if (!oom && pg.n > n) {
		auth_views_user_at(&pg, n - 1, &row);
		(void) snprintf(next, sizeof next, "%s/%s", row.cursor_us, row.id);
		out->next_cursor = auth_admin_dup(call, next, &oom);
	}
	auth_views_page_free(&pg);
	return oom ? pa_rpc_fail_err(PA_ENOMEM) : pa_rpc_ok(NULL);
}

/* ---- GetUser --------------------------------------------------------------------------------- */

/* One timeline entry into e; statuses come from the entry's JSON array. */
static void
timeline_fill(struct pa_rpc_call *call, Phoneauth__V1__TimelineEntry *e,
    const struct auth_views_timeline_entry *row, bool *oom)
{
	json_object *a = json_tokener_parse(row->statuses_json);

	phoneauth__v1__timeline_entry__init(e);
	e->kind            = row->send ? PHONEAUTH__V1__TIMELINE_ENTRY__KIND__SEND
	                               : PHONEAUTH__V1__TIMELINE_ENTRY__KIND__CODE_CHECK;
	e->at_unix_ms      = row->at_ms;
	e->verification_id = auth_admin_dup(call, row->verification_id, oom);
	e->message_sid     = auth_admin_dup(call, row->message_sid, oom);
	e->outcome         = auth_admin_dup(call, row->outcome, oom);
	e->error_code      = row->error_code;
	e->channel         = auth_admin_dup(call, row->channel, oom);
	if (a != NULL && json_object_is_type(a, json_type_array)) {
		size_t m = json_object_array_length(a);

		e->statuses = pa_rpc_call_alloc(call, (m + 1) * sizeof *e->statuses);
		for (size_t j = 0; e->statuses != NULL && j < m; j++) {
			json_object                 *s = json_object_array_get_idx(a, j);
			Phoneauth__V1__StatusChange *c = pa_rpc_call_alloc(call, sizeof *c);

			if (c == NULL)
				break;
			phoneauth__v1__status_change__init(c);
			c->status = auth_admin_dup(
			    call, json_object_get_string(json_object_array_get_idx(s, 0)), oom);
			c->at_unix_ms  = json_object_get_int64(json_object_array_get_idx(s, 1));
			c->error_code  = json_object_get_int(json_object_array_get_idx(s, 2));
			e->statuses[j] = c;
			e->n_statuses  = j + 1;
		}
		if (e->statuses == NULL || e->n_statuses != m)
			*oom = true;
	}
	json_object_put(a);
}

/* What an admin typed into GetUser, read like the site's input: a user id, an email in any case,
 * or a phone in any format the Auth RPCs accept (this deployment's default region and
 * countries, libphonenumber), normalised to E.164. */
struct admin_who {
	char                  text[PA_PHONE_INPUT_MAX + 192]; /* the input, trimmed */
	char                  phone[17], email[256], id[AUTH_UUID_LEN];
	struct auth_views_who q;
};

static void
who_parse(struct auth_app *app, const char *input, struct admin_who *w)
{
	struct pa_phone ph;
	const char     *s = input != NULL ? input : "";
	size_t          n;

	*w   = (struct admin_who) { .text = "" };
	w->q = (struct auth_views_who) { .id = w->id, .phone_e164 = w->phone, .email = w->email };
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
		n--;
	(void) snprintf(w->text, sizeof w->text, "%.*s", (int) n, s);
	if (strchr(w->text, '@') != NULL)
		auth_email_identity(w->text, w->email);
	else if (auth_is_uuid(w->text))
		(void) snprintf(w->id, sizeof w->id, "%.36s", w->text);
	else if (auth_phone_accept(app, &app->policy, w->text, &ph).code == CODE(OK))
		(void) snprintf(w->phone, sizeof w->phone, "%s", ph.e164);
}

/* The NOT_FOUND answer: says what was looked for, in the call's memory. */
static struct pa_rpc_result
who_not_found(struct pa_rpc_call *call, struct auth_app *app, const struct admin_who *w)
{
	char  msg[400];
	char *m;

	if (w->id[0] != '\0')
		(void) snprintf(msg, sizeof msg, "no user with id %s", w->id);
	else if (w->email[0] != '\0')
		(void) snprintf(msg, sizeof msg, "no user with email %s", w->email);
	else if (w->phone[0] != '\0' && strcmp(w->phone, w->text) == 0)
		(void) snprintf(msg, sizeof msg, "no user with phone %s", w->phone);
	else if (w->phone[0] != '\0')
		(void) snprintf(
		    msg, sizeof msg, "no user with phone %s (read from \"%s\")", w->phone, w->text);
	else
		(void) snprintf(msg, sizeof msg,
		    "no user matches \"%s\": not a user id, an email, or a phone number this "
		    "service accepts (default region %s)",
		    w->text, app->cfg.default_region);
	m = pa_rpc_call_strdup(call, msg);
	return pa_rpc_fail(
	    CODE(NOT_FOUND), REASON(REASON_UNSPECIFIED), m != NULL ? m : "no such user");
}

struct pa_rpc_result
auth_admin_get_user(struct pa_rpc_call *call, void *state, const void *in_, void *out_)
{
	struct auth_worker                  *w   = state;
	struct auth_app                     *app = pa_rpc_call_service_arg(call);
	const Phoneauth__V1__GetUserRequest *in  = in_;
	Phoneauth__V1__GetUserResponse      *out = out_;
	json_object                         *d   = json_object_new_object();
	struct auth_views_page               pg, tl = { .res = NULL };
	struct auth_views_user_detail        u;
	struct auth_views_timeline_entry     e;
	struct admin_who                     who;
	bool                                 oom = false;
	pa_err                               rv;

	who_parse(app, in->user, &who);
	auth_admin_jstr(d, "user", in->user);
	if ((rv = auth_admin_audit(w, call, d)) != PA_OK)
		return pa_rpc_fail_err(rv);
	if (who.id[0] == '\0' && who.phone[0] == '\0' && who.email[0] == '\0')
		return who_not_found(call, app, &who);
	if ((rv = auth_views_user_get(w->db, &who.q, &pg)) != PA_OK)
		return pa_rpc_fail_err(rv);
	if (pg.n == 0) {
		auth_views_page_free(&pg);
		return who_not_found(call, app, &who);
	}
	auth_views_user_detail_at(&pg, &u);
	if ((out->user = pa_rpc_call_alloc(call, sizeof *out->user)) == NULL)
		oom = true;
	else
		user_fill(call, out->user, &u.user, w->app->policy.phone_mask, &oom);
	out->verification_id = auth_admin_dup(call, u.verification_id, &oom);
	out->delivery_status = auth_admin_dup(call, u.delivery_status, &oom);
	out->sessions        = (uint32_t) u.sessions;
	if (!oom
	    && (rv = auth_views_timeline(w->db, out->user->user_id, out->user->phone_e164, &tl))
	        != PA_OK) {
		auth_views_page_free(&pg);
		return pa_rpc_fail_err(rv);
	}
	out->timeline = pa_rpc_call_alloc(call, (tl.n + 1) * sizeof *out->timeline);
	for (size_t i = 0; !oom && out->timeline != NULL && i < tl.n; i++) {
		if ((out->timeline[i] = pa_rpc_call_alloc(call, sizeof *out->timeline[i])) == NULL)
			break;
		auth_views_timeline_at(&tl, i, &e);
		timeline_fill(call, out->timeline[i], &e, &oom);
		out->n_timeline = i + 1;
	}
	if (out->n_timeline != tl.n)
		oom = true;
	auth_views_page_free(&tl);
	auth_views_page_free(&pg);
	return oom ? pa_rpc_fail_err(PA_ENOMEM) : pa_rpc_ok(NULL);
}
