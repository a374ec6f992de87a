/* seckit_flows.c: the security tests' profile flows (see seckit.h): subscriptions, signups,
 * accounts, registrations and logins whose every step must succeed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "seckit.h"

/* ---- flows ----------------------------------------------------------------------------------- */

/* Fails the test unless r is OK. */
static void
must_ok(const struct pa_reply *r, const char *what)
{
	char got[400];

	if (r->code != C(OK))
		fail_msg("%s: want OK, got %s", what, seckit_reply_str(r, got, sizeof got));
}

void
seckit_link_sub(int i, const char *ip, const char *sub, const char *phone)
{
	Phoneauth__V1__LinkSubscriptionRequest req = PHONEAUTH__V1__LINK_SUBSCRIPTION_REQUEST__INIT;
	struct pa_reply                        r;

	req.subscription_id = (char *) sub;
	req.phone           = (char *) phone;
	seckit_rpc(i, ip, "LinkSubscription", &req.base,
	    &phoneauth__v1__link_subscription_response__descriptor, &r);
	must_ok(&r, "LinkSubscription");
	pa_reply_clear(&r);
}

void
seckit_start_signup(int i, const char *ip, const char *sub, const char *phone, struct pa_reply *r)
{
	Phoneauth__V1__StartSignupRequest req = PHONEAUTH__V1__START_SIGNUP_REQUEST__INIT;

	req.subscription_id = (char *) (sub != NULL ? sub : "");
	req.phone           = (char *) phone;
	seckit_rpc(
	    i, ip, "StartSignup", &req.base, &phoneauth__v1__start_signup_response__descriptor, r);
}

void
seckit_ff_signup(int i, const char *ip, const char *phone, char vid[40], char code[16])
{
	static int      sub_seq;
	char            sub[48];
	struct pa_reply r;

	(void) snprintf(sub, sizeof sub, "sec-sub-%d", ++sub_seq);
	seckit_link_sub(i, ip, sub, phone);
	seckit_start_signup(i, ip, sub, phone, &r);
	must_ok(&r, "StartSignup");
	seckit_vid(((Phoneauth__V1__StartSignupResponse *) r.body)->sent, vid);
	pa_reply_clear(&r);
	if (seckit_outbox_code(vid, code) < 0)
		fail_msg("StartSignup for %s: no code in the outbox", phone);
}

void
seckit_ff_token(int i, const char *ip, const char *phone, char token[128])
{
	char            vid[40], code[16];
	struct pa_reply r;

	seckit_ff_signup(i, ip, phone, vid, code);
	seckit_verify(i, ip, vid, code, &r);
	must_ok(&r, "VerifyCode of a signup code");
	(void) snprintf(
	    token, 128, "%s", ((Phoneauth__V1__VerifyCodeResponse *) r.body)->signup_token);
	pa_reply_clear(&r);
}

void
seckit_create_account(int i, const char *ip, const char *token, const char *pw, struct pa_reply *r)
{
	Phoneauth__V1__CreateAccountRequest req = PHONEAUTH__V1__CREATE_ACCOUNT_REQUEST__INIT;

	req.signup_token     = (char *) token;
	req.password         = (char *) pw;
	req.password_confirm = (char *) pw;
	seckit_rpc(i, ip, "CreateAccount", &req.base,
	    &phoneauth__v1__create_account_response__descriptor, r);
}

void
seckit_ff_account(int i, const char *ip, const char *phone, const char *pw, char user_id[40])
{
	char            token[128];
	struct pa_reply r;

	seckit_ff_token(i, ip, phone, token);
	seckit_create_account(i, ip, token, pw, &r);
	must_ok(&r, "CreateAccount");
	if (user_id != NULL)
		(void) snprintf(
		    user_id, 40, "%s", ((Phoneauth__V1__CreateAccountResponse *) r.body)->user_id);
	pa_reply_clear(&r);
}

void
seckit_register(
    int i, const char *ip, const char *email, const char *pw, const char *phone, struct pa_reply *r)
{
	Phoneauth__V1__RegisterRequest req = PHONEAUTH__V1__REGISTER_REQUEST__INIT;

	req.email    = (char *) email;
	req.password = (char *) pw;
	req.phone    = (char *) phone;
	seckit_rpc(
	    i, ip, "RegisterAccount", &req.base, &phoneauth__v1__register_response__descriptor, r);
}

void
seckit_lf_user(int i, const char *ip, const char *email, const char *pw, const char *phone)
{
	char            vid[40], code[16];
	struct pa_reply r;

	seckit_register(i, ip, email, pw, phone, &r);
	must_ok(&r, "RegisterAccount");
	seckit_vid(((Phoneauth__V1__RegisterResponse *) r.body)->sent, vid);
	pa_reply_clear(&r);
	if (seckit_outbox_code(vid, code) < 0)
		fail_msg("RegisterAccount for %s: no code in the outbox", email);
	seckit_verify(i, ip, vid, code, &r);
	must_ok(&r, "VerifyCode of a registration code");
	pa_reply_clear(&r);
}

void
seckit_login_ok(int i, const char *ip, const char *login, const char *pw, char token[128])
{
	struct pa_reply r;

	seckit_login(i, ip, login, pw, &r);
	must_ok(&r, "Login");
	(void) snprintf(token, 128, "%s", ((Phoneauth__V1__LoginResponse *) r.body)->session_token);
	pa_reply_clear(&r);
}
