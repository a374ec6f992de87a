/* load.h: the measurement loop. N threads, each with a connection of its own opened before the
 * clock starts, send requests back to back (closed loop) or on a fixed schedule (open loop), for
 * a duration or a count, from one operation or a weighted mix; each thread records latencies and
 * reply codes on its own, and the result adds them up. */
#ifndef PHONEAUTH_BENCH_LOAD_H
#define PHONEAUTH_BENCH_LOAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "hist.h"

/* Reply codes are gRPC's (0 OK .. 16 UNAUTHENTICATED). */
#define BENCH_NCODES 17
/* What a call returns when it got no reply (timeout, broken transport). */
#define BENCH_NO_REPLY (-1)
/* What a call returns when its operation has nothing left to send: the thread stops. */
#define BENCH_DONE (-2)

/* Which request this is. */
struct bench_req {
	unsigned thread; /* 0 .. concurrency - 1 */
	uint64_t seq; /* requests of this operation before it, on every thread */
	uint64_t tseq; /* requests of this operation before it, on this thread */
};

/* Sends one request on conn and waits for the reply; returns its code, BENCH_NO_REPLY or
 * BENCH_DONE. Runs inside the timed loop: everything it needs must be prepared beforehand. */
typedef int bench_call_fn(void *conn, void *arg, const struct bench_req *r);

struct bench_op {
	const char    *name;
	bench_call_fn *call;
	void          *arg;
	unsigned       weight; /* share of a mix; 0 counts as 1 */
};

/* Opens thread's connection and makes sure it works (e.g. one round trip); NULL on failure. */
typedef void *bench_open_fn(void *arg, unsigned thread);
typedef void  bench_close_fn(void *conn);

struct bench_load_opts {
	const struct bench_op *ops;
	size_t                 nops;
	bench_open_fn         *open;
	bench_close_fn        *close;
	void                  *conn_arg;
	unsigned               concurrency;
	double                 duration_s; /* run this long, or */
	uint64_t               count; /* send this many requests (when duration_s is 0) */
	double                 warmup_s; /* with a duration: run this long first, unrecorded */
	/* Requests per second in all, started on schedule whatever the replies do; latency then
	 * counts from the scheduled start. 0: each thread sends when it has its last reply. */
	double       rate;
	atomic_bool *stop; /* optional: ends the run when set */
};

struct bench_op_stats {
	struct bench_hist hist; /* every request that got a reply, whatever its code */
	uint64_t          codes[BENCH_NCODES];
	uint64_t          no_reply;
};

struct bench_load_result {
	double                 elapsed_s; /* the recorded part of the run */
	bool                   ran_out; /* an operation returned BENCH_DONE */
	size_t                 nops;
	struct bench_op_stats *ops; /* [nops] */
};

/* Runs the load. Fills *out (release with bench_load_result_free) unless a connection could not
 * be opened (PA_EIO, err says which thread) or memory ran out. */
pa_err bench_load_run(struct bench_load_result *out, const struct bench_load_opts *o, char *err,
    size_t errsz) PA_MUSTCHECK;

void bench_load_result_free(struct bench_load_result *r);

/* Requests of op that got any reply / an OK reply. */
uint64_t bench_op_replies(const struct bench_op_stats *s);

#endif
