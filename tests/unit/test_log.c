/* test_log.c: logfmt values, level parsing, and the phone mask every log line relies on. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/log.h"
#include "common/phone.h"

static void
test_mask(void **state)
{
	char out[PA_PHONE_MASK_MAX];

	assert_string_equal(pa_phone_mask("+15551231234", out), "+1******1234");
	assert_string_equal(pa_phone_mask("+447400123456", out), "+44******3456");
	assert_string_equal(pa_phone_mask("+353861234567", out), "+353*****4567");
	assert_string_equal(pa_phone_mask("+79161234567", out), "+7******4567");
	/* Anything that is not E.164 is hidden whole rather than partly shown. */
	assert_string_equal(pa_phone_mask("5551231234", out), "***");
	assert_string_equal(pa_phone_mask("+1555", out), "***");
	assert_string_equal(pa_phone_mask("+1555123123412345", out), "***");
	assert_string_equal(pa_phone_mask("+1555abc1234", out), "***");
	assert_string_equal(pa_phone_mask(NULL, out), "***");
	assert_string_equal(pa_phone_mask("", out), "***");
	/* Too short for a 3-digit calling code plus four digits (found by fuzz_phone). */
	assert_string_equal(pa_phone_mask("+35567", out), "***");
	assert_string_equal(pa_phone_mask("+99912", out), "***");
}

static void
test_mask_never_shows_middle(void **state)
{
	char out[PA_PHONE_MASK_MAX];

	/* Only the calling code and the last four digits may appear. */
	pa_phone_mask("+12025550173", out);
	assert_null(strstr(out, "202555"));
	assert_int_equal(strlen(out), strlen("+12025550173"));
}

static void
test_value(void **state)
{
	char out[64];

	assert_string_equal(pa_log_value(out, sizeof out, "plain"), "plain");
	assert_string_equal(pa_log_value(out, sizeof out, "two words"), "\"two words\"");
	assert_string_equal(pa_log_value(out, sizeof out, "a=b"), "\"a=b\"");
	assert_string_equal(pa_log_value(out, sizeof out, "q\"x"), "\"q\\\"x\"");
	assert_string_equal(pa_log_value(out, sizeof out, "nl\nx"), "\"nl\\x0ax\"");
	assert_string_equal(pa_log_value(out, sizeof out, ""), "\"\"");
	/* Truncated values stay quoted and terminated. */
	assert_string_equal(pa_log_value(out, 8, "a b c d e f g"), "\"a b c\"");
}

static void
test_levels(void **state)
{
	enum pa_log_level l;

	assert_int_equal(pa_log_level_parse("warn", &l), 0);
	assert_int_equal(l, PA_LOG_WARN);
	assert_int_equal(pa_log_level_parse("verbose", &l), -1);
	pa_log_set_level(PA_LOG_WARN);
	assert_false(pa_log_enabled(PA_LOG_INFO));
	assert_true(pa_log_enabled(PA_LOG_ERROR));
	pa_log_set_level(PA_LOG_OFF);
	assert_false(pa_log_enabled(PA_LOG_ERROR));
	pa_log_set_level(PA_LOG_INFO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_mask_never_shows_middle),
		cmocka_unit_test(test_value),
		cmocka_unit_test(test_levels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
