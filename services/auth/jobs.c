/* jobs.c: the auth side of SMS jobs: a PUSH socket that SMS workers dial, carrying outbox ids.
 * Pushes never block a request; the outbox row is the durable record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pipeline0/push.h>

#include "common/log.h"
#include "common/nngutil.h"
#include "jobs.h"
#include "phoneauth/v1/sms.pb-c.h"

struct auth_jobs {
	nng_socket   sock;
	nng_listener listener;
};

pa_err
auth_jobs_open(
    struct auth_jobs **out, const char *url, const struct pa_tls_opts *tls, char *err, size_t errsz)
{
	struct auth_jobs *j;
	int               rv;

	if ((j = calloc(1, sizeof *j)) == NULL)
		return PA_ENOMEM;
	if ((rv = nng_push0_open(&j->sock)) != 0
	    || (rv = nng_socket_set_int(j->sock, NNG_OPT_SENDBUF, 1024)) != 0
	    || (rv = nng_listener_create(&j->listener, j->sock, url)) != 0)
		goto out_fail;
	if (strncmp(url, "tls+tcp://", 10) == 0
	    && pa_tls_apply_listener(&j->listener, tls, err, errsz) != PA_OK) {
		auth_jobs_close(j);
		return PA_EINVAL;
	}
	if ((rv = nng_listener_start(j->listener, 0)) != 0)
		goto out_fail;
	*out = j;
	return PA_OK;
out_fail:
	(void) snprintf(
	    err, errsz, "cannot listen for SMS workers on %s: %s", url, nng_strerror(rv));
	auth_jobs_close(j);
	return PA_EIO;
}

void
auth_jobs_push(struct auth_jobs *j, int64_t outbox_id)
{
	Phoneauth__V1__SmsJob job = PHONEAUTH__V1__SMS_JOB__INIT;
	uint8_t               buf[16];
	size_t                len;
	int                   rv;

	if (j == NULL || outbox_id <= 0)
		return;
	job.outbox_id = (uint64_t) outbox_id;
	len           = phoneauth__v1__sms_job__pack(&job, buf);
	if ((rv = nng_send(j->sock, buf, len, NNG_FLAG_NONBLOCK)) != 0)
		pa_log_debug("job_push_deferred", "outbox_id=%lld reason=%s", (long long) outbox_id,
		    rv == NNG_EAGAIN ? "no_worker_ready" : "send_failed");
}

void
auth_jobs_close(struct auth_jobs *j)
{
	if (j == NULL)
		return;
	(void) pa_nng_close_bounded(j->sock, 1000);
	free(j);
}
