/* echo.h: the bare NNG baseline for Health: a REP server that answers every request from its
 * NNG callback with a fixed-size reply (no decoding, no worker thread), and a client that sends
 * fixed-size requests on one REQ socket per thread. What phoneauth adds on top (envelopes,
 * protobuf, the worker pool hop, a context per call) is the difference. */
#ifndef PHONEAUTH_BENCH_ECHO_H
#define PHONEAUTH_BENCH_ECHO_H

#include <stddef.h>

#include "common/err.h"
#include "load.h"

struct bench_echo_server;

/* Listens on url with `contexts` requests received at once; each reply is reply_bytes long. */
pa_err bench_echo_serve(struct bench_echo_server **out, const char *url, unsigned contexts,
    size_t reply_bytes, char *err, size_t errsz) PA_MUSTCHECK;
void   bench_echo_stop(struct bench_echo_server *s); /* NULL is a no-op */

/* The conn_arg of bench_echo_open. */
struct bench_echo_target {
	const char *url;
	size_t      request_bytes;
	int         timeout_ms;
};

/* A REQ socket dialled to target->url, proven with one round trip (up to 10 s). */
void *bench_echo_open(void *target, unsigned thread);
void  bench_echo_close(void *conn);
/* One request of request_bytes and its reply; returns 0 (OK) or BENCH_NO_REPLY. */
int bench_echo_call(void *conn, void *arg, const struct bench_req *r);

#endif
