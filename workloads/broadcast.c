/*
 * broadcast.c: the `broadcast` workload: ipi_broadcast() + ipi_wait()
 * from vCPU 0 on a machine of n vCPUs, timed on vCPU 0 until the last
 * target acknowledged.
 *
 * ipi_broadcast() reaches every attached vCPU, so each n runs on a
 * machine of exactly the first n vCPUs of the run (hb_bench_add_n):
 * n = params->broadcast_n resolved up to every vCPU, from 2.  Both
 * skip_self values: `self:skip` sends to the n-1 others; `self:run` also
 * runs the function on the sender before it waits, as the seed's
 * ipi_broadcast(msg, false) does.
 *
 * The timed window is ipi_broadcast() + ipi_wait() alone; the message's
 * function only stamps, and the stamps split the window (stamps.h, the
 * join after each batch) over the n-1 targets: deliver (post -> the
 * function's start), ack (post -> the last target's end of the
 * function, just before its _pending decrement) and the wait overhead
 * (that last ack -> ipi_wait() seen it).  The sender's own run of the
 * function (self:run) is no target's and records nothing.
 *
 * Benchmarks are registered n by n, both self values together, so the
 * machine restarts once per n.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness/bench.h"
#include "harness/timer.h"
#include "harness/workload.h"
#include "ipi/ipi.h"
#include "ipi/vcpu.h"
#include "workloads/stamps.h"

struct broadcast {
	struct stamps	st;		/* the message, on its own line */
	_Alignas(CACHE_LINE_SIZE) unsigned n;
	bool		skip_self;
	unsigned *	others;		/* 1 .. n-1: the targets */
};

/*
 * bc_func: the message's function, on each vCPU: its stamps only (none
 * on the sender, which runs it too with self:run: stamps_start()).
 */
static void
bc_func(void *arg)
{
	struct broadcast *bc = arg;

	stamps_end(&bc->st, stamps_start(&bc->st));
}

/* bc_op: on vCPU 0: one broadcast and every acknowledgement. */
static uint64_t
bc_op(void *arg)
{
	struct broadcast *bc = arg;
	uint64_t t0, t1;

	stamps_next(&bc->st);
	t0 = hb_now();
	ipi_broadcast(&bc->st.msg, bc->skip_self);
	ipi_wait(&bc->st.msg);
	t1 = hb_now();
	stamps_sent(&bc->st, t0, t1);
	return t1 - t0;
}

static void
bc_body(struct hb_bench *b, void *arg)
{
	struct broadcast *bc = arg;

	if (ncpu != bc->n) {
		hb_bench_error(b, "broadcast: machine has %u vCPUs, wanted %u",
		    ncpu, bc->n);
		return;
	}
	if (!stamps_setup(&bc->st, b, "broadcast", 0, bc->others, bc->n - 1))
		return;
	bc->st.msg.func = bc_func;
	bc->st.msg.arg = bc;

	struct hb_op op = {
		.sender = cpu_lookup(0),
		.op = bc_op,
		.arg = bc,
		.batch_begin = stamps_batch_begin,
		.batch_end = stamps_batch_end,
		.batch_arg = &bc->st,
		.perf_cpus = bc->others,
		.nperf_cpus = bc->n - 1,
		.wait_asleep = true,
	};
	hb_measure(b, &op);
	stamps_report(&bc->st, b, "broadcast");
	stamps_release(&bc->st);
}

static void
bc_free(void *arg)
{
	struct broadcast *bc = arg;

	free(bc->others);
	free(bc);
}

static void
bc_add(const struct hb_run *run, const struct hb_group *g)
{
	unsigned nv = run->topo->nvcpus, ns[HB_COUNTS_MAX], nn;

	if (nv < 2)
		return;
	nn = hb_ulist_resolve(&run->params->broadcast_n, nv, ns,
	    HB_COUNTS_MAX);
	for (unsigned i = 0; i < nn; i++) {
		if (ns[i] < 2)
			continue;
		for (int self = 0; self < 2; self++) {
			struct broadcast *bc = aligned_alloc(CACHE_LINE_SIZE,
			    sizeof(*bc));

			if (bc != NULL) {
				*bc = (struct broadcast){ .n = ns[i] };
				bc->others = malloc((ns[i] - 1) *
				    sizeof(*bc->others));
			}
			if (bc == NULL || bc->others == NULL) {
				fprintf(stderr, "ipibench: broadcast: out of "
				    "memory\n");
				exit(1);
			}
			bc->skip_self = self == 0;
			for (unsigned k = 1; k < ns[i]; k++)
				bc->others[k - 1] = k;
			hb_bench_add_n(g, ns[i], bc_body, bc, bc_free,
			    "src:0/n:%u/self:%s", ns[i],
			    self == 0 ? "skip" : "run");
		}
	}
}

const struct hb_workload hb_workload_broadcast = {
	.name = "broadcast",
	.summary = "ipi_broadcast + ipi_wait from vCPU 0 on a machine of n "
	    "vCPUs, skip_self both ways",
	.kind = HB_KIND_LATENCY,
	.keys = "src,n,self",
	.backoff = true,
	.reference = HB_REF_FANOUT,
	.add = bc_add,
};
