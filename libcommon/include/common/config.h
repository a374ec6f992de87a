/* config.h: fills a struct from environment variables through a table (pgbouncer's CF_REL idea),
 * validating every value; one clear line names the first bad or missing variable. */
#ifndef PHONEAUTH_COMMON_CONFIG_H
#define PHONEAUTH_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/err.h"

enum pa_conf_type {
	PA_CONF_STR, /* char * (heap, owned by the struct; free with pa_conf_free) */
	PA_CONF_SECRET, /* char *, like STR, but printed only as set/missing and wiped on free */
	PA_CONF_INT, /* int, within [min, max] */
	PA_CONF_BOOL, /* bool: 1/0, true/false, yes/no, on/off */
	PA_CONF_DURATION, /* int seconds: "90", "90s", "10m", "2h", "1d", within [min, max] seconds
	                   */
};

enum pa_conf_flags {
	PA_CONF_REQUIRED = 1 << 0, /* unset (or empty) is an error */
};

struct pa_conf_item {
	const char       *env; /* variable name, e.g. "PHONEAUTH_RPC_URL" */
	enum pa_conf_type type;
	size_t            offset; /* offsetof() the field in the target struct */
	const char       *def; /* default text; NULL = leave the field as it is when unset */
	long              min, max;
	unsigned          flags;
	const char       *help; /* one line for --help and the README table */
};

/* Looks a variable up; getenv() fits. Returns NULL when unset. */
typedef const char *pa_getenv_fn(const char *name);

/* Applies each item to target: the variable's value, else its default, else nothing.
 * On failure writes one line to err naming the variable and what was expected, e.g.
 * "PHONEAUTH_RPC_WORKERS must be an integer from 1 to 256 (got \"abc\")", and returns PA_EINVAL;
 * fields set before the failure stay set (free them with pa_conf_free). Secret values never
 * appear in err. */
pa_err pa_conf_load(void *target, const struct pa_conf_item *items, size_t n,
    pa_getenv_fn *getenv_fn, char *err, size_t errsz) PA_MUSTCHECK;

/* Frees the strings the table owns in target (wiping secrets) and sets them to NULL. */
void pa_conf_free(void *target, const struct pa_conf_item *items, size_t n);

/* Parses "90", "90s", "10m", "2h" or "7d" into seconds; false for anything else (signs,
 * spaces, several units, overflow). */
bool pa_duration_parse(const char *s, long *seconds);

/* Prints "NAME=value" per item, secrets as "set"/"missing". */
void pa_conf_print(FILE *f, const void *target, const struct pa_conf_item *items, size_t n);

#endif
