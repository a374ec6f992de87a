/* fake_verify.h: the Twilio Verify v2 half of the fake (POST /v2/Services/{Sid}/Verifications and
 * .../VerificationCheck), on the same listener, credentials and lock as the Messages half
 * (fake_twilio.h), so that TWILIO_VERIFY_BASE may equal TWILIO_API_BASE in tests. It checks the
 * forms like Twilio, keeps one pending verification per (service, To) for verify_ttl_s with
 * Twilio's limits (5 sends: 429/60203; 5 wrong checks, the 6th: 429/60202), answers with the
 * Verification and VerificationCheck JSON of ../shared/twilio-oai/twilio_verify_v2.json, and can be
 * told to fail or to stall. Thread-safe like the rest of the fake. */
#ifndef PHONEAUTH_TEST_FAKE_VERIFY_H
#define PHONEAUTH_TEST_FAKE_VERIFY_H

#include <stdbool.h>

struct fake_twilio;

/* The newest verification to one To, whatever became of it. */
struct fake_verify_info {
	char        sid[35]; /* "VE" + 32 hex */
	char        service_sid[35]; /* "VA" + 32 hex */
	const char *channel; /* the last send's: "sms", "whatsapp", "call", "email" or "sna" */
	const char *locale; /* the last Locale sent, or NULL; owned by the fake until stop */
	const char *status; /* "pending", "approved", "max_attempts_reached" or "expired" */
	int         sends; /* accepted Verifications POSTs for it (1..5) */
	int         wrong_checks; /* VerificationCheck POSTs with a wrong code */
};

/* "http://127.0.0.1:PORT", the same as fake_twilio_base: what TWILIO_VERIFY_BASE should be. */
const char *fake_twilio_verify_base(const struct fake_twilio *f);

/* ---- what it saw ----------------------------------------------------------------------------- */

/* Copies the code of the pending (unexpired) verification to `to` into out, NUL-terminated;
 * false when there is none. */
bool fake_twilio_verify_code(struct fake_twilio *f, const char *to, char out[16]);
/* Verifications POSTs accepted (201), first sends and resends alike. */
int fake_twilio_verify_sends(struct fake_twilio *f);
/* Verifications POSTs accepted for this To. */
int fake_twilio_verify_sends_to(struct fake_twilio *f, const char *to);
/* VerificationCheck POSTs answered 200 (approved or not). */
int fake_twilio_verify_checks(struct fake_twilio *f);
/* Fills *out with the newest verification to `to`; false when there was none. */
bool fake_twilio_verify_last(struct fake_twilio *f, const char *to, struct fake_verify_info *out);
/* Verify POSTs held by fake_twilio_verify_stall right now. */
int fake_twilio_verify_stalled(struct fake_twilio *f);

/* Verify POSTs refused for bad auth, a wrong service or bad form fields count in
 * fake_twilio_rejected, with the Messages ones: they are bugs in the sender. */

/* ---- how it answers -------------------------------------------------------------------------- */

/* The next n POSTs to endpoint ("Verifications" or "VerificationCheck") that pass auth and the
 * form checks get http_status with Twilio error JSON twilio_code (400/60200, 403/60410 Fraud
 * Guard, 429/60203, 429/60212, 500/20500 ...), and change nothing; n = 0 clears it. Unknown
 * endpoints are ignored. */
void fake_twilio_verify_fail(
    struct fake_twilio *f, const char *endpoint, int http_status, int twilio_code, int n);
/* While on, Verify POSTs are held without an answer; turning it off answers them 503. */
void fake_twilio_verify_stall(struct fake_twilio *f, bool on);

#endif
