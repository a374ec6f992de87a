/* cmd_admin.h: owns the admin views (users, user, messages, audit, stats), calls to the Admin
 * service with the token from $PHONEAUTH_ADMIN_TOKEN. */
#ifndef PHONEAUTH_CLI_CMD_ADMIN_H
#define PHONEAUTH_CLI_CMD_ADMIN_H

#include "cli.h"

/* The admin commands, ended by a NULL name. */
extern const struct cli_command cli_admin_commands[];

#endif
