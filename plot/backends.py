#!/usr/bin/env python3
"""backends.py: one table of a run's benchmarks side by side per backend.

    backends.py RUN [BASE]

For every IPI benchmark (its name without the backend segment): p50 per
backend and each backend's p50 over BASE's (default: the run's first
backend that does not spin, by the context's backend table, else its
first backend), and over the yardstick of the same shape beside it.
Plain text for CI logs; the statistics (U test) are compare.py's (make
compare).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchjson as bj  # noqa: E402
from report import fmt_ns, has_ratio, ratio_text, reference  # noqa: E402


def default_base(run, backends):
    """The first of backends that does not spin (backend table), else the
    first; None when there is none."""
    for be in backends:
        if run.spins(be) is False:
            return be
    return backends[0] if backends else None


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
            ref = reference(run, b) if has_ratio(run, b) else None
            xr = ("x%.2f" % (p / ref.get("p50_ns"))
                  if ref is not None and ref.get("p50_ns") else "-")
            r.append("%s (%s, %s)" % (fmt_ns(p), rel, xr))
        lines.append(r)
    if not lines:
        print("backends: %s: no IPI benchmark (backend:NAME) in this run" %
              argv[0])
        return 1
    widths = [max(len(str(x[i])) for x in [head] + lines)
              for i in range(len(head))]
    for r in [head, ["-" * w for w in widths]] + lines:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    text = ratio_text(run, "xref", "%s")
    print(text if text.startswith("xref") else "xref: " + text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
