/*
 * test_ipi_stress.c: every vCPU sends a random mix of IPIs to random
 * targets for a while, on every backend; nothing may be lost or doubled.
 *
 * Synchronous messages (unicast, multicast, broadcast) live in a ring of
 * records per sender; func counts its runs per (record, vCPU).  After
 * ipi_wait the sender compares the counts with the target set: a target
 * at 0 lost the message, a count above 1 (or any run on a non-target) is
 * a duplicate.  A record is checked again before it is reused and once
 * more at the end, which catches a late run.  Senders send 1..4 messages
 * before waiting, so mailboxes fill and senders contend.
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
 * sleep, on futex and eventfd) while the others send to them; on the
 * sleeping backends the last vCPU never sends: it only receives, idle,
 * so every IPI to it needs the backend's kick (a lost wakeup hangs a
 * sender).  Every ipi_wait is watched: one longer than STRESS_WAIT_NS
 * fails the test naming the waiting vCPU and the targets that did not
 * answer; a burst not done long after its end fails naming the vCPU and
 * what it was doing.
 *
 * IPIBENCH_STRESS_SECONDS (default 2, at most 600) sets the time per
 * backend.  Busypoll runs as many vCPUs as cores (they spin); futex and
 * eventfd run STRESS_NV_SLEEP vCPUs, more than the cores on purpose.
 * One line of figures per backend goes to stderr.  The message counts
 * are not timings (the sleeping backends run oversubscribed).
 */
#include <math.h>
#include <stdarg.h>

#include "ipi_testlib.h"

/*
 * SC_FENCE: the seq_cst fence of the trigger check (see the top comment).
 * GCC refuses atomic_thread_fence under -fsanitize=thread (TSan does not
 * model fences); there it is left out: every variable involved is atomic,
 * so TSan has no race to see, and on x86 the locked RMW before it is a
 * full barrier already.
 */
#if defined(__SANITIZE_THREAD__)
#define	SC_FENCE()	((void)0)
#else
#define	SC_FENCE()	atomic_thread_fence(memory_order_seq_cst)
#endif

#define	STRESS_NV_SLEEP	6
#define	STRESS_RING	16
#define	STRESS_BATCH	4
#define	STRESS_WAIT_NS	(5 * ITL_NS)
#define	STRESS_MAX_S	600.0

enum { K_UNICAST, K_MULTICAST, K_BROADCAST, K_TRIGGER, K_NKINDS };
static const char *const kind_name[K_NKINDS] = {
	"unicast", "multicast", "broadcast", "triggers",
};

struct st_rec {
	ipi_msg_t	msg;
	_Atomic unsigned cnt[ITL_MAXV];	/* func runs per vCPU */
	_Atomic uint64_t expect;	/* bit per target vCPU */
	int		kind;
	bool		used;		/* sent; recheck before reuse */
	unsigned	checked[ITL_MAXV]; /* counts seen after ipi_wait */
};

enum { PH_IDLE, PH_SEND, PH_WAIT, PH_TRIGGER, PH_DONE };
static const char *const phase_name[] = {
	"between messages", "sending (ipi_unicast/multicast/broadcast)",
	"in ipi_wait", "triggering", "done",
};

struct st_sender {
	unsigned	idx;
	uint64_t	rng;
	uint64_t	end_ns;
	struct st_rec	ring[STRESS_RING];
	unsigned	next;
	_Atomic int	phase;
	_Atomic int	cur;		/* record waited on, -1 none */
	_Atomic uint64_t wait_since;	/* ns, 0: not waiting */
	uint64_t	sent[K_NKINDS];
	uint64_t	acks;		/* (message, target) pairs checked */
	uint64_t	lost, dup, stray, late, bad_pending;
	unsigned	bursts;		/* jobs run (driver's count) */
	char		first_err[200];
	_Atomic int	done;
};

static struct {
	unsigned	n;
	unsigned	id;
	struct st_sender s[ITL_MAXV];
	_Atomic uint64_t seq[ITL_MAXV];	/* triggers sent to each vCPU */
	_Atomic uint64_t runs[ITL_MAXV];	/* handler runs on each vCPU */
	_Atomic uint64_t seen[ITL_MAXV];	/* seq seen by the last run */
	_Atomic uint64_t off;		/* runs off any vCPU */
} st;

static uint64_t
rnd(struct st_sender *s)
{
	/* xorshift64* */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545f4914f6cdd1dull;
}

static void
st_func(void *arg)
{
	struct st_rec *r = arg;
	struct cpu_info *ci = curcpu();

	if (ci == NULL || cpu_index(ci) >= ITL_MAXV)
		atomic_fetch_add(&st.off, 1);
	else
		atomic_fetch_add(&r->cnt[cpu_index(ci)], 1);
}

static void
st_handler(void *arg)
{
	struct cpu_info *ci = curcpu();

	(void)arg;
	if (ci == NULL || cpu_index(ci) >= ITL_MAXV) {
		atomic_fetch_add(&st.off, 1);
		return;
	}
	const unsigned i = cpu_index(ci);
	atomic_fetch_add(&st.runs[i], 1);
	SC_FENCE();
	atomic_store(&st.seen[i], atomic_load(&st.seq[i]));
}

static void __attribute__((format(printf, 2, 3)))
note_err(struct st_sender *s, const char *fmt, ...)
{
	va_list ap;

	if (s->first_err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(s->first_err, sizeof(s->first_err), fmt, ap);
	va_end(ap);
}

/*
 * check_rec: right after ipi_wait, compare a record's counts with its
 * targets (lost, dup, stray) and remember them; recheck_rec: later, any
 * run since then is a late duplicate (or a late stray run).
 */
static void
check_rec(struct st_sender *s, struct st_rec *r)
{
	const uint64_t expect = atomic_load(&r->expect);

	for (unsigned t = 0; t < st.n; t++) {
		const unsigned c = atomic_load(&r->cnt[t]);
		r->checked[t] = c;
		if ((expect >> t) & 1) {
			if (c == 0) {
				s->lost++;
				note_err(s, "%s from vCPU %u: target vCPU %u "
				    "had not run it when ipi_wait returned",
				    kind_name[r->kind], s->idx, t);
			} else if (c > 1) {
				s->dup += c - 1;
				note_err(s, "%s from vCPU %u: target vCPU %u "
				    "ran it %u times", kind_name[r->kind],
				    s->idx, t, c);
			}
		} else if (c != 0) {
			s->stray += c;
			note_err(s, "%s from vCPU %u: vCPU %u, not a target, "
			    "ran it %u times", kind_name[r->kind], s->idx, t,
			    c);
		}
	}
}

static void
recheck_rec(struct st_sender *s, struct st_rec *r, const char *when)
{
	const uint64_t expect = atomic_load(&r->expect);

	for (unsigned t = 0; t < st.n; t++) {
		const unsigned c = atomic_load(&r->cnt[t]);
		if (c == r->checked[t])
			continue;
		if (!((expect >> t) & 1)) {
			s->stray += c - r->checked[t];
		} else if (r->checked[t] == 0) {
			/* counted lost after ipi_wait: it ran late */
			s->late++;
			s->dup += c - 1;
		} else {
			s->dup += c - r->checked[t];
		}
		note_err(s, "%s from vCPU %u: vCPU %u ran it %u more times "
		    "after ipi_wait returned (seen %s)", kind_name[r->kind],
		    s->idx, t, c - r->checked[t], when);
		r->checked[t] = c;
	}
}

static void
send_one(struct st_sender *s, struct st_rec *r)
{
	const unsigned n = st.n, self = s->idx;
	const uint64_t all = (n == 64) ? ~0ull : (1ull << n) - 1;
	uint64_t x = rnd(s), mask;
	kcpuset_t set;

	if (r->used) {
		recheck_rec(s, r, "when the record was reused");
		r->used = false;
	}
	for (unsigned t = 0; t < ITL_MAXV; t++)
		atomic_store(&r->cnt[t], 0);
	r->msg.func = st_func;
	r->msg.arg = r;

	switch (x % 3) {
	case 0: {
		unsigned t = (self + 1 + (unsigned)((x >> 8) % (n - 1))) % n;
		r->kind = K_UNICAST;
		atomic_store(&r->expect, 1ull << t);
		atomic_store(&s->phase, PH_SEND);
		ipi_unicast(&r->msg, cpu_lookup(t));
		break;
	}
	case 1:
		mask = (x >> 8) & all;
		if (mask == 0)
			mask = 1ull << ((self + 1) % n);
		r->kind = K_MULTICAST;
		atomic_store(&r->expect, mask);
		kcpuset_zero(&set);
		for (unsigned t = 0; t < n; t++)
			if ((mask >> t) & 1)
				kcpuset_set(&set, t);
		atomic_store(&s->phase, PH_SEND);
		ipi_multicast(&r->msg, &set);
		break;
	default: {
		bool skip = (x >> 8) & 1;
		r->kind = K_BROADCAST;
		atomic_store(&r->expect, skip ? all & ~(1ull << self) : all);
		atomic_store(&s->phase, PH_SEND);
		ipi_broadcast(&r->msg, skip);
		break;
	}
	}
	r->used = true;
	s->sent[r->kind]++;
}

static void
trigger_one(struct st_sender *s)
{
	const unsigned n = st.n, self = s->idx;
	const uint64_t all = (n == 64) ? ~0ull : (1ull << n) - 1;
	uint64_t x = rnd(s), mask;
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
		mask = (x >> 8) & all;
		if (mask == 0)
			mask = 1ull << ((self + 1) % n);
		kcpuset_zero(&set);
		for (unsigned t = 0; t < n; t++) {
			if ((mask >> t) & 1) {
				kcpuset_set(&set, t);
				atomic_fetch_add(&st.seq[t], 1);
			}
		}
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
sender_job(void *arg)
{
	struct st_sender *s = arg;

	while (itl_now_ns() < s->end_ns) {
		uint64_t x = rnd(s);
		if (x % 4 == 0) {
			trigger_one(s);
			continue;
		}
		/* A batch of 1..STRESS_BATCH messages, then wait for each. */
		unsigned b = 1 + (unsigned)((x >> 8) % STRESS_BATCH), first;
		first = s->next;
		for (unsigned k = 0; k < b; k++)
			send_one(s, &s->ring[(first + k) % STRESS_RING]);
		for (unsigned k = 0; k < b; k++) {
			struct st_rec *r = &s->ring[(first + k) % STRESS_RING];
			atomic_store(&s->cur, (int)((first + k) % STRESS_RING));
			atomic_store(&s->wait_since, itl_now_ns());
			atomic_store(&s->phase, PH_WAIT);
			ipi_wait(&r->msg);
			atomic_store(&s->wait_since, 0);
			atomic_store(&s->phase, PH_IDLE);
			atomic_store(&s->cur, -1);
			if (atomic_load(&r->msg._pending) != 0) {
				s->bad_pending++;
				note_err(s, "%s from vCPU %u: _pending = %u "
				    "after ipi_wait", kind_name[r->kind],
				    s->idx, atomic_load(&r->msg._pending));
			}
			check_rec(s, r);
			s->acks += (unsigned)__builtin_popcountll(
			    atomic_load(&r->expect));
		}
		s->next = (first + b) % STRESS_RING;
	}
	atomic_store(&s->phase, PH_DONE);
	atomic_store_explicit(&s->done, 1, memory_order_release);
}

/* The targets of s's current record that have not run it, as text. */
static void
silent_targets(struct st_sender *s, char *buf, size_t len)
{
	int cur = atomic_load(&s->cur);
	size_t off = 0;

	buf[0] = '\0';
	if (cur < 0)
		return;
	struct st_rec *r = &s->ring[cur];
	uint64_t expect = atomic_load(&r->expect);
	for (unsigned t = 0; t < st.n && off < len; t++)
		if (((expect >> t) & 1) && atomic_load(&r->cnt[t]) == 0)
			off += (size_t)snprintf(buf + off, len - off, " %u", t);
}

static void
register_job(void *arg)
{
	*(unsigned *)arg = ipi_register(st_handler, NULL);
}

static void
unregister_job(void *arg)
{
	ipi_unregister(*(unsigned *)arg);
}

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

static void
stress(const char *backend)
{
	const double secs = stress_seconds();
	const struct ipi_backend_ops *ops = itl_backend(backend);
	unsigned n = itl_nvcpus(backend,
	    ops->spins ? itl_cores() : STRESS_NV_SLEEP, 2);

	memset(&st, 0, sizeof(st));
	st.n = n;
	itl_start(backend, n);

	itl_call(0, register_job, &st.id, "ipi_register");
	cr_assert(st.id > 0 && st.id < IPI_MAXREG, "ipi_register = %u", st.id);

	const uint64_t start = itl_now_ns();
	const uint64_t end = start + (uint64_t)(secs * ITL_NS);
	uint64_t seed = (uint64_t)start ^ 0x9e3779b97f4a7c15ull;
	struct st_sender drv = { .rng = seed | 1 };	/* the driver's dice */
	/* Sleeping backends: the last vCPU only receives (stays idle). */
	const unsigned nsend = ops->spins ? n : n - 1;
	bool posted[ITL_MAXV] = { false };
	uint64_t idle_until[ITL_MAXV] = { 0 };

	for (unsigned i = 0; i < n; i++) {
		struct st_sender *s = &st.s[i];
		s->idx = i;
		s->rng = (seed + (i + 1) * 0x100000001b3ull) | 1;
		atomic_store(&s->cur, -1);
	}

	/*
	 * Drive and watch.  Each sender runs in bursts of 1..20 ms with idle
	 * gaps of 0..5 ms, so that its vCPU goes idle (sleeps, on futex and
	 * eventfd) while the others keep sending to it.  Every ipi_wait is
	 * bounded, and every burst must end in time.
	 */
	for (;;) {
		unsigned nposted = 0;
		uint64_t now = itl_now_ns();
		for (unsigned i = 0; i < nsend; i++) {
			struct st_sender *s = &st.s[i];
			if (!posted[i]) {
				if (now >= end || now < idle_until[i])
					continue;
				uint64_t len = (1 + rnd(&drv) % 20) * 1000000ull;
				s->end_ns = now + len < end ? now + len : end;
				atomic_store(&s->done, 0);
				itl_post(i, sender_job, s, "stress burst");
				posted[i] = true;
				s->bursts++;
				nposted++;
				continue;
			}
			nposted++;
			if (atomic_load_explicit(&s->done,
			    memory_order_acquire)) {
				itl_join(i, "stress burst");
				posted[i] = false;
				idle_until[i] = now + rnd(&drv) % 5000000ull;
				continue;
			}
			uint64_t ws = atomic_load(&s->wait_since);
			char who[128];
			if (ws != 0 && now > ws && now - ws > STRESS_WAIT_NS) {
				silent_targets(s, who, sizeof(who));
				cr_assert_fail("stress %s: vCPU %u waited more "
				    "than %llu s in ipi_wait; vCPUs that did not "
				    "answer:%s", backend, i,
				    STRESS_WAIT_NS / ITL_NS, who);
			}
			if (now > s->end_ns + ITL_TIMEOUT_NS)
				cr_assert_fail("stress %s: vCPU %u: burst not "
				    "done %llu s after its end, stuck %s",
				    backend, i, ITL_TIMEOUT_NS / ITL_NS,
				    phase_name[atomic_load(&s->phase)]);
		}
		if (now >= end && nposted == 0)
			break;
		itl_sleep_us(500);
	}
	const double took = (double)(itl_now_ns() - start) / ITL_NS;

	/* Quiet: no trigger pending anywhere, no handler still running. */
	for (unsigned t = 0; t < n; t++) {
		struct ipi_percpu *ps = cpu_ipi_state(itl_cpu(t));
		const uint64_t deadline = itl_now_ns() + ITL_TIMEOUT_NS;
		uint32_t w;
		while ((w = atomic_load(&ps->ipipend[0])) != 0 &&
		    itl_now_ns() < deadline)
			itl_sleep_us(200);
		cr_expect_eq(w, 0, "stress %s: vCPU %u still has IPIs pending "
		    "(%#x) %llu s after the senders stopped", backend, t, w,
		    ITL_TIMEOUT_NS / ITL_NS);
		itl_flush(t);
	}

	uint64_t sent[K_NKINDS] = { 0 }, total = 0, acks = 0;
	uint64_t lost = 0, dup = 0, stray = 0, late = 0, bursts = 0;
	for (unsigned i = 0; i < n; i++) {
		struct st_sender *s = &st.s[i];
		for (unsigned k = 0; k < STRESS_RING; k++)
			if (s->ring[k].used)
				recheck_rec(s, &s->ring[k], "at the end");
		for (unsigned k = 0; k < K_NKINDS; k++) {
			sent[k] += s->sent[k];
			total += s->sent[k];
		}
		acks += s->acks;
		lost += s->lost;
		dup += s->dup;
		stray += s->stray;
		late += s->late;
		bursts += s->bursts;
		cr_expect(s->lost + s->dup + s->stray + s->bad_pending == 0,
		    "stress %s: sender vCPU %u: lost %llu, duplicated %llu, "
		    "stray %llu, _pending left %llu; first: %s", backend, i,
		    (unsigned long long)s->lost, (unsigned long long)s->dup,
		    (unsigned long long)s->stray,
		    (unsigned long long)s->bad_pending, s->first_err);
		if (i < nsend)
			cr_expect_gt(s->sent[K_UNICAST] + s->sent[K_MULTICAST]
			    + s->sent[K_BROADCAST], 0, "stress %s: vCPU %u "
			    "sent no message in %.1f s", backend, i, secs);
	}
	uint64_t tlost = 0, textra = 0, truns = 0;
	for (unsigned t = 0; t < n; t++) {
		uint64_t seq = atomic_load(&st.seq[t]);
		uint64_t runs = atomic_load(&st.runs[t]);
		uint64_t seen = atomic_load(&st.seen[t]);
		truns += runs;
		cr_expect_eq(seen, seq, "stress %s: vCPU %u: %llu triggers sent "
		    "to it, its last handler run saw only %llu: a trigger "
		    "was lost", backend, t, (unsigned long long)seq,
		    (unsigned long long)seen);
		cr_expect_leq(runs, seq, "stress %s: vCPU %u ran the handler "
		    "%llu times for %llu triggers", backend, t,
		    (unsigned long long)runs, (unsigned long long)seq);
		tlost += seen != seq;
		textra += runs > seq ? runs - seq : 0;
	}
	cr_expect_eq(atomic_load(&st.off), 0, "stress %s: %llu runs off any "
	    "vCPU", backend, (unsigned long long)atomic_load(&st.off));

	fprintf(stderr, "stress %s: %u vCPUs (%u sending, in %llu bursts) on "
	    "%u cores, %.1f s, %llu messages (unicast %llu, multicast %llu, "
	    "broadcast %llu, triggers %llu), %llu acks checked, %llu handler "
	    "runs for triggers, lost %llu (late %llu), duplicated %llu, "
	    "stray %llu, triggers lost %llu, extra handler runs %llu\n",
	    backend, n, nsend, (unsigned long long)bursts, itl_cores(),
	    took, (unsigned long long)total,
	    (unsigned long long)sent[K_UNICAST],
	    (unsigned long long)sent[K_MULTICAST],
	    (unsigned long long)sent[K_BROADCAST],
	    (unsigned long long)sent[K_TRIGGER], (unsigned long long)acks,
	    (unsigned long long)truns, (unsigned long long)lost,
	    (unsigned long long)late, (unsigned long long)dup, (unsigned long long)stray,
	    (unsigned long long)tlost, (unsigned long long)textra);

	itl_call(0, unregister_job, &st.id, "ipi_unregister");
	itl_stop();
}

ITL_BACKEND_TESTS(stress, mix, STRESS_MAX_S + 60, stress)
