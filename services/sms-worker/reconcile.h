/* reconcile.h: asking Twilio about messages whose final status never arrived
 * (PHONEAUTH_RECONCILE_AFTER): takes such rows, starts a GET of each, and records what Twilio
 * says like a status callback. Runs on the send loop's thread, with its connection and
 * transfers. */
#ifndef PHONEAUTH_SMSW_RECONCILE_H
#define PHONEAUTH_SMSW_RECONCILE_H

#include <stdint.h>

#include <curl/curl.h>

#include "common/db.h"
#include "config.h"
#include "xfer.h"

/* Takes up to slots (at most a batch) rows to ask about and starts their GETs on http. */
void smsw_reconcile_start(
    struct pa_db *db, const struct smsw_config *c, struct smsw_http *http, int slots);

/* Records the answer of x (a GET transfer that ended; freed here). Returns the id of a held
 * fallback the status queued (the send loop should take it now), else 0. */
int64_t smsw_reconcile_answer(struct pa_db *db, struct smsw_xfer *x, CURLcode cc, long http);

#endif
