/* message.c: wiping a job: its sealed and its opened body. */
#include <stdlib.h>

#include <sodium.h>

#include "message.h"

void
smsw_job_clear(struct smsw_job *j)
{
	if (j->body != NULL) {
		sodium_memzero(j->body, j->body_len);
		free(j->body);
	}
	free(j->sealed);
	*j = (struct smsw_job) { 0 };
}
