/* policy_password.c: policy.h's password rules in Unicode (utf8proc): NFC, characters counted
 * as code points, and each one's class (capital, digit, letter, space or special). */
#include "policy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <utf8proc.h>

/* NFC as utf8proc_NFC makes it, but into a buffer this module owns, so that no copy of the
 * password is left unwiped (utf8proc_map shrinks its buffer with realloc). */
#define PW_NFC_OPTIONS (UTF8PROC_STABLE | UTF8PROC_COMPOSE)

pa_err
pa_policy_password_nfc(const char *pw, size_t len, char **out, size_t *outlen)
{
	const utf8proc_uint8_t *in = (const utf8proc_uint8_t *) pw;
	utf8proc_int32_t       *buf;
	utf8proc_ssize_t        n, again, bytes;
	size_t                  cap;

	if (len > (size_t) PTRDIFF_MAX / 16) /* keeps (n + 1) * 4 bytes in range */
		return PA_EINVAL;
	/* First the number of code points of the decomposition, then the decomposition itself;
	 * utf8proc_reencode composes it in place and needs room for one more code point. */
	n = utf8proc_decompose(in, (utf8proc_ssize_t) len, NULL, 0, PW_NFC_OPTIONS);
	if (n < 0)
		return n == UTF8PROC_ERROR_NOMEM ? PA_ENOMEM : PA_EINVAL;
	cap = ((size_t) n + 1) * sizeof *buf;
	if ((buf = malloc(cap)) == NULL)
		return PA_ENOMEM;
	again = utf8proc_decompose(in, (utf8proc_ssize_t) len, buf, n, PW_NFC_OPTIONS);
	bytes = again == n ? utf8proc_reencode(buf, n, PW_NFC_OPTIONS) : -1;
	if (bytes < 0) {
		sodium_memzero(buf, cap);
		free(buf);
		return PA_EINVAL;
	}
	/* The code points past the UTF-8 are the password too. */
	sodium_memzero((char *) buf + bytes + 1, cap - (size_t) bytes - 1);
	*out    = (char *) buf;
	*outlen = (size_t) bytes;
	return PA_OK;
}

void
pa_policy_password_nfc_free(char *nfc, size_t len)
{
	if (nfc == NULL)
		return;
	sodium_memzero(nfc, len + 1);
	free(nfc);
}

size_t
pa_policy_password_chars(const char *s, size_t len)
{
	size_t chars = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char) s[i] & 0xC0) != 0x80) /* not a continuation byte */
			chars++;
	return chars;
}

enum pa_pw_verdict
pa_policy_check_password(const struct pa_policy *p, const char *pw, size_t len)
{
	char  *nfc;
	size_t nfclen, chars = 0;
	bool   upper = false, digit = false, special = false;

	if (len / PA_PW_MAX_BYTES_PER_CHAR > (size_t) p->password_max_len)
		return PA_PW_TOO_LONG;
	switch (pa_policy_password_nfc(pw, len, &nfc, &nfclen)) {
	case PA_OK:
		break;
	case PA_ENOMEM:
		return PA_PW_NOMEM;
	default:
		return PA_PW_INVALID;
	}
	for (size_t i = 0; i < nfclen; chars++) {
		utf8proc_int32_t c;
		utf8proc_ssize_t n = utf8proc_iterate(
		    (const utf8proc_uint8_t *) nfc + i, (utf8proc_ssize_t) (nfclen - i), &c);

		if (n <= 0) /* cannot happen: utf8proc encoded it */
			break;
		i += (size_t) n;
		switch (utf8proc_category(c)) {
		case UTF8PROC_CATEGORY_LU:
		case UTF8PROC_CATEGORY_LT:
			upper = true;
			break;
		case UTF8PROC_CATEGORY_LL:
		case UTF8PROC_CATEGORY_LM:
		case UTF8PROC_CATEGORY_LO:
		case UTF8PROC_CATEGORY_MN: /* a mark belongs to the letter before it */
		case UTF8PROC_CATEGORY_MC:
		case UTF8PROC_CATEGORY_ME:
			break;
		case UTF8PROC_CATEGORY_ND:
			digit = true;
			break;
		case UTF8PROC_CATEGORY_ZS: /* " ", U+00A0, U+3000 ... */
			special = special || p->password_space_special;
			break;
		default:
			special = true;
			break;
		}
	}
	pa_policy_password_nfc_free(nfc, nfclen);
	if (chars > (size_t) p->password_max_len)
		return PA_PW_TOO_LONG;
	if (chars < (size_t) p->password_min_len)
		return PA_PW_TOO_SHORT;
	if (p->password_need_upper && !upper)
		return PA_PW_NEED_UPPER;
	if (p->password_need_digit && !digit)
		return PA_PW_NEED_DIGIT;
	if (p->password_need_special && !special)
		return PA_PW_NEED_SPECIAL;
	return PA_PW_OK;
}
