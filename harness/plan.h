/*
 * plan.h: the plan of a sweep before it starts: how many benchmarks, how
 * many machine starts, how long (from the cost model, cost.h, and Google
 * Benchmark 1.7.1's own way of choosing iterations), and the sweep
 * thinned to fit a time budget.
 *
 * Google Benchmark 1.7.1 runs a benchmark's first repetition with 1
 * iteration (rounded up to the body's batch), then 10 times more while
 * the manual time is under a tenth of min_time, then min_time * 1.4 /
 * time more, until the manual time reaches min_time; later repetitions
 * reuse the count found.  The plan replays that on the model's manual
 * time per operation and charges the model's wall time per operation:
 * the timer yardstick's 30 ns operations cost ten times that in wall
 * time, and busypoll's sender waits for batches it does not time.
 * Benchmarks whose wall time is at least three times their manual time
 * are capped by iterations: as many as the wall time of 1.4 * min_time
 * allows (Iterations(), so min_time does not hold for them; their
 * counter samples says how many ran).
 */
#ifndef HB_PLAN_H
#define HB_PLAN_H

#include <stdbool.h>
#include <stdio.h>

#include "cost.h"
#include "params.h"

struct hb_run;

/* One row of a plan: a workload beside or on one backend. */
struct hb_plan_group {
	const char *	workload;
	const char *	backend;
	unsigned	benchmarks;
	double		estimate_s;
};

#define	HB_PLAN_GROUPS	256

struct hb_plan {
	unsigned	registered;	/* benchmarks registered */
	unsigned	benchmarks;	/* selected by the filter: to run */
	unsigned	capped;		/* of those, capped by iterations */
	unsigned	machine_starts;
	double		estimate_s;
	double		budget_s;	/* 0: none */
	bool		calibrated;	/* costs from a measured run */
	char		thinned[2048];	/* what the fit changed, "" none */
	struct hb_plan_group groups[HB_PLAN_GROUPS];
	unsigned	ngroups;	/* past HB_PLAN_GROUPS: counted in
					 * the totals only */
};

/*
 * hb_register_fn: register the run's benchmarks (sweep.h:
 * hb_sweep_register), again after each thinning.
 */
typedef void (*hb_register_fn)(const struct hb_run *run, void *arg);

/*
 * hb_plan_fit: register the benchmarks of run (whose params is p) and
 * plan those that filter (--benchmark_filter, NULL: all) selects; with p->budget set, thin p until the plan fits:
 * min_time and matrix samples first, then repetitions (down to 2), then
 * the lists that grow with the machine (fanout, broadcast_n, senders:
 * powers of two and the ends kept, then every other one), then
 * min_time, samples and repetitions to their floors (0.01 s, 20, 1),
 * then burst and handler_ns.
 * => Leaves the last registration in the registry (hb_bench_commit()
 *    next), each entry's estimate set, capped entries fixed.
 * => 0 with *plan filled; -1 when even the thinnest sweep exceeds the
 *    budget, with a message in err naming the largest workloads and
 *    what to cut.
 */
int	hb_plan_fit(struct hb_params *p, const struct hb_run *run,
	    const struct hb_costs *cal, const char *filter,
	    hb_register_fn reg, void *arg, struct hb_plan *plan, char *err,
	    size_t errlen);

/*
 * hb_plan_print: the plan as text (one line per workload and backend,
 * the totals, what was thinned) or as one JSON object (benchmarks,
 * machine_starts, estimate_s, budget_s, fits, calibrated, thinned,
 * vcpus, topology, groups).
 */
void	hb_plan_print(const struct hb_plan *plan, const struct hb_run *run,
	    bool json, FILE *f);

/*
 * hb_plan_estimates: the plan's estimate per registered entry, in
 * registration order, for the progress line's ETA.  => A malloc'ed
 * array of hb_bench_count() doubles (free it), or NULL.
 */
double *hb_plan_estimates(void);

#endif /* HB_PLAN_H */
