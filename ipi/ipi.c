/*
 * ipi.c: NetBSD's inter-processor interrupt protocol
 * (sys/kern/subr_ipi.c rev 1.11, Mindaugas Rasiukevicius), on vCPUs.
 *
 * Background
 *
 *	An IPI makes another CPU run a function.  The kernel needs two kinds:
 *	asynchronous ones, where the sender only says "run handler N soon"
 *	and does not wait, and synchronous ones, where the sender hands over
 *	a function and an argument and waits until every target ran it.
 *	The hardware gives one thing only: a way to interrupt a CPU
 *	(cpu_ipi()).  Everything else is memory shared by the CPUs.
 *
 * Implementation
 *
 *	Asynchronous IPIs.  Handlers are registered in a table of IPI_MAXREG
 *	slots; the slot number is the IPI ID.  Each CPU has IPI_BITWORDS
 *	pending words with one bit per ID.  ipi_trigger() sets the target's
 *	bit and interrupts the target only when the bit goes from 0 to 1:
 *	triggers coalesce while the target has not looked.  The target's
 *	handler, ipi_cpu_handler(), swaps each word with 0 and runs the
 *	handlers of the bits it took.  The release on the sender's OR and
 *	the acquire on the target's swap make whatever the sender wrote
 *	before triggering visible to the handler.
 *
 *	Synchronous IPIs are built on slot 0 (IPI_SYNCH_ID).  Each CPU has
 *	a mailbox: one cache line of message pointers.  The sender sets the
 *	message's _pending to the number of remote targets, publishes it
 *	(release), puts a pointer to it in a free slot of each target's
 *	mailbox (CAS NULL -> msg; when all slots are taken it counts a
 *	mailbox-full event and spins with backoff) and triggers slot 0
 *	there.  The target's slot-0 handler takes each message (acquire),
 *	frees its slot, runs func(arg) and decrements _pending (release).
 *	ipi_wait() spins until _pending is 0 (acquire): then every target
 *	ran func, and the message may be reused or go out of scope.
 *
 *	Why it is fast: the common path is one CAS on the target's mailbox
 *	line, one load and one OR on its pending line, the interrupt, and
 *	one decrement on the message; no lock anywhere.
 *
 * User space
 *
 *	A CPU is a vCPU (vcpu.c): a thread pinned to one PU.  The interrupt
 *	is the machine's delivery backend: cpu_ipi(ci) kicks ci, whose idle
 *	loop, or whose cpu_intr_poll() in a spin loop, then runs
 *	ipi_cpu_handler() with interrupts blocked.  Each place where this
 *	forces a difference from the seed carries one comment saying how it
 *	maps; in short:
 *
 *	  splhigh()/splx()           the vCPU's own block level (vcpu.c)
 *	  kpreempt_disable(),        the caller is a vCPU (curcpu() != NULL):
 *	  KASSERT(kpreempt_disabled()) a vCPU is pinned to its PU for life
 *	  cpu_ipi(ci)                the backend's kick (vcpu.c, backend.h)
 *	  ipi_mboxes[], kmem_zalloc  each vCPU's placed struct ipi_percpu,
 *	                             cpu_ipi_state(ci)->mbox
 *	  ci->ci_ipipend             cpu_ipi_state(ci)->ipipend
 *	  ipi_mboxfull_ev            per-vCPU counters, ipi_mboxfull_count()
 *	  kmutex_t                   pthread mutex; a vCPU takes IPIs while
 *	                             it waits for it (mutex_enter)
 *	  nullop                     ipi_nullop(), a static empty function
 *	  printf("WARNING: ...")     stderr
 *	  SPINLOCK_BACKOFF loops     also take interrupts (cpu_intr_poll)
 *	  SPINLOCK_BACKOFF_MIN/MAX   in ipi_wait and put_msg: the bounds of
 *	                             ipi_backoff_set(), the seed's by default
 *
 * Memory orderings
 *
 *	As the seed's, in C11:
 *	  atomic_load_acquire        atomic_load_explicit(acquire)
 *	  atomic_load_relaxed,       *_explicit(relaxed)
 *	  atomic_store_relaxed
 *	  membar_release; atomic_or_32   release fence; fetch_or (seq_cst,
 *	                             see below)
 *	  atomic_swap_32; membar_acquire exchange (seq_cst, see below);
 *	                             acquire fence
 *	  membar_release; atomic_dec_uint release fence; fetch_sub (relaxed)
 *	  atomic_cas_ptr             compare_exchange_strong (seq_cst, see
 *	                             below; NetBSD's atomic_cas_ptr implies no
 *	                             barrier: the caller of put_msg issues the
 *	                             release fence that publishes the message)
 *	ThreadSanitizer does not model fences: with the fence alone it would
 *	not see the edge a fence + relaxed atomic makes, and would report
 *	races on every message.  So under -fsanitize=thread the fences stay
 *	and the atomic each fence guards also carries the order (MO_RELEASED
 *	is release instead of relaxed).  Through that atomic this is the
 *	edge the fence gives, so TSan checks exactly the edges the protocol
 *	relies on; on x86 the instructions are the same (a locked RMW
 *	either way).
 *
 *	Where the seed relies on more than acquire/release: seq_cst on
 *	the CAS of put_msg, the load and the OR of ipi_mark_pending, the swap
 *	of ipi_cpu_handler and the slot load of ipi_msg_cpu_handler (see "The
 *	store-buffering window" below).  TSan sees those orders too.
 *
 * The store-buffering window (closed here; the seed leaves it to x86)
 *
 *	When ipi_mark_pending() finds slot 0's bit already set it does not
 *	interrupt, trusting that the target has yet to swap the word and
 *	will then see the message just put.  Sender and target form the
 *	store-buffering (Dekker) pattern:
 *
 *	    sender                        target
 *	    CAS mailbox slot NULL -> msg  swap pending word -> 0
 *	    load pending word: bit set?   load mailbox slot
 *
 *	With acquire/release alone both loads may miss the other side's
 *	store: the sender sees the bit still set and does not interrupt, the
 *	target's pass sees the slot still empty, and the message sits there
 *	while ipi_wait() spins for ever.  x86 forbids it (lock cmpxchg and
 *	xchg are full barriers); aarch64 and POWER do not.  So the accesses
 *	are seq_cst: the CAS and the sender's load, the target's swap and
 *	slot load, and every write of the pending word (the OR that sets a
 *	bit, the swap that clears it).  They then follow one total order S,
 *	consistent with program order and with the pending word's
 *	modification order.  If the sender's load saw the bit set, the swap
 *	that clears that bit cannot precede the load in S (the load would
 *	then read the swap or a later write), so the CAS, before the load,
 *	precedes the swap and the target's slot load after it: that load
 *	sees the message (or NULL stored back by the target itself after
 *	taking it).  On x86 this costs nothing: seq_cst loads are plain
 *	moves and the RMWs were locked already; on aarch64 the loads become
 *	ldar and the RMWs acquire-release.
 *
 *	The same holds for an asynchronous trigger that coalesces (bit
 *	found set): the handler then runs in a pass whose swap follows the
 *	trigger's check in S.  Such a trigger stores nothing, so it
 *	publishes nothing: the handler sees the sender's earlier seq_cst
 *	atomic writes when it reads them with seq_cst loads, not plain data
 *	(ipi.h, ipi_trigger).  A trigger that sets the bit publishes
 *	everything before it (release).
 *
 *	What the port adds to the seed's fast path, for the record: the
 *	pass counter (two stores per pass to a line only that vCPU writes),
 *	the delay points (one load and a predicted branch each, fault.h),
 *	and with DIAGNOSTIC the KASSERTs, ipi_multicast's subset check
 *	among them.
 *
 * One change to the seed's logic: ipi_unregister()
 *
 *	ipi.h promises that ipi_unregister() returns only after every IPI
 *	of that ID in flight has run.  The seed clears the slot first and
 *	drains after, so a pending IPI of the ID finds func == NULL.
 *	Draining first is not enough either: an ack says that the pass
 *	which ran the message got as far as the mailbox, not that the
 *	pass's other bits have run, nor that the pass swapped the word
 *	after the IPI in flight was triggered (a message put while a pass
 *	runs is taken by that same pass, if its slot is still ahead).  So
 *	each CPU counts its passes: ci_ipi_pass is odd while an outermost
 *	ipi_cpu_handler() pass runs (a pass nested in a handler, through
 *	ipi_trigger_multi() to curcpu(), does not count), and it is stored
 *	with release when the pass ends.  ipi_unregister() drains twice,
 *	each time waiting, after the acks, for the passes that acked to
 *	end.  The argument is written beside the code.  make verify checks
 *	both the seed's order and a double drain without the pass wait
 *	(both fail) and this one (models/).
 *
 * Concurrency
 *
 *	ipi_intrs[] is written under ipi_mngmt_lock and read by handlers
 *	without it: a handler reads slot N only after taking bit N, which was
 *	set (release) after the registration, and ipi_unregister clears slot
 *	N only after every pass that could take bit N has ended.
 *	Each mailbox slot is owned by whoever CASes it from NULL until its
 *	target loads the message and stores NULL back.  A message belongs to
 *	its sender again once ipi_wait() returned.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "backoff.h"
#include "fault.h"
#include "ipi.h"
#include "kassert.h"
#include "vcpu.h"
#include "vcpu_impl.h"

#if defined(__SANITIZE_THREAD__)
#define	IPI_TSAN	1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define	IPI_TSAN	1
#endif
#endif

/* The order of an atomic guarded by a fence (see "Memory orderings"). */
#ifdef IPI_TSAN
#define	MO_RELEASED	memory_order_release	/* after a release fence */
#else
#define	MO_RELEASED	memory_order_relaxed
#endif

#define	__predict_false(e)	__builtin_expect((e) != 0, 0)

typedef struct {
	ipi_func_t	func;
	void *		arg;
} ipi_intr_t;

/*
 * kmutex_t -> pthread mutex, initialised statically: a process may start
 * and stop many machines, and ipi_sysinit() runs at each start.
 */
static pthread_mutex_t	ipi_mngmt_lock = PTHREAD_MUTEX_INITIALIZER;
static ipi_intr_t	ipi_intrs[IPI_MAXREG]
			    __attribute__((aligned(CACHE_LINE_SIZE)));

/*
 * mutex_enter/mutex_exit: kmutex_t -> pthread mutex.  A kernel thread
 * waiting for a mutex leaves its CPU able to take IPIs; a vCPU blocked in
 * pthread_mutex_lock takes none, and ipi_unregister, which holds the lock
 * while it waits for every CPU's ack, would wait for ever for a vCPU
 * blocked on that lock.  So a vCPU spins on trylock with backoff, taking
 * interrupts between tries (as in put_msg); any other thread just locks.
 * => Not with interrupts blocked on a vCPU (as a kernel adaptive mutex is
 *    not for interrupt context).
 */
static void
mutex_enter(pthread_mutex_t *mtx)
{
	int count = SPINLOCK_BACKOFF_MIN;

	if (curcpu() == NULL) {
		pthread_mutex_lock(mtx);
		return;
	}
	/* A vCPU that takes no interrupts could wait for ever (above). */
	KASSERT(cpu_intr_enabled());
	while (pthread_mutex_trylock(mtx) != 0) {
		SPINLOCK_BACKOFF(count);
		cpu_intr_poll();
	}
}

static void
mutex_exit(pthread_mutex_t *mtx)
{

	pthread_mutex_unlock(mtx);
}

/*
 * Per-CPU mailbox for IPI messages: it is a single cache line storing up
 * to IPI_MSG_MAX messages.
 *
 * ipi_mboxes[] -> the mailbox is in each vCPU's placed struct ipi_percpu
 * (vcpu.h), cpu_ipi_state(ci)->mbox; ipi_mbox_t and IPI_MSG_SLOTS are
 * defined there.
 */

static void	ipi_msg_cpu_handler(void *);

/* Handler for the synchronous IPIs - it must be zero. */
#define	IPI_SYNCH_ID	0

/* nullop -> an empty function of the right type (no cast needed). */
static void
ipi_nullop(void *arg)
{
	(void)arg;
}

/*
 * ipi_sysinit: initialise the IPI subsystem.
 * => Called by ipi_machine_start() before any vCPU runs.
 */
void
ipi_sysinit(void)
{

	/* mutex_init -> ipi_mngmt_lock is statically initialised. */
	memset(ipi_intrs, 0, sizeof(ipi_intrs));

	/*
	 * Register the handler for synchronous IPIs.  This mechanism
	 * is built on top of the asynchronous interface.  Slot zero is
	 * reserved permanently; it is also handy to use zero as a failure
	 * for other registers (as it is potentially less error-prone).
	 */
	ipi_intrs[IPI_SYNCH_ID].func = ipi_msg_cpu_handler;

	/* The port's delay points (fault.h): all disarmed. */
	ipi_fault_reset();

	/*
	 * evcnt_attach_dynamic(&ipi_mboxfull_ev) -> the counters are per
	 * vCPU (ci_mboxfull_ev), zero in a new machine; ipi_mboxfull_count()
	 * sums them.
	 */
}

/*
 * ipi_percpu_init: initialise the IPI state of every CPU.
 * => Called by ipi_machine_start() after ipi_sysinit(), before any vCPU
 *    runs, with ncpu and every cpu_ipi_state() set.
 */
void
ipi_percpu_init(void)
{

	/* Initialise the per-CPU bit fields. */
	for (unsigned i = 0; i < ncpu; i++) {
		struct cpu_info *ci = cpu_lookup(i);
		memset(&cpu_ipi_state(ci)->ipipend, 0,
		    sizeof(cpu_ipi_state(ci)->ipipend));
	}

	/*
	 * Allocate per-CPU IPI mailboxes.
	 * kmem_zalloc -> the mailboxes are already placed (each in its
	 * vCPU's struct ipi_percpu): zero them.
	 */
	for (unsigned i = 0; i < ncpu; i++) {
		struct cpu_info *ci = cpu_lookup(i);
		memset(&cpu_ipi_state(ci)->mbox, 0,
		    sizeof(cpu_ipi_state(ci)->mbox));
	}
}

/*
 * ipi_register: register an asynchronous IPI handler.
 *
 * => Returns IPI ID which is greater than zero; on failure - zero.
 */
unsigned
ipi_register(ipi_func_t func, void *arg)
{

	mutex_enter(&ipi_mngmt_lock);
	for (unsigned i = 0; i < IPI_MAXREG; i++) {
		if (ipi_intrs[i].func == NULL) {
			/* Register the function. */
			ipi_intrs[i].func = func;
			ipi_intrs[i].arg = arg;
			mutex_exit(&ipi_mngmt_lock);

			KASSERT(i != IPI_SYNCH_ID);
			return i;
		}
	}
	mutex_exit(&ipi_mngmt_lock);
	/* printf -> stderr. */
	fprintf(stderr, "WARNING: ipi_register: table full, "
	    "increase IPI_MAXREG\n");
	return 0;
}

/*
 * ipi_pass_wait: wait until every other CPU has ended the handler pass it
 * was running, if any, when this was called (its ci_ipi_pass, odd while
 * an outermost pass runs, has moved on).
 * => On a vCPU, not inside a pass; takes interrupts while it spins.
 */
static void
ipi_pass_wait(void)
{
	const struct cpu_info * const self = curcpu();
	CPU_INFO_ITERATOR cii;
	struct cpu_info *ci;

	for (CPU_INFO_FOREACH(cii, ci)) {
		int count = SPINLOCK_BACKOFF_MIN;
		unsigned pass;

		if (ci == self)
			continue;
		pass = atomic_load_explicit(&ci->ci_ipi_pass,
		    memory_order_acquire);
		if ((pass & 1) == 0)
			continue;
		while (atomic_load_explicit(&ci->ci_ipi_pass,
		    memory_order_acquire) == pass) {
			SPINLOCK_BACKOFF(count);
			cpu_intr_poll();
		}
	}
}

/*
 * ipi_unregister: release the IPI handler given the ID.
 *
 * => Returns only after every IPI of that ID in flight has run (ipi.h).
 */
void
ipi_unregister(unsigned ipi_id)
{
	ipi_msg_t ipimsg = { .func = ipi_nullop };

	KASSERT(ipi_id != IPI_SYNCH_ID);
	KASSERT(ipi_id < IPI_MAXREG);
	/*
	 * Not from a handler (it would wait for its own pass to end), and
	 * taking interrupts: this CPU's own pending IPIs of the ID must run
	 * here, and a pass elsewhere may wait for this CPU's ack.
	 */
	KASSERT(curcpu() != NULL && curcpu()->ci_ipi_depth == 0);
	KASSERT(cpu_intr_enabled());

	mutex_enter(&ipi_mngmt_lock);
	KASSERT(ipi_intrs[ipi_id].func != NULL);

	/*
	 * Ensure that there are no IPIs in flight.
	 * kpreempt_disable/enable -> the caller is a vCPU, pinned for life:
	 * nothing to disable.
	 *
	 * The seed clears the slot here and then drains; the port drains
	 * first (see "One change to the seed's logic" at the top).  Let T
	 * be a trigger of this ID on CPU X that happened before this call.
	 *
	 * Round 1.  X acks message 1 inside some pass P1; ipi_pass_wait()
	 * returns once P1 has ended.  Message 1 was put after T set its
	 * bit, and P1 took it from the mailbox: T's bit is set before
	 * anything X does after P1.
	 *
	 * Round 2.  Message 2 is put after P1 ended, so a pass P2 that
	 * starts after P1 acks it.  P2's swap comes after T set the bit:
	 * it takes the bit, unless a swap of X before it (in P2 or an
	 * earlier pass, all over by now) took it.  ipi_pass_wait() returns
	 * once P2 has ended, with all its handler runs (release/acquire
	 * on ci_ipi_pass).  No pass of X that reads this slot is left.
	 *
	 * One round is not enough: P1 may have swapped the word before T
	 * set the bit (message 1 put while P1 ran, its slot still ahead).
	 * Acks alone are not enough: message 2 may land in a slot that P1
	 * has yet to reach, and a pass nested in a handler acks messages
	 * while the outer pass holds bits it has not run yet.
	 *
	 * On this CPU the broadcast runs the message here, and T's bit (set
	 * before this call) is taken by cpu_intr_poll().
	 */
	for (int round = 0; round < 2; round++) {
		ipi_broadcast(&ipimsg, false);
		ipi_wait(&ipimsg);
		ipi_pass_wait();
	}
	cpu_intr_poll();

	/* Release the slot. */
	ipi_intrs[ipi_id].func = NULL;
	mutex_exit(&ipi_mngmt_lock);
}

/*
 * ipi_mark_pending: internal routine to mark an IPI pending on the
 * specified CPU (which might be curcpu()).
 */
static bool
ipi_mark_pending(unsigned ipi_id, struct cpu_info *ci)
{
	const unsigned i = ipi_id >> IPI_BITW_SHIFT;
	const uint32_t bitm = 1U << (ipi_id & IPI_BITW_MASK);
	/* ci->ci_ipipend -> the pending words in ci's placed state. */
	_Atomic uint32_t *ipipend = cpu_ipi_state(ci)->ipipend;

	KASSERT(ipi_id < IPI_MAXREG);
	/* kpreempt_disabled() -> running on a vCPU. */
	KASSERT(curcpu() != NULL);

	/*
	 * Mark as pending and return true if not previously marked.
	 * atomic_load_acquire -> seq_cst: when the bit is set, the pass that
	 * clears it must see the message the caller put (the store-buffering
	 * window, at the top).
	 */
	if ((atomic_load_explicit(&ipipend[i], memory_order_seq_cst) &
	    bitm) == 0) {
		atomic_thread_fence(memory_order_release);
		/* seq_cst: the store-buffering window (at the top). */
		atomic_fetch_or_explicit(&ipipend[i], bitm,
		    memory_order_seq_cst);
		return true;
	}
	return false;
}

/*
 * ipi_trigger: asynchronously send an IPI to the specified CPU.
 */
void
ipi_trigger(unsigned ipi_id, struct cpu_info *ci)
{

	KASSERT(curcpu() != ci);
	if (ipi_mark_pending(ipi_id, ci)) {
		/*
		 * cpu_ipi -> the backend's kick (vcpu.c); it adds the
		 * seq_cst fence its sleep/wake handshake needs.
		 */
		cpu_ipi(ci);
	}
}

/*
 * ipi_trigger_multi_internal: the guts of ipi_trigger_multi() and
 * ipi_trigger_broadcast().
 */
static void
ipi_trigger_multi_internal(unsigned ipi_id, const kcpuset_t *target,
    bool skip_self)
{
	const cpuid_t selfid = cpu_index(curcpu());
	CPU_INFO_ITERATOR cii;
	struct cpu_info *ci;

	/* kpreempt_disabled() -> running on a vCPU (cpu_index checked). */
	KASSERT(target != NULL);

	for (CPU_INFO_FOREACH(cii, ci)) {
		const cpuid_t cpuid = cpu_index(ci);

		if (!kcpuset_isset(target, cpuid) || cpuid == selfid) {
			continue;
		}
		ipi_trigger(ipi_id, ci);
	}
	if (!skip_self && kcpuset_isset(target, selfid)) {
		ipi_mark_pending(ipi_id, curcpu());
		/* splhigh/splx -> the vCPU's block level (vcpu.c). */
		int s = splhigh();
		ipi_cpu_handler();
		splx(s);
	}
}

/*
 * ipi_trigger_multi: same as ipi_trigger() but sends to the multiple
 * CPUs given the target CPU set.
 */
void
ipi_trigger_multi(unsigned ipi_id, const kcpuset_t *target)
{

	ipi_trigger_multi_internal(ipi_id, target, false);
}

/*
 * ipi_trigger_broadcast: same as ipi_trigger_multi() to kcpuset_attached,
 * optionally skipping the sending CPU.
 */
void
ipi_trigger_broadcast(unsigned ipi_id, bool skip_self)
{

	ipi_trigger_multi_internal(ipi_id, kcpuset_attached, skip_self);
}

/*
 * The senders' backoff bounds (ipi_backoff_set): the seed's constants
 * unless a run measures others.  Relaxed: a wait reads them once, and
 * whoever changes them orders the change before the waits it means
 * (ipi.h).
 */
static _Atomic unsigned ipi_backoff_min = SPINLOCK_BACKOFF_MIN;
static _Atomic unsigned ipi_backoff_max = SPINLOCK_BACKOFF_MAX;

void
ipi_backoff_set(unsigned min, unsigned max)
{
	KASSERT(min >= 1 && min <= max);
	atomic_store_explicit(&ipi_backoff_min, min, memory_order_relaxed);
	atomic_store_explicit(&ipi_backoff_max, max, memory_order_relaxed);
}

void
ipi_backoff_get(unsigned *min, unsigned *max)
{
	*min = atomic_load_explicit(&ipi_backoff_min, memory_order_relaxed);
	*max = atomic_load_explicit(&ipi_backoff_max, memory_order_relaxed);
}

/* backoff_bounds: a wait's first count and its ceiling. */
static inline void
backoff_bounds(int *count, int *max)
{
	unsigned lo, hi;

	ipi_backoff_get(&lo, &hi);
	*count = (int)lo;
	*max = (int)hi;
}

/*
 * put_msg: insert message into the mailbox.
 *
 * Caller is responsible for issuing membar_release first.
 */
static inline void
put_msg(ipi_mbox_t *mbox, ipi_msg_t *msg)
{
	int count, max;

	backoff_bounds(&count, &max);
again:
	for (unsigned i = 0; i < IPI_MSG_MAX; i++) {
		ipi_msg_t *expected = NULL;

		/* seq_cst: the store-buffering window (at the top). */
		if (atomic_compare_exchange_strong_explicit(&mbox->msg[i],
		    &expected, msg, memory_order_seq_cst,
		    memory_order_relaxed)) {
			return;
		}
	}

	/*
	 * All slots are full: we have to spin-wait.
	 * ipi_mboxfull_ev.ev_count++ -> this vCPU's own counter.  Only this
	 * thread writes it, but a handler run by vcpu_intr (a signal) may
	 * interrupt this and count too: a relaxed RMW, on the slow path.
	 */
	struct cpu_info * const self = curcpu();
	atomic_fetch_add_explicit(&self->ci_mboxfull_ev, 1,
	    memory_order_relaxed);
	SPINLOCK_BACKOFF_TO(count, max);
	/* A CPU spinning with interrupts enabled takes IPIs (backoff.h). */
	cpu_intr_poll();
	goto again;
}

/*
 * ipi_cpu_handler: the IPI handler.
 */
void
ipi_cpu_handler(void)
{
	struct cpu_info * const ci = curcpu();
	/* ci->ci_ipipend -> the pending words in ci's placed state. */
	_Atomic uint32_t *ipipend = cpu_ipi_state(ci)->ipipend;
	/* The port's pass counter (ipi_unregister): outermost passes only. */
	const bool outermost = ci->ci_ipi_depth++ == 0;
	const unsigned pass = atomic_load_explicit(&ci->ci_ipi_pass,
	    memory_order_relaxed);

	if (outermost) {
		/*
		 * Odd: a pass runs.  Release as well: ipi_pass_wait() leaves
		 * on any change, and the start of this pass then stands for
		 * the end of the one before (no reliance on C11's release
		 * sequences of a thread's own stores, gone in C++20).
		 */
		atomic_store_explicit(&ci->ci_ipi_pass, pass + 1,
		    memory_order_release);
	}

	/*
	 * Handle asynchronous IPIs: inspect per-CPU bit field, extract
	 * IPI ID numbers and execute functions in those slots.
	 */
	for (unsigned i = 0; i < IPI_BITWORDS; i++) {
		uint32_t pending, bit;

		if (atomic_load_explicit(&ipipend[i], memory_order_relaxed)
		    == 0) {
			continue;
		}
		/* seq_cst: the store-buffering window (at the top). */
		pending = atomic_exchange_explicit(&ipipend[i], 0,
		    memory_order_seq_cst);
		atomic_thread_fence(memory_order_acquire);
		while ((bit = (uint32_t)ffs((int)pending)) != 0) {
			const unsigned ipi_id = (i << IPI_BITW_SHIFT) | --bit;
			ipi_intr_t *ipi_hdl = &ipi_intrs[ipi_id];

			pending &= ~(1U << bit);
			KASSERT(ipi_hdl->func != NULL);
			ipi_hdl->func(ipi_hdl->arg);
			ipi_fault_point(IPI_FP_BIT);
		}
	}

	if (outermost) {
		/* Even: over, every handler run above published (release). */
		atomic_store_explicit(&ci->ci_ipi_pass, pass + 2,
		    memory_order_release);
	}
	ci->ci_ipi_depth--;
}

/*
 * ipi_msg_cpu_handler: handle synchronous IPIs - iterate mailbox,
 * execute the passed functions and acknowledge the messages.
 */
static void
ipi_msg_cpu_handler(void *arg)
{
	struct cpu_info * const ci = curcpu();
	/* ipi_mboxes[cpu_index(ci)] -> the mailbox in ci's placed state. */
	ipi_mbox_t *mbox = &cpu_ipi_state(ci)->mbox;

	(void)arg;	/* __unused */
	for (unsigned i = 0; i < IPI_MSG_MAX; i++) {
		ipi_msg_t *msg;

		/*
		 * Get the message.  atomic_load_acquire -> seq_cst: the
		 * store-buffering window (at the top).
		 */
		if ((msg = atomic_load_explicit(&mbox->msg[i],
		    memory_order_seq_cst)) == NULL) {
			continue;
		}
		atomic_store_explicit(&mbox->msg[i], NULL,
		    memory_order_relaxed);

		/* Execute the handler. */
		KASSERT(msg->func);
		msg->func(msg->arg);
		ipi_fault_point(IPI_FP_ACK);

		/* Ack the request. */
		atomic_thread_fence(memory_order_release);
		atomic_fetch_sub_explicit(&msg->_pending, 1, MO_RELEASED);
		ipi_fault_point(IPI_FP_SLOT);
	}
}

/*
 * ipi_unicast: send an IPI to a single CPU.
 *
 * => The CPU must be remote; must not be local.
 * => The caller must ipi_wait() on the message for completion.
 */
void
ipi_unicast(ipi_msg_t *msg, struct cpu_info *ci)
{
	KASSERT(msg->func != NULL);
	/* kpreempt_disabled() -> running on a vCPU. */
	KASSERT(curcpu() != NULL);
	KASSERT(curcpu() != ci);

	atomic_store_explicit(&msg->_pending, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);

	/* ipi_mboxes[cpu_index(ci)] -> the mailbox in ci's placed state. */
	put_msg(&cpu_ipi_state(ci)->mbox, msg);
	ipi_fault_point(IPI_FP_PUT);
	ipi_trigger(IPI_SYNCH_ID, ci);
}

/*
 * ipi_multicast: send an IPI to each CPU in the specified set.
 *
 * => The caller must ipi_wait() on the message for completion.
 */
void
ipi_multicast(ipi_msg_t *msg, const kcpuset_t *target)
{
	const struct cpu_info * const self = curcpu();
	CPU_INFO_ITERATOR cii;
	struct cpu_info *ci;
	unsigned local;

	KASSERT(msg->func != NULL);
	/* kpreempt_disabled() -> running on a vCPU. */
	KASSERT(self != NULL);

	/*
	 * kcpuset_countset(target) is the ack count: a set with CPUs that
	 * do not exist (a kcpuset_fill()ed one) would wait for ever.
	 */
	KASSERTMSG(kcpuset_issubset(target, kcpuset_attached),
	    "ipi_multicast: the target set holds CPUs beyond the %u attached "
	    "(%u set); build it from kcpuset_attached", ncpu,
	    kcpuset_countset(target));
	local = !!kcpuset_isset(target, cpu_index(self));
	atomic_store_explicit(&msg->_pending,
	    kcpuset_countset(target) - local, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);

	for (CPU_INFO_FOREACH(cii, ci)) {
		cpuid_t id;

		if (__predict_false(ci == self)) {
			continue;
		}
		id = cpu_index(ci);
		if (!kcpuset_isset(target, id)) {
			continue;
		}
		/* ipi_mboxes[id] -> the mailbox in ci's placed state. */
		put_msg(&cpu_ipi_state(ci)->mbox, msg);
		ipi_fault_point(IPI_FP_PUT);
		ipi_trigger(IPI_SYNCH_ID, ci);
	}
	if (local) {
		msg->func(msg->arg);
	}
}

/*
 * ipi_broadcast: send an IPI to all CPUs.
 *
 * => The caller must ipi_wait() on the message for completion.
 */
void
ipi_broadcast(ipi_msg_t *msg, bool skip_self)
{
	const struct cpu_info * const self = curcpu();
	CPU_INFO_ITERATOR cii;
	struct cpu_info *ci;

	KASSERT(msg->func != NULL);
	/* kpreempt_disabled() -> running on a vCPU. */
	KASSERT(self != NULL);

	atomic_store_explicit(&msg->_pending, ncpu - 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);

	/* Broadcast IPIs for remote CPUs. */
	for (CPU_INFO_FOREACH(cii, ci)) {
		if (__predict_false(ci == self)) {
			continue;
		}
		/* ipi_mboxes[id] -> the mailbox in ci's placed state. */
		put_msg(&cpu_ipi_state(ci)->mbox, msg);
		ipi_fault_point(IPI_FP_PUT);
		ipi_trigger(IPI_SYNCH_ID, ci);
	}
	if (!skip_self) {
		/* Finally, execute locally. */
		msg->func(msg->arg);
	}
}

/*
 * ipi_wait: spin-wait until the message is processed.
 */
void
ipi_wait(ipi_msg_t *msg)
{
	int count, max;

	backoff_bounds(&count, &max);
	while (atomic_load_explicit(&msg->_pending, memory_order_acquire)) {
		KASSERT(atomic_load_explicit(&msg->_pending,
		    memory_order_relaxed) < ncpu);
		SPINLOCK_BACKOFF_TO(count, max);
		/* A CPU spinning with interrupts enabled takes IPIs. */
		cpu_intr_poll();
		ipi_fault_point(IPI_FP_WAIT);
	}
}

/*
 * ipi_mboxfull_count: the seed's ipi_mboxfull_ev.ev_count: how often a
 * sender found a mailbox full, summed over the vCPUs' own counters.
 * => Callable from any thread; counts since the machine started.
 */
uint64_t
ipi_mboxfull_count(void)
{
	CPU_INFO_ITERATOR cii;
	struct cpu_info *ci;
	uint64_t n = 0;

	for (CPU_INFO_FOREACH(cii, ci)) {
		n += atomic_load_explicit(&ci->ci_mboxfull_ev,
		    memory_order_relaxed);
	}
	return n;
}
