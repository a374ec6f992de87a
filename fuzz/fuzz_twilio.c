/* fuzz_twilio.c: the SMS worker's parsers of Twilio's JSON answers. smsw_twilio_classify reads a
 * reply to a create under an HTTP status and a Retry-After header; smsw_twilio_parse_message
 * reads a reply to a GET. Input: byte 0 picks the HTTP status, byte 1 the attempts so far, then
 * the Retry-After value up to the first newline (no newline: no header), then the body.
 * Properties: the outcome is one classify may give, a SENT one carries a valid message SID, a
 * retry delay is within its bounds, and every string the result holds is terminated. */
#include "fuzz.h"
#include "twilio.h"

#define MAX_ATTEMPTS 5

/* The statuses classify tells apart, and a few it must treat like their class. */
static const long statuses[] = { 0, 200, 201, 202, 204, 299, 301, 400, 401, 403, 404, 408, 409, 410,
	422, 429, 499, 500, 502, 503, 504, 599, 600, -1 };

static void
check_result(const struct smsw_result *r)
{
	FUZZ_CHECK(memchr(r->sid, '\0', sizeof r->sid) != NULL);
	FUZZ_CHECK(memchr(r->status, '\0', sizeof r->status) != NULL);
	FUZZ_CHECK(memchr(r->error_message, '\0', sizeof r->error_message) != NULL);
	switch (r->outcome) {
	case SMSW_SENT:
		FUZZ_CHECK(SMSW_MESSAGE_SID_OK(r->sid));
		break;
	case SMSW_FAILED:
		FUZZ_CHECK(strcmp(r->status, "failed") == 0);
		break;
	case SMSW_RETRY:
		/* Retry-After is honoured up to 300 s; our own backoff stops at 30 s. */
		FUZZ_CHECK(r->retry_after_ms >= 0 && r->retry_after_ms <= 300 * 1000);
		break;
	default:
		FUZZ_CHECK(!"classify gave an outcome it never gives");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct smsw_config cfg = { .max_attempts = MAX_ATTEMPTS };
	struct smsw_result              r;
	const uint8_t                  *body, *nl;
	char                           *retry_after = NULL, *copy, status[24];
	size_t                          body_len;
	int                             attempts, error_code = 0;
	long                            http;

	if (size < 2 || size > 256 * 1024)
		return 0;
	http     = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
	attempts = data[1] % (MAX_ATTEMPTS + 2);
	body     = data + 2;
	body_len = size - 2;
	if ((nl = memchr(body, '\n', body_len)) != NULL) {
		if ((retry_after = fuzz_strdup(body, (size_t) (nl - body))) == NULL)
			return 0;
		body_len -= (size_t) (nl + 1 - body);
		body = nl + 1;
	}
	/* A body of its own size: classify must not read past body_len. */
	if ((copy = malloc(body_len ? body_len : 1)) == NULL) {
		free(retry_after);
		return 0;
	}
	if (body_len > 0)
		memcpy(copy, body, body_len);
	smsw_twilio_classify(&cfg, http, copy, body_len, retry_after, attempts, &r);
	check_result(&r);
	if (r.outcome == SMSW_RETRY)
		FUZZ_CHECK(attempts < MAX_ATTEMPTS);
	if (smsw_twilio_parse_message(copy, body_len, status, &error_code) == PA_OK)
		FUZZ_CHECK(strlen(status) < sizeof status);
	free(copy);
	free(retry_after);
	return 0;
}
