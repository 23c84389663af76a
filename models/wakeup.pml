/*
 * wakeup.pml: the sleep/wake handshake of the sleeping backends: no
 * wake-up is lost.
 *
 * What it models (ipi/futex.c, ipi/eventfd.c, ipi/vcpu.c, ipi/ipi.c;
 * steps are tagged with the C function and statement):
 *   T   one vCPU (vcpu_main's loop): if its pending word is non-zero it
 *       takes the interrupt (intr_take -> ipi_cpu_handler: swap the word,
 *       drain and ack the mailbox); else it idles: futex_idle (or
 *       eventfd_idle with -DEVENTFD):
 *           word = SLEEPING; fence seq_cst;
 *           if (!vcpu_has_work) FUTEX_WAIT(word, SLEEPING) | read(evfd);
 *           word = AWAKE
 *   K0, K1  two senders, NSEND times each: ipi_unicast (put the message,
 *       ipi_mark_pending: if the bit is clear set it and cpu_ipi ->
 *       futex_kick | eventfd_kick:
 *           fence seq_cst;
 *           if (word == SLEEPING && xchg(word, AWAKE) == SLEEPING)
 *               FUTEX_WAKE(word, 1) | write(evfd, 1)),
 *       then ipi_wait (spin until the target acked).
 *   The kernel: FUTEX_WAIT compares the word and queues the caller in one
 *   step (the hash-bucket lock), returning at once if it differs;
 *   FUTEX_WAKE wakes the waiter if there is one and is otherwise lost.
 *   The eventfd counter keeps a write made before the read; read blocks
 *   while it is 0, then resets it to 0.
 *
 * Memory: -DTSO gives each thread an x86-TSO store buffer: a plain store
 *   goes into the thread's FIFO and reaches memory later (process Flush,
 *   at any time, oldest first); a load reads the thread's own newest
 *   buffered store to that location, else memory; a fence, a locked RMW
 *   (xchg, CAS, fetch_sub) and a system call (the kernel takes a lock)
 *   drain the buffer first.  Without -DTSO every access goes to memory in
 *   program order (SC interleaving), where fences are no-ops.
 *   -DNO_TARGET_FENCE / -DNO_KICKER_FENCE drop the seq_cst fence of idle /
 *   of kick.  -DNO_RECHECK is a mutant that sleeps without re-checking
 *   vcpu_has_work(): it shows that the SC model can lose a wake-up at all.
 *
 * What it abstracts: vcpu_has_work() is "the pending word is non-zero"
 *   (jobs and stop requests are stores followed by a kick, the same
 *   pattern); one pending bit, one mailbox slot per sender; no spurious
 *   returns (EINTR): they would only add wake-ups and could hide a lost
 *   one.  The store that makes has_work true is a plain (buffered) store:
 *   the backend contract only says "kick after the store".  On x86 the
 *   real ones (fetch_or, seq_cst stores) are locked and drain the buffer
 *   themselves, so there the kicker's fence is belt and braces; on
 *   aarch64 they are not barriers against the kick's later relaxed load,
 *   and that is the case this plain store stands for.
 *
 * What it proves: no invalid end state.  Every sender waits for its ack
 *   (ipi_wait) and the sends are finite, so a lost wake-up -- the target
 *   asleep in FUTEX_WAIT/read with work pending and no wake on its way --
 *   ends in a state where nothing can move and a sender is stuck in
 *   ipi_wait, which is not an end state; conversely the only legitimate
 *   place to stop is T asleep (end_sleep) with every sender done.  This
 *   needs no fairness assumption (an LTL [](has_work -> <>handled) would,
 *   and would cost a liveness search for the same answer).  The
 *   assertion in st_word_T proves the store buffer bound never stalls T.
 *   Expected: SC passes with or without the fences (SC cannot see why
 *   they are there); TSO passes with both fences and loses a wake-up
 *   without either one.
 */

#define NK	2		/* senders */
#ifndef NSEND
#define NSEND	2		/* messages per sender */
#endif

#define AWAKE		0	/* FUTEX_AWAKE, EVFD_AWAKE */
#define SLEEPING	1	/* FUTEX_SLEEPING, EVFD_SLEEPING */

/* Memory. */
byte word;			/* the futex state's word (futex.c) */
bit  pend;			/* ipipend[0], bit IPI_SYNCH_ID */
bit  msg[NK];			/* sender k's message in the mailbox */
/* The kernel. */
bit  asleep;			/* futex: T queued in FUTEX_WAIT */
byte evcount;			/* eventfd: the counter */

#ifdef TSO
#define SB	3		/* T's store buffer (never full: asserted) */
byte tsb[SB];			/* T's buffered stores, all to word */
byte tsn;			/* how many */
bit  ksb[NK];			/* K's buffered store pend = 1 (at most 1) */

/* T: a plain store to word goes into its buffer. */
inline st_word_T(v)
{
	d_step { assert(tsn < SB); tsb[tsn] = v; tsn++ }
}

/* T: drain its buffer (fence, locked RMW, syscall) in one step: the
 * states in between are those of Flush popping entries before T got
 * here, and all entries are to word, so the newest one wins.  (SB == 3) */
inline drain_T()
{
	if
	:: tsn > 0 -> word = tsb[tsn - 1];
		tsb[0] = 0; tsb[1] = 0; tsb[2] = 0; tsn = 0
	:: else -> skip
	fi
}

/* K: plain store pend = 1, load pend (own buffer first), drain. */
inline st_pend_K(k)	{ ksb[k] = 1 }
#define ld_pend_K(k)	(ksb[k] | pend)
inline drain_K(k)
{
	if
	:: ksb[k] -> pend = 1; ksb[k] = 0
	:: else -> skip
	fi
}

/* The store buffers drain to memory on their own, oldest first. */
proctype Flush()
{
end_flush:
	do
	:: d_step { tsn > 0 -> word = tsb[0]; tsb[0] = tsb[1];
		tsb[1] = tsb[2]; tsb[2] = 0; tsn-- }
	:: d_step { ksb[0] -> pend = 1; ksb[0] = 0 }
	:: d_step { ksb[1] -> pend = 1; ksb[1] = 0 }
	od
}
#else
inline st_word_T(v)	{ word = v }
inline drain_T()	{ skip }
inline st_pend_K(k)	{ pend = 1 }
#define ld_pend_K(k)	(pend)
inline drain_K(k)	{ skip }
#endif

/* atomic_thread_fence(memory_order_seq_cst), unless dropped. */
#ifdef NO_TARGET_FENCE
#define fence_T()	skip
#else
#define fence_T()	d_step { drain_T() }
#endif
#ifdef NO_KICKER_FENCE
#define fence_K(k)	skip
#else
#define fence_K(k)	d_step { drain_K(k) }
#endif

/* T: the idle loop, vcpu_main. */
proctype Target()
{
	byte k;

end_loop:
	do
	/* if (intr_take(ci)): intr_pending: atomic_load(&ipipend[i]) != 0 */
	:: pend != 0 ->
		/* ipi_cpu_handler: atomic_exchange(&ipipend[i], 0) (locked) */
		d_step { drain_T(); pend = 0 };
		/* ipi_msg_cpu_handler: each message found is run and acked:
		 * atomic_fetch_sub(&msg->_pending, 1) (locked) */
		k = 0;
		do
		:: k < NK ->
			if
			:: msg[k] -> d_step { drain_T(); msg[k] = 0 }
			:: else -> skip
			fi;
			k++
		:: else -> k = 0; break
		od
	:: else ->
		/* backend->idle(ci): futex_idle / eventfd_idle */
		/* atomic_store(word, SLEEPING) (relaxed: a plain store) */
		st_word_T(SLEEPING);
		/* atomic_thread_fence(memory_order_seq_cst) */
		fence_T();
		if
		/* if (!vcpu_has_work(ci) && ...: found work, no sleep */
#ifndef NO_RECHECK
		:: pend != 0 -> skip
		:: else ->
#else
		:: true ->		/* mutant: sleeps without re-checking */
#endif
#ifdef EVENTFD
			/* read(evfd): a syscall, then blocks while evcount == 0 */
			d_step { drain_T() };
end_sleep:
			d_step { evcount > 0 -> evcount = 0 }
#else
			/* futex_op(word, FUTEX_WAIT_PRIVATE, SLEEPING): the
			 * kernel compares under its lock, queues or EAGAIN */
			d_step {
				drain_T();
				if
				:: word == SLEEPING -> asleep = 1
				:: else -> skip		/* EAGAIN */
				fi
			};
end_sleep:
			asleep == 0		/* until FUTEX_WAKE */
#endif
		fi;
		/* atomic_store(word, AWAKE) (relaxed: a plain store) */
		st_word_T(AWAKE)
	od
}

/* K: NSEND times ipi_unicast to T + ipi_wait. */
proctype Kicker(byte k)
{
	byte n, old;

	do
	:: n < NSEND ->
		/* put_msg: atomic_compare_exchange_strong (locked) */
		d_step { drain_K(k); msg[k] = 1 };
		/* ipi_mark_pending: if ((atomic_load(&ipipend[i]) & bitm)
		 * == 0) -- own buffered store first */
		if
		:: ld_pend_K(k) == 0 ->
			/* the store that makes has_work true */
			st_pend_K(k);
			/* cpu_ipi -> futex_kick / eventfd_kick:
			 * atomic_thread_fence(memory_order_seq_cst) */
			fence_K(k);
			/* if (atomic_load(word) == SLEEPING && */
			if
			:: word == SLEEPING ->
				/* atomic_exchange(word, AWAKE) == SLEEPING)
				 * (locked) */
				d_step { drain_K(k); old = word; word = AWAKE };
				if
				:: old == SLEEPING ->
#ifdef EVENTFD
					/* write(evfd, 1): a syscall */
					d_step { drain_K(k); evcount++ }
#else
					/* futex_op(word, FUTEX_WAKE_PRIVATE, 1) */
					d_step { drain_K(k); asleep = 0 }
#endif
				:: else -> skip	/* another kicker swapped it */
				fi;
				old = 0
			:: else -> skip
			fi
		:: else -> skip		/* bit already set: no kick */
		fi;
		/* ipi_wait: while (atomic_load(&msg->_pending)) spin */
		msg[k] == 0;
		n++
	:: else -> break
	od
}

init
{
	atomic {
		run Target();
		run Kicker(0);
		run Kicker(1);
#ifdef TSO
		run Flush()
#endif
	}
}
