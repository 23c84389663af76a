/*
 * vcpu_impl.h: struct cpu_info, private to the port (vcpu.c, ipi.c).
 *
 * Backends do not include this: they reach what they need through
 * backend.h (vcpu_has_work, vcpu_backend_state, vcpu_intr).  Nothing
 * outside ipi/ may include it; harness and workloads see struct cpu_info
 * as opaque (vcpu.h).
 */
#ifndef IPI_VCPU_IMPL_H
#define IPI_VCPU_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fault.h"
#include "vcpu.h"

#define	IPL_NONE	0		/* interrupts taken */
#define	IPL_HIGH	1		/* splhigh(): none taken */

/*
 * One vCPU.  Who writes what:
 *   (s) ipi_machine_start before the thread exists; read-only after
 *   (o) only the vCPU's own thread (others may read: atomics)
 *   (j) under ci_job_lock
 *   (a) any thread, atomically
 */
struct cpu_info {
	cpuid_t		ci_index;	/* (s) cpu_index() */
	int		ci_pu;		/* (s) PU it is pinned to */
	struct ipi_percpu *ci_ipi;	/* (s) mailbox + pending words */
	bool		ci_ipi_owned;	/* (s) ci_ipi allocated by the runtime */
	void *		ci_backend;	/* (s) the backend's state (its own
					 * lines), NULL if state_size is 0 */
	pthread_t	ci_thread;	/* (s) */
	pid_t		ci_tid;		/* (o) set before it reports ready */

	/*
	 * Interrupt masking: taken only when both are clear.  A line of
	 * its own: the vCPU writes ci_ipl twice per interrupt, and senders
	 * read ci_ipi above for every IPI -- sharing a line cost two more
	 * line transfers per unicast round trip.  ci_ipl is also written
	 * by vcpu_intr on the vCPU's own thread (a signal handler), which
	 * restores the level it found.
	 */
	_Alignas(CACHE_LINE_SIZE) _Atomic int ci_ipl;	/* (o) splhigh/splx level */
	_Atomic bool	ci_intr_blocked; /* (a) vcpu_intr_block/unblock */

	/*
	 * The pass counter of ipi_cpu_handler (ipi.c): odd while an
	 * outermost pass runs; ipi_unregister waits on it.  Beside ci_ipl:
	 * the vCPU writes both around every pass, nobody else writes them.
	 */
	_Atomic unsigned ci_ipi_pass;		/* (o) */
	unsigned	ci_ipi_depth;		/* (o) passes nested now */

	/* The seed's ipi_mboxfull_ev, per CPU: only this vCPU adds to it. */
	_Atomic uint64_t ci_mboxfull_ev;	/* (o) */

	/* The job slot (vcpu_post/vcpu_join). */
	pthread_mutex_t	ci_job_lock;
	pthread_cond_t	ci_job_cv;	/* job done, or slot free */
	void		(*ci_job_fn)(void *);	/* (j) */
	void *		ci_job_arg;		/* (j) */
	_Atomic bool	ci_job_posted;	/* (j, read (a)) posted, unfinished */

	_Atomic bool	ci_stop;	/* (a) ipi_machine_stop asks to exit */

	/* Start-up report (under the start lock of vcpu.c). */
	int		ci_start;	/* 0 pending, 1 ready, -1 failed */
	char		ci_err[256];	/* why it failed */

	/* Armed delay points (fault.c): read by this vCPU when armed. */
	_Alignas(CACHE_LINE_SIZE)
	_Atomic(ipi_fault_hook_t) ci_fault_hook[IPI_FP_COUNT];	/* (a) */
	void * _Atomic	ci_fault_arg[IPI_FP_COUNT];		/* (a) */
};

#endif /* IPI_VCPU_IMPL_H */
