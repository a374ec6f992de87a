/* rpc_envelope.c: RequestEnvelope and ResponseEnvelope, packed and unpacked in one place for the
 * server, the client and the fuzzers. */
#include "common/rpc_envelope.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static void *
wiping_alloc(void *data, size_t size)
{
	(void) data;
	return malloc(size ? size : 1);
}

static void
wiping_free(void *data, void *p)
{
	(void) data;
	if (p == NULL)
		return;
	/* glibc knows the block's size; protobuf-c does not pass it. */
	sodium_memzero(p, malloc_usable_size(p));
	free(p);
}

ProtobufCAllocator pa_rpc_wiping_allocator = { wiping_alloc, wiping_free, NULL };

bool
pa_rpc_request_expired(const Phoneauth__V1__RequestEnvelope *env, int64_t now_ms)
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

	*out     = (struct pa_rpc_request) { .code = PHONEAUTH__V1__CODE__OK,
		    .reason                        = PHONEAUTH__V1__REASON__REASON_UNSPECIFIED,
		    .message                       = "" };
	out->env = phoneauth__v1__request_envelope__unpack(&pa_rpc_wiping_allocator, len, data);
	if (out->env == NULL) {
		request_refuse(out, PHONEAUTH__V1__CODE__INVALID_ARGUMENT,
		    PHONEAUTH__V1__REASON__BAD_ENVELOPE,
		    "The request envelope could not be decoded.");
		return;
	}
	/* "/phoneauth.v1.Auth/StartSignup": the package-qualified service, then the method. A
	 * matching prefix guarantees path holds at least nlen + 1 characters before its NUL. */
	path = out->env->method;
	if (path[0] == '/' && strncmp(path + 1, desc->name, nlen) == 0 && path[1 + nlen] == '/')
		out->method
		    = protobuf_c_service_descriptor_get_method_by_name(desc, path + 2 + nlen);
	if (out->method == NULL) {
		request_refuse(out, PHONEAUTH__V1__CODE__UNIMPLEMENTED,
		    PHONEAUTH__V1__REASON__UNKNOWN_METHOD, "Unknown method.");
		return;
	}
	if (pa_rpc_request_expired(out->env, now_ms))
		request_refuse(out, PHONEAUTH__V1__CODE__DEADLINE_EXCEEDED,
		    PHONEAUTH__V1__REASON__DEADLINE_PASSED, "The request took too long.");
}

void
pa_rpc_request_clear(struct pa_rpc_request *r)
{
	if (r->env != NULL)
		phoneauth__v1__request_envelope__free_unpacked(r->env, &pa_rpc_wiping_allocator);
	*r = (struct pa_rpc_request) { .env = NULL };
}

pa_err
pa_rpc_request_encode(nng_msg **out, const char *method, const char *request_id,
    int64_t deadline_unix_ms, const Phoneauth__V1__CallerMetadata *caller,
    const ProtobufCMessage *req)
{
	Phoneauth__V1__RequestEnvelope env = PHONEAUTH__V1__REQUEST_ENVELOPE__INIT;
	uint8_t                       *packed;
	size_t                         len;
	pa_err                         rv = PA_OK;

	len = protobuf_c_message_get_packed_size(req);
	if ((packed = malloc(len ? len : 1)) == NULL)
		return PA_ENOMEM;
	(void) protobuf_c_message_pack(req, packed);
	env.method           = (char *) method;
	env.request_id       = (char *) request_id;
	env.deadline_unix_ms = deadline_unix_ms;
	env.caller           = (Phoneauth__V1__CallerMetadata *) caller;
	env.payload.data     = packed;
	env.payload.len      = len;
	if (nng_msg_alloc(out, phoneauth__v1__request_envelope__get_packed_size(&env)) != 0)
		rv = PA_ENOMEM;
	else
		(void) phoneauth__v1__request_envelope__pack(&env, nng_msg_body(*out));
	/* The request may hold a password or a token. */
	sodium_memzero(packed, len);
	free(packed);
	return rv;
}

pa_err
pa_rpc_reply_encode(nng_msg **out, const char *request_id, const struct pa_rpc_status *st,
    const uint8_t *payload, size_t len)
{
	Phoneauth__V1__ResponseEnvelope env  = PHONEAUTH__V1__RESPONSE_ENVELOPE__INIT;
	Phoneauth__V1__Count            left = PHONEAUTH__V1__COUNT__INIT;

	env.request_id    = (char *) (request_id ? request_id : "");
	env.code          = st->code;
	env.reason        = st->reason;
	env.message       = (char *) (st->message ? st->message : "");
	env.retry_after_s = st->retry_after_s;
	if (st->has_attempts_left) {
		left.value        = st->attempts_left;
		env.attempts_left = &left;
	}
	if (st->code == PHONEAUTH__V1__CODE__OK && payload != NULL) {
		env.payload.data = (uint8_t *) payload;
		env.payload.len  = len;
	}
	if (nng_msg_alloc(out, phoneauth__v1__response_envelope__get_packed_size(&env)) != 0)
		return PA_ENOMEM;
	(void) phoneauth__v1__response_envelope__pack(&env, nng_msg_body(*out));
	return PA_OK;
}

pa_err
pa_rpc_reply_decode(
    const void *data, size_t len, const ProtobufCMessageDescriptor *resp_desc, struct pa_reply *out)
{
	Phoneauth__V1__ResponseEnvelope *renv;
	struct pa_reply                  r = { 0 };
	pa_err                           rv;

	renv = phoneauth__v1__response_envelope__unpack(&pa_rpc_wiping_allocator, len, data);
	if (renv == NULL)
		return PA_EPROTO;
	r.code          = renv->code;
	r.reason        = renv->reason;
	r.retry_after_s = renv->retry_after_s;
	if (renv->attempts_left != NULL) {
		r.has_attempts_left = true;
		r.attempts_left     = renv->attempts_left->value;
	}
	if ((r.message = strdup(renv->message ? renv->message : "")) == NULL) {
		rv = PA_ENOMEM;
		goto out_free_env;
	}
	if (r.code == PHONEAUTH__V1__CODE__OK && resp_desc != NULL) {
		r.body = protobuf_c_message_unpack(
		    resp_desc, &pa_rpc_wiping_allocator, renv->payload.len, renv->payload.data);
		if (r.body == NULL) {
			free(r.message);
			rv = PA_EPROTO;
			goto out_free_env;
		}
	}
	*out = r;
	rv   = PA_OK;
out_free_env:
	phoneauth__v1__response_envelope__free_unpacked(renv, &pa_rpc_wiping_allocator);
	return rv;
}

void
pa_reply_clear(struct pa_reply *r)
{
	free(r->message);
	if (r->body != NULL)
		protobuf_c_message_free_unpacked(r->body, &pa_rpc_wiping_allocator);
	*r = (struct pa_reply) { 0 };
}

const char *
pa_code_name(pa_code code)
{
	const ProtobufCEnumValue *v
	    = protobuf_c_enum_descriptor_get_value(&phoneauth__v1__code__descriptor, (int) code);

	return v != NULL ? v->name : "UNKNOWN";
}

const char *
pa_reason_name(pa_reason reason)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
	    &phoneauth__v1__reason__descriptor, (int) reason);

	return v != NULL ? v->name : "REASON_UNSPECIFIED";
}
