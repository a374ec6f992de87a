/* err.c: text and names for pa_err, generated from PA_ERR_MAP. */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *
pa_strerror(pa_err err)
{
	switch (err) {
#define PA_ERR_TEXT(name, text) \
	case PA_##name:         \
		return text;
		PA_ERR_MAP(PA_ERR_TEXT)
#undef PA_ERR_TEXT
	case PA_ERR_COUNT:
		break;
	}
	return "unknown error";
}

const char *
pa_err_name(pa_err err)
{
	switch (err) {
#define PA_ERR_NAME(name, text) \
	case PA_##name:         \
		return #name;
		PA_ERR_MAP(PA_ERR_NAME)
#undef PA_ERR_NAME
	case PA_ERR_COUNT:
		break;
	}
	return "UNKNOWN";
}

void
pa_errf(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	(void) vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}
