/*
 * hist.c: the log-linear histogram of hist.h: what is not on the
 * recording path (bucket bounds, merging, percentiles).
 *
 * Percentiles walk the counts once from the lowest bucket, with the
 * rank computed as stats.c does (integer arithmetic: p99.9 of 1000
 * values is the 999th).
 */
#include "hist.h"

#include <string.h>

void
hb_hist_reset(struct hb_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void
hb_hist_record_n(struct hb_hist *h, uint64_t v, uint64_t count)
{
	if (count == 0)
		return;
	h->counts[hb_hist_index(v)] += count;
	h->n += count;
	h->sum += (unsigned __int128)v * count;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void
hb_hist_merge(struct hb_hist *dst, const struct hb_hist *src)
{
	if (src->n == 0)
		return;
	for (unsigned i = 0; i < HB_HIST_BUCKETS; i++)
		dst->counts[i] += src->counts[i];
	dst->n += src->n;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

/* bucket_shift: log2 of bucket i's width. */
static unsigned
bucket_shift(unsigned i)
{
	unsigned octave = i >> HB_HIST_SUB_BITS;

	return octave == 0 ? 0 : octave - 1;
}

uint64_t
hb_hist_lowest(unsigned i)
{
	unsigned sh = bucket_shift(i);

	return (uint64_t)(i - (sh << HB_HIST_SUB_BITS)) << sh;
}

uint64_t
hb_hist_highest(unsigned i)
{
	unsigned sh = bucket_shift(i);

	return hb_hist_lowest(i) + ((UINT64_C(1) << sh) - 1);
}

double
hb_hist_percentile(const struct hb_hist *h, uint64_t num, uint64_t den)
{
	uint64_t n = h->n, rank, seen = 0;
	double lo, mid;

	if (n == 0)
		return 0;
	/* ceil(n * num / den) without overflowing n * num. */
	rank = (n / den) * num + ((n % den) * num + den - 1) / den;
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	for (unsigned i = 0; i < HB_HIST_BUCKETS; i++) {
		if ((seen += h->counts[i]) < rank)
			continue;
		lo = (double)hb_hist_lowest(i);
		mid = lo + (double)(hb_hist_highest(i) - hb_hist_lowest(i)) /
		    2;
		if (mid < (double)h->min)
			mid = (double)h->min;
		if (mid > (double)h->max)
			mid = (double)h->max;
		return mid;
	}
	return (double)h->max;	/* counts short of n: not reached */
}

void
hb_hist_summarize(const struct hb_hist *h, struct hb_summary *out)
{
	memset(out, 0, sizeof(*out));
	if (h->n == 0)
		return;
	out->n = (size_t)h->n;
	out->min = (double)h->min;
	out->max = (double)h->max;
	out->mean = (double)((long double)h->sum / (long double)h->n);
	out->p50 = hb_hist_percentile(h, 500, 1000);
	out->p90 = hb_hist_percentile(h, 900, 1000);
	out->p99 = hb_hist_percentile(h, 990, 1000);
	out->p999 = hb_hist_percentile(h, 999, 1000);
}
