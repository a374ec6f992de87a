/* store_breakers.h: the SMS pumping defence's tables (migration 0013): pump_events (each SMS sent
 * and each code verified, by destination), pump_daily (verified codes per breaker and day),
 * pump_breakers (one circuit breaker per destination: a country and a longer E.164 prefix) and
 * captcha_used (tokens already spent). The breaker decision itself is the database's
 * pump_breaker_take(), under the breaker row's lock, so it holds across auth instances. Functions
 * named *_step build one statement of a batch (store_codes.h); the rest run at once. */
#ifndef PHONEAUTH_AUTH_STORE_BREAKERS_H
#define PHONEAUTH_AUTH_STORE_BREAKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/db.h"
#include "store.h"

#define AUTH_BREAKER_KEY_MAX 20 /* "+" and up to 15 digits, or a region, and the NUL */

/* The thresholds and cool-off every breaker uses (the PHONEAUTH_PUMP_* settings). */
struct auth_breaker_rules {
	int day_min, day_ratio; /* ratio in percent */
	int hour_min, hour_divisor, hour_ratio;
	int cooloff_s, cooloff_max_s;
};

/* One breaker's answer for a send (pump_breaker_take). */
struct auth_breaker_take {
	bool blocked; /* tripped and the send passed no captcha */
	bool rearmed; /* its cool-off ended on this call: it re-armed */
	bool tripped; /* this send would have gone past a threshold: it tripped */
	int  trips; /* trips in a row */
	int  rearm_in_s; /* while tripped: seconds until it re-arms by itself */
	int  unverified_hour, unverified_day, hour_limit, day_limit;
};

/* Storage for one take step's parameters while its batch runs. */
struct auth_breaker_args {
	const char *p[10];
	char        num[7][16];
};

/* The send's decision for breaker (level "country" or "prefix", key), locking its row until the
 * transaction ends; passed: the send passed a captcha (a tripped breaker lets it through). */
struct pa_db_step auth_breakers_take_step(struct auth_breaker_args *a, const char *level,
    const char *key, const struct auth_breaker_rules *r, bool passed, PGresult **res);
/* False when the step gave no row (then *out is zeroed). Frees res. */
bool auth_breakers_take_row(PGresult *res, struct auth_breaker_take *out);

/* One SMS sent for verification_id to (country, prefix) from ip_key. */
struct pa_db_step auth_breakers_send_step(struct auth_args *a, const char *country,
    const char *prefix, const char *ip_key, const char *verification_id);
/* Verification verification_id succeeded: counted for the destination its code went to. */
struct pa_db_step auth_breakers_verified_step(struct auth_args *a, const char *verification_id);

/* What the quick read before a send's transaction says (pump_peek). */
struct auth_breakers_peek_in {
	const char *country, *prefix, *ip_key;
	int         budget_hour, budget_day, ip_countries;
};
/* Writes why[] = "destination", "budget", "ip" or "" (nothing asks for a captcha). */
pa_err auth_breakers_peek(
    struct pa_db *db, const struct auth_breakers_peek_in *in, char why[16]) PA_MUSTCHECK;

/* Marks a captcha token (its hash) used; *fresh false when it had been used before. */
pa_err auth_captcha_use(struct pa_db *db, const unsigned char hash[32], bool *fresh) PA_MUSTCHECK;
/* Forgets a token's use (the provider could not say whether it was good). */
pa_err auth_captcha_forget(struct pa_db *db, const unsigned char hash[32]) PA_MUSTCHECK;

/* One breaker as the Admin views show it. */
struct auth_breaker_row {
	char    level[8];
	char    key[AUTH_BREAKER_KEY_MAX];
	char    state[8]; /* armed, tripped */
	int     trips;
	int64_t since_ms; /* tripped: when it tripped; armed: last re-arm or creation (unix ms) */
	int64_t rearm_at_ms; /* tripped: when it re-arms by itself; 0 otherwise */
	char    rearmed_by[8]; /* "auto", "admin" or "" */
	int     sends_day, verified_day; /* the last 24 h, whatever the last re-arm */
};
/* Up to max breakers, tripped first, then by the last day's sends; only tripped ones when
 * tripped_only. *n is how many were written. */
pa_err auth_breakers_list(struct pa_db *db, bool tripped_only, struct auth_breaker_row *rows,
    size_t max, size_t *n) PA_MUSTCHECK;
/* Re-arms (level, key) now, in db's transaction if one is open; *done false when it was not
 * tripped (or does not exist). */
pa_err auth_breakers_rearm(
    struct pa_db *db, const char *level, const char *key, bool *done) PA_MUSTCHECK;

/* Sends and verified codes per destination country over the last window_s seconds (the Stats
 * view's conversion). */
struct auth_country_conv {
	char country[4];
	long sends, verified;
};
pa_err auth_breakers_conversion(struct pa_db *db, int window_s, struct auth_country_conv *rows,
    size_t max, size_t *n) PA_MUSTCHECK;

#endif
