/* client.c: libphoneauth-client's public API over libcommon's RPC client (rpc_client.c and
 * rpc_envelope.c, built into this library from the same objects as libcommon): options, the
 * reply as the public struct, and one function per RPC. */
#include "phoneauth/client.h"

#include <stdlib.h>
#include <string.h>

#include "common/rpc_client.h"
#include "common/tls.h"

struct phoneauth_client {
	struct pa_client *pa;
};

static phoneauth_err
err_public(pa_err rv)
{
	switch (rv) {
	case PA_OK:
		return PHONEAUTH_OK;
	case PA_ENOMEM:
		return PHONEAUTH_ENOMEM;
	case PA_EINVAL:
		return PHONEAUTH_EINVAL;
	case PA_ETIMEDOUT:
		return PHONEAUTH_ETIMEDOUT;
	case PA_EPROTO:
		return PHONEAUTH_EPROTO;
	default:
		return PHONEAUTH_EIO;
	}
}

phoneauth_err
phoneauth_client_open(struct phoneauth_client **out, const struct phoneauth_client_opts *o)
{
	const struct pa_tls_opts tls = {
		.ca_file     = o->tls_ca_file,
		.server_name = o->tls_server_name,
		.cert_file   = o->tls_cert_file,
		.key_file    = o->tls_key_file,
	};
	const struct pa_client_opts po = {
		.url          = o->url,
		.timeout_ms   = o->timeout_ms,
		.client_token = o->client_token,
		.admin_token  = o->admin_token,
		.tls          = o->tls_ca_file != NULL ? &tls : NULL,
	};
	struct phoneauth_client *c;
	pa_err                   rv;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return PHONEAUTH_ENOMEM;
	/* pa_client_open copies what it keeps, so tls may live on this stack. */
	if ((rv = pa_client_open(&c->pa, &po)) != PA_OK) {
		free(c);
		return err_public(rv);
	}
	*out = c;
	return PHONEAUTH_OK;
}

void
phoneauth_client_close(struct phoneauth_client *c)
{
	if (c == NULL)
		return;
	pa_client_close(c->pa);
	free(c);
}

phoneauth_err
phoneauth_call(struct phoneauth_client *c, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *resp_desc, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out)
{
	struct pa_reply r;
	pa_err          rv;

	if (c == NULL || method == NULL || req == NULL || out == NULL)
		return PHONEAUTH_EINVAL;
	if ((rv = pa_client_call(c->pa, method, req, resp_desc, caller, &r)) != PA_OK)
		return err_public(rv);
	*out = (struct phoneauth_reply) {
		.code              = r.code,
		.reason            = r.reason,
		.message           = r.message,
		.retry_after_s     = r.retry_after_s,
		.has_attempts_left = r.has_attempts_left,
		.attempts_left     = r.attempts_left,
		.body              = r.body,
	};
	return PHONEAUTH_OK;
}

void
phoneauth_reply_clear(struct phoneauth_reply *r)
{
	struct pa_reply pr;

	if (r == NULL)
		return;
	pr = (struct pa_reply) { .message = r->message, .body = r->body };
	pa_reply_clear(&pr);
	*r = (struct phoneauth_reply) { .message = NULL };
}

const char *
phoneauth_strerror(phoneauth_err err)
{
	switch (err) {
	case PHONEAUTH_OK:
		return pa_strerror(PA_OK);
	case PHONEAUTH_ENOMEM:
		return pa_strerror(PA_ENOMEM);
	case PHONEAUTH_EINVAL:
		return pa_strerror(PA_EINVAL);
	case PHONEAUTH_ETIMEDOUT:
		return pa_strerror(PA_ETIMEDOUT);
	case PHONEAUTH_EPROTO:
		return pa_strerror(PA_EPROTO);
	case PHONEAUTH_EIO:
		return pa_strerror(PA_EIO);
	}
	return "unknown error";
}

const char *
phoneauth_code_name(Phoneauth__V1__Code code)
{
	return pa_code_name(code);
}

const char *
phoneauth_reason_name(Phoneauth__V1__Reason reason)
{
	return pa_reason_name(reason);
}

const char *
phoneauth_client_version(void)
{
	return PHONEAUTH_VERSION;
}

/* The typed calls: the response is out->body when a reply came and is OK, else NULL. */
static ProtobufCMessage *
typed_body(phoneauth_err rv, const struct phoneauth_reply *out)
{
	return rv == PHONEAUTH_OK && out->code == PHONEAUTH__V1__CODE__OK ? out->body : NULL;
}

phoneauth_err
phoneauth_auth_link_subscription(struct phoneauth_client *c,
    const Phoneauth__V1__LinkSubscriptionRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__LinkSubscriptionResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Auth/LinkSubscription", &req->base,
	    &phoneauth__v1__link_subscription_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__LinkSubscriptionResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_auth_start_signup(struct phoneauth_client *c,
    const Phoneauth__V1__StartSignupRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__StartSignupResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Auth/StartSignup", &req->base,
	    &phoneauth__v1__start_signup_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__StartSignupResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_auth_resend_code(struct phoneauth_client *c, const Phoneauth__V1__ResendCodeRequest *req,
    const Phoneauth__V1__CallerMetadata *caller, struct phoneauth_reply *out,
    Phoneauth__V1__ResendCodeResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Auth/ResendCode", &req->base,
	    &phoneauth__v1__resend_code_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__ResendCodeResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_auth_verify_code(struct phoneauth_client *c, const Phoneauth__V1__VerifyCodeRequest *req,
    const Phoneauth__V1__CallerMetadata *caller, struct phoneauth_reply *out,
    Phoneauth__V1__VerifyCodeResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Auth/VerifyCode", &req->base,
	    &phoneauth__v1__verify_code_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__VerifyCodeResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_auth_create_account(struct phoneauth_client *c,
    const Phoneauth__V1__CreateAccountRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__CreateAccountResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Auth/CreateAccount", &req->base,
	    &phoneauth__v1__create_account_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__CreateAccountResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_auth_register_account(struct phoneauth_client *c,
    const Phoneauth__V1__RegisterRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__RegisterResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Auth/RegisterAccount", &req->base,
	    &phoneauth__v1__register_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__RegisterResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_auth_login(struct phoneauth_client *c, const Phoneauth__V1__LoginRequest *req,
    const Phoneauth__V1__CallerMetadata *caller, struct phoneauth_reply *out,
    Phoneauth__V1__LoginResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Auth/Login", &req->base,
	    &phoneauth__v1__login_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__LoginResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_auth_validate_session(struct phoneauth_client *c,
    const Phoneauth__V1__ValidateSessionRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__ValidateSessionResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Auth/ValidateSession", &req->base,
	    &phoneauth__v1__validate_session_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__ValidateSessionResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_auth_logout(struct phoneauth_client *c, const Phoneauth__V1__LogoutRequest *req,
    const Phoneauth__V1__CallerMetadata *caller, struct phoneauth_reply *out,
    Phoneauth__V1__LogoutResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Auth/Logout", &req->base,
	    &phoneauth__v1__logout_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__LogoutResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_auth_start_password_reset(struct phoneauth_client *c,
    const Phoneauth__V1__StartPasswordResetRequest          *req,
    const Phoneauth__V1__CallerMetadata *caller, struct phoneauth_reply *out,
    Phoneauth__V1__StartPasswordResetResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Auth/StartPasswordReset", &req->base,
	    &phoneauth__v1__start_password_reset_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__StartPasswordResetResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_auth_complete_password_reset(struct phoneauth_client *c,
    const Phoneauth__V1__CompletePasswordResetRequest          *req,
    const Phoneauth__V1__CallerMetadata *caller, struct phoneauth_reply *out,
    Phoneauth__V1__CompletePasswordResetResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Auth/CompletePasswordReset", &req->base,
	    &phoneauth__v1__complete_password_reset_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__CompletePasswordResetResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_auth_health(struct phoneauth_client *c, const Phoneauth__V1__HealthRequest *req,
    const Phoneauth__V1__CallerMetadata *caller, struct phoneauth_reply *out,
    Phoneauth__V1__HealthResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Auth/Health", &req->base,
	    &phoneauth__v1__health_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__HealthResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_admin_list_users(struct phoneauth_client *c, const Phoneauth__V1__ListUsersRequest *req,
    const Phoneauth__V1__CallerMetadata *caller, struct phoneauth_reply *out,
    Phoneauth__V1__ListUsersResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Admin/ListUsers", &req->base,
	    &phoneauth__v1__list_users_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__ListUsersResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_admin_get_user(struct phoneauth_client *c, const Phoneauth__V1__GetUserRequest *req,
    const Phoneauth__V1__CallerMetadata *caller, struct phoneauth_reply *out,
    Phoneauth__V1__GetUserResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Admin/GetUser", &req->base,
	    &phoneauth__v1__get_user_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__GetUserResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_admin_list_audit_events(struct phoneauth_client *c,
    const Phoneauth__V1__ListAuditEventsRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__ListAuditEventsResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Admin/ListAuditEvents", &req->base,
	    &phoneauth__v1__list_audit_events_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__ListAuditEventsResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_admin_list_messages(struct phoneauth_client *c,
    const Phoneauth__V1__ListMessagesRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__ListMessagesResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Admin/ListMessages", &req->base,
	    &phoneauth__v1__list_messages_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__ListMessagesResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_admin_stats(struct phoneauth_client *c, const Phoneauth__V1__StatsRequest *req,
    const Phoneauth__V1__CallerMetadata *caller, struct phoneauth_reply *out,
    Phoneauth__V1__StatsResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Admin/Stats", &req->base,
	    &phoneauth__v1__stats_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__StatsResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_admin_verify_audit(struct phoneauth_client *c,
    const Phoneauth__V1__VerifyAuditRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__VerifyAuditResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Admin/VerifyAudit", &req->base,
	    &phoneauth__v1__verify_audit_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__VerifyAuditResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_admin_list_breakers(struct phoneauth_client *c,
    const Phoneauth__V1__ListBreakersRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__ListBreakersResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Admin/ListBreakers", &req->base,
	    &phoneauth__v1__list_breakers_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__ListBreakersResponse *) typed_body(rv, out);
	return rv;
}

phoneauth_err
phoneauth_admin_rearm_breaker(struct phoneauth_client *c,
    const Phoneauth__V1__RearmBreakerRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__RearmBreakerResponse **resp)
{
	phoneauth_err rv = phoneauth_call(c, "/phoneauth.v1.Admin/RearmBreaker", &req->base,
	    &phoneauth__v1__rearm_breaker_response__descriptor, caller, out);

	if (resp != NULL)
		*resp = (Phoneauth__V1__RearmBreakerResponse *) typed_body(rv, out);
	return rv;
}
