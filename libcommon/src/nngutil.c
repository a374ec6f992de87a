/* nngutil.c: a bounded nng_close, against a deadlock in NNG's socket shutdown. */
#include "common/nngutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct close_job {
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	nng_socket      sock;
	bool            done;
	bool            abandoned;
};

static void
close_job_free(struct close_job *j)
{
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mtx);
	free(j);
}

static void *
close_main(void *arg)
{
	struct close_job *j = arg;
	bool              abandoned;

	(void) nng_close(j->sock);
	pthread_mutex_lock(&j->mtx);
	j->done   = true;
	abandoned = j->abandoned;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mtx);
	/* Whoever leaves last frees the job. */
	if (abandoned)
		close_job_free(j);
	return NULL;
}

bool
pa_nng_close_bounded(nng_socket sock, int timeout_ms)
{
	struct close_job *j = calloc(1, sizeof *j);
	struct timespec   until;
	pthread_t         th;
	bool              done;

	if (j == NULL || nng_socket_id(sock) <= 0) {
		free(j);
		return nng_socket_id(sock) <= 0 || nng_close(sock) == 0;
	}
	j->sock = sock;
	pthread_mutex_init(&j->mtx, NULL);
	pthread_cond_init(&j->cv, NULL);
	if (pthread_create(&th, NULL, close_main, j) != 0) {
		close_job_free(j);
		return nng_close(sock) == 0;
	}
	(void) clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long) (timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&j->mtx);
	while (!j->done && pthread_cond_timedwait(&j->cv, &j->mtx, &until) != ETIMEDOUT)
		;
	done         = j->done;
	j->abandoned = !done;
	pthread_mutex_unlock(&j->mtx);
	if (!done) {
		(void) pthread_detach(th);
		return false;
	}
	pthread_join(th, NULL);
	close_job_free(j);
	return true;
}
