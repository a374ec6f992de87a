/* setup.c: state made before timing (see setup.h). Each step is itself a count-mode load run,
 * so setup goes as fast as the service lets it. */
#include "setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rpc_client.h"

/* Runs op count times; PA_EPROTO (err lists the codes) unless every reply was OK. */
static pa_err
run_all_ok(const struct bench_rpc_target *t, unsigned threads, const struct bench_op *op,
    uint64_t count, char *err, size_t errsz)
{
	struct bench_load_opts   o = { .ops = op,
		  .nops                     = 1,
		  .open                     = bench_rpc_open,
		  .close                    = bench_rpc_close,
		  .conn_arg                 = (void *) t,
		  .concurrency              = threads,
		  .count                    = count };
	struct bench_load_result res;
	pa_err                   rv;
	size_t                   used = 0;

	if (count == 0)
		return PA_OK;
	if ((rv = bench_load_run(&res, &o, err, errsz)) != PA_OK)
		return rv;
	if (res.ops[0].codes[0] == count) {
		bench_load_result_free(&res);
		return PA_OK;
	}
	used = (size_t) snprintf(err, errsz, "setup %s: %llu of %llu OK;", op->name,
	    (unsigned long long) res.ops[0].codes[0], (unsigned long long) count);
	for (int c = 1; c < BENCH_NCODES && used < errsz; c++)
		if (res.ops[0].codes[c] > 0)
			used += (size_t) snprintf(err + used, errsz - used, " %s %llu",
			    pa_code_name((pa_code) c), (unsigned long long) res.ops[0].codes[c]);
	if (res.ops[0].no_reply > 0 && used < errsz)
		(void) snprintf(err + used, errsz - used, " no reply %llu",
		    (unsigned long long) res.ops[0].no_reply);
	bench_load_result_free(&res);
	return PA_EPROTO;
}

pa_err
bench_setup_signups(const struct bench_rpc_target *t, unsigned threads,
    const struct bench_phones *phones, size_t from, size_t to, char (*vids)[BENCH_VID_LEN],
    char *err, size_t errsz)
{
	struct bench_signup_arg a  = { .phones = phones, .from = from, .to = to, .vids = vids };
	struct bench_op         op = { "StartSignup (setup)", bench_call_start_signup, &a, 1 };

	return run_all_ok(t, threads, &op, to - from, err, errsz);
}

pa_err
bench_setup_codes(struct bench_sms *sms, size_t from, size_t to, char (*codes)[BENCH_CODE_LEN],
    int timeout_ms, char *err, size_t errsz)
{
	size_t have = bench_sms_wait(sms, from, to, timeout_ms);

	if (have < to - from) {
		(void) snprintf(err, errsz,
		    "only %zu of %zu codes reached the fake Twilio in %d ms "
		    "(is the SMS worker sending to it?)",
		    have, to - from, timeout_ms);
		return PA_ETIMEDOUT;
	}
	for (size_t i = from; i < to; i++)
		if (!bench_sms_code(sms, i, codes[i])) {
			(void) snprintf(err, errsz, "message %zu has no code in it", i);
			return PA_EPROTO;
		}
	return PA_OK;
}

pa_err
bench_setup_accounts(const struct bench_rpc_target *t, unsigned threads, struct bench_sms *sms,
    const struct bench_phones *phones, size_t from, size_t to, const char *password, char *err,
    size_t errsz)
{
	size_t n                       = to - from;
	char(*vids)[BENCH_VID_LEN]     = calloc(phones->n, sizeof *vids);
	char(*codes)[BENCH_CODE_LEN]   = calloc(phones->n, sizeof *codes);
	char(*tokens)[BENCH_TOKEN_LEN] = calloc(n ? n : 1, sizeof *tokens);
	char(*vsub)[BENCH_VID_LEN]     = calloc(n ? n : 1, sizeof *vsub);
	char(*csub)[BENCH_CODE_LEN]    = calloc(n ? n : 1, sizeof *csub);
	pa_err rv                      = PA_ENOMEM;

	if (vids == NULL || codes == NULL || tokens == NULL || vsub == NULL || csub == NULL)
		goto out_free;
	if ((rv = bench_setup_signups(t, threads, phones, from, to, vids, err, errsz)) != PA_OK
	    || (rv = bench_setup_codes(sms, from, to, codes, 60000, err, errsz)) != PA_OK)
		goto out_free;
	/* VerifyCode takes its items from 0; line them up. */
	memcpy(vsub, vids + from, n * sizeof *vsub);
	memcpy(csub, codes + from, n * sizeof *csub);
	{
		struct bench_verify_arg va = { .vids = vsub,
			.n                           = n,
			.codes                       = (const char(*)[BENCH_CODE_LEN]) csub,
			.tokens                      = tokens };
		struct bench_op vop = { "VerifyCode (setup)", bench_call_verify_code, &va, 1 };
		struct bench_account_arg aa = { .tokens = tokens, .n = n, .password = password };
		struct bench_op          aop
		    = { "CreateAccount (setup)", bench_call_create_account, &aa, 1 };

		if ((rv = run_all_ok(t, threads, &vop, n, err, errsz)) != PA_OK
		    || (rv = run_all_ok(t, threads, &aop, n, err, errsz)) != PA_OK)
			goto out_free;
	}
out_free:
	free(csub);
	free(vsub);
	free(tokens);
	free(codes);
	free(vids);
	return rv;
}
