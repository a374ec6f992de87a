/* test_code_options.c: what issue 16 adds to sending a code, as auth does it, through the real
 * phoneauth-auth binary and a real PostgreSQL (Fancy Feathers): the channel a request names
 * (refused outside PHONEAUTH_CHANNELS), a WhatsApp code sealed with its held SMS fallback, a
 * resend that keeps or changes the channel, test numbers (a fixed code, nothing sent, no send
 * limit, the tries limit kept, audited as test and counted apart in Stats), a service that
 * refuses to start with test numbers its profile does not allow, and no secret in the logs.
 *
 * "primary" runs the profile as shipped (SMS only, no test numbers); "fast" allows WhatsApp,
 * falls back to SMS, has a 1 s cooldown and one test number. The SMS worker's side (the
 * WhatsApp form, the fallback's release) is test_channels.c's. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rpc_client.h"
#include "flowkit.h"
#include "harness.h"
#include "phoneauth/v1/admin.pb-c.h"
#include "phoneauth/v1/auth.pb-c.h"

#define OTP_KEY_HEX "a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7"
#define OUTBOX_KEY_HEX "b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8"
#define TOKEN_KEY_HEX "c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9"
#define ADMIN_TOKEN "opts-admin-token-e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5"

#define MSG_OTP_SENT "An OTP has been sent to your mobile number. Please enter it below to verify."
#define MSG_CODE_INVALID "Invalid or expired OTP. Please try again."
#define MSG_TOO_MANY "Maximum OTP attempts reached. Try again later."
#define MSG_SEND_LIMIT "Too many OTP requests. Try again later."
#define MSG_VERIFIED "OTP verified successfully!"
#define MSG_RESET_DONE                                                                        \
	"Your password has been reset. You can now log in using your verified mobile number " \
	"and password."
#define MSG_CHANNEL "Please choose another way to receive your OTP."
#define SMS_PREFIX "Fancy Feathers: Your verification code is "
#define SMS_SUFFIX ".\nIt will expire in 5 minutes."

/* The fast instance's test number and its fixed code (6 digits where the profile's are 4). */
#define TEST_PHONE "+12015559876"
#define TEST_CODE "246810"
/* What a signup code of the profile's 4 digits is on it: the fixed code's first digits. */
#define TEST_CODE_4 "2468"

#define C(x) PHONEAUTH__V1__CODE__##x
#define RS(x) PHONEAUTH__V1__REASON__##x
#define CH(x) PHONEAUTH__V1__CHANNEL__CHANNEL_##x
#define EXPECT FLOWKIT_EXPECT

enum { PRIMARY = FLOWKIT_PRIMARY, FAST = FLOWKIT_FAST };

static const char *const fast_env[] = { "PHONEAUTH_RESEND_COOLDOWN=1s",
	"PHONEAUTH_SUBSCRIPTION_REQUIRED=false", "PHONEAUTH_CHANNELS=sms,whatsapp",
	"PHONEAUTH_FALLBACK_CHANNEL=sms", "PHONEAUTH_ALLOW_TEST_NUMBERS=true",
	"PHONEAUTH_TEST_NUMBERS=" TEST_PHONE "=" TEST_CODE ", +12015559877=135799", NULL };

static const struct flowkit_profile profile = {
	.name                = "fancy-feathers",
	.db_name             = "t_code_options",
	.tag                 = { "auth_opts", "auth_opts_fast" },
	.fast_env            = fast_env,
	.otp_key_hex         = OTP_KEY_HEX,
	.outbox_key_hex      = OUTBOX_KEY_HEX,
	.token_key_hex       = TOKEN_KEY_HEX,
	.admin_token         = ADMIN_TOKEN,
	.user_agent          = "test_code_options",
	.ip_prefix           = "198.18",
	.ip_base             = 60,
	.sms_prefix          = SMS_PREFIX,
	.sms_suffix          = SMS_SUFFIX,
	.code_len            = 4,
	.code_ttl_s          = 300,
	.msg_otp_sent        = MSG_OTP_SENT,
	.msg_send_limit      = MSG_SEND_LIMIT,
	.msg_verified        = MSG_VERIFIED,
	.msg_code_invalid    = MSG_CODE_INVALID,
	.msg_session_invalid = NULL,
	.msg_reset_done      = MSG_RESET_DONE,
};

/* StartSignup on instance which (no subscription on fast; primary requires one, so its calls
 * here are refused before the subscription check only when the channel is wrong). */
static void
start(int which, const char *phone, int channel, struct pa_reply *r)
{
	Phoneauth__V1__StartSignupRequest req = PHONEAUTH__V1__START_SIGNUP_REQUEST__INIT;

	req.phone           = (char *) phone;
	req.subscription_id = (char *) "opts-sub";
	req.channel         = channel;
	flowkit_rpc(
	    which, "StartSignup", &req.base, &phoneauth__v1__start_signup_response__descriptor, r);
}

/* A StartSignup that must send: the verification id into vid, the reply's channel checked. */
static void
start_ok(const char *phone, int channel, int want_channel, char vid[37])
{
	struct pa_reply                     r;
	Phoneauth__V1__StartSignupResponse *resp;

	start(FAST, phone, channel, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_OTP_SENT);
	resp = (Phoneauth__V1__StartSignupResponse *) r.body;
	assert_non_null(resp->sent);
	assert_int_equal(resp->sent->channel, want_channel);
	assert_true(flowkit_is_uuid(resp->sent->verification_id));
	(void) snprintf(vid, 37, "%s", resp->sent->verification_id);
	pa_reply_clear(&r);
}

static void
resend(const char *vid, int channel, int want_channel)
{
	Phoneauth__V1__ResendCodeRequest   req = PHONEAUTH__V1__RESEND_CODE_REQUEST__INIT;
	Phoneauth__V1__ResendCodeResponse *resp;
	struct pa_reply                    r;

	req.verification_id = (char *) vid;
	req.channel         = channel;
	flowkit_rpc(
	    FAST, "ResendCode", &req.base, &phoneauth__v1__resend_code_response__descriptor, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_OTP_SENT);
	resp = (Phoneauth__V1__ResendCodeResponse *) r.body;
	assert_int_equal(resp->sent->channel, want_channel);
	pa_reply_clear(&r);
}

/* The code inside a WhatsApp row's ContentVariables ({"1":"1234"}). */
static void
whatsapp_code(const char *vid, int64_t *id, char code[8])
{
	char body[128];

	flowkit_outbox_body(vid, "whatsapp", id, body, sizeof body);
	assert_int_equal(strlen(body), strlen("{\"1\":\"\"}") + 4);
	assert_memory_equal(body, "{\"1\":\"", 6);
	assert_string_equal(body + 10, "\"}");
	memcpy(code, body + 6, 4);
	code[4] = '\0';
	flowkit_add_secret(code);
}

/* The code inside the newest SMS row of vid, whose whole body is the profile's. */
static void
sms_code(const char *vid, int64_t *id, char code[8])
{
	char body[256], want[256];

	flowkit_outbox_body(vid, "sms", id, body, sizeof body);
	assert_true(strlen(body) > strlen(SMS_PREFIX) + 4);
	memcpy(code, body + strlen(SMS_PREFIX), 4);
	code[4] = '\0';
	(void) snprintf(want, sizeof want, "%s%s%s", SMS_PREFIX, code, SMS_SUFFIX);
	assert_string_equal(body, want);
	flowkit_add_secret(code);
}

static long
rows(const char *sql, const char *p1)
{
	return flowkit_qlong(sql, p1, NULL);
}

/* ---- channels -------------------------------------------------------------------------------- */

static void
channel_outside_the_profile_is_refused(void **state)
{
	struct pa_reply r;
	char            phone[16];

	(void) state;
	flowkit_next_phone(phone);
	/* The shipped profile sends SMS only. */
	start(PRIMARY, phone, CH(WHATSAPP), &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(CHANNEL_NOT_ALLOWED), MSG_CHANNEL);
	pa_reply_clear(&r);
	/* A value the proto does not define is refused the same way. */
	start(FAST, phone, 99, &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(CHANNEL_NOT_ALLOWED), MSG_CHANNEL);
	pa_reply_clear(&r);
	assert_int_equal(
	    rows("SELECT count(*) FROM verifications WHERE phone_e164 = $1", phone), 0);
}

static void
whatsapp_code_with_held_sms_fallback(void **state)
{
	char    phone[16], vid[37], wa[8], sms[8];
	int64_t wa_id, sms_id;
	char    idtxt[24];

	(void) state;
	flowkit_next_phone(phone);
	start_ok(phone, CH(WHATSAPP), CH(WHATSAPP), vid);
	/* Two rows in one transaction: the WhatsApp message, queued, and the SMS that stands in
	 * for it, held, with the same code. */
	assert_int_equal(flowkit_outbox_count(vid), 2);
	whatsapp_code(vid, &wa_id, wa);
	sms_code(vid, &sms_id, sms);
	assert_string_equal(wa, sms);
	assert_true(sms_id > wa_id);
	(void) snprintf(idtxt, sizeof idtxt, "%lld", (long long) wa_id);
	assert_int_equal(rows("SELECT count(*) FROM sms_outbox WHERE verification_id = $1::uuid"
	                      " AND channel = 'whatsapp' AND state = 'queued' AND kind = 'message'"
	                      " AND encoding IS NULL AND fallback_for IS NULL",
	                     vid),
	    1);
	assert_int_equal(flowkit_qlong("SELECT count(*) FROM sms_outbox WHERE verification_id = "
	                               "$1::uuid AND channel = 'sms' AND state = 'held'"
	                               " AND fallback_for = $2::bigint",
	                     vid, idtxt),
	    1);
	assert_int_equal(rows("SELECT count(*) FROM verifications WHERE id = $1::uuid"
	                      " AND channel = 'whatsapp' AND backend = 'local'",
	                     vid),
	    1);
	assert_int_equal(rows("SELECT count(*) FROM audit_events WHERE verification_id = $1::uuid"
	                      " AND event = 'code_sent' AND detail->>'channel' = 'whatsapp'"
	                      " AND detail->>'fallback' = 'sms'",
	                     vid),
	    1);
	flowkit_verify_ok(FAST, vid, wa, NULL);
}

static void
resend_keeps_or_changes_the_channel(void **state)
{
	char phone[16], vid[37], code[8];

	(void) state;
	flowkit_next_phone(phone);
	/* Unspecified: the profile's default, SMS, and no fallback on the same channel. */
	start_ok(phone, CH(UNSPECIFIED), CH(SMS), vid);
	assert_int_equal(flowkit_outbox_count(vid), 1);
	harness_sleep_ms(1100);
	/* A fresh IP for each send: one IP gets 3 of a phone's sends an hour. */
	flowkit_new_ip();
	resend(vid, CH(WHATSAPP), CH(WHATSAPP));
	assert_int_equal(flowkit_outbox_count(vid), 3);
	harness_sleep_ms(1100);
	flowkit_new_ip();
	/* Unspecified on a resend: the last send's channel. */
	resend(vid, CH(UNSPECIFIED), CH(WHATSAPP));
	assert_int_equal(flowkit_outbox_count(vid), 5);
	assert_int_equal(
	    rows("SELECT count(*) FROM verifications WHERE id = $1::uuid AND channel = 'whatsapp'",
	        vid),
	    1);
	harness_sleep_ms(1100);
	flowkit_new_ip();
	resend(vid, CH(SMS), CH(SMS));
	assert_int_equal(flowkit_outbox_count(vid), 6);
	sms_code(vid, NULL, code);
	flowkit_verify_ok(FAST, vid, code, NULL);
}

static void
sms_codes_have_no_fallback(void **state)
{
	char phone[16], vid[37], code[8];

	(void) state;
	/* SMS is its own fallback: one row, whatever the profile's fallback says. */
	for (int i = 0; i < 3; i++) {
		flowkit_next_phone(phone);
		start_ok(phone, CH(SMS), CH(SMS), vid);
		assert_int_equal(flowkit_outbox_count(vid), 1);
		assert_int_equal(
		    rows("SELECT count(*) FROM sms_outbox WHERE verification_id = $1::uuid"
		         " AND state = 'queued' AND channel = 'sms' AND locale = 'en'",
		        vid),
		    1);
		sms_code(vid, NULL, code);
	}
	flowkit_verify_ok(FAST, vid, code, NULL);
}

/* ---- test numbers ---------------------------------------------------------------------------- */

static uint64_t
stat_of(const Phoneauth__V1__StatsResponse *s, int which)
{
	return which == 0 ? s->verifications_started
	    : which == 1  ? s->verifications_verified
	    : which == 2  ? s->test_verifications_started
	                  : s->test_verifications_verified;
}

/* Admin Stats of the fast instance over the last hour: started, verified, test started, test
 * verified into out[4]; and how many sends went on WhatsApp. */
static void
stats(uint64_t out[4], uint64_t *whatsapp)
{
	Phoneauth__V1__StatsRequest   req = PHONEAUTH__V1__STATS_REQUEST__INIT;
	Phoneauth__V1__StatsResponse *s;
	struct pa_reply               r;

	req.window_s = 3600;
	flowkit_admin(FAST, "Stats", &req.base, &phoneauth__v1__stats_response__descriptor, &r);
	s = (Phoneauth__V1__StatsResponse *) r.body;
	for (int i = 0; i < 4; i++)
		out[i] = stat_of(s, i);
	*whatsapp = 0;
	for (size_t i = 0; i < s->n_sends_by_channel; i++)
		if (strcmp(s->sends_by_channel[i]->key, "whatsapp") == 0)
			*whatsapp = s->sends_by_channel[i]->count;
	pa_reply_clear(&r);
}

static void
test_number_has_a_fixed_code_and_sends_nothing(void **state)
{
	struct pa_reply                     r;
	Phoneauth__V1__StartSignupResponse *resp;
	uint64_t                            before[4], after[4], wa;
	char                                vid[37] = "";

	(void) state;
	flowkit_add_secret(TEST_CODE);
	flowkit_add_secret(TEST_CODE_4);
	stats(before, &wa);
	assert_true(wa >= 1); /* the WhatsApp test's row */
	/* More starts than the profile's 5 sends per phone an hour: nothing is sent, nothing is
	 * spent, so no send limit stops them. */
	for (int i = 0; i < 7; i++) {
		if (i > 0)
			harness_sleep_ms(1050);
		flowkit_new_ip();
		start(FAST, TEST_PHONE, CH(UNSPECIFIED), &r);
		EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), MSG_OTP_SENT);
		resp = (Phoneauth__V1__StartSignupResponse *) r.body;
		/* A test number reads like any number (its code length too, or a caller could tell
		 * one from a reply): the profile's length, the fixed code's first digits. */
		assert_int_equal(resp->sent->code_length, 4);
		(void) snprintf(vid, sizeof vid, "%s", resp->sent->verification_id);
		pa_reply_clear(&r);
		assert_int_equal(flowkit_outbox_count(vid), 0);
	}
	assert_int_equal(
	    rows("SELECT count(*) FROM sms_outbox WHERE phone_e164 = $1", TEST_PHONE), 0);
	assert_int_equal(rows("SELECT count(*) FROM verifications WHERE phone_e164 = $1"
	                      " AND backend = 'test' AND code_mac IS NOT NULL",
	                     TEST_PHONE),
	    7);
	assert_int_equal(rows("SELECT count(*) FROM audit_events WHERE verification_id = $1::uuid"
	                      " AND event = 'code_sent' AND outcome = 'test'"
	                      " AND (detail->>'test')::boolean",
	                     vid),
	    1);
	/* A wrong code is wrong, the fixed one verifies. */
	flowkit_expect_code_invalid(FAST, vid, "0000", 2);
	flowkit_verify_ok(FAST, vid, TEST_CODE_4, NULL);
	stats(after, &wa);
	assert_int_equal(after[0], before[0]);
	assert_int_equal(after[1], before[1]);
	assert_int_equal(after[2], before[2] + 7);
	assert_int_equal(after[3], before[3] + 1);
}

static void
test_number_keeps_the_tries_limit(void **state)
{
	struct pa_reply r;
	char            vid[37];

	(void) state;
	flowkit_add_secret("135799");
	flowkit_add_secret("1357");
	start_ok("+12015559877", CH(UNSPECIFIED), CH(SMS), vid);
	flowkit_expect_code_invalid(FAST, vid, "1111", 2);
	flowkit_expect_code_invalid(FAST, vid, "2222", 1);
	/* A resend brings no new code to a test number, so it brings no new tries either. */
	harness_sleep_ms(1050);
	flowkit_new_ip();
	resend(vid, CH(UNSPECIFIED), CH(SMS));
	flowkit_expect_code_invalid(FAST, vid, "3333", 0);
	/* The tries are spent: even the fixed code no longer works. */
	flowkit_verify(FAST, vid, "1357", &r);
	assert_int_not_equal(r.code, C(OK));
	pa_reply_clear(&r);
}

static void
test_numbers_refused_unless_the_profile_allows_them(void **state)
{
	const char *argv[] = { PHONEAUTH_AUTH_BIN, "check-config", NULL };
	const char *env[]  = { "DATABASE_URL=postgresql:///x", HARNESS_SERVICE_ENV,
		 "PHONEAUTH_TEST_NUMBERS=+12015559876=987123", NULL };
	const char *bad[]  = { "DATABASE_URL=postgresql:///x", HARNESS_SERVICE_ENV,
		 "PHONEAUTH_ALLOW_TEST_NUMBERS=true", "PHONEAUTH_TEST_NUMBERS=+12015559876=98x123",
		 NULL };
	/* A fixed code opens a reset or a login too: as long as those codes (6 digits). */
	const char *shrt[] = { "DATABASE_URL=postgresql:///x", HARNESS_SERVICE_ENV,
		"PHONEAUTH_ALLOW_TEST_NUMBERS=true",
		"PHONEAUTH_TEST_NUMBERS=+12015559876=987123,+12015559877=9871", NULL };
	char        out[4096];

	(void) state;
	assert_int_not_equal(harness_run(argv, env, out, sizeof out), 0);
	assert_non_null(strstr(out, "PHONEAUTH_ALLOW_TEST_NUMBERS"));
	assert_null(strstr(out, "987123"));
	assert_int_not_equal(harness_run(argv, bad, out, sizeof out), 0);
	assert_non_null(strstr(out, "PHONEAUTH_TEST_NUMBERS item 1"));
	assert_null(strstr(out, "98x123"));
	assert_int_not_equal(harness_run(argv, shrt, out, sizeof out), 0);
	assert_non_null(strstr(out, "PHONEAUTH_TEST_NUMBERS item 2"));
	assert_non_null(strstr(out, "at least 6 digits"));
	assert_null(strstr(out, "9871"));
}

static void
no_secret_in_the_logs(void **state)
{
	(void) state;
	flowkit_check_logs();
}

static int
group_setup(void **state)
{
	(void) state;
	return flowkit_group_setup(&profile);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, flowkit_test_setup)
	const struct CMUnitTest tests[] = {
		T(channel_outside_the_profile_is_refused),
		T(whatsapp_code_with_held_sms_fallback),
		T(resend_keeps_or_changes_the_channel),
		T(sms_codes_have_no_fallback),
		T(test_number_has_a_fixed_code_and_sends_nothing),
		T(test_number_keeps_the_tries_limit),
		T(test_numbers_refused_unless_the_profile_allows_them),
		T(no_secret_in_the_logs),
	};
#undef T
	return cmocka_run_group_tests(tests, group_setup, flowkit_group_teardown);
}
