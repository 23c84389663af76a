/*
 * version.h: the version of ipibench (git describe at build time).
 */
#ifndef HB_VERSION_H
#define HB_VERSION_H

/* hb_version: e.g. "4caeb65-dirty"; "unknown" outside a git checkout. */
extern const char hb_version[];

#endif /* HB_VERSION_H */
