/* caller.h: who is calling: the site's client token (the Auth listener's authorize hook) and the
 * end user's IP the site passes on, as the limits and audit rows use it. */
#ifndef PHONEAUTH_AUTH_CALLER_H
#define PHONEAUTH_AUTH_CALLER_H

#include <stdbool.h>

#include "common/rpc.h"

/* True when given is non-empty and equals want, compared in constant time. */
bool auth_token_matches(const char *given, const char *want);

/* The Auth listener's authorize hook when PHONEAUTH_CLIENT_TOKEN is set (arg: the auth_app):
 * UNAUTHENTICATED (CLIENT_TOKEN_INVALID) unless the call carries that token. */
struct pa_rpc_result auth_client_authorize(struct pa_rpc_call *call, void *state, void *arg);

/* The caller's end-user IP when it is a valid address, else NULL (stored as SQL NULL). */
const char *auth_caller_ip(struct pa_rpc_call *call);

#endif
