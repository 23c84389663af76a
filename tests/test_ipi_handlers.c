/*
 * test_ipi_handlers.c: handlers that send IPIs, on every backend.
 *
 * A handler runs at IPL_HIGH inside ipi_cpu_handler() on its vCPU; it may
 * trigger asynchronous IPIs (they do not wait).  Four shapes:
 *
 *   handlers/sync_func_triggers   a unicast message's func triggers an id
 *                                 to a third vCPU (or back to the sender,
 *                                 which is then in ipi_wait);
 *   handlers/multicast_func_triggers  a multicast to every vCPU whose func
 *                                 triggers the next vCPU, including the
 *                                 run on the sender itself;
 *   handlers/trigger_multi_self   an async handler calls
 *                                 ipi_trigger_multi with a set holding its
 *                                 own vCPU: a nested ipi_cpu_handler pass
 *                                 runs the other id there before the call
 *                                 returns, and on the other vCPU of the set;
 *   handlers/ring                 an async handler triggers its own id on
 *                                 the next vCPU: a token goes round the
 *                                 ring RING_HOPS times.
 *
 * Every count is exact: the rounds are sequential (each awaited, bounded,
 * before the next), so no trigger coalesces with another, and after the
 * last one every vCPU runs an empty job (nothing pending any more) before
 * the counts are compared.
 *
 * Catches: a trigger sent from inside a handler that is lost (its bit set
 * but no kick, or the kick dropped while the sender is itself in a
 * handler: the bounded wait fails), a handler run twice, the nested pass
 * of ipi_trigger_multi not running the local handler before it returns
 * (or running it outside the caller: `nested` counts), a nested pass that
 * unmasks (splx to no masking inside a handler), a ring that stops or
 * doubles (hop count above RING_HOPS).
 */
#include "ipi_testlib.h"


#define	SYNC_ROUNDS	6		/* per (sender, target, third) */
#define	MULTI_ROUNDS	20		/* per sender */
#define	NEST_ROUNDS	10		/* per handler vCPU */
#define	RING_HOPS	1000

static struct itl_counts fcounts;	/* message funcs */
static struct itl_counts hcounts;	/* async handler (id) */
static struct itl_counts acounts;	/* handler A of trigger_multi_self */

/* Register / unregister on vCPU 0. */
struct reg {
	ipi_func_t	func;
	void *		arg;
	unsigned	id;
};

static void
reg_job(void *arg)
{
	struct reg *r = arg;

	r->id = ipi_register(r->func, r->arg);
}

static unsigned
reg(ipi_func_t func, void *arg)
{
	struct reg r = { .func = func, .arg = arg };

	itl_call(0, reg_job, &r, "ipi_register");
	cr_assert(r.id > 0 && r.id < IPI_MAXREG, "ipi_register = %u", r.id);
	return r.id;
}

static void
unreg_job(void *arg)
{
	ipi_unregister(((struct reg *)arg)->id);
}

static void
unreg(unsigned id)
{
	struct reg r = { .id = id };

	itl_call(0, unreg_job, &r, "ipi_unregister");
}

/* Flush every vCPU, then every count of k must be want[i]. */
static void
settle(struct itl_counts *k, const unsigned *want, const char *what)
{
	for (unsigned i = 0; i < ncpu; i++)
		itl_wait_count(k, i, want[i], what);
	for (unsigned i = 0; i < ncpu; i++)
		itl_flush(i);
	itl_expect_counts(k, want, what);
}

/*
 * ---------------------------------------------------------------------
 * A synchronous message's func triggers an id elsewhere.
 * ---------------------------------------------------------------------
 */

struct fwd {
	unsigned	id;
	unsigned	to;		/* unicast: where func triggers */
	bool		next;		/* multicast: trigger (self+1) % ncpu */
};

static void
fwd_func(void *arg)
{
	const struct fwd *f = arg;
	const unsigned self = cpu_index(curcpu());

	itl_count_handler(&fcounts);
	ipi_trigger(f->id, cpu_lookup(f->next ? (self + 1) % ncpu : f->to));
}

struct send_job {
	int		multicast;
	unsigned	target;		/* unicast */
	struct fwd	fwd;
	ipi_msg_t	msg;
	unsigned	f_after_wait[ITL_MAXV];	/* fcounts when ipi_wait returned */
};

static void
send_job(void *arg)
{
	struct send_job *j = arg;

	j->msg.func = fwd_func;
	j->msg.arg = &j->fwd;
	if (j->multicast)
		ipi_multicast(&j->msg, kcpuset_attached);
	else
		ipi_unicast(&j->msg, cpu_lookup(j->target));
	ipi_wait(&j->msg);
	for (unsigned i = 0; i < ncpu && i < ITL_MAXV; i++)
		j->f_after_wait[i] = atomic_load(&fcounts.c[i]);
}

static void
sync_func_triggers(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 3, 2);
	unsigned wantf[ITL_MAXV] = { 0 }, wanth[ITL_MAXV] = { 0 };
	char what[128];

	itl_counts_zero(&fcounts);
	itl_counts_zero(&hcounts);
	itl_start(ops, n);
	unsigned id = reg(itl_count_handler, &hcounts);
	for (unsigned s = 0; s < n; s++) {
		for (unsigned t1 = 0; t1 < n; t1++) {
			for (unsigned t2 = 0; t2 < n; t2++) {
				if (t1 == s || t2 == t1)
					continue;
				for (unsigned r = 0; r < SYNC_ROUNDS; r++) {
					struct send_job j = { .target = t1,
					    .fwd = { .id = id, .to = t2 } };
					snprintf(what, sizeof(what), "unicast "
					    "%u -> %u whose func triggers %u",
					    s, t1, t2);
					itl_call(s, send_job, &j, what);
					wantf[t1]++;
					wanth[t2]++;
					cr_assert_eq(j.f_after_wait[t1], wantf[t1],
					    "%s: %s: func had run %u times on "
					    "vCPU %u when ipi_wait returned, "
					    "want %u", ops->name, what,
					    j.f_after_wait[t1], t1, wantf[t1]);
					itl_wait_count(&hcounts, t2, wanth[t2],
					    what);
				}
			}
		}
	}
	settle(&fcounts, wantf, "message funcs");
	settle(&hcounts, wanth, "handlers triggered from message funcs");
	unreg(id);
	itl_stop();
}
ITL_BACKEND_TESTS(handlers, sync_func_triggers, ITL_TEST_TIMEOUT,
    sync_func_triggers)

static void
multicast_func_triggers(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 4, 2);
	unsigned wantf[ITL_MAXV] = { 0 }, wanth[ITL_MAXV] = { 0 };
	char what[128];

	itl_counts_zero(&fcounts);
	itl_counts_zero(&hcounts);
	itl_start(ops, n);
	unsigned id = reg(itl_count_handler, &hcounts);
	for (unsigned s = 0; s < n; s++) {
		for (unsigned r = 0; r < MULTI_ROUNDS; r++) {
			struct send_job j = { .multicast = 1,
			    .fwd = { .id = id, .next = true } };
			snprintf(what, sizeof(what), "multicast from %u to all, "
			    "each func triggering the next vCPU", s);
			itl_call(s, send_job, &j, what);
			for (unsigned i = 0; i < n; i++) {
				wantf[i]++;
				wanth[i]++;
				cr_assert_eq(j.f_after_wait[i], wantf[i], "%s: "
				    "%s: func had run %u times on vCPU %u when "
				    "ipi_wait returned, want %u", ops->name,
				    what, j.f_after_wait[i], i, wantf[i]);
			}
			for (unsigned i = 0; i < n; i++)
				itl_wait_count(&hcounts, i, wanth[i], what);
		}
	}
	settle(&fcounts, wantf, "message funcs");
	settle(&hcounts, wanth, "handlers triggered from message funcs");
	unreg(id);
	itl_stop();
}
ITL_BACKEND_TESTS(handlers, multicast_func_triggers, ITL_TEST_TIMEOUT,
    multicast_func_triggers)

/*
 * ---------------------------------------------------------------------
 * An async handler calls ipi_trigger_multi with its own vCPU in the set.
 * ---------------------------------------------------------------------
 */

static struct {
	unsigned	id_b;
	unsigned	other[ITL_MAXV];	/* the set of A on vCPU i: {i, other[i]} */
	_Atomic bool	in_a[ITL_MAXV];		/* vCPU i is inside A */
	_Atomic unsigned nested[ITL_MAXV];	/* B ran on i inside A */
	_Atomic unsigned not_before_return[ITL_MAXV]; /* A: B had not run here
						 * when ipi_trigger_multi
						 * returned */
} nest;

static void
handler_b(void *arg)
{
	const unsigned self = cpu_index(curcpu());

	itl_count_handler(arg);
	if (atomic_load(&nest.in_a[self]))
		atomic_fetch_add(&nest.nested[self], 1);
}

static void
handler_a(void *arg)
{
	const unsigned self = cpu_index(curcpu());
	kcpuset_t set;

	itl_count_handler(arg);
	kcpuset_zero(&set);
	kcpuset_set(&set, self);
	kcpuset_set(&set, nest.other[self]);
	atomic_store(&nest.in_a[self], true);
	const unsigned before = atomic_load(&hcounts.c[self]);
	ipi_trigger_multi(nest.id_b, &set);
	if (atomic_load(&hcounts.c[self]) != before + 1)
		atomic_fetch_add(&nest.not_before_return[self], 1);
	atomic_store(&nest.in_a[self], false);
}

struct trig_job {
	unsigned	id;
	unsigned	target;
};

static void
trig_job(void *arg)
{
	const struct trig_job *j = arg;

	ipi_trigger(j->id, cpu_lookup(j->target));
}

static void
trigger_multi_self(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 3, 2);
	unsigned wanta[ITL_MAXV] = { 0 }, wantb[ITL_MAXV] = { 0 };
	char what[128];

	memset(&nest, 0, sizeof(nest));
	itl_counts_zero(&acounts);
	itl_counts_zero(&hcounts);
	itl_start(ops, n);
	unsigned id_a = reg(handler_a, &acounts);
	nest.id_b = reg(handler_b, &hcounts);
	for (unsigned t = 0; t < n; t++)
		nest.other[t] = (t + n - 1) % n;
	for (unsigned t = 0; t < n; t++) {
		const unsigned s = (t + 1) % n, u = nest.other[t];
		snprintf(what, sizeof(what), "A on vCPU %u: ipi_trigger_multi(B, "
		    "{%u, %u})", t, t, u);
		for (unsigned r = 0; r < NEST_ROUNDS; r++) {
			struct trig_job j = { .id = id_a, .target = t };
			itl_call(s, trig_job, &j, "ipi_trigger of A");
			wanta[t]++;
			wantb[t]++;
			wantb[u]++;
			itl_wait_count(&acounts, t, wanta[t], what);
			itl_wait_count(&hcounts, t, wantb[t], what);
			itl_wait_count(&hcounts, u, wantb[u], what);
		}
		cr_expect_eq(atomic_load(&nest.not_before_return[t]), 0, "%s: "
		    "%s: B had not run on vCPU %u when ipi_trigger_multi "
		    "returned, %u times of %u", ops->name, what, t,
		    atomic_load(&nest.not_before_return[t]), NEST_ROUNDS);
	}
	settle(&acounts, wanta, "handler A");
	settle(&hcounts, wantb, "handler B (nested on A's vCPU, and on the "
	    "other)");
	for (unsigned t = 0; t < n; t++)
		cr_expect_eq(atomic_load(&nest.nested[t]), NEST_ROUNDS, "%s: B "
		    "ran inside A on vCPU %u %u times, want %u (the nested "
		    "pass of ipi_trigger_multi)", ops->name, t,
		    atomic_load(&nest.nested[t]), NEST_ROUNDS);
	unreg(nest.id_b);
	unreg(id_a);
	itl_stop();
}
ITL_BACKEND_TESTS(handlers, trigger_multi_self, ITL_TEST_TIMEOUT,
    trigger_multi_self)

/*
 * ---------------------------------------------------------------------
 * An async handler triggers its own id on the next vCPU: a ring.
 * Hop k (1-based) runs on vCPU k % n; the handler that makes hop
 * RING_HOPS triggers no more.
 * ---------------------------------------------------------------------
 */

static struct {
	unsigned	id;
	_Atomic unsigned hops;
} ring;

static void
ring_handler(void *arg)
{
	const unsigned self = cpu_index(curcpu());
	const unsigned h = atomic_fetch_add(&ring.hops, 1) + 1;

	itl_count_handler(arg);
	if (h < RING_HOPS)
		ipi_trigger(ring.id, cpu_lookup((self + 1) % ncpu));
}

static void
ring_test(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 4, 2);
	unsigned want[ITL_MAXV] = { 0 };

	memset(&ring, 0, sizeof(ring));
	itl_counts_zero(&hcounts);
	itl_start(ops, n);
	ring.id = reg(ring_handler, &hcounts);
	struct trig_job j = { .id = ring.id, .target = 1 };
	itl_call(0, trig_job, &j, "ipi_trigger: the ring's first hop");

	const uint64_t deadline = itl_now_ns() + ITL_TIMEOUT_NS;
	while (atomic_load(&ring.hops) < RING_HOPS && itl_now_ns() < deadline)
		itl_sleep_us(500);
	cr_assert_eq(atomic_load(&ring.hops), RING_HOPS, "%s: the ring of %u "
	    "vCPUs stopped after %u hops of %u (a trigger from a handler "
	    "was lost)", ops->name, n, atomic_load(&ring.hops), RING_HOPS);
	for (unsigned k = 1; k <= RING_HOPS; k++)
		want[k % n]++;
	settle(&hcounts, want, "ring hops");
	cr_expect_eq(atomic_load(&ring.hops), RING_HOPS, "%s: the ring made "
	    "%u hops, want %u", ops->name, atomic_load(&ring.hops), RING_HOPS);
	unreg(ring.id);
	itl_stop();
}
ITL_BACKEND_TESTS(handlers, ring, ITL_TEST_TIMEOUT, ring_test)
