/* feedback.h: Twilio's conversion signal from the send loop's side: claims the owed
 * Outcome=confirmed POSTs (sms_feedback) in the request slots sends leave free, starts them, and
 * records, counts and logs each answer. Runs on the send loop's thread, with its connection and
 * transfers. */
#ifndef PHONEAUTH_SMSW_FEEDBACK_H
#define PHONEAUTH_SMSW_FEEDBACK_H

#include <stdint.h>

#include <curl/curl.h>

#include "common/db.h"
#include "config.h"
#include "store.h"
#include "xfer.h"

/* Claims up to slots (at most a batch) owed rows with l's lease and starts their POSTs on http.
 * *next_feedback becomes now when a full batch suggests more are due. */
void smsw_feedback_post_due(struct pa_db *db, const struct smsw_lessee *l, struct smsw_http *http,
    int slots, uint64_t now, uint64_t *next_feedback);

/* A Feedback POST's answer (x, a FEEDBACK transfer that ended; freed here), recorded while
 * owner's lease holds. A retry pulls *next_feedback in to its due time. */
void smsw_feedback_answer(struct pa_db *db, const struct smsw_config *c, const char *owner,
    struct smsw_xfer *x, CURLcode cc, long http, uint64_t *next_feedback);

#endif
