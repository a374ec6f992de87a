/* harness.h: what integration tests share: a fresh database in the fixture's cluster, the real
 * binaries started as child processes with their logs in files, and small HTTP and wait helpers. */
#ifndef PHONEAUTH_TEST_HARNESS_H
#define PHONEAUTH_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/strbuf.h"

/* Keys and cheap Argon2 limits every test service gets (test-only values). */
#define HARNESS_OUTBOX_KEY "6f7574626f782d6b65792d666f722d74657374732d6f6e6c792d303132333435"
#define HARNESS_SERVICE_ENV                                                                   \
	"PHONEAUTH_OTP_KEY=6f74702d6b65792d666f722d74657374732d6f6e6c792d303132333435363738", \
	    "PHONEAUTH_OUTBOX_KEY=" HARNESS_OUTBOX_KEY,                                       \
	    "PHONEAUTH_TOKEN_KEY="                                                            \
	    "746f6b656e2d6b65792d666f722d74657374732d6f6e6c792d30313233343536",               \
	    "PHONEAUTH_PWHASH_OPS=1", "PHONEAUTH_PWHASH_MEM_KIB=8"

struct harness_proc {
	pid_t pid;
	char  log_path[512];
};

/* The fixture's cluster directory (PHONEAUTH_TEST_PGDIR); fails the test when unset. */
const char *harness_pgdir(void);

/* (Re)creates database `name` in cluster dir and writes its URL to url. Returns 0 on success. */
int harness_newdb(const char *dir, const char *name, char *url, size_t urlsz);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int harness_free_port(void);

/* Starts argv[0] with the current environment plus env ("NAME=value", NULL-terminated;
 * an entry replaces a variable of the same name); stdout and stderr go to a log file named
 * after tag. Returns 0 on success. */
int harness_spawn(
    struct harness_proc *p, const char *const argv[], const char *const env[], const char *tag);

/* Sends sig (0: none) and waits up to timeout_ms for the exit; SIGKILLs after that. Returns the
 * exit status, 128+N for a signal, or -1 when it had to be killed. Sets *elapsed_ms if given. */
int harness_stop(struct harness_proc *p, int sig, int timeout_ms, long *elapsed_ms);

/* Runs a command to completion, capturing stdout and stderr together into out. Returns the exit
 * status (or -1). */
int harness_run(const char *const argv[], const char *const env[], char *out, size_t outsz);

/* Polls Health on url until it answers OK or timeout_ms passes. */
bool harness_wait_health(const char *url, int timeout_ms);

/* GET url; returns the HTTP status (0 when unreachable) and the body in body. */
long harness_http_get(const char *url, struct pa_strbuf *body);

/* Whole log of p, malloc'd (NULL if unreadable). */
char *harness_read_log(const struct harness_proc *p);

/* Runs the migrations on database url with the real binary; returns its exit status. */
int harness_migrate(const char *url);

void harness_sleep_ms(int ms);

#endif
