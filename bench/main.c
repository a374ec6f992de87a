/* main.c: phoneauth-bench, a load generator for the Auth service: N threads with a pa_client
 * each, one method or a weighted mix, for a duration or a count, closed loop or at a fixed rate;
 * prints requests per second, latency quantiles and replies by code, and can write JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/crypto.h"
#include "ops.h"
#include "report.h"
#include "setup.h"
#include "smsfake.h"

static const char usage[]
    = "usage: phoneauth-bench [options]\n"
      "  --url URL              the Auth service (default tcp://127.0.0.1:7400)\n"
      "  --method M             health | start-signup | verify-wrong | verify-right | login\n"
      "  --mix M=W,M=W          a weighted mix of methods instead of --method\n"
      "  --concurrency N        threads, each with its own client (default 8)\n"
      "  --duration S           seconds measured (default 10), after --warmup S (default 1)\n"
      "  --count N              send N requests instead, then stop\n"
      "  --rate R               start R requests per second in all (open loop; latency counts\n"
      "                         from each scheduled start); default: back to back\n"
      "  --timeout-ms N         per call (default 10000)\n"
      "  --fake-twilio H:P      run the fake Twilio here; the SMS worker must send to it\n"
      "                         (TWILIO_API_BASE=http://H:P). verify-right and login need it\n"
      "  --twilio-latency-ms N  the fake answers each message N ms late\n"
      "  --phone-start N        first number of the phone sequence (default: random)\n"
      "  --phones N             numbers for start-signup in a duration run (default 5000/s)\n"
      "  --verifications N      pending verifications per thread for verify-wrong (default 50);\n"
      "                         each takes up to 90 wrong codes (the service must allow that:\n"
      "                         PHONEAUTH_TRIES_PER_CODE=100, PHONEAUTH_TRIES_PER_PHONE=10000)\n"
      "  --accounts N           accounts for login (default: one per thread)\n"
      "  --password PW          their password (default Bench-Passw0rd!)\n"
      "  --json FILE            also write the results as JSON\n"
      "  --label TEXT           name of the run in the output\n"
      "  --help, --version\n"
      "Setup (signups, codes, accounts) runs before the clock starts. Every request uses a phone\n"
      "and an end-user IP of its own.\n";

enum method { M_HEALTH, M_SIGNUP, M_WRONG, M_RIGHT, M_LOGIN, M_COUNT };

static const char *const method_names[M_COUNT]
    = { "health", "start-signup", "verify-wrong", "verify-right", "login" };

struct args {
	struct bench_rpc_target target;
	unsigned                weight[M_COUNT];
	unsigned                concurrency;
	double                  duration_s, warmup_s, rate;
	uint64_t                count;
	const char             *fake_listen;
	int                     fake_latency_ms;
	bool                    phone_start_set;
	uint64_t                phone_start;
	size_t                  phones, per_thread, accounts;
	const char             *password, *json, *label;
};

static int
method_of(const char *s, size_t n)
{
	for (int m = 0; m < M_COUNT; m++)
		if (strlen(method_names[m]) == n && strncmp(s, method_names[m], n) == 0)
			return m;
	return -1;
}

static bool
parse_mix(struct args *a, const char *spec)
{
	const char *p = spec;

	memset(a->weight, 0, sizeof a->weight);
	while (*p != '\0') {
		size_t n = strcspn(p, "=,");
		int    m = method_of(p, n);
		long   w = 1;
		char  *end;

		if (m < 0)
			return false;
		p += n;
		if (*p == '=') {
			w = strtol(p + 1, &end, 10);
			if (end == p + 1 || w < 1 || w > 1000)
				return false;
			p = end;
		}
		a->weight[m] += (unsigned) w;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return false;
	}
	return true;
}

static bool
parse_num(const char *s, double lo, double hi, double *out)
{
	char  *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || !(v >= lo && v <= hi))
		return false;
	*out = v;
	return true;
}

/* Returns 0 to go on, 1 to exit 0 (help, version), 2 to exit 2 (bad usage). */
static int
parse(struct args *a, int argc, char **argv)
{
	static const struct option opts[] = { { "url", required_argument, NULL, 'u' },
		{ "method", required_argument, NULL, 'm' }, { "mix", required_argument, NULL, 'x' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "count", required_argument, NULL, 'n' }, { "rate", required_argument, NULL, 'r' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "fake-twilio", required_argument, NULL, 'f' },
		{ "twilio-latency-ms", required_argument, NULL, 'L' },
		{ "phone-start", required_argument, NULL, 's' },
		{ "phones", required_argument, NULL, 'p' },
		{ "verifications", required_argument, NULL, 'v' },
		{ "accounts", required_argument, NULL, 'a' },
		{ "password", required_argument, NULL, 'P' },
		{ "json", required_argument, NULL, 'j' }, { "label", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 } };
	int                        opt;
	double                     v;

	*a                  = (struct args) { .target = { "tcp://127.0.0.1:7400", 10000 },
		                 .concurrency         = 8,
		                 .duration_s          = 10,
		                 .warmup_s            = 1,
		                 .per_thread          = 50,
		                 .password            = "Bench-Passw0rd!",
		                 .label               = NULL };
	a->weight[M_HEALTH] = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			a->target.url = optarg;
			break;
		case 'm':
			memset(a->weight, 0, sizeof a->weight);
			if (method_of(optarg, strlen(optarg)) < 0)
				goto out_bad;
			a->weight[method_of(optarg, strlen(optarg))] = 1;
			break;
		case 'x':
			if (!parse_mix(a, optarg))
				goto out_bad;
			break;
		case 'c':
			if (!parse_num(optarg, 1, 1024, &v))
				goto out_bad;
			a->concurrency = (unsigned) v;
			break;
		case 'd':
			if (!parse_num(optarg, 0.1, 86400, &a->duration_s))
				goto out_bad;
			break;
		case 'W':
			if (!parse_num(optarg, 0, 3600, &a->warmup_s))
				goto out_bad;
			break;
		case 'n':
			if (!parse_num(optarg, 1, 1e9, &v))
				goto out_bad;
			a->count = (uint64_t) v;
			break;
		case 'r':
			if (!parse_num(optarg, 0.001, 1e7, &a->rate))
				goto out_bad;
			break;
		case 't':
			if (!parse_num(optarg, 1, 3600000, &v))
				goto out_bad;
			a->target.timeout_ms = (int) v;
			break;
		case 'f':
			a->fake_listen = optarg;
			break;
		case 'L':
			if (!parse_num(optarg, 0, 600000, &v))
				goto out_bad;
			a->fake_latency_ms = (int) v;
			break;
		case 's':
			if (!parse_num(optarg, 0, 1e15, &v))
				goto out_bad;
			a->phone_start     = (uint64_t) v;
			a->phone_start_set = true;
			break;
		case 'p':
			if (!parse_num(optarg, 1, 1e8, &v))
				goto out_bad;
			a->phones = (size_t) v;
			break;
		case 'v':
			if (!parse_num(optarg, 1, 1e6, &v))
				goto out_bad;
			a->per_thread = (size_t) v;
			break;
		case 'a':
			if (!parse_num(optarg, 1, 1e5, &v))
				goto out_bad;
			a->accounts = (size_t) v;
			break;
		case 'P':
			a->password = optarg;
			break;
		case 'j':
			a->json = optarg;
			break;
		case 'l':
			a->label = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case 'V':
			printf("phoneauth-bench %s\n", PHONEAUTH_VERSION);
			return 1;
		default:
			goto out_bad;
		}
	}
	if (optind < argc)
		goto out_bad;
	if (a->count > 0)
		a->duration_s = 0;
	if (a->accounts == 0)
		a->accounts = a->concurrency;
	return 0;
out_bad:
	fprintf(stderr, "phoneauth-bench: bad arguments (see --help)\n");
	return 2;
}

/* The prepared state of a run: one phone sequence cut into a range per method. */
struct plan {
	struct bench_phones phones;
	size_t              from[M_COUNT], n[M_COUNT];
	char (*vids)[BENCH_VID_LEN];
	char (*codes)[BENCH_CODE_LEN];
	struct bench_signup_arg signup;
	struct bench_verify_arg wrong, right;
	struct bench_login_arg  login;
};

/* Requests method m may get in this run, with room for the threads' last tickets. */
static size_t
share(const struct args *a, int m, double per_second)
{
	unsigned total = 0;

	for (int i = 0; i < M_COUNT; i++)
		total += a->weight[i];
	if (a->count > 0)
		return (size_t) (a->count * a->weight[m] / total) + a->concurrency + 16;
	return (size_t) ((a->duration_s + a->warmup_s) * per_second * a->weight[m] / total)
	    + a->concurrency + 16;
}

static pa_err
prepare(struct plan *p, const struct args *a, struct bench_sms *sms, char *err, size_t errsz)
{
	size_t total = 0;
	pa_err rv;

	p->n[M_SIGNUP]
	    = a->weight[M_SIGNUP] ? (a->phones ? a->phones : share(a, M_SIGNUP, 5000)) : 0;
	p->n[M_WRONG] = a->weight[M_WRONG] ? a->per_thread * a->concurrency : 0;
	p->n[M_RIGHT] = a->weight[M_RIGHT] ? share(a, M_RIGHT, 2000) : 0;
	p->n[M_LOGIN] = a->weight[M_LOGIN] ? a->accounts : 0;
	for (int m = 0; m < M_COUNT; m++) {
		p->from[m] = total;
		total += p->n[m];
	}
	if ((rv = bench_phones_make(&p->phones, a->phone_start, total, err, errsz)) != PA_OK)
		return rv;
	if ((p->vids = calloc(total ? total : 1, sizeof *p->vids)) == NULL
	    || (p->codes = calloc(total ? total : 1, sizeof *p->codes)) == NULL)
		return PA_ENOMEM;
	if (sms != NULL && (rv = bench_sms_track(sms, &p->phones)) != PA_OK)
		return rv;

	p->signup = (struct bench_signup_arg) { .phones = &p->phones,
		.from                                   = p->from[M_SIGNUP],
		.to                                     = p->from[M_SIGNUP] + p->n[M_SIGNUP] };
	if (p->n[M_WRONG] > 0) {
		fprintf(
		    stderr, "setup: %zu pending verifications for verify-wrong\n", p->n[M_WRONG]);
		rv = bench_setup_signups(&a->target, a->concurrency, &p->phones, p->from[M_WRONG],
		    p->from[M_WRONG] + p->n[M_WRONG], p->vids, err, errsz);
		if (rv != PA_OK)
			return rv;
		p->wrong = (struct bench_verify_arg) { .vids = p->vids + p->from[M_WRONG],
			.n                                   = p->n[M_WRONG],
			.per_thread                          = a->per_thread,
			.max_tries                           = 90 };
	}
	if (p->n[M_RIGHT] > 0) {
		fprintf(stderr, "setup: %zu verifications and their codes for verify-right\n",
		    p->n[M_RIGHT]);
		rv = bench_setup_signups(&a->target, a->concurrency, &p->phones, p->from[M_RIGHT],
		    p->from[M_RIGHT] + p->n[M_RIGHT], p->vids, err, errsz);
		if (rv != PA_OK
		    || (rv = bench_setup_codes(sms, p->from[M_RIGHT],
		            p->from[M_RIGHT] + p->n[M_RIGHT], p->codes, 120000, err, errsz))
		        != PA_OK)
			return rv;
		p->right = (struct bench_verify_arg) { .vids = p->vids + p->from[M_RIGHT],
			.n                                   = p->n[M_RIGHT],
			.codes = (const char(*)[BENCH_CODE_LEN])(p->codes + p->from[M_RIGHT]) };
	}
	if (p->n[M_LOGIN] > 0) {
		fprintf(stderr, "setup: %zu accounts for login\n", p->n[M_LOGIN]);
		rv = bench_setup_accounts(&a->target, a->concurrency, sms, &p->phones,
		    p->from[M_LOGIN], p->from[M_LOGIN] + p->n[M_LOGIN], a->password, err, errsz);
		if (rv != PA_OK)
			return rv;
		p->login = (struct bench_login_arg) { .phones = &p->phones,
			.from                                 = p->from[M_LOGIN],
			.n                                    = p->n[M_LOGIN],
			.password                             = a->password };
	}
	return PA_OK;
}

static void
plan_free(struct plan *p)
{
	bench_phones_free(&p->phones);
	free(p->vids);
	free(p->codes);
}

static int
run(const struct args *a)
{
	static const char *const op_names[M_COUNT]
	    = { "Health", "StartSignup", "VerifyCode-wrong", "VerifyCode-right", "Login" };
	bench_call_fn *const     calls[M_COUNT] = { bench_call_health, bench_call_start_signup,
		    bench_call_verify_code, bench_call_verify_code, bench_call_login };
	struct plan              p              = { 0 };
	struct bench_sms        *sms            = NULL;
	struct bench_op          ops[M_COUNT];
	struct bench_load_result res;
	struct bench_load_opts   o;
	void                    *args[M_COUNT];
	size_t                   nops = 0;
	char                     err[512], label[128];
	int                      status = 1;

	if ((a->weight[M_RIGHT] || a->weight[M_LOGIN]) && a->fake_listen == NULL) {
		fprintf(stderr,
		    "phoneauth-bench: verify-right and login read codes at the fake "
		    "Twilio: give --fake-twilio\n");
		return 2;
	}
	if (a->fake_listen != NULL
	    && bench_sms_start(&sms, a->fake_listen, a->fake_latency_ms) != PA_OK) {
		fprintf(stderr, "phoneauth-bench: the fake Twilio did not start on %s\n",
		    a->fake_listen);
		return 1;
	}
	if (prepare(&p, a, sms, err, sizeof err) != PA_OK) {
		fprintf(stderr, "phoneauth-bench: %s\n", err);
		goto out_free;
	}
	args[M_HEALTH] = NULL;
	args[M_SIGNUP] = &p.signup;
	args[M_WRONG]  = &p.wrong;
	args[M_RIGHT]  = &p.right;
	args[M_LOGIN]  = &p.login;
	for (int m = 0; m < M_COUNT; m++)
		if (a->weight[m] > 0)
			ops[nops++]
			    = (struct bench_op) { op_names[m], calls[m], args[m], a->weight[m] };
	o = (struct bench_load_opts) { .ops = ops,
		.nops                       = nops,
		.open                       = bench_rpc_open,
		.close                      = bench_rpc_close,
		.conn_arg                   = (void *) &a->target,
		.concurrency                = a->concurrency,
		.duration_s                 = a->duration_s,
		.count                      = a->count,
		.warmup_s                   = a->count ? 0 : a->warmup_s,
		.rate                       = a->rate };
	if (bench_load_run(&res, &o, err, sizeof err) != PA_OK) {
		fprintf(stderr, "phoneauth-bench: %s\n", err);
		goto out_free;
	}
	if (a->label != NULL)
		(void) snprintf(label, sizeof label, "%s", a->label);
	else
		(void) snprintf(label, sizeof label, "%s, %u threads%s",
		    nops == 1 ? ops[0].name : "mix", a->concurrency,
		    a->rate > 0 ? ", fixed rate" : "");
	bench_report_print(stdout, label, ops, &res);
	status = 0;
	if (a->json != NULL) {
		json_object *j = bench_report_json(label, ops, &res);

		if (j != NULL) {
			(void) json_object_object_add(
			    j, "url", json_object_new_string(a->target.url));
			(void) json_object_object_add(
			    j, "concurrency", json_object_new_int((int) a->concurrency));
			(void) json_object_object_add(j, "rate", json_object_new_double(a->rate));
			(void) json_object_object_add(j, "host", bench_host_json());
		}
		if (j == NULL || bench_json_write(a->json, j, err, sizeof err) != PA_OK) {
			fprintf(stderr, "phoneauth-bench: %s\n", j == NULL ? "out of memory" : err);
			status = 1;
		}
		json_object_put(j);
	}
	bench_load_result_free(&res);
out_free:
	plan_free(&p);
	bench_sms_stop(sms);
	return status;
}

int
main(int argc, char **argv)
{
	struct args a;
	int         rv = parse(&a, argc, argv);

	if (rv != 0)
		return rv == 1 ? 0 : 2;
	if (pa_crypto_init() != PA_OK) {
		fprintf(stderr, "phoneauth-bench: libsodium did not initialise\n");
		return 1;
	}
	if (!a.phone_start_set)
		/* Far apart by default, so runs against one database rarely share a number. */
		a.phone_start = (uint64_t) randombytes_uniform(1000) * 100000u;
	setvbuf(stdout, NULL, _IOLBF, 0);
	return run(&a);
}
