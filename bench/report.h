/* report.h: what a run measured, as text for people and as JSON for files: requests per second,
 * latency quantiles, and replies by code; plus the machine the numbers came from. */
#ifndef PHONEAUTH_BENCH_REPORT_H
#define PHONEAUTH_BENCH_REPORT_H

#include <stdio.h>

#include <json-c/json.h>

#include "common/err.h"
#include "hist.h"
#include "load.h"

/* One operation's figures. Latencies in ms. */
struct bench_summary {
	uint64_t replies, ok, no_reply;
	double   elapsed_s;
	double   rps; /* replies of any code per second */
	double   ok_rps; /* OK replies per second */
	double   mean_ms, p50_ms, p90_ms, p99_ms, p999_ms, max_ms;
};

void bench_summarize(struct bench_summary *out, const struct bench_op_stats *s, double elapsed_s);
/* The latency part alone, from any histogram. */
void bench_summarize_hist(struct bench_summary *out, const struct bench_hist *h);

/* Prints one block per operation: rate, quantiles, and every code seen. */
void bench_report_print(
    FILE *f, const char *label, const struct bench_op *ops, const struct bench_load_result *res);

/* {"label", "elapsed_s", "ops": [{"name", "replies", "ok", "rps", "ok_rps", "latency_ms": {...},
 * "codes": {"OK": n, ...}, "no_reply": n}]}; NULL when out of memory. */
json_object *bench_report_json(
    const char *label, const struct bench_op *ops, const struct bench_load_result *res);
/* {"p50": .., "p90": .., "p99": .., "p99_9": .., "mean": .., "max": ..}. */
json_object *bench_latency_json(const struct bench_summary *s);

/* The machine: {"nproc", "cpu_model", "mem_total_kib", "kernel"}. */
json_object *bench_host_json(void);
/* "2 x AMD EPYC, 23.5 GiB RAM" into out. */
void bench_host_line(char *out, size_t outsz);

/* Writes o to path (pretty), creating nothing but the file. PA_EIO with err on failure. */
pa_err bench_json_write(const char *path, json_object *o, char *err, size_t errsz) PA_MUSTCHECK;

#endif
