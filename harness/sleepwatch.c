/*
 * sleepwatch.c: has a vCPU's thread gone to sleep?  See sleepwatch.h.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sleepwatch.h"

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
