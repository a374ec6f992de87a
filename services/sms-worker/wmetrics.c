/* wmetrics.c: the worker's Prometheus page: sends by outcome, Twilio's answers and latency,
 * callbacks by result, cancelled rows, and how much work is waiting. */
#include <stdio.h>

#include "wmetrics.h"

struct smsw_metrics smsw_metrics;

static const char *const outcome_names[SMSW_NOUTCOMES] = {
	[SMSW_SENT]       = "sent",
	[SMSW_FAILED]     = "failed",
	[SMSW_RETRY]      = "retry",
	[SMSW_EXPIRED]    = "expired",
	[SMSW_UNRECORDED] = "unrecorded",
};
static const char *const cb_names[SMSW_CB_NRESULTS] = {
	[SMSW_CB_APPLIED]       = "applied",
	[SMSW_CB_STALE]         = "stale",
	[SMSW_CB_UNKNOWN_SID]   = "unknown_sid",
	[SMSW_CB_BAD_SIGNATURE] = "bad_signature",
	[SMSW_CB_BAD_REQUEST]   = "bad_request",
	[SMSW_CB_ERROR]         = "error",
};
static const char *const fb_names[SMSW_FB_NOUTCOMES] = {
	[SMSW_FB_CONFIRMED]  = "confirmed",
	[SMSW_FB_RETRY]      = "retry",
	[SMSW_FB_FAILED]     = "failed",
	[SMSW_FB_SKIPPED]    = "skipped",
	[SMSW_FB_UNRECORDED] = "unrecorded",
};
static const char *const fallback_names[SMSW_FALLBACK_NOUTCOMES] = {
	[SMSW_FALLBACK_QUEUED]    = "queued",
	[SMSW_FALLBACK_CANCELLED] = "cancelled",
	[SMSW_FALLBACK_EXPIRED]   = "expired",
};
static const char *const class_names[6] = { "none", "1xx", "2xx", "3xx", "4xx", "5xx" };

void
smsw_metrics_write(struct pa_strbuf *out)
{
	struct smsw_metrics *m = &smsw_metrics;

	pa_metrics_header(out, "phoneauth_build_info", "gauge", "Version of phoneauth-sms-worker.");
	pa_strbuf_printf(out, "phoneauth_build_info{version=\"%s\"} 1\n", PHONEAUTH_VERSION);
	pa_metrics_header(out, "phoneauth_sms_sends_total", "counter",
	    "Send attempts by outcome (retry: sent back to the queue with a delay).");
	for (int i = 0; i < SMSW_NOUTCOMES; i++)
		pa_strbuf_printf(out, "phoneauth_sms_sends_total{outcome=\"%s\"} %llu\n",
		    outcome_names[i], (unsigned long long) atomic_load(&m->sends[i]));
	pa_metrics_header(out, "phoneauth_twilio_responses_total", "counter",
	    "Twilio API answers by HTTP status class (none: no answer).");
	for (int i = 0; i < 6; i++)
		if (i != 1 && i != 3)
			pa_strbuf_printf(out,
			    "phoneauth_twilio_responses_total{class=\"%s\"} %llu\n", class_names[i],
			    (unsigned long long) atomic_load(&m->http_status[i]));
	pa_metrics_header(out, "phoneauth_twilio_request_seconds", "histogram",
	    "Twilio Messages API request latency.");
	pa_hist_write(out, "phoneauth_twilio_request_seconds", "", &m->twilio_latency);
	pa_metrics_header(out, "phoneauth_sms_status_callbacks_total", "counter",
	    "Delivery status callbacks by result.");
	for (int i = 0; i < SMSW_CB_NRESULTS; i++)
		pa_strbuf_printf(out, "phoneauth_sms_status_callbacks_total{result=\"%s\"} %llu\n",
		    cb_names[i], (unsigned long long) atomic_load(&m->callbacks[i]));
	pa_metrics_header(out, "phoneauth_twilio_feedback_total", "counter",
	    "Twilio conversion feedback (Outcome=confirmed on a verified code's message) by "
	    "outcome.");
	for (int i = 0; i < SMSW_FB_NOUTCOMES; i++)
		pa_strbuf_printf(out, "phoneauth_twilio_feedback_total{outcome=\"%s\"} %llu\n",
		    fb_names[i], (unsigned long long) atomic_load(&m->feedback[i]));
	pa_metrics_header(out, "phoneauth_sms_fallbacks_total", "counter",
	    "Held fallbacks (the same code on another channel) by outcome: queued when the first "
	    "channel failed for good, cancelled when it was delivered, expired.");
	for (int i = 0; i < SMSW_FALLBACK_NOUTCOMES; i++)
		pa_strbuf_printf(out, "phoneauth_sms_fallbacks_total{outcome=\"%s\"} %llu\n",
		    fallback_names[i], (unsigned long long) atomic_load(&m->fallbacks[i]));
	pa_metrics_one(out, "phoneauth_sms_reclaimed_total", "counter",
	    "Rows taken over after another worker's lease ran out (each may have gone out once).",
	    (long long) atomic_load(&m->reclaimed));
	pa_metrics_one(out, "phoneauth_sms_reconciled_total", "counter",
	    "Statuses learned by asking Twilio (the callback never came).",
	    (long long) atomic_load(&m->reconciled));
	pa_metrics_one(out, "phoneauth_sms_cancelled_total", "counter",
	    "Rows cancelled unsent because a resend or restart replaced their code.",
	    (long long) atomic_load(&m->cancelled));
	pa_metrics_one(out, "phoneauth_sms_queue_depth", "gauge",
	    "Pushed jobs waiting for a free request slot.",
	    (long long) atomic_load(&m->queued_ids));
	pa_metrics_one(out, "phoneauth_sms_in_flight", "gauge", "Twilio requests running.",
	    (long long) atomic_load(&m->in_flight));
	pa_metrics_header(out, "phoneauth_database_up", "gauge",
	    "Whether the last heartbeat reached the database.");
	pa_strbuf_printf(
	    out, "phoneauth_database_up %d\n", atomic_load(&m->last_heartbeat_ms) > 0 ? 1 : 0);
}
