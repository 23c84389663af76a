/*
 * test_ipi_sync.c: synchronous IPIs (ipi_unicast, ipi_multicast,
 * ipi_broadcast, ipi_wait), on every backend.
 *
 * Each sender runs as a job: it sends, records its own count when the
 * send returns (a set with curcpu() runs func there, synchronously), calls
 * ipi_wait, and snapshots every vCPU's count right then: every target
 * must have run func exactly once, nobody else at all.  An empty job on
 * every vCPU afterwards checks that no late or duplicate run follows.
 */
#include "ipi_testlib.h"
#include "ipi/backoff.h"

static struct itl_counts counts;

enum { OP_UNICAST, OP_MULTICAST, OP_BROADCAST };

struct sync_job {
	int		op;
	unsigned	target;		/* unicast */
	kcpuset_t	set;		/* multicast */
	bool		skip_self;	/* broadcast */
	ipi_msg_t	msg;
	unsigned	self_after_send; /* out: own count when send returned */
	unsigned	after_wait[ITL_MAXV]; /* out: counts after ipi_wait */
};

static void
sync_job(void *arg)
{
	struct sync_job *j = arg;
	const unsigned self = cpu_index(curcpu());

	j->msg.func = itl_count_handler;
	j->msg.arg = &counts;
	switch (j->op) {
	case OP_UNICAST:
		ipi_unicast(&j->msg, cpu_lookup(j->target));
		break;
	case OP_MULTICAST:
		ipi_multicast(&j->msg, &j->set);
		break;
	case OP_BROADCAST:
		ipi_broadcast(&j->msg, j->skip_self);
		break;
	}
	j->self_after_send = atomic_load(&counts.c[self]);
	ipi_wait(&j->msg);
	for (unsigned i = 0; i < ncpu && i < ITL_MAXV; i++)
		j->after_wait[i] = atomic_load(&counts.c[i]);
}

/*
 * The message's _pending once every vCPU went quiet: ipi_wait returned at
 * 0, so anything else is an ack after that (a duplicate wraps it).
 * (Reading it right after ipi_wait could not fail: its loop ends at 0.)
 */
static void
expect_no_late_ack(const struct sync_job *j, unsigned s, const char *what)
{
	cr_expect_eq(atomic_load(&j->msg._pending), 0, "%s from vCPU %u: "
	    "_pending = %u once every vCPU went quiet: acked again after "
	    "ipi_wait returned", what, s, atomic_load(&j->msg._pending));
}

/*
 * Run j on vCPU s after zeroing the counts; expect func to have run once
 * on each vCPU of `targets` (a bit per vCPU) by the time ipi_wait returns.
 */
static void
run_and_check(unsigned s, struct sync_job *j, uint64_t targets,
    const char *what)
{
	unsigned want[ITL_MAXV];

	itl_counts_zero(&counts);
	itl_call(s, sync_job, j, what);
	for (unsigned i = 0; i < ncpu; i++) {
		want[i] = (targets >> i) & 1;
		cr_expect_eq(j->after_wait[i], want[i], "%s from vCPU %u: "
		    "vCPU %u had run func %u times when ipi_wait returned, "
		    "want %u", what, s, i, j->after_wait[i], want[i]);
	}
	cr_expect_eq(j->self_after_send, want[s], "%s from vCPU %u: own count "
	    "%u when the send returned, want %u", what, s,
	    j->self_after_send, want[s]);
	for (unsigned i = 0; i < ncpu; i++)
		itl_flush(i);
	itl_expect_counts(&counts, want, what);
	expect_no_late_ack(j, s, what);
}

static void
unicast(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 4, 2);

	itl_start(ops, n);
	for (unsigned s = 0; s < n; s++) {
		for (unsigned t = 0; t < n; t++) {
			if (t == s)
				continue;
			struct sync_job j = { .op = OP_UNICAST, .target = t };
			run_and_check(s, &j, 1ull << t, "ipi_unicast");
			/* The same message again: _pending is re-armed. */
			run_and_check(s, &j, 1ull << t, "ipi_unicast again");
		}
	}
	itl_stop();
}
ITL_BACKEND_TESTS(sync, unicast, ITL_TEST_TIMEOUT, unicast)

static void
multicast(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 4, 2);
	const uint64_t all = (1ull << n) - 1;

	itl_start(ops, n);
	for (unsigned s = 0; s < n; s++) {
		const uint64_t self = 1ull << s;
		/* every subset shape that matters */
		const struct { uint64_t mask; const char *what; } sets[] = {
			{ all, "ipi_multicast to all" },
			{ all & ~self, "ipi_multicast to all but self" },
			{ self, "ipi_multicast to self only" },
			{ 0, "ipi_multicast to the empty set" },
			{ (0x5555555555555555ull & all) | self,
			    "ipi_multicast to even vCPUs and self" },
			{ 0xaaaaaaaaaaaaaaaaull & all & ~self,
			    "ipi_multicast to odd vCPUs but self" },
			{ 1ull << ((s + 1) % n), "ipi_multicast to one other" },
		};
		for (size_t k = 0; k < sizeof(sets) / sizeof(sets[0]); k++) {
			struct sync_job j = { .op = OP_MULTICAST };
			kcpuset_zero(&j.set);
			for (unsigned t = 0; t < n; t++)
				if ((sets[k].mask >> t) & 1)
					kcpuset_set(&j.set, t);
			run_and_check(s, &j, sets[k].mask, sets[k].what);
		}
	}
	itl_stop();
}
ITL_BACKEND_TESTS(sync, multicast, ITL_TEST_TIMEOUT, multicast)

static void
broadcast(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 4, 2);
	const uint64_t all = (1ull << n) - 1;

	itl_start(ops, n);
	for (unsigned s = 0; s < n; s++) {
		struct sync_job j = { .op = OP_BROADCAST, .skip_self = false };
		run_and_check(s, &j, all, "ipi_broadcast(skip_self=false)");
		j = (struct sync_job){ .op = OP_BROADCAST, .skip_self = true };
		run_and_check(s, &j, all & ~(1ull << s),
		    "ipi_broadcast(skip_self=true)");
	}
	itl_stop();
}
ITL_BACKEND_TESTS(sync, broadcast, ITL_TEST_TIMEOUT, broadcast)

/*
 * ipi_wait really waits: with the target's interrupts blocked the
 * sender's ipi_wait cannot return; once unblocked it does, and the
 * target had run func by then.
 */
static void
wait_blocks(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 4, 2);
	const unsigned t = n - 1;

	itl_start(ops, n);
	itl_counts_zero(&counts);
	itl_block(t);
	struct sync_job j = { .op = OP_UNICAST, .target = t };
	itl_post(0, sync_job, &j, "ipi_unicast + ipi_wait to a blocked vCPU");
	int rc = vcpu_join(itl_cpu(0), 200 * 1000 * 1000ull);
	cr_expect_eq(rc, -ETIMEDOUT, "vCPU 0: ipi_wait returned (join = %d) "
	    "while the target vCPU %u had its interrupts blocked", rc, t);
	cr_expect_eq(atomic_load(&counts.c[t]), 0, "vCPU %u ran func while "
	    "blocked", t);
	itl_unblock(t);
	itl_join(0, "ipi_wait after the target was unblocked");
	cr_expect_eq(j.after_wait[t], 1, "vCPU %u: %u runs when ipi_wait "
	    "returned, want 1", t, j.after_wait[t]);
	itl_flush(t);
	expect_no_late_ack(&j, 0, "ipi_unicast to a vCPU blocked, then not");
	itl_stop();
}
ITL_BACKEND_TESTS(sync, wait_blocks, ITL_TEST_TIMEOUT, wait_blocks)

/*
 * Every backoff bound the run may set (ipi_backoff_set): one pause per
 * check, the seed's, and a wide one: each still delivers exactly once
 * and returns, unicast and broadcast; the seed's bounds are back after.
 */
static void
backoffs(const struct ipi_backend_ops *ops)
{
	static const unsigned bounds[][2] = { { 1, 1 }, { 4, 128 },
	    { 64, 4096 }, { 2, 8 } };
	unsigned n = itl_nvcpus(ops, 4, 2), lo, hi;
	const uint64_t all = (1ull << n) - 1;

	itl_start(ops, n);
	for (size_t b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++) {
		ipi_backoff_set(bounds[b][0], bounds[b][1]);
		ipi_backoff_get(&lo, &hi);
		cr_expect(lo == bounds[b][0] && hi == bounds[b][1],
		    "ipi_backoff_get: %u..%u after setting %u..%u", lo, hi,
		    bounds[b][0], bounds[b][1]);
		struct sync_job u = { .op = OP_UNICAST, .target = n - 1 };
		run_and_check(0, &u, 1ull << (n - 1), "ipi_unicast, a backoff");
		struct sync_job bc = { .op = OP_BROADCAST, .skip_self = true };
		run_and_check(0, &bc, all & ~1ull, "ipi_broadcast, a backoff");
	}
	ipi_backoff_set(SPINLOCK_BACKOFF_MIN, SPINLOCK_BACKOFF_MAX);
	itl_stop();
}
ITL_BACKEND_TESTS(sync, backoffs, ITL_TEST_TIMEOUT, backoffs)
