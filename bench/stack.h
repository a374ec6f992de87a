/* stack.h: everything `make bench` measures, started from scratch: a private PostgreSQL cluster
 * (tests/support/pgcluster.sh), a fresh migrated database, the fake Twilio (in this process),
 * phoneauth-auth, phoneauth-sms-worker (started and stopped as a phase needs) and the bare NNG
 * echo server. Child processes log to files in the build tree. */
#ifndef PHONEAUTH_BENCH_STACK_H
#define PHONEAUTH_BENCH_STACK_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "common/err.h"
#include "harness.h"
#include "smsfake.h"

/* What the auth service is told; the baselines use the same numbers. Argon2id limits are the
 * service's defaults (PHONEAUTH_PWHASH_OPS, PHONEAUTH_PWHASH_MEM_KIB). */
#define BENCH_RPC_WORKERS 8
#define BENCH_SLOW_WORKERS 2
#define BENCH_PWHASH_OPS 2
#define BENCH_PWHASH_MEM_KIB 65536
#define BENCH_SEND_CONCURRENCY 32 /* the worker's requests in flight (its default) */

struct bench_stack {
	char                pgdir[256];
	char                db_url[512];
	char                rpc_url[64];
	char                env_db[600], env_rpc[96], env_jobs[96], env_http[64], env_whttp[64];
	char                env_base[96];
	int                 worker_http_port;
	bool                pg_started;
	PGconn             *pg;
	struct bench_sms   *sms;
	struct harness_proc auth, worker, echo;
};

/* Starts the cluster in pgdir (removed again by bench_stack_stop), the database, the fake
 * Twilio and the auth service (Fancy Feathers without subscriptions, 100 tries per code and
 * 10 000 per phone, so VerifyCode can be measured on few verifications). The worker is not
 * started; a heartbeat row a day ahead tells the service one is alive meanwhile. On failure
 * err says why and whatever started is stopped. */
pa_err bench_stack_start(
    struct bench_stack *s, const char *pgdir, char *err, size_t errsz) PA_MUSTCHECK;
void bench_stack_stop(struct bench_stack *s);

/* Starts phoneauth-sms-worker in twilio mode aimed at the fake; waits for its /healthz. */
pa_err bench_stack_worker_start(struct bench_stack *s, char *err, size_t errsz) PA_MUSTCHECK;
/* SIGTERM and wait (it drains its in-flight requests). */
void bench_stack_worker_stop(struct bench_stack *s);

/* Starts phoneauth-bench-echo serving url with reply_bytes-byte replies. */
pa_err bench_stack_echo_start(struct bench_stack *s, const char *url, size_t reply_bytes, char *err,
    size_t errsz) PA_MUSTCHECK;
void   bench_stack_echo_stop(struct bench_stack *s);

/* Runs sql on the bench database; PA_EDB with the server's message in err. */
pa_err bench_stack_exec(
    struct bench_stack *s, const char *sql, char *err, size_t errsz) PA_MUSTCHECK;
/* The first column of the first row as a number; -1 on any failure. */
long long bench_stack_qlong(struct bench_stack *s, const char *sql);

/* ANALYZE on the service's tables, as autovacuum would have done on a database in use (its
 * first pass comes only after autovacuum_naptime, a minute). */
pa_err bench_stack_analyze(struct bench_stack *s, char *err, size_t errsz) PA_MUSTCHECK;

/* Runs psql -f file with -v name=value pairs (NULL-terminated) on the bench database. */
pa_err bench_stack_psql(struct bench_stack *s, const char *file, const char *const *vars, char *err,
    size_t errsz) PA_MUSTCHECK;

#endif
