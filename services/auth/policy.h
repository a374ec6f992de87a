/* policy.h: a site profile as data: every number, switch and user-facing message the flows use.
 * Built-in profiles "fancy-feathers" and "lawnflow", each in English, Spanish and Bahasa
 * Indonesia; each setting has its own PHONEAUTH_* override. */
#ifndef PHONEAUTH_AUTH_POLICY_H
#define PHONEAUTH_AUTH_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/config.h"
#include "common/err.h"
#include "common/phone.h"

enum pa_identity {
	PA_IDENTITY_PHONE, /* the verified phone is the user id (fancy-feathers) */
	PA_IDENTITY_EMAIL_PHONE, /* email + password + phone; login by either (lawnflow) */
};

/* How a code reaches a person (the proto's Channel, less UNSPECIFIED). */
enum pa_channel {
	PA_CHANNEL_SMS,
	PA_CHANNEL_WHATSAPP,
	PA_CHANNEL_NONE, /* only as fallback_channel: no fallback */
};
#define PA_CHANNEL_BIT(c) (1u << (unsigned) (c))

/* When Login asks for a code after the right password. */
enum pa_second_factor {
	PA_2FA_OFF,
	PA_2FA_NEW_DEVICE, /* unless the device shows a live remembered-device token */
	PA_2FA_ALWAYS,
};

/* Room for any SMS body pa_policy_render_sms can produce from a loaded policy. */
#define PA_SMS_BODY_MAX 640

/* One site profile. Flow code reads settings, never the name. Durations are seconds; a limit
 * documented as "0 = off" disables that check. Strings are heap-owned by the struct (release with
 * pa_policy_free); after pa_policy_load every string is non-NULL and non-empty. The environment
 * variable for each field is in brackets. */
struct pa_policy {
	char *name; /* profile name [PHONEAUTH_PROFILE] */

	/* codes */
	int code_length; /* 4..10 digits [PHONEAUTH_CODE_LENGTH] */
	int code_ttl_s; /* code life, 60 s..24 h [PHONEAUTH_CODE_TTL] */
	int resend_cooldown_s; /* < code_ttl_s [PHONEAUTH_RESEND_COOLDOWN] */
	int sends_per_phone_hour; /* [PHONEAUTH_SENDS_PER_PHONE_HOUR] */
	int tries_per_code; /* [PHONEAUTH_TRIES_PER_CODE] */
	int tries_per_phone_window; /* [PHONEAUTH_TRIES_PER_PHONE] */
	int tries_window_s; /* [PHONEAUTH_TRIES_WINDOW] */
	int sends_per_ip_hour; /* 0 = off [PHONEAUTH_SENDS_PER_IP_HOUR] */
	int sends_per_phone_ip_hour; /* one IP's share of a phone's sends, 0 = off
	                              * [PHONEAUTH_SENDS_PER_PHONE_IP_HOUR] */
	int tries_per_phone_day; /* tries on any code per phone per 24 h, 0 = off
	                          * [PHONEAUTH_TRIES_PER_PHONE_DAY] */
	/* codes that open an existing account (password reset) */
	int reset_code_length; /* 6..10 digits whatever code_length [PHONEAUTH_RESET_CODE_LENGTH] */
	int reset_tries_per_day; /* tries per phone and per account per 24 h
	                          * [PHONEAUTH_RESET_TRIES_PER_DAY] */

	/* accounts and sessions */
	int login_max_failures; /* failures before a lock, 0 = off [PHONEAUTH_LOGIN_MAX_FAILURES] */
	int login_lock_s; /* [PHONEAUTH_LOGIN_LOCK] */
	int login_failures_per_ip_hour; /* failed logins per end-user IP per hour, 0 = off
	                                 * [PHONEAUTH_LOGIN_FAILURES_PER_IP_HOUR] */
	int session_ttl_s; /* [PHONEAUTH_SESSION_TTL] */
	int signup_token_ttl_s; /* life of VerifyCode's signup token [PHONEAUTH_SIGNUP_TOKEN_TTL] */
	bool subscription_required; /* StartSignup phone must equal the subscription's
	                             * [PHONEAUTH_SUBSCRIPTION_REQUIRED] */
	enum pa_identity identity; /* [PHONEAUTH_IDENTITY] = phone | email+phone */
	bool             non_enumerating; /* replies never reveal whether an email/phone exists
	                                   * [PHONEAUTH_NON_ENUMERATING] */
	enum pa_phone_mask_style phone_mask; /* how replies show a phone: stars ("+1******1234")
	                                      * or grouped ("+1 (***) ***-1234")
	                                      * [PHONEAUTH_PHONE_MASK] */

	/* password rules (see pa_policy_check_password) */
	int password_min_len; /* characters (NFC code points) [PHONEAUTH_PASSWORD_MIN] */
	int password_max_len; /* characters (NFC code points), cap before Argon2
	                       * [PHONEAUTH_PASSWORD_MAX] */
	bool password_need_upper; /* [PHONEAUTH_PASSWORD_NEED_UPPER] */
	bool password_need_digit; /* [PHONEAUTH_PASSWORD_NEED_DIGIT] */
	bool password_need_special; /* [PHONEAUTH_PASSWORD_NEED_SPECIAL] */
	bool password_space_special; /* a space counts as a special character
	                              * [PHONEAUTH_PASSWORD_SPACE_SPECIAL] */

	/* channels and the second factor (issue 16) */
	unsigned channels; /* PA_CHANNEL_BIT of each allowed channel [PHONEAUTH_CHANNELS] =
	                    * "sms", "sms,whatsapp" */
	enum pa_channel default_channel; /* in channels [PHONEAUTH_DEFAULT_CHANNEL] */
	enum pa_channel fallback_channel; /* when a send on another channel fails for good; in
	                                   * channels, or none [PHONEAUTH_FALLBACK_CHANNEL] */
	enum pa_second_factor login_second_factor; /* off | new-device | always
	                                            * [PHONEAUTH_LOGIN_SECOND_FACTOR] */
	int  remember_device_ttl_s; /* a remembered device's life [PHONEAUTH_REMEMBER_DEVICE_TTL] */
	bool test_numbers_allowed; /* PHONEAUTH_TEST_NUMBERS may be used
	                            * [PHONEAUTH_ALLOW_TEST_NUMBERS] */
	char *locale; /* the default language, a BCP 47 tag whose language is built in (en, es,
	               * id), canonical case ("es-MX"); msg_* and sms_template speak it
	               * [PHONEAUTH_LOCALE] */

	/* SMS */
	char *brand; /* [PHONEAUTH_BRAND] */
	char *sms_template; /* {code} (required), {brand}, {minutes} [PHONEAUTH_SMS_TEMPLATE] */

	/* user-facing messages, shown verbatim by the site [PHONEAUTH_MSG_<FIELD IN CAPITALS>] */
	char *msg_otp_sent; /* code sent (StartSignup, ResendCode) */
	char *msg_subscription_mismatch; /* phone differs from the subscription's */
	char *msg_code_invalid; /* wrong, expired, used or unknown code */
	char *msg_too_many_attempts; /* tries per code or per phone window exhausted */
	char *msg_resend_too_soon; /* inside the resend cooldown */
	char *msg_send_limit; /* sends per phone per hour exhausted */
	char *msg_not_verified_create; /* CreateAccount without a verified phone */
	char *msg_account_created;
	char *msg_login_invalid; /* unknown user or wrong password */
	char *msg_login_not_verified; /* right password, phone not verified */
	char *msg_login_locked; /* too many failed logins */
	char *msg_password_policy; /* password breaks the rules */
	char *msg_password_mismatch; /* password and confirmation differ */
	char *msg_registered; /* Register reply, the same whatever existed */
	char *msg_verified; /* code accepted */
	char *msg_reset_started; /* StartPasswordReset reply */
	char *msg_reset_done; /* CompletePasswordReset succeeded */
	char *msg_sms_unavailable; /* SMS sending is down or not configured */
	char *msg_invalid_email;
	char *msg_invalid_phone; /* not a valid, allowed mobile number */
	char *msg_rate_limited_ip; /* sends per end-user IP exhausted */
	char *msg_account_exists; /* the verified phone already has an account */
	char *msg_session_invalid; /* unknown, expired or revoked session or token */
	char *msg_challenge_required; /* this send needs a captcha (none, bad or used token) */
	char *msg_destination_paused; /* a tripped breaker, no captcha configured */
	char *msg_send_budget; /* the SMS budget is spent, no captcha configured */
	char *msg_challenge_unavailable; /* the captcha provider did not answer */
	char *msg_channel_not_allowed; /* the channel asked for is not among channels */
	char *msg_second_factor; /* Login: right password, a code was sent to finish */
	char *msg_verify_unavailable; /* Twilio Verify could not check the code */
};

/* Room for a locale tag and its NUL: PHONEAUTH_LOCALE and each language's locale are shorter. */
#define PA_LOCALE_LEN 16

/* The built-in languages of a loaded policy: copies of base whose msg_* and sms_template
 * speak that language (PHONEAUTH_MSG_* and PHONEAUTH_SMS_TEMPLATE overrides apply to the
 * default language, PHONEAUTH_LOCALE, only). Every other setting, the brand included, is
 * base's. Each copy's locale is its language's tag ("en", "es", "id"); base's own language is
 * not among them. */
struct pa_policy_langs {
	size_t            n;
	struct pa_policy *lang; /* n copies, each owning its strings */
};

/* Fills *out with a copy of base for each built-in language other than base's. PA_ENOMEM
 * (nothing is left to free); *out is written only on success. Release with
 * pa_policy_langs_free before base is freed or not: the copies share nothing with it. */
pa_err pa_policy_langs_load(const struct pa_policy *base, struct pa_policy_langs *out) PA_MUSTCHECK;

/* Frees every copy and empties l. Safe on NULL, on a zeroed struct and twice. */
void pa_policy_langs_free(struct pa_policy_langs *l);

/* The copy for a BCP 47 tag ("es", "es-MX", "id-ID", "ID", "" or NULL): the exact tag, then its
 * language subtag, case-insensitively, among base and the copies (base first); else base.
 * Never NULL; l may be NULL (then base). Store the answer's locale, not the caller's tag: it is
 * always a well-formed tag of a built-in language. */
const struct pa_policy *pa_policy_lang(
    const struct pa_policy *base, const struct pa_policy_langs *l, const char *bcp47);

/* "sms", "whatsapp", "none". */
const char *pa_channel_name(enum pa_channel c);

/* Fills *out from the profile named by PHONEAUTH_PROFILE (default "fancy-feathers") with its
 * texts in the language of PHONEAUTH_LOCALE (default "en"; refused unless a BCP 47 tag of a
 * built-in language), then applies each PHONEAUTH_* override that is set and non-empty, then
 * checks the settings together (e.g.
 * the template has {code}, cooldown < code life, min <= max password length). getenv_fn is
 * getenv() or a fake. On failure writes one line to err naming the variable (for an unknown
 * profile: the valid names) and returns PA_EINVAL; PA_ENOMEM. *out is written only on success and
 * then owns its strings. Thread-safe (reads only static tables). */
pa_err pa_policy_load(
    struct pa_policy *out, pa_getenv_fn *getenv_fn, char *err, size_t errsz) PA_MUSTCHECK;

/* Frees the strings of p and sets them to NULL. Safe on NULL, on a zeroed struct and twice. */
void pa_policy_free(struct pa_policy *p);

/* Prints one "PHONEAUTH_NAME=value" line per setting (control characters escaped), for a
 * config check at start. Contains no secrets. */
void pa_policy_print(FILE *f, const struct pa_policy *p);

/* Renders p->sms_template into out: {code} -> code, {brand} -> p->brand, {minutes} -> the code
 * life in whole minutes (rounded down). Any other text, including an unknown "{...}", is copied
 * as is. PA_ETOOBIG if the body and its NUL do not fit in outsz (out is then untouched). The body
 * holds the code: the caller wipes out once it is sealed. */
pa_err pa_policy_render_sms(
    const struct pa_policy *p, const char *code, char *out, size_t outsz) PA_MUSTCHECK;

/* A password's characters are the code points of its NFC form (pa_policy_password_nfc), and
 * their classes are Unicode general categories (utf8proc). */
enum pa_pw_verdict {
	PA_PW_OK,
	PA_PW_TOO_SHORT, /* fewer than password_min_len characters */
	PA_PW_TOO_LONG, /* more than password_max_len characters */
	PA_PW_NEED_UPPER, /* no capital: an uppercase or titlecase letter (Lu, Lt: "A", "É", "Ж") */
	PA_PW_NEED_DIGIT, /* no decimal digit (Nd) */
	PA_PW_NEED_SPECIAL, /* no special: a character that is not a letter (L*), a digit (Nd), a
	                     * combining mark (M*, part of the letter before it) or, unless
	                     * password_space_special, a space (Zs) */
	PA_PW_INVALID, /* not valid UTF-8 (overlong, surrogate, truncated, > U+10FFFF) */
	PA_PW_NOMEM, /* not a rule: out of memory while normalising; the caller fails the call */
};

/* Checks pw[0..len) against p's rules; the first failing rule wins, in the order TOO_LONG (more
 * than PA_PW_MAX_BYTES_PER_CHAR bytes per allowed character: refused before decoding), INVALID,
 * TOO_LONG, TOO_SHORT, NEED_UPPER, NEED_DIGIT, NEED_SPECIAL. pw need not be NFC: the rules apply
 * to its NFC form. Does not hash or keep the password (its normalised copy is wiped). */
enum pa_pw_verdict pa_policy_check_password(const struct pa_policy *p, const char *pw, size_t len);

/* No input of more than this many bytes per character has an NFC form of fewer characters: a
 * canonical decomposition has at most 4 code points (U+1F82), each at most 4 bytes. */
#define PA_PW_MAX_BYTES_PER_CHAR 16

/* Sets *out to the NFC form of pw[0..len) (Unicode normalisation form C, utf8proc with
 * UTF8PROC_COMPOSE | UTF8PROC_STABLE), NUL-terminated, and *outlen to its length in bytes. The
 * buffer holds nothing else of pw: release it with pa_policy_password_nfc_free, which wipes it.
 * PA_EINVAL when pw is not valid UTF-8 (nothing is allocated), PA_ENOMEM. Thread-safe. */
pa_err pa_policy_password_nfc(const char *pw, size_t len, char **out, size_t *outlen) PA_MUSTCHECK;

/* Wipes nfc[0..len] (sodium_memzero) and frees it. Safe on NULL. */
void pa_policy_password_nfc_free(char *nfc, size_t len);

/* The number of code points in the valid UTF-8 s[0..len) (e.g. an NFC form). */
size_t pa_policy_password_chars(const char *s, size_t len);

/* ---- between policy.c and policy_locale.c (the flows use pa_policy_langs and pa_policy_lang) --
 * policy_locale.c holds every built-in profile's SMS template and messages in each built-in
 * language, tags, SMS rendering and the per-language copies; policy.c the profiles' numbers,
 * the overrides and the checks. */

#define PA_POLICY_N_LANGS 3

/* The built-in languages' tags, English (every profile's default) first. */
extern const char *const pa_policy_lang_tags[PA_POLICY_N_LANGS];

/* The built-in texts of the profile named profile in language lang (one of
 * pa_policy_lang_tags): a struct pa_policy whose sms_template and msg_* only are set (static,
 * never freed). NULL for an unknown profile or language. */
const struct pa_policy *pa_policy_texts(const char *profile, const char *lang);

/* Checks p's sms_template (only {code}, {brand} and {minutes}; {code} present; rendered with
 * p's brand and longest code under PA_SMS_BODY_MAX bytes) and that every built-in language's
 * template fits too, so that pa_policy_langs_load cannot fail on them. PA_EINVAL with one line
 * in err naming the variable. */
pa_err pa_policy_check_template(const struct pa_policy *p, char *err, size_t errsz) PA_MUSTCHECK;

/* Writes tag in canonical case into out (language lowercase, a 2-letter region uppercase, a
 * 4-letter script in title case, anything else lowercase: "es-MX", "zh-Hant-TW") when it is a
 * well-formed tag of the shape the database keeps (a 2- or 3-letter language, then up to three
 * subtags of 1 to 8 letters or digits, separated by '-') and fits out. False otherwise (out is
 * then undefined). */
bool pa_policy_tag_canon(const char *tag, char out[PA_LOCALE_LEN]);

/* The index in pa_policy_lang_tags of tag's language subtag (case-insensitively; "ES-mx" is
 * Spanish), or -1. */
int pa_policy_tag_lang(const char *tag);

/* Sets *dst to a copy of src owning every string, with texts' sms_template and msg_* and
 * locale instead of src's. On PA_ENOMEM *dst is half-built: pa_policy_free releases it. Defined
 * in policy.c, which knows the fields; pa_policy_load and pa_policy_langs_load use it. */
pa_err pa_policy_copy_lang(struct pa_policy *dst, const struct pa_policy *src,
    const struct pa_policy *texts, const char *locale) PA_MUSTCHECK;

#endif
