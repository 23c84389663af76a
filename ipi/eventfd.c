/*
 * eventfd.c: the eventfd backend: an idle vCPU blocks in read() on its
 * own eventfd; a sender write()s 1 to it only if it announced sleeping.
 *
 * The handshake is futex.c's, with its proof: announce SLEEPING in the
 * state's word, seq_cst fence, re-check vcpu_has_work(), then block; the
 * kicker, after the store that made has_work true, fences seq_cst, and
 * writes only if it swaps the word from SLEEPING to AWAKE.  A write that
 * comes before the read is not lost: the eventfd counter keeps it and the
 * read returns at once.  A write for a target that found work on its
 * re-check leaves the counter at 1: its next idle returns at once, an
 * early return the idle contract allows.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "backend.h"

#define	EVFD_AWAKE	0u	/* the zeroed state */
#define	EVFD_SLEEPING	1u

/*
 * eventfd_state: a vCPU's sleeping word (as futex.c's word: ci's thread
 * stores it in idle, kickers swap it) and its eventfd (set by init, -1
 * if that failed; read by idle and kick; closed by fini).
 */
struct eventfd_state {
	_Atomic unsigned word;
	int		fd;
};

/*
 * eventfd_init: create ci's eventfd (blocking, close-on-exec).
 * => Returns 0, or -1 with the failing call and errno in err.
 */
static int
eventfd_init(struct cpu_info *ci, char *err, size_t errlen)
{
	struct eventfd_state *es = vcpu_backend_state(ci);

	if ((es->fd = eventfd(0, EFD_CLOEXEC)) == -1) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* eventfd_fini: close ci's eventfd. */
static void
eventfd_fini(struct cpu_info *ci)
{
	struct eventfd_state *es = vcpu_backend_state(ci);

	if (es->fd != -1) {
		close(es->fd);
		es->fd = -1;
	}
}

/*
 * eventfd_idle: announce sleeping, re-check, block in read().
 * => Returns when written to, when work was found, or early (EINTR).
 */
static void
eventfd_idle(struct cpu_info *ci)
{
	struct eventfd_state *es = vcpu_backend_state(ci);
	_Atomic unsigned *word = &es->word;
	uint64_t v;

	atomic_store_explicit(word, EVFD_SLEEPING, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (!vcpu_has_work(ci) &&
	    read(es->fd, &v, sizeof(v)) == -1 &&
	    errno != EINTR && errno != EAGAIN) {
		fprintf(stderr, "ipibench: eventfd backend: read on the "
		    "eventfd of a vCPU: %s\n", strerror(errno));
		abort();
	}
	atomic_store_explicit(word, EVFD_AWAKE, memory_order_relaxed);
}

/*
 * eventfd_kick: write 1 to ci's eventfd if it announced that it sleeps.
 * => After the store that made vcpu_has_work(ci) true.
 */
static void
eventfd_kick(struct cpu_info *ci)
{
	struct eventfd_state *es = vcpu_backend_state(ci);
	_Atomic unsigned *word = &es->word;
	const uint64_t one = 1;

	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(word, memory_order_relaxed) !=
	    EVFD_SLEEPING ||
	    atomic_exchange_explicit(word, EVFD_AWAKE,
	    memory_order_relaxed) != EVFD_SLEEPING)
		return;
	while (write(es->fd, &one, sizeof(one)) == -1) {
		if (errno == EINTR)
			continue;
		fprintf(stderr, "ipibench: eventfd backend: write to the "
		    "eventfd of a vCPU: %s\n", strerror(errno));
		abort();
	}
}

const struct ipi_backend_ops ipi_backend_eventfd = {
	.name = "eventfd",
	.summary = "idle vCPUs block in read() on an eventfd; write() only "
	    "if the target sleeps",
	.reference = "eventfd_wake",
	.spins = false,
	.state_size = sizeof(struct eventfd_state),
	.init = eventfd_init,
	.fini = eventfd_fini,
	.idle = eventfd_idle,
	.kick = eventfd_kick,
};
