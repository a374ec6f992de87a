/* crypto.c: libsodium wrappers for codes, MACs, the outbox AEAD, tokens and passwords; secrets
 * are compared in constant time and wiped from every temporary. */
#include "common/crypto.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES

_Static_assert(PA_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "AEAD key size");
_Static_assert(PA_KEY_BYTES >= crypto_generichash_KEYBYTES_MIN
        && PA_KEY_BYTES <= crypto_generichash_KEYBYTES_MAX,
    "MAC key size");
_Static_assert(
    sizeof(((struct pa_keyring *) 0)->key) / PA_KEY_BYTES == PA_KEYRING_MAX, "keyring size");

pa_err
pa_crypto_init(void)
{
	return sodium_init() < 0 ? PA_ECRYPTO : PA_OK;
}

/* ---- key rings ------------------------------------------------------------------------------- */

static bool
key_is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Decodes one key written as 64 hex digits or 44 base64 characters into key. */
static pa_err
key_decode(unsigned char key[PA_KEY_BYTES], const char *s, size_t len)
{
	const char *end = NULL;
	size_t      n   = 0;
	int         rc;

	if (len == 2 * PA_KEY_BYTES)
		rc = sodium_hex2bin(key, PA_KEY_BYTES, s, len, NULL, &n, &end);
	else if (len == sodium_base64_ENCODED_LEN(PA_KEY_BYTES, sodium_base64_VARIANT_ORIGINAL) - 1)
		rc = sodium_base642bin(
		    key, PA_KEY_BYTES, s, len, NULL, &n, &end, sodium_base64_VARIANT_ORIGINAL);
	else
		return PA_EINVAL;
	if (rc != 0 || n != PA_KEY_BYTES || end != s + len)
		return PA_EINVAL;
	return PA_OK;
}

pa_err
pa_keyring_parse(struct pa_keyring *out, const char *spec)
{
	struct pa_keyring kr = { 0 };
	const char       *p  = spec;
	pa_err            rv = PA_OK;

	for (;;) {
		const char *start, *end;

		start = p;
		while (*p != ',' && *p != '\0')
			p++;
		end = p;
		while (start < end && key_is_space(*start))
			start++;
		while (end > start && key_is_space(end[-1]))
			end--;
		if (kr.n == PA_KEYRING_MAX) {
			rv = PA_ETOOBIG;
			goto out_wipe;
		}
		if ((rv = key_decode(kr.key[kr.n], start, (size_t) (end - start))) != PA_OK)
			goto out_wipe;
		kr.n++;
		if (*p == '\0')
			break;
		p++; /* past the comma; a trailing comma yields an empty, rejected item */
	}
	*out = kr;
out_wipe:
	sodium_memzero(&kr, sizeof kr);
	return rv;
}

void
pa_keyring_wipe(struct pa_keyring *kr)
{
	if (kr != NULL)
		sodium_memzero(kr, sizeof *kr);
}

/* ---- keyed hashing --------------------------------------------------------------------------- */

/* Feeds one field as an 8-byte little-endian length and the bytes, so fields cannot run into one
 * another. */
static void
mac_field(crypto_generichash_state *st, const void *p, size_t len)
{
	unsigned char le[8];
	uint64_t      v = (uint64_t) len;

	for (size_t i = 0; i < sizeof le; i++)
		le[i] = (unsigned char) (v >> (8 * i));
	(void) crypto_generichash_update(st, le, sizeof le);
	(void) crypto_generichash_update(st, p, len);
}

/* out = BLAKE2b-256(key; field(domain) || field(a) [|| field(b)]). The only failure
 * crypto_generichash_* can report is a bad length, and the lengths here are constants. */
static void
keyed_hash(unsigned char out[32], const unsigned char key[PA_KEY_BYTES], const char *domain,
    const char *a, const char *b)
{
	crypto_generichash_state st;

	(void) crypto_generichash_init(&st, key, PA_KEY_BYTES, 32);
	mac_field(&st, domain, strlen(domain));
	mac_field(&st, a, strlen(a));
	if (b != NULL)
		mac_field(&st, b, strlen(b));
	(void) crypto_generichash_final(&st, out, 32);
	sodium_memzero(&st, sizeof st);
}

/* ---- one-time codes -------------------------------------------------------------------------- */

pa_err
pa_otp_generate(char *out, size_t outsz, unsigned digits)
{
	char code[PA_OTP_MAX_DIGITS + 1];

	if (digits < PA_OTP_MIN_DIGITS || digits > PA_OTP_MAX_DIGITS)
		return PA_EINVAL;
	if (outsz < (size_t) digits + 1)
		return PA_ETOOBIG;
	/* randombytes_uniform(10) rejects the biased top of the range: each digit is uniform. */
	for (unsigned i = 0; i < digits; i++)
		code[i] = (char) ('0' + randombytes_uniform(10));
	code[digits] = '\0';
	memcpy(out, code, (size_t) digits + 1);
	sodium_memzero(code, sizeof code);
	return PA_OK;
}

void
pa_otp_mac(
    unsigned char out[32], const struct pa_keyring *kr, const char *context, const char *code)
{
	keyed_hash(out, kr->key[0], "otp", context, code);
}

bool
pa_otp_check(
    const struct pa_keyring *kr, const char *context, const char *code, const unsigned char mac[32])
{
	unsigned char want[32];
	int           match = 0;

	/* Same work for every key, matching or not: no early exit, no data-dependent branch. */
	for (size_t i = 0; i < kr->n && i < PA_KEYRING_MAX; i++) {
		keyed_hash(want, kr->key[i], "otp", context, code);
		match |= sodium_memcmp(want, mac, sizeof want) == 0;
	}
	sodium_memzero(want, sizeof want);
	return match != 0;
}

/* ---- outbox AEAD ----------------------------------------------------------------------------- */

pa_err
pa_seal(unsigned char **out, size_t *outlen, const struct pa_keyring *kr, const void *ad,
    size_t adlen, const void *pt, size_t ptlen)
{
	unsigned char     *buf;
	unsigned long long clen = 0;

	if (kr->n == 0)
		return PA_EINVAL;
	if (ptlen > crypto_aead_xchacha20poly1305_ietf_messagebytes_max()
	    || ptlen > SIZE_MAX - PA_SEAL_OVERHEAD)
		return PA_ETOOBIG;
	if ((buf = malloc(ptlen + PA_SEAL_OVERHEAD)) == NULL)
		return PA_ENOMEM;
	randombytes_buf(buf, NONCE_BYTES);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(
	        buf + NONCE_BYTES, &clen, pt, ptlen, ad, adlen, NULL, buf, kr->key[0])
	    != 0) {
		free(buf); /* LCOV_EXCL_LINE: only fails for oversized input, checked above */
		return PA_ECRYPTO;
	}
	*out    = buf;
	*outlen = NONCE_BYTES + (size_t) clen;
	return PA_OK;
}

pa_err
pa_open(char **out, size_t *outlen, const struct pa_keyring *kr, const void *ad, size_t adlen,
    const unsigned char *sealed, size_t sealedlen)
{
	unsigned char     *buf;
	unsigned long long mlen = 0;
	size_t             ptlen;

	if (sealedlen < PA_SEAL_OVERHEAD)
		return PA_ECRYPTO;
	ptlen = sealedlen - PA_SEAL_OVERHEAD;
	if ((buf = malloc(ptlen + 1)) == NULL)
		return PA_ENOMEM;
	/* Which key opened a body is not secret, so stopping at the first that does is fine. */
	for (size_t i = 0; i < kr->n && i < PA_KEYRING_MAX; i++) {
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(buf, &mlen, NULL,
		        sealed + NONCE_BYTES, sealedlen - NONCE_BYTES, ad, adlen, sealed,
		        kr->key[i])
		    == 0) {
			buf[mlen] = '\0';
			*out      = (char *) buf;
			*outlen   = (size_t) mlen;
			return PA_OK;
		}
	}
	/* A failed decrypt writes no plaintext, but wipe anyway: the buffer is cheap to clear. */
	sodium_memzero(buf, ptlen + 1);
	free(buf);
	return PA_ECRYPTO;
}

/* ---- tokens ---------------------------------------------------------------------------------- */

_Static_assert(
    sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == PA_TOKEN_LEN + 1,
    "token length");

pa_err
pa_token_new(char out[PA_TOKEN_LEN + 1])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof raw);
	(void) sodium_bin2base64(
	    out, PA_TOKEN_LEN + 1, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	return PA_OK;
}

void
pa_token_hash(unsigned char out[32], const struct pa_keyring *kr, const char *token)
{
	keyed_hash(out, kr->key[0], "token", token, NULL);
}

size_t
pa_token_hashes(
    unsigned char out[PA_KEYRING_MAX][32], const struct pa_keyring *kr, const char *token)
{
	for (size_t i = 0; i < kr->n; i++)
		keyed_hash(out[i], kr->key[i], "token", token, NULL);
	return kr->n;
}

/* ---- passwords ------------------------------------------------------------------------------- */

pa_err
pa_password_hash(char out[crypto_pwhash_STRBYTES], const char *pw, size_t len,
    unsigned long long opslimit, size_t memlimit)
{
	char hash[crypto_pwhash_STRBYTES];

	if (len > crypto_pwhash_PASSWD_MAX)
		return PA_ETOOBIG;
	if (opslimit < crypto_pwhash_OPSLIMIT_MIN || opslimit > crypto_pwhash_OPSLIMIT_MAX
	    || memlimit < crypto_pwhash_MEMLIMIT_MIN || memlimit > crypto_pwhash_MEMLIMIT_MAX)
		return PA_EINVAL;
	errno = 0;
	if (crypto_pwhash_str_alg(hash, pw, len, opslimit, memlimit, crypto_pwhash_ALG_ARGON2ID13)
	    != 0)
		return errno == ENOMEM ? PA_ENOMEM : PA_EINVAL;
	memcpy(out, hash, sizeof hash);
	return PA_OK;
}

pa_err
pa_password_verify(const char *hash, const char *pw, size_t len)
{
	if (hash == NULL || strnlen(hash, crypto_pwhash_STRBYTES) == crypto_pwhash_STRBYTES)
		return PA_EINVAL;
	if (len > crypto_pwhash_PASSWD_MAX)
		return PA_EINVAL;
	errno = 0;
	if (crypto_pwhash_str_verify(hash, pw, len) == 0)
		return PA_OK;
	/* A mismatch sets EINVAL, a malformed string leaves errno alone; only ENOMEM is not the
	 * password's fault. */
	return errno == ENOMEM ? PA_ENOMEM : PA_EINVAL;
}

/* The dummy hash pa_password_burn verifies against: made once per (opslimit, memlimit). It is a
 * cache, not state anyone reads: any value with the right limits gives the right cost. */
static pthread_mutex_t    burn_lock = PTHREAD_MUTEX_INITIALIZER;
static bool               burn_ready;
static unsigned long long burn_ops;
static size_t             burn_mem;
static char               burn_hash[crypto_pwhash_STRBYTES];

void
pa_password_burn(const char *pw, size_t len, unsigned long long opslimit, size_t memlimit)
{
	static const char dummy[] = "phoneauth-burn-dummy-password";
	char              hash[crypto_pwhash_STRBYTES];
	bool              ok = true;

	(void) pthread_mutex_lock(&burn_lock);
	if (!burn_ready || burn_ops != opslimit || burn_mem != memlimit) {
		/* Rare (first use, or limits changed): other burns wait this one hash out. */
		ok = pa_password_hash(burn_hash, dummy, sizeof dummy - 1, opslimit, memlimit)
		    == PA_OK;
		burn_ready = ok;
		burn_ops   = opslimit;
		burn_mem   = memlimit;
	}
	if (ok)
		memcpy(hash, burn_hash, sizeof hash);
	(void) pthread_mutex_unlock(&burn_lock);
	if (ok) {
		/* gcc ignores a (void) cast on a must-check call, hence the variable. */
		pa_err discard = pa_password_verify(hash, pw, len);

		(void) discard;
	}
}

/* ---- encoding -------------------------------------------------------------------------------- */

pa_err
pa_hex_encode(char *out, size_t outsz, const unsigned char *in, size_t inlen)
{
	if (inlen > (SIZE_MAX - 1) / 2 || outsz < 2 * inlen + 1)
		return PA_ETOOBIG;
	(void) sodium_bin2hex(out, outsz, in, inlen);
	return PA_OK;
}
