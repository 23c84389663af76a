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
 * The timed window is ipi_multicast() + ipi_wait() alone; the message's
 * function only stamps, and the stamps split the window (stamps.h, the
 * join after each batch): deliver_p50_ns / deliver_p99_ns (post -> the
 * function's start, over targets and operations), ack_p50_ns /
 * ack_p99_ns (post -> the last target's end of the function, just
 * before its _pending decrement) and wait_overhead_p50_ns (that last
 * ack -> ipi_wait() seen it).
 * target_packages / target_nodes: how many packages and NUMA nodes the
 * k targets are on (the order's reach: spread k = 2 on two packages
 * gives 2, near gives 1), from the run's topology (also a simulated
 * one).
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
#include "workloads/stamps.h"

struct multicast {
	struct stamps	st;		/* the message, on its own line */
	/* the sender's */
	_Alignas(CACHE_LINE_SIZE) unsigned src, k;
	unsigned *	targets;	/* k of them */
	kcpuset_t	set;
	unsigned	npackages, nnodes;	/* of the targets */
};

/* mc_func: the message's function, on each target: its stamps only. */
static void
mc_func(void *arg)
{
	struct multicast *m = arg;

	stamps_end(&m->st, stamps_start(&m->st));
}

/* mc_op: on src: one multicast and every acknowledgement. */
static uint64_t
mc_op(void *arg)
{
	struct multicast *m = arg;
	uint64_t t0, t1;

	stamps_next(&m->st);
	t0 = hb_now();
	ipi_multicast(&m->st.msg, &m->set);
	ipi_wait(&m->st.msg);
	t1 = hb_now();
	stamps_sent(&m->st, t0, t1);
	return t1 - t0;
}

static void
mc_body(struct hb_bench *b, void *arg)
{
	struct multicast *m = arg;

	if (m->src >= ncpu || m->k == 0 || m->k >= ncpu) {
		hb_bench_error(b, "multicast: src %u, k %u on %u vCPUs",
		    m->src, m->k, ncpu);
		return;
	}
	if (!stamps_setup(&m->st, b, "multicast", m->src, m->targets, m->k))
		return;		/* also: a target not below ncpu */
	kcpuset_zero(&m->set);
	for (unsigned i = 0; i < m->k; i++)
		kcpuset_set(&m->set, m->targets[i]);
	m->st.msg.func = mc_func;
	m->st.msg.arg = m;

	struct hb_op op = {
		.sender = cpu_lookup(m->src),
		.op = mc_op,
		.arg = m,
		.batch_begin = stamps_batch_begin,
		.batch_end = stamps_batch_end,
		.batch_arg = &m->st,
		.perf_cpus = m->targets,
		.nperf_cpus = m->k,
		.wait_asleep = true,
	};
	hb_measure(b, &op);
	if (stamps_report(&m->st, b, "multicast")) {
		hb_bench_counter(b, "target_packages", m->npackages);
		hb_bench_counter(b, "target_nodes", m->nnodes);
	}
	stamps_release(&m->st);
}

static void
mc_free(void *arg)
{
	struct multicast *m = arg;

	free(m->targets);
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
			*m = (struct multicast){ .src = src, .k = ks[i] };
			m->targets = malloc(ks[i] * sizeof(*m->targets));
			if (m->targets == NULL)
				goto nomem;
			memcpy(m->targets, order, ks[i] * sizeof(*order));
			mc_reach(run->topo, m);
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
	    "with delivery and acknowledgement times",
	.kind = HB_KIND_LATENCY,
	.keys = "src,k,order",
	.backoff = true,
	.reference = HB_REF_FANOUT,
	.add = mc_add,
};
