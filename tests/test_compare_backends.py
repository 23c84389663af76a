#!/usr/bin/env python3
"""test_compare_backends.py: plot/compare_backends.py (make
compare-backends) on small hand-made runs: a real difference is found,
noise alone is not, the variance between invocations is respected (the
case a test over repetitions gets wrong), fewer than 2 invocations give
ratios only, bad input exits 2 naming the file; the hierarchical
bootstrap resamples as it says (against a plain loop), and how often an
A/A comparison shows a false difference (Calibration: about 5 % at 5
invocations a side, far more at 2, which the output says).

Each fixture run is one invocation: a folder with a bench.json of
Google Benchmark's shape (iteration rows with p50_ns and p99_ns as
top-level keys, aggregates after them, optionally a row with
error_occurred), holding one backend, as `ipibench run --backends X`
writes it.  The numbers are made up here; nothing is measured.

Run with Debian's /usr/bin/python3 (numpy; tests/run.sh passes $PYTHON).
"""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "plot"))
SCRIPT = os.path.join(ROOT, "plot", "compare_backends.py")

import compare_backends as cb  # noqa: E402

UNICAST = ("unicast/backend:%s/placement:local/backoff:seed/src:0/dst:1/"
           "class:l3/numa:same/manual_time")
PINGPONG = "pingpong/beside:%s/src:0/dst:1/class:l3/manual_time"
UNICAST_PAIR = ("unicast/placement:local/backoff:seed/src:0/dst:1/class:l3/"
                "numa:same")


def entries(name, p50s, error=False):
    """Google Benchmark's rows of one benchmark: an iteration row per
    value of p50s (p99 = 2 x p50), its aggregates (a median far off, to
    show they are not used) and, with error, one more repetition that
    failed (its p50 far off too)."""
    out = []
    for i, v in enumerate(p50s):
        out.append({"name": name, "run_name": name, "run_type": "iteration",
                    "repetitions": len(p50s), "repetition_index": i,
                    "iterations": 1000, "real_time": v * 1.3,
                    "cpu_time": 5.0, "time_unit": "ns", "p50_ns": v,
                    "p99_ns": 2 * v, "samples": 1000.0})
    if error:
        out.append({"name": name, "run_name": name, "run_type": "iteration",
                    "repetitions": len(p50s), "repetition_index": len(p50s),
                    "iterations": 0, "real_time": 0, "cpu_time": 0,
                    "time_unit": "ns", "p50_ns": 1e9, "p99_ns": 1e9,
                    "error_occurred": True, "error_message": "watchdog"})
    for agg in ("mean", "median", "stddev"):
        out.append({"name": name + "_" + agg, "run_name": name,
                    "run_type": "aggregate", "aggregate_name": agg,
                    "repetitions": len(p50s), "iterations": len(p50s),
                    "real_time": 1e8, "cpu_time": 1e8, "time_unit": "ns",
                    "p50_ns": 1e8, "p99_ns": 1e8})
    return out


def write_run(folder, backend, unicast, pingpong=None, error=False):
    """A run folder holding one backend: unicast and pingpong are the
    p50s of its repetitions (pingpong None: none)."""
    os.makedirs(folder, exist_ok=True)
    rows = entries(UNICAST % backend, unicast, error)
    if pingpong is not None:
        rows += entries(PINGPONG % backend, pingpong)
    with open(os.path.join(folder, "bench.json"), "w") as f:
        json.dump({"context": {"backends": backend, "host_name": "fixture"},
                   "benchmarks": rows}, f)
    return folder


def noisy(rng, level, reps, spread=0.01):
    """reps values around level, within about spread (relative)."""
    return list(level * np.exp(rng.normal(0, spread, reps)))


def run_main(args):
    """(exit status, stdout, stderr) of compare_backends.main(args)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = cb.main(args)
    return rc, out.getvalue(), err.getvalue()


class Case(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="test_compare_backends.")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def compare_dir(self, a_levels, b_levels, reps=4, seed=3,
                    b_backend="eventfd", pingpong=False):
        """A make-compare-backends folder: A-i of futex, B-i of
        b_backend, invocation i of a side at a_levels[i] (b_levels[i]),
        its repetitions within 1 % of it."""
        rng = np.random.default_rng(seed)
        d = os.path.join(self.tmp, "compare")
        for side, be, levels in (("A", "futex", a_levels),
                                 ("B", b_backend, b_levels)):
            for i, lv in enumerate(levels):
                write_run(os.path.join(d, "%s-%d" % (side, i + 1)), be,
                          noisy(rng, lv, reps),
                          noisy(rng, 120, reps) if pingpong else None)
        return d

    def table(self, args):
        """main() on args with --csv: (stdout, {benchmark: csv row})."""
        path = os.path.join(self.tmp, "out.csv")
        rc, out, err = run_main(args + ["--csv", path])
        self.assertEqual(rc, 0, err)
        with open(path) as f:
            rows = {r["benchmark"]: r for r in csv.DictReader(f)}
        return out, rows


class Verdicts(Case):
    def test_real_difference(self):
        """B 1.5x A in every invocation (the invocations spread by the
        host as much as 25 %): B slower, its interval above 1."""
        levels = [100, 125, 90, 110, 105]
        d = self.compare_dir(levels, [1.5 * x for x in levels],
                             pingpong=True)
        out, rows = self.table([d])
        r = rows[UNICAST_PAIR]
        self.assertEqual(r["verdict_p50"], "B slower")
        self.assertEqual(r["verdict_p99"], "B slower")
        self.assertGreater(float(r["lo_p50"]), 1.0)
        self.assertAlmostEqual(float(r["ratio_p50"]), 1.5, delta=0.25)
        self.assertLessEqual(float(r["lo_p50"]), float(r["ratio_p50"]))
        self.assertGreaterEqual(float(r["hi_p50"]), float(r["ratio_p50"]))
        self.assertEqual((r["a_invocations"], r["a_repetitions"]),
                         ("5", "20"))
        # The yardstick beside each side reads the same: no verdict.
        self.assertEqual(rows["pingpong/src:0/dst:1/class:l3"]
                         ["verdict_p50"], "no difference shown")
        self.assertRegex(out, r"(?m)^%s .*\[[0-9.]+, [0-9.]+\] .*B slower"
                         % UNICAST_PAIR)
        self.assertIn("A = futex: 5 invocations (A-1 .. A-5), 4 "
                      "repetitions", out)
        self.assertIn("B = eventfd: 5 invocations", out)

    def test_b_faster(self):
        levels = [100, 125, 90, 110, 105]
        d = self.compare_dir(levels, [0.6 * x for x in levels])
        _, rows = self.table([d])
        self.assertEqual(rows[UNICAST_PAIR]["verdict_p50"], "B faster")
        self.assertLess(float(rows[UNICAST_PAIR]["hi_p50"]), 1.0)

    def test_noise_only(self):
        """A and B from the same distribution (invocations spread by the
        host, repetitions by 1 %): no difference shown."""
        rng = np.random.default_rng(5)
        a = list(100 * np.exp(rng.normal(0, 0.15, 5)))
        b = list(100 * np.exp(rng.normal(0, 0.15, 5)))
        d = self.compare_dir(a, b)
        out, rows = self.table([d])
        r = rows[UNICAST_PAIR]
        self.assertEqual(r["verdict_p50"], "no difference shown")
        self.assertLessEqual(float(r["lo_p50"]), 1.0)
        self.assertGreaterEqual(float(r["hi_p50"]), 1.0)

    def test_between_invocation_variance(self):
        """The host puts the vCPUs near (120 ns) or far (450 ns) for a
        whole process, alternating; each process's repetitions agree
        within 1 %.  A and B are the same: no difference shown.  The
        same values with each repetition taken as a replicate (what a
        test over repetitions does; 30 a process, so that it is sure of
        itself) give a confident "B slower": the mistake this tool is
        for."""
        a = [120, 450, 120, 450, 120]
        b = [450, 120, 450, 120, 450]
        d = self.compare_dir(a, b, reps=30)
        _, rows = self.table([d])
        r = rows[UNICAST_PAIR]
        self.assertEqual(r["verdict_p50"], "no difference shown")
        self.assertLess(float(r["lo_p50"]), 0.5)
        self.assertGreater(float(r["hi_p50"]), 2.0)
        # The same repetitions, each taken as a replicate of its own.
        paths = cb.expand(d, [])
        sa, sb = cb.assign(paths, [cb.read_run(p) for p in paths], None,
                           None)
        a = sa.reps(UNICAST_PAIR, "p50_ns")
        b = sb.reps(UNICAST_PAIR, "p50_ns")
        self.assertEqual([len(x) for x in a + b], [30] * 10)

        def each(invs):
            return [np.array([v]) for v in np.concatenate(invs)]
        ratio, lo, hi = cb.ratio_interval(each(a), each(b), 10000,
                                          np.random.default_rng(1))
        self.assertEqual(cb.verdict(lo, hi), "B slower")
        self.assertGreater(lo, 1.0)

    def test_same_backend_both_sides(self):
        """A/A: futex against futex, told apart by the folder names."""
        d = self.compare_dir([100, 110, 95], [105, 98, 102],
                             b_backend="futex")
        out, rows = self.table([d])
        self.assertIn("A = futex", out)
        self.assertIn("B = futex", out)
        self.assertIn("Only 3 invocations on a side", out)
        self.assertEqual(rows[UNICAST_PAIR]["b_backend"], "futex")


class Inputs(Case):
    def test_fewer_than_two_invocations(self):
        """One invocation of A: the ratio, no interval, no failure."""
        d = self.compare_dir([100], [150, 160, 155])
        out, rows = self.table([d])
        r = rows[UNICAST_PAIR]
        self.assertAlmostEqual(float(r["ratio_p50"]), 1.55, delta=0.05)
        self.assertEqual((r["lo_p50"], r["hi_p50"], r["verdict_p50"]),
                         ("", "", ""))
        self.assertIn("no interval can be given", out)
        self.assertRegex(out, r"(?m)^%s .* 1\.5[0-9]{2} .*no interval"
                         % UNICAST_PAIR)

    def test_errors_and_aggregates_left_out(self):
        """A repetition with error_occurred and the aggregate rows do not
        count; the header says how many were left out."""
        d = os.path.join(self.tmp, "c")
        for i in range(2):
            write_run(os.path.join(d, "A-%d" % (i + 1)), "futex",
                      [100, 101, 102], error=(i == 0))
            write_run(os.path.join(d, "B-%d" % (i + 1)), "eventfd",
                      [200, 201, 202])
        out, rows = self.table([d])
        r = rows[UNICAST_PAIR]
        self.assertEqual(r["a_repetitions"], "6")
        self.assertAlmostEqual(float(r["a_p50_ns"]), 101)
        self.assertIn("1 repetitions with errors left out", out)

    def test_runs_given_one_by_one(self):
        """Runs not named A-N/B-N: sides by backend, A the first given
        (or --a); a run holding both backends counts on both sides; an
        INCOMPLETE run inside a folder is left out, saying so."""
        d = os.path.join(self.tmp, "runs")
        write_run(os.path.join(d, "x1"), "busypoll", [100, 101])
        write_run(os.path.join(d, "x2"), "futex", [200, 202])
        write_run(os.path.join(d, "x3"), "busypoll", [110, 111])
        write_run(os.path.join(d, "x4"), "futex", [210, 211])
        out, rows = self.table([os.path.join(d, x) for x in
                                ("x1", "x2", "x3", "x4")])
        self.assertEqual(rows[UNICAST_PAIR]["a_backend"], "busypoll")
        self.assertEqual(rows[UNICAST_PAIR]["verdict_p50"], "B slower")
        _, rows = self.table(["--a", "futex", d])
        self.assertEqual(rows[UNICAST_PAIR]["a_backend"], "futex")
        self.assertEqual(rows[UNICAST_PAIR]["verdict_p50"], "B faster")
        with open(os.path.join(d, "x4", "INCOMPLETE"), "w") as f:
            f.write("interrupted by SIGINT\n")
        out, rows = self.table([d])
        self.assertIn("x4 left out: marked INCOMPLETE", out)
        self.assertEqual(rows[UNICAST_PAIR]["b_invocations"], "1")
        # One run with both backends, as a quick sweep writes.
        both = os.path.join(self.tmp, "both.json")
        with open(both, "w") as f:
            json.dump({"context": {}, "benchmarks":
                       entries(UNICAST % "futex", [200, 201]) +
                       entries(UNICAST % "eventfd", [300, 301])}, f)
        out, rows = self.table([both])
        self.assertEqual(rows[UNICAST_PAIR]["b_backend"], "eventfd")
        self.assertAlmostEqual(float(rows[UNICAST_PAIR]["ratio_p50"]),
                               1.5, delta=0.01)

    def bad(self, args, *want):
        """main(args) exits 2 without a traceback, its message holding
        every string of want."""
        rc, out, err = run_main(args)
        self.assertEqual(rc, 2, out + err)
        self.assertNotIn("Traceback", err)
        for w in want:
            self.assertIn(w, err)
        return err

    def test_bad_inputs(self):
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty)
        self.bad([empty], empty, "no bench.json")
        self.bad([os.path.join(self.tmp, "missing")], "missing",
                 "no such file")
        notjson = os.path.join(self.tmp, "notjson.json")
        with open(notjson, "w") as f:
            f.write('{"benchmarks": [')
        self.bad([notjson], notjson, "not valid JSON")
        shape = os.path.join(self.tmp, "shape.json")
        with open(shape, "w") as f:
            json.dump({"benchmarks": {"name": "x"}}, f)
        self.bad([shape], shape, "no 'benchmarks' list")
        rows = os.path.join(self.tmp, "rows.json")
        with open(rows, "w") as f:
            json.dump({"benchmarks": [1, 2]}, f)
        self.bad([rows], rows, "benchmarks[0]")
        # No common benchmark: A has unicast, B only a yardstick.
        d = os.path.join(self.tmp, "nocommon")
        write_run(os.path.join(d, "A-1"), "futex", [100])
        os.makedirs(os.path.join(d, "B-1"))
        with open(os.path.join(d, "B-1", "bench.json"), "w") as f:
            json.dump({"context": {}, "benchmarks":
                       entries(PINGPONG % "eventfd", [120])}, f)
        self.bad([d], "no benchmark of A", "pairs", d)
        # Three backends and no --a/--b.
        for i, be in enumerate(("busypoll", "futex", "eventfd")):
            write_run(os.path.join(self.tmp, "three", "r%d" % i), be, [1])
        self.bad([os.path.join(self.tmp, "three")], "--a", "busypoll")

    def test_command_line(self):
        """The script itself: exit 2 and one line naming the file."""
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty)
        p = subprocess.run([sys.executable, SCRIPT, empty],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stderr.strip().count("\n"), 0, p.stderr)
        self.assertIn(empty, p.stderr)
        d = self.compare_dir([100, 105], [150, 155])
        md = os.path.join(self.tmp, "COMPARE.md")
        p = subprocess.run([sys.executable, SCRIPT, "--md", md, d],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(md) as f:
            text = f.read()
        self.assertIn("| benchmark | A p50 |", text)
        self.assertRegex(text, r"\| %s \| .* \[[0-9.]+, [0-9.]+\] \|"
                         % UNICAST_PAIR)


class Bootstrap(unittest.TestCase):
    def test_against_a_plain_loop(self):
        """resampled_medians draws as a loop over invocations, then
        repetitions, would (invocations of unequal sizes)."""
        invs = [np.array([1.0, 2, 3]), np.array([10.0, 11]),
                np.array([5.0, 6, 7, 8])]
        fast = cb.resampled_medians(invs, 20000, np.random.default_rng(0))
        rng = np.random.default_rng(1)
        slow = []
        for _ in range(20000):
            vals = []
            for i in rng.integers(0, len(invs), len(invs)):
                v = invs[i]
                vals += list(v[rng.integers(0, len(v), len(v))])
            slow.append(np.median(vals))
        q = [5, 25, 50, 75, 95]
        self.assertTrue(np.allclose(np.percentile(fast, q),
                                    np.percentile(slow, q)))
        self.assertAlmostEqual(fast.mean(), np.mean(slow), delta=0.1)

    def test_seed(self):
        """The same seed gives the same interval; blocks change nothing."""
        invs = [np.array([1.0, 2, 3]), np.array([4.0, 5, 6])]
        x = cb.resampled_medians(invs, 1000, np.random.default_rng(4))
        y = cb.resampled_medians(invs, 1000, np.random.default_rng(4))
        self.assertTrue((x == y).all())


class Calibration(unittest.TestCase):
    """How often an A/A comparison shows a difference: A and B drawn
    alike, invocations spread by 10 % (the host), repetitions by 2 %."""

    def false_rate(self, invocations, trials=200):
        rng = np.random.default_rng(invocations)

        def side():
            return [100 * np.exp(rng.normal(0, 0.1)) *
                    np.exp(rng.normal(0, 0.02, 5))
                    for _ in range(invocations)]
        hits = 0
        for _ in range(trials):
            _, lo, hi = cb.ratio_interval(side(), side(), 1000, rng)
            hits += cb.verdict(lo, hi) != "no difference shown"
        return hits / trials

    def test_five_invocations(self):
        """About the nominal 5 %."""
        self.assertLess(self.false_rate(5), 0.12)

    def test_two_invocations(self):
        """Far above it: what the output's warning below cb.FEW says."""
        self.assertGreater(self.false_rate(2), 0.15)
        self.assertGreater(cb.FEW, 2)


if __name__ == "__main__":
    unittest.main(verbosity=1)
