/* seckit.c: instances, calls, outbox codes and soft checks for the security tests (see
 * seckit.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "seckit.h"

#include "common/crypto.h"
#include "common/metrics.h"
#include "harness.h"

#define ENV_MAX 64

struct inst {
	struct harness_proc proc;
	char                tag[64];
	int                 restarts;
	char                rpc_url[64], http[48], admin_url[64], jobs_url[64], metrics_url[80];
	char               *env[ENV_MAX]; /* "NAME=value", malloc'd, for the process's life */
	int                 nenv;
	bool                token; /* the instance asks for SECKIT_CLIENT_TOKEN */
	struct pa_client   *client;
};

static const struct seckit_profile *prof;
static struct inst                  inst[SECKIT_NINST];
static char                         db_url[512];
static PGconn                      *db;
static struct pa_keyring            outbox_kr;
static int                          ip_seq, phone_seq, tail_seq, email_seq;
static int                          n_failed;
static char                         first_failure[512];

/* ---- setup ----------------------------------------------------------------------------------- */

int
seckit_group_setup(const struct seckit_profile *p)
{
	PGresult *res;

	prof      = p;
	phone_seq = p->phone_base;
	tail_seq  = p->phone_base + 500;
	if (pa_crypto_init() != PA_OK || pa_keyring_parse(&outbox_kr, SECKIT_OUTBOX_KEY) != PA_OK)
		return -1;
	if (harness_newdb(harness_pgdir(), p->db_name, db_url, sizeof db_url) != 0
	    || harness_migrate(db_url) != 0)
		return -1;
	db = PQconnectdb(db_url);
	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "connect: %s\n", PQerrorMessage(db));
		return -1;
	}
	res = PQexec(db,
	    "INSERT INTO sms_workers(id,host,pid,started_at,last_seen_at)"
	    " VALUES ('test','h',1,now(),now() + interval '1 day')");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "worker row: %s\n", PQerrorMessage(db));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

int
seckit_group_teardown(void **state)
{
	(void) state;
	for (int i = 0; i < SECKIT_NINST; i++)
		seckit_stop(i);
	if (db != NULL)
		PQfinish(db);
	db = NULL;
	pa_keyring_wipe(&outbox_kr);
	return 0;
}

int
seckit_test_setup(void **state)
{
	(void) state;
	n_failed         = 0;
	first_failure[0] = '\0';
	PQclear(seckit_q("UPDATE sms_workers SET last_seen_at = now() + interval '1 day'"
	                 " WHERE id = 'test'",
	    NULL, NULL));
	return 0;
}

int
seckit_test_teardown(void **state)
{
	(void) state;
	for (int i = 0; i < SECKIT_NINST; i++)
		seckit_stop(i);
	return 0;
}

/* ---- instances ------------------------------------------------------------------------------- */

/* Sets name=value in in's environment, replacing an entry of the same name. */
static void
env_set(struct inst *in, const char *entry)
{
	size_t name = strcspn(entry, "=") + 1;
	int    j    = 0;

	while (j < in->nenv && strncmp(in->env[j], entry, name) != 0)
		j++;
	if (j == in->nenv) {
		assert_true(in->nenv < ENV_MAX - 1);
		in->nenv++;
	} else {
		free(in->env[j]);
	}
	in->env[j] = strdup(entry);
	assert_non_null(in->env[j]);
}

static void env_setf(struct inst *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
env_setf(struct inst *in, const char *fmt, ...)
{
	char    buf[1024];
	va_list ap;

	va_start(ap, fmt);
	(void) vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	env_set(in, buf);
}

static void
env_clear(struct inst *in)
{
	for (int j = 0; j < in->nenv; j++)
		free(in->env[j]);
	in->nenv = 0;
}

/* Health with the client the instance's tests use, until OK or timeout_ms. */
static bool
wait_health(struct inst *in, int timeout_ms)
{
	double until = seckit_now_ms() + timeout_ms;

	while (seckit_now_ms() < until) {
		Phoneauth__V1__HealthRequest req = PHONEAUTH__V1__HEALTH_REQUEST__INIT;
		struct pa_reply              r;
		bool                         ok = false;

		if (pa_client_call(in->client, "/phoneauth.v1.Auth/Health", &req.base,
		        &phoneauth__v1__health_response__descriptor, NULL, &r)
		    == PA_OK) {
			ok = r.code == C(OK);
			pa_reply_clear(&r);
		}
		if (ok)
			return true;
		harness_sleep_ms(50);
	}
	return false;
}

static void
spawn(int i, const char *const *env)
{
	struct inst          *in     = &inst[i];
	const char           *argv[] = { PHONEAUTH_AUTH_BIN, "serve", NULL };
	struct pa_client_opts o      = { .url = in->rpc_url, .timeout_ms = 30000 };
	char                  tag[80];

	env_clear(in);
	env_setf(in, "DATABASE_URL=%s", db_url);
	env_setf(in, "PHONEAUTH_RPC_URL=%s", in->rpc_url);
	env_setf(in, "PHONEAUTH_HTTP=%s", in->http);
	env_setf(in, "PHONEAUTH_ADMIN_URL=%s", in->admin_url);
	env_setf(in, "PHONEAUTH_JOBS_URL=%s", in->jobs_url);
	env_setf(in, "PHONEAUTH_PROFILE=%s", prof->name);
	env_set(in, "PHONEAUTH_OTP_KEY=" SECKIT_OTP_KEY);
	env_set(in, "PHONEAUTH_OUTBOX_KEY=" SECKIT_OUTBOX_KEY);
	env_set(in, "PHONEAUTH_TOKEN_KEY=" SECKIT_TOKEN_KEY_1);
	env_set(in, "PHONEAUTH_CLIENT_TOKEN=" SECKIT_CLIENT_TOKEN);
	env_set(in, "PHONEAUTH_PWHASH_OPS=1");
	env_set(in, "PHONEAUTH_PWHASH_MEM_KIB=8");
	env_set(in, "PHONEAUTH_DEFAULT_REGION=US");
	env_set(in, "PHONEAUTH_RESEND_COOLDOWN=1s");
	env_set(in, "PHONEAUTH_LOG_LEVEL=info");
	for (int j = 0; env != NULL && env[j] != NULL; j++)
		env_set(in, env[j]);
	in->token = false;
	for (int j = 0; j < in->nenv; j++)
		if (strcmp(in->env[j], "PHONEAUTH_CLIENT_TOKEN=" SECKIT_CLIENT_TOKEN) == 0)
			in->token = true;
	in->env[in->nenv] = NULL;
	(void) snprintf(tag, sizeof tag, in->restarts ? "%s_r%d" : "%s", in->tag, in->restarts);
	if (harness_spawn(&in->proc, argv, (const char *const *) in->env, tag) != 0)
		fail_msg("%s: could not start %s", tag, PHONEAUTH_AUTH_BIN);
	o.client_token = in->token ? SECKIT_CLIENT_TOKEN : NULL;
	if (pa_client_open(&in->client, &o) != PA_OK)
		fail_msg("%s: no client", tag);
	if (!wait_health(in, 15000))
		fail_msg("%s did not become healthy; log: %s", tag, in->proc.log_path);
}

void
seckit_start(int i, const char *tag, const char *const *env)
{
	struct inst *in        = &inst[i];
	int          http_port = harness_free_port();

	assert_true(i >= 0 && i < SECKIT_NINST);
	seckit_stop(i);
	(void) snprintf(in->tag, sizeof in->tag, "%s", tag);
	in->restarts = 0;
	(void) snprintf(in->rpc_url, sizeof in->rpc_url, "tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(in->http, sizeof in->http, "127.0.0.1:%d", http_port);
	(void) snprintf(
	    in->admin_url, sizeof in->admin_url, "tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(
	    in->jobs_url, sizeof in->jobs_url, "tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(
	    in->metrics_url, sizeof in->metrics_url, "http://127.0.0.1:%d/metrics", http_port);
	spawn(i, env);
}

void
seckit_restart(int i, const char *const *env)
{
	struct inst *in = &inst[i];

	if (in->client != NULL)
		pa_client_close(in->client);
	in->client = NULL;
	if (in->proc.pid > 0)
		(void) harness_stop(&in->proc, SIGTERM, 10000, NULL);
	in->restarts++;
	spawn(i, env);
}

void
seckit_stop(int i)
{
	struct inst *in = &inst[i];

	if (in->client != NULL)
		pa_client_close(in->client);
	in->client = NULL;
	if (in->proc.pid > 0)
		(void) harness_stop(&in->proc, SIGTERM, 10000, NULL);
	env_clear(in);
}

const char *
seckit_admin_url(int i)
{
	return inst[i].admin_url;
}

const char *
seckit_metrics_url(int i)
{
	return inst[i].metrics_url;
}

double
seckit_metric(int i, const char *sample)
{
	struct pa_strbuf body = { 0 };
	double           v    = -1;
	size_t           n    = strlen(sample);

	if (harness_http_get(inst[i].metrics_url, &body) == 200 && body.data != NULL) {
		for (const char *p = strstr(body.data, sample); p != NULL;
		     p             = strstr(p + 1, sample))
                        if ((p == body.data || p[-1] == '\n') && p[n] == ' ') {
				            v = strtod(p + n + 1, NULL);
				            break;
                        }
	}
	pa_strbuf_free(&body);
	return v;
}

/* ---- soft checks ----------------------------------------------------------------------------- */

bool
seckit_check_at(bool ok, const char *file, int line, const char *fmt, ...)
{
	char    msg[400];
	va_list ap;

	if (ok)
		return true;
	va_start(ap, fmt);
	(void) vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	print_error("  FAILED %s:%d: %s\n", file, line, msg);
	if (n_failed++ == 0)
		(void) snprintf(first_failure, sizeof first_failure, "%s:%d: %s", file, line, msg);
	return false;
}

const char *
seckit_reply_str(const struct pa_reply *r, char *out, size_t outsz)
{
	char left[16] = "absent";

	if (r->has_attempts_left)
		(void) snprintf(left, sizeof left, "%u", r->attempts_left);
	(void) snprintf(out, outsz, "%s/%s \"%s\" retry_after_s=%u attempts_left=%s",
	    pa_code_name(r->code), pa_reason_name(r->reason), r->message ? r->message : "",
	    r->retry_after_s, left);
	return out;
}

bool
seckit_expect_at(const struct pa_reply *r, pa_code code, pa_reason reason, const char *msg,
    const char *what, const char *file, int line)
{
	char got[400];

	if (r->code == code && r->reason == reason
	    && (msg == NULL || strcmp(r->message ? r->message : "", msg) == 0))
		return true;
	return seckit_check_at(false, file, line, "%s: want %s/%s%s%s%s, got %s", what,
	    pa_code_name(code), pa_reason_name(reason), msg ? " \"" : "", msg ? msg : "",
	    msg ? "\"" : "", seckit_reply_str(r, got, sizeof got));
}

void
seckit_note(const char *fmt, ...)
{
	char    msg[600];
	va_list ap;

	va_start(ap, fmt);
	(void) vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	print_message("  note: %s\n", msg);
}

void
seckit_done(void)
{
	if (n_failed > 0)
		fail_msg("%d check(s) failed; first: %s", n_failed, first_failure);
}

/* ---- RPC ------------------------------------------------------------------------------------- */

static _Thread_local const char *captcha_token;

void
seckit_set_captcha(const char *token)
{
	captcha_token = token;
}

pa_err
seckit_call(int i, const char *ip, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *desc, struct pa_reply *r)
{
	Phoneauth__V1__CallerMetadata md = PHONEAUTH__V1__CALLER_METADATA__INIT;
	char                          path[96];

	md.end_user_ip   = (char *) (ip != NULL ? ip : "");
	md.captcha_token = (char *) (captcha_token != NULL ? captcha_token : "");
	md.user_agent    = (char *) "test_security";
	(void) snprintf(path, sizeof path, "/phoneauth.v1.Auth/%s", method);
	return pa_client_call(inst[i].client, path, req, desc, &md, r);
}

void
seckit_rpc(int i, const char *ip, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *desc, struct pa_reply *r)
{
	pa_err rv = seckit_call(i, ip, method, req, desc, r);

	if (rv != PA_OK)
		fail_msg("%s on %s: no reply (%s)", method, inst[i].tag, pa_strerror(rv));
}

void
seckit_verify(int i, const char *ip, const char *vid, const char *code, struct pa_reply *r)
{
	Phoneauth__V1__VerifyCodeRequest req = PHONEAUTH__V1__VERIFY_CODE_REQUEST__INIT;

	req.verification_id = (char *) vid;
	req.code            = (char *) code;
	seckit_rpc(
	    i, ip, "VerifyCode", &req.base, &phoneauth__v1__verify_code_response__descriptor, r);
}

void
seckit_resend(int i, const char *ip, const char *vid, struct pa_reply *r)
{
	Phoneauth__V1__ResendCodeRequest req = PHONEAUTH__V1__RESEND_CODE_REQUEST__INIT;

	req.verification_id = (char *) vid;
	seckit_rpc(
	    i, ip, "ResendCode", &req.base, &phoneauth__v1__resend_code_response__descriptor, r);
}

void
seckit_login(int i, const char *ip, const char *login, const char *pw, struct pa_reply *r)
{
	Phoneauth__V1__LoginRequest req = PHONEAUTH__V1__LOGIN_REQUEST__INIT;

	req.login    = (char *) login;
	req.password = (char *) pw;
	seckit_rpc(i, ip, "Login", &req.base, &phoneauth__v1__login_response__descriptor, r);
}

void
seckit_validate(int i, const char *ip, const char *token, struct pa_reply *r)
{
	Phoneauth__V1__ValidateSessionRequest req = PHONEAUTH__V1__VALIDATE_SESSION_REQUEST__INIT;

	req.session_token = (char *) token;
	seckit_rpc(i, ip, "ValidateSession", &req.base,
	    &phoneauth__v1__validate_session_response__descriptor, r);
}

void
seckit_logout(int i, const char *ip, const char *token, struct pa_reply *r)
{
	Phoneauth__V1__LogoutRequest req = PHONEAUTH__V1__LOGOUT_REQUEST__INIT;

	req.session_token = (char *) token;
	seckit_rpc(i, ip, "Logout", &req.base, &phoneauth__v1__logout_response__descriptor, r);
}

void
seckit_start_reset(int i, const char *ip, const char *login, struct pa_reply *r)
{
	Phoneauth__V1__StartPasswordResetRequest req
	    = PHONEAUTH__V1__START_PASSWORD_RESET_REQUEST__INIT;

	req.login = (char *) login;
	seckit_rpc(i, ip, "StartPasswordReset", &req.base,
	    &phoneauth__v1__start_password_reset_response__descriptor, r);
}

void
seckit_complete_reset(int i, const char *ip, const char *token, const char *pw, struct pa_reply *r)
{
	Phoneauth__V1__CompletePasswordResetRequest req
	    = PHONEAUTH__V1__COMPLETE_PASSWORD_RESET_REQUEST__INIT;

	req.reset_token      = (char *) token;
	req.password         = (char *) pw;
	req.password_confirm = (char *) pw;
	seckit_rpc(i, ip, "CompletePasswordReset", &req.base,
	    &phoneauth__v1__complete_password_reset_response__descriptor, r);
}

void
seckit_health(int i, struct pa_reply *r)
{
	Phoneauth__V1__HealthRequest req = PHONEAUTH__V1__HEALTH_REQUEST__INIT;

	seckit_rpc(i, NULL, "Health", &req.base, &phoneauth__v1__health_response__descriptor, r);
}

void
seckit_vid(const Phoneauth__V1__CodeSent *s, char vid[40])
{
	(void) snprintf(vid, 40, "%s", s != NULL && s->verification_id ? s->verification_id : "");
}

/* ---- database -------------------------------------------------------------------------------- */

PGresult *
seckit_q(const char *sql, const char *p1, const char *p2)
{
	const char *params[2] = { p1, p2 };
	int         n         = p1 == NULL ? 0 : p2 == NULL ? 1 : 2;
	PGresult   *res       = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);
	int         st        = PQresultStatus(res);

	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		print_error("SQL failed: %s\n  %s\n", sql, PQerrorMessage(db));
		PQclear(res);
		fail();
	}
	return res;
}

char *
seckit_q1(const char *sql, const char *p1, const char *p2)
{
	PGresult *res = seckit_q(sql, p1, p2);
	char     *out = NULL;

	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		out = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

long
seckit_qlong(const char *sql, const char *p1, const char *p2)
{
	char *s = seckit_q1(sql, p1, p2);
	long  v;

	if (s == NULL)
		fail_msg("no value: %s", sql);
	v = strtol(s, NULL, 10);
	free(s);
	return v;
}

long
seckit_outbox_count(const char *vid)
{
	if (vid == NULL || vid[0] == '\0')
		return 0;
	return seckit_qlong(
	    "SELECT count(*) FROM sms_outbox WHERE verification_id::text = $1", vid, NULL);
}

int
seckit_outbox_code(const char *vid, char code[16])
{
	const char *params[1] = { vid };
	size_t      pl = strlen(prof->sms_prefix), n = 0;
	PGresult   *res;
	char       *plain = NULL;
	size_t      plen  = 0;
	pa_err      rv;

	code[0] = '\0';
	if (vid == NULL || vid[0] == '\0') {
		SK_CHECK(false, "no verification id, so no outbox row");
		return -1;
	}
	res = PQexecParams(db,
	    "SELECT body_sealed FROM sms_outbox WHERE verification_id::text = $1"
	    " ORDER BY id DESC LIMIT 1",
	    1, NULL, params, NULL, NULL, 1);
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		SK_CHECK(false, "no outbox row (with a body) for verification %s", vid);
		return -1;
	}
	rv = pa_open(&plain, &plen, &outbox_kr, vid, strlen(vid),
	    (const unsigned char *) PQgetvalue(res, 0, 0), (size_t) PQgetlength(res, 0, 0));
	PQclear(res);
	assert_int_equal(rv, PA_OK);
	if (plen > pl && memcmp(plain, prof->sms_prefix, pl) == 0)
		while (n < 15 && pl + n < plen && isdigit((unsigned char) plain[pl + n]))
			n++;
	if (n == 0 || strcmp(plain + pl + n, prof->sms_suffix) != 0) {
		SK_CHECK(false, "outbox body of %s is not the profile's SMS: \"%s\"", vid, plain);
		sodium_memzero(plain, plen);
		free(plain);
		return -1;
	}
	memcpy(code, plain + pl, n);
	code[n] = '\0';
	sodium_memzero(plain, plen);
	free(plain);
	return (int) n;
}

/* ---- fresh identities ------------------------------------------------------------------------ */

void
seckit_new_ip(char ip[48])
{
	ip_seq++;
	(void) snprintf(ip, 48, "%s.%d.%d", prof->ip_prefix, ip_seq / 250, 1 + ip_seq % 250);
}

void
seckit_new_phone(char e164[16])
{
	(void) snprintf(e164, 16, "+1201555%04d", phone_seq++ % 10000);
}

void
seckit_same_tail_phones(int n, char out[][16])
{
	static const char *const areas[] = { "202", "212", "310", "415", "646", "718" };
	int                      tail    = tail_seq++ % 10000;

	assert_true(n <= 6);
	for (int i = 0; i < n; i++)
		(void) snprintf(out[i], 16, "+1%s555%04d", areas[i], tail);
}

void
seckit_new_email(char out[64])
{
	(void) snprintf(out, 64, "sec.user%d.%d@example.com", prof->phone_base, ++email_seq);
}

void
seckit_wrong_code(const char *code, char *out, int delta)
{
	size_t             len = strlen(code);
	unsigned long long mod = 1;

	for (size_t i = 0; i < len; i++)
		mod *= 10u;
	(void) snprintf(out, len + 1, "%0*llu", (int) len,
	    (strtoull(code, NULL, 10) + (unsigned long long) delta) % mod);
}

double
seckit_now_ms(void)
{
	return (double) pa_now_ns() / 1e6;
}
