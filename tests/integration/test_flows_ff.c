/* test_flows_ff.c: the Fancy Feathers flows end to end through the real phoneauth-auth binary
 * and a real PostgreSQL: subscription match, 4-digit codes read back from the sealed outbox,
 * resend, tries per code and per phone, send and IP limits, account creation, login, lockout,
 * sessions, password reset, and no secret in the log.
 *
 * Two auth instances share one database: "primary" runs the profile as shipped (30 s cooldown,
 * 300 s codes), "fast" runs it with a 1 s resend cooldown and 3 sends per IP per hour, for the
 * tests that must get past a cooldown or reach the IP limit quickly. */
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

#include <libpq-fe.h>

#include "common/crypto.h"
#include "common/rpc.h"
#include "harness.h"
#include "phoneauth/v1/auth.pb-c.h"

#define OTP_KEY_HEX "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define OUTBOX_KEY_HEX "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
#define TOKEN_KEY_HEX "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"
#define ADMIN_TOKEN "ff-admin-token-d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4"

/* The fancy-feathers messages, verbatim from libcommon/src/policy.c. */
#define MSG_OTP_SENT "An OTP has been sent to your mobile number. Please enter it below to verify."
#define MSG_SUB_MISMATCH "The mobile number must match the one used during subscription."
#define MSG_CODE_INVALID "Invalid or expired OTP. Please try again."
#define MSG_TOO_MANY "Maximum OTP attempts reached. Try again later."
#define MSG_RESEND_SOON "Please wait before requesting a new OTP."
#define MSG_SEND_LIMIT "Too many OTP requests. Try again later."
#define MSG_NOT_VERIFIED_CREATE "Please verify your mobile number before creating an account."
#define MSG_ACCOUNT_CREATED                                                                   \
	"Your account has been created successfully. You can now log in using your verified " \
	"mobile number and password."
#define MSG_LOGIN_INVALID "Invalid mobile number or password."
#define MSG_LOGIN_NOT_VERIFIED "Please verify your mobile number before logging in."
#define MSG_LOGIN_LOCKED "Too many failed login attempts. Try again later."
#define MSG_PW_POLICY                                                                        \
	"Password must be at least 8 characters and include 1 capital letter, 1 number and " \
	"1 special character."
#define MSG_PW_MISMATCH "Passwords do not match."
#define MSG_VERIFIED "OTP verified successfully!"
#define MSG_RESET_STARTED                                                                  \
	"An OTP has been sent to your mobile number. Please enter it below to reset your " \
	"password."
#define MSG_RESET_DONE                                                                        \
	"Your password has been reset. You can now log in using your verified mobile number " \
	"and password."
#define MSG_SMS_UNAVAILABLE "SMS verification is not available right now."
#define MSG_RATE_LIMITED_IP "Too many requests. Try again later."
#define MSG_ACCOUNT_EXISTS "An account with this mobile number already exists. Please log in."
#define MSG_SESSION_INVALID "Your session has expired. Please log in again."

#define SMS_PREFIX "Fancy Feathers: Your verification code is "
#define SMS_FMT "Fancy Feathers: Your verification code is %s.\nIt will expire in 5 minutes."
#define CODE_LEN 4

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
static int               ip_seq, phone_seq = 100, sub_seq;

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

/* A phone: its E.164 form, its 10 national digits, and whatever raw form a test typed. */
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
	env[n++] = "PHONEAUTH_PROFILE=fancy-feathers";
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
	return qlong("SELECT count(*) FROM sms_outbox WHERE verification_id = $1::uuid", vid, NULL);
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
	    "SELECT verification_id::text, body_sealed, phone_e164 FROM sms_outbox"
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
next_sub(char out[32])
{
	(void) snprintf(out, 32, "ff-sub-%d", ++sub_seq);
}

static void
new_ip(void)
{
	ip_seq++;
	(void) snprintf(
	    cur_ip, sizeof cur_ip, "198.51.%d.%d", 100 + ip_seq / 250, 1 + ip_seq % 250);
}

/* A code of CODE_LEN digits that is not code. */
static void
wrong_code(const char *code, char out[CODE_LEN + 1], int delta)
{
	(void) snprintf(
	    out, CODE_LEN + 1, "%04u", ((unsigned) atoi(code) + (unsigned) delta) % 10000u);
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
	md.user_agent  = "test_flows_ff";
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

static void
link_sub(int which, const char *sub, const char *phone)
{
	Phoneauth__V1__LinkSubscriptionRequest req = PHONEAUTH__V1__LINK_SUBSCRIPTION_REQUEST__INIT;
	struct pa_reply                        r;

	req.subscription_id = (char *) sub;
	req.phone           = (char *) phone;
	rpc(which, "LinkSubscription", &req.base,
	    &phoneauth__v1__link_subscription_response__descriptor, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL);
	pa_reply_clear(&r);
}

static void
start_signup(int which, const char *sub, const char *phone, struct pa_reply *r)
{
	Phoneauth__V1__StartSignupRequest req = PHONEAUTH__V1__START_SIGNUP_REQUEST__INIT;

	req.subscription_id = (char *) sub;
	req.phone           = (char *) phone;
	rpc(which, "StartSignup", &req.base, &phoneauth__v1__start_signup_response__descriptor, r);
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
	assert_int_equal(s->expires_in_s, 300);
	assert_int_equal(s->code_length, CODE_LEN);
}

/* StartSignup that must succeed: checks the reply and the outbox row, returns the verification
 * id and the code that was sent. */
static void
start_ok(int which, const char *sub, const char *phone, const char *e164, char vid[40],
    char code[CODE_LEN + 1])
{
	struct pa_reply                     r;
	Phoneauth__V1__StartSignupResponse *b;

	start_signup(which, sub, phone, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_OTP_SENT);
	b = (Phoneauth__V1__StartSignupResponse *) r.body;
	assert_non_null(b);
	check_sent(b->sent, e164, which == PRIMARY ? 30 : 1);
	(void) snprintf(vid, 40, "%s", b->sent->verification_id);
	pa_reply_clear(&r);
	assert_int_equal(outbox_count(vid), 1);
	outbox_code(vid, code);
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

/* A right code: returns the signup (or reset) token. */
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
	assert_non_null(b->signup_token);
	assert_true(strlen(b->signup_token) >= 20);
	assert_true(b->token_expires_in_s > 0);
	(void) snprintf(token, 128, "%s", b->signup_token);
	add_secret(token);
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
create_account(
    int which, const char *token, const char *pw, const char *confirm, struct pa_reply *r)
{
	Phoneauth__V1__CreateAccountRequest req = PHONEAUTH__V1__CREATE_ACCOUNT_REQUEST__INIT;

	req.signup_token     = (char *) token;
	req.password         = (char *) pw;
	req.password_confirm = (char *) confirm;
	rpc(which, "CreateAccount", &req.base, &phoneauth__v1__create_account_response__descriptor,
	    r);
}

static void
login(int which, const char *id, const char *pw, struct pa_reply *r)
{
	Phoneauth__V1__LoginRequest req = PHONEAUTH__V1__LOGIN_REQUEST__INIT;

	req.login    = (char *) id;
	req.password = (char *) pw;
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
	EXPECT(&r, C(UNAUTHENTICATED), RS(SESSION_INVALID), NULL);
	pa_reply_clear(&r);
}

/* Link, start, read the code, verify, create the account; returns the user id. */
static void
make_account(const char *e164, const char *pw, char user_id[64], char vid_out[40])
{
	char                                  sub[32], vid[40], code[CODE_LEN + 1], token[128];
	struct pa_reply                       r;
	Phoneauth__V1__CreateAccountResponse *b;

	add_secret(pw);
	next_sub(sub);
	link_sub(PRIMARY, sub, e164);
	start_ok(PRIMARY, sub, e164, e164, vid, code);
	verify_ok(PRIMARY, vid, code, token);
	create_account(PRIMARY, token, pw, pw, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_ACCOUNT_CREATED);
	b = (Phoneauth__V1__CreateAccountResponse *) r.body;
	assert_non_null(b);
	assert_true(is_uuid(b->user_id));
	assert_string_equal(b->login_id, e164);
	(void) snprintf(user_id, 64, "%s", b->user_id);
	if (vid_out != NULL)
		(void) snprintf(vid_out, 40, "%s", vid);
	pa_reply_clear(&r);
}

/* ---- setup ----------------------------------------------------------------------------------- */

static int
group_setup(void **state)
{
	static const char *const fast_env[]
	    = { "PHONEAUTH_RESEND_COOLDOWN=1s", "PHONEAUTH_SENDS_PER_IP_HOUR=3", NULL };
	PGresult *res;

	if (pa_crypto_init() != PA_OK || pa_keyring_parse(&outbox_kr, OUTBOX_KEY_HEX) != PA_OK)
		return -1;
	add_secret(OTP_KEY_HEX);
	add_secret(OUTBOX_KEY_HEX);
	add_secret(TOKEN_KEY_HEX);
	add_secret(ADMIN_TOKEN);
	if (harness_newdb(harness_pgdir(), "t_flows_ff", db_url, sizeof db_url) != 0
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
	if (start_inst(PRIMARY, "auth_flows_ff", NULL) != 0
	    || start_inst(FAST, "auth_flows_ff_fast", fast_env) != 0)
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

static void
test_link_subscription(void **state)
{
	Phoneauth__V1__LinkSubscriptionRequest req = PHONEAUTH__V1__LINK_SUBSCRIPTION_REQUEST__INIT;
	Phoneauth__V1__LinkSubscriptionResponse *b;
	struct pa_reply                          r;
	char                                     e164[16], nat[32], sub[32], m[24], *stored;

	next_phone(e164);
	national(e164, nat);
	next_sub(sub);
	req.subscription_id = sub;
	req.phone           = nat;
	rpc(PRIMARY, "LinkSubscription", &req.base,
	    &phoneauth__v1__link_subscription_response__descriptor, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL);
	b = (Phoneauth__V1__LinkSubscriptionResponse *) r.body;
	assert_non_null(b);
	assert_string_equal(b->subscription_id, sub);
	masked(e164, m);
	assert_string_equal(b->phone_masked, m);
	pa_reply_clear(&r);
	stored = q1("SELECT phone_e164 FROM subscriptions WHERE id = $1", sub, NULL);
	assert_non_null(stored);
	assert_string_equal(stored, e164);
	free(stored);
}

static void
test_start_signup_bad_phone(void **state)
{
	static const struct {
		const char *phone;
		pa_reason   reason;
	} cases[] = {
		{ "not a phone", RS(INVALID_PHONE) },
		{ "+1 123 555 0123", RS(INVALID_PHONE) },
		{ "+1 201 555 012", RS(INVALID_PHONE) },
		{ "+44 20 7946 0958", RS(PHONE_NOT_MOBILE) },
		{ "+1 900 234 5678", RS(PHONE_PREMIUM) },
		{ "+1 800 234 5678", RS(PHONE_PREMIUM) },
		{ "+44 7400 123456", RS(COUNTRY_NOT_ALLOWED) },
	};
	char e164[16], sub[32];
	long before  = qlong("SELECT count(*) FROM sms_outbox", NULL, NULL);
	long vbefore = qlong("SELECT count(*) FROM verifications", NULL, NULL);

	next_phone(e164);
	next_sub(sub);
	link_sub(PRIMARY, sub, e164);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pa_reply r;

		start_signup(PRIMARY, sub, cases[i].phone, &r);
		print_message("  %-20s -> %s/%s \"%s\"\n", cases[i].phone, pa_code_name(r.code),
		    pa_reason_name(r.reason), r.message);
		EXPECT(&r, C(INVALID_ARGUMENT), cases[i].reason, NULL);
		assert_true(r.message[0] != '\0');
		pa_reply_clear(&r);
	}
	assert_int_equal(qlong("SELECT count(*) FROM sms_outbox", NULL, NULL), before);
	assert_int_equal(qlong("SELECT count(*) FROM verifications", NULL, NULL), vbefore);
}

static void
test_start_signup_subscription_rules(void **state)
{
	char            e164[16], other[16], sub[32];
	struct pa_reply r;
	long            before = qlong("SELECT count(*) FROM sms_outbox", NULL, NULL);

	next_phone(e164);
	next_phone(other);
	next_sub(sub);
	link_sub(PRIMARY, sub, e164);

	/* The profile requires a subscription. */
	start_signup(PRIMARY, "", e164, &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(MISSING_FIELD), NULL);
	pa_reply_clear(&r);

	start_signup(PRIMARY, "ff-sub-does-not-exist", e164, &r);
	EXPECT(&r, C(FAILED_PRECONDITION), RS(SUBSCRIPTION_NOT_FOUND), NULL);
	pa_reply_clear(&r);

	/* The seed's first rule: the number must be the subscription's. */
	start_signup(PRIMARY, sub, other, &r);
	EXPECT(&r, C(FAILED_PRECONDITION), RS(SUBSCRIPTION_MISMATCH), MSG_SUB_MISMATCH);
	pa_reply_clear(&r);

	assert_int_equal(qlong("SELECT count(*) FROM sms_outbox", NULL, NULL), before);
	assert_int_equal(
	    qlong("SELECT count(*) FROM verifications WHERE phone_e164 IN ($1, $2)", e164, other),
	    0);
}

static void
test_sms_unavailable(void **state)
{
	char            e164[16], sub[32];
	struct pa_reply r;

	next_phone(e164);
	next_sub(sub);
	link_sub(PRIMARY, sub, e164);
	/* The only worker was last seen a minute ago: not alive. */
	PQclear(q("UPDATE sms_workers SET started_at = now() - interval '2 minutes',"
	          " last_seen_at = now() - interval '1 minute' WHERE id = 'test'",
	    NULL, NULL));
	harness_sleep_ms(1200); /* past any per-worker health cache */
	start_signup(PRIMARY, sub, e164, &r);
	heartbeat();
	EXPECT(&r, C(UNAVAILABLE), RS(SMS_UNAVAILABLE), MSG_SMS_UNAVAILABLE);
	pa_reply_clear(&r);
	assert_int_equal(
	    qlong("SELECT count(*) FROM sms_outbox WHERE phone_e164 = $1", e164, NULL), 0);
	harness_sleep_ms(1200); /* let every cache see the worker again */
}

/* The whole seed flow: subscription, code by SMS, verify, password, login, session. */
static void
test_signup_flow(void **state)
{
	char            e164[16], nat[32], sub[32], vid[40], code[CODE_LEN + 1];
	char            token[128], s1[128], s2[128], m[24], *v;
	const char     *pw = "Feathers#2024";
	struct pa_reply r;
	Phoneauth__V1__CreateAccountResponse   *cb;
	Phoneauth__V1__ValidateSessionResponse *vb;
	char                                    user_id[64];

	add_secret(pw);
	next_phone(e164);
	national(e164, nat);
	next_sub(sub);
	link_sub(PRIMARY, sub, e164);
	/* Typed in national format: normalised and matched against the subscription. */
	start_ok(PRIMARY, sub, nat, e164, vid, code);
	v = q1("SELECT phone_e164 FROM verifications WHERE id = $1::uuid AND state = 'pending'"
	       " AND purpose = 'signup'",
	    vid, NULL);
	assert_non_null(v);
	assert_string_equal(v, e164);
	free(v);
	v = q1("SELECT phone_e164 FROM sms_outbox WHERE verification_id = $1::uuid", vid, NULL);
	assert_string_equal(v, e164);
	free(v);

	verify_ok(PRIMARY, vid, code, token);
	v = q1("SELECT state FROM verifications WHERE id = $1::uuid AND verified_at IS NOT NULL",
	    vid, NULL);
	assert_non_null(v);
	free(v);
	/* A code works once (attempts_left: test_code_single_use). */
	verify(PRIMARY, vid, code, &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(CODE_INVALID), MSG_CODE_INVALID);
	pa_reply_clear(&r);

	/* Password rules, each refused without using up the token. */
	add_secret("Feathers#2025");
	create_account(PRIMARY, token, pw, "Feathers#2025", &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(PASSWORD_MISMATCH), MSG_PW_MISMATCH);
	pa_reply_clear(&r);
	{
		static const char *const weak[]
		    = { "Fea#1a", "feathers#2024", "Feathers#", "Feathers2024", "" };

		for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++) {
			add_secret(weak[i]);
			create_account(PRIMARY, token, weak[i], weak[i], &r);
			EXPECT(&r, C(INVALID_ARGUMENT), RS(PASSWORD_POLICY), MSG_PW_POLICY);
			pa_reply_clear(&r);
		}
	}
	{
		char longpw[200];

		memset(longpw, 'A', sizeof longpw - 1);
		longpw[sizeof longpw - 1] = '\0';
		memcpy(longpw, "Aa1#", 4);
		create_account(PRIMARY, token, longpw, longpw, &r);
		EXPECT(&r, C(INVALID_ARGUMENT), RS(PASSWORD_POLICY), NULL);
		pa_reply_clear(&r);
	}
	create_account(PRIMARY, token, pw, pw, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_ACCOUNT_CREATED);
	cb = (Phoneauth__V1__CreateAccountResponse *) r.body;
	assert_non_null(cb);
	assert_true(is_uuid(cb->user_id));
	assert_string_equal(cb->login_id, e164);
	(void) snprintf(user_id, sizeof user_id, "%s", cb->user_id);
	pa_reply_clear(&r);

	/* The user row: the verified phone is the id, verified by this verification. */
	v = q1("SELECT phone_e164 FROM users WHERE id = $1::uuid AND phone_verified_at IS NOT NULL"
	       " AND verified_by = $2::uuid AND password_hash LIKE '$argon2id$%'",
	    user_id, vid);
	assert_non_null(v);
	assert_string_equal(v, e164);
	free(v);

	/* The token works once. */
	create_account(PRIMARY, token, pw, pw, &r);
	EXPECT(&r, C(FAILED_PRECONDITION), RS(NOT_VERIFIED), MSG_NOT_VERIFIED_CREATE);
	pa_reply_clear(&r);

	/* Login with E.164 and with the national format. */
	login_ok(e164, pw, user_id, s1);
	login_ok(nat, pw, user_id, s2);
	assert_string_not_equal(s1, s2);

	validate(s1, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL);
	vb = (Phoneauth__V1__ValidateSessionResponse *) r.body;
	assert_non_null(vb);
	assert_string_equal(vb->user_id, user_id);
	masked(e164, m);
	assert_string_equal(vb->phone_masked, m);
	assert_true(vb->phone_verified);
	assert_true(vb->expires_at_unix > (int64_t) time(NULL));
	pa_reply_clear(&r);

	/* Logout ends that session only. */
	{
		Phoneauth__V1__LogoutRequest lreq = PHONEAUTH__V1__LOGOUT_REQUEST__INIT;

		lreq.session_token = s1;
		rpc(PRIMARY, "Logout", &lreq.base, &phoneauth__v1__logout_response__descriptor, &r);
		EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL);
		pa_reply_clear(&r);
	}
	validate(s1, &r);
	EXPECT(&r, C(UNAUTHENTICATED), RS(SESSION_INVALID), MSG_SESSION_INVALID);
	pa_reply_clear(&r);
	validate(s2, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL);
	pa_reply_clear(&r);

	/* An expired session is refused. */
	PQclear(q("UPDATE sessions SET expires_at = created_at + interval '1 millisecond'"
	          " WHERE user_id = $1::uuid",
	    user_id, NULL));
	harness_sleep_ms(10);
	expect_session_invalid(s2);
	expect_session_invalid("no-such-session-token-0000000000000000000000");
	expect_session_invalid("");
}

static void
test_account_exists(void **state)
{
	char            e164[16], user_id[64], sub[32];
	struct pa_reply r;
	long            before;

	next_phone(e164);
	make_account(e164, "Plumage!77", user_id, NULL);
	/* The same number again, through a new subscription for it. */
	next_sub(sub);
	link_sub(PRIMARY, sub, e164);
	before = qlong("SELECT count(*) FROM sms_outbox", NULL, NULL);
	start_signup(PRIMARY, sub, e164, &r);
	EXPECT(&r, C(ALREADY_EXISTS), RS(ACCOUNT_EXISTS), MSG_ACCOUNT_EXISTS);
	pa_reply_clear(&r);
	assert_int_equal(qlong("SELECT count(*) FROM sms_outbox", NULL, NULL), before);
}

static void
test_resend_cooldown(void **state)
{
	char            e164[16], sub[32], vid[40], code[CODE_LEN + 1], token[128];
	struct pa_reply r;

	next_phone(e164);
	next_sub(sub);
	link_sub(PRIMARY, sub, e164);
	start_ok(PRIMARY, sub, e164, e164, vid, code);

	resend(PRIMARY, vid, &r);
	EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(RESEND_TOO_SOON), MSG_RESEND_SOON);
	assert_true(r.retry_after_s > 0 && r.retry_after_s <= 30);
	pa_reply_clear(&r);

	/* A new StartSignup for the same phone is a resend too. */
	start_signup(PRIMARY, sub, e164, &r);
	EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(RESEND_TOO_SOON), MSG_RESEND_SOON);
	assert_true(r.retry_after_s > 0 && r.retry_after_s <= 30);
	pa_reply_clear(&r);

	/* Nothing was sent and the code in hand still works. */
	assert_int_equal(outbox_count(vid), 1);
	assert_int_equal(
	    qlong("SELECT count(*) FROM sms_outbox WHERE phone_e164 = $1", e164, NULL), 1);
	verify_ok(PRIMARY, vid, code, token);
}

static void
test_resend_replaces_code(void **state)
{
	char                               e164[16], sub[32], vid[40], code1[CODE_LEN + 1];
	char                               code2[CODE_LEN + 1], token[128];
	struct pa_reply                    r;
	Phoneauth__V1__ResendCodeResponse *b;

	next_phone(e164);
	next_sub(sub);
	link_sub(FAST, sub, e164);
	start_ok(FAST, sub, e164, e164, vid, code1);
	harness_sleep_ms(1300);
	resend(FAST, vid, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_OTP_SENT);
	b = (Phoneauth__V1__ResendCodeResponse *) r.body;
	assert_non_null(b);
	check_sent(b->sent, e164, 1);
	assert_string_equal(b->sent->verification_id, vid);
	pa_reply_clear(&r);
	assert_int_equal(outbox_count(vid), 2);
	outbox_code(vid, code2);
	if (strcmp(code1, code2) != 0)
		expect_code_invalid(FAST, vid, code1, -1); /* the old code stopped working */
	else
		print_message("  resend drew the same code by chance; old-code check skipped\n");
	verify_ok(FAST, vid, code2, token);
}

static void
test_code_expired(void **state)
{
	char e164[16], sub[32], vid[40], code[CODE_LEN + 1];

	next_phone(e164);
	next_sub(sub);
	link_sub(PRIMARY, sub, e164);
	start_ok(PRIMARY, sub, e164, e164, vid, code);
	PQclear(q("UPDATE verifications SET expires_at = now() - interval '1 second'"
	          " WHERE id = $1::uuid",
	    vid, NULL));
	expect_code_invalid(PRIMARY, vid, code, -1);
}

/* A used code is refused like any wrong one, attempts_left included (a known verification). */
static void
test_code_single_use(void **state)
{
	char e164[16], sub[32], vid[40], code[CODE_LEN + 1], token[128];

	next_phone(e164);
	next_sub(sub);
	link_sub(PRIMARY, sub, e164);
	start_ok(PRIMARY, sub, e164, e164, vid, code);
	verify_ok(PRIMARY, vid, code, token);
	expect_code_invalid(PRIMARY, vid, code, -1);
}

static void
test_unknown_verification(void **state)
{
	struct pa_reply r;

	verify(PRIMARY, "6b1f3c1e-0d7a-4c7e-9a55-3f2f0e9d1a20", "1234", &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(CODE_INVALID), MSG_CODE_INVALID);
	pa_reply_clear(&r);
}

/* Three tries per code: three wrong answers count down, then even the right code is refused. */
static void
test_tries_per_code(void **state)
{
	char            e164[16], sub[32], vid[40], code[CODE_LEN + 1], bad[CODE_LEN + 1];
	struct pa_reply r;

	next_phone(e164);
	next_sub(sub);
	link_sub(PRIMARY, sub, e164);
	start_ok(PRIMARY, sub, e164, e164, vid, code);
	for (int i = 0; i < 3; i++) {
		wrong_code(code, bad, i + 1);
		expect_code_invalid(PRIMARY, vid, bad, 2 - i);
	}
	verify(PRIMARY, vid, code, &r);
	EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(TOO_MANY_ATTEMPTS), MSG_TOO_MANY);
	pa_reply_clear(&r);
	assert_int_equal(
	    qlong("SELECT attempts FROM verifications WHERE id = $1::uuid", vid, NULL), 3);
	assert_int_equal(qlong("SELECT count(*) FROM users WHERE phone_e164 = $1", e164, NULL), 0);
}

/* Three tries per phone per 10 minutes, across verifications: two wrong tries on one code and
 * one on the next leave none, so the right code of a fresh verification is refused. */
static void
test_tries_per_phone_window(void **state)
{
	char            e164[16], sub[32], vid1[40], vid2[40], c1[CODE_LEN + 1], c2[CODE_LEN + 1];
	char            bad[CODE_LEN + 1];
	struct pa_reply r;

	next_phone(e164);
	next_sub(sub);
	link_sub(FAST, sub, e164);
	start_ok(FAST, sub, e164, e164, vid1, c1);
	wrong_code(c1, bad, 1);
	expect_code_invalid(FAST, vid1, bad, 2);
	wrong_code(c1, bad, 2);
	expect_code_invalid(FAST, vid1, bad, 1);
	harness_sleep_ms(1300);
	start_ok(FAST, sub, e164, e164, vid2, c2);
	assert_string_not_equal(vid1, vid2);
	wrong_code(c2, bad, 1);
	expect_code_invalid(FAST, vid2, bad, -1);
	verify(FAST, vid2, c2, &r);
	EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(TOO_MANY_ATTEMPTS), MSG_TOO_MANY);
	assert_true(r.retry_after_s > 0 && r.retry_after_s <= 600);
	pa_reply_clear(&r);
	/* The replaced first code is dead as well. */
	verify(FAST, vid1, c1, &r);
	assert_int_not_equal(r.code, C(OK));
	pa_reply_clear(&r);
}

/* Five sends per phone per hour, whatever the IP. */
static void
test_send_limit(void **state)
{
	char            e164[16], sub[32], vid[40], code[CODE_LEN + 1];
	struct pa_reply r;

	next_phone(e164);
	next_sub(sub);
	link_sub(FAST, sub, e164);
	start_ok(FAST, sub, e164, e164, vid, code);
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
	new_ip();
	start_signup(FAST, sub, e164, &r);
	EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(SEND_LIMIT), MSG_SEND_LIMIT);
	assert_true(r.retry_after_s > 0);
	pa_reply_clear(&r);
	assert_int_equal(
	    qlong("SELECT count(*) FROM sms_outbox WHERE phone_e164 = $1", e164, NULL), 5);
}

/* The fast instance allows 3 sends per end-user IP per hour. */
static void
test_ip_limit(void **state)
{
	char            e164[4][16], sub[4][32], vid[40], code[CODE_LEN + 1];
	struct pa_reply r;

	for (int i = 0; i < 4; i++) {
		next_phone(e164[i]);
		next_sub(sub[i]);
		link_sub(FAST, sub[i], e164[i]);
	}
	for (int i = 0; i < 3; i++)
		start_ok(FAST, sub[i], e164[i], e164[i], vid, code);
	start_signup(FAST, sub[3], e164[3], &r);
	EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(IP_LIMIT), MSG_RATE_LIMITED_IP);
	assert_true(r.retry_after_s > 0 && r.retry_after_s <= 3600);
	pa_reply_clear(&r);
	assert_int_equal(
	    qlong("SELECT count(*) FROM sms_outbox WHERE phone_e164 = $1", e164[3], NULL), 0);
	/* Another IP may still send. */
	new_ip();
	start_ok(FAST, sub[3], e164[3], e164[3], vid, code);
}

static void
test_create_account_not_verified(void **state)
{
	char            e164[16], sub[32], vid[40], code[CODE_LEN + 1], token[128];
	const char     *pw = "Goodpass#1";
	struct pa_reply r;

	add_secret(pw);
	create_account(PRIMARY, "", pw, pw, &r);
	EXPECT(&r, C(FAILED_PRECONDITION), RS(NOT_VERIFIED), MSG_NOT_VERIFIED_CREATE);
	pa_reply_clear(&r);
	create_account(PRIMARY, "bogus-signup-token-00000000000000000000000", pw, pw, &r);
	EXPECT(&r, C(FAILED_PRECONDITION), RS(NOT_VERIFIED), MSG_NOT_VERIFIED_CREATE);
	pa_reply_clear(&r);

	/* A signup token past its life is no better. */
	next_phone(e164);
	next_sub(sub);
	link_sub(PRIMARY, sub, e164);
	start_ok(PRIMARY, sub, e164, e164, vid, code);
	verify_ok(PRIMARY, vid, code, token);
	PQclear(q("UPDATE verifications SET token_expires_at = now() - interval '1 second'"
	          " WHERE id = $1::uuid",
	    vid, NULL));
	create_account(PRIMARY, token, pw, pw, &r);
	EXPECT(&r, C(FAILED_PRECONDITION), RS(NOT_VERIFIED), MSG_NOT_VERIFIED_CREATE);
	pa_reply_clear(&r);
	assert_int_equal(qlong("SELECT count(*) FROM users WHERE phone_e164 = $1", e164, NULL), 0);
}

static void
test_login_unverified_user(void **state)
{
	char            e164[16], hash[crypto_pwhash_STRBYTES];
	const char     *pw = "Unverified#9";
	struct pa_reply r;

	add_secret(pw);
	next_phone(e164);
	assert_int_equal(pa_password_hash(hash, pw, strlen(pw), 1, 8192), PA_OK);
	PQclear(q("INSERT INTO users (phone_e164, password_hash) VALUES ($1, $2)", e164, hash));
	login(PRIMARY, e164, pw, &r);
	EXPECT(&r, C(FAILED_PRECONDITION), RS(NOT_VERIFIED), MSG_LOGIN_NOT_VERIFIED);
	pa_reply_clear(&r);
	/* Without the right password it says nothing about verification. */
	add_secret("Wrong#pass1");
	login(PRIMARY, e164, "Wrong#pass1", &r);
	EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
	pa_reply_clear(&r);
}

static void
test_login_failures_lock(void **state)
{
	char            e164[16], unknown[16], user_id[64], tok[128];
	const char     *pw = "Lockme#2024";
	struct pa_reply r, r2;

	add_secret("Lockme#2025");
	next_phone(e164);
	next_phone(unknown);
	make_account(e164, pw, user_id, NULL);
	login_ok(e164, pw, user_id, tok); /* a success before the failures */

	/* Unknown user and wrong password read the same. */
	login(PRIMARY, unknown, pw, &r);
	EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
	login(PRIMARY, e164, "Lockme#2025", &r2);
	EXPECT(&r2, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
	assert_int_equal(r.retry_after_s, r2.retry_after_s);
	assert_int_equal(r.has_attempts_left, r2.has_attempts_left);
	pa_reply_clear(&r);
	pa_reply_clear(&r2);

	for (int i = 2; i <= 4; i++) {
		login(PRIMARY, e164, "Lockme#2025", &r);
		EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
		pa_reply_clear(&r);
	}
	/* The fifth failure: either still "invalid" or already "locked". */
	login(PRIMARY, e164, "Lockme#2025", &r);
	if (r.code != C(RESOURCE_EXHAUSTED))
		EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
	pa_reply_clear(&r);
	/* After five failures even the right password is refused. */
	login(PRIMARY, e164, pw, &r);
	EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(ACCOUNT_LOCKED), MSG_LOGIN_LOCKED);
	assert_true(r.retry_after_s > 0 && r.retry_after_s <= 900);
	pa_reply_clear(&r);
	assert_int_equal(
	    qlong("SELECT count(*) FROM users WHERE id = $1::uuid AND locked_until > now()",
	        user_id, NULL),
	    1);
}

static void
test_password_reset(void **state)
{
	char                                     e164[16], user_id[64], s1[128], s2[128], vid[40];
	char                                     code[CODE_LEN + 1], token[128], *v;
	const char                              *pw = "OldPlume#1", *npw = "NewPlume#2";
	struct pa_reply                          r;
	Phoneauth__V1__StartPasswordResetRequest sreq
	    = PHONEAUTH__V1__START_PASSWORD_RESET_REQUEST__INIT;
	Phoneauth__V1__StartPasswordResetResponse  *sb;
	Phoneauth__V1__CompletePasswordResetRequest creq
	    = PHONEAUTH__V1__COMPLETE_PASSWORD_RESET_REQUEST__INIT;
	Phoneauth__V1__CompletePasswordResetResponse *cb;

	add_secret(npw);
	next_phone(e164);
	make_account(e164, pw, user_id, NULL);
	login_ok(e164, pw, user_id, s1);
	login_ok(e164, pw, user_id, s2);

	sreq.login = e164;
	rpc(PRIMARY, "StartPasswordReset", &sreq.base,
	    &phoneauth__v1__start_password_reset_response__descriptor, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_RESET_STARTED);
	sb = (Phoneauth__V1__StartPasswordResetResponse *) r.body;
	assert_non_null(sb);
	check_sent(sb->sent, e164, 30);
	(void) snprintf(vid, sizeof vid, "%s", sb->sent->verification_id);
	pa_reply_clear(&r);
	v = q1("SELECT purpose FROM verifications WHERE id = $1::uuid", vid, NULL);
	assert_non_null(v);
	assert_string_equal(v, "password_reset");
	free(v);
	assert_int_equal(outbox_count(vid), 1);
	outbox_code(vid, code);
	verify_ok(PRIMARY, vid, code, token);

	creq.reset_token      = token;
	creq.password         = (char *) npw;
	creq.password_confirm = "NewPlume#3";
	rpc(PRIMARY, "CompletePasswordReset", &creq.base,
	    &phoneauth__v1__complete_password_reset_response__descriptor, &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(PASSWORD_MISMATCH), MSG_PW_MISMATCH);
	pa_reply_clear(&r);
	creq.password = creq.password_confirm = "newplume";
	add_secret("newplume");
	add_secret("NewPlume#3");
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

	/* Every earlier session is gone; the old password is, too. */
	expect_session_invalid(s1);
	expect_session_invalid(s2);
	login(PRIMARY, e164, pw, &r);
	EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
	pa_reply_clear(&r);
	login_ok(e164, npw, user_id, s1);

	/* The reset token works once. */
	creq.password = creq.password_confirm = "Another#Plume3";
	add_secret(creq.password);
	rpc(PRIMARY, "CompletePasswordReset", &creq.base,
	    &phoneauth__v1__complete_password_reset_response__descriptor, &r);
	assert_int_not_equal(r.code, C(OK));
	pa_reply_clear(&r);
	login_ok(e164, npw, user_id, s2);
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

int
main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, test_setup)
	const struct CMUnitTest tests[] = {
		T(test_link_subscription),
		T(test_start_signup_bad_phone),
		T(test_start_signup_subscription_rules),
		T(test_sms_unavailable),
		T(test_signup_flow),
		T(test_account_exists),
		T(test_resend_cooldown),
		T(test_resend_replaces_code),
		T(test_code_expired),
		T(test_code_single_use),
		T(test_unknown_verification),
		T(test_tries_per_code),
		T(test_tries_per_phone_window),
		T(test_send_limit),
		T(test_ip_limit),
		T(test_create_account_not_verified),
		T(test_login_unverified_user),
		T(test_login_failures_lock),
		T(test_password_reset),
		T(test_no_secrets_in_logs),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
