#!/bin/sh
# test_bench_e2e.sh: scripts/bench.sh (make bench) end to end on this
# machine with a tiny config: a complete run produces every file of the
# results folder (results/README.md); a run interrupted with SIGINT after
# a second leaves a valid partial folder, marked incomplete.  The
# repetitions of a machine's benchmarks run interleaved ([run] interleave,
# the default): rows come by benchmark, not in registration order, every
# benchmark has its aggregates, one progress line each; an interrupt
# after some repetitions of several benchmarks (3 each) still leaves
# valid JSON.  Two at once are refused by the lock; a run never shares
# its folder's time with the leftover it tidied.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
IPIBENCH=${IPIBENCH:-$here/build/default/ipibench}
PYTHON=${PYTHON:-/usr/bin/python3}
export IPIBENCH PYTHON
tmp=$(mktemp -d /tmp/test_bench_e2e.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

[ -x "$IPIBENCH" ] || { echo "FAIL: $IPIBENCH: not built"; exit 1; }

cat >"$tmp/tiny.ini" <<'INI'
; every workload and backend, as briefly as Google Benchmark allows
[run]
backends =
repetitions = 2
min_time = 0.002
batch = 20
timeout = 10
[multicast]
fanout = 1
[broadcast]
broadcast_n = 2
[mboxfull]
senders = 1
burst = 1,16
handler_ns = 0
INI
# The same, long enough to be interrupted after a second, with 3
# repetitions: interleaved, several benchmarks are then part done.
sed -e 's/^min_time = .*/min_time = 0.1/' \
    -e 's/^repetitions = .*/repetitions = 3/' "$tmp/tiny.ini" >"$tmp/slow.ini"

# check_folder DIR STATUS: the files of a results folder.
check_folder() {
	d=$1
	for f in bench.json topology.xml config.ini console.log REPORT.md \
	    plots/plots.json; do
		[ -s "$d/$f" ] && ok "$2: $f" || bad "$2: $f missing or empty in $d"
	done
	"$PYTHON" - "$d" "$2" <<'PY' || fail=1
import json, os, sys
import xml.etree.ElementTree as ET
d, what = sys.argv[1], sys.argv[2]
bad = 0
def check(cond, msg):
    global bad
    print(("ok: %s: " if cond else "FAIL: %s: ") % what + msg)
    bad += not cond
data = json.load(open(os.path.join(d, "bench.json")))
check("context" in data and data["benchmarks"], "bench.json is Google "
      "Benchmark JSON with benchmarks")
root = ET.parse(os.path.join(d, "topology.xml")).getroot()
check(root.tag == "topology", "topology.xml is an hwloc export")
ini = open(os.path.join(d, "config.ini")).read()
check("[run]" in ini and "batch = 20" in ini, "config.ini is the config used")
log = open(os.path.join(d, "console.log")).read()
check("[1/" in log, "console.log has ipibench's progress")
import re
ks = [int(m.group(1)) for m in re.finditer(r"^\[(\d+)/\d+\] ", log, re.M)]
check(ks == list(range(1, len(ks) + 1)),
      "one progress line per benchmark, counted 1..N (interleaved)")
if what == "complete":
    # By name, never by position: interleaved, a machine's benchmarks
    # come in the order they finished.
    runs, means = {}, set()
    for b in data["benchmarks"]:
        if b["run_type"] == "iteration" and not b.get("error_occurred"):
            runs[b["run_name"]] = b.get("repetitions", 1)
        if b.get("aggregate_name") == "mean":
            means.add(b["run_name"])
    missing = [n for n, r in runs.items() if r > 1 and n not in means]
    check(not missing, "every repeated benchmark has its aggregates%s" %
          (": not " + ", ".join(missing[:3]) if missing else ""))
manifest = json.load(open(os.path.join(d, "plots", "plots.json")))
names = {b["run_name"].split("/")[0] for b in data["benchmarks"]
         if not b.get("error_occurred")}
drawn = [m["name"] for m in manifest if "files" in m]
want = {"unicast": "unicast_classes", "multicast": "multicast",
        "broadcast": "broadcast", "mboxfull": "mboxfull"}
for w, p in want.items():
    if w in names:
        check(p in drawn, "plot %s drawn (the run has %s)" % (p, w))
for m in manifest:
    if "files" in m:
        for f in m["files"]:
            p = os.path.join(d, "plots", f)
            head = open(p, "rb").read(8)
            check(os.path.getsize(p) > 1000 and
                  (head == b"\x89PNG\r\n\x1a\n" or f.endswith(".svg")),
                  "plots/%s" % f)
    else:
        check(not m["skipped"].startswith("failed"), "plot %s skipped: %s" %
              (m["name"], m["skipped"]))
report = open(os.path.join(d, "REPORT.md")).read()
check("## Machine" in report and "### " in report, "REPORT.md has tables")
sys.exit(1 if bad else 0)
PY
}

# 1. A complete run.
sh -c 'exec bash "$0/scripts/bench.sh" -c "$1" -r "$2"' "$here" \
    "$tmp/tiny.ini" "$tmp/r1" >"$tmp/log1" 2>&1
rc=$?
set -- "$tmp"/r1/*-*Z
if [ $rc -eq 0 ] && [ $# -eq 1 ] && [ -d "$1" ]; then
	ok "complete run: exit 0, one folder $(basename "$1")"
	d1=$1
	check_folder "$d1" complete
	[ ! -e "$d1/INCOMPLETE" ] && ok "complete: no INCOMPLETE" || bad "complete: INCOMPLETE present"
	grep -q 'Status: \*\*complete\*\*' "$d1/REPORT.md" && ok "complete: REPORT.md says complete" || bad "complete: REPORT.md status"
	[ "$(readlink "$tmp/r1/latest")" = "$(basename "$d1")" ] && ok "complete: latest link" || bad "complete: latest link"
	"$PYTHON" -c 'import json, sys
b = json.load(open(sys.argv[1]))["benchmarks"]
e = [x["name"] for x in b if x.get("error_occurred")]
for n in e: print("error: " + n)
sys.exit(1 if e else 0)' "$d1/bench.json" &&
	    ok "complete: no benchmark with an error" || bad "complete: errors in bench.json"
else
	bad "complete run: exit $rc, folders: $*"; tail -n 30 "$tmp/log1"
fi
ls -a "$tmp/r1" | grep -q '\.tmp$' && bad "complete: a .tmp folder left" || ok "complete: no .tmp left"

# 2. Interrupted after a second.  env --default-signal: a background job
# of a script starts with SIGINT ignored, which bash could not trap.
env --default-signal=INT bash "$here/scripts/bench.sh" -c "$tmp/slow.ini" \
    -r "$tmp/r2" >"$tmp/log2" 2>&1 &
pid=$!
sleep 1
kill -INT "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$pid" 2>/dev/null; then
	bad "interrupted: bench.sh still running 60 s after SIGINT"
	kill -TERM "$pid"; sleep 2
fi
wait "$pid"
rc=$?
pid=
set -- "$tmp"/r2/*-incomplete
if [ $rc -eq 130 ] && [ $# -eq 1 ] && [ -d "$1" ]; then
	ok "interrupted: exit 130, folder $(basename "$1")"
	d2=$1
	check_folder "$d2" interrupted
	grep -q 'SIGINT' "$d2/INCOMPLETE" && ok "interrupted: INCOMPLETE says why: $(cat "$d2/INCOMPLETE")" || bad "interrupted: INCOMPLETE"
	grep -q 'Status: \*\*INCOMPLETE' "$d2/REPORT.md" && ok "interrupted: REPORT.md says incomplete" || bad "interrupted: REPORT.md status"
	grep -q '"error_message": "interrupted"' "$d2/bench.json" && ok "interrupted: skipped benchmarks say interrupted" || bad "interrupted: no 'interrupted' error in bench.json"
	# What ran before the signal is kept (not asserted: a loaded machine
	# may not finish one benchmark in a second).
	"$PYTHON" -c 'import json, sys
b = json.load(open(sys.argv[1]))["benchmarks"]
done = {x["run_name"] for x in b if not x.get("error_occurred")}
print("note: interrupted: %d benchmarks measured before SIGINT were kept" % len(done))' "$d2/bench.json"
else
	bad "interrupted run: exit $rc, folders: $*"; tail -n 30 "$tmp/log2"
fi
ls -a "$tmp/r2" | grep -q '\.tmp$' && bad "interrupted: a .tmp folder left" || ok "interrupted: no .tmp left"

# 3. A bad config: refused, nothing written.
printf '[run]\nbatch = 0\n' >"$tmp/bad.ini"
bash "$here/scripts/bench.sh" -c "$tmp/bad.ini" -r "$tmp/r3" >"$tmp/log3" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "bad.ini:2: key 'batch'" "$tmp/log3" &&
    [ -z "$(ls -A "$tmp/r3" 2>/dev/null | grep -vx '.lock')" ]; then
	ok "bad config: exit 2, error names file, line and key, nothing written (but the lock file)"
else
	bad "bad config: exit $rc"; cat "$tmp/log3"; ls -la "$tmp/r3"
fi
# 4. Two at once (started in the same second, say): the second is
# refused by the lock of the results folder, saying who holds it, with
# nothing written; into another folder, by ipibench's own lock (the
# machine is one); the first goes on.  A private IPIBENCH_LOCK: never
# in the way of a real run.
IPIBENCH_LOCK="$tmp/ipibench.lock"
export IPIBENCH_LOCK
bash "$here/scripts/bench.sh" -c "$tmp/slow.ini" -r "$tmp/r4" >"$tmp/log4" 2>&1 &
pid=$!
i=0
until grep -qs '^\[1/' "$tmp"/r4/.*.tmp/console.log || [ $i -ge 600 ]; do
	sleep 0.1; i=$((i + 1))
done
bash "$here/scripts/bench.sh" -c "$tmp/tiny.ini" -r "$tmp/r4" >"$tmp/log4b" 2>&1
rc=$?
if [ $rc -eq 75 ] && grep -q "another make bench is writing to $tmp/r4 (pid $pid," "$tmp/log4b" &&
    [ "$(ls -a "$tmp/r4" | grep -c '\.tmp$')" -eq 1 ]; then
	ok "same folder at once: refused (exit 75), the holder named, nothing written"
else
	bad "same folder at once: exit $rc: $(cat "$tmp/log4b")"; ls -a "$tmp/r4"
fi
bash "$here/scripts/bench.sh" -c "$tmp/tiny.ini" -r "$tmp/r5" >"$tmp/log5" 2>&1
rc=$?
if [ $rc -eq 75 ] && grep -q "another run holds the" "$tmp/log5" &&
    grep -q "nothing written" "$tmp/log5" &&
    [ -z "$(ls -A "$tmp/r5" | grep -vx '.lock')" ]; then
	ok "another folder at once: ipibench refused (exit 75), nothing written"
else
	bad "another folder at once: exit $rc: $(cat "$tmp/log5")"; ls -a "$tmp/r5"
fi
kill -TERM "$pid" 2>/dev/null
wait "$pid"
pid=
set -- "$tmp"/r4/*-incomplete
[ -d "$1" ] && [ -s "$1/bench.json" ] && ok "the first run went on, then stopped on SIGTERM: $(basename "$1")" ||
    bad "the first run: $(ls -a "$tmp/r4")"

# 5. A run started in the second of a leftover it tidies (the next make
# bench right after one killed outright) waits for a second of its own:
# names never share a time, and sort as the runs ran.  Leftovers dated
# this second and the next four: the clash is certain.
host=$(hostname -s 2>/dev/null || hostname)
now=$(date +%s)
for k in 0 1 2 3 4; do
	d="$tmp/r6/.$host-$(date -u -d "@$((now + k))" +%Y%m%dT%H%M%SZ).tmp"
	mkdir -p "$d"
	echo "killed while ipibench was measuring" >"$d/INCOMPLETE"
done
bash "$here/scripts/bench.sh" -c "$tmp/tiny.ini" -r "$tmp/r6" >"$tmp/log6" 2>&1
rc=$?
runs=$(ls "$tmp/r6" | grep -vx latest | tr '\n' ' ')
newest=$(ls "$tmp/r6" | grep -vx latest | tail -n 1)
if [ $rc -eq 0 ] && [ "$(ls "$tmp/r6" | grep -c -- '-incomplete$')" -eq 5 ] &&
    [ "$(ls "$tmp/r6" | grep -vxc latest)" -eq 6 ] &&
    [ "${newest%-incomplete}" = "$newest" ] &&
    [ "$(readlink "$tmp/r6/latest")" = "$newest" ]; then
	ok "a run in the second of the leftover it tidied: named later ($runs)"
else
	bad "a run in the second of the leftover it tidied: exit $rc, folders $runs, latest $(readlink "$tmp/r6/latest"): $(tail -n 5 "$tmp/log6")"
fi
exit $fail
