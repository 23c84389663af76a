#!/bin/sh
# test_plan.sh: `ipibench run --dry-run`, the plan of a sweep.
#
# Every topology of tests/topologies against every config: a plan in
# JSON (benchmarks, machine_starts, estimate_s, budget_s) that fits the
# config's budget, made in a few seconds; on the 384-PU EPYC full.ini
# within 60 minutes and default.ini within 10.  A budget too small for
# the thinnest sweep exits 2 naming what to cut; a dry run writes
# nothing.  A real run writes costs.csv, and --calibrate plans from it
# (a bad file is refused naming it).  The ETA of a run comes from the
# same model (the closing line says "took ... (estimated ...)").
# Needs $IPIBENCH (tests/run.sh sets it) and a Python 3.
set -u
: "${IPIBENCH:?set IPIBENCH to the ipibench binary}"
PYTHON=${PYTHON:-/usr/bin/python3}
fails=0
tmp=$(mktemp -d /tmp/ipibench-plan.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# plan TOPO CONFIG [FLAGS]: the JSON plan into $tmp/plan.json.
plan() {
	topo=$1 cfg=$2
	shift 2
	timeout 120 "$IPIBENCH" run --dry-run --json --topology "$topo" \
	    --config "$cfg" "$@" >"$tmp/plan.json" 2>"$tmp/plan.err"
}

# Under a sanitizer (ten times slower) the big EPYC and the short
# configs only: planning full.ini there re-registers some 250,000
# benchmarks at each thinning step.
topos=tests/topologies/*.xml cfgs=configs/*.ini
if [ -n "${SAN:-}" ]; then
	topos=tests/topologies/AMD-19h-Zen4-2xEpyc-9654.xml
	cfgs="configs/quick.ini configs/default.ini"
fi
for topo in $topos; do
	for cfg in $cfgs; do
		if ! plan "$topo" "$cfg"; then
			fail "plan $topo $cfg: $(tail -n 2 "$tmp/plan.err")"
			continue
		fi
		"$PYTHON" - "$tmp/plan.json" "$topo" "$cfg" <<'PY' || fail "plan $topo $cfg"
import json, sys
p = json.load(open(sys.argv[1]))
topo, cfg = sys.argv[2], sys.argv[3]
for k in ("benchmarks", "machine_starts", "estimate_s", "budget_s", "fits",
          "groups", "thinned", "vcpus"):
    assert k in p, "no key %s" % k
assert p["benchmarks"] > 0 and p["machine_starts"] > 0, p
assert p["budget_s"] > 0, "%s carries no budget" % cfg
assert p["fits"] and p["estimate_s"] <= p["budget_s"], \
    "%s on %s: %.0f s over a budget of %.0f s" % (cfg, topo,
                                                p["estimate_s"], p["budget_s"])
assert sum(g["benchmarks"] for g in p["groups"]) == p["benchmarks"]
assert abs(sum(g["estimate_s"] for g in p["groups"]) - p["estimate_s"]) < \
    0.05 * len(p["groups"]) + 1
big = "Epyc-9654" in topo
if big and cfg.endswith("full.ini"):
    assert p["budget_s"] == 3600 and p["thinned"], p["thinned"]
if big and cfg.endswith("default.ini"):
    assert p["budget_s"] == 600, p["budget_s"]
PY
	done
done

# full.ini on the EPYC as text: within the hour, saying what it thinned.
epyc=tests/topologies/AMD-19h-Zen4-2xEpyc-9654.xml
if [ -z "${SAN:-}" ]; then
	"$IPIBENCH" run --dry-run --topology "$epyc" --config configs/full.ini \
	    >"$tmp/full.txt" 2>"$tmp/full.err" || fail "full.ini on EPYC: exit $?"
	grep -q "^budget 1:00:00: .*senders" "$tmp/full.txt" ||
		fail "full.ini on EPYC: the plan does not say what it thinned: $(tail -n 3 "$tmp/full.txt")"
	grep -q "busypoll left out" "$tmp/full.err" ||
		fail "full.ini on EPYC: busypoll on 384 PUs over 192 cores not named"
fi

# Too small a budget: exit 2, what to cut named, nothing written.
"$IPIBENCH" run --dry-run --topology "$epyc" --config configs/default.ini \
    --budget 10s >/dev/null 2>"$tmp/small.err"
rc=$?
[ $rc -eq 2 ] || fail "budget 10s: exit $rc, want 2"
grep -q "does not fit the budget of 0:10.*Cut" "$tmp/small.err" ||
	fail "budget 10s: $(cat "$tmp/small.err")"
for v in 1x -5m 1hm; do
	"$IPIBENCH" run --dry-run --budget "$v" >/dev/null 2>"$tmp/bad.err"
	rc=$?
	[ $rc -eq 2 ] && grep -q "expected a duration" "$tmp/bad.err" ||
		fail "--budget $v: exit $rc: $(cat "$tmp/bad.err")"
done

# This machine: thinning says what it did; a dry run writes nothing.
"$IPIBENCH" run --dry-run --config configs/default.ini --budget 30s \
    --out "$tmp/never" >"$tmp/here.txt" 2>&1 || fail "dry run here: exit $?"
grep -q "^budget 0:30: min_time 0.2 -> " "$tmp/here.txt" ||
	fail "budget 30s here: $(tail -n 2 "$tmp/here.txt")"
[ ! -e "$tmp/never" ] || fail "a dry run created its --out folder"

# A real run writes its costs; --calibrate plans from them.
if [ "$(nproc)" -ge 2 ]; then
	"$IPIBENCH" run --backend futex --workload unicast,pingpong \
	    --min_time 0.01 --repetitions 1 --batch 50 --out "$tmp/run" \
	    >/dev/null 2>"$tmp/run.err" || fail "run: $(tail -n 3 "$tmp/run.err")"
	grep -q "took .* (estimated " "$tmp/run.err" ||
		fail "run: no closing 'took ... (estimated ...)' line"
	"$PYTHON" - "$tmp/run/costs.csv" <<'PY' || fail "costs.csv"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows, "no rows"
for r in rows:
    assert float(r["ops"]) > 0 and float(r["manual_s"]) > 0, r
    assert float(r["body_s"]) >= float(r["manual_s"]) * 0.5, r
    assert float(r["estimate_s"]) > 0, r
assert {r["workload"] for r in rows} == {"unicast", "pingpong"}, rows
PY
	"$IPIBENCH" run --dry-run --json --backend futex \
	    --workload unicast,pingpong --calibrate "$tmp/run" \
	    >"$tmp/cal.json" 2>"$tmp/cal.err" || fail "--calibrate: $(cat "$tmp/cal.err")"
	"$PYTHON" -c 'import json,sys; p=json.load(open(sys.argv[1])); assert p["calibrated"], p' \
	    "$tmp/cal.json" || fail "--calibrate: plan not calibrated"
fi
printf 'name,other\nx,1\n' >"$tmp/bad.csv"
"$IPIBENCH" run --dry-run --calibrate "$tmp/bad.csv" >/dev/null 2>"$tmp/cb.err"
rc=$?
[ $rc -eq 2 ] && grep -q "bad.csv:1: not a costs file" "$tmp/cb.err" ||
	fail "--calibrate bad.csv: exit $rc: $(cat "$tmp/cb.err")"
"$IPIBENCH" run --dry-run --calibrate "$tmp/nosuch" >/dev/null 2>"$tmp/cb.err"
rc=$?
[ $rc -eq 2 ] && grep -q "nosuch/costs.csv" "$tmp/cb.err" ||
	fail "--calibrate nosuch: exit $rc: $(cat "$tmp/cb.err")"

[ $fails -eq 0 ] && echo "test_plan: ok"
exit $((fails > 0))
