/* code.h: the code engine that signup, registration and password reset share: one-time codes
 * (random digits from libsodium, stored only as a keyed MAC), their limits (resend cooldown, sends
 * per phone and per IP, tries per code and per phone), the sealed SMS in the outbox, and the
 * audit rows, each in one PostgreSQL transaction serialised per phone so every limit holds across
 * instances. Statements whose answers do not decide what comes next share a round trip. */
#ifndef PHONEAUTH_AUTH_CODE_H
#define PHONEAUTH_AUTH_CODE_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "common/crypto.h"
#include "common/rpc.h"
#include "ids.h"
#include "phoneauth/v1/auth.pb-c.h"

struct auth_code_request {
	const char *purpose; /* "signup", "register", "password_reset" */
	const char *phone_e164;
	const char *user_id; /* or NULL */
	const char *subscription_id; /* or NULL */
	bool        phantom; /* non-enumerating stand-in: a real row, no SMS */
};

/* A started or resent code. */
struct auth_code_sent {
	char    id[AUTH_UUID_LEN];
	char    phone[17];
	int64_t outbox_id; /* pushed to the SMS workers by the engine; 0 for a phantom */
};

/* Starts a verification inside the caller's open transaction (pa_db_begin) and commits it:
 * cooldown, send limits (phone and IP), replacement of the pending one, the verification row,
 * the sealed outbox row and the audit row; then wakes an SMS worker. Anything but OK has rolled
 * back. */
struct pa_rpc_result auth_code_start(struct auth_worker *w, struct pa_rpc_call *call,
    const struct auth_code_request *req, struct auth_code_sent *out);

/* ResendCode: a new code for a pending verification, in its own transaction. */
struct pa_rpc_result auth_code_resend(
    struct auth_worker *w, struct pa_rpc_call *call, const char *id, struct auth_code_sent *out);

/* VerifyCode: checks code against verification id in its own transaction; a right code fills
 * resp (the user id, and a single-use token for signup and reset codes, in the call's memory). */
struct pa_rpc_result auth_code_check(struct auth_worker *w, struct pa_rpc_call *call,
    const char *id, const char *code, Phoneauth__V1__VerifyCodeResponse *resp);

/* What a reply says of a sent code, in the call's memory: the id, the masked phone ("" leaves it
 * empty), the resend wait, life and length of the code. NULL when out of memory. */
Phoneauth__V1__CodeSent *auth_code_sent_msg(
    struct auth_app *app, struct pa_rpc_call *call, const char *id, const char *phone);

#endif
