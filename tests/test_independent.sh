#!/bin/sh
# test_independent.sh: ipibench's `pingpong` and `futex_wake` yardsticks
# agree with an independent minimal program, tests/indep_pingpong.c
# (libc only: no code of harness/, ipi/ or workloads/).
#
# On the first two PUs this process may use (PU 0 and 1 here), PAIRS
# pairs of runs (10; INDEP_PAIRS=N for more), back to back, the order
# alternating from pair to pair: ipibench's two yardsticks (beside the
# futex backend) and the referee's pingpong and futex modes.  Each pair
# gives one ratio per yardstick, ipibench's p50 over the referee's.
#
# Why pairs and a sign test, not medians of three rounds: on a VM the
# host moves the two vCPUs apart and back every few seconds (pingpong
# 120 vs 310-510 ns), and a wake-up's p50 jumps between modes (16 vs
# 23 us) from one process to the next.  A median of three rounds per
# program then differs by 25 % or 4x with nothing wrong (this test
# failed CI that way).  A pair's two runs are a second apart, so a slow
# phase of the host mostly hits both; the pairs it splits are outliers
# on either side, and a sign test does not care how far out they lie.
#
# Verdict, per yardstick, with TOL = 15 %:
#   DISAGREE (fail)  at least CRIT of the PAIRS ratios lie beyond 1 + TOL,
#                    or at least CRIT below 1 - TOL, where CRIT is the
#                    smallest count a median ratio inside the band gives
#                    with probability <= 1.25 % (binomial, p = 1/2: a
#                    one-sided sign test; 9 of 10).  A yardstick that
#                    reports twice the truth fails every time.
#   agree            the median ratio lies within 1 +- TOL.
#   not shown        otherwise: the host's noise exceeds what PAIRS pairs
#                    can resolve; printed, and not a failure.
# The figures are printed either way: this checks the method, not a speed.
#
# futex_wake is compared with the referee's `futex -b`: its sender looks
# at the ack between PAUSE runs that double from 4 to 128, as the
# yardstick's (wake.c: "spins on the acknowledgement as ipi_wait() does
# (SPINLOCK_BACKOFF)").  With a 25 ns PAUSE (AMD Zen) that backoff sees
# the ack up to 3.2 us late, and a p50 snaps to its grid of looks: about
# +2 us (+10 to +20 %) over a spin that never pauses, more than the
# tolerance leaves.  The referee's plain spin runs too and is printed
# beside ("no-pause"): what the backoff costs.
#
# Skipped (exit 0, saying why) in a sanitizer build (SAN set: timings
# mean nothing there) and with fewer than 2 usable PUs.  The referee is
# compiled (without sanitizer flags) and its usage checked in every case.
# No new pair is begun after 45 s (a pair takes about 1 s here): the
# verdict then counts the pairs measured.
set -u
: "${IPIBENCH:?}" "${BUILD:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
TOL=15			# percent
PAIRS=${INDEP_PAIRS:-10}
case $PAIRS in ''|*[!0-9]*|0) echo "$0: INDEP_PAIRS=$PAIRS: expected a count >= 1" >&2; exit 2 ;; esac
me=test_independent

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

fail() {
	echo "$me: FAIL: $*"
	exit 1
}

# The referee, in the build folder, without sanitizer flags.
mkdir -p "$BUILD/tests" || exit 1
ref="$BUILD/tests/indep_pingpong"
timeout -k 5 60 ${CC:-gcc} -O2 -pthread -o "$ref" tests/indep_pingpong.c ||
    fail "cannot compile tests/indep_pingpong.c"
# It refuses bad arguments with its usage and status 2.
timeout -k 5 10 "$ref" pingpong 0 >/dev/null 2>"$tmp/usage"
rc=$?
[ "$rc" -eq 2 ] && grep -q '^usage:' "$tmp/usage" ||
    fail "indep_pingpong with a missing argument: exit $rc, not 2 with a usage"

if [ -n "${SAN:-}" ]; then
	echo "$me: skipped: sanitizer build (SAN=$SAN): timings mean nothing there"
	exit 0
fi
pus=$("$PYTHON" -c 'import os; print(*sorted(os.sched_getaffinity(0)))') ||
    fail "$PYTHON cannot list the usable PUs"
set -- $pus
if [ $# -lt 2 ]; then
	echo "$me: skipped: $# usable PU(s), the yardsticks need 2"
	exit 0
fi
a=$1 b=$2

# ipibench_run N: both yardsticks once; appends "PP FW BLOCKED" to ipb.
ipibench_run() {
	out="$tmp/ipb$1"
	if ! timeout -k 5 30 "$IPIBENCH" run --backends futex \
	    --workloads pingpong,futex_wake --cpus "$a,$b" --repetitions 1 \
	    --min_time 0.05 --out "$out" >"$out.log" 2>&1; then
		tail -n 20 "$out.log"
		fail "pair $1: ipibench run failed (exit status above)"
	fi
	"$PYTHON" - "$out/bench.json" >>"$tmp/ipb" <<'PY' ||
import json, sys
doc = json.load(open(sys.argv[1]))
got = {}
for b in doc["benchmarks"]:
    if b.get("run_type") != "iteration":
        continue
    w = b["name"].split("/")[0]
    if w not in ("pingpong", "futex_wake"):
        continue
    if b.get("error_occurred"):
        sys.exit("%s: error: %s" % (b["name"], b.get("error_message")))
    if w in got:
        sys.exit("%s: more than one benchmark of %s" % (b["name"], w))
    got[w] = b
for w in ("pingpong", "futex_wake"):
    if w not in got or "p50_ns" not in got[w]:
        sys.exit("no p50_ns of %s in bench.json" % w)
print("%.1f %.1f %s" % (got["pingpong"]["p50_ns"], got["futex_wake"]["p50_ns"],
                        got["futex_wake"].get("blocked_per_op", "-")))
PY
	    fail "pair $1: cannot read ipibench's figures"
}

# referee_run N: the referee once: pingpong, futex -b, futex (no pause);
# appends "PP FW BLOCKED FW_NOPAUSE" to ref.
referee_run() {
	for m in pingpong "-b futex" futex; do
		f="$tmp/ref$1.$(echo "$m" | tr -d ' -')"
		timeout -k 5 30 "$ref" -T 25 $m "$a" "$b" >"$f" 2>&1 || {
			cat "$f"
			fail "pair $1: indep_pingpong $m $a $b failed"
		}
	done
	pp=$(sed -n 's/^p50_ns \([0-9.]*\)$/\1/p' "$tmp/ref$1.pingpong")
	fw=$(sed -n 's/^p50_ns \([0-9.]*\)$/\1/p' "$tmp/ref$1.bfutex")
	bl=$(sed -n 's/^blocked_per_op \([0-9.]*\)$/\1/p' "$tmp/ref$1.bfutex")
	np=$(sed -n 's/^p50_ns \([0-9.]*\)$/\1/p' "$tmp/ref$1.futex")
	[ -n "$pp" ] && [ -n "$fw" ] && [ -n "$np" ] ||
	    fail "pair $1: no p50_ns line from indep_pingpong"
	echo "$pp $fw ${bl:--} $np" >>"$tmp/ref"
}

i=1
start=$(date +%s)
: >"$tmp/ipb"
: >"$tmp/ref"
while [ "$i" -le "$PAIRS" ] && [ $(($(date +%s) - start)) -le 45 ]; do
	if [ $((i % 2)) -eq 1 ]; then
		ipibench_run "$i"; referee_run "$i"
	else
		referee_run "$i"; ipibench_run "$i"
	fi
	i=$((i + 1))
done

# One line per pair, then per yardstick: the median ratio, the counts
# beyond the band, the verdict.  Exit 0 agree or not shown, 1 disagree.
awk -v tol="$TOL" -v pus="$a,$b" -v want="$PAIRS" '
function sort(v, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
}
function median(v, n,   i, w) {
	for (i = 1; i <= n; i++) w[i] = v[i] + 0
	sort(w, n)
	return n % 2 ? w[(n + 1) / 2] : (w[n / 2] + w[n / 2 + 1]) / 2
}
# The smallest k with P(Bin(n, 1/2) >= k) <= alpha (n + 1: never).
function crit(n, alpha,   k, c, tail) {
	tail = 0; c = 1		# c = C(n, k), walking k down from n
	for (k = n; k >= 0; k--) {
		tail += c / 2 ^ n
		if (tail > alpha)
			return k + 1
		c = c * k / (n - k + 1)
	}
	return n + 1
}
FNR == 1 { f++ }
f == 1 { ipp[FNR] = $1; ifw[FNR] = $2; ibl[FNR] = $3 }
f == 2 { rpp[FNR] = $1; rfw[FNR] = $2; rbl[FNR] = $3; rnp[FNR] = $4; n = FNR }
END {
	hi = 1 + tol / 100; lo = 1 - tol / 100; c = crit(n, 0.0125)
	printf("test_independent: PUs %s, %d of %d pairs, p50 in ns, " \
	    "tolerance %d %%\n", pus, n, want, tol)
	printf("  %4s %9s %9s %6s   %9s %9s %6s   %9s  %s\n", "pair",
	    "pp ipb", "pp ref", "ratio", "fw ipb", "fw ref", "ratio",
	    "fw nopause", "blocked ipb/ref")
	for (i = 1; i <= n; i++) {
		rp[i] = rpp[i] > 0 ? ipp[i] / rpp[i] : 1e9
		rf[i] = rfw[i] > 0 ? ifw[i] / rfw[i] : 1e9
		printf("  %4d %9.1f %9.1f %6.2f   %9.1f %9.1f %6.2f   %9.1f  %s/%s\n",
		    i, ipp[i], rpp[i], rp[i], ifw[i], rfw[i], rf[i], rnp[i],
		    ibl[i], rbl[i])
	}
	bad = 0
	for (y = 0; y < 2; y++) {
		name = y ? "futex_wake" : "pingpong"
		for (i = 1; i <= n; i++) r[i] = y ? rf[i] : rp[i]
		m = median(r, n); above = below = 0
		for (i = 1; i <= n; i++) {
			if (r[i] > hi) above++
			if (r[i] < lo) below++
		}
		if (above >= c || below >= c) {
			verdict = "DISAGREE"; bad = 1
		} else if (m >= lo && m <= hi)
			verdict = "agree"
		else
			verdict = "not shown either way (the host is noisier than " \
			    n " pairs resolve)"
		printf("  %-10s median ratio %.2f, %d above %.2f, %d below " \
		    "%.2f (%d of %d would disagree): %s\n", name, m, above,
		    hi, below, lo, c, n, verdict)
	}
	mf = median(rfw, n); mn = median(rnp, n)
	printf("  the referee\x27s backoff costs %+.1f %% over its plain " \
	    "spin (median futex p50 %.1f vs %.1f ns)\n",
	    mn > 0 ? (mf - mn) / mn * 100 : 0, mf, mn)
	exit bad
}' "$tmp/ipb" "$tmp/ref"
case $? in
0)	echo "$me: ok" ;;
1)	fail "the yardsticks and the referee disagree by more than $TOL % (sign test above)" ;;
*)	fail "cannot compare the figures (awk failed)" ;;
esac
