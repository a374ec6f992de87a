/* args.h: owns the arguments after the command name: options with a value, switches, positional
 * arguments, -h/--help, and the usage errors (exit status 2) for anything else. The options
 * before the command (--url, --json...) are main.c's. */
#ifndef PHONEAUTH_CLI_ARGS_H
#define PHONEAUTH_CLI_ARGS_H

#include <stdbool.h>

/* cli_args_parse returns this when the command should run; any other value is its exit status. */
#define CLI_ARGS_RUN (-1)

/* An option: "--email E" when value is set (to E), a switch ("--verified") when on is set (to
 * true). */
struct cli_opt {
	const char  *name;
	const char **value;
	bool        *on;
};

/* What a command accepts: its synopsis (printed after "usage: phoneauth "), its options (ended by
 * a NULL name; NULL for none), and room in pos for npos positional arguments, the first nreq of
 * them required.
 *
 * The Auth commands take tokens, which are base64url and may start with '-': so anything that
 * is not one of their options is positional, "--" ends the options, "--email=E" works and
 * -h/--help prints the synopsis. The admin commands are strict and take none of that: an
 * argument that starts with '-' and is not one of their options is unexpected. */
struct cli_args {
	const char           *synopsis;
	const struct cli_opt *opts;
	const char          **pos;
	int                   npos;
	int                   nreq;
	bool                  strict;
};

/* Sets the options given and fills a->pos[0..npos) (NULL where none came). Returns CLI_ARGS_RUN,
 * 0 after printing the synopsis for -h/--help, or 2 after a usage error on stderr. The values
 * point into argv. */
int cli_args_parse(const struct cli_args *a, int argc, char **argv);

#endif
