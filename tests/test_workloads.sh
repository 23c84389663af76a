#!/bin/sh
# test_workloads.sh: the IPI workloads unicast, multicast, broadcast,
# trigger and mboxfull run briefly for every backend and produce the
# names and counters results/README.md promises, with no benchmark in
# error:
#   unicast/backend:B/placement:P/backoff:seed/dwell:0/src:S/dst:D/class:C/
#       numa:same|cross
#   multicast/backend:B/placement:P/src:S/k:K/order:near|spread
#       + target_packages, target_nodes
#   broadcast/backend:B/placement:P/src:0/n:N/self:skip|run (both)
#   the three synchronous ones + deliver_p50_ns, deliver_p99_ns,
#       ack_p50_ns, ack_p99_ns, wait_overhead_p50_ns (stamps.h), with
#       deliver_p50 <= ack_p50 <= p50 and wait_overhead_p50 >= 0
#   trigger/backend:B/placement:P/dwell:0/src:S/dst:D/class:C/
#       mode:latency|coalesce
#       + triggers_per_run (coalesce, at least 1) and triggers_per_s
#         (coalesce, > 0), blocked_per_op
#         (latency, on every backend that does not spin)
#   mboxfull/backend:B/placement:P/dst:D/senders:S/burst:B/handler_ns:H
#       [/rate:R]
#       + msgs_per_s, full_per_msg, deliver_p50_ns, deliver_p99_ns,
#         ack_p50_ns, ack_p99_ns, share_min, share_max (shares in (0, 1],
#         min <= max; deliver_p50 <= ack_p50; no wait overhead); samples
#         = iterations (every message timed); open loop (rate:R, R > 0)
#         + offered_per_s = R * S, closed loop none
# every one with p50_ns .. max_ns and samples, none with the counters
# these replaced (arrival_*, wait_p50_ns, wait_p99_ns).  "<=" allows
# SLACK ns: the TSC may move in 10 ns steps.  Burst 16 (beyond the 8
# mailbox slots) with one sender is included, on 2 vCPUs.
# Then mboxfull's coordinated omission: with the target stalled 100 us
# before each ack (ack_delay_ns) and one message in flight, closed loop
# times each message from its post (the stall is before the ack, out of
# the sample), open loop at 100000/s from its due time: the target
# serves one message per 100 us at most, so message i of a batch waits
# at least (i - 1) * 90 us, and the open-loop p50 is at least the stall
# (a count: at most 2 of 50 messages are below it), while msgs_per_s
# stays below offered_per_s; closed-loop p50 below open-loop p50.
set -u
: "${IPIBENCH:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

if ! "$IPIBENCH" run --workloads unicast,multicast,broadcast,trigger,mboxfull \
    --backends "" --yardsticks false --repetitions 1 \
    --batch 50 --fanout all --broadcast_n all --senders all \
    --burst 1,16 --handler_ns 0,100 --rate 0,100000 --timeout 10 \
    --benchmark_min_time=0.01 --benchmark_format=json \
    >"$tmp/out.json" 2>"$tmp/err"; then
	echo "test_workloads: ipibench run failed:"; cat "$tmp/err"
	exit 1
fi

status=0
"$PYTHON" - "$tmp/out.json" <<'PY' || status=1
import json, re, sys
sys.path.insert(0, "plot")  # run from the top of the tree (make test)
from benchjson import SEGMENT, canonical_name, segments

doc = json.load(open(sys.argv[1]))
ncpu = int(doc["context"].get("num_cpus", 0))
runs = [b for b in doc["benchmarks"] if b.get("run_type") == "iteration"]
# trigger's sender does not spin-wait: no backoff segment
tp = "/backend:(?P<backend>[a-z]+)/placement:[a-z]+"
bp = tp + "/backoff:seed"
want = {
    "unicast": "^unicast" + bp + "/dwell:0/src:[0-9]+/dst:[0-9]+"
        "/class:[a-z0-9]+"
        "/numa:(?P<numa>same|cross)$",
    "multicast": "^multicast" + bp +
        "/src:0/k:(?P<k>[0-9]+)/order:(?P<order>near|spread)$",
    "broadcast": "^broadcast" + bp +
        "/src:0/n:(?P<n>[0-9]+)/self:(?P<self>skip|run)$",
    "trigger": "^trigger" + tp + "/dwell:0/src:[0-9]+/dst:[0-9]+"
        "/class:[a-z0-9]+"
        "/mode:(?P<mode>latency|coalesce)$",
    "mboxfull": "^mboxfull" + bp + "/dst:(?P<dst>[0-9]+)"
        "/senders:(?P<s>[0-9]+)/burst:(?P<b>[0-9]+)/handler_ns:[0-9]+"
        "(/rate:(?P<rate>[1-9][0-9]*))?$",
}
split = ["deliver_p50_ns", "deliver_p99_ns", "ack_p50_ns", "ack_p99_ns"]
sync = split + ["wait_overhead_p50_ns"]
extra = {
    "unicast": sync,
    "multicast": sync + ["target_packages", "target_nodes"],
    "broadcast": sync,
    "trigger": [],
    "mboxfull": ["msgs_per_s", "full_per_msg"] + split +
                ["share_min", "share_max"],
}
gone = ["arrival_p50_ns", "arrival_max_ns", "wait_p50_ns", "wait_p99_ns"]
SLACK = 10.0
common = ["p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "min_ns",
          "mean_ns", "samples"]
# Every backend of the table (context backend_table: --backends "").
table = json.loads(doc["context"]["backend_table"])
backends = {t["name"] for t in table}
spins = {t["name"]: t["spins"] for t in table}
bad = []
seen = set()		# (workload, backend, variant)
for b in runs:
    name = b["run_name"]
    w = name.split("/")[0]
    clean = canonical_name(name)
    for p in segments(name):
        if not SEGMENT.match(p):
            bad.append("%s: segment %r breaks the grammar" % (name, p))
    if w not in want:
        bad.append("%s: not asked for" % name)
        continue
    m = re.match(want[w], clean)
    if m is None:
        bad.append("%s: does not match %s" % (name, want[w]))
        continue
    g = m.groupdict()
    if b.get("error_occurred"):
        bad.append("%s: error: %s" % (name, b.get("error_message", "")))
        continue
    for c in common + extra[w]:
        if c not in b:
            bad.append("%s: no counter %s" % (name, c))
    for c in gone + (["wait_overhead_p50_ns"] if w == "mboxfull" else []):
        if c in b:
            bad.append("%s: counter %s should be gone" % (name, c))
    if b.get("samples", 0) < 1:
        bad.append("%s: no samples" % name)
    if all(c in b for c in split + ["p50_ns"]):
        if not 0 <= b["deliver_p50_ns"] <= b["ack_p50_ns"] + SLACK:
            bad.append("%s: deliver_p50_ns %g not in 0 .. ack_p50_ns %g" %
                       (name, b["deliver_p50_ns"], b["ack_p50_ns"]))
        for c in ("deliver", "ack"):
            if b[c + "_p50_ns"] > b[c + "_p99_ns"]:
                bad.append("%s: %s_p50_ns above %s_p99_ns" % (name, c, c))
        if w in ("unicast", "multicast", "broadcast") and \
                b["ack_p50_ns"] > b["p50_ns"] + SLACK:
            bad.append("%s: ack_p50_ns %g above p50_ns %g" %
                       (name, b["ack_p50_ns"], b["p50_ns"]))
    if b.get("wait_overhead_p50_ns", 0) < 0:
        bad.append("%s: wait_overhead_p50_ns %g below 0" %
                   (name, b["wait_overhead_p50_ns"]))
    if w == "unicast":
        seen.add((w, g["backend"], "pair"))
    elif w == "multicast":
        seen.add((w, g["backend"], g["order"]))
        if not 1 <= int(g["k"]) <= ncpu - 1:
            bad.append("%s: k out of 1..%d" % (name, ncpu - 1))
    elif w == "broadcast":
        seen.add((w, g["backend"], g["self"]))
        if not 2 <= int(g["n"]) <= ncpu:
            bad.append("%s: n out of 2..%d" % (name, ncpu))
    elif w == "trigger":
        seen.add((w, g["backend"], g["mode"]))
        if g["mode"] == "coalesce":
            if b.get("triggers_per_run", 0) < 1:
                bad.append("%s: triggers_per_run %s, not >= 1" %
                           (name, b.get("triggers_per_run")))
            if not b.get("triggers_per_s", 0) > 0:
                bad.append("%s: triggers_per_s %s, not > 0" %
                           (name, b.get("triggers_per_s")))
        elif "triggers_per_run" in b:
            bad.append("%s: triggers_per_run in latency mode" % name)
        elif not spins[g["backend"]] and "blocked_per_op" not in b:
            bad.append("%s: no counter blocked_per_op" % name)
    elif w == "mboxfull":
        seen.add((w, g["backend"], "burst>8" if int(g["b"]) > 8 else "b<=8"))
        seen.add((w, g["backend"], "open" if g["rate"] else "closed"))
        if b.get("samples") != b["iterations"]:
            bad.append("%s: samples %s, not the %d messages timed" %
                       (name, b.get("samples"), b["iterations"]))
        want_offered = int(g["rate"]) * int(g["s"]) if g["rate"] else None
        if b.get("offered_per_s") != want_offered:
            bad.append("%s: offered_per_s %s, want %s" %
                       (name, b.get("offered_per_s"), want_offered))
        if int(g["dst"]) != ncpu - 1 or not 1 <= int(g["s"]) <= ncpu - 1:
            bad.append("%s: dst or senders off for %d vCPUs" % (name, ncpu))
        if all(c in b for c in extra[w]):
            if b["msgs_per_s"] <= 0 or b["full_per_msg"] < 0:
                bad.append("%s: msgs_per_s %g, full_per_msg %g" %
                           (name, b["msgs_per_s"], b["full_per_msg"]))
            if not 0 < b["share_min"] <= b["share_max"] <= 1:
                bad.append("%s: shares %g .. %g" %
                           (name, b["share_min"], b["share_max"]))
    print("%-72s p50 %9.1f ns %s" % (clean, b.get("p50_ns", -1),
          " ".join("%s %.4g" % (c, b[c]) for c in extra[w] if c in b)))
variants = {"unicast": ["pair"],
            "multicast": ["near", "spread"], "broadcast": ["skip", "run"],
            "trigger": ["latency", "coalesce"],
            "mboxfull": ["b<=8", "burst>8", "closed", "open"]}
if ncpu >= 2:
    for w, vs in variants.items():
        for be in sorted(backends):
            for v in vs:
                if (w, be, v) not in seen:
                    bad.append("no %s/backend:%s/... with %s" % (w, be, v))
for m in bad:
    print("FAIL:", m)
sys.exit(1 if bad else 0)
PY

# mboxfull's coordinated omission (see the top).
if ! "$IPIBENCH" run --workloads mboxfull --backends futex \
    --yardsticks false --perf false --repetitions 1 --batch 50 \
    --senders 1 --burst 1 --handler_ns 0 --ack_delay_ns 100000 \
    --rate 0,100000 --timeout 10 --benchmark_min_time=0.01 \
    --benchmark_format=json >"$tmp/co.json" 2>"$tmp/co.err"; then
	echo "test_workloads: mboxfull with a stall failed:"; cat "$tmp/co.err"
	exit 1
fi
"$PYTHON" - "$tmp/co.json" <<'PY' || status=1
import json, sys
runs = [b for b in json.load(open(sys.argv[1]))["benchmarks"]
        if b.get("run_type") == "iteration"]
bad = ["%s: error: %s" % (b["name"], b.get("error_message"))
       for b in runs if b.get("error_occurred")]
by = {("open" if "/rate:100000/" in b["name"] else "closed"): b
      for b in runs if not b.get("error_occurred")}
if sorted(by) != ["closed", "open"]:
    bad.append("want a closed- and an open-loop benchmark, got %s" %
               [b["name"] for b in runs])
else:
    c, o = by["closed"], by["open"]
    delay = 100000.0
    for b in (c, o):
        if b["samples"] != b["iterations"]:
            bad.append("%s: samples %g for %d messages" %
                       (b["name"], b["samples"], b["iterations"]))
    if o["p50_ns"] < delay:
        bad.append("open loop: p50 %.0f ns below the %.0f ns stall" %
                   (o["p50_ns"], delay))
    if not o["msgs_per_s"] < o["offered_per_s"]:
        bad.append("open loop: msgs_per_s %.0f not below offered %.0f" %
                   (o["msgs_per_s"], o["offered_per_s"]))
    if not c["p50_ns"] < o["p50_ns"]:
        bad.append("closed-loop p50 %.0f ns not below open-loop %.0f ns" %
                   (c["p50_ns"], o["p50_ns"]))
    print("stall 100 us: closed p50 %.0f p99 %.0f ns; open p50 %.0f "
          "p99 %.0f ns, %.0f of %.0f msgs/s" % (c["p50_ns"], c["p99_ns"],
          o["p50_ns"], o["p99_ns"], o["msgs_per_s"], o["offered_per_s"]))
for m in bad:
    print("FAIL:", m)
sys.exit(1 if bad else 0)
PY
exit $status
