/*
 * mbox_window.pml: the store-buffering window between put_msg and the
 * handler pass ("The store-buffering window" at the top of ipi/ipi.c).
 *
 *     sender (ipi_unicast)                target (ipi_cpu_handler)
 *     put_msg: CAS slot NULL -> msg        swap pending word -> 0
 *     ipi_mark_pending: load pending;      ipi_msg_cpu_handler:
 *       bit set? then no interrupt           load slot
 *
 * What it models: two senders S0, S1, each one ipi_unicast to X and
 *   ipi_wait; X runs a pass (swap, then drain slots 0..1: load, store
 *   NULL, ack) whenever its pending word is non-zero.  Bit 0 only.
 *   Memory order, per side:
 *     default           each side's two accesses stay in program order:
 *                       x86-TSO (lock cmpxchg and xchg are full
 *                       barriers) or the port's seq_cst on all four
 *                       accesses (one total order, program order kept);
 *     -DWEAK_SENDER     the seed's orders on the sender (relaxed CAS, then
 *                       an acquire load): the load may be satisfied
 *                       before the CAS is visible (aarch64 allows it:
 *                       acquire orders later accesses only), modelled as
 *                       the load performed before the CAS;
 *     -DWEAK_TARGET     the seed's orders on the target (swap, acquire
 *                       fence, acquire slot loads): the fence orders the
 *                       swap's read, not its write, before the slot
 *                       loads, so a sender may still read the bit set
 *                       after X loaded the slots; modelled as the slot
 *                       loads performed before the swap (an over-
 *                       approximation; the outcome it finds, both loads
 *                       missing the other side's store, is the one the
 *                       Arm model allows).
 *
 * What it abstracts: the message's func (ipi_nullop); the release fences
 *   that publish the message (they order the payload, not this window);
 *   the kick (X may always take a pending interrupt: model 2 checks it).
 *
 * What it proves: no invalid end state, i.e. no message left in a slot
 *   with the bit clear while its sender spins in ipi_wait for ever (the
 *   argument of wakeup.pml: finite sends, every sender waits for its
 *   ack).  Expected: the default passes; each WEAK_* side alone loses a
 *   message, so seq_cst is needed on both sides on a weakly ordered CPU.
 */

#define NS	2		/* senders */
#define SLOTS	2		/* IPI_MSG_MAX, cut from 8 */

bit  pend;			/* X's ipipend[0], bit IPI_SYNCH_ID */
byte mbox[SLOTS];		/* X's mailbox: 0 NULL, k+1 = S_k's message */
byte msgpend[NS];		/* S_k's msg->_pending */

/* put_msg: CAS NULL -> msg on the first free slot (never full here). */
inline put_msg(msg)
{
	if
	:: atomic { mbox[0] == 0 -> mbox[0] = msg }
	:: atomic { mbox[0] != 0 && mbox[1] == 0 -> mbox[1] = msg }
	fi
}

proctype Sender(byte k)
{
	bit p;

	/* ipi_unicast: atomic_store(&msg->_pending, 1) */
	msgpend[k] = 1;
#ifdef WEAK_SENDER
	if
	:: put_msg(k + 1);
		/* ipi_mark_pending: atomic_load(&ipipend[i]) */
		p = pend
	:: p = pend;		/* the load, satisfied early */
		put_msg(k + 1)
	fi;
#else
	put_msg(k + 1);
	/* ipi_mark_pending: atomic_load(&ipipend[i]) */
	p = pend;
#endif
	if
	/* bit clear: atomic_fetch_or; cpu_ipi */
	:: p == 0 -> pend = 1
	:: else -> skip		/* bit set: no interrupt */
	fi;
	/* ipi_wait: while (atomic_load_acquire(&msg->_pending)) spin */
	msgpend[k] == 0
}

/* X's ipi_msg_cpu_handler on a slot whose load returned m. */
inline take(slot, m)
{
	if
	:: m != 0 ->
		mbox[slot] = 0;		/* atomic_store(&mbox->msg[i], NULL) */
		msgpend[m - 1]--	/* ack: atomic_fetch_sub(&_pending, 1) */
	:: else -> skip
	fi
}

proctype Target()
{
	byte m0, m1;
	bit early;

end_idle:
	do
	:: pend != 0 ->
#ifdef WEAK_TARGET
		if
		:: skip
		:: early = 1; m0 = mbox[0]; m1 = mbox[1]  /* loads, early */
		fi;
#endif
		/* ipi_cpu_handler: atomic_exchange(&ipipend[i], 0) */
		pend = 0;
		/* ipi_msg_cpu_handler: msg = atomic_load(&mbox->msg[i]) */
		if
		:: early -> take(0, m0); take(1, m1)
		:: else ->
			m0 = mbox[0]; take(0, m0);
			m1 = mbox[1]; take(1, m1)
		fi;
		early = 0; m0 = 0; m1 = 0
	od
}

init
{
	atomic {
		run Target();
		run Sender(0);
		run Sender(1)
	}
}
