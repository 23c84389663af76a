/*
 * timer.c: timing single operations.
 *
 * Source.  The invariant TSC when the CPU has one: on x86-64,
 * /proc/cpuinfo's flags must carry both constant_tsc (the rate does not
 * follow the core's frequency) and nonstop_tsc (it does not stop in deep
 * C-states); on aarch64 the generic timer's virtual count (cntvct_el0) is
 * constant-rate by architecture.  Anything else reads CLOCK_MONOTONIC,
 * whose ticks are nanoseconds.
 *
 * Ordering (x86-64).  A sample brackets a round trip: the sender stores
 * a request, then polls a line until the answer is seen.  The timestamp
 * at the end must not be read before the load that saw the answer, and
 * the one at the start must not be read after the store that sends the
 * request.  We use RDTSCP; LFENCE:
 *  - RDTSCP waits until every earlier instruction has executed and every
 *    earlier load is globally visible, on Intel and AMD alike, by
 *    architecture.  "LFENCE; RDTSC" gives the same only where LFENCE is
 *    dispatch-serializing, which on AMD depends on an MSR the kernel (or,
 *    in a guest, the hypervisor) must have set: not something to assume.
 *  - The LFENCE after it keeps later instructions (the request's store
 *    included, and the next poll's loads) from starting before the TSC
 *    was read.  A later store cannot become visible before it retires,
 *    and retirement is in order, so it is never seen before the stamp.
 * Neither waits for earlier *stores* to drain (only MFENCE does, and an
 * MFENCE in every stamp doubles the cost of a pair, 20 -> 40 ns here).
 * Since x86 commits stores in order, an operation whose first act is a
 * store waits, inside its sample, for whatever the caller stored just
 * before; an operation should drain those first, with a seq_cst fence
 * before its first stamp (workloads/yardstick.h YS_DRAIN: pingpong's p90
 * went from 210 to 140 ns).
 * Without RDTSCP (very old CPUs) we fall back to LFENCE; RDTSC; LFENCE.
 * Cost on this VM (AMD EPYC, KVM), median of back-to-back pairs: plain
 * RDTSC 26 ticks (10 ns, one step of this TSC), RDTSCP; LFENCE and
 * LFENCE; RDTSC; LFENCE both 52 ticks (20 ns): the ordering costs one
 * step, and an unordered stamp would not bracket what it claims to.
 * On aarch64: ISB; MRS cntvct_el0; ISB (the first ISB keeps the read
 * from being speculated early, the second keeps later instructions from
 * starting before it; this is what Linux's arch timer code does).
 *
 * Calibration.  The TSC's rate is measured against CLOCK_MONOTONIC over
 * about 50 ms: each end is a clock_gettime() bracketed by two TSC reads,
 * the tightest of a few tries kept, so the error is a few ns over 50 ms
 * (well under 1 ppm of what a sample measures).
 *
 * Overhead.  The median of many back-to-back hb_now() pairs, in ns: what
 * one timed sample adds to what it measures.  On a TSC that moves in
 * steps (this VM's moves ~26 ticks at a time), the median is one step.
 */
#include "timer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define	CALIBRATE_NS	50000000ull	/* 50 ms */
#define	OVERHEAD_PAIRS	20001

enum hb_timer_mode {
	MODE_MONOTONIC,
	MODE_RDTSCP,		/* x86-64: rdtscp; lfence */
	MODE_RDTSC_LFENCE,	/* x86-64: lfence; rdtsc; lfence */
	MODE_CNTVCT,		/* aarch64: isb; mrs cntvct_el0; isb */
};

static enum hb_timer_mode timer_mode = MODE_MONOTONIC;
static double timer_ns_per_tick = 1.0;
static struct hb_timer_info timer_info = {
	.tsc = false, .invariant = false, .ghz = 1.0, .overhead_ns = 0,
	.source = "clock_monotonic",
};
static pthread_once_t timer_once = PTHREAD_ONCE_INIT;

uint64_t
hb_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
hb_fmt_dur(double s, char *buf, size_t len)
{
	long t;

	/* Past ten thousand hours (or not a number): a plan gone wrong,
	 * said so rather than cast (undefined for a double past LONG_MAX). */
	if (!(s < 3.6e7)) {
		snprintf(buf, len, "over 10000:00:00");
		return;
	}
	t = s < 0 ? 0 : (long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60,
		    t % 60);
	else
		snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

#if defined(__x86_64__)
static inline uint64_t
read_rdtscp(void)
{
	uint32_t lo, hi, aux;

	__asm__ __volatile__("rdtscp\n\tlfence"
	    : "=a"(lo), "=d"(hi), "=c"(aux) : : "memory");
	(void)aux;
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t
read_rdtsc_lfence(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence\n\trdtsc\n\tlfence"
	    : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}
#elif defined(__aarch64__)
static inline uint64_t
read_cntvct(void)
{
	uint64_t v;

	__asm__ __volatile__("isb\n\tmrs %0, cntvct_el0\n\tisb"
	    : "=r"(v) : : "memory");
	return v;
}
#endif

uint64_t
hb_now(void)
{
	switch (timer_mode) {
#if defined(__x86_64__)
	case MODE_RDTSCP:
		return read_rdtscp();
	case MODE_RDTSC_LFENCE:
		return read_rdtsc_lfence();
#elif defined(__aarch64__)
	case MODE_CNTVCT:
		return read_cntvct();
#endif
	default:
		return hb_mono_ns();
	}
}

double
hb_ticks_to_ns(uint64_t ticks)
{
	return (double)ticks * timer_ns_per_tick;
}

/*
 * cpuinfo_flags: found[i] says whether the first "flags" line of
 * /proc/cpuinfo names want[i]; all false when it cannot be read.
 */
#if defined(__x86_64__)
static void
cpuinfo_flags(const char *const *want, bool *found, unsigned nwant)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;

	for (unsigned i = 0; i < nwant; i++)
		found[i] = false;
	if ((f = fopen("/proc/cpuinfo", "r")) == NULL)
		return;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		/* Only the first CPU's line: they agree. */
		char *save = NULL;
		char *colon = strchr(line, ':');
		if (colon == NULL)
			break;
		for (char *w = strtok_r(colon + 1, " \t\n", &save); w != NULL;
		    w = strtok_r(NULL, " \t\n", &save)) {
			for (unsigned i = 0; i < nwant; i++)
				if (strcmp(w, want[i]) == 0)
					found[i] = true;
		}
		break;
	}
	free(line);
	fclose(f);
}
#endif

/*
 * bracket: one CLOCK_MONOTONIC reading and the TSC at that moment (the
 * midpoint of the two reads around it), keeping the tightest of tries.
 */
static void
bracket(uint64_t *tsc, uint64_t *mono)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 16; i++) {
		uint64_t a = hb_now();
		uint64_t m = hb_mono_ns();
		uint64_t b = hb_now();
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*mono = m;
		}
	}
}

static void
calibrate(void)
{
	uint64_t t0, m0, t1, m1;
	struct timespec ts = { 0, (long)CALIBRATE_NS };

	bracket(&t0, &m0);
	while (nanosleep(&ts, &ts) != 0)
		continue;	/* EINTR: sleep the rest */
	bracket(&t1, &m1);
	if (t1 <= t0 || m1 <= m0) {
		/* A counter that does not move: do not trust it. */
		timer_mode = MODE_MONOTONIC;
		return;
	}
	timer_info.ghz = (double)(t1 - t0) / (double)(m1 - m0);
	timer_ns_per_tick = 1.0 / timer_info.ghz;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Values within this many ticks of a group's first are one (timer.h). */
#define	STEP_JITTER	2

uint64_t
hb_clock_step(const uint64_t *d, unsigned n)
{
	uint64_t first = d[0], step = 0, cut = 4 * d[n / 2];

	for (unsigned i = 1; i < n && d[i] <= cut; i++) {
		if (d[i] - first <= STEP_JITTER)
			continue;
		if (step == 0 || d[i] - first < step)
			step = d[i] - first;
		first = d[i];
	}
	return step;
}

static void
measure_overhead(void)
{
	uint64_t *d = malloc(OVERHEAD_PAIRS * sizeof(*d));

	if (d == NULL)
		return;		/* overhead stays 0: reported as unknown */
	for (unsigned i = 0; i < OVERHEAD_PAIRS; i++) {
		uint64_t a = hb_now();
		uint64_t b = hb_now();
		d[i] = b - a;
	}
	qsort(d, OVERHEAD_PAIRS, sizeof(*d), cmp_u64);
	timer_info.overhead_ns = hb_ticks_to_ns(d[OVERHEAD_PAIRS / 2]);
	timer_info.step_ns = hb_ticks_to_ns(hb_clock_step(d, OVERHEAD_PAIRS));
	free(d);
}

static void
timer_init_once(void)
{
#if defined(__x86_64__)
	static const char *const want[] = { "constant_tsc", "nonstop_tsc",
	    "rdtscp" };
	bool found[3];

	cpuinfo_flags(want, found, 3);
	timer_info.invariant = found[0] && found[1];
	if (timer_info.invariant)
		timer_mode = found[2] ? MODE_RDTSCP : MODE_RDTSC_LFENCE;
#elif defined(__aarch64__)
	timer_info.invariant = true;	/* constant rate by architecture */
	timer_mode = MODE_CNTVCT;
#endif
	if (timer_mode != MODE_MONOTONIC)
		calibrate();
	if (timer_mode == MODE_MONOTONIC) {
		timer_info.ghz = 1.0;
		timer_ns_per_tick = 1.0;
	}
	timer_info.tsc = timer_mode != MODE_MONOTONIC;
	/* "tsc" on aarch64 too (cntvct_el0): timer.h promises two names. */
	timer_info.source = timer_info.tsc ? "tsc" : "clock_monotonic";
	measure_overhead();
}

void
hb_timer_init(void)
{
	pthread_once(&timer_once, timer_init_once);
}

const struct hb_timer_info *
hb_timer(void)
{
	hb_timer_init();
	return &timer_info;
}
