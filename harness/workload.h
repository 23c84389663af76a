/*
 * workload.h: the table of workloads.
 *
 * One file per workload in workloads/, each defining one
 * `const struct hb_workload`, listed in workloads/table.c.  A workload's
 * add() registers its benchmarks (bench.h) into one group: a backend and
 * a placement.  A yardstick measures no backend and is added before each
 * backend's group, so that it runs right beside the figures it
 * calibrates (its names carry beside:BACKEND).
 *
 * The table is the one description of a workload: `ipibench list`, the
 * names' keys (checked when a benchmark is registered), and the results'
 * context ("workload_table", read by plot/ and the report) all come
 * from it.
 */
#ifndef HB_WORKLOAD_H
#define HB_WORKLOAD_H

#include <stdbool.h>

struct hb_group;
struct hb_params;
struct hb_run;

/* What the time of one operation of a benchmark is. */
enum hb_kind {
	HB_KIND_LATENCY,	/* a round trip: comparable to the backend's
				 * reference yardstick */
	HB_KIND_THROUGHPUT,	/* the cost of one message under load */
	HB_KIND_COUNT,		/* a count (coalescing): no time to compare */
	HB_NKINDS
};

/* hb_kind_name: "latency", "throughput", "count". */
const char *hb_kind_name(enum hb_kind k);

struct hb_workload {
	const char *	name;		/* first segment of benchmark names */
	const char *	summary;	/* one line for `ipibench list` */
	bool		yardstick;
	enum hb_kind	kind;		/* of its benchmarks, but: */
	struct {
		const char *	segment;	/* "key:value" in the name */
		enum hb_kind	kind;		/* the kind of those */
	}		kind_of;	/* (segment NULL: none) */
	/*
	 * keys: the keys its names carry after the group's (backend,
	 * placement; a yardstick's: beside), in name order, comma-separated;
	 * hb_bench_add() refuses a name with any other.
	 */
	const char *	keys;
	/*
	 * optional: whether an empty workloads list (the default) selects
	 * it; NULL: always (a yardstick: with yardsticks = true).
	 */
	bool		(*wanted)(const struct hb_params *p);
	/* optional: once per run, before any vCPU thread exists */
	void		(*init)(void);
	/*
	 * add: register this workload's benchmarks with hb_bench_add(g, ...).
	 * => g: the group; a yardstick's: the backend it runs beside.
	 */
	void		(*add)(const struct hb_run *run, const struct hb_group *g);
};

/* hb_workloads: NULL-terminated, in run order. */
extern const struct hb_workload *const hb_workloads[];

#endif /* HB_WORKLOAD_H */
