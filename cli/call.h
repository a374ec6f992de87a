/* call.h: owns one RPC from the CLI to the Auth or Admin service: the client library with the
 * TLS settings and client token from the environment, and the line a person sees when the call
 * brings no OK reply. */
#ifndef PHONEAUTH_CLI_CALL_H
#define PHONEAUTH_CLI_CALL_H

#include "cli.h"
#include "common/rpc_client.h"

/* Calls method ("Health", "StartSignup"...) of the Auth service at ctx->url. Returns 0 with an
 * OK reply and its body in *out, which the caller clears. Anything else (unreachable, timed out,
 * a failure reply, OK without a body) is printed and returns its exit status (1), with nothing
 * left in *out to clear. */
int cli_call_auth(struct cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *resp_desc, struct pa_reply *out);

/* Calls method ("ListUsers"...) of the Admin service at ctx->admin_url with the token from
 * $PHONEAUTH_ADMIN_TOKEN, and says so when it is not set. Returns as cli_call_auth. */
int cli_call_admin(struct cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *resp_desc, struct pa_reply *out);

#endif
