/*
 * test_ipi_visibility.c: plain data handed over by IPIs, on every backend.
 *
 * THE POINT OF THIS TEST IS THE ThreadSanitizer RUN (make test SAN=thread).
 * The data below is plain -- no atomics, no fences, no locks of the
 * test's own -- so the only thing that orders a sender's writes before a
 * target's reads, and a target's writes before the sender's reads, is the
 * protocol's own release/acquire:
 *
 *   sender writes vis.in[]  -> ipi_unicast/multicast/broadcast (release
 *   before the mailbox CAS) -> target takes the message (acquire) and
 *   func reads vis.in[], writes vis.out[self] -> ack (release before the
 *   decrement) -> ipi_wait (acquire) -> sender reads vis.out[].
 *
 *   sender writes vis.in[] -> ipi_trigger, the bit clear (release before
 *   the OR) -> target swaps the word (acquire), handler reads vis.in[],
 *   writes vis.out[self], ipi_trigger back to the sender -> the sender
 *   takes it at cpu_intr_poll (acquire) and its handler, on the sender's
 *   own thread, says so -> sender reads vis.out[].
 *
 * If any of these orders were weakened (relaxed ack, relaxed mailbox
 * load, no release before the OR, ...), TSan sees the two plain accesses
 * unordered and reports a data race; tests/run.sh sets TSAN_OPTIONS
 * halt_on_error=1, so the first report kills the test process and the
 * test fails.  Without TSan the test still checks the values (each round
 * publishes new ones), which a weakly ordered CPU could get wrong, but
 * on x86 it will pass whatever the orders in the code say.  On the
 * sleeping backends the backend's own sleep/wake handshake adds orders
 * of its own; a busy-polling one (busypoll: the kick is nothing, the
 * target polls its pending words) is the run where the protocol's orders stand alone.
 *
 * Catches (under TSan): a missing release or acquire on any edge above,
 * including the publication of the ipi_msg_t itself (func, arg are plain
 * fields the target reads).  Catches (anywhere): a func or handler that
 * sees another round's data, an out[] not written by the time ipi_wait
 * returned or the trigger's answer came back.
 */
#include <sched.h>

#include "ipi_testlib.h"


#define	VIS_MAXV	(ITL_MAXV < 8 ? ITL_MAXV : 8)
#define	VIS_WORDS	8
#define	VIS_ROUNDS	200		/* per sender and kind */

/* Plain data: every access below is a plain load or store. */
static struct {
	unsigned long	in[VIS_WORDS];	/* round r: in[k] = r * VIS_WORDS + k */
	unsigned long	out[VIS_MAXV];	/* target t: f(in[0]) */
	unsigned long	bad[VIS_MAXV];	/* target t saw in[] torn or stale */
	unsigned long	runs[VIS_MAXV];	/* target t: func/handler runs */
	unsigned	sender;		/* the trigger's sender (read by A) */
} vis;

/* The answer a target writes for a value v of in[0]. */
static unsigned long
vis_answer(unsigned long v)
{
	return v * 3 + 1;
}

/* The target's side: read every in[], answer in out[self]. */
static void
vis_take(void)
{
	const unsigned self = cpu_index(curcpu());
	const unsigned long v = vis.in[0];

	for (unsigned k = 1; k < VIS_WORDS; k++)
		if (vis.in[k] != v + k)
			vis.bad[self]++;
	vis.out[self] = vis_answer(v);
	vis.runs[self]++;
}

static void
vis_func(void *arg)
{
	(void)arg;
	vis_take();
}

/* The trigger's pair of handlers and the sender's plain flag. */
static unsigned vis_id_a, vis_id_back;
static volatile bool vis_back;		/* set by handler_back, on the sender */

static void
handler_a(void *arg)
{
	(void)arg;
	vis_take();
	ipi_trigger(vis_id_back, cpu_lookup(vis.sender));
}

static void
handler_back(void *arg)
{
	(void)arg;
	vis_back = true;
}

enum { K_UNICAST, K_MULTICAST, K_BROADCAST, K_BROADCAST_SELF, K_TRIGGER,
	K_NKINDS };
static const char *const kind_name[K_NKINDS] = {
	"ipi_unicast", "ipi_multicast (with self)", "ipi_broadcast(skip_self)",
	"ipi_broadcast", "ipi_trigger",
};

struct vis_job {
	int		kind;
	unsigned	sender;
	unsigned	nfail;		/* the sender's findings */
	char		first[200];
};

static void
vis_note(struct vis_job *j, unsigned r, unsigned t, const char *what,
    unsigned long got, unsigned long want)
{
	if (j->nfail++ == 0)
		snprintf(j->first, sizeof(j->first), "%s from vCPU %u, round "
		    "%u: vCPU %u: %s %lu, want %lu", kind_name[j->kind],
		    j->sender, r, t, what, got, want);
}

/* Whether vCPU t is a target of kind from sender s (multicast: every
 * other vCPU of the same parity, and s itself). */
static bool
vis_target(int kind, unsigned s, unsigned t, unsigned r)
{
	switch (kind) {
	case K_UNICAST:
	case K_TRIGGER:
		return t == (s + 1 + r % (ncpu - 1)) % ncpu;
	case K_MULTICAST:
		return t == s || (t + r) % 2 == 0;
	case K_BROADCAST:
		return t != s;
	default:
		return true;
	}
}

/*
 * wait_back: take interrupts until handler_back ran here (bounded).
 * The flag is plain and only this thread touches it: handler_back runs
 * on this vCPU, inside cpu_intr_poll().
 */
static bool
wait_back(void)
{
	const uint64_t deadline = itl_now_ns() + ITL_TIMEOUT_NS;

	while (!vis_back) {
		cpu_intr_poll();
		if (itl_now_ns() > deadline)
			return false;
		sched_yield();	/* the target may share this PU */
	}
	return true;
}

static void
vis_job(void *arg)
{
	struct vis_job *j = arg;
	const unsigned s = j->sender, n = ncpu;
	ipi_msg_t msg;

	for (unsigned r = 0; r < VIS_ROUNDS; r++) {
		const unsigned long v = ((unsigned long)s * VIS_ROUNDS + r) *
		    VIS_WORDS * K_NKINDS + (unsigned long)j->kind * VIS_WORDS;
		unsigned long runs_before[VIS_MAXV];
		kcpuset_t set;

		for (unsigned t = 0; t < n; t++)
			runs_before[t] = vis.runs[t];
		for (unsigned k = 0; k < VIS_WORDS; k++)
			vis.in[k] = v + k;
		msg.func = vis_func;
		msg.arg = NULL;
		switch (j->kind) {
		case K_UNICAST:
			for (unsigned t = 0; t < n; t++)
				if (vis_target(j->kind, s, t, r))
					ipi_unicast(&msg, cpu_lookup(t));
			break;
		case K_MULTICAST:
			kcpuset_zero(&set);
			for (unsigned t = 0; t < n; t++)
				if (vis_target(j->kind, s, t, r))
					kcpuset_set(&set, t);
			ipi_multicast(&msg, &set);
			break;
		case K_BROADCAST:
			ipi_broadcast(&msg, true);
			break;
		case K_BROADCAST_SELF:
			ipi_broadcast(&msg, false);
			break;
		case K_TRIGGER: {
			unsigned t = 0;
			while (!vis_target(j->kind, s, t, r))
				t++;
			_Atomic uint32_t *w = &cpu_ipi_state(cpu_lookup(t))->
			    ipipend[vis_id_a >> IPI_BITW_SHIFT];
			const uint32_t bit = 1u << (vis_id_a & IPI_BITW_MASK);
			if (atomic_load_explicit(w, memory_order_relaxed) & bit)
				vis_note(j, r, t, "id A already pending "
				    "before the trigger, bit", 1, 0);
			vis.sender = s;
			vis_back = false;
			ipi_trigger(vis_id_a, cpu_lookup(t));
			if (!wait_back()) {
				vis_note(j, r, t, "no answer to the trigger "
				    "after (s)", ITL_TIMEOUT_NS / ITL_NS, 0);
				return;
			}
			break;
		}
		}
		if (j->kind != K_TRIGGER)
			ipi_wait(&msg);
		for (unsigned t = 0; t < n; t++) {
			const bool hit = vis_target(j->kind, s, t, r);
			if (vis.runs[t] != runs_before[t] + hit)
				vis_note(j, r, t, "runs", vis.runs[t] -
				    runs_before[t], hit);
			if (hit && vis.out[t] != vis_answer(v))
				vis_note(j, r, t, "answer", vis.out[t],
				    vis_answer(v));
		}
	}
}

static void
reg_job(void *arg)
{
	vis_id_a = ipi_register(handler_a, NULL);
	vis_id_back = ipi_register(handler_back, NULL);
	(void)arg;
}

static void
unreg_job(void *arg)
{
	(void)arg;
	ipi_unregister(vis_id_back);
	ipi_unregister(vis_id_a);
}

static void
visibility(const struct ipi_backend_ops *ops)
{
	unsigned n = itl_nvcpus(ops, 4, 2);

	if (n > VIS_MAXV)
		n = VIS_MAXV;
	memset(&vis, 0, sizeof(vis));
	itl_start(ops, n);
	itl_call(0, reg_job, NULL, "ipi_register");
	cr_assert(vis_id_a > 0 && vis_id_back > 0, "ipi_register = %u, %u",
	    vis_id_a, vis_id_back);
	for (int kind = 0; kind < K_NKINDS; kind++) {
		for (unsigned s = 0; s < n; s++) {
			struct vis_job j = { .kind = kind, .sender = s };
			itl_call(s, vis_job, &j, kind_name[kind]);
			cr_expect_eq(j.nfail, 0, "visibility %s: %s from vCPU "
			    "%u: %u wrong rounds; first: %s", ops->name,
			    kind_name[kind], s, j.nfail, j.first);
		}
	}
	for (unsigned i = 0; i < n; i++)
		itl_flush(i);
	for (unsigned t = 0; t < n; t++)
		cr_expect_eq(vis.bad[t], 0, "visibility %s: vCPU %u read in[] "
		    "torn or stale %lu times", ops->name, t, vis.bad[t]);
	itl_call(0, unreg_job, NULL, "ipi_unregister");
	itl_stop();
}
ITL_BACKEND_TESTS(visibility, plain_data, ITL_TEST_TIMEOUT, visibility)
