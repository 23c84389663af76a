/*
 * test_placement.c: where each vCPU's IPI state goes (harness/placement.c).
 *
 * On this machine the state is really allocated: every slot must be
 * cache-line aligned, IPI_PERCPU_SIZE long, share no line with another,
 * and sit on the node the policy planned -- checked here with the
 * kernel's move_pages(2) (libnuma's numaif.h), not with hwloc, so the
 * check does not repeat the code under test.  On planning topologies
 * only the plan exists: it is checked against hwloc's objects and
 * distance matrix read here.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <numaif.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <hwloc.h>

#include "harness/placement.h"
#include "harness/topology.h"

#define	TOPODIR	"tests/topologies/"

static struct hb_topology *
open_sel(const char *src, const char *cpus)
{
	struct hb_topology *t;
	char err[512] = "";

	cr_assert_eq(hb_topology_open(src, &t, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(hb_topology_select(t, cpus, false, err, sizeof(err)), 0,
	    "%s", err);
	return t;
}

static struct hb_placement *
place(const struct hb_topology *t, enum hb_policy p)
{
	struct hb_placement *pl;
	char err[512] = "";

	cr_assert_eq(hb_placement_create(t, p, &pl, err, sizeof(err)), 0,
	    "%s on %s: %s", hb_policy_name(p), t->source, err);
	cr_assert_eq(pl->n, t->nvcpus);
	cr_assert_eq(pl->policy, p);
	return pl;
}

/* The node the kernel says page of addr is on (move_pages, query only). */
static int
kernel_node(void *addr)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *page = (void *)((uintptr_t)addr & ~((uintptr_t)pg - 1));
	int status = -1;

	if (move_pages(0, 1, &page, NULL, &status, 0) != 0)
		return -1000;
	return status;
}

Test(placement, names, .timeout = 10)
{
	enum hb_policy p;

	for (unsigned i = 0; i < HB_PLACE_NPOLICIES; i++) {
		cr_assert_eq(hb_policy_parse(hb_policy_name((enum hb_policy)i),
		    &p), 0);
		cr_expect_eq(p, (enum hb_policy)i);
	}
	cr_expect_eq(hb_policy_parse("far", &p), -1);
	cr_expect_eq(hb_policy_parse("", &p), -1);
	cr_expect_eq(hb_policy_parse(NULL, &p), -1);
}

/*
 * This machine: every policy, real memory.
 */
Test(placement, this_machine_every_policy, .timeout = 60)
{
	struct hb_topology *t = open_sel(NULL, NULL);
	int nnodes = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_NUMANODE);

	for (unsigned p = 0; p < HB_PLACE_NPOLICIES; p++) {
		struct hb_placement *pl = place(t, (enum hb_policy)p);
		const char *name = hb_policy_name((enum hb_policy)p);

		cr_expect_eq(hb_placement_mismatches(pl), 0, "%s", name);
		for (unsigned i = 0; i < pl->n; i++) {
			struct ipi_percpu *s = pl->specs[i].state;
			int kn;

			cr_assert_not_null(s, "%s: vCPU %u has no state", name, i);
			cr_expect_eq((uintptr_t)s % IPI_PERCPU_ALIGN, 0,
			    "%s: vCPU %u state misaligned", name, i);
			cr_expect_eq(pl->specs[i].pu, t->vcpus[i].pu);
			cr_expect_eq(pl->specs[i].node, t->vcpus[i].node);
			/* No cache line shared with another vCPU's state. */
			for (unsigned j = 0; j < pl->n; j++) {
				uintptr_t a = (uintptr_t)s;
				uintptr_t b = (uintptr_t)pl->specs[j].state;

				if (j == i)
					continue;
				cr_expect(a + IPI_PERCPU_SIZE <= b ||
				    b + IPI_PERCPU_SIZE <= a,
				    "%s: states of vCPU %u and %u overlap",
				    name, i, j);
			}
			/* Writable, zeroed by first touch. */
			cr_expect_eq(s->mbox.msg[0], NULL);
			cr_expect_eq(s->ipipend[0], 0);
			s->ipipend[0] = 1;

			/* Where the kernel says it is = where planned. */
			kn = kernel_node(s);
			cr_expect_eq(pl->actual_node[i], kn, "%s: vCPU %u "
			    "measured node %d, kernel says %d", name, i,
			    pl->actual_node[i], kn);
			cr_expect_eq(kn, pl->planned_node[i], "%s: vCPU %u on "
			    "node %d, planned %d", name, i, kn,
			    pl->planned_node[i]);
			if (p == HB_PLACE_LOCAL)
				cr_expect_eq(pl->planned_node[i],
				    t->vcpus[i].node);
		}
		cr_expect_eq(pl->bound, p != HB_PLACE_SINGLE &&
		    !pl->membind_denied, "%s: bound", name);
		if (pl->membind_denied)
			cr_expect(pl->note != NULL && strstr(pl->note,
			    "binding refused") != NULL);
		if (nnodes == 1 && (p == HB_PLACE_REMOTE ||
		    p == HB_PLACE_INTERLEAVE)) {
			cr_assert_not_null(pl->note, "%s: one node, no note",
			    name);
			cr_expect(strstr(pl->note, "same as local") != NULL,
			    "%s: %s", name, pl->note);
			for (unsigned i = 0; i < pl->n; i++)
				cr_expect_eq(pl->planned_node[i],
				    t->vcpus[i].node);
		}
		hb_placement_destroy(pl);
	}
	hb_topology_close(t);
}

/*
 * Planning topologies: the plan, nothing allocated.
 */

static void
expect_unallocated(const struct hb_placement *pl)
{
	cr_expect(!pl->bound);
	cr_expect_eq(pl->narenas, 0);
	cr_expect_eq(hb_placement_mismatches(pl), 0);
	for (unsigned i = 0; i < pl->n; i++) {
		cr_expect_null(pl->specs[i].state);
		cr_expect_eq(pl->actual_node[i], -1);
	}
}

Test(placement, planning_local_single, .timeout = 30)
{
	struct hb_topology *t = open_sel(TOPODIR "48amd64-4pa2n6c-sparse.xml",
	    NULL);
	struct hb_placement *pl = place(t, HB_PLACE_LOCAL);

	expect_unallocated(pl);
	for (unsigned i = 0; i < pl->n; i++) {
		hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(t->topo,
		    (unsigned)t->vcpus[i].pu);

		cr_expect(hwloc_bitmap_isset(pu->nodeset,
		    (unsigned)pl->planned_node[i]), "vCPU %u planned on node "
		    "%d, not its own", i, pl->planned_node[i]);
		cr_expect_eq(pl->specs[i].pu, t->vcpus[i].pu);
	}
	hb_placement_destroy(pl);

	pl = place(t, HB_PLACE_SINGLE);
	expect_unallocated(pl);
	for (unsigned i = 0; i < pl->n; i++)
		cr_expect_eq(pl->planned_node[i], t->vcpus[0].node);
	hb_placement_destroy(pl);
	hb_topology_close(t);
}

Test(placement, planning_interleave, .timeout = 30)
{
	struct hb_topology *t = open_sel(TOPODIR "64amd64-4s2n4ca2co.xml", NULL);
	struct hb_placement *pl = place(t, HB_PLACE_INTERLEAVE);
	int count[8] = { 0 };

	expect_unallocated(pl);
	cr_expect_null(pl->note);
	for (unsigned i = 0; i < pl->n; i++) {
		cr_assert(pl->planned_node[i] >= 0 && pl->planned_node[i] < 8);
		count[pl->planned_node[i]]++;
		/* Neighbours go to different nodes. */
		if (i > 0)
			cr_expect_neq(pl->planned_node[i],
			    pl->planned_node[i - 1]);
	}
	for (int n = 0; n < 8; n++)
		cr_expect_eq(count[n], 8, "node %d holds %d states", n,
		    count[n]);
	hb_placement_destroy(pl);
	hb_topology_close(t);
}

/* remote: the planned node is at the largest latency distance. */
Test(placement, planning_remote_farthest, .timeout = 30)
{
	static const char *const files[] = {
		"64amd64-4s2n4ca2co.xml", "48amd64-4pa2n6c-sparse.xml",
		"192em64t-24n8c2t.xml",
	};

	for (unsigned f = 0; f < 3; f++) {
		char path[256];
		struct hb_topology *t;
		struct hb_placement *pl;
		struct hwloc_distances_s *d;
		unsigned nr = 1;

		snprintf(path, sizeof(path), TOPODIR "%s", files[f]);
		t = open_sel(path, NULL);
		pl = place(t, HB_PLACE_REMOTE);
		expect_unallocated(pl);
		cr_assert_eq(hwloc_distances_get_by_type(t->topo,
		    HWLOC_OBJ_NUMANODE, &nr, &d,
		    HWLOC_DISTANCES_KIND_MEANS_LATENCY, 0), 0);
		cr_assert_eq(nr, 1, "%s has no latency matrix", path);
		for (unsigned i = 0; i < pl->n; i++) {
			int own = -1, far = -1;
			uint64_t max = 0;

			/* Row of the node whose cpuset holds the PU. */
			for (unsigned k = 0; k < d->nbobjs; k++)
				if (hwloc_bitmap_isset(d->objs[k]->cpuset,
				    (unsigned)t->vcpus[i].pu))
					own = (int)k;
			cr_assert_geq(own, 0);
			for (unsigned k = 0; k < d->nbobjs; k++) {
				if ((int)d->objs[k]->os_index ==
				    pl->planned_node[i])
					far = (int)k;
				if (d->values[own * d->nbobjs + k] > max)
					max = d->values[own * d->nbobjs + k];
			}
			cr_assert_geq(far, 0, "%s: vCPU %u planned on node %d, "
			    "not in the matrix", path, i, pl->planned_node[i]);
			cr_expect_neq(far, own, "%s: vCPU %u: remote is its own "
			    "node", path, i);
			cr_expect_eq(d->values[own * d->nbobjs + far], max,
			    "%s: vCPU %u: node %d is not the farthest", path, i,
			    pl->planned_node[i]);
		}
		hwloc_distances_release(t->topo, d);
		hb_placement_destroy(pl);
		hb_topology_close(t);
	}
}

/* remote without distances: another node; one node: local, said so. */
Test(placement, planning_remote_fallbacks, .timeout = 30)
{
	struct hb_topology *t = open_sel("synthetic:pack:2 numa:2 core:2 pu:1",
	    NULL);
	struct hb_placement *pl = place(t, HB_PLACE_REMOTE);

	cr_assert_not_null(pl->note);
	cr_expect(strstr(pl->note, "distances") != NULL, "%s", pl->note);
	for (unsigned i = 0; i < pl->n; i++)
		cr_expect_neq(pl->planned_node[i], t->vcpus[i].node);
	hb_placement_destroy(pl);
	hb_topology_close(t);

	t = open_sel(TOPODIR "AMD-19h-Zen4-2xEpyc-9654.xml", NULL);
	for (unsigned p = 0; p < HB_PLACE_NPOLICIES; p++) {
		pl = place(t, (enum hb_policy)p);
		expect_unallocated(pl);
		for (unsigned i = 0; i < pl->n; i++)
			cr_expect_eq(pl->planned_node[i], 0);
		if (p == HB_PLACE_REMOTE || p == HB_PLACE_INTERLEAVE) {
			cr_assert_not_null(pl->note);
			cr_expect(strstr(pl->note, "one NUMA node") != NULL &&
			    strstr(pl->note, hb_policy_name((enum hb_policy)p))
			    != NULL, "%s", pl->note);
		} else {
			cr_expect_null(pl->note);
		}
		hb_placement_destroy(pl);
	}
	hb_topology_close(t);
}

/*
 * A container that denies the NUMA policy syscalls: mbind and
 * set_mempolicy fail with EPERM (a seccomp filter, in this test's own
 * process).  The STRICT allocation must fail, the fallback must say so,
 * and the state must still be usable and measured where it landed.
 */
Test(placement, membind_denied, .timeout = 30)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mbind, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_set_mempolicy, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO |
		    (EPERM & SECCOMP_RET_DATA)),
	};
	struct sock_fprog prog = {
		.len = sizeof(f) / sizeof(f[0]),
		.filter = f,
	};
	struct hb_topology *t = open_sel(NULL, NULL);
	struct hb_placement *pl;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		cr_skip_test("seccomp unavailable: %s", strerror(errno));
	cr_assert_eq(syscall(__NR_mbind, 0, 0, 0, 0, 0, 0), -1);
	cr_assert_eq(errno, EPERM);

	pl = place(t, HB_PLACE_LOCAL);
	cr_expect(pl->membind_denied);
	cr_expect(!pl->bound);
	cr_assert_not_null(pl->note);
	cr_expect(strstr(pl->note, "binding refused") != NULL &&
	    strstr(pl->note, "first touch") != NULL, "%s", pl->note);
	for (unsigned i = 0; i < pl->n; i++) {
		cr_assert_not_null(pl->specs[i].state);
		cr_expect_eq(pl->actual_node[i], kernel_node(pl->specs[i].state));
		/* First touch from the node's PUs put it there. */
		cr_expect_eq(pl->actual_node[i], pl->planned_node[i]);
	}
	cr_expect_eq(hb_placement_mismatches(pl), 0);
	hb_placement_destroy(pl);
	hb_topology_close(t);
}

Test(placement, errors, .timeout = 10)
{
	struct hb_topology *t = open_sel(NULL, NULL);
	struct hb_placement *pl;
	char err[256];

	cr_expect_eq(hb_placement_create(t, HB_PLACE_NPOLICIES, &pl, err,
	    sizeof(err)), -1);
	cr_expect_null(pl);
	cr_expect(strstr(err, "policy") != NULL, "%s", err);
	hb_placement_destroy(NULL);
	hb_topology_close(t);
}
