#!/usr/bin/env python3
"""test_plot.py: plot/ on the hand-made fixture (tests/fixtures/
make_fixture.py): the name grammar is parsed as results/README.md says,
every plot comes out as a non-empty PNG and SVG, a plot without data is
skipped with a reason, and report.py writes REPORT.md with its tables.
InSitu: the in-situ references (x_ref; a moved one flagged, its ratio
from the other repetitions), membarrier at the same n, no pair yardstick
for a fan-out, the backoff plot and table, trigger and mboxfull's
fairness, on synthetic runs (tests/fixtures/synth_run.py) of today's
format and an older ipibench's.  Methodology: issue 12's idle dwell
(dwell:N: the dwell plot and table, the other plots at dwell 0, the
reference pools), mboxfull's open loop (rate:R), the header lines of
the measurement method, the sanitizer warning, times rounded to the
timer's step, the max of the CDF at 1 - 1/samples.  QuietMachine: the
warning when other work ran on the selected PUs at the start
(other_busy, loadavg) and the header lines of those keys and run_lock.

Run with the interpreter that has matplotlib (tests/run.sh passes
$PYTHON, Debian's /usr/bin/python3)."""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "plot"))
os.environ["MPLBACKEND"] = "Agg"

import benchjson as bj  # noqa: E402
import plot as plotmod  # noqa: E402
import report  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_fixture(path, seed=1):
    subprocess.run([sys.executable, os.path.join(ROOT, "tests", "fixtures",
                                                 "make_fixture.py"),
                    path, str(seed)], check=True, timeout=60)


class Grammar(unittest.TestCase):
    def test_parse_name(self):
        w, k = bj.parse_name("unicast/backend:futex/placement:local/src:0/"
                             "dst:1/class:l3/numa:same/repeats:2/"
                             "iterations:100/manual_time")
        self.assertEqual(w, "unicast")
        self.assertEqual(list(k), ["backend", "placement", "src", "dst",
                                   "class", "numa"])
        self.assertEqual(k["class"], "l3")
        w, k = bj.parse_name("timer/beside:eventfd/cpu:1/manual_time")
        self.assertEqual((w, k), ("timer", {"beside": "eventfd", "cpu": "1"}))
        w, k = bj.parse_name("membarrier/beside:futex/src:0/n:2/"
                             "min_time:0.010/threads:1/real_time")
        self.assertEqual(k, {"beside": "futex", "src": "0", "n": "2"})

    def test_backoff_value_with_colons(self):
        """A segment splits at its first colon: backoff:seed:8:256."""
        name = ("unicast/backend:busypoll/placement:local/backoff:seed:8:256/"
                "src:0/dst:1/class:l3/numa:same/repeats:2/manual_time")
        w, k = bj.parse_name(name)
        self.assertEqual(k["backoff"], "seed:8:256")
        self.assertEqual(list(k)[:4], ["backend", "placement", "backoff",
                                       "src"])
        for seg in bj.canonical_name(name).split("/")[1:]:
            self.assertRegex(seg, bj.SEGMENT)

    def test_moved_rule(self):
        """One rule (the matrix's unstable cell): over 1.5x either way
        and over 50 ns away."""
        self.assertTrue(bj.moved(330, 100))
        self.assertFalse(bj.moved(60, 100))            # 40 ns away
        self.assertTrue(bj.moved(30, 100))             # 70 ns, 3.3x
        self.assertFalse(bj.moved(140, 100))           # 1.4x
        self.assertFalse(bj.moved(20000, 14000))       # 1.43x
        self.assertTrue(bj.moved(30000, 14000))
        self.assertFalse(bj.moved(0, 100))


class Fixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="test_plot.")
        cls.run_dir = os.path.join(cls.dir, "run")
        os.mkdir(cls.run_dir)
        make_fixture(os.path.join(cls.run_dir, "bench.json"))
        cls.r = bj.load(cls.run_dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_load_reduces_repetitions(self):
        b = self.r.select("unicast", backend="busypoll", placement="local",
                            src=0, dst=1)
        self.assertEqual(len(b), 1)
        b = b[0]
        self.assertEqual(b.repetitions, 2)
        self.assertEqual(len(b.reps["p50_ns"]), 2)
        self.assertAlmostEqual(b.get("p50_ns"), sum(b.reps["p50_ns"]) / 2)
        self.assertTrue(b.ok)
        self.assertEqual(self.r.backends(), ["busypoll", "futex",
                                               "eventfd"])

    def test_yardstick_lookup(self):
        y = self.r.yardstick("pingpong", "futex", 0, 2, "machine")
        self.assertIsNotNone(y)
        self.assertEqual(y.keys["dst"], "2")
        y = self.r.yardstick("futex_wake", "futex")
        self.assertEqual(y.keys["class"], "l3", "nearest class by default")

    def test_every_plot(self):
        out = os.path.join(self.run_dir, "plots")
        manifest = plotmod.draw_all(self.r, out)
        names = [n for n, _ in plotmod.PLOTS]
        self.assertEqual([m["name"] for m in manifest], names)
        for m in manifest:
            if m["name"] == "backoff":   # one value in the fixture
                self.assertIn("one backoff value in this run (seed)",
                              m["skipped"])
                continue
            if m["name"] == "dwell":     # no dwell in the fixture
                self.assertIn("no dwell in the names", m["skipped"])
                continue
            self.assertIn("files", m, "%s skipped: %s" %
                          (m["name"], m.get("skipped")))
            png = os.path.join(out, m["name"] + ".png")
            svg = os.path.join(out, m["name"] + ".svg")
            with open(png, "rb") as f:
                data = f.read()
            self.assertTrue(data.startswith(PNG_MAGIC), png)
            self.assertGreater(len(data), 10000, png)
            root = ET.parse(svg).getroot()
            self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg", svg)
            self.assertGreater(os.path.getsize(svg), 10000, svg)
            self.assertTrue(m["caption"])
        with open(os.path.join(out, "plots.json")) as f:
            self.assertEqual(json.load(f), manifest)

    def test_report(self):
        plotmod.draw_all(self.r, os.path.join(self.run_dir, "plots"))
        path = report.write_report(self.run_dir)
        with open(path) as f:
            text = f.read()
        self.assertIn("Status: **complete**", text)
        self.assertIn("## Machine", text)
        self.assertIn("Invented CPU", text)
        for wl in ["unicast", "multicast", "broadcast", "trigger",
                   "mboxfull", "Yardsticks"]:
            self.assertIn("### " + wl, text)
        self.assertIn("| benchmark | busypoll p50 | p99 | × ref |", text)
        self.assertIn("| yardstick | beside busypoll p50 |", text)
        self.assertIn("![", text)
        self.assertIn("plots/unicast_classes.png", text)
        self.assertIn("This is a virtual machine", text)
        self.assertIn("| KASSERTs (DIAGNOSTIC) | on |", text)
        self.assertIn("(busypoll: `pingpong`, futex: `futex_wake`, eventfd: "
                      "`eventfd_wake`;", text)
        self.assertIn("measured in situ", text)
        self.assertIn(self.r.workload_info("unicast")["summary"], text)
        # multicast and broadcast: the in-situ n-target ratio, membarrier
        # at the same n, the delivery split.
        self.assertIn("| benchmark | busypoll p50 | p99 | × ref | "
                      "× membarrier | deliver p50 | wait ovh p50 |", text)
        self.assertNotIn("arrival p50", text)
        self.assertIn("| benchmark | busypoll p50 | p99 | Mmsg/s | "
                      "full/msg | min share ×S | max share ×S | deliver p50 "
                      "| ack p50 |", text)
        self.assertIn("| benchmark | busypoll p50 | p99 | × ref | "
                      "deliver p50 | wait ovh p50 |", text)
        self.assertIn("Every row: backoff `seed`.", text)
        self.assertIn("In-situ references: none moved.", text)
        self.assertNotIn("## Moved references", text)
        # trigger: one row a pair, latency and coalescing side by side
        sec = text[text.index("### trigger"):text.index("### mboxfull")]
        self.assertIn("| benchmark | busypoll p50 | p99 | × ref | trig/run |",
                      sec)
        self.assertIn("| src:0/dst:1/class:l3 |", sec)
        self.assertNotIn("mode:", sec)
        self.assertIn("plots/trigger.png", sec)
        self.assertIn("debug build", text)
        self.assertEqual(text.count("debug build"), 1, "said once")
        # a unicast row: p50 and the ratio to pingpong beside busypoll
        row = [l for l in text.splitlines() if l.startswith(
            "| placement:local/src:0/dst:1/class:l3/numa:same |")]
        self.assertEqual(len(row), 1)
        cells = [c.strip() for c in row[0].strip("|").split("|")]
        self.assertTrue(cells[1].endswith("ns"), cells)
        self.assertGreater(float(cells[3]), 1.0, "busypoll above pingpong")
        # matrix: no ratio; the pingpong measured on its pairs instead,
        # its heatmaps under it.
        sec = text[text.index("### matrix"):text.index("### multicast")]
        self.assertIn("| benchmark | busypoll p50 | p99 | pingpong p50 | "
                      "unstable pairs |", sec)
        self.assertNotIn("× ref", sec)
        self.assertIn("| class:machine/numa:cross | 4", sec)
        self.assertIn("plots/unicast_heatmap.png", sec)
        self.assertIn("plots/matrix_pingpong.png", sec)
        self.assertIn("figures over many pairs (matrix", text)

    def test_script_entry_points(self):
        r = subprocess.run([sys.executable, os.path.join(ROOT, "plot",
                                                         "plot.py"),
                            self.run_dir, "--only", "multicast"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run([sys.executable, os.path.join(ROOT, "plot",
                                                         "report.py"),
                            self.run_dir], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run([sys.executable, os.path.join(ROOT, "plot",
                                                         "plot.py"),
                            os.path.join(self.dir, "nothing")],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn("nothing", r.stderr)


def synthetic(names, context=None):
    """A Run of one iteration per benchmark name (p50_ns 100)."""
    data = {"context": context or {}, "benchmarks": [
        {"name": n, "run_name": n, "run_type": "iteration",
         "iterations": 1, "real_time": 100.0, "time_unit": "ns",
         "p50_ns": 100.0, "p99_ns": 200.0} for n in names]}
    return bj.Run(data, "synthetic.json")


class Tables(unittest.TestCase):
    """What plot/ knows of backends and workloads comes from the
    context's backend_table and workload_table."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="test_plot.")
        cls.path = os.path.join(cls.dir, "bench.json")
        make_fixture(cls.path)
        cls.r = bj.load(cls.path)
        with open(cls.path) as f:
            cls.data = json.load(f)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def one(self, workload, **keys):
        bs = self.r.select(workload, **keys)
        self.assertTrue(bs, (workload, keys))
        return bs[0]

    def test_kind(self):
        self.assertEqual(self.r.kind(self.one("unicast")), "latency")
        self.assertEqual(self.r.kind(self.one("trigger", mode="latency")),
                         "latency")
        self.assertEqual(self.r.kind(self.one("trigger", mode="coalesce")),
                         "count", "kind_of before kind")
        self.assertEqual(self.r.kind(self.one("mboxfull")), "throughput")
        b = synthetic(["nosuch/backend:x/placement:local"]).benchmarks[0]
        self.assertIsNone(self.r.kind(b))

    def test_reference(self):
        self.assertEqual(self.r.reference("busypoll"), "pingpong")
        self.assertEqual(self.r.reference("futex"), "futex_wake")
        self.assertIsNone(self.r.reference("nosuch"))
        r = synthetic([], {"backend_table": json.dumps(
            [{"name": "x", "spins": False, "reference": None}])})
        self.assertIsNone(r.reference("x"))
        self.assertIs(r.spins("x"), False)
        self.assertTrue(report.has_ratio(self.r, self.one("unicast")))
        self.assertFalse(report.has_ratio(self.r, self.one(
            "trigger", mode="coalesce")))
        self.assertFalse(report.has_ratio(self.r, self.one("mboxfull")))
        self.assertFalse(report.has_ratio(self.r, self.one(
            "matrix", backend="busypoll", where={"class": "l3"})),
            "a matrix class summary is over many pairs")

    def test_workload_lists(self):
        self.assertEqual(self.r.yardsticks()[:3],
                         ["pingpong", "futex_wake", "eventfd_wake"])
        self.assertEqual(self.r.ipi_workloads(),
                         ["unicast", "matrix", "multicast", "broadcast",
                          "trigger", "mboxfull"])
        self.assertTrue(self.r.is_pair("unicast"))
        self.assertTrue(self.r.is_pair("trigger"))
        self.assertFalse(self.r.is_pair("multicast"))
        self.assertEqual(self.r.workload_info("unicast")["kind"], "latency")
        self.assertTrue(self.r.backend_info("busypoll")["spins"])
        import backends
        self.assertEqual(backends.default_base(self.r, self.r.backends()),
                         "futex", "the first backend that does not spin")

    def test_color_stable(self):
        tab10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
        self.assertEqual([self.r.color(b) for b in
                          ["busypoll", "futex", "eventfd", "other"]], tab10)
        # One backend only, or another order: the same colour each.
        ctx = dict(self.data["context"], backends="eventfd,futex")
        r = synthetic(["unicast/backend:eventfd/placement:local",
                       "unicast/backend:futex/placement:local"], ctx)
        self.assertEqual(r.backends(), ["eventfd", "futex"])
        self.assertEqual(r.color("eventfd"), "#2ca02c")
        self.assertEqual(r.color("futex"), "#ff7f0e")

    def test_old_file_without_tables(self):
        """A results file of an older ipibench: no tables, no ratios, and
        its yardsticks found by their keys."""
        data = dict(self.data)
        data["context"] = {k: v for k, v in data["context"].items()
                           if k not in ("backend_table", "workload_table",
                                        "diagnostic")}
        d = os.path.join(self.dir, "old")
        os.mkdir(d)
        with open(os.path.join(d, "bench.json"), "w") as f:
            json.dump(data, f)
        r = bj.load(d)
        self.assertEqual((r.backend_table, r.workload_table), ([], []))
        self.assertIsNone(r.reference("busypoll"))
        self.assertIsNone(r.kind(r.select("unicast")[0]))
        self.assertEqual(r.yardsticks(), ["pingpong", "futex_wake",
                                          "eventfd_wake", "futex_pingpong",
                                          "pipe_pingpong", "timer",
                                          "membarrier"])
        self.assertEqual(r.ipi_workloads(), ["unicast", "matrix",
                                             "multicast", "broadcast",
                                             "trigger", "mboxfull"])
        self.assertEqual(r.color("futex"), "#ff7f0e", "the run's order")
        m = plotmod.draw_all(r, os.path.join(d, "plots"))
        # Every plot but the matrix's (an older ipibench wrote no
        # matrix.csv), backoff (one value) and dwell (none), drawn.
        matrix = {"unicast_heatmap", "matrix_pingpong"}
        self.assertTrue(all("files" in x for x in m if x["name"] not in
                            matrix | {"backoff", "dwell"}), m)
        self.assertTrue(all("no matrix.csv" in x["skipped"] for x in m
                            if x["name"] in matrix), m)
        with open(report.write_report(d)) as f:
            text = f.read()
        self.assertNotIn("× ref", text)
        self.assertNotIn("KASSERTs", text)
        self.assertIn("### unicast", text)
        self.assertIn("| yardstick | beside busypoll p50 |", text)
        # Malformed tables read as none.
        for bad in ("[{", "{}", "3", '[1, {"summary": "x"}]'):
            ctx = dict(self.data["context"], backend_table=bad,
                       workload_table=bad)
            r = synthetic(["unicast/backend:futex/placement:local"], ctx)
            self.assertEqual((r.backend_table, r.workload_table), ([], []),
                             bad)
            self.assertFalse(report.has_ratio(r, r.benchmarks[0]))


class Partial(unittest.TestCase):
    """A run with errors and without most workloads: plots skipped with a
    reason, the report says incomplete and lists the errors."""

    def test_partial_run(self):
        d = tempfile.mkdtemp(prefix="test_plot.")
        try:
            make_fixture(os.path.join(d, "full.json"), 3)
            with open(os.path.join(d, "full.json")) as f:
                data = json.load(f)
            keep = []
            for b in data["benchmarks"]:
                if b["run_name"].startswith(("multicast", "broadcast",
                                             "mboxfull", "trigger")):
                    continue
                if "placement:single" in b["run_name"]:
                    continue
                if b["run_name"].startswith("unicast/backend:eventfd"):
                    if b["run_type"] == "aggregate":
                        continue
                    b = {k: v for k, v in b.items() if not k.endswith("_ns")}
                    b.update(error_occurred=True,
                             error_message="interrupted")
                keep.append(b)
            data["benchmarks"] = keep
            run_dir = os.path.join(d, "run")
            os.mkdir(run_dir)
            with open(os.path.join(run_dir, "bench.json"), "w") as f:
                json.dump(data, f)
            with open(os.path.join(run_dir, "INCOMPLETE"), "w") as f:
                f.write("interrupted by SIGINT\n")
            run = bj.load(run_dir)
            m = {x["name"]: x for x in
                 plotmod.draw_all(run, os.path.join(run_dir, "plots"))}
            for name in ("multicast", "broadcast", "mboxfull", "placement"):
                self.assertIn("skipped", m[name])
                self.assertFalse(m[name]["skipped"].startswith("failed"))
            self.assertIn("files", m["unicast_classes"])
            with open(report.write_report(run_dir)) as f:
                text = f.read()
            self.assertIn("INCOMPLETE: interrupted by SIGINT", text)
            self.assertIn("## Errors", text)
            self.assertIn("interrupted", text)
            self.assertIn("## Plots not drawn", text)
        finally:
            shutil.rmtree(d, ignore_errors=True)


def synth_run():
    """tests/fixtures/synth_run.py, the synthetic many-vCPU runs."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
    import synth_run as sr
    return sr


class BigMachines(unittest.TestCase):
    """Every plot on synthetic runs of 16, 64 and 384 vCPUs (tests/
    fixtures/synth_run.py: a cost model, not measurements): drawn, not
    skipped, and laid out so that it reads at that size."""

    SIZES = (16, 64, 384)
    EXPECTED = ["unicast_classes", "latency_cdf", "multicast", "broadcast",
                "trigger", "mboxfull"]

    @classmethod
    def setUpClass(cls):
        cls.sr = synth_run()
        cls.dir = tempfile.mkdtemp(prefix="test_plot_big.")
        cls.runs = {}
        for n in cls.SIZES:
            d = os.path.join(cls.dir, "synth%d" % n)
            os.mkdir(d)
            cls.sr.write(os.path.join(d, "bench.json"), n)
            cls.runs[n] = bj.load(d)

    @classmethod
    def tearDownClass(cls):
        plotmod.plt.close("all")
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_synthetic_file(self):
        """The generator writes ipibench's format, marked synthetic."""
        for n, r in self.runs.items():
            self.assertTrue(bj.truthy(r.context["synthetic"]))
            self.assertIn("SYNTHETIC", r.context["cpu_model"])
            self.assertEqual(r.backends(), ["busypoll", "futex", "eventfd"])
            self.assertEqual(r.errors(), [])
            for b in r.benchmarks:
                self.assertEqual(b.repetitions, 2, b)
                self.assertTrue(b.ok, b)
                self.assertIsNotNone(r.kind(b), b)
                for seg in bj.canonical_name(b.run_name).split("/")[1:]:
                    self.assertRegex(seg, bj.SEGMENT)
            pow2 = [2 ** e for e in range(12) if 2 ** e < n]
            self.assertEqual([int(k) for k in r.values_of("k")],
                             pow2 + [n - 1])
            self.assertEqual([int(k) for k in r.values_of("senders")],
                             pow2 + [n - 1])
            self.assertEqual([int(v) for v in r.values_of("n")],
                             [v for v in pow2 if v >= 2] +
                             ([n] if n not in pow2 else []))
            self.assertEqual(r.values_of("burst"), ["1", "8", "16"])
            self.assertEqual(r.values_of("handler_ns"), ["0", "100", "1000"])
            self.assertEqual(r.values_of("order"), ["near", "spread"])
            # Each unicast pair has its yardsticks beside each backend.
            for b in r.select("unicast"):
                y = r.yardstick(r.reference(b.backend), b.backend,
                                b.key("src"), b.key("dst"))
                self.assertEqual(y.keys["dst"], b.keys["dst"])
        by = plotmod.by_class(self.runs[384].select("unicast",
                                                    backend="futex"))
        self.assertEqual(len(by), 8, list(by))

    def draw(self, n):
        out = os.path.join(self.dir, "plots%d" % n)
        m = {x["name"]: x for x in plotmod.draw_all(self.runs[n], out)}
        for name, x in m.items():
            self.assertFalse(x.get("skipped", "").startswith("failed"),
                             "%d vCPUs: %s: %s" % (n, name, x))
        for name in self.EXPECTED:
            self.assertIn("files", m[name], "%d vCPUs: %s skipped: %s" %
                          (n, name, m[name].get("skipped")))
            with open(os.path.join(out, name + ".png"), "rb") as f:
                data = f.read()
            self.assertTrue(data.startswith(PNG_MAGIC), name)
            self.assertGreater(len(data), 20000, name)
        return m

    def test_every_plot_16(self):
        self.draw(16)

    def test_every_plot_64(self):
        self.draw(64)

    def test_every_plot_384(self):
        self.draw(384)

    def panels(self, fig):
        return [ax for ax in fig.axes if ax.get_visible()]

    def assert_legend_outside(self, fig):
        """Every legend right of every panel: it covers no data."""
        fig.canvas.draw()
        right = max(ax.get_window_extent().x1 for ax in self.panels(fig))
        legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()]
        self.assertTrue(legends)
        for lg in legends:
            self.assertGreaterEqual(lg.get_window_extent().x0, right - 1)

    def test_mboxfull_layout_384(self):
        """Senders on a log2 x axis, a column per burst, at most
        backends x handler costs lines a panel (twice that, smallest and
        largest share, in the fairness row, and its line at 1), none
        empty."""
        r = self.runs[384]
        fig, caption = plotmod.plot_mboxfull(r)
        try:
            axes = self.panels(fig)
            self.assertEqual(len(axes), 3 * 3, "three rows, a column a "
                             "burst")
            limit = len(r.backends()) * len(r.values_of("handler_ns"))
            for i, ax in enumerate(axes):
                lines = [ln for ln in ax.get_lines()
                         if len(ln.get_xdata()) > 2]
                self.assertGreater(len(lines), 0, "an empty panel")
                self.assertLessEqual(len(lines), limit * (2 if i >= 6
                                                          else 1))
                self.assertEqual(ax.get_xscale(), "log")
                ticks = list(ax.get_xticks())
                self.assertIn(256, ticks)
                self.assertLessEqual(len(ticks), 12)
                for ln in lines:   # every sender count, few markers
                    self.assertEqual(len(ln.get_xdata()), 10)
            titles = [ax.get_title() for ax in axes]
            self.assertEqual(sum("fills even with one sender" in t
                                 for t in titles), 1, titles)
            self.assertIn("shade", caption)
            self.assertIn("fair share 1/S", caption)
            self.assertIn("share × S", axes[6].get_ylabel())
            self.assert_legend_outside(fig)
        finally:
            plotmod.plt.close(fig)

    def test_mboxfull_many_handlers_and_delays(self):
        """8 handler costs: groups of 3 on further rows; two delay
        settings: a block each; one setting: named in the title."""
        data = self.sr.build(16, handlers=(0, 50, 100, 200, 500, 1000,
                                           2000, 5000), reps=1,
                             aggregates=False)
        r = bj.Run(data, "synthetic.json")
        fig, _ = plotmod.plot_mboxfull(r)
        try:
            axes = self.panels(fig)
            self.assertEqual(len(axes), 3 * 3 * 3, "3 handler groups")
            for i, ax in enumerate(axes):
                fair = (i // 3) % 3 == 2
                self.assertLessEqual(len(ax.get_lines()),
                                     3 * 3 * (2 if fair else 1) + fair)
                self.assertGreater(len(ax.get_lines()), 0)
        finally:
            plotmod.plt.close(fig)
        data = self.sr.build(4, reps=1, aggregates=False)
        extra = []
        for e in data["benchmarks"]:
            if e["name"].startswith("mboxfull"):
                e = dict(e)
                for k in ("name", "run_name"):
                    e[k] = e[k].replace("/manual_time",
                                        "/ack_delay_ns:500/manual_time")
                extra.append(e)
        one = bj.Run({"context": data["context"], "benchmarks": [
            e for e in data["benchmarks"]
            if not e["name"].startswith("mboxfull")] + extra}, "one.json")
        fig, _ = plotmod.plot_mboxfull(one)
        try:
            self.assertIn("ack delay 500 ns", fig._suptitle.get_text())
            self.assertEqual(len(self.panels(fig)), 3 * 3)
        finally:
            plotmod.plt.close(fig)
        data["benchmarks"] += extra
        both = bj.Run(data, "both.json")
        fig, caption = plotmod.plot_mboxfull(both)
        try:
            axes = self.panels(fig)
            self.assertEqual(len(axes), 3 * 2 * 3, "a block per setting")
            self.assertTrue(any("ack delay 500 ns" in ax.get_title()
                                for ax in axes))
            self.assertTrue(any("no delays" in ax.get_title()
                                for ax in axes))
            self.assertIn("delay setting", caption)
        finally:
            plotmod.plt.close(fig)

    def test_cdf_every_class(self):
        """Every pair class of the run, at most four panels a row."""
        fig, _ = plotmod.plot_cdf(self.runs[384])
        try:
            axes = self.panels(fig)
            self.assertEqual(len(axes), 8)
            self.assertEqual(len({round(ax.get_position().y0, 3)
                                  for ax in axes}), 2, "two rows of four")
            self.assertTrue(all(ax.get_title().startswith("pair class")
                                for ax in axes))
            self.assert_legend_outside(fig)
        finally:
            plotmod.plt.close(fig)

    def test_unicast_classes_fit(self):
        """8 classes x 3 backends: no wider than ~18 in; value labels of
        neighbouring bars do not overlap."""
        fig, _ = plotmod.plot_unicast_classes(self.runs[384])
        try:
            self.assertLessEqual(fig.get_size_inches()[0], 18)
            fig.canvas.draw()
            ax = self.panels(fig)[0]
            boxes = [t.get_window_extent() for t in ax.texts]
            self.assertEqual(len(boxes), 8 * 3)
            for a, b in zip(boxes, boxes[1:]):
                if a.y1 > b.y0 and b.y1 > a.y0:   # side by side
                    self.assertLessEqual(a.x1, b.x0 + 1)
            self.assert_legend_outside(fig)
        finally:
            plotmod.plt.close(fig)

    def test_fanout_all_384(self):
        """fanout = all, broadcast_n = all on 384 vCPUs (383 and 383
        points a line), two placements: log2 axes with power-of-two
        ticks, no markers, legends outside, placement drawn."""
        d = os.path.join(self.dir, "all384")
        os.mkdir(d)
        self.sr.write(os.path.join(d, "bench.json"), 384, fanout="all",
                      placements=("local", "single"), reps=1,
                      aggregates=False)
        r = bj.load(d)
        for fn, npts in ((plotmod.plot_multicast, 383),
                         (plotmod.plot_broadcast, 383)):
            fig, _ = fn(r)
            try:
                axes = self.panels(fig)
                self.assertEqual(len(axes), 2)
                for ax in axes:
                    self.assertEqual(ax.get_xscale(), "log")
                    for t in ax.get_xticks():
                        self.assertEqual(int(t) & (int(t) - 1), 0, t)
                    p50 = [ln for ln in ax.get_lines()
                           if len(ln.get_xdata()) == npts]
                    self.assertEqual(len(p50), 3 * 3,
                                     "p50, p99 and deliver p50 lines")
                    for ln in p50:
                        self.assertIn(ln.get_marker(), (None, "None", ""))
                self.assert_legend_outside(fig)
            finally:
                plotmod.plt.close(fig)
        m = {x["name"]: x for x in plotmod.draw_all(
            r, os.path.join(d, "plots"), only=["placement"])}
        self.assertIn("files", m["placement"], m["placement"])


class SynthRuns(unittest.TestCase):
    """A base for classes that draw and report several synthetic runs
    once (cls.N vCPUs each): build() them in setUpClass; cls.PLOTS
    False: reports only (no plots drawn)."""

    PLOTS = True

    @classmethod
    def build(cls, prefix, specs):
        """Write, load, plot and report each (name, synth_run keywords)
        of specs into cls.runs, cls.plots, cls.text by name; a keyword
        context (not synth_run's): keys set in the file's context."""
        cls.sr = synth_run()
        cls.dir = tempfile.mkdtemp(prefix=prefix)
        cls.runs, cls.plots, cls.text = {}, {}, {}
        for name, kw in specs:
            d = os.path.join(cls.dir, name)
            os.mkdir(d)
            kw = dict(kw)
            ctx = kw.pop("context", None)
            path = os.path.join(d, "bench.json")
            cls.sr.write(path, cls.N, **kw)
            if ctx:
                with open(path) as f:
                    data = json.load(f)
                data["context"].update(ctx)
                with open(path, "w") as f:
                    json.dump(data, f)
            r = bj.load(d)
            cls.runs[name] = r
            cls.plots[name] = {m["name"]: m for m in plotmod.draw_all(
                r, os.path.join(d, "plots"))} if cls.PLOTS else {}
            with open(report.write_report(d)) as f:
                cls.text[name] = f.read()

    @classmethod
    def tearDownClass(cls):
        plotmod.plt.close("all")
        shutil.rmtree(cls.dir, ignore_errors=True)

    def section(self, run, title):
        """The report of run from title to the next heading."""
        text = self.text[run]
        i = text.index(title)
        j = text.find("\n#", i + len(title))
        return text[i:j if j >= 0 else len(text)]


class InSitu(SynthRuns):
    """Issue 11 on synthetic 16-vCPU runs (tests/fixtures/synth_run.py):
    two backoff values, one repetition's reference moved 3x and one
    benchmark whose every reference moved; one backoff value; and an
    older ipibench's run (no backoff, no x_ref, no delivery split)."""

    N = 16
    MOVED = ("unicast/backend:busypoll/placement:local/backoff:seed/src:0/"
             "dst:1/class:core/numa:same")
    ALL_MOVED = ("trigger/backend:busypoll/placement:local/src:0/dst:2/"
                 "class:l2/mode:latency")

    @classmethod
    def setUpClass(cls):
        cls.build("test_plot_insitu.", [
                ("two", dict(backoffs=("seed", "pause"),
                             moved=[(cls.MOVED, 0, 3.0),
                                    (cls.ALL_MOVED, 0, 3.0),
                                    (cls.ALL_MOVED, 1, 3.0)])),
                ("one", {}), ("old", dict(old=True))])

    def bench(self, run, name):
        bs = [b for b in self.runs[run].benchmarks
              if bj.canonical_name(b.run_name) == name]
        self.assertEqual(len(bs), 1, name)
        return bs[0]

    @staticmethod
    def cells(sec, label):
        """The cells of the row of sec whose first cell is label."""
        rows = [ln for ln in sec.splitlines()
                if ln.startswith("| %s |" % label)]
        assert len(rows) == 1, (label, rows)
        return [c.strip() for c in rows[0].strip("|").split("|")]

    def test_interleaved_rows(self):
        """Today's runs interleave the repetitions of a machine: a
        benchmark's rows are not contiguous, and still reduce to their
        median, its aggregates after its last repetition."""
        r = self.runs["two"]
        names = [e["run_name"] for e in r.raw]
        b = self.bench("two", self.MOVED)
        idx = [i for i, n in enumerate(names) if n == b.run_name]
        self.assertGreater(idx[-1] - idx[0], len(idx), "interleaved")
        self.assertEqual(r.raw[idx[-1]]["run_type"], "aggregate")
        for b in r.benchmarks:
            self.assertEqual(b.repetitions, 2, b)
            self.assertEqual(len(b.rows), 2, b)
            self.assertAlmostEqual(b.get("p50_ns"), sum(
                x["p50_ns"] for x in b.rows) / 2)

    def test_moved_listed(self):
        """The moved benchmarks are flagged and listed, said in the
        report's first lines; the ratio comes from the other
        repetition."""
        r = self.runs["two"]
        self.assertEqual(sorted(bj.canonical_name(b.run_name)
                                for b in r.moved_benchmarks()),
                         sorted([self.ALL_MOVED, self.MOVED]))
        b = self.bench("two", self.MOVED)
        self.assertEqual(b.moved, [0])
        self.assertGreater(b.rows[0]["ref_p50_ns"] / b.pool_median, 2.5)
        x = r.ratio(b)
        self.assertEqual((x.how, x.used, x.total), ("in-situ", 1, 2))
        self.assertAlmostEqual(x.value, b.rows[1]["x_ref"])
        both = statistics.median(row["x_ref"] for row in b.rows)
        self.assertGreater(abs(x.value - both), 0.3, "the flagged one "
                           "would have moved the median")
        head = self.text["two"][:self.text["two"].index("## Machine")]
        self.assertIn("**2 benchmarks had a repetition whose in-situ "
                      "reference moved (the host moved the vCPUs, or woke "
                      "them another way)", head)
        sec = self.section("two", "## Moved references")
        self.assertIn("1.5 times", sec)
        self.assertIn("50 ns", sec)
        c = self.cells(sec, self.MOVED)
        self.assertEqual(c[1], "1 / 2")
        self.assertEqual(c[2], report.fmt_ns(b.rows[0]["ref_p50_ns"]))
        self.assertEqual(c[3], report.fmt_ns(b.pool_median))
        self.assertEqual(c[4], "%.2f" % x.value)
        c = self.cells(sec, self.ALL_MOVED)
        self.assertEqual((c[1], c[4]), ("2 / 2", "moved"))
        # The unicast table's ratio is the unflagged repetition's.
        sec = self.section("two", "### unicast")
        c = self.cells(sec, "backoff:seed/src:0/dst:1/class:core/numa:same")
        self.assertEqual(c[3], "%.2f" % x.value)
        # Every reference of the trigger moved: "moved", not a number.
        sec = self.section("two", "### trigger")
        self.assertEqual(self.cells(sec, "src:0/dst:2/class:l2")[3],
                         "moved")
        self.assertIn("Moved: every repetition's in-situ reference moved"
                      .lower(), sec.lower())
        # The other runs: none moved, or no in-situ reference at all.
        self.assertIn("In-situ references: none moved.", self.text["one"])
        for run in ("one", "old"):
            self.assertNotIn("## Moved references", self.text[run])
        self.assertNotIn("In-situ references", self.text["old"])

    def test_backends_table(self):
        """backends.py (CI's table): xref in situ, from the unflagged
        repetition; "moved" where none is left."""
        import backends
        import contextlib
        import io
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(backends.main([self.runs["two"].path]), 0)
        text = out.getvalue()
        b = self.bench("two", self.MOVED)
        x = self.runs["two"].ratio(b).value
        row = [ln for ln in text.splitlines() if ln.startswith(
            "unicast/placement:local/backoff:seed/src:0/dst:1/")][0]
        self.assertRegex(row.split(")")[0], r"\(x[0-9.]+, x%s$" %
                         re.escape("%.2f" % x), "busypoll's column")
        row = [ln for ln in text.splitlines() if ln.startswith(
            "trigger/placement:local/src:0/dst:2/class:l2/mode:latency")][0]
        self.assertIn(", moved)", row)
        self.assertIn("2 benchmark(s) had a repetition whose in-situ "
                      "reference moved", text)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            backends.main([self.runs["old"].path])
        row = [ln for ln in out.getvalue().splitlines()
               if ln.startswith("broadcast/")][0]
        self.assertNotIn("x1.", row.split("(")[1].split(",")[1],
                         "no ratio of a broadcast to a pair yardstick")
        self.assertRegex(row, r", -\)")

    def test_fanout_reference(self):
        """A fan-out's × ref is its in-situ n-target reference's; an old
        run without one has no × ref for it (never a one-pair
        yardstick)."""
        r = self.runs["two"]
        for b in r.select("broadcast") + r.select("multicast"):
            x = r.ratio(b)
            self.assertEqual(x.how, "in-situ", b)
            self.assertAlmostEqual(x.value, statistics.median(
                row["x_ref"] for row in b.rows))
            self.assertEqual(b.get("ref_targets"),
                             b.key("n") - 1 if "n" in b.keys
                             else b.key("k"))
        old = self.runs["old"]
        for w in ("broadcast", "multicast"):
            for b in old.select(w):
                self.assertIsNone(old.ratio(b), b)
                self.assertFalse(report.has_ratio(old, b))
            sec = self.section("old", "### " + w)
            self.assertNotIn("× ref", sec)
        # An old run's pair ratios: from the yardstick beside, marked.
        sec = self.section("old", "### unicast")
        c = self.cells(sec, "src:0/dst:1/class:core/numa:same")
        self.assertTrue(c[3].endswith("*"), c)
        self.assertIn("another moment", sec)
        self.assertIn("none for fan-outs (multicast, broadcast)",
                      self.text["old"])
        fig, caption = plotmod.plot_unicast_classes(old)
        try:
            self.assertIn("another moment", caption)
            self.assertTrue(all(t.get_text().endswith("*")
                                for t in fig.axes[0].texts), "×N*")
        finally:
            plotmod.plt.close(fig)

    def test_membarrier_at_matching_n(self):
        """× membarrier: broadcast n with membarrier n, multicast k with
        membarrier n = k + 1; none at other n."""
        r, n = self.runs["two"], self.N
        mb = [y for y in r.select("membarrier", beside="futex")][0]
        self.assertEqual(mb.key("n"), n)
        for w, key, v in (("broadcast", "self:skip", "n:%d" % n),
                          ("multicast", "order:near", "k:%d" % (n - 1))):
            b = [x for x in r.select(w, backend="futex",
                                     where={"backoff": "seed"})
                 if v in x.run_name and key in x.run_name][0]
            self.assertIs(r.fanout_yardstick(b), mb)
            sec = self.section("two", "### " + w)
            self.assertIn("× membarrier", sec)
            c = self.cells(sec, b.label({"backend", "placement"}))
            # label, busypoll's 6 (p50, p99, × ref, × membarrier, deliver,
            # wait ovh), then futex's p50, p99, × ref, × membarrier
            i = 1 + 6 + 3
            self.assertEqual(c[i], "%.2f" % (b.get("p50_ns") /
                                              mb.get("p50_ns")), c)
            other = [x for x in r.select(w, backend="futex")
                     if x.key("n" if w == "broadcast" else "k") < n - 1][0]
            self.assertIsNone(r.fanout_yardstick(other))
            c = self.cells(sec, other.label({"backend", "placement"}))
            self.assertEqual(c[i], "–")
        self.assertIn("**× membarrier**", self.text["two"])
        self.assertIn("multicast k + 1", self.text["two"])

    def test_backoff_plot_and_table(self):
        """Two backoff values: the plot and the table; one: neither."""
        m = self.plots["two"]["backoff"]
        self.assertIn("files", m, m)
        self.assertTrue(os.path.getsize(os.path.join(
            self.runs["two"].folder, "plots", "backoff.png")) > 20000)
        self.assertIn("seed, pause", m["caption"])
        sec = self.section("two", "### Round trip vs backoff")
        self.assertIn("| benchmark | seed p50 | ack | wait ovh | pause p50 "
                      "| ack | wait ovh |", sec)
        self.assertIn("| unicast backend:futex/src:0/dst:1/class:core/"
                      "numa:same |", sec)
        self.assertIn("| broadcast backend:busypoll/src:0/n:16/self:skip |",
                      sec)
        self.assertIn("plots/backoff.png", sec)
        self.assertIn("one backoff value in this run (seed)",
                      self.plots["one"]["backoff"]["skipped"])
        self.assertIn("no backoff", self.plots["old"]["backoff"]["skipped"])
        for run in ("one", "old"):
            self.assertNotIn("Round trip vs backoff", self.text[run])
        # The one-value plots show seed, and say so when there are two.
        for name in ("unicast_classes", "multicast", "broadcast",
                     "mboxfull", "latency_cdf"):
            self.assertIn("backoff seed", self.plots["two"][name]["title"])
            self.assertNotIn("backoff", self.plots["one"][name]["title"])
        fig, _ = plotmod.plot_backoff(self.runs["two"])
        try:
            axes = [ax for ax in fig.axes if ax.get_visible()]
            self.assertEqual(len(axes), 2 * 3, "unicast, broadcast x "
                             "3 backends")
            self.assertEqual(axes[0].get_yscale(), "linear")
            self.assertEqual(axes[3].get_yscale(), "log")
            # unicast: 4 classes x 2 values; broadcast: p50, ack,
            # deliver per value
            self.assertEqual(len(axes[0].patches), 4 * 2)
            self.assertEqual(len(axes[3].get_lines()), 3 * 2)
        finally:
            plotmod.plt.close(fig)

    def test_trigger_plot(self):
        for run in ("two", "one", "old"):
            m = self.plots[run]["trigger"]
            self.assertIn("files", m, (run, m))
            self.assertIn("coalesce", m["caption"])
        fig, _ = plotmod.plot_trigger(self.runs["one"])
        try:
            lat, cnt = [ax for ax in fig.axes if ax.get_visible()]
            self.assertEqual(lat.get_yscale(), "log")
            self.assertEqual(len(lat.patches), 4 * 3)
            self.assertEqual(len(cnt.patches), 4 * 3)
            self.assertIn("triggers per handler run", cnt.get_ylabel())
            self.assertTrue(all("×" in t.get_text() for t in lat.texts))
        finally:
            plotmod.plt.close(fig)

    def test_mboxfull_fairness(self):
        r = self.runs["one"]
        b = [x for x in r.select("mboxfull") if x.key("senders") == 8][0]
        sec = self.section("one", "### mboxfull")
        self.assertIn("min share ×S | max share ×S", sec)
        c = self.cells(sec, b.label({"backend", "placement", "backoff"}))
        self.assertEqual(c[5], "%.2f" % (b.get("share_min") * 8))
        self.assertEqual(c[6], "%.2f" % (b.get("share_max") * 8))
        self.assertIn("fair share 1/S", self.text["one"])
        self.assertIn("fairness", self.plots["one"]["mboxfull"]["caption"])
        # An old run: wait p50 instead of deliver and ack.
        sec = self.section("old", "### mboxfull")
        self.assertIn("| wait p50 |", sec)
        self.assertNotIn("deliver p50", sec)

    def test_delivery_split(self):
        """deliver and ack beside the round trip in the CDF and per
        class; deliver p50 and wait overhead p50 in the tables."""
        for name in ("unicast_classes", "latency_cdf"):
            self.assertIn("deliver", self.plots["one"][name]["caption"])
            self.assertNotIn("deliver", self.plots["old"][name]["caption"])
        fig, _ = plotmod.plot_unicast_classes(self.runs["one"])
        try:
            labels = fig.axes[0].get_legend_handles_labels()[1]
            self.assertIn("deliver p50 (hollow: p99)", labels)
            self.assertIn("ack p50 (hollow: p99)", labels)
        finally:
            plotmod.plt.close(fig)
        for w in ("unicast", "multicast", "broadcast"):
            sec = self.section("one", "### " + w)
            self.assertIn("deliver p50 | wait ovh p50", sec)
            sec = self.section("old", "### " + w)
            self.assertNotIn("deliver p50", sec)
        self.assertIn("arrival p50", self.section("old", "### multicast"))

    def test_old_runs_plot(self):
        """An older ipibench's run: every plot it has data for, drawn."""
        m = self.plots["old"]
        for name in ("unicast_classes", "latency_cdf", "multicast",
                     "broadcast", "trigger", "mboxfull"):
            self.assertIn("files", m[name], (name, m[name]))
        for name, x in m.items():
            self.assertFalse(x.get("skipped", "").startswith("failed"),
                             (name, x))
        self.assertIn("Status: **complete**", self.text["old"])


class Methodology(SynthRuns):
    """Issue 12 on synthetic 4-vCPU runs (tests/fixtures/synth_run.py):
    "dwell" sweeps the idle dwell 0, 100, 1000 us with two backoff
    values and an open-loop mboxfull, and has the method's context keys
    (timer step 10 ns); "san" is a sanitizer build's, its runner
    unpinned, dwell 0 and 1000; "one" has dwell 0 only; "old" has none
    of the new segments or keys (the format before issue 12)."""

    N = 4
    PAIR = "src:0/dst:1/class:core"

    @classmethod
    def setUpClass(cls):
        cls.build("test_plot_method.", [
                ("dwell", dict(dwells=(0, 100, 1000), methodology=True,
                               backoffs=("seed", "pause"),
                               rates=(100000,))),
                ("san", dict(dwells=(0, 1000), methodology=True,
                             sanitizer="thread", unpinned=True)),
                ("one", dict(dwells=(0,), methodology=True)),
                ("old", {})])

    def one(self, run, workload, **keys):
        bs = self.runs[run].select(workload, **keys)
        self.assertEqual(len(bs), 1, (workload, keys, bs))
        return bs[0]

    def head(self, run):
        """The report before its Machine table."""
        return self.text[run][:self.text[run].index("## Machine")]

    def test_no_plot_failed(self):
        """Every plot, dwell included, drawn or skipped with a reason;
        no report prints a missing key as None."""
        for run, plots in self.plots.items():
            self.assertIn("dwell", plots)
            for name, m in plots.items():
                self.assertFalse(m.get("skipped", "").startswith("failed"),
                                 (run, name, m))
            self.assertNotIn("None", self.text[run], run)

    def test_rows_in_numeric_order(self):
        # The workload tables list dwell 0, 100, 1000 (numbers by value,
        # not as text: 1000 before 100), seed before pause (as run).
        text = self.text["dwell"]
        rows = [l for l in text.split("\n") if l.startswith("| backoff:")]
        labels = []
        for l in rows:      # each first time (a row per pair)
            x = l.split("|")[1].strip().split("/src:")[0]
            if "/dwell:" in x and x not in labels:
                labels.append(x)
        seed = [x for x in labels if x.startswith("backoff:seed/dwell:")]
        self.assertEqual(seed[:3], ["backoff:seed/dwell:0",
                                    "backoff:seed/dwell:100",
                                    "backoff:seed/dwell:1000"], labels)
        self.assertLess(labels.index("backoff:seed/dwell:1000"),
                        labels.index("backoff:pause/dwell:0"), labels)

    def test_dwell_plot_only_when_swept(self):
        for run in ("dwell", "san"):
            m = self.plots[run]["dwell"]
            self.assertIn("files", m, (run, m))
            self.assertGreater(os.path.getsize(os.path.join(
                self.runs[run].folder, "plots", "dwell.png")), 20000)
        self.assertIn("one idle dwell in this run (0)",
                      self.plots["one"]["dwell"]["skipped"])
        self.assertIn("no dwell in the names",
                      self.plots["old"]["dwell"]["skipped"])
        r = self.runs["dwell"]
        fig, caption = plotmod.plot_dwell(r)
        try:
            axes = [ax for ax in fig.axes if ax.get_visible()]
            self.assertEqual(len(axes), 3, "unicast, its delivery, trigger")
            self.assertIn("delivery", axes[1].get_title())
            self.assertIn("trigger", axes[2].get_title())
            busy = mcolors_rgb(r.color("busypoll"))
            for ax in axes:
                lines = ax.get_lines()
                # futex and eventfd, p50 and p99 each; busypoll spins
                self.assertEqual(len(lines), 2 * 2)
                for ln in lines:
                    self.assertEqual(list(ln.get_xdata()), [0, 1, 2])
                    self.assertNotEqual(mcolors_rgb(ln.get_color()), busy)
                self.assertEqual([t.get_text() for t in
                                  ax.get_xticklabels()],
                                 ["0", "100 µs", "1 ms"])
            # unicast futex p50 at dwell 1000: its pairs' median, and ×N
            # the ratio to dwell 0's.
            ref = {}
            for d in ("0", "1000"):
                ref[d] = statistics.median(
                    b.get("p50_ns") for b in r.select(
                        "unicast", backend="futex", dwell=d,
                        backoff="seed"))
            p50 = [ln for ln in axes[0].get_lines()
                   if mcolors_rgb(ln.get_color()) ==
                   mcolors_rgb(r.color("futex"))][0]
            self.assertAlmostEqual(p50.get_ydata()[0], ref["0"])
            self.assertAlmostEqual(p50.get_ydata()[2], ref["1000"])
            self.assertIn("×%.2f" % (ref["1000"] / ref["0"]),
                          [t.get_text() for t in axes[0].texts])
            self.assertIn("lowest dwell", caption)
        finally:
            plotmod.plt.close(fig)

    def test_dwell_table(self):
        sec = self.section("dwell", "### Wake-up latency vs idle dwell")
        self.assertIn("| benchmark | dwell 0 p50 | p99 | deliver p50 | "
                      "dwell 100 µs p50 | p99 | deliver p50 | × dwell 0 | "
                      "dwell 1 ms p50 | p99 | deliver p50 | × dwell 0 |",
                      sec)
        self.assertIn("plots/dwell.png", sec)
        r = self.runs["dwell"]
        label = "unicast backend:futex/backoff:seed/%s/numa:same" % \
            self.PAIR
        row = [ln for ln in sec.splitlines()
               if ln.startswith("| %s |" % label)]
        self.assertEqual(len(row), 1, sec)
        cells = [c.strip() for c in row[0].strip("|").split("|")]
        b0, b1 = (self.one("dwell", "unicast", backend="futex",
                           backoff="seed", dwell=d, dst=1)
                  for d in ("0", "1000"))
        # label; dwell 0: p50, p99, deliver; 100 and 1000 µs: p50, p99,
        # deliver, × dwell 0
        self.assertEqual(len(cells), 1 + 3 + 4 + 4)
        self.assertEqual(cells[11], "%.2f" % (b1.get("p50_ns") /
                                              b0.get("p50_ns")))
        self.assertEqual(cells[8], report.ns(r, b1.get("p50_ns")))
        self.assertIn("| trigger backend:eventfd/%s |" % self.PAIR, sec)
        # No spinning backend, no backoff value of one dwell, no
        # coalescing count.
        self.assertNotIn("busypoll", sec.split("\n|")[-1])
        self.assertNotIn("backoff:pause", sec)
        self.assertNotIn("mode:", sec)
        for run in ("one", "old"):
            self.assertNotIn("Wake-up latency vs idle dwell",
                             self.text[run])

    def test_rounded_to_timer_step(self):
        self.assertEqual(bj.fmt_time(171.4, 10.0), "170 ns")
        self.assertEqual(bj.fmt_time(171.4), "171 ns")
        self.assertEqual(bj.fmt_time(3.0, 10.0), "< 10 ns")
        self.assertEqual(bj.fmt_time(0.0, 10.0), "0 ns")
        self.assertEqual(bj.fmt_time(172.4, 2.5), "172.5 ns")
        self.assertEqual(bj.fmt_time(12346.0, 10.0), "12.3 µs")
        self.assertEqual(bj.fmt_time(996.0, 10.0), "1 µs")
        self.assertEqual(report.fmt_ns(171.4, 10.0), "170 ns")
        self.assertEqual(self.runs["dwell"].timer_step(), 10.0)
        self.assertIsNone(self.runs["old"].timer_step())
        ns_re = re.compile(r"(?<![\w.<] )(?<![\w.])(\d+(?:\.\d+)?) ns\b")
        for run in ("dwell", "san", "one"):
            vals = [float(v) for v in ns_re.findall(self.text[run])]
            self.assertGreater(len(vals), 50, run)
            self.assertEqual([v for v in vals if v % 10], [], run)
            self.assertEqual(self.text[run].count(
                "differences under one step (10 ns) are not resolved"), 1)
        # An older file has no step: no rounding, and no such line.
        vals = [float(v) for v in ns_re.findall(self.text["old"])]
        self.assertTrue([v for v in vals if v % 10], "unrounded")
        self.assertNotIn("differences under one step", self.text["old"])
        # The plots' value labels too.
        fig, _ = plotmod.plot_unicast_classes(self.runs["dwell"])
        try:
            for t in fig.axes[0].texts:
                v = t.get_text().split("\n")[0]
                if v.endswith(" ns"):
                    self.assertEqual(float(v[:-3]) % 10, 0, v)
        finally:
            plotmod.plt.close(fig)

    def test_header_lines(self):
        head = self.head("dwell")
        for want in ("## How this was measured",
                     "**Build**: `gcc 12.2.0`", "sanitizer none",
                     "revision `f1afc77` with uncommitted changes (dirty)",
                     "**Timer**: `tsc` moves in steps of 10 ns",
                     "**Warm-up**: the first 3 operations of each batch "
                     "run untimed",
                     "**perf counters**: software events (context-switches",
                     "counted in a pass of its own",
                     "**Idle dwell** (`idle_dwell_us`, the names' "
                     "`dwell:N`): 0, 100, 1000 µs",
                     "**cpuidle**: driver `haltpoll`, governor `haltpoll`",
                     "POLL 0/0us, C1 2/2us",
                     "pinned to PU 15."):
            self.assertIn(want, head)
        self.assertNotIn("may wake on a measured PU", head)
        self.assertIn("unpinned: every allowed PU runs a vCPU. Unpinned, it "
                      "may wake on a measured PU between batches",
                      self.head("san"))
        # The perf text moved here from the machine table.
        self.assertNotIn("| perf counters |", self.text["dwell"])
        # An older file: none of the new lines, nothing printed as None.
        head = self.head("old")
        for gone in ("**Build**", "**Timer**", "**Warm-up**",
                     "**Idle dwell**", "**cpuidle**", "**Runner thread**"):
            self.assertNotIn(gone, head)
        self.assertIn("**perf counters**: none (synthetic)", head)

    def test_sanitizer_warning(self):
        lines = self.text["san"].splitlines()
        self.assertTrue(lines[0].startswith("# ipibench"))
        self.assertIn("SANITIZER BUILD, not timings", lines[0])
        self.assertTrue(lines[2].startswith(
            "**⚠ Figures from a sanitizer build (`thread`): not "
            "timings.**"), lines[:4])
        for name in ("unicast_classes", "dwell"):
            self.assertIn("SANITIZER BUILD, not timings",
                          self.plots["san"][name]["title"])
        for run in ("dwell", "one", "old"):
            self.assertNotIn("sanitizer build", self.text[run].lower())
            self.assertNotIn("SANITIZER", self.plots[run][
                "unicast_classes"]["title"])
        # sanitized_results alone says so too; "none" and absent do not.
        for ctx, want in (({"sanitized_results": "true",
                            "build_sanitizer": "none"}, "yes"),
                          ({"build_sanitizer": "address,undefined"},
                           "address,undefined"),
                          ({"build_sanitizer": "none",
                            "sanitized_results": "false"}, None),
                          ({}, None)):
            r = synthetic([], ctx)
            self.assertEqual(r.sanitizer(), want, ctx)
            self.assertEqual(bool(report.sanitizer_banner(r)),
                             want is not None)

    def test_pool_key_dwell(self):
        """A reference after 1000 us asleep pools apart from one after
        0: with one pool the dwell-1000 references (2x) would be
        flagged as moved."""
        r = self.runs["san"]
        b0, b1 = (self.one("san", "unicast", backend="futex", dwell=d,
                           dst=1) for d in ("0", "1000"))
        k0, k1 = r.pool_key(b0), r.pool_key(b1)
        self.assertNotEqual(k0, k1)
        self.assertEqual(k0[-1], "0")
        self.assertEqual(k1[-1], "1000")
        self.assertGreater(b1.get("ref_p50_ns") / b0.get("ref_p50_ns"), 1.8)
        # The yardstick beside, measured at dwell 0, pools with dwell 0.
        y = r.yardstick("futex_wake", "futex", 0, 1)
        self.assertEqual(r.pool_key(y), k0)
        self.assertEqual(r.moved_benchmarks(), [])
        # busypoll's reference (pingpong) has no dwell in its key.
        bp = self.one("san", "unicast", backend="busypoll", dst=1)
        self.assertEqual(len(r.pool_key(bp)), 3)

    def test_select_lowest_and_absent(self):
        r = synthetic([
            "unicast/backend:futex/placement:local/backoff:seed/dwell:0",
            "unicast/backend:futex/placement:local/backoff:seed/dwell:100",
            "unicast/backend:futex/placement:local/backoff:seed/dwell:1000",
            "unicast/backend:futex/placement:local/backoff:pause/dwell:100",
            "trigger/backend:futex/placement:local/mode:coalesce",
            "mboxfull/backend:futex/placement:local/senders:1",
            "mboxfull/backend:futex/placement:local/senders:1/rate:1000"])
        got = [bj.canonical_name(b.run_name)
               for b in r.select(dwell=bj.LOWEST, rate=None)]
        self.assertEqual(got, [
            "unicast/backend:futex/placement:local/backoff:seed/dwell:0",
            "unicast/backend:futex/placement:local/backoff:pause/dwell:100",
            "trigger/backend:futex/placement:local/mode:coalesce",
            "mboxfull/backend:futex/placement:local/senders:1"])

    def test_backend_plots_at_dwell_0(self):
        """unicast_classes, latency_cdf, trigger and backoff compare the
        backends at dwell 0 (busypoll has no other): one bar a backend
        and class, its height dwell 0's p50."""
        r = self.runs["dwell"]
        fut0 = self.one("dwell", "unicast", backend="futex", dwell="0",
                        backoff="seed", dst=1)
        fig, _ = plotmod.plot_unicast_classes(r)
        try:
            ax = fig.axes[0]
            self.assertEqual(len(ax.patches), 2 * 3)
            heights = sorted(round(p.get_height(), 6) for p in ax.patches)
            self.assertIn(round(fut0.get("p50_ns"), 6), heights)
        finally:
            plotmod.plt.close(fig)
        self.assertIn("idle dwell 0", self.plots["dwell"]["unicast_classes"]
                      ["title"])
        fig, _ = plotmod.plot_cdf(r)
        try:
            xs = [ln.get_xdata()[0] for ln in fig.axes[0].get_lines()
                  if ln.get_marker() == "o" and len(ln.get_xdata()) == 4]
            self.assertIn(fut0.get("p50_ns"), xs)
        finally:
            plotmod.plt.close(fig)
        trg0 = self.one("dwell", "trigger", backend="futex", dwell="0",
                        mode="latency", dst=1)
        fig, _ = plotmod.plot_trigger(r)
        try:
            lat, cnt = [ax for ax in fig.axes if ax.get_visible()]
            self.assertEqual(len(lat.patches), 2 * 3)
            self.assertEqual(len(cnt.patches), 2 * 3, "coalesce kept")
            self.assertIn(round(trg0.get("p50_ns"), 6),
                          [round(p.get_height(), 6) for p in lat.patches])
        finally:
            plotmod.plt.close(fig)
        fig, _ = plotmod.plot_backoff(r)
        try:
            ax = [a for a in fig.axes if a.get_visible()][1]   # futex
            self.assertEqual(len(ax.patches), 2 * 2, "2 classes x 2 "
                             "backoff values, one dwell each")
            self.assertIn(round(fut0.get("p50_ns"), 6),
                          [round(p.get_height(), 6) for p in ax.patches])
        finally:
            plotmod.plt.close(fig)
        sec = self.section("dwell", "### Round trip vs backoff")
        self.assertIn("| unicast backend:futex/%s/numa:same | %s |" %
                      (self.PAIR, report.ns(r, fut0.get("p50_ns"))), sec)

    def test_trigger_rows_merge_modes(self):
        """trigger mode:coalesce (no dwell) stands in the row of the
        round trip at dwell 0, as it did before the dwell."""
        sec = self.section("dwell", "### trigger")
        row = [ln for ln in sec.splitlines()
               if ln.startswith("| dwell:0/%s |" % self.PAIR)]
        self.assertEqual(len(row), 1, sec)
        cells = [c.strip() for c in row[0].strip("|").split("|")]
        b = self.one("dwell", "trigger", backend="busypoll",
                     mode="coalesce", dst=1)
        self.assertEqual(cells[4], "%.1f" % b.get("triggers_per_run"))
        self.assertEqual(cells[5], "%.3g" % (b.get("triggers_per_s") * 1e-6))
        self.assertNotIn("| %s |" % self.PAIR, sec)
        sec = self.section("one", "### trigger")
        self.assertIn("Every row: placement `local`, dwell `0`.", sec)
        self.assertIn("| %s |" % self.PAIR, sec)

    def test_mboxfull_closed_loop(self):
        r = self.runs["dwell"]
        fig, caption = plotmod.plot_mboxfull(r)
        try:
            top = fig.axes[0]    # B = 1 (one sender count: bursts on x)
            closed = self.one("dwell", "mboxfull", backend="busypoll",
                              backoff="seed", senders=1, burst=1,
                              handler_ns=0, rate=None)
            ln = [ln for ln in top.get_lines()
                  if mcolors_rgb(ln.get_color()) ==
                  mcolors_rgb(plotmod.shade(r.color("busypoll"), 0, 3))][0]
            self.assertAlmostEqual(ln.get_ydata()[0],
                                   closed.get("msgs_per_s") / 1e6)
            self.assertIn("closed loop", fig._suptitle.get_text())
            self.assertIn("rate:R", caption)
        finally:
            plotmod.plt.close(fig)
        sec = self.section("dwell", "### mboxfull")
        self.assertIn("offered Mmsg/s | Mmsg/s", sec)
        self.assertIn("/handler_ns:0/rate:100000 |", sec)
        self.assertIn("open loop", self.text["dwell"])
        self.assertNotIn("offered Mmsg/s", self.text["one"])
        # Only the open loop: no plot, and why.
        only = bj.Run({"context": r.context, "benchmarks": [
            e for e in r.raw if "rate:" in e["name"]]}, "open.json")
        fig, why = plotmod.plot_mboxfull(only)
        self.assertIsNone(fig)
        self.assertIn("only open-loop", why)

    def test_cdf_max_at_samples(self):
        """The max sits at the quantile 1 - 1/samples; a percentile is
        drawn only where the samples resolve it."""
        for samples, qs in ((2000.0, [0.5, 0.9, 0.99, 0.999]),
                            (500.0, [0.5, 0.9, 0.99]),
                            (50.0, [0.5, 0.9])):
            data = self.sr.build(self.N, reps=1, aggregates=False,
                                 backends=("busypoll",))
            for e in data["benchmarks"]:
                e["samples"] = samples
            fig, caption = plotmod.plot_cdf(bj.Run(data, "s.json"))
            try:
                ax = fig.axes[0]
                pts = [ln for ln in ax.get_lines() if ln.get_marker() == "o"]
                self.assertEqual([list(ln.get_ydata()) for ln in pts], [qs])
                mx = [ln for ln in ax.get_lines() if ln.get_marker() == "x"]
                self.assertEqual(len(mx), 1)
                self.assertAlmostEqual(mx[0].get_ydata()[0],
                                       1 - 1 / samples)
                self.assertGreater(ax.get_ylim()[1], 1 - 1 / samples)
                self.assertEqual(samples < 1000,
                                 "resolves it" in caption)
            finally:
                plotmod.plt.close(fig)
        self.assertTrue(bj.resolved(1000, 0.999))
        self.assertFalse(bj.resolved(999, 0.999))
        self.assertTrue(bj.resolved(100, 0.99))
        self.assertTrue(bj.resolved(None, 0.999))

    def test_compare_old_with_dwell(self):
        """make compare of a run before the dwell with one after: the
        dwell:0 benchmarks pair."""
        import compare_p50
        import contextlib
        import io
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(compare_p50.main([self.runs["old"].path,
                                               self.runs["dwell"].path]), 0)
        text = out.getvalue()
        self.assertIn("A has no dwell segments", text)
        self.assertIn("\nunicast/backend:futex/placement:local/backoff:seed/"
                      "%s/numa:same " % self.PAIR, text)
        self.assertNotIn("dwell:", text.split("\nbenchmark ", 1)[1])


def mcolors_rgb(c):
    """A colour as an RGB tuple, rounded: colours compared."""
    from matplotlib import colors
    return tuple(round(x, 4) for x in colors.to_rgb(c))


def write_matrix_csv(path, n, packages=1, numas=1, l3s=1,
                     backends=("busypoll",), unstable=()):
    """A matrix.csv (plot.MATRIX_COLUMNS) of n vCPUs in index order:
    vCPU v in package v * packages // n, NUMA node v * numas // n, L3
    v * l3s // n; pair class l3, package or machine from that, p50 from
    the class (a made-up machine, no measurement); the cells in
    unstable flagged."""
    def where(v, k):
        return v * k // n
    with open(path, "w") as f:
        f.write(",".join(plotmod.MATRIX_COLUMNS) + "\n")
        for be in backends:
            for s in range(n):
                for d in range(n):
                    if s == d:
                        continue
                    if where(s, packages) != where(d, packages):
                        cls, p50 = "machine", 900.0
                    elif where(s, l3s) != where(d, l3s):
                        cls, p50 = "package", 400.0
                    else:
                        cls, p50 = "l3", 200.0
                    numa = "same" if where(s, numas) == where(d, numas) \
                        else "cross"
                    p50 += 150.0 * (numa == "cross") + (s * 7 + d) % 13
                    bad = int((s, d) in unstable)
                    f.write("%s,local,%d,%d,%d,%d,%s,%s,1000,%.1f,%.1f,"
                            "%.1f,%.1f,%.1f,%d,1000,%.1f,%.1f\n" % (
                                be, s, d, s, d, cls, numa, p50, p50 * 1.2,
                                p50 * 2, p50 * (0.5 if bad else 0.98),
                                p50 * 1.02, bad, p50 * 0.6, p50 * 0.9))


class QuietMachine(SynthRuns):
    """Issue 13: whether other work ran on the selected PUs at the start
    of the run (context other_busy, loadavg; the run lock run_lock):
    "busy" saw two threads of other processes, "quiet" none (""),
    "old" is a file without these keys."""

    N = 4
    PLOTS = False
    BUSY = ("PU 1: 87% (pid 4242 stress-ng); PU 0: 12% (pid 17 "
            "kworker/0:1)")
    LOCK = ("/tmp/ipibench.lock (held for the run: other ipibench runs "
            "refused)")

    @classmethod
    def setUpClass(cls):
        cls.build("test_plot_quiet.", [
            ("busy", dict(methodology=True, context={
                "loadavg": "0.52 0.31 0.20", "other_busy": cls.BUSY,
                "run_lock": cls.LOCK})),
            ("quiet", dict(methodology=True, context={
                "loadavg": "0.05 0.03 0.01", "other_busy": "",
                "run_lock": cls.LOCK})),
            ("old", dict(methodology=True))])

    def opening(self, run):
        """The report's lines before its Status line."""
        text = self.text[run]
        return text[:text.index("Status: **")]

    def test_busy_warning(self):
        want = ("**⚠ The machine was not quiet: %s (timings with other "
                "work on the same PUs are not figures).** Load average at "
                "the start: 0.52 0.31 0.20." % self.BUSY)
        self.assertIn(want, self.opening("busy"))
        self.assertEqual(self.text["busy"].count("was not quiet"), 1)

    def test_no_warning_when_quiet_or_old(self):
        for run in ("quiet", "old"):
            self.assertNotIn("not quiet", self.text[run], run)
            self.assertNotIn("None", self.text[run], run)
        for ctx in ({}, {"other_busy": ""}, {"other_busy": "  "},
                    {"other_busy": None}, {"loadavg": "9.00 9.00 9.00"},
                    {"other_busy": "unknown", "loadavg": "unknown"}):
            self.assertEqual(report.busy_banner(synthetic([], ctx)), [],
                             ctx)

    def test_busy_warning_load_and_escapes(self):
        # No loadavg: Google Benchmark's load_avg; neither: no load.
        ctx = {"other_busy": "PU 2: 50% (pid 9 a*b_c)",
               "load_avg": [1.5, 1.25, 1.0]}
        line = report.busy_banner(synthetic([], ctx))[0]
        self.assertIn("PU 2: 50% (pid 9 a\\*b\\_c) (timings", line)
        self.assertTrue(line.endswith(
            "Load average at the start: 1.50 1.25 1.00."), line)
        ctx["loadavg"] = "unknown"      # /proc/loadavg unreadable
        line = report.busy_banner(synthetic([], ctx))[0]
        self.assertTrue(line.endswith("start: 1.50 1.25 1.00."), line)
        del ctx["load_avg"]
        line = report.busy_banner(synthetic([], ctx))[0]
        self.assertNotIn("Load average", line)
        self.assertTrue(line.endswith("are not figures).**"), line)

    def test_banner_order(self):
        # With a sanitizer build's and a simulated run's: theirs first,
        # then this one, all before the status line.
        d = os.path.join(self.dir, "san_sim_busy")
        os.mkdir(d)
        data = self.sr.build(self.N, methodology=True, sanitizer="thread")
        data["context"].update(simulated_topology="true",
                               simulated_source="synthetic:4",
                               other_busy=self.BUSY)
        with open(os.path.join(d, "bench.json"), "w") as f:
            json.dump(data, f)
        with open(report.write_report(d)) as f:
            lines = f.read().splitlines()
        starts = [i for want in ("**⚠ Figures from a sanitizer build",
                                 "**SIMULATED: ",
                                 "**⚠ The machine was not quiet: ",
                                 "Status: **")
                  for i, ln in enumerate(lines) if ln.startswith(want)]
        self.assertEqual(starts, [2, 4, 6, 8], lines[:10])

    def test_header_lines(self):
        head = self.text["busy"][:self.text["busy"].index("## Machine")]
        self.assertIn("## How this was measured", head)
        self.assertIn("- **Other work at the start** (`loadavg`, "
                      "`other_busy`): load average 0.52 0.31 0.20; other "
                      "processes' threads using over 10 %% of a selected PU "
                      "in a sample of about 200 ms: %s." % self.BUSY, head)
        self.assertIn("- **Run lock** (`run_lock`): %s." % self.LOCK, head)
        head = self.text["quiet"][:self.text["quiet"].index("## Machine")]
        self.assertIn("load average 0.05 0.03 0.01; other processes' "
                      "threads using over 10 % of a selected PU in a sample "
                      "of about 200 ms: none.", head)
        head = self.text["old"][:self.text["old"].index("## Machine")]
        for gone in ("Other work at the start", "Run lock"):
            self.assertNotIn(gone, head)
        # Not sampled (a run without the lock) or /proc unreadable.
        lines = report.method_lines(synthetic([], {
            "loadavg": "unknown", "other_busy": "unknown",
            "run_lock": "none (not taken)"}))
        self.assertIn("**Other work at the start** (`loadavg`, "
                      "`other_busy`): load average unknown; other "
                      "processes' threads using over 10 % of a selected "
                      "PU in a sample of about 200 ms: unknown (not "
                      "sampled, or /proc unreadable).", lines)
        self.assertIn("**Run lock** (`run_lock`): none (not taken).", lines)


class MatrixHeatmap(unittest.TestCase):
    """plot_heatmap and plot_matrix_pingpong read matrix.csv (the matrix
    workload's) from the run's folder: laid out for 2 and 384 vCPUs."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="test_plot_matrix.")

    def tearDown(self):
        plotmod.plt.close("all")
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_of(self, n, **kw):
        d = os.path.join(self.dir, "run%d" % n)
        os.mkdir(d)
        write_matrix_csv(os.path.join(d, "matrix.csv"), n, **kw)
        return bj.Run({"context": {"host_name": "synthetic"},
                       "benchmarks": []}, os.path.join(d, "bench.json"))

    @staticmethod
    def gids(ax, gid):
        return [a for a in ax.get_children() if a.get_gid() == gid]

    def check_drawn(self, run, only=("unicast_heatmap", "matrix_pingpong")):
        out = os.path.join(run.folder, "plots")
        m = plotmod.draw_all(run, out, list(only))
        self.assertEqual([x["name"] for x in m], list(only))
        for x in m:
            self.assertIn("files", x, x)
            with open(os.path.join(out, x["name"] + ".png"), "rb") as f:
                data = f.read()
            self.assertTrue(data.startswith(PNG_MAGIC))
            self.assertGreater(len(data), 10000)

    def test_384_vcpus(self):
        # 2 packages, 4 NUMA nodes, 24 L3s; every 7th cell of row 5
        # unstable.
        bad = {(5, d) for d in range(0, 384, 7) if d != 5}
        run = self.run_of(384, packages=2, numas=4, l3s=24,
                          backends=("busypoll", "futex"), unstable=bad)
        fig, text = plotmod.plot_heatmap(run)
        self.assertIsNotNone(fig, text)
        panels = [ax for ax in fig.axes if ax.images]
        self.assertEqual(len(panels), 2, "one panel per backend")
        for ax in fig.axes:
            self.assertEqual(len(ax.texts), 0, "no text in the cells past 64")
        for ax in panels:
            # Boundaries, each a horizontal and a vertical line: 1
            # package, 4 - 2 NUMA nodes within a package, 24 - 4 L3s
            # within a node.
            self.assertEqual(len(self.gids(ax, "package_boundary")), 2)
            self.assertEqual(len(self.gids(ax, "numa_boundary")), 4)
            self.assertEqual(len(self.gids(ax, "l3_boundary")), 40)
            self.assertEqual(len(self.gids(ax, "unstable")), 1)
            self.assertLessEqual(len(ax.get_xticks()), 16)
            self.assertEqual(ax.images[0].get_array().shape, (384, 384))
        pct = "%s of cells unstable" % plotmod.fmt_pct(
            100.0 * len(bad) / (384 * 383))
        self.assertEqual(pct, "0.037% of cells unstable")
        self.assertIn(pct, fig._suptitle.get_text())
        self.assertIn("mixes placements", fig._suptitle.get_text())
        self.assertIn("are unstable", text)
        fig, text = plotmod.plot_matrix_pingpong(run)
        self.assertIsNotNone(fig, text)
        for ax in fig.axes:
            self.assertEqual(len(ax.texts), 0)
            self.assertEqual(self.gids(ax, "unstable"), [])
        self.check_drawn(run, ["unicast_heatmap"])

    def test_2_vcpus(self):
        run = self.run_of(2, backends=("busypoll", "futex", "eventfd"))
        fig, text = plotmod.plot_heatmap(run)
        self.assertIsNotNone(fig, text)
        panels = [ax for ax in fig.axes if ax.images]
        self.assertEqual(len(panels), 3)
        for ax in panels:
            self.assertEqual(sorted(t.get_text() for t in ax.texts),
                             ["201\nns", "207\nns"])
            self.assertEqual(self.gids(ax, "unstable"), [])
            for kind in ("package", "numa", "l3"):
                self.assertEqual(self.gids(ax, kind + "_boundary"), [])
        self.assertNotIn("unstable", fig._suptitle.get_text())
        self.check_drawn(run)

    def test_no_matrix(self):
        run = bj.Run({"benchmarks": []}, os.path.join(self.dir,
                                                      "bench.json"))
        for fn in (plotmod.plot_heatmap, plotmod.plot_matrix_pingpong):
            fig, why = fn(run)
            self.assertIsNone(fig)
            self.assertIn("[unicast] matrix = true", why)
            self.assertIn("--workload matrix", why)
        with open(os.path.join(self.dir, "matrix.csv"), "w") as f:
            f.write("backend,src,dst\nfutex,0,1\n")
        with self.assertRaisesRegex(ValueError, "matrix.csv: header"):
            plotmod.plot_heatmap(run)


if __name__ == "__main__":
    unittest.main(verbosity=1)
