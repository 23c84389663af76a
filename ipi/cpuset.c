/*
 * cpuset.c: the kcpuset(9) operations of cpuset.h on a fixed bitmap.
 *
 * Bit i of the set is bit (i % 64) of word i / 64.  Nothing here is
 * atomic: like NetBSD's kcpuset_* (not kcpuset_atomic_*), a set is owned
 * by one thread at a time; senders build theirs on the stack.
 */
#include <stdlib.h>
#include <string.h>

#include "cpuset.h"
#include "kassert.h"

#define	KCPUSET_WORDS	(IPI_MAXCPUS / 64)

/*
 * kcpuset_create: allocate a set.
 * => zero: true for an empty set, false for a full one.
 * => *retkcp is NULL only when memory is exhausted.
 */
void
kcpuset_create(kcpuset_t **retkcp, bool zero)
{
	kcpuset_t *kcp;

	KASSERT(retkcp != NULL);
	kcp = malloc(sizeof(*kcp));
	if (kcp != NULL) {
		if (zero)
			kcpuset_zero(kcp);
		else
			kcpuset_fill(kcp);
	}
	*retkcp = kcp;
}

/*
 * kcpuset_destroy: free a set from kcpuset_create().
 * => NULL is ignored.
 */
void
kcpuset_destroy(kcpuset_t *kcp)
{
	free(kcp);
}

/*
 * kcpuset_zero: make the set empty.
 */
void
kcpuset_zero(kcpuset_t *kcp)
{
	KASSERT(kcp != NULL);
	memset(kcp->bits, 0, sizeof(kcp->bits));
}

/*
 * kcpuset_fill: make the set hold every index below IPI_MAXCPUS.
 */
void
kcpuset_fill(kcpuset_t *kcp)
{
	KASSERT(kcp != NULL);
	memset(kcp->bits, 0xff, sizeof(kcp->bits));
}

/*
 * kcpuset_copy: dst becomes a copy of src.
 * => dst and src may be the same set.
 */
void
kcpuset_copy(kcpuset_t *dst, const kcpuset_t *src)
{
	KASSERT(dst != NULL && src != NULL);
	memmove(dst, src, sizeof(*dst));
}

/*
 * kcpuset_set: add index i.
 * => i < IPI_MAXCPUS.
 */
void
kcpuset_set(kcpuset_t *kcp, cpuid_t i)
{
	KASSERT(kcp != NULL);
	KASSERT(i < IPI_MAXCPUS);
	kcp->bits[i / 64] |= UINT64_C(1) << (i % 64);
}

/*
 * kcpuset_clear: remove index i.
 * => i < IPI_MAXCPUS.
 */
void
kcpuset_clear(kcpuset_t *kcp, cpuid_t i)
{
	KASSERT(kcp != NULL);
	KASSERT(i < IPI_MAXCPUS);
	kcp->bits[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

/*
 * kcpuset_isset: whether index i is in the set.
 * => i < IPI_MAXCPUS.
 */
bool
kcpuset_isset(const kcpuset_t *kcp, cpuid_t i)
{
	KASSERT(kcp != NULL);
	KASSERT(i < IPI_MAXCPUS);
	return (kcp->bits[i / 64] >> (i % 64)) & 1;
}

/*
 * kcpuset_iszero: whether no index is set.
 */
bool
kcpuset_iszero(const kcpuset_t *kcp)
{
	KASSERT(kcp != NULL);
	for (unsigned w = 0; w < KCPUSET_WORDS; w++) {
		if (kcp->bits[w] != 0)
			return false;
	}
	return true;
}

/*
 * kcpuset_issubset: whether every index of a is also in b.
 */
bool
kcpuset_issubset(const kcpuset_t *a, const kcpuset_t *b)
{
	KASSERT(a != NULL && b != NULL);
	for (unsigned w = 0; w < KCPUSET_WORDS; w++) {
		if ((a->bits[w] & ~b->bits[w]) != 0)
			return false;
	}
	return true;
}

/*
 * kcpuset_countset: the number of indexes set.
 */
cpuid_t
kcpuset_countset(const kcpuset_t *kcp)
{
	cpuid_t n = 0;

	KASSERT(kcp != NULL);
	for (unsigned w = 0; w < KCPUSET_WORDS; w++)
		n += (cpuid_t)__builtin_popcountll(kcp->bits[w]);
	return n;
}

/*
 * kcpuset_ffs: 1 + the lowest index set.
 * => 0 for an empty set.
 */
cpuid_t
kcpuset_ffs(const kcpuset_t *kcp)
{
	KASSERT(kcp != NULL);
	for (unsigned w = 0; w < KCPUSET_WORDS; w++) {
		if (kcp->bits[w] != 0)
			return w * 64 + (cpuid_t)__builtin_ctzll(kcp->bits[w]) + 1;
	}
	return 0;
}
