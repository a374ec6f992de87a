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
	char              win[AUTH_LIMITS_MAX][16], mx[AUTH_LIMITS_MAX][16];
	const char       *params[AUTH_LIMITS_MAX][4];
	PGresult         *res[AUTH_LIMITS_MAX];
	struct pa_db_step steps[AUTH_LIMITS_MAX];
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
	if (k == 0 || (rv = pa_db_exec_batch(db, steps, k)) != PA_OK)
		return k == 0 ? PA_OK : rv;
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

static const struct pa_stmt st_try_limit
    = { "SELECT rate_limit_take($1, phone_e164, make_interval(secs => $3::int), $4::int)"
	" FROM verifications WHERE id = $2::uuid",
	      4 };

struct pa_db_step
auth_limits_try_step(struct auth_args *a, const char *bucket, const char *verification_id,
    int window_s, int max, PGresult **res)
{
	a->p[0] = bucket;
	a->p[1] = verification_id;
	a->p[2] = auth_args_int(a, 0, window_s);
	a->p[3] = auth_args_int(a, 1, max);
	return (struct pa_db_step) { &st_try_limit, a->p, res, NULL };
}

int
auth_limits_wait_row(PGresult *res)
{
	int wait = res != NULL && PQntuples(res) > 0 ? atoi(PQgetvalue(res, 0, 0)) : 0;

	PQclear(res);
	return wait;
}
