/* auth.h: what the phoneauth-auth modules share: the configuration, the application, and the
 * state each worker thread owns. */
#ifndef PHONEAUTH_AUTH_H
#define PHONEAUTH_AUTH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/config.h"
#include "common/log.h"
#include "common/crypto.h"
#include "common/phone.h"
#include "common/policy.h"
#include "common/db.h"
#include "common/rpc.h"
#include "common/tls.h"
#include "phoneauth/v1/admin.pb-c.h"
#include "phoneauth/v1/auth.pb-c.h"

struct auth_config {
	char *database_url;
	char *rpc_url;
	char *admin_url;
	char *admin_token; /* the Admin listener starts only with one of 32 characters or more */
	char *client_token; /* set: every Auth call must carry it */
	char *http_addr;
	char *jobs_url;
	char *log_level;
	char *migrations_dir;
	int   contexts;
	int   fast_workers;
	int   slow_workers;
	int   queue_capacity;
	int   max_msg_bytes;
	int   worker_alive_s;
	int   db_wait_s;
	char *tls_cert;
	char *tls_key;
	char *tls_ca;
	char *otp_key;     /* keyring: codes' MACs */
	char *outbox_key;  /* keyring: SMS bodies at rest (the SMS worker holds it too) */
	char *token_key;   /* keyring: session, signup and reset token hashes */
	char *default_region;
	char *allowed_countries;
	int   pwhash_ops;
	int   pwhash_mem_kib;
	char *audit_key;   /* Ed25519 seed signing audit checkpoints; unset: none are written */
	int   audit_every_s;
};

extern const struct pa_conf_item auth_config_items[];
extern const size_t              auth_config_nitems;

struct auth_app {
	struct auth_config           cfg;
	struct pa_tls_opts           tls;
	Phoneauth__V1__Auth_Service  service;
	Phoneauth__V1__Admin_Service admin;
	atomic_bool                  db_ok; /* last Health check by any worker, for /healthz */
	atomic_bool                  sms_alive;
	_Atomic uint64_t             health_good_at_ns; /* both were up then; 0: not lately */
	struct pa_policy             policy;
	struct pa_keyring            otp_keys;
	struct pa_keyring            outbox_keys;
	struct pa_keyring            token_keys;
	struct auth_jobs            *jobs;
	bool                         audit_signing; /* PHONEAUTH_AUDIT_KEY was given */
	unsigned char                audit_sk[crypto_sign_SECRETKEYBYTES];
	unsigned char                audit_pk[crypto_sign_PUBLICKEYBYTES];
	struct auth_auditchain      *chain;
};

/* One per worker thread: its own database connection and a cached health check. */
struct auth_worker {
	struct auth_app *app;
	struct pa_db    *db;
	uint64_t         health_at_ns;
	bool             db_ok;
	bool             sms_alive;
};

/* Fills app->service with the Auth handlers. */
void auth_rpc_init(struct auth_app *app);

/* --- admin.c: the Admin service --- */
/* Fills app->admin with the Admin handlers. */
void auth_admin_init(struct auth_app *app);
/* The Admin listener's authorize hook: the call's admin token must equal PHONEAUTH_ADMIN_TOKEN
 * (compared in constant time); a refusal is audited and answered PERMISSION_DENIED. */
bool auth_admin_authorize(struct pa_rpc_call *call, void *arg);

/* Method names that run on the slow pool (Argon2). */
extern const char *const auth_slow_methods[];

/* Refreshes w's view of the database and of live SMS workers (cached for a second). */
void auth_health_refresh(struct auth_worker *w);
/* Drops the good news inline Health answers from: a worker just lost the database. */
void auth_health_forget(struct auth_app *app);
/* Methods whose handlers first try to answer on NNG's thread (Health). */
extern const char *const auth_inline_methods[];
/* The app whose service a handler's svc argument is. */
#define AUTH_APP_OF_SERVICE(svc) \
	((struct auth_app *) (void *) ((char *) (svc) - offsetof(struct auth_app, service)))

/* --- jobs.c: the PUSH socket SMS workers pull outbox ids from --- */
struct auth_jobs;
pa_err auth_jobs_open(struct auth_jobs **out, const char *url, const struct pa_tls_opts *tls,
    char *err, size_t errsz) PA_MUSTCHECK;
/* Pushes an outbox id without blocking; a push nobody takes is found later by the workers'
 * sweep, so failure only costs latency. */
void auth_jobs_push(struct auth_jobs *j, int64_t outbox_id);
void auth_jobs_close(struct auth_jobs *j);

/* --- audit.c --- */
struct auth_audit {
	const char *event;           /* "code_sent", "login_failed", ... */
	const char *user_id;         /* uuid text or NULL */
	const char *phone_e164;      /* masked before it is stored */
	const char *verification_id; /* uuid text or NULL */
	const char *message_sid;
	const char *outcome;
	const char *detail_json;
	const char *actor;           /* NULL: "site" */
};
/* Appends an audit row with the caller's IP, in the caller's transaction. */
pa_err auth_audit(struct auth_worker *w, struct pa_rpc_call *call, const struct auth_audit *a)
	PA_MUSTCHECK;
/* The same row as a step of a batch (pa_db_exec_batch); row holds the step's parameters and must
 * outlive the batch. */
struct auth_audit_row {
	const char *params[9];
	char        masked[PA_PHONE_MASK_MAX];
};
struct pa_db_step auth_audit_step(struct auth_audit_row *row, struct pa_rpc_call *call,
    const struct auth_audit *a);

/* --- auditchain.c: signed checkpoints over the audit trail --- */
struct auth_auditchain;
/* Starts the thread that signs new audit rows every PHONEAUTH_AUDIT_EVERY (app->audit_sk). */
pa_err auth_auditchain_start(struct auth_auditchain **out, struct auth_app *app) PA_MUSTCHECK;
/* Signs what is left, then stops the thread. NULL is a no-op. */
void auth_auditchain_stop(struct auth_auditchain *c);
void auth_auditchain_write_metrics(struct pa_strbuf *out, struct auth_auditchain *c);

/* What verifying the chain found. ok: every checkpoint chains, is signed by public_key and
 * matches the rows it covers; otherwise problem names the first mismatch (bad_row and/or
 * bad_checkpoint set). */
struct auth_audit_report {
	bool          ok;
	int64_t       checkpoints, rows, rows_unsigned, last_row, bad_row, bad_checkpoint;
	unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
	unsigned char last_hash[32];
	char          problem[160];
};
/* Walks the whole chain in one snapshot; known_hash (32 bytes, or NULL) must be one of its links.
 * PA_OK whether or not it matched (see rep->ok); an error
 * only when the database could not be read. */
pa_err auth_auditchain_verify(struct pa_db *db, const unsigned char pk[32],
    const unsigned char *known_hash, struct auth_audit_report *rep) PA_MUSTCHECK;

/* --- util --- */
/* True when given is non-empty and equals want, compared in constant time. */
bool auth_token_matches(const char *given, const char *want);
/* The Auth listener's authorize hook when PHONEAUTH_CLIENT_TOKEN is set: UNAUTHENTICATED
 * (CLIENT_TOKEN_INVALID) unless the call carries that token. */
bool auth_client_authorize(struct pa_rpc_call *call, void *arg);
/* The caller's end-user IP when it is a valid address, else NULL (stored as SQL NULL). */
const char *auth_caller_ip(struct pa_rpc_call *call);
/* True for the 36-character text form of a UUID. */
bool auth_is_uuid(const char *s);
/* A fresh random (version 4) UUID in text form. */
void auth_uuid_new(char out[37]);
/* Hex text of a 32-byte MAC for a bytea parameter ("\x..."). */
void auth_bytea_hex(char out[2 + 64 + 1], const unsigned char mac[32]);

/* --- verification.c: one-time codes for signup, registration and password reset --- */
struct auth_code_request {
	const char *purpose;         /* "signup", "register", "password_reset" */
	const char *phone_e164;
	const char *user_id;         /* or NULL */
	const char *subscription_id; /* or NULL */
	bool        phantom;         /* non-enumerating stand-in: a real row, no SMS */
};
/* What a started or resent code tells the site; msg points into the struct. */
struct auth_code_sent {
	Phoneauth__V1__CodeSent msg;
	char                    id[37];
	char                    masked[PA_PHONE_MASK_MAX];
	int64_t                 outbox_id; /* to push after COMMIT; 0 for a phantom */
};
/* Starts a verification inside the caller's open transaction and commits it: cooldown, send
 * limits (phone and IP), replacement of the pending one, the verification row, the sealed outbox
 * row and the audit row. PA_OK fills out (committed); PA_ELIMIT means a limit refused and the
 * call is already failed; other errors are for the caller to fail the call with (auth_tx_fail,
 * which rolls back). */
pa_err auth_code_start(struct auth_worker *w, struct pa_rpc_call *call,
    const struct auth_code_request *req, struct auth_code_sent *out) PA_MUSTCHECK;

/* Fills out->msg for phone ("" leaves the masked phone empty); the id is the caller's. */
void auth_code_sent_fill(struct auth_worker *w, const char *phone, struct auth_code_sent *out);

/* *out: a verified account already uses this phone (it is the account's login). */
pa_err auth_phone_has_account(struct auth_worker *w, const char *phone_e164, bool *out)
	PA_MUSTCHECK;

/* Rolls back and, unless the call was already failed (PA_ELIMIT), fails it for rv. */
void auth_tx_fail(struct auth_worker *w, struct pa_rpc_call *call, pa_err rv);

/* Parses and checks a phone for this deployment; on refusal fails the call (INVALID_ARGUMENT
 * with the reason and message) and returns false. */
bool auth_phone_accept(struct auth_worker *w, struct pa_rpc_call *call, const char *input,
    struct pa_phone *out);

/* UNAVAILABLE (SMS_UNAVAILABLE) when no SMS worker was seen recently; returns false then. */
bool auth_sms_available(struct auth_worker *w, struct pa_rpc_call *call);

/* --- account.c --- */
/* True for an email address the account flows accept: one '@' with text before it and a '.'
 * after it, at most 254 bytes, no spaces or control characters. */
bool auth_email_ok(const char *email);

/* --- the handlers the generated service table names --- */
#define AUTH_HANDLER(fn, Req, Resp)                                                    \
	void auth_rpc_##fn(Phoneauth__V1__Auth_Service *svc, const Phoneauth__V1__##Req *in, \
	    Phoneauth__V1__##Resp##_Closure closure, void *data)
AUTH_HANDLER(link_subscription, LinkSubscriptionRequest, LinkSubscriptionResponse);
AUTH_HANDLER(start_signup, StartSignupRequest, StartSignupResponse);
AUTH_HANDLER(resend_code, ResendCodeRequest, ResendCodeResponse);
AUTH_HANDLER(verify_code, VerifyCodeRequest, VerifyCodeResponse);
AUTH_HANDLER(create_account, CreateAccountRequest, CreateAccountResponse);
AUTH_HANDLER(register_account, RegisterRequest, RegisterResponse);
AUTH_HANDLER(login, LoginRequest, LoginResponse);
AUTH_HANDLER(validate_session, ValidateSessionRequest, ValidateSessionResponse);
AUTH_HANDLER(logout, LogoutRequest, LogoutResponse);
AUTH_HANDLER(start_password_reset, StartPasswordResetRequest, StartPasswordResetResponse);
AUTH_HANDLER(complete_password_reset, CompletePasswordResetRequest,
    CompletePasswordResetResponse);

/* Decimal text of v in buf (a char array) for a statement parameter; evaluates to buf. */
#define AUTH_ITOA(buf, v) ((void) snprintf(buf, sizeof buf, "%d", (int) (v)), (const char *) buf)

/* Short names for the generated enums, used by every handler. */
#define CODE(x)   PHONEAUTH__V1__CODE__##x
#define REASON(x) PHONEAUTH__V1__REASON__##x

#endif
