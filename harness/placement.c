/*
 * placement.c: where each vCPU's IPI state (struct ipi_percpu) lives.
 *
 * First the plan: a NUMA node per vCPU, by policy.  Then, on this
 * machine only, the memory: one arena per planned node, from
 * hwloc_alloc_membind(BIND, STRICT) so that the kernel puts its pages
 * there and nowhere else, cut into slots of IPI_PERCPU_SIZE bytes
 * (each slot starts on a cache line and a slot is a whole number of
 * lines, so no line is shared by two vCPUs).  The arena is touched
 * (zeroed) by the calling thread, bound for the moment to the planned
 * node's PUs: where membind works that changes nothing, where it is
 * denied it is what makes first touch put the pages on the node.
 * Finally every slot is looked up with hwloc_get_area_memlocation: a
 * page that is not where the plan says is reported, never hidden.
 *
 * `single` is the seed's way: one plain array (no binding), first
 * touched by the calling thread, so on whatever node that thread runs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"
#include "placement.h"

static const char *const policy_names[HB_PLACE_NPOLICIES] = {
	[HB_PLACE_LOCAL] = "local",
	[HB_PLACE_SINGLE] = "single",
	[HB_PLACE_INTERLEAVE] = "interleave",
	[HB_PLACE_REMOTE] = "remote",
};

/* One slot: IPI_PERCPU_SIZE rounded up to the alignment (it already is). */
#define	SLOT_SIZE	((IPI_PERCPU_SIZE + IPI_PERCPU_ALIGN - 1) & \
			    ~(size_t)(IPI_PERCPU_ALIGN - 1))

const char *
hb_policy_name(enum hb_policy p)
{
	if ((unsigned)p >= HB_PLACE_NPOLICIES)
		return "?";
	return policy_names[p];
}

int
hb_policy_parse(const char *name, enum hb_policy *out)
{
	for (unsigned i = 0; i < HB_PLACE_NPOLICIES; i++) {
		if (name != NULL && strcmp(name, policy_names[i]) == 0) {
			*out = (enum hb_policy)i;
			return 0;
		}
	}
	return -1;
}

/* Append a sentence to pl->note. */
static void
add_note(struct hb_placement *pl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_note(struct hb_placement *pl, const char *fmt, ...)
{
	size_t used = strlen(pl->note_buf);
	va_list ap;

	if (used > 0 && used + 2 < sizeof(pl->note_buf)) {
		strcpy(pl->note_buf + used, "; ");
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(pl->note_buf + used, sizeof(pl->note_buf) - used, fmt, ap);
	va_end(ap);
	pl->note = pl->note_buf;
}

/* The NUMA nodes state may go to: allowed, in logical order. */
static unsigned
allowed_nodes(const struct hb_topology *t, hwloc_obj_t **out)
{
	hwloc_const_nodeset_t allowed = hwloc_topology_get_allowed_nodeset(
	    t->topo);
	int nn = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_NUMANODE);
	hwloc_obj_t *v;
	unsigned n = 0;

	*out = NULL;
	v = calloc(nn > 0 ? (size_t)nn : 1, sizeof(*v));
	if (v == NULL)
		return 0;
	for (int i = 0; i < nn; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(t->topo,
		    HWLOC_OBJ_NUMANODE, (unsigned)i);

		if (o != NULL && hwloc_bitmap_isset(allowed, o->os_index))
			v[n++] = o;
	}
	*out = v;
	return n;
}

/*
 * The node farthest from node `from` (OS index) by hwloc's latency
 * distances, among nodes[]; ties go to the lowest logical index.  No
 * distances: the next node after `from` in nodes[], cyclically.
 */
static int
farthest_node(const struct hb_topology *t, hwloc_obj_t *nodes, unsigned nn,
    int from, bool *used_distances)
{
	struct hwloc_distances_s *d = NULL;
	unsigned nr = 1;
	int best = -1;

	*used_distances = false;
	if (hwloc_distances_get_by_type(t->topo, HWLOC_OBJ_NUMANODE, &nr, &d,
	    HWLOC_DISTANCES_KIND_MEANS_LATENCY, 0) == 0 && nr >= 1 &&
	    d != NULL) {
		hwloc_obj_t src = hwloc_get_numanode_obj_by_os_index(t->topo,
		    (unsigned)from);
		int si = src != NULL ? hwloc_distances_obj_index(d, src) : -1;
		hwloc_uint64_t bestv = 0;

		for (unsigned k = 0; si >= 0 && k < nn; k++) {
			int di = hwloc_distances_obj_index(d, nodes[k]);
			hwloc_uint64_t v;

			if (di < 0 || (int)nodes[k]->os_index == from)
				continue;
			v = d->values[(unsigned)si * d->nbobjs + (unsigned)di];
			if (best < 0 || v > bestv) {
				best = (int)nodes[k]->os_index;
				bestv = v;
			}
		}
		if (best >= 0)
			*used_distances = true;
	}
	if (d != NULL)
		hwloc_distances_release(t->topo, d);
	if (best >= 0)
		return best;
	for (unsigned k = 0; k < nn; k++) {
		if ((int)nodes[k]->os_index == from)
			return (int)nodes[(k + 1) % nn]->os_index;
	}
	return nn > 0 ? (int)nodes[0]->os_index : from;
}

/* The node of the PU the calling thread last ran on, or -1. */
static int
caller_node(const struct hb_topology *t)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	int node = -1;

	if (set == NULL)
		return -1;
	if (hwloc_get_last_cpu_location(t->topo, set,
	    HWLOC_CPUBIND_THREAD) == 0 && !hwloc_bitmap_iszero(set))
		node = hb_topology_node_of(t, hwloc_bitmap_first(set));
	hwloc_bitmap_free(set);
	return node;
}

static int
plan(const struct hb_topology *t, struct hb_placement *pl, char *err,
    size_t errlen)
{
	hwloc_obj_t *nodes;
	unsigned nn = allowed_nodes(t, &nodes);
	bool dist = false;
	int single = -1;

	if (nodes == NULL) {
		hb_seterr(err, errlen, "placement: out of memory");
		return -1;
	}
	if (pl->policy == HB_PLACE_SINGLE) {
		/*
		 * The seed allocates its array on the CPU that boots, which
		 * first touches it: here the calling thread; on a planning
		 * topology, vCPU 0 stands for it.
		 */
		single = t->thissystem ? caller_node(t) : -1;
		if (single < 0 && t->nvcpus > 0)
			single = t->vcpus[0].node;
	}
	for (unsigned i = 0; i < t->nvcpus; i++) {
		int own = t->vcpus[i].node;

		if (own < 0 && nn > 0)
			own = (int)nodes[0]->os_index;
		switch (pl->policy) {
		case HB_PLACE_LOCAL:
			pl->planned_node[i] = own;
			break;
		case HB_PLACE_SINGLE:
			pl->planned_node[i] = single;
			break;
		case HB_PLACE_INTERLEAVE:
			pl->planned_node[i] = nn > 0 ?
			    (int)nodes[i % nn]->os_index : own;
			break;
		case HB_PLACE_REMOTE:
			pl->planned_node[i] = nn > 1 ?
			    farthest_node(t, nodes, nn, own, &dist) : own;
			break;
		default:
			break;
		}
	}
	if (nn <= 1 && (pl->policy == HB_PLACE_REMOTE ||
	    pl->policy == HB_PLACE_INTERLEAVE))
		add_note(pl, "one NUMA node: %s is the same as local (there "
		    "is no other node to put state on)",
		    hb_policy_name(pl->policy));
	else if (pl->policy == HB_PLACE_REMOTE && !dist)
		add_note(pl, "no NUMA latency distances in the topology: "
		    "remote is the next node, not the farthest");
	free(nodes);
	return 0;
}

/*
 * Bind the calling thread to node's PUs (saving its binding in saved),
 * so that what it touches lands there.  Returns 1 when it rebound.
 */
static int
bind_caller_to_node(const struct hb_topology *t, int node,
    hwloc_bitmap_t saved)
{
	hwloc_obj_t o = hwloc_get_numanode_obj_by_os_index(t->topo,
	    (unsigned)node);
	hwloc_bitmap_t set;
	int rc = 0;

	if (o == NULL || o->cpuset == NULL)
		return 0;
	set = hwloc_bitmap_alloc();
	if (set == NULL)
		return 0;
	hwloc_bitmap_and(set, o->cpuset, t->usable);
	if (!hwloc_bitmap_iszero(set) &&
	    hwloc_get_cpubind(t->topo, saved, HWLOC_CPUBIND_THREAD) == 0 &&
	    hwloc_set_cpubind(t->topo, set, HWLOC_CPUBIND_THREAD) == 0)
		rc = 1;
	hwloc_bitmap_free(set);
	return rc;
}

/* Allocate, touch and fill in arena a for the vCPUs planned on node. */
static int
make_arena(const struct hb_topology *t, struct hb_placement *pl, unsigned a,
    int node, char *err, size_t errlen)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096;
	unsigned count = 0, k = 0;
	hwloc_bitmap_t ns, saved;
	size_t len;
	void *p;
	int rebound;

	for (unsigned i = 0; i < pl->n; i++)
		count += pl->planned_node[i] == node;
	len = ((size_t)count * SLOT_SIZE + page - 1) / page * page;

	if (pl->policy == HB_PLACE_SINGLE) {
		/* The seed's way: plain memory, first touch decides. */
		p = hwloc_alloc(t->topo, len);
		if (p == NULL) {
			hb_seterr(err, errlen, "placement single: hwloc_alloc(%zu "
			    "bytes): %s", len, strerror(errno));
			return -1;
		}
		memset(p, 0, len);
	} else {
		ns = hwloc_bitmap_alloc();
		saved = hwloc_bitmap_alloc();
		if (ns == NULL || saved == NULL) {
			hwloc_bitmap_free(ns);
			hwloc_bitmap_free(saved);
			hb_seterr(err, errlen, "placement: out of memory");
			return -1;
		}
		hwloc_bitmap_only(ns, (unsigned)node);
		errno = 0;
		p = hwloc_alloc_membind(t->topo, len, ns, HWLOC_MEMBIND_BIND,
		    HWLOC_MEMBIND_BYNODESET | HWLOC_MEMBIND_STRICT);
		if (p == NULL) {
			/*
			 * Containers deny the NUMA syscalls (EPERM) while the
			 * support flags still say yes: hwloc's non-strict
			 * call then hands back unbound memory without a word.
			 * Take it, and let first touch from the node place it.
			 */
			int e = errno;

			if (!pl->membind_denied)
				add_note(pl, "NUMA memory binding refused "
				    "(hwloc_alloc_membind STRICT: %s): state "
				    "placed by first touch from the node's "
				    "PUs instead", strerror(e));
			pl->membind_denied = true;
			p = hwloc_alloc_membind(t->topo, len, ns,
			    HWLOC_MEMBIND_BIND, HWLOC_MEMBIND_BYNODESET);
		}
		if (p == NULL) {
			hb_seterr(err, errlen, "placement %s: hwloc_alloc_membind"
			    "(%zu bytes, node %d): %s",
			    hb_policy_name(pl->policy), len, node,
			    strerror(errno));
			hwloc_bitmap_free(ns);
			hwloc_bitmap_free(saved);
			return -1;
		}
		rebound = bind_caller_to_node(t, node, saved);
		memset(p, 0, len);
		if (rebound)
			(void)hwloc_set_cpubind(t->topo, saved,
			    HWLOC_CPUBIND_THREAD);
		hwloc_bitmap_free(ns);
		hwloc_bitmap_free(saved);
	}
	pl->arenas[a] = p;
	pl->arena_len[a] = len;
	for (unsigned i = 0; i < pl->n; i++) {
		if (pl->planned_node[i] != node)
			continue;
		pl->specs[i].state = (struct ipi_percpu *)(void *)
		    ((char *)p + (size_t)k * SLOT_SIZE);
		k++;
	}
	return 0;
}

/* Where each vCPU's state really is, after first touch. */
static void
measure(const struct hb_topology *t, struct hb_placement *pl)
{
	hwloc_bitmap_t ns = hwloc_bitmap_alloc();

	for (unsigned i = 0; i < pl->n; i++) {
		pl->actual_node[i] = -1;
		if (ns == NULL || pl->specs[i].state == NULL)
			continue;
		hwloc_bitmap_zero(ns);
		if (hwloc_get_area_memlocation(t->topo, pl->specs[i].state,
		    IPI_PERCPU_SIZE, ns, HWLOC_MEMBIND_BYNODESET) == 0 &&
		    hwloc_bitmap_weight(ns) == 1)
			pl->actual_node[i] = hwloc_bitmap_first(ns);
	}
	hwloc_bitmap_free(ns);
}

int
hb_placement_create(const struct hb_topology *t, enum hb_policy p,
    struct hb_placement **out, char *err, size_t errlen)
{
	struct hb_placement *pl;
	unsigned n = t->nvcpus;
	int *nodes = NULL;
	unsigned nn = 0;

	*out = NULL;
	if ((unsigned)p >= HB_PLACE_NPOLICIES) {
		hb_seterr(err, errlen, "placement: unknown policy %d", (int)p);
		return -1;
	}
	if (n == 0) {
		hb_seterr(err, errlen, "placement: no vCPUs selected on topology "
		    "'%s'", t->source);
		return -1;
	}
	pl = calloc(1, sizeof(*pl));
	if (pl == NULL) {
		hb_seterr(err, errlen, "placement: out of memory");
		return -1;
	}
	pl->policy = p;
	pl->n = n;
	pl->topo = t->topo;
	pl->planned_node = calloc(n, sizeof(int));
	pl->actual_node = calloc(n, sizeof(int));
	pl->specs = calloc(n, sizeof(*pl->specs));
	nodes = calloc(n, sizeof(int));
	if (pl->planned_node == NULL || pl->actual_node == NULL ||
	    pl->specs == NULL || nodes == NULL) {
		hb_seterr(err, errlen, "placement: out of memory");
		goto fail;
	}
	if (plan(t, pl, err, errlen) != 0)
		goto fail;
	for (unsigned i = 0; i < n; i++) {
		pl->specs[i].pu = t->vcpus[i].pu;
		pl->specs[i].node = t->vcpus[i].node;
		pl->specs[i].state = NULL;
		pl->actual_node[i] = -1;
	}
	if (!t->thissystem) {
		*out = pl;
		free(nodes);
		return 0;
	}

	/* One arena per distinct planned node. */
	for (unsigned i = 0; i < n; i++) {
		unsigned k;

		for (k = 0; k < nn && nodes[k] != pl->planned_node[i]; k++)
			continue;
		if (k == nn)
			nodes[nn++] = pl->planned_node[i];
	}
	pl->arenas = calloc(nn, sizeof(*pl->arenas));
	pl->arena_len = calloc(nn, sizeof(*pl->arena_len));
	if (pl->arenas == NULL || pl->arena_len == NULL) {
		hb_seterr(err, errlen, "placement: out of memory");
		goto fail;
	}
	for (unsigned a = 0; a < nn; a++) {
		if (make_arena(t, pl, a, nodes[a], err, errlen) != 0)
			goto fail;
		pl->narenas = a + 1;
	}
	pl->bound = p != HB_PLACE_SINGLE && !pl->membind_denied;
	measure(t, pl);
	free(nodes);
	*out = pl;
	return 0;
fail:
	free(nodes);
	hb_placement_destroy(pl);
	return -1;
}

unsigned
hb_placement_mismatches(const struct hb_placement *pl)
{
	unsigned bad = 0;

	for (unsigned i = 0; pl != NULL && i < pl->n; i++) {
		if (pl->planned_node[i] >= 0 && pl->actual_node[i] >= 0 &&
		    pl->actual_node[i] != pl->planned_node[i])
			bad++;
	}
	return bad;
}

void
hb_placement_destroy(struct hb_placement *pl)
{
	if (pl == NULL)
		return;
	for (unsigned a = 0; a < pl->narenas; a++)
		hwloc_free(pl->topo, pl->arenas[a], pl->arena_len[a]);
	free(pl->arenas);
	free(pl->arena_len);
	free(pl->planned_node);
	free(pl->actual_node);
	free(pl->specs);
	free(pl);
}
