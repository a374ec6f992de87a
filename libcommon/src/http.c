/* http.c: NNG HTTP server wrapper. Non-blocking handlers answer inside NNG's callback; blocking
 * ones are handed to a work queue and finish the aio from there. */
#include "common/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "common/workq.h"

#define HTTP_MAX_BODY (64 * 1024)
#define HTTP_MAX_ROUTES 16

struct http_route {
	struct pa_http     *http;
	pa_http_handler_fn *fn;
	void               *arg;
	bool                blocking;
};

struct pa_http {
	nng_http_server  *srv;
	nng_url          *url;
	struct pa_workq  *q;
	unsigned          nroutes;
	bool              stopped;
	struct http_route routes[HTTP_MAX_ROUTES];
};

struct http_job {
	struct http_route *route;
	nng_aio           *aio;
	nng_http_req      *req;
};

static void
http_serve(void *state, struct http_route *route, nng_aio *aio, nng_http_req *nreq)
{
	struct pa_http_request  req = { 0 };
	struct pa_http_response res
	    = { .status = 200, .content_type = "text/plain; charset=utf-8" };
	nng_http_res *nres;
	void         *body = NULL;
	size_t        len  = 0;
	int           rv;

	nng_http_req_get_data(nreq, &body, &len);
	req.method   = nng_http_req_get_method(nreq);
	req.uri      = nng_http_req_get_uri(nreq);
	req.body     = body;
	req.body_len = len;
	req.nng_req  = nreq;
	route->fn(state, &req, &res, route->arg);

	if ((rv = nng_http_res_alloc(&nres)) != 0) {
		pa_strbuf_free(&res.body);
		nng_aio_finish(aio, rv);
		return;
	}
	rv = nng_http_res_set_status(nres, (uint16_t) res.status);
	if (rv == 0)
		rv = nng_http_res_set_header(nres, "Content-Type", res.content_type);
	for (unsigned i = 0; rv == 0 && i < res.nheaders && i < PA_HTTP_MAX_HEADERS; i++)
		rv = nng_http_res_set_header(nres, res.headers[i].name, res.headers[i].value);
	if (rv == 0 && res.body.oom)
		rv = NNG_ENOMEM;
	if (rv == 0 && res.body.len > 0)
		rv = nng_http_res_copy_data(nres, res.body.data, res.body.len);
	else if (rv == 0)
		/* NNG sends no length for an empty body, and clients then wait for more. */
		rv = nng_http_res_set_header(nres, "Content-Length", "0");
	pa_strbuf_free(&res.body);
	if (rv != 0) {
		nng_http_res_free(nres);
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_set_output(aio, 0, nres);
	nng_aio_finish(aio, 0);
}

void
pa_http_run_job(void *state, void *job)
{
	struct http_job *j = job;

	http_serve(state, j->route, j->aio, j->req);
	free(j);
}

static void
http_cb(nng_aio *aio)
{
	nng_http_req      *req   = nng_aio_get_input(aio, 0);
	nng_http_handler  *h     = nng_aio_get_input(aio, 1);
	struct http_route *route = nng_http_handler_get_data(h);
	struct http_job   *job;

	if (!route->blocking) {
		http_serve(NULL, route, aio, req);
		return;
	}
	if ((job = malloc(sizeof *job)) == NULL) {
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	*job = (struct http_job) { .route = route, .aio = aio, .req = req };
	if (pa_workq_push(route->http->q, job) != PA_OK) {
		nng_http_res *res;

		free(job);
		/* Busy: a 503 tells Twilio to retry the callback later. */
		if (nng_http_res_alloc_error(&res, 503) != 0) {
			nng_aio_finish(aio, NNG_ENOMEM);
			return;
		}
		nng_aio_set_output(aio, 0, res);
		nng_aio_finish(aio, 0);
	}
}

pa_err
pa_http_new(struct pa_http **out, const char *addr, struct pa_workq *blocking_q)
{
	struct pa_http *h;
	char            url[300];

	if ((size_t) snprintf(url, sizeof url, "http://%s", addr) >= sizeof url)
		return PA_EINVAL;
	if ((h = calloc(1, sizeof *h)) == NULL)
		return PA_ENOMEM;
	h->q = blocking_q;
	if (nng_url_parse(&h->url, url) != 0) {
		free(h);
		return PA_EINVAL;
	}
	if (nng_http_server_hold(&h->srv, h->url) != 0) {
		nng_url_free(h->url);
		free(h);
		return PA_EIO;
	}
	*out = h;
	return PA_OK;
}

static pa_err
http_route(struct pa_http *h, const char *method, const char *path, pa_http_handler_fn *fn,
    void *arg, bool blocking, bool tree)
{
	struct http_route *r;
	nng_http_handler  *nh;

	if (h->nroutes == HTTP_MAX_ROUTES || (blocking && h->q == NULL))
		return PA_EINVAL;
	r  = &h->routes[h->nroutes];
	*r = (struct http_route) { .http = h, .fn = fn, .arg = arg, .blocking = blocking };
	if (nng_http_handler_alloc(&nh, path, http_cb) != 0)
		return PA_ENOMEM;
	if (nng_http_handler_set_method(nh, method) != 0
	    || nng_http_handler_collect_body(nh, true, HTTP_MAX_BODY) != 0
	    || nng_http_handler_set_data(nh, r, NULL) != 0
	    || (tree && nng_http_handler_set_tree(nh) != 0)
	    || nng_http_server_add_handler(h->srv, nh) != 0) {
		nng_http_handler_free(nh);
		return PA_EINVAL;
	}
	h->nroutes++;
	return PA_OK;
}

pa_err
pa_http_route(struct pa_http *h, const char *method, const char *path, pa_http_handler_fn *fn,
    void *arg, bool blocking)
{
	return http_route(h, method, path, fn, arg, blocking, false);
}

pa_err
pa_http_route_tree(struct pa_http *h, const char *method, const char *prefix,
    pa_http_handler_fn *fn, void *arg, bool blocking)
{
	return http_route(h, method, prefix, fn, arg, blocking, true);
}

pa_err
pa_http_start(struct pa_http *h)
{
	return nng_http_server_start(h->srv) == 0 ? PA_OK : PA_EIO;
}

void
pa_http_stop(struct pa_http *h)
{
	if (h != NULL && !h->stopped) {
		h->stopped = true;
		nng_http_server_stop(h->srv);
	}
}

void
pa_http_free(struct pa_http *h)
{
	if (h == NULL)
		return;
	pa_http_stop(h);
	nng_http_server_release(h->srv);
	nng_url_free(h->url);
	free(h);
}

const char *
pa_http_header(const struct pa_http_request *req, const char *name)
{
	return nng_http_req_get_header(req->nng_req, name);
}
