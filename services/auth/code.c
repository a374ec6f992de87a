/* code.c: one-time codes. The SMS that carries a code is sealed into the outbox in the same
 * transaction as the code's MAC; the plaintext code never leaves new_code(). StartSignup makes 3
 * round trips (the account check aside), VerifyCode 2 (3 for a registration). */
#include "code.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "caller.h"
#include "code_verify.h"
#include "common/log.h"
#include "health.h"
#include "jobs.h"
#include "password.h"
#include "store.h"
#include "store_accounts.h"
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
	(void) body;
	row->encoding = NULL;
	row->segments = 0;
}

/* What one send of a code is: who it is for and how it goes. */
struct send_plan {
	bool            phantom; /* a non-enumerating stand-in: a real row, nothing sent */
	const char     *fixed; /* a test number's fixed code: nothing sent; else NULL */
	enum pa_channel channel;
	enum pa_channel fallback; /* PA_CHANNEL_NONE, or sent held for when channel fails */
	bool            verify; /* Twilio Verify makes, sends and checks the code: no MAC here */
};

/* A new code for verification id: its MAC and the rows that carry it (none for a phantom or a
 * test number; a second, held, for the fallback channel). */
#define AUTH_DETAIL_MAX 128

struct new_code {
	unsigned char   mac[AUTH_MAC_BYTES];
	struct send_row row[2];
	size_t          nrows;
};

int
auth_code_length(const struct pa_policy *p, const char *purpose)
{
	return strcmp(purpose, "password_reset") == 0 ? p->reset_code_length : p->code_length;
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
	if (plan->fixed != NULL)
		(void) snprintf(code, sizeof code, "%s", plan->fixed);
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
	const struct pa_policy *p = &w->app->policy;
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
too_soon(struct auth_worker *w, int wait)
{
	struct pa_rpc_result r = pa_rpc_fail(
	    CODE(RESOURCE_EXHAUSTED), REASON(RESEND_TOO_SOON), w->app->policy.msg_resend_too_soon);

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
	const struct pa_policy  *p     = &app->policy;
	Phoneauth__V1__CodeSent *m     = pa_rpc_call_alloc(call, sizeof *m);
	const char              *fixed = auth_test_number_code(&app->tests, phone);
	char                     masked[PA_PHONE_MASK_MAX];

	if (m == NULL)
		return NULL;
	phoneauth__v1__code_sent__init(m);
	m->verification_id = pa_rpc_call_strdup(call, id);
	m->phone_masked    = pa_rpc_call_strdup(
	       call, phone[0] ? pa_phone_mask_styled(phone, p->phone_mask, masked) : "");
	m->resend_after_s = (uint32_t) p->resend_cooldown_s;
	m->expires_in_s   = (uint32_t) p->code_ttl_s;
	/* A site's form has as many boxes as the code has digits: a test number's fixed code. */
	m->code_length
	    = fixed != NULL ? (uint32_t) strlen(fixed) : (uint32_t) auth_code_length(p, purpose);
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
	(void) call;
	return &w->app->policy;
}

/* How a send goes: channel (already allowed) and the profile's fallback, or a test number's
 * fixed code. */
static struct send_plan
plan_for(struct auth_app *app, const char *phone, bool phantom, enum pa_channel channel)
{
	return (struct send_plan) { .phantom = phantom,
		.fixed                       = auth_test_number_code(&app->tests, phone),
		.channel                     = channel,
		.fallback                    = app->policy.fallback_channel,
		.verify
		= auth_code_verify_on(app) && auth_test_number_code(&app->tests, phone) == NULL };
}

struct pa_rpc_result
auth_code_start(struct auth_worker *w, struct pa_rpc_call *call,
    const struct auth_code_request *req, struct auth_code_sent *out)
{
	const struct pa_policy *p  = &w->app->policy;
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
		return too_soon(w, pending.resend_wait_s);
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
	const struct pa_policy    *p  = &w->app->policy;
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
	if ((r = auth_sms_available(w)).code != CODE(OK))
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
			return too_soon(w, v.resend_wait_s);
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
		return too_soon(w, v.resend_wait_s);
	if (plan.fixed == NULL
	    && (r = send_limits(w, call, v.phone, &pass, &take)).code != CODE(OK))
		return r;
	if ((rv = new_code(w->app, lp, out->id, v.purpose, &plan, &nc)) != PA_OK)
		return auth_db_fail(w, call, rv);
	rs = (struct auth_code_resent) { .id = out->id,
		.has_mac                     = !plan.verify,
		.ttl_s                       = p->code_ttl_s,
		.channel                     = pa_channel_name(channel),
		.locale                      = lp->locale };
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

/* Settles a right code in one round trip (two for a registration, which first checks that no
 * other account verified the phone meanwhile): the try counted, the verification verified (a
 * single-use token for signup and reset codes) or consumed with the user's phone verified (a
 * registration), the audit row, COMMIT. */
static struct pa_rpc_result
mark_verified(struct auth_worker *w, struct pa_rpc_call *call, const char *id,
    const struct auth_verification *v, Phoneauth__V1__VerifyCodeResponse *resp, bool verify)
{
	const struct pa_policy *p         = &w->app->policy;
	bool                    register_ = strcmp(v->purpose, "register") == 0;
	unsigned char           hash[AUTH_MAC_BYTES];
	char                    token[PA_TOKEN_LEN + 1];
	struct auth_args        a[6];
	struct auth_audit_row   arow;
	struct pa_db_step       steps[8];
	size_t                  n = 0;
	PGresult               *res;
	pa_err                  rv;

	/* Twilio Verify's try was counted before asking Twilio (code_verify.c). */
	if (!verify)
		steps[n++] = auth_codes_try_step(&a[0], id, true);
	if (register_) {
		steps[n++] = auth_accounts_phone_taken_step(&a[1], v->phone, v->user_id, &res);
		if ((rv = pa_db_exec_batch(w->db, steps, n)) != PA_OK)
			return auth_db_fail(w, call, rv);
		n = 0;
		switch (auth_accounts_phone_taken_row(res)) {
		case AUTH_REGISTER_OK:
			break;
		case AUTH_REGISTER_PHONE_TAKEN:
			pa_db_rollback(w->db);
			return pa_rpc_fail(
			    CODE(ALREADY_EXISTS), REASON(ACCOUNT_EXISTS), p->msg_account_exists);
		case AUTH_REGISTER_GONE:
			/* Another of the user's registrations verified it first: this code is as
			 * spent as a used one, and must not change the verified account. */
			pa_db_rollback(w->db);
			return pa_rpc_fail(
			    CODE(INVALID_ARGUMENT), REASON(CODE_INVALID), p->msg_code_invalid);
		}
	} else {
		if ((rv = pa_token_new(token)) != PA_OK)
			return auth_db_fail(w, call, rv);
		pa_token_hash(hash, &w->app->token_keys, token);
		resp->signup_token = pa_rpc_call_strdup(call, token);
		sodium_memzero(token, sizeof token);
		if (resp->signup_token == NULL)
			return auth_db_fail(w, call, PA_ENOMEM);
		resp->token_expires_in_s = (uint32_t) p->signup_token_ttl_s;
	}
	steps[n++] = auth_codes_verified_step(&a[2], id, register_ ? "consumed" : "verified",
	    register_ ? NULL : hash, p->signup_token_ttl_s);
	if (register_) {
		steps[n++] = auth_accounts_verified_step(&a[3], v->user_id, id);
		/* The user's other pending registrations end: none may verify or resend now. */
		steps[n++] = auth_codes_expire_others_step(&a[1], v->user_id, id);
	}
	if (auth_pump_counting(w->app))
		steps[n++] = auth_breakers_verified_step(&a[4], id);
	/* Twilio's conversion signal, posted by the SMS worker (its setting says whether). */
	if (!verify) /* Verify counts its own conversions */
		steps[n++] = auth_feedback_insert_step(&a[5], id);
	steps[n++] = auth_audit_step(&arow,
	    &(struct auth_audit) { .event = "code_checked",
	        .phone_e164               = v->phone,
	        .verification_id          = id,
	        .user_id                  = v->user_id[0] ? v->user_id : NULL,
	        .outcome                  = "verified",
	        .ip                       = auth_caller_ip(call) });
	steps[n++] = auth_commit_step;
	if ((rv = pa_db_exec_batch(w->db, steps, n)) != PA_OK)
		return auth_db_fail(w, call, rv);
	resp->verified = true;
	if ((resp->user_id = pa_rpc_call_strdup(call, v->user_id)) == NULL)
		return pa_rpc_fail_err(PA_ENOMEM);
	return pa_rpc_ok(p->msg_verified);
}

struct pa_rpc_result
auth_code_settle_verified(struct auth_worker *w, struct pa_rpc_call *call, const char *id,
    const struct auth_verification *v, Phoneauth__V1__VerifyCodeResponse *resp)
{
	return mark_verified(w, call, id, v, resp, true);
}

/* A failed check whose try (taken from the phone's limit) is kept: commits, then answers r. */
static struct pa_rpc_result
commit_and_refuse(struct auth_worker *w, struct pa_rpc_result r)
{
	if (pa_db_commit(w->db) != PA_OK)
		pa_log_warn(
		    "db_commit_failed", "method=VerifyCode sqlstate=%s", pa_db_sqlstate(w->db));
	return r;
}

struct pa_rpc_result
auth_code_check(struct auth_worker *w, struct pa_rpc_call *call, const char *id, const char *code,
    Phoneauth__V1__VerifyCodeResponse *resp)
{
	const struct pa_policy *p = &w->app->policy;
	struct pa_rpc_result    invalid
	    = pa_rpc_fail(CODE(INVALID_ARGUMENT), REASON(CODE_INVALID), p->msg_code_invalid);
	struct pa_rpc_result     r;
	struct auth_verification v;
	struct auth_args         a[3];
	struct auth_audit_row    arow;
	struct pa_db_step        steps[3];
	PGresult                *res = NULL, *lim = NULL;
	size_t                   n = 0;
	bool                     found, right = false;
	int                      wait;
	pa_err                   rv;

	if (!auth_is_uuid(id))
		return invalid;
	/* Round trip 1 (with BEGIN): the verification locked and loaded, and a try taken from its
	 * phone's limit (tries per phone count every try on a known verification, right or
	 * wrong). */
	steps[n++] = auth_codes_load_step(&a[0], id, p->resend_cooldown_s, &res);
	steps[n++] = auth_limits_try_step(&a[1], id,
	    &(struct auth_try_limits) { .window_s = p->tries_window_s,
	        .per_window                       = p->tries_per_phone_window,
	        .per_day                          = p->tries_per_phone_day,
	        .reset_per_day                    = p->reset_tries_per_day },
	    &lim);
	if ((rv = pa_db_begin(w->db)) != PA_OK || (rv = pa_db_exec_batch(w->db, steps, n)) != PA_OK)
		return auth_db_fail(w, call, rv);
	wait  = auth_limits_wait_row(lim);
	found = auth_codes_load_row(res, &v);
	if (!found || wait > 0) {
		pa_db_rollback(w->db);
		if (!found)
			return invalid;
		r = pa_rpc_fail(
		    CODE(RESOURCE_EXHAUSTED), REASON(TOO_MANY_ATTEMPTS), p->msg_too_many_attempts);
		r.retry_after_s = (uint32_t) wait;
		return r;
	}
	if (strcmp(v.state, "exhausted") == 0
	    || (strcmp(v.state, "pending") == 0 && v.attempts >= v.max_attempts)) {
		r = pa_rpc_fail(
		    CODE(RESOURCE_EXHAUSTED), REASON(TOO_MANY_ATTEMPTS), p->msg_too_many_attempts);
		r.has_attempts_left = true;
		return commit_and_refuse(w, r);
	}
	if (strcmp(v.state, "pending") != 0) {
		/* A used or replaced code: the same answer as a wrong one, tries included. */
		invalid.has_attempts_left = true;
		invalid.attempts_left
		    = (uint32_t) (v.max_attempts > v.attempts ? v.max_attempts - v.attempts : 0);
		return commit_and_refuse(w, invalid);
	}
	if (v.has_mac && code != NULL && strlen(code) <= 16)
		right = pa_otp_check(&w->app->otp_keys, id, code, v.mac);
	right = right && !v.expired && !v.phantom;
	if (right)
		return mark_verified(w, call, id, &v, resp, false);
	if (!v.has_mac && !v.phantom && !v.expired && auth_code_verify_on(w->app))
		return auth_code_verify_check(w, call, id, code, &v, resp);

	/* Round trip 2: the try counted (a wrong one that uses the last try ends the
	 * verification), the audit row, COMMIT. */
	n          = 0;
	steps[n++] = auth_codes_try_step(&a[2], id, false);
	steps[n++] = auth_audit_step(&arow,
	    &(struct auth_audit) { .event = "code_checked",
	        .phone_e164               = v.phone,
	        .verification_id          = id,
	        .user_id                  = v.user_id[0] ? v.user_id : NULL,
	        .outcome                  = v.expired ? "expired" : "wrong",
	        .ip                       = auth_caller_ip(call) });
	steps[n++] = auth_commit_step;
	if ((rv = pa_db_exec_batch(w->db, steps, n)) != PA_OK)
		return auth_db_fail(w, call, rv);
	invalid.has_attempts_left = true;
	invalid.attempts_left     = (uint32_t) (v.max_attempts - v.attempts - 1);
	return invalid;
}

struct pa_rpc_result
auth_code_token_then_hash(struct auth_worker *w, struct pa_rpc_call *call, const char *token,
    const char *purpose, struct pa_rpc_result refusal, const char *password,
    struct auth_token_ref *ref, char pwhash[crypto_pwhash_STRBYTES])
{
	struct auth_token_verification v;
	bool                           live;
	pa_err                         rv;

	ref->n = pa_token_hashes(ref->hash, &w->app->token_keys, token != NULL ? token : "");
	if ((rv = auth_codes_by_token(w->db, ref->hash, ref->n, purpose, &v, &live)) != PA_OK)
		return auth_db_fail(w, call, rv);
	if (!live)
		return refusal;
	if ((rv = auth_password_hash(w->app, password, pwhash)) != PA_OK)
		return pa_rpc_fail_err(rv);
	return pa_rpc_ok(NULL);
}
