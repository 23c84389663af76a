/*
 * kassert.h: KASSERT(9) for the port.
 *
 * With DIAGNOSTIC defined (the Makefile defines it unless DIAGNOSTIC=0),
 * KASSERT(cond) checks cond and, when it is false, prints where and what
 * to stderr and abort()s, as the kernel panics.  Without DIAGNOSTIC it
 * evaluates nothing (the expression is only looked at by sizeof, so that
 * variables used only in assertions do not become "unused").
 *
 * Contracts, not syscall results, are asserted: a KASSERT states what the
 * caller promised (the `=>` lines), never what the system may refuse.
 */
#ifndef IPI_KASSERT_H
#define IPI_KASSERT_H

#ifdef DIAGNOSTIC

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * kassert_fail: report a failed KASSERT and abort.
 * => Never returns.
 */
__attribute__((noreturn, cold)) static inline void
kassert_fail(const char *expr, const char *file, int line, const char *func)
{
	fprintf(stderr, "%s:%d: %s: diagnostic assertion \"%s\" failed\n",
	    file, line, func, expr);
	fflush(stderr);
	abort();
}

#define	KASSERT(e)							\
	(__builtin_expect(!!(e), 1) ? (void)0 :				\
	    kassert_fail(#e, __FILE__, __LINE__, __func__))

/*
 * kassert_failmsg: as kassert_fail, with the caller's message after it.
 * => Never returns.
 */
__attribute__((noreturn, cold, format(printf, 5, 6))) static inline void
kassert_failmsg(const char *expr, const char *file, int line,
    const char *func, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: %s: diagnostic assertion \"%s\" failed: ",
	    file, line, func, expr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

/* KASSERTMSG(e, fmt, ...): KASSERT that also says why (NetBSD's). */
#define	KASSERTMSG(e, ...)						\
	(__builtin_expect(!!(e), 1) ? (void)0 :				\
	    kassert_failmsg(#e, __FILE__, __LINE__, __func__, __VA_ARGS__))

#else /* !DIAGNOSTIC */

#define	KASSERT(e)	((void)sizeof(!(e)))
#define	KASSERTMSG(e, ...)	((void)sizeof(!(e)))

#endif /* DIAGNOSTIC */

#endif /* IPI_KASSERT_H */
