/*
 * json_testlib.h: producing and reading the Google Benchmark JSON of a
 * test.  Criterion tests only (failures are test failures).
 */
#ifndef TESTS_JSON_TESTLIB_H
#define TESTS_JSON_TESTLIB_H

#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/gbench.h"

/* slurp: the whole file (malloc'ed), or a failed test. */
static inline char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/*
 * run_registered: Google Benchmark over what is registered (one
 * repetition, min_time 1 ms, no progress line), as program prog; the
 * JSON text it wrote (malloc'ed).
 */
static inline char *
run_registered(const char *prog)
{
	char path[] = "/tmp/ipibench_test_XXXXXX";
	char out[128];
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(out, sizeof(out), "--benchmark_out=%s", path);
	char *argv[] = { (char *)prog, out,
	    (char *)"--benchmark_out_format=json",
	    (char *)"--benchmark_min_time=0.001",
	    (char *)"--benchmark_repetitions=1", NULL };
	int argc = 5;

	cr_assert_eq(hbg_initialize(&argc, argv), 0);
	hbg_set_progress(false, NULL, 0);
	hb_bench_commit();
	hbg_run();
	hbg_shutdown();
	char *json = slurp(path);
	unlink(path);
	return json;
}

/* json_number: the number after the first "key": in json; NAN if none. */
static inline double
json_number(const char *json, const char *key)
{
	char pat[128];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	if ((p = strstr(json, pat)) == NULL)
		return NAN;
	return strtod(p + strlen(pat), NULL);
}

#endif /* TESTS_JSON_TESTLIB_H */
