#!/usr/bin/env python3
"""report.py: write REPORT.md for an ipibench run folder.

    report.py RUN_DIR

Reads RUN_DIR/bench.json, RUN_DIR/plots/plots.json (from plot.py) and,
when present, RUN_DIR/INCOMPLETE; writes RUN_DIR/REPORT.md: a warning
first when the figures come from a sanitizer build or when other work
was seen busy on the selected PUs at the start (context other_busy, the
load average beside it), the machine, how many benchmarks had an
in-situ reference that moved (first lines) and which (section Moved
references), how the run measured (build, timer step, warm-up, perf
pass, idle dwell, cpuidle, the runner's PUs, the load and other work at
the start, the run lock: the context keys a run writes, each line left
out when an older file lacks it), warnings, a table per workload (p50
and p99 per backend; × ref, the ratio to the in-situ reference of the
same shape, or in an older run to the yardstick beside, marked *; ×
membarrier for fan-outs; delivery and wait overhead; trigger's latency
and coalescing in one table; mboxfull's fairness, its open loop in rows
of their own), wake-up latency vs idle dwell and round trip vs backoff
when the run has several values, the yardsticks, the plots inline, and
the benchmarks that failed.  Times are rounded to the timer's step
where the run gives it (timer_step_ns).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchjson as bj  # noqa: E402

MAX_ROWS = 64


def share_x_s(key):
    """A sender's share (share_min, share_max) times S: 1 is its fair
    share 1/S."""
    def get(b):
        v, s = b.get(key), b.key("senders")
        return v * s if v is not None and isinstance(s, (int, float)) \
            else None
    return get


# Columns beyond p50/p99/ratios: (counter or getter, header, scale,
# format).  A column is shown when a benchmark of the workload has it:
# runs of an older ipibench lack deliver_*, ack_*, wait_overhead_*, newer
# ones arrival_* (multicast) and wait_* (mboxfull).
DELIVERY = [("deliver_p50_ns", "deliver p50", 1, "ns"),
            ("wait_overhead_p50_ns", "wait ovh p50", 1, "ns")]
EXTRA = {
    "unicast": DELIVERY,
    "matrix": [("pingpong_p50_ns", "pingpong p50", 1, "ns"),
               ("unstable_pairs", "unstable pairs", 1, "%d")],
    "multicast": DELIVERY + [("arrival_p50_ns", "arrival p50", 1, "ns")],
    "broadcast": DELIVERY,
    "trigger": [("triggers_per_run", "trig/run", 1, "%.1f"),
                ("triggers_per_s", "Mtrig/s", 1e-6, "%.3g")],
    "mboxfull": [("offered_per_s", "offered Mmsg/s", 1e-6, "%.3g"),
                 ("msgs_per_s", "Mmsg/s", 1e-6, "%.3g"),
                 ("full_per_msg", "full/msg", 1, "%.3f"),
                 (share_x_s("share_min"), "min share ×S", 1, "%.2f"),
                 (share_x_s("share_max"), "max share ×S", 1, "%.2f"),
                 ("deliver_p50_ns", "deliver p50", 1, "ns"),
                 ("ack_p50_ns", "ack p50", 1, "ns"),
                 ("wait_p50_ns", "wait p50", 1, "ns")],
}


def value_of(b, what):
    """A column's value of b: a counter's, or a getter's."""
    return what(b) if callable(what) else b.get(what)


def has_ratio(run, b):
    """Whether b has a ratio to a reference of its own shape (× ref):
    in-situ (x_ref), or in an older results file a pair round trip on a
    backend that has a reference yardstick (benchjson.Run.ratio)."""
    return run.ratio(b) is not None


def fanout_workloads(run):
    """The IPI workloads whose names count targets (k) or vCPUs (n)."""
    return [w for w in run.ipi_workloads()
            if any(("k" in b.keys or "n" in b.keys)
                   for b in run.select(w, ok=False))]


def no_ratio_text(run):
    """The IPI workloads whose operation is no round trip, from the
    workload table: "throughputs (w) and counts (w mode:x)"."""
    by_kind = {}
    for e in run.workload_table:
        if run.is_yardstick(e["name"]):
            continue
        if isinstance(e.get("kind"), str) and e["kind"] != "latency":
            by_kind.setdefault(e.get("kind"), []).append(e["name"])
        kind_of = e.get("kind_of")
        for seg, k in (kind_of.items() if isinstance(kind_of, dict)
                       else []):
            if isinstance(k, str) and k != "latency":
                by_kind.setdefault(k, []).append("%s %s" % (e["name"], seg))
    many = [e["name"] for e in run.workload_table
            if not run.is_yardstick(e["name"]) and e.get("kind") ==
            "latency" and run.many_pairs(e["name"])]
    return " and ".join(["%ss (%s)" % (k, ", ".join(ws))
                         for k, ws in by_kind.items()] +
                        (["figures over many pairs (%s: its pingpong "
                          "column is the yardstick measured on the same "
                          "pairs)" % ", ".join(many)] if many else []))


def reference_pairs(run, quote="%s"):
    """ "backend: yardstick, ..." for the run's backends that have one,
    in table order; quote: how to write a yardstick's name."""
    return ", ".join(("%s: " + quote) % (e["name"], run.reference(e["name"]))
                     for e in run.backend_table
                     if e["name"] in run.backends() and
                     run.reference(e["name"]) is not None)


def ratio_text(run, name, quote):
    """What the column `name` (ratios to references of the same shape)
    holds, from the tables and from what the run carries (in-situ
    references, or an older run's yardsticks beside); quote: how to write
    a yardstick's name."""
    if not run.backend_table:
        return ("This results file has no backend table (an older "
                "ipibench): no ratios to yardsticks.")
    refs = reference_pairs(run, quote)
    if not refs:
        return "No backend of this run has a reference yardstick: no ratios."
    nr = no_ratio_text(run)
    nr = "; none for " + nr if nr else ""
    fan = fanout_workloads(run)
    if run.has_insitu():
        beside = any(r is not None and r.how == "beside"
                     for r in map(run.ratio, run.benchmarks))
        return ("%s is the p50 over the reference of the same shape "
                "measured in situ, on the same vCPUs just before each "
                "repetition (%s%s): the median over the repetitions of "
                "each one's ratio, those whose reference moved left out "
                "(cell `moved` when none is left)%s.%s" %
                (name, refs,
                 "; for %s the n-target version: one line written by the "
                 "sender and read by every target, each acking on it, or "
                 "one wake-up per target, waiting for every ack" %
                 " and ".join(fan) if fan else "", nr,
                 " A value marked * has no in-situ reference: it divides "
                 "by the yardstick benchmark measured beside the backend, "
                 "at another moment." if beside else ""))
    return ("%s is the p50 divided by the p50 of the yardstick of the same "
            "shape measured on the same PUs beside the backend, at another "
            "moment than the benchmark (marked *: this results file has "
            "no in-situ reference, x_ref, measured just before each "
            "repetition; %s; the same pair, else the nearest)%s%s." %
            (name, refs, "; none for fan-outs (%s): no yardstick of their "
             "shape" % ", ".join(fan) if fan else "", nr))


def membarrier_text(run, name):
    """What the column `name` (ratios to the fan-out yardstick) holds."""
    return ("%s is a fan-out's p50 over the p50 of `%s` at the same number "
            "of vCPUs taking part, the sender included (broadcast n, "
            "multicast k + 1), measured beside the backend: the kernel's own "
            "IPI to n - 1 busy CPUs (`–` where the run measured it at no "
            "such n)." % (name, bj.FANOUT_YARDSTICK))


def delivery_text(run):
    """What the delivery columns hold; "" when the run has none."""
    if not any("deliver_p50_ns" in b.values for b in run.benchmarks):
        return ""
    return ("**deliver p50**: post → the start of the handler on a target "
            "(over targets and operations); **ack p50**: post → the last "
            "target's acknowledgement; **wait ovh p50**: from that last "
            "acknowledgement to the sender's ipi_wait() seeing it, the "
            "backoff's (`backoff:`) share of the round trip and the line's "
            "way back (per operation, ack + wait overhead is the round "
            "trip).  mboxfull's deliver and ack start just before "
            "ipi_unicast(), so a full mailbox's spinning counts.")


def fmt_ns(v, step=None):
    """Nanoseconds as text; with step (the timer's, ns) rounded to it:
    under 1 µs a multiple of the step (benchjson.fmt_time)."""
    return bj.fmt_time(v, step)


def ns(run, v):
    """A time of run as REPORT.md writes it: rounded to the run's timer
    step (context timer_step_ns) where the run says it."""
    return fmt_ns(v, run.timer_step())


def fmt(v, spec, scale=1, step=None):
    if v is None:
        return "–"
    if spec == "ns":
        return fmt_ns(v * scale, step)
    return spec % (v * scale)


def md_escape(s):
    return str(s).replace("|", "\\|")


def table(header, rows, align=None):
    """A Markdown table; align: one of "l", "r" per column (default: the
    first left, the others right)."""
    align = align or ["l"] + ["r"] * (len(header) - 1)
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---" if a == "l" else "---:"
                          for a in align) + "|"]
    for r in rows:
        out.append("| " + " | ".join(md_escape(c) for c in r) + " |")
    return out


def single_keys(run, w, keys=("placement", "backoff", "dwell")):
    """{key: value} of the keys of keys that take one value in workload
    w, every benchmark of w having it (or, a key of ROW_DEFAULTS, standing
    in its row): left out of its row labels (said above the table)."""
    out = {}
    every = run.select(w, ok=False)
    for k in keys:
        vs = run.values_of(k, w)
        if len(vs) == 1 and (k in ROW_DEFAULTS or
                             all(k in b.keys for b in every)):
            out[k] = vs[0]
    return out


# Keys a benchmark of a workload may lack where others of it have them:
# its row is then that of the workload's lowest value (an older file's
# trigger without dwell beside a newer one's dwell:0; mode:coalesce runs
# at the first dwell value only).
ROW_DEFAULTS = ("dwell",)


def key_order(bs):
    """Every key of benchmarks bs in name order: a key first seen goes
    right after the key before it in that benchmark's name."""
    order = []
    for b in bs:
        prev = None
        for k in b.keys:
            if k not in order:
                order.insert(order.index(prev) + 1 if prev in order else 0,
                             k)
            prev = k
    return order


def row_label(run, w, b, skip, order):
    """b's row in the table of workload w: its keys but skip, in order
    (key_order), a key of ROW_DEFAULTS it lacks at w's lowest value."""
    keys = dict(b.keys)
    for k in ROW_DEFAULTS:
        vs = run.values_of(k, w)
        if k not in keys and vs:
            keys[k] = vs[0]
    return "/".join("%s:%s" % (k, keys[k]) for k in order
                    if k in keys and k not in skip)


def mode_key(run, w):
    """The key whose segments change a workload's kind (its kind_of in
    the workload table, e.g. trigger's mode): its rows merge them, each
    benchmark giving the columns of its kind; None when there is none."""
    info = run.workload_info(w)
    kind_of = info.get("kind_of") if info else None
    if not isinstance(kind_of, dict) or not kind_of:
        return None
    return str(next(iter(kind_of))).partition(":")[0]


def row_order(labels):
    """A sort key for the row labels (in the order first met): segment
    by segment, numbers by value (dwell:100 before dwell:1000), text in
    the order first met (backoff:seed before backoff:pause as run)."""
    seen = {}
    for label in labels:
        for seg in label.split("/"):
            seen.setdefault(seg, len(seen))

    def key(label):
        out = []
        for seg in label.split("/"):
            n = bj.num(seg.partition(":")[2])
            out.append((0, n) if isinstance(n, (int, float)) else
                       (1, seen[seg]))
        return out
    return key


def workload_table(run, w):
    """The table of workload w: a row per benchmark (its name without the
    backend, the keys of one value and the kind_of key), per backend p50,
    p99, × ref, × membarrier (fan-outs) and the workload's extra columns;
    then the notes on its marks (*, moved).  The rows of a workload with
    kind_of (trigger) merge its modes: p50, p99 and × ref from its round
    trips, the other columns from the benchmarks that have them."""
    backends = [be for be in run.backends() if run.select(w, ok=False,
                                                          backend=be)]
    one = single_keys(run, w)
    mk = mode_key(run, w)
    skip = {"backend"} | set(one) | ({mk} if mk else set())
    rows = {}
    every = run.select(w, ok=False)
    order = key_order(every)
    for b in every:
        rows.setdefault(row_label(run, w, b, skip, order), {}).setdefault(
            b.keys.get("backend"), []).append(b)
    extra = [x for x in EXTRA.get(w, [])
             if any(value_of(b, x[0]) is not None for b in every)]
    ratios = any(has_ratio(run, b) for b in every)
    mbs = any(run.fanout_yardstick(b) is not None for b in every)
    header = ["benchmark"]
    for be in backends:
        header += ["%s p50" % be, "p99"] + (["× ref"] if ratios else [])
        header += ["× %s" % bj.FANOUT_YARDSTICK] if mbs else []
        header += [h for _, h, _, _ in extra]
    lines, marks = [], set()
    width = 2 + ratios + mbs + len(extra)
    by = row_order(rows)
    for label, per in sorted(rows.items(), key=lambda kv: by(kv[0]))[
            :MAX_ROWS]:
        r = [label or "(all)"]
        for be in backends:
            bs = per.get(be, [])
            if not bs or not all(b.ok for b in bs):
                r += ["error" if bs else "–"] + [""] * (width - 1)
                continue
            lat = [b for b in bs if run.kind(b) in ("latency", None)] or \
                [b for b in bs if run.kind(b) == "throughput"]
            b = lat[0] if lat else None
            if b is not None:
                r += [ns(run, b.get("p50_ns")), ns(run, b.get("p99_ns"))]
            else:
                r += ["", ""]
            if ratios:
                x = run.ratio(b) if b is not None else None
                r.append(x.text() if x else "–")
                if x:
                    marks.add(x.how)
            if mbs:
                y = run.fanout_yardstick(b) if b is not None else None
                r.append("%.2f" % (b.get("p50_ns") / y.get("p50_ns"))
                         if y is not None else "–")
            for c, _, s, f in extra:
                v = next((value_of(x, c) for x in ([b] if b else []) + bs
                          if value_of(x, c) is not None), None)
                r.append(fmt(v, f, s, run.timer_step()))
        lines.append(r)
    out = []
    if one:
        out += ["Every row: %s." % ", ".join("%s `%s`" % kv
                                             for kv in one.items()), ""]
    out += table(header, lines)
    if len(rows) > MAX_ROWS:
        out.append("")
        out.append("(the first %d of %d rows; bench.json has all)" %
                   (MAX_ROWS, len(rows)))
    notes = []
    if "beside" in marks:
        notes.append("\\* from the yardstick measured beside the backend "
                     "at another moment: no in-situ reference (x_ref) in "
                     "these rows")
    if "moved" in marks:
        notes.append("moved: every repetition's in-situ reference moved "
                     "(see Moved references): no ratio")
    if notes:
        out += [""] + ["%s." % n for n in notes]
    return out


def moved_section(run):
    """The benchmarks with a repetition whose in-situ reference moved
    (benchjson.MOVED_*): flagged / total, the flagged references against
    their pool's median, and the ratio kept.  [] when none."""
    bs = run.moved_benchmarks()
    if not bs:
        return []
    rows = []
    for b in bs[:MAX_ROWS]:
        refs = [b.rows[i].get("ref_p50_ns") for i in b.moved]
        x = run.ratio(b)
        rows.append([bj.canonical_name(b.run_name),
                     "%d / %d" % (len(b.moved), len(b.rows)),
                     ", ".join(ns(run, v) for v in refs),
                     ns(run, b.pool_median),
                     x.text() if x is not None else "–"])
    out = ["## Moved references", "",
           "A repetition's in-situ reference moved when its `ref_p50_ns` is "
           "more than %g times above or below the median of every "
           "reference of the same kind on the same vCPUs in this run (the "
           "same src and targets; for a pair also the yardstick benchmarks "
           "of that kind on that pair) and more than %g ns away from it: "
           "the matrix's rule for an unstable cell. Between that "
           "reference and the others the host moved the vCPUs (a cache-"
           "line round trip changes) or woke them another way (in a VM a "
           "wake-up's cost depends on what the host does with a halted "
           "vCPU). The ratio (× ref) "
           "of these benchmarks comes from their other repetitions; "
           "`moved` when none is left." % (bj.MOVED_FACTOR, bj.MOVED_NS),
           ""]
    out += table(["benchmark", "repetitions flagged / total",
                  "flagged reference p50", "pool median", "× ref kept"],
                 rows)
    if len(bs) > MAX_ROWS:
        out += ["", "(the first %d of %d; bench.json has all)" %
                (MAX_ROWS, len(bs))]
    return out + [""]


def moved_banner(run):
    """The report's opening line on moved references; [] for a run
    without in-situ references."""
    if not run.has_insitu():
        return []
    bs = run.moved_benchmarks()
    if not bs:
        return ["In-situ references: none moved.", ""]
    none = sum(1 for b in bs if len(b.moved) == len(b.rows))
    return ["**%d benchmark%s had a repetition whose in-situ reference "
            "moved (the host moved the vCPUs, or woke them another way): "
            "%s ratio%s come%s from the "
            "other repetitions%s ([Moved references](#moved-references)).**"
            % (len(bs), "" if len(bs) == 1 else "s",
               "its" if len(bs) == 1 else "their",
               "" if len(bs) == 1 else "s",
               "s" if len(bs) == 1 else "",
               "; %d ha%s none left and no ratio" %
               (none, "s" if none == 1 else "ve") if none else ""), ""]


def backoff_table(run, workloads=("unicast", "broadcast")):
    """Round trip per backoff value (`backoff:`), when the run has more
    than one: a row per benchmark of workloads without its backoff
    segment, per value p50, ack p50 and wait overhead p50.  [] with one
    value or none."""
    values = run.values_of("backoff")
    if len(values) < 2:
        return []
    rows = {}
    for w in workloads:
        one = single_keys(run, w, ("placement",))
        # One dwell per backoff value, its lowest: dwell 0, or the first
        # dwell (the only one a second backoff value carries).
        for b in run.select(w, ok=False, dwell=bj.LOWEST):
            if "backoff" not in b.keys:
                continue
            label = "%s %s" % (w, b.label({"backoff", "dwell"} | set(one)))
            rows.setdefault(label, {})[b.keys["backoff"]] = b
    every = [b for per in rows.values() for b in per.values()]
    cols = [(c, h) for c, h in [("ack_p50_ns", "ack"),
                                ("wait_overhead_p50_ns", "wait ovh")]
            if any(b.get(c) is not None for b in every)]
    header = ["benchmark"]
    for v in values:
        header += ["%s p50" % v] + [h for _, h in cols]
    lines = []
    for label, per in list(rows.items())[:MAX_ROWS]:
        r = [label]
        for v in values:
            b = per.get(v)
            if b is None or not b.ok:
                r += ["error" if b is not None else "–"] + [""] * len(cols)
                continue
            r += [ns(run, b.get("p50_ns"))] + [ns(run, b.get(c))
                                               for c, _ in cols]
        lines.append(r)
    out = table(header, lines)
    if len(rows) > MAX_ROWS:
        out += ["", "(the first %d of %d rows; bench.json has all)" %
                (MAX_ROWS, len(rows))]
    return out


def dwell_rows(run, workloads=("unicast", "trigger")):
    """{label: {dwell: bench}} of the round trips (trigger: mode latency)
    measured at two dwell values or more: a row per benchmark without its
    dwell (and the placement and backoff of one value); {} when none."""
    rows = {}
    for w in workloads:
        one = single_keys(run, w, ("placement", "backoff"))
        for b in run.select(w, ok=False):
            if "dwell" not in b.keys or b.get("triggers_per_run") is not None \
                    or run.kind(b) not in ("latency", None):
                continue
            label = "%s %s" % (w, b.label({"dwell", "mode"} | set(one)))
            rows.setdefault(label, {})[b.keys["dwell"]] = b
    return {k: v for k, v in rows.items() if len(v) > 1}


def dwell_table(run):
    """Wake-up latency per idle dwell value (`dwell:`), when the run has
    more than one: per value p50, p99 (where 100 samples or more resolve
    it), deliver p50 (where the run has it) and the p50 over the same
    row's p50 at the lowest dwell.  [] with one value or none."""
    values = run.values_of("dwell")
    if len(values) < 2:
        return []
    rows = dwell_rows(run)
    if not rows:
        return []
    every = [b for per in rows.values() for b in per.values()]
    deliver = any(b.get("deliver_p50_ns") is not None for b in every)
    base = values[0]
    header = ["benchmark"]
    for v in values:
        header += ["dwell %s p50" % bj.dwell_text(v), "p99"]
        header += ["deliver p50"] if deliver else []
        header += ["× dwell %s" % bj.dwell_text(base)] if v != base else []
    lines, few = [], False
    for label, per in list(rows.items())[:MAX_ROWS]:
        r = [label]
        b0 = per.get(base)
        for v in values:
            b = per.get(v)
            width = 2 + deliver + (v != base)
            if b is None or not b.ok:
                r += ["error" if b is not None else "–"] + [""] * (width - 1)
                continue
            p99 = ns(run, b.get("p99_ns"))
            if not bj.resolved(b.get("samples"), 0.99):
                p99 += " †"
                few = True
            r += [ns(run, b.get("p50_ns")), p99]
            r += [ns(run, b.get("deliver_p50_ns"))] if deliver else []
            if v != base:
                r.append("%.2f" % (b.get("p50_ns") / b0.get("p50_ns"))
                         if b0 is not None and b0.ok and b0.get("p50_ns")
                         else "–")
        lines.append(r)
    out = table(header, lines)
    if len(rows) > MAX_ROWS:
        out += ["", "(the first %d of %d rows; bench.json has all)" %
                (MAX_ROWS, len(rows))]
    if few:
        out += ["", "† fewer than 100 samples: this p99 is about the "
                "largest of them."]
    return out


def has_value(c, k):
    """Whether context c has key k with a value to show."""
    v = c.get(k)
    return v is not None and str(v).strip() != ""


def method_lines(run):
    """How the run measured, from the context keys that say it (each
    line left out when an older file lacks its key): the build, the
    timer's step, the warm-up, the perf pass, the idle dwell, cpuidle,
    the runner's PUs, the load and other work at the start (loadavg,
    other_busy), the run lock.  [] when the file has none of them."""
    c = run.context
    out = []
    build = []
    if has_value(c, "build_cc"):
        build.append("`%s`" % c["build_cc"])
    if has_value(c, "build_cflags"):
        build.append("flags `%s`" % md_escape(c["build_cflags"]))
    if has_value(c, "build_sanitizer"):
        build.append("sanitizer %s" % c["build_sanitizer"])
    if has_value(c, "build_revision"):
        rev = "revision `%s`" % c["build_revision"]
        if has_value(c, "build_dirty"):
            rev += (" with uncommitted changes (dirty)"
                    if bj.truthy(c["build_dirty"]) else " (clean)")
        build.append(rev)
    if build:
        out.append("**Build**: %s." % ", ".join(build))
    step = run.timer_step()
    if step is not None:
        st = bj.fmt_time(step, step)
        out.append("**Timer**: %smoves in steps of %s: the times below are "
                   "rounded to the step (under 1 µs written as multiples "
                   "of it); differences under one step (%s) are not "
                   "resolved." % ("`%s` " % c["timer"] if has_value(c, "timer")
                                  else "", st, st))
    if has_value(c, "warmup_ops"):
        n = bj.num(c["warmup_ops"])
        out.append("**Warm-up**: %s." % (
            "none, every operation of a batch is timed" if n == 0 else
            "the first %s operation%s of each batch run%s untimed "
            "(`warmup_ops`)" % (n, "" if n == 1 else "s",
                                "s" if n == 1 else "")))
    if has_value(c, "perf"):
        out.append("**perf counters**: %s." %
                   md_escape(str(c["perf"]).rstrip(".")))
    if has_value(c, "idle_dwell_us"):
        vs = [v.strip() for v in str(c["idle_dwell_us"]).split(",")
              if v.strip()]
        out.append("**Idle dwell** (`idle_dwell_us`, the names' `dwell:N`): "
                   "%s µs: once the sender saw a sleeping target asleep, it "
                   "waited that long, untimed, before each wake-up of "
                   "unicast and trigger; a backend that spins has dwell 0 "
                   "only." % ", ".join(vs))
    idle = []
    if has_value(c, "cpuidle_driver"):
        idle.append("driver `%s`" % c["cpuidle_driver"])
    if has_value(c, "cpuidle_governor"):
        idle.append("governor `%s`" % c["cpuidle_governor"])
    if has_value(c, "cpuidle_states"):
        idle.append("states (name exit latency/target residency) %s" %
                    md_escape(c["cpuidle_states"]))
    if idle:
        out.append("**cpuidle**: %s." % ", ".join(idle))
    if has_value(c, "runner_pus"):
        pus = str(c["runner_pus"]).strip()
        what = ("**Runner thread** (Google Benchmark's, which starts "
                "each batch and sleeps while it runs)")
        if pus.lower().startswith("unpinned"):
            out.append("%s: %s. Unpinned, it may wake on a measured PU "
                       "between batches." % (what, md_escape(pus)))
        else:
            out.append("%s: pinned to PU%s %s." % (
                what, "" if pus.isdigit() else "s", md_escape(pus)))
    quiet = []
    if has_value(c, "loadavg"):
        quiet.append("load average %s" % md_inline(str(c["loadavg"]).strip()))
    if "other_busy" in c and c["other_busy"] is not None:
        busy = str(c["other_busy"]).strip()
        quiet.append("other processes' threads using over 10 %% of a "
                     "selected PU in a sample of about 200 ms: %s" %
                     ("unknown (not sampled, or /proc unreadable)"
                      if unknown(busy) else md_inline(busy) if busy
                      else "none"))
    if quiet:
        out.append("**Other work at the start** (`loadavg`, `other_busy`): "
                   "%s." % "; ".join(quiet))
    if has_value(c, "run_lock"):
        out.append("**Run lock** (`run_lock`): %s." %
                   md_inline(str(c["run_lock"]).strip().rstrip(".")))
    return out


def sanitizer_banner(run):
    """The report's first line when its figures come from a sanitizer
    build (context build_sanitizer, sanitized_results); [] otherwise."""
    san = run.sanitizer()
    if san is None:
        return []
    return ["**⚠ Figures from a sanitizer build%s: not timings.** The "
            "sanitizer instruments memory accesses and synchronisation, "
            "so every time here is inflated by it; the run checks "
            "behaviour only." % (" (`%s`)" % san if san != "yes" else ""),
            ""]


def md_inline(s):
    """Text from outside (a process name) escaped for Markdown prose."""
    out = str(s)
    for ch in "\\`*_[]<>|":
        out = out.replace(ch, "\\" + ch)
    return out


def unknown(v):
    """Whether a context value says that ipibench could not tell
    ("unknown": /proc unreadable, or other_busy not sampled)."""
    return str(v).strip().lower() == "unknown"


def load_text(c):
    """The load average at the start of the run as text: the context's
    loadavg ("0.52 0.31 0.20", /proc/loadavg's first three fields), else
    Google Benchmark's load_avg list; None when neither says it."""
    if has_value(c, "loadavg") and not unknown(c["loadavg"]):
        return str(c["loadavg"]).strip()
    la = c.get("load_avg")
    if isinstance(la, list) and la and \
            all(isinstance(x, (int, float)) for x in la):
        return " ".join("%.2f" % x for x in la)
    return None


def busy_banner(run):
    """The report's opening warning when other processes' threads were
    seen busy on the selected PUs at the start of the run (context
    other_busy not ""), with the load average beside it; [] when none
    was seen, when ipibench could not tell ("unknown"), and for an older
    file without the key."""
    c = run.context
    if not has_value(c, "other_busy") or unknown(c["other_busy"]):
        return []
    load = load_text(c)
    return ["**⚠ The machine was not quiet: %s (timings with other work "
            "on the same PUs are not figures).**%s" % (
                md_inline(str(c["other_busy"]).strip()),
                " Load average at the start: %s." % md_inline(load)
                if load else ""), ""]


def yardstick_table(run):
    names = [w for w in run.yardsticks() if run.select(w, ok=False)]
    besides = [be for be in run.backends() if run.select(ok=False,
                                                         beside=be)]
    rows = {}
    for w in names:
        for b in run.select(w, ok=False):
            rows.setdefault("%s %s" % (w, b.label({"beside"})),
                            {})[b.keys.get("beside")] = b
    header = ["yardstick"]
    for be in besides:
        header += ["beside %s p50" % be, "p99"]
    lines = []
    for label, per in list(rows.items())[:MAX_ROWS]:
        r = [label]
        for be in besides:
            b = per.get(be)
            if b is None or not b.ok:
                r += ["error" if b is not None else "–", ""]
            else:
                r += [ns(run, b.get("p50_ns")), ns(run, b.get("p99_ns"))]
        lines.append(r)
    return table(header, lines) if lines else []


def warnings(run, incomplete):
    c = run.context
    w = []
    if incomplete:
        w.append("**This run is incomplete**: %s. The figures below are "
                 "those measured before it stopped." % incomplete)
    errs = run.errors()
    if errs:
        w.append("%d benchmark(s) reported an error (listed at the end)." %
                 len({n for n, _ in errs}))
    if bj.truthy(c.get("oversubscribed", False)):
        w.append("vCPUs outnumber the cores: spinning vCPUs steal time from "
                 "each other; these timings are not figures to quote.")
    if bj.truthy(c.get("forced", False)):
        spin = [e["name"] for e in run.backend_table
                if run.spins(e["name"])]
        w.append("%s was forced on more vCPUs than cores (--force)." %
                 (" or ".join(spin) if spin else "A spinning backend"))
    if bj.truthy(c.get("virtualized", False)):
        w.append("This is a virtual machine: the host schedules the vCPUs "
                 "(and may move them between cache domains), and waking a "
                 "halted vCPU goes through the hypervisor. Compare figures "
                 "only with the yardsticks measured beside them.")
    gov = str(c.get("governor", "")).strip()
    if gov and gov.lower() not in ("performance", "none", "unknown", "n/a",
                                   "-"):
        w.append("The frequency governor is `%s`, not `performance`: "
                 "clock ramps add to wake-up latencies." % gov)
    elif c.get("cpu_scaling_enabled") is True and not gov:
        w.append("CPU frequency scaling is enabled (Google Benchmark): "
                 "clock ramps add to wake-up latencies.")
    smt = c.get("smt")
    if smt is not None and str(smt).lower() not in ("off", "false", "0", "no",
                                                    "notsupported",
                                                    "not supported",
                                                    "forceoff", "none"):
        w.append("SMT is on (`%s`): pairs of class `core` share one physical "
                 "core's execution units." % smt)
    if bj.truthy(c.get("simulated_topology", False)):
        w.append("The machine was simulated (`%s`): its vCPUs ran "
                 "oversubscribed on this host's PUs (%s), the per-vCPU "
                 "state was not placed on its NUMA nodes, and pair "
                 "classes name its levels, not this host's: the figures "
                 "are not timings." %
                 (c.get("simulated_source") or "?",
                  c.get("host_pus", "?")))
    load = c.get("load_avg")
    ncpu = c.get("num_cpus")
    if isinstance(load, list) and load and isinstance(ncpu, int) and \
            ncpu > 0 and load[0] > 0.5 * ncpu:
        w.append("The load average was %.2f on %d CPUs when the run "
                 "started: other work may have shared the measured cores." %
                 (load[0], ncpu))
    timers = [b.get("p50_ns") for b in run.select("timer")
              if b.get("p50_ns") is not None]
    ipis = [b.get("p50_ns") for b in run.benchmarks
            if b.ok and "backend" in b.keys and run.kind(b) == "latency"]
    if timers and ipis and max(timers) > min(ipis) / 10:
        w.append("One timed sample costs %s (the `timer` yardstick), more "
                 "than a tenth of the smallest p50 (%s): the timer's own "
                 "cost weighs on the fastest figures." %
                 (ns(run, max(timers)), ns(run, min(ipis))))
    if str(c.get("library_build_type", "")).lower() == "debug":
        w.append("Debian's libbenchmark is a debug build (Google Benchmark "
                 "warns about it); harmless here, as every figure is manual "
                 "time from ipibench's own timer.")
    return w


def count_list(text):
    """How many numbers a list like "0-3,8" holds; None if it is not one
    (or was cut short with "...")."""
    n = 0
    try:
        for part in str(text).split(","):
            a, _, b = part.partition("-")
            n += int(b or a) - int(a) + 1
    except ValueError:
        return None
    return n


def simulated_banner(run):
    """The lines that open a simulated run's report (ipibench run
    --simulate): what ran where, and that the figures are not timings.
    [] for a run on its own machine."""
    c = run.context
    if not bj.truthy(c.get("simulated_topology", False)):
        return []
    src = c.get("simulated_source") or "a planning topology"
    hp = c.get("host_pus")
    m = count_list(hp) if hp is not None else None
    on = ("%d PU%s of this host (%s)" % (m, "" if m == 1 else "s", hp)
          if m is not None else "this host's PUs (%s)" % (hp or "unknown"))
    return ["**SIMULATED: %s vCPUs of `%s` ran on %s, oversubscribed. "
            "The figures are not timings: this run is a functional check "
            "only.**" % (c.get("vcpus", "?"), src, on), ""]


def plan_text(c):
    """The plan the run followed (context plan_*), or None (older runs)."""
    if "plan_estimate_s" not in c:
        return None
    est = bj.num(c["plan_estimate_s"])
    bud = bj.num(c.get("plan_budget_s", 0)) or 0
    text = "about %d:%02d estimated (%s)" % (int(est) // 60, int(est) % 60,
                                          c.get("plan_costs", "model"))
    if bud:
        text += "; budget %d:%02d: %s" % (
            int(bud) // 60, int(bud) % 60,
            md_escape(c.get("plan_thinned") or "fits as configured"))
    return text


def machine_table(run):
    c = run.context
    rows = [
        ("host", c.get("host_name")),
        ("CPU", c.get("cpu_model")),
        ("kernel", c.get("kernel")),
        ("topology", c.get("topology")),
        ("simulated from", c.get("simulated_source")
         if bj.truthy(c.get("simulated_topology", False)) else None),
        ("PUs of this host used", c.get("host_pus")),
        ("CPUs seen by Google Benchmark", c.get("num_cpus")),
        ("TSC", ("%s GHz, invariant: %s" % (c.get("tsc_ghz"),
                                            c.get("tsc_invariant")))
         if c.get("tsc_ghz") is not None else None),
        ("governor", c.get("governor")),
        ("SMT", c.get("smt")),
        ("virtualized", c.get("virtualized")),
        ("vCPUs outnumber cores", c.get("oversubscribed")),
        ("backends", c.get("backends")),
        ("placement", c.get("placement")),
        ("KASSERTs (DIAGNOSTIC)", ("on" if bj.truthy(c["diagnostic"])
                                   else "off")
         if "diagnostic" in c else None),
        ("ipibench", c.get("ipibench_version")),
        ("Google Benchmark build", c.get("library_build_type")),
        ("date", c.get("date")),
        ("plan", plan_text(c)),
    ]
    return table(["", ""], [(k, v) for k, v in rows if v is not None],
                 ["l", "l"])


def read_incomplete(folder):
    p = os.path.join(folder, "INCOMPLETE")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        text = " ".join(f.read().split())
    return text or "no reason recorded"


def write_report(folder):
    """Write folder/REPORT.md; returns its path."""
    run = bj.load(folder)
    incomplete = read_incomplete(folder)
    manifest = []
    mp = os.path.join(folder, "plots", "plots.json")
    if os.path.exists(mp):
        with open(mp) as f:
            manifest = json.load(f)
    plots = {m["name"]: m for m in manifest}

    out = ["# ipibench: %s" % run.title("").strip().replace("\n", " "), ""]
    out += sanitizer_banner(run)
    out += simulated_banner(run)
    out += busy_banner(run)
    out.append("Status: **%s**" % ("INCOMPLETE: " + incomplete
                                  if incomplete else "complete"))
    out.append("")
    out += moved_banner(run)
    topo_xml = ("hwloc: the simulated machine's, not this host's"
                if bj.truthy(run.context.get("simulated_topology", False))
                else "hwloc")
    out += ["Files: [bench.json](bench.json) (Google Benchmark JSON), "
            "[config.ini](config.ini) (the configuration used), "
            "[topology.xml](topology.xml) (%s), "
            "[console.log](console.log), plots/ (PNG and SVG)." % topo_xml,
            ""]
    ml = method_lines(run)
    if ml:
        out += ["## How this was measured", ""] + ["- " + x for x in ml] + [""]
    out += ["## Machine", ""] + machine_table(run) + [""]
    w = warnings(run, incomplete)
    if w:
        out += ["## Warnings", ""] + ["- " + x for x in w] + [""]
    out += moved_section(run)

    intro = ("Times are per operation, nanoseconds to milliseconds: p50 and "
             "p99 of single operations, each the median over repetitions. " +
             ratio_text(run, "**× ref**", "`%s`"))
    if any(run.fanout_yardstick(b) is not None for b in run.benchmarks):
        intro += " " + membarrier_text(run, "**× %s**" %
                                       bj.FANOUT_YARDSTICK)
    if delivery_text(run):
        intro += " " + delivery_text(run)
    if any(b.workload == "mboxfull" and b.get("share_min") is not None
           for b in run.benchmarks):
        intro += (" mboxfull's **min/max share ×S**: the smallest and "
                  "largest sender's fraction of the messages times S (1: "
                  "its fair share 1/S).")
    if any(b.workload == "mboxfull" and "rate" in b.keys
           for b in run.benchmarks):
        intro += (" mboxfull's rows with `rate:R` are its open loop (each "
                  "sender sends R messages/s whatever comes back): their "
                  "p50 and p99 are waits from each message's due time, "
                  "**offered Mmsg/s** the rate offered; Mmsg/s below it "
                  "means the target did not keep up.")
    out += ["## Results", "", intro, ""]
    plot_of = {"unicast": ["unicast_classes", "latency_cdf", "placement"],
               "matrix": ["unicast_heatmap", "matrix_pingpong"],
               "multicast": ["multicast"], "broadcast": ["broadcast"],
               "trigger": ["trigger"], "mboxfull": ["mboxfull"]}
    shown = set()

    def figure(name):
        m = plots.get(name)
        if not m or "files" not in m:
            return []
        shown.add(name)
        return ["![%s](plots/%s.png)" % (m.get("title", name), name), "",
                "*%s* ([SVG](plots/%s.svg))" % (m["caption"], name), ""]

    for wl in [x for x in run.ipi_workloads() if run.select(x, ok=False)]:
        out += ["### %s" % wl, ""]
        info = run.workload_info(wl)
        if info and info.get("summary"):
            out += [str(info["summary"]).rstrip(".") + ".", ""]
        out += workload_table(run, wl) + [""]
        for name in plot_of.get(wl, []):
            out += figure(name)
    dt = dwell_table(run)
    if dt:
        out += ["### Wake-up latency vs idle dwell", "",
                "How long a sleeping target stayed asleep before the "
                "wake-up (`[run] idle_dwell_us`, the names' `dwell:N`: "
                "once the sender saw the target asleep it waited N µs, "
                "untimed, before the IPI). A row per round trip measured "
                "at several dwell values (unicast: ipi_unicast + "
                "ipi_wait; trigger: mode latency; a backend that spins "
                "has dwell 0 only, a second backoff value the first dwell "
                "only): p50, p99%s, and **× dwell %s**, the p50 over the "
                "same row's p50 at dwell %s. A longer sleep may cost a "
                "deeper idle state to leave (cpuidle, above) or, on a VM, "
                "a halted vCPU that the host has descheduled." %
                (", deliver p50 (post → the handler's start)"
                 if "deliver p50" in dt[0] else "",
                 bj.dwell_text(run.values_of("dwell")[0]),
                 bj.dwell_text(run.values_of("dwell")[0])),
                ""] + dt + [""] + figure("dwell")
    bt = backoff_table(run)
    if bt:
        out += ["### Round trip vs backoff", "",
                "The sender's wait for the acknowledgement (ipi_wait) with "
                "each backoff of the run (`[run] backoff`, the names' "
                "`backoff:`: `seed`, the seed's SPINLOCK_BACKOFF from MIN 4 "
                "to MAX 128 pauses; `pause`, one pause a check; "
                "`seed:MIN:MAX`): p50 round trip, p50 of the last "
                "acknowledgement and the wait overhead (from the last "
                "acknowledgement to ipi_wait() seeing it).",
                ""] + bt + [""] + figure("backoff")
    yt = yardstick_table(run)
    if yt:
        out += ["### Yardsticks", "",
                "Measured right beside each backend's benchmarks, on the "
                "same PUs (names carry `beside:BACKEND`).", ""] + yt + [""]
    for name, m in plots.items():
        if "files" in m and name not in shown:
            out += figure(name)
    skipped = [(n, m["skipped"]) for n, m in plots.items() if "skipped" in m]
    if skipped:
        out += ["## Plots not drawn", ""]
        out += ["- %s: %s" % (n, why) for n, why in skipped] + [""]
    errs = run.errors()
    if errs:
        out += ["## Errors", ""]
        for n, msg in errs[:MAX_ROWS]:
            out.append("- `%s`: %s" % (n, msg))
        if len(errs) > MAX_ROWS:
            out.append("- ... %d more" % (len(errs) - MAX_ROWS))
        out.append("")
    path = os.path.join(folder, "REPORT.md")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out))
    os.replace(tmp, path)
    return path


def main(argv):
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if len(argv) != 1 else
              sys.stdout)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    folder = argv[0]
    if not os.path.isdir(folder):
        print("report: %s: not a run folder" % folder, file=sys.stderr)
        return 2
    try:
        print("report: %s" % write_report(folder))
    except (OSError, ValueError) as e:
        print("report: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
