/* ring.h: a bounded first-in first-out queue of fixed-size items in one array. No locking: the
 * owner's mutex guards it. It is the queue under pa_workq and under the SMS worker's pushed
 * outbox ids, whose owners differ only in how the consumer waits (a condition variable, or
 * libcurl's poll). */
#ifndef PHONEAUTH_COMMON_RING_H
#define PHONEAUTH_COMMON_RING_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct pa_ring {
	unsigned char *items;
	size_t         size; /* of one item */
	size_t         cap; /* items */
	size_t         head; /* index of the oldest */
	size_t         count; /* items queued */
};

/* Room for cap items of size bytes each (both > 0). */
pa_err pa_ring_init(struct pa_ring *r, size_t cap, size_t size) PA_MUSTCHECK;
/* Frees the array; safe on a zeroed ring. */
void pa_ring_fini(struct pa_ring *r);

/* Copies item in at the tail; false (and nothing copied) when full. */
bool pa_ring_push(struct pa_ring *r, const void *item);
/* Copies the oldest item out to item and drops it; false when empty. */
bool pa_ring_pop(struct pa_ring *r, void *item);

#endif
