/* test_migrate.c: `phoneauth-auth migrate` applies each file once even when many instances race,
 * and bad configuration stops the binary with one line naming the variable. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "harness.h"

static char db_url[512];

static long
count_rows(const char *sql)
{
	PGconn   *c = PQconnectdb(db_url);
	PGresult *r;
	long      n = -1;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		n = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return n;
}

static void
test_concurrent_then_idempotent(void **state)
{
	enum { N = 4 };
	char        env_url[600], out[4096];
	const char *argv[] = { PHONEAUTH_AUTH_BIN, "migrate", NULL };
	const char *env[]
	    = { env_url, "PHONEAUTH_MIGRATIONS_DIR=" PHONEAUTH_SOURCE_DIR "/migrations", NULL };
	struct harness_proc p[N];
	long                files;

	assert_int_equal(harness_newdb(harness_pgdir(), "t_migrate", db_url, sizeof db_url), 0);
	(void) snprintf(env_url, sizeof env_url, "DATABASE_URL=%s", db_url);
	for (int i = 0; i < N; i++)
		assert_int_equal(harness_spawn(&p[i], argv, env, "migrate"), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(harness_stop(&p[i], 0, 60000, NULL), 0);
	files = count_rows("SELECT count(*) FROM schema_migrations");
	assert_true(files >= 1);
	assert_int_equal(
	    count_rows("SELECT count(DISTINCT version) FROM schema_migrations"), files);
	/* A second run changes nothing and says so. */
	assert_int_equal(harness_run(argv, env, out, sizeof out), 0);
	assert_non_null(strstr(out, "event=migrated applied=0"));
	assert_null(strstr(out, "NOTICE"));
	assert_int_equal(count_rows("SELECT count(*) FROM schema_migrations"), files);
	/* The schema the flows need is there. */
	assert_int_equal(
	    count_rows("SELECT count(*) FROM information_schema.tables WHERE table_name"
	               " IN ('users','subscriptions','verifications','sms_outbox',"
	               "'audit_events','sessions','sms_workers')"),
	    7);
}

static void
test_bad_migrations_dir(void **state)
{
	char        env_url[600], out[4096];
	const char *argv[] = { PHONEAUTH_AUTH_BIN, "migrate", NULL };
	const char *env[]  = { env_url, "PHONEAUTH_MIGRATIONS_DIR=/nonexistent/dir", NULL };

	(void) snprintf(env_url, sizeof env_url, "DATABASE_URL=%s", db_url);
	assert_int_equal(harness_run(argv, env, out, sizeof out), 1);
	assert_non_null(strstr(out, "event=migrate_failed"));
	assert_non_null(strstr(out, "/nonexistent/dir"));
}

static void
test_config_errors_name_the_variable(void **state)
{
	const char *argv[]  = { PHONEAUTH_AUTH_BIN, "serve", NULL };
	const char *no_db[] = { "DATABASE_URL=", NULL };
	const char *bad[] = { "DATABASE_URL=postgresql:///x", "PHONEAUTH_RPC_WORKERS=lots", NULL };
	const char *range[] = { "DATABASE_URL=postgresql:///x", "PHONEAUTH_RPC_WORKERS=0", NULL };
	const char *level[]
	    = { "DATABASE_URL=postgresql:///x", "PHONEAUTH_LOG_LEVEL=chatty", NULL };
	char out[2048];

	assert_int_equal(harness_run(argv, no_db, out, sizeof out), 2);
	assert_non_null(strstr(out, "DATABASE_URL"));
	assert_null(strchr(strchr(out, '\n') ? strchr(out, '\n') + 1 : "", '\n'));
	assert_int_equal(harness_run(argv, bad, out, sizeof out), 2);
	assert_non_null(strstr(out, "PHONEAUTH_RPC_WORKERS"));
	assert_int_equal(harness_run(argv, range, out, sizeof out), 2);
	assert_non_null(strstr(out, "PHONEAUTH_RPC_WORKERS"));
	assert_int_equal(harness_run(argv, level, out, sizeof out), 2);
	assert_non_null(strstr(out, "PHONEAUTH_LOG_LEVEL"));
}

static void
test_help_version_check_config(void **state)
{
	const char *help[]    = { PHONEAUTH_AUTH_BIN, "--help", NULL };
	const char *version[] = { PHONEAUTH_AUTH_BIN, "--version", NULL };
	const char *bogus[]   = { PHONEAUTH_AUTH_BIN, "frobnicate", NULL };
	const char *check[]   = { PHONEAUTH_AUTH_BIN, "check-config", NULL };
	const char *env[]
	    = { "DATABASE_URL=postgresql:///secretdb?password=hunter2", HARNESS_SERVICE_ENV, NULL };
	const char *nokey[] = { "DATABASE_URL=postgresql:///x", "PHONEAUTH_OTP_KEY=", NULL };
	const char *cli[]   = { PHONEAUTH_CLI_BIN, "--help", NULL };
	char        out[8192];

	assert_int_equal(harness_run(help, NULL, out, sizeof out), 0);
	assert_non_null(strstr(out, "usage: phoneauth-auth"));
	assert_int_equal(harness_run(version, NULL, out, sizeof out), 0);
	assert_non_null(strstr(out, "phoneauth-auth " PHONEAUTH_VERSION));
	assert_int_equal(harness_run(bogus, NULL, out, sizeof out), 2);
	assert_int_equal(harness_run(check, env, out, sizeof out), 0);
	assert_non_null(strstr(out, "PHONEAUTH_RPC_URL=tcp://127.0.0.1:7400"));
	/* Secrets are shown only as set or missing. */
	assert_non_null(strstr(out, "PHONEAUTH_OTP_KEY=set"));
	assert_null(strstr(out, "6f74702d"));
	assert_null(strstr(out, "hunter2"));
	assert_non_null(strstr(out, "DATABASE_URL=set"));
	/* A missing key stops the service (and check-config) with its name. */
	assert_int_equal(harness_run(check, nokey, out, sizeof out), 2);
	assert_non_null(strstr(out, "PHONEAUTH_OTP_KEY"));
	assert_int_equal(harness_run(cli, NULL, out, sizeof out), 0);
	assert_non_null(strstr(out, "health"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_then_idempotent),
		cmocka_unit_test(test_bad_migrations_dir),
		cmocka_unit_test(test_config_errors_name_the_variable),
		cmocka_unit_test(test_help_version_check_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
