/* store_accounts.c: the SQL of users and subscriptions. */
#include "store_accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct pa_stmt st_link
    = { "INSERT INTO subscriptions (id, phone_e164) VALUES ($1, $2)"
	" ON CONFLICT (id) DO UPDATE SET phone_e164 = EXCLUDED.phone_e164"
	" WHERE subscriptions.user_id IS NULL RETURNING id",
	      2 };
static const struct pa_stmt st_subscription
    = { "SELECT phone_e164 FROM subscriptions WHERE id = $1", 1 };
static const struct pa_stmt st_subscription_user
    = { "UPDATE subscriptions SET user_id = $2::uuid WHERE id = $1", 2 };
static const struct pa_stmt st_phone_verified
    = { "SELECT 1 FROM users WHERE phone_e164 = $1 AND phone_verified_at IS NOT NULL", 1 };
/* The registration's user, locked (two of its codes verifying at once run one after the other),
 * whether it is verified already, and whether another verified account uses the phone. No row:
 * the user is gone (retention). */
static const struct pa_stmt st_phone_taken
    = { "SELECT u.phone_verified_at IS NOT NULL, EXISTS (SELECT 1 FROM users o"
	"  WHERE o.phone_e164 = $1 AND o.phone_verified_at IS NOT NULL AND o.id <> u.id)"
	" FROM users u WHERE u.id = $2::uuid FOR UPDATE OF u",
	      2 };
/* The verified registration's phone and password become the user's (migration 0010), only while
 * it is unverified: a verified account is never changed by another of its registrations. */
static const struct pa_stmt st_user_verified
    = { "UPDATE users u SET phone_verified_at = now(), verified_by = v.id,"
	" phone_e164 = v.phone_e164, password_hash = coalesce(v.password_hash, u.password_hash)"
	" FROM verifications v WHERE u.id = $1::uuid AND v.id = $2::uuid"
	" AND u.phone_verified_at IS NULL",
	      2 };
static const struct pa_stmt st_create_user
    = { "INSERT INTO users (phone_e164, email, password_hash, phone_verified_at, verified_by,"
	" subscription_id)"
	" SELECT phone_e164, $2, $3, verified_at, id, subscription_id FROM verifications"
	" WHERE id = $1::uuid"
	" ON CONFLICT DO NOTHING RETURNING id::text",
	      3 };
static const struct pa_stmt st_touch
    = { "UPDATE users SET updated_at = now() WHERE id = $1::uuid", 1 };
static const struct pa_stmt st_user_by_email
    = { "SELECT id::text, phone_e164, phone_verified_at IS NOT NULL FROM users"
	" WHERE lower(email) = lower($1) FOR UPDATE",
	      1 };
static const struct pa_stmt st_register_user
    = { "INSERT INTO users (email, phone_e164, password_hash) VALUES ($1, $2, $3)"
	" ON CONFLICT DO NOTHING RETURNING id::text",
	      3 };
static const struct pa_stmt st_login_code_current
    = { "SELECT 1 FROM users u JOIN verifications v ON v.user_id = u.id"
	" WHERE u.id = $1::uuid AND v.id = $2::uuid AND v.purpose = 'login'"
	" AND v.created_at >= u.password_changed_at FOR UPDATE OF u",
	      2 };
static const struct pa_stmt st_set_password = { "UPDATE users SET password_hash = $2"
	                                        " WHERE id = $1::uuid",
	2 };
/* Prefers the verified owner of a phone; an unverified registration only answers "verify". */
static const struct pa_stmt st_login_lookup
    = { "SELECT id::text, password_hash, phone_verified_at IS NOT NULL, phone_e164"
	" FROM users WHERE (phone_e164 = $1 OR lower(email) = lower($2))"
	" ORDER BY phone_verified_at IS NULL, created_at DESC LIMIT 1",
	      2 };
static const struct pa_stmt st_login_ok = { "UPDATE users SET last_login_at = now()"
	                                    " WHERE id = $1::uuid",
	1 };
static const struct pa_stmt st_reset_lookup
    = { "SELECT id::text, phone_e164 FROM users WHERE phone_verified_at IS NOT NULL"
	" AND (phone_e164 = $1 OR lower(email) = lower($2))",
	      2 };

enum { LOGIN_ID, LOGIN_HASH, LOGIN_VERIFIED, LOGIN_PHONE };
enum { EMAIL_ID, EMAIL_PHONE, EMAIL_VERIFIED };
enum { RESET_ID, RESET_PHONE };

static void
copy_col(char *out, size_t outsz, const PGresult *res, int col)
{
	(void) snprintf(out, outsz, "%s", PQgetvalue(res, 0, col));
}

/* Runs st; *found says whether a row came back, whose first column (when out) is copied. */
static pa_err
exec_first(struct pa_db *db, const struct pa_stmt *st, const char *const *params, char *out,
    size_t outsz, bool *found)
{
	PGresult *res;
	pa_err    rv;

	if ((rv = pa_db_exec(db, st, params, &res)) != PA_OK)
		return rv;
	if ((*found = PQntuples(res) > 0) && out != NULL)
		copy_col(out, outsz, res, 0);
	PQclear(res);
	return PA_OK;
}

pa_err
auth_accounts_link_subscription(
    struct pa_db *db, const char *subscription_id, const char *phone, bool *linked)
{
	const char *params[2] = { subscription_id, phone };

	return exec_first(db, &st_link, params, NULL, 0, linked);
}

pa_err
auth_accounts_subscription_phone(
    struct pa_db *db, const char *subscription_id, char phone[AUTH_PHONE_LEN], bool *found)
{
	const char *params[1] = { subscription_id };

	return exec_first(db, &st_subscription, params, phone, AUTH_PHONE_LEN, found);
}

pa_err
auth_accounts_subscription_user(struct pa_db *db, const char *subscription_id, const char *user_id)
{
	const char *params[2] = { subscription_id, user_id };

	return pa_db_exec(db, &st_subscription_user, params, NULL);
}

pa_err
auth_accounts_phone_verified(struct pa_db *db, const char *phone, bool *taken)
{
	const char *params[1] = { phone };

	return exec_first(db, &st_phone_verified, params, NULL, 0, taken);
}

struct pa_db_step
auth_accounts_phone_taken_step(
    struct auth_args *a, const char *phone, const char *user_id, PGresult **res)
{
	a->p[0] = phone;
	a->p[1] = user_id;
	return (struct pa_db_step) { &st_phone_taken, a->p, res, NULL };
}

enum { TAKEN_VERIFIED, TAKEN_PHONE };

enum auth_register_check
auth_accounts_phone_taken_row(PGresult *res)
{
	enum auth_register_check c = AUTH_REGISTER_GONE;

	if (PQntuples(res) > 0)
		c = PQgetvalue(res, 0, TAKEN_VERIFIED)[0] == 't' ? AUTH_REGISTER_GONE
		    : PQgetvalue(res, 0, TAKEN_PHONE)[0] == 't'  ? AUTH_REGISTER_PHONE_TAKEN
		                                                 : AUTH_REGISTER_OK;
	PQclear(res);
	return c;
}

struct pa_db_step
auth_accounts_verified_step(struct auth_args *a, const char *user_id, const char *verification_id)
{
	a->p[0] = user_id;
	a->p[1] = verification_id;
	return (struct pa_db_step) { &st_user_verified, a->p, NULL, NULL };
}

pa_err
auth_accounts_create_from(struct pa_db *db, const char *verification_id, const char *email,
    const char *pwhash, char user_id[AUTH_UUID_LEN], bool *created)
{
	const char *params[3] = { verification_id, email, pwhash };

	return exec_first(db, &st_create_user, params, user_id, AUTH_UUID_LEN, created);
}

pa_err
auth_accounts_touch(struct pa_db *db, const char *user_id)
{
	const char *params[1] = { user_id };

	return pa_db_exec(db, &st_touch, params, NULL);
}

pa_err
auth_accounts_by_email(
    struct pa_db *db, const char *email, struct auth_user_by_email *out, bool *found)
{
	const char *params[1] = { email };
	PGresult   *res;
	pa_err      rv;

	if ((rv = pa_db_exec(db, &st_user_by_email, params, &res)) != PA_OK)
		return rv;
	if ((*found = PQntuples(res) > 0)) {
		copy_col(out->id, sizeof out->id, res, EMAIL_ID);
		copy_col(out->phone, sizeof out->phone, res, EMAIL_PHONE);
		out->verified = PQgetvalue(res, 0, EMAIL_VERIFIED)[0] == 't';
	}
	PQclear(res);
	return PA_OK;
}

pa_err
auth_accounts_register(struct pa_db *db, const char *email, const char *phone, const char *pwhash,
    char user_id[AUTH_UUID_LEN], bool *created)
{
	const char *params[3] = { email, phone, pwhash };

	return exec_first(db, &st_register_user, params, user_id, AUTH_UUID_LEN, created);
}

pa_err
auth_accounts_set_password(struct pa_db *db, const char *user_id, const char *pwhash)
{
	const char *params[2] = { user_id, pwhash };

	return pa_db_exec(db, &st_set_password, params, NULL);
}

pa_err
auth_accounts_login_lookup(struct pa_db *db, const char *phone, const char *email,
    struct auth_login_user *out, bool *found)
{
	const char *params[2] = { phone, email };
	PGresult   *res;
	pa_err      rv;

	if ((rv = pa_db_exec(db, &st_login_lookup, params, &res)) != PA_OK)
		return rv;
	*out = (struct auth_login_user) { .verified = false };
	if ((*found = PQntuples(res) > 0)) {
		copy_col(out->id, sizeof out->id, res, LOGIN_ID);
		out->has_password = !PQgetisnull(res, 0, LOGIN_HASH);
		copy_col(out->password_hash, sizeof out->password_hash, res, LOGIN_HASH);
		out->verified = PQgetvalue(res, 0, LOGIN_VERIFIED)[0] == 't';
		copy_col(out->phone, sizeof out->phone, res, LOGIN_PHONE);
	}
	PQclear(res);
	return PA_OK;
}

pa_err
auth_accounts_login_ok(struct pa_db *db, const char *user_id)
{
	const char *params[1] = { user_id };

	return pa_db_exec(db, &st_login_ok, params, NULL);
}

pa_err
auth_accounts_login_code_current(
    struct pa_db *db, const char *user_id, const char *verification_id, bool *ok)
{
	const char *params[2] = { user_id, verification_id };
	PGresult   *res;
	pa_err      rv;

	*ok = false;
	if ((rv = pa_db_exec(db, &st_login_code_current, params, &res)) != PA_OK)
		return rv;
	*ok = PQntuples(res) > 0;
	PQclear(res);
	return PA_OK;
}

pa_err
auth_accounts_reset_lookup(struct pa_db *db, const char *phone, const char *email,
    char user_id[AUTH_UUID_LEN], char phone_out[AUTH_PHONE_LEN], bool *found)
{
	const char *params[2] = { phone, email };
	PGresult   *res;
	pa_err      rv;

	if ((rv = pa_db_exec(db, &st_reset_lookup, params, &res)) != PA_OK)
		return rv;
	if ((*found = PQntuples(res) > 0)) {
		copy_col(user_id, AUTH_UUID_LEN, res, RESET_ID);
		copy_col(phone_out, AUTH_PHONE_LEN, res, RESET_PHONE);
	}
	PQclear(res);
	return PA_OK;
}
