/*
 * topology.c: the machine as hwloc sees it, the vCPUs chosen on it and
 * the class of every pair of them.
 *
 * Every topology is loaded with HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED,
 * so that a PU the process may not use is still known, and a request
 * for it can be told apart from a request for a PU that does not exist.
 * Three sets of OS indexes matter:
 *
 *   complete   every PU hwloc knows of, online or not (root complete_cpuset)
 *   online     the PUs in the tree (root cpuset)
 *   usable     online, allowed (cgroup cpuset, or the XML's allowed
 *              set) and, on this machine, in the affinity mask the
 *              process was started with (taskset narrows the choice)
 *
 * Only usable PUs become vCPUs.  vCPUs are numbered in the order of the
 * PUs' logical indexes (hwloc's tree order), so neighbours in the tree
 * are neighbours in cpu_index().
 *
 * A pair's class is the type of the deepest common ancestor of its two
 * PUs in the main tree.  NUMA nodes are memory children, never
 * ancestors: same_numa compares the PUs' nodesets instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"
#include "topology.h"

static const char *const class_names[HB_PAIR_NCLASSES] = {
	[HB_PAIR_CORE] = "core",
	[HB_PAIR_L1] = "l1",
	[HB_PAIR_L2] = "l2",
	[HB_PAIR_L3] = "l3",
	[HB_PAIR_GROUP] = "group",
	[HB_PAIR_DIE] = "die",
	[HB_PAIR_PACKAGE] = "package",
	[HB_PAIR_MACHINE] = "machine",
};

const char *
hb_pair_class_name(enum hb_pair_class c)
{
	if ((unsigned)c >= HB_PAIR_NCLASSES)
		return "?";
	return class_names[c];
}

const char *
hb_setstr(hwloc_const_bitmap_t set, char *buf, size_t len)
{
	int n = hwloc_bitmap_list_snprintf(buf, len, set);

	if (n >= (int)len && len > 4)
		strcpy(buf + len - 4, "...");
	return buf;
}

/*
 * Opening.
 */

static int
load_this_machine(struct hb_topology *t, char *err, size_t errlen)
{
	hwloc_bitmap_t aff;

	if (hwloc_topology_load(t->topo) != 0) {
		hb_seterr(err, errlen, "this machine: hwloc_topology_load: %s",
		    strerror(errno));
		return -1;
	}
	t->thissystem = hwloc_topology_is_thissystem(t->topo) != 0;
	hwloc_bitmap_and(t->usable, hwloc_get_root_obj(t->topo)->cpuset,
	    hwloc_topology_get_allowed_cpuset(t->topo));
	/* Honour the affinity mask we were started with (taskset). */
	aff = hwloc_bitmap_alloc();
	if (aff == NULL) {
		hb_seterr(err, errlen, "this machine: out of memory");
		return -1;
	}
	/*
	 * The main thread's mask (its tid is the pid): what the process
	 * was started with.  Not the union over threads, which vCPU
	 * threads or a library's helpers may have widened or narrowed.
	 */
	if (t->thissystem &&
	    hwloc_get_proc_cpubind(t->topo, getpid(), aff,
	    HWLOC_CPUBIND_THREAD) == 0 && !hwloc_bitmap_iszero(aff))
		hwloc_bitmap_and(t->usable, t->usable, aff);
	hwloc_bitmap_free(aff);
	return 0;
}

static int
load_xml(struct hb_topology *t, const char *path, char *err, size_t errlen)
{
	FILE *f;

	/* hwloc says little about a file it cannot read: look first. */
	f = fopen(path, "r");
	if (f == NULL) {
		hb_seterr(err, errlen, "topology '%s': cannot open: %s "
		    "(expected an hwloc XML file, \"synthetic:DESC\" or nothing "
		    "for this machine)", path, strerror(errno));
		return -1;
	}
	fclose(f);
	if (hwloc_topology_set_xml(t->topo, path) != 0 ||
	    hwloc_topology_load(t->topo) != 0) {
		hb_seterr(err, errlen, "topology '%s': hwloc cannot load it "
		    "(expected an hwloc 2.x XML export, e.g. from "
		    "`lstopo-no-graphics file.xml`; malformed, or written by "
		    "hwloc 3.x, which hwloc 2 cannot read?)", path);
		return -1;
	}
	t->thissystem = false;
	hwloc_bitmap_and(t->usable, hwloc_get_root_obj(t->topo)->cpuset,
	    hwloc_topology_get_allowed_cpuset(t->topo));
	return 0;
}

static int
load_synthetic(struct hb_topology *t, const char *desc, char *err,
    size_t errlen)
{
	if (hwloc_topology_set_synthetic(t->topo, desc) != 0 ||
	    hwloc_topology_load(t->topo) != 0) {
		hb_seterr(err, errlen, "topology 'synthetic:%s': hwloc rejects "
		    "this synthetic description (expected e.g. "
		    "'synthetic:pack:2 numa:2 core:4 pu:2')", desc);
		return -1;
	}
	t->thissystem = false;
	hwloc_bitmap_and(t->usable, hwloc_get_root_obj(t->topo)->cpuset,
	    hwloc_topology_get_allowed_cpuset(t->topo));
	return 0;
}

/* CPU kinds, named only on hybrid parts (2 kinds or more). */
static int
load_kinds(struct hb_topology *t)
{
	int nr = hwloc_cpukinds_get_nr(t->topo, 0);
	hwloc_bitmap_t set;

	if (nr < 2)
		return 0;
	t->kinds = calloc((size_t)nr, sizeof(*t->kinds));
	set = hwloc_bitmap_alloc();
	if (t->kinds == NULL || set == NULL) {
		hwloc_bitmap_free(set);
		return -1;
	}
	t->nkinds = (unsigned)nr;
	for (int k = 0; k < nr; k++) {
		int eff = -1;
		unsigned ninfos = 0;
		struct hwloc_info_s *infos = NULL;
		const char *coretype = NULL;
		char buf[96];

		if (hwloc_cpukinds_get_info(t->topo, (unsigned)k, set, &eff,
		    &ninfos, &infos, 0) == 0) {
			for (unsigned i = 0; i < ninfos; i++)
				if (strcmp(infos[i].name, "CoreType") == 0)
					coretype = infos[i].value;
		}
		/*
		 * hwloc ranks kinds by efficiency (0: least powerful) when it
		 * knows them; CoreType ("IntelAtom", "IntelCore") when the
		 * OS says.  The name is what a report can print.
		 */
		if (coretype != NULL)
			snprintf(buf, sizeof(buf), "%s", coretype);
		else
			snprintf(buf, sizeof(buf), "kind%d", k);
		t->kinds[k] = strdup(buf);
		if (t->kinds[k] == NULL) {
			hwloc_bitmap_free(set);
			return -1;
		}
	}
	hwloc_bitmap_free(set);
	return 0;
}

int
hb_topology_open(const char *src, struct hb_topology **out, char *err,
    size_t errlen)
{
	struct hb_topology *t;
	int rc;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		hb_seterr(err, errlen, "topology: out of memory");
		return -1;
	}
	t->usable = hwloc_bitmap_alloc();
	t->selected = hwloc_bitmap_alloc();
	if (t->usable == NULL || t->selected == NULL ||
	    hwloc_topology_init(&t->topo) != 0) {
		hwloc_bitmap_free(t->usable);
		hwloc_bitmap_free(t->selected);
		free(t);
		hb_seterr(err, errlen, "topology: out of memory");
		return -1;
	}
	hwloc_topology_set_flags(t->topo, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
	/* Keep instruction caches (hwloc drops them by default): an L1i
	 * shared by two cores is worth showing; pair classes skip them. */
	hwloc_topology_set_icache_types_filter(t->topo,
	    HWLOC_TYPE_FILTER_KEEP_ALL);

	if (src == NULL || src[0] == '\0') {
		t->source = strdup("this machine");
		rc = t->source == NULL ? -1 : load_this_machine(t, err, errlen);
	} else if (strncmp(src, "synthetic:", 10) == 0) {
		t->source = strdup(src);
		rc = t->source == NULL ? -1 :
		    load_synthetic(t, src + 10, err, errlen);
	} else {
		t->source = strdup(src);
		rc = t->source == NULL ? -1 : load_xml(t, src, err, errlen);
	}
	if (rc == 0 && hwloc_bitmap_iszero(t->usable)) {
		hb_seterr(err, errlen, "topology '%s': no PU is both online and "
		    "allowed", t->source);
		rc = -1;
	}
	if (rc == 0 && load_kinds(t) != 0) {
		hb_seterr(err, errlen, "topology '%s': out of memory", t->source);
		rc = -1;
	}
	if (rc != 0) {
		if (t->source == NULL)
			hb_seterr(err, errlen, "topology: out of memory");
		hb_topology_close(t);
		return -1;
	}
	*out = t;
	return 0;
}

void
hb_topology_close(struct hb_topology *t)
{
	if (t == NULL)
		return;
	for (unsigned k = 0; k < t->nkinds; k++)
		free(t->kinds[k]);
	free(t->kinds);
	free(t->pair_class);
	free(t->pu_slot);
	free(t->vcpus);
	free(t->source);
	hwloc_bitmap_free(t->usable);
	hwloc_bitmap_free(t->selected);
	if (t->topo != NULL)
		hwloc_topology_destroy(t->topo);
	free(t);
}

/*
 * Selection: hwloc-calc's location syntax, the parts we need.
 *
 *   LIST  := ITEM ([, ]+ ITEM)*
 *   ITEM  := "all" | N | N-M                   PU OS indexes
 *          | TYPE:IDX(.TYPE:IDX)*              logical objects
 *   IDX   := "all" | N | N-M  (a following bare N or N-M after a comma
 *                              extends the last object item's list)
 *
 * "core:0-7" is logical cores 0 to 7; "pack:1.core:0-3" the first four
 * cores of package 1; "numa:1" the PUs of NUMA node L#1; "0-3,8" PUs
 * with OS indexes 0 to 3 and 8.  Object indexes are logical (hwloc's
 * L#), PU numbers outside an object item are OS indexes (P#), as in
 * hwloc-calc.
 */

#define	MAX_INDEX	(1u << 20)	/* no machine has a million PUs */
#define	MAX_LEVELS	8

struct level {
	int		depth;
	hwloc_obj_type_t type;
	const char *	name;		/* as written, for messages */
	size_t		namelen;
	hwloc_bitmap_t	idx;		/* logical indexes; NULL: all */
};

struct objitem {
	struct level	lv[MAX_LEVELS];
	unsigned	nlv;
};

/*
 * A strict "N", "N-M" (decimal) with N <= M <= MAX_INDEX, ORed into set.
 * Not through hwloc_bitmap_list_sscanf: it reads numbers in C's bases
 * (strtoul base 0), so "010" was PU 8, "09" nothing, and "08-28" set
 * bit 2^32 - 28 (a 512 MiB bitmap, seconds; tests/fuzz/fuzz_cpus.c).
 */
static int
parse_range(const char *s, size_t len, hwloc_bitmap_t set)
{
	char buf[48], *end;
	unsigned long a, b;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return -1;
	errno = 0;
	a = strtoul(buf, &end, 10);
	if (errno != 0 || a > MAX_INDEX)
		return -1;
	b = a;
	if (*end == '-') {
		const char *p = end + 1;

		if (*p < '0' || *p > '9')
			return -1;
		b = strtoul(p, &end, 10);
		if (errno != 0 || b > MAX_INDEX || b < a)
			return -1;
	}
	if (*end != '\0')
		return -1;

	return hwloc_bitmap_set_range(set, (unsigned)a, (int)b) == 0 ? 0 : -1;
}

/* "1 core", "7 cores", "1 NUMA node" ... */
static const char *
count_of(int n, hwloc_obj_type_t type, char *buf, size_t len)
{
	const char *name;

	switch (type) {
	case HWLOC_OBJ_PACKAGE:	name = "package"; break;
	case HWLOC_OBJ_NUMANODE: name = "NUMA node"; break;
	case HWLOC_OBJ_CORE:	name = "core"; break;
	case HWLOC_OBJ_PU:	name = "PU"; break;
	case HWLOC_OBJ_DIE:	name = "die"; break;
	case HWLOC_OBJ_GROUP:	name = "group"; break;
	default:		name = hwloc_obj_type_string(type); break;
	}
	snprintf(buf, len, "%d %s%s", n, name, n == 1 ? "" : "s");
	return buf;
}

/* Parse "TYPE:IDX" (one level, IDX may be empty when more follows). */
static int
parse_level(struct hb_topology *t, const char *cpus, const char *s,
    size_t len, struct level *lv, char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', len);
	char tname[32];
	size_t tlen;

	if (colon == NULL) {
		hb_seterr(err, errlen, "--cpus '%s': '%.*s' is not TYPE:INDEX "
		    "(e.g. core:0-7, numa:1, pack:0)", cpus, (int)len, s);
		return -1;
	}
	tlen = (size_t)(colon - s);
	if (tlen == 0 || tlen >= sizeof(tname)) {
		hb_seterr(err, errlen, "--cpus '%s': '%.*s' has no object type",
		    cpus, (int)len, s);
		return -1;
	}
	memcpy(tname, s, tlen);
	tname[tlen] = '\0';
	lv->name = s;
	lv->namelen = tlen;
	if (hwloc_type_sscanf_as_depth(tname, &lv->type, t->topo,
	    &lv->depth) != 0) {
		hb_seterr(err, errlen, "--cpus '%s': unknown object type '%s' "
		    "(expected pu, core, l1, l2, l3, die, pack, numa, group)",
		    cpus, tname);
		return -1;
	}
	if (lv->depth == HWLOC_TYPE_DEPTH_UNKNOWN) {
		hb_seterr(err, errlen, "--cpus '%s': topology '%s' has no '%s' "
		    "objects", cpus, t->source, tname);
		return -1;
	}
	if (lv->depth == HWLOC_TYPE_DEPTH_MULTIPLE) {
		hb_seterr(err, errlen, "--cpus '%s': '%s' names objects at "
		    "several depths of topology '%s' (name a cache level, "
		    "e.g. l3)", cpus, tname, t->source);
		return -1;
	}
	s = colon + 1;
	len -= tlen + 1;
	if (len == 3 && strncmp(s, "all", 3) == 0) {
		lv->idx = NULL;
		return 0;
	}
	lv->idx = hwloc_bitmap_alloc();
	if (lv->idx == NULL || parse_range(s, len, lv->idx) != 0) {
		hb_seterr(err, errlen, "--cpus '%s': '%.*s' in '%s:%.*s' is not an "
		    "index or range of indexes (N, N-M or all)", cpus,
		    (int)len, s, tname, (int)len, s);
		return -1;
	}
	return 0;
}

/* The PUs of objects lv[i..] inside parent, ORed into out. */
static int
resolve_levels(struct hb_topology *t, const char *cpus,
    const struct objitem *it, unsigned i, hwloc_const_cpuset_t parent,
    unsigned parent_idx, hwloc_bitmap_t out, char *err, size_t errlen)
{
	const struct level *lv = &it->lv[i];
	int n = hwloc_get_nbobjs_inside_cpuset_by_depth(t->topo, parent,
	    lv->depth);
	int first = 0, last = n - 1;

	if (lv->idx != NULL) {
		first = hwloc_bitmap_first(lv->idx);
		last = hwloc_bitmap_last(lv->idx);
		if (last >= n) {
			char cnt[64];

			count_of(n, lv->type, cnt, sizeof(cnt));
			if (i == 0)
				hb_seterr(err, errlen, "--cpus '%s': %.*s:%d does "
				    "not exist (topology '%s' has %s)", cpus,
				    (int)lv->namelen, lv->name, last,
				    t->source, cnt);
			else
				hb_seterr(err, errlen, "--cpus '%s': %.*s:%d does "
				    "not exist inside %.*s:%u (it has %s)",
				    cpus, (int)lv->namelen, lv->name, last,
				    (int)it->lv[i - 1].namelen,
				    it->lv[i - 1].name, parent_idx, cnt);
			return -1;
		}
	}
	for (int k = first; k <= last && k >= 0; k++) {
		hwloc_obj_t o;

		if (lv->idx != NULL && !hwloc_bitmap_isset(lv->idx,
		    (unsigned)k))
			continue;
		o = hwloc_get_obj_inside_cpuset_by_depth(t->topo, parent,
		    lv->depth, (unsigned)k);
		if (o == NULL || o->cpuset == NULL)
			continue;
		if (i + 1 == it->nlv)
			hwloc_bitmap_or(out, out, o->cpuset);
		else if (resolve_levels(t, cpus, it, i + 1, o->cpuset,
		    (unsigned)k, out, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static void
free_item(struct objitem *it)
{
	for (unsigned i = 0; i < it->nlv; i++)
		hwloc_bitmap_free(it->lv[i].idx);
	it->nlv = 0;
}

/* Parse a chain "pack:1.core:0-3" into it. */
static int
parse_chain(struct hb_topology *t, const char *cpus, const char *s,
    size_t len, struct objitem *it, char *err, size_t errlen)
{
	it->nlv = 0;
	while (len > 0) {
		const char *dot = memchr(s, '.', len);
		size_t l = dot != NULL ? (size_t)(dot - s) : len;

		if (it->nlv == MAX_LEVELS) {
			hb_seterr(err, errlen, "--cpus '%s': more than %d levels",
			    cpus, MAX_LEVELS);
			return -1;
		}
		memset(&it->lv[it->nlv], 0, sizeof(it->lv[0]));
		it->nlv++;
		if (parse_level(t, cpus, s, l, &it->lv[it->nlv - 1], err,
		    errlen) != 0)
			return -1;
		s += l;
		len -= l;
		if (dot != NULL) {
			s++;
			len--;
			if (len == 0) {
				hb_seterr(err, errlen, "--cpus '%s': nothing after "
				    "'.'", cpus);
				return -1;
			}
		}
	}
	return 0;
}

static int
flush_item(struct hb_topology *t, const char *cpus, struct objitem *it,
    hwloc_bitmap_t req, char *err, size_t errlen)
{
	int rc = 0;

	if (it->nlv > 0)
		rc = resolve_levels(t, cpus, it, 0,
		    hwloc_get_root_obj(t->topo)->cpuset, 0, req, err, errlen);
	free_item(it);
	return rc;
}

/* The PUs (OS indexes) that cpus names, into req. */
static int
parse_cpus(struct hb_topology *t, const char *cpus, hwloc_bitmap_t req,
    char *err, size_t errlen)
{
	struct objitem it = { .nlv = 0 };
	const char *s = cpus;

	while (*s != '\0') {
		size_t len = strcspn(s, ", \t");
		const char *tok = s;

		s += len;
		if (*s != '\0')
			s++;
		if (len == 0)
			continue;
		if (memchr(tok, ':', len) != NULL) {
			/* A new object item. */
			if (flush_item(t, cpus, &it, req, err, errlen) != 0 ||
			    parse_chain(t, cpus, tok, len, &it, err,
			    errlen) != 0) {
				free_item(&it);
				return -1;
			}
		} else if (len == 3 && strncmp(tok, "all", 3) == 0) {
			if (flush_item(t, cpus, &it, req, err, errlen) != 0)
				return -1;
			hwloc_bitmap_or(req, req, t->usable);
		} else if (it.nlv > 0) {
			/* "core:0,2": extends the last level's indexes. */
			struct level *lv = &it.lv[it.nlv - 1];

			if (lv->idx != NULL && parse_range(tok, len,
			    lv->idx) != 0) {
				hb_seterr(err, errlen, "--cpus '%s': '%.*s' is not "
				    "an index or range (N or N-M)", cpus,
				    (int)len, tok);
				free_item(&it);
				return -1;
			}
		} else if (parse_range(tok, len, req) != 0) {
			hb_seterr(err, errlen, "--cpus '%s': '%.*s' is not a PU "
			    "number or range (N or N-M, OS indexes), nor "
			    "TYPE:INDEX (core:0-7, numa:1)", cpus, (int)len,
			    tok);
			return -1;
		}
	}
	return flush_item(t, cpus, &it, req, err, errlen);
}

hwloc_obj_t
hb_topology_pu(const struct hb_topology *t, int pu)
{
	if (pu < 0)
		return NULL;
	return hwloc_get_pu_obj_by_os_index(t->topo, (unsigned)pu);
}

static int
first_node(hwloc_obj_t pu)
{
	if (pu == NULL || pu->nodeset == NULL)
		return -1;
	return hwloc_bitmap_first(pu->nodeset);
}

int
hb_topology_node_of(const struct hb_topology *t, int pu)
{
	return first_node(hb_topology_pu(t, pu));
}

static int
ancestor_index(hwloc_obj_t o, hwloc_obj_type_t type)
{
	hwloc_obj_t a = hwloc_get_ancestor_obj_by_type(NULL, type, o);

	return a != NULL ? (int)a->logical_index : -1;
}

/* Complain about the PUs of req not in ok; 0 when there are none. */
static int
check_subset(const char *cpus, hwloc_const_bitmap_t req,
    hwloc_const_bitmap_t ok, const char *why, hwloc_const_bitmap_t hint,
    const char *hintname, char *err, size_t errlen)
{
	hwloc_bitmap_t bad = hwloc_bitmap_alloc();
	char b1[128], b2[128];
	int rc = 0;

	if (bad == NULL) {
		hb_seterr(err, errlen, "--cpus '%s': out of memory", cpus);
		return -1;
	}
	hwloc_bitmap_andnot(bad, req, ok);
	if (!hwloc_bitmap_iszero(bad)) {
		hb_seterr(err, errlen, "--cpus '%s': PU%s %s %s (%s: %s)", cpus,
		    hwloc_bitmap_weight(bad) > 1 ? "s" : "",
		    hb_setstr(bad, b1, sizeof(b1)), why, hintname,
		    hb_setstr(hint, b2, sizeof(b2)));
		rc = -1;
	}
	hwloc_bitmap_free(bad);
	return rc;
}

static void classes_cache(struct hb_topology *);

int
hb_topology_select(struct hb_topology *t, const char *cpus, bool no_smt,
    char *err, size_t errlen)
{
	hwloc_bitmap_t req = hwloc_bitmap_alloc();
	hwloc_bitmap_t cores = hwloc_bitmap_alloc();
	hwloc_obj_t root = hwloc_get_root_obj(t->topo);
	struct hb_vcpu *v = NULL;
	unsigned n = 0;
	int rc = -1;

	if (req == NULL || cores == NULL) {
		hb_seterr(err, errlen, "--cpus: out of memory");
		goto out;
	}
	if (cpus == NULL) {
		hwloc_bitmap_copy(req, t->usable);
	} else {
		if (parse_cpus(t, cpus, req, err, errlen) != 0)
			goto out;
		if (check_subset(cpus, req, root->complete_cpuset,
		    "not in the topology", root->complete_cpuset,
		    "it has", err, errlen) != 0 ||
		    check_subset(cpus, req, root->cpuset, "offline",
		    root->cpuset, "online", err, errlen) != 0 ||
		    check_subset(cpus, req, t->usable,
		    t->thissystem ? "not allowed to this process (cgroup "
		    "or affinity mask)" : "not allowed in this topology",
		    t->usable, "allowed", err, errlen) != 0)
			goto out;
	}
	if (hwloc_bitmap_iszero(req)) {
		hb_seterr(err, errlen, "--cpus '%s': selects no PU",
		    cpus != NULL ? cpus : "");
		goto out;
	}

	v = calloc((size_t)hwloc_bitmap_weight(req), sizeof(*v));
	if (v == NULL) {
		hb_seterr(err, errlen, "--cpus: out of memory");
		goto out;
	}
	hwloc_bitmap_zero(t->selected);
	/* Tree order: the PUs by logical index. */
	for (hwloc_obj_t pu = hwloc_get_next_obj_by_type(t->topo,
	    HWLOC_OBJ_PU, NULL); pu != NULL; pu = pu->next_cousin) {
		int core;

		if (!hwloc_bitmap_isset(req, pu->os_index))
			continue;
		core = ancestor_index(pu, HWLOC_OBJ_CORE);
		if (no_smt && core >= 0) {
			if (hwloc_bitmap_isset(cores, (unsigned)core))
				continue;
			hwloc_bitmap_set(cores, (unsigned)core);
		}
		v[n].index = n;
		v[n].pu = (int)pu->os_index;
		v[n].pu_logical = (int)pu->logical_index;
		v[n].core = core;
		v[n].package = ancestor_index(pu, HWLOC_OBJ_PACKAGE);
		v[n].node = first_node(pu);
		v[n].kind = NULL;
		if (t->nkinds >= 2) {
			int k = hwloc_cpukinds_get_by_cpuset(t->topo,
			    pu->cpuset, 0);

			if (k >= 0 && (unsigned)k < t->nkinds)
				v[n].kind = t->kinds[k];
		}
		hwloc_bitmap_set(t->selected, pu->os_index);
		n++;
	}
	if (n == 0) {
		hb_seterr(err, errlen, "--cpus '%s': selects no PU",
		    cpus != NULL ? cpus : "");
		goto out;
	}
	free(t->vcpus);
	t->vcpus = v;
	t->nvcpus = n;
	v = NULL;
	classes_cache(t);
	rc = 0;
out:
	free(v);
	hwloc_bitmap_free(req);
	hwloc_bitmap_free(cores);
	return rc;
}

/*
 * Pair classes.
 *
 * The deepest common ancestor's type, mapped:
 *   Core -> core; L1d/unified L1 -> l1; L2 -> l2; L3 -> l3;
 *   Group -> group; Die -> die; Package -> package; Machine -> machine.
 * Types without a class of their own:
 *   - an instruction cache (L1i, L2i, L3i) carries no data, and IPI
 *     state is data: the pair really talks through the nearest data or
 *     unified cache above it, so we climb to that ancestor and classify
 *     it (the 4-socket Opteron's L1i shared by the two cores of a
 *     compute unit makes such pairs l2);
 *   - L4 and L5 caches sit above the L3 and below the package: group,
 *     "an intermediate level", keeps l3 meaning "same L3";
 *   - NUMA nodes, memory-side caches (MemCache), Misc and I/O objects
 *     are never in the main tree's CPU-side ancestry; should one show
 *     up, it says nothing nearer than machine.
 */
static enum hb_pair_class
class_of_type(hwloc_obj_type_t type)
{
	switch (type) {
	case HWLOC_OBJ_CORE:		return HB_PAIR_CORE;
	case HWLOC_OBJ_L1CACHE:		return HB_PAIR_L1;
	case HWLOC_OBJ_L2CACHE:		return HB_PAIR_L2;
	case HWLOC_OBJ_L3CACHE:		return HB_PAIR_L3;
	case HWLOC_OBJ_L4CACHE:
	case HWLOC_OBJ_L5CACHE:
	case HWLOC_OBJ_GROUP:		return HB_PAIR_GROUP;
	case HWLOC_OBJ_DIE:		return HB_PAIR_DIE;
	case HWLOC_OBJ_PACKAGE:		return HB_PAIR_PACKAGE;
	default:			return HB_PAIR_MACHINE;
	}
}

/*
 * classify_obj: as hb_pair_classify, on two PU objects.
 * => a == b: core.  A NULL object: machine, same_numa false.
 */
static enum hb_pair_class
classify_obj(hwloc_obj_t a, hwloc_obj_t b, bool *same_numa)
{
	hwloc_obj_t anc;

	if (same_numa != NULL)
		*same_numa = a != NULL && b != NULL && a->nodeset != NULL &&
		    b->nodeset != NULL &&
		    hwloc_bitmap_isequal(a->nodeset, b->nodeset);
	if (a == NULL || b == NULL)
		return HB_PAIR_MACHINE;
	if (a == b)
		return HB_PAIR_CORE;	/* the same PU: closer than anything */
	anc = hwloc_get_common_ancestor_obj(NULL, a, b);
	while (anc != NULL && (anc->type == HWLOC_OBJ_L1ICACHE ||
	    anc->type == HWLOC_OBJ_L2ICACHE || anc->type == HWLOC_OBJ_L3ICACHE))
		anc = anc->parent;
	return anc != NULL ? class_of_type(anc->type) : HB_PAIR_MACHINE;
}

enum hb_pair_class
hb_pair_classify(const struct hb_topology *t, int a, int b, bool *same_numa)
{
	if (t->pair_class != NULL && a >= 0 && b >= 0 && a <= t->maxpu &&
	    b <= t->maxpu && t->pu_slot[a] >= 0 && t->pu_slot[b] >= 0) {
		unsigned char c = t->pair_class[(size_t)t->pu_slot[a] * t->npu +
		    (size_t)t->pu_slot[b]];

		if (same_numa != NULL)
			*same_numa = (c & 0x80) != 0;
		return (enum hb_pair_class)(c & 0x7f);
	}
	return classify_obj(hb_topology_pu(t, a), hb_topology_pu(t, b),
	    same_numa);
}

/*
 * classes_cache: the class of every pair of selected PUs, once: a sweep
 * on a big machine asks for each of the 147,072 pairs of 384 PUs many
 * times, and hb_topology_pu() walks the PUs.  Out of memory: no cache
 * (hb_pair_classify computes each).
 */
static void
classes_cache(struct hb_topology *t)
{
	hwloc_obj_t *objs;
	unsigned n = t->nvcpus;
	int maxpu = -1;

	free(t->pair_class);
	free(t->pu_slot);
	t->pair_class = NULL;
	t->pu_slot = NULL;
	for (unsigned i = 0; i < n; i++)
		if (t->vcpus[i].pu > maxpu)
			maxpu = t->vcpus[i].pu;
	if (n == 0 || maxpu < 0)
		return;
	objs = calloc(n, sizeof(*objs));
	t->pu_slot = malloc(((size_t)maxpu + 1) * sizeof(*t->pu_slot));
	t->pair_class = malloc((size_t)n * n);
	if (objs == NULL || t->pu_slot == NULL || t->pair_class == NULL) {
		free(t->pu_slot);
		free(t->pair_class);
		t->pu_slot = NULL;
		t->pair_class = NULL;
		free(objs);
		return;
	}
	for (int p = 0; p <= maxpu; p++)
		t->pu_slot[p] = -1;
	for (unsigned i = 0; i < n; i++) {
		objs[i] = hb_topology_pu(t, t->vcpus[i].pu);
		t->pu_slot[t->vcpus[i].pu] = (int)i;
	}
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++) {
			bool same;
			enum hb_pair_class c = classify_obj(objs[i], objs[j],
			    &same);

			t->pair_class[(size_t)i * n + j] =
			    (unsigned char)((unsigned)c | (same ? 0x80u : 0));
		}
	t->npu = n;
	t->maxpu = maxpu;
	free(objs);
}

unsigned long
hb_topology_pair_counts(const struct hb_topology *t, unsigned long *counts,
    unsigned long *same_numa)
{
	unsigned long npairs = 0, nsame = 0;
	hwloc_obj_t *pus;

	for (unsigned c = 0; c < HB_PAIR_NCLASSES; c++)
		counts[c] = 0;
	pus = calloc(t->nvcpus > 0 ? t->nvcpus : 1, sizeof(*pus));
	if (pus == NULL) {
		*same_numa = 0;
		return 0;
	}
	for (unsigned i = 0; i < t->nvcpus; i++)
		pus[i] = hb_topology_pu(t, t->vcpus[i].pu);
	for (unsigned i = 0; i < t->nvcpus; i++) {
		for (unsigned j = i + 1; j < t->nvcpus; j++) {
			bool same;

			counts[classify_obj(pus[i], pus[j], &same)]++;
			nsame += same;
			npairs++;
		}
	}
	free(pus);
	*same_numa = nsame;
	return npairs;
}

/*
 * Binding.
 */

int
hb_topology_bind_thread(void *ctx, unsigned idx, int pu, char *err,
    size_t errlen)
{
	const struct hb_topology *t = ctx;
	hwloc_bitmap_t want, got;
	char b1[64];
	int rc = -1;

	if (t == NULL || !t->thissystem) {
		hb_seterr(err, errlen, "vCPU %u: cannot bind to PU %d: topology "
		    "'%s' is for planning only (not this machine); run on "
		    "this machine's topology instead", idx, pu,
		    t != NULL ? t->source : "(none)");
		return -1;
	}
	if (pu < 0 || !hwloc_bitmap_isset(t->usable, (unsigned)pu)) {
		hb_seterr(err, errlen, "vCPU %u: PU %d is not an online PU "
		    "allowed to this process (allowed: %s)", idx, pu,
		    hb_setstr(t->usable, b1, sizeof(b1)));
		return -1;
	}
	want = hwloc_bitmap_alloc();
	got = hwloc_bitmap_alloc();
	if (want == NULL || got == NULL) {
		hb_seterr(err, errlen, "vCPU %u: bind to PU %d: out of memory",
		    idx, pu);
		goto out;
	}
	hwloc_bitmap_only(want, (unsigned)pu);
	if (hwloc_set_cpubind(t->topo, want,
	    HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT) != 0) {
		hb_seterr(err, errlen, "vCPU %u: hwloc_set_cpubind(PU %d, "
		    "THREAD|STRICT): %s", idx, pu, strerror(errno));
		goto out;
	}
	if (hwloc_get_cpubind(t->topo, got, HWLOC_CPUBIND_THREAD) != 0) {
		hb_seterr(err, errlen, "vCPU %u: hwloc_get_cpubind(THREAD) after "
		    "binding to PU %d: %s", idx, pu, strerror(errno));
		goto out;
	}
	if (!hwloc_bitmap_isequal(want, got)) {
		hb_seterr(err, errlen, "vCPU %u: bound to PU %d but the thread's "
		    "binding reads back as %s", idx, pu,
		    hb_setstr(got, b1, sizeof(b1)));
		goto out;
	}
	rc = 0;
out:
	hwloc_bitmap_free(want);
	hwloc_bitmap_free(got);
	return rc;
}

void
hb_topology_summary(const struct hb_topology *t, char *buf, size_t len)
{
	int np = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PACKAGE);
	int nn = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_NUMANODE);
	int nc = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_CORE);
	int nu = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PU);

	snprintf(buf, len, "%d package%s, %d NUMA node%s, %d core%s, %d PU%s",
	    np, np == 1 ? "" : "s", nn, nn == 1 ? "" : "s",
	    nc, nc == 1 ? "" : "s", nu, nu == 1 ? "" : "s");
}
