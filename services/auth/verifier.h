/* verifier.h: auth's side of the Twilio Verify checks (common/vcheck.h has the protocol): a REQ
 * socket listening on PHONEAUTH_VERIFY_CHECK_URL that the SMS workers' REP sockets dial (they
 * hold the Twilio credentials), one NNG context per check, each sealed under
 * PHONEAUTH_VERIFY_CHECK_TOKEN with a fresh request id and bounded by
 * PHONEAUTH_VERIFY_CHECK_TIMEOUT. Only with PHONEAUTH_CODE_BACKEND=verify. */
#ifndef PHONEAUTH_AUTH_VERIFIER_H
#define PHONEAUTH_AUTH_VERIFIER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/tls.h"
#include "common/vcheck.h"

struct auth_config;
struct auth_verifier;

/* Whether cfg makes and checks codes with Twilio Verify. */
bool auth_verifier_on(const struct auth_config *cfg);

/* Listens for the workers when cfg's backend is verify (*out NULL and PA_OK when it is local).
 * PA_EINVAL, with one line in err, for an unknown backend or a token shorter than 32 characters;
 * PA_EIO when it cannot listen. */
pa_err auth_verifier_start(struct auth_verifier **out, const struct auth_config *cfg,
    const struct pa_tls_opts *tls, char *err, size_t errsz) PA_MUSTCHECK;
/* Closes the socket (checks in progress end at once, unanswered). Safe on NULL. */
void auth_verifier_stop(struct auth_verifier *v);

/* Asks a worker to check code against the pending verification to `to` (E.164; or the VE sid,
 * when sid is not NULL or "") and waits for its answer, at most the configured timeout. PA_OK:
 * *out is what Twilio said (http_status 0: the worker got no answer from Twilio).
 * PA_ETIMEDOUT: no worker answered in time; PA_EPROTO: an answer that is not sealed for this
 * request (a rogue peer); PA_EINVAL: code or to is malformed, nothing was sent. Any thread. */
pa_err auth_verifier_check(struct auth_verifier *v, const char *to, const char *sid,
    const char *code, struct pa_vcheck_response *out) PA_MUSTCHECK;

#endif
