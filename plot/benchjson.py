"""benchjson: read an ipibench results file (Google Benchmark JSON).

Names follow the grammar of results/README.md:

    name := workload ( "/" key ":" value )*

A segment is split at its first colon: a value may hold colons
(`backoff:seed:4:128`).  Google Benchmark's own segments (`manual_time`,
`iterations:N`, `repeats:N`, ...) are dropped, so a benchmark is its
workload and its keys.  Repetitions are reduced here, from the iteration
runs, to their median (Google Benchmark's aggregates are used only when a
file holds nothing else, as with --benchmark_report_aggregates_only).
A benchmark's rows need not be contiguous: ipibench interleaves the
repetitions of the benchmarks of one machine (backend, placement, vCPU
count), each benchmark's aggregates after its last repetition.

    run = load("results/X")          # a run folder or a bench.json
    for b in run.benchmarks:         # one per benchmark, repetitions reduced
        b.workload, b.keys["backend"], b.get("p50_ns"), b.errors
        run.kind(b), run.reference(b.keys["backend"])
        run.ratio(b)                 # p50 over its reference of its shape
        b.moved                      # repetitions whose reference moved

Ratios (Run.ratio).  Each repetition of unicast, multicast, broadcast and
trigger mode:latency carries its own reference, measured on the same
vCPUs just before it: `ref_p50_ns` (the p50 of a short batch of the
backend's reference yardstick, its n-target version for fan-out) and
`x_ref` (that repetition's p50 over it).  A benchmark's ratio is the
median of x_ref over its repetitions whose reference did not move (see
MOVED_FACTOR).  A results file of an older ipibench has no x_ref: its
pair round trips (unicast, trigger mode:latency) are divided by the
yardstick benchmark measured beside the backend, at another moment
(Ratio.how "beside"), and its fan-out figures get no ratio (no yardstick
of their shape).

What the C tables know (each backend's yardstick, whether it spins; each
workload's kind, keys, whether it is a yardstick) comes from the
context's backend_table and workload_table (results/README.md), never
from here: a results file without them still loads, with no reference
yardsticks (so no ratios), and its yardsticks told by their keys
(beside:NAME, no backend:NAME).

Segments that sweep a condition of one benchmark (results/README.md):
`dwell:N` (unicast, trigger: microseconds a sleeping target stayed
asleep before the wake-up; a spinning backend has dwell:0 only) and
`rate:R` (mboxfull open loop; closed loop has none).  They are keys like
any other, so two values never merge; a plot that compares backends
picks one value with Run.select (LOWEST: each benchmark's lowest dwell;
None: no rate, the closed loop).  The context keys of the measurement
method (timer_step_ns, build_*, runner_pus, ...) may be missing from
older files: every reader here returns None then.
"""
import json
import os
import re
import statistics

# Segments Google Benchmark appends to names; never ours.
GB_KEYS = {"iterations", "repeats", "min_time", "min_warmup_time", "threads"}

# Latency counters (nanoseconds) in the order a distribution is read.
PERCENTILES = [("p50_ns", 0.50), ("p90_ns", 0.90), ("p99_ns", 0.99),
               ("p999_ns", 0.999)]

# Pair classes from nearest to farthest (harness/topology.h).
CLASS_ORDER = ["core", "l1", "l1i", "l2", "l3", "group", "die", "package",
               "machine"]

TIME_SCALE = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

# matplotlib's "tab10" colour cycle: backend i of backend_table is drawn
# in COLORS[i], the backends the table lacks in the colours after.
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
          "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


# One key:value segment of the grammar (results/README.md); the value
# may hold colons (backoff:seed:4:128): split at the first.
SEGMENT = re.compile(r"^[a-z_]+:[A-Za-z0-9_.+:-]+$")

# A repetition's in-situ reference "moved" when its ref_p50_ns is more
# than MOVED_FACTOR times above or below the median of its pool (every
# reference of the same kind on the same vCPUs in the run: Run.pool_key)
# and more than MOVED_NS away from it: the matrix's rule for an unstable
# cell (results/README.md, matrix.csv), one rule for both.  On a VM it
# means the host moved the vCPUs between the reference and the others.
MOVED_FACTOR, MOVED_NS = 1.5, 50.0

# The keys that say which vCPUs a benchmark reaches beside its src: a
# pair's dst, a multicast's k and order, a broadcast's n.
TARGET_KEYS = ("dst", "k", "order", "n")

# The yardstick of a fan-out's shape run by the kernel: membarrier at n
# vCPUs taking part, the sender included (workloads/membarrier.c): a
# broadcast on n vCPUs, a multicast to k targets at n = k + 1.
FANOUT_YARDSTICK = "membarrier"


class _Lowest:
    """Run.select's value LOWEST: see there."""

    def __repr__(self):
        return "LOWEST"


# Run.select(where={k: LOWEST}): a benchmark without k, or one whose k is
# the lowest of the benchmarks that differ from it only in k (the same
# workload and every other key): dwell 0, or the first dwell of a
# backoff value that carries only that one.
LOWEST = _Lowest()


def resolved(samples, q):
    """Whether samples single operations resolve the quantile q: at
    least one sample lies above it (samples >= 1 / (1 - q): p90 needs 10,
    p99 100, p99.9 1000).  True when the count is unknown (None)."""
    if not isinstance(samples, (int, float)):
        return True
    return samples * (1.0 - q) >= 1.0 - 1e-9


def step_decimals(step):
    """The decimals that write a multiple of step exactly (10.0: 0; 2.5:
    1), at most 3."""
    d = 0
    while d < 3 and abs(step * 10 ** d - round(step * 10 ** d)) > 1e-6:
        d += 1
    return d


def fmt_time(v, step=None, none="–"):
    """Nanoseconds as short text with a unit ("171 ns", "11.2 µs").  With
    the timer's step (ns; Run.timer_step) the value is first rounded to a
    multiple of it, and under 1 µs written as that multiple ("170 ns" at
    a step of 10 ns, never "171.4 ns"; "< 10 ns" for a value above 0
    that rounds to 0); None reads none."""
    if v is None:
        return none
    if step:
        r = round(v / step) * step
        if abs(r) < 1e3:
            if r == 0 and v > 0:
                return "< %.*f ns" % (step_decimals(step), step)
            return "%.*f ns" % (step_decimals(step), r)
        v = r
    if abs(v) >= 1e6:
        return "%.3g ms" % (v / 1e6)
    if abs(v) >= 1e3:
        return "%.3g µs" % (v / 1e3)
    return "%.3g ns" % v


def dwell_text(v):
    """A dwell value (microseconds, as the names write it) as text: "0",
    "100 µs", "1 ms"."""
    x = num(v)
    if not isinstance(x, (int, float)):
        return str(v)
    return "0" if x == 0 else fmt_time(x * 1e3)


def moved(ref, pool_median):
    """Whether a reference ref moved from its pool's median (MOVED_*)."""
    if not ref or not pool_median or ref <= 0 or pool_median <= 0:
        return False
    return abs(ref - pool_median) > MOVED_NS and \
        max(ref / pool_median, pool_median / ref) > MOVED_FACTOR


def segments(name):
    """The key:value segments of a benchmark name, Google Benchmark's
    included (segments without ':', such as manual_time, dropped)."""
    return [seg for seg in name.split("/")[1:] if ":" in seg]


def canonical_name(name):
    """name as the grammar writes it: workload/key:value/..., without
    Google Benchmark's segments."""
    return "/".join([name.split("/")[0]] +
                    [seg for seg in segments(name)
                     if seg.split(":", 1)[0] not in GB_KEYS])


def parse_name(name):
    """(workload, {key: value}) of a benchmark name; Google Benchmark's
    segments and segments without ':' dropped.  Values stay strings."""
    keys = {}
    for seg in canonical_name(name).split("/")[1:]:
        k, v = seg.split(":", 1)
        keys[k] = v
    return name.split("/")[0], keys


def num(v):
    """v as int when it is one, else float, else the string."""
    try:
        return int(v)
    except (TypeError, ValueError):
        try:
            return float(v)
        except (TypeError, ValueError):
            return v


def _order(v):
    """A sort key of a value: numbers by value, before text."""
    n = num(v)
    return (0, n, "") if isinstance(n, (int, float)) else (1, 0, str(v))


def context_table(context, key):
    """The list of objects that context[key] holds as JSON text (or as a
    list), each with a "name"; [] when the key is absent or malformed."""
    v = context.get(key)
    if isinstance(v, str):
        try:
            v = json.loads(v)
        except ValueError:
            return []
    if not isinstance(v, list):
        return []
    return [e for e in v if isinstance(e, dict) and
            isinstance(e.get("name"), str)]


def truthy(v):
    """A context value read as a yes/no ("true", "yes", "1", "on", True)."""
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v != 0
    return str(v).strip().lower() in ("true", "yes", "1", "on")


class Ratio:
    """A benchmark's p50 over its reference of the same shape.

    value   the ratio, or None when every repetition's reference moved
    how     "in-situ": the median of x_ref over the repetitions whose
            reference did not move; "moved": none is left (value None);
            "beside": an older results file without x_ref: the p50 over
            the p50 of the yardstick benchmark beside the backend, at
            another moment
    used, total   repetitions the value comes from, and all of them
    """

    def __init__(self, value, how, used=0, total=0):
        self.value, self.how, self.used, self.total = value, how, used, total

    def text(self, spec="%.2f", mark="*"):
        """The ratio as a table cell: "2.47", "moved", or "2.47*" (mark:
        from another moment)."""
        if self.how == "moved":
            return "moved"
        return (spec % self.value) + (mark if self.how == "beside" else "")

    def __repr__(self):
        return "Ratio(%r, %s, %d/%d)" % (self.value, self.how, self.used,
                                          self.total)


class Bench:
    """One benchmark, its repetitions reduced to medians."""

    def __init__(self, run_name, workload, keys):
        self.run_name = run_name
        self.workload = workload
        self.keys = keys
        self.values = {}        # counter or real_time -> median
        self.reps = {}          # counter -> [value per repetition]
        self.rows = []          # the repetitions' values, in file order
        self.errors = []        # error messages of failed repetitions
        self.repetitions = 0
        self.moved = []         # indexes in rows whose reference moved
        self.pool_median = None  # the median of its references' pool

    def get(self, key, default=None):
        return self.values.get(key, default)

    @property
    def backend(self):
        return self.keys.get("backend") or self.keys.get("beside")

    @property
    def ok(self):
        return not self.errors and "p50_ns" in self.values

    def key(self, k, default=None):
        return num(self.keys[k]) if k in self.keys else default

    def label(self, skip=()):
        """The keys as text, without the ones in skip."""
        return "/".join("%s:%s" % (k, v) for k, v in self.keys.items()
                        if k not in skip)

    def __repr__(self):
        return "Bench(%s)" % self.run_name


NOT_COUNTERS = {"name", "family_index", "per_family_instance_index",
                "run_name", "run_type", "repetitions", "repetition_index",
                "threads", "iterations", "time_unit", "aggregate_name",
                "aggregate_unit", "error_occurred", "error_message", "label",
                "cpu_time"}


def _values(entry):
    """The numeric values of one JSON entry: counters and real_time (ns)."""
    out = {}
    scale = TIME_SCALE.get(entry.get("time_unit", "ns"), 1.0)
    for k, v in entry.items():
        if k in NOT_COUNTERS or not isinstance(v, (int, float)) or \
                isinstance(v, bool):
            continue
        out[k] = v * scale if k == "real_time" else v
    return out


class Run:
    """A results file: its context, its benchmarks, where it lives."""

    def __init__(self, data, path):
        self.path = path
        self.folder = os.path.dirname(path)
        self.context = data.get("context", {})
        if not isinstance(self.context, dict):
            self.context = {}
        self.backend_table = context_table(self.context, "backend_table")
        self.workload_table = context_table(self.context, "workload_table")
        self.benchmarks = []
        self._fanout_ys = None    # fanout_yardstick's candidates, once
        self._lowest = {}         # lowest(): key -> {group: value}
        self.raw = data.get("benchmarks", [])
        by_name = {}
        order = []
        for e in self.raw:
            rn = e.get("run_name") or e.get("name", "")
            if rn not in by_name:
                w, keys = parse_name(rn)
                by_name[rn] = (Bench(rn, w, keys), [], [])
                order.append(rn)
            b, iters, aggs = by_name[rn]
            if e.get("error_occurred"):
                b.errors.append(e.get("error_message", "error"))
                continue
            if e.get("run_type") == "aggregate":
                if e.get("aggregate_name") == "median":
                    aggs.append(_values(e))
            else:
                iters.append(_values(e))
        for rn in order:
            b, iters, aggs = by_name[rn]
            src = iters or aggs
            b.repetitions = len(iters)
            b.rows = iters
            keys = set()
            for v in src:
                keys.update(v)
            for k in keys:
                vals = [v[k] for v in src if k in v]
                b.reps[k] = vals
                b.values[k] = statistics.median(vals)
            self.benchmarks.append(b)
        self._flag_moved()

    # Selection.

    def select(self, workload=None, ok=True, where=None, **keys):
        """Benchmarks of a workload whose keys equal the given ones
        (values compared as text; where= for keys that are no Python
        names, such as self); only the good ones unless ok=False.  A
        value None selects the benchmarks without that key (rate=None:
        mboxfull's closed loop); LOWEST those without it or at the
        lowest value of their kind (dwell=LOWEST: module LOWEST)."""
        keys.update(where or {})
        out = []
        for b in self.benchmarks:
            if workload is not None and b.workload != workload:
                continue
            if ok and not b.ok:
                continue
            if not all(self._match(b, k, v) for k, v in keys.items()):
                continue
            out.append(b)
        return out

    def _match(self, b, k, v):
        if v is None:
            return k not in b.keys
        if v is LOWEST:
            return k not in b.keys or b.keys[k] == self.lowest(b, k)
        return str(b.keys.get(k)) == str(v)

    def lowest(self, b, k):
        """The lowest value of key k (as numbers when they are) among the
        benchmarks, failed ones included, that differ from b only in k;
        None when b has no k."""
        if k not in b.keys:
            return None
        if k not in self._lowest:
            low = {}
            for x in self.benchmarks:
                if k in x.keys:
                    g = self._group(x, k)
                    v = x.keys[k]
                    if g not in low or _order(v) < _order(low[g]):
                        low[g] = v
            self._lowest[k] = low
        return self._lowest[k].get(self._group(b, k))

    @staticmethod
    def _group(b, k):
        return (b.workload, tuple((kk, v) for kk, v in b.keys.items()
                                  if kk != k))

    def workloads(self):
        seen = []
        for b in self.benchmarks:
            if b.workload not in seen:
                seen.append(b.workload)
        return seen

    def values_of(self, key, workload=None):
        """Distinct values of a key, in order of appearance (numbers
        sorted)."""
        seen = []
        for b in self.benchmarks:
            if workload is not None and b.workload != workload:
                continue
            if key in b.keys and b.keys[key] not in seen:
                seen.append(b.keys[key])
        if all(isinstance(num(v), (int, float)) for v in seen):
            seen.sort(key=num)
        return seen

    def backends(self):
        """Backends in the run, in the order of the context or of the
        file."""
        seen = self.values_of("backend")
        for b in self.values_of("beside"):
            if b not in seen:
                seen.append(b)
        listed = [x for x in str(self.context.get("backends", "")).split(",")
                  if x in seen]
        return listed + [b for b in seen if b not in listed]

    def errors(self):
        """(run_name, message) of every benchmark that failed."""
        return [(b.run_name, m) for b in self.benchmarks for m in
                sorted(set(b.errors))]

    def yardstick(self, name, beside, src=None, dst=None, cls=None):
        """The yardstick `name` measured beside a backend, for the pair
        (src, dst) or else the pair class, else the nearest class."""
        cands = self.select(name, beside=beside)
        if not cands:
            return None
        if src is not None and dst is not None:
            for b in cands:
                if b.keys.get("src") == str(src) and \
                        b.keys.get("dst") == str(dst):
                    return b
        if cls is not None:
            for b in cands:
                if b.keys.get("class") == cls:
                    return b
        return sorted(cands, key=lambda b: class_rank(b.keys.get("class")))[0]

    # In-situ references and ratios.

    def pool_key(self, b):
        """The pool of b's references: (reference kind, src, targets
        [, backoff and dwell for a wake-up]); None when b has none.  The
        kind of an IPI benchmark is its backend's reference
        (backend_table), that of a yardstick its workload; targets the
        TARGET_KEYS its name has."""
        if "backend" in b.keys:
            kind = self.reference(b.keys["backend"])
        elif self.is_yardstick(b.workload):
            kind = b.workload
        else:
            kind = None
        if kind is None or "src" not in b.keys:
            return None
        key = (kind, b.keys["src"],
               tuple((k, b.keys[k]) for k in TARGET_KEYS if k in b.keys))
        # A sleeping backend's reference (a wake-up) spins for its ack
        # with its benchmark's backoff (the yardsticks' with the seed's),
        # and wakes a target that slept its benchmark's dwell (dwell:N;
        # the yardsticks' and an older file's: none, 0): a wake-up after
        # 1000 us asleep is no reference for one after 0.  Pools by
        # both; pingpong never pauses nor sleeps.
        if any(e.get("reference") == kind and not e.get("spins")
               for e in self.backend_table):
            key += (b.keys.get("backoff", "seed"), b.keys.get("dwell", "0"))
        return key

    def _flag_moved(self):
        """Flag the repetitions whose in-situ reference moved (MOVED_*)
        against the median of its pool: every repetition's ref_p50_ns of
        the same kind, src and targets, and for a pair the p50 of every
        yardstick benchmark of that kind on the same src and dst."""
        pools, members = {}, []
        refs = {self.reference(e["name"]) for e in self.backend_table}
        for b in self.benchmarks:
            if not b.ok:
                continue
            key = self.pool_key(b)
            if key is None:
                continue
            if "backend" not in b.keys:
                if b.workload in refs and "dst" in b.keys:
                    pools.setdefault(key, []).append(b.get("p50_ns"))
                continue
            for i, row in enumerate(b.rows):
                ref = row.get("ref_p50_ns")
                if isinstance(ref, (int, float)) and ref > 0:
                    pools.setdefault(key, []).append(ref)
                    members.append((b, i, ref, key))
        medians = {k: statistics.median(v) for k, v in pools.items()}
        for b, i, ref, key in members:
            b.pool_median = medians[key]
            if moved(ref, medians[key]):
                b.moved.append(i)

    def moved_benchmarks(self):
        """The benchmarks with at least one repetition whose reference
        moved, in file order."""
        return [b for b in self.benchmarks if b.moved]

    def has_insitu(self, b=None):
        """Whether b (or any benchmark of the run) carries in-situ
        references (x_ref or ref_p50_ns) that this file can read: never
        without a backend table (results/README.md: no ratios then)."""
        if not self.backend_table:
            return False
        bs = [b] if b is not None else self.benchmarks
        return any("x_ref" in x.values or "ref_p50_ns" in x.values
                   for x in bs)

    def many_pairs(self, workload):
        """Whether each figure of workload is over many pairs of vCPUs
        (the matrix workload's: its names carry a class but no src and
        dst), from the workload table."""
        info = self.workload_info(workload)
        keys = info.get("keys") if info else None
        return isinstance(keys, list) and "class" in keys and \
            not self.is_pair(workload)

    def beside_reference(self, b):
        """The yardstick benchmark of b's backend's reference measured
        beside the backend (another moment than b): for a pair round trip
        (kind latency, a pair workload) the same pair, else the nearest
        class; None for any other shape (no yardstick of its shape)."""
        be = b.keys.get("backend")
        ys = self.reference(be)
        if ys is None or self.kind(b) != "latency" or \
                not self.is_pair(b.workload):
            return None
        return self.yardstick(ys, be, b.key("src"), b.key("dst"),
                              b.keys.get("class"))

    def ratio(self, b):
        """b's p50 over its reference of the same shape (a Ratio), or
        None when there is none.  In-situ (x_ref): the median over the
        repetitions whose reference did not move ("moved" when none is
        left; from the _median aggregate when the file has only
        aggregates); else, for a pair round trip of an older results
        file, over the yardstick beside ("beside", another moment).  None
        in a file without a backend table (no reference is known)."""
        if not b.ok or not self.backend_table:
            return None
        per = []
        for i, row in enumerate(b.rows):
            x = row.get("x_ref")
            if x is None and row.get("ref_p50_ns") and \
                    row.get("p50_ns") is not None:
                x = row["p50_ns"] / row["ref_p50_ns"]
            if x is not None:
                per.append((i, x))
        if per:
            kept = [x for i, x in per if i not in b.moved]
            if not kept:
                return Ratio(None, "moved", 0, len(per))
            return Ratio(statistics.median(kept), "in-situ", len(kept),
                         len(per))
        if b.get("x_ref") is not None:     # aggregates only
            return Ratio(b.get("x_ref"), "in-situ")
        y = self.beside_reference(b)
        if y is not None and y.get("p50_ns"):
            return Ratio(b.get("p50_ns") / y.get("p50_ns"), "beside",
                         b.repetitions, b.repetitions)
        return None

    def fanout_n(self, b):
        """The vCPUs taking part in a fan-out benchmark, the sender
        included (a broadcast's n; a multicast's k + 1); None for other
        shapes."""
        if "n" in b.keys:
            return b.key("n")
        if "k" in b.keys:
            k = b.key("k")
            return k + 1 if isinstance(k, int) else None
        return None

    def fanout_yardstick(self, b):
        """The FANOUT_YARDSTICK benchmark at b's n (fanout_n), beside b's
        backend when there is one, else beside any; the same src
        preferred; None when the run has none at that n."""
        n = self.fanout_n(b)
        if n is None or "backend" not in b.keys:
            return None
        if self._fanout_ys is None:
            self._fanout_ys = [y for y in self.select(FANOUT_YARDSTICK)
                               if y.get("p50_ns")]
        cands = [y for y in self._fanout_ys if y.key("n") == n]
        cands.sort(key=lambda y: (y.keys.get("beside") != b.keys["backend"],
                                  y.keys.get("src") != b.keys.get("src")))
        return cands[0] if cands else None

    # The tables of the context.

    def backend_info(self, name):
        """The backend_table entry of a backend, or None."""
        for e in self.backend_table:
            if e["name"] == name:
                return e
        return None

    def workload_info(self, name):
        """The workload_table entry of a workload, or None."""
        for e in self.workload_table:
            if e["name"] == name:
                return e
        return None

    def kind(self, bench):
        """What one operation of bench is: "latency", "throughput",
        "count" (the workload's kind, or the kind_of entry of a
        key:value segment of its name); None for an unknown workload."""
        info = self.workload_info(bench.workload)
        if info is None:
            return None
        kind_of = info.get("kind_of")
        if isinstance(kind_of, dict):
            for seg, k in kind_of.items():
                key, _, val = str(seg).partition(":")
                if bench.keys.get(key) == val:
                    return k
        return info.get("kind")

    def reference(self, backend):
        """The yardstick of the same wake-up shape as backend's, or
        None (none, or no table)."""
        info = self.backend_info(backend)
        ref = info.get("reference") if info else None
        return ref if isinstance(ref, str) and ref else None

    def spins(self, backend):
        """Whether backend's idle vCPUs spin; None when unknown."""
        info = self.backend_info(backend)
        if info is None or "spins" not in info:
            return None
        return truthy(info["spins"])

    def is_yardstick(self, workload):
        """From the table, else from the names: beside:NAME and no
        backend:NAME."""
        info = self.workload_info(workload)
        if info is not None:
            return truthy(info.get("yardstick", False))
        bs = self.select(workload, ok=False)
        return bool(bs) and all("beside" in b.keys and
                                "backend" not in b.keys for b in bs)

    def yardsticks(self):
        """The yardstick workloads: the table's in table order, then the
        run's others."""
        out = [e["name"] for e in self.workload_table
               if truthy(e.get("yardstick", False))]
        return out + [w for w in self.workloads()
                      if w not in out and self.workload_info(w) is None and
                      self.is_yardstick(w)]

    def ipi_workloads(self):
        """The IPI workloads: the table's non-yardsticks in table order,
        then the run's others with backend:NAME."""
        out = [e["name"] for e in self.workload_table
               if not truthy(e.get("yardstick", False))]
        return out + [w for w in self.workloads()
                      if w not in out and self.workload_info(w) is None and
                      any("backend" in b.keys for b in
                          self.select(w, ok=False))]

    def is_pair(self, workload):
        """Whether the workload's names carry a pair (src and dst)."""
        info = self.workload_info(workload)
        keys = info.get("keys") if info else None
        return isinstance(keys, list) and "src" in keys and "dst" in keys

    def color(self, backend):
        """A colour per backend, the same in every run: its index in
        backend_table; backends the table lacks take the colours after,
        in the run's order."""
        names = [e["name"] for e in self.backend_table]
        if backend not in names:
            names += [b for b in self.backends() if b not in names]
            if backend not in names:
                names.append(backend)
        return COLORS[names.index(backend) % len(COLORS)]

    # Description.

    def machine(self):
        c = self.context
        return c.get("cpu_model") or c.get("host_name") or "unknown machine"

    def date(self):
        return str(self.context.get("date", ""))[:16].replace("T", " ")

    def timer_step(self):
        """The smallest step the timer moves in (ns, context
        timer_step_ns), or None (an older file, or not a number > 0)."""
        try:
            v = float(self.context.get("timer_step_ns"))
        except (TypeError, ValueError):
            return None
        return v if v > 0 and v == v and v != float("inf") else None

    def sanitizer(self):
        """The sanitizer the figures come from ("thread", ...; "yes"
        when only sanitized_results says so), or None: a plain build, or
        an older file that does not say."""
        c = self.context
        san = str(c.get("build_sanitizer", "") or "").strip()
        if san and san.lower() not in ("none", "no", "false", "0", "off"):
            return san
        if truthy(c.get("sanitized_results", False)):
            return "yes"
        return None

    def title(self, what):
        """A figure title: what, machine, date; a simulated run's
        (ipibench run --simulate) and a sanitizer build's say that their
        figures are not timings."""
        host = self.context.get("host_name", "")
        marks = []
        if truthy(self.context.get("simulated_topology", False)):
            marks.append("SIMULATED")
        if self.sanitizer():
            marks.append("SANITIZER BUILD")
        sim = (" \u2014 %s, not timings" % " and ".join(marks)
               if marks else "")
        if what:
            what += sim
            sim = ""
        return "%s\n%s%s, %s%s" % (what, host + ": " if host else "",
                                   self.machine(), self.date(), sim)


def class_rank(c):
    try:
        return CLASS_ORDER.index(c)
    except ValueError:
        return len(CLASS_ORDER)


def find_json(path):
    """The bench.json of a run folder, or path itself."""
    if os.path.isdir(path):
        return os.path.join(path, "bench.json")
    return path


def load(path):
    """Run of a folder or a JSON file.  Raises ValueError with the path on
    a file that is not Google Benchmark JSON."""
    p = find_json(path)
    try:
        with open(p) as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError("%s: not valid JSON: %s" % (p, e))
    if not isinstance(data, dict) or "benchmarks" not in data:
        raise ValueError("%s: no 'benchmarks' list: not Google Benchmark "
                         "JSON" % p)
    return Run(data, p)
