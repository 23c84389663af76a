#!/usr/bin/env python3
"""backends.py: one table of a run's benchmarks side by side per backend.

    backends.py RUN [BASE]

For every IPI benchmark (its name without the backend segment): p50 per
backend, each backend's p50 over BASE's (default: the run's first backend
that does not spin, by the context's backend table, else its first
backend), and its ratio to its reference of the same shape (xref,
benchjson.Run.ratio): the in-situ x_ref measured on the same vCPUs just
before each repetition (the median over the repetitions whose reference
did not move; "moved" when none is left), or, in a results file of an
older ipibench, the yardstick beside the backend, at another moment
(marked *); "-" where there is no reference of the benchmark's shape.
Ratios are of p50s, never of means; times rounded to the timer's step
where the run gives it (timer_step_ns).  Plain text for CI logs; the
statistics (U test, on means) are compare.py's (make compare).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchjson as bj  # noqa: E402
from report import fmt_ns, ratio_text  # noqa: E402


def default_base(run, backends):
    """The first of backends that does not spin (backend table), else the
    first; None when there is none."""
    for be in backends:
        if run.spins(be) is False:
            return be
    return backends[0] if backends else None


def xref_text(run, b):
    """b's ratio to its reference as a cell: "x2.47", "x2.47*" (another
    moment), "moved", "-"."""
    r = run.ratio(b)
    return "-" if r is None else "moved" if r.how == "moved" else \
        r.text("x%.2f")


def main(argv):
    if len(argv) not in (1, 2) or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    try:
        run = bj.load(argv[0])
    except (OSError, ValueError) as e:
        print("backends: %s" % e, file=sys.stderr)
        return 1
    backends = [b for b in run.backends() if run.select(ok=False, backend=b)]
    base = argv[1] if len(argv) == 2 else default_base(run, backends)
    rows = {}
    for b in run.benchmarks:
        if "backend" not in b.keys:
            continue
        label = "%s/%s" % (b.workload, b.label({"backend"}))
        rows.setdefault(label, {})[b.keys["backend"]] = b
    head = ["benchmark"] + ["%s p50 (x%s, xref)" % (be, base)
                            for be in backends]
    lines = []
    for label, per in rows.items():
        r = [label]
        bp = per.get(base)
        for be in backends:
            b = per.get(be)
            if b is None:
                r.append("-")
                continue
            if not b.ok:
                r.append("error: %s" % "; ".join(sorted(set(b.errors))))
                continue
            p = b.get("p50_ns")
            rel = ("x%.2f" % (p / bp.get("p50_ns"))
                   if bp is not None and bp.ok and bp.get("p50_ns") else "-")
            r.append("%s (%s, %s)" % (fmt_ns(p, run.timer_step()), rel,
                                      xref_text(run, b)))
        lines.append(r)
    if not lines:
        print("backends: %s: no IPI benchmark (backend:NAME) in this run" %
              argv[0])
        return 1
    widths = [max(len(str(x[i])) for x in [head] + lines)
              for i in range(len(head))]
    for r in [head, ["-" * w for w in widths]] + lines:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    print("x%s: the p50 over %s's p50 of the same benchmark." % (base, base))
    text = ratio_text(run, "xref", "%s")
    print(text if text.startswith("xref") else "xref: " + text)
    moved = run.moved_benchmarks()
    if moved:
        print("%d benchmark(s) had a repetition whose in-situ reference "
              "moved (the host moved the vCPUs, or woke them another way): "
              "xref from the other "
              "repetitions; REPORT.md lists them." % len(moved))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
