/* flowkit.c: the setup, database, outbox, RPC and log-check helpers the profile flow tests share
 * (see flowkit.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowkit.h"

#include "common/crypto.h"
#include "harness.h"

#define C(x) PHONEAUTH__V1__CODE__##x
#define RS(x) PHONEAUTH__V1__REASON__##x

struct inst {
	struct harness_proc proc;
	char                rpc_url[64];
	char                admin_url[64];
	struct pa_client   *client;
};

static const struct flowkit_profile *prof;
static struct inst                   inst[FLOWKIT_NINST];
static char                          db_url[512];
static PGconn                       *db;
static char                          cur_locale[36]; /* CallerMetadata.locale; "" none */
static struct pa_keyring             outbox_kr;
static char                          cur_ip[48];
static int                           ip_seq, phone_seq = 100;

/* ---- secrets --------------------------------------------------------------------------------- */

#define MAX_SECRETS 1024
static char *secrets[MAX_SECRETS];
static int   n_secrets;

void
flowkit_add_secret(const char *s)
{
	if (s == NULL || s[0] == '\0' || n_secrets >= MAX_SECRETS)
		return;
	secrets[n_secrets++] = strdup(s);
}

void
flowkit_add_phone_secret(const char *e164)
{
	flowkit_add_secret(e164);
	if (strncmp(e164, "+1", 2) == 0)
		flowkit_add_secret(e164 + 2);
}

/* ---- processes ------------------------------------------------------------------------------- */

/* Sets env[*n] to "name=value", kept in instance which's slot *n for the process's life, and
 * moves *n on. */
static void
env_add(int which, const char *env[], int *n, const char *name, const char *value)
{
	static char vars[FLOWKIT_NINST][16][600];
	char       *v = vars[which][*n];

	(void) snprintf(v, sizeof vars[which][*n], "%s=%s", name, value);
	env[(*n)++] = v;
}

/* Starts instance which with the profile's settings plus extra, waits until it is healthy and
 * opens its client. Returns 0, or -1 (with the reason on stderr). */
static int
start_inst(int which, const char *const extra[])
{
	const char *argv[] = { PHONEAUTH_AUTH_BIN, "serve", NULL };
	const char *env[40];
	const char *tag = prof->tag[which];
	char        http[48], admin[48], jobs[48];
	int         n = 0;

	(void) snprintf(inst[which].rpc_url, sizeof inst[which].rpc_url, "tcp://127.0.0.1:%d",
	    harness_free_port());
	(void) snprintf(http, sizeof http, "127.0.0.1:%d", harness_free_port());
	(void) snprintf(admin, sizeof admin, "tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(inst[which].admin_url, sizeof inst[which].admin_url, "%s", admin);
	(void) snprintf(jobs, sizeof jobs, "tcp://127.0.0.1:%d", harness_free_port());
	env_add(which, env, &n, "DATABASE_URL", db_url);
	env_add(which, env, &n, "PHONEAUTH_RPC_URL", inst[which].rpc_url);
	env_add(which, env, &n, "PHONEAUTH_HTTP", http);
	env_add(which, env, &n, "PHONEAUTH_ADMIN_URL", admin);
	env_add(which, env, &n, "PHONEAUTH_JOBS_URL", jobs);
	env_add(which, env, &n, "PHONEAUTH_PROFILE", prof->name);
	env_add(which, env, &n, "PHONEAUTH_OTP_KEY", prof->otp_key_hex);
	env_add(which, env, &n, "PHONEAUTH_OUTBOX_KEY", prof->outbox_key_hex);
	env_add(which, env, &n, "PHONEAUTH_TOKEN_KEY", prof->token_key_hex);
	env_add(which, env, &n, "PHONEAUTH_ADMIN_TOKEN", prof->admin_token);
	env[n++] = "PHONEAUTH_PWHASH_OPS=1";
	env[n++] = "PHONEAUTH_PWHASH_MEM_KIB=8";
	env[n++] = "PHONEAUTH_DEFAULT_REGION=US";
	env[n++] = "PHONEAUTH_LOG_LEVEL=debug";
	/* The kit's calls carry no client token but do name end-user IPs. */
	env[n++] = "PHONEAUTH_TRUST_END_USER_IP=true";
	for (int i = 0; extra != NULL && extra[i] != NULL && n < 39; i++)
		env[n++] = extra[i];
	env[n] = NULL;
	if (harness_spawn(&inst[which].proc, argv, env, tag) != 0)
		return -1;
	if (!harness_wait_health(inst[which].rpc_url, 15000)) {
		fprintf(
		    stderr, "%s did not become healthy; log: %s\n", tag, inst[which].proc.log_path);
		return -1;
	}
	{
		struct pa_client_opts o = { .url = inst[which].rpc_url, .timeout_ms = 20000 };

		if (pa_client_open(&inst[which].client, &o) != PA_OK)
			return -1;
	}
	return 0;
}

/* ---- setup ----------------------------------------------------------------------------------- */

int
flowkit_group_setup(const struct flowkit_profile *p)
{
	PGresult *res;

	prof = p;
	if (p->code_len < 1 || p->code_len > FLOWKIT_CODE_MAX) {
		fprintf(stderr, "code_len %d: not 1 to %d\n", p->code_len, FLOWKIT_CODE_MAX);
		return -1;
	}
	if (pa_crypto_init() != PA_OK || pa_keyring_parse(&outbox_kr, p->outbox_key_hex) != PA_OK)
		return -1;
	flowkit_add_secret(p->otp_key_hex);
	flowkit_add_secret(p->outbox_key_hex);
	flowkit_add_secret(p->token_key_hex);
	flowkit_add_secret(p->admin_token);
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
	    " VALUES ('test','h',1,now(),now())");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "heartbeat: %s\n", PQerrorMessage(db));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	if (start_inst(FLOWKIT_PRIMARY, NULL) != 0 || start_inst(FLOWKIT_FAST, p->fast_env) != 0)
		return -1;
	return 0;
}

int
flowkit_group_teardown(void **state)
{
	for (int i = 0; i < FLOWKIT_NINST; i++) {
		if (inst[i].client != NULL)
			pa_client_close(inst[i].client);
		if (inst[i].proc.pid > 0)
			(void) harness_stop(&inst[i].proc, SIGTERM, 5000, NULL);
	}
	if (db != NULL)
		PQfinish(db);
	pa_keyring_wipe(&outbox_kr);
	for (int i = 0; i < n_secrets; i++)
		free(secrets[i]);
	return 0;
}

int
flowkit_test_setup(void **state)
{
	flowkit_new_ip();
	flowkit_heartbeat();
	return 0;
}

struct pa_client *
flowkit_client(int which)
{
	return inst[which].client;
}

const char *
flowkit_ip(void)
{
	return cur_ip;
}

/* ---- database -------------------------------------------------------------------------------- */

PGresult *
flowkit_q(const char *sql, const char *p1, const char *p2)
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
flowkit_q1(const char *sql, const char *p1, const char *p2)
{
	PGresult *res = flowkit_q(sql, p1, p2);
	char     *out = NULL;

	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		out = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

long
flowkit_qlong(const char *sql, const char *p1, const char *p2)
{
	char *s = flowkit_q1(sql, p1, p2);
	long  v;

	assert_non_null(s);
	v = strtol(s, NULL, 10);
	free(s);
	return v;
}

void
flowkit_heartbeat(void)
{
	PQclear(flowkit_q(
	    "UPDATE sms_workers SET started_at = least(started_at, now()), last_seen_at = now()"
	    " WHERE id = 'test'",
	    NULL, NULL));
}

long
flowkit_outbox_count(const char *vid)
{
	return flowkit_qlong(
	    "SELECT count(*) FROM sms_outbox WHERE verification_id = $1::uuid", vid, NULL);
}

const char *
flowkit_admin_url(int which)
{
	return inst[which].admin_url;
}

void
flowkit_admin(int which, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *desc, struct pa_reply *r)
{
	struct pa_client_opts o = {
		.url = inst[which].admin_url, .timeout_ms = 10000, .admin_token = prof->admin_token
	};
	struct pa_client *c;
	char              path[96];

	(void) snprintf(path, sizeof path, "/phoneauth.v1.Admin/%s", method);
	assert_int_equal(pa_client_open(&c, &o), PA_OK);
	assert_int_equal(pa_client_call(c, path, req, desc, NULL, r), PA_OK);
	pa_client_close(c);
	if (r->code != C(OK))
		fail_msg("Admin %s: %d/%d %s", method, (int) r->code, (int) r->reason,
		    r->message != NULL ? r->message : "");
}

void
flowkit_outbox_body(const char *vid, const char *channel, int64_t *id, char *out, size_t outsz)
{
	const char *params[2] = { vid, channel };
	PGresult   *res;
	char       *plain = NULL;
	size_t      plen  = 0;

	res = PQexecParams(db,
	    "SELECT o.body_sealed, o.id FROM sms_outbox o WHERE o.verification_id = $1::uuid"
	    " AND o.channel = $2 ORDER BY o.id DESC LIMIT 1",
	    2, NULL, params, NULL, NULL, 1);
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		fail_msg("no %s outbox row with a body for verification %s", channel, vid);
	}
	if (id != NULL) {
		/* A binary int8 is 8 bytes, big-endian. */
		const unsigned char *b = (const unsigned char *) PQgetvalue(res, 0, 1);
		uint64_t             v = 0;

		for (int i = 0; i < 8; i++)
			v = v << 8 | b[i];
		*id = (int64_t) v;
	}
	assert_int_equal(
	    pa_open(&plain, &plen, &outbox_kr, vid, strlen(vid),
	        (const unsigned char *) PQgetvalue(res, 0, 0), (size_t) PQgetlength(res, 0, 0)),
	    PA_OK);
	PQclear(res);
	assert_true(plen < outsz);
	memcpy(out, plain, plen);
	out[plen] = '\0';
	sodium_memzero(plain, plen);
	free(plain);
}

void
flowkit_outbox_code(const char *vid, char *code)
{
	const char *params[1] = { vid };
	const char *prefix    = prof->sms_prefix;
	size_t      cl        = (size_t) prof->code_len;
	PGresult   *res;
	char       *plain = NULL, expect[256];
	size_t      plen  = 0;

	res = PQexecParams(db,
	    "SELECT o.verification_id::text, o.body_sealed, v.purpose FROM sms_outbox o"
	    " JOIN verifications v ON v.id = o.verification_id"
	    " WHERE o.verification_id = $1::uuid ORDER BY o.id DESC LIMIT 1",
	    1, NULL, params, NULL, NULL, 1);
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	if (PQntuples(res) != 1) {
		PQclear(res);
		fail_msg("no outbox row for verification %s", vid);
	}
	assert_int_equal(PQgetlength(res, 0, 0), 36);
	assert_memory_equal(PQgetvalue(res, 0, 0), vid, 36);
	/* Reset and login codes have their own length (PHONEAUTH_RESET_CODE_LENGTH, default 6). */
	if (strcmp(PQgetvalue(res, 0, 2), "password_reset") == 0
	    || strcmp(PQgetvalue(res, 0, 2), "login") == 0)
		cl = 6;
	if (PQgetisnull(res, 0, 1)) {
		PQclear(res);
		fail_msg("outbox body of %s is NULL", vid);
	}
	assert_int_equal(
	    pa_open(&plain, &plen, &outbox_kr, vid, strlen(vid),
	        (const unsigned char *) PQgetvalue(res, 0, 1), (size_t) PQgetlength(res, 0, 1)),
	    PA_OK);
	PQclear(res);
	assert_true(plen > strlen(prefix) + cl);
	assert_memory_equal(plain, prefix, strlen(prefix));
	memcpy(code, plain + strlen(prefix), cl);
	code[cl] = '\0';
	for (size_t i = 0; i < cl; i++)
		assert_true(isdigit((unsigned char) code[i]));
	(void) snprintf(expect, sizeof expect, "%s%s%s", prefix, code, prof->sms_suffix);
	assert_string_equal(plain, expect);
	assert_int_equal(plen, strlen(expect));
	sodium_memzero(plain, plen);
	free(plain);
	flowkit_add_secret(code);
}

/* ---- small helpers --------------------------------------------------------------------------- */

bool
flowkit_is_uuid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char) s[i])) {
			return false;
		}
	}
	return true;
}

void
flowkit_next_phone(char e164[16])
{
	(void) snprintf(e164, 16, "+1201555%04d", phone_seq++);
	flowkit_add_phone_secret(e164);
}

void
flowkit_national(const char *e164, char out[32])
{
	(void) snprintf(out, 32, "(%.3s) %.3s-%.4s", e164 + 2, e164 + 5, e164 + 8);
	flowkit_add_secret(out);
}

void
flowkit_masked(const char *e164, char out[24])
{
	(void) snprintf(out, 24, prof->grouped_mask ? "+1 (***) ***-%s" : "+1******%s",
	    e164 + strlen(e164) - 4);
}

void
flowkit_new_ip(void)
{
	ip_seq++;
	(void) snprintf(cur_ip, sizeof cur_ip, "%s.%d.%d", prof->ip_prefix,
	    prof->ip_base + ip_seq / 250, 1 + ip_seq % 250);
}

void
flowkit_wrong_code(const char *code, char *out, int delta)
{
	unsigned mod = 1;

	for (int i = 0; i < prof->code_len; i++)
		mod *= 10u;
	(void) snprintf(out, (size_t) prof->code_len + 1, "%0*u", prof->code_len,
	    ((unsigned) atoi(code) + (unsigned) delta) % mod);
}

/* ---- RPC ------------------------------------------------------------------------------------- */

void
flowkit_set_locale(const char *tag)
{
	(void) snprintf(cur_locale, sizeof cur_locale, "%s", tag != NULL ? tag : "");
}

void
flowkit_rpc(int which, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *desc, struct pa_reply *r)
{
	Phoneauth__V1__CallerMetadata md = PHONEAUTH__V1__CALLER_METADATA__INIT;
	char                          path[96];
	pa_err                        rv;

	md.end_user_ip = cur_ip;
	md.user_agent  = (char *) prof->user_agent;
	md.locale      = cur_locale;
	(void) snprintf(path, sizeof path, "/phoneauth.v1.Auth/%s", method);
	rv = pa_client_call(inst[which].client, path, req, desc, &md, r);
	if (rv != PA_OK)
		fail_msg("%s: no reply (%s)", method, pa_strerror(rv));
	if (r->code == C(UNIMPLEMENTED)) {
		print_error("%s: UNIMPLEMENTED: %s\n", method, r->message);
		pa_reply_clear(r);
		fail_msg("%s is not implemented yet", method);
	}
}

void
flowkit_expect_at(const struct pa_reply *r, pa_code code, pa_reason reason, const char *msg,
    const char *file, int line)
{
	if (r->code == code && r->reason == reason && (msg == NULL || strcmp(r->message, msg) == 0))
		return;
	print_error("%s:%d: expected %s/%s \"%s\"\n    got %s/%s \"%s\" retry_after_s=%u "
	            "attempts_left=%s%u\n",
	    file, line, pa_code_name(code), pa_reason_name(reason), msg ? msg : "(any)",
	    pa_code_name(r->code), pa_reason_name(r->reason), r->message, r->retry_after_s,
	    r->has_attempts_left ? "" : "(absent)", r->attempts_left);
	_fail(file, line);
}

void
flowkit_check_sent(const Phoneauth__V1__CodeSent *s, const char *e164, unsigned resend_after)
{
	flowkit_check_sent_digits(s, e164, resend_after, prof->code_len);
}

void
flowkit_check_sent_digits(
    const Phoneauth__V1__CodeSent *s, const char *e164, unsigned resend_after, unsigned digits)
{
	char m[24];

	assert_non_null(s);
	assert_true(flowkit_is_uuid(s->verification_id));
	flowkit_masked(e164, m);
	assert_string_equal(s->phone_masked, m);
	assert_int_equal(s->resend_after_s, resend_after);
	assert_int_equal(s->expires_in_s, prof->code_ttl_s);
	assert_int_equal(s->code_length, digits);
}

void
flowkit_resend(int which, const char *vid, struct pa_reply *r)
{
	Phoneauth__V1__ResendCodeRequest req = PHONEAUTH__V1__RESEND_CODE_REQUEST__INIT;

	req.verification_id = (char *) vid;
	flowkit_rpc(
	    which, "ResendCode", &req.base, &phoneauth__v1__resend_code_response__descriptor, r);
}

void
flowkit_resend_until_limit(const char *vid, char *code)
{
	struct pa_reply r;

	for (int i = 2; i <= 5; i++) {
		harness_sleep_ms(1200);
		flowkit_new_ip();
		flowkit_resend(FLOWKIT_FAST, vid, &r);
		FLOWKIT_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), prof->msg_otp_sent);
		pa_reply_clear(&r);
		assert_int_equal(flowkit_outbox_count(vid), i);
	}
	flowkit_outbox_code(vid, code);
	harness_sleep_ms(1200);
	flowkit_new_ip();
	flowkit_resend(FLOWKIT_FAST, vid, &r);
	FLOWKIT_EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(SEND_LIMIT), prof->msg_send_limit);
	assert_true(r.retry_after_s > 0 && r.retry_after_s <= 3600);
	pa_reply_clear(&r);
}

void
flowkit_verify(int which, const char *vid, const char *code, struct pa_reply *r)
{
	Phoneauth__V1__VerifyCodeRequest req = PHONEAUTH__V1__VERIFY_CODE_REQUEST__INIT;

	req.verification_id = (char *) vid;
	req.code            = (char *) code;
	flowkit_rpc(
	    which, "VerifyCode", &req.base, &phoneauth__v1__verify_code_response__descriptor, r);
}

void
flowkit_verify_ok(int which, const char *vid, const char *code, char token[128])
{
	struct pa_reply                    r;
	Phoneauth__V1__VerifyCodeResponse *b;

	flowkit_verify(which, vid, code, &r);
	FLOWKIT_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), prof->msg_verified);
	b = (Phoneauth__V1__VerifyCodeResponse *) r.body;
	assert_non_null(b);
	assert_true(b->verified);
	flowkit_add_secret(b->signup_token);
	if (token != NULL) {
		assert_non_null(b->signup_token);
		assert_true(strlen(b->signup_token) >= 20);
		assert_true(b->token_expires_in_s > 0);
		(void) snprintf(token, 128, "%s", b->signup_token);
	}
	pa_reply_clear(&r);
}

void
flowkit_expect_code_invalid(int which, const char *vid, const char *code, int attempts_left)
{
	struct pa_reply r;

	flowkit_verify(which, vid, code, &r);
	FLOWKIT_EXPECT(&r, C(INVALID_ARGUMENT), RS(CODE_INVALID), prof->msg_code_invalid);
	assert_true(r.has_attempts_left);
	if (attempts_left >= 0)
		assert_int_equal(r.attempts_left, attempts_left);
	pa_reply_clear(&r);
}

void
flowkit_login(int which, const char *id, const char *pw, struct pa_reply *r)
{
	Phoneauth__V1__LoginRequest req = PHONEAUTH__V1__LOGIN_REQUEST__INIT;

	req.login    = (char *) id;
	req.password = (char *) pw;
	flowkit_add_secret(pw);
	flowkit_rpc(which, "Login", &req.base, &phoneauth__v1__login_response__descriptor, r);
}

void
flowkit_login_ok(const char *id, const char *pw, const char *user_id, char token[128])
{
	struct pa_reply               r;
	Phoneauth__V1__LoginResponse *b;

	flowkit_login(FLOWKIT_PRIMARY, id, pw, &r);
	FLOWKIT_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL);
	b = (Phoneauth__V1__LoginResponse *) r.body;
	assert_non_null(b);
	assert_true(strlen(b->session_token) >= 20);
	if (user_id != NULL)
		assert_string_equal(b->user_id, user_id);
	assert_true(b->expires_at_unix > (int64_t) time(NULL));
	(void) snprintf(token, 128, "%s", b->session_token);
	flowkit_add_secret(token);
	pa_reply_clear(&r);
}

void
flowkit_validate(const char *token, struct pa_reply *r)
{
	Phoneauth__V1__ValidateSessionRequest req = PHONEAUTH__V1__VALIDATE_SESSION_REQUEST__INIT;

	req.session_token = (char *) token;
	flowkit_rpc(FLOWKIT_PRIMARY, "ValidateSession", &req.base,
	    &phoneauth__v1__validate_session_response__descriptor, r);
}

void
flowkit_expect_session(const char *token, const char *user_id, const char *email, const char *e164)
{
	struct pa_reply                         r;
	Phoneauth__V1__ValidateSessionResponse *b;
	char                                    m[24];

	flowkit_validate(token, &r);
	FLOWKIT_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL);
	b = (Phoneauth__V1__ValidateSessionResponse *) r.body;
	assert_non_null(b);
	assert_string_equal(b->user_id, user_id);
	if (email != NULL)
		assert_string_equal(b->email, email);
	flowkit_masked(e164, m);
	assert_string_equal(b->phone_masked, m);
	assert_true(b->phone_verified);
	assert_true(b->expires_at_unix > (int64_t) time(NULL));
	pa_reply_clear(&r);
}

void
flowkit_expect_session_invalid(const char *token)
{
	struct pa_reply r;

	flowkit_validate(token, &r);
	FLOWKIT_EXPECT(&r, C(UNAUTHENTICATED), RS(SESSION_INVALID), prof->msg_session_invalid);
	pa_reply_clear(&r);
}

void
flowkit_logout(const char *token)
{
	Phoneauth__V1__LogoutRequest req = PHONEAUTH__V1__LOGOUT_REQUEST__INIT;
	struct pa_reply              r;

	req.session_token = (char *) token;
	flowkit_rpc(
	    FLOWKIT_PRIMARY, "Logout", &req.base, &phoneauth__v1__logout_response__descriptor, &r);
	FLOWKIT_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL);
	pa_reply_clear(&r);
}

void
flowkit_expire_sessions(const char *user_id)
{
	PQclear(flowkit_q("UPDATE sessions SET expires_at = created_at + interval '1 millisecond'"
	                  " WHERE user_id = $1::uuid",
	    user_id, NULL));
	harness_sleep_ms(10);
}

void
flowkit_start_reset(const char *login, struct pa_reply *r)
{
	Phoneauth__V1__StartPasswordResetRequest req
	    = PHONEAUTH__V1__START_PASSWORD_RESET_REQUEST__INIT;

	req.login = (char *) login;
	flowkit_rpc(FLOWKIT_PRIMARY, "StartPasswordReset", &req.base,
	    &phoneauth__v1__start_password_reset_response__descriptor, r);
}

void
flowkit_complete_reset(const char *token, const char *pw, const char *confirm, struct pa_reply *r)
{
	Phoneauth__V1__CompletePasswordResetRequest req
	    = PHONEAUTH__V1__COMPLETE_PASSWORD_RESET_REQUEST__INIT;

	req.reset_token      = (char *) token;
	req.password         = (char *) pw;
	req.password_confirm = (char *) confirm;
	flowkit_rpc(FLOWKIT_PRIMARY, "CompletePasswordReset", &req.base,
	    &phoneauth__v1__complete_password_reset_response__descriptor, r);
}

void
flowkit_complete_reset_ok(const char *token, const char *pw, const char *user_id)
{
	struct pa_reply                               r;
	Phoneauth__V1__CompletePasswordResetResponse *b;

	flowkit_complete_reset(token, pw, pw, &r);
	FLOWKIT_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), prof->msg_reset_done);
	b = (Phoneauth__V1__CompletePasswordResetResponse *) r.body;
	assert_non_null(b);
	assert_string_equal(b->user_id, user_id);
	pa_reply_clear(&r);
}

/* ---- log check ------------------------------------------------------------------------------- */

static bool
digit_at(const char *s, size_t i, size_t n)
{
	return i < n && s[i] >= '0' && s[i] <= '9';
}

static bool
ends_with(const char *k, size_t kn, const char *suf)
{
	size_t n = strlen(suf);

	return kn >= n && memcmp(k + kn - n, suf, n) == 0;
}

/* Keys whose values are numbers or ids of no secret meaning. */
static bool
benign_key(const char *k, size_t kn)
{
	static const char *const exact[] = { "time", "request_id", "req", "rid", "pid", "port",
		"version", "id", "n", "count", "bytes", "len", "size", "workers", "slow_workers",
		"contexts", "attempts", "attempts_left", "sends", "status", "http", "rpc", "admin",
		"jobs", "elapsed", "took", "dur", "duration", "latency" };

	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
		if (strlen(exact[i]) == kn && memcmp(exact[i], k, kn) == 0)
			return true;
	return ends_with(k, kn, "_ms") || ends_with(k, kn, "_us") || ends_with(k, kn, "_ns")
	    || ends_with(k, kn, "_s") || ends_with(k, kn, "_id") || ends_with(k, kn, "_at")
	    || ends_with(k, kn, "_bytes") || ends_with(k, kn, "_port");
}

/* A short all-digit secret (a code) counts as leaked when it stands alone (no digit either side,
 * no mask star before it) in the value of a key that is not a plain number or id. Returns the
 * offending line (malloc'd) or NULL. */
static char *
short_secret_in_log(const char *log, const char *code)
{
	size_t cn = strlen(code);

	for (const char *line = log; *line != '\0';) {
		const char *eol = strchr(line, '\n');
		size_t      ln  = eol ? (size_t) (eol - line) : strlen(line);
		size_t      i   = 0;

		while (i < ln) {
			size_t ks, kn = 0, vs, vn;

			while (i < ln && line[i] == ' ')
				i++;
			ks = i;
			while (i < ln && line[i] != '=' && line[i] != ' ')
				i++;
			if (i < ln && line[i] == '=') {
				kn = i - ks;
				i++;
			} else {
				i = ks; /* a bare word: the whole token is the value */
			}
			vs = i;
			if (i < ln && line[i] == '"') {
				i++;
				while (i < ln && line[i] != '"')
					i += line[i] == '\\' ? 2 : 1;
				i = i < ln ? i + 1 : ln;
			} else {
				while (i < ln && line[i] != ' ')
					i++;
			}
			vn = i - vs;
			if (kn > 0 && benign_key(line + ks, kn))
				continue;
			if (vn == 36 + (line[vs] == '"' ? 2 : 0)) {
				char tmp[40];

				(void) snprintf(tmp, sizeof tmp, "%.*s", 36,
				    line + vs + (line[vs] == '"' ? 1 : 0));
				if (flowkit_is_uuid(tmp))
					continue;
			}
			for (size_t j = 0; j + cn <= vn; j++) {
				const char *v = line + vs;

				if (memcmp(v + j, code, cn) != 0)
					continue;
				if ((j > 0 && (digit_at(v, j - 1, vn) || v[j - 1] == '*'))
				    || digit_at(v, j + cn, vn))
					continue;
				return strndup(line, ln);
			}
		}
		line = eol ? eol + 1 : line + ln;
	}
	return NULL;
}

static bool
all_digits(const char *s)
{
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

void
flowkit_check_logs(void)
{
	int leaks = 0;

	assert_true(n_secrets > 20);
	for (int w = 0; w < FLOWKIT_NINST; w++) {
		char *log = harness_read_log(&inst[w].proc);

		assert_non_null(log);
		assert_true(strlen(log) > 0);
		for (int i = 0; i < n_secrets; i++) {
			const char *s = secrets[i];

			if (all_digits(s) && strlen(s) < 8) {
				char *line = short_secret_in_log(log, s);

				if (line != NULL) {
					print_error(
					    "code %s in %s: %s\n", s, inst[w].proc.log_path, line);
					free(line);
					leaks++;
				}
			} else if (strlen(s) >= 4 && strstr(log, s) != NULL) {
				const char *at  = strstr(log, s);
				const char *bol = at;

				while (bol > log && bol[-1] != '\n')
					bol--;
				print_error("secret \"%s\" in %s: %.*s\n", s, inst[w].proc.log_path,
				    (int) strcspn(bol, "\n"), bol);
				leaks++;
			}
		}
		free(log);
	}
	assert_int_equal(leaks, 0);
}
