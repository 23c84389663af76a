/*
 * cpuset.h: the kcpuset(9) operations the port needs.
 *
 * NetBSD's kcpuset_t is an opaque, dynamically sized bitmap of CPU
 * indexes (cpu_index(), not hardware ids).  Here it is a fixed bitmap of
 * IPI_MAXCPUS bits: large enough for the biggest machines we plan for,
 * small enough to live on the stack of a sender.
 */
#ifndef IPI_CPUSET_H
#define IPI_CPUSET_H

#include <stdbool.h>
#include <stdint.h>

#define IPI_MAXCPUS	1024u		/* vCPUs one run can have */

typedef uint32_t cpuid_t;		/* cpu_index(): 0 .. ncpu-1 */

typedef struct kcpuset {
	uint64_t	bits[IPI_MAXCPUS / 64];
} kcpuset_t;

/*
 * kcpuset_create: allocate a set.
 * => zero: true for an empty set, false for a full one.
 * => *retkcp is NULL only when memory is exhausted.
 */
void	kcpuset_create(kcpuset_t **retkcp, bool zero);

/* kcpuset_destroy: free a set from kcpuset_create(); NULL is ignored. */
void	kcpuset_destroy(kcpuset_t *kcp);

/* kcpuset_zero, kcpuset_fill: make the set empty / hold every index. */
void	kcpuset_zero(kcpuset_t *kcp);
void	kcpuset_fill(kcpuset_t *kcp);

/* kcpuset_copy: dst becomes a copy of src. */
void	kcpuset_copy(kcpuset_t *dst, const kcpuset_t *src);

/*
 * kcpuset_set, kcpuset_clear, kcpuset_isset: one index.
 * => i < IPI_MAXCPUS (asserted).
 */
void	kcpuset_set(kcpuset_t *kcp, cpuid_t i);
void	kcpuset_clear(kcpuset_t *kcp, cpuid_t i);
bool	kcpuset_isset(const kcpuset_t *kcp, cpuid_t i);

/* kcpuset_iszero: true when no index is set. */
bool	kcpuset_iszero(const kcpuset_t *kcp);

/*
 * kcpuset_issubset: whether every index of a is in b.  (Not in NetBSD's
 * kcpuset(9); ipi_multicast asserts its target with it.)
 */
bool	kcpuset_issubset(const kcpuset_t *a, const kcpuset_t *b);

/* kcpuset_countset: the number of indexes set. */
cpuid_t	kcpuset_countset(const kcpuset_t *kcp);

/* kcpuset_ffs: 1 + the lowest index set, or 0 for an empty set. */
cpuid_t	kcpuset_ffs(const kcpuset_t *kcp);

#endif /* IPI_CPUSET_H */
