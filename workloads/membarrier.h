/*
 * membarrier.h: registration for the `membarrier` yardstick.
 *
 * MEMBARRIER_CMD_PRIVATE_EXPEDITED needs the process registered
 * (MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) first; `ipibench run`
 * calls hb_membarrier_register() first thing, before any thread starts.
 */
#ifndef WORKLOADS_MEMBARRIER_H
#define WORKLOADS_MEMBARRIER_H

/*
 * hb_membarrier_register: register this process for private expedited
 * membarrier.
 * => Idempotent.  Returns 0; or -1 when the kernel refuses, the reason
 *    kept for the benchmark's error (hb_membarrier_error()).
 */
int	hb_membarrier_register(void);

/* hb_membarrier_error: why registration failed; "" when it did not. */
const char *hb_membarrier_error(void);

#endif /* WORKLOADS_MEMBARRIER_H */
