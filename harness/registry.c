/*
 * registry.c: the registry of benchmarks and the runner's side (bench.h).
 *
 * hb_bench_add() keeps an entry (name, machine: backend, placement,
 * vCPUs; body, arg); hb_bench_commit() registers the entries with Google
 * Benchmark (gbench.h) with manual time, once the plan (plan.h) is
 * final: until then a thinning step may forget them all.  Google
 * Benchmark runs the entries in registration order; before each body
 * the machine is made to match (machine.c).
 *
 * Names.  hb_bench_add() writes the group's prefix itself and checks the
 * workload's own segments against its keys (workload.h), so that every
 * name follows results/README.md and the keys the results' context lists
 * are the keys the names carry.
 *
 * Signals.  SIGINT/SIGTERM/SIGHUP only set a flag (hb_bench_signals);
 * the measuring loop checks it between batches and skips the running
 * benchmark with "interrupted", and every following one at once, so that
 * Google Benchmark finishes quickly and writes valid JSON.  The parent's
 * death sends SIGTERM (PR_SET_PDEATHSIG); SIGPIPE is ignored.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "../ipi/ipi.h"
#include "bench_impl.h"
#include "sleepwatch.h"
#include "timer.h"

struct bench_state bench_state;

static struct {
	struct hb_entry **	v;
	unsigned	n, cap;
} reg;

static void body_entry(hbg_state *st, void *arg);

static void __attribute__((noreturn))
nomem(void)
{
	fprintf(stderr, "ipibench: out of memory registering benchmark %u\n",
	    reg.n);
	exit(1);
}

const struct ipi_backend_ops *
hb_quiet_backend(void)
{
	for (unsigned i = 0; ipi_backends[i] != NULL; i++)
		if (!ipi_backends[i]->spins)
			return ipi_backends[i];
	return NULL;
}

/*
 * check_keys: every segment of rest ("k:v/k:v", may be empty) has a key
 * of w->keys, in that order.  A mismatch is a bug of the workload.
 */
static void
check_keys(const struct hb_workload *w, const char *rest)
{
	const char *want = w->keys != NULL ? w->keys : "";
	size_t seg;

	if (*rest == '\0')
		return;
	for (const char *s = rest;; s += seg + 1) {
		size_t klen = strcspn(s, ":/");
		const char *k = want;
		bool found = false;

		seg = strcspn(s, "/");
		while (*k != '\0' && !found) {
			size_t l = strcspn(k, ",");

			found = l == klen && strncmp(k, s, klen) == 0;
			k += l + (k[l] == ',');
		}
		if (seg == 0 || klen == seg || klen + 1 == seg || !found) {
			fprintf(stderr, "ipibench: bug: workload %s registers a "
			    "name with segment '%.*s': expected key:value with "
			    "a key of its table entry, in order (%s)\n",
			    w->name, (int)seg, s, want);
			abort();
		}
		want = k;	/* the next key comes later in the list */
		if (s[seg] == '\0')
			return;
	}
}

/* add_entry: hb_bench_add_n() with a va_list. */
static struct hb_entry *
add_entry(const struct hb_group *g, unsigned nvcpus, hb_body_fn body,
    void *arg, void (*free_arg)(void *), const char *fmt, va_list ap)
{
	const struct hb_workload *w = g->workload;
	char *rest = NULL, bname[HB_BACKOFF_NAMELEN], dwell[24] = "";
	struct hb_entry *e;
	int len;

	if (reg.n == reg.cap) {
		unsigned cap = reg.cap ? 2 * reg.cap : 64;
		struct hb_entry **v = realloc(reg.v, cap * sizeof(*v));

		if (v == NULL)
			nomem();
		reg.v = v;
		reg.cap = cap;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    vasprintf(&rest, fmt, ap) < 0)
		nomem();
	check_keys(w, rest);
	if (g->dwell != NULL)
		snprintf(dwell, sizeof(dwell), "/dwell:%u", *g->dwell);
	if (w->yardstick)
		len = asprintf(&e->name, "%s/beside:%s%s%s", w->name,
		    g->backend->name, rest[0] != '\0' ? "/" : "", rest);
	else
		len = asprintf(&e->name, "%s/backend:%s/placement:%s%s%s%s%s%s",
		    w->name, g->backend->name, hb_policy_name(g->placement),
		    g->backoff != NULL ? "/backoff:" : "",
		    g->backoff != NULL ? hb_backoff_name(g->backoff, bname,
		    sizeof(bname)) : "", dwell, rest[0] != '\0' ? "/" : "",
		    rest);
	free(rest);
	if (len < 0)
		nomem();
	e->workload = w;
	e->group_backend = g->backend;
	e->backend = w->yardstick ? hb_quiet_backend() : g->backend;
	e->placement = g->placement;
	e->backoff = g->backoff != NULL ? *g->backoff : hb_backoff_seed;
	e->dwell_us = g->dwell != NULL ? *g->dwell : 0;
	e->nvcpus = nvcpus;
	e->body = body;
	e->arg = arg;
	e->free_arg = free_arg;
	reg.v[reg.n++] = e;
	return e;
}

struct hb_entry *
hb_bench_add(const struct hb_group *g, hb_body_fn body, void *arg,
    void (*free_arg)(void *), const char *fmt, ...)
{
	struct hb_entry *e;
	va_list ap;

	va_start(ap, fmt);
	e = add_entry(g, 0, body, arg, free_arg, fmt, ap);
	va_end(ap);
	return e;
}

struct hb_entry *
hb_bench_add_n(const struct hb_group *g, unsigned nvcpus, hb_body_fn body,
    void *arg, void (*free_arg)(void *), const char *fmt, ...)
{
	struct hb_entry *e;
	va_list ap;

	va_start(ap, fmt);
	e = add_entry(g, nvcpus, body, arg, free_arg, fmt, ap);
	va_end(ap);
	return e;
}

void
hb_entry_fix(struct hb_entry *e, uint64_t iterations, unsigned repetitions)
{
	e->iterations = iterations > 0 ? iterations : 1;
	e->repetitions = repetitions;
}

void
hb_entry_reports(struct hb_entry *e)
{
	e->reports = true;
}

/*
 * hb_bench_commit also puts each entry in its machine group
 * (hbg_set_group): a maximal run of consecutive entries on the same
 * machine, whose repetitions Google Benchmark may interleave (issue 11)
 * without a machine restart between them.  An entry that reports what
 * the entry before it measured (hb_entry_reports: the matrix's class
 * summaries) must run after it: that entry and its reporters form a
 * group of their own, run in order (same machine: no restart either).
 */
void
hb_bench_commit(void)
{
	unsigned group = 0;
	bool chain = false;	/* the group is such an ordered chain */

	for (unsigned i = 0; i < reg.n; i++) {
		struct hb_entry *e = reg.v[i];

		if (e->gb != NULL)
			continue;
		e->gb = hbg_register(e->name, body_entry, e);
		hbg_use_manual_time(e->gb);
		/* Google Benchmark appends iterations:N and repeats:N to
		 * these names (results/README.md). */
		if (e->iterations > 0)
			hbg_iterations(e->gb, e->iterations);
		if (e->repetitions > 0)
			hbg_repetitions(e->gb, e->repetitions);
	}
	for (unsigned i = 0; i < reg.n; i++) {
		struct hb_entry *e = reg.v[i], *prev = i > 0 ? reg.v[i - 1] :
		    NULL;
		bool reported = i + 1 < reg.n && reg.v[i + 1]->reports &&
		    machine_same(reg.v[i + 1], e);
		bool fresh;

		if (prev == NULL || !machine_same(e, prev))
			fresh = true;
		else if (e->reports)
			fresh = !chain;	/* a reporter joins its chain */
		else
			fresh = chain || reported;
		if (fresh) {
			if (prev != NULL)
				group++;
			chain = reported;
		}
		hbg_set_group(e->gb, group, !chain);
	}
}

unsigned
hb_bench_entries(struct hb_entry ***v)
{
	*v = reg.v;
	return reg.n;
}

double
hb_mono(void)
{
	return (double)hb_mono_ns() * 1e-9;
}

unsigned
hb_bench_count(void)
{
	return reg.n;
}

const char *
hb_bench_name(unsigned i)
{
	return i < reg.n ? reg.v[i]->name : NULL;
}

void
hb_bench_begin(const struct hb_run *r)
{
	hb_timer_init();
	bench_state.run = r;
}

/* When the last body call of any entry ended (hb_mono), 0 none yet. */
static double last_end;

/* body_entry: what Google Benchmark calls for every entry. */
static void
body_entry(hbg_state *st, void *arg)
{
	struct hb_entry *e = arg;
	struct hb_bench b = { .st = st, .e = e, .failed = false };
	char err[1024];
	double t0 = hb_mono(), t1;

	if (bench_state.interrupted) {
		hbg_skip_with_error(st, "interrupted");
	} else if (bench_state.wedged) {
		snprintf(err, sizeof(err), "machine wedged: %s",
		    bench_state.wedged_msg);
		hbg_skip_with_error(st, err);
	} else if (machine_ensure(e, err, sizeof(err)) != 0) {
		hbg_skip_with_error(st, err);
	} else {
		double tb = hb_mono();

		/* No vCPU waits now: the job posts order it before theirs. */
		ipi_backoff_set(e->backoff.min, e->backoff.max);
		hb_sleepwatch_set_dwell(e->dwell_us);
		e->body(&b, e->arg);
		e->body_s += hb_mono() - tb;
		e->ops += hbg_iterations_done(st);
	}
	t1 = hb_mono();
	/* Google Benchmark's work since the last body call of any
	 * benchmark (repetitions interleave) is this call's. */
	e->span_s += t1 - (last_end > 0 && last_end < t0 ? last_end : t0);
	last_end = t1;
	e->calls++;
	if (hbg_error_occurred(st))
		e->errored = true;
}

/*
 * Signals and the end.
 */

static void
on_signal(int sig)
{
	bench_state.interrupted = sig;
}

/*
 * This process and its parent when the program started, before any
 * work: hb_bench_signals arms PR_SET_PDEATHSIG later, which covers a
 * parent alive then only; one that died in between shows as a changed
 * getppid() (the orphan went to init or a subreaper).
 */
static pid_t start_pid, start_ppid;

static void __attribute__((constructor))
note_parent(void)
{
	start_pid = getpid();
	start_ppid = getppid();
}

void
hb_bench_signals(void)
{
	struct sigaction sa, hup;
	bool nohup;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* A second signal has the default action: a way out of a hang. */
	sa.sa_flags = SA_RESTART | SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* SIGHUP (the terminal gone) as SIGTERM; but under nohup, which
	 * ignores it, the run is meant to outlive its terminal and the
	 * shell that started it: it keeps ignoring it, and its parent's
	 * death does not stop it either. */
	nohup = sigaction(SIGHUP, NULL, &hup) == 0 && hup.sa_handler == SIG_IGN;
	if (!nohup)
		sigaction(SIGHUP, &sa, NULL);
	/* Whoever reads stdout and stderr (a pipe, bench.sh's tee) may be
	 * gone: writes there then fail (EPIPE), harmless; the --out files
	 * are still written to the end. */
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGPIPE, &sa, NULL);
	/* The parent's death (bench.sh killed with its process group) stops
	 * the run as SIGTERM does: process-directed, so it reaches the
	 * runner (the vCPU threads block it).  Armed after the handler, so
	 * that it never kills outright.  A forked copy (a test's) has no
	 * parent of record. */
	if (nohup || prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
		return;
	if (getpid() == start_pid && getppid() != start_ppid) {
		fprintf(stderr, "ipibench: the parent process (pid %ld) is "
		    "gone: stopping as on SIGTERM\n", (long)start_ppid);
		/* The flag, not raise(): the parent may have died after
		 * the prctl too, and two SIGTERMs would kill. */
		bench_state.interrupted = SIGTERM;
	}
}

int
hb_bench_interrupted(void)
{
	return bench_state.interrupted;
}

bool
hb_bench_wedged(void)
{
	return bench_state.wedged;
}

int
hb_bench_end(void)
{
	int rc = 0;

	if (bench_state.wedged) {
		fprintf(stderr, "ipibench: the machine wedged: %s\n",
		    bench_state.wedged_msg);
		/* Google Benchmark's records are not the job's: free them.
		 * Never join a stuck vCPU; keep the entries (their args may
		 * be in use), reachable from reg. */
		hbg_clear();
		return 1;
	}
	machine_stop();
	hbg_clear();
	for (unsigned i = 0; i < reg.n; i++) {
		if (reg.v[i]->errored)
			rc = 1;
		reg.v[i]->gb = NULL;	/* gone with hbg_clear */
	}
	hb_bench_reset();
	bench_state.run = NULL;
	machine_forget();
	return rc;
}

void
hb_bench_reset(void)
{
	for (unsigned i = 0; i < reg.n; i++) {
		struct hb_entry *e = reg.v[i];

		if (e->gb != NULL) {
			fprintf(stderr, "ipibench: bug: hb_bench_reset after "
			    "hb_bench_commit\n");
			abort();
		}
		if (e->free_arg != NULL)
			e->free_arg(e->arg);
		free(e->name);
		free(e);
	}
	free(reg.v);
	reg.v = NULL;
	reg.n = reg.cap = 0;
}
