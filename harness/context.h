/*
 * context.h: what a run records about itself in the JSON "context"
 * (results/README.md lists the keys).
 */
#ifndef HB_CONTEXT_H
#define HB_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

struct hb_run;

struct hb_plan;

struct hb_context_info {
	const char *	backends;	/* comma list, as run */
	const char *	placements;	/* comma list, as run */
	const char *	workloads;	/* comma list, as run */
	bool		forced;		/* busy-poll forced on too few cores */
	const struct hb_plan *plan;	/* the plan it runs, or NULL */
	const char *	runner_pus;	/* hb_runner_pin()'s description */
};

/*
 * hb_context_add: add every ipibench key of the context (hbg_add_context).
 * => Before hbg_run(); hb_timer_init() done.
 * => For a run that holds the run lock (runlock.h), samples the threads
 *    of the machine for about 200 ms: other_busy names those busy on
 *    the run's PUs (also warned on stderr); run_lock and loadavg too.
 */
void	hb_context_add(const struct hb_run *run,
	    const struct hb_context_info *info);

/*
 * Single facts, also for the run-summary line and tests.
 * hb_cpu_model: /proc/cpuinfo's "model name" (else hwloc's CPUModel of
 *    this machine, else "unknown"): the CPU that ran, also when the
 *    run is simulated.
 * hb_governors: the distinct scaling governors of the PUs the vCPUs
 *    run on (this machine's, run->host, when simulated), comma-separated,
 *    "none" where cpufreq is absent.
 * hb_virtualized: /proc/cpuinfo has the "hypervisor" flag.
 */
void	hb_cpu_model(const struct hb_run *run, char *buf, size_t len);
void	hb_governors(const struct hb_run *run, char *buf, size_t len);
bool	hb_virtualized(void);

#endif /* HB_CONTEXT_H */
