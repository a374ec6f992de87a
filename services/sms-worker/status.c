/* status.c: the worker's HTTP endpoints: Twilio's signed delivery callbacks at /twilio/status,
 * /healthz and /metrics. A callback is believed only with a valid X-Twilio-Signature; anything
 * else gets 403 and changes nothing. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"
#include "common/log.h"
#include "status.h"
#include "store_status.h"
#include "twilio.h"
#include "twsig.h"
#include "wmetrics.h"

/* A status word, an error code, a DLR date: short, and nothing a log line could trip on. */
static bool
word_ok(const char *s, size_t max, const char *allowed)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n <= max && strspn(s, allowed) == n;
}

static void
reply(struct pa_http_response *res, int status, const char *text)
{
	res->status = status;
	pa_strbuf_printf(&res->body, "%s\n", text);
}

static void
http_status_cb(
    void *state, const struct pa_http_request *req, struct pa_http_response *res, void *arg)
{
	const struct smsw_config *c  = arg;
	struct pa_db             *db = state;
	struct smsw_form          f;
	enum smsw_cb_result       result = SMSW_CB_BAD_REQUEST;
	struct smsw_fallback      fb;
	const char               *sid, *status, *code, *dlr, *acct, *to;
	const char               *sig        = pa_http_header(req, "X-Twilio-Signature");
	int                       error_code = 0;

	if (c->status_callback_url == NULL || *c->status_callback_url == '\0'
	    || c->auth_token == NULL || *c->auth_token == '\0') {
		/* Without the public URL and the auth token no signature can be checked. */
		result = SMSW_CB_BAD_SIGNATURE;
		reply(res, 403, "status callbacks are not configured");
		goto out;
	}
	if (smsw_form_parse(req->body, req->body_len, &f) != PA_OK) {
		reply(res, 400, "bad form body");
		goto out;
	}
	if (!smsw_twsig_check(c->auth_token, c->status_callback_url, &f, sig)) {
		result = SMSW_CB_BAD_SIGNATURE;
		pa_log_warn(
		    "callback_refused", "reason=%s", sig ? "bad_signature" : "no_signature");
		reply(res, 403, "bad signature");
		goto out_form;
	}
	sid    = smsw_form_get(&f, "MessageSid");
	status = smsw_form_get(&f, "MessageStatus");
	code   = smsw_form_get(&f, "ErrorCode");
	dlr    = smsw_form_get(&f, "RawDlrDoneDate");
	acct   = smsw_form_get(&f, "AccountSid");
	to     = smsw_form_get(&f, "To");
	if (status == NULL)
		status = smsw_form_get(&f, "SmsStatus");
	if (!SMSW_MESSAGE_SID_OK(sid) || !smsw_status_word_ok(status)
	    || (code != NULL && *code != '\0' && !word_ok(code, 9, "0123456789"))
	    || (dlr != NULL && *dlr != '\0' && !word_ok(dlr, 32, "0123456789"))
	    || (acct != NULL && strcmp(acct, c->account_sid) != 0)) {
		pa_log_warn("callback_refused", "reason=bad_fields");
		reply(res, 400, "bad fields");
		goto out_form;
	}
	if (code != NULL)
		error_code = atoi(code);
	/* To is only the store's guess of the row's phone (for the audit row), never logged. A
	 * WhatsApp message's is "whatsapp:+E164": the phone is what follows. */
	if (to != NULL && strncmp(to, "whatsapp:", 9) == 0)
		to += 9;
	if (smsw_store_status(db, "twilio", sid, status, error_code,
	        dlr != NULL && *dlr != '\0' ? dlr : NULL, to, &result, &fb)
	    != PA_OK) {
		/* Twilio tries a callback again after an error answer. */
		result = SMSW_CB_ERROR;
		pa_log_warn("callback_failed", "sid=%s sqlstate=%s", sid, pa_db_sqlstate(db));
		reply(res, 503, "try again");
		goto out_form;
	}
	pa_log_info("sms_status", "sid=%s status=%s error_code=%d result=%s", sid, status,
	    error_code,
	    result == SMSW_CB_APPLIED     ? "applied"
	        : result == SMSW_CB_STALE ? "stale"
	                                  : "unknown_sid");
	if (fb.id != 0) {
		/* A held fallback moved with this status. A queued one is due now: a send
		 * loop's sweep (PHONEAUTH_SWEEP) takes it, as this thread has no send loop. */
		smsw_metrics
		    .fallbacks[fb.queued ? SMSW_FALLBACK_QUEUED : SMSW_FALLBACK_CANCELLED]++;
		pa_log_info(fb.queued ? "sms_fallback" : "sms_fallback_cancelled",
		    "outbox_id=%lld primary_sid=%s reason=%s", (long long) fb.id, sid,
		    fb.queued ? "primary_failed" : "primary_delivered");
	}
	res->status = 200;
out_form:
	smsw_form_free(&f);
out:
	smsw_metrics.callbacks[result]++;
}

static void
http_healthz(
    void *state, const struct pa_http_request *req, struct pa_http_response *res, void *arg)
{
	const struct smsw_config *c    = arg;
	int64_t                   last = atomic_load(&smsw_metrics.last_heartbeat_ms);
	bool ok = last > 0 && pa_unix_ms() - last < 3000LL * c->heartbeat_s + 2000;

	(void) state;
	(void) req;
	reply(res, ok ? 200 : 503, ok ? "ok" : "database unavailable");
}

static void
http_metrics(
    void *state, const struct pa_http_request *req, struct pa_http_response *res, void *arg)
{
	(void) state;
	(void) req;
	(void) arg;
	res->content_type = "text/plain; version=0.0.4";
	smsw_metrics_write(&res->body);
}

pa_err
smsw_status_routes(struct pa_http *h, struct smsw_config *c)
{
	pa_err rv;

	if ((rv = pa_http_route(h, "POST", "/twilio/status", http_status_cb, c, true)) != PA_OK
	    || (rv = pa_http_route(h, "GET", "/healthz", http_healthz, c, false)) != PA_OK
	    || (rv = pa_http_route(h, "GET", "/metrics", http_metrics, c, false)) != PA_OK)
		return rv;
	return PA_OK;
}
