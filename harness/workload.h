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

struct hb_bench;
struct hb_group;
struct hb_params;
struct hb_run;
struct hb_samples;

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

/*
 * The in-situ reference of a workload's benchmarks: before each
 * repetition (each call of the body) hb_measure() runs a short batch of
 * the backend's reference yardstick (ipi_backend_ops.reference) on the
 * same vCPUs, so that the benchmark's ratio to it compares two figures
 * of the same moment (counters ref_p50_ns, x_ref, ref_targets).
 */
enum hb_ref {
	HB_REF_NONE,
	HB_REF_PAIR,	/* sender to its one target: the yardstick itself */
	HB_REF_FANOUT,	/* sender to its targets, one operation reaching
			 * every one (the yardstick's n-target shape) */
};

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
	 * backoff: its senders spin-wait with the seed's SPINLOCK_BACKOFF
	 * (ipi_wait, a full mailbox): a group per [run] backoff value, its
	 * names carrying backoff:VALUE after the placement.
	 */
	bool		backoff;
	/*
	 * dwell: its operations wake a sleeping target (they wait until it
	 * sleeps): on a backend whose idle sleeps, a group per [run]
	 * idle_dwell_us value, the target left asleep that long before each
	 * wake-up (its names carrying dwell:N after the backoff); on one that
	 * spins, one group, dwell:0.  With a backoff sweep, only the first
	 * backoff value is crossed with every dwell value.
	 */
	bool		dwell;
	/* reference: the in-situ reference its latency benchmarks measure
	 * (those of kind_of's segment, if not latency, measure none) */
	enum hb_ref	reference;
	/*
	 * in_situ: a yardstick's operation measured inside another
	 * benchmark, as its reference: on the running machine, from vCPU
	 * src to the n vCPUs targets (fanout: one operation reaches every
	 * one; else n is 1 and it is the yardstick's own operation), nops
	 * operations, their ticks pushed into out.
	 * => Called by the runner between the benchmark's batches.
	 * => true; false with the benchmark skipped (an error, the
	 *    watchdog).
	 * NULL: the yardstick cannot serve as a reference.
	 */
	bool		(*in_situ)(struct hb_bench *b, unsigned src,
			    const unsigned *targets, unsigned n, bool fanout,
			    unsigned nops, struct hb_samples *out);
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
