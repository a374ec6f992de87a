/* rpc.h: serving protobuf RPCs over NNG REQ/REP. The server keeps many contexts receiving at once
 * and runs handlers on two bounded worker pools (fast, and slow for Argon2), so a slow login never
 * stalls a cheap call. A service is a method table: each method names its pool and a handler
 * that returns its answer. The wire format is rpc_envelope.h's; the client is rpc_client.h. */
#ifndef PHONEAUTH_COMMON_RPC_H
#define PHONEAUTH_COMMON_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common/err.h"
#include "common/rpc_envelope.h"
#include "common/strbuf.h"
#include "common/workq.h"

struct pa_tls_opts;

/* One request being served. */
struct pa_rpc_call;

/* What a handler (or the authorize hook) decided: the status of the reply. A zeroed result is
 * OK with no message. message must outlive the call (static text or the service's policy); it
 * is copied into the reply. defer is for inline handlers only (see PA_RPC_INLINE). */
struct pa_rpc_result {
	pa_code     code;
	pa_reason   reason;
	const char *message;
	uint32_t    retry_after_s; /* 0: not applicable */
	bool        has_attempts_left;
	uint32_t    attempts_left;
	bool        defer;
};

/* OK with the user-facing message msg (NULL: none). */
static inline struct pa_rpc_result
pa_rpc_ok(const char *msg)
{
	return (struct pa_rpc_result) { .message = msg };
}

/* A refusal: code and reason with the message the site shows the person. */
static inline struct pa_rpc_result
pa_rpc_fail(pa_code code, pa_reason reason, const char *msg)
{
	return (struct pa_rpc_result) { .code = code, .reason = reason, .message = msg };
}

/* The answer for a pa_err from a library: UNAVAILABLE (DATABASE_UNAVAILABLE) for a lost
 * database, else INTERNAL. Never OK, even for PA_OK. */
struct pa_rpc_result pa_rpc_fail_err(pa_err err);

/* The handler contract.
 * - Runs on a worker thread of the method's pool, which owns state (what worker_init returned:
 *   e.g. a database connection); or, for an inline method, first on NNG's receiving thread with
 *   state NULL, where it must not block and may return .defer = true to be run again on a fast
 *   worker.
 * - in is the decoded request, valid until the handler returns.
 * - out is the method's response message, initialised (protobuf_c_message_init) in memory the
 *   call owns. Whatever it points to must stay valid after the handler returns: static data,
 *   data the service owns, or memory from pa_rpc_call_alloc / pa_rpc_call_strdup. Never the
 *   handler's stack.
 * - The returned result is the reply's status; out is packed and sent only when it is OK.
 * - The adapter in the server sends exactly one reply per call, whatever the handler does. */
typedef struct pa_rpc_result pa_rpc_handler_fn(
    struct pa_rpc_call *call, void *state, const void *in, void *out);

/* Runs once per call before the handler, on the thread that runs it (state as the handler's:
 * NULL on NNG's thread): a result that is not OK is the answer and the handler does not run. */
typedef struct pa_rpc_result pa_rpc_authorize_fn(struct pa_rpc_call *call, void *state, void *arg);

/* Where a method runs. */
enum pa_rpc_pool {
	PA_RPC_FAST, /* the fast pool: database work */
	PA_RPC_SLOW, /* the slow pool (Argon2), at a lower CPU priority */
	PA_RPC_INLINE, /* first on NNG's receiving thread (answers from memory), else as FAST */
};

/* Room for a caller key, its NUL included. */
#define PA_RPC_KEY_MAX 64

/* Names who a call comes from for admission to the slow pool (e.g. the end user's IP, as the
 * service trusts it), writing at most PA_RPC_KEY_MAX bytes to key; runs on NNG's receiving thread
 * before the call is queued, so it must not block. Returns key. */
typedef const char *pa_rpc_key_fn(struct pa_rpc_call *call, void *arg, char key[PA_RPC_KEY_MAX]);

struct pa_rpc_method {
	const char        *name; /* "StartSignup", as in the service descriptor */
	enum pa_rpc_pool   pool;
	pa_rpc_handler_fn *handler;
};

/* A service: the descriptor and one method entry for each of its methods (the server refuses to
 * start when one is missing, unknown or named twice). */
struct pa_rpc_service {
	const ProtobufCServiceDescriptor *desc;
	const struct pa_rpc_method       *methods;
	size_t                            n_methods;
	pa_rpc_authorize_fn              *authorize; /* optional */
	void *arg; /* for authorize, slow_key, pa_rpc_call_service_arg */
	/* Optional: the slow pool admits at most pa_rpc_server_opts.slow_per_key calls (waiting or
	 * running) per key; the next one is answered slow_key_refusal at once. */
	pa_rpc_key_fn       *slow_key;
	struct pa_rpc_result slow_key_refusal;
};

/* --- For handlers and the authorize hook (on the thread that runs the call). --- */

/* Never NULL (an empty message when the caller sent none). */
const Phoneauth__V1__CallerMetadata *pa_rpc_call_caller(const struct pa_rpc_call *c);
const char                          *pa_rpc_call_request_id(const struct pa_rpc_call *c);
/* "StartSignup" */
const char *pa_rpc_call_method(const struct pa_rpc_call *c);
/* The service's arg (struct pa_rpc_service.arg): what an inline handler, which has no worker
 * state, reaches the service's data through. */
void *pa_rpc_call_service_arg(const struct pa_rpc_call *c);
/* Zeroed memory that lives until the call's reply is sent, then is wiped and freed; NULL when
 * out of memory. */
void *pa_rpc_call_alloc(struct pa_rpc_call *c, size_t size);
/* A copy of s in the call's memory ("" for NULL); NULL when out of memory. */
char *pa_rpc_call_strdup(struct pa_rpc_call *c, const char *s);

/* --- The server --- */

struct pa_rpc_server_opts {
	const char *url; /* tcp://, ipc:// or tls+tcp:// */
	const char *name; /* label in metrics and logs: "auth", "admin" */
	size_t      max_msg_bytes; /* larger requests are refused by the transport */
	unsigned    contexts; /* requests received at once */
	unsigned    fast_workers;
	unsigned    slow_workers;
	unsigned    queue_capacity; /* waiting calls per pool; beyond: RESOURCE_EXHAUSTED */
	/* Slow calls in the server (waiting or running) per caller key (the service's slow_key) and
	 * in all; beyond: the service's slow_key_refusal, or RESOURCE_EXHAUSTED (OVERLOADED) with
	 * retry_after_s 1. Both are checked before a call is queued, so a flood from one key never
	 * fills the slow queue. 0: no such cap. */
	unsigned          slow_per_key;
	unsigned          slow_in_flight;
	pa_workq_init_fn *worker_init; /* per worker thread: returns its state (DB connection) */
	pa_workq_fini_fn *worker_fini;
	void             *worker_arg;
	const struct pa_tls_opts *tls; /* for tls+tcp:// URLs; NULL otherwise */
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

#endif
