/* fallback.h: the held fallbacks (migration 0015: the SMS that waits 'held' beside a WhatsApp row,
 * with the same code) as the worker sees them. The store moves a held row with its primary's
 * final status in the same statement (queued or cancelled); these count and log what it did,
 * and end, on the sweep, the held rows that will never be needed. */
#ifndef PHONEAUTH_SMSW_FALLBACK_H
#define PHONEAUTH_SMSW_FALLBACK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/db.h"
#include "message.h"

/* Counts and logs what a final status of primary (outbox id, 0 when unknown; phone, E.164,
 * masked in the log; channel, may be "") did to its held fallback fb. Returns true when fb was
 * queued: the caller's send loop should take fb->id now. Any thread. */
bool smsw_fallback_note(
    int64_t primary, const char *phone, const char *channel, const struct smsw_fallback *fb);

/* Ends up to max held rows whose code expired or no longer works (smsw_store_held_end), with a
 * log line, a count and an audit row each. The caller's thread and connection. */
void smsw_fallback_sweep(struct pa_db *db, int max);

#endif
