/* twwire.h: what Twilio's two APIs the worker speaks (Messages in twilio.c, Verify in verify.c)
 * share on the wire: urlencoded form fields, the Retry-After header, and reading their JSON
 * answers. No I/O. */
#ifndef PHONEAUTH_SMSW_TWWIRE_H
#define PHONEAUTH_SMSW_TWWIRE_H

#include <stddef.h>

#include <json-c/json.h>

#include "common/strbuf.h"

/* Appends key=value (value percent-encoded) to a form body; out->oom on failure. The escaped
 * copy is wiped: a value may be a code. */
void smsw_form_add(struct pa_strbuf *out, const char *key, const char *value);

/* Retry-After in milliseconds: delay-seconds up to 300; -1 for a date, junk, a huge value or
 * NULL (the caller's backoff then). */
int smsw_retry_after_ms(const char *v);

/* A JSON object from body (at most 1 MiB), or NULL when it is not one; json_object_put it. */
json_object *smsw_json_parse(const char *body, size_t len);
/* o's string member key, or NULL (o may be NULL). */
const char *smsw_json_str(json_object *o, const char *key);
/* o's member key as a Twilio code (a number, or a string of one) from 1 to 999999, else 0. */
int smsw_json_int(json_object *o, const char *key);

#endif
