/* testnum.h: test numbers (PHONEAUTH_TEST_NUMBERS): phones whose code is fixed and to which
 * nothing is ever sent, for app-store reviews and a site's own end-to-end tests. The engine
 * (code.c) asks here whether a phone is one; the table is read once at start-up. */
#ifndef PHONEAUTH_AUTH_TESTNUM_H
#define PHONEAUTH_AUTH_TESTNUM_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define AUTH_TEST_NUMBERS_MAX 64
#define AUTH_TEST_CODE_MAX 10

struct auth_test_number {
	char phone[17]; /* E.164 */
	char code[AUTH_TEST_CODE_MAX + 1];
};

struct auth_test_numbers {
	size_t                  n;
	struct auth_test_number v[AUTH_TEST_NUMBERS_MAX];
};

/* Parses "+15005550006=123456,+447700900123=000000" (spaces around items allowed; "" or NULL:
 * none) into out: each phone "+" and 8 to 15 digits, each code 4 to 10 digits, no phone twice.
 * PA_EINVAL with a line in err that names the bad item's position, never its code. */
pa_err auth_test_numbers_parse(
    const char *spec, struct auth_test_numbers *out, char *err, size_t errsz) PA_MUSTCHECK;

/* PA_EINVAL, with a line in err, unless every fixed code has at least min_digits (the profile's
 * longest code: a code's first digits are used for shorter ones). */
pa_err auth_test_numbers_check(
    const struct auth_test_numbers *t, int min_digits, char *err, size_t errsz) PA_MUSTCHECK;

/* The fixed code of e164, or NULL when it is not a test number. */
const char *auth_test_number_code(const struct auth_test_numbers *t, const char *e164);

/* Wipes the codes. */
void auth_test_numbers_clear(struct auth_test_numbers *t);

#endif
