/*
 * table.c: the table of workloads (workload.h), in run order.
 *
 * Adding a workload: one file in workloads/ defining
 * `const struct hb_workload hb_workload_NAME`, one extern line and one table
 * line here.  Yardsticks are run before each backend's group wherever
 * they sit in the table (cmd_run.c); they are listed last.  The report
 * and the plots show the workloads in this order.
 */
#include <stddef.h>
#include <string.h>

#include "harness/workload.h"

extern const struct hb_workload hb_workload_unicast;
extern const struct hb_workload hb_workload_matrix;
extern const struct hb_workload hb_workload_multicast;
extern const struct hb_workload hb_workload_broadcast;
extern const struct hb_workload hb_workload_trigger;
extern const struct hb_workload hb_workload_mboxfull;
/* yardsticks */
extern const struct hb_workload hb_workload_pingpong;
extern const struct hb_workload hb_workload_futex_wake;
extern const struct hb_workload hb_workload_eventfd_wake;
extern const struct hb_workload hb_workload_futex_pingpong;
extern const struct hb_workload hb_workload_pipe_pingpong;
extern const struct hb_workload hb_workload_timer;
extern const struct hb_workload hb_workload_membarrier;

const struct hb_workload *const hb_workloads[] = {
	&hb_workload_unicast,
	&hb_workload_matrix,
	&hb_workload_multicast,
	&hb_workload_broadcast,
	&hb_workload_trigger,
	&hb_workload_mboxfull,
	/* yardsticks */
	&hb_workload_pingpong,
	&hb_workload_futex_wake,
	&hb_workload_eventfd_wake,
	&hb_workload_futex_pingpong,
	&hb_workload_pipe_pingpong,
	&hb_workload_timer,
	&hb_workload_membarrier,
	NULL,
};

const char *
hb_kind_name(enum hb_kind k)
{
	static const char *const names[HB_NKINDS] = {
		[HB_KIND_LATENCY] = "latency",
		[HB_KIND_THROUGHPUT] = "throughput",
		[HB_KIND_COUNT] = "count",
	};

	return (unsigned)k < HB_NKINDS ? names[k] : "unknown";
}
