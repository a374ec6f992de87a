/* auth.h: what every phoneauth-auth module shares: the configuration, the application (what lives
 * as long as the process) and the state each worker thread owns. Each module has its own header;
 * ARCHITECTURE.md has the map. */
#ifndef PHONEAUTH_AUTH_H
#define PHONEAUTH_AUTH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sodium.h>

#include "common/config.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/rpc.h"
#include "common/tls.h"
#include "policy.h"
#include "testnum.h"

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
	char *otp_key; /* keyring: codes' MACs */
	char *outbox_key; /* keyring: SMS bodies at rest (the SMS worker holds it too) */
	char *token_key; /* keyring: session, signup and reset token hashes */
	char *default_region;
	char *allowed_countries;
	int   pwhash_ops;
	int   pwhash_mem_kib;
	char *audit_key; /* Ed25519 seed signing audit checkpoints; unset: none are written */
	int   audit_every_s;
	int   ipv6_prefix; /* per-IP limits count an IPv6 caller by this many leading bits */
	bool  trust_end_user_ip; /* trust end_user_ip without a client token (caller.h) */
	int   slow_per_ip; /* slow calls (Argon2) one IP may have in the server at once */
	int   slow_in_flight; /* slow calls in the server at once, all IPs */
	int   retention_every_s; /* retention.h; 0: the job does not run */
	int   retain_verifications_s; /* after a verification ended */
	int   retain_sessions_s; /* after a session expired or was revoked */
	int   retain_outbox_s; /* after an SMS's final status; its status events go with it */
	int   retain_rate_events_s; /* wins over longer rate-limit windows */
	int   unverified_user_ttl_s; /* a never-verified user this old goes, live code or not */
	int   retention_batch; /* rows per DELETE */
	/* The SMS pumping defence (pump.h): breakers, budget, per-IP signal, captcha. */
	char *pump; /* off, record (counts and trips, never refuses), on */
	int pump_prefix_digits; /* digits of the E.164 number after '+' a prefix breaker keys on */
	int pump_day_min, pump_day_ratio; /* unverified a day: max(min, ratio% x verified) */
	int pump_hour_min, pump_hour_divisor, pump_hour_ratio; /* an hour: max(min, daily max /
	                                                        * divisor, ratio% x verified) */
	int pump_cooloff_s, pump_cooloff_max_s; /* a trip's cool-off, doubling per re-trip */
	int pump_ip_countries; /* other destination countries per IP key a day before a
	                        * captcha; 0 = off */
	int   send_budget_hour, send_budget_day; /* SMS for all destinations; 0 = no budget */
	char *captcha; /* off, on-risk, always */
	char *captcha_provider; /* turnstile, hcaptcha */
	char *captcha_secret;
	char *captcha_verify_url; /* "" or NULL: the provider's siteverify */
	int   captcha_timeout_s; /* the whole siteverify request */
	int   captcha_retry_after_s; /* what an UNAVAILABLE answer asks callers to wait */
	/* Who makes and checks codes (issue 16): local (our MACs) or verify (Twilio Verify, through
	 * the SMS workers, which hold the Twilio credentials and dial verify_check_url). */
	char *code_backend;
	char *verify_check_url; /* a REQ socket listens here; workers' REP sockets dial it */
	char *verify_check_token; /* workers must present it (32+ characters) */
	int   verify_check_timeout_s; /* one VerificationCheck, worker and Twilio included */
	char *test_numbers; /* "+15005550006=123456,...": fixed codes, nothing sent */
};

extern const struct pa_conf_item auth_config_items[];
extern const size_t              auth_config_nitems;

struct auth_app {
	struct auth_config       cfg;
	struct pa_tls_opts       tls;
	atomic_bool              db_ok; /* last Health check by any worker, for /healthz */
	atomic_bool              sms_alive;
	_Atomic uint64_t         health_good_at_ns; /* both were up then; 0: not lately */
	struct pa_policy         policy;
	struct pa_keyring        otp_keys;
	struct pa_keyring        outbox_keys;
	struct pa_keyring        token_keys;
	struct auth_jobs        *jobs; /* jobs.h */
	bool                     audit_signing; /* PHONEAUTH_AUDIT_KEY was given */
	unsigned char            audit_sk[crypto_sign_SECRETKEYBYTES];
	unsigned char            audit_pk[crypto_sign_PUBLICKEYBYTES];
	struct auth_auditchain  *chain; /* auditchain.h */
	struct auth_pump        *pump; /* pump.h: the pumping defence's modes and metrics */
	struct auth_test_numbers tests; /* testnum.h: PHONEAUTH_TEST_NUMBERS */
	struct auth_verifier    *verifier; /* verifier.h: Verify checks; NULL with local codes */
};

/* One per worker thread: its own database connection and a cached health check. */
struct auth_worker {
	struct auth_app *app;
	struct pa_db    *db;
	uint64_t         health_at_ns;
	bool             db_ok;
	bool             sms_alive;
};

/* Short names for the generated enums, used by every handler. */
#define CODE(x) PHONEAUTH__V1__CODE__##x
#define REASON(x) PHONEAUTH__V1__REASON__##x

/* Decimal text of v in buf (a char array) for a statement parameter; evaluates to buf. */
#define AUTH_ITOA(buf, v) ((void) snprintf(buf, sizeof buf, "%d", (int) (v)), (const char *) buf)

#endif
