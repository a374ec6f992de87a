/* tls.h: TLS settings for tls+tcp:// listeners and dialers (NNG's TLS), read from files. */
#ifndef PHONEAUTH_COMMON_TLS_H
#define PHONEAUTH_COMMON_TLS_H

#include <stddef.h>

#include "common/err.h"

struct pa_tls_opts {
	const char *cert_file; /* PEM certificate chain (servers; clients for mutual TLS) */
	const char *key_file; /* PEM private key for cert_file */
	const char *ca_file; /* PEM CAs that peers must chain to */
	const char *server_name; /* clients: name to verify; default: the URL's host */
};

/* Applies opts to a listener (server = 1) or dialer (server = 0) given as its NNG option
 * setter target. Returns PA_EINVAL with err set when a file is missing or unreadable. */
pa_err pa_tls_apply_listener(
    void *nng_listener_ptr, const struct pa_tls_opts *opts, char *err, size_t errsz) PA_MUSTCHECK;
pa_err pa_tls_apply_dialer(
    void *nng_dialer_ptr, const struct pa_tls_opts *opts, char *err, size_t errsz) PA_MUSTCHECK;

#endif
