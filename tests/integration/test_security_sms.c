/* test_security_sms.c: issue 13's finding 6 with the real SMS worker, the fake Twilio, the real
 * auth service (Fancy Feathers, no subscription needed) and PostgreSQL: a code that a resend
 * replaced must never be sent, even when its outbox row was already in Twilio retries. Every
 * check that fails is printed and the test goes on, then fails at its end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/crypto.h"
#include "common/rpc_client.h"
#include "phoneauth/v1/auth.pb-c.h"
#include "seckit.h"
#include "smskit.h"

#define SMS_PREFIX "Fancy Feathers: Your verification code is "

static struct smskit_worker worker;

static int
group_setup(void **state)
{
	(void) state;
	if (pa_crypto_init() != PA_OK)
		return -1;
	return smskit_setup_with_worker("t_sec_sms", &worker, "smsw_sec", NULL);
}

static int
group_teardown(void **state)
{
	(void) state;
	return smskit_teardown_with_worker(&worker);
}

/* The code in outbox row id (verification vid), opened with the test outbox key; fails the test
 * when the row has no body. */
static void
row_code(const char *id, const char *vid, char code[16])
{
	struct pa_keyring kr;
	char             *hex = smskit_q1("SELECT encode(body_sealed, 'hex') FROM sms_outbox"
	                                              " WHERE id = $1::bigint",
	                id, NULL);
	unsigned char     sealed[512];
	size_t            slen = 0, plen = 0, n = 0;
	char             *plain = NULL;

	assert_non_null(hex);
	if (strcmp(hex, "(null)") == 0)
		fail_msg("outbox row %s has no body left to read its code from", id);
	assert_int_equal(
	    sodium_hex2bin(sealed, sizeof sealed, hex, strlen(hex), NULL, &slen, NULL), 0);
	free(hex);
	assert_int_equal(pa_keyring_parse(&kr, HARNESS_OUTBOX_KEY), PA_OK);
	assert_int_equal(pa_open(&plain, &plen, &kr, vid, strlen(vid), sealed, slen), PA_OK);
	pa_keyring_wipe(&kr);
	assert_true(plen > strlen(SMS_PREFIX));
	assert_memory_equal(plain, SMS_PREFIX, strlen(SMS_PREFIX));
	while (n < 15 && isdigit((unsigned char) plain[strlen(SMS_PREFIX) + n]))
		n++;
	memcpy(code, plain + strlen(SMS_PREFIX), n);
	code[n] = '\0';
	sodium_memzero(plain, plen);
	free(plain);
}

static char *
row_col(const char *col, const char *id)
{
	char sql[200];

	(void) snprintf(sql, sizeof sql, "SELECT %s FROM sms_outbox WHERE id = $1::bigint", col);
	return smskit_q1(sql, id, NULL);
}

/* Finding 6: StartSignup queues row 1; Twilio answers 500, so the worker keeps retrying it;
 * after the cooldown ResendCode queues row 2 with a new code. When Twilio recovers only row 2's
 * code reaches it, and row 1 ends in state 'cancelled', never sent. */
static void
test_f6_superseded_code_never_sent(void **state)
{
	struct pa_client_opts            o = { .url = smskit_rpc_url(), .timeout_ms = 10000 };
	struct pa_client                *c;
	Phoneauth__V1__ResendCodeRequest req = PHONEAUTH__V1__RESEND_CODE_REQUEST__INIT;
	struct pa_reply                  r;
	struct fake_twilio_msg           m;
	char phone[16], vid[37], row1[24], row2[24], code1[16], code2[16], *v;
	int  sent;

	(void) state;
	smskit_phone(phone);
	fake_twilio_fail_500(smskit_fake(), 1000);
	smskit_signup(phone, vid);
	v = smskit_q1(
	    "SELECT min(id)::text FROM sms_outbox WHERE verification_id = $1::uuid", vid, NULL);
	(void) snprintf(row1, sizeof row1, "%s", v);
	free(v);
	row_code(row1, vid, code1);
	/* The worker has tried row 1 and Twilio refused it: the row is in retries. */
	assert_true(
	    smskit_wait_q("SELECT (attempts >= 1 AND state = 'queued')::text FROM sms_outbox"
	                  " WHERE id = $1::bigint",
	        row1, "true", 10000));
	harness_sleep_ms(1100);

	assert_int_equal(pa_client_open(&c, &o), PA_OK);
	req.verification_id = vid;
	assert_int_equal(pa_client_call(c, "/phoneauth.v1.Auth/ResendCode", &req.base,
	                     &phoneauth__v1__resend_code_response__descriptor, NULL, &r),
	    PA_OK);
	if (r.code != C(OK))
		fail_msg("ResendCode: %s %s", pa_code_name(r.code), r.message);
	pa_reply_clear(&r);
	pa_client_close(c);
	v = smskit_q1(
	    "SELECT max(id)::text FROM sms_outbox WHERE verification_id = $1::uuid", vid, NULL);
	(void) snprintf(row2, sizeof row2, "%s", v);
	free(v);
	assert_string_not_equal(row1, row2);
	row_code(row2, vid, code2);
	seckit_note("row %s carries code 1, row %s code 2%s", row1, row2,
	    strcmp(code1, code2) == 0 ? " (the same digits by chance)" : "");

	/* Twilio recovers: row 2 goes out; row 1 must end without being sent. */
	harness_sleep_ms(500);
	fake_twilio_fail_500(smskit_fake(), 0);
	assert_true(smskit_wait_q(
	    "SELECT state FROM sms_outbox WHERE id = $1::bigint", row2, "sent", 15000));
	if (!smskit_wait_q("SELECT (state NOT IN ('queued', 'sending'))::text FROM sms_outbox"
	                   " WHERE id = $1::bigint",
	        row1, "true", 15000))
		SK_CHECK(false, "row 1 was still waiting to be sent 15 s after Twilio recovered");
	harness_sleep_ms(300); /* the fake counts a message as it answers */
	sent = fake_twilio_count_to(smskit_fake(), phone);
	v    = row_col("state || '/' || coalesce(twilio_sid, 'no sid')", row1);
	seckit_note("Twilio got %d message(s) for the phone; row 1 is %s", sent, v);
	SK_CHECK(sent == 1, "Twilio got %d messages for the phone, want 1 (row 2's)", sent);
	SK_CHECK(v != NULL && strcmp(v, "cancelled/no sid") == 0,
	    "the superseded row 1 ended as %s, want cancelled and never sent", v ? v : "(gone)");
	free(v);
	assert_true(fake_twilio_last_to(smskit_fake(), phone, &m));
	SK_CHECK(strstr(m.body, code2) != NULL, "the last SMS Twilio got does not carry code 2: %s",
	    m.body);
	fake_twilio_msg_free(&m);
	seckit_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_f6_superseded_code_never_sent),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
