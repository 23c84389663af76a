/*
 * stamps.h: when a synchronous IPI reached each target and when each
 * target acknowledged it, beside the sender's own view (workloads/ only):
 * the round trip that ipi_wait() times split into delivery, the targets'
 * acknowledgement and the sender's wait overhead.
 *
 * The operation, on the sender (t0, t1: hb_now()) and on each target:
 *
 *	sender:  t0  ipi_{uni,multi,broad}cast  ipi_wait ........  t1
 *	target:            handler: func { t_start ... t_end }  _pending--
 *
 * The message's function stamps t_start first and t_end last: the
 * _pending decrement of ipi_msg_cpu_handler() (ipi/ipi.c) follows t_end
 * at once (a release fence, and the ack delay point, a no-op unless a
 * test or mboxfull arms it).  Per operation, at the end of each batch:
 *
 *	deliver       t_start - t0, for every target
 *	ack           (max over targets of t_end) - t0: the last ack
 *	wait overhead t1 - max t_end: from the last ack until the sender
 *	              saw it (ipi_wait's SPINLOCK_BACKOFF, the line's way
 *	              back, hb_now()'s own cost)
 *
 * each clamped at 0 (a bare TSC read may run a little early; the TSC is
 * invariant and synchronised across cores on the machines this runs
 * on).  They go out as counters deliver_p50_ns, deliver_p99_ns,
 * ack_p50_ns, ack_p99_ns and wait_overhead_p50_ns (results/README.md).
 *
 * Little shared line traffic inside the timed window beyond the
 * message's: each operation has a sequence number, written by the
 * sender on the message's line (which the targets read anyway); each
 * target writes (seq, t_start, t_end) into an array of its own
 * (cache-line separated, written only by that target), the sender
 * keeps t0 and t1 in arrays of its own, all indexed by seq modulo the
 * batch size, and the sender joins them after each batch (reading a
 * target's slot after every operation would cost two line transfers an
 * operation).  The join leaves the targets' lines shared with the
 * sender, and a target's first store to each of them would take it back
 * inside the next batch (one invalidation a line, a line holding two or
 * three entries: the mean moved by 15 % on multicast).  So before each
 * batch, untimed, the sender sends every target a message of its own
 * (st->touch: a unicast and its wait per target) whose function stores
 * to each entry of that target's array.  Each
 * operation's ipi_wait() (acquire) orders the targets' stores before
 * the join; the next store to an entry follows the join through the
 * next post (release).
 *
 * Use: embed a struct stamps (it holds the message), set st.msg.func to
 * a function that brackets its work with stamps_start()/stamps_end(),
 * stamps_setup() before hb_measure(), stamps_next()/stamps_sent()
 * around each timed operation, stamps_batch_begin()/stamps_batch_end()
 * as the hb_op's batch hooks (batch_arg: the struct stamps),
 * stamps_report() after hb_measure(), stamps_release() when done.
 */
#ifndef WORKLOADS_STAMPS_H
#define WORKLOADS_STAMPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/bench.h"
#include "harness/stats.h"
#include "harness/timer.h"
#include "ipi/ipi.h"
#include "ipi/vcpu.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

/* One operation on one target. */
struct stamps_ent {
	uint64_t	seq;		/* 0: none yet (seq starts at 1) */
	uint64_t	t_start;	/* the function's start */
	uint64_t	t_end;		/* its end, just before the ack */
};

struct stamps {
	/* the message's line: what the targets read, nothing else */
	_Alignas(CACHE_LINE_SIZE) ipi_msg_t msg;
	uint64_t	seq;		/* this operation's (sender's) */
	struct stamps_ent **recs;	/* by cpu_index(): targets' arrays */
	uint64_t	cap;		/* entries per array (the batch) */
	unsigned	src;		/* the sender: records nothing */
	bool		rawtsc;		/* stamps_now may read the TSC bare */
	/* the sender's */
	_Alignas(CACHE_LINE_SIZE) const unsigned *targets;
	unsigned	k;		/* targets */
	unsigned	nslots;		/* recs[] (ncpu at setup) */
	uint64_t *	t0;		/* cap: post time by seq % cap */
	uint64_t *	t1;		/* cap: when ipi_wait() had returned */
	uint64_t	first;		/* seq of the batch's first timed one */
	unsigned	warmup;		/* untimed operations opening a batch */
	uint64_t	missing;	/* entries a join did not find */
	struct hb_samples deliver, ack, overhead;	/* ticks */
	/* the pre-touch message (stamps_batch_begin), on a line of its own */
	_Alignas(CACHE_LINE_SIZE) ipi_msg_t touch;
};

_Static_assert(offsetof(struct stamps, rawtsc) + sizeof(bool) <=
    CACHE_LINE_SIZE, "stamps: seq, recs, cap, src on the message's line");

/*
 * stamps_now: now, in hb_now()'s ticks, without serialising: a bare TSC
 * read where hb_now() reads the TSC too (hb_timer()->tsc), else hb_now().
 * hb_now()'s fences (rdtscp; lfence) on a target keep its cache misses
 * around the function from overlapping and add to the very round trip
 * being measured (measured on multicast: about double); a bare read may
 * run a little early (out of order): the join clamps at 0.
 */
static inline uint64_t
stamps_now(const struct stamps *st)
{
#if defined(__x86_64__)
	if (st->rawtsc)
		return __rdtsc();
#endif
	(void)st;
	return hb_now();
}

/*
 * stamps_start: on a target, first thing in the message's function:
 * record that this operation's function started now.
 * => Returns the entry for stamps_end(); NULL on the sender (broadcast
 *    self:run and a multicast set holding the sender run the function
 *    there too: the sender is no target).
 * => The running vCPU is one of stamps_setup()'s targets, or the sender.
 */
static inline struct stamps_ent *
stamps_start(const struct stamps *st)
{
	uint64_t now = stamps_now(st);
	unsigned idx = (unsigned)cpu_index(curcpu());
	uint64_t seq = st->seq;
	struct stamps_ent *e;

	if (idx == st->src)
		return NULL;
	e = &st->recs[idx][seq % st->cap];
	e->seq = seq;
	e->t_start = now;
	return e;
}

/*
 * stamps_end: on a target, last thing in the message's function (the
 * acknowledgement follows at once): record that it ends now.
 * => e from stamps_start() in the same call of the function.
 */
static inline void
stamps_end(const struct stamps *st, struct stamps_ent *e)
{
	if (e != NULL)
		e->t_end = stamps_now(st);
}

/*
 * stamps_next: on the sender, before an operation's first stamp: the
 * next sequence number, published with the message by the post.
 */
static inline void
stamps_next(struct stamps *st)
{
	st->seq++;
}

/*
 * stamps_sent: on the sender, after the operation: its t0 (hb_now()
 * just before the post) and t1 (hb_now() just after ipi_wait()).
 */
static inline void
stamps_sent(struct stamps *st, uint64_t t0, uint64_t t1)
{
	st->t0[st->seq % st->cap] = t0;
	st->t1[st->seq % st->cap] = t1;
}

/*
 * stamps_setup: in a body, before hb_measure(): src the sender, the k
 * targets (cpu_index() values; the array must outlive st's use), one
 * array of hb_measure()'s batch size per target; sequence numbers and
 * samples start afresh.  The message's func and arg are the caller's.
 * => false, and b in error naming who, when a target is not below ncpu
 *    or is src, or when out of memory (nothing left allocated).
 */
bool	stamps_setup(struct stamps *st, struct hb_bench *b, const char *who,
	    unsigned src, const unsigned *targets, unsigned k);

/*
 * stamps_batch_begin: on the sender, as hb_op.batch_begin (batch_arg:
 * the struct stamps): the batch starts (its first warmup_ops operations,
 * untimed, are not joined); each target stores to every
 * entry of its array now, untimed (a unicast of st->touch and its wait
 * per target), so that its stores in the batch find their lines in its
 * own cache, not shared with the sender since the last join.
 */
void	stamps_batch_begin(void *st);

/*
 * stamps_batch_end: on the sender, as hb_op.batch_end (batch_arg: the
 * struct stamps): join the
 * batch's operations with the targets' entries into the samples; an
 * entry not there (a harness bug) is counted for stamps_report().
 */
void	stamps_batch_end(void *st);

/*
 * stamps_report: after hb_measure(): the counters deliver_p50_ns,
 * deliver_p99_ns, ack_p50_ns, ack_p99_ns, wait_overhead_p50_ns (none
 * when no batch ran); or, when a join missed an entry, b in error
 * naming who ("harness bug").
 * => Does nothing while the machine is wedged (a stuck job may still
 *    join: hb_measure() has put b in error already) or b is in error
 *    (interrupted, its reference failed): returns false then.
 */
bool	stamps_report(struct stamps *st, struct hb_bench *b, const char *who);

/*
 * stamps_release: free the arrays and samples; idempotent, also on a
 * struct stamps zeroed and never set up.
 * => Does nothing while the machine is wedged (hb_bench_wedged()): a
 *    stuck job may still use them (leaked on purpose).
 */
void	stamps_release(struct stamps *st);

#endif /* WORKLOADS_STAMPS_H */
