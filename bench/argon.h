/* argon.h: the bare Argon2id baseline for Login: crypto_pwhash_str_verify in a loop on as many
 * threads as asked, against a hash made with the service's limits, through the same load runner
 * (so the same latency and rate arithmetic). */
#ifndef PHONEAUTH_BENCH_ARGON_H
#define PHONEAUTH_BENCH_ARGON_H

#include <stddef.h>

#include <sodium.h>

#include "common/err.h"
#include "load.h"

struct bench_argon {
	char        hash[crypto_pwhash_STRBYTES];
	const char *password;
};

/* Hashes password with Argon2id at (opslimit, memlimit bytes), as pa_password_hash does. */
pa_err bench_argon_prepare(struct bench_argon *a, const char *password, unsigned long long opslimit,
    size_t memlimit) PA_MUSTCHECK;

/* Load-runner plumbing: no connection, and one verify per call (OK, or INTERNAL on mismatch). */
void *bench_argon_open(void *arg, unsigned thread);
void  bench_argon_close(void *conn);
int   bench_argon_call(void *conn, void *arg, const struct bench_req *r);

#endif
