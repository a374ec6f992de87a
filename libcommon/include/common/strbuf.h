/* strbuf.h: a growable text buffer for building replies (metrics pages, JSON, tables). */
#ifndef PHONEAUTH_COMMON_STRBUF_H
#define PHONEAUTH_COMMON_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

/* Zero-initialise ({0}) to use. An allocation failure sets oom and drops further writes, so
 * callers check once at the end instead of after every append. */
struct pa_strbuf {
	char  *data;
	size_t len;
	size_t cap;
	bool   oom;
	bool   secret; /* set before the first write: growth and free wipe the old bytes */
};

void pa_strbuf_printf(struct pa_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pa_strbuf_append(struct pa_strbuf *b, const char *s, size_t len);
/* Frees the buffer and zeroes it, so it can be reused. */
void pa_strbuf_free(struct pa_strbuf *b);

#endif
