/* rpc_gate.c: a small table of the keys with slow calls in the server. A linear scan is enough:
 * the table holds at most the global cap of entries (tens), and the scan runs under the same
 * mutex as the counters, which is what makes a key's check and its count one step. */
#include "rpc_gate.h"

#include <stdlib.h>
#include <string.h>

pa_err
rpc_gate_init(struct rpc_gate *g, unsigned per_key, unsigned max)
{
	*g = (struct rpc_gate) { .per_key = per_key, .max = max };
	if (max == 0)
		return PA_OK;
	if ((g->slots = calloc(max, sizeof *g->slots)) == NULL)
		return PA_ENOMEM;
	if (pthread_mutex_init(&g->mtx, NULL) != 0) {
		free(g->slots);
		g->slots = NULL;
		return PA_ENOMEM;
	}
	return PA_OK;
}

void
rpc_gate_fini(struct rpc_gate *g)
{
	if (g->slots == NULL)
		return;
	pthread_mutex_destroy(&g->mtx);
	free(g->slots);
	g->slots = NULL;
}

/* The slot of key, or NULL; *free_slot gets the first free one seen (when asked). */
static struct rpc_gate_slot *
gate_find(struct rpc_gate *g, const char *key, struct rpc_gate_slot **free_slot)
{
	for (unsigned i = 0; i < g->max; i++) {
		struct rpc_gate_slot *s = &g->slots[i];

		if (s->n == 0) {
			if (free_slot != NULL && *free_slot == NULL)
				*free_slot = s;
		} else if (strncmp(s->key, key, RPC_GATE_KEY_MAX - 1) == 0) {
			return s;
		}
	}
	return NULL;
}

enum rpc_gate_verdict
rpc_gate_enter(struct rpc_gate *g, const char *key)
{
	struct rpc_gate_slot *s, *free_slot = NULL;
	enum rpc_gate_verdict v = RPC_GATE_OK;

	if (g->slots == NULL)
		return RPC_GATE_OK;
	pthread_mutex_lock(&g->mtx);
	if (g->in_flight >= g->max) {
		v = RPC_GATE_FULL;
	} else if ((s = gate_find(g, key, &free_slot)) != NULL) {
		if (g->per_key > 0 && s->n >= g->per_key)
			v = RPC_GATE_KEY_FULL;
		else
			s->n++;
	} else {
		/* in_flight < max, so a free slot exists. */
		(void) strncpy(free_slot->key, key, RPC_GATE_KEY_MAX - 1);
		free_slot->key[RPC_GATE_KEY_MAX - 1] = '\0';
		free_slot->n                         = 1;
	}
	if (v == RPC_GATE_OK)
		g->in_flight++;
	pthread_mutex_unlock(&g->mtx);
	return v;
}

void
rpc_gate_leave(struct rpc_gate *g, const char *key)
{
	struct rpc_gate_slot *s;

	if (g->slots == NULL)
		return;
	pthread_mutex_lock(&g->mtx);
	if ((s = gate_find(g, key, NULL)) != NULL) {
		s->n--;
		g->in_flight--;
	}
	pthread_mutex_unlock(&g->mtx);
}
