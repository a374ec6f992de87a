/* flow_codes.c: ResendCode and VerifyCode, the same for every flow's codes (code.h does the
 * work); a right login code then gets its session from flow_login.c. */
#include <string.h>

#include "code.h"
#include "flows.h"

struct pa_rpc_result
auth_resend_code(struct pa_rpc_call *call, void *state, const void *in_, void *out_)
{
	struct auth_worker                     *w   = state;
	const Phoneauth__V1__ResendCodeRequest *in  = in_;
	Phoneauth__V1__ResendCodeResponse      *out = out_;
	struct auth_code_sent                   sent;
	struct pa_rpc_result                    r;

	if ((r = auth_code_resend(w, call, in->verification_id, (int) in->channel, &sent)).code
	    != CODE(OK))
		return r;
	/* A reset code's phone is the account's (or a stand-in's for an unknown email): a
	 * non-enumerating profile never shows it, as StartPasswordReset does not. */
	if (w->app->policy.non_enumerating && strcmp(sent.purpose, "password_reset") == 0)
		sent.phone[0] = '\0';
	if ((out->sent = auth_code_sent_reply(w->app, call, &sent)) == NULL)
		return pa_rpc_fail_err(PA_ENOMEM);
	return r;
}

struct pa_rpc_result
auth_verify_code(struct pa_rpc_call *call, void *state, const void *in_, void *out)
{
	const Phoneauth__V1__VerifyCodeRequest *in = in_;
	char                                    purpose[AUTH_PURPOSE_LEN];
	struct pa_rpc_result                    r;

	r = auth_code_check(state, call, in->verification_id, in->code, out, purpose);
	/* A login code is consumed by now, so only one VerifyCode gets its session (should its
	 * transaction fail, the person logs in again: a new code, never a second session). */
	if (r.code != CODE(OK) || strcmp(purpose, "login") != 0)
		return r;
	return auth_login_code_verified(state, call, in->verification_id, in->remember_device, out);
}
