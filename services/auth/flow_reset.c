/* flow_reset.c: password reset: a code to the account's verified phone (StartPasswordReset), then
 * the new password with the single-use token VerifyCode gave (CompletePasswordReset: Argon2, on
 * the slow pool), which ends every session of the account and forgets its remembered devices. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "caller.h"
#include "code.h"
#include "flows.h"
#include "health.h"
#include "input.h"
#include "password.h"
#include "store.h"
#include "store_accounts.h"
#include "store_codes.h"
#include "store_devices.h"
#include "store_sessions.h"

/* The non-enumerating answer when there is no account and not even a phone to stand a phantom
 * row on: the same shape as a real reply, with an id that matches no row (resends and checks on
 * it answer like an unknown or wrong code). */
static struct pa_rpc_result
reset_nobody(struct auth_app *app, struct pa_rpc_call *call, enum pa_channel channel,
    Phoneauth__V1__StartPasswordResetResponse *out)
{
	struct auth_code_sent s = { .phone = "", .purpose = "password_reset", .channel = channel };

	auth_uuid_new(s.id);
	if ((out->sent = auth_code_sent_reply(app, call, &s)) == NULL)
		return pa_rpc_fail_err(PA_ENOMEM);
	return pa_rpc_ok(auth_caller_policy(app, call)->msg_reset_started);
}

struct pa_rpc_result
auth_start_password_reset(struct pa_rpc_call *call, void *state, const void *in_, void *out_)
{
	struct auth_worker                             *w   = state;
	const struct pa_policy                         *p   = auth_caller_policy(w->app, call);
	const Phoneauth__V1__StartPasswordResetRequest *in  = in_;
	Phoneauth__V1__StartPasswordResetResponse      *out = out_;
	struct auth_code_request                        req = { .purpose = "password_reset" };
	struct auth_pump_pass                           pass;
	struct auth_code_sent                           sent;
	struct pa_rpc_result                            r;
	char        phone[AUTH_PHONE_LEN], user_id[AUTH_UUID_LEN];
	const char *email;
	bool        found;
	pa_err      rv;

	if ((r = auth_code_channel(p, (int) in->channel, p->default_channel, &req.channel)).code
	    != CODE(OK))
		return r;
	req.has_channel = true;
	auth_login_keys(w->app, in->login, phone, &email);
	if ((rv = auth_accounts_reset_lookup(
	         w->db, phone[0] ? phone : NULL, email, user_id, phone, &found))
	    != PA_OK)
		return auth_db_fail(w, call, rv);
	req.phantom = !found;
	/* An email with no account gets a phantom on a stand-in phone, so that everything after
	 * (cooldown, limits, tries, resends) reads as it does for an account's. */
	if (req.phantom && p->non_enumerating && phone[0] == '\0' && email != NULL)
		auth_phantom_phone(email, phone);
	if (req.phantom && (!p->non_enumerating || phone[0] == '\0')) {
		if (p->non_enumerating)
			return reset_nobody(w->app, call, req.channel, out);
		return pa_rpc_fail(
		    CODE(NOT_FOUND), REASON(NOT_FOUND_GENERIC), p->msg_login_invalid);
	}
	if ((r = auth_sms_available(w, call)).code != CODE(OK)
	    || (r = auth_pump_gate(w, call, phone, &pass)).code != CODE(OK))
		return r;
	req.phone_e164 = phone;
	req.user_id    = req.phantom ? NULL : user_id;
	req.pump       = &pass;
	if ((rv = pa_db_begin(w->db)) != PA_OK)
		return auth_db_fail(w, call, rv);
	if ((r = auth_code_start(w, call, &req, &sent)).code != CODE(OK))
		return r;
	/* Which phone got the code would tell who owns the email. */
	if (p->non_enumerating)
		sent.phone[0] = '\0';
	out->sent = auth_code_sent_reply(w->app, call, &sent);
	if (out->sent == NULL)
		return pa_rpc_fail_err(PA_ENOMEM);
	return pa_rpc_ok(p->msg_reset_started);
}

/* CompletePasswordReset's work once the password passed and is hashed. */
static struct pa_rpc_result
complete_reset(struct auth_worker *w, struct pa_rpc_call *call, const struct auth_token_ref *tok,
    const char *pwhash, Phoneauth__V1__CompletePasswordResetResponse *out)
{
	const struct pa_policy        *p = auth_caller_policy(w->app, call);
	struct auth_token_verification v;
	bool                           found;
	pa_err                         rv;

	if ((rv = pa_db_begin(w->db)) != PA_OK
	    || (rv = auth_codes_by_token(w->db, tok->hash, tok->n, "password_reset", &v, &found))
	        != PA_OK)
		return auth_db_fail(w, call, rv);
	if (!found || v.user_id[0] == '\0') {
		pa_db_rollback(w->db);
		return pa_rpc_fail(
		    CODE(FAILED_PRECONDITION), REASON(TOKEN_INVALID), p->msg_session_invalid);
	}
	if ((rv = auth_accounts_set_password(w->db, v.user_id, pwhash)) != PA_OK
	    || (rv = auth_sessions_revoke_user(w->db, v.user_id)) != PA_OK
	    /* A new password forgets the remembered devices too: whoever reset it decides anew
	     * which devices skip the login code. */
	    || (rv = auth_devices_forget_user(w->db, v.user_id)) != PA_OK
	    /* A login code sent for the old password must not finish a login after the reset. */
	    || (rv = auth_codes_expire_logins(w->db, v.user_id)) != PA_OK
	    || (rv = auth_codes_consume(w->db, v.id, v.user_id)) != PA_OK
	    || (rv = auth_audit_write(w->db,
	            &(struct auth_audit) { .event = "password_reset",
	                .user_id                  = v.user_id,
	                .verification_id          = v.id,
	                .outcome                  = "ok",
	                .ip                       = auth_caller_ip(call) }))
	        != PA_OK
	    || (rv = pa_db_commit(w->db)) != PA_OK)
		return auth_db_fail(w, call, rv);
	if ((out->user_id = pa_rpc_call_strdup(call, v.user_id)) == NULL)
		return pa_rpc_fail_err(PA_ENOMEM);
	return pa_rpc_ok(p->msg_reset_done);
}

struct pa_rpc_result
auth_complete_password_reset(struct pa_rpc_call *call, void *state, const void *in_, void *out)
{
	struct auth_worker                                *w  = state;
	const Phoneauth__V1__CompletePasswordResetRequest *in = in_;
	char                                               pwhash[crypto_pwhash_STRBYTES];
	struct auth_token_ref                              tok;
	struct pa_rpc_result                               r;

	if ((r = auth_password_acceptable(
	         auth_caller_policy(w->app, call), in->password, in->password_confirm))
	        .code
	    != CODE(OK))
		return r;
	r = auth_code_token_then_hash(w, call, in->reset_token, "password_reset",
	    pa_rpc_fail(CODE(FAILED_PRECONDITION), REASON(TOKEN_INVALID),
	        auth_caller_policy(w->app, call)->msg_session_invalid),
	    in->password, &tok, pwhash);
	if (r.code != CODE(OK))
		return r;
	r = complete_reset(w, call, &tok, pwhash, out);
	sodium_memzero(pwhash, sizeof pwhash);
	return r;
}
