/* fake_siteverify.h: a fake captcha provider (Turnstile's and hCaptcha's siteverify) for tests,
 * on NNG's HTTP server. It reads the form phoneauth posts (secret, response, remoteip) and
 * answers {"success": true} for a token that starts with "pass" under the right secret, and
 * {"success": false, "error-codes": [...]} otherwise; told to be down, it answers 503, or holds
 * each request longer than the caller's timeout. It counts requests and keeps the last
 * remoteip. Thread-safe. */
#ifndef PHONEAUTH_TEST_FAKE_SITEVERIFY_H
#define PHONEAUTH_TEST_FAKE_SITEVERIFY_H

#include <stdbool.h>
#include <stddef.h>

struct fake_siteverify;

/* Listens on 127.0.0.1:port; secret is the only one accepted. 0 = ok. */
int  fake_siteverify_start(struct fake_siteverify **out, int port, const char *secret);
void fake_siteverify_stop(struct fake_siteverify *f); /* NULL ok */

/* "http://127.0.0.1:PORT/siteverify": what PHONEAUTH_CAPTCHA_VERIFY_URL should be. */
const char *fake_siteverify_url(const struct fake_siteverify *f);

enum fake_siteverify_mode {
	FAKE_SITEVERIFY_UP,
	FAKE_SITEVERIFY_503, /* answers 503 */
	FAKE_SITEVERIFY_STALL, /* answers after stall_ms (longer than the caller waits) */
};
void fake_siteverify_set_mode(struct fake_siteverify *f, enum fake_siteverify_mode m, int stall_ms);

/* POSTs received so far, and how many of them it answered success: true. */
int fake_siteverify_requests(struct fake_siteverify *f);
int fake_siteverify_passed(struct fake_siteverify *f);
/* The remoteip of the last request ("" when it had none), copied to out. */
void fake_siteverify_last_ip(struct fake_siteverify *f, char *out, size_t outsz);

#endif
