/*
 * test_ipi_races.c: the races of the port that need real parallelism to
 * show, made deterministic with the delay points of ipi/fault.h.
 *
 * A hook armed at a point holds the vCPU that reaches it at a gate until
 * the test opens it (or, where the fixed code never opens it, until a
 * short bound passes: the gate then stands for "as late as the race
 * allows").  Each test says which interleaving it forces and what a
 * broken port does there.  Every wait is bounded: a gate opens by itself
 * after GATE_MAX_NS, and every job is joined with ITL_TIMEOUT_NS.
 *
 * These tests run a spinning backend with more vCPUs than cores when
 * they need three: the gates, not the timing, decide the interleaving,
 * so an oversubscribed spinning vCPU only makes them slower.
 */
#include "ipi_testlib.h"
#include "ipi/fault.h"

#define	GATE_MAX_NS	(5 * ITL_NS)	/* a gate opens by itself */
#define	RACE_WINDOW_NS	(300 * 1000000ull) /* how long a gate waits for
					 * an event only a broken port makes */

/*
 * A gate: the hook that reaches it says so (arrived) and spins until
 * the test opens it or GATE_MAX_NS passes (timed_out).  Only the first
 * `hold` arrivals are held; later ones pass.
 */
struct gate {
	_Atomic unsigned arrived;
	_Atomic bool	open;
	_Atomic bool	timed_out;
	unsigned	hold;
	/* Optional: open by itself when *until becomes true, or after
	 * until_ns; used where only a broken port would open it. */
	_Atomic bool	*until;
	uint64_t	until_ns;
};

static void
gate_hook(void *arg, enum ipi_fault_point pt)
{
	struct gate *g = arg;
	unsigned n = atomic_fetch_add(&g->arrived, 1);
	uint64_t t0 = itl_now_ns();
	uint64_t max = g->until_ns != 0 ? g->until_ns : GATE_MAX_NS;

	(void)pt;
	if (n >= g->hold)
		return;
	while (!atomic_load(&g->open)) {
		if (g->until != NULL && atomic_load(g->until))
			return;
		if (itl_now_ns() - t0 > max) {
			if (g->until_ns == 0)
				atomic_store(&g->timed_out, true);
			return;
		}
		sched_yield();
	}
}

/* wait_flag: wait, bounded, until *flag is true; returns whether. */
static bool
wait_flag(_Atomic bool *flag, uint64_t max_ns)
{
	const uint64_t deadline = itl_now_ns() + max_ns;

	while (!atomic_load(flag) && itl_now_ns() < deadline)
		itl_sleep_us(50);
	return atomic_load(flag);
}

/* wait_arrived: wait, bounded, until n vCPUs reached g; returns whether. */
static bool
wait_arrived(struct gate *g, unsigned n, uint64_t max_ns)
{
	const uint64_t deadline = itl_now_ns() + max_ns;

	while (atomic_load(&g->arrived) < n && itl_now_ns() < deadline)
		itl_sleep_us(50);
	return atomic_load(&g->arrived) >= n;
}

/* The slot of vCPU i's mailbox, as the test sees it (no ownership). */
static ipi_msg_t *
mbox_slot(unsigned i, unsigned slot)
{
	return atomic_load(&cpu_ipi_state(itl_cpu(i))->mbox.msg[slot]);
}

static bool
wait_slot(unsigned i, unsigned slot, const ipi_msg_t *want, uint64_t max_ns)
{
	const uint64_t deadline = itl_now_ns() + max_ns;

	while (itl_now_ns() < deadline) {
		ipi_msg_t *m = mbox_slot(i, slot);
		if (want != NULL ? m == want : m != NULL)
			return true;
		itl_sleep_us(50);
	}
	return false;
}

/*
 * The handler of the ID being unregistered: counts its runs, and the runs
 * that begin after ipi_unregister returned (a broken drain).
 */
static struct {
	unsigned	id;
	_Atomic unsigned runs;
	_Atomic unsigned late;		/* runs after unregister returned */
	_Atomic bool	unregistered;	/* set right after it returned */
	unsigned	a_id, c_id;	/* the nested test's other IDs */
	_Atomic unsigned c_runs;
	_Atomic unsigned nested;	/* nested passes the A handler ran */
	_Atomic bool	a_entered;	/* A's handler is running */
} ur;

static void
ur_handler(void *arg)
{
	(void)arg;
	if (atomic_load(&ur.unregistered))
		atomic_fetch_add(&ur.late, 1);
	atomic_fetch_add(&ur.runs, 1);
}

static void
ur_register_job(void *arg)
{
	(void)arg;
	ur.id = ipi_register(ur_handler, NULL);
}

/* U's job: an IPI of ur.id in flight to X = vCPU 1, then unregister. */
static void
ur_trigger_unregister_job(void *arg)
{
	(void)arg;
	ipi_trigger(ur.id, cpu_lookup(1));
	ipi_unregister(ur.id);
	atomic_store(&ur.unregistered, true);
}

static ipi_msg_t other_msg;
static _Atomic unsigned other_runs;

static void
other_func(void *arg)
{
	(void)arg;
	atomic_fetch_add(&other_runs, 1);
}

/* O's job: one unicast to X = vCPU 1, waited for. */
static void
other_unicast_job(void *arg)
{
	(void)arg;
	other_msg.func = other_func;
	other_msg.arg = NULL;
	ipi_unicast(&other_msg, cpu_lookup(1));
	ipi_wait(&other_msg);
}

/*
 * unregister_third_sender: the counterexample of a drain that trusts two
 * acks.  U = vCPU 0 unregisters an ID with an IPI of it in flight to
 * X = vCPU 1; O = vCPU 2 sends X a unicast in between:
 *  1. X (interrupts blocked until then) takes {0, N} in one swap; its
 *     slot-0 handler takes U's first drain message from slot 0, acks, and
 *     is held between slot 0 and slot 1 (IPI_FP_SLOT).
 *  2. O's unicast takes slot 0 again.  U, held in its first ipi_wait
 *     (IPI_FP_WAIT) until then, goes on.
 *  3. A drain that sends its second message now finds slot 0 full and
 *     lands in slot 1, which X's pass has not reached: X acks it in the
 *     same pass, and ipi_unregister returns while X has yet to run bit N.
 *     X is held after bit 0 (IPI_FP_BIT) until unregister returned, then
 *     runs bit N: a NULL handler (KASSERT abort) or a run after return.
 * The fixed port waits for X's pass to end before the second message,
 * so ipi_unregister cannot return while X is held; the holds that only a
 * broken port would release time out after RACE_WINDOW_NS.
 */
static void
unregister_third_sender(const struct ipi_backend_ops *ops)
{
	struct gate u_wait = { .hold = 1 };
	struct gate x_slot = { .hold = 1 };
	struct gate x_bit = { .hold = 1, .until = &ur.unregistered,
	    .until_ns = RACE_WINDOW_NS };

	memset(&ur, 0, sizeof(ur));
	atomic_store(&other_runs, 0);
	itl_start(ops, 3);
	itl_call(0, ur_register_job, NULL, "ipi_register");
	cr_assert(ur.id > 0, "ipi_register = 0");

	/* X takes the trigger and the first drain message in one swap. */
	itl_block(1);
	ipi_fault_arm(itl_cpu(0), IPI_FP_WAIT, gate_hook, &u_wait);
	ipi_fault_arm(itl_cpu(1), IPI_FP_SLOT, gate_hook, &x_slot);
	ipi_fault_arm(itl_cpu(1), IPI_FP_BIT, gate_hook, &x_bit);
	itl_post(0, ur_trigger_unregister_job, NULL, "trigger + unregister");
	cr_assert(wait_arrived(&u_wait, 1, GATE_MAX_NS),
	    "%s: vCPU 0 never waited for its first drain message", ops->name);
	cr_assert(wait_slot(1, 0, NULL, GATE_MAX_NS),
	    "%s: the drain message never reached vCPU 1's slot 0", ops->name);

	/* 1. X acks slot 0 and is held before slot 1. */
	itl_unblock(1);
	cr_assert(wait_arrived(&x_slot, 1, GATE_MAX_NS),
	    "%s: vCPU 1 did not ack the first drain message", ops->name);

	/* 2. O's unicast takes slot 0; U goes on. */
	itl_post(2, other_unicast_job, NULL, "unicast to vCPU 1");
	cr_assert(wait_slot(1, 0, &other_msg, GATE_MAX_NS),
	    "%s: vCPU 2's unicast did not land in vCPU 1's slot 0", ops->name);
	atomic_store(&u_wait.open, true);

	/* 3. Only a broken drain puts a message in slot 1 now. */
	bool slot1 = wait_slot(1, 1, NULL, RACE_WINDOW_NS);
	atomic_store(&x_slot.open, true);

	itl_join(0, "trigger + unregister");
	itl_join(2, "unicast to vCPU 1");
	ipi_fault_arm(itl_cpu(0), IPI_FP_WAIT, NULL, NULL);
	ipi_fault_arm(itl_cpu(1), IPI_FP_SLOT, NULL, NULL);
	ipi_fault_arm(itl_cpu(1), IPI_FP_BIT, NULL, NULL);
	itl_flush(1);

	cr_expect(!slot1, "%s: ipi_unregister's second drain message landed "
	    "in a slot of vCPU 1 that its running pass had yet to reach",
	    ops->name);
	cr_expect_eq(atomic_load(&ur.late), 0, "%s: the handler ran %u times "
	    "after ipi_unregister returned", ops->name, atomic_load(&ur.late));
	cr_expect_eq(atomic_load(&ur.runs), 1, "%s: the IPI in flight ran %u "
	    "times, want 1", ops->name, atomic_load(&ur.runs));
	cr_expect_eq(atomic_load(&other_runs), 1, "%s: vCPU 2's unicast ran "
	    "%u times, want 1", ops->name, atomic_load(&other_runs));
	cr_expect(!u_wait.timed_out && !x_slot.timed_out, "%s: a gate opened "
	    "by itself after %llu s", ops->name, GATE_MAX_NS / ITL_NS);
	itl_stop();
}

ITL_BACKEND_TESTS(races, unregister_third_sender, ITL_TEST_TIMEOUT,
    unregister_third_sender)

/*
 * The nested path: A's handler on X runs a nested pass (ipi_trigger_multi
 * of a no-op ID C to a set holding X) each time a message is in X's
 * mailbox, twice, while the outer pass still holds bit N.
 */
static void
c_handler(void *arg)
{
	(void)arg;
	atomic_fetch_add(&ur.c_runs, 1);
}

static void
a_handler(void *arg)
{
	kcpuset_t self;

	(void)arg;
	atomic_store(&ur.a_entered, true);
	kcpuset_zero(&self);
	kcpuset_set(&self, cpu_index(curcpu()));
	for (int round = 0; round < 2; round++) {
		/* Wait (bounded) for a drain message, then drain it nested. */
		const uint64_t t0 = itl_now_ns();
		const uint64_t max = round == 0 ? GATE_MAX_NS : RACE_WINDOW_NS;
		bool got = false;

		while (itl_now_ns() - t0 < max) {
			if (mbox_slot(cpu_index(curcpu()), 0) != NULL ||
			    mbox_slot(cpu_index(curcpu()), 1) != NULL) {
				got = true;
				break;
			}
			sched_yield();
		}
		if (!got)
			break;
		ipi_trigger_multi(ur.c_id, &self);
		atomic_fetch_add(&ur.nested, 1);
	}
	/* Give a broken drain the time to return before bit N runs. */
	const uint64_t t0 = itl_now_ns();
	while (!atomic_load(&ur.unregistered) &&
	    itl_now_ns() - t0 < RACE_WINDOW_NS)
		sched_yield();
}

static void
nested_register_job(void *arg)
{
	(void)arg;
	ur.a_id = ipi_register(a_handler, NULL);
	ur.id = ipi_register(ur_handler, NULL);
	ur.c_id = ipi_register(c_handler, NULL);
}

static void
nested_trigger_job(void *arg)
{
	(void)arg;
	ipi_trigger(ur.a_id, cpu_lookup(1));
	ipi_trigger(ur.id, cpu_lookup(1));
}

static void
nested_unregister_job(void *arg)
{
	(void)arg;
	ipi_unregister(ur.id);
	atomic_store(&ur.unregistered, true);
}

static void
cleanup_job(void *arg)
{
	(void)arg;
	ipi_unregister(ur.a_id);
	ipi_unregister(ur.c_id);
}

/*
 * unregister_nested_pass: X = vCPU 1 takes {A, N} in one swap; A's
 * handler runs nested passes that drain U's messages.  A drain that
 * trusts acks returns after two nested acks while the outer pass has yet
 * to run bit N.  The fixed port waits for X's outermost pass to end.
 */
static void
unregister_nested_pass(const struct ipi_backend_ops *ops)
{
	memset(&ur, 0, sizeof(ur));
	itl_start(ops, 2);
	itl_call(0, nested_register_job, NULL, "ipi_register x3");
	cr_assert(ur.a_id > 0 && ur.id > ur.a_id && ur.c_id > 0,
	    "ipi_register: A %u, N %u, C %u", ur.a_id, ur.id, ur.c_id);

	itl_block(1);
	itl_call(0, nested_trigger_job, NULL, "trigger A and N");
	itl_unblock(1);		/* X: one swap takes {A, N}; A waits */
	cr_assert(wait_flag(&ur.a_entered, GATE_MAX_NS), "%s: A's handler "
	    "did not run on vCPU 1", ops->name);
	itl_call(0, nested_unregister_job, NULL, "ipi_unregister(N)");
	itl_flush(1);

	cr_expect_geq(atomic_load(&ur.nested), 1, "%s: A's handler ran no "
	    "nested pass (the test did not force its interleaving)", ops->name);
	cr_expect_eq(atomic_load(&ur.late), 0, "%s: N's handler ran %u times "
	    "after ipi_unregister returned", ops->name, atomic_load(&ur.late));
	cr_expect_eq(atomic_load(&ur.runs), 1, "%s: N's IPI in flight ran %u "
	    "times, want 1", ops->name, atomic_load(&ur.runs));
	itl_call(0, cleanup_job, NULL, "ipi_unregister(A, C)");
	itl_stop();
}

ITL_BACKEND_TESTS(races, unregister_nested_pass, ITL_TEST_TIMEOUT,
    unregister_nested_pass)

/*
 * handled_before_trigger: a sender held after put_msg, before its trigger
 * (IPI_FP_PUT), while another sender's trigger makes the target drain the
 * mailbox: the message runs before its own trigger, which then raises a
 * pass that finds the mailbox empty.  Exactly once, and acked.
 */
static ipi_msg_t early_msg;
static _Atomic unsigned early_runs;

static void
early_func(void *arg)
{
	(void)arg;
	atomic_fetch_add(&early_runs, 1);
}

static void
early_unicast_job(void *arg)
{
	(void)arg;
	early_msg.func = early_func;
	early_msg.arg = NULL;
	ipi_unicast(&early_msg, cpu_lookup(1));
	ipi_wait(&early_msg);
}

static void
handled_before_trigger(const struct ipi_backend_ops *ops)
{
	struct gate s_put = { .hold = 1 };

	atomic_store(&early_runs, 0);
	atomic_store(&other_runs, 0);
	itl_start(ops, 3);

	ipi_fault_arm(itl_cpu(0), IPI_FP_PUT, gate_hook, &s_put);
	itl_post(0, early_unicast_job, NULL, "unicast held before trigger");
	cr_assert(wait_arrived(&s_put, 1, GATE_MAX_NS),
	    "%s: vCPU 0 never reached IPI_FP_PUT", ops->name);
	itl_call(2, other_unicast_job, NULL, "unicast to vCPU 1");
	cr_expect_eq(atomic_load(&early_runs), 1, "%s: a message put but not "
	    "yet triggered ran %u times when another sender's IPI drained the "
	    "mailbox, want 1", ops->name, atomic_load(&early_runs));
	atomic_store(&s_put.open, true);
	itl_join(0, "unicast held before trigger");
	ipi_fault_arm(itl_cpu(0), IPI_FP_PUT, NULL, NULL);
	itl_flush(1);

	cr_expect_eq(atomic_load(&early_runs), 1, "%s: the early message ran "
	    "%u times, want 1", ops->name, atomic_load(&early_runs));
	cr_expect_eq(atomic_load(&other_runs), 1, "%s: the other message ran "
	    "%u times, want 1", ops->name, atomic_load(&other_runs));
	cr_expect(!s_put.timed_out, "%s: the gate opened by itself", ops->name);
	itl_stop();
}

ITL_BACKEND_TESTS(races, handled_before_trigger, ITL_TEST_TIMEOUT,
    handled_before_trigger)
