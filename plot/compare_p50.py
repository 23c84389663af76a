#!/usr/bin/env python3
"""compare_p50.py: two runs, or two filters of runs, by p50 and x_ref.

    compare_p50.py A B [FILTER_A FILTER_B]

scripts/compare.sh (make compare) prints it after Google Benchmark's
compare.py, whose table and U test are of the means: this one pairs the
same benchmarks (a FILTER, a name segment such as backend:futex, keeps
the benchmarks that have it and removes it from their names; yardsticks
then drop out, as in filter_json.py) and gives, per pair, each side's
p50, B's p50 over A's, and each side's ratio to its reference of the
same shape (benchjson.Run.ratio: the in-situ x_ref, the median over the
repetitions whose reference did not move; "moved" when none is left;
from the yardstick beside, at another moment, marked *, in an older
results file; "-" where none).  A and B are run folders or bench.json
files.  Exit 0, also when nothing pairs (it says so); 1 on an unreadable
run.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchjson as bj  # noqa: E402
from backends import xref_text  # noqa: E402
from report import fmt_ns  # noqa: E402


def side(run, seg):
    """{name: bench} of a run's good benchmarks, named canonically
    without seg (only those that have it) when seg is given."""
    out = {}
    for b in run.benchmarks:
        if not b.ok:
            continue
        parts = bj.canonical_name(b.run_name).split("/")
        if seg is not None:
            if seg not in parts:
                continue
            parts = [p for p in parts if p != seg]
        out["/".join(parts)] = b
    return out


def main(argv):
    if len(argv) not in (2, 4) or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    fa, fb = (argv[2] or None, argv[3] or None) if len(argv) == 4 else \
        (None, None)
    try:
        ra, rb = bj.load(argv[0]), bj.load(argv[1])
    except (OSError, ValueError) as e:
        print("compare_p50: %s" % e, file=sys.stderr)
        return 1
    a, b = side(ra, fa), side(rb, fb)
    names = [n for n in a if n in b]
    print("")
    print("p50 and x_ref (ratios of p50s; compare.py above compares the "
          "means): A = %s%s, B = %s%s" %
          (argv[0], " [%s]" % fa if fa else "", argv[1],
           " [%s]" % fb if fb else ""))
    if not names:
        print("compare_p50: no benchmark of A pairs with one of B")
        return 0
    head = ["benchmark", "A p50", "B p50", "B/A", "A xref", "B xref"]
    rows = []
    for n in names:
        x, y = a[n], b[n]
        pa, pb = x.get("p50_ns"), y.get("p50_ns")
        rows.append([n, fmt_ns(pa), fmt_ns(pb),
                     "%.3f" % (pb / pa) if pa and pb is not None else "-",
                     xref_text(ra, x), xref_text(rb, y)])
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    for r in [head, ["-" * w for w in widths]] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    print("xref: p50 over the reference of the same shape (in situ, "
          "without the repetitions whose reference moved; * from the "
          "yardstick beside, another moment; - none).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
