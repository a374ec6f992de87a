/* test_channels.c: the SMS worker's WhatsApp channel and its SMS fallback (issue 16), end to end:
 * the real auth service (PHONEAUTH_CHANNELS=sms,whatsapp, PHONEAUTH_FALLBACK_CHANNEL=sms), a
 * twilio-mode worker and the fake Twilio, which refuses what Twilio would. A WhatsApp signup's
 * template form, its code verifying, 'read' after 'delivered'; the held SMS sent with the same
 * code when WhatsApp fails for good (at the POST, or by an undelivered callback) and cancelled,
 * never sent, when WhatsApp is delivered, a resend replaced the code or it expired; the channels
 * in the Admin views (ListMessages, GetUser); logs without codes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/rpc_client.h"
#include "phoneauth/v1/admin.pb-c.h"
#include "phoneauth/v1/auth.pb-c.h"
#include "phoneauth/v1/rpc.pb-c.h"
#include "smskit.h"

#define WA_FROM "whatsapp:+14155238886"
#define WA_TEMPLATE "HX0123456789abcdef0123456789abcdef"
#define WA_TEMPLATE_ES "HXfedcba9876543210fedcba9876543210"
#define FF_SMS_PREFIX "Fancy Feathers: Your verification code is "
#define WHATSAPP PHONEAUTH__V1__CHANNEL__CHANNEL_WHATSAPP

static struct smskit_worker worker;

static const char *const auth_env[]
    = { "PHONEAUTH_CHANNELS=sms,whatsapp", "PHONEAUTH_FALLBACK_CHANNEL=sms", NULL };

static int
group_setup(void **state)
{
	/* Templates per language only, no default: a row in another language has none. */
	const char *env[] = { "TWILIO_WHATSAPP_FROM=" WA_FROM,
		"TWILIO_WHATSAPP_CONTENT_SIDS=en=" WA_TEMPLATE ",es=" WA_TEMPLATE_ES, NULL };

	(void) state;
	smskit_configure(auth_env, NULL);
	if (smskit_setup("t_channels") != 0)
		return -1;
	return smskit_start_worker(&worker, "smsw_channels", env);
}

static int
group_teardown(void **state)
{
	(void) state;
	return smskit_teardown_with_worker(&worker);
}

/* The column of vid's outbox row on channel ("whatsapp": the primary, "sms": the held one). */
static char *
row_col(const char *vid, const char *channel, const char *col_sql)
{
	char sql[300];

	(void) snprintf(sql, sizeof sql,
	    "SELECT %s FROM sms_outbox WHERE verification_id = $1::uuid AND channel = $2", col_sql);
	return smskit_q1(sql, vid, channel);
}

static void
expect_row(const char *vid, const char *channel, const char *col_sql, const char *want)
{
	char *v = row_col(vid, channel, col_sql);

	assert_non_null(v);
	if (strcmp(v, want) != 0)
		fail_msg("%s row: %s = %s, want %s", channel, col_sql, v, want);
	free(v);
}

static void
wait_row(const char *vid, const char *channel, const char *state, int timeout_ms)
{
	char sql[200];

	(void) snprintf(sql, sizeof sql,
	    "SELECT state FROM sms_outbox WHERE verification_id = $1::uuid AND channel = '%s'",
	    channel);
	if (!smskit_wait_q(sql, vid, state, timeout_ms)) {
		char *v = row_col(vid, channel, "state");

		fail_msg("%s row stayed %s, want %s", channel, v ? v : "(none)", state);
	}
}

/* "whatsapp:" + phone */
static void
wa_to(const char *phone, char out[32])
{
	(void) snprintf(out, 32, "whatsapp:%s", phone);
}

/* The code in a template's ContentVariables ({"1":"123456"}). */
static void
code_of_variables(const char *json, char code[16])
{
	json_object *o = json_tokener_parse(json), *v;

	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "1", &v));
	assert_true(json_object_is_type(v, json_type_string));
	(void) snprintf(code, 16, "%s", json_object_get_string(v));
	assert_int_equal(json_object_object_length(o), 1);
	json_object_put(o);
	assert_true(strlen(code) >= 4 && strspn(code, "0123456789") == strlen(code));
}

/* The code in the profile's SMS text. */
static void
code_of_sms(const char *body, char code[16])
{
	size_t plen = strlen(FF_SMS_PREFIX);

	assert_non_null(body);
	assert_memory_equal(body, FF_SMS_PREFIX, plen);
	(void) snprintf(code, 16, "%.*s", (int) strspn(body + plen, "0123456789"), body + plen);
	assert_true(strlen(code) >= 4);
}

/* A WhatsApp signup for phone whose message Twilio accepted: vid, the fake's copy, the code. */
static void
whatsapp_sent(const char *phone, char vid[37], struct fake_twilio_msg *m, char code[16])
{
	char to[32];

	wa_to(phone, to);
	smskit_signup_channel(phone, WHATSAPP, vid);
	wait_row(vid, "whatsapp", "sent", 10000);
	assert_true(fake_twilio_last_to(smskit_fake(), to, m));
	code_of_variables(m->content_variables, code);
	expect_row(vid, "whatsapp", "twilio_sid", m->sid);
}

/* The worker counts just after committing: give the counter a moment. */
static bool
metric_reaches(const char *sample, double min)
{
	for (int t = 0; t < 3000; t += 20) {
		if (smskit_metric(&worker, sample) >= min)
			return true;
		harness_sleep_ms(20);
	}
	return false;
}

static long
sms_to(const char *phone)
{
	return fake_twilio_count_to(smskit_fake(), phone);
}

/* (a) A WhatsApp signup: the template form Twilio gets, the code verifies, and the status goes
 * sent -> delivered -> read, never back. */
static void
test_whatsapp_signup(void **state)
{
	struct fake_twilio_msg m;
	char                   phone[16], vid[37], code[16], to[32], sid[40];

	(void) state;
	smskit_phone(phone);
	wa_to(phone, to);
	whatsapp_sent(phone, vid, &m, code);
	/* The form as the Messages API takes a WhatsApp template (twilio_api_v2010.json). */
	assert_string_equal(m.to, to);
	assert_string_equal(m.from, WA_FROM);
	assert_null(m.messaging_service_sid);
	assert_null(m.body);
	assert_string_equal(m.channel, "whatsapp");
	assert_string_equal(
	    m.content_sid, WA_TEMPLATE); /* locale en: TWILIO_WHATSAPP_CONTENT_SIDS */
	assert_string_equal(m.status_callback, worker.callback_url);
	assert_in_range(m.validity_period, 290, 300);
	assert_true(m.provide_feedback);
	assert_int_equal(fake_twilio_rejected(smskit_fake()), 0);
	(void) snprintf(sid, sizeof sid, "%s", m.sid);
	fake_twilio_msg_free(&m);
	/* The SMS waits, held, with the same code sealed; nothing went out by SMS. */
	expect_row(vid, "sms",
	    "state || '/' || (fallback_for = (SELECT id FROM sms_outbox"
	    " WHERE verification_id = $1::uuid AND channel = 'whatsapp'))",
	    "held/true");
	expect_row(vid, "whatsapp", "body_sealed IS NULL", "t");
	assert_int_equal(sms_to(phone), 0);

	assert_int_equal(smskit_verify(vid, code), PHONEAUTH__V1__CODE__OK);

	assert_int_equal(fake_twilio_callback(smskit_fake(), sid, "sent", 0, NULL, 1), 200);
	assert_int_equal(fake_twilio_callback(smskit_fake(), sid, "delivered", 0, NULL, 1), 200);
	expect_row(vid, "whatsapp", "state || '/' || twilio_status", "delivered/delivered");
	assert_int_equal(fake_twilio_callback(smskit_fake(), sid, "read", 0, NULL, 1), 200);
	expect_row(vid, "whatsapp", "state || '/' || twilio_status", "delivered/read");
	/* Late ones never move it back. */
	assert_int_equal(fake_twilio_callback(smskit_fake(), sid, "delivered", 0, NULL, 1), 200);
	assert_int_equal(
	    fake_twilio_callback(smskit_fake(), sid, "undelivered", 63024, NULL, 1), 200);
	expect_row(vid, "whatsapp",
	    "state || '/' || twilio_status || '/' || coalesce(error_code, 0)", "delivered/read/0");
	/* The held SMS ended unsent (the code was verified, then the message delivered). */
	wait_row(vid, "sms", "cancelled", 5000);
	expect_row(vid, "sms", "twilio_sid IS NULL AND body_sealed IS NULL", "t");
	assert_int_equal(sms_to(phone), 0);
}

/* (b) WhatsApp refuses the message for good at the POST (63016): the same code goes by SMS at
 * once and verifies. */
static void
test_fallback_on_send_error(void **state)
{
	struct fake_twilio_msg m;
	char                   phone[16], vid[37], code[16], to[32], sql_vid[37];

	(void) state;
	smskit_phone(phone);
	wa_to(phone, to);
	fake_twilio_fail_number(smskit_fake(), to, 63016);
	smskit_signup_channel(phone, WHATSAPP, vid);
	wait_row(vid, "whatsapp", "failed", 10000);
	expect_row(vid, "whatsapp", "error_code", "63016");
	wait_row(vid, "sms", "sent", 10000);
	fake_twilio_fail_number(smskit_fake(), to, 0);
	assert_int_equal(fake_twilio_count_to(smskit_fake(), to), 0);
	assert_int_equal(sms_to(phone), 1);
	assert_true(fake_twilio_last_to(smskit_fake(), phone, &m));
	assert_string_equal(m.channel, "sms");
	assert_null(m.content_sid);
	code_of_sms(m.body, code);
	expect_row(vid, "sms", "twilio_sid", m.sid);
	fake_twilio_msg_free(&m);
	assert_int_equal(smskit_verify(vid, code), PHONEAUTH__V1__CODE__OK);

	/* One audit row says which channel stood in for which, and why. */
	(void) snprintf(sql_vid, sizeof sql_vid, "%s", vid);
	assert_int_equal(
	    smskit_qlong("SELECT count(*) FROM audit_events WHERE event = 'sms_fallback'"
	                 " AND verification_id = $1::uuid AND outcome = 'queued'"
	                 " AND detail->>'from' = 'whatsapp' AND detail->>'to' = 'sms'"
	                 " AND (detail->>'error_code')::int = 63016"
	                 " AND detail->>'reason' = 'primary_failed'",
	        sql_vid, NULL),
	    1);
	assert_true(metric_reaches("phoneauth_sms_fallbacks_total{outcome=\"queued\"}", 1));
}

/* (b) WhatsApp accepted it, then reported it undelivered: the held SMS goes with the same code. */
static void
test_fallback_on_undelivered(void **state)
{
	struct fake_twilio_msg m;
	char                   phone[16], vid[37], wa_code[16], sms_code[16], sid[40];

	(void) state;
	smskit_phone(phone);
	whatsapp_sent(phone, vid, &m, wa_code);
	(void) snprintf(sid, sizeof sid, "%s", m.sid);
	fake_twilio_msg_free(&m);
	expect_row(vid, "sms", "state", "held");
	assert_int_equal(sms_to(phone), 0);

	assert_int_equal(
	    fake_twilio_callback(smskit_fake(), sid, "undelivered", 63024, NULL, 1), 200);
	expect_row(vid, "whatsapp", "state || '/' || error_code", "undelivered/63024");
	/* The callback queued it; a sweep (1 s here) sends it. */
	wait_row(vid, "sms", "sent", 10000);
	assert_int_equal(sms_to(phone), 1);
	assert_true(fake_twilio_last_to(smskit_fake(), phone, &m));
	code_of_sms(m.body, sms_code);
	fake_twilio_msg_free(&m);
	assert_string_equal(sms_code, wa_code);
	assert_int_equal(smskit_verify(vid, sms_code), PHONEAUTH__V1__CODE__OK);
	assert_int_equal(
	    smskit_qlong("SELECT count(*) FROM audit_events WHERE event = 'sms_fallback'"
	                 " AND verification_id = $1::uuid AND actor = 'twilio'",
	        vid, NULL),
	    1);
}

/* (c) A delivered WhatsApp message cancels the held SMS, which is never sent, not even after a
 * late failure report or the code's expiry sweep. */
static void
test_delivered_cancels_fallback(void **state)
{
	struct fake_twilio_msg m;
	char                   phone[16], vid[37], code[16], sid[40];

	(void) state;
	smskit_phone(phone);
	whatsapp_sent(phone, vid, &m, code);
	(void) snprintf(sid, sizeof sid, "%s", m.sid);
	fake_twilio_msg_free(&m);

	assert_int_equal(fake_twilio_callback(smskit_fake(), sid, "delivered", 0, NULL, 1), 200);
	expect_row(vid, "sms", "state || '/' || (body_sealed IS NULL)", "cancelled/true");
	assert_int_equal(smskit_qlong("SELECT count(*) FROM audit_events WHERE event = "
	                              "'sms_cancelled' AND verification_id = $1::uuid"
	                              " AND outcome = 'cancelled'"
	                              " AND detail->>'reason' = 'primary_delivered'"
	                              " AND detail->>'from' = 'whatsapp'",
	                     vid, NULL),
	    1);
	assert_int_equal(fake_twilio_callback(smskit_fake(), sid, "failed", 63003, NULL, 1), 200);
	harness_sleep_ms(2500); /* two sweeps */
	expect_row(vid, "sms", "state", "cancelled");
	assert_int_equal(sms_to(phone), 0);
	assert_int_equal(smskit_verify(vid, code), PHONEAUTH__V1__CODE__OK);
	assert_true(metric_reaches("phoneauth_sms_fallbacks_total{outcome=\"cancelled\"}", 1));
}

/* A WhatsApp row in a language the worker has no template for fails for good, unsent, with the
 * reason in the row and its audit row, and its held SMS carries the code instead. (Auth writes
 * the profile's language; a trigger of this test's database gives this one phone's WhatsApp row
 * another.) */
static void
test_no_template_falls_back(void **state)
{
	struct fake_twilio_msg m;
	char                   phone[16], vid[37], code[16], to[32], sql[400];
	char                  *v;

	(void) state;
	smskit_phone(phone);
	wa_to(phone, to);
	free(smskit_q1("CREATE FUNCTION test_channels_fr() RETURNS trigger LANGUAGE plpgsql AS $$"
	               " BEGIN NEW.locale := 'fr'; RETURN NEW; END $$",
	    NULL, NULL));
	(void) snprintf(sql, sizeof sql,
	    "CREATE TRIGGER test_channels_fr BEFORE INSERT ON sms_outbox FOR EACH ROW"
	    " WHEN (NEW.phone_e164 = '%s' AND NEW.channel = 'whatsapp')"
	    " EXECUTE FUNCTION test_channels_fr()",
	    phone);
	free(smskit_q1(sql, NULL, NULL));

	smskit_signup_channel(phone, WHATSAPP, vid);
	wait_row(vid, "whatsapp", "failed", 10000);
	expect_row(vid, "whatsapp",
	    "locale || '/' || coalesce(error_code, 0) || '/' || (twilio_sid IS NULL)", "fr/0/true");
	v = row_col(vid, "whatsapp", "error_message");
	assert_non_null(strstr(v, "no WhatsApp template"));
	free(v);
	assert_int_equal(smskit_qlong("SELECT count(*) FROM audit_events WHERE event = 'sms_failed'"
	                              " AND verification_id = $1::uuid"
	                              " AND detail->>'reason' LIKE 'no WhatsApp template%'",
	                     vid, NULL),
	    1);
	assert_int_equal(fake_twilio_count_to(smskit_fake(), to), 0);
	wait_row(vid, "sms", "sent", 10000);
	assert_true(fake_twilio_last_to(smskit_fake(), phone, &m));
	code_of_sms(m.body, code);
	fake_twilio_msg_free(&m);
	assert_int_equal(smskit_verify(vid, code), PHONEAUTH__V1__CODE__OK);
	free(smskit_q1("DROP TRIGGER test_channels_fr ON sms_outbox", NULL, NULL));
	free(smskit_q1("DROP FUNCTION test_channels_fr()", NULL, NULL));
}

/* ResendCode for vid on its last channel. */
static void
resend(const char *vid)
{
	struct pa_client_opts            o = { .url = smskit_rpc_url(), .timeout_ms = 10000 };
	struct pa_client                *c;
	Phoneauth__V1__ResendCodeRequest req = PHONEAUTH__V1__RESEND_CODE_REQUEST__INIT;
	struct pa_reply                  r;

	req.verification_id = (char *) vid;
	assert_int_equal(pa_client_open(&c, &o), PA_OK);
	assert_int_equal(pa_client_call(c, "/phoneauth.v1.Auth/ResendCode", &req.base,
	                     &phoneauth__v1__resend_code_response__descriptor, NULL, &r),
	    PA_OK);
	if (r.code != PHONEAUTH__V1__CODE__OK)
		fail_msg("ResendCode: %s %s", pa_code_name(r.code), r.message);
	pa_reply_clear(&r);
	pa_client_close(c);
}

/* A held SMS that will never be needed ends on the sweep, unsent: 'cancelled' once a resend
 * replaced its code (a late failure of the old WhatsApp message then queues nothing), 'expired'
 * once its code ran out. */
static void
test_held_ends_unsent(void **state)
{
	struct fake_twilio_msg m;
	char                   phone[16], vid[37], code[16], old_sid[40], to[32];
	char                  *old_held, *v;

	(void) state;
	smskit_phone(phone);
	wa_to(phone, to);
	whatsapp_sent(phone, vid, &m, code);
	(void) snprintf(old_sid, sizeof old_sid, "%s", m.sid);
	fake_twilio_msg_free(&m);
	old_held = row_col(vid, "sms", "id::text");
	assert_non_null(old_held);

	harness_sleep_ms(1100); /* the resend cooldown */
	resend(vid);
	assert_true(smskit_wait_q(
	    "SELECT state FROM sms_outbox WHERE id = $1::bigint", old_held, "cancelled", 5000));
	assert_int_equal(smskit_qlong("SELECT count(*) FROM audit_events WHERE event = "
	                              "'sms_cancelled' AND verification_id = $1::uuid"
	                              " AND detail->>'reason' = 'replaced'",
	                     vid, NULL),
	    1);
	/* The resend's pair: WhatsApp sent, its SMS held. */
	assert_true(smskit_wait_q("SELECT string_agg(channel || '/' || state, ',' ORDER BY id)"
	                          " FROM (SELECT * FROM sms_outbox WHERE verification_id = $1::uuid"
	                          "  ORDER BY id DESC LIMIT 2) x",
	    vid, "whatsapp/sent,sms/held", 10000));
	assert_int_equal(fake_twilio_count_to(smskit_fake(), to), 2);
	assert_int_equal(
	    fake_twilio_callback(smskit_fake(), old_sid, "undelivered", 63024, NULL, 1), 200);
	harness_sleep_ms(1500);
	v = smskit_q1("SELECT state FROM sms_outbox WHERE id = $1::bigint", old_held, NULL);
	assert_string_equal(v, "cancelled");
	free(v);
	assert_int_equal(sms_to(phone), 0);

	/* The new held row's code runs out: expired by the sweep, never sent. */
	free(smskit_q1("UPDATE sms_outbox SET not_after = now() WHERE verification_id = $1::uuid"
	               " AND state = 'held' RETURNING id::text",
	    vid, NULL));
	assert_true(smskit_wait_q("SELECT count(*) FROM sms_outbox WHERE verification_id ="
	                          " $1::uuid AND channel = 'sms' AND state = 'expired'"
	                          " AND twilio_sid IS NULL",
	    vid, "1", 5000));
	assert_true(metric_reaches("phoneauth_sms_fallbacks_total{outcome=\"expired\"}", 1));
	assert_int_equal(sms_to(phone), 0);
	free(old_held);
}

/* Admin GetUser: the user's channel, and how many SEND entries of its timeline went on each
 * channel (with a message SID). */
static void
admin_user(const char *user_id, char channel[16], int *wa_sends, int *sms_sends)
{
	struct pa_client_opts o
	    = { .url = smskit_admin_url(), .timeout_ms = 10000, .admin_token = SMSKIT_ADMIN_TOKEN };
	struct pa_client               *c;
	Phoneauth__V1__GetUserRequest   req = PHONEAUTH__V1__GET_USER_REQUEST__INIT;
	Phoneauth__V1__GetUserResponse *resp;
	struct pa_reply                 r;

	req.user = (char *) user_id;
	assert_int_equal(pa_client_open(&c, &o), PA_OK);
	assert_int_equal(pa_client_call(c, "/phoneauth.v1.Admin/GetUser", &req.base,
	                     &phoneauth__v1__get_user_response__descriptor, NULL, &r),
	    PA_OK);
	assert_int_equal(r.code, PHONEAUTH__V1__CODE__OK);
	resp = (Phoneauth__V1__GetUserResponse *) r.body;
	assert_non_null(resp->user);
	(void) snprintf(channel, 16, "%s", resp->user->channel);
	*wa_sends = *sms_sends = 0;
	for (size_t i = 0; i < resp->n_timeline; i++) {
		const Phoneauth__V1__TimelineEntry *t = resp->timeline[i];

		if (t->kind != PHONEAUTH__V1__TIMELINE_ENTRY__KIND__SEND
		    || t->message_sid[0] == '\0')
			continue;
		if (strcmp(t->channel, "whatsapp") == 0)
			(*wa_sends)++;
		else if (strcmp(t->channel, "sms") == 0)
			(*sms_sends)++;
	}
	pa_reply_clear(&r);
	pa_client_close(c);
}

/* Admin ListMessages for one SID. */
static Phoneauth__V1__Message *
admin_message(struct pa_client *c, const char *sid, struct pa_reply *r)
{
	Phoneauth__V1__ListMessagesRequest   req = PHONEAUTH__V1__LIST_MESSAGES_REQUEST__INIT;
	Phoneauth__V1__ListMessagesResponse *resp;

	req.message_sid = (char *) sid;
	assert_int_equal(pa_client_call(c, "/phoneauth.v1.Admin/ListMessages", &req.base,
	                     &phoneauth__v1__list_messages_response__descriptor, NULL, r),
	    PA_OK);
	assert_int_equal(r->code, PHONEAUTH__V1__CODE__OK);
	resp = (Phoneauth__V1__ListMessagesResponse *) r->body;
	assert_int_equal(resp->n_messages, 1);
	return resp->messages[0];
}

/* (d) The Admin views show each message's channel, and the fallback the message it stood in
 * for. */
static void
test_admin_shows_channels(void **state)
{
	struct pa_client_opts o
	    = { .url = smskit_admin_url(), .timeout_ms = 10000, .admin_token = SMSKIT_ADMIN_TOKEN };
	struct pa_client       *c;
	struct pa_reply         r;
	struct fake_twilio_msg  m;
	Phoneauth__V1__Message *msg;
	char                    phone[16], vid[37], code[16], wa_sid[40], sms_sid[40];
	char                    user_id[40], channel[16];
	int                     wa_sends, sms_sends;
	char                   *wa_id;

	(void) state;
	smskit_phone(phone);
	whatsapp_sent(phone, vid, &m, code);
	(void) snprintf(wa_sid, sizeof wa_sid, "%s", m.sid);
	fake_twilio_msg_free(&m);
	assert_int_equal(
	    fake_twilio_callback(smskit_fake(), wa_sid, "failed", 63003, NULL, 1), 200);
	wait_row(vid, "sms", "sent", 10000);
	assert_true(fake_twilio_last_to(smskit_fake(), phone, &m));
	(void) snprintf(sms_sid, sizeof sms_sid, "%s", m.sid);
	code_of_sms(m.body, code);
	fake_twilio_msg_free(&m);
	wa_id = row_col(vid, "whatsapp", "id::text");

	assert_int_equal(pa_client_open(&c, &o), PA_OK);
	msg = admin_message(c, wa_sid, &r);
	assert_string_equal(msg->channel, "whatsapp");
	assert_string_equal(msg->kind, "message");
	assert_string_equal(msg->state, "failed");
	assert_int_equal(msg->error_code, 63003);
	assert_string_equal(msg->encoding, "");
	assert_int_equal(msg->fallback_for, 0);
	pa_reply_clear(&r);
	msg = admin_message(c, sms_sid, &r);
	assert_string_equal(msg->channel, "sms");
	assert_string_equal(msg->state, "sent");
	assert_int_equal(msg->fallback_for, strtoull(wa_id, NULL, 10));
	/* Its encoding and segments, as auth measured the body it sealed. */
	assert_string_equal(msg->encoding, "GSM-7");
	assert_int_equal(msg->segments, 1);
	assert_string_equal(msg->locale, "en");
	pa_reply_clear(&r);
	pa_client_close(c);
	free(wa_id);

	/* GetUser: the account's code went out on WhatsApp first, then by SMS, which carried the
	 * code that verified the phone; the timeline shows both sends with their channels. */
	smskit_create_account(vid, code, "Feathers#Wax2026", user_id);
	admin_user(user_id, channel, &wa_sends, &sms_sends);
	assert_string_equal(channel, "sms");
	assert_int_equal(wa_sends, 1);
	assert_int_equal(sms_sends, 1);
}

/* True when some line of out holds all of a, b and c. */
static bool
line_with(const char *out, const char *a, const char *b, const char *c)
{
	for (const char *l = out; l != NULL && *l != '\0';) {
		const char *end = strchr(l, '\n');
		size_t      n   = end != NULL ? (size_t) (end - l) : strlen(l);
		char        buf[512];

		(void) snprintf(buf, sizeof buf, "%.*s", (int) n, l);
		if (strstr(buf, a) != NULL && strstr(buf, b) != NULL && strstr(buf, c) != NULL)
			return true;
		l = end != NULL ? end + 1 : NULL;
	}
	return false;
}

/* The CLI (the operator's tool, as issue 16 asks): `signup --channel whatsapp` sends on
 * WhatsApp and says so, `messages` and `user` show each send's channel, and a channel the
 * service does not know is refused before any call. */
static void
test_cli_channels(void **state)
{
	static char  out[65536];
	const char  *env[] = { "PHONEAUTH_ADMIN_TOKEN=" SMSKIT_ADMIN_TOKEN, NULL };
	char         phone[16], rpc[96], admin[96], line[128];
	json_object *j, *v;

	(void) state;
	(void) snprintf(rpc, sizeof rpc, "%s", smskit_rpc_url());
	(void) snprintf(admin, sizeof admin, "%s", smskit_admin_url());
	smskit_phone(phone);
	{
		const char *argv[] = { PHONEAUTH_CLI_BIN, "--url", rpc, "--json", "signup", phone,
			"--channel", "whatsapp", NULL };

		assert_int_equal(harness_run(argv, env, out, sizeof out), 0);
	}
	j = json_tokener_parse(out);
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "channel", &v));
	assert_string_equal(json_object_get_string(v), "whatsapp");
	json_object_put(j);
	assert_true(smskit_wait_fake_count(fake_twilio_count(smskit_fake()), 5000));
	{
		const char *argv[] = { PHONEAUTH_CLI_BIN, "--admin-url", admin, "messages", NULL };

		assert_int_equal(harness_run(argv, env, out, sizeof out), 0);
	}
	/* This phone's two rows: the WhatsApp message, and the SMS held for it with its encoding
	 * and segments. */
	(void) snprintf(line, sizeof line, "+1******%s", phone + strlen(phone) - 4);
	assert_true(line_with(out, line, "whatsapp", "message"));
	assert_true(line_with(out, line, "sms", "held  ") && line_with(out, line, "GSM-7", "1"));
	{
		const char *argv[] = { PHONEAUTH_CLI_BIN, "--url", rpc, "signup", phone,
			"--channel", "carrier-pigeon", NULL };

		assert_int_equal(harness_run(argv, env, out, sizeof out), 2);
		assert_non_null(strstr(out, "--channel"));
	}
}

/* No log line holds a phone, a token or a code's template variables. */
static void
test_logs_clean(void **state)
{
	const struct smskit_worker *w[1] = { &worker };
	char                       *log  = smskit_worker_log(&worker);

	(void) state;
	smskit_check_logs(w, 1);
	assert_non_null(log);
	assert_null(strstr(log, "{\"1\""));
	assert_null(strstr(log, "whatsapp:+"));
	assert_non_null(strstr(log, "event=sms_fallback"));
	assert_non_null(strstr(log, "reason=\"no WhatsApp template"));
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whatsapp_signup),
		cmocka_unit_test(test_fallback_on_send_error),
		cmocka_unit_test(test_fallback_on_undelivered),
		cmocka_unit_test(test_delivered_cancels_fallback),
		cmocka_unit_test(test_admin_shows_channels),
		cmocka_unit_test(test_held_ends_unsent),
		cmocka_unit_test(test_no_template_falls_back),
		cmocka_unit_test(test_cli_channels),
		cmocka_unit_test(test_logs_clean),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
