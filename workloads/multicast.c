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
 * Arrival: the message's function records hb_now() in the running
 * vCPU's own slot (one cache line per vCPU, so targets do not contend
 * with each other); after ipi_wait() (acquire) the sender reads the
 * targets' slots and keeps slot - post time as an arrival sample:
 * arrival_p50_ns / arrival_max_ns are over targets and operations.
 * The TSC is synchronised across cores on the machines this runs on
 * (invariant TSC); a slot earlier than the post counts as 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench.h"
#include "harness/timer.h"
#include "harness/workload.h"
#include "ipi/ipi.h"
#include "ipi/vcpu.h"

struct mc_slot {
	_Alignas(CACHE_LINE_SIZE) _Atomic uint64_t t;	/* handler start */
};

struct multicast {
	_Alignas(CACHE_LINE_SIZE) ipi_msg_t msg;	/* alone on its line */
	_Alignas(CACHE_LINE_SIZE) unsigned src, k;
	unsigned	nslots;
	unsigned *	targets;	/* k of them */
	kcpuset_t	set;
	struct mc_slot *slots;		/* nslots, indexed by cpu_index() */
	struct hb_samples arrivals;	/* ticks, on the sender */
	uint64_t	arrival_max;
};

/* mc_func: on each target: when the message's function ran. */
static void
mc_func(void *arg)
{
	struct multicast *m = arg;
	uint64_t now = hb_now();

	atomic_store_explicit(&m->slots[cpu_index(curcpu())].t, now,
	    memory_order_relaxed);
}

/* mc_op: on src: one multicast and every acknowledgement. */
static uint64_t
mc_op(void *arg)
{
	struct multicast *m = arg;
	uint64_t t0, t1;

	t0 = hb_now();
	ipi_multicast(&m->msg, &m->set);
	ipi_wait(&m->msg);
	t1 = hb_now();
	/* ipi_wait's acquire orders the targets' slot stores before us. */
	for (unsigned i = 0; i < m->k; i++) {
		uint64_t t = atomic_load_explicit(&m->slots[m->targets[i]].t,
		    memory_order_relaxed);
		uint64_t d = t > t0 ? t - t0 : 0;

		hb_samples_push(&m->arrivals, d);
		if (d > m->arrival_max)
			m->arrival_max = d;
	}
	return t1 - t0;
}

static void
mc_body(struct hb_bench *b, void *arg)
{
	struct multicast *m = arg;
	struct hb_summary sum;

	if (m->src >= ncpu || m->k == 0 || m->k >= ncpu ||
	    m->nslots < ncpu) {
		hb_bench_error(b, "multicast: src %u, k %u on %u vCPUs",
		    m->src, m->k, ncpu);
		return;
	}
	kcpuset_zero(&m->set);
	for (unsigned i = 0; i < m->k; i++)
		kcpuset_set(&m->set, m->targets[i]);
	m->msg.func = mc_func;
	m->msg.arg = m;
	hb_samples_reset(&m->arrivals);
	m->arrival_max = 0;

	struct hb_op op = {
		.sender = cpu_lookup(m->src),
		.op = mc_op,
		.arg = m,
		.perf_cpus = m->targets,
		.nperf_cpus = m->k,
		.wait_asleep = true,
	};
	hb_measure(b, &op);
	if (hb_bench_wedged() || m->arrivals.n == 0)
		return;		/* a stuck job may still push */
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
	free(m->slots);
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

/* mc_order: the other vCPUs than src in order "near" or "spread". */
static unsigned *
mc_order(const struct hb_run *run, unsigned src, const char *order)
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
	if (strcmp(order, "near") == 0)
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
mc_add(const struct hb_run *run, const char *backend, const char *placement)
{
	const unsigned src = 0;
	unsigned nv = run->topo->nvcpus, ks[HB_ULIST_MAX];
	unsigned nk;
	const char *orders = run->params->orders != NULL ?
	    run->params->orders : "near,spread";
	char *list, *save, *o;

	if (nv < 2)
		return;
	nk = hb_ulist_resolve(&run->params->fanout, nv - 1, ks, HB_ULIST_MAX);
	if ((list = strdup(orders)) == NULL)
		goto nomem;
	for (o = strtok_r(list, ",", &save); o != NULL;
	    o = strtok_r(NULL, ",", &save)) {
		unsigned *order;

		if (strcmp(o, "near") != 0 && strcmp(o, "spread") != 0)
			continue;	/* params checked the list */
		order = mc_order(run, src, o);
		for (unsigned i = 0; i < nk; i++) {
			struct multicast *m = aligned_alloc(CACHE_LINE_SIZE,
			    sizeof(*m));

			if (m == NULL)
				goto nomem;
			*m = (struct multicast){ .src = src, .k = ks[i],
			    .nslots = nv };
			m->targets = malloc(ks[i] * sizeof(*m->targets));
			m->slots = aligned_alloc(CACHE_LINE_SIZE,
			    nv * sizeof(*m->slots));
			if (m->targets == NULL || m->slots == NULL)
				goto nomem;
			memcpy(m->targets, order, ks[i] * sizeof(*order));
			memset(m->slots, 0, nv * sizeof(*m->slots));
			hb_samples_init(&m->arrivals, 0);
			hb_bench_add(backend, placement, mc_body, m, mc_free,
			    "multicast/backend:%s/placement:%s/src:%u/k:%u/"
			    "order:%s", backend, placement != NULL ?
			    placement : "local", src, ks[i], o);
		}
		free(order);
	}
	free(list);
	return;
nomem:
	fprintf(stderr, "ipibench: multicast: out of memory\n");
	exit(1);
}

const struct hb_workload hb_workload_multicast = {
	.name = "multicast",
	.summary = "ipi_multicast + ipi_wait to k targets (near or spread), "
	    "with each target's arrival time",
	.yardstick = false,
	.add = mc_add,
};
