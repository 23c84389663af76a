#!/bin/sh
# test_runlock.sh: one run at a time, and a run that stops cleanly when
# its world goes (issue 13).
#
# (a) A run holds the run lock (IPIBENCH_LOCK) and names itself in it; a
#     second run meanwhile is refused at once, exit 75, naming the
#     holder's pid and writing nothing; the first completes, its context
#     saying run_lock.
# (b) Another process holding the lock (flock(1), which writes nothing
#     in it): a run is refused naming it (from /proc/locks); --dry-run
#     and --benchmark_list_tests are not refused.
# (c) SIGKILL of the holder releases the lock: the next run starts.
# (d) The parent dies (SIGKILL; ipibench in its own session, as
#     scripts/bench.sh starts it) and the reader of its stdout with it:
#     ipibench stops within seconds, bench.json valid JSON with
#     "interrupted" entries.
# (e) SIGHUP: valid JSON, exit 129; under nohup it is ignored (the run
#     completes).
# (f) Another thread spinning on a PU of the run: context other_busy
#     names that PU and its pid (other entries allowed: the machine may
#     be busy); once it is gone, not it.
# (g) The lock file is created mode 0666 whatever the umask.
# Every lock is a private file under $tmp: a real run is never refused
# by this test, nor this test by it.  Needs $IPIBENCH (tests/run.sh sets
# it) and a Python 3.
set -u
: "${IPIBENCH:?set IPIBENCH to the ipibench binary}"
PYTHON=${PYTHON:-/usr/bin/python3}
me=test_runlock
fails=0
tmp=$(mktemp -d /tmp/ipibench-runlock.XXXXXX) || exit 1
pids=
trap 'for p in $pids; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

fail() { echo "$me: FAIL: $*"; fails=$((fails + 1)); }

# pids: what the EXIT trap kills; forget PID once it is reaped (or, not
# a child, seen gone), so that a reused pid is never killed.
forget() {
	p=
	for q in $pids; do [ "$q" = "$1" ] || p="$p $q"; done
	pids=$p
}

npu=$("$PYTHON" -c 'import os; print(len(os.sched_getaffinity(0)))')
[ "$npu" -ge 2 ] || { echo "$me: skipped: needs 2 usable PUs"; exit 0; }
pus=$("$PYTHON" -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2], sep=",")')
pu1=${pus#*,}

tiny="--workload unicast --backend futex --yardsticks=false --repetitions 1
    --min_time 0.01 --cpus $pus"
# Several seconds at least (30 repetitions of at least 0.2 s): it still
# runs when the test acts on it.
long="--workload unicast --backend futex --yardsticks=false --repetitions 30
    --min_time 0.2 --cpus $pus"

# await_holder LOCK PID: wait (at most 30 s) until LOCK names PID.
await_holder() {
	i=0
	while ! grep -q "^pid $2\$" "$1" 2>/dev/null; do
		[ $i -ge 300 ] && return 1
		sleep 0.1; i=$((i + 1))
	done
}

# start_long CASE: the case's long run, holding lock=$tmp/lock.CASE and
# writing $tmp/CASE1; its pid in $pid once the lock names it.
start_long() {
	lock=$tmp/lock.$1
	IPIBENCH_LOCK=$lock "$IPIBENCH" run $long --out "$tmp/${1}1" \
	    >"$tmp/${1}1.log" 2>&1 &
	pid=$!; pids="$pids $pid"
	await_holder "$lock" "$pid" ||
		fail "($1) $lock never named the run (pid $pid)"
}

# await_exit PID SECS: wait at most SECS for the child PID; past that,
# kill it.  Its exit status in $rc (137 when killed here).
await_exit() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -0 "$1" 2>/dev/null && kill -KILL "$1"
	wait "$1"
	rc=$?
	forget "$1"
}

# json FILE WHAT: FILE is valid JSON with what WHAT asks: "interrupted"
# (some benchmark says so), "lock=PATH" (context run_lock names PATH).
json() {
	"$PYTHON" - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
what = sys.argv[2]
if what == "interrupted":
    assert any(b.get("error_message") == "interrupted"
               for b in d["benchmarks"]), "no interrupted benchmark"
elif what.startswith("lock="):
    v = d["context"].get("run_lock", "")
    assert v.startswith(what[5:] + " (held"), "run_lock %r" % v
PY
}

# --- (a) a second run while one runs: refused, exit 75, naming it
start_long a
IPIBENCH_LOCK=$lock timeout -k 5 60 "$IPIBENCH" run $tiny --out "$tmp/a2" \
    >"$tmp/a2.log" 2>&1
rc=$?
[ $rc -eq 75 ] || fail "(a) second run: exit $rc, want 75"
holder="holds the run lock $lock: pid $pid, started .*, command: [^ ]*ipibench"
grep -q "$holder[^ ]* run " "$tmp/a2.log" ||
	fail "(a) the refusal does not name the holder (pid $pid): $(tail -n 1 "$tmp/a2.log")"
grep -q "wait for it to finish" "$tmp/a2.log" ||
	fail "(a) the refusal does not say what to do"
[ -e "$tmp/a2" ] && fail "(a) the refused run wrote its --out folder"
await_exit "$pid" 120
[ $rc -eq 0 ] ||
	{ fail "(a) first run: exit $rc, want 0"; tail -n 5 "$tmp/a1.log"; }
json "$tmp/a1/bench.json" "lock=$lock" || fail "(a) context run_lock"

# --- (b) a lock held by another process: --dry-run and
# --benchmark_list_tests still run, a run is refused naming the holder
if command -v flock >/dev/null 2>&1; then
	lock=$tmp/lock.b
	: >"$lock"
	flock "$lock" sleep 30 &
	fpid=$!; pids="$pids $fpid"
	i=0
	while flock -n "$lock" true && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	IPIBENCH_LOCK=$lock timeout -k 5 60 "$IPIBENCH" run $tiny --dry-run \
	    >"$tmp/b1.log" 2>&1 || fail "(b) --dry-run: exit $?, want 0"
	IPIBENCH_LOCK=$lock timeout -k 5 60 "$IPIBENCH" run $tiny \
	    --benchmark_list_tests=true >"$tmp/b2.log" 2>&1 ||
		fail "(b) --benchmark_list_tests: exit $?, want 0"
	grep -q "^unicast/" "$tmp/b2.log" ||
		fail "(b) --benchmark_list_tests listed nothing"
	IPIBENCH_LOCK=$lock timeout -k 5 60 "$IPIBENCH" run $tiny \
	    --out "$tmp/b3" >"$tmp/b3.log" 2>&1
	rc=$?
	[ $rc -eq 75 ] || fail "(b) a run beside flock: exit $rc, want 75"
	grep -q "pid $fpid, started .*, command: flock $lock sleep 30" \
	    "$tmp/b3.log" || fail "(b) the refusal does not name flock" \
	    "(pid $fpid): $(tail -n 1 "$tmp/b3.log")"
	kill "$fpid"; wait "$fpid" 2>/dev/null; forget "$fpid"
else
	echo "$me: (b) skipped: no flock(1)"
fi

# --- (c) SIGKILL of the holder releases the lock
start_long c
kill -KILL "$pid"
await_exit "$pid" 10
IPIBENCH_LOCK=$lock timeout -k 5 60 "$IPIBENCH" run $tiny --out "$tmp/c2" \
    >"$tmp/c2.log" 2>&1
rc=$?
[ $rc -eq 0 ] || { fail "(c) the run after SIGKILL: exit $rc, want 0";
	tail -n 3 "$tmp/c2.log"; }
json "$tmp/c2/bench.json" "lock=$lock" || fail "(c) context run_lock"

# --- (d) the parent dies, and the reader of ipibench's stdout with it
if command -v setsid >/dev/null 2>&1; then
	lock=$tmp/lock.d
	mkfifo "$tmp/d.fifo"
	# sh: a reader of the FIFO, ipibench in its own session writing
	# there (setsid execs it: $! is ipibench), then once the run holds
	# the lock, SIGKILL to the reader and to itself.
	# (Its death by SIGKILL is expected: the braces keep the shell's
	# notice of it off the output; the loop bounds its wait.)
	{ sh -c '
		cat "$3" >/dev/null &
		cpid=$!
		IPIBENCH_LOCK=$2 setsid "$1" run $5 --out "$4" >"$3" \
		    2>"$4.err" &
		echo $! >"$4.pid"
		i=0
		while ! grep -q "^pid $!\$" "$2" 2>/dev/null &&
		    [ $i -lt 300 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -KILL $cpid $$' sh "$IPIBENCH" "$lock" "$tmp/d.fifo" \
	    "$tmp/d" "$long"; } 2>/dev/null
	ipid=$(cat "$tmp/d.pid" 2>/dev/null)
	if [ -z "$ipid" ]; then
		fail "(d) ipibench did not start"
	else
		pids="$pids $ipid"
		grep -q "^pid $ipid\$" "$lock" ||
			fail "(d) $lock never named the run (pid $ipid)"
		i=0
		while kill -0 "$ipid" 2>/dev/null && [ $i -lt 150 ]; do
			sleep 0.1; i=$((i + 1))
		done
		if kill -0 "$ipid" 2>/dev/null; then
			fail "(d) ipibench still runs 15 s after its parent died"
			kill -KILL "$ipid"
		fi
		forget "$ipid"
		json "$tmp/d/bench.json" interrupted ||
			fail "(d) bench.json not valid, or nothing interrupted"
		grep -q "^ipibench run: took" "$tmp/d.err" ||
			fail "(d) the run did not reach its end: $(tail -n 3 "$tmp/d.err")"
	fi
else
	echo "$me: (d) skipped: no setsid(1)"
fi

# --- (e) SIGHUP stops cleanly, exit 129; nohup keeps it ignored
start_long e
kill -HUP "$pid"
await_exit "$pid" 60
[ $rc -eq 129 ] || fail "(e) SIGHUP: exit $rc, want 129"
json "$tmp/e1/bench.json" interrupted ||
	fail "(e) SIGHUP: bench.json not valid, or nothing interrupted"
if command -v nohup >/dev/null 2>&1; then
	IPIBENCH_LOCK=$lock nohup "$IPIBENCH" run $tiny --repetitions 5 \
	    --min_time 0.1 --out "$tmp/e2" >"$tmp/e2.log" 2>&1 &
	pid=$!; pids="$pids $pid"
	await_holder "$lock" "$pid" ||
		fail "(e) nohup: $lock never named the run (pid $pid)"
	kill -HUP "$pid" 2>/dev/null
	await_exit "$pid" 60
	[ $rc -eq 0 ] || fail "(e) SIGHUP under nohup: exit $rc, want 0"
fi

# --- (f) other_busy: a spinner pinned to a PU of the run is named
"$PYTHON" -c '
import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[1])})
end = time.monotonic() + 20
while time.monotonic() < end:
    pass' "$pu1" &
spin=$!; pids="$pids $spin"
sleep 0.5
IPIBENCH_LOCK=$tmp/lock.f timeout -k 5 60 "$IPIBENCH" run $tiny \
    --out "$tmp/f1" >"$tmp/f1.log" 2>&1 || fail "(f) run: exit $?"
kill "$spin" 2>/dev/null; wait "$spin" 2>/dev/null; forget "$spin"
IPIBENCH_LOCK=$tmp/lock.f timeout -k 5 60 "$IPIBENCH" run $tiny \
    --out "$tmp/f2" >"$tmp/f2.log" 2>&1 || fail "(f) run: exit $?"
"$PYTHON" - "$tmp/f1/bench.json" "$tmp/f2/bench.json" "$pu1" "$spin" \
    <<'PY' || fail "(f) other_busy (see above)"
import json, re, sys
busy, quiet = (json.load(open(f))["context"] for f in sys.argv[1:3])
pu, pid = sys.argv[3:5]
for c in (busy, quiet):
    v = c["loadavg"]
    assert re.fullmatch(r"\d+\.\d+ \d+\.\d+ \d+\.\d+", v), "loadavg %r" % v
v = busy["other_busy"]
assert re.search(r"(^|; )PU %s: \d+%% \(pid %s python" % (pu, pid), v), \
    "with a spinner on PU %s (pid %s): other_busy %r" % (pu, pid, v)
v = quiet["other_busy"]
assert "(pid %s " % pid not in v, "spinner gone, still named: %r" % v
if v:
    print("note: other_busy without the spinner: %r" % v)
PY
grep -q "warning: other threads were busy on the run's PUs (.*pid $spin" \
    "$tmp/f1.log" || fail "(f) no warning on stderr naming the spinner"

# --- (g) the lock file is 0666 whatever the umask
(umask 077; IPIBENCH_LOCK=$tmp/lock.g timeout -k 5 60 "$IPIBENCH" run $tiny \
    >"$tmp/g.log" 2>&1) || fail "(g) run: exit $?"
mode=$(stat -c %a "$tmp/lock.g" 2>/dev/null)
[ "$mode" = 666 ] || fail "(g) lock file mode ${mode:-missing}, want 666"

[ $fails -eq 0 ] || { echo "$me: $fails failed"; exit 1; }
echo "$me: ok"
