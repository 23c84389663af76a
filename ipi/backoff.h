/*
 * backoff.h: NetBSD's spin-wait backoff (sys/sys/lock.h).
 *
 * SPINLOCK_BACKOFF(count) spins count times on SPINLOCK_SPIN_HOOK, then
 * doubles count up to SPINLOCK_BACKOFF_MAX.  Start count at
 * SPINLOCK_BACKOFF_MIN.  The text of the macro is NetBSD's, less the
 * trailing semicolon (so that it is one statement wherever it is used).
 *
 * SPINLOCK_SPIN_HOOK: x86 `pause` (x86_pause()), aarch64 `yield`, else a
 * compiler barrier: tell the core it spins, let the sibling thread run.
 *
 * User space: a CPU spinning in the kernel with interrupts enabled takes
 * interrupts between two spins; a vCPU thread does not unless it looks.
 * So the backoff loops of ipi.c (put_msg, ipi_wait, ipi_pass_wait) call
 * cpu_intr_poll() (vcpu.h) once per SPINLOCK_BACKOFF step: the point where
 * the hardware would have delivered a pending IPI.  Without it two vCPUs
 * each waiting for the other to ack (each in ipi_wait, each with a message
 * in the other's mailbox) would spin for ever.
 */
#ifndef IPI_BACKOFF_H
#define IPI_BACKOFF_H

#define	SPINLOCK_BACKOFF_MIN	4
#define	SPINLOCK_BACKOFF_MAX	128

#if defined(__x86_64__) || defined(__i386__)
#define	SPINLOCK_SPIN_HOOK	__builtin_ia32_pause()
#elif defined(__aarch64__)
#define	SPINLOCK_SPIN_HOOK	__asm volatile("yield" ::: "memory")
#else
#define	SPINLOCK_SPIN_HOOK	__asm volatile("" ::: "memory")
#endif

#define	SPINLOCK_BACKOFF(count)					\
do {								\
	int __i;						\
	for (__i = (count); __i != 0; __i--) {			\
		SPINLOCK_SPIN_HOOK;				\
	}							\
	if ((count) < SPINLOCK_BACKOFF_MAX)			\
		(count) += (count);				\
} while (/* CONSTCOND */ 0)

/*
 * SPINLOCK_BACKOFF_TO(count, max): SPINLOCK_BACKOFF with the ceiling
 * given (ipibench: the sender's waits take their bounds from
 * ipi_backoff_set(), ipi.h, so that the seed's backoff can be measured
 * against others; SPINLOCK_BACKOFF is this with SPINLOCK_BACKOFF_MAX).
 */
#define	SPINLOCK_BACKOFF_TO(count, max)				\
do {								\
	int __i;						\
	for (__i = (count); __i != 0; __i--) {			\
		SPINLOCK_SPIN_HOOK;				\
	}							\
	if ((count) < (max))					\
		(count) += (count);				\
} while (/* CONSTCOND */ 0)

#endif /* IPI_BACKOFF_H */
