/* retention.c: the retention job's thread: the schedule, the advisory lock that keeps it to one
 * auth instance at a time, the batch loop and its metrics. The DELETEs are store_retention.c's. */
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "auth.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/ticker.h"
#include "retention.h"
#include "store_retention.h"

struct auth_retention {
	struct auth_app     *app;
	struct pa_db        *db;
	struct pa_ticker    *ticker;
	atomic_uint_fast64_t runs, skipped, failures, last_ok_s;
	atomic_uint_fast64_t deleted[AUTH_RET_NTABLES];
};

static int
window_of(const struct auth_config *cfg, enum auth_retention_table t)
{
	switch (t) {
	case AUTH_RET_USERS:
		return cfg->unverified_user_ttl_s;
	case AUTH_RET_OUTBOX:
	case AUTH_RET_STATUS_EVENTS:
	case AUTH_RET_FEEDBACK:
		return cfg->retain_outbox_s;
	case AUTH_RET_VERIFICATIONS:
		return cfg->retain_verifications_s;
	case AUTH_RET_SESSIONS:
	case AUTH_RET_DEVICES:
		return cfg->retain_sessions_s;
	case AUTH_RET_PUMP_EVENTS: /* the breakers count back a day */
		return cfg->retain_rate_events_s > 90000 ? cfg->retain_rate_events_s : 90000;
	case AUTH_RET_PUMP_DAILY: /* their rolling maximum looks back 14 days */
		return 15 * 86400;
	case AUTH_RET_CAPTCHA_USED:
	case AUTH_RET_RATE_EVENTS:
	case AUTH_RET_NTABLES:
		break;
	}
	return cfg->retain_rate_events_s;
}

/* Deletes table t's expired rows a batch at a time until a batch is short (or the thread is
 * stopping); counts what went. */
static pa_err
purge_table(
    struct auth_retention *r, struct pa_ticker *tk, enum auth_retention_table t, int64_t *total)
{
	const int batch  = r->app->cfg.retention_batch;
	const int window = window_of(&r->app->cfg, t);
	int64_t   n;
	pa_err    rv;

	*total = 0;
	do {
		if ((rv = auth_retention_delete(r->db, t, window, batch, &n)) != PA_OK)
			return rv;
		*total += n;
		atomic_fetch_add(&r->deleted[t], (uint64_t) n);
	} while (n >= batch && !pa_ticker_stopping(tk));
	return PA_OK;
}

/* One run: take the lock or leave it to the instance that holds it, purge every table, let go. */
static pa_err
run_once(struct auth_retention *r, struct pa_ticker *tk)
{
	int64_t total[AUTH_RET_NTABLES] = { 0 };
	bool    got;
	pa_err  rv;

	if ((rv = pa_db_ready(r->db)) != PA_OK)
		return rv;
	/* Bounded waits: a row lock held elsewhere must not hold up shutdown for long. */
	if ((rv = pa_db_exec_simple(r->db, "SET lock_timeout = '5s'")) != PA_OK
	    || (rv = pa_db_exec_simple(r->db, "SET statement_timeout = '60s'")) != PA_OK
	    || (rv = auth_retention_try_lock(r->db, &got)) != PA_OK)
		return rv;
	if (!got) {
		atomic_fetch_add(&r->skipped, 1);
		pa_log_debug(
		    "retention_skipped", "reason=%s", "\"another instance holds the lock\"");
		return PA_OK;
	}
	for (int t = 0; t < AUTH_RET_NTABLES && rv == PA_OK && !pa_ticker_stopping(tk); t++)
		rv = purge_table(r, tk, (enum auth_retention_table) t, &total[t]);
	/* After an error the lock is released too; a lost connection has already dropped it. */
	if (auth_retention_unlock(r->db) != PA_OK && rv == PA_OK)
		rv = PA_EUNAVAILABLE;
	if (rv != PA_OK)
		return rv;
	atomic_fetch_add(&r->runs, 1);
	atomic_store(&r->last_ok_s, (uint64_t) time(NULL));
	pa_log_debug("retention_run",
	    "users=%lld sms_outbox=%lld message_status_events=%lld verifications=%lld "
	    "sessions=%lld rate_events=%lld",
	    (long long) total[AUTH_RET_USERS], (long long) total[AUTH_RET_OUTBOX],
	    (long long) total[AUTH_RET_STATUS_EVENTS], (long long) total[AUTH_RET_VERIFICATIONS],
	    (long long) total[AUTH_RET_SESSIONS], (long long) total[AUTH_RET_RATE_EVENTS]);
	return PA_OK;
}

/* The ticker's job: one run, its failure counted and logged. */
static void
retention_tick(struct pa_ticker *tk, void *arg)
{
	struct auth_retention *r  = arg;
	pa_err                 rv = run_once(r, tk);

	if (rv != PA_OK) {
		atomic_fetch_add(&r->failures, 1);
		pa_log_warn("retention_failed", "error=%s sqlstate=%s", pa_err_name(rv),
		    pa_db_sqlstate(r->db));
	}
}

pa_err
auth_retention_start(struct auth_retention **out, struct auth_app *app)
{
	struct auth_retention *r;

	*out = NULL;
	if (app->cfg.retention_every_s == 0)
		return PA_OK;
	if ((r = calloc(1, sizeof *r)) == NULL)
		return PA_ENOMEM;
	r->app = app;
	if (pa_db_new(&r->db, app->cfg.database_url) != PA_OK) {
		free(r);
		return PA_ENOMEM;
	}
	if (pa_ticker_start(&r->ticker, app->cfg.retention_every_s, retention_tick, NULL, r)
	    != PA_OK) {
		pa_db_free(r->db);
		free(r);
		return PA_ENOMEM;
	}
	*out = r;
	return PA_OK;
}

void
auth_retention_stop(struct auth_retention *r)
{
	if (r == NULL)
		return;
	pa_ticker_stop(r->ticker);
	pa_db_free(r->db);
	free(r);
}

void
auth_retention_write_metrics(struct pa_strbuf *out, struct auth_retention *r)
{
	if (r == NULL)
		return;
	pa_metrics_header(out, "phoneauth_retention_deleted_total", "counter",
	    "Rows the retention job of this process deleted, by table (cascades not counted).");
	for (int t = 0; t < AUTH_RET_NTABLES; t++)
		pa_strbuf_printf(out, "phoneauth_retention_deleted_total{table=\"%s\"} %llu\n",
		    auth_retention_table_name((enum auth_retention_table) t),
		    (unsigned long long) atomic_load(&r->deleted[t]));
	pa_metrics_one(out, "phoneauth_retention_runs_total", "counter",
	    "Retention runs this process completed holding the lock.",
	    (long long) atomic_load(&r->runs));
	pa_metrics_one(out, "phoneauth_retention_skipped_total", "counter",
	    "Retention runs left to another auth instance that held the lock.",
	    (long long) atomic_load(&r->skipped));
	pa_metrics_one(out, "phoneauth_retention_failures_total", "counter",
	    "Retention runs that failed (retried at the next interval).",
	    (long long) atomic_load(&r->failures));
	pa_metrics_one(out, "phoneauth_retention_last_success_seconds", "gauge",
	    "Unix time of this process's last completed retention run (0: none yet).",
	    (long long) atomic_load(&r->last_ok_s));
}
