/* vcheck.h: the Twilio Verify check protocol between phoneauth-auth (REQ) and the SMS workers
 * (REP): a fixed-layout request (To, the typed code, the VE SID) and answer (Twilio's HTTP status,
 * the verification's status, Twilio's error code, the SID), each sealed with crypto_secretbox
 * under a key derived from PHONEAUTH_VERIFY_CHECK_TOKEN, one key per direction so that a request
 * can never pass for an answer. A random 16-byte request id travels in the clear and inside the
 * box; the answer must carry the same one, so an old or forged answer is refused. Opening checks
 * every length and every field's characters: what comes off the socket may be anything. */
#ifndef PHONEAUTH_COMMON_VCHECK_H
#define PHONEAUTH_COMMON_VCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define PA_VCHECK_ID_BYTES 16
#define PA_VCHECK_TOKEN_MIN 32 /* characters of PHONEAUTH_VERIFY_CHECK_TOKEN */
#define PA_VCHECK_TO_SIZE 17 /* E.164 and its NUL */
#define PA_VCHECK_CODE_SIZE 11 /* up to 10 digits (Verify's longest code) and its NUL */
#define PA_VCHECK_SID_SIZE 35 /* "VE" + 32 hex, and its NUL; "" when unknown */
#define PA_VCHECK_STATUS_SIZE 24

/* The two directions' keys. Wipe with pa_vcheck_keys_wipe. */
struct pa_vcheck_keys {
	unsigned char req[32];
	unsigned char rep[32];
};

/* Derives both keys from token (crypto_generichash keyed by a context string per direction).
 * PA_EINVAL when token is NULL or shorter than PA_VCHECK_TOKEN_MIN characters. */
pa_err pa_vcheck_keys_derive(struct pa_vcheck_keys *out, const char *token) PA_MUSTCHECK;
void   pa_vcheck_keys_wipe(struct pa_vcheck_keys *k);

/* A check: To with code (sid "") or the verification sid with code. */
struct pa_vcheck_request {
	char to[PA_VCHECK_TO_SIZE];
	char code[PA_VCHECK_CODE_SIZE];
	char sid[PA_VCHECK_SID_SIZE];
};

/* Twilio's answer: http_status 0 when Twilio did not answer (timeout, connection); status is
 * the VerificationCheck's ("approved", "pending" ...) or ""; error_code Twilio's (60202 ...) or
 * 0. */
struct pa_vcheck_response {
	int  http_status;
	char status[PA_VCHECK_STATUS_SIZE];
	int  error_code;
	char sid[PA_VCHECK_SID_SIZE];
};

/* Sizes of a sealed request and a sealed answer on the wire (every message has its exact size). */
#define PA_VCHECK_REQ_WIRE 136
#define PA_VCHECK_REP_WIRE 140

/* A fresh random request id. */
void pa_vcheck_new_id(unsigned char id[PA_VCHECK_ID_BYTES]);

/* Seals r under id into out[PA_VCHECK_REQ_WIRE]. PA_EINVAL when a field is malformed (a code
 * that is not 4 to 10 digits, a To that is not E.164, a SID that is not a VE SID). The plaintext
 * copy is wiped. */
pa_err pa_vcheck_seal_request(unsigned char out[PA_VCHECK_REQ_WIRE], const struct pa_vcheck_keys *k,
    const unsigned char id[PA_VCHECK_ID_BYTES], const struct pa_vcheck_request *r) PA_MUSTCHECK;
/* Opens a request: PA_EPROTO when in is not exactly a request sealed under k with valid fields
 * (nothing in *out then). The caller wipes *out (it holds the code). */
pa_err pa_vcheck_open_request(struct pa_vcheck_request *out, unsigned char id[PA_VCHECK_ID_BYTES],
    const struct pa_vcheck_keys *k, const void *in, size_t len) PA_MUSTCHECK;

/* Seals the answer to request id into out[PA_VCHECK_REP_WIRE]. PA_EINVAL for a malformed
 * field. */
pa_err pa_vcheck_seal_response(unsigned char out[PA_VCHECK_REP_WIRE],
    const struct pa_vcheck_keys *k, const unsigned char id[PA_VCHECK_ID_BYTES],
    const struct pa_vcheck_response *r) PA_MUSTCHECK;
/* Opens an answer; PA_EPROTO unless it is exactly one sealed under k for request id with valid
 * fields. */
pa_err pa_vcheck_open_response(struct pa_vcheck_response *out, const struct pa_vcheck_keys *k,
    const unsigned char id[PA_VCHECK_ID_BYTES], const void *in, size_t len) PA_MUSTCHECK;

#endif
