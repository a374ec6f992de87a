/* test_fake_twilio.c: the fake Twilio answers like Twilio (auth, form checks, JSON shapes), fails
 * and stalls when told to, and signs its status callbacks the way Twilio documents. */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "common/http.h"
#include "common/strbuf.h"
#include "fake_twilio.h"
#include "harness.h"

#define ACCT "AC0123456789abcdef0123456789abcdef"
#define TOKEN "test-auth-token-0123456789abcdef"
#define KEY "SKfedcba9876543210fedcba9876543210"
#define SECRET "test-api-secret"
#define MSS "MG00112233445566778899aabbccddeeff"
#define TO "+15551230001"
#define FROM "+15005550006"
#define TO_ENC "%2B15551230001"
#define FROM_ENC "%2B15005550006"
#define GOOD_FORM "To=" TO_ENC "&From=" FROM_ENC "&Body=Your+code+is+123456"
#define WA_TO "whatsapp:+6281234567890"
#define WA_FROM "whatsapp:+14155238886"
#define WA_TO_ENC "whatsapp%3A%2B6281234567890"
#define WA_FROM_ENC "whatsapp%3A%2B14155238886"
#define HX "HX0123456789abcdef0123456789abcdef"
#define WA_FORM "To=" WA_TO_ENC "&From=" WA_FROM_ENC "&Body=Your+code+is+123456"
#define VA "VA00112233445566778899aabbccddeeff"
#define VA_OTHER "VAffeeddccbbaa99887766554433221100"
#define V_SEND "To=" TO_ENC "&Channel=sms"

/* ---- a tiny StatusCallback receiver ---------------------------------------------------------- */

#define RX_MAX 8

struct rx_hit {
	char *body;
	char *sig; /* NULL: no X-Twilio-Signature */
};

static struct {
	pthread_mutex_t mtx;
	struct rx_hit   hits[RX_MAX];
	int             n;
} rx = { .mtx = PTHREAD_MUTEX_INITIALIZER };

static void
rx_handler(void *state, const struct pa_http_request *req, struct pa_http_response *res, void *arg)
{
	const char *sig = pa_http_header(req, "X-Twilio-Signature");

	pthread_mutex_lock(&rx.mtx);
	if (rx.n < RX_MAX) {
		struct rx_hit *h = &rx.hits[rx.n++];

		h->body = strndup(req->body != NULL ? req->body : "", req->body_len);
		h->sig  = sig != NULL ? strdup(sig) : NULL;
	}
	pthread_mutex_unlock(&rx.mtx);
	pa_strbuf_printf(&res->body, "ok\n");
}

static void
rx_reset(void)
{
	pthread_mutex_lock(&rx.mtx);
	for (int i = 0; i < rx.n; i++) {
		free(rx.hits[i].body);
		free(rx.hits[i].sig);
	}
	rx.n = 0;
	pthread_mutex_unlock(&rx.mtx);
}

static int
rx_count(void)
{
	int n;

	pthread_mutex_lock(&rx.mtx);
	n = rx.n;
	pthread_mutex_unlock(&rx.mtx);
	return n;
}

/* ---- fixtures -------------------------------------------------------------------------------- */

struct fx {
	struct fake_twilio *f;
	char                listen[64];
	char                base[128]; /* .../Accounts/ACCT */
	char                rx_url[128]; /* the receiver's StatusCallback URL */
	struct pa_http     *rx_http;
};

static struct fx fx;

static int
start_fake_ttl(int auto_callback_ms, int verify_ttl_s)
{
	struct fake_twilio_opts o    = { .listen = fx.listen,
		   .account_sid                  = ACCT,
		   .auth_token                   = TOKEN,
		   .api_key                      = KEY,
		   .api_secret                   = SECRET,
		   .auto_callback_ms             = auto_callback_ms,
		   .verify_service_sid           = VA,
		   .verify_ttl_s                 = verify_ttl_s };
	int                     port = harness_free_port();

	if (port <= 0)
		return -1;
	(void) snprintf(fx.listen, sizeof fx.listen, "127.0.0.1:%d", port);
	if (fake_twilio_start(&fx.f, &o) != 0)
		return -1;
	(void) snprintf(
	    fx.base, sizeof fx.base, "%s/2010-04-01/Accounts/" ACCT, fake_twilio_base(fx.f));
	return 0;
}

static int
start_fake(int auto_callback_ms)
{
	return start_fake_ttl(auto_callback_ms, 0);
}

static int
group_setup(void **state)
{
	char addr[64];
	int  port = harness_free_port();

	if (port <= 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	(void) snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	(void) snprintf(fx.rx_url, sizeof fx.rx_url, "http://%s/twilio/status", addr);
	if (pa_http_new(&fx.rx_http, addr, NULL) != PA_OK)
		return -1;
	if (pa_http_route(fx.rx_http, "POST", "/twilio/status", rx_handler, NULL, false) != PA_OK
	    || pa_http_start(fx.rx_http) != PA_OK) {
		pa_http_free(fx.rx_http);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	pa_http_free(fx.rx_http);
	rx_reset();
	curl_global_cleanup();
	return 0;
}

static int
setup(void **state)
{
	rx_reset();
	return start_fake(0);
}

static int
setup_auto(void **state)
{
	rx_reset();
	return start_fake(50);
}

/* Verifications that expire after a second. */
static int
setup_ttl(void **state)
{
	rx_reset();
	return start_fake_ttl(0, 1);
}

static int
teardown(void **state)
{
	fake_twilio_stop(fx.f);
	fx.f = NULL;
	return 0;
}

/* ---- an HTTP client -------------------------------------------------------------------------- */

struct reply {
	long             status;
	struct pa_strbuf body;
	char             retry_after[32];
	json_object     *json;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	pa_strbuf_append(arg, p, size * n);
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r   = arg;
	size_t        len = size * n;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		size_t i = 12, j = 0;

		while (i < len && p[i] == ' ')
			i++;
		while (i < len && p[i] != '\r' && p[i] != '\n' && j + 1 < sizeof r->retry_after)
			r->retry_after[j++] = p[i++];
		r->retry_after[j] = '\0';
	}
	return len;
}

/* method GET or POST (form != NULL); user NULL sends no Authorization. */
static void
request(struct reply *r, const char *url, const char *user, const char *pass, const char *ctype,
    const char *form)
{
	CURL              *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char               hdr[128];

	*r = (struct reply) { 0 };
	assert_non_null(c);
	if (form != NULL) {
		(void) snprintf(hdr, sizeof hdr, "Content-Type: %s", ctype);
		assert_non_null(h = curl_slist_append(h, hdr));
		assert_int_equal(curl_easy_setopt(c, CURLOPT_POSTFIELDS, form), CURLE_OK);
	}
	if (user != NULL) {
		assert_int_equal(curl_easy_setopt(c, CURLOPT_USERNAME, user), CURLE_OK);
		assert_int_equal(curl_easy_setopt(c, CURLOPT_PASSWORD, pass), CURLE_OK);
	}
	assert_int_equal(curl_easy_setopt(c, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_HTTPHEADER, h), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_HEADERDATA, r), CURLE_OK);
	if (curl_easy_perform(c) == CURLE_OK)
		assert_int_equal(
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status), CURLE_OK);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	pa_strbuf_append(&r->body, "", 1); /* NUL-terminate for json-c */
	assert_false(r->body.oom);
	r->json = json_tokener_parse(r->body.data);
}

static void
post(struct reply *r, const char *form)
{
	char url[256];

	(void) snprintf(url, sizeof url, "%s/Messages.json", fx.base);
	request(r, url, ACCT, TOKEN, "application/x-www-form-urlencoded", form);
}

static void
get_sid(struct reply *r, const char *sid)
{
	char url[256];

	(void) snprintf(url, sizeof url, "%s/Messages/%s.json", fx.base, sid);
	request(r, url, ACCT, TOKEN, NULL, NULL);
}

static void
reply_free(struct reply *r)
{
	json_object_put(r->json);
	pa_strbuf_free(&r->body);
}

/* The string member key of the reply, or NULL (absent or JSON null). */
static const char *
jstr(const struct reply *r, const char *key)
{
	json_object *v;

	if (r->json == NULL || !json_object_object_get_ex(r->json, key, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

static int
jint(const struct reply *r, const char *key)
{
	json_object *v;

	assert_non_null(r->json);
	assert_true(json_object_object_get_ex(r->json, key, &v));
	return json_object_get_int(v);
}

/* A Twilio error document: status, code, more_info, a message. */
static void
assert_twilio_error(const struct reply *r, long status, int code)
{
	char info[80];

	assert_int_equal(r->status, status);
	assert_non_null(r->json);
	assert_int_equal(jint(r, "code"), code);
	assert_int_equal(jint(r, "status"), status);
	(void) snprintf(info, sizeof info, "https://www.twilio.com/docs/errors/%d", code);
	assert_string_equal(jstr(r, "more_info"), info);
	assert_non_null(jstr(r, "message"));
}

static bool
is_json_null(const struct reply *r, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(r->json, key, &v) && v == NULL;
}

static void
wait_until(bool (*cond)(void), int timeout_ms)
{
	for (int waited = 0; !cond() && waited < timeout_ms; waited += 10)
		harness_sleep_ms(10);
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void
test_signature_vectors(void **state)
{
	/* Twilio's published examples (security docs and its helper libraries' tests). */
	const char *url  = "https://mycompany.com/myapp.php?foo=1&bar=2";
	const char *k1[] = { "CallSid", "Caller", "Digits", "From", "To" };
	const char *v1[]
	    = { "CA1234567890ABCDE", "+14158675309", "1234", "+14158675309", "+18005551212" };
	const char *k2[] = { "Sid", "SidAccount", "Digits", "Digits", "Digits" };
	const char *v2[] = { "CA123", "AC123", "5678", "1234", "1234" };
	char        sig[29];

	fake_twilio_sign("12345", url, k1, v1, 5, sig);
	assert_string_equal(sig, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
	/* Sorted by key then value; the repeated Digits=1234 counts once. */
	fake_twilio_sign("12345", url, k2, v2, 5, sig);
	assert_string_equal(sig, "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
}

static void
test_post_accepted(void **state)
{
	struct reply           r;
	struct fake_twilio_msg m;
	const char            *sid, *created;
	json_object           *sr, *media;
	char                   want[256];

	post(&r, GOOD_FORM "&ValidityPeriod=600&Unknown=ignored");
	assert_int_equal(r.status, 201);
	assert_non_null(r.json);
	sid = jstr(&r, "sid");
	assert_non_null(sid);
	assert_int_equal(strlen(sid), 34);
	assert_memory_equal(sid, "SM", 2);
	for (int i = 2; i < 34; i++)
		assert_non_null(strchr("0123456789abcdef", sid[i]));
	assert_string_equal(jstr(&r, "account_sid"), ACCT);
	assert_string_equal(jstr(&r, "api_version"), "2010-04-01");
	assert_string_equal(jstr(&r, "body"), "Your code is 123456");
	assert_string_equal(jstr(&r, "to"), TO);
	assert_string_equal(jstr(&r, "from"), FROM);
	assert_string_equal(jstr(&r, "status"), "queued");
	assert_string_equal(jstr(&r, "direction"), "outbound-api");
	assert_string_equal(jstr(&r, "num_media"), "0");
	assert_string_equal(jstr(&r, "num_segments"), "1");
	assert_string_equal(jstr(&r, "price_unit"), "USD");
	assert_true(is_json_null(&r, "messaging_service_sid"));
	assert_true(is_json_null(&r, "error_code"));
	assert_true(is_json_null(&r, "error_message"));
	assert_true(is_json_null(&r, "price"));
	assert_true(is_json_null(&r, "date_sent"));
	created = jstr(&r, "date_created");
	assert_non_null(created);
	assert_int_equal(strlen(created), 31); /* "Thu, 21 Nov 2026 10:00:00 +0000" */
	assert_string_equal(created + 25, " +0000");
	assert_int_equal(created[3], ',');
	assert_non_null(jstr(&r, "date_updated"));
	(void) snprintf(want, sizeof want, "/2010-04-01/Accounts/" ACCT "/Messages/%s.json", sid);
	assert_string_equal(jstr(&r, "uri"), want);
	assert_true(json_object_object_get_ex(r.json, "subresource_uris", &sr));
	assert_true(json_object_object_get_ex(sr, "media", &media));
	(void) snprintf(
	    want, sizeof want, "/2010-04-01/Accounts/" ACCT "/Messages/%s/Media.json", sid);
	assert_string_equal(json_object_get_string(media), want);

	assert_int_equal(fake_twilio_count(fx.f), 1);
	assert_int_equal(fake_twilio_count_to(fx.f, TO), 1);
	assert_int_equal(fake_twilio_requests(fx.f), 1);
	assert_int_equal(fake_twilio_rejected(fx.f), 0);
	assert_true(fake_twilio_last_to(fx.f, TO, &m));
	assert_string_equal(m.sid, sid);
	assert_string_equal(m.body, "Your code is 123456");
	assert_string_equal(m.from, FROM);
	assert_null(m.messaging_service_sid);
	assert_null(m.status_callback);
	assert_int_equal(m.validity_period, 600);
	assert_string_equal(m.auth_user, ACCT);
	assert_string_equal(m.status, "queued");
	assert_int_equal(m.error_code, 0);
	fake_twilio_msg_free(&m);
	assert_false(fake_twilio_last_to(fx.f, "+15550000000", &m));
	reply_free(&r);

	/* A second message to the same number shows up as a duplicate send. */
	post(&r, GOOD_FORM);
	assert_int_equal(r.status, 201);
	reply_free(&r);
	assert_int_equal(fake_twilio_max_per_number(fx.f), 2);
}

static void
post_feedback(struct reply *r, const char *sid, const char *form)
{
	char url[256];

	(void) snprintf(url, sizeof url, "%s/Messages/%s/Feedback.json", fx.base, sid);
	request(r, url, ACCT, TOKEN, "application/x-www-form-urlencoded", form);
}

/* CreateMessageFeedback: Outcome on a message sent with ProvideFeedback=true, 200 with the
 * MessageFeedback JSON; counted per message; 500 on demand; refused otherwise. */
static void
test_feedback(void **state)
{
	struct reply           r;
	struct fake_twilio_msg m;
	char                   sid[35], plain[35], want[256];

	(void) state;
	post(&r, GOOD_FORM "&ProvideFeedback=true");
	assert_int_equal(r.status, 201);
	(void) snprintf(sid, sizeof sid, "%s", jstr(&r, "sid"));
	reply_free(&r);
	assert_true(fake_twilio_last_to(fx.f, TO, &m));
	assert_true(m.provide_feedback);
	fake_twilio_msg_free(&m);
	post(&r, GOOD_FORM);
	(void) snprintf(plain, sizeof plain, "%s", jstr(&r, "sid"));
	reply_free(&r);
	post(&r, GOOD_FORM "&ProvideFeedback=maybe");
	assert_twilio_error(&r, 400, 20001);
	reply_free(&r);

	fake_twilio_fail_feedback_500(fx.f, 1);
	post_feedback(&r, sid, "Outcome=confirmed");
	assert_twilio_error(&r, 500, 20500);
	reply_free(&r);
	assert_int_equal(fake_twilio_feedback_count(fx.f, sid), 0);
	post_feedback(&r, sid, "Outcome=confirmed");
	assert_int_equal(r.status, 200);
	assert_string_equal(jstr(&r, "message_sid"), sid);
	assert_string_equal(jstr(&r, "account_sid"), ACCT);
	assert_string_equal(jstr(&r, "outcome"), "confirmed");
	(void) snprintf(
	    want, sizeof want, "/2010-04-01/Accounts/" ACCT "/Messages/%s/Feedback.json", sid);
	assert_string_equal(jstr(&r, "uri"), want);
	reply_free(&r);
	assert_int_equal(fake_twilio_feedback_count(fx.f, sid), 1);

	post_feedback(&r, sid, "Outcome=delivered");
	assert_twilio_error(&r, 400, 20001);
	reply_free(&r);
	post_feedback(&r, plain, "Outcome=confirmed");
	assert_twilio_error(&r, 400, 20001);
	reply_free(&r);
	post_feedback(&r, "SM00000000000000000000000000000000", "Outcome=confirmed");
	assert_twilio_error(&r, 404, 20404);
	reply_free(&r);
	assert_int_equal(fake_twilio_feedback_requests(fx.f), 5);
	assert_int_equal(fake_twilio_feedback_total(fx.f), 1);
	assert_int_equal(fake_twilio_rejected(fx.f), 4);
}

static void
test_messaging_service_and_api_key(void **state)
{
	struct reply           r;
	struct fake_twilio_msg m;
	char                   url[256];

	(void) snprintf(url, sizeof url, "%s/Messages.json", fx.base);
	request(&r, url, KEY, SECRET, "application/x-www-form-urlencoded",
	    "To=" TO_ENC "&MessagingServiceSid=" MSS
	    "&Body=hi&StatusCallback=https%3A%2F%2Fx.test%2Fs");
	assert_int_equal(r.status, 201);
	/* Twilio says "accepted" while it still has to pick a sender from the service. */
	assert_string_equal(jstr(&r, "status"), "accepted");
	assert_string_equal(jstr(&r, "messaging_service_sid"), MSS);
	assert_true(is_json_null(&r, "from"));
	reply_free(&r);
	assert_true(fake_twilio_last_to(fx.f, TO, &m));
	assert_string_equal(m.auth_user, KEY);
	assert_null(m.from);
	assert_string_equal(m.messaging_service_sid, MSS);
	assert_string_equal(m.status_callback, "https://x.test/s");
	assert_int_equal(m.validity_period, 0);
	fake_twilio_msg_free(&m);
}

static void
test_auth_refused(void **state)
{
	struct reply r;
	char         url[256];

	(void) snprintf(url, sizeof url, "%s/Messages.json", fx.base);
	request(&r, url, ACCT, "wrong-token", "application/x-www-form-urlencoded", GOOD_FORM);
	assert_twilio_error(&r, 401, 20003);
	assert_string_equal(jstr(&r, "message"), "Authenticate");
	reply_free(&r);
	request(&r, url, NULL, NULL, "application/x-www-form-urlencoded", GOOD_FORM);
	assert_twilio_error(&r, 401, 20003);
	reply_free(&r);
	request(&r, url, KEY, TOKEN, "application/x-www-form-urlencoded", GOOD_FORM);
	assert_twilio_error(&r, 401, 20003);
	reply_free(&r);
	/* The auth token with one character more or less is not a near miss. */
	request(&r, url, ACCT, TOKEN "x", "application/x-www-form-urlencoded", GOOD_FORM);
	assert_twilio_error(&r, 401, 20003);
	reply_free(&r);

	/* Good credentials, another account in the path. */
	(void) snprintf(url, sizeof url,
	    "%s/2010-04-01/Accounts/ACffffffffffffffffffffffffffffffff/Messages.json",
	    fake_twilio_base(fx.f));
	request(&r, url, ACCT, TOKEN, "application/x-www-form-urlencoded", GOOD_FORM);
	assert_twilio_error(&r, 404, 20404);
	reply_free(&r);

	assert_int_equal(fake_twilio_count(fx.f), 0);
	assert_int_equal(fake_twilio_requests(fx.f), 5);
	assert_int_equal(fake_twilio_rejected(fx.f), 5);
}

static void
test_form_refused(void **state)
{
	static const struct {
		const char *form;
		int         code;
	} cases[] = {
		{ "From=" FROM_ENC "&Body=x", 21604 },
		{ "To=5551230001&From=" FROM_ENC "&Body=x", 21211 },
		{ "To=%2B05551230001&From=" FROM_ENC "&Body=x", 21211 },
		{ "To=%2B1234567890123456&From=" FROM_ENC "&Body=x", 21211 },
		{ "To=" TO_ENC "&Body=x", 21603 },
		{ "To=" TO_ENC "&From=&Body=x", 21603 },
		{ "To=" TO_ENC "&MessagingServiceSid=MGxyz&Body=x", 21701 },
		{ "To=" TO_ENC "&From=" FROM_ENC, 21602 },
		{ "To=" TO_ENC "&From=" FROM_ENC "&Body=", 21602 },
		{ "To=" TO_ENC "&From=" FROM_ENC "&Body=x&ValidityPeriod=0", 21624 },
		{ "To=" TO_ENC "&From=" FROM_ENC "&Body=x&ValidityPeriod=36001", 21624 },
		{ "To=" TO_ENC "&From=" FROM_ENC "&Body=x&ValidityPeriod=ten", 21624 },
		{ "To=" TO_ENC "&From=" FROM_ENC "&Body=x&StatusCallback=ftp%3A%2F%2Fx", 21609 },
	};
	struct reply r;
	char         url[256], *big;
	size_t       n = sizeof cases / sizeof cases[0];

	for (size_t i = 0; i < n; i++) {
		post(&r, cases[i].form);
		assert_twilio_error(&r, 400, cases[i].code);
		reply_free(&r);
	}

	/* 1600 characters pass, 1601 do not; 'é' is one character in two bytes. */
	assert_non_null(big = malloc(64 + 1601 * 6));
	strcpy(big, "To=" TO_ENC "&From=" FROM_ENC "&Body=");
	for (int i = 0; i < 1600; i++)
		strcat(big, "%C3%A9");
	post(&r, big);
	assert_int_equal(r.status, 201);
	reply_free(&r);
	strcat(big, "x");
	post(&r, big);
	assert_twilio_error(&r, 400, 21617);
	reply_free(&r);
	free(big);

	/* JSON is not what Twilio takes. */
	(void) snprintf(url, sizeof url, "%s/Messages.json", fx.base);
	request(&r, url, ACCT, TOKEN, "application/json", "{\"To\":\"" TO "\"}");
	assert_int_equal(r.status, 400);
	assert_int_equal(jint(&r, "status"), 400);
	reply_free(&r);

	assert_int_equal(fake_twilio_count(fx.f), 1);
	assert_int_equal(fake_twilio_rejected(fx.f), (int) n + 2);
	assert_int_equal(fake_twilio_requests(fx.f), (int) n + 3);
}

static void
test_fail_429(void **state)
{
	struct reply r;

	fake_twilio_fail_429(fx.f, 2, 7);
	for (int i = 0; i < 2; i++) {
		post(&r, GOOD_FORM);
		assert_twilio_error(&r, 429, 20429);
		assert_string_equal(jstr(&r, "message"), "Too Many Requests");
		assert_string_equal(r.retry_after, "7");
		reply_free(&r);
	}
	post(&r, GOOD_FORM);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.retry_after, "");
	reply_free(&r);
	assert_int_equal(fake_twilio_requests(fx.f), 3);
	assert_int_equal(fake_twilio_count(fx.f), 1);
	assert_int_equal(fake_twilio_rejected(fx.f), 0);
}

static void
test_fail_500(void **state)
{
	struct reply r;

	/* A bad form is still a bad form while the fake is told to fail. */
	fake_twilio_fail_500(fx.f, 1);
	post(&r, "To=" TO_ENC);
	assert_twilio_error(&r, 400, 21603);
	reply_free(&r);
	post(&r, GOOD_FORM);
	assert_twilio_error(&r, 500, 20500);
	reply_free(&r);
	post(&r, GOOD_FORM);
	assert_int_equal(r.status, 201);
	reply_free(&r);
	assert_int_equal(fake_twilio_requests(fx.f), 3);
	assert_int_equal(fake_twilio_count(fx.f), 1);
	assert_int_equal(fake_twilio_rejected(fx.f), 1);
}

static void
test_fail_number(void **state)
{
	struct reply r;

	fake_twilio_fail_number(fx.f, TO, 21610);
	post(&r, GOOD_FORM);
	assert_twilio_error(&r, 400, 21610);
	assert_string_equal(jstr(&r, "message"), "Attempt to send to unsubscribed recipient");
	reply_free(&r);
	post(&r, "To=%2B15551230002&From=" FROM_ENC "&Body=x");
	assert_int_equal(r.status, 201);
	reply_free(&r);
	fake_twilio_fail_number(fx.f, TO, 21614);
	post(&r, GOOD_FORM);
	assert_twilio_error(&r, 400, 21614);
	reply_free(&r);
	fake_twilio_fail_number(fx.f, TO, 0);
	post(&r, GOOD_FORM);
	assert_int_equal(r.status, 201);
	reply_free(&r);
	assert_int_equal(fake_twilio_count(fx.f), 2);
	assert_int_equal(fake_twilio_count_to(fx.f, TO), 1);
	/* Twilio refusing a number is not a bug in the sender. */
	assert_int_equal(fake_twilio_rejected(fx.f), 0);
}

static void
test_get_status(void **state)
{
	struct reply r;
	char         sid[35], url[256];

	post(&r, GOOD_FORM);
	assert_int_equal(r.status, 201);
	(void) snprintf(sid, sizeof sid, "%s", jstr(&r, "sid"));
	reply_free(&r);

	get_sid(&r, sid);
	assert_int_equal(r.status, 200);
	assert_string_equal(jstr(&r, "sid"), sid);
	assert_string_equal(jstr(&r, "status"), "queued");
	assert_string_equal(jstr(&r, "to"), TO);
	reply_free(&r);

	fake_twilio_set_status(fx.f, sid, "delivered", 0);
	get_sid(&r, sid);
	assert_string_equal(jstr(&r, "status"), "delivered");
	assert_true(is_json_null(&r, "error_code"));
	reply_free(&r);
	fake_twilio_set_status(fx.f, sid, "undelivered", 30005);
	get_sid(&r, sid);
	assert_string_equal(jstr(&r, "status"), "undelivered");
	assert_int_equal(jint(&r, "error_code"), 30005);
	reply_free(&r);

	get_sid(&r, "SM00000000000000000000000000000000");
	assert_twilio_error(&r, 404, 20404);
	reply_free(&r);
	(void) snprintf(url, sizeof url, "%s/Messages/%s.json", fx.base, sid);
	request(&r, url, ACCT, "nope", NULL, NULL);
	assert_twilio_error(&r, 401, 20003);
	reply_free(&r);
	/* GETs are not Messages POSTs. */
	assert_int_equal(fake_twilio_requests(fx.f), 1);
	assert_int_equal(fake_twilio_rejected(fx.f), 0);
}

/* A POST from another thread, so that the test thread can watch it being held. */
static void *
post_thread(void *arg)
{
	post(arg, GOOD_FORM);
	return NULL;
}

static bool
one_stalled(void)
{
	return fake_twilio_stalled(fx.f) == 1;
}

static void
test_stall(void **state)
{
	struct reply r, held;
	pthread_t    t;

	fake_twilio_stall(fx.f, true);
	/* A bad request is refused at once even while stalling. */
	post(&r, "To=" TO_ENC);
	assert_twilio_error(&r, 400, 21603);
	reply_free(&r);

	assert_int_equal(pthread_create(&t, NULL, post_thread, &held), 0);
	wait_until(one_stalled, 5000);
	assert_int_equal(fake_twilio_stalled(fx.f), 1);
	harness_sleep_ms(50);
	assert_int_equal(fake_twilio_count(fx.f), 0);
	fake_twilio_stall(fx.f, false);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_twilio_error(&held, 503, 20503);
	reply_free(&held);
	assert_int_equal(fake_twilio_stalled(fx.f), 0);
	assert_int_equal(fake_twilio_count(fx.f), 0);

	post(&r, GOOD_FORM);
	assert_int_equal(r.status, 201);
	reply_free(&r);
	assert_int_equal(fake_twilio_requests(fx.f), 3);
	assert_int_equal(fake_twilio_count(fx.f), 1);
	assert_int_equal(fake_twilio_rejected(fx.f), 1);
}

static void
test_stop_releases_stall(void **state)
{
	struct reply held;
	pthread_t    t;

	fake_twilio_stall(fx.f, true);
	assert_int_equal(pthread_create(&t, NULL, post_thread, &held), 0);
	wait_until(one_stalled, 5000);
	assert_int_equal(fake_twilio_stalled(fx.f), 1);
	fake_twilio_stop(fx.f);
	fx.f = NULL;
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(held.status, 503);
	reply_free(&held);
}

/* Splits a form body into decoded pairs (at most max); returns how many. */
static size_t
form_split(char *body, char **keys, char **values, size_t max)
{
	size_t n = 0;

	for (char *save = NULL, *p = strtok_r(body, "&", &save); p != NULL && n < max;
	     p = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(p, '=');
		int   klen, vlen;

		assert_non_null(eq);
		*eq       = '\0';
		keys[n]   = curl_easy_unescape(NULL, p, 0, &klen);
		values[n] = curl_easy_unescape(NULL, eq + 1, 0, &vlen);
		assert_non_null(keys[n]);
		assert_non_null(values[n]);
		n++;
	}
	return n;
}

static const char *
form_value(char **keys, char **values, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i], key) == 0)
			return values[i];
	return NULL;
}

/* Checks hit i: its fields, and that its signature is what fake_twilio_sign gives for them. */
static void
check_hit_addr(
    int i, const char *sid, const char *status, int sign, const char *to, const char *from)
{
	char  *keys[16], *values[16], sig[29], *body;
	size_t n;

	pthread_mutex_lock(&rx.mtx);
	assert_true(i < rx.n);
	assert_non_null(body = strdup(rx.hits[i].body));
	if (sign == 0) {
		assert_null(rx.hits[i].sig);
	} else {
		assert_non_null(rx.hits[i].sig);
		(void) snprintf(sig, sizeof sig, "%s", rx.hits[i].sig);
	}
	pthread_mutex_unlock(&rx.mtx);

	n = form_split(body, keys, values, 16);
	assert_string_equal(form_value(keys, values, n, "MessageSid"), sid);
	assert_string_equal(form_value(keys, values, n, "SmsSid"), sid);
	assert_string_equal(form_value(keys, values, n, "MessageStatus"), status);
	assert_string_equal(form_value(keys, values, n, "SmsStatus"), status);
	assert_string_equal(form_value(keys, values, n, "AccountSid"), ACCT);
	assert_string_equal(form_value(keys, values, n, "To"), to);
	assert_string_equal(form_value(keys, values, n, "From"), from);
	assert_string_equal(form_value(keys, values, n, "ApiVersion"), "2010-04-01");
	if (sign != 0) {
		char want[29];

		fake_twilio_sign(TOKEN, fx.rx_url, (const char *const *) keys,
		    (const char *const *) values, n, want);
		assert_int_equal(strlen(sig), 28);
		if (sign > 0)
			assert_string_equal(sig, want);
		else
			assert_string_not_equal(sig, want);
	}
	for (size_t k = 0; k < n; k++) {
		curl_free(keys[k]);
		curl_free(values[k]);
	}
	free(body);
}

static void
check_hit(int i, const char *sid, const char *status, int sign)
{
	check_hit_addr(i, sid, status, sign, TO, FROM);
}

/* The value of key in hit i (a copy to free), or NULL. */
static char *
hit_value(int i, const char *key)
{
	char       *keys[16], *values[16], *body, *v;
	const char *found;
	size_t      n;

	pthread_mutex_lock(&rx.mtx);
	assert_true(i < rx.n);
	assert_non_null(body = strdup(rx.hits[i].body));
	pthread_mutex_unlock(&rx.mtx);
	n     = form_split(body, keys, values, 16);
	found = form_value(keys, values, n, key);
	v     = found != NULL ? strdup(found) : NULL;
	for (size_t k = 0; k < n; k++) {
		curl_free(keys[k]);
		curl_free(values[k]);
	}
	free(body);
	return v;
}

static void
test_callback(void **state)
{
	struct reply r;
	char         sid[35], form[512], *keys[16], *values[16], *body;
	size_t       n;

	(void) snprintf(form, sizeof form, "%s&StatusCallback=%s", GOOD_FORM, fx.rx_url);
	post(&r, form);
	assert_int_equal(r.status, 201);
	(void) snprintf(sid, sizeof sid, "%s", jstr(&r, "sid"));
	reply_free(&r);

	assert_int_equal(fake_twilio_callback(fx.f, sid, "delivered", 0, "2611211000", 1), 200);
	check_hit(0, sid, "delivered", 1);
	pthread_mutex_lock(&rx.mtx);
	assert_non_null(body = strdup(rx.hits[0].body));
	pthread_mutex_unlock(&rx.mtx);
	n = form_split(body, keys, values, 16);
	assert_string_equal(form_value(keys, values, n, "RawDlrDoneDate"), "2611211000");
	assert_null(form_value(keys, values, n, "ErrorCode"));
	for (size_t k = 0; k < n; k++) {
		curl_free(keys[k]);
		curl_free(values[k]);
	}
	free(body);
	get_sid(&r, sid);
	assert_string_equal(jstr(&r, "status"), "delivered");
	reply_free(&r);

	assert_int_equal(fake_twilio_callback(fx.f, sid, "undelivered", 30005, NULL, 0), 200);
	check_hit(1, sid, "undelivered", 0);
	assert_int_equal(fake_twilio_callback(fx.f, sid, "failed", 30008, NULL, -1), 200);
	check_hit(2, sid, "failed", -1);
	get_sid(&r, sid);
	assert_string_equal(jstr(&r, "status"), "failed");
	assert_int_equal(jint(&r, "error_code"), 30008);
	reply_free(&r);

	/* Nothing to post to. */
	assert_int_equal(
	    fake_twilio_callback(fx.f, "SM00000000000000000000000000000000", "sent", 0, NULL, 1),
	    0);
	post(&r, "To=%2B15551230002&From=" FROM_ENC "&Body=x");
	assert_int_equal(r.status, 201);
	(void) snprintf(sid, sizeof sid, "%s", jstr(&r, "sid"));
	reply_free(&r);
	assert_int_equal(fake_twilio_callback(fx.f, sid, "sent", 0, NULL, 1), 0);
	assert_int_equal(rx_count(), 3);
}

static bool
two_hits(void)
{
	return rx_count() >= 2;
}

static void
test_auto_callback(void **state)
{
	struct reply r;
	char         sid[35], form[512];

	(void) snprintf(form, sizeof form, "%s&StatusCallback=%s", GOOD_FORM, fx.rx_url);
	post(&r, form);
	assert_int_equal(r.status, 201);
	(void) snprintf(sid, sizeof sid, "%s", jstr(&r, "sid"));
	reply_free(&r);
	wait_until(two_hits, 5000);
	assert_int_equal(rx_count(), 2);
	check_hit(0, sid, "sent", 1);
	check_hit(1, sid, "delivered", 1);
	get_sid(&r, sid);
	assert_string_equal(jstr(&r, "status"), "delivered");
	reply_free(&r);
}

/* WhatsApp on Messages.json: a whatsapp: To with a WhatsApp From or a messaging service, Body
 * or a content template; recorded with its channel and raw addresses. */
static void
test_whatsapp(void **state)
{
	struct reply           r;
	struct fake_twilio_msg m;

	post(&r, WA_FORM);
	assert_int_equal(r.status, 201);
	assert_string_equal(jstr(&r, "to"), WA_TO);
	assert_string_equal(jstr(&r, "from"), WA_FROM);
	assert_string_equal(jstr(&r, "body"), "Your code is 123456");
	reply_free(&r);
	assert_true(fake_twilio_last_to(fx.f, WA_TO, &m));
	assert_string_equal(m.channel, "whatsapp");
	assert_string_equal(m.to, WA_TO);
	assert_string_equal(m.from, WA_FROM);
	assert_null(m.content_sid);
	assert_null(m.content_variables);
	fake_twilio_msg_free(&m);

	/* A template through a messaging service: no Body at all. */
	post(&r,
	    "To=" WA_TO_ENC "&MessagingServiceSid=" MSS "&ContentSid=" HX
	    "&ContentVariables=%7B%221%22%3A%22123456%22%7D");
	assert_int_equal(r.status, 201);
	assert_true(is_json_null(&r, "body"));
	assert_true(is_json_null(&r, "from"));
	assert_string_equal(jstr(&r, "messaging_service_sid"), MSS);
	reply_free(&r);
	assert_true(fake_twilio_last_to(fx.f, WA_TO, &m));
	assert_string_equal(m.channel, "whatsapp");
	assert_null(m.body);
	assert_null(m.from);
	assert_string_equal(m.content_sid, HX);
	assert_string_equal(m.content_variables, "{\"1\":\"123456\"}");
	fake_twilio_msg_free(&m);

	post(&r, GOOD_FORM);
	assert_int_equal(r.status, 201);
	reply_free(&r);
	assert_true(fake_twilio_last_to(fx.f, TO, &m));
	assert_string_equal(m.channel, "sms");
	fake_twilio_msg_free(&m);
	assert_int_equal(fake_twilio_count_channel(fx.f, "whatsapp"), 2);
	assert_int_equal(fake_twilio_count_channel(fx.f, "sms"), 1);
	assert_int_equal(fake_twilio_count_to(fx.f, WA_TO), 2);
	assert_int_equal(fake_twilio_count_to(fx.f, "+6281234567890"), 0);
	assert_int_equal(fake_twilio_rejected(fx.f), 0);
}

static void
test_whatsapp_refused(void **state)
{
	static const struct {
		const char *form;
		int         code;
	} cases[] = {
		/* A WhatsApp To with an SMS sender, and the other way round. */
		{ "To=" WA_TO_ENC "&From=" FROM_ENC "&Body=x", 21910 },
		{ "To=" TO_ENC "&From=" WA_FROM_ENC "&Body=x", 21910 },
		{ "To=whatsapp%3A6281234567890&From=" WA_FROM_ENC "&Body=x", 21211 },
		{ "To=" WA_TO_ENC "&From=whatsapp%3Afoo&Body=x", 21212 },
		{ "To=" WA_TO_ENC "&From=" WA_FROM_ENC, 21602 },
		{ "To=" WA_TO_ENC "&From=" WA_FROM_ENC "&ContentSid=HX123", 21655 },
		{ "To=" WA_TO_ENC "&From=" WA_FROM_ENC "&ContentSid=" MSS, 21655 },
		/* ContentVariables: an object of strings, and only with a ContentSid. */
		{ "To=" WA_TO_ENC "&From=" WA_FROM_ENC "&ContentSid=" HX
		  "&ContentVariables=%5B1%5D",
		    21656 },
		{ "To=" WA_TO_ENC "&From=" WA_FROM_ENC "&ContentSid=" HX
		  "&ContentVariables=%7B%221%22%3A5%7D",
		    21656 },
		{ "To=" WA_TO_ENC "&From=" WA_FROM_ENC "&ContentSid=" HX "&ContentVariables=%7B",
		    21656 },
		{ "To=" WA_TO_ENC "&From=" WA_FROM_ENC "&ContentSid=" HX
		  "&ContentVariables=%7B%7D%7B%7D",
		    21656 },
		{ "To=" WA_TO_ENC "&From=" WA_FROM_ENC "&Body=x&ContentVariables=%7B%7D", 21656 },
	};
	struct reply r;
	size_t       i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		post(&r, cases[i].form);
		assert_twilio_error(&r, 400, cases[i].code);
		reply_free(&r);
	}
	assert_int_equal(fake_twilio_count(fx.f), 0);
	assert_int_equal(fake_twilio_rejected(fx.f), (int) i);

	/* WhatsApp's own refusals come back as Twilio error JSON, and are not sender bugs. */
	fake_twilio_fail_number(fx.f, WA_TO, 63016);
	post(&r, WA_FORM);
	assert_twilio_error(&r, 400, 63016);
	reply_free(&r);
	fake_twilio_fail_number(fx.f, WA_TO, 63112);
	post(&r, WA_FORM);
	assert_twilio_error(&r, 400, 63112);
	reply_free(&r);
	/* The rule names the raw To: the same number by SMS still goes. */
	post(&r, "To=%2B6281234567890&From=" FROM_ENC "&Body=x");
	assert_int_equal(r.status, 201);
	reply_free(&r);
	fake_twilio_fail_number(fx.f, WA_TO, 0);
	post(&r, WA_FORM);
	assert_int_equal(r.status, 201);
	reply_free(&r);
	assert_int_equal(fake_twilio_rejected(fx.f), (int) i);
}

static bool
three_hits(void)
{
	return rx_count() >= 3;
}

/* A WhatsApp message's receipts: sent, delivered, read, with whatsapp: addresses and no
 * carrier DLR date. */
static void
test_whatsapp_auto_callback(void **state)
{
	struct reply r;
	char         sid[35], form[512], *v;

	(void) snprintf(form, sizeof form, "%s&StatusCallback=%s", WA_FORM, fx.rx_url);
	post(&r, form);
	assert_int_equal(r.status, 201);
	(void) snprintf(sid, sizeof sid, "%s", jstr(&r, "sid"));
	reply_free(&r);
	wait_until(three_hits, 5000);
	harness_sleep_ms(150); /* nothing comes after "read" */
	assert_int_equal(rx_count(), 3);
	check_hit_addr(0, sid, "sent", 1, WA_TO, WA_FROM);
	check_hit_addr(1, sid, "delivered", 1, WA_TO, WA_FROM);
	check_hit_addr(2, sid, "read", 1, WA_TO, WA_FROM);
	assert_null(v = hit_value(1, "RawDlrDoneDate"));
	get_sid(&r, sid);
	assert_string_equal(jstr(&r, "status"), "read");
	reply_free(&r);
}

/* A test fails an accepted WhatsApp message: the callback carries the error, GET shows it, and
 * no automatic receipt follows it. */
static void
test_whatsapp_fail_after_accept(void **state)
{
	struct reply r;
	char         sid[35], form[512], *v;

	(void) snprintf(form, sizeof form, "%s&StatusCallback=%s", WA_FORM, fx.rx_url);
	post(&r, form);
	assert_int_equal(r.status, 201);
	(void) snprintf(sid, sizeof sid, "%s", jstr(&r, "sid"));
	reply_free(&r);
	assert_int_equal(fake_twilio_callback(fx.f, sid, "undelivered", 63016, NULL, 1), 200);
	wait_until(three_hits, 400); /* what the automatic receipts would have taken */
	for (int i = 0; i < rx_count(); i++) {
		char *st = hit_value(i, "MessageStatus");

		assert_non_null(st);
		assert_string_not_equal(st, "delivered");
		assert_string_not_equal(st, "read");
		if (strcmp(st, "undelivered") == 0) {
			check_hit_addr(i, sid, "undelivered", 1, WA_TO, WA_FROM);
			assert_non_null(v = hit_value(i, "ErrorCode"));
			assert_string_equal(v, "63016");
			free(v);
		}
		free(st);
	}
	get_sid(&r, sid);
	assert_string_equal(jstr(&r, "status"), "undelivered");
	assert_int_equal(jint(&r, "error_code"), 63016);
	reply_free(&r);
}

/* ---- Verify v2 ------------------------------------------------------------------------------- */

/* POST to /v2/Services/{service}/{endpoint} with the account's credentials. */
static void
verify_post_as(struct reply *r, const char *service, const char *endpoint, const char *user,
    const char *pass, const char *form)
{
	char url[256];

	(void) snprintf(url, sizeof url, "%s/v2/Services/%s/%s", fake_twilio_verify_base(fx.f),
	    service, endpoint);
	request(r, url, user, pass, "application/x-www-form-urlencoded", form);
}

static void
vsend(struct reply *r, const char *form)
{
	verify_post_as(r, VA, "Verifications", ACCT, TOKEN, form);
}

static void
vcheck(struct reply *r, const char *form)
{
	verify_post_as(r, VA, "VerificationCheck", ACCT, TOKEN, form);
}

static bool
jbool(const struct reply *r, const char *key)
{
	json_object *v;

	assert_non_null(r->json);
	assert_true(json_object_object_get_ex(r->json, key, &v));
	assert_true(json_object_is_type(v, json_type_boolean));
	return json_object_get_boolean(v);
}

static void
assert_sid(const char *sid, const char *prefix)
{
	assert_non_null(sid);
	assert_int_equal(strlen(sid), 34);
	assert_memory_equal(sid, prefix, 2);
	for (int i = 2; i < 34; i++)
		assert_non_null(strchr("0123456789abcdef", sid[i]));
}

/* "2026-12-02T19:00:00Z" */
static void
assert_iso8601(const char *s)
{
	assert_non_null(s);
	assert_int_equal(strlen(s), 20);
	assert_int_equal(s[4], '-');
	assert_int_equal(s[10], 'T');
	assert_int_equal(s[19], 'Z');
}

/* The send_code_attempts array of a Verification reply. */
static json_object *
attempts(const struct reply *r)
{
	json_object *a;

	assert_true(json_object_object_get_ex(r->json, "send_code_attempts", &a));
	assert_true(json_object_is_type(a, json_type_array));
	return a;
}

/* A Verification as CreateVerification answers it (twilio_verify_v2.json). */
static void
assert_verification(const struct reply *r, const char *channel, size_t nattempts)
{
	json_object *lookup, *a, *v;
	char         want[256];

	assert_int_equal(r->status, 201);
	assert_non_null(r->json);
	assert_sid(jstr(r, "sid"), "VE");
	assert_string_equal(jstr(r, "service_sid"), VA);
	assert_string_equal(jstr(r, "account_sid"), ACCT);
	assert_string_equal(jstr(r, "channel"), channel);
	assert_string_equal(jstr(r, "status"), "pending");
	assert_false(jbool(r, "valid"));
	assert_true(json_object_object_get_ex(r->json, "lookup", &lookup));
	assert_true(json_object_is_type(lookup, json_type_object));
	assert_int_equal(json_object_object_length(lookup), 0);
	assert_true(is_json_null(r, "amount"));
	assert_true(is_json_null(r, "payee"));
	assert_true(is_json_null(r, "sna"));
	assert_iso8601(jstr(r, "date_created"));
	assert_iso8601(jstr(r, "date_updated"));
	(void) snprintf(want, sizeof want, "%s/v2/Services/" VA "/Verifications/%s",
	    fake_twilio_verify_base(fx.f), jstr(r, "sid"));
	assert_string_equal(jstr(r, "url"), want);
	a = attempts(r);
	assert_int_equal(json_object_array_length(a), nattempts);
	for (size_t i = 0; i < nattempts; i++) {
		json_object *e = json_object_array_get_idx(a, i);

		assert_true(json_object_object_get_ex(e, "time", &v));
		assert_iso8601(json_object_get_string(v));
		assert_true(json_object_object_get_ex(e, "channel", &v));
		assert_non_null(json_object_get_string(v));
		assert_true(json_object_object_get_ex(e, "attempt_sid", &v));
		assert_sid(json_object_get_string(v), "VL");
	}
}

/* A VerificationCheck answer. */
static void
assert_check(const struct reply *r, const char *sid, const char *status, bool valid)
{
	json_object *errs;

	assert_int_equal(r->status, 200);
	assert_non_null(r->json);
	assert_string_equal(jstr(r, "sid"), sid);
	assert_string_equal(jstr(r, "service_sid"), VA);
	assert_string_equal(jstr(r, "account_sid"), ACCT);
	assert_string_equal(jstr(r, "to"), TO);
	assert_string_equal(jstr(r, "status"), status);
	assert_true(jbool(r, "valid") == valid);
	assert_true(is_json_null(r, "amount"));
	assert_true(is_json_null(r, "payee"));
	assert_iso8601(jstr(r, "date_created"));
	assert_iso8601(jstr(r, "date_updated"));
	assert_true(json_object_object_get_ex(r->json, "sna_attempts_error_codes", &errs));
	assert_true(json_object_is_type(errs, json_type_array));
	assert_int_equal(json_object_array_length(errs), 0);
}

/* A code that is not `code`: each digit moved by one. */
static void
wrong_code(const char *code, char out[16])
{
	size_t i;

	for (i = 0; code[i] != '\0' && i < 15; i++)
		out[i] = (char) ('0' + (code[i] - '0' + 1) % 10);
	out[i] = '\0';
}

/* Send, resend (same verification, same code), a wrong check, the right one, and then 404. */
static void
test_verify_flow(void **state)
{
	struct reply            r;
	struct fake_verify_info info;
	char                    sid[35], code[16], code2[16], bad[16], form[256];
	json_object            *e, *v;

	assert_string_equal(fake_twilio_verify_base(fx.f), fake_twilio_base(fx.f));
	assert_false(fake_twilio_verify_code(fx.f, TO, code));
	assert_false(fake_twilio_verify_last(fx.f, TO, &info));

	vsend(&r, V_SEND "&Locale=pt-BR&CustomFriendlyName=Acme");
	assert_verification(&r, "sms", 1);
	assert_string_equal(jstr(&r, "to"), TO);
	e = json_object_array_get_idx(attempts(&r), 0);
	assert_true(json_object_object_get_ex(e, "channel", &v));
	assert_string_equal(json_object_get_string(v), "SMS"); /* as the spec's example */
	(void) snprintf(sid, sizeof sid, "%s", jstr(&r, "sid"));
	reply_free(&r);
	assert_true(fake_twilio_verify_code(fx.f, TO, code));
	assert_int_equal(strlen(code), 6);
	for (int i = 0; i < 6; i++)
		assert_true(code[i] >= '0' && code[i] <= '9');

	/* A resend while pending: the same verification and code, one more attempt. */
	vsend(&r, "To=" TO_ENC "&Channel=whatsapp");
	assert_verification(&r, "whatsapp", 2);
	assert_string_equal(jstr(&r, "sid"), sid);
	reply_free(&r);
	assert_true(fake_twilio_verify_code(fx.f, TO, code2));
	assert_string_equal(code2, code);
	assert_true(fake_twilio_verify_last(fx.f, TO, &info));
	assert_string_equal(info.sid, sid);
	assert_string_equal(info.service_sid, VA);
	assert_string_equal(info.channel, "whatsapp");
	assert_string_equal(info.locale, "pt-BR");
	assert_string_equal(info.status, "pending");
	assert_int_equal(info.sends, 2);
	assert_int_equal(info.wrong_checks, 0);

	wrong_code(code, bad);
	(void) snprintf(form, sizeof form, "To=%s&Code=%s", TO_ENC, bad);
	vcheck(&r, form);
	assert_check(&r, sid, "pending", false);
	assert_string_equal(jstr(&r, "channel"), "whatsapp");
	reply_free(&r);

	(void) snprintf(form, sizeof form, "VerificationSid=%s&Code=%s", sid, code);
	vcheck(&r, form);
	assert_check(&r, sid, "approved", true);
	reply_free(&r);

	/* Approved is gone: by To and by sid alike. */
	vcheck(&r, form);
	assert_twilio_error(&r, 404, 20404);
	reply_free(&r);
	(void) snprintf(form, sizeof form, "To=%s&Code=%s", TO_ENC, code);
	vcheck(&r, form);
	assert_twilio_error(&r, 404, 20404);
	reply_free(&r);
	assert_false(fake_twilio_verify_code(fx.f, TO, code2));
	assert_true(fake_twilio_verify_last(fx.f, TO, &info));
	assert_string_equal(info.status, "approved");
	assert_int_equal(info.wrong_checks, 1);

	assert_int_equal(fake_twilio_verify_sends(fx.f), 2);
	assert_int_equal(fake_twilio_verify_sends_to(fx.f, TO), 2);
	assert_int_equal(fake_twilio_verify_sends_to(fx.f, "+15550000000"), 0);
	assert_int_equal(fake_twilio_verify_checks(fx.f), 2);
	assert_int_equal(fake_twilio_rejected(fx.f), 0);
	assert_int_equal(fake_twilio_count(fx.f), 0); /* Verify is not Messages */

	/* The next send starts a new verification, without the old locale. */
	vsend(&r, V_SEND);
	assert_verification(&r, "sms", 1);
	assert_string_not_equal(jstr(&r, "sid"), sid);
	reply_free(&r);
	assert_true(fake_twilio_verify_last(fx.f, TO, &info));
	assert_null(info.locale);
	assert_int_equal(fake_twilio_verify_sends_to(fx.f, TO), 3);
}

static void
test_verify_max_sends(void **state)
{
	struct reply            r;
	struct fake_verify_info info;
	char                    sid[35] = "";

	for (int i = 1; i <= 5; i++) {
		vsend(&r, V_SEND);
		assert_verification(&r, "sms", (size_t) i);
		if (i == 1)
			(void) snprintf(sid, sizeof sid, "%s", jstr(&r, "sid"));
		assert_string_equal(jstr(&r, "sid"), sid);
		reply_free(&r);
	}
	vsend(&r, V_SEND);
	assert_twilio_error(&r, 429, 60203);
	assert_string_equal(jstr(&r, "message"), "Max send attempts reached");
	reply_free(&r);
	assert_int_equal(fake_twilio_verify_sends(fx.f), 5);
	assert_true(fake_twilio_verify_last(fx.f, TO, &info));
	assert_int_equal(info.sends, 5);
	assert_string_equal(info.status, "pending"); /* its code still checks */
	/* Another number is not limited by this one. */
	vsend(&r, "To=%2B15551230002&Channel=call");
	assert_verification(&r, "call", 1);
	reply_free(&r);
	assert_int_equal(fake_twilio_rejected(fx.f), 0);
}

static void
test_verify_max_checks(void **state)
{
	struct reply            r;
	struct fake_verify_info info;
	char                    sid[35], code[16], bad[16], form[256];

	vsend(&r, V_SEND);
	assert_verification(&r, "sms", 1);
	(void) snprintf(sid, sizeof sid, "%s", jstr(&r, "sid"));
	reply_free(&r);
	assert_true(fake_twilio_verify_code(fx.f, TO, code));
	wrong_code(code, bad);
	(void) snprintf(form, sizeof form, "To=%s&Code=%s", TO_ENC, bad);
	for (int i = 0; i < 5; i++) {
		vcheck(&r, form);
		assert_check(&r, sid, "pending", false);
		reply_free(&r);
	}
	/* The sixth check fails even with the right code, and ends the verification. */
	(void) snprintf(form, sizeof form, "To=%s&Code=%s", TO_ENC, code);
	vcheck(&r, form);
	assert_twilio_error(&r, 429, 60202);
	assert_string_equal(jstr(&r, "message"), "Max check attempts reached");
	reply_free(&r);
	vcheck(&r, form);
	assert_twilio_error(&r, 404, 20404);
	reply_free(&r);
	assert_false(fake_twilio_verify_code(fx.f, TO, code));
	assert_true(fake_twilio_verify_last(fx.f, TO, &info));
	assert_string_equal(info.status, "max_attempts_reached");
	assert_int_equal(info.wrong_checks, 5);
	assert_int_equal(fake_twilio_verify_checks(fx.f), 5);
	vsend(&r, V_SEND);
	assert_verification(&r, "sms", 1);
	assert_string_not_equal(jstr(&r, "sid"), sid);
	reply_free(&r);
}

/* Sender bugs: refused and counted; a GET or an unknown path is a plain 404. */
static void
test_verify_refused(void **state)
{
	static const struct {
		const char *endpoint, *form;
		int         code;
	} cases[] = {
		{ "Verifications", "Channel=sms", 60200 },
		{ "Verifications", "To=" TO_ENC, 60200 },
		{ "Verifications", "To=" TO_ENC "&Channel=fax", 60200 },
		{ "Verifications", "To=15551230001&Channel=sms", 60200 },
		{ "Verifications", "To=" TO_ENC "&Channel=email", 60200 },
		{ "Verifications", "To=" TO_ENC "&Channel=sms&Locale=", 60200 },
		{ "VerificationCheck", "To=" TO_ENC, 60200 },
		{ "VerificationCheck", "Code=123456", 60200 },
		{ "VerificationCheck", "Code=&To=" TO_ENC, 60200 },
	};
	struct reply r;
	char         url[256];
	int          refused = 0;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		verify_post_as(&r, VA, cases[i].endpoint, ACCT, TOKEN, cases[i].form);
		assert_twilio_error(&r, 400, cases[i].code);
		reply_free(&r);
		refused++;
	}
	verify_post_as(&r, VA, "Verifications", NULL, NULL, V_SEND);
	assert_twilio_error(&r, 401, 20003);
	reply_free(&r);
	verify_post_as(&r, VA, "VerificationCheck", ACCT, "wrong", "To=" TO_ENC "&Code=1234");
	assert_twilio_error(&r, 401, 20003);
	reply_free(&r);
	verify_post_as(&r, VA_OTHER, "Verifications", ACCT, TOKEN, V_SEND);
	assert_twilio_error(&r, 404, 20404);
	reply_free(&r);
	verify_post_as(&r, "VA123", "Verifications", ACCT, TOKEN, V_SEND);
	assert_twilio_error(&r, 404, 20404);
	reply_free(&r);
	refused += 4;
	(void) snprintf(
	    url, sizeof url, "%s/v2/Services/" VA "/Verifications", fake_twilio_verify_base(fx.f));
	request(&r, url, ACCT, TOKEN, "text/plain", "To=x");
	assert_twilio_error(&r, 400, 20001);
	reply_free(&r);
	refused++;
	assert_int_equal(fake_twilio_rejected(fx.f), refused);

	/* Not sender bugs: no such resource. */
	request(&r, url, ACCT, TOKEN, NULL, NULL);
	assert_twilio_error(&r, 404, 20404);
	reply_free(&r);
	verify_post_as(&r, VA, "Nothing", ACCT, TOKEN, V_SEND);
	assert_twilio_error(&r, 404, 20404);
	reply_free(&r);
	vcheck(&r, "To=" TO_ENC "&Code=123456");
	assert_twilio_error(&r, 404, 20404);
	reply_free(&r);
	vcheck(&r, "VerificationSid=VE00000000000000000000000000000000&Code=123456");
	assert_twilio_error(&r, 404, 20404);
	reply_free(&r);
	assert_int_equal(fake_twilio_rejected(fx.f), refused);
	assert_int_equal(fake_twilio_verify_sends(fx.f), 0);
	assert_int_equal(fake_twilio_verify_checks(fx.f), 0);

	/* An API key and an email address are fine. */
	verify_post_as(&r, VA, "Verifications", KEY, SECRET, "To=a%40example.com&Channel=email");
	assert_verification(&r, "email", 1);
	reply_free(&r);
}

static void
test_verify_fail(void **state)
{
	struct reply r;
	char         code[16], form[256];

	fake_twilio_verify_fail(fx.f, "Verifications", 403, 60410, 1);
	vsend(&r, V_SEND);
	assert_twilio_error(&r, 403, 60410);
	assert_string_equal(jstr(&r, "message"), "Verification delivery attempt blocked");
	reply_free(&r);
	assert_false(fake_twilio_verify_code(fx.f, TO, code));
	/* Form checks come first: a bad form does not use up an injected failure. */
	fake_twilio_verify_fail(fx.f, "Verifications", 429, 60212, 1);
	vsend(&r, "Channel=sms");
	assert_twilio_error(&r, 400, 60200);
	reply_free(&r);
	vsend(&r, V_SEND);
	assert_twilio_error(&r, 429, 60212);
	reply_free(&r);
	vsend(&r, V_SEND);
	assert_verification(&r, "sms", 1);
	reply_free(&r);
	assert_int_equal(fake_twilio_verify_sends(fx.f), 1);

	assert_true(fake_twilio_verify_code(fx.f, TO, code));
	(void) snprintf(form, sizeof form, "To=%s&Code=%s", TO_ENC, code);
	fake_twilio_verify_fail(fx.f, "VerificationCheck", 500, 20500, 2);
	for (int i = 0; i < 2; i++) {
		vcheck(&r, form);
		assert_twilio_error(&r, 500, 20500);
		reply_free(&r);
	}
	fake_twilio_verify_fail(fx.f, "VerificationCheck", 400, 60200, 1);
	fake_twilio_verify_fail(fx.f, "VerificationCheck", 400, 60200, 0); /* cleared */
	vcheck(&r, form);
	assert_int_equal(r.status, 200);
	assert_string_equal(jstr(&r, "status"), "approved");
	reply_free(&r);
	assert_int_equal(fake_twilio_verify_checks(fx.f), 1);
	assert_int_equal(fake_twilio_rejected(fx.f), 1);
}

static bool
one_verify_stalled(void)
{
	return fake_twilio_verify_stalled(fx.f) == 1;
}

static void *
vsend_thread(void *arg)
{
	vsend(arg, V_SEND);
	return NULL;
}

static void
test_verify_stall(void **state)
{
	struct reply r, held;
	pthread_t    t;

	fake_twilio_verify_stall(fx.f, true);
	post(&r, GOOD_FORM); /* Messages are not held */
	assert_int_equal(r.status, 201);
	reply_free(&r);
	assert_int_equal(pthread_create(&t, NULL, vsend_thread, &held), 0);
	wait_until(one_verify_stalled, 5000);
	assert_int_equal(fake_twilio_verify_stalled(fx.f), 1);
	assert_int_equal(fake_twilio_stalled(fx.f), 0);
	fake_twilio_verify_stall(fx.f, false);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_twilio_error(&held, 503, 20503);
	reply_free(&held);
	assert_int_equal(fake_twilio_verify_sends(fx.f), 0);
	vsend(&r, V_SEND);
	assert_verification(&r, "sms", 1);
	reply_free(&r);
}

/* A pending verification lives verify_ttl_s (here 1 s). */
static void
test_verify_expiry(void **state)
{
	struct reply            r;
	struct fake_verify_info info;
	char                    code[16], form[256], sid[35];

	vsend(&r, V_SEND);
	assert_verification(&r, "sms", 1);
	(void) snprintf(sid, sizeof sid, "%s", jstr(&r, "sid"));
	reply_free(&r);
	assert_true(fake_twilio_verify_code(fx.f, TO, code));
	harness_sleep_ms(1100);
	assert_false(fake_twilio_verify_code(fx.f, TO, form));
	(void) snprintf(form, sizeof form, "To=%s&Code=%s", TO_ENC, code);
	vcheck(&r, form);
	assert_twilio_error(&r, 404, 20404);
	reply_free(&r);
	assert_true(fake_twilio_verify_last(fx.f, TO, &info));
	assert_string_equal(info.status, "expired");
	vsend(&r, V_SEND);
	assert_verification(&r, "sms", 1);
	assert_string_not_equal(jstr(&r, "sid"), sid);
	reply_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_vectors),
		cmocka_unit_test_setup_teardown(test_post_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_messaging_service_and_api_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_429, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_500, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_number, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_releases_stall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feedback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_callback, setup_auto, teardown),
		cmocka_unit_test_setup_teardown(test_whatsapp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whatsapp_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whatsapp_auto_callback, setup_auto, teardown),
		cmocka_unit_test_setup_teardown(
		    test_whatsapp_fail_after_accept, setup_auto, teardown),
		cmocka_unit_test_setup_teardown(test_verify_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_max_sends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_max_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_stall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_expiry, setup_ttl, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
