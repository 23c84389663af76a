#!/usr/bin/env python3
"""report.py: write REPORT.md for an ipibench run folder.

    report.py RUN_DIR

Reads RUN_DIR/bench.json, RUN_DIR/plots/plots.json (from plot.py) and,
when present, RUN_DIR/INCOMPLETE; writes RUN_DIR/REPORT.md: the machine,
warnings, a table per workload (p50 and p99 per backend, and the ratio to
the yardstick of the same shape measured beside it), the yardsticks, the
plots inline, and the benchmarks that failed.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchjson as bj  # noqa: E402

MAX_ROWS = 64

# Columns beyond p50/p99/ratio: (counter, header, scale, format).
EXTRA = {
    "matrix": [("pingpong_p50_ns", "pingpong p50", 1, "ns"),
               ("unstable_pairs", "unstable pairs", 1, "%d")],
    "multicast": [("arrival_p50_ns", "arrival p50", 1, "ns")],
    "trigger": [("triggers_per_run", "trig/run", 1, "%.1f")],
    "mboxfull": [("msgs_per_s", "Mmsg/s", 1e-6, "%.3g"),
                 ("full_per_msg", "full/msg", 1, "%.3f")],
}


def has_ratio(run, b):
    """Whether b has a ratio to a yardstick: a round trip (kind latency)
    on a backend that has a reference yardstick, and not a figure over
    many pairs (many_pairs: no one yardstick benchmark matches it)."""
    return run.kind(b) == "latency" and \
        run.reference(b.keys.get("backend")) is not None and \
        not many_pairs(run, b.workload)


def many_pairs(run, workload):
    """Whether each figure of workload is over many pairs of vCPUs (the
    matrix workload's: its names carry a class but no src and dst), from
    the workload table."""
    info = run.workload_info(workload)
    keys = info.get("keys") if info else None
    return isinstance(keys, list) and "class" in keys and \
        not run.is_pair(workload)


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
            "latency" and many_pairs(run, e["name"])]
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
    """What the column `name` (ratios to yardsticks) holds, from the
    tables; quote: how to write a yardstick's name."""
    if not run.backend_table:
        return ("This results file has no backend table (an older "
                "ipibench): no ratios to yardsticks.")
    refs = reference_pairs(run, quote)
    if not refs:
        return "No backend of this run has a reference yardstick: no ratios."
    nr = no_ratio_text(run)
    return ("%s is the p50 divided by the p50 of the yardstick of the same "
            "shape measured on the same PUs right beside the backend (%s; "
            "the same pair where the workload has one, else the nearest "
            "pair)%s." % (name, refs, "; none for " + nr if nr else ""))


def fmt_ns(v):
    if v is None:
        return "–"
    if v >= 1e6:
        return "%.3g ms" % (v / 1e6)
    if v >= 1e3:
        return "%.3g µs" % (v / 1e3)
    return "%.3g ns" % v


def fmt(v, spec, scale=1):
    if v is None:
        return "–"
    if spec == "ns":
        return fmt_ns(v * scale)
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


def reference(run, b):
    """The yardstick of b's shape measured beside b's backend."""
    be = b.keys.get("backend")
    ys = run.reference(be)
    if ys is None:
        return None
    if run.is_pair(b.workload):
        return run.yardstick(ys, be, b.key("src"), b.key("dst"),
                             b.keys.get("class"))
    return run.yardstick(ys, be)


def workload_table(run, w):
    backends = [be for be in run.backends() if run.select(w, ok=False,
                                                          backend=be)]
    pls = run.values_of("placement", w)
    skip = {"backend"} | ({"placement"} if len(pls) <= 1 else set())
    rows = {}
    for b in run.select(w, ok=False):
        rows.setdefault(b.label(skip), {})[b.keys.get("backend")] = b
    extra = EXTRA.get(w, [])
    ratios = any(has_ratio(run, b) for b in run.select(w, ok=False))
    header = ["benchmark"]
    for be in backends:
        header += ["%s p50" % be, "p99"] + (["× ref"] if ratios else [])
        header += [h for _, h, _, _ in extra]
    lines = []
    for label, per in list(rows.items())[:MAX_ROWS]:
        r = [label or "(all)"]
        for be in backends:
            b = per.get(be)
            if b is None or not b.ok:
                r += ["error" if b is not None else "–", ""]
                r += [""] * (len(extra) + ratios)
                continue
            ref = reference(run, b) if has_ratio(run, b) else None
            ratio = "–"
            if ref is not None and ref.get("p50_ns"):
                ratio = "%.2f" % (b.get("p50_ns") / ref.get("p50_ns"))
            r += [fmt_ns(b.get("p50_ns")), fmt_ns(b.get("p99_ns"))]
            r += [ratio] if ratios else []
            r += [fmt(b.get(c), f, s) for c, _, s, f in extra]
        lines.append(r)
    out = table(header, lines)
    if len(rows) > MAX_ROWS:
        out.append("")
        out.append("(the first %d of %d rows; bench.json has all)" %
                   (MAX_ROWS, len(rows)))
    return out


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
                r += [fmt_ns(b.get("p50_ns")), fmt_ns(b.get("p99_ns"))]
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
                 (fmt_ns(max(timers)), fmt_ns(min(ipis))))
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
        ("perf counters", c.get("perf")),
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
    out += simulated_banner(run)
    out.append("Status: **%s**" % ("INCOMPLETE: " + incomplete
                                  if incomplete else "complete"))
    out.append("")
    topo_xml = ("hwloc: the simulated machine's, not this host's"
                if bj.truthy(run.context.get("simulated_topology", False))
                else "hwloc")
    out += ["Files: [bench.json](bench.json) (Google Benchmark JSON), "
            "[config.ini](config.ini) (the configuration used), "
            "[topology.xml](topology.xml) (%s), "
            "[console.log](console.log), plots/ (PNG and SVG)." % topo_xml,
            ""]
    out += ["## Machine", ""] + machine_table(run) + [""]
    w = warnings(run, incomplete)
    if w:
        out += ["## Warnings", ""] + ["- " + x for x in w] + [""]

    out += ["## Results", "",
            "Times are per operation, nanoseconds to milliseconds: p50 and "
            "p99 of single operations, each the median over repetitions. " +
            ratio_text(run, "**× ref**", "`%s`"), ""]
    plot_of = {"unicast": ["unicast_classes", "latency_cdf", "placement"],
               "matrix": ["unicast_heatmap", "matrix_pingpong"],
               "multicast": ["multicast"], "broadcast": ["broadcast"],
               "mboxfull": ["mboxfull"]}
    shown = set()
    for wl in [x for x in run.ipi_workloads() if run.select(x, ok=False)]:
        out += ["### %s" % wl, ""]
        info = run.workload_info(wl)
        if info and info.get("summary"):
            out += [str(info["summary"]).rstrip(".") + ".", ""]
        out += workload_table(run, wl) + [""]
        for name in plot_of.get(wl, []):
            m = plots.get(name)
            if m and "files" in m:
                out += ["![%s](plots/%s.png)" % (m.get("title", name), name),
                        "", "*%s* ([SVG](plots/%s.svg))" % (m["caption"],
                                                             name), ""]
                shown.add(name)
    yt = yardstick_table(run)
    if yt:
        out += ["### Yardsticks", "",
                "Measured right beside each backend's benchmarks, on the "
                "same PUs (names carry `beside:BACKEND`).", ""] + yt + [""]
    for name, m in plots.items():
        if "files" in m and name not in shown:
            out += ["![%s](plots/%s.png)" % (m.get("title", name), name), "",
                    "*%s*" % m["caption"], ""]
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
