/* ops.h: the RPCs the load generator sends, each a bench_call_fn over one pa_client per thread.
 * Every request gets its own identity: a phone of its own, and an end-user IP of its own
 * (10.x.y.z), so per-phone and per-IP limits see one event each, as they would for real users.
 * Everything a call needs (phones, verification ids, codes, accounts) is prepared before the
 * run; a call only picks its item by request number. */
#ifndef PHONEAUTH_BENCH_OPS_H
#define PHONEAUTH_BENCH_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"
#include "load.h"
#include "phones.h"

#define BENCH_VID_LEN 37 /* a UUID and its NUL */
#define BENCH_CODE_LEN 16
#define BENCH_TOKEN_LEN (PA_TOKEN_LEN + 1)

/* The conn_arg of bench_rpc_open. */
struct bench_rpc_target {
	const char *url;
	int         timeout_ms; /* per call */
};

/* Opens a pa_client to target->url and waits (up to 10 s) for one Health answer. */
void *bench_rpc_open(void *target, unsigned thread);
void  bench_rpc_close(void *client);

/* Health; arg unused. */
int bench_call_health(void *client, void *arg, const struct bench_req *r);

/* StartSignup for phones->e164[from + seq], until to (then BENCH_DONE). When vids is set,
 * vids[from + seq] gets the verification id of an OK reply; when sent_ns is set, sent_ns[from +
 * seq] gets the time (pa_now_ns) the request went out. */
struct bench_signup_arg {
	const struct bench_phones *phones;
	size_t                     from, to;
	char (*vids)[BENCH_VID_LEN];
	uint64_t *sent_ns;
};
int bench_call_start_signup(void *client, void *arg, const struct bench_req *r);

/* VerifyCode. With codes NULL (wrong codes): thread t cycles through its own per_thread
 * verifications vids[t * per_thread ...], each try a code that cannot match (longer than any
 * code), until every one has had max_tries (then BENCH_DONE). With codes: verification seq with
 * its right code, each once, until n; tokens[seq], when set, gets the signup token. */
struct bench_verify_arg {
	char (*vids)[BENCH_VID_LEN];
	size_t n;
	const char (*codes)[BENCH_CODE_LEN];
	size_t   per_thread;
	unsigned max_tries;
	char (*tokens)[BENCH_TOKEN_LEN];
};
int bench_call_verify_code(void *client, void *arg, const struct bench_req *r);

/* CreateAccount with tokens[seq] and password, until n. */
struct bench_account_arg {
	char (*tokens)[BENCH_TOKEN_LEN];
	size_t      n;
	const char *password;
};
int bench_call_create_account(void *client, void *arg, const struct bench_req *r);

/* Login as phones->e164[from + thread % n] with password: each thread its own account. */
struct bench_login_arg {
	const struct bench_phones *phones;
	size_t                     from, n;
	const char                *password;
};
int bench_call_login(void *client, void *arg, const struct bench_req *r);
/* A bogus login (a phone with no account, a wrong password), every one from the IP
 * BENCH_FLOOD_IP: the flood of the login-flood row. arg is unused. */
#define BENCH_FLOOD_IP "10.255.0.1"
int bench_call_login_flood(void *client, void *arg, const struct bench_req *r);

#endif
