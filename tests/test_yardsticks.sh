#!/bin/sh
# test_yardsticks.sh: every yardstick runs briefly beside one backend and
# produces the names and counters results/README.md promises:
#   pingpong, futex_wake, eventfd_wake, futex_pingpong, pipe_pingpong:
#       WORKLOAD/beside:futex/src:S/dst:D/class:C, one per pair class
#   timer/beside:futex/cpu:C, membarrier/beside:futex/src:0/n:N
# each with p50_ns .. max_ns and samples (futex_wake and eventfd_wake
# also blocked_per_op), and no error (membarrier may be
# refused by the kernel: then its error must say membarrier).
set -u
: "${IPIBENCH:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

ys=pingpong,futex_wake,eventfd_wake,futex_pingpong,pipe_pingpong,timer,membarrier
if ! "$IPIBENCH" run --backends futex --workloads "$ys" --repetitions 1 \
    --batch 100 --benchmark_min_time=0.01 --benchmark_format=json \
    >"$tmp/out.json" 2>"$tmp/err"; then
	echo "test_yardsticks: ipibench run failed:"; cat "$tmp/err"
	exit 1
fi

"$PYTHON" - "$tmp/out.json" "$(nproc)" <<'PY'
import json, re, sys
sys.path.insert(0, "plot")  # run from the top of the tree (make test)
from benchjson import SEGMENT, canonical_name, segments

doc = json.load(open(sys.argv[1]))
ncpu = int(sys.argv[2])
runs = [b for b in doc["benchmarks"] if b.get("run_type") == "iteration"]
pair = "/beside:futex/src:[0-9]+/dst:[0-9]+/class:[a-z0-9]+$"
want = {
    "pingpong": "^pingpong" + pair,
    "futex_wake": "^futex_wake" + pair,
    "eventfd_wake": "^eventfd_wake" + pair,
    "futex_pingpong": "^futex_pingpong" + pair,
    "pipe_pingpong": "^pipe_pingpong" + pair,
    "timer": "^timer/beside:futex/cpu:[0-9]+$",
    "membarrier": "^membarrier/beside:futex/src:0/n:[0-9]+$",
}
# The yardsticks where the responder sleeps switch context every op.
want_sleep = {"futex_wake": "sleep", "eventfd_wake": "sleep",
              "futex_pingpong": "sleep", "pipe_pingpong": "sleep"}
if ncpu < 2:  # no pair to measure: only the timer
    want = {"timer": want["timer"]}
counters = ["p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "min_ns",
            "mean_ns", "samples"]
# perf counters: required where the run says they were counted.
perf = doc["context"].get("perf", "")
counted = perf.split("counted")[0] if "counted" in perf else ""
for e in ("ctx_switches", "cpu_migrations"):
    if e in counted:
        counters.append(e)
bad = []
seen = {k: 0 for k in want}
for b in runs:
    name = b["run_name"]
    w = name.split("/")[0]
    clean = canonical_name(name)
    for p in segments(name):
        if not SEGMENT.match(p):
            bad.append("%s: segment %r breaks the grammar" % (name, p))
    if w not in want:
        continue
    if not re.match(want[w], clean):
        bad.append("%s: does not match %s" % (name, want[w]))
        continue
    seen[w] += 1
    if b.get("error_occurred"):
        msg = b.get("error_message", "")
        if w == "membarrier" and "membarrier" in msg:
            print("note: %s skipped: %s" % (name, msg))
            continue
        bad.append("%s: error: %s" % (name, msg))
        continue
    for c in counters:
        if c not in b:
            bad.append("%s: no counter %s" % (name, c))
    if "samples" in b and b["samples"] < 1:
        bad.append("%s: no samples" % name)
    if w != "timer" and "ctx_switches" in counters and \
            "sleep" in want_sleep.get(w, "") and b.get("ctx_switches", 0) <= 0:
        bad.append("%s: a sleeping yardstick with no context switch" % name)
    if w in ("futex_wake", "eventfd_wake") and "blocked_per_op" not in b:
        bad.append("%s: no counter blocked_per_op" % name)
    if all(c in b for c in counters[:5]):
        v = [b[c] for c in counters[:5]]
        if v != sorted(v) or v[0] <= 0:
            bad.append("%s: percentiles not ascending/positive: %s" % (name, v))
    print("%-55s p50 %10.1f ns  p99 %10.1f ns  samples %d" %
          (clean, b.get("p50_ns", -1), b.get("p99_ns", -1), b.get("samples", 0)))
for w, n in seen.items():
    if n == 0:
        bad.append("no benchmark named %s/..." % w)
for m in bad:
    print("FAIL:", m)
sys.exit(1 if bad else 0)
PY
