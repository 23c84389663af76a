#!/bin/sh
# test_compare.sh: scripts/compare.sh (make compare) on two fixture runs
# (tests/fixtures/make_fixture.py): two runs name by name, two backends
# of one run with the backend segment removed, each followed by the table
# of p50s and x_ref (plot/compare_p50.py: no ratio of means of ours), an
# older ipibench's run (x_ref from the yardstick beside, marked *), the
# usage errors, and malformed inputs (issue 13: each refused by a line
# naming the file and what is wrong, exit 2, no traceback, no temporary
# file left; plot/compare_p50.py's inputs too).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
tmp=$(mktemp -d /tmp/test_compare.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check WHAT FILE PATTERN: grep -q PATTERN FILE
	if grep -q -- "$3" "$2"; then echo "ok: $1"
	else echo "FAIL: $1: no '$3' in:"; sed 's/^/  /' "$2" | tail -n 20; fail=1; fi
}

if ! "$PY" -c 'import scipy' 2>/dev/null || [ ! -r /usr/share/benchmark/compare.py ]; then
	echo "FAIL: compare.py or python3-scipy missing (apt-get install libbenchmark-tools python3-scipy)"
	exit 1
fi
mkdir "$tmp/runa"
"$PY" "$here/tests/fixtures/make_fixture.py" "$tmp/runa/bench.json" 1 || exit 1
"$PY" "$here/tests/fixtures/make_fixture.py" "$tmp/b.json" 2 || exit 1
"$PY" "$here/tests/fixtures/make_fixture.py" "$tmp/old.json" 3 --old || exit 1

# Two runs (a folder and a file).
A="$tmp/runa" B="$tmp/b.json" sh "$here/scripts/compare.sh" >"$tmp/out1" 2>&1
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: two runs: exit $rc"; cat "$tmp/out1"; fail=1; }
check "two runs: a unicast pair" "$tmp/out1" \
    'unicast/backend:futex/placement:local/backoff:seed/src:0/dst:1/class:l3/numa:same/repeats:2/manual_time_pvalue'
check "two runs: a yardstick" "$tmp/out1" 'pingpong/beside:futex/src:0/dst:2'
check "two runs: geomean" "$tmp/out1" 'OVERALL_GEOMEAN'
check "two runs: the p50 table" "$tmp/out1" '^p50 and x_ref (ratios of p50s'
check "two runs: p50 row with in-situ xref" "$tmp/out1" \
    '^unicast/backend:futex/placement:local/backoff:seed/src:0/dst:1/class:l3/numa:same  *[0-9.]* µs  *[0-9.]* µs  *[0-9.]*  *x1\.[0-9]*  *x1\.[0-9]*$'
check "two runs: no xref for a throughput" "$tmp/out1" \
    '^mboxfull/backend:futex/.*  -  *-$'

# Two backends of one run: names match once backend:X is removed.
A="$tmp/runa" FILTER_A=backend:futex FILTER_B=backend:eventfd \
    sh "$here/scripts/compare.sh" >"$tmp/out2" 2>&1
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: two backends: exit $rc"; cat "$tmp/out2"; fail=1; }
check "backends: names without the backend" "$tmp/out2" \
    '^unicast/placement:local/backoff:seed/src:0/dst:1/class:l3/numa:same/repeats:2/manual_time '
check "backends: mboxfull paired" "$tmp/out2" '^mboxfull/placement:local/backoff:seed/dst:0/senders:3'
check "backends: the p50 table" "$tmp/out2" \
    '^p50 and x_ref .*\[backend:futex\].*\[backend:eventfd\]'
if grep -q '^[a-z_]*/.*\(backend:\|beside:\)' "$tmp/out2"; then
	echo "FAIL: backends: a name kept its backend or a yardstick slipped in"; fail=1
else echo "ok: backends: no backend segment, no yardstick"; fi
# eventfd is slower than futex in the fixture: positive change
"$PY" - "$tmp/out2" <<'PY' || fail=1
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.startswith("unicast/") and
        l.split()[0].endswith("manual_time_median")]
ok = rows and all(float(r[1]) > 0 for r in rows)
print("ok: backends: eventfd slower than futex in the fixture" if ok else
      "FAIL: backends: expected positive changes: %s" % rows)
sys.exit(0 if ok else 1)
PY
# ... and in the p50 table: B/A above 1 for every unicast row.
"$PY" - "$tmp/out2" <<'PY' || fail=1
import sys
lines = open(sys.argv[1]).read().split("\np50 and x_ref", 1)[1].splitlines()
rows = [l.split("  ") for l in lines if l.startswith("unicast/")]
rows = [[c.strip() for c in r if c.strip()] for r in rows]
ok = rows and all(float(r[3]) > 1 for r in rows)
print("ok: backends: p50 B/A above 1 for eventfd over futex (%d rows)" %
      len(rows) if ok else "FAIL: backends: p50 rows: %s" % rows)
sys.exit(0 if ok else 1)
PY

# An older ipibench's run: no in-situ reference, xref from the yardstick
# beside (marked *), none for fan-outs.
A="$tmp/old.json" FILTER_A=backend:futex FILTER_B=backend:eventfd \
    sh "$here/scripts/compare.sh" >"$tmp/out4" 2>&1
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: old run: exit $rc"; cat "$tmp/out4"; fail=1; }
check "old run: unicast xref from the yardstick beside" "$tmp/out4" \
    '^unicast/placement:local/src:0/dst:1/class:l3/numa:same .* x1\.[0-9]*\*  *x1\.[0-9]*\*$'
check "old run: no xref for a broadcast" "$tmp/out4" \
    '^broadcast/placement:local/src:0/n:4/self:skip .*  -  *-$'

# Usage errors: nothing to compare, half a filter, a missing run.
for args in "A=" "A=$tmp/runa" "A=$tmp/runa FILTER_A=backend:futex" \
    "A=$tmp/missing B=$tmp/b.json" "A=$tmp/runa FILTER_A=backend:nope FILTER_B=backend:futex"; do
	env $args sh "$here/scripts/compare.sh" >"$tmp/out3" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && grep -q 'compare\|filter_json' "$tmp/out3"; then
		echo "ok: refused: $args ($(head -n 1 "$tmp/out3"))"
	else echo "FAIL: not refused (exit $rc): $args"; cat "$tmp/out3"; fail=1; fi
done

# Malformed inputs (issue 13): each refused before compare.py runs, by a
# line that names the file and what is wrong; exit 2, no traceback, no
# temporary file left.  The inputs: the fixture spoilt one way each.
mkdir "$tmp/bad" "$tmp/bad/notarun" "$tmp/bad/parent" "$tmp/bad/parent/r1" \
    "$tmp/bad/benchdir" "$tmp/bad/benchdir/bench.json" "$tmp/bad/errs" \
    "$tmp/bad/zerorun" "$tmp/tmpd"
cp "$tmp/b.json" "$tmp/bad/parent/r1/bench.json"
"$PY" - "$tmp/runa/bench.json" "$tmp/bad" <<'PY' || exit 1
import copy, json, os, sys
g = json.load(open(sys.argv[1]))
out = sys.argv[2]
def w(name, obj=None, raw=None):
    with open(os.path.join(out, name), "wb") as f:
        f.write(raw if raw is not None else json.dumps(obj).encode())
def spoil(path, i, **kv):
    e = copy.deepcopy(g)
    e["benchmarks"][i].update(kv)
    w(path, e)
w("bench_str.json", {"benchmarks": "x"})
w("name_only.json", {"context": {}, "benchmarks": [{"name": "a"}]})
w("no_context.json", {"benchmarks": g["benchmarks"]})
w("context_list.json", {"context": [], "benchmarks": g["benchmarks"]})
w("top_list.json", [1, 2])
w("no_bench.json", {"context": {}})
w("bench_empty.json", {"context": {}, "benchmarks": []})
w("empty.json", raw=b"")
w("binary.json", raw=bytes(range(256)) * 4)
w("latin1.json", raw='{"context": {}, "name": "caf\xe9"}'.encode("latin-1"))
w("truncated.json", raw=json.dumps(g).encode()[:3000])
w("deep.json", raw=b"[" * 100000 + b"]" * 100000)
w("trailing.json", raw=json.dumps(g).encode() + b" x")
w("exe.json", raw=b"\x7fELF" + b"\1" * 60)
spoil("rt_string.json", 5, real_time="12")
spoil("rt_nan.json", 5, real_time=float("nan"))
spoil("rt_neg.json", 5, real_time=-1.0)
spoil("unit.json", 5, time_unit="fortnights")
spoil("name_int.json", 5, name=7)
spoil("family_str.json", 5, family_index="3")
spoil("iter_bool.json", 5, iterations=True)
spoil("runname_null.json", 5, run_name=None)
spoil("err_str.json", 5, error_occurred="false")
spoil("runtype.json", 5, run_type="repetition")
e = copy.deepcopy(g); e["benchmarks"][5] = "x"; w("entry_str.json", e)
e = copy.deepcopy(g); del e["benchmarks"][5]["iterations"]
w("no_iterations.json", e)
e = copy.deepcopy(g)
for b in e["benchmarks"]:
    b.update(error_occurred=True, error_message="no PUs")
w("errs/bench.json", e)
e = copy.deepcopy(g)
for b in e["benchmarks"]:
    if "backend:futex" in b["name"]:
        b.update(error_occurred=True, error_message="futex failed")
w("futex_errors.json", e)
w("other.json", {"context": {}, "benchmarks": [
    {"name": "BM_x", "run_type": "iteration", "iterations": 10,
     "real_time": 5.0, "cpu_time": 5.0, "time_unit": "ns"}]})
PY
mkfifo "$tmp/bad/fifo.json"
ln -s /dev/zero "$tmp/bad/zero.json"
ln -s /dev/zero "$tmp/bad/zerorun/bench.json"
# refuse WHAT PATTERN [VAR=VALUE ...] [-- ARGS]: compare.sh with those
# variables (and ARGS) exits 2 with PATTERN (grep -F) in its output, no
# traceback, nothing left in its TMPDIR.
refuse() {
	what=$1 pat=$2
	shift 2
	rm -rf "$tmp/tmpd" && mkdir "$tmp/tmpd" && chmod 1777 "$tmp/tmpd"
	( ulimit -v 8000000 2>/dev/null; cd "$tmp/bad" &&
	  env TMPDIR="$tmp/tmpd" "$@" timeout 20 sh "$here/scripts/compare.sh" \
	  ) >"$tmp/out5" 2>&1 </dev/null
	rc=$?
	if [ $rc -eq 2 ] && grep -qF -- "$pat" "$tmp/out5" &&
	    ! grep -q Traceback "$tmp/out5" && [ -z "$(ls -A "$tmp/tmpd")" ]; then
		echo "ok: refused: $what"
	else
		echo "FAIL: $what: exit $rc (want 2), want '$pat', no traceback, no temporary file left ($(ls -A "$tmp/tmpd" | wc -l) left):"
		tail -n 5 "$tmp/out5" | sed 's/^/  /'
		fail=1
	fi
}
G=$tmp/runa
refuse '{"benchmarks":"x"}' \
    'compare: A: bench_str.json: "benchmarks" is a string, not a list' \
    A=bench_str.json B="$G"
refuse 'an entry with a name only (KeyError real_time in compare.py)' \
    'name_only.json: entry 0 ("a") lacks real_time, cpu_time, time_unit, iterations, run_type' \
    A=name_only.json B="$G"
refuse 'no context' 'no_context.json: no "context" object' \
    A=no_context.json B="$G"
refuse 'context a list' 'context_list.json: "context" is a list, not an object' \
    A=context_list.json B="$G"
refuse 'top level a list' 'compare: B: top_list.json: the top level is a list, not an object' \
    A="$G" B=top_list.json
refuse 'no benchmarks' 'no_bench.json: no "benchmarks" list' A=no_bench.json B="$G"
refuse 'benchmarks empty' 'bench_empty.json: "benchmarks" is empty' \
    A=bench_empty.json B="$G"
refuse 'empty file' 'empty.json: empty file' A=empty.json B="$G"
refuse 'binary file' 'binary.json: a binary file' A=binary.json B="$G"
refuse 'not UTF-8' 'latin1.json: not UTF-8 text' A=latin1.json B="$G"
refuse 'truncated JSON' 'truncated.json: not JSON: ' A=truncated.json B="$G"
refuse 'JSON nested 100000 deep' 'deep.json: not JSON that can be read: nested too deeply' \
    A=deep.json B="$G"
refuse 'text after the JSON' 'trailing.json: not JSON: Extra data' \
    A=trailing.json B="$G"
refuse 'an executable' 'exe.json: an executable, not a JSON file' A=exe.json B="$G"
refuse 'real_time a string' 'rt_string.json: entry 5 ("' A=rt_string.json B="$G"
grep -qF 'real_time is "12" (a string), not a number' "$tmp/out5" ||
    { echo "FAIL: real_time a string: the field not named"; fail=1; }
refuse 'real_time NaN' 'real_time is NaN, not a time' A="$G" B=rt_nan.json
refuse 'real_time negative' 'real_time is -1.0, not a time' A="$G" B=rt_neg.json
refuse 'unknown time_unit' 'time_unit is "fortnights", not one of ns/us/ms/s' \
    A=unit.json B="$G"
refuse 'name a number' 'name_int.json: entry 5 has no "name" (a non-empty string): it is 7' \
    A=name_int.json B="$G"
refuse 'family_index a string' 'family_index is "3", not an integer' \
    A="$G" B=family_str.json
refuse 'iterations true' 'iterations is true, not a count' A=iter_bool.json B="$G"
refuse 'run_name null' 'run_name is null, not a string' A=runname_null.json B="$G"
refuse 'error_occurred a string' 'error_occurred is "false", not a boolean' \
    A=err_str.json B="$G"
refuse 'unknown run_type' 'run_type is "repetition", not "iteration" or "aggregate"' \
    A=runtype.json B="$G"
refuse 'an entry a string' 'entry_str.json: entry 5 is a string, not an object' \
    A=entry_str.json B="$G"
refuse 'an entry without iterations' 'no_iterations.json: entry 5 (' \
    A=no_iterations.json B="$G"
grep -q ') lacks iterations$' "$tmp/out5" ||
    { echo "FAIL: no iterations: the field not named"; fail=1; }
refuse 'only error entries' 'errs/bench.json: every benchmark reported an error (' \
    A=errs B="$G"
refuse 'a folder without bench.json' 'compare: A: notarun: a folder without bench.json: not a run folder' \
    A=notarun B="$G"
refuse 'a folder of runs' 'parent: a folder without bench.json: not a run folder (runs in it: parent/r1)' \
    A=parent B="$G"
refuse 'bench.json a folder' 'benchdir/bench.json: a folder, not a JSON file' \
    A=benchdir B="$G"
refuse 'a FIFO' 'fifo.json: not a regular file' A=fifo.json B="$G"
refuse 'a link to /dev/zero' 'zero.json: not a regular file' A=zero.json B="$G"
refuse 'a run whose bench.json is /dev/zero' 'zerorun/bench.json: not a regular file' \
    A=zerorun B="$G"
refuse '/dev/null' '/dev/null: not a regular file' A=/dev/null B="$G"
refuse 'nothing pairs by name' 'no benchmark name of A is one of B' A="$G" B=other.json
refuse 'a FILTER that matches nothing' \
    'no benchmark has the segment backend:nope (backend values in its names: busypoll, futex, eventfd)' \
    A="$G" FILTER_A=backend:nope FILTER_B=backend:futex
refuse 'a FILTER of a key no name has' 'no benchmark has the segment colour:red (no colour: segment in its names)' \
    A="$G" FILTER_A=backend:futex FILTER_B=colour:red
refuse 'a FILTER whose benchmarks all failed' \
    'futex_errors.json: every benchmark with the segment backend:futex reported an error' \
    A=futex_errors.json FILTER_A=backend:futex FILTER_B=backend:eventfd
refuse 'a FILTER not key:value' 'FILTER_A "futex": not one name segment key:value' \
    A="$G" FILTER_A=futex FILTER_B=eventfd
refuse 'a FILTER of two words' 'FILTER_A "backend:futex backend:busypoll": not one' \
    A="$G" FILTER_A='backend:futex backend:busypoll' FILTER_B=backend:eventfd
refuse 'a FILTER *' 'FILTER_A "*": not one name segment' \
    A="$G" FILTER_A='*' FILTER_B=backend:eventfd
refuse 'a FILTER of two segments' 'FILTER_B "backend:eventfd/placement:local": not one' \
    A="$G" FILTER_A=backend:futex FILTER_B=backend:eventfd/placement:local
refuse 'the same run and filter' 'A and B are the same run with the same filter (backend:futex)' \
    A="$G" FILTER_A=backend:futex FILTER_B=backend:futex
refuse 'the same run, a folder and its bench.json' 'A and B are the same run' \
    A="$G" B="$G/bench.json"
refuse 'no temporary folder' 'cannot make a temporary folder in /nonexistent/x' \
    A="$G" B="$tmp/b.json" TMPDIR=/nonexistent/x
# An unreadable file: as root, read as nobody (setpriv), else chmod 000.
cp "$tmp/b.json" "$tmp/bad/unread.json"
chmod 000 "$tmp/bad/unread.json"
if [ "$(id -u)" -ne 0 ]; then
	refuse 'an unreadable file' 'unread.json: cannot read it: Permission denied' \
	    A=unread.json B="$G"
elif command -v setpriv >/dev/null; then
	chmod 755 "$tmp" "$tmp/bad" "$tmp/runa"
	chmod 644 "$tmp/runa/bench.json"
	refuse 'an unreadable file (as nobody)' 'unread.json: cannot read it: Permission denied' \
	    A=unread.json B="$G" \
	    setpriv --reuid=65534 --regid=65534 --clear-groups
	chmod 700 "$tmp"
else echo "skip: an unreadable file (root, no setpriv)"; fi

# compare.py's own failures: one line, not its traceback.
for args in "--bogus" "-d /nonexistent/x.json"; do
	rm -rf "$tmp/tmpd" && mkdir "$tmp/tmpd"
	TMPDIR="$tmp/tmpd" A="$G" B="$tmp/b.json" sh "$here/scripts/compare.sh" $args \
	    >"$tmp/out6" 2>&1
	rc=$?
	if [ $rc -eq 2 ] && ! grep -q Traceback "$tmp/out6" &&
	    tail -n 1 "$tmp/out6" | grep -q '^compare: .*compare.py' &&
	    [ -z "$(ls -A "$tmp/tmpd")" ]; then
		echo "ok: refused: compare.py $args ($(tail -n 1 "$tmp/out6" | cut -c1-100))"
	else echo "FAIL: compare.py $args: exit $rc:"; tail -n 5 "$tmp/out6"; fail=1; fi
done

# plot/compare_p50.py on its own: the same checks, exit 2, no traceback;
# a run named -h is a run, not a request for help.
for args in "$tmp/bad/name_only.json $G" "$G $tmp/bad/top_list.json" \
    "$G $tmp/bad/notarun" "$G $G backend:nope backend:futex" \
    "$G $G futex eventfd"; do
	"$PY" "$here/plot/compare_p50.py" $args >"$tmp/out7" 2>&1
	rc=$?
	if [ $rc -eq 2 ] && ! grep -q Traceback "$tmp/out7" &&
	    grep -q '^compare_p50: ' "$tmp/out7"; then
		echo "ok: compare_p50 refused: $(cut -c1-110 "$tmp/out7")"
	else echo "FAIL: compare_p50 $args: exit $rc:"; tail -n 5 "$tmp/out7"; fail=1; fi
done
ln -s "$G" "$tmp/bad/-h"
(cd "$tmp/bad" && A=-h B="$tmp/b.json" sh "$here/scripts/compare.sh") >"$tmp/out8" 2>&1
check "a run named -h: its p50 table, not compare_p50's help" "$tmp/out8" \
    '^p50 and x_ref (ratios of p50s.*A = -h'
exit $fail
