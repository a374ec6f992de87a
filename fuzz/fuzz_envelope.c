/* fuzz_envelope.c: the bytes of a received RPC request, as the server handles them.
 * pa_rpc_request_decode (envelope decode, method lookup, deadline) runs for both the Auth and
 * the Admin service; a request it would queue then gets the worker's decode of its payload into
 * the method's input message. The caller metadata goes through the token check both listeners'
 * authorize hooks make (auth_token_matches); the end-user IP check (auth_caller_ip) takes a live
 * call and is not covered. Properties: the verdict is consistent (OK has a method of that
 * service), a token matches exactly when it is equal, and an envelope re-encoded from what was
 * decoded (unknown fields aside) gets the same verdict. Inputs are capped at the default
 * transport limit, as the listener's max_msg_bytes would cap them. */
#include <protobuf-c/protobuf-c.h>

#include "caller.h"
#include "common/crypto.h"
#include "common/rpc_client.h"
#include "fuzz.h"
#include "phoneauth/v1/admin.pb-c.h"
#include "phoneauth/v1/auth.pb-c.h"

/* A fixed "now", so that a replayed input takes the path it took when it was found. */
#define FUZZ_NOW_MS INT64_C(1700000000000)

/* Every string of the caller metadata must be a readable C string (ASan checks the reads). */
static size_t
caller_bytes(const Phoneauth__V1__CallerMetadata *m)
{
	if (m == NULL)
		return 0;
	return strlen(m->end_user_ip) + strlen(m->user_agent) + strlen(m->client_token)
	    + strlen(m->admin_token);
}

/* A configured token is 32 characters or more. */
#define TOKEN "0123456789abcdef0123456789abcdef"

static void
check_token(const char *given)
{
	FUZZ_CHECK(auth_token_matches(given, TOKEN) == (strcmp(given, TOKEN) == 0));
	FUZZ_CHECK(auth_token_matches(given, given) == (given[0] != '\0'));
}

/* The worker's step: the payload decoded as the method's input, then released. */
static void
decode_payload(const struct pa_rpc_request *r)
{
	ProtobufCMessage *in = protobuf_c_message_unpack(
	    r->method->input, NULL, r->env->payload.len, r->env->payload.data);

	if (in != NULL) {
		FUZZ_CHECK(in->descriptor == r->method->input);
		protobuf_c_message_free_unpacked(in, NULL);
	}
}

/* Re-encodes what was decoded and decodes it again: the server must decide the same way. Not for
 * an envelope with unknown fields: protobuf-c 1.4 accepts field number 0 written in two bytes
 * ("80 00"), keeps it as an unknown field, writes it back in one byte, and then refuses that. The
 * server never re-encodes a request, so this is no bug of ours. */
static void
check_reencoded(const ProtobufCServiceDescriptor *desc, const struct pa_rpc_request *r)
{
	struct pa_rpc_request again;
	size_t                len = phoneauth__v1__request_envelope__get_packed_size(r->env);
	uint8_t              *buf;

	if (r->env->base.n_unknown_fields > 0
	    || (r->env->caller != NULL && r->env->caller->base.n_unknown_fields > 0)
	    || (buf = malloc(len ? len : 1)) == NULL)
		return;
	FUZZ_CHECK(phoneauth__v1__request_envelope__pack(r->env, buf) == len);
	pa_rpc_request_decode(&again, desc, buf, len, FUZZ_NOW_MS);
	FUZZ_CHECK(again.env != NULL);
	FUZZ_CHECK(again.code == r->code && again.reason == r->reason);
	FUZZ_CHECK(again.method == r->method);
	FUZZ_CHECK(strcmp(again.env->request_id, r->env->request_id) == 0);
	pa_rpc_request_clear(&again);
	free(buf);
}

static void
run(const ProtobufCServiceDescriptor *desc, const uint8_t *data, size_t size)
{
	struct pa_rpc_request r;

	pa_rpc_request_decode(&r, desc, data, size, FUZZ_NOW_MS);
	FUZZ_CHECK(r.message != NULL);
	if (r.env == NULL) {
		FUZZ_CHECK(r.code == PHONEAUTH__V1__CODE__INVALID_ARGUMENT && r.method == NULL);
		return;
	}
	FUZZ_CHECK(r.env->method != NULL && r.env->request_id != NULL);
	/* Each string was copied out of the input, so together they cannot be longer. */
	FUZZ_CHECK(caller_bytes(r.env->caller) <= size);
	if (r.env->caller != NULL) {
		check_token(r.env->caller->client_token);
		check_token(r.env->caller->admin_token);
	}
	if (r.method != NULL)
		FUZZ_CHECK(r.method >= desc->methods && r.method < desc->methods + desc->n_methods);
	if (r.code == PHONEAUTH__V1__CODE__OK) {
		FUZZ_CHECK(r.method != NULL);
		FUZZ_CHECK(r.env->deadline_unix_ms == 0 || r.env->deadline_unix_ms > FUZZ_NOW_MS);
		decode_payload(&r);
	}
	check_reencoded(desc, &r);
	pa_rpc_request_clear(&r);
	FUZZ_CHECK(r.env == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libsodium wants its init before the token hashes; once per process is enough. */
	static bool sodium_ready;

	if (!sodium_ready) {
		FUZZ_CHECK(pa_crypto_init() == PA_OK);
		sodium_ready = true;
	}
	if (size > PA_RPC_DEFAULT_MAX_MSG)
		return 0;
	run(&phoneauth__v1__auth__descriptor, data, size);
	run(&phoneauth__v1__admin__descriptor, data, size);
	return 0;
}
