/*
 * cmd_run.c: `ipibench run`: measure the selected workloads, for each
 * backend and placement, on this machine, with Google Benchmark.
 *
 * Order: the config file (--config) first, then every flag in the order
 * given (so flags override the config), then the checks (the machine:
 * this one, a planning topology with --dry-run, or a simulated one;
 * busy-poll on too few cores), then registration (sweep.h): for each
 * backend, the yardsticks (beside that backend), then for each placement
 * the workloads, planned and thinned to the budget (plan.h), registered
 * again after each thinning.  One run-summary line (--dry-run: the plan,
 * and stop), the context, the --out files, and Google Benchmark runs
 * them; the run's costs go to --out's costs.csv (cost.h).
 *
 * Flags are getopt_long's, made from the parameters' table (params.h):
 * --KEY VALUE, --KEY=VALUE, '-' for '_', a boolean alone meaning true.
 * Names (backends, workloads, ...) were resolved by the table when set:
 * what reaches the registration is the tables' own entries.
 *
 * Exit status: 0; 1 when a benchmark failed or the machine wedged;
 * 2 bad usage or input; 75 (EX_TEMPFAIL) another run holds the run lock
 * (runlock.h): try again later; 128 + the signal on SIGINT/SIGTERM/
 * SIGHUP (130 for Ctrl-C; SIGTERM also when the parent dies), with valid
 * JSON written for what ran.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../ipi/backend.h"
#include "bench.h"
#include "cli.h"
#include "context.h"
#include "cost.h"
#include "plan.h"
#include "simulate.h"
#include "sweep.h"
#include "gbench.h"
#include "params.h"
#include "placement.h"
#include "runlock.h"
#include "timer.h"
#include "topology.h"
#include "version.h"
#include "workload.h"

static void
run_usage(FILE *f)
{
	fprintf(f,
"usage: ipibench run [--config FILE] [--backend LIST] [--placement LIST]\n"
"                    [--cpus LIST] [--workload LIST] [--out DIR]\n"
"                    [--budget TIME] [--dry-run [--json]] [--calibrate RUN]\n"
"                    [--topology SRC | --simulate SRC]\n"
"                    [--KEY VALUE ...] [--benchmark_FLAG=VALUE ...] [--help]\n"
"\n"
"Measures the workloads on this machine: one vCPU thread pinned to each\n"
"selected PU, the IPI protocol of NetBSD's subr_ipi.c between them, over\n"
"each delivery backend and placement.  Google Benchmark runs the\n"
"benchmarks; every operation is timed on its own (TSC) and the\n"
"percentiles go out as counters (p50_ns p90_ns p99_ns p999_ns max_ns\n"
"min_ns mean_ns samples), with perf counters per operation where the\n"
"kernel allows.  Names: results/README.md.\n"
"\n"
"options:\n"
"  --config FILE      read parameters from an INI file first (configs/*.ini);\n"
"                     flags given on the command line override it.  INI as\n"
"                     libinih reads it: [section], key = value, ; or #\n"
"                     comments; each key once in a file; text only (no NUL\n"
"                     or control byte but the tab); a line at most 198\n"
"                     characters (libinih's buffer of 200, less the newline\n"
"                     and the NUL): a list (backends, workloads, fanout,\n"
"                     ...) goes on over indented lines, joined with ','\n"
"                     (\"fanout = 1,2,\" then \"    4,8\"); an indented line\n"
"                     after any other key is an error.\n"
"  --backend LIST     delivery backends, comma-separated (default: every\n"
"                     one; `ipibench list` shows them).  Same as --backends.\n"
"  --placement LIST   placements of the per-vCPU IPI state: local, single,\n"
"                     interleave, remote (default local).  Same as\n"
"                     --placements.\n"
"  --cpus LIST        the PUs to run vCPUs on, hwloc-calc syntax (0-3,8,\n"
"                     core:0-7, numa:1; default: every PU this process may\n"
"                     use: `taskset` narrows it).  See `ipibench topo --help`.\n"
"  --workload LIST    workloads, comma-separated (default: every one).\n"
"                     Same as --workloads.  Yardsticks (pingpong,\n"
"                     futex_wake, ...) run before each backend's group:\n"
"                     with --yardsticks true (the default) every yardstick\n"
"                     runs unless LIST names some, then exactly those;\n"
"                     with --yardsticks false only those LIST names.\n"
"  --out DIR          write DIR/bench.json (Google Benchmark JSON),\n"
"                     DIR/topology.xml (hwloc export of the machine),\n"
"                     DIR/config.ini (the parameters used) and DIR/costs.csv;\n"
"                     DIR is created, or may be there already, empty or\n"
"                     without an earlier run's files (bench.json, config.ini,\n"
"                     topology.xml, costs.csv, matrix.csv): one of them there\n"
"                     and the run is refused (choose a new DIR).  Checked\n"
"                     before anything runs (a path too long, a file on the\n"
"                     way, a folder that cannot be made or written: exit 2,\n"
"                     nothing made).  Not with --benchmark_out, a non-json\n"
"                     --benchmark_out_format or --benchmark_list_tests.\n"
"  --force            run a spinning backend (busypoll) even with more vCPUs\n"
"                     than distinct cores (SMT siblings do not count as\n"
"                     cores: two spinners on one core starve each other);\n"
"                     the results say forced = true.  Without it such a\n"
"                     run is refused.\n"
"  --budget TIME      the time the sweep may take (90s, 15m, 1h30m): over it,\n"
"                     the plan thins the sweep before it starts (fewer\n"
"                     samples and repetitions, then thinner fan-out, n and\n"
"                     sender lists) and says what it thinned.\n"
"  --dry-run          print the plan and run nothing: benchmarks per\n"
"                     workload and backend, machine starts, the estimated\n"
"                     time (a per-operation cost model replaying Google\n"
"                     Benchmark's choice of iterations), what a budget\n"
"                     thinned.  --json: one JSON object instead (benchmarks,\n"
"                     machine_starts, estimate_s, budget_s, fits, groups).\n"
"  --calibrate RUN    plan from what a measured run cost (RUN/costs.csv,\n"
"                     written by every run with --out) instead of the\n"
"                     built-in model.\n"
"  --topology SRC     with --dry-run: plan for that machine (an hwloc XML\n"
"                     file or synthetic:DESC); a run measures this machine.\n"
"  --simulate SRC     run one vCPU per PU of topology SRC on this machine's\n"
"                     PUs, oversubscribed: a functional test of a big\n"
"                     machine (sleeping backends only; not timings, and\n"
"                     the results say so).\n"
"  -h, --help         this manual.\n"
"\n"
"Every parameter below is a flag --KEY VALUE (or --KEY=VALUE; a boolean\n"
"alone means true; '-' and '_' are the same) and a config key:\n"
"\n");
	hb_params_usage(f);
	fprintf(f,
"\n"
"Google Benchmark's own flags pass through (`--benchmark_*`), e.g.\n"
"  --benchmark_filter=REGEX      run the benchmarks whose names match\n"
"                                (a leading '-' negates)\n"
"  --benchmark_min_time=SECONDS  plain seconds (0.5, not 0.5s); overrides\n"
"                                --min_time\n"
"  --benchmark_repetitions=N     overrides --repetitions\n"
"  --benchmark_min_warmup_time=SECONDS  Google Benchmark's warm-up before\n"
"                                each benchmark, counted in manual (timed)\n"
"                                seconds: one such second of the timer\n"
"                                workload takes about 10 s of wall time;\n"
"                                the plan counts it (ipibench's own warm-up:\n"
"                                --warmup_ops)\n"
"  --benchmark_list_tests=true   print the names and run nothing (no --out)\n"
"  --benchmark_format=json|csv   the console format\n"
"  --benchmark_out=FILE --benchmark_out_format=json   (instead of --out)\n"
"See `--benchmark_help` of any Google Benchmark binary for the rest.\n"
"\n"
"Progress goes to stderr when each benchmark starts, the time left from the\n"
"plan, corrected by how the run compares with it so far:\n"
"  [k/N] NAME  elapsed 0:12  left ~1:03\n"
"One run at a time: a run holds the lock $IPIBENCH_LOCK (default\n"
"/tmp/ipibench.lock; flock) from before it starts until it exits; another\n"
"run meanwhile is refused at once, naming the holder (pid, start, command):\n"
"wait for it to finish.  --dry-run and --benchmark_list_tests take none.\n"
"SIGINT (Ctrl-C), SIGTERM or SIGHUP: the benchmark running stops after its\n"
"batch, the rest are skipped as \"interrupted\", the JSON stays valid, exit\n"
"130 (143 for SIGTERM, 129 for SIGHUP); a second signal kills at once.  The\n"
"death of the parent process is a SIGTERM, unless started under nohup\n"
"(SIGHUP ignored: the run outlives its terminal and its parent).  A closed\n"
"stdout or stderr stops nothing: --out's files are written to the end.\n"
"A batch that does not finish within --timeout seconds skips its benchmark\n"
"naming the vCPU; the machine is then wedged, every later benchmark\n"
"skipped, exit 1.\n"
"Exit status: 0; 1 a benchmark failed or the machine wedged; 2 bad usage or\n"
"input; 75 another run holds the lock (EX_TEMPFAIL: try again later);\n"
"128 + the signal when stopped by one.\n"
"Google Benchmark 1.7.1 from Debian is a debug build: its warning about\n"
"that is expected and harmless here (timing is manual, per operation).\n"
"\n"
"examples:\n"
"  ipibench run --workload unicast --backend futex --benchmark_min_time=0.05\n"
"  ipibench run --config configs/quick.ini --out results/mine\n"
"  ipibench run --backend busypoll --workload matrix --out results/mine\n"
"  ipibench run --dry-run --topology tests/topologies/AMD-19h-Zen4-2xEpyc-9654.xml\n"
"               --config configs/full.ini\n"
"  ipibench run --simulate 'synthetic:pack:2 numa:2 core:16 pu:1' --backend futex\n"
"               --config configs/quick.ini\n");
}

struct run_args {
	const char *	config;
	const char *	out;
	const char *	calibrate;	/* a results folder, or NULL */
	bool		dry_run, json;
	char **		gb;		/* --benchmark_* as given, but min_time
					 * and repetitions (folded into the
					 * parameters: the plan may thin them) */
	int		ngb;
	const char *	filter;		/* --benchmark_filter's value, or NULL */
	const char *	gb_min_time;	/* --benchmark_min_time's value, or NULL */
	const char *	gb_reps;	/* --benchmark_repetitions's, or NULL */
	double		gb_warmup;	/* --benchmark_min_warmup_time, s */
	const char *	gb_out;		/* --benchmark_out's value, or NULL */
	const char *	gb_out_format;	/* --benchmark_out_format's, or NULL */
	bool		list_tests;	/* --benchmark_list_tests, true */
};

/* Long options beyond the parameters' own. */
enum {
	OPT_HELP = 'h',
	OPT_CONFIG = 0x100,
	OPT_OUT,
	OPT_DRY_RUN,
	OPT_JSON,
	OPT_CALIBRATE,
	OPT_PARAM,		/* + index in hb_param_table */
};

/* The flags --backend, --placement, --workload: --backends, ... */
static const char *const aliases[][2] = {
	{ "backend", "backends" },
	{ "placement", "placements" },
	{ "workload", "workloads" },
};

/*
 * run_options: getopt_long's table: help, config, out, the aliases, and
 * every parameter under its key.  => NULL when out of memory (free it).
 */
static struct option *
run_options(void)
{
	size_t nparam = 0, k = 0;
	struct option *v;

	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++)
		nparam++;
	if ((v = calloc(6 + 3 + nparam + 1, sizeof(*v))) == NULL)
		return NULL;
	v[k++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	v[k++] = (struct option){ "config", required_argument, NULL,
	    OPT_CONFIG };
	v[k++] = (struct option){ "out", required_argument, NULL, OPT_OUT };
	v[k++] = (struct option){ "dry_run", no_argument, NULL, OPT_DRY_RUN };
	v[k++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
	v[k++] = (struct option){ "calibrate", required_argument, NULL,
	    OPT_CALIBRATE };
	for (size_t a = 0; a < sizeof(aliases) / sizeof(aliases[0]); a++)
		for (size_t i = 0; i < nparam; i++)
			if (strcmp(hb_param_table[i].key, aliases[a][1]) == 0)
				v[k++] = (struct option){ aliases[a][0],
				    required_argument, NULL, OPT_PARAM + (int)i };
	for (size_t i = 0; i < nparam; i++)
		v[k++] = (struct option){ hb_param_table[i].key,
		    hb_param_table[i].type == HB_PT_BOOL ? optional_argument :
		    required_argument, NULL, OPT_PARAM + (int)i };
	return v;
}

/*
 * exact_names: every "--NAME[=VALUE]" of argv (up to a "--") spells an
 * option of opts in full, '-' and '_' alike: NAME is rewritten in place
 * with '_', so that getopt_long sees only the table's spelling and never
 * matches a prefix (a script's --rep must not turn into --repetitions,
 * nor break when a parameter --report appears).
 * => 0, or 2 with a message naming the argument.
 */
static int
exact_names(int argc, char **argv, const struct option *opts)
{
	for (int i = 1; i < argc; i++) {
		char *name = argv[i] + 2;
		size_t len = strcspn(name, "=");
		bool known = false;

		if (strncmp(argv[i], "--", 2) != 0)
			continue;
		if (len == 0 && name[0] == '\0')
			break;		/* "--": the end of the options */
		for (size_t c = 0; c < len; c++)
			if (name[c] == '-')
				name[c] = '_';
		for (const struct option *o = opts; o->name != NULL && !known;
		    o++)
			known = strlen(o->name) == len &&
			    strncmp(o->name, name, len) == 0;
		if (!known) {
			fprintf(stderr, "ipibench run: unknown option '--%.*s' "
			    "(expected --config, --out, --dry-run, --json, "
			    "--calibrate, --backend, --placement, --workload, "
			    "a parameter of --help, or --benchmark_*)\n",
			    (int)len, name);
			return 2;
		}
	}
	return 0;
}

/*
 * next_option: getopt_long over argv.  A boolean flag without '=' takes
 * the next word as its value unless that starts with "--" (--matrix
 * false); a flag that needs a value never takes a following "--WORD"
 * (it is missing: ':').
 * => getopt_long's return; *val the value or NULL; *at the index of the
 *    option's word in argv.
 */
static int
next_option(int argc, char **argv, const struct option *opts,
    const char **val, int *at)
{
	int c;

	*at = optind > 0 ? optind : 1;
	c = getopt_long(argc, argv, "+:h", opts, NULL);
	*val = optarg;
	if (c == -1 || c == '?' || c == ':')
		return c;
	if (c >= OPT_PARAM && optarg == NULL && optind < argc &&
	    strncmp(argv[optind], "--", 2) != 0)
		*val = argv[optind++];
	else if (optarg != NULL && strchr(argv[*at], '=') == NULL &&
	    strncmp(optarg, "--", 2) == 0)
		return ':';
	return c;
}

/*
 * parse_args: argv (without --benchmark_*) into p and a.  The config
 * first, wherever it is on the line, then every flag in order.
 * => 0, 1 for --help (printed), or 2 with a message printed.
 */
static int
parse_args(int argc, char **argv, struct hb_params *p, struct run_args *a)
{
	char err[1024];
	struct option *opts = run_options();
	const char *val;
	int c, at, rc = 0;

	if (opts == NULL) {
		fprintf(stderr, "ipibench run: out of memory\n");
		return 2;
	}
	if ((rc = exact_names(argc, argv, opts)) != 0)
		goto out;
	opterr = 0;
	optind = 0;	/* glibc: a fresh scan */
	while ((c = next_option(argc, argv, opts, &val, &at)) != -1) {
		if (c == OPT_HELP) {
			run_usage(stdout);
			rc = 1;
			goto out;
		}
		if (c == OPT_CONFIG)
			a->config = val;
	}
	if (a->config != NULL &&
	    hb_params_load(p, a->config, err, sizeof(err)) != 0) {
		fprintf(stderr, "ipibench run: --config %s: %s\n", a->config,
		    err);
		rc = 2;
		goto out;
	}

	optind = 0;
	while (rc == 0 &&
	    (c = next_option(argc, argv, opts, &val, &at)) != -1) {
		const struct hb_param *q;

		switch (c) {
		case OPT_CONFIG:
			break;		/* done above */
		case OPT_DRY_RUN:
			a->dry_run = true;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_CALIBRATE:
			a->calibrate = val;
			break;
		case OPT_OUT:
			if (*val == '\0') {
				fprintf(stderr, "ipibench run: --out needs a "
				    "DIR\n");
				rc = 2;
			}
			a->out = val;
			break;
		case ':':
			fprintf(stderr, "ipibench run: %.*s needs a value (see "
			    "--help)\n", (int)strcspn(argv[at], "="), argv[at]);
			rc = 2;
			break;
		case '?':
			fprintf(stderr, "ipibench run: unknown option '%s' "
			    "(options start with --; see --help)\n", argv[at]);
			rc = 2;
			break;
		default:
			q = &hb_param_table[c - OPT_PARAM];
			if (hb_param_set(p, q->key, val, err, sizeof(err)) != 0) {
				fprintf(stderr, "ipibench run: --%s %s: %s\n",
				    q->key, val != NULL ? val : "", err);
				rc = 2;
			}
			break;
		}
	}
	if (rc == 0 && a->json && !a->dry_run) {
		fprintf(stderr, "ipibench run: --json prints the plan: it goes "
		    "with --dry-run (a run's JSON is --out's bench.json)\n");
		rc = 2;
	}
	if (rc == 0 && optind < argc) {
		fprintf(stderr, "ipibench run: unexpected argument '%s' (options "
		    "start with --; see --help)\n", argv[optind]);
		rc = 2;
	}
out:
	free(opts);
	return rc;
}

/*
 * gb_truthy: a boolean flag's value as Google Benchmark 1.7.1 reads it
 * (commandlineflags.cc IsTruthyFlagValue): "" (the flag alone) is true,
 * and anything but 0, f, n, false, no, off (any case) or one character
 * that is not a letter or digit.
 */
static bool
gb_truthy(const char *v)
{
	if (v[0] != '\0' && v[1] == '\0')
		return isalnum((unsigned char)v[0]) &&
		    strchr("0fFnN", v[0]) == NULL;
	return strcasecmp(v, "false") != 0 && strcasecmp(v, "no") != 0 &&
	    strcasecmp(v, "off") != 0;
}

/*
 * take_gb: move the --benchmark_* flags of argv into a->gb, noting those
 * that ipibench reads too (the last of each wins, as in Google
 * Benchmark): min_time and repetitions (taken out: folded into the
 * parameters, checked there), the filter, the warm-up (the plan charges
 * it), where the JSON goes and whether anything runs (check_out).
 * => 0, or 2 with a message printed.
 */
static int
take_gb(int *argc, char **argv, struct run_args *a)
{
	const char *env = getenv("BENCHMARK_LIST_TESTS");
	int w = 1;

	/* Google Benchmark reads its flags' environment variables too. */
	a->list_tests = env != NULL && gb_truthy(env);
	for (int i = 1; i < *argc; i++) {
		const char *arg = argv[i];
		char *end;

		if (strncmp(arg, "--benchmark_", 12) != 0) {
			argv[w++] = argv[i];
			continue;
		}
		if (strncmp(arg, "--benchmark_min_time=", 21) == 0) {
			a->gb_min_time = arg + 21;
			continue;
		}
		if (strncmp(arg, "--benchmark_repetitions=", 24) == 0) {
			a->gb_reps = arg + 24;
			continue;
		}
		a->gb[a->ngb++] = argv[i];
		if (strncmp(arg, "--benchmark_filter=", 19) == 0) {
			a->filter = arg + 19;
		} else if (strncmp(arg, "--benchmark_out=", 16) == 0) {
			a->gb_out = arg + 16;
		} else if (strncmp(arg, "--benchmark_out_format=", 23) == 0) {
			a->gb_out_format = arg + 23;
		} else if (strncmp(arg, "--benchmark_list_tests", 22) == 0 &&
		    (arg[22] == '\0' || arg[22] == '=')) {
			a->list_tests = gb_truthy(arg[22] == '=' ? arg + 23 : "");
		} else if (strncmp(arg, "--benchmark_min_warmup_time=", 28) ==
		    0) {
			const char *v = arg + 28;
			double s;

			/* Google Benchmark takes nan (no warm-up) and inf
			 * (a warm-up that never ends) alike. */
			errno = 0;
			s = strtod(v, &end);
			if (errno != 0 || end == v || *end != '\0' ||
			    !isfinite(s) || s < 0 || s > 3600) {
				fprintf(stderr, "ipibench run: %s: expected a "
				    "finite number of seconds from 0 to 3600, "
				    "e.g. --benchmark_min_warmup_time=0.5 "
				    "(Google Benchmark 1.7.1 takes no unit)\n",
				    arg);
				return 2;
			}
			a->gb_warmup = s;
		}
	}
	argv[w] = NULL;
	*argc = w;
	return 0;
}

/* count_cores: distinct cores among the vCPUs (no core: one each). */
static unsigned
count_cores(const struct hb_topology *t)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->nvcpus; i++) {
		bool seen = false;

		if (t->vcpus[i].core >= 0)
			for (unsigned k = 0; k < i && !seen; k++)
				seen = t->vcpus[k].core == t->vcpus[i].core;
		if (!seen)
			n++;
	}
	return n;
}

/*
 * The --out folder.
 */

/* The files of a run in its --out folder (an earlier run's if found). */
static const char *const out_files[] = {
	"bench.json", "config.ini", "topology.xml", "costs.csv", "matrix.csv",
	NULL
};
/* The longest name written there: topology.xml's temporary. */
#define	OUT_LONGEST	"/topology.xml.tmp"

/* shown: dir for a message: whole, or its start and its length. */
static const char *
shown(const char *dir, char *buf, size_t len)
{
	size_t n = strlen(dir);

	if (n <= 160)
		snprintf(buf, len, "%s", dir);
	else
		snprintf(buf, len, "%.60s... (%zu characters)", dir, n);
	return buf;
}

/*
 * unmake: remove the folders dir[0..k) for every end k in [from, to]
 * (where a component of dir ends), deepest first: what mkdirs made.
 */
static void
unmake(const char *dir, size_t from, size_t to)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", dir);
	for (size_t k = to; k >= from && k > 0; k--) {
		if ((path[k] != '/' && path[k] != '\0') || path[k - 1] == '/')
			continue;
		path[k] = '\0';
		(void)rmdir(path);
	}
}

/*
 * mkdirs: mkdir -p dir (strlen(dir) < PATH_MAX).  => 0, with the end of
 * the first folder it made in *made (0: none, dir was there); or -1
 * with errno set and the folder that could not be made in bad, every
 * folder it made removed.
 */
static int
mkdirs(const char *dir, size_t *made, char *bad, size_t badlen)
{
	char path[PATH_MAX];
	size_t len = strlen(dir), first = 0;

	*made = 0;
	if (len >= sizeof(path)) {
		snprintf(bad, badlen, "%.60s...", dir);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, dir, len + 1);
	for (size_t k = 1; k <= len; k++) {
		if ((dir[k] != '/' && dir[k] != '\0') || dir[k - 1] == '/')
			continue;
		path[k] = '\0';
		if (mkdir(path, 0777) == 0) {
			if (first == 0)
				first = k;
		} else if (errno != EEXIST) {
			int e = errno;

			snprintf(bad, badlen, "%s", path);
			if (first != 0)
				unmake(dir, first, k);
			errno = e;
			return -1;
		}
		path[k] = dir[k];
	}
	*made = first;
	return 0;
}

/*
 * check_out: --out DIR before anything is measured or written: nothing
 * that would send the JSON elsewhere (--benchmark_out, a format but
 * json) or run nothing (--benchmark_list_tests); a path the system can
 * hold (PATH_MAX with the longest file, NAME_MAX a component); a folder
 * that can be made (tried: what was made is removed) and written in,
 * without an earlier run's files (an empty folder is fine: make bench
 * makes its own).  Creates nothing.  => 0, or 2 with a message printed
 * naming the path, the file or the reason.
 */
static int
check_out(const struct run_args *a)
{
	const char *dir = a->out;
	char d[256], bad[PATH_MAX], path[PATH_MAX];
	size_t len = strlen(dir), made;
	struct stat st;
	int fd, rc = 2;

	if (a->gb_out != NULL) {
		fprintf(stderr, "ipibench run: --out %s and --benchmark_out=%s "
		    "both say where the JSON goes (--out: DIR/bench.json beside "
		    "the topology and the config): give one\n",
		    shown(dir, d, sizeof(d)), a->gb_out);
		return 2;
	}
	if (a->gb_out_format != NULL && strcmp(a->gb_out_format, "json") !=
	    0) {
		fprintf(stderr, "ipibench run: --out %s writes JSON (bench.json): "
		    "--benchmark_out_format=%s does not go with it (drop it, or "
		    "give --benchmark_out=FILE instead of --out)\n",
		    shown(dir, d, sizeof(d)), a->gb_out_format);
		return 2;
	}
	if (a->list_tests) {
		fprintf(stderr, "ipibench run: --benchmark_list_tests lists the "
		    "benchmarks and runs none: it writes no results, so it does "
		    "not go with --out %s (drop one)\n",
		    shown(dir, d, sizeof(d)));
		return 2;
	}
	if (len + sizeof(OUT_LONGEST) > PATH_MAX) {
		fprintf(stderr, "ipibench run: --out %s: too long: its files "
		    "(%s%s) would be past PATH_MAX (%d characters with the "
		    "NUL): choose a shorter path\n", shown(dir, d, sizeof(d)),
		    len > 60 ? "..." : dir, OUT_LONGEST, PATH_MAX);
		return 2;
	}
	for (const char *c = dir; *c != '\0';) {
		size_t n = strcspn(c, "/");

		if (n > NAME_MAX) {
			fprintf(stderr, "ipibench run: --out %s: the name "
			    "'%.40s...' is %zu characters, more than a folder's "
			    "name may have (NAME_MAX %d): choose a shorter "
			    "one\n", shown(dir, d, sizeof(d)), c, n, NAME_MAX);
			return 2;
		}
		c += n + (c[n] == '/');
	}
	if (mkdirs(dir, &made, bad, sizeof(bad)) != 0) {
		fprintf(stderr, "ipibench run: --out %s: cannot make the folder "
		    "%s: %s\n", shown(dir, d, sizeof(d)), bad, strerror(errno));
		return 2;
	}
	if (stat(dir, &st) != 0) {
		fprintf(stderr, "ipibench run: --out %s: %s\n",
		    shown(dir, d, sizeof(d)), strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "ipibench run: --out %s: %s (a file is there: "
		    "--out names a folder)\n", shown(dir, d, sizeof(d)),
		    strerror(ENOTDIR));
		goto out;
	}
	for (unsigned i = 0; made == 0 && out_files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, out_files[i]);
		if (lstat(path, &st) == 0) {
			fprintf(stderr, "ipibench run: --out %s: holds an "
			    "earlier run (%s found): choose a new folder, or "
			    "remove that one first (an empty folder is "
			    "fine)\n", shown(dir, d, sizeof(d)), out_files[i]);
			goto out;
		}
	}
	snprintf(path, sizeof(path), "%s/.ipibench-out.%ld", dir,
	    (long)getpid());
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0) {
		fprintf(stderr, "ipibench run: --out %s: cannot write in it: "
		    "%s\n", shown(dir, d, sizeof(d)), strerror(errno));
		goto out;
	}
	close(fd);
	unlink(path);
	rc = 0;
out:
	if (made != 0)
		unmake(dir, made, len);
	return rc;
}

/*
 * write_out: DIR (checked by check_out), DIR/topology.xml,
 * DIR/config.ini.  => 0 or 1 (what check_out could not foresee: a full
 * disk, a folder changed since).
 */
static int
write_out(const char *dir, const struct hb_topology *t,
    const struct hb_params *p)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	size_t made;
	FILE *f;

	struct stat st;
	int fd;

	if (mkdirs(dir, &made, path, sizeof(path)) != 0) {
		fprintf(stderr, "ipibench run: --out %s: cannot make the folder "
		    "%s: %s\n", dir, path, strerror(errno));
		return 1;
	}
	/* check_out looked a while ago: the folder must be ours, and
	 * bench.json new (Google Benchmark opens it without a check, and
	 * follows a link). */
	if (stat(dir, &st) != 0 || st.st_uid != geteuid()) {
		fprintf(stderr, "ipibench run: --out %s: not a folder of this "
		    "user's (uid %ld): refused\n", dir, (long)st.st_uid);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/bench.json", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) < 0) {
		fprintf(stderr, "ipibench run: %s: %s%s\n", path,
		    strerror(errno), errno == EEXIST ? " (written since "
		    "--out was checked: another run there?)" : "");
		return 1;
	}
	close(fd);
	snprintf(path, sizeof(path), "%s/topology.xml", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (hwloc_topology_export_xml(t->topo, tmp, 0) != 0 ||
	    rename(tmp, path) != 0) {
		fprintf(stderr, "ipibench run: %s: cannot write the topology: "
		    "%s\n", path, strerror(errno));
		unlink(tmp);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/config.ini", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "wx")) == NULL) {
		fprintf(stderr, "ipibench run: %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	int bad = hb_params_write(p, f) != 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path) != 0) {
		fprintf(stderr, "ipibench run: %s: cannot write the config: "
		    "%s\n", path, strerror(errno));
		unlink(tmp);
		return 1;
	}
	return 0;
}

/*
 * check_spinners: a backend that spins on more vCPUs than cores is
 * refused, or with --force run and marked.  => 0 (*forced set), or 2
 * with a message printed.
 */
static int
check_spinners(const struct hb_params *p, const struct hb_topology *t,
    unsigned ncores, const char *pus, bool *forced)
{
	*forced = false;
	for (unsigned i = 0; i < p->backends.n; i++) {
		const struct ipi_backend_ops *ops = hb_backend_at(p, i);

		if (!ops->spins || t->nvcpus <= ncores)
			continue;
		if (!p->force) {
			fprintf(stderr, "ipibench run: backend %s spins: its "
			    "%u vCPUs (PUs %s) would share %u core%s, and "
			    "spinners on one core starve each other (SMT "
			    "siblings do not count as cores).  Select at most "
			    "%u PUs (--cpus, --no-smt), drop %s from "
			    "--backend, or --force to run it anyway (the "
			    "results say forced).\n", ops->name, t->nvcpus,
			    pus, ncores, ncores == 1 ? "" : "s", ncores,
			    ops->name);
			return 2;
		}
		*forced = true;
		fprintf(stderr, "ipibench run: warning: --force: backend %s "
		    "spins on %u vCPUs over %u cores; its figures are "
		    "oversubscribed (marked forced)\n", ops->name, t->nvcpus,
		    ncores);
	}
	return 0;
}

/*
 * gb_initialize: Google Benchmark's flags: min_time and repetitions from
 * the parameters (where the user's --benchmark_min_time and
 * --benchmark_repetitions went, and the plan may have thinned them),
 * the output file, then the user's other --benchmark_*.
 * => 0, or 2 (printed).
 */
static int
gb_initialize(const struct hb_params *p, const struct run_args *a)
{
	char mt[64], reps[64], outj[4200];
	char **argv = calloc((size_t)a->ngb + 8, sizeof(*argv));
	int argc = 0, rc;

	if (argv == NULL) {
		fprintf(stderr, "ipibench run: out of memory\n");
		return 2;
	}
	argv[argc++] = a->gb[0];
	snprintf(mt, sizeof(mt), "--benchmark_min_time=%g", p->min_time);
	snprintf(reps, sizeof(reps), "--benchmark_repetitions=%u",
	    p->repetitions);
	argv[argc++] = mt;
	argv[argc++] = reps;
	if (a->out != NULL) {
		snprintf(outj, sizeof(outj), "--benchmark_out=%s/bench.json",
		    a->out);
		argv[argc++] = outj;
		argv[argc++] = (char *)"--benchmark_out_format=json";
	}
	for (int i = 1; i < a->ngb; i++)
		argv[argc++] = a->gb[i];
	argv[argc] = NULL;
	rc = hbg_initialize(&argc, argv);
	free(argv);
	if (rc != 0) {
		fprintf(stderr, "ipibench run: a Google Benchmark flag was not "
		    "understood (above); `--help` lists the usual ones\n");
		return 2;
	}
	return 0;
}

/* The registration callback of the plan (plan.h). */
struct reg_arg {
	char *		wrun;		/* the selected workloads' names */
	size_t		len;
};

static void
register_cb(const struct hb_run *run, void *arg)
{
	struct reg_arg *r = arg;

	hb_sweep_register(run, r->wrun, r->len);
}

/*
 * open_machine: the topology the run measures (this machine), plans for
 * (--topology, with --dry-run) or simulates (--simulate), its vCPUs
 * selected.  => 0 with *t (and with --simulate *host) set, or 2 with a
 * message printed.
 */
static int
open_machine(const struct hb_params *p, const struct run_args *a,
    struct hb_topology **t, struct hb_topology **host)
{
	char err[1024];

	*t = *host = NULL;
	if (p->simulate != NULL) {
		if (hb_simulate_open(p, t, host, err, sizeof(err)) != 0) {
			fprintf(stderr, "ipibench run: %s\n", err);
			return 2;
		}
		return 0;
	}
	if (hb_topology_open(p->topology, t, err, sizeof(err)) != 0) {
		fprintf(stderr, "ipibench run: %s\n", err);
		return 2;
	}
	if (!(*t)->thissystem && !a->dry_run) {
		fprintf(stderr, "ipibench run: --topology %s is not this "
		    "machine: add --dry-run to plan a sweep for it, or use "
		    "--simulate %s to run its vCPUs oversubscribed here "
		    "(functional, not timings)\n", p->topology, p->topology);
		return 2;
	}
	if (hb_topology_select(*t, p->cpus, p->no_smt, err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "ipibench run: %s\n", err);
		return 2;
	}
	return 0;
}

/*
 * drop_spinners: --dry-run on a machine where check_spinners refuses:
 * plan without the spinning backends, saying so.  => 0, or 2 when no
 * backend is left.
 */
static int
drop_spinners(struct hb_params *p, const struct hb_topology *t,
    unsigned ncores)
{
	struct hb_pick keep = { 0 };

	for (unsigned i = 0; i < p->backends.n; i++) {
		const struct ipi_backend_ops *ops = hb_backend_at(p, i);

		if (ops->spins && t->nvcpus > ncores && !p->force)
			fprintf(stderr, "ipibench run: plan: backend %s left "
			    "out: it would be refused on %u vCPUs over %u "
			    "cores (--no-smt, --cpus or --force)\n", ops->name,
			    t->nvcpus, ncores);
		else
			keep.v[keep.n++] = p->backends.v[i];
	}
	if (keep.n == 0) {
		fprintf(stderr, "ipibench run: plan: no backend left to "
		    "plan\n");
		return 2;
	}
	p->backends = keep;
	return 0;
}

/*
 * check_sanitized: a sanitizer build times several times slower than the
 * default build, and its figures mean nothing: results (--out) from it
 * would look like any other.  Refused unless allow_sanitized (whose
 * default IPIBENCH_ALLOW_SANITIZED sets: tests/run.sh under SAN); then
 * the context marks them (version.c: build_sanitizer, sanitized_results).
 * => 0, or 2 with a message printed, before anything is written.
 */
static int
check_sanitized(const struct hb_params *p, const struct run_args *a)
{
	if (!hb_sanitized() || a->out == NULL || a->dry_run)
		return 0;
	if (!p->allow_sanitized) {
		fprintf(stderr, "ipibench run: --out %s refused: this ipibench "
		    "is a sanitizer build (SAN=%s), several times slower than "
		    "the default build: its timings are not figures.  Build "
		    "and run the default one (`make`, then ./ipibench), or add "
		    "--allow-sanitized to write them anyway (the results say "
		    "build_sanitizer = %s).\n", a->out, hb_build.sanitizer,
		    hb_build.sanitizer);
		return 2;
	}
	fprintf(stderr, "ipibench run: warning: --allow-sanitized: results "
	    "from a sanitizer build (SAN=%s) are not figures (marked "
	    "build_sanitizer = %s, sanitized_results = true)\n",
	    hb_build.sanitizer, hb_build.sanitizer);
	return 0;
}

/*
 * check_dwell: every job handed to a sender must end well inside the
 * watchdog (timeout); with an idle dwell each of its operations waits at
 * least that long: a batch (batch + warmup_ops operations), the perf
 * pass (hb_perf_pass_ops()).  A quarter of timeout leaves room for the
 * wake-ups themselves and a slow host.  => 0, or 2 with a message naming
 * the keys.
 */
static int
check_dwell(const struct hb_params *p)
{
	unsigned dwell = 0;
	double ops = (double)p->batch + p->warmup_ops, s;

	for (unsigned i = 0; i < p->idle_dwell.n; i++)
		if (p->idle_dwell.v[i] > dwell)
			dwell = p->idle_dwell.v[i];
	if (ops < hb_perf_pass_ops(p))
		ops = hb_perf_pass_ops(p);
	s = ops * dwell * 1e-6;
	if (s <= p->timeout / 4.0)
		return 0;
	fprintf(stderr, "ipibench run: idle_dwell_us %u: a job of %.0f "
	    "operations (batch + warmup_ops, or the perf pass's %u) would "
	    "sleep %.1f s, past a quarter of the watchdog (timeout %u s): "
	    "lower --batch (and --perf=false), or raise --timeout to %.0f\n",
	    dwell, ops, hb_perf_pass_ops(p), s, p->timeout, ceil(s * 4));
	return 2;
}

int
cmd_run(int argc, char **argv)
{
	struct hb_params p;
	struct run_args a = { 0 };
	struct hb_topology *t = NULL, *host = NULL;
	struct hb_costs *cal = NULL;
	struct hb_plan *plan = NULL;
	double *est = NULL;
	char err[1024];
	int rc = 2;

	/* Until the measuring starts (hb_bench_signals), SIGINT has its
	 * default action, even when it came ignored (a script's background
	 * job, as bench.sh starts ipibench): a Ctrl-C passed on before then
	 * stops the program, and is not lost.  A gone reader of stdout or
	 * stderr stops nothing. */
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	hb_params_init(&p);
	if ((a.gb = calloc((size_t)argc + 8, sizeof(*a.gb))) == NULL ||
	    (plan = calloc(1, sizeof(*plan))) == NULL) {
		fprintf(stderr, "ipibench run: out of memory\n");
		free(a.gb);
		return 1;
	}
	a.gb[a.ngb++] = (char *)"ipibench run";
	/* allow_sanitized's default from the environment (check_sanitized);
	 * the config and the flags override it. */
	const char *env = getenv("IPIBENCH_ALLOW_SANITIZED");

	if (env != NULL && *env != '\0' &&
	    hb_param_set(&p, "allow_sanitized", env, err, sizeof(err)) != 0) {
		fprintf(stderr, "ipibench run: IPIBENCH_ALLOW_SANITIZED=%s: "
		    "%s\n", env, err);
		goto out;
	}
	if (take_gb(&argc, argv, &a) != 0)
		goto out;
	switch (parse_args(argc, argv, &p, &a)) {
	case 0:
		break;
	case 1:
		rc = 0;
		goto out;
	default:
		goto out;
	}
	if (check_sanitized(&p, &a) != 0 || check_dwell(&p) != 0)
		goto out;
	/* Google Benchmark's flags win, within the parameters' ranges, and
	 * the plan thins from them. */
	if (a.gb_min_time != NULL &&
	    hb_param_set(&p, "min_time", a.gb_min_time, err, sizeof(err)) != 0) {
		fprintf(stderr, "ipibench run: --benchmark_min_time=%s: %s "
		    "(plain seconds: Google Benchmark 1.7.1 takes no unit)\n",
		    a.gb_min_time, err);
		goto out;
	}
	if (a.gb_reps != NULL &&
	    hb_param_set(&p, "repetitions", a.gb_reps, err, sizeof(err)) != 0) {
		fprintf(stderr, "ipibench run: --benchmark_repetitions=%s: %s\n",
		    a.gb_reps, err);
		goto out;
	}
	if (!hbg_filter_valid(a.filter)) {
		fprintf(stderr, "ipibench run: --benchmark_filter=%s: not a "
		    "valid regular expression (POSIX extended, as Google "
		    "Benchmark reads it)\n", a.filter);
		goto out;
	}
	if (a.calibrate != NULL &&
	    hb_costs_load(a.calibrate, &cal, err, sizeof(err)) != 0) {
		fprintf(stderr, "ipibench run: --calibrate %s: %s\n",
		    a.calibrate, err);
		goto out;
	}
	p.gb_warmup_s = a.gb_warmup;	/* the plan charges it */
	if (a.out != NULL && !a.dry_run && check_out(&a) != 0)
		goto out;

	/* The machine. */
	if (open_machine(&p, &a, &t, &host) != 0)
		goto out;
	unsigned ncores = count_cores(t);
	bool forced = false;
	char pus[256];

	hwloc_bitmap_list_snprintf(pus, sizeof(pus), t->selected);
	if (a.dry_run && p.simulate == NULL) {
		if (drop_spinners(&p, t, ncores) != 0)
			goto out;
	} else if (check_spinners(&p, t, ncores, pus, &forced) != 0) {
		goto out;
	}

	/* Registration (the workloads' init first: no vCPU thread yet),
	 * thinned to the budget. */
	struct hb_run run = { .params = &p, .topo = t, .ncores = ncores,
	    .out = a.out, .simulated = host != NULL, .host = host };
	char wrun[2048];
	struct reg_arg ra = { wrun, sizeof(wrun) };

	for (unsigned w = 0; !a.dry_run && hb_workloads[w] != NULL; w++)
		if (hb_workloads[w]->init != NULL)
			hb_workloads[w]->init();
	hb_bench_begin(&run);
	if (hb_plan_fit(&p, &run, cal, a.filter, register_cb, &ra, plan, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "ipibench run: --budget: %s\n", err);
		goto end;
	}
	if (plan->registered == 0) {
		fprintf(stderr, "ipibench run: nothing to measure: %u vCPU%s "
		    "(PUs %s) and workloads %s register no benchmark (every "
		    "workload needs at least 2 vCPUs)\n", t->nvcpus,
		    t->nvcpus == 1 ? "" : "s", pus, wrun);
		goto end;
	}
	if (plan->benchmarks == 0) {
		fprintf(stderr, "ipibench run: --benchmark_filter selects none "
		    "of the %u benchmarks (`--benchmark_list_tests=true` "
		    "lists them)\n", plan->registered);
		goto end;
	}

	/* The run-summary line. */
	char bl[512], plb[512], est_txt[48], wu[48] = "";

	hb_pick_format(&p.backends, &hb_backend_names, bl, sizeof(bl));
	hb_pick_format(&p.placements, &hb_placement_names, plb, sizeof(plb));
	/* Never "about 0:00": a plan of under half a second says so. */
	if (plan->estimate_s < 0.5) {
		snprintf(est_txt, sizeof(est_txt), "under 0:01");
	} else {
		memcpy(est_txt, "about ", 7);
		hb_fmt_dur(plan->estimate_s, est_txt + 6, sizeof(est_txt) - 6);
	}
	if (p.gb_warmup_s > 0)
		snprintf(wu, sizeof(wu), " (+ %g s warm-up a benchmark)",
		    p.gb_warmup_s);
	fprintf(a.dry_run && !a.json ? stdout : stderr, "ipibench run%s: %u vCPU%s "
	    "(%s %s) on %u core%s%s; backends %s; placements %s; workloads "
	    "%s; %u benchmark%s x %u repetition%s x %g s%s: %s\n",
	    a.dry_run ? " --dry-run" : "", t->nvcpus,
	    t->nvcpus == 1 ? "" : "s", host != NULL ? "simulated PUs" : "PUs",
	    pus, ncores, ncores == 1 ? "" : "s",
	    host != NULL ? " (simulated: oversubscribed on this machine)" :
	    t->thissystem ? "" : " (planned, not this machine)", bl, plb,
	    wrun, plan->benchmarks, plan->benchmarks == 1 ? "" : "s",
	    p.repetitions, p.repetitions == 1 ? "" : "s", p.min_time, wu,
	    est_txt);
	if (a.dry_run) {
		if (a.json)
			hb_plan_print(plan, &run, true, stdout);
		else
			hb_plan_print(plan, &run, false, stdout);
		rc = 0;
		goto end;
	}
	if (plan->thinned[0] != '\0')
		fprintf(stderr, "ipibench run: to fit the budget: %s\n",
		    plan->thinned);
	if (gb_initialize(&p, &a) != 0)
		goto end;
	/* One run at a time (runlock.h), taken once every input is checked
	 * and before anything is written or started; from here on a signal
	 * or the parent's death stops the run cleanly (bench.h). */
	int locked = a.list_tests ? 0 : hb_runlock_take();

	if (locked != 0) {
		rc = locked;	/* 75: another run holds it; 2 */
		goto end;
	}
	hb_bench_signals();

	/* The record. */
	char runner[256];

	hb_runner_pin(&run, runner, sizeof(runner));
	struct hb_context_info info = { .backends = bl, .placements = plb,
	    .workloads = wrun, .forced = forced, .plan = plan,
	    .runner_pus = runner };

	hb_context_add(&run, &info);
	if (a.out != NULL && write_out(a.out, t, &p) != 0) {
		rc = 1;
		goto end;
	}

	hb_bench_commit();
	est = hb_plan_estimates();
	hbg_set_progress(true, est, est != NULL ? hb_bench_count() : 0);
	/* Repetitions in random order within each machine group (issue 11;
	 * gbench.cc), or all in registration order. */
	hbg_set_interleave(p.interleave);
	uint64_t t0 = hb_mono_ns();

	hbg_run();
	hbg_shutdown();
	rc = 0;
	hb_fmt_dur((double)(hb_mono_ns() - t0) * 1e-9, err, sizeof(err));
	fprintf(stderr, "ipibench run: took %s (estimated %s)\n", err,
	    est_txt);
	if (a.out != NULL && hb_costs_write(a.out, err, sizeof(err)) != 0)
		fprintf(stderr, "ipibench run: %s\n", err);
end:
	if (hb_bench_end() != 0) {
		/* Wedged: a vCPU still runs; leave everything as it is. */
		if (hb_bench_wedged())
			return hb_bench_interrupted() ? 128 +
			    hb_bench_interrupted() : 1;
		if (rc == 0)
			rc = 1;
	}
	if (hb_bench_interrupted())
		rc = 128 + hb_bench_interrupted();
out:
	hb_costs_free(cal);
	hb_topology_close(t);
	hb_topology_close(host);
	hb_params_free(&p);
	free(est);
	free(plan);
	free(a.gb);
	return rc;
}
