/* test_verify_wire.c: Twilio Verify without a network: the Verifications and VerificationCheck
 * forms (valid against twilio_verify_v2.json's fields), how send answers are classified (VE SID
 * sent; 60200, 60203, 60212, 60410 failed for good; 429 and 5xx retried), what a check's answer
 * reads as, the Locale we send, and the sealed check messages: a round trip both ways, and
 * refusals of a tampered box, a wrong key, a wrong request id, a request passed off as an answer,
 * a wrong size and malformed fields. */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/vcheck.h"
#include "verify.h"

#define VE "VE0123456789abcdef0123456789abcdef"
#define TOKEN "a-check-token-of-more-than-32-characters"

static const struct smsw_config cfg = { .max_attempts = 3 };

static void
test_start_form(void **state)
{
	struct smsw_job  j   = { .phone = "+14155550100", .channel = "sms", .locale = "en" };
	struct pa_strbuf out = { 0 };

	(void) state;
	assert_int_equal(smsw_verify_start_form(&j, &out), PA_OK);
	assert_string_equal(out.data, "To=%2B14155550100&Channel=sms");
	pa_strbuf_free(&out);
	(void) snprintf(j.channel, sizeof j.channel, "whatsapp");
	(void) snprintf(j.locale, sizeof j.locale, "es-MX");
	assert_int_equal(smsw_verify_start_form(&j, &out), PA_OK);
	assert_string_equal(out.data, "To=%2B14155550100&Channel=whatsapp&Locale=es");
	pa_strbuf_free(&out);
}

static void
test_locale(void **state)
{
	char buf[16];

	(void) state;
	assert_null(smsw_verify_locale("en", buf));
	assert_null(smsw_verify_locale("en-US", buf));
	assert_null(smsw_verify_locale("", buf));
	assert_null(smsw_verify_locale(NULL, buf));
	assert_string_equal(smsw_verify_locale("id-ID", buf), "id");
	assert_string_equal(smsw_verify_locale("es", buf), "es");
	assert_string_equal(smsw_verify_locale("pt-br", buf), "pt-BR");
	assert_string_equal(smsw_verify_locale("en-GB", buf), "en-GB");
	assert_null(smsw_verify_locale("x", buf));
	assert_null(smsw_verify_locale("abcdefghijk", buf));
}

static void
test_check_form(void **state)
{
	struct pa_vcheck_request r   = { .to = "+14155550100", .code = "123456" };
	struct pa_strbuf         out = { .secret = true };

	(void) state;
	assert_int_equal(smsw_verify_check_form(&r, &out), PA_OK);
	assert_string_equal(out.data, "To=%2B14155550100&Code=123456");
	pa_strbuf_free(&out);
	(void) snprintf(r.sid, sizeof r.sid, VE);
	assert_int_equal(smsw_verify_check_form(&r, &out), PA_OK);
	assert_string_equal(out.data, "VerificationSid=" VE "&Code=123456");
	pa_strbuf_free(&out);
}

static void
classify(long http, const char *body, int attempts, struct smsw_result *r)
{
	smsw_verify_classify(&cfg, http, body, body != NULL ? strlen(body) : 0, NULL, attempts, r);
}

static void
test_classify(void **state)
{
	struct smsw_result r;
	static const int   permanent[] = { 60200, 60203, 60212, 60410 };
	char               body[128];

	(void) state;
	classify(201, "{\"sid\":\"" VE "\",\"status\":\"pending\",\"channel\":\"sms\"}", 1, &r);
	assert_int_equal(r.outcome, SMSW_SENT);
	assert_string_equal(r.sid, VE);
	assert_string_equal(r.status, "pending");
	/* Yes to what? Not sent again (a second code), failed. */
	classify(201, "{\"sid\":\"SM0123456789abcdef0123456789abcdef\"}", 1, &r);
	assert_int_equal(r.outcome, SMSW_FAILED);
	for (size_t i = 0; i < sizeof permanent / sizeof permanent[0]; i++) {
		(void) snprintf(body, sizeof body, "{\"code\":%d,\"message\":\"no\",\"status\":%d}",
		    permanent[i], permanent[i] == 60410 ? 403 : 429);
		classify(permanent[i] == 60410 ? 403 : 429, body, 1, &r);
		assert_int_equal(r.outcome, SMSW_FAILED);
		assert_int_equal(r.error_code, permanent[i]);
	}
	classify(429, "{\"code\":20429,\"message\":\"Too Many Requests\"}", 1, &r);
	assert_int_equal(r.outcome, SMSW_RETRY);
	assert_true(r.retry_after_ms > 0);
	classify(503, NULL, 1, &r);
	assert_int_equal(r.outcome, SMSW_RETRY);
	classify(0, NULL, 1, &r);
	assert_int_equal(r.outcome, SMSW_RETRY);
	classify(0, NULL, 3, &r); /* max_attempts */
	assert_int_equal(r.outcome, SMSW_FAILED);
	classify(404, "{\"code\":20404}", 1, &r);
	assert_int_equal(r.outcome, SMSW_FAILED);
}

static void
test_check_answer(void **state)
{
	struct pa_vcheck_response out;
	const char *ok = "{\"sid\":\"" VE "\",\"status\":\"approved\",\"valid\":true}";

	(void) state;
	smsw_verify_check_answer(200, ok, strlen(ok), &out);
	assert_int_equal(out.http_status, 200);
	assert_string_equal(out.status, "approved");
	assert_string_equal(out.sid, VE);
	assert_int_equal(out.error_code, 0);
	smsw_verify_check_answer(404, "{\"code\":20404}", 14, &out);
	assert_int_equal(out.http_status, 404);
	assert_int_equal(out.error_code, 20404);
	assert_string_equal(out.status, "");
	/* What is not Twilio's shape is left empty. */
	smsw_verify_check_answer(200, "{\"sid\":\"x\",\"status\":\"Approved!\"}", 33, &out);
	assert_string_equal(out.status, "");
	assert_string_equal(out.sid, "");
	smsw_verify_check_answer(0, NULL, 0, &out);
	assert_int_equal(out.http_status, 0);
}

static void
test_seal_round_trip(void **state)
{
	struct pa_vcheck_keys     k;
	struct pa_vcheck_request  r = { .to = "+14155550100", .code = "123456" }, got;
	struct pa_vcheck_response a = { .http_status = 200, .status = "approved", .sid = VE }, ga;
	unsigned char             id[PA_VCHECK_ID_BYTES], gid[PA_VCHECK_ID_BYTES];
	unsigned char             w[PA_VCHECK_REQ_WIRE], wa[PA_VCHECK_REP_WIRE];

	(void) state;
	assert_int_equal(pa_vcheck_keys_derive(&k, TOKEN), PA_OK);
	pa_vcheck_new_id(id);
	assert_int_equal(pa_vcheck_seal_request(w, &k, id, &r), PA_OK);
	/* Nothing of the request in the clear. */
	assert_null(memmem(w, sizeof w, "123456", 6));
	assert_null(memmem(w, sizeof w, "4155550100", 10));
	assert_int_equal(pa_vcheck_open_request(&got, gid, &k, w, sizeof w), PA_OK);
	assert_memory_equal(gid, id, sizeof id);
	assert_string_equal(got.to, r.to);
	assert_string_equal(got.code, r.code);
	assert_string_equal(got.sid, "");
	assert_int_equal(pa_vcheck_seal_response(wa, &k, id, &a), PA_OK);
	assert_int_equal(pa_vcheck_open_response(&ga, &k, id, wa, sizeof wa), PA_OK);
	assert_int_equal(ga.http_status, 200);
	assert_string_equal(ga.status, "approved");
	assert_string_equal(ga.sid, VE);
	pa_vcheck_keys_wipe(&k);
}

static void
test_seal_refusals(void **state)
{
	struct pa_vcheck_keys     k, other;
	struct pa_vcheck_request  r = { .to = "+14155550100", .code = "123456" }, got;
	struct pa_vcheck_response a = { .http_status = 200, .status = "approved" }, ga;
	unsigned char id[PA_VCHECK_ID_BYTES], id2[PA_VCHECK_ID_BYTES], gid[PA_VCHECK_ID_BYTES];
	unsigned char w[PA_VCHECK_REQ_WIRE], wa[PA_VCHECK_REP_WIRE], t[PA_VCHECK_REP_WIRE];

	(void) state;
	assert_int_equal(pa_vcheck_keys_derive(&k, "short"), PA_EINVAL);
	assert_int_equal(pa_vcheck_keys_derive(&k, NULL), PA_EINVAL);
	assert_int_equal(pa_vcheck_keys_derive(&k, TOKEN), PA_OK);
	assert_int_equal(pa_vcheck_keys_derive(&other, TOKEN "x"), PA_OK);
	pa_vcheck_new_id(id);
	pa_vcheck_new_id(id2);
	assert_int_equal(pa_vcheck_seal_request(w, &k, id, &r), PA_OK);
	assert_int_equal(pa_vcheck_seal_response(wa, &k, id, &a), PA_OK);
	/* A wrong key, either way. */
	assert_int_equal(pa_vcheck_open_request(&got, gid, &other, w, sizeof w), PA_EPROTO);
	assert_int_equal(pa_vcheck_open_response(&ga, &other, id, wa, sizeof wa), PA_EPROTO);
	/* Another request's id: an old approval replayed. */
	assert_int_equal(pa_vcheck_open_response(&ga, &k, id2, wa, sizeof wa), PA_EPROTO);
	/* Every byte flipped in turn. */
	for (size_t i = 0; i < sizeof wa; i++) {
		memcpy(t, wa, sizeof t);
		t[i] ^= 0x01;
		assert_int_equal(pa_vcheck_open_response(&ga, &k, id, t, sizeof t), PA_EPROTO);
	}
	/* The clear id swapped for another: the box still names the first. */
	memcpy(t, wa, sizeof t);
	memcpy(t, id2, sizeof id2);
	assert_int_equal(pa_vcheck_open_response(&ga, &k, id2, t, sizeof t), PA_EPROTO);
	/* A request is never an answer (one key per direction), and sizes are exact. */
	assert_int_equal(pa_vcheck_open_response(&ga, &k, id, w, sizeof w), PA_EPROTO);
	assert_int_equal(pa_vcheck_open_request(&got, gid, &k, wa, sizeof wa), PA_EPROTO);
	assert_int_equal(pa_vcheck_open_request(&got, gid, &k, w, sizeof w - 1), PA_EPROTO);
	assert_int_equal(pa_vcheck_open_request(&got, gid, &k, NULL, 0), PA_EPROTO);
	/* Malformed fields are not sealed. */
	(void) snprintf(r.code, sizeof r.code, "12a456");
	assert_int_equal(pa_vcheck_seal_request(w, &k, id, &r), PA_EINVAL);
	(void) snprintf(r.code, sizeof r.code, "123");
	assert_int_equal(pa_vcheck_seal_request(w, &k, id, &r), PA_EINVAL);
	(void) snprintf(r.code, sizeof r.code, "123456");
	(void) snprintf(r.to, sizeof r.to, "14155550100");
	assert_int_equal(pa_vcheck_seal_request(w, &k, id, &r), PA_EINVAL);
	r.to[0] = '\0';
	assert_int_equal(pa_vcheck_seal_request(w, &k, id, &r), PA_EINVAL); /* neither To nor SID */
	(void) snprintf(r.sid, sizeof r.sid, "SM0123456789abcdef0123456789abcdef");
	assert_int_equal(pa_vcheck_seal_request(w, &k, id, &r), PA_EINVAL);
	(void) snprintf(a.status, sizeof a.status, "Approved");
	assert_int_equal(pa_vcheck_seal_response(wa, &k, id, &a), PA_EINVAL);
	pa_vcheck_keys_wipe(&k);
	pa_vcheck_keys_wipe(&other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_form),
		cmocka_unit_test(test_locale),
		cmocka_unit_test(test_check_form),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_check_answer),
		cmocka_unit_test(test_seal_round_trip),
		cmocka_unit_test(test_seal_refusals),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
