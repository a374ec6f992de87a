/* store_codes.h: the verifications table (one code conversation each) and the sms_outbox rows
 * auth inserts (the sealed SMS that carries a code; from then on the SMS worker's store owns the
 * row: claims, sends, statuses), and the sms_feedback row of a verified code (the worker's from
 * then on too). Functions named *_step build one statement of a batch that the
 * caller runs with pa_db_exec_batch (so a flow's statements on several tables share a round
 * trip); *_row reads and frees that step's result. The rest run at once. */
#ifndef PHONEAUTH_AUTH_STORE_CODES_H
#define PHONEAUTH_AUTH_STORE_CODES_H

#include <stdbool.h>
#include <stdint.h>

#include "common/db.h"
#include "ids.h"
#include "store.h"

#define AUTH_PHONE_LEN 17 /* E.164 and its NUL */
#define AUTH_PURPOSE_LEN 16
#define AUTH_LOCALE_LEN 36 /* a BCP 47 tag as migration 0015 allows it, and its NUL */

/* Takes the phone's transaction lock: starts and their limits for one phone run one at a time. */
struct pa_db_step auth_codes_lock_phone_step(struct auth_args *a, const char *phone);

/* The newest pending verification of (phone, purpose, identity), locked, and the seconds left of
 * its resend cooldown. */
struct auth_pending {
	bool found;
	char id[AUTH_UUID_LEN];
	int  resend_wait_s;
};
struct pa_db_step auth_codes_pending_step(struct auth_args *a, const char *phone,
    const char *purpose, const char *identity, int cooldown_s, PGresult **res);
void              auth_codes_pending_row(PGresult *res, struct auth_pending *out);

/* As a batch step: every other pending registration of user_id than id ends (id verified it). */
struct pa_db_step auth_codes_expire_others_step(
    struct auth_args *a, const char *user_id, const char *id);

/* Ends the user's pending login codes (the second factor): a new password starts over. */
pa_err auth_codes_expire_logins(struct pa_db *db, const char *user_id) PA_MUSTCHECK;

/* Ends a pending verification that a new start replaces: its code stops working. */
pa_err auth_codes_expire(struct pa_db *db, const char *id) PA_MUSTCHECK;

/* A new verification. */
struct auth_code_new {
	const char   *id;
	const char   *purpose;
	const char   *user_id; /* or NULL */
	const char   *subscription_id; /* or NULL */
	const char   *identity; /* "" when the phone alone says who (migration 0010) */
	const char   *password_hash; /* register: the user's password once verified; or NULL */
	const char   *phone;
	bool          has_mac; /* false: Twilio Verify makes and checks the code */
	unsigned char mac[AUTH_MAC_BYTES];
	int           ttl_s;
	int           max_attempts;
	const char   *ip; /* or NULL */
	bool          phantom;
	const char   *channel; /* "sms" (NULL), "whatsapp": of the first send */
	const char   *locale; /* BCP 47 of its texts; NULL: "en" */
	const char   *backend; /* "local" (NULL), "verify", "test" (migration 0015) */
};
struct pa_db_step auth_codes_insert_step(struct auth_args *a, const struct auth_code_new *v);

/* One send of verification_id's code (migration 0015 has the columns' meaning). */
struct auth_outbox_new {
	const char          *verification_id;
	const char          *phone;
	const unsigned char *sealed; /* kind message: the sealed body; verify: NULL */
	size_t               sealed_len;
	int                  ttl_s; /* never sent after this */
	const char          *channel; /* "sms" (NULL) or "whatsapp" */
	const char          *kind; /* "message" (NULL) or "verify" */
	const char          *locale; /* NULL: "en" */
	const char          *encoding; /* an SMS body's "GSM-7" or "UCS-2"; else NULL */
	int                  segments; /* an SMS body's; 0: NULL */
	bool held; /* a fallback for the row inserted just before it in the same batch */
};
/* Its row's id comes back through auth_outbox_id_row. */
struct pa_db_step auth_outbox_insert_step(
    struct auth_args *a, const struct auth_outbox_new *o, PGresult **res);
int64_t auth_outbox_id_row(PGresult *res);

/* A verification as the code flows read it (locked for update). */
struct auth_verification {
	char          phone[AUTH_PHONE_LEN];
	char          purpose[AUTH_PURPOSE_LEN];
	char          state[16]; /* pending, verified, consumed, expired, exhausted */
	char          user_id[AUTH_UUID_LEN]; /* "" when none */
	bool          phantom;
	bool          expired; /* the current code's life is over */
	int           attempts;
	int           max_attempts;
	int           resend_wait_s;
	bool          has_mac;
	unsigned char mac[AUTH_MAC_BYTES];
	char          channel[16]; /* of the newest send: "sms", "whatsapp" */
	char          locale[AUTH_LOCALE_LEN]; /* of its texts */
	char          backend[8]; /* "local", "verify", "test" */
};
struct pa_db_step auth_codes_load_step(
    struct auth_args *a, const char *id, int cooldown_s, PGresult **res);
/* False when there is no such verification. */
bool auth_codes_load_row(PGresult *res, struct auth_verification *out);

/* A resend: the new code's MAC (none for the verify backend, whose code Twilio keeps), life,
 * channel and language; tries back to zero. */
struct auth_code_resent {
	const char   *id;
	bool          has_mac;
	unsigned char mac[AUTH_MAC_BYTES];
	int           ttl_s;
	const char   *channel; /* NULL: "sms" */
	const char   *locale; /* NULL: "en" */
	bool          keep_attempts; /* the same code again (a test number's): the same tries */
};
struct pa_db_step auth_codes_resend_step(struct auth_args *a, const struct auth_code_resent *r);

/* Counts one try; a wrong one that uses the last try ends the verification (right: it does not,
 * whatever the count). */
struct pa_db_step auth_codes_try_step(struct auth_args *a, const char *id, bool right);

/* Twilio Verify (code_verify.c): a refusal from Twilio ends the pending verification when the
 * tries counted before asking (auth_codes_try_step with right true) have reached its limit, or
 * when twilio_spent (Twilio's own tries ran out). */
struct pa_db_step auth_codes_spent_step(struct auth_args *a, const char *id, bool twilio_spent);

/* A right code: state verified (with a single-use token's hash and life) or consumed (no token:
 * hash NULL), verified now, with the SID of the SMS that carried it. */
struct pa_db_step auth_codes_verified_step(struct auth_args *a, const char *id, const char *state,
    const unsigned char *token_hash, int token_ttl_s);

/* The sms_feedback row of a verified code (migration 0014): the SMS worker reports
 * Outcome=confirmed on its message to Twilio. Inserted once per verification; from then on the
 * worker's store owns the row (claims, posts, outcomes), as with sms_outbox. */
struct pa_db_step auth_feedback_insert_step(struct auth_args *a, const char *id);

/* The verified verification a single-use token stands for, locked. hashes[0..n) are the token's
 * hashes under each key of the ring (n <= PA_KEYRING_MAX). */
struct auth_token_verification {
	char id[AUTH_UUID_LEN];
	char phone[AUTH_PHONE_LEN];
	char subscription_id[201]; /* "" when none */
	char user_id[AUTH_UUID_LEN]; /* "" when none */
};
/* *found false when no live token of purpose has that hash. */
pa_err auth_codes_by_token(struct pa_db *db, const unsigned char (*hashes)[AUTH_MAC_BYTES],
    size_t n, const char *purpose, struct auth_token_verification *out, bool *found) PA_MUSTCHECK;

/* The token is used: the verification is consumed (and names user_id if it named no one). */
pa_err auth_codes_consume(struct pa_db *db, const char *id, const char *user_id) PA_MUSTCHECK;

#endif
