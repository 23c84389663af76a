/*
 * perf.h: perf counters (perf_event_open) on a set of threads.
 *
 * Software events (context switches, CPU migrations) always where the
 * kernel allows; hardware ones (cycles, instructions, cache misses) where
 * there is a PMU and perf_event_paranoid allows.  What is unavailable is
 * said once, in hb_perf_status(), and the run goes on.
 */
#ifndef HB_PERF_H
#define HB_PERF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum hb_perf_event {
	HB_PERF_CTX_SWITCHES,
	HB_PERF_CPU_MIGRATIONS,
	HB_PERF_CYCLES,
	HB_PERF_INSTRUCTIONS,
	HB_PERF_CACHE_MISSES,
	HB_PERF_NEVENTS
};

/* hb_perf_event_name: the counter name in results ("ctx_switches", ...). */
const char *hb_perf_event_name(enum hb_perf_event e);

/*
 * hb_perf_status: one line saying which events are available and why
 * the others are not (e.g. "cycles, instructions, cache_misses: no
 * hardware PMU"); probes once.
 */
const char *hb_perf_status(void);

struct hb_perf;		/* counters on some threads */

/*
 * hb_perf_open: counters of every available event on each of the n
 * threads tids.  => NULL when nothing is available (hb_perf_status says).
 */
struct hb_perf *hb_perf_open(const pid_t *tids, unsigned n);

/* hb_perf_start / hb_perf_stop: reset+enable / disable them all. */
void	hb_perf_start(struct hb_perf *p);
void	hb_perf_stop(struct hb_perf *p);

/*
 * hb_perf_read: the sum over threads of event e since start, scaled for
 * multiplexing.  => false when e is unavailable.
 */
bool	hb_perf_read(const struct hb_perf *p, enum hb_perf_event e,
	    double *value);

/* hb_perf_close: close them all; NULL is ignored. */
void	hb_perf_close(struct hb_perf *p);

#endif /* HB_PERF_H */
