/* phone.cc: the C shim over libphonenumber, and the only C++ in the tree; see common/phone.h.
 * Every entry point catches all exceptions, so none crosses the C boundary. */
#include "common/phone.h"

#include <cstddef>
#include <cstring>
#include <mutex>
#include <string>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::NullLogger;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

std::once_flag util_once;

/* Library code does not log, so libphonenumber gets a null logger before first use. The
 * singleton itself is created under pthread_once by the library; call_once makes the logger
 * swap happen exactly once, before any other thread can reach the instance through us. */
PhoneNumberUtil *
util()
{
	std::call_once(
	    util_once, [] { PhoneNumberUtil::GetInstance()->SetLogger(new NullLogger()); });
	return PhoneNumberUtil::GetInstance();
}

bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char
to_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool
is_alpha(char c)
{
	c = to_upper(c);
	return c >= 'A' && c <= 'Z';
}

/* Upper-cases a 2-letter code into out ("us" -> "US"); false unless exactly two ASCII letters. */
bool
region_norm(const char *s, size_t n, char out[3])
{
	if (n != 2 || !is_alpha(s[0]) || !is_alpha(s[1]))
		return false;
	out[0] = to_upper(s[0]);
	out[1] = to_upper(s[1]);
	out[2] = '\0';
	return true;
}

bool
region_known(const char *s, size_t n)
{
	char code[3];

	if (!region_norm(s, n, code))
		return false;
	return util()->GetCountryCodeForRegion(code) != 0;
}

/* Calls fn(token, length) for each comma-separated token of list, spaces around it trimmed;
 * stops early and returns false when fn does. */
template <typename Fn>
bool
each_token(const char *list, Fn fn)
{
	const char *p = list;

	for (;;) {
		const char *end  = std::strchr(p, ',');
		const char *stop = end != nullptr ? end : p + std::strlen(p);
		const char *b    = p;
		const char *e    = stop;

		while (b < e && is_space(*b))
			b++;
		while (e > b && is_space(e[-1]))
			e--;
		if (!fn(b, static_cast<size_t>(e - b)))
			return false;
		if (end == nullptr)
			return true;
		p = end + 1;
	}
}

/* True when region (upper case, 2 letters) is in allowed, or equals default_region when
 * allowed is NULL or empty. */
bool
region_allowed(const char *region, const char *default_region, const char *allowed)
{
	char want[3];
	bool found = false;

	if (region[0] == '\0')
		return false;
	if (allowed == nullptr || allowed[0] == '\0') {
		if (default_region == nullptr)
			return false;
		return region_norm(default_region, std::strlen(default_region), want)
		    && std::strcmp(want, region) == 0;
	}
	(void) each_token(allowed, [&](const char *tok, size_t n) {
		found = region_norm(tok, n, want) && std::strcmp(want, region) == 0;
		return !found;
	});
	return found;
}

/* Copies input into clean with every whitespace character made a space. False when input is
 * too long, holds a character outside digits, whitespace, "-.()/" and one leading '+', or has no
 * digit; this keeps libphonenumber's leniency (letters, extensions, URIs) out of user ids. */
bool
input_clean(const char *input, std::string *clean)
{
	size_t len   = strnlen(input, PA_PHONE_INPUT_MAX + 1);
	bool   seen  = false; /* a digit or separator came before */
	bool   digit = false;

	if (len > PA_PHONE_INPUT_MAX)
		return false;
	clean->reserve(len);
	for (size_t i = 0; i < len; i++) {
		char c = input[i];

		if (is_space(c)) {
			clean->push_back(' ');
			continue;
		}
		if (c == '+') {
			if (seen)
				return false;
		} else if (is_digit(c)) {
			digit = true;
		} else if (std::strchr("-.()/", c) == nullptr) {
			return false;
		}
		seen = true;
		clean->push_back(c);
	}
	return digit;
}

enum pa_phone_type
type_from(PhoneNumberUtil::PhoneNumberType t)
{
	switch (t) {
	case PhoneNumberUtil::MOBILE:
		return PA_PHONE_MOBILE;
	case PhoneNumberUtil::FIXED_LINE_OR_MOBILE:
		return PA_PHONE_FIXED_LINE_OR_MOBILE;
	case PhoneNumberUtil::FIXED_LINE:
		return PA_PHONE_FIXED_LINE;
	case PhoneNumberUtil::TOLL_FREE:
		return PA_PHONE_TOLL_FREE;
	case PhoneNumberUtil::PREMIUM_RATE:
		return PA_PHONE_PREMIUM_RATE;
	case PhoneNumberUtil::SHARED_COST:
		return PA_PHONE_SHARED_COST;
	case PhoneNumberUtil::VOIP:
		return PA_PHONE_VOIP;
	case PhoneNumberUtil::PERSONAL_NUMBER:
		return PA_PHONE_PERSONAL_NUMBER;
	case PhoneNumberUtil::PAGER:
		return PA_PHONE_PAGER;
	case PhoneNumberUtil::UAN:
		return PA_PHONE_UAN;
	case PhoneNumberUtil::VOICEMAIL:
		return PA_PHONE_VOICEMAIL;
	case PhoneNumberUtil::UNKNOWN:
		break;
	}
	return PA_PHONE_UNKNOWN;
}

enum pa_phone_verdict
verdict_for(enum pa_phone_type t)
{
	switch (t) {
	case PA_PHONE_MOBILE:
	case PA_PHONE_FIXED_LINE_OR_MOBILE:
		return PA_PHONE_OK;
	case PA_PHONE_TOLL_FREE:
	case PA_PHONE_PREMIUM_RATE:
	case PA_PHONE_SHARED_COST:
		return PA_PHONE_PREMIUM;
	case PA_PHONE_FIXED_LINE:
	case PA_PHONE_VOIP:
	case PA_PHONE_PERSONAL_NUMBER:
	case PA_PHONE_PAGER:
	case PA_PHONE_UAN:
	case PA_PHONE_VOICEMAIL:
	case PA_PHONE_UNKNOWN:
		break;
	}
	return PA_PHONE_NOT_MOBILE;
}

enum pa_phone_verdict
check(struct pa_phone *out, const char *input, const char *default_region, const char *allowed)
{
	PhoneNumberUtil *u = util();
	std::string      clean;
	char             def[3] = "ZZ"; /* libphonenumber's "unknown region" */
	PhoneNumber      num;
	std::string      e164;
	std::string      region;
	struct pa_phone  p;

	if (input == nullptr || !input_clean(input, &clean))
		return PA_PHONE_UNPARSEABLE;
	if (default_region != nullptr && !region_known(default_region, std::strlen(default_region)))
		default_region = nullptr;
	if (default_region != nullptr)
		(void) region_norm(default_region, 2, def);

	switch (u->Parse(clean, def, &num)) {
	case PhoneNumberUtil::NO_PARSING_ERROR:
		break;
	case PhoneNumberUtil::NOT_A_NUMBER:
	case PhoneNumberUtil::TOO_LONG_NSN:
		return PA_PHONE_UNPARSEABLE;
	case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
	case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
	case PhoneNumberUtil::TOO_SHORT_NSN:
	default:
		return PA_PHONE_INVALID;
	}
	/* An SMS cannot reach an extension; input_clean already refuses 'x' and ";ext=". */
	if (num.has_extension() || !u->IsValidNumber(num))
		return PA_PHONE_INVALID;

	u->Format(num, PhoneNumberUtil::E164, &e164);
	if (e164.size() < 2 || e164.size() >= sizeof p.e164)
		return PA_PHONE_INVALID;
	std::memcpy(p.e164, e164.c_str(), e164.size() + 1);
	u->GetRegionCodeForNumber(num, &region);
	/* Non-geographic numbers (+800, +882...) have region "001", which no allow-list holds. */
	if (!region_norm(region.c_str(), region.size(), p.region))
		p.region[0] = '\0';
	p.country_code = num.country_code();
	p.type         = type_from(u->GetNumberType(num));

	enum pa_phone_verdict v = verdict_for(p.type);
	if (v == PA_PHONE_OK && !region_allowed(p.region, default_region, allowed))
		v = PA_PHONE_COUNTRY_NOT_ALLOWED;
	if (out != nullptr)
		*out = p;
	return v;
}

} // namespace

extern "C" enum pa_phone_verdict
pa_phone_check(struct pa_phone *out, const char *input, const char *default_region,
    const char *allowed_regions)
{
	try {
		return check(out, input, default_region, allowed_regions);
	} catch (...) {
		/* Only allocation can fail in there; the header documents this as UNPARSEABLE. */
		return PA_PHONE_UNPARSEABLE;
	}
}

extern "C" const char *
pa_phone_verdict_text(enum pa_phone_verdict v)
{
	switch (v) {
#define PA_PHONE_VERDICT_TEXT(name, text) \
	case PA_PHONE_##name:             \
		return text;
		PA_PHONE_VERDICT_MAP(PA_PHONE_VERDICT_TEXT)
#undef PA_PHONE_VERDICT_TEXT
	}
	return "Please enter a valid mobile number.";
}

extern "C" bool
pa_phone_region_known(const char *region)
{
	try {
		return region != nullptr && region_known(region, std::strlen(region));
	} catch (...) {
		return false;
	}
}

extern "C" bool
pa_phone_regions_valid(const char *list)
{
	try {
		if (list == nullptr)
			return false;
		return each_token(
		    list, [](const char *tok, size_t n) { return region_known(tok, n); });
	} catch (...) {
		return false;
	}
}
