/*
 * params.c: the parameters of a run, from configs/ (INI) and flags.
 *
 * One table, hb_param_table, says everything about a parameter: its INI
 * section and key (also its --flag), its type and range, its default as
 * text and one line of documentation.  Defaults, the INI loader, flags,
 * hb_params_write (the config.ini a run records) and --help are all
 * walks of that table, so they cannot disagree.
 *
 * Loading parses into a copy of the parameters and keeps it only if the
 * whole file was good: a bad file changes nothing.  The text is checked
 * whole first (text bytes, lines that fit inih's buffer), then inih reads
 * it through our own line reader, so that every error can name its line
 * (Debian builds inih without INI_HANDLER_LINENO); "Loading an INI file"
 * below says how continued lists and keys set twice are told apart.
 * What hb_params_write writes reads back the same: a long list goes on
 * over indented lines, and a text value is refused unless a config line
 * can hold it.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "../ipi/backoff.h"
#include "errmsg.h"
#include "params.h"

#define	OFF(f)	offsetof(struct hb_params, f)

const struct hb_param hb_param_table[] = {
	/* [machine] */
	{ "machine", "topology", HB_PT_STRING, OFF(topology), 0, 0, "",
	    "hwloc XML file or synthetic description to plan on "
	    "(empty: this machine)", NULL },
	{ "machine", "cpus", HB_PT_STRING, OFF(cpus), 0, 0, "",
	    "PUs to run vCPUs on, e.g. 0-3,8 (empty: every allowed PU)", NULL },
	{ "machine", "simulate", HB_PT_STRING, OFF(simulate), 0, 0, "",
	    "hwloc XML file or synthetic description to simulate: one vCPU "
	    "per PU of it, oversubscribed on this machine (functional, not "
	    "timings)", NULL },
	{ "machine", "no_smt", HB_PT_BOOL, OFF(no_smt), 0, 0, "false",
	    "one vCPU per core (first PU of each core)", NULL },
	{ "machine", "force", HB_PT_BOOL, OFF(force), 0, 0, "false",
	    "run busypoll even with more vCPUs than cores (marked in results)",
	    NULL },

	/* [run] */
	{ "run", "backends", HB_PT_PICK, OFF(backends), 0, 0, "",
	    "delivery backends, comma-separated (empty: every backend)",
	    &hb_backend_names },
	{ "run", "placements", HB_PT_PICK, OFF(placements), 0, 0, "local",
	    "placements of per-vCPU state: local,single,interleave,remote "
	    "(empty: every one)", &hb_placement_names },
	{ "run", "workloads", HB_PT_PICK, OFF(workloads), 0, 0, "",
	    "workloads and yardsticks, comma-separated (empty: every one)",
	    &hb_workload_names },
	{ "run", "repetitions", HB_PT_UINT, OFF(repetitions), 1, 1000, "3",
	    "Google Benchmark repetitions of each benchmark", NULL },
	{ "run", "min_time", HB_PT_DOUBLE, OFF(min_time), 0.001, 3600, "0.2",
	    "seconds each repetition runs at least", NULL },
	{ "run", "batch", HB_PT_UINT, OFF(batch), 1, 10000000, "1000",
	    "operations handed to the sender vCPU at a time", NULL },
	{ "run", "timeout", HB_PT_UINT, OFF(timeout), 1, 86400, "30",
	    "watchdog: seconds one batch may take before the run gives up",
	    NULL },
	{ "run", "yardsticks", HB_PT_BOOL, OFF(yardsticks), 0, 0, "true",
	    "measure the yardsticks beside each backend's group", NULL },
	{ "run", "perf", HB_PT_BOOL, OFF(perf), 0, 0, "true",
	    "perf counters per benchmark where the kernel allows", NULL },
	{ "run", "budget", HB_PT_DURATION, OFF(budget), 0, 30 * 86400, "",
	    "time the sweep may take (90s, 15m, 1h30m; empty: none): the "
	    "plan thins the sweep to fit", NULL },
	{ "run", "backoff", HB_PT_BACKOFFS, OFF(backoffs), 1, 65536, "seed",
	    "senders' spin-wait backoff in ipi_wait and a full mailbox: seed "
	    "(NetBSD's 4..128 pauses), pause (1 a check) or seed:MIN:MAX; a "
	    "list sweeps each", NULL },
	{ "run", "interleave", HB_PT_BOOL, OFF(interleave), 0, 0, "true",
	    "run the repetitions of a machine's benchmarks in random order",
	    NULL },
	{ "run", "warmup_ops", HB_PT_UINT, OFF(warmup_ops), 0, 1000, "3",
	    "untimed operations before each batch (its first ones are cold)",
	    NULL },
	{ "run", "idle_dwell_us", HB_PT_VALUES, OFF(idle_dwell), 0, 1000000,
	    "0", "microseconds a sleeping target stays asleep, untimed, "
	    "before each wake-up (a list sweeps each: dwell:N)", NULL },
	{ "run", "allow_sanitized", HB_PT_BOOL, OFF(allow_sanitized), 0, 0,
	    "false", "write results (--out) from a sanitizer build (refused "
	    "otherwise), marked in the context; IPIBENCH_ALLOW_SANITIZED=1 "
	    "in the environment sets the default (tests/run.sh under SAN)",
	    NULL },

	/* [unicast] */
	{ "unicast", "matrix", HB_PT_BOOL, OFF(matrix), 0, 0, "false",
	    "run the matrix workload: every ordered pair in one sampling "
	    "pass (matrix.csv, the heatmap)", NULL },
	{ "unicast", "matrix_samples", HB_PT_UINT, OFF(matrix_samples), 10,
	    1000000, "1000", "samples per ordered pair in the matrix pass S",
	    NULL },
	{ "unicast", "matrix_pairs", HB_PT_UINT, OFF(matrix_pairs), 0,
	    1048576, "0", "ordered pairs the matrix pass measures on a "
	    "sleeping backend, spread evenly, every class kept (0: every "
	    "pair)", NULL },

	/* [multicast] */
	{ "multicast", "fanout", HB_PT_ULIST, OFF(fanout), 1, 4096, "pow2",
	    "targets k: list, pow2 or all (up to vCPUs - 1)", NULL },
	{ "multicast", "orders", HB_PT_PICK, OFF(orders), 0, 0, "",
	    "target orders: near (nearest first), spread (across packages) "
	    "(empty: both)", &hb_order_names },

	/* [broadcast] */
	{ "broadcast", "broadcast_n", HB_PT_ULIST, OFF(broadcast_n), 1, 4096,
	    "pow2", "vCPUs taking part n: list, pow2 or all (from 2, up to "
	    "every vCPU)", NULL },

	/* [mboxfull] */
	{ "mboxfull", "senders", HB_PT_ULIST, OFF(senders), 1, 4096, "pow2",
	    "senders S: list, pow2 or all (up to vCPUs - 1)", NULL },
	{ "mboxfull", "burst", HB_PT_ULIST, OFF(burst), 1, 4096, "1,8,16",
	    "messages each sender keeps outstanding B (8 slots per mailbox)",
	    NULL },
	{ "mboxfull", "handler_ns", HB_PT_ULIST, OFF(handler_ns), 0, 1000000,
	    "0,100,1000", "cost of the target's handler H, nanoseconds", NULL },
	{ "mboxfull", "ack_delay_ns", HB_PT_UINT, OFF(ack_delay_ns), 0,
	    1000000, "0", "the target waits this long after each handler, "
	    "before its ack (a slow handler: what it costs every sender)",
	    NULL },
	{ "mboxfull", "put_delay_ns", HB_PT_UINT, OFF(put_delay_ns), 0,
	    1000000, "0", "each sender waits this long between put_msg and "
	    "its trigger (a sender stalled mid-send, its slot taken)", NULL },
	{ "mboxfull", "rate", HB_PT_VALUES, OFF(rate), 0, 100000000, "0",
	    "offered messages per second per sender, open loop (timed from "
	    "the intended send time); 0: closed loop", NULL },

	{ NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL },
};

/*
 * The tables of the PICK parameters.
 */

static const char *
backend_at(unsigned i)
{
	for (unsigned j = 0; ipi_backends[j] != NULL; j++)
		if (j == i)
			return ipi_backends[j]->name;
	return NULL;
}

static const char *
placement_at(unsigned i)
{
	return i < HB_PLACE_NPOLICIES ? hb_policy_name((enum hb_policy)i) :
	    NULL;
}

static const char *
workload_at(unsigned i)
{
	for (unsigned j = 0; hb_workloads[j] != NULL; j++)
		if (j == i)
			return hb_workloads[j]->name;
	return NULL;
}

const char *
hb_order_name(unsigned o)
{
	static const char *const names[HB_NORDERS] = {
		[HB_ORDER_NEAR] = "near",
		[HB_ORDER_SPREAD] = "spread",
	};

	return o < HB_NORDERS ? names[o] : NULL;
}

const struct hb_names hb_backend_names = { "backend", backend_at, true };
const struct hb_names hb_placement_names = { "placement", placement_at, true };
const struct hb_names hb_workload_names = { "workload", workload_at, false };
const struct hb_names hb_order_names = { "order", hb_order_name, true };

/*
 * parse_pick: a comma-separated list of names of table t into out, in the
 * order given, repeats dropped, blanks around names ignored; "" picks
 * every entry when t->every_if_empty, else none.
 * => 0; or -1 with the first bad item and the names expected in err.
 */
static int
parse_pick(const char *value, const struct hb_names *t, struct hb_pick *out,
    char *err, size_t errlen)
{
	struct hb_pick k = { .n = 0 };
	const char *p = value;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0') {
		for (unsigned i = 0; t->every_if_empty && t->name_at(i) != NULL;
		    i++)
			k.v[k.n++] = (unsigned char)i;
		*out = k;
		return 0;
	}
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
		unsigned i;

		while (len > 0 && isspace((unsigned char)*p))
			p++, len--;
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		for (i = 0; t->name_at(i) != NULL; i++)
			if (strlen(t->name_at(i)) == len &&
			    strncmp(t->name_at(i), p, len) == 0)
				break;
		if (len == 0) {
			hb_seterr(err, errlen, "expected a comma-separated list "
			    "of %ss, got '%s' (an empty item)", t->what, value);
			return -1;
		}
		if (t->name_at(i) == NULL) {
			size_t o = (size_t)snprintf(err, errlen,
			    "unknown %s '%.*s' (expected:", t->what, (int)len, p);

			for (unsigned j = 0; t->name_at(j) != NULL; j++)
				if (o < errlen)
					o += (size_t)snprintf(err + o, errlen - o,
					    "%s %s", j > 0 ? "," : "",
					    t->name_at(j));
			if (o < errlen)
				snprintf(err + o, errlen - o, ")");
			return -1;
		}
		if (!hb_pick_has(&k, i))
			k.v[k.n++] = (unsigned char)i;
		if (e == NULL)
			break;
		p = e + 1;
	}
	*out = k;
	return 0;
}

void
hb_pick_format(const struct hb_pick *k, const struct hb_names *names,
    char *buf, size_t len)
{
	size_t o = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (unsigned i = 0; i < k->n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i > 0 ? "," : "",
		    names->name_at(k->v[i]));
}

/*
 * Values.
 */

static const struct hb_param *
param_lookup(const char *key)
{
	char norm[64];
	size_t i;

	/* Flags may spell min_time as min-time. */
	for (i = 0; key[i] != '\0' && i + 1 < sizeof(norm); i++)
		norm[i] = key[i] == '-' ? '_' : key[i];
	if (key[i] != '\0')
		return NULL;
	norm[i] = '\0';
	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++)
		if (strcmp(q->key, norm) == 0)
			return q;
	return NULL;
}

static int
parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "1", "on", NULL };
	static const char *const no[] = { "false", "no", "0", "off", NULL };

	for (unsigned i = 0; yes[i] != NULL; i++)
		if (strcasecmp(s, yes[i]) == 0)
			return *out = true, 0;
	for (unsigned i = 0; no[i] != NULL; i++)
		if (strcasecmp(s, no[i]) == 0)
			return *out = false, 0;
	return -1;
}

/* parse_uint: a decimal unsigned in [min, max], nothing else. */
static int
parse_uint(const char *s, double min, double max, unsigned *out)
{
	unsigned long v;
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (errno != 0 || *end != '\0' || (double)v < min || (double)v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/*
 * parse_double: a finite decimal number in [min, max], nothing else: no
 * nan, inf, hexadecimal or a value past a double's range (1e400).
 */
static int
parse_double(const char *s, double min, double max, double *out)
{
	double v;
	char *end;
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strspn(s, "0123456789.eE+-");
	if (n == 0 || (s[n] != '\0' && !isspace((unsigned char)s[n])))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	while (isspace((unsigned char)*end))
		end++;
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * parse_duration: whole seconds (at least 1) from "90", "90s", "15m",
 * "1h", "1h30m", "2.5m": numbers each with a unit, h before m before s,
 * each once; or a bare number, seconds.  "" is 0 (none).
 */
static int
parse_duration(const char *s, double min, double max, double *out)
{
	static const char units[] = "hms";
	static const double scale[] = { 3600, 60, 1 };
	double total = 0;
	int next = 0;		/* units in order, each once */

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0') {
		*out = 0;
		return 0;
	}
	while (*s != '\0' && !isspace((unsigned char)*s)) {
		const char *u;
		char *end;
		double v;

		if (!isdigit((unsigned char)*s) && *s != '.')
			return -1;
		errno = 0;
		v = strtod(s, &end);
		/* decimal only: strtod would read 0x10 as 16 */
		if (errno != 0 || end == s ||
		    end != s + strspn(s, "0123456789.eE+-") || !isfinite(v) ||
		    v < 0)
			return -1;
		if (*end == '\0' || isspace((unsigned char)*end)) {
			if (next != 0)
				return -1;	/* "1m30": say 1m30s */
			total = v;		/* a bare number: seconds */
			s = end;
			break;
		}
		if ((u = strchr(units, *end)) == NULL || u - units < next)
			return -1;
		next = (int)(u - units) + 1;
		total += v * scale[u - units];
		s = end + 1;
	}
	while (isspace((unsigned char)*s))
		s++;
	/* Whole seconds, so that the config written reads back the same. */
	total = round(total);
	if (*s != '\0' || total < 1 || total < min || total > max)
		return -1;
	*out = total;
	return 0;
}

/* parse_ulist: "pow2", "all" or "v1,v2,..." with each v in [min, max]. */
static int
parse_ulist(const char *s, double min, double max, struct hb_ulist *out)
{
	struct hb_ulist l;
	char item[32];

	memset(&l, 0, sizeof(l));
	while (isspace((unsigned char)*s))
		s++;
	if (strcasecmp(s, "pow2") == 0) {
		l.kind = HB_ULIST_POW2;
		*out = l;
		return 0;
	}
	if (strcasecmp(s, "all") == 0) {
		l.kind = HB_ULIST_ALL;
		*out = l;
		return 0;
	}
	l.kind = HB_ULIST_VALUES;
	for (const char *p = s;;) {
		const char *e = strchr(p, ',');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);

		if (len == 0 || len >= sizeof(item) || l.n == HB_ULIST_MAX)
			return -1;
		memcpy(item, p, len);
		item[len] = '\0';
		if (parse_uint(item, min, max, &l.v[l.n]) != 0)
			return -1;
		l.n++;
		if (e == NULL)
			break;
		p = e + 1;
	}
	*out = l;
	return 0;
}

const struct hb_backoff hb_backoff_seed = { SPINLOCK_BACKOFF_MIN,
    SPINLOCK_BACKOFF_MAX };

const char *
hb_backoff_name(const struct hb_backoff *b, char *buf, size_t len)
{
	if (b->min == hb_backoff_seed.min && b->max == hb_backoff_seed.max)
		snprintf(buf, len, "seed");
	else if (b->min == 1 && b->max == 1)
		snprintf(buf, len, "pause");
	else
		snprintf(buf, len, "seed:%u:%u", b->min, b->max);
	return buf;
}

/* pow2_in: v is a power of two in [min, max]. */
static bool
pow2_in(unsigned v, double min, double max)
{
	return v != 0 && (v & (v - 1)) == 0 && v >= min && v <= max;
}

/*
 * parse_backoffs: "seed", "pause", "seed:MIN:MAX", comma-separated,
 * MIN and MAX powers of two in [min, max], MIN <= MAX; a value given
 * twice counts once.  => 0, or -1 (out unchanged).
 */
static int
parse_backoffs(const char *s, double min, double max,
    struct hb_backoffs *out)
{
	struct hb_backoffs l = { 0 };
	char item[64];

	while (isspace((unsigned char)*s))
		s++;
	for (const char *p = s;;) {
		const char *e = strchr(p, ',');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
		struct hb_backoff b;
		char lo[16], hi[16], extra;
		bool dup = false;

		while (len > 0 && isspace((unsigned char)*p))
			p++, len--;
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		if (len == 0 || len >= sizeof(item))
			return -1;
		memcpy(item, p, len);
		item[len] = '\0';
		if (strcmp(item, "seed") == 0)
			b = hb_backoff_seed;
		else if (strcmp(item, "pause") == 0)
			b = (struct hb_backoff){ 1, 1 };
		else if (sscanf(item, "seed:%15[0-9]:%15[0-9]%c", lo, hi,
		    &extra) == 2 && parse_uint(lo, min, max, &b.min) == 0 &&
		    parse_uint(hi, min, max, &b.max) == 0 &&
		    pow2_in(b.min, min, max) && pow2_in(b.max, min, max) &&
		    b.min <= b.max)
			;
		else
			return -1;
		for (unsigned i = 0; i < l.n; i++)
			dup |= l.v[i].min == b.min && l.v[i].max == b.max;
		if (!dup) {
			if (l.n == HB_BACKOFF_MAX)
				return -1;
			l.v[l.n++] = b;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	*out = l;
	return 0;
}

static void *
field(struct hb_params *p, const struct hb_param *q)
{
	return (char *)p + q->offset;
}

static const void *
cfield(const struct hb_params *p, const struct hb_param *q)
{
	return (const char *)p + q->offset;
}

/*
 * string_check: s[0..n) as a STRING parameter's value: text that the
 * config a run writes (hb_params_write) holds on one line and reads back
 * the same: no control byte, no ';' that would start a comment there,
 * short enough for a config line.  => 0, or -1 with what was expected in
 * err.
 */
static int
string_check(const struct hb_param *q, const char *s, size_t n, char *err,
    size_t errlen)
{
	size_t most = HB_CONFIG_LINE_MAX - strlen(q->key) - 3;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f) {
			hb_seterr(err, errlen, "expected text, got a control "
			    "byte 0x%02x at character %zu", ch, i + 1);
			return -1;
		}
		if (ch == ';' && (i == 0 || isspace((unsigned char)s[i - 1]))) {
			hb_seterr(err, errlen, "expected text without a ';' "
			    "first or after a blank (in a config it starts a "
			    "comment), got '%.*s'", (int)n, s);
			return -1;
		}
	}
	if (n > most) {
		hb_seterr(err, errlen, "expected at most %zu characters (what "
		    "a config line holds), got %zu", most, n);
		return -1;
	}
	return 0;
}

/*
 * param_set: set q from text.  => 0, or -1 with what was expected in
 * err (without the "key 'K': " prefix), p unchanged.
 */
static int
param_set(struct hb_params *p, const struct hb_param *q, const char *value,
    char *err, size_t errlen)
{
	if (value == NULL) {
		if (q->type != HB_PT_BOOL) {
			hb_seterr(err, errlen, "expected a value");
			return -1;
		}
		value = "true";	/* a bare --flag */
	}
	switch (q->type) {
	case HB_PT_STRING: {
		char **dst = field(p, q), *copy = NULL;
		size_t n;

		/* Blanks around dropped, as a config's reader drops them. */
		while (isspace((unsigned char)*value))
			value++;
		n = strlen(value);
		while (n > 0 && isspace((unsigned char)value[n - 1]))
			n--;
		if (string_check(q, value, n, err, errlen) != 0)
			return -1;
		if (n > 0 && (copy = strndup(value, n)) == NULL) {
			hb_seterr(err, errlen, "out of memory");
			return -1;
		}
		free(*dst);
		*dst = copy;
		return 0;
	}
	case HB_PT_PICK:
		return parse_pick(value, q->names, field(p, q), err, errlen);
	case HB_PT_BOOL:
		if (parse_bool(value, field(p, q)) != 0) {
			hb_seterr(err, errlen, "expected true/false/yes/no/on/off/"
			    "1/0, got '%s'", value);
			return -1;
		}
		return 0;
	case HB_PT_UINT:
		if (parse_uint(value, q->min, q->max, field(p, q)) != 0) {
			hb_seterr(err, errlen, "expected a whole number from %.0f "
			    "to %.0f, got '%s'", q->min, q->max, value);
			return -1;
		}
		return 0;
	case HB_PT_DOUBLE:
		if (parse_double(value, q->min, q->max, field(p, q)) != 0) {
			hb_seterr(err, errlen, "expected a finite decimal number "
			    "from %g to %g, got '%s'", q->min, q->max, value);
			return -1;
		}
		return 0;
	case HB_PT_DURATION:
		if (parse_duration(value, q->min, q->max, field(p, q)) != 0) {
			hb_seterr(err, errlen, "expected a duration from %gs to "
			    "%gh such as 90s, 15m or 1h30m (a bare number is "
			    "seconds; empty: none), got '%s'", q->min > 1 ?
			    q->min : 1, q->max / 3600, value);
			return -1;
		}
		return 0;
	case HB_PT_BACKOFFS:
		if (parse_backoffs(value, q->min, q->max, field(p, q)) != 0) {
			hb_seterr(err, errlen, "expected up to %d of seed, pause "
			    "or seed:MIN:MAX (MIN <= MAX, powers of two from "
			    "%.0f to %.0f), comma-separated, got '%s'",
			    HB_BACKOFF_MAX, q->min, q->max, value);
			return -1;
		}
		return 0;
	case HB_PT_ULIST:
		if (parse_ulist(value, q->min, q->max, field(p, q)) != 0) {
			hb_seterr(err, errlen, "expected pow2, all, or up to %d "
			    "comma-separated whole numbers from %.0f to %.0f, "
			    "got '%s'", HB_ULIST_MAX, q->min, q->max, value);
			return -1;
		}
		return 0;
	case HB_PT_VALUES: {
		struct hb_ulist l;

		if (parse_ulist(value, q->min, q->max, &l) != 0 ||
		    l.kind != HB_ULIST_VALUES) {
			hb_seterr(err, errlen, "expected up to %d "
			    "comma-separated whole numbers from %.0f to %.0f, "
			    "got '%s'", HB_ULIST_MAX, q->min, q->max, value);
			return -1;
		}
		/* ascending, no repeats: the first value is the lowest
		 * (the one a sweep crosses with the others' first) */
		l.n = hb_ulist_resolve(&l, (unsigned)q->max, l.v, l.n);
		*(struct hb_ulist *)field(p, q) = l;
		return 0;
	}
	}
	hb_seterr(err, errlen, "internal error: parameter type %d", q->type);
	return -1;
}

/*
 * names_fit: every table of a PICK has at most HB_PICK_MAX entries (so a
 * pick, which never repeats an entry, cannot overflow).  A bigger table
 * is a build mistake: say so and stop.
 */
static void
names_fit(void)
{
	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++) {
		unsigned n = 0;

		if (q->type != HB_PT_PICK)
			continue;
		while (q->names->name_at(n) != NULL)
			n++;
		if (n > HB_PICK_MAX) {
			fprintf(stderr, "ipibench: %u %ss, more than "
			    "HB_PICK_MAX (%d): raise it in params.h\n", n,
			    q->names->what, HB_PICK_MAX);
			abort();
		}
	}
}

void
hb_params_init(struct hb_params *p)
{
	char err[256];

	names_fit();
	memset(p, 0, sizeof(*p));
	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++) {
		if (param_set(p, q, q->defval, err, sizeof(err)) != 0) {
			fprintf(stderr, "ipibench: bad default of %s: %s\n",
			    q->key, err);
			abort();
		}
	}
}

void
hb_params_free(struct hb_params *p)
{
	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++) {
		if (q->type == HB_PT_STRING) {
			char **s = field(p, q);

			free(*s);
			*s = NULL;
		}
	}
}

/* params_copy: a deep copy of src into dst.  => 0, or -1 (no memory). */
static int
params_copy(struct hb_params *dst, const struct hb_params *src)
{
	*dst = *src;
	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++)
		if (q->type == HB_PT_STRING)
			*(char **)field(dst, q) = NULL;
	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++) {
		if (q->type != HB_PT_STRING)
			continue;	/* only a STRING field holds a char * */
		const char *s = *(char *const *)cfield(src, q);

		if (s == NULL)
			continue;
		if ((*(char **)field(dst, q) = strdup(s)) == NULL) {
			hb_params_free(dst);
			return -1;
		}
	}
	return 0;
}

int
hb_param_set(struct hb_params *p, const char *key, const char *value,
    char *err, size_t errlen)
{
	const struct hb_param *q = param_lookup(key);
	char why[512];

	if (q == NULL) {
		size_t o = (size_t)snprintf(err, errlen,
		    "key '%s': unknown parameter (expected one of:", key);

		for (q = hb_param_table; q->key != NULL; q++)
			if (o < errlen)
				o += (size_t)snprintf(err + o, errlen - o,
				    "%s %s", q == hb_param_table ? "" : ",",
				    q->key);
		if (o < errlen)
			snprintf(err + o, errlen - o, ")");
		return -1;
	}
	if (param_set(p, q, value, why, sizeof(why)) != 0) {
		hb_seterr(err, errlen, "key '%s': %s", q->key, why);
		return -1;
	}
	return 0;
}

/*
 * Loading an INI file.
 *
 * hb_params_parse_ini checks the text first, whole: lines of text (no
 * NUL or other control byte but the tab, a CR only before the newline),
 * none longer than HB_CONFIG_LINE_MAX.  Then inih reads it, a line at a
 * time, from reader(), which counts the lines (Debian builds inih
 * without INI_HANDLER_LINENO) and hands each over without its line
 * ending.  The handler keeps the key it was last given pending and
 * applies it once complete (at the next key, or at the end): inih's
 * multi-line values (INI_ALLOW_MULTILINE, on in Debian's build: an
 * indented line continues the key above it, and inih calls the handler
 * again with the same name) are joined with ',' for a list and refused
 * for any other key.  inih passes a continuation's name from a buffer
 * of its own, a key's from the line reader() filled: that tells them
 * apart, whatever inih's build.  A key set twice in one file is an
 * error.
 */

_Static_assert(HB_CONFIG_LINE_MAX == INI_MAX_LINE - 2,
    "HB_CONFIG_LINE_MAX: inih's line buffer less the newline and the NUL");

struct load_ctx {
	const char *	name;		/* the file, for messages */
	const char *	text;
	size_t		len, off;	/* reader()'s place in text */
	struct hb_params *p;
	int		lineno;		/* of the line inih holds */
	const char *	buf;		/* inih's line buffer (reader) */
	size_t		bufsize;
	int		long_max;	/* > 0: a line past inih's buffer */
	int		err_line;	/* first error found here, 0 none */
	char		msg[1024];
	/* The key read last, applied once complete. */
	const struct hb_param *key;
	int		key_line, key_last;	/* its first and last lines */
	char *		value;		/* its value, continuations joined */
	int *		set_on;		/* per parameter: line set on, 0 */
};

/* table_index: q's place in hb_param_table. */
static size_t
table_index(const struct hb_param *q)
{
	return (size_t)(q - hb_param_table);
}

static bool
is_list(const struct hb_param *q)
{
	return q->type == HB_PT_PICK || q->type == HB_PT_ULIST ||
	    q->type == HB_PT_VALUES || q->type == HB_PT_BACKOFFS;
}

/* list_keys: the keys whose value is a list, ", "-separated, into buf. */
static void
list_keys(char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++)
		if (is_list(q) && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
			    o > 0 ? ", " : "", q->key);
}

/*
 * check_text: text is lines of text that inih can hold.
 * => 0; or -1 with "NAME:LINE: ..." in err.
 */
static int
check_text(const char *name, const char *text, size_t len, char *err,
    size_t errlen)
{
	size_t off = 0;
	int line = 0;

	if (len > HB_CONFIG_BYTES_MAX) {
		hb_seterr(err, errlen, "%s: %zu bytes, more than a config may "
		    "have (%d; a config is a page or two of text)", name, len,
		    HB_CONFIG_BYTES_MAX);
		return -1;
	}
	while (off < len) {
		const char *s = text + off;
		const char *nl = memchr(s, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - s) : len - off;

		off += n + (nl != NULL);
		line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;		/* CRLF */
		for (size_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)s[i];

			if (ch == '\0') {
				hb_seterr(err, errlen, "%s:%d: NUL byte in the "
				    "line (a config is text)", name, line);
				return -1;
			}
			if (ch == '\r') {
				hb_seterr(err, errlen, "%s:%d: carriage return "
				    "(\\r) inside the line (a config is text; "
				    "a line ends with \\n or \\r\\n)", name,
				    line);
				return -1;
			}
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				hb_seterr(err, errlen, "%s:%d: control byte "
				    "0x%02x in the line (a config is text)",
				    name, line, ch);
				return -1;
			}
		}
		if (n > HB_CONFIG_LINE_MAX) {
			hb_seterr(err, errlen, "%s:%d: line of %zu characters, "
			    "longer than the %d a config line may have "
			    "(libinih's line buffer, INI_MAX_LINE %d, less the "
			    "newline and the NUL): continue a list's value on "
			    "indented lines, split a comment", name, line, n,
			    HB_CONFIG_LINE_MAX, INI_MAX_LINE);
			return -1;
		}
	}
	return 0;
}

/*
 * reader: the next line of the text for inih, without its line ending
 * ("\n" added back).  A line inih's buffer cannot hold (check_text
 * checked against INI_MAX_LINE; a library built otherwise) stops it.
 */
static char *
reader(char *buf, int size, void *stream)
{
	struct load_ctx *c = stream;
	const char *s, *nl;
	size_t n;

	if (c->off >= c->len || c->long_max > 0)
		return NULL;
	s = c->text + c->off;
	nl = memchr(s, '\n', c->len - c->off);
	n = nl != NULL ? (size_t)(nl - s) : c->len - c->off;
	c->off += n + (nl != NULL);
	if (n > 0 && s[n - 1] == '\r')
		n--;
	c->lineno++;
	c->buf = buf;
	c->bufsize = size > 0 ? (size_t)size : 0;
	if (size < 3 || n > (size_t)size - 2) {
		c->long_max = size > 2 ? size - 2 : 1;
		return NULL;
	}
	memcpy(buf, s, n);
	buf[n] = '\n';
	buf[n + 1] = '\0';
	return buf;
}

/* line_text: line n of c's text, without its ending, as (*s, length). */
static size_t
line_text(const struct load_ctx *c, int n, const char **s)
{
	size_t off = 0, len;

	for (int i = 1; i < n && off < c->len; i++) {
		const char *nl = memchr(c->text + off, '\n', c->len - off);

		off = nl != NULL ? (size_t)(nl - c->text) + 1 : c->len;
	}
	*s = c->text + off;
	len = c->len - off;
	if (memchr(*s, '\n', len) != NULL)
		len = (size_t)((const char *)memchr(*s, '\n', len) - *s);
	if (len > 0 && (*s)[len - 1] == '\r')
		len--;
	return len;
}

static bool
section_known(const char *s)
{
	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++)
		if (strcmp(q->section, s) == 0)
			return true;
	return false;
}

static size_t
list_sections(char *buf, size_t len, size_t o)
{
	const char *last = NULL;

	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++) {
		if (last != NULL && strcmp(last, q->section) == 0)
			continue;
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s[%s]",
			    last == NULL ? "" : ", ", q->section);
		last = q->section;
	}
	return o;
}

/*
 * flush: apply the pending key, if any.  => 0, or -1 with the error in
 * c (at the key's line).
 */
static int
flush(struct load_ctx *c)
{
	const struct hb_param *q = c->key;
	char why[768], more[48] = "";

	if (q == NULL)
		return 0;
	c->key = NULL;
	if (param_set(c->p, q, c->value, why, sizeof(why)) == 0)
		return 0;
	if (c->key_last > c->key_line)
		snprintf(more, sizeof(more), " (continued to line %d)",
		    c->key_last);
	c->err_line = c->key_line;
	snprintf(c->msg, sizeof(c->msg), "%s:%d: key '%s'%s: %s", c->name,
	    c->key_line, q->key, more, why);
	return -1;
}

/*
 * continued: an indented line continues the pending key's value: a
 * list's joined with ',' (none added where the text has one already, or
 * the value was empty); any other key's refused.  => 1, or 0 with the
 * error in c.
 */
static int
continued(struct load_ctx *c, const char *name, const char *value)
{
	const struct hb_param *q = c->key;
	char keys[512], *v;
	size_t have, add;
	bool comma;

	if (q == NULL || strcmp(q->key, name) != 0 || value == NULL) {
		c->err_line = c->lineno;
		snprintf(c->msg, sizeof(c->msg), "%s:%d: an indented line "
		    "continues the value of the key above it, and there is "
		    "none here (expected 'key = value' without indentation)",
		    c->name, c->lineno);
		return 0;
	}
	if (!is_list(q)) {
		list_keys(keys, sizeof(keys));
		c->err_line = c->lineno;
		snprintf(c->msg, sizeof(c->msg), "%s:%d: key '%s' (line %d): "
		    "this indented line continues its value, but only a "
		    "list's value continues (%s): write the value on one "
		    "line%s", c->name, c->lineno, q->key, c->key_line, keys,
		    strchr(value, '=') != NULL ? ", and a key of its own "
		    "without indentation" : "");
		return 0;
	}
	c->key_last = c->lineno;
	/* An inline comment, as inih strips from a key's line (libinih 55
	 * leaves it on a continuation): from a ';' after a blank. */
	add = strlen(value);
	for (size_t i = 1; i < add; i++)
		if (value[i] == ';' && isspace((unsigned char)value[i - 1]))
			add = i;
	while (add > 0 && isspace((unsigned char)value[add - 1]))
		add--;
	if (add == 0)
		return 1;
	have = strlen(c->value);
	comma = have > 0 && c->value[have - 1] != ',' && value[0] != ',';
	if (have + comma + add > HB_CONFIG_BYTES_MAX ||
	    (v = realloc(c->value, have + comma + add + 1)) == NULL) {
		c->err_line = c->lineno;
		snprintf(c->msg, sizeof(c->msg), "%s:%d: key '%s': out of "
		    "memory", c->name, c->lineno, q->key);
		return 0;
	}
	if (comma)
		v[have++] = ',';
	memcpy(v + have, value, add);
	v[have + add] = '\0';
	c->value = v;
	return 1;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *c = user;
	const struct hb_param *q;
	uintptr_t at = (uintptr_t)name, b0 = (uintptr_t)c->buf;
	size_t o;

	if (c->err_line != 0)
		return 1;	/* keep only the first error */
	if (!(at >= b0 && at < b0 + c->bufsize))
		return continued(c, name, value);
	if (flush(c) != 0)
		return 0;
	c->err_line = c->lineno;
	if (section[0] == '\0') {
		o = (size_t)snprintf(c->msg, sizeof(c->msg), "%s:%d: key '%s': "
		    "outside any section (expected one of: ", c->name,
		    c->lineno, name);
		o = list_sections(c->msg, sizeof(c->msg), o);
		if (o < sizeof(c->msg))
			snprintf(c->msg + o, sizeof(c->msg) - o, ")");
		return 0;
	}
	if (!section_known(section)) {
		o = (size_t)snprintf(c->msg, sizeof(c->msg), "%s:%d: key '%s': "
		    "unknown section [%s] (expected one of: ", c->name,
		    c->lineno, name, section);
		o = list_sections(c->msg, sizeof(c->msg), o);
		if (o < sizeof(c->msg))
			snprintf(c->msg + o, sizeof(c->msg) - o, ")");
		return 0;
	}
	q = NULL;
	for (const struct hb_param *r = hb_param_table; r->key != NULL; r++)
		if (strcmp(r->key, name) == 0)
			q = r;
	if (q == NULL || strcmp(q->section, section) != 0) {
		o = (size_t)snprintf(c->msg, sizeof(c->msg), "%s:%d: key '%s': ",
		    c->name, c->lineno, name);
		if (q != NULL) {
			snprintf(c->msg + o, sizeof(c->msg) - o,
			    "belongs in section [%s], not [%s]", q->section,
			    section);
			return 0;
		}
		o += (size_t)snprintf(c->msg + o, sizeof(c->msg) - o,
		    "unknown key in section [%s] (expected one of:", section);
		for (const struct hb_param *r = hb_param_table; r->key != NULL;
		    r++) {
			if (strcmp(r->section, section) == 0 &&
			    o < sizeof(c->msg))
				o += (size_t)snprintf(c->msg + o,
				    sizeof(c->msg) - o, " %s", r->key);
		}
		if (o < sizeof(c->msg))
			snprintf(c->msg + o, sizeof(c->msg) - o, ")");
		return 0;
	}
	if (c->set_on[table_index(q)] != 0) {
		snprintf(c->msg, sizeof(c->msg), "%s:%d: key '%s': already set "
		    "on line %d (a key is set once in a file; a flag on the "
		    "command line overrides it)", c->name, c->lineno, name,
		    c->set_on[table_index(q)]);
		return 0;
	}
	if (value == NULL) {	/* inih built with INI_ALLOW_NO_VALUE */
		snprintf(c->msg, sizeof(c->msg), "%s:%d: key '%s': expected "
		    "'%s = VALUE'", c->name, c->lineno, name, name);
		return 0;
	}
	free(c->value);
	if ((c->value = strdup(value)) == NULL) {
		snprintf(c->msg, sizeof(c->msg), "%s:%d: key '%s': out of "
		    "memory", c->name, c->lineno, name);
		return 0;
	}
	c->set_on[table_index(q)] = c->lineno;
	c->key = q;
	c->key_line = c->key_last = c->lineno;
	c->err_line = 0;
	return 1;
}

/*
 * syntax_error: what is wrong with line n, which inih did not take,
 * into err.
 */
static void
syntax_error(const struct load_ctx *c, int n, char *err, size_t errlen)
{
	const char *s;
	size_t len = line_text(c, n, &s);

	while (len > 0 && (*s == ' ' || *s == '\t'))
		s++, len--;
	if (len > 0 && *s == '[')
		hb_seterr(err, errlen, "%s:%d: syntax error: '%.*s' opens a "
		    "section without closing it (expected '[section]')",
		    c->name, n, (int)(len > 60 ? 60 : len), s);
	else
		hb_seterr(err, errlen, "%s:%d: syntax error: '%.*s%s' (expected "
		    "'[section]', 'key = value' or a comment starting with ; "
		    "or #)", c->name, n, (int)(len > 60 ? 60 : len), s,
		    len > 60 ? "..." : "");
}

int
hb_params_parse_ini(struct hb_params *p, const char *name, const char *text,
    size_t len, char *err, size_t errlen)
{
	struct load_ctx c;
	struct hb_params tmp;
	size_t nparam = 0;
	int rc;

	if (check_text(name, text, len, err, errlen) != 0)
		return -1;
	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++)
		nparam++;
	memset(&c, 0, sizeof(c));
	c.name = name;
	c.text = text;
	c.len = len;
	if ((c.set_on = calloc(nparam, sizeof(*c.set_on))) == NULL ||
	    params_copy(&tmp, p) != 0) {
		free(c.set_on);
		hb_seterr(err, errlen, "%s: out of memory", name);
		return -1;
	}
	c.p = &tmp;
	rc = ini_parse_stream(reader, &c, handler, &c);
	if (c.err_line == 0 && c.long_max == 0 && rc >= 0)
		(void)flush(&c);
	free(c.value);
	free(c.set_on);
	if (c.long_max > 0 && (c.err_line == 0 || c.lineno < c.err_line)) {
		hb_seterr(err, errlen, "%s:%d: line longer than the %d "
		    "characters this libinih's line buffer holds: continue a "
		    "list's value on indented lines, split a comment", name,
		    c.lineno, c.long_max);
	} else if (rc > 0 && (c.err_line == 0 || rc < c.err_line)) {
		syntax_error(&c, rc, err, errlen);
	} else if (c.err_line != 0) {
		hb_seterr(err, errlen, "%s", c.msg);
	} else if (rc < 0) {
		hb_seterr(err, errlen, "%s: out of memory", name);
	} else {
		hb_params_free(p);
		*p = tmp;
		return 0;
	}
	hb_params_free(&tmp);
	return -1;
}

int
hb_params_load(struct hb_params *p, const char *path, char *err,
    size_t errlen)
{
	FILE *f;
	char *text = NULL, *t;
	size_t len = 0, cap = 0, n;
	int rc, read_errno = 0;

	if ((f = fopen(path, "r")) == NULL) {
		hb_seterr(err, errlen, "%s: cannot read: %s", path,
		    strerror(errno));
		return -1;
	}
	/* Whole, up to one byte past the most a config may have. */
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 8192 : cap * 2;
			if ((t = realloc(text, cap)) == NULL) {
				read_errno = ENOMEM;
				break;
			}
			text = t;
		}
		errno = 0;
		n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0 || len > HB_CONFIG_BYTES_MAX) {
			if (ferror(f))
				read_errno = errno != 0 ? errno : EIO;
			break;
		}
	}
	fclose(f);
	if (read_errno != 0) {
		hb_seterr(err, errlen, "%s: cannot read: %s", path,
		    strerror(read_errno));
		free(text);
		return -1;
	}
	rc = hb_params_parse_ini(p, path, text != NULL ? text : "", len, err,
	    errlen);
	free(text);
	return rc;
}

/*
 * Writing.
 */

/* format_value: q's value in p as text that hb_param_set reads back. */
static void
format_value(const struct hb_params *p, const struct hb_param *q, char *buf,
    size_t len)
{
	const void *f = cfield(p, q);

	buf[0] = '\0';
	switch (q->type) {
	case HB_PT_STRING: {
		const char *s = *(char *const *)f;

		snprintf(buf, len, "%s", s != NULL ? s : "");
		break;
	}
	case HB_PT_PICK:
		hb_pick_format(f, q->names, buf, len);
		break;
	case HB_PT_BOOL:
		snprintf(buf, len, "%s", *(const bool *)f ? "true" : "false");
		break;
	case HB_PT_UINT:
		snprintf(buf, len, "%u", *(const unsigned *)f);
		break;
	case HB_PT_DOUBLE: {
		double v = *(const double *)f;

		/* The shortest text that reads back as the same double. */
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(buf, len, "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
		break;
	}
	case HB_PT_DURATION: {
		long t = lround(*(const double *)f);
		size_t o = 0;

		/* 0 (none) stays empty; else 1h30m, 15m, 1m30s, 45s. */
		if (t / 3600 != 0)
			o += (size_t)snprintf(buf + o, len - o, "%ldh", t / 3600);
		if (t % 3600 / 60 != 0 && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%ldm",
			    t % 3600 / 60);
		if (t % 60 != 0 && o < len)
			snprintf(buf + o, len - o, "%lds", t % 60);
		break;
	}
	case HB_PT_BACKOFFS: {
		const struct hb_backoffs *l = f;
		char name[HB_BACKOFF_NAMELEN];
		size_t o = 0;

		for (unsigned i = 0; i < l->n && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
			    i > 0 ? "," : "",
			    hb_backoff_name(&l->v[i], name, sizeof(name)));
		break;
	}
	case HB_PT_ULIST:
	case HB_PT_VALUES: {
		const struct hb_ulist *l = f;

		hb_ulist_format(l, buf, len);
		break;
	}
	}
}

void
hb_ulist_format(const struct hb_ulist *l, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	if (l->kind == HB_ULIST_POW2)
		snprintf(buf, len, "pow2");
	else if (l->kind == HB_ULIST_ALL)
		snprintf(buf, len, "all");
	else
		for (unsigned i = 0; i < l->n && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s%u",
			    i > 0 ? "," : "", l->v[i]);
}

/* Where hb_params_write breaks a line too long for a config. */
#define	WRAP	76

/*
 * write_comment: "; TEXT", over lines of at most WRAP characters (broken
 * at blanks) when one line would be longer than a config line holds.
 */
static void
write_comment(FILE *f, const char *text)
{
	while (strlen(text) + 2 > HB_CONFIG_LINE_MAX) {
		size_t n = WRAP - 2;

		while (n > 0 && text[n] != ' ')
			n--;
		if (n == 0)	/* one long word: up to the next blank */
			n = strcspn(text, " ");
		fprintf(f, "; %.*s\n", (int)n, text);
		text += n;
		while (*text == ' ')
			text++;
	}
	fprintf(f, "; %s\n", text);
}

/*
 * write_value: "KEY = VALUE"; a list too long for a config line goes on
 * over indented lines of at most WRAP characters, each but the last
 * ending in a ',' (hb_params_parse_ini joins them back).
 */
static void
write_value(FILE *f, const struct hb_param *q, const char *v)
{
	if (strlen(q->key) + 3 + strlen(v) <= HB_CONFIG_LINE_MAX ||
	    !is_list(q)) {
		fprintf(f, "%s = %s\n", q->key, v);
		return;
	}
	fprintf(f, "%s =\n", q->key);
	while (*v != '\0') {
		size_t n = 0;

		/* whole items, up to WRAP - 4 characters, at least one */
		for (;;) {
			size_t item = strcspn(v + n, ",");

			if (n > 0 && n + item + 1 > WRAP - 4)
				break;
			n += item;
			if (v[n] == ',')
				n++;
			if (v[n] == '\0')
				break;
		}
		fprintf(f, "    %.*s\n", (int)n, v);
		v += n;
	}
}

int
hb_params_write(const struct hb_params *p, FILE *f)
{
	const char *last = NULL;
	char buf[HB_ULIST_MAX * 12], doc[1024];

	fprintf(f, "; ipibench configuration (the parameters of this run)\n");
	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++) {
		if (last == NULL || strcmp(last, q->section) != 0)
			fprintf(f, "\n[%s]\n", q->section);
		last = q->section;
		format_value(p, q, buf, sizeof(buf));
		snprintf(doc, sizeof(doc), "%s (default: %s)", q->doc,
		    q->defval[0] != '\0' ? q->defval : "empty");
		write_comment(f, doc);
		write_value(f, q, buf);
	}
	fflush(f);
	return ferror(f) ? -1 : 0;
}

void
hb_params_usage(FILE *f)
{
	const char *last = NULL;
	static const char *const meta[] = {
		[HB_PT_STRING] = "TEXT", [HB_PT_PICK] = "LIST",
		[HB_PT_BOOL] = "[BOOL]",
		[HB_PT_UINT] = "N", [HB_PT_DOUBLE] = "X", [HB_PT_ULIST] = "LIST",
		[HB_PT_DURATION] = "TIME",
		[HB_PT_BACKOFFS] = "LIST", [HB_PT_VALUES] = "LIST",
	};

	for (const struct hb_param *q = hb_param_table; q->key != NULL; q++) {
		char flag[64];

		if (last == NULL || strcmp(last, q->section) != 0)
			fprintf(f, "%s[%s] parameters (flag or config key):\n",
			    last == NULL ? "" : "\n", q->section);
		last = q->section;
		snprintf(flag, sizeof(flag), "--%s %s", q->key, meta[q->type]);
		fprintf(f, "  %-24s %s (default: %s)\n", flag, q->doc,
		    q->defval[0] != '\0' ? q->defval : "empty");
	}
}

/*
 * Lists of counts.
 */

static int
cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

unsigned
hb_ulist_resolve(const struct hb_ulist *l, unsigned max, unsigned *out,
    unsigned cap)
{
	unsigned tmp[HB_ULIST_MAX + 1], n = 0, w = 0;

	switch (l->kind) {
	case HB_ULIST_VALUES:
		for (unsigned i = 0; i < l->n && i < HB_ULIST_MAX; i++)
			if (l->v[i] <= max)
				tmp[n++] = l->v[i];
		qsort(tmp, n, sizeof(tmp[0]), cmp_unsigned);
		for (unsigned i = 0; i < n && w < cap; i++)
			if (w == 0 || out[w - 1] != tmp[i])
				out[w++] = tmp[i];
		return w;
	case HB_ULIST_POW2:
		for (unsigned long v = 1; v <= max && w < cap; v *= 2)
			out[w++] = (unsigned)v;
		if (max >= 1 && w < cap && out[w - 1] != max)
			out[w++] = max;
		return w;
	case HB_ULIST_ALL:
		for (unsigned v = 1; v <= max && w < cap; v++)
			out[w++] = v;
		return w;
	}
	return 0;
}
