/* health.c: the health cache. Only good news is cached: a worker that just started must not be
 * refused for a second because of an answer from before it came up. */
#include "health.h"

#include "caller.h"
#include "common/log.h"
#include "common/metrics.h"
#include "store_workers.h"

/* How long a worker trusts its last health check; keeps Health off the database under load. */
#define HEALTH_CACHE_NS (1000u * 1000u * 1000u)

void
auth_health_refresh(struct auth_worker *w)
{
	pa_err   rv;
	bool     alive;
	uint64_t now = pa_now_ns();

	if (w->health_at_ns != 0 && now - w->health_at_ns < HEALTH_CACHE_NS
	    && pa_db_connected(w->db) && w->sms_alive)
		return;
	rv           = auth_workers_alive(w->db, w->app->cfg.worker_alive_s, &alive);
	w->db_ok     = rv == PA_OK || rv == PA_EDB;
	w->sms_alive = rv == PA_OK && alive;
	if (rv == PA_EDB) {
		pa_log_warn("health_check_failed", "sqlstate=%s", pa_db_sqlstate(w->db));
	}
	w->health_at_ns = now;
	atomic_store(&w->app->db_ok, w->db_ok);
	atomic_store(&w->app->sms_alive, w->sms_alive);
	atomic_store(&w->app->health_good_at_ns, w->db_ok && w->sms_alive ? now : 0);
}

void
auth_health_forget(struct auth_app *app)
{
	atomic_store(&app->health_good_at_ns, 0);
}

bool
auth_health_good_recently(struct auth_app *app)
{
	uint64_t at = atomic_load(&app->health_good_at_ns);

	return at != 0 && pa_now_ns() - at < HEALTH_CACHE_NS;
}

struct pa_rpc_result
auth_sms_available(struct auth_worker *w, struct pa_rpc_call *call)
{
	auth_health_refresh(w);
	if (w->sms_alive)
		return pa_rpc_ok(NULL);
	return pa_rpc_fail(CODE(UNAVAILABLE), REASON(SMS_UNAVAILABLE),
	    auth_caller_policy(w->app, call)->msg_sms_unavailable);
}
