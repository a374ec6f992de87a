/* fuzz_vcheck.c: the Twilio Verify check protocol (libcommon vcheck) as both ends read what comes
 * off their sockets: the input is opened as a request (the worker's REP side) and as an answer
 * to a fixed request id (auth's REQ side), under fixed keys. It is also read as text fields
 * "to|code|sid|status|http|error" that are sealed and opened again. Properties: nothing that was
 * not sealed under the keys opens; whatever seals opens to the same fields, under its own id and
 * direction only; one flipped byte of a sealed message never opens. */
#include "fuzz.h"

#include <sodium.h>

#include "common/vcheck.h"

#define TOKEN "fuzz-check-token-0123456789abcdef0123456789"

static struct pa_vcheck_keys keys;
static bool                  have_keys;

/* Splits s at '|' into at most n fields (in place); returns how many. */
static size_t
split(char *s, char **f, size_t n)
{
	size_t k = 0;

	while (k < n) {
		f[k++] = s;
		if ((s = strchr(s, '|')) == NULL)
			break;
		*s++ = '\0';
	}
	return k;
}

static void
round_trip(const char *const *f, size_t nf, const uint8_t *data, size_t size)
{
	struct pa_vcheck_request  rq, rq2;
	struct pa_vcheck_response rp, rp2;
	unsigned char             id[PA_VCHECK_ID_BYTES], id2[PA_VCHECK_ID_BYTES];
	unsigned char             wreq[PA_VCHECK_REQ_WIRE], wrep[PA_VCHECK_REP_WIRE];

	memset(&rq, 0, sizeof rq);
	memset(&rp, 0, sizeof rp);
	memset(id, 0, sizeof id);
	memcpy(id, data, size < sizeof id ? size : sizeof id);
	(void) snprintf(rq.to, sizeof rq.to, "%s", nf > 0 ? f[0] : "");
	(void) snprintf(rq.code, sizeof rq.code, "%s", nf > 1 ? f[1] : "");
	(void) snprintf(rq.sid, sizeof rq.sid, "%s", nf > 2 ? f[2] : "");
	if (pa_vcheck_seal_request(wreq, &keys, id, &rq) == PA_OK) {
		FUZZ_CHECK(pa_vcheck_open_request(&rq2, id2, &keys, wreq, sizeof wreq) == PA_OK);
		FUZZ_CHECK(memcmp(id, id2, sizeof id) == 0);
		FUZZ_CHECK(strcmp(rq.to, rq2.to) == 0 && strcmp(rq.code, rq2.code) == 0
		    && strcmp(rq.sid, rq2.sid) == 0);
		/* A request never passes for an answer. */
		FUZZ_CHECK(pa_vcheck_open_response(&rp2, &keys, id, wreq, sizeof wreq) != PA_OK);
		wreq[size % sizeof wreq] ^= 0x01;
		FUZZ_CHECK(pa_vcheck_open_request(&rq2, id2, &keys, wreq, sizeof wreq) != PA_OK);
	}
	(void) snprintf(rp.status, sizeof rp.status, "%s", nf > 3 ? f[3] : "");
	(void) snprintf(rp.sid, sizeof rp.sid, "%s", nf > 2 ? f[2] : "");
	rp.http_status = nf > 4 ? atoi(f[4]) : 0;
	rp.error_code  = nf > 5 ? atoi(f[5]) : 0;
	if (pa_vcheck_seal_response(wrep, &keys, id, &rp) == PA_OK) {
		FUZZ_CHECK(pa_vcheck_open_response(&rp2, &keys, id, wrep, sizeof wrep) == PA_OK);
		FUZZ_CHECK(rp.http_status == rp2.http_status && rp.error_code == rp2.error_code
		    && strcmp(rp.status, rp2.status) == 0 && strcmp(rp.sid, rp2.sid) == 0);
		/* An answer to another request is refused. */
		id[0] ^= 0x80;
		FUZZ_CHECK(pa_vcheck_open_response(&rp2, &keys, id, wrep, sizeof wrep) != PA_OK);
		id[0] ^= 0x80;
		wrep[size % sizeof wrep] ^= 0x01;
		FUZZ_CHECK(pa_vcheck_open_response(&rp2, &keys, id, wrep, sizeof wrep) != PA_OK);
	}
	sodium_memzero(&rq2, sizeof rq2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char fixed_id[PA_VCHECK_ID_BYTES]
	    = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	struct pa_vcheck_request  rq;
	struct pa_vcheck_response rp;
	unsigned char             id[PA_VCHECK_ID_BYTES];
	char                     *s, *f[6];

	if (!have_keys) {
		FUZZ_CHECK(sodium_init() >= 0);
		FUZZ_CHECK(pa_vcheck_keys_derive(&keys, TOKEN) == PA_OK);
		have_keys = true;
	}
	if (size > 4096)
		return 0;
	/* Bytes from the network: no key, so nothing opens (a forgery would need the token). */
	FUZZ_CHECK(pa_vcheck_open_request(&rq, id, &keys, data, size) != PA_OK);
	FUZZ_CHECK(pa_vcheck_open_response(&rp, &keys, fixed_id, data, size) != PA_OK);
	if ((s = fuzz_strdup(data, size)) != NULL) {
		round_trip((const char *const *) f, split(s, f, 6), data, size);
		free(s);
	}
	return 0;
}
