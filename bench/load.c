/* load.c: the measurement loop (see load.h). The loop itself only takes a ticket, calls, reads
 * the clock and records; the operations and their data are prepared before it starts. */
#include "load.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/metrics.h"

struct run {
	const struct bench_load_opts *o;
	unsigned                     *schedule; /* op index per ticket, a weighted round robin */
	size_t                        nschedule;
	pthread_mutex_t               mtx; /* with cv: the start gate */
	pthread_cond_t                cv;
	unsigned                      nopened;
	bool                          go;
	atomic_uint_fast64_t          tickets;
	atomic_uint_fast64_t         *op_seq; /* [nops] */
	atomic_bool                   ran_out;
	atomic_int                    open_failed; /* thread + 1 */
	uint64_t                      t0, record_from, t_end; /* t_end: 0 in count mode */
	struct bench_op_stats        *stats; /* [concurrency][nops] */
	uint64_t                     *last_ns; /* [concurrency]: the last recorded completion */
};

struct worker {
	struct run *run;
	unsigned    thread;
	pthread_t   tid;
};

static void
sleep_until(uint64_t t_ns)
{
	struct timespec ts = { (time_t) (t_ns / 1000000000u), (long) (t_ns % 1000000000u) };

	/* pa_now_ns is CLOCK_MONOTONIC. */
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void
loop(struct run *run, unsigned thread, void *conn)
{
	const struct bench_load_opts *o        = run->o;
	struct bench_op_stats        *stats    = &run->stats[(size_t) thread * o->nops];
	uint64_t                      tseq[16] = { 0 }, last = 0;

	for (;;) {
		uint64_t         k, start, end;
		unsigned         op;
		struct bench_req r;
		int              rc;

		if (o->stop != NULL && atomic_load(o->stop))
			break;
		k = atomic_fetch_add(&run->tickets, 1);
		if (run->t_end == 0 && k >= o->count)
			break;
		op = run->schedule[k % run->nschedule];
		if (o->rate > 0) {
			start = run->t0 + (uint64_t) ((double) k * 1e9 / o->rate);
			if (run->t_end != 0 && start >= run->t_end)
				break;
			sleep_until(start);
		} else {
			start = pa_now_ns();
			if (run->t_end != 0 && start >= run->t_end)
				break;
		}
		r   = (struct bench_req) { .thread = thread,
			  .seq                     = atomic_fetch_add(&run->op_seq[op], 1),
			  .tseq                    = tseq[op]++ };
		rc  = o->ops[op].call(conn, o->ops[op].arg, &r);
		end = pa_now_ns();
		if (rc == BENCH_DONE) {
			atomic_store(&run->ran_out, true);
			break;
		}
		/* Completions inside the window count; in count mode, all of them. */
		if (end < run->record_from || (run->t_end != 0 && end > run->t_end))
			continue;
		if (rc >= 0 && rc < BENCH_NCODES) {
			bench_hist_record(&stats[op].hist, end - start);
			stats[op].codes[rc]++;
		} else {
			stats[op].no_reply++;
		}
		last = end;
	}
	run->last_ns[thread] = last;
}

static void *
worker_main(void *arg)
{
	struct worker *w    = arg;
	struct run    *run  = w->run;
	void          *conn = run->o->open(run->o->conn_arg, w->thread);

	if (conn == NULL)
		atomic_store(&run->open_failed, (int) w->thread + 1);
	pthread_mutex_lock(&run->mtx);
	run->nopened++;
	(void) pthread_cond_broadcast(&run->cv);
	while (!run->go)
		pthread_cond_wait(&run->cv, &run->mtx);
	pthread_mutex_unlock(&run->mtx);
	if (conn != NULL && atomic_load(&run->open_failed) == 0)
		loop(run, w->thread, conn);
	if (conn != NULL)
		run->o->close(conn);
	return NULL;
}

static pa_err
make_schedule(struct run *run)
{
	const struct bench_load_opts *o = run->o;
	size_t                        n = 0, k = 0;
	unsigned                     *left;

	for (size_t i = 0; i < o->nops; i++)
		n += o->ops[i].weight ? o->ops[i].weight : 1;
	if ((run->schedule = calloc(n, sizeof *run->schedule)) == NULL
	    || (left = calloc(o->nops, sizeof *left)) == NULL)
		return PA_ENOMEM;
	for (size_t i = 0; i < o->nops; i++)
		left[i] = o->ops[i].weight ? o->ops[i].weight : 1;
	/* Interleaved (a b a b a), not in runs (a a a b b), so a mix is a mix at every moment. */
	while (k < n)
		for (size_t i = 0; i < o->nops; i++)
			if (left[i] > 0) {
				left[i]--;
				run->schedule[k++] = (unsigned) i;
			}
	free(left);
	run->nschedule = n;
	return PA_OK;
}

pa_err
bench_load_run(
    struct bench_load_result *out, const struct bench_load_opts *o, char *err, size_t errsz)
{
	struct run     run     = { .o = o };
	struct worker *ws      = NULL;
	unsigned       started = 0;
	uint64_t       last    = 0;
	pa_err         rv      = PA_ENOMEM;

	if (o->concurrency == 0 || o->nops == 0 || o->nops > 16
	    || (o->duration_s <= 0 && o->count == 0)) {
		(void) snprintf(err, errsz,
		    "a run needs threads, 1 to 16 operations, and a duration "
		    "or a count");
		return PA_EINVAL;
	}
	if (make_schedule(&run) != PA_OK
	    || (run.op_seq = calloc(o->nops, sizeof *run.op_seq)) == NULL
	    || (run.stats = calloc((size_t) o->concurrency * o->nops, sizeof *run.stats)) == NULL
	    || (run.last_ns = calloc(o->concurrency, sizeof *run.last_ns)) == NULL
	    || (ws = calloc(o->concurrency, sizeof *ws)) == NULL)
		goto out_free;
	for (size_t i = 0; i < o->nops; i++)
		atomic_init(&run.op_seq[i], 0);
	atomic_init(&run.tickets, 0);
	atomic_init(&run.ran_out, false);
	atomic_init(&run.open_failed, 0);
	if (pthread_mutex_init(&run.mtx, NULL) != 0)
		goto out_free;
	if (pthread_cond_init(&run.cv, NULL) != 0) {
		(void) pthread_mutex_destroy(&run.mtx);
		goto out_free;
	}
	for (; started < o->concurrency; started++) {
		ws[started] = (struct worker) { .run = &run, .thread = started };
		if (pthread_create(&ws[started].tid, NULL, worker_main, &ws[started]) != 0) {
			/* The threads that did start are let go at once and do nothing. */
			atomic_store(&run.open_failed, (int) started + 1);
			break;
		}
	}
	/* Every connection is open (or failed) before the clock starts. */
	pthread_mutex_lock(&run.mtx);
	while (run.nopened < started)
		pthread_cond_wait(&run.cv, &run.mtx);
	run.t0          = pa_now_ns();
	run.record_from = o->duration_s > 0 ? run.t0 + (uint64_t) (o->warmup_s * 1e9) : run.t0;
	run.t_end = o->duration_s > 0 ? run.record_from + (uint64_t) (o->duration_s * 1e9) : 0;
	run.go    = true;
	(void) pthread_cond_broadcast(&run.cv);
	pthread_mutex_unlock(&run.mtx);
	for (unsigned i = 0; i < started; i++)
		(void) pthread_join(ws[i].tid, NULL);
	(void) pthread_cond_destroy(&run.cv);
	(void) pthread_mutex_destroy(&run.mtx);
	if (atomic_load(&run.open_failed) != 0) {
		(void) snprintf(err, errsz, "thread %d could not start or open its connection",
		    atomic_load(&run.open_failed) - 1);
		rv = PA_EIO;
		goto out_free;
	}

	*out = (struct bench_load_result) { .nops = o->nops, .ran_out = atomic_load(&run.ran_out) };
	if ((out->ops = calloc(o->nops, sizeof *out->ops)) == NULL)
		goto out_free;
	for (unsigned t = 0; t < o->concurrency; t++) {
		for (size_t i = 0; i < o->nops; i++) {
			const struct bench_op_stats *s = &run.stats[(size_t) t * o->nops + i];

			bench_hist_merge(&out->ops[i].hist, &s->hist);
			for (unsigned c = 0; c < BENCH_NCODES; c++)
				out->ops[i].codes[c] += s->codes[c];
			out->ops[i].no_reply += s->no_reply;
		}
		if (run.last_ns[t] > last)
			last = run.last_ns[t];
	}
	/* A duration run is measured over its window; a count run until its last reply. */
	if (run.t_end != 0 && !out->ran_out)
		out->elapsed_s = (double) (run.t_end - run.record_from) / 1e9;
	else
		out->elapsed_s
		    = last > run.record_from ? (double) (last - run.record_from) / 1e9 : 0;
	rv = PA_OK;
out_free:
	free(ws);
	free(run.last_ns);
	free(run.stats);
	free(run.op_seq);
	free(run.schedule);
	return rv;
}

void
bench_load_result_free(struct bench_load_result *r)
{
	if (r == NULL)
		return;
	free(r->ops);
	*r = (struct bench_load_result) { 0 };
}

uint64_t
bench_op_replies(const struct bench_op_stats *s)
{
	uint64_t n = 0;

	for (unsigned c = 0; c < BENCH_NCODES; c++)
		n += s->codes[c];
	return n;
}
