/* config.c: every environment variable phoneauth-sms-worker reads. */
#include <stddef.h>

#include "worker.h"

#define W_STR(env, field, def, flags, help)                                               \
	{ env, PA_CONF_STR, offsetof(struct smsw_config, field), def, 0, 0, flags, help }
#define W_DUR(env, field, def, lo, hi, help)                                              \
	{ env, PA_CONF_DURATION, offsetof(struct smsw_config, field), def, lo, hi, 0, help }

const struct pa_conf_item smsw_config_items[] = {
	{ "DATABASE_URL", PA_CONF_SECRET, offsetof(struct smsw_config, database_url), NULL, 0, 0,
	    PA_CONF_REQUIRED, "PostgreSQL connection (libpq URI or conninfo)" },
	W_STR("PHONEAUTH_JOBS_URL", jobs_urls, "tcp://127.0.0.1:7402", 0,
	    "comma list of auth instances' job URLs to pull from"),
	{ "PHONEAUTH_OUTBOX_KEY", PA_CONF_SECRET, offsetof(struct smsw_config, outbox_key), NULL, 0,
	    0, PA_CONF_REQUIRED, "keys that open SMS bodies (the auth service's PHONEAUTH_OUTBOX_KEY)" },
	W_STR("PHONEAUTH_SMS_BACKEND", backend, "twilio", 0, "twilio, or console for development"),
	W_STR("PHONEAUTH_LOG_LEVEL", log_level, "info", 0, "debug, info, warn or error"),
	W_DUR("PHONEAUTH_LEASE", lease_s, "30s", 5, 3600,
	    "how long a claimed message is ours before another worker may take it"),
	W_DUR("PHONEAUTH_SWEEP", sweep_s, "2s", 1, 3600,
	    "how often to look for messages whose push was missed or whose worker died"),
	W_DUR("PHONEAUTH_HEARTBEAT", heartbeat_s, "5s", 1, 600, "how often to record being alive"),
};
const size_t smsw_config_nitems = sizeof smsw_config_items / sizeof smsw_config_items[0];
