/*
 * sweep.c: what a run registers: which workloads (--workload, the
 * yardsticks), and the groups of each (backend, placement, backoff,
 * idle dwell) handed to its add (workload.h).  `ipibench run` and the
 * costs fuzz target (tests/fuzz/fuzz_costs.c) register through it.
 */
#include <stdbool.h>
#include <stdio.h>

#include "bench.h"
#include "params.h"
#include "sweep.h"
#include "workload.h"

/*
 * selected: is workload w in the run (see --workload in the usage)?
 * names_yardstick: the list names a yardstick.
 */
static bool
selected(const struct hb_params *p, unsigned w, bool names_yardstick)
{
	const struct hb_workload *wl = hb_workloads[w];

	if (hb_pick_has(&p->workloads, w))
		return true;
	if (wl->wanted != NULL && !wl->wanted(p))
		return false;
	if (!wl->yardstick)
		return p->workloads.n == 0;
	return p->yardsticks && !names_yardstick;
}

/*
 * add_dwells: add g's workload once per idle dwell value (workload.h:
 * dwell): every value when the backend sleeps and g has the first
 * backoff value (all_values), else the first value; dwell:0 alone on a
 * backend that spins (no sleep to dwell in); no dwell key when the
 * workload has none.
 */
static void
add_dwells(const struct hb_run *run, struct hb_group *g, bool all_values)
{
	static const unsigned zero = 0;
	const struct hb_ulist *d = &run->params->idle_dwell;

	g->dwell_index = 0;
	if (!g->workload->dwell) {
		g->dwell = NULL;
		g->workload->add(run, g);
		return;
	}
	if (g->backend->spins || d->n == 0) {
		g->dwell = &zero;
		g->workload->add(run, g);
		return;
	}
	for (unsigned i = 0; i < (all_values ? d->n : 1); i++) {
		g->dwell = &d->v[i];
		g->dwell_index = i;
		g->workload->add(run, g);
	}
	g->dwell = NULL;
	g->dwell_index = 0;
}

void
hb_sweep_register(const struct hb_run *run, char *wrun, size_t len)
{
	const struct hb_params *p = run->params;
	bool names_yardstick = false, sel[HB_PICK_MAX] = { false };
	size_t o = 0;

	for (unsigned i = 0; i < p->workloads.n; i++)
		names_yardstick |= hb_workload_at(p, i)->yardstick;
	/* The table fits a pick (params.c refuses to start otherwise). */
	for (unsigned w = 0; hb_workloads[w] != NULL; w++)
		sel[w] = selected(p, w, names_yardstick);
	for (unsigned b = 0; b < p->backends.n; b++) {
		struct hb_group g = { .backend = hb_backend_at(p, b),
		    .placement = HB_PLACE_LOCAL };

		for (unsigned w = 0; hb_workloads[w] != NULL; w++) {
			if (!sel[w] || !hb_workloads[w]->yardstick)
				continue;
			g.workload = hb_workloads[w];
			g.workload->add(run, &g);
		}
		for (unsigned pl = 0; pl < p->placements.n; pl++) {
			g.placement = hb_placement_at(p, pl);
			for (unsigned w = 0; hb_workloads[w] != NULL; w++) {
				if (!sel[w] || hb_workloads[w]->yardstick)
					continue;
				g.workload = hb_workloads[w];
				if (!g.workload->backoff) {
					g.backoff = NULL;
					add_dwells(run, &g, true);
					continue;
				}
				for (unsigned k = 0; k < p->backoffs.n; k++) {
					g.backoff = &p->backoffs.v[k];
					g.backoff_index = k;
					add_dwells(run, &g, k == 0);
				}
			}
		}
	}
	wrun[0] = '\0';
	for (unsigned w = 0; hb_workloads[w] != NULL && o < len; w++)
		if (sel[w])
			o += (size_t)snprintf(wrun + o, len - o, "%s%s",
			    o > 0 ? "," : "", hb_workloads[w]->name);
}

