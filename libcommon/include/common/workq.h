/* workq.h: a bounded job queue served by a fixed set of threads, each with state of its own
 * (a PostgreSQL connection). A full queue refuses at once instead of waiting: callers turn that
 * into back-pressure (RESOURCE_EXHAUSTED). */
#ifndef PHONEAUTH_COMMON_WORKQ_H
#define PHONEAUTH_COMMON_WORKQ_H

#include "common/err.h"

struct pa_workq;

/* Runs once in each thread before it takes jobs; returns that thread's state (may be NULL). */
typedef void *pa_workq_init_fn(void *arg);
/* Runs once in each thread after its last job. */
typedef void pa_workq_fini_fn(void *state, void *arg);
/* Runs one job on a queue thread; may block. */
typedef void pa_workq_job_fn(void *state, void *job);

struct pa_workq_opts {
	unsigned          threads;
	unsigned          capacity; /* jobs waiting, not counting those running */
	pa_workq_init_fn *init; /* optional */
	pa_workq_fini_fn *fini; /* optional */
	pa_workq_job_fn  *run;
	void             *arg;
};

/* Starts the threads. */
pa_err pa_workq_new(struct pa_workq **out, const struct pa_workq_opts *opts) PA_MUSTCHECK;

/* Queues job without blocking: PA_ELIMIT when full, PA_ECLOSED once closing. On failure the
 * caller still owns job. Safe from any thread, NNG callbacks included. */
pa_err pa_workq_push(struct pa_workq *q, void *job) PA_MUSTCHECK;

/* Jobs waiting right now. */
unsigned pa_workq_depth(struct pa_workq *q);

/* Refuses new jobs, lets the threads finish every queued job, joins them and frees q.
 * NULL is a no-op. Never call it from a queue thread. */
void pa_workq_free(struct pa_workq *q);

#endif
