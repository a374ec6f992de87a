/* twsig.h: Twilio's request signature (X-Twilio-Signature) and the form bodies it covers: the
 * parser of application/x-www-form-urlencoded bodies and the HMAC-SHA1 check. */
#ifndef PHONEAUTH_SMSW_TWSIG_H
#define PHONEAUTH_SMSW_TWSIG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct smsw_form {
	size_t n;
	char **key, **value;
};

/* Parses an application/x-www-form-urlencoded body ('+' is a space, %XX decoded). */
pa_err smsw_form_parse(const char *body, size_t len, struct smsw_form *f) PA_MUSTCHECK;
void   smsw_form_free(struct smsw_form *f);
/* The value of key, or NULL. */
const char *smsw_form_get(const struct smsw_form *f, const char *key);

/* X-Twilio-Signature for url and f: base64(HMAC-SHA1(token, url + key value pairs sorted by key
 * then value, an exact duplicate pair once)). out gets 28 characters and a NUL. */
pa_err smsw_twsig_compute(
    const char *token, const char *url, const struct smsw_form *f, char out[29]) PA_MUSTCHECK;
/* Whether sig is the signature of url and f, in constant time. Also accepts the URL with its
 * default port added or removed, as Twilio's own helper libraries do. */
bool smsw_twsig_check(
    const char *token, const char *url, const struct smsw_form *f, const char *sig);

#endif
