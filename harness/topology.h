/*
 * topology.h: the machine as hwloc sees it, the vCPUs chosen on it, and
 * the class of every pair of them.
 *
 * The topology comes from this machine, an hwloc XML file, or a
 * synthetic description.  Only this machine's can be bound to and run
 * on; the others are for planning (hb_topology_is_thissystem()).
 */
#ifndef HB_TOPOLOGY_H
#define HB_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>

#include <hwloc.h>

/*
 * Pair classes: the type of the deepest common ancestor of two PUs in
 * hwloc's main tree, nearest first.
 */
enum hb_pair_class {
	HB_PAIR_CORE,		/* SMT siblings */
	HB_PAIR_L1,
	HB_PAIR_L2,
	HB_PAIR_L3,
	HB_PAIR_GROUP,
	HB_PAIR_DIE,
	HB_PAIR_PACKAGE,
	HB_PAIR_MACHINE,
	HB_PAIR_NCLASSES
};

/* hb_pair_class_name: "core", "l1", ... "machine". */
const char *hb_pair_class_name(enum hb_pair_class c);

/* One selected vCPU: where it runs. */
struct hb_vcpu {
	unsigned	index;		/* cpu_index() it will have */
	int		pu;		/* PU OS index */
	int		pu_logical;	/* PU logical index */
	int		core;		/* core logical index, -1 none */
	int		package;	/* package logical index, -1 none */
	int		node;		/* NUMA node OS index (first of its
					 * nodeset), -1 none */
	const char *	kind;		/* CPU kind on hybrid parts, or NULL */
};

struct hb_topology {
	hwloc_topology_t topo;
	char *		source;		/* "this machine", a file, "synthetic:..." */
	bool		thissystem;	/* bindable: the machine we run on */
	struct hb_vcpu *vcpus;		/* selected, in cpu_index() order */
	unsigned	nvcpus;
	hwloc_bitmap_t	usable;		/* PUs that may be chosen: online,
					 * allowed, and (this machine) in the
					 * process's affinity mask */
	hwloc_bitmap_t	selected;	/* the PUs of vcpus (OS indexes) */
	char **		kinds;		/* kind names, [nkinds]; NULL when
					 * fewer than 2 kinds (not hybrid) */
	unsigned	nkinds;
	/* private: the classes of the selected PUs' pairs (select fills
	 * it; hb_pair_classify reads it), indexed by PU OS index */
	unsigned char *	pair_class;	/* [npu * npu]: class | same<<7 */
	int *		pu_slot;	/* [maxpu + 1]: row of a PU, -1 */
	unsigned	npu;
	int		maxpu;
};

/*
 * hb_topology_open: load a topology.
 * => src NULL or "": this machine; "synthetic:DESC": hwloc synthetic
 *    description DESC; anything else: an hwloc XML file.
 * => Returns 0 with *out set; or -1 with a message naming src in err.
 */
int	hb_topology_open(const char *src, struct hb_topology **out,
	    char *err, size_t errlen);

/* hb_topology_close: free it all; NULL is ignored. */
void	hb_topology_close(struct hb_topology *t);

/*
 * hb_topology_select: choose the vCPUs.
 * => cpus NULL: every PU allowed to this process (this machine: online,
 *    in its cgroup and in the affinity mask it was started with) or every
 *    online allowed PU (a planning topology); else hwloc-calc syntax,
 *    items separated by commas or blanks: OS indexes ("0-3,8"), logical
 *    objects ("core:0-7", "numa:1", "pack:0", "l3:2"), nested objects
 *    ("pack:1.core:0-3"), "all".  A bare index after an object item
 *    extends its list ("core:0,2").
 * => vCPUs are numbered in tree order (PU logical index).
 * => no_smt: keep the first selected PU (tree order) of each core.
 * => Offline or disallowed PUs are never chosen; naming one is an error.
 * => Returns 0, filling t->vcpus; or -1 with a message naming cpus.
 */
int	hb_topology_select(struct hb_topology *t, const char *cpus,
	    bool no_smt, char *err, size_t errlen);

/*
 * hb_pair_classify: the class of PUs a and b (OS indexes, a != b) and
 * whether their nodesets are equal.
 * => An instruction cache as common ancestor counts as the data or
 *    unified cache above it; L4/L5 as group (topology.c says why).
 * => A PU the topology lacks (offline, not in it): machine, same_numa
 *    false.
 */
enum hb_pair_class hb_pair_classify(const struct hb_topology *t, int a,
	    int b, bool *same_numa);

/*
 * hb_topology_bind_thread: hb_vcpu bind callback for ipi_machine_start
 * (vcpu_bind_fn): hwloc_set_cpubind(HWLOC_CPUBIND_THREAD), read back.
 * => ctx is the struct hb_topology; refuses a planning topology.
 */
int	hb_topology_bind_thread(void *ctx, unsigned idx, int pu, char *err,
	    size_t errlen);

/*
 * hb_topology_pu: the PU object with OS index pu.
 * => NULL when the topology has none (offline PUs have none either).
 */
hwloc_obj_t hb_topology_pu(const struct hb_topology *t, int pu);

/*
 * hb_topology_node_of: the NUMA node of PU pu.
 * => OS index of the first node in the PU's nodeset; -1 when none.
 */
int	hb_topology_node_of(const struct hb_topology *t, int pu);

/*
 * hb_topology_pair_counts: count the unordered pairs of selected vCPUs
 * per class and those whose PUs have equal nodesets.
 * => counts has HB_PAIR_NCLASSES entries; all are overwritten.
 * => Returns the number of pairs, nvcpus * (nvcpus - 1) / 2 (0 and
 *    zero counts if out of memory).
 */
unsigned long hb_topology_pair_counts(const struct hb_topology *t,
	    unsigned long *counts, unsigned long *same_numa);

/*
 * hb_setstr: set in hwloc's list syntax ("0-3,8") in buf, for messages
 * and text output.
 * => A list longer than len - 1 characters is cut and ends in "..."
 *    (when len > 4).
 * => Returns buf.
 */
const char *hb_setstr(hwloc_const_bitmap_t set, char *buf, size_t len);

/* hb_topology_summary: one line: "2 packages, 8 NUMA nodes, 64 cores, 64 PUs". */
void	hb_topology_summary(const struct hb_topology *t, char *buf,
	    size_t len);

#endif /* HB_TOPOLOGY_H */
