/* test_flows_lf.c: the LawnFlow flows end to end through the real phoneauth-auth binary and a
 * real PostgreSQL: email + password + phone registration, 6-digit codes read back from the sealed
 * outbox, non-enumerating replies (a taken email or phone looks exactly like a new one), tries
 * per code under 100 concurrent guesses, sends per hour, login by email or phone only once the
 * phone is verified, sessions, password reset, and no secret in the log.
 *
 * Two auth instances share one database: "primary" runs the profile as shipped (30 s cooldown,
 * 600 s codes), "fast" runs it with a 1 s resend cooldown, for the tests that must get past a
 * cooldown quickly. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "common/crypto.h"
#include "common/rpc.h"
#include "harness.h"
#include "phoneauth/v1/auth.pb-c.h"

#define OTP_KEY_HEX "e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5"
#define OUTBOX_KEY_HEX "f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6"
#define TOKEN_KEY_HEX "0707070707070707070707070707070707070707070707070707070707070707"
#define ADMIN_TOKEN "lf-admin-token-8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a"

/* The lawnflow messages, verbatim from libcommon/src/policy.c. */
#define MSG_REGISTERED "If your details are valid, we've sent a verification code to your phone."
#define MSG_OTP_SENT "If your number can receive texts, a new verification code is on its way."
#define MSG_CODE_INVALID \
	"We couldn't verify that code. Check it and try again, or request a new one."
#define MSG_TOO_MANY "Too many attempts. Please request a new code later."
#define MSG_RESEND_SOON "Please wait a moment before requesting another code."
#define MSG_SEND_LIMIT "Too many codes have been requested. Please try again later."
#define MSG_LOGIN_INVALID "Invalid email, phone number or password."
#define MSG_LOGIN_NOT_VERIFIED "Please verify your phone number before logging in."
#define MSG_PW_POLICY "Password must be at least 8 characters."
#define MSG_PW_MISMATCH "Passwords do not match."
#define MSG_VERIFIED "Your phone number has been verified."
#define MSG_RESET_STARTED "If an account matches, we've sent a reset code to its phone."
#define MSG_RESET_DONE "Your password has been reset. You can now sign in."
#define MSG_INVALID_EMAIL "Please enter a valid email address."
#define MSG_SESSION_INVALID "Your session has expired. Please sign in again."

#define SMS_PREFIX "Your LawnFlow verification code is "
#define SMS_FMT "Your LawnFlow verification code is %s. It expires in 10 minutes."
#define CODE_LEN 6

#define C(x) PHONEAUTH__V1__CODE__##x
#define RS(x) PHONEAUTH__V1__REASON__##x

enum { PRIMARY, FAST, NINST };

struct inst {
	struct harness_proc proc;
	char                rpc_url[64];
	struct pa_client   *client;
};

static struct inst       inst[NINST];
static char              db_url[512];
static PGconn           *db;
static struct pa_keyring outbox_kr;
static char              cur_ip[48];
static int               ip_seq, phone_seq = 100, tail_seq = 500, email_seq;

/* ---- secrets seen by the tests, checked against the logs at the end ------------------------ */

#define MAX_SECRETS 1024
static char *secrets[MAX_SECRETS];
static int   n_secrets;

static void
add_secret(const char *s)
{
	if (s == NULL || s[0] == '\0' || n_secrets >= MAX_SECRETS)
		return;
	secrets[n_secrets++] = strdup(s);
}

static void
add_phone_secret(const char *e164)
{
	add_secret(e164);
	if (strncmp(e164, "+1", 2) == 0)
		add_secret(e164 + 2);
}

/* ---- processes ------------------------------------------------------------------------------ */

static int
start_inst(int which, const char *tag, const char *const extra[])
{
	static char env_db[NINST][600], env_rpc[NINST][96], env_http[NINST][96],
	    env_admin[NINST][96], env_jobs[NINST][96];
	const char *argv[] = { PHONEAUTH_AUTH_BIN, "serve", NULL };
	const char *env[40];
	int         n = 0;

	(void) snprintf(inst[which].rpc_url, sizeof inst[which].rpc_url, "tcp://127.0.0.1:%d",
	    harness_free_port());
	(void) snprintf(env_db[which], sizeof env_db[which], "DATABASE_URL=%s", db_url);
	(void) snprintf(
	    env_rpc[which], sizeof env_rpc[which], "PHONEAUTH_RPC_URL=%s", inst[which].rpc_url);
	(void) snprintf(env_http[which], sizeof env_http[which], "PHONEAUTH_HTTP=127.0.0.1:%d",
	    harness_free_port());
	(void) snprintf(env_admin[which], sizeof env_admin[which],
	    "PHONEAUTH_ADMIN_URL=tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(env_jobs[which], sizeof env_jobs[which],
	    "PHONEAUTH_JOBS_URL=tcp://127.0.0.1:%d", harness_free_port());
	env[n++] = env_db[which];
	env[n++] = env_rpc[which];
	env[n++] = env_http[which];
	env[n++] = env_admin[which];
	env[n++] = env_jobs[which];
	env[n++] = "PHONEAUTH_PROFILE=lawnflow";
	env[n++] = "PHONEAUTH_OTP_KEY=" OTP_KEY_HEX;
	env[n++] = "PHONEAUTH_OUTBOX_KEY=" OUTBOX_KEY_HEX;
	env[n++] = "PHONEAUTH_TOKEN_KEY=" TOKEN_KEY_HEX;
	env[n++] = "PHONEAUTH_ADMIN_TOKEN=" ADMIN_TOKEN;
	env[n++] = "PHONEAUTH_PWHASH_OPS=1";
	env[n++] = "PHONEAUTH_PWHASH_MEM_KIB=8";
	env[n++] = "PHONEAUTH_DEFAULT_REGION=US";
	env[n++] = "PHONEAUTH_LOG_LEVEL=debug";
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

/* ---- database -------------------------------------------------------------------------------- */

/* Runs sql with up to two text parameters (NULL: fewer); fails the test on an error. */
static PGresult *
q(const char *sql, const char *p1, const char *p2)
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

/* First column of the first row as a malloc'd string; NULL for no row or SQL NULL. */
static char *
q1(const char *sql, const char *p1, const char *p2)
{
	PGresult *res = q(sql, p1, p2);
	char     *out = NULL;

	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		out = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

static long
qlong(const char *sql, const char *p1, const char *p2)
{
	char *s = q1(sql, p1, p2);
	long  v;

	assert_non_null(s);
	v = strtol(s, NULL, 10);
	free(s);
	return v;
}

static void
heartbeat(void)
{
	PQclear(
	    q("UPDATE sms_workers SET started_at = least(started_at, now()), last_seen_at = now()"
	      " WHERE id = 'test'",
	        NULL, NULL));
}

static long
outbox_count(const char *vid)
{
	return qlong("SELECT count(*) FROM sms_outbox WHERE verification_id::text = $1", vid, NULL);
}

static long
outbox_total(void)
{
	return qlong("SELECT count(*) FROM sms_outbox", NULL, NULL);
}

/* Opens the newest outbox row of vid with the worker's key and AD, checks the whole body against
 * the seed's SMS and writes the code into code (CODE_LEN + 1 bytes). */
static void
outbox_code(const char *vid, char *code)
{
	const char *params[1] = { vid };
	PGresult   *res;
	char       *plain = NULL, expect[256];
	size_t      plen  = 0;

	res = PQexecParams(db,
	    "SELECT verification_id::text, body_sealed FROM sms_outbox"
	    " WHERE verification_id = $1::uuid ORDER BY id DESC LIMIT 1",
	    1, NULL, params, NULL, NULL, 1);
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	if (PQntuples(res) != 1) {
		PQclear(res);
		fail_msg("no outbox row for verification %s", vid);
	}
	assert_int_equal(PQgetlength(res, 0, 0), 36);
	assert_memory_equal(PQgetvalue(res, 0, 0), vid, 36);
	if (PQgetisnull(res, 0, 1)) {
		PQclear(res);
		fail_msg("outbox body of %s is NULL", vid);
	}
	assert_int_equal(
	    pa_open(&plain, &plen, &outbox_kr, vid, strlen(vid),
	        (const unsigned char *) PQgetvalue(res, 0, 1), (size_t) PQgetlength(res, 0, 1)),
	    PA_OK);
	PQclear(res);
	assert_true(plen > strlen(SMS_PREFIX) + CODE_LEN);
	assert_memory_equal(plain, SMS_PREFIX, strlen(SMS_PREFIX));
	memcpy(code, plain + strlen(SMS_PREFIX), CODE_LEN);
	code[CODE_LEN] = '\0';
	for (int i = 0; i < CODE_LEN; i++)
		assert_true(isdigit((unsigned char) code[i]));
	(void) snprintf(expect, sizeof expect, SMS_FMT, code);
	assert_string_equal(plain, expect);
	assert_int_equal(plen, strlen(expect));
	sodium_memzero(plain, plen);
	free(plain);
	add_secret(code);
}

/* ---- small helpers --------------------------------------------------------------------------- */

static bool
is_uuid(const char *s)
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

static void
next_phone(char e164[16])
{
	(void) snprintf(e164, 16, "+1201555%04d", phone_seq++);
	add_phone_secret(e164);
}

/* n phones in different area codes sharing their last four digits, so they mask alike. */
static void
same_tail_phones(int n, char out[][16])
{
	static const char *const areas[] = { "201", "202", "212", "310", "415", "646" };
	int                      tail    = tail_seq++;

	assert_true(n <= 6);
	for (int i = 0; i < n; i++) {
		(void) snprintf(out[i], 16, "+1%s555%04d", areas[i], tail);
		add_phone_secret(out[i]);
	}
}

/* "(201) 555-0123" for "+12015550123". */
static void
national(const char *e164, char out[32])
{
	(void) snprintf(out, 32, "(%.3s) %.3s-%.4s", e164 + 2, e164 + 5, e164 + 8);
	add_secret(out);
}

static void
masked(const char *e164, char out[24])
{
	(void) snprintf(out, 24, "+1******%s", e164 + strlen(e164) - 4);
}

static void
next_email(char out[64])
{
	(void) snprintf(out, 64, "lawn.user%d@example.com", ++email_seq);
}

static void
new_ip(void)
{
	ip_seq++;
	(void) snprintf(cur_ip, sizeof cur_ip, "203.0.%d.%d", 113 + ip_seq / 250, 1 + ip_seq % 250);
}

/* A code of CODE_LEN digits that is not code. */
static void
wrong_code(const char *code, char out[CODE_LEN + 1], int delta)
{
	(void) snprintf(
	    out, CODE_LEN + 1, "%06u", ((unsigned) atoi(code) + (unsigned) delta) % 1000000u);
}

/* ---- RPC ------------------------------------------------------------------------------------- */

static void
rpc(int which, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *desc, struct pa_reply *r)
{
	Phoneauth__V1__CallerMetadata md = PHONEAUTH__V1__CALLER_METADATA__INIT;
	char                          path[96];
	pa_err                        rv;

	md.end_user_ip = cur_ip;
	md.user_agent  = "test_flows_lf";
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

#define EXPECT(r, code, reason, msg) expect_at((r), (code), (reason), (msg), __FILE__, __LINE__)

/* Checks code, reason and (when msg is not NULL) the whole message; prints the reply on a
 * mismatch. */
static void
expect_at(const struct pa_reply *r, pa_code code, pa_reason reason, const char *msg,
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

/* Everything a site (or an attacker) sees in a reply, except the verification id and, when
 * with_retry is false, retry_after_s: code, reason, message, attempts_left and the CodeSent
 * packed with its verification id blanked, as one printable string. */
static void
reply_sig(const struct pa_reply *r, const Phoneauth__V1__CodeSent *sent, bool with_retry, char *out,
    size_t outsz)
{
	char    hex[512] = "";
	uint8_t buf[256];

	if (sent != NULL) {
		Phoneauth__V1__CodeSent c = *sent;
		size_t                  n;

		c.verification_id = (char *) "";
		n                 = phoneauth__v1__code_sent__get_packed_size(&c);
		assert_true(n <= sizeof buf);
		(void) phoneauth__v1__code_sent__pack(&c, buf);
		assert_int_equal(pa_hex_encode(hex, sizeof hex, buf, n), PA_OK);
	}
	(void) snprintf(out, outsz,
	    "code=%s reason=%s message=\"%s\" retry=%u attempts_left=%s%u "
	    "sent=%s%s",
	    pa_code_name(r->code), pa_reason_name(r->reason), r->message,
	    with_retry ? r->retry_after_s : 0u,
	    r->has_attempts_left ? "" : "absent:", r->attempts_left,
	    sent != NULL ? "" : "none:", hex);
}

static void
register_acct(int which, const char *email, const char *pw, const char *phone, struct pa_reply *r)
{
	Phoneauth__V1__RegisterRequest req = PHONEAUTH__V1__REGISTER_REQUEST__INIT;

	req.email    = (char *) email;
	req.password = (char *) pw;
	req.phone    = (char *) phone;
	add_secret(pw);
	rpc(which, "RegisterAccount", &req.base, &phoneauth__v1__register_response__descriptor, r);
}

static void
check_sent(const Phoneauth__V1__CodeSent *s, const char *e164, unsigned resend_after)
{
	char m[24];

	assert_non_null(s);
	assert_true(is_uuid(s->verification_id));
	masked(e164, m);
	assert_string_equal(s->phone_masked, m);
	assert_int_equal(s->resend_after_s, resend_after);
	assert_int_equal(s->expires_in_s, 600);
	assert_int_equal(s->code_length, CODE_LEN);
}

/* Register that must answer OK: checks the reply, returns the verification id and, when code
 * is not NULL, requires exactly one outbox row and returns the code it carries. sig gets the
 * reply's signature (reply_sig) when not NULL. */
static void
register_ok(int which, const char *email, const char *pw, const char *phone, const char *e164,
    char vid[40], char *code, char *sig, size_t sigsz)
{
	struct pa_reply                  r;
	Phoneauth__V1__RegisterResponse *b;

	register_acct(which, email, pw, phone, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_REGISTERED);
	b = (Phoneauth__V1__RegisterResponse *) r.body;
	assert_non_null(b);
	check_sent(b->sent, e164, which == PRIMARY ? 30 : 1);
	(void) snprintf(vid, 40, "%s", b->sent->verification_id);
	if (sig != NULL)
		reply_sig(&r, b->sent, true, sig, sigsz);
	pa_reply_clear(&r);
	if (code != NULL) {
		assert_int_equal(outbox_count(vid), 1);
		outbox_code(vid, code);
	}
}

static void
resend(int which, const char *vid, struct pa_reply *r)
{
	Phoneauth__V1__ResendCodeRequest req = PHONEAUTH__V1__RESEND_CODE_REQUEST__INIT;

	req.verification_id = (char *) vid;
	rpc(which, "ResendCode", &req.base, &phoneauth__v1__resend_code_response__descriptor, r);
}

static void
verify(int which, const char *vid, const char *code, struct pa_reply *r)
{
	Phoneauth__V1__VerifyCodeRequest req = PHONEAUTH__V1__VERIFY_CODE_REQUEST__INIT;

	req.verification_id = (char *) vid;
	req.code            = (char *) code;
	rpc(which, "VerifyCode", &req.base, &phoneauth__v1__verify_code_response__descriptor, r);
}

/* A right code; returns the token VerifyCode gave (if token is not NULL, one is required). */
static void
verify_ok(int which, const char *vid, const char *code, char token[128])
{
	struct pa_reply                    r;
	Phoneauth__V1__VerifyCodeResponse *b;

	verify(which, vid, code, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_VERIFIED);
	b = (Phoneauth__V1__VerifyCodeResponse *) r.body;
	assert_non_null(b);
	assert_true(b->verified);
	add_secret(b->signup_token);
	if (token != NULL) {
		assert_true(strlen(b->signup_token) >= 20);
		assert_true(b->token_expires_in_s > 0);
		(void) snprintf(token, 128, "%s", b->signup_token);
	}
	pa_reply_clear(&r);
}

static void
expect_code_invalid(int which, const char *vid, const char *code, int attempts_left)
{
	struct pa_reply r;

	verify(which, vid, code, &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(CODE_INVALID), MSG_CODE_INVALID);
	assert_true(r.has_attempts_left);
	if (attempts_left >= 0)
		assert_int_equal(r.attempts_left, attempts_left);
	pa_reply_clear(&r);
}

static void
login(int which, const char *id, const char *pw, struct pa_reply *r)
{
	Phoneauth__V1__LoginRequest req = PHONEAUTH__V1__LOGIN_REQUEST__INIT;

	req.login    = (char *) id;
	req.password = (char *) pw;
	add_secret(pw);
	rpc(which, "Login", &req.base, &phoneauth__v1__login_response__descriptor, r);
}

static void
login_ok(const char *id, const char *pw, const char *user_id, char token[128])
{
	struct pa_reply               r;
	Phoneauth__V1__LoginResponse *b;

	login(PRIMARY, id, pw, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL);
	b = (Phoneauth__V1__LoginResponse *) r.body;
	assert_non_null(b);
	assert_true(strlen(b->session_token) >= 20);
	if (user_id != NULL)
		assert_string_equal(b->user_id, user_id);
	assert_true(b->expires_at_unix > (int64_t) time(NULL));
	(void) snprintf(token, 128, "%s", b->session_token);
	add_secret(token);
	pa_reply_clear(&r);
}

static void
validate(const char *token, struct pa_reply *r)
{
	Phoneauth__V1__ValidateSessionRequest req = PHONEAUTH__V1__VALIDATE_SESSION_REQUEST__INIT;

	req.session_token = (char *) token;
	rpc(PRIMARY, "ValidateSession", &req.base,
	    &phoneauth__v1__validate_session_response__descriptor, r);
}

static void
expect_session_invalid(const char *token)
{
	struct pa_reply r;

	validate(token, &r);
	EXPECT(&r, C(UNAUTHENTICATED), RS(SESSION_INVALID), MSG_SESSION_INVALID);
	pa_reply_clear(&r);
}

/* Register and verify: a user who can log in. Returns the user id. */
static void
make_user(const char *email, const char *pw, const char *e164, char user_id[64])
{
	char vid[40], code[CODE_LEN + 1], *u;

	register_ok(PRIMARY, email, pw, e164, e164, vid, code, NULL, 0);
	verify_ok(PRIMARY, vid, code, NULL);
	u = q1(
	    "SELECT id FROM users WHERE lower(email) = lower($1) AND phone_verified_at IS NOT NULL",
	    email, NULL);
	assert_non_null(u);
	(void) snprintf(user_id, 64, "%s", u);
	free(u);
}

/* ---- setup ----------------------------------------------------------------------------------- */

static int
group_setup(void **state)
{
	static const char *const fast_env[] = { "PHONEAUTH_RESEND_COOLDOWN=1s", NULL };
	PGresult                *res;

	if (pa_crypto_init() != PA_OK || pa_keyring_parse(&outbox_kr, OUTBOX_KEY_HEX) != PA_OK)
		return -1;
	add_secret(OTP_KEY_HEX);
	add_secret(OUTBOX_KEY_HEX);
	add_secret(TOKEN_KEY_HEX);
	add_secret(ADMIN_TOKEN);
	if (harness_newdb(harness_pgdir(), "t_flows_lf", db_url, sizeof db_url) != 0
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
	if (start_inst(PRIMARY, "auth_flows_lf", NULL) != 0
	    || start_inst(FAST, "auth_flows_lf_fast", fast_env) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	for (int i = 0; i < NINST; i++) {
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

/* Before each test: a fresh end-user IP and a worker seen just now. */
static int
test_setup(void **state)
{
	new_ip();
	heartbeat();
	return 0;
}

/* ---- tests ----------------------------------------------------------------------------------- */
/* The seed flow: register, code by SMS, no login before the phone is verified, then login by
 * email or phone, sessions and logout. */
static void
test_register_verify_login(void **state)
{
	char            e164[16], nat[32], email[64], vid[40], code[CODE_LEN + 1];
	char            user_id[64], s1[128], s2[128], s3[128], m[24], *v;
	const char     *pw = "green-lawn-1";
	struct pa_reply r;
	Phoneauth__V1__ValidateSessionResponse *vb;

	next_phone(e164);
	national(e164, nat);
	next_email(email);
	register_ok(PRIMARY, email, pw, nat, e164, vid, code, NULL, 0);

	/* The user exists, unverified, with the phone in E.164 and an Argon2id hash. */
	v = q1("SELECT phone_e164 FROM users WHERE email = $1 AND phone_verified_at IS NULL"
	       " AND password_hash LIKE '$argon2id$%'",
	    email, NULL);
	assert_non_null(v);
	assert_string_equal(v, e164);
	free(v);
	v = q1("SELECT purpose FROM verifications WHERE id = $1::uuid AND phone_e164 = $2"
	       " AND state = 'pending'",
	    vid, e164);
	assert_non_null(v);
	assert_string_equal(v, "register");
	free(v);

	/* Not before the phone is verified; a wrong password says nothing about that. */
	login(PRIMARY, email, pw, &r);
	EXPECT(&r, C(FAILED_PRECONDITION), RS(NOT_VERIFIED), MSG_LOGIN_NOT_VERIFIED);
	pa_reply_clear(&r);
	login(PRIMARY, e164, pw, &r);
	EXPECT(&r, C(FAILED_PRECONDITION), RS(NOT_VERIFIED), MSG_LOGIN_NOT_VERIFIED);
	pa_reply_clear(&r);
	login(PRIMARY, email, "green-lawn-2", &r);
	EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
	pa_reply_clear(&r);
	login(PRIMARY, "nobody.here@example.com", pw, &r);
	EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
	pa_reply_clear(&r);

	verify_ok(PRIMARY, vid, code, NULL);
	v = q1("SELECT id FROM users WHERE email = $1 AND phone_verified_at IS NOT NULL"
	       " AND verified_by = $2::uuid",
	    email, vid);
	assert_non_null(v);
	(void) snprintf(user_id, sizeof user_id, "%s", v);
	free(v);
	/* A code works once. */
	verify(PRIMARY, vid, code, &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(CODE_INVALID), MSG_CODE_INVALID);
	pa_reply_clear(&r);

	/* Login by email, by E.164 phone and by the national format. */
	login_ok(email, pw, user_id, s1);
	login_ok(e164, pw, user_id, s2);
	login_ok(nat, pw, user_id, s3);
	login(PRIMARY, e164, "green-lawn-2", &r);
	EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
	pa_reply_clear(&r);

	validate(s1, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL);
	vb = (Phoneauth__V1__ValidateSessionResponse *) r.body;
	assert_non_null(vb);
	assert_string_equal(vb->user_id, user_id);
	assert_string_equal(vb->email, email);
	masked(e164, m);
	assert_string_equal(vb->phone_masked, m);
	assert_true(vb->phone_verified);
	assert_true(vb->expires_at_unix > (int64_t) time(NULL));
	pa_reply_clear(&r);

	{
		Phoneauth__V1__LogoutRequest lreq = PHONEAUTH__V1__LOGOUT_REQUEST__INIT;

		lreq.session_token = s1;
		rpc(PRIMARY, "Logout", &lreq.base, &phoneauth__v1__logout_response__descriptor, &r);
		EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL);
		pa_reply_clear(&r);
	}
	expect_session_invalid(s1);
	validate(s2, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL);
	pa_reply_clear(&r);
	PQclear(q("UPDATE sessions SET expires_at = created_at + interval '1 millisecond'"
	          " WHERE user_id = $1::uuid",
	    user_id, NULL));
	harness_sleep_ms(10);
	expect_session_invalid(s2);
	expect_session_invalid(s3);
}

/* Register answers a new email, a taken email (any case) and a phone someone else verified
 * byte for byte alike; only the new registration sends an SMS, and the taken account is
 * untouched. */
static void
test_register_non_enumerating(void **state)
{
	char        ph[4][16], eA[64], eA_upper[64], eNew[64], eNew2[64], userA[64];
	char        vid[4][40], code[CODE_LEN + 1], sig[4][1024], tok[128];
	const char *pwA = "owner-pass-1", *pw = "someone-else-2";
	long        before;

	same_tail_phones(4, ph);
	next_email(eA);
	next_email(eNew);
	next_email(eNew2);
	for (size_t i = 0; i <= strlen(eA); i++)
		eA_upper[i] = (char) toupper((unsigned char) eA[i]);
	make_user(eA, pwA, ph[0], userA);

	before = outbox_total();
	register_ok(PRIMARY, eNew, pw, ph[1], ph[1], vid[0], code, sig[0], sizeof sig[0]);
	register_ok(PRIMARY, eA, pw, ph[2], ph[2], vid[1], NULL, sig[1], sizeof sig[1]);
	register_ok(PRIMARY, eA_upper, pw, ph[3], ph[3], vid[2], NULL, sig[2], sizeof sig[2]);
	register_ok(PRIMARY, eNew2, pw, ph[0], ph[0], vid[3], NULL, sig[3], sizeof sig[3]);
	for (int i = 1; i < 4; i++) {
		assert_string_equal(sig[i], sig[0]);
		assert_int_equal(outbox_count(vid[i]), 0);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(vid[i], vid[j]);
	}
	assert_int_equal(outbox_count(vid[0]), 1);
	assert_int_equal(outbox_total(), before + 1);

	/* The owner's account did not change hands or password. */
	assert_int_equal(
	    qlong("SELECT count(*) FROM users WHERE lower(email) = lower($1)", eA, NULL), 1);
	login_ok(eA, pwA, userA, tok);
	{
		struct pa_reply r;

		login(PRIMARY, eA, pw, &r);
		EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
		pa_reply_clear(&r);
		login(PRIMARY, ph[0], pwA, &r);
		EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL);
		add_secret(((Phoneauth__V1__LoginResponse *) r.body)->session_token);
		pa_reply_clear(&r);
	}
	/* The verified phone still belongs to its owner only. */
	assert_int_equal(qlong("SELECT count(*) FROM users WHERE phone_e164 = $1"
	                       " AND phone_verified_at IS NOT NULL",
	                     ph[0], NULL),
	    1);
}

/* A phantom registration (email taken) and a real one are told apart by nothing: resend refusals,
 * wrong-code replies with their attempts_left, and resends all read alike. */
static void
test_phantom_replies_identical(void **state)
{
	char            ph[3][16], eE[64], eR[64], vidR[40], vidP[40], codeR[CODE_LEN + 1];
	char            codeE[CODE_LEN + 1], vidE[40], sigR[1024], sigP[1024], bad[CODE_LEN + 1];
	struct pa_reply rR, rP;

	same_tail_phones(3, ph);
	next_email(eE);
	next_email(eR);
	/* eE exists (registered, not even verified). */
	register_ok(FAST, eE, "first-owner-1", ph[0], ph[0], vidE, codeE, NULL, 0);

	new_ip();
	register_ok(FAST, eR, "real-person-1", ph[1], ph[1], vidR, codeR, sigR, sizeof sigR);
	new_ip();
	register_ok(FAST, eE, "phantom-try-1", ph[2], ph[2], vidP, NULL, sigP, sizeof sigP);
	assert_string_equal(sigP, sigR);
	assert_int_equal(outbox_count(vidP), 0);

	/* Inside the primary's 30 s cooldown: both refused alike. */
	resend(PRIMARY, vidR, &rR);
	resend(PRIMARY, vidP, &rP);
	EXPECT(&rR, C(RESOURCE_EXHAUSTED), RS(RESEND_TOO_SOON), MSG_RESEND_SOON);
	EXPECT(&rP, C(RESOURCE_EXHAUSTED), RS(RESEND_TOO_SOON), MSG_RESEND_SOON);
	assert_true(rR.retry_after_s > 0 && rR.retry_after_s <= 30);
	assert_true(rP.retry_after_s > 0 && rP.retry_after_s <= 30);
	reply_sig(&rR, NULL, false, sigR, sizeof sigR);
	reply_sig(&rP, NULL, false, sigP, sizeof sigP);
	assert_string_equal(sigP, sigR);
	pa_reply_clear(&rR);
	pa_reply_clear(&rP);

	/* A wrong code: same message, same attempts left. */
	wrong_code(codeR, bad, 1);
	verify(PRIMARY, vidR, bad, &rR);
	verify(PRIMARY, vidP, bad, &rP);
	EXPECT(&rR, C(INVALID_ARGUMENT), RS(CODE_INVALID), MSG_CODE_INVALID);
	assert_true(rR.has_attempts_left);
	assert_int_equal(rR.attempts_left, 4);
	reply_sig(&rR, NULL, true, sigR, sizeof sigR);
	reply_sig(&rP, NULL, true, sigP, sizeof sigP);
	assert_string_equal(sigP, sigR);
	pa_reply_clear(&rR);
	pa_reply_clear(&rP);

	/* Past the fast instance's 1 s cooldown: both "resent", only the real one by SMS. */
	harness_sleep_ms(1300);
	resend(FAST, vidR, &rR);
	resend(FAST, vidP, &rP);
	EXPECT(&rR, C(OK), RS(REASON_UNSPECIFIED), MSG_OTP_SENT);
	EXPECT(&rP, C(OK), RS(REASON_UNSPECIFIED), MSG_OTP_SENT);
	check_sent(((Phoneauth__V1__ResendCodeResponse *) rR.body)->sent, ph[1], 1);
	reply_sig(
	    &rR, ((Phoneauth__V1__ResendCodeResponse *) rR.body)->sent, true, sigR, sizeof sigR);
	reply_sig(
	    &rP, ((Phoneauth__V1__ResendCodeResponse *) rP.body)->sent, true, sigP, sizeof sigP);
	assert_string_equal(sigP, sigR);
	assert_string_equal(
	    ((Phoneauth__V1__ResendCodeResponse *) rP.body)->sent->verification_id, vidP);
	pa_reply_clear(&rR);
	pa_reply_clear(&rP);
	assert_int_equal(outbox_count(vidR), 2);
	assert_int_equal(outbox_count(vidP), 0);
	outbox_code(vidR, codeR);

	/* Another wrong code each: still alike. */
	wrong_code(codeR, bad, 2);
	verify(PRIMARY, vidR, bad, &rR);
	verify(PRIMARY, vidP, bad, &rP);
	EXPECT(&rR, C(INVALID_ARGUMENT), RS(CODE_INVALID), MSG_CODE_INVALID);
	reply_sig(&rR, NULL, true, sigR, sizeof sigR);
	reply_sig(&rP, NULL, true, sigP, sizeof sigP);
	assert_string_equal(sigP, sigR);
	pa_reply_clear(&rR);
	pa_reply_clear(&rP);

	/* The real person verifies; the phantom's code, never sent, cannot be had. */
	verify_ok(PRIMARY, vidR, codeR, NULL);
	verify(PRIMARY, vidP, codeR, &rP);
	EXPECT(&rP, C(INVALID_ARGUMENT), RS(CODE_INVALID), MSG_CODE_INVALID);
	pa_reply_clear(&rP);
	/* The taken email still has its first owner's phone and is still unverified. */
	{
		char *v = q1(
		    "SELECT phone_e164 FROM users WHERE email = $1 AND phone_verified_at IS NULL",
		    eE, NULL);

		assert_non_null(v);
		assert_string_equal(v, ph[0]);
		free(v);
	}
}

/* Five tries per code, counted down, then even the right code is refused. */
static void
test_tries_per_code(void **state)
{
	char            e164[16], email[64], vid[40], code[CODE_LEN + 1], bad[CODE_LEN + 1];
	struct pa_reply r;

	next_phone(e164);
	next_email(email);
	register_ok(PRIMARY, email, "tries-pass-1", e164, e164, vid, code, NULL, 0);
	for (int i = 0; i < 5; i++) {
		wrong_code(code, bad, i + 1);
		expect_code_invalid(PRIMARY, vid, bad, 4 - i);
	}
	verify(PRIMARY, vid, code, &r);
	EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(TOO_MANY_ATTEMPTS), MSG_TOO_MANY);
	pa_reply_clear(&r);
	assert_int_equal(
	    qlong("SELECT attempts FROM verifications WHERE id = $1::uuid", vid, NULL), 5);
	assert_int_equal(qlong("SELECT count(*) FROM users WHERE email = $1"
	                       " AND phone_verified_at IS NULL",
	                     email, NULL),
	    1);
}

struct guess_arg {
	const char *vid, *code;
	pa_err      rv;
	pa_code     code_out;
	pa_reason   reason;
	bool        has_left;
	char        message[160];
};

static void *
guess_worker(void *p)
{
	struct guess_arg                *a   = p;
	Phoneauth__V1__VerifyCodeRequest req = PHONEAUTH__V1__VERIFY_CODE_REQUEST__INIT;
	Phoneauth__V1__CallerMetadata    md  = PHONEAUTH__V1__CALLER_METADATA__INIT;
	struct pa_reply                  r;

	md.end_user_ip      = cur_ip;
	req.verification_id = (char *) a->vid;
	req.code            = (char *) a->code;
	a->rv = pa_client_call(inst[PRIMARY].client, "/phoneauth.v1.Auth/VerifyCode", &req.base,
	    &phoneauth__v1__verify_code_response__descriptor, &md, &r);
	if (a->rv == PA_OK) {
		a->code_out = r.code;
		a->reason   = r.reason;
		a->has_left = r.has_attempts_left;
		(void) snprintf(a->message, sizeof a->message, "%s", r.message);
		pa_reply_clear(&r);
	}
	return NULL;
}

/* 100 wrong guesses at once on one code: exactly five are counted, the rest refused. */
static void
test_concurrent_wrong_codes(void **state)
{
	enum { N = 100 };
	char             e164[16], email[64], vid[40], code[CODE_LEN + 1], bad[CODE_LEN + 1];
	pthread_t        th[N];
	struct guess_arg args[N];
	int              invalid = 0, exhausted = 0, other = 0;
	struct pa_reply  r;

	next_phone(e164);
	next_email(email);
	register_ok(PRIMARY, email, "swarm-pass-1", e164, e164, vid, code, NULL, 0);
	wrong_code(code, bad, 1);
	for (int i = 0; i < N; i++) {
		args[i] = (struct guess_arg) { .vid = vid, .code = bad };
		assert_int_equal(pthread_create(&th[i], NULL, guess_worker, &args[i]), 0);
	}
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < N; i++) {
		if (args[i].rv != PA_OK) {
			print_error("call %d: %s\n", i, pa_strerror(args[i].rv));
			other++;
		} else if (args[i].code_out == C(INVALID_ARGUMENT)
		    && args[i].reason == RS(CODE_INVALID)
		    && strcmp(args[i].message, MSG_CODE_INVALID) == 0) {
			invalid++;
		} else if (args[i].code_out == C(RESOURCE_EXHAUSTED)
		    && args[i].reason == RS(TOO_MANY_ATTEMPTS)
		    && strcmp(args[i].message, MSG_TOO_MANY) == 0) {
			exhausted++;
		} else {
			print_error("call %d: %s/%s \"%s\"\n", i, pa_code_name(args[i].code_out),
			    pa_reason_name(args[i].reason), args[i].message);
			other++;
		}
	}
	print_message(
	    "  CODE_INVALID %d, TOO_MANY_ATTEMPTS %d, other %d\n", invalid, exhausted, other);
	assert_int_equal(other, 0);
	assert_int_equal(invalid, 5);
	assert_int_equal(exhausted, N - 5);
	assert_int_equal(
	    qlong("SELECT attempts FROM verifications WHERE id = $1::uuid", vid, NULL), 5);
	verify(PRIMARY, vid, code, &r);
	EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(TOO_MANY_ATTEMPTS), MSG_TOO_MANY);
	pa_reply_clear(&r);
}

/* Five sends per phone per hour, whatever the IP. */
static void
test_send_limit(void **state)
{
	char            e164[16], email[64], vid[40], code[CODE_LEN + 1];
	struct pa_reply r;

	next_phone(e164);
	next_email(email);
	register_ok(FAST, email, "limit-pass-1", e164, e164, vid, code, NULL, 0);
	for (int i = 2; i <= 5; i++) {
		harness_sleep_ms(1200);
		new_ip();
		resend(FAST, vid, &r);
		EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_OTP_SENT);
		pa_reply_clear(&r);
		assert_int_equal(outbox_count(vid), i);
	}
	outbox_code(vid, code);
	harness_sleep_ms(1200);
	new_ip();
	resend(FAST, vid, &r);
	EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(SEND_LIMIT), MSG_SEND_LIMIT);
	assert_true(r.retry_after_s > 0 && r.retry_after_s <= 3600);
	pa_reply_clear(&r);
	assert_int_equal(
	    qlong("SELECT count(*) FROM sms_outbox WHERE phone_e164 = $1", e164, NULL), 5);
	/* The last code sent still works. */
	verify_ok(FAST, vid, code, NULL);
}

static void
test_code_expired(void **state)
{
	char e164[16], email[64], vid[40], code[CODE_LEN + 1];

	next_phone(e164);
	next_email(email);
	register_ok(PRIMARY, email, "expiry-pass-1", e164, e164, vid, code, NULL, 0);
	PQclear(q("UPDATE verifications SET expires_at = now() - interval '1 second'"
	          " WHERE id = $1::uuid",
	    vid, NULL));
	expect_code_invalid(PRIMARY, vid, code, -1);
	assert_int_equal(qlong("SELECT count(*) FROM users WHERE email = $1"
	                       " AND phone_verified_at IS NULL",
	                     email, NULL),
	    1);
}

static void
test_register_invalid_input(void **state)
{
	char            e164[16], email[64];
	struct pa_reply r;
	long            users_before = qlong("SELECT count(*) FROM users", NULL, NULL);
	long            before       = outbox_total();

	next_phone(e164);
	next_email(email);
	register_acct(PRIMARY, "not-an-email", "valid-pass-1", e164, &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(INVALID_EMAIL), MSG_INVALID_EMAIL);
	pa_reply_clear(&r);
	register_acct(PRIMARY, email, "valid-pass-1", "+1 123 555 0123", &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(INVALID_PHONE), NULL);
	pa_reply_clear(&r);
	register_acct(PRIMARY, email, "valid-pass-1", "+1 900 234 5678", &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(PHONE_PREMIUM), NULL);
	pa_reply_clear(&r);
	register_acct(PRIMARY, email, "valid-pass-1", "+44 7400 123456", &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(COUNTRY_NOT_ALLOWED), NULL);
	pa_reply_clear(&r);
	register_acct(PRIMARY, email, "short7!", e164, &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(PASSWORD_POLICY), MSG_PW_POLICY);
	pa_reply_clear(&r);
	assert_int_equal(qlong("SELECT count(*) FROM users", NULL, NULL), users_before);
	assert_int_equal(outbox_total(), before);
}

static void
test_password_reset(void **state)
{
	char ph[2][16], email[64], user_id[64], s1[128], s2[128], vid[40], code[CODE_LEN + 1];
	char token[128], sig_real[1024], sig_unknown[1024];
	const char                              *pw = "old-garden-1", *npw = "new-garden-2";
	struct pa_reply                          r;
	Phoneauth__V1__StartPasswordResetRequest sreq
	    = PHONEAUTH__V1__START_PASSWORD_RESET_REQUEST__INIT;
	Phoneauth__V1__StartPasswordResetResponse  *sb;
	Phoneauth__V1__CompletePasswordResetRequest creq
	    = PHONEAUTH__V1__COMPLETE_PASSWORD_RESET_REQUEST__INIT;
	Phoneauth__V1__CompletePasswordResetResponse *cb;
	long                                          before;

	add_secret(npw);
	same_tail_phones(2, ph);
	next_email(email);
	make_user(email, pw, ph[0], user_id);
	login_ok(email, pw, user_id, s1);
	login_ok(ph[0], pw, user_id, s2);

	/* Non-enumerating: the reply for a real account and an unknown phone is the same but for
	 * the verification id; only the real one sends an SMS. (Whether the masked phone is shown
	 * is the server's choice, as long as it is the same for both.) Unknown email: below. */
	before = outbox_total();
	for (int i = 0; i < 2; i++) {
		const char *who[2] = { email, ph[1] };

		sreq.login = (char *) who[i];
		rpc(PRIMARY, "StartPasswordReset", &sreq.base,
		    &phoneauth__v1__start_password_reset_response__descriptor, &r);
		EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_RESET_STARTED);
		sb = (Phoneauth__V1__StartPasswordResetResponse *) r.body;
		assert_non_null(sb);
		assert_non_null(sb->sent);
		print_message("  reset for %-26s verification_id=\"%s\" phone_masked=\"%s\" "
		              "resend_after_s=%u expires_in_s=%u code_length=%u\n",
		    i == 0 ? "a real account" : "an unknown phone", sb->sent->verification_id,
		    sb->sent->phone_masked, sb->sent->resend_after_s, sb->sent->expires_in_s,
		    sb->sent->code_length);
		reply_sig(&r, sb->sent, true, i == 0 ? sig_real : sig_unknown, sizeof sig_real);
		if (i == 0) {
			(void) snprintf(vid, sizeof vid, "%s", sb->sent->verification_id);
			assert_true(is_uuid(vid));
			assert_int_equal(sb->sent->resend_after_s, 30);
			assert_int_equal(sb->sent->expires_in_s, 600);
			assert_int_equal(sb->sent->code_length, CODE_LEN);
		} else {
			assert_true(is_uuid(sb->sent->verification_id));
			assert_string_equal(sig_unknown, sig_real);
		}
		pa_reply_clear(&r);
	}
	assert_int_equal(outbox_count(vid), 1);
	assert_int_equal(outbox_total(), before + 1);
	outbox_code(vid, code);

	verify_ok(PRIMARY, vid, code, token);
	creq.reset_token      = token;
	creq.password         = (char *) npw;
	creq.password_confirm = "new-garden-3";
	add_secret("new-garden-3");
	rpc(PRIMARY, "CompletePasswordReset", &creq.base,
	    &phoneauth__v1__complete_password_reset_response__descriptor, &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(PASSWORD_MISMATCH), MSG_PW_MISMATCH);
	pa_reply_clear(&r);
	creq.password = creq.password_confirm = "short";
	rpc(PRIMARY, "CompletePasswordReset", &creq.base,
	    &phoneauth__v1__complete_password_reset_response__descriptor, &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(PASSWORD_POLICY), MSG_PW_POLICY);
	pa_reply_clear(&r);
	creq.password = creq.password_confirm = (char *) npw;
	rpc(PRIMARY, "CompletePasswordReset", &creq.base,
	    &phoneauth__v1__complete_password_reset_response__descriptor, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_RESET_DONE);
	cb = (Phoneauth__V1__CompletePasswordResetResponse *) r.body;
	assert_non_null(cb);
	assert_string_equal(cb->user_id, user_id);
	pa_reply_clear(&r);

	expect_session_invalid(s1);
	expect_session_invalid(s2);
	login(PRIMARY, email, pw, &r);
	EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
	pa_reply_clear(&r);
	login_ok(email, npw, user_id, s1);
	login_ok(ph[0], npw, user_id, s2);

	/* The reset token works once. */
	creq.password = creq.password_confirm = "third-garden-4";
	add_secret(creq.password);
	rpc(PRIMARY, "CompletePasswordReset", &creq.base,
	    &phoneauth__v1__complete_password_reset_response__descriptor, &r);
	assert_int_not_equal(r.code, C(OK));
	pa_reply_clear(&r);
	login_ok(email, npw, user_id, s1);
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
				if (is_uuid(tmp))
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

static void
test_no_secrets_in_logs(void **state)
{
	int leaks = 0;

	assert_true(n_secrets > 20);
	for (int w = 0; w < NINST; w++) {
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

/* StartPasswordReset by email: an unknown email must read exactly like a known one. */
static void
test_reset_unknown_email_identical(void **state)
{
	char                                     e164[16], email[64], user_id[64], sig[2][1024];
	long                                     before;
	struct pa_reply                          r;
	Phoneauth__V1__StartPasswordResetRequest sreq
	    = PHONEAUTH__V1__START_PASSWORD_RESET_REQUEST__INIT;
	Phoneauth__V1__StartPasswordResetResponse *sb;

	next_phone(e164);
	next_email(email);
	make_user(email, "reset-probe-1", e164, user_id);
	before = outbox_total();
	for (int i = 0; i < 2; i++) {
		sreq.login = i == 0 ? email : (char *) "nobody.at.all@example.com";
		rpc(PRIMARY, "StartPasswordReset", &sreq.base,
		    &phoneauth__v1__start_password_reset_response__descriptor, &r);
		EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_RESET_STARTED);
		sb = (Phoneauth__V1__StartPasswordResetResponse *) r.body;
		assert_non_null(sb);
		assert_non_null(sb->sent);
		reply_sig(&r, sb->sent, true, sig[i], sizeof sig[i]);
		print_message("  %s: verification_id=\"%s\" %s\n", i == 0 ? "known  " : "unknown",
		    sb->sent->verification_id, sig[i]);
		assert_true(is_uuid(sb->sent->verification_id));
		pa_reply_clear(&r);
	}
	assert_string_equal(sig[1], sig[0]);
	assert_int_equal(outbox_total(), before + 1);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, test_setup)
	const struct CMUnitTest tests[] = {
		T(test_register_verify_login),
		T(test_register_non_enumerating),
		T(test_phantom_replies_identical),
		T(test_tries_per_code),
		T(test_concurrent_wrong_codes),
		T(test_send_limit),
		T(test_code_expired),
		T(test_register_invalid_input),
		T(test_password_reset),
		T(test_reset_unknown_email_identical),
		T(test_no_secrets_in_logs),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
