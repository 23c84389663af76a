/*
 * runlock.c: one `ipibench run` at a time (runlock.h).
 *
 * The lock is flock(2)'s, on an open file description of this process
 * only (O_CLOEXEC; ipibench forks nothing that outlives it): whatever
 * ends the process releases it.  What the file says about its holder is
 * a courtesy for the refused run's message, checked against /proc/locks
 * (a holder that could not write leaves an older run's lines behind).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "runlock.h"

#define RUNLOCK_DEFAULT	"/tmp/ipibench.lock"

static int lock_fd = -1;		/* held, or -1 */
static char lock_path[4096];		/* the file held */

/* What is known of the holder; "" where unknown. */
struct holder {
	long	pid;			/* 0: unknown */
	char	started[64];
	char	command[2048];
};

/* time_text: t as local "YYYY-MM-DD HH:MM:SS ZONE", or "unknown". */
static void
time_text(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t < 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, len, "unknown");
}

/*
 * proc_cmdline: /proc/PID/cmdline ("self" or a number) with its words
 * joined by spaces (control characters too), cut to len; "" when it
 * cannot be read.
 */
static void
proc_cmdline(const char *pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;
	size_t n;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	if ((f = fopen(path, "r")) == NULL)
		return;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		if (iscntrl((unsigned char)buf[i]))
			buf[i] = ' ';
	buf[n] = '\0';
}

/*
 * proc_started: when process pid started (its stat's field 22, clock
 * ticks after /proc/stat's btime), or -1 when it cannot be read.
 */
static time_t
proc_started(long pid)
{
	char path[64], buf[1024], *s;
	unsigned long long start, btime = 0;
	long tck = sysconf(_SC_CLK_TCK);
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (tck <= 0 || (f = fopen(path, "r")) == NULL)
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	/* The name in parentheses may hold anything: count from the last
	 * ')', which ends field 2. */
	if (!ok || (s = strrchr(buf, ')')) == NULL)
		return -1;
	for (int field = 2; field < 22 && s != NULL; field++)
		s = strchr(s + 1, ' ');
	if (s == NULL || sscanf(s, "%llu", &start) != 1)
		return -1;
	if ((f = fopen("/proc/stat", "r")) == NULL)
		return -1;
	while (btime == 0 && fgets(buf, sizeof(buf), f) != NULL)
		if (sscanf(buf, "btime %llu", &btime) != 1)
			btime = 0;
	fclose(f);
	return btime == 0 ? -1 : (time_t)(btime + start / (unsigned long long)tck);
}

/*
 * locks_holder: the pid that /proc/locks names as holding a flock(2)
 * lock on the file st describes, or 0 (none, no /proc/locks, or a pid
 * this namespace cannot see).
 */
static long
locks_holder(const struct stat *st)
{
	FILE *f = fopen("/proc/locks", "r");
	char line[256], kind[16];
	unsigned maj, min;
	unsigned long ino;
	long pid = 0, p;

	if (f == NULL)
		return 0;
	/* "1: FLOCK  ADVISORY  WRITE 4242 00:2d:1234 0 EOF"; a waiter's
	 * line has "->" after the number. */
	while (pid == 0 && fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, "->") != NULL ||
		    sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%lu", kind, &p,
		    &maj, &min, &ino) != 5)
			continue;
		if (strcmp(kind, "FLOCK") == 0 && p > 0 &&
		    ino == (unsigned long)st->st_ino &&
		    maj == major(st->st_dev) && min == minor(st->st_dev))
			pid = p;
	}
	fclose(f);
	return pid;
}

/* file_holder: the "pid", "started", "command" lines of the file. */
static void
file_holder(int fd, struct holder *h)
{
	char buf[4096], *save = NULL;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	memset(h, 0, sizeof(*h));
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *l = strtok_r(buf, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "pid ", 4) == 0)
			h->pid = strtol(l + 4, NULL, 10);
		else if (strncmp(l, "started ", 8) == 0)
			snprintf(h->started, sizeof(h->started), "%s", l + 8);
		else if (strncmp(l, "command ", 8) == 0)
			snprintf(h->command, sizeof(h->command), "%s", l + 8);
	}
	/* Anyone may write the file: no control bytes to the terminal. */
	for (char *c = h->started; *c != '\0'; c++)
		if (iscntrl((unsigned char)*c))
			*c = '?';
	for (char *c = h->command; *c != '\0'; c++)
		if (iscntrl((unsigned char)*c))
			*c = '?';
}

/*
 * holder_text: who holds the lock on fd's file (st), for the refused
 * run's message: the file's lines when /proc/locks agrees (or says
 * nothing and their pid lives), else what /proc says of the pid
 * /proc/locks names, else unknown.
 */
static void
holder_text(int fd, const struct stat *st, char *buf, size_t len)
{
	struct holder h;
	long locker = locks_holder(st);
	char pid[24];

	file_holder(fd, &h);
	if (locker > 0 && locker != h.pid) {
		memset(&h, 0, sizeof(h));
		h.pid = locker;
		snprintf(pid, sizeof(pid), "%ld", locker);
		proc_cmdline(pid, h.command, sizeof(h.command));
		time_text(proc_started(locker), h.started, sizeof(h.started));
	} else if (locker == 0 && h.pid > 0 && kill((pid_t)h.pid, 0) != 0 &&
	    errno == ESRCH) {
		h.pid = 0;	/* an older run's lines */
	}
	if (h.pid <= 0) {
		snprintf(buf, len, "a process unknown (neither the file nor "
		    "/proc/locks names it)");
		return;
	}
	snprintf(buf, len, "pid %ld, started %s, command: %s", h.pid,
	    h.started[0] != '\0' ? h.started : "unknown",
	    h.command[0] != '\0' ? h.command : "unknown");
}

/* write_holder: this process's lines into the file (fd writable). */
static void
write_holder(int fd, const char *path)
{
	char cmd[2048], when[64], buf[2300];
	int n;

	proc_cmdline("self", cmd, sizeof(cmd));
	time_text(time(NULL), when, sizeof(when));
	n = snprintf(buf, sizeof(buf), "pid %ld\nstarted %s\ncommand %s\n",
	    (long)getpid(), when, cmd[0] != '\0' ? cmd : "unknown");
	if (n >= (int)sizeof(buf))
		n = (int)sizeof(buf) - 1;
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		fprintf(stderr, "ipibench run: warning: the run lock %s: "
		    "cannot note this run in it: %s (the lock holds)\n", path,
		    strerror(errno));
}

int
hb_runlock_take(void)
{
	const char *path = getenv("IPIBENCH_LOCK");
	int fd, flags = O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
	bool writable = true;
	struct stat st;
	char who[3072];

	if (lock_fd >= 0)
		return 0;
	if (path == NULL || *path == '\0')
		path = RUNLOCK_DEFAULT;
	/* O_NOFOLLOW: a link planted in /tmp is never followed and
	 * truncated; O_NONBLOCK: a FIFO there never blocks the open.
	 * Created 0666 whatever the umask, so that every user's runs share
	 * it; an existing file keeps its mode. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | flags, 0666)) >= 0) {
		(void)fchmod(fd, 0666);
	} else {
		int e = errno;

		fd = open(path, O_RDWR | flags);
		if (fd < 0 && (errno == EACCES || errno == EPERM ||
		    errno == EROFS)) {
			/* Another user's file, not writable: a read-only
			 * descriptor locks it as well. */
			writable = false;
			fd = open(path, O_RDONLY | flags);
		}
		if (fd < 0 && errno == ENOENT)
			errno = e;	/* why it could not be created */
	}
	if (fd < 0) {
		fprintf(stderr, "ipibench run: the run lock %s: %s (one run at "
		    "a time: IPIBENCH_LOCK may name another file)\n", path,
		    strerror(errno));
		return 2;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "ipibench run: the run lock %s: not a regular "
		    "file (IPIBENCH_LOCK may name another file)\n", path);
		close(fd);
		return 2;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		if (e == EWOULDBLOCK) {
			holder_text(fd, &st, who, sizeof(who));
			fprintf(stderr, "ipibench run: another run holds the "
			    "run lock %s: %s.  Two runs on one machine spoil "
			    "each other's timings: wait for it to finish, then "
			    "run again (exit status 75: try again later).\n",
			    path, who);
		} else {
			fprintf(stderr, "ipibench run: the run lock %s: flock: "
			    "%s\n", path, strerror(e));
		}
		close(fd);
		return e == EWOULDBLOCK ? HB_RUNLOCK_BUSY : 2;
	}
	if (writable)
		write_holder(fd, path);
	lock_fd = fd;
	snprintf(lock_path, sizeof(lock_path), "%s", path);
	return 0;
}

bool
hb_runlock_held(void)
{
	return lock_fd >= 0;
}

void
hb_runlock_describe(char *buf, size_t len)
{
	if (lock_fd >= 0)
		snprintf(buf, len, "%s (held for the run: other ipibench runs "
		    "refused)", lock_path);
	else
		snprintf(buf, len, "none (not taken)");
}
