/* test_db_restart.c: the database goes away under a running service and comes back: calls answer
 * UNAVAILABLE meanwhile, the service never crashes, and it recovers without a restart. Uses a
 * cluster of its own, since stopping the shared one would disturb other tests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/metrics.h"
#include "common/rpc.h"
#include "harness.h"
#include "phoneauth/v1/auth.pb-c.h"

static char pgdir[256];

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

/* Polls Health until it answers want, returns the milliseconds it took or -1. */
static long
wait_for(struct pa_client *c, pa_code want, int timeout_ms)
{
	Phoneauth__V1__HealthRequest req   = PHONEAUTH__V1__HEALTH_REQUEST__INIT;
	uint64_t                     start = pa_now_ns();

	while ((pa_now_ns() - start) / 1000000u < (uint64_t) timeout_ms) {
		struct pa_reply r;

		if (pa_client_call(c, "/phoneauth.v1.Auth/Health", &req.base,
		        &phoneauth__v1__health_response__descriptor, NULL, &r) == PA_OK) {
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
	char                  rpc_url[64];
	const char           *argv[] = { PHONEAUTH_AUTH_BIN, "serve", NULL };
	const char           *env[]  = { env_db, env_rpc, env_http, env_admin, HARNESS_SERVICE_ENV,
		 NULL };
	struct harness_proc   auth;
	struct pa_client_opts o = { .url = rpc_url, .timeout_ms = 2000 };
	struct pa_client     *c;
	long                  down_ms, up_ms;

	(void) snprintf(pgdir, sizeof pgdir, "%s/pg-restart-%d", PHONEAUTH_TEST_TMP, (int) getpid());
	assert_int_equal(cluster("start"), 0);
	assert_int_equal(harness_newdb(pgdir, "phoneauth", url, sizeof url), 0);
	assert_int_equal(harness_migrate(url), 0);

	(void) snprintf(rpc_url, sizeof rpc_url, "tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(env_db, sizeof env_db, "DATABASE_URL=%s", url);
	(void) snprintf(env_rpc, sizeof env_rpc, "PHONEAUTH_RPC_URL=%s", rpc_url);
	(void) snprintf(env_http, sizeof env_http, "PHONEAUTH_HTTP=127.0.0.1:%d", harness_free_port());
	(void) snprintf(env_admin, sizeof env_admin, "PHONEAUTH_ADMIN_URL=tcp://127.0.0.1:%d",
	    harness_free_port());
	assert_int_equal(harness_spawn(&auth, argv, env, "auth_dbrestart"), 0);
	assert_true(harness_wait_health(rpc_url, 10000));
	assert_int_equal(pa_client_open(&c, &o), PA_OK);

	assert_int_equal(cluster("pause"), 0);
	down_ms = wait_for(c, PHONEAUTH__V1__CODE__UNAVAILABLE, 10000);
	assert_true(down_ms >= 0);
	/* Still answering, quickly, while the database is gone. */
	assert_true(wait_for(c, PHONEAUTH__V1__CODE__UNAVAILABLE, 2000) >= 0);
	assert_int_equal(waitpid(auth.pid, NULL, WNOHANG), 0);

	assert_int_equal(cluster("resume"), 0);
	up_ms = wait_for(c, PHONEAUTH__V1__CODE__OK, 10000);
	assert_true(up_ms >= 0);
	assert_true(up_ms < 5000);
	fprintf(stderr, "UNAVAILABLE after %ld ms; OK again %ld ms after restart\n", down_ms, up_ms);

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
