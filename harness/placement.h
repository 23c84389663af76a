/*
 * placement.h: where each vCPU's IPI state (struct ipi_percpu: its
 * mailbox line and pending-word line) lives in memory.
 *
 *   local      each vCPU's state on its own NUMA node (default)
 *   single     the seed's way: one array, on the allocating thread's node
 *   interleave vCPU states spread round-robin over the nodes
 *   remote     on the node farthest from the vCPU (hwloc distances),
 *              else any other node
 *
 * One arena per node from hwloc_alloc_membind, cache-line aligned, no
 * line shared by two vCPUs.  After first touch, where each page landed
 * is read back and compared with the plan.
 */
#ifndef HB_PLACEMENT_H
#define HB_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "../ipi/vcpu.h"
#include "topology.h"

enum hb_policy {
	HB_PLACE_LOCAL,
	HB_PLACE_SINGLE,
	HB_PLACE_INTERLEAVE,
	HB_PLACE_REMOTE,
	HB_PLACE_NPOLICIES
};

/* hb_policy_name: "local", ...; hb_policy_parse: 0 or -1 (unknown). */
const char *hb_policy_name(enum hb_policy p);
int	hb_policy_parse(const char *name, enum hb_policy *out);

struct hb_placement {
	enum hb_policy	policy;
	const char *	note;		/* e.g. "one NUMA node: remote is the
					 * same as local", or NULL */
	unsigned	n;		/* = t->nvcpus */
	int *		planned_node;	/* per vCPU: node its state should be on */
	int *		actual_node;	/* per vCPU, after first touch: the
					 * node found, -1 unknown (planning
					 * topology or not measurable) */
	struct vcpu_spec *specs;	/* per vCPU, ready for ipi_machine_start */
	bool		bound;		/* memory really bound (this machine,
					 * membind supported and allowed) */
	bool		membind_denied;	/* STRICT membind refused here: state
					 * placed by first touch instead */
	/* private: the arenas */
	void **		arenas;
	size_t *	arena_len;
	unsigned	narenas;
	hwloc_topology_t topo;		/* that allocated them */
	char		note_buf[320];
};

/*
 * hb_placement_create: plan, and on this machine allocate, touch and
 * check the IPI state of every selected vCPU of t.
 * => Returns 0 with *out set; -1 with a message in err.  A page that
 *    landed elsewhere than planned is not an error: actual_node says so
 *    and hb_placement_mismatches() counts it.
 */
int	hb_placement_create(const struct hb_topology *t, enum hb_policy p,
	    struct hb_placement **out, char *err, size_t errlen);

/*
 * Notes on hb_placement_create:
 * => t must outlive pl (the arenas are freed through t's hwloc topology).
 * => A planning topology (!t->thissystem): the plan only; every
 *    specs[i].state is NULL, actual_node -1, bound false.
 * => Where a STRICT hwloc_alloc_membind is refused (containers: EPERM),
 *    each arena is allocated non-strict and first touched by the calling
 *    thread bound to the planned node's PUs; membind_denied and note
 *    say so, bound is false, and actual_node tells where pages went.
 */

/*
 * hb_placement_mismatches: vCPUs whose state was found on another node
 * than planned (an unknown location, actual_node -1, is not counted).
 */
unsigned hb_placement_mismatches(const struct hb_placement *pl);

/* hb_placement_destroy: free the arenas; NULL is ignored. */
void	hb_placement_destroy(struct hb_placement *pl);

#endif /* HB_PLACEMENT_H */
