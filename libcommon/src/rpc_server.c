/* rpc_server.c: the REP side: NNG contexts, the two worker pools, lifecycle and metrics. NNG
 * callbacks only decode the envelope, check the deadline and queue the call; workers (which own a
 * PostgreSQL connection each) run it (rpc_call.c) and send the reply. A method of the inline pool
 * is first run on the NNG callback itself, which answers from memory or defers to a worker. */
#define _DEFAULT_SOURCE /* syscall(SYS_gettid) */
#include "common/rpc.h"
#include "rpc_call.h"
#include "rpc_gate.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <sodium.h>

#include "common/log.h"
#include "common/metrics.h"
#include "common/nngutil.h"
#include "common/tls.h"

#define RPC_NCODES 17
#define RPC_DRAIN_WAIT_MS 2000

struct pa_rpc_server {
	struct pa_rpc_server_opts         opts;
	struct pa_rpc_service             svc;
	const ProtobufCServiceDescriptor *desc;
	const struct pa_rpc_method      **entry; /* [method]: its table entry */
	nng_socket                        sock;
	nng_listener                      listener;
	struct pa_rpc_call               *calls;
	unsigned                          ncalls;
	struct pa_workq                  *fast, *slow;
	struct rpc_gate                   gate; /* admission to the slow pool */
	pthread_mutex_t                   mtx; /* guards stopping against pushes to freed queues */
	atomic_bool                       stopping; /* set under mtx; read without it inline */
	atomic_uint                       sending;
	atomic_uint_fast64_t (*count)[RPC_NCODES]; /* [method][code] */
	struct pa_hist       *latency; /* [method] */
	atomic_uint_fast64_t *inline_count; /* [method]: answered inline */
	atomic_uint_fast64_t  gate_refused; /* slow calls refused admission */
};

static void call_cb(void *arg);

/* --- replies --- */

static void
call_arm_recv(struct pa_rpc_call *c)
{
	rpc_call_reset(c);
	c->state = CALL_RECV;
	nng_ctx_recv(c->ctx, c->aio);
}

/* Packs the reply and sends it; on any failure the request is dropped (the client times out)
 * and the context receives again. */
static void
call_send_reply(struct pa_rpc_call *c)
{
	struct pa_rpc_server *srv    = c->srv;
	struct pa_rpc_status  status = rpc_call_status(c);
	nng_msg              *msg;
	unsigned code = (unsigned) status.code < RPC_NCODES ? (unsigned) status.code : 2;

	if (c->gated) {
		rpc_gate_leave(&srv->gate, c->gate_key);
		c->gated = false;
	}

	atomic_fetch_add_explicit(&srv->count[c->method_index][code], 1, memory_order_relaxed);
	pa_hist_observe_ns(&srv->latency[c->method_index], pa_now_ns() - c->t_start);
	if (pa_rpc_reply_encode(
	        &msg, pa_rpc_call_request_id(c), &status, c->payload, c->payload_len)
	    != PA_OK) {
		call_arm_recv(c);
		return;
	}
	c->state = CALL_SEND;
	atomic_fetch_add(&srv->sending, 1);
	nng_aio_set_msg(c->aio, msg);
	nng_ctx_send(c->ctx, c->aio);
}

static void
call_reply_status(struct pa_rpc_call *c, pa_code code, pa_reason reason, const char *message)
{
	rpc_call_refuse(c, code, reason, message);
	call_send_reply(c);
}

/* Worker thread: may block. */
static void
call_work(void *state, void *job)
{
	struct pa_rpc_call *c = job;

	(void) rpc_call_run(c, state);
	call_send_reply(c);
}

/* NNG's callback thread, for an inline method: true when the handler answered (the reply is on
 * its way), false when it deferred to a worker. Draining answers as a worker would. */
static bool
call_try_inline(struct pa_rpc_call *c)
{
	struct pa_rpc_server *srv = c->srv;

	if (c->entry->pool != PA_RPC_INLINE || atomic_load(&srv->stopping))
		return false;
	c->inline_run = true;
	if (!rpc_call_run(c, NULL)) {
		c->inline_run = false;
		return false;
	}
	c->inline_run = false;
	atomic_fetch_add_explicit(&srv->inline_count[c->method_index], 1, memory_order_relaxed);
	call_send_reply(c);
	return true;
}

/* --- NNG side: never blocks --- */

/* Admission of a slow call (NNG's thread): true when it may be queued; otherwise it has been
 * answered. */
static bool
call_admit(struct pa_rpc_call *c)
{
	struct pa_rpc_server        *srv = c->srv;
	const struct pa_rpc_service *svc = c->svc;
	struct pa_rpc_result         r;

	if (c->entry->pool != PA_RPC_SLOW || srv->opts.slow_in_flight == 0)
		return true;
	c->gate_key[0] = '\0';
	if (svc->slow_key != NULL)
		(void) svc->slow_key(c, svc->arg, c->gate_key);
	switch (rpc_gate_enter(&srv->gate, c->gate_key)) {
	case RPC_GATE_OK:
		c->gated = true;
		return true;
	case RPC_GATE_KEY_FULL:
		r = svc->slow_key_refusal;
		break;
	case RPC_GATE_FULL:
	default:
		r = pa_rpc_fail(PHONEAUTH__V1__CODE__RESOURCE_EXHAUSTED,
		    PHONEAUTH__V1__REASON__OVERLOADED, "The service is busy. Please try again.");
		break;
	}
	if (r.retry_after_s == 0)
		r.retry_after_s = 1;
	atomic_fetch_add_explicit(&srv->gate_refused, 1, memory_order_relaxed);
	rpc_call_answer(c, r);
	call_send_reply(c);
	return false;
}

static void
call_received(struct pa_rpc_call *c)
{
	struct pa_rpc_server *srv = c->srv;
	nng_msg              *msg = nng_aio_get_msg(c->aio);
	struct pa_rpc_request req;
	struct pa_workq      *q;
	pa_err                rv;

	c->t_start = pa_now_ns();
	pa_rpc_request_decode(&req, srv->desc, nng_msg_body(msg), nng_msg_len(msg), pa_unix_ms());
	/* The request may carry a password or a token. */
	sodium_memzero(nng_msg_body(msg), nng_msg_len(msg));
	nng_msg_free(msg);
	c->env = req.env; /* the call owns it now: rpc_call_reset frees it */
	if (req.method != NULL) {
		c->method       = req.method;
		c->method_index = (unsigned) (req.method - srv->desc->methods);
		c->entry        = srv->entry[c->method_index];
	}
	if (req.code != PHONEAUTH__V1__CODE__OK) {
		call_reply_status(c, req.code, req.reason, req.message);
		return;
	}
	if (call_try_inline(c) || !call_admit(c))
		return;
	q        = c->entry->pool == PA_RPC_SLOW ? srv->slow : srv->fast;
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

/* Finds each method's entry in the service's table: every method exactly once, no other. */
static bool
server_map_methods(struct pa_rpc_server *srv)
{
	const struct pa_rpc_service *svc = &srv->svc;

	for (size_t i = 0; i < svc->n_methods; i++) {
		const ProtobufCMethodDescriptor *m
		    = protobuf_c_service_descriptor_get_method_by_name(
		        srv->desc, svc->methods[i].name);

		if (m == NULL || svc->methods[i].handler == NULL
		    || srv->entry[m - srv->desc->methods])
			return false;
		srv->entry[m - srv->desc->methods] = &svc->methods[i];
	}
	for (unsigned m = 0; m < srv->desc->n_methods; m++)
		if (srv->entry[m] == NULL)
			return false;
	return true;
}

static pa_err
server_alloc_tables(struct pa_rpc_server *srv)
{
	unsigned n = srv->desc->n_methods + 1; /* + one row for calls with no method */

	srv->count        = calloc(n, sizeof *srv->count);
	srv->latency      = calloc(n, sizeof *srv->latency);
	srv->entry        = calloc(n, sizeof *srv->entry);
	srv->inline_count = calloc(n, sizeof *srv->inline_count);
	srv->calls        = calloc(srv->opts.contexts, sizeof *srv->calls);
	if (!srv->count || !srv->latency || !srv->entry || !srv->inline_count || !srv->calls)
		return PA_ENOMEM;
	return server_map_methods(srv) ? PA_OK : PA_EINVAL;
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
		if (c->svc != NULL)
			rpc_call_reset(c);
	}
	if (!pa_nng_close_bounded(srv->sock, 1000)) {
		unsigned slot = atomic_fetch_add(&nabandoned, 1);

		if (slot < sizeof abandoned_servers / sizeof abandoned_servers[0])
			abandoned_servers[slot] = srv;
		return PA_ETIMEDOUT;
	}
	pthread_mutex_destroy(&srv->mtx);
	rpc_gate_fini(&srv->gate);
	free(srv->calls);
	free(srv->count);
	free(srv->latency);
	free(srv->entry);
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
	srv->desc = svc->desc;
	pthread_mutex_init(&srv->mtx, NULL);
	if ((rv = rpc_gate_init(&srv->gate, opts->slow_per_key, opts->slow_in_flight)) != PA_OK) {
		free(srv);
		return rv;
	}
	if ((rv = server_alloc_tables(srv)) != PA_OK) {
		(void) snprintf(err, errsz, "%s",
		    rv == PA_EINVAL ? "the method table does not match the service: each method "
		                      "once, with a handler"
		                    : "out of memory");
		goto out_free;
	}

	qo = (struct pa_workq_opts) { .threads = opts->fast_workers,
		.capacity                      = opts->queue_capacity,
		.init                          = opts->worker_init,
		.fini                          = opts->worker_fini,
		.run                           = call_work,
		.arg                           = opts->worker_arg };
	if ((rv = pa_workq_new(&srv->fast, &qo)) != PA_OK)
		goto out_free;
	qo.threads = opts->slow_workers;
	qo.init    = slow_worker_init;
	qo.fini    = slow_worker_fini;
	qo.arg     = srv;
	if ((rv = pa_workq_new(&srv->slow, &qo)) != PA_OK)
		goto out_free;

	if ((nrv = nng_rep0_open(&srv->sock)) != 0
	    || (nrv = nng_socket_set_size(srv->sock, NNG_OPT_RECVMAXSZ, opts->max_msg_bytes)) != 0)
		goto out_nng;
	for (; srv->ncalls < opts->contexts; srv->ncalls++) {
		struct pa_rpc_call *c = &srv->calls[srv->ncalls];

		c->srv = srv;
		c->svc = &srv->svc;
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
	until                 = pa_now_ns() + (uint64_t) RPC_DRAIN_WAIT_MS * 1000000u;
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

	pa_metrics_header(
	    out, "phoneauth_rpc_total", "counter", "RPCs answered, by method and code.");
	for (unsigned m = 0; m <= n; m++) {
		for (unsigned code = 0; code < RPC_NCODES; code++) {
			uint64_t v
			    = atomic_load_explicit(&srv->count[m][code], memory_order_relaxed);

			if (v == 0)
				continue;
			pa_strbuf_printf(out,
			    "phoneauth_rpc_total{service=\"%s\",method=\"%s\",code=\"%s\"} %llu\n",
			    svc, m < n ? srv->desc->methods[m].name : "",
			    pa_code_name((pa_code) code), (unsigned long long) v);
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
		if (srv->entry[m]->pool != PA_RPC_INLINE)
			continue;
		pa_strbuf_printf(out,
		    "phoneauth_rpc_inline_total{service=\"%s\",method=\"%s\"} %llu\n", svc,
		    srv->desc->methods[m].name,
		    (unsigned long long) atomic_load_explicit(
		        &srv->inline_count[m], memory_order_relaxed));
	}
	pa_metrics_header(out, "phoneauth_rpc_slow_refused_total", "counter",
	    "Slow calls refused admission (a caller key's share, or the whole slow budget, in "
	    "use).");
	pa_strbuf_printf(out, "phoneauth_rpc_slow_refused_total{service=\"%s\"} %llu\n", svc,
	    (unsigned long long) atomic_load_explicit(&srv->gate_refused, memory_order_relaxed));
	pa_metrics_header(out, "phoneauth_rpc_queue_depth", "gauge", "Calls waiting for a worker.");
	if (srv->fast != NULL && srv->slow != NULL) {
		pa_strbuf_printf(out,
		    "phoneauth_rpc_queue_depth{service=\"%s\",pool=\"fast\"} %u\n", svc,
		    pa_workq_depth(srv->fast));
		pa_strbuf_printf(out,
		    "phoneauth_rpc_queue_depth{service=\"%s\",pool=\"slow\"} %u\n", svc,
		    pa_workq_depth(srv->slow));
	}
}
