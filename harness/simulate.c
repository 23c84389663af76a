/*
 * simulate.c: a simulated big machine (simulate.h).
 *
 * Two topologies: the simulated one (the run's topology: every plan is
 * made on it) and this machine's (where the threads go).  Binding goes
 * through this machine's topology (hb_topology_bind_thread checks the
 * PU and reads the binding back), so a simulated vCPU is bound as
 * strictly as a real one, only to a PU that others share.
 */
#include <stdio.h>
#include <string.h>

#include "../ipi/backend.h"
#include "../ipi/cpuset.h"
#include "errmsg.h"
#include "simulate.h"

/* sleeping_names: the backends whose idle sleeps, comma-separated. */
static void
sleeping_names(char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; ipi_backends[i] != NULL && o < len; i++)
		if (!ipi_backends[i]->spins)
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
			    o > 0 ? "," : "", ipi_backends[i]->name);
}

/* check_flags: the flags that cannot go with --simulate.  => 0 or -1. */
static int
check_flags(const struct hb_params *p, char *err, size_t errlen)
{
	if (p->topology != NULL) {
		hb_seterr(err, errlen, "--simulate %s with --topology %s: "
		    "one or the other.  --simulate runs the vCPUs of a "
		    "topology oversubscribed on this machine (functional "
		    "checks, not timings); --topology plans for one without "
		    "running anything (`ipibench topo --topology %s`): drop "
		    "--topology", p->simulate, p->topology, p->topology);
		return -1;
	}
	if (p->force) {
		hb_seterr(err, errlen, "--simulate %s with --force: --force "
		    "runs a spinning backend on more vCPUs than cores, which "
		    "a simulated machine cannot do (its vCPUs share this "
		    "machine's PUs); drop --force", p->simulate);
		return -1;
	}
	return 0;
}

int
hb_simulate_check(const struct hb_params *p, const struct hb_topology *sim,
    const struct hb_topology *host, char *err, size_t errlen)
{
	char ok[256];

	if (p->simulate == NULL)
		return 0;
	if (check_flags(p, err, errlen) != 0)
		return -1;
	sleeping_names(ok, sizeof(ok));
	for (unsigned i = 0; i < p->backends.n; i++) {
		const struct ipi_backend_ops *ops = hb_backend_at(p, i);
		char nv[32] = "", nh[32] = "";

		if (!ops->spins)
			continue;
		if (sim != NULL)
			snprintf(nv, sizeof(nv), "%u ", sim->nvcpus);
		if (host != NULL)
			snprintf(nh, sizeof(nh), "%u ", host->nvcpus);
		hb_seterr(err, errlen, "backend %s spins: on a simulated "
		    "machine (--simulate %s) its %svCPUs would share this "
		    "machine's %sPUs and starve each other; --simulate runs "
		    "sleeping backends only (drop %s from --backend, e.g. "
		    "--backend %s)", ops->name, p->simulate, nv, nh,
		    ops->name, ok);
		return -1;
	}
	return 0;
}

int
hb_simulate_open(const struct hb_params *p, struct hb_topology **sim,
    struct hb_topology **host, char *err, size_t errlen)
{
	struct hb_topology *s = NULL, *h = NULL;
	char msg[768];

	*sim = NULL;
	*host = NULL;
	if (p->simulate == NULL) {
		hb_seterr(err, errlen, "--simulate: no topology given");
		return -1;
	}
	/* The flags first; the backends once the counts are known. */
	if (check_flags(p, err, errlen) != 0)
		return -1;
	if (hb_topology_open(p->simulate, &s, msg, sizeof(msg)) != 0) {
		hb_seterr(err, errlen, "--simulate: %s", msg);
		goto fail;
	}
	if (s->thissystem) {
		/* An XML export of this very machine still loads as a file. */
		hb_seterr(err, errlen, "--simulate %s: hwloc says this "
		    "topology is this machine: run without --simulate",
		    p->simulate);
		goto fail;
	}
	if (hb_topology_select(s, p->cpus, p->no_smt, msg, sizeof(msg)) != 0) {
		hb_seterr(err, errlen, "--simulate %s: %s", p->simulate, msg);
		goto fail;
	}
	if (s->nvcpus > IPI_MAXCPUS) {
		hb_seterr(err, errlen, "--simulate %s: %u vCPUs selected, the "
		    "port runs at most %u (IPI_MAXCPUS): select fewer with "
		    "--cpus (e.g. pack:0)", p->simulate, s->nvcpus,
		    IPI_MAXCPUS);
		goto fail;
	}
	if (hb_topology_open(NULL, &h, msg, sizeof(msg)) != 0 ||
	    hb_topology_select(h, NULL, false, msg, sizeof(msg)) != 0) {
		hb_seterr(err, errlen, "--simulate %s: %s", p->simulate, msg);
		goto fail;
	}
	if (hb_simulate_check(p, s, h, err, errlen) != 0)
		goto fail;
	*sim = s;
	*host = h;
	return 0;
fail:
	hb_topology_close(s);
	hb_topology_close(h);
	return -1;
}

int
hb_simulate_pu(const struct hb_topology *host, unsigned idx)
{
	return host->vcpus[idx % host->nvcpus].pu;
}

unsigned
hb_simulate_host_pus(const struct hb_topology *host, unsigned n,
    char *buf, size_t len)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	unsigned m = n < host->nvcpus ? n : host->nvcpus;

	if (len > 0)
		buf[0] = '\0';
	if (set == NULL)
		return 0;
	for (unsigned i = 0; i < m; i++)
		hwloc_bitmap_set(set, (unsigned)host->vcpus[i].pu);
	hb_setstr(set, buf, len);
	hwloc_bitmap_free(set);
	return m;
}
