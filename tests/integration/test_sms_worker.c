/* test_sms_worker.c: the SMS worker in console mode against the real auth service: a started code
 * reaches it with the profile's exact text, a push made while no worker ran is found by the sweep,
 * an expired code is never sent, and bad configuration is refused with the variable's name. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/rpc_client.h"
#include "harness.h"
#include "phoneauth/v1/auth.pb-c.h"

static struct harness_proc auth, worker;
static char                db_url[512], rpc_url[64], jobs_url[64];
static char                env_db[600], env_rpc[96], env_jobs[96], env_http[96], env_admin[96];

static int
start_worker(void)
{
	const char *argv[] = { PHONEAUTH_WORKER_BIN, NULL };
	const char *env[]
	    = { env_db, env_jobs, HARNESS_SERVICE_ENV, "PHONEAUTH_SMS_BACKEND=console",
		      "PHONEAUTH_SWEEP=1s", "PHONEAUTH_HEARTBEAT=1s", NULL };

	return harness_spawn(&worker, argv, env, "sms_worker");
}

static int
group_setup(void **state)
{
	const char *argv[] = { PHONEAUTH_AUTH_BIN, "serve", NULL };
	const char *env[]  = { env_db, env_rpc, env_jobs, env_http, env_admin, HARNESS_SERVICE_ENV,
		 "PHONEAUTH_PROFILE=fancy-feathers", "PHONEAUTH_RESEND_COOLDOWN=1s", NULL };

	if (harness_newdb(harness_pgdir(), "t_sms_worker", db_url, sizeof db_url) != 0
	    || harness_migrate(db_url) != 0)
		return -1;
	(void) snprintf(rpc_url, sizeof rpc_url, "tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(jobs_url, sizeof jobs_url, "tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(env_db, sizeof env_db, "DATABASE_URL=%s", db_url);
	(void) snprintf(env_rpc, sizeof env_rpc, "PHONEAUTH_RPC_URL=%s", rpc_url);
	(void) snprintf(env_jobs, sizeof env_jobs, "PHONEAUTH_JOBS_URL=%s", jobs_url);
	(void) snprintf(
	    env_http, sizeof env_http, "PHONEAUTH_HTTP=127.0.0.1:%d", harness_free_port());
	(void) snprintf(env_admin, sizeof env_admin, "PHONEAUTH_ADMIN_URL=tcp://127.0.0.1:%d",
	    harness_free_port());
	if (harness_spawn(&auth, argv, env, "auth_smsw") != 0
	    || !harness_wait_health(rpc_url, 10000))
		return -1;
	return start_worker();
}

static int
group_teardown(void **state)
{
	if (worker.pid > 0)
		(void) harness_stop(&worker, SIGTERM, 5000, NULL);
	if (auth.pid > 0)
		(void) harness_stop(&auth, SIGTERM, 5000, NULL);
	return 0;
}

static char *
query1(const char *sql, const char *param)
{
	PGconn     *c         = PQconnectdb(db_url);
	const char *params[1] = { param };
	PGresult   *r;
	char       *v = NULL;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	r = PQexecParams(c, sql, param ? 1 : 0, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		v = strdup(PQgetisnull(r, 0, 0) ? "(null)" : PQgetvalue(r, 0, 0));
	else if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return v;
}

/* Links a subscription and starts a signup; returns the verification id (static buffer). */
static const char *
signup(const char *sub, const char *phone)
{
	static char                            id[37];
	struct pa_client_opts                  o = { .url = rpc_url, .timeout_ms = 5000 };
	Phoneauth__V1__LinkSubscriptionRequest link
	    = PHONEAUTH__V1__LINK_SUBSCRIPTION_REQUEST__INIT;
	Phoneauth__V1__StartSignupRequest req = PHONEAUTH__V1__START_SIGNUP_REQUEST__INIT;
	struct pa_client                 *c;
	struct pa_reply                   r;

	assert_int_equal(pa_client_open(&c, &o), PA_OK);
	link.subscription_id = (char *) sub;
	link.phone           = (char *) phone;
	assert_int_equal(
	    pa_client_call(c, "/phoneauth.v1.Auth/LinkSubscription", &link.base, NULL, NULL, &r),
	    PA_OK);
	assert_int_equal(r.code, PHONEAUTH__V1__CODE__OK);
	pa_reply_clear(&r);
	req.subscription_id = (char *) sub;
	req.phone           = (char *) phone;
	assert_int_equal(pa_client_call(c, "/phoneauth.v1.Auth/StartSignup", &req.base,
	                     &phoneauth__v1__start_signup_response__descriptor, NULL, &r),
	    PA_OK);
	if (r.code != PHONEAUTH__V1__CODE__OK)
		fail_msg("StartSignup: %s %s", pa_code_name(r.code), r.message);
	(void) snprintf(id, sizeof id, "%s",
	    ((Phoneauth__V1__StartSignupResponse *) r.body)->sent->verification_id);
	pa_reply_clear(&r);
	pa_client_close(c);
	return id;
}

/* Waits until the outbox row of verification id is in state want. */
static bool
wait_state(const char *id, const char *want, int timeout_ms)
{
	for (int t = 0; t < timeout_ms; t += 100) {
		char *s  = query1("SELECT state FROM sms_outbox WHERE verification_id = $1::uuid"
		                   " ORDER BY id DESC LIMIT 1",
		     id);
		bool  ok = s && strcmp(s, want) == 0;

		free(s);
		if (ok)
			return true;
		harness_sleep_ms(100);
	}
	return false;
}

static void
test_code_reaches_worker(void **state)
{
	char       *log, *v;
	const char *id;

	/* The worker's heartbeat makes StartSignup possible at all. */
	assert_true(harness_wait_health(rpc_url, 5000));
	for (int i = 0; i < 50; i++) {
		v = query1(
		    "SELECT count(*) FROM sms_workers WHERE last_seen_at > now() - interval '10s'",
		    NULL);
		if (v && strcmp(v, "1") == 0) {
			free(v);
			break;
		}
		free(v);
		harness_sleep_ms(100);
	}
	id = signup("sub-w1", "+12015550161");
	assert_true(wait_state(id, "sent", 5000));
	log = harness_read_log(&worker);
	assert_non_null(log);
	assert_non_null(strstr(log,
	    "----- SMS NOT SENT (console mode) -----\nto:   +1******0161\n"
	    "Fancy Feathers: Your verification code is "));
	assert_non_null(strstr(log, ".\nIt will expire in 5 minutes.\n"));
	assert_null(strstr(log, "+12015550161"));
	free(log);
	/* The body holding the code is gone from the database once sent. */
	v = query1("SELECT body_sealed IS NULL AND lease_owner IS NULL FROM sms_outbox"
	           " WHERE verification_id = $1::uuid",
	    id);
	assert_string_equal(v, "t");
	free(v);
	v = query1("SELECT count(*) FROM audit_events WHERE event = 'sms_sent'"
	           " AND verification_id = $1::uuid AND actor = 'sms-worker'",
	    id);
	assert_string_equal(v, "1");
	free(v);
}

static void
test_sweep_and_expiry(void **state)
{
	const char *ids[2];
	char        a[37], b[37], *v, *log;
	long        ms = 0;

	assert_int_equal(harness_stop(&worker, SIGTERM, 5000, &ms), 0);
	assert_true(ms < 5000);
	/* Pushed while no worker listens: the sweep must find both rows later. */
	ids[0] = signup("sub-w2", "+12015550162");
	(void) snprintf(a, sizeof a, "%s", ids[0]);
	ids[1] = signup("sub-w3", "+12015550163");
	(void) snprintf(b, sizeof b, "%s", ids[1]);
	v = query1("UPDATE sms_outbox SET not_after = now() - interval '1 second'"
	           " WHERE verification_id = $1::uuid RETURNING id",
	    b);
	free(v);
	assert_int_equal(start_worker(), 0);
	assert_true(wait_state(a, "sent", 10000));
	assert_true(wait_state(b, "expired", 10000));
	log = harness_read_log(&worker);
	assert_non_null(strstr(log, "to:   +1******0162"));
	assert_null(strstr(log, "to:   +1******0163"));
	free(log);
	v = query1(
	    "SELECT body_sealed IS NULL FROM sms_outbox WHERE verification_id = $1::uuid", b);
	assert_string_equal(v, "t");
	free(v);
}

static void
test_config_refused(void **state)
{
	const char *argv[] = { PHONEAUTH_WORKER_BIN, NULL };
	const char *nokey[]
	    = { env_db, "PHONEAUTH_OUTBOX_KEY=", "PHONEAUTH_SMS_BACKEND=console", NULL };
	const char *twilio[] = { env_db, HARNESS_SERVICE_ENV, "PHONEAUTH_SMS_BACKEND=twilio",
		"TWILIO_ACCOUNT_SID=", "TWILIO_AUTH_TOKEN=", "TWILIO_API_KEY=", "TWILIO_FROM=",
		"TWILIO_MESSAGING_SERVICE_SID=", NULL };
	char        out[2048];

	assert_int_equal(harness_run(argv, nokey, out, sizeof out), 2);
	assert_non_null(strstr(out, "PHONEAUTH_OUTBOX_KEY"));
	assert_int_equal(harness_run(argv, twilio, out, sizeof out), 2);
	assert_non_null(strstr(out, "TWILIO_ACCOUNT_SID"));
	assert_non_null(strstr(out, "TWILIO_AUTH_TOKEN"));
	assert_non_null(strstr(out, "TWILIO_MESSAGING_SERVICE_SID"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_reaches_worker),
		cmocka_unit_test(test_sweep_and_expiry),
		cmocka_unit_test(test_config_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
