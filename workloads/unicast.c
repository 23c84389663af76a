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
 * owned by the registry, cache-line aligned, on a line with only what
 * its function reads: stamps.h), not on the sender's stack: its line is
 * what the target reads and acknowledges on, and nothing else of the
 * sender's shares it.  Its
 * func only stamps (stamps.h: two bare TSC reads and a store to a line
 * of the target's own), so an operation measures the protocol: the
 * mailbox CAS, the pending bit, the kick, the target's handler pass and
 * the _pending decrement the sender spins on.  On a backend whose idle
 * sleeps, each operation starts once the target is blocked (untimed),
 * so that it pays the wake-up, as futex_wake and eventfd_wake do.
 *
 * The timed window is ipi_unicast() + ipi_wait() alone; the stamps
 * split it (stamps.h): deliver (post -> the function's start on dst),
 * ack (post -> its end, just before the _pending decrement) and the
 * wait overhead (that ack -> ipi_wait() seen it), joined after each
 * batch (the hb_op's batch hooks).
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness/bench.h"
#include "harness/timer.h"
#include "harness/workload.h"
#include "ipi/ipi.h"
#include "ipi/vcpu.h"
#include "workloads/stamps.h"

struct unicast {
	struct stamps	st;		/* the message, on its own line */
	_Alignas(CACHE_LINE_SIZE) unsigned src, dst;
	struct cpu_info *target;
};

/* unicast_func: the message's function, on dst: its stamps only. */
static void
unicast_func(void *arg)
{
	struct unicast *u = arg;

	stamps_end(&u->st, stamps_start(&u->st));
}

/* unicast_op: on src: one IPI and its acknowledgement. */
static uint64_t
unicast_op(void *arg)
{
	struct unicast *u = arg;
	uint64_t t0, t1;

	stamps_next(&u->st);
	t0 = hb_now();
	ipi_unicast(&u->st.msg, u->target);
	ipi_wait(&u->st.msg);
	t1 = hb_now();
	stamps_sent(&u->st, t0, t1);
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
	if (!stamps_setup(&u->st, b, "unicast", u->src, &u->dst, 1))
		return;
	u->st.msg.func = unicast_func;
	u->st.msg.arg = u;

	struct hb_op op = {
		.sender = cpu_lookup(u->src),
		.op = unicast_op,
		.arg = u,
		.batch_begin = stamps_batch_begin,
		.batch_end = stamps_batch_end,
		.batch_arg = &u->st,
		.perf_cpus = &u->dst,
		.nperf_cpus = 1,
		.wait_asleep = true,
	};
	hb_measure(b, &op);
	stamps_report(&u->st, b, "unicast");
	stamps_release(&u->st);
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
	.backoff = true,
	.dwell = true,
	.reference = HB_REF_PAIR,
	.add = unicast_add,
};
