/* flows.h: the Auth service's handlers, grouped by flow (flow_signup.c: Fancy Feathers' signup;
 * flow_codes.c: resend and verify for every flow; flow_register.c: LawnFlow's registration;
 * flow_login.c: login and sessions; flow_reset.c: password reset), and the method table that
 * names them (service.c). Every handler follows rpc.h's contract: it runs on a worker whose
 * state is a struct auth_worker and returns its answer. */
#ifndef PHONEAUTH_AUTH_FLOWS_H
#define PHONEAUTH_AUTH_FLOWS_H

#include "auth.h"
#include "common/rpc.h"
#include "phoneauth/v1/auth.pb-c.h"

/* The Auth service (every method of auth.proto) for pa_rpc_server_start; authorize is the client
 * token check when the app has one. */
struct pa_rpc_service auth_service(struct auth_app *app);

pa_rpc_handler_fn auth_health;
pa_rpc_handler_fn auth_link_subscription;
pa_rpc_handler_fn auth_start_signup;
pa_rpc_handler_fn auth_create_account;
pa_rpc_handler_fn auth_resend_code;
pa_rpc_handler_fn auth_verify_code;
pa_rpc_handler_fn auth_register_account;
pa_rpc_handler_fn auth_login;
pa_rpc_handler_fn auth_validate_session;
pa_rpc_handler_fn auth_logout;
pa_rpc_handler_fn auth_start_password_reset;
pa_rpc_handler_fn auth_complete_password_reset;

/* flow_login.c, for VerifyCode (flow_codes.c): a right login code verification_id (the second
 * factor; out holds its user_id) gets the session Login held back and, with remember_device, a
 * remembered-device token, in one transaction with their audit rows; CODE_INVALID instead when
 * the password changed since the code was sent. */
struct pa_rpc_result auth_login_code_verified(struct auth_worker *w, struct pa_rpc_call *call,
    const char *verification_id, bool remember_device, Phoneauth__V1__VerifyCodeResponse *out);

#endif
