/*
 * test_cpuset.c: the kcpuset operations (ipi/cpuset.h), at the edges:
 * index 0, the word boundaries 63/64, and IPI_MAXCPUS - 1.
 * No vCPU and no backend is involved.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "ipi/cpuset.h"

static const cpuid_t edges[] = { 0, 1, 63, 64, 65, 511, IPI_MAXCPUS - 2,
	IPI_MAXCPUS - 1 };
#define	NEDGES	(sizeof(edges) / sizeof(edges[0]))

Test(cpuset, create_zero_and_full, .timeout = 10)
{
	kcpuset_t *z = NULL, *f = NULL;

	kcpuset_create(&z, true);
	kcpuset_create(&f, false);
	cr_assert_not_null(z);
	cr_assert_not_null(f);
	cr_expect(kcpuset_iszero(z));
	cr_expect_eq(kcpuset_countset(z), 0);
	cr_expect_eq(kcpuset_ffs(z), 0);
	cr_expect(!kcpuset_iszero(f));
	cr_expect_eq(kcpuset_countset(f), IPI_MAXCPUS);
	cr_expect_eq(kcpuset_ffs(f), 1);
	for (size_t k = 0; k < NEDGES; k++) {
		cr_expect(!kcpuset_isset(z, edges[k]), "%u set in empty set",
		    edges[k]);
		cr_expect(kcpuset_isset(f, edges[k]), "%u not in full set",
		    edges[k]);
	}
	kcpuset_destroy(z);
	kcpuset_destroy(f);
	kcpuset_destroy(NULL);
}

Test(cpuset, set_clear_isset_one, .timeout = 10)
{
	kcpuset_t s;

	for (size_t k = 0; k < NEDGES; k++) {
		const cpuid_t i = edges[k];
		kcpuset_zero(&s);
		kcpuset_set(&s, i);
		cr_expect(kcpuset_isset(&s, i), "%u not set", i);
		cr_expect_eq(kcpuset_countset(&s), 1, "set {%u}: count %u", i,
		    kcpuset_countset(&s));
		cr_expect_eq(kcpuset_ffs(&s), i + 1, "set {%u}: ffs %u", i,
		    kcpuset_ffs(&s));
		cr_expect(!kcpuset_iszero(&s));
		for (size_t m = 0; m < NEDGES; m++)
			if (edges[m] != i)
				cr_expect(!kcpuset_isset(&s, edges[m]),
				    "set {%u} has %u", i, edges[m]);
		kcpuset_set(&s, i);	/* idempotent */
		cr_expect_eq(kcpuset_countset(&s), 1);
		kcpuset_clear(&s, i);
		cr_expect(!kcpuset_isset(&s, i), "%u still set", i);
		cr_expect(kcpuset_iszero(&s), "clear %u: not empty", i);
		cr_expect_eq(kcpuset_ffs(&s), 0);
		kcpuset_clear(&s, i);	/* idempotent */
		cr_expect(kcpuset_iszero(&s));
	}
}

Test(cpuset, count_ffs_many, .timeout = 10)
{
	kcpuset_t s;

	kcpuset_zero(&s);
	for (size_t k = NEDGES; k-- > 0;) {
		kcpuset_set(&s, edges[k]);
		cr_expect_eq(kcpuset_countset(&s), NEDGES - k);
		cr_expect_eq(kcpuset_ffs(&s), edges[k] + 1, "lowest %u: ffs %u",
		    edges[k], kcpuset_ffs(&s));
	}
	/* Every other index. */
	kcpuset_zero(&s);
	for (cpuid_t i = 0; i < IPI_MAXCPUS; i += 2)
		kcpuset_set(&s, i);
	cr_expect_eq(kcpuset_countset(&s), IPI_MAXCPUS / 2);
	for (cpuid_t i = 0; i < IPI_MAXCPUS; i++)
		cr_expect_eq(kcpuset_isset(&s, i), i % 2 == 0, "index %u", i);
	kcpuset_clear(&s, 0);
	cr_expect_eq(kcpuset_ffs(&s), 3);
}

Test(cpuset, fill_zero_copy, .timeout = 10)
{
	kcpuset_t a, b;

	kcpuset_fill(&a);
	cr_expect_eq(kcpuset_countset(&a), IPI_MAXCPUS);
	kcpuset_clear(&a, IPI_MAXCPUS - 1);
	kcpuset_clear(&a, 0);
	cr_expect_eq(kcpuset_countset(&a), IPI_MAXCPUS - 2);
	cr_expect_eq(kcpuset_ffs(&a), 2);

	memset(&b, 0xa5, sizeof(b));
	kcpuset_copy(&b, &a);
	cr_expect_eq(kcpuset_countset(&b), IPI_MAXCPUS - 2);
	cr_expect(!kcpuset_isset(&b, 0));
	cr_expect(kcpuset_isset(&b, 1));
	cr_expect(!kcpuset_isset(&b, IPI_MAXCPUS - 1));
	cr_expect(kcpuset_isset(&b, IPI_MAXCPUS - 2));

	kcpuset_copy(&a, &a);	/* self-copy keeps it */
	cr_expect_eq(kcpuset_countset(&a), IPI_MAXCPUS - 2);

	kcpuset_zero(&a);
	cr_expect(kcpuset_iszero(&a));
	cr_expect_eq(kcpuset_countset(&b), IPI_MAXCPUS - 2, "copy is not "
	    "independent of its source");
	kcpuset_copy(&b, &a);
	cr_expect(kcpuset_iszero(&b));
}

/* issubset: across words, equal sets, the empty set, one extra bit. */
Test(cpuset, issubset, .timeout = 10)
{
	kcpuset_t a, b;

	kcpuset_zero(&a);
	kcpuset_zero(&b);
	cr_expect(kcpuset_issubset(&a, &b), "empty in empty");
	kcpuset_set(&b, 3);
	kcpuset_set(&b, 130);
	cr_expect(kcpuset_issubset(&a, &b), "empty in {3, 130}");
	kcpuset_set(&a, 130);
	cr_expect(kcpuset_issubset(&a, &b), "{130} in {3, 130}");
	cr_expect(!kcpuset_issubset(&b, &a), "{3, 130} in {130}");
	kcpuset_set(&a, IPI_MAXCPUS - 1);
	cr_expect(!kcpuset_issubset(&a, &b), "a bit of the last word only "
	    "in a");
	kcpuset_fill(&b);
	cr_expect(kcpuset_issubset(&a, &b), "anything in the full set");
}

#ifdef DIAGNOSTIC
/* Index IPI_MAXCPUS is out of range: asserted (abort) with DIAGNOSTIC. */
Test(cpuset, out_of_range_asserts, .timeout = 10, .signal = SIGABRT)
{
	kcpuset_t s;

	kcpuset_zero(&s);
	kcpuset_set(&s, IPI_MAXCPUS);
}
#endif
