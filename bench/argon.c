/* argon.c: bare Argon2id verification (see argon.h). */
#include "argon.h"

#include <string.h>

pa_err
bench_argon_prepare(
    struct bench_argon *a, const char *password, unsigned long long opslimit, size_t memlimit)
{
	a->password = password;
	if (crypto_pwhash_str_alg(a->hash, password, strlen(password), opslimit, memlimit,
	        crypto_pwhash_ALG_ARGON2ID13)
	    != 0)
		return PA_ENOMEM;
	return PA_OK;
}

void *
bench_argon_open(void *arg, unsigned thread)
{
	(void) thread;
	return arg; /* anything but NULL: there is nothing to open */
}

void
bench_argon_close(void *conn)
{
	(void) conn;
}

int
bench_argon_call(void *conn, void *arg, const struct bench_req *r)
{
	const struct bench_argon *a = arg;

	(void) conn;
	(void) r;
	/* 13 is INTERNAL: a mismatch would be a bug in the bench. */
	return crypto_pwhash_str_verify(a->hash, a->password, strlen(a->password)) == 0 ? 0 : 13;
}
