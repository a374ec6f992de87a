/* phones.h: unique phone numbers the service accepts, for as many requests as a run needs. The
 * +1 201 555 xxxx numbers the tests use give only 10 000; these walk several US area codes and
 * every exchange in them, and each number is checked with pa_phone_check exactly as the Fancy
 * Feathers and LawnFlow profiles check input (default region US, only US allowed, mobile-capable).
 */
#ifndef PHONEAUTH_BENCH_PHONES_H
#define PHONEAUTH_BENCH_PHONES_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* n numbers in E.164, strictly increasing (so bench_phones_find can bisect). */
struct bench_phones {
	size_t n;
	char (*e164)[16];
};

/* Fills *out with numbers start .. start + n - 1 of one fixed sequence of valid numbers, so runs
 * given disjoint ranges never share a number. PA_ETOOBIG when the sequence runs out, PA_EINVAL
 * when a number the generator made is refused by pa_phone_check (err says which), PA_ENOMEM.
 * Slow (a libphonenumber check per number): call it before timing anything. */
pa_err bench_phones_make(
    struct bench_phones *out, uint64_t start, size_t n, char *err, size_t errsz) PA_MUSTCHECK;

/* The index of e164 in p, or -1. Thread-safe. */
long bench_phones_find(const struct bench_phones *p, const char *e164);

/* An upper bound of the sequence's length (for picking a random start). */
uint64_t bench_phones_space(void);

void bench_phones_free(struct bench_phones *p);

#endif
