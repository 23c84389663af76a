#!/bin/sh
# test_signals.sh: the signal matrix of `make bench` (issue 13).
#
# SIGINT, SIGTERM, SIGHUP and SIGKILL, each sent to make, to make's
# process group (what a terminal does) and to ipibench, at three moments:
# while measuring, while drawing the plots, while renaming the folder
# (ipibench is gone by then: no such case).  When make returns: no
# process of the run left, no hidden .tmp folder, results/latest at the
# newest whole folder; every results folder with a valid bench.json and
# an INCOMPLETE file exactly when it is named -incomplete; a run stopped
# while measuring marked incomplete, saying why, and a run measured
# whole never.  After a SIGKILL to make or its group, the next make
# bench tidies what was left (that is the check).
#
# The moments are held open by stand-ins found first on PATH: a python
# that waits 4 s before drawing, a mv that takes 3 s to rename the run's
# folder (ignoring signals, as a real rename cannot be cut).  Each make
# starts in a session of its own with SIGINT at its default (a
# background job of a script starts with it ignored).  Private
# IPIBENCH_LOCKs: never in the way of a real run, nor of each other.
#
# SIGINT or SIGHUP to make alone: GNU make passes on SIGTERM only, and
# waits for its child: the run finishes whole (make then exits 130 or
# 129).  A terminal signals the whole group.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build/default}
PYTHON=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d /tmp/test_signals.XXXXXX)
export IPIBENCH_LOCK="$tmp/ipibench.lock"
unset MAKEFLAGS MFLAGS MAKELEVEL
cleanup() {
	pkill -KILL -f -- "$tmp/" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

cat >"$tmp/tiny.ini" <<'INI'
[run]
backends = futex
workloads = unicast,pingpong
yardsticks = false
repetitions = 2
min_time = 0.002
batch = 20
timeout = 10
INI
# Long enough to be caught measuring (about 10 s here).
sed -e 's/^min_time = .*/min_time = 0.1/' \
    -e 's/^repetitions = .*/repetitions = 4/' "$tmp/tiny.ini" >"$tmp/slow.ini"

mkdir "$tmp/bin"
cat >"$tmp/bin/python" <<EOF2
#!/bin/sh
case "\$*" in
*plot/plot.py*)
	exec "$PYTHON" -c 'import os, sys, time
open(os.path.join(os.environ["MARK_DIR"], "plotting"), "w").close()
time.sleep(4)
os.execv(sys.argv[1], sys.argv[1:])' "$PYTHON" "\$@" ;;
esac
exec "$PYTHON" "\$@"
EOF2
cat >"$tmp/bin/mv" <<'EOF2'
#!/bin/sh
case "$1" in
*/.*.tmp)
	trap '' INT TERM HUP
	: >"$MARK_DIR/renaming"
	sleep 3 ;;
esac
exec /bin/mv "$@"
EOF2
chmod +x "$tmp/bin/python" "$tmp/bin/mv"

# wait_for SECONDS COMMAND...: until COMMAND succeeds; => 1 on time out.
wait_for() {
	w=$(($1 * 10)); shift
	while ! "$@" 2>/dev/null; do
		w=$((w - 1)); [ $w -gt 0 ] || return 1
		sleep 0.1
	done
}
measuring() { grep -qs '^\[1/' "$1"/.*.tmp/console.log; }
gone() { ! kill -0 "$1"; }
no_process() { ! pgrep -f -- "$1/" >/dev/null; }

# bench R CONFIG MARK: make bench into R, in a session of its own; it
# replaces the shell, so that `bench ... &` gives make's pid.
bench() {
	MARK_DIR=$3 PATH="$tmp/bin:$PATH" exec setsid env --default-signal=INT \
	    make -s -C "$here" bench BUILD="$BUILD" SAN="${SAN:-}" \
	    CONFIG="$2" RESULTS="$1" PYTHON="$tmp/bin/python"
}

# check R CASE EXPECT [WHY]: the state of results folder R when make
# has returned.  EXPECT: incomplete (the case's run, the oldest folder,
# is marked, its INCOMPLETE matching the regex WHY) or whole.
check() {
	r=$1 c=$2
	wait_for 2 no_process "$r" || bad "$c: still running after make returned: $(pgrep -af -- "$r/")"
	ls -a "$r" | grep -q '^\..*\.tmp$' && bad "$c: a .tmp left: $(ls -a "$r")"
	"$PYTHON" - "$@" <<'PY' || fail=1
import json, os, re, sys
r, c, expect = sys.argv[1:4]
why = sys.argv[4] if len(sys.argv) > 4 else ""
bad = 0
def fail(msg):
    global bad
    print("FAIL: %s: %s" % (c, msg)); bad = 1
runs = sorted(d for d in os.listdir(r) if os.path.isdir(os.path.join(r, d))
              and not d.startswith(".") and d != "latest")
for d in runs:
    p = os.path.join(r, d)
    try:
        json.load(open(os.path.join(p, "bench.json")))
    except (OSError, ValueError) as e:
        fail("%s: bench.json: %s" % (d, e))
    inc = os.path.exists(os.path.join(p, "INCOMPLETE"))
    if inc != d.endswith("-incomplete"):
        fail("%s: INCOMPLETE %s" % (d, "present" if inc else "missing"))
if not runs:
    sys.exit(fail("no results folder") or 1)
latest = os.readlink(os.path.join(r, "latest")) if os.path.islink(
    os.path.join(r, "latest")) else None
if latest != runs[-1]:
    fail("latest is %s, not the newest folder %s" % (latest, runs[-1]))
first = os.path.join(r, runs[0])
text = (open(os.path.join(first, "INCOMPLETE")).read().strip()
        if os.path.exists(os.path.join(first, "INCOMPLETE")) else "")
if expect == "whole" and text:
    fail("a whole measurement marked incomplete: " + text)
if expect == "incomplete" and not re.search(why, text):
    fail("%s: want INCOMPLETE matching /%s/, got: %s" % (runs[0], why,
                                                       text or "(none)"))
if not bad:
    print("ok: %s: %s%s" % (c, runs[0], (": " + text.replace("\n", " / "))
                            if text else ""))
sys.exit(bad)
PY
}

# run_case SIG TARGET MOMENT N: one case, into $tmp/rN; prints ok:
# and FAIL: lines.
run_case() {
	sig=$1 target=$2 moment=$3 n=$4
	c="SIG$sig to $target while $moment"
	r="$tmp/r$n" mark="$tmp/m$n"
	mkdir "$mark"
	config=$tmp/tiny.ini
	[ $moment = measuring ] && config=$tmp/slow.ini
	bench "$r" "$config" "$mark" >"$tmp/log$n" 2>&1 &
	mk=$!
	case $moment in
	measuring) wait_for 60 measuring "$r" ;;
	*) wait_for 60 test -e "$mark/$moment" ;;
	esac || { bad "$c: the moment never came"; tail -n 5 "$tmp/log$n"; }
	case $target in
	make) kill -s $sig "$mk" ;;
	group) kill -s $sig -- "-$mk" ;;
	ipibench) kill -s $sig $(pgrep -f -- "--out $r/") ;;
	esac
	if ! wait_for 90 gone "$mk"; then
		bad "$c: make still running 90 s later"
		kill -s KILL -- "-$mk"
	fi
	wait "$mk" 2>/dev/null
	if [ $sig = KILL ] && [ $target != ipibench ]; then
		# What a killed make left, the next one tidies.
		wait_for 30 no_process "$r" ||
		    bad "$c: left running: $(pgrep -af -- "$r/")"
		(bench "$r" "$tmp/tiny.ini" "$mark") >>"$tmp/log$n" 2>&1 ||
		    bad "$c: the next make bench failed: $(tail -n 5 "$tmp/log$n")"
	fi
	# What the case must leave.  GNU make passes SIGTERM on to its
	# child, not SIGINT or SIGHUP: sent to make alone, those let the
	# run finish (and make exits 130 or 129 after it).
	case $moment:$target:$sig in
	measuring:make:INT|measuring:make:HUP|plotting:*|renaming:*)
		set -- whole ;;
	measuring:make:KILL) set -- incomplete 'parent .* going away' ;;
	measuring:group:KILL) set -- incomplete 'killed outright' ;;
	measuring:ipibench:KILL) set -- incomplete 'signal 9.*salvage' ;;
	measuring:*:INT) set -- incomplete 'SIGINT|signal 2 ' ;;
	measuring:*:TERM) set -- incomplete 'SIGTERM|signal 15 ' ;;
	measuring:*:HUP) set -- incomplete 'SIGHUP|signal 1 ' ;;
	esac
	check "$r" "$c" "$@" || tail -n 15 "$tmp/log$n"
}

# Built first: the cases' make bench (which makes `all`) must find
# nothing to build, or they would build at once in one folder.
make -s -C "$here" all BUILD="$BUILD" SAN="${SAN:-}" >"$tmp/build.log" 2>&1 ||
    { echo "FAIL: make all: $(tail -n 5 "$tmp/build.log")"; exit 1; }

# The cases, three at a time (each with its own ipibench lock: they
# test the signals, not the timings).
# Under a sanitizer, the moment ipibench is in only (the drawing and the
# renaming do not run it).
moments="measuring plotting renaming"
[ -n "${SAN:-}" ] && moments=measuring
n=0
for moment in $moments; do
	for sig in INT TERM HUP KILL; do
		for target in make group ipibench; do
			[ $target = ipibench ] && [ $moment != measuring ] && continue
			n=$((n + 1))
			IPIBENCH_LOCK="$tmp/lock$n" run_case $sig $target $moment $n \
			    >"$tmp/out$n" 2>&1 &
			[ $((n % 3)) -eq 0 ] && wait
		done
	done
done
wait
for i in $(seq 1 $n); do
	cat "$tmp/out$i"
done
grep -q '^FAIL' "$tmp"/out* && fail=1
echo "$n cases"
exit $fail
