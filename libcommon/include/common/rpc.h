/* rpc.h: protobuf RPCs over NNG REQ/REP. The server keeps many contexts receiving at once and
 * runs handlers on two bounded worker pools (fast, and slow for Argon2), so a slow login never
 * stalls a cheap call; the client is a blocking call with a timeout, safe from many threads. */
#ifndef PHONEAUTH_COMMON_RPC_H
#define PHONEAUTH_COMMON_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common/err.h"
#include "common/strbuf.h"
#include "common/workq.h"
#include "phoneauth/v1/rpc.pb-c.h"

struct pa_tls_opts;

typedef Phoneauth__V1__Code   pa_code;
typedef Phoneauth__V1__Reason pa_reason;

#define PA_RPC_DEFAULT_MAX_MSG (64 * 1024)

/* One request being served; handlers get it as protobuf-c's closure_data. */
struct pa_rpc_call;

/* Runs on a worker before the handler; returns false after failing the call (it is then
 * answered without running the handler). */
typedef bool pa_rpc_authorize_fn(struct pa_rpc_call *call, void *arg);

struct pa_rpc_service {
	ProtobufCService    *service;      /* generated service filled with handlers */
	const char *const   *slow_methods; /* NULL-terminated method names for the slow pool */
	/* NULL-terminated method names whose handlers are first run on NNG's receiving thread, to
	 * answer from memory without a worker's hand-off (see pa_rpc_call_inline). */
	const char *const   *inline_methods;
	pa_rpc_authorize_fn *authorize;    /* optional */
	void                *arg;
};

struct pa_rpc_server_opts {
	const char       *url;           /* tcp://, ipc:// or tls+tcp:// */
	const char       *name;          /* label in metrics and logs: "auth", "admin" */
	size_t            max_msg_bytes; /* larger requests are refused by the transport */
	unsigned          contexts;      /* requests received at once */
	unsigned          fast_workers;
	unsigned          slow_workers;
	unsigned          queue_capacity; /* waiting calls per pool; beyond: RESOURCE_EXHAUSTED */
	pa_workq_init_fn *worker_init;    /* per worker thread: returns its state (DB connection) */
	pa_workq_fini_fn *worker_fini;
	void             *worker_arg;
	const struct pa_tls_opts *tls;    /* for tls+tcp:// URLs; NULL otherwise */
};

struct pa_rpc_server;

/* Starts listening and serving. On failure err says why in one line. */
pa_err pa_rpc_server_start(struct pa_rpc_server **out, const struct pa_rpc_server_opts *opts,
    const struct pa_rpc_service *svc, char *err, size_t errsz) PA_MUSTCHECK;

/* Drains: stops taking connections, answers new requests UNAVAILABLE, finishes every queued
 * call and sends its reply, then closes everything and frees srv. NULL is a no-op. Returns
 * PA_ETIMEDOUT when NNG would not close the socket within a second (a known NNG deadlock); the
 * server is then left allocated and the caller should simply exit. */
pa_err pa_rpc_server_stop(struct pa_rpc_server *srv);

/* Prometheus text for this server's calls, latencies and pool depths (a metrics writer). */
void pa_rpc_server_write_metrics(struct pa_strbuf *out, void *srv);

/* What the server makes of the bytes of one received request before a worker takes it. */
struct pa_rpc_request {
	Phoneauth__V1__RequestEnvelope  *env;     /* NULL when the bytes are not an envelope */
	const ProtobufCMethodDescriptor *method;  /* one of the service's; NULL when unknown */
	pa_code                          code;    /* OK: queue it; else answer with the next two */
	pa_reason                        reason;
	const char                      *message; /* static user-facing text; "" when OK */
};

/* Decodes data[0..len) as a RequestEnvelope for the service desc and checks it: the method must
 * be "/<desc->name>/<Method>" for one of desc's methods, and a deadline, when set, must be later
 * than now_ms (unix ms). Always fills *out; out->env, when not NULL, is the caller's to release
 * with pa_rpc_request_clear. Neither the payload nor the caller metadata is looked at here (the
 * worker decodes the one, the service's authorize hook and handlers check the other), and the
 * size limit is the transport's (max_msg_bytes). The server calls this for every request it
 * receives. Never blocks; thread-safe. */
void pa_rpc_request_decode(struct pa_rpc_request *out, const ProtobufCServiceDescriptor *desc,
    const void *data, size_t len, int64_t now_ms);

/* Frees r->env and clears *r. */
void pa_rpc_request_clear(struct pa_rpc_request *r);

/* --- For handlers (on the worker thread that runs the call, or inline: see below). --- */

/* The worker state worker_init returned. */
void *pa_rpc_call_state(const struct pa_rpc_call *c);
/* Never NULL (an empty message when the caller sent none). */
const Phoneauth__V1__CallerMetadata *pa_rpc_call_caller(const struct pa_rpc_call *c);
const char *pa_rpc_call_request_id(const struct pa_rpc_call *c);
/* True while an inline method's handler runs on NNG's receiving thread: there is no worker
 * state (pa_rpc_call_state is NULL), and it must not block. */
bool pa_rpc_call_inline(const struct pa_rpc_call *c);
/* From an inline handler that cannot answer without blocking: it returns without calling its
 * closure, and the call goes to a worker, which runs the authorized handler again. */
void pa_rpc_call_defer(struct pa_rpc_call *c);
/* "StartSignup" */
const char *pa_rpc_call_method(const struct pa_rpc_call *c);

/* Marks the call failed; the handler then calls its closure with NULL. message is copied and
 * is what the site shows the person. */
void pa_rpc_call_fail(struct pa_rpc_call *c, pa_code code, pa_reason reason, const char *message);
/* Fails the call for a pa_err from a library: UNAVAILABLE for a lost database, else INTERNAL. */
void pa_rpc_call_fail_err(struct pa_rpc_call *c, pa_err err);
/* The user-facing message of a successful reply (copied). */
void pa_rpc_call_set_message(struct pa_rpc_call *c, const char *message);
void pa_rpc_call_set_retry_after(struct pa_rpc_call *c, uint32_t seconds);
void pa_rpc_call_set_attempts_left(struct pa_rpc_call *c, uint32_t n);

/* --- Client --- */

struct pa_client;

struct pa_client_opts {
	const char               *url;
	int                       timeout_ms;   /* per call; 0 = 5000 */
	const char               *client_token; /* optional */
	const char               *admin_token;  /* optional */
	const struct pa_tls_opts *tls;          /* for tls+tcp:// */
};

/* Opens a REQ socket and dials in the background (the service need not be up yet). */
pa_err pa_client_open(struct pa_client **out, const struct pa_client_opts *opts) PA_MUSTCHECK;
void   pa_client_close(struct pa_client *c);

struct pa_reply {
	pa_code           code;
	pa_reason         reason;
	char             *message;   /* malloc'd, never NULL after a call that returned PA_OK */
	uint32_t          retry_after_s;
	bool              has_attempts_left;
	uint32_t          attempts_left;
	ProtobufCMessage *body;      /* the decoded response when code is OK, else NULL */
};

/* Calls method ("/phoneauth.v1.Auth/Health") with req and waits for the reply. PA_OK means a
 * reply arrived (look at out->code); PA_ETIMEDOUT when none came in time; PA_EPROTO for a reply
 * that does not decode. caller may be NULL. Safe to call from many threads at once. */
pa_err pa_client_call(struct pa_client *c, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *resp_desc, const Phoneauth__V1__CallerMetadata *caller,
    struct pa_reply *out) PA_MUSTCHECK;

/* Frees what a call put in r. */
void pa_reply_clear(struct pa_reply *r);

/* "INVALID_ARGUMENT" for a code, "BAD_PAYLOAD" for a reason. */
const char *pa_code_name(pa_code code);
const char *pa_reason_name(pa_reason reason);

#endif
