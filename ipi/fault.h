/*
 * fault.h: named delay points in the IPI protocol, armed per vCPU.
 *
 * A race that needs real parallelism to show (a message landing in a
 * slot that a pass has not reached yet, an ack that comes early) becomes
 * deterministic when one vCPU can be held at a chosen point of the
 * protocol while the others go on.  The port calls ipi_fault_point() at
 * each named point; a point armed on the calling vCPU runs its hook
 * there, on that vCPU, in the context of the point (a target's points
 * run at IPL_HIGH inside ipi_cpu_handler()).
 *
 * Disarmed, a point costs one relaxed load of a read-mostly global and
 * one branch predicted not taken: bench builds keep the points, so that
 * workloads can arm delays (a slow handler, a slow sender) on purpose.
 */
#ifndef IPI_FAULT_H
#define IPI_FAULT_H

#include <stdatomic.h>
#include <stdint.h>

struct cpu_info;

enum ipi_fault_point {
	IPI_FP_PUT,	/* sender: after put_msg(), before the trigger */
	IPI_FP_SLOT,	/* target: after a mailbox slot's message was
			 * acked, before the next slot is read */
	IPI_FP_BIT,	/* target: after a pending bit's handler ran,
			 * before the next bit of the word */
	IPI_FP_ACK,	/* target: after msg->func(), before the ack */
	IPI_FP_WAIT,	/* sender: each backoff step of ipi_wait() */
	IPI_FP_COUNT
};

/*
 * ipi_fault_hook_t: what an armed point runs, on the vCPU that reached
 * it.  => May spin or sleep (bounded: a hook that never returns hangs
 *    the machine); must not send IPIs from a target's point (IPL_HIGH).
 */
typedef void (*ipi_fault_hook_t)(void *arg, enum ipi_fault_point pt);

/*
 * ipi_fault_arm: make vCPU ci run hook(arg, pt) each time it reaches
 * point pt; hook NULL disarms that point.
 * => From any thread, while the machine runs; a hook only on a disarmed
 *    point (disarm first).  A vCPU that is at the point now may run the
 *    old hook once more.
 * => Every point of every vCPU is disarmed when a machine starts.
 */
void	ipi_fault_arm(struct cpu_info *ci, enum ipi_fault_point pt,
	    ipi_fault_hook_t hook, void *arg);

/*
 * ipi_fault_delay: arm point pt of ci with a busy wait of ns
 * nanoseconds (CLOCK_MONOTONIC); 0 disarms.  The workloads' knob.
 */
void	ipi_fault_delay(struct cpu_info *ci, enum ipi_fault_point pt,
	    uint64_t ns);

/* ipi_fault_name: "put", "slot", "bit", "ack", "wait"; NULL if out of range. */
const char *ipi_fault_name(enum ipi_fault_point pt);

/*
 * ipi_fault_reset: disarm every point (ipi_sysinit calls it).
 * => No vCPU may be running.
 */
void	ipi_fault_reset(void);

/* Internal to the port: the check at each point (see ipi.c). */
extern _Atomic unsigned ipi_fault_armed;	/* points armed, all vCPUs */
void	ipi_fault_hit(enum ipi_fault_point pt);

/* ipi_fault_point: the check the port makes at point pt. */
static inline void
ipi_fault_point(enum ipi_fault_point pt)
{

	if (__builtin_expect(atomic_load_explicit(&ipi_fault_armed,
	    memory_order_relaxed) != 0, 0))
		ipi_fault_hit(pt);
}

#endif /* IPI_FAULT_H */
