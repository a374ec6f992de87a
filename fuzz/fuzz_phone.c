/* fuzz_phone.c: the libphonenumber shim and the phone mask. Input: the number as typed, then
 * optionally a newline and a default region, then optionally a newline and an allow-list.
 * pa_phone_check runs with the deployment default ("US", no allow-list) and with the fuzzed
 * region and list; pa_phone_region_known and pa_phone_regions_valid run on those; pa_phone_mask
 * runs on the raw input and on every E.164 a check returns. Properties: a number written out is
 * '+' and digits and masks to its own length, keeping its last four digits; an accepted number
 * is accepted again in its E.164 form; a known region is a valid one-item list. */
#include <ctype.h>

#include "common/log.h"
#include "common/phone.h"
#include "fuzz.h"

static bool
all_digits(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char) *s))
			return false;
	return true;
}

static void
check_mask(const char *s)
{
	char        out[PA_PHONE_MASK_MAX];
	const char *m = pa_phone_mask(s, out);

	FUZZ_CHECK(m == out);
	FUZZ_CHECK(strlen(m) < sizeof out);
	FUZZ_CHECK(strcmp(m, "***") == 0 || (m[0] == '+' && strlen(m) == strlen(s)));
}

static void
check_number(const char *input, const char *region, const char *allowed)
{
	struct pa_phone       p;
	enum pa_phone_verdict v = pa_phone_check(&p, input, region, allowed);
	char                  out[PA_PHONE_MASK_MAX];
	size_t                len;

	FUZZ_CHECK(v >= PA_PHONE_OK && v <= PA_PHONE_COUNTRY_NOT_ALLOWED);
	FUZZ_CHECK(pa_phone_verdict_text(v) != NULL);
	if (v == PA_PHONE_UNPARSEABLE || v == PA_PHONE_INVALID)
		return;
	len = strlen(p.e164);
	FUZZ_CHECK(p.e164[0] == '+' && len >= 2 && len < sizeof p.e164 && all_digits(p.e164 + 1));
	FUZZ_CHECK(strlen(p.region) < sizeof p.region);
	FUZZ_CHECK(p.country_code > 0);
	check_mask(p.e164);
	if (strcmp(pa_phone_mask(p.e164, out), "***") != 0)
		FUZZ_CHECK(strcmp(out + strlen(out) - 4, p.e164 + len - 4) == 0);
	/* What is stored must pass the same check when it comes back (logins, resends). */
	if (v == PA_PHONE_OK)
		FUZZ_CHECK(pa_phone_check(NULL, p.e164, region, allowed) == PA_PHONE_OK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *region = NULL, *allowed = NULL, *nl;

	if (size > 4096 || (s = fuzz_strdup(data, size)) == NULL)
		return 0;
	if ((nl = strchr(s, '\n')) != NULL) {
		*nl    = '\0';
		region = nl + 1;
		if ((nl = strchr(region, '\n')) != NULL) {
			*nl     = '\0';
			allowed = nl + 1;
		}
	}
	check_mask(s);
	check_number(s, "US", "");
	if (region != NULL) {
		check_number(s, region, allowed);
		if (pa_phone_region_known(region))
			FUZZ_CHECK(pa_phone_regions_valid(region));
		(void) pa_phone_regions_valid(allowed);
	}
	free(s);
	return 0;
}
