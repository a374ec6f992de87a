/* password.h: passwords as the account flows take them: the profile's rules (policy.h), Argon2id
 * hashing at the configured cost, and the confirmation field. */
#ifndef PHONEAUTH_AUTH_PASSWORD_H
#define PHONEAUTH_AUTH_PASSWORD_H

#include <sodium.h>

#include "auth.h"
#include "common/rpc.h"

/* Checks pw, its confirmation (NULL when the method has none) and the profile's rules; a refusal
 * is INVALID_ARGUMENT (PASSWORD_MISMATCH or PASSWORD_POLICY) with the profile's message. */
struct pa_rpc_result auth_password_acceptable(
    struct auth_app *app, const char *pw, const char *confirm);

/* Argon2id of pw at PHONEAUTH_PWHASH_OPS / _MEM_KIB. The caller wipes out. */
pa_err auth_password_hash(
    struct auth_app *app, const char *pw, char out[crypto_pwhash_STRBYTES]) PA_MUSTCHECK;

#endif
