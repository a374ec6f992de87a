/* auth.h: what the phoneauth-auth modules share: the configuration, the application, and the
 * state each worker thread owns. */
#ifndef PHONEAUTH_AUTH_H
#define PHONEAUTH_AUTH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"
#include "common/db.h"
#include "common/rpc.h"
#include "common/tls.h"
#include "phoneauth/v1/auth.pb-c.h"

struct auth_config {
	char *database_url;
	char *rpc_url;
	char *admin_url;
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
};

extern const struct pa_conf_item auth_config_items[];
extern const size_t              auth_config_nitems;

struct auth_app {
	struct auth_config           cfg;
	struct pa_tls_opts           tls;
	Phoneauth__V1__Auth_Service  service;
	atomic_bool                  db_ok; /* last Health check by any worker, for /healthz */
	atomic_bool                  sms_alive;
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

/* Method names that run on the slow pool (Argon2). */
extern const char *const auth_slow_methods[];

#endif
