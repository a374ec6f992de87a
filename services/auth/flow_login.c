/* flow_login.c: Login (Argon2, on the slow pool) with its second factor (a login code unless the
 * profile is off, or under new-device the request shows a remembered device), the session a right
 * login code then gets (auth_login_code_verified, for VerifyCode), ValidateSession and Logout.
 * Session and device tokens are random and stored only as keyed hashes. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "caller.h"
#include "code.h"
#include "common/crypto.h"
#include "common/log.h"
#include "flows.h"
#include "health.h"
#include "input.h"
#include "password.h"
#include "store.h"
#include "store_accounts.h"
#include "store_devices.h"
#include "store_limits.h"
#include "store_sessions.h"

/* What a login grants, in the call's memory: a session and, when asked, a remembered device. */
struct login_grant {
	char   *session_token;
	int64_t session_expires_at;
	char   *device_token; /* NULL unless a device was remembered */
	int64_t device_expires_at;
};

/* A random token, copied into the call's memory, and its keyed hash (only the hash is stored). */
static pa_err
new_token(
    struct auth_worker *w, struct pa_rpc_call *call, char **out, unsigned char hash[AUTH_MAC_BYTES])
{
	char   token[PA_TOKEN_LEN + 1];
	pa_err rv;

	*out = NULL;
	if ((rv = pa_token_new(token)) != PA_OK)
		return rv;
	pa_token_hash(hash, &w->app->token_keys, token);
	*out = pa_rpc_call_strdup(call, token);
	sodium_memzero(token, sizeof token);
	return *out != NULL ? PA_OK : PA_ENOMEM;
}

/* In one transaction: for a login code (login_vid), the user row locked and the code checked
 * to be younger than the password (a reset that committed since refuses it); the user's last
 * login, a new session, with remember a remembered device (PHONEAUTH_REMEMBER_DEVICE_TTL) and its
 * audit row, then the audit row a. */
static struct pa_rpc_result
grant(struct auth_worker *w, struct pa_rpc_call *call, const char *user_id, const char *login_vid,
    const struct auth_audit *a, bool remember, struct login_grant *g)
{
	const struct pa_policy              *p      = auth_caller_policy(w->app, call);
	const Phoneauth__V1__CallerMetadata *caller = pa_rpc_call_caller(call);
	const char   *ua = caller->user_agent && caller->user_agent[0] ? caller->user_agent : NULL;
	const char   *ip = auth_caller_ip(call);
	unsigned char shash[AUTH_MAC_BYTES], dhash[AUTH_MAC_BYTES];
	bool          current = true;
	pa_err        rv;

	*g = (struct login_grant) { .session_token = NULL };
	if ((rv = new_token(w, call, &g->session_token, shash)) != PA_OK
	    || (remember && (rv = new_token(w, call, &g->device_token, dhash)) != PA_OK))
		return rv == PA_ENOMEM ? pa_rpc_fail_err(rv) : auth_db_fail(w, call, rv);
	if ((rv = pa_db_begin(w->db)) != PA_OK
	    || (login_vid != NULL
	        && (rv = auth_accounts_login_code_current(w->db, user_id, login_vid, &current))
	            != PA_OK))
		return auth_db_fail(w, call, rv);
	if (!current) {
		pa_db_rollback(w->db);
		return pa_rpc_fail(
		    CODE(INVALID_ARGUMENT), REASON(CODE_INVALID), p->msg_code_invalid);
	}
	if ((rv = auth_accounts_login_ok(w->db, user_id)) != PA_OK
	    || (rv = auth_sessions_new(
	            w->db, shash, user_id, p->session_ttl_s, ip, ua, &g->session_expires_at))
	        != PA_OK
	    || (remember
	        && ((rv = auth_devices_new(w->db, dhash, user_id, p->remember_device_ttl_s, ip, ua,
	                 &g->device_expires_at))
	                != PA_OK
	            || (rv = auth_audit_write(w->db,
	                    &(struct auth_audit) { .event = "device_remembered",
	                        .user_id                  = user_id,
	                        .outcome                  = "ok",
	                        .ip                       = ip }))
	                != PA_OK))
	    || (rv = auth_audit_write(w->db, a)) != PA_OK || (rv = pa_db_commit(w->db)) != PA_OK)
		return auth_db_fail(w, call, rv);
	return pa_rpc_ok(NULL);
}

/* A session for u after a right password (and, where the profile asks, a remembered device
 * instead of a code: how says which, for the audit row). */
static struct pa_rpc_result
login_ok(struct auth_worker *w, struct pa_rpc_call *call, const struct auth_login_user *u,
    const char *how, Phoneauth__V1__LoginResponse *out)
{
	struct login_grant   g;
	struct pa_rpc_result r;

	r = grant(w, call, u->id, NULL,
	    &(struct auth_audit) { .event = "login",
	        .user_id                  = u->id,
	        .phone_e164               = u->phone,
	        .outcome                  = "ok",
	        .detail_json              = how,
	        .ip                       = auth_caller_ip(call) },
	    false, &g);
	if (r.code != CODE(OK))
		return r;
	out->session_token   = g.session_token;
	out->expires_at_unix = g.session_expires_at;
	if ((out->user_id = pa_rpc_call_strdup(call, u->id)) == NULL)
		return pa_rpc_fail_err(PA_ENOMEM);
	return r;
}

/* Whether a right password must be followed by a code: always, or under new-device unless
 * device_token names a live remembered device of this very user (another user's token, an
 * expired or a made-up one does not count). */
static pa_err
login_needs_code(struct auth_worker *w, const char *user_id, const char *device_token, bool *need)
{
	unsigned char hashes[PA_KEYRING_MAX][AUTH_MAC_BYTES];
	size_t        n;
	bool          found;
	pa_err        rv;

	*need = w->app->policy.login_second_factor != PA_2FA_OFF;
	if (w->app->policy.login_second_factor != PA_2FA_NEW_DEVICE || device_token == NULL
	    || device_token[0] == '\0')
		return PA_OK;
	n = pa_token_hashes(hashes, &w->app->token_keys, device_token);
	if ((rv = auth_devices_use(w->db, hashes, n, user_id, &found)) != PA_OK)
		return rv;
	*need = !found;
	return PA_OK;
}

/* The second factor: no session yet, a login code to the account's verified phone through the
 * code engine (the channel asked for, cooldown, every send limit, the pumping gate); VerifyCode
 * with it issues the session (auth_login_code_verified). */
static struct pa_rpc_result
login_challenge(struct auth_worker *w, struct pa_rpc_call *call, const struct auth_login_user *u,
    int channel, Phoneauth__V1__LoginResponse *out)
{
	const struct pa_policy  *p = auth_caller_policy(w->app, call);
	struct auth_code_request req
	    = { .purpose = "login", .phone_e164 = u->phone, .user_id = u->id };
	struct auth_pump_pass pass;
	struct auth_code_sent sent;
	struct pa_rpc_result  r;
	pa_err                rv;

	/* A verified account has a verified phone; this guards the constraint, not a flow. */
	if (u->phone[0] == '\0')
		return pa_rpc_fail(
		    CODE(FAILED_PRECONDITION), REASON(NOT_VERIFIED), p->msg_login_not_verified);
	if ((r = auth_code_channel(p, channel, p->default_channel, &req.channel)).code != CODE(OK)
	    || (r = auth_sms_available(w, call)).code != CODE(OK)
	    || (r = auth_pump_gate(w, call, u->phone, &pass)).code != CODE(OK))
		return r;
	req.has_channel = true;
	req.pump        = &pass;
	/* The challenge's audit row commits (or rolls back) with the code's. */
	if ((rv = pa_db_begin(w->db)) != PA_OK
	    || (rv = auth_audit_write(w->db,
	            &(struct auth_audit) { .event = "login_challenge",
	                .user_id                  = u->id,
	                .phone_e164               = u->phone,
	                .outcome                  = "code_sent",
	                .ip                       = auth_caller_ip(call) }))
	        != PA_OK)
		return auth_db_fail(w, call, rv);
	if ((r = auth_code_start(w, call, &req, &sent)).code != CODE(OK))
		return r;
	out->second_factor = auth_code_sent_reply(w->app, call, &sent);
	if (out->second_factor == NULL)
		return pa_rpc_fail_err(PA_ENOMEM);
	return pa_rpc_ok(p->msg_second_factor);
}

struct pa_rpc_result
auth_login_code_verified(struct auth_worker *w, struct pa_rpc_call *call,
    const char *verification_id, bool remember_device, Phoneauth__V1__VerifyCodeResponse *out)
{
	struct login_grant   g;
	struct pa_rpc_result r;

	r = grant(w, call, out->user_id, verification_id,
	    &(struct auth_audit) { .event = "login_second_factor",
	        .user_id                  = out->user_id,
	        .outcome                  = "verified",
	        .ip                       = auth_caller_ip(call) },
	    remember_device, &g);
	if (r.code != CODE(OK))
		return r;
	out->session_token           = g.session_token;
	out->session_expires_at_unix = g.session_expires_at;
	if (g.device_token != NULL) {
		out->device_token           = g.device_token;
		out->device_expires_at_unix = g.device_expires_at;
	}
	return pa_rpc_ok(auth_caller_policy(w->app, call)->msg_verified);
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
	const struct pa_policy *p    = auth_caller_policy(w->app, call);
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
	const struct pa_policy            *p  = auth_caller_policy(w->app, call);
	const Phoneauth__V1__LoginRequest *in = in_;
	const char                        *pw = in->password ? in->password : "";
	const char                        *email;
	char                               phone[AUTH_PHONE_LEN];
	struct auth_login_user             u;
	struct login_keys                  keys;
	struct pa_rpc_result               r;
	bool                               found, right = false, need_code;
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
	if ((rv = login_needs_code(w, u.id, in->device_token, &need_code)) != PA_OK)
		return auth_db_fail(w, call, rv);
	if (need_code)
		return login_challenge(w, call, &u, (int) in->channel, out);
	return login_ok(w, call, &u,
	    p->login_second_factor == PA_2FA_NEW_DEVICE
	        ? "{\"second_factor\":\"remembered_device\"}"
	        : NULL,
	    out);
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
		    auth_caller_policy(w->app, call)->msg_session_invalid);
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
