/*
 * params.h: the one parameters struct of a run, filled from configs/
 * (INI, libinih) and then from command-line flags, both through one
 * table (hb_param_table) that also writes the documentation.
 *
 * Config key "section.key" and flag "--key" name the same parameter
 * (flags drop the section: keys are unique across sections).
 */
#ifndef HB_PARAMS_H
#define HB_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../ipi/backend.h"
#include "placement.h"
#include "workload.h"

/*
 * A list of counts as written by a user: "1,2,4,8", "pow2" (1, 2, 4, ..
 * up to the maximum, and the maximum itself), "all" (1 .. maximum).
 * Resolved against the machine by hb_ulist_resolve().
 */
#define	HB_ULIST_MAX	64
/* The most counts a list resolves to ("all" on the largest machine). */
#define	HB_COUNTS_MAX	4096
struct hb_ulist {
	enum { HB_ULIST_VALUES, HB_ULIST_POW2, HB_ULIST_ALL } kind;
	unsigned	n;
	unsigned	v[HB_ULIST_MAX];
};

/*
 * A choice among the entries of one table (backends, placements,
 * workloads, multicast orders): their indexes, in the order given, without
 * repeats.  Names are resolved into indexes once, when the parameter is
 * set (hb_param_set, hb_params_load); nothing downstream parses a name
 * again.  The typed views are hb_backend_at() and its neighbours below.
 */
#define	HB_PICK_MAX	32
struct hb_pick {
	unsigned	n;
	unsigned char	v[HB_PICK_MAX];
};

/*
 * A sender's spin-wait backoff: SPINLOCK_BACKOFF from min pause runs up
 * to max (ipi_backoff_set, ipi/ipi.h).  Written "seed" (NetBSD's
 * SPINLOCK_BACKOFF_MIN and _MAX), "pause" (1 and 1: one pause per
 * check) or "seed:MIN:MAX" (powers of two, MIN <= MAX); a list sweeps
 * each, a benchmark per value, named backoff:VALUE.
 */
#define	HB_BACKOFF_MAX	8
#define	HB_BACKOFF_NAMELEN 32
struct hb_backoff {
	unsigned	min, max;
};
struct hb_backoffs {
	unsigned	n;
	struct hb_backoff v[HB_BACKOFF_MAX];
};

/* hb_backoff_seed: NetBSD's bounds. */
extern const struct hb_backoff hb_backoff_seed;

/*
 * hb_backoff_name: b as written in names and configs: "seed", "pause",
 * or "seed:MIN:MAX".  => buf (len >= HB_BACKOFF_NAMELEN).
 */
const char *hb_backoff_name(const struct hb_backoff *b, char *buf, size_t len);

/* The target orders of multicast (workloads/multicast.c says what each is). */
enum hb_order {
	HB_ORDER_NEAR,		/* nearest first */
	HB_ORDER_SPREAD,	/* across packages, nodes, cores */
	HB_NORDERS
};

/* hb_order_name: "near", "spread"; NULL past the end. */
const char *hb_order_name(unsigned o);

struct hb_params {
	/* [machine] which vCPUs */
	char *		topology;	/* NULL: this machine */
	char *		cpus;		/* NULL: every allowed PU */
	char *		simulate;	/* NULL; else a topology (file or
					 * synthetic) whose PUs each get a
					 * vCPU, oversubscribed on this
					 * machine's PUs (functional only) */
	bool		no_smt;
	bool		force;		/* busypoll on more vCPUs than cores */

	/* [run] what to run and how long */
	struct hb_pick	backends;	/* ipi_backends[]; "" picks every one */
	struct hb_pick	placements;	/* enum hb_policy; "" picks every one */
	struct hb_pick	workloads;	/* hb_workloads[]; n 0: the default
					 * selection (cmd_run.c) */
	unsigned	repetitions;	/* Google Benchmark repetitions */
	double		min_time;	/* seconds per benchmark (min) */
	unsigned	batch;		/* operations per batch on the sender */
	unsigned	timeout;	/* watchdog: seconds one batch may take */
	bool		yardsticks;	/* measure the yardsticks beside */
	bool		perf;		/* perf counters */
	double		budget;		/* seconds the sweep may take; 0:
					 * no budget (plan.h fits to it) */
	struct hb_backoffs backoffs;	/* the senders' spin-wait backoff */
	bool		interleave;	/* repetitions of a machine's
					 * benchmarks in random order */
	unsigned	warmup_ops;	/* untimed operations before each
					 * batch */
	struct hb_ulist	idle_dwell;	/* microseconds a target sleeps,
					 * untimed, before a wake-up (values) */
	bool		allow_sanitized; /* --out from a sanitizer build */

	/* [unicast] */
	bool		matrix;		/* the matrix workload: every ordered
					 * pair in one sampling pass */
	unsigned	matrix_samples;	/* samples per ordered pair (S) */
	unsigned	matrix_pairs;	/* pairs a sleeping backend's pass
					 * measures; 0: every one */

	/* [multicast] */
	struct hb_ulist	fanout;		/* k */
	struct hb_pick	orders;		/* enum hb_order; "" picks every one */

	/* [broadcast] */
	struct hb_ulist	broadcast_n;	/* vCPUs taking part */

	/* [mboxfull] */
	struct hb_ulist	senders;
	struct hb_ulist	burst;		/* messages outstanding per sender */
	struct hb_ulist	handler_ns;	/* cost of the target's handler */
	unsigned	ack_delay_ns;	/* target: delay before each ack */
	unsigned	put_delay_ns;	/* senders: put_msg -> trigger delay */
	struct hb_ulist	rate;		/* offered messages per second per
					 * sender (open loop); 0: closed loop
					 * (values) */

	/* Not a parameter (no key, not in config.ini): Google Benchmark's
	 * --benchmark_min_warmup_time, seconds (0: none), which the plan
	 * charges (cmd_run.c takes it from the flags). */
	double		gb_warmup_s;
};

enum hb_param_type {
	HB_PT_STRING,	/* char *: strdup'ed; "" means NULL */
	HB_PT_PICK,	/* struct hb_pick: names from hb_param.names */
	HB_PT_BOOL,	/* bool: true/false/yes/no/1/0/on/off */
	HB_PT_UINT,	/* unsigned in [min, max] */
	HB_PT_DOUBLE,	/* double in [min, max] */
	HB_PT_ULIST,	/* struct hb_ulist, values in [min, max] */
	HB_PT_DURATION,	/* double seconds in [min, max]: 90, 90s, 15m,
			 * 1h30m; "" or 0: none (0) */
	HB_PT_BACKOFFS,	/* struct hb_backoffs: seed, pause,
			 * seed:MIN:MAX, comma-separated */
	HB_PT_VALUES,	/* struct hb_ulist of values only (no pow2, all),
			 * each in [min, max] */
};

/* The table a PICK parameter chooses from. */
struct hb_names {
	const char *	what;		/* "backend", for messages */
	/* name_at: the name of entry i, NULL past the last */
	const char *	(*name_at)(unsigned i);
	bool		every_if_empty;	/* "" picks every entry */
};

struct hb_param {
	const char *	section;	/* INI section */
	const char *	key;		/* INI key and --flag */
	enum hb_param_type type;
	size_t		offset;		/* in struct hb_params */
	double		min, max;	/* UINT, DOUBLE, ULIST */
	const char *	defval;		/* default, as text */
	const char *	doc;		/* one line */
	const struct hb_names *names;	/* PICK: the table */
};

/* hb_param_table: every parameter, NULL-key terminated. */
extern const struct hb_param hb_param_table[];

/* hb_params_init: every field to its default.  hb_params_free: free strings. */
void	hb_params_init(struct hb_params *p);
void	hb_params_free(struct hb_params *p);

/*
 * hb_param_set: set parameter key (INI key or flag name) from text.
 * => Returns 0; or -1 with a message naming key, value and what was
 *    expected in err (unknown key, bad value), p unchanged.
 */
int	hb_param_set(struct hb_params *p, const char *key, const char *value,
	    char *err, size_t errlen);

/*
 * A config (an .ini of configs/, a run's config.ini) is INI as libinih reads
 * it: "[section]", "key = value" (or "key: value"), comments from ; or #
 * at the start of a line (; also after a blank).  Beyond inih:
 * - each key once in a file (the command line overrides it);
 * - a line holds at most HB_CONFIG_LINE_MAX characters (bytes, without
 *   its line ending): libinih's line buffer, INI_MAX_LINE 200 in
 *   Debian's build, less the newline and the NUL;
 * - a list's value (backends, workloads, fanout, ...) may go on over
 *   indented lines, joined with ',' ("fanout = 1,2," then "    4,8" is
 *   "1,2,4,8"); an indented line after any other key is an error;
 * - text only: no NUL or other control byte but the tab (a CR only in
 *   a CRLF line ending), at most HB_CONFIG_BYTES_MAX bytes.
 */
#define	HB_CONFIG_LINE_MAX	198
#define	HB_CONFIG_BYTES_MAX	(1 << 20)

/*
 * hb_params_parse_ini: the config text[0..len) (need not end in a NUL)
 * into p, on top of what p holds; name is the file, for messages.
 * => Returns 0; or -1 with "NAME:LINE: ..." in err for the first bad
 *    byte, line, section, key or value (saying what was expected), p
 *    unchanged.
 */
int	hb_params_parse_ini(struct hb_params *p, const char *name,
	    const char *text, size_t len, char *err, size_t errlen);

/*
 * hb_params_load: read the INI file path into p (on top of what p
 * holds): hb_params_parse_ini on its text.
 * => Returns 0; or -1 with "FILE:LINE: key 'K': ..." in err for the
 *    first bad section, key or value, or "FILE: cannot read: ..." for a
 *    file that cannot be read, p unchanged.
 */
int	hb_params_load(struct hb_params *p, const char *path, char *err,
	    size_t errlen);

/* hb_params_write: p as an INI file (the config a run used). */
int	hb_params_write(const struct hb_params *p, FILE *f);

/* hb_params_usage: the flags, documented, for --help. */
void	hb_params_usage(FILE *f);

/*
 * hb_ulist_format: l as written in configs ("pow2", "all", "0,100,1000";
 * "" for no values) into buf (truncated to len, always terminated).
 */
void	hb_ulist_format(const struct hb_ulist *l, char *buf, size_t len);

/*
 * hb_ulist_resolve: the counts of l, up to max, ascending, no repeats,
 * values above max dropped.  => Returns how many were written to out
 * (at most cap).
 */
unsigned hb_ulist_resolve(const struct hb_ulist *l, unsigned max,
	    unsigned *out, unsigned cap);

/*
 * The typed views of the picks: entry i (< pick.n) as the table's type.
 */
static inline const struct ipi_backend_ops *
hb_backend_at(const struct hb_params *p, unsigned i)
{
	return ipi_backends[p->backends.v[i]];
}

static inline enum hb_policy
hb_placement_at(const struct hb_params *p, unsigned i)
{
	return (enum hb_policy)p->placements.v[i];
}

static inline const struct hb_workload *
hb_workload_at(const struct hb_params *p, unsigned i)
{
	return hb_workloads[p->workloads.v[i]];
}

/* hb_pick_has: whether pick k holds entry index e. */
static inline bool
hb_pick_has(const struct hb_pick *k, unsigned e)
{
	for (unsigned i = 0; i < k->n; i++)
		if (k->v[i] == e)
			return true;
	return false;
}

/*
 * hb_pick_format: the names of pick k of table names, comma-separated,
 * into buf (truncated to len, always terminated).
 */
void	hb_pick_format(const struct hb_pick *k, const struct hb_names *names,
	    char *buf, size_t len);

/* The tables of the PICK parameters. */
extern const struct hb_names hb_backend_names, hb_placement_names,
	    hb_workload_names, hb_order_names;

#endif /* HB_PARAMS_H */
