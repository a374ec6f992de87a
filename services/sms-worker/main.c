/* main.c: phoneauth-sms-worker: pulls outbox ids pushed by auth instances, claims each row with a
 * lease, sends it, and records the outcome; a periodic sweep finds what pushes missed. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <sodium.h>

#include "common/log.h"
#include "common/nngutil.h"
#include "common/metrics.h"
#include "phoneauth/v1/sms.pb-c.h"
#include "worker.h"

#define SWEEP_BATCH 256

static const char usage[] =
    "usage: phoneauth-sms-worker [run | check-config] [--help] [--version]\n"
    "\n"
    "  run            pull SMS jobs and send them (the default command)\n"
    "  check-config   print the effective configuration (secrets as set/missing)\n"
    "\n"
    "PHONEAUTH_SMS_BACKEND=console prints messages instead of sending them (development).\n";

static atomic_bool stopping;

static const char *
env_get(const char *name)
{
	return getenv(name);
}

static void *
signal_main(void *arg)
{
	sigset_t *set = arg;
	int       sig = 0;

	while (sigwait(set, &sig) != 0 && errno == EINTR)
		;
	pa_log_info("stopping", "signal=%s", sig == SIGTERM ? "TERM" : "INT");
	atomic_store(&stopping, true);
	return NULL;
}

/* Console backend: shows the message to the developer; nothing leaves the machine. */
static pa_err
send_console(struct smsw *w, const struct smsw_job *j)
{
	char masked[PA_PHONE_MASK_MAX];

	printf("----- SMS NOT SENT (console mode) -----\nto:   %s\n%s\n"
	       "---------------------------------------\n",
	    pa_phone_mask(j->phone, masked), j->body);
	(void) fflush(stdout);
	return smsw_finish_sent(w, j, NULL, "console");
}

static void
handle(struct smsw *w, int64_t id)
{
	struct smsw_job j;
	char            masked[PA_PHONE_MASK_MAX];
	pa_err          rv = smsw_claim(w, id, &j);

	if (rv == PA_ENOTFOUND)
		return;
	if (rv != PA_OK) {
		pa_log_warn("claim_failed", "outbox_id=%lld error=%s", (long long) id, pa_err_name(rv));
		return;
	}
	rv = send_console(w, &j);
	if (rv == PA_OK)
		pa_log_info("sms_sent", "outbox_id=%lld phone=%s backend=console", (long long) id,
		    pa_phone_mask(j.phone, masked));
	else
		pa_log_warn("sms_record_failed", "outbox_id=%lld error=%s", (long long) id,
		    pa_err_name(rv));
	smsw_job_clear(&j);
}

static int
pull_open(nng_socket *sock, const char *urls)
{
	char *list = strdup(urls), *save = NULL;
	int   rv   = 0;

	if (list == NULL)
		return NNG_ENOMEM;
	if ((rv = nng_pull0_open(sock)) != 0 ||
	    (rv = nng_socket_set_ms(*sock, NNG_OPT_RECVTIMEO, 500)) != 0 ||
	    (rv = nng_socket_set_ms(*sock, NNG_OPT_RECONNMAXT, 2000)) != 0)
		goto out;
	for (char *u = strtok_r(list, ",", &save); u != NULL; u = strtok_r(NULL, ",", &save)) {
		/* Non-blocking: an auth instance that is not up yet is dialed again later. */
		if ((rv = nng_dial(*sock, u, NULL, NNG_FLAG_NONBLOCK)) != 0) {
			pa_log_error("start_failed", "jobs_url=%s error=\"%s\"", u, nng_strerror(rv));
			goto out;
		}
	}
out:
	free(list);
	return rv;
}

static int
run(struct smsw *w)
{
	nng_socket sock = NNG_SOCKET_INITIALIZER;
	pthread_t  sig_thread;
	sigset_t   set;
	uint64_t   next_sweep = 0, next_beat = 0;
	int64_t    ids[SWEEP_BATCH];

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&sig_thread, NULL, signal_main, &set) != 0)
		return 1;
	if (pull_open(&sock, w->cfg.jobs_urls) != 0) {
		pthread_kill(sig_thread, SIGTERM);
		pthread_join(sig_thread, NULL);
		return 1;
	}
	pa_log_info("listening", "jobs=%s backend=%s worker_id=%s version=%s", w->cfg.jobs_urls,
	    w->cfg.backend, w->id, PHONEAUTH_VERSION);
	while (!atomic_load(&stopping)) {
		uint64_t now = pa_now_ns();
		char    *buf = NULL;
		size_t   len = 0;
		int      rv;

		if (now >= next_beat) {
			if (smsw_heartbeat(w) != PA_OK)
				pa_log_warn("heartbeat_failed", "sqlstate=%s", pa_db_sqlstate(w->db));
			next_beat = now + (uint64_t) w->cfg.heartbeat_s * 1000000000u;
		}
		if (now >= next_sweep) {
			int n = 0;

			if (smsw_sweep(w, ids, SWEEP_BATCH, &n) == PA_OK)
				for (int i = 0; i < n && !atomic_load(&stopping); i++)
					handle(w, ids[i]);
			next_sweep = now + (uint64_t) w->cfg.sweep_s * 1000000000u;
		}
		rv = nng_recv(sock, &buf, &len, NNG_FLAG_ALLOC);
		if (rv == 0) {
			Phoneauth__V1__SmsJob *job =
			    phoneauth__v1__sms_job__unpack(NULL, len, (uint8_t *) buf);

			nng_free(buf, len);
			if (job == NULL) {
				pa_log_warn("bad_job", "bytes=%zu", len);
				continue;
			}
			handle(w, (int64_t) job->outbox_id);
			phoneauth__v1__sms_job__free_unpacked(job, NULL);
		} else if (rv != NNG_ETIMEDOUT) {
			pa_log_warn("recv_failed", "error=\"%s\"", nng_strerror(rv));
		}
	}
	(void) pa_nng_close_bounded(sock, 1000);
	pthread_join(sig_thread, NULL);
	pa_log_info("stopped", "%s", "");
	return 0;
}

/* Twilio mode needs credentials and a sender; say which are missing in one line. */
static int
check_twilio(char *err, size_t errsz)
{
	const char *sid = getenv("TWILIO_ACCOUNT_SID"), *tok = getenv("TWILIO_AUTH_TOKEN");
	const char *key = getenv("TWILIO_API_KEY"), *sec = getenv("TWILIO_API_SECRET");
	const char *svc = getenv("TWILIO_MESSAGING_SERVICE_SID"), *from = getenv("TWILIO_FROM");
	bool        auth = (tok && *tok) || (key && *key && sec && *sec);

	if (!(sid && *sid) || !auth || !((svc && *svc) || (from && *from))) {
		(void) snprintf(err, errsz,
		    "PHONEAUTH_SMS_BACKEND=twilio needs%s%s%s (or PHONEAUTH_SMS_BACKEND=console for "
		    "development)",
		    (sid && *sid) ? "" : " TWILIO_ACCOUNT_SID",
		    auth ? "" : " TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET)",
		    ((svc && *svc) || (from && *from)) ? "" :
		                                         " TWILIO_MESSAGING_SERVICE_SID (or TWILIO_FROM)");
		return -1;
	}
	(void) snprintf(err, errsz, "the twilio backend is not in this build yet; "
	                            "use PHONEAUTH_SMS_BACKEND=console");
	return -1;
}

int
main(int argc, char **argv)
{
	static struct smsw w;
	enum pa_log_level  level;
	const char        *cmd = "run";
	char               err[400];
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
		if (i > 1 || (strcmp(argv[i], "run") != 0 && strcmp(argv[i], "check-config") != 0)) {
			fprintf(stderr, "phoneauth-sms-worker: unknown argument '%s'\n%s", argv[i],
			    usage);
			return 2;
		}
		cmd = argv[i];
	}
	if (sodium_init() < 0)
		return 1;
	if (pa_conf_load(&w.cfg, smsw_config_items, smsw_config_nitems, env_get, err, sizeof err) !=
	    PA_OK) {
		fprintf(stderr, "phoneauth-sms-worker: %s\n", err);
		goto out_free;
	}
	if (pa_log_level_parse(w.cfg.log_level, &level) != 0) {
		fprintf(stderr, "phoneauth-sms-worker: PHONEAUTH_LOG_LEVEL must be debug, info, warn, "
		                "error or off\n");
		goto out_free;
	}
	pa_log_set_level(level);
	if (pa_keyring_parse(&w.outbox_keys, w.cfg.outbox_key) != PA_OK) {
		fprintf(stderr, "phoneauth-sms-worker: PHONEAUTH_OUTBOX_KEY must be 1 to 8 "
		                "comma-separated 32-byte keys (64 hex or 44 base64 characters)\n");
		goto out_free;
	}
	if (strcmp(w.cfg.backend, "console") != 0) {
		if (strcmp(w.cfg.backend, "twilio") != 0)
			(void) snprintf(err, sizeof err, "PHONEAUTH_SMS_BACKEND must be twilio or console");
		else
			(void) check_twilio(err, sizeof err);
		fprintf(stderr, "phoneauth-sms-worker: %s\n", err);
		goto out_free;
	}
	if (strcmp(cmd, "check-config") == 0) {
		pa_conf_print(stdout, &w.cfg, smsw_config_items, smsw_config_nitems);
		status = 0;
		goto out_free;
	}
	pa_log_warn("console_mode", "msg=%s",
	    "\"PHONEAUTH_SMS_BACKEND=console: messages are printed on stdout and NOT sent\"");
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
	return status;
}
