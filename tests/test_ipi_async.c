/*
 * test_ipi_async.c: asynchronous IPIs (ipi_register, ipi_trigger,
 * ipi_trigger_multi, ipi_trigger_broadcast), on every backend.
 *
 * The handler counts its runs per vCPU (curcpu()).  A remote run is
 * awaited with a bound; "exactly once" is checked after an empty job on
 * the target (nothing is pending there any more, so no run can follow).
 */
#include "ipi_testlib.h"

static struct itl_counts counts;

struct async_job {
	unsigned	id;		/* in: registered id (or out) */
	int		op;		/* what to do */
	unsigned	target;		/* ipi_trigger */
	kcpuset_t	set;		/* ipi_trigger_multi */
	bool		skip_self;	/* ipi_trigger_broadcast */
	unsigned	times;		/* how many triggers */
	unsigned	self_after;	/* out: own count when the call returned */
};

enum { OP_REGISTER, OP_UNREGISTER, OP_TRIGGER, OP_MULTI, OP_BROADCAST };

static void
async_job(void *arg)
{
	struct async_job *j = arg;
	const unsigned self = cpu_index(curcpu());

	switch (j->op) {
	case OP_REGISTER:
		j->id = ipi_register(itl_count_handler, &counts);
		break;
	case OP_UNREGISTER:
		ipi_unregister(j->id);
		break;
	case OP_TRIGGER:
		for (unsigned t = 0; t < j->times; t++)
			ipi_trigger(j->id, cpu_lookup(j->target));
		break;
	case OP_MULTI:
		ipi_trigger_multi(j->id, &j->set);
		break;
	case OP_BROADCAST:
		ipi_trigger_broadcast(j->id, j->skip_self);
		break;
	}
	j->self_after = atomic_load(&counts.c[self]);
}

static unsigned
reg(void)
{
	struct async_job j = { .op = OP_REGISTER };

	itl_call(0, async_job, &j, "ipi_register");
	cr_assert(j.id > 0 && j.id < IPI_MAXREG, "ipi_register = %u", j.id);
	return j.id;
}

static void
unreg(unsigned id)
{
	struct async_job j = { .op = OP_UNREGISTER, .id = id };

	itl_call(0, async_job, &j, "ipi_unregister");
}

/* Flush every vCPU, then every count must be want[i]. */
static void
settle_and_check(const unsigned *want, const char *what)
{
	for (unsigned i = 0; i < ncpu; i++)
		itl_wait_count(&counts, i, want[i], what);
	for (unsigned i = 0; i < ncpu; i++)
		itl_flush(i);
	itl_expect_counts(&counts, want, what);
}

/* One trigger from vCPU s to each other vCPU t: one run, on t. */
static void
trigger_once(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 4, 2), want[ITL_MAXV] = { 0 };

	itl_counts_zero(&counts);
	itl_start(ops, n);
	unsigned id = reg();
	for (unsigned s = 0; s < n; s++) {
		for (unsigned t = 0; t < n; t++) {
			if (t == s)
				continue;
			struct async_job j = { .op = OP_TRIGGER, .id = id,
			    .target = t, .times = 1 };
			itl_call(s, async_job, &j, "ipi_trigger");
			want[t]++;
			char what[64];
			snprintf(what, sizeof(what), "trigger %u -> %u", s, t);
			settle_and_check(want, what);
		}
	}
	unreg(id);
	itl_stop();
}
ITL_BACKEND_TESTS(async, trigger_once, ITL_TEST_TIMEOUT, trigger_once)

/*
 * Two triggers while the target's interrupts are blocked: the bit is
 * pending, nothing runs; after unblocking, exactly one run.
 */
static void
coalesce(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 4, 2), want[ITL_MAXV] = { 0 };
	const unsigned t = n - 1;

	itl_counts_zero(&counts);
	itl_start(ops, n);
	unsigned id = reg();
	struct ipi_percpu *st = cpu_ipi_state(itl_cpu(t));
	const uint32_t bit = 1u << (id & IPI_BITW_MASK);

	itl_block(t);
	struct async_job j = { .op = OP_TRIGGER, .id = id, .target = t,
	    .times = 2 };
	itl_call(0, async_job, &j, "two ipi_trigger to a blocked vCPU");
	cr_expect(atomic_load(&st->ipipend[id >> IPI_BITW_SHIFT]) & bit,
	    "vCPU %u blocked: id %u is not pending after two triggers", t, id);
	cr_expect_eq(atomic_load(&counts.c[t]), 0,
	    "vCPU %u ran the handler while its interrupts were blocked", t);
	itl_unblock(t);
	want[t] = 1;
	settle_and_check(want, "two coalesced triggers, then unblock");
	cr_expect_eq(atomic_load(&st->ipipend[id >> IPI_BITW_SHIFT]) & bit, 0,
	    "vCPU %u: id %u still pending after its run", t, id);

	/* A trigger after the run is a new one. */
	j.times = 1;
	itl_call(0, async_job, &j, "ipi_trigger after the coalesced run");
	want[t] = 2;
	settle_and_check(want, "trigger after the coalesced run");
	unreg(id);
	itl_stop();
}
ITL_BACKEND_TESTS(async, coalesce, ITL_TEST_TIMEOUT, coalesce)

/*
 * ipi_trigger_multi from each sender: to the odd vCPUs plus self (self
 * runs before the call returns), then to the others without self.
 */
static void
multi(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 4, 2), want[ITL_MAXV] = { 0 };

	itl_counts_zero(&counts);
	itl_start(ops, n);
	unsigned id = reg();
	for (unsigned s = 0; s < n; s++) {
		struct async_job j = { .op = OP_MULTI, .id = id };
		char what[96];

		kcpuset_zero(&j.set);
		kcpuset_set(&j.set, s);
		for (unsigned t = 1; t < n; t += 2)
			kcpuset_set(&j.set, t);
		itl_call(s, async_job, &j, "ipi_trigger_multi with self");
		for (unsigned t = 0; t < n; t++)
			want[t] += kcpuset_isset(&j.set, t);
		cr_expect_eq(j.self_after, want[s], "vCPU %u: own count %u when "
		    "ipi_trigger_multi (self in set) returned, want %u",
		    s, j.self_after, want[s]);
		snprintf(what, sizeof(what), "ipi_trigger_multi from %u, self "
		    "and odd vCPUs", s);
		settle_and_check(want, what);

		kcpuset_zero(&j.set);
		for (unsigned t = 0; t < n; t++)
			if (t != s && t % 2 == 0)
				kcpuset_set(&j.set, t);
		if (kcpuset_iszero(&j.set))
			kcpuset_set(&j.set, (s + 1) % n);
		itl_call(s, async_job, &j, "ipi_trigger_multi without self");
		for (unsigned t = 0; t < n; t++)
			want[t] += kcpuset_isset(&j.set, t);
		cr_expect_eq(j.self_after, want[s], "vCPU %u: own count %u after "
		    "ipi_trigger_multi without self, want %u",
		    s, j.self_after, want[s]);
		snprintf(what, sizeof(what), "ipi_trigger_multi from %u, "
		    "without self", s);
		settle_and_check(want, what);
	}
	unreg(id);
	itl_stop();
}
ITL_BACKEND_TESTS(async, multi, ITL_TEST_TIMEOUT, multi)

/* ipi_trigger_broadcast from each sender, with and without self. */
static void
broadcast(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 4, 2), want[ITL_MAXV] = { 0 };

	itl_counts_zero(&counts);
	itl_start(ops, n);
	unsigned id = reg();
	for (unsigned s = 0; s < n; s++) {
		for (int skip = 0; skip <= 1; skip++) {
			struct async_job j = { .op = OP_BROADCAST, .id = id,
			    .skip_self = skip };
			char what[96];

			itl_call(s, async_job, &j, "ipi_trigger_broadcast");
			for (unsigned t = 0; t < n; t++)
				want[t] += (t != s || !skip);
			cr_expect_eq(j.self_after, want[s], "vCPU %u: own count "
			    "%u when ipi_trigger_broadcast(skip_self=%d) "
			    "returned, want %u", s, j.self_after, skip, want[s]);
			snprintf(what, sizeof(what), "ipi_trigger_broadcast "
			    "from %u, skip_self=%d", s, skip);
			settle_and_check(want, what);
		}
	}
	unreg(id);
	itl_stop();
}
ITL_BACKEND_TESTS(async, broadcast, ITL_TEST_TIMEOUT, broadcast)
