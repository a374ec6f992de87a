/* verify.c: Twilio Verify v2's forms and answers (verify.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <sodium.h>

#include "twilio.h"
#include "twwire.h"
#include "verify.h"

const char *
smsw_verify_locale(const char *bcp47, char out[16])
{
	/* Verify's languages that carry a region (twilio.com/docs/verify/supported-languages). */
	static const char *const regional[] = { "en-GB", "pt-BR", "zh-CN", "zh-HK", "es-419" };
	size_t                   n          = 0;

	if (bcp47 == NULL || *bcp47 == '\0')
		return NULL;
	for (size_t i = 0; i < sizeof regional / sizeof regional[0]; i++)
		if (strcasecmp(bcp47, regional[i]) == 0) {
			(void) snprintf(out, 16, "%s", regional[i]);
			return out;
		}
	while (n < 8 && isalpha((unsigned char) bcp47[n])) {
		out[n] = (char) tolower((unsigned char) bcp47[n]);
		n++;
	}
	out[n] = '\0';
	if (n < 2 || n > 3 || (bcp47[n] != '\0' && bcp47[n] != '-') || strcmp(out, "en") == 0)
		return NULL;
	return out;
}

pa_err
smsw_verify_start_form(const struct smsw_job *j, struct pa_strbuf *out)
{
	char        buf[16];
	const char *locale = smsw_verify_locale(j->locale, buf);

	smsw_form_add(out, "To", j->phone);
	smsw_form_add(out, "Channel", strcmp(j->channel, "whatsapp") == 0 ? "whatsapp" : "sms");
	if (locale != NULL)
		smsw_form_add(out, "Locale", locale);
	return out->oom ? PA_ENOMEM : PA_OK;
}

pa_err
smsw_verify_check_form(const struct pa_vcheck_request *r, struct pa_strbuf *out)
{
	if (r->sid[0] != '\0')
		smsw_form_add(out, "VerificationSid", r->sid);
	else
		smsw_form_add(out, "To", r->to);
	smsw_form_add(out, "Code", r->code);
	return out->oom ? PA_ENOMEM : PA_OK;
}

bool
smsw_verify_permanent(int code)
{
	/* 60200 a parameter Twilio refuses, 60203 max send attempts for this phone, 60212 too many
	 * concurrent requests for it, 60410 Fraud Guard blocked the prefix, 60205 SMS not
	 * supported by a landline, 60220 and up: the service's configuration. Sending again gives
	 * the same answer until the limit's window or an operator changes something. */
	return code == 60200 || code == 60203 || code == 60205 || code == 60212 || code == 60410
	    || (code >= 60220 && code < 60300) || (code >= 21000 && code < 22000);
}

static void
failed(struct smsw_result *r, const char *why, long http_status)
{
	r->outcome = SMSW_FAILED;
	(void) snprintf(r->status, sizeof r->status, "failed");
	if (r->error_message[0] == '\0')
		(void) snprintf(
		    r->error_message, sizeof r->error_message, "%s (HTTP %ld)", why, http_status);
}

void
smsw_verify_classify(const struct smsw_config *c, long http_status, const char *body,
    size_t body_len, const char *retry_after, int attempts, struct smsw_result *r)
{
	json_object *o  = smsw_json_parse(body, body_len);
	bool         ok = http_status >= 200 && http_status < 300;
	const char  *msg, *sid;

	*r = (struct smsw_result) { 0 };
	if (!ok) {
		r->error_code = smsw_json_int(o, "code");
		if ((msg = smsw_json_str(o, "message")) != NULL)
			(void) snprintf(r->error_message, sizeof r->error_message, "%s", msg);
	}
	if (ok) {
		if ((sid = smsw_json_str(o, "sid")) != NULL && SMSW_VERIFY_SID_OK(sid)) {
			r->outcome = SMSW_SENT;
			(void) snprintf(r->sid, sizeof r->sid, "%s", sid);
			/* The verification's status: "pending" until checked. */
			(void) snprintf(r->status, sizeof r->status, "pending");
		} else {
			/* Twilio said yes to something we cannot name: sending again would make a
			 * second code. */
			failed(r, "answer without a verification SID", http_status);
		}
	} else if (smsw_verify_permanent(r->error_code)) {
		failed(r, "Verify refused", http_status);
	} else if (http_status == 0 || http_status == 408 || http_status == 429
	    || http_status >= 500 || http_status == 401 || http_status == 403) {
		r->outcome        = SMSW_RETRY;
		r->retry_after_ms = -1;
		if (http_status == 429 || http_status == 503)
			r->retry_after_ms = smsw_retry_after_ms(retry_after);
		if (r->retry_after_ms < 0)
			r->retry_after_ms = smsw_backoff_ms(attempts);
		if (r->error_message[0] == '\0')
			(void) snprintf(r->error_message, sizeof r->error_message, "%s",
			    http_status == 0 ? "no answer" : "HTTP error");
		if (attempts >= c->max_attempts) {
			r->outcome = SMSW_FAILED;
			(void) snprintf(r->status, sizeof r->status, "failed");
			(void) snprintf(r->error_message, sizeof r->error_message,
			    "gave up after %d attempts (last: HTTP %ld)", attempts, http_status);
		}
	} else {
		failed(r, "Verify refused", http_status);
	}
	if (o != NULL)
		json_object_put(o);
}

void
smsw_verify_check_answer(
    long http_status, const char *body, size_t body_len, struct pa_vcheck_response *out)
{
	json_object *o = smsw_json_parse(body, body_len);
	const char  *s;

	*out             = (struct pa_vcheck_response) { 0 };
	out->http_status = http_status > 0 && http_status < 1000 ? (int) http_status : 0;
	if (http_status >= 200 && http_status < 300) {
		if ((s = smsw_json_str(o, "status")) != NULL && smsw_status_word_ok(s))
			(void) snprintf(out->status, sizeof out->status, "%s", s);
		if ((s = smsw_json_str(o, "sid")) != NULL && SMSW_VERIFY_SID_OK(s))
			(void) snprintf(out->sid, sizeof out->sid, "%s", s);
	} else {
		out->error_code = smsw_json_int(o, "code");
	}
	if (o != NULL)
		json_object_put(o);
}
