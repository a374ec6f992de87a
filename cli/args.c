/* args.c: the one parser for a command's arguments, driven by each command's table of options;
 * every usage error is a line naming the argument, then the synopsis. */
#include <stdio.h>
#include <string.h>

#include "args.h"

static int
usage_error(const char *synopsis, const char *why, const char *arg)
{
	if (arg != NULL)
		fprintf(stderr, "phoneauth: %s '%s'\n", why, arg);
	else
		fprintf(stderr, "phoneauth: %s\n", why);
	fprintf(stderr, "usage: phoneauth %s\n", synopsis);
	return 2;
}

/* Matches argv[*i] against the options, consuming a value; 1 = matched, 0 = not an option, -1 =
 * its value is missing. */
static int
match_opt(const struct cli_args *a, int argc, char **argv, int *i)
{
	for (const struct cli_opt *o = a->opts; o != NULL && o->name != NULL; o++) {
		size_t n = strlen(o->name);

		if (strncmp(argv[*i], o->name, n) != 0)
			continue;
		if (o->on != NULL && argv[*i][n] == '\0') {
			*o->on = true;
			return 1;
		}
		if (o->value == NULL)
			continue;
		if (argv[*i][n] == '=' && !a->strict) {
			*o->value = argv[*i] + n + 1;
			return 1;
		}
		if (argv[*i][n] != '\0')
			continue;
		if (*i + 1 >= argc)
			return -1;
		*o->value = argv[++*i];
		return 1;
	}
	return 0;
}

int
cli_args_parse(const struct cli_args *a, int argc, char **argv)
{
	bool options = true;
	int  n       = 0;

	for (int i = 0; i < a->npos; i++)
		a->pos[i] = NULL;
	for (int i = 0; i < argc; i++) {
		int m = options ? match_opt(a, argc, argv, &i) : 0;

		/* The admin commands always called an option without its value unexpected. */
		if (m < 0)
			return usage_error(a->synopsis,
			    a->strict ? "unexpected argument" : "missing value for", argv[i]);
		if (m > 0)
			continue;
		if (a->strict && argv[i][0] == '-')
			return usage_error(a->synopsis, "unexpected argument", argv[i]);
		if (options && !a->strict && strcmp(argv[i], "--") == 0) {
			options = false;
		} else if (options && !a->strict
		    && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
			printf("usage: phoneauth %s\n", a->synopsis);
			return 0;
		} else if (n == a->npos) {
			return usage_error(a->synopsis, "unexpected argument", argv[i]);
		} else {
			a->pos[n++] = argv[i];
		}
	}
	if (n < a->nreq)
		return usage_error(a->synopsis, "missing arguments", NULL);
	return CLI_ARGS_RUN;
}
