/*
 * timer.h: timing single operations.
 *
 * The invariant TSC where the CPU has one (constant_tsc and nonstop_tsc),
 * calibrated against CLOCK_MONOTONIC; otherwise CLOCK_MONOTONIC itself.
 * hb_now() is what every sample reads; hb_ticks_to_ns() converts.
 */
#ifndef HB_TIMER_H
#define HB_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hb_timer_info {
	bool	tsc;		/* hb_now() reads the TSC */
	bool	invariant;	/* constant_tsc && nonstop_tsc */
	double	ghz;		/* ticks per ns (1.0 for CLOCK_MONOTONIC) */
	double	overhead_ns;	/* median cost of one hb_now() pair */
	double	step_ns;	/* the smallest nonzero difference of two
				 * back-to-back hb_now() (a TSC may move
				 * in steps of many ticks): differences
				 * below it are not resolved; 0: unknown */
	const char *source;	/* "tsc" or "clock_monotonic" */
};

/*
 * hb_timer_init: choose and calibrate the timer (about 50 ms, once).
 * => Idempotent; thread-safe after the first call returned.
 */
void	hb_timer_init(void);

/* hb_timer: what hb_timer_init() found.  => hb_timer_init() was called. */
const struct hb_timer_info *hb_timer(void);

/*
 * hb_now: a timestamp in ticks; ordered against the loads/stores around it.
 * => Read after every earlier load completed, before any later load or
 *    store.  Earlier stores may still sit in the store buffer: to keep
 *    them out of a sample, put a seq_cst fence before its first stamp.
 */
uint64_t hb_now(void);

/*
 * hb_clock_step: the step a clock moves in, from n >= 1 durations of
 * back-to-back reads sorted ascending: the smallest gap between two of
 * their values up to 4 times their median (longer pairs were
 * interrupted), values within 2 ticks of a group's first counting as one
 * (this VM's TSC moves about 24.5 ticks at a time: pairs read 49 or 50,
 * 73 or 74, 98 ticks: step 24).  A fine clock gives dense values: a
 * step of a few ticks.  => 0 when every such value falls in one group
 * (unknown).
 */
uint64_t hb_clock_step(const uint64_t *d, unsigned n);

/* hb_ticks_to_ns: ticks to nanoseconds. */
double	hb_ticks_to_ns(uint64_t ticks);

/* hb_mono_ns: CLOCK_MONOTONIC in ns (for watchdogs and progress). */
uint64_t hb_mono_ns(void);

/* hb_fmt_dur: seconds as m:ss or h:mm:ss into buf (progress, plans). */
void	hb_fmt_dur(double s, char *buf, size_t len);

#endif /* HB_TIMER_H */
