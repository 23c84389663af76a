/*
 * measure.c: the measuring loop (hb_measure) and the lower level that
 * bodies with several senders use (bench.h).
 *
 * The runner thread never spins: it posts a job of `batch` operations to
 * the sender vCPU and sleeps in vcpu_join(), bounded by the watchdog
 * (params->timeout seconds).  The job times every operation (op()
 * returns its ticks), keeps them in an hb_samples, and sums them: the
 * batch's manual time.  At the end the percentile counters and perf
 * counters per operation (started and stopped on the sender, around the
 * batch, so that waking the sender for the job is not counted) are
 * reported.
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
	return bench_state.run->params;
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

	if (!bench_state.run->params->perf)
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
	const struct hb_params *p = bench_state.run->params;
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
