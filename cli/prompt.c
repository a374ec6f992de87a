/* prompt.c: passwords for the commands that send one: from the environment, or read from the
 * terminal with echo off and the signals that could leave it off caught meanwhile. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "prompt.h"

/* The signal that arrived while the terminal had echo off. A handler can only reach a global. */
static volatile sig_atomic_t tty_caught;

static const int tty_signals[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGTSTP };
#define TTY_NSIG (sizeof tty_signals / sizeof tty_signals[0])

struct tty {
	int              fd;
	struct termios   saved;
	struct sigaction old[TTY_NSIG];
};

static void
tty_on_signal(int sig)
{
	tty_caught = sig;
}

static void
write_all(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* a prompt that cannot be shown does not stop the read */
		s += n;
		len -= (size_t) n;
	}
}

/* Restores echo and the signal actions, then delivers a signal that came meanwhile. */
static void
tty_end(struct tty *t)
{
	while (tcsetattr(t->fd, TCSAFLUSH, &t->saved) != 0 && errno == EINTR)
		;
	write_all(t->fd, "\n");
	(void) close(t->fd);
	for (size_t i = 0; i < TTY_NSIG; i++)
		(void) sigaction(tty_signals[i], &t->old[i], NULL);
	if (tty_caught)
		(void) raise(tty_caught);
}

/* Opens the terminal and turns echo off; signals are caught so that echo comes back. */
static int
tty_begin(struct tty *t, const char *prompt)
{
	struct sigaction sa = { .sa_handler = tty_on_signal }; /* no SA_RESTART: read stops */
	struct termios   quiet;

	if ((t->fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return -1;
	if (tcgetattr(t->fd, &t->saved) != 0) {
		(void) close(t->fd);
		return -1;
	}
	tty_caught = 0;
	(void) sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < TTY_NSIG; i++)
		(void) sigaction(tty_signals[i], &sa, &t->old[i]);
	quiet = t->saved;
	quiet.c_lflag &= ~(tcflag_t) (ECHO | ECHONL);
	if (tcsetattr(t->fd, TCSAFLUSH, &quiet) != 0) {
		/* Never read a password that would echo. */
		tty_end(t);
		return -1;
	}
	write_all(t->fd, prompt);
	return 0;
}

/* Reads one line into out without its newline; -1 on EOF, error, signal or a too long line. */
static int
tty_read_line(int fd, char *out, size_t outsz)
{
	size_t len = 0;
	char   c;

	for (;;) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR && !tty_caught)
			continue;
		if (n <= 0)
			return -1;
		if (c == '\n' || c == '\r')
			break;
		if (len + 1 < outsz)
			out[len] = c;
		len++;
	}
	c = 0;
	if (len + 1 >= outsz) {
		sodium_memzero(out, outsz);
		return -1;
	}
	out[len] = '\0';
	return 0;
}

/* Reads a secret from the environment variable env if set, else from the terminal without echo.
 * Prints why on failure. */
static int
read_secret(char *out, size_t outsz, const char *env, const char *prompt)
{
	const char *v = getenv(env);
	struct tty  t;

	if (v != NULL) {
		if (strlen(v) >= outsz) {
			fprintf(stderr, "phoneauth: %s is too long\n", env);
			return -1;
		}
		memcpy(out, v, strlen(v) + 1);
		return 0;
	}
	if (tty_begin(&t, prompt) != 0) {
		fprintf(stderr, "phoneauth: no terminal to read the password from; set %s\n", env);
		return -1;
	}
	if (tty_read_line(t.fd, out, outsz) != 0) {
		tty_end(&t);
		fprintf(stderr,
		    "phoneauth: no password read (interrupted, or longer than %d bytes)\n",
		    CLI_PW_BUF - 2);
		return -1;
	}
	tty_end(&t);
	return 0;
}

int
cli_prompt_password(struct cli_passwords *p)
{
	if (read_secret(p->pw, sizeof p->pw, "PHONEAUTH_PASSWORD", "Password: ") != 0) {
		sodium_memzero(p, sizeof *p);
		return -1;
	}
	return 0;
}

int
cli_prompt_password_pair(struct cli_passwords *p)
{
	if (cli_prompt_password(p) != 0)
		return -1;
	if (getenv("PHONEAUTH_PASSWORD") != NULL && getenv("PHONEAUTH_PASSWORD_CONFIRM") == NULL) {
		memcpy(p->confirm, p->pw, sizeof p->confirm);
		return 0;
	}
	if (read_secret(
	        p->confirm, sizeof p->confirm, "PHONEAUTH_PASSWORD_CONFIRM", "Confirm password: ")
	    != 0) {
		sodium_memzero(p, sizeof *p);
		return -1;
	}
	return 0;
}
