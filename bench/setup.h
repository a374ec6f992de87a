/* setup.h: the state some measurements need, made through the service's own RPCs before the
 * clock starts: pending verifications (StartSignup), their codes (read at the in-process fake
 * Twilio the SMS worker sends to) and accounts (signup, code, VerifyCode, CreateAccount). */
#ifndef PHONEAUTH_BENCH_SETUP_H
#define PHONEAUTH_BENCH_SETUP_H

#include <stddef.h>

#include "common/err.h"
#include "ops.h"
#include "phones.h"
#include "smsfake.h"

/* StartSignup for phones->e164[from .. to-1] from `threads` threads; vids[i] gets each id.
 * PA_EPROTO unless every call was answered OK (err counts the codes). */
pa_err bench_setup_signups(const struct bench_rpc_target *t, unsigned threads,
    const struct bench_phones *phones, size_t from, size_t to, char (*vids)[BENCH_VID_LEN],
    char *err, size_t errsz) PA_MUSTCHECK;

/* Waits up to timeout_ms for the messages to phones from .. to-1 (sms must be tracking the same
 * phones) and copies their codes into codes[i]. PA_ETIMEDOUT when some never came. */
pa_err bench_setup_codes(struct bench_sms *sms, size_t from, size_t to,
    char (*codes)[BENCH_CODE_LEN], int timeout_ms, char *err, size_t errsz) PA_MUSTCHECK;

/* Makes a verified account with password for each of phones->e164[from .. to-1]. */
pa_err bench_setup_accounts(const struct bench_rpc_target *t, unsigned threads,
    struct bench_sms *sms, const struct bench_phones *phones, size_t from, size_t to,
    const char *password, char *err, size_t errsz) PA_MUSTCHECK;

#endif
