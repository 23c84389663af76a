/*
 * json_testlib.h: reading the Google Benchmark JSON a test produced.
 * Criterion tests only (failures are test failures).
 */
#ifndef TESTS_JSON_TESTLIB_H
#define TESTS_JSON_TESTLIB_H

#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
