/*
 * test_topology.c: topology sources, vCPU selection, pair classes and
 * thread binding (harness/topology.c).
 *
 * Every expectation comes from somewhere else than the code under test:
 * the table of tests/topologies/README.md, hwloc's own objects read here
 * with a separately loaded topology, and counts computed here by another
 * method (climbing parents until an object's cpuset holds the other PU;
 * same NUMA node by which node cpusets hold each PU).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <hwloc.h>

#include "harness/topology.h"

#define	TOPODIR	"tests/topologies/"

/* From tests/topologies/README.md. */
static const struct xml_case {
	const char *file;
	int	packages, pus, nodes, online;
} cases[] = {
	{ "64amd64-4s2n4ca2co.xml",		 4,  64,  8,  64 },
	{ "48amd64-4pa2n6c-sparse.xml",		 4,  48,  8,  48 },
	{ "192em64t-24n8c2t.xml",		24, 384, 24, 384 },
	{ "AMD-19h-Zen4-2xEpyc-9654.xml",	 2, 384,  1, 384 },
	{ "Intel-SapphireRapids-2xXeonMax9460.xml", 2, 160, 1, 160 },
	{ "16em64t-4s2c2t-offlines.xml",	 4,  12,  1,  12 },
	{ "20em64t-hybrid-1p6c2t+2ca4co1t.xml",	 1,  20,  1,  20 },
};
#define	NCASES	(sizeof(cases) / sizeof(cases[0]))

static hwloc_topology_t
load_ref(const char *src)
{
	hwloc_topology_t r;

	cr_assert_eq(hwloc_topology_init(&r), 0);
	hwloc_topology_set_flags(r, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
	if (strncmp(src, "synthetic:", 10) == 0)
		cr_assert_eq(hwloc_topology_set_synthetic(r, src + 10), 0);
	else
		cr_assert_eq(hwloc_topology_set_xml(r, src), 0, "%s", src);
	cr_assert_eq(hwloc_topology_load(r), 0, "%s", src);
	return r;
}

static struct hb_topology *
open_sel(const char *src, const char *cpus, bool no_smt)
{
	struct hb_topology *t;
	char err[512] = "";

	cr_assert_eq(hb_topology_open(src, &t, err, sizeof(err)), 0,
	    "open %s: %s", src ? src : "(this machine)", err);
	cr_assert_eq(hb_topology_select(t, cpus, no_smt, err, sizeof(err)), 0,
	    "select %s on %s: %s", cpus ? cpus : "(all)", src, err);
	return t;
}

/* The error of opening src, or of selecting cpus on it. */
static int
sel_err(const char *src, const char *cpus, bool no_smt, char *err,
    size_t len)
{
	struct hb_topology *t;
	int rc;

	err[0] = '\0';
	if (hb_topology_open(src, &t, err, len) != 0)
		return -1;
	rc = hb_topology_select(t, cpus, no_smt, err, len);
	hb_topology_close(t);
	return rc;
}

/*
 * The independent pair count: for PUs a and b, climb a's ancestors
 * until one's cpuset holds b; skip instruction caches (they hold no
 * data: the pair shares the cache above); map the type as the
 * documentation of hb_pair_classify says.
 */
static int
ref_class(hwloc_obj_t a, hwloc_obj_t b)
{
	hwloc_obj_t o = a->parent;

	while (o != NULL && !hwloc_bitmap_isset(o->cpuset, b->os_index))
		o = o->parent;
	while (o != NULL && (o->type == HWLOC_OBJ_L1ICACHE ||
	    o->type == HWLOC_OBJ_L2ICACHE || o->type == HWLOC_OBJ_L3ICACHE))
		o = o->parent;
	cr_assert_not_null(o, "PUs %u and %u have no common ancestor",
	    a->os_index, b->os_index);
	switch (o->type) {
	case HWLOC_OBJ_CORE:	return HB_PAIR_CORE;
	case HWLOC_OBJ_L1CACHE:	return HB_PAIR_L1;
	case HWLOC_OBJ_L2CACHE:	return HB_PAIR_L2;
	case HWLOC_OBJ_L3CACHE:	return HB_PAIR_L3;
	case HWLOC_OBJ_L4CACHE:
	case HWLOC_OBJ_L5CACHE:
	case HWLOC_OBJ_GROUP:	return HB_PAIR_GROUP;
	case HWLOC_OBJ_DIE:	return HB_PAIR_DIE;
	case HWLOC_OBJ_PACKAGE:	return HB_PAIR_PACKAGE;
	case HWLOC_OBJ_MACHINE:	return HB_PAIR_MACHINE;
	default:
		cr_assert_fail("unexpected ancestor type %s",
		    hwloc_obj_type_string(o->type));
	}
	return -1;
}

/* Same NUMA node: the same set of NUMA nodes' cpusets holds both. */
static bool
ref_same_numa(hwloc_topology_t r, unsigned a, unsigned b)
{
	int nn = hwloc_get_nbobjs_by_type(r, HWLOC_OBJ_NUMANODE);

	for (int i = 0; i < nn; i++) {
		hwloc_obj_t n = hwloc_get_obj_by_type(r, HWLOC_OBJ_NUMANODE,
		    (unsigned)i);

		if (hwloc_bitmap_isset(n->cpuset, a) !=
		    hwloc_bitmap_isset(n->cpuset, b))
			return false;
	}
	return true;
}

/* The node OS index whose cpuset holds PU pu (first in logical order). */
static int
ref_node(hwloc_topology_t r, unsigned pu)
{
	int nn = hwloc_get_nbobjs_by_type(r, HWLOC_OBJ_NUMANODE);
	int best = -1;

	for (int i = 0; i < nn; i++) {
		hwloc_obj_t n = hwloc_get_obj_by_type(r, HWLOC_OBJ_NUMANODE,
		    (unsigned)i);

		if (hwloc_bitmap_isset(n->cpuset, pu) &&
		    (best < 0 || (int)n->os_index < best))
			best = (int)n->os_index;
	}
	return best;
}

/* Compare t's pair counts with the independent count over ref r. */
static void
check_pairs(const struct hb_topology *t, hwloc_topology_t r)
{
	unsigned long got[HB_PAIR_NCLASSES], want[HB_PAIR_NCLASSES] = { 0 };
	unsigned long gsame, wsame = 0, n;

	n = hb_topology_pair_counts(t, got, &gsame);
	cr_assert_eq(n, (unsigned long)t->nvcpus * (t->nvcpus - 1) / 2);
	for (unsigned i = 0; i < t->nvcpus; i++) {
		hwloc_obj_t a = hwloc_get_pu_obj_by_os_index(r,
		    (unsigned)t->vcpus[i].pu);

		cr_assert_not_null(a);
		for (unsigned j = i + 1; j < t->nvcpus; j++) {
			hwloc_obj_t b = hwloc_get_pu_obj_by_os_index(r,
			    (unsigned)t->vcpus[j].pu);

			want[ref_class(a, b)]++;
			wsame += ref_same_numa(r, a->os_index, b->os_index);
		}
	}
	for (unsigned c = 0; c < HB_PAIR_NCLASSES; c++)
		cr_expect_eq(got[c], want[c], "%s: class %s: %lu pairs, "
		    "independent count %lu", t->source,
		    hb_pair_class_name((enum hb_pair_class)c), got[c], want[c]);
	cr_expect_eq(gsame, wsame, "%s: same_numa %lu, independent %lu",
	    t->source, gsame, wsame);
}

/*
 * Every XML: counts, vCPUs, pairs.
 */

Test(topology, xml_counts_and_vcpus, .timeout = 120)
{
	for (unsigned c = 0; c < NCASES; c++) {
		char path[256];
		struct hb_topology *t;
		hwloc_topology_t r;
		hwloc_obj_t pu;
		unsigned k = 0;

		snprintf(path, sizeof(path), TOPODIR "%s", cases[c].file);
		t = open_sel(path, NULL, false);
		r = load_ref(path);

		cr_expect(!t->thissystem, "%s is not this machine", path);
		cr_expect_eq(hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PU),
		    cases[c].pus, "%s: PUs", path);
		cr_expect_eq(hwloc_get_nbobjs_by_type(r, HWLOC_OBJ_PU),
		    cases[c].pus, "%s: hwloc's PUs", path);
		cr_expect_eq(hwloc_get_nbobjs_by_type(t->topo,
		    HWLOC_OBJ_NUMANODE), cases[c].nodes, "%s: nodes", path);
		cr_expect_eq(hwloc_get_nbobjs_by_type(t->topo,
		    HWLOC_OBJ_PACKAGE), cases[c].packages, "%s: packages",
		    path);
		cr_expect_eq(t->nvcpus, (unsigned)cases[c].online,
		    "%s: %u vCPUs, want every online PU (%d)", path, t->nvcpus,
		    cases[c].online);

		/* vCPU i is the i-th online allowed PU in tree order. */
		for (pu = hwloc_get_obj_by_type(r, HWLOC_OBJ_PU, 0); pu != NULL;
		    pu = pu->next_cousin) {
			hwloc_obj_t core, pack;

			if (!hwloc_bitmap_isset(hwloc_topology_get_allowed_cpuset(
			    r), pu->os_index))
				continue;
			cr_assert_lt(k, t->nvcpus);
			cr_expect_eq(t->vcpus[k].index, k);
			cr_expect_eq(t->vcpus[k].pu, (int)pu->os_index,
			    "%s: vCPU %u on PU %d, want %u", path, k,
			    t->vcpus[k].pu, pu->os_index);
			cr_expect_eq(t->vcpus[k].pu_logical,
			    (int)pu->logical_index);
			core = pu->parent;
			while (core != NULL && core->type != HWLOC_OBJ_CORE)
				core = core->parent;
			pack = pu->parent;
			while (pack != NULL && pack->type != HWLOC_OBJ_PACKAGE)
				pack = pack->parent;
			cr_expect_eq(t->vcpus[k].core, core ?
			    (int)core->logical_index : -1);
			cr_expect_eq(t->vcpus[k].package, pack ?
			    (int)pack->logical_index : -1);
			cr_expect_eq(t->vcpus[k].node, ref_node(r, pu->os_index),
			    "%s: vCPU %u node %d, want %d", path, k,
			    t->vcpus[k].node, ref_node(r, pu->os_index));
			k++;
		}
		cr_expect_eq(k, t->nvcpus);
		hwloc_topology_destroy(r);
		hb_topology_close(t);
	}
}

/*
 * The reference is loaded without instruction caches (hwloc's default)
 * while the code under test keeps them: agreeing also checks that an
 * L1i shared by two cores (the Opteron's compute units) counts as the
 * L2 above it.
 */
Test(topology, xml_pair_classes, .timeout = 300)
{
	for (unsigned c = 0; c < NCASES; c++) {
		char path[256];
		struct hb_topology *t;
		hwloc_topology_t r;

		snprintf(path, sizeof(path), TOPODIR "%s", cases[c].file);
		t = open_sel(path, NULL, false);
		r = load_ref(path);
		check_pairs(t, r);
		hwloc_topology_destroy(r);
		hb_topology_close(t);
	}
}

/* Worked out by hand from lstopo: a golden check of the method itself. */
Test(topology, opteron_pairs_by_hand, .timeout = 30)
{
	struct hb_topology *t = open_sel(TOPODIR "64amd64-4s2n4ca2co.xml",
	    NULL, false);
	unsigned long n[HB_PAIR_NCLASSES], same;

	/* 4 packages x 2 L3 (one NUMA node each) x 4 L2 x 2 cores. */
	cr_assert_eq(hb_topology_pair_counts(t, n, &same), 2016);
	cr_expect_eq(n[HB_PAIR_CORE], 0);
	cr_expect_eq(n[HB_PAIR_L2], 32);	/* 32 L2 x 1 pair */
	cr_expect_eq(n[HB_PAIR_L3], 192);	/* 8 x C(8,2) - 32 */
	cr_expect_eq(n[HB_PAIR_PACKAGE], 256);	/* 4 x C(16,2) - 224 */
	cr_expect_eq(n[HB_PAIR_MACHINE], 1536);	/* 2016 - 480 */
	cr_expect_eq(same, 224);		/* 8 nodes x C(8,2) */
	hb_topology_close(t);
}

Test(topology, synthetic, .timeout = 30)
{
	const char *src = "synthetic:pack:2 numa:2 core:4 pu:2";
	struct hb_topology *t = open_sel(src, NULL, false);
	hwloc_topology_t r = load_ref(src);
	unsigned long n[HB_PAIR_NCLASSES], same;
	char sum[128];

	cr_expect(!t->thissystem);
	cr_assert_eq(t->nvcpus, 32);
	cr_expect_eq(hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_NUMANODE), 4);
	/* hwloc puts each NUMA node under a Group: group pairs. */
	cr_assert_eq(hb_topology_pair_counts(t, n, &same), 496);
	cr_expect_eq(n[HB_PAIR_CORE], 16);
	cr_expect_eq(n[HB_PAIR_GROUP], 96);
	cr_expect_eq(n[HB_PAIR_PACKAGE], 128);
	cr_expect_eq(n[HB_PAIR_MACHINE], 256);
	cr_expect_eq(same, 112);
	check_pairs(t, r);
	hb_topology_summary(t, sum, sizeof(sum));
	cr_expect_str_eq(sum, "2 packages, 4 NUMA nodes, 16 cores, 32 PUs");
	hwloc_topology_destroy(r);
	hb_topology_close(t);
}

Test(topology, classify_names, .timeout = 10)
{
	/* The names `ipibench topo --help` and results/README.md give. */
	static const char *const names[HB_PAIR_NCLASSES] = { "core", "l1",
	    "l2", "l3", "group", "die", "package", "machine" };

	for (unsigned i = 0; i < HB_PAIR_NCLASSES; i++)
		cr_expect_str_eq(hb_pair_class_name((enum hb_pair_class)i),
		    names[i]);
	cr_expect_str_eq(hb_pair_class_name(HB_PAIR_NCLASSES), "?");

	/* hb_pair_classify on single pairs of the Zen 4 file. */
	struct hb_topology *t = open_sel(TOPODIR "AMD-19h-Zen4-2xEpyc-9654.xml",
	    NULL, false);
	bool same;

	cr_expect_eq(hb_pair_classify(t, 0, 192, &same), HB_PAIR_CORE);
	cr_expect(same);
	cr_expect_eq(hb_pair_classify(t, 0, 1, &same), HB_PAIR_L3);
	cr_expect_eq(hb_pair_classify(t, 0, 8, &same), HB_PAIR_PACKAGE);
	cr_expect_eq(hb_pair_classify(t, 0, 96, &same), HB_PAIR_MACHINE);
	cr_expect(same);	/* one NUMA node */
	hb_topology_close(t);
}

/*
 * Sparse numbering and offline PUs.
 */

Test(topology, sparse_nodes, .timeout = 30)
{
	const char *path = TOPODIR "48amd64-4pa2n6c-sparse.xml";
	struct hb_topology *t = open_sel(path, "numa:3", false);
	hwloc_topology_t r = load_ref(path);
	hwloc_obj_t n3 = hwloc_get_obj_by_type(r, HWLOC_OBJ_NUMANODE, 3);

	/* Node L#3 is not P#3 in this file. */
	cr_assert_not_null(n3);
	cr_expect_neq(n3->os_index, 3u);
	cr_assert_eq(t->nvcpus, (unsigned)hwloc_bitmap_weight(n3->cpuset));
	for (unsigned i = 0; i < t->nvcpus; i++) {
		cr_expect(hwloc_bitmap_isset(n3->cpuset,
		    (unsigned)t->vcpus[i].pu));
		cr_expect_eq(t->vcpus[i].node, (int)n3->os_index);
		cr_expect_eq(hb_topology_node_of(t, t->vcpus[i].pu),
		    (int)n3->os_index);
	}
	hwloc_topology_destroy(r);
	hb_topology_close(t);
}

Test(topology, offline_pus, .timeout = 30)
{
	const char *path = TOPODIR "16em64t-4s2c2t-offlines.xml";
	struct hb_topology *t = open_sel(path, NULL, false);
	static const int offline[] = { 2, 5, 13, 14 };
	char err[512];

	cr_assert_eq(t->nvcpus, 12);
	for (unsigned i = 0; i < t->nvcpus; i++)
		for (unsigned k = 0; k < 4; k++)
			cr_expect_neq(t->vcpus[i].pu, offline[k]);
	cr_expect_null(hb_topology_pu(t, 2));
	hb_topology_close(t);

	cr_expect_eq(sel_err(path, "2", false, err, sizeof(err)), -1);
	cr_expect(strstr(err, "offline") != NULL && strstr(err, "'2'") != NULL,
	    "%s", err);
	cr_expect_eq(sel_err(path, "0-4", false, err, sizeof(err)), -1);
	cr_expect(strstr(err, "PU 2 offline") != NULL, "%s", err);
	cr_expect_eq(sel_err(path, "16", false, err, sizeof(err)), -1);
	cr_expect(strstr(err, "not in the topology") != NULL, "%s", err);

	/* Cores whose sibling is offline keep their one online PU. */
	t = open_sel(path, NULL, true);
	cr_expect_eq(t->nvcpus, 7);
	hb_topology_close(t);
}

/*
 * --cpus and --no-smt.
 */

/* The set of PUs t selected. */
static void
expect_selected(const struct hb_topology *t, hwloc_const_bitmap_t want,
    const char *what)
{
	hwloc_bitmap_t got = hwloc_bitmap_alloc();
	char g[256], w[256];

	for (unsigned i = 0; i < t->nvcpus; i++) {
		cr_expect(!hwloc_bitmap_isset(got, (unsigned)t->vcpus[i].pu),
		    "%s: PU %d twice", what, t->vcpus[i].pu);
		hwloc_bitmap_set(got, (unsigned)t->vcpus[i].pu);
	}
	hwloc_bitmap_list_snprintf(g, sizeof(g), got);
	hwloc_bitmap_list_snprintf(w, sizeof(w), want);
	cr_expect(hwloc_bitmap_isequal(got, want), "%s: selected %s, want %s",
	    what, g, w);
	hwloc_bitmap_free(got);
}

Test(topology, cpus_syntax, .timeout = 60)
{
	const char *path = TOPODIR "64amd64-4s2n4ca2co.xml";
	hwloc_topology_t r = load_ref(path);
	hwloc_bitmap_t want = hwloc_bitmap_alloc();
	struct hb_topology *t;

	/* OS indexes. */
	t = open_sel(path, "0-3,8", false);
	hwloc_bitmap_zero(want);
	hwloc_bitmap_set_range(want, 0, 3);
	hwloc_bitmap_set(want, 8);
	expect_selected(t, want, "0-3,8");
	hb_topology_close(t);

	/* Logical cores: the union of their cpusets. */
	t = open_sel(path, "core:0-7", false);
	hwloc_bitmap_zero(want);
	for (unsigned i = 0; i < 8; i++)
		hwloc_bitmap_or(want, want, hwloc_get_obj_by_type(r,
		    HWLOC_OBJ_CORE, i)->cpuset);
	expect_selected(t, want, "core:0-7");
	hb_topology_close(t);

	/* A NUMA node, a package, an L3. */
	t = open_sel(path, "numa:1", false);
	expect_selected(t, hwloc_get_obj_by_type(r, HWLOC_OBJ_NUMANODE,
	    1)->cpuset, "numa:1");
	hb_topology_close(t);
	t = open_sel(path, "pack:2", false);
	expect_selected(t, hwloc_get_obj_by_type(r, HWLOC_OBJ_PACKAGE,
	    2)->cpuset, "pack:2");
	hb_topology_close(t);
	t = open_sel(path, "l3:5", false);
	expect_selected(t, hwloc_get_obj_by_type(r, HWLOC_OBJ_L3CACHE,
	    5)->cpuset, "l3:5");
	hb_topology_close(t);

	/* Nested: cores 0-1 inside package 3; lists and mixtures. */
	t = open_sel(path, "pack:3.core:0-1", false);
	hwloc_bitmap_zero(want);
	hwloc_bitmap_set_range(want, 48, 49);
	expect_selected(t, want, "pack:3.core:0-1");
	hb_topology_close(t);
	t = open_sel(path, "core:0,2 60-61", false);
	hwloc_bitmap_zero(want);
	hwloc_bitmap_set(want, 0);
	hwloc_bitmap_set(want, 2);
	hwloc_bitmap_set_range(want, 60, 61);
	expect_selected(t, want, "core:0,2 60-61");
	hb_topology_close(t);
	t = open_sel(path, "all", false);
	expect_selected(t, hwloc_get_root_obj(r)->cpuset, "all");
	hb_topology_close(t);

	hwloc_bitmap_free(want);
	hwloc_topology_destroy(r);
}

Test(topology, no_smt, .timeout = 60)
{
	const char *path = TOPODIR "AMD-19h-Zen4-2xEpyc-9654.xml";
	hwloc_topology_t r = load_ref(path);
	hwloc_bitmap_t want = hwloc_bitmap_alloc();
	struct hb_topology *t = open_sel(path, NULL, true);

	/* The first PU (in tree order) of every core. */
	for (hwloc_obj_t c = hwloc_get_obj_by_type(r, HWLOC_OBJ_CORE, 0);
	    c != NULL; c = c->next_cousin)
		hwloc_bitmap_set(want, hwloc_get_obj_inside_cpuset_by_type(r,
		    c->cpuset, HWLOC_OBJ_PU, 0)->os_index);
	cr_expect_eq(t->nvcpus, 192);
	expect_selected(t, want, "--no-smt");
	/* No two vCPUs on one core: no core-class pair is left. */
	unsigned long n[HB_PAIR_NCLASSES], same;
	hb_topology_pair_counts(t, n, &same);
	cr_expect_eq(n[HB_PAIR_CORE], 0);
	hb_topology_close(t);

	/* With --cpus: the first selected PU of each selected core. */
	t = open_sel(path, "192-195", true);
	hwloc_bitmap_zero(want);
	hwloc_bitmap_set_range(want, 192, 195);
	expect_selected(t, want, "192-195 --no-smt");
	hb_topology_close(t);
	t = open_sel(path, "core:0-3", true);
	hwloc_bitmap_zero(want);
	hwloc_bitmap_set_range(want, 0, 3);
	expect_selected(t, want, "core:0-3 --no-smt");
	hb_topology_close(t);

	hwloc_bitmap_free(want);
	hwloc_topology_destroy(r);
}

Test(topology, hybrid_kinds, .timeout = 30)
{
	const char *path = TOPODIR "20em64t-hybrid-1p6c2t+2ca4co1t.xml";
	struct hb_topology *t = open_sel(path, NULL, false);
	hwloc_topology_t r = load_ref(path);
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	int eff;

	cr_assert_eq(hwloc_cpukinds_get_nr(r, 0), 2);
	cr_assert_eq(t->nkinds, 2);
	for (unsigned k = 0; k < 2; k++) {
		cr_assert_eq(hwloc_cpukinds_get_info(r, k, set, &eff, NULL,
		    NULL, 0), 0);
		for (unsigned i = 0; i < t->nvcpus; i++) {
			if (!hwloc_bitmap_isset(set, (unsigned)t->vcpus[i].pu))
				continue;
			cr_assert_not_null(t->vcpus[i].kind);
			cr_expect_str_eq(t->vcpus[i].kind, t->kinds[k],
			    "PU %d", t->vcpus[i].pu);
		}
	}
	hwloc_bitmap_free(set);
	hwloc_topology_destroy(r);
	hb_topology_close(t);

	/* Not hybrid: no kind. */
	t = open_sel(TOPODIR "64amd64-4s2n4ca2co.xml", NULL, false);
	cr_expect_null(t->vcpus[0].kind);
	hb_topology_close(t);
}

/*
 * Errors.
 */

static char tmpdir[64];

static const char *
write_tmp(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	if (tmpdir[0] == '\0') {
		strcpy(tmpdir, "/tmp/ipibench-topo-XXXXXX");
		cr_assert_not_null(mkdtemp(tmpdir));
	}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void
rm_tmp(const char *path)
{
	unlink(path);
	rmdir(tmpdir);
}

Test(topology, errors_sources, .timeout = 30)
{
	char err[512];
	const char *p;

	cr_expect_eq(sel_err("tests/topologies/nope.xml", NULL, false, err,
	    sizeof(err)), -1);
	cr_expect(strstr(err, "nope.xml") != NULL, "%s", err);
	cr_expect(strstr(err, "No such file") != NULL, "%s", err);

	p = write_tmp("bad.xml", "<?xml version=\"1.0\"?>\n<topology>"
	    "<object type=\"Machine\"");
	cr_expect_eq(sel_err(p, NULL, false, err, sizeof(err)), -1);
	cr_expect(strstr(err, "bad.xml") != NULL, "%s", err);
	rm_tmp(p);

	cr_expect_eq(sel_err("synthetic:pack:2 bogus:3 pu:2", NULL, false, err,
	    sizeof(err)), -1);
	cr_expect(strstr(err, "synthetic:pack:2 bogus:3 pu:2") != NULL, "%s",
	    err);
}

Test(topology, errors_cpus, .timeout = 30)
{
	const char *path = TOPODIR "64amd64-4s2n4ca2co.xml";
	static const char *const bad[] = {
		"64", "0-64", "core:64", "numa:8", "pack:1.core:16", "foo:1",
		"1a", "3-1", "-1", "", ",", "core:", "core:x", "pack:0.",
		"99999999999999999999",
	};
	char err[512];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(sel_err(path, bad[i], false, err, sizeof(err)), -1,
		    "--cpus '%s' accepted", bad[i]);
		cr_expect(strncmp(err, "--cpus '", 8) == 0 &&
		    strstr(err, bad[i]) != NULL, "--cpus '%s': %s", bad[i], err);
	}
	cr_expect_eq(sel_err(path, "0-64", false, err, sizeof(err)), -1);
	cr_expect(strstr(err, "PU 64 not in the topology") != NULL, "%s", err);
}

/* An XML whose allowed set leaves out PUs 1 and 3 (as a cgroup would). */
Test(topology, errors_not_allowed_xml, .timeout = 30)
{
	const char *src = TOPODIR "16em64t-4s2c2t-offlines.xml";
	char *text, *at, err[512];
	const char *p;
	struct hb_topology *t;
	FILE *f = fopen(src, "r");
	long len;

	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	cr_assert_eq(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	at = strstr(text, "allowed_cpuset=\"0x00009fdb\"");
	cr_assert_not_null(at);
	memcpy(at, "allowed_cpuset=\"0x00009fd1\"", 27);
	p = write_tmp("disallowed.xml", text);
	free(text);

	t = open_sel(p, NULL, false);
	cr_expect_eq(t->nvcpus, 10);
	for (unsigned i = 0; i < t->nvcpus; i++)
		cr_expect(t->vcpus[i].pu != 1 && t->vcpus[i].pu != 3);
	hb_topology_close(t);
	cr_expect_eq(sel_err(p, "0-1", false, err, sizeof(err)), -1);
	cr_expect(strstr(err, "PU 1 not allowed") != NULL, "%s", err);
	cr_expect_eq(sel_err(p, "pack:1", false, err, sizeof(err)), -1);
	cr_expect(strstr(err, "PU 1 not allowed") != NULL, "%s", err);
	t = open_sel(p, "pack:0", false);	/* none of 1, 3 in it */
	cr_expect_eq(t->nvcpus, 4);
	hb_topology_close(t);
	rm_tmp(p);
}

/*
 * This machine: selection honours the affinity mask; binding.
 */

Test(topology, this_machine, .timeout = 30)
{
	struct hb_topology *t = open_sel(NULL, NULL, false);
	cpu_set_t cs;
	unsigned n = 0;

	cr_expect(t->thissystem);
	cr_expect_str_eq(t->source, "this machine");
	cr_assert_eq(sched_getaffinity(0, sizeof(cs), &cs), 0);
	for (int c = 0; c < CPU_SETSIZE; c++)
		n += CPU_ISSET(c, &cs) ? 1 : 0;
	cr_expect_eq(t->nvcpus, n, "%u vCPUs, affinity mask has %u", t->nvcpus,
	    n);
	for (unsigned i = 0; i < t->nvcpus; i++)
		cr_expect(CPU_ISSET(t->vcpus[i].pu, &cs));
	hb_topology_close(t);
}

Test(topology, affinity_narrows, .timeout = 30)
{
	cpu_set_t cs, one;
	char err[512];
	int first = -1, other = -1;

	cr_assert_eq(sched_getaffinity(0, sizeof(cs), &cs), 0);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &cs))
			continue;
		if (first < 0)
			first = c;
		else if (other < 0)
			other = c;
	}
	if (other < 0)
		cr_skip_test("needs two CPUs in the affinity mask");
	/* Criterion runs each test in its own process: narrow it. */
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0);

	struct hb_topology *t = open_sel(NULL, NULL, false);
	cr_expect_eq(t->nvcpus, 1);
	cr_expect_eq(t->vcpus[0].pu, first);
	hb_topology_close(t);

	char cpus[16];
	snprintf(cpus, sizeof(cpus), "%d", other);
	cr_expect_eq(sel_err(NULL, cpus, false, err, sizeof(err)), -1);
	cr_expect(strstr(err, "not allowed to this process") != NULL, "%s",
	    err);
	sched_setaffinity(0, sizeof(cs), &cs);
}

struct bind_arg {
	struct hb_topology *t;
	unsigned	idx;
	int		rc;
	int		cpu_after;	/* sched_getcpu() once bound */
	cpu_set_t	mask;		/* sched_getaffinity() once bound */
	char		err[256];
};

static void *
bind_thread(void *p)
{
	struct bind_arg *a = p;

	a->rc = hb_topology_bind_thread(a->t, a->idx, a->t->vcpus[a->idx].pu,
	    a->err, sizeof(a->err));
	sched_getaffinity(0, sizeof(a->mask), &a->mask);
	a->cpu_after = sched_getcpu();
	return NULL;
}

Test(topology, bind_threads, .timeout = 30)
{
	struct hb_topology *t = open_sel(NULL, NULL, false);
	struct bind_arg *a = calloc(t->nvcpus, sizeof(*a));
	pthread_t *th = calloc(t->nvcpus, sizeof(*th));

	cr_assert(a != NULL && th != NULL);
	for (unsigned i = 0; i < t->nvcpus; i++) {
		a[i].t = t;
		a[i].idx = i;
		cr_assert_eq(pthread_create(&th[i], NULL, bind_thread, &a[i]), 0);
	}
	for (unsigned i = 0; i < t->nvcpus; i++) {
		int pu = t->vcpus[i].pu;

		pthread_join(th[i], NULL);
		cr_expect_eq(a[i].rc, 0, "vCPU %u: %s", i, a[i].err);
		cr_expect_eq(CPU_COUNT(&a[i].mask), 1, "vCPU %u mask", i);
		cr_expect(CPU_ISSET(pu, &a[i].mask), "vCPU %u not on PU %d", i,
		    pu);
		cr_expect_eq(a[i].cpu_after, pu, "vCPU %u runs on CPU %d, "
		    "bound to %d", i, a[i].cpu_after, pu);
	}
	free(a);
	free(th);
	hb_topology_close(t);
}

Test(topology, bind_refuses_planning, .timeout = 30)
{
	struct hb_topology *t = open_sel(TOPODIR "64amd64-4s2n4ca2co.xml",
	    NULL, false);
	char err[512];

	cr_expect_eq(hb_topology_bind_thread(t, 3, 3, err, sizeof(err)), -1);
	cr_expect(strstr(err, "planning") != NULL &&
	    strstr(err, "64amd64-4s2n4ca2co.xml") != NULL, "%s", err);
	hb_topology_close(t);

	/* This machine, a PU it does not have. */
	t = open_sel(NULL, NULL, false);
	cr_expect_eq(hb_topology_bind_thread(t, 0, 100000, err, sizeof(err)),
	    -1);
	cr_expect(strstr(err, "100000") != NULL, "%s", err);
	hb_topology_close(t);
}
