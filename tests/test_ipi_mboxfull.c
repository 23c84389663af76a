/*
 * test_ipi_mboxfull.c: a full mailbox (the seed's put_msg spin and
 * ipi_mboxfull_ev), on every backend.
 *
 * vCPU 0 sends IPI_MSG_MAX distinct unicast messages to vCPU 1 while
 * vCPU 1's interrupts are blocked: they fill its mailbox without a
 * mailbox-full event.  The next one makes the sender spin: posted as a
 * job, it does not finish while ipi_mboxfull_count() rises.  Unblocking
 * vCPU 1 drains everything: every message runs exactly once, on vCPU 1,
 * and every _pending is still 0 once vCPU 1 went quiet (no late ack).
 */
#include "ipi_testlib.h"

#define	NMSG	(IPI_MSG_MAX + 1)

struct box_msg {
	ipi_msg_t	msg;
	_Atomic unsigned runs;		/* func runs, anywhere */
	_Atomic unsigned runs_off;	/* ... not on the target */
};

static struct box_msg msgs[NMSG];
static const unsigned target = 1;

static void
box_func(void *arg)
{
	struct box_msg *m = arg;
	struct cpu_info *ci = curcpu();

	atomic_fetch_add(&m->runs, 1);
	if (ci == NULL || cpu_index(ci) != target)
		atomic_fetch_add(&m->runs_off, 1);
}

struct box_job {
	unsigned	from, to;	/* send msgs[from .. to-1] */
	bool		wait;		/* then ipi_wait on msgs[0 .. to-1] */
	_Atomic int	sent;		/* the sends returned */
	_Atomic int	done;
	unsigned	after_wait[NMSG]; /* out: runs when its ipi_wait returned */
};

static void
box_job(void *arg)
{
	struct box_job *j = arg;

	for (unsigned i = j->from; i < j->to; i++) {
		msgs[i].msg.func = box_func;
		msgs[i].msg.arg = &msgs[i];
		ipi_unicast(&msgs[i].msg, cpu_lookup(target));
	}
	atomic_store(&j->sent, 1);
	if (j->wait) {
		for (unsigned i = 0; i < j->to; i++) {
			ipi_wait(&msgs[i].msg);
			j->after_wait[i] = atomic_load(&msgs[i].runs);
		}
	}
	atomic_store(&j->done, 1);
}

static void
mboxfull(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 2, 2);

	cr_assert_eq(IPI_MSG_MAX, CACHE_LINE_SIZE / sizeof(void *));
	memset(msgs, 0, sizeof(msgs));
	itl_start(ops, n);
	struct ipi_percpu *st = cpu_ipi_state(itl_cpu(target));

	itl_block(target);
	const uint64_t base = ipi_mboxfull_count();

	/* IPI_MSG_MAX messages fill the mailbox without an event. */
	struct box_job fillj = { .from = 0, .to = IPI_MSG_MAX };
	itl_call(0, box_job, &fillj, "IPI_MSG_MAX ipi_unicast to a blocked "
	    "vCPU");
	cr_expect_eq(ipi_mboxfull_count(), base, "ipi_mboxfull_count() went "
	    "from %llu to %llu for %u messages in a mailbox of %u slots",
	    (unsigned long long)base,
	    (unsigned long long)ipi_mboxfull_count(), (unsigned)IPI_MSG_MAX,
	    (unsigned)IPI_MSG_SLOTS);
	for (unsigned i = 0; i < IPI_MSG_MAX; i++) {
		cr_expect_eq(atomic_load(&msgs[i].msg._pending), 1,
		    "message %u: _pending = %u before delivery", i,
		    atomic_load(&msgs[i].msg._pending));
		cr_expect_eq(atomic_load(&msgs[i].runs), 0, "message %u ran on "
		    "a blocked vCPU", i);
	}
	for (unsigned s = 0; s < IPI_MSG_SLOTS; s++)
		cr_expect_not_null(atomic_load(&st->mbox.msg[s]), "mailbox "
		    "slot %u of vCPU %u empty after %u messages", s, target,
		    (unsigned)IPI_MSG_MAX);

	/* One more: the sender spins, counting mailbox-full events. */
	struct box_job lastj = { .from = IPI_MSG_MAX, .to = NMSG,
	    .wait = true };
	itl_post(0, box_job, &lastj, "message IPI_MSG_MAX+1 then ipi_wait");
	uint64_t c1 = itl_wait_mboxfull(base + 1,
	    "sender with a full mailbox");
	uint64_t c2 = itl_wait_mboxfull(c1 + 1, "sender still spinning");
	cr_expect_eq(atomic_load(&lastj.sent), 0, "ipi_unicast of message %u "
	    "returned while the mailbox was full (count %llu -> %llu)",
	    (unsigned)IPI_MSG_MAX, (unsigned long long)c1,
	    (unsigned long long)c2);
	int rc = vcpu_join(itl_cpu(0), 1000 * 1000ull);
	cr_expect_eq(rc, -ETIMEDOUT, "vCPU 0: the job finished (join = %d) "
	    "with vCPU %u's mailbox full and its interrupts blocked", rc,
	    target);
	cr_expect_eq(atomic_load(&msgs[IPI_MSG_MAX].runs), 0, "message %u ran "
	    "on a blocked vCPU", (unsigned)IPI_MSG_MAX);

	/* Unblock: everything drains, each message once. */
	itl_unblock(target);
	itl_join(0, "ipi_wait on every message after unblocking the target");
	cr_expect_eq(atomic_load(&lastj.done), 1, "job not done after join");
	itl_flush(target);
	for (unsigned i = 0; i < NMSG; i++) {
		cr_expect_eq(atomic_load(&msgs[i].runs), 1, "message %u ran %u "
		    "times, want 1", i, atomic_load(&msgs[i].runs));
		cr_expect_eq(atomic_load(&msgs[i].runs_off), 0, "message %u ran "
		    "%u times off vCPU %u", i, atomic_load(&msgs[i].runs_off),
		    target);
		cr_expect_eq(lastj.after_wait[i], 1, "message %u had run %u "
		    "times when its ipi_wait returned, want 1", i,
		    lastj.after_wait[i]);
		/* ipi_wait ended at 0: anything else now is a late ack. */
		cr_expect_eq(atomic_load(&msgs[i].msg._pending), 0, "message "
		    "%u: _pending = %u once vCPU %u went quiet: acked again "
		    "after ipi_wait returned", i,
		    atomic_load(&msgs[i].msg._pending), target);
	}
	for (unsigned s = 0; s < IPI_MSG_SLOTS; s++)
		cr_expect_null(atomic_load(&st->mbox.msg[s]), "mailbox slot %u "
		    "of vCPU %u still holds a message after every ack", s,
		    target);
	itl_stop();
}
ITL_BACKEND_TESTS(mboxfull, unicast, ITL_TEST_TIMEOUT, mboxfull)
