/* harness.c: processes, databases and HTTP for the integration tests. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/metrics.h"
#include "common/rpc_client.h"
#include "phoneauth/v1/auth.pb-c.h"

extern char **environ;

void
harness_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

const char *
harness_pgdir(void)
{
	const char *d = getenv("PHONEAUTH_TEST_PGDIR");

	if (d == NULL || d[0] == '\0') {
		fprintf(stderr, "PHONEAUTH_TEST_PGDIR is not set (run through ctest)\n");
		abort();
	}
	return d;
}

/* Builds environ + extra, extra winning; the array and strings stay valid until freed. */
static char **
env_merge(const char *const extra[])
{
	size_t n = 0, m = 0, k = 0;
	char **out;

	while (environ[n])
		n++;
	while (extra && extra[m])
		m++;
	if ((out = calloc(n + m + 1, sizeof *out)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *eq       = strchr(environ[i], '=');
		size_t      len      = eq ? (size_t) (eq - environ[i]) + 1 : strlen(environ[i]);
		bool        replaced = false;

		for (size_t j = 0; j < m && !replaced; j++)
			replaced = strncmp(extra[j], environ[i], len) == 0;
		if (!replaced)
			out[k++] = environ[i];
	}
	for (size_t j = 0; j < m; j++)
		out[k++] = (char *) extra[j];
	out[k] = NULL;
	return out;
}

static int
spawn_to_fd(pid_t *pid, const char *const argv[], const char *const env[], int fd)
{
	posix_spawn_file_actions_t fa;
	char                     **envp = env_merge(env);
	int                        rv;

	if (envp == NULL)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, fd, STDERR_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	rv = posix_spawn(pid, argv[0], &fa, NULL, (char *const *) argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	return rv == 0 ? 0 : -1;
}

int
harness_spawn(
    struct harness_proc *p, const char *const argv[], const char *const env[], const char *tag)
{
	int fd, rv;

	(void) mkdir(PHONEAUTH_TEST_TMP, 0755);
	(void) snprintf(p->log_path, sizeof p->log_path, "%s/%s.%d.log", PHONEAUTH_TEST_TMP, tag,
	    (int) getpid());
	if ((fd = open(p->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644)) < 0)
		return -1;
	rv = spawn_to_fd(&p->pid, argv, env, fd);
	close(fd);
	return rv;
}

int
harness_stop(struct harness_proc *p, int sig, int timeout_ms, long *elapsed_ms)
{
	uint64_t start = pa_now_ns();
	int      status;

	if (p->pid <= 0)
		return -1;
	if (sig != 0)
		(void) kill(p->pid, sig);
	for (;;) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);

		if (r == p->pid)
			break;
		if ((pa_now_ns() - start) / 1000000u > (uint64_t) timeout_ms) {
			(void) kill(p->pid, SIGKILL);
			(void) waitpid(p->pid, &status, 0);
			p->pid = 0;
			return -1;
		}
		harness_sleep_ms(10);
	}
	p->pid = 0;
	if (elapsed_ms)
		*elapsed_ms = (long) ((pa_now_ns() - start) / 1000000u);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int
harness_run(const char *const argv[], const char *const env[], char *out, size_t outsz)
{
	char    path[] = "/tmp/phoneauth-run-XXXXXX";
	int     fd     = mkstemp(path);
	pid_t   pid;
	int     status;
	ssize_t n;

	if (fd < 0)
		return -1;
	unlink(path);
	if (spawn_to_fd(&pid, argv, env, fd) != 0) {
		close(fd);
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	n                  = pread(fd, out, outsz - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
harness_newdb(const char *dir, const char *name, char *url, size_t urlsz)
{
	const char *argv[] = { "/bin/bash", PHONEAUTH_PGCLUSTER, "newdb", dir, name, NULL };
	char        out[2048];
	char       *nl;
	int         st = harness_run(argv, NULL, out, sizeof out);

	if (st != 0) {
		fprintf(stderr, "newdb failed: %s\n", out);
		return -1;
	}
	/* The URL is the last line printed. */
	while ((nl = strrchr(out, '\n')) != NULL && nl[1] == '\0')
		*nl = '\0';
	nl = strrchr(out, '\n');
	(void) snprintf(url, urlsz, "%s", nl ? nl + 1 : out);
	return 0;
}

int
harness_migrate(const char *url)
{
	char        env_url[1024], out[4096];
	const char *argv[] = { PHONEAUTH_AUTH_BIN, "migrate", NULL };
	const char *env[]
	    = { env_url, "PHONEAUTH_MIGRATIONS_DIR=" PHONEAUTH_SOURCE_DIR "/migrations", NULL };
	int st;

	(void) snprintf(env_url, sizeof env_url, "DATABASE_URL=%s", url);
	st = harness_run(argv, env, out, sizeof out);
	if (st != 0)
		fprintf(stderr, "migrate failed (%d): %s\n", st, out);
	return st;
}

int
harness_free_port(void)
{
	struct sockaddr_in sa
	    = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len  = sizeof sa;
	int       fd   = socket(AF_INET, SOCK_STREAM, 0);
	int       port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *) &sa, sizeof sa) == 0
	    && getsockname(fd, (struct sockaddr *) &sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

bool
harness_wait_health(const char *url, int timeout_ms)
{
	struct pa_client_opts        o   = { .url = url, .timeout_ms = 500 };
	Phoneauth__V1__HealthRequest req = PHONEAUTH__V1__HEALTH_REQUEST__INIT;
	struct pa_client            *c;
	uint64_t                     until = pa_now_ns() + (uint64_t) timeout_ms * 1000000u;
	bool                         ok    = false;

	if (pa_client_open(&c, &o) != PA_OK)
		return false;
	while (!ok && pa_now_ns() < until) {
		struct pa_reply r;

		if (pa_client_call(c, "/phoneauth.v1.Auth/Health", &req.base,
		        &phoneauth__v1__health_response__descriptor, NULL, &r)
		    == PA_OK) {
			ok = r.code == PHONEAUTH__V1__CODE__OK;
			pa_reply_clear(&r);
		}
		if (!ok)
			harness_sleep_ms(50);
	}
	pa_client_close(c);
	return ok;
}

static size_t
curl_sink(char *data, size_t size, size_t n, void *arg)
{
	pa_strbuf_append(arg, data, size * n);
	return size * n;
}

long
harness_http_get(const char *url, struct pa_strbuf *body)
{
	CURL *c    = curl_easy_init();
	long  code = 0;

	if (c == NULL)
		return 0;
	(void) curl_easy_setopt(c, CURLOPT_URL, url);
	(void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_sink);
	(void) curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	(void) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	if (curl_easy_perform(c) == CURLE_OK)
		(void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	return code;
}

char *
harness_read_log(const struct harness_proc *p)
{
	FILE *f = fopen(p->log_path, "rb");
	char *buf;
	long  n;

	if (f == NULL)
		return NULL;
	(void) fseek(f, 0, SEEK_END);
	n = ftell(f);
	(void) fseek(f, 0, SEEK_SET);
	if (n < 0 || (buf = malloc((size_t) n + 1)) == NULL) {
		(void) fclose(f);
		return NULL;
	}
	n      = (long) fread(buf, 1, (size_t) n, f);
	buf[n] = '\0';
	(void) fclose(f);
	return buf;
}
