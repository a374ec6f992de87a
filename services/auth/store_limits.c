/* store_limits.c: rate_limit_take() calls, batched. */
#include "store_limits.h"

#include <stdio.h>
#include <stdlib.h>

static const struct pa_stmt st_rate
    = { "SELECT rate_limit_take($1, $2, make_interval(secs => $3::int), $4::int)", 4 };

pa_err
auth_limits_take(
    struct pa_db *db, const struct auth_limit *l, size_t n, size_t *refused, int *wait_s)
{
	return auth_limits_take_with(db, l, n, NULL, 0, refused, wait_s);
}

#define AUTH_LIMITS_EXTRA_MAX 4

pa_err
auth_limits_take_with(struct pa_db *db, const struct auth_limit *l, size_t n,
    const struct pa_db_step *extra, size_t nextra, size_t *refused, int *wait_s)
{
	char              win[AUTH_LIMITS_MAX][16], mx[AUTH_LIMITS_MAX][16];
	const char       *params[AUTH_LIMITS_MAX][4];
	PGresult         *res[AUTH_LIMITS_MAX];
	struct pa_db_step steps[AUTH_LIMITS_MAX + AUTH_LIMITS_EXTRA_MAX];
	size_t            which[AUTH_LIMITS_MAX], k = 0;
	pa_err            rv;

	*refused = n;
	*wait_s  = 0;
	for (size_t i = 0; i < n && i < AUTH_LIMITS_MAX; i++) {
		if (l[i].max <= 0 || l[i].subject == NULL)
			continue;
		(void) snprintf(win[k], sizeof win[k], "%d", l[i].window_s);
		(void) snprintf(mx[k], sizeof mx[k], "%d", l[i].max);
		params[k][0] = l[i].bucket;
		params[k][1] = l[i].subject;
		params[k][2] = win[k];
		params[k][3] = mx[k];
		steps[k]     = (struct pa_db_step) { &st_rate, params[k], &res[k], NULL };
		which[k++]   = i;
	}
	if (nextra > AUTH_LIMITS_EXTRA_MAX)
		return PA_EINVAL;
	for (size_t j = 0; j < nextra; j++)
		steps[k + j] = extra[j];
	if (k + nextra == 0 || (rv = pa_db_exec_batch(db, steps, k + nextra)) != PA_OK)
		return k + nextra == 0 ? PA_OK : rv;
	for (size_t j = 0; j < k; j++) {
		int wait = atoi(PQgetvalue(res[j], 0, 0));

		PQclear(res[j]);
		if (wait > 0 && *refused == n) {
			*refused = which[j];
			*wait_s  = wait;
		}
	}
	return PA_OK;
}

static const struct pa_stmt st_clear
    = { "DELETE FROM rate_events WHERE bucket = $1 AND subject = $2", 2 };
static const struct pa_stmt st_give_back
    = { "DELETE FROM rate_events WHERE ctid = (SELECT ctid FROM rate_events"
	" WHERE bucket = $1 AND subject = $2 ORDER BY at DESC LIMIT 1)",
	      2 };

pa_err
auth_limits_clear(struct pa_db *db, const char *bucket, const char *subject)
{
	const char *params[2] = { bucket, subject };

	return pa_db_exec(db, &st_clear, params, NULL);
}

pa_err
auth_limits_give_back(struct pa_db *db, const char *bucket, const char *subject)
{
	const char *params[2] = { bucket, subject };

	return pa_db_exec(db, &st_give_back, params, NULL);
}

/* greatest() takes every applicable limit, so a refusal by one leaves events in the others: the
 * caller rolls back a refused try. Reset and login codes both open an existing account: their
 * tries share one daily bucket per phone and one per account. */
static const struct pa_stmt st_try_limit
    = { "SELECT greatest("
	" CASE WHEN $3::int > 0 THEN rate_limit_take('try_phone', phone_e164,"
	"  make_interval(secs => $2::int), $3::int) ELSE 0 END,"
	" CASE WHEN $4::int > 0 THEN rate_limit_take('try_phone_day', phone_e164,"
	"  interval '1 day', $4::int) ELSE 0 END,"
	" CASE WHEN purpose IN ('password_reset', 'login') AND $5::int > 0 THEN"
	"  rate_limit_take('reset_try_phone', phone_e164, interval '1 day', $5::int) ELSE 0 END,"
	" CASE WHEN purpose IN ('password_reset', 'login') AND $5::int > 0"
	"  AND user_id IS NOT NULL THEN"
	"  rate_limit_take('reset_try_user', user_id::text, interval '1 day', $5::int) ELSE 0 END)"
	" FROM verifications WHERE id = $1::uuid",
	      5 };

struct pa_db_step
auth_limits_try_step(struct auth_args *a, const char *verification_id,
    const struct auth_try_limits *l, PGresult **res)
{
	a->p[0] = verification_id;
	a->p[1] = auth_args_int(a, 0, l->window_s);
	a->p[2] = auth_args_int(a, 1, l->per_window);
	a->p[3] = auth_args_int(a, 2, l->per_day);
	a->p[4] = auth_args_int(a, 3, l->reset_per_day);
	return (struct pa_db_step) { &st_try_limit, a->p, res, NULL };
}

int
auth_limits_wait_row(PGresult *res)
{
	int wait = res != NULL && PQntuples(res) > 0 ? atoi(PQgetvalue(res, 0, 0)) : 0;

	PQclear(res);
	return wait;
}
