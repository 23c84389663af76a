#!/usr/bin/env python3
"""plot.py: draw the pictures of an ipibench run.

    plot.py RUN [--out DIR]

RUN is a results folder (results/<host>-<time>/) or a bench.json; the
pictures go to RUN/plots/ (or DIR), each as PNG and SVG, with
plots/plots.json listing them with their captions, and the plots that
could not be drawn with the reason (report.py reads it).

Every figure is titled with the machine and the date of the run, and
every latency is a round trip in nanoseconds per operation, the median
over repetitions of each repetition's percentile counters.
"""
import argparse
import json
import os
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import colors as mcolors  # noqa: E402
from matplotlib import ticker  # noqa: E402

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


def fmt_ns(v, _pos=None):
    """Nanoseconds as short text with a unit."""
    if v is None:
        return "-"
    if v >= 1e6:
        return "%.3g ms" % (v / 1e6)
    if v >= 1e3:
        return "%.3g µs" % (v / 1e3)
    return "%.3g ns" % v


def log_time_axis(ax, axis="y"):
    a = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    a.set_major_formatter(ticker.FuncFormatter(fmt_ns))
    a.set_minor_formatter(ticker.NullFormatter())


def pair_label(cls, numa):
    if numa is None:
        return cls
    return "%s\n%s NUMA" % (cls, numa)


def first_placement(run, workload):
    pls = run.values_of("placement", workload)
    return "local" if "local" in pls else (pls[0] if pls else None)


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

def is_matrix(benches):
    pairs = {(b.key("src"), b.key("dst")) for b in benches}
    cpus = sorted({c for p in pairs for c in p})
    if len(cpus) < 2:
        return False
    return all((a, b) in pairs for a in cpus for b in cpus if a != b)


def plot_heatmap(run):
    pl = first_placement(run, "unicast")
    per_backend = []
    for be in run.backends():
        bs = run.select("unicast", backend=be, placement=pl)
        if bs and is_matrix(bs):
            per_backend.append((be, bs))
    if not per_backend:
        return None, ("no unicast matrix in this run (one pair per class "
                      "only): set [unicast] matrix = true, as "
                      "configs/full.ini does")
    fig, axes = new_fig(len(per_backend), w=5.4, h=4.4)
    for ax, (be, bs) in zip(axes[0], per_backend):
        cpus = sorted({b.key("src") for b in bs} | {b.key("dst") for b in bs})
        idx = {c: i for i, c in enumerate(cpus)}
        n = len(cpus)
        m = [[float("nan")] * n for _ in range(n)]
        info = {}
        for b in bs:
            i, j = idx[b.key("src")], idx[b.key("dst")]
            m[i][j] = b.get("p50_ns")
            info[(i, j)] = (b.keys.get("class"), b.keys.get("numa"))
        vals = [v for row in m for v in row if v == v]
        cmap = plt.get_cmap("viridis").copy()
        cmap.set_bad("#dddddd")
        # A colour scale spanning at least x1.5, so that noise of a few
        # percent does not look like structure.
        lo, hi = min(vals), max(vals)
        if hi / lo < 1.5:
            mid = (lo * hi) ** 0.5
            lo, hi = mid / 1.5 ** 0.5, mid * 1.5 ** 0.5
        norm = mcolors.LogNorm(lo, hi)
        im = ax.imshow(m, cmap=cmap, norm=norm, interpolation="nearest")
        cb = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04,
                          format=ticker.FuncFormatter(fmt_ns))
        cb.set_label("p50 round trip")
        cb.ax.yaxis.set_major_formatter(ticker.FuncFormatter(fmt_ns))
        # Label the minor ticks only where there are few major ones.
        cb.ax.yaxis.set_minor_formatter(
            ticker.FuncFormatter(fmt_ns) if hi / lo < 10
            else ticker.NullFormatter())
        # Package (solid) and NUMA (dashed) boundaries, from the pairs'
        # classes: between i and i+1 when they are in different packages
        # (class machine) or NUMA nodes (numa cross).
        for i in range(n - 1):
            cl, nu = info.get((i, i + 1), info.get((i + 1, i), (None, None)))
            if cl == "machine":
                ax.axhline(i + 0.5, color="white", lw=2.5)
                ax.axvline(i + 0.5, color="white", lw=2.5)
            elif nu == "cross":
                ax.axhline(i + 0.5, color="white", lw=1.5, ls="--")
                ax.axvline(i + 0.5, color="white", lw=1.5, ls="--")
        if n <= 16:
            for (i, j) in info:
                v = m[i][j]
                ax.text(j, i, fmt_ns(v).replace(" ", "\n"), ha="center",
                        va="center", fontsize=8 if n <= 8 else 5,
                        color="white" if norm(v) < 0.5 else "black")
        step = max(1, n // 16)
        ax.set_xticks(range(0, n, step))
        ax.set_xticklabels([cpus[i] for i in range(0, n, step)])
        ax.set_yticks(range(0, n, step))
        ax.set_yticklabels([cpus[i] for i in range(0, n, step)])
        ax.set_xlabel("target vCPU (dst)")
        ax.set_ylabel("sender vCPU (src)")
        ax.set_title(be)
    finish(fig, run, "Unicast round trip, every ordered pair "
           "(placement %s)" % pl)
    return fig, ("p50 of ipi_unicast + ipi_wait for every ordered pair of "
                 "vCPUs, per backend (each with its own colour scale). "
                 "White lines: package boundaries (solid) and NUMA node "
                 "boundaries (dashed).")


def plot_unicast_classes(run):
    pl = first_placement(run, "unicast")
    backends = [be for be in run.backends()
                if run.select("unicast", backend=be, placement=pl)]
    if not backends:
        return None, "no unicast results in this run"
    groups = {}
    for be in backends:
        for key, bs in by_class(run.select("unicast", backend=be,
                                           placement=pl)).items():
            groups.setdefault(key, {})[be] = bs
    keys = sorted(groups, key=lambda k: (bj.class_rank(k[0]), k[1] != "same"))
    fig, axes = new_fig(1, w=max(7.5, 2.2 * len(keys) * len(backends) / 2),
                        h=4.8)
    ax = axes[0][0]
    width = min(0.8 / len(backends), 0.22)
    used = set()
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
            # The yardsticks measured beside this backend, same pair.
            b0 = bs[0]
            ref = run.reference(be)
            y = run.yardstick(ref, be, b0.key("src"), b0.key("dst"),
                              key[0]) if ref else None
            text = fmt_ns(p50)
            if y is not None and y.get("p50_ns"):
                text += "\n×%.2f" % (p50 / y.get("p50_ns"))
            ax.annotate(text, (x, p50), xytext=(0, 4),
                        textcoords="offset points", ha="center",
                        va="bottom", fontsize=7, zorder=6,
                        bbox=dict(boxstyle="round,pad=0.15", fc="white",
                                  ec="none", alpha=0.8))
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
    labels = []
    for k in keys:
        pairs = {(b.key("src"), b.key("dst")) for bs in groups[k].values()
                 for b in bs}
        extra = ("\nvCPU %s → %s" % next(iter(pairs)) if len(pairs) == 1
                 else "\n%d pairs (median)" % len(pairs))
        labels.append(pair_label(*k) + extra)
    ax.set_xticklabels(labels)
    if len(keys) == 1:
        ax.set_xlim(-0.6, 0.6)
    ax.set_xlabel("pair class: the nearest level the sender and the target "
                  "share")
    log_time_axis(ax)
    ax.set_ylabel("round trip (bar: p50, whisker: p99)")
    ax.grid(axis="y", which="both", alpha=0.3, zorder=0)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    finish(fig, run, "Unicast latency by pair class (placement %s)" % pl)
    return fig, ("ipi_unicast + ipi_wait round trip per pair class and "
                 "backend: bar p50, whisker p99 (median over the pairs of a "
                 "class and over repetitions). " +
                 yardstick_caption(run, backends))


def yardstick_caption(run, backends):
    """What the black lines and the ×N of plot_unicast_classes are, from
    the backend table."""
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
    return ("Black lines: yardsticks measured on the same PUs right beside "
            "each backend: %s; ×N under a bar's value: its p50 over the p50 "
            "of the backend's yardstick of the same shape (%s)." %
            ("; and ".join(lines), pairs))


def band_plot(run, workload, xkey, panel_key, what, xlabel, panel_fmt,
              caption):
    pl = first_placement(run, workload)
    panels = run.values_of(panel_key, workload)
    if not run.select(workload):
        return None, "no %s results in this run" % workload
    fig, axes = new_fig(max(1, len(panels)), w=5.2, h=4.4, sharey=True)
    allx = set()
    single = len({b.key(xkey) for b in run.select(workload)}) == 1
    backends = run.backends()
    for ax, pv in zip(axes[0], panels or [None]):
        for bi, be in enumerate(backends):
            sel = {"backend": be, "placement": pl}
            if pv is not None:
                sel[panel_key] = pv
            bs = run.select(workload, where=sel)
            pts = {}
            for b in bs:
                pts.setdefault(b.key(xkey), []).append(b)
            xs = sorted(pts)
            if not xs:
                continue
            allx.update(xs)
            p50 = [median([b.get("p50_ns") for b in pts[x]]) for x in xs]
            p99 = [median([b.get("p99_ns") for b in pts[x]]) for x in xs]
            if single:  # one x: side by side, so whiskers do not overlap
                xs = [x + (bi - (len(backends) - 1) / 2) * 0.15 for x in xs]
            c = run.color(be)
            ax.plot(xs, p50, marker="o", color=c, label="%s p50" % be)
            if all(v is not None for v in p99) and len(xs) > 1:
                ax.fill_between(xs, p50, p99, color=c, alpha=0.18, lw=0,
                                label="%s p50..p99" % be)
                ax.plot(xs, p99, color=c, lw=0.8, ls="--", alpha=0.7)
            elif all(v is not None for v in p99):
                # One point: no band to draw, a whisker up to p99.
                ax.errorbar(xs, p50, yerr=[[0] * len(xs),
                                           [b - a for a, b in zip(p50, p99)]],
                            fmt="none", ecolor=c, capsize=4, lw=1,
                            label="%s p50..p99" % be)
        log_time_axis(ax)
        xs = sorted(allx)
        if xs and max(xs) / max(1, min(xs)) >= 16:
            ax.set_xscale("log", base=2)
        ax.xaxis.set_major_locator(ticker.FixedLocator(xs) if len(xs) <= 12
                                   else ticker.MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(
            lambda v, _p: "%d" % v))
        if len(xs) == 1:
            ax.set_xlim(xs[0] - 1, xs[0] + 1)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("time to last acknowledgement")
        ax.grid(which="both", alpha=0.3)
        ax.set_title(panel_fmt % pv if pv is not None else "")
    axes[0][-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    finish(fig, run, "%s (placement %s)" % (what, pl))
    return fig, caption


def plot_multicast(run):
    return band_plot(
        run, "multicast", "k", "order", "Multicast latency vs fan-out",
        "targets k", "targets ordered %s",
        "ipi_multicast to k targets + ipi_wait, until the last target "
        "acknowledged: line p50, band up to p99 (dashed), per backend; "
        "one panel per target order (near: nearest first; spread: across "
        "packages and NUMA nodes first).")


def plot_broadcast(run):
    return band_plot(
        run, "broadcast", "n", "self", "Broadcast latency vs vCPU count",
        "vCPUs taking part n", "self: %s",
        "ipi_broadcast on n vCPUs + ipi_wait: line p50, band up to p99 "
        "(dashed), per backend; self skip: the sender only posts, run: it "
        "also runs the handler itself.")


def plot_mboxfull(run):
    pl = first_placement(run, "mboxfull")
    if not run.select("mboxfull"):
        return None, "no mboxfull results in this run"
    hs = run.values_of("handler_ns", "mboxfull")
    senders = run.values_of("senders", "mboxfull")
    styles = ["-", "--", ":", "-."]
    markers = ["o", "s", "^", "D", "v", "P"]
    # At most 4 handler costs a row; each cost is a column of two panels
    # (throughput over full events), rows of such pairs below.
    ncols = min(4, max(1, len(hs)))
    nblocks = (len(hs) + ncols - 1) // ncols or 1
    fig, axes = new_fig(ncols, 2 * nblocks, w=4.6, h=3.2)
    for i in range(len(hs), ncols * nblocks):
        axes[2 * (i // ncols)][i % ncols].set_visible(False)
        axes[2 * (i // ncols) + 1][i % ncols].set_visible(False)
    bursts = set()
    for i, h in enumerate(hs):
        top = axes[2 * (i // ncols)][i % ncols]
        bot = axes[2 * (i // ncols) + 1][i % ncols]
        for be in run.backends():
            for si, s in enumerate(senders):
                bs = run.select("mboxfull", backend=be, placement=pl,
                                handler_ns=h, senders=s)
                if not bs:
                    continue
                bs.sort(key=lambda b: b.key("burst"))
                xs = [b.key("burst") for b in bs]
                bursts.update(xs)
                kw = dict(color=run.color(be), ls=styles[si % len(styles)],
                          marker=markers[si % len(markers)], ms=4,
                          label="%s, %s sender%s" % (be, s,
                                                     "" if s == "1" else "s"))
                top.plot(xs, [b.get("msgs_per_s", 0) / 1e6 for b in bs], **kw)
                bot.plot(xs, [b.get("full_per_msg", 0) for b in bs], **kw)
        for ax in (top, bot):
            ax.axvline(8, color="gray", lw=0.8, ls=":")
            ax.set_xscale("log", base=2)
            ax.xaxis.set_major_locator(ticker.FixedLocator(sorted(bursts)))
            ax.xaxis.set_major_formatter(ticker.FuncFormatter(
                lambda v, _p: "%d" % v))
            ax.grid(which="both", alpha=0.3)
        top.set_yscale("log")
        top.yaxis.set_major_formatter(ticker.FuncFormatter(
            lambda v, _p: "%g" % v))
        lo, hi = top.get_ylim()
        top.yaxis.set_minor_formatter(
            ticker.FuncFormatter(lambda v, _p: "%g" % v) if hi / lo < 10
            else ticker.NullFormatter())
        top.tick_params(axis="y", which="minor", labelsize=7)
        top.set_title("handler %s" % fmt_ns(float(h)))
        top.set_ylabel("throughput (million msgs/s)")
        bot.set_ylabel("mailbox-full events per message")
        bot.set_xlabel("messages outstanding per sender B\n"
                       "(dotted: the 8 mailbox slots)")
    axes[0][ncols - 1].legend(fontsize=7, loc="upper left",
                              bbox_to_anchor=(1.01, 1))
    finish(fig, run, "Mailbox full: S senders, B messages outstanding each, "
           "one target (placement %s)" % pl)
    return fig, ("S senders each keep B messages outstanding to one target "
                 "whose handler costs H: messages acknowledged per second "
                 "(top) and mailbox-full events per message (bottom; each "
                 "is a sender finding all 8 slots taken), per backend and "
                 "sender count, one column per handler cost (at most four "
                 "a row).")


def plot_cdf(run):
    pl = first_placement(run, "unicast")
    groups = {}
    for be in run.backends():
        for key, bs in by_class(run.select("unicast", backend=be,
                                           placement=pl)).items():
            groups.setdefault(key, {})[be] = bs
    if not groups:
        return None, "no unicast results in this run"
    keys = list(groups)[:4]
    fig, axes = new_fig(len(keys), w=5.0, h=4.6)
    ps = [q for _, q in bj.PERCENTILES]
    for ax, key in zip(axes[0], keys):
        for be, bs in groups[key].items():
            xs = [median([b.get(c) for b in bs]) for c, _ in bj.PERCENTILES]
            if any(x is None for x in xs):
                continue
            c = run.color(be)
            ax.plot(xs, ps, marker="o", color=c, label=be)
            mx = median([b.get("max_ns") for b in bs])
            if mx is not None:
                ax.plot([xs[-1], mx], [ps[-1], 0.9999], color=c, ls=":",
                        lw=0.8)
                ax.plot([mx], [0.9999], marker="x", color=c, ms=7)
            ref = run.reference(be)
            y = run.yardstick(ref, be, bs[0].key("src"), bs[0].key("dst"),
                              key[0]) if ref else None
            if y is not None:
                ys = [y.get(c) for c, _ in bj.PERCENTILES]
                if all(v is not None for v in ys):
                    ax.plot(ys, ps, color=c, ls="--", lw=0.9, alpha=0.7,
                            label="%s (beside %s)" % (ref, be))
        ax.set_yscale("logit")
        ax.set_ylim(0.3, 0.99995)
        ax.yaxis.set_major_locator(ticker.FixedLocator(
            [0.5, 0.9, 0.99, 0.999, 0.9999]))
        ax.yaxis.set_major_formatter(ticker.FixedFormatter(
            ["p50", "p90", "p99", "p99.9", "max (×)"]))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        log_time_axis(ax, "x")
        ax.set_xlabel("round trip")
        ax.set_ylabel("fraction of operations at most x")
        ax.grid(which="major", alpha=0.3)
        ax.set_title("pair class " + pair_label(*key).replace("\n", ", "))
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    finish(fig, run, "Unicast latency distribution (placement %s)" % pl)
    return fig, ("Distribution of single unicast round trips, drawn only "
                 "through the percentile counters p50, p90, p99, p99.9 "
                 "(points) and max (×, placed at the top): not a full "
                 "histogram. Dashed: the yardstick of the same shape, "
                 "measured beside each backend.")


def plot_placement(run):
    pls = run.values_of("placement", "unicast")
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
    fig, axes = new_fig(len(classes), w=4.6, h=4.4)
    width = 0.8 / len(pls)
    cmap = plt.get_cmap("Set2")
    for ax, key in zip(axes[0], classes):
        for pi, pl in enumerate(pls):
            xs, ys, es = [], [], []
            for bi, be in enumerate(backends):
                bs = [b for b in run.select("unicast", backend=be,
                                            placement=pl)
                      if (b.keys.get("class"), b.keys.get("numa")) == key]
                if not bs:
                    continue
                xs.append(bi + (pi - (len(pls) - 1) / 2) * width)
                ys.append(median([b.get("p50_ns") for b in bs]))
                es.append(median([b.get("p99_ns") for b in bs]))
            ax.bar(xs, ys, width * 0.9, color=cmap(pi), label=pl, zorder=2)
            ax.errorbar(xs, ys, yerr=[[0] * len(ys),
                                      [max(0, e - y) for e, y in zip(es, ys)]],
                        fmt="none", ecolor="black", lw=1, capsize=2, zorder=3)
        ax.set_xticks(range(len(backends)))
        ax.set_xticklabels(backends)
        log_time_axis(ax)
        ax.set_ylabel("round trip (bar: p50, whisker: p99)")
        ax.grid(axis="y", which="both", alpha=0.3, zorder=0)
        ax.set_title("pair class " + pair_label(*key).replace("\n", ", "))
    axes[0][-1].legend(title="placement", fontsize=8,
                       loc="upper left", bbox_to_anchor=(1.01, 1))
    one_node = "1 NUMA node" in str(run.context.get("topology", "")) or \
        all(b.keys.get("numa") != "cross" for b in run.select("unicast"))
    finish(fig, run, "Unicast by placement of the per-vCPU IPI state" +
           (" (one NUMA node: the placements coincide)" if one_node else ""))
    return fig, ("Unicast round trip for each placement of the mailboxes "
                 "and pending words (local: each vCPU's own NUMA node; "
                 "single: the seed's one array; interleave; remote), per "
                 "backend and pair class: bar p50, whisker p99." +
                 (" With one NUMA node every placement puts the state on "
                  "the same node: differences here are noise." if one_node
                  else ""))


PLOTS = [
    ("unicast_heatmap", plot_heatmap),
    ("unicast_classes", plot_unicast_classes),
    ("latency_cdf", plot_cdf),
    ("multicast", plot_multicast),
    ("broadcast", plot_broadcast),
    ("mboxfull", plot_mboxfull),
    ("placement", plot_placement),
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
