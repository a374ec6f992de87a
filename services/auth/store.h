/* store.h: what every store module shares. Each table group has one store module that owns its
 * SQL and hands out typed rows (store_codes: verifications and the outbox rows auth writes;
 * store_limits: rate_events; store_accounts: users and subscriptions; store_sessions: sessions;
 * store_workers: the SMS workers' heartbeats, read only; store_admin: the Admin views, read only;
 * audit.h: audit rows; store_auditchain: audit_checkpoints). Store functions return pa_err and run
 * in the caller's transaction (pa_db_begin); those that take `commit` end it in the same round
 * trip. */
#ifndef PHONEAUTH_AUTH_STORE_H
#define PHONEAUTH_AUTH_STORE_H

#include "auth.h"
#include "common/rpc.h"

/* The answer for a store error in a call: rolls back, logs an SQL error, forgets the good health
 * news when the database is gone, and returns UNAVAILABLE or INTERNAL. */
struct pa_rpc_result auth_db_fail(struct auth_worker *w, struct pa_rpc_call *call, pa_err rv);

/* A keyed hash of a code or a bearer token (BLAKE2b, 32 bytes). */
#define AUTH_MAC_BYTES 32
/* A bearer token (a session, a signup token, a remembered device) is looked up by its hash under
 * every key of the token ring: the statement takes this many hash parameters. */
#define AUTH_RING_HASHES 8

/* Fills params[0..AUTH_RING_HASHES) with the n hashes as binary parameters and the rest with
 * NULL, which matches nothing. */
void auth_ring_params(const unsigned char (*hashes)[AUTH_MAC_BYTES], size_t n,
    const char *params[AUTH_RING_HASHES], int lengths[AUTH_RING_HASHES]);

/* Inserts a bearer token's row with st, whose parameters are the token's hash, the user id, its
 * life in seconds, the end-user IP and user agent, and which returns its expiry (Unix seconds)
 * into *expires_at. */
pa_err auth_bearer_insert(struct pa_db *db, const struct pa_stmt *st,
    const unsigned char hash[AUTH_MAC_BYTES], const char *user_id, int ttl_s, const char *ip,
    const char *user_agent, int64_t *expires_at) PA_MUSTCHECK;

/* Storage for one store step's parameters while its batch runs: text values, raw byte lengths
 * (PA_DB_TEXT for text) and room for numbers printed as text. */
struct auth_args {
	const char *p[16];
	int         len[16];
	char        num[4][24];
};

/* Prints v into a->num[slot] and returns it. */
const char *auth_args_int(struct auth_args *a, int slot, long long v);

/* The COMMIT step of a batch. */
extern const struct pa_db_step auth_commit_step;

#endif
