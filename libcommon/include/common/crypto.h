/* crypto.h: every secret-handling primitive phoneauth uses, all on libsodium: key rings for
 * rotation, one-time codes and their keyed MACs, the outbox AEAD, tokens and Argon2id passwords. */
#ifndef PHONEAUTH_COMMON_CRYPTO_H
#define PHONEAUTH_COMMON_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#include <sodium.h>

#include "common/err.h"

/* Initialises libsodium; call once at start, before any other function here, from any thread.
 * Calling it again is harmless. PA_ECRYPTO if libsodium cannot initialise. */
pa_err pa_crypto_init(void) PA_MUSTCHECK;

/* ---- key rings ------------------------------------------------------------------------------- */

#define PA_KEYRING_MAX 8
#define PA_KEY_BYTES 32

/* Up to PA_KEYRING_MAX 32-byte keys. key[0] makes every new MAC, token hash and ciphertext; all
 * n keys are tried when checking a MAC or opening a ciphertext, so rotation is: prepend the new
 * key, wait until nothing made with the old one matters, drop it. Wipe with pa_keyring_wipe. */
struct pa_keyring {
	size_t        n;
	unsigned char key[PA_KEYRING_MAX][PA_KEY_BYTES];
};

/* Parses spec, a comma-separated list of keys, each 32 bytes written as 64 hex digits or as 44
 * characters of standard padded base64; spaces around a key are ignored. On success fills *out
 * (n >= 1). PA_EINVAL for an empty spec, an empty item, a bad length or bad characters;
 * PA_ETOOBIG for more than PA_KEYRING_MAX keys. *out is untouched on failure; no key material is
 * left in temporaries either way. */
pa_err pa_keyring_parse(struct pa_keyring *out, const char *spec) PA_MUSTCHECK;

/* Zeroes the whole keyring (n included). NULL is a no-op. */
void pa_keyring_wipe(struct pa_keyring *kr);

/* ---- one-time codes -------------------------------------------------------------------------- */

#define PA_OTP_MIN_DIGITS 4
#define PA_OTP_MAX_DIGITS 10

/* Writes a code of `digits` uniformly random decimal digits (leading zeros included) and a NUL
 * to out. PA_EINVAL if digits is outside 4..10; PA_ETOOBIG if outsz < digits + 1. out is written
 * only on success. The caller wipes the code (sodium_memzero) once the SMS body is sealed. */
pa_err pa_otp_generate(char *out, size_t outsz, unsigned digits) PA_MUSTCHECK;

/* Computes the MAC stored instead of a code: keyed BLAKE2b-256 with kr->key[0] over a domain tag
 * and the length-prefixed context (the verification id) and code, so a MAC is bound to its
 * verification and "ab"+"c" != "a"+"bc". kr must hold at least one key. */
void pa_otp_mac(
    unsigned char out[32], const struct pa_keyring *kr, const char *context, const char *code);

/* True if mac is pa_otp_mac(context, code) under any key of kr. Every key is tried and compared
 * with sodium_memcmp, with no early exit, so the time taken does not depend on which key (if
 * any) matched or on how much of the MAC did. False for an empty keyring. */
bool pa_otp_check(const struct pa_keyring *kr, const char *context, const char *code,
    const unsigned char mac[32]);

/* ---- outbox AEAD ----------------------------------------------------------------------------- */

/* Bytes pa_seal adds to a plaintext: a 24-byte nonce and a 16-byte tag. */
#define PA_SEAL_OVERHEAD \
	(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES)

/* Encrypts pt with XChaCha20-Poly1305 under kr->key[0] and a random nonce, authenticating ad too
 * (the outbox row's verification id, so a body cannot be moved to another row). On success *out
 * is a malloc'd nonce || ciphertext || tag of *outlen = ptlen + PA_SEAL_OVERHEAD bytes, owned by
 * the caller (free()). PA_EINVAL for an empty keyring, PA_ETOOBIG if ptlen is too large,
 * PA_ENOMEM. Outputs are written only on success. */
pa_err pa_seal(unsigned char **out, size_t *outlen, const struct pa_keyring *kr, const void *ad,
    size_t adlen, const void *pt, size_t ptlen) PA_MUSTCHECK;

/* Opens what pa_seal made, trying every key of kr. On success *out is a malloc'd copy of the
 * plaintext with a NUL after it, *outlen its length without the NUL; the caller owns it and
 * should sodium_memzero(*out, *outlen) before free(). PA_ECRYPTO if no key opens it (tampered,
 * truncated, wrong ad, unknown key); PA_ENOMEM. Outputs are written only on success. */
pa_err pa_open(char **out, size_t *outlen, const struct pa_keyring *kr, const void *ad,
    size_t adlen, const unsigned char *sealed, size_t sealedlen) PA_MUSTCHECK;

/* ---- tokens ---------------------------------------------------------------------------------- */

/* A token is 32 random bytes in base64url without padding: 43 characters. */
#define PA_TOKEN_LEN 43

/* Writes a fresh random token and its NUL to out. Always PA_OK once pa_crypto_init succeeded. */
pa_err pa_token_new(char out[PA_TOKEN_LEN + 1]) PA_MUSTCHECK;

/* The value stored instead of a token (sessions, signup and reset tokens): keyed BLAKE2b-256 with
 * kr->key[0] under the domain tag "token", so a lookup is one indexed equality. kr must hold at
 * least one key. */
void pa_token_hash(unsigned char out[32], const struct pa_keyring *kr, const char *token);

/* The token's hash under every key of kr, in ring order (out[0] is pa_token_hash's): what a
 * lookup matches, so rotating PHONEAUTH_TOKEN_KEY (new key first) keeps every live session and
 * token working. Returns kr->n. */
size_t pa_token_hashes(
    unsigned char out[PA_KEYRING_MAX][32], const struct pa_keyring *kr, const char *token);

/* ---- passwords ------------------------------------------------------------------------------- */

/* Hashes pw[0..len) with Argon2id (crypto_pwhash_str_alg) into the NUL-terminated string out.
 * opslimit/memlimit must be within libsodium's bounds (the _MIN constants make tests fast).
 * PA_EINVAL for bad limits, PA_ETOOBIG for a password over crypto_pwhash_PASSWD_MAX, PA_ENOMEM.
 * out is written only on success. Slow by design: call from a worker thread. Thread-safe. */
pa_err pa_password_hash(char out[crypto_pwhash_STRBYTES], const char *pw, size_t len,
    unsigned long long opslimit, size_t memlimit) PA_MUSTCHECK;

/* PA_OK if pw[0..len) matches hash (any Argon2i/Argon2id string libsodium made); PA_EINVAL on a
 * mismatch or a malformed hash; PA_ENOMEM if the hash's memory cost could not be allocated. Slow
 * by design; thread-safe. */
pa_err pa_password_verify(const char *hash, const char *pw, size_t len) PA_MUSTCHECK;

/* Spends the time of a pa_password_verify against a hash made with (opslimit, memlimit), so a
 * login for an unknown user costs what one for a known user does. The dummy hash is computed on
 * first use and again only when the limits change; thread-safe. The result is thrown away. */
void pa_password_burn(const char *pw, size_t len, unsigned long long opslimit, size_t memlimit);

/* ---- encoding -------------------------------------------------------------------------------- */

/* Writes in[0..inlen) as lowercase hex and a NUL to out. PA_ETOOBIG if outsz < 2 * inlen + 1
 * (out untouched). */
pa_err pa_hex_encode(char *out, size_t outsz, const unsigned char *in, size_t inlen) PA_MUSTCHECK;

#endif
