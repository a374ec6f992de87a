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
#include "password.h"
#include "store.h"
#include "store_accounts.h"
#include "store_limits.h"
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

/* The subjects a login attempt is counted under: (login, IP) and IP. The login is hashed (rate
 * events keep no emails) over what it names: the E.164 phone, the lowercased email, or the text
 * as typed. */
struct login_keys {
	char login_ip[2 * 16 + 1 + AUTH_IP_KEY_MAX];
	char ip[AUTH_IP_KEY_MAX];
};

static void
login_keys(struct auth_worker *w, struct pa_rpc_call *call, const char *login, const char *phone,
    const char *email, struct login_keys *k)
{
	unsigned char h[16];
	char          id[256], hex[2 * sizeof h + 1];

	if (phone[0] != '\0')
		(void) snprintf(id, sizeof id, "%s", phone);
	else if (email != NULL)
		auth_email_identity(email, id);
	else
		(void) snprintf(id, sizeof id, "%s", login != NULL ? login : "");
	crypto_generichash(h, sizeof h, (const unsigned char *) id, strlen(id), NULL, 0);
	(void) sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	(void) auth_caller_ip_key(w->app, call, k->ip);
	(void) snprintf(k->login_ip, sizeof k->login_ip, "%s|%s", hex, k->ip);
	sodium_memzero(id, sizeof id);
}

/* Takes one attempt from the (login, IP) and IP failure limits before any Argon2 run, so that
 * concurrent guesses cannot overshoot them (each take is serialised in the database) and a
 * refusal costs no hash. The attempt counts as a failure until a right password gives it back.
 * Only the failing IP is refused: the owner elsewhere still logs in. An unknown login is counted
 * like a real one where the profile must not tell them apart. */
static struct pa_rpc_result
login_throttle(
    struct auth_worker *w, struct pa_rpc_call *call, const struct login_keys *k, bool count_login)
{
	const struct pa_policy *p    = &w->app->policy;
	const struct auth_limit l[2] = {
		{ "login_fail", count_login ? k->login_ip : NULL, p->login_lock_s,
		    p->login_max_failures },
		{ "login_fail_ip", k->ip, 3600, p->login_failures_per_ip_hour },
	};
	struct pa_rpc_result r;
	size_t               which;
	int                  wait;
	pa_err               rv;

	if ((rv = auth_limits_take(w->db, l, 2, &which, &wait)) != PA_OK)
		return auth_db_fail(w, call, rv);
	if (which == 2)
		return pa_rpc_ok(NULL);
	r               = which == 0
	                  ? pa_rpc_fail(CODE(RESOURCE_EXHAUSTED), REASON(ACCOUNT_LOCKED), p->msg_login_locked)
	                  : pa_rpc_fail(CODE(RESOURCE_EXHAUSTED), REASON(IP_LIMIT), p->msg_rate_limited_ip);
	r.retry_after_s = (uint32_t) wait;
	return r;
}

/* A right password: the attempt it took is given back and its (login, IP) starts afresh. */
static pa_err
login_forgive(struct auth_worker *w, const struct login_keys *k)
{
	pa_err rv;

	if ((rv = auth_limits_clear(w->db, "login_fail", k->login_ip)) != PA_OK)
		return rv;
	return auth_limits_give_back(w->db, "login_fail_ip", k->ip);
}

struct pa_rpc_result
auth_login(struct pa_rpc_call *call, void *state, const void *in_, void *out)
{
	struct auth_worker                *w  = state;
	const struct pa_policy            *p  = &w->app->policy;
	const Phoneauth__V1__LoginRequest *in = in_;
	const char                        *pw = in->password ? in->password : "";
	const char                        *email;
	char                               phone[AUTH_PHONE_LEN];
	struct auth_login_user             u;
	struct login_keys                  keys;
	struct pa_rpc_result               r;
	bool                               found, right = false;
	pa_err                             rv;

	auth_login_keys(w->app, in->login, phone, &email);
	if ((rv = auth_accounts_login_lookup(w->db, phone[0] ? phone : NULL, email, &u, &found))
	    != PA_OK)
		return auth_db_fail(w, call, rv);
	login_keys(w, call, in->login, phone, email, &keys);
	r = login_throttle(w, call, &keys, found || p->non_enumerating);
	if (r.code != CODE(OK)) {
		sodium_memzero(u.password_hash, sizeof u.password_hash);
		/* An unknown login is audited too where the profile must not tell them apart, so
		 * both cost the same round trip. */
		return login_refused(w, call,
		    found || p->non_enumerating ? &(struct auth_audit) { .event = "login_refused",
		        .user_id = found ? u.id : NULL,
		        .outcome = r.reason == REASON(ACCOUNT_LOCKED) ? "locked" : "ip_limit",
		        .ip      = auth_caller_ip(call) }
		                                : NULL,
		    r);
	}
	found = found && u.has_password;
	/* NFC, the character cap and, for unknown users, the same Argon2 time as a real check. */
	rv = auth_password_verify(w->app, found ? u.password_hash : NULL, pw);
	if (rv == PA_ENOMEM) {
		sodium_memzero(u.password_hash, sizeof u.password_hash);
		return auth_db_fail(w, call, rv);
	}
	right = found && rv == PA_OK;
	sodium_memzero(u.password_hash, sizeof u.password_hash);
	/* Where logins must not tell who exists, an unverified registration logs nobody in and says
	 * nothing: "verify first" would tell that the email was free when it was registered. */
	if (right && !u.verified && p->non_enumerating)
		right = false;
	if (!right) {
		if ((found || p->non_enumerating)
		    && auth_audit_write(w->db,
		           &(struct auth_audit) { .event = "login_failed",
		               .user_id                  = found ? u.id : NULL,
		               .outcome                  = "bad_password",
		               .ip                       = auth_caller_ip(call) })
		        != PA_OK)
			pa_log_warn("login_audit_failed", "sqlstate=%s", pa_db_sqlstate(w->db));
		return pa_rpc_fail(
		    CODE(UNAUTHENTICATED), REASON(BAD_CREDENTIALS), p->msg_login_invalid);
	}
	if ((rv = login_forgive(w, &keys)) != PA_OK)
		return auth_db_fail(w, call, rv);
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
	unsigned char                                hashes[PA_KEYRING_MAX][AUTH_MAC_BYTES];
	char                                         masked[PA_PHONE_MASK_MAX];
	size_t                                       n;
	bool                                         found;
	pa_err                                       rv;

	n = pa_token_hashes(
	    hashes, &w->app->token_keys, in->session_token ? in->session_token : "");
	if ((rv = auth_sessions_get(w->db, hashes, n, &s, &found)) != PA_OK)
		return pa_rpc_fail_err(rv);
	if (!found)
		return pa_rpc_fail(CODE(UNAUTHENTICATED), REASON(SESSION_INVALID),
		    w->app->policy.msg_session_invalid);
	out->user_id      = pa_rpc_call_strdup(call, s.user_id);
	out->phone_masked = pa_rpc_call_strdup(
	    call, pa_phone_mask_styled(s.phone, w->app->policy.phone_mask, masked));
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
	unsigned char                       hashes[PA_KEYRING_MAX][AUTH_MAC_BYTES];
	char                                user_id[AUTH_UUID_LEN];
	size_t                              n;
	bool                                found;
	pa_err                              rv;

	(void) out;
	n = pa_token_hashes(
	    hashes, &w->app->token_keys, in->session_token ? in->session_token : "");
	if ((rv = pa_db_begin(w->db)) != PA_OK
	    || (rv = auth_sessions_revoke(w->db, hashes, n, user_id, &found)) != PA_OK
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
