/* seckit.h (seckit.c, seckit_flows.c): what the security tests (test_security_*) share. For
 * one profile per test binary it sets up a fresh database with a live SMS worker row, starts and
 * restarts phoneauth-auth instances with any settings a test needs (up to SECKIT_NINST at once,
 * all on that database), calls them from any end-user IP (or none), reads codes back from the
 * sealed outbox, and keeps "soft" checks: a failed check prints what it saw and the test goes
 * on, so one run shows every part of a finding; seckit_done then fails the test. The state is
 * per process. */
#ifndef PHONEAUTH_TEST_SECKIT_H
#define PHONEAUTH_TEST_SECKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "common/rpc_client.h"
#include "phoneauth/v1/auth.pb-c.h"

#define SECKIT_NINST 4

/* Test-only secrets. Every instance gets the client token unless its env unsets it
 * ("PHONEAUTH_CLIENT_TOKEN="), and the kit's clients send it. */
#define SECKIT_CLIENT_TOKEN "sec-client-token-for-tests-only-0123456789abcdef"
#define SECKIT_TOKEN_KEY_1 "7365632d746f6b656e2d6b65792d6f6e652d666f722d74657374732d30313233"
#define SECKIT_TOKEN_KEY_2 "7365632d746f6b656e2d6b65792d74776f2d666f722d74657374732d30313233"
#define SECKIT_OTP_KEY "7365632d6f74702d6b65792d666f722d74657374732d6f6e6c792d3031323334"
#define SECKIT_OUTBOX_KEY "7365632d6f7574626f782d6b65792d666f722d74657374732d6f6e6c792d3031"

/* Short names for the generated enums. */
#ifndef C
#define C(x) PHONEAUTH__V1__CODE__##x
#endif
#ifndef RS
#define RS(x) PHONEAUTH__V1__REASON__##x
#endif

/* What differs between the test binaries. Nothing is copied. */
struct seckit_profile {
	const char *name; /* PHONEAUTH_PROFILE */
	const char *db_name; /* created afresh */
	const char *ip_prefix; /* the n-th seckit_new_ip is "<prefix>.<n / 250>.<1 + n % 250>" */
	int         phone_base; /* first tail of seckit_new_phone (0 to 9000) */
	const char *sms_prefix, *sms_suffix; /* every SMS is prefix, the code, suffix */
};

/* ---- setup ----------------------------------------------------------------------------------- */

/* Group setup: crypto, a migrated database p->db_name with a live worker row 'test'. Returns 0,
 * or -1 with the reason on stderr. */
int seckit_group_setup(const struct seckit_profile *p);
/* Stops every instance and closes the database. Returns 0. */
int seckit_group_teardown(void **state);
/* Per test: clears the soft checks and marks the worker row seen. Returns 0. */
int seckit_test_setup(void **state);
/* Per test: stops the instances the test started. Returns 0. */
int seckit_test_teardown(void **state);

/* Starts instance i with the base settings (the profile, the kit's keys and client token, Argon2
 * at 1 pass of 8 KiB, a 1 s resend cooldown, fresh ports) and env ("NAME=value", NULL-ended, may
 * be NULL) on top: an entry replaces the base entry of the same name, "NAME=" unsets it. Waits
 * until Health answers OK; fails the test otherwise, with the log's path. */
void seckit_start(int i, const char *tag, const char *const *env);
/* Stops instance i (SIGTERM) and starts it again on the same ports with the base settings and
 * env on top (the env of seckit_start is not kept). */
void seckit_restart(int i, const char *const *env);
void seckit_stop(int i);
/* "tcp://127.0.0.1:PORT" of instance i's Admin listener (up when its env sets
 * PHONEAUTH_ADMIN_TOKEN). */
const char *seckit_admin_url(int i);
/* "http://127.0.0.1:PORT/metrics" of instance i. */
const char *seckit_metrics_url(int i);
/* The value of a /metrics sample of instance i ("name{label=\"v\"}"), -1 when absent. */
double seckit_metric(int i, const char *sample);

/* ---- soft checks ----------------------------------------------------------------------------- */

/* Records a failed check (the first one's text becomes the test's failure message) and prints
 * it; returns ok. */
bool seckit_check_at(bool ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define SK_CHECK(ok, ...) seckit_check_at((ok), __FILE__, __LINE__, __VA_ARGS__)

/* A check that r has code and reason and, unless msg is NULL, exactly message msg; what names
 * the step. Returns whether it held. */
bool seckit_expect_at(const struct pa_reply *r, pa_code code, pa_reason reason, const char *msg,
    const char *what, const char *file, int line);
#define SK_EXPECT(r, code, reason, msg, what) \
	seckit_expect_at((r), (code), (reason), (msg), (what), __FILE__, __LINE__)

/* Prints "  note: ..." (what a test saw, for the log). */
void seckit_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Ends a test: fails it, with the first failed check's text, when any check failed. */
void seckit_done(void);

/* "CODE/REASON \"message\" retry_after_s=N attempts_left=N|absent" of r, in out. */
const char *seckit_reply_str(const struct pa_reply *r, char *out, size_t outsz);

/* ---- RPC ------------------------------------------------------------------------------------- */

/* The captcha_token this thread's calls carry from now on (NULL or "": none). token must
 * outlive those calls. */
void seckit_set_captcha(const char *token);

/* Calls /phoneauth.v1.Auth/<method> on instance i with end_user_ip ip (NULL: none). Touches no
 * cmocka state, so threads may call it. */
pa_err seckit_call(int i, const char *ip, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *desc, struct pa_reply *r);
/* seckit_call that fails the test when no reply came. The caller clears r. */
void seckit_rpc(int i, const char *ip, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *desc, struct pa_reply *r);

void seckit_verify(int i, const char *ip, const char *vid, const char *code, struct pa_reply *r);
void seckit_resend(int i, const char *ip, const char *vid, struct pa_reply *r);
void seckit_login(int i, const char *ip, const char *login, const char *pw, struct pa_reply *r);
void seckit_validate(int i, const char *ip, const char *token, struct pa_reply *r);
void seckit_logout(int i, const char *ip, const char *token, struct pa_reply *r);
void seckit_start_reset(int i, const char *ip, const char *login, struct pa_reply *r);
void seckit_complete_reset(
    int i, const char *ip, const char *token, const char *pw, struct pa_reply *r);
void seckit_health(int i, struct pa_reply *r);

/* Copies the verification id of s to vid; "" when s (or its id) is NULL. */
void seckit_vid(const Phoneauth__V1__CodeSent *s, char vid[40]);

/* ---- flows: every step must succeed, or the test fails with the reply ---------------------- */

/* LinkSubscription of sub to phone. */
void seckit_link_sub(int i, const char *ip, const char *sub, const char *phone);
/* StartSignup; the caller checks and clears r. sub may be NULL. */
void seckit_start_signup(
    int i, const char *ip, const char *sub, const char *phone, struct pa_reply *r);
/* Fancy Feathers: a new subscription for phone, StartSignup (OK), the verification id and the
 * code its SMS carries. */
void seckit_ff_signup(int i, const char *ip, const char *phone, char vid[40], char code[16]);
/* Fancy Feathers: seckit_ff_signup, then VerifyCode: the signup token. */
void seckit_ff_token(int i, const char *ip, const char *phone, char token[128]);
/* CreateAccount with token and pw (confirmed); the caller checks and clears r. */
void seckit_create_account(
    int i, const char *ip, const char *token, const char *pw, struct pa_reply *r);
/* Fancy Feathers: an account on phone with password pw; its user id (when not NULL). */
void seckit_ff_account(int i, const char *ip, const char *phone, const char *pw, char user_id[40]);
/* RegisterAccount; the caller checks and clears r. */
void seckit_register(int i, const char *ip, const char *email, const char *pw, const char *phone,
    struct pa_reply *r);
/* LawnFlow: Register (OK), the code its SMS carries, VerifyCode (OK): a verified user. */
void seckit_lf_user(int i, const char *ip, const char *email, const char *pw, const char *phone);
/* A successful Login: the session token. */
void seckit_login_ok(int i, const char *ip, const char *login, const char *pw, char token[128]);

/* ---- database -------------------------------------------------------------------------------- */

/* SQL with up to two text parameters (NULL: fewer); fails the test on an error. */
PGresult *seckit_q(const char *sql, const char *p1, const char *p2);
/* First column of the first row, malloc'd; NULL for no row or SQL NULL. */
char *seckit_q1(const char *sql, const char *p1, const char *p2);
/* First column of the first row as a number; fails the test when there is none. */
long seckit_qlong(const char *sql, const char *p1, const char *p2);
/* Outbox rows of verification vid. */
long seckit_outbox_count(const char *vid);
/* Opens the newest outbox row of vid and checks its body against the profile's SMS around a run
 * of digits; writes the digits to code. Returns how many there were, or -1 (a soft check failed
 * and says why) when there is no row or the body is not the profile's SMS. */
int seckit_outbox_code(const char *vid, char code[16]);

/* ---- fresh identities ------------------------------------------------------------------------ */

void seckit_new_ip(char ip[48]);
/* A new +1 201 555 number. */
void seckit_new_phone(char e164[16]);
/* n (<= 6) new numbers in different area codes with the same last four digits: they mask
 * alike. */
void seckit_same_tail_phones(int n, char out[][16]);
void seckit_new_email(char out[64]);

/* A code of the same length as code that is not code: code + delta, wrapped. */
void seckit_wrong_code(const char *code, char *out, int delta);

/* Milliseconds on a monotonic clock. */
double seckit_now_ms(void);

#endif
