/*
 * criterion_tsan_shim.c: lets Criterion's runner work under
 * ThreadSanitizer.  Not a test: tests/run.sh builds it as a shared
 * object and LD_PRELOADs it into the test binaries when SAN has "thread".
 *
 * Why: Criterion 2.4 (BoxFort) maps its "inheritable arena" with
 * MAP_FIXED at a random address 0x2000_0000_0000 + rand_r() * 16 MiB,
 * up to 0x6000_0000_0000, trying 10 addresses that mincore() says are
 * free.  TSan reserves nearly all of that span (shadow, metadata and
 * PROT_NONE gaps); only 0x5500_0000_0000 .. 0x5680_0000_0000 is
 * application memory.  So the runner dies with "Could not initialize
 * inheritable arena: Resource temporarily unavailable", or gets an arena
 * inside TSan's ranges and crashes later (SEGV in libcriterion).  This
 * is Criterion issue #274 (open): no option turns the arena off.
 *
 * What: rand_r() is interposed so that every value BoxFort draws puts
 * the arena in that application range; BoxFort still checks each page
 * with mincore() and retries on a clash.  Nothing in ipibench's tests
 * uses rand_r(); the stream stays pseudo-random (xorshift32).
 */
#include <stdint.h>
#include <stdlib.h>

/* First and last-plus-one rand_r() value: (0x5500.. - 0x2000..) >> 24. */
#define	ARENA_R_LO	0x350000u
#define	ARENA_R_HI	0x368000u

/* rand_r: xorshift32 of *seedp, in [ARENA_R_LO, ARENA_R_HI). */
int
rand_r(unsigned int *seedp)
{
	uint32_t x = *seedp != 0 ? *seedp : 2463534242u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*seedp = x;
	return (int)(ARENA_R_LO + x % (ARENA_R_HI - ARENA_R_LO));
}
