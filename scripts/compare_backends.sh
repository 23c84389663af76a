#!/bin/bash
# compare_backends.sh: backend B against backend A, each measured in
# several fresh processes, with a 95 % interval for each ratio.
#
#   scripts/compare_backends.sh -a A -b B [-n RUNS] [-c CONFIG]
#       [-w WORKLOADS] [-r RESULTS] [-- RUN FLAGS]
#
# Runs `ipibench run --backends A` and `--backends B` RUNS times each
# (default 5), in ABBA order (A B B A A B ...: a drift of the host over
# the session falls on both sides alike), each a fresh process writing
# its own folder RESULTS/compare-<UTC time>/A-1, B-1, ... (bench.json,
# topology.xml, config.ini, costs.csv, console.log), then
# plot/compare_backends.py over them: the table on the terminal and in
# COMPARE.md and COMPARE.csv of that folder.
#
# Why fresh processes: on a VM the host places the vCPUs anew for each
# process, and that moves the figures far more than anything between
# the repetitions of one process; the invocations are the replicates
# (plot/compare_backends.py says more).
#
# Environment: IPIBENCH (the binary, required), PYTHON (an interpreter
# with numpy; default /usr/bin/python3).  `make compare-backends` sets
# both.  RUN FLAGS go to every `ipibench run` after the others (flags
# override the config, the later the earlier).
#
# Exit status: 0 compared (whatever the verdicts); 1 an invocation or
# the comparison failed (the message names the folder and its
# console.log); 2 bad usage, or ipibench refused the arguments (nothing
# kept); 128 + the signal when interrupted: the invocations written are
# kept, the one cut short is marked INCOMPLETE, and no table is made
# (the message says how to make one from the complete ones).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
a=
b=
runs=5
config=
workloads=
results=results

usage() {
	sed -n '4,5p' "$0" | sed 's/^# \{0,1\}//'
}
die() { echo "compare-backends: $*" >&2; exit 2; }

while getopts a:b:n:c:w:r:h opt; do
	case $opt in
	a) a=$OPTARG ;;
	b) b=$OPTARG ;;
	n) runs=$OPTARG ;;
	c) config=$OPTARG ;;
	w) workloads=$OPTARG ;;
	r) results=${OPTARG:-results} ;;
	h) sed -n '2,/^set/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

[ -n "$a" ] && [ -n "$b" ] ||
    die "usage: make compare-backends A=BACKEND B=BACKEND [RUNS=5] (e.g. A=futex B=eventfd)"
case $runs in
''|*[!0-9]*) die "RUNS=$runs: a number of invocations per backend, at least 1" ;;
esac
[ "$runs" -ge 1 ] || die "RUNS=$runs: at least 1 (2 or more for an interval)"
[ -n "${IPIBENCH:-}" ] || die "IPIBENCH is not set (the ipibench binary; make compare-backends sets it)"
[ -x "$IPIBENCH" ] || die "$IPIBENCH: not an executable (build it with make)"
[ -z "$config" ] || [ -r "$config" ] || die "$config: cannot read the configuration"
PYTHON=${PYTHON:-/usr/bin/python3}
"$PYTHON" -c 'import numpy' 2>/dev/null ||
    die "$PYTHON cannot import numpy (the bootstrap): apt-get install python3-numpy"

# The flags of every invocation but --backends and --out.
flags=()
[ -n "$config" ] && flags+=(--config "$config")
[ -n "$workloads" ] && flags+=(--workloads "$workloads")
flags+=("$@")

# Both backends' arguments checked before anything runs (a dry run
# takes a tenth of a second).
for x in "$a" "$b"; do
	if ! plan=$("$IPIBENCH" run --dry-run --backends "$x" "${flags[@]}" 2>&1); then
		printf '%s\n' "$plan" | tail -n 5 >&2
		die "ipibench refused the arguments for backend $x (above): nothing run"
	fi
done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$results/compare-$stamp"
i=1
while [ -e "$out" ]; do out="$results/compare-$stamp-$i"; i=$((i + 1)); done
mkdir -p "$out" || die "$out: cannot create the folder"

total=$((2 * runs))
start=$(date +%s)
mmss() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }
clock() { mmss $(( $(date +%s) - start )); }
# left K: the time the invocations after the first K may take, at the
# pace so far.
left() {
	[ "$1" -gt 0 ] || return 0
	printf ', about %s left' "$(mmss $(( ($(date +%s) - start) * (total - $1) / $1 )))"
}
echo "compare-backends: A = $a, B = $b, $runs invocations each (ABBA order) into $out"
echo "compare-backends: each: $IPIBENCH run --backends A|B ${flags[*]} --out $out/A-i|B-i"

# ipibench runs in its own session and gets each signal once from here
# (scripts/supervise.sh): it ends the benchmark in progress, writes
# valid JSON and exits 128 + the signal; a second signal kills it.
. "$here/scripts/supervise.sh"
sv_trap

# stop_interrupted WHAT: say what was kept, and exit 128 + the signal.
stop_interrupted() {
	echo "compare-backends: interrupted by $(sv_what) $1 after $(clock):" \
	    "the invocations written are kept in $out (one cut short is marked" \
	    "INCOMPLETE and left out of a comparison); no comparison made." \
	    "Compare the complete ones with:" \
	    "$PYTHON $here/plot/compare_backends.py $out" >&2
	sv_done
	exit "$(sv_status)"
}

declare -A count=([A]=0 [B]=0)
for k in $(seq 0 $((total - 1))); do
	[ -n "$sv_signal" ] && stop_interrupted "before invocation $((k + 1)) of $total"
	# ABBA: pairs alternate A B, B A, ...
	if [ $(( (k / 2 + k) % 2 )) -eq 0 ]; then side=A; be=$a; else side=B; be=$b; fi
	count[$side]=$((count[$side] + 1))
	dir="$out/$side-${count[$side]}"
	mkdir "$dir"
	echo "compare-backends: invocation $((k + 1)) of $total: $side = $be -> $dir (elapsed $(clock)$(left $k))"
	rc=0
	sv_run session "$IPIBENCH" run --backends "$be" "${flags[@]}" \
	    --out "$dir" >"$dir/console.log" 2>&1 || rc=$?
	if [ -n "$sv_signal" ]; then
		echo "interrupted by $(sv_what) (ipibench exit status $rc)" >"$dir/INCOMPLETE"
		stop_interrupted "during invocation $((k + 1)) of $total ($dir)"
	fi
	if [ "$rc" -ne 0 ]; then
		echo "ipibench failed (exit status $rc)" >"$dir/INCOMPLETE"
		echo "compare-backends: invocation $((k + 1)) of $total ($side = $be) failed:" \
		    "ipibench exit status $rc; its output: $dir/console.log, ending:" >&2
		grep -v '^\*\*\*WARNING\*\*\*' "$dir/console.log" | tail -n 5 | sed 's/^/  /' >&2
		echo "compare-backends: stopped; what ran is kept in $out" >&2
		exit 1
	fi
done
echo "compare-backends: $total invocations in $(clock); comparing"

rc=0
"$PYTHON" "$here/plot/compare_backends.py" --md "$out/COMPARE.md" \
    --csv "$out/COMPARE.csv" "$out" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "compare-backends: the comparison failed (exit status $rc); the runs are kept in $out" >&2
	exit 1
fi
{
	echo "How it was run: $total invocations, ABBA order, each"
	echo "\`$IPIBENCH run --backends $a|$b ${flags[*]} --out DIR\`"
	echo "($(date -u +%Y-%m-%dT%H:%MZ), $(clock) in all)."
} >>"$out/COMPARE.md"
echo "compare-backends: $out/COMPARE.md, $out/COMPARE.csv"
