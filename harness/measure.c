/*
 * measure.c: the measuring loop (hb_measure) and the lower level that
 * bodies with several senders use (bench.h).
 *
 * The runner thread never spins: it posts a job of `batch` operations to
 * the sender vCPU and sleeps in vcpu_join(), bounded by the watchdog
 * (params->timeout seconds).  The job times every operation (op()
 * returns its ticks), keeps them in an hb_samples, and sums them: the
 * batch's manual time; [run] warmup_ops untimed operations open each
 * batch.  At the end the percentile counters are reported, then the perf
 * pass runs: perf counters exist only during a job of its own after the
 * timed batches (started and stopped on the sender, so that waking it
 * for the job is not counted), never while anything is timed.
 *
 * Watchdog.  A batch not back in time skips the benchmark with an error
 * naming the vCPU, and wedges the machine: every later benchmark is
 * skipped with "machine wedged: ...", the stuck vCPU is never joined
 * (its job's memory is leaked on purpose: the job may still use it),
 * and hb_bench_end() returns 1.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ipi/vcpu.h"
#include "bench_impl.h"
#include "perf.h"
#include "sleepwatch.h"
#include "timer.h"
#include "workload.h"

/*
 * The lower level.
 */

bool
hb_bench_keep_running(struct hb_bench *b, uint64_t n)
{
	if (b->failed)
		return false;
	if (bench_state.interrupted) {
		hb_bench_error(b, "interrupted");
		return false;
	}
	return hbg_keep_running_batch(b->st, n);
}

void
hb_bench_set_time(struct hb_bench *b, double seconds)
{
	b->e->manual_s += seconds;
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
	unsigned timeout = bench_state.run->params->timeout;

	if (vcpu_join(ci, (uint64_t)timeout * 1000000000ull) == 0)
		return true;
	bench_state.wedged = true;
	snprintf(bench_state.wedged_msg, sizeof(bench_state.wedged_msg),
	    "vCPU %u (PU %d) did not finish its job within %u s (watchdog, "
	    "--timeout)", (unsigned)cpu_index(ci), cpu_pu(ci), timeout);
	fprintf(stderr, "ipibench: %s: %s; every later benchmark is skipped\n",
	    b->e->name, bench_state.wedged_msg);
	hb_bench_error(b, "%s", bench_state.wedged_msg);
	return false;
}

void
hb_bench_summary(struct hb_bench *b, const struct hb_summary *sum,
    uint64_t count)
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
	double ns_per_tick = 1.0 / hb_timer()->ghz;

	for (size_t i = 0; i < sizeof(pc) / sizeof(pc[0]); i++) {
		double v = *(const double *)((const char *)sum + pc[i].off);
		hb_bench_counter(b, pc[i].name, v * ns_per_tick);
	}
	hb_bench_counter(b, "samples", (double)count);
}

/* samples_report: hb_bench_samples, and their summary into sum. */
static void
samples_report(struct hb_bench *b, struct hb_samples *s,
    struct hb_summary *out)
{
	hb_summarize(s->v, s->n, out);
	hb_bench_summary(b, out, s->count);
}

void
hb_bench_samples(struct hb_bench *b, struct hb_samples *s)
{
	struct hb_summary sum;

	samples_report(b, s, &sum);
}

bool
hb_bench_failed(const struct hb_bench *b)
{
	return b->failed;
}

const struct hb_params *
hb_bench_params(const struct hb_bench *b)
{
	(void)b;
	return bench_state.run->params;
}

/*
 * The in-situ reference (workload.h, enum hb_ref).
 *
 * Operations per reference: enough for a steady p50, few enough that
 * the reference costs little beside a repetition (cost.c charges it per
 * body call).  A wake-up costs 10-30 us here and the wait for the
 * target to sleep as much again: 50 of them take about 3 ms; a fan-out
 * wakes every target per operation, so it runs fewer.
 */
#define	REF_OPS_SPIN	1000
#define	REF_OPS_SLEEP	50
#define	REF_OPS_MIN	10

const struct hb_workload *
hb_entry_reference(const struct hb_entry *e)
{
	const struct hb_workload *w = e->workload;
	const char *ref = e->group_backend->reference;

	if (w->reference == HB_REF_NONE || ref == NULL ||
	    (bench_state.run != NULL && bench_state.run->simulated))
		return NULL;
	if (w->kind_of.segment != NULL && w->kind_of.kind != HB_KIND_LATENCY &&
	    strstr(e->name, w->kind_of.segment) != NULL)
		return NULL;	/* e.g. trigger mode:coalesce: a count */
	for (unsigned i = 0; hb_workloads[i] != NULL; i++)
		if (strcmp(hb_workloads[i]->name, ref) == 0)
			return hb_workloads[i]->in_situ != NULL ?
			    hb_workloads[i] : NULL;
	return NULL;
}

unsigned
hb_reference_ops(const struct hb_entry *e, unsigned ntargets)
{
	unsigned n;

	if (e->group_backend->spins)
		return REF_OPS_SPIN;
	n = REF_OPS_SLEEP / (ntargets > 0 ? ntargets : 1);
	return n > REF_OPS_MIN ? n : REF_OPS_MIN;
}

/*
 * reference: measure b's in-situ reference yardstick ys from op's
 * sender to its targets (perf_cpus).  => Its p50 in ticks, > 0; 0 with
 * the benchmark skipped.
 */
static double
reference(struct hb_bench *b, const struct hb_workload *ys,
    const struct hb_op *op)
{
	struct hb_samples s;
	struct hb_summary sum = { 0 };
	bool fanout = b->e->workload->reference == HB_REF_FANOUT;

	if (op->nperf_cpus == 0 || (!fanout && op->nperf_cpus != 1)) {
		hb_bench_error(b, "in-situ reference: %u targets for a %s "
		    "(harness bug)", op->nperf_cpus, fanout ? "fan-out" :
		    "pair");
		return 0;
	}
	hb_samples_init(&s, 0);
	if (ys->in_situ(b, (unsigned)cpu_index(op->sender), op->perf_cpus,
	    op->nperf_cpus, fanout, hb_reference_ops(b->e, op->nperf_cpus),
	    &s) && s.n > 0)
		hb_summarize(s.v, s.n, &sum);
	hb_samples_free(&s);
	if (!b->failed && sum.p50 <= 0)
		hb_bench_error(b, "in-situ reference %s: no sample", ys->name);
	return b->failed ? 0 : sum.p50;
}

/*
 * hb_measure.
 */

/*
 * One batch, handed to the sender.  Heap: a stuck job may outlive us.
 * With perf set it is the perf pass: its operations are counted by
 * perf, not timed, and not passed to the batch hooks.
 */
struct job {
	struct hb_op	opcopy;		/* the caller's may not outlive us */
	uint64_t	n;		/* operations in this batch */
	unsigned	warmup;		/* untimed operations before them */
	uint64_t	sum;		/* their ticks */
	int *		watch;		/* sleepwatch fds of the targets, or NULL */
	uint64_t	waits, blocked;	/* sleepwatch waits, and those that
					 * saw the target blocked */
	struct hb_samples samples;
	struct hb_perf *perf;		/* the perf pass's counters, or NULL */
};

/*
 * one_op: on the sender: wait (untimed) until every target sleeps and
 * the benchmark's idle dwell has passed, then one operation.  => Its
 * ticks.
 */
static uint64_t
one_op(struct job *j)
{
	const struct hb_op *op = &j->opcopy;

	if (j->watch != NULL) {
		for (unsigned t = 0; t < op->nperf_cpus; t++) {
			j->waits++;
			j->blocked += hb_sleepwatch_wait(j->watch[t]);
		}
		hb_sleepwatch_dwell();
	}
	/*
	 * Drain the store buffer before the operation's first stamp:
	 * hb_now() waits for earlier loads, not stores, and the sample just
	 * pushed would otherwise delay the operation's first store inside
	 * its own sample (timer.h).
	 */
	atomic_thread_fence(memory_order_seq_cst);
	return op->op(op->arg);
}

/*
 * warm_up: the warm-up operations, untimed: the first operation after
 * the runner handed the batch over is cold (the sender just woke from
 * its idle, its caches and the wake-up path too): timed, it would land
 * in the tail (the p99 at batch 100, the p99.9 at 1000).  Their waits
 * for sleep do not count in blocked_per_op.
 */
static void
warm_up(struct job *j)
{
	uint64_t waits = j->waits, blocked = j->blocked;

	for (unsigned i = 0; i < j->warmup; i++)
		(void)one_op(j);
	j->waits = waits;
	j->blocked = blocked;
}

/*
 * job_run: the batch hook batch_begin, the warm-up, the batch timed one
 * by one, batch_end (the stamps skip the warm-up's operations); or, in
 * the perf pass, the warm-up, then the operations counted between
 * hb_perf_start and hb_perf_stop, without the hooks.
 */
static void
job_run(void *arg)
{
	struct job *j = arg;
	const struct hb_op *op = &j->opcopy;

	if (j->perf != NULL) {
		warm_up(j);
		hb_perf_start(j->perf);
		for (uint64_t i = 0; i < j->n; i++)
			(void)one_op(j);
		hb_perf_stop(j->perf);
		return;
	}
	if (op->batch_begin != NULL)
		op->batch_begin(op->batch_arg);
	warm_up(j);
	for (uint64_t i = 0; i < j->n; i++) {
		uint64_t d = one_op(j);

		j->sum += d;
		hb_samples_push(&j->samples, d);
	}
	if (op->batch_end != NULL)
		op->batch_end(op->batch_arg);
}

/* perf_open: counters on the sender and op->perf_cpus, or NULL. */
static struct hb_perf *
perf_open(const struct hb_op *op)
{
	pid_t tids[1 + 64];
	unsigned n = 0;

	tids[n++] = cpu_tid(op->sender);
	for (unsigned i = 0; i < op->nperf_cpus && n < 1 + 64; i++) {
		if (op->perf_cpus[i] >= ncpu)
			continue;
		tids[n++] = cpu_tid(cpu_lookup(op->perf_cpus[i]));
	}
	return hb_perf_open(tids, n);
}

unsigned
hb_perf_pass_ops(const struct hb_params *p)
{
	if (!p->perf)
		return 0;
	return p->batch < HB_PERF_PASS_OPS ? p->batch : HB_PERF_PASS_OPS;
}

/*
 * perf_pass: after the timed batches of a body call, the perf pass (see
 * hb_measure): hb_perf_pass_ops() operations counted on the sender and
 * the targets; their counters per operation and perf_ops.  Counters
 * exist only during the pass: per-thread counting slows the kernel's
 * context-switch path (a futex wake-up took 30 % longer with it on).
 * => false when the watchdog fired (j leaked: the job may still run).
 */
static bool
perf_pass(struct hb_bench *b, struct job *j)
{
	const struct hb_op *op = &j->opcopy;
	int rc;

	if ((j->n = hb_perf_pass_ops(bench_state.run->params)) == 0 ||
	    (j->perf = perf_open(op)) == NULL)
		return true;
	if ((rc = vcpu_post(op->sender, job_run, j)) != 0) {
		hb_bench_error(b, "vCPU %u: vcpu_post: %s",
		    (unsigned)cpu_index(op->sender), strerror(-rc));
	} else if (!hb_bench_wait(b, op->sender)) {
		return false;
	} else {
		for (int e = 0; e < HB_PERF_NEVENTS; e++) {
			double v;

			if (hb_perf_read(j->perf, (enum hb_perf_event)e, &v))
				hb_bench_counter(b, hb_perf_event_name(
				    (enum hb_perf_event)e), v / (double)j->n);
		}
		hb_bench_counter(b, "perf_ops", (double)j->n);
	}
	hb_perf_close(j->perf);
	j->perf = NULL;
	return true;
}

void
hb_measure(struct hb_bench *b, const struct hb_op *op)
{
	const struct hb_params *p = bench_state.run->params;
	const struct hb_workload *ys = hb_entry_reference(b->e);
	uint64_t batch = p->batch > 0 ? p->batch : 1;
	double ref_p50 = 0;
	uint64_t ops = 0;
	struct job *j;
	int rc;

	if (op->sender == NULL) {
		hb_bench_error(b, "no sender vCPU (harness bug)");
		return;
	}
	/* This repetition's reference, on the same vCPUs, just before. */
	if (ys != NULL && (ref_p50 = reference(b, ys, op)) <= 0)
		return;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		hb_bench_error(b, "out of memory for a batch");
		return;
	}
	j->opcopy = *op;
	j->warmup = p->warmup_ops;
	hb_samples_init(&j->samples, 0);
	if (op->wait_asleep && op->nperf_cpus > 0 &&
	    !b->e->backend->spins &&
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
	}
	if (!b->failed && ops > 0) {
		struct hb_summary sum;

		samples_report(b, &j->samples, &sum);
		if (ys != NULL) {
			hb_bench_counter(b, "ref_p50_ns",
			    ref_p50 / hb_timer()->ghz);
			hb_bench_counter(b, "x_ref", sum.p50 / ref_p50);
			hb_bench_counter(b, "ref_targets", op->nperf_cpus);
		}
		if (j->watch != NULL)
			hb_bench_counter(b, "blocked_per_op",
			    (double)j->blocked / (double)j->waits);
		if (!perf_pass(b, j))
			return;		/* j leaked: the job may still run */
	}
	for (unsigned t = 0; j->watch != NULL && t < op->nperf_cpus; t++)
		if (j->watch[t] >= 0)
			close(j->watch[t]);
	free(j->watch);
	hb_samples_free(&j->samples);
	free(j);
}
