/* xfer.h: the HTTP transfers to Twilio, over one libcurl multi handle that reuses its
 * connections: a Messages.json POST for a job (the form from twilio.c), a GET of one message
 * (reconciliation) or a message's Feedback.json POST (Outcome=confirmed), with the account's
 * credentials, timeouts and TLS checks. Many run at once; the send loop starts them, runs the
 * handle and takes each transfer back when it ends. Only the loop's thread touches it, except
 * smsw_http_wakeup. */
#ifndef PHONEAUTH_SMSW_XFER_H
#define PHONEAUTH_SMSW_XFER_H

#include <stdint.h>

#include <curl/curl.h>

#include "common/err.h"
#include "common/strbuf.h"
#include "config.h"
#include "message.h"

struct smsw_http;

enum smsw_xfer_kind { SMSW_XFER_SEND, SMSW_XFER_GET, SMSW_XFER_FEEDBACK };

/* One transfer. The send loop owns it from smsw_xfer_new to smsw_xfer_free; while it runs
 * (between a start and smsw_http_done) the multi handle points to it. */
struct smsw_xfer {
	enum smsw_xfer_kind  kind;
	struct smsw_job      job; /* SEND: the claimed row */
	char                 sid[SMSW_SID_SIZE]; /* GET, FEEDBACK: the message */
	struct smsw_feedback fb; /* FEEDBACK: the claimed sms_feedback row */
	char  phone[SMSW_PHONE_SIZE]; /* GET: the row's phone, for the status's audit row */
	CURL *easy;
	struct curl_slist *headers;
	struct pa_strbuf   form; /* holds the code: a secret buffer */
	struct pa_strbuf   reply; /* echoes the body: a secret buffer */
	char               retry_after[32];
	char               url[512];
	uint64_t           claimed_ns; /* SEND: the lease started about then */
	uint64_t           started_ns;
	/* The send loop's: an answer waiting to be recorded (database trouble). */
	struct smsw_result result;
	int                record_tries;
	struct smsw_xfer  *next;
};

/* The multi handle for c's account (the API key if set, else the account SID and auth token),
 * at most c->concurrency connections. PA_EINVAL when c's API base makes URLs too long. */
pa_err smsw_http_new(struct smsw_http **out, const struct smsw_config *c) PA_MUSTCHECK;
void   smsw_http_free(struct smsw_http *h);

/* A zeroed transfer of kind, its buffers secret; NULL when out of memory. */
struct smsw_xfer *smsw_xfer_new(enum smsw_xfer_kind kind);
/* Ends x: its easy handle, buffers and job, wiped. x must not be running. */
void smsw_xfer_free(struct smsw_xfer *x);
/* Wipes and frees what holds the code (form, reply, opened body, easy handle) once x's answer
 * is read, keeping the rest for recording. */
void smsw_xfer_wipe(struct smsw_xfer *x);

/* Starts x: SEND posts the form of x->job with ValidityPeriod x->job.ttl_left_s, GET fetches
 * x->sid, FEEDBACK posts Outcome=confirmed to x->sid's Feedback.json. On failure x is not running
 * and the caller still frees it. */
pa_err smsw_xfer_start(struct smsw_http *h, struct smsw_xfer *x) PA_MUSTCHECK;

/* What every request to Twilio sets on its easy handle e: the URL (https, or http for a test's
 * fake), TLS verification and the CA file, c's timeouts, our User-Agent, Basic auth as user:pass
 * and headers. False when curl refused an option. */
bool smsw_xfer_setopts(CURL *e, const struct smsw_config *c, const char *url, const char *user,
    const char *pass, struct curl_slist *headers);

/* Transfers running. */
int smsw_http_active(const struct smsw_http *h);
/* Moves every transfer along without blocking; PA_EIO when libcurl fails as a whole. */
pa_err smsw_http_perform(struct smsw_http *h) PA_MUSTCHECK;
/* Waits up to ms for network activity or smsw_http_wakeup. */
void smsw_http_poll(struct smsw_http *h, int ms);
/* Ends a smsw_http_poll early; safe from any thread. */
void smsw_http_wakeup(struct smsw_http *h);
/* The next transfer that ended, no longer running, with its libcurl result and HTTP status (0
 * without an answer); NULL when none has. */
struct smsw_xfer *smsw_http_done(struct smsw_http *h, CURLcode *cc, long *http_status);

#endif
