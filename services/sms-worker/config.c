/* config.c: every environment variable phoneauth-sms-worker reads, and the check that twilio mode
 * has what it needs. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"

#define W_STR(env, field, def, flags, help)                                                   \
	{                                                                                     \
		env, PA_CONF_STR, offsetof(struct smsw_config, field), def, 0, 0, flags, help \
	}
#define W_SECRET(env, field, flags, help)                                                         \
	{                                                                                         \
		env, PA_CONF_SECRET, offsetof(struct smsw_config, field), NULL, 0, 0, flags, help \
	}
#define W_INT(env, field, def, lo, hi, help)                                                \
	{                                                                                   \
		env, PA_CONF_INT, offsetof(struct smsw_config, field), def, lo, hi, 0, help \
	}
#define W_DUR(env, field, def, lo, hi, help)                                                     \
	{                                                                                        \
		env, PA_CONF_DURATION, offsetof(struct smsw_config, field), def, lo, hi, 0, help \
	}

const struct pa_conf_item smsw_config_items[] = {
	W_SECRET("DATABASE_URL", database_url, PA_CONF_REQUIRED,
	    "PostgreSQL connection (libpq URI or conninfo)"),
	W_STR("PHONEAUTH_JOBS_URL", jobs_urls, "tcp://127.0.0.1:7402", 0,
	    "comma list of auth instances' job URLs to pull from"),
	W_SECRET("PHONEAUTH_OUTBOX_KEY", outbox_key, PA_CONF_REQUIRED,
	    "keys that open SMS bodies (the auth service's PHONEAUTH_OUTBOX_KEY)"),
	W_STR("PHONEAUTH_SMS_BACKEND", backend, "twilio", 0, "twilio, or console for development"),
	W_STR("PHONEAUTH_LOG_LEVEL", log_level, "info", 0, "debug, info, warn or error"),
	W_STR("PHONEAUTH_WORKER_HTTP", http_addr, "127.0.0.1:7481", 0,
	    "address of /twilio/status, /healthz and /metrics"),
	W_DUR("PHONEAUTH_LEASE", lease_s, "30s", 5, 3600,
	    "how long a claimed message is ours before another worker may take it"),
	W_DUR("PHONEAUTH_SWEEP", sweep_s, "2s", 1, 3600,
	    "how often to look for messages whose push was missed or whose worker died"),
	W_DUR("PHONEAUTH_HEARTBEAT", heartbeat_s, "5s", 1, 600, "how often to record being alive"),
	W_INT("PHONEAUTH_SEND_CONCURRENCY", concurrency, "32", 1, 1024,
	    "Twilio requests in flight at once"),
	W_INT("PHONEAUTH_SEND_ATTEMPTS", max_attempts, "10", 1, 100,
	    "tries per message (429, 5xx, timeouts) before it is marked failed"),
	W_DUR("PHONEAUTH_TWILIO_CONNECT_TIMEOUT", connect_timeout_s, "5s", 1, 60,
	    "TCP and TLS connect timeout"),
	W_DUR("PHONEAUTH_TWILIO_TIMEOUT", request_timeout_s, "15s", 1, 120,
	    "whole-request timeout (the lease must be longer)"),
	W_DUR("PHONEAUTH_RECONCILE_AFTER", reconcile_after_s, "10m", 1, 7 * 86400,
	    "ask Twilio about a sent message with no final status after this long"),
	W_INT("PHONEAUTH_CALLBACK_THREADS", callback_threads, "2", 1, 64,
	    "threads (and database connections) serving status callbacks"),
	{ "PHONEAUTH_TWILIO_FEEDBACK", PA_CONF_BOOL, offsetof(struct smsw_config, feedback), "on",
	    0, 0, 0,
	    "send ProvideFeedback=true and report Outcome=confirmed on each verified code's "
	    "message" },
	W_STR("TWILIO_API_BASE", api_base, "https://api.twilio.com", 0,
	    "Twilio's API origin (tests aim it at a fake)"),
	W_STR("TWILIO_ACCOUNT_SID", account_sid, NULL, 0, "Twilio account (AC...)"),
	W_SECRET("TWILIO_AUTH_TOKEN", auth_token, 0,
	    "account auth token: API auth without an API key; always signs status callbacks"),
	W_STR(
	    "TWILIO_API_KEY", api_key, NULL, 0, "API key SID (SK...), used with TWILIO_API_SECRET"),
	W_SECRET("TWILIO_API_SECRET", api_secret, 0, "API key secret"),
	W_STR("TWILIO_MESSAGING_SERVICE_SID", messaging_service_sid, NULL, 0,
	    "Messaging Service (MG...) that picks the sender"),
	W_STR("TWILIO_FROM", from, NULL, 0, "sender number, when no Messaging Service is set"),
	W_STR("TWILIO_WHATSAPP_FROM", whatsapp_from, NULL, 0,
	    "WhatsApp sender (whatsapp:+E164 or +E164); unset: the Messaging Service's"),
	W_STR("TWILIO_WHATSAPP_CONTENT_SID", whatsapp_content_sid, NULL, 0,
	    "approved WhatsApp authentication template (HX...) whose variable 1 is the code"),
	W_STR("TWILIO_WHATSAPP_CONTENT_SIDS", whatsapp_content_sids, NULL, 0,
	    "the template per language, es=HX...,id=HX... (else TWILIO_WHATSAPP_CONTENT_SID)"),
	W_STR("PHONEAUTH_STATUS_CALLBACK_URL", status_callback_url, NULL, 0,
	    "public URL of this worker's /twilio/status (sent as StatusCallback)"),
	W_STR("PHONEAUTH_TWILIO_CA_FILE", ca_file, NULL, 0,
	    "CA bundle for TWILIO_API_BASE (default: the system's)"),
	W_STR("PHONEAUTH_TLS_CA", tls_ca, NULL, 0,
	    "PEM CA the auth service's certificate must chain to (tls+tcp:// job URLs)"),
	W_STR("PHONEAUTH_TLS_CERT", tls_cert, NULL, 0,
	    "PEM client certificate, when the auth service asks for one (mutual TLS)"),
	W_STR("PHONEAUTH_TLS_KEY", tls_key, NULL, 0, "PEM key for PHONEAUTH_TLS_CERT"),
	W_STR("PHONEAUTH_TLS_SERVER_NAME", tls_server_name, NULL, 0,
	    "name the auth service's certificate must carry (default: the URL's host)"),
	W_STR("TWILIO_VERIFY_SERVICE_SID", verify_service_sid, NULL, 0,
	    "Verify service (VA...): sends kind verify rows and answers auth's code checks"),
	W_STR("TWILIO_VERIFY_BASE", verify_base, "https://verify.twilio.com", 0,
	    "Twilio Verify's API origin (tests aim it at a fake)"),
	W_STR("PHONEAUTH_VERIFY_CHECK_URL", verify_check_urls, "tcp://127.0.0.1:7403", 0,
	    "comma list of auth instances' check URLs to dial (with TWILIO_VERIFY_SERVICE_SID)"),
	W_SECRET("PHONEAUTH_VERIFY_CHECK_TOKEN", verify_check_token, 0,
	    "seals code checks with the auth service (32+ characters; with "
	    "TWILIO_VERIFY_SERVICE_SID)"),
};
const size_t smsw_config_nitems = sizeof smsw_config_items / sizeof smsw_config_items[0];

static bool
set(const char *s)
{
	return s != NULL && *s != '\0';
}

bool
smsw_sid_ok(const char *s, const char *prefix)
{
	if (s == NULL || strlen(s) != 34 || strncmp(s, prefix, 2) != 0)
		return false;
	for (int i = 2; i < 34; i++)
		if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return false;
	return true;
}

bool
smsw_config_verify_on(const struct smsw_config *c)
{
	return set(c->verify_service_sid);
}

/* "+" and 2 to 15 digits, the first not 0. */
static bool
e164_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 3 && n <= 16 && s[0] == '+' && s[1] >= '1' && s[1] <= '9'
	    && strspn(s + 1, "0123456789") == n - 1;
}

static bool
whatsapp_from_ok(const char *s)
{
	return e164_ok(strncmp(s, "whatsapp:", 9) == 0 ? s + 9 : s);
}

/* A language tag as migration 0015 keeps it: 2-3 letters, then up to 3 subtags of 1-8 letters
 * or digits. len bytes of s. */
static bool
tag_ok(const char *s, size_t len)
{
	size_t i = 0, part, parts = 0;

	while (i < len && i < 3 && isalpha((unsigned char) s[i]))
		i++;
	if (i < 2)
		return false;
	while (i < len) {
		if (s[i++] != '-' || ++parts > 3)
			return false;
		for (part = 0; i < len && s[i] != '-'; i++, part++)
			if (!isalnum((unsigned char) s[i]))
				return false;
		if (part < 1 || part > 8)
			return false;
	}
	return true;
}

/* Calls fn for each "tag=SID" entry of TWILIO_WHATSAPP_CONTENT_SIDS until it returns true;
 * returns false when an entry is malformed (fn is not called for it or any after it). */
static bool
each_content_sid(const char *list,
    bool (*fn)(const char *tag, size_t taglen, const char *sid, void *arg), void *arg,
    bool *stopped)
{
	const char *p = list;

	*stopped = false;
	while (*p != '\0') {
		const char *end = strchr(p, ','), *eq;
		size_t      len = end != NULL ? (size_t) (end - p) : strlen(p);
		char        sid[35];

		eq = memchr(p, '=', len);
		if (eq == NULL || !tag_ok(p, (size_t) (eq - p))
		    || len - (size_t) (eq - p) - 1 != 34)
			return false;
		memcpy(sid, eq + 1, 34);
		sid[34] = '\0';
		if (!smsw_sid_ok(sid, "HX"))
			return false;
		if (fn != NULL && fn(p, (size_t) (eq - p), sid, arg)) {
			*stopped = true;
			return true;
		}
		p += len;
		if (*p == ',' && *++p == '\0')
			return false; /* a trailing comma */
	}
	return true;
}

struct sid_lookup {
	const char *tag;
	size_t      taglen;
	char       *out;
};

static bool
sid_match(const char *tag, size_t taglen, const char *sid, void *arg)
{
	struct sid_lookup *l = arg;

	if (taglen != l->taglen || strncasecmp(tag, l->tag, taglen) != 0)
		return false;
	memcpy(l->out, sid, 35);
	return true;
}

bool
smsw_config_content_sid(const struct smsw_config *c, const char *locale, char out[35])
{
	struct sid_lookup l = { .tag = locale, .taglen = strlen(locale), .out = out };
	bool              stopped;

	if (set(c->whatsapp_content_sids) && l.taglen > 0) {
		if (each_content_sid(c->whatsapp_content_sids, sid_match, &l, &stopped) && stopped)
			return true;
		/* "es-MX" without its own entry takes "es". */
		l.taglen = strcspn(locale, "-");
		if (l.taglen < strlen(locale)
		    && each_content_sid(c->whatsapp_content_sids, sid_match, &l, &stopped)
		    && stopped)
			return true;
	}
	if (!set(c->whatsapp_content_sid))
		return false;
	(void) snprintf(out, 35, "%s", c->whatsapp_content_sid);
	return true;
}

pa_err
smsw_config_check_twilio(const struct smsw_config *c, char *err, size_t errsz)
{
	char   missing[300] = "", bad[300] = "";
	size_t m = 0, b = 0;

#define MISSING(s) \
	m += (size_t) snprintf(missing + m, m < sizeof missing ? sizeof missing - m : 0, " %s", s)
#define BAD(s) b += (size_t) snprintf(bad + b, b < sizeof bad ? sizeof bad - b : 0, " %s", s)
	if (!set(c->account_sid))
		MISSING("TWILIO_ACCOUNT_SID");
	else if (!smsw_sid_ok(c->account_sid, "AC"))
		BAD("TWILIO_ACCOUNT_SID(AC+32hex)");
	if (set(c->api_key) != set(c->api_secret))
		MISSING(set(c->api_key) ? "TWILIO_API_SECRET" : "TWILIO_API_KEY");
	else if (!set(c->api_key) && !set(c->auth_token))
		MISSING("TWILIO_AUTH_TOKEN(or TWILIO_API_KEY+TWILIO_API_SECRET)");
	else if (set(c->api_key) && !smsw_sid_ok(c->api_key, "SK"))
		BAD("TWILIO_API_KEY(SK+32hex)");
	if (!set(c->messaging_service_sid) && !set(c->from))
		MISSING("TWILIO_MESSAGING_SERVICE_SID(or TWILIO_FROM)");
	else if (set(c->messaging_service_sid) && !smsw_sid_ok(c->messaging_service_sid, "MG"))
		BAD("TWILIO_MESSAGING_SERVICE_SID(MG+32hex)");
	/* WhatsApp is optional: a row with no template or sender fails on its own, with a reason,
	 * but a value that is set must be well-formed. */
	if (set(c->whatsapp_from) && !whatsapp_from_ok(c->whatsapp_from))
		BAD("TWILIO_WHATSAPP_FROM(whatsapp:+E164)");
	if (set(c->whatsapp_content_sid) && !smsw_sid_ok(c->whatsapp_content_sid, "HX"))
		BAD("TWILIO_WHATSAPP_CONTENT_SID(HX+32hex)");
	if (set(c->whatsapp_content_sids)) {
		bool stopped;

		if (!each_content_sid(c->whatsapp_content_sids, NULL, NULL, &stopped))
			BAD("TWILIO_WHATSAPP_CONTENT_SIDS(lang=HX+32hex,...)");
	}
	/* Callbacks are signed with the account's auth token, even when we send with an API key. */
	if (set(c->status_callback_url) && !set(c->auth_token) && set(c->api_key))
		MISSING("TWILIO_AUTH_TOKEN(signs status callbacks)");
	if (set(c->status_callback_url) && strncmp(c->status_callback_url, "https://", 8) != 0
	    && strncmp(c->status_callback_url, "http://", 7) != 0)
		BAD("PHONEAUTH_STATUS_CALLBACK_URL(http[s]://...)");
	if (strncmp(c->api_base, "https://", 8) != 0 && strncmp(c->api_base, "http://", 7) != 0)
		BAD("TWILIO_API_BASE(http[s]://...)");
	if (c->request_timeout_s >= c->lease_s)
		BAD("PHONEAUTH_TWILIO_TIMEOUT(must be shorter than PHONEAUTH_LEASE)");
	if (smsw_config_verify_on(c)) {
		if (!smsw_sid_ok(c->verify_service_sid, "VA"))
			BAD("TWILIO_VERIFY_SERVICE_SID(VA+32hex)");
		if (!set(c->verify_check_token) || strlen(c->verify_check_token) < 32)
			MISSING("PHONEAUTH_VERIFY_CHECK_TOKEN(32+ characters)");
		if (strncmp(c->verify_base, "https://", 8) != 0
		    && strncmp(c->verify_base, "http://", 7) != 0)
			BAD("TWILIO_VERIFY_BASE(http[s]://...)");
	}
#undef MISSING
#undef BAD
	if (m == 0 && b == 0)
		return PA_OK;
	(void) snprintf(err, errsz,
	    "PHONEAUTH_SMS_BACKEND=twilio:%s%s%s%s (or "
	    "PHONEAUTH_SMS_BACKEND=console for development)",
	    m ? " missing" : "", missing, b ? (m ? "; malformed" : " malformed") : "", bad);
	return PA_EINVAL;
}
