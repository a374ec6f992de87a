/* call.h: owns one RPC from the CLI to the Auth or Admin service: the client library with the
 * TLS settings and client token from the environment, and the line a person sees when the call
 * brings no OK reply. */
#ifndef PHONEAUTH_CLI_CALL_H
#define PHONEAUTH_CLI_CALL_H

#include "cli.h"
#include "common/rpc.h"

/* Calls service/method ("Auth", "Health") on url, with admin_token in the caller metadata unless
 * it is NULL. Returns 0 with an OK reply and its body in *out, which the caller clears. Anything
 * else (unreachable, timed out, a failure reply, OK without a body) is printed and returns its
 * exit status (1), with nothing left in *out to clear. */
int cli_call(struct cli_ctx *ctx, const char *url, const char *service, const char *method,
    const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
    const char *admin_token, struct pa_reply *out);

#endif
