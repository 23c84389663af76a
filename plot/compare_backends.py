#!/usr/bin/env python3
"""compare_backends.py: backend B against backend A over fresh processes,
with a 95 % interval for each ratio.

    compare_backends.py [--a NAME] [--b NAME] [--resamples N] [--seed N]
                        [--csv FILE] [--md FILE] RUN_OR_DIR...

RUN_OR_DIR: a run folder (with bench.json), a bench.json, or a folder of
run folders (what `make compare-backends` writes: A-1, B-1, A-2, ...).
Each run is one invocation of `ipibench run`: one process.

Which run is which side: runs named A-N and B-N (the make target's
layout) by their names, each holding one backend (so a backend may be
compared with itself, an A/A check); other runs by the backends they
hold: A and B are --a and --b, or else the two backends found, in the
order the runs were given (a run holding both counts on both sides).

Pairs: a benchmark of A's backend and one of B's with the same name once
its `backend:X` segment (a yardstick's `beside:X`) is removed, Google
Benchmark's segments dropped (benchjson's Bench: workload and keys).
Only iteration rows without error_occurred count (benchjson's
Bench.rows), one per repetition; a benchmark without a p50_ns is left
out, and so is one that only one side has (the output says which).

Why invocations are the replicates.  On a VM the host decides where the
vCPUs sit, anew for each process, and that moves the figures far more
than anything between the repetitions of one process (README.md, `make
compare-backends`, has the figures).  Repetitions of one process are
not independent samples of "backend A": a test over them, such as
compare.py's U test, takes the host's placement for the backend.  Here
the statistic is the ratio B/A of the medians of every repetition's p50
(or p99), and its interval comes from a hierarchical bootstrap:
resample the invocations of each side with replacement, then the
repetitions within each chosen invocation; the 2.5 and 97.5 percentiles
of the ratios over RESAMPLES resamples.  scipy.stats.bootstrap has no
hierarchical (two-level) resampling, so this is numpy alone.

Verdict per row (from p50; p99's own in parentheses when only it shows
one): "B faster" / "B slower" when the interval excludes 1, "no
difference shown" when it covers 1.  With fewer than 2 invocations on a
side no interval can be given: the ratio alone.  Below FEW invocations a
side the percentile interval comes out too narrow (the bootstrap cannot
reach beyond the few invocations seen; tests/test_compare_backends.py,
class Calibration, measures how often an A/A comparison then shows a
difference) and the output says so: more invocations, not more
repetitions, narrow and steady it.

Exit status: 0 (whatever the verdicts); 2 bad input (a folder without
bench.json, JSON of the wrong shape, no side, no common benchmark), the
message naming the file.
"""
import argparse
import csv
import json
import math
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchjson as bj  # noqa: E402

STATS = ("p50_ns", "p99_ns")
RESAMPLES = 10000
SEED = 1
LEVEL = 0.95
# The name of a run folder of the make target's layout: side, number.
SIDE_NAME = re.compile(r"^([AB])-([0-9]+)$")
# Below this many invocations a side the intervals are too narrow (see
# the top comment): the output says so.
FEW = 4
# Cells of one bootstrap block: resamples x invocations x repetitions
# are drawn in blocks of at most this many values (memory bound).
BLOCK_CELLS = 2000000


class InputError(Exception):
    """Bad input: the message names the file and what is wrong."""


# Reading runs.

def read_run(path):
    """The bj.Run of a bench.json path, checked for Google Benchmark's
    shape first (bj.Run assumes it).  => raises InputError naming path."""
    try:
        with open(path) as f:
            data = json.load(f)
    except OSError as e:
        raise InputError("%s: cannot read: %s" % (path, e.strerror or e))
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError("%s: not valid JSON: %s" % (path, e))
    if not isinstance(data, dict) or \
            not isinstance(data.get("benchmarks"), list):
        raise InputError("%s: no 'benchmarks' list: not Google Benchmark "
                         "JSON (ipibench run --out writes one)" % path)
    for i, e in enumerate(data["benchmarks"]):
        if not isinstance(e, dict) or not isinstance(e.get("name"), str) or \
                not isinstance(e.get("run_name", ""), str):
            raise InputError("%s: benchmarks[%d] is not an object with a "
                             "'name' string" % (path, i))
    return bj.Run(data, path)


def natural_key(name):
    """Sort key putting A-2 before A-10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"([0-9]+)",
                                                            name)]


def expand(arg, notes):
    """The bench.json paths an argument stands for: a file, a run folder,
    or a folder of run folders (those marked INCOMPLETE left out, with a
    note appended to notes).  => raises InputError on a missing path or a
    folder without bench.json in it or in a folder inside it."""
    if os.path.isfile(arg):
        return [arg]
    if not os.path.isdir(arg):
        raise InputError("%s: no such file or folder" % arg)
    own = os.path.join(arg, "bench.json")
    if os.path.isfile(own):
        if os.path.exists(os.path.join(arg, "INCOMPLETE")):
            notes.append("%s is marked INCOMPLETE: its rows without "
                         "errors are used" % arg)
        return [own]
    out = []
    for d in sorted(os.listdir(arg), key=natural_key):
        sub = os.path.join(arg, d)
        if not os.path.isfile(os.path.join(sub, "bench.json")):
            continue
        if os.path.exists(os.path.join(sub, "INCOMPLETE")):
            notes.append("%s left out: marked INCOMPLETE" % sub)
            continue
        out.append(os.path.join(sub, "bench.json"))
    if not out:
        raise InputError("%s: no bench.json in it nor in a run folder "
                         "inside it" % arg)
    return out


def run_label(path):
    """A run's name: its folder's (a bench.json's) or its file's."""
    if os.path.basename(path) == "bench.json":
        return os.path.basename(os.path.dirname(os.path.abspath(path)))
    return os.path.basename(path)


class Side:
    """One side of the comparison: a backend and its invocations.

    backend      the backend's name
    runs         [(label, path)] of its invocations, in order
    invocations  [{name: {stat: [value per repetition]}}], one per run
    errors       repetitions left out for error_occurred
    """

    def __init__(self, letter, backend):
        self.letter, self.backend = letter, backend
        self.runs, self.invocations = [], []
        self.errors = 0
        self.first_run = None     # the bj.Run that orders the rows

    def add(self, run, label):
        """Add run as one invocation: its benchmarks of self.backend by
        pair name (pair_name), their good repetitions' STATS."""
        inv = {}
        for b in run.benchmarks:
            if b.backend != self.backend:
                continue
            self.errors += len(b.errors)
            vals = {s: [r[s] for r in b.rows
                        if s in r and math.isfinite(r[s])] for s in STATS}
            if vals["p50_ns"]:
                inv[pair_name(b)] = vals
        self.runs.append((label, run.path))
        self.invocations.append(inv)
        if self.first_run is None:
            self.first_run = run

    def reps(self, name, stat):
        """[np.array of the repetitions' values] of one benchmark and
        statistic, one per invocation that has some."""
        return [np.asarray(inv[name][stat], dtype=float)
                for inv in self.invocations
                if name in inv and inv[name][stat]]

    def names(self):
        """The pair names of every invocation, in order of appearance."""
        seen = {}
        for inv in self.invocations:
            for n in inv:
                seen.setdefault(n, None)
        return list(seen)


def pair_name(b):
    """b's canonical name without its backend:X or beside:X segment."""
    rest = b.label(skip=("backend", "beside"))
    return b.workload + ("/" + rest if rest else "")


def assign(paths, runs, a, b):
    """(Side A, Side B) of the runs (bj.Run, in the order given): by the
    names A-N/B-N when every run has one, else by backend (a and b, or
    the two found).  => raises InputError on runs that fit neither."""
    labels = [run_label(p) for p in paths]
    if all(SIDE_NAME.match(l) for l in labels):
        sides = {}
        for p, r, l in zip(paths, runs, labels):
            letter = l[0]
            held = r.backends()
            if len(held) != 1:
                raise InputError("%s: a run named %s should hold one "
                                 "backend, it holds %s" %
                                 (p, l, ", ".join(held) or "none"))
            want = a if letter == "A" else b
            if want and want != held[0]:
                raise InputError("%s: --%s %s, but run %s holds %s" %
                                 (p, letter.lower(), want, l, held[0]))
            s = sides.setdefault(letter, Side(letter, held[0]))
            if s.backend != held[0]:
                raise InputError("%s: run %s holds %s, other %s-runs hold "
                                 "%s" % (p, l, held[0], letter, s.backend))
            s.add(r, l)
        for letter in "AB":
            if letter not in sides:
                raise InputError("%s: no run named %s-N among them" %
                                 (", ".join(paths), letter))
        return sides["A"], sides["B"]
    found = []
    for r in runs:
        for x in r.backends():
            if x not in found:
                found.append(x)
    if not (a and b):
        others = [x for x in found if x not in (a, b)]
        if len(others) != (not a) + (not b):
            raise InputError("%s: backends %s: name A and B with --a and "
                             "--b" % (", ".join(paths),
                                      ", ".join(found) or "none"))
        a = a or others.pop(0)
        b = b or others.pop(0)
    if a == b:
        raise InputError("A and B are both %s: name the runs A-1, B-1, ... "
                         "(make compare-backends does) to compare a "
                         "backend with itself" % a)
    sa, sb = Side("A", a), Side("B", b)
    for p, r, l in zip(paths, runs, labels):
        held = r.backends()
        if a in held:
            sa.add(r, l)
        if b in held:
            sb.add(r, l)
    for s in (sa, sb):
        if not s.runs:
            raise InputError("%s: no run holds backend %s (side %s)" %
                             (", ".join(paths), s.backend, s.letter))
    return sa, sb


# The bootstrap.

def resampled_medians(invs, resamples, rng):
    """Medians of `resamples` hierarchical resamples of invs (a list of
    1-D arrays, one per invocation, each non-empty): draw len(invs)
    invocations with replacement, then within each drawn invocation as
    many repetitions as it has, with replacement; the median of all the
    values drawn.  => np.array of resamples medians."""
    n = len(invs)
    m = np.array([len(v) for v in invs])
    width = int(m.max())
    table = np.full((n, width), np.nan)
    for i, v in enumerate(invs):
        table[i, :len(v)] = v
    out = np.empty(resamples)
    block = max(1, BLOCK_CELLS // (n * width))
    for lo in range(0, resamples, block):
        r = min(block, resamples - lo)
        pick = rng.integers(0, n, size=(r, n))           # invocations
        count = m[pick][..., None]                       # their sizes
        rep = (rng.random((r, n, width)) * count).astype(int)
        vals = table[pick[..., None], rep]
        # Slots beyond a drawn invocation's own size become +inf: sorted
        # last, and each row's median taken over its own valid count.
        vals[np.arange(width) >= count] = np.inf
        vals = vals.reshape(r, -1)
        vals.sort(axis=1)
        valid = count.sum(axis=(1, 2))
        rows = np.arange(r)
        out[lo:lo + r] = (vals[rows, (valid - 1) // 2] +
                          vals[rows, valid // 2]) / 2
    return out


def pooled_median(invs):
    """The median of every value of invs (a list of arrays)."""
    return float(np.median(np.concatenate(invs)))


def ratio_interval(a, b, resamples, rng, level=LEVEL):
    """(ratio, lo, hi): median(B)/median(A) over every repetition, and
    the `level` percentile interval of the hierarchical bootstrap of that
    ratio (resampled_medians of each side).  a, b: lists of arrays, one
    per invocation, >= 1 each; lo, hi None when a side has fewer than 2
    invocations (no spread between invocations to resample), ratio None
    when A's median is not positive."""
    ma = pooled_median(a)
    if ma <= 0:
        return None, None, None
    ratio = pooled_median(b) / ma
    if len(a) < 2 or len(b) < 2:
        return ratio, None, None
    ra = resampled_medians(a, resamples, rng)
    rb = resampled_medians(b, resamples, rng)
    with np.errstate(divide="ignore", invalid="ignore"):
        rs = rb / ra
    rs = rs[np.isfinite(rs)]
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(rs, [tail, 100 - tail])
    return ratio, float(lo), float(hi)


def verdict(lo, hi):
    """The verdict of an interval: "B faster" / "B slower" when it
    excludes 1, "no difference shown" when it covers 1, None when there
    is none."""
    if lo is None:
        return None
    if lo > 1:
        return "B slower"
    if hi < 1:
        return "B faster"
    return "no difference shown"


# The comparison.

def row_order(side):
    """Sort key of pair names: the first run's IPI workloads, then its
    yardsticks (table order), then by name."""
    run = side.first_run
    order = run.ipi_workloads() + run.yardsticks()

    def key(name):
        """(workload's place, name in natural order)."""
        w = name.split("/")[0]
        return (order.index(w) if w in order else len(order),
                natural_key(name))
    return key


def compare(sa, sb, resamples=RESAMPLES, seed=SEED):
    """Rows, one per benchmark both sides have (in row_order): dicts with
    name, n_a, n_b ([repetitions per invocation]) and per stat of STATS:
    a, b (pooled medians), ratio, lo, hi, verdict.  => raises InputError
    when no benchmark pairs."""
    rng = np.random.default_rng(seed)
    names = [n for n in sa.names() if n in set(sb.names())]
    if not names:
        raise InputError("no benchmark of A (%s: %s) pairs with one of B "
                         "(%s: %s) once backend:X and beside:X are removed" %
                         (sa.backend, ", ".join(p for _, p in sa.runs),
                          sb.backend, ", ".join(p for _, p in sb.runs)))
    names.sort(key=row_order(sa))
    rows = []
    for n in names:
        row = {"name": n,
               "n_a": [len(v) for v in sa.reps(n, "p50_ns")],
               "n_b": [len(v) for v in sb.reps(n, "p50_ns")]}
        for s in STATS:
            a, b = sa.reps(n, s), sb.reps(n, s)
            if not a or not b:
                row[s] = None
                continue
            ratio, lo, hi = ratio_interval(a, b, resamples, rng)
            row[s] = {"a": pooled_median(a), "b": pooled_median(b),
                      "ratio": ratio, "lo": lo, "hi": hi,
                      "verdict": verdict(lo, hi)}
        rows.append(row)
    return rows


# Output.

def fmt_ns(v):
    """A duration in ns as text with its unit (3 significant digits)."""
    if v is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if v >= scale:
            return "%.3g %s" % (v / scale, unit)
    return "%.3g ns" % v


def fmt_ratio(v):
    """A ratio: 3 decimals below 10, fewer above."""
    if v is None:
        return "-"
    return "%.3f" % v if v < 10 else "%.1f" % v if v < 100 else "%.0f" % v


def ratio_cell(c):
    """ "1.234 [1.100, 1.380]", the ratio alone without an interval."""
    if c is None or c["ratio"] is None:
        return "-"
    if c["lo"] is None:
        return fmt_ratio(c["ratio"])
    return "%s [%s, %s]" % (fmt_ratio(c["ratio"]), fmt_ratio(c["lo"]),
                            fmt_ratio(c["hi"]))


def row_verdict(row):
    """The verdict cell: p50's, with p99's in parentheses when p99 shows
    a difference that p50 does not say."""
    p50, p99 = row["p50_ns"], row["p99_ns"]
    if not p50 or p50["ratio"] is None:
        return "-"
    v = p50["verdict"]
    if v is None:
        return "no interval (< 2 invocations)"
    w = p99["verdict"] if p99 else None
    if w and w != v and w != "no difference shown":
        v += " (p99: %s)" % w
    return v


def fmt_n(ns):
    """Invocations x repetitions: "5x3", "5x2-3" when they differ."""
    if not ns:
        return "0"
    lo, hi = min(ns), max(ns)
    return "%dx%d" % (len(ns), lo) if lo == hi else \
        "%dx%d-%d" % (len(ns), lo, hi)


HEAD = ["benchmark", "A p50", "B p50", "B/A p50 [95 %]", "A p99", "B p99",
        "B/A p99 [95 %]", "verdict", "n A, B"]


def table_rows(rows):
    """The table's cells, a list of strings per row (HEAD's columns)."""
    out = []
    for r in rows:
        cells = [r["name"]]
        for s in STATS:
            c = r[s]
            cells += [fmt_ns(c["a"]) if c else "-",
                      fmt_ns(c["b"]) if c else "-", ratio_cell(c)]
        cells += [row_verdict(r), "%s, %s" % (fmt_n(r["n_a"]),
                                              fmt_n(r["n_b"]))]
        out.append(cells)
    return out


def side_text(s):
    """ "A = futex: 5 invocations (A-1 .. A-5), 5 repetitions a benchmark
    each[, N repetitions with errors left out]" """
    reps = sorted({len(v) for inv in s.invocations for n in inv
                   for v in [inv[n]["p50_ns"]]})
    each = ("%d repetitions" % reps[0] if len(reps) == 1 else
            "%d-%d repetitions" % (reps[0], reps[-1])) if reps else \
        "no repetitions"
    labels = [l for l, _ in s.runs]
    which = labels[0] if len(labels) == 1 else "%s .. %s" % (labels[0],
                                                             labels[-1])
    err = ", %d repetitions with errors left out" % s.errors \
        if s.errors else ""
    return "%s = %s: %d invocation%s (%s), %s a benchmark each%s" % (
        s.letter, s.backend, len(s.runs), "" if len(s.runs) == 1 else "s",
        which, each, err)


def header(sa, sb, rows, resamples, seed):
    """The lines above the table."""
    lines = [side_text(sa), side_text(sb),
             "B/A: B's median over A's of every repetition's p50 (p99); "
             "[95 %%]: percentile interval of a hierarchical bootstrap "
             "(%d resamples of the invocations, then of the repetitions "
             "within each; seed %d)." % (resamples, seed)]
    few = min(len(sa.runs), len(sb.runs))
    if few < 2:
        lines.append("Fewer than 2 invocations on a side: no interval can "
                     "be given, ratios only (run more invocations: RUNS=).")
    elif few < FEW:
        lines.append("Only %d invocations on a side: the bootstrap sees too "
                     "few of them and its intervals come out too narrow "
                     "(where only the invocations differ, a verdict shows "
                     "a difference far more often than 5 %% of the time): "
                     "take the verdicts as hints; RUNS=5 or more for "
                     "verdicts." % few)
    return lines


def footer(rows):
    """The lines below the table: what a verdict means."""
    n = sum(1 for r in rows for s in STATS if r[s] and r[s]["lo"] is not None)
    lines = ["verdict: B faster / B slower: the p50 interval excludes 1 "
             "(p99's in parentheses when only it does); no difference "
             "shown: it covers 1, which is not proof of none."]
    if n:
        lines.append("%d intervals at 95 %%: where nothing differs about "
                     "%.1f of them still exclude 1 by chance.  The "
                     "yardsticks (beside:X removed) should read the same "
                     "on both sides: a verdict there most often says the host "
                     "placed the vCPUs differently for A's invocations and "
                     "B's."
                     % (n, n * (1 - LEVEL)))
    return lines


def print_text(sa, sb, rows, resamples, seed, notes, f=None):
    """The comparison as an aligned text table, on f (sys.stdout)."""
    f = f or sys.stdout
    for line in notes:
        print("note: %s" % line, file=f)
    for line in header(sa, sb, rows, resamples, seed):
        print(line, file=f)
    body = table_rows(rows)
    widths = [max(len(r[i]) for r in [HEAD] + body)
              for i in range(len(HEAD))]
    for r in [HEAD, ["-" * w for w in widths]] + body:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip(),
              file=f)
    for line in footer(rows):
        print(line, file=f)


def write_md(path, sa, sb, rows, resamples, seed, notes):
    """The comparison as Markdown: a title, the header, the table."""
    with open(path, "w") as f:
        f.write("# %s (B) against %s (A)\n\n" % (sb.backend, sa.backend))
        for line in notes:
            f.write("Note: %s.\n\n" % line)
        for line in header(sa, sb, rows, resamples, seed):
            f.write("%s\n\n" % line)
        f.write("| %s |\n" % " | ".join(HEAD))
        f.write("|%s\n" % ("---|" * len(HEAD)))
        for r in table_rows(rows):
            f.write("| %s |\n" % " | ".join(c.replace("|", "\\|")
                                            for c in r))
        f.write("\n")
        for line in footer(rows):
            f.write("%s\n\n" % line)


def write_csv(path, sa, sb, rows):
    """The comparison as CSV, one row per benchmark; numbers in ns,
    empty cells where there is no value."""
    cols = ["benchmark", "a_backend", "b_backend", "a_invocations",
            "a_repetitions", "b_invocations", "b_repetitions"]
    for s in STATS:
        p = s[:-3]
        cols += ["a_%s_ns" % p, "b_%s_ns" % p, "ratio_%s" % p, "lo_%s" % p,
                 "hi_%s" % p, "verdict_%s" % p]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in rows:
            out = [r["name"], sa.backend, sb.backend, len(r["n_a"]),
                   sum(r["n_a"]), len(r["n_b"]), sum(r["n_b"])]
            for s in STATS:
                c = r[s] or {}
                out += ["" if c.get(k) is None else
                        ("%.6g" % c[k] if k != "verdict" else c[k])
                        for k in ("a", "b", "ratio", "lo", "hi", "verdict")]
            w.writerow(out)


def main(argv):
    """The command line (argv without the program): the table on stdout,
    --md and --csv written.  => 0, or 2 on bad input (a message on
    stderr naming the file)."""
    ap = argparse.ArgumentParser(
        prog="compare_backends.py", usage="%(prog)s [options] RUN_OR_DIR...",
        description=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", metavar="RUN_OR_DIR",
                    help="a run folder, a bench.json, or a folder of run "
                    "folders (make compare-backends's compare-<time>)")
    ap.add_argument("--a", help="backend A (default: the first found)")
    ap.add_argument("--b", help="backend B (default: the other found)")
    ap.add_argument("--resamples", type=int, default=RESAMPLES,
                    help="bootstrap resamples (default %d)" % RESAMPLES)
    ap.add_argument("--seed", type=int, default=SEED,
                    help="the bootstrap's seed (default %d: the same "
                    "input gives the same table)" % SEED)
    ap.add_argument("--csv", metavar="FILE", help="also write the table "
                    "as CSV")
    ap.add_argument("--md", metavar="FILE", help="also write it as "
                    "Markdown (COMPARE.md)")
    opt = ap.parse_args(argv)
    if opt.resamples < 100:
        ap.error("--resamples %d: at least 100" % opt.resamples)
    try:
        notes = []
        paths = [p for arg in opt.runs for p in expand(arg, notes)]
        runs = [read_run(p) for p in paths]
        sa, sb = assign(paths, runs, opt.a, opt.b)
        rows = compare(sa, sb, opt.resamples, opt.seed)
    except InputError as e:
        print("compare_backends: %s" % e, file=sys.stderr)
        return 2
    for s, t in ((sa, sb), (sb, sa)):
        only = [n for n in s.names() if n not in set(t.names())]
        if only:
            notes.append("%d benchmark%s of %s (%s) only, left out: %s%s" % (
                len(only), "" if len(only) == 1 else "s", s.letter,
                s.backend, ", ".join(only[:4]),
                ", ..." if len(only) > 4 else ""))
    try:
        if opt.md:
            write_md(opt.md, sa, sb, rows, opt.resamples, opt.seed, notes)
        if opt.csv:
            write_csv(opt.csv, sa, sb, rows)
    except OSError as e:
        print("compare_backends: %s: cannot write: %s" %
              (e.filename, e.strerror), file=sys.stderr)
        return 2
    try:
        print_text(sa, sb, rows, opt.resamples, opt.seed, notes)
        sys.stdout.flush()
    except BrokenPipeError:     # | head: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
