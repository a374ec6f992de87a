/* fake_verify.c: the fake's Twilio Verify v2 endpoints (CreateVerification,
 * CreateVerificationCheck) on the Messages half's listener, queue and lock. Verifications live in
 * memory until fake_twilio_stop; a finished one stays for fake_twilio_verify_last. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <sodium.h>

#include "common/phone.h"
#include "fake_twilio.h"
#include "fake_twilio_int.h"

#define FV_PREFIX "/v2/Services/"
#define FV_MAX_SENDS 5 /* Twilio: 5 sends per verification, the 6th is 60203 */
#define FV_MAX_WRONG 5 /* Twilio: 5 checks, the 6th is 60202 */
#define FV_TTL_S 600
#define FV_CODE_MAX 10
#define FV_LOCALE_MAX 16

enum fv_endpoint { FV_SEND, FV_CHECK, FV_NENDPOINTS };

struct fv_attempt {
	time_t      t;
	const char *channel;
	char        sid[35]; /* "VL" + 32 hex */
};

struct fv_verif {
	char              sid[35], service_sid[35];
	char             *to;
	const char       *channel; /* a literal from fv_channels */
	const char       *locale; /* interned in fake_verify.locales, or NULL */
	char              code[FV_CODE_MAX + 1];
	const char       *status; /* a literal */
	int               sends, wrong;
	time_t            created, updated;
	struct timespec   expires; /* CLOCK_MONOTONIC */
	struct fv_attempt att[FV_MAX_SENDS];
};

struct fake_verify {
	char *service_sid; /* NULL: any VA SID */
	int   code_len, ttl_s;
	int   sends, checks;
	struct {
		int status, code, n;
	} fail[FV_NENDPOINTS];
	struct fv_verif **v;
	size_t            n, cap;
	char            **locales;
	size_t            nlocales, caplocales;
};

static const char *const fv_channels[] = { "sms", "whatsapp", "call", "email", "sna" };

/* ---- helpers --------------------------------------------------------------------------------- */

static void
fv_sid(char out[35], const char *prefix)
{
	unsigned char rnd[16];

	randombytes_buf(rnd, sizeof rnd);
	out[0] = prefix[0];
	out[1] = prefix[1];
	(void) sodium_bin2hex(out + 2, 33, rnd, sizeof rnd);
}

/* Verify's dates: ISO 8601 in UTC. */
static void
fv_iso8601(time_t t, char out[32])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		out[0] = '\0';
}

static const char *
fv_channel(const char *s)
{
	for (size_t i = 0; s != NULL && i < sizeof fv_channels / sizeof fv_channels[0]; i++)
		if (strcmp(s, fv_channels[i]) == 0)
			return fv_channels[i];
	return NULL;
}

/* The attempt's channel as the spec's examples spell it ("SMS", "EMAIL", "whatsapp", "sna"). */
static const char *
fv_attempt_channel(const char *channel)
{
	if (strcmp(channel, "sms") == 0)
		return "SMS";
	if (strcmp(channel, "email") == 0)
		return "EMAIL";
	if (strcmp(channel, "call") == 0)
		return "CALL";
	return channel;
}

static bool
fv_is_email(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at != s && at[1] != '\0' && strchr(at + 1, '.') != NULL;
}

static const char *
fv_error_message(int code)
{
	switch (code) {
	case 20404:
		return "The requested resource was not found";
	case 20429:
		return "Too Many Requests";
	case 20500:
		return "Internal Server Error";
	case 60200:
		return "Invalid parameter";
	case 60202:
		return "Max check attempts reached";
	case 60203:
		return "Max send attempts reached";
	case 60205:
		return "SMS is not supported by landline phone number";
	case 60212:
		return "Too many concurrent requests for phone number";
	case 60223:
		return "Delivery channel disabled";
	case 60410:
		return "Verification delivery attempt blocked";
	default:
		return "Verify request failed";
	}
}

/* Called with f->mtx held: a pending verification past its life becomes "expired". */
static bool
fv_live_locked(struct fv_verif *x)
{
	struct timespec now;

	if (strcmp(x->status, "pending") != 0)
		return false;
	ft_now_mono(&now);
	if (!ft_before(&now, &x->expires)) {
		x->status = "expired";
		return false;
	}
	return true;
}

/* Called with f->mtx held: the pending verification for (service, to) (any service when service
 * is NULL), or NULL. */
static struct fv_verif *
fv_pending_locked(struct fake_verify *v, const char *service, const char *to)
{
	for (size_t i = v->n; i > 0; i--) {
		struct fv_verif *x = v->v[i - 1];

		if (strcmp(x->to, to) == 0
		    && (service == NULL || strcmp(x->service_sid, service) == 0)
		    && fv_live_locked(x))
			return x;
	}
	return NULL;
}

/* Called with f->mtx held: a stable copy of locale (kept until stop), or NULL. */
static const char *
fv_intern_locked(struct fake_verify *v, const char *locale)
{
	char *dup;

	if (locale == NULL)
		return NULL;
	for (size_t i = 0; i < v->nlocales; i++)
		if (strcmp(v->locales[i], locale) == 0)
			return v->locales[i];
	if (v->nlocales == v->caplocales) {
		size_t cap = v->caplocales ? v->caplocales * 2 : 8;
		char **p   = realloc(v->locales, cap * sizeof *p);

		if (p == NULL)
			return NULL;
		v->locales    = p;
		v->caplocales = cap;
	}
	if ((dup = strdup(locale)) == NULL)
		return NULL;
	v->locales[v->nlocales++] = dup;
	return dup;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

struct fake_verify *
fv_new(const struct fake_twilio_opts *o)
{
	struct fake_verify *v;

	if (o->verify_code_length != 0
	    && (o->verify_code_length < 4 || o->verify_code_length > FV_CODE_MAX))
		return NULL;
	if (o->verify_ttl_s < 0
	    || (o->verify_service_sid != NULL && !ft_is_sid(o->verify_service_sid, "VA")))
		return NULL;
	if ((v = calloc(1, sizeof *v)) == NULL)
		return NULL;
	v->code_len = o->verify_code_length != 0 ? o->verify_code_length : 6;
	v->ttl_s    = o->verify_ttl_s != 0 ? o->verify_ttl_s : FV_TTL_S;
	if (o->verify_service_sid != NULL
	    && (v->service_sid = strdup(o->verify_service_sid)) == NULL) {
		free(v);
		return NULL;
	}
	return v;
}

void
fv_free(struct fake_verify *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++) {
		sodium_memzero(v->v[i]->code, sizeof v->v[i]->code);
		free(v->v[i]->to);
		free(v->v[i]);
	}
	free(v->v);
	for (size_t i = 0; i < v->nlocales; i++)
		free(v->locales[i]);
	free(v->locales);
	free(v->service_sid);
	free(v);
}

/* ---- JSON answers ---------------------------------------------------------------------------- */

/* Called with f->mtx held: the Verification resource (201 to CreateVerification). */
static void
fv_reply_verification_locked(
    struct fake_twilio *f, struct pa_http_response *res, const struct fv_verif *x)
{
	json_object *o   = json_object_new_object();
	json_object *att = json_object_new_array();
	json_object *lk  = json_object_new_object();
	bool         ok  = o != NULL && att != NULL && lk != NULL;
	char         created[32], updated[32], url[512];

	if (!ok) {
		json_object_put(att);
		json_object_put(lk);
		ft_reply_json(res, 500, o, false);
		return;
	}
	fv_iso8601(x->created, created);
	fv_iso8601(x->updated, updated);
	(void) snprintf(
	    url, sizeof url, "%s" FV_PREFIX "%s/Verifications/%s", f->base, x->service_sid, x->sid);
	for (int i = 0; i < x->sends; i++) {
		json_object *a = json_object_new_object();
		char         t[32];

		if (a == NULL) {
			ok = false;
			break;
		}
		fv_iso8601(x->att[i].t, t);
		ft_json_str(a, "time", t, &ok);
		ft_json_str(a, "channel", fv_attempt_channel(x->att[i].channel), &ok);
		ft_json_str(a, "attempt_sid", x->att[i].sid, &ok);
		if (json_object_array_add(att, a) != 0) {
			json_object_put(a);
			ok = false;
		}
	}
	ft_json_str(o, "sid", x->sid, &ok);
	ft_json_str(o, "service_sid", x->service_sid, &ok);
	ft_json_str(o, "account_sid", f->account_sid, &ok);
	ft_json_str(o, "to", x->to, &ok);
	ft_json_str(o, "channel", x->channel, &ok);
	ft_json_str(o, "status", x->status, &ok);
	ft_json_put(o, "valid", json_object_new_boolean(false), &ok);
	ft_json_str(o, "date_created", created, &ok);
	ft_json_str(o, "date_updated", updated, &ok);
	ft_json_put(o, "lookup", lk, &ok);
	ft_json_str(o, "amount", NULL, &ok);
	ft_json_str(o, "payee", NULL, &ok);
	ft_json_put(o, "send_code_attempts", att, &ok);
	ft_json_str(o, "sna", NULL, &ok);
	ft_json_str(o, "url", url, &ok);
	ft_reply_json(res, 201, o, ok);
}

/* Called with f->mtx held: the VerificationCheck resource (200). */
static void
fv_reply_check_locked(
    struct fake_twilio *f, struct pa_http_response *res, const struct fv_verif *x, bool valid)
{
	json_object *o    = json_object_new_object();
	json_object *errs = json_object_new_array();
	bool         ok   = o != NULL && errs != NULL;
	char         created[32], updated[32];

	if (!ok) {
		json_object_put(errs);
		ft_reply_json(res, 500, o, false);
		return;
	}
	fv_iso8601(x->created, created);
	fv_iso8601(x->updated, updated);
	ft_json_str(o, "sid", x->sid, &ok);
	ft_json_str(o, "service_sid", x->service_sid, &ok);
	ft_json_str(o, "account_sid", f->account_sid, &ok);
	ft_json_str(o, "to", x->to, &ok);
	ft_json_str(o, "channel", x->channel, &ok);
	ft_json_str(o, "status", x->status, &ok);
	ft_json_put(o, "valid", json_object_new_boolean(valid), &ok);
	ft_json_str(o, "amount", NULL, &ok);
	ft_json_str(o, "payee", NULL, &ok);
	ft_json_put(o, "sna_attempts_error_codes", errs, &ok);
	ft_json_str(o, "date_created", created, &ok);
	ft_json_str(o, "date_updated", updated, &ok);
	ft_reply_json(res, 200, o, ok);
}

static void
fv_reply_not_found(struct pa_http_response *res, const char *uri)
{
	ft_reply_error(res, 404, 20404, "The requested resource %s was not found", uri);
}

/* ---- POST Verifications ---------------------------------------------------------------------- */

/* Form checks for CreateVerification; writes the 400 and returns false when one fails. */
static bool
fv_validate_send(const struct ft_form *fm, struct pa_http_response *res)
{
	const char *to      = ft_form_get(fm, "To");
	const char *chs     = ft_form_get(fm, "Channel");
	const char *channel = fv_channel(chs);
	const char *locale  = ft_form_get(fm, "Locale");

	if (to == NULL || to[0] == '\0') {
		ft_reply_error(res, 400, 60200, "Invalid parameter `To`: missing");
		return false;
	}
	if (chs == NULL || chs[0] == '\0') {
		ft_reply_error(res, 400, 60200, "Invalid parameter `Channel`: missing");
		return false;
	}
	if (channel == NULL) {
		ft_reply_error(res, 400, 60200, "Invalid parameter `Channel`: %s", chs);
		return false;
	}
	if (strcmp(channel, "email") == 0 ? !fv_is_email(to) : !ft_is_e164(to)) {
		ft_reply_error(res, 400, 60200, "Invalid parameter `To`: %s", to);
		return false;
	}
	if (locale != NULL && (locale[0] == '\0' || strlen(locale) > FV_LOCALE_MAX)) {
		ft_reply_error(res, 400, 60200, "Invalid parameter `Locale`: %s", locale);
		return false;
	}
	return true;
}

/* Called with f->mtx held: a new pending verification, or NULL when out of memory. */
static struct fv_verif *
fv_create_locked(struct fake_verify *v, const char *service, const char *to)
{
	struct fv_verif *x;

	if (v->n == v->cap) {
		size_t            cap = v->cap ? v->cap * 2 : 16;
		struct fv_verif **p   = realloc(v->v, cap * sizeof *p);

		if (p == NULL)
			return NULL;
		v->v   = p;
		v->cap = cap;
	}
	if ((x = calloc(1, sizeof *x)) == NULL)
		return NULL;
	if ((x->to = strdup(to)) == NULL) {
		free(x);
		return NULL;
	}
	fv_sid(x->sid, "VE");
	(void) snprintf(x->service_sid, sizeof x->service_sid, "%s", service);
	for (int i = 0; i < v->code_len; i++)
		x->code[i] = (char) ('0' + randombytes_uniform(10));
	x->code[v->code_len] = '\0';
	x->status            = "pending";
	x->created           = time(NULL);
	ft_now_mono(&x->expires);
	ft_add_ms(&x->expires, v->ttl_s * 1000);
	v->v[v->n++] = x;
	return x;
}

/* CreateVerification: a resend while one is pending reuses it (same sid, same code). */
static void
fv_send(struct fake_twilio *f, const struct ft_form *fm, const char *service,
    struct pa_http_response *res)
{
	struct fake_verify *v       = f->verify;
	const char         *to      = ft_form_get(fm, "To");
	const char         *channel = fv_channel(ft_form_get(fm, "Channel"));
	const char         *locale  = ft_form_get(fm, "Locale");
	struct fv_verif    *x;
	char                mask[PA_PHONE_MASK_MAX];

	pthread_mutex_lock(&f->mtx);
	x = fv_pending_locked(v, service, to);
	if (x != NULL && x->sends >= FV_MAX_SENDS) {
		pthread_mutex_unlock(&f->mtx);
		ft_reply_error(res, 429, 60203, "Max send attempts reached");
		return;
	}
	if (x == NULL && (x = fv_create_locked(v, service, to)) == NULL) {
		pthread_mutex_unlock(&f->mtx);
		ft_reply_error(res, 500, 20500, "Internal Server Error");
		return;
	}
	x->channel = channel;
	if (locale != NULL)
		x->locale = fv_intern_locked(v, locale);
	x->updated               = time(NULL);
	x->att[x->sends].t       = x->updated;
	x->att[x->sends].channel = channel;
	fv_sid(x->att[x->sends].sid, "VL");
	x->sends++;
	v->sends++;
	fv_reply_verification_locked(f, res, x);
	if (f->print) {
		/* A test tool: the code is what a tester needs to see (never in product logs). */
		printf("verify to=%s channel=%s sid=%s send=%d code=%s\n",
		    strcmp(channel, "email") == 0 ? "***" : pa_phone_mask(to, mask), channel,
		    x->sid, x->sends, x->code);
		(void) fflush(stdout);
	}
	pthread_mutex_unlock(&f->mtx);
}

/* ---- POST VerificationCheck ------------------------------------------------------------------ */

static bool
fv_validate_check(const struct ft_form *fm, struct pa_http_response *res)
{
	const char *code = ft_form_get(fm, "Code");
	const char *to   = ft_form_get(fm, "To");
	const char *vsid = ft_form_get(fm, "VerificationSid");

	if (code == NULL || code[0] == '\0') {
		ft_reply_error(res, 400, 60200, "Invalid parameter `Code`: missing");
		return false;
	}
	if ((to == NULL || to[0] == '\0') && (vsid == NULL || vsid[0] == '\0')) {
		ft_reply_error(res, 400, 60200,
		    "Invalid parameter: either a `To` or a `VerificationSid` must be specified");
		return false;
	}
	return true;
}

static void
fv_check(struct fake_twilio *f, const struct ft_form *fm, const char *service,
    const struct pa_http_request *req, struct pa_http_response *res)
{
	struct fake_verify *v    = f->verify;
	const char         *code = ft_form_get(fm, "Code");
	const char         *to   = ft_form_get(fm, "To");
	const char         *vsid = ft_form_get(fm, "VerificationSid");
	struct fv_verif    *x    = NULL;
	bool                valid;
	char                mask[PA_PHONE_MASK_MAX];

	pthread_mutex_lock(&f->mtx);
	if (vsid != NULL && vsid[0] != '\0') {
		for (size_t i = 0; i < v->n && x == NULL; i++)
			if (strcmp(v->v[i]->sid, vsid) == 0
			    && strcmp(v->v[i]->service_sid, service) == 0
			    && fv_live_locked(v->v[i]))
				x = v->v[i];
	} else {
		x = fv_pending_locked(v, service, to);
	}
	if (x == NULL) {
		pthread_mutex_unlock(&f->mtx);
		fv_reply_not_found(res, req->uri);
		return;
	}
	x->updated = time(NULL);
	if (x->wrong >= FV_MAX_WRONG) {
		x->status = "max_attempts_reached";
		pthread_mutex_unlock(&f->mtx);
		ft_reply_error(res, 429, 60202, "Max check attempts reached");
		return;
	}
	valid = strlen(code) == strlen(x->code) && sodium_memcmp(code, x->code, strlen(code)) == 0;
	if (valid)
		x->status = "approved";
	else
		x->wrong++;
	v->checks++;
	fv_reply_check_locked(f, res, x, valid);
	if (f->print) {
		printf("verify-check to=%s sid=%s status=%s\n",
		    strcmp(x->channel, "email") == 0 ? "***" : pa_phone_mask(x->to, mask), x->sid,
		    x->status);
		(void) fflush(stdout);
	}
	pthread_mutex_unlock(&f->mtx);
}

/* ---- the handler ----------------------------------------------------------------------------- */

/* Splits "/v2/Services/{Sid}/{Verifications|VerificationCheck}" (query dropped); the service SID
 * goes into service (35 bytes). Returns the endpoint, or -1 for another path. */
static int
fv_split_path(const char *uri, char service[35])
{
	size_t      n = strcspn(uri, "?#"), plen = strlen(FV_PREFIX);
	const char *sid = uri + plen, *slash;
	size_t      rest;

	if (n <= plen || strncmp(uri, FV_PREFIX, plen) != 0)
		return -1;
	if ((slash = memchr(sid, '/', n - plen)) == NULL || slash - sid >= 35)
		return -1;
	memcpy(service, sid, (size_t) (slash - sid));
	service[slash - sid] = '\0';
	rest                 = n - (size_t) (slash + 1 - uri);
	if (rest == strlen("Verifications") && strncmp(slash + 1, "Verifications", rest) == 0)
		return FV_SEND;
	if (rest == strlen("VerificationCheck")
	    && strncmp(slash + 1, "VerificationCheck", rest) == 0)
		return FV_CHECK;
	return -1;
}

/* Auth, path, service and form, then the injected failures, then the endpoint. Returns true
 * when the request was refused as a sender bug. */
static bool
fv_serve(struct fake_twilio *f, const struct pa_http_request *req, struct pa_http_response *res,
    int ep, const char *service)
{
	const char      *ct = pa_http_header(req, "Content-Type");
	struct ft_form   fm = { 0 };
	enum ft_form_err frv;
	char             user[128];
	int              status = 0, code = 0;

	if (!ft_auth(f, req, user, sizeof user)) {
		res->headers[res->nheaders].name    = "WWW-Authenticate";
		res->headers[res->nheaders++].value = "Basic realm=\"Twilio API\"";
		ft_reply_error(res, 401, 20003, "Authenticate");
		return true;
	}
	if (!ft_is_sid(service, "VA")
	    || (f->verify->service_sid != NULL && strcmp(service, f->verify->service_sid) != 0)) {
		fv_reply_not_found(res, req->uri);
		return true;
	}
	if (ct == NULL || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
		ft_reply_error(res, 400, 20001,
		    "Content-Type must be application/x-www-form-urlencoded, not '%s'.",
		    ct != NULL ? ct : "");
		return true;
	}
	if ((frv = ft_form_parse(&fm, req->body, req->body_len)) != FT_FORM_OK) {
		if (frv == FT_FORM_NOMEM) {
			ft_reply_error(res, 500, 20500, "Internal Server Error");
			return false;
		}
		ft_reply_error(res, 400, 60200, "Invalid parameter: the form body is malformed");
		return true;
	}
	if (!(ep == FV_SEND ? fv_validate_send(&fm, res) : fv_validate_check(&fm, res))) {
		ft_form_free(&fm);
		return true;
	}

	if (ft_hold_on(f, &f->verify_stall, &f->verify_stall_gen, &f->verify_nstalled)) {
		ft_form_free(&fm);
		ft_reply_error(res, 503, 20503, "Service Unavailable");
		return false;
	}
	pthread_mutex_lock(&f->mtx);
	if (f->verify->fail[ep].n > 0) {
		f->verify->fail[ep].n--;
		status = f->verify->fail[ep].status;
		code   = f->verify->fail[ep].code;
	}
	pthread_mutex_unlock(&f->mtx);
	if (status != 0)
		ft_reply_error(res, status, code, "%s", fv_error_message(code));
	else if (ep == FV_SEND)
		fv_send(f, &fm, service, res);
	else
		fv_check(f, &fm, service, req, res);
	ft_form_free(&fm);
	return false;
}

void
fv_handler(void *state, const struct pa_http_request *req, struct pa_http_response *res, void *arg)
{
	struct fake_twilio *f = arg;
	char                service[35];
	int                 ep = fv_split_path(req->uri, service);

	ft_enter(f);
	/* Only the two POSTs exist here; anything else gets Twilio's JSON 404. */
	if (ep < 0 || strcmp(req->method, "POST") != 0) {
		fv_reply_not_found(res, req->uri);
	} else if (fv_serve(f, req, res, ep, service)) {
		pthread_mutex_lock(&f->mtx);
		f->rejected++;
		pthread_mutex_unlock(&f->mtx);
	}
	ft_leave(f);
}

/* ---- the test's side ------------------------------------------------------------------------- */

const char *
fake_twilio_verify_base(const struct fake_twilio *f)
{
	return f->base;
}

bool
fake_twilio_verify_code(struct fake_twilio *f, const char *to, char out[16])
{
	struct fv_verif *x;

	pthread_mutex_lock(&f->mtx);
	if ((x = fv_pending_locked(f->verify, NULL, to)) != NULL)
		(void) snprintf(out, 16, "%s", x->code);
	pthread_mutex_unlock(&f->mtx);
	return x != NULL;
}

int
fake_twilio_verify_sends(struct fake_twilio *f)
{
	int n;

	pthread_mutex_lock(&f->mtx);
	n = f->verify->sends;
	pthread_mutex_unlock(&f->mtx);
	return n;
}

int
fake_twilio_verify_sends_to(struct fake_twilio *f, const char *to)
{
	int n = 0;

	pthread_mutex_lock(&f->mtx);
	for (size_t i = 0; i < f->verify->n; i++)
		if (strcmp(f->verify->v[i]->to, to) == 0)
			n += f->verify->v[i]->sends;
	pthread_mutex_unlock(&f->mtx);
	return n;
}

int
fake_twilio_verify_checks(struct fake_twilio *f)
{
	int n;

	pthread_mutex_lock(&f->mtx);
	n = f->verify->checks;
	pthread_mutex_unlock(&f->mtx);
	return n;
}

bool
fake_twilio_verify_last(struct fake_twilio *f, const char *to, struct fake_verify_info *out)
{
	struct fv_verif *x = NULL;

	pthread_mutex_lock(&f->mtx);
	for (size_t i = f->verify->n; i > 0 && x == NULL; i--)
		if (strcmp(f->verify->v[i - 1]->to, to) == 0)
			x = f->verify->v[i - 1];
	if (x != NULL) {
		(void) fv_live_locked(x); /* settles "expired" */
		*out = (struct fake_verify_info) { .channel = x->channel,
			.locale                             = x->locale,
			.status                             = x->status,
			.sends                              = x->sends,
			.wrong_checks                       = x->wrong };
		memcpy(out->sid, x->sid, sizeof out->sid);
		memcpy(out->service_sid, x->service_sid, sizeof out->service_sid);
	}
	pthread_mutex_unlock(&f->mtx);
	return x != NULL;
}

int
fake_twilio_verify_stalled(struct fake_twilio *f)
{
	int n;

	pthread_mutex_lock(&f->mtx);
	n = f->verify_nstalled;
	pthread_mutex_unlock(&f->mtx);
	return n;
}

void
fake_twilio_verify_fail(
    struct fake_twilio *f, const char *endpoint, int http_status, int twilio_code, int n)
{
	int ep;

	if (strcmp(endpoint, "Verifications") == 0)
		ep = FV_SEND;
	else if (strcmp(endpoint, "VerificationCheck") == 0)
		ep = FV_CHECK;
	else
		return;
	pthread_mutex_lock(&f->mtx);
	f->verify->fail[ep].status = http_status;
	f->verify->fail[ep].code   = twilio_code;
	f->verify->fail[ep].n      = n > 0 && http_status >= 400 && http_status <= 599 ? n : 0;
	pthread_mutex_unlock(&f->mtx);
}

void
fake_twilio_verify_stall(struct fake_twilio *f, bool on)
{
	pthread_mutex_lock(&f->mtx);
	if (f->verify_stall && !on) {
		f->verify_stall_gen++;
		(void) pthread_cond_broadcast(&f->stall_cv);
	}
	f->verify_stall = on;
	pthread_mutex_unlock(&f->mtx);
}
