/*
 * test_gbench.c: the C wrapper over Google Benchmark (harness/gbench.h):
 * a benchmark registered from C runs; its manual time, counters and
 * the custom context reach the JSON file; errors and early returns
 * become error entries rather than an abort; bad flags are refused; the
 * filter count follows Google Benchmark's selection.  Interleaving
 * (hbg_set_interleave, hbg_set_group): repetitions are shuffled within a
 * group only, a group that asks for order keeps it, and the run still
 * writes one JSON (or CSV, or console) file with every benchmark, its
 * aggregates and the family indices of one call; the filter and the
 * aggregates-only flags apply as Google Benchmark's; one progress line
 * per benchmark; an output file that cannot be opened exits 1.
 *
 * Each Test runs in its own process (Criterion forks), so Google
 * Benchmark's global registry starts empty in each.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

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

/*
 * Interleaving.
 */

/* The bodies' calls, in order: each appends its id. */
static char seq[1024];
static unsigned nseq;

static void
body_seq(hbg_state *st, void *arg)
{
	if (nseq < sizeof(seq) - 1)
		seq[nseq++] = *(const char *)arg;
	while (hbg_keep_running_batch(st, 1))
		hbg_set_iteration_time(st, 1e-6);
	hbg_counter(st, "p50_ns", 1, HBG_COUNTER_DEFAULT);
}

#define	SEQ_ITERS	5	/* fixed: one call a repetition */
#define	SEQ_REPS	10

/* reg_seq: benchmark name, id a one-letter string, in group. */
static void
reg_seq(const char *name, const char *id, unsigned group, bool shuffle)
{
	hbg_bench *b = hbg_register(name, body_seq, (void *)id);

	hbg_use_manual_time(b);
	hbg_iterations(b, SEQ_ITERS);
	hbg_repetitions(b, SEQ_REPS);
	hbg_set_group(b, group, shuffle);
}

/* Groups: {A, B} and {C, D}, in that order. */
static void
reg_four(bool shuffle)
{
	reg_seq("seqA", "A", 0, shuffle);
	reg_seq("seqB", "B", 0, shuffle);
	reg_seq("seqC", "C", 1, shuffle);
	reg_seq("seqD", "D", 1, shuffle);
}

/* expect_calls_in_order: reg_four's four ran, each repetition in turn. */
static void
expect_calls_in_order(size_t ran)
{
	cr_expect_eq(ran, 4);
	cr_assert_eq(nseq, 4 * SEQ_REPS, "calls: %s", seq);
	for (unsigned i = 0; i < nseq; i++)
		cr_expect_eq(seq[i], "ABCD"[i / SEQ_REPS], "calls: %s", seq);
}

/* count: occurrences of needle in s. */
static unsigned
count(const char *s, const char *needle)
{
	unsigned n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* switches: how often seq[from..to) changes letter. */
static unsigned
switches(unsigned from, unsigned to)
{
	unsigned n = 0;

	for (unsigned i = from + 1; i < to; i++)
		n += seq[i] != seq[i - 1];
	return n;
}

/* family: the JSON says benchmark seqX (full name) has family index i. */
static bool
family(const char *json, const char *x, int i)
{
	char pat[256];

	snprintf(pat, sizeof(pat), "\"name\": \"seq%s/iterations:%d/"
	    "repeats:%d/manual_time\",\n      \"family_index\": %d,", x,
	    SEQ_ITERS, SEQ_REPS, i);
	return strstr(json, pat) != NULL;
}

Test(gbench, interleave_within_groups_only, .timeout = 60)
{
	size_t ran;

	reg_four(true);
	hbg_set_interleave(true);
	char *json = run_to_json(NULL, 0, &ran);

	cr_expect_eq(ran, 4);
	cr_assert_eq(nseq, 4 * SEQ_REPS, "calls: %s", seq);
	/* Group {A, B} entirely before {C, D}. */
	for (unsigned i = 0; i < 2 * SEQ_REPS; i++)
		cr_expect(seq[i] == 'A' || seq[i] == 'B', "calls: %s", seq);
	for (unsigned i = 2 * SEQ_REPS; i < nseq; i++)
		cr_expect(seq[i] == 'C' || seq[i] == 'D', "calls: %s", seq);
	/* Shuffled: in order, a group switches once (one chance in
	 * 92,378 of a shuffle doing so). */
	cr_expect_gt(switches(0, 2 * SEQ_REPS), 1, "calls: %s", seq);
	cr_expect_gt(switches(2 * SEQ_REPS, nseq), 1, "calls: %s", seq);

	/* One valid file: one context, every run, every aggregate. */
	cr_expect_eq(count(json, "\"context\": {"), 1, "%s", json);
	cr_expect_eq(count(json, "\"benchmarks\": ["), 1, "%s", json);
	cr_expect_eq(count(json, "\"run_type\": \"iteration\""),
	    4 * SEQ_REPS, "%s", json);
	cr_expect_eq(count(json, "\"aggregate_name\": \"mean\""), 4, "%s",
	    json);
	cr_expect_eq(count(json, "\"aggregate_name\": \"cv\""), 4, "%s",
	    json);
	size_t len = strlen(json);
	cr_expect(len > 7 && strcmp(json + len - 7, "\n  ]\n}\n") == 0,
	    "the file ends with one Finalize:\n%s", json + (len > 200 ?
	    len - 200 : 0));
	/* Family indices as one call numbers them: registration order. */
	cr_expect(family(json, "A", 0) && family(json, "B", 1) &&
	    family(json, "C", 2) && family(json, "D", 3), "%s", json);
	/* Rows come by group: {A, B}'s before {C, D}'s. */
	const char *lastab = strstr(json, "\"name\": \"seqA");
	const char *b = strstr(json, "\"name\": \"seqB");
	const char *firstcd = strstr(json, "\"name\": \"seqC");
	const char *d = strstr(json, "\"name\": \"seqD");

	cr_assert(lastab != NULL && b != NULL && firstcd != NULL && d != NULL);
	if (b > lastab)
		lastab = b;
	if (d < firstcd)
		firstcd = d;
	cr_expect_lt(lastab, firstcd, "%s", json);
	free(json);
	hbg_clear();
}

Test(gbench, interleave_off_in_order, .timeout = 60)
{
	size_t ran;

	reg_four(true);
	hbg_set_interleave(false);
	char *json = run_to_json(NULL, 0, &ran);

	expect_calls_in_order(ran);
	cr_expect(family(json, "A", 0) && family(json, "B", 1) &&
	    family(json, "C", 2) && family(json, "D", 3), "%s", json);
	const char *p[4];
	for (unsigned i = 0; i < 4; i++) {
		char pat[32];

		snprintf(pat, sizeof(pat), "\"name\": \"seq%c", "ABCD"[i]);
		p[i] = strstr(json, pat);
		cr_assert_not_null(p[i]);
		if (i > 0)
			cr_expect_lt(p[i - 1], p[i], "rows in order:\n%s", json);
	}
	free(json);
	hbg_clear();
}

Test(gbench, interleave_ordered_group_keeps_order, .timeout = 60)
{
	size_t ran;

	reg_four(false);
	hbg_set_interleave(true);
	char *json = run_to_json(NULL, 0, &ran);

	expect_calls_in_order(ran);
	free(json);
	hbg_clear();
}

Test(gbench, interleave_filter_as_google_benchmark, .timeout = 60)
{
	static const char *const extra[] = {
	    "--benchmark_filter=seq[BD]" };
	size_t ran;

	reg_four(true);
	hbg_set_interleave(true);
	char *json = run_to_json(extra, 1, &ran);

	cr_expect_eq(ran, 2);
	cr_expect_eq(nseq, 2 * SEQ_REPS, "calls: %s", seq);
	cr_expect_eq(count(seq, "A") + count(seq, "C"), 0, "calls: %s", seq);
	cr_expect_eq(count(json, "\"context\": {"), 1, "%s", json);
	cr_expect_eq(count(json, "\"run_type\": \"iteration\""),
	    2 * SEQ_REPS, "%s", json);
	/* Numbered among the selected, as one call would. */
	cr_expect(family(json, "B", 0) && family(json, "D", 1), "%s", json);
	free(json);
	hbg_clear();
}

Test(gbench, interleave_aggregates_only_flags, .timeout = 60)
{
	static const char *const rep[] = {
	    "--benchmark_report_aggregates_only=true" };
	static const char *const disp[] = {
	    "--benchmark_report_aggregates_only=false",
	    "--benchmark_display_aggregates_only=true" };
	size_t ran;

	reg_four(true);
	hbg_set_interleave(true);
	char *json = run_to_json(rep, 1, &ran);

	/* The file honours report_aggregates_only ... */
	cr_expect_eq(count(json, "\"run_type\": \"iteration\""), 0, "%s",
	    json);
	cr_expect_eq(count(json, "\"aggregate_name\": \"mean\""), 4, "%s",
	    json);
	free(json);
	/* ... and display_aggregates_only leaves it whole (a second run in
	 * the same process: the flags stay as Initialize left them). */
	json = run_to_json(disp, 2, &ran);
	cr_expect_eq(count(json, "\"run_type\": \"iteration\""),
	    4 * SEQ_REPS, "%s", json);
	cr_expect_eq(count(json, "\"context\": {"), 1, "%s", json);
	free(json);
	hbg_clear();
}

Test(gbench, interleave_csv_and_console_files, .timeout = 60)
{
	static const char *const csv[] = { "--benchmark_out_format=csv" };
	static const char *const con[] = {
	    "--benchmark_out_format=console" };
	size_t ran;

	reg_four(true);
	hbg_set_interleave(true);
	char *out = run_to_json(csv, 1, &ran);

	cr_expect_eq(ran, 4);
	cr_expect_eq(count(out, "name,iterations,"), 1, "one header:\n%s",
	    out);
	cr_expect_eq(count(out, "\n\"seqA/"), SEQ_REPS + 4, "%s", out);
	cr_expect_eq(count(out, "\n\"seqD/"), SEQ_REPS + 4, "%s", out);
	free(out);
	out = run_to_json(con, 1, &ran);
	cr_expect_eq(count(out, "\nBenchmark "), 1, "one header:\n%s", out);
	cr_expect_eq(count(out, "\nseqC/"), SEQ_REPS + 4, "%s", out);
	free(out);
	hbg_clear();
}

Test(gbench, interleave_list_tests_runs_nothing, .timeout = 30)
{
	char *argv[] = { (char *)"t", (char *)"--benchmark_list_tests=true",
	    NULL };
	int argc = 2;

	reg_four(true);
	cr_assert_eq(hbg_initialize(&argc, argv), 0);
	hbg_set_progress(false, NULL, 0);
	hbg_set_interleave(true);
	cr_expect_eq(hbg_run(), 4);
	cr_expect_eq(nseq, 0, "calls: %s", seq);
	hbg_shutdown();
	hbg_clear();
}

Test(gbench, interleave_bad_out_exits_1, .timeout = 30, .exit_code = 1)
{
	char *argv[] = { (char *)"t",
	    (char *)"--benchmark_out=/nonexistent-ipibench/x.json", NULL };
	int argc = 2;

	reg_four(true);
	cr_assert_eq(hbg_initialize(&argc, argv), 0);
	hbg_set_progress(false, NULL, 0);
	hbg_set_interleave(true);
	hbg_run();
	cr_assert_fail("hbg_run returned: it should have exited 1");
}

/* One progress line per benchmark, counted 1..N, though interleaved. */
Test(gbench, interleave_progress_once_each, .timeout = 60,
    .init = cr_redirect_stderr)
{
	static const double est[] = { 60, 60, 60, 60 };
	char *argv[] = { (char *)"t", (char *)"--benchmark_min_time=0.001",
	    NULL };
	int argc = 2;
	char line[512];
	unsigned k = 0;

	reg_four(true);
	cr_assert_eq(hbg_initialize(&argc, argv), 0);
	hbg_set_progress(true, est, 4);
	hbg_set_interleave(true);
	cr_expect_eq(hbg_run(), 4);
	hbg_shutdown();
	fflush(stderr);

	FILE *f = cr_get_redirected_stderr();

	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned i, n;
		char left[32];

		if (sscanf(line, "[%u/%u]", &i, &n) != 2)
			continue;
		cr_expect_eq(i, k + 1, "line %s", line);
		cr_expect_eq(n, 4, "line %s", line);
		/* Nothing done yet: the plan's whole estimate. */
		if (i == 1 && sscanf(strstr(line, "left ~"), "left ~%31s",
		    left) == 1)
			cr_expect_str_eq(left, "4:00", "line %s", line);
		k = i;
	}
	cr_expect_eq(k, 4, "progress lines for 4 benchmarks");
	hbg_clear();
}

/*
 * Errors after good repetitions (SIGINT: every later repetition skipped
 * as "interrupted"): Google Benchmark 1.7.1 aborts computing the
 * aggregates unless every repetition reports the same iteration count;
 * the wrapper pads an error's count to the good repetitions'.  Fixed 10
 * iterations in batches of 7: a good repetition runs 14.
 */
static void
body_fails_later(hbg_state *st, void *arg)
{
	unsigned *calls = arg;

	switch (++*calls) {
	case 1:
	case 2:
		while (hbg_keep_running_batch(st, 7))
			hbg_set_iteration_time(st, 7e-6);
		break;
	case 3:
	case 4:		/* before the loop */
		hbg_skip_with_error(st, "interrupted");
		cr_expect_eq(hbg_iterations_done(st), 0);
		break;
	default:	/* inside it */
		hbg_keep_running_batch(st, 7);
		hbg_skip_with_error(st, "interrupted");
		cr_expect_eq(hbg_iterations_done(st), 7);
		break;
	}
}

Test(gbench, errors_after_good_repetitions_no_abort, .timeout = 60)
{
	static unsigned calls;
	size_t ran;
	hbg_bench *b = hbg_register("later", body_fails_later, &calls);

	hbg_use_manual_time(b);
	hbg_iterations(b, 10);
	hbg_repetitions(b, 5);
	hbg_set_interleave(true);
	char *json = run_to_json(NULL, 0, &ran);

	cr_expect_eq(ran, 1);
	cr_expect_eq(calls, 5);
	cr_expect_eq(count(json, "\"run_type\": \"iteration\""), 5, "%s",
	    json);
	cr_expect_eq(count(json, "\"error_message\": \"interrupted\""), 3,
	    "%s", json);
	cr_expect_eq(count(json, "\"iterations\": 14,"), 5, "%s", json);
	cr_expect_eq(count(json, "\"aggregate_name\": \"mean\""), 1, "%s",
	    json);
	free(json);
	hbg_clear();
}
