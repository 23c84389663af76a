/*
 * sleepwatch.c: has a vCPU's thread gone to sleep?  See sleepwatch.h.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sleepwatch.h"
#include "timer.h"

/* The dwell in nanoseconds; the runner writes it between body calls,
 * before it posts the jobs that read it (the post orders it). */
static uint64_t dwell_ns;

int
hb_sleepwatch_open(const struct cpu_info *ci)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat",
	    (int)cpu_tid(ci));
	return open(path, O_RDONLY | O_CLOEXEC);
}

bool
hb_sleepwatch_wait(int fd)
{
	char buf[512];

	if (fd < 0)
		return false;
	for (unsigned i = 0; i < HB_SLEEPWATCH_TRIES; i++) {
		/* "tid (comm) S ...": the state follows the last ')'. */
		ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);

		if (r <= 0)
			return false;
		buf[r] = '\0';
		char *p = strrchr(buf, ')');
		if (p != NULL && p[1] == ' ' && p[2] == 'S')
			return true;
	}
	return false;
}

void
hb_sleepwatch_set_dwell(unsigned us)
{
	dwell_ns = (uint64_t)us * 1000;
}

void
hb_sleepwatch_dwell(void)
{
	uint64_t t0;

	if (dwell_ns == 0)
		return;
	/* The sender spins, as it does while it waits for the target to
	 * sleep: its own vCPU stays busy, as with no dwell. */
	t0 = hb_mono_ns();
	while (hb_mono_ns() - t0 < dwell_ns)
		continue;
}
