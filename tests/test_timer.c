/*
 * test_timer.c: the timer is monotone, its calibration agrees with
 * CLOCK_MONOTONIC, and it says what it is (harness/timer.c).
 *
 * No timed assertions: the agreement check brackets each read and allows
 * 1% on top; it is about the conversion, not about how fast anything
 * runs.
 */
#include <criterion/criterion.h>

#include <string.h>
#include <time.h>

#include "harness/timer.h"

Test(timer, info, .timeout = 10)
{
	hb_timer_init();
	hb_timer_init();	/* idempotent */
	const struct hb_timer_info *t = hb_timer();

	cr_assert_not_null(t);
	cr_assert_not_null(t->source);
	cr_expect(strcmp(t->source, "tsc") == 0 ||
	    strcmp(t->source, "clock_monotonic") == 0, "source %s", t->source);
	cr_expect_eq(t->tsc, strcmp(t->source, "tsc") == 0);
	cr_expect_gt(t->ghz, 0.0);
	if (!t->tsc)
		cr_expect_eq(t->ghz, 1.0);
	else
		cr_expect(t->invariant, "the TSC is used only when invariant");
	cr_expect_geq(t->overhead_ns, 0.0);
	cr_expect_lt(t->overhead_ns, 1e6, "a timer pair costs %g ns?",
	    t->overhead_ns);
	cr_log_info("timer: %s, %.4f ticks/ns, invariant %d, pair %.1f ns",
	    t->source, t->ghz, t->invariant, t->overhead_ns);
}

Test(timer, monotone, .timeout = 10)
{
	hb_timer_init();
	uint64_t prev = hb_now();

	for (unsigned i = 0; i < 1000000; i++) {
		uint64_t now = hb_now();
		cr_assert_geq(now, prev, "went back at read %u", i);
		prev = now;
	}
}

/*
 * Each timer read is bracketed by two CLOCK_MONOTONIC reads, so the
 * timer's interval over ~100 ms lies between the inner and the outer
 * monotonic intervals; preemption only widens the bracket, so this holds
 * on a loaded machine too.  1% slack covers calibration (in practice a
 * few ppm) and nothing else.
 */
Test(timer, agrees_with_clock_monotonic, .timeout = 20)
{
	hb_timer_init();
	struct timespec ts = { 0, 100000000 };	/* 100 ms */
	uint64_t m0a = hb_mono_ns();
	uint64_t t0 = hb_now();
	uint64_t m0b = hb_mono_ns();

	while (nanosleep(&ts, &ts) != 0)
		continue;
	uint64_t m1a = hb_mono_ns();
	uint64_t t1 = hb_now();
	uint64_t m1b = hb_mono_ns();
	double tns = hb_ticks_to_ns(t1 - t0);
	double inner = (double)(m1a - m0b), outer = (double)(m1b - m0a);

	cr_expect_gt(inner, 99e6);
	cr_expect(tns >= 0.99 * inner && tns <= 1.01 * outer,
	    "timer says %.0f ns, CLOCK_MONOTONIC between %.0f and %.0f ns",
	    tns, inner, outer);
}

Test(timer, ticks_to_ns_linear, .timeout = 10)
{
	hb_timer_init();
	const struct hb_timer_info *t = hb_timer();

	cr_expect_eq(hb_ticks_to_ns(0), 0.0);
	cr_expect_float_eq(hb_ticks_to_ns(1000000), 1000000 / t->ghz, 1e-3);
	cr_expect_float_eq(hb_ticks_to_ns(2000000),
	    2 * hb_ticks_to_ns(1000000), 1e-3);
}

/* The step of a clock from sorted pair durations (timer.h). */
Test(timer, clock_step, .timeout = 10)
{
	/* This VM's TSC: about 24.5 ticks a step, a tick of jitter. */
	static const uint64_t coarse[] = { 49, 49, 50, 50, 73, 74, 74, 98,
	    417, 441, 1446 };
	/* A fine clock: every tick from 30 to 60 seen. */
	uint64_t fine[31];
	static const uint64_t one_group[] = { 40, 40, 41, 42 };
	/* A fine clock's pairs within 2 ticks, one interrupted: unknown,
	 * not a step of 2958 ticks. */
	static const uint64_t interrupted[] = { 40, 40, 41, 42, 3000 };

	for (unsigned i = 0; i < 31; i++)
		fine[i] = 30 + i;
	cr_expect_eq(hb_clock_step(coarse, 11), 24);
	cr_expect(hb_clock_step(fine, 31) >= 1 && hb_clock_step(fine, 31) <= 3,
	    "fine clock: step %ju", (uintmax_t)hb_clock_step(fine, 31));
	cr_expect_eq(hb_clock_step(one_group, 4), 0);
	cr_expect_eq(hb_clock_step(one_group, 1), 0);
	cr_expect_eq(hb_clock_step(interrupted, 5), 0);

	hb_timer_init();
	cr_expect(hb_timer()->step_ns >= 0 &&
	    hb_timer()->step_ns <= hb_timer()->overhead_ns * 4 + 1,
	    "step %.1f ns beside a pair of %.1f ns", hb_timer()->step_ns,
	    hb_timer()->overhead_ns);
}
