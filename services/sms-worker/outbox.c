/* outbox.c: the worker side of the outbox. Rows are claimed with a lease in one UPDATE, so many
 * workers on many machines never take the same row; a lease that runs out (a dead worker) makes
 * the row claimable again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/log.h"
#include "worker.h"

static const struct pa_stmt st_claim = {
	"UPDATE sms_outbox SET state = 'sending', lease_owner = $2,"
	" lease_until = now() + make_interval(secs => $3::int), attempts = attempts + 1"
	" WHERE id = $1::bigint AND (state = 'queued' AND next_attempt_at <= now()"
	"  OR state = 'sending' AND lease_until < now())"
	" RETURNING verification_id::text, phone_e164, encode(body_sealed, 'hex'),"
	"  ceil(extract(epoch FROM not_after - now()))::int",
	3
};
static const struct pa_stmt st_expire = {
	"UPDATE sms_outbox SET state = 'expired', lease_owner = NULL, lease_until = NULL"
	" WHERE id = $1::bigint AND lease_owner = $2",
	2
};
static const struct pa_stmt st_sweep = {
	"SELECT id FROM sms_outbox WHERE state = 'queued' AND next_attempt_at <= now()"
	" UNION ALL SELECT id FROM sms_outbox WHERE state = 'sending' AND lease_until < now()"
	" LIMIT $1::int",
	1
};
static const struct pa_stmt st_sent = {
	"UPDATE sms_outbox SET state = 'sent', twilio_sid = $3, twilio_status = $4,"
	" sent_at = now(), status_updated_at = now(), lease_owner = NULL, lease_until = NULL,"
	" body_sealed = CASE WHEN $5::boolean THEN NULL ELSE body_sealed END"
	" WHERE id = $1::bigint AND lease_owner = $2 RETURNING verification_id::text",
	5
};
static const struct pa_stmt st_audit = {
	"INSERT INTO audit_events (event, actor, phone_masked, verification_id, message_sid, outcome)"
	" VALUES ($1, 'sms-worker', $2, $3::uuid, $4, $5)",
	5
};
static const struct pa_stmt st_heartbeat = {
	"INSERT INTO sms_workers (id, host, pid, started_at, last_seen_at)"
	" VALUES ($1, $2, $3::int, now(), now())"
	" ON CONFLICT (id) DO UPDATE SET last_seen_at = now()",
	3
};

void
smsw_job_clear(struct smsw_job *j)
{
	if (j->body != NULL) {
		sodium_memzero(j->body, j->body_len);
		free(j->body);
	}
	*j = (struct smsw_job) { 0 };
}

static pa_err
audit(struct smsw *w, const char *event, const struct smsw_job *j, const char *sid,
    const char *outcome)
{
	char        masked[PA_PHONE_MASK_MAX];
	const char *params[5] = { event, pa_phone_mask(j->phone, masked), j->verification_id, sid,
		outcome };

	return pa_db_exec(w->db, &st_audit, params, NULL);
}

pa_err
smsw_claim(struct smsw *w, int64_t id, struct smsw_job *out)
{
	char            idtxt[24], lease[16];
	const char     *params[3] = { idtxt, w->id, lease };
	struct smsw_job j         = { .id = id };
	unsigned char  *sealed    = NULL;
	size_t          sealed_len;
	const char     *hex;
	PGresult       *res;
	pa_err          rv;

	(void) snprintf(idtxt, sizeof idtxt, "%lld", (long long) id);
	(void) snprintf(lease, sizeof lease, "%d", w->cfg.lease_s);
	if ((rv = pa_db_exec(w->db, &st_claim, params, &res)) != PA_OK)
		return rv;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return PA_ENOTFOUND;
	}
	(void) snprintf(j.verification_id, sizeof j.verification_id, "%s", PQgetvalue(res, 0, 0));
	(void) snprintf(j.phone, sizeof j.phone, "%s", PQgetvalue(res, 0, 1));
	j.ttl_left_s = atoi(PQgetvalue(res, 0, 3));
	hex          = PQgetvalue(res, 0, 2);
	sealed_len   = strlen(hex) / 2;
	if (j.ttl_left_s <= 0 || sealed_len == 0) {
		/* Nothing is sent after the code has expired. */
		PQclear(res);
		if ((rv = pa_db_exec(w->db, &st_expire, params, NULL)) == PA_OK)
			rv = audit(w, "sms_expired", &j, NULL, "expired");
		return rv == PA_OK ? PA_ENOTFOUND : rv;
	}
	if ((sealed = malloc(sealed_len)) == NULL) {
		PQclear(res);
		return PA_ENOMEM;
	}
	(void) sodium_hex2bin(sealed, sealed_len, hex, strlen(hex), NULL, NULL, NULL);
	PQclear(res);
	rv = pa_open(&j.body, &j.body_len, &w->outbox_keys, j.verification_id,
	    strlen(j.verification_id), sealed, sealed_len);
	free(sealed);
	if (rv != PA_OK)
		return rv;
	*out = j;
	return PA_OK;
}

pa_err
smsw_sweep(struct smsw *w, int64_t *out, int max, int *n)
{
	char        lim[16];
	const char *params[1] = { lim };
	PGresult   *res;
	pa_err      rv;

	(void) snprintf(lim, sizeof lim, "%d", max);
	if ((rv = pa_db_exec(w->db, &st_sweep, params, &res)) != PA_OK)
		return rv;
	*n = PQntuples(res);
	for (int i = 0; i < *n; i++)
		out[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
	PQclear(res);
	return PA_OK;
}

pa_err
smsw_finish_sent(struct smsw *w, const struct smsw_job *j, const char *sid, const char *status)
{
	char        idtxt[24];
	/* Without a SID no status callback will ever finish the row, so the body goes now. */
	const char *params[5] = { idtxt, w->id, sid, status, sid == NULL ? "true" : "false" };
	PGresult   *res;
	pa_err      rv;
	bool        ours;

	(void) snprintf(idtxt, sizeof idtxt, "%lld", (long long) j->id);
	if ((rv = pa_db_begin(w->db)) != PA_OK ||
	    (rv = pa_db_exec(w->db, &st_sent, params, &res)) != PA_OK)
		goto out_fail;
	ours = PQntuples(res) > 0;
	PQclear(res);
	if (!ours) {
		/* Our lease ran out and another worker took the row: the message went twice. */
		pa_log_warn("sms_duplicate_window", "outbox_id=%lld", (long long) j->id);
		pa_db_rollback(w->db);
		return PA_OK;
	}
	if ((rv = audit(w, "sms_sent", j, sid, status)) != PA_OK ||
	    (rv = pa_db_commit(w->db)) != PA_OK)
		goto out_fail;
	return PA_OK;
out_fail:
	pa_db_rollback(w->db);
	return rv;
}

pa_err
smsw_heartbeat(struct smsw *w)
{
	char        pid[16];
	const char *params[3] = { w->id, w->host, pid };

	(void) snprintf(pid, sizeof pid, "%d", (int) getpid());
	return pa_db_exec(w->db, &st_heartbeat, params, NULL);
}
