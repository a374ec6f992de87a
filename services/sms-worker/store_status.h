/* store_status.h: delivery statuses, from Twilio's callbacks or a reconciliation GET, and the
 * rows to ask Twilio about (store.h's rules: SQL only, typed rows, the caller's connection). */
#ifndef PHONEAUTH_SMSW_STORE_STATUS_H
#define PHONEAUTH_SMSW_STORE_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/db.h"
#include "message.h"

/* A row to ask Twilio about. */
struct smsw_reconcile_row {
	char sid[SMSW_SID_SIZE];
	char phone[SMSW_PHONE_SIZE];
};

/* Up to max rows sent more than after_s ago with no final status, not asked about in the last
 * after_s; marks them asked. */
pa_err smsw_store_reconcile_take(
    struct pa_db *db, int after_s, int max, struct smsw_reconcile_row *out, int *n) PA_MUSTCHECK;

/* A delivery status for a SID, from a callback (actor "twilio") or a reconciliation GET (actor
 * "sms-worker"). Always adds a message_status_events row; moves the outbox row only forward
 * (WhatsApp's "read" after "delivered" too); audits. A move to a final state moves the row's
 * held fallback in the same statement (*fb, as smsw_store_finish). error_code 0 = none; raw_dlr may
 * be NULL. phone is the number the message went to as the reporter says (a callback's To, the
 * reconciled row's phone; may be NULL): the audit row shows it masked. One statement, one round
 * trip; a second only when phone is not the row's. */
pa_err smsw_store_status(struct pa_db *db, const char *actor, const char *sid, const char *status,
    int error_code, const char *raw_dlr, const char *phone, enum smsw_cb_result *result,
    struct smsw_fallback *fb) PA_MUSTCHECK;

#endif
