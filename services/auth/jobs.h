/* jobs.h: the PUSH socket SMS workers pull outbox ids from. A push is only a wake-up: the outbox
 * row is the durable record, and a push nobody takes is found by the workers' sweep. */
#ifndef PHONEAUTH_AUTH_JOBS_H
#define PHONEAUTH_AUTH_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/tls.h"

struct auth_jobs;

pa_err auth_jobs_open(struct auth_jobs **out, const char *url, const struct pa_tls_opts *tls,
    char *err, size_t errsz) PA_MUSTCHECK;
/* Pushes an outbox id without blocking; 0 is ignored. Failure only costs latency. */
void auth_jobs_push(struct auth_jobs *j, int64_t outbox_id);
void auth_jobs_close(struct auth_jobs *j);

#endif
