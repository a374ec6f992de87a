/* pumping.c: phoneauth-bench-pumping, the SMS pumping simulation (`make bench-pumping`, and the
 * last phase of `make bench`). A LawnFlow-profile stack that allows US and Indonesian mobiles
 * gets a stream of bots (Register to random numbers in +62 812 and +62 838, from rotating IPv4
 * addresses and IPv6 /64s, never verifying; a share of them retry with a bad captcha token when
 * asked for one) interleaved with real users (domestic US numbers, and Indonesians inside the
 * attacked +62 812 range, who solve the captcha when asked and verify their code), twice: with
 * the defences off and on (PHONEAUTH_PUMP=on, PHONEAUTH_CAPTCHA=on-risk against an in-process
 * fake siteverify). Every SMS is an outbox row; it prints SMS per 1 000 bot requests, the share
 * of real users verified per group, time to trip and false trips. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "common/crypto.h"
#include "common/metrics.h"
#include "common/rpc_client.h"
#include "fake_siteverify.h"
#include "harness.h"
#include "phoneauth/v1/auth.pb-c.h"

#define THREADS 4
#define SECRET "bench-siteverify-secret"
#define SMS_PREFIX "Your LawnFlow verification code is "
#define BOT_RETRY_PCT 30 /* bots that retry with a bad token when asked for a captcha */
#define BOT_IPV6_PCT 40 /* bots from an IPv6 /64 rather than an IPv4 address */

enum kind { BOT, REAL_US, REAL_ID, NKINDS };
static const char *const kind_names[NKINDS] = { "bots", "real users, US", "real users, +62 812" };

struct event {
	enum kind kind;
	int       n; /* its number among its kind */
};

struct run {
	const char   *name;
	bool          defences;
	char          rpc_url[64], db_url[512];
	struct event *events;
	size_t        nevents;
	atomic_size_t next;
	/* results */
	atomic_long requests[NKINDS], sms[NKINDS], verified[NKINDS], challenged[NKINDS];
	atomic_long bot_bad_tokens, failures;
	atomic_long first_bot_refused_ms; /* 0: never */
	atomic_long bots_before_trip;
	double      t0_ms, elapsed_s;
	long        outbox_rows, false_trips, trips, captcha_calls;
};

static double
now_ms(void)
{
	return (double) pa_now_ns() / 1e6;
}

static uint32_t
rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t) (*s >> 33);
}

/* The code in verification vid's newest outbox row; false when there is none. */
static bool
read_code(PGconn *pg, const struct pa_keyring *kr, const char *vid, char code[16])
{
	const char   *params[1] = { vid };
	PGresult     *res       = PQexecParams(pg,
	              "SELECT encode(body_sealed, 'hex') FROM sms_outbox WHERE verification_id = $1::uuid"
	                        " ORDER BY id DESC LIMIT 1",
	              1, NULL, params, NULL, NULL, 0);
	unsigned char sealed[1024];
	size_t        slen = 0, plen = 0, n = 0;
	char         *plain = NULL;
	bool          ok    = false;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1
	    && !PQgetisnull(res, 0, 0)) {
		const char *hex = PQgetvalue(res, 0, 0);

		ok = sodium_hex2bin(sealed, sizeof sealed, hex, strlen(hex), NULL, &slen, NULL) == 0
		    && pa_open(&plain, &plen, kr, vid, strlen(vid), sealed, slen) == PA_OK
		    && plen > strlen(SMS_PREFIX);
	}
	PQclear(res);
	if (ok) {
		while (n < 10 && plain[strlen(SMS_PREFIX) + n] >= '0'
		    && plain[strlen(SMS_PREFIX) + n] <= '9')
			n++;
		memcpy(code, plain + strlen(SMS_PREFIX), n);
		code[n] = '\0';
		sodium_memzero(plain, plen);
	}
	free(plain);
	return ok && n > 0;
}

static pa_err
call_register(struct pa_client *c, const char *ip, const char *token, const char *email,
    const char *phone, struct pa_reply *r)
{
	Phoneauth__V1__CallerMetadata  md  = PHONEAUTH__V1__CALLER_METADATA__INIT;
	Phoneauth__V1__RegisterRequest req = PHONEAUTH__V1__REGISTER_REQUEST__INIT;

	md.end_user_ip   = (char *) ip;
	md.captcha_token = (char *) (token != NULL ? token : "");
	req.email        = (char *) email;
	req.password     = (char *) "a-long-password-1";
	req.phone        = (char *) phone;
	return pa_client_call(c, "/phoneauth.v1.Auth/RegisterAccount", &req.base,
	    &phoneauth__v1__register_response__descriptor, &md, r);
}

static bool
needs_captcha(const struct pa_reply *r)
{
	return r->reason == PHONEAUTH__V1__REASON__CHALLENGE_REQUIRED;
}

static void
one_event(struct run *run, struct pa_client *c, PGconn *pg, const struct pa_keyring *kr,
    const struct event *e, uint64_t *seed)
{
	char            phone[20], email[64], ip[48], token[48], vid[40] = "", code[16];
	struct pa_reply r;
	bool            sent = false;

	(void) snprintf(email, sizeof email, "%s-%s-%d@example.test", run->name,
	    e->kind == BOT           ? "bot"
	        : e->kind == REAL_US ? "us"
	                             : "id",
	    e->n);
	if (e->kind == BOT) {
		(void) snprintf(phone, sizeof phone, "+62%s%08u", rnd(seed) % 2 ? "812" : "838",
		    10000000 + rnd(seed) % 89999999);
		if ((int) (rnd(seed) % 100) < BOT_IPV6_PCT)
			(void) snprintf(ip, sizeof ip, "2001:db8:%x:%x::%x", rnd(seed) % 65536,
			    rnd(seed) % 65536, 1 + rnd(seed) % 65535);
		else
			(void) snprintf(ip, sizeof ip, "100.%u.%u.%u", 64 + rnd(seed) % 64,
			    rnd(seed) % 256, 1 + rnd(seed) % 254);
	} else {
		if (e->kind == REAL_US)
			(void) snprintf(phone, sizeof phone, "+1201555%04d", e->n);
		else
			(void) snprintf(phone, sizeof phone, "+62812%08d", 20000000 + e->n * 7919);
		(void) snprintf(ip, sizeof ip, "198.%d.%d.%d", e->kind == REAL_US ? 18 : 19,
		    e->n / 250, 1 + e->n % 250);
	}
	atomic_fetch_add(&run->requests[e->kind], 1);
	if (call_register(c, ip, NULL, email, phone, &r) != PA_OK) {
		atomic_fetch_add(&run->failures, 1);
		return;
	}
	if (needs_captcha(&r) || r.code != PHONEAUTH__V1__CODE__OK) {
		if (e->kind == BOT) {
			long zero = 0, at = (long) (now_ms() - run->t0_ms);

			if (atomic_compare_exchange_strong(
			        &run->first_bot_refused_ms, &zero, at > 0 ? at : 1))
				atomic_store(
				    &run->bots_before_trip, atomic_load(&run->requests[BOT]) - 1);
		}
	}
	if (needs_captcha(&r)) {
		atomic_fetch_add(&run->challenged[e->kind], 1);
		pa_reply_clear(&r);
		if (e->kind == BOT && (int) (rnd(seed) % 100) >= BOT_RETRY_PCT)
			return;
		(void) snprintf(token, sizeof token, "%s-%s-%d", e->kind == BOT ? "fail" : "pass",
		    run->name, e->n);
		if (e->kind == BOT)
			atomic_fetch_add(&run->bot_bad_tokens, 1);
		if (call_register(c, ip, token, email, phone, &r) != PA_OK) {
			atomic_fetch_add(&run->failures, 1);
			return;
		}
	}
	if (r.code == PHONEAUTH__V1__CODE__OK) {
		const Phoneauth__V1__RegisterResponse *b
		    = (const Phoneauth__V1__RegisterResponse *) r.body;

		sent = true;
		if (b != NULL && b->sent != NULL && b->sent->verification_id != NULL)
			(void) snprintf(vid, sizeof vid, "%s", b->sent->verification_id);
	}
	pa_reply_clear(&r);
	if (!sent)
		return;
	atomic_fetch_add(&run->sms[e->kind], 1);
	if (e->kind == BOT || vid[0] == '\0' || !read_code(pg, kr, vid, code))
		return;
	{
		Phoneauth__V1__CallerMetadata    md  = PHONEAUTH__V1__CALLER_METADATA__INIT;
		Phoneauth__V1__VerifyCodeRequest req = PHONEAUTH__V1__VERIFY_CODE_REQUEST__INIT;

		md.end_user_ip      = ip;
		req.verification_id = vid;
		req.code            = code;
		if (pa_client_call(c, "/phoneauth.v1.Auth/VerifyCode", &req.base,
		        &phoneauth__v1__verify_code_response__descriptor, &md, &r)
		    != PA_OK) {
			atomic_fetch_add(&run->failures, 1);
			return;
		}
		if (r.code == PHONEAUTH__V1__CODE__OK)
			atomic_fetch_add(&run->verified[e->kind], 1);
		pa_reply_clear(&r);
	}
}

struct thread_arg {
	struct run *run;
	int         id;
};

static void *
worker(void *arg_)
{
	struct thread_arg    *arg = arg_;
	struct run           *run = arg->run;
	struct pa_client     *c;
	struct pa_keyring     kr;
	PGconn               *pg   = PQconnectdb(run->db_url);
	uint64_t              seed = 0x9e3779b97f4a7c15ULL * (uint64_t) (arg->id + 1);
	struct pa_client_opts o    = { .url = run->rpc_url, .timeout_ms = 10000 };

	if (PQstatus(pg) != CONNECTION_OK || pa_client_open(&c, &o) != PA_OK
	    || pa_keyring_parse(&kr, HARNESS_OUTBOX_KEY) != PA_OK) {
		fprintf(stderr, "phoneauth-bench-pumping: thread %d cannot start\n", arg->id);
		PQfinish(pg);
		atomic_fetch_add(&run->failures, 1);
		return NULL;
	}
	for (;;) {
		size_t i = atomic_fetch_add(&run->next, 1);

		if (i >= run->nevents)
			break;
		one_event(run, c, pg, &kr, &run->events[i], &seed);
	}
	pa_keyring_wipe(&kr);
	pa_client_close(c);
	PQfinish(pg);
	return NULL;
}

static long
qlong(const char *db_url, const char *sql)
{
	PGconn   *pg = PQconnectdb(db_url);
	PGresult *r  = PQexec(pg, sql);
	long      v  = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	PQfinish(pg);
	return v;
}

static int
run_one(struct run *run, const char *pgdir, struct fake_siteverify *sv)
{
	char                env_db[600], env_rpc[96], env_jobs[96], env_http[64], env_url[128];
	const char         *argv[]  = { PHONEAUTH_AUTH_BIN, "serve", NULL };
	const char         *env[32] = { HARNESS_SERVICE_ENV, "PHONEAUTH_PROFILE=lawnflow",
		        "PHONEAUTH_ALLOWED_COUNTRIES=US,ID", "PHONEAUTH_TRUST_END_USER_IP=true",
		        "PHONEAUTH_LOG_LEVEL=warn", "PHONEAUTH_SLOW_IN_FLIGHT=256", env_db, env_rpc,
		        env_jobs, env_http };
	size_t              ne      = 14;
	struct harness_proc auth;
	pthread_t           th[THREADS];
	struct thread_arg   ta[THREADS];
	int                 calls0 = fake_siteverify_requests(sv);

	if (harness_newdb(
	        pgdir, run->defences ? "pump_on" : "pump_off", run->db_url, sizeof run->db_url)
	        != 0
	    || harness_migrate(run->db_url) != 0) {
		fprintf(stderr, "phoneauth-bench-pumping: cannot make the database\n");
		return -1;
	}
	if (qlong(run->db_url,
	        "WITH w AS (INSERT INTO sms_workers (id, host, pid, started_at, last_seen_at)"
	        " VALUES ('bench', 'bench', 1, now(), now() + interval '1 day') RETURNING 1)"
	        " SELECT count(*) FROM w")
	    != 1)
		return -1;
	(void) snprintf(
	    run->rpc_url, sizeof run->rpc_url, "tcp://127.0.0.1:%d", harness_free_port());
	(void) snprintf(env_db, sizeof env_db, "DATABASE_URL=%s", run->db_url);
	(void) snprintf(env_rpc, sizeof env_rpc, "PHONEAUTH_RPC_URL=%s", run->rpc_url);
	(void) snprintf(env_jobs, sizeof env_jobs, "PHONEAUTH_JOBS_URL=tcp://127.0.0.1:%d",
	    harness_free_port());
	(void) snprintf(
	    env_http, sizeof env_http, "PHONEAUTH_HTTP=127.0.0.1:%d", harness_free_port());
	(void) snprintf(
	    env_url, sizeof env_url, "PHONEAUTH_CAPTCHA_VERIFY_URL=%s", fake_siteverify_url(sv));
	if (run->defences) {
		env[ne++] = "PHONEAUTH_PUMP=on";
		env[ne++] = "PHONEAUTH_CAPTCHA=on-risk";
		env[ne++] = "PHONEAUTH_CAPTCHA_SECRET=" SECRET;
		env[ne++] = env_url;
	} else {
		env[ne++] = "PHONEAUTH_PUMP=off";
	}
	env[ne] = NULL;
	if (harness_spawn(&auth, argv, env, run->defences ? "pumping_on" : "pumping_off") != 0
	    || !harness_wait_health(run->rpc_url, 15000)) {
		fprintf(stderr,
		    "phoneauth-bench-pumping: phoneauth-auth did not come up (log: %s)\n",
		    auth.log_path);
		return -1;
	}
	run->t0_ms = now_ms();
	for (int i = 0; i < THREADS; i++) {
		ta[i] = (struct thread_arg) { run, i };
		if (pthread_create(&th[i], NULL, worker, &ta[i]) != 0)
			return -1;
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	run->elapsed_s = (now_ms() - run->t0_ms) / 1000.0;
	(void) harness_stop(&auth, SIGTERM, 10000, NULL);
	run->outbox_rows = qlong(run->db_url, "SELECT count(*) FROM sms_outbox");
	run->trips       = qlong(
	          run->db_url, "SELECT count(*) FROM audit_events WHERE event = 'breaker_tripped'");
	run->false_trips   = qlong(run->db_url,
	      "SELECT count(*) FROM audit_events WHERE event = 'breaker_tripped'"
	        " AND detail->>'key' NOT IN ('ID', '+62812', '+62838')");
	run->captcha_calls = fake_siteverify_requests(sv) - calls0;
	return 0;
}

static double
pct(long a, long b)
{
	return b > 0 ? 100.0 * (double) a / (double) b : 0.0;
}

static void
report(const struct run *off, const struct run *on)
{
	const struct run *runs[2] = { off, on };

	printf("\nSMS pumping simulation: %ld bot requests, %ld US and %ld +62 812 real users, "
	       "%d client threads\n\n",
	    atomic_load(&on->requests[BOT]), atomic_load(&on->requests[REAL_US]),
	    atomic_load(&on->requests[REAL_ID]), THREADS);
	printf("%-34s %14s %14s\n", "", "defences off", "defences on");
	printf("%-34s %14.1f %14.1f\n", "SMS per 1 000 bot requests",
	    10.0 * pct(atomic_load(&off->sms[BOT]), atomic_load(&off->requests[BOT])),
	    10.0 * pct(atomic_load(&on->sms[BOT]), atomic_load(&on->requests[BOT])));
	printf("%-34s %13.2f%% %13.2f%%\n", "bot requests that cost an SMS",
	    pct(atomic_load(&off->sms[BOT]), atomic_load(&off->requests[BOT])),
	    pct(atomic_load(&on->sms[BOT]), atomic_load(&on->requests[BOT])));
	for (int k = REAL_US; k < NKINDS; k++)
		printf("%-34s %13.2f%% %13.2f%%\n", kind_names[k],
		    pct(atomic_load(&off->verified[k]), atomic_load(&off->requests[k])),
		    pct(atomic_load(&on->verified[k]), atomic_load(&on->requests[k])));
	for (int k = REAL_US; k < NKINDS; k++) {
		char label[64];

		(void) snprintf(label, sizeof label, "  asked for a captcha, %s",
		    k == REAL_US ? "US" : "+62 812");
		printf("%-34s %14ld %14ld\n", label, atomic_load(&off->challenged[k]),
		    atomic_load(&on->challenged[k]));
	}
	printf("%-34s %14ld %14ld\n", "bots retrying with a bad token",
	    atomic_load(&off->bot_bad_tokens), atomic_load(&on->bot_bad_tokens));
	printf("%-34s", "time to trip (first bot refused)");
	for (int i = 0; i < 2; i++) {
		long ms = atomic_load(&runs[i]->first_bot_refused_ms);

		if (ms == 0)
			printf(" %14s", "never");
		else
			printf(" %11ld ms", ms);
	}
	printf("\n");
	printf("%-34s %14ld %14ld\n", "  bot requests before the trip",
	    atomic_load(&off->bots_before_trip), atomic_load(&on->bots_before_trip));
	printf("%-34s %14ld %14ld\n", "breaker trips (audit rows)", off->trips, on->trips);
	printf("%-34s %14ld %14ld\n", "false trips (not +62 812/838, ID)", off->false_trips,
	    on->false_trips);
	printf("%-34s %14ld %14ld\n", "captcha siteverify calls", off->captcha_calls,
	    on->captcha_calls);
	printf("%-34s %14ld %14ld\n", "outbox rows (every SMS)", off->outbox_rows, on->outbox_rows);
	printf("%-34s %14ld %14ld\n", "calls without a reply", atomic_load(&off->failures),
	    atomic_load(&on->failures));
	printf("%-34s %13.1fs %13.1fs\n", "wall time", off->elapsed_s, on->elapsed_s);
}

static struct event *
make_events(int bots, int us, int id, size_t *n)
{
	struct event *e = calloc((size_t) (bots + us + id), sizeof *e);
	uint64_t      s = 42;
	size_t        k = 0;

	if (e == NULL)
		return NULL;
	for (int i = 0; i < bots; i++)
		e[k++] = (struct event) { BOT, i };
	for (int i = 0; i < us; i++)
		e[k++] = (struct event) { REAL_US, i };
	for (int i = 0; i < id; i++)
		e[k++] = (struct event) { REAL_ID, i };
	for (size_t i = k; i > 1; i--) { /* Fisher-Yates, the same order for both runs */
		size_t       j = rnd(&s) % i;
		struct event t = e[i - 1];

		e[i - 1] = e[j];
		e[j]     = t;
	}
	*n = k;
	return e;
}

int
main(int argc, char **argv)
{
	const char             *pgdir = "build-bench/pumping-pg";
	int                     bots = 10000, us = 300, id = 100, opt, status = 1;
	struct fake_siteverify *sv  = NULL;
	static struct run       off = { .name = "off", .defences = false };
	static struct run       on  = { .name = "on", .defences = true };
	char                    out[4096];
	const char             *start[] = { "/bin/bash", PHONEAUTH_PGCLUSTER, "start", NULL, NULL };
	const char *stop[] = { "/bin/bash", PHONEAUTH_PGCLUSTER, "destroy", NULL, NULL };

	while ((opt = getopt(argc, argv, "p:b:u:i:h")) != -1) {
		switch (opt) {
		case 'p':
			pgdir = optarg;
			break;
		case 'b':
			bots = atoi(optarg);
			break;
		case 'u':
			us = atoi(optarg);
			break;
		case 'i':
			id = atoi(optarg);
			break;
		default:
			fprintf(stderr,
			    "usage: phoneauth-bench-pumping [-p PGDIR] [-b BOTS] [-u US_USERS] "
			    "[-i ID_USERS]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (pa_crypto_init() != PA_OK || bots < 1 || us < 1 || id < 1 || us > 9999 || id > 9999)
		return 2;
	start[3] = pgdir;
	stop[3]  = pgdir;
	if (harness_run(start, NULL, out, sizeof out) != 0) {
		fprintf(stderr, "phoneauth-bench-pumping: pgcluster.sh start failed: %s\n", out);
		return 1;
	}
	if (fake_siteverify_start(&sv, harness_free_port(), SECRET) != 0) {
		fprintf(stderr, "phoneauth-bench-pumping: the fake siteverify did not start\n");
		goto out;
	}
	off.events = make_events(bots, us, id, &off.nevents);
	on.events  = make_events(bots, us, id, &on.nevents);
	if (off.events == NULL || on.events == NULL)
		goto out;
	printf("defences off ...\n");
	fflush(stdout);
	if (run_one(&off, pgdir, sv) != 0)
		goto out;
	printf("defences on ...\n");
	fflush(stdout);
	if (run_one(&on, pgdir, sv) != 0)
		goto out;
	report(&off, &on);
	/* Done when (issue 14): at most 1 % of bot requests cost an SMS (100 % off), and at least
	 * 99 % of the real users of every group verify. */
	status = pct(atomic_load(&on.sms[BOT]), atomic_load(&on.requests[BOT])) <= 1.0
	        && pct(atomic_load(&on.verified[REAL_US]), atomic_load(&on.requests[REAL_US]))
	            >= 99.0
	        && pct(atomic_load(&on.verified[REAL_ID]), atomic_load(&on.requests[REAL_ID]))
	            >= 99.0
	    ? 0
	    : 1;
	printf("\n%s\n",
	    status == 0 ? "PASS: <= 1 % of bot requests cost an SMS, >= 99 % of real "
	                  "users verified in every group"
	                : "FAIL: the issue's figures were not reached");
out:
	fake_siteverify_stop(sv);
	free(off.events);
	free(on.events);
	(void) harness_run(stop, NULL, out, sizeof out);
	return status;
}
