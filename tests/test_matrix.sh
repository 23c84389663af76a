#!/bin/sh
# test_matrix.sh: the matrix workload end to end on two vCPUs (two
# cores): one sampling pass per backend (futex, whose idle sleeps, and
# busypoll, which spins) writes OUT/matrix.csv as results/README.md says:
#   the header exactly; one row per ordered pair (0 -> 1, 1 -> 0) of each
#   backend; samples S on busypoll and S_sleep = max(10, S / 10) on
#   futex; p50 <= p90 <= p99, p50 > 0; unstable as the rule says;
#   pingpong_samples S and its percentiles
# and bench.json holds the pass, matrix/backend:B/placement:local/
# backoff:seed/pairs:2
# (N x S iterations), and a summary per class whose samples are the sum
# of its rows'.  Also: the default selection takes matrix only with
# [unicast] matrix = true; a summary whose pass was filtered out is
# skipped with an error saying so; without --out, no file.
set -u
: "${IPIBENCH:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
case $IPIBENCH in /*) ;; *) IPIBENCH=$(pwd)/$IPIBENCH ;; esac
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
S=20
cpus="--cpus core:0-1 --no_smt"

# 1. The pass on both backends, into one results folder.
if ! "$IPIBENCH" run --backend futex,busypoll --workload matrix \
    --matrix_samples $S --yardsticks false --timeout 10 $cpus \
    --out "$tmp/run" >"$tmp/out1" 2>"$tmp/err1"; then
	echo "FAIL: ipibench run --workload matrix failed:"; cat "$tmp/err1"
	exit 1
fi
grep -q '^matrix: futex/local: 2 pairs' "$tmp/err1" &&
    echo "ok: the pass says what it measures" ||
    { echo "FAIL: no 'matrix: futex/local: 2 pairs' line:"
      cat "$tmp/err1"; fail=1; }

"$PYTHON" - "$tmp/run" $S <<'PY' || fail=1
import csv, json, os, sys
sys.path.insert(0, "plot")  # run from the top of the tree (make test)
from benchjson import SEGMENT, canonical_name, segments

d, S = sys.argv[1], int(sys.argv[2])
bad = []
def check(cond, msg):
    print(("ok: " if cond else "FAIL: ") + msg)
    if not cond:
        bad.append(msg)

HEADER = ("backend,placement,src,dst,src_pu,dst_pu,class,numa,samples,"
          "p50_ns,p90_ns,p99_ns,round_min_p50_ns,round_max_p50_ns,unstable,"
          "pingpong_samples,pingpong_p50_ns,pingpong_p99_ns")
CLASSES = ["core", "l1", "l2", "l3", "group", "die", "package", "machine"]
with open(os.path.join(d, "matrix.csv")) as f:
    text = f.read()
check(text.split("\n")[0] == HEADER, "matrix.csv header exact")
check(text.count("backend,") == 1, "the header once")
rows = list(csv.DictReader(text.splitlines()))
check(not os.path.exists(os.path.join(d, "matrix.csv.tmp")),
      "no matrix.csv.tmp left")

doc = json.load(open(os.path.join(d, "bench.json")))
spins = {t["name"]: t["spins"] for t in
         json.loads(doc["context"]["backend_table"])}
bench = {canonical_name(b["run_name"]): b for b in doc["benchmarks"]
         if b.get("run_type") == "iteration"}
for name, b in bench.items():
    check(all(SEGMENT.match(s) for s in segments(name)),
          "%s: names follow the grammar" % name)
    check(not b.get("error_occurred"), "%s: no error (%s)" %
          (name, b.get("error_message", "")))

for be in ("futex", "busypoll"):
    want = S if spins[be] else max(10, S // 10)
    rs = [r for r in rows if r["backend"] == be]
    check(sorted((int(r["src"]), int(r["dst"])) for r in rs) ==
          [(0, 1), (1, 0)], "%s: rows 0->1 and 1->0" % be)
    for r in rs:
        w = "%s %s->%s" % (be, r["src"], r["dst"])
        f = {k: float(r[k]) for k in r if k.endswith("_ns")}
        check(r["placement"] == "local", w + ": placement local")
        check(int(r["samples"]) == want, w + ": samples %s, expected %d" %
              (r["samples"], want))
        check(0 < f["p50_ns"] <= f["p90_ns"] <= f["p99_ns"],
              w + ": 0 < p50 <= p90 <= p99")
        lo, hi = f["round_min_p50_ns"], f["round_max_p50_ns"]
        check(0 < lo <= hi, w + ": 0 < round min <= round max")
        # Judged only with 5 samples a round or more (rounds: at most 10).
        judged = want // min(10, want, S) >= 5
        check(int(r["unstable"]) ==
              int(judged and hi > 1.5 * lo and hi - lo > 50),
              w + ": unstable %s by the rule (rounds %g .. %g ns)" %
              (r["unstable"], lo, hi))
        check(int(r["pingpong_samples"]) == S, w + ": pingpong samples S")
        check(0 < f["pingpong_p50_ns"] <= f["pingpong_p99_ns"],
              w + ": 0 < pingpong p50 <= p99")
        check(r["class"] in CLASSES and r["numa"] in ("same", "cross"),
              w + ": class %s, numa %s" % (r["class"], r["numa"]))
        check(int(r["src_pu"]) >= 0 and int(r["dst_pu"]) >= 0 and
              r["src_pu"] != r["dst_pu"], w + ": PUs")
    pre = "matrix/backend:%s/placement:local/backoff:seed" % be
    p = bench.get(pre + "/pairs:2")
    check(p is not None, "%s: the pass %s/pairs:2" % (be, pre))
    if p is None:
        continue
    check(p["iterations"] == 2 * want and p.get("samples") == 2 * want,
          "%s: the pass ran N x S = %d iterations and samples (%s, %s)" %
          (be, 2 * want, p["iterations"], p.get("samples")))
    check(p.get("pairs") == 2 and p.get("samples_per_pair") == want and
          p.get("pingpong_samples_per_pair") == S and "seed" in p and
          p.get("rounds") == 10, "%s: the pass's counters" % be)
    check(p.get("unstable_pairs") == sum(int(r["unstable"]) for r in rs),
          "%s: the pass's unstable_pairs are the rows'" % be)
    if not spins[be]:
        check(p.get("blocked_per_op", 0) > 0.5, "%s: blocked_per_op %s" %
              (be, p.get("blocked_per_op")))
    classes = {(r["class"], r["numa"]) for r in rs}
    for c, nu in sorted(classes):
        of = [r for r in rs if (r["class"], r["numa"]) == (c, nu)]
        n = sum(int(r["samples"]) for r in of)
        b = bench.get("%s/class:%s/numa:%s" % (pre, c, nu))
        check(b is not None, "%s: a summary of class %s/%s" % (be, c, nu))
        if b is None:
            continue
        check(b.get("samples") == n and b["iterations"] == n,
              "%s %s/%s: summary samples %s = the rows' %d" %
              (be, c, nu, b.get("samples"), n))
        check(b.get("pairs") == len(of) and
              b.get("unstable_pairs") == sum(int(r["unstable"]) for r in of)
              and 0 < b.get("pingpong_p50_ns", 0) <=
              b.get("pingpong_p99_ns", 0) and
              0 < b.get("p50_ns", 0) <= b.get("p99_ns", 0),
              "%s %s/%s: summary counters" % (be, c, nu))
        print("   %s %s/%s: p50 %.0f ns, pingpong p50 %.0f ns" %
              (be, c, nu, b["p50_ns"], b["pingpong_p50_ns"]))
sys.exit(1 if bad else 0)
PY

# 2. The default selection: matrix only with --matrix (and unicast not
# every pair any more).
"$IPIBENCH" run --backend futex --yardsticks false $cpus \
    --benchmark_list_tests=true >"$tmp/list0" 2>&1
"$IPIBENCH" run --backend futex --yardsticks false $cpus --matrix \
    --benchmark_list_tests=true >"$tmp/list1" 2>&1
if ! grep -q '^matrix/' "$tmp/list0" && grep -q '^matrix/' "$tmp/list1"; then
	echo "ok: the default selection takes matrix only with --matrix"
else
	echo "FAIL: matrix benchmarks listed without --matrix:" \
	    "$(grep -c '^matrix/' "$tmp/list0")," \
	    "with: $(grep -c '^matrix/' "$tmp/list1")"
	fail=1
fi
n=$(grep -c '^unicast/' "$tmp/list1")
[ "$n" -eq 1 ] && echo "ok: unicast: one pair per class with --matrix" ||
    { echo "FAIL: unicast registers $n benchmarks with --matrix"; fail=1; }

# 3. Summaries without their pass; no --out, no file.
(cd "$tmp" && "$IPIBENCH" run --backend futex --workload matrix \
    --matrix_samples 10 --yardsticks false --timeout 10 $cpus \
    --benchmark_filter=/class: --benchmark_format=json) \
    >"$tmp/out3" 2>"$tmp/err3"
rc=$?
if [ $rc -eq 1 ] &&
    grep -q 'no matrix pass to summarize: the pass did not run' "$tmp/out3"
then
	echo "ok: a summary without its pass: error, exit 1"
else
	echo "FAIL: a summary without its pass: exit $rc"; cat "$tmp/out3" "$tmp/err3"
	fail=1
fi
[ ! -e "$tmp/matrix.csv" ] && echo "ok: no --out, no matrix.csv" ||
    { echo "FAIL: matrix.csv written without --out"; fail=1; }
exit $fail
