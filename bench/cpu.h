/* cpu.h: where the CPU went during a run, per component: PostgreSQL (the postmaster and every
 * backend, including those that exited), phoneauth-auth, phoneauth-sms-worker, the echo server,
 * this process (load threads and the fake Twilio) and its finished children (pgbench). Read from
 * /proc and getrusage before and after; on a shared machine this is what says which side a
 * figure was bound by. */
#ifndef PHONEAUTH_BENCH_CPU_H
#define PHONEAUTH_BENCH_CPU_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <json-c/json.h>

/* Processes to follow; 0 for one that is not running. */
struct bench_cpu_pids {
	pid_t postmaster, auth, worker, echo;
};

/* CPU seconds (user + system) used so far, and when the sample was taken. machine is every
 * CPU's busy time (/proc/stat); in a difference, others is what the rest of the machine used. */
struct bench_cpu {
	double   pg, auth, worker, echo, self, children;
	double   machine, others;
	uint64_t at_ns;
};

void bench_cpu_sample(struct bench_cpu *out, const struct bench_cpu_pids *pids);
/* after - before, per component (at_ns becomes the wall time in ns). */
void bench_cpu_diff(
    struct bench_cpu *out, const struct bench_cpu *before, const struct bench_cpu *after);
/* "CPU s: postgres 5.40, auth 2.90, ... of 12.0 (6.0 s x 2 cores)" */
void         bench_cpu_print(FILE *f, const struct bench_cpu *d);
json_object *bench_cpu_json(const struct bench_cpu *d);

/* The postmaster's pid from DATA/postmaster.pid; 0 if unreadable. */
pid_t bench_cpu_postmaster(const char *datadir);

#endif
