/*
 * pingpong.c: the `pingpong` yardstick, raw cache-line ping-pong on one
 * shared line between vCPUs src and dst: the physical floor of any
 * message between them.
 *
 * One operation is one round trip: the sender stores an odd sequence
 * number into the line and spins until the responder has stored the next
 * (even) one.  Each store takes the line away from the other core, so a
 * round trip is two cache-line transfers.  Neither side pauses while it
 * spins (no SPINLOCK_SPIN_HOOK): this is the floor, and in a VM a PAUSE
 * loop may also exit to the host (pause-loop exiting).  The stop flag
 * lives on a line of its own that is written once, so the responder's
 * check of it stays in its own cache.  The line, the responder and the
 * operation are pingpong.h's: the matrix workload measures them on
 * every pair beside its IPIs.
 *
 * As the in-situ reference of a busy-polling benchmark (workload.h,
 * hb_workload.in_situ): the same round trip on the benchmark's pair, or
 * for a fan-out its n-target shape (ppfan, below).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench.h"
#include "harness/workload.h"
#include "pingpong.h"
#include "yardstick.h"

struct pingpong *
pingpong_alloc(void)
{
	/* sizeof is a multiple of the alignment, as aligned_alloc wants. */
	struct pingpong *pp = aligned_alloc(PP_ALIGN, sizeof(*pp));

	if (pp != NULL)
		memset(pp, 0, sizeof(*pp));
	return pp;
}

void
pingpong_serve(void *arg)
{
	struct pingpong *pp = arg;
	uint64_t v;

	for (;;) {
		v = atomic_load_explicit(&pp->seq, memory_order_acquire);
		if (v & 1) {
			atomic_store_explicit(&pp->seq, v + 1,
			    memory_order_release);
			continue;
		}
		if (atomic_load_explicit(&pp->stop, memory_order_relaxed))
			return;
	}
}

void
pingpong_stop(void *arg)
{
	struct pingpong *pp = arg;

	atomic_store_explicit(&pp->stop, 1, memory_order_relaxed);
}

uint64_t
pingpong_op(void *arg)
{
	struct pingpong *pp = arg;
	uint64_t want = pp->next + 2, t0, t1;

	YS_DRAIN();
	t0 = hb_now();
	atomic_store_explicit(&pp->seq, pp->next + 1, memory_order_release);
	while (atomic_load_explicit(&pp->seq, memory_order_acquire) != want)
		continue;
	t1 = hb_now();
	pp->next = want;
	return t1 - t0;
}

static void
pingpong_body(struct hb_bench *b, void *arg)
{
	struct pingpong *pp = pingpong_alloc();
	struct hb_op op = { .op = pingpong_op };

	if (pp == NULL) {
		hb_bench_error(b, "pingpong: out of memory");
		return;
	}
	op.arg = pp;
	if (ys_run(b, arg, &op, pingpong_serve, pingpong_stop, pp))
		free(pp);
}

/*
 * The n-target shape, the reference of a fan-out (multicast,
 * broadcast): one line written by the sender and read by n responders,
 * each of which acknowledges with a decrement of a count on that same
 * line; the sender spins until the count is 0.  That is a synchronous
 * IPI's traffic without the protocol: the message's line read by every
 * target, its _pending decremented by each.  Nobody pauses.
 */
struct ppfan {
	_Alignas(PP_ALIGN) _Atomic uint64_t seq;	/* the one line: */
	_Atomic unsigned left;				/* yet to ack */
	_Alignas(PP_ALIGN) _Atomic int stop;
	_Alignas(PP_ALIGN) uint64_t next;		/* sender's own */
	unsigned	n;
};

/* ppfan_serve: on each target: acknowledge every new seq. */
static void
ppfan_serve(void *arg)
{
	struct ppfan *f = arg;
	uint64_t last = 0, v;

	for (;;) {
		v = atomic_load_explicit(&f->seq, memory_order_acquire);
		if (v != last) {
			last = v;
			atomic_fetch_sub_explicit(&f->left, 1,
			    memory_order_release);
			continue;
		}
		if (atomic_load_explicit(&f->stop, memory_order_relaxed))
			return;
	}
}

static void
ppfan_stop(void *arg)
{
	struct ppfan *f = arg;

	atomic_store_explicit(&f->stop, 1, memory_order_relaxed);
}

/* ppfan_op: on src: one write of the line and every acknowledgement. */
static uint64_t
ppfan_op(void *arg)
{
	struct ppfan *f = arg;
	uint64_t want = ++f->next, t0, t1;

	YS_DRAIN();
	t0 = hb_now();
	atomic_store_explicit(&f->left, f->n, memory_order_relaxed);
	atomic_store_explicit(&f->seq, want, memory_order_release);
	while (atomic_load_explicit(&f->left, memory_order_acquire) != 0)
		continue;
	t1 = hb_now();
	return t1 - t0;
}

/* ppfan_new: a zeroed struct ppfan for n targets, or NULL. */
static struct ppfan *
ppfan_new(unsigned n)
{
	struct ppfan *f = aligned_alloc(PP_ALIGN, sizeof(*f));

	if (f != NULL) {
		memset(f, 0, sizeof(*f));
		f->n = n;
	}
	return f;
}

/*
 * pingpong_in_situ: the reference of a busy-polling benchmark: the
 * one-line round trip itself for a pair (n is 1: workload.h), the
 * n-target shape for a fan-out; every responder shares the one state.
 */
static bool
pingpong_in_situ(struct hb_bench *b, unsigned src, const unsigned *targets,
    unsigned n, bool fanout, unsigned nops, struct hb_samples *out)
{
	void **states = malloc(n * sizeof(*states));
	void *state = fanout ? (void *)ppfan_new(n) : (void *)pingpong_alloc();
	bool ok, leaked = false;

	if (states == NULL || state == NULL) {
		free(states);
		free(state);
		hb_bench_error(b, "pingpong reference: out of memory");
		return false;
	}
	for (unsigned i = 0; i < n; i++)
		states[i] = state;
	if (fanout)
		ok = ys_in_situ(b, src, targets, n, states, ppfan_serve,
		    ppfan_stop, ppfan_op, state, nops, out, &leaked);
	else
		ok = ys_in_situ(b, src, targets, n, states, pingpong_serve,
		    pingpong_stop, pingpong_op, state, nops, out, &leaked);
	if (!leaked) {
		free(state);
		free(states);
	}
	return ok;
}

static void
pingpong_add(const struct hb_run *run, const struct hb_group *g)
{
	ys_add_pairs(run, g, pingpong_body);
}

const struct hb_workload hb_workload_pingpong = {
	.name = "pingpong",
	.summary = "yardstick: cache-line round trip on one shared line "
	    "(the physical floor)",
	.yardstick = true,
	.kind = HB_KIND_LATENCY,
	.keys = YS_PAIR_KEYS,
	.add = pingpong_add,
	.in_situ = pingpong_in_situ,
};
