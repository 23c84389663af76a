/*
 * ipi_testlib.h: helpers shared by the Criterion tests of ipi/.
 *
 * Every test of the port runs once per delivery backend: ITL_BACKEND_TESTS
 * makes one body a Criterion parameterized test over ipi_backends[], so a
 * backend added to backend.c's table is tested with no test edit.  The
 * body gets the backend's ops; what depends on the backend depends on its
 * flags (ops->spins), never on its name.  While it runs, every failure
 * message starts with "backend NAME: " (itl_send_assert), and the log
 * says "backend NAME" at its start.
 *
 * A machine of vCPUs is started over the PUs this process may run on,
 * round-robin; a spinning backend's machine never has more vCPUs than
 * those PUs.
 *
 * Code that must run on a vCPU (every ipi_* call) runs as a job
 * (vcpu_call) bounded by ITL_TIMEOUT_NS; a job that does not finish fails
 * the test naming the vCPU.  Jobs record what they saw; the assertions
 * are made on the test's own thread (Criterion's asserts are not meant to
 * be called from other threads).
 *
 * Everything is static inline: each test file is one Criterion binary.
 */
#ifndef TESTS_IPI_TESTLIB_H
#define TESTS_IPI_TESTLIB_H

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipi/backend.h"
#include "ipi/cpuset.h"
#include "ipi/ipi.h"
#include "ipi/vcpu.h"

#define	ITL_MAXV	256		/* most vCPUs a test starts */
#define	ITL_NS		1000000000ull
#define	ITL_TIMEOUT_NS	(20 * ITL_NS)	/* a job or a wait this long hung */
#define	ITL_TEST_TIMEOUT 90		/* .timeout of an ordinary Test, s */

/* The backend the running test is for (itl_backend_at), or NULL. */
static const struct ipi_backend_ops *itl_ops;

/*
 * itl_send_assert: Criterion's criterion_send_assert(), with "backend
 * NAME: " before the message of a failure while a test runs for a
 * backend.  Criterion 2.4's assert macros call criterion_send_assert by
 * name where they are expanded, so the #define below routes every
 * cr_assert and cr_expect of the test files through here.  A Criterion
 * that stopped calling it would only lose the prefix (the log still
 * names the backend at the start of each run).
 */
static inline void
itl_send_assert(struct criterion_assert_stats *st)
{
	char *msg = NULL;

	if (!st->passed && itl_ops != NULL && asprintf(&msg, "backend %s: "
	    "%s", itl_ops->name, st->message != NULL ? st->message : "") >= 0)
		st->message = msg;
	else
		msg = NULL;
	criterion_send_assert(st);
	free(msg);
}
#define	criterion_send_assert	itl_send_assert

/* itl_free_params: the cleanup of itl_backend_params' array. */
static inline void
itl_free_params(struct criterion_test_params *crp)
{
	cr_free(crp->params);
}

/*
 * itl_backend_params: the parameters of a test over the backends: the
 * indexes in ipi_backends[] of every backend (sleeping_only: of those
 * that do not spin), in Criterion's inheritable arena (cr_malloc: it
 * hands them to the test's worker process).
 */
static inline struct criterion_test_params
itl_backend_params(bool sleeping_only)
{
	size_t n = 0, k = 0;
	unsigned *idx;

	for (unsigned i = 0; ipi_backends[i] != NULL; i++)
		n += !sleeping_only || !ipi_backends[i]->spins;
	idx = cr_malloc(sizeof(*idx) * (n > 0 ? n : 1));
	for (unsigned i = 0; ipi_backends[i] != NULL && idx != NULL; i++)
		if (!sleeping_only || !ipi_backends[i]->spins)
			idx[k++] = i;
	return cr_make_param_array(unsigned, idx, idx != NULL ? n : 0,
	    itl_free_params);
}

/*
 * itl_backend_at: backend idx of ipi_backends[], now the running test's
 * (itl_ops: failure messages name it).
 */
static inline const struct ipi_backend_ops *
itl_backend_at(unsigned idx)
{
	unsigned nb = 0;

	while (ipi_backends[nb] != NULL)
		nb++;
	cr_assert_lt(idx, nb, "backend index %u: ipi_backends[] has %u",
	    idx, nb);
	itl_ops = ipi_backends[idx];
	cr_log_info("backend %s", itl_ops->name);
	return itl_ops;
}

/*
 * ITL_BACKEND_TESTS(suite, name, timeout, fn): a parameterized test
 * suite::name, run once per backend of ipi_backends[], each run calling
 * fn(ops) with that backend's ops.
 */
#define	ITL_BACKEND_TESTS(suite, name, tmo, fn)				\
	ParameterizedTestParameters(suite, name)			\
	{								\
		return itl_backend_params(false);			\
	}								\
	ParameterizedTest(unsigned *itl_idx, suite, name, .timeout = (tmo)) \
	{								\
		fn(itl_backend_at(*itl_idx));				\
	}

/* itl_now_ns: CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t
itl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * ITL_NS + (uint64_t)ts.tv_nsec;
}

/* itl_sleep_us: sleep about us microseconds. */
static inline void
itl_sleep_us(unsigned us)
{
	struct timespec ts = { .tv_sec = us / 1000000,
	    .tv_nsec = (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/*
 * itl_allowed_pus: the PUs this process may run on, ascending.
 * => Fills at most max of them into pus; returns how many there are.
 */
static inline unsigned
itl_allowed_pus(int *pus, unsigned max)
{
	cpu_set_t set;
	unsigned n = 0;

	CPU_ZERO(&set);
	cr_assert_eq(sched_getaffinity(0, sizeof(set), &set), 0,
	    "sched_getaffinity: %s", strerror(errno));
	for (int pu = 0; pu < CPU_SETSIZE; pu++) {
		if (!CPU_ISSET(pu, &set))
			continue;
		if (n < max)
			pus[n] = pu;
		n++;
	}
	cr_assert_gt(n, 0, "no PU in this process's affinity mask");
	return n;
}

/* itl_cores: how many PUs this process may run on (and are online). */
static inline unsigned
itl_cores(void)
{
	int pus[1];
	unsigned n = itl_allowed_pus(pus, 1);
	long onln = sysconf(_SC_NPROCESSORS_ONLN);

	if (onln > 0 && (unsigned long)onln < n)
		n = (unsigned)onln;
	return n;
}

/*
 * itl_nvcpus: how many vCPUs a test of backend ops should start when it
 * wants `want`: never more than the cores for a spinning backend, never
 * more than ITL_MAXV.  Skips the test when it gets fewer than `least`.
 */
static inline unsigned
itl_nvcpus(const struct ipi_backend_ops *ops, unsigned want, unsigned least)
{
	unsigned n = want, cores = itl_cores();

	if (ops->spins && n > cores)
		n = cores;
	if (n > ITL_MAXV)
		n = ITL_MAXV;
	if (n < least)
		cr_skip_test("backend %s needs %u vCPUs, this machine allows %u",
		    ops->name, least, n);
	return n;
}

/*
 * itl_start: start a machine of n vCPUs with backend ops, vCPU i on the
 * i-th allowed PU modulo their number; the runtime allocates the state.
 */
static inline void
itl_start(const struct ipi_backend_ops *ops, unsigned n)
{
	struct vcpu_spec *specs;	/* n of them: on the heap, not the stack */
	int pus[CPU_SETSIZE];
	unsigned npus = itl_allowed_pus(pus, CPU_SETSIZE);
	char err[512] = "";

	cr_assert(n >= 1 && n <= ITL_MAXV, "itl_start: n = %u, want 1..%u",
	    n, ITL_MAXV);
	specs = calloc(n, sizeof(*specs));
	cr_assert_not_null(specs, "itl_start: calloc(%u vcpu_spec)", n);
	for (unsigned i = 0; i < n; i++) {
		specs[i].pu = pus[i % npus];
		specs[i].node = -1;
		specs[i].state = NULL;
	}
	struct vcpu_config cfg = { .specs = specs, .n = n, .backend = ops };
	int rc = ipi_machine_start(&cfg, err, sizeof(err));
	free(specs);
	cr_assert_eq(rc, 0, "ipi_machine_start(%s, %u vCPUs) = %d: %s",
	    ops->name, n, rc, err);
	cr_assert_eq(ncpu, n, "ncpu = %u after starting %u vCPUs", ncpu, n);
}

/* itl_stop: stop the machine (every job must have finished). */
static inline void
itl_stop(void)
{
	ipi_machine_stop();
}

/* itl_cpu: vCPU i of the running machine. */
static inline struct cpu_info *
itl_cpu(unsigned i)
{
	cr_assert_lt(i, ncpu, "vCPU %u of %u", i, ncpu);
	struct cpu_info *ci = cpu_lookup(i);
	cr_assert_not_null(ci, "cpu_lookup(%u) = NULL", i);
	return ci;
}

/* itl_call: run fn(arg) on vCPU i, bounded; what names it in a failure. */
static inline void
itl_call(unsigned i, void (*fn)(void *), void *arg, const char *what)
{
	int rc = vcpu_call(itl_cpu(i), fn, arg, ITL_TIMEOUT_NS);

	cr_assert_eq(rc, 0, "vCPU %u: %s: vcpu_call = %d (%s) after %llu s",
	    i, what, rc, strerror(-rc), ITL_TIMEOUT_NS / ITL_NS);
}

/* itl_post: post fn(arg) on vCPU i without waiting. */
static inline void
itl_post(unsigned i, void (*fn)(void *), void *arg, const char *what)
{
	int rc = vcpu_post(itl_cpu(i), fn, arg);

	cr_assert_eq(rc, 0, "vCPU %u: %s: vcpu_post = %d (%s)", i, what, rc,
	    strerror(-rc));
}

/* itl_join: wait, bounded, for the job posted on vCPU i. */
static inline void
itl_join(unsigned i, const char *what)
{
	int rc = vcpu_join(itl_cpu(i), ITL_TIMEOUT_NS);

	cr_assert_eq(rc, 0, "vCPU %u: %s: vcpu_join = %d (%s) after %llu s",
	    i, what, rc, strerror(-rc), ITL_TIMEOUT_NS / ITL_NS);
}

/* itl_block, itl_unblock: splhigh / splx on vCPU i, from the test. */
static inline void
itl_block(unsigned i)
{
	int rc = vcpu_intr_block(itl_cpu(i), ITL_TIMEOUT_NS);

	cr_assert_eq(rc, 0, "vCPU %u: vcpu_intr_block = %d (%s)", i, rc,
	    strerror(-rc));
}

static inline void
itl_unblock(unsigned i)
{
	vcpu_intr_unblock(itl_cpu(i));
}

/* itl_noop: an empty job. */
static inline void
itl_noop(void *arg)
{
	(void)arg;
}

/*
 * itl_flush: run an empty job on vCPU i: once it returns, a handler that
 * was running there has returned, and i handled what was pending and
 * unmasked when the job was taken.
 */
static inline void
itl_flush(unsigned i)
{
	itl_call(i, itl_noop, NULL, "empty job (flush)");
}

/*
 * Per-vCPU counters: itl_count_handler(k) counts one run on curcpu(); a
 * run off any vCPU (curcpu() == NULL) counts in k->off.
 */
struct itl_counts {
	_Atomic unsigned c[ITL_MAXV];
	_Atomic unsigned off;
};

static inline void
itl_counts_zero(struct itl_counts *k)
{
	for (unsigned i = 0; i < ITL_MAXV; i++)
		atomic_store(&k->c[i], 0);
	atomic_store(&k->off, 0);
}

static inline void
itl_count_handler(void *arg)
{
	struct itl_counts *k = arg;
	struct cpu_info *ci = curcpu();

	if (ci == NULL || cpu_index(ci) >= ITL_MAXV)
		atomic_fetch_add(&k->off, 1);
	else
		atomic_fetch_add(&k->c[cpu_index(ci)], 1);
}

/*
 * itl_wait_count: wait, bounded, until vCPU i's count reaches want, then
 * assert it is exactly want.  what names the event.
 */
static inline void
itl_wait_count(struct itl_counts *k, unsigned i, unsigned want,
    const char *what)
{
	const uint64_t deadline = itl_now_ns() + ITL_TIMEOUT_NS;

	while (atomic_load(&k->c[i]) < want && itl_now_ns() < deadline)
		itl_sleep_us(100);
	unsigned got = atomic_load(&k->c[i]);
	cr_assert_eq(got, want, "vCPU %u: %s: %u runs, want %u%s", i, what,
	    got, want, got < want ? " (did not answer in time)" : "");
}

/* itl_expect_counts: every vCPU's count equals want[i]; none off-CPU. */
static inline void
itl_expect_counts(struct itl_counts *k, const unsigned *want,
    const char *what)
{
	for (unsigned i = 0; i < ncpu; i++) {
		unsigned got = atomic_load(&k->c[i]);
		cr_expect_eq(got, want[i], "vCPU %u: %s: %u runs, want %u",
		    i, what, got, want[i]);
	}
	cr_expect_eq(atomic_load(&k->off), 0, "%s: %u runs off any vCPU",
	    what, atomic_load(&k->off));
}

/*
 * itl_wait_mboxfull: wait, bounded, until ipi_mboxfull_count() reaches
 * want; fails the test naming what otherwise.  => Returns the count.
 */
static inline uint64_t
itl_wait_mboxfull(uint64_t want, const char *what)
{
	const uint64_t deadline = itl_now_ns() + ITL_TIMEOUT_NS;
	uint64_t c;

	while ((c = ipi_mboxfull_count()) < want && itl_now_ns() < deadline)
		itl_sleep_us(200);
	cr_assert_geq(c, want, "%s: ipi_mboxfull_count() = %llu, want at "
	    "least %llu after %llu s", what, (unsigned long long)c,
	    (unsigned long long)want, ITL_TIMEOUT_NS / ITL_NS);
	return c;
}

/*
 * itl_note_first: keep the first of several error messages: format into
 * buf (len bytes) only while buf is still empty.
 */
static inline void __attribute__((format(printf, 3, 4)))
itl_note_first(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* itl_ntasks: the threads of this process (/proc/self/task). */
static inline int
itl_ntasks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d, "opendir /proc/self/task: %s", strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * itl_wait_ntasks: wait, bounded, until the process has `want` threads
 * (a joined thread may linger in /proc for a moment); returns the count.
 */
static inline int
itl_wait_ntasks(int want)
{
	const uint64_t deadline = itl_now_ns() + 5 * ITL_NS;
	int n;

	while ((n = itl_ntasks()) != want && itl_now_ns() < deadline)
		itl_sleep_us(1000);
	return n;
}

#endif /* TESTS_IPI_TESTLIB_H */
