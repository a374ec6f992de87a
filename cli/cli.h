/* cli.h: owns what every command shares: the options given before the command (struct cli_ctx)
 * and what a command is (struct cli_command). */
#ifndef PHONEAUTH_CLI_H
#define PHONEAUTH_CLI_H

#include <stdbool.h>

#define CLI_DEFAULT_TIMEOUT_MS 5000

/* Set by main from the options and the environment, then read by the commands (audit verify
 * lengthens timeout_ms for its one call). */
struct cli_ctx {
	const char *url;
	const char *admin_url;
	int         timeout_ms;
	const char *end_user_ip;
	const char *locale; /* BCP 47, sent as CallerMetadata.locale: the replies' language */
	bool        json;
};

/* One line of `phoneauth --help`, and what runs the command: run gets the arguments after the
 * command's name and returns the exit status. */
struct cli_command {
	const char *name;
	const char *help;
	/* NULL for a help line only (a subcommand its parent command runs) */
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);
};

#endif
