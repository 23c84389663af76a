/*
 * cost.c: the cost model of a benchmark's operation, its calibration
 * from a run's costs.csv, and the writing of that file (cost.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ipi/backend.h"
#include "bench_impl.h"
#include "cost.h"
#include "workload.h"

/*
 * The built-in table.  Measured with `ipibench run --config
 * configs/default.ini --out DIR` on the 2-core AMD EPYC VM this project
 * is developed on (DIR/costs.csv: manual and body wall time per
 * operation, medians per row): the figures of a machine where nothing
 * was calibrated yet.  Per operation:
 *   manual = manual_ns + width_ns * (width - 1)   (+ H of mboxfull)
 *   wall   = manual * wall_ratio
 * and per batch handed to the sender BATCH_SPIN_S or BATCH_SLEEP_S.
 * A row with spins -1 fits either kind of backend.
 */
static const struct model_row {
	const char *	workload;
	const char *	segment;	/* in the name, or NULL: any */
	int		spins;		/* the group's backend: 1, 0, -1 any */
	double		manual_ns, width_ns, wall_ratio;
} model[] = {
	{ "unicast", NULL,		1,	400,	0,	1.4 },
	{ "unicast", NULL,		0,	20000,	0,	1.2 },
	{ "multicast", NULL,		1,	600,	150,	2.0 },
	{ "multicast", NULL,		0,	20000,	6000,	1.25 },
	{ "broadcast", NULL,		1,	350,	150,	2.0 },
	{ "broadcast", NULL,		0,	20000,	6000,	1.25 },
	{ "trigger", "mode:coalesce",	-1,	100,	0,	4.5 },
	{ "trigger", NULL,		1,	250,	0,	2.8 },
	{ "trigger", NULL,		0,	20000,	0,	1.25 },
	{ "mboxfull", "/burst:1/",	0,	20000,	0,	1.4 },
	{ "mboxfull", NULL,		1,	500,	0,	1.8 },
	{ "mboxfull", NULL,		0,	1200,	0,	2.0 },
	{ "matrix", NULL,		1,	300,	0,	3.0 },
	{ "matrix", NULL,		0,	20000,	0,	2.0 },
	{ "pingpong", NULL,		-1,	150,	0,	2.2 },
	{ "futex_wake", NULL,		-1,	20000,	0,	1.25 },
	{ "eventfd_wake", NULL,		-1,	20000,	0,	1.25 },
	{ "futex_pingpong", NULL,	-1,	90000,	0,	1.02 },
	{ "pipe_pingpong", NULL,	-1,	95000,	0,	1.02 },
	{ "timer", NULL,		-1,	30,	0,	10 },
	{ "membarrier", NULL,		-1,	15000,	0,	1.03 },
};

/* For a workload the table lacks. */
static const struct model_row model_default = { "", NULL, -1, 10000, 0, 2 };

/* Machine start: fixed part and per vCPU (threads, placement). */
#define	START_FIXED_S	0.002
#define	START_PER_VCPU_S 0.0002
/* Per body call: perf counters, sleep watchers, Google Benchmark. */
#define	CALL_S		0.0005
/*
 * Per batch: handing it to the sender and waking the runner when it is
 * done; on a machine whose idle vCPUs spin the runner also waits for a
 * PU (measured: 100 us here with busypoll, 30 us with futex).
 */
#define	BATCH_SPIN_S	0.0001
#define	BATCH_SLEEP_S	0.00003

/*
 * The bounds of what the model hands out (hb_cost_of, hb_cost_start_s),
 * whatever a calibration says.  costs.csv is a file: a row of 1e300
 * seconds, or a name reading /handler_ns:-400 or /dwell:1e300, makes a
 * cost infinite, zero or NaN, which the plan turns into an iteration
 * count or a duration beyond its integer types (undefined behaviour;
 * tests/fuzz/fuzz_costs.c found it).  No operation comes near either
 * bound: 10 ps, and a day (the watchdog's most for a whole batch); a
 * body call's setup, a batch's hand-over, a machine start per vCPU: at
 * most a day too.
 */
#define	OP_NS_MIN	0.01
#define	OP_NS_MAX	86400e9
#define	CALL_S_MAX	86400.0

/* bounded: x within [lo, hi]; NaN is lo. */
static double
bounded(double x, double lo, double hi)
{
	return fmin(fmax(x, lo), hi);
}

static struct hb_op_cost
sane(struct hb_op_cost c)
{
	c.manual_ns = bounded(c.manual_ns, OP_NS_MIN, OP_NS_MAX);
	c.wall_ns = bounded(c.wall_ns, OP_NS_MIN, OP_NS_MAX);
	c.call_s = bounded(c.call_s, 0, CALL_S_MAX);
	c.batch_s = bounded(c.batch_s, 0, CALL_S_MAX);
	return c;
}

/* One row of a costs.csv. */
struct cost_row {
	char *		name;
	char *		workload;
	char *		backend;
	unsigned	nvcpus, width, calls;
	double		ops, manual_s, body_s, start_s, span_s;
};

/* A workload and backend's factors over the table, found once. */
struct cost_factor {
	const char *	workload, *backend;	/* the table's strings */
	double		fm, fw;		/* 0: the run has none */
};

struct hb_costs {
	char *		source;
	struct cost_row *v;		/* sorted by name (bsearch) */
	unsigned	n;
	struct cost_factor f[64];	/* a cache: hb_cost_of */
	unsigned	nf;
	double		start_per_vcpu_s; /* median machine start, 0 none */
};

#define	COSTS_HEADER	"name,workload,backend,nvcpus,width,calls,ops," \
			"manual_s,body_s,start_s,span_s,estimate_s"

unsigned
hb_entry_width(const struct hb_entry *e)
{
	static const struct { const char *seg; int minus; } w[] = {
		{ "/k:", 0 }, { "/n:", 1 }, { "/senders:", 0 },
	};

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		const char *s = strstr(e->name, w[i].seg);
		unsigned long v;

		if (s == NULL)
			continue;
		v = strtoul(s + strlen(w[i].seg), NULL, 10);
		if (v > (unsigned long)w[i].minus)
			return (unsigned)(v - (unsigned long)w[i].minus);
	}
	return 1;
}

/*
 * row_of: the table's first row for workload w, benchmark name and a
 * backend that spins or not.
 */
static const struct model_row *
row_of(const char *w, const char *name, bool spins)
{
	for (size_t i = 0; i < sizeof(model) / sizeof(model[0]); i++)
		if (strcmp(model[i].workload, w) == 0 &&
		    (model[i].segment == NULL ||
		    strstr(name, model[i].segment) != NULL) &&
		    (model[i].spins < 0 || model[i].spins == (int)spins))
			return &model[i];
	return &model_default;
}

/* dwell_ns: the idle dwell a benchmark's operations wait, in ns. */
static double
dwell_ns(const char *name, bool spins)
{
	const char *h = strstr(name, "/dwell:");

	if (spins || h == NULL || strstr(name, "/mode:coalesce") != NULL)
		return 0;
	return strtod(h + 7, NULL) * 1e3;
}

/* table_cost: the built-in model's cost. */
static struct hb_op_cost
table_cost(const char *workload, const char *name, bool spins,
    unsigned width)
{
	const struct model_row *r = row_of(workload, name, spins);
	struct hb_op_cost c;
	const char *h;

	c.manual_ns = r->manual_ns + r->width_ns * (width > 0 ? width - 1 : 0);
	if (strcmp(workload, "mboxfull") == 0 &&
	    (h = strstr(name, "/handler_ns:")) != NULL)
		c.manual_ns += strtod(h + 12, NULL);	/* the handler's cost */
	c.wall_ns = c.manual_ns * r->wall_ratio;
	/* mboxfull's open loop: S senders send R messages a second each,
	 * whatever the mailbox could take. */
	if (strcmp(workload, "mboxfull") == 0 &&
	    (h = strstr(name, "/rate:")) != NULL && strtod(h + 6, NULL) > 0) {
		double sched = 1e9 / (strtod(h + 6, NULL) * (width > 0 ?
		    width : 1));

		if (c.manual_ns < sched)
			c.manual_ns = sched;
		if (c.wall_ns < sched)
			c.wall_ns = sched;
	}
	/* The idle dwell: the sender waits it out, untimed, every operation
	 * that wakes a target (coalesce wakes none). */
	c.wall_ns += dwell_ns(name, spins);
	c.call_s = CALL_S;
	c.batch_s = 0;		/* the machine's: hb_cost_of */
	return c;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* row_cost: what a calibration row measured, per operation. */
static struct hb_op_cost
row_cost(const struct cost_row *r)
{
	struct hb_op_cost c;
	double other = r->span_s - r->body_s - r->start_s;

	c.manual_ns = r->manual_s / r->ops * 1e9;
	c.wall_ns = r->body_s / r->ops * 1e9;
	c.call_s = r->calls > 0 && other > 0 ? other / r->calls : 0;
	c.batch_s = 0;		/* in wall_ns: measured at its batch size */
	return c;
}

static int
row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cost_row *)a)->name,
	    ((const struct cost_row *)b)->name);
}

/*
 * factor_of: the median over cal's rows of workload w on backend be of
 * measured / table cost, manual and wall; computed once per pair (the
 * plan asks for every entry at every thinning step).  NULL: the cache
 * is full (the table alone, then).
 */
static const struct cost_factor *
factor_of(struct hb_costs *cal, const char *w, const char *be)
{
	double fm[256], fw[256];
	struct cost_factor *f;
	unsigned n = 0;

	for (unsigned i = 0; i < cal->nf; i++)
		if (strcmp(cal->f[i].workload, w) == 0 &&
		    strcmp(cal->f[i].backend, be) == 0)
			return &cal->f[i];
	if (cal->nf == sizeof(cal->f) / sizeof(cal->f[0]))
		return NULL;
	for (unsigned i = 0; i < cal->n && n < 256; i++) {
		const struct cost_row *r = &cal->v[i];
		const struct ipi_backend_ops *ops = ipi_backend_lookup(r->backend);
		struct hb_op_cost t, m;

		if (r->ops <= 0 || r->manual_s <= 0 || ops == NULL ||
		    strcmp(r->workload, w) != 0 || strcmp(r->backend, be) != 0)
			continue;
		t = table_cost(w, r->name, ops->spins, r->width);
		m = row_cost(r);
		fm[n] = m.manual_ns / t.manual_ns;
		fw[n] = m.wall_ns / t.wall_ns;
		n++;
	}
	f = &cal->f[cal->nf++];
	*f = (struct cost_factor){ .workload = w, .backend = be };
	if (n > 0) {
		qsort(fm, n, sizeof(fm[0]), dcmp);
		qsort(fw, n, sizeof(fw[0]), dcmp);
		f->fm = fm[n / 2];
		f->fw = fw[n / 2];
	}
	return f;
}

/*
 * reference_s: the in-situ reference e measures before each body call
 * (measure.c): its operations at the table's cost of the yardstick,
 * one per target (a fan-out reaches width targets).
 */
static double
reference_s(const struct hb_entry *e, unsigned width)
{
	const struct hb_workload *ys = hb_entry_reference(e);
	const struct model_row *r;

	if (ys == NULL)
		return 0;
	r = row_of(ys->name, "", e->group_backend->spins);
	/* the reference dwells as its benchmark (measure.c) */
	return hb_reference_ops(e, width) * (r->manual_ns * r->wall_ratio *
	    (width > 0 ? width : 1) + dwell_ns(e->name,
	    e->group_backend->spins)) * 1e-9;
}

struct hb_op_cost
hb_cost_of(const struct hb_costs *cal, const struct hb_entry *e)
{
	const char *w = e->workload->name, *be = e->group_backend->name;
	bool spins = e->group_backend->spins;
	unsigned width = hb_entry_width(e);
	struct hb_op_cost c = table_cost(w, e->name, spins, width);

	/* The batch hand-over depends on the machine's backend (a
	 * yardstick's is the quiet one), not the group's. */
	c.batch_s = e->backend != NULL && e->backend->spins ? BATCH_SPIN_S :
	    BATCH_SLEEP_S;
	c.call_s += reference_s(e, width);
	/* Untimed operations of hb_measure: the warm-up of each batch, the
	 * perf pass of each call (mboxfull, its own loop, has neither) */
	if (bench_state.run != NULL && strcmp(w, "mboxfull") != 0) {
		const struct hb_params *p = bench_state.run->params;

		c.batch_s += p->warmup_ops * c.wall_ns * 1e-9;
		c.call_s += hb_perf_pass_ops(p) * c.wall_ns * 1e-9;
	}
	if (cal == NULL)
		return sane(c);
	/* The same benchmark measured: its own costs. */
	const struct cost_row key = { .name = e->name }, *r;

	r = bsearch(&key, cal->v, cal->n, sizeof(cal->v[0]), row_cmp);
	if (r != NULL && r->ops > 0 && r->manual_s > 0)
		return sane(row_cost(r));
	/* Else the table, scaled as the run's same workload and backend. */
	const struct cost_factor *f = factor_of((struct hb_costs *)cal, w, be);

	if (f != NULL && f->fm > 0) {
		c.manual_ns *= f->fm;
		c.wall_ns *= f->fw;
		c.batch_s = 0;	/* in the factor */
	}
	return sane(c);
}

double
hb_cost_start_s(const struct hb_costs *cal, unsigned nvcpus)
{
	if (cal == NULL || cal->start_per_vcpu_s <= 0)
		return START_FIXED_S + START_PER_VCPU_S * nvcpus;
	return bounded(cal->start_per_vcpu_s, 0, CALL_S_MAX) * nvcpus;
}

/* start_per_vcpu: the median machine start per vCPU of c's rows, or 0. */
static double
start_per_vcpu(const struct hb_costs *c)
{
	double per[512];
	unsigned n = 0;

	for (unsigned i = 0; i < c->n && n < 512; i++)
		if (c->v[i].start_s > 0 && c->v[i].nvcpus > 0)
			per[n++] = c->v[i].start_s / c->v[i].nvcpus;
	if (n == 0)
		return 0;
	qsort(per, n, sizeof(per[0]), dcmp);
	return per[n / 2];
}

/*
 * Writing.
 */

int
hb_costs_write(const char *dir, char *err, size_t errlen)
{
	char path[4200], tmp[4300];
	struct hb_entry **v;
	unsigned n = hb_bench_entries(&v), all = bench_state.run->topo->nvcpus;
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/costs.csv", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	fprintf(f, "%s\n", COSTS_HEADER);
	for (unsigned i = 0; i < n; i++) {
		const struct hb_entry *e = v[i];
		unsigned nv = e->nvcpus == 0 || e->nvcpus > all ? all :
		    e->nvcpus;

		if (e->calls == 0)
			continue;	/* filtered out, or not reached */
		fprintf(f, "%s,%s,%s,%u,%u,%u,%llu,%.9g,%.9g,%.9g,%.9g,"
		    "%.9g\n",
		    e->name, e->workload->name, e->group_backend->name,
		    nv, hb_entry_width(e), e->calls,
		    (unsigned long long)e->ops, e->manual_s, e->body_s,
		    e->start_s, e->span_s, e->est_s);
	}
	bad = ferror(f);
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path,
		    strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * Reading.
 */

void
hb_costs_free(struct hb_costs *c)
{
	if (c == NULL)
		return;
	for (unsigned i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].workload);
		free(c->v[i].backend);
	}
	free(c->v);
	free(c->source);
	free(c);
}

const char *
hb_costs_source(const struct hb_costs *c)
{
	return c->source;
}

/* parse_row: one line of costs.csv into r.  => 0, or -1 (malformed). */
static int
parse_row(char *line, struct cost_row *r)
{
	char *f[12], *s = line, *end;
	unsigned nf = 0;
	double d[9];

	line[strcspn(line, "\r\n")] = '\0';
	while (nf < 12) {
		f[nf++] = s;
		if ((s = strchr(s, ',')) == NULL)
			break;
		*s++ = '\0';
	}
	if (nf != 12 || s != NULL)
		return -1;
	for (unsigned i = 0; i < 9; i++) {
		errno = 0;
		d[i] = strtod(f[3 + i], &end);
		if (errno != 0 || end == f[3 + i] || *end != '\0' ||
		    !isfinite(d[i]) || d[i] < 0)
			return -1;
	}
	for (unsigned i = 0; i < 3; i++)
		if (d[i] > 4294967295.0 || d[i] != floor(d[i]))
			return -1;	/* counts: whole, and fit an unsigned */
	memset(r, 0, sizeof(*r));
	r->nvcpus = (unsigned)d[0];
	r->width = (unsigned)d[1];
	r->calls = (unsigned)d[2];
	r->ops = d[3];
	r->manual_s = d[4];
	r->body_s = d[5];
	r->start_s = d[6];
	r->span_s = d[7];
	if ((r->name = strdup(f[0])) == NULL ||
	    (r->workload = strdup(f[1])) == NULL ||
	    (r->backend = strdup(f[2])) == NULL) {
		free(r->name);
		free(r->workload);
		return -2;
	}
	return 0;
}

int
hb_costs_load(const char *run, struct hb_costs **out, char *err,
    size_t errlen)
{
	char path[4200], line[4096];
	struct hb_costs *c;
	size_t len = strlen(run);
	unsigned lineno = 0, cap = 0;
	FILE *f;
	int rc = -1;

	*out = NULL;
	if (len >= 4 && strcmp(run + len - 4, ".csv") == 0)
		snprintf(path, sizeof(path), "%s", run);
	else
		snprintf(path, sizeof(path), "%s/costs.csv", run);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s (a results folder of a measured "
		    "run holds costs.csv)", path, strerror(errno));
		return -1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->source = strdup(path)) == NULL)
		goto nomem;
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (lineno == 1) {
			line[strcspn(line, "\r\n")] = '\0';
			if (strcmp(line, COSTS_HEADER) != 0) {
				snprintf(err, errlen, "%s:1: not a costs file "
				    "of ipibench (expected the header %s)",
				    path, COSTS_HEADER);
				goto out;
			}
			continue;
		}
		if (c->n == cap) {
			unsigned ncap = cap ? 2 * cap : 256;
			struct cost_row *v = realloc(c->v, ncap * sizeof(*v));

			if (v == NULL)
				goto nomem;
			c->v = v;
			cap = ncap;
		}
		switch (parse_row(line, &c->v[c->n])) {
		case 0:
			c->n++;
			break;
		case -2:
			goto nomem;
		default:
			snprintf(err, errlen, "%s:%u: expected 12 fields (%s) "
			    "with numbers >= 0 from the 4th on (the 4th to "
			    "6th whole)", path, lineno,
			    COSTS_HEADER);
			goto out;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (c->n == 0) {
		snprintf(err, errlen, "%s: no benchmark in it", path);
		goto out;
	}
	qsort(c->v, c->n, sizeof(c->v[0]), row_cmp);
	c->start_per_vcpu_s = start_per_vcpu(c);
	*out = c;
	c = NULL;
	rc = 0;
	goto out;
nomem:
	snprintf(err, errlen, "%s: out of memory", path);
out:
	fclose(f);
	hb_costs_free(c);
	return rc;
}
