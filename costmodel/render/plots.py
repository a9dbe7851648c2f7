"""Plots (optional extra ``costmodel[plot]``); matplotlib is imported only on demand.

Every figure is ready for a slide: a short one-line title (at most
:data:`MAX_TITLE_CHARS` characters) with the details, the whole scenario, in a subtitle
below it; axis labels in words with units, SI-formatted ticks, data that fill the axes, and
its legend outside the data. A histogram shows every sample, or says on the plot how many
lie beyond its axis. ``path`` chooses the format: ``.png`` or ``.svg`` (SVG text stays
text, so a slide can edit it). Each ``*_figure`` function returns the matplotlib Figure;
the ``*_plot`` functions save it.
"""

from __future__ import annotations

from ..errors import InputError
from .plot_base import (
    BLUE,
    MAX_TITLE_CHARS,
    ORANGE,
    PLOT_SUFFIXES,
    RED,
    _check_path,
    _plt,
    _title,
    check_plot_target,
    legend_outside,
    plain_text,
    save,
    si_formatter,
    value_formatter,
)
from .plot_labels import axis_label, format_value, short_label

__all__ = [
    "PLOT_SUFFIXES",
    "MAX_TITLE_CHARS",
    "check_plot_target",
    "backtest_plot",
    "distribution_figure",
    "distribution_plot",
    "tornado_figure",
    "tornado_plot",
    "si_formatter",
    "value_formatter",
    "save",
]


def backtest_plot(bt, path: str) -> None:
    """Save :func:`backtest_figure` to ``path`` (.png or .svg)."""
    _check_path(path)
    save(backtest_figure(bt), path)


@plain_text
def backtest_figure(bt):
    """Predicted (p50 with p05–p95 bars) vs reported accelerator-hours on log axes with the
    1:1 line, and below it the PIT histograms of the fit set under both hold-outs (flat =
    calibrated)."""
    plt = _plt()
    fig, (ax, axp) = plt.subplots(2, 1, figsize=(8, 10), gridspec_kw={"height_ratios": [3, 1.3]})
    for derived, marker, label in (
        (False, "o", "hours published"),
        (True, "s", "hours derived (GPUs × days)"),
    ):
        rows = [r for r in bt.rows if r.derived == derived]
        if not rows:
            continue
        x = [r.reported_gpu_hours for r in rows]
        y = [r.predicted_p50 for r in rows]
        lo = [r.predicted_p50 - r.predicted_p05 for r in rows]
        hi = [r.predicted_p95 - r.predicted_p50 for r in rows]
        ax.errorbar(
            x, y, yerr=[lo, hi], fmt=marker, ms=4, capsize=2, lw=0.8, label=label, alpha=0.85
        )
    lo_all = min(min(r.reported_gpu_hours, r.predicted_p05) for r in bt.rows) / 1.5
    hi_all = max(max(r.reported_gpu_hours, r.predicted_p95) for r in bt.rows) * 1.5
    ax.plot([lo_all, hi_all], [lo_all, hi_all], "k--", lw=1, label="1:1")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo_all, hi_all)
    ax.set_ylim(lo_all, hi_all)
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_major_formatter(si_formatter("GPU-h"))
    ax.yaxis.set_major_formatter(si_formatter("GPU-h"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("reported accelerator-hours [GPU-h]")
    ax.set_ylabel("predicted accelerator-hours, p50 with p05–p95 [GPU-h]")
    s = bt.summary["all"]
    _title(
        ax,
        "Backtest: predicted vs reported GPU-hours",
        f"utilization prior ({bt.model}) on {s['n']} published runs; leave-one-run-out: "
        f"median |log10 error| {s['median_abs_log10_error']:.3f}, "
        f"{s['share_inside_90']:.0%} inside the 90% interval",
    )
    ax.grid(True, which="both", alpha=0.3)
    legend_outside(ax)
    fit = [r for r in bt.rows if r.leave_one_out]
    lo_s, ro_s = bt.summary["fit_set_looo"], bt.summary.get("fit_set_loro") or {}

    def inside(d) -> str:
        if not all(f"share_inside_{k}" in d for k in (50, 80, 90)):
            return ""
        return " ({:.0%}/{:.0%}/{:.0%} inside 50/80/90%)".format(
            *(d[f"share_inside_{k}"] for k in (50, 80, 90))
        )

    axp.hist(
        [[r.looo_pit for r in fit], [r.pit for r in fit]],
        bins=[i / 10 for i in range(11)],
        label=[f"leave one organization out{inside(lo_s)}", f"leave one run out{inside(ro_s)}"],
        alpha=0.8,
    )
    axp.axhline(len(fit) / 10, color="k", ls="--", lw=1, label="calibrated (uniform)")
    axp.set_xlabel("PIT of the reported hours under the held-out prediction [1]")
    axp.set_ylabel("runs [count]")
    axp.set_title(f"Calibration on the {len(fit)}-run fit set (flat = calibrated)",
                  fontsize=10, loc="left")  # fmt: skip
    legend_outside(axp)
    return fig


@plain_text
def tornado_figure(sens, subtitle: str = ""):
    """Horizontal bars: the output with each input at its p05 (blue) and p95 (orange).

    Each bar end carries the input value that produced it, so an input that lowers the
    output as it rises (MFU) has its p95 value on the low side. An input whose values are
    fractions of a peak (MFU) names that peak in its label, and the x axis spans the bars
    and their labels, no more.
    """
    plt = _plt()
    rows = list(reversed(sens.tornado))
    fig, ax = plt.subplots(figsize=(8, 1.6 + 0.55 * len(rows)))
    mid = sens.median_output
    labels = []
    for i, r in enumerate(rows):
        name = r["input"]
        for y_out, x_in, color, label in (
            (r["output_at_low"], r["low_value"], BLUE, "input at its p05"),
            (r["output_at_high"], r["high_value"], ORANGE, "input at its p95"),
        ):
            ax.barh(
                i, y_out - mid, left=mid, color=color, height=0.6, label=label if i == 0 else None
            )
            right = y_out >= mid
            labels.append(
                ax.text(
                    y_out,
                    i,
                    f" {format_value(name, x_in)} " if right else f"{format_value(name, x_in)} ",
                    va="center",
                    ha="left" if right else "right",
                    fontsize=8,
                    gid=f"tornado-label-{name}-{'p05' if color == BLUE else 'p95'}",
                )
            )
    ax.axvline(mid, color="k", lw=1)
    ax.set_yticks(range(len(rows)), [_tornado_label(r) for r in rows], fontsize=8)
    ax.xaxis.set_major_formatter(value_formatter(sens.output))
    ax.set_xlabel(axis_label(sens.output))
    bases = [
        f"{axis_label(r['input']).split(' [')[0]}: fractions of the {r['basis']}"
        for r in sens.tornado
        if r.get("basis")
    ]
    _title(
        ax,
        f"What drives {short_label(sens.output)}",
        "\n".join(
            [
                "Each input at its p05 and p95, the others at their medians "
                f"(median {format_value(sens.output, mid)})",
                *bases,
                subtitle,
            ]
        ),
    )
    _fit_x_to_labels(ax, [r[k] for r in rows for k in ("output_at_low", "output_at_high")], labels)
    legend_outside(ax)
    return fig


def _tornado_label(row) -> str:
    """The input's words, and for a fraction of a peak (MFU) the peak it is a fraction of."""
    name = row["input"]
    prec = row.get("basis_precision")
    if not row.get("basis") or not prec:
        return axis_label(name)
    peak = "blended FP8/BF16 dense peak" if prec == "mixed" else f"{prec} dense peak"
    return f"{axis_label(name).split(' [')[0]}\n[% of the {peak}]"


def _fit_x_to_labels(ax, ends, texts, pad_px: float = 4.0) -> None:
    """Set the x axis to the bars' ends plus just the room their value labels take."""
    lo, hi = min(ends), max(ends)
    if not hi > lo:
        ax.margins(x=0.3)
        return
    ax.set_xlim(lo, hi)
    get_renderer = getattr(ax.figure.canvas, "get_renderer", None)
    if get_renderer is None:  # not an Agg canvas: leave room by the rule of thumb
        ax.margins(x=0.3)
        return
    renderer = get_renderer()
    width = ax.get_window_extent(renderer).width
    left = max((t.get_window_extent(renderer).width for t in texts
                if t.get_horizontalalignment() == "right" and t.get_position()[0] <= lo),
               default=0.0)  # fmt: skip
    right = max((t.get_window_extent(renderer).width for t in texts
                 if t.get_horizontalalignment() == "left" and t.get_position()[0] >= hi),
                default=0.0)  # fmt: skip
    fl, fr = (left + pad_px) / width, (right + pad_px) / width
    if fl + fr >= 0.9:  # labels wider than the axes: give up on a tight fit
        ax.margins(x=0.3)
        return
    # with limits [lo - a, hi + b], a label of w pixels fits when a·W/(R + a + b) ≥ w
    total = (hi - lo) / (1 - fl - fr)
    ax.set_xlim(lo - fl * total, hi + fr * total)


def tornado_plot(sens, path: str, scenario: str = "") -> None:
    """Save :func:`tornado_figure` to ``path`` (.png or .svg)."""
    _check_path(path)
    save(tornado_figure(sens, scenario), path)


@plain_text
def distribution_figure(
    values,
    *,
    output: str = "cost_usd",
    claimed: float | None = None,
    title: str = "",
    subtitle: str = "",
):
    """Histogram and CDF of sampled outputs, quantiles labelled with their values, a claimed
    value marked. When every sample is the same number (no input is uncertain) the figure is
    one marked line at that value with a note, not a histogram."""
    import numpy as np

    plt = _plt()
    x = np.asarray(values, float).ravel()
    x = x[np.isfinite(x)]
    if x.size == 0:
        raise InputError(f"plot: no finite samples of {output} to draw")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    headline = title or f"Distribution of {short_label(output)}"
    v0 = float(np.median(x))
    if float(np.ptp(x)) <= 1e-9 * max(abs(v0), 1e-300):
        ax.vlines(v0, 0, x.size, color=BLUE, lw=2)
        ax.plot([v0], [x.size], "o", color=BLUE, ms=8, label=f"{x.size:,} samples")
        ax.annotate(
            f"all {x.size:,} samples are {format_value(output, v0, 4)}:\n"
            "no input is uncertain, so there is no spread",
            xy=(v0, x.size),
            xytext=(12, -30),
            textcoords="offset points",
            fontsize=9,
            gid="degenerate-note",
        )
        lo, hi = (v0 * 0.9, v0 * 1.1) if v0 else (-1.0, 1.0)
        if claimed is not None:
            lo, hi = min(lo, claimed * 0.9), max(hi, claimed * 1.1)
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, x.size * 1.25)
        ax.set_ylabel("samples")
        ax2 = None
    else:
        lo, hi, log = _hist_range(x)
        bins = np.geomspace(lo, hi, 60) if log else np.linspace(lo, hi, 60)
        counts, _, _ = ax.hist(x, bins=bins, color=BLUE, alpha=0.6, label=f"{x.size:,} samples")
        xlo, xhi = lo, hi
        if claimed is not None and not lo <= claimed <= hi and (claimed > 0 or not log):
            xlo, xhi = min(xlo, claimed), max(xhi, claimed)  # the claim in view, just
            span = (np.log(xhi / xlo) if log else xhi - xlo) * 0.03
            xlo, xhi = (xlo / np.exp(span), xhi * np.exp(span)) if log else (xlo - span, xhi + span)
        _tails_note(ax, x, lo, hi, output)
        if log:
            from matplotlib.ticker import LogLocator, NullFormatter

            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel("samples")
        ax2 = ax.twinx()
        xs = np.sort(x)
        ax2.plot(xs, np.arange(1, xs.size + 1) / xs.size, color="k", lw=1.2, label="CDF")
        ax2.set_ylim(0, 1)
        ax2.set_ylabel("cumulative probability")
        ax.set_xlim(xlo, xhi)  # the bins, not the CDF's full range, set the axis
        ax.set_ylim(0, float(np.max(counts)) * 1.18)  # room for the quantile labels
        for q, style, height in ((5, ":", 0.99), (50, "--", 0.92), (95, ":", 0.99)):
            v = float(np.percentile(x, q))
            ax.axvline(v, color="gray", ls=style, lw=1)
            ax2.text(  # on the top axes, so the CDF line passes behind the label
                v,
                height,
                f"p{q:02d} {format_value(output, v)}",
                fontsize=7,
                ha="center",
                va="top",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9},
                zorder=5,
                gid=f"quantile-p{q:02d}",
            )
    if claimed is not None:
        p = float(np.mean(x <= claimed))
        ax.axvline(
            claimed,
            color=RED,
            lw=2,
            label=f"claimed {format_value(output, claimed, 4)} (P(≤ claim) = {p:.1%})",
        )
    ax.xaxis.set_major_formatter(value_formatter(output))
    ax.set_xlabel(axis_label(output))
    _title(ax, headline, subtitle)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels() if ax2 is not None else ([], [])
    if ax2 is not None:
        ax2.legend(
            h1 + h2,
            l1 + l2,
            loc="upper left",
            bbox_to_anchor=(1.12, 1.0),
            borderaxespad=0.0,
            fontsize=8,
            frameon=False,
        )
    else:
        legend_outside(ax, h1, l1)
    return fig


def _hist_range(x) -> tuple[float, float, bool]:
    """The histogram's range and whether its axis is logarithmic: every sample, unless the
    extreme 1% would stretch the axis by more than a third beyond the other 99% (then the
    0.5th to 99.5th percentile, and :func:`_tails_note` says what lies outside)."""
    import numpy as np

    mn, mx = float(x.min()), float(x.max())
    lo, hi = (float(v) for v in np.percentile(x, [0.5, 99.5]))
    if hi <= lo * (1 + 1e-9) + 1e-300:  # most samples equal: use the full range
        lo, hi = mn, mx
    log = mn > 0 and mx / mn > 1.5
    width = (lambda a, b: np.log(b / a)) if log else (lambda a, b: b - a)
    if width(mn, mx) <= width(lo, hi) * (4 / 3):
        lo, hi = mn, mx
    return lo, hi, bool(log and lo > 0 and hi / lo > 1.5)


def _tails_note(ax, x, lo: float, hi: float, output: str) -> None:
    """On the plot, below its legend: how many samples lie beyond the histogram's axis."""
    import numpy as np

    below, above = int(np.sum(x < lo)), int(np.sum(x > hi))
    if not below and not above:
        return
    parts = []
    if below:
        parts.append(
            f"{below:,} below {format_value(output, lo)} (min {format_value(output, x.min())})"
        )
    if above:
        parts.append(
            f"{above:,} above {format_value(output, hi)} (max {format_value(output, x.max())})"
        )
    n = below + above
    ax.text(
        1.12,
        0.0,
        f"Not shown: {n:,} of {x.size:,} samples\n({n / x.size:.1%}) beyond the axis:\n"
        + "\n".join(parts),
        transform=ax.transAxes,
        ha="left",
        va="bottom",
        fontsize=7.5,
        color="#333333",
        gid="tails-note",
    )


def distribution_plot(
    values,
    path: str,
    *,
    output: str = "cost_usd",
    claimed: float | None = None,
    title: str = "",
    subtitle: str = "",
) -> None:
    """Save :func:`distribution_figure` to ``path`` (.png or .svg)."""
    _check_path(path)
    fig = distribution_figure(
        values, output=output, claimed=claimed, title=title, subtitle=subtitle
    )
    save(fig, path)
