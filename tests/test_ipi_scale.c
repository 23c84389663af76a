/*
 * test_ipi_scale.c: the port at the scale of the users' machines (64 and
 * 256 vCPUs), on every sleeping backend, oversubscribed on whatever
 * machine runs the tests.  Functional only: nothing here is a timing.
 *
 * The backends are those of ipi_backends[] that do not spin (a spinning
 * backend cannot run more vCPUs than cores); each case is a Criterion
 * parameterized test over them, so a new sleeping backend is tested here
 * without an edit.
 *
 *   stress_64, stress_256   the mix of stress_lib.h (unicast, multicast
 *                           over several 64-bit words, broadcast,
 *                           triggers) for SCALE_SECONDS of sending, by
 *                           senders spread over the vCPUs.
 *   unregister_64, _256     vCPU 0 loops ipi_register -> ipi_trigger_
 *                           broadcast(skip self) -> ipi_unregister while
 *                           other vCPUs keep sending ipi_unicast +
 *                           ipi_wait to random others.  ipi.h promises
 *                           that ipi_unregister returns only after every
 *                           IPI of the id in flight has run: each round
 *                           must have run its handler once on every other
 *                           vCPU by then, and never after (a per-round
 *                           flag set right after ipi_unregister returns,
 *                           checked by the handler; the runs counted
 *                           then, counted again at the end).  One
 *                           unicast in UR_HOLD_ONE_IN spins in its
 *                           func for up to UR_HOLD_MAX_NS, so that some
 *                           handler passes are long while vCPU 0
 *                           drains.  On a 2-core machine this is a
 *                           smoke test: the drain races need real
 *                           parallelism (test_ipi_races forces them).
 *   wide_256                ipi_broadcast (with and without self),
 *                           ipi_multicast and ipi_trigger_multi /
 *                           _broadcast with sets spanning the four words
 *                           of 256 vCPUs, sent from vCPUs in each word;
 *                           exact counts per vCPU.
 *
 * Every wait is bounded: a vCPU stuck (in ipi_wait, in ipi_unregister)
 * for SCALE_STUCK_NS fails the case naming it and the vCPUs that still
 * have IPIs pending.  One line of figures per case goes to stderr.
 */
#include <criterion/parameterized.h>

#include "stress_lib.h"

#define	SCALE_SECONDS	1.0		/* sending time of a case */
#define	SCALE_STUCK_NS	(10 * ITL_NS)	/* a vCPU stuck this long hung */
#define	SCALE_TIMEOUT	150		/* .timeout of a case, s */
#define	UR_MAXROUNDS	100000u
#define	UR_HOLD_ONE_IN	4		/* one unicast in 4 holds its target */
#define	UR_HOLD_MAX_NS	1000000ull	/* for up to 1 ms */

/*
 * The parameters: indexes into ipi_backends[] of the backends that do
 * not spin (ipi_testlib.h).
 */
static struct criterion_test_params
scale_backends(void)
{
	return itl_backend_params(true);
}

/* scale_backend: backend idx (failure messages name it); must not spin. */
static const struct ipi_backend_ops *
scale_backend(unsigned idx)
{
	const struct ipi_backend_ops *ops = itl_backend_at(idx);

	cr_assert(!ops->spins, "backend %s spins: not a scale test's",
	    ops->name);
	return ops;
}

/*
 * scale_senders: how many vCPUs of n send: as many as the cores (at
 * least 2), fewer than n.  A sender spins in ipi_wait, as the seed does;
 * on an oversubscribed machine each spinning sender takes a core from the
 * targets it waits for, and more senders only slow every message down.
 */
static unsigned
scale_senders(unsigned n)
{
	unsigned k = itl_cores() > 2 ? itl_cores() : 2;

	return k < n - 1 ? k : n - 1;
}

/*
 * scale_pending: the vCPUs that have IPIs pending or messages in their
 * mailbox, as " vCPU:bits[+messages]" text, for a failure message.
 */
static void
scale_pending(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned t = 0; t < ncpu && off + 1 < len; t++) {
		struct ipi_percpu *ps = cpu_ipi_state(cpu_lookup(t));
		uint32_t w = 0;
		unsigned m = 0;
		for (unsigned k = 0; k < IPI_BITWORDS; k++)
			w |= atomic_load(&ps->ipipend[k]);
		for (unsigned k = 0; k < IPI_MSG_SLOTS; k++)
			m += atomic_load(&ps->mbox.msg[k]) != NULL;
		if (w == 0 && m == 0)
			continue;
		int c = m != 0 ?
		    snprintf(buf + off, len - off, " %u:%#x+%u", t, w, m) :
		    snprintf(buf + off, len - off, " %u:%#x", t, w);
		off += c > 0 ? (size_t)c : 0;
	}
	if (buf[0] == '\0')
		snprintf(buf, len, " none");
}

/*
 * stress_64, stress_256: the stress mix at scale.
 */
static void
scale_stress(unsigned b, unsigned n)
{
	const struct stress_cfg cfg = {
		.label = "scale stress",
		.ops = scale_backend(b),
		.n = n,
		.nsend = scale_senders(n),
		.secs = SCALE_SECONDS,
		.wait_ns = SCALE_STUCK_NS,
	};
	stress_run(&cfg, NULL);
}

ParameterizedTestParameters(scale, stress_64) { return scale_backends(); }
ParameterizedTest(unsigned *b, scale, stress_64, .timeout = SCALE_TIMEOUT)
{
	scale_stress(*b, 64);
}

ParameterizedTestParameters(scale, stress_256) { return scale_backends(); }
ParameterizedTest(unsigned *b, scale, stress_256, .timeout = SCALE_TIMEOUT)
{
	scale_stress(*b, 256);
}

/*
 * unregister_64, unregister_256: ipi_unregister against traffic.
 */
struct ur_round {
	_Atomic unsigned runs;		/* handler runs finished */
	_Atomic unsigned late;		/* runs begun after unregister returned */
	_Atomic int	unregistered;	/* ipi_unregister has returned */
	unsigned	at_return;	/* runs right after it returned */
};

enum { UR_IDLE, UR_REGISTER, UR_TRIGGER, UR_UNREGISTER, UR_DONE };
static const char *const ur_phase_name[] = {
	"between rounds", "in ipi_register", "in ipi_trigger_broadcast",
	"in ipi_unregister", "done",
};

struct ur_sender {
	unsigned	idx;		/* its vCPU */
	uint64_t	rng;
	ipi_msg_t	msg;
	_Atomic unsigned ran;		/* runs of the current message */
	_Atomic int	ran_on;		/* vCPU that ran it last */
	uint64_t	hold_ns;	/* how long func spins, 0 mostly */
	_Atomic int	target;		/* vCPU sent to, -1 none */
	_Atomic uint64_t wait_since;	/* ns in ipi_unicast + ipi_wait, 0 */
	uint64_t	sent, lost, dup, stray;
	char		first_err[160];
	_Atomic int	done;
};

static struct {
	unsigned	n, nsend;
	uint64_t	end_ns;
	struct ur_round *rounds;	/* UR_MAXROUNDS */
	_Atomic unsigned nrounds;	/* rounds vCPU 0 finished */
	_Atomic int	phase;		/* vCPU 0's */
	_Atomic uint64_t phase_since;
	_Atomic int	stop;
	unsigned	regfail;	/* ipi_register returned 0 */
	struct ur_sender *s;		/* nsend of them */
} ur;

static void
ur_handler(void *arg)
{
	struct ur_round *rr = arg;

	if (atomic_load(&rr->unregistered))
		atomic_fetch_add(&rr->late, 1);
	atomic_fetch_add(&rr->runs, 1);
}

static void
ur_set_phase(int ph)
{
	atomic_store(&ur.phase_since, itl_now_ns());
	atomic_store(&ur.phase, ph);
}

/* vCPU 0: register, trigger everyone else, unregister; again. */
static void
ur_cycle_job(void *arg)
{
	(void)arg;
	for (unsigned r = 0; r < UR_MAXROUNDS && !atomic_load(&ur.stop) &&
	    itl_now_ns() < ur.end_ns; r++) {
		struct ur_round *rr = &ur.rounds[r];

		ur_set_phase(UR_REGISTER);
		const unsigned id = ipi_register(ur_handler, rr);
		if (id == 0) {
			ur.regfail++;
			break;
		}
		ur_set_phase(UR_TRIGGER);
		ipi_trigger_broadcast(id, true);
		ur_set_phase(UR_UNREGISTER);
		ipi_unregister(id);
		atomic_store(&rr->unregistered, 1);
		rr->at_return = atomic_load(&rr->runs);
		atomic_store(&ur.nrounds, r + 1);
		ur_set_phase(UR_IDLE);
	}
	ur_set_phase(UR_DONE);
}

static void
ur_msg_func(void *arg)
{
	struct ur_sender *s = arg;
	struct cpu_info *ci = curcpu();

	atomic_store(&s->ran_on, ci != NULL ? (int)cpu_index(ci) : -1);
	atomic_fetch_add(&s->ran, 1);
	if (s->hold_ns != 0) {
		const uint64_t until = itl_now_ns() + s->hold_ns;
		while (itl_now_ns() < until)
			continue;
	}
}

/* ur_note_err(s, fmt, ...): keep sender s's first error. */
#define	ur_note_err(s, ...)						\
	itl_note_first((s)->first_err, sizeof((s)->first_err), __VA_ARGS__)

/* The other vCPUs: unicast to a random other vCPU, wait, check. */
static void
ur_send_job(void *arg)
{
	struct ur_sender *s = arg;
	const unsigned n = ur.n;

	while (!atomic_load(&ur.stop) && itl_now_ns() < ur.end_ns) {
		const unsigned t = (s->idx + 1 +
		    (unsigned)(st_rnd(&s->rng) % (n - 1))) % n;

		const uint64_t x = st_rnd(&s->rng);
		atomic_store(&s->ran, 0);
		atomic_store(&s->ran_on, -1);
		s->hold_ns = x % UR_HOLD_ONE_IN == 0 ?
		    (x >> 8) % UR_HOLD_MAX_NS : 0;
		s->msg.func = ur_msg_func;
		s->msg.arg = s;
		atomic_store(&s->target, (int)t);
		atomic_store(&s->wait_since, itl_now_ns());
		ipi_unicast(&s->msg, cpu_lookup(t));
		ipi_wait(&s->msg);
		atomic_store(&s->wait_since, 0);
		atomic_store(&s->target, -1);
		s->sent++;

		const unsigned c = atomic_load(&s->ran);
		const int on = atomic_load(&s->ran_on);
		if (c == 0) {
			s->lost++;
			ur_note_err(s, "unicast from vCPU %u to %u: not run "
			    "when ipi_wait returned", s->idx, t);
		} else if (c > 1) {
			s->dup += c - 1;
			ur_note_err(s, "unicast from vCPU %u to %u: run %u "
			    "times", s->idx, t, c);
		} else if (on != (int)t) {
			s->stray++;
			ur_note_err(s, "unicast from vCPU %u to %u: run on "
			    "vCPU %d", s->idx, t, on);
		}
	}
	atomic_store_explicit(&s->done, 1, memory_order_release);
}

/* ur_watch: drive until every job is done; fail naming who is stuck. */
static void
ur_watch(const char *what)
{
	char pend[2048];

	for (;;) {
		const uint64_t now = itl_now_ns();
		bool all_done = atomic_load(&ur.phase) == UR_DONE;

		if (now >= ur.end_ns)
			atomic_store(&ur.stop, 1);
		const int ph = atomic_load(&ur.phase);
		const uint64_t since = atomic_load(&ur.phase_since);
		if (ph != UR_DONE && ph != UR_IDLE && now > since &&
		    now - since > SCALE_STUCK_NS) {
			scale_pending(pend, sizeof(pend));
			cr_assert_fail("%s: vCPU 0 stuck %s (round %u) for more "
			    "than %llu s; vCPUs with IPIs pending (vCPU:bits"
			    "+messages):%s", what, ur_phase_name[ph],
			    atomic_load(&ur.nrounds), SCALE_STUCK_NS / ITL_NS,
			    pend);
		}
		for (unsigned k = 0; k < ur.nsend; k++) {
			struct ur_sender *s = &ur.s[k];
			const uint64_t ws = atomic_load(&s->wait_since);
			if (!atomic_load_explicit(&s->done,
			    memory_order_acquire))
				all_done = false;
			if (ws != 0 && now > ws && now - ws > SCALE_STUCK_NS) {
				scale_pending(pend, sizeof(pend));
				cr_assert_fail("%s: vCPU %u stuck in ipi_unicast"
				    " + ipi_wait to vCPU %d for more than %llu "
				    "s; vCPU 0 is %s; vCPUs with IPIs pending "
				    "(vCPU:bits+messages):%s", what, s->idx,
				    atomic_load(&s->target),
				    SCALE_STUCK_NS / ITL_NS, ur_phase_name[ph],
				    pend);
			}
		}
		if (all_done)
			break;
		if (now > ur.end_ns + 2 * SCALE_STUCK_NS)
			cr_assert_fail("%s: not done %llu s after its end "
			    "(vCPU 0 %s)", what, 2 * SCALE_STUCK_NS / ITL_NS,
			    ur_phase_name[ph]);
		itl_sleep_us(1000);
	}
}

static void
scale_unregister(unsigned b, unsigned n)
{
	const struct ipi_backend_ops *ops = scale_backend(b);
	const char *backend = ops->name;
	char what[64];

	snprintf(what, sizeof(what), "scale unregister %s", backend);
	memset(&ur, 0, sizeof(ur));
	ur.n = n;
	ur.nsend = scale_senders(n);
	ur.rounds = calloc(UR_MAXROUNDS, sizeof(*ur.rounds));
	ur.s = calloc(ur.nsend, sizeof(*ur.s));
	cr_assert(ur.rounds != NULL && ur.s != NULL, "%s: out of memory",
	    what);
	itl_start(ops, n);

	const uint64_t start = itl_now_ns();
	ur.end_ns = start + (uint64_t)(SCALE_SECONDS * ITL_NS);
	/* Senders spread over vCPUs 1 .. n-1. */
	for (unsigned k = 0; k < ur.nsend; k++) {
		struct ur_sender *s = &ur.s[k];
		s->idx = 1 + (unsigned)((uint64_t)k * (n - 1) / ur.nsend);
		s->rng = (start + (k + 1) * 0x100000001b3ull) | 1;
		atomic_store(&s->target, -1);
	}
	ur_set_phase(UR_IDLE);
	for (unsigned k = 0; k < ur.nsend; k++)
		itl_post(ur.s[k].idx, ur_send_job, &ur.s[k], "unicast sender");
	itl_post(0, ur_cycle_job, NULL, "register/trigger/unregister loop");

	ur_watch(what);
	itl_join(0, "register/trigger/unregister loop");
	for (unsigned k = 0; k < ur.nsend; k++)
		itl_join(ur.s[k].idx, "unicast sender");
	const double took = (double)(itl_now_ns() - start) / ITL_NS;
	stress_quiesce(what);

	/* Every round: n-1 runs, all before ipi_unregister returned. */
	const unsigned nr = atomic_load(&ur.nrounds);
	uint64_t runs = 0, after = 0, lost = 0, dup = 0, bad = 0;
	for (unsigned r = 0; r < nr; r++) {
		struct ur_round *rr = &ur.rounds[r];
		const unsigned fin = atomic_load(&rr->runs);
		const unsigned late = atomic_load(&rr->late);
		const unsigned aft = fin - rr->at_return > late ?
		    fin - rr->at_return : late;
		runs += fin;
		after += aft;
		lost += fin < n - 1 ? n - 1 - fin : 0;
		dup += fin > n - 1 ? fin - (n - 1) : 0;
		if ((aft != 0 || fin != n - 1) && bad++ == 0)
			cr_expect_fail("%s: round %u: the handler ran %u times "
			    "(want %u), %u of them when ipi_unregister had "
			    "returned (%u had run by then, %u began after)",
			    what, r, fin, n - 1, aft, rr->at_return, late);
	}
	uint64_t sent = 0, slost = 0, sdup = 0, sstray = 0;
	for (unsigned k = 0; k < ur.nsend; k++) {
		struct ur_sender *s = &ur.s[k];
		sent += s->sent;
		slost += s->lost;
		sdup += s->dup;
		sstray += s->stray;
		cr_expect(s->lost + s->dup + s->stray == 0, "%s: sender vCPU %u:"
		    " lost %llu, duplicated %llu, stray %llu; first: %s", what,
		    s->idx, (unsigned long long)s->lost,
		    (unsigned long long)s->dup, (unsigned long long)s->stray,
		    s->first_err);
	}
	cr_expect_eq(ur.regfail, 0, "%s: ipi_register returned 0 (table "
	    "full) after %u rounds", what, nr);
	cr_expect_gt(nr, 0, "%s: vCPU 0 finished no round in %.1f s", what,
	    took);
	cr_expect_gt(sent, 0, "%s: no unicast sent in %.1f s", what, took);

	fprintf(stderr, "%s: %u vCPUs (%u sending unicasts) on %u cores, "
	    "%.1f s, %u register/trigger/unregister rounds, %llu handler "
	    "runs, runs after unregister %llu, lost %llu, duplicated %llu; "
	    "%llu unicasts, lost %llu, duplicated %llu, stray %llu\n", what,
	    n, ur.nsend, itl_cores(), took, nr, (unsigned long long)runs,
	    (unsigned long long)after, (unsigned long long)lost,
	    (unsigned long long)dup, (unsigned long long)sent,
	    (unsigned long long)slost, (unsigned long long)sdup,
	    (unsigned long long)sstray);

	itl_stop();
	free(ur.rounds);
	free(ur.s);
	ur.rounds = NULL;
	ur.s = NULL;
}

ParameterizedTestParameters(scale, unregister_64) { return scale_backends(); }
ParameterizedTest(unsigned *b, scale, unregister_64, .timeout = SCALE_TIMEOUT)
{
	scale_unregister(*b, 64);
}

ParameterizedTestParameters(scale, unregister_256) { return scale_backends(); }
ParameterizedTest(unsigned *b, scale, unregister_256, .timeout = SCALE_TIMEOUT)
{
	scale_unregister(*b, 256);
}

/*
 * wide_256: broadcast, multicast and triggers over all four words.
 */
enum { W_BROADCAST, W_MULTICAST, W_TRIGGER_MULTI, W_TRIGGER_BROADCAST };
static const char *const wide_op_name[] = {
	"ipi_broadcast", "ipi_multicast", "ipi_trigger_multi",
	"ipi_trigger_broadcast",
};

struct wide_job {
	int		op;
	kcpuset_t	set;		/* multicast / trigger_multi */
	bool		skip_self;	/* broadcasts */
	unsigned	id;		/* triggers */
	ipi_msg_t	msg;
	unsigned	after_wait[ITL_MAXV]; /* out: counts after ipi_wait */
};

static struct itl_counts wide_counts;

static void
wide_job(void *arg)
{
	struct wide_job *j = arg;

	switch (j->op) {
	case W_BROADCAST:
		ipi_broadcast(&j->msg, j->skip_self);
		ipi_wait(&j->msg);
		break;
	case W_MULTICAST:
		ipi_multicast(&j->msg, &j->set);
		ipi_wait(&j->msg);
		break;
	case W_TRIGGER_MULTI:
		ipi_trigger_multi(j->id, &j->set);
		break;
	default:
		ipi_trigger_broadcast(j->id, j->skip_self);
		break;
	}
	for (unsigned i = 0; i < ncpu; i++)
		j->after_wait[i] = atomic_load(&wide_counts.c[i]);
}

static void
wide_register_job(void *arg)
{
	*(unsigned *)arg = ipi_register(itl_count_handler, &wide_counts);
}

static void
wide_unregister_job(void *arg)
{
	ipi_unregister(*(unsigned *)arg);
}

/*
 * wide_case: on vCPU from, run op (to set, or to all less from when
 * skip_self), then check: synchronous ones ran exactly on their targets
 * by the time ipi_wait returned; every one exactly once on each target
 * and nowhere else once the machine is quiet.
 */
struct wide_figures {
	uint64_t	msgs, runs, lost, dup;
};

static void
wide_case(const char *backend, unsigned from, int op, const kcpuset_t *set,
    bool skip_self, unsigned id, struct wide_figures *f)
{
	static struct wide_job j;
	static unsigned want[ITL_MAXV];
	char what[128];
	const unsigned n = ncpu;

	memset(&j, 0, sizeof(j));
	j.op = op;
	j.skip_self = skip_self;
	j.id = id;
	j.msg.func = itl_count_handler;
	j.msg.arg = &wide_counts;
	if (set != NULL)
		kcpuset_copy(&j.set, set);
	for (unsigned i = 0; i < n; i++)
		want[i] = set != NULL ? kcpuset_isset(set, i) :
		    !(skip_self && i == from);
	snprintf(what, sizeof(what), "scale wide %s: %s from vCPU %u%s",
	    backend, wide_op_name[op], from, skip_self ? " (skip self)" : "");

	itl_counts_zero(&wide_counts);
	itl_call(from, wide_job, &j, what);
	if (op == W_BROADCAST || op == W_MULTICAST) {
		for (unsigned i = 0; i < n; i++)
			cr_expect_eq(j.after_wait[i], want[i], "%s: vCPU %u had "
			    "run func %u times when ipi_wait returned, want %u",
			    what, i, j.after_wait[i], want[i]);
	}
	stress_quiesce(what);
	itl_expect_counts(&wide_counts, want, what);
	for (unsigned i = 0; i < n; i++) {
		const unsigned got = atomic_load(&wide_counts.c[i]);
		f->runs += got;
		f->lost += got < want[i] ? want[i] - got : 0;
		f->dup += got > want[i] ? got - want[i] : 0;
	}
	f->msgs++;
}

static void
scale_wide(unsigned b)
{
	const struct ipi_backend_ops *ops = scale_backend(b);
	const char *backend = ops->name;
	const unsigned n = 256;
	/* Both edges of every word, and inside: vCPUs of 4 words. */
	static const unsigned edges[] = {
		1, 62, 63, 64, 65, 127, 128, 129, 190, 191, 192, 193, 254, 255,
	};
	kcpuset_t a, a_self, high, last;
	struct wide_figures f = { 0 };
	unsigned id = 0;

	itl_start(ops, n);
	kcpuset_zero(&a);
	for (unsigned k = 0; k < sizeof(edges) / sizeof(edges[0]); k++)
		kcpuset_set(&a, edges[k]);
	kcpuset_copy(&a_self, &a);
	kcpuset_set(&a_self, 130);
	kcpuset_zero(&high);
	for (unsigned i = 64; i < n; i++)
		kcpuset_set(&high, i);
	kcpuset_zero(&last);
	kcpuset_set(&last, n - 1);

	wide_case(backend, 0, W_BROADCAST, NULL, false, 0, &f);
	wide_case(backend, 255, W_BROADCAST, NULL, true, 0, &f);
	wide_case(backend, 130, W_BROADCAST, NULL, true, 0, &f);
	wide_case(backend, 130, W_MULTICAST, &a, false, 0, &f);
	wide_case(backend, 130, W_MULTICAST, &a_self, false, 0, &f);
	wide_case(backend, 128, W_MULTICAST, &a, false, 0, &f);
	wide_case(backend, 0, W_MULTICAST, &high, false, 0, &f);
	wide_case(backend, 200, W_MULTICAST, &high, false, 0, &f);
	wide_case(backend, 3, W_MULTICAST, &last, false, 0, &f);

	itl_call(0, wide_register_job, &id, "ipi_register");
	cr_assert(id > 0 && id < IPI_MAXREG, "ipi_register = %u", id);
	wide_case(backend, 200, W_TRIGGER_MULTI, &a, false, id, &f);
	wide_case(backend, 191, W_TRIGGER_MULTI, &high, false, id, &f);
	wide_case(backend, 129, W_TRIGGER_BROADCAST, NULL, false, id, &f);
	wide_case(backend, 64, W_TRIGGER_BROADCAST, NULL, true, id, &f);
	itl_call(0, wide_unregister_job, &id, "ipi_unregister");

	fprintf(stderr, "scale wide %s: %u vCPUs on %u cores, %llu broadcasts,"
	    " multicasts and triggers over 4 words, %llu runs checked, lost "
	    "%llu, duplicated %llu\n", backend, n, itl_cores(),
	    (unsigned long long)f.msgs, (unsigned long long)f.runs,
	    (unsigned long long)f.lost, (unsigned long long)f.dup);
	itl_stop();
}

ParameterizedTestParameters(scale, wide_256) { return scale_backends(); }
ParameterizedTest(unsigned *b, scale, wide_256, .timeout = SCALE_TIMEOUT)
{
	scale_wide(*b);
}
