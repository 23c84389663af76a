/*
 * cmd_run.c: `ipibench run`: measure the selected workloads, for each
 * backend and placement, on this machine, with Google Benchmark.
 *
 * Order: the config file (--config) first, then every flag in the order
 * given (so flags override the config), then the checks (names, the
 * machine, busy-poll on too few cores), then registration: for each
 * backend, the yardsticks (beside that backend), then for each placement
 * the workloads.  One run-summary line, the context, the --out files,
 * and Google Benchmark runs them.
 *
 * Exit status: 0; 1 when a benchmark failed or the machine wedged;
 * 2 bad usage or input; 128 + the signal on SIGINT/SIGTERM (130 for
 * Ctrl-C), with valid JSON written for what ran.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../ipi/backend.h"
#include "../workloads/membarrier.h"
#include "bench.h"
#include "cli.h"
#include "context.h"
#include "gbench.h"
#include "params.h"
#include "placement.h"
#include "timer.h"
#include "topology.h"
#include "workload.h"

#define	MAXNAMES	64	/* backends, placements in one run */

static void
run_usage(FILE *f)
{
	fprintf(f,
"usage: ipibench run [--config FILE] [--backend LIST] [--placement LIST]\n"
"                    [--cpus LIST] [--workload LIST] [--out DIR]\n"
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
"                     flags given on the command line override it.\n"
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
"                     DIR/topology.xml (hwloc export of the machine) and\n"
"                     DIR/config.ini (the parameters used); DIR is created.\n"
"  --force            run a spinning backend (busypoll) even with more vCPUs\n"
"                     than distinct cores (SMT siblings do not count as\n"
"                     cores: two spinners on one core starve each other);\n"
"                     the results say forced = true.  Without it such a\n"
"                     run is refused.\n"
"  --topology SRC     refused: run measures only this machine; a file or\n"
"                     synthetic topology is for `ipibench topo`.\n"
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
"  --benchmark_list_tests=true   print the names and run nothing\n"
"  --benchmark_format=json|csv   the console format\n"
"  --benchmark_out=FILE --benchmark_out_format=json\n"
"See `--benchmark_help` of any Google Benchmark binary for the rest.\n"
"\n"
"Progress goes to stderr before each benchmark:\n"
"  [k/N] NAME  elapsed 0:12  left ~1:03\n"
"SIGINT (Ctrl-C) or SIGTERM: the benchmark running stops after its batch,\n"
"the rest are skipped as \"interrupted\", the JSON stays valid, exit 130\n"
"(143 for SIGTERM); a second signal kills at once.  A batch that does not\n"
"finish within --timeout seconds skips its benchmark naming the vCPU; the\n"
"machine is then wedged, every later benchmark skipped, exit 1.\n"
"Google Benchmark 1.7.1 from Debian is a debug build: its warning about\n"
"that is expected and harmless here (timing is manual, per operation).\n"
"\n"
"examples:\n"
"  ipibench run --workload unicast --backend futex --benchmark_min_time=0.05\n"
"  ipibench run --config configs/quick.ini --out results/mine\n"
"  ipibench run --backend busypoll --matrix --benchmark_filter=unicast\n");
}

/* split: a comma list into names (in place in s); returns the count. */
static unsigned
split(char *s, char **names, unsigned max)
{
	unsigned n = 0;

	for (char *tok = strtok(s, ","); tok != NULL && n < max;
	    tok = strtok(NULL, ",")) {
		while (isspace((unsigned char)*tok))	/* as check_list trims */
			tok++;
		size_t l = strlen(tok);
		while (l > 0 && isspace((unsigned char)tok[l - 1]))
			tok[--l] = '\0';
		if (*tok == '\0')
			continue;
		bool dup = false;
		for (unsigned i = 0; i < n; i++)
			dup = dup || strcmp(names[i], tok) == 0;
		if (!dup)
			names[n++] = tok;
	}
	return n;
}

/* param_of: the table entry of flag key (with '-' as '_'), or NULL. */
static const struct hb_param *
param_of(const char *key)
{
	char norm[64];
	size_t i;

	for (i = 0; key[i] != '\0' && i + 1 < sizeof(norm); i++)
		norm[i] = key[i] == '-' ? '_' : key[i];
	norm[i] = '\0';
	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++)
		if (strcmp(q->key, norm) == 0)
			return q;
	return NULL;
}

/* alias: our flag names for params keys. */
static const char *
alias(const char *key)
{
	if (strcmp(key, "backend") == 0)
		return "backends";
	if (strcmp(key, "placement") == 0)
		return "placements";
	if (strcmp(key, "workload") == 0)
		return "workloads";
	return key;
}

struct run_args {
	const char *	config;
	const char *	out;
	char **		gb;		/* --benchmark_* as given */
	int		ngb;
	bool		min_time_given, reps_given;
	double		gb_min_time;
	unsigned	gb_reps;
};

/*
 * parse_args: argv into p and a.  => 0, 1 for --help (printed), or 2
 * with a message printed.
 */
static int
parse_args(int argc, char **argv, struct hb_params *p, struct run_args *a)
{
	char err[1024];

	/* The config first, whatever its place on the line. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			run_usage(stdout);
			return 1;
		}
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "ipibench run: --config needs "
				    "a FILE\n");
				return 2;
			}
			a->config = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			a->config = argv[i] + 9;
		}
	}
	if (a->config != NULL &&
	    hb_params_load(p, a->config, err, sizeof(err)) != 0) {
		fprintf(stderr, "ipibench run: --config %s: %s\n", a->config,
		    err);
		return 2;
	}

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		char key[64];
		const char *val = NULL;
		const struct hb_param *q;

		if (strncmp(arg, "--benchmark_", 12) == 0) {
			a->gb[a->ngb++] = argv[i];
			if (strncmp(arg, "--benchmark_min_time=", 21) == 0) {
				char *end;

				errno = 0;
				a->gb_min_time = strtod(arg + 21, &end);
				if (errno != 0 || end == arg + 21 ||
				    *end != '\0' || a->gb_min_time <= 0) {
					fprintf(stderr, "ipibench run: %s: "
					    "expected plain seconds > 0, "
					    "e.g. --benchmark_min_time=0.5 "
					    "(Google Benchmark 1.7.1 takes "
					    "no unit)\n", arg);
					return 2;
				}
				a->min_time_given = true;
			} else if (strncmp(arg, "--benchmark_repetitions=",
			    24) == 0) {
				char *end;
				unsigned long v;

				errno = 0;
				v = strtoul(arg + 24, &end, 10);
				if (errno != 0 || end == arg + 24 ||
				    *end != '\0' || v < 1 || v > 100000) {
					fprintf(stderr, "ipibench run: %s: "
					    "expected a count in 1..100000\n",
					    arg);
					return 2;
				}
				a->gb_reps = (unsigned)v;
				a->reps_given = true;
			}
			continue;
		}
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			fprintf(stderr, "ipibench run: unexpected argument "
			    "'%s' (options start with --; see --help)\n", arg);
			return 2;
		}
		const char *eq = strchr(arg + 2, '=');
		size_t kl = eq != NULL ? (size_t)(eq - arg - 2) :
		    strlen(arg + 2);
		if (kl >= sizeof(key)) {
			fprintf(stderr, "ipibench run: unknown option '%s'\n",
			    arg);
			return 2;
		}
		memcpy(key, arg + 2, kl);
		key[kl] = '\0';
		if (eq != NULL)
			val = eq + 1;

		if (strcmp(key, "config") == 0) {
			if (eq == NULL)
				i++;
			continue;	/* done above */
		}
		if (strcmp(key, "out") == 0) {
			if (val == NULL && i + 1 < argc)
				val = argv[++i];
			if (val == NULL || *val == '\0') {
				fprintf(stderr, "ipibench run: --out needs a "
				    "DIR\n");
				return 2;
			}
			a->out = val;
			continue;
		}
		q = param_of(alias(key));
		if (q == NULL) {
			fprintf(stderr, "ipibench run: unknown option '--%s' "
			    "(expected --config, --out, --backend, "
			    "--placement, --workload, a parameter of "
			    "--help, or --benchmark_*)\n", key);
			return 2;
		}
		if (val == NULL) {
			if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
				val = argv[++i];
			else if (q->type == HB_PT_BOOL)
				val = "true";
			else {
				fprintf(stderr, "ipibench run: --%s needs a "
				    "value (%s)\n", key, q->doc);
				return 2;
			}
		}
		if (hb_param_set(p, q->key, val, err, sizeof(err)) != 0) {
			fprintf(stderr, "ipibench run: --%s %s: %s\n", key,
			    val, err);
			return 2;
		}
	}
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

/* join: names as "a,b,c" into buf. */
static void
join(char *const *names, unsigned n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
		    i > 0 ? "," : "", names[i]);
}

/* write_out: DIR, DIR/topology.xml, DIR/config.ini.  => 0 or 1. */
static int
write_out(const char *dir, const struct hb_topology *t,
    const struct hb_params *p)
{
	char path[4096], tmp[4200];
	FILE *f;

	/* mkdir -p */
	snprintf(path, sizeof(path), "%s", dir);
	for (char *s = path + 1; ; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(path, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "ipibench run: --out %s: mkdir %s: %s\n",
			    dir, path, strerror(errno));
			return 1;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "ipibench run: --out %s: not a directory\n",
		    dir);
		return 1;
	}
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
	if ((f = fopen(tmp, "w")) == NULL) {
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

/* fmt_dur: seconds as m:ss or h:mm:ss. */
static void
fmt_dur(double s, char *buf, size_t len)
{
	long t = (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60,
		    t % 60);
	else
		snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

/* selected: is workload w in the run (see --workload in the usage)? */
static bool
selected(const struct hb_workload *w, char *const *names, unsigned n,
    bool list_given, bool names_yardstick, bool yardsticks)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(names[i], w->name) == 0)
			return true;
	if (!w->yardstick)
		return !list_given;
	return yardsticks && !names_yardstick;
}

int
cmd_run(int argc, char **argv)
{
	struct hb_params p;
	struct run_args a = { 0 };
	struct hb_topology *t = NULL;
	char err[1024];
	char *backends[MAXNAMES], *placements[MAXNAMES], *wnames[256];
	char *blist = NULL, *plist = NULL, *wlist = NULL;
	unsigned nb, np, nw;
	int rc = 2;

	/* Before any thread exists (membarrier.h). */
	(void)hb_membarrier_register();

	hb_params_init(&p);
	if ((a.gb = calloc((size_t)argc + 8, sizeof(*a.gb))) == NULL) {
		fprintf(stderr, "ipibench run: out of memory\n");
		return 1;
	}
	a.gb[a.ngb++] = (char *)"ipibench run";
	switch (parse_args(argc, argv, &p, &a)) {
	case 0:
		break;
	case 1:
		rc = 0;
		goto out;
	default:
		goto out;
	}

	/* Names. */
	blist = strdup(p.backends != NULL ? p.backends : "");
	plist = strdup(p.placements != NULL ? p.placements : "local");
	wlist = strdup(p.workloads != NULL ? p.workloads : "");
	if (blist == NULL || plist == NULL || wlist == NULL) {
		fprintf(stderr, "ipibench run: out of memory\n");
		rc = 1;
		goto out;
	}
	/* Every name was checked by the params table (hb_param_set,
	 * hb_params_load: check_list) before it got here. */
	nb = split(blist, backends, MAXNAMES);
	if (nb == 0)
		for (unsigned i = 0; ipi_backends[i] != NULL && nb < MAXNAMES;
		    i++)
			backends[nb++] = (char *)ipi_backends[i]->name;
	np = split(plist, placements, MAXNAMES);
	if (np == 0)
		placements[np++] = (char *)"local";
	nw = split(wlist, wnames, 256);
	bool names_yardstick = false;
	for (unsigned i = 0; i < nw; i++)
		names_yardstick = names_yardstick ||
		    hb_workload_lookup(wnames[i])->yardstick;

	/* Google Benchmark's flags: ours first, so that the user's win. */
	char mt[64], reps[64], outj[4200];
	char **gbargv = calloc((size_t)a.ngb + 8, sizeof(*gbargv));
	int gbargc = 0;

	if (gbargv == NULL) {
		fprintf(stderr, "ipibench run: out of memory\n");
		rc = 1;
		goto out;
	}
	gbargv[gbargc++] = a.gb[0];
	snprintf(mt, sizeof(mt), "--benchmark_min_time=%g", p.min_time);
	snprintf(reps, sizeof(reps), "--benchmark_repetitions=%u",
	    p.repetitions);
	gbargv[gbargc++] = mt;
	gbargv[gbargc++] = reps;
	if (a.out != NULL) {
		snprintf(outj, sizeof(outj), "--benchmark_out=%s/bench.json",
		    a.out);
		gbargv[gbargc++] = outj;
		gbargv[gbargc++] = (char *)"--benchmark_out_format=json";
	}
	for (int i = 1; i < a.ngb; i++)
		gbargv[gbargc++] = a.gb[i];
	gbargv[gbargc] = NULL;
	if (hbg_initialize(&gbargc, gbargv) != 0) {
		fprintf(stderr, "ipibench run: a Google Benchmark flag was not "
		    "understood (above); `--help` lists the usual ones\n");
		free(gbargv);
		goto out;
	}
	free(gbargv);

	/* The machine. */
	if (hb_topology_open(p.topology, &t, err, sizeof(err)) != 0) {
		fprintf(stderr, "ipibench run: %s\n", err);
		goto out;
	}
	if (!t->thissystem) {
		fprintf(stderr, "ipibench run: --topology %s is a planning "
		    "topology, not this machine: run measures only this "
		    "machine (see the plan with `ipibench topo --topology "
		    "%s`)\n", p.topology, p.topology);
		goto out;
	}
	if (hb_topology_select(t, p.cpus, p.no_smt, err, sizeof(err)) != 0) {
		fprintf(stderr, "ipibench run: %s\n", err);
		goto out;
	}
	unsigned ncores = count_cores(t);
	bool forced = false;
	char pus[256];

	hwloc_bitmap_list_snprintf(pus, sizeof(pus), t->selected);
	for (unsigned i = 0; i < nb; i++) {
		const struct ipi_backend_ops *ops =
		    ipi_backend_lookup(backends[i]);

		if (!ops->spins || t->nvcpus <= ncores)
			continue;
		if (!p.force) {
			fprintf(stderr, "ipibench run: backend %s spins: its "
			    "%u vCPUs (PUs %s) would share %u core%s, and "
			    "spinners on one core starve each other (SMT "
			    "siblings do not count as cores).  Select at most "
			    "%u PUs (--cpus, --no-smt), drop %s from "
			    "--backend, or --force to run it anyway (the "
			    "results say forced).\n", ops->name, t->nvcpus,
			    pus, ncores, ncores == 1 ? "" : "s", ncores,
			    ops->name);
			goto out;
		}
		forced = true;
		fprintf(stderr, "ipibench run: warning: --force: backend %s "
		    "spins on %u vCPUs over %u cores; its figures are "
		    "oversubscribed (marked forced)\n", ops->name, t->nvcpus,
		    ncores);
	}

	/* Registration. */
	struct hb_run run = { .params = &p, .topo = t, .ncores = ncores };
	char wrun[2048];
	size_t wo = 0;

	wrun[0] = '\0';
	hb_bench_begin(&run);
	for (unsigned b = 0; b < nb; b++) {
		for (unsigned k = 0; hb_workloads[k] != NULL; k++) {
			const struct hb_workload *w = hb_workloads[k];

			if (w->yardstick && selected(w, wnames, nw, nw > 0,
			    names_yardstick, p.yardsticks))
				w->add(&run, backends[b], NULL);
		}
		for (unsigned pl = 0; pl < np; pl++)
			for (unsigned k = 0; hb_workloads[k] != NULL; k++) {
				const struct hb_workload *w = hb_workloads[k];

				if (!w->yardstick && selected(w, wnames, nw,
				    nw > 0, names_yardstick, p.yardsticks))
					w->add(&run, backends[b],
					    placements[pl]);
			}
	}
	for (unsigned k = 0; hb_workloads[k] != NULL; k++)
		if (selected(hb_workloads[k], wnames, nw, nw > 0,
		    names_yardstick, p.yardsticks) && wo < sizeof(wrun))
			wo += (size_t)snprintf(wrun + wo, sizeof(wrun) - wo,
			    "%s%s", wo > 0 ? "," : "", hb_workloads[k]->name);

	unsigned nreg = hb_bench_count();
	size_t nsel = hbg_count_selected();

	if (nreg == 0) {
		fprintf(stderr, "ipibench run: nothing to measure: %u vCPU%s "
		    "(PUs %s) and workloads %s register no benchmark (every "
		    "workload needs at least 2 vCPUs)\n", t->nvcpus,
		    t->nvcpus == 1 ? "" : "s", pus, wrun);
		goto end;
	}
	if (nsel == 0) {
		fprintf(stderr, "ipibench run: --benchmark_filter selects none "
		    "of the %u benchmarks (`--benchmark_list_tests=true` "
		    "lists them)\n", nreg);
		goto end;
	}

	/* The run-summary line. */
	double min_time = a.min_time_given ? a.gb_min_time : p.min_time;
	unsigned nrep = a.reps_given ? a.gb_reps : p.repetitions;
	double per = min_time * ((double)nrep + 0.5) + 0.05;
	char bl[512], plb[512], est[32];

	join(backends, nb, bl, sizeof(bl));
	join(placements, np, plb, sizeof(plb));
	fmt_dur(per * (double)nsel, est, sizeof(est));
	fprintf(stderr, "ipibench run: %u vCPU%s (PUs %s) on %u core%s; "
	    "backends %s; placements %s; workloads %s; %zu benchmark%s x %u "
	    "repetition%s x %g s: about %s\n", t->nvcpus,
	    t->nvcpus == 1 ? "" : "s", pus, ncores, ncores == 1 ? "" : "s",
	    bl, plb, wrun, nsel, nsel == 1 ? "" : "s", nrep,
	    nrep == 1 ? "" : "s", min_time, est);

	/* The record. */
	struct hb_context_info info = { .backends = bl, .placements = plb,
	    .workloads = wrun, .forced = forced };

	hb_context_add(&run, &info);
	if (a.out != NULL && write_out(a.out, t, &p) != 0) {
		rc = 1;
		goto end;
	}

	hb_bench_signals();
	hbg_set_progress(true, per);
	hbg_run();
	hbg_shutdown();
	rc = 0;
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
	hb_topology_close(t);
	hb_params_free(&p);
	free(blist);
	free(plist);
	free(wlist);
	free(a.gb);
	return rc;
}
