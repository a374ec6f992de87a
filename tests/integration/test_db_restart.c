/* test_db_restart.c: the database goes away under a running service, with signups pouring in,
 * and comes back: calls answer UNAVAILABLE meanwhile (never INTERNAL), the service never
 * crashes, and it recovers without a restart. Uses a cluster of its own, since stopping the
 * shared one would disturb other tests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "common/metrics.h"
#include "common/rpc_client.h"
#include "harness.h"
#include "phoneauth/v1/auth.pb-c.h"

static char pgdir[256];

/* Signup load: 4 threads, each a call every 20 ms; replies tallied by code. */
static struct {
	const char *url;
	atomic_bool stop;
	atomic_int  seq;
	atomic_int  by_code[17], no_reply;
} load;

static void *
signup_loop(void *arg)
{
	struct pa_client_opts o = { .url = load.url, .timeout_ms = 2000 };
	struct pa_client     *c;

	(void) arg;
	if (pa_client_open(&c, &o) != PA_OK)
		return NULL;
	while (!atomic_load(&load.stop)) {
		Phoneauth__V1__StartSignupRequest req = PHONEAUTH__V1__START_SIGNUP_REQUEST__INIT;
		struct pa_reply                   r;
		char                              phone[16];

		(void) snprintf(
		    phone, sizeof phone, "+1201555%04d", atomic_fetch_add(&load.seq, 1) % 10000);
		req.phone = phone;
		if (pa_client_call(c, "/phoneauth.v1.Auth/StartSignup", &req.base,
		        &phoneauth__v1__start_signup_response__descriptor, NULL, &r)
		    != PA_OK) {
			atomic_fetch_add(&load.no_reply, 1);
		} else {
			atomic_fetch_add(
			    &load.by_code[r.code >= 0 && r.code <= 16 ? r.code : 2], 1);
			pa_reply_clear(&r);
		}
		harness_sleep_ms(20);
	}
	pa_client_close(c);
	return NULL;
}

static int
cluster(const char *cmd)
{
	const char *argv[] = { "/bin/bash", PHONEAUTH_PGCLUSTER, cmd, pgdir, NULL };
	char        out[4096];
	int         st = harness_run(argv, NULL, out, sizeof out);

	if (st != 0)
		fprintf(stderr, "pgcluster %s: %s\n", cmd, out);
	return st;
}

/* Polls GET url until it answers want (200, 503), returns the milliseconds it took or -1. */
static long
wait_http(const char *url, long want, int timeout_ms)
{
	uint64_t start = pa_now_ns();

	while ((pa_now_ns() - start) / 1000000u < (uint64_t) timeout_ms) {
		struct pa_strbuf body = { 0 };
		long             got  = harness_http_get(url, &body);

		pa_strbuf_free(&body);
		if (got == want)
			return (long) ((pa_now_ns() - start) / 1000000u);
		harness_sleep_ms(50);
	}
	return -1;
}

/* Polls Health until it answers want, returns the milliseconds it took or -1. */
static long
wait_for(struct pa_client *c, pa_code want, int timeout_ms)
{
	Phoneauth__V1__HealthRequest req   = PHONEAUTH__V1__HEALTH_REQUEST__INIT;
	uint64_t                     start = pa_now_ns();

	while ((pa_now_ns() - start) / 1000000u < (uint64_t) timeout_ms) {
		struct pa_reply r;

		if (pa_client_call(c, "/phoneauth.v1.Auth/Health", &req.base,
		        &phoneauth__v1__health_response__descriptor, NULL, &r)
		    == PA_OK) {
			pa_code got = r.code;

			pa_reply_clear(&r);
			if (got == want)
				return (long) ((pa_now_ns() - start) / 1000000u);
		}
		harness_sleep_ms(50);
	}
	return -1;
}

static void
test_stop_and_restart_database(void **state)
{
	char                  url[512], env_db[600], env_rpc[96], env_http[96], env_admin[96];
	char                  rpc_url[64], healthz[128];
	const char           *argv[] = { PHONEAUTH_AUTH_BIN, "serve", NULL };
	const char           *env[]  = { env_db, env_rpc, env_http, env_admin, HARNESS_SERVICE_ENV,
		           "PHONEAUTH_PROFILE=fancy-feathers", "PHONEAUTH_SUBSCRIPTION_REQUIRED=false",
		           "PHONEAUTH_SENDS_PER_IP_HOUR=0", NULL };
	struct harness_proc   auth;
	struct pa_client_opts o = { .url = rpc_url, .timeout_ms = 2000 };
	struct pa_client     *c;
	long                  down_ms, up_ms;
	pthread_t             t[4];
	int                   ok_before;
	PGconn               *pg;

	(void) snprintf(
	    pgdir, sizeof pgdir, "%s/pg-restart-%d", PHONEAUTH_TEST_TMP, (int) getpid());
	assert_int_equal(cluster("start"), 0);
	assert_int_equal(harness_newdb(pgdir, "phoneauth", url, sizeof url), 0);
	assert_int_equal(harness_migrate(url), 0);

	(void) snprintf(rpc_url, sizeof rpc_url, "tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(env_db, sizeof env_db, "DATABASE_URL=%s", url);
	(void) snprintf(env_rpc, sizeof env_rpc, "PHONEAUTH_RPC_URL=%s", rpc_url);
	(void) snprintf(
	    env_http, sizeof env_http, "PHONEAUTH_HTTP=127.0.0.1:%d", harness_free_port());
	(void) snprintf(env_admin, sizeof env_admin, "PHONEAUTH_ADMIN_URL=tcp://127.0.0.1:%d",
	    harness_free_port());
	(void) snprintf(
	    healthz, sizeof healthz, "http://%s/healthz", env_http + strlen("PHONEAUTH_HTTP="));
	assert_int_equal(harness_spawn(&auth, argv, env, "auth_dbrestart"), 0);
	/* /healthz checks the database itself: healthy before any RPC came in. */
	assert_true(wait_http(healthz, 200, 10000) >= 0);
	assert_true(harness_wait_health(rpc_url, 10000));
	assert_int_equal(pa_client_open(&c, &o), PA_OK);
	/* StartSignup wants a live SMS worker; no worker runs here, so a row stands in for one. */
	pg = PQconnectdb(url);
	assert_int_equal(PQstatus(pg), CONNECTION_OK);
	PQclear(PQexec(pg,
	    "INSERT INTO sms_workers VALUES ('test', 'test', 1, now(), now()"
	    " + interval '1 day')"));
	PQfinish(pg);
	load.url = rpc_url;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, signup_loop, NULL), 0);
	harness_sleep_ms(500);

	assert_int_equal(cluster("pause"), 0);
	down_ms = wait_for(c, PHONEAUTH__V1__CODE__UNAVAILABLE, 10000);
	assert_true(down_ms >= 0);
	assert_true(wait_http(healthz, 503, 5000) >= 0);
	/* Still answering, quickly, while the database is gone. */
	assert_true(wait_for(c, PHONEAUTH__V1__CODE__UNAVAILABLE, 2000) >= 0);
	assert_int_equal(waitpid(auth.pid, NULL, WNOHANG), 0);

	assert_int_equal(cluster("resume"), 0);
	ok_before = atomic_load(&load.by_code[PHONEAUTH__V1__CODE__OK]);
	up_ms     = wait_for(c, PHONEAUTH__V1__CODE__OK, 10000);
	assert_true(up_ms >= 0);
	assert_true(up_ms < 5000);
	assert_true(wait_http(healthz, 200, 5000) >= 0);
	/* Signups go through again too. */
	for (int i = 0;
	     i < 100 && atomic_load(&load.by_code[PHONEAUTH__V1__CODE__OK]) < ok_before + 20; i++)
		harness_sleep_ms(50);
	atomic_store(&load.stop, true);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	fprintf(stderr,
	    "UNAVAILABLE after %ld ms; OK again %ld ms after restart; signups: %d OK, "
	    "%d UNAVAILABLE, %d INTERNAL, %d without a reply\n",
	    down_ms, up_ms, atomic_load(&load.by_code[PHONEAUTH__V1__CODE__OK]),
	    atomic_load(&load.by_code[PHONEAUTH__V1__CODE__UNAVAILABLE]),
	    atomic_load(&load.by_code[PHONEAUTH__V1__CODE__INTERNAL]), atomic_load(&load.no_reply));
	assert_true(atomic_load(&load.by_code[PHONEAUTH__V1__CODE__OK]) >= ok_before + 20);
	assert_true(atomic_load(&load.by_code[PHONEAUTH__V1__CODE__UNAVAILABLE]) > 0);
	for (int code = 0; code <= 16; code++)
		if (code != PHONEAUTH__V1__CODE__OK && code != PHONEAUTH__V1__CODE__UNAVAILABLE
		    && atomic_load(&load.by_code[code]) != 0)
			fail_msg("%d signups answered %s", atomic_load(&load.by_code[code]),
			    pa_code_name((pa_code) code));

	pa_client_close(c);
	assert_int_equal(harness_stop(&auth, SIGTERM, 5000, NULL), 0);
	assert_int_equal(cluster("destroy"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_and_restart_database),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
