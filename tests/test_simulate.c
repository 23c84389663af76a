/*
 * test_simulate.c: a simulated big machine (harness/simulate.c, and the
 * simulated path of harness/machine.c).
 *
 * hb_simulate_open: the simulated topology is a planning one selected by
 * --cpus and --no-smt, this machine's has every PU the process may use;
 * vCPU i goes to this machine's (i mod M)-th PU.  hb_simulate_check: a
 * spinning backend, --topology and --force are refused with a message
 * naming the input, and so are a bad file and more vCPUs than the port
 * runs.  Then a simulated machine of 64 vCPUs really runs through the
 * registry: every vCPU is bound to the PU the round-robin says (read
 * back with sched_getcpu), and one multicast to every vCPU above 63 (a
 * set wider than one 64-bit word) and broadcasts reach every target.
 */
#include <criterion/criterion.h>

#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/gbench.h"
#include "harness/params.h"
#include "harness/simulate.h"
#include "harness/topology.h"
#include "ipi/backend.h"
#include "ipi/ipi.h"
#include "ipi/vcpu.h"
#include "json_testlib.h"

#define	SIM64	"synthetic:pack:2 numa:2 core:16 pu:1"
#define	EPYC	"tests/topologies/AMD-19h-Zen4-2xEpyc-9654.xml"

/* params: defaults, then key=value pairs (NULL-terminated). */
static void
params(struct hb_params *p, ...)
{
	char err[512];
	va_list ap;
	const char *k, *v;

	hb_params_init(p);
	va_start(ap, p);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		cr_assert_eq(hb_param_set(p, k, v, err, sizeof(err)), 0,
		    "%s=%s: %s", k, v, err);
	}
	va_end(ap);
}

Test(simulate, opens_both_and_deals_round_robin, .timeout = 30)
{
	struct hb_params p;
	struct hb_topology *sim, *host;
	char err[1024] = "", buf[256];
	int ncpu_here;

	params(&p, "simulate", SIM64, "backends", "futex,eventfd", NULL);
	cr_assert_eq(hb_simulate_open(&p, &sim, &host, err, sizeof(err)), 0,
	    "%s", err);
	cr_expect(!sim->thissystem);
	cr_expect(host->thissystem);
	cr_expect_str_eq(sim->source, SIM64);
	cr_expect_eq(sim->nvcpus, 64);
	cr_expect_eq(sim->vcpus[63].package, 1);
	ncpu_here = (int)sysconf(_SC_NPROCESSORS_ONLN);
	cr_expect(host->nvcpus >= 1 && (int)host->nvcpus <= ncpu_here,
	    "%u host PUs of %d online", host->nvcpus, ncpu_here);
	for (unsigned i = 0; i < sim->nvcpus; i++)
		cr_expect_eq(hb_simulate_pu(host, i),
		    host->vcpus[i % host->nvcpus].pu, "vCPU %u", i);
	cr_expect_eq(hb_simulate_host_pus(host, sim->nvcpus, buf,
	    sizeof(buf)), host->nvcpus < 64 ? host->nvcpus : 64);
	cr_expect_neq(buf[0], '\0');
	cr_expect_eq(hb_simulate_host_pus(host, 1, buf, sizeof(buf)), 1);
	snprintf(err, sizeof(err), "%d", host->vcpus[0].pu);
	cr_expect_str_eq(buf, err);
	hb_topology_close(sim);
	hb_topology_close(host);
	hb_params_free(&p);
}

Test(simulate, cpus_and_no_smt_select_on_the_simulated_machine,
    .timeout = 30)
{
	struct hb_params p;
	struct hb_topology *sim, *host;
	char err[1024] = "";

	params(&p, "simulate", EPYC, "backends", "futex", "cpus", "pack:1",
	    "no_smt", "true", NULL);
	cr_assert_eq(hb_simulate_open(&p, &sim, &host, err, sizeof(err)), 0,
	    "%s", err);
	cr_expect_eq(sim->nvcpus, 96, "pack:1, one PU per core: %u",
	    sim->nvcpus);
	for (unsigned i = 0; i < sim->nvcpus; i++)
		cr_expect_eq(sim->vcpus[i].package, 1);
	hb_topology_close(sim);
	hb_topology_close(host);
	hb_params_free(&p);
}

/* refused: hb_simulate_open fails with every piece of want in err. */
static void
refused(struct hb_params *p, const char *const *want)
{
	struct hb_topology *sim = (void *)1, *host = (void *)1;
	char err[1024] = "";

	cr_assert_eq(hb_simulate_open(p, &sim, &host, err, sizeof(err)), -1,
	    "accepted");
	cr_expect_null(sim);
	cr_expect_null(host);
	for (; *want != NULL; want++)
		cr_expect_not_null(strstr(err, *want), "'%s' not in: %s",
		    *want, err);
	hb_params_free(p);
}

Test(simulate, refuses_a_spinning_backend, .timeout = 30)
{
	struct hb_params p;
	char err[1024] = "";

	for (unsigned i = 0; ipi_backends[i] != NULL; i++) {
		const struct ipi_backend_ops *b = ipi_backends[i];
		char spins[128], drop[128];

		if (!b->spins)
			continue;
		params(&p, "simulate", SIM64, "backends", b->name, NULL);
		snprintf(spins, sizeof(spins), "backend %s spins", b->name);
		snprintf(drop, sizeof(drop), "drop %s from --backend",
		    b->name);
		refused(&p, (const char *const[]){ spins, "64 vCPUs",
		    "sleeping backends only", drop, NULL });
	}
	/* Every backend (the default) has the spinning ones. */
	params(&p, "simulate", SIM64, NULL);
	refused(&p, (const char *const[]){ " spins: ", NULL });
	/* Checked on parameters alone: no counts. */
	params(&p, "simulate", SIM64, "backends", "busypoll", NULL);
	cr_expect_eq(hb_simulate_check(&p, NULL, NULL, err, sizeof(err)), -1);
	cr_expect_not_null(strstr(err, "busypoll spins"), "%s", err);
	hb_params_free(&p);
}

Test(simulate, refuses_topology_force_bad_files, .timeout = 30)
{
	struct hb_params p;
	char err[64] = "x";

	params(&p, "simulate", SIM64, "backends", "futex", "topology", EPYC,
	    NULL);
	refused(&p, (const char *const[]){ "--simulate " SIM64,
	    "--topology " EPYC, "drop --topology", NULL });
	params(&p, "simulate", SIM64, "backends", "futex", "force", "true",
	    NULL);
	refused(&p, (const char *const[]){ "with --force", "drop --force",
	    NULL });
	params(&p, "simulate", "/nonexistent/machine.xml", "backends",
	    "futex", NULL);
	refused(&p, (const char *const[]){ "/nonexistent/machine.xml",
	    "cannot open", NULL });
	params(&p, "simulate", "synthetic:pack:2 bogus:3", "backends",
	    "futex", NULL);
	refused(&p, (const char *const[]){ "synthetic:pack:2 bogus:3", NULL });
	params(&p, "simulate", "tests/topologies", "backends", "futex", NULL);
	refused(&p, (const char *const[]){ "tests/topologies", NULL });
	params(&p, "simulate", SIM64, "backends", "futex", "cpus", "pack:5",
	    NULL);
	refused(&p, (const char *const[]){ SIM64, "pack:5", NULL });
	/* More vCPUs than the port runs (IPI_MAXCPUS). */
	params(&p, "simulate", "synthetic:pack:4 core:160 pu:2", "backends",
	    "futex", NULL);
	refused(&p, (const char *const[]){ "1280 vCPUs", "IPI_MAXCPUS",
	    NULL });
	/* Not simulated: nothing to refuse. */
	params(&p, "backends", "busypoll", "force", "true", NULL);
	cr_expect_eq(hb_simulate_check(&p, NULL, NULL, err, sizeof(err)), 0);
	cr_expect_str_eq(err, "x", "err written: %s", err);
	hb_params_free(&p);
}

/*
 * A simulated machine through the registry.
 */

static const struct hb_workload w_sim = { .name = "sim", .keys = "k" };

struct simrun {
	const struct hb_topology *host;
	unsigned	nv;
	_Atomic int	bad_pu;		/* first vCPU on the wrong PU, or -1 */
	_Atomic int	ran;		/* bodies run */
	ipi_msg_t	msg;
	kcpuset_t	wide;		/* vCPUs 1, 63 and 64 .. nv-1 */
	unsigned	nwide;
	_Atomic unsigned long handled, expected;
};

/* sim_where: a job on each vCPU: is it on the PU the round-robin says? */
static void
sim_where(void *arg)
{
	struct simrun *s = arg;
	unsigned i = (unsigned)cpu_index(curcpu());
	int want = hb_simulate_pu(s->host, i), expect = -1;

	if (sched_getcpu() != want || cpu_pu(curcpu()) != want)
		atomic_compare_exchange_strong(&s->bad_pu, &expect, (int)i);
}

static void
sim_func(void *arg)
{
	struct simrun *s = arg;

	atomic_fetch_add(&s->handled, 1);
}

/* sim_op: on vCPU 0: the wide multicast, then a broadcast. */
static uint64_t
sim_op(void *arg)
{
	struct simrun *s = arg;

	ipi_multicast(&s->msg, &s->wide);
	ipi_wait(&s->msg);
	ipi_broadcast(&s->msg, true);
	ipi_wait(&s->msg);
	atomic_fetch_add(&s->expected, s->nwide + (s->nv - 1));
	return 100;
}

static void
sim_body(struct hb_bench *b, void *arg)
{
	struct simrun *s = arg;
	CPU_INFO_ITERATOR cii;
	struct cpu_info *ci;

	atomic_fetch_add(&s->ran, 1);
	if (ncpu != s->nv) {
		hb_bench_error(b, "%u vCPUs, not %u", ncpu, s->nv);
		return;
	}
	for (CPU_INFO_FOREACH(cii, ci))
		if (vcpu_call(ci, sim_where, s, 10000000000ull) != 0) {
			hb_bench_error(b, "vCPU %u: no answer", (unsigned)cii);
			return;
		}
	s->msg.func = sim_func;
	s->msg.arg = s;
	struct hb_op op = { .sender = cpu_lookup(0), .op = sim_op,
	    .arg = s };
	hb_measure(b, &op);
}

/*
 * sim_run: a simulated machine of topology src on backend b and
 * placement pl runs sim_body once through the registry: every vCPU on
 * its round-robin PU, every multicast and broadcast target reached, no
 * error.
 */
static void
sim_run(const char *src, const char *b, enum hb_policy pl, unsigned nv)
{
	static struct simrun s = { .bad_pu = -1 };
	struct hb_params p;
	struct hb_topology *sim, *host;
	char err[1024] = "";

	params(&p, "simulate", src, "backends", b, "batch", "2", "timeout",
	    "60", NULL);
	cr_assert_eq(hb_simulate_open(&p, &sim, &host, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(sim->nvcpus, nv);
	struct hb_run run = { .params = &p, .topo = sim, .ncores = nv,
	    .simulated = true, .host = host };
	struct hb_group g = { .workload = &w_sim,
	    .backend = ipi_backend_lookup(b), .placement = pl };

	s.host = host;
	s.nv = nv;
	kcpuset_zero(&s.wide);
	s.nwide = 0;
	for (unsigned i = 1; i < nv; i += i < 64 ? 62 : 1) {
		kcpuset_set(&s.wide, i);	/* 1, 63, 64 .. nv-1 */
		s.nwide++;
	}
	hb_bench_begin(&run);
	/* One batch of 2 operations, one repetition. */
	hb_entry_fix(hb_bench_add(&g, sim_body, &s, NULL, "k:1"), 2, 1);

	char *json = run_registered("test_simulate");

	cr_expect_null(strstr(json, "error_message"), "%s", json);
	cr_expect_geq(atomic_load(&s.ran), 1);
	cr_expect_eq(atomic_load(&s.bad_pu), -1, "vCPU %d not on its PU",
	    atomic_load(&s.bad_pu));
	cr_expect_gt(atomic_load(&s.expected), 0);
	cr_expect_eq(atomic_load(&s.handled), atomic_load(&s.expected));
	cr_expect_eq(hb_bench_end(), 0);
	free(json);
	hb_topology_close(sim);
	hb_topology_close(host);
	hb_params_free(&p);
}

Test(simulate, machine_of_64_on_this_machines_pus, .timeout = 120)
{
	sim_run(SIM64, "futex", HB_PLACE_LOCAL, 64);
}

/* 384 vCPUs: sets of six 64-bit words; a placement plan across nodes. */
Test(simulate, machine_of_384_wide_sets, .timeout = 180)
{
	sim_run(EPYC, "eventfd", HB_PLACE_INTERLEAVE, 384);
}
