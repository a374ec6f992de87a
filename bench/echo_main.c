/* echo_main.c: phoneauth-bench-echo, the bare NNG REQ/REP baseline as a program: `serve` runs the
 * echo server until SIGINT or SIGTERM (the suite starts it as its own process, like the auth
 * service); `run` is its load generator. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echo.h"
#include "report.h"

static const char usage[]
    = "usage: phoneauth-bench-echo serve URL [REPLY_BYTES [CONTEXTS]]\n"
      "       phoneauth-bench-echo run URL [REQUEST_BYTES [CONCURRENCY [SECONDS]]]\n"
      "       phoneauth-bench-echo --help | --version\n"
      "serve answers each request with REPLY_BYTES bytes (default 64) from NNG's callback, with\n"
      "CONTEXTS requests received at once (default 256); run sends REQUEST_BYTES-byte requests\n"
      "(default 64) back to back from CONCURRENCY threads (default 8) for SECONDS (default 10).\n";

static long
arg_or(int argc, char **argv, int i, long def, long lo, long hi)
{
	char *end;
	long  v;

	if (i >= argc)
		return def;
	v = strtol(argv[i], &end, 10);
	if (end == argv[i] || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "phoneauth-bench-echo: bad number '%s'\n%s", argv[i], usage);
		exit(2);
	}
	return v;
}

static int
serve(const char *url, size_t reply_bytes, unsigned contexts)
{
	struct bench_echo_server *s;
	sigset_t                  set;
	char                      err[256];
	int                       sig;

	/* Blocked before NNG starts its threads, so only sigwait sees them. */
	(void) sigemptyset(&set);
	(void) sigaddset(&set, SIGINT);
	(void) sigaddset(&set, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return 1;
	if (bench_echo_serve(&s, url, contexts, reply_bytes, err, sizeof err) != PA_OK) {
		fprintf(stderr, "phoneauth-bench-echo: %s\n", err);
		return 1;
	}
	fprintf(stderr, "phoneauth-bench-echo: serving %s (%zu-byte replies, %u contexts)\n", url,
	    reply_bytes, contexts);
	(void) sigwait(&set, &sig);
	bench_echo_stop(s);
	return 0;
}

static int
run(const char *url, size_t request_bytes, unsigned concurrency, double seconds)
{
	struct bench_echo_target t
	    = { .url = url, .request_bytes = request_bytes, .timeout_ms = 10000 };
	struct bench_op          op = { "echo", bench_echo_call, NULL, 1 };
	struct bench_load_opts   o  = { .ops = &op,
		   .nops                     = 1,
		   .open                     = bench_echo_open,
		   .close                    = bench_echo_close,
		   .conn_arg                 = &t,
		   .concurrency              = concurrency,
		   .duration_s               = seconds,
		   .warmup_s                 = 1 };
	struct bench_load_result res;
	char                     err[256];

	if (bench_load_run(&res, &o, err, sizeof err) != PA_OK) {
		fprintf(stderr, "phoneauth-bench-echo: %s\n", err);
		return 1;
	}
	bench_report_print(stdout, "bare NNG echo", &op, &res);
	bench_load_result_free(&res);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("phoneauth-bench-echo %s\n", PHONEAUTH_VERSION);
		return 0;
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc >= 3 && argc <= 5 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2], (size_t) arg_or(argc, argv, 3, 64, 0, 1 << 20),
		    (unsigned) arg_or(argc, argv, 4, 256, 1, 8192));
	if (argc >= 3 && argc <= 6 && strcmp(argv[1], "run") == 0)
		return run(argv[2], (size_t) arg_or(argc, argv, 3, 64, 0, 1 << 20),
		    (unsigned) arg_or(argc, argv, 4, 8, 1, 4096),
		    (double) arg_or(argc, argv, 5, 10, 1, 86400));
	fputs(usage, stderr);
	return 2;
}
