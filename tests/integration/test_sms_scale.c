/* test_sms_scale.c: many messages, several workers, a crash. 2 000 queued signups with a worker
 * killed (-9) in the middle and a new one started: every message reaches the fake Twilio exactly
 * once. Bursts shared by two and by four workers: no message twice, every worker busy. Prints the
 * send rates it saw (they are measured here, not asserted). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/metrics.h"
#include "smskit.h"

#define QUEUED 2000
#define BURST 1000

static char (*phones)[16];

static int
group_setup(void **state)
{
	(void) state;
	if ((phones = calloc(QUEUED, sizeof *phones)) == NULL)
		return -1;
	return smskit_setup("t_sms_scale");
}

static int
group_teardown(void **state)
{
	(void) state;
	free(phones);
	return smskit_teardown();
}

/* Every phone of the batch got exactly one message. */
static void
expect_exactly_once(int n)
{
	int missing = 0, twice = 0;

	for (int i = 0; i < n; i++) {
		int c = fake_twilio_count_to(smskit_fake(), phones[i]);

		missing += c == 0;
		twice += c > 1;
	}
	if (missing != 0 || twice != 0)
		fail_msg("%d of %d phones got no message, %d got more than one", missing, n, twice);
}

static int
count_in(const char *log, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(log, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

static double
seconds_since(uint64_t t0)
{
	return (double) (pa_now_ns() - t0) / 1e9;
}

static void
test_kill_mid_queue(void **state)
{
	struct smskit_worker              a = { 0 }, b = { 0 };
	const struct smskit_worker *const ws[] = { &a, &b };
	int                               base = fake_twilio_count(smskit_fake()), before_kill;
	uint64_t                          t0;
	char                             *log;
	int                               reclaimed, held;

	(void) state;
	/* Queued with no worker running: the sweep is the only way out. */
	smskit_signups(QUEUED, phones);
	assert_int_equal(
	    smskit_qlong("SELECT count(*) FROM sms_outbox WHERE state = 'queued'", NULL, NULL),
	    QUEUED);
	t0 = pa_now_ns();
	assert_int_equal(smskit_start_worker(&a, "smsw_scale_a", NULL), 0);
	assert_true(smskit_wait_fake_count(base + QUEUED / 3, 60000));
	/* Hold the requests in flight at Twilio's door, then kill. A worker claims a new row only
	 * after recording the last answer in that slot, so once all 32 slots wait at the fake no
	 * answered message is unrecorded: the kill lands outside the one window (Twilio answered,
	 * commit not yet made) in which a message can go out twice, and none may count twice. */
	fake_twilio_stall(smskit_fake(), true);
	for (int t = 0; t < 20000 && fake_twilio_stalled(smskit_fake()) < 32; t += 10)
		harness_sleep_ms(10);
	held = fake_twilio_stalled(smskit_fake());
	assert_int_equal(held, 32);
	assert_int_equal(kill(a.proc.pid, SIGKILL), 0);
	assert_int_equal(harness_stop(&a.proc, 0, 5000, NULL), 128 + SIGKILL);
	before_kill = fake_twilio_count(smskit_fake()) - base;
	fake_twilio_stall(smskit_fake(), false);
	printf("# killed worker a after %d of %d messages, %d requests held at the fake\n",
	    before_kill, QUEUED, held);

	assert_int_equal(smskit_start_worker(&b, "smsw_scale_b", NULL), 0);
	assert_true(smskit_wait_fake_count(base + QUEUED, 120000));
	printf("# all %d sent %.1f s after the first worker started (lease 5 s)\n", QUEUED,
	    seconds_since(t0));
	assert_true(smskit_wait_q(
	    "SELECT count(*) FROM sms_outbox WHERE state <> 'sent'", NULL, "0", 10000));
	expect_exactly_once(QUEUED);
	assert_int_equal(fake_twilio_count(smskit_fake()), base + QUEUED);
	/* The rows the dead worker held were taken over after their lease, and said so. */
	assert_non_null(log = smskit_worker_log(&b));
	reclaimed = count_in(log, "event=sms_reclaimed");
	free(log);
	printf("# worker b took over %d rows whose lease ran out\n", reclaimed);
	assert_true(reclaimed >= held);
	assert_true(smskit_metric(&b, "phoneauth_sms_reclaimed_total") == reclaimed);
	smskit_check_logs(ws, 2);
	assert_int_equal(harness_stop(&b.proc, SIGTERM, 10000, NULL), 0);
}

static void
test_one_worker_rate(void **state)
{
	struct smskit_worker w    = { 0 };
	int                  base = fake_twilio_count(smskit_fake());
	uint64_t             t0;
	double               s;

	(void) state;
	smskit_signups(QUEUED, phones);
	t0 = pa_now_ns();
	assert_int_equal(smskit_start_worker(&w, "smsw_scale_rate", NULL), 0);
	assert_true(smskit_wait_fake_count(base + QUEUED, 60000));
	s = seconds_since(t0);
	printf("# one worker (32 requests in flight): %d queued messages sent in %.2f s = %.0f/s\n",
	    QUEUED, s, QUEUED / s);
	assert_true(smskit_wait_q(
	    "SELECT count(*) FROM sms_outbox WHERE state <> 'sent'", NULL, "0", 10000));
	expect_exactly_once(QUEUED);
	assert_int_equal(harness_stop(&w.proc, SIGTERM, 10000, NULL), 0);
}

/* k workers running, then a burst of signups pushed to them. */
static void
shared_burst(int k)
{
	struct smskit_worker ws[4] = { 0 };
	char                 tag[48];
	int                  base = fake_twilio_count(smskit_fake());
	uint64_t             t0;
	double               s;

	for (int i = 0; i < k; i++) {
		(void) snprintf(tag, sizeof tag, "smsw_burst%d_%d", k, i);
		assert_int_equal(smskit_start_worker(&ws[i], tag, NULL), 0);
	}
	/* Let each worker's PULL connect, so the pushes spread. */
	harness_sleep_ms(500);
	t0 = pa_now_ns();
	smskit_signups(BURST, phones);
	assert_true(smskit_wait_fake_count(base + BURST, 60000));
	s = seconds_since(t0);
	assert_true(smskit_wait_q(
	    "SELECT count(*) FROM sms_outbox WHERE state <> 'sent'", NULL, "0", 10000));
	expect_exactly_once(BURST);
	assert_int_equal(fake_twilio_count(smskit_fake()), base + BURST);
	printf("# %d workers: a burst of %d signups sent in %.2f s (%.0f/s), per worker:", k, BURST,
	    s, BURST / s);
	for (int i = 0; i < k; i++) {
		char *log = smskit_worker_log(&ws[i]);
		int   n;

		assert_non_null(log);
		n = count_in(log, "event=sms_sent");
		free(log);
		printf(" %d", n);
		assert_true(n > 0);
	}
	printf("\n");
	for (int i = 0; i < k; i++)
		assert_int_equal(harness_stop(&ws[i].proc, SIGTERM, 10000, NULL), 0);
}

static void
test_two_workers(void **state)
{
	(void) state;
	shared_burst(2);
}

static void
test_four_workers(void **state)
{
	(void) state;
	shared_burst(4);
}

/* Thousands of audit rows written by the auth service and several workers at once, some by a
 * worker killed mid-batch: the checkpointer signed them all, in ranges, and they still match. */
static void
test_audit_chain_intact(void **state)
{
	(void) state;
	smskit_check_audit_chain();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_mid_queue),
		cmocka_unit_test(test_one_worker_rate),
		cmocka_unit_test(test_two_workers),
		cmocka_unit_test(test_four_workers),
		cmocka_unit_test(test_audit_chain_intact),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
