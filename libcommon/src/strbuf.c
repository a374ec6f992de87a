/* strbuf.c: a growable text buffer that records allocation failure instead of reporting it per
 * call. */
#include "common/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static bool
strbuf_reserve(struct pa_strbuf *b, size_t extra)
{
	size_t cap;
	char  *p;

	if (b->oom)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	if (b->secret) {
		/* realloc could leave the old bytes behind in freed memory. */
		if ((p = malloc(cap)) == NULL) {
			b->oom = true;
			return false;
		}
		if (b->data != NULL) {
			memcpy(p, b->data, b->len + 1);
			sodium_memzero(b->data, b->cap);
			free(b->data);
		}
	} else if ((p = realloc(b->data, cap)) == NULL) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap  = cap;
	return true;
}

void
pa_strbuf_append(struct pa_strbuf *b, const char *s, size_t len)
{
	if (!strbuf_reserve(b, len))
		return;
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
pa_strbuf_printf(struct pa_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int     n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !strbuf_reserve(b, (size_t) n))
		return;
	va_start(ap, fmt);
	(void) vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

void
pa_strbuf_free(struct pa_strbuf *b)
{
	bool secret = b->secret;

	if (secret && b->data != NULL)
		sodium_memzero(b->data, b->cap);
	free(b->data);
	*b = (struct pa_strbuf) { .secret = secret };
}
