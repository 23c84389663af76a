/*
 * plan.c: the plan of a sweep and its fit to a budget (plan.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ipi/backend.h"
#include "bench_impl.h"
#include "json.h"
#include "plan.h"
#include "timer.h"
#include "workload.h"

/* Google Benchmark 1.7.1's limit on iterations (kMaxIterations). */
#define	GB_MAX_ITERS	1000000000.0
/* Wall over manual time from which a benchmark is capped by iterations. */
#define	CAP_RATIO	3.0

/* The floors of the fit: first those, then the minimum. */
#define	MIN_TIME_FIRST	0.05
#define	MIN_TIME_LEAST	0.01
#define	SAMPLES_FIRST	200
#define	SAMPLES_LEAST	20
#define	REPS_FIRST	2
#define	REPS_LEAST	1
#define	PAIRS_LEAST	256	/* matrix pairs on a sleeping backend */
#define	PAIRS_MOST	1048576	/* the parameter's maximum */

/* batch_of: the iterations one KeepRunningBatch of e's body asks for. */
static double
batch_of(const struct hb_entry *e, const struct hb_params *p)
{
	double b = p->batch > 0 ? p->batch : 1;

	if (e->workload->kind == HB_KIND_THROUGHPUT)
		b *= hb_entry_width(e);		/* mboxfull: batch per sender */
	return b;
}

static double
round_up(double n, double batch)
{
	return ceil(n / batch) * batch;
}

/*
 * gb_ops: the operations and body calls Google Benchmark 1.7.1 runs for
 * one benchmark whose operation takes manual_ns (see plan.h), its search
 * starting from iters0 iterations (1; a warm-up, below: the fixed count
 * of a capped benchmark).
 */
static void
gb_ops(double manual_ns, double batch, double min_time, unsigned reps,
    double iters0, double *ops, double *calls)
{
	double iters = iters0, done = 0, n;
	unsigned c = 0;

	for (;;) {
		double secs;

		n = round_up(iters, batch);
		done += n;
		c++;
		secs = n * manual_ns * 1e-9;
		if (secs >= min_time || n >= GB_MAX_ITERS)
			break;
		double mult = secs / min_time > 0.1 ?
		    min_time * 1.4 / fmax(secs, 1e-9) : 10.0;
		iters = fmin(fmax(round(mult * n), n + 1), GB_MAX_ITERS);
	}
	*ops = done + (double)(reps - 1) * n;
	*calls = (double)c + (double)(reps - 1);
}

/*
 * nice_down: n rounded down to 1, 2 or 5 times a power of ten, so that a
 * capped benchmark's name (Google Benchmark appends iterations:N) stays
 * the same when the model moves a little.
 */
static double
nice_down(double n)
{
	double p = pow(10, floor(log10(fmax(n, 1))));

	return n >= 5 * p ? 5 * p : n >= 2 * p ? 2 * p : p;
}

/* group_of: the plan's row for e, added if new (NULL: table full). */
static struct hb_plan_group *
group_of(struct hb_plan *plan, const struct hb_entry *e)
{
	for (unsigned i = 0; i < plan->ngroups; i++)
		if (strcmp(plan->groups[i].workload, e->workload->name) == 0 &&
		    strcmp(plan->groups[i].backend, e->group_backend->name) ==
		    0)
			return &plan->groups[i];
	if (plan->ngroups == HB_PLAN_GROUPS)
		return NULL;
	plan->groups[plan->ngroups] = (struct hb_plan_group){
	    .workload = e->workload->name,
	    .backend = e->group_backend->name };
	return &plan->groups[plan->ngroups++];
}

/* estimate: plan the registered entries; caps the tiny ones. */
static void
estimate(const struct hb_params *p, const struct hb_run *run,
    const struct hb_costs *cal, const char *filter, struct hb_plan *plan)
{
	struct hb_entry **v, *prev = NULL;
	unsigned n = hb_bench_entries(&v);

	plan->registered = n;
	plan->benchmarks = plan->capped = plan->machine_starts = 0;
	plan->estimate_s = 0;
	plan->ngroups = 0;
	for (unsigned i = 0; i < n; i++) {
		struct hb_entry *e = v[i];
		struct hb_op_cost c;
		double batch = batch_of(e, p), ops, calls, s;
		unsigned nv;

		e->est_s = 0;
		c = hb_cost_of(cal, e);
		if (e->iterations == 0 && c.wall_ns >= CAP_RATIO * c.manual_ns) {
			double it = fmax(batch, nice_down(1.4 * p->min_time *
			    1e9 / c.wall_ns));

			hb_entry_fix(e, (uint64_t)it, 0);
			e->capped = true;
		}
		/* On the name Google Benchmark will give it (the cap first). */
		if (!hbg_selects(filter, e->name, e->iterations, e->repetitions))
			continue;
		if (e->iterations > 0) {
			unsigned reps = e->repetitions > 0 ? e->repetitions :
			    p->repetitions;

			ops = round_up((double)e->iterations, batch) * reps;
			calls = reps;
		} else {
			gb_ops(c.manual_ns, batch, p->min_time, p->repetitions,
			    1, &ops, &calls);
		}
		/*
		 * --benchmark_min_warmup_time: before its first repetition
		 * Google Benchmark 1.7.1 runs the same search on the manual
		 * time up to the warm-up time, from the fixed count if any
		 * (benchmark_runner.cc RunWarmUp), once per benchmark.  On
		 * the timer's 30 ns operations a 1 s warm-up is some 10 s of
		 * wall time.
		 */
		if (p->gb_warmup_s > 0 && !e->reports) {
			double wops, wcalls;

			gb_ops(c.manual_ns, batch, p->gb_warmup_s, 1,
			    e->iterations > 0 ? (double)e->iterations : 1,
			    &wops, &wcalls);
			ops += wops;
			calls += wcalls;
		}
		s = e->reports ? calls * c.call_s : ops * c.wall_ns * 1e-9 +
		    calls * c.call_s + ceil(ops / batch) * c.batch_s;
		nv = e->nvcpus == 0 || e->nvcpus > run->topo->nvcpus ?
		    run->topo->nvcpus : e->nvcpus;
		if (prev == NULL || prev->backend != e->backend ||
		    prev->placement != e->placement ||
		    prev->nvcpus != e->nvcpus) {
			s += hb_cost_start_s(cal, nv);
			plan->machine_starts++;
		}
		prev = e;
		e->est_s = s;
		plan->benchmarks++;
		plan->capped += e->capped;
		plan->estimate_s += s;

		struct hb_plan_group *g = group_of(plan, e);

		if (g != NULL) {
			g->benchmarks++;
			g->estimate_s += s;
		}
	}
	plan->calibrated = cal != NULL;
}

/*
 * Thinning.
 */

/* The lists a fit may thin, and the largest value each takes. */
struct list_ref {
	const char *	key;
	const char *	workload;	/* whose benchmarks it multiplies */
	struct hb_ulist *l;
	unsigned	max;
	bool		grows;		/* with the machine: thinned first */
};

#define	NLISTS	5

static unsigned
lists_of(struct hb_params *p, unsigned nv, struct list_ref *out)
{
	unsigned n = 0;

	out[n++] = (struct list_ref){ "fanout", "multicast", &p->fanout,
	    nv - 1, true };
	out[n++] = (struct list_ref){ "broadcast_n", "broadcast",
	    &p->broadcast_n, nv, true };
	out[n++] = (struct list_ref){ "senders", "mboxfull", &p->senders,
	    nv - 1, true };
	out[n++] = (struct list_ref){ "burst", "mboxfull", &p->burst, 4096,
	    false };
	out[n++] = (struct list_ref){ "handler_ns", "mboxfull",
	    &p->handler_ns, 1000000, false };
	return n;
}

static bool
is_pow2(unsigned v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/*
 * thin_counts: v[0..n) ascending, thinned once: the ends kept, and of
 * the rest the powers of two (if some are not), else every second one
 * (1,2,4,...,256,383 -> 1,4,16,64,256,383).  => The new count, < n
 * when n > 2.
 */
static unsigned
thin_counts(unsigned *v, unsigned n)
{
	unsigned w = 1, odd = 0;
	bool some_not_pow2 = false;

	if (n <= 2)
		return n;
	for (unsigned i = 1; i + 1 < n; i++)
		some_not_pow2 |= !is_pow2(v[i]);
	for (unsigned i = 1; i + 1 < n; i++) {
		if (some_not_pow2 ? !is_pow2(v[i]) : (odd++ & 1) == 0)
			continue;
		v[w++] = v[i];
	}
	v[w++] = v[n - 1];
	return w;
}

/* used: whether a benchmark of workload name is registered. */
static bool
used(const char *name)
{
	struct hb_entry **v;
	unsigned n = hb_bench_entries(&v);

	for (unsigned i = 0; i < n; i++)
		if (strcmp(v[i]->workload->name, name) == 0)
			return true;
	return false;
}

/* workload_s: the plan's estimate of workload name, every backend. */
static double
workload_s(const struct hb_plan *plan, const char *name)
{
	double t = 0;

	for (unsigned i = 0; i < plan->ngroups; i++)
		if (strcmp(plan->groups[i].workload, name) == 0)
			t += plan->groups[i].estimate_s;
	return t;
}

/*
 * thin_list: thin one list of the workload that takes longest in plan:
 * of its lists with more than 2 counts, one that grows with the machine
 * before one that does not (burst, handler_ns), the longest first.
 * => Whether a list was thinned.
 */
static bool
thin_list(struct hb_params *p, unsigned nv, const struct hb_plan *plan)
{
	static unsigned vals[HB_COUNTS_MAX];
	struct list_ref r[NLISTS], *w = NULL;
	unsigned nr = lists_of(p, nv, r), wn = 0, n;
	double ws = 0;

	for (unsigned i = 0; i < nr; i++) {
		double t = workload_s(plan, r[i].workload);

		if (!used(r[i].workload))
			continue;
		n = hb_ulist_resolve(r[i].l, r[i].max, vals, HB_COUNTS_MAX);
		if (n <= 2)
			continue;
		if (w == NULL || t > ws || (t == ws && ((r[i].grows &&
		    !w->grows) || (r[i].grows == w->grows && n > wn)))) {
			w = &r[i];
			wn = n;
			ws = t;
		}
	}
	if (w == NULL)
		return false;
	n = hb_ulist_resolve(w->l, w->max, vals, HB_COUNTS_MAX);
	n = thin_counts(vals, n);	/* < wn: the fit ends */
	w->l->kind = HB_ULIST_VALUES;
	w->l->n = n;
	memcpy(w->l->v, vals, n * sizeof(vals[0]));	/* n <= 24 */
	return true;
}

/* halve: *v halved, not below floor.  => Whether it moved. */
static bool
halve(double *v, double floor)
{
	if (*v <= floor)
		return false;
	*v = fmax(floor, *v / 2);
	return true;
}

static bool
halve_u(unsigned *v, unsigned floor)
{
	if (*v <= floor)
		return false;
	*v = *v / 2 > floor ? *v / 2 : floor;
	return true;
}

/* thin_once: one step of the ladder of plan.h.  => false at the bottom. */
static bool
thin_once(struct hb_params *p, unsigned nv, const struct hb_plan *plan)
{
	bool matrix = used("matrix");

	if (halve(&p->min_time, MIN_TIME_FIRST) ||
	    (matrix && halve_u(&p->matrix_samples, SAMPLES_FIRST)))
		return true;
	if (p->repetitions > REPS_FIRST) {
		p->repetitions--;
		return true;
	}
	/* A sleeping backend's matrix: a quarter of the pairs at a time. */
	if (matrix && nv > 32 && (p->matrix_pairs == 0 ||
	    p->matrix_pairs > PAIRS_LEAST)) {
		unsigned all = nv * (nv - 1), cur = p->matrix_pairs != 0 &&
		    p->matrix_pairs < all ? p->matrix_pairs : all;

		p->matrix_pairs = cur / 4 > PAIRS_LEAST ? cur / 4 : PAIRS_LEAST;
		if (p->matrix_pairs > PAIRS_MOST)
			p->matrix_pairs = PAIRS_MOST;
		return true;
	}
	if (nv >= 2 && thin_list(p, nv, plan))
		return true;
	if (halve(&p->min_time, MIN_TIME_LEAST) ||
	    (matrix && halve_u(&p->matrix_samples, SAMPLES_LEAST)))
		return true;
	if (p->repetitions > REPS_LEAST) {
		p->repetitions = REPS_LEAST;
		return true;
	}
	return false;
}

/* fmt_counts: a resolved list as "1,2,4,...,383 (10 values)". */
static void
fmt_counts(const struct hb_ulist *l, unsigned max, char *buf, size_t len)
{
	static unsigned v[HB_COUNTS_MAX];
	unsigned n = hb_ulist_resolve(l, max, v, HB_COUNTS_MAX);
	size_t o = 0;

	buf[0] = '\0';
	if (l->kind != HB_ULIST_VALUES) {
		snprintf(buf, len, "%s (%u values)", l->kind == HB_ULIST_ALL ?
		    "all" : "pow2", n);
		return;
	}
	for (unsigned i = 0; i < n && o < len; i++) {
		if (n > 8 && i == 6) {
			o += (size_t)snprintf(buf + o, len - o, ",...");
			i = n - 1;
		}
		o += (size_t)snprintf(buf + o, len - o, "%s%u", i ? "," : "",
		    v[i]);
	}
	if (n > 8 && o < len)
		snprintf(buf + o, len - o, " (%u values)", n);
}

/* note_changes: what the fit changed from was to p, into plan->thinned. */
static void
note_changes(const struct hb_params *was, const struct hb_params *p,
    unsigned nv, struct hb_plan *plan)
{
	char *t = plan->thinned, a[256], b[256];
	size_t len = sizeof(plan->thinned), o = 0;
	struct hb_params pw = *was, pp = *p;
	struct list_ref rw[NLISTS], rp[NLISTS];
	unsigned n;

#define	ADD(...) do {							\
	if (o < len)							\
		o += (size_t)snprintf(t + o, len - o, "%s", o ? "; " : "");	\
	if (o < len)							\
		o += (size_t)snprintf(t + o, len - o, __VA_ARGS__);	\
} while (0)
	t[0] = '\0';
	if (was->min_time != p->min_time)
		ADD("min_time %g -> %g s", was->min_time, p->min_time);
	if (was->matrix_samples != p->matrix_samples)
		ADD("matrix_samples %u -> %u", was->matrix_samples,
		    p->matrix_samples);
	if (was->repetitions != p->repetitions)
		ADD("repetitions %u -> %u", was->repetitions, p->repetitions);
	if (was->matrix_pairs != p->matrix_pairs && was->matrix_pairs == 0)
		ADD("matrix_pairs (sleeping backends) all -> %u",
		    p->matrix_pairs);
	else if (was->matrix_pairs != p->matrix_pairs)
		ADD("matrix_pairs (sleeping backends) %u -> %u",
		    was->matrix_pairs, p->matrix_pairs);
	if (nv < 2)
		return;
	n = lists_of(&pw, nv, rw);
	lists_of(&pp, nv, rp);
	for (unsigned i = 0; i < n; i++) {
		fmt_counts(rw[i].l, rw[i].max, a, sizeof(a));
		fmt_counts(rp[i].l, rp[i].max, b, sizeof(b));
		if (strcmp(a, b) != 0)
			ADD("%s %s -> %s", rw[i].key, a, b);
	}
#undef ADD
}

/* fail_message: the minimum does not fit: what to cut. */
static void
fail_message(const struct hb_plan *plan, char *err, size_t errlen)
{
	const struct hb_plan_group *top[3] = { NULL };
	char est[32], bud[32];
	size_t o;

	for (unsigned i = 0; i < plan->ngroups; i++) {
		const struct hb_plan_group *g = &plan->groups[i];

		for (unsigned k = 0; k < 3; k++) {
			if (top[k] == NULL || g->estimate_s > top[k]->estimate_s) {
				for (unsigned m = 2; m > k; m--)
					top[m] = top[m - 1];
				top[k] = g;
				break;
			}
		}
	}
	hb_fmt_dur(plan->estimate_s, est, sizeof(est));
	hb_fmt_dur(plan->budget_s, bud, sizeof(bud));
	o = (size_t)snprintf(err, errlen, "the sweep does not fit the budget "
	    "of %s even at its thinnest (%s): it would take about %s.  The "
	    "largest parts:", bud, plan->thinned, est);
	for (unsigned k = 0; k < 3 && top[k] != NULL && o < errlen; k++) {
		hb_fmt_dur(top[k]->estimate_s, est, sizeof(est));
		o += (size_t)snprintf(err + o, errlen - o, "%s %s on %s %s "
		    "(%u benchmarks)", k ? "," : "", top[k]->workload,
		    top[k]->backend, est, top[k]->benchmarks);
	}
	if (o < errlen)
		snprintf(err + o, errlen - o, ".  Cut backends (--backend), "
		    "placements (--placement), workloads (--workload) or PUs "
		    "(--cpus), or raise the budget (--budget)");
}

int
hb_plan_fit(struct hb_params *p, const struct hb_run *run,
    const struct hb_costs *cal, const char *filter, hb_register_fn reg,
    void *arg, struct hb_plan *plan, char *err, size_t errlen)
{
	struct hb_params was = *p;
	unsigned nv = run->topo->nvcpus;

	memset(plan, 0, sizeof(*plan));
	plan->budget_s = p->budget;
	for (;;) {
		reg(run, arg);
		estimate(p, run, cal, filter, plan);
		if (p->budget <= 0 || plan->estimate_s <= p->budget)
			break;
		if (!thin_once(p, nv, plan)) {
			note_changes(&was, p, nv, plan);
			fail_message(plan, err, errlen);
			return -1;
		}
		hb_bench_reset();
	}
	note_changes(&was, p, nv, plan);
	return 0;
}

/*
 * Printing.
 */

/* print_text: a table, a row per workload, a column per backend. */
static void
print_text(const struct hb_plan *plan, const struct hb_run *run, FILE *f)
{
	const char *be[HB_PLAN_GROUPS], *wl[HB_PLAN_GROUPS];
	unsigned nb = 0, nw = 0;
	char d[32], b[32];

	for (unsigned i = 0; i < plan->ngroups; i++) {
		const struct hb_plan_group *g = &plan->groups[i];
		unsigned k;

		for (k = 0; k < nb && strcmp(be[k], g->backend) != 0; k++)
			continue;
		if (k == nb)
			be[nb++] = g->backend;
		for (k = 0; k < nw && strcmp(wl[k], g->workload) != 0; k++)
			continue;
		if (k == nw)
			wl[nw++] = g->workload;
	}
	fprintf(f, "%-16s", "benchmarks, time");
	for (unsigned k = 0; k < nb; k++)
		fprintf(f, " %18s", be[k]);
	fprintf(f, "\n");
	for (unsigned w = 0; w < nw; w++) {
		fprintf(f, "%-16s", wl[w]);
		for (unsigned k = 0; k < nb; k++) {
			const struct hb_plan_group *g = NULL;
			char cell[48];

			for (unsigned i = 0; i < plan->ngroups && g == NULL; i++)
				if (plan->groups[i].workload == wl[w] &&
				    plan->groups[i].backend == be[k])
					g = &plan->groups[i];
			cell[0] = '\0';
			if (g != NULL) {
				hb_fmt_dur(g->estimate_s, d, sizeof(d));
				snprintf(cell, sizeof(cell), "%u  %s",
				    g->benchmarks, d);
			}
			fprintf(f, " %18s", g != NULL ? cell : "-");
		}
		fprintf(f, "\n");
	}
	hb_fmt_dur(plan->estimate_s, d, sizeof(d));
	fprintf(f, "total: %u benchmarks, %u machine start%s, about %s "
	    "(%u vCPUs; costs from %s; %u capped by iterations: wall time "
	    ">= %.0fx their own)\n", plan->benchmarks, plan->machine_starts,
	    plan->machine_starts == 1 ? "" : "s", d, run->topo->nvcpus,
	    plan->calibrated ? "the calibration run" : "the built-in model",
	    plan->capped, CAP_RATIO);
	if (used("matrix")) {
		const struct hb_params *p = run->params;
		unsigned nv = run->topo->nvcpus, all = nv * (nv - 1);
		unsigned sub = p->matrix_pairs != 0 && p->matrix_pairs < all ?
		    p->matrix_pairs : all;

		fprintf(f, "matrix: %u ordered pairs x %u samples on a spinning "
		    "backend; %u%s pairs x %u samples on a sleeping one\n", all,
		    p->matrix_samples, sub, sub < all ? " (spread, every class "
		    "kept)" : "", p->matrix_samples / 10 > 10 ?
		    p->matrix_samples / 10 : 10);
	}
	if (plan->budget_s > 0) {
		hb_fmt_dur(plan->budget_s, b, sizeof(b));
		fprintf(f, "budget %s: %s\n", b, plan->thinned[0] != '\0' ?
		    plan->thinned : "fits as configured");
	}
}

static void
print_json(const struct hb_plan *plan, const struct hb_run *run, FILE *f)
{
	char summary[256];

	hb_topology_summary(run->topo, summary, sizeof(summary));
	fprintf(f, "{\"benchmarks\": %u, \"registered\": %u, "
	    "\"machine_starts\": %u, \"capped\": %u, \"estimate_s\": %.1f, "
	    "\"budget_s\": %.1f, \"fits\": %s, \"calibrated\": %s, "
	    "\"vcpus\": %u, \"simulated\": %s, \"topology\": ",
	    plan->benchmarks, plan->registered, plan->machine_starts,
	    plan->capped, plan->estimate_s, plan->budget_s,
	    plan->budget_s <= 0 || plan->estimate_s <= plan->budget_s ?
	    "true" : "false", plan->calibrated ? "true" : "false",
	    run->topo->nvcpus, run->simulated ? "true" : "false");
	hb_json_str(f, summary);
	fprintf(f, ", \"source\": ");
	hb_json_str(f, run->topo->source);
	fprintf(f, ", \"thinned\": ");
	hb_json_str(f, plan->thinned);
	fprintf(f, ", \"groups\": [");
	for (unsigned i = 0; i < plan->ngroups; i++) {
		const struct hb_plan_group *g = &plan->groups[i];

		fprintf(f, "%s{\"workload\": ", i ? ", " : "");
		hb_json_str(f, g->workload);
		fprintf(f, ", \"backend\": ");
		hb_json_str(f, g->backend);
		fprintf(f, ", \"benchmarks\": %u, \"estimate_s\": %.1f}",
		    g->benchmarks, g->estimate_s);
	}
	fprintf(f, "]}\n");
}

void
hb_plan_print(const struct hb_plan *plan, const struct hb_run *run,
    bool json, FILE *f)
{
	if (json)
		print_json(plan, run, f);
	else
		print_text(plan, run, f);
}

double *
hb_plan_estimates(void)
{
	struct hb_entry **v;
	unsigned n = hb_bench_entries(&v);
	double *est = calloc(n > 0 ? n : 1, sizeof(*est));

	for (unsigned i = 0; est != NULL && i < n; i++)
		est[i] = v[i]->est_s;
	return est;
}
