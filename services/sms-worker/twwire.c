/* twwire.c: form fields, Retry-After and JSON reading for both Twilio APIs (twwire.h). */
#include "twwire.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#define RETRY_AFTER_MAX_S 300

void
smsw_form_add(struct pa_strbuf *out, const char *key, const char *value)
{
	char *esc = curl_easy_escape(NULL, value, 0);

	if (esc == NULL) {
		out->oom = true;
		return;
	}
	pa_strbuf_printf(out, "%s%s=", out->len > 0 ? "&" : "", key);
	pa_strbuf_append(out, esc, strlen(esc));
	/* The escaped copy may hold a code. */
	sodium_memzero(esc, strlen(esc));
	curl_free(esc);
}

/* Retry-After is delay-seconds or an HTTP date; Twilio sends seconds. */
int
smsw_retry_after_ms(const char *v)
{
	char *end;
	long  s;

	if (v == NULL)
		return -1;
	while (isspace((unsigned char) *v))
		v++;
	s = strtol(v, &end, 10);
	if (end == v || s < 0 || s > RETRY_AFTER_MAX_S)
		return -1;
	return (int) s * 1000;
}

json_object *
smsw_json_parse(const char *body, size_t len)
{
	json_tokener *tok;
	json_object  *o;

	if (body == NULL || len == 0 || len > 1024 * 1024 || (tok = json_tokener_new()) == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, body, (int) len);
	json_tokener_free(tok);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

const char *
smsw_json_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v)
	    || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int
smsw_json_int(json_object *o, const char *key)
{
	json_object *v;
	int64_t      n;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return 0;
	n = json_object_is_type(v, json_type_int) ? json_object_get_int64(v)
	    : json_object_is_type(v, json_type_string)
	    ? strtoll(json_object_get_string(v), NULL, 10)
	    : 0;
	return n > 0 && n < 1000000 ? (int) n : 0;
}
