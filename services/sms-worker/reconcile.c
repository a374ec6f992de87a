/* reconcile.c: the reconciliation GETs (GET .../Messages/{Sid}.json) and their answers, recorded
 * with actor "sms-worker" through the same statement as a callback (store_status.c). */
#include <string.h>

#include "common/log.h"
#include "fallback.h"
#include "reconcile.h"
#include "store_status.h"
#include "twilio.h"
#include "wmetrics.h"

#define RECONCILE_BATCH 64

void
smsw_reconcile_start(
    struct pa_db *db, const struct smsw_config *c, struct smsw_http *http, int slots)
{
	struct smsw_reconcile_row rows[RECONCILE_BATCH];
	int                       n = 0;

	if (slots <= 0)
		return;
	if (smsw_store_reconcile_take(db, c->reconcile_after_s,
	        slots < RECONCILE_BATCH ? slots : RECONCILE_BATCH, rows, &n)
	    != PA_OK) {
		pa_log_warn("reconcile_failed", "sqlstate=%s", pa_db_sqlstate(db));
		return;
	}
	for (int i = 0; i < n; i++) {
		struct smsw_xfer *x = smsw_xfer_new(SMSW_XFER_GET);

		if (x == NULL)
			return;
		/* SMSW_SID_SIZE and SMSW_PHONE_SIZE both, NUL-terminated by the store. */
		memcpy(x->sid, rows[i].sid, sizeof x->sid);
		memcpy(x->phone, rows[i].phone, sizeof x->phone);
		if (smsw_xfer_start(http, x) != PA_OK)
			smsw_xfer_free(x);
	}
}

int64_t
smsw_reconcile_answer(struct pa_db *db, struct smsw_xfer *x, CURLcode cc, long http)
{
	enum smsw_cb_result  res;
	struct smsw_fallback fb = { 0 };
	char                 status[24];
	int                  code  = 0;
	int64_t              queue = 0;

	if (http != 200
	    || smsw_twilio_parse_message(x->reply.data, x->reply.len, status, &code) != PA_OK) {
		pa_log_warn("reconcile_failed", "sid=%s http_status=%ld curl=\"%s\"", x->sid, http,
		    cc == CURLE_OK ? "ok" : curl_easy_strerror(cc));
	} else if (smsw_store_status(
	               db, "sms-worker", x->sid, status, code, NULL, x->phone, &res, &fb)
	    != PA_OK) {
		pa_log_warn("reconcile_failed", "sid=%s error=database", x->sid);
	} else if (res == SMSW_CB_APPLIED) {
		smsw_metrics.reconciled++;
		pa_log_info(
		    "sms_reconciled", "sid=%s status=%s error_code=%d", x->sid, status, code);
		if (smsw_fallback_note(0, x->phone, "", &fb))
			queue = fb.id;
	}
	smsw_xfer_free(x);
	return queue;
}
