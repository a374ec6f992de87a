/* echo.c: the bare NNG REQ/REP baseline (see echo.h). The server is NNG's async demo: a context
 * and an aio per request in flight, the reply sent from the receive callback. */
#include "echo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "common/metrics.h"
#include "common/nngutil.h"

enum echo_state { ECHO_RECV, ECHO_SEND };

struct echo_call {
	struct bench_echo_server *srv;
	nng_ctx                   ctx;
	nng_aio                  *aio;
	enum echo_state           state;
};

struct bench_echo_server {
	nng_socket        sock;
	size_t            reply_bytes;
	unsigned          ncalls;
	struct echo_call *calls;
};

static void
echo_cb(void *arg)
{
	struct echo_call *c  = arg;
	int               rv = nng_aio_result(c->aio);
	nng_msg          *msg;

	if (rv != 0) {
		if (c->state == ECHO_SEND)
			nng_msg_free(nng_aio_get_msg(c->aio)); /* a failed send leaves it ours */
		if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
			return;
	} else if (c->state == ECHO_RECV) {
		msg = nng_aio_get_msg(c->aio);
		/* Same size as the reply being compared with; the content does not matter. */
		if (nng_msg_realloc(msg, c->srv->reply_bytes) == 0) {
			c->state = ECHO_SEND;
			nng_aio_set_msg(c->aio, msg);
			nng_ctx_send(c->ctx, c->aio);
			return;
		}
		nng_msg_free(msg);
	}
	c->state = ECHO_RECV;
	nng_ctx_recv(c->ctx, c->aio);
}

pa_err
bench_echo_serve(struct bench_echo_server **out, const char *url, unsigned contexts,
    size_t reply_bytes, char *err, size_t errsz)
{
	struct bench_echo_server *s = calloc(1, sizeof *s);
	int                       rv;

	if (s == NULL || (s->calls = calloc(contexts, sizeof *s->calls)) == NULL) {
		free(s);
		return PA_ENOMEM;
	}
	s->reply_bytes = reply_bytes;
	if ((rv = nng_rep0_open(&s->sock)) != 0) {
		(void) snprintf(err, errsz, "nng_rep0_open: %s", nng_strerror(rv));
		free(s->calls);
		free(s);
		return PA_EIO;
	}
	for (; s->ncalls < contexts; s->ncalls++) {
		struct echo_call *c = &s->calls[s->ncalls];

		c->srv = s;
		if ((rv = nng_ctx_open(&c->ctx, s->sock)) != 0)
			break;
		if ((rv = nng_aio_alloc(&c->aio, echo_cb, c)) != 0) {
			(void) nng_ctx_close(c->ctx);
			break;
		}
	}
	if (rv == 0 && (rv = nng_listen(s->sock, url, NULL, 0)) == 0) {
		for (unsigned i = 0; i < s->ncalls; i++) {
			s->calls[i].state = ECHO_RECV;
			nng_ctx_recv(s->calls[i].ctx, s->calls[i].aio);
		}
		*out = s;
		return PA_OK;
	}
	(void) snprintf(err, errsz, "echo server on %s: %s", url, nng_strerror(rv));
	bench_echo_stop(s);
	return PA_EIO;
}

void
bench_echo_stop(struct bench_echo_server *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->ncalls; i++)
		nng_aio_stop(s->calls[i].aio);
	for (unsigned i = 0; i < s->ncalls; i++) {
		(void) nng_ctx_close(s->calls[i].ctx);
		nng_aio_free(s->calls[i].aio);
	}
	(void) pa_nng_close_bounded(s->sock, 1000);
	free(s->calls);
	free(s);
}

struct echo_conn {
	nng_socket sock;
	size_t     request_bytes;
};

/* One request and its reply on c; 0 or an NNG error. */
static int
roundtrip(struct echo_conn *c)
{
	nng_msg *msg;
	int      rv;

	if ((rv = nng_msg_alloc(&msg, c->request_bytes)) != 0)
		return rv;
	memset(nng_msg_body(msg), 'x', c->request_bytes);
	if ((rv = nng_sendmsg(c->sock, msg, 0)) != 0) {
		nng_msg_free(msg);
		return rv;
	}
	if ((rv = nng_recvmsg(c->sock, &msg, 0)) != 0)
		return rv;
	nng_msg_free(msg);
	return 0;
}

void *
bench_echo_open(void *arg, unsigned thread)
{
	const struct bench_echo_target *t     = arg;
	struct echo_conn               *c     = calloc(1, sizeof *c);
	uint64_t                        until = pa_now_ns() + 10ull * 1000000000u;

	(void) thread;
	if (c == NULL)
		return NULL;
	c->request_bytes = t->request_bytes;
	/* As the phoneauth client does: no resends, a bounded wait. */
	if (nng_req0_open(&c->sock) != 0) {
		free(c);
		return NULL;
	}
	if (nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE) != 0
	    || nng_socket_set_ms(c->sock, NNG_OPT_RECVTIMEO, t->timeout_ms) != 0
	    || nng_socket_set_ms(c->sock, NNG_OPT_SENDTIMEO, t->timeout_ms) != 0
	    || nng_dial(c->sock, t->url, NULL, NNG_FLAG_NONBLOCK) != 0)
		goto out_close;
	while (pa_now_ns() < until)
		if (roundtrip(c) == 0)
			return c;
out_close:
	bench_echo_close(c);
	return NULL;
}

void
bench_echo_close(void *conn)
{
	struct echo_conn *c = conn;

	if (c == NULL)
		return;
	(void) pa_nng_close_bounded(c->sock, 1000);
	free(c);
}

int
bench_echo_call(void *conn, void *arg, const struct bench_req *r)
{
	(void) arg;
	(void) r;
	return roundtrip(conn) == 0 ? 0 : BENCH_NO_REPLY;
}
