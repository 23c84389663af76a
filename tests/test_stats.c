/*
 * test_stats.c: nearest-rank percentiles on known samples, and the
 * reservoir's bound and rough uniformity (harness/stats.c).
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "harness/stats.h"

/* shuffle: a fixed permutation, so that the sort has work to do. */
static void
shuffle(uint64_t *v, size_t n)
{
	uint64_t x = 12345;

	for (size_t i = n; i > 1; i--) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		size_t j = x % i;
		uint64_t t = v[i - 1]; v[i - 1] = v[j]; v[j] = t;
	}
}

Test(stats, one_to_thousand, .timeout = 10)
{
	uint64_t v[1000];
	struct hb_summary s;

	for (unsigned i = 0; i < 1000; i++)
		v[i] = i + 1;
	shuffle(v, 1000);
	hb_summarize(v, 1000, &s);
	cr_expect_eq(s.n, 1000);
	cr_expect_eq(s.min, 1.0);
	cr_expect_eq(s.max, 1000.0);
	cr_expect_float_eq(s.mean, 500.5, 1e-9);
	cr_expect_eq(s.p50, 500.0, "p50 %g", s.p50);
	cr_expect_eq(s.p90, 900.0, "p90 %g", s.p90);
	cr_expect_eq(s.p99, 990.0, "p99 %g", s.p99);
	cr_expect_eq(s.p999, 999.0, "p99.9 %g", s.p999);
	for (unsigned i = 1; i < 1000; i++)
		cr_assert_leq(v[i - 1], v[i], "sorted in place");
}

Test(stats, one_to_hundred, .timeout = 10)
{
	uint64_t v[100];
	struct hb_summary s;

	for (unsigned i = 0; i < 100; i++)
		v[i] = 100 - i;
	hb_summarize(v, 100, &s);
	cr_expect_eq(s.p50, 50.0);
	cr_expect_eq(s.p90, 90.0);
	cr_expect_eq(s.p99, 99.0);
	cr_expect_eq(s.p999, 100.0, "ceil(99.9) = rank 100");
	cr_expect_eq(s.max, 100.0);
}

Test(stats, ten_samples, .timeout = 10)
{
	/* ranks: p50 5th, p90 9th, p99 and p99.9 10th. */
	uint64_t v[10] = { 70, 10, 100, 40, 20, 90, 30, 60, 50, 80 };
	struct hb_summary s;

	hb_summarize(v, 10, &s);
	cr_expect_eq(s.p50, 50.0);
	cr_expect_eq(s.p90, 90.0);
	cr_expect_eq(s.p99, 100.0);
	cr_expect_eq(s.p999, 100.0);
	cr_expect_eq(s.min, 10.0);
	cr_expect_float_eq(s.mean, 55.0, 1e-9);
}

Test(stats, all_equal, .timeout = 10)
{
	uint64_t v[777];
	struct hb_summary s;

	for (unsigned i = 0; i < 777; i++)
		v[i] = 42;
	hb_summarize(v, 777, &s);
	cr_expect_eq(s.min, 42.0);
	cr_expect_eq(s.p50, 42.0);
	cr_expect_eq(s.p90, 42.0);
	cr_expect_eq(s.p99, 42.0);
	cr_expect_eq(s.p999, 42.0);
	cr_expect_eq(s.max, 42.0);
	cr_expect_float_eq(s.mean, 42.0, 1e-9);
}

Test(stats, single_sample, .timeout = 10)
{
	uint64_t v[1] = { 7 };
	struct hb_summary s;

	hb_summarize(v, 1, &s);
	cr_expect_eq(s.n, 1);
	cr_expect_eq(s.min, 7.0);
	cr_expect_eq(s.p50, 7.0);
	cr_expect_eq(s.p999, 7.0);
	cr_expect_eq(s.max, 7.0);
	cr_expect_float_eq(s.mean, 7.0, 1e-9);
}

Test(stats, no_samples, .timeout = 10)
{
	struct hb_summary s;

	memset(&s, 0xff, sizeof(s));
	hb_summarize(NULL, 0, &s);
	cr_expect_eq(s.n, 0);
	cr_expect_eq(s.min, 0.0);
	cr_expect_eq(s.mean, 0.0);
	cr_expect_eq(s.p50, 0.0);
	cr_expect_eq(s.p999, 0.0);
	cr_expect_eq(s.max, 0.0);
}

Test(stats, large_values, .timeout = 10)
{
	uint64_t v[3] = { UINT64_MAX, 0, UINT64_MAX / 2 };
	struct hb_summary s;

	hb_summarize(v, 3, &s);
	cr_expect_eq(s.min, 0.0);
	cr_expect_eq(s.max, (double)UINT64_MAX);
	cr_expect_eq(s.p50, (double)(UINT64_MAX / 2));
}

Test(samples, below_cap_keeps_all, .timeout = 10)
{
	struct hb_samples s;
	struct hb_summary sum;

	hb_samples_init(&s, 10000);
	for (uint64_t i = 1; i <= 9000; i++)	/* crosses the first alloc */
		hb_samples_push(&s, i);
	cr_expect_eq(s.n, 9000);
	cr_expect_eq(s.count, 9000);
	for (size_t i = 0; i < s.n; i++)
		cr_assert_eq(s.v[i], i + 1, "in push order");
	hb_summarize(s.v, s.n, &sum);
	cr_expect_eq(sum.p50, 4500.0);
	hb_samples_reset(&s);
	cr_expect_eq(s.n, 0);
	cr_expect_eq(s.count, 0);
	hb_samples_push(&s, 5);
	cr_expect_eq(s.n, 1);
	cr_expect_eq(s.v[0], 5);
	hb_samples_free(&s);
	cr_expect_null(s.v);
}

Test(samples, default_cap, .timeout = 10)
{
	struct hb_samples s;

	hb_samples_init(&s, 0);
	cr_expect_geq(s.cap, 1000000, "default cap is 1M, got %zu", s.cap);
	hb_samples_free(&s);
}

Test(samples, reservoir_bound, .timeout = 30)
{
	struct hb_samples s;
	const size_t cap = 1000;

	hb_samples_init(&s, cap);
	for (uint64_t i = 0; i < 100000; i++) {
		hb_samples_push(&s, i);
		cr_assert_leq(s.n, cap);
	}
	cr_expect_eq(s.n, cap);
	cr_expect_eq(s.count, 100000);
	for (size_t i = 0; i < s.n; i++)
		cr_assert_lt(s.v[i], 100000);
	hb_samples_free(&s);
}

/*
 * Rough uniformity: push 0 .. N-1 into a reservoir of cap; each tenth of
 * the range should hold about cap/10 of the kept samples.  With cap =
 * 10000 the expected count per decile is 1000 with a standard deviation
 * of about 30; the bound of +-200 is more than 6 sigma, and the generator
 * has a fixed seed, so the outcome is deterministic anyway.
 */
Test(samples, reservoir_roughly_uniform, .timeout = 30)
{
	struct hb_samples s;
	const size_t cap = 10000;
	const uint64_t N = 1000000;
	unsigned dec[10] = { 0 };
	struct hb_summary sum;

	hb_samples_init(&s, cap);
	for (uint64_t i = 0; i < N; i++)
		hb_samples_push(&s, i);
	cr_assert_eq(s.n, cap);
	for (size_t i = 0; i < s.n; i++)
		dec[s.v[i] * 10 / N]++;
	for (unsigned d = 0; d < 10; d++)
		cr_expect(dec[d] > 800 && dec[d] < 1200,
		    "decile %u holds %u of %zu", d, dec[d], cap);
	/* And the median of the reservoir is near the true median. */
	hb_summarize(s.v, s.n, &sum);
	cr_expect(sum.p50 > 0.45 * N && sum.p50 < 0.55 * N, "p50 %g", sum.p50);
	hb_samples_free(&s);
}
