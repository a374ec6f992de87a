/* cmd_audit.h: owns the audit command: listing and following the audit trail, and verifying its
 * signed chain (exit status 3 when it does not match). */
#ifndef PHONEAUTH_CLI_CMD_AUDIT_H
#define PHONEAUTH_CLI_CMD_AUDIT_H

#include "cli.h"

/* `audit [options]` and `audit verify [--head HASH]`: a cli_command's run, listed in the admin
 * table (cmd_admin.c) so that --help keeps the admin commands together. */
int cli_cmd_audit(struct cli_ctx *ctx, int argc, char **argv);

#endif
