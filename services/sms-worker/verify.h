/* verify.h: Twilio Verify v2 on the wire (../shared/twilio-oai/twilio_verify_v2.json): the
 * Verifications form a kind 'verify' outbox row POSTs (To, Channel, Locale), what its answers mean
 * (sent with a VE SID, failed for good, or try again later), the VerificationCheck form a check
 * POSTs (To or VerificationSid, and Code) and what its answer says. No I/O: xfer.c and vcheck.c
 * move the bytes. */
#ifndef PHONEAUTH_SMSW_VERIFY_H
#define PHONEAUTH_SMSW_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/strbuf.h"
#include "common/vcheck.h"
#include "config.h"
#include "message.h"

/* Whether s is a Verification SID (VE + 32 hex). */
#define SMSW_VERIFY_SID_OK(s) (smsw_sid_ok((s), "VE"))

/* The Verify language for a BCP 47 tag: its language subtag ("es-MX" -> "es"), the tags Verify
 * names with a region kept ("pt-BR", "zh-HK", "en-GB"); NULL for "en" or an empty tag, which let
 * Verify pick by the number's country. */
const char *smsw_verify_locale(const char *bcp47, char out[16]);

/* The form body of a Verifications POST for j (its phone, channel and locale). */
pa_err smsw_verify_start_form(const struct smsw_job *j, struct pa_strbuf *out) PA_MUSTCHECK;

/* Classifies the answer to a Verifications POST like smsw_twilio_classify: 2xx with a VE SID is
 * SENT (sid, status "pending"); 60200 (invalid parameter), 60203 (max send attempts), 60212 (too
 * many concurrent requests for the phone), 60410 (Fraud Guard) and other 4xx FAILED for good;
 * no answer, 408, 429 and 5xx RETRY until c->max_attempts. */
void smsw_verify_classify(const struct smsw_config *c, long http_status, const char *body,
    size_t body_len, const char *retry_after, int attempts, struct smsw_result *r);

/* Whether a Verify error code means "never retry this send". */
bool smsw_verify_permanent(int code);

/* The form body of a VerificationCheck POST: Code with VerificationSid when r has one, else with
 * To. It holds the code: out should be a secret buffer, wiped by the caller. */
pa_err smsw_verify_check_form(
    const struct pa_vcheck_request *r, struct pa_strbuf *out) PA_MUSTCHECK;

/* Reads the answer to a VerificationCheck POST into out: http_status as given, status and sid of
 * a 2xx VerificationCheck JSON, Twilio's error code of any other. Fields that are not what Twilio
 * sends are left empty. */
void smsw_verify_check_answer(
    long http_status, const char *body, size_t body_len, struct pa_vcheck_response *out);

#endif
