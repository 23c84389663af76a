/*
 * bench.h: what workloads use to register and measure benchmarks.
 *
 * A benchmark body runs on the runner thread, which never spins on a
 * measured core: it hands batches of operations to a sender vCPU
 * (vcpu_post/vcpu_join with the watchdog's bound) and reports each
 * batch's time as Google Benchmark manual time.  Every operation is timed
 * on its own (timer.h); percentiles go out as counters (results/README.md).
 *
 * Before a body runs, the harness has the vCPU machine running with the
 * benchmark's backend and placement (yardsticks: the first backend of the
 * table whose idle sleeps, so that idle vCPUs leave the measured PUs
 * alone).
 *
 * The code: registry.c (hb_bench_add, the runner's side), machine.c (the
 * machine the benchmarks run on), measure.c (hb_measure and the lower
 * level); pairs.h chooses the pairs of vCPUs to measure.
 */
#ifndef HB_BENCH_H
#define HB_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "../ipi/vcpu.h"
#include "pairs.h"
#include "params.h"
#include "stats.h"
#include "topology.h"

/* What workloads see while registering. */
struct hb_run {
	const struct hb_params *params;
	const struct hb_topology *topo;	/* topo->vcpus: the selected vCPUs */
	unsigned	ncores;		/* distinct cores among them */
	const char *	out;		/* the results folder (--out), or NULL:
					 * where workloads write files of
					 * their own (matrix.csv) */
	bool		simulated;	/* topo is not this machine: its vCPUs
					 * run oversubscribed here (--simulate);
					 * figures are not timings */
	const struct hb_topology *host;	/* simulated: this machine, its
					 * allowed PUs selected; vCPU i runs
					 * on host->vcpus[i mod nvcpus].pu
					 * (simulate.h).  NULL otherwise */
};

/*
 * The group a workload's add() registers into: its benchmarks run on a
 * machine with this backend and placement.  A yardstick's group names
 * the backend it runs beside (its machine's idle sleeps, whatever that
 * backend) and placement HB_PLACE_LOCAL.
 */
struct hb_group {
	const struct hb_workload *workload;
	const struct ipi_backend_ops *backend;
	enum hb_policy	placement;
	/* workload->backoff: the senders' backoff, the index of its value
	 * in params->backoffs; else NULL (the seed's) */
	const struct hb_backoff *backoff;
	unsigned	backoff_index;
	/* workload->dwell: the idle dwell, microseconds, and the index of
	 * its value in params->idle_dwell (0 for the dwell:0 of a backend
	 * that spins); else NULL and 0 */
	const unsigned *dwell;
	unsigned	dwell_index;
};

struct hb_bench;	/* one benchmark while it runs */
struct hb_entry;	/* one registered benchmark */
typedef void (*hb_body_fn)(struct hb_bench *b, void *arg);

/*
 * hb_bench_add: register a benchmark of group g.  Its name is the group's
 * prefix, WORKLOAD/backend:B/placement:P[/backoff:V][/dwell:N] (a
 * yardstick's: WORKLOAD/beside:B), then "/" and fmt's text when that is
 * not empty: the workload's own key:value segments (results/README.md).
 * Its body runs with the group's backoff (ipi_backoff_set) and idle
 * dwell (hb_sleepwatch_set_dwell).
 * => Every key of fmt's text is one of the workload's keys, in their
 *    order (workload.h); anything else is a bug: abort with a message.
 * => arg is owned by the registry from now on: free_arg(arg) at exit
 *    (free_arg may be NULL).
 * => Returns the entry, for hb_entry_fix().
 */
struct hb_entry *hb_bench_add(const struct hb_group *g, hb_body_fn body, void *arg,
	    void (*free_arg)(void *), const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/*
 * hb_bench_add_n: hb_bench_add() on a machine of the first nvcpus
 * vCPUs of the run (cpu_index() 0 .. nvcpus-1, same PUs and placement),
 * for workloads whose operation reaches every vCPU (broadcast).
 * => nvcpus 0, or not below the run's vCPUs: every vCPU (hb_bench_add).
 * => The machine is kept from one benchmark to the next while (backend,
 *    placement, vCPUs) stay the same: register such benchmarks together,
 *    so that the machine restarts rarely.
 */
struct hb_entry *hb_bench_add_n(const struct hb_group *g, unsigned nvcpus,
	    hb_body_fn body, void *arg, void (*free_arg)(void *),
	    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/*
 * hb_entry_fix: entry e runs exactly `iterations` operations (rounded up
 * to whole KeepRunningBatch batches) in each of `repetitions`
 * repetitions (0: the run's), whatever min_time and --repetitions say:
 * for a body that measures a fixed amount of work (the matrix pass) or
 * reports what another measured.  Google Benchmark then appends
 * /iterations:N (and /repeats:N) to the name.  => iterations >= 1.
 */
void	hb_entry_fix(struct hb_entry *e, uint64_t iterations,
	    unsigned repetitions);

/*
 * hb_entry_reports: entry e measures nothing itself: it reports what an
 * earlier entry measured (the matrix's class summaries), so the plan
 * charges it no time per operation.
 */
void	hb_entry_reports(struct hb_entry *e);

/*
 * hb_quiet_backend: the machine's backend for yardsticks: the first of
 * ipi_backends[] whose idle sleeps.  => NULL when every backend spins.
 */
const struct ipi_backend_ops *hb_quiet_backend(void);

/* One timed operation, run on the sender. */
struct hb_op {
	struct cpu_info *sender;
	/* op: do one operation; returns its duration in timer ticks (it
	 * reads hb_now() around what it measures, leaving its own setup
	 * and tear-down outside) */
	uint64_t	(*op)(void *arg);
	void *		arg;
	/* optional, on the sender around each timed batch, given
	 * batch_arg; the batch's params->warmup_ops untimed operations
	 * come first, inside them.  op() also runs outside them (the perf
	 * pass): it must not depend on batch_begin having run */
	void		(*batch_begin)(void *batch_arg);
	void		(*batch_end)(void *batch_arg);
	void *		batch_arg;
	/* vCPUs whose threads perf counts besides the sender: the targets */
	const unsigned *perf_cpus;
	unsigned	nperf_cpus;
	/* on a backend whose idle sleeps, wait (untimed) before each
	 * operation until every perf_cpus vCPU is blocked in the kernel
	 * (sleepwatch.h), and then the benchmark's idle dwell, so that each
	 * operation pays the wake-up it is meant to measure; counter
	 * blocked_per_op says how often it was (timed operations only) */
	bool		wait_asleep;
};

/*
 * hb_measure: the loop of a one-sender benchmark: batches of
 * params->batch operations on op->sender until Google Benchmark has
 * enough, each after params->warmup_ops untimed ones, manual time = sum
 * of the operations' durations, then the percentile counters (p50_ns ..
 * max_ns, samples), then the perf pass: hb_perf_pass_ops() more
 * operations with perf counters on (none while timing), their counters
 * per operation and perf_ops.
 * => On a watchdog timeout the benchmark is skipped with an error naming
 *    the vCPU that did not answer, and the machine is marked wedged.
 */
void	hb_measure(struct hb_bench *b, const struct hb_op *op);

/*
 * hb_perf_pass_ops: operations of hb_measure()'s perf pass per body
 * call: HB_PERF_PASS_OPS, at most params->batch; 0 with perf off.
 */
#define	HB_PERF_PASS_OPS	200
unsigned hb_perf_pass_ops(const struct hb_params *p);

/*
 * Lower level, for bodies with several senders (mboxfull):
 * hb_bench_keep_running: Google Benchmark's KeepRunningBatch(n).
 * hb_bench_set_time: the manual time of the batch just run, seconds.
 * hb_bench_samples: report percentile counters from samples (ticks).
 * hb_bench_counter: one more counter (plain value).
 * hb_bench_error: skip the benchmark with an error (printf-style).
 * hb_bench_wait: vcpu_join with the watchdog bound; false (and the
 *    benchmark skipped, the machine wedged) on timeout.
 */
bool	hb_bench_keep_running(struct hb_bench *b, uint64_t n);
void	hb_bench_set_time(struct hb_bench *b, double seconds);
void	hb_bench_samples(struct hb_bench *b, struct hb_samples *s);
/*
 * hb_bench_summary: the same counters from a summary in ticks (a
 * histogram's, hist.h) and the operations it counts (samples).
 */
void	hb_bench_summary(struct hb_bench *b, const struct hb_summary *sum,
	    uint64_t count);
void	hb_bench_counter(struct hb_bench *b, const char *name, double value);
void	hb_bench_error(struct hb_bench *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
bool	hb_bench_wait(struct hb_bench *b, struct cpu_info *ci);

/* hb_bench_failed: whether b was skipped with an error. */
bool	hb_bench_failed(const struct hb_bench *b);

/* hb_bench_params: the run's parameters (batch size, timeout, ...). */
const struct hb_params *hb_bench_params(const struct hb_bench *b);

/*
 * hb_bench_wedged: whether the machine is wedged (a vCPU did not finish
 * a job in time; see hb_bench_wait): memory a stuck job may still use
 * must then not be freed.
 */
bool	hb_bench_wedged(void);

/*
 * The runner's side (cmd_run.c, tests).
 *
 * hb_bench_begin: the run the registered benchmarks will use (its
 *    topology for placements and binding, its parameters).
 *    => run stays valid until hb_bench_end().
 * hb_bench_commit: hand every registered benchmark not yet handed to
 *    Google Benchmark (hb_bench_add only records it: a plan may still
 *    drop the lot, see hb_bench_reset).  => Before hbg_run().
 * hb_bench_reset: forget every registered benchmark (freeing their
 *    args), to register again (plan.c thinning a sweep to its budget).
 *    => Only before hb_bench_commit().
 * hb_bench_count: benchmarks registered so far.
 * hb_bench_name: the name of the i-th (i < hb_bench_count()).
 * hb_bench_signals: from now on SIGINT, SIGTERM and SIGHUP (unless
 *    ignored at start: nohup) set a flag: the running benchmark stops
 *    at the end of its batch, every following one is skipped with
 *    "interrupted" (Google Benchmark still writes valid JSON); a second
 *    signal has the default action (dies).  SIGPIPE is ignored (a gone
 *    reader of the progress must not cut the results), and the
 *    parent's death sends SIGTERM (PR_SET_PDEATHSIG; not under nohup).
 * hb_bench_interrupted: the signal that arrived, or 0.
 * hb_bench_end: stop the machine (unless wedged: a stuck vCPU is never
 *    joined, nothing is freed), forget and free the registered
 *    benchmarks (Google Benchmark's too).  => Returns 0; 1 when the
 *    machine wedged or a benchmark was skipped with an error.
 */
void	hb_bench_begin(const struct hb_run *run);
/*
 * hb_runner_pin: pin the calling thread (the runner) to the PUs it may
 * use that run no vCPU, so that it never wakes on a measured PU between
 * batches; describe them in desc (an hwloc list, "2-15"), or why it
 * stays unpinned ("unpinned: every allowed PU runs a vCPU").
 * => Before the vCPU threads start (they bind themselves to their PU).
 */
void	hb_runner_pin(const struct hb_run *run, char *desc, size_t len);
void	hb_bench_commit(void);
void	hb_bench_reset(void);
unsigned hb_bench_count(void);
const char *hb_bench_name(unsigned i);
void	hb_bench_signals(void);
int	hb_bench_interrupted(void);
int	hb_bench_end(void);

#endif /* HB_BENCH_H */
