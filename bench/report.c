/* report.c: text and JSON for what a run measured (see report.h). */
#include "report.h"

#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/rpc_client.h"

static double
ms(uint64_t ns)
{
	return (double) ns / 1e6;
}

void
bench_summarize_hist(struct bench_summary *out, const struct bench_hist *h)
{
	out->mean_ms = bench_hist_mean(h) / 1e6;
	out->p50_ms  = ms(bench_hist_quantile(h, 0.50));
	out->p90_ms  = ms(bench_hist_quantile(h, 0.90));
	out->p99_ms  = ms(bench_hist_quantile(h, 0.99));
	out->p999_ms = ms(bench_hist_quantile(h, 0.999));
	out->max_ms  = ms(h->max_ns);
}

void
bench_summarize(struct bench_summary *out, const struct bench_op_stats *s, double elapsed_s)
{
	*out = (struct bench_summary) { .replies = bench_op_replies(s),
		.ok                              = s->codes[0],
		.no_reply                        = s->no_reply,
		.elapsed_s                       = elapsed_s };
	if (elapsed_s > 0) {
		out->rps    = (double) out->replies / elapsed_s;
		out->ok_rps = (double) out->ok / elapsed_s;
	}
	bench_summarize_hist(out, &s->hist);
}

void
bench_report_print(
    FILE *f, const char *label, const struct bench_op *ops, const struct bench_load_result *res)
{
	(void) fprintf(f, "%s: %.2f s measured%s\n", label, res->elapsed_s,
	    res->ran_out ? " (ran out of prepared requests)" : "");
	for (size_t i = 0; i < res->nops; i++) {
		struct bench_summary s;

		bench_summarize(&s, &res->ops[i], res->elapsed_s);
		(void) fprintf(f,
		    "  %-14s %8llu replies %10.1f/s (OK %.1f/s)  latency ms p50 %.3f p90 %.3f "
		    "p99 %.3f p99.9 %.3f max %.3f\n",
		    ops[i].name, (unsigned long long) s.replies, s.rps, s.ok_rps, s.p50_ms,
		    s.p90_ms, s.p99_ms, s.p999_ms, s.max_ms);
		for (int c = 1; c < BENCH_NCODES; c++)
			if (res->ops[i].codes[c] > 0)
				(void) fprintf(f, "  %-14s %8llu %s\n", "",
				    (unsigned long long) res->ops[i].codes[c],
				    pa_code_name((pa_code) c));
		if (res->ops[i].no_reply > 0)
			(void) fprintf(f, "  %-14s %8llu no reply (timeout or transport)\n", "",
			    (unsigned long long) res->ops[i].no_reply);
	}
}

/* json-c returns NULL on allocation failure; adding NULL to an object stores a JSON null, so a
 * document is complete or has nulls, never a crash. */
static void
put_double(json_object *o, const char *k, double v)
{
	(void) json_object_object_add(o, k, json_object_new_double(v));
}

static void
put_u64(json_object *o, const char *k, uint64_t v)
{
	(void) json_object_object_add(o, k, json_object_new_int64((int64_t) v));
}

json_object *
bench_latency_json(const struct bench_summary *s)
{
	json_object *l = json_object_new_object();

	if (l == NULL)
		return NULL;
	put_double(l, "p50", s->p50_ms);
	put_double(l, "p90", s->p90_ms);
	put_double(l, "p99", s->p99_ms);
	put_double(l, "p99_9", s->p999_ms);
	put_double(l, "mean", s->mean_ms);
	put_double(l, "max", s->max_ms);
	return l;
}

json_object *
bench_report_json(
    const char *label, const struct bench_op *ops, const struct bench_load_result *res)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();

	if (o == NULL || arr == NULL) {
		json_object_put(o);
		json_object_put(arr);
		return NULL;
	}
	(void) json_object_object_add(o, "label", json_object_new_string(label));
	put_double(o, "elapsed_s", res->elapsed_s);
	(void) json_object_object_add(o, "ran_out", json_object_new_boolean(res->ran_out));
	for (size_t i = 0; i < res->nops; i++) {
		json_object *op = json_object_new_object(), *codes = json_object_new_object();
		struct bench_summary s;

		if (op == NULL || codes == NULL) {
			json_object_put(op);
			json_object_put(codes);
			continue;
		}
		bench_summarize(&s, &res->ops[i], res->elapsed_s);
		(void) json_object_object_add(op, "name", json_object_new_string(ops[i].name));
		put_u64(op, "replies", s.replies);
		put_u64(op, "ok", s.ok);
		put_u64(op, "no_reply", s.no_reply);
		put_double(op, "rps", s.rps);
		put_double(op, "ok_rps", s.ok_rps);
		(void) json_object_object_add(op, "latency_ms", bench_latency_json(&s));
		for (int c = 0; c < BENCH_NCODES; c++)
			if (res->ops[i].codes[c] > 0)
				put_u64(codes, pa_code_name((pa_code) c), res->ops[i].codes[c]);
		(void) json_object_object_add(op, "codes", codes);
		(void) json_object_array_add(arr, op);
	}
	(void) json_object_object_add(o, "ops", arr);
	return o;
}

/* The first "model name" of /proc/cpuinfo, or "unknown". */
static void
cpu_model(char *out, size_t outsz)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char  line[512];

	(void) snprintf(out, outsz, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			colon += strspn(colon + 1, " \t") + 1;
			colon[strcspn(colon, "\n")] = '\0';
			(void) snprintf(out, outsz, "%s", colon);
			break;
		}
	}
	(void) fclose(f);
}

static long long
mem_total_kib(void)
{
	FILE     *f   = fopen("/proc/meminfo", "r");
	long long kib = 0;
	char      line[256];

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "MemTotal: %lld kB", &kib) == 1)
			break;
	(void) fclose(f);
	return kib;
}

json_object *
bench_host_json(void)
{
	json_object   *o = json_object_new_object();
	char           model[256];
	struct utsname u;

	if (o == NULL)
		return NULL;
	cpu_model(model, sizeof model);
	put_u64(o, "nproc", (uint64_t) sysconf(_SC_NPROCESSORS_ONLN));
	(void) json_object_object_add(o, "cpu_model", json_object_new_string(model));
	put_u64(o, "mem_total_kib", (uint64_t) mem_total_kib());
	if (uname(&u) == 0)
		(void) json_object_object_add(o, "kernel", json_object_new_string(u.release));
	return o;
}

void
bench_host_line(char *out, size_t outsz)
{
	char model[256];

	cpu_model(model, sizeof model);
	(void) snprintf(out, outsz, "%ld x %s, %.1f GiB RAM", sysconf(_SC_NPROCESSORS_ONLN), model,
	    (double) mem_total_kib() / (1024.0 * 1024.0));
}

pa_err
bench_json_write(const char *path, json_object *o, char *err, size_t errsz)
{
	if (json_object_to_file_ext(
	        path, o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)
	    != 0) {
		(void) snprintf(err, errsz, "cannot write %s: %s", path, json_util_get_last_err());
		return PA_EIO;
	}
	return PA_OK;
}
