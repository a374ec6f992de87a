/* main.c: phoneauth-sms-worker: reads the configuration, opens the job socket (jobs.c) into the
 * send loop (engine.c), serves Twilio's status callbacks, /healthz and /metrics (status.c) on
 * their own threads and database connections, and stops cleanly on SIGTERM. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "common/http.h"
#include "common/log.h"
#include "common/workq.h"
#include "config.h"
#include "engine.h"
#include "jobs.h"
#include "status.h"
#include "vcheck.h"

static const char usage[]
    = "usage: phoneauth-sms-worker [run | check-config] [--help] [--version]\n"
      "\n"
      "  run            pull SMS jobs and send them (the default command)\n"
      "  check-config   check and print the effective configuration (secrets as set/missing)\n"
      "\n"
      "PHONEAUTH_SMS_BACKEND=twilio (the default) sends through Twilio and needs "
      "TWILIO_ACCOUNT_SID,\n"
      "TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET) and "
      "TWILIO_MESSAGING_SERVICE_SID\n"
      "(or TWILIO_FROM). PHONEAUTH_SMS_BACKEND=console prints messages instead (development).\n";

static atomic_bool stopping;

static const char *
env_get(const char *name)
{
	return getenv(name);
}

struct signals {
	sigset_t            set;
	struct smsw_engine *engine;
};

static void *
signal_main(void *arg)
{
	struct signals *s   = arg;
	int             sig = 0;

	while (sigwait(&s->set, &sig) != 0 && errno == EINTR)
		;
	pa_log_info("stopping", "signal=%s", sig == SIGTERM ? "TERM" : "INT");
	atomic_store(&stopping, true);
	smsw_engine_wakeup(s->engine);
	return NULL;
}

/* Each callback thread has its own database connection. */
static void *
cb_thread_init(void *arg)
{
	struct smsw  *w  = arg;
	struct pa_db *db = NULL;

	if (pa_db_new(&db, w->cfg.database_url) != PA_OK)
		return NULL;
	return db;
}

static void
cb_thread_fini(void *state, void *arg)
{
	(void) arg;
	pa_db_free(state);
}

static int
run(struct smsw *w)
{
	struct smsw_jobs     jobs   = { .sock = NNG_SOCKET_INITIALIZER };
	struct signals       sigs   = { 0 };
	struct smsw_engine  *engine = NULL;
	struct smsw_vcheck  *vcheck = NULL;
	struct pa_workq     *cbq    = NULL;
	struct pa_http      *http   = NULL;
	struct pa_workq_opts qo     = { .threads = (unsigned) w->cfg.callback_threads,
		    .capacity                    = 1024,
		    .init                        = cb_thread_init,
		    .fini                        = cb_thread_fini,
		    .run                         = pa_http_run_job,
		    .arg                         = w };
	pthread_t            sig_thread;
	int                  status = 1;

	sigemptyset(&sigs.set);
	sigaddset(&sigs.set, SIGINT);
	sigaddset(&sigs.set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs.set, NULL);
	if (smsw_engine_new(&engine, w) != PA_OK) {
		pa_log_error("start_failed", "error=\"cannot set up libcurl\"");
		return 1;
	}
	sigs.engine = engine;
	jobs.engine = engine;
	if (pa_workq_new(&cbq, &qo) != PA_OK || pa_http_new(&http, w->cfg.http_addr, cbq) != PA_OK
	    || smsw_status_routes(http, &w->cfg) != PA_OK || pa_http_start(http) != PA_OK) {
		pa_log_error("start_failed", "listener=http addr=%s error=\"cannot listen\"",
		    w->cfg.http_addr);
		goto out;
	}
	if (smsw_jobs_open(&jobs, &w->cfg) != 0)
		goto out;
	if (smsw_vcheck_start(&vcheck, &w->cfg) != PA_OK) {
		pa_log_error("start_failed", "listener=verify_check error=\"cannot dial %s\"",
		    w->cfg.verify_check_urls);
		goto out;
	}
	if (pthread_create(&sig_thread, NULL, signal_main, &sigs) != 0)
		goto out;
	pa_log_info("listening",
	    "jobs=%s http=%s backend=%s concurrency=%d worker_id=%s version=%s", w->cfg.jobs_urls,
	    w->cfg.http_addr, w->cfg.backend, w->cfg.concurrency, w->id, PHONEAUTH_VERSION);
	smsw_engine_run(engine, &stopping);
	pthread_join(sig_thread, NULL);
	status = 0;
out:
	smsw_vcheck_stop(vcheck);
	smsw_jobs_close(&jobs);
	/* Queued callbacks point into the server: stop it, finish them, then free it. */
	pa_http_stop(http);
	pa_workq_free(cbq);
	pa_http_free(http);
	smsw_engine_free(engine);
	pa_log_info("stopped", "status=%d", status);
	return status;
}

int
main(int argc, char **argv)
{
	static struct smsw w;
	enum pa_log_level  level;
	const char        *cmd = "run";
	char               err[600];
	int                status = 2;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("phoneauth-sms-worker %s\n", PHONEAUTH_VERSION);
			return 0;
		}
		if (i > 1
		    || (strcmp(argv[i], "run") != 0 && strcmp(argv[i], "check-config") != 0)) {
			fprintf(stderr, "phoneauth-sms-worker: unknown argument '%s'\n%s", argv[i],
			    usage);
			return 2;
		}
		cmd = argv[i];
	}
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	if (pa_conf_load(&w.cfg, smsw_config_items, smsw_config_nitems, env_get, err, sizeof err)
	    != PA_OK) {
		fprintf(stderr, "phoneauth-sms-worker: %s\n", err);
		goto out_free;
	}
	if (pa_log_level_parse(w.cfg.log_level, &level) != 0) {
		fprintf(stderr,
		    "phoneauth-sms-worker: PHONEAUTH_LOG_LEVEL must be debug, info, warn, "
		    "error or off\n");
		goto out_free;
	}
	pa_log_set_level(level);
	if (pa_keyring_parse(&w.outbox_keys, w.cfg.outbox_key) != PA_OK) {
		fprintf(stderr,
		    "phoneauth-sms-worker: PHONEAUTH_OUTBOX_KEY must be 1 to 8 "
		    "comma-separated 32-byte keys (64 hex or 44 base64 characters)\n");
		goto out_free;
	}
	if (strcmp(w.cfg.backend, "twilio") == 0) {
		if (smsw_config_check_twilio(&w.cfg, err, sizeof err) != PA_OK) {
			fprintf(stderr, "phoneauth-sms-worker: %s\n", err);
			goto out_free;
		}
	} else if (strcmp(w.cfg.backend, "console") != 0) {
		fprintf(stderr,
		    "phoneauth-sms-worker: PHONEAUTH_SMS_BACKEND must be twilio or "
		    "console\n");
		goto out_free;
	}
	if (strcmp(cmd, "check-config") == 0) {
		pa_conf_print(stdout, &w.cfg, smsw_config_items, smsw_config_nitems);
		status = 0;
		goto out_free;
	}
	if (strcmp(w.cfg.backend, "console") == 0)
		pa_log_warn("console_mode", "msg=%s",
		    "\"PHONEAUTH_SMS_BACKEND=console: messages are printed on stdout and NOT "
		    "sent\"");
	if (gethostname(w.host, sizeof w.host) != 0)
		(void) snprintf(w.host, sizeof w.host, "unknown");
	{
		unsigned char r[4];
		char          hex[9];

		randombytes_buf(r, sizeof r);
		(void) sodium_bin2hex(hex, sizeof hex, r, sizeof r);
		(void) snprintf(w.id, sizeof w.id, "%s:%d:%s", w.host, (int) getpid(), hex);
	}
	if (pa_db_new(&w.db, w.cfg.database_url) != PA_OK) {
		status = 1;
		goto out_free;
	}
	status = run(&w);
	pa_db_free(w.db);
out_free:
	pa_keyring_wipe(&w.outbox_keys);
	pa_conf_free(&w.cfg, smsw_config_items, smsw_config_nitems);
	curl_global_cleanup();
	return status;
}
