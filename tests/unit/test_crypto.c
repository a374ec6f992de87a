/* test_crypto.c: key rings, code generation and MACs, rotation, the outbox AEAD, tokens and
 * Argon2id passwords (at libsodium's minimal limits so the suite stays fast). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/crypto.h"

#define assert_ok(expr) assert_int_equal((expr), PA_OK)
#define assert_err(expr, err) assert_int_equal((expr), (err))

#define OPS crypto_pwhash_OPSLIMIT_MIN
#define MEM crypto_pwhash_MEMLIMIT_MIN

/* bytes 0x00..0x1f and 0x20..0x3f, in both encodings */
#define KEY_A_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_A_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_B_HEX "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
#define KEY_B_B64 "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="

static void
parse(struct pa_keyring *kr, const char *spec)
{
	assert_ok(pa_keyring_parse(kr, spec));
}

static void
hex32(char out[65], const unsigned char in[32])
{
	assert_ok(pa_hex_encode(out, 65, in, 32));
}

/* ---- key rings ------------------------------------------------------------------------------- */

static void
test_keyring_hex_and_base64(void **state)
{
	struct pa_keyring a, b, ab;

	parse(&a, KEY_A_HEX);
	assert_int_equal(a.n, 1);
	for (int i = 0; i < 32; i++)
		assert_int_equal(a.key[0][i], i);
	parse(&b, KEY_A_B64);
	assert_int_equal(b.n, 1);
	assert_memory_equal(a.key[0], b.key[0], 32);

	parse(&ab, " " KEY_B_B64 " ,\t" KEY_A_HEX);
	assert_int_equal(ab.n, 2);
	assert_int_equal(ab.key[0][0], 0x20);
	assert_memory_equal(ab.key[1], a.key[0], 32);

	/* Uppercase hex is hex too. */
	parse(&b, "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
	assert_memory_equal(a.key[0], b.key[0], 32);

	pa_keyring_wipe(&ab);
	assert_int_equal(ab.n, 0);
	for (int i = 0; i < 32; i++)
		assert_int_equal(ab.key[1][i], 0);
	pa_keyring_wipe(NULL);
}

static void
test_keyring_bad(void **state)
{
	static const char *const bad[] = {
		"", " ", ",", KEY_A_HEX ",", "," KEY_A_HEX, KEY_A_HEX ",," KEY_B_HEX, "00",
		KEY_A_HEX "00", /* 66 hex digits */
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1", /* 63 */
		"g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", /* bad char */
		"00010203040506070809 a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", /* inner space
		                                                                     */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", /* 43: no padding */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==", /* 45 */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-=", /* url alphabet */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh!=", /* bad char */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHhAAAA", /* 46 chars */
	};
	struct pa_keyring kr = { .n = 99 };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (pa_keyring_parse(&kr, bad[i]) != PA_EINVAL)
			fail_msg("spec %zu (\"%s\") not rejected with EINVAL", i, bad[i]);
		assert_int_equal(kr.n, 99); /* untouched on failure */
	}
}

static void
test_keyring_too_many(void **state)
{
	char              spec[16 * 66];
	struct pa_keyring kr = { .n = 99 };

	spec[0] = '\0';
	for (int i = 0; i < PA_KEYRING_MAX; i++) {
		if (i > 0)
			strcat(spec, ",");
		strcat(spec, i % 2 ? KEY_A_HEX : KEY_B_B64);
	}
	parse(&kr, spec);
	assert_int_equal(kr.n, PA_KEYRING_MAX);
	assert_int_equal(kr.key[PA_KEYRING_MAX - 1][0], 0x00);

	kr.n = 99;
	strcat(spec, "," KEY_A_HEX);
	assert_err(pa_keyring_parse(&kr, spec), PA_ETOOBIG);
	assert_int_equal(kr.n, 99);
}

/* ---- one-time codes -------------------------------------------------------------------------- */

static void
test_otp_lengths(void **state)
{
	char code[16];

	for (unsigned d = PA_OTP_MIN_DIGITS; d <= PA_OTP_MAX_DIGITS; d++) {
		assert_ok(pa_otp_generate(code, sizeof code, d));
		assert_int_equal(strlen(code), d);
		assert_int_equal(strspn(code, "0123456789"), d);
	}
	strcpy(code, "untouched");
	assert_err(pa_otp_generate(code, sizeof code, 3), PA_EINVAL);
	assert_err(pa_otp_generate(code, sizeof code, 11), PA_EINVAL);
	assert_err(pa_otp_generate(code, 4, 4), PA_ETOOBIG);
	assert_string_equal(code, "untouched");
	assert_ok(pa_otp_generate(code, 5, 4));
}

static void
test_otp_digits_uniformish(void **state)
{
	enum { CODES = 4000, DIGITS = 4 };
	unsigned counts[10]   = { 0 };
	unsigned leading_zero = 0;
	char     code[DIGITS + 1];

	for (int i = 0; i < CODES; i++) {
		assert_ok(pa_otp_generate(code, sizeof code, DIGITS));
		for (int j = 0; j < DIGITS; j++)
			counts[code[j] - '0']++;
		leading_zero += code[0] == '0';
	}
	/* 16000 digits: 1600 expected per value, sd 38; 1400..1800 is more than 5 sd either way. */
	for (int d = 0; d < 10; d++)
		if (counts[d] < 1400 || counts[d] > 1800)
			fail_msg("digit %d appeared %u times of %d", d, counts[d], CODES * DIGITS);
	/* ~400 expected; leading zeros must be possible (a code is a string, not a number). */
	assert_true(leading_zero > 250 && leading_zero < 550);
}

static void
test_otp_mac_check(void **state)
{
	struct pa_keyring kr, other;
	unsigned char     mac[32], mac2[32];
	char              hex[65];

	parse(&kr, KEY_A_HEX);
	parse(&other, KEY_B_HEX);

	/* Pinned against Python's hashlib.blake2b(key=KEY_A, digest_size=32) over
	 * le64(3) "otp" le64(5) "ver-1" le64(4) "1234": stored MACs must survive upgrades. */
	pa_otp_mac(mac, &kr, "ver-1", "1234");
	hex32(hex, mac);
	assert_string_equal(
	    hex, "38e6901ea67664f4c5a4d6d26c7a9e21b7f2d94cfc53f56da47128f0f9b41ddf");

	assert_true(pa_otp_check(&kr, "ver-1", "1234", mac));
	assert_false(pa_otp_check(&kr, "ver-1", "1235", mac));
	assert_false(pa_otp_check(&kr, "ver-2", "1234", mac));
	assert_false(pa_otp_check(&kr, "ver-1", "", mac));
	assert_false(pa_otp_check(&other, "ver-1", "1234", mac));

	/* Length prefixes: "ab"+"c" and "a"+"bc" differ. */
	pa_otp_mac(mac, &kr, "ab", "c");
	pa_otp_mac(mac2, &kr, "a", "bc");
	assert_memory_not_equal(mac, mac2, 32);

	/* An empty keyring matches nothing. */
	other.n = 0;
	pa_otp_mac(mac, &kr, "ver-1", "1234");
	assert_false(pa_otp_check(&other, "ver-1", "1234", mac));
}

static void
test_rotation(void **state)
{
	struct pa_keyring old, rotated, dropped;
	unsigned char     mac[32], mac_new[32];
	unsigned char    *sealed;
	size_t            sealedlen, ptlen;
	char             *pt;
	static const char body[] = "Fancy Feathers: Your verification code is 2714.";

	parse(&old, KEY_A_HEX);
	parse(&rotated, KEY_B_HEX "," KEY_A_HEX);
	parse(&dropped, KEY_B_HEX);

	pa_otp_mac(mac, &old, "ver-9", "0042");
	assert_true(pa_otp_check(&rotated, "ver-9", "0042", mac));
	assert_false(pa_otp_check(&dropped, "ver-9", "0042", mac));
	/* New MACs use the new first key. */
	pa_otp_mac(mac_new, &rotated, "ver-9", "0042");
	assert_memory_not_equal(mac, mac_new, 32);
	assert_true(pa_otp_check(&dropped, "ver-9", "0042", mac_new));
	assert_false(pa_otp_check(&old, "ver-9", "0042", mac_new));

	assert_ok(pa_seal(&sealed, &sealedlen, &old, "ver-9", 5, body, strlen(body)));
	assert_ok(pa_open(&pt, &ptlen, &rotated, "ver-9", 5, sealed, sealedlen));
	assert_int_equal(ptlen, strlen(body));
	assert_string_equal(pt, body);
	sodium_memzero(pt, ptlen);
	free(pt);
	assert_err(pa_open(&pt, &ptlen, &dropped, "ver-9", 5, sealed, sealedlen), PA_ECRYPTO);
	free(sealed);
}

/* ---- outbox AEAD ----------------------------------------------------------------------------- */

static void
test_seal_open(void **state)
{
	struct pa_keyring kr;
	unsigned char    *s1, *s2;
	size_t            l1, l2, ptlen;
	char             *pt;

	parse(&kr, KEY_A_HEX);
	assert_ok(pa_seal(&s1, &l1, &kr, "v1", 2, "hello", 5));
	assert_int_equal(l1, 5 + PA_SEAL_OVERHEAD);
	assert_int_equal(PA_SEAL_OVERHEAD, 40);
	/* Fresh nonce each time. */
	assert_ok(pa_seal(&s2, &l2, &kr, "v1", 2, "hello", 5));
	assert_memory_not_equal(s1, s2, l1);
	free(s2);

	assert_ok(pa_open(&pt, &ptlen, &kr, "v1", 2, s1, l1));
	assert_int_equal(ptlen, 5);
	assert_string_equal(pt, "hello");
	free(pt);

	/* Empty plaintext and empty ad. */
	assert_ok(pa_seal(&s2, &l2, &kr, NULL, 0, "", 0));
	assert_int_equal(l2, PA_SEAL_OVERHEAD);
	assert_ok(pa_open(&pt, &ptlen, &kr, NULL, 0, s2, l2));
	assert_int_equal(ptlen, 0);
	assert_string_equal(pt, "");
	free(pt);
	free(s2);

	/* An empty keyring cannot seal. */
	kr.n = 0;
	assert_err(pa_seal(&s2, &l2, &kr, "v1", 2, "x", 1), PA_EINVAL);
	free(s1);
}

static void
test_seal_tamper(void **state)
{
	struct pa_keyring kr;
	unsigned char    *s;
	size_t            l, ptlen = 123;
	char             *pt     = NULL;
	static const char body[] = "Your LawnFlow verification code is 123456.";

	parse(&kr, KEY_B_B64);
	assert_ok(pa_seal(&s, &l, &kr, "ver-1", 5, body, strlen(body)));

	/* Flip one bit in every byte position in turn: nonce, ciphertext and tag. */
	for (size_t i = 0; i < l; i++) {
		s[i] ^= 0x01;
		if (pa_open(&pt, &ptlen, &kr, "ver-1", 5, s, l) != PA_ECRYPTO)
			fail_msg("flipping byte %zu went unnoticed", i);
		s[i] ^= 0x01;
	}
	assert_null(pt);
	assert_int_equal(ptlen, 123);

	assert_err(pa_open(&pt, &ptlen, &kr, "ver-2", 5, s, l), PA_ECRYPTO);
	assert_err(pa_open(&pt, &ptlen, &kr, "ver-1", 4, s, l), PA_ECRYPTO);
	assert_err(pa_open(&pt, &ptlen, &kr, NULL, 0, s, l), PA_ECRYPTO);
	assert_err(pa_open(&pt, &ptlen, &kr, "ver-1", 5, s, l - 1), PA_ECRYPTO);
	assert_err(pa_open(&pt, &ptlen, &kr, "ver-1", 5, s, PA_SEAL_OVERHEAD - 1), PA_ECRYPTO);
	assert_err(pa_open(&pt, &ptlen, &kr, "ver-1", 5, s, 0), PA_ECRYPTO);
	assert_null(pt);

	assert_ok(pa_open(&pt, &ptlen, &kr, "ver-1", 5, s, l));
	assert_string_equal(pt, body);
	free(pt);
	free(s);
}

/* ---- tokens ---------------------------------------------------------------------------------- */

static void
test_token_format(void **state)
{
	char t1[PA_TOKEN_LEN + 1], t2[PA_TOKEN_LEN + 1];

	assert_ok(pa_token_new(t1));
	assert_ok(pa_token_new(t2));
	assert_int_equal(strlen(t1), 43);
	assert_int_equal(
	    strspn(t1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	assert_string_not_equal(t1, t2);
}

static void
test_token_hash(void **state)
{
	struct pa_keyring a, b, ba;
	unsigned char     h1[32], h2[32];
	char              hex[65];

	parse(&a, KEY_A_HEX);
	parse(&b, KEY_B_HEX);
	parse(&ba, KEY_B_HEX "," KEY_A_HEX);

	/* Pinned against Python: blake2b(key=KEY_A) over le64(5) "token" le64(3) "abc". */
	pa_token_hash(h1, &a, "abc");
	hex32(hex, h1);
	assert_string_equal(
	    hex, "82fbd0166f48d16ab84b108dc6e5e9b7e2872d3c645bac54960877feb91645ed");

	pa_token_hash(h2, &a, "abc");
	assert_memory_equal(h1, h2, 32);
	pa_token_hash(h2, &a, "abd");
	assert_memory_not_equal(h1, h2, 32);
	pa_token_hash(h2, &b, "abc");
	assert_memory_not_equal(h1, h2, 32);
	/* Only the first key counts. */
	pa_token_hash(h1, &ba, "abc");
	assert_memory_equal(h1, h2, 32);
	/* Domain separation: a token hash is not an OTP MAC of the same text. */
	pa_otp_mac(h1, &b, "abc", "");
	assert_memory_not_equal(h1, h2, 32);
}

/* ---- passwords ------------------------------------------------------------------------------- */

static void
test_password(void **state)
{
	char hash[crypto_pwhash_STRBYTES];
	char hash2[crypto_pwhash_STRBYTES];
	char bad[crypto_pwhash_STRBYTES];

	assert_ok(pa_password_hash(hash, "Corr3ct!Horse", 13, OPS, MEM));
	assert_true(strncmp(hash, "$argon2id$", 10) == 0);
	assert_ok(pa_password_verify(hash, "Corr3ct!Horse", 13));
	assert_err(pa_password_verify(hash, "Corr3ct!Horsf", 13), PA_EINVAL);
	assert_err(pa_password_verify(hash, "Corr3ct!Hors", 12), PA_EINVAL);
	assert_err(pa_password_verify(hash, "", 0), PA_EINVAL);
	/* len is the length: the NUL-less prefix of a longer buffer. */
	assert_ok(pa_password_verify(hash, "Corr3ct!HorseXYZ", 13));

	/* Salted: the same password hashes differently. */
	assert_ok(pa_password_hash(hash2, "Corr3ct!Horse", 13, OPS, MEM));
	assert_string_not_equal(hash, hash2);

	/* Malformed hashes. */
	assert_err(pa_password_verify("", "x", 1), PA_EINVAL);
	assert_err(pa_password_verify("garbage", "x", 1), PA_EINVAL);
	assert_err(pa_password_verify("$argon2id$v=19$m=8,t=1,p=1$", "x", 1), PA_EINVAL);
	assert_err(pa_password_verify(NULL, "x", 1), PA_EINVAL);
	memset(bad, 'a', sizeof bad); /* no NUL inside crypto_pwhash_STRBYTES */
	assert_err(pa_password_verify(bad, "x", 1), PA_EINVAL);
	strcpy(bad, hash);
	bad[strlen(bad) - 2] ^= 0x01;
	assert_err(pa_password_verify(bad, "Corr3ct!Horse", 13), PA_EINVAL);

	/* Bad limits; out untouched. */
	strcpy(hash2, "untouched");
	assert_err(pa_password_hash(hash2, "pw", 2, OPS - 1, MEM), PA_EINVAL);
	assert_err(pa_password_hash(hash2, "pw", 2, OPS, MEM - 1), PA_EINVAL);
	assert_string_equal(hash2, "untouched");
}

static void
test_password_burn(void **state)
{
	/* Runs, twice (cached), then with other limits (recomputed); nothing to observe but time.
	 */
	pa_password_burn("whatever", 8, OPS, MEM);
	pa_password_burn("whatever", 8, OPS, MEM);
	pa_password_burn("", 0, OPS + 1, MEM);
	pa_password_burn("x", 1, 0, 0); /* bad limits: returns without work */
}

static void
test_hex_encode(void **state)
{
	static const unsigned char in[] = { 0x00, 0xab, 0xff };
	char                       out[7];

	assert_ok(pa_hex_encode(out, sizeof out, in, sizeof in));
	assert_string_equal(out, "00abff");
	strcpy(out, "keep");
	assert_err(pa_hex_encode(out, 6, in, sizeof in), PA_ETOOBIG);
	assert_string_equal(out, "keep");
	assert_ok(pa_hex_encode(out, 1, in, 0));
	assert_string_equal(out, "");
}

static int
group_setup(void **state)
{
	return pa_crypto_init() == PA_OK ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyring_hex_and_base64),
		cmocka_unit_test(test_keyring_bad),
		cmocka_unit_test(test_keyring_too_many),
		cmocka_unit_test(test_otp_lengths),
		cmocka_unit_test(test_otp_digits_uniformish),
		cmocka_unit_test(test_otp_mac_check),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_seal_open),
		cmocka_unit_test(test_seal_tamper),
		cmocka_unit_test(test_token_format),
		cmocka_unit_test(test_token_hash),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_password_burn),
		cmocka_unit_test(test_hex_encode),
	};

	if (pa_crypto_init() != PA_OK) /* a second call, in group_setup, must be fine too */
		return 1;
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
