/* hist.h: latency histograms for the load generator: log-linear buckets (1.6% wide) from 1 ns to
 * about 18 minutes, cheap to record into from one thread and to merge afterwards. */
#ifndef PHONEAUTH_BENCH_HIST_H
#define PHONEAUTH_BENCH_HIST_H

#include <stdint.h>

/* Values below 128 ns get a bucket each; above, each power of two is split into 64 buckets. */
#define BENCH_HIST_BUCKETS (128 + 34 * 64)

/* One thread's observations; zero-initialise it (= { 0 }) before use. Not thread-safe: each
 * thread records into its own and bench_hist_merge adds them up at the end. */
struct bench_hist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t min_ns, max_ns; /* exact; min_ns is meaningless while count is 0 */
	uint64_t bucket[BENCH_HIST_BUCKETS];
};

void bench_hist_record(struct bench_hist *h, uint64_t ns);

/* Adds every observation of from into into. */
void bench_hist_merge(struct bench_hist *into, const struct bench_hist *from);

/* The value at quantile q (0..1) in ns: the middle of the bucket holding it, clamped to the exact
 * min and max. 0 when the histogram is empty. */
uint64_t bench_hist_quantile(const struct bench_hist *h, double q);

/* Mean in ns; 0 when empty. */
double bench_hist_mean(const struct bench_hist *h);

#endif
