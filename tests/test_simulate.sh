#!/bin/sh
# test_simulate.sh: `ipibench run --simulate` end to end (functional, not
# timings):
#   a. a short sweep of every workload (the default selection) on the
#      simulated 64-vCPU machine 'synthetic:pack:2 numa:2 core:16 pu:1'
#      with futex: exit 0, no benchmark in error, the context says
#      simulated (64 vCPUs, the source, this host's PUs), multicast
#      spread reaches both packages where near stays in one, broadcast
#      n:64 ran, membarrier is not selected; REPORT.md opens with the
#      simulated warning and the figures' titles say SIMULATED;
#   b. the refusals: busypoll, --topology, --force, a missing file, a
#      bad synthetic description: each exits 2 naming the input, and
#      nothing is written to --out;
#   c. the 2 x EPYC 9654 (384 vCPUs): broadcast n:384 and multicast
#      k:383 (spread) with futex, one batch each, exit 0.
# Every run is bounded by timeout(1).
set -u
: "${IPIBENCH:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
SIM64='synthetic:pack:2 numa:2 core:16 pu:1'
EPYC=tests/topologies/AMD-19h-Zen4-2xEpyc-9654.xml
status=0

fail() {
	echo "test_simulate: $*"
	status=1
}

# --- a. every workload on 64 simulated vCPUs
timeout -k 5 120 "$IPIBENCH" run --simulate "$SIM64" --backend futex \
    --repetitions 1 --min_time 0.002 --batch 10 --timeout 20 \
    --fanout 1,2,63 --broadcast_n 2,64 --senders 1,63 --burst 1,16 \
    --handler_ns 0 --out "$tmp/s64" >"$tmp/s64.out" 2>"$tmp/s64.err"
rc=$?
if [ $rc -ne 0 ]; then
	fail "64-vCPU sweep exited $rc:"; tail -n 20 "$tmp/s64.err"
fi
[ -s "$tmp/s64/bench.json" ] || fail "64-vCPU sweep: no bench.json"
[ -s "$tmp/s64/topology.xml" ] || fail "64-vCPU sweep: no topology.xml"

if [ -s "$tmp/s64/bench.json" ]; then
	"$PYTHON" - "$tmp/s64" "$SIM64" <<'PY' || fail "64-vCPU sweep: see above"
import json, os, subprocess, sys
sys.path.insert(0, "plot")  # run from the top of the tree (make test)
import benchjson as bj

folder, src = sys.argv[1], sys.argv[2]
doc = json.load(open(os.path.join(folder, "bench.json")))
ctx = doc["context"]
bad = []
want = {"simulated_topology": "true", "simulated_source": src,
        "vcpus": "64", "oversubscribed": "true",
        "topology": "2 packages, 4 NUMA nodes, 64 cores, 64 PUs"}
for k, v in want.items():
    if ctx.get(k) != v:
        bad.append("context %s = %r, not %r" % (k, ctx.get(k), v))
if not ctx.get("host_pus") or ctx.get("host_pus") == "unknown":
    bad.append("context host_pus = %r" % ctx.get("host_pus"))
runs = [b for b in doc["benchmarks"] if b.get("run_type") == "iteration"]
for b in runs:
    if b.get("error_occurred"):
        bad.append("%s: error: %s" % (b["run_name"],
                                      b.get("error_message", "")))
seen = {b["run_name"].split("/")[0] for b in runs}
for w in ("unicast", "multicast", "broadcast", "trigger", "mboxfull",
          "pingpong", "futex_wake", "timer"):
    if w not in seen:
        bad.append("workload %s did not run" % w)
if "membarrier" in seen:
    bad.append("membarrier ran: a simulated run does not select it")


def one(prefix):
    got = [b for b in runs if b["run_name"].startswith(prefix)]
    if not got:
        bad.append("no benchmark %s" % prefix)
        return {}
    return got[0]


bp = "/backend:futex/placement:local/backoff:seed/"
for self in ("skip", "run"):
    one("broadcast" + bp + "src:0/n:64/self:" + self)
reach = {}
for order in ("near", "spread"):
    for k in (2, 63):
        b = one("multicast%ssrc:0/k:%d/order:%s" % (bp, k, order))
        reach[order, k] = b.get("target_packages")
if reach.get(("spread", 2)) != 2:
    bad.append("multicast spread k:2: targets on %s packages, not 2" %
               reach.get(("spread", 2)))
if reach.get(("near", 2)) != 1:
    bad.append("multicast near k:2: targets on %s packages, not 1" %
               reach.get(("near", 2)))
if reach.get(("spread", 63)) != 2 or reach.get(("near", 63)) != 2:
    bad.append("multicast k:63: packages %s" % reach)
one("mboxfull" + bp + "dst:63/senders:63/burst:16/handler_ns:0")

# The report and the figures' titles say it was simulated.
r = subprocess.run([sys.executable, "plot/report.py", folder],
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                   timeout=120)
if r.returncode != 0:
    bad.append("report.py exited %d: %s" % (r.returncode, r.stdout))
else:
    lines = open(os.path.join(folder, "REPORT.md")).read().split("\n")
    # The warnings open it (a sanitizer build's, under SAN, beside)
    if not lines[0].startswith("# ipibench: ") or not any(
            l.startswith("**SIMULATED: 64 vCPUs of `%s`" % src) and
            "not timings" in l for l in lines[1:6]):
        bad.append("REPORT.md does not open with the simulated warning: "
                   "%r" % lines[:3])
title = bj.load(folder).title("Broadcast")
t0 = title.split("\n")[0]
if "SIMULATED" not in t0 or not t0.endswith("not timings"):
    bad.append("figure title %r does not say SIMULATED" % title)
for x in bad:
    print("test_simulate: " + x)
print("64 simulated vCPUs: %d benchmarks, spread/near reach %s" %
      (len(runs), sorted(reach.items())))
sys.exit(1 if bad else 0)
PY
fi

# --- b. refusals: exit 2, the input named, nothing written
n=0
refused() {
	what=$1; shift
	n=$((n + 1))
	timeout -k 5 60 "$IPIBENCH" run --workload broadcast \
	    --out "$tmp/r$n" "$@" >"$tmp/r$n.out" 2>"$tmp/r$n.err"
	rc=$?
	[ $rc -eq 2 ] || fail "$what: exit $rc, not 2"
	for word in "$what" "--simulate"; do
		grep -qF -- "$word" "$tmp/r$n.err" ||
		    fail "$what: message does not name '$word':" \
		    "$(cat "$tmp/r$n.err")"
	done
	[ ! -e "$tmp/r$n" ] || fail "$what: --out $tmp/r$n was written"
}
refused "busypoll" --simulate "$SIM64" --backend busypoll,futex
refused "busypoll" --simulate "$SIM64"
refused "--topology $EPYC" --simulate "$SIM64" --topology "$EPYC" \
    --backend futex
refused "--force" --simulate "$SIM64" --force --backend futex
refused "$tmp/missing.xml" --simulate "$tmp/missing.xml" --backend futex
refused "synthetic:pack:2 nonsense:4" \
    --simulate "synthetic:pack:2 nonsense:4" --backend futex
refused "pack:7" --simulate "$SIM64" --cpus pack:7 --backend futex

# --- c. 384 vCPUs: broadcast to 383, multicast to 383 across packages
start=$(date +%s)
timeout -k 5 150 "$IPIBENCH" run --simulate "$EPYC" --backend futex \
    --workload broadcast,multicast --yardsticks false --repetitions 1 \
    --min_time 0.001 --batch 5 --timeout 30 --broadcast_n 384 \
    --fanout 383 --orders spread --benchmark_format=json \
    >"$tmp/epyc.json" 2>"$tmp/epyc.err"
rc=$?
[ $rc -eq 0 ] || { fail "384-vCPU run exited $rc:"; tail -n 20 "$tmp/epyc.err"; }
"$PYTHON" - "$tmp/epyc.json" <<'PY' || fail "384-vCPU run: see above"
import json, sys
doc = json.load(open(sys.argv[1]))
runs = [b for b in doc["benchmarks"] if b.get("run_type") == "iteration"]
names = {b["run_name"]: b for b in runs}
bad = []
bp = "/backend:futex/placement:local/backoff:seed/"
for n in ("broadcast%ssrc:0/n:384/self:skip" % bp,
          "broadcast%ssrc:0/n:384/self:run" % bp,
          "multicast%ssrc:0/k:383/order:spread" % bp):
    b = next((v for k, v in names.items() if k.startswith(n)), None)
    if b is None:
        bad.append("no benchmark %s" % n)
    elif b.get("error_occurred"):
        bad.append("%s: error: %s" % (n, b.get("error_message")))
    elif n.startswith("multicast") and b.get("target_packages") != 2:
        bad.append("%s: targets on %s packages" % (n,
                                                   b.get("target_packages")))
if doc["context"].get("vcpus") != "384":
    bad.append("context vcpus %r" % doc["context"].get("vcpus"))
for x in bad:
    print("test_simulate: " + x)
sys.exit(1 if bad else 0)
PY
echo "test_simulate: 384 simulated vCPUs: $(($(date +%s) - start)) s"

[ $status -eq 0 ] && echo "test_simulate: ok"
exit $status
