/* workq.c: bounded ring of jobs, one mutex and one condition variable, a fixed set of threads. */
#include "common/workq.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "common/ring.h"

struct pa_workq {
	pthread_mutex_t      mtx;
	pthread_cond_t       cv;
	struct pa_ring       ring; /* of void *: the jobs */
	bool                 closing;
	unsigned             nthreads;
	pthread_t           *threads;
	struct pa_workq_opts opts;
};

static void *
workq_main(void *arg)
{
	struct pa_workq *q     = arg;
	void            *state = q->opts.init ? q->opts.init(q->opts.arg) : NULL;

	for (;;) {
		void *job;

		pthread_mutex_lock(&q->mtx);
		while (q->ring.count == 0 && !q->closing)
			pthread_cond_wait(&q->cv, &q->mtx);
		if (!pa_ring_pop(&q->ring, &job)) {
			pthread_mutex_unlock(&q->mtx);
			break;
		}
		pthread_mutex_unlock(&q->mtx);
		q->opts.run(state, job);
	}
	if (q->opts.fini)
		q->opts.fini(state, q->opts.arg);
	return NULL;
}

pa_err
pa_workq_new(struct pa_workq **out, const struct pa_workq_opts *opts)
{
	struct pa_workq *q;

	if (opts->threads == 0 || opts->capacity == 0 || opts->run == NULL)
		return PA_EINVAL;
	if ((q = calloc(1, sizeof *q)) == NULL)
		return PA_ENOMEM;
	q->opts    = *opts;
	q->threads = calloc(opts->threads, sizeof *q->threads);
	if (q->threads == NULL || pa_ring_init(&q->ring, opts->capacity, sizeof(void *)) != PA_OK) {
		pa_ring_fini(&q->ring);
		free(q->threads);
		free(q);
		return PA_ENOMEM;
	}
	pthread_mutex_init(&q->mtx, NULL);
	pthread_cond_init(&q->cv, NULL);
	for (; q->nthreads < opts->threads; q->nthreads++) {
		if (pthread_create(&q->threads[q->nthreads], NULL, workq_main, q) != 0) {
			pa_workq_free(q);
			return PA_ENOMEM;
		}
	}
	*out = q;
	return PA_OK;
}

pa_err
pa_workq_push(struct pa_workq *q, void *job)
{
	pa_err rv = PA_OK;

	pthread_mutex_lock(&q->mtx);
	if (q->closing)
		rv = PA_ECLOSED;
	else if (!pa_ring_push(&q->ring, &job))
		rv = PA_ELIMIT;
	else
		pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mtx);
	return rv;
}

unsigned
pa_workq_depth(struct pa_workq *q)
{
	unsigned n;

	pthread_mutex_lock(&q->mtx);
	n = (unsigned) q->ring.count;
	pthread_mutex_unlock(&q->mtx);
	return n;
}

void
pa_workq_free(struct pa_workq *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mtx);
	q->closing = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mtx);
	for (unsigned i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mtx);
	free(q->threads);
	pa_ring_fini(&q->ring);
	free(q);
}
