/* flow_login.c: Login (Argon2, on the slow pool), ValidateSession and Logout. Session tokens are
 * random and stored only as keyed hashes. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "caller.h"
#include "common/crypto.h"
#include "common/log.h"
#include "flows.h"
#include "input.h"
#include "store.h"
#include "store_accounts.h"
#include "store_sessions.h"

/* A session for user_id after a right password: out gets the token (in the call's memory). */
static struct pa_rpc_result
login_ok(struct auth_worker *w, struct pa_rpc_call *call, const struct auth_login_user *u,
    Phoneauth__V1__LoginResponse *out)
{
	const Phoneauth__V1__CallerMetadata *caller = pa_rpc_call_caller(call);
	char                                 token[PA_TOKEN_LEN + 1];
	unsigned char                        hash[AUTH_MAC_BYTES];
	int64_t                              expires_at = 0;
	pa_err                               rv;

	if ((rv = pa_token_new(token)) != PA_OK)
		return auth_db_fail(w, call, rv);
	pa_token_hash(hash, &w->app->token_keys, token);
	out->session_token = pa_rpc_call_strdup(call, token);
	sodium_memzero(token, sizeof token);
	out->user_id = pa_rpc_call_strdup(call, u->id);
	if (out->session_token == NULL || out->user_id == NULL)
		return pa_rpc_fail_err(PA_ENOMEM);
	if ((rv = pa_db_begin(w->db)) != PA_OK
	    || (rv = auth_accounts_login_ok(w->db, u->id)) != PA_OK
	    || (rv = auth_sessions_new(w->db, hash, u->id, w->app->policy.session_ttl_s,
	            auth_caller_ip(call),
	            caller->user_agent && caller->user_agent[0] ? caller->user_agent : NULL,
	            &expires_at))
	        != PA_OK
	    || (rv = auth_audit_write(w->db,
	            &(struct auth_audit) { .event = "login",
	                .user_id                  = u->id,
	                .phone_e164               = u->phone,
	                .outcome                  = "ok",
	                .ip                       = auth_caller_ip(call) }))
	        != PA_OK
	    || (rv = pa_db_commit(w->db)) != PA_OK)
		return auth_db_fail(w, call, rv);
	out->expires_at_unix = expires_at;
	return pa_rpc_ok(NULL);
}

/* Audits a refused login; the refusal stands even when the row cannot be written. */
static struct pa_rpc_result
login_refused(struct auth_worker *w, struct pa_rpc_call *call, const struct auth_audit *a,
    struct pa_rpc_result r)
{
	if (a != NULL && auth_audit_write(w->db, a) != PA_OK)
		pa_log_warn("login_audit_failed", "sqlstate=%s", pa_db_sqlstate(w->db));
	return r;
}

struct pa_rpc_result
auth_login(struct pa_rpc_call *call, void *state, const void *in_, void *out)
{
	struct auth_worker                *w   = state;
	const struct pa_policy            *p   = &w->app->policy;
	const struct auth_config          *cfg = &w->app->cfg;
	const Phoneauth__V1__LoginRequest *in  = in_;
	const char                        *pw  = in->password ? in->password : "";
	const char                        *email;
	char                               phone[AUTH_PHONE_LEN];
	struct auth_login_user             u;
	struct pa_rpc_result               r;
	size_t                             len = strlen(pw);
	bool                               found, right = false;
	pa_err                             rv;

	auth_login_keys(w->app, in->login, phone, &email);
	if ((rv = auth_accounts_login_lookup(w->db, phone[0] ? phone : NULL, email, &u, &found))
	    != PA_OK)
		return auth_db_fail(w, call, rv);
	found = found && u.has_password && len <= (size_t) p->password_max_bytes;
	/* Unknown users and locked accounts cost the same Argon2 time as a real check. */
	if (found && u.locked_for_s == 0) {
		rv = pa_password_verify(u.password_hash, pw, len);
		if (rv == PA_ENOMEM)
			return auth_db_fail(w, call, rv);
		right = rv == PA_OK;
	} else {
		pa_password_burn(pw, len, (unsigned long long) cfg->pwhash_ops,
		    (size_t) cfg->pwhash_mem_kib * 1024u);
	}
	sodium_memzero(u.password_hash, sizeof u.password_hash);
	if (found && u.locked_for_s > 0) {
		r = pa_rpc_fail(
		    CODE(RESOURCE_EXHAUSTED), REASON(ACCOUNT_LOCKED), p->msg_login_locked);
		r.retry_after_s = (uint32_t) u.locked_for_s;
		return login_refused(w, call,
		    &(struct auth_audit) { .event = "login_refused",
		        .user_id                  = u.id,
		        .outcome                  = "locked",
		        .ip                       = auth_caller_ip(call) },
		    r);
	}
	if (!right) {
		if (found
		    && ((rv = pa_db_begin(w->db)) != PA_OK
		        || (rv = auth_accounts_login_failed(
		                w->db, u.id, p->login_max_failures, p->login_lock_s))
		            != PA_OK
		        || (rv = auth_audit_write(w->db,
		                &(struct auth_audit) { .event = "login_failed",
		                    .user_id                  = u.id,
		                    .outcome                  = "bad_password",
		                    .ip                       = auth_caller_ip(call) }))
		            != PA_OK
		        || (rv = pa_db_commit(w->db)) != PA_OK))
			return auth_db_fail(w, call, rv);
		return pa_rpc_fail(
		    CODE(UNAUTHENTICATED), REASON(BAD_CREDENTIALS), p->msg_login_invalid);
	}
	if (!u.verified)
		return pa_rpc_fail(
		    CODE(FAILED_PRECONDITION), REASON(NOT_VERIFIED), p->msg_login_not_verified);
	return login_ok(w, call, &u, out);
}

struct pa_rpc_result
auth_validate_session(struct pa_rpc_call *call, void *state, const void *in_, void *out_)
{
	struct auth_worker                          *w   = state;
	const Phoneauth__V1__ValidateSessionRequest *in  = in_;
	Phoneauth__V1__ValidateSessionResponse      *out = out_;
	struct auth_session_user                     s;
	unsigned char                                hash[AUTH_MAC_BYTES];
	char                                         masked[PA_PHONE_MASK_MAX];
	bool                                         found;
	pa_err                                       rv;

	pa_token_hash(hash, &w->app->token_keys, in->session_token ? in->session_token : "");
	if ((rv = auth_sessions_get(w->db, &hash, 1, &s, &found)) != PA_OK)
		return pa_rpc_fail_err(rv);
	if (!found)
		return pa_rpc_fail(CODE(UNAUTHENTICATED), REASON(SESSION_INVALID),
		    w->app->policy.msg_session_invalid);
	out->user_id         = pa_rpc_call_strdup(call, s.user_id);
	out->phone_masked    = pa_rpc_call_strdup(call, pa_phone_mask(s.phone, masked));
	out->email           = pa_rpc_call_strdup(call, s.email);
	out->phone_verified  = s.phone_verified;
	out->expires_at_unix = s.expires_at;
	if (out->user_id == NULL || out->phone_masked == NULL || out->email == NULL)
		return pa_rpc_fail_err(PA_ENOMEM);
	return pa_rpc_ok(NULL);
}

struct pa_rpc_result
auth_logout(struct pa_rpc_call *call, void *state, const void *in_, void *out)
{
	struct auth_worker                 *w  = state;
	const Phoneauth__V1__LogoutRequest *in = in_;
	unsigned char                       hash[AUTH_MAC_BYTES];
	char                                user_id[AUTH_UUID_LEN];
	bool                                found;
	pa_err                              rv;

	(void) out;
	pa_token_hash(hash, &w->app->token_keys, in->session_token ? in->session_token : "");
	if ((rv = pa_db_begin(w->db)) != PA_OK
	    || (rv = auth_sessions_revoke(w->db, &hash, 1, user_id, &found)) != PA_OK
	    || (found
	        && (rv = auth_audit_write(w->db,
	                &(struct auth_audit) { .event = "logout",
	                    .user_id                  = user_id,
	                    .outcome                  = "ok",
	                    .ip                       = auth_caller_ip(call) }))
	            != PA_OK)
	    || (rv = pa_db_commit(w->db)) != PA_OK)
		return auth_db_fail(w, call, rv);
	/* Logging out twice is not an error: the session is gone either way. */
	return pa_rpc_ok(NULL);
}
