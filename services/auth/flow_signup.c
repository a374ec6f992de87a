/* flow_signup.c: Fancy Feathers' signup: a site links its subscription to a phone, the person
 * asks for a code (StartSignup), verifies it (flow_codes.c) and creates the account with the
 * single-use token VerifyCode gave (CreateAccount: Argon2, on the slow pool). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "caller.h"
#include "code.h"
#include "common/log.h"
#include "flows.h"
#include "health.h"
#include "input.h"
#include "password.h"
#include "store.h"
#include "store_accounts.h"
#include "store_codes.h"

struct pa_rpc_result
auth_link_subscription(struct pa_rpc_call *call, void *state, const void *in_, void *out_)
{
	struct auth_worker                           *w   = state;
	const Phoneauth__V1__LinkSubscriptionRequest *in  = in_;
	Phoneauth__V1__LinkSubscriptionResponse      *out = out_;
	struct pa_phone                               phone;
	struct pa_rpc_result                          r;
	char                                          masked[PA_PHONE_MASK_MAX];
	bool                                          linked;
	pa_err                                        rv;

	if (in->subscription_id == NULL || in->subscription_id[0] == '\0'
	    || strlen(in->subscription_id) > 200)
		return pa_rpc_fail(CODE(INVALID_ARGUMENT), REASON(MISSING_FIELD),
		    "A subscription id of 1 to 200 characters is required.");
	if ((r = auth_phone_accept(w->app, auth_caller_policy(w->app, call), in->phone, &phone))
	        .code
	    != CODE(OK))
		return r;
	if ((rv = pa_db_begin(w->db)) != PA_OK
	    || (rv = auth_accounts_link_subscription(
	            w->db, in->subscription_id, phone.e164, &linked))
	        != PA_OK)
		return auth_db_fail(w, call, rv);
	if (!linked) {
		pa_db_rollback(w->db);
		return pa_rpc_fail(CODE(FAILED_PRECONDITION), REASON(ACCOUNT_EXISTS),
		    "This subscription already has an account; its number cannot change here.");
	}
	if ((rv = auth_audit_write(w->db,
	         &(struct auth_audit) { .event = "subscription_linked",
	             .phone_e164               = phone.e164,
	             .outcome                  = "ok",
	             .ip                       = auth_caller_ip(call) }))
	        != PA_OK
	    || (rv = pa_db_commit(w->db)) != PA_OK)
		return auth_db_fail(w, call, rv);
	out->subscription_id = pa_rpc_call_strdup(call, in->subscription_id);
	out->phone_masked    = pa_rpc_call_strdup(
	       call, pa_phone_mask_styled(phone.e164, w->app->policy.phone_mask, masked));
	if (out->subscription_id == NULL || out->phone_masked == NULL)
		return pa_rpc_fail_err(PA_ENOMEM);
	return pa_rpc_ok(NULL);
}

/* OK when no subscription match is required or the phone is the subscription's. */
static struct pa_rpc_result
subscription_ok(
    struct auth_worker *w, struct pa_rpc_call *call, const char *sub_id, const char *phone)
{
	const struct pa_policy *p = auth_caller_policy(w->app, call);
	char                    linked[AUTH_PHONE_LEN];
	bool                    found;
	pa_err                  rv;

	if (!p->subscription_required)
		return pa_rpc_ok(NULL);
	if (sub_id == NULL || sub_id[0] == '\0')
		return pa_rpc_fail(CODE(INVALID_ARGUMENT), REASON(MISSING_FIELD),
		    "A subscription id is required.");
	if ((rv = auth_accounts_subscription_phone(w->db, sub_id, linked, &found)) != PA_OK)
		return auth_db_fail(w, call, rv);
	if (!found)
		return pa_rpc_fail(CODE(FAILED_PRECONDITION), REASON(SUBSCRIPTION_NOT_FOUND),
		    "We could not find that subscription.");
	if (strcmp(linked, phone) != 0)
		return pa_rpc_fail(CODE(FAILED_PRECONDITION), REASON(SUBSCRIPTION_MISMATCH),
		    p->msg_subscription_mismatch);
	return pa_rpc_ok(NULL);
}

struct pa_rpc_result
auth_start_signup(struct pa_rpc_call *call, void *state, const void *in_, void *out_)
{
	struct auth_worker                      *w   = state;
	const struct pa_policy                  *p   = auth_caller_policy(w->app, call);
	const Phoneauth__V1__StartSignupRequest *in  = in_;
	Phoneauth__V1__StartSignupResponse      *out = out_;
	struct auth_code_request                 req = { .purpose = "signup" };
	struct auth_code_sent                    sent;
	struct auth_pump_pass                    pass;
	struct pa_phone                          phone;
	struct pa_rpc_result                     r;
	char                                     masked[PA_PHONE_MASK_MAX];
	pa_err                                   rv;

	if ((r = auth_phone_accept(w->app, auth_caller_policy(w->app, call), in->phone, &phone))
	            .code
	        != CODE(OK)
	    || (r = auth_code_channel(p, (int) in->channel, p->default_channel, &req.channel)).code
	        != CODE(OK)
	    || (r = subscription_ok(w, call, in->subscription_id, phone.e164)).code != CODE(OK))
		return r;
	req.has_channel = true;
	if ((rv = auth_accounts_phone_verified(w->db, phone.e164, &req.phantom)) != PA_OK)
		return auth_db_fail(w, call, rv);
	if (req.phantom && !p->non_enumerating)
		return pa_rpc_fail(
		    CODE(ALREADY_EXISTS), REASON(ACCOUNT_EXISTS), p->msg_account_exists);
	if ((r = auth_sms_available(w, call)).code != CODE(OK)
	    || (r = auth_pump_gate(w, call, phone.e164, &pass)).code != CODE(OK))
		return r;
	req.phone_e164      = phone.e164;
	req.subscription_id = p->subscription_required ? in->subscription_id : NULL;
	/* Anyone can link a subscription of their own to any phone: a start on one subscription
	 * must not end the pending code of another's (migration 0010). */
	req.identity = req.subscription_id;
	req.pump     = &pass;
	if ((rv = pa_db_begin(w->db)) != PA_OK)
		return auth_db_fail(w, call, rv);
	if ((r = auth_code_start(w, call, &req, &sent)).code != CODE(OK))
		return r;
	pa_log_info("signup_started", "phone=%s verification_id=%s",
	    pa_phone_mask(sent.phone, masked), sent.id);
	if ((out->sent = auth_code_sent_reply(w->app, call, &sent)) == NULL)
		return pa_rpc_fail_err(PA_ENOMEM);
	return pa_rpc_ok(p->msg_otp_sent);
}

/* CreateAccount's work once the password passed and is hashed. */
static struct pa_rpc_result
create_account(struct auth_worker *w, struct pa_rpc_call *call,
    const Phoneauth__V1__CreateAccountRequest *in, const struct auth_token_ref *tok,
    const char *pwhash, Phoneauth__V1__CreateAccountResponse *out)
{
	const struct pa_policy        *p = auth_caller_policy(w->app, call);
	struct auth_token_verification v;
	char                           user_id[AUTH_UUID_LEN];
	bool                           found, created;
	pa_err                         rv;

	if ((rv = pa_db_begin(w->db)) != PA_OK
	    || (rv = auth_codes_by_token(w->db, tok->hash, tok->n, "signup", &v, &found)) != PA_OK)
		return auth_db_fail(w, call, rv);
	if (!found) {
		pa_db_rollback(w->db);
		return pa_rpc_fail(
		    CODE(FAILED_PRECONDITION), REASON(NOT_VERIFIED), p->msg_not_verified_create);
	}
	rv = auth_accounts_create_from(w->db, v.id,
	    in->email != NULL && in->email[0] != '\0' ? in->email : NULL, pwhash, user_id,
	    &created);
	if (rv != PA_OK)
		return auth_db_fail(w, call, rv);
	if (!created) {
		pa_db_rollback(w->db);
		return pa_rpc_fail(
		    CODE(ALREADY_EXISTS), REASON(ACCOUNT_EXISTS), p->msg_account_exists);
	}
	if ((rv = auth_codes_consume(w->db, v.id, user_id)) != PA_OK
	    || (v.subscription_id[0] != '\0'
	        && (rv = auth_accounts_subscription_user(w->db, v.subscription_id, user_id))
	            != PA_OK)
	    || (rv = auth_audit_write(w->db,
	            &(struct auth_audit) { .event = "account_created",
	                .user_id                  = user_id,
	                .phone_e164               = v.phone,
	                .verification_id          = v.id,
	                .outcome                  = "ok",
	                .ip                       = auth_caller_ip(call) }))
	        != PA_OK
	    || (rv = pa_db_commit(w->db)) != PA_OK)
		return auth_db_fail(w, call, rv);
	out->user_id  = pa_rpc_call_strdup(call, user_id);
	out->login_id = pa_rpc_call_strdup(call, v.phone);
	if (out->user_id == NULL || out->login_id == NULL)
		return pa_rpc_fail_err(PA_ENOMEM);
	return pa_rpc_ok(p->msg_account_created);
}

struct pa_rpc_result
auth_create_account(struct pa_rpc_call *call, void *state, const void *in_, void *out)
{
	struct auth_worker                        *w  = state;
	const Phoneauth__V1__CreateAccountRequest *in = in_;
	char                                       pwhash[crypto_pwhash_STRBYTES];
	struct auth_token_ref                      tok;
	struct pa_rpc_result                       r;

	if ((r = auth_password_acceptable(
	         auth_caller_policy(w->app, call), in->password, in->password_confirm))
	        .code
	    != CODE(OK))
		return r;
	if (in->email != NULL && in->email[0] != '\0' && !auth_email_ok(in->email))
		return pa_rpc_fail(CODE(INVALID_ARGUMENT), REASON(INVALID_EMAIL),
		    auth_caller_policy(w->app, call)->msg_invalid_email);
	r = auth_code_token_then_hash(w, call, in->signup_token, "signup",
	    pa_rpc_fail(CODE(FAILED_PRECONDITION), REASON(NOT_VERIFIED),
	        auth_caller_policy(w->app, call)->msg_not_verified_create),
	    in->password, &tok, pwhash);
	if (r.code != CODE(OK))
		return r;
	r = create_account(w, call, in, &tok, pwhash, out);
	sodium_memzero(pwhash, sizeof pwhash);
	return r;
}
