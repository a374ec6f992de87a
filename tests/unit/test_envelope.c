/* test_envelope.c: the RPC envelopes round-trip, and garbage does not decode into a request. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/rpc_client.h"
#include "phoneauth/v1/auth.pb-c.h"

static void
test_request_roundtrip(void **state)
{
	Phoneauth__V1__StartSignupRequest  req  = PHONEAUTH__V1__START_SIGNUP_REQUEST__INIT;
	Phoneauth__V1__CallerMetadata      meta = PHONEAUTH__V1__CALLER_METADATA__INIT;
	Phoneauth__V1__RequestEnvelope     env  = PHONEAUTH__V1__REQUEST_ENVELOPE__INIT;
	Phoneauth__V1__RequestEnvelope    *back;
	Phoneauth__V1__StartSignupRequest *inner;
	uint8_t                            payload[256], buf[512];
	size_t                             plen, len;

	req.subscription_id  = "sub_1";
	req.phone            = "+12015550123";
	plen                 = phoneauth__v1__start_signup_request__pack(&req, payload);
	meta.end_user_ip     = "203.0.113.9";
	env.method           = "/phoneauth.v1.Auth/StartSignup";
	env.request_id       = "r-1";
	env.deadline_unix_ms = 1234567890123;
	env.caller           = &meta;
	env.payload.data     = payload;
	env.payload.len      = plen;
	len                  = phoneauth__v1__request_envelope__pack(&env, buf);

	back = phoneauth__v1__request_envelope__unpack(NULL, len, buf);
	assert_non_null(back);
	assert_string_equal(back->method, "/phoneauth.v1.Auth/StartSignup");
	assert_int_equal(back->deadline_unix_ms, 1234567890123);
	assert_string_equal(back->caller->end_user_ip, "203.0.113.9");
	inner = phoneauth__v1__start_signup_request__unpack(
	    NULL, back->payload.len, back->payload.data);
	assert_non_null(inner);
	assert_string_equal(inner->phone, "+12015550123");
	phoneauth__v1__start_signup_request__free_unpacked(inner, NULL);
	phoneauth__v1__request_envelope__free_unpacked(back, NULL);
}

static void
test_response_attempts_presence(void **state)
{
	Phoneauth__V1__ResponseEnvelope  env  = PHONEAUTH__V1__RESPONSE_ENVELOPE__INIT;
	Phoneauth__V1__Count             zero = PHONEAUTH__V1__COUNT__INIT;
	Phoneauth__V1__ResponseEnvelope *back;
	uint8_t                          buf[256];
	size_t                           len;

	/* Zero attempts left must survive the trip as "present, 0", not as "absent". */
	env.code          = PHONEAUTH__V1__CODE__RESOURCE_EXHAUSTED;
	env.reason        = PHONEAUTH__V1__REASON__TOO_MANY_ATTEMPTS;
	env.message       = "Maximum OTP attempts reached. Try again later.";
	env.retry_after_s = 600;
	env.attempts_left = &zero;
	len               = phoneauth__v1__response_envelope__pack(&env, buf);
	back              = phoneauth__v1__response_envelope__unpack(NULL, len, buf);
	assert_non_null(back);
	assert_non_null(back->attempts_left);
	assert_int_equal(back->attempts_left->value, 0);
	assert_int_equal(back->retry_after_s, 600);
	assert_int_equal(back->code, PHONEAUTH__V1__CODE__RESOURCE_EXHAUSTED);
	phoneauth__v1__response_envelope__free_unpacked(back, NULL);

	env.attempts_left = NULL;
	len               = phoneauth__v1__response_envelope__pack(&env, buf);
	back              = phoneauth__v1__response_envelope__unpack(NULL, len, buf);
	assert_null(back->attempts_left);
	phoneauth__v1__response_envelope__free_unpacked(back, NULL);
}

static void
test_garbage(void **state)
{
	uint8_t junk[4096];
	int     decoded = 0;

	/* Random bytes almost never form a valid message; whatever does decode must be freeable. */
	srand(42);
	for (int round = 0; round < 500; round++) {
		size_t                          len = (size_t) (rand() % (int) sizeof junk);
		Phoneauth__V1__RequestEnvelope *e;

		for (size_t i = 0; i < len; i++)
			junk[i] = (uint8_t) rand();
		if ((e = phoneauth__v1__request_envelope__unpack(NULL, len, junk)) != NULL) {
			decoded++;
			phoneauth__v1__request_envelope__free_unpacked(e, NULL);
		}
	}
	assert_true(decoded < 50);
	/* A truncated valid envelope does not decode. */
	{
		Phoneauth__V1__RequestEnvelope env = PHONEAUTH__V1__REQUEST_ENVELOPE__INIT;
		uint8_t                        buf[128];
		size_t                         len;

		env.method = "/phoneauth.v1.Auth/Health";
		len        = phoneauth__v1__request_envelope__pack(&env, buf);
		assert_null(phoneauth__v1__request_envelope__unpack(NULL, len - 3, buf));
	}
}

static void
test_names(void **state)
{
	assert_string_equal(
	    pa_code_name(PHONEAUTH__V1__CODE__INVALID_ARGUMENT), "INVALID_ARGUMENT");
	assert_string_equal(pa_code_name(PHONEAUTH__V1__CODE__UNAUTHENTICATED), "UNAUTHENTICATED");
	assert_string_equal(pa_code_name((pa_code) 99), "UNKNOWN");
	assert_string_equal(pa_reason_name(PHONEAUTH__V1__REASON__BAD_PAYLOAD), "BAD_PAYLOAD");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_roundtrip),
		cmocka_unit_test(test_response_attempts_presence),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
