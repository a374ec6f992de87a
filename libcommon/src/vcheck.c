/* vcheck.c: sealing and opening the Verify check messages (vcheck.h). Fixed offsets, exact sizes
 * and strict field checks, so a fuzzer or a rogue peer finds nothing to parse loosely. */
#include "common/vcheck.h"

#include <string.h>

#include <sodium.h>

#define VERSION 1
#define HDR (PA_VCHECK_ID_BYTES + crypto_secretbox_NONCEBYTES)
#define REQ_PLAIN \
	(1 + PA_VCHECK_ID_BYTES + PA_VCHECK_TO_SIZE + PA_VCHECK_CODE_SIZE + PA_VCHECK_SID_SIZE)
#define REP_PLAIN (1 + PA_VCHECK_ID_BYTES + 4 + PA_VCHECK_STATUS_SIZE + 4 + PA_VCHECK_SID_SIZE)

_Static_assert(HDR + crypto_secretbox_MACBYTES + REQ_PLAIN == PA_VCHECK_REQ_WIRE, "request size");
_Static_assert(HDR + crypto_secretbox_MACBYTES + REP_PLAIN == PA_VCHECK_REP_WIRE, "answer size");

/* Context strings: each direction its own key. */
static const char ctx_req[] = "phoneauth verify check request v1";
static const char ctx_rep[] = "phoneauth verify check answer v1";

pa_err
pa_vcheck_keys_derive(struct pa_vcheck_keys *out, const char *token)
{
	size_t len = token != NULL ? strlen(token) : 0;

	if (len < PA_VCHECK_TOKEN_MIN)
		return PA_EINVAL;
	if (crypto_generichash(out->req, sizeof out->req, (const unsigned char *) token, len,
	        (const unsigned char *) ctx_req, sizeof ctx_req - 1)
	        != 0
	    || crypto_generichash(out->rep, sizeof out->rep, (const unsigned char *) token, len,
	           (const unsigned char *) ctx_rep, sizeof ctx_rep - 1)
	        != 0) {
		pa_vcheck_keys_wipe(out);
		return PA_ECRYPTO;
	}
	return PA_OK;
}

void
pa_vcheck_keys_wipe(struct pa_vcheck_keys *k)
{
	sodium_memzero(k, sizeof *k);
}

void
pa_vcheck_new_id(unsigned char id[PA_VCHECK_ID_BYTES])
{
	randombytes_buf(id, PA_VCHECK_ID_BYTES);
}

/* ---- fields ---------------------------------------------------------------------------------- */

static bool
all_of(const char *s, size_t from, size_t to, const char *set)
{
	for (size_t i = from; i < to; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return false;
	return true;
}

/* A field of size bytes: a string, then zeros to the end (one spelling per value). */
static bool
field_ok(const unsigned char *f, size_t size, size_t *len)
{
	const unsigned char *nul = memchr(f, 0, size);

	if (nul == NULL)
		return false;
	for (const unsigned char *p = nul; p < f + size; p++)
		if (*p != 0)
			return false;
	*len = (size_t) (nul - f);
	return true;
}

static bool
to_ok(const char *s, size_t n)
{
	return n == 0 || (n >= 2 && n <= 16 && s[0] == '+' && all_of(s, 1, n, "0123456789"));
}

static bool
code_ok(const char *s, size_t n)
{
	return n >= 4 && n <= 10 && all_of(s, 0, n, "0123456789");
}

static bool
sid_ok(const char *s, size_t n)
{
	return n == 0
	    || (n == 34 && s[0] == 'V' && s[1] == 'E' && all_of(s, 2, n, "0123456789abcdef"));
}

static bool
status_ok(const char *s, size_t n)
{
	return all_of(s, 0, n, "abcdefghijklmnopqrstuvwxyz_");
}

/* Copies s (of at most size - 1 characters) into a zero-padded field. */
static bool
put(unsigned char *f, size_t size, const char *s)
{
	size_t n = strnlen(s, size);

	if (n >= size)
		return false;
	memset(f, 0, size);
	memcpy(f, s, n);
	return true;
}

static void
put_u32(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char) (v >> 24);
	p[1] = (unsigned char) (v >> 16);
	p[2] = (unsigned char) (v >> 8);
	p[3] = (unsigned char) v;
}

static unsigned
get_u32(const unsigned char *p)
{
	return (unsigned) p[0] << 24 | (unsigned) p[1] << 16 | (unsigned) p[2] << 8 | p[3];
}

/* ---- boxes ----------------------------------------------------------------------------------- */

static void
seal(unsigned char *out, const unsigned char key[32], const unsigned char id[PA_VCHECK_ID_BYTES],
    const unsigned char *plain, size_t plen)
{
	memcpy(out, id, PA_VCHECK_ID_BYTES);
	randombytes_buf(out + PA_VCHECK_ID_BYTES, crypto_secretbox_NONCEBYTES);
	(void) crypto_secretbox_easy(out + HDR, plain, plen, out + PA_VCHECK_ID_BYTES, key);
}

/* Opens in (exactly wire bytes) into plain[plen]; the id inside must be the one outside and the
 * version ours. */
static bool
open_box(unsigned char *plain, size_t plen, const unsigned char key[32], const void *in, size_t len,
    size_t wire)
{
	const unsigned char *b = in;

	if (in == NULL || len != wire
	    || crypto_secretbox_open_easy(plain, b + HDR, len - HDR, b + PA_VCHECK_ID_BYTES, key)
	        != 0)
		return false;
	(void) plen;
	return plain[0] == VERSION && sodium_memcmp(plain + 1, b, PA_VCHECK_ID_BYTES) == 0;
}

pa_err
pa_vcheck_seal_request(unsigned char out[PA_VCHECK_REQ_WIRE], const struct pa_vcheck_keys *k,
    const unsigned char id[PA_VCHECK_ID_BYTES], const struct pa_vcheck_request *r)
{
	unsigned char  p[REQ_PLAIN];
	unsigned char *f = p + 1 + PA_VCHECK_ID_BYTES;
	size_t         nto, ncode, nsid;
	bool           ok;

	p[0] = VERSION;
	memcpy(p + 1, id, PA_VCHECK_ID_BYTES);
	ok = put(f, PA_VCHECK_TO_SIZE, r->to)
	    && put(f + PA_VCHECK_TO_SIZE, PA_VCHECK_CODE_SIZE, r->code)
	    && put(f + PA_VCHECK_TO_SIZE + PA_VCHECK_CODE_SIZE, PA_VCHECK_SID_SIZE, r->sid);
	if (ok) {
		nto   = strlen(r->to);
		ncode = strlen(r->code);
		nsid  = strlen(r->sid);
		ok    = to_ok(r->to, nto) && code_ok(r->code, ncode) && sid_ok(r->sid, nsid)
		    && (nto > 0 || nsid > 0);
	}
	if (ok)
		seal(out, k->req, id, p, sizeof p);
	sodium_memzero(p, sizeof p);
	return ok ? PA_OK : PA_EINVAL;
}

pa_err
pa_vcheck_open_request(struct pa_vcheck_request *out, unsigned char id[PA_VCHECK_ID_BYTES],
    const struct pa_vcheck_keys *k, const void *in, size_t len)
{
	unsigned char        p[REQ_PLAIN];
	const unsigned char *f = p + 1 + PA_VCHECK_ID_BYTES;
	const unsigned char *c = f + PA_VCHECK_TO_SIZE, *s = c + PA_VCHECK_CODE_SIZE;
	size_t               nto, ncode, nsid;
	bool                 ok;

	ok = open_box(p, sizeof p, k->req, in, len, PA_VCHECK_REQ_WIRE)
	    && field_ok(f, PA_VCHECK_TO_SIZE, &nto) && field_ok(c, PA_VCHECK_CODE_SIZE, &ncode)
	    && field_ok(s, PA_VCHECK_SID_SIZE, &nsid) && to_ok((const char *) f, nto)
	    && code_ok((const char *) c, ncode) && sid_ok((const char *) s, nsid)
	    && (nto > 0 || nsid > 0);
	if (ok) {
		memcpy(out->to, f, PA_VCHECK_TO_SIZE);
		memcpy(out->code, c, PA_VCHECK_CODE_SIZE);
		memcpy(out->sid, s, PA_VCHECK_SID_SIZE);
		memcpy(id, p + 1, PA_VCHECK_ID_BYTES);
	}
	sodium_memzero(p, sizeof p);
	return ok ? PA_OK : PA_EPROTO;
}

pa_err
pa_vcheck_seal_response(unsigned char out[PA_VCHECK_REP_WIRE], const struct pa_vcheck_keys *k,
    const unsigned char id[PA_VCHECK_ID_BYTES], const struct pa_vcheck_response *r)
{
	unsigned char  p[REP_PLAIN];
	unsigned char *f = p + 1 + PA_VCHECK_ID_BYTES;

	if (r->http_status < 0 || r->http_status > 999 || r->error_code < 0
	    || r->error_code > 999999 || !put(f + 4, PA_VCHECK_STATUS_SIZE, r->status)
	    || !status_ok(r->status, strlen(r->status))
	    || !put(f + 8 + PA_VCHECK_STATUS_SIZE, PA_VCHECK_SID_SIZE, r->sid)
	    || !sid_ok(r->sid, strlen(r->sid)))
		return PA_EINVAL;
	p[0] = VERSION;
	memcpy(p + 1, id, PA_VCHECK_ID_BYTES);
	put_u32(f, (unsigned) r->http_status);
	put_u32(f + 4 + PA_VCHECK_STATUS_SIZE, (unsigned) r->error_code);
	seal(out, k->rep, id, p, sizeof p);
	return PA_OK;
}

pa_err
pa_vcheck_open_response(struct pa_vcheck_response *out, const struct pa_vcheck_keys *k,
    const unsigned char id[PA_VCHECK_ID_BYTES], const void *in, size_t len)
{
	unsigned char        p[REP_PLAIN];
	const unsigned char *f  = p + 1 + PA_VCHECK_ID_BYTES;
	const unsigned char *st = f + 4, *sid = f + 8 + PA_VCHECK_STATUS_SIZE;
	size_t               nst, nsid;
	unsigned             http, code;

	if (!open_box(p, sizeof p, k->rep, in, len, PA_VCHECK_REP_WIRE)
	    || sodium_memcmp(p + 1, id, PA_VCHECK_ID_BYTES) != 0)
		return PA_EPROTO;
	http = get_u32(f);
	code = get_u32(f + 4 + PA_VCHECK_STATUS_SIZE);
	if (http > 999 || code > 999999 || !field_ok(st, PA_VCHECK_STATUS_SIZE, &nst)
	    || !status_ok((const char *) st, nst) || !field_ok(sid, PA_VCHECK_SID_SIZE, &nsid)
	    || !sid_ok((const char *) sid, nsid))
		return PA_EPROTO;
	out->http_status = (int) http;
	out->error_code  = (int) code;
	memcpy(out->status, st, PA_VCHECK_STATUS_SIZE);
	memcpy(out->sid, sid, PA_VCHECK_SID_SIZE);
	return PA_OK;
}
