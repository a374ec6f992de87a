/* retention.c: the retention job's thread: the schedule, the advisory lock that keeps it to one
 * auth instance at a time, the batch loop and its metrics. The DELETEs are store_retention.c's. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "auth.h"
#include "common/log.h"
#include "common/metrics.h"
#include "retention.h"
#include "store_retention.h"

struct auth_retention {
	struct auth_app     *app;
	struct pa_db        *db;
	pthread_t            thread;
	pthread_mutex_t      mu;
	pthread_cond_t       cv;
	bool                 stop;
	atomic_uint_fast64_t runs, skipped, failures, last_ok_s;
	atomic_uint_fast64_t deleted[AUTH_RET_NTABLES];
};

static bool
stopping(struct auth_retention *r)
{
	bool stop;

	pthread_mutex_lock(&r->mu);
	stop = r->stop;
	pthread_mutex_unlock(&r->mu);
	return stop;
}

static int
window_of(const struct auth_config *cfg, enum auth_retention_table t)
{
	switch (t) {
	case AUTH_RET_USERS:
		return cfg->unverified_user_ttl_s;
	case AUTH_RET_OUTBOX:
	case AUTH_RET_STATUS_EVENTS:
		return cfg->retain_outbox_s;
	case AUTH_RET_VERIFICATIONS:
		return cfg->retain_verifications_s;
	case AUTH_RET_SESSIONS:
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
purge_table(struct auth_retention *r, enum auth_retention_table t, int64_t *total)
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
	} while (n >= batch && !stopping(r));
	return PA_OK;
}

/* One run: take the lock or leave it to the instance that holds it, purge every table, let go. */
static pa_err
run_once(struct auth_retention *r)
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
	for (int t = 0; t < AUTH_RET_NTABLES && rv == PA_OK && !stopping(r); t++)
		rv = purge_table(r, (enum auth_retention_table) t, &total[t]);
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

static void *
retention_main(void *arg)
{
	struct auth_retention *r = arg;
	bool                   stop;

	do {
		struct timespec until;
		pa_err          rv = run_once(r);

		if (rv != PA_OK) {
			atomic_fetch_add(&r->failures, 1);
			pa_log_warn("retention_failed", "error=%s sqlstate=%s", pa_err_name(rv),
			    pa_db_sqlstate(r->db));
		}
		(void) clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += r->app->cfg.retention_every_s;
		pthread_mutex_lock(&r->mu);
		while (!r->stop && pthread_cond_timedwait(&r->cv, &r->mu, &until) != ETIMEDOUT)
			;
		stop = r->stop;
		pthread_mutex_unlock(&r->mu);
	} while (!stop);
	return NULL;
}

pa_err
auth_retention_start(struct auth_retention **out, struct auth_app *app)
{
	struct auth_retention *r;
	pthread_condattr_t     ca;

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
	if (pthread_mutex_init(&r->mu, NULL) != 0)
		goto fail_db;
	if (pthread_condattr_init(&ca) != 0)
		goto fail_mu;
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0
	    || pthread_cond_init(&r->cv, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		goto fail_mu;
	}
	pthread_condattr_destroy(&ca);
	if (pthread_create(&r->thread, NULL, retention_main, r) != 0)
		goto fail_cv;
	*out = r;
	return PA_OK;
fail_cv:
	pthread_cond_destroy(&r->cv);
fail_mu:
	pthread_mutex_destroy(&r->mu);
fail_db:
	pa_db_free(r->db);
	free(r);
	return PA_ENOMEM;
}

void
auth_retention_stop(struct auth_retention *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	if (pthread_join(r->thread, NULL) != 0)
		pa_log_error("retention_join_failed", "%s", "");
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
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
	pa_metrics_header(out, "phoneauth_retention_runs_total", "counter",
	    "Retention runs this process completed holding the lock.");
	pa_strbuf_printf(out, "phoneauth_retention_runs_total %llu\n",
	    (unsigned long long) atomic_load(&r->runs));
	pa_metrics_header(out, "phoneauth_retention_skipped_total", "counter",
	    "Retention runs left to another auth instance that held the lock.");
	pa_strbuf_printf(out, "phoneauth_retention_skipped_total %llu\n",
	    (unsigned long long) atomic_load(&r->skipped));
	pa_metrics_header(out, "phoneauth_retention_failures_total", "counter",
	    "Retention runs that failed (retried at the next interval).");
	pa_strbuf_printf(out, "phoneauth_retention_failures_total %llu\n",
	    (unsigned long long) atomic_load(&r->failures));
	pa_metrics_header(out, "phoneauth_retention_last_success_seconds", "gauge",
	    "Unix time of this process's last completed retention run (0: none yet).");
	pa_strbuf_printf(out, "phoneauth_retention_last_success_seconds %llu\n",
	    (unsigned long long) atomic_load(&r->last_ok_s));
}
