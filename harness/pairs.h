/*
 * pairs.h: which pairs of vCPUs a pair workload measures (unicast,
 * trigger, the yardsticks): one representative per kind of pair by
 * default, every ordered pair for the heatmap.
 */
#ifndef HB_PAIRS_H
#define HB_PAIRS_H

#include <stdbool.h>

#include "topology.h"

/* A pair of vCPUs and its class. */
struct hb_pair {
	unsigned	src, dst;	/* cpu_index() */
	enum hb_pair_class cls;
	bool		same_numa;
};

/*
 * hb_topology_pairs: ordered pairs of t's selected vCPUs to measure.
 * all: every ordered pair; else one representative per (class,
 * same_numa), src < dst, lowest indexes first, nearest class first.
 * => Returns the count; *out is malloc'ed (free it; NULL when 0).
 *    Out of memory: exits with a message.
 */
unsigned hb_topology_pairs(const struct hb_topology *t, bool all,
	    struct hb_pair **out);

#endif /* HB_PAIRS_H */
