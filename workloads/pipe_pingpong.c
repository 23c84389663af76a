/*
 * pipe_pingpong.c: the `pipe_pingpong` yardstick: both sides sleep in
 * read() of a pipe, as `perf bench sched pipe` does.  The sender writes
 * one byte into the request pipe and blocks reading the answer pipe; the
 * responder blocks reading the request pipe and writes the byte back.
 * A 'q' on the request pipe tells the responder to return.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/workload.h"
#include "yardstick.h"

struct pipe_pingpong {
	int	req[2];		/* sender -> responder */
	int	ans[2];		/* responder -> sender */
	int	broken;		/* an I/O error: the errno, seen by the op */
};

/* pp_read1, pp_write1: one byte, retrying on EINTR; 0 or an errno. */
static int
pp_read1(int fd, char *c)
{
	ssize_t r;

	while ((r = read(fd, c, 1)) == -1 && errno == EINTR)
		continue;
	return r == 1 ? 0 : r == 0 ? EPIPE : errno;
}

static int
pp_write1(int fd, char c)
{
	ssize_t r;

	while ((r = write(fd, &c, 1)) == -1 && errno == EINTR)
		continue;
	return r == 1 ? 0 : errno;
}

/* pp_serve: on dst: echo every byte until 'q' (or an error). */
static void
pp_serve(void *arg)
{
	struct pipe_pingpong *pp = arg;
	char c;

	for (;;) {
		if (pp_read1(pp->req[0], &c) != 0 || c == 'q')
			return;
		if (pp_write1(pp->ans[1], c) != 0)
			return;
	}
}

static void
pp_stop(void *arg)
{
	struct pipe_pingpong *pp = arg;

	(void)pp_write1(pp->req[1], 'q');
}

/* pp_op: on src: one byte there and back. */
static uint64_t
pp_op(void *arg)
{
	struct pipe_pingpong *pp = arg;
	uint64_t t0, t1;
	char c = 'x';
	int error;

	YS_DRAIN();
	t0 = hb_now();
	if ((error = pp_write1(pp->req[1], c)) == 0)
		error = pp_read1(pp->ans[0], &c);
	t1 = hb_now();
	if (error != 0 && pp->broken == 0)
		pp->broken = error;
	return t1 - t0;
}

static void
pp_close(struct pipe_pingpong *pp)
{
	for (int i = 0; i < 2; i++) {
		if (pp->req[i] != -1)
			close(pp->req[i]);
		if (pp->ans[i] != -1)
			close(pp->ans[i]);
	}
}

static void
pp_body(struct hb_bench *b, void *arg)
{
	struct pipe_pingpong *pp = ys_alloc(sizeof(*pp));
	struct hb_op op = { .op = pp_op };

	if (pp == NULL) {
		hb_bench_error(b, "pipe_pingpong: out of memory");
		return;
	}
	pp->req[0] = pp->req[1] = pp->ans[0] = pp->ans[1] = -1;
	if (pipe2(pp->req, O_CLOEXEC) == -1 || pipe2(pp->ans, O_CLOEXEC) == -1) {
		hb_bench_error(b, "pipe_pingpong: pipe2: %s", strerror(errno));
		pp_close(pp);
		free(pp);
		return;
	}
	op.arg = pp;
	if (ys_run(b, arg, &op, pp_serve, pp_stop, pp)) {
		if (pp->broken != 0)
			hb_bench_error(b, "pipe_pingpong: pipe I/O: %s",
			    strerror(pp->broken));
		pp_close(pp);
		free(pp);
	}
}

static void
pp_add(const struct hb_run *run, const struct hb_group *g)
{
	ys_add_pairs(run, g, pp_body);
}

const struct hb_workload hb_workload_pipe_pingpong = {
	.name = "pipe_pingpong",
	.summary = "yardstick: pipe round trip, both sides sleep in read() "
	    "(perf bench sched pipe)",
	.yardstick = true,
	.kind = HB_KIND_LATENCY,
	.keys = YS_PAIR_KEYS,
	.add = pp_add,
};
