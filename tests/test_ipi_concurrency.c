/*
 * test_ipi_concurrency.c: the protocol under contention, on every backend.
 *
 *   registry/concurrent  ipi_register / ipi_unregister from every vCPU
 *                        at once, handlers of live ids triggered on the
 *                        others, the table filled and emptied together.
 *   crosswait/...        every vCPU in ipi_wait at the same time, each
 *                        with a message still in another's mailbox: the
 *                        backoff loop must take interrupts.
 *   mbox/many_senders    more messages to one mailbox than it has slots,
 *                        from several senders at once, all of them stuck
 *                        in put_msg until the target takes interrupts.
 *
 * The vCPUs run jobs that record what they saw (a count of failures and
 * the first one in words); the test thread joins them and asserts.  Every
 * wait is bounded: a vCPU that waits longer than ITL_TIMEOUT_NS for the
 * others raises a shared abort flag, so that all jobs end and the test
 * fails naming who waited for what, instead of hanging.
 */
#include <sched.h>
#include <stdarg.h>

#include "ipi_testlib.h"


/* The most vCPUs these tests start (their arrays are sized by it). */
#define	CC_MAXV		(ITL_MAXV < 8 ? ITL_MAXV : 8)

/* What a job found wrong: a count and the first one, in words. */
struct cc_fail {
	unsigned	n;
	char		first[240];
};

static void __attribute__((format(printf, 2, 3)))
cc_note(struct cc_fail *f, const char *fmt, ...)
{
	va_list ap;

	if (f->n++ != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(f->first, sizeof(f->first), fmt, ap);
	va_end(ap);
}

/*
 * cc_spin_until: spin until *c >= want or *abort is set; with poll, take
 * interrupts between looks (cpu_intr_poll), as a CPU spinning with them
 * enabled does.  Yields the PU now and then (the sleeping backends run
 * more vCPUs than cores).
 * => Returns true when *c reached want; false on abort or after
 *    ITL_TIMEOUT_NS, and then sets *abort for everyone else.
 */
static bool
cc_spin_until(_Atomic unsigned *c, unsigned want, bool poll,
    _Atomic bool *abort)
{
	const uint64_t deadline = itl_now_ns() + ITL_TIMEOUT_NS;
	unsigned spins = 0;

	while (atomic_load(c) < want) {
		if (atomic_load(abort))
			return false;
		if (poll)
			cpu_intr_poll();
		if (++spins % 64 == 0) {
			if (itl_now_ns() > deadline) {
				atomic_store(abort, true);
				return false;
			}
			sched_yield();
		}
	}
	return true;
}

/*
 * cc_barrier: all n jobs meet; *gen is the caller's own count of the
 * barriers it passed on counter c.
 */
static bool
cc_barrier(_Atomic unsigned *c, unsigned n, unsigned *gen, bool poll,
    _Atomic bool *abort)
{
	atomic_fetch_add(c, 1);
	++*gen;
	return cc_spin_until(c, n * *gen, poll, abort);
}

/* xorshift64*: the jobs' dice. */
static uint64_t
cc_rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* Join every job of vCPUs 0..n-1 (bounded), then assert none failed. */
static void
cc_join_all(unsigned n, const char *what)
{
	for (unsigned i = 0; i < n; i++)
		itl_join(i, what);
}

/*
 * ---------------------------------------------------------------------
 * registry/concurrent
 *
 * Every vCPU runs the same job:
 *
 *   Full rounds.  All vCPUs register at once until ipi_register returns
 *   0.  Nobody unregisters before all have seen 0, so together they must
 *   hold exactly IPI_MAXREG-1 ids, each held by one vCPU (owner[id] is
 *   swapped to the holder; finding another holder there is a duplicate).
 *   One more ipi_register by each must return 0 (the table is full).
 *   Then each unregisters its own, at the same time as the others.
 *
 *   Mixed phase.  Each vCPU holds 0..3 ids at random, registering and
 *   unregistering while the others do: at most 3 per vCPU never fill
 *   the table, so a 0 here is a slot lost (a "recovery" failure).
 *
 * Each id, when registered, is triggered once to every other vCPU.  Its
 * handler counts runs per vCPU in the registration's own record; when
 * ipi_unregister(id) returns, every other vCPU must have run it exactly
 * once (the drain: "returns only after every IPI of that ID in flight has
 * run"), the holder never.  The record's `unregistered` flag is set right
 * after ipi_unregister returned: a handler run that sees it set ran after
 * the unregister, which ipi.h forbids (a later registration of the same
 * id has a record of its own, so its runs never count here).
 *
 * Catches: an id handed to two registrants (unlocked or racy slot scan),
 * a slot lost or never freed (the totals, the 0 in the mixed phase, the
 * final fill), ipi_unregister returning before an in-flight IPI ran
 * (count 0) or a handler of the old registration running after it
 * (late), a stale pending bit of the id's previous holder running the new
 * handler (count 2), and a hang of register/unregister under contention
 * (a vCPU in ipi_unregister waiting for acks from vCPUs that spin for the
 * lock: the job times out).
 *
 * With more vCPUs than cores (the sleeping backends) a vCPU may be
 * preempted holding ipi_mngmt_lock or in the middle of a handler, which
 * is worth having, but every unregister then waits for preempted
 * spinners to be scheduled: those runs do fewer rounds.
 * ---------------------------------------------------------------------
 */

#define	RG_NREG		(IPI_MAXREG - 1)	/* ids there are */
#define	RG_FULL_ROUNDS	3
#define	RG_MIXED_STEPS	60
#define	RG_OVERSUB_FULL	1	/* with more vCPUs than cores: each */
#define	RG_OVERSUB_MIXED 12	/* unregister waits for preempted vCPUs */
#define	RG_MIXED_HOLD	3			/* ids a vCPU holds at most */
#define	RG_RECS		(RG_FULL_ROUNDS * (RG_NREG + 1) + RG_MIXED_STEPS + 1)

struct rg_rec {
	unsigned	id;
	unsigned	holder;
	_Atomic unsigned runs[CC_MAXV];	/* handler runs per vCPU */
	_Atomic unsigned runs_off;	/* ... off any vCPU of the machine */
	_Atomic unsigned late;		/* runs that saw `unregistered` */
	_Atomic bool	unregistered;	/* set after ipi_unregister returned */
	bool		live;
};

struct rg_vcpu {
	unsigned	idx;
	uint64_t	rng;
	struct rg_rec	recs[RG_RECS];
	unsigned	nrecs;
	unsigned	got[RG_FULL_ROUNDS];	/* ids got in each full round */
	struct cc_fail	fail;
	unsigned	registered, unregistered; /* totals */
};

static struct {
	unsigned	n;
	unsigned	full_rounds, mixed_steps;
	_Atomic unsigned owner[IPI_MAXREG];	/* 1 + holder's index; 0 free */
	_Atomic unsigned bar;
	_Atomic bool	abort;
	_Atomic unsigned round_total[RG_FULL_ROUNDS];
	struct rg_vcpu	v[CC_MAXV];
} rg;

static void
rg_handler(void *arg)
{
	struct rg_rec *r = arg;
	struct cpu_info *ci = curcpu();

	if (atomic_load(&r->unregistered))
		atomic_fetch_add(&r->late, 1);
	if (ci == NULL || cpu_index(ci) >= rg.n)
		atomic_fetch_add(&r->runs_off, 1);
	else
		atomic_fetch_add(&r->runs[cpu_index(ci)], 1);
}

/* Register one id into the next record; trigger it on every other vCPU. */
static unsigned
rg_register(struct rg_vcpu *v, const char *phase)
{
	if (v->nrecs >= RG_RECS) {
		cc_note(&v->fail, "vCPU %u: out of records (test bug)", v->idx);
		return 0;
	}
	struct rg_rec *r = &v->recs[v->nrecs];
	unsigned id = ipi_register(rg_handler, r);

	if (id == 0)
		return 0;
	if (id >= IPI_MAXREG) {
		cc_note(&v->fail, "%s: vCPU %u: ipi_register = %u, want 1..%u",
		    phase, v->idx, id, RG_NREG);
		return 0;
	}
	v->nrecs++;
	v->registered++;
	r->id = id;
	r->holder = v->idx;
	r->live = true;
	unsigned prev = atomic_exchange(&rg.owner[id], v->idx + 1);
	if (prev != 0)
		cc_note(&v->fail, "%s: id %u handed to vCPU %u while vCPU %u "
		    "held it", phase, id, v->idx, prev - 1);
	for (unsigned t = 0; t < rg.n; t++)
		if (t != v->idx)
			ipi_trigger(id, cpu_lookup(t));
	return id;
}

/* Unregister r's id; check the drain of the triggers rg_register sent. */
static void
rg_unregister(struct rg_vcpu *v, struct rg_rec *r, const char *phase)
{
	unsigned expect = v->idx + 1;

	if (!atomic_compare_exchange_strong(&rg.owner[r->id], &expect, 0))
		cc_note(&v->fail, "%s: id %u of vCPU %u: owner became vCPU "
		    "%u while it held it", phase, r->id, v->idx, expect - 1);
	ipi_unregister(r->id);
	atomic_store(&r->unregistered, true);
	r->live = false;
	v->unregistered++;
	for (unsigned t = 0; t < rg.n; t++) {
		const unsigned want = t != v->idx, got = atomic_load(&r->runs[t]);
		if (got != want)
			cc_note(&v->fail, "%s: id %u (vCPU %u's): its handler "
			    "had run %u times on vCPU %u when ipi_unregister "
			    "returned, want %u", phase, r->id, v->idx, got, t,
			    want);
	}
}

static void
rg_job(void *arg)
{
	struct rg_vcpu *v = arg;
	unsigned gen = 0;
	char phase[64];

	for (unsigned round = 0; round < rg.full_rounds; round++) {
		snprintf(phase, sizeof(phase), "full round %u", round);
		if (!cc_barrier(&rg.bar, rg.n, &gen, true, &rg.abort))
			goto timeout;
		const unsigned first = v->nrecs;
		while (rg_register(v, phase) != 0)
			continue;
		v->got[round] = v->nrecs - first;
		atomic_fetch_add(&rg.round_total[round], v->got[round]);
		/* Every vCPU has seen 0: the table is full, nobody frees. */
		if (!cc_barrier(&rg.bar, rg.n, &gen, true, &rg.abort))
			goto timeout;
		if (rg_register(v, phase) != 0) {
			cc_note(&v->fail, "%s: vCPU %u: ipi_register gave id %u "
			    "with the table full", phase, v->idx,
			    v->recs[v->nrecs - 1].id);
		}
		if (!cc_barrier(&rg.bar, rg.n, &gen, true, &rg.abort))
			goto timeout;
		/* Free this round's ids, in an order of the dice. */
		for (unsigned left = v->nrecs - first; left > 0; left--) {
			unsigned k = (unsigned)(cc_rnd(&v->rng) % left), seen = 0;
			for (unsigned i = first; i < v->nrecs; i++) {
				if (!v->recs[i].live)
					continue;
				if (seen++ == k) {
					rg_unregister(v, &v->recs[i], phase);
					break;
				}
			}
		}
	}

	snprintf(phase, sizeof(phase), "mixed phase");
	if (!cc_barrier(&rg.bar, rg.n, &gen, true, &rg.abort))
		goto timeout;
	unsigned held[RG_MIXED_HOLD], nheld = 0;
	for (unsigned step = 0; step < rg.mixed_steps; step++) {
		uint64_t x = cc_rnd(&v->rng);
		if (nheld < RG_MIXED_HOLD && (nheld == 0 || x % 2 == 0)) {
			unsigned rec = v->nrecs;
			if (rg_register(v, phase) == 0) {
				cc_note(&v->fail, "%s: vCPU %u: ipi_register "
				    "returned 0 with at most %u ids held per "
				    "vCPU (%u vCPUs): a slot was lost", phase,
				    v->idx, RG_MIXED_HOLD, rg.n);
				break;
			}
			held[nheld++] = rec;
		} else {
			unsigned k = (unsigned)((x >> 8) % nheld);
			rg_unregister(v, &v->recs[held[k]], phase);
			held[k] = held[--nheld];
		}
		if ((x >> 16) % 4 == 0)
			cpu_intr_poll();
	}
	while (nheld > 0)
		rg_unregister(v, &v->recs[held[--nheld]], phase);
	return;
timeout:
	cc_note(&v->fail, "%s: vCPU %u: gave up waiting for the other vCPUs "
	    "at a barrier (%llu s, or another gave up)", phase, v->idx,
	    ITL_TIMEOUT_NS / ITL_NS);
	for (unsigned i = 0; i < v->nrecs; i++)
		if (v->recs[i].live)
			rg_unregister(v, &v->recs[i], "cleanup");
}

/* The final fill, on vCPU 0: every slot must be free again. */
struct rg_fill {
	unsigned	ids[IPI_MAXREG + 1];
	unsigned	n;
};

static void
rg_fill_job(void *arg)
{
	struct rg_fill *f = arg;

	f->n = 0;
	while (f->n <= IPI_MAXREG &&
	    (f->ids[f->n] = ipi_register(itl_count_handler, NULL)) != 0)
		f->n++;
	for (unsigned i = 0; i < f->n && i < IPI_MAXREG; i++)
		ipi_unregister(f->ids[i]);
}

static void
registry_concurrent(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 3, 2);

	if (n > CC_MAXV)
		n = CC_MAXV;
	memset(&rg, 0, sizeof(rg));
	rg.n = n;
	rg.full_rounds = n > itl_cores() ? RG_OVERSUB_FULL : RG_FULL_ROUNDS;
	rg.mixed_steps = n > itl_cores() ? RG_OVERSUB_MIXED : RG_MIXED_STEPS;
	itl_start(ops, n);
	for (unsigned i = 0; i < n; i++) {
		rg.v[i].idx = i;
		rg.v[i].rng = (itl_now_ns() + 0x9e3779b97f4a7c15ull * (i + 1))
		    | 1;
	}
	for (unsigned i = 0; i < n; i++)
		itl_post(i, rg_job, &rg.v[i], "concurrent register/unregister");
	cc_join_all(n, "concurrent register/unregister");

	for (unsigned i = 0; i < n; i++) {
		const struct rg_vcpu *v = &rg.v[i];
		cr_expect_eq(v->fail.n, 0, "registry %s: vCPU %u: %u failures; "
		    "first: %s", ops->name, i, v->fail.n, v->fail.first);
		cr_expect_eq(v->registered, v->unregistered, "vCPU %u: %u "
		    "registered, %u unregistered", i, v->registered,
		    v->unregistered);
	}
	cr_expect(!atomic_load(&rg.abort), "registry %s: a vCPU gave up "
	    "waiting at a barrier", ops->name);
	for (unsigned r = 0; r < rg.full_rounds; r++) {
		unsigned got = atomic_load(&rg.round_total[r]);
		cr_expect_eq(got, RG_NREG, "registry %s: full round %u: %u vCPUs "
		    "registering at once got %u ids before ipi_register "
		    "returned 0, want %u", ops->name, r, n, got, RG_NREG);
	}

	/* Quiet now: no late run may follow, on any vCPU. */
	for (unsigned i = 0; i < n; i++)
		itl_flush(i);
	for (unsigned i = 0; i < n; i++) {
		const struct rg_vcpu *v = &rg.v[i];
		for (unsigned k = 0; k < v->nrecs; k++) {
			const struct rg_rec *r = &v->recs[k];
			unsigned late = atomic_load(&r->late);
			cr_expect_eq(late, 0, "registry %s: id %u of vCPU %u ran "
			    "%u times after its ipi_unregister returned",
			    ops->name, r->id, i, late);
			cr_expect_eq(atomic_load(&r->runs_off), 0, "id %u ran "
			    "off the machine's vCPUs", r->id);
			for (unsigned t = 0; t < n; t++) {
				unsigned got = atomic_load(&r->runs[t]);
				cr_expect_eq(got, t != i, "registry %s: id %u of "
				    "vCPU %u: %u runs on vCPU %u in the end, "
				    "want %u", ops->name, r->id, i, got, t,
				    t != i);
			}
		}
	}
	for (unsigned id = 0; id < IPI_MAXREG; id++)
		cr_expect_eq(atomic_load(&rg.owner[id]), 0, "id %u still owned "
		    "at the end", id);

	/* Every slot is free again: the table fills to exactly 31. */
	struct rg_fill f;
	itl_call(0, rg_fill_job, &f, "ipi_register until full, then free");
	cr_expect_eq(f.n, RG_NREG, "registry %s: after the concurrent rounds "
	    "the table took %u registrations, want %u", ops->name, f.n,
	    RG_NREG);
	itl_stop();
}
ITL_BACKEND_TESTS(registry, concurrent, ITL_TEST_TIMEOUT, registry_concurrent)

/*
 * ---------------------------------------------------------------------
 * crosswait: each vCPU waits for another that waits for it.
 *
 * Every round, on every vCPU: meet (barrier, taking interrupts), meet
 * again without taking any, send (unicast to the next vCPU of the ring,
 * or a broadcast), meet without taking any, ipi_wait.  Between the second
 * meeting and ipi_wait no vCPU reaches an interrupt point (a job takes
 * interrupts only at cpu_intr_poll: in put_msg when a mailbox is full,
 * which it is not here, and in ipi_wait), so every vCPU enters ipi_wait
 * with its own message untaken and another's in its own mailbox: the
 * wait can only end if ipi_wait takes interrupts while it spins.  (The
 * mailboxes are empty at the first meeting: every wait of the previous
 * round ended, so every message of it was taken; at most 5 messages per
 * mailbox per round, so put_msg never finds one full.)
 *
 * Catches: a backoff loop that does not take interrupts (the jobs hang:
 * itl_join fails after ITL_TIMEOUT_NS), a message lost or run twice
 * (the sender checks its message's count right after ipi_wait, and the
 * test thread checks the totals after the vCPUs went quiet), a message
 * run on the wrong vCPU.  How often a vCPU entered ipi_wait with every
 * message for it still in its own mailbox is logged: it shows that the
 * case happened (a backend that interrupts a running vCPU anywhere could
 * take them earlier, so it is not asserted).
 *
 * More vCPUs than cores (the sleeping backends' ring) make every wait a
 * wait for a preempted thread to be scheduled: those runs do fewer
 * rounds.
 * ---------------------------------------------------------------------
 */

#define	XW_PAIR_ROUNDS	2000
#define	XW_RING_ROUNDS	500
#define	XW_OVERSUB_ROUNDS 20		/* with more vCPUs than cores */
#define	XW_MAXV		6		/* broadcast: <= IPI_MSG_SLOTS + 1 */

enum { XW_UNICAST, XW_BROADCAST, XW_BROADCAST_SELF };

struct xw_vcpu {
	ipi_msg_t	msg;
	_Atomic unsigned runs[CC_MAXV];	/* this vCPU's messages, per runner */
	_Atomic unsigned runs_off;
	unsigned	full_at_wait;	/* rounds it entered ipi_wait with every
					 * message for it still in its mailbox */
	struct cc_fail	fail;
};

static struct {
	unsigned	n, rounds;
	int		op;
	_Atomic unsigned bar_meet, bar_quiet, bar_sent;
	_Atomic bool	abort;
	struct xw_vcpu	v[CC_MAXV];
} xw;

static void
xw_func(void *arg)
{
	struct xw_vcpu *v = arg;
	struct cpu_info *ci = curcpu();

	if (ci == NULL || cpu_index(ci) >= xw.n)
		atomic_fetch_add(&v->runs_off, 1);
	else
		atomic_fetch_add(&v->runs[cpu_index(ci)], 1);
}

/* Whether vCPU t runs a message of vCPU s in xw.op. */
static bool
xw_target(unsigned s, unsigned t)
{
	switch (xw.op) {
	case XW_UNICAST:
		return t == (s + 1) % xw.n;
	case XW_BROADCAST:
		return t != s;
	default:
		return true;
	}
}

/* The messages in vCPU self's own mailbox now. */
static unsigned
xw_mbox_count(unsigned self)
{
	ipi_mbox_t *mbox = &cpu_ipi_state(cpu_lookup(self))->mbox;
	unsigned c = 0;

	for (unsigned k = 0; k < IPI_MSG_SLOTS; k++)
		c += atomic_load(&mbox->msg[k]) != NULL;
	return c;
}

static void
xw_job(void *arg)
{
	struct xw_vcpu *v = arg;
	const unsigned self = (unsigned)(v - xw.v);
	const unsigned incoming = xw.op == XW_UNICAST ? 1 : xw.n - 1;
	unsigned g_meet = 0, g_quiet = 0, g_sent = 0;

	v->msg.func = xw_func;
	v->msg.arg = v;
	for (unsigned r = 0; r < xw.rounds; r++) {
		if (!cc_barrier(&xw.bar_meet, xw.n, &g_meet, true, &xw.abort) ||
		    !cc_barrier(&xw.bar_quiet, xw.n, &g_quiet, false,
		    &xw.abort)) {
			cc_note(&v->fail, "round %u: vCPU %u gave up waiting "
			    "for the others to meet", r, self);
			return;
		}
		switch (xw.op) {
		case XW_UNICAST:
			ipi_unicast(&v->msg, cpu_lookup((self + 1) % xw.n));
			break;
		case XW_BROADCAST:
			ipi_broadcast(&v->msg, true);
			break;
		default:
			ipi_broadcast(&v->msg, false);
			break;
		}
		if (!cc_barrier(&xw.bar_sent, xw.n, &g_sent, false,
		    &xw.abort)) {
			cc_note(&v->fail, "round %u: vCPU %u gave up waiting "
			    "for the others to send", r, self);
			ipi_wait(&v->msg);
			return;
		}
		v->full_at_wait += xw_mbox_count(self) == incoming;
		ipi_wait(&v->msg);
		for (unsigned t = 0; t < xw.n; t++) {
			const unsigned want = xw_target(self, t) ? r + 1 : 0;
			const unsigned got = atomic_load(&v->runs[t]);
			if (got != want)
				cc_note(&v->fail, "round %u: vCPU %u's message "
				    "had run %u times on vCPU %u when ipi_wait "
				    "returned, want %u", r, self, got, t, want);
		}
	}
}

static void
crosswait(const struct ipi_backend_ops *ops, unsigned want, int op,
    unsigned rounds, const char *what)
{
	unsigned n = itl_nvcpus(ops, want, 2);

	if (n > XW_MAXV)
		n = XW_MAXV;
	if (n > itl_cores())
		rounds = XW_OVERSUB_ROUNDS;
	memset(&xw, 0, sizeof(xw));
	xw.n = n;
	xw.op = op;
	xw.rounds = rounds;
	itl_start(ops, n);
	for (unsigned i = 0; i < n; i++)
		itl_post(i, xw_job, &xw.v[i], what);
	cc_join_all(n, what);
	for (unsigned i = 0; i < n; i++)
		itl_flush(i);

	unsigned full_at_wait = 0;
	for (unsigned s = 0; s < n; s++) {
		const struct xw_vcpu *v = &xw.v[s];
		cr_expect_eq(v->fail.n, 0, "%s %s: vCPU %u: %u failures; first: "
		    "%s", what, ops->name, s, v->fail.n, v->fail.first);
		for (unsigned t = 0; t < n; t++) {
			const unsigned want_runs = xw_target(s, t) ? rounds : 0;
			const unsigned got = atomic_load(&v->runs[t]);
			cr_expect_eq(got, want_runs, "%s %s: vCPU %u's messages "
			    "ran %u times on vCPU %u in the end, want %u", what,
			    ops->name, s, got, t, want_runs);
		}
		cr_expect_eq(atomic_load(&v->runs_off), 0, "%s: vCPU %u's "
		    "messages ran off the machine", what, s);
		cr_expect_eq(atomic_load(&v->msg._pending), 0, "%s %s: vCPU "
		    "%u's message: _pending = %u after every vCPU went quiet "
		    "(an extra ack wraps it)", what, ops->name, s,
		    atomic_load(&v->msg._pending));
		full_at_wait += v->full_at_wait;
	}
	cr_log_info("%s %s: %u vCPUs, %u rounds; a vCPU entered ipi_wait with "
	    "every message for it still in its mailbox %u times of %u", what,
	    ops->name, n, rounds, full_at_wait, n * rounds);
	itl_stop();
}

static void
crosswait_pair(const struct ipi_backend_ops *ops)
{
	crosswait(ops, 2, XW_UNICAST, XW_PAIR_ROUNDS,
	    "A->B and B->A unicast + ipi_wait");
}
ITL_BACKEND_TESTS(crosswait, pair, ITL_TEST_TIMEOUT, crosswait_pair)

static void
crosswait_ring(const struct ipi_backend_ops *ops)
{
	crosswait(ops, 4, XW_UNICAST, XW_RING_ROUNDS,
	    "ring of unicast + ipi_wait");
}
ITL_BACKEND_TESTS(crosswait, ring, ITL_TEST_TIMEOUT, crosswait_ring)

static void
crosswait_broadcast(const struct ipi_backend_ops *ops)
{
	crosswait(ops, 4, XW_BROADCAST, XW_RING_ROUNDS / 2,
	    "everyone ipi_broadcast(skip_self) + ipi_wait");
	crosswait(ops, 4, XW_BROADCAST_SELF, XW_RING_ROUNDS / 2,
	    "everyone ipi_broadcast + ipi_wait");
}
ITL_BACKEND_TESTS(crosswait, broadcast, ITL_TEST_TIMEOUT,
    crosswait_broadcast)

/*
 * ---------------------------------------------------------------------
 * mbox/many_senders: one mailbox, more messages than slots, many senders.
 *
 * The target's interrupts are blocked.  S senders (every other vCPU; one
 * on a 2-core machine of a spinning backend) each put MB_PER_SENDER (> IPI_MSG_SLOTS)
 * messages of their own with ipi_unicast before waiting on any, so even
 * one sender overflows the mailbox.  The test waits until the mailbox
 * holds IPI_MSG_SLOTS messages and every sender is inside ipi_unicast
 * with one more (so in put_msg's spin: nothing can free a slot), and
 * until ipi_mboxfull_count() has risen by at least S and then risen
 * again.  Then, while still blocked: exactly IPI_MSG_SLOTS sends have
 * returned, every slot holds a distinct message of ours, none ran.
 * Unblocked, every message runs exactly once on the target, every sender
 * finishes its waits, the mailbox ends empty.
 *
 * Catches: put_msg overwriting a taken slot (more sends return than
 * slots, a message lost), a message put twice (two slots hold it, or it
 * runs twice), a slot the target frees without running its message, a
 * mailbox-full spin that never ends after the target unblocks (lost
 * trigger: the jobs time out), and a mailbox-full event not counted.
 * ---------------------------------------------------------------------
 */

#define	MB_PER_SENDER	(IPI_MSG_SLOTS + 4)

struct mb_msg {
	ipi_msg_t	msg;
	_Atomic unsigned runs;
	_Atomic unsigned runs_off;	/* ... not on the target */
	unsigned	after_wait;	/* runs when its ipi_wait returned */
};

struct mb_sender {
	struct mb_msg	m[MB_PER_SENDER];
	_Atomic unsigned trying;	/* 1 + message in ipi_unicast now */
	_Atomic unsigned sent;		/* sends returned */
};

static struct {
	unsigned	target;
	_Atomic unsigned sent_total;
	struct mb_sender s[CC_MAXV];
} mb;

static void
mb_func(void *arg)
{
	struct mb_msg *m = arg;
	struct cpu_info *ci = curcpu();

	atomic_fetch_add(&m->runs, 1);
	if (ci == NULL || cpu_index(ci) != mb.target)
		atomic_fetch_add(&m->runs_off, 1);
}

static void
mb_sender_job(void *arg)
{
	struct mb_sender *s = arg;
	struct cpu_info *t = cpu_lookup(mb.target);

	for (unsigned k = 0; k < MB_PER_SENDER; k++) {
		s->m[k].msg.func = mb_func;
		s->m[k].msg.arg = &s->m[k];
		atomic_store(&s->trying, k + 1);
		ipi_unicast(&s->m[k].msg, t);
		atomic_store(&s->sent, k + 1);
		atomic_fetch_add(&mb.sent_total, 1);
	}
	for (unsigned k = 0; k < MB_PER_SENDER; k++) {
		ipi_wait(&s->m[k].msg);
		s->m[k].after_wait = atomic_load(&s->m[k].runs);
	}
}

/* Whether every sender is inside ipi_unicast with its message sent+1. */
static bool
mb_all_stuck(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (i == mb.target)
			continue;
		const unsigned sent = atomic_load(&mb.s[i].sent);
		if (atomic_load(&mb.s[i].trying) != sent + 1)
			return false;
	}
	return atomic_load(&mb.sent_total) >= IPI_MSG_SLOTS;
}

static void
mbox_many_senders(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 6, 2);

	if (n > CC_MAXV)
		n = CC_MAXV;
	memset(&mb, 0, sizeof(mb));
	mb.target = n - 1;
	const unsigned nsend = n - 1;
	itl_start(ops, n);
	struct ipi_percpu *st = cpu_ipi_state(itl_cpu(mb.target));

	itl_block(mb.target);
	const uint64_t base = ipi_mboxfull_count();
	for (unsigned i = 0; i < nsend; i++)
		itl_post(i, mb_sender_job, &mb.s[i], "sends to a full mailbox");

	/*
	 * Every sender stuck in put_msg, the mailbox full.  More sends
	 * returning than there are slots ends the wait at once: a message
	 * was put over another, or into a slot the blocked target freed.
	 */
	const uint64_t deadline = itl_now_ns() + ITL_TIMEOUT_NS;
	while (!mb_all_stuck(n) && atomic_load(&mb.sent_total) <=
	    IPI_MSG_SLOTS && itl_now_ns() < deadline)
		itl_sleep_us(200);
	cr_assert_leq(atomic_load(&mb.sent_total), IPI_MSG_SLOTS, "mbox %s: "
	    "%u ipi_unicast returned into a mailbox of %u slots whose vCPU "
	    "takes no interrupts", ops->name, atomic_load(&mb.sent_total),
	    (unsigned)IPI_MSG_SLOTS);
	cr_assert(mb_all_stuck(n), "mbox %s: after %llu s not every one of %u "
	    "senders is inside ipi_unicast with the mailbox of vCPU %u full "
	    "(%u sends returned)", ops->name, ITL_TIMEOUT_NS / ITL_NS, nsend,
	    mb.target, atomic_load(&mb.sent_total));
	uint64_t c1 = itl_wait_mboxfull(base + nsend,
	    "senders at a full mailbox");
	itl_wait_mboxfull(c1 + 1, "senders still spinning at a full mailbox");

	/* Still blocked: the mailbox holds exactly its slots, all ours. */
	const unsigned sent = atomic_load(&mb.sent_total);
	cr_expect_eq(sent, IPI_MSG_SLOTS, "mbox %s: %u ipi_unicast returned "
	    "into a mailbox of %u slots whose vCPU takes no interrupts",
	    ops->name, sent, (unsigned)IPI_MSG_SLOTS);
	for (unsigned k = 0; k < IPI_MSG_SLOTS; k++) {
		ipi_msg_t *m = atomic_load(&st->mbox.msg[k]);
		bool ours = false;
		cr_expect_not_null(m, "mbox %s: slot %u empty while full",
		    ops->name, k);
		for (unsigned j = 0; j < k && m != NULL; j++)
			cr_expect_neq(atomic_load(&st->mbox.msg[j]), m, "mbox "
			    "%s: slots %u and %u hold the same message",
			    ops->name, j, k);
		for (unsigned i = 0; i < nsend; i++)
			for (unsigned q = 0; q < MB_PER_SENDER; q++)
				ours |= m == &mb.s[i].m[q].msg;
		cr_expect(m == NULL || ours, "mbox %s: slot %u holds %p, not "
		    "one of the senders' messages", ops->name, k, (void *)m);
	}
	for (unsigned i = 0; i < nsend; i++)
		for (unsigned q = 0; q < MB_PER_SENDER; q++)
			cr_expect_eq(atomic_load(&mb.s[i].m[q].runs), 0, "mbox "
			    "%s: message %u of vCPU %u ran on a blocked vCPU",
			    ops->name, q, i);

	/* Unblock: everything drains, each message exactly once. */
	itl_unblock(mb.target);
	cc_join_all(nsend, "ipi_unicast and ipi_wait after the unblock");
	itl_flush(mb.target);
	for (unsigned i = 0; i < nsend; i++) {
		for (unsigned q = 0; q < MB_PER_SENDER; q++) {
			const struct mb_msg *m = &mb.s[i].m[q];
			cr_expect_eq(m->after_wait, 1, "mbox %s: vCPU %u message "
			    "%u had run %u times when its ipi_wait returned, "
			    "want 1", ops->name, i, q, m->after_wait);
			cr_expect_eq(atomic_load(&m->runs), 1, "mbox %s: vCPU %u "
			    "message %u ran %u times, want 1", ops->name, i, q,
			    atomic_load(&m->runs));
			cr_expect_eq(atomic_load(&m->runs_off), 0, "mbox %s: "
			    "vCPU %u message %u ran off the target",
			    ops->name, i, q);
			cr_expect_eq(atomic_load(&m->msg._pending), 0, "mbox %s: "
			    "vCPU %u message %u: _pending = %u in the end (an "
			    "extra ack wraps it)", ops->name, i, q,
			    atomic_load(&m->msg._pending));
		}
	}
	for (unsigned k = 0; k < IPI_MSG_SLOTS; k++)
		cr_expect_null(atomic_load(&st->mbox.msg[k]), "mbox %s: slot %u "
		    "still holds a message after every ack", ops->name, k);
	const uint64_t end = ipi_mboxfull_count();
	cr_expect_gt(end, base, "mbox %s: ipi_mboxfull_count() %llu before, "
	    "%llu after %u messages to a mailbox of %u slots", ops->name,
	    (unsigned long long)base, (unsigned long long)end,
	    nsend * MB_PER_SENDER, (unsigned)IPI_MSG_SLOTS);
	cr_log_info("mbox %s: %u senders x %u messages, %llu mailbox-full "
	    "events", ops->name, nsend, (unsigned)MB_PER_SENDER,
	    (unsigned long long)(end - base));
	itl_stop();
}
ITL_BACKEND_TESTS(mbox, many_senders, ITL_TEST_TIMEOUT, mbox_many_senders)
