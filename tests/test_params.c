/*
 * test_params.c: the parameters of a run (harness/params.c): defaults,
 * a good INI file, every error a config can make (named by file, line
 * and key, parameters left unchanged), flags over a config, the config
 * a run writes read back, and lists of counts resolved.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/params.h"


/* pk: pick k of table t as "a,b,c" (a static buffer: one per call site). */
#define	pk(k, t)	pick_text(k, t, (char[512]){ 0 })

static const char *
pick_text(const struct hb_pick *k, const struct hb_names *t, char *buf)
{
	hb_pick_format(k, t, buf, 512);
	return buf;
}

/* every_backend: every backend of the table, as "a,b,c". */
static const char *
every_backend(void)
{
	static char buf[512];
	size_t o = 0;

	for (unsigned i = 0; ipi_backends[i] != NULL; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
		    i > 0 ? "," : "", ipi_backends[i]->name);
	return buf;
}

static char dir[64];

static void
mkdir_tmp(void)
{
	strcpy(dir, "/tmp/test_params.XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static void
rm_tmp(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(params, .init = mkdir_tmp, .fini = rm_tmp, .timeout = 10);

/* write_file: dir/name with text; returns the path (static buffer). */
static const char *
write_file(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	return path;
}

/*
 * load_fails: loading text fails with an error that contains every
 * string of want[], and p still holds the defaults.
 */
static void
load_fails(const char *text, const char *const want[])
{
	struct hb_params p;
	char err[1024] = "";
	const char *path = write_file("bad.ini", text);

	hb_params_init(&p);
	cr_assert_eq(hb_params_load(&p, path, err, sizeof(err)), -1,
	    "loading <<%s>> should fail", text);
	for (unsigned i = 0; want[i] != NULL; i++)
		cr_expect(strstr(err, want[i]) != NULL,
		    "error '%s' should contain '%s'", err, want[i]);
	cr_expect_eq(p.repetitions, 3, "parameters unchanged by a bad file");
	cr_expect_str_eq(pk(&p.backends, &hb_backend_names), every_backend());
	cr_expect_eq(p.matrix, false);
	hb_params_free(&p);
}

Test(params, defaults)
{
	struct hb_params p;
	unsigned v[8];

	hb_params_init(&p);
	cr_expect_null(p.topology);
	cr_expect_null(p.cpus);
	cr_expect_eq(p.no_smt, false);
	cr_expect_eq(p.force, false);
	cr_expect_str_eq(pk(&p.backends, &hb_backend_names), every_backend());
	cr_expect_str_eq(pk(&p.placements, &hb_placement_names), "local");
	cr_expect_eq(p.workloads.n, 0, "empty means every workload");
	cr_expect_eq(p.repetitions, 3);
	cr_expect_float_eq(p.min_time, 0.2, 1e-12);
	cr_expect_eq(p.batch, 1000);
	cr_expect_eq(p.timeout, 30);
	cr_expect_eq(p.yardsticks, true);
	cr_expect_eq(p.perf, true);
	cr_expect_eq(p.matrix, false);
	cr_expect_eq(p.fanout.kind, HB_ULIST_POW2);
	cr_expect_str_eq(pk(&p.orders, &hb_order_names), "near,spread");
	cr_expect_eq(p.broadcast_n.kind, HB_ULIST_POW2);
	cr_expect_eq(p.senders.kind, HB_ULIST_POW2);
	cr_expect_eq(hb_ulist_resolve(&p.burst, 100, v, 8), 3);
	cr_expect(v[0] == 1 && v[1] == 8 && v[2] == 16);
	cr_expect_eq(hb_ulist_resolve(&p.handler_ns, 1000000, v, 8), 3);
	cr_expect(v[0] == 0 && v[1] == 100 && v[2] == 1000);
	hb_params_free(&p);
}

Test(params, every_default_passes_its_own_check)
{
	struct hb_params p;
	char err[512];

	hb_params_init(&p);
	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++)
		cr_expect_eq(hb_param_set(&p, q->key, q->defval, err,
		    sizeof(err)), 0, "default of %s: %s", q->key, err);
	hb_params_free(&p);
}

Test(params, good_file)
{
	struct hb_params p;
	char err[512] = "";
	unsigned v[HB_ULIST_MAX];
	const char *path = write_file("good.ini",
	    "; a comment\n"
	    "# another comment\n"
	    "[machine]\n"
	    "cpus = 0-1\n"
	    "no_smt = yes\n"
	    "force = off\n"
	    "\n"
	    "[run]\n"
	    "backends = futex, eventfd   ; inline comment\n"
	    "placements = local,single\n"
	    "workloads = \n"
	    "repetitions = 5\n"
	    "min_time = 0.05\n"
	    "batch = 100\n"
	    "timeout = 10\n"
	    "yardsticks = false\n"
	    "perf = 0\n"
	    "[unicast]\n"
	    "matrix = true\n"
	    "[multicast]\n"
	    "fanout = 1,2,3\n"
	    "orders = spread\n"
	    "[broadcast]\n"
	    "broadcast_n = all\n"
	    "[mboxfull]\n"
	    "senders = 1\n"
	    "burst = 4,12\n"
	    "handler_ns = 0\n");

	hb_params_init(&p);
	cr_assert_eq(hb_params_load(&p, path, err, sizeof(err)), 0, "%s", err);
	cr_expect_null(p.topology);
	cr_expect_str_eq(p.cpus, "0-1");
	cr_expect_eq(p.no_smt, true);
	cr_expect_eq(p.force, false);
	cr_expect_str_eq(pk(&p.backends, &hb_backend_names), "futex,eventfd");
	cr_expect_str_eq(pk(&p.placements, &hb_placement_names),
	    "local,single");
	cr_expect_eq(p.workloads.n, 0);
	cr_expect_eq(p.repetitions, 5);
	cr_expect_float_eq(p.min_time, 0.05, 1e-12);
	cr_expect_eq(p.batch, 100);
	cr_expect_eq(p.timeout, 10);
	cr_expect_eq(p.yardsticks, false);
	cr_expect_eq(p.perf, false);
	cr_expect_eq(p.matrix, true);
	cr_expect_eq(hb_ulist_resolve(&p.fanout, 64, v, HB_ULIST_MAX), 3);
	cr_expect_str_eq(pk(&p.orders, &hb_order_names), "spread");
	cr_expect_eq(p.broadcast_n.kind, HB_ULIST_ALL);
	cr_expect_eq(p.senders.n, 1);
	cr_expect_eq(p.senders.v[0], 1);
	cr_expect_eq(p.burst.n, 2);
	cr_expect_eq(p.burst.v[1], 12);
	cr_expect_eq(p.handler_ns.v[0], 0);
	hb_params_free(&p);
}

Test(params, empty_file_keeps_defaults)
{
	struct hb_params p;
	char err[256] = "";

	hb_params_init(&p);
	cr_assert_eq(hb_params_load(&p, write_file("e.ini", ""), err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_eq(p.repetitions, 3);
	hb_params_free(&p);
}

Test(params, unknown_section)
{
	load_fails("[run]\nbatch = 10\n\n[bogus]\nkey = 1\n",
	    (const char *const[]){ "bad.ini:5:", "key 'key'",
	    "unknown section [bogus]", "[machine]", "[mboxfull]", NULL });
}

Test(params, key_outside_section)
{
	load_fails("batch = 10\n", (const char *const[]){ "bad.ini:1:",
	    "key 'batch'", "outside any section", NULL });
}

Test(params, unknown_key)
{
	load_fails("[run]\nrepetitions = 4\nrepetitons = 4\n",
	    (const char *const[]){ "bad.ini:3:", "key 'repetitons'",
	    "unknown key in section [run]", "repetitions", "min_time", NULL });
}

Test(params, key_in_wrong_section)
{
	load_fails("[run]\nmatrix = true\n", (const char *const[]){
	    "bad.ini:2:", "key 'matrix'", "belongs in section [unicast]",
	    NULL });
}

Test(params, bad_bool)
{
	load_fails("[run]\nperf = maybe\n", (const char *const[]){
	    "bad.ini:2:", "key 'perf'", "expected true/false", "'maybe'",
	    NULL });
	load_fails("[unicast]\nmatrix =\n", (const char *const[]){
	    "bad.ini:2:", "key 'matrix'", NULL });
}

Test(params, uint_out_of_range)
{
	load_fails("[run]\nrepetitions = 0\n", (const char *const[]){
	    "bad.ini:2:", "key 'repetitions'", "from 1 to 1000", "'0'",
	    NULL });
	load_fails("[run]\nrepetitions = 1001\n", (const char *const[]){
	    "bad.ini:2:", "key 'repetitions'", "'1001'", NULL });
	load_fails("[run]\nbatch = -1\n", (const char *const[]){
	    "key 'batch'", "'-1'", NULL });
	load_fails("[run]\nbatch = 99999999999999999999999\n",
	    (const char *const[]){ "key 'batch'", NULL });
	load_fails("[run]\ntimeout = 10s\n", (const char *const[]){
	    "key 'timeout'", "'10s'", NULL });
	load_fails("[run]\ntimeout = 1.5\n", (const char *const[]){
	    "key 'timeout'", NULL });
}

Test(params, bad_double)
{
	load_fails("[run]\nmin_time = 0.05s\n", (const char *const[]){
	    "bad.ini:2:", "key 'min_time'", "'0.05s'", NULL });
	load_fails("[run]\nmin_time = 0\n", (const char *const[]){
	    "key 'min_time'", NULL });
	load_fails("[run]\nmin_time = nan\n", (const char *const[]){
	    "key 'min_time'", NULL });
}

Test(params, bad_list)
{
	load_fails("[multicast]\nfanout = 1,,2\n", (const char *const[]){
	    "bad.ini:2:", "key 'fanout'", "pow2, all", "'1,,2'", NULL });
	load_fails("[multicast]\nfanout = 1,two\n", (const char *const[]){
	    "key 'fanout'", NULL });
	load_fails("[multicast]\nfanout = 0\n", (const char *const[]){
	    "key 'fanout'", "from 1", NULL });
	load_fails("[mboxfull]\nburst = 1,\n", (const char *const[]){
	    "key 'burst'", NULL });
	load_fails("[mboxfull]\nburst = pow3\n", (const char *const[]){
	    "key 'burst'", NULL });
	/* 65 values: one more than a list holds */
	char text[512] = "[mboxfull]\nburst = 1";
	for (int i = 0; i < HB_ULIST_MAX; i++)
		strcat(text, ",1");
	strcat(text, "\n");
	load_fails(text, (const char *const[]){ "key 'burst'", NULL });
}

Test(params, backoff_values)
{
	struct hb_params p;
	char err[512] = "", name[HB_BACKOFF_NAMELEN];

	hb_params_init(&p);
	cr_expect_eq(p.backoffs.n, 1, "the default: the seed's alone");
	cr_expect_str_eq(hb_backoff_name(&p.backoffs.v[0], name, sizeof(name)),
	    "seed");
	cr_expect_eq(p.backoffs.v[0].min, 4);
	cr_expect_eq(p.backoffs.v[0].max, 128);
	cr_assert_eq(hb_param_set(&p, "backoff", "seed, pause,seed:8:64,seed",
	    err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(p.backoffs.n, 3, "a repeat counts once");
	cr_expect_eq(p.backoffs.v[1].min, 1);
	cr_expect_eq(p.backoffs.v[1].max, 1);
	cr_expect_str_eq(hb_backoff_name(&p.backoffs.v[1], name, sizeof(name)),
	    "pause");
	cr_expect_str_eq(hb_backoff_name(&p.backoffs.v[2], name, sizeof(name)),
	    "seed:8:64");
	/* seed:4:128 is the seed's, by name too */
	cr_assert_eq(hb_param_set(&p, "backoff", "seed:4:128", err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(hb_backoff_name(&p.backoffs.v[0], name, sizeof(name)),
	    "seed");
	hb_params_free(&p);
}

Test(params, bad_backoff)
{
	static const char *const bad[] = { "", "seeds", "seed:8", "seed:64:8",
	    "seed:3:8", "seed:0:4", "seed:4:131072", "seed:4:8:16",
	    "seed:4:8x", "pause,", "seed:-4:8", NULL };

	for (int i = 0; bad[i] != NULL; i++) {
		char text[128];

		snprintf(text, sizeof(text), "[run]\nbackoff = %s\n", bad[i]);
		load_fails(text, (const char *const[]){ "bad.ini:2:",
		    "key 'backoff'", "seed:MIN:MAX", "powers of two", NULL });
	}
	/* 9 values: one more than a list holds */
	load_fails("[run]\nbackoff = seed,pause,seed:1:2,seed:1:4,seed:1:8,"
	    "seed:1:16,seed:1:32,seed:1:64,seed:1:128\n",
	    (const char *const[]){ "key 'backoff'", "up to 8", NULL });
}

Test(params, bad_names)
{
	load_fails("[run]\nbackends = futex,interrupts\n", (const char *const[]){
	    "bad.ini:2:", "key 'backends'", "unknown backend 'interrupts'",
	    "busypoll", "eventfd", NULL });
	load_fails("[run]\nplacements = near\n", (const char *const[]){
	    "key 'placements'", "unknown placement 'near'", "interleave",
	    NULL });
	load_fails("[run]\nworkloads = unicast,nosuch\n", (const char *const[]){
	    "key 'workloads'", "unknown workload 'nosuch'", "unicast", NULL });
	load_fails("[multicast]\norders = near,far\n", (const char *const[]){
	    "key 'orders'", "unknown order 'far'", "spread", NULL });
	load_fails("[run]\nbackends = futex,\n", (const char *const[]){
	    "key 'backends'", "empty", NULL });
}

Test(params, first_error_is_reported)
{
	load_fails("[run]\nbatch = 1\nperf = x\nbatch = y\n",
	    (const char *const[]){ "bad.ini:3:", "key 'perf'", NULL });
}

Test(params, syntax_error)
{
	load_fails("[run]\nbatch 10\n", (const char *const[]){ "bad.ini:2:",
	    "syntax error", NULL });
	load_fails("[run\nbatch = 10\n", (const char *const[]){ "bad.ini:1:",
	    "syntax error", NULL });
}

Test(params, long_line)
{
	char text[400] = "[run]\n; ";

	memset(text + 8, 'x', 300);
	text[308] = '\n';
	text[309] = '\0';
	load_fails(text, (const char *const[]){ "bad.ini:2:", "longer than",
	    NULL });
}

Test(params, unreadable_file)
{
	struct hb_params p;
	char err[512] = "", path[128];

	hb_params_init(&p);
	snprintf(path, sizeof(path), "%s/missing.ini", dir);
	cr_expect_eq(hb_params_load(&p, path, err, sizeof(err)), -1);
	cr_expect(strstr(err, path) != NULL && strstr(err, "cannot read") &&
	    strstr(err, "No such file"), "%s", err);

	/* A folder opens but cannot be read. */
	cr_expect_eq(hb_params_load(&p, dir, err, sizeof(err)), -1);
	cr_expect(strstr(err, dir) != NULL && strstr(err, "cannot read"),
	    "%s", err);

	/* A file without read permission (root reads everything). */
	if (geteuid() != 0) {
		const char *f = write_file("noread.ini", "[run]\n");

		cr_assert_eq(chmod(f, 0), 0);
		cr_expect_eq(hb_params_load(&p, f, err, sizeof(err)), -1);
		cr_expect(strstr(err, "Permission denied") != NULL, "%s", err);
	}
	cr_expect_eq(p.repetitions, 3);
	hb_params_free(&p);
}

Test(params, flags_override_config)
{
	struct hb_params p;
	char err[512] = "";
	const char *path = write_file("c.ini",
	    "[run]\nrepetitions = 9\nmin_time = 1\nbackends = futex\n"
	    "[unicast]\nmatrix = true\n");

	hb_params_init(&p);
	cr_assert_eq(hb_params_load(&p, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(p.repetitions, 9);
	/* the flags, as the CLI passes them after loading the config */
	cr_expect_eq(hb_param_set(&p, "repetitions", "2", err, sizeof(err)),
	    0, "%s", err);
	cr_expect_eq(hb_param_set(&p, "min-time", "0.01", err, sizeof(err)),
	    0, "%s", err);
	cr_expect_eq(hb_param_set(&p, "backends", "eventfd", err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_eq(hb_param_set(&p, "matrix", "false", err, sizeof(err)),
	    0, "%s", err);
	cr_expect_eq(hb_param_set(&p, "no_smt", NULL, err, sizeof(err)), 0,
	    "a bare bool flag means true: %s", err);
	cr_expect_eq(p.repetitions, 2);
	cr_expect_float_eq(p.min_time, 0.01, 1e-12);
	cr_expect_str_eq(pk(&p.backends, &hb_backend_names), "eventfd");
	cr_expect_eq(p.matrix, false);
	cr_expect_eq(p.no_smt, true);
	cr_expect_eq(hb_param_set(&p, "backends", "", err, sizeof(err)), 0);
	cr_expect_str_eq(pk(&p.backends, &hb_backend_names), every_backend(),
	    "empty string: every backend");
	hb_params_free(&p);
}

Test(params, picks_keep_order_drop_repeats_and_blanks)
{
	struct hb_params p;
	char err[1024] = "";

	hb_params_init(&p);
	cr_expect_eq(hb_param_set(&p, "orders", " spread , near,spread ", err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(pk(&p.orders, &hb_order_names), "spread,near");
	cr_expect_eq(p.orders.v[0], HB_ORDER_SPREAD);
	cr_expect_eq(hb_param_set(&p, "placements", "single,local", err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_eq(hb_placement_at(&p, 0), HB_PLACE_SINGLE);
	cr_expect_eq(hb_placement_at(&p, 1), HB_PLACE_LOCAL);
	cr_expect_eq(hb_param_set(&p, "workloads", "pingpong,unicast", err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(hb_workload_at(&p, 0)->name, "pingpong");
	cr_expect_eq(hb_param_set(&p, "backends", ipi_backends[0]->name, err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_eq(hb_backend_at(&p, 0), ipi_backends[0]);
	cr_expect_eq(hb_param_set(&p, "placements", "", err, sizeof(err)), 0);
	cr_expect_eq(p.placements.n, HB_PLACE_NPOLICIES, "empty: every one");
	cr_expect_eq(hb_param_set(&p, "orders", "near,,spread", err,
	    sizeof(err)), -1);
	cr_expect(strstr(err, "key 'orders'") && strstr(err, "empty item"),
	    "%s", err);
	cr_expect_str_eq(pk(&p.orders, &hb_order_names), "spread,near",
	    "unchanged");
	hb_params_free(&p);
}

Test(params, bad_flags)
{
	struct hb_params p;
	char err[1024] = "";

	hb_params_init(&p);
	cr_expect_eq(hb_param_set(&p, "repetition", "2", err, sizeof(err)),
	    -1);
	cr_expect(strstr(err, "key 'repetition'") && strstr(err, "unknown") &&
	    strstr(err, "repetitions"), "%s", err);
	cr_expect_eq(hb_param_set(&p, "batch", "0", err, sizeof(err)), -1);
	cr_expect(strstr(err, "key 'batch'") && strstr(err, "'0'"), "%s", err);
	cr_expect_eq(hb_param_set(&p, "batch", NULL, err, sizeof(err)), -1);
	cr_expect(strstr(err, "expected a value") != NULL, "%s", err);
	cr_expect_eq(hb_param_set(&p, "backends", "nope", err, sizeof(err)),
	    -1);
	cr_expect(strstr(err, "key 'backends'") && strstr(err, "'nope'"),
	    "%s", err);
	cr_expect_eq(p.batch, 1000, "unchanged");
	cr_expect_str_eq(pk(&p.backends, &hb_backend_names), every_backend(),
	    "unchanged");
	hb_params_free(&p);
}

Test(params, write_reads_back)
{
	struct hb_params p, q;
	char err[512] = "", path[128];
	FILE *f;

	hb_params_init(&p);
	cr_assert_eq(hb_param_set(&p, "cpus", "0,1", err, sizeof(err)), 0);
	cr_assert_eq(hb_param_set(&p, "min_time", "0.123", err, sizeof(err)),
	    0);
	cr_assert_eq(hb_param_set(&p, "fanout", "1,3,7", err, sizeof(err)),
	    0);
	cr_assert_eq(hb_param_set(&p, "senders", "all", err, sizeof(err)), 0);
	cr_assert_eq(hb_param_set(&p, "workloads", "unicast", err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(hb_param_set(&p, "backoff", "pause,seed:2:32", err,
	    sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/written.ini", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(hb_params_write(&p, f), 0);
	cr_assert_eq(fclose(f), 0);

	hb_params_init(&q);
	cr_assert_eq(hb_params_load(&q, path, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(q.cpus, "0,1");
	cr_expect_eq(q.min_time, 0.123, "exactly the same double");
	cr_expect_eq(q.fanout.kind, HB_ULIST_VALUES);
	cr_expect_eq(q.fanout.n, 3);
	cr_expect_eq(q.fanout.v[2], 7);
	cr_expect_eq(q.senders.kind, HB_ULIST_ALL);
	cr_expect_str_eq(pk(&q.workloads, &hb_workload_names), "unicast");
	cr_expect_null(q.topology);
	cr_expect_str_eq(pk(&q.orders, &hb_order_names), "near,spread");
	cr_expect_eq(q.yardsticks, true);
	cr_expect_eq(q.backoffs.n, 2);
	cr_expect_eq(q.backoffs.v[0].max, 1);
	cr_expect_eq(q.backoffs.v[1].min, 2);
	cr_expect_eq(q.backoffs.v[1].max, 32);
	hb_params_free(&p);
	hb_params_free(&q);
}

Test(params, usage_documents_every_key)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	hb_params_usage(f);
	cr_assert_eq(fclose(f), 0);
	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++) {
		char flag[64];

		snprintf(flag, sizeof(flag), "--%s ", q->key);
		cr_expect(strstr(buf, flag) != NULL, "usage lacks %s", flag);
		cr_expect(strstr(buf, q->doc) != NULL, "usage lacks doc of %s",
		    q->key);
	}
	free(buf);
}

Test(ulist, resolve_values)
{
	struct hb_ulist l = { .kind = HB_ULIST_VALUES, .n = 6,
	    .v = { 8, 2, 2, 100, 1, 4 } };
	unsigned out[HB_ULIST_MAX];
	unsigned n = hb_ulist_resolve(&l, 8, out, HB_ULIST_MAX);

	cr_assert_eq(n, 4, "sorted, no repeats, above max dropped");
	cr_expect(out[0] == 1 && out[1] == 2 && out[2] == 4 && out[3] == 8);
	cr_expect_eq(hb_ulist_resolve(&l, 8, out, 2), 2, "cap");
	cr_expect(out[0] == 1 && out[1] == 2);
	cr_expect_eq(hb_ulist_resolve(&l, 0, out, HB_ULIST_MAX), 0);
}

Test(ulist, resolve_pow2)
{
	struct hb_ulist l = { .kind = HB_ULIST_POW2 };
	unsigned out[HB_ULIST_MAX];
	unsigned n;

	n = hb_ulist_resolve(&l, 6, out, HB_ULIST_MAX);
	cr_assert_eq(n, 4, "1 2 4 and the maximum 6");
	cr_expect(out[0] == 1 && out[1] == 2 && out[2] == 4 && out[3] == 6);
	n = hb_ulist_resolve(&l, 8, out, HB_ULIST_MAX);
	cr_assert_eq(n, 4, "8 is a power of two: not twice");
	cr_expect_eq(out[3], 8);
	cr_expect_eq(hb_ulist_resolve(&l, 1, out, HB_ULIST_MAX), 1);
	cr_expect_eq(out[0], 1);
	cr_expect_eq(hb_ulist_resolve(&l, 0, out, HB_ULIST_MAX), 0);
	n = hb_ulist_resolve(&l, 4096, out, HB_ULIST_MAX);
	cr_expect_eq(n, 13);
	cr_expect_eq(out[12], 4096);
}

Test(ulist, resolve_all)
{
	struct hb_ulist l = { .kind = HB_ULIST_ALL };
	unsigned out[HB_ULIST_MAX];

	cr_assert_eq(hb_ulist_resolve(&l, 3, out, HB_ULIST_MAX), 3);
	cr_expect(out[0] == 1 && out[1] == 2 && out[2] == 3);
	cr_expect_eq(hb_ulist_resolve(&l, 100, out, 10), 10, "cap");
	cr_expect_eq(out[9], 10);
}

Test(params, shipped_configs_load)
{
	static const char *const configs[] = { "configs/quick.ini",
	    "configs/default.ini", "configs/full.ini", NULL };

	for (unsigned i = 0; configs[i] != NULL; i++) {
		struct hb_params p;
		char err[1024] = "";

		hb_params_init(&p);
		cr_expect_eq(hb_params_load(&p, configs[i], err, sizeof(err)), 0,
		    "%s", err);
		hb_params_free(&p);
	}
}

/*
 * Issue 13: hostile input.
 */

/* write_bytes: dir/name with len bytes of text (NULs too). */
static const char *
write_bytes(const char *name, const char *text, size_t len)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(text, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	return path;
}

/* load_bytes_fails: as load_fails, for text with NULs (len bytes). */
static void
load_bytes_fails(const char *text, size_t len, const char *const want[])
{
	struct hb_params p;
	char err[1024] = "";
	const char *path = write_bytes("bad.ini", text, len);

	hb_params_init(&p);
	cr_assert_eq(hb_params_load(&p, path, err, sizeof(err)), -1,
	    "loading <<%.*s>> should fail", (int)len, text);
	for (unsigned i = 0; want[i] != NULL; i++)
		cr_expect(strstr(err, want[i]) != NULL,
		    "error '%s' should contain '%s'", err, want[i]);
	cr_expect_eq(p.repetitions, 3, "parameters unchanged by a bad file");
	hb_params_free(&p);
}

/* Every double refuses NaN, the infinities and what overflows a double,
 * saying that a finite number is expected (flags and configs alike). */
Test(params, doubles_are_finite)
{
	static const char *const bad[] = { "nan", "NaN", "-nan", "inf",
	    "-inf", "infinity", "1e400", "-1e400", "0x10", "0x1p-3", NULL };
	struct hb_params p;
	char err[1024], text[128];

	hb_params_init(&p);
	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++) {
		if (q->type != HB_PT_DOUBLE && q->type != HB_PT_DURATION)
			continue;
		for (unsigned i = 0; bad[i] != NULL; i++) {
			err[0] = '\0';
			cr_expect_eq(hb_param_set(&p, q->key, bad[i], err,
			    sizeof(err)), -1, "--%s %s accepted", q->key,
			    bad[i]);
			cr_expect(strstr(err, q->key) != NULL &&
			    strstr(err, bad[i]) != NULL, "%s", err);
			if (q->type == HB_PT_DOUBLE)
				cr_expect(strstr(err, "finite") != NULL,
				    "--%s %s: '%s' does not say finite",
				    q->key, bad[i], err);
			else
				cr_expect(strstr(err, "from 1s to") != NULL,
				    "--%s %s: '%s' does not say the range",
				    q->key, bad[i], err);
			snprintf(text, sizeof(text), "[%s]\n%s = %s\n",
			    q->section, q->key, bad[i]);
			load_fails(text, (const char *const[]){ "bad.ini:2:",
			    q->key, bad[i], NULL });
		}
	}
	cr_expect_float_eq(p.min_time, 0.2, 1e-12, "unchanged");
	cr_expect_eq(p.budget, 0, "unchanged");
	cr_expect_eq(hb_param_set(&p, "min_time", "1e-1", err, sizeof(err)), 0,
	    "%s", err);
	cr_expect_float_eq(p.min_time, 0.1, 1e-12);
	hb_params_free(&p);
}

/* Whole numbers: no sign, no wrap past unsigned long or unsigned. */
Test(params, whole_numbers_do_not_wrap)
{
	static const char *const bad[] = { "-1", "+5", "4294967297",
	    "18446744073709551617", "99999999999999999999999", "1e3", "0x10",
	    NULL };
	struct hb_params p;
	char err[1024];

	hb_params_init(&p);
	for (unsigned i = 0; bad[i] != NULL; i++) {
		cr_expect_eq(hb_param_set(&p, "repetitions", bad[i], err,
		    sizeof(err)), -1, "repetitions %s", bad[i]);
		cr_expect_eq(hb_param_set(&p, "fanout", bad[i], err,
		    sizeof(err)), -1, "fanout %s", bad[i]);
	}
	cr_expect_eq(p.repetitions, 3);
	cr_expect_eq(p.fanout.kind, HB_ULIST_POW2);
	hb_params_free(&p);
}

/* 9a: a key set twice in a file names both lines. */
Test(params, duplicate_key)
{
	load_fails("[run]\n; two\nrepetitions = 1\n\nrepetitions = 2\n",
	    (const char *const[]){ "bad.ini:5:", "key 'repetitions'",
	    "already set on line 3", NULL });
	/* the same section twice */
	load_fails("[run]\nbatch = 1\n[multicast]\nfanout = 1\n[run]\n"
	    "batch = 2\n", (const char *const[]){ "bad.ini:6:", "key 'batch'",
	    "already set on line 2", NULL });
	/* the same value twice is a duplicate too */
	load_fails("[run]\nperf = true\nperf = true\n", (const char *const[]){
	    "bad.ini:3:", "already set on line 2", NULL });
}

/* 9b: indented lines continue a list, joined with ','; no other key. */
Test(params, continued_lists)
{
	struct hb_params p;
	char err[1024] = "";
	const char *path = write_file("cont.ini",
	    "[run]\n"
	    "workloads = unicast,\n"
	    "    multicast\n"
	    "backends =\n"
	    "\tfutex\n"
	    "\n"
	    "  ; a comment between\n"
	    "    eventfd   ; inline\n"
	    "repetitions = 2\n"
	    "[multicast]\n"
	    "fanout = 1,2\n"
	    "    ,4\n"
	    "    8\n");

	hb_params_init(&p);
	cr_assert_eq(hb_params_load(&p, path, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(pk(&p.workloads, &hb_workload_names),
	    "unicast,multicast");
	cr_expect_str_eq(pk(&p.backends, &hb_backend_names), "futex,eventfd");
	cr_expect_eq(p.repetitions, 2, "not taken for a continuation");
	cr_expect_eq(p.fanout.n, 4);
	cr_expect(p.fanout.v[0] == 1 && p.fanout.v[1] == 2 &&
	    p.fanout.v[2] == 4 && p.fanout.v[3] == 8);
	hb_params_free(&p);

	/* Not a list: refused, neither a duplicate nor a new value. */
	load_fails("[run]\nrepetitions = 1\n  5\n", (const char *const[]){
	    "bad.ini:3:", "key 'repetitions' (line 2)", "only a list",
	    "fanout", NULL });
	/* An indented key after another is a continuation in inih. */
	load_fails("[run]\n  repetitions = 2\n  batch = 5\n",
	    (const char *const[]){ "bad.ini:3:", "key 'repetitions'",
	    "a key of its own without indentation", NULL });
	/* A bad item on a continued line: the key's line, the last one. */
	load_fails("[multicast]\nfanout = 1,\n  x\n", (const char *const[]){
	    "bad.ini:2:", "continued to line 3", "'1,x'", NULL });
}

/* 9c: NUL and control bytes, named as such on their line. */
Test(params, control_bytes)
{
	static const char nul[] = "[run]\nmin_time = 0.2\0 and more\n";

	load_bytes_fails(nul, sizeof(nul) - 1, (const char *const[]){
	    "bad.ini:2:", "NUL byte in the line (a config is text)", NULL });
	load_fails("[run]\n; ok\nbatch = 5\x01\n", (const char *const[]){
	    "bad.ini:3:", "control byte 0x01", NULL });
	load_fails("[run]\nbatch = 5\x7f\n", (const char *const[]){
	    "bad.ini:2:", "control byte 0x7f", NULL });
	load_fails("[run]\nbatch = 5\x1b[2K\n", (const char *const[]){
	    "bad.ini:2:", "control byte 0x1b", NULL });
	load_fails("[run]\nmin_time = 0.2\rrepetitions = 9\n",
	    (const char *const[]){ "bad.ini:2:", "carriage return", NULL });

	/* Tabs and CRLF line endings are text. */
	struct hb_params p;
	char err[1024] = "";

	hb_params_init(&p);
	cr_assert_eq(hb_params_load(&p, write_file("crlf.ini",
	    "[run]\r\nbatch\t=\t7\r\n\r\nrepetitions = 2\r\n"), err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_eq(p.batch, 7);
	cr_expect_eq(p.repetitions, 2);
	hb_params_free(&p);
}

/*
 * key_line: "[mboxfull]\n" and a handler_ns line of exactly n
 * characters (blanks after the '=') whose last value is 999999, without
 * its newline if !nl, into buf.
 */
static const char *
key_line(char *buf, size_t len, size_t n, bool nl)
{
	const char *key = "handler_ns =", *val = "1,999999";
	int pad = (int)(n - strlen(key) - strlen(val));

	snprintf(buf, len, "[mboxfull]\n%s%*s%s%s", key, pad, "", val,
	    nl ? "\n" : "");
	return buf;
}

/* 9d: a line holds HB_CONFIG_LINE_MAX characters, the last one too. */
Test(params, line_length_limit)
{
	char text[600];

	cr_assert_eq(HB_CONFIG_LINE_MAX, 198);
	for (int nl = 0; nl <= 1; nl++) {
		for (size_t n = HB_CONFIG_LINE_MAX - 1;
		    n <= HB_CONFIG_LINE_MAX + 2; n++) {
			struct hb_params p;
			char err[1024] = "", want[64];
			const char *t = key_line(text, sizeof(text), n, nl);

			cr_assert_eq(strlen(strchr(t, '\n') + 1), n + nl,
			    "line built of %zu", n);
			hb_params_init(&p);
			if (n <= HB_CONFIG_LINE_MAX) {
				cr_expect_eq(hb_params_load(&p, write_file(
				    "len.ini", t), err, sizeof(err)), 0,
				    "a line of %zu: %s", n, err);
				cr_expect_eq(p.handler_ns.v[p.handler_ns.n - 1],
				    999999, "a line of %zu read whole", n);
			} else {
				snprintf(want, sizeof(want), "line of %zu "
				    "characters", n);
				load_fails(t, (const char *const[]){
				    "bad.ini:2:", want, "the 198",
				    "indented lines", NULL });
			}
			hb_params_free(&p);
		}
	}
}

/* 9c: the parser on text that does not end in a NUL (the fuzz target's
 * call), p unchanged on error. */
Test(params, parse_ini_text)
{
	static const char good[] = "[run]\nbatch = 77";
	static const char bad[] = "[run]\nbatch = 77\nbatch = 78\n";
	struct hb_params p;
	char err[1024] = "", *t;

	hb_params_init(&p);
	t = malloc(sizeof(good) - 1);	/* exactly the text, no NUL */
	cr_assert_not_null(t);
	memcpy(t, good, sizeof(good) - 1);
	cr_assert_eq(hb_params_parse_ini(&p, "mem", t, sizeof(good) - 1, err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_eq(p.batch, 77);
	cr_expect_eq(hb_params_parse_ini(&p, "mem", t, 15, err, sizeof(err)),
	    0, "'batch = 7' of the first 15 bytes: %s", err);
	cr_expect_eq(p.batch, 7);
	free(t);
	cr_expect_eq(hb_params_parse_ini(&p, "mem", bad, sizeof(bad) - 1, err,
	    sizeof(err)), -1);
	cr_expect(strstr(err, "mem:3:") != NULL, "%s", err);
	cr_expect_eq(p.batch, 7, "unchanged");
	cr_expect_eq(hb_params_parse_ini(&p, "mem", "", 0, err, sizeof(err)),
	    0, "no text: nothing to set");
	hb_params_free(&p);
}

/* 9e: every message names the file and the line, and what was expected. */
Test(params, errors_name_file_line_expected)
{
	load_fails("[run]\nbatch 10\n", (const char *const[]){ "bad.ini:2:",
	    "'batch 10'", "expected '[section]', 'key = value'", NULL });
	load_fails("[run\n", (const char *const[]){ "bad.ini:1:", "'[run'",
	    "expected '[section]'", NULL });
	load_fails("[nosuch]\nx = 1\n", (const char *const[]){ "bad.ini:2:",
	    "unknown section [nosuch]", "expected one of", NULL });
	load_fails("[run]\nmin_time = 0\n", (const char *const[]){
	    "bad.ini:2:", "expected a finite decimal number from 0.001 to 3600",
	    NULL });
}

/* A run's config.ini reads back, long lists and all: no line past what a
 * config line holds. */
Test(params, write_wraps_long_lists)
{
	struct hb_params p, q;
	char err[1024] = "", path[128], list[1024] = "", line[1024];
	size_t o = 0;
	FILE *f;

	hb_params_init(&p);
	for (unsigned i = 0; i < HB_ULIST_MAX; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%u",
		    i > 0 ? "," : "", 1000000 - i);
	cr_assert_eq(hb_param_set(&p, "handler_ns", list, err, sizeof(err)),
	    0, "%s", err);
	cr_assert_eq(hb_param_set(&p, "idle_dwell_us", list, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(hb_param_set(&p, "workloads", "unicast,matrix,multicast,"
	    "broadcast,trigger,mboxfull,pingpong,futex_wake,eventfd_wake,"
	    "futex_pingpong,pipe_pingpong,timer,membarrier", err, sizeof(err)),
	    0, "%s", err);
	snprintf(path, sizeof(path), "%s/long.ini", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(hb_params_write(&p, f), 0);
	cr_assert_eq(fclose(f), 0);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		cr_expect(strlen(line) - 1 <= HB_CONFIG_LINE_MAX,
		    "a line of %zu: %s", strlen(line) - 1, line);
	fclose(f);

	hb_params_init(&q);
	cr_assert_eq(hb_params_load(&q, path, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(q.handler_ns.n, HB_ULIST_MAX);
	cr_expect_eq(memcmp(q.handler_ns.v, p.handler_ns.v,
	    sizeof(p.handler_ns.v)), 0);
	cr_expect_eq(q.idle_dwell.n, HB_ULIST_MAX);
	cr_expect_eq(q.idle_dwell.v[0], 1000000 - HB_ULIST_MAX + 1);
	cr_expect_str_eq(pk(&q.workloads, &hb_workload_names),
	    pk(&p.workloads, &hb_workload_names));
	hb_params_free(&p);
	hb_params_free(&q);
}

/* A text parameter is what the config a run writes can hold and read
 * back: no control byte, no ';' that starts a comment there, one line. */
Test(params, strings_read_back)
{
	static const char *const bad[] = { "0-1\n[run]", "0\t1", "0 ;1",
	    ";x", "a\x1b[2Kb", NULL };
	struct hb_params p;
	char err[1024], long_path[256];

	hb_params_init(&p);
	for (unsigned i = 0; bad[i] != NULL; i++) {
		cr_expect_eq(hb_param_set(&p, "cpus", bad[i], err, sizeof(err)),
		    -1, "cpus '%s' accepted", bad[i]);
		cr_expect(strstr(err, "key 'cpus': expected") != NULL, "%s",
		    err);
	}
	memset(long_path, 'x', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	cr_expect_eq(hb_param_set(&p, "topology", long_path, err,
	    sizeof(err)), -1);
	cr_expect(strstr(err, "what a config line holds") != NULL, "%s", err);
	cr_expect_null(p.cpus, "unchanged");
	cr_assert_eq(hb_param_set(&p, "cpus", "  0-1;2 ", err, sizeof(err)),
	    0, "%s", err);
	cr_expect_str_eq(p.cpus, "0-1;2", "blanks around dropped");
	hb_params_free(&p);
}
