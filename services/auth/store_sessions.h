/* store_sessions.h: the sessions table. A session is known only by its token's keyed hash; the
 * token itself is never stored. Lookups take the hash under every key of the ring, so rotating
 * PHONEAUTH_TOKEN_KEY keeps sessions alive. */
#ifndef PHONEAUTH_AUTH_STORE_SESSIONS_H
#define PHONEAUTH_AUTH_STORE_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/db.h"
#include "store_codes.h"

/* A new session for user_id; *expires_at is its end (unix seconds). */
pa_err auth_sessions_new(struct pa_db *db, const unsigned char hash[AUTH_MAC_BYTES],
    const char *user_id, int ttl_s, const char *ip, const char *user_agent,
    int64_t *expires_at) PA_MUSTCHECK;

/* A live session's user. */
struct auth_session_user {
	char    user_id[AUTH_UUID_LEN];
	char    phone[AUTH_PHONE_LEN];
	char    email[256];
	bool    phone_verified;
	int64_t expires_at;
};
/* hashes[0..n): the token's hash under each key of the ring. */
pa_err auth_sessions_get(struct pa_db *db, const unsigned char (*hashes)[AUTH_MAC_BYTES], size_t n,
    struct auth_session_user *out, bool *found) PA_MUSTCHECK;
/* Revokes the session; *found (and user_id) when a live one was revoked. */
pa_err auth_sessions_revoke(struct pa_db *db, const unsigned char (*hashes)[AUTH_MAC_BYTES],
    size_t n, char user_id[AUTH_UUID_LEN], bool *found) PA_MUSTCHECK;
/* Revokes every live session of user_id. */
pa_err auth_sessions_revoke_user(struct pa_db *db, const char *user_id) PA_MUSTCHECK;

#endif
