/*
 * stress_lib.h: the stress engine of test_ipi_stress.c (every backend, the
 * machine's own size) and test_ipi_scale.c (sleeping backends, 64 and 256
 * vCPUs): sending vCPUs send a random mix of IPIs to random targets for a
 * while; nothing may be lost or doubled.
 *
 * Synchronous messages (unicast, multicast, broadcast) live in a ring of
 * records per sender; func counts its runs per (record, vCPU).  After
 * ipi_wait the sender compares the counts with the target set: a target
 * at 0 lost the message, a count above 1 (or any run on a non-target) is
 * a duplicate.  A record is checked again before it is reused and once
 * more at the end, which catches a late run, and so is its _pending: once
 * ipi_wait returned it stays 0 unless a target acks again (the counter
 * wraps), which counts as an ack after ipi_wait.  Senders send 1..4
 * messages before waiting, so mailboxes fill and senders contend.
 * Multicast sets are drawn word by word over all n vCPUs, at densities
 * 1/2, 1/4 and 1/8, so at scale they span several 64-bit words.
 *
 * Asynchronous triggers (ipi_trigger, _multi, _broadcast of one
 * registered id): before each trigger to t the sender bumps seq[t]
 * (then a seq_cst fence); the handler on t, after a seq_cst fence, notes
 * the seq[t] it sees.  In the end, with the machine quiet, the last run
 * on t must have seen the final seq[t] (no trigger lost: a coalesced
 * trigger is covered by a run that starts after it), and runs[t] <=
 * seq[t] (never more runs than triggers).
 *
 * The test thread drives and watches.  Senders run in bursts (jobs of
 * 1..20 ms) with idle gaps of 0..5 ms, so their vCPUs also go idle (and
 * sleep, on a sleeping backend) while the others send to them.  The
 * senders are spread evenly over the vCPUs; when there are fewer senders
 * than vCPUs the last vCPU is never one: it only receives, idle, so every
 * IPI to it needs the backend's kick (a lost wakeup hangs a sender).
 * Every ipi_wait is watched: one longer than the bound fails the test
 * naming the waiting vCPU and the targets that did not answer; a burst
 * not done long after its end fails naming the vCPU and what it was doing.
 *
 * One line of figures per run goes to stderr.  The message counts are
 * not timings (the sleeping backends run oversubscribed).
 *
 * Everything is static: the file is included by one test file per binary.
 */
#ifndef TESTS_STRESS_LIB_H
#define TESTS_STRESS_LIB_H

#include <stdarg.h>

#include "ipi_testlib.h"

/*
 * SC_FENCE: the seq_cst fence of the trigger check (see the top comment).
 * GCC 12 refuses it here under -fsanitize=thread (-Wtsan: TSan does not
 * model fences), so there it is left out: every variable involved is
 * atomic, so TSan has no race to see, and on x86 the locked RMW before
 * it is a full barrier already.
 */
#if defined(__SANITIZE_THREAD__)
#define	SC_FENCE()	((void)0)
#else
#define	SC_FENCE()	atomic_thread_fence(memory_order_seq_cst)
#endif

#define	STRESS_RING	16
#define	STRESS_BATCH	4
#define	STRESS_WAIT_NS	(5 * ITL_NS)
#define	STRESS_WORDS	((ITL_MAXV + 63) / 64)

/* What to run. */
struct stress_cfg {
	const char *	label;		/* first words of the figure line */
	const struct ipi_backend_ops *ops;	/* the backend */
	unsigned	n;		/* vCPUs: 2 .. ITL_MAXV */
	unsigned	nsend;		/* senders: 1 .. n, spread evenly */
	double		secs;		/* time of sending, > 0 */
	uint64_t	wait_ns;	/* an ipi_wait this long hung;
					 * 0: STRESS_WAIT_NS */
	const char *	note;		/* after "on N cores" in the line, or NULL */
};

/* What it saw (the figure line, as numbers). */
struct stress_figures {
	uint64_t	messages;	/* synchronous + triggers */
	uint64_t	acks;		/* (message, target) pairs checked */
	uint64_t	lost, late, dup, stray, late_acks;
	uint64_t	tlost, textra;	/* triggers lost, extra handler runs */
	double		took;		/* s */
};

enum { K_UNICAST, K_MULTICAST, K_BROADCAST, K_TRIGGER, K_NKINDS };
static const char *const st_kind_name[K_NKINDS] = {
	"unicast", "multicast", "broadcast", "triggers",
};

struct st_rec {
	ipi_msg_t	msg;
	_Atomic uint64_t expect[STRESS_WORDS];	/* bit per target vCPU */
	_Atomic unsigned *cnt;		/* n: func runs per vCPU */
	unsigned	*checked;	/* n: counts seen after ipi_wait */
	unsigned	extra_acks;	/* acks seen after ipi_wait */
	int		kind;
	bool		used;		/* sent; recheck before reuse */
};

enum { PH_IDLE, PH_SEND, PH_WAIT, PH_TRIGGER, PH_DONE };
static const char *const st_phase_name[] = {
	"between messages", "sending (ipi_unicast/multicast/broadcast)",
	"in ipi_wait", "triggering", "done",
};

struct st_sender {
	unsigned	idx;		/* its vCPU */
	uint64_t	rng;
	uint64_t	end_ns;
	struct st_rec	ring[STRESS_RING];
	unsigned	next;
	_Atomic int	phase;
	_Atomic int	cur;		/* record waited on, -1 none */
	_Atomic uint64_t wait_since;	/* ns, 0: not waiting */
	uint64_t	sent[K_NKINDS];
	uint64_t	acks;		/* (message, target) pairs checked */
	uint64_t	lost, dup, stray, late, late_acks;
	unsigned	bursts;		/* jobs run (driver's count) */
	char		first_err[200];
	_Atomic int	done;
	/* the driver's */
	bool		posted;
	uint64_t	idle_until;
};

static struct {
	unsigned	n;
	unsigned	id;
	unsigned	nsend;
	struct st_sender *s;		/* nsend of them */
	void *		counts;		/* every record's cnt and checked */
	_Atomic uint64_t seq[ITL_MAXV];	/* triggers sent to each vCPU */
	_Atomic uint64_t runs[ITL_MAXV];	/* handler runs on each vCPU */
	_Atomic uint64_t seen[ITL_MAXV];	/* seq seen by the last run */
	_Atomic uint64_t off;		/* runs off any vCPU */
} st;

static uint64_t
st_rnd(uint64_t *rng)
{
	/* xorshift64* */
	*rng ^= *rng >> 12;
	*rng ^= *rng << 25;
	*rng ^= *rng >> 27;
	return *rng * 0x2545f4914f6cdd1dull;
}

static bool
st_expects(struct st_rec *r, unsigned t)
{
	return (atomic_load(&r->expect[t / 64]) >> (t % 64)) & 1;
}

static void
st_func(void *arg)
{
	struct st_rec *r = arg;
	struct cpu_info *ci = curcpu();

	if (ci == NULL || cpu_index(ci) >= st.n)
		atomic_fetch_add(&st.off, 1);
	else
		atomic_fetch_add(&r->cnt[cpu_index(ci)], 1);
}

static void
st_handler(void *arg)
{
	struct cpu_info *ci = curcpu();

	(void)arg;
	if (ci == NULL || cpu_index(ci) >= st.n) {
		atomic_fetch_add(&st.off, 1);
		return;
	}
	const unsigned i = cpu_index(ci);
	atomic_fetch_add(&st.runs[i], 1);
	SC_FENCE();
	atomic_store(&st.seen[i], atomic_load(&st.seq[i]));
}

/* st_note_err(s, fmt, ...): keep sender s's first error. */
#define	st_note_err(s, ...)						\
	itl_note_first((s)->first_err, sizeof((s)->first_err), __VA_ARGS__)

/*
 * st_check_rec: right after ipi_wait, compare a record's counts with its
 * targets (lost, dup, stray) and remember them.
 */
static void
st_check_rec(struct st_sender *s, struct st_rec *r)
{
	for (unsigned t = 0; t < st.n; t++) {
		const unsigned c = atomic_load(&r->cnt[t]);
		r->checked[t] = c;
		if (st_expects(r, t)) {
			s->acks++;
			if (c == 0) {
				s->lost++;
				st_note_err(s, "%s from vCPU %u: target vCPU "
				    "%u had not run it when ipi_wait returned",
				    st_kind_name[r->kind], s->idx, t);
			} else if (c > 1) {
				s->dup += c - 1;
				st_note_err(s, "%s from vCPU %u: target vCPU "
				    "%u ran it %u times", st_kind_name[r->kind],
				    s->idx, t, c);
			}
		} else if (c != 0) {
			s->stray += c;
			st_note_err(s, "%s from vCPU %u: vCPU %u, not a "
			    "target, ran it %u times", st_kind_name[r->kind],
			    s->idx, t, c);
		}
	}
}

/*
 * st_recheck_rec: later: any run since st_check_rec is a late duplicate
 * (or a late stray run), and any ack since is one too many (_pending
 * went below 0).
 */
static void
st_recheck_rec(struct st_sender *s, struct st_rec *r, const char *when)
{
	for (unsigned t = 0; t < st.n; t++) {
		const unsigned c = atomic_load(&r->cnt[t]);
		if (c == r->checked[t])
			continue;
		if (!st_expects(r, t)) {
			s->stray += c - r->checked[t];
		} else if (r->checked[t] == 0) {
			/* counted lost after ipi_wait: it ran late */
			s->late++;
			s->dup += c - 1;
		} else {
			s->dup += c - r->checked[t];
		}
		st_note_err(s, "%s from vCPU %u: vCPU %u ran it %u more times "
		    "after ipi_wait returned (seen %s)", st_kind_name[r->kind],
		    s->idx, t, c - r->checked[t], when);
		r->checked[t] = c;
	}
	const unsigned extra = 0u - atomic_load(&r->msg._pending);
	if (extra != r->extra_acks) {
		s->late_acks += extra - r->extra_acks;
		st_note_err(s, "%s from vCPU %u: acked %u more times after "
		    "ipi_wait returned (_pending = %u, seen %s)",
		    st_kind_name[r->kind], s->idx, extra - r->extra_acks,
		    atomic_load(&r->msg._pending), when);
		r->extra_acks = extra;
	}
}

/*
 * st_draw_set: a random set of vCPUs, other than self, into set and
 * expect (when not NULL): each word drawn at density 1/2, 1/4 or 1/8; if
 * it comes out empty, self's successor.  Returns its size.
 */
static unsigned
st_draw_set(struct st_sender *s, kcpuset_t *set, _Atomic uint64_t *expect)
{
	const unsigned n = st.n, self = s->idx;
	const unsigned density = (unsigned)(st_rnd(&s->rng) % 3);
	uint64_t w[STRESS_WORDS] = { 0 };
	unsigned count = 0;

	for (unsigned k = 0; k < (n + 63) / 64; k++) {
		w[k] = st_rnd(&s->rng);
		for (unsigned d = 0; d < density; d++)
			w[k] &= st_rnd(&s->rng);
		if (n - k * 64 < 64)
			w[k] &= (1ull << (n - k * 64)) - 1;
		count += (unsigned)__builtin_popcountll(w[k]);
	}
	if (count == 0) {
		const unsigned t = (self + 1) % n;
		w[t / 64] = 1ull << (t % 64);
		count = 1;
	}
	kcpuset_zero(set);
	for (unsigned t = 0; t < n; t++)
		if ((w[t / 64] >> (t % 64)) & 1)
			kcpuset_set(set, t);
	if (expect != NULL)
		for (unsigned k = 0; k < STRESS_WORDS; k++)
			atomic_store(&expect[k], w[k]);
	return count;
}

/* st_expect_all: expect every vCPU, less skip (-1: none). */
static void
st_expect_all(struct st_rec *r, int skip)
{
	for (unsigned k = 0; k < STRESS_WORDS; k++) {
		uint64_t w = 0;
		if (k * 64 < st.n)
			w = st.n - k * 64 >= 64 ? ~0ull :
			    (1ull << (st.n - k * 64)) - 1;
		if (skip >= 0 && (unsigned)skip / 64 == k)
			w &= ~(1ull << ((unsigned)skip % 64));
		atomic_store(&r->expect[k], w);
	}
}

static void
st_send_one(struct st_sender *s, struct st_rec *r)
{
	const unsigned n = st.n, self = s->idx;
	uint64_t x = st_rnd(&s->rng);
	kcpuset_t set;

	if (r->used) {
		st_recheck_rec(s, r, "when the record was reused");
		r->used = false;
	}
	for (unsigned t = 0; t < n; t++)
		atomic_store(&r->cnt[t], 0);
	r->extra_acks = 0;
	r->msg.func = st_func;
	r->msg.arg = r;

	switch (x % 3) {
	case 0: {
		unsigned t = (self + 1 + (unsigned)((x >> 8) % (n - 1))) % n;
		r->kind = K_UNICAST;
		for (unsigned k = 0; k < STRESS_WORDS; k++)
			atomic_store(&r->expect[k],
			    k == t / 64 ? 1ull << (t % 64) : 0);
		atomic_store(&s->phase, PH_SEND);
		ipi_unicast(&r->msg, cpu_lookup(t));
		break;
	}
	case 1:
		r->kind = K_MULTICAST;
		(void)st_draw_set(s, &set, r->expect);
		atomic_store(&s->phase, PH_SEND);
		ipi_multicast(&r->msg, &set);
		break;
	default: {
		bool skip = (x >> 8) & 1;
		r->kind = K_BROADCAST;
		st_expect_all(r, skip ? (int)self : -1);
		atomic_store(&s->phase, PH_SEND);
		ipi_broadcast(&r->msg, skip);
		break;
	}
	}
	r->used = true;
	s->sent[r->kind]++;
}

static void
st_trigger_one(struct st_sender *s)
{
	const unsigned n = st.n, self = s->idx;
	uint64_t x = st_rnd(&s->rng);
	kcpuset_t set;

	atomic_store(&s->phase, PH_TRIGGER);
	switch (x % 3) {
	case 0: {
		unsigned t = (self + 1 + (unsigned)((x >> 8) % (n - 1))) % n;
		atomic_fetch_add(&st.seq[t], 1);
		SC_FENCE();
		ipi_trigger(st.id, cpu_lookup(t));
		break;
	}
	case 1:
		(void)st_draw_set(s, &set, NULL);
		for (unsigned t = 0; t < n; t++)
			if (kcpuset_isset(&set, t))
				atomic_fetch_add(&st.seq[t], 1);
		SC_FENCE();
		ipi_trigger_multi(st.id, &set);
		break;
	default: {
		bool skip = (x >> 8) & 1;
		for (unsigned t = 0; t < n; t++)
			if (t != self || !skip)
				atomic_fetch_add(&st.seq[t], 1);
		SC_FENCE();
		ipi_trigger_broadcast(st.id, skip);
		break;
	}
	}
	s->sent[K_TRIGGER]++;
	atomic_store(&s->phase, PH_IDLE);
}

static void
st_sender_job(void *arg)
{
	struct st_sender *s = arg;
	bool first = true;

	/*
	 * At least one batch of messages per burst, even when the burst
	 * started late (an oversubscribed machine): every sender sends.
	 */
	while (first || itl_now_ns() < s->end_ns) {
		uint64_t x = st_rnd(&s->rng);
		if (!first && x % 4 == 0) {
			st_trigger_one(s);
			continue;
		}
		first = false;
		/* A batch of 1..STRESS_BATCH messages, then wait for each. */
		unsigned b = 1 + (unsigned)((x >> 8) % STRESS_BATCH), first;
		first = s->next;
		for (unsigned k = 0; k < b; k++)
			st_send_one(s, &s->ring[(first + k) % STRESS_RING]);
		for (unsigned k = 0; k < b; k++) {
			struct st_rec *r = &s->ring[(first + k) % STRESS_RING];
			atomic_store(&s->cur, (int)((first + k) % STRESS_RING));
			atomic_store(&s->wait_since, itl_now_ns());
			atomic_store(&s->phase, PH_WAIT);
			ipi_wait(&r->msg);
			atomic_store(&s->wait_since, 0);
			atomic_store(&s->phase, PH_IDLE);
			atomic_store(&s->cur, -1);
			st_check_rec(s, r);
		}
		s->next = (first + b) % STRESS_RING;
	}
	atomic_store(&s->phase, PH_DONE);
	atomic_store_explicit(&s->done, 1, memory_order_release);
}

/* The targets of s's current record that have not run it, as text. */
static void
st_silent_targets(struct st_sender *s, char *buf, size_t len)
{
	int cur = atomic_load(&s->cur);
	size_t off = 0;

	buf[0] = '\0';
	if (cur < 0)
		return;
	struct st_rec *r = &s->ring[cur];
	for (unsigned t = 0; t < st.n && off + 1 < len; t++)
		if (st_expects(r, t) && atomic_load(&r->cnt[t]) == 0)
			off += (size_t)snprintf(buf + off, len - off, " %u", t);
}

static void
st_register_job(void *arg)
{
	*(unsigned *)arg = ipi_register(st_handler, NULL);
}

static void
st_unregister_job(void *arg)
{
	ipi_unregister(*(unsigned *)arg);
}

/*
 * stress_quiesce: wait, bounded, until no vCPU of the machine has an IPI
 * pending, then run an empty job on each (a handler still running has
 * returned).  what names the run in a failure.
 */
static void
stress_quiesce(const char *what)
{
	for (unsigned t = 0; t < ncpu; t++) {
		struct ipi_percpu *ps = cpu_ipi_state(itl_cpu(t));
		for (unsigned k = 0; k < IPI_BITWORDS; k++) {
			const uint64_t deadline = itl_now_ns() + ITL_TIMEOUT_NS;
			uint32_t w;
			while ((w = atomic_load(&ps->ipipend[k])) != 0 &&
			    itl_now_ns() < deadline)
				itl_sleep_us(200);
			cr_expect_eq(w, 0, "%s: vCPU %u still has IPIs pending "
			    "(word %u: %#x) %llu s after the senders stopped",
			    what, t, k, w, ITL_TIMEOUT_NS / ITL_NS);
		}
		itl_flush(t);
	}
}

/* stress_alloc: the senders and their records' counters. */
static void
stress_alloc(const struct stress_cfg *cfg)
{
	const size_t per = (size_t)cfg->n * STRESS_RING;

	st.s = calloc(cfg->nsend, sizeof(*st.s));
	st.counts = calloc((size_t)cfg->nsend * per,
	    sizeof(_Atomic unsigned) + sizeof(unsigned));
	cr_assert(st.s != NULL && st.counts != NULL, "stress: out of memory "
	    "for %u senders x %u records x %u vCPUs", cfg->nsend, STRESS_RING,
	    cfg->n);
	_Atomic unsigned *cnt = st.counts;
	unsigned *checked = (unsigned *)(cnt + (size_t)cfg->nsend * per);
	for (unsigned k = 0; k < cfg->nsend; k++) {
		for (unsigned j = 0; j < STRESS_RING; j++) {
			struct st_rec *r = &st.s[k].ring[j];
			r->cnt = cnt + (k * STRESS_RING + j) * (size_t)cfg->n;
			r->checked = checked +
			    (k * STRESS_RING + j) * (size_t)cfg->n;
		}
	}
}

/*
 * stress_drive: post bursts on the senders until cfg->secs have passed,
 * watching every ipi_wait and every burst; returns once every burst was
 * joined.
 */
static void
stress_drive(const struct stress_cfg *cfg, uint64_t start, uint64_t *drv)
{
	const uint64_t end = start + (uint64_t)(cfg->secs * ITL_NS);
	const uint64_t wait_ns = cfg->wait_ns ? cfg->wait_ns : STRESS_WAIT_NS;

	for (;;) {
		unsigned nposted = 0;
		uint64_t now = itl_now_ns();
		for (unsigned k = 0; k < st.nsend; k++) {
			struct st_sender *s = &st.s[k];
			if (!s->posted) {
				if (now >= end || now < s->idle_until)
					continue;
				uint64_t len = (1 + st_rnd(drv) % 20) * 1000000ull;
				s->end_ns = now + len < end ? now + len : end;
				atomic_store(&s->done, 0);
				itl_post(s->idx, st_sender_job, s, "stress burst");
				s->posted = true;
				s->bursts++;
				nposted++;
				continue;
			}
			nposted++;
			if (atomic_load_explicit(&s->done,
			    memory_order_acquire)) {
				itl_join(s->idx, "stress burst");
				s->posted = false;
				s->idle_until = now + st_rnd(drv) % 5000000ull;
				continue;
			}
			uint64_t ws = atomic_load(&s->wait_since);
			char who[1024];
			if (ws != 0 && now > ws && now - ws > wait_ns) {
				st_silent_targets(s, who, sizeof(who));
				cr_assert_fail("%s %s: vCPU %u waited more than "
				    "%.1f s in ipi_wait; vCPUs that did not "
				    "answer:%s", cfg->label, cfg->ops->name,
				    s->idx, (double)wait_ns / ITL_NS, who);
			}
			if (now > s->end_ns + ITL_TIMEOUT_NS)
				cr_assert_fail("%s %s: vCPU %u: burst not done "
				    "%llu s after its end, stuck %s", cfg->label,
				    cfg->ops->name, s->idx,
				    ITL_TIMEOUT_NS / ITL_NS,
				    st_phase_name[atomic_load(&s->phase)]);
		}
		if (now >= end && nposted == 0)
			break;
		itl_sleep_us(500);
	}
}

/*
 * stress_run: start a machine of cfg->n vCPUs on cfg->ops, stress it
 * for cfg->secs, check everything, print the figure line, stop it.
 * => Fails the test (Criterion) on anything lost, doubled or stuck.
 * => fig, when not NULL, gets the figures.
 */
static void
stress_run(const struct stress_cfg *cfg, struct stress_figures *fig)
{
	const unsigned n = cfg->n;

	cr_assert(n >= 2 && n <= ITL_MAXV && cfg->nsend >= 1 &&
	    cfg->nsend <= n && cfg->secs > 0, "stress_run: %u vCPUs, %u "
	    "senders, %.1f s: want 2..%u vCPUs, 1..n senders, time > 0", n,
	    cfg->nsend, cfg->secs, ITL_MAXV);
	memset(&st, 0, sizeof(st));
	st.n = n;
	st.nsend = cfg->nsend;
	stress_alloc(cfg);
	itl_start(cfg->ops, n);

	itl_call(0, st_register_job, &st.id, "ipi_register");
	cr_assert(st.id > 0 && st.id < IPI_MAXREG, "ipi_register = %u", st.id);

	const uint64_t start = itl_now_ns();
	uint64_t drv = (start ^ 0x9e3779b97f4a7c15ull) | 1; /* driver's dice */
	for (unsigned k = 0; k < cfg->nsend; k++) {
		struct st_sender *s = &st.s[k];
		/* Spread: fewer senders than vCPUs leaves the last one out. */
		s->idx = (unsigned)((uint64_t)k * n / cfg->nsend);
		s->rng = (start + (k + 1) * 0x100000001b3ull) | 1;
		atomic_store(&s->cur, -1);
	}

	stress_drive(cfg, start, &drv);
	const double took = (double)(itl_now_ns() - start) / ITL_NS;

	/* Quiet: no trigger pending anywhere, no handler still running. */
	char what[128];
	snprintf(what, sizeof(what), "%s %s", cfg->label, cfg->ops->name);
	stress_quiesce(what);

	uint64_t sent[K_NKINDS] = { 0 }, total = 0, acks = 0, bursts = 0;
	uint64_t lost = 0, dup = 0, stray = 0, late = 0, late_acks = 0;
	for (unsigned k = 0; k < cfg->nsend; k++) {
		struct st_sender *s = &st.s[k];
		for (unsigned j = 0; j < STRESS_RING; j++)
			if (s->ring[j].used)
				st_recheck_rec(s, &s->ring[j], "at the end");
		for (unsigned j = 0; j < K_NKINDS; j++) {
			sent[j] += s->sent[j];
			total += s->sent[j];
		}
		acks += s->acks;
		lost += s->lost;
		dup += s->dup;
		stray += s->stray;
		late += s->late;
		late_acks += s->late_acks;
		bursts += s->bursts;
		cr_expect(s->lost + s->dup + s->stray + s->late_acks == 0,
		    "%s: sender vCPU %u: lost %llu, duplicated %llu, stray "
		    "%llu, acks after ipi_wait %llu; first: %s", what, s->idx,
		    (unsigned long long)s->lost, (unsigned long long)s->dup,
		    (unsigned long long)s->stray,
		    (unsigned long long)s->late_acks, s->first_err);
		cr_expect_gt(s->sent[K_UNICAST] + s->sent[K_MULTICAST] +
		    s->sent[K_BROADCAST], 0, "%s: vCPU %u sent no message in "
		    "%.1f s", what, s->idx, cfg->secs);
	}
	uint64_t tlost = 0, textra = 0, truns = 0;
	for (unsigned t = 0; t < n; t++) {
		uint64_t seq = atomic_load(&st.seq[t]);
		uint64_t runs = atomic_load(&st.runs[t]);
		uint64_t seen = atomic_load(&st.seen[t]);
		truns += runs;
		cr_expect_eq(seen, seq, "%s: vCPU %u: %llu triggers sent to it, "
		    "its last handler run saw only %llu: a trigger was lost",
		    what, t, (unsigned long long)seq, (unsigned long long)seen);
		cr_expect_leq(runs, seq, "%s: vCPU %u ran the handler %llu "
		    "times for %llu triggers", what, t,
		    (unsigned long long)runs, (unsigned long long)seq);
		tlost += seen != seq;
		textra += runs > seq ? runs - seq : 0;
	}
	cr_expect_eq(atomic_load(&st.off), 0, "%s: %llu runs off any vCPU",
	    what, (unsigned long long)atomic_load(&st.off));

	fprintf(stderr, "%s: %u vCPUs (%u sending, in %llu bursts) on %u "
	    "cores%s, %.1f s, %llu messages (unicast %llu, multicast %llu, "
	    "broadcast %llu, triggers %llu), %llu acks checked, %llu handler "
	    "runs for triggers, lost %llu (late %llu), duplicated %llu, "
	    "stray %llu, acks after ipi_wait %llu, triggers lost %llu, extra "
	    "handler runs %llu\n", what, n, cfg->nsend,
	    (unsigned long long)bursts, itl_cores(),
	    cfg->note != NULL ? cfg->note : "", took,
	    (unsigned long long)total, (unsigned long long)sent[K_UNICAST],
	    (unsigned long long)sent[K_MULTICAST],
	    (unsigned long long)sent[K_BROADCAST],
	    (unsigned long long)sent[K_TRIGGER], (unsigned long long)acks,
	    (unsigned long long)truns, (unsigned long long)lost,
	    (unsigned long long)late, (unsigned long long)dup,
	    (unsigned long long)stray, (unsigned long long)late_acks,
	    (unsigned long long)tlost, (unsigned long long)textra);

	if (fig != NULL)
		*fig = (struct stress_figures){ .messages = total,
		    .acks = acks, .lost = lost, .late = late, .dup = dup,
		    .stray = stray, .late_acks = late_acks, .tlost = tlost,
		    .textra = textra, .took = took };

	itl_call(0, st_unregister_job, &st.id, "ipi_unregister");
	itl_stop();
	free(st.counts);
	free(st.s);
	st.counts = NULL;
	st.s = NULL;
}

#endif /* TESTS_STRESS_LIB_H */
