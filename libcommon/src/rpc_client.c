/* rpc_client.c: blocking RPC calls over one REQ socket; each call takes its own context, so many
 * threads can call at once. */
#include "common/rpc_client.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <sodium.h>

#include "common/metrics.h"
#include "common/nngutil.h"
#include "common/tls.h"

struct pa_client {
	nng_socket  sock;
	nng_dialer  dialer;
	int         timeout_ms;
	char       *client_token;
	char       *admin_token;
	char        id_prefix[17];
	atomic_uint next_id;
};

void
pa_client_close(struct pa_client *c)
{
	if (c == NULL)
		return;
	(void) pa_nng_close_bounded(c->sock, 1000);
	if (c->client_token)
		sodium_memzero(c->client_token, strlen(c->client_token));
	if (c->admin_token)
		sodium_memzero(c->admin_token, strlen(c->admin_token));
	free(c->client_token);
	free(c->admin_token);
	free(c);
}

pa_err
pa_client_open(struct pa_client **out, const struct pa_client_opts *o)
{
	struct pa_client *c;
	unsigned char     rnd[8];
	char              err[256];
	pa_err            rv = PA_EIO;

	if (o->url == NULL)
		return PA_EINVAL;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return PA_ENOMEM;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
	if ((o->client_token && (c->client_token = strdup(o->client_token)) == NULL)
	    || (o->admin_token && (c->admin_token = strdup(o->admin_token)) == NULL)) {
		rv = PA_ENOMEM;
		goto out_close;
	}
	randombytes_buf(rnd, sizeof rnd);
	(void) sodium_bin2hex(c->id_prefix, sizeof c->id_prefix, rnd, sizeof rnd);
	if (nng_req0_open(&c->sock) != 0)
		goto out_close;
	/* A resent request could run twice (two codes sent); the caller decides about retries. */
	if (nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE) != 0
	    || nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, 4 * 1024 * 1024) != 0
	    || nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, 1000) != 0)
		goto out_close;
	if (nng_dialer_create(&c->dialer, c->sock, o->url) != 0) {
		rv = PA_EINVAL;
		goto out_close;
	}
	if (strncmp(o->url, "tls+tcp://", 10) == 0) {
		if (o->tls == NULL
		    || pa_tls_apply_dialer(&c->dialer, o->tls, err, sizeof err) != PA_OK) {
			rv = PA_EINVAL;
			goto out_close;
		}
	}
	if (nng_dialer_start(c->dialer, NNG_FLAG_NONBLOCK) != 0)
		goto out_close;
	*out = c;
	return PA_OK;
out_close:
	pa_client_close(c);
	return rv;
}

static pa_err
client_roundtrip(struct pa_client *c, nng_msg *msg, int64_t deadline_ms, nng_msg **reply)
{
	nng_ctx  ctx;
	nng_aio *aio;
	pa_err   rv = PA_EIO;
	int      nrv;
	int64_t  left;

	if (nng_ctx_open(&ctx, c->sock) != 0) {
		nng_msg_free(msg);
		return PA_EIO;
	}
	if (nng_aio_alloc(&aio, NULL, NULL) != 0) {
		nng_msg_free(msg);
		goto out_ctx;
	}
	nng_aio_set_timeout(aio, c->timeout_ms);
	nng_aio_set_msg(aio, msg);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	if ((nrv = nng_aio_result(aio)) != 0) {
		nng_msg_free(msg);
		rv = nrv == NNG_ETIMEDOUT ? PA_ETIMEDOUT : PA_EIO;
		goto out_aio;
	}
	left = deadline_ms - pa_unix_ms();
	nng_aio_set_timeout(aio, left > 0 ? (nng_duration) left : 1);
	nng_ctx_recv(ctx, aio);
	nng_aio_wait(aio);
	if ((nrv = nng_aio_result(aio)) != 0) {
		rv = nrv == NNG_ETIMEDOUT ? PA_ETIMEDOUT : PA_EIO;
		goto out_aio;
	}
	*reply = nng_aio_get_msg(aio);
	rv     = PA_OK;
out_aio:
	nng_aio_free(aio);
out_ctx:
	(void) nng_ctx_close(ctx);
	return rv;
}

pa_err
pa_client_call(struct pa_client *c, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *resp_desc, const Phoneauth__V1__CallerMetadata *caller,
    struct pa_reply *out)
{
	Phoneauth__V1__CallerMetadata meta = PHONEAUTH__V1__CALLER_METADATA__INIT;
	char                          id[32];
	nng_msg                      *msg, *reply = NULL;
	int64_t                       deadline;
	pa_err                        rv;

	if (caller != NULL)
		meta = *caller;
	if (meta.client_token == NULL || meta.client_token[0] == '\0')
		meta.client_token = c->client_token ? c->client_token : (char *) "";
	if (meta.admin_token == NULL || meta.admin_token[0] == '\0')
		meta.admin_token = c->admin_token ? c->admin_token : (char *) "";
	(void) snprintf(id, sizeof id, "%s-%u", c->id_prefix, atomic_fetch_add(&c->next_id, 1));
	deadline = pa_unix_ms() + c->timeout_ms;
	if ((rv = pa_rpc_request_encode(&msg, method, id, deadline, &meta, req)) != PA_OK)
		return rv;
	if ((rv = client_roundtrip(c, msg, deadline, &reply)) != PA_OK)
		return rv;
	rv = pa_rpc_reply_decode(nng_msg_body(reply), nng_msg_len(reply), resp_desc, out);
	nng_msg_free(reply);
	return rv;
}
