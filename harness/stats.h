/*
 * stats.h: percentiles of single-operation samples.
 *
 * Google Benchmark's statistics work over repetitions, not operations
 * (see NOTES.md): every figure here comes from our own samples.
 */
#ifndef HB_STATS_H
#define HB_STATS_H

#include <stddef.h>
#include <stdint.h>

struct hb_summary {
	size_t	n;
	double	min, mean, p50, p90, p99, p999, max;	/* in the samples' unit */
};

/*
 * hb_summarize: summary of n samples (sorted in place).
 * => Percentile q is the nearest-rank value: the smallest sample with at
 *    least q*n samples at or below it.  n == 0 gives all zeros.
 */
void	hb_summarize(uint64_t *samples, size_t n, struct hb_summary *out);

/*
 * A growable sample buffer.  hb_samples_push never fails: past its cap it
 * keeps a uniform reservoir of the samples pushed (Algorithm R), so long
 * runs stay bounded in memory.  count says how many were pushed.
 */
struct hb_samples {
	uint64_t *v;
	size_t	n, cap;		/* kept, capacity */
	uint64_t count;		/* pushed */
	uint64_t rng;
};

/* hb_samples_init: empty, keeping at most cap (0: a default of 1M). */
void	hb_samples_init(struct hb_samples *s, size_t cap);
void	hb_samples_push(struct hb_samples *s, uint64_t v);
void	hb_samples_reset(struct hb_samples *s);
void	hb_samples_free(struct hb_samples *s);

#endif /* HB_STATS_H */
