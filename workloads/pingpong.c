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
};
