/*
 * test_ipi_contracts.c: the `=>` lines of ipi.h that a caller can break
 * are asserted (KASSERT, on in tests) rather than left to hang.
 */
#include <signal.h>

#include "ipi_testlib.h"

#ifdef DIAGNOSTIC
static ipi_msg_t full_msg;

static void
full_func(void *arg)
{
	(void)arg;
}

/* A kcpuset_fill()ed target: the ack count would exceed the CPUs. */
static void
multicast_full_set_job(void *arg)
{
	kcpuset_t *all = arg;

	full_msg.func = full_func;
	ipi_multicast(&full_msg, all);
	ipi_wait(&full_msg);	/* would spin for ever without the assert */
}

/*
 * ipi_multicast to a set with CPUs that do not exist aborts, naming the
 * problem, instead of waiting for acks that never come.
 */
static void
multicast_full_set(const struct ipi_backend_ops *ops)
{
	static kcpuset_t all;

	kcpuset_fill(&all);
	itl_start(ops, itl_nvcpus(ops, 2, 2));
	itl_call(0, multicast_full_set_job, &all, "ipi_multicast(full set)");
	cr_assert_fail("ipi_multicast with a full set returned");
}

/* ABORT_TESTS: ITL_BACKEND_TESTS, for a body that must end in SIGABRT. */
#define	ABORT_TESTS(suite, name, fn)					\
	ParameterizedTestParameters(suite, name)			\
	{								\
		return itl_backend_params(false);			\
	}								\
	ParameterizedTest(unsigned *itl_idx, suite, name,		\
	    .timeout = ITL_TEST_TIMEOUT, .signal = SIGABRT)		\
	{								\
		fn(itl_backend_at(*itl_idx));				\
	}

ABORT_TESTS(contracts, multicast_full_set, multicast_full_set)

static void
unregister_in_handler(void *arg)
{
	(void)arg;
	ipi_unregister(1);	/* from a handler: asserted */
}

static void
unregister_in_handler_job(void *arg)
{
	unsigned *id = arg;
	kcpuset_t self;

	*id = ipi_register(unregister_in_handler, NULL);
	kcpuset_zero(&self);
	kcpuset_set(&self, cpu_index(curcpu()));
	ipi_trigger_multi(*id, &self);	/* runs the handler here */
}

/* ipi_unregister from a handler would wait for its own pass: asserted. */
static void
unregister_from_handler(const struct ipi_backend_ops *ops)
{
	static unsigned id;

	itl_start(ops, itl_nvcpus(ops, 2, 2));
	itl_call(0, unregister_in_handler_job, &id, "unregister in handler");
	cr_assert_fail("ipi_unregister from a handler returned");
}

ABORT_TESTS(contracts, unregister_from_handler, unregister_from_handler)

static void
unregister_at_splhigh_job(void *arg)
{
	unsigned *id = arg;

	*id = ipi_register(unregister_in_handler, NULL);
	(void)splhigh();
	ipi_unregister(*id);	/* its own pending IPIs could not run */
}

/* ipi_unregister at splhigh could leave this CPU's IPIs of the ID. */
static void
unregister_at_splhigh(const struct ipi_backend_ops *ops)
{
	static unsigned id;

	itl_start(ops, itl_nvcpus(ops, 2, 2));
	itl_call(0, unregister_at_splhigh_job, &id, "unregister at splhigh");
	cr_assert_fail("ipi_unregister at splhigh returned");
}

ABORT_TESTS(contracts, unregister_at_splhigh, unregister_at_splhigh)
#else
Test(contracts, need_diagnostic)
{
	cr_skip_test("built without DIAGNOSTIC: contracts are not asserted");
}
#endif
