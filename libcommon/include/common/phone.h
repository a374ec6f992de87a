/* phone.h: checks and normalises phone numbers with libphonenumber (a C shim over its C++ API);
 * refuses non-mobile, premium-rate and disallowed-country numbers as an SMS-pumping defence. */
#ifndef PHONEAUTH_COMMON_PHONE_H
#define PHONEAUTH_COMMON_PHONE_H

#include <stdbool.h>

#include "common/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest input pa_phone_check looks at, in bytes; anything longer is PA_PHONE_UNPARSEABLE. */
#define PA_PHONE_INPUT_MAX 64

/* libphonenumber's number types, in our names. */
enum pa_phone_type {
	PA_PHONE_MOBILE,
	PA_PHONE_FIXED_LINE_OR_MOBILE, /* e.g. every US and CA number; counts as mobile-capable */
	PA_PHONE_FIXED_LINE,
	PA_PHONE_TOLL_FREE,
	PA_PHONE_PREMIUM_RATE,
	PA_PHONE_SHARED_COST,
	PA_PHONE_VOIP,
	PA_PHONE_PERSONAL_NUMBER,
	PA_PHONE_PAGER,
	PA_PHONE_UAN,
	PA_PHONE_VOICEMAIL,
	PA_PHONE_UNKNOWN,
};

/* XX(name, text): every outcome of pa_phone_check, with the one-line English text a user sees
 * (as the message of an INVALID_ARGUMENT reply) when the number is refused. */
#define PA_PHONE_VERDICT_MAP(XX)                                                            \
	/* Valid, mobile-capable, from an allowed country. */                               \
	XX(OK, "This mobile number is accepted.")                                           \
	/* Not a phone number at all, longer than PA_PHONE_INPUT_MAX, or bad characters. */ \
	XX(UNPARSEABLE, "Please enter a valid mobile number.")                              \
	/* Parses, but is not a valid number (wrong length, unknown country code...). */    \
	XX(INVALID, "Please enter a valid mobile number.")                                  \
	/* Fixed line, VoIP, pager, personal, UAN, voicemail or unknown type. */            \
	XX(NOT_MOBILE, "This number cannot receive SMS codes; please use a mobile number.") \
	/* Premium rate, toll free or shared cost. */                                       \
	XX(PREMIUM, "Premium-rate, toll-free and shared-cost numbers are not accepted.")    \
	/* Valid and mobile-capable, but its region is not in the allow-list. */            \
	XX(COUNTRY_NOT_ALLOWED, "Mobile numbers from this country are not supported.")

enum pa_phone_verdict {
#define PA_PHONE_VERDICT_ENUM(name, text) PA_PHONE_##name,
	PA_PHONE_VERDICT_MAP(PA_PHONE_VERDICT_ENUM)
#undef PA_PHONE_VERDICT_ENUM
};

/* A checked number. */
struct pa_phone {
	char               e164[17]; /* "+12015550123": '+', at most 15 digits, NUL */
	char               region[3]; /* ISO 3166 alpha-2 ("US"); "" for non-geographic (+800...) */
	int                country_code; /* 1, 44, ... */
	enum pa_phone_type type;
};

/* Parses input (national format resolved with default_region, e.g. "US"; or international "+..."),
 * normalises it to E.164, classifies it and checks its region against allowed_regions, a comma
 * list of ISO 3166 alpha-2 codes ("US,CA"; case and spaces around codes are ignored; NULL or ""
 * means default_region only).
 * input may hold digits, ASCII whitespace and the separators - . ( ) /, with an optional leading
 * '+'; anything else (letters, extensions, "tel:" URIs, non-ASCII digits) is UNPARSEABLE, as is a
 * NULL input or one longer than PA_PHONE_INPUT_MAX bytes.
 * Checks run in this order, the first failure giving the verdict: UNPARSEABLE, INVALID, PREMIUM,
 * NOT_MOBILE, COUNTRY_NOT_ALLOWED. A NULL or unknown default_region makes national-format input
 * INVALID (and, with no allowed_regions, every number COUNTRY_NOT_ALLOWED); validate both at
 * start with pa_phone_region_known and pa_phone_regions_valid.
 * out may be NULL; it is written when the verdict is OK, NOT_MOBILE, PREMIUM or
 * COUNTRY_NOT_ALLOWED (so callers can log the masked number), and left alone otherwise.
 * An internal failure (out of memory) gives UNPARSEABLE. Thread-safe; never throws. */
enum pa_phone_verdict pa_phone_check(struct pa_phone *out, const char *input,
    const char *default_region, const char *allowed_regions) PA_MUSTCHECK;

/* Static one-line English text for v (see PA_PHONE_VERDICT_MAP); never NULL. */
const char *pa_phone_verdict_text(enum pa_phone_verdict v);

/* True when region is a 2-letter region libphonenumber knows ("US", "GB"; case ignored).
 * False for NULL, "", "ZZ" and "001". Thread-safe. */
bool pa_phone_region_known(const char *region);

/* True when list is a non-empty comma list of regions pa_phone_region_known accepts
 * ("US,CA", "us, gb"); false for NULL, "", "US,", "US,,CA" or any unknown code. Thread-safe. */
bool pa_phone_regions_valid(const char *list);

/* Big enough for any masked phone. */
#define PA_PHONE_MASK_MAX 24

/* Masks an E.164 number for logs and replies: keeps '+', the country calling code and the last
 * four digits, stars the rest ("+15551231234" -> "+1******1234"). Anything that is not '+'
 * followed by 5..15 digits, or too short to hold its calling code and four more digits
 * ("+35567"), comes out as "***". Returns out. */
const char *pa_phone_mask(const char *e164, char out[PA_PHONE_MASK_MAX]);

/* How replies to sites show a masked phone (a profile setting, PHONEAUTH_PHONE_MASK). */
enum pa_phone_mask_style {
	PA_PHONE_MASK_STARS, /* "+1******1234", as pa_phone_mask */
	PA_PHONE_MASK_GROUPED, /* "+1 (***) ***-1234" for a NANP number (+1 and 10 digits); any
	                        * other: the calling code, a space, stars, the last four
	                        * ("+44 ******3456") */
};

/* pa_phone_mask in the given style; anything pa_phone_mask shows as "***" stays "***", and an
 * unknown style is STARS. Returns out. */
const char *pa_phone_mask_styled(
    const char *e164, enum pa_phone_mask_style style, char out[PA_PHONE_MASK_MAX]);

#ifdef __cplusplus
}
#endif

#endif
