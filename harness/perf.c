/*
 * perf.c: perf counters (perf_event_open) on a set of threads.
 *
 * Probe.  Once, on the calling thread, each event is opened and closed:
 * software events with exclude_kernel = 0 (a context switch or a CPU
 * migration happens in the kernel: with exclude_kernel = 1 they count 0,
 * checked on Linux 6.x, so an event that would only open that way is
 * reported unavailable rather than silently zero); hardware events first
 * counting user and kernel, then, if perf_event_paranoid denies that,
 * user space only (said in the status line).  Why each unavailable event
 * is unavailable goes into one line, hb_perf_status().
 *
 * Counting.  One counter per (thread, event), not grouped, so that an
 * event missing on one thread never takes the others down; each is read
 * with TOTAL_TIME_ENABLED/RUNNING and scaled by enabled/running (the
 * kernel multiplexes hardware counters when there are more events than
 * counters).  An event that fails to open on any of the threads is
 * dropped for the whole set: a sum over some of the threads would
 * mislead.
 */
#include "perf.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
	const char *name;
	uint32_t type;
	uint64_t config;
} perf_events[HB_PERF_NEVENTS] = {
	[HB_PERF_CTX_SWITCHES] = { "ctx_switches", PERF_TYPE_SOFTWARE,
	    PERF_COUNT_SW_CONTEXT_SWITCHES },
	[HB_PERF_CPU_MIGRATIONS] = { "cpu_migrations", PERF_TYPE_SOFTWARE,
	    PERF_COUNT_SW_CPU_MIGRATIONS },
	[HB_PERF_CYCLES] = { "cycles", PERF_TYPE_HARDWARE,
	    PERF_COUNT_HW_CPU_CYCLES },
	[HB_PERF_INSTRUCTIONS] = { "instructions", PERF_TYPE_HARDWARE,
	    PERF_COUNT_HW_INSTRUCTIONS },
	[HB_PERF_CACHE_MISSES] = { "cache_misses", PERF_TYPE_HARDWARE,
	    PERF_COUNT_HW_CACHE_MISSES },
};

/* What the probe found, per event. */
static struct {
	bool	ok;
	bool	user_only;	/* opened only with exclude_kernel */
	int	err;		/* errno of the failed open */
} probe_result[HB_PERF_NEVENTS];
static char perf_status_line[512];
static pthread_once_t perf_once = PTHREAD_ONCE_INIT;

struct hb_perf {
	unsigned	n;			/* threads */
	bool		ok[HB_PERF_NEVENTS];
	int *		fd[HB_PERF_NEVENTS];	/* [n] each, -1 closed */
};

const char *
hb_perf_event_name(enum hb_perf_event e)
{
	if ((unsigned)e >= HB_PERF_NEVENTS)
		return "unknown";
	return perf_events[e].name;
}

/* open_event: event e on thread tid (0: the caller), disabled. */
static int
open_event(enum hb_perf_event e, pid_t tid, bool user_only)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = perf_events[e].type;
	a.config = perf_events[e].config;
	a.disabled = 1;
	a.exclude_kernel = user_only;
	a.exclude_hv = user_only;
	a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED |
	    PERF_FORMAT_TOTAL_TIME_RUNNING;
	return (int)syscall(SYS_perf_event_open, &a, tid, -1, -1,
	    PERF_FLAG_FD_CLOEXEC);
}

/* paranoid: /proc/sys/kernel/perf_event_paranoid, or -99 unreadable. */
static int
paranoid(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
	int v = -99;

	if (f != NULL) {
		if (fscanf(f, "%d", &v) != 1)
			v = -99;
		fclose(f);
	}
	return v;
}

/* reason: why an open failed with err, in words. */
static void
reason(int err, bool hardware, char *buf, size_t len)
{
	int p;

	switch (err) {
	case ENOENT:
	case EOPNOTSUPP:
		snprintf(buf, len, hardware ? "no hardware PMU" :
		    "not supported by this kernel");
		break;
	case EACCES:
	case EPERM:
		p = paranoid();
		if (p == -99)
			snprintf(buf, len, "denied (%s)", strerror(err));
		else
			snprintf(buf, len, "denied by perf_event_paranoid=%d",
			    p);
		break;
	case ENOSYS:
		snprintf(buf, len, "no perf_event_open in this kernel");
		break;
	default:
		snprintf(buf, len, "%s", strerror(err));
		break;
	}
}

static void
perf_probe(void)
{
	char *s = perf_status_line;
	size_t left = sizeof(perf_status_line);
	int w;
	bool any_ok = false;

	for (unsigned e = 0; e < HB_PERF_NEVENTS; e++) {
		bool hw = perf_events[e].type == PERF_TYPE_HARDWARE;
		int fd = open_event(e, 0, false);

		if (fd < 0 && hw && (errno == EACCES || errno == EPERM)) {
			fd = open_event(e, 0, true);
			probe_result[e].user_only = fd >= 0;
		}
		if (fd < 0) {
			probe_result[e].err = errno;
			continue;
		}
		close(fd);
		probe_result[e].ok = true;
		any_ok = true;
	}

	/* "perf: ctx_switches, cpu_migrations; cycles, ...: no hardware PMU" */
	w = snprintf(s, left, "perf: ");
	s += w; left -= (size_t)w;
	if (any_ok) {
		bool first = true;
		for (unsigned e = 0; e < HB_PERF_NEVENTS; e++) {
			if (!probe_result[e].ok)
				continue;
			w = snprintf(s, left, "%s%s%s", first ? "" : ", ",
			    perf_events[e].name,
			    probe_result[e].user_only ? " (user only)" : "");
			if (w < 0 || (size_t)w >= left)
				return;
			s += w; left -= (size_t)w;
			first = false;
		}
		w = snprintf(s, left, " counted");
	} else
		w = snprintf(s, left, "no counters");
	if (w < 0 || (size_t)w >= left)
		return;
	s += w; left -= (size_t)w;

	/* The unavailable ones, grouped by reason, in event order. */
	bool done[HB_PERF_NEVENTS] = { false };
	for (unsigned e = 0; e < HB_PERF_NEVENTS; e++) {
		char why[128], why2[128];
		if (probe_result[e].ok || done[e])
			continue;
		reason(probe_result[e].err,
		    perf_events[e].type == PERF_TYPE_HARDWARE, why,
		    sizeof(why));
		w = snprintf(s, left, "; ");
		if (w < 0 || (size_t)w >= left)
			return;
		s += w; left -= (size_t)w;
		bool first = true;
		for (unsigned f = e; f < HB_PERF_NEVENTS; f++) {
			if (probe_result[f].ok || done[f])
				continue;
			reason(probe_result[f].err,
			    perf_events[f].type == PERF_TYPE_HARDWARE, why2,
			    sizeof(why2));
			if (strcmp(why, why2) != 0)
				continue;
			done[f] = true;
			w = snprintf(s, left, "%s%s", first ? "" : ", ",
			    perf_events[f].name);
			if (w < 0 || (size_t)w >= left)
				return;
			s += w; left -= (size_t)w;
			first = false;
		}
		w = snprintf(s, left, ": %s", why);
		if (w < 0 || (size_t)w >= left)
			return;
		s += w; left -= (size_t)w;
	}
}

const char *
hb_perf_status(void)
{
	pthread_once(&perf_once, perf_probe);
	return perf_status_line;
}

void
hb_perf_close(struct hb_perf *p)
{
	if (p == NULL)
		return;
	for (unsigned e = 0; e < HB_PERF_NEVENTS; e++) {
		if (p->fd[e] == NULL)
			continue;
		for (unsigned i = 0; i < p->n; i++)
			if (p->fd[e][i] >= 0)
				close(p->fd[e][i]);
		free(p->fd[e]);
	}
	free(p);
}

struct hb_perf *
hb_perf_open(const pid_t *tids, unsigned n)
{
	struct hb_perf *p;
	bool any = false;

	hb_perf_status();
	if (n == 0 || (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->n = n;
	for (unsigned e = 0; e < HB_PERF_NEVENTS; e++) {
		if (!probe_result[e].ok)
			continue;
		if ((p->fd[e] = malloc(n * sizeof(int))) == NULL)
			continue;
		p->ok[e] = true;
		for (unsigned i = 0; i < n; i++)
			p->fd[e][i] = -1;
		for (unsigned i = 0; i < n && p->ok[e]; i++) {
			p->fd[e][i] = open_event(e, tids[i],
			    probe_result[e].user_only);
			if (p->fd[e][i] < 0)
				p->ok[e] = false;
		}
		if (!p->ok[e]) {
			for (unsigned i = 0; i < n; i++)
				if (p->fd[e][i] >= 0)
					close(p->fd[e][i]);
			free(p->fd[e]);
			p->fd[e] = NULL;
			continue;
		}
		any = true;
	}
	if (!any) {
		hb_perf_close(p);
		return NULL;
	}
	return p;
}

/* each_fd: ioctl req on every open counter. */
static void
each_fd(struct hb_perf *p, unsigned long req)
{
	if (p == NULL)
		return;
	for (unsigned e = 0; e < HB_PERF_NEVENTS; e++) {
		if (!p->ok[e])
			continue;
		for (unsigned i = 0; i < p->n; i++)
			(void)ioctl(p->fd[e][i], req, 0);
	}
}

void
hb_perf_start(struct hb_perf *p)
{
	each_fd(p, PERF_EVENT_IOC_RESET);
	each_fd(p, PERF_EVENT_IOC_ENABLE);
}

void
hb_perf_stop(struct hb_perf *p)
{
	each_fd(p, PERF_EVENT_IOC_DISABLE);
}

bool
hb_perf_read(const struct hb_perf *p, enum hb_perf_event e, double *value)
{
	double sum = 0;

	if (p == NULL || (unsigned)e >= HB_PERF_NEVENTS || !p->ok[e])
		return false;
	for (unsigned i = 0; i < p->n; i++) {
		uint64_t v[3];	/* value, time_enabled, time_running */
		ssize_t r = read(p->fd[e][i], v, sizeof(v));

		if (r != (ssize_t)sizeof(v))
			return false;
		if (v[2] == 0)
			continue;	/* never scheduled on a counter: 0 */
		if (v[2] < v[1])
			sum += (double)v[0] * ((double)v[1] / (double)v[2]);
		else
			sum += (double)v[0];
	}
	*value = sum;
	return true;
}
