/* fallback.c: what the worker says about held fallbacks: the counts
 * (phoneauth_sms_fallbacks_total), the log lines, and the sweep's end of held rows that will
 * never be sent. The decisions themselves are SQL, in the statements that record a primary's
 * final status (store.c's HELD_MOVE). */
#include <stdlib.h>

#include "common/log.h"
#include "common/phone.h"
#include "fallback.h"
#include "store.h"
#include "wmetrics.h"

#define SWEEP_MAX 256

bool
smsw_fallback_note(
    int64_t primary, const char *phone, const char *channel, const struct smsw_fallback *fb)
{
	char masked[PA_PHONE_MASK_MAX];

	if (fb->id == 0)
		return false;
	(void) pa_phone_mask(phone, masked);
	if (!fb->queued) {
		smsw_metrics.fallbacks[SMSW_FALLBACK_CANCELLED]++;
		pa_log_info("sms_fallback_cancelled",
		    "outbox_id=%lld primary_id=%lld phone=%s reason=primary_delivered",
		    (long long) fb->id, (long long) primary, masked);
		return false;
	}
	smsw_metrics.fallbacks[SMSW_FALLBACK_QUEUED]++;
	pa_log_info("sms_fallback",
	    "outbox_id=%lld primary_id=%lld phone=%s from=%s reason=primary_failed",
	    (long long) fb->id, (long long) primary, masked, channel[0] ? channel : "-");
	return true;
}

void
smsw_fallback_sweep(struct pa_db *db, int max)
{
	struct smsw_job jobs[SWEEP_MAX];
	int             n = 0;

	if (smsw_store_held_end(db, max < SWEEP_MAX ? max : SWEEP_MAX, jobs, &n) != PA_OK) {
		pa_log_warn("held_sweep_failed", "sqlstate=%s", pa_db_sqlstate(db));
		return;
	}
	for (int i = 0; i < n; i++) {
		bool   expired = jobs[i].state == SMSW_CLAIM_EXPIRED;
		char   masked[PA_PHONE_MASK_MAX];
		pa_err rv;

		smsw_metrics.fallbacks[expired ? SMSW_FALLBACK_EXPIRED : SMSW_FALLBACK_CANCELLED]++;
		pa_log_info("sms_fallback_ended", "outbox_id=%lld phone=%s state=%s reason=%s",
		    (long long) jobs[i].id, pa_phone_mask(jobs[i].phone, masked),
		    expired ? "expired" : "cancelled", jobs[i].why[0] ? jobs[i].why : "expired");
		if ((rv = smsw_store_audit_unsent(db, &jobs[i])) != PA_OK)
			pa_log_warn("audit_failed", "outbox_id=%lld error=%s",
			    (long long) jobs[i].id, pa_err_name(rv));
		smsw_job_clear(&jobs[i]);
	}
}
