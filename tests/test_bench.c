/*
 * test_bench.c: the registry, the machine and the measuring loop
 * (harness/registry.c, machine.c, measure.c) on this machine's vCPUs:
 * representative and all pairs; names written from the group and
 * checked against the workload's keys; hb_measure runs each operation on
 * the sender vCPU and reports the percentile counters of its samples; the
 * watchdog skips a batch that does not come back, naming the vCPU, and
 * wedges the machine for what follows; a signal skips what follows as
 * "interrupted"; a machine that cannot start skips its group with why.
 *
 * Each Test runs in its own process (Criterion forks): Google
 * Benchmark's registry and the vCPU machine start empty in each.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/gbench.h"
#include "json_testlib.h"
#include "harness/params.h"
#include "harness/timer.h"
#include "harness/topology.h"
#include "ipi/vcpu.h"

static struct hb_params params;
static struct hb_topology *topo;
static struct hb_run run;

/* Workloads of the tests: names and keys only (no add: never listed). */
static const struct hb_workload w_fixed = { .name = "fixed", .keys = "k" };
static const struct hb_workload w_other = { .name = "other", .keys = "k" };
static const struct hb_workload w_yard = { .name = "yard", .keys = "k",
    .yardstick = true };

/* group: workload w on backend b (NULL: the quiet one), local. */
static struct hb_group
group(const struct hb_workload *w, const struct ipi_backend_ops *b)
{
	return (struct hb_group){ .workload = w,
	    .backend = b != NULL ? b : hb_quiet_backend(),
	    .placement = HB_PLACE_LOCAL };
}

/* setup: this machine, every allowed PU, futex-friendly parameters. */
static void
setup(unsigned timeout_s)
{
	char err[512];

	hb_params_init(&params);
	params.timeout = timeout_s;
	params.batch = 100;
	cr_assert_eq(hb_topology_open(NULL, &topo, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(hb_topology_select(topo, NULL, false, err, sizeof(err)),
	    0, "%s", err);
	run = (struct hb_run){ .params = &params, .topo = topo,
	    .ncores = topo->nvcpus };
	hb_bench_begin(&run);
}

Test(bench, pairs, .timeout = 30)
{
	struct hb_pair *p;
	unsigned n;

	setup(10);
	if (topo->nvcpus < 2)
		cr_skip_test("one vCPU: no pair");
	n = hb_topology_pairs(topo, false, &p);
	cr_assert_geq(n, 1);
	for (unsigned i = 0; i < n; i++) {
		cr_expect_lt(p[i].src, p[i].dst, "representatives: src < dst");
		for (unsigned k = 0; k < i; k++)
			cr_expect(p[k].cls != p[i].cls ||
			    p[k].same_numa != p[i].same_numa,
			    "pair %u and %u of one (class, numa)", k, i);
	}
	free(p);

	n = hb_topology_pairs(topo, true, &p);
	cr_assert_eq(n, topo->nvcpus * (topo->nvcpus - 1));
	for (unsigned i = 0; i < n; i++) {
		cr_expect_neq(p[i].src, p[i].dst);
		for (unsigned k = 0; k < i; k++)
			cr_expect(p[k].src != p[i].src || p[k].dst != p[i].dst,
			    "pair %u -> %u twice", p[i].src, p[i].dst);
	}
	free(p);
	hb_topology_close(topo);
}

/* An operation of a fixed duration, recording where it ran. */
struct fixed {
	uint64_t	ticks;
	_Atomic int	cpu;		/* cpu_index seen, -1 off any vCPU */
	_Atomic unsigned long ops, batches, calls;
};

static uint64_t
fixed_op(void *arg)
{
	struct fixed *f = arg;
	struct cpu_info *ci = curcpu();

	atomic_store(&f->cpu, ci != NULL ? (int)cpu_index(ci) : -1);
	atomic_fetch_add(&f->ops, 1);
	return f->ticks;
}

static void
fixed_begin(void *arg)
{
	struct fixed *f = arg;

	atomic_fetch_add(&f->batches, 1);
}

static void
fixed_body(struct hb_bench *b, void *arg)
{
	struct hb_op op = { .sender = cpu_lookup(ncpu - 1), .op = fixed_op,
	    .arg = arg, .batch_begin = fixed_begin, .batch_arg = arg };
	struct fixed *f = arg;

	atomic_fetch_add(&f->calls, 1);
	hb_measure(b, &op);
}

Test(bench, measure_reports_percentiles_of_samples, .timeout = 60)
{
	static struct fixed f = { .ticks = 2600, .cpu = -2 };
	struct hb_group g = group(&w_fixed, NULL);
	char name[256], quoted[300];

	setup(10);
	hb_bench_add(&g, fixed_body, &f, NULL, "k:%d", 1);
	cr_expect_eq(hb_bench_count(), 1);
	snprintf(name, sizeof(name), "fixed/backend:%s/placement:local/k:1",
	    g.backend->name);
	cr_expect_str_eq(hb_bench_name(0), name);

	char *json = run_registered("test_bench");
	double want = 2600.0 / hb_timer()->ghz;

	snprintf(quoted, sizeof(quoted), "\"%s/manual_time\"", name);
	cr_expect_not_null(strstr(json, quoted), "%s", json);
	cr_expect_null(strstr(json, "error_message"), "%s", json);
	cr_expect_eq(atomic_load(&f.cpu), (int)topo->nvcpus - 1,
	    "the operation ran on vCPU %d, not the sender",
	    atomic_load(&f.cpu));
	cr_expect_gt(atomic_load(&f.batches), 0);
	/* Whole batches of 100, each after its warm-up, then in each body
	 * call (Google Benchmark's estimate, the run) the perf pass (its
	 * warm-up and min(batch, 200) operations, when perf counters
	 * opened), outside the batch hooks. */
	const char *po = strstr(json, "\"perf_ops\"");
	unsigned long perf_ops = po != NULL ?
	    (unsigned long)json_number(json, "perf_ops") : 0;

	cr_expect(po == NULL || perf_ops == 100, "perf_ops %lu", perf_ops);
	cr_expect_eq(atomic_load(&f.ops), atomic_load(&f.batches) *
	    (100 + params.warmup_ops) + atomic_load(&f.calls) * (po != NULL ?
	    params.warmup_ops + perf_ops : 0), "%lu operations for %lu "
	    "batches of 100 + %u warm-up, %lu calls with a perf pass of %lu",
	    atomic_load(&f.ops), atomic_load(&f.batches), params.warmup_ops,
	    atomic_load(&f.calls), perf_ops);
	static const char *const keys[] = { "p50_ns", "p90_ns", "p99_ns",
	    "p999_ns", "max_ns", "min_ns", "mean_ns", "real_time" };
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		double v = json_number(json, keys[i]);
		cr_expect(fabs(v - want) < 1e-6 * want, "%s = %g, want %g",
		    keys[i], v, want);
	}
	cr_expect_geq(json_number(json, "samples"), 100);
	cr_expect_eq(hb_bench_end(), 0);
	free(json);
	hb_topology_close(topo);
}

/* An operation that does not return until released. */
static _Atomic int release;

static uint64_t
stuck_op(void *arg)
{
	(void)arg;
	while (!atomic_load(&release))
		usleep(1000);
	return 1;
}

static void
stuck_body(struct hb_bench *b, void *arg)
{
	(void)arg;
	struct hb_op op = { .sender = cpu_lookup(0), .op = stuck_op };

	hb_measure(b, &op);
}

Test(bench, watchdog_names_vcpu_and_wedges, .timeout = 60)
{
	static struct fixed f = { .ticks = 100 };

	struct hb_group g = group(&w_fixed, NULL), h = group(&w_other, NULL);

	setup(1);
	hb_bench_add(&g, stuck_body, NULL, NULL, "k:1");
	hb_bench_add(&h, fixed_body, &f, NULL, "k:1");
	char *json = run_registered("test_bench");

	cr_expect_not_null(strstr(json, "vCPU 0 (PU "), "%s", json);
	cr_expect_not_null(strstr(json, "did not finish its job within 1 s"),
	    "%s", json);
	cr_expect_not_null(strstr(json, "\"error_message\": \"machine wedged: "),
	    "%s", json);
	cr_expect_eq(atomic_load(&f.ops), 0, "a wedged machine ran more");
	cr_expect(hb_bench_wedged());
	cr_expect_eq(hb_bench_end(), 1);
	atomic_store(&release, 1);	/* let the stuck vCPU go */
	free(json);
}

Test(bench, signal_skips_the_rest, .timeout = 60)
{
	static struct fixed f = { .ticks = 100 };

	struct hb_group g = group(&w_fixed, NULL), h = group(&w_other, NULL);

	setup(10);
	hb_bench_add(&g, fixed_body, &f, NULL, "k:1");
	hb_bench_add(&h, fixed_body, &f, NULL, "k:2");
	hb_bench_signals();
	raise(SIGINT);
	cr_expect_eq(hb_bench_interrupted(), SIGINT);
	char *json = run_registered("test_bench");

	cr_expect_not_null(strstr(json, "/k:1/manual_time\""), "%s", json);
	cr_expect_not_null(strstr(json, "/k:2/manual_time\""), "%s", json);
	cr_expect_not_null(strstr(json, "\"error_message\": \"interrupted\""),
	    "%s", json);
	cr_expect_eq(atomic_load(&f.ops), 0, "ran after the signal");
	cr_expect_eq(hb_bench_end(), 1);
	free(json);
	hb_topology_close(topo);
}

/* A backend whose init fails: its machine cannot start. */
static int
failing_init(struct cpu_info *ci, char *err, size_t errlen)
{
	(void)ci;
	snprintf(err, errlen, "refused on purpose");
	return -1;
}

static void
failing_idle(struct cpu_info *ci)
{
	(void)ci;
}

static const struct ipi_backend_ops failing = {
	.name = "failing",
	.summary = "init fails",
	.init = failing_init,
	.idle = failing_idle,
	.kick = failing_idle,
};

Test(bench, machine_that_cannot_start_skips_its_group, .timeout = 60)
{
	static struct fixed f = { .ticks = 100 };
	struct hb_group g = group(&w_fixed, &failing);

	setup(10);
	hb_bench_add(&g, fixed_body, &f, NULL, "k:1");
	hb_bench_add(&g, fixed_body, &f, NULL, "k:2");
	char *json = run_registered("test_bench");

	cr_expect_not_null(strstr(json, "with backend failing, placement "
	    "local: "), "%s", json);
	cr_expect_not_null(strstr(json, "refused on purpose"), "%s", json);
	cr_expect_eq(atomic_load(&f.ops), 0, "ran without a machine");
	cr_expect_eq(hb_bench_end(), 1);
	free(json);
	hb_topology_close(topo);
}

Test(bench, yardstick_runs_beside_on_the_quiet_backend, .timeout = 60)
{
	static struct fixed f = { .ticks = 100 };
	const struct ipi_backend_ops *beside = ipi_backends[0];
	struct hb_group g = group(&w_yard, beside);
	char name[256];

	setup(10);
	cr_assert_not_null(hb_quiet_backend(), "every backend spins");
	cr_expect(!hb_quiet_backend()->spins);
	hb_bench_add(&g, fixed_body, &f, NULL, "k:3");
	snprintf(name, sizeof(name), "yard/beside:%s/k:3", beside->name);
	cr_expect_str_eq(hb_bench_name(0), name);
	char *json = run_registered("test_bench");

	cr_expect_null(strstr(json, "error_message"), "%s", json);
	cr_expect_gt(atomic_load(&f.ops), 0);
	cr_expect_eq(hb_bench_end(), 0);
	free(json);
	hb_topology_close(topo);
}

Test(bench, name_without_a_key_of_the_table_aborts, .signal = SIGABRT,
    .timeout = 30)
{
	struct hb_group g = group(&w_fixed, NULL);

	setup(10);
	hb_bench_add(&g, fixed_body, NULL, NULL, "k:1/nosuch:2");
}

Test(bench, keys_out_of_order_abort, .signal = SIGABRT, .timeout = 30)
{
	static const struct hb_workload w = { .name = "two", .keys = "a,b" };
	struct hb_group g = group(&w, NULL);

	setup(10);
	hb_bench_add(&g, fixed_body, NULL, NULL, "b:1/a:2");
}

Test(bench, empty_segment_aborts, .signal = SIGABRT, .timeout = 30)
{
	struct hb_group g = group(&w_fixed, NULL);

	setup(10);
	hb_bench_add(&g, fixed_body, NULL, NULL, "k:1/");
}
