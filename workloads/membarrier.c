/*
 * membarrier.c: the `membarrier` yardstick: MEMBARRIER_CMD_PRIVATE_
 * EXPEDITED from vCPU src, a real kernel IPI to every other CPU that is
 * running a thread of this process, and a wait for all of them.
 *
 * The kernel sends IPIs only to CPUs currently running one of our
 * threads: a sleeping vCPU costs nothing (0.5 us here against 8.4 us,
 * NOTES.md).  So every other vCPU runs a spinner job for the whole
 * benchmark (a plain load loop, no PAUSE: in a VM a PAUSE loop may exit
 * to the host), and the name's n counts the vCPUs taking part, the
 * sender included: n - 1 CPUs are interrupted per operation.  With more
 * vCPUs than cores the spinners would share cores, and on a simulated
 * machine (--simulate) this machine's PUs: the benchmark is refused
 * (and a simulated run does not select it by default).
 *
 * The process must be registered first (MEMBARRIER_CMD_REGISTER_PRIVATE_
 * EXPEDITED: mb_register(), the workload's init, which `ipibench run`
 * calls before any thread exists).  A kernel that refuses skips the
 * benchmark with the reason.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/workload.h"
#include "yardstick.h"

static pthread_mutex_t mb_lock = PTHREAD_MUTEX_INITIALIZER;
static int mb_state;		/* 0 not tried, 1 registered, -1 refused */
static char mb_error[160];

static long
mb_call(int cmd)
{
	return syscall(SYS_membarrier, cmd, 0, 0);
}

/*
 * mb_register: register this process for private expedited membarrier.
 * => Idempotent.  Returns 0; or -1 when the kernel refuses, the reason
 *    kept in mb_error for the benchmark's error.
 */
static int
mb_register(void)
{
	long mask;
	int state;

	pthread_mutex_lock(&mb_lock);
	if (mb_state == 0) {
		mask = mb_call(MEMBARRIER_CMD_QUERY);
		if (mask == -1) {
			snprintf(mb_error, sizeof(mb_error), "membarrier("
			    "MEMBARRIER_CMD_QUERY): %s", strerror(errno));
			mb_state = -1;
		} else if (!(mask & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) {
			snprintf(mb_error, sizeof(mb_error), "membarrier: this "
			    "kernel has no MEMBARRIER_CMD_PRIVATE_EXPEDITED "
			    "(query mask 0x%lx)", mask);
			mb_state = -1;
		} else if (mb_call(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)
		    == -1) {
			snprintf(mb_error, sizeof(mb_error), "membarrier("
			    "MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED): %s",
			    strerror(errno));
			mb_state = -1;
		} else
			mb_state = 1;
	}
	state = mb_state;
	pthread_mutex_unlock(&mb_lock);
	return state == 1 ? 0 : -1;
}

/*
 * mb_wanted: not by default on a simulated machine (--simulate): its
 * spinners would share this machine's PUs (named in --workload, it is
 * registered and refused with that reason).
 */
static bool
mb_wanted(const struct hb_params *p)
{
	return p->simulate == NULL;
}

/* mb_init: the workload's init: register before any thread exists. */
static void
mb_init(void)
{
	(void)mb_register();
}

struct membarrier {
	_Alignas(CACHE_LINE_SIZE) _Atomic int stop;	/* written once */
	_Alignas(CACHE_LINE_SIZE) int error;		/* sender's own */
};

/* mb_spin: on every other vCPU: be running until told to stop. */
static void
mb_spin(void *arg)
{
	struct membarrier *mb = arg;

	while (!atomic_load_explicit(&mb->stop, memory_order_relaxed))
		continue;
}

static uint64_t
mb_op(void *arg)
{
	struct membarrier *mb = arg;
	uint64_t t0, t1;
	long r;

	YS_DRAIN();
	t0 = hb_now();
	r = mb_call(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
	t1 = hb_now();
	if (r == -1 && mb->error == 0)
		mb->error = errno;
	return t1 - t0;
}

struct mb_arg {
	unsigned	src;
	bool		oversubscribed;	/* more vCPUs than cores, or a
					 * simulated machine (--simulate) */
};

static void
mb_body(struct hb_bench *b, void *arg)
{
	const struct mb_arg *ma = arg;
	struct membarrier *mb;
	struct hb_op op = { .op = mb_op };
	unsigned *others, nothers = 0;
	bool stopped = true;
	CPU_INFO_ITERATOR cii;
	struct cpu_info *ci;
	int error;

	if (ma->oversubscribed) {
		hb_bench_error(b, "membarrier: the other vCPUs spin, and there "
		    "are more vCPUs than cores (or PUs, on a simulated "
		    "machine): not measured");
		return;
	}
	/* Registration normally happened in mb_init; try late otherwise. */
	if (mb_register() != 0) {
		hb_bench_error(b, "%s", mb_error);
		return;
	}
	if ((mb = ys_alloc(sizeof(*mb))) == NULL ||
	    (others = malloc(ncpu * sizeof(*others))) == NULL) {
		free(mb);
		hb_bench_error(b, "membarrier: out of memory");
		return;
	}
	for (CPU_INFO_FOREACH(cii, ci)) {
		if (cii == ma->src)
			continue;
		if ((error = vcpu_post(ci, mb_spin, mb)) != 0) {
			hb_bench_error(b, "membarrier: cannot post the spinner "
			    "on vCPU %u: %s", (unsigned)cii, strerror(-error));
			break;
		}
		others[nothers++] = (unsigned)cii;
	}
	if (nothers == ncpu - 1) {
		op.sender = cpu_lookup(ma->src);
		op.arg = mb;
		op.perf_cpus = others;
		op.nperf_cpus = nothers;
		hb_measure(b, &op);
	}
	atomic_store_explicit(&mb->stop, 1, memory_order_relaxed);
	for (unsigned i = 0; i < nothers; i++)
		if (!hb_bench_wait(b, cpu_lookup(others[i])))
			stopped = false;
	if (mb->error != 0)
		hb_bench_error(b, "membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)"
		    ": %s", strerror(mb->error));
	free(others);
	if (stopped && !hb_bench_wedged())
		free(mb);
}

static void
mb_add(const struct hb_run *run, const struct hb_group *g)
{
	struct mb_arg *ma;

	if (run->topo->nvcpus < 2 || (ma = malloc(sizeof(*ma))) == NULL)
		return;
	ma->src = 0;
	ma->oversubscribed = run->ncores < run->topo->nvcpus ||
	    run->simulated;
	hb_bench_add(g, mb_body, ma, free, "src:%u/n:%u", ma->src,
	    run->topo->nvcpus);
}

const struct hb_workload hb_workload_membarrier = {
	.name = "membarrier",
	.summary = "yardstick: MEMBARRIER_CMD_PRIVATE_EXPEDITED, a kernel IPI "
	    "to every other (busy) vCPU",
	.yardstick = true,
	.kind = HB_KIND_LATENCY,
	.keys = "src,n",
	.wanted = mb_wanted,
	.init = mb_init,
	.add = mb_add,
};
