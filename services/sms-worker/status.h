/* status.h: the worker's HTTP endpoints: Twilio's signed delivery callbacks at /twilio/status
 * (checked with twsig, recorded with smsw_store_status), /healthz (the last heartbeat) and
 * /metrics (wmetrics). */
#ifndef PHONEAUTH_SMSW_STATUS_H
#define PHONEAUTH_SMSW_STATUS_H

#include "common/err.h"
#include "config.h"

struct pa_http;

/* Routes /twilio/status, /healthz and /metrics on h; c (read only) must outlive h. The status
 * handler is blocking: it writes to PostgreSQL on the server's queue threads, whose state is a
 * struct pa_db *. */
pa_err smsw_status_routes(struct pa_http *h, struct smsw_config *c) PA_MUSTCHECK;

#endif
