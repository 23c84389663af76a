/*
 * backend.h: delivery backends, the stand-in for the hardware interrupt.
 *
 * A backend decides how a vCPU with nothing to do waits (idle) and how a
 * sender makes it look at its pending words (kick: the seed's cpu_ipi).
 * One file per backend, each defining one `const struct ipi_backend_ops`
 * with designated initializers, listed in the table in backend.c.  The
 * Criterion tests and the port's self-test run every entry of that table
 * (tests/ipi_testlib.h, tests/port/selftest.c), so a new backend is one
 * file and one table line, tested with no test edit.
 *
 * Two kinds fit this interface:
 *  - a backend that wakes an IDLE vCPU (busypoll, futex, eventfd): kick
 *    ends idle; a vCPU running code takes its IPIs where it polls
 *    (cpu_intr_poll, vcpu.h) and when it returns to its idle loop;
 *  - a backend that interrupts a RUNNING vCPU (a signal: kick =
 *    pthread_kill, the handler calls vcpu_intr(); or rseq): start and
 *    stop install and remove what it needs on the vCPU's own thread.
 *
 * Threads and contexts named below:
 *   ci's thread     the vCPU's own thread (curcpu() == ci)
 *   control thread  the one thread that calls ipi_machine_start/stop
 *   any thread      a vCPU (in a job, a handler, a spin loop) or not
 */
#ifndef IPI_BACKEND_H
#define IPI_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

struct cpu_info;

struct ipi_backend_ops {
	const char *	name;		/* as chosen on the command line */
	const char *	summary;	/* one line for `ipibench list` */
	const char *	reference;	/* the yardstick workload of the same
					 * wake-up shape without the IPI
					 * protocol, or NULL: none */
	bool		spins;		/* idle burns its PU: refuse more
					 * vCPUs than cores unless forced */

	/*
	 * state_size: bytes of private state per vCPU (0: none).  The
	 * runtime allocates it zeroed, on cache lines of its own (the size
	 * rounded up to whole lines), before init, and frees it after
	 * fini; vcpu_backend_state(ci) returns it (NULL when 0).
	 */
	size_t		state_size;

	/*
	 * init: set up the backend's state of vCPU ci.
	 * => Control thread, in ipi_machine_start, before ci's thread
	 *    exists; the state is zeroed.  May allocate, open files, fail.
	 * => Returns 0, or -1 with a message (the failing call and errno)
	 *    in err: the start fails naming ci and the backend, and fini
	 *    runs for the vCPUs whose init returned 0, not for ci.
	 * => NULL: nothing to set up.
	 *
	 * fini: undo init.
	 * => Control thread, after ci's thread was joined (or never
	 *    started); once per successful init.  Must not fail.
	 * => NULL: nothing to undo.
	 */
	int	(*init)(struct cpu_info *ci, char *err, size_t errlen);
	void	(*fini)(struct cpu_info *ci);

	/*
	 * start: ready ci's own thread for delivery (install a signal
	 * handler, register rseq, set a signal mask).
	 * => ci's thread, once, after it is bound to its PU and before it
	 *    reports ready: before its first job and before any IPI can be
	 *    sent to it (senders run only after ipi_machine_start returned).
	 *    curcpu() == ci.
	 * => Returns 0, or -1 with a message in err: ipi_machine_start
	 *    then fails cleanly (as for a PU that cannot be bound), stop is
	 *    not called on ci, fini is.
	 * => NULL: nothing to do.
	 *
	 * stop: undo start.
	 * => ci's thread, once, after its last job and its last pass of
	 *    the idle loop, before the thread exits; only if start returned
	 *    0.  curcpu() == ci.  kick may still come during and after
	 *    stop (see kick).
	 * => NULL: nothing to undo.
	 */
	int	(*start)(struct cpu_info *ci, char *err, size_t errlen);
	void	(*stop)(struct cpu_info *ci);

	/*
	 * idle: wait until vcpu_has_work(ci) is true (the kernel's hlt).
	 * => ci's thread, from its idle loop only, at IPL_NONE, holding no
	 *    lock of the runtime.
	 * => May return early for any reason (EINTR, a stale wake): the
	 *    idle loop re-checks everything and calls it again.
	 * => Must not miss a kick: if a kick(ci) follows a store that made
	 *    vcpu_has_work(ci) true, idle returns (or does not sleep).  The
	 *    sleep/wake handshake that guarantees it is proved in futex.c.
	 * => Required.
	 */
	void	(*idle)(struct cpu_info *ci);

	/*
	 * kick: make ci look at its work (the seed's cpu_ipi(ci)).
	 * => Any thread: a sender (a vCPU in a job, a spin loop or an IPI
	 *    handler, maybe at IPL_HIGH) or the control thread; after the
	 *    store that made vcpu_has_work(ci) true (a pending bit, a job,
	 *    an unblock, a stop request).
	 * => Must make an idle ci return from idle.  ci may not be idle: it
	 *    may run a job, a handler, or be past stop; a backend that only
	 *    wakes idle vCPUs does nothing then, and ci takes the IPI where
	 *    it polls.  One that interrupts a running ci has it call
	 *    vcpu_intr(ci) on its own thread.
	 * => Also when ci's thread is not in its idle loop at all: before
	 *    its start ran (ipi_machine_start undoing a failed start),
	 *    during and after its stop, after the thread exited (a handler
	 *    on another vCPU still sending while the machine stops).  It
	 *    must stay harmless there: a signal backend kicks by thread id
	 *    (tgkill: ESRCH once it exited), never through a pthread_t
	 *    that may have been joined.
	 * => Must not block for long nor wait for ci (ci may be spinning,
	 *    waiting for the caller's ack), and must not call into the
	 *    runtime other than vcpu_has_work and vcpu_backend_state.
	 * => Required.
	 */
	void	(*kick)(struct cpu_info *ci);
};

/* ipi_backend_lookup: the backend called name, or NULL. */
const struct ipi_backend_ops *ipi_backend_lookup(const char *name);

/* ipi_backends: NULL-terminated table of every backend. */
extern const struct ipi_backend_ops *const ipi_backends[];

/*
 * vcpu_has_work: whether ci has something to do: IPIs pending while
 * interrupts are unblocked, a posted job, or a stop request.
 * => Any thread.  Sequentially consistent loads: backends build their
 *    sleep/wake handshake on it (see futex.c).
 */
bool	vcpu_has_work(struct cpu_info *ci);

/*
 * vcpu_backend_state: ci's private state of the machine's backend:
 * state_size bytes, zeroed before init, on cache lines of its own.
 * => Any thread, from init until fini returns; NULL when the backend's
 *    state_size is 0.  The backend says who writes what in it.
 */
void	*vcpu_backend_state(struct cpu_info *ci);

/*
 * vcpu_intr: the interrupt entry, for a backend that interrupts a
 * running vCPU: take ci's pending IPIs now if ci takes interrupts at the
 * point where it was interrupted, as a CPU does when its interrupt line
 * is raised.
 * => ci's own thread (ci == curcpu()), in the backend's asynchronous
 *    context: typically a signal handler that may have interrupted ci
 *    anywhere (a job, a spin loop, a handler, the idle loop, the
 *    runtime).  ci == NULL (a signal on a thread that is not, or no
 *    longer, a vCPU: curcpu() is NULL there) does nothing.
 * => Takes them (runs ipi_cpu_handler at IPL_HIGH, as intr_take in
 *    vcpu.c) only when ci is at IPL_NONE and not blocked by
 *    vcpu_intr_block.  Else it leaves them pending, as a CPU with
 *    interrupts masked: they are taken where ci unmasks (splx to
 *    IPL_NONE, vcpu_intr_unblock, and after the runtime's own
 *    section), which re-checks the pending words after lowering.  The
 *    runtime runs its non-reentrant code at IPL_HIGH: every
 *    ipi_cpu_handler pass, and every section that holds a vCPU's job
 *    slot lock; so no pass is ever nested in another by vcpu_intr.
 * => Async-signal-safe with respect to the runtime: it reads ci's own
 *    lock-free atomics, takes no lock, allocates nothing, keeps errno.
 *    What it runs -- the registered handlers and message functions --
 *    then runs in that context too: with such a backend they must be
 *    async-signal-safe with respect to the code they may interrupt
 *    (no malloc, no stdio, no lock that interrupted code may hold), as
 *    kernel interrupt handlers must be.  Code that shares data with a
 *    handler on the same vCPU brackets it with splhigh()/splx().
 * => Never sleeps; returns when the pass(es) it ran returned.
 * => curcpu() may be called from the handler to find ci: libipi.a is
 *    linked into the executable, whose thread-local storage needs no
 *    allocation on first use.
 */
void	vcpu_intr(struct cpu_info *ci);

#endif /* IPI_BACKEND_H */
