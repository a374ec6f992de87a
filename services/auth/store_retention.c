/* store_retention.c: the retention job's DELETEs (store_retention.h says which rows each takes).
 * Each picks its batch first (ARRAY(SELECT ... LIMIT), so the DELETE then visits only those rows
 * by key) and repeats the conditions on the deleted row itself, so a row changed meanwhile (a user
 * verified, a session refreshed) is re-checked on its newest version and kept. $1 is the window in
 * seconds, $2 the batch size. */
#include "store_retention.h"

#include <stdio.h>
#include <stdlib.h>

#define CUTOFF "(now() - make_interval(secs => $1::int))"

/* updated_at: a registration again (flow_register.c touches the row) starts the clock afresh, so a
 * user is not deleted under a code just sent to it. */
#define USER_OLD "phone_verified_at IS NULL AND updated_at < " CUTOFF
static const struct pa_stmt st_users
    = { "DELETE FROM users WHERE id = ANY (ARRAY(SELECT id FROM users WHERE " USER_OLD
	" LIMIT $2::int)) AND " USER_OLD,
	      2 };

#define OUTBOX_OLD                                                            \
	"(final_at < " CUTOFF " OR (state = 'sent' AND sent_at < " CUTOFF ")" \
	" OR (state IN ('queued', 'sending') AND not_after < " CUTOFF         \
	" AND (lease_until IS NULL OR lease_until < now())))"
static const struct pa_stmt st_outbox
    = { "DELETE FROM sms_outbox WHERE id = ANY (ARRAY(SELECT id FROM sms_outbox WHERE " OUTBOX_OLD
	" LIMIT $2::int)) AND " OUTBOX_OLD,
	      2 };

#define STATUS_OLD "outbox_id IS NULL AND received_at < " CUTOFF
static const struct pa_stmt st_status = { "DELETE FROM message_status_events WHERE id = ANY "
	                                  "(ARRAY(SELECT id FROM message_status_events"
	                                  " WHERE " STATUS_OLD " LIMIT $2::int)) AND " STATUS_OLD,
	2 };

/* Twilio conversion feedback (migration 0014): finished, or never finished (the worker's setting
 * is off, or the message never got a SID) and not leased. */
#define FEEDBACK_OLD                                                           \
	"(final_at < " CUTOFF " OR (final_at IS NULL AND created_at < " CUTOFF \
	" AND (lease_until IS NULL OR lease_until < now())))"
static const struct pa_stmt st_feedback
    = { "DELETE FROM sms_feedback WHERE id = ANY (ARRAY(SELECT id FROM sms_feedback "
	"WHERE " FEEDBACK_OLD " LIMIT $2::int)) AND " FEEDBACK_OLD,
	      2 };

/* The expression is verifications_ended_idx's (migration 0011). */
#define VERIF_OLD(v)                                                                     \
	"greatest(" v ".updated_at, " v ".expires_at, " v ".token_expires_at) < " CUTOFF \
	" AND NOT EXISTS (SELECT 1 FROM users u WHERE u.verified_by = " v ".id)"         \
	" AND NOT EXISTS (SELECT 1 FROM sms_outbox o WHERE o.verification_id = " v ".id)"
static const struct pa_stmt st_verifications
    = { "DELETE FROM verifications d WHERE d.id = ANY (ARRAY(SELECT v.id FROM verifications v "
	"WHERE " VERIF_OLD("v") " LIMIT $2::int)) AND " VERIF_OLD("d"),
	      2 };

#define SESSION_OLD "(expires_at < " CUTOFF " OR revoked_at < " CUTOFF ")"
static const struct pa_stmt st_sessions
    = { "DELETE FROM sessions WHERE id = ANY (ARRAY(SELECT id FROM sessions WHERE " SESSION_OLD
	" LIMIT $2::int)) AND " SESSION_OLD,
	      2 };

/* rate_events has no key: its rows are never updated, so a ctid stays theirs. */
static const struct pa_stmt st_rate
    = { "DELETE FROM rate_events WHERE ctid = ANY (ARRAY(SELECT ctid FROM rate_events"
	" WHERE at < " CUTOFF " LIMIT $2::int)) AND at < " CUTOFF,
	      2 };

/* The pumping defence's counts (migration 0013); the window is at least a day and an hour, the
 * breakers' longest, and pump_daily keeps its 14 days. */
static const struct pa_stmt st_pump_events
    = { "DELETE FROM pump_events WHERE id = ANY (ARRAY(SELECT id FROM pump_events"
	" WHERE at < " CUTOFF " LIMIT $2::int)) AND at < " CUTOFF,
	      2 };
static const struct pa_stmt st_pump_daily
    = { "DELETE FROM pump_daily WHERE ctid = ANY (ARRAY(SELECT ctid FROM pump_daily"
	" WHERE day < (" CUTOFF ")::date LIMIT $2::int)) AND day < (" CUTOFF ")::date",
	      2 };
static const struct pa_stmt st_captcha
    = { "DELETE FROM captcha_used WHERE hash = ANY (ARRAY(SELECT hash FROM captcha_used"
	" WHERE at < " CUTOFF " LIMIT $2::int)) AND at < " CUTOFF,
	      2 };

/* Remembered devices (migration 0016): their expiry is their end. */
#define DEVICE_OLD "expires_at < " CUTOFF
static const struct pa_stmt st_devices
    = { "DELETE FROM remembered_devices WHERE id = ANY (ARRAY(SELECT id FROM remembered_devices"
	" WHERE " DEVICE_OLD " LIMIT $2::int)) AND " DEVICE_OLD,
	      2 };

static const struct pa_stmt st_try_lock
    = { "SELECT pg_try_advisory_lock(hashtextextended('phoneauth.retention', 0))", 0 };
static const struct pa_stmt st_unlock
    = { "SELECT pg_advisory_unlock(hashtextextended('phoneauth.retention', 0))", 0 };

static const struct {
	const char           *name;
	const struct pa_stmt *st;
} tables[AUTH_RET_NTABLES] = {
	[AUTH_RET_USERS]         = { "users", &st_users },
	[AUTH_RET_OUTBOX]        = { "sms_outbox", &st_outbox },
	[AUTH_RET_STATUS_EVENTS] = { "message_status_events", &st_status },
	[AUTH_RET_FEEDBACK]      = { "sms_feedback", &st_feedback },
	[AUTH_RET_VERIFICATIONS] = { "verifications", &st_verifications },
	[AUTH_RET_SESSIONS]      = { "sessions", &st_sessions },
	[AUTH_RET_RATE_EVENTS]   = { "rate_events", &st_rate },
	[AUTH_RET_PUMP_EVENTS]   = { "pump_events", &st_pump_events },
	[AUTH_RET_PUMP_DAILY]    = { "pump_daily", &st_pump_daily },
	[AUTH_RET_CAPTCHA_USED]  = { "captcha_used", &st_captcha },
	[AUTH_RET_DEVICES]       = { "remembered_devices", &st_devices },
};

const char *
auth_retention_table_name(enum auth_retention_table t)
{
	return (unsigned) t < AUTH_RET_NTABLES ? tables[t].name : "?";
}

pa_err
auth_retention_delete(
    struct pa_db *db, enum auth_retention_table t, int older_than_s, int batch, int64_t *deleted)
{
	char        win[16], lim[16];
	const char *params[2] = { win, lim };
	PGresult   *res;
	pa_err      rv;

	*deleted = 0;
	if ((unsigned) t >= AUTH_RET_NTABLES || older_than_s < 0 || batch < 1)
		return PA_EINVAL;
	(void) snprintf(win, sizeof win, "%d", older_than_s);
	(void) snprintf(lim, sizeof lim, "%d", batch);
	if ((rv = pa_db_exec(db, tables[t].st, params, &res)) != PA_OK)
		return rv;
	*deleted = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return PA_OK;
}

pa_err
auth_retention_try_lock(struct pa_db *db, bool *got)
{
	PGresult *res;
	pa_err    rv;

	*got = false;
	if ((rv = pa_db_exec(db, &st_try_lock, NULL, &res)) != PA_OK)
		return rv;
	*got = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return PA_OK;
}

pa_err
auth_retention_unlock(struct pa_db *db)
{
	return pa_db_exec(db, &st_unlock, NULL, NULL);
}
