/*
 * selftest.c: a standalone self-test of the port (ipi/), for any
 * architecture the port builds on: no Criterion, no harness, only the
 * port's public headers and libc.  `make selftest` runs it natively;
 * `make selftest-aarch64` cross-builds it (statically) and runs it
 * under qemu-user (see tests/port/README.md for what that can show).
 *
 * How it checks
 *
 *	For each backend of the table (ipi_backends[]) it starts a machine
 *	of vCPUs on the PUs this process may run on (sched_getaffinity),
 *	round-robin: a spinning backend gets no more vCPUs than PUs (at most
 *	SPIN_MAXV), a sleeping one SLEEP_NV, oversubscribed on purpose.  On
 *	a sleeping backend with 3 vCPUs or more the last vCPU never sends:
 *	it stays idle, so every IPI to it goes through the backend's kick.
 *
 *	Every check counts; none times.  A synchronous message is a record
 *	whose func counts its runs per vCPU: right after ipi_wait() each
 *	target must have run it exactly once and nobody else at all
 *	(missing, dup, stray); the record is looked at again before reuse
 *	and at the end of the check (late: a run after ipi_wait returned).
 *	An asynchronous trigger to t first bumps seq[t] (then a seq_cst
 *	fence); the handler on t counts a run, fences, and notes the seq[t]
 *	it sees.  Once the senders are done the last run on every t must
 *	have seen the final seq[t] (a coalesced trigger is covered by a run
 *	that starts after it) and runs[t] <= seq[t] (coalescing never adds
 *	runs).
 *
 *	Code that must run on a vCPU runs as a job (vcpu_post/vcpu_join)
 *	bounded by JOB_TIMEOUT_NS; a job that does not finish is a hang:
 *	the check fails naming the vCPU and the program exits (a machine
 *	with a job still running cannot be stopped).  A watchdog thread
 *	bounds each check as a whole, and a fatal signal (a KASSERT's
 *	abort) names the check that was running.
 *
 * Output: one line per check (backend, check, what was counted,
 * PASS/FAIL/SKIP), then a summary; exit 0 only if every check passed.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

#include "ipi/backend.h"
#include "ipi/cpuset.h"
#include "ipi/ipi.h"
#include "ipi/vcpu.h"

/*
 * SC_FENCE: the seq_cst fence of the trigger bookkeeping (top comment).
 * GCC refuses atomic_thread_fence under -fsanitize=thread (TSan does not
 * model fences); there it is left out: every variable involved is
 * atomic, so TSan has no race to see.
 */
#if defined(__SANITIZE_THREAD__)
#define	SC_FENCE()	((void)0)
#else
#define	SC_FENCE()	atomic_thread_fence(memory_order_seq_cst)
#endif

#define	NS		1000000000ull
#define	MAXV		16		/* most vCPUs a machine gets */
#define	SPIN_MAXV	8		/* most for a spinning backend */
#define	SLEEP_NV	6		/* vCPUs for a sleeping backend */
#define	JOB_TIMEOUT_NS	(30 * NS)	/* a job this long hung */
#define	COVER_NS	(10 * NS)	/* a trigger not run by then is lost */
#ifndef CHECK_BUDGET_S
#define	CHECK_BUDGET_S	90		/* watchdog: per check, plus 2x -s */
#endif
#define	ROUNDS		100		/* messages per sender, basic checks */
#define	TRIGGERS	200		/* triggers per sender, async checks */
#define	BATCH_MAX	((unsigned)IPI_MSG_SLOTS + 4) /* messages per wait */
#define	RING		(2 * BATCH_MAX)	/* records per sender */
#define	RACE_MAXITER	200000u		/* rounds of the unregister race */
#define	DEFAULT_SECS	1.0
#define	MAX_SECS	600.0

/*
 * Options and results.
 */
static struct {
	double		secs;		/* -s: each timed part */
	const struct ipi_backend_ops *only;	/* -b: one backend, or NULL */
	int		pus[MAXV];	/* allowed PUs, ascending (first MAXV) */
	unsigned	npus;		/* how many there are in all */
	_Atomic unsigned pass, fail, skip; /* the watchdog reads them too */
} opt = { .secs = DEFAULT_SECS };

/* What runs now, for the watchdog and the crash handler. */
static _Atomic(const char *) cur_backend = "-";
static _Atomic(const char *) cur_check = "start-up";
static _Atomic uint64_t cur_deadline;	/* ns; 0: none */
static uint64_t t_start;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static void
sleep_us(unsigned us)
{
	struct timespec ts = { .tv_sec = us / 1000000,
	    .tv_nsec = (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/* xorshift64*: each sender its own, seeded from its index: repeatable. */
static uint64_t
rnd(uint64_t *s)
{

	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void
summary(void)
{

	printf("port-selftest: %u checks: %u passed, %u failed, %u skipped "
	    "(%.1f s)\n", opt.pass + opt.fail + opt.skip, opt.pass, opt.fail,
	    opt.skip, (double)(now_ns() - t_start) / 1e9);
	fflush(stdout);
}

/*
 * The watchdog: a check still running past its deadline is a hang.  It
 * says which, and ends the process (the vCPUs cannot be stopped).
 */
static void *
watchdog(void *arg)
{

	(void)arg;
	for (;;) {
		uint64_t dl = atomic_load(&cur_deadline);

		if (dl != 0 && now_ns() > dl) {
			fflush(stdout);
			fprintf(stderr, "port-selftest: WATCHDOG: [%s] %s still "
			    "running after its %.0f s budget: a hang\n",
			    atomic_load(&cur_backend), atomic_load(&cur_check),
			    CHECK_BUDGET_S + 2 * opt.secs);
			printf("  %-9s %-18s hung (watchdog)  FAIL\n",
			    atomic_load(&cur_backend), atomic_load(&cur_check));
			opt.fail++;
			summary();
			_exit(3);
		}
		sleep_us(50 * 1000);
	}
	return NULL;
}

/* put: async-signal-safe write of a string to stderr. */
static void
put(const char *s)
{
	ssize_t w;

	for (size_t len = strlen(s); len > 0; s += w, len -= (size_t)w)
		if ((w = write(STDERR_FILENO, s, len)) <= 0)
			return;
}

/* on_fatal: a KASSERT's abort or a fault: name the check, then die of it. */
static void
on_fatal(int sig)
{

	put("port-selftest: fatal signal ");
	put(sig == SIGABRT ? "SIGABRT (a KASSERT?)" : sig == SIGSEGV ?
	    "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : sig == SIGILL ? "SIGILL" :
	    "SIGFPE");
	put(" during [");
	put(atomic_load(&cur_backend));
	put("] ");
	put(atomic_load(&cur_check));
	put(": FAIL\n");
	signal(sig, SIG_DFL);
	raise(sig);
}

/* check_begin: name the check now running and arm the watchdog. */
static void
check_begin(const char *name)
{

	atomic_store(&cur_check, name);
	atomic_store(&cur_deadline, now_ns() +
	    (uint64_t)((CHECK_BUDGET_S + 2 * opt.secs) * 1e9));
}

/* check_end: the check's one line: what was counted, PASS or FAIL. */
static void __attribute__((format(printf, 2, 3)))
check_end(bool ok, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	printf("  %-9s %-18s %s  %s\n", atomic_load(&cur_backend),
	    atomic_load(&cur_check), what, ok ? "PASS" : "FAIL");
	fflush(stdout);
	if (ok)
		opt.pass++;
	else
		opt.fail++;
	atomic_store(&cur_deadline, 0);
}

static void
check_skip(const char *name, const char *why)
{

	printf("  %-9s %-18s %s  SKIP\n", atomic_load(&cur_backend), name, why);
	opt.skip++;
}

/*
 * Jobs on vCPUs, bounded.  A job that does not finish is a hang: the
 * check fails and the program ends here.
 */
static void __attribute__((noreturn))
hang(unsigned i, const char *what, int rc)
{

	check_end(false, "vCPU %u: %s: vcpu_join = %d (%s): not done after "
	    "%llu s: a hang", i, what, rc, strerror(-rc),
	    JOB_TIMEOUT_NS / NS);
	summary();
	_exit(1);
}

static void
post(unsigned i, void (*fn)(void *), void *arg, const char *what)
{
	int rc = vcpu_post(cpu_lookup(i), fn, arg);

	if (rc != 0) {
		check_end(false, "vCPU %u: %s: vcpu_post = %d (%s)", i, what,
		    rc, strerror(-rc));
		summary();
		_exit(1);
	}
}

static void
join(unsigned i, const char *what)
{
	int rc = vcpu_join(cpu_lookup(i), JOB_TIMEOUT_NS);

	if (rc != 0)
		hang(i, what, rc);
}

static void
call(unsigned i, void (*fn)(void *), void *arg, const char *what)
{

	post(i, fn, arg, what);
	join(i, what);
}

static void
noop(void *arg)
{

	(void)arg;
}

/*
 * flush_all: an empty job on every vCPU: when it has run, the vCPU has
 * handled what was pending and unmasked when it took the job.
 */
static void
flush_all(void)
{

	for (unsigned i = 0; i < ncpu; i++)
		call(i, noop, NULL, "empty job (flush)");
}

/*
 * Synchronous messages: records and their tallies.
 */
struct rec {
	ipi_msg_t	msg;
	_Atomic unsigned cnt[MAXV];	/* func runs per vCPU */
	uint64_t	expect;		/* bit per target vCPU */
	unsigned	checked[MAXV];	/* counts at the last look */
	bool		used;
};

struct tally {
	uint64_t	msgs;		/* messages sent */
	uint64_t	deliveries;	/* (message, target) pairs expected */
	uint64_t	runs;		/* func runs seen after ipi_wait */
	uint64_t	missing, dup, stray, late;
	char		err[200];	/* the first problem, in words */
};

static _Atomic uint64_t off_runs;	/* a func or handler off any vCPU */

static unsigned
self_index(void)
{
	struct cpu_info *ci = curcpu();

	return ci == NULL ? MAXV : cpu_index(ci);
}

static void
rec_func(void *arg)
{
	struct rec *r = arg;
	unsigned i = self_index();

	if (i >= MAXV)
		atomic_fetch_add(&off_runs, 1);
	else
		atomic_fetch_add(&r->cnt[i], 1);
}

static void __attribute__((format(printf, 2, 3)))
note(struct tally *t, const char *fmt, ...)
{
	va_list ap;

	if (t->err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
}

/* rec_check: right after ipi_wait: each target once, nobody else. */
static void
rec_check(struct tally *t, struct rec *r, unsigned n, unsigned self)
{

	for (unsigned v = 0; v < n; v++) {
		unsigned c = atomic_load(&r->cnt[v]);

		r->checked[v] = c;
		t->runs += c;
		if ((r->expect >> v) & 1) {
			if (c == 0) {
				t->missing++;
				note(t, "vCPU %u's message: target %u had not "
				    "run it when ipi_wait returned", self, v);
			} else if (c > 1) {
				t->dup += c - 1;
				note(t, "vCPU %u's message: target %u ran it "
				    "%u times", self, v, c);
			}
		} else if (c != 0) {
			t->stray += c;
			note(t, "vCPU %u's message: vCPU %u, no target, ran "
			    "it %u times", self, v, c);
		}
	}
}

/* rec_recheck: later: any run since rec_check came after ipi_wait. */
static void
rec_recheck(struct tally *t, struct rec *r, unsigned n, unsigned self)
{

	if (!r->used)
		return;
	for (unsigned v = 0; v < n; v++) {
		unsigned c = atomic_load(&r->cnt[v]);

		if (c == r->checked[v])
			continue;
		t->late += c - r->checked[v];
		note(t, "vCPU %u's message: vCPU %u ran it %u more times after "
		    "ipi_wait returned", self, v, c - r->checked[v]);
		r->checked[v] = c;
	}
}

/*
 * Senders: one per vCPU, each with its records; a job runs one mode.
 */
enum mode {
	M_UNICAST, M_MULTICAST, M_BROADCAST,		/* basic, counted */
	M_TRIGGER, M_TRIGGER_MULTI, M_TRIGGER_BCAST,	/* async, counted */
	M_MBOXFULL, M_STRESS, M_RACE_PEER,		/* the others */
};

struct sender {
	unsigned	idx, n;
	enum mode	mode;
	uint64_t	rng;
	uint64_t	end_ns;		/* timed modes */
	unsigned	target;		/* M_MBOXFULL */
	struct rec	ring[RING];
	unsigned	next;
	struct tally	t;
	uint64_t	triggers;
	uint64_t	kinds[3];	/* unicast, multicast, broadcast */
};

static struct sender snd[MAXV];
static unsigned nsenders;		/* vCPUs 0 .. nsenders-1 send */

/* rec_next: the sender's next record, checked again before reuse. */
static struct rec *
rec_next(struct sender *s, uint64_t expect)
{
	struct rec *r = &s->ring[s->next++ % RING];

	rec_recheck(&s->t, r, s->n, s->idx);
	for (unsigned v = 0; v < MAXV; v++)
		atomic_store(&r->cnt[v], 0);
	memset(r->checked, 0, sizeof(r->checked));
	r->msg.func = rec_func;
	r->msg.arg = r;
	r->expect = expect;
	r->used = true;
	s->t.msgs++;
	s->t.deliveries += (uint64_t)__builtin_popcountll(expect);
	return r;
}

/* other: a vCPU other than s, from x. */
static unsigned
other(const struct sender *s, uint64_t x)
{

	return (s->idx + 1 + (unsigned)(x % (s->n - 1))) % s->n;
}

static struct rec *
send_unicast(struct sender *s, unsigned t)
{
	struct rec *r = rec_next(s, 1ull << t);

	ipi_unicast(&r->msg, cpu_lookup(t));
	s->kinds[0]++;
	return r;
}

static struct rec *
send_multicast(struct sender *s, uint64_t mask)
{
	const uint64_t all = (1ull << s->n) - 1;
	struct rec *r;
	kcpuset_t set;

	mask &= all;
	if (mask == 0)
		mask = 1ull << other(s, 0);
	r = rec_next(s, mask);
	kcpuset_zero(&set);
	for (unsigned v = 0; v < s->n; v++)
		if ((mask >> v) & 1)
			kcpuset_set(&set, v);
	ipi_multicast(&r->msg, &set);
	s->kinds[1]++;
	return r;
}

static struct rec *
send_broadcast(struct sender *s, bool skip_self)
{
	const uint64_t all = (1ull << s->n) - 1;
	struct rec *r = rec_next(s, skip_self ? all & ~(1ull << s->idx) : all);

	ipi_broadcast(&r->msg, skip_self);
	s->kinds[2]++;
	return r;
}

static void
wait_check(struct sender *s, struct rec *r)
{

	ipi_wait(&r->msg);
	rec_check(&s->t, r, s->n, s->idx);
}

/*
 * Asynchronous triggers: one registered id, bookkeeping per target.
 */
static struct {
	unsigned	id;
	_Atomic uint64_t seq[MAXV];	/* triggers sent to each vCPU */
	_Atomic uint64_t runs[MAXV];	/* handler runs on each vCPU */
	_Atomic uint64_t seen[MAXV];	/* seq seen by the last run */
} tg;

static void
tg_handler(void *arg)
{
	unsigned i = self_index();

	(void)arg;
	if (i >= MAXV) {
		atomic_fetch_add(&off_runs, 1);
		return;
	}
	atomic_fetch_add(&tg.runs[i], 1);
	SC_FENCE();
	atomic_store(&tg.seen[i], atomic_load(&tg.seq[i]));
}

static void
tg_reset(void)
{

	for (unsigned v = 0; v < MAXV; v++) {
		atomic_store(&tg.seq[v], 0);
		atomic_store(&tg.runs[v], 0);
		atomic_store(&tg.seen[v], 0);
	}
}

/* trigger_one: one trigger of kind mode (M_TRIGGER*), targets from x. */
static void
trigger_one(struct sender *s, enum mode mode, uint64_t x)
{
	const uint64_t all = (1ull << s->n) - 1;
	uint64_t mask;
	kcpuset_t set;

	switch (mode) {
	case M_TRIGGER: {
		unsigned t = other(s, x);
		atomic_fetch_add(&tg.seq[t], 1);
		SC_FENCE();
		ipi_trigger(tg.id, cpu_lookup(t));
		break;
	}
	case M_TRIGGER_MULTI:
		mask = (x >> 8) & all;
		if (mask == 0)
			mask = 1ull << other(s, x);
		kcpuset_zero(&set);
		for (unsigned v = 0; v < s->n; v++) {
			if ((mask >> v) & 1) {
				kcpuset_set(&set, v);
				atomic_fetch_add(&tg.seq[v], 1);
			}
		}
		SC_FENCE();
		ipi_trigger_multi(tg.id, &set);
		break;
	default: {
		bool skip = (x >> 8) & 1;
		for (unsigned v = 0; v < s->n; v++)
			if (v != s->idx || !skip)
				atomic_fetch_add(&tg.seq[v], 1);
		SC_FENCE();
		ipi_trigger_broadcast(tg.id, skip);
		break;
	}
	}
	s->triggers++;
}

/*
 * tg_verdict: once the senders are done: wait (bounded) until the last
 * run on each vCPU saw its final seq, then check runs <= seq.
 * => Returns true if sound; fills the words for the check's line.
 */
static bool
tg_verdict(unsigned n, char *buf, size_t len)
{
	const uint64_t deadline = now_ns() + COVER_NS;
	uint64_t trig = 0, runs = 0;
	unsigned targets = 0, covered = 0, over = 0, stray = 0;
	bool all;

	do {
		all = true;
		for (unsigned v = 0; v < n; v++)
			if (atomic_load(&tg.seen[v]) != atomic_load(&tg.seq[v]))
				all = false;
		if (!all)
			sleep_us(1000);
	} while (!all && now_ns() < deadline);
	flush_all();

	for (unsigned v = 0; v < n; v++) {
		uint64_t q = atomic_load(&tg.seq[v]);
		uint64_t r = atomic_load(&tg.runs[v]);

		trig += q;
		runs += r;
		if (q == 0) {
			stray += r != 0;
			continue;
		}
		targets++;
		covered += atomic_load(&tg.seen[v]) == q;
		over += r > q;
	}
	snprintf(buf, len, "%llu triggers, %llu runs (<= triggers: %u of %u "
	    "vCPUs over), last trigger run on %u/%u targets%s",
	    (unsigned long long)trig, (unsigned long long)runs, over, targets,
	    covered, targets, stray ? ", RUNS ON AN UNTRIGGERED vCPU" : "");
	return covered == targets && over == 0 && stray == 0 && trig > 0;
}

/*
 * The jobs.
 */
static void
basic_job(void *arg)
{
	struct sender *s = arg;

	for (unsigned k = 0; k < ROUNDS; k++) {
		uint64_t x = rnd(&s->rng);
		struct rec *r;

		switch (s->mode) {
		case M_UNICAST:
			r = send_unicast(s, (s->idx + 1 + k % (s->n - 1)) %
			    s->n);
			break;
		case M_MULTICAST:
			r = send_multicast(s, x >> 8);
			break;
		default:
			r = send_broadcast(s, (x >> 8) & 1);
			break;
		}
		wait_check(s, r);
	}
}

static void
trigger_job(void *arg)
{
	struct sender *s = arg;

	for (unsigned k = 0; k < TRIGGERS; k++)
		trigger_one(s, s->mode, rnd(&s->rng));
}

/* mboxfull_job: more unicasts to one (blocked) target than it has slots. */
static void
mboxfull_job(void *arg)
{
	struct sender *s = arg;
	struct rec *b[BATCH_MAX];

	for (unsigned k = 0; k < BATCH_MAX; k++)
		b[k] = send_unicast(s, s->target);
	for (unsigned k = 0; k < BATCH_MAX; k++)
		wait_check(s, b[k]);
}

/*
 * stress_job: until end_ns: batches of 1..BATCH_MAX messages and
 * triggers of every kind to random targets, then ipi_wait on each.  One
 * batch in four is unicasts to a single target, more than its slots.
 */
static void
stress_job(void *arg)
{
	static const enum mode tkind[3] = {
		M_TRIGGER, M_TRIGGER_MULTI, M_TRIGGER_BCAST,
	};
	struct sender *s = arg;
	struct rec *b[BATCH_MAX];

	while (now_ns() < s->end_ns) {
		uint64_t x = rnd(&s->rng);
		unsigned nb = 0, len = 1 + (unsigned)(x % BATCH_MAX);
		bool focus = ((x >> 8) & 3) == 0;
		unsigned ft = other(s, x >> 16);

		if (focus)
			len = BATCH_MAX;
		for (unsigned k = 0; k < len; k++) {
			uint64_t y = rnd(&s->rng);

			if (focus) {
				b[nb++] = send_unicast(s, ft);
				continue;
			}
			switch (y % 5) {
			case 0:
				trigger_one(s, tkind[(y >> 4) % 3], y >> 8);
				break;
			case 1:
				b[nb++] = send_unicast(s, other(s, y >> 8));
				break;
			case 2:
			case 3:
				b[nb++] = send_multicast(s, y >> 8);
				break;
			default:
				b[nb++] = send_broadcast(s, (y >> 8) & 1);
				break;
			}
		}
		for (unsigned k = 0; k < nb; k++)
			wait_check(s, b[k]);
	}
}

/*
 * The unregister race: vCPU 0 registers an id, triggers it everywhere,
 * unregisters it, round after round, with a fresh argument (a `gen`)
 * each round; the other vCPUs unicast to each other meanwhile (to
 * every vCPU but 0, idle ones too).  When
 * ipi_unregister returns, every target must have run that round's
 * handler exactly once, and no run may start afterwards.
 */
struct gen {
	_Atomic unsigned runs;
	_Atomic int	closed;		/* ipi_unregister returned */
	unsigned	expect;
};

static struct {
	struct gen *	g;		/* RACE_MAXITER of them */
	uint64_t	end_ns;
	_Atomic unsigned iters;
	_Atomic int	stop;
	_Atomic uint64_t late;		/* runs that started after */
	uint64_t	undrained;	/* fewer runs than targets at return */
	uint64_t	regfail;	/* ipi_register gave 0 */
	char		err[200];
} race;

static void
race_handler(void *arg)
{
	struct gen *g = arg;

	if (atomic_load(&g->closed))
		atomic_fetch_add(&race.late, 1);
	atomic_fetch_add(&g->runs, 1);
}

static void
race_owner_job(void *arg)
{
	const unsigned n = ncpu;
	unsigned i;

	(void)arg;
	for (i = 0; i < RACE_MAXITER; i++) {
		if ((i & 15) == 0 && now_ns() >= race.end_ns)
			break;

		struct gen *g = &race.g[i];
		const bool skip = i & 1;
		unsigned id, got;

		g->expect = n - skip;
		if ((id = ipi_register(race_handler, g)) == 0) {
			race.regfail++;
			continue;
		}
		ipi_trigger_broadcast(id, skip);
		ipi_unregister(id);
		atomic_store(&g->closed, 1);
		if ((got = atomic_load(&g->runs)) != g->expect) {
			race.undrained++;
			if (race.err[0] == '\0')
				snprintf(race.err, sizeof(race.err), "round %u "
				    "(id %u): %u of %u handler runs done when "
				    "ipi_unregister returned", i, id, got,
				    g->expect);
		}
	}
	atomic_store(&race.iters, i);
	atomic_store(&race.stop, 1);
}

static void
race_peer_job(void *arg)
{
	struct sender *s = arg;
	unsigned k = 0;

	while (!atomic_load(&race.stop)) {
		if ((k++ & 15) == 0 && now_ns() >= race.end_ns + 5 * NS)
			break;		/* the owner is late: the join says so */

		/* Among the other peers (1 .. n-1); vCPU 0 if it is the only. */
		unsigned t = s->n == 2 ? 0 :
		    1 + (s->idx - 1 + 1 + (unsigned)(rnd(&s->rng) %
		    (s->n - 2))) % (s->n - 1);
		wait_check(s, send_unicast(s, t));
		cpu_intr_poll();
	}
}

/*
 * The checks of one backend.
 */

/* senders_init: vCPUs 0 .. ns-1 get fresh senders of mode. */
static void
senders_init(unsigned ns, enum mode mode, uint64_t salt)
{

	nsenders = ns;
	for (unsigned i = 0; i < ns; i++) {
		struct sender *s = &snd[i];

		memset(s, 0, sizeof(*s));
		s->idx = i;
		s->n = ncpu;
		s->mode = mode;
		s->rng = 0x9e3779b97f4a7c15ull * (i + 1) ^ (salt << 32) ^ 1;
	}
}

/*
 * run_senders: run fn on every sender: at once (post all, then join
 * all), or in turn, while the others are idle.
 */
static void
run_senders(void (*fn)(void *), const char *what, bool at_once)
{

	for (unsigned i = 0; i < nsenders; i++) {
		post(i, fn, &snd[i], what);
		if (!at_once)
			join(i, what);
	}
	for (unsigned i = 0; at_once && i < nsenders; i++)
		join(i, what);
}

/*
 * at_once: whether the counted checks run their senders all at once:
 * only where every vCPU has a PU of its own.  Oversubscribed, a spinning
 * sender waits for a target that waits for a PU (a scheduler tick per
 * message); in turn, the others idle and each message is a wakeup.  The
 * stress check runs them at once anyway, for a bounded time.
 */
static bool
at_once(void)
{

	return ncpu <= opt.npus;
}

/* tally_sum: recheck every record, add up the senders' tallies. */
static struct tally
tally_sum(void)
{
	struct tally sum = { 0 };

	flush_all();
	for (unsigned i = 0; i < nsenders; i++) {
		struct sender *s = &snd[i];

		for (unsigned k = 0; k < RING; k++)
			rec_recheck(&s->t, &s->ring[k], s->n, s->idx);
		sum.msgs += s->t.msgs;
		sum.deliveries += s->t.deliveries;
		sum.runs += s->t.runs;
		sum.missing += s->t.missing;
		sum.dup += s->t.dup;
		sum.stray += s->t.stray;
		sum.late += s->t.late;
		if (sum.err[0] == '\0' && s->t.err[0] != '\0')
			memcpy(sum.err, s->t.err, sizeof(sum.err));
	}
	return sum;
}

static bool
tally_ok(const struct tally *t)
{

	return t->missing == 0 && t->dup == 0 && t->stray == 0 &&
	    t->late == 0 && t->msgs > 0 && t->runs == t->deliveries &&
	    atomic_load(&off_runs) == 0;
}

/* tally_words: the counts of a tally, for a check's line. */
static const char *
tally_words(const struct tally *t, char *buf, size_t len)
{

	snprintf(buf, len, "%llu msgs, %llu/%llu target runs at ipi_wait "
	    "(missing %llu, dup %llu, stray %llu, late %llu, off-vCPU %llu)"
	    "%s%s", (unsigned long long)t->msgs,
	    (unsigned long long)t->runs, (unsigned long long)t->deliveries,
	    (unsigned long long)t->missing, (unsigned long long)t->dup,
	    (unsigned long long)t->stray, (unsigned long long)t->late,
	    (unsigned long long)atomic_load(&off_runs),
	    t->err[0] ? ": " : "", t->err);
	return buf;
}

/* register_id / unregister_id: tg.id on vCPU 0, as jobs. */
struct reg_arg {
	ipi_func_t	func;
	unsigned	id;
};

static void
reg_job(void *arg)
{
	struct reg_arg *r = arg;

	r->id = ipi_register(r->func, NULL);
}

static void
unreg_job(void *arg)
{
	struct reg_arg *r = arg;

	ipi_unregister(r->id);
}

static bool
register_tg(void)
{
	struct reg_arg r = { .func = tg_handler };

	call(0, reg_job, &r, "ipi_register");
	tg.id = r.id;
	return r.id != 0;
}

static void
unregister_tg(void)
{
	struct reg_arg r = { .id = tg.id };

	call(0, unreg_job, &r, "ipi_unregister");
	tg.id = 0;
}

/*
 * check_sync: unicast, multicast or broadcast: every sender sends ROUNDS
 * messages, one ipi_wait each (senders at once, or in turn: at_once()).
 */
static void
check_sync(enum mode mode, const char *name, unsigned ns)
{
	char words[400];

	check_begin(name);
	atomic_store(&off_runs, 0);
	senders_init(ns, mode, (uint64_t)mode);
	run_senders(basic_job, name, at_once());
	struct tally t = tally_sum();
	check_end(tally_ok(&t), "%u senders %s: %s", ns,
	    at_once() ? "at once" : "in turn",
	    tally_words(&t, words, sizeof(words)));
}

/* check_async: ipi_trigger, _multi or _broadcast from every sender. */
static void
check_async(enum mode mode, const char *name, unsigned ns)
{
	char words[300];

	check_begin(name);
	atomic_store(&off_runs, 0);
	tg_reset();
	if (!register_tg()) {
		check_end(false, "ipi_register returned 0 (table full?)");
		return;
	}
	senders_init(ns, mode, (uint64_t)mode);
	run_senders(trigger_job, name, at_once());
	bool ok = tg_verdict(ncpu, words, sizeof(words));
	unregister_tg();
	check_end(ok && atomic_load(&off_runs) == 0, "%u senders %s: %s%s",
	    ns, at_once() ? "at once" : "in turn", words,
	    atomic_load(&off_runs) ? ", RUNS OFF ANY vCPU" : "");
}

/*
 * check_mboxfull: block the target's interrupts, send it more unicasts
 * than its mailbox has slots: the sender must count mailbox-full events
 * and spin; nothing runs while blocked; after unblocking, each message
 * runs exactly once.
 */
static void
check_mboxfull(void)
{
	const unsigned t = ncpu - 1;
	char words[400];
	int rc;

	check_begin("mailbox full");
	atomic_store(&off_runs, 0);
	senders_init(1, M_MBOXFULL, 7);
	snd[0].target = t;
	const uint64_t before = ipi_mboxfull_count();
	if ((rc = vcpu_intr_block(cpu_lookup(t), JOB_TIMEOUT_NS)) != 0)
		hang(t, "vcpu_intr_block", rc);
	post(0, mboxfull_job, &snd[0], "unicasts to a blocked vCPU");

	const uint64_t deadline = now_ns() + COVER_NS;
	while (ipi_mboxfull_count() == before && now_ns() < deadline)
		sleep_us(1000);
	const uint64_t full = ipi_mboxfull_count() - before;
	unsigned ran_blocked = 0;
	for (unsigned k = 0; k < BATCH_MAX; k++)
		ran_blocked += atomic_load(&snd[0].ring[k].cnt[t]);

	vcpu_intr_unblock(cpu_lookup(t));
	join(0, "unicasts to a blocked vCPU, after unblocking it");
	struct tally sum = tally_sum();
	check_end(tally_ok(&sum) && full > 0 && ran_blocked == 0,
	    "%u unicasts to blocked vCPU %u (%u slots): %llu mailbox-full "
	    "events (want > 0), %u runs while blocked (want 0); %s",
	    BATCH_MAX, t, (unsigned)IPI_MSG_SLOTS, (unsigned long long)full,
	    ran_blocked, tally_words(&sum, words, sizeof(words)));
}

/*
 * check_stress: every sender in bursts of 2..20 ms (a job each), with
 * idle gaps of 0..2 ms between them, for opt.secs.
 */
static void
check_stress(unsigned ns)
{
	char words[400], twords[300];
	uint64_t rng = 0x51ed270b27f1c3a5ull, bursts = 0;

	check_begin("stress");
	atomic_store(&off_runs, 0);
	tg_reset();
	if (!register_tg()) {
		check_end(false, "ipi_register returned 0 (table full?)");
		return;
	}
	senders_init(ns, M_STRESS, 11);
	const uint64_t before = ipi_mboxfull_count();
	const uint64_t end = now_ns() + (uint64_t)(opt.secs * 1e9);
	while (now_ns() < end) {
		for (unsigned i = 0; i < ns; i++) {
			uint64_t e = now_ns() + (2 + rnd(&rng) % 19) * 1000000;
			snd[i].end_ns = e < end ? e : end;
			post(i, stress_job, &snd[i], "stress burst");
		}
		for (unsigned i = 0; i < ns; i++)
			join(i, "stress burst");
		bursts++;
		sleep_us((unsigned)(rnd(&rng) % 2000));
	}
	const uint64_t full = ipi_mboxfull_count() - before;
	bool tok = tg_verdict(ncpu, twords, sizeof(twords));
	unregister_tg();
	struct tally sum = tally_sum();
	uint64_t kinds[3] = { 0 };
	for (unsigned i = 0; i < ns; i++)
		for (unsigned k = 0; k < 3; k++)
			kinds[k] += snd[i].kinds[k];
	check_end(tally_ok(&sum) && tok, "%.1f s, %u senders, %llu rounds "
	    "(%llu uni/%llu multi/%llu broad): %s; %s; %llu mailbox-full "
	    "events", opt.secs, ns, (unsigned long long)bursts,
	    (unsigned long long)kinds[0], (unsigned long long)kinds[1],
	    (unsigned long long)kinds[2], tally_words(&sum, words,
	    sizeof(words)), twords, (unsigned long long)full);
}

/* check_race: the unregister race (see race_owner_job). */
static void
check_race(void)
{
	const unsigned n = ncpu;
	char words[400];
	unsigned extra = 0;

	check_begin("unregister race");
	atomic_store(&off_runs, 0);
	race.g = calloc(RACE_MAXITER, sizeof(*race.g));
	if (race.g == NULL) {
		check_end(false, "calloc of %u rounds: out of memory",
		    RACE_MAXITER);
		return;
	}
	race.end_ns = now_ns() + (uint64_t)(opt.secs * 1e9);
	atomic_store(&race.iters, 0);
	atomic_store(&race.stop, 0);
	atomic_store(&race.late, 0);
	race.undrained = race.regfail = 0;
	race.err[0] = '\0';

	/*
	 * Senders 1 .. np are the peers (sender 0's slot is unused); they
	 * send to every vCPU but 0, the idle ones too.  Oversubscribed,
	 * only as many spin as there are PUs: a peer waiting for a PU makes
	 * every round wait for it (a scheduler tick).
	 */
	const unsigned np = at_once() ? n - 1 :
	    opt.npus > 1 ? opt.npus - 1 : 1;
	senders_init(np + 1, M_RACE_PEER, 13);
	for (unsigned i = 1; i <= np; i++)
		post(i, race_peer_job, &snd[i], "unicasts beside the race");
	post(0, race_owner_job, NULL, "register/trigger/unregister loop");
	join(0, "register/trigger/unregister loop");
	atomic_store(&race.stop, 1);
	for (unsigned i = 1; i <= np; i++)
		join(i, "unicasts beside the race");

	flush_all();
	const unsigned iters = atomic_load(&race.iters);
	uint64_t runs = 0;
	for (unsigned i = 0; i < iters; i++) {
		unsigned r = atomic_load(&race.g[i].runs);

		runs += r;
		if (r > race.g[i].expect)
			extra += r - race.g[i].expect;
	}
	struct tally sum = tally_sum();	/* the peers' (the owner sent none) */
	const uint64_t late = atomic_load(&race.late);
	bool ok = late == 0 && race.undrained == 0 && extra == 0 &&
	    race.regfail == 0 && iters > 0 && tally_ok(&sum);
	check_end(ok, "%u peers; %u rounds on vCPU 0, %llu handler runs: "
	    "%llu after ipi_unregister returned (want 0), %llu rounds "
	    "undrained, %u extra runs, %llu ipi_register failures%s%s; "
	    "peers: %s",
	    np, iters, (unsigned long long)runs, (unsigned long long)late,
	    (unsigned long long)race.undrained, extra,
	    (unsigned long long)race.regfail, race.err[0] ? ": " : "",
	    race.err, tally_words(&sum, words, sizeof(words)));
	free(race.g);
	race.g = NULL;
}

/* nvcpus: how many vCPUs a machine of ops gets here. */
static unsigned
nvcpus(const struct ipi_backend_ops *ops)
{
	unsigned n;

	if (ops->spins)
		n = opt.npus < SPIN_MAXV ? opt.npus : SPIN_MAXV;
	else
		n = SLEEP_NV;
	return n > MAXV ? MAXV : n;
}

/* run_backend: start a machine of ops, run every check, stop it. */
static void
run_backend(const struct ipi_backend_ops *ops)
{
	struct vcpu_spec specs[MAXV];
	const unsigned n = nvcpus(ops);
	char err[512] = "";

	atomic_store(&cur_backend, ops->name);
	check_begin("start");
	for (unsigned i = 0; i < n; i++) {
		specs[i].pu = opt.pus[i % (opt.npus < MAXV ? opt.npus : MAXV)];
		specs[i].node = -1;
		specs[i].state = NULL;
	}
	struct vcpu_config cfg = { .specs = specs, .n = n, .backend = ops };
	int rc = ipi_machine_start(&cfg, err, sizeof(err));
	if (rc != 0 || ncpu != n) {
		check_end(false, "ipi_machine_start(%u vCPUs) = %d: %s", n,
		    rc, err);
		return;
	}
	flush_all();
	check_end(true, "%u vCPUs on %u PUs (%s), all answer a job", n,
	    opt.npus < n ? opt.npus : n, ops->spins ? "spinning: <= PUs" :
	    "sleeping");

	if (n < 2) {
		static const char *const names[] = { "unicast", "multicast",
		    "broadcast", "trigger", "trigger_multi",
		    "trigger_broadcast", "mailbox full", "stress",
		    "unregister race" };
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			check_skip(names[k], "needs 2 vCPUs; this spinning "
			    "backend gets 1 (1 PU)");
		ipi_machine_stop();
		return;
	}
	/* A sleeping backend keeps its last vCPU idle: every IPI kicks it. */
	const unsigned ns = !ops->spins && n >= 3 ? n - 1 : n;

	check_sync(M_UNICAST, "unicast", ns);
	check_sync(M_MULTICAST, "multicast", ns);
	check_sync(M_BROADCAST, "broadcast", ns);
	check_async(M_TRIGGER, "trigger", ns);
	check_async(M_TRIGGER_MULTI, "trigger_multi", ns);
	check_async(M_TRIGGER_BCAST, "trigger_broadcast", ns);
	check_mboxfull();
	check_stress(ns);
	check_race();

	atomic_store(&cur_check, "stop");
	ipi_machine_stop();
}

/*
 * Options.
 */
static void
usage(FILE *f)
{

	fprintf(f,
"usage: port-selftest [-s SECONDS] [-b BACKEND] [-h]\n"
"\n"
"A self-test of the IPI port (ipi/) alone: for each delivery backend it\n"
"starts a machine of vCPUs on the PUs this process may run on and checks,\n"
"by counting, exactly-once delivery and ack of unicast, multicast and\n"
"broadcast; the coalescing bounds of ipi_trigger, _multi and _broadcast;\n"
"mailbox-full handling; a random stress mix; and that no handler runs\n"
"after ipi_unregister returned while other vCPUs send.  One line per\n"
"check, then a summary.  Exit 0 only if every check passed; 1 if one\n"
"failed or hung; 2 on a usage error; 3 if the watchdog fired.\n"
"\n"
"  -s SECONDS  time of each timed part (stress, unregister race), per\n"
"              backend: %g to %g (default %g)\n"
"  -b BACKEND  run one backend only (default: every one of the table:",
	    0.05, MAX_SECS, DEFAULT_SECS);
	for (unsigned b = 0; ipi_backends[b] != NULL; b++)
		fprintf(f, " %s", ipi_backends[b]->name);
	fprintf(f, ")\n"
"  -h          this help\n");
}

static void
parse_args(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "s:b:h")) != -1) {
		switch (c) {
		case 's': {
			char *end;
			errno = 0;
			double v = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(v >= 0.05 && v <= MAX_SECS)) {
				fprintf(stderr, "port-selftest: -s %s: expected "
				    "seconds from 0.05 to %g\n", optarg,
				    MAX_SECS);
				exit(2);
			}
			opt.secs = v;
			break;
		}
		case 'b':
			if ((opt.only = ipi_backend_lookup(optarg)) == NULL) {
				fprintf(stderr, "port-selftest: -b %s: unknown "
				    "backend (expected one of:", optarg);
				for (unsigned b = 0; ipi_backends[b]; b++)
					fprintf(stderr, " %s",
					    ipi_backends[b]->name);
				fprintf(stderr, ")\n");
				exit(2);
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "port-selftest: %s: unexpected argument\n",
		    argv[optind]);
		usage(stderr);
		exit(2);
	}
}

/* allowed_pus: the PUs of sched_getaffinity, ascending. */
static void
allowed_pus(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) != 0) {
		fprintf(stderr, "port-selftest: sched_getaffinity: %s\n",
		    strerror(errno));
		exit(1);
	}
	for (int pu = 0; pu < CPU_SETSIZE; pu++) {
		if (!CPU_ISSET(pu, &set))
			continue;
		if (opt.npus < MAXV)
			opt.pus[opt.npus] = pu;
		opt.npus++;
	}
	if (opt.npus == 0) {
		fprintf(stderr, "port-selftest: no PU in this process's "
		    "affinity mask\n");
		exit(1);
	}
}

/* print_platform: what runs this: arch, PUs, atomics. */
static void
print_platform(void)
{
	struct utsname u;
	const char *arch =
#if defined(__aarch64__)
	    "aarch64";
#elif defined(__x86_64__)
	    "x86-64";
#else
	    "other";
#endif

	if (uname(&u) != 0)
		snprintf(u.machine, sizeof(u.machine), "?");
	printf("port-selftest: built for %s, running on %s (uname), %u PUs "
	    "allowed, -s %g", arch, u.machine, opt.npus, opt.secs);
#if defined(__aarch64__)
	/* Which path the outline atomics (-moutline-atomics) take here. */
	printf(", LSE atomics %s (HWCAP_ATOMICS)",
	    (getauxval(AT_HWCAP) & HWCAP_ATOMICS) ? "yes: cas/ldadd/swp" :
	    "no: ldaxr/stlxr loops");
#endif
	printf("\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static const int fatal[] = { SIGABRT, SIGSEGV, SIGBUS, SIGILL,
	    SIGFPE };
	pthread_t wd;
	int rc;

	t_start = now_ns();
	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	allowed_pus();
	print_platform();

	for (size_t k = 0; k < sizeof(fatal) / sizeof(fatal[0]); k++)
		signal(fatal[k], on_fatal);
	if ((rc = pthread_create(&wd, NULL, watchdog, NULL)) != 0) {
		fprintf(stderr, "port-selftest: pthread_create (watchdog): "
		    "%s\n", strerror(rc));
		return 1;
	}
	pthread_detach(wd);

	for (unsigned b = 0; ipi_backends[b] != NULL; b++) {
		if (opt.only != NULL && opt.only != ipi_backends[b])
			continue;
		run_backend(ipi_backends[b]);
	}
	atomic_store(&cur_backend, "-");
	atomic_store(&cur_check, "summary");
	summary();
	return opt.fail == 0 ? 0 : 1;
}
