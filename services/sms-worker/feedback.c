/* feedback.c: the owed conversion feedback's POSTs and answers, for the send loop. An answer we
 * cannot record leaves the row leased: once the lease runs out it is posted again, which only
 * sets the same outcome on the same message (Twilio keeps one Feedback per message). */
#include <string.h>

#include "common/log.h"
#include "feedback.h"
#include "store_feedback.h"
#include "twilio.h"
#include "wmetrics.h"

#define FEEDBACK_BATCH 64
#define NS_PER_MS 1000000ull

void
smsw_feedback_post_due(struct pa_db *db, const struct smsw_lessee *l, struct smsw_http *http,
    int slots, uint64_t now, uint64_t *next_feedback)
{
	struct smsw_feedback rows[FEEDBACK_BATCH];
	int n = 0, skipped = 0, max = slots < FEEDBACK_BATCH ? slots : FEEDBACK_BATCH;

	if (max <= 0)
		return;
	if (smsw_store_feedback_claim(db, l, max, rows, &n, &skipped) != PA_OK) {
		pa_log_warn("feedback_claim_failed", "sqlstate=%s", pa_db_sqlstate(db));
		return;
	}
	smsw_metrics.feedback[SMSW_FB_SKIPPED] += (uint_fast64_t) skipped;
	for (int i = 0; i < n; i++) {
		struct smsw_xfer *x = smsw_xfer_new(SMSW_XFER_FEEDBACK);
		pa_err            rv;

		if (x == NULL)
			return; /* the lease runs out and another try picks it up */
		if (rows[i].reclaimed)
			pa_log_warn("feedback_reclaimed",
			    "feedback_id=%lld sid=%s note=\"lease ran out; it may have been "
			    "posted once\"",
			    (long long) rows[i].id, rows[i].message_sid);
		x->fb = rows[i];
		memcpy(x->sid, rows[i].message_sid, sizeof x->sid);
		if ((rv = smsw_xfer_start(http, x)) != PA_OK) {
			pa_log_error("feedback_start_failed", "feedback_id=%lld error=%s",
			    (long long) rows[i].id, pa_err_name(rv));
			smsw_xfer_free(x);
		}
	}
	/* A full batch means more may be due. */
	if (n + skipped == max)
		*next_feedback = now;
}

void
smsw_feedback_answer(struct pa_db *db, const struct smsw_config *c, const char *owner,
    struct smsw_xfer *x, CURLcode cc, long http, uint64_t *next_feedback)
{
	struct smsw_result r;
	bool               lost = false;
	pa_err             rv;

	smsw_metrics.http_status[http >= 200 && http < 600 ? http / 100 : 0]++;
	smsw_twilio_feedback_classify(
	    c, http, x->reply.data, x->reply.len, x->retry_after, x->fb.attempts, &r);
	if ((rv = smsw_store_feedback_finish(db, owner, &x->fb, &r, http, &lost)) != PA_OK
	    || lost) {
		smsw_metrics.feedback[SMSW_FB_UNRECORDED]++;
		pa_log_warn("feedback_unrecorded",
		    "feedback_id=%lld sid=%s http_status=%ld error=%s note=\"posted again once "
		    "the lease runs out\"",
		    (long long) x->fb.id, x->sid, http, lost ? "lease_lost" : pa_err_name(rv));
	} else if (r.outcome == SMSW_SENT) {
		smsw_metrics.feedback[SMSW_FB_CONFIRMED]++;
		pa_log_info("feedback_confirmed", "feedback_id=%lld sid=%s attempt=%d",
		    (long long) x->fb.id, x->sid, x->fb.attempts);
	} else if (r.outcome == SMSW_RETRY) {
		uint64_t due = pa_now_ns() + (uint64_t) r.retry_after_ms * NS_PER_MS;

		smsw_metrics.feedback[SMSW_FB_RETRY]++;
		pa_log_warn("feedback_retry",
		    "feedback_id=%lld sid=%s attempt=%d http_status=%ld error_code=%d "
		    "curl=\"%s\" retry_in_ms=%d",
		    (long long) x->fb.id, x->sid, x->fb.attempts, http, r.error_code,
		    cc == CURLE_OK ? "ok" : curl_easy_strerror(cc), r.retry_after_ms);
		if (due < *next_feedback)
			*next_feedback = due;
	} else {
		smsw_metrics.feedback[SMSW_FB_FAILED]++;
		pa_log_warn("feedback_failed",
		    "feedback_id=%lld sid=%s attempt=%d http_status=%ld error_code=%d",
		    (long long) x->fb.id, x->sid, x->fb.attempts, http, r.error_code);
	}
	smsw_xfer_free(x);
}
