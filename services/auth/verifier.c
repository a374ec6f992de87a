/* verifier.c: the REQ socket the SMS workers answer Verify checks on (verifier.h). A context per
 * check keeps concurrent checks apart on one socket; the request is never resent by NNG (a
 * resend could spend a second of Twilio's tries on one of ours). */
#include "verifier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <sodium.h>

#include "auth.h"
#include "common/metrics.h"
#include "common/nngutil.h"

struct auth_verifier {
	nng_socket            sock;
	nng_listener          listener;
	struct pa_vcheck_keys keys;
	int                   timeout_ms;
};

bool
auth_verifier_on(const struct auth_config *cfg)
{
	return cfg->code_backend != NULL && strcmp(cfg->code_backend, "verify") == 0;
}

pa_err
auth_verifier_start(struct auth_verifier **out, const struct auth_config *cfg,
    const struct pa_tls_opts *tls, char *err, size_t errsz)
{
	const char           *url = cfg->verify_check_url;
	struct auth_verifier *v;
	int                   rv;

	*out = NULL;
	if (cfg->code_backend == NULL || strcmp(cfg->code_backend, "local") == 0)
		return PA_OK;
	if (!auth_verifier_on(cfg)) {
		(void) snprintf(err, errsz, "PHONEAUTH_CODE_BACKEND must be local or verify");
		return PA_EINVAL;
	}
	if ((v = calloc(1, sizeof *v)) == NULL)
		return PA_ENOMEM;
	v->timeout_ms = cfg->verify_check_timeout_s * 1000;
	if (pa_vcheck_keys_derive(&v->keys, cfg->verify_check_token) != PA_OK) {
		free(v);
		(void) snprintf(err, errsz,
		    "PHONEAUTH_CODE_BACKEND=verify needs PHONEAUTH_VERIFY_CHECK_TOKEN (32+ "
		    "characters, the SMS workers' too)");
		return PA_EINVAL;
	}
	if ((rv = nng_req0_open(&v->sock)) != 0
	    || (rv = nng_socket_set_ms(v->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) != 0
	    || (rv = nng_listener_create(&v->listener, v->sock, url)) != 0)
		goto fail;
	if (strncmp(url, "tls+tcp://", 10) == 0
	    && pa_tls_apply_listener(&v->listener, tls, err, errsz) != PA_OK) {
		auth_verifier_stop(v);
		return PA_EINVAL;
	}
	if ((rv = nng_listener_start(v->listener, 0)) != 0)
		goto fail;
	*out = v;
	return PA_OK;
fail:
	(void) snprintf(
	    err, errsz, "cannot listen for Verify checks on %s: %s", url, nng_strerror(rv));
	auth_verifier_stop(v);
	return PA_EIO;
}

void
auth_verifier_stop(struct auth_verifier *v)
{
	if (v == NULL)
		return;
	(void) pa_nng_close_bounded(v->sock, 1000);
	pa_vcheck_keys_wipe(&v->keys);
	free(v);
}

pa_err
auth_verifier_check(struct auth_verifier *v, const char *to, const char *sid, const char *code,
    struct pa_vcheck_response *out)
{
	struct pa_vcheck_request req = { .to = "" };
	unsigned char            id[PA_VCHECK_ID_BYTES], wire[PA_VCHECK_REQ_WIRE];
	nng_ctx                  ctx;
	nng_aio                 *aio = NULL;
	nng_msg                 *m   = NULL;
	uint64_t                 t0  = pa_now_ns(), spent_ms;
	pa_err                   rv;
	int                      nrv;

	if (v == NULL)
		return PA_EUNAVAILABLE;
	if (strlen(code) >= sizeof req.code || strlen(to) >= sizeof req.to
	    || (sid != NULL && strlen(sid) >= sizeof req.sid))
		return PA_EINVAL;
	(void) snprintf(req.to, sizeof req.to, "%s", to);
	(void) snprintf(req.code, sizeof req.code, "%s", code);
	(void) snprintf(req.sid, sizeof req.sid, "%s", sid != NULL ? sid : "");
	pa_vcheck_new_id(id);
	rv = pa_vcheck_seal_request(wire, &v->keys, id, &req);
	sodium_memzero(&req, sizeof req);
	if (rv != PA_OK)
		return rv;
	if (nng_ctx_open(&ctx, v->sock) != 0)
		return PA_EUNAVAILABLE;
	if (nng_aio_alloc(&aio, NULL, NULL) != 0 || nng_msg_alloc(&m, 0) != 0
	    || nng_msg_append(m, wire, sizeof wire) != 0) {
		rv = PA_ENOMEM;
		goto out;
	}
	/* One deadline for the send (it waits for a worker) and the answer together. */
	nng_aio_set_timeout(aio, v->timeout_ms);
	nng_aio_set_msg(aio, m);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	if ((nrv = nng_aio_result(aio)) != 0) {
		rv = nrv == NNG_ETIMEDOUT ? PA_ETIMEDOUT : PA_EUNAVAILABLE;
		goto out; /* m is still ours */
	}
	m        = NULL;
	spent_ms = (pa_now_ns() - t0) / 1000000u;
	if (spent_ms >= (uint64_t) v->timeout_ms) {
		rv = PA_ETIMEDOUT;
		goto out;
	}
	nng_aio_set_timeout(aio, v->timeout_ms - (int) spent_ms);
	nng_ctx_recv(ctx, aio);
	nng_aio_wait(aio);
	if ((nrv = nng_aio_result(aio)) != 0) {
		rv = nrv == NNG_ETIMEDOUT ? PA_ETIMEDOUT : PA_EUNAVAILABLE;
		goto out;
	}
	m  = nng_aio_get_msg(aio);
	rv = pa_vcheck_open_response(out, &v->keys, id, nng_msg_body(m), nng_msg_len(m));
out:
	if (m != NULL)
		nng_msg_free(m);
	nng_aio_free(aio);
	(void) nng_ctx_close(ctx);
	return rv;
}
