/* suite.c: phoneauth-bench-suite, what `make bench` runs. It starts the whole stack from scratch
 * (stack.h) and measures each figure side by side with what bounds it: Health against a bare NNG
 * echo, StartSignup and VerifyCode against pgbench running the same SQL, Login against bare
 * Argon2id on every core, the SMS worker against the in-flight cap; then prints one table with
 * the ratios and writes everything as JSON. */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "argon.h"
#include "common/crypto.h"
#include "common/metrics.h"
#include "common/rpc_client.h"
#include "cpu.h"
#include "echo.h"
#include "ops.h"
#include "pgbench.h"
#include "phoneauth/v1/auth.pb-c.h"
#include "report.h"
#include "setup.h"
#include "stack.h"

#define THREADS 8 /* clients for each pair; the service has as many fast workers */
#define SECONDS 5.0 /* measured per run */
#define WARMUP 1.0 /* before each timed run, unrecorded */
#define SIGNUP_PHONES 60000 /* enough for 10 000 StartSignup/s */
#define PRIME_SIGNUPS 2000 /* rows made before the first ANALYZE (see settle) */
#define WRONG_PER_THREAD 100 /* verifications per thread for wrong codes (<= 90 tries each) */
#define RIGHT_COUNT 3000 /* right codes, each on its own verification */
#define LOGIN_THREADS 4 /* twice the slow pool, so it never idles */
#define PROBE_RATE 200.0 /* Health per second while measuring its p99 */
#define PROBE_THREADS 2
#define FLOOD_THREADS 16 /* bogus logins from one IP */
#define FLOOD_RATE 200.0 /* ... per second: "a few dozen a second stall every login" (issue 13) */
#define FLOOD_PROBE_RATE 5.0 /* one user's logins per second while measuring their p99 */
#define FLOOD_PROBE_SECONDS 12.0 /* 60 logins: a p99 that is not just the one slowest */
#define LATENCY_RATE 100.0 /* StartSignup per second for the send-latency run */
#define SLOW_TWILIO_MS 250
#define SLOW_MESSAGES 1000
#define SEND_TARGET 2000.0 /* sends/s the issue asks of one worker at 0 ms */
#define PASSWORD "Bench-Passw0rd!"

static const char usage[]
    = "usage: phoneauth-bench-suite --out DIR [--pgdir DIR]\n"
      "Starts a private PostgreSQL cluster (in --pgdir, default ./bench-pg, removed at the end),\n"
      "phoneauth-auth, the fake Twilio and phoneauth-sms-worker, runs every measurement of\n"
      "bench/README.md, prints the table and writes DIR/bench-<time>.json. Takes about 2 "
      "minutes.\n";

struct row {
	char   name[80];
	char   value[48], base_name[40], base[48];
	char   cpu[128]; /* where the CPU went during the phoneauth run */
	double v, b, ratio, target; /* ratio < 0: none; target 0: none */
	bool   lower_better;
};

struct suite {
	struct bench_stack      st;
	struct bench_rpc_target target;
	struct bench_phones     phones;
	size_t                  next_phone;
	char (*vids)[BENCH_VID_LEN];
	char (*codes)[BENCH_CODE_LEN];
	uint64_t        *sent_ns;
	char             tmp_dir[512];
	json_object     *runs;
	struct bench_cpu last_cpu; /* of the last load or pgbench run */
	pid_t            postmaster;
	struct row       rows[16];
	size_t           nrows;
};

/* ---- small helpers --------------------------------------------------------------------------- */

static size_t
take_phones(struct suite *suite, size_t n)
{
	size_t from = suite->next_phone;

	suite->next_phone += n;
	return from;
}

static void
fmt_rate(char *out, size_t outsz, double v, const char *unit)
{
	(void) snprintf(out, outsz, "%.0f %s", v, unit);
}

static struct row *
add_row(struct suite *suite, const char *name)
{
	struct row *r = &suite->rows[suite->nrows < 15 ? suite->nrows++ : 15];

	*r = (struct row) { .ratio = -1 };
	(void) snprintf(r->name, sizeof r->name, "%s", name);
	return r;
}

static void
set_pair(struct row *r, const char *unit, double v, const struct bench_summary *vs,
    const char *base_name, double b, const struct bench_summary *bs, double target)
{
	r->v      = v;
	r->b      = b;
	r->target = target;
	r->ratio  = b > 0 ? v / b : -1;
	if (vs != NULL)
		(void) snprintf(r->value, sizeof r->value, "%.0f %s (p50 %.2f, p99 %.2f ms)", v,
		    unit, vs->p50_ms, vs->p99_ms);
	else
		fmt_rate(r->value, sizeof r->value, v, unit);
	(void) snprintf(r->base_name, sizeof r->base_name, "%s", base_name);
	if (bs != NULL)
		(void) snprintf(r->base, sizeof r->base, "%.0f %s (p50 %.2f, p99 %.2f ms)", b, unit,
		    bs->p50_ms, bs->p99_ms);
	else
		fmt_rate(r->base, sizeof r->base, b, unit);
}

static void
cpu_start(struct suite *suite, struct bench_cpu *before)
{
	struct bench_cpu_pids p = { .postmaster = suite->postmaster,
		.auth                           = suite->st.auth.pid,
		.worker                         = suite->st.worker.pid,
		.echo                           = suite->st.echo.pid };

	bench_cpu_sample(before, &p);
}

/* Prints and keeps (suite->last_cpu) what was used since before; returns it as JSON. */
static json_object *
cpu_end(struct suite *suite, const struct bench_cpu *before)
{
	struct bench_cpu_pids p = { .postmaster = suite->postmaster,
		.auth                           = suite->st.auth.pid,
		.worker                         = suite->st.worker.pid,
		.echo                           = suite->st.echo.pid };
	struct bench_cpu      after;

	bench_cpu_sample(&after, &p);
	bench_cpu_diff(&suite->last_cpu, before, &after);
	bench_cpu_print(stdout, &suite->last_cpu);
	return bench_cpu_json(&suite->last_cpu);
}

/* "postgres 5.4, auth 2.9, client 1.8 of 12.0 CPU-s" from suite->last_cpu. */
static void
cpu_brief(const struct suite *suite, char *out, size_t outsz)
{
	const struct bench_cpu *c     = &suite->last_cpu;
	long                    cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t                  n     = 0;
	struct {
		const char *name;
		double      v;
	} parts[] = { { "postgres", c->pg }, { "auth", c->auth }, { "worker", c->worker },
		{ "echo", c->echo }, { "bench", c->self }, { "pgbench", c->children },
		{ "others", c->others } };

	out[0] = '\0';
	for (size_t i = 0; i < sizeof parts / sizeof parts[0] && n < outsz; i++)
		if (parts[i].v >= 0.05)
			n += (size_t) snprintf(out + n, outsz - n, "%s%s %.1f", n ? ", " : "",
			    parts[i].name, parts[i].v);
	if (n < outsz)
		(void) snprintf(
		    out + n, outsz - n, " of %.1f CPU-s", (double) c->at_ns / 1e9 * (double) cores);
}

/* Runs one load, prints it, keeps its JSON under key and returns op 0's figures. */
static pa_err
load(struct suite *suite, const char *key, const char *label, const struct bench_load_opts *o,
    struct bench_summary *sum)
{
	struct bench_load_result res;
	struct bench_cpu         before;
	json_object             *j;
	char                     err[512];

	cpu_start(suite, &before);
	if (bench_load_run(&res, o, err, sizeof err) != PA_OK) {
		fprintf(stderr, "bench: %s: %s\n", label, err);
		return PA_EIO;
	}
	bench_report_print(stdout, label, o->ops, &res);
	j = bench_report_json(label, o->ops, &res);
	if (j != NULL)
		(void) json_object_object_add(j, "cpu_s", cpu_end(suite, &before));
	(void) json_object_object_add(suite->runs, key, j);
	bench_summarize(sum, &res.ops[0], res.elapsed_s);
	bench_load_result_free(&res);
	return PA_OK;
}

static pa_err
rpc_load(struct suite *suite, const char *key, const char *label, struct bench_op *op,
    unsigned threads, double seconds, uint64_t count, double rate, struct bench_summary *sum)
{
	struct bench_load_opts o = { .ops = op,
		.nops                     = 1,
		.open                     = bench_rpc_open,
		.close                    = bench_rpc_close,
		.conn_arg                 = &suite->target,
		.concurrency              = threads,
		.duration_s               = count ? 0 : seconds,
		.count                    = count,
		.warmup_s                 = count ? 0 : WARMUP,
		.rate                     = rate };

	return load(suite, key, label, &o, sum);
}

static pa_err
pgbench(struct suite *suite, const char *key, const char *script, const char *const *defines,
    double seconds, uint64_t per_client, struct bench_summary *sum)
{
	char                        path[1024], err[2048], label[128];
	long                        nproc = sysconf(_SC_NPROCESSORS_ONLN);
	struct bench_pgbench_opts   o     = { .db_url = suite->st.db_url,
		      .script                         = path,
		      .clients                        = THREADS,
		      .threads    = (unsigned) (nproc > 0 && nproc < THREADS ? nproc : THREADS),
		      .duration_s = seconds,
		      .per_client = per_client,
		      .defines    = defines,
		      .log_dir    = suite->tmp_dir };
	struct bench_pgbench_result r;
	struct bench_cpu            before;
	json_object                *j, *cpu;

	(void) snprintf(path, sizeof path, "%s/%s", BENCH_SQL_DIR, script);
	cpu_start(suite, &before);
	if (bench_pgbench_run(&r, &o, err, sizeof err) != PA_OK) {
		fprintf(stderr, "bench: %s\n", err);
		return PA_EIO;
	}
	*sum = (struct bench_summary) { .replies = r.transactions,
		.ok                              = r.transactions - r.failed,
		.rps                             = r.tps,
		.ok_rps                          = r.tps };
	bench_summarize_hist(sum, &r.hist);
	(void) snprintf(label, sizeof label, "pgbench %s, %u clients", script, THREADS);
	printf("%s: %llu transactions (%llu failed), %.1f tps, latency ms p50 %.3f p99 %.3f "
	       "p99.9 %.3f\n",
	    label, (unsigned long long) r.transactions, (unsigned long long) r.failed, r.tps,
	    sum->p50_ms, sum->p99_ms, sum->p999_ms);
	cpu = cpu_end(suite, &before);
	if ((j = json_object_new_object()) == NULL) {
		json_object_put(cpu);
	} else {
		(void) json_object_object_add(j, "cpu_s", cpu);
		(void) json_object_object_add(j, "label", json_object_new_string(label));
		(void) json_object_object_add(j, "tps", json_object_new_double(r.tps));
		(void) json_object_object_add(
		    j, "transactions", json_object_new_int64((int64_t) r.transactions));
		(void) json_object_object_add(
		    j, "failed", json_object_new_int64((int64_t) r.failed));
		(void) json_object_object_add(j, "latency_ms", bench_latency_json(sum));
		(void) json_object_object_add(suite->runs, key, j);
	}
	return r.failed == 0 ? PA_OK : PA_EPROTO;
}

/* Runs <name>.sql (a round trip per statement) with defs, then <name>_pipelined.sql (the same
 * statements in the service's round trips) with defs_p, under keys "pgbench_<name>[_pipelined]". */
static pa_err
pgbench_both(struct suite *suite, const char *name, const char *const *defs,
    const char *const *defs_p, double seconds, uint64_t per_client, struct bench_summary *plain,
    struct bench_summary *piped)
{
	char   key[64], script[64];
	pa_err rv;

	(void) snprintf(key, sizeof key, "pgbench_%s", name);
	(void) snprintf(script, sizeof script, "%s.sql", name);
	if ((rv = pgbench(suite, key, script, defs, seconds, per_client, plain)) != PA_OK)
		return rv;
	(void) snprintf(key, sizeof key, "pgbench_%s_pipelined", name);
	(void) snprintf(script, sizeof script, "%s_pipelined.sql", name);
	return pgbench(suite, key, script, defs_p, seconds, per_client, piped);
}

/* The rows "<what>, 8 threads" and "<what>, same run": one phoneauth run (v, rs, and the CPU it
 * took) against both pgbench runs. */
static void
add_pgbench_rows(struct suite *suite, const char *what, double v, const struct bench_summary *rs,
    const struct bench_summary *plain, const struct bench_summary *piped, const char *cpu)
{
	char        name[80];
	struct row *r;

	(void) snprintf(name, sizeof name, "%s, 8 threads", what);
	set_pair(
	    r = add_row(suite, name), "/s", v, rs, "pgbench, same SQL", plain->rps, plain, 0.7);
	(void) snprintf(r->cpu, sizeof r->cpu, "%s", cpu);
	(void) snprintf(name, sizeof name, "%s, same run", what);
	set_pair(
	    add_row(suite, name), "/s", v, rs, "pgbench, same round trips", piped->rps, piped, 0.7);
}

/* Messages to phones from .. to-1 that reached the fake, and the first and last arrival. */
struct arrivals {
	size_t   count;
	uint64_t first, last;
};

static void
arrivals_in(struct suite *suite, size_t from, size_t to, struct arrivals *out)
{
	*out = (struct arrivals) { 0 };
	for (size_t i = from; i < to; i++) {
		uint64_t t = bench_sms_arrival_ns(suite->st.sms, i);

		if (t == 0)
			continue;
		if (out->count++ == 0 || t < out->first)
			out->first = t;
		if (t > out->last)
			out->last = t;
	}
}

/* Waits for `want` messages to phones from .. to-1, giving up after 10 s without progress;
 * returns the send rate between the first and the last arrival (0 when fewer than 2). */
static double
drain_rate(struct suite *suite, size_t from, size_t to, size_t want, struct arrivals *a)
{
	size_t   seen  = 0;
	uint64_t moved = pa_now_ns();

	for (;;) {
		arrivals_in(suite, from, to, a);
		if (a->count >= want)
			break;
		if (a->count != seen) {
			seen  = a->count;
			moved = pa_now_ns();
		} else if (pa_now_ns() - moved > 10ull * 1000000000u) {
			fprintf(stderr, "bench: only %zu of %zu messages reached the fake Twilio\n",
			    a->count, want);
			break;
		}
		harness_sleep_ms(100);
	}
	if (a->count < 2 || a->last <= a->first)
		return 0;
	return (double) (a->count - 1) / ((double) (a->last - a->first) / 1e9);
}

/* Before each pair: fresh planner statistics, as on a database in use. On a new database the
 * service's statements are prepared, and their generic plans cached, while the tables are
 * empty; until autovacuum's first ANALYZE (up to a minute) StartSignup's pending-code lookup then
 * reads every pending row (see bench/README.md). Measuring that start-up would measure
 * autovacuum's timing, so every pair here starts from analyzed tables. */
static pa_err
settle(struct suite *suite)
{
	char   err[512];
	pa_err rv = bench_stack_analyze(&suite->st, err, sizeof err);

	if (rv != PA_OK)
		fprintf(stderr, "bench: %s\n", err);
	return rv;
}

/* ---- the measurements ------------------------------------------------------------------------ */

/* The sizes of a Health request and reply as they travel (envelope, ids, payload). */
static void
health_sizes(size_t *req_bytes, size_t *rep_bytes)
{
	Phoneauth__V1__RequestEnvelope  env  = PHONEAUTH__V1__REQUEST_ENVELOPE__INIT;
	Phoneauth__V1__CallerMetadata   meta = PHONEAUTH__V1__CALLER_METADATA__INIT;
	Phoneauth__V1__HealthResponse   hr   = PHONEAUTH__V1__HEALTH_RESPONSE__INIT;
	Phoneauth__V1__ResponseEnvelope re   = PHONEAUTH__V1__RESPONSE_ENVELOPE__INIT;
	uint8_t                         payload[256];
	char                            id[] = "0123456789abcdef-123456";

	meta.client_token    = (char *) "";
	meta.admin_token     = (char *) "";
	env.method           = (char *) "/phoneauth.v1.Auth/Health";
	env.request_id       = id;
	env.deadline_unix_ms = pa_unix_ms() + 10000;
	env.caller           = &meta;
	*req_bytes           = phoneauth__v1__request_envelope__get_packed_size(&env);
	hr.version           = (char *) PHONEAUTH_VERSION;
	hr.database_ok       = true;
	hr.sms_worker_alive  = true;
	hr.profile           = (char *) "fancy-feathers";
	re.request_id        = id;
	re.payload.len       = phoneauth__v1__health_response__pack(&hr, payload);
	re.payload.data      = payload;
	*rep_bytes           = phoneauth__v1__response_envelope__get_packed_size(&re);
}

static pa_err
measure_health(struct suite *suite)
{
	struct bench_op          h  = { "Health", bench_call_health, NULL, 1 };
	struct bench_op          e  = { "echo", bench_echo_call, NULL, 1 };
	struct bench_echo_target et = { .timeout_ms = 10000 };
	struct bench_load_opts   eo = { .ops = &e,
		  .nops                      = 1,
		  .open                      = bench_echo_open,
		  .close                     = bench_echo_close,
		  .conn_arg                  = &et,
		  .concurrency               = THREADS,
		  .duration_s                = SECONDS,
		  .warmup_s                  = WARMUP };
	struct bench_summary     hs, es;
	size_t                   rep_bytes;
	char                     url[64], err[512], label[96], cpu[128];
	struct row              *r;
	pa_err                   rv;

	if ((rv = rpc_load(suite, "health", "Health, 8 threads", &h, THREADS, SECONDS, 0, 0, &hs))
	    != PA_OK)
		return rv;
	cpu_brief(suite, cpu, sizeof cpu);
	health_sizes(&et.request_bytes, &rep_bytes);
	(void) snprintf(url, sizeof url, "tcp://127.0.0.1:%d", harness_free_port());
	et.url = url;
	if ((rv = bench_stack_echo_start(&suite->st, url, rep_bytes, err, sizeof err)) != PA_OK) {
		fprintf(stderr, "bench: %s\n", err);
		return rv;
	}
	(void) snprintf(label, sizeof label, "bare NNG echo, %zu-byte requests, %zu-byte replies",
	    et.request_bytes, rep_bytes);
	rv = load(suite, "echo", label, &eo, &es);
	bench_stack_echo_stop(&suite->st);
	if (rv != PA_OK)
		return rv;
	set_pair(r = add_row(suite, "Health, 8 threads"), "/s", hs.ok_rps, &hs,
	    "bare NNG REQ/REP echo", es.ok_rps, &es, 0.9);
	(void) snprintf(r->cpu, sizeof r->cpu, "%s", cpu);
	return PA_OK;
}

/* StartSignup with no worker running, so the rows queue up for the worker's drain. */
static pa_err
measure_start_signup(struct suite *suite, size_t *from, size_t *to)
{
	struct bench_signup_arg a;
	struct bench_op         op     = { "StartSignup", bench_call_start_signup, &a, 1 };
	const char *const       defs[] = { "seq=0", NULL };
	/* Phones and ids apart from the first run's (n = client * 10^7 + seq). */
	const char *const    defs_pipelined[] = { "seq=5000000", NULL };
	struct bench_summary rs, ps, pp;
	char                 err[512], cpu[128];
	pa_err               rv;

	*from = take_phones(suite, SIGNUP_PHONES);
	*to   = *from + SIGNUP_PHONES;
	a     = (struct bench_signup_arg) {
		    .phones = &suite->phones, .from = *from + PRIME_SIGNUPS, .to = *to
	};
	/* Rows for the statistics to see; they queue for the worker with the measured ones. */
	if ((rv = bench_setup_signups(&suite->target, THREADS, &suite->phones, *from,
	         *from + PRIME_SIGNUPS, suite->vids, err, sizeof err))
	    != PA_OK) {
		fprintf(stderr, "bench: %s\n", err);
		return rv;
	}
	if ((rv = settle(suite)) != PA_OK)
		return rv;
	if ((rv = rpc_load(
	         suite, "start_signup", "StartSignup, 8 threads", &op, THREADS, SECONDS, 0, 0, &rs))
	    != PA_OK)
		return rv;
	cpu_brief(suite, cpu, sizeof cpu);
	if ((rv = pgbench_both(suite, "start_signup", defs, defs_pipelined, SECONDS, 0, &ps, &pp))
	    != PA_OK)
		return rv;
	/* pgbench's rows are not real messages: the worker must not try them. */
	if ((rv = bench_stack_exec(&suite->st,
	         "DELETE FROM verifications WHERE phone_e164 LIKE '+17%'", err, sizeof err))
	    != PA_OK) {
		fprintf(stderr, "bench: %s\n", err);
		return rv;
	}
	add_pgbench_rows(suite, "StartSignup", rs.ok_rps, &rs, &ps, &pp, cpu);
	return PA_OK;
}

/* {"rate", "messages", "seconds", "cpu_s"} under key. */
static void
worker_json(
    struct suite *suite, const char *key, double rate, const struct arrivals *a, json_object *cpu)
{
	json_object *j = json_object_new_object();

	if (j == NULL) {
		json_object_put(cpu);
		return;
	}
	(void) json_object_object_add(j, "sends_per_s", json_object_new_double(rate));
	(void) json_object_object_add(j, "messages", json_object_new_int64((int64_t) a->count));
	(void) json_object_object_add(
	    j, "seconds", json_object_new_double((double) (a->last - a->first) / 1e9));
	(void) json_object_object_add(j, "cpu_s", cpu);
	(void) json_object_object_add(suite->runs, key, j);
}

static pa_err
measure_worker_fast(struct suite *suite, size_t from, size_t to)
{
	long long queued = bench_stack_qlong(
	    &suite->st, "SELECT count(*) FROM sms_outbox WHERE state = 'queued'");
	struct arrivals  a;
	struct bench_cpu before;
	struct row      *r;
	char             err[512];
	double           rate;
	pa_err           rv;

	if (queued <= 0) {
		fprintf(stderr, "bench: no queued messages for the worker\n");
		return PA_EPROTO;
	}
	if ((rv = bench_stack_worker_start(&suite->st, err, sizeof err)) != PA_OK) {
		fprintf(stderr, "bench: %s\n", err);
		return rv;
	}
	cpu_start(suite, &before);
	rate = drain_rate(suite, from, to, (size_t) queued, &a);
	printf("SMS worker, fake Twilio at 0 ms: %zu of %lld queued messages in %.2f s = %.0f/s\n",
	    a.count, queued, (double) (a.last - a.first) / 1e9, rate);
	worker_json(suite, "worker_0ms", rate, &a, cpu_end(suite, &before));
	set_pair(r = add_row(suite, "SMS worker sends/s, Twilio at 0 ms"), "/s", rate, NULL,
	    "the issue's target", SEND_TARGET, NULL, 1.0);
	cpu_brief(suite, r->cpu, sizeof r->cpu);
	return PA_OK;
}

/* StartSignup at a fixed rate with the worker running: how long until Twilio has the SMS. */
static pa_err
measure_send_latency(struct suite *suite)
{
	size_t                  n    = (size_t) (LATENCY_RATE * (SECONDS + 1)) + 64;
	size_t                  from = take_phones(suite, n);
	struct bench_signup_arg a
	    = { .phones = &suite->phones, .from = from, .to = from + n, .sent_ns = suite->sent_ns };
	struct bench_op      op = { "StartSignup", bench_call_start_signup, &a, 1 };
	struct bench_hist    h  = { 0 };
	struct bench_summary rs, ls = { 0 };
	struct arrivals      arr;
	size_t               sent = 0;
	char                 cpu[128];
	pa_err               rv;

	if ((rv = rpc_load(suite, "send_latency_signups", "StartSignup at 100/s (worker running)",
	         &op, 4, SECONDS, 0, LATENCY_RATE, &rs))
	    != PA_OK)
		return rv;
	cpu_brief(suite, cpu, sizeof cpu);
	for (size_t i = from; i < from + n; i++)
		sent += suite->sent_ns[i] != 0;
	(void) drain_rate(suite, from, from + n, sent, &arr);
	for (size_t i = from; i < from + n; i++) {
		uint64_t t = bench_sms_arrival_ns(suite->st.sms, i);

		if (t != 0 && suite->sent_ns[i] != 0 && t > suite->sent_ns[i])
			bench_hist_record(&h, t - suite->sent_ns[i]);
	}
	bench_summarize_hist(&ls, &h);
	printf("StartSignup -> request at the fake Twilio, %zu messages at 100/s: p50 %.2f ms, "
	       "p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
	    (size_t) h.count, ls.p50_ms, ls.p90_ms, ls.p99_ms, ls.max_ms);
	{
		struct row *r = add_row(suite, "StartSignup to Twilio request, 100/s");

		r->v = ls.p99_ms;
		(void) snprintf(
		    r->value, sizeof r->value, "p50 %.1f ms, p99 %.1f ms", ls.p50_ms, ls.p99_ms);
		(void) snprintf(r->base_name, sizeof r->base_name, "-");
		(void) snprintf(r->base, sizeof r->base, "-");
		(void) snprintf(r->cpu, sizeof r->cpu, "%s", cpu);
	}
	{
		json_object *j = json_object_new_object();

		if (j != NULL) {
			(void) json_object_object_add(
			    j, "messages", json_object_new_int64((int64_t) h.count));
			(void) json_object_object_add(j, "latency_ms", bench_latency_json(&ls));
			(void) json_object_object_add(suite->runs, "send_latency", j);
		}
	}
	return PA_OK;
}

static pa_err
measure_verify_wrong(struct suite *suite)
{
	size_t                  n    = (size_t) THREADS * WRONG_PER_THREAD;
	size_t                  from = take_phones(suite, n);
	struct bench_verify_arg a    = {
		   .vids = suite->vids + from, .n = n, .per_thread = WRONG_PER_THREAD, .max_tries = 90
	};
	struct bench_op   op = { "VerifyCode-wrong", bench_call_verify_code, &a, 1 };
	char              rows[32], per[32], err[2048], cpu[128];
	const char *const setup[] = { "base=0", rows, NULL };
	const char *const defs[]  = { "seq=0", "base=0", per, NULL };
	/* The pipelined run tries verifications of its own: two runs would use up their tries. */
	const char *const    setup_p[] = { "base=3000000", rows, NULL };
	const char *const    defs_p[]  = { "seq=0", "base=3000000", per, NULL };
	struct bench_summary rs, ps, pp;
	pa_err               rv;

	(void) snprintf(rows, sizeof rows, "rows=%zu", n);
	(void) snprintf(per, sizeof per, "per_client=%d", WRONG_PER_THREAD);
	if ((rv = bench_setup_signups(&suite->target, THREADS, &suite->phones, from, from + n,
	         suite->vids, err, sizeof err))
	        != PA_OK
	    || (rv = bench_stack_psql(
	            &suite->st, BENCH_SQL_DIR "/verify_setup.sql", setup, err, sizeof err))
	        != PA_OK
	    || (rv = bench_stack_psql(
	            &suite->st, BENCH_SQL_DIR "/verify_setup.sql", setup_p, err, sizeof err))
	        != PA_OK) {
		fprintf(stderr, "bench: %s\n", err);
		return rv;
	}
	if ((rv = settle(suite)) != PA_OK)
		return rv;
	if ((rv = rpc_load(suite, "verify_wrong", "VerifyCode, wrong codes, 8 threads", &op,
	         THREADS, SECONDS, 0, 0, &rs))
	    != PA_OK)
		return rv;
	cpu_brief(suite, cpu, sizeof cpu);
	if ((rv = pgbench_both(suite, "verify_wrong", defs, defs_p, SECONDS, 0, &ps, &pp)) != PA_OK)
		return rv;
	/* A wrong code is answered INVALID_ARGUMENT: that is the success of this call. */
	add_pgbench_rows(suite, "VerifyCode wrong code", rs.rps, &rs, &ps, &pp, cpu);
	return PA_OK;
}

static pa_err
measure_verify_right(struct suite *suite)
{
	size_t                  from = take_phones(suite, RIGHT_COUNT);
	struct bench_verify_arg a    = { .vids = suite->vids + from,
		   .n                          = RIGHT_COUNT,
		   .codes = (const char(*)[BENCH_CODE_LEN])(suite->codes + from) };
	struct bench_op         op   = { "VerifyCode-right", bench_call_verify_code, &a, 1 };
	char                    rows[32], per[32], err[2048], cpu[128];
	const char *const       setup[] = { "base=1000000", rows, NULL };
	const char *const       defs[]  = { "seq=0", "base=1000000", per, NULL };
	/* The pipelined run needs pending verifications of its own. */
	const char *const    setup_p[] = { "base=2000000", rows, NULL };
	const char *const    defs_p[]  = { "seq=0", "base=2000000", per, NULL };
	struct bench_summary rs, ps, pp;
	pa_err               rv;

	(void) snprintf(rows, sizeof rows, "rows=%d", RIGHT_COUNT);
	(void) snprintf(per, sizeof per, "per_client=%d", RIGHT_COUNT / THREADS);
	if ((rv = bench_setup_signups(&suite->target, THREADS, &suite->phones, from,
	         from + RIGHT_COUNT, suite->vids, err, sizeof err))
	        != PA_OK
	    || (rv = bench_setup_codes(
	            suite->st.sms, from, from + RIGHT_COUNT, suite->codes, 60000, err, sizeof err))
	        != PA_OK
	    || (rv = bench_stack_psql(
	            &suite->st, BENCH_SQL_DIR "/verify_setup.sql", setup, err, sizeof err))
	        != PA_OK
	    || (rv = bench_stack_psql(
	            &suite->st, BENCH_SQL_DIR "/verify_setup.sql", setup_p, err, sizeof err))
	        != PA_OK) {
		fprintf(stderr, "bench: %s\n", err);
		return rv;
	}
	if ((rv = settle(suite)) != PA_OK)
		return rv;
	if ((rv = rpc_load(suite, "verify_right", "VerifyCode, right codes, 8 threads", &op,
	         THREADS, 0, RIGHT_COUNT, 0, &rs))
	    != PA_OK)
		return rv;
	cpu_brief(suite, cpu, sizeof cpu);
	if ((rv = pgbench_both(
	         suite, "verify_right", defs, defs_p, 0, RIGHT_COUNT / THREADS, &ps, &pp))
	    != PA_OK)
		return rv;
	add_pgbench_rows(suite, "VerifyCode right code", rs.ok_rps, &rs, &ps, &pp, cpu);
	return PA_OK;
}

struct background {
	struct suite        *suite;
	struct bench_op     *op;
	double               seconds;
	struct bench_summary sum;
	pa_err               rv;
};

static void *
background_login(void *arg)
{
	struct background *b = arg;

	b->rv = rpc_load(b->suite, "login_background", "Login (load behind the Health probe)",
	    b->op, LOGIN_THREADS, b->seconds, 0, 0, &b->sum);
	return NULL;
}

static pa_err
measure_login(struct suite *suite)
{
	size_t                 from = take_phones(suite, LOGIN_THREADS);
	struct bench_login_arg la
	    = { .phones = &suite->phones, .from = from, .n = LOGIN_THREADS, .password = PASSWORD };
	struct bench_op        lop = { "Login", bench_call_login, &la, 1 };
	struct bench_op        hop = { "Health", bench_call_health, NULL, 1 };
	struct bench_argon     argon;
	struct bench_op        aop   = { "crypto_pwhash_str_verify", bench_argon_call, &argon, 1 };
	long                   nproc = sysconf(_SC_NPROCESSORS_ONLN);
	struct bench_load_opts ao    = { .ops = &aop,
		   .nops                      = 1,
		   .open                      = bench_argon_open,
		   .close                     = bench_argon_close,
		   .conn_arg                  = &argon,
		   .concurrency               = (unsigned) (nproc > 0 ? nproc : 1),
		   .duration_s                = SECONDS,
		   .warmup_s                  = WARMUP };
	struct background      bg    = { .suite = suite, .op = &lop, .seconds = SECONDS + 2 };
	struct bench_summary   ls, as, idle, busy;
	pthread_t              tid;
	struct row            *r;
	char                   err[512], label[96], cpu[128];
	pa_err                 rv;

	if ((rv = bench_setup_accounts(&suite->target, LOGIN_THREADS, suite->st.sms, &suite->phones,
	         from, from + LOGIN_THREADS, PASSWORD, err, sizeof err))
	        != PA_OK
	    || (rv = bench_argon_prepare(
	            &argon, PASSWORD, BENCH_PWHASH_OPS, (size_t) BENCH_PWHASH_MEM_KIB * 1024u))
	        != PA_OK) {
		fprintf(stderr, "bench: %s\n", rv == PA_ENOMEM ? "Argon2id: out of memory" : err);
		return rv;
	}
	if ((rv = settle(suite)) != PA_OK)
		return rv;
	if ((rv = rpc_load(
	         suite, "login", "Login, 4 threads", &lop, LOGIN_THREADS, SECONDS, 0, 0, &ls))
	    != PA_OK)
		return rv;
	cpu_brief(suite, cpu, sizeof cpu);
	(void) snprintf(
	    label, sizeof label, "bare crypto_pwhash_str_verify, %u threads", ao.concurrency);
	if ((rv = load(suite, "argon2id", label, &ao, &as)) != PA_OK)
		return rv;
	(void) snprintf(label, sizeof label, "bare Argon2id, %u threads", ao.concurrency);
	set_pair(r = add_row(suite, "Login, 4 threads (2 slow workers)"), "/s", ls.ok_rps, &ls,
	    label, as.ok_rps, &as, 0.9);
	(void) snprintf(r->cpu, sizeof r->cpu, "%s", cpu);

	/* Health's p99 at a steady 200/s: alone, then while logins keep the slow pool full. */
	if ((rv = rpc_load(suite, "health_probe_idle", "Health at 200/s, idle", &hop, PROBE_THREADS,
	         SECONDS, 0, PROBE_RATE, &idle))
	    != PA_OK)
		return rv;
	if (pthread_create(&tid, NULL, background_login, &bg) != 0)
		return PA_ENOMEM;
	harness_sleep_ms(1500);
	rv = rpc_load(suite, "health_probe_logins",
	    "Health at 200/s, logins saturating the slow pool", &hop, PROBE_THREADS, SECONDS, 0,
	    PROBE_RATE, &busy);
	cpu_brief(suite, cpu, sizeof cpu);
	(void) pthread_join(tid, NULL);
	if (rv != PA_OK || bg.rv != PA_OK)
		return rv != PA_OK ? rv : bg.rv;
	{
		r               = add_row(suite, "Health p99 at 200/s while logins saturate");
		r->v            = busy.p99_ms;
		r->b            = idle.p99_ms;
		r->ratio        = idle.p99_ms > 0 ? busy.p99_ms / idle.p99_ms : -1;
		r->lower_better = true;
		(void) snprintf(
		    r->value, sizeof r->value, "p99 %.2f ms (p50 %.2f)", busy.p99_ms, busy.p50_ms);
		(void) snprintf(r->base_name, sizeof r->base_name, "same, no logins");
		(void) snprintf(
		    r->base, sizeof r->base, "p99 %.2f ms (p50 %.2f)", idle.p99_ms, idle.p50_ms);
		(void) snprintf(r->cpu, sizeof r->cpu, "%s", cpu);
	}
	return PA_OK;
}

struct flood {
	struct suite        *suite;
	double               seconds;
	struct bench_summary sum;
	pa_err               rv;
};

static void *
background_flood(void *arg)
{
	struct flood   *f  = arg;
	struct bench_op op = { "Login flood", bench_call_login_flood, NULL, 1 };

	f->rv = rpc_load(f->suite, "login_flood", "bogus logins from one IP", &op, FLOOD_THREADS,
	    f->seconds, 0, FLOOD_RATE, &f->sum);
	return NULL;
}

/* Issue 13's login flood: one user's login p99 (one thread, its own IP, a steady rate) alone,
 * then while one IP floods bogus logins of an unknown phone (each would cost an Argon2 run):
 * the slow pool's admission (PHONEAUTH_SLOW_PER_IP) keeps the flood to its share. */
static pa_err
measure_login_flood(struct suite *suite)
{
	size_t                 from = take_phones(suite, 1);
	struct bench_login_arg la
	    = { .phones = &suite->phones, .from = from, .n = 1, .password = PASSWORD };
	struct bench_op      lop = { "Login", bench_call_login, &la, 1 };
	struct flood         f   = { .suite = suite, .seconds = FLOOD_PROBE_SECONDS + 2 };
	struct bench_summary idle, busy;
	struct row          *r;
	pthread_t            tid;
	char                 err[512], cpu[128];
	pa_err               rv;

	if ((rv = bench_setup_accounts(&suite->target, 1, suite->st.sms, &suite->phones, from,
	         from + 1, PASSWORD, err, sizeof err))
	    != PA_OK) {
		fprintf(stderr, "bench: %s\n", err);
		return rv;
	}
	if ((rv = rpc_load(suite, "login_probe_idle", "Login at 5/s, idle", &lop, 1,
	         FLOOD_PROBE_SECONDS, 0, FLOOD_PROBE_RATE, &idle))
	    != PA_OK)
		return rv;
	if (pthread_create(&tid, NULL, background_flood, &f) != 0)
		return PA_ENOMEM;
	harness_sleep_ms(1500);
	rv = rpc_load(suite, "login_probe_flood", "Login at 5/s, one IP flooding bogus logins",
	    &lop, 1, FLOOD_PROBE_SECONDS, 0, FLOOD_PROBE_RATE, &busy);
	cpu_brief(suite, cpu, sizeof cpu);
	(void) pthread_join(tid, NULL);
	if (rv != PA_OK || f.rv != PA_OK)
		return rv != PA_OK ? rv : f.rv;
	r               = add_row(suite, "Login p99 at 5/s while one IP floods 200 bogus logins/s");
	r->v            = busy.p99_ms;
	r->b            = idle.p99_ms;
	r->ratio        = idle.p99_ms > 0 ? busy.p99_ms / idle.p99_ms : -1;
	r->lower_better = true;
	(void) snprintf(
	    r->value, sizeof r->value, "p99 %.1f ms (p50 %.1f)", busy.p99_ms, busy.p50_ms);
	/* Each reply's code is in the JSON (login_flood): RESOURCE_EXHAUSTED are the refusals. */
	printf("login flood: %.0f bogus logins/s answered\n", f.sum.rps);
	(void) snprintf(r->base_name, sizeof r->base_name, "same, no flood");
	(void) snprintf(
	    r->base, sizeof r->base, "p99 %.1f ms (p50 %.1f)", idle.p99_ms, idle.p50_ms);
	(void) snprintf(r->cpu, sizeof r->cpu, "%s", cpu);
	return PA_OK;
}

static pa_err
measure_worker_slow(struct suite *suite)
{
	size_t           from  = take_phones(suite, SLOW_MESSAGES);
	double           ideal = BENCH_SEND_CONCURRENCY / (SLOW_TWILIO_MS / 1000.0), rate;
	struct arrivals  a;
	struct bench_cpu before;
	struct row      *r;
	char             err[2048];
	pa_err           rv;

	bench_stack_worker_stop(&suite->st);
	bench_sms_set_latency(suite->st.sms, SLOW_TWILIO_MS);
	if ((rv = bench_setup_signups(&suite->target, THREADS, &suite->phones, from,
	         from + SLOW_MESSAGES, suite->vids, err, sizeof err))
	        != PA_OK
	    || (rv = bench_stack_worker_start(&suite->st, err, sizeof err)) != PA_OK) {
		fprintf(stderr, "bench: %s\n", err);
		return rv;
	}
	cpu_start(suite, &before);
	rate = drain_rate(suite, from, from + SLOW_MESSAGES, SLOW_MESSAGES, &a);
	worker_json(suite, "worker_250ms", rate, &a, cpu_end(suite, &before));
	printf("SMS worker, fake Twilio at %d ms: %zu messages in %.2f s = %.1f/s (ideal %d in "
	       "flight / %d ms = %.0f/s)\n",
	    SLOW_TWILIO_MS, a.count, (double) (a.last - a.first) / 1e9, rate,
	    BENCH_SEND_CONCURRENCY, SLOW_TWILIO_MS, ideal);
	bench_stack_worker_stop(&suite->st);
	bench_sms_set_latency(suite->st.sms, 0);
	set_pair(r = add_row(suite, "SMS worker sends/s, Twilio at 250 ms"), "/s", rate, NULL,
	    "ideal: 32 in flight / 250 ms", ideal, NULL, 0.9);
	cpu_brief(suite, r->cpu, sizeof r->cpu);
	return PA_OK;
}

/* ---- output ---------------------------------------------------------------------------------- */

static void
print_table(const struct suite *suite, FILE *f)
{
	char host[320];

	bench_host_line(host, sizeof host);
	(void) fprintf(f, "\nphoneauth bench on %s\n\n", host);
	(void) fprintf(f,
	    "| measurement | phoneauth | baseline | baseline figure | ratio | target "
	    "| CPU during the phoneauth run |\n");
	(void) fprintf(f, "|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < suite->nrows; i++) {
		const struct row *r         = &suite->rows[i];
		char              ratio[24] = "-", target[24] = "-";

		if (r->ratio >= 0)
			(void) snprintf(ratio, sizeof ratio, "%.2f%s", r->ratio,
			    r->target > 0 && r->ratio < r->target ? " (short)" : "");
		if (r->target > 0)
			(void) snprintf(target, sizeof target, ">= %.1f", r->target);
		else if (r->lower_better)
			(void) snprintf(target, sizeof target, "lower is better");
		(void) fprintf(f, "| %s | %s | %s | %s | %s | %s | %s |\n", r->name, r->value,
		    r->base_name, r->base, ratio, target, r->cpu);
	}
	(void) fprintf(f, "\n");
}

static json_object *
rows_json(const struct suite *suite)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; arr != NULL && i < suite->nrows; i++) {
		const struct row *r = &suite->rows[i];
		json_object      *o = json_object_new_object();

		if (o == NULL)
			continue;
		(void) json_object_object_add(o, "measurement", json_object_new_string(r->name));
		(void) json_object_object_add(o, "phoneauth", json_object_new_string(r->value));
		(void) json_object_object_add(o, "value", json_object_new_double(r->v));
		(void) json_object_object_add(o, "baseline", json_object_new_string(r->base_name));
		(void) json_object_object_add(o, "baseline_text", json_object_new_string(r->base));
		(void) json_object_object_add(o, "baseline_value", json_object_new_double(r->b));
		(void) json_object_object_add(o, "cpu", json_object_new_string(r->cpu));
		if (r->ratio >= 0)
			(void) json_object_object_add(o, "ratio", json_object_new_double(r->ratio));
		if (r->target > 0)
			(void) json_object_object_add(
			    o, "target_ratio", json_object_new_double(r->target));
		(void) json_object_array_add(arr, o);
	}
	return arr;
}

/* What every figure was measured with. */
static json_object *
settings_json(void)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	(void) json_object_object_add(o, "profile",
	    json_object_new_string(
	        "fancy-feathers, PHONEAUTH_SUBSCRIPTION_REQUIRED=false, "
	        "PHONEAUTH_TRIES_PER_CODE=100, PHONEAUTH_TRIES_PER_PHONE=10000"));
	(void) json_object_object_add(o, "threads", json_object_new_int(THREADS));
	(void) json_object_object_add(o, "seconds", json_object_new_double(SECONDS));
	(void) json_object_object_add(o, "warmup_s", json_object_new_double(WARMUP));
	(void) json_object_object_add(o, "rpc_workers", json_object_new_int(BENCH_RPC_WORKERS));
	(void) json_object_object_add(o, "slow_workers", json_object_new_int(BENCH_SLOW_WORKERS));
	(void) json_object_object_add(o, "pwhash_ops", json_object_new_int(BENCH_PWHASH_OPS));
	(void) json_object_object_add(
	    o, "pwhash_mem_kib", json_object_new_int(BENCH_PWHASH_MEM_KIB));
	(void) json_object_object_add(
	    o, "send_concurrency", json_object_new_int(BENCH_SEND_CONCURRENCY));
	(void) json_object_object_add(o, "login_threads", json_object_new_int(LOGIN_THREADS));
	(void) json_object_object_add(o, "right_codes", json_object_new_int(RIGHT_COUNT));
	(void) json_object_object_add(o, "wrong_per_thread", json_object_new_int(WRONG_PER_THREAD));
	return o;
}

static int
write_json(struct suite *suite, const char *out_dir, double total_s)
{
	json_object *j = json_object_new_object();
	char         path[1024], stamp[32], err[512];
	time_t       now = time(NULL);
	struct tm    tm;
	int          rv = 0;

	if (j == NULL)
		return 1;
	(void) gmtime_r(&now, &tm);
	(void) strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	(void) mkdir(out_dir, 0755);
	(void) snprintf(path, sizeof path, "%s/bench-%s.json", out_dir, stamp);
	(void) json_object_object_add(j, "finished_at", json_object_new_string(stamp));
	(void) json_object_object_add(j, "version", json_object_new_string(PHONEAUTH_VERSION));
	(void) json_object_object_add(j, "host", bench_host_json());
	(void) json_object_object_add(j, "total_s", json_object_new_double(total_s));
	(void) json_object_object_add(j, "settings", settings_json());
	(void) json_object_object_add(j, "rows", rows_json(suite));
	(void) json_object_object_add(j, "runs", json_object_get(suite->runs));
	if (bench_json_write(path, j, err, sizeof err) != PA_OK) {
		fprintf(stderr, "bench: %s\n", err);
		rv = 1;
	} else {
		printf("results: %s\n", path);
	}
	json_object_put(j);
	return rv;
}

/* ---- main ------------------------------------------------------------------------------------ */

static pa_err
run_all(struct suite *suite)
{
	size_t from, to;
	pa_err rv;

	printf("== Health against a bare NNG echo\n");
	if ((rv = measure_health(suite)) != PA_OK)
		return rv;
	printf("== StartSignup against pgbench (no SMS worker running: the messages queue)\n");
	if ((rv = measure_start_signup(suite, &from, &to)) != PA_OK)
		return rv;
	printf("== SMS worker draining the queue, fake Twilio answering at once\n");
	if ((rv = measure_worker_fast(suite, from, to)) != PA_OK)
		return rv;
	printf("== StartSignup to Twilio request, at a fixed rate\n");
	if ((rv = measure_send_latency(suite)) != PA_OK)
		return rv;
	printf("== VerifyCode, wrong codes, against pgbench\n");
	if ((rv = measure_verify_wrong(suite)) != PA_OK)
		return rv;
	printf("== VerifyCode, right codes, against pgbench\n");
	if ((rv = measure_verify_right(suite)) != PA_OK)
		return rv;
	printf("== Login against bare Argon2id; Health while logins saturate the slow pool\n");
	if ((rv = measure_login(suite)) != PA_OK || (rv = measure_login_flood(suite)) != PA_OK)
		return rv;
	printf("== SMS worker, fake Twilio answering after %d ms\n", SLOW_TWILIO_MS);
	return measure_worker_slow(suite);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = { { "out", required_argument, NULL, 'o' },
		{ "pgdir", required_argument, NULL, 'p' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 } };
	struct suite               suite  = { .target = { .timeout_ms = 30000 } };
	const char                *out = NULL, *pgdir = "bench-pg";
	char                       err[1024] = "out of memory", pgabs[512];
	uint64_t                   t0        = pa_now_ns();
	int                        opt, status = 1;
	pa_err                     rv;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'p':
			pgdir = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("phoneauth-bench-suite %s\n", PHONEAUTH_VERSION);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (out == NULL || optind < argc) {
		fputs(usage, stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pa_crypto_init() != PA_OK || (suite.runs = json_object_new_object()) == NULL)
		return 1;
	if (pgdir[0] != '/' && getcwd(pgabs, sizeof pgabs) != NULL) {
		size_t n = strlen(pgabs);

		(void) snprintf(pgabs + n, sizeof pgabs - n, "/%s", pgdir);
		pgdir = pgabs;
	}
	(void) snprintf(suite.tmp_dir, sizeof suite.tmp_dir, "%s", PHONEAUTH_TEST_TMP);
	(void) mkdir(suite.tmp_dir, 0755);

	printf("preparing %d phone numbers (each checked with pa_phone_check)\n",
	    SIGNUP_PHONES + 8000);
	if (bench_phones_make(&suite.phones, 0, SIGNUP_PHONES + 8000, err, sizeof err) != PA_OK
	    || (suite.vids = calloc(suite.phones.n, sizeof *suite.vids)) == NULL
	    || (suite.codes = calloc(suite.phones.n, sizeof *suite.codes)) == NULL
	    || (suite.sent_ns = calloc(suite.phones.n, sizeof *suite.sent_ns)) == NULL) {
		fprintf(stderr, "bench: %s\n", err);
		goto out_free;
	}
	printf("starting PostgreSQL (%s), phoneauth-auth and the fake Twilio\n", pgdir);
	if (bench_stack_start(&suite.st, pgdir, err, sizeof err) != PA_OK) {
		fprintf(stderr, "bench: %s\n", err);
		goto out_free;
	}
	suite.target.url = suite.st.rpc_url;
	{
		char datadir[600];

		(void) snprintf(datadir, sizeof datadir, "%s/data", suite.st.pgdir);
		suite.postmaster = bench_cpu_postmaster(datadir);
	}
	if (bench_sms_track(suite.st.sms, &suite.phones) != PA_OK)
		goto out_stop;
	rv = run_all(&suite);
	print_table(&suite, stdout);
	status = write_json(&suite, out, (double) (pa_now_ns() - t0) / 1e9);
	if (rv != PA_OK) {
		fprintf(stderr, "bench: stopped early (logs in %s)\n", suite.tmp_dir);
		status = 1;
	}
	printf("total %.0f s\n", (double) (pa_now_ns() - t0) / 1e9);
out_stop:
	bench_stack_stop(&suite.st);
out_free:
	json_object_put(suite.runs);
	free(suite.sent_ns);
	free(suite.codes);
	free(suite.vids);
	bench_phones_free(&suite.phones);
	return status;
}
