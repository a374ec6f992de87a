/* store_accounts.h: the users and subscriptions tables. A user is created unverified (LawnFlow's
 * Register) or from a verified signup (CreateAccount); a phone is unique among verified users
 * only (migration 0001). The SMS worker writes one column here, users.opted_out_at, through its
 * smsw_store_user_opted_out (services/sms-worker/store.h): the only write another process makes. */
#ifndef PHONEAUTH_AUTH_STORE_ACCOUNTS_H
#define PHONEAUTH_AUTH_STORE_ACCOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/db.h"
#include "ids.h"
#include "store.h"
#include "store_codes.h"

/* Links (or re-links, while it has no account) a subscription to a phone; *linked false when
 * the subscription already has an account. */
pa_err auth_accounts_link_subscription(
    struct pa_db *db, const char *subscription_id, const char *phone, bool *linked) PA_MUSTCHECK;
/* The phone a subscription is linked to; *found false when there is no such subscription. */
pa_err auth_accounts_subscription_phone(struct pa_db *db, const char *subscription_id,
    char phone[AUTH_PHONE_LEN], bool *found) PA_MUSTCHECK;
/* The subscription now belongs to user_id. */
pa_err auth_accounts_subscription_user(
    struct pa_db *db, const char *subscription_id, const char *user_id) PA_MUSTCHECK;

/* *taken: a verified account already uses this phone (it is the account's login). */
pa_err auth_accounts_phone_verified(struct pa_db *db, const char *phone, bool *taken) PA_MUSTCHECK;
/* As a batch step, before a registration's code verifies user_id with phone: user_id locked,
 * and whether it may be verified. */
enum auth_register_check {
	AUTH_REGISTER_OK,
	AUTH_REGISTER_PHONE_TAKEN, /* a verified account other than user_id uses the phone */
	AUTH_REGISTER_GONE, /* user_id is verified already (by another code) or deleted */
};
struct pa_db_step auth_accounts_phone_taken_step(
    struct auth_args *a, const char *phone, const char *user_id, PGresult **res);
enum auth_register_check auth_accounts_phone_taken_row(PGresult *res);
/* As a batch step: user_id's phone is verified now, by verification_id, whose phone and
 * password (a registration's) become the user's. */
struct pa_db_step auth_accounts_verified_step(
    struct auth_args *a, const char *user_id, const char *verification_id);

/* The account a verified signup makes: phone, verification time, subscription from the
 * verification; *created false when the phone or email already has one. */
pa_err auth_accounts_create_from(struct pa_db *db, const char *verification_id, const char *email,
    const char *pwhash, char user_id[AUTH_UUID_LEN], bool *created) PA_MUSTCHECK;

/* The user with this email (any case), locked. */
struct auth_user_by_email {
	char id[AUTH_UUID_LEN];
	char phone[AUTH_PHONE_LEN];
	bool verified;
};
pa_err auth_accounts_by_email(
    struct pa_db *db, const char *email, struct auth_user_by_email *out, bool *found) PA_MUSTCHECK;
/* An unverified user registered again: its retention clock (PHONEAUTH_UNVERIFIED_USER_TTL)
 * starts afresh. */
pa_err auth_accounts_touch(struct pa_db *db, const char *user_id) PA_MUSTCHECK;
/* A new unverified user; *created false when the email is taken meanwhile. */
pa_err auth_accounts_register(struct pa_db *db, const char *email, const char *phone,
    const char *pwhash, char user_id[AUTH_UUID_LEN], bool *created) PA_MUSTCHECK;
/* A new password. */
pa_err auth_accounts_set_password(
    struct pa_db *db, const char *user_id, const char *pwhash) PA_MUSTCHECK;

/* Who a login names: the verified owner of the phone first, else the newest match. */
struct auth_login_user {
	char id[AUTH_UUID_LEN];
	char password_hash[128];
	bool has_password;
	bool verified;
	char phone[AUTH_PHONE_LEN];
};
pa_err auth_accounts_login_lookup(struct pa_db *db, const char *phone, const char *email,
    struct auth_login_user *out, bool *found) PA_MUSTCHECK;
/* A good login: last login now. (Failed logins are counted per login and IP in rate_events,
 * flow_login.c; users.failed_logins and locked_until are no longer read or written.) */
pa_err auth_accounts_login_ok(struct pa_db *db, const char *user_id) PA_MUSTCHECK;

/* Locks user_id's row and sets *ok when login code verification_id (its user's) was created
 * after the user's password was last set (migration 0017): the code still proves the password
 * it was sent for. */
pa_err auth_accounts_login_code_current(
    struct pa_db *db, const char *user_id, const char *verification_id, bool *ok) PA_MUSTCHECK;

/* The verified account a reset is for (by phone or email); *found false when none. */
pa_err auth_accounts_reset_lookup(struct pa_db *db, const char *phone, const char *email,
    char user_id[AUTH_UUID_LEN], char phone_out[AUTH_PHONE_LEN], bool *found) PA_MUSTCHECK;

#endif
