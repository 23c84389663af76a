/*
 * test_hist.c: the log-linear histogram (harness/hist.[ch]): buckets
 * tile every uint64_t value with widths within the bound, percentiles
 * stay within 1/2^(S+1) of the exact nearest-rank ones (stats.c) on
 * known and random distributions, 0 and UINT64_MAX are kept, merging
 * equals recording into one, and weighted records count as many.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/hist.h"
#include "harness/stats.h"

/* The bound of hist.h on a percentile x: exact below 2^(S+1). */
static double
bound(double x)
{
	return x < 2.0 * HB_HIST_SUB ? 0 : x / (2.0 * HB_HIST_SUB);
}

static struct hb_hist *
new_hist(void)
{
	struct hb_hist *h = malloc(sizeof(*h));

	cr_assert_not_null(h);
	hb_hist_reset(h);
	return h;
}

/* xorshift64: fixed seed, reproducible. */
static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

Test(hist, buckets_tile_every_value, .timeout = 10)
{
	cr_expect_eq(hb_hist_lowest(0), 0);
	cr_expect_eq(hb_hist_highest(HB_HIST_BUCKETS - 1), UINT64_MAX);
	cr_expect_eq(hb_hist_index(0), 0);
	cr_expect_eq(hb_hist_index(UINT64_MAX), HB_HIST_BUCKETS - 1);
	for (unsigned i = 0; i < HB_HIST_BUCKETS; i++) {
		uint64_t lo = hb_hist_lowest(i), hi = hb_hist_highest(i);
		uint64_t w = hi - lo + 1;

		cr_assert_leq(lo, hi, "bucket %u: %lu .. %lu", i,
		    (unsigned long)lo, (unsigned long)hi);
		cr_assert_eq(hb_hist_index(lo), i, "index(lowest(%u))", i);
		cr_assert_eq(hb_hist_index(hi), i, "index(highest(%u))", i);
		if (i + 1 < HB_HIST_BUCKETS)
			cr_assert_eq(hb_hist_lowest(i + 1), hi + 1,
			    "bucket %u does not follow %u", i + 1, i);
		if (lo < 2 * HB_HIST_SUB)
			cr_assert_eq(w, 1, "bucket %u (%lu) not exact", i,
			    (unsigned long)lo);
		else
			cr_assert_leq(w, lo >> HB_HIST_SUB_BITS, "bucket %u: "
			    "width %lu over lowest %lu / 2^S", i,
			    (unsigned long)w, (unsigned long)lo);
	}
	/* Powers of two and their neighbours land in order. */
	for (unsigned e = 1; e < 64; e++) {
		uint64_t p = UINT64_C(1) << e;

		cr_expect_lt(hb_hist_index(p - 1), hb_hist_index(p), "2^%u", e);
		cr_expect_leq(hb_hist_index(p), hb_hist_index(p + 1), "2^%u",
		    e);
	}
}

Test(hist, error_bound_on_random_values, .timeout = 30)
{
	enum { N = 200000 };
	uint64_t *v = malloc(N * sizeof(*v)), x = 88172645463325252ull;
	struct hb_hist *h = new_hist();
	struct hb_summary exact, got;

	cr_assert_not_null(v);
	/* Log-uniform over 0 .. 2^40: every octave gets its share. */
	for (size_t i = 0; i < N; i++) {
		unsigned e = (unsigned)(rnd(&x) % 41);

		v[i] = e == 0 ? 0 : rnd(&x) & ((UINT64_C(1) << e) - 1);
		hb_hist_record(h, v[i]);
	}
	hb_hist_summarize(h, &got);
	hb_summarize(v, N, &exact);
	cr_expect_eq(got.n, exact.n);
	cr_expect_eq(got.min, exact.min);
	cr_expect_eq(got.max, exact.max);
	cr_expect(fabs(got.mean - exact.mean) <= exact.mean * 1e-12,
	    "mean %g, exact %g", got.mean, exact.mean);
	const double g[] = { got.p50, got.p90, got.p99, got.p999 };
	const double e[] = { exact.p50, exact.p90, exact.p99, exact.p999 };
	for (unsigned i = 0; i < 4; i++)
		cr_expect(fabs(g[i] - e[i]) <= bound(e[i]), "percentile %u: "
		    "%.1f, exact %.1f, bound %.1f", i, g[i], e[i], bound(e[i]));
	/* Every rank, on a tenth of the ranks. */
	for (uint64_t r = 1; r <= N; r += 10) {
		double p = hb_hist_percentile(h, r, N), xr = (double)v[r - 1];

		cr_assert(fabs(p - xr) <= bound(xr), "rank %lu: %.1f, exact "
		    "%.1f", (unsigned long)r, p, xr);
	}
	free(h);
	free(v);
}

Test(hist, known_distributions, .timeout = 10)
{
	struct hb_hist *h = new_hist();
	struct hb_summary s;

	/* 1 .. 200: all in exact buckets, as stats.c's 1 .. 100 test. */
	for (uint64_t i = 1; i <= 200; i++)
		hb_hist_record(h, i);
	hb_hist_summarize(h, &s);
	cr_expect_eq(s.n, 200);
	cr_expect_eq(s.p50, 100.0, "p50 %g", s.p50);
	cr_expect_eq(s.p90, 180.0, "p90 %g", s.p90);
	cr_expect_eq(s.p99, 198.0, "p99 %g", s.p99);
	cr_expect_eq(s.p999, 200.0, "p99.9 %g: ceil(199.8) = rank 200",
	    s.p999);
	cr_expect_float_eq(s.mean, 100.5, 1e-12);

	/* 1 .. 1000: 500, 900, 990, 999 within the bound. */
	hb_hist_reset(h);
	for (uint64_t i = 1000; i >= 1; i--)
		hb_hist_record(h, i);
	hb_hist_summarize(h, &s);
	cr_expect(fabs(s.p50 - 500) <= bound(500), "p50 %g", s.p50);
	cr_expect(fabs(s.p90 - 900) <= bound(900), "p90 %g", s.p90);
	cr_expect(fabs(s.p99 - 990) <= bound(990), "p99 %g", s.p99);
	cr_expect(fabs(s.p999 - 999) <= bound(999), "p99.9 %g", s.p999);
	cr_expect_eq(s.min, 1.0);
	cr_expect_eq(s.max, 1000.0);

	/* Two modes: 95 % at 200 ns-ish, 5 % at a 100 us stall. */
	hb_hist_reset(h);
	hb_hist_record_n(h, 210, 950);
	hb_hist_record_n(h, 100000, 50);
	hb_hist_summarize(h, &s);
	cr_expect_eq(s.p50, 210.0, "p50 %g", s.p50);
	cr_expect_eq(s.p90, 210.0, "p90 %g", s.p90);
	cr_expect_eq(s.p99, 100000.0, "p99 %g (clamped to max)", s.p99);
	cr_expect_eq(s.max, 100000.0);
	free(h);
}

Test(hist, zero_and_huge_values, .timeout = 10)
{
	struct hb_hist *h = new_hist();
	struct hb_summary s;

	hb_hist_summarize(h, &s);
	cr_expect_eq(s.n, 0, "empty: n");
	cr_expect_eq(s.p50, 0.0, "empty: p50");
	cr_expect_eq(s.max, 0.0, "empty: max");
	cr_expect_eq(hb_hist_percentile(h, 1, 2), 0.0, "empty");

	hb_hist_record(h, 0);
	hb_hist_summarize(h, &s);
	cr_expect_eq(s.n, 1);
	cr_expect_eq(s.min, 0.0);
	cr_expect_eq(s.p50, 0.0);
	cr_expect_eq(s.max, 0.0);

	hb_hist_record(h, UINT64_MAX);
	hb_hist_record(h, UINT64_MAX);
	cr_expect_eq(h->counts[HB_HIST_BUCKETS - 1], 2);
	hb_hist_summarize(h, &s);
	cr_expect_eq(s.max, (double)UINT64_MAX);
	cr_expect(fabs(s.p50 - (double)UINT64_MAX) <=
	    bound((double)UINT64_MAX), "p50 of 0, max, max: %g", s.p50);
	cr_expect_eq(hb_hist_percentile(h, 1, 3), 0.0, "p33 of 0, max, max");
	/* The sum does not wrap: mean = 2 * max / 3. */
	cr_expect(fabs(s.mean - 2.0 * (double)UINT64_MAX / 3) <=
	    (double)UINT64_MAX * 1e-12, "mean %g", s.mean);
	free(h);
}

Test(hist, merge_is_recording_into_one, .timeout = 10)
{
	struct hb_hist *a = new_hist(), *b = new_hist(), *all = new_hist();
	struct hb_hist *empty = new_hist(), *copy = new_hist();
	uint64_t x = 42;

	for (unsigned i = 0; i < 50000; i++) {
		uint64_t v = rnd(&x) % (i % 2 ? 5000 : 50000000);

		hb_hist_record(i % 3 ? a : b, v);
		hb_hist_record(all, v);
	}
	memcpy(copy, a, sizeof(*a));
	hb_hist_merge(copy, empty);
	cr_expect(memcmp(copy, a, sizeof(*a)) == 0, "merging an empty one "
	    "changed something");
	hb_hist_merge(empty, b);
	cr_expect(memcmp(empty, b, sizeof(*b)) == 0, "merging into an empty "
	    "one is not a copy");
	hb_hist_merge(a, b);
	cr_expect_eq(a->n, all->n);
	cr_expect_eq(a->min, all->min);
	cr_expect_eq(a->max, all->max);
	cr_expect(a->sum == all->sum, "sums differ");
	cr_expect(memcmp(a->counts, all->counts, sizeof(a->counts)) == 0,
	    "counts differ");
	free(a);
	free(b);
	free(all);
	free(empty);
	free(copy);
}

Test(hist, weighted_by_count, .timeout = 10)
{
	struct hb_hist *one = new_hist(), *many = new_hist();
	struct hb_hist *busy = new_hist(), *idle = new_hist();
	struct hb_summary s;

	/* record_n(v, k) is k records of v; count 0 is none. */
	for (unsigned i = 0; i < 777; i++)
		hb_hist_record(one, 123456);
	hb_hist_record(one, 7);
	hb_hist_record_n(many, 123456, 777);
	hb_hist_record_n(many, 99, 0);
	hb_hist_record_n(many, 7, 1);
	cr_expect(memcmp(one, many, sizeof(*one)) == 0, "record_n differs "
	    "from records one by one");

	/* Merged senders weigh by their messages: 1000 fast ones and 10
	 * slow ones give the fast p50 and p99 (rank 1000 of 1010), the
	 * slow p99.9 (rank 1009), not an average of two medians. */
	hb_hist_record_n(busy, 200, 1000);
	hb_hist_record_n(idle, 100000, 10);
	hb_hist_merge(busy, idle);
	hb_hist_summarize(busy, &s);
	cr_expect_eq(s.n, 1010);
	cr_expect_eq(s.p50, 200.0, "p50 %g", s.p50);
	cr_expect_eq(s.p99, 200.0, "p99 %g", s.p99);
	cr_expect_eq(s.p999, 100000.0, "p99.9 %g", s.p999);
	cr_expect_float_eq(s.mean, (200.0 * 1000 + 100000.0 * 10) / 1010,
	    1e-9);
	free(one);
	free(many);
	free(busy);
	free(idle);
}
