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
# Each run is checked before compare.py sees it (plot/filter_json.py): a
# folder with a bench.json, or a regular file of Google Benchmark JSON
# (a "context" object, a non-empty "benchmarks" list whose entries have
# a name and, unless they report an error, real_time, cpu_time,
# time_unit, iterations, run_type of the right types), a FILTER one
# key:value segment that some benchmark without error has, and some
# benchmark name common to both sides.  Otherwise one line naming the
# file and what is wrong, exit 2, no temporary file left.
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

# The bench.json a run names (a folder's, or the file itself).
json_of() { if [ -d "$1" ]; then printf "%s/bench.json\n" "$1"; else printf "%s\n" "$1"; fi; }

[ -n "$A" ] || die "usage: make compare A=RUN B=RUN, or A=RUN FILTER_A=backend:X FILTER_B=backend:Y"
[ -n "$B" ] || B=$A
if { [ -n "$FILTER_A" ] && [ -z "$FILTER_B" ]; } ||
    { [ -z "$FILTER_A" ] && [ -n "$FILTER_B" ]; }; then
	die "FILTER_A and FILTER_B go together"
fi
for r in "$A" "$B"; do
	[ -e "$r" ] || die "$r: no such run folder or JSON file"
done
if [ "$FILTER_A" = "$FILTER_B" ] &&
    { [ "$A" = "$B" ] || [ "$(json_of "$A")" -ef "$(json_of "$B")" ]; }; then
	if [ -z "$FILTER_A" ]; then
		die "A and B are the same run: give B=, or FILTER_A= and FILTER_B="
	fi
	die "A and B are the same run with the same filter ($FILTER_A): nothing to compare"
fi
[ -r "$COMPARE" ] || die "$COMPARE missing: apt-get install libbenchmark-tools"
"$CPY" -c 'import scipy' 2>/dev/null ||
    die "$CPY cannot import scipy (compare.py's U test): apt-get install python3-scipy"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipibench-compare.XXXXXX" 2>/dev/null) ||
    die "cannot make a temporary folder in ${TMPDIR:-/tmp}"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE	# output to a pager or head that quit: still clean up
# Each side checked and filtered (exit 2 with the reason on a bad input).
"$CPY" "$here/plot/filter_json.py" --as A "$A" "$tmp/a.json" ${FILTER_A:+"$FILTER_A"} ||
    exit $?
"$CPY" "$here/plot/filter_json.py" --as B "$B" "$tmp/b.json" ${FILTER_B:+"$FILTER_B"} ||
    exit $?
"$CPY" "$here/plot/filter_json.py" --pairs "$tmp/a.json" "$tmp/b.json" ||
    exit $?
echo "compare: A = $A${FILTER_A:+ [$FILTER_A]}, B = $B${FILTER_B:+ [$FILTER_B]}"
# compare.py's own failures (a bad option, a -d file it cannot write):
# its last line, not its traceback.
rc=0
"$CPY" "$COMPARE" --no-color "$@" benchmarks "$tmp/a.json" "$tmp/b.json" \
    2>"$tmp/err" || rc=$?
# Its output's reader quit (head, a pager): nothing more to say.
grep -q '^BrokenPipeError' "$tmp/err" && exit 141
if grep -q 'assert not unknown_args' "$tmp/err"; then
	die "$COMPARE does not take the extra arguments '$*' (it takes -a, -d FILE, --no-utest, --alpha A)"
fi
if grep -q '^Traceback' "$tmp/err"; then
	die "$COMPARE failed (exit $rc) on A and B: $(tail -n 1 "$tmp/err")"
fi
cat "$tmp/err" >&2
[ $rc -eq 0 ] || exit $rc
"$CPY" "$here/plot/compare_p50.py" "$A" "$B" "$FILTER_A" "$FILTER_B"
