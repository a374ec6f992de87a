/* rpc_server.c: the REP side. NNG callbacks only decode the envelope, check the deadline and
 * queue the call; workers (which own a PostgreSQL connection each) run handlers and send replies.
 * A method marked inline is first offered to its handler on the NNG callback itself, which
 * answers from memory or defers it to a worker. */
#define _DEFAULT_SOURCE /* syscall(SYS_gettid) */
#include "common/rpc.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "common/log.h"
#include "common/metrics.h"
#include "common/nngutil.h"
#include "common/tls.h"

#define RPC_NCODES 17
#define RPC_DRAIN_WAIT_MS 2000

enum call_state { CALL_RECV, CALL_WORK, CALL_SEND };

struct pa_rpc_call {
	struct pa_rpc_server                  *srv;
	nng_ctx                                ctx;
	nng_aio                               *aio;
	enum call_state                        state;
	Phoneauth__V1__RequestEnvelope        *env;
	const ProtobufCMethodDescriptor       *method;
	unsigned                               method_index; /* n_methods = no method */
	bool                                   slow;
	bool                                   inline_run; /* handler runs on NNG's thread */
	bool                                   deferred;   /* ... and sent the call to a worker */
	bool                                   authorized; /* the authorize hook said yes */
	uint64_t                               t_start;
	void                                  *worker_state;
	/* What the handler decided. */
	pa_code                                code;
	pa_reason                              reason;
	char                                   message[512];
	uint32_t                               retry_after_s;
	bool                                   has_attempts_left;
	uint32_t                               attempts_left;
	uint8_t                               *payload;
	size_t                                 payload_len;
	bool                                   closure_called;
};

struct pa_rpc_server {
	struct pa_rpc_server_opts      opts;
	struct pa_rpc_service          svc;
	const ProtobufCServiceDescriptor *desc;
	nng_socket                     sock;
	nng_listener                   listener;
	struct pa_rpc_call            *calls;
	unsigned                       ncalls;
	struct pa_workq               *fast, *slow;
	pthread_mutex_t                mtx; /* guards stopping against pushes to freed queues */
	atomic_bool                    stopping; /* set under mtx; read without it inline */
	atomic_uint                    sending;
	atomic_uint_fast64_t         (*count)[RPC_NCODES]; /* [method][code] */
	struct pa_hist                *latency;            /* [method] */
	bool                          *is_slow;            /* [method] */
	bool                          *is_inline;          /* [method] */
	atomic_uint_fast64_t          *inline_count;       /* [method]: answered inline */
};

static const Phoneauth__V1__CallerMetadata no_caller = PHONEAUTH__V1__CALLER_METADATA__INIT;

static void call_cb(void *arg);

/* --- request envelopes --- */

static bool
envelope_expired(const Phoneauth__V1__RequestEnvelope *env, int64_t now_ms)
{
	return env->deadline_unix_ms != 0 && env->deadline_unix_ms <= now_ms;
}

static void
request_refuse(struct pa_rpc_request *r, pa_code code, pa_reason reason, const char *message)
{
	r->code    = code;
	r->reason  = reason;
	r->message = message;
}

void
pa_rpc_request_decode(struct pa_rpc_request *out, const ProtobufCServiceDescriptor *desc,
    const void *data, size_t len, int64_t now_ms)
{
	size_t      nlen = strlen(desc->name);
	const char *path;

	*out = (struct pa_rpc_request) { .code = PHONEAUTH__V1__CODE__OK,
		.reason = PHONEAUTH__V1__REASON__REASON_UNSPECIFIED, .message = "" };
	out->env = phoneauth__v1__request_envelope__unpack(NULL, len, data);
	if (out->env == NULL) {
		request_refuse(out, PHONEAUTH__V1__CODE__INVALID_ARGUMENT,
		    PHONEAUTH__V1__REASON__BAD_ENVELOPE, "The request envelope could not be decoded.");
		return;
	}
	/* "/phoneauth.v1.Auth/StartSignup": the package-qualified service, then the method. A
	 * matching prefix guarantees path holds at least nlen + 1 characters before its NUL. */
	path = out->env->method;
	if (path[0] == '/' && strncmp(path + 1, desc->name, nlen) == 0 && path[1 + nlen] == '/')
		out->method = protobuf_c_service_descriptor_get_method_by_name(desc, path + 2 + nlen);
	if (out->method == NULL) {
		request_refuse(out, PHONEAUTH__V1__CODE__UNIMPLEMENTED,
		    PHONEAUTH__V1__REASON__UNKNOWN_METHOD, "Unknown method.");
		return;
	}
	if (envelope_expired(out->env, now_ms))
		request_refuse(out, PHONEAUTH__V1__CODE__DEADLINE_EXCEEDED,
		    PHONEAUTH__V1__REASON__DEADLINE_PASSED, "The request took too long.");
}

void
pa_rpc_request_clear(struct pa_rpc_request *r)
{
	if (r->env != NULL)
		phoneauth__v1__request_envelope__free_unpacked(r->env, NULL);
	*r = (struct pa_rpc_request) { .env = NULL };
}

/* --- reply --- */

static void
call_reset(struct pa_rpc_call *c)
{
	if (c->env != NULL)
		phoneauth__v1__request_envelope__free_unpacked(c->env, NULL);
	free(c->payload);
	c->env               = NULL;
	c->payload           = NULL;
	c->payload_len       = 0;
	c->method            = NULL;
	c->method_index      = c->srv->desc->n_methods;
	c->code              = PHONEAUTH__V1__CODE__OK;
	c->reason            = PHONEAUTH__V1__REASON__REASON_UNSPECIFIED;
	c->message[0]        = '\0';
	c->retry_after_s     = 0;
	c->has_attempts_left = false;
	c->closure_called    = false;
	c->inline_run        = false;
	c->deferred          = false;
	c->authorized        = false;
	c->worker_state      = NULL;
}

static void
call_arm_recv(struct pa_rpc_call *c)
{
	call_reset(c);
	c->state = CALL_RECV;
	nng_ctx_recv(c->ctx, c->aio);
}

/* Packs the envelope and sends it; on any failure the request is dropped (the client times out)
 * and the context receives again. */
static void
call_send_reply(struct pa_rpc_call *c)
{
	struct pa_rpc_server            *srv = c->srv;
	Phoneauth__V1__ResponseEnvelope  env = PHONEAUTH__V1__RESPONSE_ENVELOPE__INIT;
	Phoneauth__V1__Count             left = PHONEAUTH__V1__COUNT__INIT;
	nng_msg                         *msg;
	size_t                           len;
	unsigned                         code = (unsigned) c->code < RPC_NCODES ? (unsigned) c->code : 2;

	atomic_fetch_add_explicit(&srv->count[c->method_index][code], 1, memory_order_relaxed);
	pa_hist_observe_ns(&srv->latency[c->method_index], pa_now_ns() - c->t_start);

	env.request_id    = c->env != NULL ? c->env->request_id : (char *) "";
	env.code          = c->code;
	env.reason        = c->reason;
	env.message       = c->message;
	env.retry_after_s = c->retry_after_s;
	if (c->has_attempts_left) {
		left.value        = c->attempts_left;
		env.attempts_left = &left;
	}
	if (c->code == PHONEAUTH__V1__CODE__OK && c->payload != NULL) {
		env.payload.data = c->payload;
		env.payload.len  = c->payload_len;
	}
	len = phoneauth__v1__response_envelope__get_packed_size(&env);
	if (nng_msg_alloc(&msg, len) != 0) {
		call_arm_recv(c);
		return;
	}
	(void) phoneauth__v1__response_envelope__pack(&env, nng_msg_body(msg));
	c->state = CALL_SEND;
	atomic_fetch_add(&srv->sending, 1);
	nng_aio_set_msg(c->aio, msg);
	nng_ctx_send(c->ctx, c->aio);
}

static void
call_reply_status(struct pa_rpc_call *c, pa_code code, pa_reason reason, const char *message)
{
	pa_rpc_call_fail(c, code, reason, message);
	call_send_reply(c);
}

/* --- handler side --- */

void *
pa_rpc_call_state(const struct pa_rpc_call *c)
{
	return c->worker_state;
}

const Phoneauth__V1__CallerMetadata *
pa_rpc_call_caller(const struct pa_rpc_call *c)
{
	return c->env != NULL && c->env->caller != NULL ? c->env->caller : &no_caller;
}

const char *
pa_rpc_call_request_id(const struct pa_rpc_call *c)
{
	return c->env != NULL ? c->env->request_id : "";
}

bool
pa_rpc_call_inline(const struct pa_rpc_call *c)
{
	return c->inline_run;
}

void
pa_rpc_call_defer(struct pa_rpc_call *c)
{
	/* On a worker there is nowhere to defer to: the missing closure then answers INTERNAL. */
	if (c->inline_run)
		c->deferred = true;
}

const char *
pa_rpc_call_method(const struct pa_rpc_call *c)
{
	return c->method != NULL ? c->method->name : "";
}

void
pa_rpc_call_fail(struct pa_rpc_call *c, pa_code code, pa_reason reason, const char *message)
{
	c->code   = code;
	c->reason = reason;
	(void) snprintf(c->message, sizeof c->message, "%s", message ? message : "");
}

void
pa_rpc_call_fail_err(struct pa_rpc_call *c, pa_err err)
{
	if (err == PA_EUNAVAILABLE)
		pa_rpc_call_fail(c, PHONEAUTH__V1__CODE__UNAVAILABLE,
		    PHONEAUTH__V1__REASON__DATABASE_UNAVAILABLE,
		    "The service is temporarily unavailable. Please try again shortly.");
	else
		pa_rpc_call_fail(c, PHONEAUTH__V1__CODE__INTERNAL,
		    PHONEAUTH__V1__REASON__INTERNAL_ERROR, "Something went wrong. Please try again.");
}

void
pa_rpc_call_set_message(struct pa_rpc_call *c, const char *message)
{
	(void) snprintf(c->message, sizeof c->message, "%s", message ? message : "");
}

void
pa_rpc_call_set_retry_after(struct pa_rpc_call *c, uint32_t seconds)
{
	c->retry_after_s = seconds;
}

void
pa_rpc_call_set_attempts_left(struct pa_rpc_call *c, uint32_t n)
{
	c->has_attempts_left = true;
	c->attempts_left     = n;
}

static void
call_closure(const ProtobufCMessage *msg, void *data)
{
	struct pa_rpc_call *c = data;
	size_t              len;

	c->closure_called = true;
	if (c->code != PHONEAUTH__V1__CODE__OK)
		return;
	if (msg == NULL) {
		pa_rpc_call_fail(c, PHONEAUTH__V1__CODE__INTERNAL,
		    PHONEAUTH__V1__REASON__INTERNAL_ERROR, "Something went wrong. Please try again.");
		return;
	}
	len = protobuf_c_message_get_packed_size(msg);
	if ((c->payload = malloc(len ? len : 1)) == NULL) {
		pa_rpc_call_fail_err(c, PA_ENOMEM);
		return;
	}
	c->payload_len = protobuf_c_message_pack(msg, c->payload);
}

/* Checks the call and runs its handler; false when an inline handler deferred it (nothing is
 * decided yet, and a worker runs it again). */
static bool
call_run(struct pa_rpc_call *c)
{
	struct pa_rpc_server *srv = c->srv;
	ProtobufCMessage     *in;

	if (envelope_expired(c->env, pa_unix_ms())) {
		pa_rpc_call_fail(c, PHONEAUTH__V1__CODE__DEADLINE_EXCEEDED,
		    PHONEAUTH__V1__REASON__DEADLINE_PASSED, "The request took too long.");
		return true;
	}
	if (!c->authorized) {
		if (srv->svc.authorize != NULL && !srv->svc.authorize(c, srv->svc.arg))
			return true;
		c->authorized = true;
	}
	in = protobuf_c_message_unpack(c->method->input, NULL, c->env->payload.len,
	    c->env->payload.data);
	if (in == NULL) {
		pa_rpc_call_fail(c, PHONEAUTH__V1__CODE__INVALID_ARGUMENT,
		    PHONEAUTH__V1__REASON__BAD_PAYLOAD, "The request could not be decoded.");
		return true;
	}
	srv->svc.service->invoke(srv->svc.service, c->method_index, in, call_closure, c);
	protobuf_c_message_free_unpacked(in, NULL);
	if (c->deferred && !c->closure_called && c->code == PHONEAUTH__V1__CODE__OK)
		return false;
	if (!c->closure_called && c->code == PHONEAUTH__V1__CODE__OK)
		pa_rpc_call_fail(c, PHONEAUTH__V1__CODE__INTERNAL,
		    PHONEAUTH__V1__REASON__INTERNAL_ERROR, "Something went wrong. Please try again.");
	return true;
}

/* Worker thread: may block. */
static void
call_work(void *state, void *job)
{
	struct pa_rpc_call *c = job;

	c->worker_state = state;
	(void) call_run(c);
	call_send_reply(c);
}

/* NNG's callback thread, for an inline method: true when the handler answered (the reply is on
 * its way), false when it deferred to a worker. Draining answers as a worker would. */
static bool
call_try_inline(struct pa_rpc_call *c)
{
	struct pa_rpc_server *srv = c->srv;

	if (!srv->is_inline[c->method_index] || atomic_load(&srv->stopping))
		return false;
	c->inline_run = true;
	if (!call_run(c)) {
		c->inline_run = false;
		c->deferred   = false;
		return false;
	}
	c->inline_run = false;
	atomic_fetch_add_explicit(&srv->inline_count[c->method_index], 1, memory_order_relaxed);
	call_send_reply(c);
	return true;
}

/* --- NNG side: never blocks --- */

static void
call_received(struct pa_rpc_call *c)
{
	struct pa_rpc_server  *srv = c->srv;
	nng_msg               *msg = nng_aio_get_msg(c->aio);
	struct pa_rpc_request  req;
	struct pa_workq       *q;
	pa_err                 rv;

	c->t_start = pa_now_ns();
	pa_rpc_request_decode(&req, srv->desc, nng_msg_body(msg), nng_msg_len(msg), pa_unix_ms());
	nng_msg_free(msg);
	c->env = req.env; /* the call owns it now: call_reset frees it */
	if (req.method != NULL) {
		c->method       = req.method;
		c->method_index = (unsigned) (req.method - srv->desc->methods);
	}
	if (req.code != PHONEAUTH__V1__CODE__OK) {
		call_reply_status(c, req.code, req.reason, req.message);
		return;
	}
	if (call_try_inline(c))
		return;
	q        = srv->is_slow[c->method_index] ? srv->slow : srv->fast;
	c->state = CALL_WORK;
	pthread_mutex_lock(&srv->mtx);
	rv = srv->stopping ? PA_ECLOSED : pa_workq_push(q, c);
	pthread_mutex_unlock(&srv->mtx);
	if (rv == PA_ECLOSED)
		call_reply_status(c, PHONEAUTH__V1__CODE__UNAVAILABLE,
		    PHONEAUTH__V1__REASON__SHUTTING_DOWN, "The service is shutting down.");
	else if (rv != PA_OK)
		call_reply_status(c, PHONEAUTH__V1__CODE__RESOURCE_EXHAUSTED,
		    PHONEAUTH__V1__REASON__OVERLOADED, "The service is busy. Please try again.");
}

static void
call_cb(void *arg)
{
	struct pa_rpc_call *c  = arg;
	int                 rv = nng_aio_result(c->aio);

	switch (c->state) {
	case CALL_RECV:
		if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
			return;
		if (rv != 0) {
			call_arm_recv(c);
			return;
		}
		call_received(c);
		return;
	case CALL_SEND:
		atomic_fetch_sub(&c->srv->sending, 1);
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(c->aio)); /* a failed send leaves it ours */
		if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
			return;
		call_arm_recv(c);
		return;
	case CALL_WORK:
		break;
	}
}

/* --- lifecycle --- */

/* Sets flags[m] for each named method; false when a name is not one of the service's. */
static bool
method_flags(struct pa_rpc_server *srv, const char *const *names, bool *flags)
{
	for (const char *const *s = names; s != NULL && *s != NULL; s++) {
		const ProtobufCMethodDescriptor *m =
		    protobuf_c_service_descriptor_get_method_by_name(srv->desc, *s);

		if (m == NULL)
			return false;
		flags[m - srv->desc->methods] = true;
	}
	return true;
}

static pa_err
server_alloc_tables(struct pa_rpc_server *srv)
{
	unsigned n = srv->desc->n_methods + 1; /* + one row for calls with no method */

	srv->count   = calloc(n, sizeof *srv->count);
	srv->latency = calloc(n, sizeof *srv->latency);
	srv->is_slow = calloc(n, sizeof *srv->is_slow);
	srv->is_inline    = calloc(n, sizeof *srv->is_inline);
	srv->inline_count = calloc(n, sizeof *srv->inline_count);
	srv->calls   = calloc(srv->opts.contexts, sizeof *srv->calls);
	if (!srv->count || !srv->latency || !srv->is_slow || !srv->is_inline ||
	    !srv->inline_count || !srv->calls)
		return PA_ENOMEM;
	if (!method_flags(srv, srv->svc.slow_methods, srv->is_slow) ||
	    !method_flags(srv, srv->svc.inline_methods, srv->is_inline))
		return PA_EINVAL;
	return PA_OK;
}

/* A server whose socket would not close stays here, reachable, for the rest of the process. */
static struct pa_rpc_server *abandoned_servers[8];
static atomic_uint           nabandoned;

/* Frees srv; PA_ETIMEDOUT when NNG would not close the socket (srv is then kept). */
static pa_err
server_free(struct pa_rpc_server *srv)
{
	for (unsigned i = 0; i < srv->ncalls; i++) {
		struct pa_rpc_call *c = &srv->calls[i];

		nng_aio_stop(c->aio);
	}
	for (unsigned i = 0; i < srv->ncalls; i++) {
		struct pa_rpc_call *c = &srv->calls[i];

		(void) nng_ctx_close(c->ctx);
		nng_aio_free(c->aio);
		call_reset(c);
	}
	if (!pa_nng_close_bounded(srv->sock, 1000)) {
		unsigned slot = atomic_fetch_add(&nabandoned, 1);

		if (slot < sizeof abandoned_servers / sizeof abandoned_servers[0])
			abandoned_servers[slot] = srv;
		return PA_ETIMEDOUT;
	}
	pthread_mutex_destroy(&srv->mtx);
	free(srv->calls);
	free(srv->count);
	free(srv->latency);
	free(srv->is_slow);
	free(srv->is_inline);
	free(srv->inline_count);
	free(srv);
	return PA_OK;
}

/* Slow-pool threads run at a lower priority (nice 10): with as many Argon2 threads as cores, a
 * fast-pool thread that wakes for a cheap call would otherwise wait a whole time slice for a
 * CPU (bench/: Health p99 2.6-4.9x while logins saturated the pool). Only this thread changes:
 * on Linux setpriority on a thread id is per thread. A refusal leaves it at normal priority. */
static void *
slow_worker_init(void *arg)
{
	struct pa_rpc_server *srv = arg;

	if (setpriority(PRIO_PROCESS, (id_t) syscall(SYS_gettid), 10) != 0)
		pa_log_debug("slow_pool_nice_failed", "errno=%d", errno);
	return srv->opts.worker_init != NULL ? srv->opts.worker_init(srv->opts.worker_arg) : NULL;
}

static void
slow_worker_fini(void *state, void *arg)
{
	struct pa_rpc_server *srv = arg;

	if (srv->opts.worker_fini != NULL)
		srv->opts.worker_fini(state, srv->opts.worker_arg);
}

pa_err
pa_rpc_server_start(struct pa_rpc_server **out, const struct pa_rpc_server_opts *opts,
    const struct pa_rpc_service *svc, char *err, size_t errsz)
{
	struct pa_rpc_server *srv;
	struct pa_workq_opts  qo;
	pa_err                rv = PA_ENOMEM;
	int                   nrv;

	err[0] = '\0';
	if (opts->contexts == 0 || opts->fast_workers == 0 || opts->slow_workers == 0) {
		(void) snprintf(err, errsz, "contexts and workers must be at least 1");
		return PA_EINVAL;
	}
	if ((srv = calloc(1, sizeof *srv)) == NULL)
		return PA_ENOMEM;
	srv->opts = *opts;
	srv->svc  = *svc;
	srv->desc = svc->service->descriptor;
	pthread_mutex_init(&srv->mtx, NULL);
	if ((rv = server_alloc_tables(srv)) != PA_OK) {
		(void) snprintf(err, errsz, "%s", rv == PA_EINVAL ? "a slow or inline method is not in the service" : "out of memory");
		goto out_free;
	}

	qo = (struct pa_workq_opts) { .threads = opts->fast_workers,
		.capacity = opts->queue_capacity, .init = opts->worker_init,
		.fini = opts->worker_fini, .run = call_work, .arg = opts->worker_arg };
	if ((rv = pa_workq_new(&srv->fast, &qo)) != PA_OK)
		goto out_free;
	qo.threads = opts->slow_workers;
	qo.init    = slow_worker_init;
	qo.fini    = slow_worker_fini;
	qo.arg     = srv;
	if ((rv = pa_workq_new(&srv->slow, &qo)) != PA_OK)
		goto out_free;

	if ((nrv = nng_rep0_open(&srv->sock)) != 0 ||
	    (nrv = nng_socket_set_size(srv->sock, NNG_OPT_RECVMAXSZ, opts->max_msg_bytes)) != 0)
		goto out_nng;
	for (; srv->ncalls < opts->contexts; srv->ncalls++) {
		struct pa_rpc_call *c = &srv->calls[srv->ncalls];

		c->srv = srv;
		if ((nrv = nng_aio_alloc(&c->aio, call_cb, c)) != 0)
			goto out_nng;
		if ((nrv = nng_ctx_open(&c->ctx, srv->sock)) != 0) {
			nng_aio_free(c->aio);
			goto out_nng;
		}
	}
	if ((nrv = nng_listener_create(&srv->listener, srv->sock, opts->url)) != 0)
		goto out_nng;
	if (strncmp(opts->url, "tls+tcp://", 10) == 0) {
		if (opts->tls == NULL) {
			(void) snprintf(err, errsz, "%s needs TLS settings", opts->url);
			rv = PA_EINVAL;
			goto out_free;
		}
		if ((rv = pa_tls_apply_listener(&srv->listener, opts->tls, err, errsz)) != PA_OK)
			goto out_free;
	}
	if ((nrv = nng_listener_start(srv->listener, 0)) != 0)
		goto out_nng;
	for (unsigned i = 0; i < srv->ncalls; i++)
		call_arm_recv(&srv->calls[i]);
	*out = srv;
	return PA_OK;

out_nng:
	(void) snprintf(err, errsz, "cannot listen on %s: %s", opts->url, nng_strerror(nrv));
	rv = PA_EIO;
out_free:
	pthread_mutex_lock(&srv->mtx);
	srv->stopping = true;
	pthread_mutex_unlock(&srv->mtx);
	pa_workq_free(srv->fast);
	pa_workq_free(srv->slow);
	(void) !server_free(srv);
	return rv;
}

pa_err
pa_rpc_server_stop(struct pa_rpc_server *srv)
{
	uint64_t until;

	if (srv == NULL)
		return PA_OK;
	(void) nng_listener_close(srv->listener);
	pthread_mutex_lock(&srv->mtx);
	srv->stopping = true;
	pthread_mutex_unlock(&srv->mtx);
	/* Every queued call is still worked and answered. */
	pa_workq_free(srv->fast);
	pa_workq_free(srv->slow);
	srv->fast = srv->slow = NULL;
	until = pa_now_ns() + (uint64_t) RPC_DRAIN_WAIT_MS * 1000000u;
	while (atomic_load(&srv->sending) > 0 && pa_now_ns() < until) {
		struct timespec ts = { 0, 5 * 1000000L };

		(void) nanosleep(&ts, NULL);
	}
	return server_free(srv);
}

void
pa_rpc_server_write_metrics(struct pa_strbuf *out, void *arg)
{
	struct pa_rpc_server *srv = arg;
	const char           *svc = srv->opts.name;
	unsigned              n   = srv->desc->n_methods;
	char                  labels[160];

	pa_metrics_header(out, "phoneauth_rpc_total", "counter", "RPCs answered, by method and code.");
	for (unsigned m = 0; m <= n; m++) {
		for (unsigned code = 0; code < RPC_NCODES; code++) {
			uint64_t v = atomic_load_explicit(&srv->count[m][code], memory_order_relaxed);

			if (v == 0)
				continue;
			pa_strbuf_printf(out,
			    "phoneauth_rpc_total{service=\"%s\",method=\"%s\",code=\"%s\"} %llu\n", svc,
			    m < n ? srv->desc->methods[m].name : "", pa_code_name((pa_code) code),
			    (unsigned long long) v);
		}
	}
	pa_metrics_header(out, "phoneauth_rpc_duration_seconds", "histogram",
	    "Time from receiving a request to queuing its reply.");
	for (unsigned m = 0; m < n; m++) {
		(void) snprintf(labels, sizeof labels, "service=\"%s\",method=\"%s\"", svc,
		    srv->desc->methods[m].name);
		pa_hist_write(out, "phoneauth_rpc_duration_seconds", labels, &srv->latency[m]);
	}
	pa_metrics_header(out, "phoneauth_rpc_inline_total", "counter",
	    "RPCs answered on the receiving thread, without a worker.");
	for (unsigned m = 0; m < n; m++) {
		if (!srv->is_inline[m])
			continue;
		pa_strbuf_printf(out, "phoneauth_rpc_inline_total{service=\"%s\",method=\"%s\"} %llu\n",
		    svc, srv->desc->methods[m].name,
		    (unsigned long long) atomic_load_explicit(&srv->inline_count[m],
		        memory_order_relaxed));
	}
	pa_metrics_header(out, "phoneauth_rpc_queue_depth", "gauge", "Calls waiting for a worker.");
	if (srv->fast != NULL && srv->slow != NULL) {
		pa_strbuf_printf(out, "phoneauth_rpc_queue_depth{service=\"%s\",pool=\"fast\"} %u\n",
		    svc, pa_workq_depth(srv->fast));
		pa_strbuf_printf(out, "phoneauth_rpc_queue_depth{service=\"%s\",pool=\"slow\"} %u\n",
		    svc, pa_workq_depth(srv->slow));
	}
}

const char *
pa_code_name(pa_code code)
{
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value(&phoneauth__v1__code__descriptor, (int) code);

	return v != NULL ? v->name : "UNKNOWN";
}

const char *
pa_reason_name(pa_reason reason)
{
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value(&phoneauth__v1__reason__descriptor, (int) reason);

	return v != NULL ? v->name : "REASON_UNSPECIFIED";
}
