/* test_workq.c: the bounded queue refuses when full, runs every accepted job, and drains on free.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#include "common/workq.h"

static atomic_int      ran;
static atomic_int      inits;
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;

static void *
init(void *arg)
{
	atomic_fetch_add(&inits, 1);
	return arg;
}

static void
run(void *state, void *job)
{
	/* Jobs wait at the gate so the queue can be filled deterministically. */
	pthread_mutex_lock(&gate);
	pthread_mutex_unlock(&gate);
	atomic_fetch_add(&ran, *(int *) job);
}

static void
test_full_and_drain(void **state)
{
	struct pa_workq     *q;
	struct pa_workq_opts o   = { .threads = 2, .capacity = 4, .init = init, .run = run };
	int                  one = 1, accepted = 0, refused = 0;

	atomic_store(&ran, 0);
	pthread_mutex_lock(&gate);
	assert_int_equal(pa_workq_new(&q, &o), PA_OK);
	/* Two jobs may be taken by the threads, four wait; the rest are refused. */
	for (int i = 0; i < 20; i++) {
		pa_err rv = pa_workq_push(q, &one);

		if (rv == PA_OK)
			accepted++;
		else {
			assert_int_equal(rv, PA_ELIMIT);
			refused++;
		}
	}
	assert_in_range(accepted, 4, 6);
	assert_int_equal(accepted + refused, 20);
	pthread_mutex_unlock(&gate);
	pa_workq_free(q);
	assert_int_equal(atomic_load(&ran), accepted);
	assert_int_equal(atomic_load(&inits), 2);
}

static void
test_bad_opts(void **state)
{
	struct pa_workq     *q;
	struct pa_workq_opts o = { .threads = 0, .capacity = 4, .run = run };

	assert_int_equal(pa_workq_new(&q, &o), PA_EINVAL);
	pa_workq_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_and_drain),
		cmocka_unit_test(test_bad_opts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
