/* util.c: small helpers the flows share: caller IPs, UUIDs, bytea parameters. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "common/log.h"

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

bool
auth_is_uuid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = (i == 8 || i == 13 || i == 18 || i == 23);

		if (dash ? s[i] != '-' : strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return false;
	}
	return true;
}

void
auth_uuid_new(char out[37])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof b);
	b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	(void) snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	    b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void
auth_bytea_hex(char out[2 + 64 + 1], const unsigned char mac[32])
{
	out[0] = '\\';
	out[1] = 'x';
	(void) sodium_bin2hex(out + 2, 65, mac, 32);
}

void
auth_tx_fail(struct auth_worker *w, struct pa_rpc_call *call, pa_err rv)
{
	pa_db_rollback(w->db);
	if (rv == PA_ELIMIT)
		return;
	if (rv == PA_EUNAVAILABLE)
		auth_health_forget(w->app);
	if (rv == PA_EDB)
		pa_log_error("db_error", "method=%s request_id=%s sqlstate=%s",
		    pa_rpc_call_method(call), pa_rpc_call_request_id(call), pa_db_sqlstate(w->db));
	pa_rpc_call_fail_err(call, rv);
}

bool
auth_phone_accept(struct auth_worker *w, struct pa_rpc_call *call, const char *input,
    struct pa_phone *out)
{
	const struct auth_config *cfg = &w->app->cfg;
	enum pa_phone_verdict     v;
	pa_reason                 reason;
	const char               *msg;

	v = pa_phone_check(out, input, cfg->default_region, cfg->allowed_countries);
	switch (v) {
	case PA_PHONE_OK:
		return true;
	case PA_PHONE_NOT_MOBILE:
		reason = REASON(PHONE_NOT_MOBILE);
		msg    = pa_phone_verdict_text(v);
		break;
	case PA_PHONE_PREMIUM:
		reason = REASON(PHONE_PREMIUM);
		msg    = pa_phone_verdict_text(v);
		break;
	case PA_PHONE_COUNTRY_NOT_ALLOWED:
		reason = REASON(COUNTRY_NOT_ALLOWED);
		msg    = pa_phone_verdict_text(v);
		break;
	default:
		reason = REASON(INVALID_PHONE);
		msg    = w->app->policy.msg_invalid_phone;
		break;
	}
	pa_rpc_call_fail(call, CODE(INVALID_ARGUMENT), reason, msg);
	return false;
}

bool
auth_sms_available(struct auth_worker *w, struct pa_rpc_call *call)
{
	auth_health_refresh(w);
	if (w->sms_alive)
		return true;
	pa_rpc_call_fail(call, CODE(UNAVAILABLE), REASON(SMS_UNAVAILABLE),
	    w->app->policy.msg_sms_unavailable);
	return false;
}

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
