/*
 * cost.h: what one operation of a benchmark costs, for planning a sweep
 * (plan.h) and for the ETA.
 *
 * Two times per operation matter.  The manual time is the operation's
 * own (what Google Benchmark's min_time counts: it decides how many
 * operations run); the wall time is what the runner waits per operation,
 * untimed parts included (waiting for a target to fall asleep, handing a
 * batch to the sender, the yardstick timer's bookkeeping).  Their ratio
 * is 1.1 for membarrier, 1.4-1.8 for the sleeping backends, 2-3 for
 * busypoll and about 10 for the timer yardstick.
 *
 * The model: a built-in table per workload and kind of backend (spins or
 * sleeps), measured on a 2-core VM (cost.c says which run), scaled by the
 * benchmark's width (targets k, vCPUs n - 1, senders S).  A run records
 * what its benchmarks really cost in costs.csv (hb_costs_write); a plan
 * calibrated on it (--calibrate RUN, hb_costs_load) takes each
 * benchmark's cost from the run where the name matches, and scales the
 * table by what the run measured for the same workload and backend
 * where it does not.
 */
#ifndef HB_COST_H
#define HB_COST_H

#include <stdbool.h>
#include <stddef.h>

struct hb_entry;

struct hb_op_cost {
	double	manual_ns;	/* per operation: its own time */
	double	wall_ns;	/* per operation: the runner's wait */
	double	call_s;		/* per call of the body: setup (perf
				 * counters, sleep watchers, Google
				 * Benchmark's own) */
	double	batch_s;	/* per batch handed to the sender */
};

/* A calibration: the costs a run measured (its costs.csv). */
struct hb_costs;

/*
 * hb_costs_load: read RUN/costs.csv (RUN a results folder or the file).
 * => 0 with *out set; -1 with a message naming the file and line in err
 *    (missing, unreadable, not a costs file, a bad number).
 */
int	hb_costs_load(const char *run, struct hb_costs **out, char *err,
	    size_t errlen);

/* hb_costs_free: NULL is ignored. */
void	hb_costs_free(struct hb_costs *c);

/* hb_costs_source: the file a calibration came from. */
const char *hb_costs_source(const struct hb_costs *c);

/*
 * hb_cost_of: the cost of one operation of entry e, from cal where it
 * has e (or e's workload and backend), else the built-in table.
 * => The same table serves a simulated run (calibrate on one for its
 *    oversubscribed costs).
 */
struct hb_op_cost hb_cost_of(const struct hb_costs *cal,
	    const struct hb_entry *e);

/*
 * hb_cost_start_s: seconds to start a machine of nvcpus vCPUs (threads,
 * placement, the backend's init) and stop the previous one.
 */
double	hb_cost_start_s(const struct hb_costs *cal, unsigned nvcpus);

/*
 * hb_entry_width: the number of vCPUs an operation of e reaches: k of
 * multicast, n - 1 of broadcast, the senders of mboxfull; 1 otherwise.
 */
unsigned hb_entry_width(const struct hb_entry *e);

/*
 * hb_costs_write: the registry's measured costs (bench_impl.h) as
 * DIR/costs.csv, written to a temporary file and renamed.
 * => 0; -1 with a message in err.
 */
int	hb_costs_write(const char *dir, char *err, size_t errlen);

#endif /* HB_COST_H */
