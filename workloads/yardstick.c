/*
 * yardstick.c: the plumbing the yardstick workloads share: one benchmark
 * per representative pair, a responder job on the pair's target around
 * hb_measure() on its sender.
 */
#include "yardstick.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/topology.h"

void
ys_add_pairs(const struct hb_run *run, const struct hb_group *g,
    hb_body_fn body)
{
	struct hb_pair *pairs = NULL;
	unsigned n = hb_topology_pairs(run->topo, false, &pairs);

	for (unsigned i = 0; i < n; i++) {
		struct ys_pair *p = malloc(sizeof(*p));
		if (p == NULL)
			break;
		p->src = pairs[i].src;
		p->dst = pairs[i].dst;
		hb_bench_add(g, body, p, free, "src:%u/dst:%u/class:%s",
		    p->src, p->dst, hb_pair_class_name(pairs[i].cls));
	}
	free(pairs);
}

unsigned
ys_measured_cpus(const struct hb_run *run, unsigned **out)
{
	struct hb_pair *pairs = NULL;
	unsigned n = hb_topology_pairs(run->topo, false, &pairs);
	unsigned *cpus = malloc((2 * n + 1) * sizeof(*cpus));
	unsigned k = 0;

	*out = NULL;
	if (cpus == NULL) {
		free(pairs);
		return 0;
	}
	for (unsigned i = 0; i < 2 * n; i++) {
		unsigned c = i % 2 == 0 ? pairs[i / 2].src : pairs[i / 2].dst;
		unsigned j = 0;
		while (j < k && cpus[j] < c)
			j++;
		if (j < k && cpus[j] == c)
			continue;
		memmove(&cpus[j + 1], &cpus[j], (k - j) * sizeof(*cpus));
		cpus[j] = c;
		k++;
	}
	if (k == 0)
		cpus[k++] = 0;
	free(pairs);
	*out = cpus;
	return k;
}

bool
ys_run(struct hb_bench *b, const struct ys_pair *p, struct hb_op *op,
    void (*serve)(void *), void (*stop)(void *), void *state)
{
	struct cpu_info *dst = cpu_lookup(p->dst);
	int error;

	op->sender = cpu_lookup(p->src);
	op->perf_cpus = &p->dst;
	op->nperf_cpus = 1;
	if ((error = vcpu_post(dst, serve, state)) != 0) {
		hb_bench_error(b, "cannot post the responder on vCPU %u: %s",
		    p->dst, strerror(-error));
		return true;
	}
	hb_measure(b, op);
	stop(state);
	/* A sender stuck in op (the watchdog fired) still uses state. */
	return hb_bench_wait(b, dst) && !hb_bench_wedged();
}

/*
 * The sender's job of ys_in_situ.  Its samples are its own (heap): a job
 * the watchdog gave up on may still run, and must not write into the
 * caller's memory.
 */
struct ys_job {
	uint64_t	(*op)(void *);
	void *		arg;
	unsigned	nops;
	struct hb_samples samples;
};

static void
ys_job_run(void *arg)
{
	struct ys_job *j = arg;

	for (unsigned i = 0; i < j->nops; i++) {
		YS_DRAIN();	/* as hb_measure: the push is not timed */
		hb_samples_push(&j->samples, j->op(j->arg));
	}
}

bool
ys_in_situ(struct hb_bench *b, unsigned src, const unsigned *targets,
    unsigned n, void *const *states, void (*serve)(void *),
    void (*stop)(void *), uint64_t (*op)(void *), void *oparg,
    unsigned nops, struct hb_samples *out, bool *leaked)
{
	struct ys_job *j = malloc(sizeof(*j));
	unsigned posted;
	bool ok = true;
	int error;

	*leaked = false;
	if (j == NULL) {
		hb_bench_error(b, "reference: out of memory");
		return false;
	}
	*j = (struct ys_job){ .op = op, .arg = oparg, .nops = nops };
	hb_samples_init(&j->samples, nops);
	for (posted = 0; posted < n; posted++)
		if ((error = vcpu_post(cpu_lookup(targets[posted]), serve,
		    states[posted])) != 0) {
			hb_bench_error(b, "reference: cannot post the "
			    "responder on vCPU %u: %s", targets[posted],
			    strerror(-error));
			ok = false;
			break;
		}
	if (ok && (error = vcpu_post(cpu_lookup(src), ys_job_run, j)) != 0) {
		hb_bench_error(b, "reference: cannot post on vCPU %u: %s", src,
		    strerror(-error));
		ok = false;
	} else if (ok && !hb_bench_wait(b, cpu_lookup(src))) {
		*leaked = true;		/* the sender may still run op */
		return false;
	}
	for (unsigned i = 0; i < posted; i++)
		stop(states[i]);
	for (unsigned i = 0; i < posted && !*leaked; i++)
		if (!hb_bench_wait(b, cpu_lookup(targets[i])))
			*leaked = true;
	for (size_t i = 0; ok && i < j->samples.n; i++)
		hb_samples_push(out, j->samples.v[i]);
	hb_samples_free(&j->samples);
	free(j);
	return ok && !*leaked;
}

void *
ys_alloc(size_t size)
{
	size_t sz = (size + CACHE_LINE_SIZE - 1) & ~(size_t)(CACHE_LINE_SIZE - 1);
	void *m = aligned_alloc(CACHE_LINE_SIZE, sz);

	if (m != NULL)
		memset(m, 0, sz);
	return m;
}

