/* password.h: passwords as the account flows take them: the profile's rules (policy.h), Argon2id
 * hashing and verifying of the NFC form at the configured cost, and the confirmation field. */
#ifndef PHONEAUTH_AUTH_PASSWORD_H
#define PHONEAUTH_AUTH_PASSWORD_H

#include <sodium.h>

#include "auth.h"
#include "common/rpc.h"

/* Checks pw, its confirmation (NULL when the method has none; compared in NFC) and the rules of
 * p (the profile in the caller's language); a refusal is INVALID_ARGUMENT (PASSWORD_MISMATCH or
 * PASSWORD_POLICY, invalid UTF-8 included) with p's message. Out of memory fails the call
 * (pa_rpc_fail_err). */
struct pa_rpc_result auth_password_acceptable(
    const struct pa_policy *p, const char *pw, const char *confirm);

/* Argon2id of the NFC form of pw (pa_policy_password_nfc) at PHONEAUTH_PWHASH_OPS / _MEM_KIB.
 * PA_EINVAL if pw is not valid UTF-8 (auth_password_acceptable refuses it first), PA_ENOMEM. The
 * caller wipes out. */
pa_err auth_password_hash(
    struct auth_app *app, const char *pw, char out[crypto_pwhash_STRBYTES]) PA_MUSTCHECK;

/* PA_OK if the NFC form of pw matches hash (made by auth_password_hash); PA_EINVAL otherwise.
 * hash NULL (no such account, or one without a password), a pw that is not valid UTF-8 and one of
 * more than PHONEAUTH_PASSWORD_MAX characters never match, but cost the same Argon2 time as a
 * real check. PA_ENOMEM. */
pa_err auth_password_verify(struct auth_app *app, const char *hash, const char *pw) PA_MUSTCHECK;

#endif
