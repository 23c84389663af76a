#!/bin/sh
# test_build_info.sh: the build in the results, and a sanitizer build's
# timings kept out of results unless allowed (issue 12).
#
# A short run's context (bench.json) carries build_cc, build_cflags,
# build_sanitizer ($SAN, or "none"), build_revision (git rev-parse
# --short HEAD; "unknown" outside git), build_dirty and
# sanitized_results.  ./ipibench, where it is, links to
# build/default/ipibench: a sanitizer build leaves it alone.
# A sanitizer build ($IPIBENCH under SAN, as `make test SAN=thread` runs
# it) refuses --out without --allow-sanitized: exit 2, a message
# naming the sanitizer, nothing written; the environment's
# IPIBENCH_ALLOW_SANITIZED sets the default, the flag overrides it;
# allowed, the results say build_sanitizer = SAN, sanitized_results =
# true.  Without --out nothing is refused.
# Needs $IPIBENCH (tests/run.sh sets it, and SAN) and a Python 3.
set -u
: "${IPIBENCH:?set IPIBENCH to the ipibench binary}"
PYTHON=${PYTHON:-/usr/bin/python3}
SAN=${SAN:-}
fails=0
tmp=$(mktemp -d /tmp/ipibench-build-info.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# A machine with one PU has no pair to measure: nothing to test here.
npu=$(nproc)
if [ "$npu" -lt 2 ]; then
	echo "skip: $npu PU (unicast needs 2)"; exit 0
fi

# A short run: 2 benchmarks or so, also under TSan.
RUN="run --workload unicast --backend futex --yardsticks false
    --benchmark_min_time=0.01 --repetitions 1"

# --- ./ipibench: the default build's, whichever build ran last
if [ -L ipibench ]; then
	[ "$(readlink -m ipibench)" = "$(readlink -m build/default/ipibench)" ] ||
		fail "./ipibench links to $(readlink ipibench), not build/default/ipibench"
elif [ "${BUILD:-}" = build/default ]; then
	fail "make built build/default but ./ipibench is not a link to it"
fi

# check_context FILE SANITIZER: FILE's context says this build.
check_context() {
	"$PYTHON" - "$1" "$2" <<'PY'
import json, re, subprocess, sys
ctx = json.load(open(sys.argv[1]))["context"]
san = sys.argv[2]
keys = ("ipibench_version diagnostic build_cc build_cflags build_sanitizer "
        "build_revision build_dirty sanitized_results").split()
missing = [k for k in keys if k not in ctx]
assert not missing, "context lacks %s" % missing
assert re.match(r"^\S+ [0-9]+(\.[0-9]+)*", ctx["build_cc"]), ctx["build_cc"]
fl = ctx["build_cflags"]
assert "-O" in fl and "-std=" in fl, fl
assert ctx["build_sanitizer"] == (san or "none"), \
    "build_sanitizer %r, SAN %r: IPIBENCH is not the build SAN says" % (
        ctx["build_sanitizer"], san)
if san:
    assert "-fsanitize=" + san in fl, fl
else:
    assert "-fsanitize" not in fl, fl
assert ctx["sanitized_results"] == ("true" if san else "false"), ctx
try:
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
except OSError:
    rev = ""
if rev:
    assert ctx["build_revision"] == rev, (ctx["build_revision"], rev)
    assert ctx["build_dirty"] in ("true", "false"), ctx["build_dirty"]
else:
    assert ctx["build_revision"] == "unknown", ctx["build_revision"]
    assert ctx["build_dirty"] == "unknown", ctx["build_dirty"]
PY
}

# --- the run's context: the build ($IPIBENCH: SAN's, or the default)
allow=
[ -n "$SAN" ] && allow=--allow-sanitized
env -u IPIBENCH_ALLOW_SANITIZED timeout -k 5 300 "$IPIBENCH" $RUN $allow \
    --out "$tmp/out" >"$tmp/run.out" 2>"$tmp/run.err"
rc=$?
if [ $rc -ne 0 ]; then
	fail "run exited $rc"; cat "$tmp/run.err"
else
	check_context "$tmp/out/bench.json" "$SAN" ||
		fail "bench.json's context does not say the build"
fi

# check_refusal BINARY SANITIZER: --out refused unless allowed.
check_refusal() {
	bin=$1 san=$2 d="$tmp/refuse"
	rm -rf "$d"
	env -u IPIBENCH_ALLOW_SANITIZED timeout -k 5 60 "$bin" $RUN \
	    --out "$d/r" >"$d.out" 2>"$d.err"
	rc=$?
	[ $rc -eq 2 ] || fail "$bin: --out without --allow-sanitized: exit $rc, want 2"
	grep -q "SAN=$san" "$d.err" ||
		fail "$bin: the refusal does not name SAN=$san: $(head -n 3 "$d.err")"
	grep -q -- "--allow-sanitized" "$d.err" ||
		fail "$bin: the refusal does not name --allow-sanitized"
	[ -e "$d/r" ] && fail "$bin: refused, yet wrote $d/r"
	[ -e "$d" ] && fail "$bin: refused, yet made $d"

	# The flag overrides the environment's default.
	IPIBENCH_ALLOW_SANITIZED=1 timeout -k 5 60 "$bin" $RUN \
	    --allow-sanitized=false --out "$d/r" >"$d.out" 2>"$d.err"
	rc=$?
	[ $rc -eq 2 ] || fail "$bin: --allow-sanitized=false: exit $rc, want 2"
	[ -e "$d" ] && fail "$bin: --allow-sanitized=false, yet made $d"
	IPIBENCH_ALLOW_SANITIZED=maybe timeout -k 5 60 "$bin" $RUN \
	    --out "$d/r" >"$d.out" 2>"$d.err"
	rc=$?
	[ $rc -eq 2 ] || fail "$bin: IPIBENCH_ALLOW_SANITIZED=maybe: exit $rc, want 2"
	grep -q "IPIBENCH_ALLOW_SANITIZED=maybe" "$d.err" ||
		fail "$bin: the message does not name IPIBENCH_ALLOW_SANITIZED"

	# Allowed by the environment (tests/run.sh under SAN): written, and
	# the parameters say so (a real short run: a listing writes no
	# results, and --out refuses it).
	IPIBENCH_ALLOW_SANITIZED=1 timeout -k 5 120 "$bin" $RUN \
	    --out "$d/l" >"$d.out" 2>"$d.err"
	rc=$?
	[ $rc -eq 0 ] || { fail "$bin: IPIBENCH_ALLOW_SANITIZED=1: exit $rc"; cat "$d.err"; }
	grep -q "^allow_sanitized = true" "$d/l/config.ini" 2>/dev/null ||
		fail "$bin: IPIBENCH_ALLOW_SANITIZED=1: config.ini does not say allow_sanitized = true"

	# Without --out: not refused.
	env -u IPIBENCH_ALLOW_SANITIZED timeout -k 5 120 "$bin" $RUN \
	    --benchmark_list_tests=true >"$d.out" 2>"$d.err"
	rc=$?
	[ $rc -eq 0 ] || fail "$bin: without --out: exit $rc, want 0: $(head -n 3 "$d.err")"
}

# The refusal in the build under test only: `make test SAN=...` runs
# this test on its sanitizer binary (a binary of another build may
# predate the sources).
[ -z "$SAN" ] || check_refusal "$IPIBENCH" "$SAN"

[ $fails -eq 0 ] && echo "test_build_info: ok"
exit $((fails > 0))
