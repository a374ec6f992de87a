/* engine.h: the send loop, and the worker it runs for. One thread owns the loop, this worker's
 * database connection and the HTTP transfers: it claims rows (pushed ids first, then the sweep)
 * through the store, opens their bodies, keeps up to PHONEAUTH_SEND_CONCURRENCY Twilio requests
 * in flight, records each answer while the lease holds, ends the rows the store hands back
 * unsendable (expired, cancelled, unreadable), heartbeats, asks Twilio about messages whose
 * final status never arrived, and reports verified codes' messages to Twilio's Feedback resource
 * (PHONEAUTH_TWILIO_FEEDBACK). */
#ifndef PHONEAUTH_SMSW_ENGINE_H
#define PHONEAUTH_SMSW_ENGINE_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/crypto.h"
#include "common/db.h"
#include "common/err.h"
#include "config.h"

/* The worker: what main() sets up and the send loop runs with. */
struct smsw {
	struct smsw_config cfg;
	struct pa_keyring  outbox_keys;
	struct pa_db      *db; /* the send loop's connection */
	char               id[96]; /* host:pid:random, the lease owner */
	char               host[64];
};

struct smsw_engine;

/* Sends through Twilio (or prints, with PHONEAUTH_SMS_BACKEND=console). w must outlive it. */
pa_err smsw_engine_new(struct smsw_engine **out, struct smsw *w) PA_MUSTCHECK;
/* Queues a pushed outbox id (any thread); a full queue drops it (the sweep finds it). */
void smsw_engine_push(struct smsw_engine *e, int64_t id);
/* Runs until *stop turns true, then finishes the requests in flight. */
void smsw_engine_run(struct smsw_engine *e, atomic_bool *stop);
/* Wakes the engine from its poll (after setting *stop); any thread. */
void smsw_engine_wakeup(struct smsw_engine *e);
void smsw_engine_free(struct smsw_engine *e);

#endif
