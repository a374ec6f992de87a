/* test_twilio_feedback.c: Twilio's conversion signal (issue 14, item 5) with the real auth service,
 * phoneauth-sms-worker in twilio mode, PostgreSQL and the fake Twilio: every send asks for
 * feedback (ProvideFeedback=true), a verified code is confirmed on its message's Feedback
 * resource exactly once, a 5xx is retried until Twilio takes it, a code never verified is never
 * confirmed, and each outcome has its audit row and metric. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phoneauth/v1/rpc.pb-c.h"
#include "smskit.h"

#define FF_SMS_PREFIX "Fancy Feathers: Your verification code is "

static struct smskit_worker worker;

static int
group_setup(void **state)
{
	(void) state;
	return smskit_setup_with_worker("t_twilio_feedback", &worker, "smsw_feedback", NULL);
}

static int
group_teardown(void **state)
{
	(void) state;
	return smskit_teardown_with_worker(&worker);
}

/* Signs up phone, waits for the SID, and returns the fake's copy and the code it carried. */
static void
send_one(const char *phone, char vid[37], struct fake_twilio_msg *m, char code[8])
{
	smskit_signup(phone, vid);
	assert_true(smskit_wait_q("SELECT state FROM sms_outbox WHERE verification_id = $1::uuid"
	                          " ORDER BY id DESC LIMIT 1",
	    vid, "sent", 10000));
	assert_true(fake_twilio_last_to(smskit_fake(), phone, m));
	assert_true(m->provide_feedback);
	(void) snprintf(code, 8, "%.4s", m->body + strlen(FF_SMS_PREFIX));
}

static bool
metric_reaches(const char *sample, double min)
{
	for (int t = 0; t < 5000; t += 20) {
		if (smskit_metric(&worker, sample) >= min)
			return true;
		harness_sleep_ms(20);
	}
	return false;
}

static void
test_confirmed_once(void **state)
{
	struct fake_twilio_msg m;
	char                   phone[16], vid[37], code[8];
	double                 confirmed
	    = smskit_metric(&worker, "phoneauth_twilio_feedback_total{outcome=\"confirmed\"}");

	(void) state;
	smskit_phone(phone);
	send_one(phone, vid, &m, code);
	assert_int_equal(smskit_verify(vid, code), PHONEAUTH__V1__CODE__OK);
	assert_true(smskit_wait_q(
	    "SELECT state FROM sms_feedback WHERE verification_id = $1::uuid", vid, "done", 10000));
	assert_int_equal(fake_twilio_feedback_count(smskit_fake(), m.sid), 1);
	assert_int_equal(
	    smskit_qlong("SELECT count(*) FROM sms_feedback WHERE verification_id = $1::uuid"
	                 " AND message_sid = $2 AND attempts = 1 AND http_status = 200",
	        vid, m.sid),
	    1);
	assert_int_equal(
	    smskit_qlong("SELECT count(*) FROM audit_events WHERE event = 'sms_feedback'"
	                 " AND verification_id = $1::uuid AND message_sid = $2"
	                 " AND outcome = 'confirmed'",
	        vid, m.sid),
	    1);
	assert_true(metric_reaches(
	    "phoneauth_twilio_feedback_total{outcome=\"confirmed\"}", confirmed + 1));
	/* Several sweeps later it is still the one POST. */
	harness_sleep_ms(2500);
	assert_int_equal(fake_twilio_feedback_count(smskit_fake(), m.sid), 1);
	fake_twilio_msg_free(&m);
}

static void
test_retried_on_5xx(void **state)
{
	struct fake_twilio_msg m;
	char                   phone[16], vid[37], code[8];
	int                    before = fake_twilio_feedback_requests(smskit_fake());
	double                 retries
	    = smskit_metric(&worker, "phoneauth_twilio_feedback_total{outcome=\"retry\"}");

	(void) state;
	smskit_phone(phone);
	send_one(phone, vid, &m, code);
	fake_twilio_fail_feedback_500(smskit_fake(), 2);
	assert_int_equal(smskit_verify(vid, code), PHONEAUTH__V1__CODE__OK);
	assert_true(smskit_wait_q(
	    "SELECT state FROM sms_feedback WHERE verification_id = $1::uuid", vid, "done", 20000));
	/* Two 500s, then the one that took. */
	assert_int_equal(fake_twilio_feedback_requests(smskit_fake()) - before, 3);
	assert_int_equal(fake_twilio_feedback_count(smskit_fake(), m.sid), 1);
	assert_int_equal(
	    smskit_qlong(
	        "SELECT attempts FROM sms_feedback WHERE verification_id = $1::uuid", vid, NULL),
	    3);
	assert_int_equal(
	    smskit_qlong("SELECT count(*) FROM audit_events WHERE event = 'sms_feedback'"
	                 " AND verification_id = $1::uuid AND outcome = 'retry'",
	        vid, NULL),
	    2);
	assert_true(
	    metric_reaches("phoneauth_twilio_feedback_total{outcome=\"retry\"}", retries + 2));
	harness_sleep_ms(2500);
	assert_int_equal(fake_twilio_feedback_count(smskit_fake(), m.sid), 1);
	fake_twilio_msg_free(&m);
}

static void
test_unverified_never_confirmed(void **state)
{
	struct fake_twilio_msg m;
	char                   phone[16], vid[37], code[8];

	(void) state;
	smskit_phone(phone);
	send_one(phone, vid, &m, code);
	/* A wrong code is not a conversion. */
	assert_int_not_equal(smskit_verify(vid, strcmp(code, "0000") == 0 ? "1111" : "0000"),
	    PHONEAUTH__V1__CODE__OK);
	harness_sleep_ms(2500);
	assert_int_equal(
	    smskit_qlong(
	        "SELECT count(*) FROM sms_feedback WHERE verification_id = $1::uuid", vid, NULL),
	    0);
	assert_int_equal(fake_twilio_feedback_count(smskit_fake(), m.sid), 0);
	fake_twilio_msg_free(&m);
}

/* PHONEAUTH_TWILIO_FEEDBACK=off: sends do not ask for feedback and nothing is posted; the owed row
 * waits (for a worker with it on, or the retention job). Runs last: it replaces the worker. */
static void
test_off(void **state)
{
	const char *const      env[] = { "PHONEAUTH_TWILIO_FEEDBACK=off", NULL };
	struct fake_twilio_msg m;
	char                   phone[16], vid[37], code[8];
	int                    before;

	(void) state;
	assert_int_equal(harness_stop(&worker.proc, SIGTERM, 10000, NULL), 0);
	assert_int_equal(smskit_start_worker(&worker, "smsw_feedback_off", env), 0);
	before = fake_twilio_feedback_requests(smskit_fake());
	smskit_phone(phone);
	smskit_signup(phone, vid);
	assert_true(smskit_wait_q("SELECT state FROM sms_outbox WHERE verification_id = $1::uuid"
	                          " ORDER BY id DESC LIMIT 1",
	    vid, "sent", 10000));
	assert_true(fake_twilio_last_to(smskit_fake(), phone, &m));
	assert_false(m.provide_feedback);
	(void) snprintf(code, sizeof code, "%.4s", m.body + strlen(FF_SMS_PREFIX));
	assert_int_equal(smskit_verify(vid, code), PHONEAUTH__V1__CODE__OK);
	harness_sleep_ms(2500);
	assert_int_equal(fake_twilio_feedback_requests(smskit_fake()), before);
	assert_int_equal(
	    smskit_qlong("SELECT count(*) FROM sms_feedback WHERE verification_id = $1::uuid"
	                 " AND state = 'queued' AND attempts = 0",
	        vid, NULL),
	    1);
	fake_twilio_msg_free(&m);
}

static void
test_logs_clean(void **state)
{
	const struct smskit_worker *ws[] = { &worker };

	(void) state;
	/* Nothing the fake refused (a bad form, a message without ProvideFeedback). */
	assert_int_equal(fake_twilio_rejected(smskit_fake()), 0);
	smskit_check_logs(ws, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_confirmed_once),
		cmocka_unit_test(test_retried_on_5xx),
		cmocka_unit_test(test_unverified_never_confirmed),
		cmocka_unit_test(test_logs_clean),
		cmocka_unit_test(test_off),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
