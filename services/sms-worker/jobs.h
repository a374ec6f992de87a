/* jobs.h: the job socket: an NNG PULL socket dialed to every auth instance's PUSH socket
 * (PHONEAUTH_JOBS_URL, TLS for tls+tcp://). Each job is an SmsJob message naming one outbox id,
 * handed to the send loop (smsw_engine_push) from NNG's callback thread. A lost push costs
 * nothing: the loop's sweep finds every due row. */
#ifndef PHONEAUTH_SMSW_JOBS_H
#define PHONEAUTH_SMSW_JOBS_H

#include <nng/nng.h>

#include "config.h"
#include "engine.h"

struct smsw_jobs {
	nng_socket          sock; /* NNG_SOCKET_INITIALIZER until opened */
	nng_aio            *aio;
	struct smsw_engine *engine;
};

/* Dials every URL of cfg->jobs_urls without waiting for them (an auth instance that is not up
 * yet is dialed again later) and starts receiving into j->engine. An NNG error on failure:
 * smsw_jobs_close still cleans up. */
int smsw_jobs_open(struct smsw_jobs *j, const struct smsw_config *cfg);
/* Stops receiving and closes the socket (bounded wait). Safe on a never-opened j. */
void smsw_jobs_close(struct smsw_jobs *j);

#endif
