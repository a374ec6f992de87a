/* pump.c: the SMS pumping defence's decisions around a send (pump.h); the SQL is
 * store_breakers.c's, the captcha provider captcha.c's. */
#include "pump.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "captcha.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/phone.h"
#include "store.h"

enum pump_mode { PUMP_OFF, PUMP_RECORD, PUMP_ON };
enum captcha_mode { CAPTCHA_OFF, CAPTCHA_ON_RISK, CAPTCHA_ALWAYS };

/* Why a send was refused, as the refusals metric labels it. */
enum refusal {
	REFUSED_CHALLENGE,
	REFUSED_PAUSED,
	REFUSED_BUDGET,
	REFUSED_IP,
	REFUSED_UNAVAILABLE,
	REFUSED_N
};
static const char *const refusal_names[REFUSED_N] = { "challenge_required", "destination_paused",
	"send_budget", "ip_limit", "challenge_unavailable" };

enum verdict { V_PASSED, V_FAILED, V_MISSING, V_REUSED, V_UNAVAILABLE, V_N };
static const char *const verdict_names[V_N]
    = { "passed", "failed", "missing", "reused", "unavailable" };

static const char *const level_names[2] = { "country", "prefix" };

struct auth_pump {
	enum pump_mode            mode;
	enum captcha_mode         captcha;
	const char               *verify_url; /* cfg's or the provider's */
	struct auth_breaker_rules rules;
	_Atomic uint64_t          trips[2]; /* per level */
	_Atomic uint64_t          rearms_auto[2], rearms_admin[2];
	_Atomic uint64_t          refusals[REFUSED_N];
	_Atomic uint64_t          verdicts[V_N];
	_Atomic uint64_t risk_budget, risk_ip, risk_destination; /* gate checks that found */
	atomic_bool      budget_spent; /* the last gate check found the budget spent */
};

int
auth_pump_init(struct auth_app *app, char *err, size_t errsz)
{
	const struct auth_config *c = &app->cfg;
	struct auth_pump         *p = calloc(1, sizeof *p);

	if (p == NULL) {
		(void) snprintf(err, errsz, "out of memory");
		return -1;
	}
	app->pump = p;
	if (strcmp(c->pump, "off") == 0)
		p->mode = PUMP_OFF;
	else if (strcmp(c->pump, "record") == 0)
		p->mode = PUMP_RECORD;
	else if (strcmp(c->pump, "on") == 0)
		p->mode = PUMP_ON;
	else {
		(void) snprintf(err, errsz, "PHONEAUTH_PUMP must be off, record or on");
		return -1;
	}
	if (strcmp(c->captcha, "off") == 0)
		p->captcha = CAPTCHA_OFF;
	else if (strcmp(c->captcha, "on-risk") == 0)
		p->captcha = CAPTCHA_ON_RISK;
	else if (strcmp(c->captcha, "always") == 0)
		p->captcha = CAPTCHA_ALWAYS;
	else {
		(void) snprintf(err, errsz, "PHONEAUTH_CAPTCHA must be off, on-risk or always");
		return -1;
	}
	if ((p->verify_url = auth_captcha_default_url(c->captcha_provider)) == NULL) {
		(void) snprintf(
		    err, errsz, "PHONEAUTH_CAPTCHA_PROVIDER must be turnstile or hcaptcha");
		return -1;
	}
	if (c->captcha_verify_url != NULL && c->captcha_verify_url[0] != '\0')
		p->verify_url = c->captcha_verify_url;
	if (p->captcha != CAPTCHA_OFF
	    && (c->captcha_secret == NULL || c->captcha_secret[0] == '\0')) {
		(void) snprintf(err, errsz,
		    "PHONEAUTH_CAPTCHA_SECRET is required when PHONEAUTH_CAPTCHA is not off");
		return -1;
	}
	if (c->pump_cooloff_max_s < c->pump_cooloff_s) {
		(void) snprintf(err, errsz,
		    "PHONEAUTH_PUMP_COOLOFF_MAX must be at least PHONEAUTH_PUMP_COOLOFF");
		return -1;
	}
	p->rules = (struct auth_breaker_rules) { .day_min = c->pump_day_min,
		.day_ratio                                = c->pump_day_ratio,
		.hour_min                                 = c->pump_hour_min,
		.hour_divisor                             = c->pump_hour_divisor,
		.hour_ratio                               = c->pump_hour_ratio,
		.cooloff_s                                = c->pump_cooloff_s,
		.cooloff_max_s                            = c->pump_cooloff_max_s };
	return 0;
}

void
auth_pump_free(struct auth_app *app)
{
	free(app->pump);
	app->pump = NULL;
}

bool
auth_pump_active(const struct auth_app *app)
{
	return app->pump != NULL
	    && (app->pump->mode != PUMP_OFF || app->pump->captcha == CAPTCHA_ALWAYS);
}

bool
auth_pump_counting(const struct auth_app *app)
{
	return app->pump != NULL && app->pump->mode != PUMP_OFF;
}

void
auth_pump_take_discard(struct auth_pump_take *t)
{
	for (int i = 0; i < 2; i++) {
		PQclear(t->res[i]);
		t->res[i] = NULL;
	}
	t->n = 0;
}

static void
count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static uint64_t
get(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void
auth_pump_write_metrics(struct pa_strbuf *out, const struct auth_pump *p)
{
	if (p == NULL)
		return;
	pa_metrics_header(out, "phoneauth_pump_trips_total", "counter",
	    "Circuit breakers that tripped, by level (country, prefix).");
	for (int i = 0; i < 2; i++)
		pa_strbuf_printf(out, "phoneauth_pump_trips_total{level=\"%s\"} %llu\n",
		    level_names[i], (unsigned long long) get(&p->trips[i]));
	pa_metrics_header(out, "phoneauth_pump_rearms_total", "counter",
	    "Circuit breakers that re-armed, by level and by whom (auto after the cool-off, "
	    "admin).");
	for (int i = 0; i < 2; i++) {
		pa_strbuf_printf(out,
		    "phoneauth_pump_rearms_total{level=\"%s\",by=\"auto\"} %llu\n", level_names[i],
		    (unsigned long long) get(&p->rearms_auto[i]));
		pa_strbuf_printf(out,
		    "phoneauth_pump_rearms_total{level=\"%s\",by=\"admin\"} %llu\n", level_names[i],
		    (unsigned long long) get(&p->rearms_admin[i]));
	}
	pa_metrics_header(out, "phoneauth_pump_refusals_total", "counter",
	    "Sends the pumping defence refused, by reason.");
	for (int i = 0; i < REFUSED_N; i++)
		pa_strbuf_printf(out, "phoneauth_pump_refusals_total{reason=\"%s\"} %llu\n",
		    refusal_names[i], (unsigned long long) get(&p->refusals[i]));
	pa_metrics_header(out, "phoneauth_captcha_verifications_total", "counter",
	    "Captcha tokens checked for sends, by verdict.");
	for (int i = 0; i < V_N; i++)
		pa_strbuf_printf(out,
		    "phoneauth_captcha_verifications_total{verdict=\"%s\"} %llu\n",
		    verdict_names[i], (unsigned long long) get(&p->verdicts[i]));
	pa_metrics_header(out, "phoneauth_pump_risk_total", "counter",
	    "Sends the check before the transaction found risky, by signal.");
	pa_strbuf_printf(out, "phoneauth_pump_risk_total{signal=\"destination\"} %llu\n",
	    (unsigned long long) get(&p->risk_destination));
	pa_strbuf_printf(out, "phoneauth_pump_risk_total{signal=\"budget\"} %llu\n",
	    (unsigned long long) get(&p->risk_budget));
	pa_strbuf_printf(out, "phoneauth_pump_risk_total{signal=\"ip\"} %llu\n",
	    (unsigned long long) get(&p->risk_ip));
	pa_metrics_header(out, "phoneauth_send_budget_exceeded", "gauge",
	    "1 while the global hourly or daily SMS budget is spent (alert on it).");
	pa_strbuf_printf(
	    out, "phoneauth_send_budget_exceeded %d\n", atomic_load(&p->budget_spent) ? 1 : 0);
}

static struct pa_rpc_result
refuse(
    const struct auth_app *app, struct pa_rpc_call *call, enum refusal why, uint32_t retry_after_s)
{
	const struct pa_policy *pol = auth_caller_policy(app, call);
	struct pa_rpc_result    r;

	count(&app->pump->refusals[why]);
	switch (why) {
	case REFUSED_CHALLENGE:
		r = pa_rpc_fail(CODE(FAILED_PRECONDITION), REASON(CHALLENGE_REQUIRED),
		    pol->msg_challenge_required);
		break;
	case REFUSED_PAUSED:
		r = pa_rpc_fail(CODE(RESOURCE_EXHAUSTED), REASON(DESTINATION_PAUSED),
		    pol->msg_destination_paused);
		break;
	case REFUSED_BUDGET:
		r = pa_rpc_fail(
		    CODE(RESOURCE_EXHAUSTED), REASON(SEND_BUDGET), pol->msg_send_budget);
		break;
	case REFUSED_IP:
		r = pa_rpc_fail(
		    CODE(RESOURCE_EXHAUSTED), REASON(IP_LIMIT), pol->msg_rate_limited_ip);
		break;
	default:
		r = pa_rpc_fail(CODE(UNAVAILABLE), REASON(CHALLENGE_UNAVAILABLE),
		    pol->msg_challenge_unavailable);
		break;
	}
	r.retry_after_s = retry_after_s;
	return r;
}

/* The call's captcha token, checked once: its hash marked used first (a token works once, even
 * when two calls race with it), then the provider asked. */
static struct pa_rpc_result
check_token(struct auth_worker *w, struct pa_rpc_call *call, struct auth_pump_pass *pass)
{
	struct auth_pump *p     = w->app->pump;
	const char       *token = pa_rpc_call_caller(call)->captcha_token;
	unsigned char     hash[32];
	bool              fresh;
	pa_err            rv;

	if (token == NULL || token[0] == '\0') {
		count(&p->verdicts[V_MISSING]);
		return refuse(w->app, call, REFUSED_CHALLENGE, 0);
	}
	crypto_generichash(
	    hash, sizeof hash, (const unsigned char *) token, strlen(token), NULL, 0);
	if ((rv = auth_captcha_use(w->db, hash, &fresh)) != PA_OK)
		return auth_db_fail(w, call, rv);
	if (!fresh) {
		count(&p->verdicts[V_REUSED]);
		return refuse(w->app, call, REFUSED_CHALLENGE, 0);
	}
	switch (auth_captcha_verify(p->verify_url, w->app->cfg.captcha_secret, token,
	    auth_caller_ip(call), w->app->cfg.captcha_timeout_s)) {
	case AUTH_CAPTCHA_PASSED:
		count(&p->verdicts[V_PASSED]);
		pass->passed = true;
		return pa_rpc_ok(NULL);
	case AUTH_CAPTCHA_FAILED:
		count(&p->verdicts[V_FAILED]);
		return refuse(w->app, call, REFUSED_CHALLENGE, 0);
	default:
		/* Nobody said the token was bad: it may be tried again. */
		count(&p->verdicts[V_UNAVAILABLE]);
		if ((rv = auth_captcha_forget(w->db, hash)) != PA_OK)
			pa_log_warn("captcha_forget_failed", "sqlstate=%s", pa_db_sqlstate(w->db));
		return refuse(w->app, call, REFUSED_UNAVAILABLE,
		    (uint32_t) w->app->cfg.captcha_retry_after_s);
	}
}

/* The destination's breaker keys and the caller's IP key. */
static void
destination(
    struct auth_app *app, struct pa_rpc_call *call, const char *phone, struct auth_pump_pass *pass)
{
	struct pa_phone ph = { .region = "" };
	size_t          n  = 1 + (size_t) app->cfg.pump_prefix_digits;

	switch (pa_phone_check(&ph, phone, app->cfg.default_region, app->cfg.allowed_countries)) {
	case PA_PHONE_OK:
	case PA_PHONE_NOT_MOBILE:
	case PA_PHONE_PREMIUM:
	case PA_PHONE_COUNTRY_NOT_ALLOWED:
		break;
	default:
		ph.region[0] = '\0';
		break;
	}
	/* libphonenumber's name for a number of no country (+800 ...). */
	(void) snprintf(
	    pass->country, sizeof pass->country, "%s", ph.region[0] ? ph.region : "001");
	(void) snprintf(pass->prefix, sizeof pass->prefix, "%.*s", (int) n, phone);
	(void) auth_caller_ip_key(app, call, pass->ip_key);
}

struct pa_rpc_result
auth_pump_gate(
    struct auth_worker *w, struct pa_rpc_call *call, const char *phone, struct auth_pump_pass *pass)
{
	struct auth_app  *app     = w->app;
	struct auth_pump *p       = app->pump;
	char              why[16] = "";
	pa_err            rv;

	memset(pass, 0, sizeof *pass);
	/* A test number is sent nothing: it spends no budget and trips no breaker. */
	if (!auth_pump_active(app) || auth_test_number_code(&app->tests, phone) != NULL)
		return pa_rpc_ok(NULL);
	destination(app, call, phone, pass);
	pass->on = p->mode != PUMP_OFF;
	if (p->captcha == CAPTCHA_ALWAYS)
		return check_token(w, call, pass);
	if (p->mode != PUMP_ON)
		return pa_rpc_ok(NULL);
	if ((rv = auth_breakers_peek(w->db,
	         &(struct auth_breakers_peek_in) { .country = pass->country,
	             .prefix                                = pass->prefix,
	             .ip_key                                = pass->ip_key,
	             .budget_hour                           = app->cfg.send_budget_hour,
	             .budget_day                            = app->cfg.send_budget_day,
	             .ip_countries                          = app->cfg.pump_ip_countries },
	         why))
	    != PA_OK)
		return auth_db_fail(w, call, rv);
	atomic_store(&p->budget_spent, strcmp(why, "budget") == 0);
	if (why[0] == '\0')
		return pa_rpc_ok(NULL);
	if (strcmp(why, "budget") == 0)
		count(&p->risk_budget);
	else if (strcmp(why, "ip") == 0)
		count(&p->risk_ip);
	else
		count(&p->risk_destination);
	if (p->captcha == CAPTCHA_OFF)
		return refuse(app, call,
		    strcmp(why, "budget") == 0   ? REFUSED_BUDGET
		        : strcmp(why, "ip") == 0 ? REFUSED_IP
		                                 : REFUSED_PAUSED,
		    0);
	return check_token(w, call, pass);
}

size_t
auth_pump_take_steps(const struct auth_app *app, const struct auth_pump_pass *pass,
    struct auth_pump_take *t, struct pa_db_step *steps)
{
	/* Recording only: trips are kept, nothing is refused. */
	bool passed = pass->passed || app->pump->mode == PUMP_RECORD;

	memset(t, 0, sizeof *t);
	if (!pass->on)
		return 0;
	steps[0] = auth_breakers_take_step(
	    &t->a[0], "country", pass->country, &app->pump->rules, passed, &t->res[0]);
	steps[1] = auth_breakers_take_step(
	    &t->a[1], "prefix", pass->prefix, &app->pump->rules, passed, &t->res[1]);
	t->n = 2;
	return 2;
}

static const char *
key_of(const struct auth_pump_pass *pass, int level)
{
	return level == 0 ? pass->country : pass->prefix;
}

/* An audit row per trip and re-arm in t, added to steps; returns how many. */
static size_t
audit_steps(const struct auth_pump_pass *pass, struct auth_pump_take *t, struct pa_db_step *steps)
{
	size_t n = 0;

	for (int i = 0; i < 2 && t->n == 2; i++) {
		const struct auth_breaker_take *b = &t->t[i];

		if (b->rearmed) {
			(void) snprintf(t->detail[n], sizeof t->detail[n],
			    "{\"level\":\"%s\",\"key\":\"%s\",\"by\":\"auto\"}", level_names[i],
			    key_of(pass, i));
			steps[n] = auth_audit_step(&t->rows[n],
			    &(struct auth_audit) { .event = "breaker_rearmed",
			        .outcome                  = "auto",
			        .detail_json              = t->detail[n] });
			n++;
		}
		if (b->tripped) {
			(void) snprintf(t->detail[n], sizeof t->detail[n],
			    "{\"level\":\"%s\",\"key\":\"%s\",\"trips\":%d,\"rearm_in_s\":%d,"
			    "\"unverified_hour\":%d,\"hour_limit\":%d,\"unverified_day\":%d,"
			    "\"day_limit\":%d}",
			    level_names[i], key_of(pass, i), b->trips, b->rearm_in_s,
			    b->unverified_hour, b->hour_limit, b->unverified_day, b->day_limit);
			steps[n] = auth_audit_step(&t->rows[n],
			    &(struct auth_audit) { .event = "breaker_tripped",
			        .outcome                  = "tripped",
			        .detail_json              = t->detail[n] });
			n++;
		}
	}
	return n;
}

void
auth_pump_committed(const struct auth_app *app, const struct auth_pump_take *t)
{
	for (int i = 0; i < 2 && t->n == 2; i++) {
		if (t->t[i].rearmed)
			count(&app->pump->rearms_auto[i]);
		if (t->t[i].tripped) {
			count(&app->pump->trips[i]);
			pa_log_warn("breaker_tripped",
			    "level=%s trips=%d rearm_in_s=%d unverified_hour=%d hour_limit=%d "
			    "unverified_day=%d day_limit=%d",
			    level_names[i], t->t[i].trips, t->t[i].rearm_in_s,
			    t->t[i].unverified_hour, t->t[i].hour_limit, t->t[i].unverified_day,
			    t->t[i].day_limit);
		}
	}
}

void
auth_pump_admin_rearmed(const struct auth_app *app, const char *level)
{
	count(&app->pump->rearms_admin[strcmp(level, "country") == 0 ? 0 : 1]);
}

/* A refused send's trip, kept in a transaction of its own (the send's was rolled back): the
 * breakers take the decision again (another instance may have kept the trip meanwhile: then
 * there is nothing new to record). Failures are logged; the refusal stands either way. */
static void
keep_trip(struct auth_worker *w, const struct auth_pump_pass *pass)
{
	struct auth_pump_take t;
	struct pa_db_step     steps[6];
	size_t                n;
	pa_err                rv;

	n = auth_pump_take_steps(w->app, pass, &t, steps);
	if ((rv = pa_db_begin(w->db)) != PA_OK || (rv = pa_db_exec_batch(w->db, steps, n)) != PA_OK)
		goto fail;
	for (int i = 0; i < 2; i++)
		(void) auth_breakers_take_row(t.res[i], &t.t[i]);
	n          = audit_steps(pass, &t, steps);
	steps[n++] = auth_commit_step;
	if ((rv = pa_db_exec_batch(w->db, steps, n)) != PA_OK)
		goto fail;
	auth_pump_committed(w->app, &t);
	return;
fail:
	pa_log_warn("breaker_trip_unrecorded", "sqlstate=%s", pa_db_sqlstate(w->db));
	pa_db_rollback(w->db);
}

struct pa_rpc_result
auth_pump_decide(struct auth_worker *w, struct pa_rpc_call *call, const struct auth_pump_pass *pass,
    struct auth_pump_take *t)
{
	bool blocked = false, changed = false;
	int  wait = 0;

	(void) call;
	if (t->n != 2)
		return pa_rpc_ok(NULL);
	for (int i = 0; i < 2; i++) {
		(void) auth_breakers_take_row(t->res[i], &t->t[i]);
		t->res[i] = NULL;
		blocked   = blocked || t->t[i].blocked;
		changed   = changed || t->t[i].tripped || t->t[i].rearmed;
		if (t->t[i].blocked && t->t[i].rearm_in_s > wait)
			wait = t->t[i].rearm_in_s;
	}
	if (!blocked)
		return pa_rpc_ok(NULL);
	pa_db_rollback(w->db);
	if (changed)
		keep_trip(w, pass);
	if (w->app->pump->captcha != CAPTCHA_OFF)
		return refuse(w->app, call, REFUSED_CHALLENGE, 0);
	return refuse(w->app, call, REFUSED_PAUSED, (uint32_t) wait);
}

size_t
auth_pump_commit_steps(const struct auth_app *app, const struct auth_pump_pass *pass,
    struct auth_pump_take *t, const char *verification_id, bool phantom, struct pa_db_step *steps)
{
	size_t n = 0;

	(void) app;
	if (!pass->on)
		return 0;
	if (!phantom)
		steps[n++] = auth_breakers_send_step(
		    &t->send_args, pass->country, pass->prefix, pass->ip_key, verification_id);
	return n + audit_steps(pass, t, steps + n);
}
