/*
 * broadcast.c: the `broadcast` workload: ipi_broadcast() + ipi_wait()
 * from vCPU 0 on a machine of n vCPUs, timed on vCPU 0 until the last
 * target acknowledged.
 *
 * ipi_broadcast() reaches every attached vCPU, so each n runs on a
 * machine of exactly the first n vCPUs of the run (hb_bench_add_n):
 * n = params->broadcast_n resolved up to every vCPU, from 2.  Both
 * skip_self values: `self:skip` sends to the n-1 others; `self:run` also
 * runs the (empty) function on the sender before it waits, as the
 * seed's ipi_broadcast(msg, false) does.
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

struct broadcast {
	_Alignas(CACHE_LINE_SIZE) ipi_msg_t msg;	/* alone on its line */
	_Alignas(CACHE_LINE_SIZE) unsigned n;
	bool		skip_self;
	unsigned *	others;		/* 1 .. n-1, for perf */
};

/* bc_func: the message's function: nothing (the protocol alone). */
static void
bc_func(void *arg)
{
	(void)arg;
}

/* bc_op: on vCPU 0: one broadcast and every acknowledgement. */
static uint64_t
bc_op(void *arg)
{
	struct broadcast *bc = arg;
	uint64_t t0, t1;

	t0 = hb_now();
	ipi_broadcast(&bc->msg, bc->skip_self);
	ipi_wait(&bc->msg);
	t1 = hb_now();
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
	bc->msg.func = bc_func;
	bc->msg.arg = NULL;

	struct hb_op op = {
		.sender = cpu_lookup(0),
		.op = bc_op,
		.arg = bc,
		.perf_cpus = bc->others,
		.nperf_cpus = bc->n - 1,
		.wait_asleep = true,
	};
	hb_measure(b, &op);
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
	.add = bc_add,
};
