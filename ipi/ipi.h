/*
 * ipi.h: the inter-processor interrupt interface of NetBSD
 * (sys/sys/ipi.h; sys/kern/subr_ipi.c rev 1.11), on user-space vCPUs.
 *
 * Names, contracts and memory orderings are the seed's.  What user space
 * changes (no real interrupt, no splhigh, no kpreempt, no evcnt, no kmem)
 * is said next to the code in ipi.c and vcpu.c.
 *
 * Every entry point except ipi_sysinit() and ipi_percpu_init() must be
 * called on a vCPU (curcpu() != NULL): that is what "preemption disabled"
 * means here, since a vCPU is a thread pinned to one PU for its life.
 */
#ifndef IPI_IPI_H
#define IPI_IPI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpuset.h"

struct cpu_info;

typedef void (*ipi_func_t)(void *);

typedef struct {
	ipi_func_t	func;
	void *		arg;
	_Atomic unsigned _pending;	/* private: targets yet to ack */
} ipi_msg_t;

#define	IPI_MAXREG	32
#define	IPI_BITW_SHIFT	5
#define	IPI_BITW_MASK	(32 - 1)
#define	IPI_BITWORDS	(IPI_MAXREG >> IPI_BITW_SHIFT)

/* Initialisation (the runtime calls these; see vcpu.h). */
void	ipi_sysinit(void);
void	ipi_percpu_init(void);

/*
 * Asynchronous IPIs: registered handlers with a constant argument.
 */

/*
 * ipi_register: register an asynchronous IPI handler.
 * => Returns IPI ID which is greater than zero; on failure - zero.
 */
unsigned ipi_register(ipi_func_t func, void *arg);

/*
 * ipi_unregister: release the IPI handler given the ID.
 * => Returns only after every IPI of that ID in flight (triggered before
 *    the call) has run, on every CPU.
 * => On a vCPU taking interrupts, not from a handler.
 */
void	ipi_unregister(unsigned ipi_id);

/*
 * ipi_trigger: asynchronously send an IPI to the specified CPU.
 * => ci must not be curcpu().
 * => Triggers of one ID coalesce until the target handles them: the
 *    handler runs at least once after the trigger.
 * => The handler sees what the caller wrote before the trigger when the
 *    trigger set the bit (release).  A trigger that finds the bit set
 *    stores nothing (the seed's coalescing) and publishes nothing: the
 *    handler then sees the caller's earlier seq_cst atomic writes when
 *    it reads them with seq_cst loads, but not plain data (ipi.c, the
 *    store-buffering window).
 */
void	ipi_trigger(unsigned ipi_id, struct cpu_info *ci);

/*
 * ipi_trigger_multi: same as ipi_trigger() to every CPU of target; if
 * target has curcpu(), the handler runs here before returning.
 */
void	ipi_trigger_multi(unsigned ipi_id, const kcpuset_t *target);

/*
 * ipi_trigger_broadcast: ipi_trigger_multi() to every attached CPU,
 * optionally skipping the sending CPU.
 */
void	ipi_trigger_broadcast(unsigned ipi_id, bool skip_self);

/*
 * ipi_cpu_handler: the IPI handler: runs the handlers pending on curcpu().
 * => Called with interrupts blocked on curcpu() (the runtime does).
 */
void	ipi_cpu_handler(void);

/*
 * Synchronous IPIs: a message to one, some or all CPUs, acknowledged.
 */

/*
 * ipi_unicast: send an IPI to a single CPU.
 * => The CPU must be remote; must not be local.
 * => The caller must ipi_wait() on the message for completion.
 */
void	ipi_unicast(ipi_msg_t *msg, struct cpu_info *ci);

/*
 * ipi_multicast: send an IPI to each CPU in the specified set.
 * => The set holds attached CPUs only (not a kcpuset_fill()ed one: the
 *    ack count is the number of CPUs in it).
 * => If the set has curcpu(), msg->func runs here before returning.
 * => The caller must ipi_wait() on the message for completion.
 */
void	ipi_multicast(ipi_msg_t *msg, const kcpuset_t *target);

/*
 * ipi_broadcast: send an IPI to all CPUs.
 * => skip_self: do not run msg->func on curcpu().
 * => The caller must ipi_wait() on the message for completion.
 */
void	ipi_broadcast(ipi_msg_t *msg, bool skip_self);

/*
 * ipi_wait: spin-wait until the message is processed.
 * => Returns after every remote target ran msg->func (acquire).
 */
void	ipi_wait(ipi_msg_t *msg);

/*
 * ipi_mboxfull_count: the seed's ipi_mboxfull_ev.ev_count: how often a
 * sender found a mailbox full.  Per-CPU counters, summed on read.
 */
uint64_t ipi_mboxfull_count(void);

/*
 * ipi_backoff_set: the bounds of the spin-waits of senders: ipi_wait()
 * and the mailbox-full spin of put_msg() start each wait at min pause
 * runs (SPINLOCK_SPIN_HOOK) between two checks and double up to max.
 * The seed's are SPINLOCK_BACKOFF_MIN and _MAX (backoff.h), the values
 * at start; min = max = 1 is one pause per check.  Not in the seed
 * (a kernel compiles them in): ipibench measures what they cost.
 * => 1 <= min <= max.  Any thread; waits that begin after the call
 *    (in program order, or after a vcpu_post() that follows it) use
 *    the new bounds.
 * ipi_backoff_get: the bounds now in force.
 */
void	ipi_backoff_set(unsigned min, unsigned max);
void	ipi_backoff_get(unsigned *min, unsigned *max);

#endif /* IPI_IPI_H */
