/*
 * hist.h: a fixed-cost histogram of single-operation samples, after Gil
 * Tene's HdrHistogram (Debian 12 packages it for Java and Go only):
 * log-linear buckets, so that recording is a few shifts and one
 * increment wherever the value falls, on a fixed array (no allocation,
 * no random writes over megabytes as a sample reservoir past its cap
 * does), and histograms merge by adding counts.
 *
 * Layout, with S = HB_HIST_SUB_BITS: values below 2^S have a bucket each
 * (exact); a value v of highest set bit e >= S falls in one of 2^S
 * buckets of width 2^(e-S) that split [2^e, 2^(e+1)).  Bucket i covers
 * [hb_hist_lowest(i), hb_hist_highest(i)]; every uint64_t value has one.
 * A bucket's width is at most 1/2^S of its lowest value, and percentiles
 * are reported at its middle: within 1/2^(S+1) of the true value (S = 7:
 * 0.4 %).
 *
 * Use: one histogram per recording thread (nothing shared while
 * recording), hb_hist_merge() them afterwards, hb_hist_summarize() the
 * sum.  Plain C: no I/O, no locking.
 */
#ifndef HB_HIST_H
#define HB_HIST_H

#include <stdint.h>

#include "stats.h"

#define	HB_HIST_SUB_BITS	7
#define	HB_HIST_SUB		(1u << HB_HIST_SUB_BITS)
/* Buckets: 2^S exact ones, then 2^S per power of two, 2^S .. 2^63. */
#define	HB_HIST_BUCKETS		((64 - HB_HIST_SUB_BITS + 1) * HB_HIST_SUB)

struct hb_hist {
	uint64_t	n;		/* values recorded (weights summed) */
	uint64_t	min, max;	/* exact; min UINT64_MAX while empty */
	unsigned __int128 sum;		/* exact, for the mean */
	uint64_t	counts[HB_HIST_BUCKETS];
};

/*
 * hb_hist_index: the bucket of value v.  => < HB_HIST_BUCKETS; v below
 * HB_HIST_SUB is its own bucket; the index grows with v.
 */
static inline unsigned
hb_hist_index(uint64_t v)
{
	/* v | SUB: the same highest bit when v >= SUB; shift 0 below. */
	unsigned sh = 63u - HB_HIST_SUB_BITS -
	    (unsigned)__builtin_clzll(v | HB_HIST_SUB);

	return (sh << HB_HIST_SUB_BITS) + (unsigned)(v >> sh);
}

/*
 * hb_hist_record: one value v.
 * => h was hb_hist_reset() (or merged into); the caller is its only
 *    writer.
 */
static inline void
hb_hist_record(struct hb_hist *h, uint64_t v)
{
	h->counts[hb_hist_index(v)]++;
	h->n++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/* hb_hist_record_n: value v, count times (count 0: nothing). */
void	hb_hist_record_n(struct hb_hist *h, uint64_t v, uint64_t count);

/* hb_hist_reset: empty (every count 0). */
void	hb_hist_reset(struct hb_hist *h);

/*
 * hb_hist_merge: add src's values to dst: afterwards dst holds what was
 * recorded into either, as if into one histogram.
 */
void	hb_hist_merge(struct hb_hist *dst, const struct hb_hist *src);

/*
 * hb_hist_lowest, hb_hist_highest: the smallest and the largest value
 * of bucket i.  => i < HB_HIST_BUCKETS; highest - lowest + 1 is the
 *    bucket's width, at most lowest / 2^HB_HIST_SUB_BITS (1 below
 *    2^(S+1)).
 */
uint64_t hb_hist_lowest(unsigned i);
uint64_t hb_hist_highest(unsigned i);

/*
 * hb_hist_percentile: the nearest-rank percentile num/den (as
 * hb_summarize: the value of rank ceil(n * num / den), at least rank 1)
 * of the values recorded: the middle of the bucket holding it, clamped
 * to [min, max].
 * => Within 1/2^(HB_HIST_SUB_BITS + 1) of that value (exact below
 *    2^(S+1)); 0 when h is empty.  den > 0, num <= den.
 */
double	hb_hist_percentile(const struct hb_hist *h, uint64_t num,
	    uint64_t den);

/*
 * hb_hist_summarize: h as an hb_summary (stats.h): n, min, max and mean
 * exact; p50, p90, p99, p999 from hb_hist_percentile().  => All zeros
 * when h is empty.
 */
void	hb_hist_summarize(const struct hb_hist *h, struct hb_summary *out);

#endif /* HB_HIST_H */
