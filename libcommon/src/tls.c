/* tls.c: configures NNG's TLS for tls+tcp:// listeners and dialers from PEM files. */
#include "common/tls.h"

#include <stdio.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

static pa_err
tls_build(nng_tls_config **out, nng_tls_mode mode, const struct pa_tls_opts *o, char *err,
    size_t errsz)
{
	nng_tls_config *cfg;
	int             rv;

	if (mode == NNG_TLS_MODE_SERVER && (o->cert_file == NULL || o->key_file == NULL)) {
		(void) snprintf(err, errsz, "a tls+tcp:// listener needs a certificate and a key");
		return PA_EINVAL;
	}
	if ((rv = nng_tls_config_alloc(&cfg, mode)) != 0) {
		(void) snprintf(err, errsz, "TLS: %s", nng_strerror(rv));
		return PA_ENOMEM;
	}
	if (o->cert_file != NULL && o->key_file != NULL &&
	    (rv = nng_tls_config_cert_key_file(cfg, o->cert_file, o->key_file)) != 0) {
		(void) snprintf(err, errsz, "TLS certificate %s / key %s: %s", o->cert_file,
		    o->key_file, nng_strerror(rv));
		goto out_free;
	}
	if (o->ca_file != NULL) {
		if ((rv = nng_tls_config_ca_file(cfg, o->ca_file)) != 0) {
			(void) snprintf(err, errsz, "TLS CA file %s: %s", o->ca_file,
			    nng_strerror(rv));
			goto out_free;
		}
		rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED);
	} else {
		/* A server without a CA does not ask for client certificates; a client without
		 * one cannot verify the server, so that is refused. */
		rv = mode == NNG_TLS_MODE_SERVER ?
		    nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_NONE) : NNG_EINVAL;
		if (rv != 0) {
			(void) snprintf(err, errsz, "a tls+tcp:// client needs a CA file");
			goto out_free;
		}
	}
	if (rv == 0 && o->server_name != NULL)
		rv = nng_tls_config_server_name(cfg, o->server_name);
	if (rv != 0) {
		(void) snprintf(err, errsz, "TLS: %s", nng_strerror(rv));
		goto out_free;
	}
	*out = cfg;
	return PA_OK;
out_free:
	nng_tls_config_free(cfg);
	return PA_EINVAL;
}

pa_err
pa_tls_apply_listener(void *lp, const struct pa_tls_opts *o, char *err, size_t errsz)
{
	nng_tls_config *cfg;
	pa_err          rv;

	if ((rv = tls_build(&cfg, NNG_TLS_MODE_SERVER, o, err, errsz)) != PA_OK)
		return rv;
	if (nng_listener_set_ptr(*(nng_listener *) lp, NNG_OPT_TLS_CONFIG, cfg) != 0) {
		(void) snprintf(err, errsz, "TLS: cannot configure the listener");
		rv = PA_EINVAL;
	}
	nng_tls_config_free(cfg); /* the listener holds its own reference */
	return rv;
}

pa_err
pa_tls_apply_dialer(void *dp, const struct pa_tls_opts *o, char *err, size_t errsz)
{
	nng_tls_config *cfg;
	pa_err          rv;

	if ((rv = tls_build(&cfg, NNG_TLS_MODE_CLIENT, o, err, errsz)) != PA_OK)
		return rv;
	if (nng_dialer_set_ptr(*(nng_dialer *) dp, NNG_OPT_TLS_CONFIG, cfg) != 0) {
		(void) snprintf(err, errsz, "TLS: cannot configure the dialer");
		rv = PA_EINVAL;
	}
	nng_tls_config_free(cfg);
	return rv;
}
