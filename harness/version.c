/*
 * version.c: the version string.  The Makefile compiles this file alone
 * with -DIPIBENCH_VERSION='"..."' (git describe --always --dirty --tags)
 * and rebuilds it every time, so that no other object depends on it.
 */
#include "version.h"

#ifndef IPIBENCH_VERSION
#define	IPIBENCH_VERSION	"unknown"
#endif

const char hb_version[] = IPIBENCH_VERSION;
