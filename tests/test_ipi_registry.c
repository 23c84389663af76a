/*
 * test_ipi_registry.c: ipi_register / ipi_unregister, on every backend.
 *
 * Slot 0 is the synchronous IPIs' own: ids 1 .. IPI_MAXREG-1 are handed
 * out, then 0 (failure).  ipi_unregister frees the slot and returns only
 * after every IPI of that id in flight has run: the test leaves one in
 * flight to a vCPU whose interrupts are blocked, posts the unregister as
 * a job, sees that it cannot finish while the target is blocked, then
 * unblocks the target from the test thread and joins the job.
 */
#include "ipi_testlib.h"

#define	NREG	(IPI_MAXREG - 1)	/* ids there are to hand out */

/* One counter set per id, so that a run is attributed to its handler. */
static struct itl_counts counts[IPI_MAXREG + 1];

struct reg_job {
	int		op;
	unsigned	ids[IPI_MAXREG + 1];	/* in/out */
	unsigned	nids;
	unsigned	target;
	_Atomic int	done;
};

enum { OP_REGISTER, OP_UNREGISTER, OP_TRIGGER };

static void
reg_job(void *arg)
{
	struct reg_job *j = arg;

	for (unsigned k = 0; k < j->nids; k++) {
		switch (j->op) {
		case OP_REGISTER:
			j->ids[k] = ipi_register(itl_count_handler, &counts[k]);
			break;
		case OP_UNREGISTER:
			ipi_unregister(j->ids[k]);
			break;
		case OP_TRIGGER:
			ipi_trigger(j->ids[k], cpu_lookup(j->target));
			break;
		}
	}
	atomic_store(&j->done, 1);
}

/* Register one handler (it counts into counts[0]); returns the id. */
static unsigned
reg_one(void)
{
	struct reg_job j = { .op = OP_REGISTER, .nids = 1 };

	itl_call(0, reg_job, &j, "ipi_register");
	return j.ids[0];
}

static void
unreg_one(unsigned id)
{
	struct reg_job j = { .op = OP_UNREGISTER, .nids = 1, .ids = { id } };

	itl_call(0, reg_job, &j, "ipi_unregister");
}

/*
 * Fill the table: 31 distinct ids in 1..31, then 0; each id runs its own
 * handler; an id freed is handed out again; every id can be freed.
 */
static void
fill(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 2, 2);
	struct reg_job j = { .op = OP_REGISTER, .nids = NREG + 1 };
	bool seen[IPI_MAXREG] = { false };

	itl_start(ops, n);
	for (unsigned k = 0; k <= NREG; k++)
		itl_counts_zero(&counts[k]);
	itl_call(0, reg_job, &j, "32 ipi_register");
	for (unsigned k = 0; k < NREG; k++) {
		cr_assert(j.ids[k] >= 1 && j.ids[k] < IPI_MAXREG,
		    "registration %u got id %u, want 1..%u", k + 1, j.ids[k],
		    IPI_MAXREG - 1);
		cr_assert(!seen[j.ids[k]], "id %u handed out twice", j.ids[k]);
		seen[j.ids[k]] = true;
	}
	cr_assert_eq(j.ids[NREG], 0, "registration %u (table full) got id %u, "
	    "want 0", NREG + 1, j.ids[NREG]);

	/* Each id runs its own handler with its own argument on vCPU 1. */
	struct reg_job tj = { .op = OP_TRIGGER, .nids = NREG, .target = 1 };
	memcpy(tj.ids, j.ids, sizeof(tj.ids));
	itl_call(0, reg_job, &tj, "ipi_trigger of every id");
	for (unsigned k = 0; k < NREG; k++) {
		char what[64];
		snprintf(what, sizeof(what), "handler %u (id %u)", k, j.ids[k]);
		itl_wait_count(&counts[k], 1, 1, what);
	}
	itl_flush(1);
	for (unsigned k = 0; k < NREG; k++) {
		cr_expect_eq(atomic_load(&counts[k].c[1]), 1, "handler %u (id "
		    "%u): %u runs on vCPU 1, want 1", k, j.ids[k],
		    atomic_load(&counts[k].c[1]));
		cr_expect_eq(atomic_load(&counts[k].c[0]), 0, "handler %u ran "
		    "on the sender", k);
	}
	cr_expect_eq(atomic_load(&counts[NREG].c[1]), 0, "the refused "
	    "registration's handler ran");

	/* Free one id in the middle, and the first one: each comes back. */
	const unsigned picks[] = { NREG / 2, 0, NREG - 1 };
	for (size_t p = 0; p < sizeof(picks) / sizeof(picks[0]); p++) {
		unsigned k = picks[p], id = j.ids[k];
		unreg_one(id);
		struct reg_job rj = { .op = OP_REGISTER, .nids = 2 };
		itl_call(0, reg_job, &rj, "ipi_register after unregister");
		cr_expect_eq(rj.ids[0], id, "unregistered id %u, the next "
		    "registration got %u", id, rj.ids[0]);
		cr_expect_eq(rj.ids[1], 0, "table full again, yet "
		    "ipi_register gave %u", rj.ids[1]);
	}

	struct reg_job uj = { .op = OP_UNREGISTER, .nids = NREG };
	memcpy(uj.ids, j.ids, sizeof(uj.ids));
	itl_call(0, reg_job, &uj, "ipi_unregister of every id");
	struct reg_job again = { .op = OP_REGISTER, .nids = NREG + 1 };
	itl_call(0, reg_job, &again, "32 ipi_register after freeing all");
	for (unsigned k = 0; k < NREG; k++)
		cr_expect(again.ids[k] >= 1 && again.ids[k] < IPI_MAXREG,
		    "after freeing every id, registration %u got %u", k + 1,
		    again.ids[k]);
	cr_expect_eq(again.ids[NREG], 0, "after freeing every id, "
	    "registration %u got %u, want 0", NREG + 1, again.ids[NREG]);
	uj.nids = NREG;
	memcpy(uj.ids, again.ids, sizeof(uj.ids));
	itl_call(0, reg_job, &uj, "ipi_unregister of every id");
	itl_stop();
}
ITL_BACKEND_TESTS(registry, fill, ITL_TEST_TIMEOUT, fill)

/*
 * An IPI in flight: trigger id to vCPU t with t's interrupts blocked;
 * ipi_unregister(id) on vCPU 0 cannot return while t is blocked (it
 * waits for t); unblock t from here: it returns, and by then the
 * handler had run on t, exactly once.
 */
static void
unregister_drains(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 4, 2);
	const unsigned t = n - 1;

	itl_start(ops, n);
	itl_counts_zero(&counts[0]);
	unsigned id = reg_one();
	cr_assert(id >= 1 && id < IPI_MAXREG, "ipi_register = %u", id);

	itl_block(t);
	struct reg_job tj = { .op = OP_TRIGGER, .nids = 1, .ids = { id },
	    .target = t };
	itl_call(0, reg_job, &tj, "ipi_trigger to a blocked vCPU");

	struct reg_job uj = { .op = OP_UNREGISTER, .nids = 1, .ids = { id } };
	itl_post(0, reg_job, &uj, "ipi_unregister with an IPI in flight");
	int rc = vcpu_join(itl_cpu(0), 200 * 1000 * 1000ull);
	cr_expect_eq(rc, -ETIMEDOUT, "vCPU 0: ipi_unregister(%u) returned "
	    "(join = %d) while vCPU %u, blocked, still had the IPI pending",
	    id, rc, t);
	cr_expect_eq(atomic_load(&counts[0].c[t]), 0, "vCPU %u ran the handler "
	    "while blocked", t);

	itl_unblock(t);
	itl_join(0, "ipi_unregister after the target was unblocked");
	cr_expect_eq(atomic_load(&uj.done), 1, "unregister job not done");
	cr_expect_eq(atomic_load(&counts[0].c[t]), 1, "vCPU %u: %u runs of the "
	    "in-flight IPI when ipi_unregister returned, want 1", t,
	    atomic_load(&counts[0].c[t]));
	itl_flush(t);
	cr_expect_eq(atomic_load(&counts[0].c[t]), 1, "vCPU %u: %u runs of "
	    "the in-flight IPI in the end, want 1", t,
	    atomic_load(&counts[0].c[t]));
	for (unsigned i = 0; i < n; i++)
		if (i != t)
			cr_expect_eq(atomic_load(&counts[0].c[i]), 0,
			    "vCPU %u ran the handler, never triggered", i);

	/* The slot is free again. */
	unsigned id2 = reg_one();
	cr_expect(id2 >= 1 && id2 < IPI_MAXREG, "ipi_register after "
	    "unregister = %u", id2);
	unreg_one(id2);
	itl_stop();
}
ITL_BACKEND_TESTS(registry, unregister_drains, ITL_TEST_TIMEOUT,
    unregister_drains)
