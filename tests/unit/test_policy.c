/* test_policy.c: both built-in profiles' values and seed messages, exact SMS bodies, PHONEAUTH_*
 * overrides and their errors, cross-field checks, the password rules, channels and the second
 * factor's settings, and the built-in languages (en, es, id) picked by BCP 47 tag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/smsenc.h"
#include "policy.h"

#define assert_ok(expr) assert_int_equal((expr), PA_OK)
#define assert_err(expr, err) assert_int_equal((expr), (err))

/* ---- fake environment ------------------------------------------------------------------------ */

#define ENV_MAX 32

static const char *env_names[ENV_MAX];
static const char *env_values[ENV_MAX];
static size_t      env_n;

static void
env_set(const char *name, const char *value)
{
	assert_true(env_n < ENV_MAX);
	env_names[env_n]  = name;
	env_values[env_n] = value;
	env_n++;
}

static const char *
fake_getenv(const char *name)
{
	/* Last one wins, so a test can override what it set before. */
	for (size_t i = env_n; i-- > 0;)
		if (strcmp(env_names[i], name) == 0)
			return env_values[i];
	return NULL;
}

static int
setup(void **state)
{
	env_n = 0;
	return 0;
}

static void
load_ok(struct pa_policy *p)
{
	char err[256];

	if (pa_policy_load(p, fake_getenv, err, sizeof err) != PA_OK)
		fail_msg("pa_policy_load failed: %s", err);
	assert_string_equal(err, "");
}

/* Expects EINVAL with err starting with the variable name; returns err for further checks. */
static const char *
load_bad(const char *var)
{
	static char      err[512];
	struct pa_policy p = { .name = (char *) "untouched" };

	assert_err(pa_policy_load(&p, fake_getenv, err, sizeof err), PA_EINVAL);
	if (strncmp(err, var, strlen(var)) != 0)
		fail_msg("error does not name %s: %s", var, err);
	assert_string_equal(p.name, "untouched");
	return err;
}

/* ---- profiles -------------------------------------------------------------------------------- */

static void
test_fancy_feathers(void **state)
{
	struct pa_policy p;

	load_ok(&p); /* the default profile */
	assert_string_equal(p.name, "fancy-feathers");
	assert_int_equal(p.code_length, 4);
	assert_int_equal(p.code_ttl_s, 300);
	assert_int_equal(p.resend_cooldown_s, 30);
	assert_int_equal(p.sends_per_phone_hour, 5);
	assert_int_equal(p.tries_per_code, 3);
	assert_int_equal(p.tries_per_phone_window, 3);
	assert_int_equal(p.tries_window_s, 600);
	assert_true(p.subscription_required);
	assert_int_equal(p.identity, PA_IDENTITY_PHONE);
	assert_false(p.non_enumerating);
	assert_int_equal(p.phone_mask, PA_PHONE_MASK_STARS);
	assert_int_equal(p.password_min_len, 8);
	assert_int_equal(p.password_max_len, 128);
	assert_true(p.password_need_upper);
	assert_true(p.password_need_digit);
	assert_true(p.password_need_special);
	assert_false(p.password_space_special);
	assert_string_equal(p.brand, "Fancy Feathers");
	assert_string_equal(p.sms_template,
	    "{brand}: Your verification code is {code}.\nIt will expire in {minutes} minutes.");
	/* The seed's messages, verbatim. */
	assert_string_equal(p.msg_subscription_mismatch,
	    "The mobile number must match the one used during subscription.");
	assert_string_equal(p.msg_otp_sent,
	    "An OTP has been sent to your mobile number. Please enter it below to verify.");
	assert_string_equal(p.msg_code_invalid, "Invalid or expired OTP. Please try again.");
	assert_string_equal(
	    p.msg_too_many_attempts, "Maximum OTP attempts reached. Try again later.");
	assert_string_equal(p.msg_not_verified_create,
	    "Please verify your mobile number before creating an account.");
	assert_string_equal(p.msg_account_created,
	    "Your account has been created successfully. You can now log in using your verified "
	    "mobile number and password.");
	assert_string_equal(p.msg_login_invalid, "Invalid mobile number or password.");
	assert_string_equal(
	    p.msg_login_not_verified, "Please verify your mobile number before logging in.");
	assert_string_equal(p.msg_verified, "OTP verified successfully!");
	assert_string_equal(p.msg_sms_unavailable, "SMS verification is not available right now.");
	pa_policy_free(&p);
	assert_null(p.name);
	assert_null(p.msg_otp_sent);
	pa_policy_free(&p);
	pa_policy_free(NULL);
}

static void
test_lawnflow(void **state)
{
	struct pa_policy p;

	env_set("PHONEAUTH_PROFILE", "lawnflow");
	load_ok(&p);
	assert_string_equal(p.name, "lawnflow");
	assert_int_equal(p.code_length, 6);
	assert_int_equal(p.code_ttl_s, 600);
	assert_int_equal(p.resend_cooldown_s, 30);
	assert_int_equal(p.sends_per_phone_hour, 5);
	assert_int_equal(p.tries_per_code, 5);
	assert_false(p.subscription_required);
	assert_int_equal(p.identity, PA_IDENTITY_EMAIL_PHONE);
	assert_true(p.non_enumerating);
	assert_int_equal(p.phone_mask, PA_PHONE_MASK_GROUPED);
	assert_int_equal(p.password_min_len, 8);
	assert_int_equal(p.password_max_len, 128);
	assert_false(p.password_need_upper);
	assert_false(p.password_need_digit);
	assert_false(p.password_need_special);
	assert_false(p.password_space_special);
	assert_string_equal(p.brand, "LawnFlow");
	assert_string_equal(p.sms_template,
	    "Your {brand} verification code is {code}. It expires in {minutes} minutes.");
	/* Non-enumerating: Register and reset replies are conditional, never "exists"/"unknown". */
	assert_non_null(strstr(p.msg_registered, "If "));
	assert_non_null(strstr(p.msg_reset_started, "If "));
	pa_policy_free(&p);
}

static char *
print_policy(const struct pa_policy *p)
{
	char  *buf = NULL;
	size_t len = 0;
	FILE  *f   = open_memstream(&buf, &len);

	assert_non_null(f);
	pa_policy_print(f, p);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void
test_every_setting_filled_and_printed(void **state)
{
	static const char *const names[] = { "fancy-feathers", "lawnflow" };

	for (size_t i = 0; i < 2; i++) {
		struct pa_policy p;
		char            *out;

		env_n = 0;
		env_set("PHONEAUTH_PROFILE", names[i]);
		load_ok(&p);
		out = print_policy(&p);
		/* No empty setting; the template's newline is escaped so each setting is one line.
		 */
		assert_null(strstr(out, "=\n"));
		assert_non_null(strstr(out, "PHONEAUTH_PROFILE="));
		assert_non_null(strstr(out, "PHONEAUTH_IDENTITY="));
		assert_non_null(strstr(out, "PHONEAUTH_PHONE_MASK="));
		assert_non_null(strstr(out, "PHONEAUTH_MSG_RATE_LIMITED_IP="));
		assert_non_null(strstr(out, "PHONEAUTH_CODE_TTL="));
		assert_non_null(strstr(out, "PHONEAUTH_PASSWORD_MAX=128\n"));
		assert_non_null(strstr(out, "PHONEAUTH_PASSWORD_SPACE_SPECIAL="));
		if (i == 0)
			assert_non_null(strstr(out,
			    "PHONEAUTH_SMS_TEMPLATE={brand}: Your verification "
			    "code is {code}.\\nIt will expire in {minutes} "
			    "minutes.\n"));
		free(out);
		pa_policy_free(&p);
	}
}

/* ---- SMS ------------------------------------------------------------------------------------- */

static void
test_render_seeds(void **state)
{
	struct pa_policy p;
	char             body[PA_SMS_BODY_MAX];

	load_ok(&p);
	assert_ok(pa_policy_render_sms(&p, "2714", body, sizeof body));
	assert_string_equal(
	    body, "Fancy Feathers: Your verification code is 2714.\nIt will expire in 5 minutes.");
	pa_policy_free(&p);

	env_set("PHONEAUTH_PROFILE", "lawnflow");
	load_ok(&p);
	assert_ok(pa_policy_render_sms(&p, "123456", body, sizeof body));
	assert_string_equal(
	    body, "Your LawnFlow verification code is 123456. It expires in 10 minutes.");
	pa_policy_free(&p);
}

static void
test_render_too_big(void **state)
{
	static const char want[] = "Your LawnFlow verification code is 123456. It expires in 10 "
	                           "minutes.";
	struct pa_policy  p;
	char              body[sizeof want];

	env_set("PHONEAUTH_PROFILE", "lawnflow");
	load_ok(&p);
	assert_ok(pa_policy_render_sms(&p, "123456", body, sizeof want)); /* exact fit */
	assert_string_equal(body, want);
	strcpy(body, "untouched");
	assert_err(pa_policy_render_sms(&p, "123456", body, sizeof want - 1), PA_ETOOBIG);
	assert_string_equal(body, "untouched");
	assert_err(pa_policy_render_sms(&p, "123456", body, 0), PA_ETOOBIG);
	pa_policy_free(&p);
}

static void
test_render_custom_template(void **state)
{
	struct pa_policy p;
	char             body[128];

	env_set("PHONEAUTH_SMS_TEMPLATE", "{code} {code} is your {brand} code ({minutes} min) {}");
	env_set("PHONEAUTH_CODE_TTL", "90s");
	env_set("PHONEAUTH_BRAND", "Acme");
	/* A literal "{}" is not a placeholder: rejected at load. */
	load_bad("PHONEAUTH_SMS_TEMPLATE");
	env_set("PHONEAUTH_SMS_TEMPLATE", "{code} {code} is your {brand} code ({minutes} min)");
	load_ok(&p);
	assert_ok(pa_policy_render_sms(&p, "0042", body, sizeof body));
	/* 90 s renders as 1 minute: rounded down, never promising more life than the code has. */
	assert_string_equal(body, "0042 0042 is your Acme code (1 min)");
	pa_policy_free(&p);
}

/* ---- overrides ------------------------------------------------------------------------------- */

static void
test_overrides(void **state)
{
	struct pa_policy p;

	env_set("PHONEAUTH_PROFILE", "fancy-feathers");
	env_set("PHONEAUTH_CODE_LENGTH", "6");
	env_set("PHONEAUTH_CODE_TTL", "10m");
	env_set("PHONEAUTH_RESEND_COOLDOWN", "45");
	env_set("PHONEAUTH_SENDS_PER_PHONE_HOUR", "7");
	env_set("PHONEAUTH_TRIES_PER_CODE", "4");
	env_set("PHONEAUTH_TRIES_PER_PHONE", "9");
	env_set("PHONEAUTH_TRIES_WINDOW", "1h");
	env_set("PHONEAUTH_SENDS_PER_IP_HOUR", "0");
	env_set("PHONEAUTH_LOGIN_MAX_FAILURES", "10");
	env_set("PHONEAUTH_LOGIN_LOCK", "30m");
	env_set("PHONEAUTH_SESSION_TTL", "2h");
	env_set("PHONEAUTH_SUBSCRIPTION_REQUIRED", "off");
	env_set("PHONEAUTH_IDENTITY", "email+phone");
	env_set("PHONEAUTH_NON_ENUMERATING", "yes");
	env_set("PHONEAUTH_PASSWORD_MIN", "12");
	env_set("PHONEAUTH_PASSWORD_NEED_SPECIAL", "false");
	env_set("PHONEAUTH_BRAND", "Feathers & Co");
	env_set("PHONEAUTH_MSG_CODE_INVALID", "Nope.");
	env_set("PHONEAUTH_MSG_VERIFIED", ""); /* empty = unset: keeps the profile's text */
	load_ok(&p);
	assert_string_equal(p.name, "fancy-feathers");
	assert_int_equal(p.code_length, 6);
	assert_int_equal(p.code_ttl_s, 600);
	assert_int_equal(p.resend_cooldown_s, 45);
	assert_int_equal(p.sends_per_phone_hour, 7);
	assert_int_equal(p.tries_per_code, 4);
	assert_int_equal(p.tries_per_phone_window, 9);
	assert_int_equal(p.tries_window_s, 3600);
	assert_int_equal(p.sends_per_ip_hour, 0);
	assert_int_equal(p.login_max_failures, 10);
	assert_int_equal(p.login_lock_s, 1800);
	assert_int_equal(p.session_ttl_s, 7200);
	assert_false(p.subscription_required);
	assert_int_equal(p.identity, PA_IDENTITY_EMAIL_PHONE);
	assert_true(p.non_enumerating);
	assert_int_equal(p.password_min_len, 12);
	assert_false(p.password_need_special);
	assert_true(p.password_need_upper);
	assert_string_equal(p.brand, "Feathers & Co");
	assert_string_equal(p.msg_code_invalid, "Nope.");
	assert_string_equal(p.msg_verified, "OTP verified successfully!");
	/* Untouched settings keep the profile's values. */
	assert_string_equal(p.msg_login_invalid, "Invalid mobile number or password.");
	pa_policy_free(&p);

	env_n = 0;
	env_set("PHONEAUTH_PROFILE", "lawnflow");
	env_set("PHONEAUTH_IDENTITY", "phone");
	load_ok(&p);
	assert_int_equal(p.identity, PA_IDENTITY_PHONE);
	pa_policy_free(&p);
}

static void
test_bad_overrides(void **state)
{
	const char *err;

	env_set("PHONEAUTH_CODE_LENGTH", "3");
	err = load_bad("PHONEAUTH_CODE_LENGTH");
	assert_string_equal(
	    err, "PHONEAUTH_CODE_LENGTH must be an integer from 4 to 10 (got \"3\")");
	env_set("PHONEAUTH_CODE_LENGTH", "11");
	load_bad("PHONEAUTH_CODE_LENGTH");
	env_set("PHONEAUTH_CODE_LENGTH", "six");
	load_bad("PHONEAUTH_CODE_LENGTH");
	env_set("PHONEAUTH_CODE_LENGTH", "10");

	env_set("PHONEAUTH_CODE_TTL", "5x");
	load_bad("PHONEAUTH_CODE_TTL");
	env_set("PHONEAUTH_CODE_TTL", "30s"); /* under a minute */
	load_bad("PHONEAUTH_CODE_TTL");
	env_set("PHONEAUTH_CODE_TTL", "5m");

	env_set("PHONEAUTH_NON_ENUMERATING", "maybe");
	load_bad("PHONEAUTH_NON_ENUMERATING");
	env_set("PHONEAUTH_NON_ENUMERATING", "no");

	env_set("PHONEAUTH_IDENTITY", "email");
	err = load_bad("PHONEAUTH_IDENTITY");
	assert_string_equal(err, "PHONEAUTH_IDENTITY must be phone or email+phone (got \"email\")");
	env_set("PHONEAUTH_IDENTITY", "phone");

	env_set("PHONEAUTH_PHONE_MASK", "dots");
	err = load_bad("PHONEAUTH_PHONE_MASK");
	assert_string_equal(err, "PHONEAUTH_PHONE_MASK must be stars or grouped (got \"dots\")");
	env_set("PHONEAUTH_PHONE_MASK", "grouped");

	env_set("PHONEAUTH_TRIES_PER_CODE", "0");
	load_bad("PHONEAUTH_TRIES_PER_CODE");
	env_set("PHONEAUTH_TRIES_PER_CODE", "3");

	/* After all that, the fixed environment loads. */
	struct pa_policy p;
	load_ok(&p);
	assert_int_equal(p.code_length, 10);
	pa_policy_free(&p);
}

static void
test_unknown_profile(void **state)
{
	const char      *err;
	struct pa_policy p;

	env_set("PHONEAUTH_PROFILE", "lawn-flow");
	err = load_bad("PHONEAUTH_PROFILE");
	assert_string_equal(
	    err, "PHONEAUTH_PROFILE must be one of fancy-feathers, lawnflow (got \"lawn-flow\")");

	/* A value with control characters is not echoed. */
	env_set("PHONEAUTH_PROFILE", "x\n\x1b[31m");
	err = load_bad("PHONEAUTH_PROFILE");
	assert_null(strchr(err, '\n'));
	assert_null(strchr(err, '\x1b'));

	/* Empty counts as unset: the default profile. */
	env_set("PHONEAUTH_PROFILE", "");
	load_ok(&p);
	assert_string_equal(p.name, "fancy-feathers");
	pa_policy_free(&p);
}

static void
test_cross_field_rules(void **state)
{
	const char *err;

	env_set("PHONEAUTH_SMS_TEMPLATE", "Your {brand} code expires in {minutes} minutes.");
	err = load_bad("PHONEAUTH_SMS_TEMPLATE");
	assert_string_equal(err, "PHONEAUTH_SMS_TEMPLATE must contain {code}");
	env_set("PHONEAUTH_SMS_TEMPLATE", "Code {code}, valid {minuts} minutes");
	load_bad("PHONEAUTH_SMS_TEMPLATE");
	env_set("PHONEAUTH_SMS_TEMPLATE", "Code {code");
	load_bad("PHONEAUTH_SMS_TEMPLATE");
	env_set("PHONEAUTH_SMS_TEMPLATE", "{code}");

	/* A brand that makes the body longer than PA_SMS_BODY_MAX. */
	{
		char big[PA_SMS_BODY_MAX];

		memset(big, 'B', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		env_set("PHONEAUTH_SMS_TEMPLATE", "{brand} {code}");
		env_set("PHONEAUTH_BRAND", big);
		load_bad("PHONEAUTH_SMS_TEMPLATE");
		env_set("PHONEAUTH_BRAND", "Brand");
	}

	env_set("PHONEAUTH_RESEND_COOLDOWN", "5m"); /* == the 300 s code life */
	err = load_bad("PHONEAUTH_RESEND_COOLDOWN");
	assert_string_equal(
	    err, "PHONEAUTH_RESEND_COOLDOWN (300s) must be shorter than PHONEAUTH_CODE_TTL (300s)");
	env_set("PHONEAUTH_RESEND_COOLDOWN", "0");

	env_set("PHONEAUTH_PASSWORD_MIN", "64");
	env_set("PHONEAUTH_PASSWORD_MAX", "32");
	load_bad("PHONEAUTH_PASSWORD_MIN");
	env_set("PHONEAUTH_PASSWORD_MAX", "64");

	struct pa_policy p;
	load_ok(&p);
	assert_int_equal(p.resend_cooldown_s, 0);
	pa_policy_free(&p);
}

/* ---- passwords ------------------------------------------------------------------------------- */

static void
test_password_rules_fancy(void **state)
{
	static const struct {
		const char        *pw;
		enum pa_pw_verdict want;
	} cases[] = {
		{ "short1!A", PA_PW_OK },
		{ "Sh0rt!A", PA_PW_TOO_SHORT },
		{ "", PA_PW_TOO_SHORT },
		{ "alllower1!", PA_PW_NEED_UPPER },
		{ "NoDigits!!", PA_PW_NEED_DIGIT },
		{ "NoSpecial1", PA_PW_NEED_SPECIAL },
		{ "With Space1", PA_PW_NEED_SPECIAL }, /* a space is not special by default */
		{ "Unicode1\xc3\xa9x", PA_PW_NEED_SPECIAL }, /* é is a letter, not a special */
		{ "Unicode1\xc3\xa9x!", PA_PW_OK },
		{ "\xc3\x89"
		  "clair#2024",
		    PA_PW_OK }, /* É (U+00C9, Lu) is a capital */
		{ "\xd0\x96"
		  "ar\xd0\xb0#2024",
		    PA_PW_OK }, /* Ж (U+0416, Lu) is a capital */
		{ "\xc7\x85"
		  "abcde1!",
		    PA_PW_OK }, /* ǅ (U+01C5, Lt) is a capital */
		{ "\xc3\xa9"
		  "clair#2024",
		    PA_PW_NEED_UPPER }, /* é is not */
		{ "abcdefg\xc3\xa9"
		  "1A",
		    PA_PW_NEED_SPECIAL },
		{ "Abcdefg 1", PA_PW_NEED_SPECIAL }, /* ASCII space */
		{ "Abcdefg\xc2\xa0"
		  "1",
		    PA_PW_NEED_SPECIAL }, /* U+00A0, a space (Zs) too */
		{ "Abcdefgx\xcc\x81"
		  "1",
		    PA_PW_NEED_SPECIAL }, /* U+0301 after x (no precomposed x́): a mark, not special
		                           */
		{ "Abcdefgh\xd9\xa3!", PA_PW_OK }, /* U+0663 ARABIC-INDIC THREE is a digit (Nd) */
		{ "Abcdefgh\xe2\x85\xa2!", PA_PW_NEED_DIGIT }, /* U+2162 ROMAN NUMERAL THREE: Nl */
		{ "Abcdefg1\xe2\x82\xac", PA_PW_OK }, /* € (Sc) is special */
		{ "Abcdefg1\xf0\x9f\x94\x91", PA_PW_OK }, /* an emoji (So) is special */
		{ "Abcdefg1\t", PA_PW_OK }, /* a tab (Cc) is neither letter, digit nor space */
		{ "ABCDEFG1\xe3\x80\x80", PA_PW_NEED_SPECIAL }, /* U+3000 IDEOGRAPHIC SPACE (Zs) */
		{ "\xc3\xa9\xc3\xa9\xc3\xa9"
		  "A1!",
		    PA_PW_TOO_SHORT }, /* 6 characters in 9 bytes */
		{ "ABCDEFG1~", PA_PW_OK },
		{ "abcdefgh", PA_PW_NEED_UPPER },
	};
	struct pa_policy p;
	char             big[201];

	load_ok(&p);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum pa_pw_verdict got
		    = pa_policy_check_password(&p, cases[i].pw, strlen(cases[i].pw));

		if (got != cases[i].want)
			fail_msg("\"%s\": verdict %d, want %d", cases[i].pw, got, cases[i].want);
	}

	/* 200 ASCII characters that would otherwise pass; 128 is the cap, 128 exactly is fine. */
	memset(big, 'a', 200);
	memcpy(big, "A1!", 3);
	big[200] = '\0';
	assert_int_equal(pa_policy_check_password(&p, big, 200), PA_PW_TOO_LONG);
	assert_int_equal(pa_policy_check_password(&p, big, 129), PA_PW_TOO_LONG);
	assert_int_equal(pa_policy_check_password(&p, big, 128), PA_PW_OK);
	/* len, not strlen: an embedded prefix is checked as given. */
	assert_int_equal(pa_policy_check_password(&p, "short1!AXXXX", 8), PA_PW_OK);
	pa_policy_free(&p);
}

/* The cap counts characters: "A1#" + 125 "é" is 128 characters in 253 bytes, one more "é" is
 * 129. Decomposed, each "é" is "e" + U+0301 (3 bytes, 2 code points) and NFC makes it one
 * character again: 378 bytes, still 128 characters. */
static void
test_password_max_counts_characters(void **state)
{
	struct pa_policy p;
	char             pw[3 + 3 * 126 + 1];
	size_t           n;

	load_ok(&p);
	memcpy(pw, "A1#", 3);
	n = 3;
	for (int k = 0; k < 125; k++, n += 2)
		memcpy(pw + n, "\xc3\xa9", 2);
	pw[n] = '\0';
	assert_int_equal(n, 253);
	assert_int_equal(pa_policy_check_password(&p, pw, n), PA_PW_OK);
	memcpy(pw + n, "\xc3\xa9", 2);
	assert_int_equal(pa_policy_check_password(&p, pw, n + 2), PA_PW_TOO_LONG);

	n = 3;
	for (int k = 0; k < 125; k++, n += 3)
		memcpy(pw + n, "e\xcc\x81", 3);
	assert_int_equal(n, 378);
	assert_int_equal(pa_policy_check_password(&p, pw, n), PA_PW_OK);
	memcpy(pw + n, "e\xcc\x81", 3);
	assert_int_equal(pa_policy_check_password(&p, pw, n + 3), PA_PW_TOO_LONG);

	/* The minimum counts characters after NFC too: "Abcd" "e" U+0301 "1!" is 8 code points
	 * but 7 characters ... */
	assert_int_equal(pa_policy_check_password(&p,
	                     "Abcde\xcc\x81"
	                     "1!",
	                     9),
	    PA_PW_TOO_SHORT);
	assert_int_equal(pa_policy_check_password(&p,
	                     "Abcdee\xcc\x81"
	                     "1!",
	                     10),
	    PA_PW_OK);
	/* ... and a byte count far past 16 per allowed character is refused before decoding. */
	{
		static char huge[16 * 129 + 16];

		memset(huge, 'a', sizeof huge);
		assert_int_equal(pa_policy_check_password(&p, huge, sizeof huge), PA_PW_TOO_LONG);
	}
	pa_policy_free(&p);
}

static void
test_password_space_special(void **state)
{
	struct pa_policy p;

	env_set("PHONEAUTH_PASSWORD_SPACE_SPECIAL", "true");
	load_ok(&p);
	assert_true(p.password_space_special);
	assert_int_equal(pa_policy_check_password(&p, "Abcdefg 1", 9), PA_PW_OK);
	assert_int_equal(pa_policy_check_password(&p,
	                     "Abcdefg\xc2\xa0"
	                     "1",
	                     10),
	    PA_PW_OK);
	/* Still not a letter: a space alone does not make a capital or a digit. */
	assert_int_equal(pa_policy_check_password(&p, "abcdefg 1", 9), PA_PW_NEED_UPPER);
	assert_int_equal(pa_policy_check_password(&p, "Abcdefg h", 9), PA_PW_NEED_DIGIT);
	pa_policy_free(&p);
}

/* Not UTF-8: refused whatever the profile, lawnflow's lax rules included. */
static void
test_password_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"Abcdefg1!\xff", /* never in UTF-8 */
		"Abcdefg1!\xc3", /* truncated */
		"Abcdefg1!\xc3(", /* a lead byte without its continuation */
		"Abcdefg1!\x80", /* a lone continuation byte */
		"Abcdefg1!\xc0\xaf", /* overlong "/" */
		"Abcdefg1!\xed\xa0\x80", /* U+D800, a surrogate */
		"Abcdefg1!\xf4\x90\x80\x80", /* past U+10FFFF */
	};
	static const char *const names[] = { "fancy-feathers", "lawnflow" };

	for (size_t i = 0; i < 2; i++) {
		struct pa_policy p;

		env_n = 0;
		env_set("PHONEAUTH_PROFILE", names[i]);
		load_ok(&p);
		for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
			enum pa_pw_verdict got
			    = pa_policy_check_password(&p, bad[k], strlen(bad[k]));

			if (got != PA_PW_INVALID)
				fail_msg("%s, bad[%zu]: verdict %d, want PA_PW_INVALID", names[i],
				    k, got);
		}
		pa_policy_free(&p);
	}
	{
		char   untouched[] = "untouched";
		char  *nfc         = untouched;
		size_t len         = 7;

		assert_err(pa_policy_password_nfc(bad[0], strlen(bad[0]), &nfc, &len), PA_EINVAL);
		assert_string_equal(nfc, "untouched");
		assert_int_equal(len, 7);
	}
}

/* NFC: "e" + U+0301 and "é" have one normal form, which is what gets hashed. */
static void
test_password_nfc(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "Cafe\xcc\x81#2024", "Caf\xc3\xa9#2024" }, /* composed */
		{ "Caf\xc3\xa9#2024", "Caf\xc3\xa9#2024" }, /* already NFC */
		{ "A\xcc\x8a", "\xc3\x85" }, /* A + ring above -> U+00C5 */
		{ "\xe2\x84\xab", "\xc3\x85" }, /* U+212B ANGSTROM SIGN (singleton) -> U+00C5 */
		{ "\xef\xac\x81", "\xef\xac\x81" }, /* U+FB01 "fi": NFC keeps it, NFKC would not */
		{ "\xe1\x84\x80\xe1\x85\xa1", "\xea\xb0\x80" }, /* Hangul jamo -> U+AC00 */
		{ "q\xcc\xa3\xcc\x87", "q\xcc\xa3\xcc\x87" }, /* marks in canonical order */
		{ "q\xcc\x87\xcc\xa3", "q\xcc\xa3\xcc\x87" }, /* reordered */
		{ "", "" },
	};
	struct pa_policy p;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char  *nfc = NULL;
		size_t len = 0;

		assert_ok(pa_policy_password_nfc(cases[i].in, strlen(cases[i].in), &nfc, &len));
		assert_int_equal(len, strlen(cases[i].want));
		assert_memory_equal(nfc, cases[i].want, len + 1);
		pa_policy_password_nfc_free(nfc, len);
	}
	pa_policy_password_nfc_free(NULL, 0);
	assert_int_equal(pa_policy_password_chars("Caf\xc3\xa9", 5), 4);
	assert_int_equal(pa_policy_password_chars("", 0), 0);

	/* The rules see the NFC form: the decomposed and precomposed spellings get one verdict. */
	load_ok(&p);
	assert_int_equal(pa_policy_check_password(&p, cases[0].in, strlen(cases[0].in)), PA_PW_OK);
	assert_int_equal(
	    pa_policy_check_password(&p, cases[0].want, strlen(cases[0].want)), PA_PW_OK);
	/* "E" + U+0301 is "É": a capital either way. */
	assert_int_equal(pa_policy_check_password(&p,
	                     "E\xcc\x81"
	                     "clair#2024",
	                     13),
	    PA_PW_OK);
	pa_policy_free(&p);
}

static void
test_password_rules_lawnflow(void **state)
{
	struct pa_policy p;

	env_set("PHONEAUTH_PROFILE", "lawnflow");
	load_ok(&p);
	assert_int_equal(pa_policy_check_password(&p, "alllower", 8), PA_PW_OK);
	assert_int_equal(pa_policy_check_password(&p, "seven77", 7), PA_PW_TOO_SHORT);
	pa_policy_free(&p);
}

/* ---- channels and the second factor ---------------------------------------------------------- */

static void
test_channels(void **state)
{
	struct pa_policy p;
	const char      *err;

	load_ok(&p); /* the profiles' defaults: SMS only */
	assert_int_equal(p.channels, PA_CHANNEL_BIT(PA_CHANNEL_SMS));
	assert_int_equal(p.default_channel, PA_CHANNEL_SMS);
	assert_int_equal(p.login_second_factor, PA_2FA_OFF);
	assert_false(p.test_numbers_allowed);
	pa_policy_free(&p);

	env_set("PHONEAUTH_CHANNELS", "sms,whatsapp");
	env_set("PHONEAUTH_DEFAULT_CHANNEL", "whatsapp");
	env_set("PHONEAUTH_FALLBACK_CHANNEL", "sms");
	env_set("PHONEAUTH_LOGIN_SECOND_FACTOR", "new-device");
	env_set("PHONEAUTH_REMEMBER_DEVICE_TTL", "14d");
	env_set("PHONEAUTH_ALLOW_TEST_NUMBERS", "true");
	load_ok(&p);
	assert_int_equal(
	    p.channels, PA_CHANNEL_BIT(PA_CHANNEL_SMS) | PA_CHANNEL_BIT(PA_CHANNEL_WHATSAPP));
	assert_int_equal(p.default_channel, PA_CHANNEL_WHATSAPP);
	assert_int_equal(p.fallback_channel, PA_CHANNEL_SMS);
	assert_int_equal(p.login_second_factor, PA_2FA_NEW_DEVICE);
	assert_int_equal(p.remember_device_ttl_s, 14 * 86400);
	assert_true(p.test_numbers_allowed);
	assert_string_equal(pa_channel_name(p.default_channel), "whatsapp");
	pa_policy_free(&p);

	/* WhatsApp alone: the default follows and there is nothing to fall back to. */
	env_n = 0;
	env_set("PHONEAUTH_CHANNELS", "whatsapp");
	load_ok(&p);
	assert_int_equal(p.default_channel, PA_CHANNEL_WHATSAPP);
	assert_int_equal(p.fallback_channel, PA_CHANNEL_NONE);
	pa_policy_free(&p);

	env_n = 0;
	env_set("PHONEAUTH_CHANNELS", "sms,fax");
	err = load_bad("PHONEAUTH_CHANNELS");
	assert_non_null(strstr(err, "(got \"fax\")"));
	env_set("PHONEAUTH_CHANNELS", "sms,,whatsapp");
	load_bad("PHONEAUTH_CHANNELS");
	env_set("PHONEAUTH_CHANNELS", "sms");
	env_set("PHONEAUTH_DEFAULT_CHANNEL", "whatsapp");
	err = load_bad("PHONEAUTH_DEFAULT_CHANNEL");
	assert_string_equal(
	    err, "PHONEAUTH_DEFAULT_CHANNEL (whatsapp) must be one of PHONEAUTH_CHANNELS");
	env_set("PHONEAUTH_DEFAULT_CHANNEL", "none");
	load_bad("PHONEAUTH_DEFAULT_CHANNEL");
	env_set("PHONEAUTH_DEFAULT_CHANNEL", "sms");
	env_set("PHONEAUTH_FALLBACK_CHANNEL", "whatsapp");
	load_bad("PHONEAUTH_FALLBACK_CHANNEL");
	env_set("PHONEAUTH_FALLBACK_CHANNEL", "none");
	env_set("PHONEAUTH_LOGIN_SECOND_FACTOR", "sometimes");
	err = load_bad("PHONEAUTH_LOGIN_SECOND_FACTOR");
	assert_string_equal(err,
	    "PHONEAUTH_LOGIN_SECOND_FACTOR must be off, new-device or always (got \"sometimes\")");
	env_set("PHONEAUTH_LOGIN_SECOND_FACTOR", "always");
	env_set("PHONEAUTH_REMEMBER_DEVICE_TTL", "10m"); /* under an hour */
	load_bad("PHONEAUTH_REMEMBER_DEVICE_TTL");
	env_set("PHONEAUTH_REMEMBER_DEVICE_TTL", "1h");
	env_set("PHONEAUTH_ALLOW_TEST_NUMBERS", "perhaps");
	load_bad("PHONEAUTH_ALLOW_TEST_NUMBERS");
	env_set("PHONEAUTH_ALLOW_TEST_NUMBERS", "no");
	load_ok(&p);
	assert_int_equal(p.fallback_channel, PA_CHANNEL_NONE);
	assert_int_equal(p.login_second_factor, PA_2FA_ALWAYS);
	pa_policy_free(&p);
}

/* ---- languages ------------------------------------------------------------------------------- */

static const char *const profile_names[] = { "fancy-feathers", "lawnflow" };

/* The value of the line "name=" in a pa_policy_print output, in a static buffer; fails when
 * absent. */
static const char *
printed(const char *out, const char *name)
{
	static char value[1024];
	char        key[96];
	const char *at;
	size_t      n;

	(void) snprintf(key, sizeof key, "\n%s=", name);
	if ((at = strstr(out, key)) == NULL)
		fail_msg("no %s in:\n%s", name, out);
	at += strlen(key);
	n = strcspn(at, "\n");
	assert_true(n < sizeof value);
	memcpy(value, at, n);
	value[n] = '\0';
	return value;
}

static void
test_langs_pick_by_tag(void **state)
{
	for (size_t i = 0; i < 2; i++) {
		struct pa_policy        base;
		struct pa_policy_langs  l;
		const struct pa_policy *es, *id;

		env_n = 0;
		env_set("PHONEAUTH_PROFILE", profile_names[i]);
		load_ok(&base);
		assert_string_equal(base.locale, "en");
		assert_ok(pa_policy_langs_load(&base, &l));
		assert_int_equal(l.n, 2);
		es = pa_policy_lang(&base, &l, "es");
		id = pa_policy_lang(&base, &l, "id");
		assert_ptr_not_equal(es, &base);
		assert_ptr_not_equal(id, &base);
		assert_ptr_not_equal(es, id);
		assert_string_equal(es->locale, "es");
		assert_string_equal(id->locale, "id");
		/* By exact tag, then by language subtag, in any case. */
		assert_ptr_equal(pa_policy_lang(&base, &l, "ES"), es);
		assert_ptr_equal(pa_policy_lang(&base, &l, "es-MX"), es);
		assert_ptr_equal(pa_policy_lang(&base, &l, "es-419"), es);
		assert_ptr_equal(pa_policy_lang(&base, &l, "es_ES"), es);
		assert_ptr_equal(pa_policy_lang(&base, &l, "id-ID"), id);
		assert_ptr_equal(pa_policy_lang(&base, &l, "ID"), id);
		/* English is base; anything else falls back to it. */
		assert_ptr_equal(pa_policy_lang(&base, &l, "en"), &base);
		assert_ptr_equal(pa_policy_lang(&base, &l, "en-GB"), &base);
		assert_ptr_equal(pa_policy_lang(&base, &l, "fr"), &base);
		assert_ptr_equal(pa_policy_lang(&base, &l, "pt-BR"), &base);
		assert_ptr_equal(pa_policy_lang(&base, &l, "e"), &base);
		assert_ptr_equal(pa_policy_lang(&base, &l, "esp"), &base);
		assert_ptr_equal(pa_policy_lang(&base, &l, "-es"), &base);
		assert_ptr_equal(pa_policy_lang(&base, &l, ""), &base);
		assert_ptr_equal(pa_policy_lang(&base, &l, NULL), &base);
		assert_ptr_equal(pa_policy_lang(&base, NULL, "es"), &base);
		/* The copies are base in another language: same name, brand and numbers. */
		assert_string_equal(es->name, base.name);
		assert_string_equal(es->brand, base.brand);
		assert_int_equal(es->code_length, base.code_length);
		assert_int_equal(id->code_ttl_s, base.code_ttl_s);
		assert_int_equal(es->identity, base.identity);
		assert_string_not_equal(es->msg_code_invalid, base.msg_code_invalid);
		assert_string_not_equal(id->msg_code_invalid, base.msg_code_invalid);
		pa_policy_langs_free(&l);
		pa_policy_langs_free(&l); /* twice is safe */
		pa_policy_free(&base);
	}
}

/* Every message and template in every language of both profiles: set, translated (not the
 * English text), without a placeholder but in the template, which keeps all three. */
static void
test_langs_every_text(void **state)
{
	for (size_t i = 0; i < 2; i++) {
		struct pa_policy       base;
		struct pa_policy_langs l;
		char                  *en;

		env_n = 0;
		env_set("PHONEAUTH_PROFILE", profile_names[i]);
		load_ok(&base);
		assert_ok(pa_policy_langs_load(&base, &l));
		en = print_policy(&base);
		for (size_t k = 0; k < l.n; k++) {
			char       *out = print_policy(&l.lang[k]);
			const char *line;
			int         msgs = 0;

			assert_null(strstr(out, "=\n"));
			for (line = out; (line = strstr(line, "\nPHONEAUTH_MSG_")) != NULL;
			     line++) {
				char        name[64];
				const char *v;
				char        en_value[1024];

				(void) sscanf(line + 1, "%63[A-Z_]", name);
				(void) snprintf(en_value, sizeof en_value, "%s", printed(en, name));
				v = printed(out, name);
				if (v[0] == '\0' || strcmp(v, en_value) == 0
				    || strchr(v, '{') != NULL)
					fail_msg("%s %s %s: \"%s\"", profile_names[i],
					    l.lang[k].locale, name, v);
				msgs++;
			}
			/* All of struct pa_policy's msg_* fields. */
			assert_int_equal(msgs, 30);
			assert_non_null(strstr(l.lang[k].sms_template, "{code}"));
			assert_non_null(strstr(l.lang[k].sms_template, "{brand}"));
			assert_non_null(strstr(l.lang[k].sms_template, "{minutes}"));
			assert_string_not_equal(l.lang[k].sms_template, base.sms_template);
			assert_string_equal(printed(out, "PHONEAUTH_LOCALE"), l.lang[k].locale);
			free(out);
		}
		assert_non_null(strstr(base.sms_template, "{code}"));
		free(en);
		pa_policy_langs_free(&l);
		pa_policy_free(&base);
	}
}

/* The rendered bodies: Spanish has "ó", outside GSM-7, so it travels as UCS-2; Indonesian and
 * English are plain GSM-7; each fits in one segment, the Spanish ones in UCS-2's 70 units even
 * with a 6-digit reset code. */
static void
test_langs_sms(void **state)
{
	static const struct {
		const char *profile, *lang, *code, *body, *encoding;
	} want[] = {
		{ "fancy-feathers", "es", "2714",
		    "Fancy Feathers: tu código de verificación es 2714.\nCaduca en 5 min.",
		    "UCS-2" },
		{ "fancy-feathers", "es", "123456",
		    "Fancy Feathers: tu código de verificación es 123456.\nCaduca en 5 min.",
		    "UCS-2" },
		{ "fancy-feathers", "id", "2714",
		    "Fancy Feathers: Kode verifikasi Anda adalah 2714.\nKode ini akan kedaluwarsa "
		    "dalam 5 menit.",
		    "GSM-7" },
		{ "lawnflow", "es", "123456",
		    "Tu código de verificación de LawnFlow es 123456. Caduca en 10 min.", "UCS-2" },
		{ "lawnflow", "id", "123456",
		    "Kode verifikasi LawnFlow Anda adalah 123456. Berlaku selama 10 menit.",
		    "GSM-7" },
		{ "lawnflow", "en", "123456",
		    "Your LawnFlow verification code is 123456. It expires in 10 minutes.",
		    "GSM-7" },
	};

	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct pa_policy       base;
		struct pa_policy_langs l;
		struct pa_sms_size     z;
		char                   body[PA_SMS_BODY_MAX];

		env_n = 0;
		env_set("PHONEAUTH_PROFILE", want[i].profile);
		load_ok(&base);
		assert_ok(pa_policy_langs_load(&base, &l));
		assert_ok(pa_policy_render_sms(
		    pa_policy_lang(&base, &l, want[i].lang), want[i].code, body, sizeof body));
		assert_string_equal(body, want[i].body);
		pa_sms_measure(body, &z);
		assert_string_equal(z.encoding, want[i].encoding);
		assert_int_equal(z.segments, 1);
		pa_policy_langs_free(&l);
		pa_policy_free(&base);
	}
}

/* PHONEAUTH_MSG_* and PHONEAUTH_SMS_TEMPLATE speak the default language only; the brand and
 * every number hold in all. */
static void
test_langs_overrides_default_only(void **state)
{
	struct pa_policy        base;
	struct pa_policy_langs  l;
	const struct pa_policy *es;
	char                    body[PA_SMS_BODY_MAX];

	env_set("PHONEAUTH_MSG_CODE_INVALID", "Nope.");
	env_set("PHONEAUTH_SMS_TEMPLATE", "{code} is your code");
	env_set("PHONEAUTH_BRAND", "Acme");
	env_set("PHONEAUTH_CODE_LENGTH", "6");
	load_ok(&base);
	assert_ok(pa_policy_langs_load(&base, &l));
	es = pa_policy_lang(&base, &l, "es-ES");
	assert_string_equal(base.msg_code_invalid, "Nope.");
	assert_string_equal(es->msg_code_invalid,
	    "El código OTP no es válido o ha caducado. "
	    "Inténtalo de nuevo.");
	assert_string_equal(pa_policy_lang(&base, &l, "id")->msg_code_invalid,
	    "OTP tidak valid atau sudah "
	    "kedaluwarsa. Silakan coba lagi.");
	assert_string_equal(es->brand, "Acme");
	assert_int_equal(es->code_length, 6);
	assert_ok(pa_policy_render_sms(es, "123456", body, sizeof body));
	assert_string_equal(body, "Acme: tu código de verificación es 123456.\nCaduca en 5 min.");
	assert_ok(pa_policy_render_sms(&base, "123456", body, sizeof body));
	assert_string_equal(body, "123456 is your code");
	pa_policy_langs_free(&l);
	pa_policy_free(&base);
}

/* PHONEAUTH_LOCALE=es: base speaks Spanish (overrides on top), the copies are en and id. */
static void
test_locale_default(void **state)
{
	struct pa_policy        base;
	struct pa_policy_langs  l;
	const struct pa_policy *en;

	env_set("PHONEAUTH_LOCALE", "es");
	env_set("PHONEAUTH_MSG_VERIFIED", "¡Listo!");
	load_ok(&base);
	assert_string_equal(base.locale, "es");
	assert_string_equal(base.msg_verified, "¡Listo!");
	assert_string_equal(base.msg_login_invalid, "Número de móvil o contraseña incorrectos.");
	assert_non_null(strstr(base.sms_template, "código"));
	assert_ok(pa_policy_langs_load(&base, &l));
	assert_int_equal(l.n, 2);
	en = pa_policy_lang(&base, &l, "en-US");
	assert_string_equal(en->locale, "en");
	assert_string_equal(en->msg_verified, "OTP verified successfully!");
	assert_string_equal(pa_policy_lang(&base, &l, "id")->locale, "id");
	assert_ptr_equal(pa_policy_lang(&base, &l, "es-AR"), &base);
	assert_ptr_equal(pa_policy_lang(&base, &l, "fr"), &base);
	{
		char *out = print_policy(&base);

		assert_non_null(strstr(out, "\nPHONEAUTH_LOCALE=es\n"));
		free(out);
	}
	pa_policy_langs_free(&l);
	pa_policy_free(&base);

	/* A region is kept, in canonical case; its language's texts are base's. */
	env_n = 0;
	env_set("PHONEAUTH_PROFILE", "lawnflow");
	env_set("PHONEAUTH_LOCALE", "ID-id");
	load_ok(&base);
	assert_string_equal(base.locale, "id-ID");
	assert_string_equal(base.msg_account_created, "Akun Anda telah dibuat.");
	assert_ok(pa_policy_langs_load(&base, &l));
	assert_ptr_equal(pa_policy_lang(&base, &l, "id-ID"), &base);
	assert_ptr_equal(pa_policy_lang(&base, &l, "id"), &base);
	assert_string_equal(pa_policy_lang(&base, &l, "en")->locale, "en");
	assert_string_equal(pa_policy_lang(&base, &l, "es")->locale, "es");
	pa_policy_langs_free(&l);
	pa_policy_free(&base);
}

static void
test_locale_bad(void **state)
{
	static const char *const bad[] = { "fr", "pt-BR", "e", "english", "es-", "-es", "es--MX",
		"es_MX", "es-MX-a-b-c", "es-abcdefghi", "zh-Hant-TW", "es MX", "12" };
	static char              brand[601], long_brand[635];
	const char              *err;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		env_n = 0;
		env_set("PHONEAUTH_LOCALE", bad[i]);
		err = load_bad("PHONEAUTH_LOCALE");
		assert_non_null(strstr(err, "BCP 47 tag of en, es or id"));
	}
	env_set("PHONEAUTH_LOCALE", "fr");
	assert_string_equal(load_bad("PHONEAUTH_LOCALE"),
	    "PHONEAUTH_LOCALE must be a BCP 47 tag of en, es or id (as en, es, es-MX, id-ID) "
	    "(got \"fr\")");
	/* A brand that fits the default language's template but not a built-in one. */
	env_n = 0;
	memset(brand, 'B', sizeof brand - 1);
	env_set("PHONEAUTH_SMS_TEMPLATE", "{code}");
	env_set("PHONEAUTH_BRAND", brand);
	err = load_bad("PHONEAUTH_BRAND");
	assert_non_null(strstr(err, "SMS renders to more than 639 bytes"));

	/* The template must fit with the longer reset code too (6 digits, not the profile's 4). */
	env_n = 0;
	memset(long_brand, 'B', sizeof long_brand - 1);
	env_set("PHONEAUTH_SMS_TEMPLATE", "{brand}{code}");
	env_set("PHONEAUTH_BRAND", long_brand);
	err = load_bad("PHONEAUTH_SMS_TEMPLATE");
	assert_non_null(strstr(err, "renders to more than 639 bytes"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fancy_feathers, setup),
		cmocka_unit_test_setup(test_lawnflow, setup),
		cmocka_unit_test_setup(test_every_setting_filled_and_printed, setup),
		cmocka_unit_test_setup(test_render_seeds, setup),
		cmocka_unit_test_setup(test_render_too_big, setup),
		cmocka_unit_test_setup(test_render_custom_template, setup),
		cmocka_unit_test_setup(test_overrides, setup),
		cmocka_unit_test_setup(test_bad_overrides, setup),
		cmocka_unit_test_setup(test_unknown_profile, setup),
		cmocka_unit_test_setup(test_cross_field_rules, setup),
		cmocka_unit_test_setup(test_password_rules_fancy, setup),
		cmocka_unit_test_setup(test_password_rules_lawnflow, setup),
		cmocka_unit_test_setup(test_password_max_counts_characters, setup),
		cmocka_unit_test_setup(test_password_space_special, setup),
		cmocka_unit_test_setup(test_password_invalid_utf8, setup),
		cmocka_unit_test_setup(test_password_nfc, setup),
		cmocka_unit_test_setup(test_channels, setup),
		cmocka_unit_test_setup(test_langs_pick_by_tag, setup),
		cmocka_unit_test_setup(test_langs_every_text, setup),
		cmocka_unit_test_setup(test_langs_sms, setup),
		cmocka_unit_test_setup(test_langs_overrides_default_only, setup),
		cmocka_unit_test_setup(test_locale_default, setup),
		cmocka_unit_test_setup(test_locale_bad, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
