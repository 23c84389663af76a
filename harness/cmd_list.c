/*
 * cmd_list.c: `ipibench list`: the workloads (yardsticks marked), the
 * delivery backends and the placements a run can use.
 */
#include <getopt.h>
#include <stdio.h>

#include "../ipi/backend.h"
#include "cli.h"
#include "placement.h"
#include "workload.h"

static void
list_usage(FILE *f)
{
	fprintf(f,
"usage: ipibench list [--help]\n"
"\n"
"Lists what `ipibench run` can measure: the workloads (--workload; the\n"
"yardsticks, marked, measure no backend and run beside each backend's\n"
"group), the delivery backends (--backend; \"spins\": idle vCPUs burn\n"
"their PU, so a run refuses more vCPUs than cores without --force) and\n"
"the placements of the per-vCPU IPI state (--placement).\n");
}

int
cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const place_doc[HB_PLACE_NPOLICIES] = {
		[HB_PLACE_LOCAL] = "each vCPU's state on its own NUMA node "
		    "(default)",
		[HB_PLACE_SINGLE] = "one array on the allocating thread's "
		    "node (the seed's way)",
		[HB_PLACE_INTERLEAVE] = "round-robin over the NUMA nodes",
		[HB_PLACE_REMOTE] = "on the farthest node (else another node)",
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			list_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "ipibench list: unknown option '%s' "
			    "(expected --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ipibench list: unexpected argument '%s'\n",
		    argv[optind]);
		return 2;
	}

	printf("workloads:\n");
	for (unsigned i = 0; hb_workloads[i] != NULL; i++)
		if (!hb_workloads[i]->yardstick)
			printf("  %-16s %s\n", hb_workloads[i]->name,
			    hb_workloads[i]->summary);
	printf("yardsticks (run beside each backend's group):\n");
	for (unsigned i = 0; hb_workloads[i] != NULL; i++)
		if (hb_workloads[i]->yardstick)
			printf("  %-16s %s\n", hb_workloads[i]->name,
			    hb_workloads[i]->summary);
	printf("backends (reference: the yardstick its figures are divided "
	    "by):\n");
	for (unsigned i = 0; ipi_backends[i] != NULL; i++) {
		const struct ipi_backend_ops *b = ipi_backends[i];

		printf("  %-16s %s%s; reference %s\n", b->name, b->summary,
		    b->spins ? " (spins)" : "",
		    b->reference != NULL ? b->reference : "none");
	}
	printf("placements:\n");
	for (int p = 0; p < HB_PLACE_NPOLICIES; p++)
		printf("  %-16s %s\n", hb_policy_name((enum hb_policy)p),
		    place_doc[p] != NULL ? place_doc[p] : "");
	return 0;
}
