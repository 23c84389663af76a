/*
 * sleepwatch.h: has a vCPU's thread gone to sleep in the kernel?
 *
 * A blocking backend's IPI costs a wake-up only when its target really
 * sleeps.  Timed back to back, the target is often still on its way to
 * sleep and the figure mixes two costs (0.4 us and 13 us here).  Bodies
 * that measure a wake-up wait, untimed, until the target's thread is
 * blocked: its state in /proc/self/task/TID/stat is 'S'.
 */
#ifndef HB_SLEEPWATCH_H
#define HB_SLEEPWATCH_H

#include <stdbool.h>

#include "../ipi/vcpu.h"

#define	HB_SLEEPWATCH_TRIES	2000	/* reads of the stat file: a few ms */

/* hb_sleepwatch_open: an fd on ci's thread's stat file; -1 if it cannot. */
int	hb_sleepwatch_open(const struct cpu_info *ci);

/*
 * hb_sleepwatch_wait: wait until that thread is blocked (state 'S'),
 * reading its stat file at most HB_SLEEPWATCH_TRIES times.
 * => Returns true when it saw the thread blocked; fd -1 returns false.
 */
bool	hb_sleepwatch_wait(int fd);

#endif /* HB_SLEEPWATCH_H */
