/* fuzz.h: what every fuzz target shares: the libFuzzer entry point (replay_main.c calls it in
 * builds without libFuzzer) and a check that turns a broken property into a crash. */
#ifndef PHONEAUTH_FUZZ_H
#define PHONEAUTH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs one input. Always returns 0 (libFuzzer reserves other values); aborts when a property
 * FUZZ_CHECK states does not hold, which libFuzzer and the replay ctest both report. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Crashes, naming the property, when cond is false: unlike assert() it survives NDEBUG. */
#define FUZZ_CHECK(cond)                                                                        \
	do {                                                                                    \
		if (!(cond)) {                                                                  \
			(void) fprintf(                                                         \
			    stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                \
		}                                                                               \
	} while (0)

/* A malloc'd NUL-terminated copy of data[0..size) (the targets' string inputs), or NULL when out
 * of memory. An embedded NUL simply ends the string early, as it would in a C caller. */
static inline char *
fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s != NULL) {
		if (size > 0)
			memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif
