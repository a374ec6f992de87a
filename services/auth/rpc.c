/* rpc.c: the Auth service's handlers. Each runs on a worker thread that owns a database connection;
 * it answers through the protobuf-c closure exactly once. */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "common/log.h"
#include "common/metrics.h"

/* How long a worker trusts its last health check; keeps Health off the database under load. */
#define HEALTH_CACHE_NS (1000u * 1000u * 1000u)

const char *const auth_slow_methods[] = { "CreateAccount", "RegisterAccount", "Login",
	"CompletePasswordReset", NULL };
/* Health answers on NNG's thread while good news is fresh: a hand-off to a worker cost it half
 * its rate (bench/README.md). */
const char *const auth_inline_methods[] = { "Health", NULL };

static const struct pa_stmt st_health = {
	"SELECT EXISTS (SELECT 1 FROM sms_workers"
	" WHERE last_seen_at > now() - make_interval(secs => $1::int))",
	1
};

void
auth_health_refresh(struct auth_worker *w)
{
	char        secs[16];
	const char *params[1] = { secs };
	PGresult   *res;
	pa_err      rv;
	uint64_t    now = pa_now_ns();

	/* Only good news is cached: a worker that just started must not be refused for a second
	 * because of an answer from before it came up. */
	if (w->health_at_ns != 0 && now - w->health_at_ns < HEALTH_CACHE_NS &&
	    pa_db_connected(w->db) && w->sms_alive)
		return;
	(void) snprintf(secs, sizeof secs, "%d", w->app->cfg.worker_alive_s);
	rv = pa_db_exec(w->db, &st_health, params, &res);
	w->db_ok     = rv == PA_OK || rv == PA_EDB;
	w->sms_alive = false;
	if (rv == PA_OK) {
		w->sms_alive = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
	} else if (rv == PA_EDB) {
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

/* True when some worker found the database and an SMS worker up less than a second ago. */
static bool
health_good_recently(struct auth_app *app)
{
	uint64_t at = atomic_load(&app->health_good_at_ns);

	return at != 0 && pa_now_ns() - at < HEALTH_CACHE_NS;
}

static void
auth_rpc_health(Phoneauth__V1__Auth_Service *svc, const Phoneauth__V1__HealthRequest *in,
    Phoneauth__V1__HealthResponse_Closure closure, void *data)
{
	struct pa_rpc_call            *call = data;
	struct auth_worker            *w    = pa_rpc_call_state(call);
	struct auth_app               *app  = AUTH_APP_OF_SERVICE(svc);
	Phoneauth__V1__HealthResponse  resp = PHONEAUTH__V1__HEALTH_RESPONSE__INIT;

	if (pa_rpc_call_inline(call)) {
		/* Only good news is answered from memory; anything else asks the database. */
		if (!health_good_recently(app)) {
			pa_rpc_call_defer(call);
			return;
		}
		resp.database_ok = resp.sms_worker_alive = true;
	} else {
		auth_health_refresh(w);
		if (!w->db_ok) {
			pa_rpc_call_fail_err(call, PA_EUNAVAILABLE);
			closure(NULL, data);
			return;
		}
		resp.database_ok      = w->db_ok;
		resp.sms_worker_alive = w->sms_alive;
	}
	resp.version = (char *) PHONEAUTH_VERSION;
	resp.profile = app->policy.name;
	closure(&resp, data);
}

bool
auth_client_authorize(struct pa_rpc_call *call, void *arg)
{
	struct auth_app                     *app    = arg;
	const Phoneauth__V1__CallerMetadata *caller = pa_rpc_call_caller(call);

	if (auth_token_matches(caller->client_token, app->cfg.client_token))
		return true;
	pa_log_warn("client_denied", "method=%s token=%s", pa_rpc_call_method(call),
	    caller->client_token && caller->client_token[0] ? "wrong" : "missing");
	pa_rpc_call_fail(call, CODE(UNAUTHENTICATED), REASON(CLIENT_TOKEN_INVALID),
	    "client token missing or wrong");
	return false;
}

void
auth_rpc_init(struct auth_app *app)
{
	/* The generated initialiser names one handler per method: adding a method to the .proto
	 * without its handler stops the build here. */
	static const Phoneauth__V1__Auth_Service svc = PHONEAUTH__V1__AUTH__INIT(auth_rpc_);

	app->service = svc;
}
