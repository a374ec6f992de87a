/* store_devices.h: the remembered_devices table (migration 0016), the devices that may skip the
 * login second factor under PHONEAUTH_LOGIN_SECOND_FACTOR=new-device. As with sessions, a device
 * is known only by its token's keyed hash, and lookups take the hash under every key of the ring
 * so that rotating PHONEAUTH_TOKEN_KEY keeps remembered devices. */
#ifndef PHONEAUTH_AUTH_STORE_DEVICES_H
#define PHONEAUTH_AUTH_STORE_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/db.h"
#include "store_codes.h"

/* Remembers a device of user_id for ttl_s; *expires_at is its end (unix seconds). */
pa_err auth_devices_new(struct pa_db *db, const unsigned char hash[AUTH_MAC_BYTES],
    const char *user_id, int ttl_s, const char *ip, const char *user_agent,
    int64_t *expires_at) PA_MUSTCHECK;

/* *found when hashes[0..n) (a token's hash under each key of the ring) name a live device of
 * user_id; a device of another user, an expired one or an unknown token is not found. A found
 * device's last use is set to now. */
pa_err auth_devices_use(struct pa_db *db, const unsigned char (*hashes)[AUTH_MAC_BYTES], size_t n,
    const char *user_id, bool *found) PA_MUSTCHECK;

/* Forgets every device of user_id (a password reset). */
pa_err auth_devices_forget_user(struct pa_db *db, const char *user_id) PA_MUSTCHECK;

#endif
