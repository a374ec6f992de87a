/* test_verify_backend.c: PHONEAUTH_CODE_BACKEND=verify end to end, with the real auth service, a
 * phoneauth-sms-worker holding a Verify service, PostgreSQL and the fake Twilio's Verify half: a
 * signup's code is made and sent by Verify (the Verifications POST's fields, no MAC, no sealed
 * body, the VE SID where a message SID goes) and checked through the worker's sealed check
 * socket; wrong codes, our tries stopping a guesser before Twilio's, Verify's errors, no answer
 * in time, and a rogue REP peer that can neither read a code nor forge an approval.
 *
 * Built twice: test_verify_backend_nonenum (VB_NONENUM=1) runs it all with
 * PHONEAUTH_NON_ENUMERATING=true, where every answer but an approval must read as a wrong code,
 * as it does for a stand-in verification that never reaches Twilio (the review of issue 16:
 * Twilio's 60202, 60410 and timeouts told a real account from an unknown one). */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "common/metrics.h"
#include "common/rpc_client.h"
#include "common/vcheck.h"
#include "phoneauth/v1/auth.pb-c.h"
#include "smskit.h"

#define VA_SID "VA0000000000000000000000000000abcd"
#define CHECK_TOKEN "verify-check-token-for-tests-only-0123456789"
#define TRIES 3 /* ours per code; Twilio's are 5 */
#ifndef VB_NONENUM
#define VB_NONENUM 0
#endif

static struct smskit_worker worker;
static bool                 worker_up;
static char                 check_url[64], env_check_url[96], env_vbase[96];
static struct pa_client    *client;
static char                 codes_seen[32][16]; /* every code, to look for in the logs */
static int                  ncodes;

static const char *const auth_env[] = { "PHONEAUTH_CODE_BACKEND=verify", env_check_url,
	"PHONEAUTH_VERIFY_CHECK_TOKEN=" CHECK_TOKEN, "PHONEAUTH_VERIFY_CHECK_TIMEOUT=2s",
	"PHONEAUTH_TRIES_PER_CODE=3", "PHONEAUTH_LOGIN_SECOND_FACTOR=always",
	VB_NONENUM ? "PHONEAUTH_NON_ENUMERATING=true" : NULL, NULL };

static int
start_worker(void)
{
	const char *const env[] = { "TWILIO_VERIFY_SERVICE_SID=" VA_SID, env_vbase, env_check_url,
		"PHONEAUTH_VERIFY_CHECK_TOKEN=" CHECK_TOKEN, NULL };

	worker_up = smskit_start_worker(&worker, "smsw_verify", env) == 0;
	/* Its check socket dials auth in the background. */
	harness_sleep_ms(500);
	return worker_up ? 0 : -1;
}

static int
group_setup(void **state)
{
	struct pa_client_opts co = { .timeout_ms = 10000 };

	(void) state;
	(void) snprintf(check_url, sizeof check_url, "tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(
	    env_check_url, sizeof env_check_url, "PHONEAUTH_VERIFY_CHECK_URL=%s", check_url);
	smskit_configure(auth_env, VA_SID);
	if (smskit_setup(VB_NONENUM ? "t_verify_backend_ne" : "t_verify_backend") != 0)
		return -1;
	(void) snprintf(env_vbase, sizeof env_vbase, "TWILIO_VERIFY_BASE=%s",
	    fake_twilio_verify_base(smskit_fake()));
	co.url = smskit_rpc_url();
	if (pa_client_open(&client, &co) != PA_OK)
		return -1;
	return start_worker();
}

static int
group_teardown(void **state)
{
	(void) state;
	pa_client_close(client);
	if (worker_up)
		(void) harness_stop(&worker.proc, SIGTERM, 10000, NULL);
	return smskit_teardown();
}

struct answer {
	int      code, reason;
	bool     has_left;
	uint32_t left;
	bool     token;
	long     ms;
};

static struct answer
verify(const char *vid, const char *code)
{
	Phoneauth__V1__VerifyCodeRequest req = PHONEAUTH__V1__VERIFY_CODE_REQUEST__INIT;
	struct pa_reply                  r;
	struct answer                    a  = { .code = -1 };
	uint64_t                         t0 = pa_now_ns();

	req.verification_id = (char *) vid;
	req.code            = (char *) code;
	if (pa_client_call(client, "/phoneauth.v1.Auth/VerifyCode", &req.base,
	        &phoneauth__v1__verify_code_response__descriptor, NULL, &r)
	    != PA_OK)
		return a;
	a.ms       = (long) ((pa_now_ns() - t0) / 1000000u);
	a.code     = (int) r.code;
	a.reason   = (int) r.reason;
	a.has_left = r.has_attempts_left;
	a.left     = r.attempts_left;
	if (r.body != NULL) {
		Phoneauth__V1__VerifyCodeResponse *b = (Phoneauth__V1__VerifyCodeResponse *) r.body;

		a.token = b->signup_token != NULL && b->signup_token[0] != '\0';
	}
	pa_reply_clear(&r);
	return a;
}

/* A check that Twilio refused (want: what an enumerating profile answers); a non-enumerating
 * profile answers a wrong code from its own counts, as for a stand-in. */
static void
expect_refused(const struct answer *a, int code, int reason)
{
	assert_false(a->token);
	if (VB_NONENUM) {
		assert_int_equal(a->code, PHONEAUTH__V1__CODE__INVALID_ARGUMENT);
		assert_int_equal(a->reason, PHONEAUTH__V1__REASON__CODE_INVALID);
		assert_true(a->has_left);
		return;
	}
	assert_int_equal(a->code, code);
	assert_int_equal(a->reason, reason);
}

/* Signs phone up and waits until Verify sent it a code; copies the code. */
static void
signup_sent(const char *phone, char vid[37], char code[16])
{
	smskit_signup(phone, vid);
	assert_true(smskit_wait_q("SELECT state FROM sms_outbox WHERE verification_id = $1::uuid"
	                          " ORDER BY id DESC LIMIT 1",
	    vid, "sent", 10000));
	assert_true(fake_twilio_verify_code(smskit_fake(), phone, code));
	if (ncodes < 32)
		(void) snprintf(codes_seen[ncodes++], 16, "%s", code);
}

/* A code of the same length that is not code. */
static void
wrong_of(const char *code, char out[16])
{
	(void) snprintf(out, 16, "%s", code);
	out[0] = out[0] == '9' ? '0' : (char) (out[0] + 1);
}

static void
test_signup_end_to_end(void **state)
{
	struct fake_verify_info info;
	char                    phone[16], vid[37], code[16];
	char                   *s;
	struct answer           a;

	(void) state;
	smskit_phone(phone);
	signup_sent(phone, vid, code);
	assert_true(fake_twilio_verify_last(smskit_fake(), phone, &info));
	assert_string_equal(info.service_sid, VA_SID);
	assert_string_equal(info.channel, "sms");
	assert_null(info.locale); /* "en": Verify picks by the number's country */
	assert_int_equal(info.sends, 1);
	/* No code here: no MAC, no sealed body; the VE SID where a message SID goes. */
	s = smskit_q1("SELECT backend || ',' || (code_mac IS NULL)::text FROM verifications"
	              " WHERE id = $1::uuid",
	    vid, NULL);
	assert_string_equal(s, "verify,true");
	free(s);
	s = smskit_q1("SELECT kind || ',' || (body_sealed IS NULL)::text || ',' || twilio_sid"
	              " FROM sms_outbox WHERE verification_id = $1::uuid",
	    vid, NULL);
	{
		char want[96];

		(void) snprintf(want, sizeof want, "verify,true,%s", info.sid);
		assert_string_equal(s, want);
	}
	free(s);

	a = verify(vid, code);
	assert_int_equal(a.code, PHONEAUTH__V1__CODE__OK);
	assert_true(a.token);
	assert_true(fake_twilio_verify_last(smskit_fake(), phone, &info));
	assert_string_equal(info.status, "approved");
	/* What the admin views read: the verification's message SID is the VE SID. */
	s = smskit_q1(
	    "SELECT state || ',' || message_sid FROM verifications WHERE id = $1::uuid", vid, NULL);
	{
		char want[96];

		(void) snprintf(want, sizeof want, "verified,%s", info.sid);
		assert_string_equal(s, want);
	}
	free(s);
	/* Used: the same code again is a wrong one (Twilio has no pending verification). */
	a = verify(vid, code);
	assert_int_equal(a.code, PHONEAUTH__V1__CODE__INVALID_ARGUMENT);
	assert_int_equal(a.reason, PHONEAUTH__V1__REASON__CODE_INVALID);
}

static void
test_wrong_then_right(void **state)
{
	char          phone[16], vid[37], code[16], wrong[16];
	struct answer a;

	(void) state;
	smskit_phone(phone);
	signup_sent(phone, vid, code);
	wrong_of(code, wrong);
	a = verify(vid, wrong);
	assert_int_equal(a.code, PHONEAUTH__V1__CODE__INVALID_ARGUMENT);
	assert_int_equal(a.reason, PHONEAUTH__V1__REASON__CODE_INVALID);
	assert_true(a.has_left);
	assert_int_equal(a.left, TRIES - 1);
	a = verify(vid, code);
	assert_int_equal(a.code, PHONEAUTH__V1__CODE__OK);
	assert_true(
	    smskit_qlong("SELECT count(*) FROM audit_events WHERE verification_id = $1::uuid"
	                 " AND event = 'code_checked' AND outcome = 'wrong'",
	        vid, NULL)
	    == 1);
}

/* Our tries per code stop a guesser before Twilio's five: the fake sees TRIES checks, then we
 * refuse without asking it, even the right code. */
static void
test_our_limit_first(void **state)
{
	struct fake_verify_info info;
	char                    phone[16], vid[37], code[16], wrong[16];
	struct answer           a;
	int                     checks0;

	(void) state;
	smskit_phone(phone);
	signup_sent(phone, vid, code);
	wrong_of(code, wrong);
	checks0 = fake_twilio_verify_checks(smskit_fake());
	for (int i = 0; i < TRIES; i++) {
		a = verify(vid, wrong);
		assert_int_equal(a.code, PHONEAUTH__V1__CODE__INVALID_ARGUMENT);
		assert_int_equal(a.left, TRIES - 1 - i);
	}
	a = verify(vid, code);
	assert_int_equal(a.code, PHONEAUTH__V1__CODE__RESOURCE_EXHAUSTED);
	assert_int_equal(a.reason, PHONEAUTH__V1__REASON__TOO_MANY_ATTEMPTS);
	assert_int_equal(fake_twilio_verify_checks(smskit_fake()) - checks0, TRIES);
	assert_true(fake_twilio_verify_last(smskit_fake(), phone, &info));
	assert_int_equal(info.wrong_checks, TRIES);
	assert_string_equal(info.status, "pending");
}

static void
test_errors_mapped(void **state)
{
	char          phone[16], vid[37], code[16];
	char         *s;
	struct answer a;

	(void) state;
	/* 60202: Twilio's own tries ran out. */
	smskit_phone(phone);
	signup_sent(phone, vid, code);
	fake_twilio_verify_fail(smskit_fake(), "VerificationCheck", 429, 60202, 1);
	a = verify(vid, code);
	expect_refused(
	    &a, PHONEAUTH__V1__CODE__RESOURCE_EXHAUSTED, PHONEAUTH__V1__REASON__TOO_MANY_ATTEMPTS);
	s = smskit_q1("SELECT state FROM verifications WHERE id = $1::uuid", vid, NULL);
	/* Non-enumerating: only our own tries end it, as they end a stand-in's. */
	assert_string_equal(s, VB_NONENUM ? "pending" : "exhausted");
	free(s);

	/* 60410: Fraud Guard. */
	smskit_phone(phone);
	signup_sent(phone, vid, code);
	fake_twilio_verify_fail(smskit_fake(), "VerificationCheck", 403, 60410, 1);
	a = verify(vid, code);
	expect_refused(
	    &a, PHONEAUTH__V1__CODE__RESOURCE_EXHAUSTED, PHONEAUTH__V1__REASON__DESTINATION_PAUSED);

	/* 60203 on a send: failed for good, not retried. */
	smskit_phone(phone);
	fake_twilio_verify_fail(smskit_fake(), "Verifications", 429, 60203, 1);
	smskit_signup(phone, vid);
	assert_true(smskit_wait_q("SELECT state || ',' || coalesce(error_code, 0) FROM sms_outbox"
	                          " WHERE verification_id = $1::uuid",
	    vid, "failed,60203", 10000));
	assert_int_equal(fake_twilio_verify_sends_to(smskit_fake(), phone), 0);
	assert_true(
	    smskit_qlong("SELECT count(*) FROM audit_events WHERE verification_id = $1::uuid"
	                 " AND event = 'sms_failed'",
	        vid, NULL)
	    == 1);
}

static void
test_unavailable(void **state)
{
	char          phone[16], vid[37], code[16];
	struct answer a;

	(void) state;
	/* Twilio stalls: the worker's POST hangs; auth answers at its timeout (2 s). */
	smskit_phone(phone);
	signup_sent(phone, vid, code);
	fake_twilio_verify_stall(smskit_fake(), true);
	a = verify(vid, code);
	fake_twilio_verify_stall(smskit_fake(), false);
	expect_refused(
	    &a, PHONEAUTH__V1__CODE__UNAVAILABLE, PHONEAUTH__V1__REASON__VERIFY_UNAVAILABLE);
	assert_true(a.ms >= 1500 && a.ms < 4000);

	/* No worker at all. */
	smskit_phone(phone);
	signup_sent(phone, vid, code);
	assert_int_equal(harness_stop(&worker.proc, SIGTERM, 10000, NULL), 0);
	worker_up = false;
	a         = verify(vid, code);
	expect_refused(
	    &a, PHONEAUTH__V1__CODE__UNAVAILABLE, PHONEAUTH__V1__REASON__VERIFY_UNAVAILABLE);
	assert_true(a.ms >= 1500 && a.ms < 4000);
	/* A worker back: the same code works (the try above was counted, one is left). */
	assert_int_equal(start_worker(), 0);
	a = verify(vid, code);
	assert_int_equal(a.code, PHONEAUTH__V1__CODE__OK);
}

struct rogue_call {
	const char   *vid, *code;
	struct answer a;
};

static void *
rogue_call_main(void *arg)
{
	struct rogue_call *c = arg;

	c->a = verify(c->vid, c->code);
	return NULL;
}

/* Receives one check as a rogue REP peer would, answers it with what reply makes of it, and
 * returns what VerifyCode said. */
static struct answer
rogue_round(nng_socket rep, const char *vid, const char *code, int how)
{
	struct rogue_call         c = { .vid = vid, .code = code };
	struct pa_vcheck_keys     other;
	struct pa_vcheck_response ok = { .http_status = 200, .status = "approved" };
	unsigned char             out[PA_VCHECK_REP_WIRE];
	pthread_t                 t;
	nng_msg                  *m;

	assert_int_equal(pthread_create(&t, NULL, rogue_call_main, &c), 0);
	assert_int_equal(nng_recvmsg(rep, &m, 0), 0);
	/* Sealed: the typed code is nowhere in the clear. */
	assert_int_equal(nng_msg_len(m), PA_VCHECK_REQ_WIRE);
	assert_null(memmem(nng_msg_body(m), nng_msg_len(m), code, strlen(code)));
	switch (how) {
	case 0: /* garbage */
		nng_msg_clear(m);
		assert_int_equal(nng_msg_append(m, "approved", 8), 0);
		break;
	case 1: /* an unsealed answer of the right size, echoing the id */
		memset(out, 0, sizeof out);
		memcpy(out, nng_msg_body(m), PA_VCHECK_ID_BYTES);
		(void) snprintf((char *) out + 60, 16, "approved");
		nng_msg_clear(m);
		assert_int_equal(nng_msg_append(m, out, sizeof out), 0);
		break;
	default: /* sealed properly, but under another token */
		assert_int_equal(
		    pa_vcheck_keys_derive(&other, "not-the-token-but-long-enough-0123456789"),
		    PA_OK);
		assert_int_equal(pa_vcheck_seal_response(out, &other, nng_msg_body(m), &ok), PA_OK);
		nng_msg_clear(m);
		assert_int_equal(nng_msg_append(m, out, sizeof out), 0);
		break;
	}
	assert_int_equal(nng_sendmsg(rep, m, 0), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	return c.a;
}

static void
test_rogue_peer(void **state)
{
	char          phone[16], vid[37], code[16], wrong[16];
	nng_socket    rep;
	struct answer a;
	char         *s;

	(void) state;
	smskit_phone(phone);
	signup_sent(phone, vid, code);
	wrong_of(code, wrong);
	/* Only the rogue is connected. */
	assert_int_equal(harness_stop(&worker.proc, SIGTERM, 10000, NULL), 0);
	worker_up = false;
	assert_int_equal(nng_rep0_open(&rep), 0);
	assert_int_equal(nng_socket_set_ms(rep, NNG_OPT_RECVTIMEO, 5000), 0);
	assert_int_equal(nng_dial(rep, check_url, NULL, 0), 0);
	harness_sleep_ms(300);
	for (int how = 0; how < 3; how++) {
		a = rogue_round(rep, vid, how == 2 ? code : wrong, how);
		assert_int_not_equal(a.code, PHONEAUTH__V1__CODE__OK);
		expect_refused(&a, PHONEAUTH__V1__CODE__UNAVAILABLE,
		    PHONEAUTH__V1__REASON__VERIFY_UNAVAILABLE);
	}
	assert_int_equal(nng_close(rep), 0);
	s = smskit_q1("SELECT state || ',' || (token_hash IS NULL)::text FROM verifications"
	              " WHERE id = $1::uuid",
	    vid, NULL);
	assert_string_equal(s, "exhausted,true");
	free(s);
	assert_int_equal(start_worker(), 0);
}

/* One Auth call that must answer want; the body (when OK) stays in *r for the caller. */
static void
call_expect(const char *method, const ProtobufCMessage *req, const ProtobufCMessageDescriptor *d,
    int want, struct pa_reply *r)
{
	char path[64];

	(void) snprintf(path, sizeof path, "/phoneauth.v1.Auth/%s", method);
	assert_int_equal(pa_client_call(client, path, req, d, NULL, r), PA_OK);
	if ((int) r->code != want)
		fail_msg("%s answered %d/%d \"%s\", not %d", method, (int) r->code, (int) r->reason,
		    r->message != NULL ? r->message : "", want);
}

/* The login second factor on the Verify backend (PHONEAUTH_LOGIN_SECOND_FACTOR=always): after
 * the right password the code is Verify's too, a new verification once the signup's was
 * approved, checked through the worker; the session comes only with the right code. */
static void
test_login_second_factor(void **state)
{
	static const char                     pw[] = "Verify-2fa-Pass1!";
	Phoneauth__V1__VerifyCodeRequest      vreq = PHONEAUTH__V1__VERIFY_CODE_REQUEST__INIT;
	Phoneauth__V1__LoginRequest           lreq = PHONEAUTH__V1__LOGIN_REQUEST__INIT;
	Phoneauth__V1__ValidateSessionRequest sreq = PHONEAUTH__V1__VALIDATE_SESSION_REQUEST__INIT;
	Phoneauth__V1__VerifyCodeResponse    *vb;
	Phoneauth__V1__LoginResponse         *lb;
	struct pa_reply                       r;
	char phone[16], vid[37], code[16], user_id[40], lvid[37], lcode[16], wrong[16];
	char session[128];

	(void) state;
	smskit_phone(phone);
	signup_sent(phone, vid, code);
	smskit_create_account(vid, code, pw, user_id);

	/* The right password: a challenge, no session. */
	lreq.login    = phone;
	lreq.password = (char *) pw;
	call_expect("Login", &lreq.base, &phoneauth__v1__login_response__descriptor,
	    PHONEAUTH__V1__CODE__OK, &r);
	lb = (Phoneauth__V1__LoginResponse *) r.body;
	assert_non_null(lb->second_factor);
	assert_true(lb->session_token == NULL || lb->session_token[0] == '\0');
	(void) snprintf(lvid, sizeof lvid, "%s", lb->second_factor->verification_id);
	pa_reply_clear(&r);
	assert_true(smskit_wait_q("SELECT state FROM sms_outbox WHERE verification_id = $1::uuid"
	                          " AND kind = 'verify' ORDER BY id DESC LIMIT 1",
	    lvid, "sent", 10000));
	assert_int_equal(fake_twilio_verify_sends_to(smskit_fake(), phone), 2);
	assert_true(fake_twilio_verify_code(smskit_fake(), phone, lcode));
	if (ncodes < 32)
		(void) snprintf(codes_seen[ncodes++], 16, "%s", lcode);

	/* A wrong code: refused, no session; the right one: the session, checked by Twilio. */
	wrong_of(lcode, wrong);
	vreq.verification_id = lvid;
	vreq.code            = wrong;
	call_expect("VerifyCode", &vreq.base, &phoneauth__v1__verify_code_response__descriptor,
	    PHONEAUTH__V1__CODE__INVALID_ARGUMENT, &r);
	assert_int_equal(r.reason, PHONEAUTH__V1__REASON__CODE_INVALID);
	pa_reply_clear(&r);
	vreq.code            = lcode;
	vreq.remember_device = true;
	call_expect("VerifyCode", &vreq.base, &phoneauth__v1__verify_code_response__descriptor,
	    PHONEAUTH__V1__CODE__OK, &r);
	vb = (Phoneauth__V1__VerifyCodeResponse *) r.body;
	assert_non_null(vb->session_token);
	assert_true(strlen(vb->session_token) >= 20);
	assert_true(vb->device_token != NULL && strlen(vb->device_token) >= 20);
	assert_true(vb->signup_token == NULL || vb->signup_token[0] == '\0');
	(void) snprintf(session, sizeof session, "%s", vb->session_token);
	pa_reply_clear(&r);
	sreq.session_token = session;
	call_expect("ValidateSession", &sreq.base,
	    &phoneauth__v1__validate_session_response__descriptor, PHONEAUTH__V1__CODE__OK, &r);
	pa_reply_clear(&r);
	assert_int_equal(
	    smskit_qlong("SELECT count(*) FROM verifications WHERE id = $1::uuid AND purpose ="
	                 " 'login' AND backend = 'verify' AND state = 'consumed'",
	        lvid, NULL),
	    1);
}

/* No log line holds a code, the check token, a Twilio secret or a phone in full. */
static void
test_logs_clean(void **state)
{
	const struct smskit_worker *ws[] = { &worker };
	char                       *logs[2];

	(void) state;
	smskit_check_logs(ws, 1);
	logs[0] = smskit_worker_log(&worker);
	logs[1] = smskit_auth_log();
	for (int l = 0; l < 2; l++) {
		assert_non_null(logs[l]);
		assert_null(strstr(logs[l], CHECK_TOKEN));
		for (int i = 0; i < ncodes; i++) {
			char pat[32];

			(void) snprintf(pat, sizeof pat, "=%s", codes_seen[i]);
			assert_null(strstr(logs[l], pat));
		}
		free(logs[l]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signup_end_to_end),
		cmocka_unit_test(test_wrong_then_right),
		cmocka_unit_test(test_our_limit_first),
		cmocka_unit_test(test_errors_mapped),
		cmocka_unit_test(test_unavailable),
		cmocka_unit_test(test_rogue_peer),
		cmocka_unit_test(test_login_second_factor),
		cmocka_unit_test(test_logs_clean),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
