/* pgbench.c: runs pgbench and reads what it measured (see pgbench.h). */
#include "pgbench.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define PG15_PGBENCH "/usr/lib/postgresql/15/bin/pgbench"
#define MAX_ARGS 64

const char *
bench_pgbench_path(void)
{
	const char *env = getenv("PGBENCH");

	if (env != NULL && env[0] != '\0')
		return env;
	if (access(PG15_PGBENCH, X_OK) == 0)
		return PG15_PGBENCH;
	return "pgbench";
}

/* The number after key in text, or -1. */
static double
number_after(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p == NULL ? -1 : strtod(p + strlen(key), NULL);
}

/* Adds every latency of the per-transaction logs in dir to h (lines: client_id transaction_no
 * time_us script_no time_epoch time_us_frac) and deletes the files. */
static void
read_logs(const char *dir, struct bench_hist *h)
{
	DIR           *d = opendir(dir);
	struct dirent *e;
	char           path[1024], line[256];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		FILE *f;

		if (strncmp(e->d_name, "pgbench_log.", 12) != 0)
			continue;
		(void) snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if ((f = fopen(path, "r")) != NULL) {
			while (fgets(line, sizeof line, f) != NULL) {
				unsigned long long client, tx, us;

				if (sscanf(line, "%llu %llu %llu", &client, &tx, &us) == 3)
					bench_hist_record(h, us * 1000u);
			}
			(void) fclose(f);
		}
		(void) unlink(path);
	}
	(void) closedir(d);
}

pa_err
bench_pgbench_run(
    struct bench_pgbench_result *out, const struct bench_pgbench_opts *o, char *err, size_t errsz)
{
	const char *argv[MAX_ARGS];
	char        c[16], j[16], t[32], prefix[600], *text;
	size_t      n = 0, textsz = 64 * 1024;
	int         st;

	if ((text = malloc(textsz)) == NULL)
		return PA_ENOMEM;
	(void) snprintf(c, sizeof c, "%u", o->clients);
	(void) snprintf(j, sizeof j, "%u", o->threads ? o->threads : 1);
	(void) snprintf(prefix, sizeof prefix, "--log-prefix=%s/pgbench_log", o->log_dir);
	argv[n++] = bench_pgbench_path();
	argv[n++] = "-n"; /* no vacuum of pgbench's own tables: there are none */
	argv[n++] = "-M";
	argv[n++] = "prepared";
	argv[n++] = "-c";
	argv[n++] = c;
	argv[n++] = "-j";
	argv[n++] = j;
	if (o->duration_s > 0) {
		(void) snprintf(t, sizeof t, "%.0f", o->duration_s);
		argv[n++] = "-T";
	} else {
		(void) snprintf(t, sizeof t, "%llu", (unsigned long long) o->per_client);
		argv[n++] = "-t";
	}
	argv[n++] = t;
	argv[n++] = "-l";
	argv[n++] = prefix;
	argv[n++] = "-f";
	argv[n++] = o->script;
	for (size_t i = 0; o->defines != NULL && o->defines[i] != NULL && n < MAX_ARGS - 3; i++) {
		argv[n++] = "-D";
		argv[n++] = o->defines[i];
	}
	argv[n++] = o->db_url;
	argv[n]   = NULL;

	*out = (struct bench_pgbench_result) { .tps = 0 };
	st   = harness_run(argv, NULL, text, textsz);
	read_logs(o->log_dir, &out->hist);
	out->tps = number_after(text, "tps = ");
	out->transactions
	    = (uint64_t) number_after(text, "number of transactions actually processed: ");
	out->failed = strstr(text, "number of failed transactions: ") != NULL
	    ? (uint64_t) number_after(text, "number of failed transactions: ")
	    : 0;
	if (st != 0 || out->tps < 0) {
		(void) snprintf(err, errsz, "pgbench %s exited %d: %.1500s", o->script, st, text);
		free(text);
		return PA_EIO;
	}
	free(text);
	return PA_OK;
}
