/* store_feedback.h: the owed conversion feedback (sms_feedback) and its answers (store.h's rules:
 * SQL only, typed rows, the caller's connection). */
#ifndef PHONEAUTH_SMSW_STORE_FEEDBACK_H
#define PHONEAUTH_SMSW_STORE_FEEDBACK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/db.h"
#include "message.h"
#include "store.h"

/* Twilio's conversion signal (sms_feedback, migration 0014; auth inserts a row when a code is
 * verified, this store owns it from then on). Claims up to max due rows whose message has a SID,
 * leased to l->owner like outbox rows, into out[0..*n); the rows whose message ended without a
 * SID are marked 'skipped' by the same statement and only counted (*skipped). */
pa_err smsw_store_feedback_claim(struct pa_db *db, const struct smsw_lessee *l, int max,
    struct smsw_feedback *out, int *n, int *skipped) PA_MUSTCHECK;

/* Records the answer to f's Feedback POST while f's lease is still owner's, with its audit row
 * (event sms_feedback, outcome confirmed, retry or failed): SENT marks it done, FAILED failed,
 * RETRY queues it again after r->retry_after_ms. *lost: the lease was gone, nothing written. */
pa_err smsw_store_feedback_finish(struct pa_db *db, const char *owner,
    const struct smsw_feedback *f, const struct smsw_result *r, long http_status,
    bool *lost) PA_MUSTCHECK;

#endif
