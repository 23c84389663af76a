"""benchjson: read an ipibench results file (Google Benchmark JSON).

Names follow the grammar of results/README.md:

    name := workload ( "/" key ":" value )*

Google Benchmark's own segments (`manual_time`, `iterations:N`,
`repeats:N`, ...) are dropped, so a benchmark is its workload and its
keys.  Repetitions are reduced here, from the iteration runs, to their
median (Google Benchmark's aggregates are used only when a file holds
nothing else, as with --benchmark_report_aggregates_only).

    run = load("results/X")          # a run folder or a bench.json
    for b in run.benchmarks:         # one per benchmark, repetitions reduced
        b.workload, b.keys["backend"], b.get("p50_ns"), b.errors
        run.kind(b), run.reference(b.keys["backend"])

What the C tables know (each backend's yardstick, whether it spins; each
workload's kind, keys, whether it is a yardstick) comes from the
context's backend_table and workload_table (results/README.md), never
from here: a results file without them still loads, with no reference
yardsticks (so no ratios), and its yardsticks told by their keys
(beside:NAME, no backend:NAME).
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


# One key:value segment of the grammar (results/README.md).
SEGMENT = re.compile(r"^[a-z_]+:[A-Za-z0-9_.+-]+$")


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


class Bench:
    """One benchmark, its repetitions reduced to medians."""

    def __init__(self, run_name, workload, keys):
        self.run_name = run_name
        self.workload = workload
        self.keys = keys
        self.values = {}        # counter or real_time -> median
        self.reps = {}          # counter -> [value per repetition]
        self.errors = []        # error messages of failed repetitions
        self.repetitions = 0

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
            keys = set()
            for v in src:
                keys.update(v)
            for k in keys:
                vals = [v[k] for v in src if k in v]
                b.reps[k] = vals
                b.values[k] = statistics.median(vals)
            self.benchmarks.append(b)

    # Selection.

    def select(self, workload=None, ok=True, where=None, **keys):
        """Benchmarks of a workload whose keys equal the given ones
        (values compared as text; where= for keys that are no Python
        names, such as self); only the good ones unless ok=False."""
        keys.update(where or {})
        out = []
        for b in self.benchmarks:
            if workload is not None and b.workload != workload:
                continue
            if ok and not b.ok:
                continue
            if any(str(b.keys.get(k)) != str(v) for k, v in keys.items()):
                continue
            out.append(b)
        return out

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

    def title(self, what):
        """A figure title: what, machine, date; a simulated run's
        (ipibench run --simulate: its figures are not timings) says so."""
        host = self.context.get("host_name", "")
        sim = (" \u2014 SIMULATED, not timings"
               if truthy(self.context.get("simulated_topology", False))
               else "")
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
