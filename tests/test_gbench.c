/*
 * test_gbench.c: the C wrapper over Google Benchmark (harness/gbench.h):
 * a benchmark registered from C runs; its manual time, counters and
 * the custom context reach the JSON file; errors and early returns
 * become error entries rather than an abort; bad flags are refused; the
 * filter count follows Google Benchmark's selection.
 *
 * Each Test runs in its own process (Criterion forks), so Google
 * Benchmark's global registry starts empty in each.
 */
#include <criterion/criterion.h>

#include <math.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/gbench.h"
#include "json_testlib.h"

/*
 * run_to_json: initialize with extra flags, run with JSON out to a
 * temporary file, return its text.
 */
static char *
run_to_json(const char *const *extra, unsigned nextra, size_t *ran)
{
	char path[] = "/tmp/test_gbench_XXXXXX";
	char out[128];
	char *argv[16];
	int argc = 0, fd;

	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(out, sizeof(out), "--benchmark_out=%s", path);
	argv[argc++] = (char *)"test_gbench";
	argv[argc++] = out;
	argv[argc++] = (char *)"--benchmark_out_format=json";
	argv[argc++] = (char *)"--benchmark_min_time=0.001";
	for (unsigned i = 0; i < nextra && argc < 15; i++)
		argv[argc++] = (char *)extra[i];
	argv[argc] = NULL;
	cr_assert_eq(hbg_initialize(&argc, argv), 0, "flags refused");
	hbg_set_progress(false, NULL, 0);
	*ran = hbg_run();
	hbg_shutdown();
	char *json = slurp(path);
	unlink(path);
	return json;
}

/* A body: batches of 10 iterations, 1 us each, and counters. */
static void
body_ok(hbg_state *st, void *arg)
{
	int *calls = arg;

	(*calls)++;
	while (hbg_keep_running_batch(st, 10))
		hbg_set_iteration_time(st, 10e-6);
	hbg_counter(st, "p50_ns", 42.5, HBG_COUNTER_DEFAULT);
	hbg_counter(st, "samples", 7, HBG_COUNTER_DEFAULT);
}

Test(gbench, counters_context_reach_json, .timeout = 60)
{
	static int calls;
	size_t ran;

	hbg_use_manual_time(hbg_register("cbench/key:1", body_ok, &calls));
	hbg_add_context("ipibench_test_key", "the-value");
	char *json = run_to_json(NULL, 0, &ran);

	cr_expect_eq(ran, 1, "ran %zu benchmarks", ran);
	cr_expect_gt(calls, 0);
	cr_expect_not_null(strstr(json, "\"name\": \"cbench/key:1/manual_time\""),
	    "name missing:\n%s", json);
	cr_expect_eq(json_number(json, "p50_ns"), 42.5, "counter:\n%s", json);
	cr_expect_eq(json_number(json, "samples"), 7, "counter:\n%s", json);
	cr_expect_not_null(strstr(json,
	    "\"ipibench_test_key\": \"the-value\""), "context:\n%s", json);
	/* manual time: 1 us per iteration, in ns */
	cr_expect(fabs(json_number(json, "real_time") - 1000.0) < 1e-6,
	    "manual time:\n%s", json);
	free(json);
	hbg_clear();
}

static void
body_skip(hbg_state *st, void *arg)
{
	(void)arg;
	hbg_skip_with_error(st, "skipped on purpose");
}

/* Returns before its loop ended: Google Benchmark alone would abort. */
static void
body_early(hbg_state *st, void *arg)
{
	(void)arg;
	hbg_keep_running_batch(st, 1);
}

/* Skips in the middle of its loop (what the watchdog does). */
static void
body_skip_mid(hbg_state *st, void *arg)
{
	(void)arg;
	while (hbg_keep_running_batch(st, 1)) {
		hbg_set_iteration_time(st, 1e-6);
		hbg_skip_with_error(st, "mid-loop");
		return;
	}
}

Test(gbench, errors_are_entries_not_aborts, .timeout = 60)
{
	size_t ran;

	hbg_use_manual_time(hbg_register("skipme", body_skip, NULL));
	hbg_use_manual_time(hbg_register("early", body_early, NULL));
	hbg_use_manual_time(hbg_register("mid", body_skip_mid, NULL));
	char *json = run_to_json(NULL, 0, &ran);

	cr_expect_eq(ran, 3);
	cr_expect_not_null(strstr(json, "\"error_message\": \"mid-loop\""),
	    "mid-loop skip:\n%s", json);
	cr_expect_not_null(strstr(json, "\"error_message\": \"skipped on "
	    "purpose\""), "skip:\n%s", json);
	cr_expect_not_null(strstr(json, "returned before its loop ended"),
	    "early return:\n%s", json);
	free(json);
	hbg_clear();
}

Test(gbench, bad_flags_refused, .timeout = 30)
{
	char *argv[] = { (char *)"t", (char *)"--benchmark_no_such_flag=1",
	    NULL };
	int argc = 2;

	cr_expect_eq(hbg_initialize(&argc, argv), -1);
}

Test(gbench, malformed_min_time_refused, .timeout = 30)
{
	char *argv[] = { (char *)"t", (char *)"--benchmark_min_time=0.5s",
	    NULL };
	int argc = 2;

	cr_expect_eq(hbg_initialize(&argc, argv), -1,
	    "1.7.1 takes plain seconds: '0.5s' must be refused");
}

static void
body_none(hbg_state *st, void *arg)
{
	(void)arg;
	while (hbg_keep_running_batch(st, 1))
		hbg_set_iteration_time(st, 1e-6);
}

Test(gbench, count_follows_filter, .timeout = 30)
{
	static const char *const names[] = { "foo/a:1", "foo/a:2", "bar/a:1" };

	for (unsigned i = 0; i < 3; i++)
		hbg_use_manual_time(hbg_register(names[i], body_none, NULL));

	char *argv[] = { (char *)"t", (char *)"--benchmark_filter=^foo/",
	    NULL };
	int argc = 2;
	cr_assert_eq(hbg_initialize(&argc, argv), 0);
	cr_expect_eq(hbg_count_selected(), 2);

	char *argv2[] = { (char *)"t", (char *)"--benchmark_filter=-foo",
	    NULL };
	argc = 2;
	cr_assert_eq(hbg_initialize(&argc, argv2), 0);
	cr_expect_eq(hbg_count_selected(), 1);

	char *argv3[] = { (char *)"t", (char *)"--benchmark_filter=all",
	    NULL };
	argc = 2;
	cr_assert_eq(hbg_initialize(&argc, argv3), 0);
	cr_expect_eq(hbg_count_selected(), 3);
	hbg_clear();
}
