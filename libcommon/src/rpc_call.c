/* rpc_call.c: what happens to one call between its envelope and its reply: the deadline and
 * authorize checks, the decode, the handler adapter (one reply per call, the handler's result
 * as its status), and the call's memory that responses point into. */
#include "rpc_call.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/metrics.h"

static const Phoneauth__V1__CallerMetadata no_caller = PHONEAUTH__V1__CALLER_METADATA__INIT;

struct rpc_block {
	struct rpc_block *next;
	size_t            size;
	alignas(max_align_t) unsigned char data[];
};

void *
pa_rpc_call_alloc(struct pa_rpc_call *c, size_t size)
{
	struct rpc_block *b;

	if (size > SIZE_MAX / 2 || (b = calloc(1, sizeof *b + size)) == NULL)
		return NULL;
	b->size = size;
	b->next = c->mem;
	c->mem  = b;
	return b->data;
}

char *
pa_rpc_call_strdup(struct pa_rpc_call *c, const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;
	char  *p   = pa_rpc_call_alloc(c, len + 1);

	if (p != NULL && len > 0)
		memcpy(p, s, len);
	return p;
}

static void
call_mem_free(struct pa_rpc_call *c)
{
	while (c->mem != NULL) {
		struct rpc_block *b = c->mem;

		c->mem = b->next;
		/* Responses carry session and signup tokens. */
		sodium_memzero(b->data, b->size);
		free(b);
	}
}

void
rpc_call_reset(struct pa_rpc_call *c)
{
	if (c->env != NULL)
		phoneauth__v1__request_envelope__free_unpacked(c->env, &pa_rpc_wiping_allocator);
	if (c->payload != NULL)
		sodium_memzero(c->payload, c->payload_len);
	free(c->payload);
	call_mem_free(c);
	c->env          = NULL;
	c->payload      = NULL;
	c->payload_len  = 0;
	c->method       = NULL;
	c->entry        = NULL;
	c->method_index = c->svc->desc->n_methods;
	c->result       = (struct pa_rpc_result) { .code = PHONEAUTH__V1__CODE__OK };
	c->message[0]   = '\0';
	c->inline_run   = false;
	c->authorized   = false;
}

static void
call_set_result(struct pa_rpc_call *c, struct pa_rpc_result r)
{
	(void) snprintf(c->message, sizeof c->message, "%s", r.message ? r.message : "");
	r.message = c->message;
	c->result = r;
}

void
rpc_call_refuse(struct pa_rpc_call *c, pa_code code, pa_reason reason, const char *message)
{
	call_set_result(c, pa_rpc_fail(code, reason, message));
}

void
rpc_call_answer(struct pa_rpc_call *c, struct pa_rpc_result r)
{
	call_set_result(c, r);
}

struct pa_rpc_result
pa_rpc_fail_err(pa_err err)
{
	if (err == PA_EUNAVAILABLE)
		return pa_rpc_fail(PHONEAUTH__V1__CODE__UNAVAILABLE,
		    PHONEAUTH__V1__REASON__DATABASE_UNAVAILABLE,
		    "The service is temporarily unavailable. Please try again shortly.");
	return pa_rpc_fail(PHONEAUTH__V1__CODE__INTERNAL, PHONEAUTH__V1__REASON__INTERNAL_ERROR,
	    "Something went wrong. Please try again.");
}

/* Packs out as the reply's payload; an answer that cannot be packed becomes INTERNAL. */
static struct pa_rpc_result
call_pack(struct pa_rpc_call *c, const ProtobufCMessage *out, struct pa_rpc_result r)
{
	size_t len = protobuf_c_message_get_packed_size(out);

	if ((c->payload = malloc(len ? len : 1)) == NULL)
		return pa_rpc_fail_err(PA_ENOMEM);
	c->payload_len = protobuf_c_message_pack(out, c->payload);
	return r;
}

/* The adapter: decodes, runs the handler once, and turns what it returned into the answer. */
static struct pa_rpc_result
call_invoke(struct pa_rpc_call *c, void *state)
{
	const ProtobufCMessageDescriptor *od = c->method->output;
	ProtobufCMessage                 *in, *out;
	struct pa_rpc_result              r;

	in = protobuf_c_message_unpack(
	    c->method->input, &pa_rpc_wiping_allocator, c->env->payload.len, c->env->payload.data);
	if (in == NULL)
		return pa_rpc_fail(PHONEAUTH__V1__CODE__INVALID_ARGUMENT,
		    PHONEAUTH__V1__REASON__BAD_PAYLOAD, "The request could not be decoded.");
	if ((out = pa_rpc_call_alloc(c, od->sizeof_message)) == NULL) {
		protobuf_c_message_free_unpacked(in, &pa_rpc_wiping_allocator);
		return pa_rpc_fail_err(PA_ENOMEM);
	}
	protobuf_c_message_init(od, out);
	r = c->entry->handler(c, state, in, out);
	protobuf_c_message_free_unpacked(in, &pa_rpc_wiping_allocator);
	if (r.defer && !c->inline_run)
		r = pa_rpc_fail_err(PA_EINTERNAL); /* on a worker there is nowhere to defer to */
	if (r.defer || r.code != PHONEAUTH__V1__CODE__OK)
		return r;
	return call_pack(c, out, r);
}

bool
rpc_call_run(struct pa_rpc_call *c, void *state)
{
	const struct pa_rpc_service *svc = c->svc;
	struct pa_rpc_result         r;

	if (pa_rpc_request_expired(c->env, pa_unix_ms())) {
		rpc_call_refuse(c, PHONEAUTH__V1__CODE__DEADLINE_EXCEEDED,
		    PHONEAUTH__V1__REASON__DEADLINE_PASSED, "The request took too long.");
		return true;
	}
	if (!c->authorized && svc->authorize != NULL) {
		r = svc->authorize(c, state, svc->arg);
		if (r.code != PHONEAUTH__V1__CODE__OK) {
			call_set_result(c, r);
			return true;
		}
	}
	c->authorized = true;
	r             = call_invoke(c, state);
	if (r.defer) {
		call_mem_free(c);
		return false;
	}
	call_set_result(c, r);
	return true;
}

struct pa_rpc_status
rpc_call_status(const struct pa_rpc_call *c)
{
	return (struct pa_rpc_status) { .code = c->result.code,
		.reason                       = c->result.reason,
		.message                      = c->message,
		.retry_after_s                = c->result.retry_after_s,
		.has_attempts_left            = c->result.has_attempts_left,
		.attempts_left                = c->result.attempts_left };
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

const char *
pa_rpc_call_method(const struct pa_rpc_call *c)
{
	return c->method != NULL ? c->method->name : "";
}

void *
pa_rpc_call_service_arg(const struct pa_rpc_call *c)
{
	return c->svc->arg;
}
