/* rpc_client.h: the blocking RPC client: one REQ socket, a context per call, so many threads can
 * call at once; each call has a timeout that also travels as the request's deadline. It never
 * resends a request by itself (a resent StartSignup would send two codes). */
#ifndef PHONEAUTH_COMMON_RPC_CLIENT_H
#define PHONEAUTH_COMMON_RPC_CLIENT_H

#include "common/err.h"
#include "common/rpc_envelope.h"

struct pa_tls_opts;
struct pa_client;

struct pa_client_opts {
	const char               *url;
	int                       timeout_ms; /* per call; 0 = 5000 */
	const char               *client_token; /* optional */
	const char               *admin_token; /* optional */
	const struct pa_tls_opts *tls; /* for tls+tcp:// */
};

/* Opens a REQ socket and dials in the background (the service need not be up yet). */
pa_err pa_client_open(struct pa_client **out, const struct pa_client_opts *opts) PA_MUSTCHECK;
void   pa_client_close(struct pa_client *c);

/* Calls method ("/phoneauth.v1.Auth/Health") with req and waits for the reply. PA_OK means a
 * reply arrived (look at out->code; release it with pa_reply_clear); PA_ETIMEDOUT when none came
 * in time; PA_EPROTO for a reply that does not decode. caller may be NULL. Safe to call from many
 * threads at once. */
pa_err pa_client_call(struct pa_client *c, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *resp_desc, const Phoneauth__V1__CallerMetadata *caller,
    struct pa_reply *out) PA_MUSTCHECK;

#endif
