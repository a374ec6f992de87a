/* pump.h: the SMS pumping defence that every code send passes (issue 14). Before a send's
 * transaction, auth_pump_gate reads the destination's breakers, the global send budget and the
 * caller's per-IP signal without locks and, when one of them asks for it (or PHONEAUTH_CAPTCHA=
 * always), verifies the call's captcha token with the provider (captcha.h), so no transaction
 * waits on the network. Inside the send's transaction, the destination's two breakers (its
 * country and its E.164 prefix) take the send's decision under their rows' locks
 * (store_breakers.h): a send that would take one past its thresholds trips it, and a tripped one
 * lets only captcha-passed sends through. Every trip and re-arm leaves an audit row and counts
 * in the metrics. */
#ifndef PHONEAUTH_AUTH_PUMP_H
#define PHONEAUTH_AUTH_PUMP_H

#include <stdbool.h>
#include <stddef.h>

#include "audit.h"
#include "auth.h"
#include "caller.h"
#include "common/rpc.h"
#include "common/strbuf.h"
#include "store_breakers.h"
#include "store_codes.h"

struct auth_pump;

/* Reads the PHONEAUTH_PUMP* and PHONEAUTH_CAPTCHA* settings of app->cfg into app->pump. -1 with
 * one line in err naming the variable when one is bad (a captcha mode without a secret, an
 * unknown provider). */
int  auth_pump_init(struct auth_app *app, char *err, size_t errsz);
void auth_pump_free(struct auth_app *app);
/* Prometheus lines: trips, re-arms, refusals, captcha verdicts, the budget alert. */
void auth_pump_write_metrics(struct pa_strbuf *out, const struct auth_pump *p);

/* The gate's outcome for one send, which the send's transaction then uses. */
struct auth_pump_pass {
	bool on; /* the breakers take this send's decision (PHONEAUTH_PUMP is not off) */
	bool passed; /* a captcha token was verified for this call */
	char country[4]; /* the destination's region ("ID"; "" when non-geographic) */
	char prefix[AUTH_BREAKER_KEY_MAX]; /* "+62812" */
	char ip_key[AUTH_IP_KEY_MAX];
};

/* Before the send's transaction (no transaction open on w->db): fills pass for a send to phone
 * (E.164) and answers whether it may go on. A refusal: FAILED_PRECONDITION CHALLENGE_REQUIRED (a
 * captcha is needed and the call has none, a bad one or a used one), UNAVAILABLE
 * CHALLENGE_UNAVAILABLE with retry_after_s (the provider did not answer), or, without a captcha
 * configured, RESOURCE_EXHAUSTED DESTINATION_PAUSED / SEND_BUDGET / IP_LIMIT. */
struct pa_rpc_result auth_pump_gate(struct auth_worker *w, struct pa_rpc_call *call,
    const char *phone, struct auth_pump_pass *pass);

/* The breakers' part of a send's transaction. */
struct auth_pump_take {
	struct auth_breaker_args a[2];
	PGresult                *res[2];
	struct auth_breaker_take t[2]; /* country, prefix */
	size_t                   n; /* steps added: 0 (off) or 2 */
	/* For the commit batch: the send event and up to 4 audit rows (trips, re-arms). */
	struct auth_args      send_args;
	struct auth_audit_row rows[4];
	char                  detail[4][256];
};

/* Adds the two breaker steps of pass's destination to steps (room for 2) and returns how many
 * were added (0 when the defence is off). Run them in the batch before the send is decided. */
size_t auth_pump_take_steps(const struct auth_app *app, const struct auth_pump_pass *pass,
    struct auth_pump_take *t, struct pa_db_step *steps);

/* Reads the steps' answers. When a breaker blocks the send, rolls the transaction back, keeps
 * the trip (and its audit row) in a transaction of its own, and returns the refusal
 * (CHALLENGE_REQUIRED, or DESTINATION_PAUSED with retry_after_s without a captcha); else OK. */
struct pa_rpc_result auth_pump_decide(struct auth_worker *w, struct pa_rpc_call *call,
    const struct auth_pump_pass *pass, struct auth_pump_take *t);

/* Adds the commit batch's steps (room for 5): the send (unless phantom: no SMS goes) and an
 * audit row per trip or re-arm this send caused. Returns how many were added. */
size_t auth_pump_commit_steps(const struct auth_app *app, const struct auth_pump_pass *pass,
    struct auth_pump_take *t, const char *verification_id, bool phantom, struct pa_db_step *steps);

/* After the commit: the trips and re-arms go into the metrics. */
void auth_pump_committed(const struct auth_app *app, const struct auth_pump_take *t);

/* An admin re-armed (level, key): the metric. */
void auth_pump_admin_rearmed(const struct auth_app *app, const char *level);

/* Frees the answers of steps that ran but whose send was refused before auth_pump_decide. */
void auth_pump_take_discard(struct auth_pump_take *t);

/* Whether sends and verifications are counted (PHONEAUTH_PUMP is not off). */
bool auth_pump_counting(const struct auth_app *app);

/* Whether sends pass the gate at all (PHONEAUTH_PUMP or PHONEAUTH_CAPTCHA=always). */
bool auth_pump_active(const struct auth_app *app);

#endif
