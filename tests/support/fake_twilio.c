/* fake_twilio.c: a fake of Twilio's Messages API (POST Messages.json, GET Messages/{Sid}.json) on
 * the project's NNG HTTP wrapper, for the integration tests and local runs. Every Messages request
 * runs as a blocking handler on a work queue of its own, so that a stalled request holds a queue
 * thread and not an NNG one. Status callbacks go out with libcurl, signed like Twilio's. The Verify
 * v2 endpoints (fake_verify.c) share its listener, queue and lock. */
#include "fake_twilio.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "common/http.h"
#include "common/log.h"
#include "common/phone.h"
#include "common/strbuf.h"
#include "common/workq.h"
#include "fake_twilio_int.h"

#define FT_API_PREFIX "/2010-04-01/Accounts"
#define FT_VERIFY_PREFIX "/v2/Services" /* fake_verify.c */
#define FT_WORKQ_THREADS 64
#define FT_WORKQ_CAP 4096
#define FT_BODY_MAX_CHARS 1600
#define FT_VALIDITY_MAX 36000
#define FT_CALLBACK_TIMEOUT_S 5L
#define FT_WA_PREFIX "whatsapp:"
#define FT_WA_PREFIX_LEN 9

/* One accepted message. The public struct fake_twilio_msg is only a copy handed to callers. */
struct ft_msg {
	char        sid[35];
	char       *to, *from, *mss, *body, *status_callback, *auth_user, *status;
	int         validity_period;
	int         error_code;
	time_t      created, updated;
	bool        provide_feedback; /* ProvideFeedback=true */
	int         feedback_posts; /* Feedback POSTs it accepted (200) */
	char        outcome[16]; /* the Feedback's Outcome, "" before any */
	const char *channel; /* "sms" or "whatsapp" (a literal) */
	char       *content_sid, *content_variables; /* NULL when absent */
};

/* A fail_number rule. */
struct ft_rule {
	char *to;
	int   code;
};

/* A pending automatic status callback; the list is kept sorted by due time. */
struct ft_event {
	struct ft_event *next;
	char             sid[35];
	int              stage; /* 0: "sent" is next, 1: "delivered", 2: "read" (WhatsApp) */
	bool             whatsapp; /* it goes on to "read" after "delivered" */
	struct timespec  due; /* CLOCK_MONOTONIC */
};

/* ---- small helpers --------------------------------------------------------------------------- */

char *
ft_strdup(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

/* Twilio's RFC 2822 dates, always in GMT. */
static void
ft_rfc2822(time_t t, char out[40])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, 40, "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
		out[0] = '\0';
}

bool
ft_is_e164(const char *s)
{
	size_t n;

	if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return false;
	for (n = 1; s[n] != '\0'; n++)
		if (s[n] < '0' || s[n] > '9')
			return false;
	return n >= 3 && n <= 16; /* '+' and 2..15 digits */
}

static bool
ft_is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

bool
ft_is_sid(const char *s, const char *prefix)
{
	return s != NULL && strlen(s) == 34 && strncmp(s, prefix, 2) == 0 && ft_is_hex(s + 2, 32);
}

/* A sender Twilio could know: E.164, a short code, or an alphanumeric sender ID (1..11 letters,
 * digits and spaces, at least one letter). */
static bool
ft_is_sender(const char *s)
{
	size_t n = strlen(s), digits = 0, letters = 0;

	if (ft_is_e164(s))
		return true;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			digits++;
		else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			letters++;
		else if (c != ' ')
			return false;
	}
	if (letters == 0)
		return digits >= 3 && digits <= 8 && digits == n; /* short code */
	return n <= 11;
}

/* Characters of UTF-8 text: Twilio's 1600 limit is on characters, not bytes. */
static size_t
ft_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char) *s & 0xC0) != 0x80)
			n++;
	return n;
}

void
ft_now_mono(struct timespec *ts)
{
	(void) clock_gettime(CLOCK_MONOTONIC, ts);
}

void
ft_add_ms(struct timespec *ts, int ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long) (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

bool
ft_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void
ft_msg_destroy(struct ft_msg *m)
{
	if (m == NULL)
		return;
	free(m->to);
	free(m->from);
	free(m->mss);
	free(m->body);
	free(m->status_callback);
	free(m->auth_user);
	free(m->status);
	free(m->content_sid);
	free(m->content_variables);
	free(m);
}

/* Called with f->mtx held. */
static struct ft_msg *
ft_find_locked(struct fake_twilio *f, const char *sid)
{
	for (size_t i = 0; i < f->nmsgs; i++)
		if (strcmp(f->msgs[i]->sid, sid) == 0)
			return f->msgs[i];
	return NULL;
}

/* Called with f->mtx held. Returns false when out of memory (the status is left as it was). */
static bool
ft_set_status_locked(struct ft_msg *m, const char *status, int error_code)
{
	char *s = strdup(status);

	if (s == NULL)
		return false;
	free(m->status);
	m->status     = s;
	m->error_code = error_code;
	m->updated    = time(NULL);
	return true;
}

/* ---- JSON answers ---------------------------------------------------------------------------- */

/* json-c reports a failed allocation as a NULL object; each helper folds that into *ok, so one
 * check at the end covers the whole document. */
void
ft_json_put(json_object *o, const char *key, json_object *v, bool *ok)
{
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		*ok = false;
	}
}

void
ft_json_str(json_object *o, const char *key, const char *s, bool *ok)
{
	json_object *v = NULL;

	if (s != NULL && (v = json_object_new_string(s)) == NULL)
		*ok = false;
	ft_json_put(o, key, v, ok);
}

void
ft_json_int(json_object *o, const char *key, int n, bool *ok)
{
	json_object *v = json_object_new_int(n);

	if (v == NULL)
		*ok = false;
	ft_json_put(o, key, v, ok);
}

/* Serialises o into res as the body and releases o. */
void
ft_reply_json(struct pa_http_response *res, int status, json_object *o, bool ok)
{
	const char *s = NULL;

	/* Twilio does not escape '/', and clients compare URIs from the answer. */
	if (ok && o != NULL)
		s = json_object_to_json_string_ext(
		    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL) {
		json_object_put(o);
		res->status       = 500;
		res->content_type = "text/plain; charset=utf-8";
		pa_strbuf_printf(&res->body, "fake twilio: out of memory\n");
		return;
	}
	res->status       = status;
	res->content_type = "application/json";
	pa_strbuf_append(&res->body, s, strlen(s));
	json_object_put(o);
}

/* Twilio's error document: {"code", "message", "more_info", "status"}. */
void
ft_reply_error(struct pa_http_response *res, int status, int code, const char *fmt, ...)
{
	json_object *o  = json_object_new_object();
	bool         ok = o != NULL;
	char         msg[512], info[80];
	va_list      ap;

	va_start(ap, fmt);
	(void) vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	(void) snprintf(info, sizeof info, "https://www.twilio.com/docs/errors/%d", code);
	if (ok) {
		ft_json_int(o, "code", code, &ok);
		ft_json_str(o, "message", msg, &ok);
		ft_json_str(o, "more_info", info, &ok);
		ft_json_int(o, "status", status, &ok);
	}
	ft_reply_json(res, status, o, ok);
}

/* The Message resource (api.v2010.account.message), every property the schema lists. Called with
 * f->mtx held, so m cannot change under it. */
static void
ft_reply_msg_locked(
    struct fake_twilio *f, struct pa_http_response *res, int status, const struct ft_msg *m)
{
	json_object *o  = json_object_new_object();
	json_object *sr = json_object_new_object();
	bool         ok = o != NULL && sr != NULL;
	char         created[40], updated[40], uri[160], media[160];

	if (!ok) {
		json_object_put(sr);
		ft_reply_json(res, status, o, false);
		return;
	}
	ft_rfc2822(m->created, created);
	ft_rfc2822(m->updated, updated);
	(void) snprintf(
	    uri, sizeof uri, FT_API_PREFIX "/%s/Messages/%s.json", f->account_sid, m->sid);
	(void) snprintf(media, sizeof media, FT_API_PREFIX "/%s/Messages/%s/Media.json",
	    f->account_sid, m->sid);
	ft_json_str(o, "account_sid", f->account_sid, &ok);
	ft_json_str(o, "api_version", "2010-04-01", &ok);
	ft_json_str(o, "body", m->body, &ok);
	ft_json_str(o, "date_created", created, &ok);
	ft_json_str(o, "date_sent", NULL, &ok);
	ft_json_str(o, "date_updated", updated, &ok);
	ft_json_str(o, "direction", "outbound-api", &ok);
	if (m->error_code != 0)
		ft_json_int(o, "error_code", m->error_code, &ok);
	else
		ft_json_put(o, "error_code", NULL, &ok);
	ft_json_str(o, "error_message", NULL, &ok);
	ft_json_str(o, "from", m->from, &ok);
	ft_json_str(o, "messaging_service_sid", m->mss, &ok);
	ft_json_str(o, "num_media", "0", &ok);
	ft_json_str(o, "num_segments", "1", &ok);
	ft_json_str(o, "price", NULL, &ok);
	ft_json_str(o, "price_unit", "USD", &ok);
	ft_json_str(o, "sid", m->sid, &ok);
	ft_json_str(o, "status", m->status, &ok);
	ft_json_str(sr, "media", media, &ok);
	ft_json_put(o, "subresource_uris", sr, &ok);
	ft_json_str(o, "to", m->to, &ok);
	ft_json_str(o, "uri", uri, &ok);
	ft_reply_json(res, status, o, ok);
}

/* ---- request parsing ------------------------------------------------------------------------- */

static int
ft_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes one form component ('+' is a space, %XX a byte) into a malloc'd string. A %00 would
 * cut the value short without anyone noticing, so it is refused. */
static enum ft_form_err
ft_form_decode(const char *s, size_t len, char **out)
{
	char  *d = malloc(len + 1);
	size_t j = 0;

	if (d == NULL)
		return FT_FORM_NOMEM;
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] == '+') {
			d[j++] = ' ';
		} else if (s[i] == '%' && i + 2 < len && (hi = ft_hexval(s[i + 1])) >= 0
		    && (lo = ft_hexval(s[i + 2])) >= 0) {
			if (hi == 0 && lo == 0) {
				free(d);
				return FT_FORM_BAD;
			}
			d[j++] = (char) (hi * 16 + lo);
			i += 2;
		} else {
			d[j++] = s[i]; /* a stray '%' passes through, as in most servers */
		}
	}
	d[j] = '\0';
	*out = d;
	return FT_FORM_OK;
}

void
ft_form_free(struct ft_form *fm)
{
	for (size_t i = 0; i < fm->n; i++) {
		free(fm->key[i]);
		free(fm->val[i]);
	}
	fm->n = 0;
}

enum ft_form_err
ft_form_parse(struct ft_form *fm, const char *body, size_t len)
{
	size_t i = 0;

	fm->n = 0;
	while (i < len) {
		size_t           end = i, eq;
		enum ft_form_err rv;

		while (end < len && body[end] != '&')
			end++;
		if (end > i) {
			if (fm->n == FT_FORM_MAX_FIELDS) {
				ft_form_free(fm);
				return FT_FORM_BAD;
			}
			for (eq = i; eq < end && body[eq] != '='; eq++)
				;
			rv = ft_form_decode(body + i, eq - i, &fm->key[fm->n]);
			if (rv != FT_FORM_OK) {
				ft_form_free(fm);
				return rv;
			}
			rv = eq < end ? ft_form_decode(body + eq + 1, end - eq - 1, &fm->val[fm->n])
			              : ft_form_decode("", 0, &fm->val[fm->n]);
			if (rv != FT_FORM_OK) {
				free(fm->key[fm->n]);
				ft_form_free(fm);
				return rv;
			}
			fm->n++;
		}
		i = end + 1;
	}
	return FT_FORM_OK;
}

/* The first value of key, or NULL. */
const char *
ft_form_get(const struct ft_form *fm, const char *key)
{
	for (size_t i = 0; i < fm->n; i++)
		if (strcmp(fm->key[i], key) == 0)
			return fm->val[i];
	return NULL;
}

/* Checks the Basic credentials; on success copies the user into user (for the record). */
bool
ft_auth(struct fake_twilio *f, const struct pa_http_request *req, char *user, size_t usersz)
{
	const char   *h = pa_http_header(req, "Authorization");
	unsigned char raw[512];
	size_t        rawlen = 0;
	const char   *colon, *pass;
	size_t        ulen, plen;
	bool          ok = false;

	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return false;
	h += 6;
	while (*h == ' ')
		h++;
	if (sodium_base642bin(raw, sizeof raw - 1, h, strlen(h), NULL, &rawlen, NULL,
	        sodium_base64_VARIANT_ORIGINAL)
	    != 0)
		return false;
	raw[rawlen] = '\0';
	if ((colon = memchr(raw, ':', rawlen)) == NULL)
		goto out_wipe;
	ulen = (size_t) (colon - (const char *) raw);
	pass = colon + 1;
	plen = rawlen - ulen - 1;
	/* The user names an account or key (not secret); only the password is compared in constant
	 * time. Unequal lengths are refused up front, which reveals only the length. */
	if (ulen == strlen(f->account_sid) && memcmp(raw, f->account_sid, ulen) == 0)
		ok = plen == strlen(f->auth_token) && sodium_memcmp(pass, f->auth_token, plen) == 0;
	else if (f->api_key != NULL && ulen == strlen(f->api_key)
	    && memcmp(raw, f->api_key, ulen) == 0)
		ok = plen == strlen(f->api_secret) && sodium_memcmp(pass, f->api_secret, plen) == 0;
	if (ok && ulen < usersz) {
		memcpy(user, raw, ulen);
		user[ulen] = '\0';
	} else {
		ok = false;
	}
out_wipe:
	sodium_memzero(raw, sizeof raw);
	return ok;
}

/* Splits "/2010-04-01/Accounts/{acct}/{rest}" (query dropped) into acct and rest, both pointing
 * into buf. Returns false when the path has another shape. */
static bool
ft_split_path(const char *uri, char *buf, size_t bufsz, const char **acct, const char **rest)
{
	size_t n = strcspn(uri, "?#");
	char  *slash;

	if (n >= bufsz || strncmp(uri, FT_API_PREFIX "/", sizeof FT_API_PREFIX) != 0)
		return false;
	memcpy(buf, uri, n);
	buf[n] = '\0';
	*acct  = buf + sizeof FT_API_PREFIX;
	if ((slash = strchr(*acct, '/')) == NULL)
		return false;
	*slash = '\0';
	*rest  = slash + 1;
	return true;
}

/* ---- POST Messages.json ---------------------------------------------------------------------- */

static const char *
ft_number_message(int code)
{
	switch (code) {
	case 21211:
		return "Invalid 'To' Phone Number";
	case 21408:
		return "Permission to send an SMS has not been enabled for the region indicated by "
		       "the "
		       "'To' number";
	case 21610:
		return "Attempt to send to unsubscribed recipient";
	case 21614:
		return "'To' number is not a valid mobile number";
	case 63003:
		return "Channel could not find To address";
	case 63016:
		return "Failed to send freeform message because you are outside the allowed "
		       "window. "
		       "If you are using WhatsApp, please use a Message Template.";
	case 63024:
		return "Invalid message recipient";
	case 63112:
		return "The Meta and/or WhatsApp Business Account and/or Meta Business Manager has "
		       "been disabled";
	default:
		return "The message could not be sent to this number";
	}
}

/* "whatsapp:+E164" names a WhatsApp user; anything else is an SMS address. */
static bool
ft_is_whatsapp(const char *addr)
{
	return addr != NULL && strncmp(addr, FT_WA_PREFIX, FT_WA_PREFIX_LEN) == 0;
}

/* ContentVariables as the Content API takes it: one JSON object whose values are strings
 * ({"1":"123456"}), and nothing after it. */
static bool
ft_content_variables_ok(const char *s)
{
	struct json_tokener *tok = json_tokener_new();
	json_object         *o;
	bool                 ok;

	if (tok == NULL)
		return false;
	o  = json_tokener_parse_ex(tok, s, (int) strlen(s));
	ok = o != NULL && json_tokener_get_error(tok) == json_tokener_success
	    && (size_t) json_tokener_get_parse_end(tok) == strlen(s)
	    && json_object_is_type(o, json_type_object);
	if (ok) {
		json_object_object_foreach(o, key, val)
		{
			(void) key;
			if (!json_object_is_type(val, json_type_string))
				ok = false;
		}
	}
	json_object_put(o);
	json_tokener_free(tok);
	return ok;
}

/* Form validation as Twilio does it for this endpoint. Returns true when the form is fine; else
 * writes the 400 answer. A WhatsApp To ("whatsapp:+E164") needs a WhatsApp From or a messaging
 * service; either channel takes Body or a content template (ContentSid, ContentVariables). */
static bool
ft_validate(const struct ft_form *fm, struct pa_http_response *res)
{
	const char *to   = ft_form_get(fm, "To");
	const char *from = ft_form_get(fm, "From");
	const char *mss  = ft_form_get(fm, "MessagingServiceSid");
	const char *body = ft_form_get(fm, "Body");
	const char *vp   = ft_form_get(fm, "ValidityPeriod");
	const char *cb   = ft_form_get(fm, "StatusCallback");
	const char *pf   = ft_form_get(fm, "ProvideFeedback");
	const char *csid = ft_form_get(fm, "ContentSid");
	const char *cvar = ft_form_get(fm, "ContentVariables");
	bool        wa;

	if (to == NULL || to[0] == '\0') {
		ft_reply_error(res, 400, 21604, "A 'To' phone number is required.");
		return false;
	}
	wa = ft_is_whatsapp(to);
	if (!ft_is_e164(wa ? to + FT_WA_PREFIX_LEN : to)) {
		ft_reply_error(
		    res, 400, 21211, "The 'To' number %s is not a valid phone number.", to);
		return false;
	}
	if ((from == NULL || from[0] == '\0') && (mss == NULL || mss[0] == '\0')) {
		ft_reply_error(res, 400, 21603, "The 'From' phone number is required.");
		return false;
	}
	if (from != NULL && from[0] != '\0' && ft_is_whatsapp(from) != wa) {
		ft_reply_error(res, 400, 21910,
		    "Invalid From and To pair. From and To should be of the same channel");
		return false;
	}
	if (from != NULL && from[0] != '\0'
	    && !(wa ? ft_is_e164(from + FT_WA_PREFIX_LEN) : ft_is_sender(from))) {
		ft_reply_error(res, 400, 21212,
		    "The 'From' number %s is not a valid phone number, shortcode, "
		    "or alphanumeric sender ID.",
		    from);
		return false;
	}
	if (mss != NULL && mss[0] != '\0' && !ft_is_sid(mss, "MG")) {
		ft_reply_error(res, 400, 21701, "The Messaging Service Sid %s is invalid.", mss);
		return false;
	}
	if (csid != NULL && !ft_is_sid(csid, "HX")) {
		ft_reply_error(res, 400, 21655, "The ContentSid is Invalid");
		return false;
	}
	if (cvar != NULL && (csid == NULL || !ft_content_variables_ok(cvar))) {
		ft_reply_error(res, 400, 21656, "The ContentVariables Parameter is invalid");
		return false;
	}
	/* With a template, the template is the content and Body may be left out. */
	if (csid == NULL && (body == NULL || body[0] == '\0')) {
		ft_reply_error(res, 400, 21602, "Message body is required.");
		return false;
	}
	if (body != NULL && ft_utf8_chars(body) > FT_BODY_MAX_CHARS) {
		ft_reply_error(res, 400, 21617,
		    "The concatenated message body exceeds the 1600 character limit.");
		return false;
	}
	if (vp != NULL) {
		char *end;
		long  v;

		errno = 0;
		v     = strtol(vp, &end, 10);
		if (vp[0] < '0' || vp[0] > '9' || *end != '\0' || errno != 0 || v < 1
		    || v > FT_VALIDITY_MAX) {
			ft_reply_error(res, 400, 21624,
			    "Invalid validity period value: %s (seconds, from 1 to 36000).", vp);
			return false;
		}
	}
	if (pf != NULL && strcmp(pf, "true") != 0 && strcmp(pf, "false") != 0) {
		ft_reply_error(
		    res, 400, 20001, "ProvideFeedback must be true or false, not '%s'.", pf);
		return false;
	}
	if (cb != NULL && strncmp(cb, "http://", 7) != 0 && strncmp(cb, "https://", 8) != 0) {
		ft_reply_error(
		    res, 400, 21609, "The StatusCallback URL %s is not a valid URL.", cb);
		return false;
	}
	return true;
}

/* Called with f->mtx held: a message to `to` gets this answer code, or 0. */
static int
ft_rule_locked(struct fake_twilio *f, const char *to)
{
	for (size_t i = 0; i < f->nrules; i++)
		if (strcmp(f->rules[i].to, to) == 0)
			return f->rules[i].code;
	return 0;
}

/* Called with f->mtx held: queues an automatic callback, keeping the list sorted by due time. */
static void
ft_schedule_locked(struct fake_twilio *f, struct ft_event *ev)
{
	struct ft_event **pp = &f->events;

	while (*pp != NULL && !ft_before(&ev->due, &(*pp)->due))
		pp = &(*pp)->next;
	ev->next = *pp;
	*pp      = ev;
	(void) pthread_cond_signal(&f->cb_cv);
}

static struct ft_msg *
ft_msg_new(const struct ft_form *fm, const char *user)
{
	struct ft_msg *m = calloc(1, sizeof *m);
	const char    *from, *mss, *vp;
	unsigned char  rnd[16];

	if (m == NULL)
		return NULL;
	randombytes_buf(rnd, sizeof rnd);
	m->sid[0] = 'S';
	m->sid[1] = 'M';
	(void) sodium_bin2hex(m->sid + 2, sizeof m->sid - 2, rnd, sizeof rnd);
	from = ft_form_get(fm, "From");
	mss  = ft_form_get(fm, "MessagingServiceSid");
	vp   = ft_form_get(fm, "ValidityPeriod");
	if (from != NULL && from[0] == '\0')
		from = NULL;
	if (mss != NULL && mss[0] == '\0')
		mss = NULL;
	m->to              = ft_strdup(ft_form_get(fm, "To"));
	m->body            = ft_strdup(ft_form_get(fm, "Body"));
	m->from            = ft_strdup(from);
	m->mss             = ft_strdup(mss);
	m->status_callback = ft_strdup(ft_form_get(fm, "StatusCallback"));
	m->auth_user       = ft_strdup(user);
	/* Twilio answers "accepted" when it still has to pick a sender from the service's pool. */
	m->status           = ft_strdup(mss != NULL && from == NULL ? "accepted" : "queued");
	m->validity_period  = vp != NULL ? atoi(vp) : 0;
	m->provide_feedback = ft_form_get(fm, "ProvideFeedback") != NULL
	    && strcmp(ft_form_get(fm, "ProvideFeedback"), "true") == 0;
	m->channel           = ft_is_whatsapp(m->to) ? "whatsapp" : "sms";
	m->content_sid       = ft_strdup(ft_form_get(fm, "ContentSid"));
	m->content_variables = ft_strdup(ft_form_get(fm, "ContentVariables"));
	m->created = m->updated = time(NULL);
	if (m->to == NULL || m->auth_user == NULL || m->status == NULL
	    || (ft_form_get(fm, "Body") != NULL && m->body == NULL)
	    || (ft_form_get(fm, "ContentSid") != NULL && m->content_sid == NULL)
	    || (ft_form_get(fm, "ContentVariables") != NULL && m->content_variables == NULL)
	    || (from != NULL && m->from == NULL) || (mss != NULL && m->mss == NULL)
	    || (ft_form_get(fm, "StatusCallback") != NULL && m->status_callback == NULL)) {
		ft_msg_destroy(m);
		return NULL;
	}
	return m;
}

/* Records m and answers 201. Takes ownership of m. */
static void
ft_accept(struct fake_twilio *f, struct ft_msg *m, struct pa_http_response *res)
{
	struct ft_event *ev = NULL;
	char             mask[PA_PHONE_MASK_MAX], body[256];

	if (f->auto_callback_ms > 0 && m->status_callback != NULL
	    && (ev = calloc(1, sizeof *ev)) == NULL) {
		ft_msg_destroy(m);
		ft_reply_error(res, 500, 20500, "Internal Server Error");
		return;
	}
	pthread_mutex_lock(&f->mtx);
	if (f->nmsgs == f->capmsgs) {
		size_t          cap = f->capmsgs ? f->capmsgs * 2 : 64;
		struct ft_msg **p   = realloc(f->msgs, cap * sizeof *p);

		if (p == NULL) {
			pthread_mutex_unlock(&f->mtx);
			free(ev);
			ft_msg_destroy(m);
			ft_reply_error(res, 500, 20500, "Internal Server Error");
			return;
		}
		f->msgs    = p;
		f->capmsgs = cap;
	}
	f->msgs[f->nmsgs++] = m;
	if (ev != NULL) {
		memcpy(ev->sid, m->sid, sizeof ev->sid);
		ev->whatsapp = strcmp(m->channel, "whatsapp") == 0;
		ft_now_mono(&ev->due);
		ft_add_ms(&ev->due, f->auto_callback_ms);
		ft_schedule_locked(f, ev);
	}
	ft_reply_msg_locked(f, res, 201, m);
	if (f->print && m->content_sid == NULL && strcmp(m->channel, "sms") == 0) {
		/* One line per message; the number masked like every phoneauth log line. */
		printf("to=%s body=%s\n", pa_phone_mask(m->to, mask),
		    pa_log_value(body, sizeof body, m->body));
		(void) fflush(stdout);
	} else if (f->print) {
		char vars[256];

		/* A WhatsApp or template message: the channel and the template's variables too. */
		if (ft_is_whatsapp(m->to))
			printf(
			    "to=" FT_WA_PREFIX "%s", pa_phone_mask(m->to + FT_WA_PREFIX_LEN, mask));
		else
			printf("to=%s", pa_phone_mask(m->to, mask));
		printf(" channel=%s", m->channel);
		if (m->content_sid != NULL)
			printf(" content_sid=%s content_variables=%s", m->content_sid,
			    pa_log_value(vars, sizeof vars,
			        m->content_variables != NULL ? m->content_variables : ""));
		if (m->body != NULL)
			printf(" body=%s", pa_log_value(body, sizeof body, m->body));
		printf("\n");
		(void) fflush(stdout);
	}
	pthread_mutex_unlock(&f->mtx);
	/* m stays in f->msgs until fake_twilio_stop, and nothing rewrites its to or body. */
	if (f->on_accept != NULL)
		f->on_accept(f->on_accept_arg, m->to, m->body != NULL ? m->body : "");
}

/* Sleeps for the configured latency, if any (a slow Twilio). */
static void
ft_delay(struct fake_twilio *f)
{
	struct timespec ts;
	int             ms;

	pthread_mutex_lock(&f->mtx);
	ms = f->stopping ? 0 : f->latency_ms;
	pthread_mutex_unlock(&f->mtx);
	if (ms <= 0)
		return;
	ts = (struct timespec) { ms / 1000, (long) (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

bool
ft_hold_on(struct fake_twilio *f, const bool *on, const unsigned *gen, int *nheld)
{
	unsigned g;

	pthread_mutex_lock(&f->mtx);
	if (!*on || f->stopping) {
		bool stopping = f->stopping;

		pthread_mutex_unlock(&f->mtx);
		return stopping;
	}
	g = *gen;
	(*nheld)++;
	while (*gen == g && !f->stopping)
		pthread_cond_wait(&f->stall_cv, &f->mtx);
	(*nheld)--;
	pthread_mutex_unlock(&f->mtx);
	return true;
}

/* Holds a Messages request while stall is on; see ft_hold_on. */
static bool
ft_hold(struct fake_twilio *f)
{
	return ft_hold_on(f, &f->stall, &f->stall_gen, &f->nstalled);
}

/* POST Messages.json from an authenticated user: account, form, failure modes, then accept. */
static void
ft_post(struct fake_twilio *f, const struct pa_http_request *req, struct pa_http_response *res,
    const char *acct, const char *user)
{
	const char      *ct = pa_http_header(req, "Content-Type");
	struct ft_form   fm = { 0 };
	enum ft_form_err frv;
	struct ft_msg   *m;
	int              code = 0;

	if (strcmp(acct, f->account_sid) != 0) {
		ft_reply_error(
		    res, 404, 20404, "The requested resource %s was not found", req->uri);
		goto out_rejected;
	}
	if (ct == NULL || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
		ft_reply_error(res, 400, 20001,
		    "Content-Type must be application/x-www-form-urlencoded, not '%s'.",
		    ct != NULL ? ct : "");
		goto out_rejected;
	}
	if ((frv = ft_form_parse(&fm, req->body, req->body_len)) != FT_FORM_OK) {
		if (frv == FT_FORM_NOMEM) {
			ft_reply_error(res, 500, 20500, "Internal Server Error");
			return;
		}
		ft_reply_error(
		    res, 400, 20001, "The form body is malformed (too many fields or %%00).");
		goto out_rejected;
	}
	if (!ft_validate(&fm, res)) {
		ft_form_free(&fm);
		goto out_rejected;
	}

	ft_delay(f);
	/* The failure modes, in the order the header promises: stall, 429, 500, number rule. */
	if (ft_hold(f)) {
		ft_form_free(&fm);
		ft_reply_error(res, 503, 20503, "Service Unavailable");
		return;
	}
	pthread_mutex_lock(&f->mtx);
	if (f->fail429 > 0) {
		f->fail429--;
		(void) snprintf(res->hbuf, sizeof res->hbuf, "%d", f->retry_after_s);
		res->headers[res->nheaders].name    = "Retry-After";
		res->headers[res->nheaders++].value = res->hbuf;
		code                                = 20429;
	} else if (f->fail500 > 0) {
		f->fail500--;
		code = 20500;
	} else {
		code = ft_rule_locked(f, ft_form_get(&fm, "To"));
	}
	pthread_mutex_unlock(&f->mtx);
	if (code == 20429) {
		ft_reply_error(res, 429, 20429, "Too Many Requests");
	} else if (code == 20500) {
		ft_reply_error(res, 500, 20500, "Internal Server Error");
	} else if (code != 0) {
		ft_reply_error(res, 400, code, "%s", ft_number_message(code));
	} else if ((m = ft_msg_new(&fm, user)) == NULL) {
		ft_reply_error(res, 500, 20500, "Internal Server Error");
	} else {
		ft_accept(f, m, res);
	}
	ft_form_free(&fm);
	return;

out_rejected:
	pthread_mutex_lock(&f->mtx);
	f->rejected++;
	pthread_mutex_unlock(&f->mtx);
}

/* ---- POST Messages/{Sid}/Feedback.json ----------------------------------------------------- */

/* CreateMessageFeedback: a form with Outcome (confirmed or unconfirmed), 200 with the
 * MessageFeedback JSON; the message must exist and have asked for feedback. rest is
 * "Messages/{Sid}/Feedback.json". */
static void
ft_feedback(struct fake_twilio *f, const struct pa_http_request *req, struct pa_http_response *res,
    const char *acct, const char *rest)
{
	const char    *ct = pa_http_header(req, "Content-Type"), *outcome;
	char           sid[35], created[40];
	size_t         n  = strlen(rest);
	struct ft_form fm = { 0 };
	struct ft_msg *m;
	json_object   *o;
	bool           ok = true, fail = false;
	int            status = 404;

	if (strcmp(acct, f->account_sid) != 0 || n != 9 + 34 + 14
	    || strcmp(rest + 9 + 34, "/Feedback.json") != 0) {
		ft_reply_error(
		    res, 404, 20404, "The requested resource %s was not found", req->uri);
		goto out_rejected;
	}
	memcpy(sid, rest + 9, 34);
	sid[34] = '\0';
	if (ct == NULL || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
		ft_reply_error(res, 400, 20001,
		    "Content-Type must be application/x-www-form-urlencoded, not '%s'.",
		    ct != NULL ? ct : "");
		goto out_rejected;
	}
	if (ft_form_parse(&fm, req->body, req->body_len) != FT_FORM_OK) {
		ft_reply_error(res, 400, 20001, "The form body is malformed.");
		goto out_rejected;
	}
	outcome = ft_form_get(&fm, "Outcome");
	if (outcome == NULL
	    || (strcmp(outcome, "confirmed") != 0 && strcmp(outcome, "unconfirmed") != 0)) {
		ft_form_free(&fm);
		ft_reply_error(res, 400, 20001, "Outcome must be confirmed or unconfirmed.");
		goto out_rejected;
	}
	pthread_mutex_lock(&f->mtx);
	if (f->fb_fail500 > 0) {
		f->fb_fail500--;
		fail = true;
	} else if ((m = ft_find_locked(f, sid)) != NULL && m->provide_feedback) {
		m->feedback_posts++;
		(void) snprintf(m->outcome, sizeof m->outcome, "%s", outcome);
		status = 200;
		ft_rfc2822(m->created, created);
	} else if (m != NULL) {
		status = 400;
	}
	pthread_mutex_unlock(&f->mtx);
	if (fail) {
		ft_form_free(&fm);
		ft_reply_error(res, 500, 20500, "Internal Server Error");
		return;
	}
	if (status != 200) {
		ft_form_free(&fm);
		if (status == 400)
			ft_reply_error(res, 400, 20001,
			    "Message %s was not sent with ProvideFeedback=true.", sid);
		else
			ft_reply_error(
			    res, 404, 20404, "The requested resource %s was not found", req->uri);
		goto out_rejected;
	}
	if ((o = json_object_new_object()) == NULL) {
		ft_form_free(&fm);
		ft_reply_error(res, 500, 20500, "Internal Server Error");
		return;
	}
	ft_json_str(o, "account_sid", f->account_sid, &ok);
	ft_json_str(o, "message_sid", sid, &ok);
	ft_json_str(o, "outcome", outcome, &ok);
	ft_json_str(o, "date_created", created, &ok);
	ft_json_str(o, "date_updated", created, &ok);
	ft_json_str(o, "uri", req->uri, &ok);
	ft_form_free(&fm);
	ft_reply_json(res, 200, o, ok);
	return;

out_rejected:
	pthread_mutex_lock(&f->mtx);
	f->rejected++;
	pthread_mutex_unlock(&f->mtx);
}

/* ---- the handlers ---------------------------------------------------------------------------- */

static void
ft_get(struct fake_twilio *f, const struct pa_http_request *req, struct pa_http_response *res,
    const char *acct, const char *rest)
{
	char           sid[35];
	size_t         n = strlen(rest);
	struct ft_msg *m;

	/* rest is "Messages/{Sid}.json" */
	if (strcmp(acct, f->account_sid) != 0 || strncmp(rest, "Messages/", 9) != 0 || n < 14
	    || strcmp(rest + n - 5, ".json") != 0 || n - 14 >= sizeof sid) {
		ft_reply_error(
		    res, 404, 20404, "The requested resource %s was not found", req->uri);
		return;
	}
	memcpy(sid, rest + 9, n - 14);
	sid[n - 14] = '\0';
	pthread_mutex_lock(&f->mtx);
	if ((m = ft_find_locked(f, sid)) != NULL)
		ft_reply_msg_locked(f, res, 200, m);
	pthread_mutex_unlock(&f->mtx);
	if (m == NULL)
		ft_reply_error(
		    res, 404, 20404, "The requested resource %s was not found", req->uri);
}

void
ft_enter(struct fake_twilio *f)
{
	pthread_mutex_lock(&f->mtx);
	f->inflight++;
	pthread_mutex_unlock(&f->mtx);
}

void
ft_leave(struct fake_twilio *f)
{
	pthread_mutex_lock(&f->mtx);
	f->inflight--;
	if (f->stopping)
		(void) pthread_cond_broadcast(&f->stall_cv);
	pthread_mutex_unlock(&f->mtx);
}

/* Serves everything under /2010-04-01/Accounts (both methods), so that a wrong account or an
 * unknown path gets Twilio's JSON 404 and not NNG's HTML one. Runs on the fake's work queue. */
static void
ft_handler(void *state, const struct pa_http_request *req, struct pa_http_response *res, void *arg)
{
	struct fake_twilio *f    = arg;
	const char         *acct = NULL, *rest = NULL;
	char                path[512], user[128];
	bool                post = strcmp(req->method, "POST") == 0;
	bool                parsed, fb;

	parsed = ft_split_path(req->uri, path, sizeof path, &acct, &rest);
	fb     = post && parsed && strncmp(rest, "Messages/", 9) == 0 && strlen(rest) > 14
	    && strcmp(rest + strlen(rest) - 14, "/Feedback.json") == 0;
	post = post && parsed && strcmp(rest, "Messages.json") == 0;
	ft_enter(f);
	pthread_mutex_lock(&f->mtx);
	if (post)
		f->requests++;
	if (fb)
		f->fb_requests++;
	pthread_mutex_unlock(&f->mtx);

	if (!ft_auth(f, req, user, sizeof user)) {
		res->headers[res->nheaders].name    = "WWW-Authenticate";
		res->headers[res->nheaders++].value = "Basic realm=\"Twilio API\"";
		ft_reply_error(res, 401, 20003, "Authenticate");
		if (post || fb) {
			pthread_mutex_lock(&f->mtx);
			f->rejected++;
			pthread_mutex_unlock(&f->mtx);
		}
	} else if (post) {
		ft_post(f, req, res, acct, user);
	} else if (fb) {
		ft_feedback(f, req, res, acct, rest);
	} else if (parsed && strcmp(req->method, "GET") == 0) {
		ft_get(f, req, res, acct, rest);
	} else {
		ft_reply_error(
		    res, 404, 20404, "The requested resource %s was not found", req->uri);
	}
	ft_leave(f);
}

/* ---- status callbacks ------------------------------------------------------------------------ */

struct ft_pair {
	const char *k, *v;
};

static void
ft_kv(const char **keys, const char **values, size_t *n, const char *k, const char *v)
{
	keys[*n]   = k;
	values[*n] = v;
	(*n)++;
}

static int
ft_pair_cmp(const void *a, const void *b)
{
	const struct ft_pair *x = a, *y = b;
	int                   c = strcmp(x->k, y->k);

	return c != 0 ? c : strcmp(x->v, y->v);
}

void
fake_twilio_sign(const char *token, const char *url, const char *const *keys,
    const char *const *values, size_t n, char out[29])
{
	struct ft_pair  *p   = n > 0 ? calloc(n, sizeof *p) : NULL;
	struct pa_strbuf buf = { 0 };
	unsigned char    md[EVP_MAX_MD_SIZE], *mac;
	unsigned int     mdlen = 0;

	out[0] = '\0';
	if (n > 0 && p == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		p[i] = (struct ft_pair) { keys[i], values[i] };
	qsort(p, n, sizeof *p, ft_pair_cmp);
	pa_strbuf_append(&buf, url, strlen(url));
	for (size_t i = 0; i < n; i++) {
		/* Twilio's validators build a sorted set: an exact repeat counts once. */
		if (i > 0 && ft_pair_cmp(&p[i], &p[i - 1]) == 0)
			continue;
		pa_strbuf_append(&buf, p[i].k, strlen(p[i].k));
		pa_strbuf_append(&buf, p[i].v, strlen(p[i].v));
	}
	free(p);
	/* An empty message (no URL, no fields) is nothing Twilio would sign; out stays "". */
	if (buf.oom || buf.len == 0 || strlen(token) > INT32_MAX)
		goto out_free_buf;
	mac = HMAC(EVP_sha1(), token, (int) strlen(token), (const unsigned char *) buf.data,
	    buf.len, md, &mdlen);
	if (mac == NULL || mdlen != 20)
		goto out_free_buf;
	(void) sodium_bin2base64(out, 29, md, mdlen, sodium_base64_VARIANT_ORIGINAL);
out_free_buf:
	pa_strbuf_free(&buf);
}

static size_t
ft_discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	return size * nmemb;
}

/* Posts the form to url; returns the HTTP status, 0 when unreachable. */
static long
ft_curl_post(const char *url, const char *const *keys, const char *const *values, size_t n,
    const char *signature)
{
	CURL              *c    = curl_easy_init();
	struct curl_slist *hdrs = NULL, *tmp;
	struct pa_strbuf   body = { 0 };
	char               sighdr[64];
	long               code = 0;
	bool               ok   = c != NULL;

	for (size_t i = 0; ok && i < n; i++) {
		char *k = curl_easy_escape(c, keys[i], 0);
		char *v = curl_easy_escape(c, values[i], 0);

		if (k == NULL || v == NULL)
			ok = false;
		else
			pa_strbuf_printf(&body, "%s%s=%s", i > 0 ? "&" : "", k, v);
		curl_free(k);
		curl_free(v);
	}
	ok = ok && !body.oom;
	if (ok
	    && (tmp = curl_slist_append(hdrs, "Content-Type: application/x-www-form-urlencoded"))
	        != NULL)
		hdrs = tmp;
	else
		ok = false;
	if (ok && signature != NULL) {
		(void) snprintf(sighdr, sizeof sighdr, "X-Twilio-Signature: %s", signature);
		if ((tmp = curl_slist_append(hdrs, sighdr)) != NULL)
			hdrs = tmp;
		else
			ok = false;
	}
	if (ok && (tmp = curl_slist_append(hdrs, "Expect:")) != NULL)
		hdrs = tmp;
	else
		ok = false;
	if (ok
	    && (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK
	        || curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK
	        || curl_easy_setopt(c, CURLOPT_TIMEOUT, FT_CALLBACK_TIMEOUT_S) != CURLE_OK
	        || curl_easy_setopt(c, CURLOPT_USERAGENT, "TwilioProxy/1.1") != CURLE_OK
	        || curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK
	        || curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data != NULL ? body.data : "")
	            != CURLE_OK
	        || curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long) body.len) != CURLE_OK
	        || curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ft_discard) != CURLE_OK))
		ok = false;
	if (ok && curl_easy_perform(c) == CURLE_OK
	    && curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
		code = 0;
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	pa_strbuf_free(&body);
	return code;
}

long
fake_twilio_callback(struct fake_twilio *f, const char *sid, const char *status, int error_code,
    const char *raw_dlr_done_date, int sign)
{
	struct ft_msg *m;
	char          *url = NULL, *from = NULL, *to = NULL;
	const char    *keys[10], *values[10];
	char           errbuf[16], sig[29], mask[PA_PHONE_MASK_MAX];
	size_t         n = 0;
	long           code;
	bool           ok;

	pthread_mutex_lock(&f->mtx);
	m  = ft_find_locked(f, sid);
	ok = m != NULL && ft_set_status_locked(m, status, error_code) && m->status_callback != NULL;
	if (ok) {
		url  = strdup(m->status_callback);
		to   = strdup(m->to);
		from = ft_strdup(m->from);
		ok   = url != NULL && to != NULL && (m->from == NULL || from != NULL);
	}
	pthread_mutex_unlock(&f->mtx);
	if (!ok) {
		free(url);
		free(to);
		free(from);
		return 0;
	}

	ft_kv(keys, values, &n, "MessageSid", sid);
	ft_kv(keys, values, &n, "MessageStatus", status);
	ft_kv(keys, values, &n, "AccountSid", f->account_sid);
	/* A message sent through a messaging service alone has no sender the fake could name. */
	if (from != NULL)
		ft_kv(keys, values, &n, "From", from);
	ft_kv(keys, values, &n, "To", to);
	ft_kv(keys, values, &n, "ApiVersion", "2010-04-01");
	ft_kv(keys, values, &n, "SmsSid", sid);
	ft_kv(keys, values, &n, "SmsStatus", status);
	if (error_code != 0) {
		(void) snprintf(errbuf, sizeof errbuf, "%d", error_code);
		ft_kv(keys, values, &n, "ErrorCode", errbuf);
	}
	if (raw_dlr_done_date != NULL)
		ft_kv(keys, values, &n, "RawDlrDoneDate", raw_dlr_done_date);

	if (sign > 0) {
		fake_twilio_sign(f->auth_token, url, keys, values, n, sig);
	} else if (sign < 0) {
		/* Well formed, but made with another key: what a forger would send. */
		fake_twilio_sign("not-the-auth-token", url, keys, values, n, sig);
	}
	code = ft_curl_post(url, keys, values, n, sign != 0 ? sig : NULL);
	if (f->print) {
		printf("callback to=%s sid=%s status=%s http=%ld\n", pa_phone_mask(to, mask), sid,
		    status, code);
		(void) fflush(stdout);
	}
	free(url);
	free(to);
	free(from);
	return code;
}

/* Called with f->mtx held: the message was marked failed or undelivered (fake_twilio_callback
 * or fake_twilio_set_status), so Twilio would send no further receipts for it. */
static bool
ft_failed_locked(struct fake_twilio *f, const char *sid)
{
	const struct ft_msg *m = ft_find_locked(f, sid);

	return m != NULL
	    && (strcmp(m->status, "failed") == 0 || strcmp(m->status, "undelivered") == 0);
}

/* Posts the automatic "sent" then "delivered" callbacks when they fall due, and "read" after
 * them for a WhatsApp message. */
static void *
ft_callback_main(void *arg)
{
	struct fake_twilio *f = arg;

	pthread_mutex_lock(&f->mtx);
	while (!f->stopping) {
		struct ft_event *ev = f->events;
		struct timespec  now;

		if (ev == NULL) {
			pthread_cond_wait(&f->cb_cv, &f->mtx);
			continue;
		}
		ft_now_mono(&now);
		if (ft_before(&now, &ev->due)) {
			(void) pthread_cond_timedwait(&f->cb_cv, &f->mtx, &ev->due);
			continue;
		}
		f->events = ev->next;
		if (ft_failed_locked(f, ev->sid)) {
			free(ev); /* a test failed it after acceptance: no receipt follows */
			continue;
		}
		pthread_mutex_unlock(&f->mtx);
		if (ev->stage == 0) {
			(void) fake_twilio_callback(f, ev->sid, "sent", 0, NULL, 1);
		} else if (ev->stage == 2) {
			(void) fake_twilio_callback(f, ev->sid, "read", 0, NULL, 1);
		} else if (ev->whatsapp) {
			/* WhatsApp receipts come from Meta, not from a carrier's DLR. */
			(void) fake_twilio_callback(f, ev->sid, "delivered", 0, NULL, 1);
		} else {
			char      dlr[64] = "";
			time_t    t       = time(NULL);
			struct tm tm;

			/* Carriers report the done date as YYMMDDhhmm (UTC). */
			if (gmtime_r(&t, &tm) != NULL)
				(void) snprintf(dlr, sizeof dlr, "%02d%02d%02d%02d%02d",
				    tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
				    tm.tm_min);
			(void) fake_twilio_callback(f, ev->sid, "delivered", 0, dlr, 1);
		}
		pthread_mutex_lock(&f->mtx);
		if (ev->stage == 0 || (ev->stage == 1 && ev->whatsapp)) {
			ev->stage++;
			ft_now_mono(&ev->due);
			ft_add_ms(&ev->due, f->auto_callback_ms);
			ft_schedule_locked(f, ev);
		} else {
			free(ev);
		}
	}
	pthread_mutex_unlock(&f->mtx);
	return NULL;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

int
fake_twilio_start(struct fake_twilio **out, const struct fake_twilio_opts *o)
{
	struct fake_twilio  *f;
	struct pa_workq_opts qo
	    = { .threads = FT_WORKQ_THREADS, .capacity = FT_WORKQ_CAP, .run = pa_http_run_job };
	pthread_condattr_t ca;

	if (o == NULL || o->listen == NULL || o->account_sid == NULL || o->auth_token == NULL
	    || (o->api_key != NULL && o->api_secret == NULL) || o->auto_callback_ms < 0
	    || o->latency_ms < 0)
		return -1;
	if (sodium_init() < 0)
		return -1;
	if ((f = calloc(1, sizeof *f)) == NULL)
		return -1;
	/* The callback thread sleeps until a due time on the monotonic clock. */
	if (pthread_condattr_init(&ca) != 0)
		goto out_free;
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0
	    || pthread_cond_init(&f->cb_cv, &ca) != 0) {
		(void) pthread_condattr_destroy(&ca);
		goto out_free;
	}
	(void) pthread_condattr_destroy(&ca);
	if (pthread_cond_init(&f->stall_cv, NULL) != 0) {
		(void) pthread_cond_destroy(&f->cb_cv);
		goto out_free;
	}
	if (pthread_mutex_init(&f->mtx, NULL) != 0) {
		(void) pthread_cond_destroy(&f->stall_cv);
		(void) pthread_cond_destroy(&f->cb_cv);
		goto out_free;
	}

	/* From here on fake_twilio_stop can take apart whatever was built. */
	f->auto_callback_ms = o->auto_callback_ms;
	f->print            = o->print;
	f->latency_ms       = o->latency_ms;
	f->on_accept        = o->on_accept;
	f->on_accept_arg    = o->on_accept_arg;
	f->listen           = strdup(o->listen);
	f->account_sid      = strdup(o->account_sid);
	f->auth_token       = strdup(o->auth_token);
	f->api_key          = ft_strdup(o->api_key);
	f->api_secret       = ft_strdup(o->api_key != NULL ? o->api_secret : NULL);
	if (f->listen == NULL || f->account_sid == NULL || f->auth_token == NULL
	    || (o->api_key != NULL && (f->api_key == NULL || f->api_secret == NULL)))
		goto out_stop;
	if ((size_t) snprintf(f->base, sizeof f->base, "http://%s", f->listen) >= sizeof f->base)
		goto out_stop;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto out_stop;
	f->curl_ready = true;
	if ((f->verify = fv_new(o)) == NULL)
		goto out_stop;
	if (pa_workq_new(&f->q, &qo) != PA_OK)
		goto out_stop;
	if (pa_http_new(&f->http, f->listen, f->q) != PA_OK
	    || pa_http_route_tree(f->http, "POST", FT_API_PREFIX, ft_handler, f, true) != PA_OK
	    || pa_http_route_tree(f->http, "GET", FT_API_PREFIX, ft_handler, f, true) != PA_OK
	    || pa_http_route_tree(f->http, "POST", FT_VERIFY_PREFIX, fv_handler, f, true) != PA_OK
	    || pa_http_route_tree(f->http, "GET", FT_VERIFY_PREFIX, fv_handler, f, true) != PA_OK)
		goto out_stop;
	if (f->auto_callback_ms > 0) {
		if (pthread_create(&f->cb_thread, NULL, ft_callback_main, f) != 0)
			goto out_stop;
		f->cb_started = true;
	}
	if (pa_http_start(f->http) != PA_OK)
		goto out_stop;
	*out = f;
	return 0;

out_stop:
	fake_twilio_stop(f);
	return -1;
out_free:
	free(f);
	return -1;
}

/* Frees what fake_twilio_stop has quiesced (or what start built before failing). */
static void
ft_free(struct fake_twilio *f)
{
	struct ft_event *ev;

	for (size_t i = 0; i < f->nmsgs; i++)
		ft_msg_destroy(f->msgs[i]);
	free(f->msgs);
	for (size_t i = 0; i < f->nrules; i++)
		free(f->rules[i].to);
	free(f->rules);
	fv_free(f->verify);
	while ((ev = f->events) != NULL) {
		f->events = ev->next;
		free(ev);
	}
	if (f->auth_token != NULL)
		sodium_memzero(f->auth_token, strlen(f->auth_token));
	if (f->api_secret != NULL)
		sodium_memzero(f->api_secret, strlen(f->api_secret));
	free(f->listen);
	free(f->account_sid);
	free(f->auth_token);
	free(f->api_key);
	free(f->api_secret);
	free(f);
}

void
fake_twilio_stop(struct fake_twilio *f)
{
	bool busy;

	if (f == NULL)
		return;
	/* Held requests answer 503 now, and any request still arriving answers 503 at once. */
	pthread_mutex_lock(&f->mtx);
	busy        = f->inflight > 0;
	f->stopping = true;
	f->stall_gen++;
	(void) pthread_cond_broadcast(&f->stall_cv);
	(void) pthread_cond_broadcast(&f->cb_cv);
	pthread_mutex_unlock(&f->mtx);
	if (f->cb_started)
		(void) pthread_join(f->cb_thread, NULL);

	/* A queued HTTP job points into the pa_http server, so the server may only go once no job
	 * is queued or running. The queue goes last: NNG may still finish aios on its threads. */
	if (f->q != NULL) {
		pthread_mutex_lock(&f->mtx);
		while (f->inflight > 0 || pa_workq_depth(f->q) > 0) {
			struct timespec ts;

			(void) clock_gettime(CLOCK_REALTIME, &ts);
			ft_add_ms(&ts, 10);
			(void) pthread_cond_timedwait(&f->stall_cv, &f->mtx, &ts);
		}
		pthread_mutex_unlock(&f->mtx);
	}
	/* NNG writes an answer after the handler returns, and stopping the server cuts every
	 * connection at once; a short grace lets the 503s of released requests reach their
	 * clients instead of a reset. */
	if (busy) {
		struct timespec grace = { 0, 200 * 1000000L };

		while (nanosleep(&grace, &grace) != 0 && errno == EINTR)
			;
	}
	pa_http_free(f->http);
	pa_workq_free(f->q);
	if (f->curl_ready)
		curl_global_cleanup();
	(void) pthread_cond_destroy(&f->cb_cv);
	(void) pthread_cond_destroy(&f->stall_cv);
	(void) pthread_mutex_destroy(&f->mtx);
	ft_free(f);
}

const char *
fake_twilio_base(const struct fake_twilio *f)
{
	return f->base;
}

/* ---- what it saw ----------------------------------------------------------------------------- */

int
fake_twilio_count(struct fake_twilio *f)
{
	int n;

	pthread_mutex_lock(&f->mtx);
	n = (int) f->nmsgs;
	pthread_mutex_unlock(&f->mtx);
	return n;
}

int
fake_twilio_count_to(struct fake_twilio *f, const char *to)
{
	int n = 0;

	pthread_mutex_lock(&f->mtx);
	for (size_t i = 0; i < f->nmsgs; i++)
		n += strcmp(f->msgs[i]->to, to) == 0;
	pthread_mutex_unlock(&f->mtx);
	return n;
}

int
fake_twilio_count_channel(struct fake_twilio *f, const char *channel)
{
	int n = 0;

	pthread_mutex_lock(&f->mtx);
	for (size_t i = 0; i < f->nmsgs; i++)
		n += strcmp(f->msgs[i]->channel, channel) == 0;
	pthread_mutex_unlock(&f->mtx);
	return n;
}

int
fake_twilio_requests(struct fake_twilio *f)
{
	int n;

	pthread_mutex_lock(&f->mtx);
	n = f->requests;
	pthread_mutex_unlock(&f->mtx);
	return n;
}

int
fake_twilio_rejected(struct fake_twilio *f)
{
	int n;

	pthread_mutex_lock(&f->mtx);
	n = f->rejected;
	pthread_mutex_unlock(&f->mtx);
	return n;
}

bool
fake_twilio_last_to(struct fake_twilio *f, const char *to, struct fake_twilio_msg *out)
{
	struct fake_twilio_msg c = { 0 };
	const struct ft_msg   *m = NULL;
	bool                   ok;

	pthread_mutex_lock(&f->mtx);
	for (size_t i = f->nmsgs; i > 0 && m == NULL; i--)
		if (strcmp(f->msgs[i - 1]->to, to) == 0)
			m = f->msgs[i - 1];
	if (m != NULL) {
		memcpy(c.sid, m->sid, sizeof c.sid);
		c.to                    = ft_strdup(m->to);
		c.from                  = ft_strdup(m->from);
		c.messaging_service_sid = ft_strdup(m->mss);
		c.body                  = ft_strdup(m->body);
		c.status_callback       = ft_strdup(m->status_callback);
		c.validity_period       = m->validity_period;
		c.auth_user             = ft_strdup(m->auth_user);
		c.status                = ft_strdup(m->status);
		c.error_code            = m->error_code;
		c.provide_feedback      = m->provide_feedback;
		c.feedback_posts        = m->feedback_posts;
		c.channel               = m->channel;
		c.content_sid           = ft_strdup(m->content_sid);
		c.content_variables     = ft_strdup(m->content_variables);
	}
	ok = m != NULL && c.to != NULL && c.auth_user != NULL && c.status != NULL
	    && (m->body == NULL || c.body != NULL)
	    && (m->content_sid == NULL || c.content_sid != NULL)
	    && (m->content_variables == NULL || c.content_variables != NULL)
	    && (m->from == NULL || c.from != NULL)
	    && (m->mss == NULL || c.messaging_service_sid != NULL)
	    && (m->status_callback == NULL || c.status_callback != NULL);
	pthread_mutex_unlock(&f->mtx);
	if (!ok) {
		fake_twilio_msg_free(&c);
		return false;
	}
	*out = c;
	return true;
}

void
fake_twilio_msg_free(struct fake_twilio_msg *m)
{
	if (m == NULL)
		return;
	/* The copy's strings were malloc'd by fake_twilio_last_to; const only guards the caller. */
	free((void *) m->to);
	free((void *) m->from);
	free((void *) m->messaging_service_sid);
	free((void *) m->body);
	free((void *) m->status_callback);
	free((void *) m->auth_user);
	free((void *) m->status);
	free((void *) m->content_sid);
	free((void *) m->content_variables);
	*m = (struct fake_twilio_msg) { 0 };
}

int
fake_twilio_max_per_number(struct fake_twilio *f)
{
	int best = 0;

	pthread_mutex_lock(&f->mtx);
	/* Quadratic, but a test sends tens of messages. */
	for (size_t i = 0; i < f->nmsgs; i++) {
		int n = 0;

		for (size_t j = 0; j < f->nmsgs; j++)
			n += strcmp(f->msgs[i]->to, f->msgs[j]->to) == 0;
		if (n > best)
			best = n;
	}
	pthread_mutex_unlock(&f->mtx);
	return best;
}

/* ---- how it answers -------------------------------------------------------------------------- */

void
fake_twilio_fail_429(struct fake_twilio *f, int n, int retry_after_s)
{
	pthread_mutex_lock(&f->mtx);
	f->fail429       = n > 0 ? n : 0;
	f->retry_after_s = retry_after_s;
	pthread_mutex_unlock(&f->mtx);
}

void
fake_twilio_fail_500(struct fake_twilio *f, int n)
{
	pthread_mutex_lock(&f->mtx);
	f->fail500 = n > 0 ? n : 0;
	pthread_mutex_unlock(&f->mtx);
}

void
fake_twilio_fail_number(struct fake_twilio *f, const char *to, int code)
{
	pthread_mutex_lock(&f->mtx);
	for (size_t i = 0; i < f->nrules; i++) {
		if (strcmp(f->rules[i].to, to) != 0)
			continue;
		if (code != 0) {
			f->rules[i].code = code;
		} else {
			free(f->rules[i].to);
			f->rules[i] = f->rules[--f->nrules];
		}
		pthread_mutex_unlock(&f->mtx);
		return;
	}
	if (code != 0) {
		char *dup = strdup(to);

		if (f->nrules == f->caprules) {
			size_t          cap = f->caprules ? f->caprules * 2 : 8;
			struct ft_rule *p   = realloc(f->rules, cap * sizeof *p);

			if (p != NULL) {
				f->rules    = p;
				f->caprules = cap;
			}
		}
		/* Out of memory leaves the rule unset; a test then sees its message accepted. */
		if (dup != NULL && f->nrules < f->caprules)
			f->rules[f->nrules++] = (struct ft_rule) { dup, code };
		else
			free(dup);
	}
	pthread_mutex_unlock(&f->mtx);
}

void
fake_twilio_stall(struct fake_twilio *f, bool on)
{
	pthread_mutex_lock(&f->mtx);
	if (f->stall && !on) {
		f->stall_gen++;
		(void) pthread_cond_broadcast(&f->stall_cv);
	}
	f->stall = on;
	pthread_mutex_unlock(&f->mtx);
}

void
fake_twilio_set_latency(struct fake_twilio *f, int ms)
{
	pthread_mutex_lock(&f->mtx);
	f->latency_ms = ms > 0 ? ms : 0;
	pthread_mutex_unlock(&f->mtx);
}

int
fake_twilio_stalled(struct fake_twilio *f)
{
	int n;

	pthread_mutex_lock(&f->mtx);
	n = f->nstalled;
	pthread_mutex_unlock(&f->mtx);
	return n;
}

/* ---- status ---------------------------------------------------------------------------------- */

void
fake_twilio_set_status(struct fake_twilio *f, const char *sid, const char *status, int error_code)
{
	struct ft_msg *m;

	pthread_mutex_lock(&f->mtx);
	if ((m = ft_find_locked(f, sid)) != NULL)
		(void) ft_set_status_locked(m, status, error_code);
	pthread_mutex_unlock(&f->mtx);
}

int
fake_twilio_feedback_requests(struct fake_twilio *f)
{
	int n;

	pthread_mutex_lock(&f->mtx);
	n = f->fb_requests;
	pthread_mutex_unlock(&f->mtx);
	return n;
}

int
fake_twilio_feedback_count(struct fake_twilio *f, const char *sid)
{
	struct ft_msg *m;
	int            n;

	pthread_mutex_lock(&f->mtx);
	m = ft_find_locked(f, sid);
	n = m != NULL ? m->feedback_posts : 0;
	pthread_mutex_unlock(&f->mtx);
	return n;
}

int
fake_twilio_feedback_total(struct fake_twilio *f)
{
	int n = 0;

	pthread_mutex_lock(&f->mtx);
	for (size_t i = 0; i < f->nmsgs; i++)
		n += f->msgs[i]->feedback_posts;
	pthread_mutex_unlock(&f->mtx);
	return n;
}

void
fake_twilio_fail_feedback_500(struct fake_twilio *f, int n)
{
	pthread_mutex_lock(&f->mtx);
	f->fb_fail500 = n > 0 ? n : 0;
	pthread_mutex_unlock(&f->mtx);
}
