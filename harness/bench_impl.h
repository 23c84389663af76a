/*
 * bench_impl.h: what registry.c, machine.c and measure.c share; private
 * to them (bench.h is the interface).
 */
#ifndef HB_BENCH_IMPL_H
#define HB_BENCH_IMPL_H

#include <signal.h>
#include <stdbool.h>

#include "bench.h"
#include "gbench.h"

/* One registered benchmark. */
struct hb_entry {
	char *		name;
	const struct hb_workload *workload;
	const struct ipi_backend_ops *group_backend;	/* of its name */
	const struct ipi_backend_ops *backend;	/* the machine's */
	enum hb_policy	placement;
	struct hb_backoff backoff;	/* the senders' (the seed's if none) */
	unsigned	dwell_us;	/* the idle dwell (0 if none) */
	unsigned	nvcpus;		/* machine size; 0: every vCPU */
	hb_body_fn	body;
	void *		arg;
	void		(*free_arg)(void *);
	bool		errored;	/* skipped with an error */
	uint64_t	iterations;	/* hb_entry_fix: fixed; 0: min_time */
	unsigned	repetitions;	/* hb_entry_fix: fixed; 0: the run's */
	hbg_bench *	gb;		/* Google Benchmark's (hb_bench_commit) */
	/* what it cost, measured while it ran (costs.csv, plan.h) */
	uint64_t	ops;		/* iterations over every call of the
					 * body (search and repetitions) */
	unsigned	calls;		/* body calls */
	double		manual_s;	/* sum of the manual times set */
	double		body_s;		/* wall time inside the body */
	double		start_s;	/* machine start before its first call */
	double		span_s;		/* wall time of its calls, each from
					 * the end of the body call before
					 * it, of any entry */
	double		est_s;		/* the plan's estimate (plan.c) */
	bool		capped;		/* fixed by the plan: tiny operations */
	bool		reports;	/* hb_entry_reports: costs no time */
};

/* One benchmark while its body runs. */
struct hb_bench {
	hbg_state *	st;
	struct hb_entry *	e;
	bool		failed;		/* skipped with an error */
};

/* The state of the runner (one run at a time). */
struct bench_state {
	const struct hb_run *run;	/* hb_bench_begin .. hb_bench_end */
	bool		wedged;		/* a vCPU did not finish its job */
	char		wedged_msg[256];
	volatile sig_atomic_t interrupted; /* SIGINT/TERM/HUP seen: which */
};
extern struct bench_state bench_state;

/* hb_mono: CLOCK_MONOTONIC in seconds. */
double	hb_mono(void);

/*
 * measure.c.
 * hb_entry_reference: the yardstick whose in-situ reference entry e
 *    measures before each repetition (workload.h, enum hb_ref), or
 *    NULL: none (not a latency benchmark, a backend without a
 *    reference, a simulated machine: its figures are not timings).
 * hb_reference_ops: the operations of e's reference to ntargets.
 */
const struct hb_workload *hb_entry_reference(const struct hb_entry *e);
unsigned hb_reference_ops(const struct hb_entry *e, unsigned ntargets);

/* The registered entries, in registration order (registry.c). */
unsigned hb_bench_entries(struct hb_entry ***v);

/*
 * machine.c.
 * machine_ensure: the machine runs with e's backend and placement on its
 *    vCPUs.  => 0; or -1 with a message in err (the same message, at
 *    once, for every later entry of the group that failed to start).
 * machine_stop: stop it, if it runs.  machine_forget: forget the last
 *    failure (a new run).
 * machine_same: whether a and b run on the same machine (backend,
 *    placement, vCPUs), so that one follows the other without a restart.
 */
int	machine_ensure(struct hb_entry *e, char *err, size_t errlen);
void	machine_stop(void);
void	machine_forget(void);
bool	machine_same(const struct hb_entry *a, const struct hb_entry *b);

#endif /* HB_BENCH_IMPL_H */
