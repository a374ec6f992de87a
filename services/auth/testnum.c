/* testnum.c: the PHONEAUTH_TEST_NUMBERS table. It is a secret (its codes open accounts), so an
 * error names the item's position and never echoes what was typed. */
#include "testnum.h"

#include <string.h>

#include <sodium.h>

static bool
digits(const char *s, size_t n, size_t min, size_t max)
{
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static const char *
skip_space(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

static const char *
trim_end(const char *s, const char *end)
{
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return end;
}

pa_err
auth_test_numbers_parse(const char *spec, struct auth_test_numbers *out, char *err, size_t errsz)
{
	const char *s    = spec != NULL ? spec : "";
	size_t      item = 0;

	memset(out, 0, sizeof *out);
	while (*s != '\0') {
		const char              *comma = strchr(s, ',');
		const char              *end   = comma != NULL ? comma : s + strlen(s);
		const char              *a = skip_space(s, end), *b = trim_end(a, end);
		const char              *eq = memchr(a, '=', (size_t) (b - a));
		struct auth_test_number *t;

		item++;
		if (a == b) {
			s = comma != NULL ? comma + 1 : end;
			continue;
		}
		if (out->n == AUTH_TEST_NUMBERS_MAX) {
			pa_errf(err, errsz, "PHONEAUTH_TEST_NUMBERS has more than %d numbers",
			    AUTH_TEST_NUMBERS_MAX);
			return PA_EINVAL;
		}
		t = &out->v[out->n];
		if (eq == NULL || *a != '+' || !digits(a + 1, (size_t) (eq - a - 1), 8, 15)
		    || !digits(eq + 1, (size_t) (b - eq - 1), 4, AUTH_TEST_CODE_MAX)) {
			pa_errf(err, errsz,
			    "PHONEAUTH_TEST_NUMBERS item %zu must be +E164=CODE (8 to 15 digits, "
			    "a code of 4 to %d digits)",
			    item, AUTH_TEST_CODE_MAX);
			auth_test_numbers_clear(out);
			return PA_EINVAL;
		}
		memcpy(t->phone, a, (size_t) (eq - a));
		memcpy(t->code, eq + 1, (size_t) (b - eq - 1));
		if (auth_test_number_code(out, t->phone) != NULL) {
			pa_errf(
			    err, errsz, "PHONEAUTH_TEST_NUMBERS item %zu repeats a number", item);
			auth_test_numbers_clear(out);
			return PA_EINVAL;
		}
		out->n++;
		s = comma != NULL ? comma + 1 : end;
	}
	return PA_OK;
}

pa_err
auth_test_numbers_check(const struct auth_test_numbers *t, int min_digits, char *err, size_t errsz)
{
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->v[i].code) < (size_t) min_digits) {
			pa_errf(err, errsz,
			    "PHONEAUTH_TEST_NUMBERS item %zu: a code needs at least %d digits (the "
			    "profile's reset and login codes have as many)",
			    i + 1, min_digits);
			return PA_EINVAL;
		}
	return PA_OK;
}

const char *
auth_test_number_code(const struct auth_test_numbers *t, const char *e164)
{
	for (size_t i = 0; t != NULL && e164 != NULL && i < t->n; i++)
		if (strcmp(t->v[i].phone, e164) == 0)
			return t->v[i].code;
	return NULL;
}

void
auth_test_numbers_clear(struct auth_test_numbers *t)
{
	sodium_memzero(t, sizeof *t);
}
