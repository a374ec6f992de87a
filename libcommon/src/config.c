/* config.c: applies a pa_conf_item table to a struct: one parser per value type, one error line
 * naming the variable; secret values never leave the struct except through pa_conf_free's wipe. */
#include "common/config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

/* How much of a rejected value an error line quotes. */
#define CONF_QUOTE_MAX 64

/* Copies s into out for an error line: '"', '\\' and non-printable bytes escaped, cut at
 * CONF_QUOTE_MAX bytes with "..." so a huge or binary value cannot flood a log line. */
static void
conf_quote(char *out, size_t outsz, const char *s)
{
	size_t o = 0;
	size_t i;

	for (i = 0; s[i] != '\0' && i < CONF_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char) s[i];
		char          tmp[5];
		size_t        k;

		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char) c;
			tmp[2] = '\0';
		} else if (c < 0x20 || c >= 0x7f) {
			(void) snprintf(tmp, sizeof tmp, "\\x%02x", c);
		} else {
			tmp[0] = (char) c;
			tmp[1] = '\0';
		}
		k = strlen(tmp);
		if (o + k + 4 > outsz)
			break;
		memcpy(out + o, tmp, k);
		o += k;
	}
	if (s[i] != '\0' && o + 4 <= outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static bool
conf_is_string(enum pa_conf_type type)
{
	return type == PA_CONF_STR || type == PA_CONF_SECRET;
}

/* Replaces the string at field, freeing (and for secrets wiping) the old one. */
static pa_err
conf_set_string(char **field, const char *value, enum pa_conf_type type)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return PA_ENOMEM;
	if (*field != NULL) {
		if (type == PA_CONF_SECRET)
			sodium_memzero(*field, strlen(*field));
		free(*field);
	}
	*field = copy;
	return PA_OK;
}

/* Parses an unsigned decimal number with nothing else around it (no sign, no space). */
static bool
conf_parse_digits(const char *s, const char **end, long *out)
{
	long v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (LONG_MAX - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	*end = s;
	*out = v;
	return true;
}

static bool
conf_parse_int(const char *s, long *out)
{
	const char *end;
	long        v;
	bool        neg = false;

	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (!conf_parse_digits(s, &end, &v) || *end != '\0')
		return false;
	*out = neg ? -v : v;
	return true;
}

bool
pa_duration_parse(const char *s, long *out)
{
	const char *end;
	long        v;
	long        unit;

	if (!conf_parse_digits(s, &end, &v))
		return false;
	switch (*end) {
	case '\0':
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	default:
		return false;
	}
	if (*end != '\0' && end[1] != '\0')
		return false;
	if (v > LONG_MAX / unit)
		return false;
	*out = v * unit;
	return true;
}

static bool
conf_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[]  = { "0", "false", "no", "off" };

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* Applies value (from the environment, or the item's default when from_default) to one field.
 * A bad default is a bug in the table, so it is reported as PA_EINTERNAL. */
static pa_err
conf_apply(void *target, const struct pa_conf_item *it, const char *value, bool from_default,
    char *err, size_t errsz)
{
	char  *field = (char *) target + it->offset;
	char   got[CONF_QUOTE_MAX * 4 + 4];
	pa_err bad = from_default ? PA_EINTERNAL : PA_EINVAL;
	long   lv;
	bool   bv;
	pa_err rv;

	switch (it->type) {
	case PA_CONF_STR:
	case PA_CONF_SECRET:
		rv = conf_set_string((char **) (void *) field, value, it->type);
		if (rv != PA_OK)
			pa_errf(err, errsz, "%s: out of memory", it->env);
		return rv;
	case PA_CONF_INT:
		if (!conf_parse_int(value, &lv) || lv < it->min || lv > it->max || lv < INT_MIN
		    || lv > INT_MAX) {
			conf_quote(got, sizeof got, value);
			pa_errf(err, errsz, "%s must be an integer from %ld to %ld (got \"%s\"%s)",
			    it->env, it->min, it->max, got, from_default ? ", the default" : "");
			return bad;
		}
		*(int *) (void *) field = (int) lv;
		return PA_OK;
	case PA_CONF_DURATION:
		if (!pa_duration_parse(value, &lv) || lv < it->min || lv > it->max
		    || lv > INT_MAX) {
			conf_quote(got, sizeof got, value);
			pa_errf(err, errsz,
			    "%s must be a duration from %ld to %ld seconds, written like 90, 90s, "
			    "10m "
			    "or 2h (got \"%s\"%s)",
			    it->env, it->min, it->max, got, from_default ? ", the default" : "");
			return bad;
		}
		*(int *) (void *) field = (int) lv;
		return PA_OK;
	case PA_CONF_BOOL:
		if (!conf_parse_bool(value, &bv)) {
			conf_quote(got, sizeof got, value);
			pa_errf(err, errsz,
			    "%s must be a boolean: 1/0, true/false, yes/no or on/off (got "
			    "\"%s\"%s)",
			    it->env, got, from_default ? ", the default" : "");
			return bad;
		}
		*(bool *) (void *) field = bv;
		return PA_OK;
	}
	pa_errf(err, errsz, "%s: unknown config type %d", it->env, (int) it->type);
	return PA_EINTERNAL;
}

pa_err
pa_conf_load(void *target, const struct pa_conf_item *items, size_t n, pa_getenv_fn *getenv_fn,
    char *err, size_t errsz)
{
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct pa_conf_item *it    = &items[i];
		const char                *value = getenv_fn(it->env);
		pa_err                     rv;

		/* An empty variable counts as unset: "FOO= cmd" must not clear a setting. */
		if (value != NULL && value[0] == '\0')
			value = NULL;
		if (value != NULL) {
			rv = conf_apply(target, it, value, false, err, errsz);
		} else if ((it->flags & PA_CONF_REQUIRED) != 0) {
			pa_errf(err, errsz, "%s is required but not set", it->env);
			rv = PA_EINVAL;
		} else if (it->def != NULL) {
			rv = conf_apply(target, it, it->def, true, err, errsz);
		} else {
			rv = PA_OK;
		}
		if (rv != PA_OK)
			return rv;
	}
	return PA_OK;
}

void
pa_conf_free(void *target, const struct pa_conf_item *items, size_t n)
{
	if (target == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		char **field;

		if (!conf_is_string(items[i].type))
			continue;
		field = (char **) (void *) ((char *) target + items[i].offset);
		if (*field == NULL)
			continue;
		if (items[i].type == PA_CONF_SECRET)
			sodium_memzero(*field, strlen(*field));
		free(*field);
		*field = NULL;
	}
}

/* Writes s with C-style escapes so one item stays on one line ("\n" in an SMS template). */
static void
conf_print_escaped(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char) *s;

		if (c == '\\')
			(void) fputs("\\\\", f);
		else if (c == '\n')
			(void) fputs("\\n", f);
		else if (c == '\t')
			(void) fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			(void) fprintf(f, "\\x%02x", c);
		else
			(void) fputc(c, f);
	}
}

void
pa_conf_print(FILE *f, const void *target, const struct pa_conf_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct pa_conf_item *it    = &items[i];
		const char                *field = (const char *) target + it->offset;
		const char                *s;

		(void) fprintf(f, "%s=", it->env);
		switch (it->type) {
		case PA_CONF_STR:
			s = *(char *const *) (const void *) field;
			if (s != NULL)
				conf_print_escaped(f, s);
			break;
		case PA_CONF_SECRET:
			s = *(char *const *) (const void *) field;
			(void) fputs(s != NULL && s[0] != '\0' ? "set" : "missing", f);
			break;
		case PA_CONF_INT:
			(void) fprintf(f, "%d", *(const int *) (const void *) field);
			break;
		case PA_CONF_DURATION:
			(void) fprintf(f, "%ds", *(const int *) (const void *) field);
			break;
		case PA_CONF_BOOL:
			(void) fputs(*(const bool *) (const void *) field ? "true" : "false", f);
			break;
		}
		(void) fputc('\n', f);
	}
}
