/* policy.c: the built-in site profiles as static tables, their PHONEAUTH_* overrides through the
 * config module's table and cross-field checks; the profiles' texts in each language and SMS
 * rendering are in policy_locale.c, the password rules in policy_password.c. */
#include "policy.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- built-in profiles ----------------------------------------------------------------------- */

/* Rules and numbers from seeds/000_df6e54093a78ffc2.txt; where the seed is silent (sends per
 * hour, IP and login limits, sessions) the values are our defaults. The SMS template and the
 * messages are policy_locale.c's, in the language of locale. */
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
};

/* Rules and numbers from seeds/004_0e0a7ea5adc4b8ab.txt; its messages (policy_locale.c) never
 * say whether an email or phone exists, and one code_invalid covers wrong, expired, used and
 * unknown codes. */
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
};

static const struct pa_policy *const profiles[] = { &profile_fancy_feathers, &profile_lawnflow };
#define N_PROFILES (sizeof profiles / sizeof profiles[0])
#define PROFILE_NAMES "fancy-feathers, lawnflow"
#define LOCALE_NAMES "en, es or id (as en, es, es-MX, id-ID)"

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

/* The settings that pick or shape a profile rather than override a field. */
struct policy_select {
	char *locale;
	char *profile;
	char *identity;
	char *phone_mask;
	char *channels;
	char *default_channel;
	char *fallback_channel;
	char *second_factor;
};

static const struct pa_conf_item select_items[] = {
	{ "PHONEAUTH_LOCALE", PA_CONF_STR, offsetof(struct policy_select, locale), NULL, 0, 0, 0,
	    "default language of replies and codes: a BCP 47 tag of en, es or id (es-MX)" },
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

static bool
is_text(const struct pa_conf_item *it)
{
	return it->type == PA_CONF_STR
	    && (strncmp(it->env, "PHONEAUTH_MSG_", strlen("PHONEAUTH_MSG_")) == 0
	        || strcmp(it->env, "PHONEAUTH_SMS_TEMPLATE") == 0);
}

pa_err
pa_policy_copy_lang(struct pa_policy *dst, const struct pa_policy *src,
    const struct pa_policy *texts, const char *locale)
{
	*dst        = *src;
	dst->name   = NULL;
	dst->locale = NULL;
	for (size_t i = 0; i < N_POLICY_ITEMS; i++)
		if (policy_items[i].type == PA_CONF_STR)
			*str_field(dst, &policy_items[i]) = NULL;
	/* From here dst holds only NULLs or its own copies: pa_policy_free is safe at any point. */
	if (texts == NULL)
		return PA_EINVAL;
	if ((dst->name = strdup(src->name)) == NULL || (dst->locale = strdup(locale)) == NULL)
		return PA_ENOMEM;
	for (size_t i = 0; i < N_POLICY_ITEMS; i++) {
		const struct pa_conf_item *it   = &policy_items[i];
		const struct pa_policy    *from = is_text(it) ? texts : src;
		char                     **f    = str_field(dst, it);

		if (it->type != PA_CONF_STR)
			continue;
		if ((*f = strdup(
		         *(char *const *) (const void *) ((const char *) from + it->offset)))
		    == NULL)
			return PA_ENOMEM;
	}
	return PA_OK;
}

/* ---- validation ------------------------------------------------------------------------------ */

static pa_err
policy_check(const struct pa_policy *p, char *err, size_t errsz)
{
	pa_err rv;

	if ((rv = pa_policy_check_template(p, err, errsz)) != PA_OK)
		return rv;
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
	char                    locale[PA_LOCALE_LEN];
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
	(void) snprintf(locale, sizeof locale, "%s", profile->locale);
	if (sel.locale != NULL
	    && (!pa_policy_tag_canon(sel.locale, locale) || pa_policy_tag_lang(locale) < 0)) {
		if (plain_word(sel.locale))
			pa_errf(err, errsz,
			    "PHONEAUTH_LOCALE must be a BCP 47 tag of %s (got \"%s\")",
			    LOCALE_NAMES, sel.locale);
		else
			pa_errf(err, errsz, "PHONEAUTH_LOCALE must be a BCP 47 tag of %s",
			    LOCALE_NAMES);
		rv = PA_EINVAL;
		goto out_free_sel;
	}
	/* The texts in the default language; its PHONEAUTH_MSG_* overrides come on top below. */
	if ((rv = pa_policy_copy_lang(&p, profile,
	         pa_policy_texts(profile->name, pa_policy_lang_tags[pa_policy_tag_lang(locale)]),
	         locale))
	    != PA_OK) {
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
	free(p->locale);
	p->locale = NULL;
}

void
pa_policy_print(FILE *f, const struct pa_policy *p)
{
	(void) fprintf(f, "PHONEAUTH_PROFILE=%s\n", p->name != NULL ? p->name : "");
	(void) fprintf(f, "PHONEAUTH_LOCALE=%s\n", p->locale != NULL ? p->locale : "");
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
