/* main.c: the `phoneauth` CLI: what a person types to try the flows and read the admin views.
 * Here: the options before the command, --help, and finding the command in the Auth and admin
 * tables (cmd_auth.c, cmd_admin.c); every command is one RPC through the C client library. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cmd_admin.h"
#include "cmd_auth.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: phoneauth [--url URL] [--timeout MS] [--locale TAG] [--json] COMMAND [ARGS]\n"
	    "       (--json may also follow the command)\n\n"
	    "commands:\n");
	for (const struct cli_command *c = cli_auth_commands; c->name != NULL; c++)
		fprintf(f, "  %-18s %s\n", c->name, c->help);
	fprintf(f,
	    "  (--channel C: sms or whatsapp, when the profile allows it; default: its "
	    "PHONEAUTH_DEFAULT_CHANNEL)\n");
	fprintf(f, "\nadmin commands (token from $PHONEAUTH_ADMIN_TOKEN):\n");
	for (const struct cli_command *c = cli_admin_commands; c->name != NULL; c++)
		fprintf(f, "  %-18s %s\n", c->name, c->help);
	fprintf(f,
	    "\noptions:\n"
	    "  --url URL       the Auth service "
	    "(default $PHONEAUTH_RPC_URL or tcp://127.0.0.1:7400)\n"
	    "  --admin-url URL the Admin service "
	    "(default $PHONEAUTH_ADMIN_URL or tcp://127.0.0.1:7401)\n"
	    "  --timeout MS    how long to wait for a reply (default 5000)\n"
	    "  --ip ADDR       end-user IP to send as caller metadata\n"
	    "  --locale TAG    the person's language (BCP 47: es, es-MX, id-ID): replies and\n"
	    "                  codes in it when the profile has it, else its default\n"
	    "  --json          print replies as one line of JSON (before or after COMMAND)\n"
	    "  --help, --version\n"
	    "\nenvironment:\n"
	    "  PHONEAUTH_CLIENT_TOKEN      sent with every call "
	    "(when the Auth service asks for one)\n"
	    "  PHONEAUTH_TLS_CA            CA the service's certificate must chain to "
	    "(tls+tcp://)\n"
	    "  PHONEAUTH_TLS_CERT, _KEY    client certificate for mutual TLS\n"
	    "  PHONEAUTH_TLS_SERVER_NAME   name to expect in the certificate "
	    "(default: URL host)\n");
}

/* The command named name, or NULL; help-only lines ("audit verify") are not commands. */
static const struct cli_command *
find_command(const char *name)
{
	const struct cli_command *const tables[] = { cli_auth_commands, cli_admin_commands };

	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
		for (const struct cli_command *c = tables[i]; c->name != NULL; c++)
			if (c->run != NULL && strcmp(c->name, name) == 0)
				return c;
	return NULL;
}

/* --json is an option of the whole program, but people type it after the command too
 * (`phoneauth users --json`): takes it out of the command's arguments (up to a "--"), sets
 * ctx->json, and returns how many arguments are left. No token, id or phone is "--json". */
static int
json_anywhere(struct cli_ctx *ctx, int argc, char **argv)
{
	int n = 0, i = 0;

	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--json") == 0)
			ctx->json = true;
		else
			argv[n++] = argv[i];
	}
	for (; i < argc; i++)
		argv[n++] = argv[i];
	return n;
}

/* Looks like a BCP 47 tag: a 2- or 3-letter language, then subtags of 1 to 8 letters or digits
 * after '-'. The service picks the language; this only catches a typo before the call. */
static bool
locale_ok(const char *tag)
{
	size_t n = strspn(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

	/* 35: the longest tag RFC 5646 section 4.4.1 asks implementations to keep. */
	if (n < 2 || n > 3 || strlen(tag) > 35)
		return false;
	for (tag += n; *tag == '-'; tag += n) {
		n = strspn(++tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
		if (n < 1 || n > 8)
			return false;
	}
	return *tag == '\0';
}

static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : def;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "admin-url", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ "ip", required_argument, NULL, 'i' },
		{ "locale", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_ctx ctx = {
		.url        = env_or("PHONEAUTH_RPC_URL", "tcp://127.0.0.1:7400"),
		.admin_url  = env_or("PHONEAUTH_ADMIN_URL", "tcp://127.0.0.1:7401"),
		.timeout_ms = CLI_DEFAULT_TIMEOUT_MS,
	};
	const struct cli_command *cmd;
	int                       opt;

	/* '+': options stop at the command, so each command can parse its own. */
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			ctx.url = optarg;
			break;
		case 'a':
			ctx.admin_url = optarg;
			break;
		case 't':
			ctx.timeout_ms = atoi(optarg);
			if (ctx.timeout_ms <= 0) {
				fprintf(stderr, "phoneauth: --timeout takes milliseconds > 0\n");
				return 2;
			}
			break;
		case 'i':
			ctx.end_user_ip = optarg;
			break;
		case 'l':
			if (!locale_ok(optarg)) {
				fprintf(stderr,
				    "phoneauth: --locale takes a BCP 47 language tag such as es, "
				    "es-MX or id-ID (got '%s')\n",
				    optarg);
				return 2;
			}
			ctx.locale = optarg;
			break;
		case 'j':
			ctx.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("phoneauth %s\n", PHONEAUTH_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "phoneauth: libsodium failed to initialise\n");
		return 1;
	}
	if ((cmd = find_command(argv[optind])) == NULL) {
		fprintf(stderr, "phoneauth: unknown command '%s' (see phoneauth --help)\n",
		    argv[optind]);
		return 2;
	}
	optind++;
	return cmd->run(&ctx, json_anywhere(&ctx, argc - optind, argv + optind), argv + optind);
}
