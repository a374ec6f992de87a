/* cmd_auth.c: the Auth commands, one function each: health and the flows (signup, verify,
 * login...). Each is one RPC; replies print as "key: value" lines or one JSON object. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "args.h"
#include "call.h"
#include "cmd_auth.h"
#include "output.h"
#include "phoneauth/v1/auth.pb-c.h"
#include "prompt.h"

static int
cmd_health(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__HealthRequest   req = PHONEAUTH__V1__HEALTH_REQUEST__INIT;
	Phoneauth__V1__HealthResponse *h;
	struct cli_out                 o;
	struct pa_reply                r;
	int                            st;

	st = cli_call_auth(
	    ctx, "Health", &req.base, &phoneauth__v1__health_response__descriptor, &r);
	if (st != 0)
		return st;
	h = (Phoneauth__V1__HealthResponse *) r.body;
	if (ctx->json) {
		/* Its own keys: a health check has no user-facing message. */
		cli_out_start(&o, true);
		cli_out_str(&o, "status", "OK");
		cli_out_str(&o, "version", h->version);
		cli_out_bool(&o, "database_ok", h->database_ok);
		cli_out_bool(&o, "sms_worker_alive", h->sms_worker_alive);
		st = cli_out_print(&o);
	} else {
		printf("OK version=%s database=%s sms_worker=%s\n", h->version,
		    h->database_ok ? "up" : "down", h->sms_worker_alive ? "alive" : "none");
	}
	pa_reply_clear(&r);
	return st;
}

static const char *
channel_name(Phoneauth__V1__Channel c)
{
	switch (c) {
	case PHONEAUTH__V1__CHANNEL__CHANNEL_SMS:
		return "sms";
	case PHONEAUTH__V1__CHANNEL__CHANNEL_WHATSAPP:
		return "whatsapp";
	default:
		return ""; /* unspecified: left out of human output */
	}
}

/* The fields of a sent code, in every reply that sends one. */
static void
out_code_sent(struct cli_out *o, const Phoneauth__V1__CodeSent *s)
{
	const Phoneauth__V1__CodeSent none = PHONEAUTH__V1__CODE_SENT__INIT;

	if (s == NULL)
		s = &none;
	cli_out_str(o, "verification_id", s->verification_id);
	cli_out_str(o, "phone", s->phone_masked);
	cli_out_str(o, "channel", channel_name(s->channel));
	cli_out_uint(o, "resend_after_s", s->resend_after_s);
	cli_out_uint(o, "expires_in_s", s->expires_in_s);
	cli_out_uint(o, "code_length", s->code_length);
}

/* --channel's value into *out: NULL (not given) is unspecified, the profile's default. Returns
 * CLI_ARGS_RUN, or 2 after a usage error naming the value. */
static int
parse_channel(const char *synopsis, const char *value, Phoneauth__V1__Channel *out)
{
	if (value == NULL) {
		*out = PHONEAUTH__V1__CHANNEL__CHANNEL_UNSPECIFIED;
	} else if (strcmp(value, "sms") == 0) {
		*out = PHONEAUTH__V1__CHANNEL__CHANNEL_SMS;
	} else if (strcmp(value, "whatsapp") == 0) {
		*out = PHONEAUTH__V1__CHANNEL__CHANNEL_WHATSAPP;
	} else {
		fprintf(stderr, "phoneauth: --channel takes sms or whatsapp (got '%s')\n", value);
		fprintf(stderr, "usage: phoneauth %s\n", synopsis);
		return 2;
	}
	return CLI_ARGS_RUN;
}

/* --- Flow commands ---------------------------------------------------------------------------- */

#define SYN_LINK "link-subscription SUBSCRIPTION_ID PHONE"

static int
cmd_link_subscription(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__LinkSubscriptionRequest req = PHONEAUTH__V1__LINK_SUBSCRIPTION_REQUEST__INIT;
	Phoneauth__V1__LinkSubscriptionResponse *resp;
	const char                              *pos[2];
	struct cli_out                           o;
	struct pa_reply                          r;
	int                                      st;
	const struct cli_args args = { .synopsis = SYN_LINK, .pos = pos, .npos = 2, .nreq = 2 };

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN)
		return st;
	req.subscription_id = (char *) pos[0];
	req.phone           = (char *) pos[1];

	st = cli_call_auth(ctx, "LinkSubscription", &req.base,
	    &phoneauth__v1__link_subscription_response__descriptor, &r);
	if (st != 0)
		return st;
	resp = (Phoneauth__V1__LinkSubscriptionResponse *) r.body;
	cli_out_begin(&o, ctx, &r);
	cli_out_str(&o, "subscription_id", resp->subscription_id);
	cli_out_str(&o, "phone", resp->phone_masked);
	return cli_out_end(&o, &r);
}

#define SYN_SIGNUP "signup PHONE [--subscription ID] [--channel sms|whatsapp]"

static int
cmd_signup(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__StartSignupRequest req = PHONEAUTH__V1__START_SIGNUP_REQUEST__INIT;
	const char                       *sub = "", *channel = NULL;
	const struct cli_opt              opts[] = { { "--subscription", &sub, NULL },
		             { "--channel", &channel, NULL }, { NULL, NULL, NULL } };
	const char                       *pos[1];
	struct cli_out                    o;
	struct pa_reply                   r;
	int                               st;
	const struct cli_args             args
	    = { .synopsis = SYN_SIGNUP, .opts = opts, .pos = pos, .npos = 1, .nreq = 1 };

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN
	    || (st = parse_channel(SYN_SIGNUP, channel, &req.channel)) != CLI_ARGS_RUN)
		return st;
	req.subscription_id = (char *) sub;
	req.phone           = (char *) pos[0];

	st = cli_call_auth(
	    ctx, "StartSignup", &req.base, &phoneauth__v1__start_signup_response__descriptor, &r);
	if (st != 0)
		return st;
	cli_out_begin(&o, ctx, &r);
	out_code_sent(&o, ((Phoneauth__V1__StartSignupResponse *) r.body)->sent);
	return cli_out_end(&o, &r);
}

#define SYN_RESEND "resend VERIFICATION_ID [--channel sms|whatsapp]"

static int
cmd_resend(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__ResendCodeRequest req     = PHONEAUTH__V1__RESEND_CODE_REQUEST__INIT;
	const char                      *channel = NULL;
	const struct cli_opt  opts[] = { { "--channel", &channel, NULL }, { NULL, NULL, NULL } };
	const char           *pos[1];
	struct cli_out        o;
	struct pa_reply       r;
	int                   st;
	const struct cli_args args
	    = { .synopsis = SYN_RESEND, .opts = opts, .pos = pos, .npos = 1, .nreq = 1 };

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN
	    || (st = parse_channel(SYN_RESEND, channel, &req.channel)) != CLI_ARGS_RUN)
		return st;
	req.verification_id = (char *) pos[0];

	st = cli_call_auth(
	    ctx, "ResendCode", &req.base, &phoneauth__v1__resend_code_response__descriptor, &r);
	if (st != 0)
		return st;
	cli_out_begin(&o, ctx, &r);
	out_code_sent(&o, ((Phoneauth__V1__ResendCodeResponse *) r.body)->sent);
	return cli_out_end(&o, &r);
}

#define SYN_VERIFY "verify VERIFICATION_ID CODE [--remember-device]"

static int
cmd_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__VerifyCodeRequest   req = PHONEAUTH__V1__VERIFY_CODE_REQUEST__INIT;
	Phoneauth__V1__VerifyCodeResponse *resp;
	bool                               remember = false;
	const struct cli_opt               opts[]
	    = { { "--remember-device", NULL, &remember }, { NULL, NULL, NULL } };
	const char           *pos[2];
	struct cli_out        o;
	struct pa_reply       r;
	int                   st;
	const struct cli_args args
	    = { .synopsis = SYN_VERIFY, .opts = opts, .pos = pos, .npos = 2, .nreq = 2 };

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN)
		return st;
	req.verification_id = (char *) pos[0];
	req.code            = (char *) pos[1];
	req.remember_device = remember;

	st = cli_call_auth(
	    ctx, "VerifyCode", &req.base, &phoneauth__v1__verify_code_response__descriptor, &r);
	if (st != 0)
		return st;
	resp = (Phoneauth__V1__VerifyCodeResponse *) r.body;
	cli_out_begin(&o, ctx, &r);
	cli_out_bool(&o, "verified", resp->verified);
	cli_out_str(&o, "signup_token", resp->signup_token);
	cli_out_uint(&o, "token_expires_in_s", resp->token_expires_in_s);
	cli_out_str(&o, "user_id", resp->user_id);
	/* A login code: the session Login held back, and the device token when asked for. */
	cli_out_str(&o, "session_token", resp->session_token);
	if (resp->session_token[0] != '\0')
		cli_out_time(&o, "expires_at", resp->session_expires_at_unix);
	cli_out_str(&o, "device_token", resp->device_token);
	if (resp->device_token[0] != '\0')
		cli_out_time(&o, "device_expires_at", resp->device_expires_at_unix);
	return cli_out_end(&o, &r);
}

#define SYN_CREATE "create-account SIGNUP_TOKEN [--email E]"

static int
cmd_create_account(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__CreateAccountRequest   req = PHONEAUTH__V1__CREATE_ACCOUNT_REQUEST__INIT;
	Phoneauth__V1__CreateAccountResponse *resp;
	const char                           *email = "";
	const struct cli_opt  opts[] = { { "--email", &email, NULL }, { NULL, NULL, NULL } };
	const char           *pos[1];
	struct cli_passwords  p;
	struct cli_out        o;
	struct pa_reply       r;
	int                   st;
	const struct cli_args args
	    = { .synopsis = SYN_CREATE, .opts = opts, .pos = pos, .npos = 1, .nreq = 1 };

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN)
		return st;
	if (cli_prompt_password_pair(&p) != 0)
		return 1;
	req.signup_token     = (char *) pos[0];
	req.email            = (char *) email;
	req.password         = p.pw;
	req.password_confirm = p.confirm;

	st = cli_call_auth(ctx, "CreateAccount", &req.base,
	    &phoneauth__v1__create_account_response__descriptor, &r);
	sodium_memzero(&p, sizeof p);
	if (st != 0)
		return st;
	resp = (Phoneauth__V1__CreateAccountResponse *) r.body;
	cli_out_begin(&o, ctx, &r);
	cli_out_str(&o, "user_id", resp->user_id);
	cli_out_str(&o, "login_id", resp->login_id);
	return cli_out_end(&o, &r);
}

#define SYN_REGISTER "register EMAIL PHONE [--channel sms|whatsapp]"

static int
cmd_register(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__RegisterRequest req     = PHONEAUTH__V1__REGISTER_REQUEST__INIT;
	const char                    *channel = NULL;
	const struct cli_opt  opts[] = { { "--channel", &channel, NULL }, { NULL, NULL, NULL } };
	const char           *pos[2];
	struct cli_passwords  p;
	struct cli_out        o;
	struct pa_reply       r;
	int                   st;
	const struct cli_args args
	    = { .synopsis = SYN_REGISTER, .opts = opts, .pos = pos, .npos = 2, .nreq = 2 };

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN
	    || (st = parse_channel(SYN_REGISTER, channel, &req.channel)) != CLI_ARGS_RUN)
		return st;
	if (cli_prompt_password(&p) != 0)
		return 1;
	req.email    = (char *) pos[0];
	req.phone    = (char *) pos[1];
	req.password = p.pw;

	st = cli_call_auth(
	    ctx, "RegisterAccount", &req.base, &phoneauth__v1__register_response__descriptor, &r);
	sodium_memzero(&p, sizeof p);
	if (st != 0)
		return st;
	cli_out_begin(&o, ctx, &r);
	out_code_sent(&o, ((Phoneauth__V1__RegisterResponse *) r.body)->sent);
	return cli_out_end(&o, &r);
}

#define SYN_LOGIN "login LOGIN [--device-token T] [--channel sms|whatsapp]"

static int
cmd_login(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__LoginRequest   req = PHONEAUTH__V1__LOGIN_REQUEST__INIT;
	Phoneauth__V1__LoginResponse *resp;
	const char                   *device = "", *channel = NULL;
	const struct cli_opt          opts[] = { { "--device-token", &device, NULL },
		         { "--channel", &channel, NULL }, { NULL, NULL, NULL } };
	const char                   *pos[1];
	struct cli_passwords          p;
	struct cli_out                o;
	struct pa_reply               r;
	int                           st;
	const struct cli_args         args
	    = { .synopsis = SYN_LOGIN, .opts = opts, .pos = pos, .npos = 1, .nreq = 1 };

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN
	    || (st = parse_channel(SYN_LOGIN, channel, &req.channel)) != CLI_ARGS_RUN)
		return st;
	if (cli_prompt_password(&p) != 0)
		return 1;
	req.login        = (char *) pos[0];
	req.password     = p.pw;
	req.device_token = (char *) device;

	st = cli_call_auth(ctx, "Login", &req.base, &phoneauth__v1__login_response__descriptor, &r);
	sodium_memzero(&p, sizeof p);
	if (st != 0)
		return st;
	resp = (Phoneauth__V1__LoginResponse *) r.body;
	cli_out_begin(&o, ctx, &r);
	if (resp->second_factor != NULL) {
		/* The right password, and a code to finish with: `phoneauth verify ID CODE`. */
		cli_out_bool(&o, "second_factor", true);
		out_code_sent(&o, resp->second_factor);
		return cli_out_end(&o, &r);
	}
	/* The one place a token is printed: the person logging in asked for it. */
	cli_out_str(&o, "session_token", resp->session_token);
	cli_out_str(&o, "user_id", resp->user_id);
	cli_out_time(&o, "expires_at", resp->expires_at_unix);
	return cli_out_end(&o, &r);
}

#define SYN_SESSION "session TOKEN"

static int
cmd_session(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__ValidateSessionRequest   req = PHONEAUTH__V1__VALIDATE_SESSION_REQUEST__INIT;
	Phoneauth__V1__ValidateSessionResponse *resp;
	const char                             *pos[1];
	struct cli_out                          o;
	struct pa_reply                         r;
	int                                     st;
	const struct cli_args args = { .synopsis = SYN_SESSION, .pos = pos, .npos = 1, .nreq = 1 };

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN)
		return st;
	req.session_token = (char *) pos[0];

	st = cli_call_auth(ctx, "ValidateSession", &req.base,
	    &phoneauth__v1__validate_session_response__descriptor, &r);
	if (st != 0)
		return st;
	resp = (Phoneauth__V1__ValidateSessionResponse *) r.body;
	cli_out_begin(&o, ctx, &r);
	cli_out_str(&o, "user_id", resp->user_id);
	cli_out_str(&o, "phone", resp->phone_masked);
	cli_out_bool(&o, "phone_verified", resp->phone_verified);
	cli_out_str(&o, "email", resp->email);
	cli_out_time(&o, "expires_at", resp->expires_at_unix);
	return cli_out_end(&o, &r);
}

#define SYN_LOGOUT "logout TOKEN"

static int
cmd_logout(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__LogoutRequest req = PHONEAUTH__V1__LOGOUT_REQUEST__INIT;
	const char                  *pos[1];
	struct cli_out               o;
	struct pa_reply              r;
	int                          st;
	const struct cli_args args = { .synopsis = SYN_LOGOUT, .pos = pos, .npos = 1, .nreq = 1 };

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN)
		return st;
	req.session_token = (char *) pos[0];

	st = cli_call_auth(
	    ctx, "Logout", &req.base, &phoneauth__v1__logout_response__descriptor, &r);
	if (st != 0)
		return st;
	cli_out_begin(&o, ctx, &r);
	return cli_out_end(&o, &r);
}

#define SYN_RESET "reset-password LOGIN [--channel sms|whatsapp]"

static int
cmd_reset_password(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__StartPasswordResetRequest req
	    = PHONEAUTH__V1__START_PASSWORD_RESET_REQUEST__INIT;
	const char           *channel = NULL;
	const struct cli_opt  opts[]  = { { "--channel", &channel, NULL }, { NULL, NULL, NULL } };
	const char           *pos[1];
	struct cli_out        o;
	struct pa_reply       r;
	int                   st;
	const struct cli_args args
	    = { .synopsis = SYN_RESET, .opts = opts, .pos = pos, .npos = 1, .nreq = 1 };

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN
	    || (st = parse_channel(SYN_RESET, channel, &req.channel)) != CLI_ARGS_RUN)
		return st;
	req.login = (char *) pos[0];

	st = cli_call_auth(ctx, "StartPasswordReset", &req.base,
	    &phoneauth__v1__start_password_reset_response__descriptor, &r);
	if (st != 0)
		return st;
	cli_out_begin(&o, ctx, &r);
	out_code_sent(&o, ((Phoneauth__V1__StartPasswordResetResponse *) r.body)->sent);
	return cli_out_end(&o, &r);
}

#define SYN_COMPLETE "complete-reset RESET_TOKEN"

static int
cmd_complete_reset(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__CompletePasswordResetRequest req
	    = PHONEAUTH__V1__COMPLETE_PASSWORD_RESET_REQUEST__INIT;
	const char           *pos[1];
	struct cli_passwords  p;
	struct cli_out        o;
	struct pa_reply       r;
	int                   st;
	const struct cli_args args = { .synopsis = SYN_COMPLETE, .pos = pos, .npos = 1, .nreq = 1 };

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN)
		return st;
	if (cli_prompt_password_pair(&p) != 0)
		return 1;
	req.reset_token      = (char *) pos[0];
	req.password         = p.pw;
	req.password_confirm = p.confirm;

	st = cli_call_auth(ctx, "CompletePasswordReset", &req.base,
	    &phoneauth__v1__complete_password_reset_response__descriptor, &r);
	sodium_memzero(&p, sizeof p);
	if (st != 0)
		return st;
	cli_out_begin(&o, ctx, &r);
	cli_out_str(
	    &o, "user_id", ((Phoneauth__V1__CompletePasswordResetResponse *) r.body)->user_id);
	return cli_out_end(&o, &r);
}

/* Help lines: the synopsis after the name, then what it does. Passwords are never arguments
 * (they would show in ps and shell history): they come from $PHONEAUTH_PASSWORD (and
 * $PHONEAUTH_PASSWORD_CONFIRM) or a prompt. */
const struct cli_command cli_auth_commands[] = {
	{ "health", "check that the Auth service and its database answer", cmd_health },
	{ "link-subscription", "SUBSCRIPTION_ID PHONE: link a subscription to its phone",
	    cmd_link_subscription },
	{ "signup", "PHONE [--subscription ID] [--channel C]: send a signup code to PHONE",
	    cmd_signup },
	{ "resend", "VERIFICATION_ID [--channel C]: send the code again", cmd_resend },
	{ "verify",
	    "VERIFICATION_ID CODE [--remember-device]: check a code; prints its token or session",
	    cmd_verify },
	{ "create-account", "SIGNUP_TOKEN [--email E]: create the account (asks for a password)",
	    cmd_create_account },
	{ "register",
	    "EMAIL PHONE [--channel C]: register by email and phone (asks for a password)",
	    cmd_register },
	{ "login",
	    "LOGIN [--device-token T] [--channel C]: log in by phone or email (asks for a "
	    "password)",
	    cmd_login },
	{ "session", "TOKEN: show the session behind TOKEN", cmd_session },
	{ "logout", "TOKEN: end the session", cmd_logout },
	{ "reset-password", "LOGIN [--channel C]: send a password reset code", cmd_reset_password },
	{ "complete-reset", "RESET_TOKEN: set a new password (asks for it twice)",
	    cmd_complete_reset },
	{ NULL, NULL, NULL },
};
