#!/bin/sh
# test_fuzz_corpus.sh: every seed of the fuzz targets, the inputs that
# once crashed them among the seeds, through each target's checks
# without libFuzzer or clang: $BUILD/fuzz/replay-NAME (tests/fuzz/
# replay.c as main, built by make with the project's compiler and SAN,
# mk/fuzz.mk) on tests/fuzz/corpus/NAME/.  Under SAN=address,undefined
# the sanitizers watch too.  make fuzz does the fuzzing itself (clang).
# Needs $BUILD (tests/run.sh sets it); run from the repository root.
set -u
: "${BUILD:?set BUILD to the build folder}"
fails=0
tmp=$(mktemp -d /tmp/ipibench-fuzzcorpus.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

for c in tests/fuzz/corpus/*/; do
	name=$(basename "$c")
	bin=$BUILD/fuzz/replay-$name
	if [ ! -x "$bin" ]; then
		echo "FAIL: $bin: not built (tests/fuzz/fuzz_$name.c; make)"
		fails=$((fails + 1))
		continue
	fi
	if timeout 300 "$bin" "$c" >"$tmp/out" 2>&1; then
		echo "ok: $name: $(tail -n 1 "$tmp/out")"
	else
		echo "FAIL: $name: $bin $c"
		tail -n 30 "$tmp/out"
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ]
