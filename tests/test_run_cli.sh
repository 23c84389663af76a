#!/bin/sh
# test_run_cli.sh: `ipibench run` and `ipibench list` end to end.
#
# A short unicast run on the futex backend writes bench.json,
# topology.xml and config.ini; every benchmark name follows the grammar
# of results/README.md with the unicast keys, carries the percentile
# counters, and the context carries every ipibench key.  Bad input
# (unknown backend, workload, placement, a bad number, a unit on
# --benchmark_min_time, a planning topology) exits 2 with a message
# naming it; so does hostile input (issue 13: NaN and infinities, an
# --out that holds an earlier run, is too long, under a file or
# unmakeable, --out with --benchmark_out or --benchmark_list_tests),
# creating nothing.  A short run's estimate is not "0:00", and Google
# Benchmark's warm-up is in it.  SIGINT in the middle of a run exits 130 and leaves valid
# JSON whose unfinished benchmarks say "interrupted".
# Needs $IPIBENCH (tests/run.sh sets it) and a Python 3.
set -u
: "${IPIBENCH:?set IPIBENCH to the ipibench binary}"
PYTHON=${PYTHON:-/usr/bin/python3}
fails=0
tmp=$(mktemp -d /tmp/ipibench-run-cli.XXXXXX) || exit 1
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# A machine with one PU has no pair to measure: nothing to test here.
npu=$(nproc)
if [ "$npu" -lt 2 ]; then
	echo "skip: $npu PU (unicast needs 2)"; exit 0
fi

# --- list and help
"$IPIBENCH" list >"$tmp/list" 2>&1 || fail "list exited $?"
for w in unicast busypoll futex eventfd local single interleave remote; do
	grep -q "^  $w " "$tmp/list" || fail "list lacks $w"
done
"$IPIBENCH" run --help >"$tmp/help" 2>&1 || fail "run --help exited $?"
for k in --backend --placement --cpus --workload --out --config --force \
    --matrix --benchmark_min_time; do
	grep -q -- "$k" "$tmp/help" || fail "run --help does not document $k"
done

# --- a short run
"$IPIBENCH" run --workload unicast --backend futex --yardsticks false \
    --benchmark_min_time=0.01 --repetitions 1 --out "$tmp/out" \
    >"$tmp/run.out" 2>"$tmp/run.err"
rc=$?
[ $rc -eq 0 ] || { fail "run exited $rc"; cat "$tmp/run.err"; }
for f in bench.json topology.xml config.ini; do
	[ -s "$tmp/out/$f" ] || fail "--out: $f missing or empty"
done
grep -q "^ipibench run: .* benchmark" "$tmp/run.err" ||
	fail "no run-summary line"
grep -q "^\[1/[0-9]*\] unicast/" "$tmp/run.err" || fail "no progress line"

"$PYTHON" - "$tmp/out/bench.json" <<'PY' || fail "bench.json does not follow results/README.md"
import json, re, sys
d = json.load(open(sys.argv[1]))
ctx = d["context"]
keys = ("ipibench_version backends placement topology cpu_model kernel "
        "tsc_ghz tsc_invariant governor smt virtualized oversubscribed "
        "simulated_topology forced perf").split()
missing = [k for k in keys if k not in ctx]
assert not missing, "context lacks %s" % missing
assert ctx["backends"] == "futex", ctx["backends"]
seg = re.compile(r"^[a-z_]+:[A-Za-z0-9_.+:-]+$")
runs = [b for b in d["benchmarks"] if b["run_type"] == "iteration"]
assert runs, "no benchmark ran"
for b in runs:
    assert "error_message" not in b, b
    parts = b["run_name"].split("/")
    assert parts[0] == "unicast", b["run_name"]
    kv = [p for p in parts[1:] if ":" in p]
    for p in kv:
        assert seg.match(p), "segment %r of %s" % (p, b["run_name"])
    keys = [p.split(":")[0] for p in kv]
    assert keys == ["backend", "placement", "backoff", "dwell", "src", "dst",
                    "class", "numa"], keys
    v = dict(p.split(":", 1) for p in kv)
    assert v["backend"] == "futex" and v["placement"] == "local"
    assert v["backoff"] == "seed" and v["dwell"] == "0", v
    assert v["numa"] in ("same", "cross") and v["src"] != v["dst"]
    for c in "p50_ns p90_ns p99_ns p999_ns max_ns min_ns mean_ns samples ctx_switches".split():
        assert c in b, "%s lacks %s" % (b["name"], c)
    assert 0 < b["min_ns"] <= b["p50_ns"] <= b["p90_ns"] <= b["p99_ns"] <= b["p999_ns"] <= b["max_ns"], b
    assert b["samples"] >= 1
PY

# --- bad input: exit 2, a message naming it
bad() {
	want=$1; shift
	timeout -k 5 120 "$IPIBENCH" run "$@" >"$tmp/bad.out" 2>"$tmp/bad.err"
	rc=$?
	[ $rc -eq 2 ] || fail "run $*: exit $rc, want 2"
	grep -q -- "$want" "$tmp/bad.err" ||
		fail "run $*: message does not name '$want': $(cat "$tmp/bad.err")"
}
bad "unknown backend 'nosuch'" --backend nosuch
bad "unknown workload 'nosuch'" --workload unicast,nosuch
bad "unknown placement 'far'" --placement far
bad "abc" --batch abc
bad "70000000" --batch 70000000
bad "0.5s" --benchmark_min_time=0.5s
bad "benchmark_nosuch" --benchmark_nosuch=1
bad "is not this machine: add --dry-run" --topology "synthetic:pack:1 core:2 pu:1"
bad "--nosuch" --nosuch 1
bad "unknown option '--rep'" --rep 2
bad "unknown option '-backend'" --workload unicast -backend futex
bad "--cpus needs a value" --cpus --matrix
bad "--out needs a value" --out --matrix
bad "--batch needs a value" --batch
# '-' and '_' alike, in full, in any mix: a run that lists its benchmarks
"$IPIBENCH" run --ack-delay_ns 2 --min-time 0.01 --workload mboxfull \
    --yardsticks=false --benchmark_list_tests=true >"$tmp/mix.out" \
    2>"$tmp/mix.err" || fail "run --ack-delay_ns: $(cat "$tmp/mix.err")"
grep -q "/ack_delay_ns:2" "$tmp/mix.out" ||
	fail "--ack-delay_ns 2 did not reach the names: $(cat "$tmp/mix.out")"
bad "nosuch.ini" --config "$tmp/nosuch.ini"

# --- issue 13: hostile input, refused with exit 2 before anything runs
QUICK="--backend futex --workload timer --cpus 0 --min_time 0.01 --repetitions 1"
# gone PATH...: none of the paths exists (nothing made by a refusal)
gone() {
	for g; do [ ! -e "$g" ] || fail "refused, yet $g exists"; done
}
# 1. floating-point parameters are finite numbers in range (a dry run:
# an old binary that took inf would run forever)
for v in nan inf -inf 1e400; do
	bad "expected a finite decimal number from 0.001 to 3600, got '$v'" \
	    --dry-run $QUICK "--benchmark_min_time=$v"
	bad "key 'min_time': expected a finite" --dry-run $QUICK --min_time "$v"
	bad "benchmark_min_warmup_time=$v: expected a finite number" \
	    --dry-run $QUICK "--benchmark_min_warmup_time=$v"
	printf '[run]\nmin_time = %s\n' "$v" >"$tmp/nan.ini"
	bad "nan.ini:2: key 'min_time': expected a finite" --dry-run $QUICK \
	    --config "$tmp/nan.ini"
	bad "key 'budget': expected a duration from 1s to 720h" --dry-run \
	    $QUICK --budget "$v"
done
bad "key 'repetitions': expected a whole number from 1 to 1000, got '-1'" \
    --dry-run $QUICK --benchmark_repetitions=-1
bad "got '4294967297'" --dry-run $QUICK --fanout 4294967297
# 2. an earlier run's folder is refused, untouched; an empty one (or one
# that make bench made, with its console.log) is taken
sum=$(cat "$tmp/out/bench.json" | cksum)
bad "ipibench run: --out $tmp/out: holds an earlier run (bench.json found): choose a new folder" \
    $QUICK --out "$tmp/out"
[ "$(cat "$tmp/out/bench.json" | cksum)" = "$sum" ] ||
	fail "--out of an earlier run: bench.json changed"
mkdir "$tmp/prev" && : >"$tmp/prev/costs.csv"
bad "holds an earlier run (costs.csv found)" $QUICK --out "$tmp/prev"
mkdir "$tmp/empty" && : >"$tmp/empty/console.log"
"$IPIBENCH" run $QUICK --out "$tmp/empty" >"$tmp/e.out" 2>"$tmp/e.err" ||
	fail "--out an empty folder: exit $?: $(tail -n 3 "$tmp/e.err")"
[ -s "$tmp/empty/bench.json" ] || fail "--out an empty folder: no bench.json"
# 3. one place for the JSON
bad "both say where the JSON goes" $QUICK --out "$tmp/o3" \
    "--benchmark_out=$tmp/o3.json"
bad "benchmark_out_format=csv does not go with it" $QUICK --out "$tmp/o3" \
    --benchmark_out_format=csv
gone "$tmp/o3" "$tmp/o3.json"
"$IPIBENCH" run $QUICK --out "$tmp/o3j" --benchmark_out_format=json \
    >"$tmp/o3j.out" 2>&1 && [ -s "$tmp/o3j/bench.json" ] ||
	fail "--out with --benchmark_out_format=json: $(tail -n 3 "$tmp/o3j.out")"
# 4. listing writes no results
for l in --benchmark_list_tests --benchmark_list_tests=true \
    --benchmark_list_tests=1 --benchmark_list_tests=yes; do
	bad "benchmark_list_tests lists the benchmarks and runs none" $QUICK \
	    --out "$tmp/o4" "$l"
done
gone "$tmp/o4"
# 5. a path the system cannot hold: refused whole, before any folder
long="$tmp/long"
for i in $(seq 21); do long="$long/$(printf 'd%.0s' $(seq 200))"; done
bad "too long: its files (.../topology.xml.tmp) would be past PATH_MAX" \
    $QUICK --out "$long"
bad "is 300 characters, more than a folder's name may have (NAME_MAX 255)" \
    $QUICK --out "$tmp/name/$(printf 'n%.0s' $(seq 300))/x"
gone "$tmp/long" "$tmp/name"
# 6. a bad --out is bad input: exit 2, the path and the system's reason
: >"$tmp/file"
bad "ipibench run: --out $tmp/file/sub: cannot make the folder $tmp/file/sub: Not a directory" \
    $QUICK --out "$tmp/file/sub"
bad "ipibench run: --out $tmp/file: Not a directory" $QUICK --out "$tmp/file"
bad "cannot make the folder /proc/ipibench-nosuch: No such file or directory" \
    $QUICK --out /proc/ipibench-nosuch/x
gone /proc/ipibench-nosuch "$tmp/file/sub"
# 7. a short run's estimate is not 0:00; Google Benchmark's warm-up counts
"$IPIBENCH" run --dry-run $QUICK --min_time 0.05 >"$tmp/e7" 2>&1 ||
	fail "dry run: exit $?"
grep -q "^ipibench run --dry-run: .*: under 0:01$" "$tmp/e7" ||
	fail "a short run's estimate: $(head -n 1 "$tmp/e7")"
"$IPIBENCH" run --dry-run --json $QUICK --benchmark_min_warmup_time=1 \
    >"$tmp/e7.json" 2>"$tmp/e7.err" || fail "warm-up dry run: exit $?"
"$PYTHON" -c 'import json,sys; e=json.load(open(sys.argv[1]))["estimate_s"]; sys.exit(not e >= 5)' \
    "$tmp/e7.json" ||
	fail "a 1 s warm-up on the timer is some 10 s, estimated: $(cat "$tmp/e7.json" | head -c 200)"
grep -q "(+ 1 s warm-up a benchmark): about 0:[0-9][0-9]" "$tmp/e7.err" ||
	fail "the summary does not count the warm-up: $(cat "$tmp/e7.err")"
"$IPIBENCH" run --help >"$tmp/help" 2>&1
for k in "earlier run" "indented lines" "198" "benchmark_min_warmup_time"; do
	grep -q -- "$k" "$tmp/help" || fail "run --help does not say '$k'"
done

# --- SIGINT mid-run: exit 130, valid JSON, the rest "interrupted"
"$IPIBENCH" run --workload unicast --backend futex,eventfd --yardsticks false \
    --benchmark_min_time=0.5 --repetitions 2 --out "$tmp/int" \
    >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
i=0
while ! grep -q "^\[1/" "$tmp/int.err" 2>/dev/null && [ $i -lt 200 ]; do
	sleep 0.05; i=$((i + 1))
done
sleep 0.3
kill -INT "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 130 ] || fail "SIGINT: exit $rc, want 130"
"$PYTHON" - "$tmp/int/bench.json" <<'PY' || fail "SIGINT: bench.json not valid or not marked"
import json, sys
d = json.load(open(sys.argv[1]))
assert any(b.get("error_message") == "interrupted" for b in d["benchmarks"]), d["benchmarks"]
PY

[ $fails -eq 0 ] && echo "test_run_cli: ok"
exit $((fails > 0))
