/* store_retention.h: the SQL of the retention job (retention.h). This is the one place rows are
 * deleted because of their age, one batched DELETE per table: users (never verified, older than
 * PHONEAUTH_UNVERIFIED_USER_TTL; their verifications, outbox rows, status events and sessions go
 * with them by ON DELETE CASCADE), sms_outbox (their status events cascade),
 * message_status_events (only the ones that never found their outbox row), sms_feedback,
 * verifications,
 * sessions, rate_events and remembered_devices. (The only other DELETE is store_limits.c's clearing
 * of one subject's events.) audit_events and audit_checkpoints are never deleted: the triggers of
 * 0001 forbid it, and README.md says how an operator archives them. */
#ifndef PHONEAUTH_AUTH_STORE_RETENTION_H
#define PHONEAUTH_AUTH_STORE_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "common/db.h"

/* The tables in the order a run deletes from them: the users first, since their cascade takes
 * verifications and outbox rows along. */
enum auth_retention_table {
	AUTH_RET_USERS,
	AUTH_RET_OUTBOX,
	AUTH_RET_STATUS_EVENTS,
	AUTH_RET_FEEDBACK,
	AUTH_RET_VERIFICATIONS,
	AUTH_RET_SESSIONS,
	AUTH_RET_RATE_EVENTS,
	AUTH_RET_PUMP_EVENTS,
	AUTH_RET_PUMP_DAILY,
	AUTH_RET_CAPTCHA_USED,
	AUTH_RET_DEVICES,
	AUTH_RET_NTABLES
};

/* The table's SQL name, for logs and metric labels. */
const char *auth_retention_table_name(enum auth_retention_table t);

/* Deletes at most batch rows of table t that are past older_than_s seconds, in one statement
 * (its own transaction); *deleted is how many went (not counting cascades). What "past" means:
 *   users          never verified, created before the window;
 *   sms_outbox     final before the window, or 'sent' before it with no final status, or
 *                  queued/sending (lease lapsed) with its not_after before it;
 *   message_status_events  with no outbox row, received before the window;
 *   sms_feedback   finished (done, failed, skipped) before the window, or unfinished and
 *                  created before it (not leased), e.g. while PHONEAUTH_TWILIO_FEEDBACK is off;
 *   verifications  ended before the window (greatest of last change, code and token expiry),
 *                  no user's verified_by points at it and no outbox row is left;
 *   sessions       expired or revoked before the window;
 *   rate_events    recorded before the window, whatever the limits' windows are;
 *   pump_events, captcha_used  recorded before the window;
 *   pump_daily     days before the window's day;
 *   remembered_devices  expired before the window (a password reset deletes them at once). */
pa_err auth_retention_delete(struct pa_db *db, enum auth_retention_table t, int older_than_s,
    int batch, int64_t *deleted) PA_MUSTCHECK;

/* The session-level advisory lock that lets one auth instance at a time run the job; *got tells
 * whether this connection holds it now. A lost connection releases it. */
pa_err auth_retention_try_lock(struct pa_db *db, bool *got) PA_MUSTCHECK;
pa_err auth_retention_unlock(struct pa_db *db) PA_MUSTCHECK;

#endif
