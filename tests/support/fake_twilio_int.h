/* fake_twilio_int.h: what fake_twilio.c shares with fake_verify.c, the two halves of one fake
 * on one listener: the fake's state (under its mutex), form parsing, Basic auth and Twilio's
 * JSON answers. Not for tests; they use fake_twilio.h. */
#ifndef PHONEAUTH_TEST_FAKE_TWILIO_INT_H
#define PHONEAUTH_TEST_FAKE_TWILIO_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#include "common/http.h"
#include "fake_twilio.h"

#define FT_FORM_MAX_FIELDS 64

struct ft_msg;
struct ft_rule;
struct ft_event;
struct fake_verify;

struct fake_twilio {
	char *listen, *account_sid, *auth_token, *api_key, *api_secret;
	int   auto_callback_ms;
	bool  print;
	void (*on_accept)(void *arg, const char *to, const char *body);
	void *on_accept_arg;
	char  base[320];

	struct pa_workq *q;
	struct pa_http  *http;

	pthread_mutex_t mtx;
	pthread_cond_t  stall_cv; /* stalled handlers wait here; stop waits here for idle */
	pthread_cond_t  cb_cv; /* the callback thread waits here (CLOCK_MONOTONIC) */
	bool            stopping;
	bool            stall;
	unsigned        stall_gen; /* bumped when stall turns off: releases the held requests */
	int             nstalled;
	int             inflight; /* handlers running now */
	/* The same for Verify POSTs (fake_twilio_verify_stall). */
	bool     verify_stall;
	unsigned verify_stall_gen;
	int      verify_nstalled;

	int requests, rejected;
	int fail429, retry_after_s, fail500;
	int fb_requests, fb_fail500; /* Feedback.json POSTs; how many more get 500 */
	int latency_ms;

	struct ft_msg **msgs;
	size_t          nmsgs, capmsgs;
	struct ft_rule *rules;
	size_t          nrules, caprules;

	struct ft_event *events;
	pthread_t        cb_thread;
	bool             cb_started;
	bool             curl_ready;

	struct fake_verify *verify; /* Verify v2 state (fake_verify.c) */
};

struct ft_form {
	size_t n;
	char  *key[FT_FORM_MAX_FIELDS];
	char  *val[FT_FORM_MAX_FIELDS];
};

enum ft_form_err { FT_FORM_OK, FT_FORM_NOMEM, FT_FORM_BAD };

/* ---- helpers (fake_twilio.c) ----------------------------------------------------------------- */

char *ft_strdup(const char *s); /* NULL stays NULL */
bool  ft_is_e164(const char *s);
bool  ft_is_sid(const char *s, const char *prefix); /* prefix (2 letters) + 32 hex */
void  ft_now_mono(struct timespec *ts);
void  ft_add_ms(struct timespec *ts, int ms);
bool  ft_before(const struct timespec *a, const struct timespec *b);

/* json-c helpers: a failed allocation clears *ok; s == NULL puts a JSON null. */
void ft_json_put(json_object *o, const char *key, json_object *v, bool *ok);
void ft_json_str(json_object *o, const char *key, const char *s, bool *ok);
void ft_json_int(json_object *o, const char *key, int n, bool *ok);
/* Serialises o (released) as res's body; 500 when !ok. */
void ft_reply_json(struct pa_http_response *res, int status, json_object *o, bool ok);
/* Twilio's error document {"code", "message", "more_info", "status"}. */
void ft_reply_error(struct pa_http_response *res, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* An application/x-www-form-urlencoded body; free with ft_form_free (also on error paths). */
enum ft_form_err ft_form_parse(struct ft_form *fm, const char *body, size_t len);
const char      *ft_form_get(const struct ft_form *fm, const char *key); /* first value or NULL */
void             ft_form_free(struct ft_form *fm);

/* Checks Basic credentials (account SID + token, or API key + secret); copies the user. */
bool ft_auth(struct fake_twilio *f, const struct pa_http_request *req, char *user, size_t usersz);

/* A handler starts and ends with these, so that fake_twilio_stop waits for it. */
void ft_enter(struct fake_twilio *f);
void ft_leave(struct fake_twilio *f);
/* Holds the request while *on, counting it in *nheld; a bump of *gen (under f->mtx, with a
 * broadcast on f->stall_cv) releases it. Returns true when the caller must answer 503: it was
 * held, or the fake is stopping. */
bool ft_hold_on(struct fake_twilio *f, const bool *on, const unsigned *gen, int *nheld);

/* ---- Verify v2 (fake_verify.c) ----------------------------------------------------------------
 */

/* Builds the Verify state from the options; NULL when out of memory or the options are bad. */
struct fake_verify *fv_new(const struct fake_twilio_opts *o);
void                fv_free(struct fake_verify *v); /* NULL ok */
/* Serves POST (and refuses GET) under /v2/Services; blocking, on the fake's queue. */
void fv_handler(
    void *state, const struct pa_http_request *req, struct pa_http_response *res, void *arg);

#endif
