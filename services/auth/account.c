/* account.c: subscriptions, accounts, login, sessions and password reset. Passwords are Argon2id
 * (these handlers run on the slow pool); tokens are random and stored only as keyed hashes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "common/log.h"

static const struct pa_stmt st_link = {
	"INSERT INTO subscriptions (id, phone_e164) VALUES ($1, $2)"
	" ON CONFLICT (id) DO UPDATE SET phone_e164 = EXCLUDED.phone_e164"
	" WHERE subscriptions.user_id IS NULL RETURNING id",
	2
};
static const struct pa_stmt st_token_verification = {
	"SELECT id::text, phone_e164, subscription_id, user_id::text FROM verifications"
	" WHERE token_hash = $1::bytea AND purpose = $2 AND state = 'verified'"
	" AND token_expires_at > now() FOR UPDATE",
	2
};
static const struct pa_stmt st_create_user = {
	"INSERT INTO users (phone_e164, email, password_hash, phone_verified_at, verified_by,"
	" subscription_id)"
	" SELECT phone_e164, $2, $3, verified_at, id, subscription_id FROM verifications"
	" WHERE id = $1::uuid"
	" ON CONFLICT DO NOTHING RETURNING id::text",
	3
};
static const struct pa_stmt st_consume = {
	"UPDATE verifications SET state = 'consumed', token_hash = NULL, token_expires_at = NULL,"
	" user_id = coalesce(user_id, $2::uuid) WHERE id = $1::uuid",
	2
};
static const struct pa_stmt st_subscription_user = {
	"UPDATE subscriptions SET user_id = $2::uuid WHERE id = $1", 2
};
static const struct pa_stmt st_user_by_email = {
	"SELECT id::text, phone_e164, phone_verified_at IS NOT NULL FROM users"
	" WHERE lower(email) = lower($1) FOR UPDATE",
	1
};
static const struct pa_stmt st_register_user = {
	"INSERT INTO users (email, phone_e164, password_hash) VALUES ($1, $2, $3)"
	" ON CONFLICT DO NOTHING RETURNING id::text",
	3
};
static const struct pa_stmt st_set_password = {
	"UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL"
	" WHERE id = $1::uuid",
	2
};
/* Prefers the verified owner of a phone; an unverified registration only answers "verify". */
static const struct pa_stmt st_login_lookup = {
	"SELECT id::text, password_hash, phone_verified_at IS NOT NULL,"
	" greatest(0, ceil(extract(epoch FROM locked_until - now())))::int, phone_e164"
	" FROM users WHERE (phone_e164 = $1 OR lower(email) = lower($2))"
	" ORDER BY phone_verified_at IS NULL, created_at DESC LIMIT 1",
	2
};
static const struct pa_stmt st_login_failed = {
	"UPDATE users SET failed_logins = failed_logins + 1,"
	" locked_until = CASE WHEN $2::int > 0 AND failed_logins + 1 >= $2::int"
	"  THEN now() + make_interval(secs => $3::int) ELSE locked_until END"
	" WHERE id = $1::uuid",
	3
};
static const struct pa_stmt st_login_ok = {
	"UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = now()"
	" WHERE id = $1::uuid",
	1
};
static const struct pa_stmt st_session_new = {
	"INSERT INTO sessions (token_hash, user_id, expires_at, end_user_ip, user_agent)"
	" VALUES ($1::bytea, $2::uuid, now() + make_interval(secs => $3::int), $4::inet, $5)"
	" RETURNING extract(epoch FROM expires_at)::bigint",
	5
};
static const struct pa_stmt st_session_get = {
	"SELECT u.id::text, u.phone_e164, coalesce(u.email, ''), u.phone_verified_at IS NOT NULL,"
	" extract(epoch FROM s.expires_at)::bigint"
	" FROM sessions s JOIN users u ON u.id = s.user_id"
	" WHERE s.token_hash = $1::bytea AND s.revoked_at IS NULL AND s.expires_at > now()",
	1
};
static const struct pa_stmt st_session_revoke = {
	"UPDATE sessions SET revoked_at = now() WHERE token_hash = $1::bytea AND revoked_at IS NULL"
	" RETURNING user_id::text",
	1
};
static const struct pa_stmt st_sessions_revoke_user = {
	"UPDATE sessions SET revoked_at = now() WHERE user_id = $1::uuid AND revoked_at IS NULL", 1
};
static const struct pa_stmt st_reset_lookup = {
	"SELECT id::text, phone_e164 FROM users WHERE phone_verified_at IS NOT NULL"
	" AND (phone_e164 = $1 OR lower(email) = lower($2))",
	2
};

static const struct pa_stmt st_phone_has_account = {
	"SELECT 1 FROM users WHERE phone_e164 = $1 AND phone_verified_at IS NOT NULL", 1
};

pa_err
auth_phone_has_account(struct auth_worker *w, const char *phone_e164, bool *out)
{
	const char *params[1] = { phone_e164 };
	PGresult   *res;
	pa_err      rv;

	if ((rv = pa_db_exec(w->db, &st_phone_has_account, params, &res)) != PA_OK)
		return rv;
	*out = PQntuples(res) > 0;
	PQclear(res);
	return PA_OK;
}

bool
auth_email_ok(const char *e)
{
	const char *at = e ? strchr(e, '@') : NULL;

	if (at == NULL || at == e || strchr(at + 1, '@') != NULL || at[1] == '\0' ||
	    strlen(e) > 254 || strchr(at + 1, '.') == NULL)
		return false;
	for (const char *p = e; *p; p++)
		if ((unsigned char) *p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

/* Checks password, confirmation and the profile's rules; fails the call when they are not met.
 * confirm may be NULL when the method has none. */
static bool
password_acceptable(struct auth_worker *w, struct pa_rpc_call *call, const char *pw,
    const char *confirm)
{
	const struct pa_policy *p   = &w->app->policy;
	size_t                  len = pw ? strlen(pw) : 0;

	if (confirm != NULL && (strlen(confirm) != len || sodium_memcmp(pw, confirm, len) != 0)) {
		pa_rpc_call_fail(call, CODE(INVALID_ARGUMENT), REASON(PASSWORD_MISMATCH),
		    p->msg_password_mismatch);
		return false;
	}
	if (pa_policy_check_password(p, pw ? pw : "", len) != PA_PW_OK) {
		pa_rpc_call_fail(call, CODE(INVALID_ARGUMENT), REASON(PASSWORD_POLICY),
		    p->msg_password_policy);
		return false;
	}
	return true;
}

static pa_err
hash_password(struct auth_worker *w, const char *pw, char out[crypto_pwhash_STRBYTES])
{
	return pa_password_hash(out, pw, strlen(pw), (unsigned long long) w->app->cfg.pwhash_ops,
	    (size_t) w->app->cfg.pwhash_mem_kib * 1024u);
}

static void
token_hash_hex(struct auth_worker *w, const char *token, char out[67])
{
	unsigned char hash[32];

	pa_token_hash(hash, &w->app->token_keys, token ? token : "");
	auth_bytea_hex(out, hash);
}

AUTH_HANDLER(link_subscription, LinkSubscriptionRequest, LinkSubscriptionResponse)
{
	struct pa_rpc_call                     *call = data;
	struct auth_worker                     *w    = pa_rpc_call_state(call);
	Phoneauth__V1__LinkSubscriptionResponse resp = PHONEAUTH__V1__LINK_SUBSCRIPTION_RESPONSE__INIT;
	struct pa_phone                         phone;
	char                                    masked[PA_PHONE_MASK_MAX];
	const char                             *params[2];
	PGresult                               *res;
	pa_err                                  rv;
	bool                                    linked;

	if (in->subscription_id == NULL || in->subscription_id[0] == '\0' ||
	    strlen(in->subscription_id) > 200) {
		pa_rpc_call_fail(call, CODE(INVALID_ARGUMENT), REASON(MISSING_FIELD),
		    "A subscription id of 1 to 200 characters is required.");
		goto out_fail;
	}
	if (!auth_phone_accept(w, call, in->phone, &phone))
		goto out_fail;
	params[0] = in->subscription_id;
	params[1] = phone.e164;
	if ((rv = pa_db_begin(w->db)) != PA_OK ||
	    (rv = pa_db_exec(w->db, &st_link, params, &res)) != PA_OK) {
		auth_tx_fail(w, call, rv);
		goto out_fail;
	}
	linked = PQntuples(res) > 0;
	PQclear(res);
	if (!linked) {
		pa_db_rollback(w->db);
		pa_rpc_call_fail(call, CODE(FAILED_PRECONDITION), REASON(ACCOUNT_EXISTS),
		    "This subscription already has an account; its number cannot change here.");
		goto out_fail;
	}
	rv = auth_audit(w, call, &(struct auth_audit) { .event = "subscription_linked",
	                             .phone_e164 = phone.e164, .outcome = "ok" });
	if (rv != PA_OK || (rv = pa_db_commit(w->db)) != PA_OK) {
		auth_tx_fail(w, call, rv);
		goto out_fail;
	}
	resp.subscription_id = in->subscription_id;
	resp.phone_masked    = (char *) pa_phone_mask(phone.e164, masked);
	closure(&resp, data);
	return;
out_fail:
	closure(NULL, data);
}

AUTH_HANDLER(create_account, CreateAccountRequest, CreateAccountResponse)
{
	struct pa_rpc_call                  *call = data;
	struct auth_worker                  *w    = pa_rpc_call_state(call);
	const struct pa_policy              *p    = &w->app->policy;
	Phoneauth__V1__CreateAccountResponse resp = PHONEAUTH__V1__CREATE_ACCOUNT_RESPONSE__INIT;
	char                                 pwhash[crypto_pwhash_STRBYTES], tok[67];
	char                                 vid[37], phone[17], sub[201], user_id[37];
	const char                          *params[3];
	PGresult                            *res;
	pa_err                               rv;

	if (!password_acceptable(w, call, in->password, in->password_confirm))
		goto out_fail;
	if (in->email != NULL && in->email[0] != '\0' && !auth_email_ok(in->email)) {
		pa_rpc_call_fail(call, CODE(INVALID_ARGUMENT), REASON(INVALID_EMAIL),
		    p->msg_invalid_email);
		goto out_fail;
	}
	/* Hash before the transaction: no row stays locked during Argon2. */
	if ((rv = hash_password(w, in->password, pwhash)) != PA_OK) {
		pa_rpc_call_fail_err(call, rv);
		goto out_fail;
	}
	token_hash_hex(w, in->signup_token, tok);
	params[0] = tok;
	params[1] = "signup";
	if ((rv = pa_db_begin(w->db)) != PA_OK ||
	    (rv = pa_db_exec(w->db, &st_token_verification, params, &res)) != PA_OK)
		goto out_tx_fail;
	if (PQntuples(res) == 0) {
		PQclear(res);
		pa_db_rollback(w->db);
		pa_rpc_call_fail(call, CODE(FAILED_PRECONDITION), REASON(NOT_VERIFIED),
		    p->msg_not_verified_create);
		goto out_fail;
	}
	(void) snprintf(vid, sizeof vid, "%s", PQgetvalue(res, 0, 0));
	(void) snprintf(phone, sizeof phone, "%s", PQgetvalue(res, 0, 1));
	(void) snprintf(sub, sizeof sub, "%s", PQgetvalue(res, 0, 2));
	PQclear(res);
	params[0] = vid;
	params[1] = in->email != NULL && in->email[0] != '\0' ? in->email : NULL;
	params[2] = pwhash;
	if ((rv = pa_db_exec(w->db, &st_create_user, params, &res)) != PA_OK)
		goto out_tx_fail;
	if (PQntuples(res) == 0) {
		PQclear(res);
		pa_db_rollback(w->db);
		pa_rpc_call_fail(call, CODE(ALREADY_EXISTS), REASON(ACCOUNT_EXISTS),
		    p->msg_account_exists);
		goto out_fail;
	}
	(void) snprintf(user_id, sizeof user_id, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	params[0] = vid;
	params[1] = user_id;
	if ((rv = pa_db_exec(w->db, &st_consume, params, NULL)) != PA_OK)
		goto out_tx_fail;
	if (sub[0] != '\0') {
		params[0] = sub;
		if ((rv = pa_db_exec(w->db, &st_subscription_user, params, NULL)) != PA_OK)
			goto out_tx_fail;
	}
	rv = auth_audit(w, call, &(struct auth_audit) { .event = "account_created",
	                             .user_id = user_id, .phone_e164 = phone,
	                             .verification_id = vid, .outcome = "ok" });
	if (rv != PA_OK || (rv = pa_db_commit(w->db)) != PA_OK)
		goto out_tx_fail;
	sodium_memzero(pwhash, sizeof pwhash);
	resp.user_id  = user_id;
	resp.login_id = phone;
	pa_rpc_call_set_message(call, p->msg_account_created);
	closure(&resp, data);
	return;
out_tx_fail:
	auth_tx_fail(w, call, rv);
out_fail:
	sodium_memzero(pwhash, sizeof pwhash);
	closure(NULL, data);
}

/* Decides who a registration is for. A new email gets a new unverified user; the same email and
 * phone again (an unfinished registration) gets a new code and password; anything else (the
 * email taken, or the phone verified by someone else) gets a phantom verification, so the reply
 * is the same either way. */
static pa_err
register_user(struct auth_worker *w, const char *email, const char *phone, const char *pwhash,
    char user_id[37], bool *phantom)
{
	const char *params[3] = { email, phone, pwhash };
	PGresult   *res;
	pa_err      rv;
	bool        taken;

	*phantom   = true;
	user_id[0] = '\0';
	if ((rv = pa_db_exec(w->db, &st_user_by_email, params, &res)) != PA_OK)
		return rv;
	if (PQntuples(res) > 0) {
		bool same = strcmp(PQgetvalue(res, 0, 1), phone) == 0 &&
		    PQgetvalue(res, 0, 2)[0] == 'f';

		if (same)
			(void) snprintf(user_id, 37, "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		if (!same)
			return PA_OK;
		*phantom  = false;
		params[0] = user_id;
		params[1] = pwhash;
		return pa_db_exec(w->db, &st_set_password, params, NULL);
	}
	PQclear(res);
	if ((rv = auth_phone_has_account(w, phone, &taken)) != PA_OK || taken)
		return rv;
	params[0] = email;
	params[1] = phone;
	if ((rv = pa_db_exec(w->db, &st_register_user, params, &res)) != PA_OK)
		return rv;
	if (PQntuples(res) > 0) {
		(void) snprintf(user_id, 37, "%s", PQgetvalue(res, 0, 0));
		*phantom = false;
	}
	PQclear(res);
	return PA_OK;
}

AUTH_HANDLER(register_account, RegisterRequest, RegisterResponse)
{
	struct pa_rpc_call             *call = data;
	struct auth_worker             *w    = pa_rpc_call_state(call);
	const struct pa_policy         *p    = &w->app->policy;
	Phoneauth__V1__RegisterResponse resp = PHONEAUTH__V1__REGISTER_RESPONSE__INIT;
	struct auth_code_request        req  = { .purpose = "register" };
	struct auth_code_sent           sent;
	struct pa_phone                 phone;
	char                            pwhash[crypto_pwhash_STRBYTES], user_id[37];
	pa_err                          rv;

	if (!auth_email_ok(in->email)) {
		pa_rpc_call_fail(call, CODE(INVALID_ARGUMENT), REASON(INVALID_EMAIL),
		    p->msg_invalid_email);
		closure(NULL, data);
		return;
	}
	if (!auth_phone_accept(w, call, in->phone, &phone) ||
	    !password_acceptable(w, call, in->password, NULL) || !auth_sms_available(w, call)) {
		closure(NULL, data);
		return;
	}
	/* Every path hashes, so a taken email costs the same time as a new one. */
	if ((rv = hash_password(w, in->password, pwhash)) != PA_OK) {
		pa_rpc_call_fail_err(call, rv);
		closure(NULL, data);
		return;
	}
	if ((rv = pa_db_begin(w->db)) != PA_OK ||
	    (rv = register_user(w, in->email, phone.e164, pwhash, user_id, &req.phantom)) != PA_OK)
		goto out_fail;
	req.phone_e164 = phone.e164;
	req.user_id    = req.phantom ? NULL : user_id;
	if ((rv = auth_code_start(w, call, &req, &sent)) != PA_OK)
		goto out_fail;
	sodium_memzero(pwhash, sizeof pwhash);
	auth_jobs_push(w->app->jobs, sent.outbox_id);
	resp.sent = &sent.msg;
	pa_rpc_call_set_message(call, p->msg_registered);
	closure(&resp, data);
	return;
out_fail:
	sodium_memzero(pwhash, sizeof pwhash);
	auth_tx_fail(w, call, rv);
	closure(NULL, data);
}

/* "phone or email" from what a person typed: a phone is normalised, anything with '@' is an
 * email when the profile has emails. Unparseable input matches no one. */
static void
login_keys(struct auth_worker *w, const char *login, char phone[17], const char **email)
{
	struct pa_phone ph;

	phone[0] = '\0';
	*email   = NULL;
	if (login == NULL)
		return;
	if (strchr(login, '@') != NULL) {
		if (w->app->policy.identity == PA_IDENTITY_EMAIL_PHONE)
			*email = login;
		return;
	}
	if (pa_phone_check(&ph, login, w->app->cfg.default_region, w->app->cfg.allowed_countries) ==
	    PA_PHONE_OK)
		(void) snprintf(phone, 17, "%s", ph.e164);
}

static pa_err
new_session(struct auth_worker *w, struct pa_rpc_call *call, const char *user_id,
    char token[PA_TOKEN_LEN + 1], int64_t *expires_at)
{
	const Phoneauth__V1__CallerMetadata *caller = pa_rpc_call_caller(call);
	char                                 hash[67], ttl[16];
	const char                          *params[5];
	PGresult                            *res;
	pa_err                               rv;

	if ((rv = pa_token_new(token)) != PA_OK)
		return rv;
	token_hash_hex(w, token, hash);
	params[0] = hash;
	params[1] = user_id;
	params[2] = AUTH_ITOA(ttl, w->app->policy.session_ttl_s);
	params[3] = auth_caller_ip(call);
	params[4] = caller->user_agent && caller->user_agent[0] ? caller->user_agent : NULL;
	if ((rv = pa_db_exec(w->db, &st_session_new, params, &res)) != PA_OK)
		return rv;
	*expires_at = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return PA_OK;
}

AUTH_HANDLER(login, LoginRequest, LoginResponse)
{
	struct pa_rpc_call          *call = data;
	struct auth_worker          *w    = pa_rpc_call_state(call);
	const struct pa_policy      *p    = &w->app->policy;
	const struct auth_config    *cfg  = &w->app->cfg;
	Phoneauth__V1__LoginResponse resp = PHONEAUTH__V1__LOGIN_RESPONSE__INIT;
	char                         phone[17], user_id[37], stored[crypto_pwhash_STRBYTES];
	char                         token[PA_TOKEN_LEN + 1] = "", maxf[16], lock[16];
	const char                  *email, *params[3];
	const char                  *pw  = in->password ? in->password : "";
	size_t                       len = strlen(pw);
	PGresult                    *res;
	bool                         found, verified = false, right = false;
	int                          locked_for = 0;
	int64_t                      expires_at = 0;
	pa_err                       rv;

	login_keys(w, in->login, phone, &email);
	params[0] = phone[0] ? phone : NULL;
	params[1] = email;
	if ((rv = pa_db_exec(w->db, &st_login_lookup, params, &res)) != PA_OK)
		goto out_fail;
	found = PQntuples(res) > 0 && !PQgetisnull(res, 0, 1) && len <= (size_t) p->password_max_bytes;
	stored[0] = '\0';
	if (found) {
		(void) snprintf(user_id, sizeof user_id, "%s", PQgetvalue(res, 0, 0));
		(void) snprintf(stored, sizeof stored, "%s", PQgetvalue(res, 0, 1));
		verified   = PQgetvalue(res, 0, 2)[0] == 't';
		locked_for = atoi(PQgetvalue(res, 0, 3));
		(void) snprintf(phone, sizeof phone, "%s", PQgetvalue(res, 0, 4));
	}
	PQclear(res);
	/* Unknown users and locked accounts cost the same Argon2 time as a real check. */
	if (found && locked_for == 0) {
		rv = pa_password_verify(stored, pw, len);
		if (rv == PA_ENOMEM)
			goto out_fail;
		right = rv == PA_OK;
	} else {
		pa_password_burn(pw, len, (unsigned long long) cfg->pwhash_ops,
		    (size_t) cfg->pwhash_mem_kib * 1024u);
	}
	if (found && locked_for > 0) {
		pa_rpc_call_fail(call, CODE(RESOURCE_EXHAUSTED), REASON(ACCOUNT_LOCKED),
		    p->msg_login_locked);
		pa_rpc_call_set_retry_after(call, (uint32_t) locked_for);
		rv = auth_audit(w, call, &(struct auth_audit) { .event = "login_refused",
		                             .user_id = user_id, .outcome = "locked" });
		goto out_done;
	}
	if (!right) {
		if (found) {
			params[0] = user_id;
			params[1] = AUTH_ITOA(maxf, p->login_max_failures);
			params[2] = AUTH_ITOA(lock, p->login_lock_s);
			if ((rv = pa_db_begin(w->db)) != PA_OK ||
			    (rv = pa_db_exec(w->db, &st_login_failed, params, NULL)) != PA_OK ||
			    (rv = auth_audit(w, call, &(struct auth_audit) { .event = "login_failed",
			                                   .user_id = user_id,
			                                   .outcome = "bad_password" })) != PA_OK ||
			    (rv = pa_db_commit(w->db)) != PA_OK)
				goto out_fail;
		}
		pa_rpc_call_fail(call, CODE(UNAUTHENTICATED), REASON(BAD_CREDENTIALS),
		    p->msg_login_invalid);
		goto out_done;
	}
	if (!verified) {
		pa_rpc_call_fail(call, CODE(FAILED_PRECONDITION), REASON(NOT_VERIFIED),
		    p->msg_login_not_verified);
		goto out_done;
	}
	params[0] = user_id;
	if ((rv = pa_db_begin(w->db)) != PA_OK ||
	    (rv = pa_db_exec(w->db, &st_login_ok, params, NULL)) != PA_OK ||
	    (rv = new_session(w, call, user_id, token, &expires_at)) != PA_OK ||
	    (rv = auth_audit(w, call, &(struct auth_audit) { .event = "login", .user_id = user_id,
	                                   .phone_e164 = phone, .outcome = "ok" })) != PA_OK ||
	    (rv = pa_db_commit(w->db)) != PA_OK)
		goto out_fail;
	resp.session_token   = token;
	resp.user_id         = user_id;
	resp.expires_at_unix = expires_at;
	closure(&resp, data);
	sodium_memzero(token, sizeof token);
	return;
out_done:
	if (rv != PA_OK)
		pa_log_warn("login_audit_failed", "sqlstate=%s", pa_db_sqlstate(w->db));
	closure(NULL, data);
	return;
out_fail:
	sodium_memzero(token, sizeof token);
	auth_tx_fail(w, call, rv);
	closure(NULL, data);
}

AUTH_HANDLER(validate_session, ValidateSessionRequest, ValidateSessionResponse)
{
	struct pa_rpc_call                    *call = data;
	struct auth_worker                    *w    = pa_rpc_call_state(call);
	Phoneauth__V1__ValidateSessionResponse resp = PHONEAUTH__V1__VALIDATE_SESSION_RESPONSE__INIT;
	char                                   hash[67], masked[PA_PHONE_MASK_MAX];
	const char                            *params[1] = { hash };
	PGresult                              *res;
	pa_err                                 rv;

	token_hash_hex(w, in->session_token, hash);
	if ((rv = pa_db_exec(w->db, &st_session_get, params, &res)) != PA_OK) {
		pa_rpc_call_fail_err(call, rv);
		closure(NULL, data);
		return;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		pa_rpc_call_fail(call, CODE(UNAUTHENTICATED), REASON(SESSION_INVALID),
		    w->app->policy.msg_session_invalid);
		closure(NULL, data);
		return;
	}
	resp.user_id         = PQgetvalue(res, 0, 0);
	resp.phone_masked    = (char *) pa_phone_mask(PQgetvalue(res, 0, 1), masked);
	resp.email           = PQgetvalue(res, 0, 2);
	resp.phone_verified  = PQgetvalue(res, 0, 3)[0] == 't';
	resp.expires_at_unix = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
	closure(&resp, data);
	PQclear(res);
}

AUTH_HANDLER(logout, LogoutRequest, LogoutResponse)
{
	struct pa_rpc_call          *call = data;
	struct auth_worker          *w    = pa_rpc_call_state(call);
	Phoneauth__V1__LogoutResponse resp = PHONEAUTH__V1__LOGOUT_RESPONSE__INIT;
	char                         hash[67];
	const char                  *params[1] = { hash };
	PGresult                    *res;
	pa_err                       rv;

	token_hash_hex(w, in->session_token, hash);
	if ((rv = pa_db_begin(w->db)) != PA_OK ||
	    (rv = pa_db_exec(w->db, &st_session_revoke, params, &res)) != PA_OK)
		goto out_fail;
	if (PQntuples(res) > 0)
		rv = auth_audit(w, call, &(struct auth_audit) { .event = "logout",
		                             .user_id = PQgetvalue(res, 0, 0), .outcome = "ok" });
	PQclear(res);
	if (rv != PA_OK || (rv = pa_db_commit(w->db)) != PA_OK)
		goto out_fail;
	/* Logging out twice is not an error: the session is gone either way. */
	closure(&resp, data);
	return;
out_fail:
	auth_tx_fail(w, call, rv);
	closure(NULL, data);
}

AUTH_HANDLER(start_password_reset, StartPasswordResetRequest, StartPasswordResetResponse)
{
	struct pa_rpc_call                       *call = data;
	struct auth_worker                       *w    = pa_rpc_call_state(call);
	const struct pa_policy                   *p    = &w->app->policy;
	Phoneauth__V1__StartPasswordResetResponse resp =
	    PHONEAUTH__V1__START_PASSWORD_RESET_RESPONSE__INIT;
	struct auth_code_request req = { .purpose = "password_reset" };
	struct auth_code_sent    sent;
	char                     phone[17], user_id[37];
	const char              *email, *params[2];
	PGresult                *res;
	pa_err                   rv;

	login_keys(w, in->login, phone, &email);
	params[0] = phone[0] ? phone : NULL;
	params[1] = email;
	if ((rv = pa_db_exec(w->db, &st_reset_lookup, params, &res)) != PA_OK)
		goto out_fail;
	req.phantom = PQntuples(res) == 0;
	if (!req.phantom) {
		(void) snprintf(user_id, sizeof user_id, "%s", PQgetvalue(res, 0, 0));
		(void) snprintf(phone, sizeof phone, "%s", PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	if (req.phantom && (!p->non_enumerating || phone[0] == '\0')) {
		/* Without a phone there is no row to stand in; the reply still says nothing. */
		if (p->non_enumerating) {
			/* The same shape as a real reply, with an id that matches no row (resends
			 * and checks on it answer like an unknown or wrong code). */
			struct auth_code_sent none;

			auth_code_sent_fill(w, "", &none);
			auth_uuid_new(none.id);
			resp.sent = &none.msg;
			pa_rpc_call_set_message(call, p->msg_reset_started);
			closure(&resp, data);
			return;
		}
		pa_rpc_call_fail(call, CODE(NOT_FOUND), REASON(NOT_FOUND_GENERIC), p->msg_login_invalid);
		closure(NULL, data);
		return;
	}
	if (!auth_sms_available(w, call)) {
		closure(NULL, data);
		return;
	}
	req.phone_e164 = phone;
	req.user_id    = req.phantom ? NULL : user_id;
	if ((rv = pa_db_begin(w->db)) != PA_OK ||
	    (rv = auth_code_start(w, call, &req, &sent)) != PA_OK)
		goto out_fail;
	auth_jobs_push(w->app->jobs, sent.outbox_id);
	resp.sent = &sent.msg;
	if (p->non_enumerating) {
		/* Which phone got the code would tell who owns the email. */
		sent.msg.phone_masked = (char *) "";
	}
	pa_rpc_call_set_message(call, p->msg_reset_started);
	closure(&resp, data);
	return;
out_fail:
	auth_tx_fail(w, call, rv);
	closure(NULL, data);
}

AUTH_HANDLER(complete_password_reset, CompletePasswordResetRequest, CompletePasswordResetResponse)
{
	struct pa_rpc_call                          *call = data;
	struct auth_worker                          *w    = pa_rpc_call_state(call);
	const struct pa_policy                      *p    = &w->app->policy;
	Phoneauth__V1__CompletePasswordResetResponse resp =
	    PHONEAUTH__V1__COMPLETE_PASSWORD_RESET_RESPONSE__INIT;
	char        pwhash[crypto_pwhash_STRBYTES], tok[67], vid[37], user_id[37];
	const char *params[2];
	PGresult   *res;
	pa_err      rv;

	if (!password_acceptable(w, call, in->password, in->password_confirm)) {
		closure(NULL, data);
		return;
	}
	if ((rv = hash_password(w, in->password, pwhash)) != PA_OK) {
		pa_rpc_call_fail_err(call, rv);
		closure(NULL, data);
		return;
	}
	token_hash_hex(w, in->reset_token, tok);
	params[0] = tok;
	params[1] = "password_reset";
	if ((rv = pa_db_begin(w->db)) != PA_OK ||
	    (rv = pa_db_exec(w->db, &st_token_verification, params, &res)) != PA_OK)
		goto out_fail;
	if (PQntuples(res) == 0 || PQgetisnull(res, 0, 3)) {
		PQclear(res);
		pa_rpc_call_fail(call, CODE(FAILED_PRECONDITION), REASON(TOKEN_INVALID),
		    p->msg_session_invalid);
		rv = PA_ELIMIT;
		goto out_fail;
	}
	(void) snprintf(vid, sizeof vid, "%s", PQgetvalue(res, 0, 0));
	(void) snprintf(user_id, sizeof user_id, "%s", PQgetvalue(res, 0, 3));
	PQclear(res);
	params[0] = user_id;
	params[1] = pwhash;
	if ((rv = pa_db_exec(w->db, &st_set_password, params, NULL)) != PA_OK ||
	    (rv = pa_db_exec(w->db, &st_sessions_revoke_user, params, NULL)) != PA_OK)
		goto out_fail;
	params[0] = vid;
	params[1] = user_id;
	if ((rv = pa_db_exec(w->db, &st_consume, params, NULL)) != PA_OK ||
	    (rv = auth_audit(w, call, &(struct auth_audit) { .event = "password_reset",
	                                   .user_id = user_id, .verification_id = vid,
	                                   .outcome = "ok" })) != PA_OK ||
	    (rv = pa_db_commit(w->db)) != PA_OK)
		goto out_fail;
	sodium_memzero(pwhash, sizeof pwhash);
	resp.user_id = user_id;
	pa_rpc_call_set_message(call, p->msg_reset_done);
	closure(&resp, data);
	return;
out_fail:
	sodium_memzero(pwhash, sizeof pwhash);
	auth_tx_fail(w, call, rv);
	closure(NULL, data);
}
