#!/bin/sh
# run.sh: run every test of ipibench and print one closing line:
#   "N passed, N failed"
#
# Criterion binaries (BUILD/tests/test_*) count their own tests; shell
# tests (tests/test_*.sh) and Python tests (tests/test_*.py) count one
# each.  Every test program runs under a hard time limit: a hang fails.
set -u
: "${BUILD:?}" "${IPIBENCH:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
LIMIT=${TEST_LIMIT:-900}
export IPIBENCH BUILD PYTHON SAN
# A sanitizer build refuses --out unless allowed (its timings are not
# figures); the tests write results to check them, not the figures.
# test_build_info.sh checks the refusal without it.
if [ -n "${SAN:-}" ]; then
	export IPIBENCH_ALLOW_SANITIZED=1
fi

passed=0
failed=0
failures=""

# Under ThreadSanitizer Criterion's runner cannot place its arena (see
# tests/criterion_tsan_shim.c, Criterion issue #274): preload the shim.
preload=""
# A sanitizer report fails the test: TSan only prints by default (the
# process would pass); halt on the first one.  ASan halts already, and
# UBSan does with -fno-sanitize-recover (the Makefile's SANFLAGS).
export TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}"
case "${SAN:-}" in *thread*)
	preload="$BUILD/criterion_tsan_shim.so"
	${CC:-gcc} -O2 -shared -fPIC -o "$preload" tests/criterion_tsan_shim.c ||
	    { echo "run.sh: cannot build $preload" >&2; exit 1; } ;;
esac

for bin in "$BUILD"/tests/test_*; do
	[ -x "$bin" ] || continue
	case "$bin" in *.o|*.d) continue ;; esac
	name=$(basename "$bin")
	log="$BUILD/tests/$name.log"
	echo "== $name"
	timeout -k 10 "$LIMIT" env ${preload:+LD_PRELOAD="$preload"} \
	    "$bin" --jobs 1 --verbose=0 >"$log" 2>&1
	rc=$?
	tail -n 40 "$log" | grep -v '^\[----\]' | tail -n 25
	synth=$(grep 'Synthesis' "$log" | tail -n 1)
	p=$(echo "$synth" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	f=$(echo "$synth" | sed -n 's/.*Failing: \([0-9]*\).*Crashing: \([0-9]*\).*/\1 \2/p')
	if [ -z "$p" ]; then
		echo "   $name: no Criterion summary (exit $rc): counted as failed"
		failed=$((failed + 1)); failures="$failures $name"; continue
	fi
	set -- $f
	# Criterion's "Failing" already counts the crashed tests.
	passed=$((passed + p)); failed=$((failed + $1))
	if [ "$rc" -ne 0 ] || [ "$1" -ne 0 ]; then
		failures="$failures $name"
		[ "$1" -eq 0 ] && failed=$((failed + 1))
	fi
done

for t in tests/test_*.sh tests/test_*.py; do
	[ -f "$t" ] || continue
	# The Python tests exercise no C: once, in the plain build.
	case "$t" in *.py) [ -n "${SAN:-}" ] && continue ;; esac
	echo "== $t"
	case "$t" in
	*.sh) timeout -k 10 "$LIMIT" sh "$t" ;;
	*.py) timeout -k 10 "$LIMIT" "$PYTHON" "$t" ;;
	esac
	if [ $? -eq 0 ]; then passed=$((passed + 1))
	else failed=$((failed + 1)); failures="$failures $t"; fi
done

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
