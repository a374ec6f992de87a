/* output.c: replies as "key: value" lines or one line of JSON built with json-c, failures, and
 * the admin commands' times. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "output.h"

/* No spaces and slashes left alone: the JSON the CLI has always printed. */
#define OUT_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

json_object *
cli_out_json_str(const char *s)
{
	return json_object_new_string(s ? s : "");
}

int
cli_out_json(json_object *o)
{
	const char *s  = o != NULL ? json_object_to_json_string_ext(o, OUT_JSON_FLAGS) : NULL;
	int         st = 0;

	if (s != NULL) {
		(void) puts(s);
	} else {
		fprintf(stderr, "phoneauth: out of memory\n");
		st = 1;
	}
	json_object_put(o);
	return st;
}

const char *
cli_out_when(int64_t ms, char out[32])
{
	time_t    t = (time_t) (ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL)
		return "-";
	(void) strftime(out, 32, "%Y-%m-%d %H:%M:%SZ", &tm);
	return out;
}

/* Adds val (which it owns from here) under key. */
static void
out_add(struct cli_out *o, const char *key, json_object *val)
{
	if (o->obj == NULL || val == NULL || json_object_object_add(o->obj, key, val) != 0) {
		json_object_put(val);
		o->oom = true;
	}
}

void
cli_out_start(struct cli_out *o, bool json)
{
	o->json = json;
	o->obj  = json ? json_object_new_object() : NULL;
	o->oom  = false;
}

void
cli_out_begin(struct cli_out *o, const struct cli_ctx *ctx, const struct pa_reply *r)
{
	cli_out_start(o, ctx->json);
	if (o->json) {
		out_add(o, "code", cli_out_json_str("OK"));
		out_add(o, "message", cli_out_json_str(r->message));
	} else if (r->message[0] != '\0') {
		printf("%s\n", r->message);
	}
}

void
cli_out_str(struct cli_out *o, const char *key, const char *val)
{
	if (o->json)
		out_add(o, key, cli_out_json_str(val));
	else if (val != NULL && val[0] != '\0')
		printf("%s: %s\n", key, val);
}

void
cli_out_uint(struct cli_out *o, const char *key, uint32_t val)
{
	if (o->json)
		out_add(o, key, json_object_new_int64(val));
	else
		printf("%s: %u\n", key, val);
}

void
cli_out_bool(struct cli_out *o, const char *key, bool val)
{
	if (o->json)
		out_add(o, key, json_object_new_boolean(val));
	else
		printf("%s: %s\n", key, val ? "yes" : "no");
}

void
cli_out_time(struct cli_out *o, const char *key, int64_t unix_s)
{
	time_t    t = (time_t) unix_s;
	struct tm tm;
	char      iso[32] = "", key_unix[64];

	if (gmtime_r(&t, &tm) == NULL || strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void) snprintf(iso, sizeof iso, "@%lld", (long long) unix_s);
	cli_out_str(o, key, iso);
	if (o->json) {
		(void) snprintf(key_unix, sizeof key_unix, "%s_unix", key);
		out_add(o, key_unix, json_object_new_int64(unix_s));
	}
}

int
cli_out_print(struct cli_out *o)
{
	json_object *obj = o->obj;

	o->obj = NULL;
	if (!o->json)
		return 0;
	if (o->oom) {
		json_object_put(obj);
		obj = NULL; /* cli_out_json reports it */
	}
	return cli_out_json(obj);
}

int
cli_out_end(struct cli_out *o, struct pa_reply *r)
{
	int st = cli_out_print(o);

	pa_reply_clear(r);
	if (st != 0)
		return st;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "phoneauth: cannot write the reply: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

int
cli_out_failure(const struct cli_ctx *ctx, const struct pa_reply *r)
{
	struct cli_out o;

	if (ctx->json) {
		cli_out_start(&o, true);
		cli_out_str(&o, "code", pa_code_name(r->code));
		cli_out_str(&o, "reason", pa_reason_name(r->reason));
		cli_out_str(&o, "message", r->message);
		if (r->retry_after_s)
			cli_out_uint(&o, "retry_after_s", r->retry_after_s);
		if (r->has_attempts_left)
			cli_out_uint(&o, "attempts_left", r->attempts_left);
		(void) cli_out_print(&o); /* 1 either way */
		return 1;
	}
	fprintf(
	    stderr, "%s (%s): %s", pa_code_name(r->code), pa_reason_name(r->reason), r->message);
	if (r->retry_after_s)
		fprintf(stderr, " [retry after %u s]", r->retry_after_s);
	if (r->has_attempts_left)
		fprintf(stderr, " [%u attempts left]", r->attempts_left);
	fputc('\n', stderr);
	return 1;
}
