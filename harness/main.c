/*
 * main.c: `ipibench COMMAND [OPTIONS]`: dispatch to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct hb_command commands[] = {
	{ "topo", "show the topology, the vCPUs and their placement", cmd_topo },
	{ "run", "measure the workloads with Google Benchmark", cmd_run },
	{ "list", "list the workloads, backends and placements", cmd_list },
	{ NULL, NULL, NULL },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ipibench COMMAND [OPTIONS]\n"
	    "\n"
	    "Measures NetBSD's inter-processor interrupt protocol\n"
	    "(sys/kern/subr_ipi.c) on vCPU threads pinned to this machine's cores.\n"
	    "\n"
	    "commands:\n");
	for (const struct hb_command *c = commands; c->name != NULL; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->summary);
	fprintf(f, "\n`ipibench COMMAND --help` documents each command.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (const struct hb_command *c = commands; c->name != NULL; c++) {
		if (strcmp(argv[1], c->name) == 0)
			return c->main(argc - 1, argv + 1);
	}
	fprintf(stderr, "ipibench: unknown command '%s' (expected one of:",
	    argv[1]);
	for (const struct hb_command *c = commands; c->name != NULL; c++)
		fprintf(stderr, " %s", c->name);
	fprintf(stderr, ")\n");
	return 2;
}
