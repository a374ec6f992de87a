/* rpc_envelope.h: the wire format of every RPC, both ways. A request is a RequestEnvelope naming
 * the method gRPC-style with the caller's metadata and the packed request; a reply is a
 * ResponseEnvelope with the status (code, reason, user-facing message, retry-after, attempts
 * left) and, when OK, the packed response. The server, the client and the fuzzers all go through
 * these functions, so there is one codec. Nothing here blocks or keeps state; all thread-safe. */
#ifndef PHONEAUTH_COMMON_RPC_ENVELOPE_H
#define PHONEAUTH_COMMON_RPC_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>
#include <protobuf-c/protobuf-c.h>

#include "common/err.h"
#include "phoneauth/v1/rpc.pb-c.h"

typedef Phoneauth__V1__Code   pa_code;
typedef Phoneauth__V1__Reason pa_reason;

#define PA_RPC_DEFAULT_MAX_MSG (64 * 1024)

/* What the server makes of the bytes of one received request before a worker takes it. */
struct pa_rpc_request {
	Phoneauth__V1__RequestEnvelope  *env; /* NULL when the bytes are not an envelope */
	const ProtobufCMethodDescriptor *method; /* one of the service's; NULL when unknown */
	pa_code                          code; /* OK: queue it; else answer with the next two */
	pa_reason                        reason;
	const char                      *message; /* static user-facing text; "" when OK */
};

/* Decodes data[0..len) as a RequestEnvelope for the service desc and checks it: the method must
 * be "/<desc->name>/<Method>" for one of desc's methods, and a deadline, when set, must be later
 * than now_ms (unix ms). Always fills *out; out->env, when not NULL, is the caller's to release
 * with pa_rpc_request_clear. Neither the payload nor the caller metadata is looked at here (the
 * worker decodes the one, the service's authorize hook and handlers check the other), and the
 * size limit is the transport's (max_msg_bytes). The envelope's memory is wiped when it is
 * released (the payload may hold a password or a token). */
void pa_rpc_request_decode(struct pa_rpc_request *out, const ProtobufCServiceDescriptor *desc,
    const void *data, size_t len, int64_t now_ms);

/* Wipes and frees r->env and clears *r. */
void pa_rpc_request_clear(struct pa_rpc_request *r);

/* True when env carries a deadline that is not later than now_ms. */
bool pa_rpc_request_expired(const Phoneauth__V1__RequestEnvelope *env, int64_t now_ms);

/* A protobuf-c allocator whose free wipes the block first: for messages that carried passwords
 * or tokens (request envelopes and the requests unpacked from them). */
extern ProtobufCAllocator pa_rpc_wiping_allocator;

/* Packs a request for method ("/phoneauth.v1.Auth/Health") into a new NNG message; caller may be
 * NULL. Intermediate buffers are wiped. PA_ENOMEM. */
pa_err pa_rpc_request_encode(nng_msg **out, const char *method, const char *request_id,
    int64_t deadline_unix_ms, const Phoneauth__V1__CallerMetadata *caller,
    const ProtobufCMessage *req) PA_MUSTCHECK;

/* The status half of a reply. */
struct pa_rpc_status {
	pa_code     code;
	pa_reason   reason;
	const char *message; /* what the site shows the person; NULL: "" */
	uint32_t    retry_after_s;
	bool        has_attempts_left;
	uint32_t    attempts_left;
};

/* Packs a reply into a new NNG message; payload[0..len) is sent only when st->code is OK.
 * PA_ENOMEM. */
pa_err pa_rpc_reply_encode(nng_msg **out, const char *request_id, const struct pa_rpc_status *st,
    const uint8_t *payload, size_t len) PA_MUSTCHECK;

/* A reply as the client returns it. */
struct pa_reply {
	pa_code           code;
	pa_reason         reason;
	char             *message; /* malloc'd, never NULL after a decode that returned PA_OK */
	uint32_t          retry_after_s;
	bool              has_attempts_left;
	uint32_t          attempts_left;
	ProtobufCMessage *body; /* the decoded response when code is OK, else NULL */
};

/* Decodes data[0..len) as a ResponseEnvelope into *out, and its payload as resp_desc when the
 * code is OK and resp_desc is not NULL. PA_EPROTO for bytes that do not decode; *out is then
 * untouched. */
pa_err pa_rpc_reply_decode(const void *data, size_t len,
    const ProtobufCMessageDescriptor *resp_desc, struct pa_reply *out) PA_MUSTCHECK;

/* Frees what a decode put in r. */
void pa_reply_clear(struct pa_reply *r);

/* "INVALID_ARGUMENT" for a code, "BAD_PAYLOAD" for a reason. */
const char *pa_code_name(pa_code code);
const char *pa_reason_name(pa_reason reason);

#endif
