# supervise.sh: run one child at a time, pass signals on once, and stop
# when our parent goes away.  Sourced (bash) by bench.sh and
# compare_backends.sh.
#
#   sv_trap               trap INT, TERM, HUP; watch the parent
#   sv_run session|group CMD [ARGS]   run CMD, wait for it => its status
#   sv_done               stop watching the parent (before exiting)
#   sv_signal             the first signal received: INT, TERM, HUP, or
#                         PARENT when the parent went away; "" if none
#   sv_count              how many signals were received (a change
#                         across sv_run: the child was signalled)
#   sv_status             => 128 + that signal (PARENT counts as TERM)
#   sv_what               that signal in words ("SIGINT", "its parent
#                         going away")
#
# A `session` child (ipibench) runs in a session of its own: a terminal's
# Ctrl-C, or a signal to our process group, reaches this script only,
# and the child gets the signal once from here.  The first stops it
# cleanly (ipibench ends the benchmark in progress and writes valid
# JSON); a second, a second or more later, kills it (a way out of a
# hang).  A signal that arrives twice at once (sent to the group and
# passed on by make, which forwards SIGTERM to its child) counts once.
# If this script is killed outright, ipibench still stops: it asks the
# kernel for SIGTERM when its parent dies (PR_SET_PDEATHSIG).
#
# A `group` child (Python: the plots) stays in our process group, so
# that a signal to the group -- SIGKILL included -- reaches it, and gets
# SIGTERM from here: it dies at once, without a traceback (a background
# child of a script starts with SIGINT ignored, and Python keeps it so).
#
# The parent: make passes SIGTERM on to its child and waits for it
# (SIGINT and SIGHUP it does not pass on: sent to make alone, the run
# finishes); a SIGKILL to make alone leaves this script running,
# reparented.  A watcher looks at our parent every half second; when it
# has changed, the script gets SIGUSR1, handled as a SIGTERM whose
# reason is PARENT.

sv_signal=
sv_count=0
sv_pid=
sv_mode=
sv_last_us=0
sv_watcher=
sv_parent=$PPID
exec {sv_nap}<> <(:)	# a pipe nobody writes: read -t on it naps

# sv_on SIG: count the signal and remember the first; pass it on to
# the child.  Signals within a second of the one before count as that
# one (a TERM sent to the group and passed on by make is one TERM).
sv_on() {
	local now=${EPOCHREALTIME//[!0-9]/} send=$1
	[ $((now - sv_last_us)) -lt 1000000 ] && return 0
	sv_last_us=$now
	sv_count=$((sv_count + 1))
	[ -n "$sv_signal" ] || sv_signal=$1
	[ -n "$sv_pid" ] || return 0
	case $1 in PARENT|HUP) send=TERM ;; esac
	[ "$sv_mode" = group ] && send=TERM
	kill -s "$send" "$sv_pid" 2>/dev/null || true
}

sv_trap() {
	trap 'sv_on INT' INT
	trap 'sv_on TERM' TERM
	trap 'sv_on HUP' HUP
	trap 'sv_on PARENT' USR1
	trap 'sv_done' EXIT
	(
		trap '' INT TERM HUP
		me=$$
		while :; do
			read -r -t 0.5 -u "$sv_nap" || true	# no fork: PUs are timed
			read -r s 2>/dev/null <"/proc/$me/stat" || exit 0
			set -- ${s##*) }
			if [ "$2" != "$sv_parent" ]; then
				kill -USR1 "$me" 2>/dev/null
				exit 0
			fi
		done
	) </dev/null >/dev/null 2>&1 &
	sv_watcher=$!
}

sv_done() {
	[ -n "$sv_watcher" ] && kill "$sv_watcher" 2>/dev/null
	sv_watcher=
	return 0
}

sv_status() {
	case $sv_signal in
	INT) echo 130 ;;
	HUP) echo 129 ;;
	*) echo 143 ;;
	esac
}

sv_what() {
	case $sv_signal in
	PARENT) echo "its parent (pid $sv_parent) going away" ;;
	*) echo "SIG$sv_signal" ;;
	esac
}

# sv_alive PID: PID runs (a zombie does not).
sv_alive() {
	local s
	# read, not $(<...): under set -e bash 5.2 exits on the latter
	# when the file has gone.
	read -r s 2>/dev/null <"/proc/$1/stat" || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}

sv_run() {
	local mode=$1 rc=0 n=$sv_count
	shift
	sv_mode=$mode
	if [ "$mode" = session ]; then
		setsid "$@" </dev/null &
	else
		"$@" </dev/null &
	fi
	sv_pid=$!
	# A signal that came before sv_pid was known was not passed on.
	if [ "$sv_count" -ne "$n" ]; then
		sv_last_us=0
		sv_count=$((sv_count - 1))
		sv_on "$sv_signal"
	fi
	# Polled, not `wait`ed: bash 5.2's wait for a pid can hang for good
	# when two trapped signals arrive while it waits (seen with a TERM
	# sent to the group and passed on by make).  Once gone, the child's
	# saved status.
	while sv_alive "$sv_pid"; do
		read -r -t 0.1 -u "$sv_nap" || true	# a nap without a sleep
	done					# that a group's signal kills
	wait "$sv_pid" || rc=$?
	sv_pid=
	return "$rc"
}
