/* hist.c: log-linear latency histograms (see hist.h). */
#include "hist.h"

#define SUB 64 /* buckets per power of two above 128 ns */

static unsigned
bucket_of(uint64_t v)
{
	unsigned msb, shift;

	if (v < 2 * SUB)
		return (unsigned) v;
	msb   = 63u - (unsigned) __builtin_clzll(v);
	shift = msb - 6; /* v >> shift is in [64, 127] */
	if (shift > 34)
		return BENCH_HIST_BUCKETS - 1; /* beyond 2^41 ns: the last bucket */
	return 2 * SUB + (shift - 1) * SUB + (unsigned) ((v >> shift) - SUB);
}

/* The middle of bucket b, in ns. */
static uint64_t
bucket_mid(unsigned b)
{
	unsigned shift;
	uint64_t lo;

	if (b < 2 * SUB)
		return b;
	shift = (b - 2 * SUB) / SUB + 1;
	lo    = (uint64_t) (SUB + (b - 2 * SUB) % SUB) << shift;
	return lo + ((1ull << shift) >> 1);
}

void
bench_hist_record(struct bench_hist *h, uint64_t ns)
{
	if (h->count == 0 || ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->count++;
	h->sum_ns += ns;
	h->bucket[bucket_of(ns)]++;
}

void
bench_hist_merge(struct bench_hist *into, const struct bench_hist *from)
{
	if (from->count == 0)
		return;
	if (into->count == 0 || from->min_ns < into->min_ns)
		into->min_ns = from->min_ns;
	if (from->max_ns > into->max_ns)
		into->max_ns = from->max_ns;
	into->count += from->count;
	into->sum_ns += from->sum_ns;
	for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++)
		into->bucket[i] += from->bucket[i];
}

uint64_t
bench_hist_quantile(const struct bench_hist *h, double q)
{
	uint64_t rank, seen = 0, v;

	if (h->count == 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	/* The smallest value with at least ceil(q * count) observations at or below it. */
	rank = (uint64_t) (q * (double) h->count + 0.999999);
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			v = bucket_mid(i);
			if (v < h->min_ns)
				v = h->min_ns;
			if (v > h->max_ns)
				v = h->max_ns;
			return v;
		}
	}
	return h->max_ns;
}

double
bench_hist_mean(const struct bench_hist *h)
{
	return h->count == 0 ? 0 : (double) h->sum_ns / (double) h->count;
}
