/*
 * sweep.h: what a run registers (sweep.c).
 */
#ifndef HB_SWEEP_H
#define HB_SWEEP_H

#include <stddef.h>

struct hb_run;

/*
 * hb_sweep_register: register run's benchmarks: for each backend the
 * yardsticks beside it, then for each placement the workloads, once per
 * backoff value, and once per idle dwell with the first backoff value
 * (a spinning backend: dwell 0 alone).  The selection follows
 * --workload and --yardsticks (cmd_run.c's usage).
 * => The selected workloads' names, comma-separated, in wrun (len
 *    bytes, cut to fit).
 * => Between hb_bench_begin and hb_bench_commit (bench.h); an
 *    hb_register_fn's body (plan.h).
 */
void	hb_sweep_register(const struct hb_run *run, char *wrun, size_t len);

#endif /* HB_SWEEP_H */
