/*
 * test_ipi_single.c: a machine of one vCPU, on every backend.
 *
 * With ncpu == 1 there is nobody to send to: every call must either run
 * its function here, synchronously, or do nothing, and every wait must
 * return at once (nothing remote to wait for).  One job on vCPU 0 makes
 * each call and records its own count right after the call returned and
 * right after ipi_wait; the test thread compares.
 *
 *   ipi_broadcast(skip_self false / true) + ipi_wait   1 run / none
 *   ipi_multicast to {self} / to {} + ipi_wait          1 run / none
 *   ipi_trigger_broadcast(skip_self false / true)        1 run / none
 *   ipi_trigger_multi to {self}                          1 run
 *   ipi_register / ipi_unregister                        the drain, with
 *       no other CPU to ack, returns; the id is free again; the whole
 *       table fills and empties.
 *
 * Catches: _pending armed with the local CPU counted (ncpu instead of
 * ncpu-1, or the set's size with self): ipi_wait never returns and the
 * job times out, or the KASSERT in ipi_wait fires; a local run missing,
 * doubled or run with skip_self; a send to self through the mailbox (the
 * mailbox-full count or a second run); ipi_unregister hanging on a
 * one-CPU machine or not freeing the slot.
 */
#include "ipi_testlib.h"


static struct itl_counts counts;

enum {
	S_BCAST, S_BCAST_SKIP, S_MCAST_SELF, S_MCAST_EMPTY, S_TBCAST,
	S_TBCAST_SKIP, S_TMULTI_SELF, S_NSTEPS
};

static const struct {
	const char *	name;
	unsigned	runs;		/* local runs it must make */
	bool		sync;		/* has an ipi_wait */
} steps[S_NSTEPS] = {
	[S_BCAST] = { "ipi_broadcast(skip_self=false)", 1, true },
	[S_BCAST_SKIP] = { "ipi_broadcast(skip_self=true)", 0, true },
	[S_MCAST_SELF] = { "ipi_multicast to {self}", 1, true },
	[S_MCAST_EMPTY] = { "ipi_multicast to {}", 0, true },
	[S_TBCAST] = { "ipi_trigger_broadcast(skip_self=false)", 1, false },
	[S_TBCAST_SKIP] = { "ipi_trigger_broadcast(skip_self=true)", 0, false },
	[S_TMULTI_SELF] = { "ipi_trigger_multi to {self}", 1, false },
};

struct one_job {
	unsigned	id;		/* registered for the triggers */
	unsigned	after_call[S_NSTEPS];	/* own count delta, call returned */
	unsigned	after_wait[S_NSTEPS];	/* ... ipi_wait returned */
	unsigned	id_again;	/* ipi_register after ipi_unregister */
	unsigned	fill[IPI_MAXREG + 1];	/* the table filled */
	unsigned	nfill;
	uint64_t	mboxfull;	/* ipi_mboxfull_count() at the end */
};

static void
one_job(void *arg)
{
	struct one_job *j = arg;
	kcpuset_t self, none;
	ipi_msg_t msg = { .func = itl_count_handler, .arg = &counts };

	kcpuset_zero(&none);
	kcpuset_zero(&self);
	kcpuset_set(&self, 0);
	j->id = ipi_register(itl_count_handler, &counts);
	for (int s = 0; s < S_NSTEPS; s++) {
		const unsigned before = atomic_load(&counts.c[0]);
		switch (s) {
		case S_BCAST:
			ipi_broadcast(&msg, false);
			break;
		case S_BCAST_SKIP:
			ipi_broadcast(&msg, true);
			break;
		case S_MCAST_SELF:
			ipi_multicast(&msg, &self);
			break;
		case S_MCAST_EMPTY:
			ipi_multicast(&msg, &none);
			break;
		case S_TBCAST:
			ipi_trigger_broadcast(j->id, false);
			break;
		case S_TBCAST_SKIP:
			ipi_trigger_broadcast(j->id, true);
			break;
		case S_TMULTI_SELF:
			ipi_trigger_multi(j->id, &self);
			break;
		}
		j->after_call[s] = atomic_load(&counts.c[0]) - before;
		if (steps[s].sync)
			ipi_wait(&msg);
		cpu_intr_poll();
		j->after_wait[s] = atomic_load(&counts.c[0]) - before;
	}

	/* The drain with no other CPU; the slot comes back. */
	ipi_unregister(j->id);
	j->id_again = ipi_register(itl_count_handler, &counts);
	if (j->id_again != 0)
		ipi_unregister(j->id_again);

	/* The whole table, then empty again. */
	j->nfill = 0;
	while (j->nfill <= IPI_MAXREG &&
	    (j->fill[j->nfill] = ipi_register(itl_count_handler, &counts)) != 0)
		j->nfill++;
	for (unsigned i = 0; i < j->nfill && i < IPI_MAXREG; i++)
		ipi_unregister(j->fill[i]);
	j->mboxfull = ipi_mboxfull_count();
}

static void
single(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 1, 1);
	struct one_job j;

	cr_assert_eq(n, 1);
	memset(&j, 0, sizeof(j));
	itl_counts_zero(&counts);
	itl_start(ops, n);
	itl_call(0, one_job, &j, "every IPI call on a machine of one vCPU");
	cr_assert(j.id > 0 && j.id < IPI_MAXREG, "ipi_register = %u", j.id);
	unsigned total = 0;
	for (int s = 0; s < S_NSTEPS; s++) {
		cr_expect_eq(j.after_call[s], steps[s].runs, "1 vCPU, %s: %u "
		    "runs on vCPU 0 when the call returned, want %u",
		    steps[s].name, j.after_call[s], steps[s].runs);
		cr_expect_eq(j.after_wait[s], steps[s].runs, "1 vCPU, %s: %u "
		    "runs on vCPU 0 after %s, want %u", steps[s].name,
		    j.after_wait[s], steps[s].sync ? "ipi_wait" :
		    "an interrupt point", steps[s].runs);
		total += steps[s].runs;
	}
	cr_expect_eq(j.id_again, j.id, "1 vCPU: ipi_unregister(%u), then "
	    "ipi_register gave %u: the slot was not freed", j.id, j.id_again);
	cr_expect_eq(j.nfill, IPI_MAXREG - 1, "1 vCPU: the table took %u "
	    "registrations, want %u", j.nfill, IPI_MAXREG - 1);
	cr_expect_eq(j.mboxfull, 0, "1 vCPU: %llu mailbox-full events with "
	    "no other CPU to send to", (unsigned long long)j.mboxfull);
	itl_flush(0);
	unsigned want[ITL_MAXV] = { total };
	itl_expect_counts(&counts, want, "every call on 1 vCPU");
	itl_stop();
}
ITL_BACKEND_TESTS(single, every_call, ITL_TEST_TIMEOUT, single)
