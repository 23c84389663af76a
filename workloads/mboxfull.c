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
 * it if it is in flight, post it with ipi_unicast().  The batch's time
 * is the last sender's end minus the first one's start.
 *
 * Closed loop ([mboxfull] rate 0, the default): each sender posts as
 * soon as a buffer is free, while the batch's tickets last (batch * S
 * messages in all).  Tickets, not a fixed count per sender, so that a
 * sender the target serves less also sends less: share_min/share_max
 * are each sender's fraction of the messages (ideal 1/S).  A sender
 * claims MB_CHUNK tickets at a time (fewer for a small batch: at most a
 * sixteenth of its share): one atomic on the shared line per chunk, not
 * per message.
 *
 * Open loop (rate R > 0, a benchmark per value, named /rate:R): each
 * sender sends its quota of the batch (batch messages, fewer when that
 * would take more than a quarter of the watchdog's bound) on a
 * schedule, message i due at t_start + (i + s / S) / R for sender s (the
 * senders' phases spread, so that the target sees one message every
 * 1 / (R * S), not S at once); it waits for the due time
 * (taking interrupts), or posts at once when late, and every wait is
 * timed from the due time, not from the post.  A closed-loop sender
 * that the target stalls stops posting, so the stall shows in the few
 * messages in flight (coordinated omission); here the messages due
 * meanwhile wait too, and count.  Past what the target serves the
 * waits grow through each batch (the schedule restarts with it): read
 * msgs_per_s below offered_per_s as overload.
 *
 * Slow parties, on purpose ([mboxfull] ack_delay_ns, put_delay_ns): the
 * port's delay points (ipi/fault.h) hold the target before each ack, or
 * each sender between put_msg() and its trigger, for that long; armed
 * for the body only.  The ack samples end at the end of the function,
 * before the ack delay: the delay shows in throughput, in mailbox-full
 * events, in how the senders share the target and, open loop, in the
 * waits of the messages queued behind.  While a point is armed every
 * vCPU pays a call at every point (fault.h), so a run with a delay is
 * compared with runs with delays, not with the default.
 *
 * Stamps, per message, in its buffer: t_post (sender, hb_now() just
 * before ipi_unicast(), so mailbox-full spinning counts; open loop: the
 * due time), t_start and t_done (target, hb_now() at the start and at
 * the end of the function; the _pending decrement follows t_done at
 * once, but for the ack delay point), read by the sender after
 * ipi_wait's acquire when it reaps the buffer.  A sender reaps a buffer
 * only when it needs it again, long after the ack: so no wait overhead
 * here (stamps.h has one for unicast, multicast and broadcast).  Each
 * sender records into histograms of its own (harness/hist.h: a fixed
 * array, a few shifts and one increment a sample, whatever the run's
 * length); they are merged after the body's last batch, so every
 * message counts once, whichever sender sent it.
 *
 * Counters: msgs_per_s (achieved); offered_per_s (open loop: R * S);
 * full_per_msg (ipi_mboxfull_count() delta per message); deliver_p50_ns,
 * deliver_p99_ns (t_start - t_post: the post, mailbox-full spinning
 * included, to the function's start); ack_p50_ns, ack_p99_ns (t_done -
 * t_post), and the common p50_ns .. max_ns over the ack samples;
 * samples (messages timed: every message sent); share_min, share_max.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench.h"
#include "harness/hist.h"
#include "harness/timer.h"
#include "harness/workload.h"
#include "ipi/fault.h"
#include "ipi/ipi.h"
#include "ipi/vcpu.h"

#define	MB_CHUNK	64	/* tickets a closed sender claims */

struct mboxfull;

/* One message buffer, alone on its line(s). */
struct mb_msg {
	_Alignas(CACHE_LINE_SIZE) ipi_msg_t msg;
	uint64_t	t_post;		/* sender: the post, or its due */
	uint64_t	t_start;	/* target: start of the function */
	uint64_t	t_done;		/* target: end of the function */
	uint64_t	h_ticks;	/* cost of the function */
	bool		busy;		/* sender: in flight */
};

struct mb_sender {
	_Alignas(CACHE_LINE_SIZE) struct mboxfull *mb;
	unsigned	idx;		/* cpu_index() */
	bool		fresh;		/* histograms to reset */
	struct mb_msg *	msgs;		/* B of them */
	uint64_t	count;		/* messages sent, this body call */
	uint64_t	t_start, t_end;	/* this batch */
	struct hb_hist	delivers;	/* ticks: t_start - t_post */
	struct hb_hist	acks;		/* ticks: t_done - t_post */
};

struct mboxfull {
	_Alignas(CACHE_LINE_SIZE) _Atomic int64_t tickets;
	_Alignas(CACHE_LINE_SIZE) _Atomic unsigned ready;
	_Atomic int	abort;
	_Alignas(CACHE_LINE_SIZE) unsigned nv, dst, senders, burst,
	    handler_ns, ack_delay_ns, put_delay_ns;
	unsigned	rate;		/* per sender, /s; 0: closed */
	unsigned	chunk;		/* closed: tickets per claim */
	uint64_t	quota;		/* open: per sender per batch */
	double		period;		/* open: ticks between dues */
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

/* mb_reap: on the sender: wait for m and record its deliver and ack. */
static void
mb_reap(struct mb_sender *s, struct mb_msg *m)
{
	ipi_wait(&m->msg);
	hb_hist_record(&s->delivers, mb_since(m->t_start, m->t_post));
	hb_hist_record(&s->acks, mb_since(m->t_done, m->t_post));
	m->busy = false;
}

/* mb_drain: on the sender: reap every buffer still in flight. */
static void
mb_drain(struct mb_sender *s)
{
	for (unsigned k = 0; k < s->mb->burst; k++)
		if (s->msgs[k].busy)
			mb_reap(s, &s->msgs[k]);
}

/*
 * mb_meet: on the sender, untimed: its histograms reset on the body's
 * first batch (here, so that their pages are the sender's), then the
 * barrier of the batch's senders.  => false: the batch was aborted.
 */
static bool
mb_meet(struct mb_sender *s)
{
	struct mboxfull *mb = s->mb;

	if (s->fresh) {
		hb_hist_reset(&s->delivers);
		hb_hist_reset(&s->acks);
		s->fresh = false;
	}
	atomic_fetch_add_explicit(&mb->ready, 1, memory_order_acq_rel);
	while (atomic_load_explicit(&mb->ready, memory_order_acquire) <
	    mb->senders) {
		if (atomic_load_explicit(&mb->abort, memory_order_relaxed))
			return false;
		/* Untimed; on a machine whose vCPUs share PUs it yields
		 * (vcpu.h): the senders still to come may need this one. */
		cpu_intr_poll();
	}
	return true;
}

/*
 * mb_claim: on a closed-loop sender: up to mb->chunk tickets of the
 * batch.  => How many it got; 0 when none is left.
 */
static uint64_t
mb_claim(struct mboxfull *mb)
{
	int64_t left = atomic_fetch_sub_explicit(&mb->tickets,
	    (int64_t)mb->chunk, memory_order_relaxed);

	if (left <= 0)
		return 0;
	return left < (int64_t)mb->chunk ? (uint64_t)left : mb->chunk;
}

/* mb_send_closed: a closed-loop sender's batch (a job on its vCPU). */
static void
mb_send_closed(void *arg)
{
	struct mb_sender *s = arg;
	struct mboxfull *mb = s->mb;
	uint64_t mine = 0;
	unsigned i = 0;

	if (!mb_meet(s))
		return;
	s->t_start = hb_now();
	for (;;) {
		struct mb_msg *m = &s->msgs[i];

		if (m->busy)
			mb_reap(s, m);
		if (mine == 0) {
			if ((mine = mb_claim(mb)) == 0)
				break;
			s->count += mine;
		}
		mine--;
		m->busy = true;
		m->t_post = hb_now();
		ipi_unicast(&m->msg, mb->target);
		if (++i == mb->burst)
			i = 0;
	}
	mb_drain(s);
	s->t_end = hb_now();
}

/*
 * mb_send_open: an open-loop sender's batch (a job on its vCPU): its
 * quota, message k due at t_start + (k + idx / senders) * period and
 * timed from then.
 */
static void
mb_send_open(void *arg)
{
	struct mb_sender *s = arg;
	struct mboxfull *mb = s->mb;
	double phase = mb->period * s->idx / mb->senders;
	uint64_t t0;
	unsigned i = 0;

	if (!mb_meet(s))
		return;
	s->t_start = t0 = hb_now();
	for (uint64_t k = 0; k < mb->quota; k++) {
		struct mb_msg *m = &s->msgs[i];
		uint64_t due = t0 + (uint64_t)((double)k * mb->period + phase);

		if (m->busy)
			mb_reap(s, m);
		while (hb_now() < due)
			cpu_intr_poll();	/* early: wait, as a CPU */
		m->busy = true;
		m->t_post = due;
		ipi_unicast(&m->msg, mb->target);
		if (++i == mb->burst)
			i = 0;
	}
	s->count += mb->quota;
	mb_drain(s);
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

/*
 * mb_pace: the batch's shape from per, the batch of one sender: closed,
 * the tickets per claim; open, the quota (per, or what the rate sends in
 * a quarter of the watchdog's bound, at least 1) and the period.
 * => Returns the messages of one batch, all senders.
 */
static uint64_t
mb_pace(struct mboxfull *mb, const struct hb_params *p, uint64_t per)
{
	if (mb->rate == 0) {
		uint64_t c = per / 16;

		mb->chunk = c < 1 ? 1 : c > MB_CHUNK ? MB_CHUNK : (unsigned)c;
		return per * mb->senders;
	}
	uint64_t fit = (uint64_t)mb->rate * p->timeout / 4;

	mb->quota = per < fit ? per : fit > 0 ? fit : 1;
	mb->period = hb_timer()->ghz * 1e9 / mb->rate;
	return mb->quota * mb->senders;
}

/*
 * mb_report_hist: the common counters (p50_ns .. max_ns, samples: every
 * message, as hb_measure's) from histogram h of ticks.
 */
static void
mb_report_hist(struct hb_bench *b, const struct hb_hist *h)
{
	struct hb_summary sum;

	hb_hist_summarize(h, &sum);
	hb_bench_summary(b, &sum, h->n);
}

/* mb_run: the measured part of mb_body. */
static void
mb_run(struct hb_bench *b, struct mboxfull *mb)
{
	const struct hb_params *p = hb_bench_params(b);
	uint64_t total = mb_pace(mb, p, p->batch > 0 ? p->batch : 1);
	uint64_t msgs = 0, full0, full1;
	uint64_t h_ticks = (uint64_t)(mb->handler_ns * hb_timer()->ghz + 0.5);
	void (*send)(void *) = mb->rate == 0 ? mb_send_closed : mb_send_open;
	double secs = 0;
	int rc;

	mb->target = cpu_lookup(mb->dst);
	for (unsigned s = 0; s < mb->senders; s++) {
		struct mb_sender *sd = &mb->snd[s];

		sd->count = 0;
		sd->fresh = true;
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

			if ((rc = vcpu_post(cpu_lookup(sd->idx), send,
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

	/* Every sender's samples, weighted by its messages: into sender
	 * 0's histograms (reset by the next body call). */
	struct hb_hist *delivers = &mb->snd[0].delivers;
	struct hb_hist *acks = &mb->snd[0].acks;
	struct hb_summary sum;
	double smin = 1.0, smax = 0.0, ns = 1.0 / hb_timer()->ghz;

	for (unsigned s = 0; s < mb->senders; s++) {
		struct mb_sender *sd = &mb->snd[s];
		double share = (double)sd->count / (double)msgs;

		if (s > 0) {
			hb_hist_merge(delivers, &sd->delivers);
			hb_hist_merge(acks, &sd->acks);
		}
		if (share < smin)
			smin = share;
		if (share > smax)
			smax = share;
	}
	hb_hist_summarize(delivers, &sum);
	hb_bench_counter(b, "deliver_p50_ns", sum.p50 * ns);
	hb_bench_counter(b, "deliver_p99_ns", sum.p99 * ns);
	mb_report_hist(b, acks);
	hb_hist_summarize(acks, &sum);
	hb_bench_counter(b, "ack_p50_ns", sum.p50 * ns);
	hb_bench_counter(b, "ack_p99_ns", sum.p99 * ns);
	hb_bench_counter(b, "msgs_per_s", secs > 0 ? (double)msgs / secs : 0);
	if (mb->rate != 0)
		hb_bench_counter(b, "offered_per_s",
		    (double)mb->rate * mb->senders);
	hb_bench_counter(b, "full_per_msg",
	    (double)(full1 - full0) / (double)msgs);
	hb_bench_counter(b, "share_min", smin);
	hb_bench_counter(b, "share_max", smax);
}

/*
 * mb_new: one benchmark's parameters.  The senders' state (B message
 * buffers and two histograms each) is allocated by each body call
 * (mb_senders_alloc): a sweep of every sender count on a big machine
 * registers tens of thousands of these.  => Exits when out of memory.
 */
static struct mboxfull *
mb_new(const struct hb_params *p, unsigned nv, unsigned senders,
    unsigned burst, unsigned handler_ns, unsigned rate)
{
	struct mboxfull *mb = aligned_alloc(CACHE_LINE_SIZE, sizeof(*mb));

	if (mb == NULL) {
		fprintf(stderr, "ipibench: mboxfull: out of memory\n");
		exit(1);
	}
	*mb = (struct mboxfull){ .nv = nv, .dst = nv - 1,
	    .senders = senders, .burst = burst, .handler_ns = handler_ns,
	    .ack_delay_ns = p->ack_delay_ns,
	    .put_delay_ns = p->put_delay_ns, .rate = rate };
	return mb;
}

/* mb_senders_free: the senders' state; idempotent. */
static void
mb_senders_free(struct mboxfull *mb)
{
	for (unsigned s = 0; mb->snd != NULL && s < mb->senders; s++)
		free(mb->snd[s].msgs);
	free(mb->snd);
	free(mb->perf_cpus);
	mb->snd = NULL;
	mb->perf_cpus = NULL;
}

/*
 * mb_senders_alloc: the senders' state, the histograms left for each
 * sender to reset (mb_meet).  => false: no memory.
 */
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

		sd->mb = mb;
		sd->idx = s;
		sd->fresh = true;
		sd->msgs = NULL;
		sd->count = sd->t_start = sd->t_end = 0;
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

/*
 * mb_add_one: register mb; its name ends in /rate:R in open loop only
 * (the closed loop keeps the names it had), then the delays' segments.
 */
static void
mb_add_one(const struct hb_group *g, struct mboxfull *mb, const char *delays)
{
	char rate[24] = "";

	if (mb->rate != 0)
		snprintf(rate, sizeof(rate), "/rate:%u", mb->rate);
	hb_bench_add(g, mb_body, mb, mb_free,
	    "dst:%u/senders:%u/burst:%u/handler_ns:%u%s%s", mb->dst,
	    mb->senders, mb->burst, mb->handler_ns, rate, delays);
}

static void
mb_add(const struct hb_run *run, const struct hb_group *g)
{
	const struct hb_params *p = run->params;
	unsigned nv = run->topo->nvcpus, ss[HB_COUNTS_MAX], bs[HB_ULIST_MAX],
	    hs[HB_ULIST_MAX], rs[HB_ULIST_MAX], ns, nb, nh, nr;

	if (nv < 2)
		return;
	ns = hb_ulist_resolve(&p->senders, nv - 1, ss, HB_COUNTS_MAX);
	nb = hb_ulist_resolve(&p->burst, 4096, bs, HB_ULIST_MAX);
	nh = hb_ulist_resolve(&p->handler_ns, 1000000, hs, HB_ULIST_MAX);
	/* rate: values only, bounded by params.c */
	if ((nr = hb_ulist_resolve(&p->rate, UINT_MAX, rs,
	    HB_ULIST_MAX)) == 0)
		rs[nr++] = 0;
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
			for (unsigned k = 0; k < nh; k++)
				for (unsigned r = 0; r < nr; r++)
					mb_add_one(g, mb_new(p, nv, ss[i],
					    bs[j], hs[k], rs[r]), delays);
}

const struct hb_workload hb_workload_mboxfull = {
	.name = "mboxfull",
	.summary = "S senders keep B messages each outstanding to one target "
	    "whose handler costs H ns: throughput, mailbox-full events, "
	    "waits, fairness",
	.kind = HB_KIND_THROUGHPUT,
	.keys = "dst,senders,burst,handler_ns,rate,ack_delay_ns,put_delay_ns",
	.backoff = true,
	.add = mb_add,
};
