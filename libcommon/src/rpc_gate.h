/* rpc_gate.h (private to libcommon): admission to the slow pool. Counts the slow calls each
 * caller key (an end user's IP, as the service names it) has admitted and not yet answered, and
 * all of them together, so that one flooder cannot fill the slow pool's queue and every other
 * caller keeps a place. A key holds a slot only while it has a call in the server, so the table
 * never holds more than the global cap. Thread-safe: NNG's threads admit, workers release. */
#ifndef PHONEAUTH_COMMON_RPC_GATE_H
#define PHONEAUTH_COMMON_RPC_GATE_H

#include <pthread.h>
#include <stdbool.h>

#include "common/err.h"

#define RPC_GATE_KEY_MAX 64

struct rpc_gate_slot {
	char     key[RPC_GATE_KEY_MAX];
	unsigned n; /* 0: free */
};

struct rpc_gate {
	pthread_mutex_t       mtx;
	unsigned              per_key, max; /* 0 for either: off */
	unsigned              in_flight;
	struct rpc_gate_slot *slots; /* [max] */
};

enum rpc_gate_verdict {
	RPC_GATE_OK,
	RPC_GATE_KEY_FULL, /* the key has per_key calls in the server */
	RPC_GATE_FULL, /* max calls in the server */
};

/* A gate of per_key calls per key and max in all (both > 0), or an open one (max 0). */
pa_err rpc_gate_init(struct rpc_gate *g, unsigned per_key, unsigned max) PA_MUSTCHECK;
void   rpc_gate_fini(struct rpc_gate *g);

/* Admits one call of key (cut to RPC_GATE_KEY_MAX - 1 bytes); RPC_GATE_OK must be released. */
enum rpc_gate_verdict rpc_gate_enter(struct rpc_gate *g, const char *key);
/* The admitted call of key is answered. */
void rpc_gate_leave(struct rpc_gate *g, const char *key);

#endif
