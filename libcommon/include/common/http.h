/* http.h: the small HTTP endpoints of both services (/healthz, /metrics, Twilio's status
 * callbacks) on NNG's HTTP server. */
#ifndef PHONEAUTH_COMMON_HTTP_H
#define PHONEAUTH_COMMON_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/strbuf.h"

struct pa_http;
struct pa_workq;

struct pa_http_request {
	const char *method;
	const char *uri; /* path and query as sent */
	const char *body; /* collected body (POST), not NUL-terminated */
	size_t      body_len;
	void       *nng_req; /* for pa_http_header() */
};

#define PA_HTTP_MAX_HEADERS 4

struct pa_http_response {
	int              status; /* 200 unless the handler says otherwise */
	const char      *content_type;
	struct pa_strbuf body;
	/* Extra headers (name, value); the strings must outlive the handler call: use literals or
	 * the hbuf scratch space. */
	struct {
		const char *name, *value;
	} headers[PA_HTTP_MAX_HEADERS];
	unsigned nheaders;
	char     hbuf[128];
};

/* Fills res. Handlers registered with blocking=false run on an NNG thread and must not
 * block; blocking ones run on the queue given to pa_http_new, whose thread state is passed. */
typedef void pa_http_handler_fn(
    void *state, const struct pa_http_request *req, struct pa_http_response *res, void *arg);

/* Prepares a server on addr ("127.0.0.1:7480"). blocking_q may be NULL when no handler
 * blocks; it must outlive the server. Nothing listens until pa_http_start(). */
pa_err pa_http_new(
    struct pa_http **out, const char *addr, struct pa_workq *blocking_q) PA_MUSTCHECK;

/* Routes an exact path and method to fn. Call before pa_http_start(). */
pa_err pa_http_route(struct pa_http *h, const char *method, const char *path,
    pa_http_handler_fn *fn, void *arg, bool blocking) PA_MUSTCHECK;

/* Like pa_http_route, for every path under prefix ("/a/b" serves "/a/b/c"); req->uri tells
 * which. */
pa_err pa_http_route_tree(struct pa_http *h, const char *method, const char *prefix,
    pa_http_handler_fn *fn, void *arg, bool blocking) PA_MUSTCHECK;

pa_err pa_http_start(struct pa_http *h) PA_MUSTCHECK;

/* Stops listening and closes connections; no handler starts after it. Call it before freeing
 * the blocking queue, then pa_http_free. NULL is a no-op. */
void pa_http_stop(struct pa_http *h);

/* Stops listening (if still) and frees h; NULL is a no-op. */
void pa_http_free(struct pa_http *h);

/* A request header, or NULL. */
const char *pa_http_header(const struct pa_http_request *req, const char *name);

/* Runs a blocking HTTP job; pass it as the workq's run function when the queue serves
 * only HTTP. */
void pa_http_run_job(void *state, void *job);

#endif
