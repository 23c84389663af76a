/*
 * mboxfull.c: the `mboxfull` workload: S senders (vCPUs 0 .. S-1) each
 * keep B synchronous messages outstanding to one target, the last vCPU,
 * whose message function costs H ns (it spins on hb_now()).  A mailbox
 * has IPI_MSG_MAX slots: with S * B above that, senders find it full
 * (the seed's ipi_mboxfull_ev) and spin with backoff in put_msg().
 *
 * One batch: the runner hands every sender a job and sleeps; the senders
 * meet at a barrier (so the wake-up of each job is not measured), then
 * each loops: take the oldest of its B message buffers, ipi_wait() for
 * it if it is in flight, claim a ticket from the batch's shared count
 * (batch * S messages), post the buffer with ipi_unicast().  Tickets, not
 * a fixed count per sender, so that a sender the target serves less
 * also sends less: share_min/share_max are each sender's fraction of the
 * messages (ideal 1/S).  The ticket line is shared by the senders: one
 * atomic decrement per message.  The batch's time is the last sender's
 * end minus the first one's start.
 *
 * Slow parties, on purpose ([mboxfull] ack_delay_ns, put_delay_ns): the
 * port's delay points (ipi/fault.h) hold the target before each ack, or
 * each sender between put_msg() and its trigger, for that long; armed
 * for the body only.  The ack samples end at the end of the function,
 * before the ack delay: the delay shows in throughput, in mailbox-full
 * events and in how the senders share the target.  While a point is
 * armed every vCPU pays a call at every point (fault.h), so a run with
 * a delay is compared with runs with delays, not with the default.
 *
 * Stamps, per message, in its buffer: t_post (sender, hb_now() just
 * before ipi_unicast(), so mailbox-full spinning counts), t_start and
 * t_done (target, hb_now() at the start and at the end of the function;
 * the _pending decrement follows t_done at once, but for the ack delay
 * point), read by the sender after ipi_wait's acquire when it reaps the
 * buffer.  A sender reaps a buffer only when it needs it again, long
 * after the ack: so no wait overhead here (stamps.h has one for
 * unicast, multicast and broadcast).
 *
 * Counters: msgs_per_s; full_per_msg (ipi_mboxfull_count() delta per
 * message); deliver_p50_ns, deliver_p99_ns (t_start - t_post: the post,
 * mailbox-full spinning included, to the function's start); ack_p50_ns,
 * ack_p99_ns (t_done - t_post), and the common p50_ns .. max_ns over the
 * ack samples; share_min, share_max.  At most MB_SAMPLE_CAP samples of
 * each kind are kept per sender (a uniform reservoir past that).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench.h"
#include "harness/timer.h"
#include "harness/workload.h"
#include "ipi/fault.h"
#include "ipi/ipi.h"
#include "ipi/vcpu.h"

#define	MB_SAMPLE_CAP	(256 * 1024)	/* samples of each kept per sender */

struct mboxfull;

/* One message buffer, alone on its line(s). */
struct mb_msg {
	_Alignas(CACHE_LINE_SIZE) ipi_msg_t msg;
	uint64_t	t_post;		/* sender: before ipi_unicast */
	uint64_t	t_start;	/* target: start of the function */
	uint64_t	t_done;		/* target: end of the function */
	uint64_t	h_ticks;	/* cost of the function */
	bool		busy;		/* sender: in flight */
};

struct mb_sender {
	_Alignas(CACHE_LINE_SIZE) struct mboxfull *mb;
	unsigned	idx;		/* cpu_index() */
	struct mb_msg *	msgs;		/* B of them */
	uint64_t	count;		/* messages sent, this body call */
	uint64_t	t_start, t_end;	/* this batch */
	struct hb_samples delivers;	/* ticks: t_start - t_post */
	struct hb_samples acks;		/* ticks: t_done - t_post */
};

struct mboxfull {
	_Alignas(CACHE_LINE_SIZE) _Atomic int64_t tickets;
	_Alignas(CACHE_LINE_SIZE) _Atomic unsigned ready;
	_Atomic int	abort;
	_Alignas(CACHE_LINE_SIZE) unsigned nv, dst, senders, burst,
	    handler_ns, ack_delay_ns, put_delay_ns;
	unsigned *	perf_cpus;	/* senders and dst */
	struct cpu_info *target;
	struct mb_sender *snd;		/* senders of them */
	uint64_t	full;		/* ipi_mboxfull_count(), read on a vCPU */
};

/*
 * mb_func: on the target: spin for the handler's cost; say when it
 * started and when it is done.
 */
static void
mb_func(void *arg)
{
	struct mb_msg *m = arg;
	uint64_t t0 = hb_now(), now = t0;

	while (now - t0 < m->h_ticks)
		now = hb_now();
	m->t_start = t0;
	m->t_done = now;
}

/* mb_since: b - a, 0 when b is earlier. */
static uint64_t
mb_since(uint64_t b, uint64_t a)
{
	return b > a ? b - a : 0;
}

/* mb_reap: on the sender: wait for m and keep its deliver and ack. */
static void
mb_reap(struct mb_sender *s, struct mb_msg *m)
{
	ipi_wait(&m->msg);
	hb_samples_push(&s->delivers, mb_since(m->t_start, m->t_post));
	hb_samples_push(&s->acks, mb_since(m->t_done, m->t_post));
	m->busy = false;
}

/* mb_send: a sender's batch (a job on its vCPU). */
static void
mb_send(void *arg)
{
	struct mb_sender *s = arg;
	struct mboxfull *mb = s->mb;
	unsigned i = 0;

	atomic_fetch_add_explicit(&mb->ready, 1, memory_order_acq_rel);
	while (atomic_load_explicit(&mb->ready, memory_order_acquire) <
	    mb->senders) {
		if (atomic_load_explicit(&mb->abort, memory_order_relaxed))
			return;
		/* Untimed; on a machine whose vCPUs share PUs it yields
		 * (vcpu.h): the senders still to come may need this one. */
		cpu_intr_poll();
	}
	s->t_start = hb_now();
	for (;;) {
		struct mb_msg *m = &s->msgs[i];

		if (m->busy)
			mb_reap(s, m);
		if (atomic_fetch_sub_explicit(&mb->tickets, 1,
		    memory_order_relaxed) <= 0)
			break;
		m->busy = true;
		s->count++;
		m->t_post = hb_now();
		ipi_unicast(&m->msg, mb->target);
		if (++i == mb->burst)
			i = 0;
	}
	for (unsigned k = 0; k < mb->burst; k++)
		if (s->msgs[k].busy)
			mb_reap(s, &s->msgs[k]);
	s->t_end = hb_now();
}

/* mb_read_full: a job: the mailbox-full count, read on a vCPU. */
static void
mb_read_full(void *arg)
{
	struct mboxfull *mb = arg;

	mb->full = ipi_mboxfull_count();
}

/* mb_full: ipi_mboxfull_count() on vCPU 0.  => false: skipped. */
static bool
mb_full(struct hb_bench *b, struct mboxfull *mb, uint64_t *out)
{
	int rc;

	if ((rc = vcpu_post(cpu_lookup(0), mb_read_full, mb)) != 0) {
		hb_bench_error(b, "mboxfull: vCPU 0: vcpu_post: %s",
		    strerror(-rc));
		return false;
	}
	if (!hb_bench_wait(b, cpu_lookup(0)))
		return false;
	*out = mb->full;
	return true;
}

/*
 * mb_delays: arm (on) or disarm the delay points of the run: the
 * target's ack, each sender's put.  The machine outlives the body.
 */
static void
mb_delays(struct mboxfull *mb, bool on)
{

	if (mb->ack_delay_ns != 0)
		ipi_fault_delay(cpu_lookup(mb->dst), IPI_FP_ACK,
		    on ? mb->ack_delay_ns : 0);
	if (mb->put_delay_ns != 0)
		for (unsigned s = 0; s < mb->senders; s++)
			ipi_fault_delay(cpu_lookup(mb->snd[s].idx),
			    IPI_FP_PUT, on ? mb->put_delay_ns : 0);
}

/* mb_run: the measured part of mb_body. */
static void
mb_run(struct hb_bench *b, struct mboxfull *mb)
{
	const struct hb_params *p = hb_bench_params(b);
	uint64_t per = p->batch > 0 ? p->batch : 1;
	uint64_t total = per * mb->senders, msgs = 0, full0, full1;
	uint64_t h_ticks = (uint64_t)(mb->handler_ns * hb_timer()->ghz + 0.5);
	double secs = 0;
	int rc;

	mb->target = cpu_lookup(mb->dst);
	for (unsigned s = 0; s < mb->senders; s++) {
		struct mb_sender *sd = &mb->snd[s];

		sd->count = 0;
		hb_samples_reset(&sd->delivers);
		hb_samples_reset(&sd->acks);
		for (unsigned k = 0; k < mb->burst; k++) {
			struct mb_msg *m = &sd->msgs[k];

			m->msg.func = mb_func;
			m->msg.arg = m;
			m->h_ticks = h_ticks;
			m->busy = false;
		}
	}
	if (!mb_full(b, mb, &full0))
		return;

	while (hb_bench_keep_running(b, total)) {
		uint64_t t0 = UINT64_MAX, t1 = 0;
		unsigned posted;

		atomic_store_explicit(&mb->tickets, (int64_t)total,
		    memory_order_relaxed);
		atomic_store_explicit(&mb->ready, 0, memory_order_relaxed);
		atomic_store_explicit(&mb->abort, 0, memory_order_relaxed);
		for (posted = 0; posted < mb->senders; posted++) {
			struct mb_sender *sd = &mb->snd[posted];

			if ((rc = vcpu_post(cpu_lookup(sd->idx), mb_send,
			    sd)) != 0) {
				atomic_store(&mb->abort, 1);
				hb_bench_error(b, "mboxfull: vCPU %u: "
				    "vcpu_post: %s", sd->idx, strerror(-rc));
				break;
			}
		}
		for (unsigned s = 0; s < posted; s++)
			if (!hb_bench_wait(b, cpu_lookup(mb->snd[s].idx)))
				return;	/* wedged: mb stays with the registry */
		if (posted < mb->senders)
			return;
		for (unsigned s = 0; s < mb->senders; s++) {
			if (mb->snd[s].t_start < t0)
				t0 = mb->snd[s].t_start;
			if (mb->snd[s].t_end > t1)
				t1 = mb->snd[s].t_end;
		}
		hb_bench_set_time(b, hb_ticks_to_ns(t1 - t0) * 1e-9);
		secs += hb_ticks_to_ns(t1 - t0) * 1e-9;
		msgs += total;
	}
	if (msgs == 0 || hb_bench_wedged() || !mb_full(b, mb, &full1))
		return;

	struct hb_samples delivers, acks;
	struct hb_summary sum;
	double smin = 1.0, smax = 0.0, ns = 1.0 / hb_timer()->ghz;

	hb_samples_init(&delivers, 0);
	hb_samples_init(&acks, 0);
	for (unsigned s = 0; s < mb->senders; s++) {
		struct mb_sender *sd = &mb->snd[s];
		double share = (double)sd->count / (double)msgs;

		for (size_t k = 0; k < sd->delivers.n; k++)
			hb_samples_push(&delivers, sd->delivers.v[k]);
		for (size_t k = 0; k < sd->acks.n; k++)
			hb_samples_push(&acks, sd->acks.v[k]);
		if (share < smin)
			smin = share;
		if (share > smax)
			smax = share;
	}
	hb_summarize(delivers.v, delivers.n, &sum);
	hb_bench_counter(b, "deliver_p50_ns", sum.p50 * ns);
	hb_bench_counter(b, "deliver_p99_ns", sum.p99 * ns);
	hb_bench_samples(b, &acks);
	hb_summarize(acks.v, acks.n, &sum);
	hb_bench_counter(b, "ack_p50_ns", sum.p50 * ns);
	hb_bench_counter(b, "ack_p99_ns", sum.p99 * ns);
	hb_bench_counter(b, "msgs_per_s", secs > 0 ? (double)msgs / secs : 0);
	hb_bench_counter(b, "full_per_msg",
	    (double)(full1 - full0) / (double)msgs);
	hb_bench_counter(b, "share_min", smin);
	hb_bench_counter(b, "share_max", smax);
	hb_samples_free(&delivers);
	hb_samples_free(&acks);
}

/*
 * mb_new: one benchmark's parameters.  The senders' state (B message
 * buffers and two sample sets each) is allocated by each body call
 * (mb_senders_alloc): a sweep of every sender count on a big machine
 * registers tens of thousands of these.  => Exits when out of memory.
 */
static struct mboxfull *
mb_new(const struct hb_params *p, unsigned nv, unsigned senders,
    unsigned burst, unsigned handler_ns)
{
	struct mboxfull *mb = aligned_alloc(CACHE_LINE_SIZE, sizeof(*mb));

	if (mb == NULL) {
		fprintf(stderr, "ipibench: mboxfull: out of memory\n");
		exit(1);
	}
	*mb = (struct mboxfull){ .nv = nv, .dst = nv - 1,
	    .senders = senders, .burst = burst, .handler_ns = handler_ns,
	    .ack_delay_ns = p->ack_delay_ns,
	    .put_delay_ns = p->put_delay_ns };
	return mb;
}

/* mb_senders_free: the senders' state; idempotent. */
static void
mb_senders_free(struct mboxfull *mb)
{
	for (unsigned s = 0; mb->snd != NULL && s < mb->senders; s++) {
		free(mb->snd[s].msgs);
		hb_samples_free(&mb->snd[s].delivers);
		hb_samples_free(&mb->snd[s].acks);
	}
	free(mb->snd);
	free(mb->perf_cpus);
	mb->snd = NULL;
	mb->perf_cpus = NULL;
}

/* mb_senders_alloc: the senders' state, zeroed.  => false: no memory. */
static bool
mb_senders_alloc(struct mboxfull *mb)
{
	size_t len = mb->senders * sizeof(*mb->snd);

	mb->snd = aligned_alloc(CACHE_LINE_SIZE,
	    (len + CACHE_LINE_SIZE - 1) / CACHE_LINE_SIZE * CACHE_LINE_SIZE);
	mb->perf_cpus = malloc((mb->senders + 1) * sizeof(*mb->perf_cpus));
	if (mb->snd == NULL || mb->perf_cpus == NULL) {
		free(mb->snd);
		free(mb->perf_cpus);
		mb->snd = NULL;
		mb->perf_cpus = NULL;
		return false;
	}
	for (unsigned s = 0; s < mb->senders; s++) {
		struct mb_sender *sd = &mb->snd[s];

		*sd = (struct mb_sender){ .mb = mb, .idx = s };
		hb_samples_init(&sd->delivers, MB_SAMPLE_CAP);
		hb_samples_init(&sd->acks, MB_SAMPLE_CAP);
		mb->perf_cpus[s] = s;
	}
	for (unsigned s = 0; s < mb->senders; s++) {
		struct mb_sender *sd = &mb->snd[s];

		sd->msgs = aligned_alloc(CACHE_LINE_SIZE,
		    mb->burst * sizeof(*sd->msgs));
		if (sd->msgs == NULL) {
			mb_senders_free(mb);
			return false;
		}
		memset(sd->msgs, 0, mb->burst * sizeof(*sd->msgs));
	}
	mb->perf_cpus[mb->senders] = mb->nv - 1;
	return true;
}

/* mb_body: the benchmark: the delays armed around mb_run. */
static void
mb_body(struct hb_bench *b, void *arg)
{
	struct mboxfull *mb = arg;

	if (ncpu != mb->nv || mb->senders == 0 || mb->senders >= ncpu) {
		hb_bench_error(b, "mboxfull: %u senders to vCPU %u on %u "
		    "vCPUs", mb->senders, mb->dst, ncpu);
		return;
	}
	if (!mb_senders_alloc(mb)) {
		hb_bench_error(b, "mboxfull: out of memory for %u senders",
		    mb->senders);
		return;
	}
	mb_delays(mb, true);
	mb_run(b, mb);
	mb_delays(mb, false);
	if (!hb_bench_wedged())	/* else a stuck job may still use it */
		mb_senders_free(mb);
}

static void
mb_free(void *arg)
{
	struct mboxfull *mb = arg;

	mb_senders_free(mb);
	free(mb);
}


static void
mb_add(const struct hb_run *run, const struct hb_group *g)
{
	const struct hb_params *p = run->params;
	unsigned nv = run->topo->nvcpus, ss[HB_COUNTS_MAX], bs[HB_ULIST_MAX],
	    hs[HB_ULIST_MAX], ns, nb, nh;

	if (nv < 2)
		return;
	ns = hb_ulist_resolve(&p->senders, nv - 1, ss, HB_COUNTS_MAX);
	nb = hb_ulist_resolve(&p->burst, 4096, bs, HB_ULIST_MAX);
	nh = hb_ulist_resolve(&p->handler_ns, 1000000, hs, HB_ULIST_MAX);
	/* The delays, when set, end the name (the defaults keep it). */
	char delays[64] = "";
	int len = 0;

	if (p->ack_delay_ns != 0)
		len = snprintf(delays, sizeof(delays), "/ack_delay_ns:%u",
		    p->ack_delay_ns);
	if (p->put_delay_ns != 0)
		snprintf(delays + len, sizeof(delays) - (size_t)len,
		    "/put_delay_ns:%u", p->put_delay_ns);
	for (unsigned i = 0; i < ns; i++)
		for (unsigned j = 0; j < nb; j++)
			for (unsigned k = 0; k < nh; k++) {
				struct mboxfull *mb = mb_new(p, nv, ss[i],
				    bs[j], hs[k]);

				hb_bench_add(g, mb_body, mb, mb_free,
				    "dst:%u/senders:%u/burst:%u/handler_ns:%u%s",
				    nv - 1, ss[i], bs[j], hs[k], delays);
			}
}

const struct hb_workload hb_workload_mboxfull = {
	.name = "mboxfull",
	.summary = "S senders keep B messages each outstanding to one target "
	    "whose handler costs H ns: throughput, mailbox-full events, "
	    "waits, fairness",
	.kind = HB_KIND_THROUGHPUT,
	.keys = "dst,senders,burst,handler_ns,ack_delay_ns,put_delay_ns",
	.backoff = true,
	.add = mb_add,
};
