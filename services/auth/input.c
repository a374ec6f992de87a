/* input.c: phones, emails and logins as the flows accept them. */
#include "input.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

struct pa_rpc_result
auth_phone_accept(
    struct auth_app *app, const struct pa_policy *lang, const char *input, struct pa_phone *out)
{
	enum pa_phone_verdict v;
	pa_reason             reason;
	const char           *msg;

	v = pa_phone_check(out, input, app->cfg.default_region, app->cfg.allowed_countries);
	switch (v) {
	case PA_PHONE_OK:
		return pa_rpc_ok(NULL);
	case PA_PHONE_NOT_MOBILE:
		reason = REASON(PHONE_NOT_MOBILE);
		msg    = pa_phone_verdict_text(v);
		break;
	case PA_PHONE_PREMIUM:
		reason = REASON(PHONE_PREMIUM);
		msg    = pa_phone_verdict_text(v);
		break;
	case PA_PHONE_COUNTRY_NOT_ALLOWED:
		reason = REASON(COUNTRY_NOT_ALLOWED);
		msg    = pa_phone_verdict_text(v);
		break;
	default:
		reason = REASON(INVALID_PHONE);
		msg    = lang->msg_invalid_phone;
		break;
	}
	return pa_rpc_fail(CODE(INVALID_ARGUMENT), reason, msg);
}

bool
auth_email_ok(const char *e)
{
	const char *at = e ? strchr(e, '@') : NULL;

	if (at == NULL || at == e || strchr(at + 1, '@') != NULL || at[1] == '\0' || strlen(e) > 254
	    || strchr(at + 1, '.') == NULL)
		return false;
	for (const char *p = e; *p; p++)
		if ((unsigned char) *p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

void
auth_email_identity(const char *email, char out[256])
{
	size_t i = 0;

	for (; email != NULL && email[i] != '\0' && i < 255; i++)
		out[i]
		    = email[i] >= 'A' && email[i] <= 'Z' ? (char) (email[i] - 'A' + 'a') : email[i];
	out[i] = '\0';
}

void
auth_phantom_phone(const char *email, char out[17])
{
	char          id[256];
	unsigned char h[8];
	uint64_t      v = 0;

	auth_email_identity(email, id);
	crypto_generichash(h, sizeof h, (const unsigned char *) id, strlen(id),
	    (const unsigned char *) "phantom phone", 13);
	for (size_t i = 0; i < sizeof h; i++)
		v = v << 8 | h[i];
	(void) snprintf(out, 17, "+999%011llu", (unsigned long long) (v % 100000000000ULL));
}

void
auth_login_keys(struct auth_app *app, const char *login, char phone[17], const char **email)
{
	struct pa_phone ph;

	phone[0] = '\0';
	*email   = NULL;
	if (login == NULL)
		return;
	if (strchr(login, '@') != NULL) {
		if (app->policy.identity == PA_IDENTITY_EMAIL_PHONE)
			*email = login;
		return;
	}
	if (pa_phone_check(&ph, login, app->cfg.default_region, app->cfg.allowed_countries)
	    == PA_PHONE_OK)
		(void) snprintf(phone, 17, "%s", ph.e164);
}
