/* service.c: the Auth service's method table (which pool runs each method) and Health. Health
 * answers on NNG's thread while good news is fresh: a hand-off to a worker cost it half its rate
 * (bench/README.md). The slow pool runs the methods that hash passwords (Argon2), admitting a
 * few per end-user IP at a time (PHONEAUTH_SLOW_PER_IP). */
#include "flows.h"

#include <stdio.h>

#include "caller.h"
#include "health.h"
#include "phoneauth/v1/auth.pb-c.h"

static const struct pa_rpc_method methods[] = {
	{ "Health", PA_RPC_INLINE, auth_health },
	{ "LinkSubscription", PA_RPC_FAST, auth_link_subscription },
	{ "StartSignup", PA_RPC_FAST, auth_start_signup },
	{ "ResendCode", PA_RPC_FAST, auth_resend_code },
	{ "VerifyCode", PA_RPC_FAST, auth_verify_code },
	{ "CreateAccount", PA_RPC_SLOW, auth_create_account },
	{ "RegisterAccount", PA_RPC_SLOW, auth_register_account },
	{ "Login", PA_RPC_SLOW, auth_login },
	{ "ValidateSession", PA_RPC_FAST, auth_validate_session },
	{ "Logout", PA_RPC_FAST, auth_logout },
	{ "StartPasswordReset", PA_RPC_FAST, auth_start_password_reset },
	{ "CompletePasswordReset", PA_RPC_SLOW, auth_complete_password_reset },
};

/* The slow pool's admission key (NNG's thread): the caller's IP key, or one shared key for a
 * call without the client token, which authorize will refuse anyway but which must not take
 * another IP's places meanwhile. */
static const char *
slow_key(struct pa_rpc_call *call, void *arg, char key[PA_RPC_KEY_MAX])
{
	struct auth_app *app = arg;
	char             ip[AUTH_IP_KEY_MAX];

	if (app->cfg.client_token != NULL && app->cfg.client_token[0] != '\0'
	    && !auth_token_matches(pa_rpc_call_caller(call)->client_token, app->cfg.client_token))
		(void) snprintf(key, PA_RPC_KEY_MAX, "unauthenticated");
	else
		(void) snprintf(key, PA_RPC_KEY_MAX, "%s", auth_caller_ip_key(app, call, ip));
	return key;
}

struct pa_rpc_service
auth_service(struct auth_app *app)
{
	bool token = app->cfg.client_token != NULL && app->cfg.client_token[0] != '\0';

	return (struct pa_rpc_service) { .desc = &phoneauth__v1__auth__descriptor,
		.methods                       = methods,
		.n_methods                     = sizeof methods / sizeof methods[0],
		.authorize                     = token ? auth_client_authorize : NULL,
		.arg                           = app,
		.slow_key                      = slow_key,
		.slow_key_refusal              = pa_rpc_fail(
		                 CODE(RESOURCE_EXHAUSTED), REASON(IP_LIMIT), app->policy.msg_rate_limited_ip) };
}

/* state is NULL on NNG's thread: only good news is answered from memory, anything else asks the
 * database on a worker. */
struct pa_rpc_result
auth_health(struct pa_rpc_call *call, void *state, const void *in, void *out_)
{
	struct auth_worker            *w   = state;
	struct auth_app               *app = w != NULL ? w->app : pa_rpc_call_service_arg(call);
	Phoneauth__V1__HealthResponse *out = out_;

	(void) in;
	if (w == NULL) {
		if (!auth_health_good_recently(app))
			return (struct pa_rpc_result) { .defer = true };
		out->database_ok = out->sms_worker_alive = true;
	} else {
		auth_health_refresh(w);
		if (!w->db_ok)
			return pa_rpc_fail_err(PA_EUNAVAILABLE);
		out->database_ok      = w->db_ok;
		out->sms_worker_alive = w->sms_alive;
	}
	out->version = (char *) PHONEAUTH_VERSION;
	out->profile = app->policy.name;
	return pa_rpc_ok(NULL);
}
