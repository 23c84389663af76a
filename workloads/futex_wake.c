/*
 * futex_wake.c: the `futex_wake` yardstick: the sender wakes a responder
 * sleeping in FUTEX_WAIT and spins until it acknowledges, the shape of a
 * unicast on the futex backend (one sleeper, one spinner) without the
 * IPI protocol around it.
 *
 * The sleep/wake handshake is the futex backend's (ipi/futex.c, where
 * the proof that no wakeup is lost is written): the responder announces
 * SLEEPING, fences, re-checks for a request, and sleeps; the sender
 * stores the request, fences, and pays for FUTEX_WAKE only if it sees
 * SLEEPING (and swaps it to AWAKE first).  The sender then spins on the
 * acknowledgement as ipi_wait() does (SPINLOCK_BACKOFF).
 *
 * Every operation wakes a thread that is really blocked.  Run back to
 * back, the sender often comes back before the responder has gone to
 * sleep: it then skips the wake, or wakes a thread still on its way
 * into the kernel, and the p50 flips between ~0.3 us and ~17 us from one
 * run to the next (measured here).  So, before its timestamp and outside
 * the sample, the sender waits until the responder has announced
 * SLEEPING and its thread's state in /proc is 'S' (hb_sleepwatch_wait).
 * The counter blocked_per_op says how many operations saw it blocked
 * (1.0 expected); ctx_switches, about 1 per operation, agrees.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/workload.h"
#include "yardstick.h"

#define	FW_AWAKE	0u
#define	FW_SLEEPING	1u

struct futex_wake {
	_Alignas(CACHE_LINE_SIZE) _Atomic uint64_t req;	/* sender writes */
	_Alignas(CACHE_LINE_SIZE) _Atomic unsigned word; /* futex word */
	_Alignas(CACHE_LINE_SIZE) _Atomic uint64_t ack;	/* responder writes */
	_Alignas(CACHE_LINE_SIZE) _Atomic int stop;
	_Alignas(CACHE_LINE_SIZE) uint64_t next;	/* sender's own */
	uint64_t	blocked;	/* operations that found it blocked */
	int		statfd;		/* hb_sleepwatch_open() of dst */
};

static long
fw_futex(_Atomic unsigned *uaddr, int op, unsigned val)
{
	return syscall(SYS_futex, (uint32_t *)uaddr, op, val, NULL, NULL, 0);
}

/* fw_kick: the futex backend's kick: wake the responder if it sleeps. */
static void
fw_kick(struct futex_wake *fw)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&fw->word, memory_order_relaxed) ==
	    FW_SLEEPING &&
	    atomic_exchange_explicit(&fw->word, FW_AWAKE,
	    memory_order_relaxed) == FW_SLEEPING)
		(void)fw_futex(&fw->word, FUTEX_WAKE_PRIVATE, 1);
}

/* fw_serve: on dst: acknowledge each request, sleep in between. */
static void
fw_serve(void *arg)
{
	struct futex_wake *fw = arg;
	uint64_t last = 0, v;

	for (;;) {
		v = atomic_load_explicit(&fw->req, memory_order_acquire);
		if (v != last) {
			last = v;
			atomic_store_explicit(&fw->ack, v,
			    memory_order_release);
			continue;
		}
		if (atomic_load_explicit(&fw->stop, memory_order_relaxed))
			return;
		/* Announce, re-check, sleep (ipi/futex.c futex_idle). */
		atomic_store_explicit(&fw->word, FW_SLEEPING,
		    memory_order_relaxed);
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load_explicit(&fw->req, memory_order_relaxed) ==
		    last &&
		    !atomic_load_explicit(&fw->stop, memory_order_relaxed))
			(void)fw_futex(&fw->word, FUTEX_WAIT_PRIVATE,
			    FW_SLEEPING);	/* EAGAIN, EINTR: loop */
		atomic_store_explicit(&fw->word, FW_AWAKE,
		    memory_order_relaxed);
	}
}

static void
fw_stop(void *arg)
{
	struct futex_wake *fw = arg;

	atomic_store_explicit(&fw->stop, 1, memory_order_relaxed);
	fw_kick(fw);
}

/* fw_op: on src: request, wake if asleep, spin for the ack. */
static uint64_t
fw_op(void *arg)
{
	struct futex_wake *fw = arg;
	uint64_t k = ++fw->next, t0, t1;

	/* Untimed: wait until the responder is blocked (see the top). */
	YS_SPIN_UNTIL(atomic_load_explicit(&fw->word, memory_order_relaxed)
	    == FW_SLEEPING);
	if (hb_sleepwatch_wait(fw->statfd))
		fw->blocked++;

	YS_DRAIN();
	t0 = hb_now();
	atomic_store_explicit(&fw->req, k, memory_order_release);
	fw_kick(fw);
	YS_SPIN_UNTIL(atomic_load_explicit(&fw->ack, memory_order_acquire)
	    == k);
	t1 = hb_now();
	return t1 - t0;
}

static void
fw_body(struct hb_bench *b, void *arg)
{
	struct futex_wake *fw = ys_alloc(sizeof(*fw));
	struct hb_op op = { .op = fw_op };

	if (fw == NULL) {
		hb_bench_error(b, "futex_wake: out of memory");
		return;
	}
	op.arg = fw;
	fw->statfd = hb_sleepwatch_open(cpu_lookup(
	    ((const struct ys_pair *)arg)->dst));
	if (ys_run(b, arg, &op, fw_serve, fw_stop, fw)) {
		if (fw->next > 0)
			hb_bench_counter(b, "blocked_per_op",
			    (double)fw->blocked / (double)fw->next);
		if (fw->statfd != -1)
			close(fw->statfd);
		free(fw);
	}
}

static void
fw_add(const struct hb_run *run, const char *backend, const char *placement)
{
	(void)placement;
	ys_add_pairs(run, backend, "futex_wake", fw_body);
}

const struct hb_workload hb_workload_futex_wake = {
	.name = "futex_wake",
	.summary = "yardstick: wake a FUTEX_WAIT sleeper, spin for its ack "
	    "(a futex unicast's shape)",
	.yardstick = true,
	.add = fw_add,
};
