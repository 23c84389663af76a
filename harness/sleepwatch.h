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

/*
 * The idle dwell ([run] idle_dwell_us, names dwell:N): how long a target
 * stays asleep before it is woken.  A wake-up timed as soon as the
 * target's state reads 'S' meets a CPU that has just gone idle, in the
 * shallowest idle state; real IPIs often meet CPUs idle for long, in
 * deeper ones.
 *
 * hb_sleepwatch_set_dwell: the dwell of the benchmark about to run (the
 *    registry sets it before each body call; 0: none).
 * hb_sleepwatch_dwell: after hb_sleepwatch_wait() on every target of an
 *    operation (whether or not it saw them blocked: blocked_per_op
 *    tells): spin, untimed, until the dwell has passed.
 *    => Called on the sender, once per operation, never inside its
 *       timed window.
 */
void	hb_sleepwatch_set_dwell(unsigned us);
void	hb_sleepwatch_dwell(void);

#endif /* HB_SLEEPWATCH_H */
