#!/bin/bash
# bench.sh: run an ipibench sweep into a results folder, then draw it.
#
#   scripts/bench.sh [-c CONFIG] [-b BACKENDS] [-r RESULTS] [-- RUN FLAGS]
#
# Environment: IPIBENCH (the binary, required), PYTHON (an interpreter
# that imports matplotlib; without one the plots and the report are
# skipped with a note).  `make bench` sets both.
#
# Writes RESULTS/<host>-<UTC timestamp>/ (RESULTS defaults to results):
#   bench.json topology.xml config.ini costs.csv   from `ipibench run --out`
#   console.log                          everything the run printed
#   plots/ REPORT.md                     plot/plot.py, plot/report.py
# first into RESULTS/.<name>.tmp, renamed when done; RESULTS/latest is a
# symbolic link to the newest run, replaced atomically.
#
# One at a time: RESULTS/.lock (flock) is held for the whole run, and a
# second make bench on the same RESULTS is refused (exit 75); ipibench
# itself refuses a second run on the machine.  Under the lock, the
# leftovers of a make bench that was killed outright (SIGKILL, a crash,
# a power cut: a RESULTS/.<name>.tmp) are tidied first: a cut-off
# bench.json is salvaged (plot/salvage.py) and the folder renamed
# <name>-incomplete, with an INCOMPLETE file saying so.
#
# A run that does not finish (Ctrl-C, SIGTERM, SIGHUP, make killed,
# ipibench failing or killed) keeps what it measured: ipibench skips the
# remaining benchmarks and its JSON stays valid (or is salvaged), the
# folder gets an INCOMPLETE file saying why, a REPORT.md saying so, and
# its name ends in -incomplete.  A signal while the plots are drawn stops
# the drawing only: the measurement is whole, the folder is not marked
# (`make plot RUN=...` draws them).  Signals: scripts/supervise.sh.
#
# Exit status: 0 complete; ipibench's status when it failed or was
# interrupted (130 for SIGINT, 143 SIGTERM, 129 SIGHUP); 128 + the
# signal when the drawing was cut; 2 bad usage or a configuration
# ipibench refused (nothing written); 75 another run holds the lock.
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/supervise.sh"
config=configs/default.ini
backends=
results=results

usage() {
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
}

while getopts c:b:r:h opt; do
	case $opt in
	c) config=$OPTARG ;;
	b) backends=$OPTARG ;;
	r) results=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

die() { echo "bench: $*" >&2; exit 2; }

[ -n "${IPIBENCH:-}" ] || die "IPIBENCH is not set (the ipibench binary; make bench sets it)"
[ -x "$IPIBENCH" ] || die "$IPIBENCH: not an executable (build it with make)"
[ -r "$config" ] || die "$config: cannot read the configuration"
PYTHON=${PYTHON:-}

host=$(hostname -s 2>/dev/null || hostname)
mkdir -p "$results" || die "$results: cannot create the results folder"

# The lock: fd 9, inherited by ipibench, so that it stays held while an
# ipibench orphaned by a killed make bench is still finishing.
exec 9>>"$results/.lock" || die "$results/.lock: cannot open the lock file"
if ! flock -n 9; then
	holder=$(cat "$results/.lock" 2>/dev/null)
	echo "bench: another make bench is writing to $results${holder:+ ($holder)}:" \
	    "wait for it to finish (two runs at once spoil each other's" \
	    "timings); nothing written" >&2
	exit 75
fi
printf 'pid %s, since %s\n' "$$" "$(date -u +%H:%M:%SZ)" >"$results/.lock"

# tidy DIR: a RESULTS/.<name>.tmp left by a make bench killed outright
# (nothing else can hold one: we hold the lock).  An INCOMPLETE file
# there means it was killed while measuring (bench.sh writes one first
# and removes it when ipibench is done); without one the measurement
# is whole and only the drawing or the renaming was cut.
tidy() {
	local d=$1 base final what salv=
	base=${d##*/}; base=${base#.}; base=${base%.tmp}
	rm -f "$d/.console.fifo"	# left by bench.sh before 2026-11
	# salvage.py says nothing of a valid bench.json.
	[ -n "$PYTHON" ] && salv=$("$PYTHON" "$here/plot/salvage.py" "$d")
	if [ -e "$d/INCOMPLETE" ] || [ ! -s "$d/bench.json" ] || [ -n "$salv" ]; then
		{
			[ -e "$d/INCOMPLETE" ] && cat "$d/INCOMPLETE"
			echo "Found unfinished by the make bench of $(date -u +%Y-%m-%dT%H:%M:%SZ):" \
			    "the make bench writing it had been killed outright."
			if [ -n "$salv" ]; then echo "$salv"; fi
		} >"$d/INCOMPLETE.new" && mv "$d/INCOMPLETE.new" "$d/INCOMPLETE"
		final="$results/$base-incomplete"
		what="marked incomplete"
	else
		final="$results/$base"
		what="its measurement is whole"
	fi
	while [ -e "$final" ]; do final="$final-tidied"; done
	[ -e "$d/REPORT.md" ] ||
	    what="$what; plots and REPORT.md unfinished: make plot RUN=$final"
	mv "$d" "$final" &&
	    echo "bench: $d was left by a make bench killed outright: kept as $final ($what)"
}
rm -f "$results/.latest.new"
for d in "$results"/.*.tmp; do
	[ -d "$d" ] && tidy "$d"
done

# The run's name, taken under the lock and after the tidy: a second no
# folder there has.  A run started in the second a killed one started
# (and was just tidied) waits for the next, so that two folders never
# share a time and names sort as the runs ran.
taken() { [ -e "$1" ]; }	# its own "$@": ours go to ipibench
while :; do
	name="$host-$(date -u +%Y%m%dT%H%M%SZ)"
	taken "$results/$name"* || break
	sleep 0.25
done
tmp="$results/.$name.tmp"
mkdir "$tmp" || die "$tmp: cannot create"
log="$tmp/console.log"
start=$(date +%s)
# Until ipibench is done, the folder says what the run is, should
# nothing be left to say more.
echo "killed while ipibench was measuring (SIGKILL, a crash or a power cut):" \
    "nothing was left to mark the run" >"$tmp/INCOMPLETE"

sv_trap
trap '' PIPE	# the tee gone: our lines are lost, not the run

# Every line from here, ours and the children's, goes through one tee
# into console.log and to the terminal.  tee ignores the signals (the
# log keeps everything to the end) and a closed pipe downstream (-p).
fifo="$tmp/.console.fifo"
mkfifo "$fifo" || die "$fifo: mkfifo failed"
( trap '' INT TERM HUP; exec tee -p -a "$log" ) <"$fifo" &
teepid=$!
exec 3>&1 4>&2 >"$fifo" 2>&1
rm -f "$fifo"

# finish STATUS: the terminal back, the tee drained, exit.
finish() {
	sv_done
	exec >&3 2>&4 3>&- 4>&-
	wait "$teepid" 2>/dev/null
	exit "$1"
}

echo "bench: config $config${backends:+, backends $backends}; writing $results/$name"
echo "bench: $IPIBENCH run --config $config${backends:+ --backends $backends} --out $tmp $*"

rc=0
sv_run session "$IPIBENCH" run --config "$config" \
    ${backends:+--backends "$backends"} --out "$tmp" "$@" || rc=$?

# Refused before measuring (a bad config, an unknown flag: 2; another
# run holds ipibench's lock: 75): keep nothing.
if { [ "$rc" -eq 2 ] || [ "$rc" -eq 75 ]; } && [ ! -e "$tmp/bench.json" ]; then
	rm -rf "$tmp"
	if [ "$rc" -eq 2 ]; then
		echo "bench: ipibench refused the configuration (exit 2): nothing written" >&4
	else
		echo "bench: ipibench refused to start (exit 75, above): nothing written" >&4
	fi
	finish "$rc"
fi

reason=
if [ -n "$sv_signal" ]; then
	reason="interrupted by $(sv_what) (ipibench exit status $rc)"
else
	if [ "$rc" -ge 128 ]; then
		reason="ipibench stopped by signal $((rc - 128)) (exit status $rc)"
	elif [ "$rc" -ne 0 ]; then
		last=$(grep -E '^ipibench' "$log" | tail -n 1)
		reason="ipibench failed (exit status $rc)${last:+: $last}"
	fi
fi

json_ok=no
if [ ! -s "$tmp/bench.json" ]; then
	reason="${reason:-ipibench wrote no bench.json}; no bench.json"
elif [ -z "$PYTHON" ]; then
	json_ok=yes
elif salv=$("$PYTHON" "$here/plot/salvage.py" "$tmp"); then
	# Valid as written (nothing said), or salvaged (said what).
	json_ok=yes
	[ -n "$salv" ] && reason="${reason:-bench.json cut off}; $salv"
else
	reason="${reason:-bench.json incomplete}; bench.json is not valid JSON (kept as written): $salv"
fi
if [ "$json_ok" = yes ] && [ -n "$PYTHON" ] && [ -n "$reason" ]; then
	nint=$("$PYTHON" -c 'import json, sys
b = json.load(open(sys.argv[1]))["benchmarks"]
print(len({x["run_name"] for x in b if x.get("error_message") == "interrupted"}))' \
	    "$tmp/bench.json" 2>/dev/null)
	[ -n "$nint" ] && [ "$nint" -gt 0 ] &&
	    reason="$reason; $nint benchmarks cut short or skipped (error \"interrupted\" in bench.json)"
fi
if [ -n "$reason" ]; then
	printf '%s\n' "$reason" >"$tmp/INCOMPLETE"
else
	rm -f "$tmp/INCOMPLETE"
fi

final="$results/$name"
[ -e "$tmp/INCOMPLETE" ] && final="$final-incomplete"

# Pictures and report, from whatever was measured.  A signal now stops
# the drawing, not the run.
cut=
if [ "$json_ok" = yes ]; then
	if [ -z "$PYTHON" ]; then
		echo "bench: no Python with matplotlib: plots and REPORT.md skipped (apt-get install python3-matplotlib, then make plot RUN=$final)"
	else
		n=$sv_count
		prc=0
		sv_run group env MPLBACKEND=Agg "$PYTHON" "$here/plot/plot.py" "$tmp" || prc=$?
		if [ "$sv_count" -ne "$n" ]; then
			cut=plots
		elif [ "$prc" -ne 0 ]; then
			echo "bench: plot: exit status $prc (see above); the run itself is kept"
		fi
		[ -z "$cut" ] && sv_run group "$PYTHON" "$here/plot/report.py" "$tmp"
		[ -z "$cut" ] && [ "$sv_count" -ne "$n" ] && cut=REPORT.md
	fi
fi
[ -n "$cut" ] &&
    echo "bench: $(sv_what) while drawing: $cut cut short, the measurement is whole; make plot RUN=$final draws them"

elapsed=$(( $(date +%s) - start ))
if [ -e "$tmp/INCOMPLETE" ]; then
	echo "bench: INCOMPLETE: $(cat "$tmp/INCOMPLETE")"
fi
echo "bench: done in $((elapsed / 60))m$((elapsed % 60))s: $final"
mv "$tmp" "$final" || { echo "bench: cannot rename $tmp to $final"; finish 1; }
# results/latest, replaced in one rename: never missing, never half made.
ln -s "$(basename "$final")" "$results/.latest.new" 2>/dev/null &&
    mv -T "$results/.latest.new" "$results/latest" 2>/dev/null
if [ -e "$final/INCOMPLETE" ]; then
	[ "$rc" -ne 0 ] && finish "$rc"
	[ -n "$sv_signal" ] && finish "$(sv_status)"
	finish 1
fi
[ -n "$cut" ] && finish "$(sv_status)"
finish 0
