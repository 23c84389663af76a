/*
 * pingpong.h: the cache-line round trip of the `pingpong` yardstick
 * (pingpong.c says how it works), for the workloads that measure it
 * beside their own operation on the same pair (matrix).  workloads/ only.
 */
#ifndef WORKLOADS_PINGPONG_H
#define WORKLOADS_PINGPONG_H

#include <stdatomic.h>
#include <stdint.h>

#include "ipi/vcpu.h"

/*
 * Each field on a 128-byte block of its own: prefetchers fetch lines in
 * aligned pairs, and the responder's reads of stop should not pull the
 * line of seq along (measured: p50 120 ns here, 130 ns with stop on the
 * line next to seq; the TSC moves in 10 ns steps).
 */
#define	PP_ALIGN	(2 * CACHE_LINE_SIZE)

struct pingpong {
	_Alignas(PP_ALIGN) _Atomic uint64_t seq;	/* the one line */
	_Alignas(PP_ALIGN) _Atomic int stop;
	_Alignas(PP_ALIGN) uint64_t next;		/* sender's own */
};

/*
 * pingpong_alloc: a zeroed struct pingpong, PP_ALIGN aligned.
 * => NULL when out of memory.  Free with free().
 */
struct pingpong *pingpong_alloc(void);

/*
 * pingpong_serve: the responder, on dst: answer every odd seq with
 * seq + 1 until pingpong_stop().
 * => Returns once stop was set, which may be before it started.
 */
void	pingpong_serve(void *pp);

/* pingpong_stop: make pingpong_serve() return.  Callable from anywhere. */
void	pingpong_stop(void *pp);

/*
 * pingpong_op: on src: one round trip of the line, timed.
 * => A responder serves pp (or will: the op waits for it).
 * => Returns the round trip in timer ticks (timer.h).
 */
uint64_t pingpong_op(void *pp);

#endif /* WORKLOADS_PINGPONG_H */
