/* ids.h: the UUIDs that name verifications and users in replies and rows. */
#ifndef PHONEAUTH_AUTH_IDS_H
#define PHONEAUTH_AUTH_IDS_H

#include <stdbool.h>

/* Room for a UUID's text form and its NUL. */
#define AUTH_UUID_LEN 37

/* True for the 36-character text form of a UUID. */
bool auth_is_uuid(const char *s);
/* A fresh random (version 4) UUID in text form. */
void auth_uuid_new(char out[AUTH_UUID_LEN]);

#endif
