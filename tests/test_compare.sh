#!/bin/sh
# test_compare.sh: scripts/compare.sh (make compare) on two fixture runs
# (tests/fixtures/make_fixture.py): two runs name by name, two backends
# of one run with the backend segment removed, each followed by the table
# of p50s and x_ref (plot/compare_p50.py: no ratio of means of ours), an
# older ipibench's run (x_ref from the yardstick beside, marked *), and
# the usage errors.
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
exit $fail
