/* store_sessions.c: the SQL of sessions. Token hashes travel as raw bytes; a lookup passes one
 * hash per key of the ring (the unused parameters are NULL and match nothing). */
#include "store_sessions.h"

#include <stdio.h>
#include <stdlib.h>

#define HASHES                                                                          \
	"($1::bytea, $2::bytea, $3::bytea, $4::bytea, $5::bytea, $6::bytea, $7::bytea," \
	" $8::bytea)"

static const struct pa_stmt st_new
    = { "INSERT INTO sessions (token_hash, user_id, expires_at, end_user_ip, user_agent)"
	" VALUES ($1::bytea, $2::uuid, now() + make_interval(secs => $3::int), $4::inet, $5)"
	" RETURNING extract(epoch FROM expires_at)::bigint",
	      5 };
static const struct pa_stmt st_get
    = { "SELECT u.id::text, coalesce(u.phone_e164, ''), coalesce(u.email, ''),"
	" u.phone_verified_at IS NOT NULL, extract(epoch FROM s.expires_at)::bigint"
	" FROM sessions s JOIN users u ON u.id = s.user_id"
	" WHERE s.token_hash IN " HASHES " AND s.revoked_at IS NULL AND s.expires_at > now()",
	      8 };
static const struct pa_stmt st_revoke
    = { "UPDATE sessions SET revoked_at = now() WHERE token_hash IN " HASHES
	" AND revoked_at IS NULL RETURNING user_id::text",
	      8 };
static const struct pa_stmt st_revoke_user
    = { "UPDATE sessions SET revoked_at = now() WHERE user_id = $1::uuid AND revoked_at IS NULL",
	      1 };

enum { GET_USER, GET_PHONE, GET_EMAIL, GET_VERIFIED, GET_EXPIRES };

pa_err
auth_sessions_new(struct pa_db *db, const unsigned char hash[AUTH_MAC_BYTES], const char *user_id,
    int ttl_s, const char *ip, const char *user_agent, int64_t *expires_at)
{
	return auth_bearer_insert(db, &st_new, hash, user_id, ttl_s, ip, user_agent, expires_at);
}

pa_err
auth_sessions_get(struct pa_db *db, const unsigned char (*hashes)[AUTH_MAC_BYTES], size_t n,
    struct auth_session_user *out, bool *found)
{
	const char *params[8];
	int         lengths[8];
	PGresult   *res;
	pa_err      rv;

	auth_ring_params(hashes, n, params, lengths);
	if ((rv = pa_db_exec_len(db, &st_get, params, lengths, &res)) != PA_OK)
		return rv;
	if ((*found = PQntuples(res) > 0)) {
		(void) snprintf(
		    out->user_id, sizeof out->user_id, "%s", PQgetvalue(res, 0, GET_USER));
		(void) snprintf(out->phone, sizeof out->phone, "%s", PQgetvalue(res, 0, GET_PHONE));
		(void) snprintf(out->email, sizeof out->email, "%s", PQgetvalue(res, 0, GET_EMAIL));
		out->phone_verified = PQgetvalue(res, 0, GET_VERIFIED)[0] == 't';
		out->expires_at     = strtoll(PQgetvalue(res, 0, GET_EXPIRES), NULL, 10);
	}
	PQclear(res);
	return PA_OK;
}

pa_err
auth_sessions_revoke(struct pa_db *db, const unsigned char (*hashes)[AUTH_MAC_BYTES], size_t n,
    char user_id[AUTH_UUID_LEN], bool *found)
{
	const char *params[8];
	int         lengths[8];
	PGresult   *res;
	pa_err      rv;

	auth_ring_params(hashes, n, params, lengths);
	if ((rv = pa_db_exec_len(db, &st_revoke, params, lengths, &res)) != PA_OK)
		return rv;
	if ((*found = PQntuples(res) > 0))
		(void) snprintf(user_id, AUTH_UUID_LEN, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return PA_OK;
}

pa_err
auth_sessions_revoke_user(struct pa_db *db, const char *user_id)
{
	const char *params[1] = { user_id };

	return pa_db_exec(db, &st_revoke_user, params, NULL);
}
