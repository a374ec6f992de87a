/* caller.c: the client token check and the end user's IP. */
#include "caller.h"

#include <arpa/inet.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "common/log.h"

bool
auth_token_matches(const char *given, const char *want)
{
	unsigned char a[32], b[32];

	if (given == NULL || given[0] == '\0' || want == NULL)
		return false;
	/* Hashing first makes the comparison constant-time in the tokens' lengths too. */
	crypto_generichash(a, sizeof a, (const unsigned char *) given, strlen(given), NULL, 0);
	crypto_generichash(b, sizeof b, (const unsigned char *) want, strlen(want), NULL, 0);
	return sodium_memcmp(a, b, sizeof a) == 0;
}

struct pa_rpc_result
auth_client_authorize(struct pa_rpc_call *call, void *state, void *arg)
{
	struct auth_app                     *app    = arg;
	const Phoneauth__V1__CallerMetadata *caller = pa_rpc_call_caller(call);

	(void) state;
	if (auth_token_matches(caller->client_token, app->cfg.client_token))
		return pa_rpc_ok(NULL);
	pa_log_warn("client_denied", "method=%s token=%s", pa_rpc_call_method(call),
	    caller->client_token && caller->client_token[0] ? "wrong" : "missing");
	return pa_rpc_fail(
	    CODE(UNAUTHENTICATED), REASON(CLIENT_TOKEN_INVALID), "client token missing or wrong");
}

const char *
auth_caller_ip(struct pa_rpc_call *call)
{
	const char   *ip = pa_rpc_call_caller(call)->end_user_ip;
	unsigned char buf[sizeof(struct in6_addr)];

	if (ip == NULL || ip[0] == '\0' || strlen(ip) > 45)
		return NULL;
	if (inet_pton(AF_INET, ip, buf) == 1 || inet_pton(AF_INET6, ip, buf) == 1)
		return ip;
	return NULL;
}
