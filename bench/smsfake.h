/* smsfake.h: the test suite's fake Twilio, run inside the bench process, so the codes the SMS
 * worker sends can be read back (VerifyCode with the right code, account setup) and each
 * message's arrival can be timed. The worker must be started with TWILIO_API_BASE set to
 * bench_sms_base() and the BENCH_TWILIO_* credentials below. */
#ifndef PHONEAUTH_BENCH_SMSFAKE_H
#define PHONEAUTH_BENCH_SMSFAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "phones.h"

/* Benchmark-only credentials, shared by the fake and the worker the bench starts. */
#define BENCH_TWILIO_ACCOUNT "AC0000000000000000000000000000be01"
#define BENCH_TWILIO_TOKEN "bench-auth-token-0123456789abcdef"
#define BENCH_TWILIO_API_KEY "SK0000000000000000000000000000be02"
#define BENCH_TWILIO_API_SECRET "bench-api-secret-fedcba987654321"
#define BENCH_TWILIO_SERVICE "MG0000000000000000000000000000be03"

struct bench_sms;

/* Starts the fake on listen ("127.0.0.1:PORT"), answering after latency_ms. */
pa_err bench_sms_start(struct bench_sms **out, const char *listen, int latency_ms) PA_MUSTCHECK;
void   bench_sms_stop(struct bench_sms *s); /* NULL is a no-op */

/* "http://127.0.0.1:PORT" */
const char *bench_sms_base(const struct bench_sms *s);
void        bench_sms_set_latency(struct bench_sms *s, int ms);

/* From now on, remembers the arrival time and code of each message to a number of phones
 * (which must outlive the tracking: until the next call or bench_sms_stop); messages to other
 * numbers are only counted. NULL stops tracking. Also restarts the arrival counters below. */
pa_err bench_sms_track(struct bench_sms *s, const struct bench_phones *phones) PA_MUSTCHECK;

/* When the message to phones->e164[i] arrived (pa_now_ns clock); 0 if it has not. */
uint64_t bench_sms_arrival_ns(struct bench_sms *s, size_t i);
/* The code in the message to phones->e164[i] (the first run of 4+ digits of its body); false if
 * none arrived yet. */
bool bench_sms_code(struct bench_sms *s, size_t i, char out[16]);
/* Waits until messages to phones->e164[from .. to-1] have all arrived or timeout_ms passed;
 * returns how many had. */
size_t bench_sms_wait(struct bench_sms *s, size_t from, size_t to, int timeout_ms);

/* Messages accepted since the last bench_sms_track, with the first and last arrival times. */
struct bench_sms_arrivals {
	uint64_t count;
	uint64_t first_ns, last_ns;
};
void bench_sms_arrivals(struct bench_sms *s, struct bench_sms_arrivals *out);

#endif
