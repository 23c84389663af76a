/*
 * machine.c: the vCPU machine the benchmarks run on (bench_impl.h).
 *
 * Before a body runs, the machine must be running with the entry's
 * backend and placement.  It is (re)started only when they differ from
 * the previous benchmark's: workloads register whole groups per (backend,
 * placement), so a run starts one machine per group.  hb_bench_add_n()
 * entries run on the first N vCPUs only (broadcast reaches every vCPU of
 * the machine): the size is part of the key.  Placement:
 * hb_placement_create() on the run's topology; binding:
 * hb_topology_bind_thread().  The vCPU threads are created with SIGINT,
 * SIGTERM and SIGHUP blocked, so that those signals reach the runner.
 *
 * A simulated run (run->simulated, simulate.h): the run's topology is a
 * planning one, so the placement is a plan only (every state NULL: the
 * runtime allocates it); each vCPU's PU becomes this machine's PU
 * hb_simulate_pu() and binding goes through run->host, this machine's
 * topology.  PUs repeat: the vCPUs share them, oversubscribed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "../ipi/vcpu.h"
#include "bench_impl.h"
#include "placement.h"
#include "simulate.h"

/* What a machine is: the key of the cache. */
struct mkey {
	const struct ipi_backend_ops *backend;
	enum hb_policy	placement;
	unsigned	nvcpus;
};

static struct {
	bool		running;
	struct mkey	key;
	struct hb_placement *pl;
	/* the last start that failed, so that its group fails fast */
	bool		failed;
	struct mkey	fail_key;
	char		fail_msg[1024];
} mach;

static bool
mkey_eq(const struct mkey *a, const struct mkey *b)
{
	return a->backend == b->backend && a->placement == b->placement &&
	    a->nvcpus == b->nvcpus;
}

/* mkey_of: e's machine; its vCPUs 0 or more than the run's: all. */
static struct mkey
mkey_of(const struct hb_entry *e, const struct hb_run *run)
{
	struct mkey key = { e->backend, e->placement, e->nvcpus };

	if (key.nvcpus == 0 || key.nvcpus > run->topo->nvcpus)
		key.nvcpus = run->topo->nvcpus;
	return key;
}

bool
machine_same(const struct hb_entry *a, const struct hb_entry *b)
{
	const struct hb_run *run = bench_state.run;
	struct mkey ka, kb;

	if (run == NULL || run->topo == NULL)
		return a->backend == b->backend &&
		    a->placement == b->placement && a->nvcpus == b->nvcpus;
	ka = mkey_of(a, run);
	kb = mkey_of(b, run);
	return mkey_eq(&ka, &kb);
}

void
machine_stop(void)
{
	if (!mach.running)
		return;
	ipi_machine_stop();
	hb_placement_destroy(mach.pl);
	mach.pl = NULL;
	mach.running = false;
}

void
machine_forget(void)
{
	mach.failed = false;
}

/*
 * raise_nofile: room for the file descriptors a machine of n vCPUs may
 * need at once: an eventfd each (backend eventfd); per benchmark a /proc
 * stat file per target (sleepwatch.h) and, for a fan-out's in-situ
 * reference on a sleeping backend, an eventfd and a stat file more per
 * target (workloads/wake.c); perf counters: 4n and some.  The soft limit
 * (often 1024, short of 384 vCPUs) is raised towards the hard one; what
 * cannot be had shows as an error naming the call that failed (EMFILE).
 */
static void
raise_nofile(unsigned n)
{
	rlim_t want = (rlim_t)n * 4 + 512;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ?
	    rl.rlim_max : want;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

int
machine_ensure(struct hb_entry *e, char *err, size_t errlen)
{
	const struct hb_run *run = bench_state.run;
	struct mkey key;
	sigset_t block, old;
	double t0;
	int rc;

	if (run == NULL || run->topo == NULL) {
		snprintf(err, errlen, "no run: hb_bench_begin() was not called");
		return -1;
	}
	key = mkey_of(e, run);
	if (mach.running && mkey_eq(&mach.key, &key))
		return 0;
	if (mach.failed && mkey_eq(&mach.fail_key, &key)) {
		snprintf(err, errlen, "%s", mach.fail_msg);
		return -1;
	}
	machine_stop();
	raise_nofile(key.nvcpus);
	if (run->simulated && (run->host == NULL || run->host->nvcpus == 0)) {
		snprintf(err, errlen, "simulated run without this machine's "
		    "topology (hb_run.host not set: harness bug)");
		goto fail;
	}
	if (key.backend == NULL) {
		snprintf(err, errlen, "no backend whose idle sleeps, for the "
		    "yardsticks");
		goto fail;
	}
	t0 = hb_mono();
	if (hb_placement_create(run->topo, key.placement, &mach.pl, err,
	    errlen) != 0)
		goto fail;
	if (run->simulated) {
		/* The plan stays (planned_node); the threads go here. */
		for (unsigned i = 0; i < mach.pl->n; i++) {
			struct vcpu_spec *s = &mach.pl->specs[i];

			s->pu = hb_simulate_pu(run->host, i);
			s->node = hb_topology_node_of(run->host, s->pu);
			s->state = NULL;
		}
		mach.pl->note = HB_SIMULATE_PLACEMENT_NOTE;
	}

	struct vcpu_config cfg = {
		.specs = mach.pl->specs,
		.n = key.nvcpus < mach.pl->n ? key.nvcpus : mach.pl->n,
		.backend = key.backend,
		.bind = hb_topology_bind_thread,
		.bind_ctx = (void *)(run->simulated ? run->host : run->topo),
	};
	/* vCPU threads inherit the mask: signals go to the runner. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = ipi_machine_start(&cfg, err, errlen);
	e->start_s += hb_mono() - t0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		hb_placement_destroy(mach.pl);
		mach.pl = NULL;
		goto fail;
	}
	mach.running = true;
	mach.key = key;
	return 0;
fail:
	snprintf(mach.fail_msg, sizeof(mach.fail_msg), "starting %u vCPUs "
	    "with backend %s, placement %s: %s", key.nvcpus,
	    key.backend != NULL ? key.backend->name : "(none)",
	    hb_policy_name(key.placement), err);
	snprintf(err, errlen, "%s", mach.fail_msg);
	mach.failed = true;
	mach.fail_key = key;
	fprintf(stderr, "ipibench: %s\n", mach.fail_msg);
	return -1;
}

void
hb_runner_pin(const struct hb_run *run, char *desc, size_t len)
{
	const struct hb_topology *t = run->simulated ? run->host : run->topo;
	hwloc_bitmap_t rest;

	if (run->simulated) {
		snprintf(desc, len, "unpinned: a simulated machine's vCPUs "
		    "share every PU");
		return;
	}
	if (t == NULL || !t->thissystem || (rest = hwloc_bitmap_alloc()) ==
	    NULL) {
		snprintf(desc, len, "unpinned: not this machine's topology");
		return;
	}
	if (hwloc_get_cpubind(t->topo, rest, HWLOC_CPUBIND_THREAD) != 0) {
		snprintf(desc, len, "unpinned: hwloc_get_cpubind: %s",
		    strerror(errno));
	} else {
		hwloc_bitmap_andnot(rest, rest, t->selected);
		if (hwloc_bitmap_iszero(rest))
			snprintf(desc, len, "unpinned: every allowed PU runs "
			    "a vCPU");
		else if (hwloc_set_cpubind(t->topo, rest,
		    HWLOC_CPUBIND_THREAD) != 0)
			snprintf(desc, len, "unpinned: hwloc_set_cpubind: %s",
			    strerror(errno));
		else
			hwloc_bitmap_list_snprintf(desc, len, rest);
	}
	hwloc_bitmap_free(rest);
}
