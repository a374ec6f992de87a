/* test_security_lf.c: attacks on LawnFlow (issue 13), replayed through the public RPCs against
 * real phoneauth-auth processes and a real PostgreSQL, asserting the behaviour the fixes must give:
 * an unverified registration holds neither its email nor its phone (finding 2), login throttling
 * that reads the same for unknown and existing logins and never locks the owner out (3), and no
 * cancellation of someone's pending code by a stranger's start (4). Every test prints each check
 * that fails and goes on, then fails at its end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "harness.h"
#include "seckit.h"

/* The lawnflow messages, verbatim from libcommon/src/policy.c. */
#define MSG_REGISTERED "If your details are valid, we've sent a verification code to your phone."
#define MSG_OTP_SENT "If your number can receive texts, a new verification code is on its way."
#define MSG_CODE_INVALID \
	"We couldn't verify that code. Check it and try again, or request a new one."
#define MSG_LOGIN_INVALID "Invalid email, phone number or password."
#define MSG_LOGIN_LOCKED "Too many failed sign-in attempts. Please try again later."
#define MSG_VERIFIED "Your phone number has been verified."
#define MSG_RESET_STARTED "If an account matches, we've sent a reset code to its phone."

static const struct seckit_profile profile = {
	.name       = "lawnflow",
	.db_name    = "t_sec_lf",
	.ip_prefix  = "198.19",
	.phone_base = 3000,
	.sms_prefix = "Your LawnFlow verification code is ",
	.sms_suffix = ". It expires in 10 minutes.",
};

static const char *const env_lf[] = { "PHONEAUTH_SENDS_PER_IP_HOUR=1000", NULL };

static int
group_setup(void **state)
{
	(void) state;
	return seckit_group_setup(&profile);
}

/* What a site (or an attacker) sees of a reply but the verification id: code, reason, message,
 * whether retry_after_s and attempts_left are there, and the CodeSent with its id blanked. */
static void
reply_sig(const struct pa_reply *r, const Phoneauth__V1__CodeSent *sent, char *out, size_t outsz)
{
	char    hex[512] = "none";
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
	(void) snprintf(out, outsz, "%s/%s \"%s\" retry_after=%s attempts_left=%s sent=%s",
	    pa_code_name(r->code), pa_reason_name(r->reason), r->message,
	    r->retry_after_s > 0 ? "set" : "absent", r->has_attempts_left ? "set" : "absent", hex);
}

/* Register that must answer OK with the profile's message; its verification id and reply_sig. */
static void
register_ok(int i, const char *ip, const char *email, const char *pw, const char *phone,
    char vid[40], char sig[1024])
{
	struct pa_reply                  r;
	Phoneauth__V1__RegisterResponse *b;

	vid[0] = sig[0] = '\0';
	seckit_register(i, ip, email, pw, phone, &r);
	if (SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_REGISTERED, "RegisterAccount")) {
		b = (Phoneauth__V1__RegisterResponse *) r.body;
		seckit_vid(b->sent, vid);
		reply_sig(&r, b->sent, sig, 1024);
	}
	pa_reply_clear(&r);
}

/* A right code that must verify; what names it. */
static bool
verify_ok(int i, const char *ip, const char *vid, const char *code, const char *what)
{
	struct pa_reply r;
	bool            ok;

	seckit_verify(i, ip, vid, code, &r);
	ok = SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_VERIFIED, what);
	pa_reply_clear(&r);
	return ok;
}

static bool
login_works(int i, const char *ip, const char *login, const char *pw)
{
	struct pa_reply r;
	bool            ok;

	seckit_login(i, ip, login, pw, &r);
	ok = r.code == C(OK);
	pa_reply_clear(&r);
	return ok;
}

static char *
verification_state(const char *vid)
{
	return seckit_q1("SELECT state FROM verifications WHERE id::text = $1", vid, NULL);
}

/* ---- finding 2 ------------------------------------------------------------------------------- */

/* Finding 2: an email registered with a phone that is never verified can be registered again
 * with another phone: the second phone gets a real code (replies identical to the first), and
 * verifying it makes the account, with the second password and the second phone. A verified
 * account is never taken over that way (nothing sent, same reply, old password only). And an
 * unverified registration does not hold its phone: another email registers it and gets the
 * account. Once one registration's code verified the account, the others' codes neither verify
 * nor resend (the security review's takeover: an old pending code would replace the owner's
 * phone and password). */
static void
test_f2_unverified_registration_holds_nothing(void **state)
{
	char ph[3][16], q[3][16], p5[16], ip[48], eA[64], eV[64], eN[64], eB[64], eC[64];
	char vid1[40], vid2[40], vidT[40], vidN[40], vidC[40], code[16];
	char sig1[1024], sig2[1024], sigT[1024], sigN[1024], *v;
	long to_q1;

	(void) state;
	seckit_start(0, "sec_lf_f2", env_lf);

	/* The typo'd phone, then the owner's own. */
	seckit_same_tail_phones(2, ph);
	seckit_new_email(eA);
	seckit_new_ip(ip);
	register_ok(0, ip, eA, "first-pass-1", ph[0], vid1, sig1);
	SK_CHECK(seckit_outbox_count(vid1) == 1, "the first registration sent no code");
	harness_sleep_ms(1100);
	seckit_new_ip(ip);
	register_ok(0, ip, eA, "second-pass-2", ph[1], vid2, sig2);
	SK_CHECK(strcmp(sig1, sig2) == 0, "the two Register replies differ:\n    %s\n    %s", sig1,
	    sig2);
	if (SK_CHECK(seckit_outbox_count(vid2) == 1,
	        "Register(same email, another phone) sent no code to the second phone "
	        "(%ld outbox rows for its verification)",
	        seckit_outbox_count(vid2))
	    && seckit_outbox_code(vid2, code) > 0
	    && verify_ok(0, ip, vid2, code, "the second phone's code")) {
		SK_CHECK(login_works(0, ip, eA, "second-pass-2"),
		    "Login with the email and the second password failed");
		SK_CHECK(login_works(0, ip, ph[1], "second-pass-2"),
		    "Login with the second phone and the second password failed");
		v = seckit_q1("SELECT phone_e164 FROM users WHERE lower(email) = lower($1)"
		              " AND phone_verified_at IS NOT NULL",
		    eA, NULL);
		SK_CHECK(v != NULL && strcmp(v, ph[1]) == 0,
		    "the verified account's phone is %s, want the second phone", v ? v : "(none)");
		free(v);
		/* The first registration's code, still pending, must not take the now verified
		 * account over (its phone and password would replace the owner's). */
		if (seckit_outbox_code(vid1, code) > 0) {
			struct pa_reply r;

			seckit_verify(0, ip, vid1, code, &r);
			SK_CHECK(r.code != C(OK),
			    "the first registration's old code verified after the account was: "
			    "its phone and password take the account over");
			pa_reply_clear(&r);
			SK_CHECK(login_works(0, ip, eA, "second-pass-2"),
			    "after the old code, the owner's password no longer logs in");
			SK_CHECK(!login_works(0, ip, eA, "first-pass-1"),
			    "after the old code, the first registration's password logs in");
			seckit_resend(0, ip, vid1, &r);
			SK_CHECK(r.code != C(OK),
			    "the first registration's code can still be resent after the account "
			    "was verified");
			pa_reply_clear(&r);
		}
	}

	/* A verified account: a registration with its email and another phone changes nothing. */
	seckit_same_tail_phones(3, q);
	seckit_new_email(eV);
	seckit_new_email(eN);
	seckit_new_ip(ip);
	seckit_lf_user(0, ip, eV, "verified-owner-1", q[0]);
	seckit_new_ip(ip);
	register_ok(0, ip, eN, "newcomer-pass-1", q[2], vidN, sigN);
	seckit_new_ip(ip);
	register_ok(0, ip, eV, "takeover-pass-9", q[1], vidT, sigT);
	SK_CHECK(strcmp(sigN, sigT) == 0,
	    "Register for a verified email reads unlike a new one:\n    %s\n    %s", sigN, sigT);
	to_q1 = seckit_qlong("SELECT count(*) FROM sms_outbox WHERE phone_e164 = $1", q[1], NULL);
	SK_CHECK(seckit_outbox_count(vidT) == 0 && to_q1 == 0,
	    "Register for a verified email sent %ld SMS to the other phone", to_q1);
	SK_CHECK(login_works(0, ip, eV, "verified-owner-1"),
	    "the verified owner's password stopped working");
	SK_CHECK(!login_works(0, ip, eV, "takeover-pass-9"),
	    "the takeover password logs in to the verified account");

	/* An unverified registration does not hold its phone. */
	seckit_new_phone(p5);
	seckit_new_email(eB);
	seckit_new_email(eC);
	seckit_new_ip(ip);
	register_ok(0, ip, eB, "squatter-pass-1", p5, vid1, sig1);
	harness_sleep_ms(1100);
	seckit_new_ip(ip);
	register_ok(0, ip, eC, "real-owner-pass-2", p5, vidC, sigN);
	if (SK_CHECK(seckit_outbox_count(vidC) == 1,
	        "Register(another email, the unverified phone) sent no code")
	    && seckit_outbox_code(vidC, code) > 0
	    && verify_ok(0, ip, vidC, code, "the code of the second email on the phone"))
		SK_CHECK(login_works(0, ip, eC, "real-owner-pass-2"),
		    "the second email's account does not log in");
	seckit_done();
}

/* ---- finding 3 ------------------------------------------------------------------------------- */

/* Finding 3 (LawnFlow): wrong passwords from one IP for an existing and for an unknown login get
 * replies identical at every step (code, reason, message, whether retry_after_s and attempts_left
 * are set): BAD_CREDENTIALS up to PHONEAUTH_LOGIN_MAX_FAILURES (5), then ACCOUNT_LOCKED with the
 * profile's message and a retry_after_s. The owner, from another IP, still logs in. */
static void
test_f3_lf_login_throttle_non_enumerating(void **state)
{
	char            phone[16], x[48], y[48], eE[64], eU[64], sE[1024], sU[1024], what[80];
	struct pa_reply rE, rU;

	(void) state;
	seckit_start(0, "sec_lf_f3", env_lf);
	seckit_new_phone(phone);
	seckit_new_email(eE);
	seckit_new_email(eU);
	seckit_new_ip(x);
	seckit_new_ip(y);
	seckit_lf_user(0, y, eE, "the-owner-pass-1", phone);
	for (int k = 1; k <= 7; k++) {
		seckit_login(0, x, eE, "stranger-guess-1", &rE);
		seckit_login(0, x, eU, "stranger-guess-1", &rU);
		reply_sig(&rE, NULL, sE, sizeof sE);
		reply_sig(&rU, NULL, sU, sizeof sU);
		SK_CHECK(strcmp(sE, sU) == 0,
		    "wrong password %d: an existing and an unknown login read differently:\n"
		    "    existing %s\n    unknown  %s",
		    k, sE, sU);
		for (int w = 0; w < 2; w++) {
			const struct pa_reply *r = w == 0 ? &rE : &rU;

			(void) snprintf(what, sizeof what, "wrong password %d for the %s login", k,
			    w == 0 ? "existing" : "unknown");
			if (k <= 4)
				SK_EXPECT(r, C(UNAUTHENTICATED), RS(BAD_CREDENTIALS),
				    MSG_LOGIN_INVALID, what);
			else if (k >= 6
			    && SK_EXPECT(r, C(RESOURCE_EXHAUSTED), RS(ACCOUNT_LOCKED),
			        MSG_LOGIN_LOCKED, what))
				SK_CHECK(r->retry_after_s > 0, "%s: retry_after_s is 0", what);
		}
		pa_reply_clear(&rE);
		pa_reply_clear(&rU);
	}
	SK_CHECK(login_works(0, y, eE, "the-owner-pass-1"),
	    "the owner's right password from another IP was refused after a stranger's failures");
	seckit_done();
}

/* Finding 3's oracle through Register (the security review): Register(E, P, pw) then Login(E, pw)
 * must read the same whether E was free (a new unverified user) or belongs to a verified account
 * (a phantom registration): an unverified registration logs nobody in, and says nothing. */
static void
test_f3_lf_register_then_login_says_nothing(void **state)
{
	char            p1[16], p2[16], p3[16], ip[48], eV[64], eN[64], vid[40], sig[1024];
	char            sN[1024], sV[1024];
	struct pa_reply r;

	(void) state;
	seckit_start(0, "sec_lf_f3_oracle", env_lf);
	seckit_new_phone(p1);
	seckit_new_phone(p2);
	seckit_new_phone(p3);
	seckit_new_email(eV);
	seckit_new_email(eN);
	seckit_new_ip(ip);
	seckit_lf_user(0, ip, eV, "verified-owner-7", p1);
	seckit_new_ip(ip);
	register_ok(0, ip, eN, "probe-pass-77", p2, vid, sig);
	register_ok(0, ip, eV, "probe-pass-77", p3, vid, sig);
	seckit_new_ip(ip);
	seckit_login(0, ip, eN, "probe-pass-77", &r);
	reply_sig(&r, NULL, sN, sizeof sN);
	pa_reply_clear(&r);
	seckit_login(0, ip, eV, "probe-pass-77", &r);
	reply_sig(&r, NULL, sV, sizeof sV);
	pa_reply_clear(&r);
	SK_CHECK(strcmp(sN, sV) == 0,
	    "Login after Register tells a free email from a verified account's:\n"
	    "    free     %s\n    verified %s",
	    sN, sV);
	seckit_done();
}

/* StartPasswordReset by email (the security review): for an account's email and for an unknown
 * one, every reply that follows reads the same: a second start inside the cooldown, a wrong code
 * (attempts left) and a resend after the cooldown, its CodeSent included (issue 16's review: the
 * resend's masked phone showed the owner's last digits). */
static void
test_f3_lf_reset_by_email_says_nothing(void **state)
{
	char            phone[16], ip[48], eV[64], eU[64], vV[40], vU[40], sV[1024], sU[1024];
	const char     *em[2]  = { eV, eU };
	char           *vid[2] = { vV, vU };
	struct pa_reply r;

	(void) state;
	seckit_start(0, "sec_lf_f3_reset", env_lf);
	seckit_new_phone(phone);
	seckit_new_email(eV);
	seckit_new_email(eU);
	seckit_new_ip(ip);
	seckit_lf_user(0, ip, eV, "reset-owner-pass-1", phone);
	harness_sleep_ms(1100);
	for (int k = 0; k < 2; k++) {
		seckit_new_ip(ip);
		seckit_start_reset(0, ip, em[k], &r);
		seckit_vid(r.code == C(OK)
		        ? ((Phoneauth__V1__StartPasswordResetResponse *) r.body)->sent
		        : NULL,
		    vid[k]);
		pa_reply_clear(&r);
	}
	for (int step = 0; step < 3; step++) {
		static const char *const names[] = { "a second start inside the cooldown",
			"a wrong code", "a resend after the cooldown" };
		char                    *sig[2]  = { sV, sU };

		if (step == 2)
			harness_sleep_ms(1100);
		for (int k = 0; k < 2; k++) {
			seckit_new_ip(ip);
			if (step == 0)
				seckit_start_reset(0, ip, em[k], &r);
			else if (step == 1)
				seckit_verify(0, ip, vid[k], "000000", &r);
			else
				seckit_resend(0, ip, vid[k], &r);
			/* The resend's CodeSent too: its masked phone would show the owner's. */
			reply_sig(&r,
			    step == 2 && r.code == C(OK) && r.body != NULL
			        ? ((Phoneauth__V1__ResendCodeResponse *) r.body)->sent
			        : NULL,
			    sig[k], 1024);
			pa_reply_clear(&r);
		}
		SK_CHECK(strcmp(sV, sU) == 0,
		    "reset by email, %s: an account's email and an unknown one read differently:\n"
		    "    account %s\n    unknown %s",
		    names[step], sV, sU);
	}
	seckit_done();
}

/* ---- finding 4 ------------------------------------------------------------------------------- */

/* Finding 4 (LawnFlow): a person's pending registration code survives, past the cooldown and from
 * other IPs, a stranger's StartSignup, StartPasswordReset and Register of another email for the
 * same phone; an owner's pending reset code survives a stranger's StartPasswordReset for the same
 * account. A person's own ResendCode still replaces their own code. */
static void
test_f4_lf_stranger_cannot_cancel_code(void **state)
{
	char            phone[16], ip1[48], ip[48], eA[64], eB[64], eV[64], vid[40], sig[1024];
	char            code[16], code2[16], got[400], *st;
	struct pa_reply r;

	(void) state;
	seckit_start(0, "sec_lf_f4", env_lf);
	seckit_new_phone(phone);
	seckit_new_email(eA);
	seckit_new_email(eB);
	seckit_new_ip(ip1);
	register_ok(0, ip1, eA, "person-pass-1", phone, vid, sig);
	if (seckit_outbox_code(vid, code) < 0)
		fail_msg("the registration sent no code");
	for (int step = 0; step < 3; step++) {
		static const char *const names[]
		    = { "StartSignup", "StartPasswordReset", "Register(another email)" };

		harness_sleep_ms(1100);
		seckit_new_ip(ip);
		if (step == 0)
			seckit_start_signup(0, ip, NULL, phone, &r);
		else if (step == 1)
			seckit_start_reset(0, ip, phone, &r);
		else
			seckit_register(0, ip, eB, "stranger-pass-2", phone, &r);
		st = verification_state(vid);
		seckit_note("stranger's %s for the phone: %s; the person's verification is now %s",
		    names[step], seckit_reply_str(&r, got, sizeof got), st ? st : "(gone)");
		free(st);
		pa_reply_clear(&r);
	}
	verify_ok(0, ip1, vid, code, "the person's registration code after the strangers' starts");

	/* An owner's reset code and a stranger's reset for the same account. */
	seckit_new_phone(phone);
	seckit_new_email(eV);
	seckit_new_ip(ip1);
	seckit_lf_user(0, ip1, eV, "owner-pass-3", phone);
	harness_sleep_ms(1100);
	seckit_start_reset(0, ip1, eV, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_RESET_STARTED, "the owner's reset");
	seckit_vid(
	    r.code == C(OK) ? ((Phoneauth__V1__StartPasswordResetResponse *) r.body)->sent : NULL,
	    vid);
	pa_reply_clear(&r);
	if (seckit_outbox_code(vid, code) < 0)
		fail_msg("the owner's reset sent no code");
	harness_sleep_ms(1100);
	seckit_new_ip(ip);
	seckit_start_reset(0, ip, phone, &r);
	seckit_note("stranger's StartPasswordReset for the account's phone: %s",
	    seckit_reply_str(&r, got, sizeof got));
	pa_reply_clear(&r);
	verify_ok(0, ip1, vid, code, "the owner's reset code after a stranger's reset");

	/* One's own resend replaces one's own code. */
	seckit_new_phone(phone);
	seckit_new_email(eA);
	seckit_new_ip(ip1);
	register_ok(0, ip1, eA, "resender-pass-4", phone, vid, sig);
	if (seckit_outbox_code(vid, code) < 0)
		fail_msg("the registration sent no code");
	harness_sleep_ms(1100);
	seckit_resend(0, ip1, vid, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_OTP_SENT, "one's own ResendCode");
	pa_reply_clear(&r);
	if (seckit_outbox_code(vid, code2) > 0 && strcmp(code, code2) != 0) {
		seckit_verify(0, ip1, vid, code, &r);
		SK_EXPECT(&r, C(INVALID_ARGUMENT), RS(CODE_INVALID), MSG_CODE_INVALID,
		    "the code one's own resend replaced");
		pa_reply_clear(&r);
	}
	verify_ok(0, ip1, vid, code2, "the resent code");
	seckit_done();
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, seckit_test_setup, seckit_test_teardown)
	const struct CMUnitTest tests[] = {
		T(test_f2_unverified_registration_holds_nothing),
		T(test_f3_lf_login_throttle_non_enumerating),
		T(test_f3_lf_register_then_login_says_nothing),
		T(test_f3_lf_reset_by_email_says_nothing),
		T(test_f4_lf_stranger_cannot_cancel_code),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, seckit_group_teardown);
}
