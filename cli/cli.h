/* cli.h: the CLI's command table and the helpers every command uses. */
#ifndef PHONEAUTH_CLI_H
#define PHONEAUTH_CLI_H

#include <stdbool.h>

#include "common/rpc.h"

#define CLI_DEFAULT_TIMEOUT_MS 5000

struct cli_ctx {
	const char *url;
	const char *admin_url;
	int         timeout_ms;
	const char *end_user_ip;
	bool        json;
};

struct cli_command {
	const char *name;
	const char *help;
	/* NULL for a help line only (a subcommand its parent command runs) */
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);
};

/* Terminated by a NULL name: the Auth commands (commands.c) and the admin ones (admin.c). */
extern const struct cli_command cli_commands[];
extern const struct cli_command cli_admin_commands[];

#endif
