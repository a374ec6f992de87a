/* code_verify.h: the code engine's Twilio Verify backend (PHONEAUTH_CODE_BACKEND=verify): Verify
 * makes, sends and checks the code; code.c writes the verification without a MAC and a kind
 * 'verify' outbox row (the SMS worker POSTs Verifications), and hands checks here. Every rule of
 * a local code holds: the try is taken from the phone's limits and counted (committed) before
 * Twilio is asked, so our tries per code, never Twilio's, stop a guesser; no row stays locked
 * during the round trip; a stand-in (phantom) verification never reaches Twilio. */
#ifndef PHONEAUTH_AUTH_CODE_VERIFY_H
#define PHONEAUTH_AUTH_CODE_VERIFY_H

#include <stdbool.h>

#include "auth.h"
#include "common/rpc.h"
#include "phoneauth/v1/auth.pb-c.h"
#include "store_codes.h"

/* Whether new codes are Twilio Verify's. */
bool auth_code_verify_on(const struct auth_app *app);

/* VerifyCode for a pending, unexpired Verify verification v (no MAC, not a stand-in), called
 * inside auth_code_check's transaction with v locked and the phone's try taken: counts the try
 * and commits, asks Twilio through a worker, then settles an approved code in a new transaction
 * (auth_code_settle_verified, if v is still pending) or refuses (wrong: CODE_INVALID with
 * attempts_left, the last try ending v; Verify's errors as the README maps them; no answer within
 * PHONEAUTH_VERIFY_CHECK_TIMEOUT: UNAVAILABLE / VERIFY_UNAVAILABLE). */
struct pa_rpc_result auth_code_verify_check(struct auth_worker *w, struct pa_rpc_call *call,
    const char *id, const char *code, const struct auth_verification *v,
    Phoneauth__V1__VerifyCodeResponse *resp);

/* code.c's settlement of a right code, for one whose try was already counted: the token (or the
 * registration's account), the breakers' count, the audit row, COMMIT; no conversion feedback
 * row (Verify counts its own). Runs in the caller's open transaction, v locked. */
struct pa_rpc_result auth_code_settle_verified(struct auth_worker *w, struct pa_rpc_call *call,
    const char *id, const struct auth_verification *v, Phoneauth__V1__VerifyCodeResponse *resp);

#endif
