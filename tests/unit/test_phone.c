/* test_phone.c: unit tests of the libphonenumber shim (common/phone.h): E.164 normalisation,
 * refusal of non-mobile, premium and disallowed-country numbers, and garbage input. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

/* cmocka needs these four first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "common/phone.h"

/* Fills p with a byte no real result has, so a test can tell whether pa_phone_check wrote it. */
static void
poison(struct pa_phone *p)
{
	memset(p, 0xA5, sizeof *p);
}

static bool
poisoned(const struct pa_phone *p)
{
	struct pa_phone want;

	poison(&want);
	return memcmp(p, &want, sizeof want) == 0;
}

/* Checks input, expecting verdict v and, when out gets written, the E.164 form e164 (NULL: out
 * must stay untouched). A macro, so a failure names the caller's line. */
#define expect(input, def, allowed, v, e164) \
	expect_at(input, def, allowed, v, e164, __FILE__, __LINE__)

static void
expect_at(const char *input, const char *def, const char *allowed, enum pa_phone_verdict v,
    const char *e164, const char *file, int line)
{
	struct pa_phone p;

	poison(&p);
	_assert_int_equal(pa_phone_check(&p, input, def, allowed), v, file, line);
	if (e164 == NULL) {
		_assert_true(poisoned(&p), "out untouched", file, line);
		return;
	}
	_assert_string_equal(p.e164, e164, file, line);
}

static void
test_us_national_and_international_agree(void **state)
{
	struct pa_phone nat, intl;

	(void) state;
	poison(&nat);
	poison(&intl);
	assert_int_equal(pa_phone_check(&nat, "(201) 555-0123", "US", "US"), PA_PHONE_OK);
	assert_int_equal(pa_phone_check(&intl, "+1 201-555-0123", "US", "US"), PA_PHONE_OK);
	assert_string_equal(nat.e164, "+12015550123");
	assert_string_equal(intl.e164, "+12015550123");
	assert_string_equal(nat.region, "US");
	assert_int_equal(nat.country_code, 1);
	assert_int_equal(nat.type, PA_PHONE_FIXED_LINE_OR_MOBILE);
	assert_memory_equal(&nat, &intl, sizeof nat);

	/* NULL and "" allow-lists mean the default region only. */
	expect("+1 201 555 0123", "US", NULL, PA_PHONE_OK, "+12015550123");
	expect("+1 201 555 0123", "US", "", PA_PHONE_OK, "+12015550123");
	/* An international number needs no usable default region. */
	expect("+1 201 555 0123", NULL, "US", PA_PHONE_OK, "+12015550123");
	expect("+1 201 555 0123", "XX", "US", PA_PHONE_OK, "+12015550123");
	/* Case and spaces in region codes are ignored. */
	expect("(201) 555-0123", "us", " ca , us ", PA_PHONE_OK, "+12015550123");
}

static void
test_whitespace_and_separators_tolerated(void **state)
{
	(void) state;
	expect("201-555-0123", "US", NULL, PA_PHONE_OK, "+12015550123");
	expect("  201 555 0123  ", "US", NULL, PA_PHONE_OK, "+12015550123");
	expect("201\t555\n0123", "US", NULL, PA_PHONE_OK, "+12015550123");
	expect("201.555.0123", "US", NULL, PA_PHONE_OK, "+12015550123");
	expect("+1 (201) 555-0123", "US", NULL, PA_PHONE_OK, "+12015550123");
	expect("1-201-555-0123", "US", NULL, PA_PHONE_OK, "+12015550123");
	expect(" +12015550123", "US", NULL, PA_PHONE_OK, "+12015550123");
}

static void
test_gb_mobile_and_allow_list(void **state)
{
	struct pa_phone p;

	(void) state;
	poison(&p);
	assert_int_equal(pa_phone_check(&p, "+44 7400 123456", "US", "US,GB"), PA_PHONE_OK);
	assert_string_equal(p.e164, "+447400123456");
	assert_string_equal(p.region, "GB");
	assert_int_equal(p.country_code, 44);
	assert_int_equal(p.type, PA_PHONE_MOBILE);

	/* Refused, but out is written so the caller can log the masked number. */
	poison(&p);
	assert_int_equal(
	    pa_phone_check(&p, "+44 7400 123456", "US", "US"), PA_PHONE_COUNTRY_NOT_ALLOWED);
	assert_string_equal(p.e164, "+447400123456");
	assert_string_equal(p.region, "GB");
	assert_int_equal(p.type, PA_PHONE_MOBILE);

	expect("+44 7400 123456", "US", NULL, PA_PHONE_COUNTRY_NOT_ALLOWED, "+447400123456");
	expect("+44 7400 123456", "US", "USA,GBR", PA_PHONE_COUNTRY_NOT_ALLOWED, "+447400123456");
	/* National format resolved with the default region. */
	expect("07400 123456", "GB", NULL, PA_PHONE_OK, "+447400123456");
	expect("07400 123456", "GB", "US", PA_PHONE_COUNTRY_NOT_ALLOWED, "+447400123456");
	/* Countries sharing +1 are told apart: this is a Canadian number. */
	expect("+1 506 234 5678", "US", "US,CA", PA_PHONE_OK, "+15062345678");
	expect("+1 506 234 5678", "US", "US", PA_PHONE_COUNTRY_NOT_ALLOWED, "+15062345678");
}

static void
test_not_mobile(void **state)
{
	struct pa_phone p;

	(void) state;
	poison(&p);
	assert_int_equal(
	    pa_phone_check(&p, "+44 121 234 5678", "US", "US,GB"), PA_PHONE_NOT_MOBILE);
	assert_string_equal(p.e164, "+441212345678");
	assert_string_equal(p.region, "GB");
	assert_int_equal(p.type, PA_PHONE_FIXED_LINE);

	expect("+44 20 7946 0958", "GB", NULL, PA_PHONE_NOT_MOBILE, "+442079460958");
	/* The type check comes before the country check. */
	expect("+44 20 7946 0958", "US", "US", PA_PHONE_NOT_MOBILE, "+442079460958");
	/* GB VoIP, pager and personal numbers. */
	expect("+44 56 1234 5678", "US", "GB", PA_PHONE_NOT_MOBILE, "+445612345678");
	expect("+44 7640 123456", "US", "GB", PA_PHONE_NOT_MOBILE, "+447640123456");
	expect("+44 70 1234 5678", "US", "GB", PA_PHONE_NOT_MOBILE, "+447012345678");
}

static void
test_premium(void **state)
{
	struct pa_phone p;

	(void) state;
	poison(&p);
	assert_int_equal(pa_phone_check(&p, "+1 800 234 5678", "US", "US"), PA_PHONE_PREMIUM);
	assert_string_equal(p.e164, "+18002345678");
	assert_int_equal(p.type, PA_PHONE_TOLL_FREE);

	poison(&p);
	assert_int_equal(pa_phone_check(&p, "1-900-234-5678", "US", "US"), PA_PHONE_PREMIUM);
	assert_string_equal(p.e164, "+19002345678");
	assert_int_equal(p.type, PA_PHONE_PREMIUM_RATE);

	expect("+44 909 876 5432", "US", "US,GB", PA_PHONE_PREMIUM, "+449098765432");
	expect("0800 123 4567", "GB", "GB", PA_PHONE_PREMIUM, "+448001234567");
	/* Non-geographic freephone: no region. */
	poison(&p);
	assert_int_equal(pa_phone_check(&p, "+800 1234 5678", "US", "US"), PA_PHONE_PREMIUM);
	assert_string_equal(p.e164, "+80012345678");
	assert_string_equal(p.region, "");
	assert_int_equal(p.country_code, 800);
}

static void
test_garbage_unparseable(void **state)
{
	char long_input[201];
	char cap[PA_PHONE_INPUT_MAX + 2];

	(void) state;
	expect("abc", "US", NULL, PA_PHONE_UNPARSEABLE, NULL);
	expect("", "US", NULL, PA_PHONE_UNPARSEABLE, NULL);
	expect("+", "US", NULL, PA_PHONE_UNPARSEABLE, NULL);
	expect("   ", "US", NULL, PA_PHONE_UNPARSEABLE, NULL);
	expect("---", "US", NULL, PA_PHONE_UNPARSEABLE, NULL);
	expect(NULL, "US", NULL, PA_PHONE_UNPARSEABLE, NULL);
	/* Passes the character filter, but libphonenumber finds no number, or one too long. */
	expect("5", "US", NULL, PA_PHONE_UNPARSEABLE, NULL);
	expect("+1", "US", NULL, PA_PHONE_UNPARSEABLE, NULL);
	expect("123456789012345678901234567890", "US", NULL, PA_PHONE_UNPARSEABLE, NULL);

	memset(long_input, '5', sizeof long_input - 1);
	long_input[sizeof long_input - 1] = '\0';
	expect(long_input, "US", NULL, PA_PHONE_UNPARSEABLE, NULL);

	/* The cap is on bytes: a valid number padded to exactly the cap passes, one more fails. */
	memset(cap, ' ', sizeof cap);
	memcpy(cap, "2015550123", 10);
	cap[PA_PHONE_INPUT_MAX] = '\0';
	expect(cap, "US", NULL, PA_PHONE_OK, "+12015550123");
	cap[PA_PHONE_INPUT_MAX]     = ' ';
	cap[PA_PHONE_INPUT_MAX + 1] = '\0';
	expect(cap, "US", NULL, PA_PHONE_UNPARSEABLE, NULL);

	/* libphonenumber would accept these; the shim keeps letters, extensions and URIs out. */
	expect("1-800-FLOWERS", "US", NULL, PA_PHONE_UNPARSEABLE, NULL);
	expect("2015550123x45", "US", NULL, PA_PHONE_UNPARSEABLE, NULL);
	expect("+12015550123;ext=5", "US", NULL, PA_PHONE_UNPARSEABLE, NULL);
	expect("tel:+1-201-555-0123", "US", NULL, PA_PHONE_UNPARSEABLE, NULL);
	expect("call 201-555-0123", "US", NULL, PA_PHONE_UNPARSEABLE, NULL);
	expect("201+555+0123", "US", NULL, PA_PHONE_UNPARSEABLE, NULL);
	expect("++12015550123", "US", NULL, PA_PHONE_UNPARSEABLE, NULL);
	/* Full-width digits (UTF-8) are not ASCII digits. */
	expect(
	    "\xef\xbc\x92\xef\xbc\x90\xef\xbc\x91\xef\xbc\x95\xef\xbc\x95\xef\xbc\x95\xef\xbc\x90"
	    "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93",
	    "US", NULL, PA_PHONE_UNPARSEABLE, NULL);
}

static void
test_invalid(void **state)
{
	(void) state;
	expect("+1 201 555 012", "US", NULL, PA_PHONE_INVALID, NULL); /* too short */
	expect("+1 123 555 0123", "US", NULL, PA_PHONE_INVALID, NULL); /* no area code 123 */
	expect("+44 7400 12345", "US", "GB", PA_PHONE_INVALID, NULL); /* a digit short */
	expect("+999 1234567", "US", NULL, PA_PHONE_INVALID, NULL); /* no country code 999 */
	expect("12", "US", NULL, PA_PHONE_INVALID, NULL);
	/* National input with no usable default region cannot be resolved. */
	expect("(201) 555-0123", NULL, "US", PA_PHONE_INVALID, NULL);
	expect("(201) 555-0123", "XX", "US", PA_PHONE_INVALID, NULL);
}

static void
test_out_may_be_null(void **state)
{
	(void) state;
	assert_int_equal(pa_phone_check(NULL, "+1 201 555 0123", "US", NULL), PA_PHONE_OK);
	assert_int_equal(pa_phone_check(NULL, "+1 800 234 5678", "US", NULL), PA_PHONE_PREMIUM);
}

static void
test_verdict_text(void **state)
{
	(void) state;
	assert_string_equal(
	    pa_phone_verdict_text(PA_PHONE_UNPARSEABLE), "Please enter a valid mobile number.");
	assert_string_equal(
	    pa_phone_verdict_text(PA_PHONE_INVALID), "Please enter a valid mobile number.");
	assert_string_equal(pa_phone_verdict_text(PA_PHONE_NOT_MOBILE),
	    "This number cannot receive SMS codes; please use a mobile number.");
	assert_string_equal(pa_phone_verdict_text(PA_PHONE_PREMIUM),
	    "Premium-rate, toll-free and shared-cost numbers are not accepted.");
	assert_string_equal(pa_phone_verdict_text(PA_PHONE_COUNTRY_NOT_ALLOWED),
	    "Mobile numbers from this country are not supported.");
	assert_non_null(pa_phone_verdict_text(PA_PHONE_OK));
	assert_non_null(pa_phone_verdict_text((enum pa_phone_verdict) 99));
}

static void
test_regions(void **state)
{
	(void) state;
	assert_true(pa_phone_region_known("US"));
	assert_true(pa_phone_region_known("GB"));
	assert_true(pa_phone_region_known("ca"));
	assert_false(pa_phone_region_known("ZZ"));
	assert_false(pa_phone_region_known("XX"));
	assert_false(pa_phone_region_known("001"));
	assert_false(pa_phone_region_known("USA"));
	assert_false(pa_phone_region_known("U"));
	assert_false(pa_phone_region_known(""));
	assert_false(pa_phone_region_known(NULL));

	assert_true(pa_phone_regions_valid("US"));
	assert_true(pa_phone_regions_valid("US,CA"));
	assert_true(pa_phone_regions_valid("us, gb ,CA"));
	assert_false(pa_phone_regions_valid(NULL));
	assert_false(pa_phone_regions_valid(""));
	assert_false(pa_phone_regions_valid("US,"));
	assert_false(pa_phone_regions_valid("US,,CA"));
	assert_false(pa_phone_regions_valid("US,XX"));
	assert_false(pa_phone_regions_valid("USA"));
}

#define THREADS 4
#define ROUNDS 200

static char thread_failed;

/* Returns &thread_failed when any result differs from the single-threaded one. */
static void *
check_many(void *arg)
{
	struct pa_phone p;

	(void) arg;
	for (int i = 0; i < ROUNDS; i++) {
		if (pa_phone_check(&p, "(201) 555-0123", "US", "US,GB") != PA_PHONE_OK
		    || strcmp(p.e164, "+12015550123") != 0)
			return &thread_failed;
		if (pa_phone_check(&p, "+44 909 876 5432", "US", "US,GB") != PA_PHONE_PREMIUM)
			return &thread_failed;
		if (pa_phone_check(&p, "abc", "US", NULL) != PA_PHONE_UNPARSEABLE)
			return &thread_failed;
	}
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t t[THREADS];

	(void) state;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, check_many, NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		void *bad = &bad;

		assert_int_equal(pthread_join(t[i], &bad), 0);
		assert_null(bad);
	}
}

/* The two styles a profile picks for replies (PHONEAUTH_PHONE_MASK). */
static void
test_mask_styles(void **state)
{
	char out[PA_PHONE_MASK_MAX];

	(void) state;
	assert_string_equal(
	    pa_phone_mask_styled("+12015550123", PA_PHONE_MASK_STARS, out), "+1******0123");
	assert_string_equal(
	    pa_phone_mask_styled("+12015551234", PA_PHONE_MASK_GROUPED, out), "+1 (***) ***-1234");
	assert_string_equal(
	    pa_phone_mask_styled("+447400123456", PA_PHONE_MASK_GROUPED, out), "+44 ******3456");
	assert_string_equal(
	    pa_phone_mask_styled("+353861234567", PA_PHONE_MASK_GROUPED, out), "+353 *****4567");
	assert_string_equal(
	    pa_phone_mask_styled("+79161234567", PA_PHONE_MASK_GROUPED, out), "+7 ******4567");
	/* +1 but not ten digits: no NANP grouping. */
	assert_string_equal(
	    pa_phone_mask_styled("+1201555012", PA_PHONE_MASK_GROUPED, out), "+1 *****5012");
	/* The longest E.164 number fits. */
	assert_string_equal(pa_phone_mask_styled("+999123456789012", PA_PHONE_MASK_GROUPED, out),
	    "+999 ********9012");
	/* What pa_phone_mask refuses stays opaque in every style. */
	assert_string_equal(pa_phone_mask_styled("+1555", PA_PHONE_MASK_GROUPED, out), "***");
	assert_string_equal(pa_phone_mask_styled(NULL, PA_PHONE_MASK_GROUPED, out), "***");
	assert_string_equal(pa_phone_mask_styled("2015551234", PA_PHONE_MASK_GROUPED, out), "***");
	assert_string_equal(pa_phone_mask_styled("+35567", PA_PHONE_MASK_GROUPED, out), "***");
	/* An unknown style is stars. */
	assert_string_equal(pa_phone_mask_styled("+12015551234", (enum pa_phone_mask_style) 9, out),
	    "+1******1234");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_threads), /* first, so the library starts up under contention */
		cmocka_unit_test(test_us_national_and_international_agree),
		cmocka_unit_test(test_whitespace_and_separators_tolerated),
		cmocka_unit_test(test_gb_mobile_and_allow_list),
		cmocka_unit_test(test_not_mobile),
		cmocka_unit_test(test_premium),
		cmocka_unit_test(test_garbage_unparseable),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_out_may_be_null),
		cmocka_unit_test(test_verdict_text),
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_mask_styles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
