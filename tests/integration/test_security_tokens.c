/* test_security_tokens.c: attacks on what calls cost and on secrets (issue 13), replayed on Fancy
 * Feathers through the public RPCs against real phoneauth-auth processes and a real PostgreSQL:
 * made-up tokens must not buy an Argon2 run and one IP must not fill the slow pool (finding 5),
 * sessions and tokens survive a token key rotation (7), and the password rules count Unicode
 * characters and compare normalised text (10). Every test prints each check that fails and goes
 * on, then fails at its end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "seckit.h"

/* The fancy-feathers messages, verbatim from libcommon/src/policy.c. */
#define MSG_NOT_VERIFIED_CREATE "Please verify your mobile number before creating an account."
#define MSG_LOGIN_INVALID "Invalid mobile number or password."
#define MSG_PW_POLICY                                                                        \
	"Password must be at least 8 characters and include 1 capital letter, 1 number and " \
	"1 special character."
#define MSG_RATE_LIMITED_IP "Too many requests. Try again later."
#define MSG_SESSION_INVALID "Your session has expired. Please log in again."

static const struct seckit_profile profile = {
	.name       = "fancy-feathers",
	.db_name    = "t_sec_tokens",
	.ip_prefix  = "198.18",
	.phone_base = 5000,
	.sms_prefix = "Fancy Feathers: Your verification code is ",
	.sms_suffix = ".\nIt will expire in 5 minutes.",
};

static int
group_setup(void **state)
{
	(void) state;
	return seckit_group_setup(&profile);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t) n, sizeof *v, cmp_double);
	return v[n / 2];
}

/* ---- finding 5 ------------------------------------------------------------------------------- */

struct flood {
	int             inst;
	const char     *ip;
	atomic_bool     stop;
	atomic_int      calls, bad_credentials, ip_limit, ip_limit_wrong, other, no_reply;
	char            first_other[400], first_wrong[400];
	pthread_mutex_t mtx;
};

static void *
flood_thread(void *arg)
{
	struct flood               *f   = arg;
	Phoneauth__V1__LoginRequest req = PHONEAUTH__V1__LOGIN_REQUEST__INIT;

	req.login    = (char *) "+12015550000";
	req.password = (char *) "Bogus#Guess2024";
	while (!atomic_load(&f->stop)) {
		struct pa_reply r;
		char            got[400];

		if (seckit_call(f->inst, f->ip, "Login", &req.base,
		        &phoneauth__v1__login_response__descriptor, &r)
		    != PA_OK) {
			atomic_fetch_add(&f->no_reply, 1);
			continue;
		}
		atomic_fetch_add(&f->calls, 1);
		if (r.code == C(UNAUTHENTICATED) && r.reason == RS(BAD_CREDENTIALS)) {
			atomic_fetch_add(&f->bad_credentials, 1);
		} else if (r.code == C(RESOURCE_EXHAUSTED) && r.reason == RS(IP_LIMIT)) {
			atomic_fetch_add(&f->ip_limit, 1);
			if (strcmp(r.message, MSG_RATE_LIMITED_IP) != 0 || r.retry_after_s < 1) {
				pthread_mutex_lock(&f->mtx);
				if (atomic_fetch_add(&f->ip_limit_wrong, 1) == 0)
					(void) seckit_reply_str(
					    &r, f->first_wrong, sizeof f->first_wrong);
				pthread_mutex_unlock(&f->mtx);
			}
			harness_sleep_ms(50); /* a refused caller waits a little, as one would */
		} else {
			pthread_mutex_lock(&f->mtx);
			if (atomic_fetch_add(&f->other, 1) == 0)
				(void) snprintf(f->first_other, sizeof f->first_other, "%s",
				    seckit_reply_str(&r, got, sizeof got));
			pthread_mutex_unlock(&f->mtx);
		}
		pa_reply_clear(&r);
	}
	return NULL;
}

/* n calls of method with req: the median time in ms; every reply must be code/reason. */
static double
timed(int i, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *desc, int n, pa_code code, pa_reason reason, const char *msg)
{
	double t[9];

	assert_true(n <= 9);
	for (int k = 0; k < n; k++) {
		char            ip[48];
		struct pa_reply r;
		double          t0;

		seckit_new_ip(ip);
		t0 = seckit_now_ms();
		seckit_rpc(i, ip, method, req, desc, &r);
		t[k] = seckit_now_ms() - t0;
		SK_EXPECT(&r, code, reason, msg, method);
		pa_reply_clear(&r);
	}
	return median(t, n);
}

/* Finding 5: with an expensive hash (4 passes over 64 MiB, a real Login taking well over 3x a
 * Health), CreateAccount with a made-up signup token and CompletePasswordReset with a made-up
 * reset token answer as today (FAILED_PRECONDITION) in under a third of a real login: the token is
 * checked before any hashing. Then 40 threads flood bogus logins from one IP: some get
 * RESOURCE_EXHAUSTED/IP_LIMIT with the profile's message and retry_after_s >= 1 (at most
 * PHONEAUTH_SLOW_PER_IP = 4 slow calls per IP at once), and another IP's login during the flood
 * succeeds within a few seconds (here: within 10 real logins' time, 1 s to 3 s). */
static void
test_f5_unauthenticated_calls_do_not_burn_argon2(void **state)
{
	enum { THREADS = 40 };
	const char *const env[]
	    = { "PHONEAUTH_PWHASH_OPS=4", "PHONEAUTH_PWHASH_MEM_KIB=65536", NULL };
	const char                         *pw = "Costly#Pass2024";
	char                                phone[16], ip[48], tok[128];
	Phoneauth__V1__HealthRequest        hreq = PHONEAUTH__V1__HEALTH_REQUEST__INIT;
	Phoneauth__V1__LoginRequest         lreq = PHONEAUTH__V1__LOGIN_REQUEST__INIT;
	Phoneauth__V1__CreateAccountRequest creq = PHONEAUTH__V1__CREATE_ACCOUNT_REQUEST__INIT;
	Phoneauth__V1__CompletePasswordResetRequest rreq
	    = PHONEAUTH__V1__COMPLETE_PASSWORD_RESET_REQUEST__INIT;
	double          health, login, create, reset, t0, took, limit;
	struct flood    f = { .inst = 0, .mtx = PTHREAD_MUTEX_INITIALIZER };
	pthread_t       th[THREADS];
	struct pa_reply r;

	(void) state;
	seckit_start(0, "sec_tokens_f5", env);
	seckit_new_phone(phone);
	seckit_new_ip(ip);
	seckit_ff_account(0, ip, phone, pw, NULL);

	health     = timed(0, "Health", &hreq.base, &phoneauth__v1__health_response__descriptor, 7,
	        C(OK), RS(REASON_UNSPECIFIED), NULL);
	lreq.login = phone;
	lreq.password = (char *) pw;
	login = timed(0, "Login", &lreq.base, &phoneauth__v1__login_response__descriptor, 5, C(OK),
	    RS(REASON_UNSPECIFIED), NULL);
	seckit_note("median Health %.1f ms, median real Login %.1f ms", health, login);
	if (login <= 3 * health)
		fail_msg(
		    "a real Login (%.1f ms) is not over 3x Health (%.1f ms): the expensive hash "
		    "does not show, so timings mean nothing",
		    login, health);

	creq.signup_token     = (char *) "made-up-signup-token-0123456789abcdefghijklmnop";
	creq.password         = (char *) pw;
	creq.password_confirm = (char *) pw;
	create                = timed(0, "CreateAccount", &creq.base,
	                   &phoneauth__v1__create_account_response__descriptor, 5, C(FAILED_PRECONDITION),
	                   RS(NOT_VERIFIED), MSG_NOT_VERIFIED_CREATE);
	rreq.reset_token      = (char *) "made-up-reset-token-0123456789abcdefghijklmnopq";
	rreq.password         = (char *) pw;
	rreq.password_confirm = (char *) pw;
	reset                 = timed(0, "CompletePasswordReset", &rreq.base,
	                    &phoneauth__v1__complete_password_reset_response__descriptor, 5, C(FAILED_PRECONDITION),
	                    RS(TOKEN_INVALID), MSG_SESSION_INVALID);
	seckit_note("made-up tokens: median CreateAccount %.1f ms, CompletePasswordReset %.1f ms",
	    create, reset);
	SK_CHECK(create < login / 3,
	    "CreateAccount with a made-up signup token took %.1f ms, not under a third of a real "
	    "login (%.1f ms): it hashes before checking the token",
	    create, login);
	SK_CHECK(reset < login / 3,
	    "CompletePasswordReset with a made-up reset token took %.1f ms, not under a third of a "
	    "real login (%.1f ms): it hashes before checking the token",
	    reset, login);

	/* The flood, and another user's login in the middle of it. */
	seckit_new_ip(ip);
	f.ip = ip;
	for (int k = 0; k < THREADS; k++)
		assert_int_equal(pthread_create(&th[k], NULL, flood_thread, &f), 0);
	harness_sleep_ms(300);
	{
		char y[48];

		seckit_new_ip(y);
		t0 = seckit_now_ms();
		seckit_login(0, y, phone, pw, &r);
		took = seckit_now_ms() - t0;
	}
	harness_sleep_ms(200);
	atomic_store(&f.stop, true);
	for (int k = 0; k < THREADS; k++)
		pthread_join(th[k], NULL);
	seckit_note("flood from one IP: %d replies, BAD_CREDENTIALS %d, IP_LIMIT %d (%d with the "
	            "wrong message or no retry_after_s), other %d, no reply %d; the other IP's "
	            "login took %.0f ms",
	    atomic_load(&f.calls), atomic_load(&f.bad_credentials), atomic_load(&f.ip_limit),
	    atomic_load(&f.ip_limit_wrong), atomic_load(&f.other), atomic_load(&f.no_reply), took);
	SK_CHECK(atomic_load(&f.ip_limit) > 0,
	    "a flood of %d concurrent bogus logins from one IP got no RESOURCE_EXHAUSTED/IP_LIMIT",
	    THREADS);
	SK_CHECK(atomic_load(&f.ip_limit_wrong) == 0, "an IP_LIMIT reply: %s", f.first_wrong);
	SK_CHECK(atomic_load(&f.other) == 0 && atomic_load(&f.no_reply) == 0,
	    "the flood got %d other replies (first: %s) and %d calls without a reply",
	    atomic_load(&f.other), f.first_other, atomic_load(&f.no_reply));
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL, "another IP's login during the flood");
	pa_reply_clear(&r);
	limit = 10 * login < 1000 ? 1000 : 10 * login > 3000 ? 3000 : 10 * login;
	SK_CHECK(took < limit,
	    "another IP's login during the flood took %.0f ms (a real login: %.0f ms), want under "
	    "%.0f ms",
	    took, login, limit);
	seckit_login_ok(0, ip, phone, pw, tok); /* the flood left nothing broken */
	seckit_done();
}

/* ---- finding 7 ------------------------------------------------------------------------------- */

/* Finding 7: a session and a signup token issued under PHONEAUTH_TOKEN_KEY=K1 still work after
 * a restart with the ring "K2,K1" (new key first): ValidateSession answers OK, CreateAccount with
 * the signup token makes the account, and Logout really ends the old session. */
static void
test_f7_token_key_rotation(void **state)
{
	const char *const env_k1[] = { "PHONEAUTH_TOKEN_KEY=" SECKIT_TOKEN_KEY_1, NULL };
	const char *const env_ring[]
	    = { "PHONEAUTH_TOKEN_KEY=" SECKIT_TOKEN_KEY_2 "," SECKIT_TOKEN_KEY_1, NULL };
	char            phone[16], phone2[16], ip[48], user_id[40], s1[128], s2[128], s3[128];
	char            token[128];
	const char     *pw = "Rotate#Keys2024";
	struct pa_reply r;
	long            revoked;

	(void) state;
	seckit_start(0, "sec_tokens_f7", env_k1);
	seckit_new_phone(phone);
	seckit_new_phone(phone2);
	seckit_new_ip(ip);
	seckit_ff_account(0, ip, phone, pw, user_id);
	seckit_login_ok(0, ip, phone, pw, s1);
	seckit_login_ok(0, ip, phone, pw, s2);
	seckit_ff_token(0, ip, phone2, token);

	seckit_restart(0, env_ring);
	seckit_validate(0, ip, s1, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL,
	    "ValidateSession of a session made under the old key");
	pa_reply_clear(&r);
	seckit_create_account(0, ip, token, pw, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL,
	    "CreateAccount with a signup token made under the old key");
	pa_reply_clear(&r);
	seckit_logout(0, ip, s2, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL, "Logout of an old session");
	pa_reply_clear(&r);
	revoked = seckit_qlong("SELECT count(*) FROM sessions WHERE user_id = $1::uuid"
	                       " AND revoked_at IS NOT NULL",
	    user_id, NULL);
	SK_CHECK(revoked == 1,
	    "Logout of a session made under the old key ended %ld sessions, want 1", revoked);
	/* New sessions work under the new key. */
	seckit_login_ok(0, ip, phone, pw, s3);
	seckit_validate(0, ip, s3, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL, "ValidateSession of a new session");
	pa_reply_clear(&r);
	seckit_done();
}

/* ---- finding 10 ------------------------------------------------------------------------------ */

/* CreateAccount with pw and a fresh signup token on instance i: whether it made the account; a
 * refusal must be PASSWORD_POLICY with the profile's message. */
static bool
create_with(int i, const char *pw, const char *what)
{
	char            phone[16], ip[48], token[128], got[400];
	struct pa_reply r;
	bool            ok;

	seckit_new_phone(phone);
	seckit_new_ip(ip);
	seckit_ff_token(0, ip, phone, token);
	seckit_create_account(i, ip, token, pw, &r);
	ok = r.code == C(OK);
	if (!ok)
		SK_EXPECT(&r, C(INVALID_ARGUMENT), RS(PASSWORD_POLICY), MSG_PW_POLICY, what);
	seckit_note("%s: %s", what, seckit_reply_str(&r, got, sizeof got));
	pa_reply_clear(&r);
	return ok;
}

/* An account on a new phone made with pw_create: whether Login with pw_login works. */
static bool
login_with_other_form(const char *pw_create, const char *pw_login, const char *what)
{
	char            phone[16], ip[48], got[400];
	struct pa_reply r;
	bool            ok;

	seckit_new_phone(phone);
	seckit_new_ip(ip);
	seckit_ff_account(0, ip, phone, pw_create, NULL);
	seckit_login(0, ip, phone, pw_login, &r);
	ok = r.code == C(OK);
	seckit_note("%s: %s", what, seckit_reply_str(&r, got, sizeof got));
	pa_reply_clear(&r);
	return ok;
}

/* Finding 10: the profile's rules (8 characters or more, a capital, a digit, a special) count
 * Unicode: a capital is any uppercase letter ("É", "Ж"), a special is neither a letter nor a
 * digit nor a space ("é" is a letter; a space counts only with
 * PHONEAUTH_PASSWORD_SPACE_SPECIAL=true), PHONEAUTH_PASSWORD_MAX (128) counts characters, and
 * passwords are NFC-normalised before hashing, so "e" + U+0301 and "é" are the same password.
 * Each input breaks or meets exactly one rule. */
static void
test_f10_password_rules_count_characters(void **state)
{
	const char *const env_space[] = { "PHONEAUTH_PASSWORD_SPACE_SPECIAL=true", NULL };
	const char       *decomposed  = "Cafe\xcc\x81#2024"; /* "Cafe" U+0301 "#2024" */
	const char       *precomposed = "Caf\xc3\xa9#2024"; /* "Caf" U+00E9 "#2024" */
	char              longpw[3 + 2 * 126 + 1];

	(void) state;
	seckit_start(0, "sec_tokens_f10", NULL);
	seckit_start(1, "sec_tokens_f10_space", env_space);

	SK_CHECK(create_with(0,
	             "\xc3\x89"
	             "clair#2024",
	             "only capital \"\xc3\x89\""),
	    "a password whose only capital is \"\xc3\x89\" was refused");
	SK_CHECK(create_with(0,
	             "\xd0\x96"
	             "ar\xd0\xb0#2024",
	             "only capital \"\xd0\x96\""),
	    "a password whose only capital is \"\xd0\x96\" was refused");
	SK_CHECK(!create_with(0,
	             "abcdefg\xc3\xa9"
	             "1A",
	             "\"abcdefg\xc3\xa9"
	             "1A\": no special"),
	    "\"abcdefg\xc3\xa9"
	    "1A\" was accepted: a non-ASCII letter counted as a special");
	SK_CHECK(!create_with(0, "Abcdefg 1", "\"Abcdefg 1\": a space, no special"),
	    "\"Abcdefg 1\" was accepted: a space counted as a special");
	SK_CHECK(create_with(1, "Abcdefg 1", "\"Abcdefg 1\" with PHONEAUTH_PASSWORD_SPACE_SPECIAL"),
	    "\"Abcdefg 1\" was refused with PHONEAUTH_PASSWORD_SPACE_SPECIAL=true");

	/* 128 characters, 253 bytes: at the limit; one more letter is past it. */
	memcpy(longpw, "A1#", 3);
	for (int k = 0; k < 125; k++)
		memcpy(longpw + 3 + 2 * k, "\xc3\xa9", 2);
	longpw[3 + 2 * 125] = '\0';
	SK_CHECK(create_with(0, longpw, "128 characters of which 125 are \"\xc3\xa9\""),
	    "a password of 128 characters (PHONEAUTH_PASSWORD_MAX) in 253 bytes was refused");
	memcpy(longpw + 3 + 2 * 125, "\xc3\xa9", 3);
	SK_CHECK(
	    !create_with(0, longpw, "129 characters"), "a password of 129 characters was accepted");

	SK_CHECK(
	    login_with_other_form(decomposed, precomposed, "made decomposed, login precomposed"),
	    "an account made with \"e\" + U+0301 does not log in with \"\xc3\xa9\"");
	SK_CHECK(
	    login_with_other_form(precomposed, decomposed, "made precomposed, login decomposed"),
	    "an account made with \"\xc3\xa9\" does not log in with \"e\" + U+0301");
	seckit_done();
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, seckit_test_setup, seckit_test_teardown)
	const struct CMUnitTest tests[] = {
		T(test_f5_unauthenticated_calls_do_not_burn_argon2),
		T(test_f7_token_key_rotation),
		T(test_f10_password_rules_count_characters),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, seckit_group_teardown);
}
