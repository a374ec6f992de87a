/* stack.c: the processes and the database `make bench` measures (see stack.h). */
#include "stack.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

/* Benchmark-only keys (hex), never used anywhere else. */
#define BENCH_OTP_KEY "62656e63682d6f74702d6b65792d6f6e6c792d666f722d62656e63686d61726b"
#define BENCH_OUTBOX_KEY "62656e63682d6f7574626f782d6b65792d6f6e6c792d666f722d62656e636821"
#define BENCH_TOKEN_KEY "62656e63682d746f6b656e2d6b65792d6f6e6c792d666f722d62656e63686d21"

#define STR2(x) #x
#define STR(x) STR2(x)

static pa_err
failf(char *err, size_t errsz, pa_err rv, const char *what)
{
	(void) snprintf(err, errsz, "%s", what);
	return rv;
}

pa_err
bench_stack_exec(struct bench_stack *s, const char *sql, char *err, size_t errsz)
{
	PGresult *r  = PQexec(s->pg, sql);
	pa_err    rv = PA_OK;

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		(void) snprintf(err, errsz, "%.200s: %s", sql, PQerrorMessage(s->pg));
		rv = PA_EDB;
	}
	PQclear(r);
	return rv;
}

pa_err
bench_stack_analyze(struct bench_stack *s, char *err, size_t errsz)
{
	return bench_stack_exec(s,
	    "ANALYZE users, subscriptions, verifications, sms_outbox, rate_events, audit_events,"
	    " sessions, sms_workers",
	    err, errsz);
}

long long
bench_stack_qlong(struct bench_stack *s, const char *sql)
{
	PGresult *r = PQexec(s->pg, sql);
	long long v = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

pa_err
bench_stack_psql(
    struct bench_stack *s, const char *file, const char *const *vars, char *err, size_t errsz)
{
	const char *argv[32] = { "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", file };
	char        out[4096];
	size_t      n = 7;
	int         st;

	for (size_t i = 0; vars != NULL && vars[i] != NULL && n < 28; i++) {
		argv[n++] = "-v";
		argv[n++] = vars[i];
	}
	argv[n++] = s->db_url;
	argv[n]   = NULL;
	/* harness_run wants a path: psql is found through /usr/bin. */
	argv[0] = "/usr/bin/psql";
	if ((st = harness_run(argv, NULL, out, sizeof out)) != 0) {
		(void) snprintf(err, errsz, "psql -f %s exited %d: %.1500s", file, st, out);
		return PA_EIO;
	}
	return PA_OK;
}

static pa_err
start_pg(struct bench_stack *s, char *err, size_t errsz)
{
	const char *argv[] = { "/bin/bash", PHONEAUTH_PGCLUSTER, "start", s->pgdir, NULL };
	char        out[4096];
	int         st;

	if ((st = harness_run(argv, NULL, out, sizeof out)) != 0) {
		(void) snprintf(
		    err, errsz, "pgcluster.sh start %s exited %d: %.1500s", s->pgdir, st, out);
		return PA_EIO;
	}
	s->pg_started = true;
	if (harness_newdb(s->pgdir, "bench", s->db_url, sizeof s->db_url) != 0)
		return failf(err, errsz, PA_EIO, "cannot create the database 'bench'");
	if (harness_migrate(s->db_url) != 0)
		return failf(err, errsz, PA_EIO, "the migrations failed");
	s->pg = PQconnectdb(s->db_url);
	if (s->pg == NULL || PQstatus(s->pg) != CONNECTION_OK)
		return failf(err, errsz, PA_EIO, "cannot connect to the bench database");
	return PA_OK;
}

pa_err
bench_stack_start(struct bench_stack *s, const char *pgdir, char *err, size_t errsz)
{
	const char *argv[] = { PHONEAUTH_AUTH_BIN, "serve", NULL };
	const char *env[]  = { s->env_db, s->env_rpc, s->env_jobs, s->env_http,
		 "PHONEAUTH_OTP_KEY=" BENCH_OTP_KEY, "PHONEAUTH_OUTBOX_KEY=" BENCH_OUTBOX_KEY,
		 "PHONEAUTH_TOKEN_KEY=" BENCH_TOKEN_KEY, "PHONEAUTH_PROFILE=fancy-feathers",
		 "PHONEAUTH_SUBSCRIPTION_REQUIRED=false", "PHONEAUTH_TRIES_PER_CODE=100",
		 "PHONEAUTH_TRIES_PER_PHONE=10000", "PHONEAUTH_RPC_WORKERS=" STR(BENCH_RPC_WORKERS),
		 "PHONEAUTH_SLOW_WORKERS=" STR(BENCH_SLOW_WORKERS),
		 "PHONEAUTH_PWHASH_OPS=" STR(BENCH_PWHASH_OPS),
		 "PHONEAUTH_PWHASH_MEM_KIB=" STR(BENCH_PWHASH_MEM_KIB), "PHONEAUTH_LOG_LEVEL=info",
		 /* The load names its end users' IPs but carries no client token. */
		 "PHONEAUTH_TRUST_END_USER_IP=true", NULL };
	char        listen[32];
	pa_err      rv;

	*s = (struct bench_stack) { .pg = NULL };
	(void) snprintf(s->pgdir, sizeof s->pgdir, "%s", pgdir);
	if ((rv = start_pg(s, err, errsz)) != PA_OK)
		goto out_stop;
	/* StartSignup wants a live worker; the real one comes and goes with the phases. */
	if ((rv = bench_stack_exec(s,
	         "INSERT INTO sms_workers (id, host, pid, started_at, last_seen_at)"
	         " VALUES ('bench', 'bench', 1, now(), now() + interval '1 day')",
	         err, errsz))
	    != PA_OK)
		goto out_stop;
	(void) snprintf(listen, sizeof listen, "127.0.0.1:%d", harness_free_port());
	if ((rv = bench_sms_start(&s->sms, listen, 0)) != PA_OK) {
		(void) snprintf(err, errsz, "the fake Twilio did not start on %s", listen);
		goto out_stop;
	}
	(void) snprintf(s->rpc_url, sizeof s->rpc_url, "tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(s->env_db, sizeof s->env_db, "DATABASE_URL=%s", s->db_url);
	(void) snprintf(s->env_rpc, sizeof s->env_rpc, "PHONEAUTH_RPC_URL=%s", s->rpc_url);
	(void) snprintf(s->env_jobs, sizeof s->env_jobs, "PHONEAUTH_JOBS_URL=tcp://127.0.0.1:%d",
	    harness_free_port());
	(void) snprintf(
	    s->env_http, sizeof s->env_http, "PHONEAUTH_HTTP=127.0.0.1:%d", harness_free_port());
	(void) snprintf(
	    s->env_base, sizeof s->env_base, "TWILIO_API_BASE=%s", bench_sms_base(s->sms));
	s->worker_http_port = harness_free_port();
	(void) snprintf(s->env_whttp, sizeof s->env_whttp, "PHONEAUTH_WORKER_HTTP=127.0.0.1:%d",
	    s->worker_http_port);
	if (harness_spawn(&s->auth, argv, env, "bench_auth") != 0
	    || !harness_wait_health(s->rpc_url, 15000)) {
		(void) snprintf(
		    err, errsz, "phoneauth-auth did not come up (log: %s)", s->auth.log_path);
		rv = PA_EIO;
		goto out_stop;
	}
	return PA_OK;
out_stop:
	bench_stack_stop(s);
	return rv;
}

pa_err
bench_stack_worker_start(struct bench_stack *s, char *err, size_t errsz)
{
	const char *argv[] = { PHONEAUTH_WORKER_BIN, NULL };
	const char *env[]  = { s->env_db, s->env_jobs, s->env_base, s->env_whttp,
		 "PHONEAUTH_OUTBOX_KEY=" BENCH_OUTBOX_KEY, "PHONEAUTH_SMS_BACKEND=twilio",
		 "TWILIO_ACCOUNT_SID=" BENCH_TWILIO_ACCOUNT, "TWILIO_AUTH_TOKEN=" BENCH_TWILIO_TOKEN,
		 "TWILIO_API_KEY=" BENCH_TWILIO_API_KEY,
		 "TWILIO_API_SECRET=" BENCH_TWILIO_API_SECRET,
		 "TWILIO_MESSAGING_SERVICE_SID=" BENCH_TWILIO_SERVICE,
		 "PHONEAUTH_SEND_CONCURRENCY=" STR(BENCH_SEND_CONCURRENCY),
		 "PHONEAUTH_LOG_LEVEL=info", NULL };
	char        url[64];

	if (harness_spawn(&s->worker, argv, env, "bench_worker") != 0)
		return failf(err, errsz, PA_EIO, "cannot start phoneauth-sms-worker");
	(void) snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", s->worker_http_port);
	for (int t = 0; t < 15000; t += 50) {
		struct pa_strbuf body = { 0 };
		long             st   = harness_http_get(url, &body);

		pa_strbuf_free(&body);
		if (st == 200)
			return PA_OK;
		harness_sleep_ms(50);
	}
	(void) snprintf(
	    err, errsz, "phoneauth-sms-worker did not come up (log: %s)", s->worker.log_path);
	bench_stack_worker_stop(s);
	return PA_EIO;
}

void
bench_stack_worker_stop(struct bench_stack *s)
{
	if (s->worker.pid > 0)
		(void) harness_stop(&s->worker, SIGTERM, 20000, NULL);
}

pa_err
bench_stack_echo_start(
    struct bench_stack *s, const char *url, size_t reply_bytes, char *err, size_t errsz)
{
	char        bytes[24];
	const char *argv[] = { PHONEAUTH_ECHO_BIN, "serve", url, bytes, "256", NULL };

	(void) snprintf(bytes, sizeof bytes, "%zu", reply_bytes);
	if (harness_spawn(&s->echo, argv, NULL, "bench_echo") != 0)
		return failf(err, errsz, PA_EIO, "cannot start phoneauth-bench-echo");
	return PA_OK;
}

void
bench_stack_echo_stop(struct bench_stack *s)
{
	if (s->echo.pid > 0)
		(void) harness_stop(&s->echo, SIGTERM, 5000, NULL);
}

void
bench_stack_stop(struct bench_stack *s)
{
	const char *argv[] = { "/bin/bash", PHONEAUTH_PGCLUSTER, "destroy", s->pgdir, NULL };
	char        out[2048];

	bench_stack_echo_stop(s);
	bench_stack_worker_stop(s);
	if (s->auth.pid > 0)
		(void) harness_stop(&s->auth, SIGTERM, 10000, NULL);
	bench_sms_stop(s->sms);
	s->sms = NULL;
	if (s->pg != NULL)
		PQfinish(s->pg);
	s->pg = NULL;
	if (s->pg_started && harness_run(argv, NULL, out, sizeof out) != 0)
		fprintf(stderr, "bench: pgcluster.sh destroy %s failed: %s\n", s->pgdir, out);
	s->pg_started = false;
}
