#!/usr/bin/env python3
"""plot.py: draw the pictures of an ipibench run.

    plot.py RUN [--out DIR]

RUN is a results folder (results/<host>-<time>/) or a bench.json; the
pictures go to RUN/plots/ (or DIR), each as PNG and SVG, with
plots/plots.json listing them with their captions, and the plots that
could not be drawn with the reason (report.py reads it).

Every figure is titled with the machine and the date of the run, and
every latency is a round trip in nanoseconds per operation, the median
over repetitions of each repetition's percentile counters.  Where the
run has them, the delivery split is drawn beside the round trip (deliver:
post -> the start of the handler on a target, over targets; ack: post ->
the last target's acknowledgement), and ×N is the p50 over the in-situ
reference of the
same shape (benchjson.Run.ratio).  A plot of one backoff value (the
names' backoff:B) shows `seed` when the run has it; plot_backoff shows
them all.  A plot that compares backends shows each benchmark's lowest
idle dwell (dwell:N, dwell 0: a spinning backend has no other) and
mboxfull's closed loop (no rate:R); plot_dwell draws the dwell values.
A value written on a bar is rounded to the timer's step where the run
says it (context timer_step_ns).
"""
import argparse
import csv
import json
import os
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colors as mcolors  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchjson as bj  # noqa: E402

# Line styles of the reference yardsticks (backend_table's "reference"),
# in the order of the backends they belong to, and their names.
YARD_STYLES = [(":", "dotted"), ("--", "dashed"), ("-.", "dash-dotted"),
               ((0, (3, 1, 1, 1, 1, 1)), "dash-dot-dotted")]


def references(run):
    """The reference yardsticks of the backend table, in its order, each
    once."""
    out = []
    for e in run.backend_table:
        ys = run.reference(e["name"])
        if ys is not None and ys not in out:
            out.append(ys)
    return out


def yard_style(run, ys):
    """(matplotlib line style, its name) of a reference yardstick."""
    refs = references(run)
    if ys not in refs:
        return YARD_STYLES[1]
    return YARD_STYLES[refs.index(ys) % len(YARD_STYLES)]


def floors(run):
    """The references of the backends that spin: a wake-up that is a
    cache line's round trip, the floor drawn beside every backend."""
    out = []
    for e in run.backend_table:
        ys = run.reference(e["name"])
        if run.spins(e["name"]) and ys is not None and ys not in out:
            out.append(ys)
    return out


def fmt_ns(v, _pos=None, step=None):
    """Nanoseconds as short text with a unit; with step (the timer's,
    Run.timer_step) rounded to it (benchjson.fmt_time).  Also a tick
    formatter (v, pos)."""
    return bj.fmt_time(v, step, "-")


def log_time_axis(ax, axis="y"):
    a = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    a.set_major_formatter(ticker.FuncFormatter(fmt_ns))
    a.set_minor_formatter(ticker.NullFormatter())


def label_minor_times(ax):
    """On a log time y axis of few major ticks, label the minor ticks
    too: every one under a decade, those at 2 and 5 times a power of ten
    under two; call once the data are drawn."""
    lo, hi = ax.get_ylim()
    if lo > 0 and hi / lo < 100:
        ax.yaxis.set_minor_formatter(ticker.FuncFormatter(
            lambda v, p: fmt_ns(v) if hi / lo < 10 or label_2_5(v)
            else ""))
        ax.tick_params(axis="y", which="minor", labelsize=7)


def linear_time_axis(ax):
    """A linear time y axis from 0, ticks as times."""
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(
        lambda v, p: fmt_ns(v) if v > 0 else "0"))


def pair_label(cls, numa):
    if numa is None:
        return cls
    return "%s\n%s NUMA" % (cls, numa)


def first_placement(run, workload):
    pls = run.values_of("placement", workload)
    return "local" if "local" in pls else (pls[0] if pls else None)


def first_backoff(run, workload):
    """The backoff value a plot of one value shows: seed (the seed's
    SPINLOCK_BACKOFF, the default) when the run has it, else the first;
    None when the workload's names have none (an older ipibench, or a
    workload whose sender does not back off)."""
    bos = run.values_of("backoff", workload)
    return "seed" if "seed" in bos else (bos[0] if bos else None)


def common(run, workload, placement=True):
    """(keys, text): the keys every benchmark of a plot of workload
    shares (the first placement unless placement is False; the first
    backoff where the names have one; each benchmark's lowest dwell,
    benchjson.LOWEST, where the names have one; the closed loop, no
    rate, where some have a rate) for Run.select(where=...), and what to
    say of them in a title ("placement local, backoff seed, dwell 0",
    the backoff and the dwell named only when the run has several)."""
    sel, text = {}, []
    pl = first_placement(run, workload) if placement else None
    if pl is not None:
        sel["placement"] = pl
        text.append("placement %s" % pl)
    bo = first_backoff(run, workload)
    if bo is not None:
        sel["backoff"] = bo
        if len(run.values_of("backoff", workload)) > 1:
            text.append("backoff %s" % bo)
    if run.values_of("dwell", workload):
        sel["dwell"] = bj.LOWEST
        if len(run.values_of("dwell", workload)) > 1:
            low = {run.lowest(b, "dwell") for b in
                   run.select(workload, ok=False, where=sel)
                   if "dwell" in b.keys}
            text.append("idle dwell %s" % dwell_text(low.pop())
                        if len(low) == 1 else "each one's lowest idle dwell")
    if run.values_of("rate", workload):
        sel["rate"] = None
        text.append("closed loop")
    return sel, ", ".join(text)


dwell_text = bj.dwell_text


def bar_label(ax, x, top, text):
    """A bar's value (and ratio) just above its highest whisker top."""
    ax.annotate(text, (x, top), xytext=(0, 3), textcoords="offset points",
                ha="center", va="bottom", fontsize=7, zorder=6,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none",
                          alpha=0.8))


def ratio_label(run, bs):
    """"×N" for benchmarks bs (the pairs of a class): the median of
    their ratios to their references of the same shape (Run.ratio);
    "×N*" when one comes from a yardstick beside, at another moment;
    "× moved" when every in-situ reference moved; None without ratios."""
    rs = [r for r in (run.ratio(b) for b in bs) if r is not None]
    if not rs:
        return None
    vals = [r.value for r in rs if r.value is not None]
    if not vals:
        return "× moved"
    return "×%.2f%s" % (median(vals),
                        "*" if any(r.how == "beside" for r in rs) else "")


# The delivery split's markers: deliver (post -> handler start) and ack
# (post -> last acknowledgement), filled at p50, hollow at p99.
SPLIT = [("deliver", "v", "deliver: post → handler start"),
         ("ack", "s", "ack: post → last ack")]


def has_split(benches):
    return any(b.get("deliver_p50_ns") is not None for b in benches)


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def by_class(benches):
    """{(class, numa): [bench]} ordered nearest class first."""
    groups = {}
    for b in benches:
        groups.setdefault((b.keys.get("class", "?"), b.keys.get("numa")),
                          []).append(b)
    return dict(sorted(groups.items(),
                       key=lambda kv: (bj.class_rank(kv[0][0]),
                                       kv[0][1] != "same")))


def new_fig(ncols, nrows=1, w=5.2, h=4.4, sharey=False):
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(7.5, w * ncols),
                                                    h * nrows + 0.9),
                             squeeze=False, layout="constrained",
                             sharey=sharey)
    return fig, axes


def finish(fig, run, what):
    fig.suptitle(run.title(what), fontsize=11)
    return fig


# ---------------------------------------------------------------------------
# The plots.  Each returns (figure, caption) or (None, why not).

# matrix.csv, written by the matrix workload into the run's folder
# (results/README.md): one row per ordered pair of each pass.
MATRIX_COLUMNS = ["backend", "placement", "src", "dst", "src_pu", "dst_pu",
                  "class", "numa", "samples", "p50_ns", "p90_ns", "p99_ns",
                  "round_min_p50_ns", "round_max_p50_ns", "unstable",
                  "pingpong_samples", "pingpong_p50_ns", "pingpong_p99_ns"]
MATRIX_INTS = {"src", "dst", "src_pu", "dst_pu", "samples", "unstable",
               "pingpong_samples"}
MATRIX_TEXT = {"backend", "placement", "class", "numa"}

# Pair classes whose two vCPUs share no L3: adjacent vCPUs of such a
# class sit across an L3 boundary.
ABOVE_L3 = {"group", "die", "package", "machine"}

NO_MATRIX = ("no matrix.csv in this run: set [unicast] matrix = true "
             "(configs/full.ini does) or run --workload matrix")


def read_matrix(run):
    """The rows of matrix.csv beside the run's bench.json, as dicts
    (numbers converted), or None when there is none.  Raises ValueError
    naming the file on a header or row that is not MATRIX_COLUMNS'."""
    path = os.path.join(run.folder or ".", "matrix.csv")
    if not os.path.exists(path):
        return None
    rows = []
    with open(path, newline="") as f:
        rd = csv.reader(f)
        header = next(rd, None)
        if header != MATRIX_COLUMNS:
            raise ValueError("%s: header %s, expected %s" %
                             (path, header, ",".join(MATRIX_COLUMNS)))
        for rec in rd:
            if len(rec) != len(MATRIX_COLUMNS):
                raise ValueError("%s:%d: %d columns, expected %d" %
                                 (path, rd.line_num, len(rec),
                                  len(MATRIX_COLUMNS)))
            r = {}
            for k, v in zip(MATRIX_COLUMNS, rec):
                r[k] = v if k in MATRIX_TEXT else \
                    int(v) if k in MATRIX_INTS else float(v)
            rows.append(r)
    return rows


def matrix_panels(run, rows):
    """[(backend, placement, rows)]: one per backend of matrix.csv, in the
    run's order; its placement local when it has one, else its first."""
    by = {}
    for r in rows:
        by.setdefault(r["backend"], {}).setdefault(r["placement"],
                                                    []).append(r)
    order = [be for be in run.backends() if be in by]
    order += [be for be in by if be not in order]
    out = []
    for be in order:
        pl = "local" if "local" in by[be] else next(iter(by[be]))
        out.append((be, pl, by[be][pl]))
    return out


def fmt_pct(x):
    """A percentage with the digits that matter: 12%, 1.5%, 0.083%."""
    return "%.0f%%" % x if x >= 10 or x == 0 else \
        "%.1f%%" % x if x >= 1 else "%.2g%%" % x


def matrix_ticks(n):
    """Tick positions for n vCPUs: every vCPU up to 16, else a power-of-two
    step leaving at most 16 labels."""
    step = 1
    while n / step > 16:
        step *= 2
    return list(range(0, n, step))


def matrix_size(n):
    """(width, height) in inches of one panel of n vCPUs."""
    if n <= 16:
        return 5.4, 4.4
    if n <= 64:
        return 6.4, 5.4
    return 7.6, 6.6


def draw_matrix(fig, ax, rows, value, cbar_label, mark_unstable):
    """One heatmap panel: rows' value per (src, dst), vCPUs in index order
    (topology order), log colour scale spanning at least x1.5, package
    (solid), NUMA (dashed) and L3 (dotted) boundaries, values written in
    the cells up to 16 vCPUs, unstable cells hatched (red dots past 64
    vCPUs) when mark_unstable.  Returns (vCPUs, cells, unstable cells)."""
    cpus = sorted({r["src"] for r in rows} | {r["dst"] for r in rows})
    idx = {c: i for i, c in enumerate(cpus)}
    n = len(cpus)
    m = np.full((n, n), np.nan)
    cls = {}
    bad = []
    for r in rows:
        i, j = idx[r["src"]], idx[r["dst"]]
        m[i, j] = r[value] if r[value] > 0 else np.nan
        cls[(i, j)] = (r["class"], r["numa"])
        if r["unstable"]:
            bad.append((i, j))
    vals = m[~np.isnan(m)]
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("#dddddd")
    # A colour scale spanning at least x1.5, so that noise of a few
    # percent does not look like structure.
    lo, hi = (float(vals.min()), float(vals.max())) if vals.size else (1, 2)
    if hi / lo < 1.5:
        mid = (lo * hi) ** 0.5
        lo, hi = mid / 1.5 ** 0.5, mid * 1.5 ** 0.5
    norm = mcolors.LogNorm(lo, hi)
    im = ax.imshow(m, cmap=cmap, norm=norm, interpolation="nearest")
    cb = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    cb.set_label(cbar_label)
    cb.ax.yaxis.set_major_formatter(ticker.FuncFormatter(fmt_ns))
    # Label the minor ticks only where there are few major ones.
    cb.ax.yaxis.set_minor_formatter(
        ticker.FuncFormatter(fmt_ns) if hi / lo < 10
        else ticker.NullFormatter())
    # Boundaries between vCPU i and i + 1, from the pair's class: another
    # package (class machine), another NUMA node, another L3.
    big = n > 64
    styles = {"package": dict(ls="-", lw=1.2 if big else 2.5),
              "numa": dict(ls="--", lw=0.9 if big else 1.5),
              "l3": dict(ls=":", lw=0.6 if big else 1.0)}
    for i in range(n - 1):
        c, nu = cls.get((i, i + 1), cls.get((i + 1, i), (None, None)))
        kind = "package" if c == "machine" else "numa" if nu == "cross" \
            else "l3" if c in ABOVE_L3 else None
        if kind is None:
            continue
        for line in (ax.axhline, ax.axvline):
            line(i + 0.5, color="white", gid=kind + "_boundary",
                 **styles[kind])
    if n <= 16:
        for (i, j) in cls:
            v = m[i, j]
            if v != v:
                continue
            # On a hatched cell, the value on a plate of its own.
            plate = dict(boxstyle="round,pad=0.2", fc="white", ec="none",
                         alpha=0.8) if mark_unstable and (i, j) in bad \
                else None
            r, g, b_, _ = cmap(norm(v))
            dark = 0.299 * r + 0.587 * g + 0.114 * b_ < 0.5
            ax.text(j, i, fmt_ns(v).replace(" ", "\n"), ha="center",
                    va="center", fontsize=8 if n <= 8 else 5,
                    color="white" if dark and plate is None else "black",
                    bbox=plate, zorder=4)
    if mark_unstable and bad:
        ys, xs = zip(*bad)
        if big:
            ax.scatter(xs, ys, s=1.5, marker="s", color="red", lw=0,
                       zorder=3, gid="unstable")
        else:
            ax.add_collection(PatchCollection(
                [Rectangle((j - 0.5, i - 0.5), 1, 1) for i, j in bad],
                facecolor="none", edgecolor="red", hatch="///", lw=0,
                zorder=3, gid="unstable"))
    ticks = matrix_ticks(n)
    ax.set_xticks(ticks)
    ax.set_xticklabels([cpus[i] for i in ticks],
                       rotation=90 if big else 0)
    ax.set_yticks(ticks)
    ax.set_yticklabels([cpus[i] for i in ticks])
    ax.set_xlabel("target vCPU (dst)")
    ax.set_ylabel("sender vCPU (src)")
    return n, len(cls), len(bad)


def matrix_figure(run, value, cbar_label, what, mark_unstable):
    """The figure of one matrix.csv value, one panel per backend; returns
    (figure, [(backend, placement, cells, unstable, samples)]) or
    (None, why not)."""
    rows = read_matrix(run)
    if not rows:
        return None, NO_MATRIX if rows is None else "matrix.csv is empty"
    panels = matrix_panels(run, rows)
    n = max(len({r["src"] for r in prs} | {r["dst"] for r in prs})
            for _, _, prs in panels)
    w, h = matrix_size(n)
    fig, axes = new_fig(len(panels), w=w, h=h)
    stats = []
    for ax, (be, pl, prs) in zip(axes[0], panels):
        nv, cells, bad = draw_matrix(fig, ax, prs, value, cbar_label,
                                     mark_unstable)
        key = "samples" if mark_unstable else "pingpong_samples"
        s = sorted({r[key] for r in prs})
        stats.append((be, pl, cells, bad, s))
        title = "%s (placement %s), %s samples a pair" % (
            be, pl, "/".join(str(x) for x in s))
        if mark_unstable:
            title += "\n%d of %d cells unstable (%s, %s)" % (
                bad, cells, "red dots" if nv > 64 else "hatched",
                fmt_pct(100.0 * bad / cells)) if bad else \
                "\nno unstable cell"
        ax.set_title(title, fontsize=9)
    finish(fig, run, what)
    return fig, stats


def plot_heatmap(run):
    fig, stats = matrix_figure(run, "p50_ns", "p50 round trip",
                               "Unicast round trip, every ordered pair\n"
                               "(matrix workload: one sampling pass)", True)
    if fig is None:
        return None, stats
    cells = sum(c for _, _, c, _, _ in stats)
    bad = sum(b for _, _, _, b, _ in stats)
    text = ("p50 of ipi_unicast + ipi_wait for every ordered pair of "
            "vCPUs (matrix.csv: one pass visiting every pair in rounds of "
            "random order), per backend with its own colour scale; vCPUs "
            "in topology order.  White lines: package boundaries (solid), "
            "NUMA node boundaries (dashed), L3 boundaries (dotted).  "
            "Hatched (red dots past 64 vCPUs): unstable cells, whose "
            "per-round p50s disagree (the largest over 1.5 times the "
            "smallest and over 50 ns above it).  Read it against "
            "matrix_pingpong, the cache line's round trip on the same "
            "pairs.")
    sim = bj.truthy(run.context.get("simulated_topology", False))
    if sim:
        text += ("  A simulated machine: its vCPUs share this host's PUs, "
                 "so the colours show the host's scheduler, not the "
                 "topology.")
    elif bad:
        pct = fmt_pct(100.0 * bad / cells)
        text += ("  %s of the cells (%d of %d) are unstable: the host "
                 "moved vCPUs during the pass: this matrix mixes "
                 "placements." % (pct, bad, cells))
        fig.suptitle(fig._suptitle.get_text().replace(
            "\n", "\n%s of cells unstable: the host moved vCPUs during "
            "the pass: this matrix mixes placements\n" % pct, 1),
            fontsize=11)
    return fig, text


def plot_matrix_pingpong(run):
    fig, stats = matrix_figure(run, "pingpong_p50_ns", "p50 round trip",
                               "Cache-line ping-pong, every ordered pair "
                               "(the matrix pass's yardstick)", False)
    if fig is None:
        return None, stats
    return fig, ("p50 of the pingpong yardstick (one cache line's round "
                 "trip) for every ordered pair, measured in the same visits "
                 "of the matrix pass as unicast_heatmap's IPIs, beside each "
                 "backend: the physical map the IPI matrix is read against. "
                 "White lines: package (solid), NUMA node (dashed) and L3 "
                 "(dotted) boundaries.")


def plot_unicast_classes(run):
    sel, what = common(run, "unicast")
    backends = [be for be in run.backends()
                if run.select("unicast", backend=be, where=sel)]
    if not backends:
        return None, "no unicast results in this run"
    groups = {}
    for be in backends:
        for key, bs in by_class(run.select("unicast", backend=be,
                                           where=sel)).items():
            groups.setdefault(key, {})[be] = bs
    keys = sorted(groups, key=lambda k: (bj.class_rank(k[0]), k[1] != "same"))
    split = has_split(run.select("unicast", where=sel))
    # About 0.55 in of axes a bar: room for its value above it at any
    # class count, beside a legend of 3.8 in (8 classes x 3 backends:
    # 17 in, not 26).
    fig, axes = new_fig(1, w=max(7.5, 3.8 + 0.55 * len(keys) *
                                 len(backends)), h=4.8)
    ax = axes[0][0]
    width = min(0.8 / len(backends), 0.26)
    used = set()
    marks = set()
    tops = []     # where each value label sits: the room above it
    for gi, key in enumerate(keys):
        for bi, be in enumerate(backends):
            bs = groups[key].get(be)
            if not bs:
                continue
            x = gi + (bi - (len(backends) - 1) / 2) * width
            p50 = median([b.get("p50_ns") for b in bs])
            p99 = median([b.get("p99_ns") for b in bs])
            ax.bar(x, p50, width * 0.9, color=run.color(be),
                   label=be if be not in used else None, zorder=2)
            used.add(be)
            if p99 is not None:
                ax.plot([x, x], [p50, p99], color="black", lw=1, zorder=3)
                ax.plot([x - width * 0.15, x + width * 0.15], [p99, p99],
                        color="black", lw=1, zorder=3)
            top = max(v for v in (p50, p99) if v is not None)
            if split:
                top = max(top, draw_split(ax, bs, x, width, used))
            # The ratio to the in-situ reference of the same pair (or, in
            # an older run, to the yardstick beside); above the highest
            # whisker, so that it hides none.
            text = fmt_ns(p50, step=run.timer_step())
            rl = ratio_label(run, bs)
            if rl is not None:
                text += "\n" + rl
                marks.add("*" if rl.endswith("*") else
                          "moved" if "moved" in rl else "")
            tops.append(top)
            bar_label(ax, x, top, text)
            # The yardsticks measured beside this backend, same pair.
            b0 = bs[0]
            ref = run.reference(be)
            for ys in dict.fromkeys(floors(run) + [ref]):
                if ys is None:
                    continue
                y = run.yardstick(ys, be, b0.key("src"), b0.key("dst"),
                                  key[0])
                if y is None:
                    continue
                lbl = "%s p50 (beside)" % ys
                ax.plot([x - width * 0.48, x + width * 0.48],
                        [y.get("p50_ns")] * 2, color="black",
                        ls=yard_style(run, ys)[0], lw=1.6, zorder=5,
                        label=lbl if lbl not in used else None)
                used.add(lbl)
    ax.set_xticks(range(len(keys)))
    ax.set_xticklabels([pair_label(*k) + pairs_text(
        [b for bs in groups[k].values() for b in bs]) for k in keys],
        fontsize=8 if len(keys) > 4 else None)
    if len(keys) == 1:
        ax.set_xlim(-0.6, 0.6)
    ax.set_xlabel("pair class: the nearest level the sender and the target "
                  "share")
    log_time_axis(ax)
    ax.set_ylabel("round trip (bar: p50, whisker: p99)")
    if tops:   # two lines of label above the highest (log axis)
        ax.set_ylim(top=max(max(tops) * 2.0, ax.get_ylim()[1]))
    ax.grid(axis="y", which="both", alpha=0.3, zorder=0)
    # The legend in reading order: backends, yardsticks, the split.
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: (
        labels[i] not in backends, labels[i] in SPLIT_LABELS))
    legend_outside(ax, [handles[i] for i in order],
                   [labels[i] for i in order])
    finish(fig, run, "Unicast latency by pair class (%s)" % what)
    return fig, ("ipi_unicast + ipi_wait round trip per pair class and "
                 "backend: bar p50, whisker p99 (median over the pairs of a "
                 "class and over repetitions); its value above the highest "
                 "whisker." +
                 (" On each bar the delivery split: %s (left, ▼) and "
                  "%s (right, ■), filled at p50, hollow at p99; the round "
                  "trip's rest above ack is the sender's wait overhead "
                  "(its backoff)." % (SPLIT[0][2], SPLIT[1][2])
                  if split else "") + " " +
                 yardstick_caption(run, backends, marks))


SPLIT_LABELS = ["%s p50 (hollow: p99)" % name for name, _, _ in SPLIT]


def pairs_text(bs):
    """"\nvCPU s → d" for benchmarks of one pair, "\nN pairs (median)"
    for several: under a pair class's tick."""
    pairs = {(b.key("src"), b.key("dst")) for b in bs}
    return ("\nvCPU %s → %s" % next(iter(pairs)) if len(pairs) == 1
            else "\n%d pairs (median)" % len(pairs))


def draw_split(ax, bs, x, width, used):
    """The delivery split of bar x (benchmarks bs): deliver left of its
    centre, ack right, each a thin line from a filled marker at p50 to a
    hollow one at p99.  Returns the highest value drawn (0 if none)."""
    top = 0.0
    for (name, mk, _l), lbl, dx in zip(SPLIT, SPLIT_LABELS, (-0.22, 0.22)):
        p50 = median([b.get(name + "_p50_ns") for b in bs])
        p99 = median([b.get(name + "_p99_ns") for b in bs])
        if p50 is None:
            continue
        xx = x + dx * width
        if p99 is not None:
            ax.plot([xx, xx], [p50, p99], color="black", lw=0.6, zorder=4)
            ax.plot([xx], [p99], marker=mk, ms=4, mfc="white", mec="black",
                    mew=0.8, ls="none", zorder=4)
            top = max(top, p99)
        ax.plot([xx], [p50], marker=mk, ms=4.5, mfc="black", mec="white",
                mew=0.5, ls="none", zorder=4,
                label=lbl if lbl not in used else None)
        used.add(lbl)
        top = max(top, p50)
    return top


def yardstick_caption(run, backends, marks=()):
    """What the black lines and the ×N of plot_unicast_classes are, from
    the backend table and the ratios drawn (marks: "*" when one is from
    a yardstick beside, "moved" when one had no in-situ reference left)."""
    fl = floors(run)
    own = [(be, run.reference(be)) for be in backends
           if run.reference(be) is not None and run.reference(be) not in fl]
    if not fl and not own:
        return ("No yardstick lines and no ×N: the results file has no "
                "backend table (an older ipibench).")
    lines = []
    if fl:
        lines.append("%s beside every backend: the floor, the wake-up of "
                     "a backend that spins" % ", ".join(
                         "%s (%s)" % (ys, yard_style(run, ys)[1])
                         for ys in fl))
    if own:
        lines.append("the wake-up of the same shape as the backend's: %s" %
                     ", ".join("%s (%s) beside %s" %
                               (ys, yard_style(run, ys)[1], be)
                               for be, ys in own))
    pairs = ", ".join("%s: %s" % (be, run.reference(be)) for be in backends
                      if run.reference(be) is not None)
    if run.has_insitu():
        xn = ("×N under a bar's value: its p50 over the in-situ reference "
              "of the same shape (%s), measured on the same vCPUs just "
              "before each repetition, the median over the repetitions "
              "whose reference did not move" % pairs)
        if "*" in marks:
            xn += ("; ×N*: no in-situ reference, over the yardstick "
                   "beside (another moment)")
    else:
        xn = ("×N* under a bar's value: its p50 over the p50 of the "
              "backend's yardstick of the same shape (%s) measured beside "
              "it, at another moment (no in-situ reference in this "
              "results file)" % pairs)
    if "moved" in marks:
        xn += "; × moved: every repetition's in-situ reference moved"
    return ("Black lines: yardsticks measured on the same PUs beside each "
            "backend, at another moment than the bars: %s; %s." %
            ("; and ".join(lines), xn))


# ---------------------------------------------------------------------------
# Helpers of the plots whose x grows with the machine (targets k, vCPUs n,
# senders S) and of grids of panels: they must read at 2 vCPUs and at 400.

def count_axis(ax, values, axis="x"):
    """An axis of counts (targets, vCPUs, senders): log2 with a tick at
    every power of two (every other one past 10) when the values span x8
    or more, else linear with every value a tick (at most 12)."""
    import math
    vs = sorted({v for v in values if v is not None})
    a = ax.xaxis if axis == "x" else ax.yaxis
    fmt = ticker.FuncFormatter(lambda v, _p: "%d" % v if v == int(v)
                               else "%g" % v)
    if len(vs) >= 3 and vs[0] > 0 and vs[-1] / vs[0] >= 8:
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log", base=2)
        e0 = int(math.ceil(math.log2(vs[0]) - 1e-9))
        e1 = int(math.floor(math.log2(vs[-1]) + 1e-9))
        ticks = [2 ** e for e in range(e0, e1 + 1)]
        if len(ticks) > 10:
            ticks = [t for i, t in enumerate(ticks) if i % 2 == 0]
        # The largest value, when it is no power of two and its label
        # would not touch the last one's (383 beside 256 would).
        if vs[-1] / ticks[-1] >= 1.7:
            ticks.append(vs[-1])
        a.set_major_locator(ticker.FixedLocator(ticks))
        a.set_minor_locator(ticker.NullLocator())
        a.set_major_formatter(fmt)
        a.set_minor_formatter(ticker.NullFormatter())
        lim = (vs[0] / 2 ** 0.3, vs[-1] * 2 ** 0.3)
    else:
        a.set_major_locator(ticker.FixedLocator(vs) if len(vs) <= 12
                            else ticker.MaxNLocator(integer=True))
        a.set_major_formatter(fmt)
        lim = (vs[0] - 1, vs[0] + 1) if len(vs) == 1 else None
    if lim is not None:
        (ax.set_xlim if axis == "x" else ax.set_ylim)(*lim)


def panel_grid(n, per_row=4, w=4.6, h=4.0, sharey=False):
    """A figure of n panels, at most per_row a row and the rows as even
    as can be (6: 3 + 3), the spare places hidden.  Returns (fig, the n
    axes in reading order, the axes at the right end of the first row:
    where a legend goes outside)."""
    nrows = max(1, (n + per_row - 1) // per_row)
    ncols = max(1, (n + nrows - 1) // nrows)
    fig, axes = new_fig(ncols, nrows, w=w, h=h, sharey=sharey)
    flat = [ax for row in axes for ax in row]
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:max(1, n)], axes[0][ncols - 1]


def legend_outside(ax, handles=None, labels=None, **kw):
    """A legend right of ax, outside the data (constrained layout makes
    room for it)."""
    kw.setdefault("fontsize", 8)
    if handles is None:
        return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), **kw)
    return ax.legend(handles, labels, loc="upper left",
                     bbox_to_anchor=(1.02, 1), **kw)


def collect_legend(axes):
    """Every labelled artist of axes, each label once, in order."""
    seen = {}
    for ax in axes:
        for h, lbl in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lbl, h)
    return list(seen.values()), list(seen)


def label_2_5(v, _pos=None):
    """A minor tick's label on a log axis of under two decades: only at
    2 and 5 times a power of ten, so that labels never touch."""
    import math
    if v <= 0:
        return ""
    m = v / 10 ** math.floor(math.log10(v) + 1e-9)
    return "%g" % v if abs(m - 2) < 1e-6 or abs(m - 5) < 1e-6 else ""


def shade(color, j, n):
    """The j-th of n shades of a colour: darker first, lighter last (the
    colour itself in the middle of three)."""
    rgb = mcolors.to_rgb(color)
    if n <= 1:
        return rgb
    f = -0.3 + 0.65 * j / (n - 1)
    if f < 0:
        return tuple(c * (1 + f) for c in rgb)
    return tuple(c + (1 - c) * f for c in rgb)


def band_plot(run, workload, xkey, panel_key, what, xlabel, panel_fmt,
              caption):
    """p50 (line) and p99 (dashed, band between) per backend against a
    count (k, n), a panel per value of panel_key; where the run has the
    delivery split, deliver p50 dotted in the backend's colour."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    sel, where_text = common(run, workload)
    if not run.select(workload):
        return None, "no %s results in this run" % workload
    panels = run.values_of(panel_key, workload)
    fig, axes = new_fig(max(1, len(panels)), w=5.2, h=4.4, sharey=True)
    allx = sorted({b.key(xkey) for b in run.select(workload, where=sel)})
    single = len(allx) == 1
    # Markers only where the points are few enough to be told apart.
    marker = "o" if len(allx) <= 12 else None
    backends = [be for be in run.backends()
                if run.select(workload, backend=be, where=sel)]
    banded = whiskered = delivered = kernel = False
    for ax, pv in zip(axes[0], panels or [None]):
        stars = {}   # x -> membarrier p50s beside the backends
        for bi, be in enumerate(backends):
            keys = dict(sel, backend=be)
            if pv is not None:
                keys[panel_key] = pv
            pts = {}
            for b in run.select(workload, where=keys):
                pts.setdefault(b.key(xkey), []).append(b)
            xs = sorted(pts)
            if not xs:
                continue
            p50 = [median([b.get("p50_ns") for b in pts[x]]) for x in xs]
            p99 = [median([b.get("p99_ns") for b in pts[x]]) for x in xs]
            dlv = [median([b.get("deliver_p50_ns") for b in pts[x]])
                   for x in xs]
            if single:  # one x: side by side, so whiskers do not overlap
                xs = [x + (bi - (len(backends) - 1) / 2) * 0.15 for x in xs]
            c = run.color(be)
            ax.plot(xs, p50, marker=marker, ms=4, color=c, lw=1.6,
                    label=be, zorder=3)
            if all(v is not None for v in p99) and len(xs) > 1:
                ax.fill_between(xs, p50, p99, color=c, alpha=0.18, lw=0,
                                zorder=1)
                ax.plot(xs, p99, color=c, lw=0.8, ls="--", alpha=0.7,
                        zorder=2)
                banded = True
            elif all(v is not None for v in p99):
                # One point: no band to draw, a whisker up to p99.
                ax.errorbar(xs, p50, yerr=[[0] * len(xs),
                                           [b - a for a, b in zip(p50, p99)]],
                            fmt="none", ecolor=c, capsize=4, lw=1)
                whiskered = True
            if all(v is not None for v in dlv):
                ax.plot(xs, dlv, color=c, lw=1.1, ls=":", zorder=2,
                        marker="v" if marker or len(xs) == 1 else None,
                        ms=3.5)
                delivered = True
            # The kernel's IPI of the same fan-out: membarrier at the same
            # vCPUs taking part, where the run measured it (one star per
            # x below: it is no backend's).
            for x0 in pts:
                y = run.fanout_yardstick(pts[x0][0])
                if y is not None:
                    stars.setdefault(x0, []).append(y.get("p50_ns"))
        for x0, ys in stars.items():
            ax.plot([x0], [median(ys)], marker="*", ms=12, color="black",
                    mec="white", mew=0.6, ls="none", zorder=4)
            kernel = True
        log_time_axis(ax)
        count_axis(ax, allx)
        ax.set_xlabel(xlabel + (" (log scale)" if ax.get_xscale() == "log"
                                else ""))
        ax.grid(which="major", alpha=0.3)
        ax.grid(axis="y", which="minor", alpha=0.12)
        ax.set_title(panel_fmt % pv if pv is not None else "")
    axes[0][0].set_ylabel("time to last acknowledgement")
    handles = [Line2D([], [], color=run.color(be), lw=1.6, marker=marker,
                      ms=4) for be in backends]
    labels = ["%s p50" % be for be in backends]
    if banded:
        handles += [Patch(color="gray", alpha=0.3, lw=0),
                    Line2D([], [], color="gray", lw=0.8, ls="--")]
        labels += ["band: p50..p99", "p99"]
    if whiskered:
        handles.append(Line2D([], [], color="gray", lw=0, marker="|",
                              ms=10))
        labels.append("whisker: up to p99")
    if delivered:
        handles.append(Line2D([], [], color="gray", lw=1.1, ls=":",
                              marker="v" if marker else None, ms=3.5))
        labels.append("deliver p50: post →\na target's handler")
    if kernel:
        handles.append(Line2D([], [], color="black", mec="white", mew=0.6,
                              marker="*", ms=12, ls="none"))
        labels.append("%s p50 (kernel IPI)\nat the same vCPUs n" %
                      bj.FANOUT_YARDSTICK)
    legend_outside(axes[0][-1], handles, labels)
    finish(fig, run, "%s (%s)" % (what, where_text))
    if delivered:
        caption += (" Dotted: deliver p50, the post to the start of the "
                    "handler on a target (over the targets).")
    if kernel:
        caption += (" Star: the %s yardstick (the kernel's IPI to every "
                    "other busy vCPU; the median over the backends it ran "
                    "beside), where it was measured at the same number of "
                    "vCPUs taking part, the sender included (%s)." %
                    (bj.FANOUT_YARDSTICK,
                     "n = k + 1" if xkey == "k" else "the same n"))
    return fig, caption


def plot_multicast(run):
    return band_plot(
        run, "multicast", "k", "order", "Multicast latency vs fan-out",
        "targets k", "targets ordered %s",
        "ipi_multicast to k targets + ipi_wait, until the last target "
        "acknowledged: line p50, band up to p99 (dashed), per backend; "
        "one panel per target order (near: nearest first; spread: across "
        "packages and NUMA nodes first). k on a log2 axis when it spans "
        "x8 or more; markers only where the points are few.")


def plot_broadcast(run):
    return band_plot(
        run, "broadcast", "n", "self", "Broadcast latency vs vCPU count",
        "vCPUs taking part n", "self: %s",
        "ipi_broadcast on n vCPUs + ipi_wait: line p50, band up to p99 "
        "(dashed), per backend; self skip: the sender only posts, run: it "
        "also runs the handler itself. n on a log2 axis when it spans x8 "
        "or more; markers only where the points are few.")


# Handler costs one panel tells apart by shade and dash within a
# backend's colour; more take further rows of panels.
HANDLER_GROUP = 3
MBOX_STYLES = ["-", "--", ":"]
MBOX_MARKERS = ["o", "s", "^"]
MBOX_SLOTS = 8


def mbox_delays(b):
    """(ack_delay_ns, put_delay_ns) of a mboxfull benchmark, 0 unset."""
    return (b.key("ack_delay_ns", 0), b.key("put_delay_ns", 0))


def delays_text(v):
    parts = []
    if v[0]:
        parts.append("ack delay %s" % fmt_ns(float(v[0])))
    if v[1]:
        parts.append("put delay %s" % fmt_ns(float(v[1])))
    return ", ".join(parts) or "no delays"


def plot_mboxfull(run):
    from matplotlib.lines import Line2D
    sel, where_text = common(run, "mboxfull")
    allb = run.select("mboxfull", where=sel)
    if not allb:
        if run.select("mboxfull"):
            return None, ("only open-loop mboxfull (rate:R) in this run: "
                          "the plot draws the closed loop; REPORT.md's "
                          "mboxfull table has the open loop")
        return None, "no mboxfull results in this run"

    def values(k):
        return sorted({b.key(k) for b in allb if b.key(k) is not None})
    hs, senders, bursts = (values("handler_ns"), values("senders"),
                           values("burst"))
    variants = sorted({mbox_delays(b) for b in allb})
    backends = [be for be in run.backends()
                if any(b.keys.get("backend") == be for b in allb)]
    # The dimension that grows with the machine, the senders, on x; one
    # column per burst.  With one sender count (a 2-vCPU machine) the
    # bursts go on x instead, in one column.
    by_s = len(senders) > 1
    xkey = "senders" if by_s else "burst"
    cols = bursts if by_s and bursts else [None]
    hgroups = [hs[i:i + HANDLER_GROUP]
               for i in range(0, len(hs), HANDLER_GROUP)] or [[None]]
    blocks = [(v, g) for v in variants for g in hgroups]
    # Rows of a block: throughput, mailbox-full events, fairness.
    R = 3
    fig, axes = new_fig(len(cols), R * len(blocks), w=4.3, h=2.6,
                        sharey="row")
    pts = {}
    for b in allb:
        k = (b.keys.get("backend"), mbox_delays(b), b.key("handler_ns"),
             b.key("burst") if by_s else None)
        pts.setdefault(k, {}).setdefault(b.key(xkey), []).append(b)
    allx = values(xkey)
    marker_ok = len(allx) <= 6
    full_cols = 0
    for bi, (v, g) in enumerate(blocks):
        for ci, col in enumerate(cols):
            top, bot = axes[R * bi][ci], axes[R * bi + 1][ci]
            fair = axes[R * bi + 2][ci]
            for be in backends:
                for j, h in enumerate(g):
                    byx = pts.get((be, v, h, col))
                    if not byx:
                        continue
                    xs = sorted(byx)
                    thr = [median([b.get("msgs_per_s") for b in byx[x]])
                           for x in xs]
                    full = [median([b.get("full_per_msg") for b in byx[x]])
                            for x in xs]
                    kw = dict(color=shade(run.color(be), j, len(g)),
                              ls=MBOX_STYLES[j % len(MBOX_STYLES)], lw=1.5,
                              marker=MBOX_MARKERS[j % len(MBOX_MARKERS)]
                              if marker_ok else None, ms=4)
                    top.plot(xs, [t / 1e6 if t is not None else float("nan")
                                  for t in thr], **kw)
                    bot.plot(xs, [f if f is not None else float("nan")
                                  for f in full], **kw)
                    # Fairness: the smallest and the largest sender's
                    # share of the messages, times S (1: 1/S, fair).
                    lo_, hi_ = ([median([b.get(k) * b.key("senders")
                                         for b in byx[x]
                                         if b.get(k) is not None])
                                 for x in xs]
                                for k in ("share_min", "share_max"))
                    if all(v is not None for v in lo_ + hi_):
                        fair.plot(xs, lo_, **kw)
                        fair.plot(xs, hi_, **dict(kw, lw=0.8, marker=None))
            title = ""
            if by_s and col is not None:
                title = "B = %d message%s outstanding per sender" % (
                    col, "" if col == 1 else "s")
                if col > MBOX_SLOTS:
                    full_cols += 1
                    title += ("\n> %d slots: mailbox fills even with one "
                              "sender" % MBOX_SLOTS)
                    for ax in (top, bot, fair):
                        ax.set_facecolor("#fdf0ea")
            elif not by_s:
                s = senders[0] if senders else 1
                title = "S = %d sender%s" % (s, "" if s == 1 else "s")
            if len(blocks) > 1:
                extra = []
                if len(variants) > 1:
                    extra.append(delays_text(v))
                if len(hgroups) > 1:
                    extra.append("handlers %s" % ", ".join(
                        fmt_ns(float(h)) for h in g))
                title += "\n" + "; ".join(extra)
            top.set_title(title, fontsize=9,
                          color="#a03020" if by_s and col is not None and
                          col > MBOX_SLOTS else "black")
            fair.axhline(1.0, color="black", lw=0.8, ls="--", zorder=1)
            for ax in (top, bot, fair):
                count_axis(ax, allx)
                ax.grid(which="major", alpha=0.3)
            if not by_s and bursts and max(bursts) > MBOX_SLOTS:
                # The bursts past the mailbox's slots, tinted.
                for ax in (top, bot, fair):
                    ax.axvspan(MBOX_SLOTS + 0.5 if ax.get_xscale() ==
                               "linear" else MBOX_SLOTS * 2 ** 0.25,
                               ax.get_xlim()[1], color="#fdf0ea", zorder=0,
                               lw=0)
                top.text(0.98, 0.03, "B > %d: mailbox fills\neven with one "
                         "sender" % MBOX_SLOTS, transform=top.transAxes,
                         ha="right", va="bottom", fontsize=7,
                         color="#a03020")
        # The rows share y: scaled once every column is drawn.
        top, bot, fair = (axes[R * bi + i][0] for i in range(R))
        top.set_yscale("log")
        top.yaxis.set_major_formatter(ticker.FuncFormatter(
            lambda y, _p: "%g" % y))
        lo, hi = top.get_ylim()
        top.yaxis.set_minor_formatter(
            ticker.FuncFormatter(lambda y, _p: "%g" % y) if hi / lo < 10
            else ticker.FuncFormatter(label_2_5) if hi / lo < 100
            else ticker.NullFormatter())
        top.tick_params(axis="y", which="minor", labelsize=7)
        fulls = [y for ax in axes[R * bi + 1] for ln in ax.get_lines()
                 for y in ln.get_ydata() if y == y]
        bot.set_ylim(0, max(fulls + [0.0]) * 1.06 or 1.0)
        shares = [y for ax in axes[R * bi + 2] for ln in ax.get_lines()
                  for y in ln.get_ydata() if y == y]
        fair.set_ylim(0, max(shares + [1.0]) * 1.08)
        axes[R * bi][0].set_ylabel("throughput\n(million msgs/s)")
        axes[R * bi + 1][0].set_ylabel("mailbox-full events\nper message")
        axes[R * bi + 2][0].set_ylabel("sender's share × S\n(1 = fair, 1/S)")
        handles = [Line2D([], [], color=run.color(be), lw=2.5)
                   for be in backends]
        labels = list(backends)
        if g != [None]:
            handles += [Line2D([], [], color=shade("#606060", j, len(g)),
                               ls=MBOX_STYLES[j % len(MBOX_STYLES)], lw=1.5,
                               marker=MBOX_MARKERS[j % len(MBOX_MARKERS)]
                               if marker_ok else None, ms=4)
                        for j in range(len(g))]
            labels += ["handler %s" % fmt_ns(float(h)) for h in g]
        legend_outside(axes[R * bi][-1], handles, labels,
                       title="colour: backend\nshade, dash: handler")
        legend_outside(axes[R * bi + 2][-1], [
            Line2D([], [], color="gray", lw=1.5),
            Line2D([], [], color="gray", lw=0.8),
            Line2D([], [], color="black", lw=0.8, ls="--")],
            ["smallest share × S", "largest share × S", "fair: 1/S"])
    for ci in range(len(cols)):
        axes[-1][ci].set_xlabel(
            "senders S (log scale)" if by_s and
            axes[-1][ci].get_xscale() == "log" else
            "senders S" if by_s else
            "messages outstanding per sender B")
    what = ("Mailbox full: S senders, B messages outstanding each, one "
            "target (%s)" % where_text)
    if len(variants) == 1 and variants[0] != (0, 0):
        what += ", " + delays_text(variants[0])
    finish(fig, run, what)
    layout = ("x: senders S (log2), one column per burst B" if by_s else
              "x: burst B (one sender count in this run)")
    return fig, (
        "S senders each keep B messages outstanding to one target whose "
        "handler costs H%s: messages acknowledged per second (top, millions, "
        "log scale), mailbox-full events per message (middle; each is "
        "a sender finding all %d slots taken) and fairness (bottom: the "
        "smallest sender's share of the messages times S, thick, and the "
        "largest's, thin; 1, dashed, is the fair share 1/S); %s%s. Colour: "
        "backend; "
        "handler cost as shade and dash within the backend's colour "
        "(darkest, solid: the cheapest), at most %d handler costs a panel, "
        "further ones on further rows%s." %
        (" (closed loop: the open-loop benchmarks, rate:R, are in "
         "REPORT.md's mboxfull table)" if "rate" in sel else "",
         MBOX_SLOTS, layout,
         "; tinted: B > %d, the mailbox fills even with one sender" %
         MBOX_SLOTS if (full_cols or (not by_s and bursts and
                                      max(bursts) > MBOX_SLOTS)) else "",
         HANDLER_GROUP,
         "; three rows per delay setting (ack_delay_ns, put_delay_ns)"
         if len(variants) > 1 else ""))


def plot_cdf(run):
    from matplotlib.lines import Line2D
    sel, what = common(run, "unicast")
    groups = {}
    for be in run.backends():
        for key, bs in by_class(run.select("unicast", backend=be,
                                           where=sel)).items():
            groups.setdefault(key, {})[be] = bs
    if not groups:
        return None, "no unicast results in this run"
    keys = sorted(groups, key=lambda k: (bj.class_rank(k[0]),
                                         k[1] != "same"))
    fig, axes, corner = panel_grid(len(keys), per_row=4, w=4.4, h=3.9)
    split = unresolved = False
    maxes = []    # the quantiles the max markers sit at
    for ax in axes[1:]:
        ax.sharex(axes[0])   # classes compared at a glance
    for ax, key in zip(axes, keys):
        for be, bs in groups[key].items():
            n = samples_of(bs)
            qs = [(c, q) for c, q in bj.PERCENTILES if bj.resolved(n, q)]
            unresolved |= len(qs) < len(bj.PERCENTILES)
            xs = [median([b.get(c) for b in bs]) for c, _ in qs]
            if not xs or any(x is None for x in xs):
                continue
            ps = [q for _, q in qs]
            c = run.color(be)
            ax.plot(xs, ps, marker="o", ms=4, color=c, label=be)
            mx = median([b.get("max_ns") for b in bs])
            if mx is not None and n is not None and n >= 2:
                # The largest of n samples: the quantile 1 - 1/n.
                qm = 1.0 - 1.0 / n
                ax.plot([xs[-1], mx], [ps[-1], qm], color=c, ls=":",
                        lw=0.8)
                ax.plot([mx], [qm], marker="x", color=c, ms=7)
                maxes.append(qm)
            # The delivery split at the same two quantiles, p99 where the
            # samples resolve it.
            for name, mk, _lbl in SPLIT:
                sq = [(p, q) for p, q in (("p50", 0.5), ("p99", 0.99))
                      if bj.resolved(n, q)]
                pts = [median([b.get("%s_%s_ns" % (name, p)) for b in bs])
                       for p, _ in sq]
                sq = [q for _, q in sq]
                if any(v is None for v in pts):
                    continue
                ax.plot(pts, sq, color=c, lw=0.8, ls=(0, (1, 1.5)),
                        marker=mk, ms=4.5, mfc="white", mec=c, mew=1.0)
                split = True
            ref = run.reference(be)
            y = run.yardstick(ref, be, bs[0].key("src"), bs[0].key("dst"),
                              key[0]) if ref else None
            if y is not None:
                yq = [(c_, q) for c_, q in bj.PERCENTILES
                      if bj.resolved(y.get("samples"), q)]
                ys = [y.get(c_) for c_, _ in yq]
                if ys and all(v is not None for v in ys):
                    ax.plot(ys, [q for _, q in yq], color=c, ls="--",
                            lw=0.9, alpha=0.7,
                            label="%s (beside %s)" % (ref, be))
    # Room up to the highest max: a decade of 9s past it.
    top = max([0.99995] + [1 - (1 - q) / 2 for q in maxes])
    ticks = [0.5, 0.9, 0.99, 0.999, 0.9999]
    while 1 - (1 - ticks[-1]) / 10 < top:
        ticks.append(1 - (1 - ticks[-1]) / 10)
    for ax, key in zip(axes, keys):
        ax.set_yscale("logit")
        ax.set_ylim(0.3, top)
        ax.yaxis.set_major_locator(ticker.FixedLocator(ticks))
        ax.yaxis.set_major_formatter(ticker.FixedFormatter(
            ["p%s" % ("%.6f" % (100 * q)).rstrip("0").rstrip(".")
             for q in ticks]))
        ax.yaxis.set_minor_locator(ticker.NullLocator())
        log_time_axis(ax, "x")
        ax.set_xlabel("time per operation")
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel("fraction of operations at most x")
        ax.grid(which="major", alpha=0.3)
        ax.set_title("pair class " + pair_label(*key).replace("\n", ", "),
                     fontsize=10)
    handles, labels = collect_legend(axes)
    if maxes:
        handles.append(Line2D([], [], color="gray", marker="x", ms=7,
                              ls="none"))
        labels.append("max, at 1 − 1/samples")
    if split:
        handles += [Line2D([], [], color="gray", lw=0.8, ls=(0, (1, 1.5)),
                           marker=mk, ms=4.5, mfc="white", mec="gray")
                    for _, mk, _ in SPLIT]
        labels += ["%s\n(p50, p99)" % lbl for _, _, lbl in SPLIT]
    legend_outside(corner, handles, labels, fontsize=7)
    finish(fig, run, "Unicast latency distribution (%s)" % what)
    return fig, ("Distribution of single unicast round trips, one panel "
                 "per pair class (every class of the run, at most four a "
                 "row), drawn only through the percentile counters p50, "
                 "p90, p99, p99.9 (points) and max (×, at the quantile "
                 "1 − 1/samples: the largest of that many operations): "
                 "not a full histogram." +
                 (" A percentile is drawn only where the sample count "
                  "resolves it (at least one sample above it: p99.9 needs "
                  "1000 samples, p99 100); some here have fewer." if
                  unresolved else "") +
                 (" Dotted with hollow markers, in the backend's colour: "
                  "the delivery split at p50 and p99, %s (▼) and %s (■); "
                  "the round trip's rest beyond ack is the sender's wait "
                  "(its backoff)." % (SPLIT[0][2], SPLIT[1][2])
                  if split else "") +
                 " Dashed: the yardstick of the same shape, measured beside "
                 "each backend (another moment than the round trips).")


def samples_of(bs):
    """The fewest operations timed (the counter samples) of benchmarks
    bs, the count a percentile drawn from their medians can rely on;
    None when one has none (every percentile then drawn)."""
    ns = [b.get("samples") for b in bs]
    if not ns or any(not isinstance(x, (int, float)) for x in ns):
        return None
    return min(ns)


def plot_placement(run):
    pls = run.values_of("placement", "unicast")
    sel, what = common(run, "unicast", placement=False)
    if len(pls) < 2:
        return None, ("one placement in this run (%s): list several in "
                      "[run] placements (configs/full.ini does)" %
                      (pls[0] if pls else "none"))
    backends = [be for be in run.backends()
                if run.select("unicast", backend=be)]
    classes = []
    for b in run.select("unicast"):
        k = (b.keys.get("class", "?"), b.keys.get("numa"))
        if k not in classes:
            classes.append(k)
    classes.sort(key=lambda k: (bj.class_rank(k[0]), k[1] != "same"))
    fig, axes, corner = panel_grid(len(classes), per_row=4,
                                   w=max(3.6, 0.5 + 0.35 * len(pls) *
                                         len(backends)), h=3.9,
                                   sharey=True)
    width = 0.8 / len(pls)
    cmap = plt.get_cmap("Set2")
    drawn = []   # every p50 and p99: the shared y range
    for ax, key in zip(axes, classes):
        for pi, pl in enumerate(pls):
            xs, ys, es = [], [], []
            for bi, be in enumerate(backends):
                bs = [b for b in run.select("unicast", where=dict(
                    sel, backend=be, placement=pl))
                      if (b.keys.get("class"), b.keys.get("numa")) == key]
                if not bs:
                    continue
                xs.append(bi + (pi - (len(pls) - 1) / 2) * width)
                ys.append(median([b.get("p50_ns") for b in bs]))
                es.append(median([b.get("p99_ns") for b in bs]))
            drawn += [v for v in ys + es if v]
            ax.bar(xs, ys, width * 0.9, color=cmap(pi), label=pl, zorder=2)
            ax.errorbar(xs, ys, yerr=[[0] * len(ys),
                                      [max(0, e - y) for e, y in zip(es, ys)]],
                        fmt="none", ecolor="black", lw=1, capsize=2, zorder=3)
        ax.set_xticks(range(len(backends)))
        ax.set_xticklabels(backends, fontsize=8 if len(backends) > 3 else 9)
        log_time_axis(ax)
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel("round trip (bar: p50, whisker: p99)")
        ax.grid(axis="y", which="both", alpha=0.3, zorder=0)
        ax.set_title("pair class " + pair_label(*key).replace("\n", ", "),
                     fontsize=10)
    if drawn:   # log bars on shared axes: the range set by hand
        axes[0].set_ylim(min(drawn) / 1.6, max(drawn) * 1.6)
    legend_outside(corner, *collect_legend(axes), title="placement")
    one_node = "1 NUMA node" in str(run.context.get("topology", "")) or \
        all(b.keys.get("numa") != "cross" for b in run.select("unicast"))
    finish(fig, run, "Unicast by placement of the per-vCPU IPI state" +
           (" (%s)" % what if what else "") +
           (" (one NUMA node: the placements coincide)" if one_node else ""))
    return fig, ("Unicast round trip for each placement of the mailboxes "
                 "and pending words (local: each vCPU's own NUMA node; "
                 "single: the seed's one array; interleave; remote), per "
                 "backend and pair class (one panel per class, at most four "
                 "a row): bar p50, whisker p99." +
                 (" With one NUMA node every placement puts the state on "
                  "the same node: differences here are noise." if one_node
                  else ""))


def class_keys(benches):
    """The (class, numa) of benches, nearest first."""
    return list(by_class(benches))


def plot_trigger(run):
    """Trigger: the round trip of ipi_trigger until the handler ran
    (mode:latency) per pair class and backend, and triggers per handler
    run under load (mode:coalesce, its counter triggers_per_run)."""
    sel, what = common(run, "trigger")
    allb = run.select("trigger", where=sel)
    if not allb:
        return None, "no trigger results in this run"
    # The coalescing benchmarks are those that count (triggers_per_run),
    # the others round trips: read from the counters, so that a file
    # without the workload table draws the same.
    cnt = [b for b in allb if b.get("triggers_per_run") is not None]
    lat = [b for b in allb if b not in cnt]
    backends = [be for be in run.backends()
                if any(b.keys.get("backend") == be for b in allb)]
    keys = class_keys(allb)
    nb = len(backends)
    fig, axes = new_fig(1, 2 if cnt and lat else 1,
                        w=max(7.5, 2.5 + 0.55 * len(keys) * nb), h=3.6)
    rows = [r for r in (lat, cnt) if r]
    width = min(0.8 / nb, 0.26)
    marks = set()
    tops = []
    for ax, bs_all in zip([r[0] for r in axes], rows):
        counting = bs_all is cnt
        for gi, key in enumerate(keys):
            for bi, be in enumerate(backends):
                bs = [b for b in bs_all if b.keys.get("backend") == be and
                      (b.keys.get("class", "?"), b.keys.get("numa")) == key]
                if not bs:
                    continue
                x = gi + (bi - (nb - 1) / 2) * width
                if counting:
                    v = median([b.get("triggers_per_run") for b in bs])
                    ax.bar(x, v, width * 0.9, color=run.color(be), zorder=2,
                           label=be if gi == 0 else None)
                    ax.annotate("%.3g" % v, (x, v), xytext=(0, 2),
                                textcoords="offset points", ha="center",
                                va="bottom", fontsize=7)
                    continue
                p50 = median([b.get("p50_ns") for b in bs])
                p99 = median([b.get("p99_ns") for b in bs])
                ax.bar(x, p50, width * 0.9, color=run.color(be), zorder=2,
                       label=be if gi == 0 else None)
                if p99 is not None:
                    ax.plot([x, x], [p50, p99], color="black", lw=1,
                            zorder=3)
                    ax.plot([x - width * 0.15, x + width * 0.15],
                            [p99, p99], color="black", lw=1, zorder=3)
                text = fmt_ns(p50, step=run.timer_step())
                rl = ratio_label(run, bs)
                if rl is not None:
                    text += "\n" + rl
                    marks.add("*" if rl.endswith("*") else "")
                top = max(v for v in (p50, p99) if v is not None)
                tops.append(top)
                bar_label(ax, x, top, text)
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels([pair_label(*k) + pairs_text(
            [b for b in bs_all if (b.keys.get("class", "?"),
                                   b.keys.get("numa")) == k])
            for k in keys], fontsize=8 if len(keys) > 4 else None)
        if len(keys) == 1:
            ax.set_xlim(-0.6, 0.6)
        if counting:
            vals = [b.get("triggers_per_run") for b in cnt]
            if min(vals) > 0 and max(vals) / min(vals) > 20:
                ax.set_yscale("log")
            else:
                ax.set_ylim(0, max(vals) * 1.2)
            ax.set_ylabel("triggers per handler run\n(mode coalesce)")
            ax.set_title("coalescing: ipi_trigger calls per run of the "
                         "handler under load", fontsize=9)
        else:
            log_time_axis(ax)
            if tops:   # two lines of label above the highest whisker,
                # and from the decade below the lowest bar (a tick there)
                import math
                low = min(b.get("p50_ns") for b in lat)
                ax.set_ylim(10 ** math.floor(math.log10(low * 0.95)),
                            max(tops) * 2.0)
            ax.set_ylabel("round trip (mode latency)\nbar p50, whisker p99")
            ax.set_title("latency: ipi_trigger until the handler ran",
                         fontsize=9)
        ax.grid(axis="y", which="both", alpha=0.3, zorder=0)
    axes[-1][0].set_xlabel("pair class: the nearest level the sender and "
                           "the target share")
    legend_outside(axes[0][0])
    finish(fig, run, "Asynchronous trigger (%s)" % what)
    xn = ""
    if any(run.ratio(b) is not None for b in lat):
        xn = (" ×N under a bar's value: its p50 over %s" %
              ("the in-situ reference of the pair (the backend's yardstick "
               "measured on the same vCPUs just before each repetition)"
               if run.has_insitu() else
               "the backend's yardstick of the pair measured beside it, at "
               "another moment (×N*)") +
              ("; ×N*: from the yardstick beside, another moment"
               if "*" in marks and run.has_insitu() else "") + ".")
    return fig, ("ipi_trigger of a registered handler, per pair class "
                 "and backend (median over the pairs of a class)%s%s" %
                 (": top, the round trip until the handler ran (mode "
                  "latency), bar p50, whisker p99;" if lat else "",
                  " %s the triggers per handler run when the sender "
                  "triggers while the target is busy (mode coalesce: the "
                  "pending bit's 0 -> 1 transition alone raises the "
                  "interrupt, so triggers coalesce; 1 is none)." %
                  ("bottom," if lat else "")
                  if cnt else ".") + xn)


BACKOFF_ONE = ("one backoff value in this run (%s): sweep several "
               "([run] backoff = seed,pause) to compare the sender's wait")
BACKOFF_NONE = ("no backoff in the names of this run (an ipibench before "
                "the backoff dimension)")


def plot_backoff(run, workloads=("unicast", "broadcast")):
    """Round trip per backoff value (backoff:B) and backend, when the
    run has several: unicast per pair class (bars, a shade of the
    backend's colour per value; deliver ▼ and ack ■ p50 on each) and
    broadcast against n (p50 solid, ack p50 dashed, deliver p50
    dotted)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    values = run.values_of("backoff")
    if len(values) < 2:
        return None, BACKOFF_ONE % values[0] if values else BACKOFF_NONE
    ws = [w for w in workloads
          if any("backoff" in b.keys for b in run.select(w))]
    if not ws:
        return None, "no unicast or broadcast with a backoff in this run"
    backends = [be for be in run.backends()
                if any(run.select(w, backend=be) for w in ws)]
    pls = {w: first_placement(run, w) for w in ws}
    # One dwell per backoff value: the lowest it has (dwell 0, or the
    # first dwell, the only one a second backoff value carries).
    low = {"dwell": bj.LOWEST}
    nv = len(values)
    nclass = max([len(class_keys(run.select("unicast", where=low,
                                            placement=pls["unicast"])))]
                 if "unicast" in ws else [1])
    fig, axes = new_fig(len(backends), len(ws),
                        w=max(4.6, 1.2 + 0.28 * nclass * nv), h=3.8)
    for ci, be in enumerate(backends):
        base = run.color(be)
        for ri, w in enumerate(ws):
            ax = axes[ri][ci]
            bs_all = run.select(w, backend=be, placement=pls[w], where=low)
            if w == "unicast":
                keys = class_keys(bs_all)
                width = min(0.8 / nv, 0.3)
                for gi, key in enumerate(keys):
                    for j, v in enumerate(values):
                        bs = [b for b in bs_all
                              if b.keys.get("backoff") == v and
                              (b.keys.get("class", "?"),
                               b.keys.get("numa")) == key]
                        if not bs:
                            continue
                        x = gi + (j - (nv - 1) / 2) * width
                        p50 = median([b.get("p50_ns") for b in bs])
                        ax.bar(x, p50, width * 0.9,
                               color=shade(base, j, nv), zorder=2)
                        for (name, mk, _l), dx in zip(SPLIT,
                                                      (-0.22, 0.22)):
                            y = median([b.get(name + "_p50_ns") for b in bs])
                            if y is not None:
                                ax.plot([x + dx * width], [y], marker=mk,
                                        ms=4, mfc="black", mec="white",
                                        mew=0.5, ls="none", zorder=4)
                ax.set_xticks(range(len(keys)))
                many = len(keys) > 4    # side by side they would touch
                ax.set_xticklabels([pair_label(*k) for k in keys],
                                   fontsize=7 if many else 8,
                                   rotation=35 if many else 0,
                                   ha="right" if many else "center",
                                   rotation_mode="anchor")
                if len(keys) == 1:
                    ax.set_xlim(-0.6, 0.6)
                ax.grid(axis="y", alpha=0.3, zorder=0)
                ax.set_title("%s: unicast per pair class" % be, fontsize=9)
                # Linear from 0: a bar's height is its time.
                linear_time_axis(ax)
            else:
                selfs = run.values_of("self", w)
                sf = "skip" if "skip" in selfs else (selfs[0] if selfs
                                                     else None)
                xs_all = sorted({b.key("n") for b in bs_all})
                few = len(xs_all) <= 12    # markers only then
                for j, v in enumerate(values):
                    pts = {}
                    for b in bs_all:
                        if b.keys.get("backoff") == v and \
                                (sf is None or b.keys.get("self") == sf):
                            pts.setdefault(b.key("n"), []).append(b)
                    xs = sorted(pts)
                    if not xs:
                        continue
                    # One n: the values side by side, not on one another.
                    at = [x + (j - (nv - 1) / 2) * 0.12 for x in xs] \
                        if len(xs_all) == 1 else xs
                    c = shade(base, j, nv)
                    for cnt, ls, lw, m in (("p50_ns", "-", 1.6, "o"),
                                           ("ack_p50_ns", "--", 1.0, "s"),
                                           ("deliver_p50_ns", ":", 1.0,
                                            "v")):
                        ys = [median([b.get(cnt) for b in pts[x]])
                              for x in xs]
                        if all(y is not None for y in ys):
                            ax.plot(at, ys, color=c, ls=ls, lw=lw,
                                    marker=m if few else None,
                                    ms=4 if m == "o" else 3.5, zorder=3)
                count_axis(ax, xs_all)
                ax.set_xlabel("vCPUs taking part n" +
                              (" (log scale)" if ax.get_xscale() == "log"
                               else ""))
                ax.grid(which="major", alpha=0.3)
                ax.set_title("%s: broadcast%s" % (
                    be, ", self %s" % sf if sf else ""), fontsize=9)
                log_time_axis(ax)
                label_minor_times(ax)
            if ci == 0:
                ax.set_ylabel("%s: time per operation" % w)
    grays = [Patch(color=shade("#606060", j, nv)) for j in range(nv)]
    handles = grays + [
        Line2D([], [], marker=SPLIT[0][1], ls="none", mfc="black",
               mec="black", ms=4),
        Line2D([], [], marker=SPLIT[1][1], ls="none", mfc="black",
               mec="black", ms=4),
        Line2D([], [], color="gray", lw=1.6, marker="o", ms=4),
        Line2D([], [], color="gray", lw=1.0, ls="--", marker="s", ms=3.5),
        Line2D([], [], color="gray", lw=1.0, ls=":", marker="v", ms=3.5)]
    labels = ["backoff %s" % v for v in values] + [
        "deliver p50 (unicast)", "ack p50 (unicast)",
        "round trip p50 (broadcast)", "ack p50 (broadcast)",
        "deliver p50 (broadcast)"]
    legend_outside(axes[0][-1], handles, labels,
                   title="shade of the backend's\ncolour: backoff")
    dw = {run.lowest(b, "dwell") for w in ws
          for b in run.select(w, where=low) if "dwell" in b.keys}
    finish(fig, run, "Round trip vs the sender's backoff (placement %s%s)" %
           (", ".join(sorted(set(pls.values()))),
            ", idle dwell %s" % dwell_text(dw.pop()) if len(dw) == 1 and
            len(run.values_of("dwell")) > 1 else ""))
    return fig, (
        "The sender's wait for the acknowledgement (ipi_wait) with each "
        "backoff of the run (%s), a column per backend: %s (unicast on a "
        "linear axis from 0, broadcast on a log axis). A shade of the "
        "backend's colour per backoff value, darkest first. The round trip "
        "above ack is the sender's wait overhead, the backoff's share; "
        "deliver and ack do not depend on it." %
        (", ".join(values), "; ".join(
            {"unicast": "unicast p50 per pair class (bar; ▼ deliver p50, "
                        "■ ack p50; the median over a class's pairs)",
             "broadcast": "broadcast p50 against the vCPUs taking part n "
                          "(solid; dashed ack p50, dotted deliver p50)"}[w]
            for w in ws)))

DWELL_ONE = ("one idle dwell in this run (%s): sweep several ([run] "
             "idle_dwell_us = 0,100,1000) to see what a longer sleep costs")
DWELL_NONE = ("no dwell in the names of this run (an ipibench before the "
              "idle dwell)")


def dwell_series(run, workload, backend):
    """{dwell: [bench]} of backend's round trips of workload (trigger:
    mode latency) with more than one dwell value: the first placement and
    the backoff value crossed with every dwell (the one with the most
    dwell values; seed first); {} when there is no such series."""
    sel = {"backend": backend}
    pl = first_placement(run, workload)
    if pl is not None:
        sel["placement"] = pl
    by_bo = {}
    for b in run.select(workload, where=sel):
        if "dwell" not in b.keys or b.get("triggers_per_run") is not None \
                or run.kind(b) not in ("latency", None):
            continue
        by_bo.setdefault(b.keys.get("backoff"), {}).setdefault(
            b.keys["dwell"], []).append(b)
    if not by_bo:
        return {}
    best = max(by_bo, key=lambda bo: (len(by_bo[bo]), bo == "seed"))
    series = by_bo[best]
    return dict(sorted(series.items(), key=lambda kv: bj.num(kv[0]))) \
        if len(series) > 1 else {}


def pairs_note(bs):
    """"vCPU s → d" of benchmarks of one pair, else "median over N
    pairs"."""
    pairs = {(b.key("src"), b.key("dst")) for b in bs}
    return ("vCPU %s → %s" % next(iter(pairs)) if len(pairs) == 1
            else "median over %d pairs" % len(pairs))


def plot_dwell(run):
    """Wake-up latency against the idle dwell (dwell:N, how long a
    sleeping target stayed asleep before the wake-up): a line per
    sleeping backend, p50 solid and p99 dashed, for unicast (its round
    trip, and its delivery beside where the run has it) and trigger mode
    latency; the dwell values evenly spaced (0 has no place on a log
    axis), ×N the p50 over the lowest dwell's."""
    from matplotlib.lines import Line2D
    values = run.values_of("dwell")
    if len(values) < 2:
        return None, DWELL_ONE % values[0] if values else DWELL_NONE
    pos = {v: i for i, v in enumerate(values)}
    panels = []   # (workload, p50 counter, p99 counter, title, series)
    for w, title in (("unicast", "unicast: ipi_unicast + ipi_wait"),
                     ("trigger", "trigger (mode latency): ipi_trigger\n"
                                 "until the handler ran")):
        series = {be: dwell_series(run, w, be) for be in run.backends()}
        series = {be: sr for be, sr in series.items() if sr}
        if not series:
            continue
        panels.append((w, "p50_ns", "p99_ns", title, series))
        if w == "unicast" and any(
                b.get("deliver_p50_ns") is not None for sr in series.values()
                for bs in sr.values() for b in bs):
            panels.append((w, "deliver_p50_ns", "deliver_p99_ns",
                           "unicast delivery: post → handler start",
                           series))
    if not panels:
        return None, ("no sleeping backend with several dwell values in "
                      "this run (a spinning backend has dwell 0 only)")
    fig, axes, corner = panel_grid(len(panels), per_row=3, w=4.4, h=3.9,
                                   sharey=True)
    backends = []
    unresolved = False
    for ax, (w, c50, c99, title, series) in zip(axes, panels):
        notes = set()
        points = {}   # x -> [(p50, ratio, colour)]: the ×N labels
        for be, sr in series.items():
            if be not in backends:
                backends.append(be)
            col = run.color(be)
            xs = [pos[v] for v in sr]
            p50 = [median([b.get(c50) for b in bs]) for bs in sr.values()]
            # A p99 only where the samples resolve it (>= 100).
            p99 = []
            for bs in sr.values():
                ok = bj.resolved(samples_of(bs), 0.99)
                unresolved |= not ok
                v = median([b.get(c99) for b in bs]) if ok else None
                p99.append(float("nan") if v is None else v)
            if any(v is None for v in p50):
                continue
            ax.plot(xs, p50, color=col, lw=1.6, marker="o", ms=4, zorder=3)
            ax.plot(xs, p99, color=col, lw=1.0, ls="--", marker="o", ms=3,
                    mfc="white", zorder=2)
            for x, v in zip(xs[1:], p50[1:]):
                points.setdefault(x, []).append((v, v / p50[0], col))
            notes.add(pairs_note([b for bs in sr.values() for b in bs]))
        # ×N: a p50 over its line's lowest dwell's; the highest line's
        # above its point, the lowest's below, any between to the right:
        # never across another line.
        for x, pts in points.items():
            pts.sort()
            for i, (v, r, col) in enumerate(pts):
                up, down = i == len(pts) - 1, i == 0 and len(pts) > 1
                ax.annotate("×%.2f" % r, (x, v),
                            xytext=(0, 6) if up else (0, -6) if down
                            else (6, 0), textcoords="offset points",
                            ha="center" if up or down else "left",
                            va="bottom" if up else "top" if down
                            else "center", fontsize=7, color=col,
                            bbox=dict(boxstyle="round,pad=0.1", fc="white",
                                      ec="none", alpha=0.8))
        ax.set_xticks(range(len(values)))
        ax.set_xticklabels([dwell_text(v) for v in values])
        ax.set_xlim(-0.4, len(values) - 0.6)
        ax.set_xlabel("idle dwell before the wake-up\n(evenly spaced, not "
                      "to scale)")
        log_time_axis(ax)
        ax.grid(which="major", alpha=0.3)
        ax.grid(axis="y", which="minor", alpha=0.12)
        ax.set_title("%s\n(%s)" % (title, "; ".join(sorted(notes))),
                     fontsize=9)
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel("time per operation")
    label_minor_times(axes[0])
    handles = [Line2D([], [], color=run.color(be), lw=2.5)
               for be in backends]
    handles += [Line2D([], [], color="gray", lw=1.6, marker="o", ms=4),
                Line2D([], [], color="gray", lw=1.0, ls="--", marker="o",
                       ms=3, mfc="white")]
    legend_outside(corner, handles, list(backends) + ["p50", "p99"])
    pl = first_placement(run, "unicast") or first_placement(run, "trigger")
    bos = {b.keys.get("backoff") for _, _, _, _, sr in panels
           for bss in sr.values() for bs in bss.values() for b in bs
           if "backoff" in b.keys}
    where = (["placement %s" % pl] if pl else []) + \
        (["backoff %s" % bos.pop()] if len(bos) == 1 and
         len(run.values_of("backoff")) > 1 else [])
    finish(fig, run, "Wake-up latency vs idle dwell%s" %
           (" (%s)" % ", ".join(where) if where else ""))
    return fig, (
        "Wake-up latency after the target slept for the idle dwell "
        "(dwell:N: once the sender saw it asleep, it waited N µs, untimed, "
        "before the IPI), one line per sleeping backend, p50 solid and "
        "p99 dashed (median over the pairs; the first placement and the "
        "backoff crossed with every dwell): %s.  The dwell values are "
        "evenly spaced (0 has no place on a log axis), the time axis is "
        "log.  ×N beside a point: its p50 over the same line's p50 at its "
        "lowest dwell (%s).  "
        "A backend that spins has no sleep to dwell in (dwell 0 only) and "
        "no line here.%s" %
        ("; ".join(t.replace("\n", " ") for _, _, _, t, _ in panels),
         dwell_text(values[0]),
         "  A p99 of fewer than 100 samples is not drawn." if unresolved
         else ""))



PLOTS = [
    ("unicast_heatmap", plot_heatmap),
    ("matrix_pingpong", plot_matrix_pingpong),
    ("unicast_classes", plot_unicast_classes),
    ("latency_cdf", plot_cdf),
    ("multicast", plot_multicast),
    ("broadcast", plot_broadcast),
    ("trigger", plot_trigger),
    ("mboxfull", plot_mboxfull),
    ("placement", plot_placement),
    ("backoff", plot_backoff),
    ("dwell", plot_dwell),
]


def draw_all(run, outdir, only=None):
    """Draw every plot of run into outdir; write outdir/plots.json.
    Returns the manifest (a list of dicts: name, files, caption, or
    name, skipped)."""
    os.makedirs(outdir, exist_ok=True)
    manifest = []
    for name, fn in PLOTS:
        if only and name not in only:
            continue
        try:
            fig, text = fn(run)
        except Exception as e:  # one bad plot must not lose the others
            fig, text = None, "failed: %s: %s" % (type(e).__name__, e)
            print("plot: %s: %s" % (name, text), file=sys.stderr)
        if fig is None:
            manifest.append({"name": name, "skipped": text})
            continue
        files = []
        for ext in ("png", "svg"):
            p = os.path.join(outdir, "%s.%s" % (name, ext))
            fig.savefig(p, dpi=120 if ext == "png" else None)
            files.append(os.path.basename(p))
        plt.close(fig)
        manifest.append({"name": name, "files": files, "caption": text,
                         "title": fig._suptitle.get_text().split("\n")[0]
                         if fig._suptitle else name})
    with open(os.path.join(outdir, "plots.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    return manifest


def main(argv):
    ap = argparse.ArgumentParser(description="Draw the plots of an ipibench "
                                 "run (PNG and SVG).")
    ap.add_argument("run", help="results folder or bench.json")
    ap.add_argument("--out", help="folder for the plots (default: "
                    "RUN/plots, or plots/ beside the JSON)")
    ap.add_argument("--only", action="append", help="draw only this plot "
                    "(%s)" % ", ".join(n for n, _ in PLOTS))
    a = ap.parse_args(argv)
    try:
        run = bj.load(a.run)
    except (OSError, ValueError) as e:
        print("plot: %s" % e, file=sys.stderr)
        return 2
    out = a.out or os.path.join(run.folder or ".", "plots")
    manifest = draw_all(run, out, a.only)
    for m in manifest:
        if "files" in m:
            print("plot: %s/%s.{png,svg}" % (out, m["name"]))
        else:
            print("plot: %s skipped: %s" % (m["name"], m["skipped"]))
    return 1 if any(m.get("skipped", "").startswith("failed")
                    for m in manifest) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
