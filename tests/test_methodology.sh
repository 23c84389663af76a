#!/bin/sh
# test_methodology.sh: how ipibench measures (issue 12), as results show
# it; none of it is a timing.
#
# 1. Warm-up: [run] warmup_ops untimed operations start each batch and
#    are not samples: samples == iterations whatever warmup_ops.
# 2. The perf pass: perf counters come from a pass of its own after the
#    timed batches (perf_ops operations: min(batch, 200)), the context
#    says so; with perf off there is neither counter nor perf_ops.
# 3. The idle dwell: unicast and trigger on a sleeping backend get a
#    benchmark per idle_dwell_us value (dwell:N after the backoff), only
#    with the first backoff value; a spinning backend has dwell:0 alone;
#    trigger mode:coalesce (no wake-up) only the first dwell value; a
#    dwelled wake-up still found its target asleep (blocked_per_op 1).
# 4. The context: warmup_ops, idle_dwell_us, cpuidle_*, runner_pus,
#    timer_step_ns; the runner pinned off the measured PU when one is
#    free (--cpus of one PU on a machine of two or more).
# 5. Bad values: idle_dwell_us pow2, a negative number, past its bound
#    or too long for the watchdog (100 ms x a batch of 1000), warmup_ops
#    past its bound: exit 2 naming the key, nothing written.
set -u
: "${IPIBENCH:?}" "${PYTHON:=/usr/bin/python3}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
me=test_methodology
fail() { echo "$me: FAIL: $*"; exit 1; }

npu=$("$PYTHON" -c 'import os; print(len(os.sched_getaffinity(0)))')
[ "$npu" -ge 2 ] || { echo "$me: skipped: needs 2 usable PUs"; exit 0; }
pus=$("$PYTHON" -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2], sep=",")')
first=${pus%,*}

# 1, 2, 3: one run.
timeout -k 5 120 "$IPIBENCH" run --backends busypoll,futex \
    --workloads unicast,trigger --yardsticks=false --cpus "$pus" \
    --idle_dwell_us 0,50 --backoff seed,pause --warmup_ops 5 --batch 50 \
    --repetitions 1 --min_time 0.002 --out "$tmp/a" >"$tmp/a.log" 2>&1 ||
    { tail -n 20 "$tmp/a.log"; fail "run a: exit status $?"; }
"$PYTHON" - "$tmp/a/bench.json" <<'PY' || fail "run a: see above"
import json, sys
d = json.load(open(sys.argv[1]))
ctx = d["context"]
runs = [b for b in d["benchmarks"] if b["run_type"] == "iteration"]
bad = []
names = set()
for b in runs:
    n = b["run_name"]
    if b.get("error_occurred"):
        bad.append("%s: %s" % (n, b.get("error_message")))
        continue
    kv = dict(p.split(":", 1) for p in n.split("/")[1:] if ":" in p)
    w = n.split("/")[0]
    names.add((w, kv["backend"], kv.get("backoff"), kv.get("dwell"),
               kv.get("mode")))
    # 1: the warm-up is not sampled
    if b["samples"] != b["iterations"]:
        bad.append("%s: %g samples for %d iterations (warm-up sampled?)" %
                   (n, b["samples"], b["iterations"]))
    # 2: the perf pass
    if "ctx_switches" in b and b.get("perf_ops") != 50:
        bad.append("%s: perf counters with perf_ops %s, not 50 (the "
                   "batch)" % (n, b.get("perf_ops")))
    if "perf_ops" in b and "ctx_switches" not in b:
        bad.append("%s: perf_ops without counters" % n)
    # 3: a dwelled wake-up found its target asleep
    if kv["backend"] == "futex" and kv.get("dwell") == "50" and \
            b.get("blocked_per_op", 0) < 0.9:
        bad.append("%s: blocked_per_op %s" % (n, b.get("blocked_per_op")))
want = set()
for be in ("busypoll", "futex"):
    dwells = ("0",) if be == "busypoll" else ("0", "50")
    for bo in ("seed", "pause"):
        for dw in (dwells if bo == "seed" else ("0",)):
            want.add(("unicast", be, bo, dw, None))
    for dw in dwells:
        want.add(("trigger", be, None, dw, "latency"))
    want.add(("trigger", be, None, "0", "coalesce"))
if names != want:
    bad.append("benchmarks: missing %s, unexpected %s" %
               (sorted(want - names, key=str), sorted(names - want, key=str)))
if not any("perf_ops" in b for b in runs):
    bad.append("no benchmark has perf counters (perf on by default)")
if "pass of its own" not in ctx.get("perf", ""):
    bad.append("context perf %r does not name its pass" % ctx.get("perf"))
# 4: the context
for k, ok in (("warmup_ops", lambda v: v == "5"),
              ("idle_dwell_us", lambda v: v == "0,50"),
              ("cpuidle_driver", bool), ("cpuidle_governor", bool),
              ("cpuidle_states", bool), ("runner_pus", bool),
              ("timer_step_ns", lambda v: float(v) >= 0)):
    if k not in ctx or not ok(ctx[k]):
        bad.append("context %s = %r" % (k, ctx.get(k)))
for m in bad:
    print("test_methodology:", m)
sys.exit(1 if bad else 0)
PY

# 2: perf off: no counters, no pass.
timeout -k 5 60 "$IPIBENCH" run --backends futex --workloads unicast \
    --yardsticks=false --cpus "$pus" --perf=false --repetitions 1 \
    --min_time 0.002 --out "$tmp/b" >"$tmp/b.log" 2>&1 ||
    { tail -n 20 "$tmp/b.log"; fail "run b: exit status $?"; }
"$PYTHON" - "$tmp/b/bench.json" <<'PY' || fail "run b (perf off): see above"
import json, sys
d = json.load(open(sys.argv[1]))
bad = [b["name"] for b in d["benchmarks"]
       if "perf_ops" in b or "ctx_switches" in b]
if bad or not d["context"]["perf"].startswith("off"):
    print("test_methodology: perf off, yet counters in", bad,
          d["context"]["perf"])
    sys.exit(1)
PY

# 4: the runner off the one measured PU.
timeout -k 5 60 "$IPIBENCH" run --backends futex --workloads timer \
    --cpus "$first" --repetitions 1 --min_time 0.002 --out "$tmp/c" \
    >"$tmp/c.log" 2>&1 || { tail -n 20 "$tmp/c.log"; fail "run c: exit $?"; }
"$PYTHON" - "$tmp/c/bench.json" "$first" <<'PY' || fail "run c: see above"
import json, sys
r = json.load(open(sys.argv[1]))["context"]["runner_pus"]
if r.startswith("unpinned") or sys.argv[2] in r.replace("-", ",").split(","):
    print("test_methodology: runner_pus %r with PU %s measured" %
          (r, sys.argv[2]))
    sys.exit(1)
PY

# 5: bad values.
for bad in "--idle_dwell_us pow2" "--idle_dwell_us -1" \
    "--idle_dwell_us 2000000" "--idle_dwell_us 100000" \
    "--warmup_ops 1001"; do
	set -- $bad
	timeout -k 5 30 "$IPIBENCH" run --backends futex --workloads unicast \
	    "$1" "$2" --out "$tmp/d" >"$tmp/d.log" 2>&1
	rc=$?
	[ "$rc" -eq 2 ] || fail "$bad: exit $rc, not 2"
	grep -q "${1#--}" "$tmp/d.log" || fail "$bad: message does not name" \
	    "the key: $(cat "$tmp/d.log")"
	[ ! -e "$tmp/d" ] || fail "$bad: $tmp/d written"
done
echo "$me: ok"
