#!/bin/sh
# test_compare_backends.sh: `make compare-backends` end to end on this
# machine, briefly (RUNS=2, pingpong and unicast, 2 repetitions of 0.01
# s; busypoll against futex): four fresh invocations in ABBA order, each
# in its own folder, then COMPARE.md with a row and an interval for each
# benchmark both sides have.  Then scripts/compare_backends.sh's ways
# out: a backend ipibench refuses (exit 2, nothing written), an
# invocation that fails (exit 1, the message names it, the rest kept),
# SIGINT mid-way (exit 130, what was written kept and said so).
# Structure only, no timings: it runs in a sanitizer build too.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
BUILD=${BUILD:-build/default}
IPIBENCH=${IPIBENCH:-$BUILD/ipibench}
PYTHON=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d /tmp/test_compare_backends.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
show() { sed 's/^/  /' "$1" | tail -n "${2:-20}"; }

[ -x "$IPIBENCH" ] || { echo "FAIL: $IPIBENCH: not built"; exit 1; }
case $IPIBENCH in /*) ;; *) IPIBENCH=$here/$IPIBENCH ;; esac
case $BUILD in *-nodiag) diag=0 ;; *) diag=1 ;; esac

# The make target, as a user types it (the build it names is the one
# under test; make only relinks what the version string touches).  The
# outer make's jobserver is not ours.
start=$(date +%s)
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory \
    compare-backends BUILD="$BUILD" SAN="${SAN:-}" DIAGNOSTIC=$diag \
    A=busypoll B=futex RUNS=2 RESULTS="$tmp/r" \
    WORKLOADS=pingpong,unicast REPETITIONS=2 MIN_TIME=0.01 \
    >"$tmp/make.log" 2>&1
rc=$?
took=$(( $(date +%s) - start ))
if [ $rc -eq 0 ]; then ok "make compare-backends: exit 0 in ${took}s"
else bad "make compare-backends: exit $rc"; show "$tmp/make.log" 30; fi
out=$(ls -d "$tmp"/r/compare-* 2>/dev/null | head -n 1)
[ -n "$out" ] && [ -d "$out" ] || { bad "no compare-* folder"; exit 1; }
for d in A-1 A-2 B-1 B-2; do
	if [ -s "$out/$d/bench.json" ] && [ -s "$out/$d/console.log" ]; then
		ok "$d: bench.json, console.log"
	else bad "$d: bench.json or console.log missing"; fi
done
order=$(sed -n 's/.*invocation \([0-9]\) of 4: \([AB]\) = .*/\1\2/p' "$tmp/make.log" | tr -d '\n')
[ "$order" = 1A2B3B4A ] && ok "progress: invocation i of 4, ABBA order" ||
    { bad "progress lines: '$order', expected 1A2B3B4A"; show "$tmp/make.log"; }
grep -q 'elapsed [0-9]*:[0-9][0-9]' "$tmp/make.log" && ok "progress: elapsed" ||
    bad "progress: no elapsed time"
[ -s "$out/COMPARE.csv" ] && ok "COMPARE.csv" || bad "COMPARE.csv missing"

# COMPARE.md: a row with an interval for every benchmark both sides
# have, their names worked out here from the runs themselves (each
# run's name without Google Benchmark's segments and backend:X or
# beside:X, every repetition of it without error).
"$PYTHON" - "$out" <<'PY' || fail=1
import json, os, re, sys
out = sys.argv[1]
def names(run, be):
    b = json.load(open(os.path.join(out, run, "bench.json")))["benchmarks"]
    got = set()
    for e in b:
        if e.get("run_type") != "iteration" or e.get("error_occurred") or \
                "p50_ns" not in e:
            continue
        segs = e["run_name"].split("/")
        keep = [s for s in segs[1:] if ":" in s and
                s.split(":")[0] not in ("iterations", "repeats", "min_time",
                                        "threads") and
                s not in ("backend:" + be, "beside:" + be)]
        got.add("/".join(segs[:1] + keep))
    return got
common = set.intersection(*[names(r, be) for r, be in
                            (("A-1", "busypoll"), ("A-2", "busypoll"),
                             ("B-1", "futex"), ("B-2", "futex"))])
md = open(os.path.join(out, "COMPARE.md")).read()
bad = 0
for n in sorted(common):
    row = re.search(r"^\| %s \| (.*)\|$" % re.escape(n), md, re.M)
    cells = row.group(1).split(" | ") if row else []
    iv = re.compile(r"^[0-9.]+ \[[0-9.]+, [0-9.]+\]$")
    if len(cells) == 8 and iv.match(cells[2]) and iv.match(cells[5]) and \
            cells[7].strip() == "2x2, 2x2" and re.match(
                r"B faster|B slower|no difference shown", cells[6]):
        print("ok: COMPARE.md: %s: %s, %s" % (n, cells[2], cells[6]))
    else:
        print("FAIL: COMPARE.md: no row with intervals for %s: %s" %
              (n, row.group(0) if row else "none"))
        bad = 1
if not any(n.startswith("pingpong/") for n in common) or \
        not any(n.startswith("unicast/") for n in common):
    print("FAIL: expected pingpong and unicast among %s" % sorted(common))
    bad = 1
for want in ("A = busypoll: 2 invocations", "B = futex: 2 invocations",
             "How it was run"):
    if want not in md:
        print("FAIL: COMPARE.md: no '%s'" % want)
        bad = 1
sys.exit(bad)
PY

# A backend ipibench refuses: exit 2 before anything runs.
IPIBENCH=$IPIBENCH PYTHON=$PYTHON bash scripts/compare_backends.sh \
    -a busypoll -b nope -n 2 -r "$tmp/r2" -- --workloads pingpong \
    >"$tmp/log2" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "refused the arguments for backend nope" "$tmp/log2" &&
    [ -z "$(ls "$tmp/r2" 2>/dev/null)" ]; then
	ok "unknown backend: exit 2, nothing written"
else bad "unknown backend: exit $rc"; show "$tmp/log2"; fi

# An invocation that fails (a stand-in for ipibench: the second real
# run exits 1): exit 1, the message names it and its console.log.
cat >"$tmp/fake" <<EOF
#!/bin/sh
case " \$* " in *" --dry-run "*) exec "$IPIBENCH" "\$@" ;; esac
n=\$(cat "$tmp/count" 2>/dev/null || echo 0)
echo \$((n + 1)) >"$tmp/count"
[ "\$n" -ge 1 ] && { echo "ipibench run: made to fail" >&2; exit 1; }
exec "$IPIBENCH" "\$@"
EOF
chmod +x "$tmp/fake"
IPIBENCH=$tmp/fake PYTHON=$PYTHON bash scripts/compare_backends.sh \
    -a busypoll -b futex -n 2 -r "$tmp/r3" -- --workloads pingpong \
    --repetitions 2 --min_time 0.01 >"$tmp/log3" 2>&1
rc=$?
d3=$(ls -d "$tmp"/r3/compare-* 2>/dev/null | head -n 1)
if [ $rc -eq 1 ] && grep -q "invocation 2 of 4 (B = futex) failed" "$tmp/log3" &&
    grep -q "made to fail" "$tmp/log3" && grep -q "B-1/console.log" "$tmp/log3" &&
    [ -s "$d3/A-1/bench.json" ] && [ -e "$d3/B-1/INCOMPLETE" ] &&
    [ ! -e "$d3/A-2" ] && [ ! -e "$d3/COMPARE.md" ]; then
	ok "failing invocation: exit 1, named, A-1 kept, stopped"
else bad "failing invocation: exit $rc"; show "$tmp/log3"; fi

# SIGINT in the third invocation: exit 130, what ran kept, said so; the
# complete invocations still compare.  (A background job of a script
# starts with SIGINT ignored, which bash could not trap.)
env --default-signal=INT bash scripts/compare_backends.sh -a busypoll \
    -b futex -n 3 -r "$tmp/r4" -- --workloads pingpong,unicast \
    --repetitions 3 --min_time 0.1 >"$tmp/log4" 2>&1 &
pid=$!
i=0
while [ $i -lt 1200 ] && ! grep -q "invocation 3 of 6" "$tmp/log4"; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.3
kill -INT "$pid"
i=0
while [ $i -lt 300 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
# Still running after 30 s: a hang; killed, so that the wait is bounded.
kill -0 "$pid" 2>/dev/null && { pkill -KILL -P "$pid"; kill -KILL "$pid"; }
wait "$pid"
rc=$?
pid=
d4=$(ls -d "$tmp"/r4/compare-* 2>/dev/null | head -n 1)
if [ $rc -eq 130 ] && grep -q "interrupted by SIGINT" "$tmp/log4" &&
    grep -q "kept in $d4" "$tmp/log4" && [ -s "$d4/A-1/bench.json" ] &&
    [ -s "$d4/B-1/bench.json" ] && [ ! -e "$d4/COMPARE.md" ]; then
	ok "SIGINT: exit 130, invocations kept, said so"
else bad "SIGINT: exit $rc"; show "$tmp/log4"; fi
if [ -e "$d4/B-2/INCOMPLETE" ]; then
	ok "SIGINT: B-2 marked INCOMPLETE: $(cat "$d4/B-2/INCOMPLETE")"
else echo "note: SIGINT came between invocations (no cut folder)"; fi
"$PYTHON" plot/compare_backends.py "$d4" >"$tmp/log5" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "A = busypoll: 1 invocation (A-1)" "$tmp/log5"; then
	ok "SIGINT: the complete invocations compare (no interval: 1 a side)"
else bad "SIGINT: comparing what was kept: exit $rc"; show "$tmp/log5"; fi

exit $fail
