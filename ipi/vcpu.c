/*
 * vcpu.c: the vCPU runtime: user-space CPUs for the port (vcpu.h).
 *
 * How it works and why
 *
 *	The kernel's IPI code runs on CPUs that have an idle loop, take
 *	interrupts unless masked, and cannot be migrated while preemption is
 *	off.  Here a CPU is a thread pinned to one PU for its whole life
 *	(so "preemption disabled" is simply "running on a vCPU"), and it
 *	runs the kernel's idle loop:
 *
 *	    for (;;) {
 *		if (interrupts unmasked && a pending word != 0)
 *			splhigh(); ipi_cpu_handler(); splx();   -- the interrupt
 *		else if (a job was posted)
 *			run it; mark it done; wake the poster
 *		else if (asked to stop)
 *			exit
 *		else
 *			backend->idle(ci)        -- hlt, until kicked
 *	    }
 *
 *	The hardware interrupt is two things in the kernel: a bit of state
 *	(pending) and a way to make the CPU look (the interrupt line).  The
 *	pending words of the seed are the state; the delivery backend
 *	(backend.h) is the line: cpu_ipi(ci) calls its kick, the idle loop
 *	its idle.  A vCPU that runs code (a job spinning in ipi_wait or
 *	put_msg) is not idle: it takes interrupts at cpu_intr_poll(), where a
 *	real CPU with interrupts enabled would have taken them between two
 *	spins.  A backend that can interrupt a running vCPU (a signal) has
 *	its handler call vcpu_intr(), which takes them at once unless the
 *	vCPU masks them.
 *
 *	Masking: ci_ipl is the vCPU's own spl level (splhigh/splx, only its
 *	own thread changes it); ci_intr_blocked is vcpu_intr_block's, set by
 *	a job on the vCPU itself (so that when vcpu_intr_block returns the
 *	vCPU is not inside a handler) and cleared from any thread.  Keeping
 *	them apart means an unblock from outside never races with a
 *	splhigh/splx pair inside.  While masked, triggers still set pending
 *	bits and fill mailboxes; nothing is handled until unmasked.
 *
 *	Asynchronous delivery (vcpu_intr): a signal handler may run on a
 *	vCPU between any two instructions of its own code.  It takes the
 *	pending IPIs only at IPL_NONE and unblocked, and the runtime's own
 *	non-reentrant code runs at IPL_HIGH: every ipi_cpu_handler() pass
 *	(intr_take, ipi_trigger_multi) and every section holding a job slot
 *	lock (job_lock).  What it leaves pending is taken where the level
 *	drops: intr_take, and so splx(), loops until no word is pending, as
 *	the kernel's spllower() does, so an IPI left pending by a handler
 *	that came in just before the drop is not stranded.  splhigh/splx
 *	carry signal fences: the compiler keeps the masked code inside.
 *
 *	Jobs are how the outside world (the harness, the tests) makes a
 *	vCPU do something: one slot per vCPU, a mutex and a condition
 *	variable.  Whoever waits for a job sleeps on the condition variable:
 *	the driver never spins on a core that is being measured.
 *
 *	Sleep and wake: a backend's idle may sleep only after announcing it
 *	and re-checking vcpu_has_work(); every change that makes
 *	vcpu_has_work() true (pending bit, job, unblock, stop) is followed
 *	by a kick, and the kick re-checks the announcement after a seq_cst
 *	fence.  The proof that no wakeup is lost is in futex.c.
 *
 *	Shared PUs: the caller may put several vCPUs on one PU (a simulated
 *	big machine, the scale tests).  A vCPU spinning for another (in
 *	ipi_wait, put_msg) would then hold the PU its partner may need
 *	until the scheduler preempts it; so on such a machine
 *	cpu_intr_poll() also yields the PU, as a hypervisor's pause-loop
 *	exiting deschedules a spinning guest vCPU.  Never with one vCPU per
 *	PU: there the spin is what is measured.
 *
 *	One machine at a time: ncpu, kcpuset_attached and the cpu_info array
 *	are globals, as in the kernel.  ipi_machine_start and
 *	ipi_machine_stop are called by one controlling thread.
 */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "ipi.h"
#include "kassert.h"
#include "vcpu.h"
#include "vcpu_impl.h"

#define	VCPU_START_TIMEOUT_S	10	/* every vCPU reports by then */

/* The seed's globals. */
unsigned		ncpu;
static kcpuset_t	attached_set;
const kcpuset_t *	kcpuset_attached = &attached_set;

static struct cpu_info *cpu_infos;	/* ncpu of them */
static const struct ipi_backend_ops *machine_ops;
static void		*machine_states; /* the backend's states, or NULL */
static bool		machine_running;
static bool		machine_shared;	/* two vCPUs share a PU: spinners
					 * yield (cpu_intr_poll) */

/* curcpu(): the vCPU this thread is, NULL on any other thread. */
static _Thread_local struct cpu_info *curcpu_ci;

/* Start-up handshake: each vCPU reports bound (1) or failed (-1). */
static pthread_mutex_t	start_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	start_cv;
static unsigned		start_reported;
static const struct vcpu_config *start_cfg;	/* for the binding */

/*
 * Helpers.
 */

/* abstime_after: CLOCK_MONOTONIC now + ns, for pthread_cond_timedwait. */
static struct timespec
abstime_after(uint64_t ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ns / 1000000000u);
	ts.tv_nsec += (long)(ns % 1000000000u);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* cond_init_monotonic: a condition variable timed on CLOCK_MONOTONIC. */
static int
cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	int rc;

	if ((rc = pthread_condattr_init(&a)) != 0)
		return rc;
	rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
	return rc;
}

/* intr_enabled: whether ci takes interrupts now. */
static inline bool
intr_enabled(struct cpu_info *ci)
{

	return atomic_load(&ci->ci_ipl) == IPL_NONE &&
	    !atomic_load(&ci->ci_intr_blocked);
}

/* intr_pending: whether a pending word of ci is non-zero (seq_cst). */
static inline bool
intr_pending(struct cpu_info *ci)
{
	_Atomic uint32_t *ipipend = ci->ci_ipi->ipipend;

	for (unsigned i = 0; i < IPI_BITWORDS; i++) {
		if (atomic_load(&ipipend[i]) != 0)
			return true;
	}
	return false;
}

/*
 * intr_take: the interrupt: while ci (the calling vCPU) takes interrupts
 * and one is pending, block, run ipi_cpu_handler(), unblock.
 * => ci's thread, at IPL_NONE or not (then it does nothing); also from
 *    vcpu_intr, in a signal handler.
 * => Loops: a vcpu_intr that came while the pass ran (IPL_HIGH) left its
 *    IPIs pending; they are taken here, after the level dropped.
 * => Returns whether it ran the handler.
 */
static bool
intr_take(struct cpu_info *ci)
{
	bool took = false;

	while (intr_enabled(ci) && intr_pending(ci)) {
		atomic_store_explicit(&ci->ci_ipl, IPL_HIGH,
		    memory_order_relaxed);
		atomic_signal_fence(memory_order_seq_cst);
		ipi_cpu_handler();
		atomic_signal_fence(memory_order_seq_cst);
		atomic_store_explicit(&ci->ci_ipl, IPL_NONE,
		    memory_order_relaxed);
		took = true;
	}
	return took;
}

/*
 * job_lock, job_unlock: take and drop ci's job slot lock.  On a vCPU
 * (any vCPU, not only ci) the section runs at IPL_HIGH, so that no
 * vcpu_intr runs a handler while this thread holds a job slot lock: a
 * handler that posts a job would deadlock on it, and pthread mutexes
 * are not async-signal-safe.  Dropping the level takes what came
 * meanwhile (splx).
 * => job_lock returns what job_unlock needs.
 * => The level stays high across a pthread_cond_wait in the section
 *    (vcpu_join, vcpu_intr_block called on a vCPU): such a vCPU takes
 *    no interrupt until the wait ends, as a CPU that sleeps with
 *    interrupts masked.  So a vCPU must not join a vCPU whose job waits
 *    for the joiner's acknowledgement (the kernel's rule: no sleeping
 *    with a spin mutex held); vcpu_join says so.
 */
static int
job_lock(struct cpu_info *ci)
{
	const int s = curcpu() != NULL ? splhigh() : -1;

	pthread_mutex_lock(&ci->ci_job_lock);
	return s;
}

static void
job_unlock(struct cpu_info *ci, int s)
{

	pthread_mutex_unlock(&ci->ci_job_lock);
	if (s != -1)
		splx(s);
}

/*
 * vcpu_bind_default: pin the calling thread to PU pu and read it back.
 * => pu must be in the affinity the thread inherited (the creating
 *    thread's: the process's allowed set, narrowed by taskset or not).
 * => Returns 0, or -1 with "cannot bind to PU N: why" in err.
 */
static int
vcpu_bind_default(void *ctx, unsigned idx, int pu, char *err, size_t errlen)
{
	size_t nbits = CPU_SETSIZE, sz;
	cpu_set_t *want = NULL, *got = NULL, *allowed = NULL;
	bool in_allowed = true;
	int rc, ret = -1;

	(void)ctx;
	(void)idx;
	if (pu < 0) {
		snprintf(err, errlen, "cannot bind to PU %d: not a PU number",
		    pu);
		return -1;
	}
	while ((size_t)pu >= nbits)
		nbits *= 2;

	/* What this thread inherited, for the message; grow to the kernel's. */
	for (;;) {
		sz = CPU_ALLOC_SIZE(nbits);
		CPU_FREE(allowed);
		if ((allowed = CPU_ALLOC(nbits)) == NULL) {
			snprintf(err, errlen, "cannot bind to PU %d: "
			    "out of memory", pu);
			return -1;
		}
		if (pthread_getaffinity_np(pthread_self(), sz, allowed) == 0) {
			in_allowed = CPU_ISSET_S((size_t)pu, sz, allowed);
			break;
		}
		if (nbits >= (1u << 20))
			break;		/* cannot tell; no hint */
		nbits *= 2;
	}
	/*
	 * Respect the affinity the process was given (taskset, cgroups):
	 * a PU outside it is refused even where the kernel would allow it.
	 */
	if (!in_allowed) {
		snprintf(err, errlen, "cannot bind to PU %d: %s (PU not in "
		    "this process's allowed set)", pu, strerror(EINVAL));
		goto out;
	}
	sz = CPU_ALLOC_SIZE(nbits);
	want = CPU_ALLOC(nbits);
	got = CPU_ALLOC(nbits);
	if (want == NULL || got == NULL) {
		snprintf(err, errlen, "cannot bind to PU %d: out of memory", pu);
		goto out;
	}
	CPU_ZERO_S(sz, want);
	CPU_SET_S((size_t)pu, sz, want);
	if ((rc = pthread_setaffinity_np(pthread_self(), sz, want)) != 0) {
		snprintf(err, errlen, "cannot bind to PU %d: %s", pu,
		    strerror(rc));
		goto out;
	}
	CPU_ZERO_S(sz, got);
	if ((rc = pthread_getaffinity_np(pthread_self(), sz, got)) != 0) {
		snprintf(err, errlen, "cannot bind to PU %d: reading the "
		    "affinity back: %s", pu, strerror(rc));
		goto out;
	}
	if (!CPU_EQUAL_S(sz, want, got)) {
		snprintf(err, errlen, "cannot bind to PU %d: the affinity "
		    "read back holds %d PUs, not that PU alone", pu,
		    CPU_COUNT_S(sz, got));
		goto out;
	}
	ret = 0;
out:
	CPU_FREE(allowed);
	CPU_FREE(want);
	CPU_FREE(got);
	return ret;
}

/* start_report: tell ipi_machine_start that ci is bound (1) or failed. */
static void
start_report(struct cpu_info *ci, int how)
{

	pthread_mutex_lock(&start_lock);
	ci->ci_start = how;
	start_reported++;
	pthread_cond_broadcast(&start_cv);
	pthread_mutex_unlock(&start_lock);
}

/* vcpu_run_job: run the job posted on ci, mark it done, wake the poster. */
static void
vcpu_run_job(struct cpu_info *ci)
{
	void (*fn)(void *);
	void *arg;
	int s;

	s = job_lock(ci);
	fn = ci->ci_job_fn;
	arg = ci->ci_job_arg;
	job_unlock(ci, s);

	fn(arg);

	s = job_lock(ci);
	ci->ci_job_fn = NULL;
	ci->ci_job_arg = NULL;
	atomic_store(&ci->ci_job_posted, false);
	pthread_cond_broadcast(&ci->ci_job_cv);
	job_unlock(ci, s);
}

/*
 * vcpu_main: a vCPU's thread: bind, the backend's start, report, the idle
 * loop, the backend's stop.
 */
static void *
vcpu_main(void *arg)
{
	struct cpu_info *ci = arg;
	const struct vcpu_config *cfg = start_cfg;
	const struct ipi_backend_ops *ops = machine_ops;
	char name[16], why[200];
	int rc;

	snprintf(name, sizeof(name), "vcpu%u", ci->ci_index);
	(void)pthread_setname_np(pthread_self(), name);	/* cosmetic */

	ci->ci_err[0] = '\0';
	if (cfg->bind != NULL)
		rc = cfg->bind(cfg->bind_ctx, ci->ci_index, ci->ci_pu,
		    ci->ci_err, sizeof(ci->ci_err));
	else
		rc = vcpu_bind_default(NULL, ci->ci_index, ci->ci_pu,
		    ci->ci_err, sizeof(ci->ci_err));
	if (rc != 0) {
		if (ci->ci_err[0] == '\0')
			snprintf(ci->ci_err, sizeof(ci->ci_err),
			    "cannot bind to PU %d", ci->ci_pu);
		start_report(ci, -1);
		return NULL;
	}
	ci->ci_tid = (pid_t)syscall(SYS_gettid);
	curcpu_ci = ci;
	why[0] = '\0';
	if (ops->start != NULL && ops->start(ci, why, sizeof(why)) != 0) {
		snprintf(ci->ci_err, sizeof(ci->ci_err), "backend %s: %s",
		    ops->name, why[0] != '\0' ? why : "start failed");
		curcpu_ci = NULL;
		start_report(ci, -1);
		return NULL;
	}
	start_report(ci, 1);

	for (;;) {
		if (intr_take(ci))
			continue;
		if (atomic_load(&ci->ci_job_posted)) {
			/*
			 * Take what is pending now first: a job posted after
			 * a trigger runs after its handler (itl_flush-style
			 * waits rely on it).
			 */
			(void)intr_take(ci);
			vcpu_run_job(ci);
			continue;
		}
		if (atomic_load(&ci->ci_stop))
			break;
		ops->idle(ci);
	}
	if (ops->stop != NULL)
		ops->stop(ci);
	curcpu_ci = NULL;
	return NULL;
}

/*
 * ipi_machine_start: create the vCPUs, run ipi_sysinit() and
 * ipi_percpu_init(), start every vCPU in its idle loop.
 * => No machine may be running.
 * => Everything is checked before a thread starts: n in 1..IPI_MAXCPUS,
 *    specs given, a backend given with its name, idle and kick, each state
 *    IPI_PERCPU_ALIGN aligned and used by one vCPU only.
 * => The backend's state (zeroed), then its init for each vCPU; each
 *    thread runs its start before it reports (backend.h).
 * => Waits at most VCPU_START_TIMEOUT_S for every vCPU to report bound.
 * => Returns 0; or -1 with a message in err naming the input at fault,
 *    having stopped and joined what it started and freed what it took.
 */
int
ipi_machine_start(const struct vcpu_config *cfg, char *err, size_t errlen)
{
	const struct ipi_backend_ops *ops;
	struct cpu_info *cis;
	void *states = NULL;
	size_t stride = 0;
	unsigned n, ninit = 0, nthreads = 0;
	bool shared;
	int rc;

	if (machine_running) {
		snprintf(err, errlen, "a machine of %u vCPUs is already "
		    "running (ipi_machine_stop it first)", ncpu);
		return -1;
	}
	if (cfg == NULL) {
		snprintf(err, errlen, "no vCPU configuration given");
		return -1;
	}
	n = cfg->n;
	if (n < 1 || n > IPI_MAXCPUS) {
		snprintf(err, errlen, "%u vCPUs: expected 1 to %u", n,
		    IPI_MAXCPUS);
		return -1;
	}
	if (cfg->specs == NULL) {
		snprintf(err, errlen, "%u vCPUs but no vCPU specs", n);
		return -1;
	}
	if ((ops = cfg->backend) == NULL) {
		snprintf(err, errlen, "no backend given (the configuration's "
		    "backend is NULL: ipi_backend_lookup() turns a name into "
		    "one)");
		return -1;
	}
	if (ops->name == NULL || ops->idle == NULL || ops->kick == NULL) {
		snprintf(err, errlen, "backend %s: no %s",
		    ops->name != NULL ? ops->name : "(unnamed)",
		    ops->name == NULL ? "name" : ops->idle == NULL ? "idle" :
		    "kick");
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct vcpu_spec *s = &cfg->specs[i];

		if (s->pu < 0) {
			snprintf(err, errlen, "vCPU %u: PU %d: expected a PU "
			    "number >= 0", i, s->pu);
			return -1;
		}
		if (s->state == NULL)
			continue;
		if ((uintptr_t)s->state % IPI_PERCPU_ALIGN != 0) {
			snprintf(err, errlen, "vCPU %u: state at %p is not "
			    "%zu-byte aligned", i, (void *)s->state,
			    (size_t)IPI_PERCPU_ALIGN);
			return -1;
		}
		for (unsigned j = 0; j < i; j++) {
			if (cfg->specs[j].state == s->state) {
				snprintf(err, errlen, "vCPU %u: state at %p "
				    "is also vCPU %u's", i, (void *)s->state,
				    j);
				return -1;
			}
		}
	}

	/* PUs may repeat (an oversubscribed machine). */
	shared = false;
	for (unsigned i = 0; i < n && !shared; i++)
		for (unsigned j = 0; j < i && !shared; j++)
			shared = cfg->specs[j].pu == cfg->specs[i].pu;

	/* Build the cpu_infos. */
	cis = aligned_alloc(CACHE_LINE_SIZE,
	    ((n * sizeof(*cis) + CACHE_LINE_SIZE - 1) / CACHE_LINE_SIZE) *
	    CACHE_LINE_SIZE);
	if (cis == NULL) {
		snprintf(err, errlen, "%u vCPUs: out of memory", n);
		return -1;
	}
	memset(cis, 0, n * sizeof(*cis));
	for (unsigned i = 0; i < n; i++) {
		struct cpu_info *ci = &cis[i];

		ci->ci_index = i;
		ci->ci_pu = cfg->specs[i].pu;
		ci->ci_ipi = cfg->specs[i].state;
		ci->ci_tid = -1;
		atomic_init(&ci->ci_ipl, IPL_NONE);
		atomic_init(&ci->ci_intr_blocked, false);
		atomic_init(&ci->ci_mboxfull_ev, 0);
		atomic_init(&ci->ci_job_posted, false);
		atomic_init(&ci->ci_stop, false);
		atomic_init(&ci->ci_ipi_pass, 0);
		for (unsigned pt = 0; pt < IPI_FP_COUNT; pt++) {
			atomic_init(&ci->ci_fault_hook[pt], NULL);
			atomic_init(&ci->ci_fault_arg[pt], NULL);
		}
		pthread_mutex_init(&ci->ci_job_lock, NULL);
		if ((rc = cond_init_monotonic(&ci->ci_job_cv)) != 0) {
			pthread_mutex_destroy(&ci->ci_job_lock);
			snprintf(err, errlen, "vCPU %u: pthread_cond_init: %s",
			    i, strerror(rc));
			goto fail;
		}
		ninit = i + 1;
		if (ci->ci_ipi == NULL) {
			ci->ci_ipi = aligned_alloc(IPI_PERCPU_ALIGN,
			    IPI_PERCPU_SIZE);
			if (ci->ci_ipi == NULL) {
				snprintf(err, errlen, "vCPU %u: out of memory",
				    i);
				goto fail;
			}
			ci->ci_ipi_owned = true;
		}
	}
	/* The backend's states: zeroed, each on cache lines of its own. */
	if (ops->state_size != 0) {
		stride = (ops->state_size + CACHE_LINE_SIZE - 1) /
		    CACHE_LINE_SIZE * CACHE_LINE_SIZE;
		if ((states = aligned_alloc(CACHE_LINE_SIZE, n * stride)) ==
		    NULL) {
			snprintf(err, errlen, "backend %s: %u states of %zu "
			    "bytes: out of memory", ops->name, n,
			    ops->state_size);
			goto fail;
		}
		memset(states, 0, n * stride);
		for (unsigned i = 0; i < n; i++)
			cis[i].ci_backend = (char *)states + i * stride;
	}
	/* The backend, vCPU by vCPU: fini only those whose init worked. */
	for (unsigned i = 0; i < n && ops->init != NULL; i++) {
		char why[256] = "";

		if (ops->init(&cis[i], why, sizeof(why)) != 0) {
			snprintf(err, errlen, "vCPU %u: backend %s: %s", i,
			    ops->name, why[0] != '\0' ? why : "init failed");
			for (unsigned j = 0; j < i && ops->fini != NULL; j++)
				ops->fini(&cis[j]);
			goto fail;
		}
	}

	/* The seed's globals, then the IPI subsystem, as at boot. */
	cpu_infos = cis;
	ncpu = n;
	machine_ops = ops;
	machine_states = states;
	machine_shared = shared;
	kcpuset_zero(&attached_set);
	for (unsigned i = 0; i < n; i++)
		kcpuset_set(&attached_set, i);
	ipi_sysinit();
	ipi_percpu_init();

	/* Start the threads; each binds itself and reports. */
	if ((rc = cond_init_monotonic(&start_cv)) != 0) {
		snprintf(err, errlen, "pthread_cond_init: %s", strerror(rc));
		goto fail_backend;
	}
	start_reported = 0;
	start_cfg = cfg;
	for (unsigned i = 0; i < n; i++) {
		rc = pthread_create(&cis[i].ci_thread, NULL, vcpu_main, &cis[i]);
		if (rc != 0) {
			snprintf(err, errlen, "vCPU %u: pthread_create: %s",
			    i, strerror(rc));
			break;
		}
		nthreads++;
	}

	/* Wait, bounded, for every thread started to report. */
	struct timespec deadline = abstime_after(
	    (uint64_t)VCPU_START_TIMEOUT_S * 1000000000u);
	bool timedout = false;
	int failed = -1;

	pthread_mutex_lock(&start_lock);
	while (start_reported < nthreads && !timedout) {
		if (pthread_cond_timedwait(&start_cv, &start_lock,
		    &deadline) == ETIMEDOUT)
			timedout = true;
	}
	for (unsigned i = 0; i < nthreads && failed < 0; i++) {
		if (cis[i].ci_start == -1)
			failed = (int)i;
	}
	if (failed < 0 && timedout) {
		for (unsigned i = 0; i < nthreads; i++) {
			if (cis[i].ci_start == 0) {
				snprintf(err, errlen, "vCPU %u: PU %d: did "
				    "not report bound within %d s", i,
				    cis[i].ci_pu, VCPU_START_TIMEOUT_S);
				break;
			}
		}
	} else if (failed >= 0) {
		snprintf(err, errlen, "vCPU %d: %s", failed,
		    cis[failed].ci_err);
	}
	pthread_mutex_unlock(&start_lock);

	if (failed < 0 && !timedout && nthreads == n) {
		start_cfg = NULL;
		machine_running = true;
		return 0;
	}

	/* Undo: stop and join every thread started. */
	for (unsigned i = 0; i < nthreads; i++) {
		atomic_store(&cis[i].ci_stop, true);
		ops->kick(&cis[i]);
	}
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(cis[i].ci_thread, NULL);
	pthread_cond_destroy(&start_cv);
	start_cfg = NULL;
fail_backend:
	for (unsigned i = 0; i < n && ops->fini != NULL; i++)
		ops->fini(&cis[i]);
	cpu_infos = NULL;
	ncpu = 0;
	machine_ops = NULL;
	machine_states = NULL;
	machine_shared = false;
	kcpuset_zero(&attached_set);
fail:
	for (unsigned i = 0; i < ninit; i++) {
		if (cis[i].ci_ipi_owned)
			free(cis[i].ci_ipi);
		pthread_cond_destroy(&cis[i].ci_job_cv);
		pthread_mutex_destroy(&cis[i].ci_job_lock);
	}
	free(states);
	free(cis);
	return -1;
}

/*
 * ipi_machine_stop: stop and join every vCPU, free what start allocated.
 * => Any job posted must have completed (a running one is waited for).
 * => Idempotent: without a running machine it does nothing.
 */
void
ipi_machine_stop(void)
{
	const unsigned n = ncpu;

	if (!machine_running)
		return;
	KASSERT(curcpu() == NULL);
	for (unsigned i = 0; i < n; i++) {
		atomic_store(&cpu_infos[i].ci_stop, true);
		machine_ops->kick(&cpu_infos[i]);
	}
	for (unsigned i = 0; i < n; i++)
		pthread_join(cpu_infos[i].ci_thread, NULL);
	for (unsigned i = 0; i < n; i++) {
		struct cpu_info *ci = &cpu_infos[i];

		if (machine_ops->fini != NULL)
			machine_ops->fini(ci);
		if (ci->ci_ipi_owned)
			free(ci->ci_ipi);
		pthread_cond_destroy(&ci->ci_job_cv);
		pthread_mutex_destroy(&ci->ci_job_lock);
	}
	pthread_cond_destroy(&start_cv);
	ncpu = 0;
	kcpuset_zero(&attached_set);
	free(cpu_infos);
	free(machine_states);
	cpu_infos = NULL;
	machine_ops = NULL;
	machine_states = NULL;
	machine_shared = false;
	machine_running = false;
}

/*
 * curcpu: the vCPU the calling thread is.
 * => NULL off a vCPU thread.
 */
struct cpu_info *
curcpu(void)
{

	return curcpu_ci;
}

/*
 * cpu_lookup: vCPU idx of the running machine.
 * => idx < ncpu.
 */
struct cpu_info *
cpu_lookup(cpuid_t idx)
{

	KASSERT(idx < ncpu);
	return &cpu_infos[idx];
}

/*
 * cpu_index: the index of ci, 0 .. ncpu-1.
 * => ci is a vCPU of the running machine.
 */
cpuid_t
cpu_index(const struct cpu_info *ci)
{

	KASSERT(ci != NULL);
	return ci->ci_index;
}

/*
 * cpu_ipi_state: the placed IPI state of ci (mailbox, pending words).
 */
struct ipi_percpu *
cpu_ipi_state(struct cpu_info *ci)
{

	return ci->ci_ipi;
}

/* cpu_pu: the PU ci is pinned to (OS index). */
int
cpu_pu(const struct cpu_info *ci)
{

	return ci->ci_pu;
}

/*
 * cpu_tid: ci's thread id.
 * => Valid once ipi_machine_start returned 0.
 */
pid_t
cpu_tid(const struct cpu_info *ci)
{

	return ci->ci_tid;
}

/*
 * vcpu_post: make vCPU ci run fn(arg) from its idle loop.
 * => At most one job per vCPU at a time: -EBUSY if one is unfinished.
 * => Returns 0 once the job is posted and ci kicked.
 */
int
vcpu_post(struct cpu_info *ci, void (*fn)(void *), void *arg)
{
	int s;

	KASSERT(machine_running);
	KASSERT(ci != NULL && fn != NULL);
	s = job_lock(ci);
	if (atomic_load(&ci->ci_job_posted)) {
		job_unlock(ci, s);
		return -EBUSY;
	}
	ci->ci_job_fn = fn;
	ci->ci_job_arg = arg;
	atomic_store(&ci->ci_job_posted, true);
	/* Kick before the level drops: the caller's own pending handlers
	 * (job_unlock's splx) must not delay ci. */
	pthread_mutex_unlock(&ci->ci_job_lock);
	machine_ops->kick(ci);
	if (s != -1)
		splx(s);
	return 0;
}

/*
 * vcpu_join: wait, sleeping, for the job posted on ci to finish.
 * => Not on ci itself (it would wait for itself).
 * => timeout_ns 0 waits forever.
 * => Returns 0 (also when no job was posted), or -ETIMEDOUT.
 */
int
vcpu_join(struct cpu_info *ci, uint64_t timeout_ns)
{
	struct timespec deadline;
	int rc = 0, s;

	KASSERT(ci != NULL);
	KASSERT(curcpu() != ci);
	if (timeout_ns != 0)
		deadline = abstime_after(timeout_ns);
	s = job_lock(ci);
	while (atomic_load(&ci->ci_job_posted)) {
		if (timeout_ns == 0) {
			pthread_cond_wait(&ci->ci_job_cv, &ci->ci_job_lock);
		} else if (pthread_cond_timedwait(&ci->ci_job_cv,
		    &ci->ci_job_lock, &deadline) == ETIMEDOUT) {
			if (atomic_load(&ci->ci_job_posted))
				rc = -ETIMEDOUT;
			break;
		}
	}
	job_unlock(ci, s);
	return rc;
}

/*
 * vcpu_call: vcpu_post() then vcpu_join().
 * => Returns 0, -EBUSY (nothing posted) or -ETIMEDOUT (still running).
 */
int
vcpu_call(struct cpu_info *ci, void (*fn)(void *), void *arg,
    uint64_t timeout_ns)
{
	int rc;

	if ((rc = vcpu_post(ci, fn, arg)) != 0)
		return rc;
	return vcpu_join(ci, timeout_ns);
}

/* intr_block_job: vcpu_intr_block's job, on the vCPU itself. */
static void
intr_block_job(void *arg)
{
	struct cpu_info *ci = arg;

	atomic_store(&ci->ci_intr_blocked, true);
}

/*
 * vcpu_intr_block: block interrupts on ci.
 * => Runs a job on ci that sets the block (so ci is not in a handler
 *    when this returns); first waits for a job already posted on ci.
 * => Returns 0 once ci handles nothing more; or -ETIMEDOUT after
 *    timeout_ns (0: forever), and the block still happens when ci gets
 *    to it.
 */
int
vcpu_intr_block(struct cpu_info *ci, uint64_t timeout_ns)
{
	struct timespec deadline;
	uint64_t t0 = 0;
	int s;

	KASSERT(machine_running);
	KASSERT(ci != NULL);
	if (ci == curcpu()) {
		atomic_store(&ci->ci_intr_blocked, true);
		return 0;
	}
	if (timeout_ns != 0) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		t0 = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
		deadline = abstime_after(timeout_ns);
	}
	s = job_lock(ci);
	while (atomic_load(&ci->ci_job_posted)) {
		if (timeout_ns == 0) {
			pthread_cond_wait(&ci->ci_job_cv, &ci->ci_job_lock);
		} else if (pthread_cond_timedwait(&ci->ci_job_cv,
		    &ci->ci_job_lock, &deadline) == ETIMEDOUT &&
		    atomic_load(&ci->ci_job_posted)) {
			job_unlock(ci, s);
			return -ETIMEDOUT;
		}
	}
	ci->ci_job_fn = intr_block_job;
	ci->ci_job_arg = ci;
	atomic_store(&ci->ci_job_posted, true);
	job_unlock(ci, s);
	machine_ops->kick(ci);

	if (timeout_ns != 0) {
		struct timespec now;
		uint64_t t;

		clock_gettime(CLOCK_MONOTONIC, &now);
		t = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
		timeout_ns = t - t0 >= timeout_ns ? 1 : timeout_ns - (t - t0);
	}
	return vcpu_join(ci, timeout_ns);
}

/*
 * vcpu_intr_unblock: unblock interrupts on ci and kick it, so that it
 * handles everything pending.
 * => Callable from any thread; on ci itself, takes what is pending.
 */
void
vcpu_intr_unblock(struct cpu_info *ci)
{

	KASSERT(machine_running);
	KASSERT(ci != NULL);
	atomic_store(&ci->ci_intr_blocked, false);
	if (ci == curcpu())
		cpu_intr_poll();
	else
		machine_ops->kick(ci);
}

/*
 * splhigh: block interrupts on the calling vCPU.
 * => On a vCPU.  Returns the previous level for splx().
 */
int
splhigh(void)
{
	struct cpu_info *ci = curcpu();
	int s;

	KASSERT(ci != NULL);
	s = atomic_load_explicit(&ci->ci_ipl, memory_order_relaxed);
	atomic_store_explicit(&ci->ci_ipl, IPL_HIGH, memory_order_relaxed);
	/* What splhigh masks stays after the raise (vcpu_intr). */
	atomic_signal_fence(memory_order_seq_cst);
	return s;
}

/*
 * splx: restore the level splhigh() returned.
 * => On a vCPU.  Lowering to IPL_NONE takes the interrupts that were
 *    held pending, as the hardware delivers them on unmasking: every
 *    one pending, also those that come while it takes them.
 */
void
splx(int s)
{
	struct cpu_info *ci = curcpu();

	KASSERT(ci != NULL);
	KASSERT(s == IPL_NONE || s == IPL_HIGH);
	/* What splhigh masked stays before the drop (vcpu_intr). */
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&ci->ci_ipl, s, memory_order_relaxed);
	if (s == IPL_NONE)
		(void)intr_take(ci);
}

/*
 * cpu_intr_poll: take a pending interrupt if the calling vCPU may.
 * => Anywhere; does nothing off a vCPU or with interrupts blocked.
 * => On a machine whose vCPUs share PUs, then yield the PU (the essay
 *    at the top says why).
 */
void
cpu_intr_poll(void)
{
	struct cpu_info *ci = curcpu();

	if (ci == NULL)
		return;
	(void)intr_take(ci);
	if (machine_shared)
		(void)sched_yield();
}

/*
 * cpu_intr_enabled: whether the calling vCPU takes interrupts now.
 * => On a vCPU.
 */
bool
cpu_intr_enabled(void)
{
	struct cpu_info *ci = curcpu();

	KASSERT(ci != NULL);
	return intr_enabled(ci);
}

/*
 * cpu_ipi: make ci notice its pending words: the backend's kick.
 * => After the store that set the pending bit.
 */
void
cpu_ipi(struct cpu_info *ci)
{

	machine_ops->kick(ci);
}

/*
 * vcpu_has_work: whether ci has something to do: IPIs pending while
 * interrupts are unblocked, a posted job, or a stop request.
 * => Sequentially consistent loads (backends' handshake, futex.c).
 */
bool
vcpu_has_work(struct cpu_info *ci)
{

	return (intr_enabled(ci) && intr_pending(ci)) ||
	    atomic_load(&ci->ci_job_posted) || atomic_load(&ci->ci_stop);
}

/*
 * vcpu_backend_state: ci's state of the machine's backend (backend.h).
 * => NULL when the backend's state_size is 0.
 */
void *
vcpu_backend_state(struct cpu_info *ci)
{

	KASSERT(ci != NULL);
	return ci->ci_backend;
}

/*
 * vcpu_intr: the interrupt entry of a backend that interrupts a running
 * vCPU (backend.h has the contract): take ci's pending IPIs now unless
 * ci masks them.
 * => ci's own thread, typically in a signal handler; NULL does nothing.
 * => Masked (IPL_HIGH: inside a pass or a job slot section, or the
 *    code's own splhigh; or vcpu_intr_block): leaves them pending, to
 *    the splx/unblock/idle loop that drops the mask.  Unmasked: no pass
 *    runs on ci now (every pass runs at IPL_HIGH), so the pass here
 *    nests in none; intr_take restores IPL_NONE when it is done.
 * => Keeps errno: it may interrupt code between a system call and its
 *    errno check (futex.c's idle).
 */
void
vcpu_intr(struct cpu_info *ci)
{
	const int saved_errno = errno;

	if (ci == NULL)
		return;
	KASSERT(ci == curcpu());
	if (intr_enabled(ci)) {
		KASSERT(ci->ci_ipi_depth == 0);
		(void)intr_take(ci);
	}
	errno = saved_errno;
}
