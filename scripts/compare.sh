#!/bin/sh
# compare.sh: compare two runs, or two filters of runs, with Google
# Benchmark's own compare.py (Debian libbenchmark-tools; its U test needs
# python3-scipy and Debian's /usr/bin/python3).
#
#   A=RUN B=RUN scripts/compare.sh                    two runs, name by name
#   A=RUN FILTER_A=backend:futex FILTER_B=backend:eventfd scripts/compare.sh
#                                                     two backends of one run
#   A=RUN B=RUN FILTER_A=... FILTER_B=...             a filter of each run
#
# RUN is a results folder or a bench.json.  A FILTER is a name segment
# (results/README.md): the benchmarks that have it are kept and the
# segment removed, so that the two sides have the same names.
# Benchmarks with errors are left out.  Extra arguments go to compare.py
# (e.g. -a: aggregates only).  Positive "Time" change: B is slower.
#
# compare.py compares means (Google's tool, kept as it is).  After its
# table, plot/compare_p50.py pairs the same benchmarks by p50, B's p50
# over A's, and each side's x_ref (the ratio to the in-situ reference of
# the same shape, without the repetitions whose reference moved): the
# ratios our scripts compute are of p50s, never of means.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
COMPARE=${COMPARE:-/usr/share/benchmark/compare.py}
CPY=${COMPARE_PYTHON:-/usr/bin/python3}
A=${A:-}
B=${B:-}
FILTER_A=${FILTER_A:-}
FILTER_B=${FILTER_B:-}

die() { echo "compare: $*" >&2; exit 2; }

[ -n "$A" ] || die "usage: make compare A=RUN B=RUN, or A=RUN FILTER_A=backend:X FILTER_B=backend:Y"
[ -n "$B" ] || B=$A
if [ "$A" = "$B" ] && [ -z "$FILTER_A$FILTER_B" ]; then
	die "A and B are the same run: give B=, or FILTER_A= and FILTER_B="
fi
if { [ -n "$FILTER_A" ] && [ -z "$FILTER_B" ]; } ||
    { [ -z "$FILTER_A" ] && [ -n "$FILTER_B" ]; }; then
	die "FILTER_A and FILTER_B go together"
fi
for r in "$A" "$B"; do
	[ -e "$r" ] || die "$r: no such run folder or JSON file"
done
[ -r "$COMPARE" ] || die "$COMPARE missing: apt-get install libbenchmark-tools"
"$CPY" -c 'import scipy' 2>/dev/null ||
    die "$CPY cannot import scipy (compare.py's U test): apt-get install python3-scipy"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipibench-compare.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
"$CPY" "$here/plot/filter_json.py" "$A" "$tmp/a.json" $FILTER_A || exit 1
"$CPY" "$here/plot/filter_json.py" "$B" "$tmp/b.json" $FILTER_B || exit 1
echo "compare: A = $A${FILTER_A:+ [$FILTER_A]}, B = $B${FILTER_B:+ [$FILTER_B]}"
"$CPY" "$COMPARE" --no-color "$@" benchmarks "$tmp/a.json" "$tmp/b.json"
"$CPY" "$here/plot/compare_p50.py" "$A" "$B" "$FILTER_A" "$FILTER_B"
