/* policy.c: the built-in site profiles as static tables, their PHONEAUTH_* overrides through the
 * config module's table, cross-field checks and SMS rendering; the password rules are in
 * policy_password.c. */
#include "policy.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- built-in profiles ----------------------------------------------------------------------- */

/* Rules, numbers and messages from seeds/000_df6e54093a78ffc2.txt; where the seed is silent
 * (sends per hour, IP and login limits, sessions) the values are our defaults. */
static const struct pa_policy profile_fancy_feathers = {
	.name                       = "fancy-feathers",
	.code_length                = 4,
	.code_ttl_s                 = 300,
	.resend_cooldown_s          = 30,
	.sends_per_phone_hour       = 5,
	.tries_per_code             = 3,
	.tries_per_phone_window     = 3,
	.tries_window_s             = 600,
	.sends_per_ip_hour          = 20,
	.sends_per_phone_ip_hour    = 3,
	.tries_per_phone_day        = 30,
	.reset_code_length          = 6,
	.reset_tries_per_day        = 10,
	.login_max_failures         = 5,
	.login_lock_s               = 900,
	.login_failures_per_ip_hour = 100,
	.session_ttl_s              = 7 * 86400,
	.signup_token_ttl_s         = 900,
	.channels                   = PA_CHANNEL_BIT(PA_CHANNEL_SMS),
	.default_channel            = PA_CHANNEL_SMS,
	.fallback_channel           = PA_CHANNEL_SMS,
	.login_second_factor        = PA_2FA_OFF,
	.remember_device_ttl_s      = 30 * 86400,
	.test_numbers_allowed       = false,
	.locale                     = "en",
	.subscription_required      = true,
	.identity                   = PA_IDENTITY_PHONE,
	.non_enumerating            = false,
	.phone_mask                 = PA_PHONE_MASK_STARS,
	.password_min_len           = 8,
	.password_max_len           = 128,
	.password_need_upper        = true,
	.password_need_digit        = true,
	.password_need_special      = true,
	.password_space_special     = false,
	.brand                      = "Fancy Feathers",
	.sms_template
	= "{brand}: Your verification code is {code}.\nIt will expire in {minutes} minutes.",
	.msg_otp_sent
	= "An OTP has been sent to your mobile number. Please enter it below to verify.",
	.msg_subscription_mismatch
	= "The mobile number must match the one used during subscription.",
	.msg_code_invalid        = "Invalid or expired OTP. Please try again.",
	.msg_too_many_attempts   = "Maximum OTP attempts reached. Try again later.",
	.msg_resend_too_soon     = "Please wait before requesting a new OTP.",
	.msg_send_limit          = "Too many OTP requests. Try again later.",
	.msg_not_verified_create = "Please verify your mobile number before creating an account.",
	.msg_account_created     = "Your account has been created successfully. You can now log in "
	                           "using your verified mobile number and password.",
	.msg_login_invalid       = "Invalid mobile number or password.",
	.msg_login_not_verified  = "Please verify your mobile number before logging in.",
	.msg_login_locked        = "Too many failed login attempts. Try again later.",
	.msg_password_policy     = "Password must be at least 8 characters and include 1 capital "
	                           "letter, 1 number and 1 special character.",
	.msg_password_mismatch   = "Passwords do not match.",
	.msg_registered
	= "An OTP has been sent to your mobile number. Please enter it below to verify.",
	.msg_verified      = "OTP verified successfully!",
	.msg_reset_started = "An OTP has been sent to your mobile number. Please enter it below to "
	                     "reset your password.",
	.msg_reset_done    = "Your password has been reset. You can now log in using your verified "
	                     "mobile number and password.",
	.msg_sms_unavailable = "SMS verification is not available right now.",
	.msg_invalid_email   = "Please enter a valid email address.",
	.msg_invalid_phone   = "Please enter a valid mobile number.",
	.msg_rate_limited_ip = "Too many requests. Try again later.",
	.msg_account_exists  = "An account with this mobile number already exists. Please log in.",
	.msg_session_invalid = "Your session has expired. Please log in again.",
	.msg_challenge_required = "Please complete the security check to receive your OTP.",
	.msg_destination_paused
	= "We cannot send OTPs to this number right now. Please try again later.",
	.msg_send_budget = "We cannot send OTPs right now. Please try again later.",
	.msg_challenge_unavailable
	= "The security check is not available right now. Please try again shortly.",
	.msg_channel_not_allowed = "Please choose another way to receive your OTP.",
	.msg_second_factor
	= "An OTP has been sent to your mobile number. Please enter it to finish logging in.",
	.msg_verify_unavailable
	= "We could not check your OTP right now. Please try again shortly.",
};

/* Rules, numbers and messages from seeds/004_0e0a7ea5adc4b8ab.txt. Messages never say whether an
 * email or phone exists, and one code_invalid covers wrong, expired, used and unknown codes. */
static const struct pa_policy profile_lawnflow = {
	.name                       = "lawnflow",
	.code_length                = 6,
	.code_ttl_s                 = 600,
	.resend_cooldown_s          = 30,
	.sends_per_phone_hour       = 5,
	.tries_per_code             = 5,
	.tries_per_phone_window     = 25, /* 5 codes an hour x 5 tries: no stricter than the seed */
	.tries_window_s             = 3600,
	.sends_per_ip_hour          = 20,
	.sends_per_phone_ip_hour    = 3,
	.tries_per_phone_day        = 30,
	.reset_code_length          = 6,
	.reset_tries_per_day        = 10,
	.login_max_failures         = 5,
	.login_lock_s               = 900,
	.login_failures_per_ip_hour = 100,
	.session_ttl_s              = 7 * 86400,
	.signup_token_ttl_s         = 900,
	.channels                   = PA_CHANNEL_BIT(PA_CHANNEL_SMS),
	.default_channel            = PA_CHANNEL_SMS,
	.fallback_channel           = PA_CHANNEL_SMS,
	.login_second_factor        = PA_2FA_OFF,
	.remember_device_ttl_s      = 30 * 86400,
	.test_numbers_allowed       = false,
	.locale                     = "en",
	.subscription_required      = false,
	.identity                   = PA_IDENTITY_EMAIL_PHONE,
	.non_enumerating            = true,
	.phone_mask                 = PA_PHONE_MASK_GROUPED, /* the seed's "+1 (***) ***-1234" */
	.password_min_len           = 8,
	.password_max_len           = 128,
	.password_need_upper        = false,
	.password_need_digit        = false,
	.password_need_special      = false,
	.password_space_special     = false,
	.brand                      = "LawnFlow",
	.sms_template
	= "Your {brand} verification code is {code}. It expires in {minutes} minutes.",
	.msg_otp_sent = "If your number can receive texts, a new verification code is on its way.",
	.msg_subscription_mismatch = "This phone number can't be used to sign up here.",
	.msg_code_invalid          = "We couldn't verify that code. Check it and try again, or "
	                             "request a new one.",
	.msg_too_many_attempts     = "Too many attempts. Please request a new code later.",
	.msg_resend_too_soon       = "Please wait a moment before requesting another code.",
	.msg_send_limit            = "Too many codes have been requested. Please try again later.",
	.msg_not_verified_create   = "Please verify your phone number first.",
	.msg_account_created       = "Your account has been created.",
	.msg_login_invalid         = "Invalid email, phone number or password.",
	.msg_login_not_verified    = "Please verify your phone number before logging in.",
	.msg_login_locked          = "Too many failed sign-in attempts. Please try again later.",
	.msg_password_policy       = "Password must be at least 8 characters.",
	.msg_password_mismatch     = "Passwords do not match.",
	.msg_registered
	= "If your details are valid, we've sent a verification code to your phone.",
	.msg_verified        = "Your phone number has been verified.",
	.msg_reset_started   = "If an account matches, we've sent a reset code to its phone.",
	.msg_reset_done      = "Your password has been reset. You can now sign in.",
	.msg_sms_unavailable = "SMS verification is not available right now.",
	.msg_invalid_email   = "Please enter a valid email address.",
	.msg_invalid_phone   = "Please enter a valid mobile phone number.",
	.msg_rate_limited_ip = "Too many requests. Please try again later.",
	.msg_account_exists  = "An account with this phone number already exists. Please sign in.",
	.msg_session_invalid = "Your session has expired. Please sign in again.",
	.msg_challenge_required = "Please complete the security check so we can text you a code.",
	.msg_destination_paused
	= "We can't text codes to this number right now. Please try again later.",
	.msg_send_budget = "We can't text codes right now. Please try again later.",
	.msg_challenge_unavailable
	= "The security check isn't available right now. Please try again in a moment.",
	.msg_channel_not_allowed = "We can't send codes that way. Please choose another option.",
	.msg_second_factor       = "Enter the code we sent to your phone to finish signing in.",
	.msg_verify_unavailable
	= "We couldn't check your code right now. Please try again in a moment.",
};

static const struct pa_policy *const profiles[] = { &profile_fancy_feathers, &profile_lawnflow };
#define N_PROFILES (sizeof profiles / sizeof profiles[0])
#define PROFILE_NAMES "fancy-feathers, lawnflow"

/* ---- overrides ------------------------------------------------------------------------------- */

#define P(field) offsetof(struct pa_policy, field)
#define INT(env, field, lo, hi, help)                             \
	{                                                         \
		env, PA_CONF_INT, P(field), NULL, lo, hi, 0, help \
	}
#define DUR(env, field, lo, hi, help)                                  \
	{                                                              \
		env, PA_CONF_DURATION, P(field), NULL, lo, hi, 0, help \
	}
#define BOOL(env, field, help)                                   \
	{                                                        \
		env, PA_CONF_BOOL, P(field), NULL, 0, 0, 0, help \
	}
#define STR(env, field, help)                                   \
	{                                                       \
		env, PA_CONF_STR, P(field), NULL, 0, 0, 0, help \
	}
#define MSG(NAME, field) STR("PHONEAUTH_MSG_" NAME, msg_##field, "message: " #field)

/* Every default is NULL: an unset variable keeps the profile's value. */
static const struct pa_conf_item policy_items[] = {
	INT("PHONEAUTH_CODE_LENGTH", code_length, 4, 10, "digits per code"),
	DUR("PHONEAUTH_CODE_TTL", code_ttl_s, 60, 86400, "code life"),
	DUR("PHONEAUTH_RESEND_COOLDOWN", resend_cooldown_s, 0, 3600, "wait before a resend"),
	INT("PHONEAUTH_SENDS_PER_PHONE_HOUR", sends_per_phone_hour, 1, 1000,
	    "codes per phone per hour"),
	INT("PHONEAUTH_TRIES_PER_CODE", tries_per_code, 1, 100, "tries per code"),
	INT("PHONEAUTH_TRIES_PER_PHONE", tries_per_phone_window, 1, 10000,
	    "tries per phone per PHONEAUTH_TRIES_WINDOW"),
	DUR("PHONEAUTH_TRIES_WINDOW", tries_window_s, 60, 86400, "window for tries per phone"),
	INT("PHONEAUTH_SENDS_PER_IP_HOUR", sends_per_ip_hour, 0, 100000,
	    "codes per end-user IP per hour, 0 = off"),
	INT("PHONEAUTH_SENDS_PER_PHONE_IP_HOUR", sends_per_phone_ip_hour, 0, 1000,
	    "codes per phone per end-user IP per hour, 0 = off"),
	INT("PHONEAUTH_TRIES_PER_PHONE_DAY", tries_per_phone_day, 0, 100000,
	    "tries on codes per phone per 24 hours, 0 = off"),
	INT("PHONEAUTH_RESET_CODE_LENGTH", reset_code_length, 6, 10,
	    "digits per password reset code"),
	INT("PHONEAUTH_RESET_TRIES_PER_DAY", reset_tries_per_day, 1, 1000,
	    "tries on reset codes per phone and per account per 24 hours"),
	INT("PHONEAUTH_LOGIN_MAX_FAILURES", login_max_failures, 0, 1000,
	    "failed logins per login and end-user IP before a lock, 0 = off"),
	INT("PHONEAUTH_LOGIN_FAILURES_PER_IP_HOUR", login_failures_per_ip_hour, 0, 1000000,
	    "failed logins per end-user IP per hour, 0 = off"),
	DUR("PHONEAUTH_LOGIN_LOCK", login_lock_s, 1, 7 * 86400,
	    "lock after too many failed logins"),
	DUR("PHONEAUTH_SESSION_TTL", session_ttl_s, 60, 365 * 86400, "session life"),
	DUR("PHONEAUTH_SIGNUP_TOKEN_TTL", signup_token_ttl_s, 60, 86400,
	    "life of the token a verified code returns"),
	BOOL("PHONEAUTH_SUBSCRIPTION_REQUIRED", subscription_required,
	    "phone must match the subscription's"),
	BOOL("PHONEAUTH_NON_ENUMERATING", non_enumerating, "never reveal whether a user exists"),
	DUR("PHONEAUTH_REMEMBER_DEVICE_TTL", remember_device_ttl_s, 3600, 400 * 86400,
	    "life of a remembered device (second factor: new-device)"),
	BOOL("PHONEAUTH_ALLOW_TEST_NUMBERS", test_numbers_allowed,
	    "PHONEAUTH_TEST_NUMBERS (fixed codes, nothing sent) may be used"),
	STR("PHONEAUTH_LOCALE", locale, "default language of replies and codes (BCP 47)"),
	INT("PHONEAUTH_PASSWORD_MIN", password_min_len, 1, 1024, "minimum password characters"),
	INT("PHONEAUTH_PASSWORD_MAX", password_max_len, 1, 4096, "maximum password characters"),
	BOOL("PHONEAUTH_PASSWORD_NEED_UPPER", password_need_upper,
	    "password needs a capital letter (any script)"),
	BOOL(
	    "PHONEAUTH_PASSWORD_NEED_DIGIT", password_need_digit, "password needs a decimal digit"),
	BOOL("PHONEAUTH_PASSWORD_NEED_SPECIAL", password_need_special,
	    "password needs a character that is not a letter, digit or space"),
	BOOL("PHONEAUTH_PASSWORD_SPACE_SPECIAL", password_space_special,
	    "a space counts as a special character"),
	STR("PHONEAUTH_BRAND", brand, "brand for {brand}"),
	STR("PHONEAUTH_SMS_TEMPLATE", sms_template, "SMS body: {code}, {brand}, {minutes}"),
	MSG("OTP_SENT", otp_sent),
	MSG("SUBSCRIPTION_MISMATCH", subscription_mismatch),
	MSG("CODE_INVALID", code_invalid),
	MSG("TOO_MANY_ATTEMPTS", too_many_attempts),
	MSG("RESEND_TOO_SOON", resend_too_soon),
	MSG("SEND_LIMIT", send_limit),
	MSG("NOT_VERIFIED_CREATE", not_verified_create),
	MSG("ACCOUNT_CREATED", account_created),
	MSG("LOGIN_INVALID", login_invalid),
	MSG("LOGIN_NOT_VERIFIED", login_not_verified),
	MSG("LOGIN_LOCKED", login_locked),
	MSG("PASSWORD_POLICY", password_policy),
	MSG("PASSWORD_MISMATCH", password_mismatch),
	MSG("REGISTERED", registered),
	MSG("VERIFIED", verified),
	MSG("RESET_STARTED", reset_started),
	MSG("RESET_DONE", reset_done),
	MSG("SMS_UNAVAILABLE", sms_unavailable),
	MSG("INVALID_EMAIL", invalid_email),
	MSG("INVALID_PHONE", invalid_phone),
	MSG("RATE_LIMITED_IP", rate_limited_ip),
	MSG("ACCOUNT_EXISTS", account_exists),
	MSG("SESSION_INVALID", session_invalid),
	MSG("CHALLENGE_REQUIRED", challenge_required),
	MSG("DESTINATION_PAUSED", destination_paused),
	MSG("SEND_BUDGET", send_budget),
	MSG("CHALLENGE_UNAVAILABLE", challenge_unavailable),
	MSG("CHANNEL_NOT_ALLOWED", channel_not_allowed),
	MSG("SECOND_FACTOR", second_factor),
	MSG("VERIFY_UNAVAILABLE", verify_unavailable),
};
#define N_POLICY_ITEMS (sizeof policy_items / sizeof policy_items[0])

/* The two settings that pick or shape a profile rather than override a field. */
struct policy_select {
	char *profile;
	char *identity;
	char *phone_mask;
	char *channels;
	char *default_channel;
	char *fallback_channel;
	char *second_factor;
};

static const struct pa_conf_item select_items[] = {
	{ "PHONEAUTH_PROFILE", PA_CONF_STR, offsetof(struct policy_select, profile),
	    "fancy-feathers", 0, 0, 0, "site profile: " PROFILE_NAMES },
	{ "PHONEAUTH_IDENTITY", PA_CONF_STR, offsetof(struct policy_select, identity), NULL, 0, 0,
	    0, "phone or email+phone" },
	{ "PHONEAUTH_PHONE_MASK", PA_CONF_STR, offsetof(struct policy_select, phone_mask), NULL, 0,
	    0, 0, "how replies mask a phone: stars or grouped" },
	{ "PHONEAUTH_CHANNELS", PA_CONF_STR, offsetof(struct policy_select, channels), NULL, 0, 0,
	    0, "channels codes may be sent on: sms, whatsapp (comma list)" },
	{ "PHONEAUTH_DEFAULT_CHANNEL", PA_CONF_STR, offsetof(struct policy_select, default_channel),
	    NULL, 0, 0, 0, "channel of a request that names none" },
	{ "PHONEAUTH_FALLBACK_CHANNEL", PA_CONF_STR,
	    offsetof(struct policy_select, fallback_channel), NULL, 0, 0, 0,
	    "channel a code is sent on again when another fails for good: sms, whatsapp or none" },
	{ "PHONEAUTH_LOGIN_SECOND_FACTOR", PA_CONF_STR,
	    offsetof(struct policy_select, second_factor), NULL, 0, 0, 0,
	    "a code after the right password: off, new-device or always" },
};
#define N_SELECT_ITEMS (sizeof select_items / sizeof select_items[0])

static const char *const identity_names[] = {
	[PA_IDENTITY_PHONE]       = "phone",
	[PA_IDENTITY_EMAIL_PHONE] = "email+phone",
};

static const char *const phone_mask_names[] = {
	[PA_PHONE_MASK_STARS]   = "stars",
	[PA_PHONE_MASK_GROUPED] = "grouped",
};

static const char *const channel_names[] = {
	[PA_CHANNEL_SMS]      = "sms",
	[PA_CHANNEL_WHATSAPP] = "whatsapp",
	[PA_CHANNEL_NONE]     = "none",
};

static const char *const second_factor_names[] = {
	[PA_2FA_OFF]        = "off",
	[PA_2FA_NEW_DEVICE] = "new-device",
	[PA_2FA_ALWAYS]     = "always",
};

const char *
pa_channel_name(enum pa_channel c)
{
	return (unsigned) c < sizeof channel_names / sizeof channel_names[0] ? channel_names[c]
	                                                                     : "none";
}

static char **
str_field(struct pa_policy *p, const struct pa_conf_item *it)
{
	return (char **) (void *) ((char *) p + it->offset);
}

/* Worth quoting in an error line: short and plain, so it cannot carry control characters. */
static bool
plain_word(const char *s)
{
	size_t n = strlen(s);

	return n <= 40
	    && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") == n;
}

/* Copies the profile into p with every string duplicated, so p owns all of them. */
static pa_err
policy_copy(struct pa_policy *p, const struct pa_policy *profile)
{
	*p      = *profile;
	p->name = NULL;
	for (size_t i = 0; i < N_POLICY_ITEMS; i++)
		if (policy_items[i].type == PA_CONF_STR)
			*str_field(p, &policy_items[i]) = NULL;
	/* From here p holds only NULLs or its own copies: pa_policy_free is safe at any point. */
	if ((p->name = strdup(profile->name)) == NULL)
		return PA_ENOMEM;
	for (size_t i = 0; i < N_POLICY_ITEMS; i++) {
		const struct pa_conf_item *it = &policy_items[i];
		char                     **f  = str_field(p, it);
		const char                *src;

		if (it->type != PA_CONF_STR)
			continue;
		src = *(char *const *) (const void *) ((const char *) profile + it->offset);
		if ((*f = strdup(src)) == NULL)
			return PA_ENOMEM;
	}
	return PA_OK;
}

/* ---- SMS ------------------------------------------------------------------------------------- */

enum placeholder { PH_NONE, PH_CODE, PH_BRAND, PH_MINUTES };

static enum placeholder
placeholder_at(const char *s, size_t *len)
{
	static const struct {
		const char      *text;
		enum placeholder ph;
	} known[] = { { "{code}", PH_CODE }, { "{brand}", PH_BRAND }, { "{minutes}", PH_MINUTES } };

	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		size_t n = strlen(known[i].text);

		if (strncmp(s, known[i].text, n) == 0) {
			*len = n;
			return known[i].ph;
		}
	}
	return PH_NONE;
}

/* Renders into out when out is non-NULL (the caller made sure it fits); returns the length. */
static size_t
render(const struct pa_policy *p, const char *code, char *out)
{
	char        minutes[16];
	size_t      n = 0;
	const char *s = p->sms_template;

	(void) snprintf(minutes, sizeof minutes, "%d", p->code_ttl_s / 60);
	while (*s != '\0') {
		const char *sub = NULL;
		size_t      len = 1;

		if (*s == '{') {
			switch (placeholder_at(s, &len)) {
			case PH_CODE:
				sub = code;
				break;
			case PH_BRAND:
				sub = p->brand;
				break;
			case PH_MINUTES:
				sub = minutes;
				break;
			case PH_NONE:
				len = 1;
				break;
			}
		}
		if (sub != NULL) {
			size_t k = strlen(sub);

			if (out != NULL)
				memcpy(out + n, sub, k);
			n += k;
		} else {
			if (out != NULL)
				out[n] = *s;
			n++;
		}
		s += len;
	}
	if (out != NULL)
		out[n] = '\0';
	return n;
}

pa_err
pa_policy_render_sms(const struct pa_policy *p, const char *code, char *out, size_t outsz)
{
	if (render(p, code, NULL) >= outsz)
		return PA_ETOOBIG;
	(void) render(p, code, out);
	return PA_OK;
}

/* ---- validation ------------------------------------------------------------------------------ */

static pa_err
policy_check(const struct pa_policy *p, char *err, size_t errsz)
{
	static const char longest_code[] = "0000000000";
	bool              has_code       = false;
	size_t            len;

	for (const char *s = p->sms_template; *s != '\0'; s++) {
		if (*s != '{')
			continue;
		switch (placeholder_at(s, &len)) {
		case PH_CODE:
			has_code = true;
			break;
		case PH_BRAND:
		case PH_MINUTES:
			break;
		case PH_NONE:
			pa_errf(err, errsz,
			    "PHONEAUTH_SMS_TEMPLATE may use only the placeholders {code}, {brand} "
			    "and "
			    "{minutes} (and no other \"{\")");
			return PA_EINVAL;
		}
	}
	if (!has_code) {
		pa_errf(err, errsz, "PHONEAUTH_SMS_TEMPLATE must contain {code}");
		return PA_EINVAL;
	}
	if (render(p, longest_code + (10 - p->code_length), NULL) >= PA_SMS_BODY_MAX) {
		pa_errf(err, errsz,
		    "PHONEAUTH_SMS_TEMPLATE renders to more than %d bytes (with PHONEAUTH_BRAND)",
		    PA_SMS_BODY_MAX - 1);
		return PA_EINVAL;
	}
	if (p->resend_cooldown_s >= p->code_ttl_s) {
		pa_errf(err, errsz,
		    "PHONEAUTH_RESEND_COOLDOWN (%ds) must be shorter than PHONEAUTH_CODE_TTL (%ds)",
		    p->resend_cooldown_s, p->code_ttl_s);
		return PA_EINVAL;
	}
	if (p->password_min_len > p->password_max_len) {
		pa_errf(err, errsz,
		    "PHONEAUTH_PASSWORD_MIN (%d) must not exceed PHONEAUTH_PASSWORD_MAX (%d)",
		    p->password_min_len, p->password_max_len);
		return PA_EINVAL;
	}
	return PA_OK;
}

/* ---- load / free / print --------------------------------------------------------------------- */

/* The index of value among names[0..n) into *out; false, with the error line (naming env and what
 * it must be), for anything else. */
static bool
pick_name(const char *value, const char *const *names, size_t n, const char *env, const char *must,
    int *out, char *err, size_t errsz)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(value, names[i]) == 0) {
			*out = (int) i;
			return true;
		}
	if (plain_word(value))
		pa_errf(err, errsz, "%s must be %s (got \"%s\")", env, must, value);
	else
		pa_errf(err, errsz, "%s must be %s", env, must);
	return false;
}

/* PHONEAUTH_CHANNELS (a comma list of channel names), PHONEAUTH_DEFAULT_CHANNEL,
 * PHONEAUTH_FALLBACK_CHANNEL and PHONEAUTH_LOGIN_SECOND_FACTOR into p, then checked together. */
static bool
select_channels(const struct policy_select *sel, struct pa_policy *p, char *err, size_t errsz)
{
	const size_t nch = sizeof channel_names / sizeof channel_names[0];
	int          idx;

	if (sel->channels != NULL) {
		const char *s = sel->channels;

		p->channels = 0;
		while (*s != '\0') {
			char   word[16];
			size_t n = strcspn(s, ",");

			if (n == 0 || n >= sizeof word) {
				pa_errf(err, errsz,
				    "PHONEAUTH_CHANNELS must be a comma list of sms, "
				    "whatsapp");
				return false;
			}
			memcpy(word, s, n);
			word[n] = '\0';
			if (!pick_name(word, channel_names, nch - 1, "PHONEAUTH_CHANNELS",
			        "a comma list of sms, whatsapp", &idx, err, errsz))
				return false;
			p->channels |= PA_CHANNEL_BIT(idx);
			s += n + (s[n] == ',');
		}
		if (p->channels == 0) {
			pa_errf(err, errsz, "PHONEAUTH_CHANNELS must name at least one channel");
			return false;
		}
		/* A profile's own default stays when it is still allowed. */
		if ((p->channels & PA_CHANNEL_BIT(p->default_channel)) == 0)
			p->default_channel = (p->channels & PA_CHANNEL_BIT(PA_CHANNEL_SMS))
			    ? PA_CHANNEL_SMS
			    : PA_CHANNEL_WHATSAPP;
		if (p->fallback_channel != PA_CHANNEL_NONE
		    && (p->channels & PA_CHANNEL_BIT(p->fallback_channel)) == 0)
			p->fallback_channel = PA_CHANNEL_NONE;
	}
	if (sel->default_channel != NULL) {
		if (!pick_name(sel->default_channel, channel_names, nch - 1,
		        "PHONEAUTH_DEFAULT_CHANNEL", "sms or whatsapp", &idx, err, errsz))
			return false;
		p->default_channel = (enum pa_channel) idx;
	}
	if (sel->fallback_channel != NULL) {
		if (!pick_name(sel->fallback_channel, channel_names, nch,
		        "PHONEAUTH_FALLBACK_CHANNEL", "sms, whatsapp or none", &idx, err, errsz))
			return false;
		p->fallback_channel = (enum pa_channel) idx;
	}
	if (sel->second_factor != NULL) {
		if (!pick_name(sel->second_factor, second_factor_names,
		        sizeof second_factor_names / sizeof second_factor_names[0],
		        "PHONEAUTH_LOGIN_SECOND_FACTOR", "off, new-device or always", &idx, err,
		        errsz))
			return false;
		p->login_second_factor = (enum pa_second_factor) idx;
	}
	if ((p->channels & PA_CHANNEL_BIT(p->default_channel)) == 0) {
		pa_errf(err, errsz,
		    "PHONEAUTH_DEFAULT_CHANNEL (%s) must be one of PHONEAUTH_CHANNELS",
		    channel_names[p->default_channel]);
		return false;
	}
	if (p->fallback_channel != PA_CHANNEL_NONE
	    && (p->channels & PA_CHANNEL_BIT(p->fallback_channel)) == 0) {
		pa_errf(err, errsz,
		    "PHONEAUTH_FALLBACK_CHANNEL (%s) must be none or one of PHONEAUTH_CHANNELS",
		    channel_names[p->fallback_channel]);
		return false;
	}
	return true;
}

pa_err
pa_policy_load(struct pa_policy *out, pa_getenv_fn *getenv_fn, char *err, size_t errsz)
{
	struct policy_select    sel     = { 0 };
	struct pa_policy        p       = { 0 };
	const struct pa_policy *profile = NULL;
	int                     idx;
	pa_err                  rv;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if ((rv = pa_conf_load(&sel, select_items, N_SELECT_ITEMS, getenv_fn, err, errsz)) != PA_OK)
		goto out_free_sel;
	for (size_t i = 0; i < N_PROFILES; i++)
		if (strcmp(sel.profile, profiles[i]->name) == 0)
			profile = profiles[i];
	if (profile == NULL) {
		if (plain_word(sel.profile))
			pa_errf(err, errsz, "PHONEAUTH_PROFILE must be one of %s (got \"%s\")",
			    PROFILE_NAMES, sel.profile);
		else
			pa_errf(err, errsz, "PHONEAUTH_PROFILE must be one of %s", PROFILE_NAMES);
		rv = PA_EINVAL;
		goto out_free_sel;
	}
	if ((rv = policy_copy(&p, profile)) != PA_OK) {
		pa_errf(err, errsz, "PHONEAUTH_PROFILE: out of memory");
		goto out_free_policy;
	}
	if (sel.identity != NULL) {
		if (!pick_name(sel.identity, identity_names,
		        sizeof identity_names / sizeof identity_names[0], "PHONEAUTH_IDENTITY",
		        "phone or email+phone", &idx, err, errsz)) {
			rv = PA_EINVAL;
			goto out_free_policy;
		}
		p.identity = (enum pa_identity) idx;
	}
	if (sel.phone_mask != NULL) {
		if (!pick_name(sel.phone_mask, phone_mask_names,
		        sizeof phone_mask_names / sizeof phone_mask_names[0],
		        "PHONEAUTH_PHONE_MASK", "stars or grouped", &idx, err, errsz)) {
			rv = PA_EINVAL;
			goto out_free_policy;
		}
		p.phone_mask = (enum pa_phone_mask_style) idx;
	}
	if (!select_channels(&sel, &p, err, errsz)) {
		rv = PA_EINVAL;
		goto out_free_policy;
	}
	if ((rv = pa_conf_load(&p, policy_items, N_POLICY_ITEMS, getenv_fn, err, errsz)) != PA_OK)
		goto out_free_policy;
	if ((rv = policy_check(&p, err, errsz)) != PA_OK)
		goto out_free_policy;
	*out = p;
	goto out_free_sel;
out_free_policy:
	pa_policy_free(&p);
out_free_sel:
	pa_conf_free(&sel, select_items, N_SELECT_ITEMS);
	return rv;
}

void
pa_policy_free(struct pa_policy *p)
{
	if (p == NULL)
		return;
	pa_conf_free(p, policy_items, N_POLICY_ITEMS);
	free(p->name);
	p->name = NULL;
}

void
pa_policy_print(FILE *f, const struct pa_policy *p)
{
	(void) fprintf(f, "PHONEAUTH_PROFILE=%s\n", p->name != NULL ? p->name : "");
	(void) fprintf(f, "PHONEAUTH_IDENTITY=%s\n", identity_names[p->identity]);
	(void) fprintf(f, "PHONEAUTH_PHONE_MASK=%s\n", phone_mask_names[p->phone_mask]);
	(void) fprintf(f, "PHONEAUTH_CHANNELS=");
	for (size_t i = 0, n = 0; i < PA_CHANNEL_NONE; i++)
		if (p->channels & PA_CHANNEL_BIT(i))
			(void) fprintf(f, "%s%s", n++ > 0 ? "," : "", channel_names[i]);
	(void) fprintf(f, "\nPHONEAUTH_DEFAULT_CHANNEL=%s\n", channel_names[p->default_channel]);
	(void) fprintf(f, "PHONEAUTH_FALLBACK_CHANNEL=%s\n", channel_names[p->fallback_channel]);
	(void) fprintf(
	    f, "PHONEAUTH_LOGIN_SECOND_FACTOR=%s\n", second_factor_names[p->login_second_factor]);
	pa_conf_print(f, p, policy_items, N_POLICY_ITEMS);
}
