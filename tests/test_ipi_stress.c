/*
 * test_ipi_stress.c: every vCPU sends a random mix of IPIs to random
 * targets for a while, on every backend; nothing may be lost or doubled.
 * The engine, and what it checks, is in stress_lib.h.
 *
 * Size: a spinning backend runs as many vCPUs as cores; the sleeping
 * backends run max(STRESS_NV_SLEEP, 2 x cores) vCPUs, more than the cores
 * on purpose, and their last vCPU only receives.  At most ITL_MAXV.
 * A sleeping machine made bigger (IPIBENCH_STRESS_VCPUS) keeps that many
 * senders, spread over it; the other vCPUs only receive.
 *
 * Environment:
 *   IPIBENCH_STRESS_SECONDS  time per backend (default 2, at most 600)
 *   IPIBENCH_STRESS_VCPUS    vCPUs per backend, 2..ITL_MAXV; a spinning
 *                            backend is capped at the cores (the figure line
 *                            says so)
 * One line of figures per backend goes to stderr.
 */
#include <math.h>

#include "stress_lib.h"

#define	STRESS_NV_SLEEP	6	/* fewest vCPUs of a sleeping backend */
#define	STRESS_MAX_S	600.0

static double
stress_seconds(void)
{
	const char *v = getenv("IPIBENCH_STRESS_SECONDS");
	char *end;

	if (v == NULL || *v == '\0')
		return 2.0;
	errno = 0;
	double d = strtod(v, &end);
	cr_assert(errno == 0 && end != v && *end == '\0' && isfinite(d) &&
	    d > 0 && d <= STRESS_MAX_S, "IPIBENCH_STRESS_SECONDS=%s: want a "
	    "number of seconds, more than 0 and at most %.0f", v, STRESS_MAX_S);
	return d;
}

/* stress_vcpus: IPIBENCH_STRESS_VCPUS, or 0 when it is not set. */
static unsigned
stress_vcpus(void)
{
	const char *v = getenv("IPIBENCH_STRESS_VCPUS");
	char *end;

	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	unsigned long u = strtoul(v, &end, 10);
	cr_assert(errno == 0 && end != v && *end == '\0' && v[0] != '-' &&
	    u >= 2 && u <= ITL_MAXV, "IPIBENCH_STRESS_VCPUS=%s: want a whole "
	    "number of vCPUs, from 2 to %u", v, ITL_MAXV);
	return (unsigned)u;
}

static void
stress(const struct ipi_backend_ops *ops)
{
	const unsigned cores = itl_cores(), asked = stress_vcpus();
	unsigned n, nsleep = 2 * cores > STRESS_NV_SLEEP ? 2 * cores :
	    STRESS_NV_SLEEP;
	char note[128] = "";

	if (nsleep > ITL_MAXV)
		nsleep = ITL_MAXV;
	if (asked != 0)
		n = asked;
	else
		n = ops->spins ? cores : nsleep;
	if (n > ITL_MAXV)
		n = ITL_MAXV;
	if (ops->spins && n > cores) {
		snprintf(note, sizeof(note), " (IPIBENCH_STRESS_VCPUS=%u capped "
		    "to the cores: %s spins)", asked, ops->name);
		n = cores;
	}
	if (n < 2)
		cr_skip_test("stress %s needs 2 vCPUs, this machine allows %u",
		    ops->name, n);

	const struct stress_cfg cfg = {
		.label = "stress",
		.ops = ops,
		.n = n,
		/*
		 * Sleeping backends: the last vCPU only receives (idle), and
		 * so do those above the default size: a sender spins, and
		 * more spinners than that only slow every message down.
		 */
		.nsend = ops->spins ? n : (n - 1 < nsleep - 1 ? n - 1 :
		    nsleep - 1),
		.secs = stress_seconds(),
		.note = note,
	};
	stress_run(&cfg, NULL);
}

ITL_BACKEND_TESTS(stress, mix, STRESS_MAX_S + 60, stress)
