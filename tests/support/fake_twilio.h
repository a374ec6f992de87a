/* fake_twilio.h: a fake of Twilio's Messages API for tests and local runs, on NNG's HTTP server.
 * It checks what phoneauth-sms-worker sends the way Twilio would (Basic auth, form fields; SMS
 * and WhatsApp, "whatsapp:+E164", with Body or a ContentSid template),
 * answers with Twilio-shaped JSON (../shared/twilio-oai), records every message it accepted and
 * the Feedback POSTs (Outcome) on each, can be
 * told to fail (429 with Retry-After, 500, Twilio error JSON for a number), to stall or to answer
 * slowly (added latency), and posts status callbacks signed like Twilio's (X-Twilio-Signature).
 * Thread-safe: the test thread drives it while NNG threads serve requests. */
#ifndef PHONEAUTH_TEST_FAKE_TWILIO_H
#define PHONEAUTH_TEST_FAKE_TWILIO_H

#include <stdbool.h>
#include <stddef.h>

struct fake_twilio;

struct fake_twilio_opts {
	const char *listen; /* "127.0.0.1:PORT" */
	const char *account_sid; /* "AC" + 32 hex: the only account the URL may name */
	const char *auth_token; /* Basic password for account_sid; signs callbacks */
	const char *api_key; /* optional "SK" + 32 hex: Basic user accepted with api_secret */
	const char *api_secret;
	/* After each accepted message, post "sent" then "delivered" callbacks (then "read" for a
	 * WhatsApp message) when the message had a StatusCallback, from a background thread,
	 * auto_callback_ms apart; 0 = never. None follows once the message was set "failed" or
	 * "undelivered" (fake_twilio_callback, fake_twilio_set_status). */
	int auto_callback_ms;
	/* Print each accepted message on stdout (the standalone fake). */
	bool print;
	/* Hold each Messages POST this long before answering it, like a slow Twilio; 0 = answer
	 * at once. fake_twilio_set_latency changes it while running. */
	int latency_ms;
	/* Called for each accepted message on the thread that served it, after it was recorded
	 * and without the fake's lock; to and body stay valid until fake_twilio_stop. NULL = none.
	 * Lets a benchmark time arrivals and read codes without scanning every message. */
	void (*on_accept)(void *arg, const char *to, const char *body);
	void *on_accept_arg;
	/* Verify v2 (fake_verify.h), served on the same listener: the only service SID
	 * (VA + 32 hex) the URL may name; NULL = any well-formed VA SID. */
	const char *verify_service_sid;
	int         verify_code_length; /* digits of a Verify code, 4..10; 0 = 6 */
	int         verify_ttl_s; /* how long a pending verification lives; 0 = 600 (Twilio's) */
};

/* One message the fake accepted (answered 201). Strings are owned by the fake. */
struct fake_twilio_msg {
	char        sid[35]; /* "SM" + 32 hex */
	const char *to, *from, *messaging_service_sid, *body, *status_callback;
	/* to and from are the raw form values ("whatsapp:+62..." on WhatsApp). body is NULL for a
	 * template message (ContentSid without Body). */
	int         validity_period; /* 0 when absent */
	const char *auth_user; /* the Basic user it came with (account SID or API key) */
	const char *status; /* what GET .../Messages/{sid}.json answers now */
	int         error_code; /* 0 = null */
	bool        provide_feedback; /* it came with ProvideFeedback=true */
	int         feedback_posts; /* Feedback POSTs accepted for it */
	const char *channel; /* "sms" or "whatsapp" (a literal, never freed) */
	const char *content_sid; /* "HX" + 32 hex, or NULL */
	const char *content_variables; /* the raw ContentVariables JSON, or NULL */
};

int  fake_twilio_start(struct fake_twilio **out, const struct fake_twilio_opts *o); /* 0 = ok */
void fake_twilio_stop(struct fake_twilio *f); /* releases stalled requests first; NULL ok */

/* "http://127.0.0.1:PORT": what TWILIO_API_BASE should be. */
const char *fake_twilio_base(const struct fake_twilio *f);

/* ---- what it saw ----------------------------------------------------------------------------- */

/* Messages accepted so far (201 answers). */
int fake_twilio_count(struct fake_twilio *f);
/* Accepted messages to this E.164 number (or raw To, "whatsapp:+62..."). */
int fake_twilio_count_to(struct fake_twilio *f, const char *to);
/* Accepted messages on a channel: "sms" or "whatsapp". */
int fake_twilio_count_channel(struct fake_twilio *f, const char *channel);
/* POST requests received on the Messages endpoint, whatever the answer. */
int fake_twilio_requests(struct fake_twilio *f);
/* POSTs refused for bad auth or bad form fields (400/401), i.e. bugs in the sender. */
int fake_twilio_rejected(struct fake_twilio *f);
/* Copies the newest accepted message to `to` into *out (deep copy; free with
 * fake_twilio_msg_free). Returns false when there is none. */
bool fake_twilio_last_to(struct fake_twilio *f, const char *to, struct fake_twilio_msg *out);
void fake_twilio_msg_free(struct fake_twilio_msg *m);
/* Largest number of accepted messages to any one number (2+ means a duplicate send). */
int fake_twilio_max_per_number(struct fake_twilio *f);

/* Feedback.json POSTs received (POST .../Messages/{Sid}/Feedback.json), whatever the answer. */
int fake_twilio_feedback_requests(struct fake_twilio *f);
/* Feedback POSTs accepted (200) for sid; 0 for an unknown sid. */
int fake_twilio_feedback_count(struct fake_twilio *f, const char *sid);
/* Feedback POSTs accepted for all messages. */
int fake_twilio_feedback_total(struct fake_twilio *f);

/* ---- how it answers -------------------------------------------------------------------------- */

/* The next n Messages POSTs get 429 {"code":20429,...} with "Retry-After: retry_after_s". */
void fake_twilio_fail_429(struct fake_twilio *f, int n, int retry_after_s);
/* The next n Messages POSTs get 500 with a Twilio error JSON. */
void fake_twilio_fail_500(struct fake_twilio *f, int n);
/* The next n Feedback POSTs get 500 with a Twilio error JSON. (A Feedback POST needs Outcome
 * confirmed or unconfirmed, the message to exist and to have come with ProvideFeedback=true: 400
 * or 404 otherwise, counted as rejected.) */
void fake_twilio_fail_feedback_500(struct fake_twilio *f, int n);
/* Every POST to `to` (the raw To: "+1555...", "whatsapp:+62...") gets 400 with Twilio error JSON
 * {code, message, more_info, status:400} (21211, 21408, 21610, 21614, 63003, 63016, 63024,
 * 63112 ...); code 0 removes the rule. */
void fake_twilio_fail_number(struct fake_twilio *f, const char *to, int code);
/* While on, Messages POSTs are held without an answer (and not recorded as accepted). Turning it
 * off answers the held ones with 503 and records nothing for them. */
void fake_twilio_stall(struct fake_twilio *f, bool on);
/* Requests held by stall right now. */
int fake_twilio_stalled(struct fake_twilio *f);
/* Every Messages POST from now on is answered ms later (0: at once); see latency_ms. */
void fake_twilio_set_latency(struct fake_twilio *f, int ms);

/* ---- status ---------------------------------------------------------------------------------- */

/* Sets what GET .../Messages/{sid}.json answers for sid, without a callback (reconciliation). */
void fake_twilio_set_status(
    struct fake_twilio *f, const char *sid, const char *status, int error_code);
/* POSTs a status callback for sid to the message's StatusCallback URL: form fields MessageSid,
 * MessageStatus, AccountSid, From, To (raw, so "whatsapp:+..." on WhatsApp), ApiVersion=2010-04-01,
 * SmsSid, SmsStatus, ErrorCode (when error_code != 0), RawDlrDoneDate (when raw_dlr_done_date !=
 * NULL), signed with the auth token over that URL. Also sets the GET status. sign: 1 = good
 * signature, 0 = no header, -1 = a wrong one. Returns the HTTP status the worker answered, or 0
 * when it could not be reached. */
long fake_twilio_callback(struct fake_twilio *f, const char *sid, const char *status,
    int error_code, const char *raw_dlr_done_date, int sign);

/* X-Twilio-Signature for url and form pairs (keys[i], values[i]), as Twilio computes it:
 * base64(HMAC-SHA1(token, url + each key+value, sorted by key then value, duplicates once)).
 * out gets 29 bytes (28 + NUL). An independent implementation (OpenSSL) of the worker's check. */
void fake_twilio_sign(const char *token, const char *url, const char *const *keys,
    const char *const *values, size_t n, char out[29]);

/* The Verify v2 half of the fake shares this listener and lock. */
#include "fake_verify.h"

#endif
