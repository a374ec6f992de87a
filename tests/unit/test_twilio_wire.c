/* test_twilio_wire.c: the SMS worker's Twilio code without a network: X-Twilio-Signature against
 * Twilio's published test vectors, form bodies both ways, how answers are classified (sent,
 * failed for good, retried), backoff bounds and the twilio-mode configuration check. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "twilio.h"
#include "twsig.h"

#define VEC_URL "https://mycompany.com/myapp.php?foo=1&bar=2"
/* Twilio's RequestValidator example (twilio-python, twilio-php, twilio-csharp tests). */
#define VEC_BODY                                                                          \
	"CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309" \
	"&To=%2B18005551212"
#define VEC_SIG "RSOYDt4T1cUTdK1PDd93/VVr8B8="
/* The same libraries' vector for repeated keys: each distinct pair once, sorted. */
#define VEC_DUP_BODY "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234"
#define VEC_DUP_SIG "IK+Dwps556ElfBT0I3Rgjkr1wJU="

static void
parse(const char *body, struct smsw_form *f)
{
	assert_int_equal(smsw_form_parse(body, strlen(body), f), PA_OK);
}

static void
test_signature_vectors(void **state)
{
	struct smsw_form f;
	char             sig[29];

	(void) state;
	parse(VEC_BODY, &f);
	assert_int_equal(smsw_twsig_compute("12345", VEC_URL, &f, sig), PA_OK);
	assert_string_equal(sig, VEC_SIG);
	assert_true(smsw_twsig_check("12345", VEC_URL, &f, VEC_SIG));
	smsw_form_free(&f);

	parse(VEC_DUP_BODY, &f);
	assert_int_equal(smsw_twsig_compute("12345", VEC_URL, &f, sig), PA_OK);
	assert_string_equal(sig, VEC_DUP_SIG);
	assert_true(smsw_twsig_check("12345", VEC_URL, &f, VEC_DUP_SIG));
	smsw_form_free(&f);
}

static void
test_signature_refusals(void **state)
{
	struct smsw_form f;
	char             bad[29];

	(void) state;
	parse(VEC_BODY, &f);
	assert_false(smsw_twsig_check("12346", VEC_URL, &f, VEC_SIG)); /* wrong token */
	assert_false(smsw_twsig_check("12345", VEC_URL "&x=1", &f, VEC_SIG)); /* other URL */
	assert_false(smsw_twsig_check("12345", VEC_URL, &f, NULL)); /* no header */
	assert_false(smsw_twsig_check("12345", VEC_URL, &f, ""));
	assert_false(smsw_twsig_check("12345", VEC_URL, &f, "RSOYDt4T1cUTdK1PDd93/VVr8B8"));
	assert_false(smsw_twsig_check("12345", VEC_URL, &f, "RSOYDt4T1cUTdK1PDd93/VVr8B8=="));
	assert_false(smsw_twsig_check("12345", VEC_URL, &f, "!!!!!!!!!!!!!!!!!!!!!!!!!!!="));
	/* One bit off in the last byte. */
	(void) snprintf(bad, sizeof bad, "%s", VEC_SIG);
	bad[26] = bad[26] == 'B' ? 'C' : 'B';
	assert_false(smsw_twsig_check("12345", VEC_URL, &f, bad));
	smsw_form_free(&f);
	/* A changed value, and an added field. */
	parse("CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=9999&From=%2B14158675309"
	      "&To=%2B18005551212",
	    &f);
	assert_false(smsw_twsig_check("12345", VEC_URL, &f, VEC_SIG));
	smsw_form_free(&f);
	parse(VEC_BODY "&MessageStatus=delivered", &f);
	assert_false(smsw_twsig_check("12345", VEC_URL, &f, VEC_SIG));
	smsw_form_free(&f);
	/* Field order on the wire does not matter. */
	parse("To=%2B18005551212&From=%2B14158675309&Digits=1234&Caller=%2B14158675309"
	      "&CallSid=CA1234567890ABCDE",
	    &f);
	assert_true(smsw_twsig_check("12345", VEC_URL, &f, VEC_SIG));
	smsw_form_free(&f);
}

static void
test_signature_port_variant(void **state)
{
	struct smsw_form f;
	char             sig[29];

	(void) state;
	/* Twilio may sign https://host:443/... while we know https://host/...; its helper
	 * libraries accept both, and so do we. */
	parse(VEC_BODY, &f);
	assert_int_equal(
	    smsw_twsig_compute("12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", &f, sig),
	    PA_OK);
	assert_true(smsw_twsig_check("12345", VEC_URL, &f, sig));
	assert_true(smsw_twsig_check(
	    "12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", &f, VEC_SIG));
	assert_false(smsw_twsig_check(
	    "12345", "https://mycompany.com:8443/myapp.php?foo=1&bar=2", &f, VEC_SIG));
	smsw_form_free(&f);
}

static void
test_form_parse(void **state)
{
	struct smsw_form f;
	char             big[4096] = "";

	(void) state;
	parse("A=x+y%2Bz&B=&C&D=%E2%9C%93&&E=a%3Db", &f);
	assert_int_equal(f.n, 5);
	assert_string_equal(smsw_form_get(&f, "A"), "x y+z");
	assert_string_equal(smsw_form_get(&f, "B"), "");
	assert_string_equal(smsw_form_get(&f, "C"), "");
	assert_string_equal(smsw_form_get(&f, "D"), "\xe2\x9c\x93");
	assert_string_equal(smsw_form_get(&f, "E"), "a=b");
	assert_null(smsw_form_get(&f, "F"));
	smsw_form_free(&f);
	parse("", &f);
	assert_int_equal(f.n, 0);
	smsw_form_free(&f);
	/* A NUL inside a value would let two different bodies look alike. */
	assert_int_equal(smsw_form_parse("A=x%00y", 7, &f), PA_EINVAL);
	for (int i = 0; i < 200; i++)
		strcat(big, "k=v&");
	assert_int_equal(smsw_form_parse(big, strlen(big), &f), PA_ELIMIT);
}

static struct smsw_config
config(void)
{
	static char sid[] = "AC0123456789abcdef0123456789abcdef", tok[] = "token";
	static char svc[]  = "MG0123456789abcdef0123456789abcdef";
	static char cb[]   = "https://sms.example.com/twilio/status",
	            base[] = "https://api.twilio.com";

	return (struct smsw_config) { .account_sid = sid,
		.auth_token                        = tok,
		.messaging_service_sid             = svc,
		.status_callback_url               = cb,
		.api_base                          = base,
		.max_attempts                      = 5,
		.lease_s                           = 30,
		.request_timeout_s                 = 15 };
}

static void
test_form_build(void **state)
{
	struct smsw_config c      = config();
	char               body[] = "Fancy Feathers: Your verification code is 1234.\nIt will "
	                            "expire in 5 minutes.";
	struct smsw_job  j = { .phone = "+12015550123", .body = body, .body_len = sizeof body - 1 };
	struct pa_strbuf out = { .secret = true };
	struct smsw_form f;

	(void) state;
	assert_int_equal(smsw_twilio_form(&c, &j, 297, &out), PA_OK);
	assert_string_equal(out.data,
	    "To=%2B12015550123&MessagingServiceSid=MG0123456789abcdef0123456789abcdef"
	    "&Body=Fancy%20Feathers%3A%20Your%20verification%20code%20is%201234.%0AIt%20will%20"
	    "expire%20in%205%20minutes.&StatusCallback=https%3A%2F%2Fsms.example.com%2Ftwilio%2F"
	    "status&ValidityPeriod=297");
	/* What we send reads back as what we meant. */
	parse(out.data, &f);
	assert_string_equal(smsw_form_get(&f, "Body"), body);
	assert_string_equal(smsw_form_get(&f, "To"), "+12015550123");
	smsw_form_free(&f);
	pa_strbuf_free(&out);

	/* From instead of a Messaging Service; no callback; ValidityPeriod within 1..36000. */
	c.messaging_service_sid = NULL;
	c.from                  = (char[]) { "+15005550006" };
	c.status_callback_url   = NULL;
	assert_int_equal(smsw_twilio_form(&c, &j, 0, &out), PA_OK);
	assert_non_null(strstr(out.data, "&From=%2B15005550006&"));
	assert_null(strstr(out.data, "StatusCallback"));
	assert_non_null(strstr(out.data, "&ValidityPeriod=1"));
	pa_strbuf_free(&out);
	assert_int_equal(smsw_twilio_form(&c, &j, 90000, &out), PA_OK);
	assert_non_null(strstr(out.data, "&ValidityPeriod=36000"));
	assert_null(strstr(out.data, "ProvideFeedback"));
	pa_strbuf_free(&out);
}

/* Issue 14, item 5, as twilio_api_v2010.json has them: the Message create's ProvideFeedback
 * (boolean) when PHONEAUTH_TWILIO_FEEDBACK is on, and CreateMessageFeedbackRequest's one field,
 * Outcome (message_feedback_enum_outcome: confirmed or unconfirmed), both
 * application/x-www-form-urlencoded. */
static void
test_feedback_forms(void **state)
{
	struct smsw_config c      = config();
	char               body[] = "code 1234";
	struct smsw_job  j = { .phone = "+12015550123", .body = body, .body_len = sizeof body - 1 };
	struct pa_strbuf out = { .secret = true };
	struct smsw_form f;

	(void) state;
	c.feedback = true;
	assert_int_equal(smsw_twilio_form(&c, &j, 297, &out), PA_OK);
	assert_string_equal(out.data,
	    "To=%2B12015550123&MessagingServiceSid=MG0123456789abcdef0123456789abcdef"
	    "&Body=code%201234&StatusCallback=https%3A%2F%2Fsms.example.com%2Ftwilio%2F"
	    "status&ValidityPeriod=297&ProvideFeedback=true");
	parse(out.data, &f);
	assert_string_equal(smsw_form_get(&f, "ProvideFeedback"), "true");
	smsw_form_free(&f);
	pa_strbuf_free(&out);

	assert_int_equal(smsw_twilio_feedback_form(&out), PA_OK);
	assert_string_equal(out.data, "Outcome=confirmed");
	pa_strbuf_free(&out);
}

static void
test_feedback_classify(void **state)
{
	struct smsw_config c = config();
	struct smsw_result r;
	const char ok[] = "{\"account_sid\":\"AC0123456789abcdef0123456789abcdef\",\"message_sid\":"
	                  "\"SM0123456789abcdef0123456789abcdef\",\"outcome\":\"confirmed\"}";
	const char e500[] = "{\"code\":20500,\"message\":\"Internal Server Error\",\"status\":500}";
	const char e404[] = "{\"code\":20404,\"message\":\"not found\",\"status\":404}";

	(void) state;
	smsw_twilio_feedback_classify(&c, 200, ok, strlen(ok), NULL, 1, &r);
	assert_int_equal(r.outcome, SMSW_SENT);
	assert_string_equal(r.status, "confirmed");
	smsw_twilio_feedback_classify(&c, 201, NULL, 0, NULL, 1, &r);
	assert_int_equal(r.outcome, SMSW_SENT);
	smsw_twilio_feedback_classify(&c, 500, e500, strlen(e500), NULL, 2, &r);
	assert_int_equal(r.outcome, SMSW_RETRY);
	assert_int_equal(r.error_code, 20500);
	assert_in_range(r.retry_after_ms, 500, 1000);
	smsw_twilio_feedback_classify(&c, 429, NULL, 0, "7", 1, &r);
	assert_int_equal(r.outcome, SMSW_RETRY);
	assert_int_equal(r.retry_after_ms, 7000);
	smsw_twilio_feedback_classify(&c, 0, NULL, 0, NULL, 1, &r); /* no answer */
	assert_int_equal(r.outcome, SMSW_RETRY);
	/* A 4xx says the same next time; so does a 5xx past PHONEAUTH_SEND_ATTEMPTS. */
	smsw_twilio_feedback_classify(&c, 404, e404, strlen(e404), NULL, 1, &r);
	assert_int_equal(r.outcome, SMSW_FAILED);
	assert_int_equal(r.error_code, 20404);
	smsw_twilio_feedback_classify(&c, 400, NULL, 0, NULL, 1, &r);
	assert_int_equal(r.outcome, SMSW_FAILED);
	assert_string_equal(r.error_message, "HTTP 400");
	smsw_twilio_feedback_classify(&c, 503, NULL, 0, NULL, 5, &r);
	assert_int_equal(r.outcome, SMSW_FAILED);
}

static const char created[]
    = "{\"account_sid\":\"AC0123456789abcdef0123456789abcdef\",\"api_version\":\"2010-04-01\","
      "\"body\":\"x\",\"error_code\":null,\"error_message\":null,\"num_segments\":\"1\","
      "\"sid\":\"SM0123456789abcdef0123456789abcdef\",\"status\":\"accepted\","
      "\"to\":\"+12015550123\"}";

static void
classify(long http, const char *body, const char *retry_after, int attempts, struct smsw_result *r)
{
	struct smsw_config c = config();

	smsw_twilio_classify(&c, http, body, body ? strlen(body) : 0, retry_after, attempts, r);
}

static void
test_classify(void **state)
{
	struct smsw_result r;

	(void) state;
	classify(201, created, NULL, 1, &r);
	assert_int_equal(r.outcome, SMSW_SENT);
	assert_string_equal(r.sid, "SM0123456789abcdef0123456789abcdef");
	assert_string_equal(r.status, "accepted");

	/* A 2xx we cannot tie to a message is not sent again (it may have gone out). */
	classify(201, "{\"status\":\"queued\"}", NULL, 1, &r);
	assert_int_equal(r.outcome, SMSW_FAILED);
	classify(200, "not json", NULL, 1, &r);
	assert_int_equal(r.outcome, SMSW_FAILED);

	classify(
	    429, "{\"code\":20429,\"message\":\"Too Many Requests\",\"status\":429}", " 3", 1, &r);
	assert_int_equal(r.outcome, SMSW_RETRY);
	assert_int_equal(r.retry_after_ms, 3000);
	assert_int_equal(r.error_code, 20429);
	classify(429, NULL, "Wed, 21 Oct 2026 07:28:00 GMT", 1, &r); /* a date: our backoff */
	assert_int_equal(r.outcome, SMSW_RETRY);
	assert_in_range(r.retry_after_ms, 250, 500);
	classify(500, "{\"code\":20500,\"message\":\"Internal Server Error\",\"status\":500}", NULL,
	    2, &r);
	assert_int_equal(r.outcome, SMSW_RETRY);
	assert_in_range(r.retry_after_ms, 500, 1000);
	classify(0, NULL, NULL, 1, &r); /* timeout, refused connection */
	assert_int_equal(r.outcome, SMSW_RETRY);
	classify(401, "{\"code\":20003,\"message\":\"Authenticate\",\"status\":401}", NULL, 1, &r);
	assert_int_equal(r.outcome, SMSW_RETRY);

	const int permanent[] = { 21211, 21408, 21610, 21614 };
	for (size_t i = 0; i < sizeof permanent / sizeof permanent[0]; i++) {
		char body[200];

		(void) snprintf(body, sizeof body,
		    "{\"code\":%d,\"message\":\"m\",\"more_info\":\"https://www.twilio.com/docs/"
		    "errors/%d\",\"status\":400}",
		    permanent[i], permanent[i]);
		classify(400, body, NULL, 1, &r);
		assert_int_equal(r.outcome, SMSW_FAILED);
		assert_int_equal(r.error_code, permanent[i]);
		assert_string_equal(r.error_message, "m");
		assert_true(smsw_twilio_permanent(permanent[i]));
	}
	assert_false(smsw_twilio_permanent(20429));
	assert_false(smsw_twilio_permanent(30003));

	/* The last allowed try that fails gives up. */
	classify(500, NULL, NULL, 5, &r);
	assert_int_equal(r.outcome, SMSW_FAILED);
	assert_non_null(strstr(r.error_message, "gave up after 5 attempts"));
}

#define HX_EN "HX0123456789abcdef0123456789abcdef"
#define HX_ES "HXfedcba9876543210fedcba9876543210"
#define HX_ID "HX00000000000000000000000000000001"
#define HX_PT_BR "HX00000000000000000000000000000002"

/* Issue 16: a WhatsApp row as twilio_api_v2010.json's Message create takes a template: To and
 * From "whatsapp:"-prefixed (or the Messaging Service), ContentSid and ContentVariables, no
 * Body; StatusCallback, ValidityPeriod and ProvideFeedback as on SMS. */
static void
test_whatsapp_form(void **state)
{
	struct smsw_config c      = config();
	char               body[] = "{\"1\":\"123456\"}";
	struct smsw_job    j      = { .phone = "+6281234567890",
		        .channel             = "whatsapp",
		        .kind                = "message",
		        .locale              = "id",
		        .body                = body,
		        .body_len            = sizeof body - 1 };
	struct pa_strbuf   out    = { .secret = true };
	struct smsw_form   f;

	(void) state;
	c.whatsapp_content_sid = (char[]) { HX_EN };
	c.whatsapp_from        = (char[]) { "+14155238886" };
	c.feedback             = true;
	assert_null(smsw_twilio_unsendable(&c, &j));
	assert_int_equal(smsw_twilio_form(&c, &j, 297, &out), PA_OK);
	assert_string_equal(out.data,
	    "To=whatsapp%3A%2B6281234567890&From=whatsapp%3A%2B14155238886"
	    "&ContentSid=" HX_EN "&ContentVariables=%7B%221%22%3A%22123456%22%7D"
	    "&StatusCallback=https%3A%2F%2Fsms.example.com%2Ftwilio%2Fstatus&ValidityPeriod=297"
	    "&ProvideFeedback=true");
	parse(out.data, &f);
	assert_string_equal(smsw_form_get(&f, "ContentVariables"), body);
	assert_null(smsw_form_get(&f, "Body"));
	assert_null(smsw_form_get(&f, "MessagingServiceSid"));
	smsw_form_free(&f);
	pa_strbuf_free(&out);

	/* A From already "whatsapp:" stays as it is; without one the Messaging Service carries
	 * the WhatsApp sender and From is left out, as for SMS. */
	c.whatsapp_from = (char[]) { "whatsapp:+14155238886" };
	assert_int_equal(smsw_twilio_form(&c, &j, 30, &out), PA_OK);
	assert_non_null(strstr(out.data, "&From=whatsapp%3A%2B14155238886&"));
	pa_strbuf_free(&out);
	c.whatsapp_from = NULL;
	assert_int_equal(smsw_twilio_form(&c, &j, 30, &out), PA_OK);
	assert_non_null(
	    strstr(out.data, "&MessagingServiceSid=MG0123456789abcdef0123456789abcdef&"));
	assert_null(strstr(out.data, "From="));
	pa_strbuf_free(&out);

	/* The template by language: the whole tag, its language, then the default. */
	c.whatsapp_content_sids = (char[]) { "es=" HX_ES ",id=" HX_ID ",pt-BR=" HX_PT_BR };
	assert_int_equal(smsw_twilio_form(&c, &j, 30, &out), PA_OK);
	assert_non_null(strstr(out.data, "&ContentSid=" HX_ID "&"));
	pa_strbuf_free(&out);
	{
		char sid[35];

		assert_true(smsw_config_content_sid(&c, "es-MX", sid));
		assert_string_equal(sid, HX_ES);
		assert_true(smsw_config_content_sid(&c, "pt-br", sid));
		assert_string_equal(sid, HX_PT_BR);
		assert_true(smsw_config_content_sid(&c, "pt", sid)); /* pt-BR is not pt */
		assert_string_equal(sid, HX_EN);
		assert_true(smsw_config_content_sid(&c, "e", sid));
		assert_string_equal(sid, HX_EN);
		c.whatsapp_content_sid = NULL;
		assert_false(smsw_config_content_sid(&c, "en", sid));
		assert_true(smsw_config_content_sid(&c, "ES", sid));
		assert_string_equal(sid, HX_ES);
	}

	/* No template for the row's language, or no sender: not sendable, with a reason, and no
	 * form. */
	(void) snprintf(j.locale, sizeof j.locale, "fr");
	assert_non_null(strstr(smsw_twilio_unsendable(&c, &j), "no WhatsApp template"));
	assert_int_equal(smsw_twilio_form(&c, &j, 30, &out), PA_ENOTFOUND);
	pa_strbuf_free(&out);
	(void) snprintf(j.locale, sizeof j.locale, "es");
	c.messaging_service_sid = NULL;
	assert_non_null(strstr(smsw_twilio_unsendable(&c, &j), "no WhatsApp sender"));
	/* SMS rows are always sendable here (their sender is checked at start). */
	(void) snprintf(j.channel, sizeof j.channel, "sms");
	assert_null(smsw_twilio_unsendable(&c, &j));
}

/* WhatsApp's 63xxx errors: final, so the held SMS goes while the code is young, but for the
 * rate limits and internal errors, which are retried whatever the HTTP status. */
static void
test_whatsapp_errors(void **state)
{
	struct smsw_result r;
	const int permanent[] = { 63001, 63003, 63013, 63014, 63015, 63016, 63024, 63027, 63028,
		63032, 63040, 63112 };
	const int retried[]   = { 63009, 63010, 63012, 63017, 63018 };

	(void) state;
	for (size_t i = 0; i < sizeof permanent / sizeof permanent[0]; i++) {
		char body[200];

		(void) snprintf(body, sizeof body,
		    "{\"code\":%d,\"message\":\"m\",\"more_info\":\"https://www.twilio.com/docs/"
		    "errors/%d\",\"status\":400}",
		    permanent[i], permanent[i]);
		assert_true(smsw_twilio_permanent(permanent[i]));
		classify(400, body, NULL, 1, &r);
		assert_int_equal(r.outcome, SMSW_FAILED);
		assert_int_equal(r.error_code, permanent[i]);
	}
	for (size_t i = 0; i < sizeof retried / sizeof retried[0]; i++) {
		char body[200];

		(void) snprintf(body, sizeof body, "{\"code\":%d,\"message\":\"m\",\"status\":400}",
		    retried[i]);
		assert_false(smsw_twilio_permanent(retried[i]));
		classify(400, body, NULL, 1, &r);
		assert_int_equal(r.outcome, SMSW_RETRY);
		assert_int_equal(r.error_code, retried[i]);
		classify(429, body, "2", 1, &r);
		assert_int_equal(r.outcome, SMSW_RETRY);
		assert_int_equal(r.retry_after_ms, 2000);
		/* ... until the tries run out. */
		classify(400, body, NULL, 5, &r);
		assert_int_equal(r.outcome, SMSW_FAILED);
	}
	/* SMS delivery errors (30xxx) and other ranges are unchanged. */
	assert_false(smsw_twilio_permanent(30003));
	assert_false(smsw_twilio_permanent(62999));
	assert_false(smsw_twilio_permanent(64000));
}

static void
test_backoff(void **state)
{
	(void) state;
	for (int i = 0; i < 200; i++) {
		assert_in_range(smsw_backoff_ms(1), 250, 500);
		assert_in_range(smsw_backoff_ms(2), 500, 1000);
		assert_in_range(smsw_backoff_ms(4), 2000, 4000);
		assert_in_range(smsw_backoff_ms(10), 15000, 30000);
		assert_in_range(smsw_backoff_ms(60), 15000, 30000);
	}
}

static void
test_parse_message(void **state)
{
	char status[24];
	int  code = -1;

	(void) state;
	assert_int_equal(smsw_twilio_parse_message(created, strlen(created), status, &code), PA_OK);
	assert_string_equal(status, "accepted");
	assert_int_equal(code, 0);
	assert_int_equal(
	    smsw_twilio_parse_message(
	        "{\"status\":\"undelivered\",\"error_code\":30003}", 44, status, &code),
	    PA_OK);
	assert_string_equal(status, "undelivered");
	assert_int_equal(code, 30003);
	assert_int_equal(smsw_twilio_parse_message("[1]", 3, status, &code), PA_EINVAL);
	assert_int_equal(smsw_twilio_parse_message("{}", 2, status, &code), PA_EINVAL);
	/* Only a status word is taken: it is logged and stored. */
	assert_int_equal(
	    smsw_twilio_parse_message("{\"status\":\"\"}", 13, status, &code), PA_EINVAL);
	assert_int_equal(
	    smsw_twilio_parse_message("{\"status\":\"sent level=x\"}", 25, status, &code),
	    PA_EINVAL);
	assert_true(smsw_status_word_ok("partially_delivered"));
	assert_false(smsw_status_word_ok("Delivered"));
	assert_false(smsw_status_word_ok("abcdefghijklmnopqrstuvwx"));
}

static void
test_config_check(void **state)
{
	struct smsw_config c = config();
	char               err[600];

	(void) state;
	assert_int_equal(smsw_config_check_twilio(&c, err, sizeof err), PA_OK);
	c = (struct smsw_config) { .api_base = c.api_base, .lease_s = 30, .request_timeout_s = 15 };
	assert_int_equal(smsw_config_check_twilio(&c, err, sizeof err), PA_EINVAL);
	/* One line naming every missing variable. */
	assert_null(strchr(err, '\n'));
	assert_non_null(strstr(err, "TWILIO_ACCOUNT_SID"));
	assert_non_null(strstr(err, "TWILIO_AUTH_TOKEN"));
	assert_non_null(strstr(err, "TWILIO_MESSAGING_SERVICE_SID"));
	assert_non_null(strstr(err, "PHONEAUTH_SMS_BACKEND=console"));

	c         = config();
	c.api_key = (char[]) { "SK0123456789abcdef0123456789abcdef" };
	assert_int_equal(smsw_config_check_twilio(&c, err, sizeof err), PA_EINVAL);
	assert_non_null(strstr(err, "TWILIO_API_SECRET"));
	c.api_secret = (char[]) { "secret" };
	assert_int_equal(smsw_config_check_twilio(&c, err, sizeof err), PA_OK);
	c.account_sid = (char[]) { "AC123" };
	assert_int_equal(smsw_config_check_twilio(&c, err, sizeof err), PA_EINVAL);
	assert_non_null(strstr(err, "malformed TWILIO_ACCOUNT_SID"));
	c                   = config();
	c.request_timeout_s = 30;
	assert_int_equal(smsw_config_check_twilio(&c, err, sizeof err), PA_EINVAL);
	assert_non_null(strstr(err, "PHONEAUTH_TWILIO_TIMEOUT"));

	/* WhatsApp's settings are optional, but checked when set. */
	c                       = config();
	c.whatsapp_from         = (char[]) { "whatsapp:+14155238886" };
	c.whatsapp_content_sid  = (char[]) { HX_EN };
	c.whatsapp_content_sids = (char[]) { "es=" HX_ES ",zh-Hant-TW=" HX_ID };
	assert_int_equal(smsw_config_check_twilio(&c, err, sizeof err), PA_OK);
	c.whatsapp_from = (char[]) { "+14155238886" };
	assert_int_equal(smsw_config_check_twilio(&c, err, sizeof err), PA_OK);
	const char *bad_from[] = { "whatsapp:14155238886", "sms:+14155238886", "+0123", "+1" };
	for (size_t i = 0; i < sizeof bad_from / sizeof bad_from[0]; i++) {
		c.whatsapp_from = (char *) bad_from[i];
		assert_int_equal(smsw_config_check_twilio(&c, err, sizeof err), PA_EINVAL);
		assert_non_null(strstr(err, "TWILIO_WHATSAPP_FROM"));
	}
	c.whatsapp_from        = NULL;
	c.whatsapp_content_sid = (char[]) { "MG0123456789abcdef0123456789abcdef" };
	assert_int_equal(smsw_config_check_twilio(&c, err, sizeof err), PA_EINVAL);
	assert_non_null(strstr(err, "TWILIO_WHATSAPP_CONTENT_SID("));
	c.whatsapp_content_sid = NULL;
	const char *bad_sids[] = { "es", "es=", "es=HX123", "=" HX_ES, "es=" HX_ES ",",
		"es=" HX_ES ";id=" HX_ID, "e=" HX_ES, "es-=" HX_ES, "es-abcdefghi=" HX_ES };
	for (size_t i = 0; i < sizeof bad_sids / sizeof bad_sids[0]; i++) {
		c.whatsapp_content_sids = (char *) bad_sids[i];
		if (smsw_config_check_twilio(&c, err, sizeof err) != PA_EINVAL)
			fail_msg("TWILIO_WHATSAPP_CONTENT_SIDS=%s was taken", bad_sids[i]);
		assert_non_null(strstr(err, "TWILIO_WHATSAPP_CONTENT_SIDS"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_vectors),
		cmocka_unit_test(test_signature_refusals),
		cmocka_unit_test(test_signature_port_variant),
		cmocka_unit_test(test_form_parse),
		cmocka_unit_test(test_form_build),
		cmocka_unit_test(test_feedback_forms),
		cmocka_unit_test(test_feedback_classify),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_whatsapp_form),
		cmocka_unit_test(test_whatsapp_errors),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_parse_message),
		cmocka_unit_test(test_config_check),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
