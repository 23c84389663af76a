/*
 * unregister.pml: ipi_unregister(N) while an IPI of N is in flight.
 *
 * What it models (ipi/ipi.c; steps are tagged with the C function and
 * the statement they stand for, not line numbers, which move):
 *   three CPUs, each with one pending word (bit 0 = IPI_SYNCH_ID, bit k
 *   = async handler k) and a mailbox of 2 slots; the interrupt handler
 *   pass ipi_cpu_handler() (swap the word with 0, run the taken bits'
 *   handlers in ascending order; bit 0 is ipi_msg_cpu_handler(), which
 *   drains slots 0..1 in order: load, store NULL, run, ack); the sender
 *   side ipi_mark_pending/ipi_trigger, put_msg, ipi_unicast,
 *   ipi_broadcast, ipi_wait; and ipi_unregister in one of four versions:
 *     -DSEED    NetBSD's order: clear func[N], then broadcast + wait.
 *     -DDOUBLE  broadcast + wait, twice, then clear (the code as it first
 *               landed).
 *     -DFIX     two rounds of { broadcast; ipi_wait; ipi_pass_wait },
 *               then clear (ipi_pass_wait waits, for every other CPU
 *               whose ci_ipi_pass is odd, until it moves on).
 *     -DFIX1    the same with one round only (shows why two).
 *   -DNESTED adds async handler A (a lower bit than N) whose handler calls
 *   ipi_trigger_multi(B, {its own CPU}): a nested ipi_cpu_handler() pass
 *   inside the outer one (nested passes do not touch ci_ipi_pass).
 *   -DNSEND=n: O's number of sends (default 2; 0 leaves O a pure target).
 *   -DKASSERT_ONLY drops the ghost assert(!inN) below, so that a failing
 *   variant is shown failing the handler's KASSERT itself.
 *
 * Processes:
 *   U  ipi_trigger(N, X) [NESTED: ipi_trigger(A, X) first], then
 *      ipi_unregister(N).  Nothing is ever sent to U, so its
 *      cpu_intr_poll() calls (in ipi_wait, ipi_pass_wait, and after the
 *      rounds) find nothing pending and are left out.
 *   X  the target: an idle loop that runs a pass whenever its pending
 *      word is non-zero (the backend's kick is abstracted away: X may
 *      always take a pending interrupt; model 2 checks the kick).
 *   O  a third CPU: NSEND times ipi_unicast(X) + ipi_wait; while it spins
 *      (and once done) it takes its own interrupts, i.e. U's broadcasts,
 *      as the port's cpu_intr_poll() does.
 *
 * What it abstracts: interleaving (SC) semantics, every access atomic
 * (the memory-order question is models/mbox_window.pml's); each message's
 * func is ipi_nullop; a mailbox of 2 slots, not 8 (there are never more
 * than 2 messages in flight to one CPU: one per sender); one pending word.
 *
 * What it proves (exhaustively, a finite number of sends):
 *   the KASSERT(ipi_hdl->func != NULL) of ipi_cpu_handler for bit N, and
 *   assert(!inN) when U clears func[N] (no CPU is inside N's handler, the
 *   race the seed also has: a handler that already read func), i.e. that
 *   ipi_unregister returns only after every IPI of N in flight has run.
 *   SEED, DOUBLE and FIX1 violate it; FIX holds, with no invalid end state
 *   (U never waits for ever).
 */

#define NCPU	3
#define U	0		/* the CPU that unregisters */
#define X	1		/* the target, with an IPI of N in flight */
#define O	2		/* a third CPU: ipi_unicast(X) + ipi_wait */
#define SLOTS	2		/* IPI_MSG_MAX, cut from 8 */

/* IPI IDs = bits of the pending word (ci_ipipend[0]). */
#define SYNCH	0		/* IPI_SYNCH_ID: ipi_msg_cpu_handler */
#define A	1		/* NESTED: async, lower than N, nests a pass */
#define N	2		/* the ID being unregistered */
#define B	3		/* NESTED: async no-op that A triggers on self */

/* Messages (ipi_msg_t *); 0 is NULL. */
#define MNULL	0
#define MU	1		/* ipi_unregister's ipimsg, reused each round */
#define MO	2		/* O's message, reused each send */

#ifndef NSEND
#define NSEND	2		/* O's ipi_unicast + ipi_wait rounds */
#endif

byte pend[NCPU];		/* cpu_ipi_state(ci)->ipipend[0] */
byte mbox[NCPU * SLOTS];	/* cpu_ipi_state(ci)->mbox.msg[slot] */
byte msgpend[3];		/* msg->_pending, per message */
bit  func[4] = 1;		/* ipi_intrs[id].func != NULL; all registered */
bit  inN;			/* ghost: X is inside N's handler */
#if defined(FIX) || defined(FIX1)
byte pass[NCPU];		/* ci->ci_ipi_pass */
#endif

/* ipi_mark_pending(id, c) + cpu_ipi(c) (ipi_trigger). */
inline ipi_trigger(id, c)
{
	/* if ((atomic_load(&ipipend[i]) & bitm) == 0) */
	if
	:: (pend[c] & (1 << id)) == 0 ->
		/* atomic_fetch_or(&ipipend[i], bitm); return true */
		pend[c] = pend[c] | (1 << id)
		/* cpu_ipi(ci): c sees pend != 0 in its idle loop */
	:: else -> skip		/* already set: no interrupt */
	fi
}

/*
 * put_msg(mbox of c, msg): CAS NULL -> msg on the first free slot; when
 * all are full, spin and retry (cannot happen here: at most 2 messages in
 * flight to one CPU, one per sender).
 */
inline put_msg(c, msg)
{
	s = 0;
	do
	:: s == SLOTS -> s = 0		/* all full: SPINLOCK_BACKOFF; again */
	:: s < SLOTS ->
		if
		/* atomic_compare_exchange_strong(&mbox->msg[i], NULL, msg) */
		:: atomic { mbox[c * SLOTS + s] == MNULL ->
			mbox[c * SLOTS + s] = msg }; break
		:: else -> s++		/* slot taken: try the next */
		fi
	od;
	s = 0
}

/* ipi_msg_cpu_handler on CPU c: drain slots 0..SLOTS-1 in order. */
inline msg_handler(c)
{
	i = 0;
	do
	:: i < SLOTS ->
		/* msg = atomic_load_acquire(&mbox->msg[i]) */
		m = mbox[c * SLOTS + i];
		if
		:: m != MNULL ->
			/* atomic_store(&mbox->msg[i], NULL) */
			mbox[c * SLOTS + i] = MNULL;
			/* msg->func(msg->arg): ipi_nullop; then Ack the
			 * request: atomic_fetch_sub(&msg->_pending, 1) */
			msgpend[m]--
		:: else -> skip
		fi;
		i++
	:: else -> break
	od;
	i = 0; m = 0
}

/* N's handler, as ipi_cpu_handler runs it. */
inline handler_N()
{
	/* KASSERT(ipi_hdl->func != NULL); ipi_hdl->func(ipi_hdl->arg) */
	d_step { assert(func[N] != 0); inN = 1 };
	inN = 0				/* N's handler returns */
}

/*
 * A nested ipi_cpu_handler() pass on c (ipi_trigger_multi_internal, the
 * !skip_self branch: splhigh(); ipi_cpu_handler(); splx()).  It does not
 * touch ci_ipi_pass (ci_ipi_depth > 0).  A cannot be pending again (U
 * triggers it once and the outer pass took it).
 */
inline nested_pass(c)
{
	/* pending = atomic_exchange(&ipipend[i], 0) */
	d_step { ntaken = pend[c]; pend[c] = 0 };
	if :: ntaken & (1 << SYNCH) -> msg_handler(c) :: else -> skip fi;
	if :: ntaken & (1 << N) -> handler_N() :: else -> skip fi;
	/* B: a no-op handler */
	ntaken = 0
}

/* A's handler on c: ipi_trigger_multi(B, {c}). */
inline handler_A(c)
{
	/* the loop over other CPUs skips c; then ipi_mark_pending(B, c) */
	if
	:: (pend[c] & (1 << B)) == 0 -> pend[c] = pend[c] | (1 << B)
	:: else -> skip
	fi;
	nested_pass(c)
}

/* intr_take -> ipi_cpu_handler() on c: one outermost pass. */
inline handler_pass(c)
{
#if defined(FIX) || defined(FIX1)
	/* outermost: atomic_store(&ci->ci_ipi_pass, pass + 1): odd */
	pass[c]++;
#endif
	/* pending = atomic_exchange(&ipipend[i], 0) */
	d_step { taken = pend[c]; pend[c] = 0 };
	/* while ((bit = ffs(pending)) != 0): handlers in ascending order */
	if :: taken & (1 << SYNCH) -> msg_handler(c) :: else -> skip fi;
	if :: taken & (1 << A) -> handler_A(c) :: else -> skip fi;
	if :: taken & (1 << N) -> handler_N() :: else -> skip fi;
	/* B: a no-op handler */
	taken = 0;
#if defined(FIX) || defined(FIX1)
	/* outermost: atomic_store_release(&ci->ci_ipi_pass, pass + 2) */
	pass[c]++
#endif
}

/* ipi_broadcast(&ipimsg, false) + ipi_wait(&ipimsg), on U. */
inline broadcast_wait()
{
	/* atomic_store(&msg->_pending, ncpu - 1) */
	msgpend[MU] = NCPU - 1;
	/* for each CPU but self, in index order: put_msg; ipi_trigger(0) */
	put_msg(X, MU);
	ipi_trigger(SYNCH, X);
	put_msg(O, MU);
	ipi_trigger(SYNCH, O);
	/* !skip_self: msg->func(msg->arg) locally: ipi_nullop */
	/* ipi_wait: while (atomic_load_acquire(&msg->_pending)) spin */
	msgpend[MU] == 0
}

#if defined(FIX) || defined(FIX1)
/*
 * ipi_pass_wait on U: for every other CPU, v = ci_ipi_pass; if v is odd,
 * spin until ci_ipi_pass != v.
 */
inline pass_wait_one(c)
{
	v = pass[c];
	if
	:: v & 1 -> pass[c] != v	/* spin while it equals v */
	:: else -> skip
	fi;
	v = 0
}

inline pass_wait()
{
	pass_wait_one(X);
	pass_wait_one(O)
}
#endif

/* ipi_unregister's "Release the slot.": ipi_intrs[ipi_id].func = NULL */
inline release_slot()
{
#ifdef KASSERT_ONLY
	func[N] = 0
#else
	d_step { assert(!inN); func[N] = 0 }
#endif
}

proctype CpuU()
{
	byte s, v;

#ifdef NESTED
	ipi_trigger(A, X);
#endif
	ipi_trigger(N, X);		/* the IPI of N in flight */

	/* ipi_unregister(N) */
#if defined(SEED)
	release_slot();
	broadcast_wait();
#elif defined(DOUBLE)
	broadcast_wait();
	broadcast_wait();
	release_slot();
#elif defined(FIX)
	broadcast_wait();
	pass_wait();
	broadcast_wait();
	pass_wait();
	release_slot();
#elif defined(FIX1)
	broadcast_wait();
	pass_wait();
	release_slot();
#else
	assert(false)			/* pick -DSEED, -DDOUBLE, -DFIX, -DFIX1 */
#endif
}

proctype CpuX()
{
	byte taken, ntaken, i, m;

end_idle:
	do
	:: pend[X] != 0 -> handler_pass(X)
	od
}

proctype CpuO()
{
	byte taken, ntaken, i, m, s, k;

	/* O's idle loop: an interrupt, or its next ipi_unicast */
end_idle:
	do
	:: pend[O] != 0 -> handler_pass(O)
	:: k < NSEND ->
		/* ipi_unicast(msg, X): atomic_store(&msg->_pending, 1) */
		msgpend[MO] = 1;
		put_msg(X, MO);
		ipi_trigger(SYNCH, X);
		/* ipi_wait(msg): spin; cpu_intr_poll() takes interrupts */
		do
		:: msgpend[MO] == 0 -> break
		:: pend[O] != 0 -> handler_pass(O)
		od;
		k++
	od
}

init
{
	atomic {
		run CpuU();
		run CpuX();
		run CpuO()
	}
}
