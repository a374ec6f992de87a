/* commands.c: the CLI's commands, one function each. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "phoneauth/v1/auth.pb-c.h"

int
cli_call(struct cli_ctx *ctx, const char *url, const char *service, const char *method,
    const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc, struct pa_reply *out)
{
	struct pa_client_opts         o      = { .url = url, .timeout_ms = ctx->timeout_ms };
	Phoneauth__V1__CallerMetadata caller = PHONEAUTH__V1__CALLER_METADATA__INIT;
	struct pa_client             *c;
	char                          path[128];
	pa_err                        rv;

	if (pa_client_open(&c, &o) != PA_OK) {
		fprintf(stderr, "phoneauth: cannot use URL '%s'\n", url);
		return 1;
	}
	caller.end_user_ip = (char *) (ctx->end_user_ip ? ctx->end_user_ip : "");
	caller.user_agent  = (char *) "phoneauth-cli/" PHONEAUTH_VERSION;
	(void) snprintf(path, sizeof path, "/phoneauth.v1.%s/%s", service, method);
	rv = pa_client_call(c, path, req, resp_desc, &caller, out);
	pa_client_close(c);
	if (rv == PA_ETIMEDOUT) {
		fprintf(stderr, "phoneauth: no answer from %s within %d ms (is the service running?)\n",
		    url, ctx->timeout_ms);
		return 1;
	}
	if (rv != PA_OK) {
		fprintf(stderr, "phoneauth: %s failed: %s\n", method, pa_strerror(rv));
		return 1;
	}
	return 0;
}

int
cli_print_failure(struct cli_ctx *ctx, const struct pa_reply *r)
{
	if (ctx->json) {
		printf("{\"code\":\"%s\",\"reason\":\"%s\",\"message\":\"", pa_code_name(r->code),
		    pa_reason_name(r->reason));
		for (const char *p = r->message; *p; p++) {
			if (*p == '"' || *p == '\\')
				printf("\\%c", *p);
			else if ((unsigned char) *p < 0x20)
				printf("\\u%04x", *p);
			else
				putchar(*p);
		}
		printf("\"");
		if (r->retry_after_s)
			printf(",\"retry_after_s\":%u", r->retry_after_s);
		if (r->has_attempts_left)
			printf(",\"attempts_left\":%u", r->attempts_left);
		printf("}\n");
		return 1;
	}
	fprintf(stderr, "%s (%s): %s", pa_code_name(r->code), pa_reason_name(r->reason), r->message);
	if (r->retry_after_s)
		fprintf(stderr, " [retry after %u s]", r->retry_after_s);
	if (r->has_attempts_left)
		fprintf(stderr, " [%u attempts left]", r->attempts_left);
	fputc('\n', stderr);
	return 1;
}

static int
cmd_health(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__HealthRequest   req = PHONEAUTH__V1__HEALTH_REQUEST__INIT;
	Phoneauth__V1__HealthResponse *h;
	struct pa_reply                r;
	int                            status;

	if (cli_call(ctx, ctx->url, "Auth", "Health", &req.base,
	        &phoneauth__v1__health_response__descriptor, &r) != 0)
		return 1;
	if (r.code != PHONEAUTH__V1__CODE__OK) {
		status = cli_print_failure(ctx, &r);
		pa_reply_clear(&r);
		return status;
	}
	h = (Phoneauth__V1__HealthResponse *) r.body;
	if (ctx->json)
		printf("{\"status\":\"OK\",\"version\":\"%s\",\"database_ok\":%s,"
		       "\"sms_worker_alive\":%s}\n",
		    h->version, h->database_ok ? "true" : "false",
		    h->sms_worker_alive ? "true" : "false");
	else
		printf("OK version=%s database=%s sms_worker=%s\n", h->version,
		    h->database_ok ? "up" : "down", h->sms_worker_alive ? "alive" : "none");
	pa_reply_clear(&r);
	return 0;
}

const struct cli_command cli_commands[] = {
	{ "health", "check that the Auth service and its database answer", cmd_health },
	{ NULL, NULL, NULL },
};
