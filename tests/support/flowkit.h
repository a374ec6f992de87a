/* flowkit.h: what the profile flow tests (test_flows_ff, test_flows_lf) share. For one profile
 * per test binary it sets up a fresh database with a live SMS worker row and two phoneauth-auth
 * instances on it ("primary" as the profile ships, "fast" with the test's overrides), and gives
 * the tests SQL helpers, the codes read back from the sealed outbox, RPC wrappers that check the
 * replies common to every profile, and the end-of-run check that no secret a test used reached a
 * log. The state is per process. Every helper that checks something fails the running cmocka
 * test when the check does not hold. */
#ifndef PHONEAUTH_TEST_FLOWKIT_H
#define PHONEAUTH_TEST_FLOWKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "common/rpc_client.h"
#include "phoneauth/v1/auth.pb-c.h"

/* The two auth instances. */
enum { FLOWKIT_PRIMARY, FLOWKIT_FAST, FLOWKIT_NINST };

/* Longest code a profile may send. */
#define FLOWKIT_CODE_MAX 9

/* What differs between the profiles' flow tests. Nothing is copied: the profile must live until
 * flowkit_group_teardown. */
struct flowkit_profile {
	/* PHONEAUTH_PROFILE of both instances. */
	const char *name;
	/* The test's database, created afresh. */
	const char *db_name;
	/* Log names of the two instances. */
	const char *tag[FLOWKIT_NINST];
	/* Extra environment of the fast instance ("NAME=value", NULL-ended); it must set a 1 s
	 * resend cooldown (PHONEAUTH_RESEND_COOLDOWN=1s). */
	const char *const *fast_env;
	/* Keys and admin token of both instances; all of them are secrets. */
	const char *otp_key_hex, *outbox_key_hex, *token_key_hex, *admin_token;
	/* CallerMetadata.user_agent of every flowkit_rpc. */
	const char *user_agent;
	/* The n-th flowkit_new_ip is "<ip_prefix>.<ip_base + n / 250>.<1 + n % 250>". */
	const char *ip_prefix;
	int         ip_base;
	/* Every SMS is sms_prefix, the code, sms_suffix. */
	const char *sms_prefix, *sms_suffix;
	/* Digits per code, 1 to FLOWKIT_CODE_MAX. */
	int code_len;
	/* expires_in_s of every CodeSent. */
	unsigned code_ttl_s;
	/* The messages the shared checks expect: a resend that sent a code, a send past the limit,
	 * a right code, a wrong code, a dead session (NULL: not checked), a completed reset. */
	const char *msg_otp_sent, *msg_send_limit, *msg_verified, *msg_code_invalid;
	const char *msg_session_invalid, *msg_reset_done;
	/* phone_masked in replies is "+1 (***) ***-1234" (PHONEAUTH_PHONE_MASK=grouped), not
	 * "+1******1234". */
	bool grouped_mask;
};

/* ---- setup ----------------------------------------------------------------------------------- */

/* Group setup for profile p: crypto and the outbox key, the keys and admin token as secrets, a
 * migrated database p->db_name with a live worker row 'test', both instances healthy and a
 * client for each. Returns 0, or -1 (with the reason on stderr) when anything failed. */
int flowkit_group_setup(const struct flowkit_profile *p);

/* Group teardown: closes the clients, stops the instances (SIGTERM), closes the database and
 * frees what flowkit holds. Always returns 0. */
int flowkit_group_teardown(void **state);

/* Per-test setup: a fresh end-user IP and the worker row seen just now. Returns 0. */
int flowkit_test_setup(void **state);

/* The client of instance which (FLOWKIT_PRIMARY or FLOWKIT_FAST), for calls of a test's own. */
struct pa_client *flowkit_client(int which);

/* The current end-user IP (flowkit_new_ip), as flowkit_rpc sends it. */
const char *flowkit_ip(void);

/* ---- secrets --------------------------------------------------------------------------------- */

/* Remembers s (copied) as a secret flowkit_check_logs looks for; NULL and "" are ignored. */
void flowkit_add_secret(const char *s);

/* A phone as secrets: its E.164 form and, for "+1" numbers, its 10 national digits. */
void flowkit_add_phone_secret(const char *e164);

/* Fails the test unless there are more than 20 secrets and none of them appears in either
 * instance's log. A short all-digit secret (a code) counts only where it stands alone in a value
 * that is not a plain number or id; any other secret of 4 characters or more counts anywhere.
 * Prints every leak found. */
void flowkit_check_logs(void);

/* ---- database -------------------------------------------------------------------------------- */

/* Runs sql with up to two text parameters (NULL: fewer); fails the test on an error. The caller
 * PQclears the result. */
PGresult *flowkit_q(const char *sql, const char *p1, const char *p2);

/* First column of the first row as a malloc'd string; NULL for no row or SQL NULL. */
char *flowkit_q1(const char *sql, const char *p1, const char *p2);

/* First column of the first row as a number; fails the test when there is none. */
long flowkit_qlong(const char *sql, const char *p1, const char *p2);

/* Marks the worker row 'test' as seen just now. */
void flowkit_heartbeat(void);

/* How many outbox rows verification vid has. */
long flowkit_outbox_count(const char *vid);

/* Opens the newest outbox row of vid with the worker's key and AD, checks the whole body against
 * the profile's SMS and writes the code into code (code_len + 1 bytes); the code becomes a
 * secret. */
void flowkit_outbox_code(const char *vid, char *code);

/* Opens the newest outbox row of vid on channel ("sms", "whatsapp") into out (NUL-terminated;
 * fails the test when there is none or it does not fit); *id gets the row's id (id may be
 * NULL). */
void flowkit_outbox_body(
    const char *vid, const char *channel, int64_t *id, char *out, size_t outsz);

/* The Admin listener of instance which (the profile's admin_token opens it). */
const char *flowkit_admin_url(int which);

/* Calls /phoneauth.v1.Admin/<method> on instance which with the profile's admin token; fails the
 * test unless it answers OK. The caller clears r (its body is the response). */
void flowkit_admin(int which, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *desc, struct pa_reply *r);

/* ---- small helpers --------------------------------------------------------------------------- */

/* True when s is a UUID in the 8-4-4-4-12 hex form. */
bool flowkit_is_uuid(const char *s);

/* A new +1 201 555 phone, never used before in this run; it becomes a secret. */
void flowkit_next_phone(char e164[16]);

/* "(201) 555-0123" for "+12015550123"; it becomes a secret. */
void flowkit_national(const char *e164, char out[32]);

/* The masked form a reply shows: "+1******0123" for "+12015550123". */
void flowkit_masked(const char *e164, char out[24]);

/* Moves to a fresh end-user IP. */
void flowkit_new_ip(void);

/* A code of code_len digits that is not code: code + delta (1 <= delta < 10^code_len), wrapped. */
void flowkit_wrong_code(const char *code, char *out, int delta);

/* ---- RPC ------------------------------------------------------------------------------------- */

/* Calls /phoneauth.v1.Auth/<method> on instance which from the current end-user IP; fails the
 * test when there is no reply or the method is UNIMPLEMENTED. The caller clears r. */
void flowkit_rpc(int which, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *desc, struct pa_reply *r);

/* CallerMetadata.locale of every flowkit_rpc from now on ("" or NULL: none). */
void flowkit_set_locale(const char *tag);

/* Checks code, reason and (when msg is not NULL) the whole message; prints the reply and fails
 * the test at file:line on a mismatch. */
void flowkit_expect_at(const struct pa_reply *r, pa_code code, pa_reason reason, const char *msg,
    const char *file, int line);

#define FLOWKIT_EXPECT(r, code, reason, msg) \
	flowkit_expect_at((r), (code), (reason), (msg), __FILE__, __LINE__)

/* Checks a CodeSent for e164: a UUID verification id, the masked phone, resend_after, the
 * profile's code_ttl_s and code_len. */
void flowkit_check_sent(const Phoneauth__V1__CodeSent *s, const char *e164, unsigned resend_after);
/* flowkit_check_sent for a code of digits digits (a password reset code: 6 whatever the
 * profile's signup length). */
void flowkit_check_sent_digits(
    const Phoneauth__V1__CodeSent *s, const char *e164, unsigned resend_after, unsigned digits);

/* ResendCode for vid; the caller checks and clears r. */
void flowkit_resend(int which, const char *vid, struct pa_reply *r);

/* Five sends per phone per hour, on the fast instance (1 s cooldown), for a vid with one outbox
 * row: four resends, each past the cooldown and from a fresh IP, answer OK with the profile's
 * message and add a row each; code gets the last code sent. A fifth resend (again past the
 * cooldown, from a fresh IP) is refused with RESOURCE_EXHAUSTED/SEND_LIMIT, the profile's
 * message and a retry_after_s of 1 to 3600. */
void flowkit_resend_until_limit(const char *vid, char *code);

/* VerifyCode of code for vid; the caller checks and clears r. */
void flowkit_verify(int which, const char *vid, const char *code, struct pa_reply *r);

/* A right code: OK with the profile's message and verified; the token VerifyCode gave becomes a
 * secret. When token is not NULL one is required (20 characters or more, a positive lifetime)
 * and written to token. */
void flowkit_verify_ok(int which, const char *vid, const char *code, char token[128]);

/* A wrong code: INVALID_ARGUMENT/CODE_INVALID with the profile's message and attempts_left
 * present, equal to attempts_left unless that is negative. */
void flowkit_expect_code_invalid(int which, const char *vid, const char *code, int attempts_left);

/* Login with id and pw (pw becomes a secret); the caller checks and clears r. */
void flowkit_login(int which, const char *id, const char *pw, struct pa_reply *r);

/* A login on the primary that must succeed, as user_id unless that is NULL; writes the session
 * token (a secret) to token. */
void flowkit_login_ok(const char *id, const char *pw, const char *user_id, char token[128]);

/* ValidateSession of token on the primary; the caller checks and clears r. */
void flowkit_validate(const char *token, struct pa_reply *r);

/* ValidateSession of token must answer OK for user_id (and email, unless that is NULL), with
 * e164 masked, the phone verified and an expiry still ahead. */
void flowkit_expect_session(
    const char *token, const char *user_id, const char *email, const char *e164);

/* ValidateSession of token must say UNAUTHENTICATED/SESSION_INVALID (with the profile's message
 * when it has one). */
void flowkit_expect_session_invalid(const char *token);

/* Logout of token on the primary must answer OK. */
void flowkit_logout(const char *token);

/* Ends every session of user_id: sets each to expire 1 ms after it was made, then waits 10 ms. */
void flowkit_expire_sessions(const char *user_id);

/* StartPasswordReset for login on the primary; the caller checks and clears r. */
void flowkit_start_reset(const char *login, struct pa_reply *r);

/* CompletePasswordReset with token, pw and confirm on the primary; the caller checks and clears
 * r. */
void flowkit_complete_reset(
    const char *token, const char *pw, const char *confirm, struct pa_reply *r);

/* CompletePasswordReset with token and pw (confirmed) must answer OK with the profile's message
 * for user_id. */
void flowkit_complete_reset_ok(const char *token, const char *pw, const char *user_id);

#endif
