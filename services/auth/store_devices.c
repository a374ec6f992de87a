/* store_devices.c: the SQL of remembered_devices. Token hashes travel as raw bytes; a lookup
 * passes one hash per key of the ring (the unused parameters are NULL and match nothing). */
#include "store_devices.h"

#include <stdio.h>
#include <stdlib.h>

#define HASHES                                                                          \
	"($1::bytea, $2::bytea, $3::bytea, $4::bytea, $5::bytea, $6::bytea, $7::bytea," \
	" $8::bytea)"

static const struct pa_stmt st_new
    = { "INSERT INTO remembered_devices (token_hash, user_id, expires_at, end_user_ip,"
	" user_agent) VALUES ($1::bytea, $2::uuid, now() + make_interval(secs => $3::int),"
	" $4::inet, $5) RETURNING extract(epoch FROM expires_at)::bigint",
	      5 };
/* The user is part of the match: another user's token must not skip this user's code. */
static const struct pa_stmt st_use
    = { "UPDATE remembered_devices SET last_used_at = now() WHERE token_hash IN " HASHES
	" AND user_id = $9::uuid AND expires_at > now() RETURNING id",
	      9 };
static const struct pa_stmt st_forget_user
    = { "DELETE FROM remembered_devices WHERE user_id = $1::uuid", 1 };

pa_err
auth_devices_new(struct pa_db *db, const unsigned char hash[AUTH_MAC_BYTES], const char *user_id,
    int ttl_s, const char *ip, const char *user_agent, int64_t *expires_at)
{
	return auth_bearer_insert(db, &st_new, hash, user_id, ttl_s, ip, user_agent, expires_at);
}

pa_err
auth_devices_use(struct pa_db *db, const unsigned char (*hashes)[AUTH_MAC_BYTES], size_t n,
    const char *user_id, bool *found)
{
	const char *params[9];
	int         lengths[9];
	PGresult   *res;
	pa_err      rv;

	*found = false;
	auth_ring_params(hashes, n, params, lengths);
	params[8]  = user_id;
	lengths[8] = PA_DB_TEXT;
	if ((rv = pa_db_exec_len(db, &st_use, params, lengths, &res)) != PA_OK)
		return rv;
	*found = PQntuples(res) > 0;
	PQclear(res);
	return PA_OK;
}

pa_err
auth_devices_forget_user(struct pa_db *db, const char *user_id)
{
	const char *params[1] = { user_id };

	return pa_db_exec(db, &st_forget_user, params, NULL);
}
