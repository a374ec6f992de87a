/* store_breakers.c: the SQL of the pumping defence's tables (migration 0013). */
#include "store_breakers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct pa_stmt st_take
    = { "SELECT blocked, rearmed, tripped, trips, rearm_in_s, unverified_hour, unverified_day,"
	" hour_limit, day_limit FROM pump_breaker_take($1, $2, $3::int, $4::int, $5::int,"
	" $6::int, $7::int, $8::int, $9::int, $10::boolean)",
	      10 };
static const struct pa_stmt st_send
    = { "INSERT INTO pump_events (kind, country, prefix, ip_key, verification_id)"
	" VALUES ('send', $1, $2, $3, $4::uuid)",
	      4 };
static const struct pa_stmt st_verified = { "SELECT pump_note_verified($1::uuid)", 1 };
static const struct pa_stmt st_peek
    = { "SELECT pump_peek($1, $2, $3, $4::int, $5::int, $6::int)", 6 };
static const struct pa_stmt st_captcha_use
    = { "INSERT INTO captcha_used (hash) VALUES ($1::bytea) ON CONFLICT DO NOTHING RETURNING 1",
	      1 };
static const struct pa_stmt st_captcha_forget
    = { "DELETE FROM captcha_used WHERE hash = $1::bytea", 1 };
static const struct pa_stmt st_list
    = { "SELECT b.level, b.key, b.state, b.trips,"
	" (extract(epoch FROM CASE WHEN b.state = 'tripped' THEN b.tripped_at"
	"  ELSE coalesce(b.rearmed_at, b.created_at) END) * 1000)::bigint,"
	" coalesce((extract(epoch FROM CASE WHEN b.state = 'tripped' THEN b.rearm_at END)"
	"  * 1000)::bigint, 0),"
	" coalesce(b.rearmed_by, ''), c.sends, c.verified"
	" FROM pump_breakers b,"
	" LATERAL pump_counts(b.level, b.key, now() - interval '1 day') c"
	" WHERE NOT $1::boolean OR (b.state = 'tripped' AND b.rearm_at > now())"
	" ORDER BY b.state = 'tripped' DESC, c.sends DESC, b.level, b.key LIMIT $2::int",
	      2 };
static const struct pa_stmt st_rearm = { "SELECT pump_breaker_rearm($1, $2)", 2 };
static const struct pa_stmt st_conv
    = { "SELECT country, count(*) FILTER (WHERE kind = 'send'),"
	" count(*) FILTER (WHERE kind = 'verified') FROM pump_events"
	" WHERE at > now() - make_interval(secs => $1::int)"
	" GROUP BY country ORDER BY 2 DESC, 1 LIMIT $2::int",
	      2 };

struct pa_db_step
auth_breakers_take_step(struct auth_breaker_args *a, const char *level, const char *key,
    const struct auth_breaker_rules *r, bool passed, PGresult **res)
{
	const int v[7] = { r->day_min, r->day_ratio, r->hour_min, r->hour_divisor, r->hour_ratio,
		r->cooloff_s, r->cooloff_max_s };

	a->p[0] = level;
	a->p[1] = key;
	for (int i = 0; i < 7; i++) {
		(void) snprintf(a->num[i], sizeof a->num[i], "%d", v[i]);
		a->p[2 + i] = a->num[i];
	}
	a->p[9] = passed ? "true" : "false";
	return (struct pa_db_step) { &st_take, a->p, res, NULL };
}

static bool
bool_at(const PGresult *res, int col)
{
	return PQgetvalue(res, 0, col)[0] == 't';
}

bool
auth_breakers_take_row(PGresult *res, struct auth_breaker_take *out)
{
	bool found = res != NULL && PQntuples(res) == 1 && PQnfields(res) == 9;

	memset(out, 0, sizeof *out);
	if (found) {
		out->blocked         = bool_at(res, 0);
		out->rearmed         = bool_at(res, 1);
		out->tripped         = bool_at(res, 2);
		out->trips           = atoi(PQgetvalue(res, 0, 3));
		out->rearm_in_s      = atoi(PQgetvalue(res, 0, 4));
		out->unverified_hour = atoi(PQgetvalue(res, 0, 5));
		out->unverified_day  = atoi(PQgetvalue(res, 0, 6));
		out->hour_limit      = atoi(PQgetvalue(res, 0, 7));
		out->day_limit       = atoi(PQgetvalue(res, 0, 8));
	}
	PQclear(res);
	return found;
}

struct pa_db_step
auth_breakers_send_step(struct auth_args *a, const char *country, const char *prefix,
    const char *ip_key, const char *verification_id)
{
	a->p[0] = country;
	a->p[1] = prefix;
	a->p[2] = ip_key;
	a->p[3] = verification_id;
	return (struct pa_db_step) { &st_send, a->p, NULL, NULL };
}

struct pa_db_step
auth_breakers_verified_step(struct auth_args *a, const char *verification_id)
{
	a->p[0] = verification_id;
	return (struct pa_db_step) { &st_verified, a->p, NULL, NULL };
}

pa_err
auth_breakers_peek(struct pa_db *db, const struct auth_breakers_peek_in *in, char why[16])
{
	char        bh[16], bd[16], ic[16];
	const char *params[6]
	    = { in->country, in->prefix, in->ip_key, AUTH_ITOA(bh, in->budget_hour),
		      AUTH_ITOA(bd, in->budget_day), AUTH_ITOA(ic, in->ip_countries) };
	PGresult *res;
	pa_err    rv;

	why[0] = '\0';
	if ((rv = pa_db_exec(db, &st_peek, params, &res)) != PA_OK)
		return rv;
	if (PQntuples(res) == 1)
		(void) snprintf(why, 16, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return PA_OK;
}

pa_err
auth_captcha_use(struct pa_db *db, const unsigned char hash[32], bool *fresh)
{
	const char *params[1]  = { (const char *) hash };
	const int   lengths[1] = { 32 };
	PGresult   *res;
	pa_err      rv;

	*fresh = false;
	if ((rv = pa_db_exec_len(db, &st_captcha_use, params, lengths, &res)) != PA_OK)
		return rv;
	*fresh = PQntuples(res) == 1;
	PQclear(res);
	return PA_OK;
}

pa_err
auth_captcha_forget(struct pa_db *db, const unsigned char hash[32])
{
	const char *params[1]  = { (const char *) hash };
	const int   lengths[1] = { 32 };

	return pa_db_exec_len(db, &st_captcha_forget, params, lengths, NULL);
}

pa_err
auth_breakers_list(
    struct pa_db *db, bool tripped_only, struct auth_breaker_row *rows, size_t max, size_t *n)
{
	char        lim[16];
	const char *params[2] = { tripped_only ? "true" : "false", AUTH_ITOA(lim, max) };
	PGresult   *res;
	pa_err      rv;

	*n = 0;
	if ((rv = pa_db_exec(db, &st_list, params, &res)) != PA_OK)
		return rv;
	for (int i = 0; i < PQntuples(res) && *n < max; i++) {
		struct auth_breaker_row *b = &rows[(*n)++];

		(void) snprintf(b->level, sizeof b->level, "%s", PQgetvalue(res, i, 0));
		(void) snprintf(b->key, sizeof b->key, "%s", PQgetvalue(res, i, 1));
		(void) snprintf(b->state, sizeof b->state, "%s", PQgetvalue(res, i, 2));
		b->trips       = atoi(PQgetvalue(res, i, 3));
		b->since_ms    = strtoll(PQgetvalue(res, i, 4), NULL, 10);
		b->rearm_at_ms = strtoll(PQgetvalue(res, i, 5), NULL, 10);
		(void) snprintf(b->rearmed_by, sizeof b->rearmed_by, "%s", PQgetvalue(res, i, 6));
		b->sends_day    = atoi(PQgetvalue(res, i, 7));
		b->verified_day = atoi(PQgetvalue(res, i, 8));
	}
	PQclear(res);
	return PA_OK;
}

pa_err
auth_breakers_rearm(struct pa_db *db, const char *level, const char *key, bool *done)
{
	const char *params[2] = { level, key };
	PGresult   *res;
	pa_err      rv;

	*done = false;
	if ((rv = pa_db_exec(db, &st_rearm, params, &res)) != PA_OK)
		return rv;
	*done = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return PA_OK;
}

pa_err
auth_breakers_conversion(
    struct pa_db *db, int window_s, struct auth_country_conv *rows, size_t max, size_t *n)
{
	char        win[16], lim[16];
	const char *params[2] = { AUTH_ITOA(win, window_s), AUTH_ITOA(lim, max) };
	PGresult   *res;
	pa_err      rv;

	*n = 0;
	if ((rv = pa_db_exec(db, &st_conv, params, &res)) != PA_OK)
		return rv;
	for (int i = 0; i < PQntuples(res) && *n < max; i++) {
		struct auth_country_conv *c = &rows[(*n)++];

		(void) snprintf(c->country, sizeof c->country, "%s", PQgetvalue(res, i, 0));
		c->sends    = strtol(PQgetvalue(res, i, 1), NULL, 10);
		c->verified = strtol(PQgetvalue(res, i, 2), NULL, 10);
	}
	PQclear(res);
	return PA_OK;
}
