/*
 * backend.h: delivery backends, the stand-in for the hardware interrupt.
 *
 * A backend decides how a vCPU with nothing to do waits (idle) and how a
 * sender makes it look at its pending words (kick: the seed's cpu_ipi).
 * One file per backend, each one `const struct ipi_backend_ops`, listed
 * in the table in backend.c.  Adding a backend is one file and one line.
 */
#ifndef IPI_BACKEND_H
#define IPI_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

struct cpu_info;

struct ipi_backend_ops {
	const char *	name;		/* as chosen on the command line */
	const char *	summary;	/* one line for `ipibench list` */
	bool		spins;		/* idle burns its PU: refuse more
					 * vCPUs than cores unless forced */

	/*
	 * init: set up the backend's state of vCPU ci, before its thread
	 * starts.  => Returns 0, or -1 with a message in err.
	 * fini: undo init (after the thread was joined).
	 */
	int	(*init)(struct cpu_info *ci, char *err, size_t errlen);
	void	(*fini)(struct cpu_info *ci);

	/*
	 * idle: on ci's own thread, wait until vcpu_has_work(ci) is true.
	 * => May return early for any reason; must not miss a kick that
	 *    follows a change making vcpu_has_work(ci) true.
	 */
	void	(*idle)(struct cpu_info *ci);

	/*
	 * kick: from any thread, after making vcpu_has_work(ci) true, make
	 * an idle ci return from idle.  May be called when ci is not idle.
	 */
	void	(*kick)(struct cpu_info *ci);
};

/* ipi_backend_lookup: the backend called name, or NULL. */
const struct ipi_backend_ops *ipi_backend_lookup(const char *name);

/* ipi_backends: NULL-terminated table of every backend. */
extern const struct ipi_backend_ops *const ipi_backends[];

/*
 * vcpu_has_work: whether ci has something to do: IPIs pending while
 * interrupts are unblocked, a posted job, or a stop request.
 * => Sequentially consistent loads: backends build their sleep/wake
 *    handshake on it (see futex.c).
 */
bool	vcpu_has_work(struct cpu_info *ci);

/*
 * vcpu_backend_word: a per-vCPU 32-bit word the backend may use for its
 * handshake (futex word, "sleeping" flag); zero at start.
 * vcpu_backend_fd: a per-vCPU int the backend may use (eventfd), -1 at start.
 */
_Atomic unsigned *vcpu_backend_word(struct cpu_info *ci);
int	*vcpu_backend_fd(struct cpu_info *ci);

#endif /* IPI_BACKEND_H */
