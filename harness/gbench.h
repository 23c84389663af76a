/*
 * gbench.h: a thin C API over Google Benchmark 1.7.1 (Debian's
 * libbenchmark), the only C++ of the project (gbench.cc).
 *
 * Usage: hbg_register() each benchmark (a C function and its argument),
 * hbg_add_context() the run's context, hbg_initialize() with Google
 * Benchmark's own flags (--benchmark_*), hbg_run(), hbg_shutdown().
 *
 * A body gets an opaque hbg_state (Google Benchmark's State) and MUST
 * either loop until hbg_keep_running_batch() returns false or call
 * hbg_skip_with_error() (Google Benchmark aborts the process on a body
 * that returns early; the wrapper turns such a return into an error
 * instead, naming the benchmark).
 *
 * While benchmarks run, one progress line goes to stderr when each
 * starts: "[k/N] name  elapsed 0:12  left ~1:03".
 *
 * Machine groups and interleaving (issue 11): hbg_set_group() puts each
 * benchmark in a group (consecutive benchmarks that share a machine);
 * with hbg_set_interleave(true), hbg_run() runs the groups one after the
 * other, the repetitions of each group's benchmarks in random order
 * (Google Benchmark's random interleaving, confined to the group), and
 * still writes one console stream and one --benchmark_out file
 * (gbench.cc says how and why).
 */
#ifndef HB_GBENCH_H
#define HB_GBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hbg_state hbg_state;	/* benchmark::State */
typedef struct hbg_bench hbg_bench;	/* benchmark::internal::Benchmark */
typedef void (*hbg_fn)(hbg_state *st, void *arg);

/* Counter flags: Google Benchmark's benchmark::Counter::Flags. */
enum hbg_counter_flags {
	HBG_COUNTER_DEFAULT		= 0,
	HBG_COUNTER_RATE		= 1 << 0,	/* kIsRate */
	HBG_COUNTER_AVG_THREADS		= 1 << 1,	/* kAvgThreads */
	HBG_COUNTER_ITER_INVARIANT	= 1 << 2,	/* kIsIterationInvariant */
	HBG_COUNTER_AVG_ITERATIONS	= 1 << 3,	/* kAvgIterations */
	HBG_COUNTER_INVERT		= 1 << 4,	/* kInvert */
};

/*
 * hbg_register: register benchmark name running fn(state, arg).
 * => name is copied; arg stays the caller's.
 * => Returns the benchmark for the setters below; NULL never (Google
 *    Benchmark aborts on allocation failure).
 */
hbg_bench *hbg_register(const char *name, hbg_fn fn, void *arg);

/*
 * hbg_use_manual_time: UseManualTime(): the time is
 * hbg_set_iteration_time's, not the wall clock's; Google Benchmark
 * appends "/manual_time" to the name.
 */
void	hbg_use_manual_time(hbg_bench *b);

/*
 * hbg_iterations: Iterations(n): exactly n iterations a repetition (no
 * search against min_time).  hbg_repetitions: Repetitions(n), whatever
 * --benchmark_repetitions says.
 */
void	hbg_iterations(hbg_bench *b, uint64_t n);
void	hbg_repetitions(hbg_bench *b, unsigned n);

/*
 * In a body:
 * hbg_keep_running_batch: KeepRunningBatch(n): true while more batches
 *    of n iterations are wanted.  => n > 0.
 * hbg_set_iteration_time: SetIterationTime(seconds) of the batch just run.
 * hbg_counter: state.counters[name] = Counter(value, flags).
 * hbg_skip_with_error: SkipWithError(msg); the body then returns without
 *    calling hbg_keep_running_batch again.
 * hbg_error_occurred: whether the benchmark was skipped with an error.
 * hbg_iterations_done: the iterations this call of the body ran.
 */
bool	hbg_keep_running_batch(hbg_state *st, uint64_t n);
void	hbg_set_iteration_time(hbg_state *st, double seconds);
void	hbg_counter(hbg_state *st, const char *name, double value,
	    unsigned flags);
void	hbg_skip_with_error(hbg_state *st, const char *msg);
bool	hbg_error_occurred(hbg_state *st);
uint64_t hbg_iterations_done(hbg_state *st);

/*
 * hbg_add_context: one key of the JSON "context" (AddCustomContext).
 * => Before hbg_run(); key and value are copied.
 */
void	hbg_add_context(const char *key, const char *value);

/*
 * hbg_initialize: benchmark::Initialize on Google Benchmark's own flags.
 * => argv[0] is the program name; the recognized flags are removed.
 * => Returns 0; or -1 when a flag was left unrecognized or malformed
 *    (Google Benchmark printed which).
 */
int	hbg_initialize(int *argc, char **argv);

/*
 * hbg_set_progress: print the progress line when each benchmark starts
 * (on by default); est: the plan's estimate of each registered
 * benchmark, in registration order (n of them; copied), or NULL.
 * "left" is the estimate of what is still to run, scaled by how the
 * elapsed time compares with the estimate of what ran (interleaved: a
 * benchmark's estimate counts by its repetitions done).
 */
void	hbg_set_progress(bool on, const double *est, size_t n);

/*
 * hbg_selects: whether filter spec (--benchmark_filter's value, NULL or
 * "" for every one) selects the benchmark to be registered as name with
 * manual time and the given fixed iterations and repetitions (0: none),
 * as Google Benchmark will (it matches name/iterations:N/repeats:N/
 * manual_time).  A spec that is not a valid regular expression selects
 * every one: check it first with hbg_filter_valid.
 * hbg_filter_valid: whether spec compiles as Google Benchmark's regex.
 */
bool	hbg_selects(const char *spec, const char *name, uint64_t iterations,
	    unsigned repetitions);
bool	hbg_filter_valid(const char *spec);

/*
 * hbg_count_selected: how many registered benchmarks the filter
 * (--benchmark_filter) selects.  => After hbg_initialize().
 */
size_t	hbg_count_selected(void);

/*
 * hbg_set_group: benchmark b belongs to group `group` (registration
 * order: a group is a maximal run of consecutive benchmarks with the
 * same id; 0 for all by default).  shuffle: its repetitions may be
 * interleaved with the group's others; a group runs in registration
 * order when one of its benchmarks says false (a benchmark that reports
 * what the one before it measured).
 */
void	hbg_set_group(hbg_bench *b, unsigned group, bool shuffle);

/*
 * hbg_set_interleave: whether hbg_run interleaves the repetitions within
 * each group (off by default: one RunSpecifiedBenchmarks, registration
 * order, as Google Benchmark alone).  --benchmark_list_tests ignores it.
 */
void	hbg_set_interleave(bool on);

/*
 * hbg_run: RunSpecifiedBenchmarks(), once, or once per group with
 * hbg_set_interleave(true); returns how many ran.  A --benchmark_out
 * file that cannot be opened ends the process with status 1 (printed),
 * as Google Benchmark does.
 */
size_t	hbg_run(void);

/* hbg_shutdown: benchmark::Shutdown() (frees what Initialize took). */
void	hbg_shutdown(void);

/*
 * hbg_clear: forget every registered benchmark
 * (ClearRegisteredBenchmarks) and free the wrapper's records of them.
 * => Not while hbg_run() runs; handles from hbg_register are invalid.
 */
void	hbg_clear(void);

#ifdef __cplusplus
}
#endif

#endif /* HB_GBENCH_H */
