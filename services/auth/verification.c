/* verification.c: one-time codes. A code is random digits from libsodium, stored only as a keyed
 * MAC; the SMS that carries it is sealed into the outbox in the same transaction. Every limit is
 * enforced inside PostgreSQL transactions, serialised per phone, so it holds across instances.
 * Statements whose answers do not decide what comes next go to PostgreSQL together, in one round
 * trip (pa_db_exec_batch): StartSignup makes 3 (the account check aside), VerifyCode 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "common/log.h"

static const struct pa_stmt st_lock_phone = {
	"SELECT pg_advisory_xact_lock(hashtextextended('verification:' || $1, 0))", 1
};
static const struct pa_stmt st_pending = {
	"SELECT id::text, greatest(0, ceil(extract(epoch FROM"
	"  last_sent_at + make_interval(secs => $3::int) - now())))::int"
	" FROM verifications WHERE phone_e164 = $1 AND purpose = $2 AND state = 'pending'"
	" FOR UPDATE",
	3
};
static const struct pa_stmt st_replace = {
	"UPDATE verifications SET state = 'expired' WHERE id = $1::uuid", 1
};
static const struct pa_stmt st_rate = {
	"SELECT rate_limit_take($1, $2, make_interval(secs => $3::int), $4::int)", 4
};
static const struct pa_stmt st_insert = {
	"INSERT INTO verifications (id, purpose, user_id, subscription_id, phone_e164, code_mac,"
	" expires_at, max_attempts, last_sent_at, end_user_ip, phantom)"
	" VALUES ($1::uuid, $2, $3::uuid, $4, $5, $6::bytea, now() + make_interval(secs => $7::int),"
	" $8::int, now(), $9::inet, $10::boolean)",
	10
};
static const struct pa_stmt st_outbox = {
	"INSERT INTO sms_outbox (verification_id, phone_e164, body_sealed, not_after)"
	" VALUES ($1::uuid, $2, $3::bytea, now() + make_interval(secs => $4::int)) RETURNING id",
	4
};
static const struct pa_stmt st_load = {
	"SELECT phone_e164, purpose, state, phantom, expires_at <= now(), attempts, max_attempts,"
	" encode(code_mac, 'hex'), user_id::text,"
	" greatest(0, ceil(extract(epoch FROM last_sent_at + make_interval(secs => $2::int)"
	"  - now())))::int"
	" FROM verifications WHERE id = $1::uuid FOR UPDATE",
	2
};
static const struct pa_stmt st_resend = {
	"UPDATE verifications SET code_mac = $2::bytea, attempts = 0, sends = sends + 1,"
	" last_sent_at = now(), expires_at = now() + make_interval(secs => $3::int)"
	" WHERE id = $1::uuid",
	3
};
static const struct pa_stmt st_try = {
	"UPDATE verifications SET attempts = attempts + 1,"
	" state = CASE WHEN attempts + 1 >= max_attempts AND NOT $2::boolean THEN 'exhausted'"
	"  ELSE state END WHERE id = $1::uuid",
	2
};
static const struct pa_stmt st_verified = {
	"UPDATE verifications SET state = $2, verified_at = now(), token_hash = $3::bytea,"
	" token_expires_at = CASE WHEN $3 IS NULL THEN NULL"
	"  ELSE now() + make_interval(secs => $4::int) END,"
	" message_sid = (SELECT twilio_sid FROM sms_outbox o WHERE o.verification_id = $1::uuid"
	"  ORDER BY o.id DESC LIMIT 1)"
	" WHERE id = $1::uuid RETURNING message_sid",
	4
};
static const struct pa_stmt st_phone_taken = {
	"SELECT 1 FROM users WHERE phone_e164 = $1 AND phone_verified_at IS NOT NULL"
	" AND id <> $2::uuid",
	2
};
static const struct pa_stmt st_user_verified = {
	"UPDATE users SET phone_verified_at = now(), verified_by = $2::uuid WHERE id = $1::uuid", 2
};
static const struct pa_stmt st_try_limit = {
	"SELECT rate_limit_take($1, phone_e164, make_interval(secs => $3::int), $4::int)"
	" FROM verifications WHERE id = $2::uuid",
	4
};
static const struct pa_stmt st_subscription = {
	"SELECT phone_e164 FROM subscriptions WHERE id = $1", 1
};

/* A rate limit to take one event from; refused, it fails the call with code, reason and msg. */
struct limit {
	const char *bucket;
	const char *subject; /* NULL: not taken */
	int         window_s;
	int         max;     /* <= 0: not taken */
	pa_code     code;
	pa_reason   reason;
	const char *msg;
};

#define LIMITS_MAX 2

/* Takes l[0..n) in one round trip. The first refused, in order, fails the call and the result
 * is PA_ELIMIT; the caller then rolls back, so no event of this call is kept. */
static pa_err
take_limits(struct auth_worker *w, struct pa_rpc_call *call, const struct limit *l, size_t n)
{
	char              win[LIMITS_MAX][16], mx[LIMITS_MAX][16];
	const char       *params[LIMITS_MAX][4];
	PGresult         *res[LIMITS_MAX];
	struct pa_db_step steps[LIMITS_MAX];
	size_t            which[LIMITS_MAX], k = 0;
	pa_err            rv = PA_OK;

	for (size_t i = 0; i < n && i < LIMITS_MAX; i++) {
		if (l[i].max <= 0 || l[i].subject == NULL)
			continue;
		params[k][0] = l[i].bucket;
		params[k][1] = l[i].subject;
		params[k][2] = AUTH_ITOA(win[k], l[i].window_s);
		params[k][3] = AUTH_ITOA(mx[k], l[i].max);
		steps[k]     = (struct pa_db_step) { &st_rate, params[k], &res[k], NULL };
		which[k++]   = i;
	}
	if (k == 0 || (rv = pa_db_exec_batch(w->db, steps, k)) != PA_OK)
		return rv;
	for (size_t j = 0; j < k; j++) {
		int wait = atoi(PQgetvalue(res[j], 0, 0));

		PQclear(res[j]);
		if (wait > 0 && rv == PA_OK) {
			pa_rpc_call_fail(call, l[which[j]].code, l[which[j]].reason, l[which[j]].msg);
			pa_rpc_call_set_retry_after(call, (uint32_t) wait);
			rv = PA_ELIMIT;
		}
	}
	return rv;
}

static pa_err
send_limits(struct auth_worker *w, struct pa_rpc_call *call, const char *phone)
{
	const struct pa_policy *p    = &w->app->policy;
	const struct limit      l[2] = {
                { "send_phone", phone, 3600, p->sends_per_phone_hour, CODE(RESOURCE_EXHAUSTED),
                    REASON(SEND_LIMIT), p->msg_send_limit },
                { "send_ip", auth_caller_ip(call), 3600, p->sends_per_ip_hour,
                    CODE(RESOURCE_EXHAUSTED), REASON(IP_LIMIT), p->msg_rate_limited_ip },
	};

	return take_limits(w, call, l, 2);
}

/* Makes a new code for verification id: its MAC (hex bytea text) and, unless phantom, the sealed
 * SMS body (hex bytea text, malloc'd). The plaintext code never leaves this function. */
static pa_err
new_code(struct auth_worker *w, const char *id, bool phantom, char mac_hex[67], char **sealed_hex)
{
	const struct pa_policy *p = &w->app->policy;
	char                    code[16], body[PA_SMS_BODY_MAX];
	unsigned char           mac[32], *sealed = NULL;
	size_t                  sealed_len;
	pa_err                  rv;

	*sealed_hex = NULL;
	if ((rv = pa_otp_generate(code, sizeof code, (unsigned) p->code_length)) != PA_OK)
		return rv;
	pa_otp_mac(mac, &w->app->otp_keys, id, code);
	auth_bytea_hex(mac_hex, mac);
	if (phantom)
		goto out_wipe;
	if ((rv = pa_policy_render_sms(p, code, body, sizeof body)) != PA_OK)
		goto out_wipe;
	rv = pa_seal(&sealed, &sealed_len, &w->app->outbox_keys, id, strlen(id), body, strlen(body));
	if (rv != PA_OK)
		goto out_wipe;
	if ((*sealed_hex = malloc(2 * sealed_len + 3)) == NULL) {
		rv = PA_ENOMEM;
		goto out_free;
	}
	(*sealed_hex)[0] = '\\';
	(*sealed_hex)[1] = 'x';
	(void) sodium_bin2hex(*sealed_hex + 2, 2 * sealed_len + 1, sealed, sealed_len);
out_free:
	free(sealed);
out_wipe:
	sodium_memzero(code, sizeof code);
	sodium_memzero(body, sizeof body);
	return rv;
}

/* The outbox row carrying a sealed SMS, as a batch step; row is its storage. */
struct outbox_row {
	const char *params[4];
	char        ttl[16];
};

static struct pa_db_step
outbox_step(struct outbox_row *row, struct auth_worker *w, const char *id, const char *phone,
    const char *sealed_hex, PGresult **out)
{
	row->params[0] = id;
	row->params[1] = phone;
	row->params[2] = sealed_hex;
	row->params[3] = AUTH_ITOA(row->ttl, w->app->policy.code_ttl_s);
	return (struct pa_db_step) { &st_outbox, row->params, out, NULL };
}

static int64_t
outbox_id_of(PGresult *res)
{
	int64_t id = res != NULL ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;

	PQclear(res);
	return id;
}

static const struct pa_db_step commit_step = { &pa_db_commit_step, NULL, NULL, NULL };

void
auth_code_sent_fill(struct auth_worker *w, const char *phone, struct auth_code_sent *out)
{
	const struct pa_policy *p = &w->app->policy;

	phoneauth__v1__code_sent__init(&out->msg);
	out->msg.verification_id = out->id;
	out->msg.phone_masked    = phone[0] ? (char *) pa_phone_mask(phone, out->masked) : (char *) "";
	out->msg.resend_after_s  = (uint32_t) p->resend_cooldown_s;
	out->msg.expires_in_s    = (uint32_t) p->code_ttl_s;
	out->msg.code_length     = (uint32_t) p->code_length;
}

pa_err
auth_code_start(struct auth_worker *w, struct pa_rpc_call *call,
    const struct auth_code_request *req, struct auth_code_sent *out)
{
	const struct pa_policy *p = &w->app->policy;
	char                    cool[16], ttl[16], tries[16], mac_hex[67];
	char                   *sealed_hex = NULL;
	const char             *look[3] = { req->phone_e164, req->purpose,
                    AUTH_ITOA(cool, p->resend_cooldown_s) };
	const char             *params[10];
	PGresult               *res, *outbox = NULL;
	struct outbox_row       orow;
	struct auth_audit_row   arow;
	struct pa_db_step       steps[4];
	size_t                  n = 0;
	pa_err                  rv;

	out->outbox_id = 0;
	/* Round trip 1 (with the caller's BEGIN): the phone's lock, then its pending code. */
	steps[0] = (struct pa_db_step) { &st_lock_phone, look, NULL, NULL };
	steps[1] = (struct pa_db_step) { &st_pending, look, &res, NULL };
	if ((rv = pa_db_exec_batch(w->db, steps, 2)) != PA_OK)
		return rv;
	if (PQntuples(res) > 0) {
		int         wait = atoi(PQgetvalue(res, 0, 1));
		const char *old[1] = { PQgetvalue(res, 0, 0) };

		if (wait > 0) {
			PQclear(res);
			pa_rpc_call_fail(call, CODE(RESOURCE_EXHAUSTED), REASON(RESEND_TOO_SOON),
			    p->msg_resend_too_soon);
			pa_rpc_call_set_retry_after(call, (uint32_t) wait);
			return PA_ELIMIT;
		}
		/* A new start replaces the pending code: the old one stops working. */
		rv = pa_db_exec(w->db, &st_replace, old, NULL);
		PQclear(res);
		if (rv != PA_OK)
			return rv;
	} else {
		PQclear(res);
	}
	/* Round trip 2: both send limits. */
	if ((rv = send_limits(w, call, req->phone_e164)) != PA_OK)
		return rv;

	auth_uuid_new(out->id);
	if ((rv = new_code(w, out->id, req->phantom, mac_hex, &sealed_hex)) != PA_OK)
		return rv;
	params[0] = out->id;
	params[1] = req->purpose;
	params[2] = req->user_id;
	params[3] = req->subscription_id;
	params[4] = req->phone_e164;
	params[5] = mac_hex;
	params[6] = AUTH_ITOA(ttl, p->code_ttl_s);
	params[7] = AUTH_ITOA(tries, p->tries_per_code);
	params[8] = auth_caller_ip(call);
	params[9] = req->phantom ? "true" : "false";
	/* Round trip 3: the verification, its SMS, the audit row, COMMIT. */
	steps[n++] = (struct pa_db_step) { &st_insert, params, NULL, NULL };
	if (!req->phantom)
		steps[n++] = outbox_step(&orow, w, out->id, req->phone_e164, sealed_hex, &outbox);
	steps[n++] = auth_audit_step(&arow, call,
	    &(struct auth_audit) { .event = "code_sent", .user_id = req->user_id,
	        .phone_e164 = req->phone_e164, .verification_id = out->id,
	        .outcome = req->phantom ? "not_sent" : "queued",
	        .detail_json = strcmp(req->purpose, "signup") == 0   ? "{\"purpose\":\"signup\"}"
	            : strcmp(req->purpose, "register") == 0          ? "{\"purpose\":\"register\"}"
	                                                             : "{\"purpose\":\"password_reset\"}" });
	steps[n++] = commit_step;
	if ((rv = pa_db_exec_batch(w->db, steps, n)) == PA_OK) {
		out->outbox_id = outbox_id_of(outbox);
		auth_code_sent_fill(w, req->phone_e164, out);
	}
	free(sealed_hex);
	return rv;
}

/* Fails the call when a subscription match is required and not met. */
static bool
subscription_ok(struct auth_worker *w, struct pa_rpc_call *call, const char *sub_id,
    const char *phone, pa_err *err)
{
	const struct pa_policy *p         = &w->app->policy;
	const char             *params[1] = { sub_id };
	PGresult               *res;
	bool                    match;

	*err = PA_OK;
	if (!p->subscription_required)
		return true;
	if (sub_id == NULL || sub_id[0] == '\0') {
		pa_rpc_call_fail(call, CODE(INVALID_ARGUMENT), REASON(MISSING_FIELD),
		    "A subscription id is required.");
		return false;
	}
	if ((*err = pa_db_exec(w->db, &st_subscription, params, &res)) != PA_OK)
		return false;
	if (PQntuples(res) == 0) {
		PQclear(res);
		pa_rpc_call_fail(call, CODE(FAILED_PRECONDITION), REASON(SUBSCRIPTION_NOT_FOUND),
		    "We could not find that subscription.");
		return false;
	}
	match = strcmp(PQgetvalue(res, 0, 0), phone) == 0;
	PQclear(res);
	if (!match)
		pa_rpc_call_fail(call, CODE(FAILED_PRECONDITION), REASON(SUBSCRIPTION_MISMATCH),
		    p->msg_subscription_mismatch);
	return match;
}

AUTH_HANDLER(start_signup, StartSignupRequest, StartSignupResponse)
{
	struct pa_rpc_call                *call = data;
	struct auth_worker                *w    = pa_rpc_call_state(call);
	const struct pa_policy            *p    = &w->app->policy;
	Phoneauth__V1__StartSignupResponse resp = PHONEAUTH__V1__START_SIGNUP_RESPONSE__INIT;
	struct auth_code_sent              sent;
	struct auth_code_request           req = { .purpose = "signup" };
	struct pa_phone                    phone;
	pa_err                             rv = PA_OK;

	if (!auth_phone_accept(w, call, in->phone, &phone) ||
	    !subscription_ok(w, call, in->subscription_id, phone.e164, &rv))
		goto out_fail;
	if ((rv = auth_phone_has_account(w, phone.e164, &req.phantom)) != PA_OK)
		goto out_fail;
	if (req.phantom && !p->non_enumerating) {
		pa_rpc_call_fail(call, CODE(ALREADY_EXISTS), REASON(ACCOUNT_EXISTS),
		    p->msg_account_exists);
		goto out_fail;
	}
	if (!auth_sms_available(w, call))
		goto out_fail;
	req.phone_e164      = phone.e164;
	req.subscription_id = p->subscription_required ? in->subscription_id : NULL;
	if ((rv = pa_db_begin(w->db)) != PA_OK ||
	    (rv = auth_code_start(w, call, &req, &sent)) != PA_OK) {
		auth_tx_fail(w, call, rv);
		closure(NULL, data);
		return;
	}
	auth_jobs_push(w->app->jobs, sent.outbox_id);
	pa_log_info("signup_started", "phone=%s verification_id=%s", sent.masked, sent.id);
	resp.sent = &sent.msg;
	pa_rpc_call_set_message(call, p->msg_otp_sent);
	closure(&resp, data);
	return;
out_fail:
	if (rv != PA_OK)
		pa_rpc_call_fail_err(call, rv);
	closure(NULL, data);
}

AUTH_HANDLER(resend_code, ResendCodeRequest, ResendCodeResponse)
{
	struct pa_rpc_call               *call = data;
	struct auth_worker               *w    = pa_rpc_call_state(call);
	const struct pa_policy           *p    = &w->app->policy;
	Phoneauth__V1__ResendCodeResponse resp = PHONEAUTH__V1__RESEND_CODE_RESPONSE__INIT;
	struct auth_code_sent             sent = { .outbox_id = 0 };
	char                              cool[16], ttl[16], mac_hex[67], phone[17];
	char                             *sealed_hex = NULL;
	const char                       *params[3];
	PGresult                         *res, *outbox = NULL;
	struct outbox_row                 orow;
	struct auth_audit_row             arow;
	struct pa_db_step                 steps[4];
	size_t                            n = 0;
	bool                              phantom;
	pa_err                            rv;

	if (!auth_is_uuid(in->verification_id)) {
		pa_rpc_call_fail(call, CODE(NOT_FOUND), REASON(VERIFICATION_NOT_FOUND),
		    p->msg_code_invalid);
		closure(NULL, data);
		return;
	}
	if (!auth_sms_available(w, call)) {
		closure(NULL, data);
		return;
	}
	(void) snprintf(sent.id, sizeof sent.id, "%s", in->verification_id);
	params[0] = sent.id;
	params[1] = AUTH_ITOA(cool, p->resend_cooldown_s);
	if ((rv = pa_db_begin(w->db)) != PA_OK ||
	    (rv = pa_db_exec(w->db, &st_load, params, &res)) != PA_OK)
		goto out_fail;
	if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 2), "pending") != 0) {
		PQclear(res);
		pa_rpc_call_fail(call, CODE(NOT_FOUND), REASON(VERIFICATION_NOT_FOUND),
		    p->msg_code_invalid);
		rv = PA_ELIMIT;
		goto out_fail;
	}
	(void) snprintf(phone, sizeof phone, "%s", PQgetvalue(res, 0, 0));
	phantom = PQgetvalue(res, 0, 3)[0] == 't';
	if (atoi(PQgetvalue(res, 0, 9)) > 0) {
		pa_rpc_call_fail(call, CODE(RESOURCE_EXHAUSTED), REASON(RESEND_TOO_SOON),
		    p->msg_resend_too_soon);
		pa_rpc_call_set_retry_after(call, (uint32_t) atoi(PQgetvalue(res, 0, 9)));
		PQclear(res);
		rv = PA_ELIMIT;
		goto out_fail;
	}
	PQclear(res);
	if ((rv = send_limits(w, call, phone)) != PA_OK ||
	    (rv = new_code(w, sent.id, phantom, mac_hex, &sealed_hex)) != PA_OK)
		goto out_fail;
	params[1]  = mac_hex;
	params[2]  = AUTH_ITOA(ttl, p->code_ttl_s);
	steps[n++] = (struct pa_db_step) { &st_resend, params, NULL, NULL };
	if (!phantom)
		steps[n++] = outbox_step(&orow, w, sent.id, phone, sealed_hex, &outbox);
	steps[n++] = auth_audit_step(&arow, call,
	    &(struct auth_audit) { .event = "code_resent", .phone_e164 = phone,
	        .verification_id = sent.id, .outcome = phantom ? "not_sent" : "queued" });
	steps[n++] = commit_step;
	if ((rv = pa_db_exec_batch(w->db, steps, n)) != PA_OK)
		goto out_fail;
	sent.outbox_id = outbox_id_of(outbox);
	free(sealed_hex);
	auth_jobs_push(w->app->jobs, sent.outbox_id);
	auth_code_sent_fill(w, phone, &sent);
	resp.sent = &sent.msg;
	pa_rpc_call_set_message(call, p->msg_otp_sent);
	closure(&resp, data);
	return;
out_fail:
	free(sealed_hex);
	auth_tx_fail(w, call, rv);
	closure(NULL, data);
}

/* Settles a right code in one round trip (two for a registration, which first checks that no
 * other account verified the phone meanwhile): the try counted, the verification verified (a
 * single-use token for signup and reset codes) or consumed with the user's phone verified (a
 * registration), the audit row, COMMIT. */
static pa_err
mark_verified(struct auth_worker *w, struct pa_rpc_call *call, const char *id,
    const char *purpose, const char *phone, const char *user_id,
    Phoneauth__V1__VerifyCodeResponse *resp, char token[PA_TOKEN_LEN + 1])
{
	const struct pa_policy *p         = &w->app->policy;
	bool                    register_ = strcmp(purpose, "register") == 0;
	unsigned char           hash[32];
	char                    hash_hex[67], ttl[16];
	const char             *tried[2] = { id, "true" }, *taken[2] = { phone, user_id };
	const char             *verified[4] = { id, register_ ? "consumed" : "verified",
                    register_ ? NULL : hash_hex, AUTH_ITOA(ttl, p->signup_token_ttl_s) };
	const char             *user[2] = { user_id, id };
	struct auth_audit_row   arow;
	struct pa_db_step       steps[5];
	size_t                  n = 0;
	PGresult               *res;
	pa_err                  rv;

	steps[n++] = (struct pa_db_step) { &st_try, tried, NULL, NULL };
	if (register_) {
		steps[n++] = (struct pa_db_step) { &st_phone_taken, taken, &res, NULL };
		if ((rv = pa_db_exec_batch(w->db, steps, n)) != PA_OK)
			return rv;
		n = 0;
		if (PQntuples(res) > 0) {
			PQclear(res);
			pa_rpc_call_fail(call, CODE(ALREADY_EXISTS), REASON(ACCOUNT_EXISTS),
			    p->msg_account_exists);
			return PA_ELIMIT;
		}
		PQclear(res);
	} else {
		if ((rv = pa_token_new(token)) != PA_OK)
			return rv;
		pa_token_hash(hash, &w->app->token_keys, token);
		auth_bytea_hex(hash_hex, hash);
		resp->signup_token       = token;
		resp->token_expires_in_s = (uint32_t) p->signup_token_ttl_s;
	}
	steps[n++] = (struct pa_db_step) { &st_verified, verified, NULL, NULL };
	if (register_)
		steps[n++] = (struct pa_db_step) { &st_user_verified, user, NULL, NULL };
	steps[n++] = auth_audit_step(&arow, call,
	    &(struct auth_audit) { .event = "code_checked", .phone_e164 = phone,
	        .verification_id = id, .user_id = user_id[0] ? user_id : NULL,
	        .outcome = "verified" });
	steps[n++] = commit_step;
	if ((rv = pa_db_exec_batch(w->db, steps, n)) != PA_OK)
		return rv;
	resp->verified = true;
	return PA_OK;
}

AUTH_HANDLER(verify_code, VerifyCodeRequest, VerifyCodeResponse)
{
	struct pa_rpc_call               *call = data;
	struct auth_worker               *w    = pa_rpc_call_state(call);
	const struct pa_policy           *p    = &w->app->policy;
	Phoneauth__V1__VerifyCodeResponse resp = PHONEAUTH__V1__VERIFY_CODE_RESPONSE__INIT;
	char                              id[37], phone[17], purpose[16], user_id[37], cool[16];
	char                              win[16], mx[16];
	char                              token[PA_TOKEN_LEN + 1] = "";
	unsigned char                     mac[32];
	const char                       *params[2], *limit[4];
	const char                       *state;
	PGresult                         *res = NULL, *lim = NULL;
	struct auth_audit_row             arow;
	struct pa_db_step                 steps[3];
	size_t                            n = 0;
	bool                              phantom, expired, right = false;
	int                               attempts, max, wait;
	pa_err                            rv;

	if (!auth_is_uuid(in->verification_id)) {
		pa_rpc_call_fail(call, CODE(INVALID_ARGUMENT), REASON(CODE_INVALID),
		    p->msg_code_invalid);
		closure(NULL, data);
		return;
	}
	(void) snprintf(id, sizeof id, "%s", in->verification_id);
	params[0] = id;
	params[1] = AUTH_ITOA(cool, p->resend_cooldown_s);
	/* Round trip 1 (with BEGIN): the verification locked and loaded, and a try taken from its
	 * phone's limit (tries per phone count every try on a known verification, right or
	 * wrong). */
	limit[0]   = "try_phone";
	limit[1]   = id;
	limit[2]   = AUTH_ITOA(win, p->tries_window_s);
	limit[3]   = AUTH_ITOA(mx, p->tries_per_phone_window);
	steps[n++] = (struct pa_db_step) { &st_load, params, &res, NULL };
	if (p->tries_per_phone_window > 0)
		steps[n++] = (struct pa_db_step) { &st_try_limit, limit, &lim, NULL };
	if ((rv = pa_db_begin(w->db)) != PA_OK || (rv = pa_db_exec_batch(w->db, steps, n)) != PA_OK)
		goto out_fail;
	wait = lim != NULL && PQntuples(lim) > 0 ? atoi(PQgetvalue(lim, 0, 0)) : 0;
	PQclear(lim);
	if (PQntuples(res) == 0) {
		PQclear(res);
		pa_rpc_call_fail(call, CODE(INVALID_ARGUMENT), REASON(CODE_INVALID),
		    p->msg_code_invalid);
		rv = PA_ELIMIT;
		goto out_fail;
	}
	if (wait > 0) {
		PQclear(res);
		pa_rpc_call_fail(call, CODE(RESOURCE_EXHAUSTED), REASON(TOO_MANY_ATTEMPTS),
		    p->msg_too_many_attempts);
		pa_rpc_call_set_retry_after(call, (uint32_t) wait);
		rv = PA_ELIMIT;
		goto out_fail;
	}
	(void) snprintf(phone, sizeof phone, "%s", PQgetvalue(res, 0, 0));
	(void) snprintf(purpose, sizeof purpose, "%s", PQgetvalue(res, 0, 1));
	(void) snprintf(user_id, sizeof user_id, "%s", PQgetvalue(res, 0, 8));
	state    = PQgetvalue(res, 0, 2);
	phantom  = PQgetvalue(res, 0, 3)[0] == 't';
	expired  = PQgetvalue(res, 0, 4)[0] == 't';
	attempts = atoi(PQgetvalue(res, 0, 5));
	max      = atoi(PQgetvalue(res, 0, 6));
	if (strcmp(state, "exhausted") == 0 || (strcmp(state, "pending") == 0 && attempts >= max)) {
		PQclear(res);
		pa_rpc_call_fail(call, CODE(RESOURCE_EXHAUSTED), REASON(TOO_MANY_ATTEMPTS),
		    p->msg_too_many_attempts);
		pa_rpc_call_set_attempts_left(call, 0);
		goto out_commit;
	}
	if (strcmp(state, "pending") != 0) {
		/* A used or replaced code: the same answer as a wrong one, tries included. */
		PQclear(res);
		pa_rpc_call_fail(call, CODE(INVALID_ARGUMENT), REASON(CODE_INVALID),
		    p->msg_code_invalid);
		pa_rpc_call_set_attempts_left(call, (uint32_t) (max > attempts ? max - attempts : 0));
		goto out_commit;
	}
	if (sodium_hex2bin(mac, sizeof mac, PQgetvalue(res, 0, 7), 64, NULL, NULL, NULL) == 0 &&
	    in->code != NULL && strlen(in->code) <= 16)
		right = pa_otp_check(&w->app->otp_keys, id, in->code, mac);
	PQclear(res);
	right = right && !expired && !phantom;

	if (!right) {
		/* Round trip 2: the try counted (a wrong one that uses the last try ends the
		 * verification), the audit row, COMMIT. */
		params[1] = "false";
		n         = 0;
		steps[n++] = (struct pa_db_step) { &st_try, params, NULL, NULL };
		steps[n++] = auth_audit_step(&arow, call,
		    &(struct auth_audit) { .event = "code_checked", .phone_e164 = phone,
		        .verification_id = id, .user_id = user_id[0] ? user_id : NULL,
		        .outcome = expired ? "expired" : "wrong" });
		steps[n++] = commit_step;
		if ((rv = pa_db_exec_batch(w->db, steps, n)) != PA_OK)
			goto out_fail;
		pa_rpc_call_fail(call, CODE(INVALID_ARGUMENT), REASON(CODE_INVALID),
		    p->msg_code_invalid);
		pa_rpc_call_set_attempts_left(call, (uint32_t) (max - attempts - 1));
		closure(NULL, data);
		return;
	}
	if ((rv = mark_verified(w, call, id, purpose, phone, user_id, &resp, token)) != PA_OK)
		goto out_fail;
	resp.user_id = user_id;
	pa_rpc_call_set_message(call, p->msg_verified);
	closure(&resp, data);
	sodium_memzero(token, sizeof token);
	return;
out_commit:
	/* The try taken from the phone's limit is kept even though the call fails. */
	if (pa_db_commit(w->db) != PA_OK)
		pa_log_warn("db_commit_failed", "method=VerifyCode sqlstate=%s", pa_db_sqlstate(w->db));
	closure(NULL, data);
	return;
out_fail:
	sodium_memzero(token, sizeof token);
	auth_tx_fail(w, call, rv);
	closure(NULL, data);
}
