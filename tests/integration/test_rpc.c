/* test_rpc.c: the RPC core through the real phoneauth-auth binary and a real PostgreSQL: Health,
 * bad input of every kind, deadlines, concurrency, metrics and a draining SIGTERM. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "common/metrics.h"
#include "common/rpc_client.h"
#include "harness.h"
#include "phoneauth/v1/auth.pb-c.h"

static struct harness_proc auth;
static char                rpc_url[64], http_base[64], db_url[512];
static int                 rpc_port;

static int
start_auth(const char *extra)
{
	static char env_db[600], env_rpc[96], env_http[96], env_admin[96], env_jobs[96];
	const char *argv[] = { PHONEAUTH_AUTH_BIN, "serve", NULL };
	const char *env[]
	    = { env_db, env_rpc, env_http, env_admin, env_jobs, HARNESS_SERVICE_ENV, extra, NULL };
	int http_port;

	rpc_port  = harness_free_port();
	http_port = harness_free_port();
	(void) snprintf(rpc_url, sizeof rpc_url, "tcp://127.0.0.1:%d", rpc_port);
	(void) snprintf(http_base, sizeof http_base, "http://127.0.0.1:%d", http_port);
	(void) snprintf(env_db, sizeof env_db, "DATABASE_URL=%s", db_url);
	(void) snprintf(env_rpc, sizeof env_rpc, "PHONEAUTH_RPC_URL=%s", rpc_url);
	(void) snprintf(env_http, sizeof env_http, "PHONEAUTH_HTTP=127.0.0.1:%d", http_port);
	(void) snprintf(env_admin, sizeof env_admin, "PHONEAUTH_ADMIN_URL=tcp://127.0.0.1:%d",
	    harness_free_port());
	(void) snprintf(env_jobs, sizeof env_jobs, "PHONEAUTH_JOBS_URL=tcp://127.0.0.1:%d",
	    harness_free_port());
	if (harness_spawn(&auth, argv, env, "auth_rpc") != 0)
		return -1;
	return harness_wait_health(rpc_url, 10000) ? 0 : -1;
}

static int
group_setup(void **state)
{
	if (harness_newdb(harness_pgdir(), "t_rpc", db_url, sizeof db_url) != 0
	    || harness_migrate(db_url) != 0)
		return -1;
	return start_auth(NULL);
}

static int
group_teardown(void **state)
{
	if (auth.pid > 0)
		(void) harness_stop(&auth, SIGTERM, 5000, NULL);
	return 0;
}

static pa_err
call(const char *method, const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc,
    struct pa_reply *r)
{
	struct pa_client_opts o = { .url = rpc_url, .timeout_ms = 5000 };
	struct pa_client     *c;
	pa_err                rv;

	assert_int_equal(pa_client_open(&c, &o), PA_OK);
	rv = pa_client_call(c, method, req, desc, NULL, r);
	pa_client_close(c);
	return rv;
}

/* Sends raw bytes as one REQ message; returns the decoded reply envelope or NULL on timeout. */
static Phoneauth__V1__ResponseEnvelope *
raw_call(const void *data, size_t len, int timeout_ms)
{
	Phoneauth__V1__ResponseEnvelope *env = NULL;
	nng_socket                       s;
	char                            *buf = NULL;
	size_t                           sz;

	assert_int_equal(nng_req0_open(&s), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, timeout_ms), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, timeout_ms), 0);
	assert_int_equal(nng_dial(s, rpc_url, NULL, 0), 0);
	if (nng_send(s, (void *) data, len, 0) == 0
	    && nng_recv(s, &buf, &sz, NNG_FLAG_ALLOC) == 0) {
		env = phoneauth__v1__response_envelope__unpack(NULL, sz, (uint8_t *) buf);
		nng_free(buf, sz);
	}
	(void) nng_close(s);
	return env;
}

static void
assert_healthy(void)
{
	Phoneauth__V1__HealthRequest req = PHONEAUTH__V1__HEALTH_REQUEST__INIT;
	struct pa_reply              r;

	assert_int_equal(call("/phoneauth.v1.Auth/Health", &req.base,
	                     &phoneauth__v1__health_response__descriptor, &r),
	    PA_OK);
	assert_int_equal(r.code, PHONEAUTH__V1__CODE__OK);
	pa_reply_clear(&r);
}

static void
test_health(void **state)
{
	Phoneauth__V1__HealthRequest   req = PHONEAUTH__V1__HEALTH_REQUEST__INIT;
	Phoneauth__V1__HealthResponse *h;
	struct pa_reply                r;

	assert_int_equal(call("/phoneauth.v1.Auth/Health", &req.base,
	                     &phoneauth__v1__health_response__descriptor, &r),
	    PA_OK);
	assert_int_equal(r.code, PHONEAUTH__V1__CODE__OK);
	h = (Phoneauth__V1__HealthResponse *) r.body;
	assert_non_null(h);
	assert_string_equal(h->version, PHONEAUTH_VERSION);
	assert_true(h->database_ok);
	assert_false(h->sms_worker_alive);
	pa_reply_clear(&r);
}

static void
test_unknown_method(void **state)
{
	Phoneauth__V1__HealthRequest req = PHONEAUTH__V1__HEALTH_REQUEST__INIT;
	struct pa_reply              r;

	assert_int_equal(call("/phoneauth.v1.Auth/NoSuchMethod", &req.base, NULL, &r), PA_OK);
	assert_int_equal(r.code, PHONEAUTH__V1__CODE__UNIMPLEMENTED);
	assert_int_equal(r.reason, PHONEAUTH__V1__REASON__UNKNOWN_METHOD);
	pa_reply_clear(&r);
	/* Another service's path is not ours either. */
	assert_int_equal(call("/phoneauth.v1.Other/Health", &req.base, NULL, &r), PA_OK);
	assert_int_equal(r.code, PHONEAUTH__V1__CODE__UNIMPLEMENTED);
	pa_reply_clear(&r);
}

static void
test_garbage_envelope(void **state)
{
	uint8_t                          junk[512];
	Phoneauth__V1__ResponseEnvelope *env;

	/* 0xff bytes are an invalid wire type, so this never decodes. */
	memset(junk, 0xff, sizeof junk);
	env = raw_call(junk, sizeof junk, 3000);
	assert_non_null(env);
	assert_int_equal(env->code, PHONEAUTH__V1__CODE__INVALID_ARGUMENT);
	assert_int_equal(env->reason, PHONEAUTH__V1__REASON__BAD_ENVELOPE);
	phoneauth__v1__response_envelope__free_unpacked(env, NULL);
}

static void
test_garbage_payload(void **state)
{
	Phoneauth__V1__RequestEnvelope   req = PHONEAUTH__V1__REQUEST_ENVELOPE__INIT;
	Phoneauth__V1__ResponseEnvelope *env;
	uint8_t                          junk[16], buf[128];
	size_t                           len;

	memset(junk, 0xff, sizeof junk);
	req.method       = "/phoneauth.v1.Auth/Health";
	req.request_id   = "garbage-payload";
	req.payload.data = junk;
	req.payload.len  = sizeof junk;
	len              = phoneauth__v1__request_envelope__pack(&req, buf);
	env              = raw_call(buf, len, 3000);
	assert_non_null(env);
	assert_int_equal(env->code, PHONEAUTH__V1__CODE__INVALID_ARGUMENT);
	assert_int_equal(env->reason, PHONEAUTH__V1__REASON__BAD_PAYLOAD);
	assert_string_equal(env->request_id, "garbage-payload");
	phoneauth__v1__response_envelope__free_unpacked(env, NULL);
}

static void
test_expired_deadline(void **state)
{
	Phoneauth__V1__RequestEnvelope   req = PHONEAUTH__V1__REQUEST_ENVELOPE__INIT;
	Phoneauth__V1__ResponseEnvelope *env;
	uint8_t                          buf[128];
	size_t                           len;

	req.method           = "/phoneauth.v1.Auth/Health";
	req.deadline_unix_ms = pa_unix_ms() - 1000;
	len                  = phoneauth__v1__request_envelope__pack(&req, buf);
	env                  = raw_call(buf, len, 3000);
	assert_non_null(env);
	assert_int_equal(env->code, PHONEAUTH__V1__CODE__DEADLINE_EXCEEDED);
	phoneauth__v1__response_envelope__free_unpacked(env, NULL);
}

/* Connects a plain TCP socket to the RPC port with a receive timeout; -1 on failure. */
static int
tcp_connect(int timeout_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) rpc_port) };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	int            fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0
	    || connect(fd, (struct sockaddr *) &sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
test_oversized_refused(void **state)
{
	/* SP over TCP by hand: an 8-byte handshake naming REQ v0 (0x30), then one message whose
	 * 8-byte big-endian length is 1 MiB, over the 64 KiB cap. The server must hang up on the
	 * length alone, before any of the body arrives, and reply nothing. Speaking the wire
	 * directly also keeps NNG's REQ close path out of it: NNG issue #648 (open) can hang
	 * nng_close on a REQ socket whose pipe the peer dropped mid-send. */
	static const uint8_t hello[8] = { 0x00, 'S', 'P', 0x00, 0x00, 0x30, 0x00, 0x00 };
	static const uint8_t len[8]   = { 0, 0, 0, 0, 0x00, 0x10, 0x00, 0x00 };
	uint8_t              peer[8], byte;
	ssize_t              n;
	size_t               got = 0;
	int                  fd  = tcp_connect(5000);

	assert_true(fd >= 0);
	assert_int_equal(send(fd, hello, sizeof hello, MSG_NOSIGNAL), (ssize_t) sizeof hello);
	while (got < sizeof peer && (n = recv(fd, peer + got, sizeof peer - got, 0)) > 0)
		got += (size_t) n;
	assert_int_equal(got, sizeof peer);
	assert_int_equal(peer[5], 0x31); /* REP v0 answered the handshake */
	assert_int_equal(send(fd, len, sizeof len, MSG_NOSIGNAL), (ssize_t) sizeof len);
	/* EOF or a reset, not a reply and not the 5 s timeout. */
	n = recv(fd, &byte, 1, 0);
	assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
	close(fd);
	assert_healthy();
}

static void
test_random_bytes_on_port(void **state)
{
	size_t   len = 1024 * 1024, off = 0;
	uint8_t *junk = malloc(len);
	int      fd   = tcp_connect(5000);

	assert_non_null(junk);
	assert_true(fd >= 0);
	srand(7);
	for (size_t i = 0; i < len; i++)
		junk[i] = (uint8_t) rand();
	/* The peer hangs up on the bad handshake; a short or failed write is expected. */
	while (off < len) {
		ssize_t n = send(fd, junk + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t) n;
	}
	close(fd);
	free(junk);
	assert_healthy();
}

struct conc_arg {
	struct pa_client *client;
	int               ok;
};

static void *
conc_worker(void *arg)
{
	struct conc_arg             *a   = arg;
	Phoneauth__V1__HealthRequest req = PHONEAUTH__V1__HEALTH_REQUEST__INIT;
	struct pa_reply              r;

	if (pa_client_call(a->client, "/phoneauth.v1.Auth/Health", &req.base,
	        &phoneauth__v1__health_response__descriptor, NULL, &r)
	    == PA_OK) {
		a->ok = r.code == PHONEAUTH__V1__CODE__OK;
		pa_reply_clear(&r);
	}
	return NULL;
}

static void
test_200_concurrent(void **state)
{
	enum { N = 200 };
	struct pa_client_opts o = { .url = rpc_url, .timeout_ms = 10000 };
	struct pa_client     *c;
	pthread_t             th[N];
	struct conc_arg       args[N];
	int                   ok = 0;

	assert_int_equal(pa_client_open(&c, &o), PA_OK);
	for (int i = 0; i < N; i++) {
		args[i] = (struct conc_arg) { .client = c };
		assert_int_equal(pthread_create(&th[i], NULL, conc_worker, &args[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		ok += args[i].ok;
	}
	pa_client_close(c);
	assert_int_equal(ok, N);
}

/* Runs one statement as the test, outside the service. */
static void
sql(const char *stmt)
{
	PGconn   *conn = PQconnectdb(db_url);
	PGresult *res  = PQexec(conn, stmt);

	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	PQfinish(conn);
}

static bool
health_says(bool *sms_alive)
{
	Phoneauth__V1__HealthRequest   req = PHONEAUTH__V1__HEALTH_REQUEST__INIT;
	Phoneauth__V1__HealthResponse *h;
	struct pa_reply                r;
	bool                           ok;

	assert_int_equal(call("/phoneauth.v1.Auth/Health", &req.base,
	                     &phoneauth__v1__health_response__descriptor, &r),
	    PA_OK);
	ok = r.code == PHONEAUTH__V1__CODE__OK;
	if (ok) {
		h = (Phoneauth__V1__HealthResponse *) r.body;
		assert_true(h->database_ok);
		assert_string_equal(h->version, PHONEAUTH_VERSION);
		*sms_alive = h->sms_worker_alive;
	}
	pa_reply_clear(&r);
	return ok;
}

static long
inline_health_count(void)
{
	static const char name[]
	    = "phoneauth_rpc_inline_total{service=\"auth\",method=\"Health\"} ";
	struct pa_strbuf body = { 0 };
	char             url[128];
	const char      *at;
	long             n;

	(void) snprintf(url, sizeof url, "%s/metrics", http_base);
	assert_int_equal(harness_http_get(url, &body), 200);
	at = strstr(body.data, name);
	assert_non_null(at);
	n = strtol(at + sizeof name - 1, NULL, 10);
	pa_strbuf_free(&body);
	return n;
}

/* Health answers on NNG's thread while a worker found the database and an SMS worker up less
 * than a second ago, and asks the database again after that. */
static void
test_health_inline(void **state)
{
	long before, after;
	bool alive = false;
	int  i;

	sql("INSERT INTO sms_workers (id, host, pid, started_at, last_seen_at)"
	    " VALUES ('rpc-test', 'localhost', 1, now(), now() + interval '1 hour')");
	for (i = 0; i < 50 && !alive; i++) {
		assert_true(health_says(&alive));
		if (!alive)
			harness_sleep_ms(50);
	}
	assert_true(alive);
	before = inline_health_count();
	for (i = 0; i < 50; i++) {
		assert_true(health_says(&alive));
		assert_true(alive);
	}
	after = inline_health_count();
	/* At most one call a second goes to a worker to refresh the news. */
	assert_true(after - before >= 40);

	/* The SMS worker is gone: within a second and a bit, Health tells. */
	sql("DELETE FROM sms_workers WHERE id = 'rpc-test'");
	harness_sleep_ms(1100);
	assert_true(health_says(&alive));
	assert_false(alive);
	before = inline_health_count();
	assert_true(health_says(&alive));
	assert_false(alive);
	/* Bad news is never answered from memory. */
	assert_int_equal(inline_health_count(), before);
}

static void
test_http_endpoints(void **state)
{
	struct pa_strbuf body = { 0 };
	char             url[128];

	(void) snprintf(url, sizeof url, "%s/healthz", http_base);
	assert_int_equal(harness_http_get(url, &body), 200);
	assert_non_null(strstr(body.data, "ok"));
	pa_strbuf_free(&body);

	(void) snprintf(url, sizeof url, "%s/metrics", http_base);
	assert_int_equal(harness_http_get(url, &body), 200);
	assert_non_null(strstr(
	    body.data, "phoneauth_rpc_total{service=\"auth\",method=\"Health\",code=\"OK\"}"));
	assert_non_null(strstr(body.data,
	    "phoneauth_rpc_duration_seconds_bucket{service=\"auth\","
	    "method=\"Health\",le=\"+Inf\"}"));
	assert_non_null(
	    strstr(body.data, "phoneauth_rpc_queue_depth{service=\"auth\",pool=\"slow\"}"));
	assert_non_null(strstr(body.data, "code=\"INVALID_ARGUMENT\""));
	pa_strbuf_free(&body);

	(void) snprintf(url, sizeof url, "%s/nothing-here", http_base);
	assert_int_equal(harness_http_get(url, &body), 404);
	pa_strbuf_free(&body);
}

static void
test_cli_health(void **state)
{
	const char *argv[] = { PHONEAUTH_CLI_BIN, "--url", rpc_url, "health", NULL };
	const char *bad[]  = { PHONEAUTH_CLI_BIN, "--url", "tcp://127.0.0.1:1", "--timeout", "300",
		 "health", NULL };
	char        out[1024];

	assert_int_equal(harness_run(argv, NULL, out, sizeof out), 0);
	assert_non_null(strstr(out, "OK version=" PHONEAUTH_VERSION " database=up"));
	assert_int_equal(harness_run(bad, NULL, out, sizeof out), 1);
	assert_non_null(strstr(out, "no answer from tcp://127.0.0.1:1"));
}

/* Last: stops the service. Calls in flight when SIGTERM lands still get their answers. */
static void
test_sigterm_drains(void **state)
{
	enum { N = 50 };
	struct pa_client_opts o = { .url = rpc_url, .timeout_ms = 5000 };
	struct pa_client     *c;
	pthread_t             th[N];
	struct conc_arg       args[N];
	long                  elapsed = 0;
	char                 *log;

	assert_int_equal(pa_client_open(&c, &o), PA_OK);
	for (int i = 0; i < N; i++) {
		args[i] = (struct conc_arg) { .client = c };
		assert_int_equal(pthread_create(&th[i], NULL, conc_worker, &args[i]), 0);
	}
	assert_int_equal(harness_stop(&auth, SIGTERM, 5000, &elapsed), 0);
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	pa_client_close(c);
	assert_true(elapsed < 5000);
	log = harness_read_log(&auth);
	assert_non_null(log);
	assert_non_null(strstr(log, "event=stopping signal=TERM"));
	assert_non_null(strstr(log, "event=stopped"));
	free(log);
	fprintf(stderr, "SIGTERM to exit: %ld ms\n", elapsed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_unknown_method),
		cmocka_unit_test(test_garbage_envelope),
		cmocka_unit_test(test_garbage_payload),
		cmocka_unit_test(test_expired_deadline),
		cmocka_unit_test(test_oversized_refused),
		cmocka_unit_test(test_random_bytes_on_port),
		cmocka_unit_test(test_200_concurrent),
		cmocka_unit_test(test_health_inline),
		cmocka_unit_test(test_http_endpoints),
		cmocka_unit_test(test_cli_health),
		cmocka_unit_test(test_sigterm_drains),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
