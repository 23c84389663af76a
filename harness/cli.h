/*
 * cli.h: the subcommands of `ipibench`.
 *
 * Each subcommand is one file (cmd_NAME.c) with one entry point, listed
 * in the table in main.c.  An entry point gets argv with argv[0] = its
 * own name, parses its own options (getopt_long, with --help), and
 * returns the process exit status: 0 success, 1 run-time failure,
 * 2 bad usage or input.
 */
#ifndef HB_CLI_H
#define HB_CLI_H

struct hb_command {
	const char *name;
	const char *summary;
	int	(*main)(int argc, char **argv);
};

int	cmd_topo(int argc, char **argv);
int	cmd_run(int argc, char **argv);
int	cmd_list(int argc, char **argv);

#endif /* HB_CLI_H */
