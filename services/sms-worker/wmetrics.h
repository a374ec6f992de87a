/* wmetrics.h: the worker's counters, all in one place: sends by outcome, Twilio's answers and
 * latency, status reports by result, held fallbacks by outcome, reclaimed, reconciled and cancelled
 * rows, queue depth, requests in flight and the last heartbeat. The send loop and the status
 * endpoint bump them (the store never does); wmetrics.c defines them and writes the Prometheus
 * page. */
#ifndef PHONEAUTH_SMSW_WMETRICS_H
#define PHONEAUTH_SMSW_WMETRICS_H

#include <stdatomic.h>

#include "common/metrics.h"
#include "common/strbuf.h"
#include "message.h"

/* What became of a Feedback POST (phoneauth_twilio_feedback_total{outcome}). */
enum smsw_fb_outcome {
	SMSW_FB_CONFIRMED, /* Twilio took Outcome=confirmed */
	SMSW_FB_RETRY, /* 429, 5xx, no answer: again later */
	SMSW_FB_FAILED, /* 4xx, or too many tries: given up */
	SMSW_FB_SKIPPED, /* the verified code's message never got a SID */
	SMSW_FB_UNRECORDED, /* answered, but not recorded before the lease ran out */
	SMSW_FB_NOUTCOMES
};

/* What became of a held fallback (phoneauth_sms_fallbacks_total{outcome}, migration 0015). */
enum smsw_fallback_outcome {
	SMSW_FALLBACK_QUEUED, /* its primary failed for good: the code goes on this channel */
	SMSW_FALLBACK_CANCELLED, /* its primary was delivered or read, or its code was replaced */
	SMSW_FALLBACK_EXPIRED, /* its code expired while it was held */
	SMSW_FALLBACK_NOUTCOMES
};

struct smsw_metrics {
	atomic_uint_fast64_t sends[SMSW_NOUTCOMES];
	atomic_uint_fast64_t callbacks[SMSW_CB_NRESULTS];
	atomic_uint_fast64_t feedback[SMSW_FB_NOUTCOMES];
	atomic_uint_fast64_t fallbacks[SMSW_FALLBACK_NOUTCOMES];
	atomic_uint_fast64_t http_status[6]; /* Twilio answers by class: 0 = no answer, 2..5 */
	atomic_uint_fast64_t reclaimed; /* rows taken over from a worker whose lease ran out */
	atomic_uint_fast64_t reconciled; /* GETs that moved a status */
	atomic_uint_fast64_t cancelled; /* rows whose code a resend or restart replaced */
	atomic_int_fast64_t  queued_ids; /* pushed ids not yet claimed */
	atomic_int_fast64_t  in_flight; /* Twilio requests running */
	atomic_int_fast64_t
	               last_heartbeat_ms; /* unix ms of the last heartbeat written; 0 = failing */
	struct pa_hist twilio_latency;
};

extern struct smsw_metrics smsw_metrics;

/* The Prometheus text page (GET /metrics). */
void smsw_metrics_write(struct pa_strbuf *out);

#endif
