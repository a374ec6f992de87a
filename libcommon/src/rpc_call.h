/* rpc_call.h (private to libcommon): one call from its decoded envelope to its reply's status and
 * packed response: the checks before the handler, the handler adapter, and the call's memory.
 * The server (rpc_server.c) owns the NNG side: receiving, queueing and sending. */
#ifndef PHONEAUTH_COMMON_RPC_CALL_H
#define PHONEAUTH_COMMON_RPC_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "common/rpc.h"

struct rpc_block; /* a piece of the call's memory */

enum rpc_call_state { CALL_RECV, CALL_WORK, CALL_SEND };

struct pa_rpc_call {
	/* Set once by the server. */
	struct pa_rpc_server        *srv;
	const struct pa_rpc_service *svc;
	nng_ctx                      ctx;
	nng_aio                     *aio;
	/* One request. */
	enum rpc_call_state              state;
	Phoneauth__V1__RequestEnvelope  *env;
	const ProtobufCMethodDescriptor *method;
	const struct pa_rpc_method      *entry; /* the service's entry for method */
	unsigned                         method_index; /* desc->n_methods: no method */
	bool                             inline_run; /* running on NNG's thread */
	bool                             authorized; /* the authorize hook said yes */
	bool                             gated; /* holds a place in the slow gate under gate_key */
	char                             gate_key[PA_RPC_KEY_MAX];
	uint64_t                         t_start;
	struct rpc_block                *mem;
	/* The answer. */
	struct pa_rpc_result result;
	char                 message[512]; /* result.message, copied */
	uint8_t             *payload;
	size_t               payload_len;
};

/* Clears the call for its next request: frees (and wipes) the envelope, the payload and the
 * call's memory. */
void rpc_call_reset(struct pa_rpc_call *c);

/* Sets the answer to a refusal without running anything. */
void rpc_call_refuse(struct pa_rpc_call *c, pa_code code, pa_reason reason, const char *message);
/* Sets the answer to r (its message copied) without running anything. */
void rpc_call_answer(struct pa_rpc_call *c, struct pa_rpc_result r);

/* Checks the deadline, authorizes once, decodes the request and runs the handler with state;
 * fills c->result (its message copied into the call) and, when OK, c->payload. False only when an
 * inline run deferred: nothing is decided and the call goes to a worker. */
bool rpc_call_run(struct pa_rpc_call *c, void *state);

/* The reply's status, ready for pa_rpc_reply_encode. */
struct pa_rpc_status rpc_call_status(const struct pa_rpc_call *c);

#endif
