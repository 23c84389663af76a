#!/bin/sh
# test_delays.sh: [mboxfull] ack_delay_ns and put_delay_ns arm the port's
# delay points for the body: the names end in /ack_delay_ns:N and
# /put_delay_ns:N, nothing errs, every message is still acknowledged
# (msgs_per_s > 0, samples counted), the defaults keep today's names,
# and a value out of range is refused naming the key.
set -u
: "${IPIBENCH:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

if ! "$IPIBENCH" run --workloads mboxfull --backends futex,eventfd \
    --yardsticks false --perf false --repetitions 1 --batch 50 \
    --senders 1 --burst 16 --handler_ns 0 --ack_delay_ns 5000 \
    --put_delay_ns 2000 --timeout 10 --benchmark_min_time=0.01 \
    --benchmark_format=json >"$tmp/out.json" 2>"$tmp/err"; then
	echo "test_delays: ipibench run failed:"; cat "$tmp/err"
	exit 1
fi
"$PYTHON" - "$tmp/out.json" <<'PY' || exit 1
import json, sys
b = [x for x in json.load(open(sys.argv[1]))["benchmarks"]
     if x.get("run_type") == "iteration"]
bad = [x["name"] for x in b if x.get("error_occurred")]
assert not bad, "benchmarks in error: %s" % bad
assert len(b) == 2, "want 2 benchmarks (futex, eventfd), got %d" % len(b)
for x in b:
    assert "/handler_ns:0/ack_delay_ns:5000/put_delay_ns:2000/" in \
        x["name"] + "/", "name without the delays: %s" % x["name"]
    assert x["msgs_per_s"] > 0 and x["samples"] > 0, \
        "%s: nothing acknowledged" % x["name"]
print("test_delays: %d benchmarks with both delays, none in error" % len(b))
PY

# Out of range: refused, naming the key, nothing run.
if "$IPIBENCH" run --workloads mboxfull --ack_delay_ns 2000000 \
    >"$tmp/out2" 2>"$tmp/err2"; then
	echo "test_delays: --ack_delay_ns 2000000 was accepted"; exit 1
fi
grep -q "ack_delay_ns" "$tmp/err2" || {
	echo "test_delays: the error does not name ack_delay_ns:"
	cat "$tmp/err2"; exit 1; }
echo "test_delays: out of range refused: $(head -n 1 "$tmp/err2")"
