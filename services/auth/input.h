/* input.h: what a person typed, as the flows accept it: phones (libphonenumber, this deployment's
 * region and countries), emails, and the "phone or email" of a login. Each check returns the
 * reply a refusal gets, with the profile's message. */
#ifndef PHONEAUTH_AUTH_INPUT_H
#define PHONEAUTH_AUTH_INPUT_H

#include <stdbool.h>

#include "auth.h"
#include "common/phone.h"
#include "common/rpc.h"

/* Parses and checks a phone; OK fills out, else INVALID_ARGUMENT with the reason and lang's
 * message (the profile in the caller's language). */
struct pa_rpc_result auth_phone_accept(
    struct auth_app *app, const struct pa_policy *lang, const char *input, struct pa_phone *out);

/* True for an email address the account flows accept: one '@' with text before it and a '.'
 * after it, at most 254 bytes, no spaces or control characters. */
bool auth_email_ok(const char *email);

/* The email as a code's identity, its ASCII letters lowercased so that one address typed in two
 * cases is one identity; out has room for 256 bytes. */
void auth_email_identity(const char *email, char out[256]);

/* The stand-in phone of an email that has no account, for a non-enumerating reset: "+999" (no
 * country's code) and 11 digits from a hash of the email's identity, the same every time, so
 * that its phantom verification has the cooldown, limits and tries a real one has. out has room
 * for 17 bytes. */
void auth_phantom_phone(const char *email, char out[17]);

/* "phone or email" from what a person typed: a phone is normalised into phone (E.164, "" when
 * none), anything with '@' is *email when the profile has emails. Unparseable input matches no
 * one. */
void auth_login_keys(struct auth_app *app, const char *login, char phone[17], const char **email);

#endif
