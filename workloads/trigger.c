/*
 * trigger.c: the `trigger` workload: asynchronous IPIs, ipi_trigger() of
 * a registered handler from vCPU src to vCPU dst, one pair per pair
 * class (as unicast).
 *
 * mode:latency: one operation is ipi_trigger() until the handler has run
 * on dst: the handler stores the sequence number of its run, the sender
 * spins until it sees the one it waits for.  The sender's spin does not
 * pause (as pingpong: in a VM a PAUSE loop may exit to the host).
 * On a backend whose idle vCPUs sleep (every one but busypoll), back to
 * back triggers would mostly find the target not yet asleep (measured
 * here on futex: p50 0.43 us against 13 us for a wake) and flip between
 * the two from run to run; so, as the futex_wake yardstick beside it
 * does, before its timestamp and outside the sample the sender waits
 * until dst's thread is blocked in the kernel (hb_sleepwatch_wait(), /proc
 * state 'S', bounded).  blocked_per_op says how many operations found
 * it so (1.0 expected on those backends; absent on busypoll).
 *
 * mode:coalesce: the sender triggers as fast as it can for a batch (one
 * operation is one ipi_trigger() call) while dst's handler counts its
 * runs.  Triggers of one ID coalesce until the target handles them (the
 * pending bit's 0->1 transition alone kicks), so triggers_per_run is how
 * many triggers one handler run absorbed under that load (1: none
 * coalesced).  Runs are counted after ipi_unregister(), which returns
 * only once every trigger in flight has run.  The load is what the
 * sender's loop reaches, harness included (each call timed on its own):
 * triggers_per_s, the timed batches' triggers over their wall time (the
 * batch hooks, on the sender), says which load a triggers_per_run
 * figure was taken at.
 *
 * Registration lasts one machine: the body registers the handler on the
 * running machine (from src: every ipi_* entry runs on a vCPU) and
 * unregisters it at its end, since Google Benchmark may call the body
 * several times and the machine may restart between benchmarks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/timer.h"
#include "harness/workload.h"
#include "ipi/ipi.h"
#include "ipi/vcpu.h"
#include "yardstick.h"

struct trigger {
	_Alignas(CACHE_LINE_SIZE) _Atomic uint64_t ran;	/* dst writes */
	_Alignas(CACHE_LINE_SIZE) unsigned src, dst;	/* sender's own */
	bool		coalesce;
	bool		wait_blocked;	/* latency on a sleeping backend */
	int		statfd;		/* sleepwatch of dst, or -1 */
	uint64_t	blocked;	/* operations that found dst blocked */
	unsigned	id;		/* ipi_register()'s, 0: none */
	struct cpu_info *target;
	uint64_t	seq;		/* runs waited for so far */
	uint64_t	triggers;	/* coalesce: ipi_trigger() calls */
	uint64_t	batch_t0;	/* coalesce: the batch's start, ticks */
	uint64_t	batch_trig0;	/* ... and triggers then */
	uint64_t	timed_ticks;	/* coalesce: timed batches' wall time */
	uint64_t	timed_triggers;	/* ... and their triggers */
};

/* trig_handler: on dst: one run more (dst is the only writer). */
static void
trig_handler(void *arg)
{
	struct trigger *t = arg;
	uint64_t v = atomic_load_explicit(&t->ran, memory_order_relaxed);

	atomic_store_explicit(&t->ran, v + 1, memory_order_release);
}

/* trig_latency_op: on src: a trigger until the handler ran. */
static uint64_t
trig_latency_op(void *arg)
{
	struct trigger *t = arg;
	uint64_t want = ++t->seq, t0, t1;

	if (t->statfd >= 0 && hb_sleepwatch_wait(t->statfd))
		t->blocked++;	/* untimed: dst sleeps, as in futex_wake */
	if (t->statfd >= 0)
		hb_sleepwatch_dwell();	/* ... for the benchmark's dwell */
	t0 = hb_now();
	ipi_trigger(t->id, t->target);
	while (atomic_load_explicit(&t->ran, memory_order_acquire) != want)
		continue;
	t1 = hb_now();
	return t1 - t0;
}

/* trig_coalesce_op: on src: one trigger, as fast as they come. */
static uint64_t
trig_coalesce_op(void *arg)
{
	struct trigger *t = arg;
	uint64_t t0, t1;

	t0 = hb_now();
	ipi_trigger(t->id, t->target);
	t1 = hb_now();
	t->triggers++;
	return t1 - t0;
}

/* trig_batch_begin, trig_batch_end: on src, around a timed batch. */
static void
trig_batch_begin(void *arg)
{
	struct trigger *t = arg;

	t->batch_trig0 = t->triggers;
	t->batch_t0 = hb_now();
}

static void
trig_batch_end(void *arg)
{
	struct trigger *t = arg;

	t->timed_ticks += hb_now() - t->batch_t0;
	t->timed_triggers += t->triggers - t->batch_trig0;
}

/* On src, as jobs. */
static void
trig_register(void *arg)
{
	struct trigger *t = arg;

	t->id = ipi_register(trig_handler, t);
}

static void
trig_unregister(void *arg)
{
	struct trigger *t = arg;

	ipi_unregister(t->id);
	t->id = 0;
}

static void
trig_body(struct hb_bench *b, void *arg)
{
	struct trigger *t = arg;
	struct cpu_info *sender;
	int rc;

	if (t->src >= ncpu || t->dst >= ncpu || t->src == t->dst) {
		hb_bench_error(b, "trigger: pair %u -> %u on %u vCPUs", t->src,
		    t->dst, ncpu);
		return;
	}
	sender = cpu_lookup(t->src);
	t->target = cpu_lookup(t->dst);
	atomic_store_explicit(&t->ran, 0, memory_order_relaxed);
	t->seq = 0;
	t->triggers = 0;
	t->timed_ticks = t->timed_triggers = 0;
	t->blocked = 0;
	t->statfd = t->wait_blocked ?
	    hb_sleepwatch_open(cpu_lookup(t->dst)) : -1;
	if (t->wait_blocked && t->statfd < 0) {
		hb_bench_error(b, "trigger: /proc/self/task/%d/stat of vCPU "
		    "%u: cannot open (needed to wait until it sleeps)",
		    (int)cpu_tid(t->target), t->dst);
		return;
	}
	if ((rc = vcpu_post(sender, trig_register, t)) != 0) {
		hb_bench_error(b, "trigger: vCPU %u: vcpu_post: %s", t->src,
		    strerror(-rc));
		goto out;
	}
	if (!hb_bench_wait(b, sender))
		return;		/* wedged: keep the fd, a job may use it */
	if (t->id == 0) {
		hb_bench_error(b, "trigger: ipi_register: no free IPI slot "
		    "(%d handlers at most)", IPI_MAXREG - 1);
		goto out;
	}

	struct hb_op op = {
		.sender = sender,
		.op = t->coalesce ? trig_coalesce_op : trig_latency_op,
		.arg = t,
		.perf_cpus = &t->dst,
		.nperf_cpus = 1,
	};
	if (t->coalesce) {
		op.batch_begin = trig_batch_begin;
		op.batch_end = trig_batch_end;
		op.batch_arg = t;
	}
	hb_measure(b, &op);
	if (hb_bench_wedged())
		return;		/* the handler may still be registered */
	if ((rc = vcpu_post(sender, trig_unregister, t)) != 0) {
		hb_bench_error(b, "trigger: vCPU %u: vcpu_post: %s", t->src,
		    strerror(-rc));
		goto out;
	}
	if (!hb_bench_wait(b, sender))
		return;
	if (t->coalesce && t->triggers > 0) {
		uint64_t runs = atomic_load_explicit(&t->ran,
		    memory_order_acquire);

		hb_bench_counter(b, "triggers_per_run", runs > 0 ?
		    (double)t->triggers / (double)runs : 0.0);
		if (t->timed_ticks > 0)
			hb_bench_counter(b, "triggers_per_s",
			    (double)t->timed_triggers /
			    (hb_ticks_to_ns(t->timed_ticks) * 1e-9));
	}
	if (t->statfd >= 0 && t->seq > 0)
		hb_bench_counter(b, "blocked_per_op",
		    (double)t->blocked / (double)t->seq);
out:
	if (t->statfd >= 0)
		close(t->statfd);
	t->statfd = -1;
}

static void
trig_add(const struct hb_run *run, const struct hb_group *g)
{
	struct hb_pair *pairs;
	unsigned n = hb_topology_pairs(run->topo, false, &pairs);

	/* mode:coalesce wakes no sleeping target: the first dwell only */
	for (int mode = 0; mode < (g->dwell_index == 0 ? 2 : 1); mode++) {
		for (unsigned i = 0; i < n; i++) {
			struct trigger *t = aligned_alloc(CACHE_LINE_SIZE,
			    sizeof(*t));

			if (t == NULL) {
				fprintf(stderr, "ipibench: trigger: out of "
				    "memory\n");
				exit(1);
			}
			*t = (struct trigger){ .src = pairs[i].src,
			    .dst = pairs[i].dst, .coalesce = mode == 1,
			    .wait_blocked = mode == 0 && !g->backend->spins,
			    .statfd = -1 };
			hb_bench_add(g, trig_body, t, free,
			    "src:%u/dst:%u/class:%s/mode:%s", pairs[i].src,
			    pairs[i].dst,
			    hb_pair_class_name(pairs[i].cls),
			    mode == 1 ? "coalesce" : "latency");
		}
	}
	free(pairs);
}

const struct hb_workload hb_workload_trigger = {
	.name = "trigger",
	.summary = "ipi_trigger until the registered handler ran (latency), "
	    "and triggers per handler run under load (coalesce)",
	.kind = HB_KIND_LATENCY,
	.kind_of = { "mode:coalesce", HB_KIND_COUNT },
	.reference = HB_REF_PAIR,
	.dwell = true,
	.keys = "src,dst,class,mode",
	.add = trig_add,
};
