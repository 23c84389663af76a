/*
 * version.c: the version string and the build (version.h).  The Makefile
 * compiles this file alone with -DIPIBENCH_VERSION='"..."' (git describe
 * --always --dirty --tags), IPIBENCH_CC, _CFLAGS, _SANITIZER, _REVISION
 * and _DIRTY, and rebuilds it every time, so that no other object
 * depends on them.
 */
#include <string.h>

#include "gbench.h"
#include "version.h"

#ifndef IPIBENCH_VERSION
#define	IPIBENCH_VERSION	"unknown"
#endif
#ifndef IPIBENCH_CC
#define	IPIBENCH_CC		"unknown"
#endif
#ifndef IPIBENCH_CFLAGS
#define	IPIBENCH_CFLAGS		"unknown"
#endif
/* Without the Makefile's word, the compiler's (ASan and TSan only). */
#ifndef IPIBENCH_SANITIZER
#if defined(__SANITIZE_ADDRESS__)
#define	IPIBENCH_SANITIZER	"address"
#elif defined(__SANITIZE_THREAD__)
#define	IPIBENCH_SANITIZER	"thread"
#else
#define	IPIBENCH_SANITIZER	"none"
#endif
#endif
#ifndef IPIBENCH_REVISION
#define	IPIBENCH_REVISION	"unknown"
#endif
#ifndef IPIBENCH_DIRTY
#define	IPIBENCH_DIRTY		"unknown"
#endif

const char hb_version[] = IPIBENCH_VERSION;

const struct hb_build hb_build = {
	.cc = IPIBENCH_CC,
	.cflags = IPIBENCH_CFLAGS,
	.sanitizer = IPIBENCH_SANITIZER,
	.revision = IPIBENCH_REVISION,
	.dirty = IPIBENCH_DIRTY,
};

bool
hb_sanitized(void)
{
	return strcmp(hb_build.sanitizer, "none") != 0;
}

void
hb_build_context(void)
{
	hbg_add_context("build_cc", hb_build.cc);
	hbg_add_context("build_cflags", hb_build.cflags);
	hbg_add_context("build_sanitizer", hb_build.sanitizer);
	hbg_add_context("build_revision", hb_build.revision);
	hbg_add_context("build_dirty", hb_build.dirty);
	hbg_add_context("sanitized_results",
	    hb_sanitized() ? "true" : "false");
}
