/* ticker.h: a background thread that runs a job at once and then every so often, and stops
 * promptly when asked (a stop wakes it from its wait): the shape of auth's periodic jobs, the audit
 * chain's signing and the retention job. */
#ifndef PHONEAUTH_COMMON_TICKER_H
#define PHONEAUTH_COMMON_TICKER_H

#include <stdbool.h>

#include "common/err.h"

struct pa_ticker;

/* One run of the job, on the ticker's thread; t is for pa_ticker_stopping. */
typedef void pa_ticker_fn(struct pa_ticker *t, void *arg);

/* Starts a thread that runs fn(t, arg) at once and then every every_s seconds (>= 1) until
 * pa_ticker_stop; then final(t, arg) once (NULL: none), e.g. to finish work on the way out.
 * PA_ENOMEM when a thread or its lock cannot be made. */
pa_err pa_ticker_start(struct pa_ticker **out, int every_s, pa_ticker_fn *fn, pa_ticker_fn *final,
    void *arg) PA_MUSTCHECK;

/* True once pa_ticker_stop was called: a long run checks it between steps. Any thread. */
bool pa_ticker_stopping(struct pa_ticker *t);

/* Wakes the thread, waits until it has ended (final included), frees t. NULL is a no-op. */
void pa_ticker_stop(struct pa_ticker *t);

#endif
