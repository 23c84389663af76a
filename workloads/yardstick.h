/*
 * yardstick.h: what the yardstick workloads share (workloads/ only).
 *
 * A two-vCPU yardstick is a responder job posted on vCPU dst that serves
 * until told to stop, and one timed operation run by hb_measure() on
 * vCPU src.  These helpers register one benchmark per representative
 * pair and run that shape, so each yardstick file holds only its
 * operation, its responder and its stop.
 */
#ifndef WORKLOADS_YARDSTICK_H
#define WORKLOADS_YARDSTICK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "harness/bench.h"
#include "harness/sleepwatch.h"
#include "harness/timer.h"
#include "ipi/backoff.h"
#include "ipi/ipi.h"

/* The pair a yardstick benchmark measures (its body's argument). */
struct ys_pair {
	unsigned	src, dst;	/* cpu_index() */
};

/*
 * ys_add_pairs: register NAME/beside:BESIDE/src:S/dst:D/class:C in group
 * g for each representative pair (hb_topology_pairs(run->topo, false)).
 * => body gets a struct ys_pair * (owned by the registry).
 */
void	ys_add_pairs(const struct hb_run *run, const struct hb_group *g,
	    hb_body_fn body);

/* The keys of a pair yardstick's names (its table entry's keys). */
#define	YS_PAIR_KEYS	"src,dst,class"

/*
 * ys_measured_cpus: the vCPUs that the representative pairs use,
 * ascending, without repeats (vCPU 0 alone when there is no pair).
 * => Returns the count; *out is malloc'ed (free it); 0 when out of
 *    memory.
 */
unsigned ys_measured_cpus(const struct hb_run *run, unsigned **out);

/*
 * ys_run: post serve(state) on p->dst, measure op (its sender set to
 * p->src, perf counting p->dst too), then stop(state) and wait for the
 * responder.
 * => serve returns once stop(state) was called; stop may be called
 *    before serve started.
 * => A responder that cannot be posted or does not stop skips the
 *    benchmark with an error.
 * => Returns true when no responder runs any more (state may be freed);
 *    false when one still may (leak state rather than free it).
 */
bool	ys_run(struct hb_bench *b, const struct ys_pair *p, struct hb_op *op,
	    void (*serve)(void *), void (*stop)(void *), void *state);

/*
 * ys_in_situ: a yardstick's operation as another benchmark's in-situ
 * reference (hb_workload.in_situ): post serve(states[i]) on targets[i]
 * for each of the n targets, run nops operations op(oparg) on src
 * (each returns its ticks), push them into out, then stop(states[i])
 * each and wait for every responder.
 * => The responders of one state may share it (states[i] equal).
 * => true; false with the benchmark skipped.  *leaked set when a
 *    responder or the sender may still use the states and oparg (the
 *    watchdog): the caller must not free them (out is never written
 *    then).
 */
bool	ys_in_situ(struct hb_bench *b, unsigned src, const unsigned *targets,
	    unsigned n, void *const *states, void (*serve)(void *),
	    void (*stop)(void *), uint64_t (*op)(void *), void *oparg,
	    unsigned nops, struct hb_samples *out, bool *leaked);

/*
 * ys_alloc: size bytes, zeroed, cache-line aligned (size rounded up).
 * => NULL when out of memory.  Free with free().
 */
void *	ys_alloc(size_t size);

/*
 * YS_DRAIN: drain this CPU's store buffer, just before an operation's
 * first timestamp.  hb_now() waits for earlier loads, not for earlier
 * stores (timer.c), and x86 commits stores in order: the operation's
 * first store would otherwise wait, inside the sample, for the stores the
 * harness made just before (the previous sample, written to a buffer
 * that misses in cache every 8 samples).  Measured here on pingpong: p90
 * 210 ns without, 140 ns with; the fence itself is not in the sample
 * (hb_now() starts after it has completed).
 */
#define	YS_DRAIN()	atomic_thread_fence(memory_order_seq_cst)

/*
 * The spin of ipi_wait(): NetBSD's SPINLOCK_BACKOFF on a condition, with
 * the bounds the run's benchmark uses (ipi_backoff_get: the seed's for
 * the yardsticks' own benchmarks; a benchmark's for its reference).
 */
#define	YS_SPIN_UNTIL(cond) do {					\
	unsigned __ys_lo, __ys_hi;					\
	int __ys_count, __ys_max;					\
									\
	ipi_backoff_get(&__ys_lo, &__ys_hi);				\
	__ys_count = (int)__ys_lo;					\
	__ys_max = (int)__ys_hi;					\
	while (!(cond))							\
		SPINLOCK_BACKOFF_TO(__ys_count, __ys_max);		\
} while (0)

#endif /* WORKLOADS_YARDSTICK_H */
