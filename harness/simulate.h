/*
 * simulate.h: a simulated big machine (`ipibench run --simulate SRC`).
 *
 * The vCPUs are those of a planning topology (an hwloc XML file or a
 * synthetic description: one vCPU per selected PU of it), and everything
 * planned from the run's topology (pair classes, multicast orders,
 * placement plans) comes from it; but the threads run on this machine,
 * oversubscribed: vCPU i is bound to the (i mod M)-th of the M PUs this
 * process may use (the host topology's vCPUs: online, allowed, in the
 * affinity mask), round-robin.  What only shows at scale (sets wider
 * than 64 bits, spread orders across packages, broadcasts to hundreds of
 * vCPUs, starting and stopping hundreds of threads) is exercised; the
 * figures are not timings.
 *
 * Only sleeping backends can run so: a spinning idle (busypoll) on N
 * vCPUs sharing M < N PUs starves the vCPUs that have work.  Memory is
 * not placed (the simulated nodes are not this machine's): every
 * per-vCPU IPI state is allocated by the runtime; the plan is kept.
 */
#ifndef HB_SIMULATE_H
#define HB_SIMULATE_H

#include <stddef.h>

#include "params.h"
#include "topology.h"

/* The placement note of a simulated machine (placement.h's note). */
#define	HB_SIMULATE_PLACEMENT_NOTE					\
	"simulated topology: per-vCPU state allocated by the runtime, not "\
	"placed"

/*
 * hb_simulate_check: refuse what a simulated run cannot do.
 * => p->simulate NULL: nothing to check, returns 0.
 * => Refused: --topology with --simulate (one machine at a time: name
 *    which flag to use for what), --force (it runs a spinning backend
 *    oversubscribed, exactly what a simulation must not), and every
 *    spinning backend of p->backends (ops->spins), the message naming
 *    the backend and what to drop.
 * => sim and host: the opened topologies (hb_simulate_open), for the
 *    counts in the messages; either may be NULL (checked before opening:
 *    the message then gives no counts).
 * => Returns 0; or -1 with a message naming the input in err.
 */
int	hb_simulate_check(const struct hb_params *p,
	    const struct hb_topology *sim, const struct hb_topology *host,
	    char *err, size_t errlen);

/*
 * hb_simulate_open: open and select the simulated topology and this
 * machine's, and check the run (hb_simulate_check).
 * => p->simulate must not be NULL.
 * => *sim: topology p->simulate (planning: !thissystem), its vCPUs
 *    selected by p->cpus and p->no_smt, at most IPI_MAXCPUS of them.
 * => *host: this machine, every PU this process may use selected (the
 *    flags --cpus and --no-smt apply to the simulated topology only).
 * => Returns 0 with both set (hb_topology_close each); or -1 with a
 *    message naming the input in err and both NULL.
 */
int	hb_simulate_open(const struct hb_params *p, struct hb_topology **sim,
	    struct hb_topology **host, char *err, size_t errlen);

/*
 * hb_simulate_pu: the host PU (OS index) that simulated vCPU idx runs
 * on: host->vcpus[idx mod host->nvcpus].pu.
 * => host has vCPUs selected.
 */
int	hb_simulate_pu(const struct hb_topology *host, unsigned idx);

/*
 * hb_simulate_host_pus: the host PUs that n simulated vCPUs run on (the
 * first min(n, host->nvcpus) of host's vCPUs), in hwloc's list syntax,
 * into buf (hb_setstr: cut with "..." when long).
 * => Returns how many PUs that is (0 when out of memory: buf "").
 */
unsigned hb_simulate_host_pus(const struct hb_topology *host, unsigned n,
	    char *buf, size_t len);

#endif /* HB_SIMULATE_H */
