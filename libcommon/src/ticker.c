/* ticker.c: the wait is a condition variable on the monotonic clock, so a stop ends it at once and
 * a wall-clock jump does not move the schedule. */
#include "common/ticker.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

struct pa_ticker {
	pthread_t       thread;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	atomic_bool     stop;
	int             every_s;
	pa_ticker_fn   *fn, *final;
	void           *arg;
};

static void *
ticker_main(void *arg)
{
	struct pa_ticker *t = arg;

	while (!atomic_load(&t->stop)) {
		struct timespec until;

		t->fn(t, t->arg);
		(void) clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += t->every_s;
		pthread_mutex_lock(&t->mu);
		while (!atomic_load(&t->stop)
		    && pthread_cond_timedwait(&t->cv, &t->mu, &until) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&t->mu);
	}
	if (t->final != NULL)
		t->final(t, t->arg);
	return NULL;
}

pa_err
pa_ticker_start(
    struct pa_ticker **out, int every_s, pa_ticker_fn *fn, pa_ticker_fn *final, void *arg)
{
	struct pa_ticker  *t = calloc(1, sizeof *t);
	pthread_condattr_t ca;
	int                rv;

	*out = NULL;
	if (t == NULL)
		return PA_ENOMEM;
	*t = (struct pa_ticker) {
		.every_s = every_s > 0 ? every_s : 1, .fn = fn, .final = final, .arg = arg
	};
	atomic_init(&t->stop, false);
	if (pthread_mutex_init(&t->mu, NULL) != 0) {
		free(t);
		return PA_ENOMEM;
	}
	if (pthread_condattr_init(&ca) != 0)
		goto fail_mu;
	rv = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (rv == 0)
		rv = pthread_cond_init(&t->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (rv != 0)
		goto fail_mu;
	if (pthread_create(&t->thread, NULL, ticker_main, t) != 0) {
		pthread_cond_destroy(&t->cv);
		goto fail_mu;
	}
	*out = t;
	return PA_OK;
fail_mu:
	pthread_mutex_destroy(&t->mu);
	free(t);
	return PA_ENOMEM;
}

bool
pa_ticker_stopping(struct pa_ticker *t)
{
	return atomic_load(&t->stop);
}

void
pa_ticker_stop(struct pa_ticker *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	atomic_store(&t->stop, true);
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	(void) pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
}
