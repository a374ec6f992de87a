/* vcheck.c: the worker's check socket and its threads (vcheck.h). Each thread owns an NNG
 * context on the one REP socket, so checks run side by side; each check is one blocking POST,
 * whose form, answer and the typed code are wiped as soon as the answer is read. */
#include "vcheck.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <sodium.h>

#include "common/log.h"
#include "common/metrics.h"
#include "common/nngutil.h"
#include "common/phone.h"
#include "common/strbuf.h"
#include "common/tls.h"
#include "common/vcheck.h"
#include "verify.h"
#include "xfer.h"

#define THREADS 4
#define RECV_POLL_MS 500 /* how soon a thread sees the stop */
#define REPLY_MAX (64 * 1024)

struct smsw_vcheck {
	const struct smsw_config *cfg;
	struct pa_vcheck_keys     keys;
	nng_socket                sock;
	atomic_bool               stop;
	char                      url[512]; /* .../VerificationCheck */
	const char               *user, *pass;
	pthread_t                 threads[THREADS];
	int                       nthreads;
};

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct pa_strbuf *b = arg;

	if (b->len + size * n > REPLY_MAX)
		return 0;
	pa_strbuf_append(b, data, size * n);
	return b->oom ? 0 : size * n;
}

/* One VerificationCheck POST; out->http_status 0 when Twilio did not answer. */
static void
post_check(
    struct smsw_vcheck *v, const struct pa_vcheck_request *req, struct pa_vcheck_response *out)
{
	const struct smsw_config *c    = v->cfg;
	struct pa_strbuf          form = { .secret = true }, reply = { .secret = true };
	struct curl_slist        *hdrs = NULL;
	CURL                     *e    = NULL;
	long                      http = 0;
	bool                      ok   = false;

	*out = (struct pa_vcheck_response) { 0 };
	if (smsw_verify_check_form(req, &form) != PA_OK || (e = curl_easy_init()) == NULL
	    || (hdrs = curl_slist_append(NULL, "Accept: application/json")) == NULL)
		goto done;
	ok = smsw_xfer_setopts(e, c, v->url, v->user, v->pass, hdrs)
	    && curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_WRITEDATA, &reply) == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long) form.len) == CURLE_OK
	    && curl_easy_setopt(e, CURLOPT_POSTFIELDS, form.data) == CURLE_OK;
	if (ok && curl_easy_perform(e) == CURLE_OK)
		(void) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &http);
	smsw_verify_check_answer(http, reply.data, reply.len, out);
done:
	if (e != NULL)
		curl_easy_cleanup(e);
	curl_slist_free_all(hdrs);
	pa_strbuf_free(&form);
	pa_strbuf_free(&reply);
}

/* Answers one message; a request that does not open is dropped (the context's next receive
 * discards it), so a peer without the token learns nothing. */
static void
serve(struct smsw_vcheck *v, nng_ctx ctx, nng_aio *aio, nng_msg *m)
{
	struct pa_vcheck_request  req;
	struct pa_vcheck_response rep;
	unsigned char             id[PA_VCHECK_ID_BYTES], out[PA_VCHECK_REP_WIRE];
	char                      masked[PA_PHONE_MASK_MAX];
	uint64_t                  t0 = pa_now_ns();
	bool                      by_to;
	int                       rv;

	if (pa_vcheck_open_request(&req, id, &v->keys, nng_msg_body(m), nng_msg_len(m)) != PA_OK) {
		pa_log_warn("verify_check_refused",
		    "bytes=%zu note=\"not sealed with "
		    "PHONEAUTH_VERIFY_CHECK_TOKEN\"",
		    nng_msg_len(m));
		nng_msg_free(m);
		return;
	}
	nng_msg_free(m);
	post_check(v, &req, &rep);
	by_to = req.to[0] != '\0';
	if (by_to)
		(void) pa_phone_mask(req.to, masked);
	sodium_memzero(&req, sizeof req);
	pa_log_info("verify_checked",
	    "phone=%s sid=%s http_status=%d status=%s error_code=%d ms=%llu", by_to ? masked : "-",
	    rep.sid[0] ? rep.sid : "-", rep.http_status, rep.status[0] ? rep.status : "-",
	    rep.error_code, (unsigned long long) ((pa_now_ns() - t0) / 1000000u));
	if (pa_vcheck_seal_response(out, &v->keys, id, &rep) != PA_OK
	    || (rv = nng_msg_alloc(&m, 0)) != 0 || (rv = nng_msg_append(m, out, sizeof out)) != 0) {
		pa_log_warn("verify_check_unanswered", "error=%s", "seal_or_memory");
		return;
	}
	nng_aio_set_msg(aio, m);
	nng_aio_set_timeout(aio, 5000);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		nng_msg_free(nng_aio_get_msg(aio));
		pa_log_warn("verify_check_unanswered", "error=\"%s\"", nng_strerror(rv));
	}
}

static void *
thread_main(void *arg)
{
	struct smsw_vcheck *v = arg;
	nng_ctx             ctx;
	nng_aio            *aio;
	int                 rv;

	if ((rv = nng_ctx_open(&ctx, v->sock)) != 0
	    || (rv = nng_aio_alloc(&aio, NULL, NULL)) != 0) {
		pa_log_error("verify_check_thread_failed", "error=\"%s\"", nng_strerror(rv));
		return NULL;
	}
	while (!atomic_load(&v->stop)) {
		nng_aio_set_timeout(aio, RECV_POLL_MS);
		nng_ctx_recv(ctx, aio);
		nng_aio_wait(aio);
		rv = nng_aio_result(aio);
		if (rv == NNG_ETIMEDOUT)
			continue;
		if (rv != 0)
			break; /* closed */
		serve(v, ctx, aio, nng_aio_get_msg(aio));
	}
	nng_aio_free(aio);
	(void) nng_ctx_close(ctx);
	return NULL;
}

static int
dial_all(struct smsw_vcheck *v)
{
	const struct smsw_config *c    = v->cfg;
	const struct pa_tls_opts  tls  = { .cert_file = c->tls_cert,
		  .key_file                           = c->tls_key,
		  .ca_file                            = c->tls_ca,
		  .server_name                        = c->tls_server_name };
	char                     *list = strdup(c->verify_check_urls), *save = NULL;
	char                      err[300], val[320];
	int                       rv = 0;

	if (list == NULL)
		return NNG_ENOMEM;
	for (char *u = strtok_r(list, ",", &save); u != NULL && rv == 0;
	     u       = strtok_r(NULL, ",", &save)) {
		nng_dialer d;

		if ((rv = nng_dialer_create(&d, v->sock, u)) != 0) {
			pa_log_error("start_failed", "verify_check_url=%s error=\"%s\"", u,
			    nng_strerror(rv));
		} else if (strncmp(u, "tls+tcp://", 10) == 0
		    && pa_tls_apply_dialer(&d, &tls, err, sizeof err) != PA_OK) {
			pa_log_error("start_failed", "verify_check_url=%s error=%s", u,
			    pa_log_value(val, sizeof val, err));
			rv = NNG_EINVAL;
		} else if ((rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK)) != 0) {
			/* Non-blocking: an auth instance not up yet is dialed again later. */
			pa_log_error("start_failed", "verify_check_url=%s error=\"%s\"", u,
			    nng_strerror(rv));
		}
	}
	free(list);
	return rv;
}

pa_err
smsw_vcheck_start(struct smsw_vcheck **out, const struct smsw_config *c)
{
	struct smsw_vcheck *v;
	bool                key;

	*out = NULL;
	if (!smsw_config_verify_on(c))
		return PA_OK;
	if ((v = calloc(1, sizeof *v)) == NULL)
		return PA_ENOMEM;
	v->cfg  = c;
	key     = c->api_key != NULL && *c->api_key != '\0';
	v->user = key ? c->api_key : c->account_sid;
	v->pass = key ? c->api_secret : c->auth_token;
	if (pa_vcheck_keys_derive(&v->keys, c->verify_check_token) != PA_OK
	    || (size_t) snprintf(v->url, sizeof v->url, "%s/v2/Services/%s/VerificationCheck",
	           c->verify_base, c->verify_service_sid)
	        >= sizeof v->url) {
		free(v);
		return PA_EINVAL;
	}
	if (nng_rep0_open(&v->sock) != 0) {
		pa_vcheck_keys_wipe(&v->keys);
		free(v);
		return PA_EUNAVAILABLE;
	}
	if (nng_socket_set_ms(v->sock, NNG_OPT_RECONNMAXT, 2000) != 0 || dial_all(v) != 0) {
		smsw_vcheck_stop(v);
		return PA_EUNAVAILABLE;
	}
	for (int i = 0; i < THREADS; i++) {
		if (pthread_create(&v->threads[i], NULL, thread_main, v) != 0)
			break;
		v->nthreads++;
	}
	if (v->nthreads == 0) {
		smsw_vcheck_stop(v);
		return PA_ENOMEM;
	}
	*out = v;
	return PA_OK;
}

void
smsw_vcheck_stop(struct smsw_vcheck *v)
{
	if (v == NULL)
		return;
	atomic_store(&v->stop, true);
	for (int i = 0; i < v->nthreads; i++)
		pthread_join(v->threads[i], NULL);
	(void) pa_nng_close_bounded(v->sock, 1000);
	pa_vcheck_keys_wipe(&v->keys);
	free(v);
}
