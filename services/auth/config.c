/* config.c: every environment variable phoneauth-auth reads, with its default and limits. */
#include <stddef.h>

#include "auth.h"

#define AUTH_STR(env, field, def, flags, help)                                                \
	{                                                                                     \
		env, PA_CONF_STR, offsetof(struct auth_config, field), def, 0, 0, flags, help \
	}
#define AUTH_INT(env, field, def, lo, hi, help)                                             \
	{                                                                                   \
		env, PA_CONF_INT, offsetof(struct auth_config, field), def, lo, hi, 0, help \
	}
#define AUTH_DUR(env, field, def, lo, hi, help)                                                  \
	{                                                                                        \
		env, PA_CONF_DURATION, offsetof(struct auth_config, field), def, lo, hi, 0, help \
	}

const struct pa_conf_item auth_config_items[] = {
	/* Secret: a URL may carry the password. */
	{ "DATABASE_URL", PA_CONF_SECRET, offsetof(struct auth_config, database_url), NULL, 0, 0,
	    PA_CONF_REQUIRED, "PostgreSQL connection (libpq URI or conninfo)" },
	AUTH_STR("PHONEAUTH_RPC_URL", rpc_url, "tcp://127.0.0.1:7400", 0,
	    "where the Auth service listens (tcp://, ipc://, tls+tcp://)"),
	AUTH_STR("PHONEAUTH_ADMIN_URL", admin_url, "tcp://127.0.0.1:7401", 0,
	    "where the Admin service listens"),
	{ "PHONEAUTH_ADMIN_TOKEN", PA_CONF_SECRET, offsetof(struct auth_config, admin_token), NULL,
	    0, 0, 0,
	    "token every Admin call must carry (32+ characters; unset: no Admin listener)" },
	{ "PHONEAUTH_CLIENT_TOKEN", PA_CONF_SECRET, offsetof(struct auth_config, client_token),
	    NULL, 0, 0, 0, "token every Auth call must carry (32+ characters; unset: none asked)" },
	AUTH_STR("PHONEAUTH_HTTP", http_addr, "127.0.0.1:7480", 0,
	    "host:port of the /healthz and /metrics endpoints"),
	AUTH_STR("PHONEAUTH_JOBS_URL", jobs_url, "tcp://127.0.0.1:7402", 0,
	    "where SMS workers pull send jobs from"),
	AUTH_STR("PHONEAUTH_LOG_LEVEL", log_level, "info", 0, "debug, info, warn or error"),
	AUTH_STR("PHONEAUTH_MIGRATIONS_DIR", migrations_dir, PHONEAUTH_MIGRATIONS_DIR, 0,
	    "directory of NNNN_name.sql files for `migrate`"),
	AUTH_INT("PHONEAUTH_RPC_CONTEXTS", contexts, "256", 1, 8192,
	    "requests received at once per listener"),
	AUTH_INT("PHONEAUTH_RPC_WORKERS", fast_workers, "8", 1, 256,
	    "worker threads (and database connections) for quick calls"),
	AUTH_INT("PHONEAUTH_SLOW_WORKERS", slow_workers, "2", 1, 256,
	    "worker threads for password hashing calls (about one per core)"),
	AUTH_INT("PHONEAUTH_QUEUE_CAPACITY", queue_capacity, "1024", 1, 1000000,
	    "calls waiting per pool before RESOURCE_EXHAUSTED"),
	AUTH_INT("PHONEAUTH_MAX_MSG_BYTES", max_msg_bytes, "65536", 1024, 16777216,
	    "largest request accepted"),
	AUTH_DUR("PHONEAUTH_WORKER_ALIVE", worker_alive_s, "15s", 1, 3600,
	    "an SMS worker seen within this long counts as alive"),
	AUTH_DUR("PHONEAUTH_DB_WAIT", db_wait_s, "10s", 0, 3600,
	    "how long `migrate` waits for the database to come up"),
	AUTH_STR(
	    "PHONEAUTH_TLS_CERT", tls_cert, NULL, 0, "PEM certificate for tls+tcp:// listeners"),
	AUTH_STR("PHONEAUTH_TLS_KEY", tls_key, NULL, 0, "PEM key for PHONEAUTH_TLS_CERT"),
	AUTH_STR("PHONEAUTH_TLS_CA", tls_ca, NULL, 0,
	    "PEM CA that clients must present certificates of (mutual TLS)"),
	{ "PHONEAUTH_OTP_KEY", PA_CONF_SECRET, offsetof(struct auth_config, otp_key), NULL, 0, 0, 0,
	    "32-byte keys (hex or base64), comma-separated: MACs of codes; "
	    "the first makes new ones, all are tried" },
	{ "PHONEAUTH_OUTBOX_KEY", PA_CONF_SECRET, offsetof(struct auth_config, outbox_key), NULL, 0,
	    0, 0, "keys sealing SMS bodies at rest (shared with the SMS worker)" },
	{ "PHONEAUTH_TOKEN_KEY", PA_CONF_SECRET, offsetof(struct auth_config, token_key), NULL, 0,
	    0, 0, "keys hashing session, signup and reset tokens" },
	AUTH_STR("PHONEAUTH_DEFAULT_REGION", default_region, "US", 0,
	    "region for numbers typed without +country code (ISO 3166 alpha-2)"),
	AUTH_STR("PHONEAUTH_ALLOWED_COUNTRIES", allowed_countries, "", 0,
	    "comma list of regions whose mobiles are accepted (empty: the default region)"),
	AUTH_INT("PHONEAUTH_PWHASH_OPS", pwhash_ops, "2", 1, 20, "Argon2id passes"),
	{ "PHONEAUTH_AUDIT_KEY", PA_CONF_SECRET, offsetof(struct auth_config, audit_key), NULL, 0,
	    0, 0,
	    "32-byte Ed25519 seed (hex or base64) signing audit checkpoints; "
	    "unset: the trail is append-only but not signed" },
	AUTH_DUR("PHONEAUTH_AUDIT_EVERY", audit_every_s, "60s", 1, 86400,
	    "how often new audit rows are signed into the chain"),
	AUTH_INT("PHONEAUTH_PWHASH_MEM_KIB", pwhash_mem_kib, "65536", 8, 4194304,
	    "Argon2id memory per hash, KiB"),
	AUTH_INT("PHONEAUTH_IPV6_PREFIX", ipv6_prefix, "64", 16, 128,
	    "leading bits of an IPv6 end_user_ip that per-IP limits count by"),
	{ "PHONEAUTH_TRUST_END_USER_IP", PA_CONF_BOOL,
	    offsetof(struct auth_config, trust_end_user_ip), "false", 0, 0, 0,
	    "trust end_user_ip without PHONEAUTH_CLIENT_TOKEN (a private network only)" },
	AUTH_INT("PHONEAUTH_SLOW_PER_IP", slow_per_ip, "1", 1, 4096,
	    "password-hashing calls one end-user IP may have waiting or running at once"),
	AUTH_INT("PHONEAUTH_SLOW_IN_FLIGHT", slow_in_flight, "64", 1, 4096,
	    "password-hashing calls waiting or running at once, all IPs"),
	AUTH_DUR("PHONEAUTH_RETENTION_EVERY", retention_every_s, "5m", 0, 86400,
	    "how often the retention job deletes expired rows (0: never)"),
	AUTH_DUR("PHONEAUTH_RETAIN_VERIFICATIONS", retain_verifications_s, "7d", 1, 3650 * 86400,
	    "keep a verification this long after it ended"),
	AUTH_DUR("PHONEAUTH_RETAIN_SESSIONS", retain_sessions_s, "30d", 1, 3650 * 86400,
	    "keep a session this long after it expired or was revoked"),
	AUTH_DUR("PHONEAUTH_RETAIN_OUTBOX", retain_outbox_s, "30d", 1, 3650 * 86400,
	    "keep an SMS outbox row (and its status events) this long after its final status"),
	AUTH_DUR("PHONEAUTH_RETAIN_RATE_EVENTS", retain_rate_events_s, "2d", 1, 3650 * 86400,
	    "keep rate-limit events this long (a limit window cannot look further back)"),
	AUTH_DUR("PHONEAUTH_UNVERIFIED_USER_TTL", unverified_user_ttl_s, "7d", 1, 3650 * 86400,
	    "delete a never-verified user this long after it registered, with its codes"),
	AUTH_INT("PHONEAUTH_RETENTION_BATCH", retention_batch, "1000", 1, 100000,
	    "rows the retention job deletes per statement"),
};
const size_t auth_config_nitems = sizeof auth_config_items / sizeof auth_config_items[0];
