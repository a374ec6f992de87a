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
#include "pump.h"
#include "store_codes.h"

struct auth_code_request {
	const char *purpose; /* "signup", "register", "password_reset", "login" (user_id set) */
	const char *phone_e164;
	const char *user_id; /* or NULL */
	const char *subscription_id; /* or NULL */
	const char *identity; /* who the code is for beyond the phone (register: the email); NULL:
	                       * "" */
	const char *password_hash; /* register: set on the user when this code is verified */
	bool        phantom; /* non-enumerating stand-in: a real row, no SMS */
	/* The channel, already checked by auth_code_channel; has_channel false: the profile's
	 * default. */
	bool            has_channel;
	enum pa_channel channel;
	/* What auth_pump_gate said of this send, before the caller's transaction began; NULL:
	 * the gate did not run (then the breakers do not see the send). */
	const struct auth_pump_pass *pump;
};

/* A started or resent code. */
struct auth_code_sent {
	char            id[AUTH_UUID_LEN];
	char            phone[17];
	char            purpose[AUTH_PURPOSE_LEN];
	int64_t         outbox_id; /* pushed to the SMS workers by the engine; 0 for a phantom */
	enum pa_channel channel; /* what it went on (a held fallback may follow on SMS) */
};

/* The channel a request asked for (the proto's Channel; unspecified: dflt), refused with the
 * profile's message unless the profile sends codes on it. */
struct pa_rpc_result auth_code_channel(
    const struct pa_policy *p, int asked, enum pa_channel dflt, enum pa_channel *out);

/* Digits of a code for purpose: a password reset or login code opens an existing account, so it
 * has its own length (PHONEAUTH_RESET_CODE_LENGTH, at least 6) whatever the signup length. */
int auth_code_length(const struct pa_policy *p, const char *purpose);

/* Starts a verification inside the caller's open transaction (pa_db_begin) and commits it:
 * cooldown, send limits (phone, the phone's share per IP, IP) and the destination's breakers
 * (req->pump, from auth_pump_gate before the transaction), the verification row, the sealed
 * outbox row and the audit row; then wakes an SMS worker. A start replaces only the pending code
 * of the same phone, purpose and identity (one's own restart); another identity's code, and any
 * pending reset code (whoever asks for a reset gets a new code, the owner's stays), keep working.
 * Anything but OK has rolled back. */
struct pa_rpc_result auth_code_start(struct auth_worker *w, struct pa_rpc_call *call,
    const struct auth_code_request *req, struct auth_code_sent *out);

/* ResendCode: a new code for a pending verification, in its own transaction; the pumping gate
 * runs first (one more round trip to learn the phone) when the defence is on. */
struct pa_rpc_result auth_code_resend(struct auth_worker *w, struct pa_rpc_call *call,
    const char *id, int asked_channel, struct auth_code_sent *out);

/* VerifyCode: checks code against verification id in its own transaction. Every try, right or
 * wrong, is taken first from the phone's limits (per window and per 24 hours) and, for a reset
 * code, from the phone's and the account's daily reset tries. A right code fills resp (the user id,
 * and a single-use token for signup and reset codes, in the call's memory) and purpose (else it is
 * ""): a login code is consumed with no token, and its caller issues the session. */
struct pa_rpc_result auth_code_check(struct auth_worker *w, struct pa_rpc_call *call,
    const char *id, const char *code, Phoneauth__V1__VerifyCodeResponse *resp,
    char purpose[AUTH_PURPOSE_LEN]);

/* A single-use token (VerifyCode's, for CreateAccount or CompletePasswordReset) as lookups match
 * it: its hash under every key of the token ring. */
struct auth_token_ref {
	unsigned char hash[PA_KEYRING_MAX][AUTH_MAC_BYTES];
	size_t        n;
};

/* What CreateAccount and CompletePasswordReset do before their transaction: token is looked up
 * (into ref) outside a transaction, and a made-up or used one is answered refusal at once, so it
 * never buys an Argon2 run; then password is hashed into pwhash, before the transaction so that
 * no row stays locked during Argon2. OK: the flow's transaction looks the token up again (with
 * the row locked) through ref, and wipes pwhash. */
struct pa_rpc_result auth_code_token_then_hash(struct auth_worker *w, struct pa_rpc_call *call,
    const char *token, const char *purpose, struct pa_rpc_result refusal, const char *password,
    struct auth_token_ref *ref, char pwhash[crypto_pwhash_STRBYTES]);

/* What a reply says of a sent code, in the call's memory: the id, the masked phone ("" leaves it
 * empty), the resend wait, life and length of a code for purpose. NULL when out of memory. */
Phoneauth__V1__CodeSent *auth_code_sent_msg(struct auth_app *app, struct pa_rpc_call *call,
    const char *id, const char *phone, const char *purpose);
/* The same for a code this call sent, with its channel. */
Phoneauth__V1__CodeSent *auth_code_sent_reply(
    struct auth_app *app, struct pa_rpc_call *call, const struct auth_code_sent *s);

#endif
