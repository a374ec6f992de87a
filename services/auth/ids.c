/* ids.c: UUID text forms, checked and made with libsodium's randomness. */
#include "ids.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

bool
auth_is_uuid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = (i == 8 || i == 13 || i == 18 || i == 23);

		if (dash ? s[i] != '-' : strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return false;
	}
	return true;
}

void
auth_uuid_new(char out[AUTH_UUID_LEN])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof b);
	b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	(void) snprintf(out, AUTH_UUID_LEN,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	    b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	    b[15]);
}
