/*
 * unicast.c: the `unicast` workload: one synchronous IPI from vCPU src
 * to vCPU dst and the wait for its acknowledgement, ipi_unicast() +
 * ipi_wait(), timed on src.
 *
 * Pairs: one representative per (pair class, same NUMA node).  Every
 * ordered pair is the matrix workload's (matrix.c: one sampling pass,
 * the heatmap).
 *
 * The message lives in the per-benchmark struct (the registered arg,
 * owned by the registry, cache-line aligned and alone on its line), not
 * on the sender's stack: its line is what the target reads and
 * acknowledges on, and nothing else of the sender's shares it.  Its
 * func is empty, so an operation measures the protocol alone: the
 * mailbox CAS, the pending bit, the kick, the target's handler pass and
 * the _pending decrement the sender spins on.  On a backend whose idle
 * sleeps, each operation starts once the target is blocked (untimed),
 * so that it pays the wake-up, as futex_wake and eventfd_wake do.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness/bench.h"
#include "harness/timer.h"
#include "harness/workload.h"
#include "ipi/ipi.h"
#include "ipi/vcpu.h"

struct unicast {
	_Alignas(CACHE_LINE_SIZE) ipi_msg_t msg;	/* alone on its line */
	_Alignas(CACHE_LINE_SIZE) unsigned src, dst;
	struct cpu_info *target;
};

/* unicast_func: the message's function: nothing (see above). */
static void
unicast_func(void *arg)
{
	(void)arg;
}

/* unicast_op: on src: one IPI and its acknowledgement. */
static uint64_t
unicast_op(void *arg)
{
	struct unicast *u = arg;
	uint64_t t0, t1;

	t0 = hb_now();
	ipi_unicast(&u->msg, u->target);
	ipi_wait(&u->msg);
	t1 = hb_now();
	return t1 - t0;
}

static void
unicast_body(struct hb_bench *b, void *arg)
{
	struct unicast *u = arg;

	if (u->src >= ncpu || u->dst >= ncpu || u->src == u->dst) {
		hb_bench_error(b, "unicast: pair %u -> %u on %u vCPUs", u->src,
		    u->dst, ncpu);
		return;
	}
	u->target = cpu_lookup(u->dst);
	u->msg.func = unicast_func;
	u->msg.arg = NULL;

	struct hb_op op = {
		.sender = cpu_lookup(u->src),
		.op = unicast_op,
		.arg = u,
		.perf_cpus = &u->dst,
		.nperf_cpus = 1,
		.wait_asleep = true,
	};
	hb_measure(b, &op);
}

static void
unicast_add(const struct hb_run *run, const struct hb_group *g)
{
	struct hb_pair *pairs;
	unsigned n = hb_topology_pairs(run->topo, false, &pairs);

	for (unsigned i = 0; i < n; i++) {
		struct unicast *u = aligned_alloc(CACHE_LINE_SIZE,
		    sizeof(*u));

		if (u == NULL) {
			fprintf(stderr, "ipibench: unicast: out of memory\n");
			exit(1);
		}
		*u = (struct unicast){ .src = pairs[i].src,
		    .dst = pairs[i].dst };
		hb_bench_add(g, unicast_body, u, free,
		    "src:%u/dst:%u/class:%s/numa:%s", pairs[i].src, pairs[i].dst,
		    hb_pair_class_name(pairs[i].cls),
		    pairs[i].same_numa ? "same" : "cross");
	}
	free(pairs);
}

const struct hb_workload hb_workload_unicast = {
	.name = "unicast",
	.summary = "ipi_unicast + ipi_wait, sender to one target "
	    "(one pair per class; every pair: the matrix workload)",
	.kind = HB_KIND_LATENCY,
	.keys = "src,dst,class,numa",
	.add = unicast_add,
};
