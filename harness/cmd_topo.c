/*
 * cmd_topo.c: `ipibench topo`: the machine, the vCPUs chosen on it,
 * where their IPI state goes, and how many pairs of each class there are.
 *
 * topology.c opens the topology and chooses the vCPUs; placement.c plans
 * where each vCPU's IPI state goes and, on this machine, allocates it,
 * touches it and looks up where it landed.  This file reads what both
 * outputs need from hwloc once, into a small model (struct topo_model),
 * and prints that model as text for a person or as one JSON object for
 * a program.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "placement.h"
#include "topology.h"

struct topo_opts {
	const char *	topology;
	const char *	cpus;
	bool		no_smt;
	enum hb_policy	policy;
	bool		json;
	bool		verbose;
};

static void
topo_usage(FILE *f)
{
	fprintf(f,
"usage: ipibench topo [--topology SRC] [--cpus LIST] [--no-smt]\n"
"                     [--placement POLICY] [--json] [--verbose] [--help]\n"
"\n"
"Shows the machine as hwloc sees it (packages, NUMA nodes, caches, PUs,\n"
"CPU kinds on hybrid parts), the vCPUs a run would use with their PU,\n"
"core, package and NUMA node, where each vCPU's IPI state (mailbox and\n"
"pending words) would live -- planned, and on this machine also measured\n"
"after first touch -- and how many unordered pairs of vCPUs fall in\n"
"each pair class (the type of the PUs' deepest common ancestor: core,\n"
"l1, l2, l3, group, die, package, machine) and share a NUMA node.\n"
"\n"
"options:\n"
"  -t, --topology SRC   where the topology comes from:\n"
"                         (absent)           this machine (default)\n"
"                         FILE               an hwloc 2.x XML export\n"
"                         synthetic:DESC     an hwloc synthetic description,\n"
"                                            e.g. 'synthetic:pack:2 numa:2 core:4 pu:2'\n"
"                       A file or description is for planning: printed,\n"
"                       never bound to, nothing allocated.\n"
"  -c, --cpus LIST      the PUs to use (default: every online PU allowed to\n"
"                       this process, i.e. in its cgroup and affinity mask).\n"
"                       hwloc-calc syntax, items separated by commas or spaces:\n"
"                         0-3,8              PUs by OS index (P#)\n"
"                         core:0-7           logical objects (L#): pu, core,\n"
"                         numa:1             l1, l2, l3, die, group, pack, numa\n"
"                         pack:1.core:0-3    cores 0-3 inside package 1\n"
"                         all                every allowed PU\n"
"                       A PU that is not in the topology, offline or not\n"
"                       allowed is an error naming it.\n"
"      --no-smt         one PU per core: the first selected PU of each core.\n"
"  -p, --placement P    where each vCPU's state goes:\n"
"                         local       on the vCPU's own NUMA node (default)\n"
"                         single      one array on the allocating thread's\n"
"                                     node (the seed's way)\n"
"                         interleave  round-robin over the NUMA nodes\n"
"                         remote      on the farthest node (hwloc latency\n"
"                                     distances), else another node\n"
"      --json           print one JSON object instead of text: pus, cores,\n"
"                       packages, numa_nodes, caches, cpu_kinds, vcpus\n"
"                       (array), pairs, same_numa_pairs, pair_classes\n"
"                       (class -> count), placement.\n"
"  -v, --verbose        one line per vCPU even on large machines (by default\n"
"                       more than 32 vCPUs are grouped into runs).\n"
"  -h, --help           this manual.\n"
"\n"
"vCPUs are numbered in hwloc's tree order (PU logical index), so that\n"
"neighbouring vCPUs are neighbours in the machine.\n"
"\n"
"pair classes: core = SMT siblings; l1, l2, l3 = the deepest thing the two\n"
"PUs share is that cache (an instruction cache counts as the data cache\n"
"above it; an L4/L5 as group); group, die, package; machine = nothing\n"
"nearer.  same NUMA node = the PUs' nodesets are equal.\n"
"\n"
"placement, measured: on this machine each vCPU's state is allocated\n"
"(hwloc_alloc_membind, one arena per node, cache-line slots), touched,\n"
"and looked up with hwloc_get_area_memlocation; a state found on another\n"
"node than planned is reported on stderr.  Where NUMA binding is denied\n"
"(containers) the note says so and first touch places the state.\n"
"\n"
"examples:\n"
"  ipibench topo\n"
"  ipibench topo --cpus core:0-3 --no-smt --placement remote\n"
"  ipibench topo --topology tests/topologies/64amd64-4s2n4ca2co.xml\n"
"  ipibench topo --topology tests/topologies/AMD-19h-Zen4-2xEpyc-9654.xml \\\n"
"      --cpus pack:0.l3:0-1 --json\n"
"  ipibench topo --topology 'synthetic:pack:2 numa:2 core:4 pu:2' --cpus numa:1\n"
"\n"
"exit status: 0 done, 1 run-time failure, 2 bad usage or input.\n");
}

/*
 * Small helpers.
 */

static const char *
fmt_size(unsigned long long b, char *buf, size_t len)
{
	if (b >= (1ULL << 30) && b % (1ULL << 30) == 0)
		snprintf(buf, len, "%llu GiB", b >> 30);
	else if (b >= (10ULL << 30))
		snprintf(buf, len, "%.0f GiB", (double)b / (1 << 30));
	else if (b >= (1ULL << 30))
		snprintf(buf, len, "%.1f GiB", (double)b / (1 << 30));
	else if (b >= (1ULL << 20) && b % (1ULL << 20) == 0)
		snprintf(buf, len, "%llu MiB", b >> 20);
	else if (b >= (1ULL << 10))
		snprintf(buf, len, "%llu KiB", b >> 10);
	else
		snprintf(buf, len, "%llu B", b);
	return buf;
}

/* node_str: a number, or "-" for none (-1: not in this topology). */
static const char *
node_str(int n, char *buf, size_t len)
{
	if (n < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%d", n);
	return buf;
}

/* json_index: `, "KEY": N`, or null for none (N -1). */
static void
json_index(FILE *f, const char *key, int n)
{
	if (n < 0)
		fprintf(f, ", \"%s\": null", key);
	else
		fprintf(f, ", \"%s\": %d", key, n);
}

/* A set in full (hb_setstr would cut a long one short). */
static void
json_set(FILE *f, hwloc_const_bitmap_t s)
{
	char *str = NULL;

	if (hwloc_bitmap_list_asprintf(&str, s) < 0 || str == NULL) {
		fputs("null", f);
		return;
	}
	hb_json_str(f, str);
	free(str);
}

/*
 * The model: every fact either output prints, read from hwloc once
 * (model_build).  The printers below only format it.
 */

/*
 * A cache depth, with its distinct (size, PUs each) variants (hybrid
 * parts have two kinds of L2).
 */
#define	MAX_VARIANTS		4
#define	MAX_CACHE_LEVELS	16
struct cache_level {
	char		name[16];	/* "L2", "L1i" */
	int		count;
	unsigned	nvar;
	struct {
		unsigned long long size;
		int	pus;
		int	count;
	} var[MAX_VARIANTS];
};

struct topo_node {
	unsigned	os_index;
	unsigned	logical_index;
	hwloc_const_bitmap_t cpuset;	/* hwloc's */
	int		package;	/* L# of the package holding its PUs,
					 * -1 none */
	unsigned long long memory;	/* local memory in bytes, 0 unknown */
};

struct topo_kind {
	const char *	name;		/* t->kinds[k] */
	int		efficiency;	/* -1 unknown */
	hwloc_bitmap_t	cpuset;
	unsigned	ninfos;
	struct hwloc_info_s *infos;	/* hwloc's */
};

struct topo_model {
	const char *	source;
	bool		thissystem;
	char		summary[160];	/* hb_topology_summary */
	int		packages, cores, pus;
	int		pus_online, pus_complete, pus_usable;
	hwloc_const_bitmap_t usable;	/* t's */
	hwloc_bitmap_t	offline;	/* complete, not online; NULL: none */
	struct cache_level caches[MAX_CACHE_LEVELS];
	unsigned	ncaches;
	struct topo_node *nodes;
	int		nnodes;
	struct hwloc_distances_s *dist;	/* NUMA latencies, or NULL */
	bool		hybrid;		/* 2 CPU kinds or more */
	struct topo_kind *kinds;	/* [nkinds], hybrid parts only */
	unsigned	nkinds;
	const struct hb_vcpu *vcpus;	/* t's */
	unsigned	nvcpus;
	int *		l3;		/* per vCPU: L# of its L3, -1 none */
	unsigned long	npairs, same_numa;
	unsigned long	classes[HB_PAIR_NCLASSES];
	const struct hb_placement *pl;
	hwloc_topology_t topo;		/* that dist came from */
};

static int
nobjs(hwloc_topology_t topo, hwloc_obj_type_t type)
{
	return hwloc_get_nbobjs_by_type(topo, type);
}

static int
l3_of(const struct hb_topology *t, int pu)
{
	hwloc_obj_t o = hb_topology_pu(t, pu);
	hwloc_obj_t a = o != NULL ? hwloc_get_ancestor_obj_by_type(t->topo,
	    HWLOC_OBJ_L3CACHE, o) : NULL;

	return a != NULL ? (int)a->logical_index : -1;
}

static unsigned
collect_caches(hwloc_topology_t topo, struct cache_level *cl, unsigned max)
{
	int depth = hwloc_topology_get_depth(topo);
	unsigned n = 0;

	for (int d = 0; d < depth && n < max; d++) {
		hwloc_obj_type_t type = hwloc_get_depth_type(topo, d);
		struct cache_level *c;

		if (!hwloc_obj_type_is_cache(type))
			continue;
		c = &cl[n++];
		memset(c, 0, sizeof(*c));
		c->count = hwloc_get_nbobjs_by_depth(topo, d);
		for (int i = 0; i < c->count; i++) {
			hwloc_obj_t o = hwloc_get_obj_by_depth(topo, d,
			    (unsigned)i);
			unsigned long long sz = o->attr->cache.size;
			int pus = hwloc_bitmap_weight(o->cpuset);
			unsigned v;

			if (i == 0)
				hwloc_obj_type_snprintf(c->name,
				    sizeof(c->name), o, 0);
			for (v = 0; v < c->nvar; v++)
				if (c->var[v].size == sz && c->var[v].pus == pus)
					break;
			if (v == c->nvar) {
				if (c->nvar == MAX_VARIANTS)
					continue;
				c->nvar++;
				c->var[v].size = sz;
				c->var[v].pus = pus;
			}
			c->var[v].count++;
		}
	}
	return n;
}

static int
collect_nodes(hwloc_topology_t topo, struct topo_model *m)
{
	int nn = nobjs(topo, HWLOC_OBJ_NUMANODE);

	m->nodes = calloc(nn > 0 ? (size_t)nn : 1, sizeof(*m->nodes));
	if (m->nodes == NULL)
		return -1;
	m->nnodes = nn;
	for (int i = 0; i < nn; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(topo,
		    HWLOC_OBJ_NUMANODE, (unsigned)i);
		hwloc_obj_t pk = o->cpuset != NULL && !hwloc_bitmap_iszero(
		    o->cpuset) ? hwloc_get_obj_covering_cpuset(topo,
		    o->cpuset) : NULL;
		struct topo_node *n = &m->nodes[i];

		while (pk != NULL && pk->type != HWLOC_OBJ_PACKAGE)
			pk = pk->parent;
		n->os_index = o->os_index;
		n->logical_index = o->logical_index;
		n->cpuset = o->cpuset;
		n->package = pk != NULL ? (int)pk->logical_index : -1;
		n->memory = o->attr->numanode.local_memory;
	}
	return 0;
}

/* The latency distance matrix between NUMA nodes, or NULL. */
static struct hwloc_distances_s *
get_distances(hwloc_topology_t topo)
{
	struct hwloc_distances_s *d = NULL;
	unsigned nr = 1;

	if (hwloc_distances_get_by_type(topo, HWLOC_OBJ_NUMANODE, &nr, &d,
	    HWLOC_DISTANCES_KIND_MEANS_LATENCY, 0) != 0 || nr == 0)
		return NULL;
	return d;
}

static int
collect_kinds(const struct hb_topology *t, struct topo_model *m)
{
	m->hybrid = t->nkinds >= 2;
	if (!m->hybrid)
		return 0;
	m->kinds = calloc(t->nkinds, sizeof(*m->kinds));
	if (m->kinds == NULL)
		return -1;
	for (unsigned k = 0; k < t->nkinds; k++) {
		struct topo_kind *kd = &m->kinds[m->nkinds];

		kd->cpuset = hwloc_bitmap_alloc();
		if (kd->cpuset == NULL)
			return -1;
		kd->efficiency = -1;
		if (hwloc_cpukinds_get_info(t->topo, k, kd->cpuset,
		    &kd->efficiency, &kd->ninfos, &kd->infos, 0) != 0) {
			hwloc_bitmap_free(kd->cpuset);
			kd->cpuset = NULL;
			continue;
		}
		kd->name = t->kinds[k];
		m->nkinds++;
	}
	return 0;
}

static void
model_free(struct topo_model *m)
{
	hwloc_bitmap_free(m->offline);
	free(m->nodes);
	if (m->dist != NULL)
		hwloc_distances_release(m->topo, m->dist);
	for (unsigned k = 0; k < m->nkinds; k++)
		hwloc_bitmap_free(m->kinds[k].cpuset);
	free(m->kinds);
	free(m->l3);
}

/*
 * model_build: read t (and pl) into m.
 * => t and pl must outlive m (m points into them and into t's hwloc
 *    topology); free m with model_free.
 * => Returns 0; or -1 when out of memory.
 */
static int
model_build(struct topo_model *m, const struct hb_topology *t,
    const struct hb_placement *pl)
{
	hwloc_obj_t root = hwloc_get_root_obj(t->topo);

	memset(m, 0, sizeof(*m));
	m->topo = t->topo;
	m->source = t->source;
	m->thissystem = t->thissystem;
	hb_topology_summary(t, m->summary, sizeof(m->summary));
	m->packages = nobjs(t->topo, HWLOC_OBJ_PACKAGE);
	m->cores = nobjs(t->topo, HWLOC_OBJ_CORE);
	m->pus = nobjs(t->topo, HWLOC_OBJ_PU);
	m->pus_online = hwloc_bitmap_weight(root->cpuset);
	m->pus_complete = hwloc_bitmap_weight(root->complete_cpuset);
	m->usable = t->usable;
	m->pus_usable = hwloc_bitmap_weight(t->usable);
	if (m->pus_complete != m->pus_online) {
		m->offline = hwloc_bitmap_alloc();
		if (m->offline == NULL)
			return -1;
		hwloc_bitmap_andnot(m->offline, root->complete_cpuset,
		    root->cpuset);
	}
	m->ncaches = collect_caches(t->topo, m->caches, MAX_CACHE_LEVELS);
	if (collect_nodes(t->topo, m) != 0 || collect_kinds(t, m) != 0)
		return -1;
	m->dist = get_distances(t->topo);

	m->vcpus = t->vcpus;
	m->nvcpus = t->nvcpus;
	m->l3 = calloc(t->nvcpus > 0 ? t->nvcpus : 1, sizeof(*m->l3));
	if (m->l3 == NULL)
		return -1;
	for (unsigned i = 0; i < t->nvcpus; i++)
		m->l3[i] = l3_of(t, t->vcpus[i].pu);
	m->npairs = hb_topology_pair_counts(t, m->classes, &m->same_numa);
	m->pl = pl;
	return 0;
}

/*
 * Text output.
 */

static void
print_machine(const struct topo_model *m)
{
	struct hwloc_distances_s *d = m->dist;
	char b1[256], b2[64];

	if (m->thissystem)
		printf("topology    this machine\n");
	else
		printf("topology    %s (planning only: not this machine, "
		    "nothing is bound or allocated)\n", m->source);
	printf("machine     %s", m->summary);
	if (m->offline != NULL)
		printf("; %d PUs offline (%s)", m->pus_complete - m->pus_online,
		    hb_setstr(m->offline, b1, sizeof(b1)));
	if (m->pus_usable != m->pus_online)
		printf("; %d allowed (%s)", m->pus_usable,
		    hb_setstr(m->usable, b1, sizeof(b1)));
	printf("\n");

	for (unsigned i = 0; i < m->ncaches; i++) {
		const struct cache_level *c = &m->caches[i];

		printf("%s%-4s", i == 0 ? "caches      " : "            ",
		    c->name);
		if (c->nvar > 1)
			printf(" %d:", c->count);
		for (unsigned v = 0; v < c->nvar; v++)
			printf("%s%3d x %s, %d PU%s each",
			    v == 0 ? " " : "; ", c->var[v].count,
			    c->var[v].size == 0 ? "size unknown" :
			    fmt_size(c->var[v].size, b2, sizeof(b2)),
			    c->var[v].pus, c->var[v].pus == 1 ? "" : "s");
		printf("\n");
	}

	for (int i = 0; i < m->nnodes; i++) {
		const struct topo_node *n = &m->nodes[i];

		printf("%s P#%-3u PUs %s", i == 0 ? "NUMA nodes  node" :
		    "            node", n->os_index,
		    hb_setstr(n->cpuset, b1, sizeof(b1)));
		if (n->package >= 0)
			printf(", package %d", n->package);
		if (n->memory > 0)
			printf(", %s", fmt_size(n->memory, b2, sizeof(b2)));
		printf("\n");
	}

	if (d != NULL && d->nbobjs > 1 && d->nbobjs <= 16) {
		printf("distances   NUMA latency (relative, by node P#):\n"
		    "            %5s", "");
		for (unsigned j = 0; j < d->nbobjs; j++)
			printf(" %4u", d->objs[j]->os_index);
		printf("\n");
		for (unsigned i = 0; i < d->nbobjs; i++) {
			printf("            %5u", d->objs[i]->os_index);
			for (unsigned j = 0; j < d->nbobjs; j++)
				printf(" %4llu", (unsigned long long)
				    d->values[i * d->nbobjs + j]);
			printf("\n");
		}
	} else if (d != NULL && d->nbobjs > 16) {
		printf("distances   NUMA latency matrix %ux%u (see --json or "
		    "lstopo --distances)\n", d->nbobjs, d->nbobjs);
	}

	for (unsigned k = 0; k < m->nkinds; k++) {
		const struct topo_kind *kd = &m->kinds[k];

		printf("%s%-9s PUs %s, efficiency %s",
		    k == 0 ? "CPU kinds   " : "            ", kd->name,
		    hb_setstr(kd->cpuset, b1, sizeof(b1)),
		    kd->efficiency < 0 ? "unknown" :
		    node_str(kd->efficiency, b2, sizeof(b2)));
		for (unsigned j = 0; j < kd->ninfos; j++)
			printf(", %s %s", kd->infos[j].name,
			    kd->infos[j].value);
		printf("\n");
	}
}

static void
print_vcpus(const struct topo_model *m, const struct topo_opts *o)
{
	const struct hb_placement *pl = m->pl;
	char pb[16], ab[16];

	printf("\nvCPUs       %u selected (%s%s), in hwloc tree order\n",
	    m->nvcpus, o->cpus != NULL ? "--cpus " : "every allowed PU",
	    o->cpus != NULL ? o->cpus : "");
	if (o->no_smt)
		printf("            --no-smt: one PU per core\n");
	printf("            PU: OS index (P#); core, pack, L3: logical (L#); "
	    "node: P#;\n            planned/measured: node (P#) of the vCPU's "
	    "IPI state; -: none in this topology\n");

	if (o->verbose || m->nvcpus <= 32) {
		printf("  %5s %5s %5s %5s %4s %4s %s%7s %8s\n", "vCPU", "PU",
		    "core", "pack", "L3", "node",
		    m->hybrid ? "kind       " : "", "planned", "measured");
		for (unsigned i = 0; i < m->nvcpus; i++) {
			const struct hb_vcpu *v = &m->vcpus[i];
			char cb[16], kb[16], lb[16], nb[16];

			node_str(pl->planned_node[i], pb, sizeof(pb));
			node_str(pl->actual_node[i], ab, sizeof(ab));
			printf("  %5u %5d %5s %5s %4s %4s ", v->index, v->pu,
			    node_str(v->core, cb, sizeof(cb)),
			    node_str(v->package, kb, sizeof(kb)),
			    node_str(m->l3[i], lb, sizeof(lb)),
			    node_str(v->node, nb, sizeof(nb)));
			if (m->hybrid)
				printf("%-10s ", v->kind ? v->kind : "-");
			printf("%7s %8s\n", pb, m->thissystem ? ab : "n/a");
		}
		return;
	}

	/* Runs of vCPUs that share package, L3, node, kind and placement. */
	printf("  %-9s %-21s %-11s %4s %4s %4s %s%7s %8s\n", "vCPUs", "PUs",
	    "cores", "pack", "L3", "node", m->hybrid ? "kind       " : "",
	    "planned", "measured");
	hwloc_bitmap_t pus = hwloc_bitmap_alloc();
	hwloc_bitmap_t cores = hwloc_bitmap_alloc();
	for (unsigned i = 0; i < m->nvcpus && pus != NULL && cores != NULL;) {
		const struct hb_vcpu *v = &m->vcpus[i];
		unsigned j = i;
		char r[24], b1[64], b2[64], kb[16], lb[16], nb[16];

		hwloc_bitmap_zero(pus);
		hwloc_bitmap_zero(cores);
		for (; j < m->nvcpus; j++) {
			const struct hb_vcpu *w = &m->vcpus[j];

			if (w->package != v->package || w->node != v->node ||
			    m->l3[j] != m->l3[i] || w->kind != v->kind ||
			    pl->planned_node[j] != pl->planned_node[i] ||
			    pl->actual_node[j] != pl->actual_node[i])
				break;
			hwloc_bitmap_set(pus, (unsigned)w->pu);
			if (w->core >= 0)
				hwloc_bitmap_set(cores, (unsigned)w->core);
		}
		if (j - i == 1)
			snprintf(r, sizeof(r), "%u", i);
		else
			snprintf(r, sizeof(r), "%u-%u", i, j - 1);
		node_str(pl->planned_node[i], pb, sizeof(pb));
		node_str(pl->actual_node[i], ab, sizeof(ab));
		printf("  %-9s %-21s %-11s %4s %4s %4s ", r,
		    hb_setstr(pus, b1, sizeof(b1)),
		    hwloc_bitmap_iszero(cores) ? "-" :
		    hb_setstr(cores, b2, sizeof(b2)),
		    node_str(v->package, kb, sizeof(kb)),
		    node_str(m->l3[i], lb, sizeof(lb)),
		    node_str(v->node, nb, sizeof(nb)));
		if (m->hybrid)
			printf("%-10s ", v->kind ? v->kind : "-");
		printf("%7s %8s\n", pb, m->thissystem ? ab : "n/a");
		i = j;
	}
	hwloc_bitmap_free(pus);
	hwloc_bitmap_free(cores);
}

static void
print_pairs(const struct topo_model *m)
{
	bool first = true;

	printf("\npairs       %lu unordered vCPU pairs by deepest shared level:",
	    m->npairs);
	for (unsigned c = 0; c < HB_PAIR_NCLASSES; c++) {
		if (m->classes[c] == 0)
			continue;
		printf("%s %s %lu", first ? "" : ",",
		    hb_pair_class_name((enum hb_pair_class)c), m->classes[c]);
		first = false;
	}
	if (first)
		printf(" none (one vCPU)");
	printf("\n            same NUMA node: %lu, different: %lu\n",
	    m->same_numa, m->npairs - m->same_numa);
}

static void
print_placement(const struct topo_model *m)
{
	const struct hb_placement *pl = m->pl;
	unsigned bad = hb_placement_mismatches(pl), unknown = 0;

	for (unsigned i = 0; i < pl->n; i++)
		unknown += pl->actual_node[i] < 0;
	printf("placement   %s", hb_policy_name(pl->policy));
	switch (pl->policy) {
	case HB_PLACE_LOCAL:
		printf(": each vCPU's state on its own NUMA node");
		break;
	case HB_PLACE_SINGLE:
		printf(": one array on the allocating thread's node (the "
		    "seed's way)");
		break;
	case HB_PLACE_INTERLEAVE:
		printf(": vCPU states round-robin over the NUMA nodes");
		break;
	case HB_PLACE_REMOTE:
		printf(": each vCPU's state on the node farthest from it");
		break;
	default:
		break;
	}
	printf("\n");
	if (pl->note != NULL)
		printf("            note: %s\n", pl->note);
	if (!m->thissystem) {
		printf("            planned only (planning topology): nothing "
		    "allocated\n");
		return;
	}
	printf("            %u slot%s of %zu bytes in %u arena%s, %s\n"
	    "            measured after first touch: ", pl->n,
	    pl->n == 1 ? "" : "s",
	    (size_t)IPI_PERCPU_SIZE, pl->narenas, pl->narenas == 1 ? "" : "s",
	    pl->bound ? "bound with hwloc_alloc_membind(BIND, STRICT)" :
	    "not bound (first touch)");
	if (bad == 0 && unknown == 0)
		printf("every state on its planned node\n");
	else
		printf("%u on another node than planned, %u unknown\n", bad,
		    unknown);
	if (bad > 0)
		fprintf(stderr, "ipibench topo: WARNING: %u of %u vCPU states "
		    "are NOT on the node that placement %s planned (see the "
		    "'measured' column)\n", bad, pl->n,
		    hb_policy_name(pl->policy));
}

/*
 * JSON output.
 */

static void
print_json(const struct topo_model *m, const struct topo_opts *o)
{
	const struct hb_placement *pl = m->pl;
	struct hwloc_distances_s *d = m->dist;
	FILE *f = stdout;

	fprintf(f, "{\n  \"source\": ");
	hb_json_str(f, m->source);
	fprintf(f, ",\n  \"thissystem\": %s,\n", m->thissystem ? "true" :
	    "false");
	fprintf(f, "  \"packages\": %d,\n  \"cores\": %d,\n  \"pus\": %d,\n",
	    m->packages, m->cores, m->pus);
	fprintf(f, "  \"pus_online\": %d,\n  \"pus_complete\": %d,\n"
	    "  \"pus_usable\": %d,\n", m->pus_online, m->pus_complete,
	    m->pus_usable);
	fprintf(f, "  \"usable_cpuset\": ");
	json_set(f, m->usable);
	fprintf(f, ",\n  \"numa_nodes\": %d,\n  \"nodes\": [", m->nnodes);
	for (int i = 0; i < m->nnodes; i++) {
		const struct topo_node *n = &m->nodes[i];

		fprintf(f, "%s\n    {\"os_index\": %u, \"logical_index\": %u, "
		    "\"cpuset\": ", i ? "," : "", n->os_index,
		    n->logical_index);
		json_set(f, n->cpuset);
		fprintf(f, ", \"local_memory\": %llu}", n->memory);
	}
	fprintf(f, "\n  ],\n  \"caches\": [");
	for (unsigned i = 0; i < m->ncaches; i++) {
		const struct cache_level *c = &m->caches[i];

		fprintf(f, "%s\n    {\"type\": ", i ? "," : "");
		hb_json_str(f, c->name);
		fprintf(f, ", \"count\": %d, \"variants\": [", c->count);
		for (unsigned v = 0; v < c->nvar; v++) {
			fprintf(f, "%s{\"count\": %d, \"size\": ", v ? ", " :
			    "", c->var[v].count);
			if (c->var[v].size == 0)	/* unknown */
				fprintf(f, "null");
			else
				fprintf(f, "%llu", c->var[v].size);
			fprintf(f, ", \"pus_each\": %d}", c->var[v].pus);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n  ],\n  \"distances\": ");
	if (d == NULL) {
		fprintf(f, "null");
	} else {
		fprintf(f, "{\"nodes\": [");
		for (unsigned i = 0; i < d->nbobjs; i++)
			fprintf(f, "%s%u", i ? ", " : "", d->objs[i]->os_index);
		fprintf(f, "], \"latency\": [");
		for (unsigned i = 0; i < d->nbobjs; i++) {
			fprintf(f, "%s[", i ? ", " : "");
			for (unsigned j = 0; j < d->nbobjs; j++)
				fprintf(f, "%s%llu", j ? ", " : "",
				    (unsigned long long)
				    d->values[i * d->nbobjs + j]);
			fprintf(f, "]");
		}
		fprintf(f, "]}");
	}
	fprintf(f, ",\n  \"cpu_kinds\": [");
	for (unsigned k = 0; k < m->nkinds; k++) {
		const struct topo_kind *kd = &m->kinds[k];

		fprintf(f, "%s\n    {\"name\": ", k ? "," : "");
		hb_json_str(f, kd->name);
		json_index(f, "efficiency", kd->efficiency);
		fprintf(f, ", \"cpuset\": ");
		json_set(f, kd->cpuset);
		fprintf(f, ", \"infos\": {");
		for (unsigned j = 0; j < kd->ninfos; j++) {
			fprintf(f, "%s", j ? ", " : "");
			hb_json_str(f, kd->infos[j].name);
			fprintf(f, ": ");
			hb_json_str(f, kd->infos[j].value);
		}
		fprintf(f, "}}");
	}
	if (m->hybrid)
		fprintf(f, "\n  ");
	fprintf(f, "],\n  \"selection\": {\"cpus\": ");
	hb_json_str(f, o->cpus);
	fprintf(f, ", \"no_smt\": %s},\n", o->no_smt ? "true" : "false");
	fprintf(f, "  \"vcpus\": [");
	for (unsigned i = 0; i < m->nvcpus; i++) {
		const struct hb_vcpu *v = &m->vcpus[i];

		fprintf(f, "%s\n    {\"index\": %u, \"pu\": %d, "
		    "\"pu_logical\": %d", i ? "," : "",
		    v->index, v->pu, v->pu_logical);
		json_index(f, "core", v->core);
		json_index(f, "package", v->package);
		json_index(f, "l3", m->l3[i]);
		json_index(f, "node", v->node);
		fprintf(f, ", \"kind\": ");
		hb_json_str(f, v->kind);
		json_index(f, "state_node_planned", pl->planned_node[i]);
		json_index(f, "state_node_measured", pl->actual_node[i]);
		fprintf(f, "}");
	}
	fprintf(f, "\n  ],\n  \"pairs\": %lu,\n  \"same_numa_pairs\": %lu,\n"
	    "  \"pair_classes\": {", m->npairs, m->same_numa);
	for (unsigned c = 0; c < HB_PAIR_NCLASSES; c++)
		fprintf(f, "%s\"%s\": %lu", c ? ", " : "",
		    hb_pair_class_name((enum hb_pair_class)c), m->classes[c]);
	fprintf(f, "},\n  \"placement\": {\"policy\": ");
	hb_json_str(f, hb_policy_name(pl->policy));
	fprintf(f, ", \"note\": ");
	hb_json_str(f, pl->note);
	fprintf(f, ", \"allocated\": %s, \"bound\": %s, "
	    "\"membind_denied\": %s, \"arenas\": %u, \"slot_size\": %zu, "
	    "\"mismatches\": %u}\n}\n",
	    m->thissystem ? "true" : "false", pl->bound ? "true" : "false",
	    pl->membind_denied ? "true" : "false", pl->narenas,
	    (size_t)IPI_PERCPU_SIZE, hb_placement_mismatches(pl));
}

int
cmd_topo(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "topology",	required_argument, NULL, 't' },
		{ "cpus",	required_argument, NULL, 'c' },
		{ "no-smt",	no_argument,	   NULL, 'S' },
		{ "placement",	required_argument, NULL, 'p' },
		{ "json",	no_argument,	   NULL, 'J' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct topo_opts o = { .policy = HB_PLACE_LOCAL };
	struct hb_topology *t = NULL;
	struct hb_placement *pl = NULL;
	struct topo_model m;
	char err[512];
	int c;

	optind = 0;	/* GNU: start afresh */
	opterr = 0;	/* our own messages, naming the option */
	while ((c = getopt_long(argc, argv, ":t:c:p:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			o.topology = optarg;
			break;
		case 'c':
			o.cpus = optarg;
			break;
		case 'S':
			o.no_smt = true;
			break;
		case 'p':
			if (hb_policy_parse(optarg, &o.policy) != 0) {
				fprintf(stderr, "ipibench topo: --placement "
				    "'%s': unknown policy (expected local, "
				    "single, interleave or remote)\n", optarg);
				return 2;
			}
			break;
		case 'J':
			o.json = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			topo_usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "ipibench topo: option '%s' needs a "
			    "value (see --help)\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "ipibench topo: unknown option '%s' "
			    "(see --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ipibench topo: unexpected argument '%s' (topo "
		    "takes options only; see --help)\n", argv[optind]);
		return 2;
	}

	if (hb_topology_open(o.topology, &t, err, sizeof(err)) != 0) {
		fprintf(stderr, "ipibench topo: %s\n", err);
		return 2;
	}
	if (hb_topology_select(t, o.cpus, o.no_smt, err, sizeof(err)) != 0) {
		fprintf(stderr, "ipibench topo: %s\n", err);
		hb_topology_close(t);
		return 2;
	}
	if (hb_placement_create(t, o.policy, &pl, err, sizeof(err)) != 0) {
		fprintf(stderr, "ipibench topo: %s\n", err);
		hb_topology_close(t);
		return 1;
	}
	if (model_build(&m, t, pl) != 0) {
		fprintf(stderr, "ipibench topo: out of memory\n");
		model_free(&m);
		hb_placement_destroy(pl);
		hb_topology_close(t);
		return 1;
	}

	if (o.json) {
		print_json(&m, &o);
		if (hb_placement_mismatches(pl) > 0)
			fprintf(stderr, "ipibench topo: WARNING: %u of %u vCPU "
			    "states are NOT on the node that placement %s "
			    "planned\n", hb_placement_mismatches(pl), pl->n,
			    hb_policy_name(pl->policy));
	} else {
		print_machine(&m);
		print_vcpus(&m, &o);
		print_pairs(&m);
		print_placement(&m);
	}
	model_free(&m);
	hb_placement_destroy(pl);
	hb_topology_close(t);
	return 0;
}
