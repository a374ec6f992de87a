/* test_security_ff.c: attacks on Fancy Feathers (issue 13), replayed through the public RPCs
 * against real phoneauth-auth processes and a real PostgreSQL, asserting the behaviour the fixes
 * must give: reset codes of 6 digits with a daily cap on tries (finding 1), no lockout of the owner
 * by a stranger and an atomic failure count (3), no cancellation of someone's code by a stranger
 * and a per-(phone, IP) share of the send budget (4), and per-IP limits that cannot be stepped
 * around (9). Every test prints each check that fails and goes on, then fails at its end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "seckit.h"

/* The fancy-feathers messages, verbatim from libcommon/src/policy.c. */
#define MSG_OTP_SENT "An OTP has been sent to your mobile number. Please enter it below to verify."
#define MSG_CODE_INVALID "Invalid or expired OTP. Please try again."
#define MSG_TOO_MANY "Maximum OTP attempts reached. Try again later."
#define MSG_SEND_LIMIT "Too many OTP requests. Try again later."
#define MSG_LOGIN_INVALID "Invalid mobile number or password."
#define MSG_LOGIN_LOCKED "Too many failed login attempts. Try again later."
#define MSG_VERIFIED "OTP verified successfully!"
#define MSG_RESET_STARTED                                                                  \
	"An OTP has been sent to your mobile number. Please enter it below to reset your " \
	"password."
#define MSG_RATE_LIMITED_IP "Too many requests. Try again later."

static const struct seckit_profile profile = {
	.name       = "fancy-feathers",
	.db_name    = "t_sec_ff",
	.ip_prefix  = "198.18",
	.phone_base = 1000,
	.sms_prefix = "Fancy Feathers: Your verification code is ",
	.sms_suffix = ".\nIt will expire in 5 minutes.",
};

static int
group_setup(void **state)
{
	(void) state;
	return seckit_group_setup(&profile);
}

/* StartPasswordReset that must answer OK; the verification id and the code its SMS carries (""
 * and a failed check when there is none). Returns the reply's code_length. */
static unsigned
reset_code(int i, const char *ip, const char *login, char vid[40], char code[16])
{
	struct pa_reply                            r;
	Phoneauth__V1__StartPasswordResetResponse *b;
	unsigned                                   len = 0;

	vid[0] = code[0] = '\0';
	seckit_start_reset(i, ip, login, &r);
	if (SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_RESET_STARTED, "StartPasswordReset")) {
		b = (Phoneauth__V1__StartPasswordResetResponse *) r.body;
		seckit_vid(b->sent, vid);
		len = b->sent != NULL ? b->sent->code_length : 0;
	}
	pa_reply_clear(&r);
	if (vid[0] != '\0')
		(void) seckit_outbox_code(vid, code);
	return len;
}

/* n wrong tries on vid (code is the right one), each CODE_INVALID; *tries counts them. */
static void
wrong_tries(int i, const char *ip, const char *vid, const char *code, int n, int *tries)
{
	for (int k = 0; k < n; k++) {
		char            bad[16], what[64];
		struct pa_reply r;

		seckit_wrong_code(code, bad, k + 1);
		seckit_verify(i, ip, vid, bad, &r);
		(*tries)++;
		(void) snprintf(what, sizeof what, "wrong try %d", *tries);
		SK_EXPECT(&r, C(INVALID_ARGUMENT), RS(CODE_INVALID), MSG_CODE_INVALID, what);
		pa_reply_clear(&r);
	}
}

/* A right code past a daily cap: TOO_MANY_ATTEMPTS with the message and a retry_after_s. */
static void
expect_capped(int i, const char *ip, const char *vid, const char *code, const char *what)
{
	struct pa_reply r;

	seckit_verify(i, ip, vid, code, &r);
	if (SK_EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(TOO_MANY_ATTEMPTS), MSG_TOO_MANY, what))
		SK_CHECK(r.retry_after_s > 0, "%s: retry_after_s is 0", what);
	pa_reply_clear(&r);
}

/* ---- finding 1 ------------------------------------------------------------------------------- */

/* Finding 1: a reset code is 6 digits (PHONEAUTH_RESET_CODE_LENGTH) whatever the 4-digit signup
 * length, and tries on reset codes are capped at 10 per phone and account per day, right tries
 * included, even on a brand-new code; signup codes are capped at 30 tries per phone per day. The
 * 10-minute window is widened (PHONEAUTH_TRIES_PER_PHONE=1000; PHONEAUTH_TRIES_WINDOW cannot go
 * below 60 s today) so that only the daily caps can stop the guesses. */
static void
test_f1_reset_code_length_and_daily_caps(void **state)
{
	const char *const env[]   = { "PHONEAUTH_TRIES_PER_PHONE=1000",
		  "PHONEAUTH_SENDS_PER_PHONE_HOUR=100", "PHONEAUTH_SENDS_PER_IP_HOUR=1000",
		  "PHONEAUTH_SENDS_PER_PHONE_IP_HOUR=100", NULL };
	const char *const env40[] = { "PHONEAUTH_TRIES_PER_PHONE=1000",
		"PHONEAUTH_TRIES_PER_CODE=40", "PHONEAUTH_SENDS_PER_IP_HOUR=1000", NULL };
	/* Tries per reset code: 3 (the last one right), 3, 3, then 1 wrong: 10 in all. */
	static const int wrong[4] = { 2, 3, 3, 1 };
	char             phone[16], ip[48], vid[40], code[16];
	int              tries = 0;
	struct pa_reply  r;

	(void) state;
	seckit_start(0, "sec_ff_f1", env);
	seckit_new_phone(phone);
	seckit_new_ip(ip);
	seckit_ff_account(0, ip, phone, "Guess#Me2024", NULL);
	for (int k = 0; k < 4; k++) {
		unsigned len;
		int      digits;

		harness_sleep_ms(1100);
		seckit_new_ip(ip);
		len    = reset_code(0, ip, phone, vid, code);
		digits = (int) strlen(code);
		SK_CHECK(len == 6, "reset code %d: CodeSent.code_length is %u, want 6", k + 1, len);
		SK_CHECK(
		    digits == 6, "reset code %d: the SMS carries %d digits, want 6", k + 1, digits);
		if (vid[0] == '\0' || code[0] == '\0')
			fail_msg("reset code %d: none to try", k + 1);
		wrong_tries(0, ip, vid, code, wrong[k], &tries);
		if (k == 0) {
			seckit_verify(0, ip, vid, code, &r);
			tries++;
			SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_VERIFIED,
			    "the right reset code as try 3");
			pa_reply_clear(&r);
		}
	}
	seckit_note("%d tries on 4 reset codes", tries);
	expect_capped(0, ip, vid, code, "try 11 (the right code) on reset code 4");
	harness_sleep_ms(1100);
	seckit_new_ip(ip);
	(void) reset_code(0, ip, phone, vid, code);
	if (code[0] != '\0')
		expect_capped(0, ip, vid, code, "the right code of a brand-new reset code");

	/* Signup codes: 30 tries per phone per day, here on one code that allows 40. */
	seckit_start(1, "sec_ff_f1_signup", env40);
	seckit_new_phone(phone);
	seckit_new_ip(ip);
	seckit_ff_signup(1, ip, phone, vid, code);
	tries = 0;
	wrong_tries(1, ip, vid, code, 30, &tries);
	expect_capped(1, ip, vid, code, "try 31 (the right code) on a signup code");
	harness_sleep_ms(1100);
	seckit_ff_signup(1, ip, phone, vid, code);
	expect_capped(1, ip, vid, code, "the right code of a brand-new signup code");
	seckit_done();
}

/* ---- finding 3 ------------------------------------------------------------------------------- */

struct login_job {
	int                inst;
	const char        *ip, *login, *pw;
	pthread_barrier_t *go;
	pa_err             rv;
	struct pa_reply    r;
};

static void *
login_thread(void *arg)
{
	struct login_job           *j   = arg;
	Phoneauth__V1__LoginRequest req = PHONEAUTH__V1__LOGIN_REQUEST__INIT;

	req.login    = (char *) j->login;
	req.password = (char *) j->pw;
	(void) pthread_barrier_wait(j->go);
	j->rv = seckit_call(
	    j->inst, j->ip, "Login", &req.base, &phoneauth__v1__login_response__descriptor, &j->r);
	return NULL;
}

/* Finding 3 (Fancy Feathers): six wrong passwords from a stranger's IP lock that (login, IP) out,
 * not the owner, who still logs in from another IP; and 20 wrong passwords at once from one IP
 * get at most PHONEAUTH_LOGIN_MAX_FAILURES (5) BAD_CREDENTIALS, the rest ACCOUNT_LOCKED. The
 * concurrent part runs with 20 slow workers and a costlier hash, so that today's read-hash-write
 * race shows, and with PHONEAUTH_SLOW_PER_IP=100 so that the per-IP slow budget stays out of it. */
static void
test_f3_ff_stranger_cannot_lock_owner(void **state)
{
	enum { N = 20 };
	const char *const env_race[] = { "PHONEAUTH_SLOW_WORKERS=20", "PHONEAUTH_PWHASH_OPS=4",
		"PHONEAUTH_PWHASH_MEM_KIB=32768", "PHONEAUTH_SLOW_PER_IP=100", NULL };
	const char       *pw         = "Owner#Pass77";
	char              phone[16], x[48], y[48], tok[128], got[400];
	struct pa_reply   r;
	struct login_job  jobs[N];
	pthread_t         th[N];
	pthread_barrier_t go;
	int               bad = 0, locked = 0, other = 0;

	(void) state;
	seckit_start(0, "sec_ff_f3", NULL);
	seckit_new_phone(phone);
	seckit_new_ip(x);
	seckit_new_ip(y);
	seckit_ff_account(0, y, phone, pw, NULL);
	for (int k = 1; k <= 7; k++) {
		char what[64];

		seckit_login(0, x, phone, "Stranger#Guess1", &r);
		(void) snprintf(what, sizeof what, "wrong password %d from the stranger's IP", k);
		if (k <= 4)
			SK_EXPECT(
			    &r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS), MSG_LOGIN_INVALID, what);
		else if (k >= 6
		    && SK_EXPECT(
		        &r, C(RESOURCE_EXHAUSTED), RS(ACCOUNT_LOCKED), MSG_LOGIN_LOCKED, what))
			SK_CHECK(r.retry_after_s > 0, "%s: retry_after_s is 0", what);
		pa_reply_clear(&r);
	}
	seckit_login(0, y, phone, pw, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL,
	    "the owner's right password from another IP after a stranger's 7 failures");
	pa_reply_clear(&r);

	seckit_start(1, "sec_ff_f3_race", env_race);
	seckit_new_phone(phone);
	seckit_new_ip(x);
	seckit_ff_account(1, x, phone, pw, NULL);
	seckit_login_ok(1, x, phone, pw, tok);
	assert_int_equal(pthread_barrier_init(&go, NULL, N), 0);
	for (int k = 0; k < N; k++) {
		jobs[k] = (struct login_job) {
			.inst = 1, .ip = x, .login = phone, .pw = "Wrong#Guess99", .go = &go
		};
		assert_int_equal(pthread_create(&th[k], NULL, login_thread, &jobs[k]), 0);
	}
	for (int k = 0; k < N; k++)
		pthread_join(th[k], NULL);
	(void) pthread_barrier_destroy(&go);
	for (int k = 0; k < N; k++) {
		if (jobs[k].rv != PA_OK) {
			print_error("  login %d: no reply (%s)\n", k, pa_strerror(jobs[k].rv));
			other++;
			continue;
		}
		if (jobs[k].r.code == C(UNAUTHENTICATED) && jobs[k].r.reason == RS(BAD_CREDENTIALS))
			bad++;
		else if (jobs[k].r.code == C(RESOURCE_EXHAUSTED)
		    && jobs[k].r.reason == RS(ACCOUNT_LOCKED))
			locked++;
		else {
			print_error(
			    "  login %d: %s\n", k, seckit_reply_str(&jobs[k].r, got, sizeof got));
			other++;
		}
		pa_reply_clear(&jobs[k].r);
	}
	seckit_note("%d concurrent wrong logins: BAD_CREDENTIALS %d, ACCOUNT_LOCKED %d, other %d",
	    N, bad, locked, other);
	SK_CHECK(bad <= 5,
	    "%d of %d concurrent wrong logins were counted as BAD_CREDENTIALS, want at most 5", bad,
	    N);
	SK_CHECK(locked == N - bad && other == 0,
	    "concurrent wrong logins: %d ACCOUNT_LOCKED and %d other, want the rest (%d) locked",
	    locked, other, N - bad);
	seckit_done();
}

/* ---- finding 4 ------------------------------------------------------------------------------- */

/* Finding 4 (Fancy Feathers): a stranger's StartPasswordReset for the phone of a pending signup
 * code leaves that code working (today already: FF answers NOT_FOUND without an account), and a
 * stranger's StartPasswordReset for an account's phone leaves the owner's pending reset code
 * working. One IP gets at most 3 of the phone's 5 sends an hour
 * (PHONEAUTH_SENDS_PER_PHONE_IP_HOUR); another IP still gets a code. */
static void
test_f4_ff_stranger_cannot_cancel_code(void **state)
{
	const char *const env[] = { "PHONEAUTH_SENDS_PER_IP_HOUR=1000", NULL };
	char              phone[16], ip1[48], ip2[48], vid[40], code[16], got[400];
	struct pa_reply   r;

	(void) state;
	seckit_start(0, "sec_ff_f4", env);

	/* A pending signup code, then a stranger's reset for the same phone. */
	seckit_new_phone(phone);
	seckit_new_ip(ip1);
	seckit_new_ip(ip2);
	seckit_ff_signup(0, ip1, phone, vid, code);
	harness_sleep_ms(1100);
	seckit_start_reset(0, ip2, phone, &r);
	seckit_note("stranger's StartPasswordReset on a signup phone: %s",
	    seckit_reply_str(&r, got, sizeof got));
	pa_reply_clear(&r);
	seckit_verify(0, ip1, vid, code, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_VERIFIED,
	    "the signup code after a stranger's StartPasswordReset");
	pa_reply_clear(&r);

	/* A pending signup code, then a stranger's StartSignup for the same phone on a
	 * subscription of the stranger's own (LinkSubscription links any phone): the person's code
	 * still works (the security review: every signup had the same identity). */
	seckit_new_phone(phone);
	seckit_new_ip(ip1);
	seckit_new_ip(ip2);
	seckit_ff_signup(0, ip1, phone, vid, code);
	harness_sleep_ms(1100);
	{
		char svid[40], scode[16];

		seckit_ff_signup(0, ip2, phone, svid, scode);
	}
	seckit_verify(0, ip1, vid, code, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_VERIFIED,
	    "the signup code after a stranger's StartSignup on another subscription");
	pa_reply_clear(&r);

	/* The owner's pending reset code, then a stranger's reset for the same account. */
	seckit_new_phone(phone);
	seckit_new_ip(ip1);
	seckit_new_ip(ip2);
	seckit_ff_account(0, ip1, phone, "Keep#Mine2024", NULL);
	harness_sleep_ms(1100);
	(void) reset_code(0, ip1, phone, vid, code);
	harness_sleep_ms(1100);
	seckit_start_reset(0, ip2, phone, &r);
	seckit_note("stranger's StartPasswordReset on the account: %s",
	    seckit_reply_str(&r, got, sizeof got));
	pa_reply_clear(&r);
	seckit_verify(0, ip1, vid, code, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_VERIFIED,
	    "the owner's reset code after a stranger's StartPasswordReset");
	pa_reply_clear(&r);

	/* One IP's share of a phone's send budget. */
	seckit_new_phone(phone);
	seckit_new_ip(ip1);
	seckit_new_ip(ip2);
	seckit_ff_signup(0, ip1, phone, vid, code);
	for (int k = 2; k <= 4; k++) {
		char what[64];

		harness_sleep_ms(1100);
		seckit_resend(0, ip1, vid, &r);
		(void) snprintf(what, sizeof what, "send %d for the phone from one IP", k);
		if (k <= 3)
			SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_OTP_SENT, what);
		else if (SK_EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(SEND_LIMIT), MSG_SEND_LIMIT, what))
			SK_CHECK(r.retry_after_s > 0, "%s: retry_after_s is 0", what);
		pa_reply_clear(&r);
	}
	harness_sleep_ms(1100);
	seckit_resend(0, ip2, vid, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_OTP_SENT, "a send for it from another IP");
	pa_reply_clear(&r);
	seckit_done();
}

/* ---- finding 9 ------------------------------------------------------------------------------- */

/* Sends a StartSignup to a new phone on instance i from ip (NULL: none); OK or refused. */
static bool
send_one(int i, const char *ip, struct pa_reply *r)
{
	char phone[16];

	seckit_new_phone(phone);
	seckit_start_signup(i, ip, NULL, phone, r);
	return r->code == C(OK);
}

/* n sends from ips[k] (NULL entries: no IP): how many were OK; every refusal must be IP_LIMIT
 * with the message and a retry_after_s. */
static int
sends(int i, const char *const *ips, int n, const char *what)
{
	int ok = 0;

	for (int k = 0; k < n; k++) {
		struct pa_reply r;
		char            got[400];

		if (send_one(i, ips[k], &r))
			ok++;
		else if (SK_EXPECT(
		             &r, C(RESOURCE_EXHAUSTED), RS(IP_LIMIT), MSG_RATE_LIMITED_IP, what))
			SK_CHECK(r.retry_after_s > 0, "%s: retry_after_s is 0", what);
		seckit_note("%s, send %d from %s: %s", what, k + 1, ips[k] ? ips[k] : "(no IP)",
		    seckit_reply_str(&r, got, sizeof got));
		pa_reply_clear(&r);
	}
	return ok;
}

/* Finding 9: with 3 sends per IP an hour, (a) calls without an end_user_ip share one bucket, (b)
 * addresses of one IPv6 /64 share one and another /64 does not, and (c) without a client token
 * end_user_ip is not trusted (every call counts in one shared bucket) unless
 * PHONEAUTH_TRUST_END_USER_IP=true. The subscription match is off (PHONEAUTH_SUBSCRIPTION_REQUIRED)
 * so that a send is one call. */
static void
test_f9_ip_limits_not_bypassed(void **state)
{
	const char *const env[]
	    = { "PHONEAUTH_SUBSCRIPTION_REQUIRED=false", "PHONEAUTH_SENDS_PER_IP_HOUR=3", NULL };
	const char *const env_untrusted[] = { "PHONEAUTH_SUBSCRIPTION_REQUIRED=false",
		"PHONEAUTH_SENDS_PER_IP_HOUR=3", "PHONEAUTH_CLIENT_TOKEN=", NULL };
	const char *const env_trusted[]
	    = { "PHONEAUTH_SUBSCRIPTION_REQUIRED=false", "PHONEAUTH_SENDS_PER_IP_HOUR=3",
		      "PHONEAUTH_CLIENT_TOKEN=", "PHONEAUTH_TRUST_END_USER_IP=true", NULL };
	const char *const none[4] = { NULL, NULL, NULL, NULL };
	const char *const v6[5]   = { "2001:db8:5ec:1::1", "2001:db8:5ec:1::2", "2001:db8:5ec:1::3",
		  "2001:db8:5ec:1:8000:ab:cd:ef", "2001:db8:5ec:2::1" };
	char              ip[4][48];
	const char       *ips[4] = { ip[0], ip[1], ip[2], ip[3] };
	struct pa_reply   r;
	int               ok;

	(void) state;
	seckit_start(0, "sec_ff_f9", env);
	ok = sends(0, none, 4, "(a) no end_user_ip");
	SK_CHECK(
	    ok == 3, "(a) %d of 4 sends without an end_user_ip went out, want 3 (one bucket)", ok);

	ok = sends(0, v6, 4, "(b) one IPv6 /64");
	SK_CHECK(ok == 3, "(b) %d of 4 sends from one /64 went out, want 3", ok);
	SK_CHECK(send_one(0, v6[4], &r), "(b) a send from another /64 was refused");
	pa_reply_clear(&r);

	/* (d) IPv4-mapped IPv6 addresses (what dual-stack servers report) count by their IPv4:
	 * two of them are two buckets, not one ::/64 (the security review). */
	{
		const char *const mapped[4] = { "::ffff:198.51.100.7", "::ffff:198.51.100.7",
			"::ffff:198.51.100.7", "::ffff:198.51.100.8" };

		ok = sends(0, mapped, 4, "(d) IPv4-mapped");
		SK_CHECK(ok == 4,
		    "(d) %d of 4 sends from two IPv4-mapped addresses went out, want 4", ok);
	}

	/* Untrusted IPs may share the no-IP bucket, which (a) filled: at most 3 of 4. */
	seckit_start(1, "sec_ff_f9_untrusted", env_untrusted);
	for (int k = 0; k < 4; k++)
		seckit_new_ip(ip[k]);
	ok = sends(1, ips, 4, "(c) no client token, 4 IPs");
	SK_CHECK(ok <= 3,
	    "(c) %d of 4 sends from 4 end_user_ips went out without a client token, want at most 3"
	    " (the IP is not trusted)",
	    ok);

	seckit_start(2, "sec_ff_f9_trusted", env_trusted);
	for (int k = 0; k < 4; k++)
		seckit_new_ip(ip[k]);
	ok = sends(2, ips, 4, "(c) trusted IPs");
	SK_CHECK(ok == 4, "(c) %d of 4 sends from 4 trusted end_user_ips went out, want 4", ok);
	seckit_done();
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, seckit_test_setup, seckit_test_teardown)
	const struct CMUnitTest tests[] = {
		T(test_f1_reset_code_length_and_daily_caps),
		T(test_f3_ff_stranger_cannot_lock_owner),
		T(test_f4_ff_stranger_cannot_cancel_code),
		T(test_f9_ip_limits_not_bypassed),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, seckit_group_teardown);
}
