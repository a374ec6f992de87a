/* smsfake.c: the fake Twilio in the bench process, and what it saw (see smsfake.h). */
#include "smsfake.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/metrics.h"
#include "fake_twilio.h"

struct bench_sms {
	struct fake_twilio        *fake;
	pthread_mutex_t            mtx; /* guards everything below */
	pthread_cond_t             cv; /* signalled on each tracked arrival */
	const struct bench_phones *phones;
	uint64_t                  *arrival_ns; /* [phones->n] */
	char (*code)[16]; /* [phones->n] */
	struct bench_sms_arrivals arrivals;
};

/* The first run of at least 4 digits: every template has the code as the only such run (the
 * minutes of a code's life are at most 1440). */
static bool
find_code(const char *body, char out[16])
{
	for (const char *p = body; *p != '\0'; p++) {
		size_t n = strspn(p, "0123456789");

		if (n >= 4 && n < 16) {
			memcpy(out, p, n);
			out[n] = '\0';
			return true;
		}
		if (n > 0)
			p += n - 1;
	}
	return false;
}

/* Runs on the fake's serving threads. */
static void
on_accept(void *arg, const char *to, const char *body)
{
	struct bench_sms *s   = arg;
	uint64_t          now = pa_now_ns();
	long              i;

	pthread_mutex_lock(&s->mtx);
	if (s->arrivals.count++ == 0)
		s->arrivals.first_ns = now;
	s->arrivals.last_ns = now;
	if (s->phones != NULL && (i = bench_phones_find(s->phones, to)) >= 0) {
		if (s->arrival_ns[i] == 0)
			s->arrival_ns[i] = now;
		(void) find_code(body, s->code[i]);
		(void) pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mtx);
}

pa_err
bench_sms_start(struct bench_sms **out, const char *listen, int latency_ms)
{
	struct bench_sms       *s;
	struct fake_twilio_opts fo = { .listen = listen,
		.account_sid                   = BENCH_TWILIO_ACCOUNT,
		.auth_token                    = BENCH_TWILIO_TOKEN,
		.api_key                       = BENCH_TWILIO_API_KEY,
		.api_secret                    = BENCH_TWILIO_API_SECRET,
		.latency_ms                    = latency_ms,
		.on_accept                     = on_accept };

	if ((s = calloc(1, sizeof *s)) == NULL)
		return PA_ENOMEM;
	if (pthread_mutex_init(&s->mtx, NULL) != 0) {
		free(s);
		return PA_ENOMEM;
	}
	if (pthread_cond_init(&s->cv, NULL) != 0) {
		(void) pthread_mutex_destroy(&s->mtx);
		free(s);
		return PA_ENOMEM;
	}
	fo.on_accept_arg = s;
	if (fake_twilio_start(&s->fake, &fo) != 0) {
		(void) pthread_cond_destroy(&s->cv);
		(void) pthread_mutex_destroy(&s->mtx);
		free(s);
		return PA_EIO;
	}
	*out = s;
	return PA_OK;
}

void
bench_sms_stop(struct bench_sms *s)
{
	if (s == NULL)
		return;
	/* The fake's threads are gone after this, so the callback cannot run any more. */
	fake_twilio_stop(s->fake);
	free(s->arrival_ns);
	free(s->code);
	(void) pthread_cond_destroy(&s->cv);
	(void) pthread_mutex_destroy(&s->mtx);
	free(s);
}

const char *
bench_sms_base(const struct bench_sms *s)
{
	return fake_twilio_base(s->fake);
}

void
bench_sms_set_latency(struct bench_sms *s, int ms)
{
	fake_twilio_set_latency(s->fake, ms);
}

pa_err
bench_sms_track(struct bench_sms *s, const struct bench_phones *phones)
{
	uint64_t *arrival = NULL;
	char(*code)[16]   = NULL;

	if (phones != NULL && phones->n > 0
	    && ((arrival = calloc(phones->n, sizeof *arrival)) == NULL
	        || (code = calloc(phones->n, sizeof *code)) == NULL)) {
		free(arrival);
		return PA_ENOMEM;
	}
	pthread_mutex_lock(&s->mtx);
	free(s->arrival_ns);
	free(s->code);
	s->phones     = phones != NULL && phones->n > 0 ? phones : NULL;
	s->arrival_ns = arrival;
	s->code       = code;
	s->arrivals   = (struct bench_sms_arrivals) { 0 };
	pthread_mutex_unlock(&s->mtx);
	return PA_OK;
}

uint64_t
bench_sms_arrival_ns(struct bench_sms *s, size_t i)
{
	uint64_t t = 0;

	pthread_mutex_lock(&s->mtx);
	if (s->phones != NULL && i < s->phones->n)
		t = s->arrival_ns[i];
	pthread_mutex_unlock(&s->mtx);
	return t;
}

bool
bench_sms_code(struct bench_sms *s, size_t i, char out[16])
{
	bool ok = false;

	pthread_mutex_lock(&s->mtx);
	if (s->phones != NULL && i < s->phones->n && s->code[i][0] != '\0') {
		memcpy(out, s->code[i], 16);
		ok = true;
	}
	pthread_mutex_unlock(&s->mtx);
	return ok;
}

size_t
bench_sms_wait(struct bench_sms *s, size_t from, size_t to, int timeout_ms)
{
	uint64_t until = pa_now_ns() + (uint64_t) timeout_ms * 1000000u;
	size_t   have  = 0;

	pthread_mutex_lock(&s->mtx);
	for (;;) {
		struct timespec ts;

		have = 0;
		for (size_t i = from; s->phones != NULL && i < to && i < s->phones->n; i++)
			have += s->arrival_ns[i] != 0;
		if (have == to - from || pa_now_ns() >= until)
			break;
		/* Rechecked at least every 100 ms; the condvar is on the realtime clock. */
		(void) clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void) pthread_cond_timedwait(&s->cv, &s->mtx, &ts);
	}
	pthread_mutex_unlock(&s->mtx);
	return have;
}

void
bench_sms_arrivals(struct bench_sms *s, struct bench_sms_arrivals *out)
{
	pthread_mutex_lock(&s->mtx);
	*out = s->arrivals;
	pthread_mutex_unlock(&s->mtx);
}
