/* test_smsenc.c: GSM-7 or UCS-2, units and segments at every boundary (160/161 septets, 70/71
 * units, 153 and 67 per segment), extension characters, emoji, escape and surrogate pairs at a
 * segment's edge, invalid UTF-8, and the built-in texts' encodings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/smsenc.h"

/* Room for any body these tests build. */
#define BODY_MAX 2048

/* n copies of the UTF-8 text unit, then tail (may be ""), in one of two static buffers used in
 * turn (so that two calls can build one body). */
static const char *
rep(const char *unit, int n, const char *tail)
{
	static char bufs[2][BODY_MAX];
	static int  turn;
	char       *buf = bufs[turn++ % 2];
	size_t      len = 0, k = strlen(unit);

	for (int i = 0; i < n; i++) {
		assert_true(len + k < BODY_MAX);
		memcpy(buf + len, unit, k);
		len += k;
	}
	assert_true(len + strlen(tail) < BODY_MAX);
	memcpy(buf + len, tail, strlen(tail) + 1);
	return buf;
}

static void
check(const char *body, const char *encoding, int units, int segments)
{
	struct pa_sms_size z = { NULL, -1, -1 };

	pa_sms_measure(body, &z);
	if (strcmp(z.encoding, encoding) != 0 || z.units != units || z.segments != segments)
		fail_msg("\"%.40s...\" (%zu bytes): got %s %d units %d segments, want %s %d %d",
		    body, strlen(body), z.encoding, z.units, z.segments, encoding, units, segments);
}

static void
test_gsm_boundaries(void **state)
{
	check("", "GSM-7", 0, 1);
	check("a", "GSM-7", 1, 1);
	check(rep("a", 160, ""), "GSM-7", 160, 1);
	check(rep("a", 161, ""), "GSM-7", 161, 2);
	check(rep("a", 306, ""), "GSM-7", 306, 2);
	check(rep("a", 307, ""), "GSM-7", 307, 3);
	check(rep("a", 459, ""), "GSM-7", 459, 3);
	check(rep("a", 460, ""), "GSM-7", 460, 4);
}

static void
test_gsm_alphabet(void **state)
{
	/* Every printable ASCII character but the grave accent and the extension ones, and the
	 * default alphabet's characters beyond ASCII: one septet each. */
	check(" !\"#$%&'()*+,-./"
	      "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz",
	    "GSM-7", 86, 1);
	check("£¥èéùìòÇØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà", "GSM-7", 39, 1);
	check("line\nnext\r", "GSM-7", 10, 1);
	/* The extension table: two septets each (escape, character). */
	check("^{}\\[~]|€", "GSM-7", 18, 1);
	check("\f", "GSM-7", 2, 1);
	check(rep("a", 158, "€"), "GSM-7", 160, 1);
	check(rep("a", 159, "€"), "GSM-7", 161, 2);
	check(rep("€", 80, ""), "GSM-7", 160, 1);
	check(rep("€", 81, ""), "GSM-7", 162, 2);
	/* An escape pair never straddles two segments: 152 + 2 does not fit in 153, so the euro
	 * opens the second segment, which then holds 153, and the last 'a' takes a third
	 * (306 septets would otherwise be 2 segments). */
	check(rep("a", 152, "€" /* then */), "GSM-7", 154, 1);
	{
		char body[BODY_MAX];

		(void) snprintf(body, sizeof body, "%s%s", rep("a", 152, "€"), rep("a", 152, ""));
		check(body, "GSM-7", 306, 3);
		(void) snprintf(body, sizeof body, "%s%s", rep("a", 151, "€"), rep("a", 153, ""));
		check(body, "GSM-7", 306, 2);
	}
	/* Bodies like the built-in ones: English and Indonesian are GSM-7, Spanish ("ó") UCS-2,
	 * which at exactly 70 units is still one segment. */
	check("Fancy Feathers: Your verification code is 1234.\nIt will expire in 5 minutes.",
	    "GSM-7", 76, 1);
	check("Tu código de verificación de LawnFlow es 123456. Caduca en 10 minutos.", "UCS-2", 70,
	    1);
	check("Kode verifikasi LawnFlow Anda adalah 123456. Berlaku selama 10 menit.", "GSM-7", 69,
	    1);
}

static void
test_ucs2(void **state)
{
	/* One character outside GSM makes the whole body UCS-2: 'ó', 'ç' (lowercase c cedilla:
	 * only the capital is GSM), the grave accent, 'á', Cyrillic, CJK. */
	check("código", "UCS-2", 6, 1);
	check("ç", "UCS-2", 1, 1);
	check("`", "UCS-2", 1, 1);
	check("á", "UCS-2", 1, 1);
	check("Ж", "UCS-2", 1, 1);
	check("验证码", "UCS-2", 3, 1);
	/* Extension characters count one unit in UCS-2. */
	check("€ó", "UCS-2", 2, 1);
	check(rep("a", 69, "ó"), "UCS-2", 70, 1);
	check(rep("a", 70, "ó"), "UCS-2", 71, 2);
	check(rep("ó", 70, ""), "UCS-2", 70, 1);
	check(rep("ó", 71, ""), "UCS-2", 71, 2);
	check(rep("ó", 134, ""), "UCS-2", 134, 2);
	check(rep("ó", 135, ""), "UCS-2", 135, 3);
	check(rep("ó", 201, ""), "UCS-2", 201, 3);
	check(rep("ó", 202, ""), "UCS-2", 202, 4);
}

static void
test_emoji(void **state)
{
	/* Outside the BMP: a surrogate pair, two units. */
	check("😀", "UCS-2", 2, 1);
	check(rep("a", 68, "😀"), "UCS-2", 70, 1);
	check(rep("a", 69, "😀"), "UCS-2", 71, 2);
	check(rep("😀", 35, ""), "UCS-2", 70, 1);
	check(rep("😀", 36, ""), "UCS-2", 72, 2);
	/* A pair never straddles two segments: 66 + 2 > 67 moves the emoji to the second. */
	{
		char body[BODY_MAX];

		(void) snprintf(body, sizeof body, "%s%s", rep("a", 66, "😀"), rep("a", 66, ""));
		check(body, "UCS-2", 134, 3);
		(void) snprintf(body, sizeof body, "%s%s", rep("a", 65, "😀"), rep("a", 67, ""));
		check(body, "UCS-2", 134, 2);
	}
	/* A BMP symbol that is not GSM (U+2713): one unit. */
	check("✓", "UCS-2", 1, 1);
}

static void
test_invalid_utf8(void **state)
{
	/* Each byte that does not start a valid sequence is one unit (its U+FFFD). */
	check("\x80", "UCS-2", 1, 1);
	check("ab\xff", "UCS-2", 3, 1);
	check("\xc0\xaf", "UCS-2", 2, 1); /* overlong '/' */
	check("\xed\xa0\x80", "UCS-2", 3, 1); /* a surrogate */
	check("\xf4\x90\x80\x80", "UCS-2", 4, 1); /* beyond U+10FFFF */
	check("\xe2\x82", "UCS-2", 2, 1); /* a truncated euro sign */
	check("a\xe2\x82"
	      "b",
	    "UCS-2", 4, 1);
	check(rep("a", 70, "\xfe"), "UCS-2", 71, 2);
	check(NULL, "GSM-7", 0, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gsm_boundaries),
		cmocka_unit_test(test_gsm_alphabet),
		cmocka_unit_test(test_ucs2),
		cmocka_unit_test(test_emoji),
		cmocka_unit_test(test_invalid_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
