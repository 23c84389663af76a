/*
 * stamps.c: the arrays behind stamps.h and their join (stamps.h says
 * what is measured and how).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench.h"
#include "harness/stats.h"
#include "harness/timer.h"
#include "workloads/stamps.h"

/* lines: bytes rounded up to whole cache lines. */
static size_t
lines(size_t bytes)
{
	return (bytes + CACHE_LINE_SIZE - 1) / CACHE_LINE_SIZE *
	    CACHE_LINE_SIZE;
}

/* since: b - a, 0 when b is earlier (a bare TSC read may run early). */
static uint64_t
since(uint64_t b, uint64_t a)
{
	return b > a ? b - a : 0;
}

/* arrays_free: the arrays (not while a job may use them). */
static void
arrays_free(struct stamps *st)
{
	for (unsigned i = 0; st->recs != NULL && i < st->nslots; i++)
		free(st->recs[i]);
	free(st->recs);
	free(st->t0);
	free(st->t1);
	st->recs = NULL;
	st->t0 = NULL;
	st->t1 = NULL;
}

/*
 * arrays_alloc: t0, t1 and one array per target, st->cap entries each.
 * => false on out of memory (nothing left allocated).
 */
static bool
arrays_alloc(struct stamps *st)
{
	size_t bytes, rbytes = lines(st->nslots * sizeof(*st->recs));

	if (st->cap > (SIZE_MAX - CACHE_LINE_SIZE) / sizeof(struct stamps_ent))
		return false;
	bytes = lines((size_t)st->cap * sizeof(struct stamps_ent));
	/* recs on lines of its own: the targets read it, nothing writes */
	if ((st->recs = aligned_alloc(CACHE_LINE_SIZE, rbytes)) != NULL)
		memset(st->recs, 0, rbytes);
	st->t0 = calloc(st->cap, sizeof(*st->t0));
	st->t1 = calloc(st->cap, sizeof(*st->t1));
	if (st->recs == NULL || st->t0 == NULL || st->t1 == NULL)
		goto nomem;
	for (unsigned i = 0; i < st->k; i++) {
		struct stamps_ent *e = aligned_alloc(CACHE_LINE_SIZE, bytes);

		if (e == NULL)
			goto nomem;
		memset(e, 0, bytes);
		st->recs[st->targets[i]] = e;
	}
	return true;
nomem:
	arrays_free(st);
	return false;
}

bool
stamps_setup(struct stamps *st, struct hb_bench *b, const char *who,
    unsigned src, const unsigned *targets, unsigned k)
{
	uint64_t batch = hb_bench_params(b)->batch;

	stamps_release(st);	/* a body before that failed */
	st->seq = 0;
	st->cap = batch > 0 ? batch : 1;	/* as hb_measure */
	st->src = src;
	st->rawtsc = hb_timer()->tsc;	/* hb_now() reads the TSC too */
	st->targets = targets;
	st->k = k;
	st->nslots = ncpu;
	st->first = 1;
	st->warmup = hb_bench_params(b)->warmup_ops;	/* as hb_measure */
	st->missing = 0;
	hb_samples_init(&st->deliver, 0);
	hb_samples_init(&st->ack, 0);
	hb_samples_init(&st->overhead, 0);
	for (unsigned i = 0; i < k; i++) {
		if (targets[i] >= ncpu || targets[i] == src) {
			hb_bench_error(b, "%s: target %u of sender %u on %u "
			    "vCPUs (harness bug)", who, targets[i], src, ncpu);
			return false;
		}
	}
	if (!arrays_alloc(st)) {
		hb_bench_error(b, "%s: out of memory for %ju stamps per target",
		    who, (uintmax_t)st->cap);
		return false;
	}
	return true;
}

/*
 * stamps_touch: st->touch's function, on a target: a store to each
 * entry of its array (t_end only: an entry is read again only when its
 * seq matches an operation of the batch, which then rewrites it whole).
 */
static void
stamps_touch(void *arg)
{
	struct stamps *st = arg;
	unsigned idx = (unsigned)cpu_index(curcpu());
	volatile struct stamps_ent *e;

	if (idx >= st->nslots || (e = st->recs[idx]) == NULL)
		return;
	for (uint64_t i = 0; i < st->cap; i++)
		e[i].t_end = 0;
}

void
stamps_batch_begin(void *arg)
{
	struct stamps *st = arg;

	st->first = st->seq + 1 + st->warmup;
	st->touch.func = stamps_touch;
	st->touch.arg = st;
	for (unsigned i = 0; i < st->k; i++) {
		ipi_unicast(&st->touch, cpu_lookup(st->targets[i]));
		ipi_wait(&st->touch);
	}
}

void
stamps_batch_end(void *arg)
{
	struct stamps *st = arg;

	for (uint64_t s = st->first; s <= st->seq; s++) {
		uint64_t i = s % st->cap, t0 = st->t0[i], last = 0;
		bool all = true;

		for (unsigned j = 0; j < st->k; j++) {
			const struct stamps_ent *e =
			    &st->recs[st->targets[j]][i];

			if (e->seq != s) {
				st->missing++;
				all = false;
				continue;
			}
			hb_samples_push(&st->deliver, since(e->t_start, t0));
			if (e->t_end > last)
				last = e->t_end;
		}
		if (!all)
			continue;
		hb_samples_push(&st->ack, since(last, t0));
		hb_samples_push(&st->overhead, since(st->t1[i], last));
	}
}

bool
stamps_report(struct stamps *st, struct hb_bench *b, const char *who)
{
	double ns = 1.0 / hb_timer()->ghz;
	struct hb_summary sum;

	if (hb_bench_wedged() || hb_bench_failed(b))
		return false;
	if (st->missing > 0) {
		hb_bench_error(b, "%s: %ju stamps not recorded (harness bug)",
		    who, (uintmax_t)st->missing);
		return false;
	}
	if (st->ack.n == 0)
		return true;
	hb_summarize(st->deliver.v, st->deliver.n, &sum);
	hb_bench_counter(b, "deliver_p50_ns", sum.p50 * ns);
	hb_bench_counter(b, "deliver_p99_ns", sum.p99 * ns);
	hb_summarize(st->ack.v, st->ack.n, &sum);
	hb_bench_counter(b, "ack_p50_ns", sum.p50 * ns);
	hb_bench_counter(b, "ack_p99_ns", sum.p99 * ns);
	hb_summarize(st->overhead.v, st->overhead.n, &sum);
	hb_bench_counter(b, "wait_overhead_p50_ns", sum.p50 * ns);
	return true;
}

void
stamps_release(struct stamps *st)
{
	if (hb_bench_wedged())
		return;
	arrays_free(st);
	hb_samples_free(&st->deliver);
	hb_samples_free(&st->ack);
	hb_samples_free(&st->overhead);
}
