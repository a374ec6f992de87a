/* ops.c: the RPC calls of the load generator (see ops.h). */
#include "ops.h"

#include <stdio.h>
#include <string.h>

#include "common/metrics.h"
#include "common/rpc_client.h"
#include "phoneauth/v1/auth.pb-c.h"

#define M(name) "/phoneauth.v1.Auth/" name
/* Longer than PA_OTP_MAX_DIGITS, so it is checked like any code and can never be right. */
#define WRONG_CODE "00000000000"

void *
bench_rpc_open(void *arg, unsigned thread)
{
	const struct bench_rpc_target *t = arg;
	struct pa_client_opts          o = { .url = t->url, .timeout_ms = t->timeout_ms };
	struct pa_client              *c;
	uint64_t                       until = pa_now_ns() + 10ull * 1000000000u;

	(void) thread;
	if (pa_client_open(&c, &o) != PA_OK)
		return NULL;
	/* The dial is in the background: the first answer proves the connection is up. */
	while (pa_now_ns() < until) {
		Phoneauth__V1__HealthRequest req = PHONEAUTH__V1__HEALTH_REQUEST__INIT;
		struct pa_reply              r;

		if (pa_client_call(c, M("Health"), &req.base,
		        &phoneauth__v1__health_response__descriptor, NULL, &r)
		    == PA_OK) {
			pa_reply_clear(&r);
			return c;
		}
	}
	pa_client_close(c);
	return NULL;
}

void
bench_rpc_close(void *client)
{
	pa_client_close(client);
}

/* A distinct IPv4 text for each i below 2^24. */
static void
ip_for(uint64_t i, char out[16])
{
	(void) snprintf(out, 16, "10.%u.%u.%u", (unsigned) (i >> 16) & 255u,
	    (unsigned) (i >> 8) & 255u, (unsigned) i & 255u);
}

/* Calls and returns the reply's code (the reply is cleared), or BENCH_NO_REPLY. When keep is
 * set and the code is OK, *keep gets the reply instead (the caller clears it). */
static int
call(void *client, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *resp, const char *ip, struct pa_reply *keep)
{
	Phoneauth__V1__CallerMetadata meta = PHONEAUTH__V1__CALLER_METADATA__INIT;
	struct pa_reply               r;
	int                           code;

	meta.end_user_ip = (char *) ip;
	if (pa_client_call(client, method, req, resp, ip != NULL ? &meta : NULL, &r) != PA_OK)
		return BENCH_NO_REPLY;
	code = (int) r.code;
	if (keep != NULL && r.code == PHONEAUTH__V1__CODE__OK)
		*keep = r;
	else
		pa_reply_clear(&r);
	return code;
}

int
bench_call_health(void *client, void *arg, const struct bench_req *r)
{
	Phoneauth__V1__HealthRequest req = PHONEAUTH__V1__HEALTH_REQUEST__INIT;

	(void) arg;
	(void) r;
	return call(client, M("Health"), &req.base, &phoneauth__v1__health_response__descriptor,
	    NULL, NULL);
}

int
bench_call_start_signup(void *client, void *arg, const struct bench_req *r)
{
	const struct bench_signup_arg    *a   = arg;
	Phoneauth__V1__StartSignupRequest req = PHONEAUTH__V1__START_SIGNUP_REQUEST__INIT;
	size_t                            i   = a->from + r->seq;
	struct pa_reply                   rep;
	char                              ip[16];
	int                               code;

	if (i >= a->to)
		return BENCH_DONE;
	req.phone = a->phones->e164[i];
	ip_for(i, ip);
	if (a->sent_ns != NULL)
		a->sent_ns[i] = pa_now_ns();
	code = call(client, M("StartSignup"), &req.base,
	    &phoneauth__v1__start_signup_response__descriptor, ip, a->vids ? &rep : NULL);
	if (a->vids != NULL && code == PHONEAUTH__V1__CODE__OK) {
		const Phoneauth__V1__StartSignupResponse *b = (const void *) rep.body;

		if (b != NULL && b->sent != NULL && b->sent->verification_id != NULL)
			(void) snprintf(a->vids[i], BENCH_VID_LEN, "%s", b->sent->verification_id);
		pa_reply_clear(&rep);
	}
	return code;
}

int
bench_call_verify_code(void *client, void *arg, const struct bench_req *r)
{
	const struct bench_verify_arg   *a   = arg;
	Phoneauth__V1__VerifyCodeRequest req = PHONEAUTH__V1__VERIFY_CODE_REQUEST__INIT;
	struct pa_reply                  rep;
	size_t                           i;
	char                             ip[16];
	int                              code;

	if (a->codes == NULL) {
		if (r->tseq / a->per_thread >= a->max_tries)
			return BENCH_DONE;
		i        = (size_t) r->thread * a->per_thread + r->tseq % a->per_thread;
		req.code = (char *) WRONG_CODE;
	} else {
		i        = r->seq;
		req.code = (char *) a->codes[i < a->n ? i : 0];
	}
	if (i >= a->n)
		return BENCH_DONE;
	req.verification_id = a->vids[i];
	ip_for(i, ip);
	code = call(client, M("VerifyCode"), &req.base,
	    &phoneauth__v1__verify_code_response__descriptor, ip, a->tokens ? &rep : NULL);
	if (a->tokens != NULL && code == PHONEAUTH__V1__CODE__OK) {
		const Phoneauth__V1__VerifyCodeResponse *b = (const void *) rep.body;

		if (b != NULL && b->signup_token != NULL)
			(void) snprintf(a->tokens[i], BENCH_TOKEN_LEN, "%s", b->signup_token);
		pa_reply_clear(&rep);
	}
	return code;
}

int
bench_call_create_account(void *client, void *arg, const struct bench_req *r)
{
	const struct bench_account_arg     *a   = arg;
	Phoneauth__V1__CreateAccountRequest req = PHONEAUTH__V1__CREATE_ACCOUNT_REQUEST__INIT;
	char                                ip[16];

	if (r->seq >= a->n)
		return BENCH_DONE;
	req.signup_token     = a->tokens[r->seq];
	req.password         = (char *) a->password;
	req.password_confirm = (char *) a->password;
	ip_for(r->seq, ip);
	return call(client, M("CreateAccount"), &req.base,
	    &phoneauth__v1__create_account_response__descriptor, ip, NULL);
}

int
bench_call_login(void *client, void *arg, const struct bench_req *r)
{
	const struct bench_login_arg *a   = arg;
	Phoneauth__V1__LoginRequest   req = PHONEAUTH__V1__LOGIN_REQUEST__INIT;
	char                          ip[16];

	req.login    = a->phones->e164[a->from + r->thread % a->n];
	req.password = (char *) a->password;
	ip_for(r->thread, ip);
	return call(
	    client, M("Login"), &req.base, &phoneauth__v1__login_response__descriptor, ip, NULL);
}

int
bench_call_login_flood(void *client, void *arg, const struct bench_req *r)
{
	Phoneauth__V1__LoginRequest req = PHONEAUTH__V1__LOGIN_REQUEST__INIT;

	(void) arg;
	(void) r;
	req.login    = (char *) "+12015550000";
	req.password = (char *) "Bogus#Guess2024";
	return call(client, M("Login"), &req.base, &phoneauth__v1__login_response__descriptor,
	    BENCH_FLOOD_IP, NULL);
}
