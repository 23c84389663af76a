/*
 * version.h: the version of ipibench and the build it came from, both
 * fixed at build time (the Makefile passes them to version.c alone).
 */
#ifndef HB_VERSION_H
#define HB_VERSION_H

#include <stdbool.h>

/* hb_version: e.g. "4caeb65-dirty"; "unknown" outside a git checkout. */
extern const char hb_version[];

/*
 * hb_build: how this binary was built, as results record it (the context
 * keys build_*).  Every member is a non-empty string, "unknown" where
 * the build could not tell (outside git; compiled without the Makefile).
 */
struct hb_build {
	const char *	cc;		/* compiler and version: "gcc 12.2.0" */
	const char *	cflags;		/* CPPFLAGS and CFLAGS of the C */
	const char *	sanitizer;	/* "none", or make's SAN: "thread",
					 * "address,undefined" */
	const char *	revision;	/* git rev-parse --short HEAD */
	const char *	dirty;		/* "true"/"false": uncommitted changes
					 * to tracked files at build time */
};
extern const struct hb_build hb_build;

/*
 * hb_sanitized: whether this is a sanitizer build.
 * => hb_build.sanitizer is not "none".  Its timings are several times
 *    those of the default build: not figures (cmd_run refuses --out).
 */
bool	hb_sanitized(void);

/*
 * hb_build_context: add the build's context keys: build_cc, build_cflags,
 * build_sanitizer, build_revision, build_dirty (hb_build's members), and
 * sanitized_results ("true"/"false": hb_sanitized()).
 * => Once, before hbg_run() (hbg_add_context).
 */
void	hb_build_context(void);

#endif /* HB_VERSION_H */
