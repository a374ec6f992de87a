/* main.c: phoneauth-auth: serves the Auth RPCs (and /healthz, /metrics), or runs `migrate` and
 * `check-config`. Configuration comes only from the environment. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "admin.h"
#include "auditchain.h"
#include "auth.h"
#include "common/http.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/migrate.h"
#include "common/phone.h"
#include "common/workq.h"
#include "flows.h"
#include "health.h"
#include "jobs.h"
#include "pump.h"
#include "retention.h"
#include "verifier.h"

static const char usage[]
    = "usage: phoneauth-auth [serve | migrate | check-config] [--help] [--version]\n"
      "\n"
      "  serve          answer Auth RPCs on PHONEAUTH_RPC_URL (the default command)\n"
      "  migrate        apply migrations/NNNN_*.sql that the database lacks, then exit\n"
      "  check-config   print the effective configuration (secrets as set/missing)\n"
      "\n"
      "Configuration is read from environment variables; see README.md.\n";

static const char *
env_get(const char *name)
{
	return getenv(name);
}

static void *
worker_init(void *arg)
{
	struct auth_app    *app = arg;
	struct auth_worker *w   = calloc(1, sizeof *w);

	if (w == NULL)
		return NULL;
	w->app = app;
	if (pa_db_new(&w->db, app->cfg.database_url) != PA_OK) {
		free(w);
		return NULL;
	}
	/* Connect now so the first calls do not pay for it; a failure is retried on use. */
	(void) !pa_db_ready(w->db);
	return w;
}

static void
worker_fini(void *state, void *arg)
{
	struct auth_worker *w = state;

	if (w == NULL)
		return;
	pa_db_free(w->db);
	free(w);
}

/* Runs on its own thread with its own connection, so /healthz tells the truth even when no RPC
 * has come in (a freshly started or idle service); the check is cached like Health's. */
static void
http_healthz(
    void *state, const struct pa_http_request *req, struct pa_http_response *res, void *arg)
{
	struct auth_worker *w = state;
	bool                ok;

	(void) arg;
	if (w == NULL) {
		res->status = 503;
		pa_strbuf_printf(&res->body, "no database connection\n");
		return;
	}
	auth_health_refresh(w);
	ok = w->db_ok;

	res->status = ok ? 200 : 503;
	pa_strbuf_printf(&res->body, "%s\n", ok ? "ok" : "database unavailable");
}

struct metrics_sources {
	struct pa_rpc_server  *rpc;
	struct auth_app       *app;
	struct auth_retention *retention;
};

static void
http_metrics(
    void *state, const struct pa_http_request *req, struct pa_http_response *res, void *arg)
{
	struct metrics_sources *m = arg;

	res->content_type = "text/plain; version=0.0.4";
	pa_metrics_header(
	    &res->body, "phoneauth_build_info", "gauge", "Version of phoneauth-auth.");
	pa_strbuf_printf(&res->body, "phoneauth_build_info{version=\"%s\"} 1\n", PHONEAUTH_VERSION);
	pa_metrics_header(&res->body, "phoneauth_database_up", "gauge",
	    "Whether the last database check succeeded.");
	pa_strbuf_printf(
	    &res->body, "phoneauth_database_up %d\n", atomic_load(&m->app->db_ok) ? 1 : 0);
	pa_rpc_server_write_metrics(&res->body, m->rpc);
	auth_auditchain_write_metrics(&res->body, m->app->chain);
	auth_retention_write_metrics(&res->body, m->retention);
	auth_pump_write_metrics(&res->body, m->app->pump);
}

static int
cmd_migrate(struct auth_app *app)
{
	struct pa_migrate_result r;
	struct pa_db            *db;
	char                     err[512];
	pa_err                   rv;
	time_t                   give_up = time(NULL) + app->cfg.db_wait_s;

	if (pa_db_new(&db, app->cfg.database_url) != PA_OK)
		return 1;
	while ((rv = pa_db_ready(db)) == PA_EUNAVAILABLE && time(NULL) < give_up) {
		struct timespec ts = { 0, 200 * 1000000L };

		(void) nanosleep(&ts, NULL);
	}
	if (rv != PA_OK) {
		pa_log_error("migrate_failed", "error=\"cannot connect to the database\" detail=%s",
		    pa_log_value(err, sizeof err, pa_db_errmsg(db)));
		pa_db_free(db);
		return 1;
	}
	rv = pa_migrate(&r, db, app->cfg.migrations_dir, err, sizeof err);
	pa_db_free(db);
	if (rv != PA_OK) {
		char v[600];

		pa_log_error("migrate_failed", "error=%s detail=%s", pa_err_name(rv),
		    pa_log_value(v, sizeof v, err));
		return 1;
	}
	pa_log_info("migrated", "applied=%u version=%u", r.applied, r.current);
	return 0;
}

static int
cmd_serve(struct auth_app *app)
{
	struct pa_rpc_server     *rpc = NULL, *admin = NULL;
	struct pa_http           *http = NULL;
	struct pa_workq          *hq   = NULL;
	struct pa_workq_opts      hqo  = { .threads = 1,
		      .capacity                     = 64,
		      .init                         = worker_init,
		      .fini                         = worker_fini,
		      .run                          = pa_http_run_job,
		      .arg                          = app };
	struct metrics_sources    ms   = { .app = app };
	struct pa_rpc_service     svc  = auth_service(app);
	struct pa_rpc_server_opts o    = {
		   .url            = app->cfg.rpc_url,
		   .name           = "auth",
		   .max_msg_bytes  = (size_t) app->cfg.max_msg_bytes,
		   .contexts       = (unsigned) app->cfg.contexts,
		   .fast_workers   = (unsigned) app->cfg.fast_workers,
		   .slow_workers   = (unsigned) app->cfg.slow_workers,
		   .queue_capacity = (unsigned) app->cfg.queue_capacity,
		   .slow_per_key   = (unsigned) app->cfg.slow_per_ip,
		   .slow_in_flight = (unsigned) app->cfg.slow_in_flight,
		   .worker_init    = worker_init,
		   .worker_fini    = worker_fini,
		   .worker_arg     = app,
		   .tls            = &app->tls,
	};
	char     err[300], v[320];
	sigset_t set;
	int      sig = 0, status = 1;

	/* Every thread started from here on inherits the blocked set, so only sigwait sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (auth_jobs_open(&app->jobs, app->cfg.jobs_url, &app->tls, err, sizeof err) != PA_OK) {
		pa_log_error(
		    "start_failed", "listener=jobs error=%s", pa_log_value(v, sizeof v, err));
		return 1;
	}
	if (auth_verifier_start(&app->verifier, &app->cfg, &app->tls, err, sizeof err) != PA_OK) {
		auth_jobs_close(app->jobs);
		pa_log_error("start_failed", "listener=verify_check error=%s",
		    pa_log_value(v, sizeof v, err));
		return 1;
	}
	if (pa_rpc_server_start(&rpc, &o, &svc, err, sizeof err) != PA_OK) {
		auth_verifier_stop(app->verifier);
		auth_jobs_close(app->jobs);
		pa_log_error(
		    "start_failed", "listener=auth error=%s", pa_log_value(v, sizeof v, err));
		return 1;
	}
	ms.rpc = rpc;
	if (app->cfg.admin_token == NULL || app->cfg.admin_token[0] == '\0') {
		pa_log_warn("admin_disabled", "reason=%s",
		    "\"PHONEAUTH_ADMIN_TOKEN is not set: no Admin listener\"");
	} else {
		struct pa_rpc_service     asvc = auth_admin_service(app);
		struct pa_rpc_server_opts ao   = o;

		ao.url            = app->cfg.admin_url;
		ao.name           = "admin";
		ao.contexts       = 16;
		ao.fast_workers   = 2;
		ao.slow_workers   = 1;
		ao.slow_in_flight = 0; /* the Admin service has its token and no end users */
		if (pa_rpc_server_start(&admin, &ao, &asvc, err, sizeof err) != PA_OK) {
			pa_log_error("start_failed", "listener=admin error=%s",
			    pa_log_value(v, sizeof v, err));
			goto out_stop;
		}
	}
	if (app->audit_signing && auth_auditchain_start(&app->chain, app) != PA_OK) {
		pa_log_error("start_failed", "component=audit_chain error=%s", "\"out of memory\"");
		goto out_stop;
	}
	if (auth_retention_start(&ms.retention, app) != PA_OK) {
		pa_log_error("start_failed", "component=retention error=%s", "\"out of memory\"");
		goto out_stop;
	}
	if (!app->audit_signing)
		pa_log_warn("audit_unsigned", "reason=%s",
		    "\"PHONEAUTH_AUDIT_KEY is not set: audit rows are append-only but not "
		    "signed\"");
	if (pa_workq_new(&hq, &hqo) != PA_OK || pa_http_new(&http, app->cfg.http_addr, hq) != PA_OK
	    || pa_http_route(http, "GET", "/healthz", http_healthz, app, true) != PA_OK
	    || pa_http_route(http, "GET", "/metrics", http_metrics, &ms, false) != PA_OK
	    || pa_http_start(http) != PA_OK) {
		pa_log_error("start_failed", "listener=http addr=%s error=\"cannot listen\"",
		    app->cfg.http_addr);
		goto out_stop;
	}
	pa_log_info("listening",
	    "rpc=%s admin=%s http=%s jobs=%s workers=%d slow_workers=%d "
	    "profile=%s version=%s",
	    app->cfg.rpc_url, admin != NULL ? app->cfg.admin_url : "off", app->cfg.http_addr,
	    app->cfg.jobs_url, app->cfg.fast_workers, app->cfg.slow_workers, app->policy.name,
	    PHONEAUTH_VERSION);
	while (sigwait(&set, &sig) != 0 && errno == EINTR)
		;
	pa_log_info("stopping", "signal=%s", sig == SIGTERM ? "TERM" : "INT");
	status = 0;
out_stop:
	/* HTTP first: its metrics page reads the RPC server. Stop it before the queue its
	 * /healthz jobs wait on. */
	pa_http_stop(http);
	pa_workq_free(hq);
	pa_http_free(http);
	if (pa_rpc_server_stop(admin) == PA_ETIMEDOUT)
		pa_log_warn("close_timeout", "listener=admin detail=%s",
		    "\"NNG did not close the socket within 1 s (nanomsg/nng#1543); exiting "
		    "anyway\"");
	if (pa_rpc_server_stop(rpc) == PA_ETIMEDOUT)
		pa_log_warn("close_timeout", "listener=auth detail=%s",
		    "\"NNG did not close the socket within 1 s (nanomsg/nng#1543); exiting "
		    "anyway\"");
	auth_jobs_close(app->jobs);
	auth_verifier_stop(app->verifier);
	auth_retention_stop(ms.retention);
	/* Last, so the rows the drained calls wrote are signed too. */
	auth_auditchain_stop(app->chain);
	if (status == 0)
		pa_log_info("stopped", "%s", "");
	return status;
}

/* Loads the profile and the keyrings; a bad value stops the program with one line naming it.
 * `migrate` needs neither, so an operator can migrate before keys are provisioned. */
static int
load_secrets(struct auth_app *app, char *err, size_t errsz)
{
	const struct {
		const char        *env;
		const char        *spec;
		struct pa_keyring *kr;
	} rings[] = {
		{ "PHONEAUTH_OTP_KEY", app->cfg.otp_key, &app->otp_keys },
		{ "PHONEAUTH_OUTBOX_KEY", app->cfg.outbox_key, &app->outbox_keys },
		{ "PHONEAUTH_TOKEN_KEY", app->cfg.token_key, &app->token_keys },
	};

	for (size_t i = 0; i < sizeof rings / sizeof rings[0]; i++) {
		if (rings[i].spec == NULL
		    || pa_keyring_parse(rings[i].kr, rings[i].spec) != PA_OK) {
			(void) snprintf(err, errsz,
			    "%s must be 1 to 8 comma-separated 32-byte keys, each 64 hex "
			    "characters "
			    "or 44 base64 characters",
			    rings[i].env);
			return -1;
		}
	}
	if (app->cfg.client_token != NULL && app->cfg.client_token[0] != '\0'
	    && strlen(app->cfg.client_token) < 32) {
		(void) snprintf(err, errsz,
		    "PHONEAUTH_CLIENT_TOKEN must be at least 32 characters "
		    "(unset it to accept calls without one)");
		return -1;
	}
	if (app->cfg.admin_token != NULL && app->cfg.admin_token[0] != '\0'
	    && strlen(app->cfg.admin_token) < 32) {
		(void) snprintf(err, errsz,
		    "PHONEAUTH_ADMIN_TOKEN must be at least 32 characters "
		    "(unset it to run without the Admin listener)");
		return -1;
	}
	if (app->cfg.audit_key != NULL && app->cfg.audit_key[0] != '\0') {
		struct pa_keyring seed = { 0 };
		int bad = pa_keyring_parse(&seed, app->cfg.audit_key) != PA_OK || seed.n != 1
		    || crypto_sign_seed_keypair(app->audit_pk, app->audit_sk, seed.key[0]) != 0;

		pa_keyring_wipe(&seed);
		if (bad) {
			(void) snprintf(err, errsz,
			    "PHONEAUTH_AUDIT_KEY must be one 32-byte key, 64 hex "
			    "characters or 44 base64 characters");
			return -1;
		}
		app->audit_signing = true;
	}
	if (!pa_phone_region_known(app->cfg.default_region)) {
		(void) snprintf(err, errsz,
		    "PHONEAUTH_DEFAULT_REGION must be a region code like US or GB "
		    "(got \"%s\")",
		    app->cfg.default_region);
		return -1;
	}
	if (app->cfg.allowed_countries[0] != '\0'
	    && !pa_phone_regions_valid(app->cfg.allowed_countries)) {
		(void) snprintf(err, errsz,
		    "PHONEAUTH_ALLOWED_COUNTRIES must be a comma list of region "
		    "codes like US,CA");
		return -1;
	}
	if (auth_pump_init(app, err, errsz) != 0)
		return -1;
	if (pa_policy_load(&app->policy, env_get, err, errsz) != PA_OK
	    || pa_policy_langs_load(&app->policy, &app->langs) != PA_OK
	    || auth_test_numbers_parse(app->cfg.test_numbers, &app->tests, err, errsz) != PA_OK)
		return -1;
	/* A fixed code is a back door in production: the profile must say it wants them. */
	if (auth_test_numbers_check(&app->tests,
	        app->policy.reset_code_length > app->policy.code_length
	            ? app->policy.reset_code_length
	            : app->policy.code_length,
	        err, errsz)
	    != PA_OK)
		return -1;
	if (app->tests.n > 0 && !app->policy.test_numbers_allowed) {
		pa_errf(err, errsz,
		    "PHONEAUTH_TEST_NUMBERS is set but the profile does not allow test numbers "
		    "(PHONEAUTH_ALLOW_TEST_NUMBERS=true)");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct auth_app app;
	enum pa_log_level      level;
	const char            *cmd = "serve";
	char                   err[300];
	int                    status;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("phoneauth-auth %s\n", PHONEAUTH_VERSION);
			return 0;
		}
		if (i > 1 || argv[i][0] == '-') {
			fprintf(
			    stderr, "phoneauth-auth: unknown argument '%s'\n%s", argv[i], usage);
			return 2;
		}
		cmd = argv[i];
	}
	if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "migrate") != 0
	    && strcmp(cmd, "check-config") != 0) {
		fprintf(stderr, "phoneauth-auth: unknown command '%s'\n%s", cmd, usage);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "phoneauth-auth: libsodium failed to initialise\n");
		return 1;
	}
	/* Before any thread: the captcha check (captcha.c) uses libcurl from the workers. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "phoneauth-auth: libcurl failed to initialise\n");
		return 1;
	}
	if (pa_conf_load(&app.cfg, auth_config_items, auth_config_nitems, env_get, err, sizeof err)
	    != PA_OK) {
		fprintf(stderr, "phoneauth-auth: %s\n", err);
		pa_conf_free(&app.cfg, auth_config_items, auth_config_nitems);
		return 2;
	}
	if (pa_log_level_parse(app.cfg.log_level, &level) != 0) {
		fprintf(stderr,
		    "phoneauth-auth: PHONEAUTH_LOG_LEVEL must be debug, info, warn, "
		    "error or off\n");
		pa_conf_free(&app.cfg, auth_config_items, auth_config_nitems);
		return 2;
	}
	pa_log_set_level(level);
	if (strcmp(cmd, "migrate") != 0 && load_secrets(&app, err, sizeof err) != 0) {
		fprintf(stderr, "phoneauth-auth: %s\n", err);
		status = 2;
		goto out_free;
	}
	app.tls = (struct pa_tls_opts) { .cert_file = app.cfg.tls_cert,
		.key_file                           = app.cfg.tls_key,
		.ca_file                            = app.cfg.tls_ca };

	if (strcmp(cmd, "check-config") == 0) {
		pa_conf_print(stdout, &app.cfg, auth_config_items, auth_config_nitems);
		pa_policy_print(stdout, &app.policy);
		if (app.audit_signing) {
			char hex[2 * sizeof app.audit_pk + 1];

			printf("audit public key: %s\n",
			    sodium_bin2hex(hex, sizeof hex, app.audit_pk, sizeof app.audit_pk));
		}
		status = 0;
	} else if (strcmp(cmd, "migrate") == 0) {
		status = cmd_migrate(&app);
	} else {
		status = cmd_serve(&app);
	}
out_free:
	pa_keyring_wipe(&app.otp_keys);
	pa_keyring_wipe(&app.outbox_keys);
	pa_keyring_wipe(&app.token_keys);
	sodium_memzero(app.audit_sk, sizeof app.audit_sk);
	pa_policy_langs_free(&app.langs);
	pa_policy_free(&app.policy);
	auth_test_numbers_clear(&app.tests);
	auth_pump_free(&app);
	pa_conf_free(&app.cfg, auth_config_items, auth_config_nitems);
	curl_global_cleanup();
	return status;
}
