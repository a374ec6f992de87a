/* smsenc.c: GSM 03.38 or UCS-2 for an SMS body, its length in units and its segments, counted the
 * way Twilio bills them. */
#include "common/smsenc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_INVALID UINT32_MAX

/* The next code point of s at *i, advancing *i past it; CP_INVALID (advancing one byte) for a
 * byte that does not start a valid UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at
 * most U+10FFFF). */
static uint32_t
next_cp(const unsigned char *s, size_t *i)
{
	unsigned char c = s[*i];
	uint32_t      cp, min;
	int           n;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1, cp = c & 0x1fu, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2, cp = c & 0x0fu, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3, cp = c & 0x07u, min = 0x10000;
	} else {
		(*i)++;
		return CP_INVALID;
	}
	for (int k = 1; k <= n; k++) {
		/* A NUL ends the string here too: it is not a continuation byte. */
		if ((s[*i + k] & 0xc0) != 0x80) {
			(*i)++;
			return CP_INVALID;
		}
		cp = (cp << 6) | (s[*i + k] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		(*i)++;
		return CP_INVALID;
	}
	*i += (size_t) n + 1;
	return cp;
}

/* Septets cp takes in GSM-7: 1 in the default alphabet, 2 in the extension table (escape + the
 * character), 0 when GSM-7 cannot carry it. */
static int
gsm_septets(uint32_t cp)
{
	/* The default alphabet's characters above ASCII, and the extension table's. */
	static const uint16_t basic[] = { 0x00a1, 0x00a3, 0x00a4, 0x00a5, 0x00a7, 0x00bf, 0x00c4,
		0x00c5, 0x00c6, 0x00c7, 0x00c9, 0x00d1, 0x00d6, 0x00d8, 0x00dc, 0x00df, 0x00e0,
		0x00e4, 0x00e5, 0x00e6, 0x00e8, 0x00e9, 0x00ec, 0x00f1, 0x00f2, 0x00f6, 0x00f8,
		0x00f9, 0x00fc, 0x0393, 0x0394, 0x0398, 0x039b, 0x039e, 0x03a0, 0x03a3, 0x03a6,
		0x03a8, 0x03a9 };
	static const uint16_t ext[]   = { 0x000c, '[', '\\', ']', '^', '{', '|', '}', '~', 0x20ac };

	for (size_t k = 0; k < sizeof ext / sizeof ext[0]; k++)
		if (cp == ext[k])
			return 2;
	/* Printable ASCII is all in the default alphabet except the extension characters above
	 * and the grave accent; of the controls only LF and CR are. */
	if (cp == '\n' || cp == '\r' || (cp >= 0x20 && cp < 0x7f && cp != '`'))
		return 1;
	for (size_t k = 0; k < sizeof basic / sizeof basic[0]; k++)
		if (cp == basic[k])
			return 1;
	return 0;
}

/* Whether GSM-7 can carry every character of s. */
static bool
all_gsm(const unsigned char *s)
{
	size_t i = 0;

	while (s[i] != '\0') {
		uint32_t cp = next_cp(s, &i);

		if (cp == CP_INVALID || gsm_septets(cp) == 0)
			return false;
	}
	return true;
}

void
pa_sms_measure(const char *utf8, struct pa_sms_size *out)
{
	const unsigned char *s      = (const unsigned char *) (utf8 != NULL ? utf8 : "");
	bool                 gsm    = all_gsm(s);
	int                  single = gsm ? PA_SMS_GSM7_SINGLE : PA_SMS_UCS2_SINGLE;
	int                  per    = gsm ? PA_SMS_GSM7_SEGMENT : PA_SMS_UCS2_SEGMENT;
	int                  units = 0, used = 0;
	int                  segments = 1;
	size_t               i        = 0;

	/* Packs the characters into segments of per units as they come; a character that does
	 * not fit whole in the current segment starts the next one. */
	while (s[i] != '\0') {
		uint32_t cp = next_cp(s, &i);
		int      w;

		if (gsm)
			w = gsm_septets(cp);
		else
			w = cp != CP_INVALID && cp > 0xffff ? 2 : 1;
		units += w;
		if (used + w > per) {
			segments++;
			used = 0;
		}
		used += w;
	}
	out->encoding = gsm ? "GSM-7" : "UCS-2";
	out->units    = units;
	out->segments = units <= single ? 1 : segments;
}
