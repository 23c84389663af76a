/*
 * wake.c: the `futex_wake` and `eventfd_wake` yardsticks: the sender
 * wakes a responder blocked in the kernel and spins until it
 * acknowledges, the shape of a unicast on the futex or eventfd backend
 * (one sleeper, one spinner) without the IPI protocol around it.  The two
 * differ only in how the responder blocks and how it is woken (struct
 * waker): FUTEX_WAIT/FUTEX_WAKE on the sleeping word itself, or read()
 * and write() of an eventfd.
 *
 * The sleep/wake handshake is the backends' (ipi/futex.c, where the
 * proof that no wakeup is lost is written; ipi/eventfd.c reuses it): the
 * responder announces SLEEPING, fences, re-checks for a request, and
 * blocks; the sender stores the request, fences, and pays for the wake
 * only if it sees SLEEPING (and swaps it to AWAKE first).  A write
 * nobody needed leaves a count in the eventfd: the next read returns at
 * once and the responder loops (a stale wake, never a lost one).  The
 * sender then spins on the acknowledgement as ipi_wait() does
 * (SPINLOCK_BACKOFF).
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
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/workload.h"
#include "yardstick.h"

#define	WAKE_AWAKE	0u
#define	WAKE_SLEEPING	1u

struct wake;

/* How a responder blocks and is woken. */
struct waker {
	const char *	name;		/* the workload's, for errors */
	/* open: set up w's kernel object.  => 0, or -1 with errno */
	int		(*open)(struct wake *w);
	void		(*close)(struct wake *w);
	/* block: on the responder, after announcing SLEEPING; may return
	 * early (EINTR, a stale wake): the caller loops */
	void		(*block)(struct wake *w);
	/* wake: on the sender, after swapping SLEEPING to AWAKE */
	void		(*wake)(struct wake *w);
};

struct wake {
	_Alignas(CACHE_LINE_SIZE) _Atomic uint64_t req;	/* sender writes */
	_Alignas(CACHE_LINE_SIZE) _Atomic unsigned word; /* SLEEPING/AWAKE:
							 * the futex word */
	_Alignas(CACHE_LINE_SIZE) _Atomic uint64_t ack;	/* responder writes */
	_Alignas(CACHE_LINE_SIZE) _Atomic int stop;
	int		fd;		/* eventfd; read-only after open */
	const struct waker *how;	/* read-only */
	_Alignas(CACHE_LINE_SIZE) uint64_t next;	/* sender's own */
	uint64_t	blocked;	/* operations that found it blocked */
	int		statfd;		/* hb_sleepwatch_open() of dst */
};

/*
 * futex: block in FUTEX_WAIT on the word while it reads SLEEPING.
 */
static long
futex_call(_Atomic unsigned *uaddr, int op, unsigned val)
{
	return syscall(SYS_futex, (uint32_t *)uaddr, op, val, NULL, NULL, 0);
}

static int
futex_open(struct wake *w)
{
	(void)w;
	return 0;
}

static void
futex_block(struct wake *w)
{
	(void)futex_call(&w->word, FUTEX_WAIT_PRIVATE, WAKE_SLEEPING);
}

static void
futex_wake_one(struct wake *w)
{
	(void)futex_call(&w->word, FUTEX_WAKE_PRIVATE, 1);
}

static const struct waker futex_waker = {
	.name = "futex_wake", .open = futex_open, .close = NULL,
	.block = futex_block, .wake = futex_wake_one,
};

/*
 * eventfd: block in read() of an eventfd; write 1 to wake.
 */
static int
evfd_open(struct wake *w)
{
	return (w->fd = eventfd(0, EFD_CLOEXEC)) == -1 ? -1 : 0;
}

static void
evfd_close(struct wake *w)
{
	close(w->fd);
}

static void
evfd_block(struct wake *w)
{
	uint64_t cnt;

	(void)!read(w->fd, &cnt, sizeof(cnt));
}

static void
evfd_wake(struct wake *w)
{
	const uint64_t one = 1;

	(void)!write(w->fd, &one, sizeof(one));
}

static const struct waker eventfd_waker = {
	.name = "eventfd_wake", .open = evfd_open, .close = evfd_close,
	.block = evfd_block, .wake = evfd_wake,
};

/*
 * The yardstick.
 */

/* wake_kick: the backends' kick: wake the responder if it sleeps. */
static void
wake_kick(struct wake *w)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&w->word, memory_order_relaxed) ==
	    WAKE_SLEEPING &&
	    atomic_exchange_explicit(&w->word, WAKE_AWAKE,
	    memory_order_relaxed) == WAKE_SLEEPING)
		w->how->wake(w);
}

/* wake_serve: on dst: acknowledge each request, block in between. */
static void
wake_serve(void *arg)
{
	struct wake *w = arg;
	uint64_t last = 0, v;

	for (;;) {
		v = atomic_load_explicit(&w->req, memory_order_acquire);
		if (v != last) {
			last = v;
			atomic_store_explicit(&w->ack, v,
			    memory_order_release);
			continue;
		}
		if (atomic_load_explicit(&w->stop, memory_order_relaxed))
			return;
		/* Announce, re-check, block (ipi/futex.c futex_idle). */
		atomic_store_explicit(&w->word, WAKE_SLEEPING,
		    memory_order_relaxed);
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load_explicit(&w->req, memory_order_relaxed) ==
		    last &&
		    !atomic_load_explicit(&w->stop, memory_order_relaxed))
			w->how->block(w);
		atomic_store_explicit(&w->word, WAKE_AWAKE,
		    memory_order_relaxed);
	}
}

static void
wake_stop(void *arg)
{
	struct wake *w = arg;

	atomic_store_explicit(&w->stop, 1, memory_order_relaxed);
	wake_kick(w);
}

/* Responders woken together: a fan-out's reference. */
struct wake_fan {
	struct wake **	w;
	unsigned	n;
};

/*
 * wake_fan_op: on src: a request to each responder, each woken if
 * asleep, then a spin until every one acknowledged (a futex or eventfd
 * multicast's shape: the backends kick the targets one by one too).
 */
static uint64_t
wake_fan_op(void *arg)
{
	struct wake_fan *f = arg;
	uint64_t t0, t1;

	/* Untimed: wait until the responders are blocked (see the top). */
	for (unsigned i = 0; i < f->n; i++) {
		struct wake *w = f->w[i];

		w->next++;
		YS_SPIN_UNTIL(atomic_load_explicit(&w->word,
		    memory_order_relaxed) == WAKE_SLEEPING);
		if (hb_sleepwatch_wait(w->statfd))
			w->blocked++;
	}
	hb_sleepwatch_dwell();	/* the benchmark's dwell, if any */

	YS_DRAIN();
	t0 = hb_now();
	for (unsigned i = 0; i < f->n; i++) {
		atomic_store_explicit(&f->w[i]->req, f->w[i]->next,
		    memory_order_release);
		wake_kick(f->w[i]);
	}
	for (unsigned i = 0; i < f->n; i++)
		YS_SPIN_UNTIL(atomic_load_explicit(&f->w[i]->ack,
		    memory_order_acquire) == f->w[i]->next);
	t1 = hb_now();
	return t1 - t0;
}

/* wake_op: on src: request, wake if asleep, spin for the ack. */
static uint64_t
wake_op(void *arg)
{
	struct wake *w = arg;
	struct wake_fan f = { &w, 1 };

	return wake_fan_op(&f);
}

/* wake_free: what wake_new made. */
static void
wake_free(struct wake *w)
{
	if (w->statfd != -1)
		close(w->statfd);
	if (w->how->close != NULL)
		w->how->close(w);
	free(w);
}

/*
 * wake_new: a responder's state for vCPU dst, woken the way how says.
 * => NULL with the benchmark skipped.
 */
static struct wake *
wake_new(struct hb_bench *b, unsigned dst, const struct waker *how)
{
	struct wake *w = ys_alloc(sizeof(*w));

	if (w == NULL) {
		hb_bench_error(b, "%s: out of memory", how->name);
		return NULL;
	}
	w->how = how;
	if (how->open(w) != 0) {
		hb_bench_error(b, "%s: %s", how->name, strerror(errno));
		free(w);
		return NULL;
	}
	w->statfd = hb_sleepwatch_open(cpu_lookup(dst));
	return w;
}

/* wake_body: the benchmark of pair arg, woken the way how says. */
static void
wake_body(struct hb_bench *b, const struct ys_pair *pair,
    const struct waker *how)
{
	struct wake *w = wake_new(b, pair->dst, how);
	struct hb_op op = { .op = wake_op };

	if (w == NULL)
		return;
	op.arg = w;
	if (ys_run(b, pair, &op, wake_serve, wake_stop, w)) {
		if (w->next > 0)
			hb_bench_counter(b, "blocked_per_op",
			    (double)w->blocked / (double)w->next);
		wake_free(w);
	}
}

/*
 * wake_in_situ: the reference of a benchmark on a backend whose idle
 * sleeps the way how does: a responder on each target, one wake-up of
 * each per operation (for a pair: the yardstick's own operation).
 */
static bool
wake_in_situ(struct hb_bench *b, unsigned src, const unsigned *targets,
    unsigned n, unsigned nops, struct hb_samples *out,
    const struct waker *how)
{
	/* On the heap: a sender the watchdog gave up on may still read it. */
	struct wake_fan *f = calloc(1, sizeof(*f));
	bool ok = false, leaked = false;

	if (f == NULL || (f->w = calloc(n, sizeof(struct wake *))) == NULL) {
		free(f);
		hb_bench_error(b, "%s reference: out of memory", how->name);
		return false;
	}
	while (f->n < n &&
	    (f->w[f->n] = wake_new(b, targets[f->n], how)) != NULL)
		f->n++;
	if (f->n == n)
		ok = ys_in_situ(b, src, targets, n, (void *const *)f->w,
		    wake_serve, wake_stop, wake_fan_op, f, nops, out, &leaked);
	if (leaked)
		return false;	/* a responder or the sender still uses them */
	for (unsigned i = 0; i < f->n; i++)
		wake_free(f->w[i]);
	free(f->w);
	free(f);
	return ok;
}

static bool
futex_wake_in_situ(struct hb_bench *b, unsigned src, const unsigned *targets,
    unsigned n, bool fanout, unsigned nops, struct hb_samples *out)
{
	(void)fanout;	/* a pair is the fan-out of one */
	return wake_in_situ(b, src, targets, n, nops, out, &futex_waker);
}

static bool
eventfd_wake_in_situ(struct hb_bench *b, unsigned src,
    const unsigned *targets, unsigned n, bool fanout, unsigned nops,
    struct hb_samples *out)
{
	(void)fanout;
	return wake_in_situ(b, src, targets, n, nops, out, &eventfd_waker);
}

static void
futex_wake_body(struct hb_bench *b, void *arg)
{
	wake_body(b, arg, &futex_waker);
}

static void
eventfd_wake_body(struct hb_bench *b, void *arg)
{
	wake_body(b, arg, &eventfd_waker);
}

static void
futex_wake_add(const struct hb_run *run, const struct hb_group *g)
{
	ys_add_pairs(run, g, futex_wake_body);
}

static void
eventfd_wake_add(const struct hb_run *run, const struct hb_group *g)
{
	ys_add_pairs(run, g, eventfd_wake_body);
}

const struct hb_workload hb_workload_futex_wake = {
	.name = "futex_wake",
	.summary = "yardstick: wake a FUTEX_WAIT sleeper, spin for its ack "
	    "(a futex unicast's shape)",
	.yardstick = true,
	.kind = HB_KIND_LATENCY,
	.keys = YS_PAIR_KEYS,
	.add = futex_wake_add,
	.in_situ = futex_wake_in_situ,
};

const struct hb_workload hb_workload_eventfd_wake = {
	.name = "eventfd_wake",
	.summary = "yardstick: wake an eventfd reader, spin for its ack "
	    "(an eventfd unicast's shape)",
	.yardstick = true,
	.kind = HB_KIND_LATENCY,
	.keys = YS_PAIR_KEYS,
	.add = eventfd_wake_add,
	.in_situ = eventfd_wake_in_situ,
};
