/* ring.c: a bounded FIFO over one array; the caller locks. */
#include "common/ring.h"

#include <stdlib.h>
#include <string.h>

pa_err
pa_ring_init(struct pa_ring *r, size_t cap, size_t size)
{
	*r = (struct pa_ring) { 0 };
	if (cap == 0 || size == 0)
		return PA_EINVAL;
	if ((r->items = calloc(cap, size)) == NULL)
		return PA_ENOMEM;
	r->cap  = cap;
	r->size = size;
	return PA_OK;
}

void
pa_ring_fini(struct pa_ring *r)
{
	free(r->items);
	*r = (struct pa_ring) { 0 };
}

bool
pa_ring_push(struct pa_ring *r, const void *item)
{
	if (r->count == r->cap)
		return false;
	memcpy(r->items + ((r->head + r->count) % r->cap) * r->size, item, r->size);
	r->count++;
	return true;
}

bool
pa_ring_pop(struct pa_ring *r, void *item)
{
	if (r->count == 0)
		return false;
	memcpy(item, r->items + r->head * r->size, r->size);
	r->head = (r->head + 1) % r->cap;
	r->count--;
	return true;
}
