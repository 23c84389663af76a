/*
 * indep_pingpong.c: an independent referee for ipibench's `pingpong` and
 * `futex_wake` yardsticks (workloads/pingpong.c, workloads/wake.c).
 *
 * It shares no code with harness/, ipi/ or workloads/: only libc, the
 * futex system call and /proc.  tests/test_independent.sh compiles it
 * on its own and compares its p50 with ipibench's.
 *
 *   indep_pingpong [-n SAMPLES] [-w WARMUP] [-c mono|tsc] [-b] [-T SECONDS]
 *                  pingpong|futex SENDER_PU RESPONDER_PU
 *
 * Two threads, each pinned with pthread_setaffinity_np() to one PU (and
 * checked with sched_getcpu()).  One operation, timed on its own:
 *
 *   pingpong  the sender stores seq+1 into a shared 64-byte line and
 *             spins until the responder, spinning on the same line, has
 *             answered seq+2: one round trip, two cache-line transfers.
 *             Neither side pauses while it spins.
 *   futex     the responder blocks in FUTEX_WAIT on a 32-bit request
 *             word.  Before each operation, untimed, the sender waits
 *             until the responder's thread state in
 *             /proc/self/task/TID/stat is 'S' (really blocked); then,
 *             timed, it stores the next request, calls FUTEX_WAKE and
 *             spins (no pause) until the responder's acknowledgement.
 *             With -b it spins as NetBSD's SPINLOCK_BACKOFF does (and
 *             ipibench's futex_wake, like ipi_wait()): 4 PAUSEs between
 *             two looks at the ack, doubling up to 128.  On a CPU whose
 *             PAUSE takes 25 ns (AMD Zen) the ack is then seen up to
 *             3.2 us late, on a grid of looks that a p50 snaps to: the
 *             difference between the two is what the backoff costs.
 *
 * WARMUP operations run first, untimed; then SAMPLES timed ones.  Output
 * (stdout), one figure a line, the p50 (median) in ns among them:
 *
 *   p50_ns 123.4
 *
 * Exit status: 0 measured, 1 run-time failure (a PU not allowed, a
 * system call failed, the time limit), 2 bad arguments.
 *
 * Timing.  Each operation is bracketed by two reads of the clock:
 *  - mono (default): clock_gettime(CLOCK_MONOTONIC), the vDSO's read of
 *    the TSC where the clocksource allows; Linux orders that read
 *    (rdtsc_ordered: LFENCE;RDTSC or RDTSCP), so the closing stamp is not
 *    taken before the load that saw the answer.  No calibration.
 *  - tsc (x86-64 only): RDTSCP;LFENCE, its rate measured here against
 *    CLOCK_MONOTONIC over ~100 ms.  A second instrument to check the
 *    first with.
 * Neither orders earlier *stores*: x86 commits stores in order, so the
 * operation's first store would wait, inside the sample, for the
 * bookkeeping stores just before it (the previous sample).  A seq_cst
 * fence (MFENCE) before the opening stamp drains them.  The cost of an
 * empty bracket (the median of back-to-back stamp pairs) is printed as
 * timer_overhead_ns; it is NOT subtracted (ipibench does not either).
 *
 * Why the futex request word is also the futex: the responder waits
 * with FUTEX_WAIT(&req, last_seen), which the kernel only sleeps on
 * while req still equals last_seen, atomically with queueing the
 * waiter.  A request stored before the wait makes it return EAGAIN at
 * once; one stored after finds the waiter queued and FUTEX_WAKE wakes
 * it.  No wake-up can be lost, with no extra flag.
 */
#define	_GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#define	LINE		64
#define	BLOCK		(2 * LINE)	/* prefetchers fetch aligned pairs
					 * of lines */
#define	MAX_SAMPLES	100000000ul	/* keeps futex sequence numbers
					 * far from FUTEX_STOP */
#define	PP_STOP		UINT64_MAX	/* odd: never a pingpong request */
#define	FUTEX_STOP	UINT32_MAX
#define	STAT_TRIES	100000		/* reads of the stat file per op */

enum mode { MODE_PINGPONG, MODE_FUTEX };
enum clk { CLK_MONO, CLK_TSC };

/*
 * What the two threads share.  Every field that one side writes while
 * the other polls has a 128-byte block of its own (an aligned pair of
 * lines: adjacent-line prefetchers fetch both), so that the only
 * cache-line traffic of a pingpong round trip is the line measured.
 */
struct shared {
	_Alignas(BLOCK) _Atomic uint64_t seq;	/* pingpong: the one line */
	_Alignas(BLOCK) _Atomic uint32_t req;	/* futex: sender writes,
						 * the futex word */
	_Alignas(BLOCK) _Atomic uint32_t ack;	/* futex: responder writes */
	_Alignas(BLOCK) _Atomic int ready;	/* responder pinned (1), or
						 * failed (-1) */
	_Atomic pid_t resp_tid;			/* written before ready */
	_Alignas(BLOCK) char pad[BLOCK];	/* nothing else on ready's */
};

struct config {
	enum mode	mode;
	enum clk	clk;
	int		cpu_send, cpu_resp;
	unsigned long	samples, warmup;
	unsigned	limit_s;
	bool		backoff;	/* futex: -b */
};

static struct shared *sh;
static struct config cfg;
static uint64_t *samples;		/* raw clock units, sender only */
static double ns_per_unit = 1.0;	/* 1 for mono */
static unsigned long not_blocked;	/* futex: ops that never saw 'S' */
static int sender_failed;

static const char *progname = "indep_pingpong";

static _Noreturn void
usage(void)
{
	fprintf(stderr,
	    "usage: %s [-n SAMPLES] [-w WARMUP] [-c mono|tsc] [-b] "
	    "[-T SECONDS]\n"
	    "       %*s pingpong|futex SENDER_PU RESPONDER_PU\n"
	    "  pingpong  round trip on one shared cache line (both spin)\n"
	    "  futex     wake a FUTEX_WAIT sleeper, spin for its ack\n"
	    "  -n        timed operations (default 100000 pingpong, "
	    "4000 futex)\n"
	    "  -w        untimed warm-up operations (default 10000 "
	    "pingpong, 200 futex)\n"
	    "  -c        clock: mono = clock_gettime(CLOCK_MONOTONIC) "
	    "(default),\n"
	    "            tsc = RDTSCP (x86-64), rate measured against "
	    "CLOCK_MONOTONIC\n"
	    "  -b        futex: spin for the ack with NetBSD's "
	    "SPINLOCK_BACKOFF (4..128\n"
	    "            PAUSEs between looks, as ipibench's futex_wake "
	    "does); default:\n"
	    "            look without pausing\n"
	    "  -T        give up (exit 1) after SECONDS (default 60)\n"
	    "prints p50_ns (and other figures), one per line\n",
	    progname, (int)strlen(progname), "");
	exit(2);
}

/* parse_ul: all of s as a decimal number in [lo, hi], or usage(). */
static unsigned long
parse_ul(const char *s, unsigned long lo, unsigned long hi, const char *what)
{
	char *end;
	unsigned long v;

	if (s[0] < '0' || s[0] > '9') {
		fprintf(stderr, "%s: %s: not a number: '%s'\n", progname,
		    what, s);
		usage();
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "%s: %s: '%s' is not a number in %lu..%lu\n",
		    progname, what, s, lo, hi);
		usage();
	}
	return v;
}

/* die: "PROG: what[: strerror(err)]", exit 1 (err 0: no strerror). */
static _Noreturn void
die(const char *what, int err)
{
	if (err != 0)
		fprintf(stderr, "%s: %s: %s\n", progname, what, strerror(err));
	else
		fprintf(stderr, "%s: %s\n", progname, what);
	exit(1);
}

static void
on_alarm(int sig)
{
	static const char msg[] = "indep_pingpong: time limit reached "
	    "(a thread did not make progress)\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

/*
 * The clock.
 */
static inline uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__)
static inline uint64_t
tsc_read(void)
{
	unsigned aux;
	uint64_t t = __rdtscp(&aux);	/* after earlier loads completed */

	_mm_lfence();			/* before later instructions start */
	return t;
}
#endif

/* stamp: the current time in clock units (ns for mono, ticks for tsc). */
static inline uint64_t
stamp(void)
{
#if defined(__x86_64__)
	if (cfg.clk == CLK_TSC)
		return tsc_read();
#endif
	return mono_ns();
}

/* calibrate_tsc: ns per TSC tick, measured against CLOCK_MONOTONIC. */
static void
calibrate_tsc(void)
{
#if defined(__x86_64__)
	uint64_t t0 = 0, t1 = 0, m0 = 0, m1 = 0, best;
	struct timespec pause = { 0, 100000000 };	/* 100 ms */

	/* Each end: the tightest of a few TSC-bracketed clock reads. */
	best = UINT64_MAX;
	for (int i = 0; i < 20; i++) {
		uint64_t a = tsc_read(), m = mono_ns(), b = tsc_read();

		if (b - a < best) {
			best = b - a;
			t0 = a + (b - a) / 2;
			m0 = m;
		}
	}
	while (nanosleep(&pause, &pause) == -1 && errno == EINTR)
		continue;
	best = UINT64_MAX;
	for (int i = 0; i < 20; i++) {
		uint64_t a = tsc_read(), m = mono_ns(), b = tsc_read();

		if (b - a < best) {
			best = b - a;
			t1 = a + (b - a) / 2;
			m1 = m;
		}
	}
	if (t1 <= t0 || m1 <= m0)
		die("the TSC does not advance", 0);
	ns_per_unit = (double)(m1 - m0) / (double)(t1 - t0);
#else
	die("-c tsc: only on x86-64", 0);
#endif
}

/* pin: bind the calling thread to cpu and check it runs there. */
static int
pin(int cpu)
{
	cpu_set_t set;
	int rc;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if ((rc = pthread_setaffinity_np(pthread_self(), sizeof(set),
	    &set)) != 0) {
		fprintf(stderr, "%s: pthread_setaffinity_np(PU %d): %s\n",
		    progname, cpu, strerror(rc));
		return -1;
	}
	/* The kernel migrates the thread before returning; check anyway. */
	if (sched_getcpu() != cpu) {
		fprintf(stderr, "%s: pinned to PU %d but running on %d\n",
		    progname, cpu, sched_getcpu());
		return -1;
	}
	return 0;
}

/* cpu_relax: what SPINLOCK_BACKOFF spins on (x86 PAUSE, arm64 YIELD). */
static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm volatile("yield" ::: "memory");
#else
	__asm volatile("" ::: "memory");
#endif
}

static long
futex(_Atomic uint32_t *uaddr, int op, uint32_t val)
{
	return syscall(SYS_futex, (uint32_t *)uaddr, op, val, NULL, NULL, 0);
}

/*
 * The responder.
 */
static void
serve_pingpong(void)
{
	uint64_t want = 1, v;

	for (;;) {
		v = atomic_load_explicit(&sh->seq, memory_order_acquire);
		if (v == want) {
			atomic_store_explicit(&sh->seq, v + 1,
			    memory_order_release);
			want += 2;
		} else if (v == PP_STOP)
			return;
	}
}

static void
serve_futex(void)
{
	uint32_t last = 0, v;

	for (;;) {
		v = atomic_load_explicit(&sh->req, memory_order_acquire);
		if (v == FUTEX_STOP)
			return;
		if (v != last) {
			last = v;
			atomic_store_explicit(&sh->ack, v,
			    memory_order_release);
			continue;
		}
		/*
		 * Sleeps only while req == last (checked by the kernel under
		 * its lock).  0, EAGAIN, EINTR: loop and look again.
		 */
		if (futex(&sh->req, FUTEX_WAIT_PRIVATE, last) == -1 &&
		    errno != EAGAIN && errno != EINTR) {
			perror("indep_pingpong: FUTEX_WAIT");
			_exit(1);
		}
	}
}

static void *
responder(void *arg)
{
	(void)arg;
	atomic_store_explicit(&sh->resp_tid, (pid_t)syscall(SYS_gettid),
	    memory_order_relaxed);
	if (pin(cfg.cpu_resp) != 0) {
		atomic_store_explicit(&sh->ready, -1, memory_order_release);
		return NULL;
	}
	atomic_store_explicit(&sh->ready, 1, memory_order_release);
	if (cfg.mode == MODE_PINGPONG)
		serve_pingpong();
	else
		serve_futex();
	return NULL;
}

/*
 * The sender.
 */

/* pingpong_ops: n round trips; their times into out (NULL: untimed). */
static void
pingpong_ops(uint64_t *next, unsigned long n, uint64_t *out)
{
	uint64_t seq = *next, t0, t1;

	for (unsigned long i = 0; i < n; i++) {
		atomic_thread_fence(memory_order_seq_cst);	/* drain */
		t0 = stamp();
		atomic_store_explicit(&sh->seq, seq + 1,
		    memory_order_release);
		while (atomic_load_explicit(&sh->seq, memory_order_acquire)
		    != seq + 2)
			continue;
		t1 = stamp();
		seq += 2;
		if (out != NULL)
			out[i] = t1 - t0;
	}
	*next = seq;
}

/*
 * blocked: wait until the responder's thread state is 'S'.
 * => true when seen within STAT_TRIES reads of its stat file.
 */
static bool
blocked(int statfd)
{
	char buf[1024];

	for (unsigned i = 0; i < STAT_TRIES; i++) {
		ssize_t r = pread(statfd, buf, sizeof(buf) - 1, 0);
		char *p;

		if (r <= 0)
			die("reading the responder's stat file",
			    r < 0 ? errno : 0);
		buf[r] = '\0';
		/* "tid (comm) S ...": comm may hold ')', the state follows
		 * the last one. */
		if ((p = strrchr(buf, ')')) != NULL && p[1] == ' ' &&
		    p[2] == 'S')
			return true;
	}
	return false;
}

/* futex_ops: n wake-ups; their times into out (NULL: untimed). */
static void
futex_ops(uint32_t *next, unsigned long n, uint64_t *out, int statfd)
{
	uint32_t k = *next;
	uint64_t t0, t1;

	for (unsigned long i = 0; i < n; i++) {
		/* Untimed: the previous request was acknowledged (the
		 * responder is back on its way to FUTEX_WAIT) ... */
		while (atomic_load_explicit(&sh->ack, memory_order_acquire)
		    != k)
			continue;
		/* ... and it is blocked there. */
		if (!blocked(statfd))
			not_blocked++;
		k++;
		atomic_thread_fence(memory_order_seq_cst);	/* drain */
		t0 = stamp();
		atomic_store_explicit(&sh->req, k, memory_order_release);
		if (futex(&sh->req, FUTEX_WAKE_PRIVATE, 1) == -1)
			die("FUTEX_WAKE", errno);
		if (cfg.backoff) {
			unsigned pauses = 4;

			while (atomic_load_explicit(&sh->ack,
			    memory_order_acquire) != k) {
				for (unsigned j = 0; j < pauses; j++)
					cpu_relax();
				if (pauses < 128)
					pauses *= 2;
			}
		} else {
			while (atomic_load_explicit(&sh->ack,
			    memory_order_acquire) != k)
				continue;
		}
		t1 = stamp();
		if (out != NULL)
			out[i] = t1 - t0;
	}
	*next = k;
}

static void *
sender(void *arg)
{
	int r;

	(void)arg;
	if (pin(cfg.cpu_send) != 0) {
		sender_failed = 1;
		/* Let the responder go: it may be spinning or sleeping. */
		atomic_store_explicit(&sh->seq, PP_STOP, memory_order_release);
		atomic_store_explicit(&sh->req, FUTEX_STOP,
		    memory_order_release);
		futex(&sh->req, FUTEX_WAKE_PRIVATE, 1);
		return NULL;
	}
	while ((r = atomic_load_explicit(&sh->ready, memory_order_acquire))
	    == 0)
		continue;
	if (r < 0) {
		sender_failed = 1;
		return NULL;
	}
	if (cfg.mode == MODE_PINGPONG) {
		uint64_t next = 0;

		pingpong_ops(&next, cfg.warmup, NULL);
		pingpong_ops(&next, cfg.samples, samples);
		atomic_store_explicit(&sh->seq, PP_STOP, memory_order_release);
	} else {
		char path[64];
		uint32_t next = 0;
		int fd;

		snprintf(path, sizeof(path), "/proc/self/task/%d/stat",
		    (int)atomic_load_explicit(&sh->resp_tid,
		    memory_order_relaxed));
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			die(path, errno);
		futex_ops(&next, cfg.warmup, NULL, fd);
		not_blocked = 0;	/* count the timed operations only */
		futex_ops(&next, cfg.samples, samples, fd);
		close(fd);
		atomic_store_explicit(&sh->req, FUTEX_STOP,
		    memory_order_release);
		if (futex(&sh->req, FUTEX_WAKE_PRIVATE, 1) == -1)
			die("FUTEX_WAKE", errno);
	}
	return NULL;
}

/*
 * Statistics.
 */
static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* quantile: of n sorted values, linear interpolation between ranks. */
static double
quantile(const uint64_t *v, unsigned long n, double q)
{
	double pos = q * (double)(n - 1);
	unsigned long i = (unsigned long)pos;
	double f = pos - (double)i;

	if (i + 1 >= n)
		return (double)v[n - 1];
	return (double)v[i] + f * ((double)v[i + 1] - (double)v[i]);
}

/* timer_overhead: the median of back-to-back stamp pairs, in units. */
static double
timer_overhead(void)
{
	enum { PAIRS = 10001 };
	static uint64_t d[PAIRS];

	for (int i = 0; i < PAIRS; i++) {
		uint64_t a, b;

		atomic_thread_fence(memory_order_seq_cst);
		a = stamp();
		b = stamp();
		d[i] = b - a;
	}
	qsort(d, PAIRS, sizeof(d[0]), cmp_u64);
	return (double)d[PAIRS / 2];
}

int
main(int argc, char **argv)
{
	pthread_t ts, tr;
	cpu_set_t allowed;
	double ovh;
	bool nset = false, wset = false;
	int c, rc;

	if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
		const char *s = strrchr(argv[0], '/');

		progname = s != NULL ? s + 1 : argv[0];
	}
	cfg.clk = CLK_MONO;
	cfg.limit_s = 60;
	while ((c = getopt(argc, argv, "n:w:c:bT:h")) != -1) {
		switch (c) {
		case 'b':
			cfg.backoff = true;
			break;
		case 'n':
			cfg.samples = parse_ul(optarg, 1, MAX_SAMPLES, "-n");
			nset = true;
			break;
		case 'w':
			cfg.warmup = parse_ul(optarg, 0, MAX_SAMPLES, "-w");
			wset = true;
			break;
		case 'c':
			if (strcmp(optarg, "mono") == 0)
				cfg.clk = CLK_MONO;
			else if (strcmp(optarg, "tsc") == 0)
				cfg.clk = CLK_TSC;
			else {
				fprintf(stderr, "%s: -c: mono or tsc, not "
				    "'%s'\n", progname, optarg);
				usage();
			}
			break;
		case 'T':
			cfg.limit_s = (unsigned)parse_ul(optarg, 1, 86400,
			    "-T");
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3)
		usage();
	if (strcmp(argv[optind], "pingpong") == 0)
		cfg.mode = MODE_PINGPONG;
	else if (strcmp(argv[optind], "futex") == 0)
		cfg.mode = MODE_FUTEX;
	else {
		fprintf(stderr, "%s: mode: pingpong or futex, not '%s'\n",
		    progname, argv[optind]);
		usage();
	}
	cfg.cpu_send = (int)parse_ul(argv[optind + 1], 0, CPU_SETSIZE - 1,
	    "SENDER_PU");
	cfg.cpu_resp = (int)parse_ul(argv[optind + 2], 0, CPU_SETSIZE - 1,
	    "RESPONDER_PU");
	if (cfg.backoff && cfg.mode != MODE_FUTEX) {
		fprintf(stderr, "%s: -b: only in the futex mode (pingpong "
		    "never pauses)\n", progname);
		usage();
	}
	if (cfg.cpu_send == cfg.cpu_resp) {
		fprintf(stderr, "%s: the two PUs must differ\n", progname);
		usage();
	}
#if !defined(__x86_64__)
	if (cfg.clk == CLK_TSC) {
		fprintf(stderr, "%s: -c tsc: only on x86-64\n", progname);
		usage();
	}
#endif
	if (!nset)
		cfg.samples = cfg.mode == MODE_PINGPONG ? 100000 : 4000;
	if (!wset)
		cfg.warmup = cfg.mode == MODE_PINGPONG ? 10000 : 200;
	if (cfg.mode == MODE_FUTEX && cfg.samples + cfg.warmup > MAX_SAMPLES)
		die("-n + -w: too many operations for the futex mode", 0);

	/* Both PUs must be ours to use (affinity mask, cpuset). */
	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
		die("sched_getaffinity", errno);
	if (!CPU_ISSET(cfg.cpu_send, &allowed) ||
	    !CPU_ISSET(cfg.cpu_resp, &allowed)) {
		fprintf(stderr, "%s: PU %d or %d is not in this process's "
		    "affinity mask\n", progname, cfg.cpu_send, cfg.cpu_resp);
		return 1;
	}

	signal(SIGALRM, on_alarm);
	alarm(cfg.limit_s);

	if ((sh = aligned_alloc(BLOCK, sizeof(*sh))) == NULL ||
	    (samples = malloc(cfg.samples * sizeof(*samples))) == NULL)
		die("out of memory", 0);
	memset(sh, 0, sizeof(*sh));
	memset(samples, 0, cfg.samples * sizeof(*samples));	/* fault in */

	if (cfg.clk == CLK_TSC)
		calibrate_tsc();
	/* The timer's own cost, measured on the sender's PU. */
	if (pin(cfg.cpu_send) != 0)
		return 1;
	ovh = timer_overhead() * ns_per_unit;

	if ((rc = pthread_create(&tr, NULL, responder, NULL)) != 0 ||
	    (rc = pthread_create(&ts, NULL, sender, NULL)) != 0)
		die("pthread_create", rc);
	pthread_join(ts, NULL);
	pthread_join(tr, NULL);
	alarm(0);
	if (sender_failed)
		return 1;

	qsort(samples, cfg.samples, sizeof(*samples), cmp_u64);
	printf("mode %s sender_pu %d responder_pu %d clock %s spin %s\n",
	    cfg.mode == MODE_PINGPONG ? "pingpong" : "futex",
	    cfg.cpu_send, cfg.cpu_resp, cfg.clk == CLK_MONO ? "mono" : "tsc",
	    cfg.backoff ? "backoff" : "plain");
	printf("samples %lu warmup %lu\n", cfg.samples, cfg.warmup);
	printf("timer_overhead_ns %.1f\n", ovh);
	printf("min_ns %.1f\n", (double)samples[0] * ns_per_unit);
	printf("p50_ns %.1f\n", quantile(samples, cfg.samples, 0.50) *
	    ns_per_unit);
	printf("p90_ns %.1f\n", quantile(samples, cfg.samples, 0.90) *
	    ns_per_unit);
	printf("p99_ns %.1f\n", quantile(samples, cfg.samples, 0.99) *
	    ns_per_unit);
	printf("max_ns %.1f\n", (double)samples[cfg.samples - 1] *
	    ns_per_unit);
	if (cfg.mode == MODE_FUTEX)
		printf("blocked_per_op %.4f\n", 1.0 - (double)not_blocked /
		    (double)cfg.samples);
	free(samples);
	free(sh);
	return fflush(stdout) == 0 ? 0 : 1;
}
