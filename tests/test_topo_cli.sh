#!/bin/sh
# test_topo_cli.sh: `ipibench topo` against hwloc's own tools.
#
# For every XML in tests/topologies/ and for this machine, the JSON of
# `ipibench topo --json` must agree with hwloc-calc (PUs, cores,
# packages, NUMA nodes), `--cpus LOCATION` must select the PUs that
# `hwloc-calc -I pu --po LOCATION` names, and bad input must exit 2
# with a message naming it.  Needs $IPIBENCH (tests/run.sh sets it),
# hwloc-calc (Debian hwloc-nox) and a Python 3.  What a topology lacks
# (no L3, no core object, a cache without a size) reads "-", "size
# unknown" or null, never -1 or 0 B.
set -u
: "${IPIBENCH:?set IPIBENCH to the ipibench binary}"
PYTHON=${PYTHON:-/usr/bin/python3}
DIR=tests/topologies
fails=0
tmp=$(mktemp -d /tmp/ipibench-topo-cli.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

command -v hwloc-calc >/dev/null 2>&1 ||
	{ echo "FAIL: hwloc-calc not found (apt-get install hwloc-nox)"; exit 1; }

# jget FILE EXPR: a Python expression over the JSON object `j`.
jget() {
	"$PYTHON" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# check_counts JSONFILE HWLOC-CALC-ARGS...: counts agree with hwloc-calc.
check_counts() {
	f=$1; shift
	for pair in pus:pu cores:core packages:package numa_nodes:numa; do
		key=${pair%%:*}; obj=${pair#*:}
		want=$(hwloc-calc "$@" -N "$obj" all 2>/dev/null)
		got=$(jget "$f" "j['$key']")
		[ "$got" = "$want" ] || fail "$f: $key $got, hwloc-calc says $want"
	done
	n=$(jget "$f" "len(j['vcpus'])")
	want=$(hwloc-calc "$@" -N pu all)
	[ "$n" = "$want" ] || fail "$f: $n vCPUs, hwloc-calc counts $want PUs"
	ok=$(jget "$f" "j['pairs'] == len(j['vcpus'])*(len(j['vcpus'])-1)//2 and sum(j['pair_classes'].values()) == j['pairs'] and 0 <= j['same_numa_pairs'] <= j['pairs']")
	[ "$ok" = True ] || fail "$f: pair counts do not add up"
}

# check_cpus XML LOCATION [--no-smt]: the PUs selected = hwloc-calc's.
check_cpus() {
	xml=$1; loc=$2
	"$IPIBENCH" topo --topology "$xml" --cpus "$loc" --json >"$tmp/c.json" ||
		{ fail "$xml --cpus $loc: exit $?"; return; }
	got=$(jget "$tmp/c.json" "','.join(str(p) for p in sorted(v['pu'] for v in j['vcpus']))")
	want=$(hwloc-calc --input "$xml" -I pu --po "$loc" | tr ',' '\n' | sort -n | paste -sd, -)
	[ "$got" = "$want" ] || fail "$xml --cpus $loc: selected $got, hwloc-calc says $want"
}

# expect_error ARGS...: exit status 2, a message on stderr naming $NAME.
expect_error() {
	"$IPIBENCH" topo "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 2 ] || fail "topo $*: exit $rc, want 2"
	grep -qF -- "$NAME" "$tmp/err" || fail "topo $*: message does not name '$NAME': $(cat "$tmp/err")"
	[ -s "$tmp/out" ] && fail "topo $*: wrote to stdout on error"
}

for xml in "$DIR"/*.xml; do
	"$IPIBENCH" topo --topology "$xml" --json >"$tmp/t.json" ||
		{ fail "$xml: exit $?"; continue; }
	check_counts "$tmp/t.json" --input "$xml"
	[ "$(jget "$tmp/t.json" "j['thissystem']")" = False ] ||
		fail "$xml: said to be this machine"
	"$IPIBENCH" topo --topology "$xml" >"$tmp/t.txt" ||
		fail "$xml: text output: exit $?"
	grep -q "planning only" "$tmp/t.txt" || fail "$xml: text does not say planning"
done

# This machine.
"$IPIBENCH" topo --json >"$tmp/m.json" || fail "this machine: exit $?"
check_counts "$tmp/m.json"
[ "$(jget "$tmp/m.json" "j['placement']['mismatches']")" = 0 ] ||
	fail "this machine: placement mismatches"
[ "$(jget "$tmp/m.json" "all(v['state_node_measured'] == v['state_node_planned'] for v in j['vcpus'])")" = True ] ||
	fail "this machine: a state is not where planned"
for p in local single interleave remote; do
	"$IPIBENCH" topo --placement $p --json >"$tmp/p.json" ||
		fail "this machine --placement $p: exit $?"
	[ "$(jget "$tmp/p.json" "j['placement']['policy']")" = $p ] ||
		fail "--placement $p: policy not reported"
done

# --cpus agrees with hwloc-calc's locations.
check_cpus $DIR/64amd64-4s2n4ca2co.xml "core:0-7"
check_cpus $DIR/64amd64-4s2n4ca2co.xml "numa:1"
check_cpus $DIR/64amd64-4s2n4ca2co.xml "pack:1.core:0-3"
check_cpus $DIR/48amd64-4pa2n6c-sparse.xml "numa:3"
check_cpus $DIR/48amd64-4pa2n6c-sparse.xml "l3:5"
check_cpus $DIR/AMD-19h-Zen4-2xEpyc-9654.xml "l3:2"
check_cpus $DIR/AMD-19h-Zen4-2xEpyc-9654.xml "pack:1.core:0-3"
check_cpus $DIR/16em64t-4s2c2t-offlines.xml "pack:0"
check_cpus $DIR/192em64t-24n8c2t.xml "numa:23"

# --no-smt: one PU per core.
"$IPIBENCH" topo --topology $DIR/AMD-19h-Zen4-2xEpyc-9654.xml --no-smt --json >"$tmp/n.json"
[ "$(jget "$tmp/n.json" "len(j['vcpus']) == len(set(v['core'] for v in j['vcpus'])) == 192 and j['pair_classes']['core'] == 0")" = True ] ||
	fail "--no-smt on Zen 4: not one vCPU per core"

# The affinity mask narrows the default selection.
if command -v taskset >/dev/null 2>&1 && [ "$(hwloc-calc -N pu all)" -ge 2 ]; then
	taskset -c 0 "$IPIBENCH" topo --json >"$tmp/a.json" || fail "taskset: exit $?"
	[ "$(jget "$tmp/a.json" "[v['pu'] for v in j['vcpus']]")" = "[0]" ] ||
		fail "taskset -c 0: vCPUs are not just PU 0"
	NAME="PU 1 not allowed"; taskset -c 0 "$IPIBENCH" topo --cpus 1 >/dev/null 2>"$tmp/err"
	[ $? -eq 2 ] && grep -qF "$NAME" "$tmp/err" || fail "taskset -c 0 --cpus 1: $(cat "$tmp/err")"
fi

# Errors: exit 2, naming the input.
NAME=nope.xml;		expect_error --topology "$DIR/nope.xml"
printf '<?xml version="1.0"?>\n<topology><object type=' >"$tmp/bad.xml"
NAME=bad.xml;		expect_error --topology "$tmp/bad.xml"
NAME="synthetic:pack:2 bogus:3"; expect_error --topology "synthetic:pack:2 bogus:3"
NAME="PU 64";		expect_error --topology $DIR/64amd64-4s2n4ca2co.xml --cpus 60-64
NAME="PU 2 offline";	expect_error --topology $DIR/16em64t-4s2c2t-offlines.xml --cpus 0-3
NAME="core:64";		expect_error --topology $DIR/64amd64-4s2n4ca2co.xml --cpus core:64
NAME="selects no PU";	expect_error --cpus ","
NAME="far";		expect_error --placement far
NAME="--frobnicate";	expect_error --frobnicate
NAME="--cpus";		expect_error --cpus

# Issue 13: what a topology lacks is said, never -1 (text and JSON).
# A synthetic description without caches: no L3; one without cores: no
# core; an XML whose L3 has no size.
for syn in "synthetic:pack:2 core:2 pu:1" "synthetic:pack:2 pu:2"; do
	"$IPIBENCH" topo --topology "$syn" >"$tmp/s.txt" ||
		fail "$syn: exit $?"
	grep -qE -- "(^| )-1( |$)" "$tmp/s.txt" &&
		fail "$syn: text says -1: $(grep -E -- "(^| )-1( |$)" "$tmp/s.txt")"
	grep -q "none in this topology" "$tmp/s.txt" ||
		fail "$syn: the legend does not say what - means"
	"$IPIBENCH" topo --topology "$syn" --json >"$tmp/s.json" ||
		fail "$syn --json: exit $?"
	grep -qE -- ": -1[,}]" "$tmp/s.json" && fail "$syn: JSON says -1"
	[ "$(jget "$tmp/s.json" "all(v['l3'] is None for v in j['vcpus'])")" = True ] ||
		fail "$syn: JSON l3 not null"
done
[ "$(jget "$tmp/s.json" "all(v['core'] is None for v in j['vcpus'])")" = True ] ||
	fail "synthetic:pack:2 pu:2: JSON core not null"
fix=tests/fixtures/topo-l3-size-unknown.xml
"$IPIBENCH" topo --topology $fix >"$tmp/u.txt" || fail "$fix: exit $?"
grep -q "^caches      L3 .*size unknown" "$tmp/u.txt" ||
	fail "$fix: $(grep caches "$tmp/u.txt")"
grep -q " 0 B" "$tmp/u.txt" && fail "$fix: an unknown size printed as 0 B"
"$IPIBENCH" topo --topology $fix --json >"$tmp/u.json" || fail "$fix --json: exit $?"
[ "$(jget "$tmp/u.json" "j['caches'][0]['variants'][0]['size']")" = None ] ||
	fail "$fix: JSON size of an unknown cache not null"

# --help is the manual: every option, an example.
"$IPIBENCH" topo --help >"$tmp/h" || fail "--help: exit $?"
for o in --topology --cpus --no-smt --placement --json --verbose --help \
    64amd64-4s2n4ca2co.xml synthetic: local single interleave remote; do
	grep -qF -- "$o" "$tmp/h" || fail "--help does not mention $o"
done

if [ "$fails" -ne 0 ]; then
	echo "test_topo_cli: $fails failure(s)"
	exit 1
fi
echo "test_topo_cli: ok"
