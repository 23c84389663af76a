#!/usr/bin/env python3
"""salvage.py: make a cut-off bench.json valid again, keeping what is whole.

    salvage.py RUN_DIR

When ipibench is killed outright (SIGKILL, the OOM killer, a crash), the
bench.json it was writing ends mid-way.  Its writer (harness/gbench.cc)
flushes one block per benchmark -- every repetition and aggregate row of
it -- so the file holds the context, the blocks of the benchmarks that
finished, and perhaps part of one more.  This keeps the context and the
whole blocks: the rows of the last benchmark are dropped unless the file
ends right after its last row (where a flush leaves it).  The file as
written is kept beside as bench.json.truncated, and the context gains
`salvaged`, saying what was kept.

Prints one line saying what it did.  Exit status: 0 when bench.json is
valid (as found, or salvaged: perhaps with no benchmark, when none had
finished); 1 when there is nothing to salvage (no file, or cut before
its context ended); 2 bad usage.
"""
import json
import os
import re
import sys


def salvage(text):
    """(context, benchmarks kept, rows dropped) from a cut-off GB JSON;
    None when the text holds no whole context."""
    dec = json.JSONDecoder()
    m = re.match(r'\s*\{\s*"context"\s*:\s*', text)
    if not m:
        return None
    try:
        context, i = dec.raw_decode(text, m.end())
    except ValueError:
        return None
    m = re.compile(r'\s*,\s*"benchmarks"\s*:\s*\[').match(text, i)
    if not isinstance(context, dict) or not m:
        return None
    rows, i = [], m.end()
    sep = re.compile(r'\s*,?\s*')
    while True:
        i = sep.match(text, i).end()
        try:
            row, i = dec.raw_decode(text, i)
        except ValueError:
            break
        if not isinstance(row, dict):
            break
        rows.append(row)
    whole = text[i:].strip() == ""
    dropped = 0
    if rows and not whole:
        last = rows[-1].get("run_name", rows[-1].get("name"))
        kept = [r for r in rows if r.get("run_name", r.get("name")) != last]
        dropped = len(rows) - len(kept)
        rows = kept
    return context, rows, dropped


def main(argv):
    if len(argv) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path = os.path.join(argv[0], "bench.json")
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        print("salvage: %s: %s" % (path, e.strerror))
        return 1
    text = raw.decode("utf-8", "replace")
    try:
        json.loads(text)
        return 0
    except ValueError:
        pass
    got = salvage(text)
    if got is None:
        print("salvage: %s: cut off before its first benchmark (%d bytes): "
              "nothing to keep" % (path, len(raw)))
        return 1
    context, rows, dropped = got
    names = {r.get("run_name", r.get("name")) for r in rows}
    what = ("bench.json was cut off after %d bytes (ipibench killed); "
            "kept %d whole benchmarks (%d rows)%s; the file as written is "
            "bench.json.truncated" %
            (len(raw), len(names), len(rows),
             ", dropped %d rows of the benchmark being written" % dropped
             if dropped else ""))
    context["salvaged"] = what
    # Never without a bench.json: the new one whole first, the old one
    # linked aside, then the rename over it.
    tmp = path + ".salvage"
    with open(tmp, "w") as f:
        json.dump({"context": context, "benchmarks": rows}, f, indent=2)
        f.write("\n")
    if os.path.exists(path + ".truncated"):
        os.unlink(path + ".truncated")
    os.link(path, path + ".truncated")
    os.replace(tmp, path)
    print("salvage: " + what)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
