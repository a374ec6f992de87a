/* test_rpc_gate.c: the slow pool's admission (libcommon/src/rpc_gate.c): a key's share and the
 * whole budget hold, places come back when calls end, and they hold under threads racing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "rpc_gate.h"

static void
test_key_share_and_budget(void **state)
{
	struct rpc_gate g;

	(void) state;
	assert_int_equal(rpc_gate_init(&g, 2, 3), PA_OK);
	assert_int_equal(rpc_gate_enter(&g, "10.0.0.1"), RPC_GATE_OK);
	assert_int_equal(rpc_gate_enter(&g, "10.0.0.1"), RPC_GATE_OK);
	assert_int_equal(rpc_gate_enter(&g, "10.0.0.1"), RPC_GATE_KEY_FULL);
	assert_int_equal(rpc_gate_enter(&g, "10.0.0.2"), RPC_GATE_OK);
	/* Three in: the budget is spent for everyone. */
	assert_int_equal(rpc_gate_enter(&g, "10.0.0.3"), RPC_GATE_FULL);
	rpc_gate_leave(&g, "10.0.0.1");
	assert_int_equal(rpc_gate_enter(&g, "10.0.0.3"), RPC_GATE_OK);
	rpc_gate_leave(&g, "10.0.0.1");
	rpc_gate_leave(&g, "10.0.0.2");
	rpc_gate_leave(&g, "10.0.0.3");
	assert_int_equal(g.in_flight, 0);
	/* Every slot is free again: three new keys fit. */
	assert_int_equal(rpc_gate_enter(&g, "a"), RPC_GATE_OK);
	assert_int_equal(rpc_gate_enter(&g, "b"), RPC_GATE_OK);
	assert_int_equal(rpc_gate_enter(&g, "c"), RPC_GATE_OK);
	rpc_gate_fini(&g);
}

static void
test_open_gate(void **state)
{
	struct rpc_gate g;

	(void) state;
	assert_int_equal(rpc_gate_init(&g, 1, 0), PA_OK);
	for (int i = 0; i < 100; i++)
		assert_int_equal(rpc_gate_enter(&g, "same"), RPC_GATE_OK);
	rpc_gate_leave(&g, "same");
	rpc_gate_fini(&g);
}

static void
test_long_keys_are_cut(void **state)
{
	struct rpc_gate g;
	char            a[200], b[200];

	(void) state;
	(void) snprintf(a, sizeof a, "%0150d", 1);
	(void) snprintf(b, sizeof b, "%0150d", 2); /* differs past RPC_GATE_KEY_MAX */
	assert_int_equal(rpc_gate_init(&g, 1, 4), PA_OK);
	assert_int_equal(rpc_gate_enter(&g, a), RPC_GATE_OK);
	assert_int_equal(rpc_gate_enter(&g, b), RPC_GATE_KEY_FULL);
	rpc_gate_leave(&g, b);
	assert_int_equal(g.in_flight, 0);
	rpc_gate_fini(&g);
}

enum { THREADS = 8, ROUNDS = 20000, PER_KEY = 3, MAX = 10 };

static struct rpc_gate gate;
static atomic_int      inside[4], total, worst_key, worst_total;

static void
note_max(atomic_int *worst, int v)
{
	int w = atomic_load(worst);

	while (v > w && !atomic_compare_exchange_weak(worst, &w, v))
		;
}

static void *
racer(void *arg)
{
	int  t = (int) (intptr_t) arg;
	char key[8];

	for (int i = 0; i < ROUNDS; i++) {
		int k = (t + i) % 4;

		(void) snprintf(key, sizeof key, "k%d", k);
		if (rpc_gate_enter(&gate, key) != RPC_GATE_OK)
			continue;
		note_max(&worst_key, atomic_fetch_add(&inside[k], 1) + 1);
		note_max(&worst_total, atomic_fetch_add(&total, 1) + 1);
		atomic_fetch_sub(&inside[k], 1);
		atomic_fetch_sub(&total, 1);
		rpc_gate_leave(&gate, key);
	}
	return NULL;
}

static void
test_threads_never_overshoot(void **state)
{
	pthread_t th[THREADS];

	(void) state;
	assert_int_equal(rpc_gate_init(&gate, PER_KEY, MAX), PA_OK);
	for (int t = 0; t < THREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, racer, (void *) (intptr_t) t), 0);
	for (int t = 0; t < THREADS; t++)
		assert_int_equal(pthread_join(th[t], NULL), 0);
	assert_true(atomic_load(&worst_key) <= PER_KEY);
	assert_true(atomic_load(&worst_total) <= MAX);
	assert_int_equal(gate.in_flight, 0);
	rpc_gate_fini(&gate);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_share_and_budget),
		cmocka_unit_test(test_open_gate),
		cmocka_unit_test(test_long_keys_are_cut),
		cmocka_unit_test(test_threads_never_overshoot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
