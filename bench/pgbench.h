/* pgbench.h: the PostgreSQL baseline: runs Debian's pgbench on one of bench/sql's scripts (the
 * statements of one RPC's path, as verification.c sends them) against the service's database
 * with the same number of clients, and reads its rate and per-transaction latencies. */
#ifndef PHONEAUTH_BENCH_PGBENCH_H
#define PHONEAUTH_BENCH_PGBENCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "hist.h"

struct bench_pgbench_opts {
	const char        *db_url;
	const char        *script; /* a pgbench script file */
	unsigned           clients; /* -c */
	unsigned           threads; /* -j */
	double             duration_s; /* -T, or */
	uint64_t           per_client; /* -t when duration_s is 0 */
	const char *const *defines; /* "name=value" for -D, NULL-terminated; may be NULL */
	const char        *log_dir; /* per-transaction logs go here (removed afterwards) */
};

struct bench_pgbench_result {
	double            tps; /* pgbench's, without connection time */
	uint64_t          transactions; /* processed */
	uint64_t          failed;
	struct bench_hist hist; /* from the per-transaction log */
};

/* The pgbench binary: $PGBENCH, else PostgreSQL 15's (Debian keeps it off PATH), else "pgbench"
 * on PATH. */
const char *bench_pgbench_path(void);

/* Runs pgbench -n -M prepared (the service prepares every statement once per connection).
 * PA_EIO with pgbench's output in err when it fails. */
pa_err bench_pgbench_run(struct bench_pgbench_result *out, const struct bench_pgbench_opts *o,
    char *err, size_t errsz) PA_MUSTCHECK;

#endif
