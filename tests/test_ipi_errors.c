/*
 * test_ipi_errors.c: ipi_machine_start refuses bad input cleanly.
 *
 * Each refusal must return -1 with a message naming the input, start no
 * thread (the threads of /proc/self/task are counted before and after)
 * and leave the runtime able to start a valid machine right after.
 * Under AddressSanitizer, LeakSanitizer also checks that a refused start
 * left no memory behind (a leak in a Criterion worker would otherwise
 * only be printed at exit, not fail the test).
 * Everything that involves a backend runs for each backend.
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
expect_valid_start(const char *backend)
{
	const int before = itl_ntasks();
	unsigned n = itl_nvcpus(backend, 2, 1);

	itl_start(backend, n);
	for (unsigned i = 0; i < n; i++)
		itl_flush(i);
	itl_stop();
	int after = itl_wait_ntasks(before);
	cr_expect_eq(after, before, "backend %s: %d threads before start, %d "
	    "after stop", backend, before, after);
}

Test(errors, unknown_backend, .timeout = ITL_TEST_TIMEOUT)
{
	struct vcpu_spec specs[2];

	fill_specs(specs, 2);
	struct vcpu_config cfg = { .specs = specs, .n = 2,
	    .backend = "nosuchbackend" };
	const char *needles[] = { "nosuchbackend", "busypoll", "futex",
	    "eventfd", NULL };
	expect_refused(&cfg, needles, "unknown backend");
	expect_valid_start("futex");
}

Test(errors, backend_table, .timeout = ITL_TEST_TIMEOUT)
{
	const char *want[] = { "busypoll", "futex", "eventfd" };
	unsigned found = 0, total = 0;

	for (const struct ipi_backend_ops *const *b = ipi_backends; *b != NULL;
	    b++) {
		total++;
		cr_expect_not_null((*b)->name, "backend %u has no name", total);
		if ((*b)->name == NULL)
			continue;
		cr_expect_eq(ipi_backend_lookup((*b)->name), *b, "lookup(%s) "
		    "is not the table's entry", (*b)->name);
		cr_expect_not_null((*b)->summary, "backend %s: no summary",
		    (*b)->name);
		cr_expect((*b)->idle != NULL && (*b)->kick != NULL,
		    "backend %s: idle or kick missing", (*b)->name);
		for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
			found += strcmp((*b)->name, want[k]) == 0;
	}
	cr_expect_eq(found, 3, "%u of busypoll, futex, eventfd in the table "
	    "of %u backends", found, total);
	cr_expect_null(ipi_backend_lookup("nosuchbackend"));
	cr_expect_eq(itl_backend("busypoll")->spins, true, "busypoll must "
	    "say it spins");
	cr_expect_eq(itl_backend("futex")->spins, false);
	cr_expect_eq(itl_backend("eventfd")->spins, false);
}

static void
zero_vcpus(const char *backend)
{
	struct vcpu_spec specs[1];

	fill_specs(specs, 1);
	struct vcpu_config cfg = { .specs = specs, .n = 0, .backend = backend };
	const char *needles[] = { "0", NULL };
	expect_refused(&cfg, needles, "zero vCPUs");
	expect_valid_start(backend);
}
ITL_BACKEND_TESTS(errors, zero_vcpus, ITL_TEST_TIMEOUT, zero_vcpus)

static void
too_many(const char *backend)
{
	char num[32];

	fill_specs(big_specs, BIG);
	snprintf(num, sizeof(num), "%u", BIG);
	struct vcpu_config cfg = { .specs = big_specs, .n = BIG,
	    .backend = backend };
	const char *needles[] = { num, NULL };
	expect_refused(&cfg, needles, "IPI_MAXCPUS + 1 vCPUs");
	expect_valid_start(backend);
}
ITL_BACKEND_TESTS(errors, too_many, ITL_TEST_TIMEOUT, too_many)

/* The last vCPU asks for a PU that does not exist: vCPU 0 starts first. */
static void
bad_pu(const char *backend, int pu, const char *what)
{
	struct vcpu_spec specs[2];
	char num[32];

	fill_specs(specs, 2);
	specs[1].pu = pu;
	snprintf(num, sizeof(num), "%d", pu);
	struct vcpu_config cfg = { .specs = specs, .n = 2, .backend = backend };
	const char *needles[] = { num, NULL };
	expect_refused(&cfg, needles, what);
}

static void
missing_pu(const char *backend)
{
	bad_pu(backend, 4096, "PU 4096 (no such PU)");
	bad_pu(backend, CPU_SETSIZE - 1, "PU CPU_SETSIZE-1 (no such PU)");
	bad_pu(backend, -1, "PU -1");
	expect_valid_start(backend);
}
ITL_BACKEND_TESTS(errors, missing_pu, ITL_TEST_TIMEOUT, missing_pu)

/*
 * A PU outside the affinity this process was given (as taskset would
 * narrow it): the runtime must honour it, not widen it.
 */
static void
disallowed_pu(const char *backend)
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
	struct vcpu_config cfg = { .specs = specs, .n = 2, .backend = backend };
	const char *needles[] = { num, NULL };
	expect_refused(&cfg, needles, "PU outside the process's affinity");

	cr_assert_eq(sched_setaffinity(0, sizeof(saved), &saved), 0,
	    "restoring the affinity: %s", strerror(errno));
	expect_valid_start(backend);
}
ITL_BACKEND_TESTS(errors, disallowed_pu, ITL_TEST_TIMEOUT, disallowed_pu)

/* State memory that is not cache-line aligned. */
static void
misaligned_state(const char *backend)
{
	struct vcpu_spec specs[2];
	void *mem = NULL;

	cr_assert_eq(posix_memalign(&mem, IPI_PERCPU_ALIGN,
	    2 * IPI_PERCPU_SIZE + IPI_PERCPU_ALIGN), 0);
	fill_specs(specs, 2);
	specs[0].state = mem;
	specs[1].state = (struct ipi_percpu *)((char *)mem + IPI_PERCPU_SIZE +
	    8);
	struct vcpu_config cfg = { .specs = specs, .n = 2, .backend = backend };
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
bind_fails(const char *backend)
{
	struct vcpu_spec specs[2];
	struct bind_log log = { 0 };

	fill_specs(specs, 2);
	struct vcpu_config cfg = { .specs = specs, .n = 2, .backend = backend,
	    .bind = refusing_bind, .bind_ctx = &log };
	const char *needles[] = { "test refuses vCPU 1", NULL };
	expect_refused(&cfg, needles, "bind callback refusing vCPU 1");
	cr_expect_geq(atomic_load(&log.calls), 1, "bind callback never called");
	cr_expect_eq(atomic_load(&log.seen_pu[1]), specs[1].pu, "bind got PU "
	    "%d for vCPU 1, spec says %d", atomic_load(&log.seen_pu[1]),
	    specs[1].pu);
	expect_valid_start(backend);
}
ITL_BACKEND_TESTS(errors, bind_fails, ITL_TEST_TIMEOUT, bind_fails)
