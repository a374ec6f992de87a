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

/* Room for any key auth_caller_ip_key writes. */
#define AUTH_IP_KEY_MAX 64

struct auth_app;

/* The subject that per-IP limits count the caller under, written to key: an IPv4 address as
 * is (an IPv4-mapped IPv6 address too); an IPv6 address cut to its first PHONEAUTH_IPV6_PREFIX
 * bits ("2001:db8:5ec:1::/64"), since one subscriber holds a whole /64; and one shared bucket
 * ("none") for a call without a valid end_user_ip, and for every call when the IP cannot be
 * trusted: no client token is set (any program that reaches the port could name any IP) unless
 * PHONEAUTH_TRUST_END_USER_IP=true. Returns key. */
const char *auth_caller_ip_key(
    const struct auth_app *app, struct pa_rpc_call *call, char key[AUTH_IP_KEY_MAX]);

struct pa_policy;

/* The profile in the caller's language (CallerMetadata.locale, BCP 47; the built-in language
 * of its tag or subtag, else PHONEAUTH_LOCALE's): what every reply's message and every code's
 * text is taken from. Its limits are the profile's. Never NULL. */
const struct pa_policy *auth_caller_policy(const struct auth_app *app, struct pa_rpc_call *call);

#endif
