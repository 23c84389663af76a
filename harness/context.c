/*
 * context.c: the run's context keys (context.h), read from the machine
 * once, before the benchmarks run.
 *
 * Values are plain text; booleans are "true"/"false".  Where a fact
 * cannot be read the value says so ("unknown", "none") rather than
 * leaving the key out, so that every results file has every key.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../ipi/backend.h"
#include "bench.h"
#include "context.h"
#include "plan.h"
#include "gbench.h"
#include "json.h"
#include "perf.h"
#include "runlock.h"
#include "simulate.h"
#include "timer.h"
#include "topology.h"
#include "version.h"
#include "workload.h"

/* cpuinfo_value: the value of the first "key<TAB>: value" line. */
static bool
cpuinfo_value(const char *key, char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	size_t kl = strlen(key);
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char *c;

		if (strncmp(line, key, kl) != 0 ||
		    (line[kl] != '\t' && line[kl] != ' ' && line[kl] != ':'))
			continue;
		if ((c = strchr(line, ':')) == NULL)
			continue;
		c++;
		while (*c == ' ')
			c++;
		c[strcspn(c, "\n")] = '\0';
		snprintf(buf, len, "%s", c);
		found = true;
	}
	fclose(f);
	return found;
}

void
hb_cpu_model(const struct hb_run *run, char *buf, size_t len)
{
	const char *m;

	if (cpuinfo_value("model name", buf, len))
		return;
	/* This machine's: a simulated topology's CPU is not what ran. */
	const struct hb_topology *t = run == NULL ? NULL :
	    run->simulated ? run->host : run->topo;

	if (t != NULL) {
		hwloc_obj_t root = hwloc_get_root_obj(t->topo);

		m = hwloc_obj_get_info_by_name(root, "CPUModel");
		if (m == NULL) {
			hwloc_obj_t pk = hwloc_get_obj_by_type(t->topo,
			    HWLOC_OBJ_PACKAGE, 0);

			m = pk != NULL ? hwloc_obj_get_info_by_name(pk,
			    "CPUModel") : NULL;
		}
		if (m != NULL) {
			snprintf(buf, len, "%s", m);
			return;
		}
	}
	snprintf(buf, len, "unknown");
}

bool
hb_virtualized(void)
{
	char flags[4096];

	if (!cpuinfo_value("flags", flags, sizeof(flags)))
		return false;
	for (char *s = strtok(flags, " "); s != NULL; s = strtok(NULL, " "))
		if (strcmp(s, "hypervisor") == 0)
			return true;
	return false;
}

/*
 * sysfs_line: the first line of file path into buf; false with buf
 * "none" when there is no such file, "unknown" when it cannot be read.
 */
static bool
sysfs_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok = f != NULL && fgets(buf, (int)len, f) != NULL;

	if (f != NULL)
		fclose(f);
	if (!ok)
		snprintf(buf, len, f == NULL ? "none" : "unknown");
	buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

void
hb_governors(const struct hb_run *run, char *buf, size_t len)
{
	size_t o = 0;

	/* The PUs the vCPUs run on: this machine's, when simulated. */
	const struct hb_topology *t = run == NULL ? NULL :
	    run->simulated && run->host != NULL ? run->host : run->topo;

	buf[0] = '\0';
	for (unsigned i = 0; t != NULL && i < t->nvcpus; i++) {
		char path[128], g[64];

		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/"
		    "cpufreq/scaling_governor", t->vcpus[i].pu);
		sysfs_line(path, g, sizeof(g));
		/* distinct values only */
		bool seen = false;
		for (const char *p = buf; !seen && *p != '\0';) {
			size_t l = strcspn(p, ",");

			seen = l == strlen(g) && strncmp(p, g, l) == 0;
			p += l + (p[l] == ',');
		}
		if (!seen && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
			    o > 0 ? "," : "", g);
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "none");
}

/*
 * cpuidle_add: the context keys cpuidle_driver, cpuidle_governor and
 * cpuidle_states: the idle states of the first vCPU's PU (this
 * machine's, when simulated) as "NAME LATENCY/RESIDENCY us", disabled
 * ones marked; "none" where /sys has no cpuidle.  How deep an idle
 * state a sleeping target reaches decides what waking it costs.
 */
static void
cpuidle_add(const struct hb_run *run)
{
	const struct hb_topology *t = run->simulated && run->host != NULL ?
	    run->host : run->topo;
	char buf[1024], path[160], name[64], lat[32], res[32], dis[8];
	size_t o = 0;

	sysfs_line("/sys/devices/system/cpu/cpuidle/current_driver", buf,
	    sizeof(buf));
	hbg_add_context("cpuidle_driver", buf);
	if (!sysfs_line("/sys/devices/system/cpu/cpuidle/current_governor_ro",
	    buf, sizeof(buf)))
		sysfs_line("/sys/devices/system/cpu/cpuidle/current_governor",
		    buf, sizeof(buf));
	hbg_add_context("cpuidle_governor", buf);
	buf[0] = '\0';
	for (unsigned i = 0; t != NULL && t->nvcpus > 0 && i < 16 &&
	    o < sizeof(buf); i++) {
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/"
		    "cpuidle/state%u/", t->vcpus[0].pu, i);
		size_t pl = strlen(path);

		snprintf(path + pl, sizeof(path) - pl, "name");
		if (!sysfs_line(path, name, sizeof(name)))
			break;
		snprintf(path + pl, sizeof(path) - pl, "latency");
		sysfs_line(path, lat, sizeof(lat));
		snprintf(path + pl, sizeof(path) - pl, "residency");
		sysfs_line(path, res, sizeof(res));
		snprintf(path + pl, sizeof(path) - pl, "disable");
		sysfs_line(path, dis, sizeof(dis));
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s %s/%sus%s",
		    o > 0 ? ", " : "", name, lat, res,
		    strcmp(dis, "1") == 0 ? " (disabled)" : "");
	}
	hbg_add_context("cpuidle_states", buf[0] != '\0' ? buf : "none");
}

/* smt: whether some core of the machine has more than one PU. */
static bool
smt(const struct hb_topology *t)
{
	int ncores = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_CORE);
	int npus = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PU);

	return ncores > 0 && npus > ncores;
}

static const char *
tf(bool b)
{
	return b ? "true" : "false";
}

/* table_entry: the start of entry i of a table: {"name": .., "summary": .. */
static void
table_entry(FILE *f, unsigned i, const char *name, const char *summary)
{
	fputs(i > 0 ? ", {\"name\": " : "{\"name\": ", f);
	hb_json_str(f, name);
	fputs(", \"summary\": ", f);
	hb_json_str(f, summary);
}

/* backend_table: ipi_backends[] as JSON (results/README.md). */
static void
backend_table(FILE *f)
{
	putc('[', f);
	for (unsigned i = 0; ipi_backends[i] != NULL; i++) {
		const struct ipi_backend_ops *b = ipi_backends[i];

		table_entry(f, i, b->name, b->summary);
		fprintf(f, ", \"spins\": %s, \"reference\": ", tf(b->spins));
		hb_json_str(f, b->reference);
		putc('}', f);
	}
	putc(']', f);
}

/* workload_table: hb_workloads[] as JSON (results/README.md). */
static void
workload_table(FILE *f)
{
	putc('[', f);
	for (unsigned i = 0; hb_workloads[i] != NULL; i++) {
		const struct hb_workload *w = hb_workloads[i];
		const char *k = w->keys != NULL ? w->keys : "";

		table_entry(f, i, w->name, w->summary);
		fprintf(f, ", \"yardstick\": %s, \"kind\": ",
		    tf(w->yardstick));
		hb_json_str(f, hb_kind_name(w->kind));
		fputs(", \"kind_of\": {", f);
		if (w->kind_of.segment != NULL) {
			hb_json_str(f, w->kind_of.segment);
			fputs(": ", f);
			hb_json_str(f, hb_kind_name(w->kind_of.kind));
		}
		fputs("}, \"keys\": [", f);
		fputs(w->yardstick ? "\"beside\"" :
		    "\"backend\", \"placement\"", f);
		if (w->backoff)
			fputs(", \"backoff\"", f);
		while (*k != '\0') {
			size_t l = strcspn(k, ",");

			fprintf(f, ", \"%.*s\"", (int)l, k);
			k += l + (k[l] == ',');
		}
		fputs("]}", f);
	}
	putc(']', f);
}

/*
 * oversubscribed: the vCPUs outnumber the cores they run on (simulated:
 * this machine's PUs they share).
 */
static bool
oversubscribed(const struct hb_run *run)
{
	if (run->simulated && run->host != NULL)
		return run->topo->nvcpus > run->host->nvcpus;
	return run->topo->nvcpus > run->ncores;
}

/* host_pus: this machine's PUs the vCPUs run on, in list syntax. */
static void
host_pus(const struct hb_run *run, char *buf, size_t len)
{
	if (run->simulated && run->host != NULL)
		(void)hb_simulate_host_pus(run->host, run->topo->nvcpus, buf,
		    len);
	else
		hb_setstr(run->topo->selected, buf, len);
	if (buf[0] == '\0')
		snprintf(buf, len, "unknown");
}

/* loadavg: /proc/loadavg's first three fields ("0.52 0.31 0.20"). */
static void
loadavg(char *buf, size_t len)
{
	char line[256], a[32], b[32], c[32];

	if (sysfs_line("/proc/loadavg", line, sizeof(line)) &&
	    sscanf(line, "%31s %31s %31s", a, b, c) == 3)
		snprintf(buf, len, "%s %s %s", a, b, c);
	else
		snprintf(buf, len, "unknown");
}

/*
 * Other busy threads: every thread of the machine (/proc/PID/task/TID/
 * stat) read twice, BUSY_WINDOW_NS apart; one that used more than
 * BUSY_SHARE of that time and last ran on a PU of the run competes with
 * its vCPUs.
 */
#define BUSY_WINDOW_NS	200000000L
#define BUSY_SHARE	0.10
#define BUSY_LISTED	8

struct busy_thread {
	long		pid, tid;
	unsigned long long ticks;	/* utime + stime, clock ticks */
	int		pu;		/* field 39: the PU it last ran on */
	char		comm[32];
};

struct busy_scan {
	struct busy_thread *v;
	size_t		n, cap;
	bool		failed;		/* /proc unreadable, out of memory */
};

/*
 * thread_stat: one thread's stat file into t.  => false when it is gone
 * or does not parse.  The name (field 2) is in parentheses and may hold
 * spaces and ')': the fields go on after the last ')'.
 */
static bool
thread_stat(const char *path, struct busy_thread *t)
{
	char buf[1024], *lp, *rp, *p, *end;
	unsigned long long utime = 0, stime = 0;
	FILE *f = fopen(path, "r");
	bool ok;

	if (f == NULL)
		return false;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok || (lp = strchr(buf, '(')) == NULL ||
	    (rp = strrchr(buf, ')')) == NULL || rp < lp)
		return false;
	snprintf(t->comm, sizeof(t->comm), "%.*s", (int)(rp - lp - 1), lp + 1);
	p = rp + 1;
	for (int field = 3; field <= 39; field++) {
		while (*p == ' ')
			p++;
		/* Numbers, some negative (nice, priority, exit_signal: -1
		 * for every thread but a process's first). */
		if (field >= 14 && !isdigit((unsigned char)*p) && *p != '-')
			return false;
		if (field == 14)
			utime = strtoull(p, &end, 10);
		else if (field == 15)
			stime = strtoull(p, &end, 10);
		else if (field == 39)
			t->pu = (int)strtol(p, &end, 10);
		p += strcspn(p, " \n");
	}
	t->ticks = utime + stime;
	return true;
}

/* busy_add: append t to s. */
static void
busy_add(struct busy_scan *s, const struct busy_thread *t)
{
	if (s->n == s->cap) {
		size_t cap = s->cap > 0 ? 2 * s->cap : 512;
		struct busy_thread *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL) {
			s->failed = true;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *t;
}

static int
by_tid(const void *a, const void *b)
{
	const struct busy_thread *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

/*
 * busy_scan: every thread of every process but this one, sorted by tid.
 * Threads and processes vanish between the reads: skipped.
 */
static void
busy_scan(struct busy_scan *s)
{
	DIR *proc = opendir("/proc"), *task;
	long self = (long)getpid();
	struct dirent *d, *e;
	char path[96];

	if (proc == NULL) {
		s->failed = true;
		return;
	}
	while (!s->failed && (d = readdir(proc)) != NULL) {
		long pid = strtol(d->d_name, NULL, 10);

		if (!isdigit((unsigned char)d->d_name[0]) || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task", pid);
		if ((task = opendir(path)) == NULL)
			continue;
		while (!s->failed && (e = readdir(task)) != NULL) {
			struct busy_thread t = { .pid = pid };

			if (!isdigit((unsigned char)e->d_name[0]))
				continue;
			t.tid = strtol(e->d_name, NULL, 10);
			snprintf(path, sizeof(path), "/proc/%ld/task/%ld/stat",
			    pid, t.tid);
			if (thread_stat(path, &t))
				busy_add(s, &t);
		}
		closedir(task);
	}
	closedir(proc);
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), by_tid);
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A busy thread found: the second scan's entry, its ticks used. */
struct busy_hit {
	const struct busy_thread *t;
	unsigned long long used;
};

static int
by_used(const void *a, const void *b)
{
	const struct busy_hit *x = a, *y = b;

	return (x->used < y->used) - (x->used > y->used);
}

/*
 * other_busy: the context key other_busy: "" when no other thread was
 * busy on the run's PUs (this machine's PUs the vCPUs run on: when
 * simulated, those they share), else "PU 1: 87% (pid 4242 stress-ng);
 * ...", busiest first, at most BUSY_LISTED, then "and N more";
 * "unknown" when /proc cannot be read.
 */
static void
other_busy(const struct hb_run *run, char *buf, size_t len)
{
	struct busy_scan a = { 0 }, b = { 0 };
	struct busy_hit *hit = NULL;
	struct timespec nap = { 0, BUSY_WINDOW_NS };
	hwloc_bitmap_t pus = hwloc_bitmap_alloc();
	long tck = sysconf(_SC_CLK_TCK);
	size_t nhit = 0, o = 0;
	double t0, t1;

	snprintf(buf, len, "unknown");
	if (pus == NULL || tck <= 0)
		goto out;
	for (unsigned i = 0; i < run->topo->nvcpus; i++)
		hwloc_bitmap_set(pus, (unsigned)(run->simulated &&
		    run->host != NULL ? hb_simulate_pu(run->host, i) :
		    run->topo->vcpus[i].pu));
	/* Each scan's middle stands for when it read its threads. */
	t0 = mono_s();
	busy_scan(&a);
	t0 = (t0 + mono_s()) / 2;
	nanosleep(&nap, NULL);
	t1 = mono_s();
	busy_scan(&b);
	t1 = (t1 + mono_s()) / 2;
	if (a.failed || b.failed ||
	    (b.n > 0 && (hit = calloc(b.n, sizeof(*hit))) == NULL))
		goto out;
	double window = (t1 - t0) * (double)tck;

	for (size_t i = 0; i < b.n; i++) {
		const struct busy_thread *t = &b.v[i], *was;

		if (t->pu < 0 || !hwloc_bitmap_isset(pus, (unsigned)t->pu) ||
		    (was = bsearch(t, a.v, a.n, sizeof(*a.v), by_tid)) ==
		    NULL || was->pid != t->pid || t->ticks <= was->ticks ||
		    (double)(t->ticks - was->ticks) <= BUSY_SHARE * window)
			continue;
		hit[nhit++] = (struct busy_hit){ t, t->ticks - was->ticks };
	}
	qsort(hit, nhit, sizeof(*hit), by_used);
	buf[0] = '\0';
	for (size_t i = 0; i < nhit && i < BUSY_LISTED && o < len; i++) {
		const struct busy_thread *t = hit[i].t;
		double pct = 100.0 * (double)hit[i].used / window;
		char tid[32] = "";

		if (t->tid != t->pid)
			snprintf(tid, sizeof(tid), " tid %ld", t->tid);
		o += (size_t)snprintf(buf + o, len - o, "%sPU %d: %.0f%% (pid "
		    "%ld%s %s)", i > 0 ? "; " : "", t->pu, pct > 100 ? 100 :
		    pct, t->pid, tid, t->comm);
	}
	if (nhit > BUSY_LISTED && o < len)
		snprintf(buf + o, len - o, "; and %zu more", nhit - BUSY_LISTED);
out:
	free(hit);
	free(a.v);
	free(b.v);
	if (pus != NULL)
		hwloc_bitmap_free(pus);
}

/* add_json: context key = what write() writes (a JSON text). */
static void
add_json(const char *key, void (*write)(FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL) {
		hbg_add_context(key, "[]");
		return;
	}
	write(f);
	fclose(f);
	hbg_add_context(key, buf != NULL ? buf : "[]");
	free(buf);
}

void
hb_context_add(const struct hb_run *run, const struct hb_context_info *info)
{
	const struct hb_timer_info *ti = hb_timer();
	struct utsname u;
	char buf[1024];

	hbg_add_context("ipibench_version", hb_version);
	hb_build_context();
	hbg_add_context("backends", info->backends);
	hbg_add_context("placement", info->placements);
	hbg_add_context("workloads", info->workloads);
	hb_topology_summary(run->topo, buf, sizeof(buf));
	hbg_add_context("topology", buf);
	snprintf(buf, sizeof(buf), "%u", run->topo->nvcpus);
	hbg_add_context("vcpus", buf);
	snprintf(buf, sizeof(buf), "%u", run->ncores);
	hbg_add_context("vcpu_cores", buf);
	hb_cpu_model(run, buf, sizeof(buf));
	hbg_add_context("cpu_model", buf);
	if (uname(&u) == 0)
		snprintf(buf, sizeof(buf), "%s %s %s %s", u.sysname, u.release,
		    u.version, u.machine);
	else
		snprintf(buf, sizeof(buf), "unknown");
	hbg_add_context("kernel", buf);
	if (ti->tsc)
		snprintf(buf, sizeof(buf), "%.4f", ti->ghz);
	else
		snprintf(buf, sizeof(buf), "none");
	hbg_add_context("tsc_ghz", buf);
	hbg_add_context("tsc_invariant", tf(ti->invariant));
	hbg_add_context("timer", ti->source);
	snprintf(buf, sizeof(buf), "%.1f", ti->overhead_ns);
	hbg_add_context("timer_overhead_ns", buf);
	snprintf(buf, sizeof(buf), "%.1f", ti->step_ns);
	hbg_add_context("timer_step_ns", buf);
	hb_governors(run, buf, sizeof(buf));
	hbg_add_context("governor", buf);
	hbg_add_context("smt", smt(run->topo) ? "on" : "off");
	hbg_add_context("virtualized", tf(hb_virtualized()));
	hbg_add_context("oversubscribed", tf(oversubscribed(run)));
	hbg_add_context("simulated_topology",
	    tf(run->simulated || !run->topo->thissystem));
	hbg_add_context("simulated_source", run->simulated ?
	    run->topo->source : "none");
	host_pus(run, buf, sizeof(buf));
	hbg_add_context("host_pus", buf);
	hbg_add_context("forced", tf(info->forced));
	hb_runlock_describe(buf, sizeof(buf));
	hbg_add_context("run_lock", buf);
	loadavg(buf, sizeof(buf));
	hbg_add_context("loadavg", buf);
	/* Sampled for a run that measures (a listing takes no lock). */
	if (hb_runlock_held())
		other_busy(run, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "unknown");
	hbg_add_context("other_busy", buf);
	if (buf[0] != '\0' && strcmp(buf, "unknown") != 0)
		fprintf(stderr, "ipibench run: warning: other threads were busy "
		    "on the run's PUs (%s): they compete with the vCPUs and "
		    "spoil the timings (context other_busy)\n", buf);
	if (run->params->perf)
		snprintf(buf, sizeof(buf), "%s; counted in a pass of its own "
		    "(%u operations after each repetition's timed batches: "
		    "counter perf_ops), never while timing", hb_perf_status(),
		    hb_perf_pass_ops(run->params));
	else
		snprintf(buf, sizeof(buf), "off (perf = false)");
	hbg_add_context("perf", buf);
	snprintf(buf, sizeof(buf), "%u", run->params->warmup_ops);
	hbg_add_context("warmup_ops", buf);
	hb_ulist_format(&run->params->idle_dwell, buf, sizeof(buf));
	hbg_add_context("idle_dwell_us", buf);
	hbg_add_context("runner_pus", info->runner_pus != NULL ?
	    info->runner_pus : "unpinned");
	cpuidle_add(run);
#ifdef DIAGNOSTIC
	hbg_add_context("diagnostic", "true");
#else
	hbg_add_context("diagnostic", "false");
#endif
	add_json("backend_table", backend_table);
	add_json("workload_table", workload_table);
	if (info->plan != NULL) {
		const struct hb_plan *pl = info->plan;

		snprintf(buf, sizeof(buf), "%.1f", pl->estimate_s);
		hbg_add_context("plan_estimate_s", buf);
		snprintf(buf, sizeof(buf), "%.1f", pl->budget_s);
		hbg_add_context("plan_budget_s", buf);
		hbg_add_context("plan_thinned", pl->thinned);
		hbg_add_context("plan_costs", pl->calibrated ?
		    "calibrated" : "built-in model");
	}
}
