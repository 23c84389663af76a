/*
 * matrix.c: the `matrix` workload: the unicast round trip of every
 * ordered pair of vCPUs, with the pingpong yardstick's beside it, in one
 * sampling pass: matrix.csv and the heatmap.  Selected by [unicast]
 * matrix = true or --workload matrix.
 *
 * Why one pass.  One Google Benchmark benchmark per ordered pair is
 * n(n-1) benchmarks: 147,072 on 384 PUs, weeks.  Instead one benchmark
 * visits every pair in R rounds (R = 10, or the samples per pair when
 * fewer), each round over all pairs in a fresh random order (seeded from
 * the TSC: counter seed), with S/R samples a visit (the remainder spread
 * over the first rounds).  Noise of the host (a vCPU moved, a neighbour's
 * burst) then lands on scattered cells of one round instead of painting
 * whole rows, and a cell whose rounds disagree says so.
 *
 * One visit of the pair (src, dst), driven by the runner thread, which
 * never spins (vcpu_post, then hb_bench_wait with the watchdog):
 *   1. the pingpong responder (pingpong.h) is posted on dst, then one
 *      job on src: an untimed round trip (the responder starting), S/R
 *      timed ones, stop, and a spin until the responder has left;
 *   2. in the same job: an untimed IPI (its ack says dst is back in its
 *      idle loop), then S/R IPIs, each ipi_unicast + ipi_wait of an
 *      empty function timed exactly as unicast.c's unicast_op; on a
 *      backend whose idle sleeps each first waits, untimed, until dst is
 *      blocked in the kernel (sleepwatch.h), so that it pays the wake-up;
 *   3. the runner joins src and dst and takes the visit's IPI p50.
 *
 * Samples per pair.  S = [unicast] matrix_samples IPIs on a backend that
 * spins; S_sleep = max(10, S / 10) on one whose idle sleeps, as each of
 * those costs a wake-up (10-30 us) plus the wait for dst to sleep.
 * Pingpong: S on every backend (cheap, and the physical map the IPI
 * matrix is read against).
 *
 * Unstable cells.  A cell is unstable when its rounds disagree: the
 * largest of its per-round IPI p50s is more than 1.5 times the smallest
 * and more than 50 ns above it.  On a VM the host moves vCPUs during a
 * pass: such a cell mixes placements, and the heatmap marks it rather
 * than paint the noise.
 *
 * What comes out, per group (backend, placement; the run's first backoff
 * value V only: the rows of matrix.csv are by backend and placement):
 *   matrix/backend:B/placement:P/backoff:V/pairs:N   the pass: N x S IPI
 *       samples, their percentiles over the whole matrix, and pairs, rounds,
 *       samples_per_pair, pingpong_samples_per_pair, seed,
 *       unstable_pairs, pass_s (blocked_per_op on a sleeping backend)
 *   matrix/backend:B/placement:P/backoff:V/class:C/numa:same|cross   one
 *       per (class, numa) present, run right after the pass: that class's
 *       samples, pairs, pingpong_p50_ns, pingpong_p99_ns, unstable_pairs
 *   OUT/matrix.csv   one row per pair, every group of the run appended
 *       (results/README.md has the columns)
 *
 * Memory: the pass keeps its samples, 4 bytes each, IPI and pingpong:
 * N x (S + S) x 4 bytes (1.2 GB for 384 vCPUs at S = 1000), freed when
 * the pass ends; each class keeps a reservoir of at most MX_CLASS_CAP
 * samples for its summary.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/pairs.h"
#include "harness/sleepwatch.h"
#include "harness/stats.h"
#include "harness/timer.h"
#include "harness/workload.h"
#include "ipi/ipi.h"
#include "ipi/vcpu.h"
#include "pingpong.h"
#include "yardstick.h"

#define	MX_ROUNDS		10	/* rounds of a pass, at most */
#define	MX_UNSTABLE_RATIO	1.5	/* max/min of the per-round p50s */
#define	MX_UNSTABLE_NS		50.0	/* and max - min, ns */
#define	MX_UNSTABLE_MIN		5	/* samples a round to judge at all: a
					 * p50 of fewer is one wake-up's jitter */
#define	MX_PROGRESS_NS		5000000000ull	/* a progress line at most
						 * this often */
#define	MX_CLASS_CAP		(1u << 18)	/* samples a class keeps */
#define	MX_NCLASSES		(2 * HB_PAIR_NCLASSES)

struct matrix;

/* One (class, numa) of a pass: its summary benchmark's argument. */
struct mx_class {
	struct matrix *	m;
	enum hb_pair_class cls;
	bool		same_numa;
	unsigned	pairs;		/* of the pass */
	unsigned	unstable;	/* of them */
	uint64_t	count, sum;	/* its IPI samples, their ticks */
	struct hb_samples ipi;		/* a reservoir of them */
	double		pp_p50, pp_p99;	/* ns, over its pingpong samples */
	bool		reported;
};

/* The job of one visit, on src (heap: a stuck job may outlive the body). */
struct mx_visit {
	struct matrix *	m;
	struct cpu_info *target;
	uint32_t *	ipi;		/* this visit's IPI samples go here */
	uint32_t *	pp;		/* and its pingpong samples here */
	unsigned	nipi, npp;
	int		watch;		/* dst's sleepwatch fd, or -1 */
	uint64_t	waits, blocked;	/* sleepwatch, since the pass began */
	uint64_t	sum;		/* ticks of this visit's IPI samples */
};

/* One group's pass and its summaries (their registered argument). */
struct matrix {
	_Alignas(CACHE_LINE_SIZE) ipi_msg_t msg;	/* alone on its line */
	_Alignas(CACHE_LINE_SIZE) _Atomic int served;	/* responder left */
	_Alignas(CACHE_LINE_SIZE) const struct hb_run *run;
	const char *	backend;	/* names, for matrix.csv */
	const char *	placement;
	bool		sleeps;		/* the backend's idle sleeps */
	struct hb_pair *pairs;
	unsigned	npairs;
	unsigned	s_ipi, s_pp;	/* samples per pair */
	unsigned	rounds;
	struct mx_class	cls[MX_NCLASSES];
	unsigned	ncls;
	unsigned char	cls_of[HB_PAIR_NCLASSES][2];	/* [class][same] */
	struct pingpong *pp;
	bool		done;		/* the pass ran to its end */
	char		why[256];	/* else why not, for the summaries */
	unsigned	refs;		/* registered arguments pointing here */
};

/* Whether this process wrote matrix.csv already (later passes append). */
static bool mx_csv_started;

/*
 * Pairs.
 */

/*
 * matrix_pairs: the ordered pairs a pass measures (src != dst), src
 * major, in vCPU index order, each with its class.
 * => cap 0, or not below the count: every ordered pair of the run's
 *    vCPUs.  Else about cap of them, spread evenly over that list, and
 *    the first pair of every (class, NUMA) the spread missed, so that
 *    every class is measured ([unicast] matrix_pairs, which plan.c
 *    lowers to fit a budget).
 * => Returns the count; *out is malloc'ed (free it; NULL when 0).
 */
static unsigned
matrix_pairs(const struct hb_run *run, unsigned long cap,
    struct hb_pair **out)
{
	unsigned n = hb_topology_pairs(run->topo, true, out), w = 0;
	bool have[HB_PAIR_NCLASSES][2] = { { false } };
	struct hb_pair *v = *out, *first[HB_PAIR_NCLASSES][2] = { { NULL } };

	if (cap == 0 || cap >= n)
		return n;
	for (unsigned i = 0; i < n; i++)
		if (first[v[i].cls][v[i].same_numa] == NULL)
			first[v[i].cls][v[i].same_numa] = &v[i];
	/* Spread: ascending indexes, each >= w, so copying in place is safe;
	 * the missing classes' first pairs are kept aside first. */
	struct hb_pair extra[2 * HB_PAIR_NCLASSES];
	unsigned nextra = 0;

	for (unsigned long i = 0; i < cap; i++) {
		struct hb_pair *q = &v[(size_t)(i * (unsigned long long)n / cap)];

		have[q->cls][q->same_numa] = true;
	}
	for (unsigned c = 0; c < HB_PAIR_NCLASSES; c++)
		for (unsigned same = 0; same < 2; same++)
			if (first[c][same] != NULL && !have[c][same])
				extra[nextra++] = *first[c][same];
	for (unsigned long i = 0; i < cap; i++)
		v[w++] = v[(size_t)(i * (unsigned long long)n / cap)];
	for (unsigned i = 0; i < nextra; i++)
		v[w++] = extra[i];
	return w;
}

/*
 * Small helpers.
 */

/* mx_rng: splitmix64, the shuffles' generator. */
static uint64_t
mx_rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int
mx_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * mx_rank: the nearest-rank percentile num/1000 of n sorted samples, as
 * stats.c's (rank ceil(n * num / 1000), at least 1).  => n > 0.
 */
static uint32_t
mx_rank(const uint32_t *v, size_t n, size_t num)
{
	size_t rank = (n * num + 999) / 1000;

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/* mx_clamp: ticks into a stored sample. */
static uint32_t
mx_clamp(uint64_t ticks)
{
	return ticks > UINT32_MAX ? UINT32_MAX : (uint32_t)ticks;
}

/*
 * mx_share: visit r's share of s samples over R rounds: *off, where its
 * samples start in the pair's, and the count (the remainder s % R goes
 * to the first rounds, one each).
 */
static unsigned
mx_share(unsigned s, unsigned rounds, unsigned r, size_t *off)
{
	unsigned base = s / rounds, rem = s % rounds;

	*off = (size_t)r * base + (r < rem ? r : rem);
	return base + (r < rem);
}

/*
 * The visit, on the vCPUs.
 */

/* mx_func: the IPI's function: nothing (unicast.c's unicast_func). */
static void
mx_func(void *arg)
{
	(void)arg;
}

/* mx_serve: on dst: the pingpong responder, then say it has left. */
static void
mx_serve(void *arg)
{
	struct matrix *m = arg;

	pingpong_serve(m->pp);
	atomic_store_explicit(&m->served, 1, memory_order_release);
}

/* mx_ipi: on src: one IPI and its acknowledgement, timed (unicast_op). */
static uint64_t
mx_ipi(struct matrix *m, struct cpu_info *target)
{
	uint64_t t0, t1;

	t0 = hb_now();
	ipi_unicast(&m->msg, target);
	ipi_wait(&m->msg);
	t1 = hb_now();
	return t1 - t0;
}

/* mx_visit_run: on src: one visit (the top comment's steps 1 and 2). */
static void
mx_visit_run(void *arg)
{
	struct mx_visit *v = arg;
	struct matrix *m = v->m;

	if (m->s_pp > 0) {
		(void)pingpong_op(m->pp);	/* untimed: the responder */
		for (unsigned i = 0; i < v->npp; i++)
			v->pp[i] = mx_clamp(pingpong_op(m->pp));
		pingpong_stop(m->pp);
		YS_SPIN_UNTIL(atomic_load_explicit(&m->served,
		    memory_order_acquire));
	}

	(void)mx_ipi(m, v->target);	/* untimed: dst back in its idle loop */
	v->sum = 0;
	for (unsigned i = 0; i < v->nipi; i++) {
		uint64_t d;

		if (v->watch >= 0) {
			v->waits++;
			v->blocked += hb_sleepwatch_wait(v->watch);
		}
		/* The store buffer drained before the first stamp (timer.h). */
		atomic_thread_fence(memory_order_seq_cst);
		d = mx_ipi(m, v->target);
		v->sum += d;
		v->ipi[i] = mx_clamp(d);
	}
}

/*
 * The pass, on the runner.
 */

/* What a pass holds while it runs (the runner's side). */
struct mx_pass {
	uint32_t *	ipi;		/* [pair][s_ipi] */
	uint32_t *	pp;		/* [pair][s_pp] */
	uint32_t *	rp50;		/* [pair][rounds]: per-round IPI p50 */
	unsigned char *	visits;		/* [pair]: rounds done */
	uint32_t *	order;		/* this round's visiting order */
	struct mx_visit *v;
	uint64_t	sum;		/* ticks of every IPI sample */
	uint32_t	seed;
	unsigned	unstable;
	double		wall_s;
};

/*
 * mx_visit: visit pair i in round r.
 * => 0; -1 with the benchmark skipped (m->why says why); -2 when the
 *    machine wedged (a job may still use the pass's memory).
 */
static int
mx_visit(struct hb_bench *b, struct matrix *m, struct mx_pass *ps,
    unsigned i, unsigned r)
{
	const struct hb_pair *pr = &m->pairs[i];
	struct cpu_info *src = cpu_lookup(pr->src), *dst = cpu_lookup(pr->dst);
	struct mx_visit *v = ps->v;
	size_t off;
	int rc;

	v->target = dst;
	v->nipi = mx_share(m->s_ipi, m->rounds, r, &off);
	v->ipi = ps->ipi + (size_t)i * m->s_ipi + off;
	v->npp = mx_share(m->s_pp, m->rounds, r, &off);
	v->pp = ps->pp + (size_t)i * m->s_pp + off;
	v->watch = m->sleeps ? hb_sleepwatch_open(dst) : -1;
	atomic_store_explicit(&m->served, 0, memory_order_relaxed);
	atomic_store_explicit(&m->pp->stop, 0, memory_order_relaxed);

	if (m->s_pp > 0 && (rc = vcpu_post(dst, mx_serve, m)) != 0) {
		snprintf(m->why, sizeof(m->why), "the pass failed: vCPU %u: "
		    "vcpu_post: %s", pr->dst, strerror(-rc));
		hb_bench_error(b, "matrix: %s", m->why);
		rc = -1;
		goto out;
	}
	if ((rc = vcpu_post(src, mx_visit_run, v)) != 0) {
		snprintf(m->why, sizeof(m->why), "the pass failed: vCPU %u: "
		    "vcpu_post: %s", pr->src, strerror(-rc));
		pingpong_stop(m->pp);
		if (m->s_pp > 0 && !hb_bench_wait(b, dst))
			return -2;
		hb_bench_error(b, "matrix: %s", m->why);
		rc = -1;
		goto out;
	}
	if (!hb_bench_wait(b, src) ||
	    (m->s_pp > 0 && !hb_bench_wait(b, dst))) {
		snprintf(m->why, sizeof(m->why), "the pass failed: a vCPU "
		    "did not answer (watchdog)");
		return -2;	/* v->watch left open: the job may use it */
	}
	qsort(v->ipi, v->nipi, sizeof(*v->ipi), mx_cmp_u32);
	ps->rp50[(size_t)i * m->rounds + r] = mx_rank(v->ipi, v->nipi, 500);
	ps->visits[i]++;
	ps->sum += v->sum;
	rc = 0;
out:
	if (v->watch >= 0)
		close(v->watch);
	v->watch = -1;
	return rc;
}

/* mx_csv_header: the columns of matrix.csv (results/README.md). */
static const char mx_csv_header[] =
    "backend,placement,src,dst,src_pu,dst_pu,class,numa,samples,p50_ns,"
    "p90_ns,p99_ns,round_min_p50_ns,round_max_p50_ns,unstable,"
    "pingpong_samples,pingpong_p50_ns,pingpong_p99_ns\n";

/*
 * mx_csv_open: OUT/matrix.csv.tmp to write this pass's rows into: the
 * header and, after this process's first pass, the rows of matrix.csv
 * so far.  => The file, its path in tmp; NULL with errno set.
 */
static FILE *
mx_csv_open(const char *dir, char *tmp, size_t len)
{
	char path[4096], buf[65536];
	FILE *f, *old;
	size_t n;

	snprintf(path, sizeof(path), "%s/matrix.csv", dir);
	snprintf(tmp, len, "%s/matrix.csv.tmp", dir);
	if ((f = fopen(tmp, "w")) == NULL)
		return NULL;
	if (!mx_csv_started || (old = fopen(path, "r")) == NULL) {
		fputs(mx_csv_header, f);
		return f;
	}
	while ((n = fread(buf, 1, sizeof(buf), old)) > 0)
		if (fwrite(buf, 1, n, f) != n)
			break;
	if (ferror(old) || ferror(f)) {
		int e = errno;

		fclose(old);
		fclose(f);
		unlink(tmp);
		errno = e;
		return NULL;
	}
	fclose(old);
	return f;
}

/*
 * mx_finish: the figures of every pair visited at least once: its
 * percentiles, stability and row of matrix.csv, its class's share.
 * => 0, or -1 with the benchmark skipped (matrix.csv not written).
 */
static int
mx_finish(struct hb_bench *b, struct matrix *m, struct mx_pass *ps,
    struct hb_samples *all)
{
	const struct hb_topology *t = m->run->topo;
	const char *dir = m->run->out;
	char tmp[4200], path[4200];
	FILE *f = NULL;
	struct hb_samples ppc[MX_NCLASSES];
	int bad = 0;

	if (dir != NULL && (f = mx_csv_open(dir, tmp, sizeof(tmp))) == NULL) {
		hb_bench_error(b, "matrix: %s/matrix.csv.tmp: %s", dir,
		    strerror(errno));
		return -1;
	}
	for (unsigned c = 0; c < m->ncls; c++)
		hb_samples_init(&ppc[c], MX_CLASS_CAP);
	for (unsigned i = 0; i < m->npairs; i++) {
		const struct hb_pair *pr = &m->pairs[i];
		struct mx_class *c = &m->cls[m->cls_of[pr->cls][pr->same_numa]];
		unsigned nv = ps->visits[i];
		uint32_t *ipi = ps->ipi + (size_t)i * m->s_ipi;
		uint32_t *pp = ps->pp + (size_t)i * m->s_pp;
		uint32_t lo = UINT32_MAX, hi = 0;
		size_t ni, np;
		bool unstable;

		if (nv == 0)
			continue;	/* interrupted before its first visit */
		/* Where round nv would start: the samples of rounds < nv. */
		mx_share(m->s_ipi, m->rounds, nv, &ni);
		mx_share(m->s_pp, m->rounds, nv, &np);
		for (unsigned r = 0; r < nv; r++) {
			uint32_t x = ps->rp50[(size_t)i * m->rounds + r];

			lo = x < lo ? x : lo;
			hi = x > hi ? x : hi;
		}
		unstable = !m->run->simulated &&
		    m->s_ipi / m->rounds >= MX_UNSTABLE_MIN &&
		    (double)hi > MX_UNSTABLE_RATIO * (double)lo &&
		    hb_ticks_to_ns(hi - lo) > MX_UNSTABLE_NS;
		c->unstable += unstable;
		ps->unstable += unstable;
		for (size_t k = 0; k < ni; k++) {
			c->sum += ipi[k];
			hb_samples_push(&c->ipi, ipi[k]);
			hb_samples_push(all, ipi[k]);
		}
		c->count += ni;
		for (size_t k = 0; k < np; k++)
			hb_samples_push(&ppc[c - m->cls], pp[k]);
		qsort(ipi, ni, sizeof(*ipi), mx_cmp_u32);
		qsort(pp, np, sizeof(*pp), mx_cmp_u32);
		if (f == NULL)
			continue;
		fprintf(f, "%s,%s,%u,%u,%d,%d,%s,%s,%zu,%.1f,%.1f,%.1f,%.1f,"
		    "%.1f,%d,%zu,%.1f,%.1f\n", m->backend, m->placement,
		    pr->src, pr->dst, t->vcpus[pr->src].pu,
		    t->vcpus[pr->dst].pu, hb_pair_class_name(pr->cls),
		    pr->same_numa ? "same" : "cross", ni,
		    hb_ticks_to_ns(mx_rank(ipi, ni, 500)),
		    hb_ticks_to_ns(mx_rank(ipi, ni, 900)),
		    hb_ticks_to_ns(mx_rank(ipi, ni, 990)),
		    hb_ticks_to_ns(lo), hb_ticks_to_ns(hi), unstable, np,
		    hb_ticks_to_ns(mx_rank(pp, np, 500)),
		    hb_ticks_to_ns(mx_rank(pp, np, 990)));
	}
	for (unsigned c = 0; c < m->ncls; c++) {
		struct hb_summary s;

		hb_summarize(ppc[c].v, ppc[c].n, &s);
		m->cls[c].pp_p50 = hb_ticks_to_ns((uint64_t)s.p50);
		m->cls[c].pp_p99 = hb_ticks_to_ns((uint64_t)s.p99);
		hb_samples_free(&ppc[c]);
	}
	if (f == NULL)
		return 0;
	bad |= ferror(f);
	bad |= fclose(f) != 0;
	snprintf(path, sizeof(path), "%s/matrix.csv", dir);
	if (bad || rename(tmp, path) != 0) {
		hb_bench_error(b, "matrix: cannot write %s: %s", path,
		    strerror(errno));
		unlink(tmp);
		return -1;
	}
	mx_csv_started = true;
	return 0;
}

/* mx_pass_free: what the pass allocated (not after a wedge). */
static void
mx_pass_free(struct mx_pass *ps)
{
	free(ps->ipi);
	free(ps->pp);
	free(ps->rp50);
	free(ps->visits);
	free(ps->order);
	free(ps->v);
}

/*
 * mx_progress: the progress line, k visits into round r, s seconds into
 * the pass.  => r + k > 0.
 */
static void
mx_progress(const struct matrix *m, unsigned r, unsigned k, double s)
{
	double done = (double)r * m->npairs + k;
	double all = (double)m->rounds * m->npairs;
	char el[32], left[32];

	hb_fmt_dur(s, el, sizeof(el));
	hb_fmt_dur(s / done * (all - done), left, sizeof(left));
	fprintf(stderr, "matrix: round %u/%u, pair %u/%u  elapsed %s  "
	    "left ~%s\n", r + 1, m->rounds, k + 1, m->npairs, el, left);
}

/*
 * mx_run: the pass: every round, every pair.
 * => 0 (complete, or interrupted: ps has what was measured); -1 skipped
 *    with an error; -2 the machine wedged.
 */
static int
mx_run(struct hb_bench *b, struct matrix *m, struct mx_pass *ps,
    const char *name)
{
	unsigned n = m->npairs;
	uint64_t rng, t0 = hb_mono_ns(), last = t0;
	double mib = (double)n * (m->s_ipi + m->s_pp) * 4 / (1 << 20);
	int rc;

	ps->ipi = malloc((size_t)n * m->s_ipi * sizeof(*ps->ipi));
	ps->pp = malloc((size_t)n * (m->s_pp > 0 ? m->s_pp : 1) *
	    sizeof(*ps->pp));
	ps->rp50 = calloc((size_t)n * m->rounds, sizeof(*ps->rp50));
	ps->visits = calloc(n, sizeof(*ps->visits));
	ps->order = malloc(n * sizeof(*ps->order));
	ps->v = calloc(1, sizeof(*ps->v));
	if (m->pp == NULL)
		m->pp = pingpong_alloc();
	if (ps->ipi == NULL || ps->pp == NULL || ps->rp50 == NULL ||
	    ps->visits == NULL || ps->order == NULL || ps->v == NULL ||
	    m->pp == NULL) {
		snprintf(m->why, sizeof(m->why), "the pass failed: out of "
		    "memory for %.0f MiB of samples (lower matrix_samples)",
		    mib);
		hb_bench_error(b, "matrix: %s", m->why);
		return -1;
	}
	ps->v->m = m;
	ps->v->watch = -1;
	m->msg.func = mx_func;
	m->msg.arg = NULL;
	rng = hb_now();
	ps->seed = (uint32_t)mx_rng(&rng);
	rng = ps->seed;
	fprintf(stderr, "matrix: %s: %u pairs x (%u IPI + %u pingpong "
	    "samples) in %u rounds, seed %u, %.1f MiB of samples\n", name, n,
	    m->s_ipi, m->s_pp, m->rounds, ps->seed, mib);

	for (unsigned r = 0; r < m->rounds; r++) {
		for (unsigned i = 0; i < n; i++)
			ps->order[i] = i;
		for (unsigned i = n - 1; i > 0; i--) {
			unsigned k = (unsigned)(mx_rng(&rng) % (i + 1));
			uint32_t x = ps->order[i];

			ps->order[i] = ps->order[k];
			ps->order[k] = x;
		}
		for (unsigned k = 0; k < n; k++) {
			uint64_t now = hb_mono_ns();

			if (hb_bench_interrupted()) {
				snprintf(m->why, sizeof(m->why), "the pass "
				    "was interrupted");
				return 0;
			}
			if (now - last >= MX_PROGRESS_NS && r + k > 0) {
				mx_progress(m, r, k, (double)(now - t0) * 1e-9);
				last = now;
			}
			if ((rc = mx_visit(b, m, ps, ps->order[k], r)) != 0)
				return rc;
		}
	}
	ps->wall_s = (double)(hb_mono_ns() - t0) * 1e-9;
	return 0;
}

static void
mx_pass_body(struct hb_bench *b, void *arg)
{
	struct matrix *m = arg;
	uint64_t total = (uint64_t)m->npairs * m->s_ipi;
	struct mx_pass ps = { 0 };
	struct hb_samples all;
	char name[160];
	int rc;

	snprintf(name, sizeof(name), "%s/%s", m->backend, m->placement);
	m->done = false;
	if (!hb_bench_keep_running(b, total))
		return;
	if ((rc = mx_run(b, m, &ps, name)) == -2)
		return;		/* wedged: a job may still use it all */
	if (rc == 0) {
		hb_samples_init(&all, 0);
		rc = mx_finish(b, m, &ps, &all);
		if (rc == 0 && hb_bench_interrupted() == 0) {
			m->done = true;
			hb_bench_set_time(b, hb_ticks_to_ns(ps.sum) * 1e-9);
			hb_bench_samples(b, &all);
			hb_bench_counter(b, "pairs", m->npairs);
			hb_bench_counter(b, "rounds", m->rounds);
			hb_bench_counter(b, "samples_per_pair", m->s_ipi);
			hb_bench_counter(b, "pingpong_samples_per_pair",
			    m->s_pp);
			hb_bench_counter(b, "seed", ps.seed);
			hb_bench_counter(b, "unstable_pairs", ps.unstable);
			hb_bench_counter(b, "pass_s", ps.wall_s);
			if (m->sleeps && ps.v->waits > 0)
				hb_bench_counter(b, "blocked_per_op",
				    (double)ps.v->blocked /
				    (double)ps.v->waits);
			fprintf(stderr, "matrix: %s: %u pairs in %.3g s, %u "
			    "unstable%s%s\n", name, m->npairs, ps.wall_s,
			    ps.unstable, m->run->out != NULL ?
			    "; rows appended to " : "", m->run->out != NULL ?
			    m->run->out : "");
		}
		hb_samples_free(&all);
	}
	mx_pass_free(&ps);
	if (hb_bench_keep_running(b, total))
		hb_bench_error(b, "matrix: Google Benchmark wants more than "
		    "the %llu iterations fixed (harness bug)",
		    (unsigned long long)total);
}

/* mx_class_body: one (class, numa) of the pass that ran just before. */
static void
mx_class_body(struct hb_bench *b, void *arg)
{
	struct mx_class *c = arg;

	if (!c->m->done) {
		hb_bench_error(b, "no matrix pass to summarize: %s", c->m->why);
		return;
	}
	if (c->reported || c->count == 0) {
		hb_bench_error(b, "matrix: class %s summarized already, or "
		    "empty (harness bug)", hb_pair_class_name(c->cls));
		return;
	}
	if (!hb_bench_keep_running(b, c->count))
		return;
	hb_bench_set_time(b, hb_ticks_to_ns(c->sum) * 1e-9);
	hb_bench_samples(b, &c->ipi);
	hb_bench_counter(b, "pairs", c->pairs);
	hb_bench_counter(b, "pingpong_p50_ns", c->pp_p50);
	hb_bench_counter(b, "pingpong_p99_ns", c->pp_p99);
	hb_bench_counter(b, "unstable_pairs", c->unstable);
	c->reported = true;
	hb_samples_free(&c->ipi);
	hb_samples_init(&c->ipi, MX_CLASS_CAP);
	if (hb_bench_keep_running(b, c->count))
		hb_bench_error(b, "matrix: Google Benchmark wants more than "
		    "the iterations fixed (harness bug)");
}

/*
 * Registration.
 */

/* mx_unref: one registered argument less; the last frees the group's. */
static void
mx_unref(void *arg)
{
	struct matrix *m = arg;

	if (--m->refs > 0)
		return;
	for (unsigned c = 0; c < m->ncls; c++)
		hb_samples_free(&m->cls[c].ipi);
	free(m->pp);
	free(m->pairs);
	free(m);
}

static void
mx_class_unref(void *arg)
{
	mx_unref(((struct mx_class *)arg)->m);
}

static void
matrix_add(const struct hb_run *run, const struct hb_group *g)
{
	unsigned S = run->params->matrix_samples, npc[HB_PAIR_NCLASSES][2];
	struct hb_pair *pairs;
	struct matrix *m;
	struct hb_entry *e;
	unsigned n;

	/* One pass a machine: the first backoff value (matrix.csv rows
	 * are by backend and placement). */
	if (g->backoff_index > 0)
		return;
	n = matrix_pairs(run, g->backend->spins ? 0 :
	    run->params->matrix_pairs, &pairs);
	if (n == 0)
		return;
	if ((m = aligned_alloc(CACHE_LINE_SIZE, sizeof(*m))) == NULL) {
		fprintf(stderr, "ipibench: matrix: out of memory\n");
		exit(1);
	}
	memset(m, 0, sizeof(*m));
	m->run = run;
	m->backend = g->backend->name;
	m->placement = hb_policy_name(g->placement);
	m->sleeps = !g->backend->spins;
	m->pairs = pairs;
	m->npairs = n;
	/* Simulated: two vCPUs may share a host PU, where a ping-pong
	 * round trip costs a scheduler time slice: no physical map. */
	m->s_pp = run->simulated ? 0 : S;
	m->s_ipi = m->sleeps ? (S / 10 > 10 ? S / 10 : 10) : S;
	m->rounds = MX_ROUNDS;
	if (m->s_ipi < m->rounds)
		m->rounds = m->s_ipi;
	if (m->s_pp != 0 && m->s_pp < m->rounds)
		m->rounds = m->s_pp;
	if (m->rounds == 0)
		m->rounds = 1;

	/* The classes present, nearest first, same NUMA node first. */
	memset(npc, 0, sizeof(npc));
	for (unsigned i = 0; i < n; i++)
		npc[pairs[i].cls][pairs[i].same_numa]++;
	for (unsigned c = 0; c < HB_PAIR_NCLASSES; c++)
		for (int same = 1; same >= 0; same--) {
			struct mx_class *k = &m->cls[m->ncls];

			if (npc[c][same] == 0)
				continue;
			k->m = m;
			k->cls = (enum hb_pair_class)c;
			k->same_numa = same;
			k->pairs = npc[c][same];
			hb_samples_init(&k->ipi, MX_CLASS_CAP);
			m->cls_of[c][same] = (unsigned char)m->ncls++;
		}
	m->refs = 1 + m->ncls;
	snprintf(m->why, sizeof(m->why), "the pass did not run "
	    "(--benchmark_filter left it out?)");

	e = hb_bench_add(g, mx_pass_body, m, mx_unref, "pairs:%u", n);
	hb_entry_fix(e, (uint64_t)n * m->s_ipi, 1);
	for (unsigned c = 0; c < m->ncls; c++) {
		struct mx_class *k = &m->cls[c];

		e = hb_bench_add(g, mx_class_body, k, mx_class_unref,
		    "class:%s/numa:%s", hb_pair_class_name(k->cls),
		    k->same_numa ? "same" : "cross");
		hb_entry_fix(e, (uint64_t)k->pairs * m->s_ipi, 1);
		hb_entry_reports(e);
	}
}

static bool
matrix_wanted(const struct hb_params *p)
{
	return p->matrix;
}

const struct hb_workload hb_workload_matrix = {
	.name = "matrix",
	.summary = "every ordered pair in one sampling pass: ipi_unicast + "
	    "ipi_wait and the pingpong yardstick, S samples a pair (S / 10, "
	    "at least 10, on a backend whose idle sleeps), matrix.csv and "
	    "the heatmap; a summary per pair class",
	.kind = HB_KIND_LATENCY,
	.keys = "pairs,class,numa",
	.backoff = true,
	.wanted = matrix_wanted,
	.add = matrix_add,
};
