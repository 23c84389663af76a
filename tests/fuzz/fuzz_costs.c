/*
 * fuzz_costs.c: benchmark names and costs read from a file: a previous
 * run's costs.csv given to `ipibench run --calibrate RUN`
 * (hb_costs_load, harness/cost.c), and what the plan makes of them.
 *
 * The input is the file's content.  hb_costs_load takes a path only:
 * the input goes to a memfd, opened through a symlink named costs.csv
 * in a private folder made once (removed at exit).  A calibration that
 * loads is then planned as `ipibench run --dry-run --calibrate` would
 * (hb_plan_fit, hb_plan_print): benchmarks registered on a synthetic
 * 2-core topology with the parameters of configs/quick.ini, as `ipibench
 * run` registers them (hb_sweep_register), so that the names of a quick
 * run's costs.csv on 2 PUs (the seeds) match, and
 * each name is looked up (bsearch), its segments read (/k:N, /n:N,
 * /senders:N, /dwell:N, /handler_ns:N, /rate:N, mode:coalesce) and its
 * numbers turned into iterations and times; UBSan sees every
 * conversion.  What cost.h and plan.h promise, checked:
 *   - hb_costs_load: 0 with *out set, or -1 with a message and *out NULL;
 *   - hb_plan_fit: 0, or -1 with a message (a budget not met).
 * Nothing else of a run starts: no vCPU thread, no Google Benchmark.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/cost.h"
#include "harness/plan.h"
#include "harness/sweep.h"
#include "tests/fuzz/fuzz.h"

/* configs/quick.ini's lists and times (the seeds come from a quick run). */
static const char *const quick[][2] = {
	{ "repetitions", "2" }, { "min_time", "0.01" }, { "batch", "100" },
	{ "budget", "3m" }, { "idle_dwell_us", "0,100" },
	{ "burst", "1,16" }, { "handler_ns", "0,1000" },
	{ "rate", "0,100000" },
};

static struct hb_topology *topo;
static struct hb_params params;
static struct hb_run run;
static int memfd = -1;
static char dir[64], link_path[96];
static FILE *devnull;

static void
cleanup(void)
{
	unlink(link_path);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512], target[64];

	(void)argc;
	(void)argv;
	if (hb_topology_open("synthetic:pack:1 l3:1 core:2 pu:1", &topo, err,
	    sizeof(err)) != 0 || hb_topology_select(topo, NULL, false, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_costs: %s\n", err);
		exit(1);
	}
	hb_params_init(&params);
	for (size_t i = 0; i < sizeof(quick) / sizeof(quick[0]); i++) {
		if (hb_param_set(&params, quick[i][0], quick[i][1], err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "fuzz_costs: %s\n", err);
			exit(1);
		}
	}
	snprintf(dir, sizeof(dir), "%s", "/tmp/fuzz_costs.XXXXXX");
	if (mkdtemp(dir) == NULL ||
	    (memfd = memfd_create("costs.csv", 0)) < 0) {
		perror("fuzz_costs: mkdtemp or memfd_create");
		exit(1);
	}
	snprintf(target, sizeof(target), "/proc/self/fd/%d", memfd);
	snprintf(link_path, sizeof(link_path), "%s/costs.csv", dir);
	if (symlink(target, link_path) != 0) {
		perror("fuzz_costs: symlink");
		exit(1);
	}
	atexit(cleanup);
	if ((devnull = fopen("/dev/null", "w")) == NULL) {
		perror("fuzz_costs: /dev/null");
		exit(1);
	}
	run = (struct hb_run){ .params = &params, .topo = topo,
	    .ncores = 2 };
	hb_bench_begin(&run);
	return 0;
}

/* reg: register the run's benchmarks as `ipibench run` does. */
static void
reg(const struct hb_run *r, void *arg)
{
	char wrun[512];

	(void)arg;
	hb_sweep_register(r, wrun, sizeof(wrun));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hb_plan plan;
	struct hb_costs *cal = (struct hb_costs *)&cal;	/* not NULL */
	struct hb_params p = params;	/* strings: all NULL (defaults) */
	char err[1024];

	FUZZ_CHECK(ftruncate(memfd, 0) == 0 && pwrite(memfd, data, size, 0) ==
	    (ssize_t)size, "memfd: cannot write");
	err[0] = '\0';
	if (hb_costs_load(link_path, &cal, err, sizeof(err)) != 0) {
		FUZZ_CHECK(cal == NULL, "-1 with *out set");
		FUZZ_CHECK(fuzz_errmsg_ok(err, sizeof(err)), "-1 without a "
		    "message");
		return 0;
	}
	FUZZ_CHECK(cal != NULL, "0 without *out");
	FUZZ_CHECK(strcmp(hb_costs_source(cal), link_path) == 0, "source %s",
	    hb_costs_source(cal));

	run.params = &p;
	err[0] = '\0';
	if (hb_plan_fit(&p, &run, cal, NULL, reg, NULL, &plan, err,
	    sizeof(err)) != 0)
		FUZZ_CHECK(fuzz_errmsg_ok(err, sizeof(err)), "hb_plan_fit: -1 "
		    "without a message");
	hb_plan_print(&plan, &run, false, devnull);
	hb_plan_print(&plan, &run, true, devnull);
	free(hb_plan_estimates());
	hb_bench_reset();
	run.params = &params;
	hb_costs_free(cal);
	return 0;
}
