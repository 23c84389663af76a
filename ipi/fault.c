/*
 * fault.c: named delay points of the protocol, armed per vCPU (fault.h).
 *
 * Each vCPU has one (hook, arg) pair per point, in its struct cpu_info.
 * ipi_fault_armed counts the armed pairs of the running machine: while it
 * is 0 every point is one load and one branch (ipi_fault_point()); while
 * any point is armed, every vCPU calls ipi_fault_hit() at every point.
 * The pair is published arg first, hook last (release), and read hook
 * first (acquire): a point armed from disarmed runs its hook with its
 * arg.  A vCPU at a point while it is disarmed and re-armed may run the
 * old hook once with the new arg; arming an armed point is refused.
 */
#include <stdint.h>
#include <time.h>

#include "backoff.h"
#include "fault.h"
#include "kassert.h"
#include "vcpu.h"
#include "vcpu_impl.h"

/* Read at every point, written when arming: a line of its own. */
_Alignas(CACHE_LINE_SIZE) _Atomic unsigned ipi_fault_armed;

static const char *const fault_names[IPI_FP_COUNT] = {
	[IPI_FP_PUT] = "put",
	[IPI_FP_SLOT] = "slot",
	[IPI_FP_BIT] = "bit",
	[IPI_FP_ACK] = "ack",
	[IPI_FP_WAIT] = "wait",
};

/*
 * ipi_fault_name: the short name of point pt.
 * => NULL when pt is not a point.
 */
const char *
ipi_fault_name(enum ipi_fault_point pt)
{

	if ((unsigned)pt >= IPI_FP_COUNT)
		return NULL;
	return fault_names[pt];
}

/*
 * ipi_fault_arm: make ci run hook(arg, pt) at point pt; NULL disarms.
 * => pt < IPI_FP_COUNT; ci a vCPU of the running machine; a hook only
 *    on a disarmed point.
 */
void
ipi_fault_arm(struct cpu_info *ci, enum ipi_fault_point pt,
    ipi_fault_hook_t hook, void *arg)
{
	ipi_fault_hook_t old;

	KASSERT(ci != NULL);
	KASSERT((unsigned)pt < IPI_FP_COUNT);
	KASSERT(hook == NULL || atomic_load_explicit(&ci->ci_fault_hook[pt],
	    memory_order_relaxed) == NULL);
	if (hook != NULL)
		atomic_store_explicit(&ci->ci_fault_arg[pt], arg,
		    memory_order_relaxed);
	old = atomic_exchange_explicit(&ci->ci_fault_hook[pt], hook,
	    memory_order_release);
	if (old == NULL && hook != NULL)
		atomic_fetch_add_explicit(&ipi_fault_armed, 1,
		    memory_order_release);
	else if (old != NULL && hook == NULL)
		atomic_fetch_sub_explicit(&ipi_fault_armed, 1,
		    memory_order_release);
}

/* fault_spin: the hook of ipi_fault_delay: spin arg nanoseconds. */
static void
fault_spin(void *arg, enum ipi_fault_point pt)
{
	const uint64_t ns = (uint64_t)(uintptr_t)arg;
	struct timespec ts;
	uint64_t t0, t;

	(void)pt;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	do {
		SPINLOCK_SPIN_HOOK;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	} while (t - t0 < ns);
}

/*
 * ipi_fault_delay: arm pt of ci with a busy wait of ns nanoseconds.
 * => ns 0 disarms; ns must fit a pointer (it travels as the hook's arg).
 */
void
ipi_fault_delay(struct cpu_info *ci, enum ipi_fault_point pt, uint64_t ns)
{

	KASSERT(ns <= UINTPTR_MAX);
	ipi_fault_arm(ci, pt, ns == 0 ? NULL : fault_spin,
	    (void *)(uintptr_t)ns);
}

/*
 * ipi_fault_reset: every point disarmed.
 * => No vCPU running (ipi_sysinit: each cpu_info starts zeroed).
 */
void
ipi_fault_reset(void)
{

	atomic_store_explicit(&ipi_fault_armed, 0, memory_order_relaxed);
}

/*
 * ipi_fault_hit: point pt was reached on curcpu() while some point of
 * some vCPU is armed: run curcpu()'s hook for pt, if it has one.
 */
void
ipi_fault_hit(enum ipi_fault_point pt)
{
	struct cpu_info *ci = curcpu();
	ipi_fault_hook_t hook;

	if (ci == NULL)
		return;
	hook = atomic_load_explicit(&ci->ci_fault_hook[pt],
	    memory_order_acquire);
	if (hook != NULL)
		hook(atomic_load_explicit(&ci->ci_fault_arg[pt],
		    memory_order_relaxed), pt);
}
