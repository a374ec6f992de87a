/* metrics.c: lock-free latency histograms and Prometheus text exposition helpers. */
#include "common/metrics.h"

#include <time.h>

const double pa_hist_bounds[PA_HIST_BUCKETS] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0 };

void
pa_hist_observe_ns(struct pa_hist *h, uint64_t ns)
{
	double s = (double) ns / 1e9;
	int    i = 0;

	while (i < PA_HIST_BUCKETS && s > pa_hist_bounds[i])
		i++;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
}

void
pa_hist_write(struct pa_strbuf *out, const char *name, const char *labels, const struct pa_hist *h)
{
	const char *sep = labels[0] ? "," : "";
	uint64_t    cum = 0;

	for (int i = 0; i <= PA_HIST_BUCKETS; i++) {
		cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
		if (i < PA_HIST_BUCKETS)
			pa_strbuf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
			    pa_hist_bounds[i], (unsigned long long) cum);
		else
			pa_strbuf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels,
			    sep, (unsigned long long) cum);
	}
	pa_strbuf_printf(out, "%s_sum{%s} %.9f\n", name, labels,
	    (double) atomic_load_explicit(&h->sum_ns, memory_order_relaxed) / 1e9);
	pa_strbuf_printf(out, "%s_count{%s} %llu\n", name, labels,
	    (unsigned long long) atomic_load_explicit(&h->count, memory_order_relaxed));
}

void
pa_metrics_header(struct pa_strbuf *out, const char *name, const char *type, const char *help)
{
	pa_strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
pa_metrics_one(
    struct pa_strbuf *out, const char *name, const char *type, const char *help, long long v)
{
	pa_metrics_header(out, name, type, help);
	pa_strbuf_printf(out, "%s %lld\n", name, v);
}

uint64_t
pa_now_ns(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

int64_t
pa_unix_ms(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
