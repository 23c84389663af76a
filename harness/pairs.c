/*
 * pairs.c: the pairs of vCPUs a pair workload measures (pairs.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "pairs.h"

/* pair_cmp: nearest class first, same NUMA node before cross. */
static int
pair_cmp(const void *a, const void *b)
{
	const struct hb_pair *x = a, *y = b;

	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->same_numa != y->same_numa)
		return x->same_numa ? -1 : 1;
	return 0;
}

unsigned
hb_topology_pairs(const struct hb_topology *t, bool all, struct hb_pair **out)
{
	unsigned nv = t->nvcpus, n = 0;
	bool seen[HB_PAIR_NCLASSES][2] = { { false } };
	struct hb_pair *v;

	*out = NULL;
	if (nv < 2)
		return 0;
	if ((v = calloc(all ? (size_t)nv * (nv - 1) :
	    2 * HB_PAIR_NCLASSES, sizeof(*v))) == NULL) {
		fprintf(stderr, "ipibench: out of memory for %u vCPU pairs\n",
		    nv);
		exit(1);
	}
	for (unsigned i = 0; i < nv; i++) {
		for (unsigned k = all ? 0 : i + 1; k < nv; k++) {
			bool same;
			enum hb_pair_class c;

			if (k == i)
				continue;
			c = hb_pair_classify(t, t->vcpus[i].pu, t->vcpus[k].pu,
			    &same);
			if (!all) {
				if (seen[c][same])
					continue;
				seen[c][same] = true;
			}
			v[n].src = t->vcpus[i].index;
			v[n].dst = t->vcpus[k].index;
			v[n].cls = c;
			v[n].same_numa = same;
			n++;
		}
	}
	if (!all)
		qsort(v, n, sizeof(*v), pair_cmp);
	*out = v;
	return n;
}
