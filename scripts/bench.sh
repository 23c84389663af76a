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
#   bench.json topology.xml config.ini   from `ipibench run --out`
#   console.log                          everything the run printed
#   plots/ REPORT.md                     plot/plot.py, plot/report.py
# first into RESULTS/.<name>.tmp, renamed when done; RESULTS/latest is a
# symbolic link to the newest run.  A run that does not
# finish (Ctrl-C, SIGTERM, ipibench failing) keeps what it measured
# (ipibench skips the remaining benchmarks, so its JSON stays valid), gets
# an INCOMPLETE file saying why, a REPORT.md saying so, and the folder
# name ends in -incomplete.
#
# ipibench runs in its own session and this script forwards SIGINT and
# SIGTERM (SIGHUP as SIGTERM) to it, once per signal received: the first
# makes it stop cleanly, a second kills it (its way out of a hang).  tee
# ignores them, so the log keeps everything to the end.
#
# Exit status: 0 complete; ipibench's status when it failed or was
# interrupted (130 for SIGINT); 2 bad usage (nothing written).
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
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
stamp=$(date -u +%Y%m%dT%H%M%SZ)
name="$host-$stamp"
tmp="$results/.$name.tmp"
mkdir -p "$results" || die "$results: cannot create the results folder"
mkdir "$tmp" || die "$tmp: cannot create"

log="$tmp/console.log"
start=$(date +%s)
interrupted=
pid=

note() { echo "bench: $*" | tee -a "$log"; }

forward() {
	interrupted=$1
	[ -n "$pid" ] && kill -s "$1" "$pid" 2>/dev/null
}
trap 'forward INT' INT
trap 'forward TERM' TERM
trap 'forward TERM' HUP		# terminal gone: stop cleanly, as on TERM

note "config $config${backends:+, backends $backends}; writing $results/$name"
note "$IPIBENCH run --config $config${backends:+ --backends $backends} --out $tmp $*"

fifo="$tmp/.console.fifo"
mkfifo "$fifo" || die "$fifo: mkfifo failed"
( trap '' INT TERM HUP; exec tee -a "$log" ) <"$fifo" &
teepid=$!
setsid "$IPIBENCH" run --config "$config" ${backends:+--backends "$backends"} \
    --out "$tmp" "$@" >"$fifo" 2>&1 </dev/null &
pid=$!
# wait returns early when a trapped signal arrives: wait again until
# ipibench is gone, then once more for its saved exit status.
while kill -0 "$pid" 2>/dev/null; do
	wait "$pid"
done
wait "$pid"
rc=$?
pid=
wait "$teepid" 2>/dev/null
rm -f "$fifo"

# Bad usage (a bad config, an unknown flag): nothing was measured, keep
# nothing.
if [ "$rc" -eq 2 ] && [ ! -e "$tmp/bench.json" ]; then
	rm -rf "$tmp"
	echo "bench: ipibench refused the configuration (exit 2): nothing written" >&2
	exit 2
fi

reason=
if [ -n "$interrupted" ]; then
	reason="interrupted by SIG$interrupted (ipibench exit status $rc)"
elif [ "$rc" -ge 128 ]; then
	reason="ipibench stopped by signal $((rc - 128)) (exit status $rc)"
elif [ "$rc" -ne 0 ]; then
	last=$(grep -E '^ipibench' "$log" | tail -n 1)
	reason="ipibench failed (exit status $rc)${last:+: $last}"
fi

json_ok=no
if [ -s "$tmp/bench.json" ]; then
	if [ -z "$PYTHON" ] ||
	    "$PYTHON" -c 'import json, sys; json.load(open(sys.argv[1]))' \
	    "$tmp/bench.json" 2>/dev/null; then
		json_ok=yes
	else
		reason="${reason:-bench.json incomplete}; bench.json is not valid JSON (kept as written)"
	fi
else
	reason="${reason:-ipibench wrote no bench.json}; no bench.json"
fi
if [ "$json_ok" = yes ] && [ -n "$PYTHON" ]; then
	nint=$("$PYTHON" -c 'import json, sys
b = json.load(open(sys.argv[1]))["benchmarks"]
print(len({x["run_name"] for x in b if x.get("error_message") == "interrupted"}))' \
	    "$tmp/bench.json" 2>/dev/null)
	[ -n "$reason" ] && [ -n "$nint" ] && [ "$nint" -gt 0 ] &&
	    reason="$reason; $nint benchmarks cut short or skipped (error \"interrupted\" in bench.json)"
fi
[ -n "$reason" ] && printf '%s\n' "$reason" >"$tmp/INCOMPLETE"

# Pictures and report, from whatever was measured.
if [ "$json_ok" = yes ]; then
	if [ -z "$PYTHON" ]; then
		note "no Python with matplotlib: plots and REPORT.md skipped (apt-get install python3-matplotlib, then make plot RUN=...)"
	else
		MPLBACKEND=Agg "$PYTHON" "$here/plot/plot.py" "$tmp" 2>&1 | tee -a "$log"
		prc=${PIPESTATUS[0]}
		if [ -n "$interrupted" ] && [ -z "$reason" ]; then
			reason="interrupted by SIG$interrupted while drawing the plots"
			printf '%s\n' "$reason" >"$tmp/INCOMPLETE"
		elif [ "$prc" -ne 0 ]; then
			note "plot: exit status $prc (see above); the run itself is kept"
		fi
		"$PYTHON" "$here/plot/report.py" "$tmp" 2>&1 | tee -a "$log"
	fi
fi

elapsed=$(( $(date +%s) - start ))
final="$results/$name"
[ -e "$tmp/INCOMPLETE" ] && final="$final-incomplete"
if [ -e "$tmp/INCOMPLETE" ]; then
	note "INCOMPLETE: $(cat "$tmp/INCOMPLETE")"
fi
note "done in $((elapsed / 60))m$((elapsed % 60))s: $final"
mv "$tmp" "$final" || { echo "bench: cannot rename $tmp to $final" >&2; exit 1; }
ln -sfn "$(basename "$final")" "$results/latest" 2>/dev/null || true
if [ -e "$final/INCOMPLETE" ]; then
	[ "$rc" -ne 0 ] && exit "$rc"
	exit 1
fi
exit 0
