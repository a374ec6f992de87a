/* phoneauth/client.h: the C client of phoneauth (libphoneauth-client): open a connection to the
 * Auth or the Admin service, call any of their RPCs with the generated protobuf-c request types,
 * read the status and the typed response, close. Link with
 * `pkg-config --cflags --libs phoneauth-client`, or in CMake
 * `find_package(phoneauth-client CONFIG)` and `phoneauth::client` (`phoneauth::client-static`).
 *
 * Every call is one request and one reply (NNG REQ/REP); it never resends a request by itself
 * (a resent StartSignup would text two codes). A client may be used from many threads at once.
 * The request and response types are the generated ones of proto/phoneauth/v1/ (installed
 * beside this header): initialise a request with its __INIT macro, set its fields, call. */
#ifndef PHONEAUTH_CLIENT_H
#define PHONEAUTH_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "phoneauth/v1/admin.pb-c.h"
#include "phoneauth/v1/auth.pb-c.h"
#include "phoneauth/v1/rpc.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PHONEAUTH_MUSTCHECK __attribute__((warn_unused_result))

struct phoneauth_client;

/* What a call or open can fail with, before or instead of a reply. A reply that refuses (a
 * wrong code, a rate limit...) is PHONEAUTH_OK with out->code saying so. */
typedef enum phoneauth_err {
	PHONEAUTH_OK = 0,
	PHONEAUTH_ENOMEM, /* out of memory */
	PHONEAUTH_EINVAL, /* a bad URL, a missing TLS file, a tls+tcp:// URL without tls_ca_file */
	PHONEAUTH_ETIMEDOUT, /* no reply within timeout_ms (is the service running?) */
	PHONEAUTH_EPROTO, /* a reply that does not decode */
	PHONEAUTH_EIO, /* the transport failed */
} phoneauth_err;

/* How to reach one service. Strings are copied by phoneauth_client_open. */
struct phoneauth_client_opts {
	const char *url; /* "tcp://127.0.0.1:7400" (Auth), ":7401" (Admin), ipc://, tls+tcp:// */
	int         timeout_ms; /* per call, also sent as the request's deadline; 0: 5000 */
	const char *client_token; /* the Auth service's PHONEAUTH_CLIENT_TOKEN, when it has one */
	const char *admin_token; /* every Admin call needs PHONEAUTH_ADMIN_TOKEN */
	/* tls+tcp:// only: the CA the service's certificate must chain to (required), the name it
	 * must carry (default: the URL's host), and a certificate and key for mutual TLS. */
	const char *tls_ca_file;
	const char *tls_server_name;
	const char *tls_cert_file;
	const char *tls_key_file;
};

/* A reply. message is what a site shows the person verbatim; body is the decoded response when
 * code is OK (the typed resp out-parameter of each call points at it), else NULL. Everything in
 * it is the caller's until phoneauth_reply_clear. */
struct phoneauth_reply {
	Phoneauth__V1__Code   code;
	Phoneauth__V1__Reason reason;
	char                 *message; /* never NULL after a call that returned PHONEAUTH_OK */
	uint32_t              retry_after_s; /* 0: not applicable */
	bool                  has_attempts_left;
	uint32_t              attempts_left;
	ProtobufCMessage     *body;
};

/* Opens a client for one service (it dials in the background: the service need not be up yet).
 * On success *out is the caller's to close; on failure *out is untouched. */
phoneauth_err phoneauth_client_open(
    struct phoneauth_client **out, const struct phoneauth_client_opts *opts) PHONEAUTH_MUSTCHECK;
/* Closes c and wipes its tokens; NULL is a no-op. */
void phoneauth_client_close(struct phoneauth_client *c);

/* Calls method ("/phoneauth.v1.Auth/Health") with req, decoding an OK reply's payload as
 * resp_desc. caller (may be NULL) carries the end user's IP and user agent; its tokens, when
 * empty, come from the options. PHONEAUTH_OK means a reply arrived: look at out->code and
 * release out with phoneauth_reply_clear. The typed functions below are this call. */
phoneauth_err phoneauth_call(struct phoneauth_client *c, const char *method,
    const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
    const Phoneauth__V1__CallerMetadata *caller, struct phoneauth_reply *out) PHONEAUTH_MUSTCHECK;

/* Frees what a call put in r and zeroes it; safe on a zeroed reply. */
void phoneauth_reply_clear(struct phoneauth_reply *r);

/* Static text: "timed out"; "INVALID_ARGUMENT"; "INVALID_PHONE"; the library's version. */
const char *phoneauth_strerror(phoneauth_err err);
const char *phoneauth_code_name(Phoneauth__V1__Code code);
const char *phoneauth_reason_name(Phoneauth__V1__Reason reason);
const char *phoneauth_client_version(void);

/* One function per RPC: phoneauth_call with the method's name and types. When the call returns
 * PHONEAUTH_OK and out->code is OK, *resp (resp may be NULL) points at out->body, else it is
 * NULL. */

/* The Auth service (a site's backend). */
phoneauth_err phoneauth_auth_link_subscription(struct phoneauth_client *c,
    const Phoneauth__V1__LinkSubscriptionRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply                   *out,
    Phoneauth__V1__LinkSubscriptionResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_auth_start_signup(struct phoneauth_client *c,
    const Phoneauth__V1__StartSignupRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__StartSignupResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_auth_resend_code(struct phoneauth_client *c,
    const Phoneauth__V1__ResendCodeRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__ResendCodeResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_auth_verify_code(struct phoneauth_client *c,
    const Phoneauth__V1__VerifyCodeRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__VerifyCodeResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_auth_create_account(struct phoneauth_client *c,
    const Phoneauth__V1__CreateAccountRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__CreateAccountResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_auth_register_account(struct phoneauth_client *c,
    const Phoneauth__V1__RegisterRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__RegisterResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_auth_login(struct phoneauth_client *c,
    const Phoneauth__V1__LoginRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__LoginResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_auth_validate_session(struct phoneauth_client *c,
    const Phoneauth__V1__ValidateSessionRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__ValidateSessionResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_auth_logout(struct phoneauth_client *c,
    const Phoneauth__V1__LogoutRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__LogoutResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_auth_start_password_reset(struct phoneauth_client *c,
    const Phoneauth__V1__StartPasswordResetRequest                        *req,
    const Phoneauth__V1__CallerMetadata *caller, struct phoneauth_reply *out,
    Phoneauth__V1__StartPasswordResetResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_auth_complete_password_reset(struct phoneauth_client *c,
    const Phoneauth__V1__CompletePasswordResetRequest                        *req,
    const Phoneauth__V1__CallerMetadata *caller, struct phoneauth_reply *out,
    Phoneauth__V1__CompletePasswordResetResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_auth_health(struct phoneauth_client *c,
    const Phoneauth__V1__HealthRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__HealthResponse **resp) PHONEAUTH_MUSTCHECK;

/* The Admin service (open the client with admin_token). */
phoneauth_err phoneauth_admin_list_users(struct phoneauth_client *c,
    const Phoneauth__V1__ListUsersRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__ListUsersResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_admin_get_user(struct phoneauth_client *c,
    const Phoneauth__V1__GetUserRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__GetUserResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_admin_list_audit_events(struct phoneauth_client *c,
    const Phoneauth__V1__ListAuditEventsRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__ListAuditEventsResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_admin_list_messages(struct phoneauth_client *c,
    const Phoneauth__V1__ListMessagesRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__ListMessagesResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_admin_stats(struct phoneauth_client *c,
    const Phoneauth__V1__StatsRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__StatsResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_admin_verify_audit(struct phoneauth_client *c,
    const Phoneauth__V1__VerifyAuditRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__VerifyAuditResponse **resp) PHONEAUTH_MUSTCHECK;
/* The SMS pumping breakers (README "SMS pumping defence"): list them, re-arm one. */
phoneauth_err phoneauth_admin_list_breakers(struct phoneauth_client *c,
    const Phoneauth__V1__ListBreakersRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__ListBreakersResponse **resp) PHONEAUTH_MUSTCHECK;
phoneauth_err phoneauth_admin_rearm_breaker(struct phoneauth_client *c,
    const Phoneauth__V1__RearmBreakerRequest *req, const Phoneauth__V1__CallerMetadata *caller,
    struct phoneauth_reply *out, Phoneauth__V1__RearmBreakerResponse **resp) PHONEAUTH_MUSTCHECK;

#ifdef __cplusplus
}
#endif

#endif
