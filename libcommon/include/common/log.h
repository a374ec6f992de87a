/* log.h: one logfmt line per event on stderr. Callers never pass codes, passwords, tokens or
 * secrets; phones only through pa_phone_mask() (phone.h). */
#ifndef PHONEAUTH_COMMON_LOG_H
#define PHONEAUTH_COMMON_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum pa_log_level { PA_LOG_DEBUG, PA_LOG_INFO, PA_LOG_WARN, PA_LOG_ERROR, PA_LOG_OFF };

/* Sets the lowest level written; safe from any thread. */
void pa_log_set_level(enum pa_log_level level);
/* Parses "debug|info|warn|error|off"; returns -1 for anything else. */
int  pa_log_level_parse(const char *s, enum pa_log_level *out);
bool pa_log_enabled(enum pa_log_level level);

/* Writes "time=... level=... event=EVENT <fmt...>\n" in one write(2), so lines from many
 * threads never interleave. fmt holds further key=value pairs; quote values with
 * pa_log_value() when they may contain spaces, quotes or '='. */
void pa_log_write(enum pa_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define PA_LOG_AT(lvl, event, ...)                             \
	do {                                                   \
		if (pa_log_enabled(lvl))                       \
			pa_log_write(lvl, event, __VA_ARGS__); \
	} while (0)
#define pa_log_debug(event, ...) PA_LOG_AT(PA_LOG_DEBUG, event, __VA_ARGS__)
#define pa_log_info(event, ...) PA_LOG_AT(PA_LOG_INFO, event, __VA_ARGS__)
#define pa_log_warn(event, ...) PA_LOG_AT(PA_LOG_WARN, event, __VA_ARGS__)
#define pa_log_error(event, ...) PA_LOG_AT(PA_LOG_ERROR, event, __VA_ARGS__)

/* Writes s into out as a logfmt value: unchanged when safe, else double-quoted with '"', '\\'
 * and control characters escaped; truncated to fit. Returns out. */
const char *pa_log_value(char *out, size_t outsz, const char *s);

#endif
