/* admin_reports.c: the Admin views of what happened: audit events, messages, counts, and the
 * check of the signed audit chain. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "admin.h"
#include "auditchain.h"
#include "common/log.h"
#include "common/phone.h"
#include "ids.h"
#include "phoneauth/v1/admin.pb-c.h"
#include "store_admin.h"

/* ---- ListAuditEvents ------------------------------------------------------------------------- */

struct pa_rpc_result
auth_admin_list_audit_events(struct pa_rpc_call *call, void *state, const void *in_, void *out_)
{
	struct auth_worker                          *w   = state;
	const Phoneauth__V1__ListAuditEventsRequest *in  = in_;
	Phoneauth__V1__ListAuditEventsResponse      *out = out_;
	unsigned                                     n   = auth_admin_page_size(in->page_size);
	char                           masked[PA_PHONE_MASK_MAX] = "", cur[24], next[24];
	struct auth_views_audit_filter f = { .event = in->event ? in->event : "",
		.user_id                            = in->user_id ? in->user_id : "",
		.phone_masked                       = masked,
		.verification_id = in->verification_id ? in->verification_id : "",
		.follow_id       = in->follow_id ? in->follow_id : "",
		.from_ms         = in->from_unix_ms,
		.to_ms           = in->to_unix_ms,
		.cursor          = cur,
		.oldest_first    = in->oldest_first,
		.limit           = n + 1 };
	json_object                   *d = json_object_new_object();
	struct auth_views_page         pg;
	struct auth_views_audit_row    row;
	bool                           oom = false;
	pa_err                         rv;

	/* A phone filter matches the stored (masked) form. */
	if (in->phone != NULL && in->phone[0] != '\0')
		(void) pa_phone_mask(in->phone, masked);
	if (!auth_admin_id_cursor(in->cursor, cur))
		return auth_admin_bad_cursor(d);
	auth_admin_jstr(d, "event", in->event);
	auth_admin_jstr(d, "user_id", in->user_id);
	auth_admin_jstr(d, "phone", masked);
	auth_admin_jstr(d, "verification_id", in->verification_id);
	auth_admin_jint(d, "from_unix_ms", in->from_unix_ms);
	auth_admin_jint(d, "to_unix_ms", in->to_unix_ms);
	auth_admin_jstr(d, "cursor", in->cursor);
	auth_admin_jstr(d, "follow", in->follow_id);
	if ((in->user_id && in->user_id[0] && !auth_is_uuid(in->user_id))
	    || (in->verification_id && in->verification_id[0]
	        && !auth_is_uuid(in->verification_id))) {
		json_object_put(d);
		return pa_rpc_fail(
		    CODE(INVALID_ARGUMENT), REASON(REASON_UNSPECIFIED), "ids are UUIDs");
	}
	if ((rv = auth_admin_audit(w, call, d)) != PA_OK
	    || (rv = auth_views_audit_events(w->db, &f, &pg)) != PA_OK)
		return pa_rpc_fail_err(rv);
	out->n_events = pg.n > n ? n : pg.n;
	out->events   = pa_rpc_call_alloc(call, (out->n_events + 1) * sizeof *out->events);
	oom           = out->events == NULL;
	for (size_t i = 0; !oom && i < out->n_events; i++) {
		Phoneauth__V1__AuditEvent *e = pa_rpc_call_alloc(call, sizeof *e);

		if ((out->events[i] = e) == NULL) {
			oom = true;
			break;
		}
		auth_views_audit_at(&pg, i, &row);
		phoneauth__v1__audit_event__init(e);
		e->id              = (uint64_t) row.id;
		e->at_unix_ms      = row.at_ms;
		e->event           = auth_admin_dup(call, row.event, &oom);
		e->actor           = auth_admin_dup(call, row.actor, &oom);
		e->user_id         = auth_admin_dup(call, row.user_id, &oom);
		e->phone_masked    = auth_admin_dup(call, row.phone_masked, &oom);
		e->verification_id = auth_admin_dup(call, row.verification_id, &oom);
		e->message_sid     = auth_admin_dup(call, row.message_sid, &oom);
		e->end_user_ip     = auth_admin_dup(call, row.end_user_ip, &oom);
		e->outcome         = auth_admin_dup(call, row.outcome, &oom);
		e->detail_json     = auth_admin_dup(call, row.detail_json, &oom);
	}
	next[0] = '\0';
	if (!oom && pg.n > n) {
		auth_views_audit_at(&pg, n - 1, &row);
		(void) snprintf(next, sizeof next, "%lld", (long long) row.id);
	}
	out->next_cursor = auth_admin_dup(call, next, &oom);
	auth_views_page_free(&pg);
	return oom ? pa_rpc_fail_err(PA_ENOMEM) : pa_rpc_ok(NULL);
}

/* ---- ListMessages ---------------------------------------------------------------------------- */

static void
message_fill(struct pa_rpc_call *call, Phoneauth__V1__Message *m,
    const struct auth_views_message *row, enum pa_phone_mask_style style, bool *oom)
{
	char masked[PA_PHONE_MASK_MAX];

	phoneauth__v1__message__init(m);
	m->id              = (uint64_t) row->id;
	m->verification_id = auth_admin_dup(call, row->verification_id, oom);
	m->phone_masked
	    = auth_admin_dup(call, pa_phone_mask_styled(row->phone_e164, style, masked), oom);
	m->state              = auth_admin_dup(call, row->state, oom);
	m->message_sid        = auth_admin_dup(call, row->message_sid, oom);
	m->twilio_status      = auth_admin_dup(call, row->twilio_status, oom);
	m->error_code         = row->error_code;
	m->error_message      = auth_admin_dup(call, row->error_message, oom);
	m->attempts           = row->attempts;
	m->created_at_unix_ms = row->created_at_ms;
	m->sent_at_unix_ms    = row->sent_at_ms;
	m->final_at_unix_ms   = row->final_at_ms;
	m->channel            = auth_admin_dup(call, row->channel, oom);
	m->kind               = auth_admin_dup(call, row->kind, oom);
	m->encoding           = auth_admin_dup(call, row->encoding, oom);
	m->segments           = row->segments;
	m->locale             = auth_admin_dup(call, row->locale, oom);
	m->fallback_for       = (uint64_t) row->fallback_for;
}

struct pa_rpc_result
auth_admin_list_messages(struct pa_rpc_call *call, void *state, const void *in_, void *out_)
{
	struct auth_worker                       *w   = state;
	const Phoneauth__V1__ListMessagesRequest *in  = in_;
	Phoneauth__V1__ListMessagesResponse      *out = out_;
	unsigned                                  n   = auth_admin_page_size(in->page_size);
	char                                      cur[24], next[24];
	struct auth_views_message_filter          f = { .state = in->state ? in->state : "",
		         .message_sid = in->message_sid ? in->message_sid : "",
		         .from_ms     = in->from_unix_ms,
		         .to_ms       = in->to_unix_ms,
		         .cursor      = cur,
		         .limit       = n + 1 };
	json_object                              *d = json_object_new_object();
	struct auth_views_page                    pg;
	struct auth_views_message                 row;
	bool                                      oom = false;
	pa_err                                    rv;

	if (!auth_admin_id_cursor(in->cursor, cur))
		return auth_admin_bad_cursor(d);
	auth_admin_jstr(d, "state", in->state);
	auth_admin_jstr(d, "message_sid", in->message_sid);
	auth_admin_jint(d, "from_unix_ms", in->from_unix_ms);
	auth_admin_jint(d, "to_unix_ms", in->to_unix_ms);
	auth_admin_jstr(d, "cursor", in->cursor);
	if ((rv = auth_admin_audit(w, call, d)) != PA_OK
	    || (rv = auth_views_messages(w->db, &f, &pg)) != PA_OK)
		return pa_rpc_fail_err(rv);
	out->n_messages = pg.n > n ? n : pg.n;
	out->messages   = pa_rpc_call_alloc(call, (out->n_messages + 1) * sizeof *out->messages);
	oom             = out->messages == NULL;
	for (size_t i = 0; !oom && i < out->n_messages; i++) {
		if ((out->messages[i] = pa_rpc_call_alloc(call, sizeof *out->messages[i]))
		    == NULL) {
			oom = true;
			break;
		}
		auth_views_message_at(&pg, i, &row);
		message_fill(call, out->messages[i], &row, w->app->policy.phone_mask, &oom);
	}
	next[0] = '\0';
	if (!oom && pg.n > n) {
		auth_views_message_at(&pg, n - 1, &row);
		(void) snprintf(next, sizeof next, "%lld", (long long) row.id);
	}
	out->next_cursor = auth_admin_dup(call, next, &oom);
	auth_views_page_free(&pg);
	return oom ? pa_rpc_fail_err(PA_ENOMEM) : pa_rpc_ok(NULL);
}

/* ---- Stats ----------------------------------------------------------------------------------- */

#define STATS_STATUSES 32
#define STATS_COUNTRIES 64

/* A CountBy in the call's memory. */
static Phoneauth__V1__CountBy *
count_new(struct pa_rpc_call *call, const char *key, bool *oom)
{
	Phoneauth__V1__CountBy *c = pa_rpc_call_alloc(call, sizeof *c);

	if (c == NULL) {
		*oom = true;
		return NULL;
	}
	phoneauth__v1__count_by__init(c);
	c->key = auth_admin_dup(call, key, oom);
	return c;
}

/* Sends by country calling code: the mask keeps "+<code>" in front of the stars. */
static void
stats_countries(
    struct pa_rpc_call *call, json_object *by_phone, Phoneauth__V1__StatsResponse *out, bool *oom)
{
	size_t n = by_phone != NULL ? json_object_array_length(by_phone) : 0;

	out->sends_by_country
	    = pa_rpc_call_alloc(call, STATS_COUNTRIES * sizeof *out->sends_by_country);
	if (out->sends_by_country == NULL) {
		*oom = n > 0;
		return;
	}
	for (size_t i = 0; !*oom && i < n; i++) {
		json_object *a = json_object_array_get_idx(by_phone, i);
		char         m[PA_PHONE_MASK_MAX], cc[8];
		size_t       j, len;

		(void) pa_phone_mask(json_object_get_string(json_object_array_get_idx(a, 0)), m);
		len = strcspn(m, "*");
		if (len >= sizeof cc)
			len = sizeof cc - 1;
		memcpy(cc, m, len);
		cc[len] = '\0';
		for (j = 0; j < out->n_sends_by_country; j++)
			if (strcmp(out->sends_by_country[j]->key, cc) == 0)
				break;
		if (j == out->n_sends_by_country) {
			if (j == STATS_COUNTRIES)
				continue;
			if ((out->sends_by_country[j] = count_new(call, cc, oom)) == NULL)
				return;
			out->n_sends_by_country++;
		}
		out->sends_by_country[j]->count
		    += (uint64_t) json_object_get_int64(json_object_array_get_idx(a, 1));
	}
}

/* A JSON array of [key, count] into a CountBy list of at most max entries. */
static void
count_list(struct pa_rpc_call *call, json_object *arr, size_t max, Phoneauth__V1__CountBy ***out,
    size_t *n, bool *oom)
{
	*out = pa_rpc_call_alloc(call, (max > 0 ? max : 1) * sizeof **out);
	*n   = 0;
	if (*out == NULL) {
		*oom = true;
		return;
	}
	for (size_t i = 0; arr != NULL && i < json_object_array_length(arr) && i < max; i++) {
		json_object *a = json_object_array_get_idx(arr, i);

		(*out)[i]
		    = count_new(call, json_object_get_string(json_object_array_get_idx(a, 0)), oom);
		if ((*out)[i] == NULL)
			break;
		(*out)[i]->count
		    = (uint64_t) json_object_get_int64(json_object_array_get_idx(a, 1));
		(*n)++;
	}
}

struct pa_rpc_result
auth_admin_stats(struct pa_rpc_call *call, void *state, const void *in_, void *out_)
{
	struct auth_worker                *w   = state;
	const Phoneauth__V1__StatsRequest *in  = in_;
	Phoneauth__V1__StatsResponse      *out = out_;
	uint32_t                           win = in->window_s == 0 ? 86400 : in->window_s;
	json_object            *d = json_object_new_object(), *by_status, *by_phone, *by_channel;
	struct auth_views_page  pg;
	struct auth_views_stats s;
	bool                    oom = false;
	pa_err                  rv;

	auth_admin_jint(d, "window_s", win);
	if ((rv = auth_admin_audit(w, call, d)) != PA_OK
	    || (rv = auth_views_stats(w->db, win, &pg)) != PA_OK)
		return pa_rpc_fail_err(rv);
	auth_views_stats_at(&pg, &s);
	out->window_s                    = win;
	out->verifications_started       = (uint64_t) s.started;
	out->verifications_verified      = (uint64_t) s.verified;
	out->verifications_expired       = (uint64_t) s.expired;
	out->test_verifications_started  = (uint64_t) s.test_started;
	out->test_verifications_verified = (uint64_t) s.test_verified;
	by_status                        = json_tokener_parse(s.by_status_json);
	by_phone                         = json_tokener_parse(s.by_phone_json);
	by_channel                       = json_tokener_parse(s.by_channel_json);
	count_list(
	    call, by_status, STATS_STATUSES, &out->sends_by_status, &out->n_sends_by_status, &oom);
	count_list(call, by_channel, 2, &out->sends_by_channel, &out->n_sends_by_channel, &oom);
	json_object_put(by_channel);
	stats_countries(call, by_phone, out, &oom);
	if (!oom && (rv = auth_admin_stats_conversion(w, call, win, out)) != PA_OK) {
		json_object_put(by_status);
		json_object_put(by_phone);
		auth_views_page_free(&pg);
		return pa_rpc_fail_err(rv);
	}
	json_object_put(by_status);
	json_object_put(by_phone);
	auth_views_page_free(&pg);
	return oom ? pa_rpc_fail_err(PA_ENOMEM) : pa_rpc_ok(NULL);
}

/* ---- VerifyAudit ----------------------------------------------------------------------------- */

struct pa_rpc_result
auth_admin_verify_audit(struct pa_rpc_call *call, void *state, const void *in_, void *out_)
{
	struct auth_worker                      *w   = state;
	const Phoneauth__V1__VerifyAuditRequest *in  = in_;
	Phoneauth__V1__VerifyAuditResponse      *out = out_;
	struct auth_audit_report                 rep;
	char                                     pk[65], hash[65];
	unsigned char                            known[32];
	size_t                                   known_len = 0;
	json_object                             *d         = json_object_new_object();
	bool                                     oom       = false;
	pa_err                                   rv;

	if (in->known_hash_hex != NULL && in->known_hash_hex[0] != '\0'
	    && (sodium_hex2bin(known, sizeof known, in->known_hash_hex, strlen(in->known_hash_hex),
	            NULL, &known_len, NULL)
	            != 0
	        || known_len != sizeof known)) {
		json_object_put(d);
		return pa_rpc_fail(CODE(INVALID_ARGUMENT), REASON(REASON_UNSPECIFIED),
		    "known_hash_hex must be 64 hex characters");
	}
	auth_admin_jstr(d, "known_hash", in->known_hash_hex);
	if (!w->app->audit_signing) {
		json_object_put(d);
		return pa_rpc_fail(CODE(FAILED_PRECONDITION), REASON(REASON_UNSPECIFIED),
		    "PHONEAUTH_AUDIT_KEY is not set: the audit trail is not signed");
	}
	/* The call's own audit row is written first, so the check covers who asked. */
	if ((rv = auth_admin_audit(w, call, d)) != PA_OK
	    || (rv = auth_auditchain_verify(
	            w->db, w->app->audit_pk, known_len ? known : NULL, &rep))
	        != PA_OK)
		return pa_rpc_fail_err(rv);
	out->ok              = rep.ok;
	out->checkpoints     = (uint64_t) rep.checkpoints;
	out->rows_checked    = (uint64_t) rep.rows;
	out->rows_unsigned   = (uint64_t) rep.rows_unsigned;
	out->last_signed_row = (uint64_t) rep.last_row;
	out->last_hash_hex   = auth_admin_dup(
	      call, sodium_bin2hex(hash, sizeof hash, rep.last_hash, sizeof rep.last_hash), &oom);
	out->public_key_hex = auth_admin_dup(
	    call, sodium_bin2hex(pk, sizeof pk, rep.public_key, sizeof rep.public_key), &oom);
	out->bad_row        = (uint64_t) rep.bad_row;
	out->bad_checkpoint = (uint64_t) rep.bad_checkpoint;
	out->problem        = auth_admin_dup(call, rep.problem, &oom);
	if (!rep.ok)
		pa_log_error("audit_tampered", "checkpoint=%lld row=%lld",
		    (long long) rep.bad_checkpoint, (long long) rep.bad_row);
	return oom ? pa_rpc_fail_err(PA_ENOMEM) : pa_rpc_ok(NULL);
}
