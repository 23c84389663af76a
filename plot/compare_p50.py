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
files.  When one side has idle dwell segments (dwell:N) and the other
none (an ipibench before them, whose wake-ups came right after the
target was seen asleep: dwell 0), the dwell:0 benchmarks pair with the
other side's, and it says so.  Exit 0, also when nothing pairs (it says
so).  Each input is checked first as filter_json.py checks it (a run
folder with a bench.json, or a file of Google Benchmark JSON with the
fields compare.py reads; a FILTER one name segment key:value that some
benchmark without error has): else a line naming the file and what is
wrong, and exit 2.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchjson as bj  # noqa: E402
import filter_json as fj  # noqa: E402
from backends import xref_text  # noqa: E402
from report import fmt_ns  # noqa: E402


DWELL_0 = "dwell:0"


def side(run, seg, drop=()):
    """{name: bench} of a run's good benchmarks, named canonically
    without seg (only those that have it) when seg is given, and without
    the segments of drop (each kept benchmark's name loses them)."""
    out = {}
    for b in run.benchmarks:
        if not b.ok:
            continue
        parts = bj.canonical_name(b.run_name).split("/")
        if seg is not None:
            if seg not in parts:
                continue
            parts = [p for p in parts if p != seg]
        parts = [p for p in parts if p not in drop]
        out["/".join(parts)] = b
    return out


def load(path, seg, what):
    """The Run of path (a run folder or a bench.json), checked as
    filter_json.py checks it, with seg when given (a FILTER) checked to
    be a segment that some benchmark without error has; fj.Malformed
    otherwise."""
    if seg is not None:
        fj.check_segment(seg, what)
    data, p = fj.read(path)
    fj.select(data, p, seg)
    try:
        return bj.Run(data, p)
    except Exception as e:  # a checked file benchjson still cannot read
        raise fj.Malformed("%s: cannot be read: %s: %s" %
                           (p, type(e).__name__, e))


def main(argv):
    if argv in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    if len(argv) not in (2, 4):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    fa, fb = (argv[2] or None, argv[3] or None) if len(argv) == 4 else \
        (None, None)
    try:
        ra = load(argv[0], fa, "FILTER_A")
        rb = load(argv[1], fb, "FILTER_B")
    except fj.Malformed as e:
        print("compare_p50: %s" % e, file=sys.stderr)
        return 2
    # A run of an ipibench before the idle dwell woke its targets at
    # dwell 0: its benchmarks pair with the other run's dwell:0 ones.
    da, db = bool(ra.values_of("dwell")), bool(rb.values_of("dwell"))
    a = side(ra, fa, (DWELL_0,) if da and not db else ())
    b = side(rb, fb, (DWELL_0,) if db and not da else ())
    names = [n for n in a if n in b]
    print("")
    print("p50 and x_ref (ratios of p50s; compare.py above compares the "
          "means): A = %s%s, B = %s%s" %
          (argv[0], " [%s]" % fa if fa else "", argv[1],
           " [%s]" % fb if fb else ""))
    if da != db:
        old, new = ("B", "A") if da else ("A", "B")
        print("%s has no dwell segments (an ipibench before the idle "
              "dwell: wake-ups at dwell 0): its benchmarks pair with %s's "
              "dwell:0 ones; %s's other dwell values pair with nothing." %
              (old, new, new))
    if not names:
        print("compare_p50: no benchmark of A pairs with one of B")
        return 0
    head = ["benchmark", "A p50", "B p50", "B/A", "A xref", "B xref"]
    rows = []
    for n in names:
        x, y = a[n], b[n]
        pa, pb = x.get("p50_ns"), y.get("p50_ns")
        rows.append([n, fmt_ns(pa, ra.timer_step()),
                     fmt_ns(pb, rb.timer_step()),
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
    try:
        rc = main(sys.argv[1:])
        sys.stdout.flush()
    except BrokenPipeError:     # its reader quit (head, a pager)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        rc = 141
    sys.exit(rc)
