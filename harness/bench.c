/*
 * bench.c: the registry of benchmarks, the vCPU machine they run on,
 * and the measuring loop (bench.h).
 *
 * Registry.  hb_bench_add() keeps an entry (name, backend, placement,
 * body, arg) and registers it with Google Benchmark (gbench.h) with
 * manual time.  Google Benchmark runs the entries in registration order.
 *
 * Machine cache.  Before a body runs, the machine must be running with
 * the entry's backend and placement.  It is (re)started only when they
 * differ from the previous benchmark's: workloads register whole groups
 * per (backend, placement), so a run starts one machine per group.
 * hb_bench_add_n() entries run on the first N vCPUs only (broadcast
 * reaches every vCPU of the machine): the size is part of the key.
 * Placement: hb_placement_create() on the run's topology; binding:
 * hb_topology_bind_thread().  The vCPU threads are created with SIGINT
 * and SIGTERM blocked, so that those signals reach the runner thread.
 *
 * Measuring (hb_measure).  The runner thread never spins: it posts a job
 * of `batch` operations to the sender vCPU and sleeps in vcpu_join(),
 * bounded by the watchdog (params->timeout seconds).  The job times
 * every operation (op() returns its ticks), keeps them in an
 * hb_samples, and sums them: the batch's manual time.  At the end the
 * percentile counters and perf counters per operation (started and
 * stopped on the sender, around the batch, so that waking the sender
 * for the job is not counted) are reported.
 *
 * Watchdog.  A batch not back in time skips the benchmark with an error
 * naming the vCPU, and wedges the machine: every later benchmark is
 * skipped with "machine wedged: ...", the stuck vCPU is never joined
 * (its job's memory is leaked on purpose: the job may still use it),
 * and hb_bench_end() returns 1.
 *
 * Signals.  SIGINT/SIGTERM only set a flag (hb_bench_signals); the loop
 * checks it between batches and skips the running benchmark with
 * "interrupted", and every following one at once, so that Google
 * Benchmark finishes quickly and writes valid JSON.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ipi/backend.h"
#include "../ipi/vcpu.h"
#include "bench.h"
#include "gbench.h"
#include "perf.h"
#include "placement.h"
#include "sleepwatch.h"
#include "timer.h"

struct entry {
	char *		name;
	char *		backend;
	char *		placement;	/* never NULL: "local" by default */
	unsigned	nvcpus;		/* machine size; 0: every vCPU */
	hb_body_fn	body;
	void *		arg;
	void		(*free_arg)(void *);
	bool		errored;	/* skipped with an error */
};

struct hb_bench {
	hbg_state *	st;
	struct entry *	e;
	bool		failed;		/* skipped with an error */
};

static struct {
	struct entry **	v;
	unsigned	n, cap;
} reg;

static const struct hb_run *run;

/* The machine now running, if any. */
static struct {
	bool		running;
	char		backend[64];
	char		placement[64];
	unsigned	nvcpus;		/* vCPUs started */
	struct hb_placement *pl;
	/* the last start that failed, so that its group fails fast */
	char		fail_key[160];
	char		fail_msg[1024];
} mach;

static bool wedged;
static char wedged_msg[256];
static volatile sig_atomic_t interrupted;

/* copy: src into dst[len], truncated, always terminated. */
static void
copy(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (len == 0)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Registry.
 */

static void body_entry(hbg_state *st, void *arg);
static void add_entry(const char *backend, const char *placement,
    unsigned nvcpus, hb_body_fn body, void *arg, void (*free_arg)(void *),
    const char *fmt, va_list ap);

void
hb_bench_add(const char *backend, const char *placement, hb_body_fn body,
    void *arg, void (*free_arg)(void *), const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_entry(backend, placement, 0, body, arg, free_arg, fmt, ap);
	va_end(ap);
}

void
hb_bench_add_n(const char *backend, const char *placement, unsigned nvcpus,
    hb_body_fn body, void *arg, void (*free_arg)(void *), const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_entry(backend, placement, nvcpus, body, arg, free_arg, fmt, ap);
	va_end(ap);
}

/* add_entry: hb_bench_add_n() with a va_list. */
static void
add_entry(const char *backend, const char *placement, unsigned nvcpus,
    hb_body_fn body, void *arg, void (*free_arg)(void *), const char *fmt,
    va_list ap)
{
	struct entry *e;

	if (reg.n == reg.cap) {
		unsigned cap = reg.cap ? 2 * reg.cap : 64;
		struct entry **v = realloc(reg.v, cap * sizeof(*v));

		if (v == NULL) {
			fprintf(stderr, "ipibench: out of memory registering "
			    "benchmark %u\n", reg.n);
			exit(1);
		}
		reg.v = v;
		reg.cap = cap;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		goto nomem;
	if (vasprintf(&e->name, fmt, ap) < 0)
		e->name = NULL;
	e->backend = strdup(backend);
	e->placement = strdup(placement != NULL ? placement : "local");
	if (e->name == NULL || e->backend == NULL || e->placement == NULL)
		goto nomem;
	e->nvcpus = nvcpus;
	e->body = body;
	e->arg = arg;
	e->free_arg = free_arg;
	reg.v[reg.n++] = e;
	hbg_use_manual_time(hbg_register(e->name, body_entry, e));
	return;
nomem:
	fprintf(stderr, "ipibench: out of memory registering benchmark %u\n",
	    reg.n);
	exit(1);
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
	run = r;
}

/*
 * Machine cache.
 */

static void
machine_stop(void)
{
	if (!mach.running)
		return;
	ipi_machine_stop();
	hb_placement_destroy(mach.pl);
	mach.pl = NULL;
	mach.running = false;
}

/*
 * machine_ensure: the machine runs with backend and placement on the
 * first nvcpus vCPUs (0: every vCPU).
 * => Returns 0; or -1 with a message in err.
 */
static int
machine_ensure(const char *backend, const char *placement, unsigned nvcpus,
    char *err, size_t errlen)
{
	char key[160];
	enum hb_policy policy;
	sigset_t block, old;
	int rc;

	if (run != NULL && run->topo != NULL &&
	    (nvcpus == 0 || nvcpus > run->topo->nvcpus))
		nvcpus = run->topo->nvcpus;
	if (mach.running && strcmp(mach.backend, backend) == 0 &&
	    strcmp(mach.placement, placement) == 0 && mach.nvcpus == nvcpus)
		return 0;
	snprintf(key, sizeof(key), "%s/%s/%u", backend, placement, nvcpus);
	if (strcmp(key, mach.fail_key) == 0) {
		copy(err, errlen, mach.fail_msg);
		return -1;
	}
	machine_stop();
	if (run == NULL || run->topo == NULL) {
		snprintf(err, errlen, "no run: hb_bench_begin() was not called");
		return -1;
	}
	if (hb_policy_parse(placement, &policy) != 0) {
		snprintf(err, errlen, "placement '%s': unknown policy",
		    placement);
		goto fail;
	}
	if (hb_placement_create(run->topo, policy, &mach.pl, err,
	    errlen) != 0)
		goto fail;

	struct vcpu_config cfg = {
		.specs = mach.pl->specs,
		.n = nvcpus < mach.pl->n ? nvcpus : mach.pl->n,
		.backend = backend,
		.bind = hb_topology_bind_thread,
		.bind_ctx = (void *)run->topo,
	};
	/* vCPU threads inherit the mask: signals go to the runner. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = ipi_machine_start(&cfg, err, errlen);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		hb_placement_destroy(mach.pl);
		mach.pl = NULL;
		goto fail;
	}
	mach.running = true;
	mach.nvcpus = nvcpus;
	copy(mach.backend, sizeof(mach.backend), backend);
	copy(mach.placement, sizeof(mach.placement), placement);
	return 0;
fail:
	{
		char msg[1024];

		snprintf(msg, sizeof(msg), "starting %u vCPUs with backend "
		    "%s, placement %s: %s", nvcpus, backend,
		    placement, err);
		copy(err, errlen, msg);
		copy(mach.fail_key, sizeof(mach.fail_key), key);
		copy(mach.fail_msg, sizeof(mach.fail_msg), msg);
		fprintf(stderr, "ipibench: %s\n", msg);
	}
	return -1;
}

/* body_entry: what Google Benchmark calls for every entry. */
static void
body_entry(hbg_state *st, void *arg)
{
	struct entry *e = arg;
	struct hb_bench b = { .st = st, .e = e, .failed = false };
	char err[512];

	if (interrupted) {
		hbg_skip_with_error(st, "interrupted");
	} else if (wedged) {
		snprintf(err, sizeof(err), "machine wedged: %s", wedged_msg);
		hbg_skip_with_error(st, err);
	} else if (machine_ensure(e->backend, e->placement, e->nvcpus, err,
	    sizeof(err)) != 0) {
		hbg_skip_with_error(st, err);
	} else {
		e->body(&b, e->arg);
	}
	if (hbg_error_occurred(st))
		e->errored = true;
}

/*
 * The lower level.
 */

bool
hb_bench_keep_running(struct hb_bench *b, uint64_t n)
{
	if (b->failed)
		return false;
	if (interrupted) {
		hb_bench_error(b, "interrupted");
		return false;
	}
	return hbg_keep_running_batch(b->st, n);
}

void
hb_bench_set_time(struct hb_bench *b, double seconds)
{
	hbg_set_iteration_time(b->st, seconds);
}

void
hb_bench_counter(struct hb_bench *b, const char *name, double value)
{
	hbg_counter(b->st, name, value, HBG_COUNTER_DEFAULT);
}

void
hb_bench_error(struct hb_bench *b, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (b->failed)
		return;		/* the first error is the one that counts */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b->failed = true;
	hbg_skip_with_error(b->st, msg);
}

bool
hb_bench_wait(struct hb_bench *b, struct cpu_info *ci)
{
	uint64_t tmo = (uint64_t)run->params->timeout * 1000000000ull;

	if (vcpu_join(ci, tmo) == 0)
		return true;
	wedged = true;
	snprintf(wedged_msg, sizeof(wedged_msg), "vCPU %u (PU %d) did not "
	    "finish its job within %u s (watchdog, --timeout)",
	    (unsigned)cpu_index(ci), cpu_pu(ci), run->params->timeout);
	fprintf(stderr, "ipibench: %s: %s; every later benchmark is skipped\n",
	    b->e->name, wedged_msg);
	hb_bench_error(b, "%s", wedged_msg);
	return false;
}

void
hb_bench_samples(struct hb_bench *b, struct hb_samples *s)
{
	static const struct { const char *name; size_t off; } pc[] = {
		{ "p50_ns", offsetof(struct hb_summary, p50) },
		{ "p90_ns", offsetof(struct hb_summary, p90) },
		{ "p99_ns", offsetof(struct hb_summary, p99) },
		{ "p999_ns", offsetof(struct hb_summary, p999) },
		{ "max_ns", offsetof(struct hb_summary, max) },
		{ "min_ns", offsetof(struct hb_summary, min) },
		{ "mean_ns", offsetof(struct hb_summary, mean) },
	};
	struct hb_summary sum;
	double ns_per_tick = 1.0 / hb_timer()->ghz;

	hb_summarize(s->v, s->n, &sum);
	for (size_t i = 0; i < sizeof(pc) / sizeof(pc[0]); i++) {
		double v = *(const double *)((const char *)&sum + pc[i].off);
		hb_bench_counter(b, pc[i].name, v * ns_per_tick);
	}
	hb_bench_counter(b, "samples", (double)s->count);
}

const struct hb_params *
hb_bench_params(const struct hb_bench *b)
{
	(void)b;
	return run->params;
}

bool
hb_bench_wedged(void)
{
	return wedged;
}

/*
 * hb_measure.
 */

/* One batch, handed to the sender.  Heap: a stuck job may outlive us. */
struct job {
	struct hb_op	opcopy;		/* the caller's may not outlive us */
	uint64_t	n;		/* operations in this batch */
	uint64_t	sum;		/* their ticks */
	int *		watch;		/* sleepwatch fds of the targets, or NULL */
	uint64_t	waits, blocked;	/* sleepwatch waits, and those that
					 * saw the target blocked */
	struct hb_samples samples;
	struct hb_perf *perf;
};

static void
job_run(void *arg)
{
	struct job *j = arg;
	const struct hb_op *op = &j->opcopy;

	if (j->perf != NULL)
		hb_perf_start(j->perf);
	if (op->batch_begin != NULL)
		op->batch_begin(op->arg);
	for (uint64_t i = 0; i < j->n; i++) {
		for (unsigned t = 0; j->watch != NULL && t < op->nperf_cpus;
		    t++) {
			j->waits++;
			j->blocked += hb_sleepwatch_wait(j->watch[t]);
		}
		/*
		 * Drain the store buffer before the operation's first stamp:
		 * hb_now() waits for earlier loads, not stores, and the
		 * sample just pushed would otherwise delay the operation's
		 * first store inside its own sample (timer.h).
		 */
		atomic_thread_fence(memory_order_seq_cst);
		uint64_t d = op->op(op->arg);

		j->sum += d;
		hb_samples_push(&j->samples, d);
	}
	if (op->batch_end != NULL)
		op->batch_end(op->arg);
	if (j->perf != NULL)
		hb_perf_stop(j->perf);
}

/* perf_open: counters on the sender and op->perf_cpus, or NULL. */
static struct hb_perf *
perf_open(const struct hb_op *op)
{
	pid_t tids[1 + 64];
	unsigned n = 0;

	if (!run->params->perf)
		return NULL;
	tids[n++] = cpu_tid(op->sender);
	for (unsigned i = 0; i < op->nperf_cpus && n < 1 + 64; i++) {
		if (op->perf_cpus[i] >= ncpu)
			continue;
		tids[n++] = cpu_tid(cpu_lookup(op->perf_cpus[i]));
	}
	return hb_perf_open(tids, n);
}

void
hb_measure(struct hb_bench *b, const struct hb_op *op)
{
	const struct hb_params *p = run->params;
	uint64_t batch = p->batch > 0 ? p->batch : 1;
	double perf_sum[HB_PERF_NEVENTS] = { 0 };
	bool perf_ok[HB_PERF_NEVENTS] = { false };
	uint64_t ops = 0;
	struct job *j;
	int rc;

	if (op->sender == NULL) {
		hb_bench_error(b, "no sender vCPU (harness bug)");
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		hb_bench_error(b, "out of memory for a batch");
		return;
	}
	j->opcopy = *op;
	hb_samples_init(&j->samples, 0);
	j->perf = perf_open(op);
	if (op->wait_asleep && op->nperf_cpus > 0 &&
	    !ipi_backend_lookup(b->e->backend)->spins &&
	    (j->watch = calloc(op->nperf_cpus, sizeof(int))) != NULL) {
		for (unsigned t = 0; t < op->nperf_cpus; t++)
			j->watch[t] = hb_sleepwatch_open(
			    cpu_lookup(op->perf_cpus[t]));
	}

	while (hb_bench_keep_running(b, batch)) {
		j->n = batch;
		j->sum = 0;
		if ((rc = vcpu_post(op->sender, job_run, j)) != 0) {
			hb_bench_error(b, "vCPU %u: vcpu_post: %s",
			    (unsigned)cpu_index(op->sender), strerror(-rc));
			break;
		}
		if (!hb_bench_wait(b, op->sender))
			return;		/* j leaked: the job may still run */
		hb_bench_set_time(b, hb_ticks_to_ns(j->sum) * 1e-9);
		ops += batch;
		for (int e = 0; e < HB_PERF_NEVENTS && j->perf != NULL; e++) {
			double v;

			if (hb_perf_read(j->perf, (enum hb_perf_event)e, &v)) {
				perf_sum[e] += v;
				perf_ok[e] = true;
			}
		}
	}
	if (!b->failed && ops > 0) {
		hb_bench_samples(b, &j->samples);
		for (int e = 0; e < HB_PERF_NEVENTS; e++)
			if (perf_ok[e])
				hb_bench_counter(b,
				    hb_perf_event_name((enum hb_perf_event)e),
				    perf_sum[e] / (double)ops);
		if (j->watch != NULL)
			hb_bench_counter(b, "blocked_per_op",
			    (double)j->blocked / (double)j->waits);
	}
	for (unsigned t = 0; j->watch != NULL && t < op->nperf_cpus; t++)
		if (j->watch[t] >= 0)
			close(j->watch[t]);
	free(j->watch);
	hb_perf_close(j->perf);
	hb_samples_free(&j->samples);
	free(j);
}

/*
 * Pairs.
 */

static int
pair_cmp(const void *a, const void *b)
{
	const struct hb_pair *x = a, *y = b;

	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->same_numa != y->same_numa)
		return x->same_numa ? -1 : 1;
	return 0;
}

unsigned
hb_run_pairs(const struct hb_run *r, bool all, struct hb_pair **out)
{
	const struct hb_topology *t = r->topo;
	unsigned nv = t->nvcpus, n = 0;
	bool seen[HB_PAIR_NCLASSES][2] = { { false } };
	struct hb_pair *v;

	*out = NULL;
	if (nv < 2)
		return 0;
	if ((v = calloc(all ? (size_t)nv * (nv - 1) :
	    2 * HB_PAIR_NCLASSES, sizeof(*v))) == NULL) {
		fprintf(stderr, "ipibench: out of memory for %u vCPU pairs\n",
		    nv);
		exit(1);
	}
	for (unsigned i = 0; i < nv; i++) {
		for (unsigned k = all ? 0 : i + 1; k < nv; k++) {
			bool same;
			enum hb_pair_class c;

			if (k == i)
				continue;
			c = hb_pair_classify(t, t->vcpus[i].pu, t->vcpus[k].pu,
			    &same);
			if (!all) {
				if (seen[c][same])
					continue;
				seen[c][same] = true;
			}
			v[n].src = t->vcpus[i].index;
			v[n].dst = t->vcpus[k].index;
			v[n].cls = c;
			v[n].same_numa = same;
			n++;
		}
	}
	if (!all)
		qsort(v, n, sizeof(*v), pair_cmp);
	*out = v;
	return n;
}

/*
 * Signals and the end.
 */

static void
on_signal(int sig)
{
	interrupted = sig;
}

void
hb_bench_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* A second signal has the default action: a way out of a hang. */
	sa.sa_flags = SA_RESTART | SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int
hb_bench_interrupted(void)
{
	return interrupted;
}

int
hb_bench_end(void)
{
	int rc = 0;

	if (wedged) {
		fprintf(stderr, "ipibench: the machine wedged: %s\n",
		    wedged_msg);
		/* Google Benchmark's records are not the job's: free them.
		 * Never join a stuck vCPU; keep the entries (their args may
		 * be in use), reachable from reg. */
		hbg_clear();
		return 1;
	}
	machine_stop();
	hbg_clear();
	for (unsigned i = 0; i < reg.n; i++) {
		struct entry *e = reg.v[i];

		if (e->errored)
			rc = 1;
		if (e->free_arg != NULL)
			e->free_arg(e->arg);
		free(e->name);
		free(e->backend);
		free(e->placement);
		free(e);
	}
	free(reg.v);
	reg.v = NULL;
	reg.n = reg.cap = 0;
	run = NULL;
	mach.fail_key[0] = '\0';
	return rc;
}
