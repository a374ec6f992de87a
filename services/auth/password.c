/* password.c: password rules and hashing for the account flows (they run on the slow pool). */
#include "password.h"

#include <string.h>

struct pa_rpc_result
auth_password_acceptable(struct auth_app *app, const char *pw, const char *confirm)
{
	const struct pa_policy *p   = &app->policy;
	size_t                  len = pw ? strlen(pw) : 0;

	if (confirm != NULL && (strlen(confirm) != len || sodium_memcmp(pw, confirm, len) != 0))
		return pa_rpc_fail(
		    CODE(INVALID_ARGUMENT), REASON(PASSWORD_MISMATCH), p->msg_password_mismatch);
	if (pa_policy_check_password(p, pw ? pw : "", len) != PA_PW_OK)
		return pa_rpc_fail(
		    CODE(INVALID_ARGUMENT), REASON(PASSWORD_POLICY), p->msg_password_policy);
	return pa_rpc_ok(NULL);
}

pa_err
auth_password_hash(struct auth_app *app, const char *pw, char out[crypto_pwhash_STRBYTES])
{
	return pa_password_hash(out, pw, strlen(pw), (unsigned long long) app->cfg.pwhash_ops,
	    (size_t) app->cfg.pwhash_mem_kib * 1024u);
}
