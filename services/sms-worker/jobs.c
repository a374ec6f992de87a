/* jobs.c: the PULL socket that receives outbox ids from the auth instances. */
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>

#include "common/log.h"
#include "common/nngutil.h"
#include "common/tls.h"
#include "jobs.h"
#include "phoneauth/v1/sms.pb-c.h"

static void
jobs_recv_cb(void *arg)
{
	struct smsw_jobs *j  = arg;
	int               rv = nng_aio_result(j->aio);

	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		return;
	if (rv == 0) {
		nng_msg               *m = nng_aio_get_msg(j->aio);
		Phoneauth__V1__SmsJob *job
		    = phoneauth__v1__sms_job__unpack(NULL, nng_msg_len(m), nng_msg_body(m));

		if (job == NULL)
			pa_log_warn("bad_job", "bytes=%zu", nng_msg_len(m));
		else
			smsw_engine_push(j->engine, (int64_t) job->outbox_id);
		phoneauth__v1__sms_job__free_unpacked(job, NULL);
		nng_msg_free(m);
	} else {
		pa_log_warn("recv_failed", "error=\"%s\"", nng_strerror(rv));
	}
	nng_recv_aio(j->sock, j->aio);
}

int
smsw_jobs_open(struct smsw_jobs *j, const struct smsw_config *cfg)
{
	const struct pa_tls_opts tls  = { .cert_file = cfg->tls_cert,
		 .key_file                           = cfg->tls_key,
		 .ca_file                            = cfg->tls_ca,
		 .server_name                        = cfg->tls_server_name };
	char                    *list = strdup(cfg->jobs_urls), *save = NULL;
	char                     err[300], v[320];
	int                      rv = 0;

	if (list == NULL)
		return NNG_ENOMEM;
	if ((rv = nng_pull0_open(&j->sock)) != 0
	    || (rv = nng_socket_set_ms(j->sock, NNG_OPT_RECONNMAXT, 2000)) != 0
	    || (rv = nng_aio_alloc(&j->aio, jobs_recv_cb, j)) != 0)
		goto out;
	for (char *u = strtok_r(list, ",", &save); u != NULL; u = strtok_r(NULL, ",", &save)) {
		nng_dialer d;

		if ((rv = nng_dialer_create(&d, j->sock, u)) != 0) {
			pa_log_error(
			    "start_failed", "jobs_url=%s error=\"%s\"", u, nng_strerror(rv));
			goto out;
		}
		if (strncmp(u, "tls+tcp://", 10) == 0
		    && pa_tls_apply_dialer(&d, &tls, err, sizeof err) != PA_OK) {
			pa_log_error("start_failed", "jobs_url=%s error=%s", u,
			    pa_log_value(v, sizeof v, err));
			rv = NNG_EINVAL;
			goto out;
		}
		/* Non-blocking: an auth instance that is not up yet is dialed again later. */
		if ((rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK)) != 0) {
			pa_log_error(
			    "start_failed", "jobs_url=%s error=\"%s\"", u, nng_strerror(rv));
			goto out;
		}
	}
	nng_recv_aio(j->sock, j->aio);
out:
	free(list);
	return rv;
}

void
smsw_jobs_close(struct smsw_jobs *j)
{
	if (j->aio != NULL)
		nng_aio_stop(j->aio);
	(void) pa_nng_close_bounded(j->sock, 1000);
	nng_aio_free(j->aio);
}
