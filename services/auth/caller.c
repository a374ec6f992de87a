/* caller.c: the client token check and the end user's IP. */
#include "caller.h"

#include <arpa/inet.h>
#include <stdio.h>
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

const char *
auth_caller_ip_key(const struct auth_app *app, struct pa_rpc_call *call, char key[AUTH_IP_KEY_MAX])
{
	const char *ip      = auth_caller_ip(call);
	bool        trusted = app->cfg.trust_end_user_ip
	    || (app->cfg.client_token != NULL && app->cfg.client_token[0] != '\0');
	struct in6_addr a6;
	int             bits = app->cfg.ipv6_prefix;
	char            text[INET6_ADDRSTRLEN];

	(void) snprintf(key, AUTH_IP_KEY_MAX, "none");
	if (ip == NULL || !trusted)
		return key;
	if (inet_pton(AF_INET6, ip, &a6) != 1) {
		(void) snprintf(key, AUTH_IP_KEY_MAX, "%s", ip);
		return key;
	}
	/* ::ffff:a.b.c.d (a dual-stack server's way of saying a.b.c.d) is that IPv4 address. */
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		if (inet_ntop(AF_INET, &a6.s6_addr[12], text, sizeof text) != NULL)
			(void) snprintf(key, AUTH_IP_KEY_MAX, "%s", text);
		return key;
	}
	for (int i = 0; i < 16; i++) {
		int keep = bits - 8 * i;

		a6.s6_addr[i] &= keep >= 8 ? 0xff
		    : keep <= 0            ? 0
		                           : (unsigned char) (0xff << (8 - keep));
	}
	if (inet_ntop(AF_INET6, &a6, text, sizeof text) != NULL)
		(void) snprintf(key, AUTH_IP_KEY_MAX, "%s/%d", text, bits);
	return key;
}

const struct pa_policy *
auth_caller_policy(const struct auth_app *app, struct pa_rpc_call *call)
{
	return pa_policy_lang(&app->policy, &app->langs, pa_rpc_call_caller(call)->locale);
}
