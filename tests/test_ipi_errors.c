/*
 * test_ipi_errors.c: ipi_machine_start refuses bad input cleanly.
 *
 * Each refusal must return -1 with a message naming the input, start no
 * thread (the threads of /proc/self/task are counted before and after)
 * and leave the runtime able to start a valid machine right after.
 * Under AddressSanitizer, LeakSanitizer also checks that a refused start
 * left no memory behind (a leak in a Criterion worker would otherwise
 * only be printed at exit, not fail the test).
 * Everything that involves a backend runs for each backend; the
 * backend hooks (state, init, start, stop, fini) are checked with a
 * backend of this file's own (hk_ops), which counts its calls and can
 * be told to fail.
 */
#include "ipi_testlib.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define	LEAKED()	(__lsan_do_recoverable_leak_check() != 0)
#else
#define	LEAKED()	false
#endif

#define	BIG	(IPI_MAXCPUS + 1)

static struct vcpu_spec big_specs[BIG];

/* Fill n specs over the allowed PUs, round-robin. */
static void
fill_specs(struct vcpu_spec *specs, unsigned n)
{
	int pus[CPU_SETSIZE];
	unsigned npus = itl_allowed_pus(pus, CPU_SETSIZE);

	for (unsigned i = 0; i < n; i++)
		specs[i] = (struct vcpu_spec){ .pu = pus[i % npus],
		    .node = -1, .state = NULL };
}

/*
 * Expect start(cfg) to fail with a message holding every string of
 * needles (NULL-terminated), without leaving a thread behind.
 */
static void
expect_refused(const struct vcpu_config *cfg, const char *const *needles,
    const char *what)
{
	char err[512];
	const int before = itl_ntasks();

	/*
	 * No NUL in err before the call: a message left unterminated (or
	 * none written at all) shows as no NUL after it.
	 */
	memset(err, 'x', sizeof(err));
	int rc = ipi_machine_start(cfg, err, sizeof(err));
	if (rc == 0)
		ipi_machine_stop();
	cr_assert_eq(rc, -1, "%s: ipi_machine_start = %d, want -1", what, rc);
	const bool terminated = memchr(err, '\0', sizeof(err)) != NULL;
	cr_expect(terminated, "%s: err holds no terminated message (nothing "
	    "written, or not terminated)", what);
	err[sizeof(err) - 1] = '\0';
	cr_expect_neq(err[0], '\0', "%s: the message in err is empty", what);
	for (const char *const *p = needles; *p != NULL; p++)
		cr_expect_neq(strstr(err, *p), NULL, "%s: message \"%s\" does "
		    "not name \"%s\"", what, err, *p);
	int after = itl_wait_ntasks(before);
	cr_expect_eq(after, before, "%s: %d threads before the refused start, "
	    "%d after", what, before, after);
	cr_expect(!LEAKED(), "%s: LeakSanitizer found memory leaked (see the "
	    "report above)", what);
	cr_log_info("%s: \"%s\"", what, err);
}

/* A valid machine starts, runs a job on every vCPU, stops, leaks none. */
static void
expect_valid_start(const struct ipi_backend_ops *ops)
{
	const int before = itl_ntasks();
	unsigned n = itl_nvcpus(ops, 2, 1);

	itl_start(ops, n);
	for (unsigned i = 0; i < n; i++)
		itl_flush(i);
	itl_stop();
	int after = itl_wait_ntasks(before);
	cr_expect_eq(after, before, "backend %s: %d threads before start, %d "
	    "after stop", ops->name, before, after);
}

/* No backend: the caller turns a name into ops (ipi_backend_lookup). */
Test(errors, null_backend, .timeout = ITL_TEST_TIMEOUT)
{
	struct vcpu_spec specs[2];

	fill_specs(specs, 2);
	struct vcpu_config cfg = { .specs = specs, .n = 2, .backend = NULL };
	const char *needles[] = { "backend", "NULL", NULL };
	expect_refused(&cfg, needles, "NULL backend");
	expect_valid_start(ipi_backends[0]);
}

/*
 * The table: every entry complete, names unique and found by
 * ipi_backend_lookup; nothing else found.
 */
Test(errors, backend_table, .timeout = ITL_TEST_TIMEOUT)
{
	unsigned total = 0;

	for (const struct ipi_backend_ops *const *b = ipi_backends; *b != NULL;
	    b++) {
		total++;
		cr_expect_not_null((*b)->name, "backend %u has no name", total);
		if ((*b)->name == NULL)
			continue;
		cr_expect_neq((*b)->name[0], '\0', "backend %u: empty name",
		    total);
		cr_expect_eq(ipi_backend_lookup((*b)->name), *b, "lookup(%s) "
		    "is not the table's entry (a name used twice?)",
		    (*b)->name);
		cr_expect_not_null((*b)->summary, "backend %s: no summary",
		    (*b)->name);
		cr_expect((*b)->reference == NULL ||
		    (*b)->reference[0] != '\0', "backend %s: empty reference "
		    "(NULL says there is none)", (*b)->name);
		cr_expect((*b)->idle != NULL && (*b)->kick != NULL,
		    "backend %s: idle or kick missing", (*b)->name);
	}
	cr_expect_gt(total, 0, "ipi_backends[] is empty");
	cr_expect_null(ipi_backend_lookup("nosuchbackend"));
	cr_expect_null(ipi_backend_lookup(NULL));
}

static void
zero_vcpus(const struct ipi_backend_ops *ops)
{
	struct vcpu_spec specs[1];

	fill_specs(specs, 1);
	struct vcpu_config cfg = { .specs = specs, .n = 0, .backend = ops };
	const char *needles[] = { "0", NULL };
	expect_refused(&cfg, needles, "zero vCPUs");
	expect_valid_start(ops);
}
ITL_BACKEND_TESTS(errors, zero_vcpus, ITL_TEST_TIMEOUT, zero_vcpus)

static void
too_many(const struct ipi_backend_ops *ops)
{
	char num[32];

	fill_specs(big_specs, BIG);
	snprintf(num, sizeof(num), "%u", BIG);
	struct vcpu_config cfg = { .specs = big_specs, .n = BIG,
	    .backend = ops };
	const char *needles[] = { num, NULL };
	expect_refused(&cfg, needles, "IPI_MAXCPUS + 1 vCPUs");
	expect_valid_start(ops);
}
ITL_BACKEND_TESTS(errors, too_many, ITL_TEST_TIMEOUT, too_many)

/* The last vCPU asks for a PU that does not exist: vCPU 0 starts first. */
static void
bad_pu(const struct ipi_backend_ops *ops, int pu, const char *what)
{
	struct vcpu_spec specs[2];
	char num[32];

	fill_specs(specs, 2);
	specs[1].pu = pu;
	snprintf(num, sizeof(num), "%d", pu);
	struct vcpu_config cfg = { .specs = specs, .n = 2, .backend = ops };
	const char *needles[] = { num, NULL };
	expect_refused(&cfg, needles, what);
}

static void
missing_pu(const struct ipi_backend_ops *ops)
{
	bad_pu(ops, 4096, "PU 4096 (no such PU)");
	bad_pu(ops, CPU_SETSIZE - 1, "PU CPU_SETSIZE-1 (no such PU)");
	bad_pu(ops, -1, "PU -1");
	expect_valid_start(ops);
}
ITL_BACKEND_TESTS(errors, missing_pu, ITL_TEST_TIMEOUT, missing_pu)

/*
 * A PU outside the affinity this process was given (as taskset would
 * narrow it): the runtime must honour it, not widen it.
 */
static void
disallowed_pu(const struct ipi_backend_ops *ops)
{
	int pus[2];
	cpu_set_t saved, one;

	if (itl_allowed_pus(pus, 2) < 2)
		cr_skip_test("needs 2 allowed PUs to narrow the affinity to 1");
	cr_assert_eq(sched_getaffinity(0, sizeof(saved), &saved), 0);
	CPU_ZERO(&one);
	CPU_SET(pus[0], &one);
	cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0,
	    "sched_setaffinity(PU %d): %s", pus[0], strerror(errno));

	struct vcpu_spec specs[2] = {
		{ .pu = pus[0], .node = -1 }, { .pu = pus[1], .node = -1 },
	};
	char num[32];
	snprintf(num, sizeof(num), "%d", pus[1]);
	struct vcpu_config cfg = { .specs = specs, .n = 2, .backend = ops };
	const char *needles[] = { num, NULL };
	expect_refused(&cfg, needles, "PU outside the process's affinity");

	cr_assert_eq(sched_setaffinity(0, sizeof(saved), &saved), 0,
	    "restoring the affinity: %s", strerror(errno));
	expect_valid_start(ops);
}
ITL_BACKEND_TESTS(errors, disallowed_pu, ITL_TEST_TIMEOUT, disallowed_pu)

/* State memory that is not cache-line aligned. */
static void
misaligned_state(const struct ipi_backend_ops *ops)
{
	struct vcpu_spec specs[2];
	void *mem = NULL;

	cr_assert_eq(posix_memalign(&mem, IPI_PERCPU_ALIGN,
	    2 * IPI_PERCPU_SIZE + IPI_PERCPU_ALIGN), 0);
	fill_specs(specs, 2);
	specs[0].state = mem;
	specs[1].state = (struct ipi_percpu *)((char *)mem + IPI_PERCPU_SIZE +
	    8);
	struct vcpu_config cfg = { .specs = specs, .n = 2, .backend = ops };
	const char *needles[] = { "1", NULL };	/* names vCPU 1 */
	expect_refused(&cfg, needles, "misaligned state of vCPU 1");

	/* Aligned caller memory is used as given. */
	specs[1].state = (struct ipi_percpu *)((char *)mem + IPI_PERCPU_SIZE);
	char err[512] = "";
	cr_assert_eq(ipi_machine_start(&cfg, err, sizeof(err)), 0,
	    "start with caller-placed state: %s", err);
	cr_expect_eq(cpu_ipi_state(itl_cpu(0)), specs[0].state);
	cr_expect_eq(cpu_ipi_state(itl_cpu(1)), specs[1].state);
	itl_flush(0);
	itl_flush(1);
	itl_stop();
	free(mem);
}
ITL_BACKEND_TESTS(errors, misaligned_state, ITL_TEST_TIMEOUT,
    misaligned_state)

/*
 * A bind callback that refuses the last vCPU: the message is passed
 * through, the vCPUs already started are joined.
 */
struct bind_log {
	_Atomic unsigned calls;
	_Atomic int	seen_pu[ITL_MAXV];
};

static int
refusing_bind(void *ctx, unsigned idx, int pu, char *err, size_t errlen)
{
	struct bind_log *log = ctx;

	atomic_fetch_add(&log->calls, 1);
	if (idx < ITL_MAXV)
		atomic_store(&log->seen_pu[idx], pu);
	if (idx == 1) {
		snprintf(err, errlen, "test refuses vCPU %u on PU %d", idx, pu);
		return -1;
	}
	return 0;
}

static void
bind_fails(const struct ipi_backend_ops *ops)
{
	struct vcpu_spec specs[2];
	struct bind_log log = { 0 };

	fill_specs(specs, 2);
	struct vcpu_config cfg = { .specs = specs, .n = 2, .backend = ops,
	    .bind = refusing_bind, .bind_ctx = &log };
	const char *needles[] = { "test refuses vCPU 1", NULL };
	expect_refused(&cfg, needles, "bind callback refusing vCPU 1");
	cr_expect_geq(atomic_load(&log.calls), 1, "bind callback never called");
	cr_expect_eq(atomic_load(&log.seen_pu[1]), specs[1].pu, "bind got PU "
	    "%d for vCPU 1, spec says %d", atomic_load(&log.seen_pu[1]),
	    specs[1].pu);
	expect_valid_start(ops);
}
ITL_BACKEND_TESTS(errors, bind_fails, ITL_TEST_TIMEOUT, bind_fails)

/*
 * hk_ops: a backend of this file's own, to check the hooks' contract
 * (backend.h): who calls init, start, stop and fini, in which order, on
 * which thread, with which state.  Its idle yields until there is work;
 * its kick does nothing.  Each hook checks what it can and notes the
 * first breach; hk.fail_* make init or start fail on one vCPU.
 */
#define	HK_STATE	72	/* bytes: not whole lines, rounded up to 2 */
#define	HK_STRIDE	((HK_STATE + CACHE_LINE_SIZE - 1) / CACHE_LINE_SIZE * \
			    CACHE_LINE_SIZE)

enum { HK_NONE, HK_INIT, HK_STARTED, HK_STOPPED, HK_FINI };

static struct {
	_Atomic unsigned init, start, stop, fini;
	_Atomic int	fail_init_at, fail_start_at;	/* vCPU, -1: none */
	_Atomic int	phase[ITL_MAXV];
	void * _Atomic	state[ITL_MAXV];
	_Atomic unsigned jobs[ITL_MAXV];	/* jobs run on each vCPU */
	_Atomic unsigned breaches;
	_Atomic int	claimed;		/* first[] written */
	char		first[200];
} hk;

static void __attribute__((format(printf, 1, 2)))
hk_breach(const char *fmt, ...)
{
	va_list ap;
	int no = 0;

	atomic_fetch_add(&hk.breaches, 1);
	if (!atomic_compare_exchange_strong(&hk.claimed, &no, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(hk.first, sizeof(hk.first), fmt, ap);
	va_end(ap);
}

/* hk_phase: move vCPU i from phase `from` to `to`, or note a breach. */
static void
hk_phase(unsigned i, int from, int to, const char *hook)
{
	int was = from;

	if (i >= ITL_MAXV)
		return;
	if (!atomic_compare_exchange_strong(&hk.phase[i], &was, to))
		hk_breach("%s of vCPU %u in phase %d, want %d", hook, i, was,
		    from);
}

static int
hk_init(struct cpu_info *ci, char *err, size_t errlen)
{
	const unsigned i = cpu_index(ci);
	unsigned char *st = vcpu_backend_state(ci);

	atomic_fetch_add(&hk.init, 1);
	if (curcpu() != NULL)
		hk_breach("init of vCPU %u on a vCPU thread", i);
	if (st == NULL || (uintptr_t)st % CACHE_LINE_SIZE != 0) {
		hk_breach("init of vCPU %u: state %p, want a line-aligned one",
		    i, (void *)st);
		return -1;
	}
	for (unsigned k = 0; k < HK_STATE; k++)
		if (st[k] != 0) {
			hk_breach("init of vCPU %u: state byte %u is %#x, not "
			    "zeroed", i, k, st[k]);
			break;
		}
	/* Fill every byte: fini finds them intact if no state overlaps. */
	memset(st, (int)(i + 1), HK_STATE);
	if (i < ITL_MAXV)
		atomic_store(&hk.state[i], st);
	if ((int)i == atomic_load(&hk.fail_init_at)) {
		snprintf(err, errlen, "hk refuses to init vCPU %u", i);
		return -1;
	}
	hk_phase(i, HK_NONE, HK_INIT, "init");
	return 0;
}

static int
hk_start(struct cpu_info *ci, char *err, size_t errlen)
{
	const unsigned i = cpu_index(ci);

	atomic_fetch_add(&hk.start, 1);
	if (curcpu() != ci)
		hk_breach("start of vCPU %u not on its own thread", i);
	if (cpu_tid(ci) != gettid())
		hk_breach("start of vCPU %u: cpu_tid %d, running on %d", i,
		    (int)cpu_tid(ci), (int)gettid());
	if ((int)i == atomic_load(&hk.fail_start_at)) {
		snprintf(err, errlen, "hk refuses to start vCPU %u", i);
		return -1;
	}
	hk_phase(i, HK_INIT, HK_STARTED, "start");
	return 0;
}

static void
hk_stop(struct cpu_info *ci)
{
	const unsigned i = cpu_index(ci);

	atomic_fetch_add(&hk.stop, 1);
	if (curcpu() != ci)
		hk_breach("stop of vCPU %u not on its own thread", i);
	hk_phase(i, HK_STARTED, HK_STOPPED, "stop");
}

static void
hk_fini(struct cpu_info *ci)
{
	const unsigned i = cpu_index(ci);
	const unsigned char *st = vcpu_backend_state(ci);

	atomic_fetch_add(&hk.fini, 1);
	if (curcpu() != NULL)
		hk_breach("fini of vCPU %u on a vCPU thread", i);
	for (unsigned k = 0; k < HK_STATE; k++)
		if (st[k] != (unsigned char)(i + 1)) {
			hk_breach("fini of vCPU %u: state byte %u is %#x, want "
			    "%#x (another vCPU's state overlaps)", i, k, st[k],
			    i + 1);
			break;
		}
	/* After stop, or never started (a start failed somewhere). */
	int was = i < ITL_MAXV ? atomic_load(&hk.phase[i]) : HK_STOPPED;
	if (was == HK_STARTED)
		hk_breach("fini of vCPU %u before its stop", i);
	if (i < ITL_MAXV)
		atomic_store(&hk.phase[i], HK_FINI);
}

static void
hk_idle(struct cpu_info *ci)
{
	while (!vcpu_has_work(ci))
		sched_yield();
}

static void
hk_kick(struct cpu_info *ci)
{
	(void)ci;
}

static const struct ipi_backend_ops hk_ops = {
	.name = "hooktest",
	.summary = "test_ipi_errors.c's own: checks the hooks' contract",
	.spins = false,
	.state_size = HK_STATE,
	.init = hk_init,
	.fini = hk_fini,
	.start = hk_start,
	.stop = hk_stop,
	.idle = hk_idle,
	.kick = hk_kick,
};

static void
hk_reset(void)
{
	memset(&hk, 0, sizeof(hk));
	atomic_store(&hk.fail_init_at, -1);
	atomic_store(&hk.fail_start_at, -1);
}

static void
hk_job(void *arg)
{
	(void)arg;
	atomic_fetch_add(&hk.jobs[cpu_index(curcpu())], 1);
}

/* A machine of hk_ops: every hook once per vCPU, in order, in place. */
Test(errors, hooks_in_order, .timeout = ITL_TEST_TIMEOUT)
{
	const unsigned n = 3;

	hk_reset();
	itl_start(&hk_ops, n);
	for (unsigned i = 0; i < n; i++) {
		itl_call(i, hk_job, NULL, "hk job");
		cr_expect_eq(atomic_load(&hk.phase[i]), HK_STARTED, "vCPU %u "
		    "ran a job in phase %d, want started",
		    i, atomic_load(&hk.phase[i]));
	}
	itl_stop();
	cr_expect_eq(atomic_load(&hk.init), n, "init ran %u times for %u "
	    "vCPUs", atomic_load(&hk.init), n);
	cr_expect_eq(atomic_load(&hk.start), n, "start ran %u times",
	    atomic_load(&hk.start));
	cr_expect_eq(atomic_load(&hk.stop), n, "stop ran %u times",
	    atomic_load(&hk.stop));
	cr_expect_eq(atomic_load(&hk.fini), n, "fini ran %u times",
	    atomic_load(&hk.fini));
	for (unsigned i = 0; i < n; i++) {
		cr_expect_eq(atomic_load(&hk.phase[i]), HK_FINI, "vCPU %u "
		    "ended in phase %d", i, atomic_load(&hk.phase[i]));
		for (unsigned j = 0; j < i; j++) {
			uintptr_t a = (uintptr_t)atomic_load(&hk.state[i]);
			uintptr_t b = (uintptr_t)atomic_load(&hk.state[j]);
			uintptr_t d = a > b ? a - b : b - a;
			cr_expect_geq(d, HK_STRIDE, "states of vCPUs %u and %u "
			    "are %zu bytes apart, want whole lines of their "
			    "own (%zu)", j, i, (size_t)d, (size_t)HK_STRIDE);
		}
	}
	cr_expect_eq(atomic_load(&hk.breaches), 0, "%u breaches of the hooks' "
	    "contract; first: %s", atomic_load(&hk.breaches), hk.first);
}

/*
 * start fails on vCPU 1: the start is refused with its message, stop
 * runs only where start succeeded, fini everywhere.
 */
Test(errors, start_fails, .timeout = ITL_TEST_TIMEOUT)
{
	struct vcpu_spec specs[3];

	hk_reset();
	atomic_store(&hk.fail_start_at, 1);
	fill_specs(specs, 3);
	struct vcpu_config cfg = { .specs = specs, .n = 3, .backend = &hk_ops };
	const char *needles[] = { "vCPU 1", "hooktest",
	    "hk refuses to start vCPU 1", NULL };
	expect_refused(&cfg, needles, "backend start failing on vCPU 1");
	cr_expect_eq(atomic_load(&hk.init), 3, "init ran %u times",
	    atomic_load(&hk.init));
	cr_expect_eq(atomic_load(&hk.fini), 3, "fini ran %u times, want 3 "
	    "(every init succeeded)", atomic_load(&hk.fini));
	cr_expect_eq(atomic_load(&hk.stop) + 1, atomic_load(&hk.start),
	    "start ran %u times (one failed), stop %u times",
	    atomic_load(&hk.start), atomic_load(&hk.stop));
	cr_expect_eq(atomic_load(&hk.breaches), 0, "%u breaches of the hooks' "
	    "contract; first: %s", atomic_load(&hk.breaches), hk.first);
	hk_reset();
	expect_valid_start(&hk_ops);
}

/* init fails on vCPU 1: fini only for vCPU 0, no thread started. */
Test(errors, init_fails, .timeout = ITL_TEST_TIMEOUT)
{
	struct vcpu_spec specs[3];

	hk_reset();
	atomic_store(&hk.fail_init_at, 1);
	fill_specs(specs, 3);
	struct vcpu_config cfg = { .specs = specs, .n = 3, .backend = &hk_ops };
	const char *needles[] = { "vCPU 1", "hooktest",
	    "hk refuses to init vCPU 1", NULL };
	expect_refused(&cfg, needles, "backend init failing on vCPU 1");
	cr_expect_eq(atomic_load(&hk.init), 2, "init ran %u times, want 2 "
	    "(vCPUs 0 and 1)", atomic_load(&hk.init));
	cr_expect_eq(atomic_load(&hk.fini), 1, "fini ran %u times, want 1 "
	    "(vCPU 0's init alone succeeded)", atomic_load(&hk.fini));
	cr_expect_eq(atomic_load(&hk.start), 0, "start ran %u times, want 0",
	    atomic_load(&hk.start));
	cr_expect_eq(atomic_load(&hk.breaches), 0, "%u breaches of the hooks' "
	    "contract; first: %s", atomic_load(&hk.breaches), hk.first);
}

/* Ops without idle (or kick) are refused, naming what is missing. */
Test(errors, no_idle, .timeout = ITL_TEST_TIMEOUT)
{
	struct vcpu_spec specs[2];
	struct ipi_backend_ops ops = hk_ops;

	hk_reset();
	ops.idle = NULL;
	fill_specs(specs, 2);
	struct vcpu_config cfg = { .specs = specs, .n = 2, .backend = &ops };
	const char *needles[] = { "hooktest", "idle", NULL };
	expect_refused(&cfg, needles, "backend without idle");
	cr_expect_eq(atomic_load(&hk.init), 0, "init ran %u times, want 0",
	    atomic_load(&hk.init));
}
