#!/bin/sh
# fuzz.sh: run each libFuzzer target of make fuzz for a bounded time
# (mk/fuzz.mk builds them).
#
#   sh scripts/fuzz.sh DIR TIME TIMEOUT RSS_MB "FLAGS" NAME...
#
# Target NAME is DIR/fuzz_NAME; it runs TIME seconds on DIR/corpus-NAME
# (the seeds of tests/fuzz/corpus/NAME copied in, what it finds kept
# there), with tests/fuzz/NAME.dict if there is one, an input taking
# over TIMEOUT seconds or RSS_MB of memory a failure, the reproducer
# written to DIR/artifacts-NAME/, the log to DIR/fuzz-NAME.log.  Every
# target runs; the closing lines say, per target, libFuzzer's last
# status (runs, cov, ft, corpus, exec/s) or the reproducer and the
# command that replays it.  Exit 1 if any failed.
set -u
dir=$1 time=$2 timeout=$3 rss=$4 flags=$5
shift 5
failed=""
summary=""
# UBSan stops at the first report (-fno-sanitize-recover) with a stack;
# libFuzzer's own handlers save the input that did it.
export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

for n in "$@"; do
	bin=$dir/fuzz_$n
	corpus=$dir/corpus-$n
	art=$dir/artifacts-$n
	log=$dir/fuzz-$n.log
	dict=tests/fuzz/$n.dict
	[ -f "$dict" ] || dict=""
	mkdir -p "$corpus"
	cp tests/fuzz/corpus/"$n"/* "$corpus"/ 2>/dev/null
	rm -rf "$art" && mkdir -p "$art"
	echo "== fuzz_$n: $time s (log $log)"
	# libFuzzer stops itself at TIME; timeout(1) only if it wedges.
	# shellcheck disable=SC2086
	timeout -k 10 $((time + 120)) "$bin" -max_total_time="$time" \
	    -timeout="$timeout" -rss_limit_mb="$rss" -print_final_stats=1 \
	    -artifact_prefix="$art/" ${dict:+-dict="$dict"} $flags \
	    "$corpus" >"$log" 2>&1
	rc=$?
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		summary="$summary
fuzz_$n: ok: $last"
		continue
	fi
	failed="$failed fuzz_$n"
	tail -n 60 "$log"
	repro=$(ls -t "$art"/* 2>/dev/null | head -n 1)
	if [ -n "$repro" ]; then
		summary="$summary
fuzz_$n: FAILED (exit $rc): reproducer $repro
  reproduce: $bin $repro
  (the log: $log; once fixed, copy the reproducer into tests/fuzz/corpus/$n/)"
	else
		summary="$summary
fuzz_$n: FAILED (exit $rc), no reproducer written: see $log"
	fi
done

echo "$summary" | sed '/^$/d'
if [ -n "$failed" ]; then
	echo "make fuzz: failed:$failed"
	exit 1
fi
echo "make fuzz: $# target(s), $time s each: no failure"
