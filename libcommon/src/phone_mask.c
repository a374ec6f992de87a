/* phone_mask.c: the masked form of an E.164 number that logs, audit rows and replies show. Plain C
 * (no libphonenumber) so that every process and the fuzzers can mask without loading it. */
#include <string.h>

#include "common/phone.h"

/* Length of the ITU calling code that starts digits (E.164 assigns 1, 2 or 3 digits). */
static size_t
calling_code_len(const char *d)
{
	static const char *const two[] = { "20", "27", "30", "31", "32", "33", "34", "36", "39",
		"40", "41", "43", "44", "45", "46", "47", "48", "49", "51", "52", "53", "54", "55",
		"56", "57", "58", "60", "61", "62", "63", "64", "65", "66", "81", "82", "84", "86",
		"90", "91", "92", "93", "94", "95", "98" };

	if (d[0] == '1' || d[0] == '7')
		return 1;
	for (size_t i = 0; i < sizeof two / sizeof two[0]; i++)
		if (strncmp(d, two[i], 2) == 0)
			return 2;
	return 3;
}

const char *
pa_phone_mask(const char *e164, char out[PA_PHONE_MASK_MAX])
{
	size_t len, cc;

	if (e164 == NULL || e164[0] != '+')
		goto out_opaque;
	len = strlen(e164 + 1);
	if (len < 5 || len > 15 || strspn(e164 + 1, "0123456789") != len)
		goto out_opaque;
	cc = calling_code_len(e164 + 1);
	/* "+35567": the calling code and the last four digits would overlap. */
	if (len < cc + 4)
		goto out_opaque;
	out[0] = '+';
	memcpy(out + 1, e164 + 1, cc);
	memset(out + 1 + cc, '*', len - cc - 4);
	memcpy(out + 1 + len - 4, e164 + 1 + len - 4, 4);
	out[len + 1] = '\0';
	return out;
out_opaque:
	memcpy(out, "***", 4);
	return out;
}

const char *
pa_phone_mask_styled(const char *e164, enum pa_phone_mask_style style, char out[PA_PHONE_MASK_MAX])
{
	size_t len, cc;

	if (pa_phone_mask(e164, out)[0] != '+' || style != PA_PHONE_MASK_GROUPED)
		return out;
	/* pa_phone_mask accepted it: '+', 5..15 digits, room for the calling code and four. */
	len = strlen(e164 + 1);
	cc  = calling_code_len(e164 + 1);
	if (cc == 1 && e164[1] == '1' && len == 11) {
		memcpy(out, "+1 (***) ***-", 13);
		memcpy(out + 13, e164 + 8, 5); /* the last four and the NUL */
		return out;
	}
	/* "+44******3456" -> "+44 ******3456": one more byte, at most 17 of PA_PHONE_MASK_MAX. */
	memmove(out + 2 + cc, out + 1 + cc, len - cc + 1);
	out[1 + cc] = ' ';
	return out;
}
