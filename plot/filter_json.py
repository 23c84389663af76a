#!/usr/bin/env python3
"""filter_json.py: a copy of a Google Benchmark JSON for compare.py.

    filter_json.py IN.json OUT.json [SEGMENT]

Keeps the benchmarks that ran without error and, with SEGMENT (a name
segment such as backend:NAME), only those whose name has that segment,
which is then removed from name and run_name: two backends of one run
then have the same names, and compare.py's `benchmarks` mode pairs them
benchmark by benchmark.  Yardsticks (beside:NAME, no backend segment)
are dropped by a backend filter.  IN may also be a run folder.
"""
import json
import os
import sys


def strip(name, seg):
    parts = name.split("/")
    return "/".join(p for p in parts if p != seg)


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    src, out = argv[0], argv[1]
    seg = argv[2] if len(argv) == 3 else None
    if os.path.isdir(src):
        src = os.path.join(src, "bench.json")
    try:
        with open(src) as f:
            data = json.load(f)
        bench = data["benchmarks"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("filter_json: %s: not a Google Benchmark JSON file: %s" %
              (src, e), file=sys.stderr)
        return 1
    kept = []
    for b in bench:
        if b.get("error_occurred"):
            continue
        rn = b.get("run_name", b.get("name", ""))
        if seg is not None:
            if seg not in rn.split("/"):
                continue
            b = dict(b)
            b["name"] = strip(b["name"], seg)
            b["run_name"] = strip(rn, seg)
        kept.append(b)
    if not kept:
        print("filter_json: %s: no benchmark without error%s" %
              (src, " has the segment '%s'" % seg if seg else ""),
              file=sys.stderr)
        return 1
    data["benchmarks"] = kept
    with open(out, "w") as f:
        json.dump(data, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
