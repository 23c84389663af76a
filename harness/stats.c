/*
 * stats.c: percentiles of single-operation samples.
 *
 * Percentiles are exact nearest-rank values over the samples kept (a
 * sort; integer arithmetic for the ranks, so p99.9 of 1000 samples is
 * the 999th, never the 1000th through a rounding error).
 *
 * A sample buffer grows by doubling up to its cap; past the cap it keeps
 * a uniform reservoir of everything pushed (Vitter's Algorithm R: the
 * i-th sample replaces a uniformly chosen slot with probability cap/i),
 * with a small xorshift64* generator of fixed seed so that runs are
 * reproducible.  A failed allocation lowers the cap to what is held:
 * pushing never fails.
 */
#include "stats.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define	SAMPLES_DEFAULT_CAP	(1u << 20)
#define	SAMPLES_FIRST_ALLOC	4096u
#define	SAMPLES_SEED		0x9e3779b97f4a7c15ull

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * rank_value: the nearest-rank percentile num/den of n sorted samples:
 * the sample of rank ceil(n * num / den) (1-based), at least rank 1.
 */
static double
rank_value(const uint64_t *v, size_t n, size_t num, size_t den)
{
	/* ceil(n * num / den) without overflowing n * num. */
	size_t rank = (n / den) * num + ((n % den) * num + den - 1) / den;

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)v[rank - 1];
}

void
hb_summarize(uint64_t *samples, size_t n, struct hb_summary *out)
{
	long double sum = 0;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return;
	qsort(samples, n, sizeof(*samples), cmp_u64);
	for (size_t i = 0; i < n; i++)
		sum += samples[i];
	out->n = n;
	out->min = (double)samples[0];
	out->max = (double)samples[n - 1];
	out->mean = (double)(sum / n);
	out->p50 = rank_value(samples, n, 500, 1000);
	out->p90 = rank_value(samples, n, 900, 1000);
	out->p99 = rank_value(samples, n, 990, 1000);
	out->p999 = rank_value(samples, n, 999, 1000);
}

void
hb_samples_init(struct hb_samples *s, size_t cap)
{
	s->v = NULL;
	s->n = 0;
	s->cap = cap != 0 ? cap : SAMPLES_DEFAULT_CAP;
	s->count = 0;
	s->rng = SAMPLES_SEED;
}

/* xorshift64* (Vigna): a full-period 64-bit generator, never 0. */
static uint64_t
xorshift64s(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* uniform_below: a uniform integer in [0, bound) (Lemire's multiply). */
static uint64_t
uniform_below(uint64_t *state, uint64_t bound)
{
	return (uint64_t)(((unsigned __int128)xorshift64s(state) * bound) >> 64);
}

/*
 * full: whether the allocation holding s->n samples has no room left.
 * Allocations double from SAMPLES_FIRST_ALLOC up to cap, so the size of
 * the current one follows from n: min(cap, max(FIRST, n rounded up to a
 * power of two)).  It is full when v is NULL or n is a power of two of
 * at least FIRST (below cap: at cap the reservoir takes over).
 */
static bool
full(const struct hb_samples *s)
{
	if (s->v == NULL)
		return true;
	return s->n >= SAMPLES_FIRST_ALLOC && (s->n & (s->n - 1)) == 0;
}

void
hb_samples_push(struct hb_samples *s, uint64_t v)
{
	s->count++;
	if (s->n < s->cap && full(s)) {
		size_t want = s->v == NULL ? SAMPLES_FIRST_ALLOC : 2 * s->n;
		if (want > s->cap)
			want = s->cap;
		if (want < s->n + 1)
			want = s->n + 1;
		uint64_t *nv = realloc(s->v, want * sizeof(*nv));
		if (nv == NULL)
			s->cap = s->n;	/* keep what we hold: reservoir */
		else
			s->v = nv;
	}
	if (s->n < s->cap) {
		s->v[s->n++] = v;
		return;
	}
	if (s->cap == 0)
		return;		/* nothing could ever be allocated */
	/* Algorithm R: keep the count-th sample with probability cap/count. */
	uint64_t j = uniform_below(&s->rng, s->count);
	if (j < s->cap)
		s->v[j] = v;
}

void
hb_samples_reset(struct hb_samples *s)
{
	s->n = 0;
	s->count = 0;
	s->rng = SAMPLES_SEED;
}

void
hb_samples_free(struct hb_samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
	s->count = 0;
}
