/* metrics.h: lock-free histograms and the Prometheus text helpers every /metrics page uses.
 * Each component keeps its own counters and registers a writer that prints them. */
#ifndef PHONEAUTH_COMMON_METRICS_H
#define PHONEAUTH_COMMON_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/strbuf.h"

/* Upper bounds, in seconds, shared by every latency histogram. */
#define PA_HIST_BUCKETS 14
extern const double pa_hist_bounds[PA_HIST_BUCKETS];

struct pa_hist {
	atomic_uint_fast64_t bucket[PA_HIST_BUCKETS + 1]; /* the last is +Inf */
	atomic_uint_fast64_t count;
	atomic_uint_fast64_t sum_ns;
};

/* Records one observation; safe from any thread. */
void pa_hist_observe_ns(struct pa_hist *h, uint64_t ns);
/* Prints NAME_bucket/_sum/_count lines with labels ("method=\"x\"" or ""). */
void pa_hist_write(
    struct pa_strbuf *out, const char *name, const char *labels, const struct pa_hist *h);

/* Prints a "# HELP" and "# TYPE" header. */
void pa_metrics_header(struct pa_strbuf *out, const char *name, const char *type, const char *help);
/* A metric of one sample without labels: its header, then "name v". */
void pa_metrics_one(
    struct pa_strbuf *out, const char *name, const char *type, const char *help, long long v);

/* Monotonic clock in nanoseconds. */
uint64_t pa_now_ns(void);
/* Wall clock in milliseconds since the epoch. */
int64_t pa_unix_ms(void);

#endif
