/*
 * fuzz_cpus.c: the --cpus list parser, hb_topology_select
 * (harness/topology.c): hwloc-calc's location syntax, "0-3,8",
 * "core:0-7", "pack:1.core:0-3", "numa:1", "all".
 *
 * The input is the --cpus text.  It selects on two topologies opened
 * once: a synthetic one (2 packages, 2 NUMA nodes each, 4 cores of 2
 * PUs per node) and a saved 4-socket Xeon with offline PUs
 * (tests/topologies/, so the error paths for PUs offline and not in the
 * topology are reachable; run from the repository root), each with and
 * without no_smt.  What topology.h promises, checked:
 *   - 0 with t->vcpus filled: at least one vCPU, numbered 0..n-1 in
 *     tree order (ascending PU logical index), each PU usable (online,
 *     allowed) and selected, no two on one core with no_smt, the
 *     selected set exactly their PUs;
 *   - or -1 with a message;
 *   - a list of PU numbers alone ("0-3,8", "010") selects exactly those
 *     PUs, read in decimal (hwloc's own list parser reads C's bases:
 *     "010" was PU 8).
 * LeakSanitizer (libFuzzer's -detect_leaks, on by default) catches
 * memory the parser, or hwloc's own (bitmap list, type names), fails
 * to free per call: the topologies are the only memory kept.
 */
#include <stdbool.h>

#include "harness/topology.h"
#include "tests/fuzz/fuzz.h"

static const char *const sources[] = {
	"synthetic:pack:2 numa:2 core:4 pu:2",
	"tests/topologies/16em64t-4s2c2t-offlines.xml",
};
#define	NSOURCES	(sizeof(sources) / sizeof(sources[0]))

static struct hb_topology *topos[NSOURCES];
static hwloc_bitmap_t want;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	(void)argc;
	(void)argv;
	if ((want = hwloc_bitmap_alloc()) == NULL)
		exit(1);
	for (size_t i = 0; i < NSOURCES; i++) {
		if (hb_topology_open(sources[i], &topos[i], err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "fuzz_cpus: %s (run from the "
			    "repository root)\n", err);
			exit(1);
		}
	}
	return 0;
}

static void
check_selection(const struct hb_topology *t, const char *cpus, bool no_smt)
{
	hwloc_bitmap_t cores = hwloc_bitmap_alloc();
	int last_logical = -1;

	FUZZ_CHECK(cores != NULL, "out of memory");
	FUZZ_CHECK(t->nvcpus > 0 && t->vcpus != NULL, "--cpus '%s' on %s: "
	    "0 with no vCPU", cpus, t->source);
	FUZZ_CHECK(hwloc_bitmap_weight(t->selected) == (int)t->nvcpus,
	    "--cpus '%s' on %s: %u vCPUs, %d PUs selected", cpus, t->source,
	    t->nvcpus, hwloc_bitmap_weight(t->selected));
	for (unsigned i = 0; i < t->nvcpus; i++) {
		const struct hb_vcpu *v = &t->vcpus[i];
		hwloc_obj_t pu = hb_topology_pu(t, v->pu);

		FUZZ_CHECK(v->index == i, "--cpus '%s': vCPU %u has index %u",
		    cpus, i, v->index);
		FUZZ_CHECK(pu != NULL && (int)pu->logical_index ==
		    v->pu_logical, "--cpus '%s' on %s: vCPU %u: PU P#%d is "
		    "not L#%d", cpus, t->source, i, v->pu, v->pu_logical);
		FUZZ_CHECK(v->pu_logical > last_logical, "--cpus '%s' on %s: "
		    "vCPU %u out of tree order", cpus, t->source, i);
		last_logical = v->pu_logical;
		FUZZ_CHECK(hwloc_bitmap_isset(t->usable, (unsigned)v->pu) &&
		    hwloc_bitmap_isset(t->selected, (unsigned)v->pu),
		    "--cpus '%s' on %s: vCPU %u on PU %d, not usable or not "
		    "selected", cpus, t->source, i, v->pu);
		if (no_smt && v->core >= 0) {
			FUZZ_CHECK(!hwloc_bitmap_isset(cores,
			    (unsigned)v->core), "--cpus '%s' on %s with "
			    "no_smt: two vCPUs on core L#%d", cpus, t->source,
			    v->core);
			hwloc_bitmap_set(cores, (unsigned)v->core);
		}
	}
	hwloc_bitmap_free(cores);
}

/*
 * os_list: cpus as a list of PU OS indexes alone (N, N-M, decimal;
 * separated by commas or blanks) into set.  => 0; -1 when it is
 * anything else (then nothing is checked).
 */
static int
os_list(const char *cpus, hwloc_bitmap_t set)
{
	const char *s = cpus;

	hwloc_bitmap_zero(set);
	while (*s != '\0') {
		unsigned long a = 0, b;
		int digits = 0;

		if (strchr(", \t", *s) != NULL) {
			s++;
			continue;
		}
		for (; *s >= '0' && *s <= '9' && a <= 1u << 20; s++, digits++)
			a = a * 10 + (unsigned long)(*s - '0');
		b = a;
		if (digits > 0 && *s == '-') {
			s++;
			b = 0;
			digits = 0;
			for (; *s >= '0' && *s <= '9' && b <= 1u << 20; s++,
			    digits++)
				b = b * 10 + (unsigned long)(*s - '0');
		}
		if (digits == 0 || a > b || b > 1u << 20 ||
		    (*s != '\0' && strchr(", \t", *s) == NULL))
			return -1;
		hwloc_bitmap_set_range(set, (unsigned)a, (int)b);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cpus = fuzz_cstr(data, size);
	char err[512];

	if (cpus == NULL)
		return -1;	/* a NUL: not a command-line argument */
	for (size_t i = 0; i < NSOURCES; i++) {
		for (int no_smt = 0; no_smt <= 1; no_smt++) {
			struct hb_topology *t = topos[i];

			err[0] = '\0';
			if (hb_topology_select(t, cpus, no_smt, err,
			    sizeof(err)) == 0) {
				check_selection(t, cpus, no_smt);
				FUZZ_CHECK(no_smt || os_list(cpus, want) != 0 ||
				    hwloc_bitmap_isequal(want, t->selected),
				    "--cpus '%s' on %s: selects other PUs than "
				    "it names", cpus, t->source);
			} else
				FUZZ_CHECK(fuzz_errmsg_ok(err, sizeof(err)),
				    "--cpus '%s' on %s: -1 without a message",
				    cpus, t->source);
		}
	}
	free(cpus);
	return 0;
}
