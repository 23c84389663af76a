/*
 * busypoll.c: the busy-poll backend: an idle vCPU spins on its work.
 *
 * The floor for latency: the sender's store to the target's pending word
 * IS the interrupt; the target sees it as soon as the cache line moves.
 * There is no sleep, so no handshake and nothing to lose: kick does
 * nothing.  Every idle vCPU burns its PU (spins = true): never run more
 * busy-poll vCPUs than cores.  No state, nothing to set up: no init,
 * fini, start or stop.
 */
#include <stddef.h>

#include "backend.h"
#include "backoff.h"

/*
 * busypoll_idle: spin until ci has work.
 * => Returns only when vcpu_has_work(ci) was seen true.
 */
static void
busypoll_idle(struct cpu_info *ci)
{

	while (!vcpu_has_work(ci))
		SPINLOCK_SPIN_HOOK;
}

/* busypoll_kick: nothing: the idle loop polls the state the sender set. */
static void
busypoll_kick(struct cpu_info *ci)
{

	(void)ci;
}

const struct ipi_backend_ops ipi_backend_busypoll = {
	.name = "busypoll",
	.summary = "idle vCPUs spin on their pending words; the store is "
	    "the interrupt",
	.reference = "pingpong",
	.spins = true,
	.idle = busypoll_idle,
	.kick = busypoll_kick,
};
