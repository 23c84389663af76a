/*
 * test_ipi_spl.c: splhigh/splx on a vCPU hold IPIs back and deliver them
 * on the way down, on every backend.
 *
 * The target vCPU runs a job: s1 = splhigh(); s2 = splhigh(); then it
 * waits for the test thread, calling cpu_intr_poll() all the while (the
 * point where a spinning CPU takes interrupts: masked, it must take
 * none).  Meanwhile another vCPU sends to it: an asynchronous trigger, a
 * unicast message (the sender, in ipi_wait, runs as a posted job that is
 * joined only after the target unmasked), or both.  Then:
 *
 *   while masked twice   nothing runs, and the sender's ipi_wait does not
 *                        return (a bounded join must time out);
 *   splx(s2)             still masked (s2 is splhigh's level): nothing
 *                        runs, even with more cpu_intr_poll() calls;
 *   splx(s1)             back to no masking: everything held runs before
 *                        splx returns (the target's count right after
 *                        splx is the number of IPIs sent).
 *
 * Catches: splhigh not masking (a run while masked, or ipi_wait
 * returning), nested splhigh/splx not nesting (splx(s2) unmasking: a run
 * after the inner splx), splx to no masking that leaves held IPIs pending
 * until some later interrupt point (count 0 right after splx(s1)), a
 * held IPI run twice or lost (the counts after everything went quiet).
 */
#include <sched.h>

#include "ipi_testlib.h"


#define	SPL_MASKED_NS	(100 * 1000 * 1000ull)	/* how long "not yet" is watched */

static struct itl_counts counts;

enum { SEND_TRIGGER = 1, SEND_UNICAST = 2, SEND_BOTH = 3 };
enum { ST_START, ST_MASKED, ST_INNER, ST_DONE, ST_GAVE_UP };

/* The target's job and what it saw. */
struct spl_target {
	_Atomic int	stage;		/* how far the target got */
	_Atomic int	go;		/* test thread: 1 inner splx, 2 outer */
	int		s1, s2;		/* what the two splhigh returned */
	unsigned	cnt_masked;	/* own count after the masked wait */
	unsigned	cnt_inner;	/* ... after splx(s2) and more polls */
	unsigned	cnt_outer;	/* ... right after splx(s1) */
	unsigned	polls;		/* cpu_intr_poll calls made masked */
};

/* Wait (bounded) for t->go >= want, polling for interrupts meanwhile. */
static bool
spl_wait_go(struct spl_target *t, int want)
{
	const uint64_t deadline = itl_now_ns() + ITL_TIMEOUT_NS;

	while (atomic_load(&t->go) < want) {
		cpu_intr_poll();
		t->polls++;
		if (itl_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

static void
spl_target_job(void *arg)
{
	struct spl_target *t = arg;
	const unsigned self = cpu_index(curcpu());

	t->s1 = splhigh();
	t->s2 = splhigh();
	atomic_store(&t->stage, ST_MASKED);
	if (!spl_wait_go(t, 1))
		goto gave_up;
	t->cnt_masked = atomic_load(&counts.c[self]);

	splx(t->s2);
	for (int i = 0; i < 100; i++)
		cpu_intr_poll();
	t->cnt_inner = atomic_load(&counts.c[self]);
	atomic_store(&t->stage, ST_INNER);
	if (!spl_wait_go(t, 2))
		goto gave_up;

	splx(t->s1);
	t->cnt_outer = atomic_load(&counts.c[self]);
	atomic_store(&t->stage, ST_DONE);
	return;
gave_up:
	splx(t->s1);
	atomic_store(&t->stage, ST_GAVE_UP);
}

/* The sender's job. */
struct spl_sender {
	unsigned	id;		/* registered, for the trigger */
	unsigned	target;
	int		what;		/* SEND_* */
	ipi_msg_t	msg;
	_Atomic int	sent;		/* the sends returned */
	unsigned	after_wait;	/* target's count when ipi_wait returned */
};

static void
spl_sender_job(void *arg)
{
	struct spl_sender *s = arg;
	struct cpu_info *t = cpu_lookup(s->target);

	if (s->what & SEND_TRIGGER)
		ipi_trigger(s->id, t);
	if (s->what & SEND_UNICAST) {
		s->msg.func = itl_count_handler;
		s->msg.arg = &counts;
		ipi_unicast(&s->msg, t);
	}
	atomic_store(&s->sent, 1);
	if (s->what & SEND_UNICAST) {
		ipi_wait(&s->msg);
		s->after_wait = atomic_load(&counts.c[s->target]);
	}
}

static void
reg_job(void *arg)
{
	*(unsigned *)arg = ipi_register(itl_count_handler, &counts);
}

static void
unreg_job(void *arg)
{
	ipi_unregister(*(unsigned *)arg);
}

/* Wait, bounded, until *v >= want; false if it never did. */
static bool
spl_wait_atomic(_Atomic int *v, int want)
{
	const uint64_t deadline = itl_now_ns() + ITL_TIMEOUT_NS;

	while (atomic_load(v) < want && itl_now_ns() < deadline)
		itl_sleep_us(100);
	return atomic_load(v) >= want;
}

/*
 * The target's count stays 0 for SPL_MASKED_NS (and, with a unicast in
 * flight, the sender's job does not finish, which is the same watch).
 */
static void
spl_expect_held(const struct spl_sender *s, const char *when,
    const struct ipi_backend_ops *ops)
{
	const unsigned t = s->target;

	if (s->what & SEND_UNICAST) {
		int rc = vcpu_join(itl_cpu(0), SPL_MASKED_NS);
		cr_expect_eq(rc, -ETIMEDOUT, "spl %s: %s: the sender's ipi_wait "
		    "returned (join = %d) while vCPU %u was masked", ops->name,
		    when, rc, t);
	} else {
		const uint64_t end = itl_now_ns() + SPL_MASKED_NS;
		while (atomic_load(&counts.c[t]) == 0 && itl_now_ns() < end)
			itl_sleep_us(1000);
	}
	cr_expect_eq(atomic_load(&counts.c[t]), 0, "spl %s: %s: vCPU %u ran "
	    "%u IPIs while masked", ops->name, when, t,
	    atomic_load(&counts.c[t]));
}

static void
spl_case(const struct ipi_backend_ops *ops, int what, const char *name)
{
	unsigned n = itl_nvcpus(ops, 2, 2);
	const unsigned tgt = 1;
	const unsigned want_runs = (unsigned)__builtin_popcount(what);
	unsigned want[ITL_MAXV] = { 0 };
	char when[128];

	itl_counts_zero(&counts);
	itl_start(ops, n);
	unsigned id = 0;
	itl_call(0, reg_job, &id, "ipi_register");
	cr_assert(id > 0 && id < IPI_MAXREG, "ipi_register = %u", id);

	struct spl_target t = { .stage = ST_START };
	itl_post(tgt, spl_target_job, &t, "splhigh twice, wait, splx twice");
	cr_assert(spl_wait_atomic(&t.stage, ST_MASKED), "spl %s: vCPU %u did "
	    "not get through two splhigh() in %llu s", ops->name, tgt,
	    ITL_TIMEOUT_NS / ITL_NS);

	struct spl_sender s = { .id = id, .target = tgt, .what = what };
	itl_post(0, spl_sender_job, &s, name);
	cr_assert(spl_wait_atomic(&s.sent, 1), "spl %s: %s to a masked vCPU: "
	    "the send did not return in %llu s", ops->name, name,
	    ITL_TIMEOUT_NS / ITL_NS);
	if (!(what & SEND_UNICAST))
		itl_join(0, name);
	snprintf(when, sizeof(when), "%s, target at splhigh twice", name);
	spl_expect_held(&s, when, ops);

	atomic_store(&t.go, 1);
	cr_assert(spl_wait_atomic(&t.stage, ST_INNER), "spl %s: vCPU %u did "
	    "not get past the inner splx in %llu s", ops->name, tgt,
	    ITL_TIMEOUT_NS / ITL_NS);
	snprintf(when, sizeof(when), "%s, target after the inner splx", name);
	spl_expect_held(&s, when, ops);

	atomic_store(&t.go, 2);
	itl_join(tgt, "the outer splx");
	cr_expect_eq(atomic_load(&t.stage), ST_DONE, "spl %s: vCPU %u gave up "
	    "waiting for the test thread", ops->name, tgt);
	cr_expect_neq(t.s1, t.s2, "spl %s: the first splhigh() returned %d, "
	    "the nested one %d: the nested level must differ (it is "
	    "splhigh's)", ops->name, t.s1, t.s2);
	cr_expect_eq(t.cnt_masked, 0, "spl %s: %s: vCPU %u ran %u IPIs at "
	    "splhigh twice, with %u cpu_intr_poll() calls", ops->name, name,
	    tgt, t.cnt_masked, t.polls);
	cr_expect_eq(t.cnt_inner, 0, "spl %s: %s: vCPU %u ran %u IPIs after "
	    "splx() back to the outer splhigh level", ops->name, name, tgt,
	    t.cnt_inner);
	cr_expect_eq(t.cnt_outer, want_runs, "spl %s: %s: vCPU %u had run %u "
	    "IPIs right after the outer splx(), want %u: splx must deliver "
	    "what it held before it returns", ops->name, name, tgt,
	    t.cnt_outer, want_runs);

	if (what & SEND_UNICAST) {
		itl_join(0, "ipi_wait after the target unmasked");
		/*
		 * The unicast itself has run when ipi_wait returns; a trigger
		 * sent with it may still be to come (slot 0's handler acks
		 * before the higher bits of the same pass run).
		 */
		cr_expect(s.after_wait >= 1 && s.after_wait <= want_runs,
		    "spl %s: %s: vCPU %u had run %u IPIs when the sender's "
		    "ipi_wait returned, want 1 to %u", ops->name, name, tgt,
		    s.after_wait, want_runs);
	}
	for (unsigned i = 0; i < n; i++)
		itl_flush(i);
	want[tgt] = want_runs;
	itl_expect_counts(&counts, want, name);
	itl_call(0, unreg_job, &id, "ipi_unregister");
	itl_stop();
}

static void
spl_trigger(const struct ipi_backend_ops *ops)
{
	spl_case(ops, SEND_TRIGGER, "ipi_trigger");
}
ITL_BACKEND_TESTS(spl, trigger, ITL_TEST_TIMEOUT, spl_trigger)

static void
spl_unicast(const struct ipi_backend_ops *ops)
{
	spl_case(ops, SEND_UNICAST, "ipi_unicast + ipi_wait");
}
ITL_BACKEND_TESTS(spl, unicast, ITL_TEST_TIMEOUT, spl_unicast)

static void
spl_both(const struct ipi_backend_ops *ops)
{
	spl_case(ops, SEND_BOTH, "ipi_trigger and ipi_unicast + ipi_wait");
}
ITL_BACKEND_TESTS(spl, both, ITL_TEST_TIMEOUT, spl_both)
