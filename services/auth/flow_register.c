/* flow_register.c: LawnFlow's registration: email, password and phone at once; the account
 * exists unverified until the phone's code is verified (flow_codes.c). The reply is the same
 * whatever existed, so it never tells who has an account. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "code.h"
#include "flows.h"
#include "health.h"
#include "input.h"
#include "password.h"
#include "store.h"
#include "store_accounts.h"

/* Decides who a registration is for. A new email gets a new unverified user. An email whose user
 * is still unverified (a typo'd phone, an unfinished registration, someone else's attempt) gets
 * a real code to the phone given now: whichever code is verified first sets the user's phone and
 * password (they travel with the code), so an unverified registration holds nothing. A verified
 * email, or a new email on a phone a verified account uses, gets a phantom verification, so the
 * reply is the same either way. */
static pa_err
register_user(struct auth_worker *w, const char *email, const char *phone, const char *pwhash,
    char user_id[AUTH_UUID_LEN], bool *phantom)
{
	struct auth_user_by_email u;
	bool                      found, taken, created;
	pa_err                    rv;

	*phantom   = true;
	user_id[0] = '\0';
	if ((rv = auth_accounts_by_email(w->db, email, &u, &found)) != PA_OK)
		return rv;
	if (found) {
		if (u.verified)
			return PA_OK;
		(void) snprintf(user_id, AUTH_UUID_LEN, "%s", u.id);
		*phantom = false;
		return auth_accounts_touch(w->db, user_id);
	}
	if ((rv = auth_accounts_phone_verified(w->db, phone, &taken)) != PA_OK || taken)
		return rv;
	if ((rv = auth_accounts_register(w->db, email, phone, pwhash, user_id, &created)) != PA_OK)
		return rv;
	*phantom = !created;
	return PA_OK;
}

/* Registers with the password already hashed. */
static struct pa_rpc_result
register_hashed(struct auth_worker *w, struct pa_rpc_call *call, const char *email,
    const char *phone, const char *pwhash, const struct auth_pump_pass *pass,
    enum pa_channel channel, Phoneauth__V1__RegisterResponse *out)
{
	struct auth_code_request req
	    = { .purpose = "register", .pump = pass, .has_channel = true, .channel = channel };
	struct auth_code_sent sent;
	struct pa_rpc_result  r;
	char                  user_id[AUTH_UUID_LEN], identity[256];
	pa_err                rv;

	if ((rv = pa_db_begin(w->db)) != PA_OK
	    || (rv = register_user(w, email, phone, pwhash, user_id, &req.phantom)) != PA_OK)
		return auth_db_fail(w, call, rv);
	auth_email_identity(email, identity);
	req.phone_e164    = phone;
	req.user_id       = req.phantom ? NULL : user_id;
	req.identity      = identity;
	req.password_hash = req.phantom ? NULL : pwhash;
	if ((r = auth_code_start(w, call, &req, &sent)).code != CODE(OK))
		return r;
	if ((out->sent = auth_code_sent_reply(w->app, call, &sent)) == NULL)
		return pa_rpc_fail_err(PA_ENOMEM);
	return pa_rpc_ok(auth_caller_policy(w->app, call)->msg_registered);
}

struct pa_rpc_result
auth_register_account(struct pa_rpc_call *call, void *state, const void *in_, void *out)
{
	struct auth_worker                   *w  = state;
	const Phoneauth__V1__RegisterRequest *in = in_;
	char                                  pwhash[crypto_pwhash_STRBYTES];
	struct auth_pump_pass                 pass;
	struct pa_phone                       phone;
	struct pa_rpc_result                  r;
	enum pa_channel                       channel;
	pa_err                                rv;

	if (!auth_email_ok(in->email))
		return pa_rpc_fail(CODE(INVALID_ARGUMENT), REASON(INVALID_EMAIL),
		    auth_caller_policy(w->app, call)->msg_invalid_email);
	if ((r = auth_phone_accept(w->app, auth_caller_policy(w->app, call), in->phone, &phone))
	            .code
	        != CODE(OK)
	    || (r = auth_code_channel(auth_caller_policy(w->app, call), (int) in->channel,
	            w->app->policy.default_channel, &channel))
	            .code
	        != CODE(OK)
	    || (r = auth_password_acceptable(auth_caller_policy(w->app, call), in->password, NULL))
	            .code
	        != CODE(OK)
	    || (r = auth_sms_available(w, call)).code != CODE(OK)
	    || (r = auth_pump_gate(w, call, phone.e164, &pass)).code != CODE(OK))
		return r;
	/* Every path hashes, so a taken email costs the same time as a new one. */
	if ((rv = auth_password_hash(w->app, in->password, pwhash)) != PA_OK)
		return pa_rpc_fail_err(rv);
	r = register_hashed(w, call, in->email, phone.e164, pwhash, &pass, channel, out);
	sodium_memzero(pwhash, sizeof pwhash);
	return r;
}
