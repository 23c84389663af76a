/*
 * futex_pingpong.c: the `futex_pingpong` yardstick: both sides sleep.
 * The sender stores a request and FUTEX_WAKEs the responder, then sleeps
 * in FUTEX_WAIT until the acknowledgement; the responder, woken, stores
 * the acknowledgement and FUTEX_WAKEs the sender.  Two wakes of a
 * sleeping thread per round trip, comparable with `perf bench sched
 * pipe` and with pipe_pingpong.
 *
 * No wakeup is lost: each side sleeps with FUTEX_WAIT(word, the value it
 * last saw), which the kernel compares under its lock, and the other
 * side changes the word before it wakes.
 */
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/workload.h"
#include "yardstick.h"

struct futex_pingpong {
	_Alignas(CACHE_LINE_SIZE) _Atomic unsigned req;	/* futex word */
	_Alignas(CACHE_LINE_SIZE) _Atomic unsigned ack;	/* futex word */
	_Alignas(CACHE_LINE_SIZE) _Atomic int stop;
	_Alignas(CACHE_LINE_SIZE) unsigned next;	/* sender's own */
};

static long
fp_futex(_Atomic unsigned *uaddr, int op, unsigned val)
{
	return syscall(SYS_futex, (uint32_t *)uaddr, op, val, NULL, NULL, 0);
}

/* fp_serve: on dst: sleep until req changes, ack, wake the sender. */
static void
fp_serve(void *arg)
{
	struct futex_pingpong *fp = arg;
	unsigned last = 0, v;

	for (;;) {
		v = atomic_load_explicit(&fp->req, memory_order_acquire);
		if (v != last) {
			last = v;
			atomic_store_explicit(&fp->ack, v,
			    memory_order_release);
			(void)fp_futex(&fp->ack, FUTEX_WAKE_PRIVATE, 1);
			continue;
		}
		if (atomic_load_explicit(&fp->stop, memory_order_relaxed))
			return;
		(void)fp_futex(&fp->req, FUTEX_WAIT_PRIVATE, last);
	}
}

/* fp_stop: set stop, then change req and wake (the responder re-checks). */
static void
fp_stop(void *arg)
{
	struct futex_pingpong *fp = arg;

	atomic_store_explicit(&fp->stop, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&fp->req, 1, memory_order_release);
	(void)fp_futex(&fp->req, FUTEX_WAKE_PRIVATE, 1);
}

/* fp_op: on src: request, wake, sleep until the ack. */
static uint64_t
fp_op(void *arg)
{
	struct futex_pingpong *fp = arg;
	unsigned k = ++fp->next, a;
	uint64_t t0, t1;

	YS_DRAIN();
	t0 = hb_now();
	atomic_store_explicit(&fp->req, k, memory_order_release);
	(void)fp_futex(&fp->req, FUTEX_WAKE_PRIVATE, 1);
	while ((a = atomic_load_explicit(&fp->ack, memory_order_acquire)) != k)
		(void)fp_futex(&fp->ack, FUTEX_WAIT_PRIVATE, a);
	t1 = hb_now();
	return t1 - t0;
}

static void
fp_body(struct hb_bench *b, void *arg)
{
	struct futex_pingpong *fp = ys_alloc(sizeof(*fp));
	struct hb_op op = { .op = fp_op };

	if (fp == NULL) {
		hb_bench_error(b, "futex_pingpong: out of memory");
		return;
	}
	op.arg = fp;
	if (ys_run(b, arg, &op, fp_serve, fp_stop, fp))
		free(fp);
}

static void
fp_add(const struct hb_run *run, const struct hb_group *g)
{
	ys_add_pairs(run, g, fp_body);
}

const struct hb_workload hb_workload_futex_pingpong = {
	.name = "futex_pingpong",
	.summary = "yardstick: futex round trip, both sides sleep in "
	    "FUTEX_WAIT",
	.yardstick = true,
	.kind = HB_KIND_LATENCY,
	.keys = YS_PAIR_KEYS,
	.add = fp_add,
};
