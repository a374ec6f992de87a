/* twilio.h: Twilio's Messages API on the wire (../shared/twilio-oai/twilio_api_v2010.json): the
 * form a create POSTs (with ProvideFeedback when PHONEAUTH_TWILIO_FEEDBACK is on), a Feedback
 * POST's form and answers, what a create's answers mean (sent, failed for good, or try again
 * later), the Message JSON a reconciliation GET reads, and the retry backoff. No I/O: xfer.c moves
 * the bytes. */
#ifndef PHONEAUTH_SMSW_TWILIO_H
#define PHONEAUTH_SMSW_TWILIO_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/strbuf.h"
#include "config.h"
#include "message.h"

/* Why j cannot be sent with c (static text, safe to log and audit), or NULL when it can: a
 * WhatsApp row needs a template for its locale (smsw_config_content_sid) and a WhatsApp sender
 * (TWILIO_WHATSAPP_FROM or a Messaging Service). Such a row fails for good, unsent. */
const char *smsw_twilio_unsendable(const struct smsw_config *c, const struct smsw_job *j);

/* The form body of a Messages.json POST for j into out (application/x-www-form-urlencoded): on
 * SMS To, MessagingServiceSid or From, Body; on WhatsApp (j->channel) To=whatsapp:+E164, From
 * (whatsapp:...) or MessagingServiceSid, ContentSid (the locale's template) and
 * ContentVariables (j->body, the opened JSON); then StatusCallback, ValidityPeriod and
 * ProvideFeedback for both. PA_ENOTFOUND when smsw_twilio_unsendable says why not. It holds
 * the code: the caller wipes it. */
pa_err smsw_twilio_form(const struct smsw_config *c, const struct smsw_job *j, int validity_s,
    struct pa_strbuf *out) PA_MUSTCHECK;

/* Classifies Twilio's answer to a create: http_status 0 means no answer (curl error). body is
 * the reply (may be NULL), retry_after the Retry-After header value (may be NULL), attempts the
 * tries so far. Fills r (outcome SENT, FAILED or RETRY). */
void smsw_twilio_classify(const struct smsw_config *c, long http_status, const char *body,
    size_t body_len, const char *retry_after, int attempts, struct smsw_result *r);

/* The form body of a Feedback.json POST (CreateMessageFeedback, application/x-www-form-urlencoded):
 * Outcome=confirmed, the message's code was verified. */
pa_err smsw_twilio_feedback_form(struct pa_strbuf *out) PA_MUSTCHECK;

/* Classifies Twilio's answer to a Feedback POST: 2xx SENT (status "confirmed"); no answer, 408,
 * 429 and 5xx RETRY (Retry-After for 429/503, else the backoff) until attempts reaches
 * c->max_attempts; any other 4xx FAILED (it would answer the same again). */
void smsw_twilio_feedback_classify(const struct smsw_config *c, long http_status, const char *body,
    size_t body_len, const char *retry_after, int attempts, struct smsw_result *r);

/* A Twilio status word as it may be logged and stored: 1 to 23 of [a-z_] ("delivered"). */
bool smsw_status_word_ok(const char *s);
/* Parses a Message JSON (a GET reply): status and error_code. */
pa_err smsw_twilio_parse_message(
    const char *body, size_t len, char status[24], int *error_code) PA_MUSTCHECK;

/* Whether a Twilio error code means "never retry this message": 21xxx, and the 63xxx
 * (WhatsApp) codes but its rate limits and internal errors (twilio.c lists them). */
bool smsw_twilio_permanent(int code);

/* The delay before try number attempts+1: exponential from 500 ms, capped at 30 s, with jitter
 * (half fixed, half random). */
int smsw_backoff_ms(int attempts);

#endif
