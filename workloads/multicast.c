/*
 * multicast.c: the `multicast` workload: one synchronous IPI from vCPU
 * src to k targets, ipi_multicast() + ipi_wait(), timed on src until the
 * last target acknowledged.
 *
 * Fan-out k: params->fanout resolved up to N-1.  Target orders
 * (params->orders): `near` takes the other vCPUs by pair class with src,
 * nearest first, then by index; `spread` deals them round-robin across
 * packages, within each package across NUMA nodes, within each node
 * across cores, src's own package, node and core dealt last (so the
 * first targets land as far from src and from each other as the machine
 * allows).  The first k of the order are the targets.
 *
 * Arrival: each operation has a sequence number, which the sender
 * writes next to the message, on the line the targets read anyway.
 * The message's function records (seq, stamp) in the running vCPU's
 * own array (one per target, cache-line separated, written only by that
 * target); the sender keeps each operation's post time in an array of
 * its own.  Both are indexed by seq modulo the batch size, and the
 * sender joins them after each batch (batch_end): arrival times cost no
 * shared line traffic inside the timed window (reading each target's
 * slot after every operation did: two line transfers per operation,
 * the target's store missing before it acknowledged).  Each operation's
 * ipi_wait() (acquire) orders the targets' stores before the join.
 * The stamp is a bare TSC read where hb_now() reads the TSC (mc_stamp:
 * hb_now()'s fences on the target cost as much as the slots did).
 * target_packages / target_nodes: how many packages and NUMA nodes the
 * k targets are on (the order's reach: spread k = 2 on two packages
 * gives 2, near gives 1), from the run's topology (also a simulated
 * one).
 * arrival_p50_ns / arrival_max_ns: handler start - post, over targets
 * and operations.  The TSC is synchronised across cores on the machines
 * this runs on (invariant TSC); a stamp earlier than the post counts
 * as 0.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench.h"
#include "harness/timer.h"
#include "harness/workload.h"
#include "ipi/ipi.h"
#include "ipi/vcpu.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

/* One arrival, on a target: the operation and when its handler ran. */
struct mc_ent {
	uint64_t	seq;		/* 0: none yet (seq starts at 1) */
	uint64_t	t;		/* handler start */
};

struct multicast {
	/* the message's line: what the targets read, nothing else */
	_Alignas(CACHE_LINE_SIZE) ipi_msg_t msg;
	uint64_t	seq;		/* this operation's, set by the sender */
	struct mc_ent **recs;		/* by cpu_index(): the targets' arrays */
	uint64_t	cap;		/* entries per array */
	bool		rawtsc;		/* mc_stamp may read the TSC bare */
	/* the sender's */
	_Alignas(CACHE_LINE_SIZE) unsigned src, k;
	unsigned	nslots;
	unsigned *	targets;	/* k of them */
	kcpuset_t	set;
	uint64_t *	t0;		/* cap: post time by seq % cap */
	uint64_t	first;		/* seq of the batch's first operation */
	uint64_t	missing;	/* joins that found no entry */
	struct hb_samples arrivals;	/* ticks, on the sender */
	uint64_t	arrival_max;
	unsigned	npackages, nnodes;	/* of the targets */
};

_Static_assert(offsetof(struct multicast, rawtsc) + sizeof(bool) <=
    CACHE_LINE_SIZE, "multicast: seq, recs, cap on the message's line");

/*
 * mc_stamp: on a target: now, in hb_now()'s ticks, without serialising.
 * hb_now() fences (rdtscp; lfence) keep the target's cache misses around
 * the handler from overlapping: measured here (2 vCPUs, busypoll) it
 * doubled the round trip (k=1 p50 about 400 ns, with or without the
 * slot traffic; 220 ns with a bare rdtsc, unicast 170-180 ns).  A bare
 * rdtsc may read a little early (out of order): a stamp earlier than the
 * post counts as 0.
 */
static inline uint64_t
mc_stamp(const struct multicast *m)
{
#if defined(__x86_64__)
	if (m->rawtsc)
		return __rdtsc();
#endif
	(void)m;
	return hb_now();
}

/* mc_func: on each target: when the message's function ran. */
static void
mc_func(void *arg)
{
	struct multicast *m = arg;
	uint64_t now = mc_stamp(m);
	uint64_t seq = m->seq;
	struct mc_ent *e = &m->recs[cpu_index(curcpu())][seq % m->cap];

	e->seq = seq;
	e->t = now;
}

/* mc_op: on src: one multicast and every acknowledgement. */
static uint64_t
mc_op(void *arg)
{
	struct multicast *m = arg;
	uint64_t t0, t1, seq = ++m->seq;

	t0 = hb_now();
	ipi_multicast(&m->msg, &m->set);
	ipi_wait(&m->msg);
	t1 = hb_now();
	m->t0[seq % m->cap] = t0;
	return t1 - t0;
}

/* mc_batch_begin: on src: where this batch's sequence numbers start. */
static void
mc_batch_begin(void *arg)
{
	struct multicast *m = arg;

	m->first = m->seq + 1;
}

/*
 * mc_batch_end: on src, after the batch: join the targets' arrivals
 * with the post times.  Each ipi_wait()'s acquire ordered the targets'
 * stores before this.
 */
static void
mc_batch_end(void *arg)
{
	struct multicast *m = arg;

	for (uint64_t s = m->first; s <= m->seq; s++) {
		uint64_t t0 = m->t0[s % m->cap];

		for (unsigned i = 0; i < m->k; i++) {
			const struct mc_ent *e =
			    &m->recs[m->targets[i]][s % m->cap];
			uint64_t d;

			if (e->seq != s) {
				m->missing++;
				continue;
			}
			d = e->t > t0 ? e->t - t0 : 0;
			hb_samples_push(&m->arrivals, d);
			if (d > m->arrival_max)
				m->arrival_max = d;
		}
	}
}

/* mc_arrays_free: the per-body arrays (not while a job may use them). */
static void
mc_arrays_free(struct multicast *m)
{
	for (unsigned i = 0; m->recs != NULL && i < m->nslots; i++)
		free(m->recs[i]);
	free(m->recs);
	free(m->t0);
	m->recs = NULL;
	m->t0 = NULL;
}

/* mc_lines: bytes rounded up to whole cache lines. */
static size_t
mc_lines(size_t bytes)
{
	return (bytes + CACHE_LINE_SIZE - 1) / CACHE_LINE_SIZE *
	    CACHE_LINE_SIZE;
}

/*
 * mc_arrays_alloc: t0 and one array per target, cap entries each.
 * => false on out of memory (nothing left allocated).
 */
static bool
mc_arrays_alloc(struct multicast *m, uint64_t cap)
{
	size_t bytes = mc_lines((size_t)cap * sizeof(struct mc_ent));
	size_t rbytes = mc_lines(m->nslots * sizeof(*m->recs));

	m->cap = cap;
	/* recs on lines of its own: the targets read it, nothing writes */
	if ((m->recs = aligned_alloc(CACHE_LINE_SIZE, rbytes)) != NULL)
		memset(m->recs, 0, rbytes);
	m->t0 = calloc(cap, sizeof(*m->t0));
	if (m->recs == NULL || m->t0 == NULL)
		goto nomem;
	for (unsigned i = 0; i < m->k; i++) {
		struct mc_ent *e = aligned_alloc(CACHE_LINE_SIZE, bytes);

		if (e == NULL)
			goto nomem;
		memset(e, 0, bytes);
		m->recs[m->targets[i]] = e;
	}
	return true;
nomem:
	mc_arrays_free(m);
	return false;
}

static void
mc_body(struct hb_bench *b, void *arg)
{
	struct multicast *m = arg;
	struct hb_summary sum;
	uint64_t cap = hb_bench_params(b)->batch > 0 ?
	    hb_bench_params(b)->batch : 1;	/* as hb_measure */

	if (m->src >= ncpu || m->k == 0 || m->k >= ncpu ||
	    m->nslots < ncpu) {
		hb_bench_error(b, "multicast: src %u, k %u on %u vCPUs",
		    m->src, m->k, ncpu);
		return;
	}
	kcpuset_zero(&m->set);
	for (unsigned i = 0; i < m->k; i++)
		kcpuset_set(&m->set, m->targets[i]);
	if (cap > SIZE_MAX / sizeof(struct mc_ent) - CACHE_LINE_SIZE ||
	    !mc_arrays_alloc(m, cap)) {
		hb_bench_error(b, "multicast: out of memory for %ju arrivals "
		    "per target", (uintmax_t)cap);
		return;
	}
	m->msg.func = mc_func;
	m->msg.arg = m;
	m->rawtsc = hb_timer()->tsc;	/* hb_now() reads the TSC too */
	m->seq = 0;
	m->missing = 0;
	hb_samples_reset(&m->arrivals);
	m->arrival_max = 0;

	struct hb_op op = {
		.sender = cpu_lookup(m->src),
		.op = mc_op,
		.arg = m,
		.batch_begin = mc_batch_begin,
		.batch_end = mc_batch_end,
		.perf_cpus = m->targets,
		.nperf_cpus = m->k,
		.wait_asleep = true,
	};
	hb_measure(b, &op);
	if (hb_bench_wedged())
		return;		/* a stuck job may still use the arrays */
	mc_arrays_free(m);
	if (m->missing > 0) {
		hb_bench_error(b, "multicast: %ju arrivals not recorded "
		    "(harness bug)", (uintmax_t)m->missing);
		return;
	}
	hb_bench_counter(b, "target_packages", m->npackages);
	hb_bench_counter(b, "target_nodes", m->nnodes);
	if (m->arrivals.n == 0)
		return;
	hb_summarize(m->arrivals.v, m->arrivals.n, &sum);
	hb_bench_counter(b, "arrival_p50_ns", sum.p50 / hb_timer()->ghz);
	hb_bench_counter(b, "arrival_max_ns",
	    (double)m->arrival_max / hb_timer()->ghz);
}

static void
mc_free(void *arg)
{
	struct multicast *m = arg;

	hb_samples_free(&m->arrivals);
	free(m->targets);
	if (!hb_bench_wedged())
		mc_arrays_free(m);
	free(m);
}

/*
 * Orders.
 */

/* A candidate target and the keys the orders sort it by. */
struct cand {
	unsigned	index;
	int		cls;		/* pair class with src */
	int		key[3];		/* package, node, core */
};

static int
near_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int spread_level;	/* for level_cmp (registration is serial) */

static int
level_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	int l = spread_level;

	if (x->key[l] != y->key[l])
		return x->key[l] < y->key[l] ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * spread: order c[0..n) round-robin across the groups of key[level],
 * each group spread the same way on the next level.  The groups are
 * dealt in ascending key order starting after src's own (srckey), which
 * comes last: the first targets are as far from src as the machine
 * allows.
 * => tmp has room for n.
 */
static void
spread(struct cand *c, unsigned n, int level, struct cand *tmp,
    const int *srckey)
{
	unsigned ngroups = 0, first = 0, start[HB_ULIST_MAX * 64];
	unsigned *gstart = start, *pos;

	if (level == 3 || n < 2)
		return;		/* c is in index order within the last level */
	spread_level = level;
	qsort(c, n, sizeof(*c), level_cmp);
	if (n + 1 > sizeof(start) / sizeof(start[0]) &&
	    (gstart = malloc((n + 1) * sizeof(*gstart))) == NULL)
		goto nomem;
	for (unsigned i = 0; i < n; i++)
		if (i == 0 || c[i].key[level] != c[i - 1].key[level])
			gstart[ngroups++] = i;
	gstart[ngroups] = n;
	for (unsigned g = 0; g < ngroups; g++)
		spread(c + gstart[g], gstart[g + 1] - gstart[g], level + 1,
		    tmp, srckey);
	while (first < ngroups && c[gstart[first]].key[level] <= srckey[level])
		first++;
	if ((pos = calloc(ngroups, sizeof(*pos))) == NULL)
		goto nomem;
	for (unsigned out = 0; out < n; ) {
		for (unsigned r = 0; r < ngroups; r++) {
			unsigned g = (first + r) % ngroups;

			if (gstart[g] + pos[g] < gstart[g + 1])
				tmp[out++] = c[gstart[g] + pos[g]++];
		}
	}
	memcpy(c, tmp, n * sizeof(*c));
	free(pos);
	if (gstart != start)
		free(gstart);
	return;
nomem:
	fprintf(stderr, "ipibench: multicast: out of memory\n");
	exit(1);
}

/* mc_reach: m->npackages and m->nnodes: distinct among m's targets. */
static void
mc_reach(const struct hb_topology *t, struct multicast *m)
{
	m->npackages = 0;
	m->nnodes = 0;
	for (unsigned i = 0; i < m->k; i++) {
		const struct hb_vcpu *v = &t->vcpus[m->targets[i]];
		bool pk = true, nd = true;

		for (unsigned j = 0; j < i && (pk || nd); j++) {
			const struct hb_vcpu *w = &t->vcpus[m->targets[j]];

			pk = pk && w->package != v->package;
			nd = nd && w->node != v->node;
		}
		m->npackages += pk;
		m->nnodes += nd;
	}
}

/* mc_order: the other vCPUs than src in order o. */
static unsigned *
mc_order(const struct hb_run *run, unsigned src, enum hb_order o)
{
	const struct hb_topology *t = run->topo;
	unsigned n = 0, *out;
	struct cand *c, *tmp;

	c = calloc(t->nvcpus, sizeof(*c));
	tmp = calloc(t->nvcpus, sizeof(*tmp));
	out = calloc(t->nvcpus, sizeof(*out));
	if (c == NULL || tmp == NULL || out == NULL) {
		fprintf(stderr, "ipibench: multicast: out of memory\n");
		exit(1);
	}
	const int srckey[3] = { t->vcpus[src].package, t->vcpus[src].node,
	    t->vcpus[src].core };

	for (unsigned i = 0; i < t->nvcpus; i++) {
		const struct hb_vcpu *v = &t->vcpus[i];
		bool same;

		if (v->index == src)
			continue;
		c[n].index = v->index;
		c[n].cls = (int)hb_pair_classify(t, t->vcpus[src].pu, v->pu,
		    &same);
		c[n].key[0] = v->package;
		c[n].key[1] = v->node;
		c[n].key[2] = v->core;
		n++;
	}
	if (o == HB_ORDER_NEAR)
		qsort(c, n, sizeof(*c), near_cmp);
	else
		spread(c, n, 0, tmp, srckey);
	for (unsigned i = 0; i < n; i++)
		out[i] = c[i].index;
	free(c);
	free(tmp);
	return out;
}

static void
mc_add(const struct hb_run *run, const struct hb_group *g)
{
	const struct hb_pick *orders = &run->params->orders;
	const unsigned src = 0;
	unsigned nv = run->topo->nvcpus, ks[HB_COUNTS_MAX];
	unsigned nk;

	if (nv < 2)
		return;
	nk = hb_ulist_resolve(&run->params->fanout, nv - 1, ks, HB_COUNTS_MAX);
	for (unsigned oi = 0; oi < orders->n; oi++) {
		enum hb_order o = (enum hb_order)orders->v[oi];
		unsigned *order = mc_order(run, src, o);

		for (unsigned i = 0; i < nk; i++) {
			struct multicast *m = aligned_alloc(CACHE_LINE_SIZE,
			    sizeof(*m));

			if (m == NULL)
				goto nomem;
			*m = (struct multicast){ .src = src, .k = ks[i],
			    .nslots = nv };
			m->targets = malloc(ks[i] * sizeof(*m->targets));
			if (m->targets == NULL)
				goto nomem;
			memcpy(m->targets, order, ks[i] * sizeof(*order));
			mc_reach(run->topo, m);
			hb_samples_init(&m->arrivals, 0);
			hb_bench_add(g, mc_body, m, mc_free,
			    "src:%u/k:%u/order:%s", src, ks[i],
			    hb_order_name(o));
		}
		free(order);
	}
	return;
nomem:
	fprintf(stderr, "ipibench: multicast: out of memory\n");
	exit(1);
}

const struct hb_workload hb_workload_multicast = {
	.name = "multicast",
	.summary = "ipi_multicast + ipi_wait to k targets (near or spread), "
	    "with each target's arrival time",
	.kind = HB_KIND_LATENCY,
	.keys = "src,k,order",
	.add = mc_add,
};
