/* code_verify.c: VerifyCode with Twilio Verify (code_verify.h). Three short transactions: the try
 * (already taken from the phone's limits by the caller) counted and committed; then, after the
 * worker's answer, the settlement or the refusal, each re-reading the verification. */
#include "code_verify.h"

#include <string.h>

#include "audit.h"
#include "caller.h"
#include "common/log.h"
#include "common/vcheck.h"
#include "store.h"
#include "verifier.h"

bool
auth_code_verify_on(const struct auth_app *app)
{
	return auth_verifier_on(&app->cfg);
}

static bool
code_ok(const char *code)
{
	size_t n = code != NULL ? strlen(code) : 0;

	return n >= 4 && n <= 10 && strspn(code, "0123456789") == n;
}

/* What Twilio's answer means for us. */
enum answer { A_APPROVED, A_WRONG, A_SPENT, A_SEND_LIMIT, A_BUSY, A_PAUSED, A_UNAVAILABLE };

static enum answer
classify(pa_err rv, const struct pa_vcheck_response *r)
{
	if (rv != PA_OK || r->http_status == 0)
		return A_UNAVAILABLE;
	if (r->http_status >= 200 && r->http_status < 300) {
		if (strcmp(r->status, "approved") == 0)
			return A_APPROVED;
		return strcmp(r->status, "max_attempts_reached") == 0 ? A_SPENT : A_WRONG;
	}
	switch (r->error_code) {
	case 60200: /* a parameter Twilio refuses (a code of the wrong shape) */
	case 20404: /* no pending verification: approved, expired or never sent */
		return A_WRONG;
	case 60202: /* Twilio's own tries ran out */
		return A_SPENT;
	case 60203: /* Twilio's sends to the phone ran out */
		return A_SEND_LIMIT;
	case 60212: /* too many concurrent requests for the phone */
		return A_BUSY;
	case 60410: /* Fraud Guard blocked the destination */
		return A_PAUSED;
	default:
		return A_UNAVAILABLE;
	}
}

static const char *
outcome_of(enum answer a)
{
	static const char *const names[] = { "verified", "wrong", "exhausted", "send_limit", "busy",
		"paused", "verify_unavailable" };

	return names[a];
}

/* After a refusal: the verification ends if its tries are spent (or Twilio's are), and the audit
 * row, in a transaction of their own. Errors are logged: the answer stands. */
static void
record_refusal(struct auth_worker *w, struct pa_rpc_call *call, const char *id,
    const struct auth_verification *v, enum answer a, bool twilio_spent)
{
	struct auth_args      args[1];
	struct auth_audit_row arow;
	struct pa_db_step     steps[3];
	size_t                n = 0;
	pa_err                rv;

	steps[n++] = auth_codes_spent_step(&args[0], id, twilio_spent);
	steps[n++] = auth_audit_step(&arow,
	    &(struct auth_audit) { .event = "code_checked",
	        .phone_e164               = v->phone,
	        .verification_id          = id,
	        .user_id                  = v->user_id[0] ? v->user_id : NULL,
	        .outcome                  = outcome_of(a),
	        .detail_json              = "{\"backend\":\"verify\"}",
	        .ip                       = auth_caller_ip(call) });
	steps[n++] = auth_commit_step;
	if ((rv = pa_db_begin(w->db)) != PA_OK || (rv = pa_db_exec_batch(w->db, steps, n)) != PA_OK)
		pa_log_warn("verify_record_failed", "verification_id=%s error=%s sqlstate=%s", id,
		    pa_err_name(rv), pa_db_sqlstate(w->db));
}

/* An approved code: settled like a right local one if the verification is still pending and
 * unexpired (a resend, a restart or a concurrent check may have changed it meanwhile). */
static struct pa_rpc_result
settle(struct auth_worker *w, struct pa_rpc_call *call, const char *id,
    Phoneauth__V1__VerifyCodeResponse *resp, struct pa_rpc_result invalid)
{
	const struct pa_policy  *p = auth_caller_policy(w->app, call);
	struct auth_verification v;
	struct auth_args         a[1];
	struct pa_db_step        steps[1];
	PGresult                *res = NULL;
	pa_err                   rv;

	steps[0] = auth_codes_load_step(&a[0], id, p->resend_cooldown_s, &res);
	if ((rv = pa_db_begin(w->db)) != PA_OK || (rv = pa_db_exec_batch(w->db, steps, 1)) != PA_OK)
		return auth_db_fail(w, call, rv);
	if (!auth_codes_load_row(res, &v) || strcmp(v.state, "pending") != 0 || v.expired
	    || v.has_mac || v.phantom) {
		pa_db_rollback(w->db);
		return invalid;
	}
	return auth_code_settle_verified(w, call, id, &v, resp);
}

struct pa_rpc_result
auth_code_verify_check(struct auth_worker *w, struct pa_rpc_call *call, const char *id,
    const char *code, const struct auth_verification *v, Phoneauth__V1__VerifyCodeResponse *resp)
{
	const struct pa_policy *p = auth_caller_policy(w->app, call);
	struct pa_rpc_result    invalid
	    = pa_rpc_fail(CODE(INVALID_ARGUMENT), REASON(CODE_INVALID), p->msg_code_invalid);
	struct pa_rpc_result      r;
	struct pa_vcheck_response ans = { 0 };
	struct auth_args          a[1];
	struct pa_db_step         steps[2];
	enum answer               what;
	pa_err                    rv;

	/* The try counts now, committed, whatever Twilio says or whether it answers: a guesser
	 * gets max_attempts checks at Twilio, never more. It never ends the verification here
	 * (right = true): the answer decides. */
	steps[0] = auth_codes_try_step(&a[0], id, true);
	steps[1] = auth_commit_step;
	if ((rv = pa_db_exec_batch(w->db, steps, 2)) != PA_OK)
		return auth_db_fail(w, call, rv);

	if (!code_ok(code)) {
		what = A_WRONG; /* Twilio would refuse it (60200): no need to ask */
	} else {
		rv   = auth_verifier_check(w->app->verifier, v->phone, NULL, code, &ans);
		what = classify(rv, &ans);
		if (what == A_UNAVAILABLE)
			pa_log_warn("verify_check_unanswered",
			    "verification_id=%s error=%s http_status=%d error_code=%d", id,
			    pa_err_name(rv), ans.http_status, ans.error_code);
	}
	if (what == A_APPROVED)
		return settle(w, call, id, resp, invalid);
	/* A stand-in never reaches Twilio: in a non-enumerating profile every other answer of
	 * Twilio's (its own tries spent, Fraud Guard, no answer) reads as a wrong code, counted by
	 * our tries alone, or the answer would tell a real account from an unknown one. The audit
	 * row keeps what Twilio said. */
	record_refusal(w, call, id, v, what, what == A_SPENT && !p->non_enumerating);
	if (p->non_enumerating)
		what = A_WRONG;
	switch (what) {
	case A_WRONG:
		invalid.has_attempts_left = true;
		invalid.attempts_left     = (uint32_t) (v->max_attempts > v->attempts + 1
		            ? v->max_attempts - v->attempts - 1
		            : 0);
		return invalid;
	case A_SPENT:
		r = pa_rpc_fail(
		    CODE(RESOURCE_EXHAUSTED), REASON(TOO_MANY_ATTEMPTS), p->msg_too_many_attempts);
		r.has_attempts_left = true;
		return r;
	case A_SEND_LIMIT:
	case A_BUSY:
		return pa_rpc_fail(CODE(RESOURCE_EXHAUSTED), REASON(SEND_LIMIT), p->msg_send_limit);
	case A_PAUSED:
		return pa_rpc_fail(CODE(RESOURCE_EXHAUSTED), REASON(DESTINATION_PAUSED),
		    p->msg_destination_paused);
	default:
		r = pa_rpc_fail(
		    CODE(UNAVAILABLE), REASON(VERIFY_UNAVAILABLE), p->msg_verify_unavailable);
		r.retry_after_s = 5;
		return r;
	}
}
