/* password.c: password rules and hashing for the account flows (they run on the slow pool). Every
 * password is hashed and verified in its NFC form, so "e" + U+0301 and "é" are one password. */
#include "password.h"

#include <string.h>

/* Whether a and b are the same password: their NFC forms are equal, or (when either is not valid
 * UTF-8, which the rules refuse anyway) their bytes are. */
static pa_err
same_password(const char *a, const char *b, bool *same)
{
	char  *na = NULL, *nb = NULL;
	size_t la = 0, lb = 0;
	pa_err ra, rb;

	ra = pa_policy_password_nfc(a, strlen(a), &na, &la);
	rb = ra == PA_ENOMEM ? PA_ENOMEM : pa_policy_password_nfc(b, strlen(b), &nb, &lb);
	if (ra == PA_ENOMEM || rb == PA_ENOMEM) {
		pa_policy_password_nfc_free(na, la);
		pa_policy_password_nfc_free(nb, lb);
		return PA_ENOMEM;
	}
	if (ra == PA_OK && rb == PA_OK)
		*same = la == lb && sodium_memcmp(na, nb, la) == 0;
	else
		*same = strlen(a) == strlen(b) && sodium_memcmp(a, b, strlen(a)) == 0;
	pa_policy_password_nfc_free(na, la);
	pa_policy_password_nfc_free(nb, lb);
	return PA_OK;
}

struct pa_rpc_result
auth_password_acceptable(const struct pa_policy *p, const char *pw, const char *confirm)
{
	bool same = true;

	if (pw == NULL)
		pw = "";
	if (confirm != NULL && same_password(pw, confirm, &same) != PA_OK)
		return pa_rpc_fail_err(PA_ENOMEM);
	if (!same)
		return pa_rpc_fail(
		    CODE(INVALID_ARGUMENT), REASON(PASSWORD_MISMATCH), p->msg_password_mismatch);
	switch (pa_policy_check_password(p, pw, strlen(pw))) {
	case PA_PW_OK:
		return pa_rpc_ok(NULL);
	case PA_PW_NOMEM:
		return pa_rpc_fail_err(PA_ENOMEM);
	case PA_PW_TOO_SHORT:
	case PA_PW_TOO_LONG:
	case PA_PW_NEED_UPPER:
	case PA_PW_NEED_DIGIT:
	case PA_PW_NEED_SPECIAL:
	case PA_PW_INVALID:
		break;
	}
	return pa_rpc_fail(CODE(INVALID_ARGUMENT), REASON(PASSWORD_POLICY), p->msg_password_policy);
}

pa_err
auth_password_hash(struct auth_app *app, const char *pw, char out[crypto_pwhash_STRBYTES])
{
	char  *nfc;
	size_t len;
	pa_err rv;

	if ((rv = pa_policy_password_nfc(pw, strlen(pw), &nfc, &len)) != PA_OK)
		return rv;
	rv = pa_password_hash(out, nfc, len, (unsigned long long) app->cfg.pwhash_ops,
	    (size_t) app->cfg.pwhash_mem_kib * 1024u);
	pa_policy_password_nfc_free(nfc, len);
	return rv;
}

pa_err
auth_password_verify(struct auth_app *app, const char *hash, const char *pw)
{
	const unsigned long long ops    = (unsigned long long) app->cfg.pwhash_ops;
	const size_t             mem    = (size_t) app->cfg.pwhash_mem_kib * 1024u;
	const size_t             max    = (size_t) app->policy.password_max_len;
	size_t                   rawlen = strlen(pw), len = 0;
	char                    *nfc = NULL;
	bool                     usable;
	pa_err                   rv;

	rv = rawlen / PA_PW_MAX_BYTES_PER_CHAR > max
	    ? PA_EINVAL
	    : pa_policy_password_nfc(pw, rawlen, &nfc, &len);
	if (rv == PA_ENOMEM)
		return rv;
	/* A password no account can have: not UTF-8, or longer than the rules allow. */
	usable = rv == PA_OK && pa_policy_password_chars(nfc, len) <= max;
	if (usable && hash != NULL) {
		rv = pa_password_verify(hash, nfc, len);
	} else {
		/* Unknown users and impossible passwords cost what a real check costs. */
		if (nfc != NULL)
			pa_password_burn(nfc, len, ops, mem);
		else
			pa_password_burn(pw, rawlen, ops, mem);
		rv = PA_EINVAL;
	}
	pa_policy_password_nfc_free(nfc, len);
	return rv;
}
