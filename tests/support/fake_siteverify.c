/* fake_siteverify.c: the fake captcha provider (fake_siteverify.h). */
#include "fake_siteverify.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/http.h"
#include "common/workq.h"

struct fake_siteverify {
	struct pa_http           *http;
	struct pa_workq          *q;
	char                      listen[32];
	char                      url[64];
	char                      secret[128];
	pthread_mutex_t           mu;
	enum fake_siteverify_mode mode;
	int                       stall_ms;
	int                       requests, passed;
	char                      last_ip[64];
};

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	    : c >= 'a' && c <= 'f'  ? c - 'a' + 10
	    : c >= 'A' && c <= 'F'  ? c - 'A' + 10
	                            : -1;
}

/* The form field name's value, decoded into out ("" when absent). */
static void
form_get(const char *body, size_t len, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name), i = 0, o = 0;

	out[0] = '\0';
	while (i < len) {
		size_t end = i;

		while (end < len && body[end] != '&')
			end++;
		if (end - i > nl && strncmp(body + i, name, nl) == 0 && body[i + nl] == '=') {
			for (size_t k = i + nl + 1; k < end && o + 1 < outsz; k++) {
				if (body[k] == '%' && k + 2 < end + 1 && hexval(body[k + 1]) >= 0
				    && hexval(body[k + 2]) >= 0) {
					out[o++] = (char) (hexval(body[k + 1]) * 16
					    + hexval(body[k + 2]));
					k += 2;
				} else
					out[o++] = body[k] == '+' ? ' ' : body[k];
			}
			out[o] = '\0';
			return;
		}
		i = end + 1;
	}
}

static void
handler(void *state, const struct pa_http_request *req, struct pa_http_response *res, void *arg)
{
	struct fake_siteverify   *f = arg;
	char                      secret[128], token[256], ip[64];
	enum fake_siteverify_mode mode;
	int                       stall;
	bool                      ok;

	(void) state;
	form_get(req->body, req->body_len, "secret", secret, sizeof secret);
	form_get(req->body, req->body_len, "response", token, sizeof token);
	form_get(req->body, req->body_len, "remoteip", ip, sizeof ip);
	ok = strcmp(secret, f->secret) == 0 && strncmp(token, "pass", 4) == 0;
	pthread_mutex_lock(&f->mu);
	f->requests++;
	mode  = f->mode;
	stall = f->stall_ms;
	(void) snprintf(f->last_ip, sizeof f->last_ip, "%s", ip);
	if (ok && mode == FAKE_SITEVERIFY_UP)
		f->passed++;
	pthread_mutex_unlock(&f->mu);
	res->content_type = "application/json";
	if (mode == FAKE_SITEVERIFY_503) {
		res->status = 503;
		pa_strbuf_printf(&res->body, "{\"error\":\"down\"}");
		return;
	}
	if (mode == FAKE_SITEVERIFY_STALL) {
		struct timespec ts = { stall / 1000, (long) (stall % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	if (ok)
		pa_strbuf_printf(&res->body,
		    "{\"success\":true,\"challenge_ts\":\"2026-12-02T10:00:00Z\","
		    "\"hostname\":\"example.test\",\"error-codes\":[]}");
	else
		pa_strbuf_printf(&res->body, "{\"success\":false,\"error-codes\":[\"%s\"]}",
		    strcmp(secret, f->secret) != 0 ? "invalid-input-secret"
		                                   : "invalid-input-response");
}

int
fake_siteverify_start(struct fake_siteverify **out, int port, const char *secret)
{
	struct fake_siteverify *f  = calloc(1, sizeof *f);
	struct pa_workq_opts    qo = { .threads = 4, .capacity = 256, .run = pa_http_run_job };

	if (f == NULL)
		return -1;
	pthread_mutex_init(&f->mu, NULL);
	(void) snprintf(f->listen, sizeof f->listen, "127.0.0.1:%d", port);
	(void) snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d/siteverify", port);
	(void) snprintf(f->secret, sizeof f->secret, "%s", secret);
	if (pa_workq_new(&f->q, &qo) != PA_OK || pa_http_new(&f->http, f->listen, f->q) != PA_OK
	    || pa_http_route(f->http, "POST", "/siteverify", handler, f, true) != PA_OK
	    || pa_http_start(f->http) != PA_OK) {
		fake_siteverify_stop(f);
		return -1;
	}
	*out = f;
	return 0;
}

void
fake_siteverify_stop(struct fake_siteverify *f)
{
	if (f == NULL)
		return;
	pa_http_stop(f->http);
	pa_http_free(f->http);
	pa_workq_free(f->q);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

const char *
fake_siteverify_url(const struct fake_siteverify *f)
{
	return f->url;
}

void
fake_siteverify_set_mode(struct fake_siteverify *f, enum fake_siteverify_mode m, int stall_ms)
{
	pthread_mutex_lock(&f->mu);
	f->mode     = m;
	f->stall_ms = stall_ms;
	pthread_mutex_unlock(&f->mu);
}

int
fake_siteverify_requests(struct fake_siteverify *f)
{
	int n;

	pthread_mutex_lock(&f->mu);
	n = f->requests;
	pthread_mutex_unlock(&f->mu);
	return n;
}

int
fake_siteverify_passed(struct fake_siteverify *f)
{
	int n;

	pthread_mutex_lock(&f->mu);
	n = f->passed;
	pthread_mutex_unlock(&f->mu);
	return n;
}

void
fake_siteverify_last_ip(struct fake_siteverify *f, char *out, size_t outsz)
{
	pthread_mutex_lock(&f->mu);
	(void) snprintf(out, outsz, "%s", f->last_ip);
	pthread_mutex_unlock(&f->mu);
}
