/* fuzz_twsig.c: a Twilio status callback as the SMS worker's /twilio/status handler reads it
 * before the database. The input is the raw form body: smsw_form_parse, smsw_form_get of the
 * fields the handler reads, the SID checks it makes (smsw_sid_ok), smsw_twsig_compute and
 * smsw_twsig_check with a fixed auth token against the callback URL with and without its default
 * port, and smsw_twsig_check against the input taken as a URL (the port-variant code). The
 * handler's word checks of status and error code are static in status.c and not covered.
 * Properties: a computed signature checks, also across the default-port variant, and a changed
 * one does not; every parsed key is found again. */
#include "fuzz.h"
#include "config.h"
#include "twsig.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

/* The URL the worker is configured with, and the forms Twilio may sign instead. */
static const char *const urls[][2] = {
	{ "https://sms.example.com/twilio/status", "https://sms.example.com:443/twilio/status" },
	{ "https://sms.example.com:443/twilio/status?x=1",
	    "https://sms.example.com/twilio/status?x=1" },
	{ "http://127.0.0.1/cb#frag", "http://127.0.0.1:80/cb#frag" },
};

static void
check_signatures(const struct smsw_form *f)
{
	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		char sig[29], variant[29];

		FUZZ_CHECK(smsw_twsig_compute(TOKEN, urls[i][0], f, sig) == PA_OK);
		FUZZ_CHECK(strlen(sig) == 28);
		FUZZ_CHECK(smsw_twsig_check(TOKEN, urls[i][0], f, sig));
		/* Twilio's helpers sign the URL with the default port added or removed. */
		FUZZ_CHECK(smsw_twsig_compute(TOKEN, urls[i][1], f, variant) == PA_OK);
		FUZZ_CHECK(smsw_twsig_check(TOKEN, urls[i][0], f, variant));
		/* Another first character is another first byte of the MAC. */
		sig[0] = sig[0] == 'A' ? 'B' : 'A';
		FUZZ_CHECK(!smsw_twsig_check(TOKEN, urls[i][0], f, sig));
		FUZZ_CHECK(!smsw_twsig_check("another token", urls[i][0], f, variant));
	}
}

/* What the handler reads, and the checks of it that are exported. */
static void
check_fields(const struct smsw_form *f)
{
	const char *sid  = smsw_form_get(f, "MessageSid");
	const char *acct = smsw_form_get(f, "AccountSid");

	if (SMSW_MESSAGE_SID_OK(sid))
		FUZZ_CHECK(strlen(sid) == 34);
	(void) smsw_sid_ok(acct, "AC");
	(void) smsw_form_get(f, "MessageStatus");
	(void) smsw_form_get(f, "SmsStatus");
	(void) smsw_form_get(f, "ErrorCode");
	(void) smsw_form_get(f, "RawDlrDoneDate");
	for (size_t i = 0; i < f->n; i++) {
		const char *v = smsw_form_get(f, f->key[i]);

		FUZZ_CHECK(v != NULL);
		/* A value that looks like a signature goes through the base64 path too. */
		if (strlen(f->value[i]) == 28)
			(void) smsw_twsig_check(TOKEN, urls[0][0], f, f->value[i]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smsw_form f;
	struct smsw_form none = { 0 };
	char            *url;

	if (size > 64 * 1024)
		return 0;
	if (smsw_form_parse((const char *) data, size, &f) == PA_OK) {
		check_fields(&f);
		check_signatures(&f);
		smsw_form_free(&f);
	}
	if ((url = fuzz_strdup(data, size)) != NULL) {
		(void) smsw_twsig_check(TOKEN, url, &none, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
		free(url);
	}
	return 0;
}
