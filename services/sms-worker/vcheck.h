/* vcheck.h: the worker's side of the Verify code checks (common/vcheck.h has the protocol): one
 * NNG REP socket dialed to every auth instance's PHONEAUTH_VERIFY_CHECK_URL (the jobs socket's
 * direction, so workers come and go without auth's knowing), and a few threads that each take a
 * sealed check, POST Twilio's VerificationCheck with a blocking libcurl easy handle (the
 * credentials stay here), and answer sealed. A request that does not open under
 * PHONEAUTH_VERIFY_CHECK_TOKEN is dropped unanswered. On only with TWILIO_VERIFY_SERVICE_SID. */
#ifndef PHONEAUTH_SMSW_VCHECK_H
#define PHONEAUTH_SMSW_VCHECK_H

#include "common/err.h"
#include "config.h"

struct smsw_vcheck;

/* Dials every URL of c->verify_check_urls (without waiting for them) and starts the threads;
 * *out NULL and PA_OK when Verify is off. c must outlive it. */
pa_err smsw_vcheck_start(struct smsw_vcheck **out, const struct smsw_config *c) PA_MUSTCHECK;
/* Closes the socket, lets the checks in progress end (each within the request timeout), joins
 * the threads. Safe on NULL. */
void smsw_vcheck_stop(struct smsw_vcheck *v);

#endif
