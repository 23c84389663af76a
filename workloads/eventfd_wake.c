/*
 * eventfd_wake.c: the `eventfd_wake` yardstick: the sender wakes a
 * responder blocked in read() of an eventfd and spins until it
 * acknowledges, the shape of a unicast on the eventfd backend.
 *
 * The handshake is the eventfd backend's (ipi/eventfd.c, which reuses
 * ipi/futex.c's proof): the responder announces SLEEPING, fences,
 * re-checks, and blocks in read(); the sender stores the request,
 * fences, and write()s only if it sees SLEEPING (swapping it to AWAKE).
 * A write nobody needed leaves a count in the eventfd: the next read
 * returns at once and the responder loops (a stale wake, never a lost
 * one).  As in futex_wake.c, every operation wakes a thread that is
 * really blocked: before its timestamp the sender waits, untimed, for
 * SLEEPING and the thread's /proc state 'S'; blocked_per_op counts it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/workload.h"
#include "yardstick.h"

#define	EW_AWAKE	0u
#define	EW_SLEEPING	1u

struct eventfd_wake {
	_Alignas(CACHE_LINE_SIZE) _Atomic uint64_t req;	/* sender writes */
	_Alignas(CACHE_LINE_SIZE) _Atomic unsigned word; /* sleeping flag */
	_Alignas(CACHE_LINE_SIZE) _Atomic uint64_t ack;	/* responder writes */
	_Alignas(CACHE_LINE_SIZE) _Atomic int stop;
	int	fd;					/* read-only */
	_Alignas(CACHE_LINE_SIZE) uint64_t next;	/* sender's own */
	uint64_t	blocked;	/* operations that found it blocked */
	int		statfd;		/* hb_sleepwatch_open() of dst */
};

/* ew_kick: the eventfd backend's kick: write if the responder sleeps. */
static void
ew_kick(struct eventfd_wake *ew)
{
	uint64_t one = 1;

	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&ew->word, memory_order_relaxed) ==
	    EW_SLEEPING &&
	    atomic_exchange_explicit(&ew->word, EW_AWAKE,
	    memory_order_relaxed) == EW_SLEEPING)
		(void)!write(ew->fd, &one, sizeof(one));
}

/* ew_serve: on dst: acknowledge each request, block in read() between. */
static void
ew_serve(void *arg)
{
	struct eventfd_wake *ew = arg;
	uint64_t last = 0, v, cnt;

	for (;;) {
		v = atomic_load_explicit(&ew->req, memory_order_acquire);
		if (v != last) {
			last = v;
			atomic_store_explicit(&ew->ack, v,
			    memory_order_release);
			continue;
		}
		if (atomic_load_explicit(&ew->stop, memory_order_relaxed))
			return;
		atomic_store_explicit(&ew->word, EW_SLEEPING,
		    memory_order_relaxed);
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load_explicit(&ew->req, memory_order_relaxed) ==
		    last &&
		    !atomic_load_explicit(&ew->stop, memory_order_relaxed))
			(void)!read(ew->fd, &cnt, sizeof(cnt)); /* EINTR: loop */
		atomic_store_explicit(&ew->word, EW_AWAKE,
		    memory_order_relaxed);
	}
}

static void
ew_stop(void *arg)
{
	struct eventfd_wake *ew = arg;

	atomic_store_explicit(&ew->stop, 1, memory_order_relaxed);
	ew_kick(ew);
}

/* ew_op: on src: request, write if asleep, spin for the ack. */
static uint64_t
ew_op(void *arg)
{
	struct eventfd_wake *ew = arg;
	uint64_t k = ++ew->next, t0, t1;

	/* Untimed: wait until the responder is blocked (see the top). */
	YS_SPIN_UNTIL(atomic_load_explicit(&ew->word, memory_order_relaxed)
	    == EW_SLEEPING);
	if (hb_sleepwatch_wait(ew->statfd))
		ew->blocked++;

	YS_DRAIN();
	t0 = hb_now();
	atomic_store_explicit(&ew->req, k, memory_order_release);
	ew_kick(ew);
	YS_SPIN_UNTIL(atomic_load_explicit(&ew->ack, memory_order_acquire)
	    == k);
	t1 = hb_now();
	return t1 - t0;
}

static void
ew_body(struct hb_bench *b, void *arg)
{
	struct eventfd_wake *ew = ys_alloc(sizeof(*ew));
	struct hb_op op = { .op = ew_op };

	if (ew == NULL) {
		hb_bench_error(b, "eventfd_wake: out of memory");
		return;
	}
	if ((ew->fd = eventfd(0, EFD_CLOEXEC)) == -1) {
		hb_bench_error(b, "eventfd_wake: eventfd: %s", strerror(errno));
		free(ew);
		return;
	}
	op.arg = ew;
	ew->statfd = hb_sleepwatch_open(cpu_lookup(
	    ((const struct ys_pair *)arg)->dst));
	if (ys_run(b, arg, &op, ew_serve, ew_stop, ew)) {
		if (ew->next > 0)
			hb_bench_counter(b, "blocked_per_op",
			    (double)ew->blocked / (double)ew->next);
		if (ew->statfd != -1)
			close(ew->statfd);
		close(ew->fd);
		free(ew);
	}
}

static void
ew_add(const struct hb_run *run, const char *backend, const char *placement)
{
	(void)placement;
	ys_add_pairs(run, backend, "eventfd_wake", ew_body);
}

const struct hb_workload hb_workload_eventfd_wake = {
	.name = "eventfd_wake",
	.summary = "yardstick: wake an eventfd reader, spin for its ack "
	    "(an eventfd unicast's shape)",
	.yardstick = true,
	.add = ew_add,
};
