/*
 * workload.h: the table of workloads.
 *
 * One file per workload in workloads/, each defining one
 * `const struct hb_workload`, listed in workloads/table.c.  A workload's
 * add() registers its benchmarks (bench.h) for one backend and placement;
 * a yardstick measures no backend and is added before each backend's
 * group, so that it runs right beside the figures it calibrates (its
 * names carry beside:BACKEND).
 */
#ifndef HB_WORKLOAD_H
#define HB_WORKLOAD_H

#include <stdbool.h>

struct hb_run;

struct hb_workload {
	const char *	name;		/* first segment of benchmark names */
	const char *	summary;	/* one line for `ipibench list` */
	bool		yardstick;
	/*
	 * add: register this workload's benchmarks with hb_bench_add().
	 * => backend, placement: the group's (yardsticks: the backend they
	 *    run beside, and NULL placement).
	 */
	void		(*add)(const struct hb_run *run, const char *backend,
			    const char *placement);
};

/* hb_workloads: NULL-terminated, in run order. */
extern const struct hb_workload *const hb_workloads[];

/* hb_workload_lookup: the workload called name, or NULL. */
const struct hb_workload *hb_workload_lookup(const char *name);

#endif /* HB_WORKLOAD_H */
