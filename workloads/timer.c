/*
 * timer.c: the `timer` yardstick: the cost of one timed sample, i.e. of
 * the two hb_now() reads that bracket every operation, measured on each
 * vCPU the pair yardsticks use (vCPU 0 alone when there is no pair).
 * Every p50 of the run is to be read against it: the target is
 * a timer cost at most a tenth of the smallest p50.
 *
 * One operation is t0 = hb_now(); t1 = hb_now(); its sample is t1 - t0,
 * exactly what a sample adds to what it measures (hb_timer()'s
 * overhead_ns measures the same thing once, at start-up, on the runner's
 * thread; this measures it where the operations run, beside them).
 */
#include <stdint.h>
#include <stdlib.h>

#include "harness/bench.h"
#include "harness/workload.h"
#include "yardstick.h"

struct timer_arg {
	unsigned	cpu;
};

static uint64_t
timer_op(void *arg)
{
	uint64_t t0, t1;

	(void)arg;
	t0 = hb_now();
	t1 = hb_now();
	return t1 - t0;
}

static void
timer_body(struct hb_bench *b, void *arg)
{
	const struct timer_arg *ta = arg;
	struct hb_op op = {
		.sender = cpu_lookup(ta->cpu),
		.op = timer_op,
	};

	hb_measure(b, &op);
}

static void
timer_add(const struct hb_run *run, const struct hb_group *g)
{
	unsigned *cpus = NULL;
	unsigned n = ys_measured_cpus(run, &cpus);

	for (unsigned i = 0; i < n; i++) {
		struct timer_arg *ta = malloc(sizeof(*ta));
		if (ta == NULL)
			break;
		ta->cpu = cpus[i];
		hb_bench_add(g, timer_body, ta, free, "cpu:%u", ta->cpu);
	}
	free(cpus);
}

const struct hb_workload hb_workload_timer = {
	.name = "timer",
	.summary = "yardstick: the cost of one timed sample (two timer "
	    "reads) on each measured vCPU",
	.yardstick = true,
	.kind = HB_KIND_LATENCY,
	.keys = "cpu",
	.add = timer_add,
};
