/* test_tls.c: transport security across machines, with the real binaries: the Auth listener and
 * the job socket over tls+tcp:// (a call and an SMS job each make the round trip), a client that
 * trusts another CA gets no answer, a listener with a CA asks for client certificates (mutual
 * TLS), and PHONEAUTH_CLIENT_TOKEN refuses calls without the token (UNAUTHENTICATED). */
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
#include "common/tls.h"
#include "harness.h"
#include "phoneauth/v1/auth.pb-c.h"

#define CLIENT_TOKEN "client-token-for-tests-only-0123456789abcdef"

/* Two CAs, a server certificate (DNS:localhost) and a client certificate, both from CA 1. */
static const char certs_sh[]
    = "set -e; cd \"$1\"\n"
      "o() { openssl \"$@\" 2>/dev/null; }\n"
      "for ca in ca1 ca2; do\n"
      "  o req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \\\n"
      "    -subj \"/CN=phoneauth test $ca\" -keyout $ca.key -out $ca.pem\n"
      "done\n"
      "for n in server client; do\n"
      "  o req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj \"/CN=localhost\" \\\n"
      "    -keyout $n.key -out $n.csr\n"
      "  printf 'subjectAltName=DNS:localhost\\n' > $n.ext\n"
      "  o x509 -req -in $n.csr -CA ca1.pem -CAkey ca1.key -CAcreateserial -days 2 \\\n"
      "    -extfile $n.ext -out $n.pem\n"
      "done\n";

static struct {
	char                dir[512];
	char                db_url[512];
	char                rpc_url[96], mtls_url[96], jobs_url[96];
	struct harness_proc auth, mtls, worker;
} t;

static const char *
path(const char *name)
{
	static char buf[4][600];
	static int  i;

	i = (i + 1) % 4;
	(void) snprintf(buf[i], sizeof buf[i], "%s/%s", t.dir, name);
	return buf[i];
}

static int
start_auth(
    struct harness_proc *p, const char *rpc_url, const char *jobs_url, bool mutual, const char *tag)
{
	char e_db[600], e_rpc[128], e_jobs[128], e_http[64], e_cert[640], e_key[640], e_ca[640];
	const char *argv[] = { PHONEAUTH_AUTH_BIN, "serve", NULL };
	const char *env[]  = { e_db, e_rpc, e_jobs, e_http, e_cert, e_key, HARNESS_SERVICE_ENV,
		 "PHONEAUTH_PROFILE=fancy-feathers", "PHONEAUTH_SUBSCRIPTION_REQUIRED=false",
		 "PHONEAUTH_ADMIN_TOKEN=", "PHONEAUTH_CLIENT_TOKEN=" CLIENT_TOKEN,
                mutual ? e_ca : NULL, NULL };

	(void) snprintf(e_db, sizeof e_db, "DATABASE_URL=%s", t.db_url);
	(void) snprintf(e_rpc, sizeof e_rpc, "PHONEAUTH_RPC_URL=%s", rpc_url);
	(void) snprintf(e_jobs, sizeof e_jobs, "PHONEAUTH_JOBS_URL=%s", jobs_url);
	(void) snprintf(e_http, sizeof e_http, "PHONEAUTH_HTTP=127.0.0.1:%d", harness_free_port());
	(void) snprintf(e_cert, sizeof e_cert, "PHONEAUTH_TLS_CERT=%s", path("server.pem"));
	(void) snprintf(e_key, sizeof e_key, "PHONEAUTH_TLS_KEY=%s", path("server.key"));
	(void) snprintf(e_ca, sizeof e_ca, "PHONEAUTH_TLS_CA=%s", path("ca1.pem"));
	return harness_spawn(p, argv, env, tag);
}

static int
group_setup(void **state)
{
	const char *gen[] = { "/bin/bash", "-c", certs_sh, "certs", t.dir, NULL };
	char        out[4096], e_db[600], e_jobs[128], e_http[64], e_ca[640];
	const char *wargv[] = { PHONEAUTH_WORKER_BIN, NULL };
	const char *wenv[]  = { e_db, e_jobs, e_http, e_ca, "PHONEAUTH_TLS_SERVER_NAME=localhost",
		 HARNESS_SERVICE_ENV, "PHONEAUTH_SMS_BACKEND=console",
		 /* Only the push can bring a job within the test's time: no sweep. */
		 "PHONEAUTH_SWEEP=3600s", "PHONEAUTH_HEARTBEAT=1s", NULL };

	(void) state;
	(void) snprintf(t.dir, sizeof t.dir, "%s/tls", PHONEAUTH_TEST_TMP);
	{
		const char *mk[] = { "/bin/mkdir", "-p", t.dir, NULL };

		if (harness_run(mk, NULL, out, sizeof out) != 0)
			return -1;
	}
	if (harness_run(gen, NULL, out, sizeof out) != 0) {
		fprintf(stderr, "openssl failed: %s\n", out);
		return -1;
	}
	if (harness_newdb(harness_pgdir(), "t_tls", t.db_url, sizeof t.db_url) != 0
	    || harness_migrate(t.db_url) != 0)
		return -1;
	(void) snprintf(t.rpc_url, sizeof t.rpc_url, "tls+tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(
	    t.jobs_url, sizeof t.jobs_url, "tls+tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(
	    t.mtls_url, sizeof t.mtls_url, "tls+tcp://127.0.0.1:%d", harness_free_port());
	{
		char mjobs[96];

		(void) snprintf(mjobs, sizeof mjobs, "tcp://127.0.0.1:%d", harness_free_port());
		if (start_auth(&t.auth, t.rpc_url, t.jobs_url, false, "auth_tls") != 0
		    || start_auth(&t.mtls, t.mtls_url, mjobs, true, "auth_mtls") != 0)
			return -1;
	}
	(void) snprintf(e_db, sizeof e_db, "DATABASE_URL=%s", t.db_url);
	(void) snprintf(e_jobs, sizeof e_jobs, "PHONEAUTH_JOBS_URL=%s", t.jobs_url);
	(void) snprintf(
	    e_http, sizeof e_http, "PHONEAUTH_WORKER_HTTP=127.0.0.1:%d", harness_free_port());
	(void) snprintf(e_ca, sizeof e_ca, "PHONEAUTH_TLS_CA=%s", path("ca1.pem"));
	return harness_spawn(&t.worker, wargv, wenv, "smsw_tls");
}

static int
group_teardown(void **state)
{
	(void) state;
	if (t.worker.pid > 0)
		(void) harness_stop(&t.worker, SIGTERM, 5000, NULL);
	if (t.auth.pid > 0)
		(void) harness_stop(&t.auth, SIGTERM, 5000, NULL);
	if (t.mtls.pid > 0)
		(void) harness_stop(&t.mtls, SIGTERM, 5000, NULL);
	return 0;
}

/* One call; returns the reply's code, or -1 when no reply came within timeout_ms. */
static int
call(const char *url, const char *ca, const char *cert, const char *token, const char *method,
    const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc, int timeout_ms,
    struct pa_reply *r)
{
	struct pa_tls_opts    tls = { .ca_file = ca ? path(ca) : NULL,
		   .cert_file                  = cert ? path(cert) : NULL,
		   .key_file                   = NULL,
		   .server_name                = "localhost" };
	struct pa_client_opts o
	    = { .url = url, .timeout_ms = timeout_ms, .client_token = token, .tls = &tls };
	struct pa_client *c;
	char              keyname[32], full[96];
	pa_err            rv;

	if (cert != NULL) {
		(void) snprintf(
		    keyname, sizeof keyname, "%.*s.key", (int) (strlen(cert) - 4), cert);
		tls.key_file = path(keyname);
	}
	(void) snprintf(full, sizeof full, "/phoneauth.v1.Auth/%s", method);
	assert_int_equal(pa_client_open(&c, &o), PA_OK);
	rv = pa_client_call(c, full, req, desc, NULL, r);
	pa_client_close(c);
	if (rv == PA_ETIMEDOUT)
		return -1;
	assert_int_equal(rv, PA_OK);
	return (int) r->code;
}

static int
health(const char *url, const char *ca, const char *cert, const char *token, int timeout_ms,
    struct pa_reply *r)
{
	Phoneauth__V1__HealthRequest req = PHONEAUTH__V1__HEALTH_REQUEST__INIT;

	return call(url, ca, cert, token, "Health", &req.base,
	    &phoneauth__v1__health_response__descriptor, timeout_ms, r);
}

static void
test_round_trip(void **state)
{
	Phoneauth__V1__StartSignupRequest req = PHONEAUTH__V1__START_SIGNUP_REQUEST__INIT;
	struct pa_reply                   r;
	char                             *log  = NULL;
	int                               code = -1;

	(void) state;
	/* The service may still be starting: retry Health for a while. */
	for (int i = 0; i < 50 && code != PHONEAUTH__V1__CODE__OK; i++) {
		code = health(t.rpc_url, "ca1.pem", NULL, CLIENT_TOKEN, 500, &r);
		if (code >= 0)
			pa_reply_clear(&r);
	}
	assert_int_equal(code, PHONEAUTH__V1__CODE__OK);

	/* StartSignup needs a worker seen alive: the TLS-dialing worker's heartbeat. */
	req.phone = (char *) "+12015550171";
	for (int i = 0; i < 50; i++) {
		code = call(t.rpc_url, "ca1.pem", NULL, CLIENT_TOKEN, "StartSignup", &req.base,
		    &phoneauth__v1__start_signup_response__descriptor, 2000, &r);
		assert_true(code >= 0);
		pa_reply_clear(&r);
		if (code == PHONEAUTH__V1__CODE__OK)
			break;
		harness_sleep_ms(200);
	}
	assert_int_equal(code, PHONEAUTH__V1__CODE__OK);
	/* The job went over the tls+tcp:// PUSH socket (the sweep is off). */
	for (int i = 0; i < 50 && (log == NULL || strstr(log, "to:   +1******0171") == NULL); i++) {
		free(log);
		harness_sleep_ms(100);
		log = harness_read_log(&t.worker);
	}
	if (log == NULL || strstr(log, "to:   +1******0171") == NULL)
		fail_msg("the worker did not print the SMS:\n%s", log ? log : "");
	free(log);

	/* The CLI takes the same variables. */
	{
		char        out[4096];
		const char *argv[] = { PHONEAUTH_CLI_BIN, "--url", t.rpc_url, "health", NULL };
		char        e_ca[640];
		const char *env[] = { e_ca, "PHONEAUTH_TLS_SERVER_NAME=localhost",
			"PHONEAUTH_CLIENT_TOKEN=" CLIENT_TOKEN, NULL };

		(void) snprintf(e_ca, sizeof e_ca, "PHONEAUTH_TLS_CA=%s", path("ca1.pem"));
		assert_int_equal(harness_run(argv, env, out, sizeof out), 0);
	}
}

static void
test_wrong_ca_refused(void **state)
{
	struct pa_reply r;

	(void) state;
	/* The server's certificate does not chain to ca2: the handshake fails, nothing is sent. */
	assert_int_equal(health(t.rpc_url, "ca2.pem", NULL, CLIENT_TOKEN, 1500, &r), -1);
	/* Plain TCP to a TLS listener gets nothing either. */
	{
		char plain[96];

		(void) snprintf(
		    plain, sizeof plain, "tcp://%.80s", t.rpc_url + strlen("tls+tcp://"));
		assert_int_equal(health(plain, NULL, NULL, CLIENT_TOKEN, 1000, &r), -1);
	}
}

static void
test_mutual_tls(void **state)
{
	struct pa_reply r;
	int             code = -1;

	(void) state;
	/* A listener with PHONEAUTH_TLS_CA wants a client certificate from that CA. */
	assert_int_equal(health(t.mtls_url, "ca1.pem", NULL, CLIENT_TOKEN, 1500, &r), -1);
	for (int i = 0; i < 20 && code != PHONEAUTH__V1__CODE__OK; i++) {
		code = health(t.mtls_url, "ca1.pem", "client.pem", CLIENT_TOKEN, 500, &r);
		if (code >= 0)
			pa_reply_clear(&r);
	}
	assert_int_equal(code, PHONEAUTH__V1__CODE__OK);
}

static void
test_client_token(void **state)
{
	struct pa_reply r;
	char            out[4096], e_ca[640];
	const char     *argv[] = { PHONEAUTH_CLI_BIN, "--url", t.rpc_url, "health", NULL };
	const char     *env[]  = { e_ca, "PHONEAUTH_TLS_SERVER_NAME=localhost", NULL };

	(void) state;
	assert_int_equal(health(t.rpc_url, "ca1.pem", NULL, NULL, 3000, &r),
	    PHONEAUTH__V1__CODE__UNAUTHENTICATED);
	assert_int_equal(r.reason, PHONEAUTH__V1__REASON__CLIENT_TOKEN_INVALID);
	pa_reply_clear(&r);
	assert_int_equal(health(t.rpc_url, "ca1.pem", NULL, "wrong-token", 3000, &r),
	    PHONEAUTH__V1__CODE__UNAUTHENTICATED);
	pa_reply_clear(&r);
	assert_int_equal(
	    health(t.rpc_url, "ca1.pem", NULL, CLIENT_TOKEN, 3000, &r), PHONEAUTH__V1__CODE__OK);
	pa_reply_clear(&r);

	(void) snprintf(e_ca, sizeof e_ca, "PHONEAUTH_TLS_CA=%s", path("ca1.pem"));
	assert_int_equal(harness_run(argv, env, out, sizeof out), 1);
	assert_string_equal(
	    out, "UNAUTHENTICATED (CLIENT_TOKEN_INVALID): client token missing or wrong\n");

	/* A short token stops the service at start, with one line. */
	{
		const char *cargv[] = { PHONEAUTH_AUTH_BIN, "check-config", NULL };
		char        e_db[600];
		const char *cenv[]
		    = { e_db, HARNESS_SERVICE_ENV, "PHONEAUTH_CLIENT_TOKEN=short", NULL };

		(void) snprintf(e_db, sizeof e_db, "DATABASE_URL=%s", t.db_url);
		assert_int_equal(harness_run(cargv, cenv, out, sizeof out), 2);
		assert_non_null(
		    strstr(out, "PHONEAUTH_CLIENT_TOKEN must be at least 32 characters"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_wrong_ca_refused),
		cmocka_unit_test(test_mutual_tls),
		cmocka_unit_test(test_client_token),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
