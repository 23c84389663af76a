#!/usr/bin/env python3
"""test_plot.py: plot/ on the hand-made fixture (tests/fixtures/
make_fixture.py): the name grammar is parsed as results/README.md says,
every plot comes out as a non-empty PNG and SVG, a plot without data is
skipped with a reason, and report.py writes REPORT.md with its tables.

Run with the interpreter that has matplotlib (tests/run.sh passes
$PYTHON, Debian's /usr/bin/python3)."""
import json
import os
import shutil
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
        self.assertIn(self.r.workload_info("unicast")["summary"], text)
        self.assertIn("| benchmark | busypoll p50 | p99 | × ref | "
                      "arrival p50 |", text)
        self.assertIn("| benchmark | busypoll p50 | p99 | Mmsg/s |", text)
        self.assertIn("debug build", text)
        self.assertEqual(text.count("debug build"), 1, "said once")
        # a unicast row: p50 and the ratio to pingpong beside busypoll
        row = [l for l in text.splitlines() if l.startswith(
            "| placement:local/src:0/dst:1/class:l3/numa:same |")]
        self.assertEqual(len(row), 1)
        cells = [c.strip() for c in row[0].strip("|").split("|")]
        self.assertTrue(cells[1].endswith("ns"), cells)
        self.assertGreater(float(cells[3]), 1.0, "busypoll above pingpong")

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

    def test_workload_lists(self):
        self.assertEqual(self.r.yardsticks()[:3],
                         ["pingpong", "futex_wake", "eventfd_wake"])
        self.assertEqual(self.r.ipi_workloads(),
                         ["unicast", "multicast", "broadcast", "trigger",
                          "mboxfull"])
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
        self.assertEqual(r.ipi_workloads(), ["unicast", "multicast",
                                             "broadcast", "trigger",
                                             "mboxfull"])
        self.assertEqual(r.color("futex"), "#ff7f0e", "the run's order")
        m = plotmod.draw_all(r, os.path.join(d, "plots"))
        self.assertTrue(all("files" in x for x in m), m)
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


if __name__ == "__main__":
    unittest.main(verbosity=1)
