/* store.c: the store modules' shared error answer. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "health.h"

const char *
auth_args_int(struct auth_args *a, int slot, long long v)
{
	(void) snprintf(a->num[slot], sizeof a->num[slot], "%lld", v);
	return a->num[slot];
}

void
auth_ring_params(const unsigned char (*hashes)[AUTH_MAC_BYTES], size_t n,
    const char *params[AUTH_RING_HASHES], int lengths[AUTH_RING_HASHES])
{
	for (size_t i = 0; i < AUTH_RING_HASHES; i++) {
		params[i]  = i < n ? (const char *) hashes[i] : NULL;
		lengths[i] = i < n ? AUTH_MAC_BYTES : PA_DB_TEXT;
	}
}

pa_err
auth_bearer_insert(struct pa_db *db, const struct pa_stmt *st,
    const unsigned char hash[AUTH_MAC_BYTES], const char *user_id, int ttl_s, const char *ip,
    const char *user_agent, int64_t *expires_at)
{
	char        ttl[16];
	const char *params[5]  = { (const char *) hash, user_id, ttl, ip, user_agent };
	const int   lengths[5] = { AUTH_MAC_BYTES, PA_DB_TEXT, PA_DB_TEXT, PA_DB_TEXT, PA_DB_TEXT };
	PGresult   *res;
	pa_err      rv;

	(void) snprintf(ttl, sizeof ttl, "%d", ttl_s);
	if ((rv = pa_db_exec_len(db, st, params, lengths, &res)) != PA_OK)
		return rv;
	*expires_at = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return PA_OK;
}

const struct pa_db_step auth_commit_step = { &pa_db_commit_step, NULL, NULL, NULL };

struct pa_rpc_result
auth_db_fail(struct auth_worker *w, struct pa_rpc_call *call, pa_err rv)
{
	pa_db_rollback(w->db);
	if (rv == PA_EUNAVAILABLE)
		auth_health_forget(w->app);
	if (rv == PA_EDB)
		pa_log_error("db_error", "method=%s request_id=%s sqlstate=%s",
		    pa_rpc_call_method(call), pa_rpc_call_request_id(call), pa_db_sqlstate(w->db));
	return pa_rpc_fail_err(rv);
}
