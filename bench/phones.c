/* phones.c: unique, valid US numbers (see phones.h). The sequence walks exchange blocks (area
 * code, exchange 200..999) in order and skips those libphonenumber refuses; position i is line
 * i % 10 000 of the (i / 10 000)-th accepted block. */
#include "phones.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/phone.h"

/* Assigned, geographic area codes (ascending, so the numbers come out sorted). */
static const unsigned areas[] = { 201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215,
	216, 217, 218, 219, 224, 225, 228, 229, 231, 234, 239, 240, 248, 251, 252, 253, 254 };
#define NAREAS (sizeof areas / sizeof areas[0])
#define EXCHANGES 800u /* 200..999 */
#define LINES 10000u
#define BLOCK_SPACE ((uint64_t) EXCHANGES * LINES)

/* The rules the bench relies on the service applying (services/auth/config.c defaults). */
#define REGION "US"

uint64_t
bench_phones_space(void)
{
	return NAREAS * BLOCK_SPACE;
}

static void
format(char out[16], unsigned area, unsigned exchange, unsigned line)
{
	(void) snprintf(out, 16, "+1%03u%03u%04u", area, exchange, line);
}

static bool
accepted(const char *e164)
{
	struct pa_phone ph;

	return pa_phone_check(&ph, e164, REGION, NULL) == PA_PHONE_OK && strcmp(ph.e164, e164) == 0;
}

/* Finds the next block at or after *block whose first and last numbers pass; false when the
 * area codes run out. */
static bool
next_block(uint64_t *block, unsigned *area, unsigned *exchange)
{
	char probe[16];

	for (; *block / EXCHANGES < NAREAS; (*block)++) {
		*area     = areas[*block / EXCHANGES];
		*exchange = 200 + (unsigned) (*block % EXCHANGES);
		format(probe, *area, *exchange, 0);
		if (!accepted(probe))
			continue;
		format(probe, *area, *exchange, LINES - 1);
		if (accepted(probe))
			return true;
	}
	return false;
}

pa_err
bench_phones_make(struct bench_phones *out, uint64_t start, size_t n, char *err, size_t errsz)
{
	struct bench_phones p     = { 0 };
	uint64_t            block = 0;
	unsigned            area, exchange, line = (unsigned) (start % LINES);

	if ((p.e164 = calloc(n ? n : 1, sizeof *p.e164)) == NULL)
		return PA_ENOMEM;
	/* Skip start / LINES accepted blocks. */
	for (uint64_t skip = start / LINES; skip > 0; skip--, block++)
		if (!next_block(&block, &area, &exchange))
			goto out_end;
	while (p.n < n) {
		if (!next_block(&block, &area, &exchange))
			goto out_end;
		/* Every number is still checked, so a rule finer than the exchange shows up. */
		for (; line < LINES && p.n < n; line++) {
			format(p.e164[p.n], area, exchange, line);
			if (!accepted(p.e164[p.n])) {
				(void) snprintf(
				    err, errsz, "%s is refused by pa_phone_check", p.e164[p.n]);
				free(p.e164);
				return PA_EINVAL;
			}
			p.n++;
		}
		line = 0;
		block++;
	}
	*out = p;
	return PA_OK;
out_end:
	(void) snprintf(err, errsz, "the phone sequence has fewer than %llu numbers",
	    (unsigned long long) (start + n));
	free(p.e164);
	return PA_ETOOBIG;
}

static int
cmp_phone(const void *key, const void *elem)
{
	return strcmp(key, elem);
}

long
bench_phones_find(const struct bench_phones *p, const char *e164)
{
	const char(*hit)[16] = bsearch(e164, p->e164, p->n, sizeof *p->e164, cmp_phone);

	return hit == NULL ? -1 : (long) (hit - p->e164);
}

void
bench_phones_free(struct bench_phones *p)
{
	if (p == NULL)
		return;
	free(p->e164);
	*p = (struct bench_phones) { 0 };
}
