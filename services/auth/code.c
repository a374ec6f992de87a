/* code.c: the sending side of the code engine (code.h): starts and resends under the phone's
 * lock, cooldown and send limits, a new code whose MAC is stored and whose texts (SMS, WhatsApp,
 * a held fallback) are sealed into the outbox in the same transaction; the plaintext code never
 * leaves new_code(). StartSignup makes 3 round trips (the account check aside). */
#include "code.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "caller.h"
#include "code_verify.h"
#include "common/log.h"
#include "common/smsenc.h"
#include "health.h"
#include "jobs.h"
#include "store.h"
#include "store_codes.h"
#include "store_limits.h"

/* One outbox row of a send: its channel and its sealed body (malloc'd): the SMS text, or the
 * WhatsApp template's ContentVariables. */
struct send_row {
	enum pa_channel channel;
	unsigned char  *sealed;
	size_t          sealed_len;
	const char     *encoding; /* SMS: "GSM-7" or "UCS-2"; else NULL */
	bool            verify; /* a Twilio Verify send: nothing sealed (code_verify.h) */
	int             segments; /* SMS: what Twilio bills; else 0 */
};

/* An SMS body's encoding and segments, recorded with its row and shown to admins. */
static void
measure_sms(const char *body, struct send_row *row)
{
	struct pa_sms_size z;

	pa_sms_measure(body, &z);
	row->encoding = z.encoding;
	row->segments = z.segments;
}

/* What one send of a code is: who it is for and how it goes. */
struct send_plan {
	bool            phantom; /* a non-enumerating stand-in: a real row, nothing sent */
	const char     *fixed; /* a test number's fixed code: nothing sent; else NULL */
	enum pa_channel channel;
	enum pa_channel fallback; /* PA_CHANNEL_NONE, or sent held for when channel fails */
	bool            verify; /* Twilio Verify makes, sends and checks the code: no MAC here */
};

/* Room for a send's audit detail (send_detail). */
#define AUTH_DETAIL_MAX 128

/* A new code for verification id: its MAC and the rows that carry it (none for a phantom or a
 * test number; a second, held, for the fallback channel). */
struct new_code {
	unsigned char   mac[AUTH_MAC_BYTES];
	struct send_row row[2];
	size_t          nrows;
};

int
auth_code_length(const struct pa_policy *p, const char *purpose)
{
	/* A login code (the second factor) opens an account as a reset code does. */
	return strcmp(purpose, "password_reset") == 0 || strcmp(purpose, "login") == 0
	    ? p->reset_code_length
	    : p->code_length;
}

static void
new_code_free(struct new_code *nc)
{
	for (size_t i = 0; i < nc->nrows; i++)
		free(nc->row[i].sealed);
	nc->nrows = 0;
}

/* The body of code on channel, sealed to verification id: an SMS is the language's template;
 * WhatsApp carries only the code, as variable 1 of the approved template (the worker adds the
 * template's ContentSid, so the words are the ones Meta approved). */
static pa_err
seal_row(struct auth_app *app, const struct pa_policy *lp, const char *id, const char *code,
    enum pa_channel ch, struct send_row *row)
{
	char   body[PA_SMS_BODY_MAX];
	pa_err rv;

	*row = (struct send_row) { .channel = ch };
	if (ch == PA_CHANNEL_WHATSAPP)
		rv = snprintf(body, sizeof body, "{\"1\":\"%s\"}", code) < (int) sizeof body
		    ? PA_OK
		    : PA_ETOOBIG;
	else
		rv = pa_policy_render_sms(lp, code, body, sizeof body);
	if (rv == PA_OK && ch == PA_CHANNEL_SMS)
		measure_sms(body, row);
	if (rv == PA_OK)
		rv = pa_seal(&row->sealed, &row->sealed_len, &app->outbox_keys, id, strlen(id),
		    body, strlen(body));
	sodium_memzero(body, sizeof body);
	return rv;
}

static pa_err
new_code(struct auth_app *app, const struct pa_policy *lp, const char *id, const char *purpose,
    const struct send_plan *plan, struct new_code *out)
{
	char   code[16];
	pa_err rv = PA_OK;

	out->nrows = 0;
	if (plan->verify) {
		/* Verify has its own channels and no fallback of ours: one row, nothing sealed. */
		memset(out->mac, 0, sizeof out->mac);
		if (!plan->phantom)
			out->row[out->nrows++]
			    = (struct send_row) { .channel = plan->channel, .verify = true };
		return PA_OK;
	}
	if (plan->fixed != NULL) /* as long as the purpose's codes: a test number looks like any */
		(void) snprintf(code, sizeof code, "%.*s", auth_code_length(&app->policy, purpose),
		    plan->fixed);
	else if ((rv = pa_otp_generate(
	              code, sizeof code, (unsigned) auth_code_length(&app->policy, purpose)))
	    != PA_OK)
		return rv;
	pa_otp_mac(out->mac, &app->otp_keys, id, code);
	if (!plan->phantom && plan->fixed == NULL) {
		rv = seal_row(app, lp, id, code, plan->channel, &out->row[out->nrows]);
		if (rv == PA_OK)
			out->nrows++;
		if (rv == PA_OK && plan->fallback != PA_CHANNEL_NONE
		    && plan->fallback != plan->channel) {
			rv = seal_row(app, lp, id, code, plan->fallback, &out->row[out->nrows]);
			if (rv == PA_OK)
				out->nrows++;
		}
	}
	sodium_memzero(code, sizeof code);
	if (rv != PA_OK)
		new_code_free(out);
	return rv;
}

/* The outbox rows of nc as batch steps (a[i] for row i); the first row's id comes back in *res.
 * Returns how many steps. */
static size_t
outbox_steps(const struct pa_policy *lp, const char *id, const char *phone, int ttl_s,
    const struct new_code *nc, struct auth_args *a, struct pa_db_step *steps, PGresult **res)
{
	for (size_t i = 0; i < nc->nrows; i++)
		steps[i] = auth_outbox_insert_step(&a[i],
		    &(struct auth_outbox_new) { .verification_id = id,
		        .phone                                   = phone,
		        .sealed                                  = nc->row[i].sealed,
		        .sealed_len                              = nc->row[i].sealed_len,
		        .ttl_s                                   = ttl_s,
		        .channel  = pa_channel_name(nc->row[i].channel),
		        .locale   = lp->locale,
		        .encoding = nc->row[i].encoding,
		        .segments = nc->row[i].segments,
		        .kind     = nc->row[i].verify ? "verify" : NULL,
		        .held     = i > 0 },
		    i == 0 ? res : NULL);
	return nc->nrows;
}

struct pa_rpc_result
auth_code_channel(const struct pa_policy *p, int asked, enum pa_channel dflt, enum pa_channel *out)
{
	switch (asked) {
	case PHONEAUTH__V1__CHANNEL__CHANNEL_UNSPECIFIED:
		*out = dflt;
		break;
	case PHONEAUTH__V1__CHANNEL__CHANNEL_SMS:
		*out = PA_CHANNEL_SMS;
		break;
	case PHONEAUTH__V1__CHANNEL__CHANNEL_WHATSAPP:
		*out = PA_CHANNEL_WHATSAPP;
		break;
	default:
		return pa_rpc_fail(CODE(INVALID_ARGUMENT), REASON(CHANNEL_NOT_ALLOWED),
		    p->msg_channel_not_allowed);
	}
	if ((p->channels & PA_CHANNEL_BIT(*out)) == 0)
		return pa_rpc_fail(CODE(INVALID_ARGUMENT), REASON(CHANNEL_NOT_ALLOWED),
		    p->msg_channel_not_allowed);
	return pa_rpc_ok(NULL);
}

static enum pa_channel
channel_named(const char *name)
{
	return strcmp(name, "whatsapp") == 0 ? PA_CHANNEL_WHATSAPP : PA_CHANNEL_SMS;
}

/* The send limits: the phone's, the phone's share for one IP (so that no single IP can spend a
 * phone's whole budget and keep its owner from getting a code), and the IP's; in the same round
 * trip, the destination's breakers decide (pass, into t). */
static struct pa_rpc_result
send_limits(struct auth_worker *w, struct pa_rpc_call *call, const char *phone,
    const struct auth_pump_pass *pass, struct auth_pump_take *t)
{
	const struct pa_policy *p = auth_caller_policy(w->app, call);
	char                    ip[AUTH_IP_KEY_MAX], phone_ip[AUTH_PHONE_LEN + AUTH_IP_KEY_MAX];
	struct auth_limit       l[3];
	struct pa_rpc_result    refused[3];
	struct pa_rpc_result    r;
	struct pa_db_step       extra[2];
	size_t                  which, nextra;
	int                     wait;
	pa_err                  rv;

	(void) auth_caller_ip_key(w->app, call, ip);
	(void) snprintf(phone_ip, sizeof phone_ip, "%s|%s", phone, ip);
	l[0] = (struct auth_limit) { "send_phone", phone, 3600, p->sends_per_phone_hour };
	l[1] = (struct auth_limit) { "send_phone_ip", phone_ip, 3600, p->sends_per_phone_ip_hour };
	l[2] = (struct auth_limit) { "send_ip", ip, 3600, p->sends_per_ip_hour };
	refused[0] = pa_rpc_fail(CODE(RESOURCE_EXHAUSTED), REASON(SEND_LIMIT), p->msg_send_limit);
	refused[1] = refused[0];
	refused[2]
	    = pa_rpc_fail(CODE(RESOURCE_EXHAUSTED), REASON(IP_LIMIT), p->msg_rate_limited_ip);
	nextra = auth_pump_take_steps(w->app, pass, t, extra);
	if ((rv = auth_limits_take_with(w->db, l, 3, extra, nextra, &which, &wait)) != PA_OK)
		return auth_db_fail(w, call, rv);
	if (which == 3)
		return auth_pump_decide(w, call, pass, t);
	auth_pump_take_discard(t);
	pa_db_rollback(w->db);
	r               = refused[which];
	r.retry_after_s = (uint32_t) wait;
	return r;
}

static struct pa_rpc_result
too_soon(struct auth_worker *w, struct pa_rpc_call *call, int wait)
{
	struct pa_rpc_result r = pa_rpc_fail(CODE(RESOURCE_EXHAUSTED), REASON(RESEND_TOO_SOON),
	    auth_caller_policy(w->app, call)->msg_resend_too_soon);

	pa_db_rollback(w->db);
	r.retry_after_s = (uint32_t) wait;
	return r;
}

/* The audit detail of a send: its purpose and channel, its fallback, and whether it was a test
 * number's (every value is one of our own words: nothing to escape). */
static const char *
send_detail(char buf[AUTH_DETAIL_MAX], const char *purpose, const struct send_plan *plan)
{
	size_t n = 0;

	n += (size_t) snprintf(buf, AUTH_DETAIL_MAX, "{\"purpose\":\"%s\",\"channel\":\"%s\"",
	    purpose, pa_channel_name(plan->channel));
	if (plan->fixed != NULL)
		n += (size_t) snprintf(buf + n, AUTH_DETAIL_MAX - n, ",\"test\":true");
	else if (plan->fallback != PA_CHANNEL_NONE && plan->fallback != plan->channel)
		n += (size_t) snprintf(buf + n, AUTH_DETAIL_MAX - n, ",\"fallback\":\"%s\"",
		    pa_channel_name(plan->fallback));
	(void) snprintf(buf + n, AUTH_DETAIL_MAX - n, "}");
	return buf;
}

Phoneauth__V1__CodeSent *
auth_code_sent_msg(struct auth_app *app, struct pa_rpc_call *call, const char *id,
    const char *phone, const char *purpose)
{
	const struct pa_policy  *p = &app->policy;
	Phoneauth__V1__CodeSent *m = pa_rpc_call_alloc(call, sizeof *m);
	char                     masked[PA_PHONE_MASK_MAX];

	if (m == NULL)
		return NULL;
	phoneauth__v1__code_sent__init(m);
	m->verification_id = pa_rpc_call_strdup(call, id);
	m->phone_masked    = pa_rpc_call_strdup(
	       call, phone[0] ? pa_phone_mask_styled(phone, p->phone_mask, masked) : "");
	m->resend_after_s = (uint32_t) p->resend_cooldown_s;
	m->expires_in_s   = (uint32_t) p->code_ttl_s;
	m->code_length    = (uint32_t) auth_code_length(p, purpose);
	return m->verification_id != NULL && m->phone_masked != NULL ? m : NULL;
}

Phoneauth__V1__CodeSent *
auth_code_sent_reply(struct auth_app *app, struct pa_rpc_call *call, const struct auth_code_sent *s)
{
	Phoneauth__V1__CodeSent *m = auth_code_sent_msg(app, call, s->id, s->phone, s->purpose);

	if (m != NULL)
		m->channel = s->channel == PA_CHANNEL_WHATSAPP
		    ? PHONEAUTH__V1__CHANNEL__CHANNEL_WHATSAPP
		    : PHONEAUTH__V1__CHANNEL__CHANNEL_SMS;
	return m;
}

/* The policy in the caller's language: its messages and SMS template. */
static const struct pa_policy *
lang_policy(struct auth_worker *w, struct pa_rpc_call *call)
{
	return auth_caller_policy(w->app, call);
}

/* How a send goes: channel (already allowed) and the profile's fallback, or a test number's
 * fixed code. */
static struct send_plan
plan_for(struct auth_app *app, const char *phone, bool phantom, enum pa_channel channel)
{
	const char *fixed = auth_test_number_code(&app->tests, phone);

	/* A test number's code stays ours whatever the backend: Twilio never sees it. */
	return (struct send_plan) { .phantom = phantom,
		.fixed                       = fixed,
		.channel                     = channel,
		.fallback                    = app->policy.fallback_channel,
		.verify                      = auth_code_verify_on(app) && fixed == NULL };
}

struct pa_rpc_result
auth_code_start(struct auth_worker *w, struct pa_rpc_call *call,
    const struct auth_code_request *req, struct auth_code_sent *out)
{
	const struct pa_policy *p  = auth_caller_policy(w->app, call);
	const struct pa_policy *lp = lang_policy(w, call);
	struct auth_args        a[4];
	struct auth_audit_row   arow;
	struct auth_pending     pending;
	struct auth_code_new    v;
	struct new_code         nc  = { .nrows = 0 };
	struct auth_pump_pass   off = { .on = false };
	struct auth_pump_take   take;
	struct send_plan        plan = plan_for(w->app, req->phone_e164, req->phantom,
            req->has_channel ? req->channel : p->default_channel);
	struct pa_db_step       steps[10];
	struct pa_rpc_result    r;
	PGresult               *res, *outbox = NULL;
	char                    detail[AUTH_DETAIL_MAX];
	size_t                  n = 0;
	pa_err                  rv;

	out->outbox_id = 0;
	out->channel   = plan.channel;
	(void) snprintf(out->phone, sizeof out->phone, "%s", req->phone_e164);
	(void) snprintf(out->purpose, sizeof out->purpose, "%s", req->purpose);
	/* Round trip 1 (with the caller's BEGIN): the phone's lock, then its pending code. */
	steps[0] = auth_codes_lock_phone_step(&a[0], req->phone_e164);
	steps[1] = auth_codes_pending_step(&a[1], req->phone_e164, req->purpose,
	    req->identity != NULL ? req->identity : "", p->resend_cooldown_s, &res);
	if ((rv = pa_db_exec_batch(w->db, steps, 2)) != PA_OK)
		return auth_db_fail(w, call, rv);
	auth_codes_pending_row(res, &pending);
	if (pending.found && pending.resend_wait_s > 0)
		return too_soon(w, call, pending.resend_wait_s);
	/* One's own restart replaces one's pending code. Anyone may ask for a reset, so a reset
	 * start never ends the pending reset code: the owner's keeps working (the daily caps on
	 * reset tries bound the guesses however many codes are live). */
	if (pending.found && strcmp(req->purpose, "password_reset") != 0
	    && (rv = auth_codes_expire(w->db, pending.id)) != PA_OK)
		return auth_db_fail(w, call, rv);
	/* Round trip 2: the send limits and the destination's breakers. A test number sends
	 * nothing, so it spends nothing: only the tries limits apply to it. */
	if (plan.fixed == NULL
	    && (r = send_limits(
	            w, call, req->phone_e164, req->pump != NULL ? req->pump : &off, &take))
	            .code
	        != CODE(OK))
		return r;
	if (plan.fixed != NULL)
		take = (struct auth_pump_take) { 0 };

	auth_uuid_new(out->id);
	if ((rv = new_code(w->app, lp, out->id, req->purpose, &plan, &nc)) != PA_OK)
		return auth_db_fail(w, call, rv);
	v         = (struct auth_code_new) { .id = out->id,
		        .purpose                 = req->purpose,
		        .user_id                 = req->user_id,
		        .subscription_id         = req->subscription_id,
		        .identity                = req->identity != NULL ? req->identity : "",
		        .password_hash           = req->password_hash,
		        .phone                   = req->phone_e164,
		        .ttl_s                   = p->code_ttl_s,
		        .max_attempts            = p->tries_per_code,
		        .ip                      = auth_caller_ip(call),
		        .phantom                 = req->phantom,
		        .channel                 = pa_channel_name(plan.channel),
		        .locale                  = lp->locale,
		        .backend                 = plan.fixed != NULL ? "test"
		                            : plan.verify             ? "verify"
		                                                      : "local" };
	v.has_mac = !plan.verify;
	memcpy(v.mac, nc.mac, sizeof v.mac);
	/* Round trip 3: the verification, its messages, the audit row, COMMIT. */
	steps[n++] = auth_codes_insert_step(&a[0], &v);
	n += outbox_steps(
	    lp, out->id, req->phone_e164, p->code_ttl_s, &nc, &a[1], steps + n, &outbox);
	steps[n++] = auth_audit_step(&arow,
	    &(struct auth_audit) { .event = "code_sent",
	        .user_id                  = req->user_id,
	        .phone_e164               = req->phone_e164,
	        .verification_id          = out->id,
	        .outcome                  = plan.fixed != NULL ? "test"
	                             : req->phantom            ? "not_sent"
	                                                       : "queued",
	        .detail_json              = send_detail(detail, req->purpose, &plan),
	        .ip                       = auth_caller_ip(call) });
	n += auth_pump_commit_steps(w->app, req->pump != NULL ? req->pump : &off, &take, out->id,
	    req->phantom || plan.fixed != NULL, steps + n);
	steps[n++] = auth_commit_step;
	rv         = pa_db_exec_batch(w->db, steps, n);
	new_code_free(&nc);
	if (rv != PA_OK)
		return auth_db_fail(w, call, rv);
	auth_pump_committed(w->app, &take);
	out->outbox_id = auth_outbox_id_row(outbox);
	if (out->outbox_id > 0)
		auth_jobs_push(w->app->jobs, out->outbox_id);
	return pa_rpc_ok(NULL);
}

struct pa_rpc_result
auth_code_resend(struct auth_worker *w, struct pa_rpc_call *call, const char *id, int asked_channel,
    struct auth_code_sent *out)
{
	const struct pa_policy    *p  = auth_caller_policy(w->app, call);
	const struct pa_policy    *lp = lang_policy(w, call);
	const struct pa_rpc_result unknown
	    = pa_rpc_fail(CODE(NOT_FOUND), REASON(VERIFICATION_NOT_FOUND), p->msg_code_invalid);
	struct auth_verification v;
	struct auth_args         a[3];
	struct auth_audit_row    arow;
	struct new_code          nc   = { .nrows = 0 };
	struct auth_pump_pass    pass = { .on = false };
	struct auth_pump_take    take = { 0 };
	struct auth_code_resent  rs;
	struct send_plan         plan;
	enum pa_channel          channel;
	struct pa_db_step        steps[10];
	struct pa_rpc_result     r;
	PGresult                *res, *outbox = NULL;
	char                     detail[AUTH_DETAIL_MAX];
	size_t                   n = 0;
	pa_err                   rv;

	out->outbox_id = 0;
	if (!auth_is_uuid(id))
		return unknown;
	if ((r = auth_sms_available(w, call)).code != CODE(OK))
		return r;
	(void) snprintf(out->id, sizeof out->id, "%s", id);
	if (auth_pump_active(w->app)) {
		/* The gate needs the phone, and must run before the transaction: a read of its
		 * own (the transaction's locked read below sees the same phone). */
		steps[0] = auth_codes_load_step(&a[0], out->id, p->resend_cooldown_s, &res);
		if ((rv = pa_db_exec_batch(w->db, steps, 1)) != PA_OK)
			return auth_db_fail(w, call, rv);
		if (!auth_codes_load_row(res, &v) || strcmp(v.state, "pending") != 0)
			return unknown;
		if (v.resend_wait_s > 0)
			return too_soon(w, call, v.resend_wait_s);
		if ((r = auth_pump_gate(w, call, v.phone, &pass)).code != CODE(OK))
			return r;
	}
	steps[0] = auth_codes_load_step(&a[0], out->id, p->resend_cooldown_s, &res);
	if ((rv = pa_db_begin(w->db)) != PA_OK || (rv = pa_db_exec_batch(w->db, steps, 1)) != PA_OK)
		return auth_db_fail(w, call, rv);
	if (!auth_codes_load_row(res, &v) || strcmp(v.state, "pending") != 0) {
		pa_db_rollback(w->db);
		return unknown;
	}
	(void) snprintf(out->phone, sizeof out->phone, "%s", v.phone);
	(void) snprintf(out->purpose, sizeof out->purpose, "%s", v.purpose);
	/* Unspecified: the channel of the last send. */
	if ((r = auth_code_channel(p, asked_channel, channel_named(v.channel), &channel)).code
	    != CODE(OK)) {
		pa_db_rollback(w->db);
		return r;
	}
	plan = plan_for(w->app, v.phone, v.phantom, channel);
	/* The verification's backend decides, whatever the setting now: no MAC is Verify's. */
	plan.verify  = !v.has_mac;
	out->channel = channel;
	if (v.resend_wait_s > 0)
		return too_soon(w, call, v.resend_wait_s);
	if (plan.fixed == NULL
	    && (r = send_limits(w, call, v.phone, &pass, &take)).code != CODE(OK))
		return r;
	if ((rv = new_code(w->app, lp, out->id, v.purpose, &plan, &nc)) != PA_OK)
		return auth_db_fail(w, call, rv);
	rs = (struct auth_code_resent) { .id = out->id,
		.has_mac                     = !plan.verify,
		.ttl_s                       = p->code_ttl_s,
		.channel                     = pa_channel_name(channel),
		.locale                      = lp->locale,
		.keep_attempts               = plan.fixed != NULL };
	memcpy(rs.mac, nc.mac, sizeof rs.mac);
	steps[n++] = auth_codes_resend_step(&a[0], &rs);
	n += outbox_steps(lp, out->id, v.phone, p->code_ttl_s, &nc, &a[1], steps + n, &outbox);
	steps[n++] = auth_audit_step(&arow,
	    &(struct auth_audit) { .event = "code_resent",
	        .phone_e164               = v.phone,
	        .verification_id          = out->id,
	        .outcome                  = plan.fixed != NULL ? "test"
	                             : v.phantom               ? "not_sent"
	                                                       : "queued",
	        .detail_json              = send_detail(detail, v.purpose, &plan),
	        .ip                       = auth_caller_ip(call) });
	n += auth_pump_commit_steps(
	    w->app, &pass, &take, out->id, v.phantom || plan.fixed != NULL, steps + n);
	steps[n++] = auth_commit_step;
	rv         = pa_db_exec_batch(w->db, steps, n);
	new_code_free(&nc);
	if (rv != PA_OK)
		return auth_db_fail(w, call, rv);
	auth_pump_committed(w->app, &take);
	out->outbox_id = auth_outbox_id_row(outbox);
	if (out->outbox_id > 0)
		auth_jobs_push(w->app->jobs, out->outbox_id);
	return pa_rpc_ok(lp->msg_otp_sent);
}
