/* tls.c: configures NNG's TLS for tls+tcp:// listeners and dialers from PEM files. */
#include "common/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sodium.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

/* A whole PEM file, NUL-terminated (mbedTLS wants the NUL), malloc'd; NULL if unreadable. */
static char *
read_pem(const char *file, size_t *len)
{
	FILE *f   = fopen(file, "rb");
	char *buf = NULL;
	long  n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < 1024 * 1024
	    && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t) n + 1)) != NULL) {
		if (fread(buf, 1, (size_t) n, f) != (size_t) n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*len   = (size_t) n;
		}
	}
	(void) fclose(f);
	return buf;
}

/* nng_tls_config_cert_key_file wants the certificate and key in one file (its second argument is
 * a passphrase), so the two files are read here and handed over as PEM text. */
static int
own_cert(nng_tls_config *cfg, const char *cert_file, const char *key_file)
{
	size_t clen = 0, klen = 0;
	char  *cert = read_pem(cert_file, &clen), *key = read_pem(key_file, &klen);
	int    rv = cert == NULL || key == NULL ? NNG_ENOENT
	                                        : nng_tls_config_own_cert(cfg, cert, key, NULL);

	if (key != NULL)
		sodium_memzero(key, klen);
	free(key);
	free(cert);
	return rv;
}

static pa_err
tls_build(
    nng_tls_config **out, nng_tls_mode mode, const struct pa_tls_opts *o, char *err, size_t errsz)
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
	if (o->cert_file != NULL && o->key_file != NULL
	    && (rv = own_cert(cfg, o->cert_file, o->key_file)) != 0) {
		(void) snprintf(err, errsz, "TLS certificate %s / key %s: %s", o->cert_file,
		    o->key_file, nng_strerror(rv));
		goto out_free;
	}
	if (o->ca_file != NULL) {
		if ((rv = nng_tls_config_ca_file(cfg, o->ca_file)) != 0) {
			(void) snprintf(
			    err, errsz, "TLS CA file %s: %s", o->ca_file, nng_strerror(rv));
			goto out_free;
		}
		rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED);
	} else {
		/* A server without a CA does not ask for client certificates; a client without
		 * one cannot verify the server, so that is refused. */
		rv = mode == NNG_TLS_MODE_SERVER
		    ? nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_NONE)
		    : NNG_EINVAL;
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
