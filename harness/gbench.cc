/*
 * gbench.cc: the C API of gbench.h over Google Benchmark 1.7.1.
 *
 * Each registered benchmark is a lambda that prints the progress line
 * the first time Google Benchmark calls it (it calls a body several
 * times: to size the iteration count, then once per repetition), runs
 * the C body, and turns an early return (which Google Benchmark answers
 * with abort()) into SkipWithError.
 *
 * The progress count N mirrors Google Benchmark's own selection
 * (benchmark_register.cc, FindBenchmarks): the filter is an extended
 * regular expression searched in the full instance name, "-" in front
 * negates it, "" and "all" select everything.
 */
#include <regex.h>
#include <stdio.h>
#include <time.h>

#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "gbench.h"

struct hbg_bench {
	benchmark::internal::Benchmark *gb;
	std::string	name;		/* as registered */
	bool		manual = false;
	size_t		index;		/* registration order */
	hbg_fn		fn;
	void *		arg;

	/* full_name: the instance name Google Benchmark gives it */
	std::string full_name() const {
		return name + (manual ? "/manual_time" : "");
	}
};

namespace {

std::vector<hbg_bench *> benches;

/* The loop of the body running now, as hbg_keep_running_batch saw it. */
thread_local struct {
	bool	started;	/* hbg_keep_running_batch was called */
	bool	ended;		/* and returned false */
} loop;

struct progress_state {
	bool	on = true;
	double	est = 1.0;		/* seconds per benchmark, a guess */
	size_t	total = 0;		/* selected */
	size_t	started = 0;		/* benchmarks begun */
	long	last = -1;		/* index of the last one begun */
	double	t0 = 0;			/* when hbg_run began */
} progress;

double
mono_s()
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* fmt_dur: seconds as "m:ss" (or "h:mm:ss"). */
std::string
fmt_dur(double s)
{
	char buf[32];
	long t = s < 0 ? 0 : (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, sizeof(buf), "%ld:%02ld:%02ld", t / 3600,
		    t / 60 % 60, t % 60);
	else
		snprintf(buf, sizeof(buf), "%ld:%02ld", t / 60, t % 60);
	return buf;
}

/* begin: the progress line, the first time benchmark b is called. */
void
begin(const hbg_bench *b)
{
	if (!progress.on || (long)b->index == progress.last)
		return;
	progress.last = (long)b->index;
	progress.started++;

	double elapsed = mono_s() - progress.t0;
	size_t done = progress.started - 1;
	size_t total = progress.total > progress.started ? progress.total :
	    progress.started;
	double per = done > 0 ? elapsed / (double)done : progress.est;
	double left = per * (double)(total - done);

	fprintf(stderr, "[%zu/%zu] %s  elapsed %s  left ~%s\n",
	    progress.started, total, b->full_name().c_str(),
	    fmt_dur(elapsed).c_str(), fmt_dur(left).c_str());
	fflush(stderr);
}

/* selected: does Google Benchmark's filter select full name? */
bool
selected(const std::string &spec_in, const std::string &full, bool *ok)
{
	std::string spec = spec_in;
	bool negative = false;
	regex_t re;

	if (spec.empty() || spec == "all")
		spec = ".";
	if (spec[0] == '-') {
		spec.erase(0, 1);
		negative = true;
	}
	if (regcomp(&re, spec.c_str(), REG_EXTENDED | REG_NOSUB) != 0) {
		*ok = false;
		return false;
	}
	bool m = regexec(&re, full.c_str(), 0, NULL, 0) == 0;
	regfree(&re);
	return m != negative;
}

benchmark::State &
S(hbg_state *st)
{
	return *reinterpret_cast<benchmark::State *>(st);
}

} // namespace

extern "C" {

hbg_bench *
hbg_register(const char *name, hbg_fn fn, void *arg)
{
	hbg_bench *b = new hbg_bench;

	b->name = name;
	b->index = benches.size();
	b->fn = fn;
	b->arg = arg;
	b->gb = benchmark::RegisterBenchmark(name,
	    [b](benchmark::State &st) {
		begin(b);
		loop.started = loop.ended = false;
		b->fn(reinterpret_cast<hbg_state *>(&st), b->arg);
		if (!st.error_occurred() && !loop.ended) {
			/* The loop's timer still runs: stop it, or
			 * Google Benchmark aborts on it. */
			if (loop.started)
				st.PauseTiming();
			st.SkipWithError("the benchmark's body returned "
			    "before its loop ended (harness bug)");
		}
	    });
	benches.push_back(b);
	return b;
}

void
hbg_use_manual_time(hbg_bench *b)
{
	b->gb->UseManualTime();
	b->manual = true;
}

void
hbg_iterations(hbg_bench *b, uint64_t n)
{
	b->gb->Iterations((benchmark::IterationCount)n);
}

void
hbg_repetitions(hbg_bench *b, unsigned n)
{
	b->gb->Repetitions((int)n);
}

bool
hbg_keep_running_batch(hbg_state *st, uint64_t n)
{
	bool more = S(st).KeepRunningBatch((benchmark::IterationCount)n);

	loop.started = true;
	loop.ended = !more;
	return more;
}

void
hbg_set_iteration_time(hbg_state *st, double seconds)
{
	S(st).SetIterationTime(seconds);
}

void
hbg_counter(hbg_state *st, const char *name, double value, unsigned flags)
{
	S(st).counters[name] = benchmark::Counter(value,
	    static_cast<benchmark::Counter::Flags>(flags));
}

void
hbg_skip_with_error(hbg_state *st, const char *msg)
{
	S(st).SkipWithError(msg);
}

bool
hbg_error_occurred(hbg_state *st)
{
	return S(st).error_occurred();
}

void
hbg_add_context(const char *key, const char *value)
{
	benchmark::AddCustomContext(key, value);
}

int
hbg_initialize(int *argc, char **argv)
{
	benchmark::Initialize(argc, argv);
	return benchmark::ReportUnrecognizedArguments(*argc, argv) ? -1 : 0;
}

void
hbg_set_progress(bool on, double est_seconds)
{
	progress.on = on;
	if (est_seconds > 0)
		progress.est = est_seconds;
}

size_t
hbg_count_selected(void)
{
	std::string spec = benchmark::GetBenchmarkFilter();
	size_t n = 0;
	bool ok = true;

	for (const hbg_bench *b : benches)
		if (selected(spec, b->full_name(), &ok))
			n++;
	return ok ? n : benches.size();
}

size_t
hbg_run(void)
{
	progress.total = hbg_count_selected();
	progress.started = 0;
	progress.last = -1;
	progress.t0 = mono_s();
	return benchmark::RunSpecifiedBenchmarks();
}

void
hbg_shutdown(void)
{
	benchmark::Shutdown();
}

void
hbg_clear(void)
{
	benchmark::ClearRegisteredBenchmarks();
	for (hbg_bench *b : benches)
		delete b;
	benches.clear();
}

} // extern "C"
