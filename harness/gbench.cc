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

/*
 * gb_name: the name Google Benchmark 1.7.1 gives a benchmark registered
 * as name: BenchmarkName::str() joins name, iterations:N, repeats:N and
 * manual_time with '/'.
 */
static std::string
gb_name(const char *name, uint64_t iterations, unsigned repetitions,
    bool manual)
{
	std::string s = name;

	if (iterations != 0)
		s += "/iterations:" + std::to_string(iterations);
	if (repetitions != 0)
		s += "/repeats:" + std::to_string(repetitions);
	return manual ? s + "/manual_time" : s;
}

struct hbg_bench {
	benchmark::internal::Benchmark *gb;
	std::string	name;		/* as registered */
	bool		manual = false;
	size_t		index;		/* registration order */
	hbg_fn		fn;
	void *		arg;
	double		est = 0;	/* the plan's seconds, 0 unknown */
	bool		sel = true;	/* the filter selects it */

	uint64_t	iterations = 0;	/* hbg_iterations, 0 none */
	unsigned	repetitions = 0; /* hbg_repetitions, 0 none */
	double		est_before = 0;	/* the plan's, of the selected before */

	/* full_name: the instance name Google Benchmark 1.7.1 gives it */
	std::string full_name() const {
		return gb_name(name.c_str(), iterations, repetitions, manual);
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
	std::vector<double> est;	/* the plan's, by registration index */
	double	est_total = 0;		/* of the selected ones */
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
	double est_done = b->est_before, left;
	double est_left = progress.est_total - est_done;

	/* The plan's estimates, scaled by how the run compares so far. */
	if (est_done > 0 && done > 0)
		left = est_left * elapsed / est_done;
	else if (est_left > 0)
		left = est_left;
	else
		left = done > 0 ? elapsed / (double)done *
		    (double)(total - done) : 0;

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
	b->iterations = n;
}

void
hbg_repetitions(hbg_bench *b, unsigned n)
{
	b->gb->Repetitions((int)n);
	b->repetitions = n;
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

uint64_t
hbg_iterations_done(hbg_state *st)
{
	return (uint64_t)S(st).iterations();
}

bool
hbg_filter_valid(const char *spec)
{
	bool ok = true;

	(void)selected(spec != NULL ? spec : "", "", &ok);
	return ok;
}

bool
hbg_selects(const char *spec_in, const char *name, uint64_t iterations,
    unsigned repetitions)
{
	/* One spec per run: compiled once (a plan asks for every entry). */
	static std::string spec;
	static regex_t re;
	static int state = 0;	/* 0 none, 1 compiled, -1 invalid */
	static bool negative;
	std::string s = spec_in != NULL ? spec_in : "";

	if (s.empty() || s == "all" || s == ".")
		return true;
	if (state == 0 || s != spec) {
		if (state == 1)
			regfree(&re);
		spec = s;
		negative = s[0] == '-';
		if (negative)
			s.erase(0, 1);
		state = regcomp(&re, s.c_str(), REG_EXTENDED | REG_NOSUB) == 0 ?
		    1 : -1;
	}
	if (state < 0)
		return true;
	std::string full = gb_name(name, iterations, repetitions, true);

	return (regexec(&re, full.c_str(), 0, NULL, 0) == 0) != negative;
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
hbg_set_progress(bool on, const double *est, size_t n)
{
	progress.on = on;
	progress.est.assign(est, est != NULL ? est + n : est);
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
	std::string spec = benchmark::GetBenchmarkFilter();
	bool ok = true;

	for (hbg_bench *b : benches) {
		b->sel = selected(spec, b->full_name(), &ok);
		b->est = b->index < progress.est.size() ?
		    progress.est[b->index] : 0;
	}
	progress.est_total = 0;
	progress.total = 0;
	for (hbg_bench *b : benches) {
		b->sel = b->sel || !ok;	/* as hbg_count_selected */
		b->est_before = progress.est_total;
		if (b->sel) {
			progress.est_total += b->est;
			progress.total++;
		}
	}
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
