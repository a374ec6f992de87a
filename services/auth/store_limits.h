/* store_limits.h: sliding-window limits in the rate_events table, through the database's
 * rate_limit_take() (migration 0001: an advisory lock per bucket and subject, so a limit holds
 * across instances and concurrent calls). The events taken stay only if the caller commits. */
#ifndef PHONEAUTH_AUTH_STORE_LIMITS_H
#define PHONEAUTH_AUTH_STORE_LIMITS_H

#include <stddef.h>

#include "common/db.h"
#include "store.h"

/* One event to take from a limit. */
struct auth_limit {
	const char *bucket; /* "send_phone", "send_ip", "try_phone", ... */
	const char *subject; /* a phone, an IP; NULL: this limit is not taken */
	int         window_s;
	int         max; /* <= 0: not taken */
};

#define AUTH_LIMITS_MAX 4

/* Takes one event from each of l[0..n) (n <= AUTH_LIMITS_MAX) in one round trip. *refused is the
 * index of the first limit that refused, in order, or n when all allowed; *wait_s is then its
 * seconds until it allows again. */
pa_err auth_limits_take(struct pa_db *db, const struct auth_limit *l, size_t n, size_t *refused,
    int *wait_s) PA_MUSTCHECK;

/* auth_limits_take with extra[0..nextra) run in the same round trip after the limits' steps
 * (each keeps its own out). */
pa_err auth_limits_take_with(struct pa_db *db, const struct auth_limit *l, size_t n,
    const struct pa_db_step *extra, size_t nextra, size_t *refused, int *wait_s) PA_MUSTCHECK;

/* Removes every event of (bucket, subject): the limit starts afresh (a right password clears
 * the failures counted against its login and IP). */
pa_err auth_limits_clear(struct pa_db *db, const char *bucket, const char *subject) PA_MUSTCHECK;
/* Gives back the newest event of (bucket, subject): one taken for an attempt that turned out not
 * to count (a right password). */
pa_err auth_limits_give_back(
    struct pa_db *db, const char *bucket, const char *subject) PA_MUSTCHECK;

/* The limits a try on a code is taken from (each <= 0: off). */
struct auth_try_limits {
	int window_s, per_window; /* per phone ("try_phone") */
	int per_day; /* per phone, every purpose, 24 h ("try_phone_day") */
	int reset_per_day; /* reset codes, per phone and per account, 24 h ("reset_try_phone",
	                    * "reset_try_user") */
};
/* As a batch step: one try on verification_id's code taken from each limit that applies to it
 * (its phone; for a reset code its phone and its account too). auth_limits_wait_row gives the
 * seconds until every one allows again (0: allowed, or no such verification). */
struct pa_db_step auth_limits_try_step(struct auth_args *a, const char *verification_id,
    const struct auth_try_limits *l, PGresult **res);
int               auth_limits_wait_row(PGresult *res);

#endif
