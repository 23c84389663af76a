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
 *
 * Interleaving within a machine group (issue 11).  A benchmark's
 * repetitions used to run back to back, so a slow phase of the host (it
 * moves the vCPUs apart for minutes) hit every repetition of one
 * benchmark and none of the next.  Google Benchmark 1.7.1's
 * --benchmark_enable_random_interleaving changes the order only
 * (benchmark.cc RunBenchmarks: one std::shuffle of the (benchmark,
 * repetition) list; min_time, repetitions and the iteration search are
 * untouched: a benchmark's first repetition still searches its count
 * and the others reuse it), but over the whole run, and ipibench
 * restarts its vCPU machine whenever consecutive benchmarks need another
 * one (machine.c): a global shuffle would restart it between most
 * benchmarks.  So hbg_run runs each group (registry.c: a maximal run of
 * benchmarks on the same machine) with one RunSpecifiedBenchmarks call
 * and the flag on, only that group registered then (re-registered from
 * our records; the user's filter applies as it is, by Google Benchmark
 * itself).  A group whose benchmark must follow another (the matrix's
 * class summaries) runs in order.
 *
 * One output all the same.  RunSpecifiedBenchmarks reopens (truncates)
 * --benchmark_out and calls ReportContext and Finalize on every call, so
 * the reporters are ours for the run: Google Benchmark's display
 * reporter (CreateDefaultDisplayReporter: --benchmark_format and
 * --benchmark_color) and a file reporter of --benchmark_out_format on
 * our own ofstream, each behind a Forward that passes ReportContext on
 * once (with the name width of the whole run), every ReportRuns (with
 * family_index renumbered over the whole run, as one call numbers it),
 * and Finalize once at the end.  Google Benchmark still decides what
 * each gets (--benchmark_report_aggregates_only,
 * --benchmark_display_aggregates_only): it is given our file reporter
 * with --benchmark_out pointed at /dev/null for the call.
 *
 * What the JSON looks like then: 1.7.1 reports a benchmark's runs in one
 * block when its last repetition ends, so within a group the blocks come
 * in the order their benchmarks finished, not in registration order;
 * each block still holds its repetitions and aggregates.  Readers must
 * go by name (plot/, the tests), never by position.
 *
 * Progress: a line when a benchmark starts for the first time; the
 * count is of benchmarks started, and the time done is each benchmark's
 * estimate in proportion to its repetitions done (all of it once Google
 * Benchmark reports it), so that neither runs backwards.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <benchmark/benchmark.h>

#include "gbench.h"

/*
 * Google Benchmark 1.7.1's flags that hbg_run sets for a group's call
 * and restores: defined (exported) by libbenchmark, declared by its
 * internal commandlineflags.h only.
 */
namespace benchmark {
extern bool FLAGS_benchmark_enable_random_interleaving;
extern bool FLAGS_benchmark_list_tests;
extern std::string FLAGS_benchmark_out;
extern std::string FLAGS_benchmark_out_format;
extern int32_t FLAGS_benchmark_repetitions;
extern double FLAGS_benchmark_min_time;
} // namespace benchmark

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
	unsigned	group = 0;	/* hbg_set_group */
	bool		shuffle = true;

	/* one hbg_run */
	bool		started = false; /* its progress line printed */
	long		fam = -1;	/* family_index over the whole run */
	bool		rep1 = false;	/* its first repetition ended */
	uint64_t	good_iters = 0;	/* a repetition's count, once one
					 * ended without error */
	unsigned	reps_done = 0;	/* repetitions ended */
	double		credited = 0;	/* fraction counted as done */

	/* full_name: the instance name Google Benchmark 1.7.1 gives it */
	std::string full_name() const {
		return gb_name(name.c_str(), iterations, repetitions, manual);
	}
};

namespace {

std::vector<hbg_bench *> benches;

/* The loop of the body running now, as hbg_keep_running_batch saw it. */
thread_local struct {
	hbg_bench *b;		/* whose body */
	bool	started;	/* hbg_keep_running_batch was called */
	bool	ended;		/* and returned false */
	double	manual_s;	/* hbg_set_iteration_time's, summed */
	bool	padded;		/* hbg_skip_with_error padded the count */
	uint64_t real;		/* then: the iterations really run */
} loop;

bool interleave = false;	/* hbg_set_interleave */

struct progress_state {
	bool	on = true;
	std::vector<double> est;	/* the plan's, by registration index */
	double	est_total = 0;		/* of the selected ones */
	size_t	total = 0;		/* selected */
	size_t	started = 0;		/* benchmarks begun */
	double	t0 = 0;			/* when hbg_run began */
	/* Interleaved: what ended, counted by repetitions (credit). */
	bool	interleaved = false;
	double	est_done = 0;		/* of est_total */
	double	n_done = 0;		/* of total */
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
begin(hbg_bench *b)
{
	if (!progress.on || b->started)
		return;
	b->started = true;
	progress.started++;

	double elapsed = mono_s() - progress.t0;
	size_t total = progress.total > progress.started ? progress.total :
	    progress.started;
	/* In order, every benchmark before b has ended; interleaved, what
	 * ended is counted by repetitions (credit). */
	double done = progress.interleaved ? progress.n_done :
	    (double)(progress.started - 1);
	double est_done = progress.interleaved ? progress.est_done :
	    b->est_before, left;
	double est_left = progress.est_total - est_done;

	if (est_left < 0)
		est_left = 0;
	/* The plan's estimates, scaled by how the run compares so far. */
	if (est_done > 0 && done > 0)
		left = est_left * elapsed / est_done;
	else if (est_left > 0)
		left = est_left;
	else
		left = done > 0 ? elapsed / done * ((double)total - done) : 0;

	fprintf(stderr, "[%zu/%zu] %s  elapsed %s  left ~%s\n",
	    progress.started, total, b->full_name().c_str(),
	    fmt_dur(elapsed).c_str(), fmt_dur(left).c_str());
	fflush(stderr);
}

/* credit: fraction frac of b's estimate has run (never less than before). */
void
credit(hbg_bench *b, double frac)
{
	if (frac > 1)
		frac = 1;
	if (!b->sel || frac <= b->credited)
		return;
	progress.est_done += b->est * (frac - b->credited);
	progress.n_done += frac - b->credited;
	b->credited = frac;
}

/*
 * rep_end: after a call of b's body: did a repetition end?  The first
 * repetition is the call that ends the iteration search, by Google
 * Benchmark 1.7.1's own test (benchmark_runner.cc
 * ShouldReportIterationResults, on the manual time: an error, a fixed
 * count, 1e9 iterations, or min_time reached); each later call is one.
 * Keeps the count of a repetition without error (hbg_skip_with_error),
 * and interleaved, credits the repetition to the progress.
 */
void
rep_end(hbg_bench *b, benchmark::State &st)
{
	if (!b->rep1 && !st.error_occurred() && b->iterations == 0 &&
	    st.iterations() < 1000000000 &&
	    !(loop.manual_s >= benchmark::FLAGS_benchmark_min_time))
		return;		/* the search goes on */
	b->rep1 = true;
	b->reps_done++;
	if (!st.error_occurred() && b->good_iters == 0)
		b->good_iters = (uint64_t)st.iterations();
	if (!progress.interleaved)
		return;

	unsigned reps = b->repetitions != 0 ? b->repetitions :
	    (unsigned)benchmark::FLAGS_benchmark_repetitions;

	credit(b, reps > 0 ? (double)b->reps_done / reps : 1);
}

/* gb_register: b's benchmark in Google Benchmark's registry, as set. */
void
gb_register(hbg_bench *b)
{
	b->gb = benchmark::RegisterBenchmark(b->name.c_str(),
	    [b](benchmark::State &st) {
		begin(b);
		loop.b = b;
		loop.started = loop.ended = loop.padded = false;
		loop.manual_s = 0;
		b->fn(reinterpret_cast<hbg_state *>(&st), b->arg);
		if (!st.error_occurred() && !loop.ended) {
			/* The loop's timer still runs: stop it, or
			 * Google Benchmark aborts on it. */
			if (loop.started)
				st.PauseTiming();
			st.SkipWithError("the benchmark's body returned "
			    "before its loop ended (harness bug)");
		}
		rep_end(b, st);
		loop.b = nullptr;
	    });
	if (b->manual)
		b->gb->UseManualTime();
	if (b->iterations != 0)
		b->gb->Iterations((benchmark::IterationCount)b->iterations);
	if (b->repetitions != 0)
		b->gb->Repetitions((int)b->repetitions);
}

/* gb_register_only: Google Benchmark's registry holds exactly v. */
void
gb_register_only(const std::vector<hbg_bench *> &v)
{
	benchmark::ClearRegisteredBenchmarks();
	for (hbg_bench *b : v)
		gb_register(b);
}

/*
 * Forward: one reporter of the whole run in front of Google Benchmark's
 * calls, one per group (gbench.cc's head comment).
 */
class Forward : public benchmark::BenchmarkReporter {
public:
	Forward(benchmark::BenchmarkReporter *inner, size_t width,
	    const std::unordered_map<std::string, hbg_bench *> *by_name,
	    bool display) :
	    inner_(inner), width_(width), by_name_(by_name), display_(display)
	{
		if (inner_ != nullptr) {
			SetOutputStream(&inner_->GetOutputStream());
			SetErrorStream(&inner_->GetErrorStream());
		}
	}

	bool ReportContext(const Context &context) override {
		if (!contexted_) {
			Context c = context;

			c.name_field_width = width_;
			contexted_ = true;
			context_ok_ = inner_->ReportContext(c);
			flush();
		}
		return context_ok_;
	}

	void ReportRuns(const std::vector<Run> &reports) override {
		std::vector<Run> v = reports;

		for (Run &r : v) {
			auto it = by_name_->find(r.run_name.str());

			if (it == by_name_->end())
				continue;
			if (it->second->fam >= 0)
				r.family_index = it->second->fam;
			if (display_)
				credit(it->second, 1);
		}
		inner_->ReportRuns(v);
		flush();
	}

	void Finalize() override {}	/* finish(), once */

	/* finish: the inner reporter's Finalize, if its context went out. */
	void finish() {
		if (contexted_)
			inner_->Finalize();
		flush();
	}

private:
	void flush() {
		inner_->GetOutputStream().flush();
		inner_->GetErrorStream().flush();
	}

	benchmark::BenchmarkReporter *inner_;
	size_t	width_;
	const std::unordered_map<std::string, hbg_bench *> *by_name_;
	bool	display_;
	bool	contexted_ = false;
	bool	context_ok_ = true;
};

/* A reporter that reports nothing: Google Benchmark's listing of names. */
class Quiet : public benchmark::BenchmarkReporter {
public:
	bool ReportContext(const Context &) override { return true; }
	void ReportRuns(const std::vector<Run> &) override {}
};

/*
 * gb_selected: the full names Google Benchmark's filter selects among
 * those registered (its own --benchmark_list_tests, into a string).
 * => How many; 0 when none or the filter is refused.
 */
size_t
gb_selected(const std::string &spec, std::set<std::string> *names)
{
	std::ostringstream out, err;
	Quiet q;
	std::string fname = benchmark::FLAGS_benchmark_out;
	bool list = benchmark::FLAGS_benchmark_list_tests;

	q.SetOutputStream(&out);
	q.SetErrorStream(&err);
	benchmark::FLAGS_benchmark_out.clear();	/* open nothing */
	benchmark::FLAGS_benchmark_list_tests = true;
	size_t n = benchmark::RunSpecifiedBenchmarks(&q, nullptr, spec);
	benchmark::FLAGS_benchmark_list_tests = list;
	benchmark::FLAGS_benchmark_out = fname;

	std::istringstream in(out.str());
	std::string line;

	while (std::getline(in, line))
		names->insert(line);
	return n;
}

/*
 * file_reporter: what Google Benchmark makes of --benchmark_out_format
 * (benchmark.cc CreateReporter; Initialize refused any other).
 */
std::unique_ptr<benchmark::BenchmarkReporter>
file_reporter(const std::string &fmt)
{
	typedef std::unique_ptr<benchmark::BenchmarkReporter> P;

	if (fmt == "console")
		return P(new benchmark::ConsoleReporter(
		    benchmark::ConsoleReporter::OO_None));
	if (fmt == "csv") {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		return P(new benchmark::CSVReporter());
#pragma GCC diagnostic pop
	}
	return P(new benchmark::JSONReporter());
}

/*
 * run_plain: Google Benchmark alone, as before interleaving.  The
 * display reporter is passed in, which changes nothing but that 1.7.1
 * does not delete its static default one (a second run would use it
 * freed).
 */
size_t
run_plain(void)
{
	return benchmark::RunSpecifiedBenchmarks(
	    benchmark::CreateDefaultDisplayReporter());
}

/*
 * run_groups: hbg_run with interleaving: each group in its own
 * RunSpecifiedBenchmarks, the reporters ours (the head comment).
 */
size_t
run_groups(const std::string &spec_in)
{
	std::string spec = spec_in.empty() || spec_in == "all" ? "." :
	    spec_in;
	std::set<std::string> names;

	/* What Google Benchmark selects; none (or a bad filter): let it
	 * say so, as it always did. */
	if (gb_selected(spec, &names) == 0)
		return run_plain();

	std::unordered_map<std::string, hbg_bench *> by_name;
	size_t matched = 0;

	for (hbg_bench *b : benches) {
		b->sel = names.count(b->full_name()) != 0;
		matched += b->sel;
		by_name.emplace(b->full_name(), b);
	}
	if (matched != names.size()) {
		/* Our names differ from Google Benchmark's (a new version?):
		 * every group runs and it filters; no renumbering. */
		for (hbg_bench *b : benches)
			b->sel = true;
		by_name.clear();
	}

	/* The run's totals, family indices and name width, as one call of
	 * Google Benchmark would have them (benchmark.cc RunBenchmarks). */
	size_t width = 10, nsel = 0;
	bool aggregates = benchmark::FLAGS_benchmark_repetitions > 1;

	progress.est_total = 0;
	progress.total = 0;
	for (hbg_bench *b : benches) {
		if (!b->sel)
			continue;
		b->fam = (long)nsel++;
		progress.est_total += b->est;
		progress.total++;
		width = std::max(width, b->full_name().size());
		aggregates |= b->repetitions > 1;
	}
	if (aggregates)
		width += 1 + strlen("median");	/* mean median stddev cv */

	/* The file, ours for the whole run. */
	std::string fname = benchmark::FLAGS_benchmark_out;
	std::ofstream out;
	std::unique_ptr<benchmark::BenchmarkReporter> file_inner;

	if (!fname.empty()) {
		errno = 0;
		out.open(fname);
		if (!out.is_open()) {
			/* Google Benchmark says "invalid file name" and exits
			 * 1; say why too. */
			fprintf(stderr, "invalid file name: '%s'%s%s "
			    "(--benchmark_out)\n", fname.c_str(),
			    errno != 0 ? ": " : "",
			    errno != 0 ? strerror(errno) : "");
			exit(1);
		}
		file_inner = file_reporter(
		    benchmark::FLAGS_benchmark_out_format);
		file_inner->SetOutputStream(&out);
		file_inner->SetErrorStream(&out);
	}
	Forward disp(benchmark::CreateDefaultDisplayReporter(), width,
	    &by_name, true);
	Forward file(file_inner.get(), width, &by_name, false);

	bool shuffle_flag = benchmark::FLAGS_benchmark_enable_random_interleaving;
	size_t ran = 0;

	progress.interleaved = true;
	for (size_t i = 0; i < benches.size();) {
		std::vector<hbg_bench *> g;
		bool any = false, shuffle = true;
		size_t j = i;

		for (; j < benches.size() &&
		    benches[j]->group == benches[i]->group; j++) {
			g.push_back(benches[j]);
			any |= benches[j]->sel;
			shuffle &= benches[j]->shuffle;
		}
		i = j;
		if (!any)
			continue;
		gb_register_only(g);
		benchmark::FLAGS_benchmark_enable_random_interleaving = shuffle;
		/* Google Benchmark opens (truncates) its --benchmark_out
		 * on each call, and hands our reporter only with one. */
		benchmark::FLAGS_benchmark_out = file_inner ? "/dev/null" : "";
		ran += benchmark::RunSpecifiedBenchmarks(&disp,
		    file_inner ? &file : nullptr, spec);
	}
	benchmark::FLAGS_benchmark_out = fname;
	benchmark::FLAGS_benchmark_enable_random_interleaving = shuffle_flag;
	gb_register_only(benches);	/* as registered again */
	progress.interleaved = false;
	disp.finish();
	if (file_inner)
		file.finish();
	return ran;
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
	gb_register(b);
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
	loop.manual_s += seconds;	/* as the ThreadTimer sums it */
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
	benchmark::State &s = S(st);
	hbg_bench *b = loop.b;

	/*
	 * Google Benchmark 1.7.1 aborts (statistics.cc ComputeStats:
	 * Check `run_iterations == run.iterations') when a benchmark with
	 * two repetitions or more without error has one with error whose
	 * iteration count differs: an error before the loop counts 0, one
	 * inside it what ran.  A SIGINT in the middle of a repetition
	 * (every later one of the benchmark skipped as "interrupted") did
	 * it with 3 repetitions or more; interleaved, every benchmark of
	 * the group that had begun does it.  So once a repetition of b
	 * ended without error, an error first runs the loop's count up to
	 * that repetition's (KeepRunningBatch of the rest, untimed as the
	 * error stops the timer), and hbg_iterations_done still says what
	 * really ran.
	 */
	if (b != nullptr && b->good_iters > 0 && !s.error_occurred() &&
	    !loop.ended) {
		uint64_t it = loop.started ? (uint64_t)s.iterations() : 0;

		loop.padded = true;
		loop.real = it;
		if (b->good_iters > it)
			s.KeepRunningBatch(
			    (benchmark::IterationCount)(b->good_iters - it));
	}
	s.SkipWithError(msg);
}

bool
hbg_error_occurred(hbg_state *st)
{
	return S(st).error_occurred();
}

uint64_t
hbg_iterations_done(hbg_state *st)
{
	return loop.padded ? loop.real : (uint64_t)S(st).iterations();
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
	for (hbg_bench *b : benches) {
		b->started = b->rep1 = false;
		b->good_iters = 0;
		b->fam = -1;
		b->reps_done = 0;
		b->credited = 0;
	}
	progress.started = 0;
	progress.est_done = progress.n_done = 0;
	progress.interleaved = false;
	progress.t0 = mono_s();
	if (!interleave || benchmark::FLAGS_benchmark_list_tests)
		return run_plain();
	return run_groups(spec);
}

void
hbg_set_group(hbg_bench *b, unsigned group, bool shuffle)
{
	b->group = group;
	b->shuffle = shuffle;
}

void
hbg_set_interleave(bool on)
{
	interleave = on;
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
