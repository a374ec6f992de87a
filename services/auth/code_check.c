/* code_check.c: VerifyCode's side of the code engine (code.h): every try taken from the phone's
 * limits before anything else, a right code settled (token, user, audit, conversion feedback) in
 * the same transaction, and the single-use tokens CreateAccount and CompletePasswordReset spend.
 * A Verify-backed code is checked by code_verify.c, which settles through here. */
#include "code.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "caller.h"
#include "code_verify.h"
#include "common/log.h"
#include "password.h"
#include "store.h"
#include "store_accounts.h"
#include "store_codes.h"
#include "store_limits.h"

/* Settles a right code in one round trip (two for a registration, which first checks that no
 * other account verified the phone meanwhile): the try counted, the verification verified (a
 * single-use token for signup and reset codes) or consumed with the user's phone verified (a
 * registration) or consumed alone (a login code: its caller issues the session), the audit row,
 * COMMIT. */
static struct pa_rpc_result
mark_verified(struct auth_worker *w, struct pa_rpc_call *call, const char *id,
    const struct auth_verification *v, Phoneauth__V1__VerifyCodeResponse *resp, bool verify)
{
	const struct pa_policy *p         = auth_caller_policy(w->app, call);
	bool                    register_ = strcmp(v->purpose, "register") == 0;
	bool                    login     = strcmp(v->purpose, "login") == 0;
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
	} else if (!login) {
		if ((rv = pa_token_new(token)) != PA_OK)
			return auth_db_fail(w, call, rv);
		pa_token_hash(hash, &w->app->token_keys, token);
		resp->signup_token = pa_rpc_call_strdup(call, token);
		sodium_memzero(token, sizeof token);
		if (resp->signup_token == NULL)
			return auth_db_fail(w, call, PA_ENOMEM);
		resp->token_expires_in_s = (uint32_t) p->signup_token_ttl_s;
	}
	steps[n++]
	    = auth_codes_verified_step(&a[2], id, register_ || login ? "consumed" : "verified",
	        register_ || login ? NULL : hash, p->signup_token_ttl_s);
	if (register_) {
		steps[n++] = auth_accounts_verified_step(&a[3], v->user_id, id);
		/* The user's other pending registrations end: none may verify or resend now. */
		steps[n++] = auth_codes_expire_others_step(&a[1], v->user_id, id);
	}
	if (auth_pump_counting(w->app))
		steps[n++] = auth_breakers_verified_step(&a[4], id);
	/* Twilio's conversion signal, posted by the SMS worker (its setting says whether); Verify
	 * counts its own conversions, and a test number's code went in no message. */
	if (!verify && strcmp(v->backend, "test") != 0)
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
    Phoneauth__V1__VerifyCodeResponse *resp, char purpose[AUTH_PURPOSE_LEN])
{
	const struct pa_policy *p = auth_caller_policy(w->app, call);
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

	purpose[0] = '\0';
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
	if (right || (!v.has_mac && !v.phantom && !v.expired && auth_code_verify_on(w->app))) {
		r = right ? mark_verified(w, call, id, &v, resp, false)
		          : auth_code_verify_check(w, call, id, code, &v, resp);
		/* The caller finishes what a right code was for (a login code: the session). */
		if (r.code == CODE(OK))
			(void) snprintf(purpose, AUTH_PURPOSE_LEN, "%s", v.purpose);
		return r;
	}

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
