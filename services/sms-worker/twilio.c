/* twilio.c: Twilio's Messages API on the wire: the form we POST (an SMS's Body, or a WhatsApp
 * template's ContentSid and ContentVariables), and what its answers mean (sent, failed for
 * good, or try again later). No I/O here: xfer.c moves the bytes. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <sodium.h>

#include "twilio.h"
#include "twwire.h"

#define BACKOFF_BASE_MS 500
#define BACKOFF_MAX_MS 30000

static bool
is_whatsapp(const struct smsw_job *j)
{
	return strcmp(j->channel, "whatsapp") == 0;
}

const char *
smsw_twilio_unsendable(const struct smsw_config *c, const struct smsw_job *j)
{
	char sid[35];

	if (!is_whatsapp(j))
		return NULL;
	/* A business-initiated WhatsApp message must be an approved template: without one, Twilio
	 * would refuse it (63016), so it is not sent at all. */
	if (!smsw_config_content_sid(c, j->locale, sid))
		return "no WhatsApp template for the locale (TWILIO_WHATSAPP_CONTENT_SID[S])";
	if ((c->whatsapp_from == NULL || *c->whatsapp_from == '\0')
	    && (c->messaging_service_sid == NULL || *c->messaging_service_sid == '\0'))
		return "no WhatsApp sender (TWILIO_WHATSAPP_FROM or TWILIO_MESSAGING_SERVICE_SID)";
	return NULL;
}

/* To and the sender of j's channel. WhatsApp addresses are "whatsapp:+E164"; its sender is
 * TWILIO_WHATSAPP_FROM when set, else the Messaging Service (which then holds a WhatsApp
 * sender), and From is left out as for SMS. */
static void
form_addresses(const struct smsw_config *c, const struct smsw_job *j, struct pa_strbuf *out)
{
	char addr[64];

	if (!is_whatsapp(j)) {
		smsw_form_add(out, "To", j->phone);
		if (c->messaging_service_sid != NULL && *c->messaging_service_sid != '\0')
			smsw_form_add(out, "MessagingServiceSid", c->messaging_service_sid);
		else
			smsw_form_add(out, "From", c->from);
		return;
	}
	(void) snprintf(addr, sizeof addr, "whatsapp:%s", j->phone);
	smsw_form_add(out, "To", addr);
	if (c->whatsapp_from != NULL && *c->whatsapp_from != '\0') {
		(void) snprintf(addr, sizeof addr, "%s%s",
		    strncmp(c->whatsapp_from, "whatsapp:", 9) == 0 ? "" : "whatsapp:",
		    c->whatsapp_from);
		smsw_form_add(out, "From", addr);
	} else {
		smsw_form_add(out, "MessagingServiceSid", c->messaging_service_sid);
	}
}

pa_err
smsw_twilio_form(
    const struct smsw_config *c, const struct smsw_job *j, int validity_s, struct pa_strbuf *out)
{
	char validity[16], sid[35];

	if (smsw_twilio_unsendable(c, j) != NULL)
		return PA_ENOTFOUND;
	form_addresses(c, j, out);
	if (is_whatsapp(j)) {
		/* The template is the content; its variables (variable 1: the code) are the
		 * sealed body as auth wrote it, a JSON object. No Body. */
		(void) smsw_config_content_sid(c, j->locale, sid);
		smsw_form_add(out, "ContentSid", sid);
		smsw_form_add(out, "ContentVariables", j->body);
	} else {
		smsw_form_add(out, "Body", j->body);
	}
	if (c->status_callback_url != NULL && *c->status_callback_url != '\0')
		smsw_form_add(out, "StatusCallback", c->status_callback_url);
	/* Twilio drops a message still queued after ValidityPeriod (1 to 36000 s): the code is
	 * useless after its expiry, so it should not arrive then either. */
	(void) snprintf(validity, sizeof validity, "%d",
	    validity_s < 1           ? 1
	        : validity_s > 36000 ? 36000
	                             : validity_s);
	smsw_form_add(out, "ValidityPeriod", validity);
	/* We will tell Twilio which messages led to a verified code (the Feedback resource). */
	if (c->feedback)
		smsw_form_add(out, "ProvideFeedback", "true");
	return out->oom ? PA_ENOMEM : PA_OK;
}

pa_err
smsw_twilio_feedback_form(struct pa_strbuf *out)
{
	smsw_form_add(out, "Outcome", "confirmed");
	return out->oom ? PA_ENOMEM : PA_OK;
}

bool
smsw_twilio_permanent(int code)
{
	/* The 21xxx range is about the request itself (the number, the sender, the body,
	 * permissions): sending it again gives the same answer. 30xxx are SMS delivery errors that
	 * only arrive in status callbacks. */
	if (code >= 21000 && code < 22000)
		return true;
	/* 63xxx are the channels' (WhatsApp's) errors. Almost all are about the recipient, the
	 * sender, the template or the business account, and say the same on every try: 63003 the
	 * To has no WhatsApp, 63016 outside the 24 h window (a template is needed), 63024 invalid
	 * recipient, 63027/63028 no template for the language or the wrong variables, 63013
	 * policy, 63014 the user blocked us, 63015 sandbox, 63032 a WhatsApp limit on this user,
	 * 63040-63042 template rejected/paused/disabled, 63112 the business account disabled.
	 * Taking them as final lets the held SMS go at once, while the code is young. Retried, as
	 * they may pass in seconds: 63009 and 63012 (the provider's internal error), 63010
	 * (Twilio's), 63017 and 63018 (rate limits). */
	if (code >= 63000 && code < 64000)
		return code != 63009 && code != 63010 && code != 63012 && code != 63017
		    && code != 63018;
	return false;
}

int
smsw_backoff_ms(int attempts)
{
	int64_t d = BACKOFF_BASE_MS;

	for (int i = 1; i < attempts && d < BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > BACKOFF_MAX_MS)
		d = BACKOFF_MAX_MS;
	/* Half fixed, half random: workers that failed together do not come back together. */
	return (int) (d / 2 + randombytes_uniform((uint32_t) (d / 2) + 1));
}

static void
retry(struct smsw_result *r, int attempts, int after_ms)
{
	r->outcome        = SMSW_RETRY;
	r->retry_after_ms = after_ms >= 0 ? after_ms : smsw_backoff_ms(attempts);
}

void
smsw_twilio_classify(const struct smsw_config *c, long http_status, const char *body,
    size_t body_len, const char *retry_after, int attempts, struct smsw_result *r)
{
	json_object *o = smsw_json_parse(body, body_len);
	const char  *msg;

	*r = (struct smsw_result) { 0 };
	if (o != NULL) {
		r->error_code = smsw_json_int(
		    o, http_status >= 200 && http_status < 300 ? "error_code" : "code");
		msg = smsw_json_str(
		    o, http_status >= 200 && http_status < 300 ? "error_message" : "message");
		if (msg != NULL)
			(void) snprintf(r->error_message, sizeof r->error_message, "%s", msg);
	}
	if (http_status >= 200 && http_status < 300) {
		const char *sid    = o ? smsw_json_str(o, "sid") : NULL,
		           *status = o ? smsw_json_str(o, "status") : NULL;

		if (sid != NULL && SMSW_MESSAGE_SID_OK(sid)) {
			r->outcome = SMSW_SENT;
			(void) snprintf(r->sid, sizeof r->sid, "%s", sid);
			/* Logged and stored: anything but a status word is taken as "queued". */
			(void) snprintf(r->status, sizeof r->status, "%s",
			    smsw_status_word_ok(status) ? status : "queued");
		} else {
			/* Twilio said yes but we cannot tell to what: sending again could deliver
			 * the code twice, and a SID-less row can never be tracked. */
			r->outcome = SMSW_FAILED;
			(void) snprintf(r->status, sizeof r->status, "failed");
			(void) snprintf(r->error_message, sizeof r->error_message,
			    "HTTP %ld without a message SID", http_status);
		}
	} else if (http_status == 0 || http_status == 408 || http_status == 409
	    || http_status == 429 || http_status >= 500 || http_status == 401
	    || http_status == 403) {
		/* No answer, throttling, Twilio's trouble, or credentials an operator can fix
		 * (401/403, logged loudly by the engine): the code's expiry bounds the tries. */
		retry(r, attempts,
		    http_status == 429 || http_status == 503 ? smsw_retry_after_ms(retry_after)
		                                             : -1);
		if (r->error_message[0] == '\0')
			(void) snprintf(r->error_message, sizeof r->error_message, "%s",
			    http_status == 0 ? "no answer" : "HTTP error");
	} else if (r->error_code != 0 && !smsw_twilio_permanent(r->error_code)
	    && ((http_status != 400 && http_status != 404)
	        || (r->error_code >= 63000 && r->error_code < 64000))) {
		/* A 63xxx that is not final (a rate limit, the provider's hiccup) is retried
		 * whatever the HTTP status it came with. */
		retry(r, attempts, -1);
	} else {
		r->outcome = SMSW_FAILED;
		(void) snprintf(r->status, sizeof r->status, "failed");
		if (r->error_message[0] == '\0')
			(void) snprintf(
			    r->error_message, sizeof r->error_message, "HTTP %ld", http_status);
	}
	if (r->outcome == SMSW_RETRY && attempts >= c->max_attempts) {
		r->outcome = SMSW_FAILED;
		(void) snprintf(r->status, sizeof r->status, "failed");
		(void) snprintf(r->error_message, sizeof r->error_message,
		    "gave up after %d attempts (last: HTTP %ld)", attempts, http_status);
	}
	if (o != NULL)
		json_object_put(o);
}

bool
smsw_status_word_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return n > 0 && n <= 23 && strspn(s, "abcdefghijklmnopqrstuvwxyz_") == n;
}

pa_err
smsw_twilio_parse_message(const char *body, size_t len, char status[24], int *error_code)
{
	json_object *o = smsw_json_parse(body, len);
	const char  *s;

	if (o == NULL)
		return PA_EINVAL;
	s = smsw_json_str(o, "status");
	if (!smsw_status_word_ok(s)) {
		json_object_put(o);
		return PA_EINVAL;
	}
	(void) snprintf(status, 24, "%s", s);
	*error_code = smsw_json_int(o, "error_code");
	json_object_put(o);
	return PA_OK;
}

void
smsw_twilio_feedback_classify(const struct smsw_config *c, long http_status, const char *body,
    size_t body_len, const char *retry_after, int attempts, struct smsw_result *r)
{
	json_object *o = smsw_json_parse(body, body_len);
	const char  *msg;

	*r = (struct smsw_result) { 0 };
	if (o != NULL && (http_status < 200 || http_status >= 300)) {
		r->error_code = smsw_json_int(o, "code");
		if ((msg = smsw_json_str(o, "message")) != NULL)
			(void) snprintf(r->error_message, sizeof r->error_message, "%s", msg);
	}
	if (o != NULL)
		json_object_put(o);
	if (http_status >= 200 && http_status < 300) {
		r->outcome = SMSW_SENT;
		(void) snprintf(r->status, sizeof r->status, "confirmed");
		return;
	}
	if (http_status == 0 || http_status == 408 || http_status == 429 || http_status >= 500) {
		retry(r, attempts,
		    http_status == 429 || http_status == 503 ? smsw_retry_after_ms(retry_after)
		                                             : -1);
		if (attempts < c->max_attempts)
			return;
	}
	/* Any other 4xx (the message is unknown, too old, or feedback was not asked for) says the
	 * same next time; a retry past PHONEAUTH_SEND_ATTEMPTS gives up too. */
	r->outcome = SMSW_FAILED;
	(void) snprintf(r->status, sizeof r->status, "failed");
	if (r->error_message[0] == '\0')
		(void) snprintf(r->error_message, sizeof r->error_message, "HTTP %ld", http_status);
}
