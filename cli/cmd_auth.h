/* cmd_auth.h: owns the commands a site's flows are made of (health, signup, verify, login...),
 * each one call to the Auth service. */
#ifndef PHONEAUTH_CLI_CMD_AUTH_H
#define PHONEAUTH_CLI_CMD_AUTH_H

#include "cli.h"

/* The Auth commands, ended by a NULL name. */
extern const struct cli_command cli_auth_commands[];

#endif
