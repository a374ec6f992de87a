/* xfer.c: libcurl transfers to Twilio's Messages API, many in flight over reused connections.
 * The form body is not copied by curl (CURLOPT_POSTFIELDS), so the only copy of the code is
 * ours and is wiped as soon as the answer is read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "common/metrics.h"
#include "twilio.h"
#include "verify.h"
#include "xfer.h"

#define RESPONSE_MAX (256 * 1024)

struct smsw_http {
	const struct smsw_config *cfg;
	CURLM                    *multi;
	const char               *user, *pass;
	char                      messages_url[512];
	char                      verify_url[512]; /* .../Verifications; "" when Verify is off */
	int                       active;
};

pa_err
smsw_http_new(struct smsw_http **out, const struct smsw_config *c)
{
	struct smsw_http *h = calloc(1, sizeof *h);
	bool              key;

	if (h == NULL)
		return PA_ENOMEM;
	h->cfg = c;
	if ((h->multi = curl_multi_init()) == NULL) {
		free(h);
		return PA_ENOMEM;
	}
	if (curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long) c->concurrency)
	        != CURLM_OK
	    || curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long) c->concurrency) != CURLM_OK
	    || curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX) != CURLM_OK) {
		smsw_http_free(h);
		return PA_EINVAL;
	}
	if (strcmp(c->backend, "console") == 0) {
		*out = h;
		return PA_OK;
	}
	/* An API key authenticates as itself; the account stays in the URL. */
	key     = c->api_key != NULL && *c->api_key != '\0';
	h->user = key ? c->api_key : c->account_sid;
	h->pass = key ? c->api_secret : c->auth_token;
	if ((size_t) snprintf(h->messages_url, sizeof h->messages_url,
	        "%s/2010-04-01/Accounts/%s/Messages", c->api_base, c->account_sid)
	    >= sizeof h->messages_url - 48) {
		smsw_http_free(h);
		return PA_EINVAL;
	}
	if (smsw_config_verify_on(c)
	    && (size_t) snprintf(h->verify_url, sizeof h->verify_url,
	           "%s/v2/Services/%s/Verifications", c->verify_base, c->verify_service_sid)
	        >= sizeof h->verify_url) {
		smsw_http_free(h);
		return PA_EINVAL;
	}
	*out = h;
	return PA_OK;
}

void
smsw_http_free(struct smsw_http *h)
{
	if (h == NULL)
		return;
	if (h->multi != NULL)
		(void) curl_multi_cleanup(h->multi);
	free(h);
}

struct smsw_xfer *
smsw_xfer_new(enum smsw_xfer_kind kind)
{
	struct smsw_xfer *x = calloc(1, sizeof *x);

	if (x == NULL)
		return NULL;
	x->kind         = kind;
	x->form.secret  = true;
	x->reply.secret = true;
	return x;
}

void
smsw_xfer_wipe(struct smsw_xfer *x)
{
	pa_strbuf_free(&x->form);
	pa_strbuf_free(&x->reply);
	if (x->job.body != NULL) {
		sodium_memzero(x->job.body, x->job.body_len);
		free(x->job.body);
		x->job.body = NULL;
	}
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	x->easy = NULL;
}

void
smsw_xfer_free(struct smsw_xfer *x)
{
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	pa_strbuf_free(&x->form);
	pa_strbuf_free(&x->reply);
	smsw_job_clear(&x->job);
	free(x);
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct smsw_xfer *x = arg;

	if (x->reply.len + size * n > RESPONSE_MAX)
		return 0; /* aborts the transfer: no Twilio reply is this big */
	pa_strbuf_append(&x->reply, data, size * n);
	return x->reply.oom ? 0 : size * n;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct smsw_xfer *x   = arg;
	size_t            len = size * n;

	if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		size_t v
		    = len - 12 < sizeof x->retry_after - 1 ? len - 12 : sizeof x->retry_after - 1;

		memcpy(x->retry_after, data + 12, v);
		x->retry_after[v] = '\0';
	}
	return len;
}

/* The URL and, for a send, the form. */
static pa_err
prepare(struct smsw_http *h, struct smsw_xfer *x)
{
	int n;

	if (x->kind == SMSW_XFER_GET) {
		n = snprintf(x->url, sizeof x->url, "%s/%s.json", h->messages_url, x->sid);
		return n < 0 || (size_t) n >= sizeof x->url ? PA_EINVAL : PA_OK;
	}
	if (x->kind == SMSW_XFER_FEEDBACK) {
		n = snprintf(x->url, sizeof x->url, "%s/%s/Feedback.json", h->messages_url, x->sid);
		if (n < 0 || (size_t) n >= sizeof x->url)
			return PA_EINVAL;
		return smsw_twilio_feedback_form(&x->form);
	}
	if (strcmp(x->job.kind, "verify") == 0) {
		/* Twilio Verify makes and sends the code (verify.h). */
		if (h->verify_url[0] == '\0')
			return PA_EINVAL;
		(void) snprintf(x->url, sizeof x->url, "%s", h->verify_url);
		return smsw_verify_start_form(&x->job, &x->form);
	}
	/* Cannot overflow: smsw_http_new checked the length. */
	n = snprintf(x->url, sizeof x->url, "%s.json", h->messages_url);
	if (n < 0 || (size_t) n >= sizeof x->url)
		return PA_EINVAL;
	return smsw_twilio_form(h->cfg, &x->job, x->job.ttl_left_s, &x->form);
}

bool
smsw_xfer_setopts(CURL *e, const struct smsw_config *c, const char *url, const char *user,
    const char *pass, struct curl_slist *headers)
{
	return curl_easy_setopt(e, CURLOPT_URL, url) == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http") == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK
	    && (c->ca_file == NULL || *c->ca_file == '\0'
	        || curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file) == CURLE_OK)
	    && curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long) c->connect_timeout_s * 1000L)
	    == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long) c->request_timeout_s * 1000L)
	    == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_USERAGENT, "phoneauth-sms-worker/" PHONEAUTH_VERSION)
	    == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC) == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_USERNAME, user) == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_PASSWORD, pass) == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers) == CURLE_OK;
}

pa_err
smsw_xfer_start(struct smsw_http *h, struct smsw_xfer *x)
{
	const struct smsw_config *c = h->cfg;
	CURL                     *e;
	bool                      ok;
	pa_err                    rv;

	if ((rv = prepare(h, x)) != PA_OK)
		return rv;
	if ((e = x->easy = curl_easy_init()) == NULL)
		return PA_ENOMEM;
	if ((x->headers = curl_slist_append(NULL, "Accept: application/json")) == NULL)
		return PA_ENOMEM;
	ok = smsw_xfer_setopts(e, c, x->url, h->user, h->pass, x->headers)
	    && curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_WRITEDATA, x) == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_HEADERDATA, x) == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_PRIVATE, x) == CURLE_OK;
	if (ok && x->kind != SMSW_XFER_GET)
		ok = curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long) x->form.len) == CURLE_OK
		    && curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->form.data) == CURLE_OK;
	if (!ok)
		return PA_EINVAL;
	x->started_ns = pa_now_ns();
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
		return PA_EIO;
	h->active++;
	return PA_OK;
}

int
smsw_http_active(const struct smsw_http *h)
{
	return h->active;
}

pa_err
smsw_http_perform(struct smsw_http *h)
{
	int running = 0;

	return curl_multi_perform(h->multi, &running) == CURLM_OK ? PA_OK : PA_EIO;
}

void
smsw_http_poll(struct smsw_http *h, int ms)
{
	(void) curl_multi_poll(h->multi, NULL, 0, ms, NULL);
}

void
smsw_http_wakeup(struct smsw_http *h)
{
	/* curl_multi_wakeup is safe from any thread: it ends the loop's poll early. */
	(void) curl_multi_wakeup(h->multi);
}

struct smsw_xfer *
smsw_http_done(struct smsw_http *h, CURLcode *cc, long *http_status)
{
	CURLMsg *m;
	int      left;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct smsw_xfer *x = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		*cc          = m->data.result;
		*http_status = 0;
		(void) curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &x);
		if (*cc == CURLE_OK)
			(void) curl_easy_getinfo(
			    m->easy_handle, CURLINFO_RESPONSE_CODE, http_status);
		(void) curl_multi_remove_handle(h->multi, m->easy_handle);
		h->active--;
		return x;
	}
	return NULL;
}
