/* twsig.c: Twilio's request signature (X-Twilio-Signature) and the form bodies it covers. The
 * signature is HMAC-SHA1, which libsodium lacks, so OpenSSL computes it; the comparison is
 * libsodium's constant-time one. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "common/strbuf.h"
#include "twsig.h"

#define FORM_MAX_FIELDS 128

/* Percent-decodes s[0..len) with '+' as a space; malloc'd. */
static char *
form_decode(const char *s, size_t len)
{
	char *plus, *out;
	int   outlen = 0;

	if (len > INT32_MAX || (plus = malloc(len + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
		plus[i] = s[i] == '+' ? ' ' : s[i];
	plus[len] = '\0';
	out       = curl_easy_unescape(NULL, plus, (int) len, &outlen);
	free(plus);
	if (out == NULL)
		return NULL;
	/* A %00 would cut the value short later; refuse it instead. */
	if (strlen(out) != (size_t) outlen) {
		curl_free(out);
		return NULL;
	}
	/* curl's allocation must go back to curl_free; hand out our own copy. */
	plus = strdup(out);
	curl_free(out);
	return plus;
}

pa_err
smsw_form_parse(const char *body, size_t len, struct smsw_form *f)
{
	const char *p = body, *end = body + len;

	*f = (struct smsw_form) { 0 };
	if ((f->key = calloc(FORM_MAX_FIELDS, sizeof *f->key)) == NULL
	    || (f->value = calloc(FORM_MAX_FIELDS, sizeof *f->value)) == NULL)
		goto out_nomem;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t) (end - p)), *eq;

		if (amp == NULL)
			amp = end;
		if (amp > p) {
			if (f->n == FORM_MAX_FIELDS) {
				smsw_form_free(f);
				return PA_ELIMIT;
			}
			eq = memchr(p, '=', (size_t) (amp - p));
			if (eq == NULL)
				eq = amp;
			f->key[f->n] = form_decode(p, (size_t) (eq - p));
			f->value[f->n]
			    = eq < amp ? form_decode(eq + 1, (size_t) (amp - eq - 1)) : strdup("");
			if (f->key[f->n] == NULL || f->value[f->n] == NULL) {
				f->n++;
				smsw_form_free(f);
				return PA_EINVAL;
			}
			f->n++;
		}
		p = amp + 1;
	}
	return PA_OK;
out_nomem:
	smsw_form_free(f);
	return PA_ENOMEM;
}

void
smsw_form_free(struct smsw_form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->key[i]);
		free(f->value[i]);
	}
	free(f->key);
	free(f->value);
	*f = (struct smsw_form) { 0 };
}

const char *
smsw_form_get(const struct smsw_form *f, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->key[i], key) == 0)
			return f->value[i];
	return NULL;
}

static int
pair_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	int                c = strcmp(x[0], y[0]);

	return c != 0 ? c : strcmp(x[1], y[1]);
}

/* The raw 20-byte HMAC over url and the sorted pairs. */
static pa_err
twsig_mac(const char *token, const char *url, const struct smsw_form *f,
    unsigned char mac[EVP_MAX_MD_SIZE], unsigned *maclen)
{
	const char     **pairs = NULL;
	struct pa_strbuf data  = { 0 };
	pa_err           rv    = PA_ENOMEM;

	if (f->n > 0 && (pairs = calloc(f->n * 2, sizeof *pairs)) == NULL)
		return PA_ENOMEM;
	for (size_t i = 0; i < f->n; i++) {
		pairs[2 * i]     = f->key[i];
		pairs[2 * i + 1] = f->value[i];
	}
	if (f->n > 1)
		qsort(pairs, f->n, 2 * sizeof *pairs, pair_cmp);
	pa_strbuf_append(&data, url, strlen(url));
	for (size_t i = 0; i < f->n; i++) {
		if (i > 0 && pair_cmp(&pairs[2 * i], &pairs[2 * (i - 1)]) == 0)
			continue;
		pa_strbuf_append(&data, pairs[2 * i], strlen(pairs[2 * i]));
		pa_strbuf_append(&data, pairs[2 * i + 1], strlen(pairs[2 * i + 1]));
	}
	if (!data.oom
	    && HMAC(EVP_sha1(), token, (int) strlen(token), (const unsigned char *) data.data,
	           data.len, mac, maclen)
	        != NULL
	    && *maclen == 20)
		rv = PA_OK;
	pa_strbuf_free(&data);
	free(pairs);
	return rv;
}

pa_err
smsw_twsig_compute(const char *token, const char *url, const struct smsw_form *f, char out[29])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned      maclen = 0;
	pa_err        rv;

	if ((rv = twsig_mac(token, url, f, mac, &maclen)) != PA_OK)
		return rv;
	(void) sodium_bin2base64(out, 29, mac, maclen, sodium_base64_VARIANT_ORIGINAL);
	return PA_OK;
}

static bool
twsig_match(
    const char *token, const char *url, const struct smsw_form *f, const unsigned char want[20])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned      maclen = 0;

	return twsig_mac(token, url, f, mac, &maclen) == PA_OK && sodium_memcmp(mac, want, 20) == 0;
}

/* url with ":443"/":80" inserted after the host when it has no port, or removed when it has the
 * scheme's default one; NULL when neither applies. */
static char *
url_port_variant(const char *url)
{
	bool        https = strncmp(url, "https://", 8) == 0;
	const char *host  = strstr(url, "://"), *end, *colon;
	const char *port  = https ? ":443" : ":80";
	char       *v;

	if (host == NULL)
		return NULL;
	host += 3;
	end   = host + strcspn(host, "/?#");
	colon = memchr(host, ':', (size_t) (end - host));
	if ((v = malloc(strlen(url) + 8)) == NULL)
		return NULL;
	if (colon == NULL) {
		(void) memcpy(v, url, (size_t) (end - url));
		(void) strcpy(v + (end - url), port);
		(void) strcat(v, end);
	} else if ((size_t) (end - colon) == strlen(port)
	    && strncmp(colon, port, strlen(port)) == 0) {
		(void) memcpy(v, url, (size_t) (colon - url));
		(void) strcpy(v + (colon - url), end);
	} else {
		free(v);
		return NULL;
	}
	return v;
}

bool
smsw_twsig_check(const char *token, const char *url, const struct smsw_form *f, const char *sig)
{
	unsigned char want[20];
	size_t        wantlen = 0;
	char         *variant;
	bool          ok;

	if (sig == NULL || token == NULL || strlen(sig) != 28
	    || sodium_base642bin(
	           want, sizeof want, sig, 28, NULL, &wantlen, NULL, sodium_base64_VARIANT_ORIGINAL)
	        != 0
	    || wantlen != sizeof want)
		return false;
	if (twsig_match(token, url, f, want))
		return true;
	variant = url_port_variant(url);
	ok      = variant != NULL && twsig_match(token, variant, f, want);
	free(variant);
	return ok;
}
