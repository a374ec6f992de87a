/* captcha.c: siteverify over libcurl (easy interface: the call's worker thread waits, outside any
 * transaction, for at most the timeout). */
#include "captcha.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "common/log.h"
#include "common/strbuf.h"

#define CAPTCHA_ANSWER_MAX 8192 /* a siteverify answer is a few hundred bytes */

const char *
auth_captcha_default_url(const char *provider)
{
	if (strcmp(provider, "turnstile") == 0)
		return "https://challenges.cloudflare.com/turnstile/v0/siteverify";
	if (strcmp(provider, "hcaptcha") == 0)
		return "https://api.hcaptcha.com/siteverify";
	return NULL;
}

struct answer {
	char   buf[CAPTCHA_ANSWER_MAX];
	size_t len;
	bool   too_big;
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct answer *a = arg;
	size_t         n = size * nmemb;

	if (n >= sizeof a->buf - a->len) {
		a->too_big = true;
		return 0; /* ends the transfer with CURLE_WRITE_ERROR */
	}
	memcpy(a->buf + a->len, data, n);
	a->len += n;
	a->buf[a->len] = '\0';
	return n;
}

/* "name=escaped(value)" appended to form with a leading '&' unless it is the first. */
static bool
form_add(CURL *h, struct pa_strbuf *form, const char *name, const char *value)
{
	char *esc = curl_easy_escape(h, value, 0);
	bool  ok  = esc != NULL;

	if (ok)
		pa_strbuf_printf(form, "%s%s=%s", form->len > 0 ? "&" : "", name, esc);
	curl_free(esc);
	return ok;
}

static enum auth_captcha_verdict
read_answer(const struct answer *a)
{
	json_object              *root = json_tokener_parse(a->buf), *success;
	enum auth_captcha_verdict v    = AUTH_CAPTCHA_UNAVAILABLE;

	if (root != NULL && json_object_is_type(root, json_type_object)
	    && json_object_object_get_ex(root, "success", &success)
	    && json_object_is_type(success, json_type_boolean))
		v = json_object_get_boolean(success) ? AUTH_CAPTCHA_PASSED : AUTH_CAPTCHA_FAILED;
	json_object_put(root);
	return v;
}

enum auth_captcha_verdict
auth_captcha_verify(
    const char *url, const char *secret, const char *token, const char *remoteip, int timeout_s)
{
	static struct answer      zero;
	struct answer            *a    = malloc(sizeof *a);
	struct pa_strbuf          form = { .secret = true }; /* it holds the secret */
	enum auth_captcha_verdict v    = AUTH_CAPTCHA_UNAVAILABLE;
	CURL                     *h    = curl_easy_init();
	CURLcode                  cc;
	long                      status = 0;

	if (a == NULL || h == NULL)
		goto out;
	*a = zero;
	if (!form_add(h, &form, "secret", secret) || !form_add(h, &form, "response", token)
	    || (remoteip != NULL && remoteip[0] != '\0'
	        && !form_add(h, &form, "remoteip", remoteip))
	    || form.oom)
		goto out;
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK
	    || curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.data) != CURLE_OK
	    || curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long) form.len) != CURLE_OK
	    || curl_easy_setopt(h, CURLOPT_TIMEOUT, (long) timeout_s) != CURLE_OK
	    || curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long) timeout_s) != CURLE_OK
	    || curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK
	    || curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK
	    || curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK
	    || curl_easy_setopt(h, CURLOPT_WRITEDATA, a) != CURLE_OK)
		goto out;
	if ((cc = curl_easy_perform(h)) != CURLE_OK) {
		pa_log_warn("captcha_unavailable", "error=\"%s\"", curl_easy_strerror(cc));
		goto out;
	}
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200) {
		pa_log_warn("captcha_unavailable", "status=%ld", status);
		goto out;
	}
	if ((v = read_answer(a)) == AUTH_CAPTCHA_UNAVAILABLE)
		pa_log_warn("captcha_unavailable", "error=\"answer without a boolean success\"");
out:
	curl_easy_cleanup(h);
	pa_strbuf_free(&form);
	free(a);
	return v;
}
