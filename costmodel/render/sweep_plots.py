"""Sweep charts: lines (one swept number), a heatmap (two) or bars (only ids swept).

Lines that coincide are drawn once and labelled with every combination they stand for;
heatmaps use log axes for log-spaced grids and print the value in each cell.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..errors import InputError
from . import plots
from .plot_base import BLUE, _plt, _title, legend_outside, plain_text, value_formatter
from .plot_labels import axis_label, format_value, short_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "SweepColumns",
    "sweep_figure",
    "sweep_plot",
    "plot_kind",
    "mfu_basis_line",
    "MAX_CELL_LABELS",
]


class SweepColumns(Protocol):
    """What a sweep chart reads (a :class:`~costmodel.analysis.sweeping.SweepResult`)."""

    @property
    def columns(self) -> dict[str, np.ndarray]: ...

    @property
    def swept(self) -> tuple[str, ...]: ...


#: Heatmaps with at most this many cells print each cell's value.
MAX_CELL_LABELS = 400


def plot_kind(numeric: list[str], ids: list[str], swept: list[str]) -> str:
    """``lines``, ``heatmap`` or ``bars`` for the swept inputs that vary: ``numeric``
    (numbers) and ``ids`` (accelerators, precisions, runs, …); raises when none fits."""
    if len(numeric) == 2 and not ids:
        return "heatmap"
    if len(numeric) == 1:
        return "lines"
    if not numeric and swept:
        return "bars"
    raise InputError(
        f"plot: a sweep chart needs one swept number (lines), two (heatmap, with no id "
        f"swept) or only ids such as gpu (bars); this sweep varies "
        f"{', '.join(k.replace('_', '-') for k in (*numeric, *ids)) or 'nothing'}"
    )


def mfu_basis_line(d: dict[str, Any], swept: Collection[str]) -> str:
    """The peak a sweep's MFU is a fraction of, for a chart's subtitle ("" when no MFU is
    shown). ``d`` is the ``Estimate.to_dict()`` at the grid's first point.

    With the accelerator or precision swept, each point has its own peak, so the line says
    so rather than naming the first point's.
    """
    if "mfu" not in swept and d.get("mfu") is None:
        return ""
    raw = d.get("mfu_basis")
    basis: dict[str, Any] = raw if isinstance(raw, dict) else {}
    prec = basis.get("precision") or (d.get("inputs") or {}).get("precision") or ""
    if "gpu" in swept or "precision" in swept:
        whose = (
            "each accelerator's" if "gpu" in swept else f"{(d.get('inputs') or {}).get('gpu')}'s"
        )
        at = " at each precision" if "precision" in swept else ""
        kind = f"{prec} " if prec and "precision" not in swept else ""
        return f"MFU is a fraction of {whose} {kind}dense peak{at}"
    text = basis.get("text")
    return f"MFU is a fraction of the {text}" if text else ""


def _edges(v: np.ndarray, log: bool) -> np.ndarray:
    """Cell edges around sorted centres: midpoints, geometric for log axes."""
    if v.size == 1:
        return np.array([v[0] / 1.5, v[0] * 1.5]) if log else np.array([v[0] - 0.5, v[0] + 0.5])
    t = np.log(v) if log else v
    mid = (t[1:] + t[:-1]) / 2
    e = np.concatenate([[2 * t[0] - mid[0]], mid, [2 * t[-1] - mid[-1]]])
    return np.exp(e) if log else e


def _combo_label(keys: Sequence[str], combo: Sequence[Any]) -> str:
    return ", ".join(
        f"{format_value(k, v)}"
        if k in ("gpu", "precision", "run")
        else f"{axis_label(k).split(' [')[0]} {format_value(k, v)}"
        for k, v in zip(keys, combo, strict=True)
    )


def _heatmap(
    ax: Axes,
    fig: Figure,
    cols: dict[str, np.ndarray],
    xk: str,
    yk: str,
    output: str,
    log_keys: Collection[str],
) -> None:
    xs, ys = np.unique(cols[xk]), np.unique(cols[yk])
    z = np.full((ys.size, xs.size), np.nan)
    z[np.searchsorted(ys, cols[yk]), np.searchsorted(xs, cols[xk])] = cols[output]
    xlog, ylog = xk in log_keys, yk in log_keys
    m = ax.pcolormesh(_edges(xs, xlog), _edges(ys, ylog), z, shading="flat", cmap="viridis")
    cb = fig.colorbar(m, ax=ax, format=value_formatter(output))
    cb.set_label(axis_label(output))
    if xlog:
        ax.set_xscale("log")
    if ylog:
        ax.set_yscale("log")
    ax.set_xlabel(axis_label(xk))
    ax.set_ylabel(axis_label(yk))
    for axis, k, vals, log in ((ax.xaxis, xk, xs, xlog), (ax.yaxis, yk, ys, ylog)):
        axis.set_major_formatter(value_formatter(k))
        if vals.size <= 12:  # a tick at every grid value
            axis.set_ticks(vals)
            from matplotlib.ticker import NullLocator

            axis.set_minor_locator(NullLocator())
        elif log:
            from matplotlib.ticker import NullFormatter

            axis.set_minor_formatter(NullFormatter())
    if z.size <= MAX_CELL_LABELS:
        lo, hi = np.nanmin(z), np.nanmax(z)
        size = 8 if z.size <= 64 else 6 if z.size <= 196 else 5
        for i, y in enumerate(ys):
            for j, x in enumerate(xs):
                v = z[i, j]
                light = np.isfinite(v) and hi > lo and (v - lo) / (hi - lo) > 0.6
                ax.text(
                    x,
                    y,
                    format_value(output, v),
                    ha="center",
                    va="center",
                    fontsize=size,
                    color="black" if light else "white",
                    gid="cell-value",
                )


def _lines(
    ax: Axes, cols: dict[str, np.ndarray], xk: str, other: Sequence[str], output: str
) -> None:
    n = len(cols[xk])
    keys = list(zip(*(cols[k].tolist() for k in other), strict=True)) if other else [()] * n
    groups: list[tuple[np.ndarray, np.ndarray, list[tuple]]] = []
    for combo in dict.fromkeys(keys):
        mask = np.array([k == combo for k in keys])
        order = np.argsort(cols[xk][mask])
        x, y = cols[xk][mask][order], cols[output][mask][order]
        for gx, gy, combos in groups:  # identical to a line already drawn: label, don't hide
            if (
                gx.shape == x.shape
                and np.array_equal(gx, x)
                and np.allclose(gy, y, rtol=1e-12, atol=0, equal_nan=True)
            ):
                combos.append(combo)
                break
        else:
            groups.append((x, y, [combo]))
    for x, y, combos in groups:
        label = None
        if other:
            label = "\n= ".join(_combo_label(other, c) for c in combos)
            if len(combos) > 1:
                label += " (identical)"
        ax.plot(x, y, marker="o", ms=3, label=label)
    ax.set_xlabel(axis_label(xk))
    ax.set_ylabel(axis_label(output))
    ax.xaxis.set_major_formatter(value_formatter(xk))
    ax.yaxis.set_major_formatter(value_formatter(output))
    ax.grid(alpha=0.3)
    if other:
        legend_outside(ax)


def _bars(ax: Axes, cols: dict[str, np.ndarray], other: Sequence[str], output: str) -> None:
    n = len(cols[output])
    keys = list(zip(*(cols[k].tolist() for k in other), strict=True))
    labels = [_combo_label(other, c) for c in keys]
    y = np.asarray(cols[output], float)
    pos = np.arange(n)
    ax.bar(pos, np.nan_to_num(y, nan=0.0), color=BLUE, width=0.6)
    for i, v in enumerate(y):
        ax.text(
            i,
            v if np.isfinite(v) else 0.0,
            format_value(output, v),
            ha="center",
            va="bottom",
            fontsize=8,
            gid="bar-value",
        )
    ax.set_xticks(pos, labels, rotation=30 if n > 4 else 0, ha="right" if n > 4 else "center")
    ax.set_xlabel(" × ".join(axis_label(k) for k in other))
    ax.set_ylabel(axis_label(output))
    ax.yaxis.set_major_formatter(value_formatter(output))
    ax.margins(y=0.15)
    ax.grid(axis="y", alpha=0.3)


@plain_text
def sweep_figure(result: SweepColumns, output: str = "cost_usd", subtitle: str = "") -> Figure:
    """The chart for a :class:`~costmodel.analysis.sweeping.SweepResult`.

    One swept number: lines over it, one per combination of the other swept values
    (identical lines are drawn once and labelled with all of them). Two swept numbers: a
    heatmap with the value in each cell, log axes for log-spaced grids. Only ids swept
    (``gpu``, ``precision``, …): bars.
    """
    cols = result.columns
    if output not in cols:
        raise InputError(f"plot: output {output!r} was not computed in this sweep")
    swept = list(result.swept)
    numeric = [k for k in swept if cols[k].dtype != object and len(np.unique(cols[k])) > 1]
    other = [k for k in swept if k not in numeric]
    ids = [k for k in other if len(set(cols[k].tolist())) > 1]
    kind = plot_kind(numeric, ids, swept)
    log_keys = set(getattr(result, "log_keys", ()))
    plt = _plt()
    if kind == "heatmap":
        fig, ax = plt.subplots(figsize=(8, 6))
        xk, yk = numeric
        _heatmap(ax, fig, cols, xk, yk, output, log_keys)
        what = f"{short_label(xk)} and {short_label(yk)}"
    elif kind == "lines":
        fig, ax = plt.subplots(figsize=(8, 4.5))
        _lines(ax, cols, numeric[0], other, output)
        if numeric[0] in log_keys:
            ax.set_xscale("log")
        what = short_label(numeric[0])
    else:
        keys = ids or other
        fig, ax = plt.subplots(figsize=(max(6.0, 1.0 + 0.9 * len(cols[output])), 4.5))
        _bars(ax, cols, keys, output)
        what = " × ".join(short_label(k) for k in keys)
    head = short_label(output)
    _title(ax, f"{head[:1].upper()}{head[1:]} by {what}", subtitle)
    return fig


def sweep_plot(
    result: SweepColumns, path: str, output: str = "cost_usd", scenario: str = ""
) -> None:
    """Save :func:`sweep_figure` to ``path`` (.png or .svg)."""
    plots.check_plot_target(path)
    plots.save(sweep_figure(result, output, scenario), path)
