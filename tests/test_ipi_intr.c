/*
 * test_ipi_intr.c: vcpu_intr (backend.h), the interrupt entry of a
 * backend that interrupts a running vCPU, called from a real signal
 * handler, on every backend.
 *
 * The test plays such a backend: INTR_SIG's handler calls
 * vcpu_intr(curcpu()), and the test thread sends INTR_SIG to vCPU 1's
 * thread (tgkill) while vCPU 1 is busy: in a job that spins without
 * polling, or in a handler.  There no backend's idle or kick and no
 * cpu_intr_poll() delivers an IPI; only vcpu_intr can.
 *
 *   taken      job at IPL_NONE: the IPI's handler runs inside the
 *              signal handler, on vCPU 1, while the job spins.
 *   masked     job at splhigh (spl), or blocked by vcpu_intr_block
 *              (block): the signal comes and goes, nothing runs; the
 *              job's splx (vcpu_intr_unblock) runs it, outside the
 *              signal.
 *   in_pass    the signal comes while a handler pass runs on vCPU 1
 *              (IPL_HIGH): the second IPI is not taken inside the
 *              first's pass (no nested pass); it runs after the first
 *              handler returned, when the level drops.
 *
 * Every wait is bounded (ITL_TIMEOUT_NS).  The signal handler keeps
 * errno, and takes nothing but vcpu_intr's own path and atomics.
 * ThreadSanitizer defers a signal that hits user code until the thread's
 * next intercepted call: the spinning job reads the clock through
 * clock_gettime (intercepted), so the signal is still delivered inside
 * the job, and the test runs under SAN=thread as it is.
 */
#include <signal.h>
#include <sys/syscall.h>

#include "ipi_testlib.h"

#define	INTR_SIG	(SIGRTMIN + 3)	/* no backend of the table uses it */
#define	INTR_TGT	1u		/* the vCPU that is interrupted */

enum { PH_NONE, PH_SPINNING, PH_UNMASKING, PH_DONE };
enum { MODE_NONE, MODE_SPL, MODE_BLOCK };

/* What the handlers and the job saw; the test thread asserts on it. */
static struct {
	unsigned	id, id2;	/* registered IPIs */
	int		mode;		/* the job's masking */
	_Atomic int	phase;		/* the job's */
	_Atomic int	release;	/* the test lets the job (or A) end */
	_Atomic unsigned sigs_in, sigs_out;	/* signals on INTR_TGT:
						 * entered, left */
	_Atomic unsigned runs;		/* the IPI's handler runs */
	_Atomic int	ran_on;		/* vCPU it ran on, -1 none */
	_Atomic int	ran_in_signal;	/* inside INTR_SIG's handler */
	_Atomic int	ran_phase;	/* the job's phase then */
	_Atomic unsigned runs_before, runs_after;	/* around the unmask */
	_Atomic int	a_running, a_done;	/* in_pass: the first handler */
	_Atomic int	b_saw_a_done;	/* in_pass: the second saw it done */
	_Atomic int	job_timed_out;
} it;

/* Whether this thread is inside INTR_SIG's handler. */
static _Thread_local volatile sig_atomic_t in_signal;

/* intr_sig: the backend's signal handler: the interrupt entry. */
static void
intr_sig(int sig)
{
	const int saved_errno = errno;
	struct cpu_info *ci = curcpu();
	const bool tgt = ci != NULL && cpu_index(ci) == INTR_TGT;

	(void)sig;
	if (tgt)
		atomic_fetch_add(&it.sigs_in, 1);
	in_signal = 1;
	vcpu_intr(ci);
	in_signal = 0;
	if (tgt)
		atomic_fetch_add(&it.sigs_out, 1);
	errno = saved_errno;
}

/* intr_ipi: the IPI's handler: note where and when it runs. */
static void
intr_ipi(void *arg)
{
	struct cpu_info *ci = curcpu();

	(void)arg;
	atomic_store(&it.ran_on, ci != NULL ? (int)cpu_index(ci) : -1);
	atomic_store(&it.ran_in_signal, in_signal != 0);
	atomic_store(&it.ran_phase, atomic_load(&it.phase));
	atomic_store(&it.b_saw_a_done, atomic_load(&it.a_done));
	atomic_fetch_add(&it.runs, 1);
}

/* intr_ipi_a: in_pass's first handler: holds the pass until released. */
static void
intr_ipi_a(void *arg)
{
	const uint64_t deadline = itl_now_ns() + ITL_TIMEOUT_NS;

	(void)arg;
	atomic_store(&it.a_running, 1);
	while (!atomic_load(&it.release) && itl_now_ns() < deadline)
		continue;
	atomic_store(&it.a_done, 1);
}

/*
 * spin_job: vCPU 1's job: mask as it.mode says, spin (no poll) until
 * released, unmask, noting the runs on either side.
 */
static void
spin_job(void *arg)
{
	const uint64_t deadline = itl_now_ns() + ITL_TIMEOUT_NS;
	struct cpu_info *ci = curcpu();
	int s = 0;

	(void)arg;
	if (it.mode == MODE_SPL)
		s = splhigh();
	else if (it.mode == MODE_BLOCK)
		(void)vcpu_intr_block(ci, 0);
	atomic_store(&it.phase, PH_SPINNING);
	while (!atomic_load(&it.release) && itl_now_ns() < deadline)
		continue;
	atomic_store(&it.job_timed_out, !atomic_load(&it.release));
	atomic_store(&it.runs_before, atomic_load(&it.runs));
	atomic_store(&it.phase, PH_UNMASKING);
	if (it.mode == MODE_SPL)
		splx(s);
	else if (it.mode == MODE_BLOCK)
		vcpu_intr_unblock(ci);
	atomic_store(&it.runs_after, atomic_load(&it.runs));
	atomic_store(&it.phase, PH_DONE);
}

static void
register_job(void *arg)
{
	(void)arg;
	it.id = ipi_register(intr_ipi, NULL);
	it.id2 = ipi_register(intr_ipi_a, NULL);
}

static void
unregister_job(void *arg)
{
	(void)arg;
	ipi_unregister(it.id);
	ipi_unregister(it.id2);
}

static void
trigger_job(void *arg)
{
	ipi_trigger(*(unsigned *)arg, cpu_lookup(INTR_TGT));
}

/* wait_for: wait, bounded, until *v >= want; fails naming what. */
static void
wait_for(_Atomic unsigned *v, unsigned want, const char *what)
{
	const uint64_t deadline = itl_now_ns() + ITL_TIMEOUT_NS;

	while (atomic_load(v) < want && itl_now_ns() < deadline)
		itl_sleep_us(100);
	cr_assert_geq(atomic_load(v), want, "%s: not within %llu s", what,
	    ITL_TIMEOUT_NS / ITL_NS);
}

static void
wait_int(_Atomic int *v, int want, const char *what)
{
	const uint64_t deadline = itl_now_ns() + ITL_TIMEOUT_NS;

	while (atomic_load(v) != want && itl_now_ns() < deadline)
		itl_sleep_us(100);
	cr_assert_eq(atomic_load(v), want, "%s: not within %llu s", what,
	    ITL_TIMEOUT_NS / ITL_NS);
}

/* pending_on_tgt: whether IPI id is pending on INTR_TGT. */
static bool
pending_on_tgt(unsigned id)
{
	struct ipi_percpu *ps = cpu_ipi_state(itl_cpu(INTR_TGT));

	return (atomic_load(&ps->ipipend[id >> IPI_BITW_SHIFT]) >>
	    (id & IPI_BITW_MASK)) & 1;
}

/* kick_tgt: send INTR_SIG to INTR_TGT's thread. */
static void
kick_tgt(void)
{
	const pid_t tid = cpu_tid(itl_cpu(INTR_TGT));

	cr_assert_eq(syscall(SYS_tgkill, getpid(), tid, INTR_SIG), 0,
	    "tgkill(vCPU %u, thread %d): %s", INTR_TGT, (int)tid,
	    strerror(errno));
}

/* intr_setup: the handler, a machine of 2 vCPUs, the two IPIs. */
static void
intr_setup(const struct ipi_backend_ops *ops, struct sigaction *old)
{
	struct sigaction sa;

	memset(&it, 0, sizeof(it));
	atomic_store(&it.ran_on, -1);
	atomic_store(&it.ran_phase, PH_NONE);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = intr_sig;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(INTR_SIG, &sa, old), 0, "sigaction: %s",
	    strerror(errno));
	itl_start(ops, itl_nvcpus(ops, 2, 2));
	itl_call(0, register_job, NULL, "ipi_register");
	cr_assert(it.id != 0 && it.id2 != 0, "ipi_register = %u, %u", it.id,
	    it.id2);
}

static void
intr_teardown(const struct sigaction *old)
{
	itl_call(0, unregister_job, NULL, "ipi_unregister");
	itl_stop();
	sigaction(INTR_SIG, old, NULL);
}

/*
 * taken: vCPU 1 spins in a job at IPL_NONE; the IPI sent to it waits
 * (nothing polls); the signal makes vcpu_intr run it, there and then.
 */
static void
taken(const struct ipi_backend_ops *ops)
{
	struct sigaction old;

	intr_setup(ops, &old);
	it.mode = MODE_NONE;
	itl_post(INTR_TGT, spin_job, NULL, "spinning job");
	wait_int(&it.phase, PH_SPINNING, "vCPU 1's job spinning");
	itl_call(0, trigger_job, &it.id, "ipi_trigger to vCPU 1");
	cr_expect(pending_on_tgt(it.id), "the IPI is not pending on vCPU 1 "
	    "after ipi_trigger returned (ran %u times)",
	    atomic_load(&it.runs));
	cr_expect_eq(atomic_load(&it.runs), 0, "the IPI ran before the "
	    "signal, while vCPU 1 spun without polling");

	kick_tgt();
	wait_for(&it.runs, 1, "the IPI's handler after the signal");
	atomic_store(&it.release, 1);
	itl_join(INTR_TGT, "spinning job");

	cr_expect_eq(atomic_load(&it.runs), 1, "the handler ran %u times, "
	    "want 1", atomic_load(&it.runs));
	cr_expect_eq(atomic_load(&it.ran_on), (int)INTR_TGT, "the handler "
	    "ran on vCPU %d", atomic_load(&it.ran_on));
	cr_expect(atomic_load(&it.ran_in_signal), "the handler did not run "
	    "inside the signal handler");
	cr_expect_eq(atomic_load(&it.ran_phase), PH_SPINNING, "the handler "
	    "ran in the job's phase %d, want spinning (%d)",
	    atomic_load(&it.ran_phase), PH_SPINNING);
	cr_expect(!atomic_load(&it.job_timed_out), "the job's spin timed out");
	cr_expect(!pending_on_tgt(it.id), "the IPI is still pending");
	intr_teardown(&old);
}
ITL_BACKEND_TESTS(intr, taken, ITL_TEST_TIMEOUT, taken)

/*
 * masked: as taken, with the job masking (splhigh, or vcpu_intr_block
 * on itself): the signal leaves the IPI pending; the unmask runs it.
 */
static void
masked(const struct ipi_backend_ops *ops, int mode, const char *how)
{
	struct sigaction old;

	intr_setup(ops, &old);
	it.mode = mode;
	itl_post(INTR_TGT, spin_job, NULL, "masked spinning job");
	wait_int(&it.phase, PH_SPINNING, "vCPU 1's masked job spinning");
	itl_call(0, trigger_job, &it.id, "ipi_trigger to vCPU 1");

	kick_tgt();
	wait_for(&it.sigs_out, 1, "the signal handler on vCPU 1");
	cr_expect_eq(atomic_load(&it.runs), 0, "%s: the IPI ran %u times "
	    "while masked", how, atomic_load(&it.runs));
	cr_expect(pending_on_tgt(it.id), "%s: the IPI is no longer pending "
	    "after a signal while masked", how);

	atomic_store(&it.release, 1);
	itl_join(INTR_TGT, "masked spinning job");
	cr_expect_eq(atomic_load(&it.runs_before), 0, "%s: the IPI ran "
	    "before the unmask", how);
	cr_expect_eq(atomic_load(&it.runs_after), 1, "%s: the IPI ran %u "
	    "times by the end of the unmask, want 1", how,
	    atomic_load(&it.runs_after));
	cr_expect(!atomic_load(&it.ran_in_signal), "%s: the IPI ran inside "
	    "the signal handler, while masked", how);
	cr_expect_eq(atomic_load(&it.ran_phase), PH_UNMASKING, "%s: the IPI "
	    "ran in the job's phase %d, want unmasking (%d)", how,
	    atomic_load(&it.ran_phase), PH_UNMASKING);
	cr_expect_eq(atomic_load(&it.ran_on), (int)INTR_TGT, "%s: the "
	    "handler ran on vCPU %d", how, atomic_load(&it.ran_on));
	intr_teardown(&old);
}

static void
masked_spl(const struct ipi_backend_ops *ops)
{
	masked(ops, MODE_SPL, "splhigh");
}
ITL_BACKEND_TESTS(intr, masked_spl, ITL_TEST_TIMEOUT, masked_spl)

static void
masked_block(const struct ipi_backend_ops *ops)
{
	masked(ops, MODE_BLOCK, "vcpu_intr_block");
}
ITL_BACKEND_TESTS(intr, masked_block, ITL_TEST_TIMEOUT, masked_block)

/*
 * in_pass: the signal comes while vCPU 1 runs a handler (IPL_HIGH): the
 * IPI pending then runs after that handler returned, not nested in it.
 */
static void
in_pass(const struct ipi_backend_ops *ops)
{
	struct sigaction old;

	intr_setup(ops, &old);
	itl_call(0, trigger_job, &it.id2, "ipi_trigger A to vCPU 1");
	wait_int(&it.a_running, 1, "handler A running on vCPU 1");
	itl_call(0, trigger_job, &it.id, "ipi_trigger B to vCPU 1");

	kick_tgt();
	wait_for(&it.sigs_out, 1, "the signal handler on vCPU 1");
	cr_expect_eq(atomic_load(&it.runs), 0, "B ran %u times inside A's "
	    "pass", atomic_load(&it.runs));

	atomic_store(&it.release, 1);
	wait_for(&it.runs, 1, "B after A returned");
	itl_flush(INTR_TGT);
	cr_expect_eq(atomic_load(&it.runs), 1, "B ran %u times, want 1",
	    atomic_load(&it.runs));
	cr_expect(atomic_load(&it.b_saw_a_done), "B ran before A returned: "
	    "a pass nested in a pass");
	cr_expect(!atomic_load(&it.ran_in_signal), "B ran inside the signal "
	    "handler, while A's pass ran");
	cr_expect_eq(atomic_load(&it.ran_on), (int)INTR_TGT, "B ran on "
	    "vCPU %d", atomic_load(&it.ran_on));
	intr_teardown(&old);
}
ITL_BACKEND_TESTS(intr, in_pass, ITL_TEST_TIMEOUT, in_pass)
