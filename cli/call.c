/* call.c: every RPC the CLI makes, through the same client library a site uses; an answer that is
 * not an OK reply ends here, printed once. */
#include <stdio.h>
#include <stdlib.h>

#include "call.h"
#include "common/tls.h"
#include "output.h"

/* service/method on url, with admin_token in the caller metadata unless it is NULL. */
static int
call(struct cli_ctx *ctx, const char *url, const char *service, const char *method,
    const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
    const char *admin_token, struct pa_reply *out)
{
	/* tls+tcp:// URLs and a client token, from the same variables the services read. */
	struct pa_tls_opts tls = {
		.ca_file     = getenv("PHONEAUTH_TLS_CA"),
		.cert_file   = getenv("PHONEAUTH_TLS_CERT"),
		.key_file    = getenv("PHONEAUTH_TLS_KEY"),
		.server_name = getenv("PHONEAUTH_TLS_SERVER_NAME"),
	};
	struct pa_client_opts o = {
		.url          = url,
		.timeout_ms   = ctx->timeout_ms,
		.admin_token  = admin_token,
		.client_token = getenv("PHONEAUTH_CLIENT_TOKEN"),
		.tls          = &tls,
	};
	Phoneauth__V1__CallerMetadata caller = PHONEAUTH__V1__CALLER_METADATA__INIT;
	struct pa_client             *c;
	char                          path[128];
	pa_err                        rv;
	int                           status;

	if (pa_client_open(&c, &o) != PA_OK) {
		fprintf(stderr, "phoneauth: cannot use URL '%s'\n", url);
		return 1;
	}
	caller.end_user_ip = (char *) (ctx->end_user_ip ? ctx->end_user_ip : "");
	caller.user_agent  = (char *) "phoneauth-cli/" PHONEAUTH_VERSION;
	caller.locale      = (char *) (ctx->locale ? ctx->locale : "");
	(void) snprintf(path, sizeof path, "/phoneauth.v1.%s/%s", service, method);
	rv = pa_client_call(c, path, req, resp_desc, &caller, out);
	pa_client_close(c);
	if (rv == PA_ETIMEDOUT) {
		fprintf(stderr,
		    "phoneauth: no answer from %s within %d ms (is the service running?)\n", url,
		    ctx->timeout_ms);
		return 1;
	}
	if (rv != PA_OK) {
		fprintf(stderr, "phoneauth: %s failed: %s\n", method, pa_strerror(rv));
		return 1;
	}
	if (out->code == PHONEAUTH__V1__CODE__OK && out->body != NULL)
		return 0;
	if (out->code != PHONEAUTH__V1__CODE__OK) {
		status = cli_out_failure(ctx, out);
	} else {
		fprintf(stderr, "phoneauth: %s replied OK without a body\n", method);
		status = 1;
	}
	pa_reply_clear(out);
	return status;
}

int
cli_call_auth(struct cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *resp_desc, struct pa_reply *out)
{
	return call(ctx, ctx->url, "Auth", method, req, resp_desc, NULL, out);
}

int
cli_call_admin(struct cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *resp_desc, struct pa_reply *out)
{
	const char *token = getenv("PHONEAUTH_ADMIN_TOKEN");

	if (token == NULL || token[0] == '\0') {
		fprintf(stderr, "phoneauth: set PHONEAUTH_ADMIN_TOKEN to use admin commands\n");
		return 1;
	}
	return call(ctx, ctx->admin_url, "Admin", method, req, resp_desc, token, out);
}
