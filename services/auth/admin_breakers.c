/* admin_breakers.c: the Admin views of the SMS pumping defence: ListBreakers, RearmBreaker (an
 * admin's re-arm, with its own audit row in the same transaction), and the conversion by
 * country that Stats shows. */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "audit.h"
#include "caller.h"
#include "phoneauth/v1/admin.pb-c.h"
#include "pump.h"
#include "store_breakers.h"

#define BREAKERS_DEFAULT 50
#define BREAKERS_MAX 500
#define CONVERSION_COUNTRIES 50

static double
ratio(long num, long den)
{
	return den > 0 ? (double) num / (double) den : 0.0;
}

struct pa_rpc_result
auth_admin_list_breakers(struct pa_rpc_call *call, void *state, const void *in_, void *out_)
{
	struct auth_worker                       *w   = state;
	const Phoneauth__V1__ListBreakersRequest *in  = in_;
	Phoneauth__V1__ListBreakersResponse      *out = out_;
	size_t                                    max = in->limit == 0    ? BREAKERS_DEFAULT
	                                       : in->limit > BREAKERS_MAX ? BREAKERS_MAX
	                                                                  : in->limit;
	struct auth_breaker_row *rows                 = pa_rpc_call_alloc(call, max * sizeof *rows);
	json_object             *d                    = json_object_new_object();
	bool                     oom                  = false;
	size_t                   n;
	pa_err                   rv;

	if (rows == NULL) {
		json_object_put(d);
		return pa_rpc_fail_err(PA_ENOMEM);
	}
	if (in->tripped_only && d != NULL)
		(void) json_object_object_add(d, "tripped_only", json_object_new_boolean(true));
	auth_admin_jint(d, "limit", in->limit);
	if ((rv = auth_admin_audit(w, call, d)) != PA_OK
	    || (rv = auth_breakers_list(w->db, in->tripped_only, rows, max, &n)) != PA_OK)
		return pa_rpc_fail_err(rv);
	out->breakers = pa_rpc_call_alloc(call, (n + 1) * sizeof *out->breakers);
	if (out->breakers == NULL)
		return pa_rpc_fail_err(PA_ENOMEM);
	for (size_t i = 0; i < n && !oom; i++) {
		Phoneauth__V1__Breaker *b = pa_rpc_call_alloc(call, sizeof *b);

		if (b == NULL) {
			oom = true;
			break;
		}
		phoneauth__v1__breaker__init(b);
		b->level                         = auth_admin_dup(call, rows[i].level, &oom);
		b->key                           = auth_admin_dup(call, rows[i].key, &oom);
		b->state                         = auth_admin_dup(call, rows[i].state, &oom);
		b->rearmed_by                    = auth_admin_dup(call, rows[i].rearmed_by, &oom);
		b->trips                         = (uint32_t) rows[i].trips;
		b->since_unix_ms                 = rows[i].since_ms;
		b->rearm_at_unix_ms              = rows[i].rearm_at_ms;
		b->sends_day                     = (uint64_t) rows[i].sends_day;
		b->verified_day                  = (uint64_t) rows[i].verified_day;
		b->conversion_day                = ratio(rows[i].verified_day, rows[i].sends_day);
		out->breakers[out->n_breakers++] = b;
	}
	return oom ? pa_rpc_fail_err(PA_ENOMEM) : pa_rpc_ok(NULL);
}

struct pa_rpc_result
auth_admin_rearm_breaker(struct pa_rpc_call *call, void *state, const void *in_, void *out_)
{
	struct auth_worker                       *w     = state;
	const Phoneauth__V1__RearmBreakerRequest *in    = in_;
	Phoneauth__V1__RearmBreakerResponse      *out   = out_;
	const char                               *level = in->level != NULL ? in->level : "";
	const char                               *key   = in->key != NULL ? in->key : "";
	char                                      detail[160];
	bool                                      done;
	pa_err                                    rv;

	if ((strcmp(level, "country") != 0 && strcmp(level, "prefix") != 0) || key[0] == '\0'
	    || strlen(key) >= AUTH_BREAKER_KEY_MAX || strpbrk(key, "\"\\") != NULL)
		return pa_rpc_fail(CODE(INVALID_ARGUMENT), REASON(MISSING_FIELD),
		    "level must be country or prefix, with the breaker's key");
	if ((rv = pa_db_begin(w->db)) != PA_OK
	    || (rv = auth_breakers_rearm(w->db, level, key, &done)) != PA_OK)
		return auth_db_fail(w, call, rv);
	(void) snprintf(detail, sizeof detail,
	    "{\"method\":\"RearmBreaker\",\"level\":\"%s\",\"key\":\"%s\",\"by\":\"admin\"}", level,
	    key);
	if ((rv = auth_audit_write(w->db,
	         &(struct auth_audit) { .event = done ? "breaker_rearmed" : "admin_call",
	             .actor                    = "admin",
	             .outcome                  = done ? "admin" : "not_tripped",
	             .ip                       = auth_caller_ip(call),
	             .detail_json              = detail }))
	        != PA_OK
	    || (rv = pa_db_commit(w->db)) != PA_OK)
		return auth_db_fail(w, call, rv);
	if (done)
		auth_pump_admin_rearmed(w->app, level);
	out->rearmed = done;
	return pa_rpc_ok(done ? "Re-armed." : "That breaker is not tripped.");
}

/* Stats' conversion by country (pump_events). */
pa_err
auth_admin_stats_conversion(struct auth_worker *w, struct pa_rpc_call *call, uint32_t window_s,
    Phoneauth__V1__StatsResponse *out)
{
	struct auth_country_conv rows[CONVERSION_COUNTRIES];
	bool                     oom = false;
	size_t                   n;
	pa_err                   rv;

	if ((rv = auth_breakers_conversion(w->db, (int) window_s, rows, CONVERSION_COUNTRIES, &n))
	    != PA_OK)
		return rv;
	out->conversion_by_country
	    = pa_rpc_call_alloc(call, (n + 1) * sizeof *out->conversion_by_country);
	if (out->conversion_by_country == NULL)
		return PA_ENOMEM;
	for (size_t i = 0; i < n && !oom; i++) {
		Phoneauth__V1__CountryConversion *c = pa_rpc_call_alloc(call, sizeof *c);

		if (c == NULL)
			return PA_ENOMEM;
		phoneauth__v1__country_conversion__init(c);
		c->country    = auth_admin_dup(call, rows[i].country, &oom);
		c->sends      = (uint64_t) rows[i].sends;
		c->verified   = (uint64_t) rows[i].verified;
		c->conversion = ratio(rows[i].verified, rows[i].sends);
		out->conversion_by_country[out->n_conversion_by_country++] = c;
	}
	return oom ? PA_ENOMEM : PA_OK;
}
