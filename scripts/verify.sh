#!/bin/sh
# verify.sh: check the Promela models of models/ with spin (make verify).
#
# Each check is a model, the -D switches that pick a variant, and the
# outcome expected: "pass" (exhaustive search, no assertion violated, no
# invalid end state), "assert:TEXT" (pan finds that assertion violated) or
# "endstate" (pan finds an invalid end state: a lost wake-up or message).
# A check runs in build/verify/NAME/: spin -a, gcc pan.c, ./pan.  A
# failing variant is searched for its shortest counterexample (pan -i)
# and leaves NAME/model.pml.trail and NAME/replay.sh to print it.
#
# Prints one line per check, in order, and exits non-zero if any outcome
# is not the one expected.  models/README.md says what each check shows.
#
#   sh scripts/verify.sh            every check
#   sh scripts/verify.sh PATTERN    the checks whose name contains PATTERN
#   JOBS=N                          checks run at once (default: the CPUs)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/verify
CC=${CC:-gcc}
ONLY=${1:-}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

# pan: safety only (assertions, invalid end states); small state spaces,
# so compile time dominates: -O0.  -m: search depth bound (a search that
# hits it is reported as incomplete, never as proved); -w20: hash table.
PAN_CFLAGS="-O0 -w -DSAFETY"
PAN_RUN="-n -m100000 -w20"

nok=0
nbad=0
batch=""
nbatch=0
t0=$(date +%s)

# run_check NAME DIR MODEL DEFINES EXPECT WHAT: one check, its line to
# stdout (DIR/result when run by check).
run_check() {
	name=$1 dir=$2 model=$3 defs=$4 expect=$5 what=$6

	cp "$ROOT/models/$model" "$dir/model.pml"

	flags=$PAN_CFLAGS
	run=$PAN_RUN
	if [ "$expect" != pass ]; then
		flags="$flags -DREACH"	# pan -i: shortest counterexample
		run="$run -i"
	fi
	# shellcheck disable=SC2086
	if ! (cd "$dir" && spin $defs -a model.pml >spin.log 2>&1); then
		bad "$name" "spin -a failed: $dir/spin.log"
		return 0
	fi
	# shellcheck disable=SC2086
	if ! (cd "$dir" && $CC $flags -o pan pan.c >cc.log 2>&1); then
		bad "$name" "$CC pan.c failed: $dir/cc.log"
		return 0
	fi
	# shellcheck disable=SC2086
	(cd "$dir" && ./pan $run >pan.log 2>&1) || true

	log=$dir/pan.log
	errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
	depth=$(sed -n 's/.*depth reached \([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
	states=$(awk '/states, stored/ { n = $1 } END { print n }' "$log")
	first=$(sed -n 's/^pan:1: \(.*\) (at depth [0-9]*)$/\1/p' "$log" | head -n 1)
	size="$states states stored, depth $depth"
	if [ -z "$errors" ] || [ -z "$states" ]; then
		bad "$name" "pan did not finish: $log"
		return 0
	fi
	if grep -q 'max search depth too small' "$log"; then
		bad "$name" "search incomplete (depth bound hit): $log"
		return 0
	fi

	case $expect in
	pass)
		if [ "$errors" -eq 0 ]; then
			good "$name" "proved | $size | $what"
		else
			bad "$name" "expected to pass, found: $first | $size |" \
			    "trail in $dir"
		fi
		;;
	assert:* | endstate)
		if [ "$expect" = endstate ]; then
			want="invalid end state"
		else
			want="assertion violated ${expect#assert:}"
		fi
		if [ "$errors" -gt 0 ] && [ "$first" = "$want" ]; then
			steps=$(grep -c '^[0-9]' "$dir/model.pml.trail" || true)
			printf 'cd %s && spin -t -p -g -l %s model.pml\n' \
			    "$dir" "$defs" >"$dir/replay.sh"
			good "$name" "counterexample as expected: $want," \
			    "$steps steps | $size | $what"
		elif [ "$errors" -eq 0 ]; then
			bad "$name" "expected '$want', but it passed | $size"
		else
			bad "$name" "expected '$want', found '$first' | $size"
		fi
		;;
	*)
		bad "$name" "unknown expectation '$expect'"
		;;
	esac
}

good() {
	n=$1; shift
	printf 'ok    %-32s %s\n' "$n" "$*"
}

bad() {
	n=$1; shift
	printf 'FAIL  %-32s %s\n' "$n" "$*"
}

# flush: wait for the checks started, print their lines in order, count.
flush() {
	wait
	for d in $batch; do
		if [ -s "$d/result" ]; then
			cat "$d/result"
		else
			bad "${d#"$OUT/"}" "no result (crashed?): $d"
			echo FAIL >"$d/result"
		fi
		case $(cat "$d/result") in
		ok*)	nok=$((nok + 1)) ;;
		*)	nbad=$((nbad + 1)) ;;
		esac
	done
	batch=""
	nbatch=0
}

# check NAME MODEL DEFINES EXPECT WHAT: start a check, JOBS at a time.
check() {
	case $1 in *"$ONLY"*) ;; *) return 0 ;; esac
	dir=$OUT/$(echo "$1" | tr / -)
	rm -rf "$dir"
	mkdir -p "$dir"
	run_check "$1" "$dir" "$2" "$3" "$4" "$5" >"$dir/result.tmp" 2>&1 &&
	    mv "$dir/result.tmp" "$dir/result" &
	batch="$batch $dir"
	nbatch=$((nbatch + 1))
	[ "$nbatch" -lt "$JOBS" ] || flush
}

command -v spin >/dev/null 2>&1 ||
    { echo "verify.sh: spin not found (apt-get install spin)" >&2; exit 2; }
mkdir -p "$OUT"

# Model 1: ipi_unregister(N) with an IPI of N in flight (unregister.pml).
# The failing variants check the handler's KASSERT alone (KASSERT_ONLY);
# FIX also the ghost assert(!inN) at the clear.  The nested failing
# checks run without O's unicasts (NSEND=0): only a nested pass can
# break them.
KA='assert:(func[2]!=0)'
check unregister/seed unregister.pml "-DSEED -DKASSERT_ONLY" "$KA" \
    "NetBSD's order: a pending IPI of N finds func[N] == NULL"
check unregister/seed-nested unregister.pml \
    "-DSEED -DKASSERT_ONLY -DNESTED -DNSEND=0" "$KA" \
    "NetBSD's order, nested pass: func[N] == NULL"
check unregister/double unregister.pml "-DDOUBLE -DKASSERT_ONLY" "$KA" \
    "double drain: one pass acks both rounds (slot 1) before its bit N"
check unregister/double-nested unregister.pml \
    "-DDOUBLE -DKASSERT_ONLY -DNESTED -DNSEND=0" "$KA" \
    "double drain: a nested pass acks while the outer pass holds N"
check unregister/fix1 unregister.pml "-DFIX1 -DKASSERT_ONLY" "$KA" \
    "one round + pass wait: the acking pass swapped before the trigger"
check unregister/fix unregister.pml "-DFIX" pass \
    "2 x (drain + pass wait): IPIs of N in flight ran before func[N] = NULL"
check unregister/fix-nested unregister.pml "-DFIX -DNESTED" pass \
    "the same with a nested pass (outermost passes counted)"

# Model 2: the sleep/wake handshake (wakeup.pml).
check wakeup/futex-sc wakeup.pml "" pass \
    "futex, SC: no lost wake-up"
check wakeup/futex-sc-nofence wakeup.pml \
    "-DNO_TARGET_FENCE -DNO_KICKER_FENCE" pass \
    "futex, SC, no fences: still none (SC cannot see the fences)"
check wakeup/futex-sc-norecheck wakeup.pml "-DNO_RECHECK" endstate \
    "mutant that sleeps without re-checking has_work loses a wake-up"
check wakeup/futex-tso wakeup.pml "-DTSO" pass \
    "futex, TSO store buffers, both fences: no lost wake-up"
check wakeup/futex-tso-notargetfence wakeup.pml \
    "-DTSO -DNO_TARGET_FENCE" endstate \
    "TSO without idle's fence: lost wake-up"
check wakeup/futex-tso-nokickerfence wakeup.pml \
    "-DTSO -DNO_KICKER_FENCE" endstate \
    "TSO without kick's fence: lost wake-up"
check wakeup/eventfd-sc wakeup.pml "-DEVENTFD" pass \
    "eventfd, SC: no lost wake-up"
check wakeup/eventfd-tso wakeup.pml "-DEVENTFD -DTSO" pass \
    "eventfd, TSO, both fences: no lost wake-up"
check wakeup/eventfd-tso-notargetfence wakeup.pml \
    "-DEVENTFD -DTSO -DNO_TARGET_FENCE" endstate \
    "eventfd, TSO without idle's fence: lost wake-up"
check wakeup/eventfd-tso-nokickerfence wakeup.pml \
    "-DEVENTFD -DTSO -DNO_KICKER_FENCE" endstate \
    "eventfd, TSO without kick's fence: lost wake-up"

# Model 3: the store-buffering window of put_msg (mbox_window.pml).
check mbox/ordered mbox_window.pml "" pass \
    "CAS;load vs swap;load in program order (TSO, seq_cst): none lost"
check mbox/weak-sender mbox_window.pml "-DWEAK_SENDER" endstate \
    "sender's load before its CAS: a message is left in its slot"
check mbox/weak-target mbox_window.pml "-DWEAK_TARGET" endstate \
    "target's slot loads before its swap: a message is left"

flush
t1=$(date +%s)
if [ $((nok + nbad)) -eq 0 ]; then
	echo "verify: no check matches '$ONLY'" >&2
	exit 2
fi
if [ "$nbad" -ne 0 ]; then
	echo "verify: $nbad of $((nok + nbad)) checks NOT as expected ($((t1 - t0)) s; logs in $OUT)"
	exit 1
fi
echo "verify: all $nok checks as expected ($((t1 - t0)) s; logs and trails in build/verify/)"
