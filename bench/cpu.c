/* cpu.c: CPU time per component from /proc/<pid>/stat and getrusage (see cpu.h). */
#include "cpu.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/metrics.h"

/* utime + stime (+ cutime + cstime when with_children) of pid in seconds, and its parent; 0 when
 * it is gone. */
static double
proc_cpu(pid_t pid, bool with_children, pid_t *ppid)
{
	char               path[64], buf[1024], *p;
	FILE              *f;
	size_t             n;
	long               parent;
	unsigned long long ut, st;
	long long          cut, cst;

	if (pid <= 0)
		return 0;
	(void) snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n      = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	(void) fclose(f);
	/* The command name may hold spaces and parentheses: fields restart after the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL
	    || sscanf(p + 2, "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld",
	           &parent, &ut, &st, &cut, &cst)
	        != 5)
		return 0;
	if (ppid != NULL)
		*ppid = (pid_t) parent;
	return (double) (ut + st + (with_children ? (unsigned long long) (cut + cst) : 0))
	    / (double) sysconf(_SC_CLK_TCK);
}

/* The postmaster, its reaped children, and its live children. */
static double
pg_cpu(pid_t postmaster)
{
	DIR           *d;
	struct dirent *e;
	double         sum;

	if (postmaster <= 0)
		return 0;
	sum = proc_cpu(postmaster, true, NULL);
	if ((d = opendir("/proc")) == NULL)
		return sum;
	while ((e = readdir(d)) != NULL) {
		pid_t  pid = (pid_t) atoi(e->d_name), parent = 0;
		double t;

		if (pid <= 0 || pid == postmaster)
			continue;
		t = proc_cpu(pid, false, &parent);
		if (parent == postmaster)
			sum += t;
	}
	(void) closedir(d);
	return sum;
}

/* Busy time of all CPUs so far (user, nice, system, irq, softirq, steal), in seconds. */
static double
machine_busy(void)
{
	FILE              *f = fopen("/proc/stat", "r");
	unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal;
	double             busy = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle,
	        &iowait, &irq, &softirq, &steal)
	    == 8)
		busy = (double) (user + nice + sys + irq + softirq + steal)
		    / (double) sysconf(_SC_CLK_TCK);
	(void) fclose(f);
	return busy;
}

static double
tv(struct timeval t)
{
	return (double) t.tv_sec + (double) t.tv_usec / 1e6;
}

void
bench_cpu_sample(struct bench_cpu *out, const struct bench_cpu_pids *pids)
{
	struct rusage self, kids;

	(void) getrusage(RUSAGE_SELF, &self);
	(void) getrusage(RUSAGE_CHILDREN, &kids);
	out->pg       = pg_cpu(pids->postmaster);
	out->auth     = proc_cpu(pids->auth, false, NULL);
	out->worker   = proc_cpu(pids->worker, false, NULL);
	out->echo     = proc_cpu(pids->echo, false, NULL);
	out->self     = tv(self.ru_utime) + tv(self.ru_stime);
	out->children = tv(kids.ru_utime) + tv(kids.ru_stime);
	out->machine  = machine_busy();
	out->others   = 0;
	out->at_ns    = pa_now_ns();
}

static double
nonneg(double v)
{
	return v > 0 ? v : 0;
}

void
bench_cpu_diff(struct bench_cpu *out, const struct bench_cpu *b, const struct bench_cpu *a)
{
	/* A process started or stopped in between counts from 0 or up to its last sample. */
	out->pg       = nonneg(a->pg - b->pg);
	out->auth     = nonneg(a->auth - b->auth);
	out->worker   = nonneg(a->worker - b->worker);
	out->echo     = nonneg(a->echo - b->echo);
	out->self     = nonneg(a->self - b->self);
	out->children = nonneg(a->children - b->children);
	out->machine  = nonneg(a->machine - b->machine);
	out->others   = nonneg(out->machine - out->pg - out->auth - out->worker - out->echo
	      - out->self - out->children);
	out->at_ns    = a->at_ns - b->at_ns;
}

void
bench_cpu_print(FILE *f, const struct bench_cpu *d)
{
	double wall  = (double) d->at_ns / 1e9;
	long   cores = sysconf(_SC_NPROCESSORS_ONLN);

	(void) fprintf(f,
	    "  CPU s: postgres %.2f, auth %.2f, sms-worker %.2f, echo %.2f, bench %.2f, "
	    "pgbench/psql %.2f, other processes %.2f; busy %.1f of %.1f (%.1f s x %ld cores)\n",
	    d->pg, d->auth, d->worker, d->echo, d->self, d->children, d->others, d->machine,
	    wall * (double) cores, wall, cores);
}

json_object *
bench_cpu_json(const struct bench_cpu *d)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	(void) json_object_object_add(o, "wall_s", json_object_new_double((double) d->at_ns / 1e9));
	(void) json_object_object_add(o, "postgres", json_object_new_double(d->pg));
	(void) json_object_object_add(o, "auth", json_object_new_double(d->auth));
	(void) json_object_object_add(o, "sms_worker", json_object_new_double(d->worker));
	(void) json_object_object_add(o, "echo", json_object_new_double(d->echo));
	(void) json_object_object_add(o, "bench", json_object_new_double(d->self));
	(void) json_object_object_add(o, "pgbench_psql", json_object_new_double(d->children));
	(void) json_object_object_add(o, "other_processes", json_object_new_double(d->others));
	return o;
}

pid_t
bench_cpu_postmaster(const char *datadir)
{
	char  path[600];
	FILE *f;
	int   pid = 0;

	(void) snprintf(path, sizeof path, "%s/postmaster.pid", datadir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	(void) fclose(f);
	return (pid_t) pid;
}
