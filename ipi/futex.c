/*
 * futex.c: the futex backend: an idle vCPU sleeps in FUTEX_WAIT on its
 * backend word; a sender wakes it with FUTEX_WAKE only if it sleeps.
 *
 * The word (struct futex_state, the vCPU's backend state) is FUTEX_AWAKE
 * (0, as the runtime zeroes it) or FUTEX_SLEEPING (1).
 *
 *	target, idle(ci)                   kicker, kick(ci)
 *	----------------                   ----------------
 *	                                   (S) store making has_work true
 *	(A) word = SLEEPING                    (pending bit, job, unblock,
 *	    fence seq_cst                       stop: done by the caller)
 *	(C) if (vcpu_has_work(ci))             fence seq_cst
 *		goto out                   (L) if (word == SLEEPING &&
 *	(W) FUTEX_WAIT(word, SLEEPING)             xchg(word, AWAKE) == SLEEPING)
 *	out: word = AWAKE                  (K)     FUTEX_WAKE(word, 1)
 *
 * Why no wakeup is lost (Dekker).  Both sides store, then issue a seq_cst
 * fence, then load the other side's location.  The two fences are ordered
 * in the single total order of seq_cst operations.  If the target's fence
 * comes first, the kicker's load (L), after its own fence, sees (A) or a
 * later store to the word; if the kicker's fence comes first, the target's
 * re-check (C) sees (S) (C11 7.17.3p11 / C++ [atomics.fences]).  So at
 * least one side sees the other:
 *  - the target sees (S): it does not sleep;
 *  - the kicker sees SLEEPING: it swaps the word to AWAKE and wakes.  If
 *    the target has not reached FUTEX_WAIT yet, the kernel compares the
 *    word with SLEEPING under its hash-bucket lock and returns EAGAIN at
 *    once; if it sleeps, FUTEX_WAKE wakes it.
 *  - the kicker sees AWAKE written after (A): by another kicker's xchg
 *    (that kicker wakes the target) or by the target after a wake (it is
 *    awake; before sleeping again it re-announces and re-checks, and the
 *    same argument applies to the new (A)).
 * The xchg lets exactly one of several kickers pay for the syscall.
 * The idle loop re-checks all work after idle returns, so an early return
 * (EINTR, a stale wake) costs a loop, never a missed interrupt.
 *
 * eventfd.c reuses this handshake with read()/write() for wait/wake.
 * make verify checks both (models/wakeup.pml): no lost wake-up under
 * interleaving and under store buffers, where dropping either fence
 * loses one.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend.h"

#define	FUTEX_AWAKE	0u	/* the zeroed state: no init needed */
#define	FUTEX_SLEEPING	1u

/*
 * futex_state: a vCPU's futex word.  ci's thread stores it in idle;
 * kickers swap it.  On cache lines of its own (backend.h, state_size).
 */
struct futex_state {
	_Atomic unsigned word;
};

/* futex_word: ci's futex word. */
static inline _Atomic unsigned *
futex_word(struct cpu_info *ci)
{
	struct futex_state *fs = vcpu_backend_state(ci);

	return &fs->word;
}

/* futex_op: the futex(2) system call on a backend word. */
static long
futex_op(_Atomic unsigned *uaddr, int op, unsigned val)
{

	_Static_assert(sizeof(_Atomic unsigned) == sizeof(uint32_t),
	    "a futex word is 32 bits");
	return syscall(SYS_futex, (uint32_t *)uaddr, op, val, NULL, NULL, 0);
}

/*
 * futex_idle: announce sleeping, re-check, sleep in FUTEX_WAIT.
 * => Returns when woken, when work was found, or early (EINTR, EAGAIN).
 */
static void
futex_idle(struct cpu_info *ci)
{
	_Atomic unsigned *word = futex_word(ci);

	atomic_store_explicit(word, FUTEX_SLEEPING, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (!vcpu_has_work(ci) &&
	    futex_op(word, FUTEX_WAIT_PRIVATE, FUTEX_SLEEPING) == -1 &&
	    errno != EAGAIN && errno != EINTR) {
		/* EFAULT, ENOSYS: the runtime is broken; nothing to return. */
		fprintf(stderr, "ipibench: futex backend: FUTEX_WAIT on the "
		    "word of a vCPU: %s\n", strerror(errno));
		abort();
	}
	atomic_store_explicit(word, FUTEX_AWAKE, memory_order_relaxed);
}

/*
 * futex_kick: wake ci if it announced that it sleeps.
 * => After the store that made vcpu_has_work(ci) true.
 */
static void
futex_kick(struct cpu_info *ci)
{
	_Atomic unsigned *word = futex_word(ci);

	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(word, memory_order_relaxed) ==
	    FUTEX_SLEEPING &&
	    atomic_exchange_explicit(word, FUTEX_AWAKE,
	    memory_order_relaxed) == FUTEX_SLEEPING &&
	    futex_op(word, FUTEX_WAKE_PRIVATE, 1) == -1) {
		fprintf(stderr, "ipibench: futex backend: FUTEX_WAKE on the "
		    "word of a vCPU: %s\n", strerror(errno));
		abort();
	}
}

const struct ipi_backend_ops ipi_backend_futex = {
	.name = "futex",
	.summary = "idle vCPUs sleep in FUTEX_WAIT; FUTEX_WAKE only if "
	    "the target sleeps",
	.reference = "futex_wake",
	.spins = false,
	.state_size = sizeof(struct futex_state),
	.idle = futex_idle,
	.kick = futex_kick,
};
