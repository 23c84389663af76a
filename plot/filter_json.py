#!/usr/bin/env python3
"""filter_json.py: a copy of a Google Benchmark JSON for compare.py.

    filter_json.py [--as SIDE] IN.json OUT.json [SEGMENT]
    filter_json.py --pairs A.json B.json

Keeps the benchmarks that ran without error and, with SEGMENT (a name
segment key:value such as backend:NAME), only those whose name has that
segment, which is then removed from name and run_name: two backends of
one run then have the same names, and compare.py's `benchmarks` mode
pairs them benchmark by benchmark.  Yardsticks (beside:NAME, no backend
segment) are dropped by a backend filter.  IN may also be a run folder.

IN is checked first (read()): a regular file of JSON text, an object
with a "context" object and a non-empty "benchmarks" list whose entries
each have a "name" and, unless they report an error, the fields
compare.py reads (real_time, cpu_time, time_unit, iterations, run_type)
of the right types.  Anything else, a SEGMENT that is no key:value
segment, or one that no benchmark without error has: a line naming the
file and what is wrong, exit 2, and no OUT written.  --pairs: exit 2
when no benchmark name of A.json is one of B.json (compare.py would pair
nothing).  --as SIDE (scripts/compare.sh: A or B): the line reads
"compare: SIDE: FILE: ...", or "compare: FILTER_SIDE ..." for SEGMENT.
"""
import json
import math
import os
import re
import stat
import sys

# A name segment key:value (benchjson.SEGMENT; results/README.md).
SEGMENT = re.compile(r"^[a-z_]+:[A-Za-z0-9_.+:-]+$")

# compare.py's time units (gbench.report._TIME_UNIT_TO_SECONDS_MULTIPLIER).
TIME_UNITS = ("ns", "us", "ms", "s")

# Entries' fields compare.py sorts by: integers when present.
INT_FIELDS = ("family_index", "per_family_instance_index",
              "repetition_index", "repetitions", "threads")

# At most this many entry problems are listed, then a count.
MAX_PROBLEMS = 3


class Malformed(Exception):
    """An input that is no results file (or no filter) we can compare:
    the message names the file and says what is wrong."""


def kind(v):
    """What a JSON value is, in words ("a string", "null", ...)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def shown(v, width=40):
    """v as short JSON text."""
    try:
        t = json.dumps(v)
    except (TypeError, ValueError):
        t = repr(v)
    return t if len(t) <= width else t[:width - 3] + "..."


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def runs_under(folder, limit=3):
    """Up to limit subfolders of folder that hold a bench.json."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    out = [os.path.join(folder, n) for n in names
           if os.path.isfile(os.path.join(folder, n, "bench.json"))]
    return out[:limit]


def json_path(path):
    """The bench.json of a run folder, or path itself; Malformed when a
    folder has none."""
    if not os.path.isdir(path):
        return path
    p = os.path.join(path, "bench.json")
    if not os.path.lexists(p):
        runs = runs_under(path)
        raise Malformed("%s: a folder without bench.json: not a run "
                        "folder%s" % (path, " (runs in it: %s)" %
                                      ", ".join(runs) if runs else ""))
    return p


def read_text(p):
    """The text of file p; Malformed when it is not a readable regular
    file of UTF-8 text."""
    try:
        st = os.stat(p)
    except OSError as e:
        raise Malformed("%s: %s" % (p, e.strerror or e))
    if stat.S_ISDIR(st.st_mode):
        raise Malformed("%s: a folder, not a JSON file" % p)
    if not stat.S_ISREG(st.st_mode):
        raise Malformed("%s: not a regular file (a device, FIFO or "
                        "socket): not a JSON file" % p)
    if st.st_size == 0:
        raise Malformed("%s: empty file: not a JSON file" % p)
    try:
        with open(p, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise Malformed("%s: cannot read it: %s" % (p, e.strerror or e))
    if raw.startswith(b"\x7fELF"):
        raise Malformed("%s: an executable, not a JSON file" % p)
    if b"\0" in raw:
        raise Malformed("%s: a binary file (NUL bytes), not a JSON file" % p)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Malformed("%s: not UTF-8 text (byte %d), not a JSON file" %
                        (p, e.start))


def entry_problem(i, e):
    """What is wrong with entry i of "benchmarks" (None: nothing)."""
    if not isinstance(e, dict):
        return "entry %d is %s, not an object" % (i, kind(e))
    name = e.get("name")
    if not isinstance(name, str) or not name:
        return "entry %d has no \"name\" (a non-empty string)%s" % (
            i, "" if "name" not in e else ": it is %s" % shown(name))
    where = "entry %d (%s)" % (i, shown(name, 60))
    err = e.get("error_occurred", False)
    if not isinstance(err, bool):
        return "%s: error_occurred is %s, not a boolean" % (where,
                                                             shown(err))
    for k in ("run_name", "error_message", "label", "aggregate_name"):
        if k in e and not isinstance(e[k], str):
            return "%s: %s is %s, not a string" % (where, k, shown(e[k]))
    if err:
        return None     # left out: only its name is read
    missing = [k for k in ("real_time", "cpu_time", "time_unit",
                           "iterations", "run_type") if k not in e]
    if missing:
        return "%s lacks %s" % (where, ", ".join(missing))
    rt = e["run_type"]
    if rt not in ("iteration", "aggregate"):
        return "%s: run_type is %s, not \"iteration\" or \"aggregate\"" % (
            where, shown(rt))
    for k in ("real_time", "cpu_time"):
        v = e[k]
        if not is_number(v):
            return "%s: %s is %s (%s), not a number" % (where, k, shown(v),
                                                        kind(v))
        # An aggregate's (a cv) may be NaN; a repetition's time is a
        # finite number >= 0 (compare.py's geomean takes its log).
        if rt == "iteration" and (not math.isfinite(v) or v < 0):
            return "%s: %s is %s, not a time" % (where, k, shown(v))
    if e["time_unit"] not in TIME_UNITS:
        return "%s: time_unit is %s, not one of %s" % (
            where, shown(e["time_unit"]), "/".join(TIME_UNITS))
    it = e["iterations"]
    if not is_number(it) or not math.isfinite(it) or it < 0 or \
            it != int(it):
        return "%s: iterations is %s, not a count" % (where, shown(it))
    for k in INT_FIELDS:
        if k in e and (not isinstance(e[k], int) or
                       isinstance(e[k], bool)):
            return "%s: %s is %s, not an integer" % (where, k, shown(e[k]))
    return None


def check(data, p):
    """Malformed unless data (the JSON of file p) is a Google Benchmark
    results file that compare.py and benchjson read."""
    what = "not a Google Benchmark JSON file"
    if not isinstance(data, dict):
        raise Malformed("%s: the top level is %s, not an object: %s" %
                        (p, kind(data), what))
    if "benchmarks" not in data:
        raise Malformed("%s: no \"benchmarks\" list: %s" % (p, what))
    bench = data["benchmarks"]
    if not isinstance(bench, list):
        raise Malformed("%s: \"benchmarks\" is %s, not a list: %s" %
                        (p, kind(bench), what))
    if "context" not in data:
        raise Malformed("%s: no \"context\" object: %s" % (p, what))
    if not isinstance(data["context"], dict):
        raise Malformed("%s: \"context\" is %s, not an object: %s" %
                        (p, kind(data["context"]), what))
    if not bench:
        raise Malformed("%s: \"benchmarks\" is empty: the run measured "
                        "nothing" % p)
    probs = [x for x in (entry_problem(i, e) for i, e in enumerate(bench))
             if x is not None]
    if probs:
        more = len(probs) - MAX_PROBLEMS
        raise Malformed("%s: %s%s" % (
            p, "; ".join(probs[:MAX_PROBLEMS]),
            "; and %d more entr%s" % (more, "y" if more == 1 else "ies")
            if more > 0 else ""))
    errs = [e for e in bench if e.get("error_occurred")]
    if len(errs) == len(bench):
        raise Malformed("%s: every benchmark reported an error (%d "
                        "entr%s; the first: %s: %s): nothing to compare" %
                        (p, len(bench), "y" if len(bench) == 1 else "ies",
                         errs[0]["name"],
                         shown(errs[0].get("error_message", "error"), 80)))


def read(path):
    """(data, json path) of a run folder or a bench.json, checked
    (check()); Malformed otherwise."""
    p = json_path(path)
    text = read_text(p)
    try:
        data = json.loads(text)
    except RecursionError:
        raise Malformed("%s: not JSON that can be read: nested too deeply"
                        % p)
    except ValueError as e:
        raise Malformed("%s: not JSON: %s" % (p, e))
    check(data, p)
    return data, p


def check_segment(seg, what="SEGMENT"):
    """Malformed unless seg is one name segment key:value."""
    if not SEGMENT.match(seg or ""):
        raise Malformed("%s %s: not one name segment key:value (e.g. "
                        "backend:futex; results/README.md)" %
                        (what, shown(seg)))


def segment_values(bench, key):
    """The values of key in the names of bench's entries, in order."""
    seen = []
    for b in bench:
        for part in b.get("run_name", b["name"]).split("/")[1:]:
            k, _, v = part.partition(":")
            if k == key and v and v not in seen:
                seen.append(v)
    return seen


def strip(name, seg):
    parts = name.split("/")
    return "/".join(p for p in parts if p != seg)


def select(data, p, seg):
    """The entries of data without error, with seg (removed from their
    names) when seg is given; Malformed when none is left."""
    bench = data["benchmarks"]
    kept = []
    has = 0
    for b in bench:
        rn = b.get("run_name", b["name"])
        if seg is not None:
            if seg not in rn.split("/"):
                continue
            has += 1
        if b.get("error_occurred"):
            continue
        if seg is not None:
            b = dict(b)
            b["name"] = strip(b["name"], seg)
            b["run_name"] = strip(rn, seg)
        kept.append(b)
    if not kept and seg is None:
        raise Malformed("%s: every benchmark reported an error" % p)
    if not kept:
        key = seg.split(":", 1)[0]
        vals = segment_values(bench, key)
        raise Malformed(
            "%s: every benchmark with the segment %s reported an error" %
            (p, seg) if has else
            "%s: no benchmark has the segment %s (%s)" %
            (p, seg, "%s values in its names: %s" % (key, ", ".join(vals))
             if vals else "no %s: segment in its names" % key))
    return kept


def pairs(pa, pb):
    """Malformed unless some benchmark name of file pa is one of pb's."""
    names = []
    for p in (pa, pb):
        data, _ = read(p)
        names.append([b["name"] for b in data["benchmarks"]])
    common = set(names[0]) & set(names[1])
    if not common:
        raise Malformed("no benchmark name of A is one of B: nothing to "
                        "compare (A has %s, B %s)" %
                        (shown(names[0][0], 70), shown(names[1][0], 70)))


def main(argv):
    if len(argv) == 3 and argv[0] == "--pairs":
        try:
            pairs(argv[1], argv[2])
        except Malformed as e:
            print("compare: %s" % e, file=sys.stderr)
            return 2
        return 0
    side = None
    if len(argv) >= 2 and argv[0] == "--as":
        side, argv = argv[1], argv[2:]
    if len(argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    src, out = argv[0], argv[1]
    seg = argv[2] if len(argv) == 3 else None
    prog = "compare" if side else "filter_json"
    try:
        if seg is not None:
            check_segment(seg, "FILTER_" + side if side else "SEGMENT")
    except Malformed as e:
        print("%s: %s" % (prog, e), file=sys.stderr)
        return 2
    try:
        data, p = read(src)
        data["benchmarks"] = select(data, p, seg)
    except Malformed as e:
        print("%s: %s%s" % (prog, side + ": " if side else "", e),
              file=sys.stderr)
        return 2
    with open(out, "w") as f:
        json.dump(data, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
