/*
 * runlock.h: one `ipibench run` at a time on a machine.
 *
 * Two runs side by side spoil each other's timings (issue 13: busypoll
 * unicast 951 ns beside another run, 170 ns alone).  A run that loads
 * the machine takes an exclusive flock(2) on the lock file before its
 * first vCPU starts and holds it until the process ends: the kernel
 * releases it on any death, SIGKILL included.  Another run meanwhile is
 * refused at once, naming the holder.
 *
 * The lock file: $IPIBENCH_LOCK when set and not empty, else
 * /tmp/ipibench.lock, created mode 0666 (whatever the umask) so that
 * every user's runs share it.  The holder writes "pid N", "started
 * TIME" and "command ARGS" lines into it; where it may not write (the
 * file is another user's), it locks the file read-only and the refused
 * run names the holder from /proc/locks instead.
 */
#ifndef HB_RUNLOCK_H
#define HB_RUNLOCK_H

#include <stdbool.h>
#include <stddef.h>

/* sysexits.h's EX_TEMPFAIL: try again later. */
#define HB_RUNLOCK_BUSY	75

/*
 * hb_runlock_take: take the lock for this process.
 * => After every input check (bad input exits 2 without touching it),
 *    before any vCPU thread starts.
 * => Returns 0: held until the process ends (the descriptor is
 *    O_CLOEXEC: nothing exec'd keeps it); at once when already held.
 * => Returns HB_RUNLOCK_BUSY: another process holds it; a message on
 *    stderr names the file, the holder (pid, start time, command line,
 *    or unknown) and what to do.
 * => Returns 2: the lock file cannot be opened or locked; a message
 *    names it and why.
 */
int	hb_runlock_take(void);

/*
 * hb_runlock_held: whether this process holds the lock (a run that
 * measures, past hb_runlock_take).
 */
bool	hb_runlock_held(void);

/*
 * hb_runlock_describe: the context key run_lock: "PATH (held for the
 * run: other ipibench runs refused)", or "none (not taken)".
 */
void	hb_runlock_describe(char *buf, size_t len);

#endif /* HB_RUNLOCK_H */
