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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/crypto.h"
#include "common/rpc_client.h"
#include "flowkit.h"
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
#define MSG_PW_POLICY "Password must be at least 8 characters."
#define MSG_PW_MISMATCH "Passwords do not match."
#define MSG_VERIFIED "Your phone number has been verified."
#define MSG_RESET_STARTED "If an account matches, we've sent a reset code to its phone."
#define MSG_RESET_DONE "Your password has been reset. You can now sign in."
#define MSG_INVALID_EMAIL "Please enter a valid email address."
#define MSG_SESSION_INVALID "Your session has expired. Please sign in again."

#define SMS_PREFIX "Your LawnFlow verification code is "
#define SMS_SUFFIX ". It expires in 10 minutes."
#define CODE_LEN 6

#define C(x) PHONEAUTH__V1__CODE__##x
#define RS(x) PHONEAUTH__V1__REASON__##x
#define EXPECT FLOWKIT_EXPECT

enum { PRIMARY = FLOWKIT_PRIMARY, FAST = FLOWKIT_FAST };

static const char *const fast_env[] = { "PHONEAUTH_RESEND_COOLDOWN=1s", NULL };

static const struct flowkit_profile profile = {
	.name                = "lawnflow",
	.grouped_mask        = true, /* the profile's PHONEAUTH_PHONE_MASK */
	.db_name             = "t_flows_lf",
	.tag                 = { "auth_flows_lf", "auth_flows_lf_fast" },
	.fast_env            = fast_env,
	.otp_key_hex         = OTP_KEY_HEX,
	.outbox_key_hex      = OUTBOX_KEY_HEX,
	.token_key_hex       = TOKEN_KEY_HEX,
	.admin_token         = ADMIN_TOKEN,
	.user_agent          = "test_flows_lf",
	.ip_prefix           = "203.0",
	.ip_base             = 113,
	.sms_prefix          = SMS_PREFIX,
	.sms_suffix          = SMS_SUFFIX,
	.code_len            = CODE_LEN,
	.code_ttl_s          = 600,
	.msg_otp_sent        = MSG_OTP_SENT,
	.msg_send_limit      = MSG_SEND_LIMIT,
	.msg_verified        = MSG_VERIFIED,
	.msg_code_invalid    = MSG_CODE_INVALID,
	.msg_session_invalid = MSG_SESSION_INVALID,
	.msg_reset_done      = MSG_RESET_DONE,
};

static int tail_seq = 500, email_seq;

/* ---- database -------------------------------------------------------------------------------- */

/* Counts by the id's text, so only an id in the canonical (lower-case) form finds its rows. */
static long
outbox_count(const char *vid)
{
	return flowkit_qlong(
	    "SELECT count(*) FROM sms_outbox WHERE verification_id::text = $1", vid, NULL);
}

static long
outbox_total(void)
{
	return flowkit_qlong("SELECT count(*) FROM sms_outbox", NULL, NULL);
}

/* ---- small helpers --------------------------------------------------------------------------- */

/* n phones in different area codes sharing their last four digits, so they mask alike. */
static void
same_tail_phones(int n, char out[][16])
{
	static const char *const areas[] = { "201", "202", "212", "310", "415", "646" };
	int                      tail    = tail_seq++;

	assert_true(n <= 6);
	for (int i = 0; i < n; i++) {
		(void) snprintf(out[i], 16, "+1%s555%04d", areas[i], tail);
		flowkit_add_phone_secret(out[i]);
	}
}

static void
next_email(char out[64])
{
	(void) snprintf(out, 64, "lawn.user%d@example.com", ++email_seq);
}

/* ---- RPC ------------------------------------------------------------------------------------- */

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
	flowkit_add_secret(pw);
	flowkit_rpc(
	    which, "RegisterAccount", &req.base, &phoneauth__v1__register_response__descriptor, r);
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
	flowkit_check_sent(b->sent, e164, which == PRIMARY ? 30 : 1);
	(void) snprintf(vid, 40, "%s", b->sent->verification_id);
	if (sig != NULL)
		reply_sig(&r, b->sent, true, sig, sigsz);
	pa_reply_clear(&r);
	if (code != NULL) {
		assert_int_equal(outbox_count(vid), 1);
		flowkit_outbox_code(vid, code);
	}
}

/* Register and verify: a user who can log in. Returns the user id. */
static void
make_user(const char *email, const char *pw, const char *e164, char user_id[64])
{
	char vid[40], code[CODE_LEN + 1], *u;

	register_ok(PRIMARY, email, pw, e164, e164, vid, code, NULL, 0);
	flowkit_verify_ok(PRIMARY, vid, code, NULL);
	u = flowkit_q1(
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
	return flowkit_group_setup(&profile);
}

/* ---- tests ----------------------------------------------------------------------------------- */
/* The seed flow: register, code by SMS, no login before the phone is verified, then login by
 * email or phone, sessions and logout. */
static void
test_register_verify_login(void **state)
{
	char            e164[16], nat[32], email[64], vid[40], code[CODE_LEN + 1];
	char            user_id[64], s1[128], s2[128], s3[128], *v;
	const char     *pw = "green-lawn-1";
	struct pa_reply r;

	flowkit_next_phone(e164);
	flowkit_national(e164, nat);
	next_email(email);
	register_ok(PRIMARY, email, pw, nat, e164, vid, code, NULL, 0);

	/* The user exists, unverified, with the phone in E.164 and an Argon2id hash. */
	v = flowkit_q1("SELECT phone_e164 FROM users WHERE email = $1 AND phone_verified_at IS NULL"
	               " AND password_hash LIKE '$argon2id$%'",
	    email, NULL);
	assert_non_null(v);
	assert_string_equal(v, e164);
	free(v);
	v = flowkit_q1("SELECT purpose FROM verifications WHERE id = $1::uuid AND phone_e164 = $2"
	               " AND state = 'pending'",
	    vid, e164);
	assert_non_null(v);
	assert_string_equal(v, "register");
	free(v);

	/* Not before the phone is verified, and saying nothing about it: an unverified registration
	 * reads like a wrong password (issue 13's security review: "verify first" told that the
	 * email had been free). */
	flowkit_login(PRIMARY, email, pw, &r);
	EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
	pa_reply_clear(&r);
	flowkit_login(PRIMARY, e164, pw, &r);
	EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
	pa_reply_clear(&r);
	flowkit_login(PRIMARY, email, "green-lawn-2", &r);
	EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
	pa_reply_clear(&r);
	flowkit_login(PRIMARY, "nobody.here@example.com", pw, &r);
	EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
	pa_reply_clear(&r);

	flowkit_verify_ok(PRIMARY, vid, code, NULL);
	v = flowkit_q1("SELECT id FROM users WHERE email = $1 AND phone_verified_at IS NOT NULL"
	               " AND verified_by = $2::uuid",
	    email, vid);
	assert_non_null(v);
	(void) snprintf(user_id, sizeof user_id, "%s", v);
	free(v);
	/* A code works once. */
	flowkit_verify(PRIMARY, vid, code, &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(CODE_INVALID), MSG_CODE_INVALID);
	pa_reply_clear(&r);

	/* Login by email, by E.164 phone and by the national format. */
	flowkit_login_ok(email, pw, user_id, s1);
	flowkit_login_ok(e164, pw, user_id, s2);
	flowkit_login_ok(nat, pw, user_id, s3);
	flowkit_login(PRIMARY, e164, "green-lawn-2", &r);
	EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
	pa_reply_clear(&r);

	flowkit_expect_session(s1, user_id, email, e164);
	flowkit_logout(s1);
	flowkit_expect_session_invalid(s1);
	flowkit_validate(s2, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL);
	pa_reply_clear(&r);
	flowkit_expire_sessions(user_id);
	flowkit_expect_session_invalid(s2);
	flowkit_expect_session_invalid(s3);
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
	    flowkit_qlong("SELECT count(*) FROM users WHERE lower(email) = lower($1)", eA, NULL),
	    1);
	flowkit_login_ok(eA, pwA, userA, tok);
	{
		struct pa_reply r;

		flowkit_login(PRIMARY, eA, pw, &r);
		EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
		pa_reply_clear(&r);
		flowkit_login(PRIMARY, ph[0], pwA, &r);
		EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL);
		flowkit_add_secret(((Phoneauth__V1__LoginResponse *) r.body)->session_token);
		pa_reply_clear(&r);
	}
	/* The verified phone still belongs to its owner only. */
	assert_int_equal(flowkit_qlong("SELECT count(*) FROM users WHERE phone_e164 = $1"
	                               " AND phone_verified_at IS NOT NULL",
	                     ph[0], NULL),
	    1);
}

/* A phantom registration (the email belongs to a verified account) and a real one are told apart
 * by nothing: resend refusals, wrong-code replies with their attempts_left, and resends all read
 * alike. (An email that is only registered, not verified, gets a real code to the new phone since
 * issue 13: test_security_lf's finding 2.) */
static void
test_phantom_replies_identical(void **state)
{
	char            ph[3][16], eE[64], eR[64], vidR[40], vidP[40], codeR[CODE_LEN + 1];
	char            codeE[CODE_LEN + 1], vidE[40], sigR[1024], sigP[1024], bad[CODE_LEN + 1];
	struct pa_reply rR, rP;

	same_tail_phones(3, ph);
	next_email(eE);
	next_email(eR);
	/* eE exists, verified. */
	register_ok(FAST, eE, "first-owner-1", ph[0], ph[0], vidE, codeE, NULL, 0);
	flowkit_verify_ok(FAST, vidE, codeE, NULL);

	flowkit_new_ip();
	register_ok(FAST, eR, "real-person-1", ph[1], ph[1], vidR, codeR, sigR, sizeof sigR);
	flowkit_new_ip();
	register_ok(FAST, eE, "phantom-try-1", ph[2], ph[2], vidP, NULL, sigP, sizeof sigP);
	assert_string_equal(sigP, sigR);
	assert_int_equal(outbox_count(vidP), 0);

	/* Inside the primary's 30 s cooldown: both refused alike. */
	flowkit_resend(PRIMARY, vidR, &rR);
	flowkit_resend(PRIMARY, vidP, &rP);
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
	flowkit_wrong_code(codeR, bad, 1);
	flowkit_verify(PRIMARY, vidR, bad, &rR);
	flowkit_verify(PRIMARY, vidP, bad, &rP);
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
	flowkit_resend(FAST, vidR, &rR);
	flowkit_resend(FAST, vidP, &rP);
	EXPECT(&rR, C(OK), RS(REASON_UNSPECIFIED), MSG_OTP_SENT);
	EXPECT(&rP, C(OK), RS(REASON_UNSPECIFIED), MSG_OTP_SENT);
	flowkit_check_sent(((Phoneauth__V1__ResendCodeResponse *) rR.body)->sent, ph[1], 1);
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
	flowkit_outbox_code(vidR, codeR);

	/* Another wrong code each: still alike. */
	flowkit_wrong_code(codeR, bad, 2);
	flowkit_verify(PRIMARY, vidR, bad, &rR);
	flowkit_verify(PRIMARY, vidP, bad, &rP);
	EXPECT(&rR, C(INVALID_ARGUMENT), RS(CODE_INVALID), MSG_CODE_INVALID);
	reply_sig(&rR, NULL, true, sigR, sizeof sigR);
	reply_sig(&rP, NULL, true, sigP, sizeof sigP);
	assert_string_equal(sigP, sigR);
	pa_reply_clear(&rR);
	pa_reply_clear(&rP);

	/* The real person verifies; the phantom's code, never sent, cannot be had. */
	flowkit_verify_ok(PRIMARY, vidR, codeR, NULL);
	flowkit_verify(PRIMARY, vidP, codeR, &rP);
	EXPECT(&rP, C(INVALID_ARGUMENT), RS(CODE_INVALID), MSG_CODE_INVALID);
	pa_reply_clear(&rP);
	/* The taken email still has its first owner's phone. */
	{
		char *v = flowkit_q1("SELECT phone_e164 FROM users WHERE email = $1 AND "
		                     "phone_verified_at IS NOT NULL",
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

	flowkit_next_phone(e164);
	next_email(email);
	register_ok(PRIMARY, email, "tries-pass-1", e164, e164, vid, code, NULL, 0);
	for (int i = 0; i < 5; i++) {
		flowkit_wrong_code(code, bad, i + 1);
		flowkit_expect_code_invalid(PRIMARY, vid, bad, 4 - i);
	}
	flowkit_verify(PRIMARY, vid, code, &r);
	EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(TOO_MANY_ATTEMPTS), MSG_TOO_MANY);
	pa_reply_clear(&r);
	assert_int_equal(
	    flowkit_qlong("SELECT attempts FROM verifications WHERE id = $1::uuid", vid, NULL), 5);
	assert_int_equal(flowkit_qlong("SELECT count(*) FROM users WHERE email = $1"
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

	md.end_user_ip      = (char *) flowkit_ip();
	req.verification_id = (char *) a->vid;
	req.code            = (char *) a->code;
	a->rv = pa_client_call(flowkit_client(PRIMARY), "/phoneauth.v1.Auth/VerifyCode", &req.base,
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

	flowkit_next_phone(e164);
	next_email(email);
	register_ok(PRIMARY, email, "swarm-pass-1", e164, e164, vid, code, NULL, 0);
	flowkit_wrong_code(code, bad, 1);
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
	    flowkit_qlong("SELECT attempts FROM verifications WHERE id = $1::uuid", vid, NULL), 5);
	flowkit_verify(PRIMARY, vid, code, &r);
	EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(TOO_MANY_ATTEMPTS), MSG_TOO_MANY);
	pa_reply_clear(&r);
}

/* Five sends per phone per hour, whatever the IP. */
static void
test_send_limit(void **state)
{
	char e164[16], email[64], vid[40], code[CODE_LEN + 1];

	flowkit_next_phone(e164);
	next_email(email);
	register_ok(FAST, email, "limit-pass-1", e164, e164, vid, code, NULL, 0);
	flowkit_resend_until_limit(vid, code);
	assert_int_equal(
	    flowkit_qlong("SELECT count(*) FROM sms_outbox WHERE phone_e164 = $1", e164, NULL), 5);
	/* The last code sent still works. */
	flowkit_verify_ok(FAST, vid, code, NULL);
}

static void
test_code_expired(void **state)
{
	char e164[16], email[64], vid[40], code[CODE_LEN + 1];

	flowkit_next_phone(e164);
	next_email(email);
	register_ok(PRIMARY, email, "expiry-pass-1", e164, e164, vid, code, NULL, 0);
	PQclear(flowkit_q("UPDATE verifications SET expires_at = now() - interval '1 second'"
	                  " WHERE id = $1::uuid",
	    vid, NULL));
	flowkit_expect_code_invalid(PRIMARY, vid, code, -1);
	assert_int_equal(flowkit_qlong("SELECT count(*) FROM users WHERE email = $1"
	                               " AND phone_verified_at IS NULL",
	                     email, NULL),
	    1);
}

static void
test_register_invalid_input(void **state)
{
	char            e164[16], email[64];
	struct pa_reply r;
	long            users_before = flowkit_qlong("SELECT count(*) FROM users", NULL, NULL);
	long            before       = outbox_total();

	flowkit_next_phone(e164);
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
	assert_int_equal(flowkit_qlong("SELECT count(*) FROM users", NULL, NULL), users_before);
	assert_int_equal(outbox_total(), before);
}

static void
test_password_reset(void **state)
{
	char ph[2][16], email[64], user_id[64], s1[128], s2[128], vid[40], code[CODE_LEN + 1];
	char token[128], sig_real[1024], sig_unknown[1024];
	const char                                *pw = "old-garden-1", *npw = "new-garden-2";
	struct pa_reply                            r;
	long                                       before;
	Phoneauth__V1__StartPasswordResetResponse *sb;

	flowkit_add_secret(npw);
	same_tail_phones(2, ph);
	next_email(email);
	make_user(email, pw, ph[0], user_id);
	flowkit_login_ok(email, pw, user_id, s1);
	flowkit_login_ok(ph[0], pw, user_id, s2);

	/* Non-enumerating: the reply for a real account and an unknown phone is the same but for
	 * the verification id; only the real one sends an SMS. (Whether the masked phone is shown
	 * is the server's choice, as long as it is the same for both.) Unknown email: below. */
	before = outbox_total();
	for (int i = 0; i < 2; i++) {
		const char *who[2] = { email, ph[1] };

		flowkit_start_reset(who[i], &r);
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
			assert_true(flowkit_is_uuid(vid));
			assert_int_equal(sb->sent->resend_after_s, 30);
			assert_int_equal(sb->sent->expires_in_s, 600);
			assert_int_equal(sb->sent->code_length, CODE_LEN);
		} else {
			assert_true(flowkit_is_uuid(sb->sent->verification_id));
			assert_string_equal(sig_unknown, sig_real);
		}
		pa_reply_clear(&r);
	}
	assert_int_equal(outbox_count(vid), 1);
	assert_int_equal(outbox_total(), before + 1);
	flowkit_outbox_code(vid, code);

	flowkit_verify_ok(PRIMARY, vid, code, token);
	flowkit_add_secret("new-garden-3");
	flowkit_complete_reset(token, npw, "new-garden-3", &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(PASSWORD_MISMATCH), MSG_PW_MISMATCH);
	pa_reply_clear(&r);
	flowkit_complete_reset(token, "short", "short", &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(PASSWORD_POLICY), MSG_PW_POLICY);
	pa_reply_clear(&r);
	flowkit_complete_reset_ok(token, npw, user_id);

	flowkit_expect_session_invalid(s1);
	flowkit_expect_session_invalid(s2);
	flowkit_login(PRIMARY, email, pw, &r);
	EXPECT(&r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID);
	pa_reply_clear(&r);
	flowkit_login_ok(email, npw, user_id, s1);
	flowkit_login_ok(ph[0], npw, user_id, s2);

	/* The reset token works once. */
	flowkit_add_secret("third-garden-4");
	flowkit_complete_reset(token, "third-garden-4", "third-garden-4", &r);
	assert_int_not_equal(r.code, C(OK));
	pa_reply_clear(&r);
	flowkit_login_ok(email, npw, user_id, s1);
}

/* ---- log check ------------------------------------------------------------------------------- */

static void
test_no_secrets_in_logs(void **state)
{
	flowkit_check_logs();
}

/* StartPasswordReset by email: an unknown email must read exactly like a known one. */
static void
test_reset_unknown_email_identical(void **state)
{
	char                                       e164[16], email[64], user_id[64], sig[2][1024];
	long                                       before;
	struct pa_reply                            r;
	Phoneauth__V1__StartPasswordResetResponse *sb;

	flowkit_next_phone(e164);
	next_email(email);
	make_user(email, "reset-probe-1", e164, user_id);
	before = outbox_total();
	for (int i = 0; i < 2; i++) {
		flowkit_start_reset(i == 0 ? email : "nobody.at.all@example.com", &r);
		EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_RESET_STARTED);
		sb = (Phoneauth__V1__StartPasswordResetResponse *) r.body;
		assert_non_null(sb);
		assert_non_null(sb->sent);
		reply_sig(&r, sb->sent, true, sig[i], sizeof sig[i]);
		print_message("  %s: verification_id=\"%s\" %s\n", i == 0 ? "known  " : "unknown",
		    sb->sent->verification_id, sig[i]);
		assert_true(flowkit_is_uuid(sb->sent->verification_id));
		pa_reply_clear(&r);
	}
	assert_string_equal(sig[1], sig[0]);
	assert_int_equal(outbox_total(), before + 1);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, flowkit_test_setup)
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

	return cmocka_run_group_tests(tests, group_setup, flowkit_group_teardown);
}
