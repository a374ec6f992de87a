/* log.c: logfmt lines on stderr, one write(2) each, and the phone mask used in logs and replies. */
#include "common/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = PA_LOG_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error", "off" };

void
pa_log_set_level(enum pa_log_level level)
{
	atomic_store(&log_level, (int) level);
}

int
pa_log_level_parse(const char *s, enum pa_log_level *out)
{
	for (int i = 0; i <= PA_LOG_OFF; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum pa_log_level) i;
			return 0;
		}
	}
	return -1;
}

bool
pa_log_enabled(enum pa_log_level level)
{
	return level != PA_LOG_OFF && (int) level >= atomic_load(&log_level);
}

void
pa_log_write(enum pa_log_level level, const char *event, const char *fmt, ...)
{
	char            line[2048];
	struct timespec ts;
	struct tm       tm;
	size_t          n;
	int             rv;
	va_list         ap;

	(void) clock_gettime(CLOCK_REALTIME, &ts);
	(void) gmtime_r(&ts.tv_sec, &tm);
	n  = strftime(line, sizeof line, "time=%Y-%m-%dT%H:%M:%S", &tm);
	rv = snprintf(line + n, sizeof line - n, ".%03ldZ level=%s event=%s ",
	    ts.tv_nsec / 1000000L, level_names[level], event);
	if (rv < 0)
		return;
	n += (size_t) rv;
	va_start(ap, fmt);
	rv = vsnprintf(line + n, sizeof line - n, fmt, ap);
	va_end(ap);
	if (rv < 0)
		return;
	n += (size_t) rv;
	/* A line cut short still ends in a newline, so the next one starts clean. */
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	while (n > 0 && line[n - 1] == ' ')
		n--;
	line[n++] = '\n';
	(void) !write(STDERR_FILENO, line, n);
}

const char *
pa_log_value(char *out, size_t outsz, const char *s)
{
	size_t o     = 0;
	bool   quote = (*s == '\0');

	if (outsz < 3) {
		if (outsz > 0)
			out[0] = '\0';
		return out;
	}
	for (const char *p = s; *p && !quote; p++)
		quote = (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f);
	if (!quote) {
		(void) snprintf(out, outsz, "%s", s);
		return out;
	}
	out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
		char esc[8];
		int  len;

		if (*p == '"' || *p == '\\')
			len = snprintf(esc, sizeof esc, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			len = snprintf(esc, sizeof esc, "\\x%02x", *p);
		else
			len = snprintf(esc, sizeof esc, "%c", *p);
		if (o + (size_t) len + 2 > outsz)
			break;
		memcpy(out + o, esc, (size_t) len);
		o += (size_t) len;
	}
	out[o++] = '"';
	out[o]   = '\0';
	return out;
}
