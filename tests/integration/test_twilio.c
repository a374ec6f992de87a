/* test_twilio.c: phoneauth-sms-worker in twilio mode against the fake Twilio, with the real auth
 * service and PostgreSQL: the exact SMS and form fields Twilio gets, the SID on the verification,
 * signed status callbacks (forward only, 403 for bad signatures), permanent errors and opt-outs,
 * 429 and 500 storms, expiry, a push with no worker running, reconciliation, both ways to
 * authenticate, /healthz and /metrics, and logs free of secrets. */
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
#include "phoneauth/v1/rpc.pb-c.h"
#include "smskit.h"

#define FF_SMS_PREFIX "Fancy Feathers: Your verification code is "
#define FF_SMS_SUFFIX ".\nIt will expire in 5 minutes."

static struct smskit_worker worker;

static int
group_setup(void **state)
{
	const char *env[] = { "PHONEAUTH_RECONCILE_AFTER=2s", NULL };

	(void) state;
	return smskit_setup_with_worker("t_twilio", &worker, "smsw_twilio", env);
}

static int
group_teardown(void **state)
{
	(void) state;
	return smskit_teardown_with_worker(&worker);
}

/* Waits for the newest outbox row of vid to reach state. */
static void
wait_outbox(const char *vid, const char *state, int timeout_ms)
{
	assert_true(smskit_wait_q("SELECT state FROM sms_outbox WHERE verification_id = $1::uuid"
	                          " ORDER BY id DESC LIMIT 1",
	    vid, state, timeout_ms));
}

static char *
outbox_col(const char *col_sql, const char *vid)
{
	char sql[300];

	(void) snprintf(sql, sizeof sql,
	    "SELECT %s FROM sms_outbox WHERE verification_id = $1::uuid ORDER BY id DESC LIMIT 1",
	    col_sql);
	return smskit_q1(sql, vid, NULL);
}

static void
expect_outbox(const char *col_sql, const char *vid, const char *want)
{
	char *v = outbox_col(col_sql, vid);

	assert_non_null(v);
	if (strcmp(v, want) != 0)
		fail_msg("outbox %s = %s, want %s", col_sql, v, want);
	free(v);
}

/* The worker counts an outcome just after committing it: give the counter a moment. */
static bool
metric_reaches(const char *sample, double min)
{
	for (int t = 0; t < 2000; t += 20) {
		if (smskit_metric(&worker, sample) >= min)
			return true;
		harness_sleep_ms(20);
	}
	return false;
}

/* Signs up phone and waits until the worker stored the SID; returns the fake's copy. */
static void
send_one(const char *phone, char vid[37], struct fake_twilio_msg *m)
{
	smskit_signup(phone, vid);
	wait_outbox(vid, "sent", 10000);
	assert_true(fake_twilio_last_to(smskit_fake(), phone, m));
	expect_outbox("twilio_sid", vid, m->sid);
}

static void
test_end_to_end(void **state)
{
	struct fake_twilio_msg m;
	char                   phone[16], vid[37], code[16], sql_sid[64];
	size_t                 plen = strlen(FF_SMS_PREFIX), slen = strlen(FF_SMS_SUFFIX), blen;
	char                  *v;

	(void) state;
	smskit_phone(phone);
	send_one(phone, vid, &m);
	assert_int_equal(fake_twilio_count_to(smskit_fake(), phone), 1);
	/* Exactly the profile's text, and every field as the worker is configured. */
	blen = strlen(m.body);
	assert_true(blen == plen + 4 + slen);
	assert_memory_equal(m.body, FF_SMS_PREFIX, plen);
	assert_string_equal(m.body + plen + 4, FF_SMS_SUFFIX);
	(void) snprintf(code, sizeof code, "%.4s", m.body + plen);
	assert_int_equal(strspn(code, "0123456789"), 4);
	assert_string_equal(m.to, phone);
	assert_string_equal(m.messaging_service_sid, SMSKIT_SERVICE);
	assert_null(m.from);
	assert_string_equal(m.status_callback, worker.callback_url);
	assert_in_range(m.validity_period, 290, 300);
	assert_string_equal(m.auth_user, SMSKIT_API_KEY);
	expect_outbox("body_sealed IS NULL", vid, "t");
	expect_outbox("attempts", vid, "1");
	assert_int_equal(fake_twilio_rejected(smskit_fake()), 0);

	/* The code the phone got verifies, and the verification names the message. */
	assert_int_equal(smskit_verify(vid, code), PHONEAUTH__V1__CODE__OK);
	v = smskit_q1("SELECT message_sid FROM verifications WHERE id = $1::uuid", vid, NULL);
	assert_string_equal(v, m.sid);
	free(v);
	(void) snprintf(sql_sid, sizeof sql_sid, "%s", m.sid);
	assert_int_equal(
	    smskit_qlong("SELECT count(*) FROM audit_events WHERE event = 'sms_sent'"
	                 " AND actor = 'sms-worker' AND message_sid = $1"
	                 " AND verification_id = $2::uuid AND phone_masked = '+1******'"
	                 " || right((SELECT phone_e164 FROM verifications"
	                 "  WHERE id = $2::uuid), 4)",
	        sql_sid, vid),
	    1);
	fake_twilio_msg_free(&m);
}

static void
test_callbacks_forward_only(void **state)
{
	struct fake_twilio_msg m;
	char                   phone[16], vid[37], sid[40];
	long                   events;

	(void) state;
	smskit_phone(phone);
	send_one(phone, vid, &m);
	(void) snprintf(sid, sizeof sid, "%s", m.sid);
	fake_twilio_msg_free(&m);

	/* Unsigned or wrongly signed: 403, and nothing recorded. */
	assert_int_equal(fake_twilio_callback(smskit_fake(), sid, "delivered", 0, NULL, 0), 403);
	assert_int_equal(fake_twilio_callback(smskit_fake(), sid, "delivered", 0, NULL, -1), 403);
	assert_int_equal(
	    smskit_qlong(
	        "SELECT count(*) FROM message_status_events WHERE twilio_sid = $1", sid, NULL),
	    0);
	expect_outbox("state", vid, "sent");

	assert_int_equal(fake_twilio_callback(smskit_fake(), sid, "sent", 0, NULL, 1), 200);
	expect_outbox("state || '/' || twilio_status", vid, "sent/sent");
	assert_int_equal(
	    fake_twilio_callback(smskit_fake(), sid, "delivered", 0, "2611211030", 1), 200);
	expect_outbox("state || '/' || twilio_status || '/' || (final_at IS NOT NULL)", vid,
	    "delivered/delivered/true");
	/* Late and replayed callbacks never move it back. */
	assert_int_equal(fake_twilio_callback(smskit_fake(), sid, "sent", 0, NULL, 1), 200);
	assert_int_equal(
	    fake_twilio_callback(smskit_fake(), sid, "undelivered", 30003, NULL, 1), 200);
	assert_int_equal(fake_twilio_callback(smskit_fake(), sid, "queued", 0, NULL, 1), 200);
	expect_outbox("state || '/' || twilio_status || '/' || coalesce(error_code, 0)", vid,
	    "delivered/delivered/0");
	/* Every signed callback is on the timeline and in the audit trail. */
	events = smskit_qlong("SELECT count(*) FROM message_status_events e JOIN sms_outbox o"
	                      " ON o.id = e.outbox_id WHERE e.twilio_sid = $1",
	    sid, NULL);
	assert_int_equal(events, 5);
	assert_int_equal(smskit_qlong("SELECT count(*) FROM message_status_events WHERE twilio_sid"
	                              " = $1 AND status = 'delivered' AND raw_dlr_done_date ="
	                              " '2611211030'",
	                     sid, NULL),
	    1);
	assert_int_equal(smskit_qlong("SELECT count(*) FROM audit_events WHERE event = 'sms_status'"
	                              " AND actor = 'twilio' AND message_sid = $1",
	                     sid, NULL),
	    5);
	assert_int_equal(smskit_qlong("SELECT count(*) FROM audit_events WHERE event = 'sms_status'"
	                              " AND message_sid = $1 AND (detail->>'applied')::boolean",
	                     sid, NULL),
	    2);
	assert_true(
	    smskit_metric(&worker, "phoneauth_sms_status_callbacks_total{result=\"bad_signature\"}")
	    >= 2);
}

static void
test_permanent_errors(void **state)
{
	const int codes[] = { 21211, 21408, 21610, 21614 };
	char      phones[4][16], vids[4][37];

	(void) state;
	for (int i = 0; i < 4; i++) {
		smskit_phone(phones[i]);
		fake_twilio_fail_number(smskit_fake(), phones[i], codes[i]);
		smskit_signup(phones[i], vids[i]);
	}
	for (int i = 0; i < 4; i++) {
		char code[16];

		wait_outbox(vids[i], "failed", 10000);
		(void) snprintf(code, sizeof code, "%d", codes[i]);
		expect_outbox("error_code", vids[i], code);
		expect_outbox("body_sealed IS NULL AND twilio_sid IS NULL", vids[i], "t");
	}
	/* Not retried: one try each, still one a sweep later. */
	harness_sleep_ms(1500);
	for (int i = 0; i < 4; i++) {
		expect_outbox("attempts", vids[i], "1");
		assert_int_equal(fake_twilio_count_to(smskit_fake(), phones[i]), 0);
		fake_twilio_fail_number(smskit_fake(), phones[i], 0);
	}
	/* 21610: the person replied STOP. */
	assert_int_equal(smskit_qlong("SELECT count(*) FROM sms_opt_outs WHERE phone_e164 = $1"
	                              " AND error_code = 21610",
	                     phones[2], NULL),
	    1);
	assert_int_equal(smskit_qlong("SELECT count(*) FROM sms_opt_outs WHERE phone_e164 = $1",
	                     phones[0], NULL),
	    0);
	assert_int_equal(smskit_qlong("SELECT count(*) FROM audit_events WHERE event = 'sms_failed'"
	                              " AND verification_id = $1::uuid AND detail->>'error_code' ="
	                              " '21610'",
	                     vids[2], NULL),
	    1);
}

/* A burst of n signups while the fake throttles or fails: every message ends up sent, once. */
static void
storm(bool throttle)
{
	enum { N = 40 };
	char   phones[N][16];
	double retries = smskit_metric(&worker, "phoneauth_sms_sends_total{outcome=\"retry\"}");
	int    before  = fake_twilio_count(smskit_fake());

	if (throttle)
		fake_twilio_fail_429(smskit_fake(), 3 * N, 1);
	else
		fake_twilio_fail_500(smskit_fake(), 3 * N);
	smskit_signups(N, phones);
	assert_true(smskit_wait_fake_count(before + N, 60000));
	for (int i = 0; i < N; i++)
		assert_int_equal(fake_twilio_count_to(smskit_fake(), phones[i]), 1);
	assert_true(
	    metric_reaches("phoneauth_sms_sends_total{outcome=\"retry\"}", retries + 3 * N));
	/* The fake counts a message when it answers; the worker records it just after. */
	assert_true(smskit_wait_q("SELECT count(*) FROM sms_outbox WHERE state NOT IN ('sent',"
	                          " 'delivered', 'failed', 'expired')",
	    NULL, "0", 5000));
	fake_twilio_fail_429(smskit_fake(), 0, 0);
	fake_twilio_fail_500(smskit_fake(), 0);
}

static void
test_429_storm(void **state)
{
	(void) state;
	storm(true);
	/* Retry-After was honoured: a retried row waited at least its second. */
	assert_true(smskit_qlong("SELECT count(*) FROM audit_events WHERE event = 'sms_retry'"
	                         " AND (detail->>'retry_after_ms')::int = 1000",
	                NULL, NULL)
	    > 0);
}

static void
test_500_storm(void **state)
{
	(void) state;
	storm(false);
}

static void
test_expired_never_sent(void **state)
{
	char phone[16], vid[37], phone2[16], vid2[37];

	(void) state;
	/* Queued while no worker runs; the code dies before one starts. */
	assert_int_equal(harness_stop(&worker.proc, SIGTERM, 10000, NULL), 0);
	smskit_phone(phone);
	smskit_signup(phone, vid);
	smskit_phone(phone2);
	smskit_signup(phone2, vid2);
	free(smskit_q1("UPDATE sms_outbox SET not_after = now() - interval '1 second'"
	               " WHERE verification_id = $1::uuid RETURNING id",
	    vid, NULL));
	assert_int_equal(smskit_start_worker(&worker, "smsw_twilio2", NULL), 0);
	/* The other one, pushed while no worker ran, is found by the sweep and sent once. */
	wait_outbox(vid2, "sent", 10000);
	wait_outbox(vid, "expired", 10000);
	assert_int_equal(fake_twilio_count_to(smskit_fake(), phone), 0);
	assert_int_equal(fake_twilio_count_to(smskit_fake(), phone2), 1);
	expect_outbox("body_sealed IS NULL", vid, "t");

	/* Dies while Twilio keeps failing: retried until the code is nearly dead, never sent. */
	smskit_phone(phone);
	fake_twilio_fail_number(smskit_fake(), phone, 0);
	fake_twilio_fail_500(smskit_fake(), 1000);
	smskit_signup(phone, vid);
	free(smskit_q1("UPDATE sms_outbox SET not_after = now() + interval '4 seconds'"
	               " WHERE verification_id = $1::uuid RETURNING id",
	    vid, NULL));
	wait_outbox(vid, "expired", 15000);
	fake_twilio_fail_500(smskit_fake(), 0);
	assert_int_equal(fake_twilio_count_to(smskit_fake(), phone), 0);
	assert_true(smskit_qlong("SELECT attempts FROM sms_outbox WHERE verification_id = $1::uuid",
	                vid, NULL)
	    >= 1);
}

static void
test_reconcile(void **state)
{
	struct fake_twilio_msg m;
	char                   phone[16], vid[37];
	double                 before = smskit_metric(&worker, "phoneauth_sms_reconciled_total");

	(void) state;
	smskit_phone(phone);
	send_one(phone, vid, &m);
	/* Twilio knows it was delivered, but the callback never came. */
	fake_twilio_set_status(smskit_fake(), m.sid, "delivered", 0);
	fake_twilio_msg_free(&m);
	wait_outbox(vid, "delivered", 15000);
	assert_true(metric_reaches("phoneauth_sms_reconciled_total", before + 1));
	assert_int_equal(
	    smskit_qlong("SELECT count(*) FROM audit_events e JOIN sms_outbox o ON"
	                 " o.twilio_sid = e.message_sid WHERE e.event = 'sms_status'"
	                 " AND e.actor = 'sms-worker' AND o.verification_id = $1::uuid",
	        vid, NULL),
	    1);
}

static void
test_account_token_auth(void **state)
{
	const char            *env[] = { "TWILIO_API_KEY=", "TWILIO_API_SECRET=", NULL };
	struct fake_twilio_msg m;
	char                   phone[16], vid[37];

	(void) state;
	assert_int_equal(harness_stop(&worker.proc, SIGTERM, 10000, NULL), 0);
	assert_int_equal(smskit_start_worker(&worker, "smsw_twilio3", env), 0);
	smskit_phone(phone);
	send_one(phone, vid, &m);
	assert_string_equal(m.auth_user, SMSKIT_ACCOUNT);
	fake_twilio_msg_free(&m);
}

static void
test_health_metrics_logs(void **state)
{
	char                              url[64];
	struct pa_strbuf                  body = { 0 };
	const struct smskit_worker *const ws[] = { &worker };

	(void) state;
	(void) snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", worker.http_port);
	assert_int_equal(harness_http_get(url, &body), 200);
	assert_string_equal(body.data, "ok\n");
	pa_strbuf_free(&body);
	assert_true(metric_reaches("phoneauth_sms_sends_total{outcome=\"sent\"}", 1));
	assert_true(metric_reaches("phoneauth_twilio_request_seconds_count{}", 1));
	assert_true(smskit_metric(&worker, "phoneauth_sms_queue_depth") >= 0);
	assert_true(smskit_metric(&worker, "phoneauth_twilio_responses_total{class=\"2xx\"}") >= 1);
	assert_int_equal(fake_twilio_rejected(smskit_fake()), 0);
	smskit_check_logs(ws, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_end_to_end),
		cmocka_unit_test(test_callbacks_forward_only),
		cmocka_unit_test(test_permanent_errors),
		cmocka_unit_test(test_429_storm),
		cmocka_unit_test(test_500_storm),
		cmocka_unit_test(test_reconcile),
		cmocka_unit_test(test_expired_never_sent),
		cmocka_unit_test(test_account_token_auth),
		cmocka_unit_test(test_health_metrics_logs),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
