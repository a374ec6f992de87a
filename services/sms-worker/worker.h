/* worker.h: what the phoneauth-sms-worker modules share: configuration, the outbox operations
 * (outbox.c), Twilio's wire format (twilio.c), the callback signature (twsig.c), the send engine
 * (engine.c), the status endpoint (status.c) and the counters (wmetrics.c). */
#ifndef PHONEAUTH_SMSW_WORKER_H
#define PHONEAUTH_SMSW_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/metrics.h"
#include "common/strbuf.h"

struct smsw_config {
	char *database_url;
	char *jobs_urls;   /* comma list: one per auth instance */
	char *outbox_key;
	char *backend;     /* "twilio" or "console" */
	char *log_level;
	char *http_addr;   /* /healthz, /metrics, /twilio/status */
	int   lease_s;
	int   sweep_s;
	int   heartbeat_s;
	int   concurrency; /* Twilio requests in flight */
	int   max_attempts;
	int   connect_timeout_s;
	int   request_timeout_s;
	int   reconcile_after_s; /* a 'sent' row with no final status this long is asked about */
	int   callback_threads;
	/* Twilio */
	char *api_base;
	char *account_sid;
	char *auth_token;
	char *api_key;
	char *api_secret;
	char *messaging_service_sid;
	char *from;
	char *status_callback_url; /* public URL Twilio posts to; signs callbacks */
	char *ca_file;
	/* tls+tcp:// job URLs */
	char *tls_cert;
	char *tls_key;
	char *tls_ca;
	char *tls_server_name;
};

extern const struct pa_conf_item smsw_config_items[];
extern const size_t              smsw_config_nitems;

/* Whether s is a Twilio SID: prefix ("AC", "SM" ...) and 32 hex digits. */
bool smsw_sid_ok(const char *s, const char *prefix);
/* A Message SID: SM (SMS) or MM (MMS). */
#define SMSW_MESSAGE_SID_OK(s) (smsw_sid_ok((s), "SM") || smsw_sid_ok((s), "MM"))

/* Checks the Twilio variables the backend needs; on failure writes one line naming every
 * missing or malformed one to err. */
pa_err smsw_config_check_twilio(const struct smsw_config *c, char *err, size_t errsz) PA_MUSTCHECK;

/* ---- counters (wmetrics.c) ------------------------------------------------------------------- */

enum smsw_outcome {
	SMSW_SENT,       /* Twilio accepted it (we have a SID) */
	SMSW_FAILED,     /* permanent error: not retried */
	SMSW_RETRY,      /* 429, 5xx, timeout: back to the queue with a delay */
	SMSW_EXPIRED,    /* the code ran out before it could be sent */
	SMSW_UNRECORDED, /* Twilio answered but we could not record it before the lease ran out */
	SMSW_NOUTCOMES
};

enum smsw_cb_result {
	SMSW_CB_APPLIED,       /* status moved forward */
	SMSW_CB_STALE,         /* recorded, but older than what we have */
	SMSW_CB_UNKNOWN_SID,   /* recorded; the worker has not stored that SID (yet) */
	SMSW_CB_BAD_SIGNATURE, /* 403 */
	SMSW_CB_BAD_REQUEST,   /* 400 */
	SMSW_CB_ERROR,         /* 500/503: Twilio retries */
	SMSW_CB_NRESULTS
};

struct smsw_metrics {
	atomic_uint_fast64_t sends[SMSW_NOUTCOMES];
	atomic_uint_fast64_t callbacks[SMSW_CB_NRESULTS];
	atomic_uint_fast64_t http_status[6]; /* Twilio answers by class: 0 = no answer, 2..5 */
	atomic_uint_fast64_t reclaimed;      /* rows taken over from a worker whose lease ran out */
	atomic_uint_fast64_t reconciled;     /* GETs that moved a status */
	atomic_uint_fast64_t cancelled;      /* rows whose code a resend or restart replaced */
	atomic_int_fast64_t  queued_ids;     /* pushed ids not yet claimed */
	atomic_int_fast64_t  in_flight;      /* Twilio requests running */
	atomic_int_fast64_t  last_heartbeat_ms; /* unix ms of the last heartbeat written; 0 = failing */
	struct pa_hist       twilio_latency;
};

extern struct smsw_metrics smsw_metrics;

void smsw_metrics_write(struct pa_strbuf *out);

/* ---- outbox (outbox.c) ----------------------------------------------------------------------- */

/* One claimed outbox row; body is the plaintext SMS (wiped by smsw_job_clear). */
struct smsw_job {
	int64_t id;
	char    verification_id[37];
	char    phone[17];
	char   *body;
	size_t  body_len;
	int     ttl_left_s; /* the code's remaining life at claim time: Twilio's ValidityPeriod */
	int     attempts;   /* including this one */
	bool    reclaimed;  /* a dead worker held it: it may already have gone out once */
};

struct smsw {
	struct smsw_config cfg;
	struct pa_keyring  outbox_keys;
	struct pa_db      *db;
	char               id[96]; /* host:pid:random, the lease owner */
	char               host[64];
};

/* Claims the rows among ids that are due (queued, or leased by a worker whose lease ran out);
 * with ids == NULL claims up to max due rows of any id (the sweep). Expired codes are marked
 * expired, and codes a resend or restart replaced are marked cancelled, in the same statement:
 * neither is sent or returned. Writes up to max jobs to out, *n of them. */
pa_err smsw_claim(struct smsw *w, const int64_t *ids, int nids, int max, struct smsw_job *out,
    int *n) PA_MUSTCHECK;
void   smsw_job_clear(struct smsw_job *j);

/* The outcome of one send. */
struct smsw_result {
	enum smsw_outcome outcome;
	char              sid[40];    /* SENT */
	char              status[24]; /* SENT: Twilio's status word; FAILED: "failed" */
	int               error_code; /* Twilio's code, or 0 */
	char              error_message[256];
	int               retry_after_ms; /* RETRY: the delay before the next try */
};

/* Records r for j (only while j's lease is ours) and audits it; a SENT row learns any status
 * callback that arrived before its SID was stored. *lost is set when the lease was no longer
 * ours (another worker took the row). */
pa_err smsw_finish(struct smsw *w, const struct smsw_job *j, const struct smsw_result *r,
    bool *lost) PA_MUSTCHECK;

/* Gives back claimed rows this worker will not send (shutdown): queued again at once. */
pa_err smsw_release(struct smsw *w, const struct smsw_job *j) PA_MUSTCHECK;

/* Records this worker as alive (host, pid, start, last seen). */
pa_err smsw_heartbeat(struct smsw *w) PA_MUSTCHECK;

/* Up to max SIDs of rows sent more than reconcile_after_s ago with no final status, not asked
 * about in the last reconcile_after_s; marks them asked. */
pa_err smsw_reconcile_take(struct smsw *w, int max, char (*sids)[40], int *n) PA_MUSTCHECK;

/* A delivery status for a SID, from a callback (actor "twilio") or a reconciliation GET (actor
 * "sms-worker"). Always adds a message_status_events row; moves the outbox row only forward;
 * audits. error_code 0 = none; raw_dlr may be NULL. */
pa_err smsw_status_record(struct pa_db *db, const char *actor, const char *sid,
    const char *status, int error_code, const char *raw_dlr, enum smsw_cb_result *result)
    PA_MUSTCHECK;

/* ---- Twilio wire format (twilio.c) ----------------------------------------------------------- */

/* The form body of a Messages.json POST for j, into out (application/x-www-form-urlencoded).
 * It holds the code: the caller wipes it. */
pa_err smsw_twilio_form(const struct smsw_config *c, const struct smsw_job *j, int validity_s,
    struct pa_strbuf *out) PA_MUSTCHECK;

/* Classifies Twilio's answer to a create: http_status 0 means no answer (curl error). body is
 * the reply (may be NULL), retry_after the Retry-After header value (may be NULL), attempts the
 * tries so far. Fills r (outcome SENT, FAILED or RETRY). */
void smsw_twilio_classify(const struct smsw_config *c, long http_status, const char *body,
    size_t body_len, const char *retry_after, int attempts, struct smsw_result *r);

/* A Twilio status word as it may be logged and stored: 1 to 23 of [a-z_] ("delivered"). */
bool smsw_status_word_ok(const char *s);
/* Parses a Message JSON (a GET reply): status and error_code. */
pa_err smsw_twilio_parse_message(const char *body, size_t len, char status[24], int *error_code)
    PA_MUSTCHECK;

/* Whether a Twilio error code means "never retry this message". */
bool smsw_twilio_permanent(int code);

/* The delay before try number attempts+1: exponential from 500 ms, capped at 30 s, with jitter
 * (half fixed, half random). */
int smsw_backoff_ms(int attempts);

/* ---- callback signature (twsig.c) ------------------------------------------------------------ */

struct smsw_form {
	size_t n;
	char **key, **value;
};

/* Parses an application/x-www-form-urlencoded body ('+' is a space, %XX decoded). */
pa_err smsw_form_parse(const char *body, size_t len, struct smsw_form *f) PA_MUSTCHECK;
void   smsw_form_free(struct smsw_form *f);
/* The value of key, or NULL. */
const char *smsw_form_get(const struct smsw_form *f, const char *key);

/* X-Twilio-Signature for url and f: base64(HMAC-SHA1(token, url + key value pairs sorted by key
 * then value, an exact duplicate pair once)). out gets 28 characters and a NUL. */
pa_err smsw_twsig_compute(const char *token, const char *url, const struct smsw_form *f,
    char out[29]) PA_MUSTCHECK;
/* Whether sig is the signature of url and f, in constant time. Also accepts the URL with its
 * default port added or removed, as Twilio's own helper libraries do. */
bool smsw_twsig_check(const char *token, const char *url, const struct smsw_form *f,
    const char *sig);

/* ---- status endpoint (status.c) -------------------------------------------------------------- */

struct pa_http;
struct pa_workq;

/* Routes /twilio/status, /healthz and /metrics on h. The status handler is blocking (it writes
 * to PostgreSQL on the queue's threads, whose state is a struct pa_db *). */
pa_err smsw_status_routes(struct pa_http *h, struct smsw *w) PA_MUSTCHECK;

/* ---- engine (engine.c) ----------------------------------------------------------------------- */

struct smsw_engine;

/* Sends through Twilio with libcurl multi. */
pa_err smsw_engine_new(struct smsw_engine **out, struct smsw *w) PA_MUSTCHECK;
/* Queues a pushed outbox id (any thread); a full queue drops it (the sweep finds it). */
void   smsw_engine_push(struct smsw_engine *e, int64_t id);
/* Runs until *stop turns true, then finishes the requests in flight. */
void   smsw_engine_run(struct smsw_engine *e, atomic_bool *stop);
/* Wakes the engine from its poll (after setting *stop). */
void   smsw_engine_wakeup(struct smsw_engine *e);
void   smsw_engine_free(struct smsw_engine *e);

#endif
