/* smskit.c: shared setup and helpers of the Twilio integration tests (see smskit.h). */
#include "smskit.h"

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

#include <libpq-fe.h>
#include <sodium.h>

#include "common/rpc_client.h"
#include "phoneauth/v1/admin.pb-c.h"
#include "phoneauth/v1/auth.pb-c.h"

static struct {
	char                db_url[512], rpc_url[64], jobs_url[64], fake_listen[32];
	char                env_db[600], env_rpc[96], env_jobs[96], env_http[96], env_admin[96];
	char                env_base[96];
	struct fake_twilio *fake;
	struct harness_proc auth;
	struct pa_client   *client;
	PGconn             *pg;
	atomic_int          phone_seq;
	const char *const  *auth_env; /* smskit_configure's */
	const char         *verify_service_sid;
} kit;

void
smskit_configure(const char *const *auth_env, const char *verify_service_sid)
{
	kit.auth_env           = auth_env;
	kit.verify_service_sid = verify_service_sid;
}

struct fake_twilio *
smskit_fake(void)
{
	return kit.fake;
}

const char *
smskit_rpc_url(void)
{
	return kit.rpc_url;
}

const char *
smskit_admin_url(void)
{
	return kit.env_admin + strlen("PHONEAUTH_ADMIN_URL=");
}

const char *
smskit_db_url(void)
{
	return kit.db_url;
}

/* Adds extra (NULL-ended, may be NULL) to env[0..*n), at most cap - 1 entries: an extra variable
 * replaces ours of the same name (getenv takes the first). NULL-ends env. */
static void
env_merge(const char **env, int *n, int cap, const char *const *extra)
{
	for (int i = 0; extra != NULL && extra[i] != NULL && *n < cap - 1; i++) {
		size_t name = strcspn(extra[i], "=") + 1;
		int    j    = 0;

		while (j < *n && strncmp(env[j], extra[i], name) != 0)
			j++;
		env[j] = extra[i];
		if (j == *n)
			(*n)++;
	}
	env[*n] = NULL;
}

/* Starts (or restarts) the auth service with the kit's settings and waits for it to answer. */
static int
spawn_auth(void)
{
	const char *argv[]  = { PHONEAUTH_AUTH_BIN, "serve", NULL };
	const char *env[40] = { kit.env_db, kit.env_rpc, kit.env_jobs, kit.env_http, kit.env_admin,
		HARNESS_SERVICE_ENV, "PHONEAUTH_PROFILE=fancy-feathers",
		"PHONEAUTH_SUBSCRIPTION_REQUIRED=false", "PHONEAUTH_SENDS_PER_IP_HOUR=0",
		"PHONEAUTH_RESEND_COOLDOWN=1s", "PHONEAUTH_ADMIN_TOKEN=" SMSKIT_ADMIN_TOKEN,
		"PHONEAUTH_AUDIT_KEY=" SMSKIT_AUDIT_KEY, "PHONEAUTH_AUDIT_EVERY=1s" };
	int         n       = 0;

	while (env[n] != NULL)
		n++;
	env_merge(env, &n, 40, kit.auth_env);

	return harness_spawn(&kit.auth, argv, env, "auth_twilio") == 0
	        && harness_wait_health(kit.rpc_url, 10000)
	    ? 0
	    : -1;
}

int
smskit_restart_auth(int sig)
{
	(void) harness_stop(&kit.auth, sig, 5000, NULL);
	return spawn_auth();
}

int
smskit_setup(const char *db_name)
{
	struct fake_twilio_opts fo = { .account_sid = SMSKIT_ACCOUNT,
		.auth_token                         = SMSKIT_TOKEN,
		.api_key                            = SMSKIT_API_KEY,
		.api_secret                         = SMSKIT_API_SECRET };
	struct pa_client_opts   co = { .timeout_ms = 10000 };

	kit.phone_seq = 2000;
	if (harness_newdb(harness_pgdir(), db_name, kit.db_url, sizeof kit.db_url) != 0
	    || harness_migrate(kit.db_url) != 0) {
		fprintf(stderr, "smskit: no database\n");
		return -1;
	}
	(void) snprintf(
	    kit.fake_listen, sizeof kit.fake_listen, "127.0.0.1:%d", harness_free_port());
	fo.listen             = kit.fake_listen;
	fo.verify_service_sid = kit.verify_service_sid;
	if (fake_twilio_start(&kit.fake, &fo) != 0) {
		fprintf(stderr, "smskit: the fake Twilio did not start on %s\n", kit.fake_listen);
		return -1;
	}
	(void) snprintf(kit.rpc_url, sizeof kit.rpc_url, "tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(
	    kit.jobs_url, sizeof kit.jobs_url, "tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(kit.env_db, sizeof kit.env_db, "DATABASE_URL=%s", kit.db_url);
	(void) snprintf(kit.env_rpc, sizeof kit.env_rpc, "PHONEAUTH_RPC_URL=%s", kit.rpc_url);
	(void) snprintf(kit.env_jobs, sizeof kit.env_jobs, "PHONEAUTH_JOBS_URL=%s", kit.jobs_url);
	(void) snprintf(
	    kit.env_http, sizeof kit.env_http, "PHONEAUTH_HTTP=127.0.0.1:%d", harness_free_port());
	(void) snprintf(kit.env_admin, sizeof kit.env_admin,
	    "PHONEAUTH_ADMIN_URL=tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(
	    kit.env_base, sizeof kit.env_base, "TWILIO_API_BASE=%s", fake_twilio_base(kit.fake));
	/* StartSignup needs a live worker row before any worker of ours has run. */
	if ((kit.pg = PQconnectdb(kit.db_url)) == NULL || PQstatus(kit.pg) != CONNECTION_OK) {
		fprintf(stderr, "smskit: cannot connect\n");
		return -1;
	}
	PQclear(PQexec(kit.pg,
	    "INSERT INTO sms_workers VALUES ('smskit', 'test', 1, now(), now()"
	    " + interval '1 day')"));
	co.url = kit.rpc_url;
	if (spawn_auth() != 0 || pa_client_open(&kit.client, &co) != PA_OK) {
		fprintf(stderr, "smskit: the auth service did not start\n");
		return -1;
	}
	return 0;
}

int
smskit_setup_with_worker(
    const char *db_name, struct smskit_worker *w, const char *tag, const char *const *env)
{
	return smskit_setup(db_name) == 0 && smskit_start_worker(w, tag, env) == 0 ? 0 : -1;
}

int
smskit_teardown_with_worker(struct smskit_worker *w)
{
	if (w->proc.pid > 0)
		(void) harness_stop(&w->proc, SIGTERM, 10000, NULL);
	return smskit_teardown();
}

char *
smskit_auth_log(void)
{
	return harness_read_log(&kit.auth);
}

int
smskit_teardown(void)
{
	if (kit.client != NULL)
		pa_client_close(kit.client);
	if (kit.auth.pid > 0)
		(void) harness_stop(&kit.auth, SIGTERM, 5000, NULL);
	fake_twilio_stop(kit.fake);
	if (kit.pg != NULL)
		PQfinish(kit.pg);
	return 0;
}

int
smskit_start_worker(struct smskit_worker *w, const char *tag, const char *const *extra)
{
	const char *argv[] = { PHONEAUTH_WORKER_BIN, NULL };
	char        env_whttp[64], env_cb[128];
	const char *env[40] = { kit.env_db, kit.env_jobs, kit.env_base, HARNESS_SERVICE_ENV,
		"PHONEAUTH_SMS_BACKEND=twilio", "TWILIO_ACCOUNT_SID=" SMSKIT_ACCOUNT,
		"TWILIO_AUTH_TOKEN=" SMSKIT_TOKEN, "TWILIO_API_KEY=" SMSKIT_API_KEY,
		"TWILIO_API_SECRET=" SMSKIT_API_SECRET,
		"TWILIO_MESSAGING_SERVICE_SID=" SMSKIT_SERVICE, "PHONEAUTH_LEASE=5s",
		"PHONEAUTH_SWEEP=1s", "PHONEAUTH_HEARTBEAT=1s", "PHONEAUTH_TWILIO_TIMEOUT=3s",
		"PHONEAUTH_TWILIO_CONNECT_TIMEOUT=1s", env_whttp, env_cb };
	int         n       = 0;

	if (w->http_port == 0) {
		w->http_port = harness_free_port();
		(void) snprintf(w->callback_url, sizeof w->callback_url,
		    "http://127.0.0.1:%d/twilio/status", w->http_port);
	}
	(void) snprintf(
	    env_whttp, sizeof env_whttp, "PHONEAUTH_WORKER_HTTP=127.0.0.1:%d", w->http_port);
	(void) snprintf(env_cb, sizeof env_cb, "PHONEAUTH_STATUS_CALLBACK_URL=%s", w->callback_url);
	while (env[n] != NULL)
		n++;
	env_merge(env, &n, 40, extra);
	if (harness_spawn(&w->proc, argv, env, tag) != 0)
		return -1;
	/* Ready when /healthz answers: the heartbeat reached the database. */
	for (int t = 0; t < 10000; t += 50) {
		char             url[64];
		struct pa_strbuf body = { 0 };
		long             st;

		(void) snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", w->http_port);
		st = harness_http_get(url, &body);
		pa_strbuf_free(&body);
		if (st == 200)
			return 0;
		harness_sleep_ms(50);
	}
	return -1;
}

char *
smskit_worker_log(const struct smskit_worker *w)
{
	return harness_read_log(&w->proc);
}

double
smskit_metric(const struct smskit_worker *w, const char *sample)
{
	char             url[64];
	struct pa_strbuf body = { 0 };
	double           v    = -1;
	const char      *p;

	(void) snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", w->http_port);
	if (harness_http_get(url, &body) == 200 && body.data != NULL) {
		for (p = strstr(body.data, sample); p != NULL; p = strstr(p + 1, sample))
			if ((p == body.data || p[-1] == '\n') && p[strlen(sample)] == ' ') {
				v = strtod(p + strlen(sample) + 1, NULL);
				break;
			}
	}
	pa_strbuf_free(&body);
	return v;
}

void
smskit_phone(char out[16])
{
	(void) snprintf(out, 16, "+1201555%04d", atomic_fetch_add(&kit.phone_seq, 1) % 10000);
}

static int
signup_on(
    struct pa_client *c, const char *phone, int channel, char vid[37], char *err, size_t errsz)
{
	Phoneauth__V1__StartSignupRequest req = PHONEAUTH__V1__START_SIGNUP_REQUEST__INIT;
	struct pa_reply                   r;

	req.phone   = (char *) phone;
	req.channel = (Phoneauth__V1__Channel) channel;
	if (pa_client_call(c, "/phoneauth.v1.Auth/StartSignup", &req.base,
	        &phoneauth__v1__start_signup_response__descriptor, NULL, &r)
	    != PA_OK) {
		(void) snprintf(err, errsz, "StartSignup: no answer");
		return -1;
	}
	if (r.code != PHONEAUTH__V1__CODE__OK) {
		(void) snprintf(err, errsz, "StartSignup: %s %s", pa_code_name(r.code), r.message);
		pa_reply_clear(&r);
		return -1;
	}
	(void) snprintf(
	    vid, 37, "%s", ((Phoneauth__V1__StartSignupResponse *) r.body)->sent->verification_id);
	pa_reply_clear(&r);
	return 0;
}

void
smskit_signup(const char *phone, char vid[37])
{
	smskit_signup_channel(phone, PHONEAUTH__V1__CHANNEL__CHANNEL_UNSPECIFIED, vid);
}

void
smskit_signup_channel(const char *phone, int channel, char vid[37])
{
	char err[300];

	if (signup_on(kit.client, phone, channel, vid, err, sizeof err) != 0)
		fail_msg("%s", err);
}

int
smskit_verify(const char *vid, const char *code)
{
	Phoneauth__V1__VerifyCodeRequest req = PHONEAUTH__V1__VERIFY_CODE_REQUEST__INIT;
	struct pa_reply                  r;
	int                              rc;

	req.verification_id = (char *) vid;
	req.code            = (char *) code;
	if (pa_client_call(kit.client, "/phoneauth.v1.Auth/VerifyCode", &req.base,
	        &phoneauth__v1__verify_code_response__descriptor, NULL, &r)
	    != PA_OK)
		return -1;
	rc = (int) r.code;
	pa_reply_clear(&r);
	return rc;
}

void
smskit_create_account(const char *vid, const char *code, const char *password, char user_id[40])
{
	Phoneauth__V1__VerifyCodeRequest    vreq = PHONEAUTH__V1__VERIFY_CODE_REQUEST__INIT;
	Phoneauth__V1__CreateAccountRequest creq = PHONEAUTH__V1__CREATE_ACCOUNT_REQUEST__INIT;
	struct pa_reply                     r;
	char                                token[256];

	vreq.verification_id = (char *) vid;
	vreq.code            = (char *) code;
	assert_int_equal(pa_client_call(kit.client, "/phoneauth.v1.Auth/VerifyCode", &vreq.base,
	                     &phoneauth__v1__verify_code_response__descriptor, NULL, &r),
	    PA_OK);
	if (r.code != PHONEAUTH__V1__CODE__OK)
		fail_msg("VerifyCode: %s %s", pa_code_name(r.code), r.message);
	(void) snprintf(token, sizeof token, "%s",
	    ((Phoneauth__V1__VerifyCodeResponse *) r.body)->signup_token);
	pa_reply_clear(&r);
	creq.signup_token     = token;
	creq.password         = (char *) password;
	creq.password_confirm = (char *) password;
	assert_int_equal(pa_client_call(kit.client, "/phoneauth.v1.Auth/CreateAccount", &creq.base,
	                     &phoneauth__v1__create_account_response__descriptor, NULL, &r),
	    PA_OK);
	if (r.code != PHONEAUTH__V1__CODE__OK)
		fail_msg("CreateAccount: %s %s", pa_code_name(r.code), r.message);
	(void) snprintf(
	    user_id, 40, "%s", ((Phoneauth__V1__CreateAccountResponse *) r.body)->user_id);
	pa_reply_clear(&r);
	sodium_memzero(token, sizeof token);
}

struct signup_job {
	int from, to;
	char (*phones)[16];
	char err[300];
	int  rv;
};

static void *
signup_thread(void *arg)
{
	struct signup_job    *j  = arg;
	struct pa_client_opts co = { .url = kit.rpc_url, .timeout_ms = 10000 };
	struct pa_client     *c;
	char                  vid[37];

	if (pa_client_open(&c, &co) != PA_OK) {
		j->rv = -1;
		return NULL;
	}
	for (int i = j->from; i < j->to && j->rv == 0; i++)
		j->rv = signup_on(c, j->phones[i], PHONEAUTH__V1__CHANNEL__CHANNEL_UNSPECIFIED, vid,
		    j->err, sizeof j->err);
	pa_client_close(c);
	return NULL;
}

void
smskit_signups(int n, char (*phones)[16])
{
	enum { NTHREADS = 8 };
	struct signup_job jobs[NTHREADS];
	pthread_t         t[NTHREADS];

	for (int i = 0; i < n; i++)
		smskit_phone(phones[i]);
	for (int i = 0; i < NTHREADS; i++) {
		jobs[i] = (struct signup_job) {
			.from = n * i / NTHREADS, .to = n * (i + 1) / NTHREADS, .phones = phones
		};
		assert_int_equal(pthread_create(&t[i], NULL, signup_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < NTHREADS; i++)
		if (jobs[i].rv != 0)
			fail_msg("signup thread %d: %s", i, jobs[i].err);
}

static PGresult *
q(const char *sql, const char *p1, const char *p2)
{
	const char *params[2] = { p1, p2 };
	int         n         = p2 != NULL ? 2 : p1 != NULL ? 1 : 0;
	PGresult   *r         = PQexecParams(kit.pg, sql, n, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(kit.pg));
	return r;
}

char *
smskit_q1(const char *sql, const char *p1, const char *p2)
{
	PGresult *r = q(sql, p1, p2);
	char     *v = NULL;

	if (PQntuples(r) > 0)
		v = strdup(PQgetisnull(r, 0, 0) ? "(null)" : PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

long
smskit_qlong(const char *sql, const char *p1, const char *p2)
{
	char *v = smskit_q1(sql, p1, p2);
	long  n;

	if (v == NULL)
		fail_msg("no row: %s", sql);
	n = strtol(v, NULL, 10);
	free(v);
	return n;
}

bool
smskit_wait_q(const char *sql, const char *p1, const char *want, int timeout_ms)
{
	char *v = NULL;

	for (int t = 0; t <= timeout_ms; t += 50) {
		free(v);
		v = smskit_q1(sql, p1, NULL);
		if (v != NULL && strcmp(v, want) == 0) {
			free(v);
			return true;
		}
		harness_sleep_ms(50);
	}
	fprintf(stderr, "smskit_wait_q: %s -> %s, want %s\n", sql, v ? v : "(no row)", want);
	free(v);
	return false;
}

bool
smskit_wait_fake_count(int n, int timeout_ms)
{
	for (int t = 0; t <= timeout_ms; t += 20) {
		if (fake_twilio_count(kit.fake) >= n)
			return true;
		harness_sleep_ms(20);
	}
	fprintf(stderr, "smskit_wait_fake_count: %d of %d\n", fake_twilio_count(kit.fake), n);
	return false;
}

static void
scan(const char *name, const char *log)
{
	const char *secrets[]
	    = { SMSKIT_TOKEN, SMSKIT_API_SECRET, SMSKIT_ADMIN_TOKEN, "verification code" };

	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
		if (strstr(log, secrets[i]) != NULL)
			fail_msg("%s log holds \"%s\"", name, secrets[i]);
	for (int s = 2000; s < atomic_load(&kit.phone_seq); s++) {
		char phone[16];

		(void) snprintf(phone, sizeof phone, "+1201555%04d", s % 10000);
		if (strstr(log, phone) != NULL)
			fail_msg("%s log holds the phone %s", name, phone);
		/* The national form too. */
		if (strstr(log, phone + 2) != NULL)
			fail_msg("%s log holds the phone %s", name, phone + 2);
	}
}

void
smskit_check_logs(const struct smskit_worker *const *workers, int n)
{
	char *log = harness_read_log(&kit.auth);

	assert_non_null(log);
	scan("auth", log);
	free(log);
	for (int i = 0; i < n; i++) {
		assert_non_null(log = harness_read_log(&workers[i]->proc));
		scan(workers[i]->proc.log_path, log);
		free(log);
	}
}

char *
smskit_wait_audit_signed(int timeout_ms)
{
	char *max = smskit_q1("SELECT max(id)::text FROM audit_events", NULL, NULL);

	if (!smskit_wait_q("SELECT (coalesce(max(last_id), 0) >= $1::bigint)::text"
	                   " FROM audit_checkpoints",
	        max, "true", timeout_ms))
		fail_msg("audit rows up to %s were not signed within %d ms", max, timeout_ms);
	return max;
}

void
smskit_check_audit_chain(void)
{
	Phoneauth__V1__VerifyAuditRequest   req = PHONEAUTH__V1__VERIFY_AUDIT_REQUEST__INIT;
	Phoneauth__V1__VerifyAuditResponse *v;
	struct pa_client_opts               o
	    = { .url = smskit_admin_url(), .timeout_ms = 60000, .admin_token = SMSKIT_ADMIN_TOKEN };
	struct pa_client *c;
	struct pa_reply   r;
	char             *max = smskit_wait_audit_signed(20000);
	assert_int_equal(pa_client_open(&c, &o), PA_OK);
	assert_int_equal(pa_client_call(c, "/phoneauth.v1.Admin/VerifyAudit", &req.base,
	                     &phoneauth__v1__verify_audit_response__descriptor, NULL, &r),
	    PA_OK);
	assert_int_equal(r.code, PHONEAUTH__V1__CODE__OK);
	v = (Phoneauth__V1__VerifyAuditResponse *) r.body;
	if (!v->ok)
		fail_msg("audit chain: %s", v->problem);
	assert_true(v->rows_checked >= (uint64_t) strtoll(max, NULL, 10) / 2);
	fprintf(stderr, "audit chain intact: %llu rows in %llu checkpoints\n",
	    (unsigned long long) v->rows_checked, (unsigned long long) v->checkpoints);
	pa_reply_clear(&r);
	pa_client_close(c);
	free(max);
}
