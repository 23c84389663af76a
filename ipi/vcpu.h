/*
 * vcpu.h: virtual CPUs, the user-space stand-in for struct cpu_info.
 *
 * A vCPU is a thread pinned to one processing unit (PU) for its whole
 * life.  Its idle loop is "handle pending IPIs unless masked, run a posted
 * job, else let the backend idle until kicked" -- the kernel's idle loop
 * with the hardware interrupt replaced by a delivery backend (backend.h).
 *
 * One machine of vCPUs exists at a time (the seed's globals: ncpu,
 * cpu_infos, the mailboxes); ipi_machine_start() builds it,
 * ipi_machine_stop() tears it down.  Nothing here knows hwloc or files:
 * the caller says which PU each vCPU runs on and may hand in the memory
 * that holds its per-CPU IPI state, so that it can be placed on a node.
 */
#ifndef IPI_VCPU_H
#define IPI_VCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpuset.h"
#include "ipi.h"

#ifndef CACHE_LINE_SIZE
#define	CACHE_LINE_SIZE	64
#endif

/* The seed's mailbox: one cache line of message pointers. */
#define	IPI_MSG_SLOTS	(CACHE_LINE_SIZE / sizeof(ipi_msg_t *))
#define	IPI_MSG_MAX	IPI_MSG_SLOTS

typedef struct {
	ipi_msg_t * _Atomic msg[IPI_MSG_SLOTS];
} ipi_mbox_t;

/*
 * The per-CPU IPI state that the harness places in memory: the mailbox
 * (the seed's ipi_mboxes[cpu_index(ci)]) and the pending words (the
 * seed's ci->ci_ipipend), each on a cache line of its own.
 */
struct ipi_percpu {
	_Alignas(CACHE_LINE_SIZE) ipi_mbox_t	mbox;
	_Alignas(CACHE_LINE_SIZE) _Atomic uint32_t ipipend[IPI_BITWORDS];
};

#define	IPI_PERCPU_SIZE		sizeof(struct ipi_percpu)
#define	IPI_PERCPU_ALIGN	CACHE_LINE_SIZE

/* What the caller says about one vCPU. */
struct vcpu_spec {
	int	pu;		/* OS index of the PU to pin to */
	int	node;		/* its NUMA node (OS index), -1 unknown: the
				 * caller's, for its reports; unused here */
	struct ipi_percpu *state; /* IPI_PERCPU_SIZE bytes, IPI_PERCPU_ALIGN
				   * aligned, or NULL: the runtime allocates */
};

/*
 * vcpu_bind_fn: pin the calling thread (vCPU idx) to PU pu and check it.
 * => Runs on the new vCPU thread before it does anything else.
 * => Returns 0, or -1 with a message naming the PU in err.
 */
typedef int (*vcpu_bind_fn)(void *ctx, unsigned idx, int pu,
    char *err, size_t errlen);

struct vcpu_config {
	const struct vcpu_spec *specs;	/* n of them; PUs may repeat */
	unsigned	n;		/* 1 .. IPI_MAXCPUS */
	const struct ipi_backend_ops *backend; /* an entry of ipi_backends[]
				 * (ipi_backend_lookup() turns a name into
				 * one) or any other ops (backend.h) */
	vcpu_bind_fn	bind;		/* NULL: sched_setaffinity, read back */
	void *		bind_ctx;
};

/*
 * ipi_machine_start: create the vCPUs, run ipi_sysinit() and
 * ipi_percpu_init(), start every vCPU in its idle loop.
 * => No machine may be running.
 * => Returns 0; or -1 with a message in err naming the input at fault
 *    (no backend, n out of range, a PU that cannot be bound, misaligned
 *    state, the backend's init or start failing), having started
 *    nothing and leaked nothing.
 */
int	ipi_machine_start(const struct vcpu_config *cfg, char *err,
	    size_t errlen);

/*
 * ipi_machine_stop: stop and join every vCPU, free what start allocated.
 * => Any job posted must have completed.  Idempotent.
 */
void	ipi_machine_stop(void);

/* The seed's CPU accessors, on vCPUs. */
extern unsigned	ncpu;			/* vCPUs of the running machine */
extern const kcpuset_t *kcpuset_attached; /* every vCPU */
struct cpu_info *curcpu(void);		/* NULL off a vCPU thread */
struct cpu_info *cpu_lookup(cpuid_t idx); /* => idx < ncpu */
cpuid_t	cpu_index(const struct cpu_info *ci);

/* CPU_INFO_FOREACH(cii, ci): every vCPU in index order. */
typedef cpuid_t CPU_INFO_ITERATOR;
#define	CPU_INFO_FOREACH(cii, ci)					\
	(cii) = 0; (cii) < ncpu && ((ci) = cpu_lookup(cii)) != NULL; (cii)++

/* The placed IPI state of a vCPU (its mailbox and pending words). */
struct ipi_percpu *cpu_ipi_state(struct cpu_info *ci);

/* Facts about a vCPU for reports and perf counters. */
int	cpu_pu(const struct cpu_info *ci);	/* its PU (OS index) */
pid_t	cpu_tid(const struct cpu_info *ci);	/* its thread id */

/*
 * vcpu_post: make vCPU ci run fn(arg) from its idle loop.
 * => At most one job per vCPU at a time: -EBUSY if one is unfinished.
 * => fn runs on ci with interrupts enabled, as kernel code with
 *    preemption disabled: it may send IPIs and ipi_wait().
 */
int	vcpu_post(struct cpu_info *ci, void (*fn)(void *), void *arg);

/*
 * vcpu_join: wait, sleeping, for the job posted on ci to finish.
 * => timeout_ns 0 waits forever.
 * => Returns 0, or -ETIMEDOUT (the job is still running: join again).
 * => Called on a vCPU, that vCPU takes no interrupt while it waits (it
 *    sleeps at IPL_HIGH, vcpu.c job_lock): ci's job must not wait for
 *    an acknowledgement from the joining vCPU.
 */
int	vcpu_join(struct cpu_info *ci, uint64_t timeout_ns);

/* vcpu_call: vcpu_post() then vcpu_join(); returns as they do. */
int	vcpu_call(struct cpu_info *ci, void (*fn)(void *), void *arg,
	    uint64_t timeout_ns);

/*
 * splhigh/splx on a vCPU.  While blocked, kicks still arrive and pending
 * bits and mailbox slots accumulate, but nothing is handled.
 *
 * vcpu_intr_block: block interrupts on ci.
 * => Returns once ci handles nothing more (it ran the block itself),
 *    0; or -ETIMEDOUT after timeout_ns (0: forever).
 * vcpu_intr_unblock: unblock them and kick ci, which then handles
 *    everything pending.  Callable from any thread.
 */
int	vcpu_intr_block(struct cpu_info *ci, uint64_t timeout_ns);
void	vcpu_intr_unblock(struct cpu_info *ci);

/*
 * splhigh / splx for code running on a vCPU (curcpu() != NULL).
 * => splhigh returns the previous level for splx.
 * => splx to IPL_NONE takes every interrupt pending (and unblocked),
 *    including those vcpu_intr (backend.h) left pending meanwhile.
 * => Compiler barriers (signal fences): the code between them stays
 *    between them, as seen by vcpu_intr on the same thread.
 */
int	splhigh(void);
void	splx(int s);

/*
 * cpu_intr_poll: the point where a vCPU running code takes an interrupt.
 * Spin loops (ipi_wait, put_msg) call it: a real CPU spinning with
 * interrupts enabled takes IPIs; a thread must look for them.
 * => Takes everything pending, pass after pass, until no pending word
 *    is set (as spllower does): a handler that keeps re-triggering its
 *    own vCPU keeps the caller here.
 * => When the machine's vCPUs share PUs (specs' PUs repeat: an
 *    oversubscribed machine), it then yields the PU (sched_yield), as
 *    a hypervisor deschedules a spinning vCPU: the spinner may wait for
 *    a vCPU that needs its PU.
 */
void	cpu_intr_poll(void);

/*
 * cpu_intr_enabled: whether the calling vCPU takes interrupts now (not
 * at splhigh, not blocked by vcpu_intr_block).  => On a vCPU.
 */
bool	cpu_intr_enabled(void);

/*
 * cpu_ipi: the seed's cpu_ipi(ci): make ci notice its pending words,
 * through the machine's backend.
 */
void	cpu_ipi(struct cpu_info *ci);

#endif /* IPI_VCPU_H */
