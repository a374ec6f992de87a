/* smskit.h: what the Twilio integration tests (test_twilio, test_sms_scale) share: a fresh
 * database, a fake Twilio, one phoneauth-auth (Fancy Feathers without subscriptions, so a signup
 * is one call) and phoneauth-sms-workers in twilio mode aimed at the fake. The state is per
 * process; helpers that check something fail the running cmocka test. */
#ifndef PHONEAUTH_TEST_SMSKIT_H
#define PHONEAUTH_TEST_SMSKIT_H

#include <stdbool.h>

#include "fake_twilio.h"
#include "harness.h"

#define SMSKIT_ACCOUNT "AC00000000000000000000000000000001"
#define SMSKIT_TOKEN "test-auth-token-0123456789abcdef"
#define SMSKIT_API_KEY "SK00000000000000000000000000000002"
#define SMSKIT_API_SECRET "test-api-secret-fedcba9876543210"
#define SMSKIT_SERVICE "MG00000000000000000000000000000003"
#define SMSKIT_ADMIN_TOKEN "admin-token-for-tests-only-0123456789abcdef"
/* Ed25519 seed signing the audit chain (checkpoints every second). */
#define SMSKIT_AUDIT_KEY "61756469742d7369676e696e672d6b65792d666f722d74657374732d6f6e6c79"

/* A worker and what it listens on. */
struct smskit_worker {
	struct harness_proc proc;
	int                 http_port;
	char                callback_url[96];
};

/* Before smskit_setup: more auth environment (NULL-ended, kept by pointer; it wins over the kit's
 * own) and the fake's one Verify service SID (NULL: any). */
void smskit_configure(const char *const *auth_env, const char *verify_service_sid);
/* Database db_name afresh, the fake, and the auth service. Returns 0 or -1 (reason on
 * stderr). */
int smskit_setup(const char *db_name);
/* Stops the auth service with sig (SIGKILL: no chance to finish anything), starts it again and
 * waits until it answers Health. Returns 0 or -1. */
int smskit_restart_auth(int sig);
/* Stops the auth service and the fake (workers are the caller's to stop). Returns 0. */
int smskit_teardown(void);

struct fake_twilio *smskit_fake(void);
/* The auth service's RPC and Admin URLs, and the database URL. */
const char *smskit_rpc_url(void);
const char *smskit_admin_url(void);
const char *smskit_db_url(void);

/* Starts a twilio-mode worker (lease 5 s, sweep 1 s, heartbeat 1 s, request timeout 3 s, API key
 * auth) with env (NULL-ended, may be NULL) on top; its log is named tag. Returns 0 on success. */
int smskit_start_worker(struct smskit_worker *w, const char *tag, const char *const *env);
/* smskit_setup, then one worker (a cmocka group setup); and its teardown: the worker, then the
 * rest. */
int smskit_setup_with_worker(
    const char *db_name, struct smskit_worker *w, const char *tag, const char *const *env);
int smskit_teardown_with_worker(struct smskit_worker *w);
/* The auth service's log (malloc'd). */
char *smskit_auth_log(void);
/* The worker's log (malloc'd). */
char *smskit_worker_log(const struct smskit_worker *w);
/* The worker's /metrics value for a sample ("phoneauth_sms_sends_total{outcome=\"sent\"}"); -1
 * when absent. */
double smskit_metric(const struct smskit_worker *w, const char *sample);

/* A fresh +1 201 555 number. */
void smskit_phone(char out[16]);
/* StartSignup for phone; writes the verification id. Fails the test unless OK. */
void smskit_signup(const char *phone, char vid[37]);
/* The same on channel (PHONEAUTH__V1__CHANNEL__CHANNEL_WHATSAPP ...; unspecified: the default). */
void smskit_signup_channel(const char *phone, int channel, char vid[37]);
/* VerifyCode; returns the reply's code (PHONEAUTH__V1__CODE__OK ...), -1 for no reply. */
int smskit_verify(const char *vid, const char *code);
/* VerifyCode with the right code, then CreateAccount with its signup token and password: the
 * new user's id into user_id. Fails the test unless both answer OK. */
void smskit_create_account(
    const char *vid, const char *code, const char *password, char user_id[40]);
/* Signups for n fresh phones from 8 threads; phones[i] gets each number. */
void smskit_signups(int n, char (*phones)[16]);

/* SQL with up to two text parameters: the first column of the first row, malloc'd ("(null)" for
 * NULL), or NULL for no row; fails the test on an SQL error. */
char *smskit_q1(const char *sql, const char *p1, const char *p2);
long  smskit_qlong(const char *sql, const char *p1, const char *p2);
/* Polls until smskit_q1(sql, p1, NULL) equals want. */
bool smskit_wait_q(const char *sql, const char *p1, const char *want, int timeout_ms);
/* Polls until the fake has accepted n messages in all. */
bool smskit_wait_fake_count(int n, int timeout_ms);

/* Fails the test if any log of this run holds a secret: the Twilio token and API secret, or any
 * phone in E.164 form that smskit_phone handed out (scans every worker and the auth service). */
void smskit_check_logs(const struct smskit_worker *const *workers, int n);

/* Waits until every audit row written so far is covered by a checkpoint (fails the test after
 * timeout_ms); returns the highest row id then, malloc'd text. */
char *smskit_wait_audit_signed(int timeout_ms);
/* Waits until every audit row so far is signed, then fails the test unless VerifyAudit finds the
 * whole chain intact. */
void smskit_check_audit_chain(void);

#endif
