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
 * benchmark's backend and placement (yardsticks: backend "futex", so idle
 * vCPUs sleep and leave the measured PUs alone).
 */
#ifndef HB_BENCH_H
#define HB_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "../ipi/vcpu.h"
#include "params.h"
#include "stats.h"
#include "topology.h"

/* What workloads see while registering. */
struct hb_run {
	const struct hb_params *params;
	const struct hb_topology *topo;	/* topo->vcpus: the selected vCPUs */
	unsigned	ncores;		/* distinct cores among them */
};

/* A pair of vCPUs and its class. */
struct hb_pair {
	unsigned	src, dst;	/* cpu_index() */
	enum hb_pair_class cls;
	bool		same_numa;
};

/*
 * hb_run_pairs: ordered pairs to measure.  all: every ordered pair;
 * else one representative per (class, same_numa), src < dst, lowest
 * indexes first.  => Returns the count; *out is malloc'ed (free it).
 */
unsigned hb_run_pairs(const struct hb_run *run, bool all,
	    struct hb_pair **out);

struct hb_bench;	/* one benchmark while it runs */
typedef void (*hb_body_fn)(struct hb_bench *b, void *arg);

/*
 * hb_bench_add: register a benchmark named by fmt (the grammar of
 * results/README.md; the caller writes every segment).
 * => backend: the machine's backend while body runs ("futex" for
 *    yardsticks); placement NULL means "local".
 * => arg is owned by the registry from now on: free_arg(arg) at exit
 *    (free_arg may be NULL).
 */
void	hb_bench_add(const char *backend, const char *placement,
	    hb_body_fn body, void *arg, void (*free_arg)(void *),
	    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/*
 * hb_bench_add_n: hb_bench_add() on a machine of the first nvcpus
 * vCPUs of the run (cpu_index() 0 .. nvcpus-1, same PUs and placement),
 * for workloads whose operation reaches every vCPU (broadcast).
 * => nvcpus 0, or not below the run's vCPUs: every vCPU (hb_bench_add).
 * => The machine cache keys on (backend, placement, vCPUs): register
 *    such benchmarks together, so that the machine restarts rarely.
 */
void	hb_bench_add_n(const char *backend, const char *placement,
	    unsigned nvcpus, hb_body_fn body, void *arg,
	    void (*free_arg)(void *), const char *fmt, ...)
	    __attribute__((format(printf, 7, 8)));

/* One timed operation, run on the sender. */
struct hb_op {
	struct cpu_info *sender;
	/* op: do one operation; returns its duration in timer ticks (it
	 * reads hb_now() around what it measures, leaving its own setup
	 * and tear-down outside) */
	uint64_t	(*op)(void *arg);
	void *		arg;
	/* optional, on the sender around each batch */
	void		(*batch_begin)(void *arg);
	void		(*batch_end)(void *arg);
	/* vCPUs whose threads perf counts besides the sender: the targets */
	const unsigned *perf_cpus;
	unsigned	nperf_cpus;
	/* on a backend whose idle sleeps, wait (untimed) before each
	 * operation until every perf_cpus vCPU is blocked in the kernel
	 * (sleepwatch.h), so that each operation pays the wake-up it is
	 * meant to measure; counter blocked_per_op says how often it was */
	bool		wait_asleep;
};

/*
 * hb_measure: the loop of a one-sender benchmark: batches of
 * params->batch operations on op->sender until Google Benchmark has
 * enough, manual time = sum of the operations' durations, then the
 * percentile counters (p50_ns .. max_ns, samples) and perf counters per
 * operation.
 * => On a watchdog timeout the benchmark is skipped with an error naming
 *    the vCPU that did not answer, and the machine is marked wedged.
 */
void	hb_measure(struct hb_bench *b, const struct hb_op *op);

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
void	hb_bench_counter(struct hb_bench *b, const char *name, double value);
void	hb_bench_error(struct hb_bench *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
bool	hb_bench_wait(struct hb_bench *b, struct cpu_info *ci);

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
 * hb_bench_count: benchmarks registered so far.
 * hb_bench_name: the name of the i-th (i < hb_bench_count()).
 * hb_bench_signals: from now on SIGINT and SIGTERM set a flag: the
 *    running benchmark stops at the end of its batch, every following
 *    one is skipped with "interrupted" (Google Benchmark still writes
 *    valid JSON); a second signal has the default action (dies).
 * hb_bench_interrupted: the signal that arrived, or 0.
 * hb_bench_end: stop the machine (unless wedged: a stuck vCPU is never
 *    joined, nothing is freed), forget and free the registered
 *    benchmarks (Google Benchmark's too).  => Returns 0; 1 when the
 *    machine wedged or a benchmark was skipped with an error.
 */
void	hb_bench_begin(const struct hb_run *run);
unsigned hb_bench_count(void);
const char *hb_bench_name(unsigned i);
void	hb_bench_signals(void);
int	hb_bench_interrupted(void);
int	hb_bench_end(void);

#endif /* HB_BENCH_H */
