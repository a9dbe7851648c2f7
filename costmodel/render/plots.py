"""Plots (optional extra ``costmodel[plot]``); matplotlib is imported only here, on demand.

Every figure has labelled axes with units, SI-formatted ticks and a title that states the
scenario. ``path`` chooses the format: ``.png`` or ``.svg``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..formulas.units import format_si, format_usd

__all__ = ["backtest_plot", "si_formatter", "save"]


def _plt():
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError(
            "plot: matplotlib is not installed; install the plot extra: "
            'pip install "costmodel-ai[plot]", or ".[plot]" from a checkout'
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _check_path(path: str) -> Path:
    p = Path(path)
    if p.suffix.lower() not in (".png", ".svg"):
        raise InputError(f"plot: {path!r} must end in .png or .svg")
    if not p.parent.is_dir() and str(p.parent):
        raise InputError(f"plot: directory {p.parent} does not exist")
    return p


def si_formatter(unit: str = "", usd: bool = False):
    """A tick formatter: 2.8M GPU-h, $5.6M."""
    from matplotlib.ticker import FuncFormatter

    def fmt(x, _pos):
        if usd:
            return format_usd(x, 3)
        return f"{format_si(x, 3)}{' ' + unit if unit else ''}"

    return FuncFormatter(fmt)


def save(fig, path: str) -> None:
    """Save atomically (temporary file, then rename; see :func:`costmodel.io.atomic_writer`)."""
    from ..io import atomic_writer

    p = _check_path(path)
    try:
        atomic_writer(
            path,
            lambda f: fig.savefig(f, format=p.suffix[1:], dpi=150, bbox_inches="tight"),
            binary=True,
        )
    finally:
        _plt().close(fig)


def backtest_plot(bt, path: str) -> None:
    """Predicted (p50 with p05–p95 bars) vs reported accelerator-hours, log axes, 1:1 line."""
    _check_path(path)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 6.5))
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
    ax.set_title(
        f"Backtest of the utilization prior on {s['n']} published runs (leave-one-out)"
        f"\nmedian |log10 error| {s['median_abs_log10_error']:.3f}, "
        f"{s['share_inside_90']:.0%} inside 90% interval",
        fontsize=10,
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    save(fig, path)


_UNITS = {
    "cost_usd": ("cost", "USD"),
    "gpu_hours": ("accelerator-hours", "GPU-h"),
    "wall_clock_days": ("wall-clock", "days"),
    "energy_kwh": ("energy", "kWh"),
    "co2e_kg": ("emissions", "kg CO2e"),
    "model_flop": ("model FLOP", "FLOP"),
    "mfu": ("MFU", "1"),
    "tokens_per_s_per_gpu": ("throughput", "tokens/s/GPU"),
}


def _label(name: str) -> str:
    what, unit = _UNITS.get(name, (name.replace("_", " "), ""))
    return f"{what} [{unit}]" if unit else what


def _formatter(name: str):
    if name == "cost_usd" or name.startswith("price"):
        return si_formatter(usd=True)
    return si_formatter({"gpu_hours": "GPU-h"}.get(name, ""))


def tornado_plot(sens, path: str, scenario: str = "") -> None:
    """Horizontal bars: the output with each input at its p05 and p95."""
    _check_path(path)
    plt = _plt()
    rows = list(reversed(sens.tornado))
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.5 * len(rows)))
    mid = sens.median_output
    for i, r in enumerate(rows):
        lo, hi = r["output_at_low"], r["output_at_high"]
        ax.barh(i, lo - mid, left=mid, color="#4c72b0", height=0.6)
        ax.barh(i, hi - mid, left=mid, color="#dd8452", height=0.6)
        ax.text(
            min(lo, hi),
            i,
            f"{format_si(min(r['low_value'], r['high_value']), 3)} ",
            va="center",
            ha="right",
            fontsize=8,
        )
        ax.text(
            max(lo, hi),
            i,
            f" {format_si(max(r['low_value'], r['high_value']), 3)}",
            va="center",
            ha="left",
            fontsize=8,
        )
    ax.axvline(mid, color="k", lw=1)
    ax.set_yticks(range(len(rows)), [r["input"] for r in rows])
    ax.xaxis.set_major_formatter(_formatter(sens.output))
    ax.set_xlabel(_label(sens.output))
    ax.set_title(
        (f"{scenario}\n" if scenario else "")
        + f"What drives {_label(sens.output)}: each input at p05 (blue) / p95 "
        f"(orange), others at median",
        fontsize=9,
    )
    ax.margins(x=0.25)
    save(fig, path)


def distribution_plot(
    values, path: str, *, output: str = "cost_usd", claimed: float | None = None, title: str = ""
) -> None:
    """Histogram and CDF of sampled outputs, with a claimed value marked."""
    import numpy as np

    _check_path(path)
    plt = _plt()
    x = np.asarray(values, float)
    x = x[np.isfinite(x)]
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    lo, hi = np.percentile(x, [0.5, 99.5])
    if claimed is not None:
        lo, hi = min(lo, claimed * 0.8), max(hi, claimed * 1.2)
    bins = np.geomspace(lo, hi, 60) if lo > 0 else 60
    ax.hist(x, bins=bins, color="#4c72b0", alpha=0.6, label=f"{x.size:,} samples")
    ax.set_xscale("log" if lo > 0 else "linear")
    if lo > 0:
        from matplotlib.ticker import LogLocator, NullFormatter

        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel("samples")
    ax2 = ax.twinx()
    xs = np.sort(x)
    ax2.plot(xs, np.arange(1, xs.size + 1) / xs.size, color="k", lw=1.2, label="CDF")
    ax2.set_ylim(0, 1)
    ax2.set_ylabel("cumulative probability")
    for q, style in ((5, ":"), (50, "--"), (95, ":")):
        v = np.percentile(x, q)
        ax.axvline(v, color="gray", ls=style, lw=1)
        ax.text(v, ax.get_ylim()[1] * 0.97, f"p{q:02d}", fontsize=7, ha="center", va="top")
    if claimed is not None:
        p = float(np.mean(x <= claimed))
        claim_text = format_usd(claimed, 4) if output == "cost_usd" else format_si(claimed, 4)
        ax.axvline(
            claimed,
            color="#c44e52",
            lw=2,
            label=f"claimed {claim_text} (P(≤ claim) = {p:.1%})",
        )
    ax.xaxis.set_major_formatter(_formatter(output))
    ax.set_xlabel(_label(output))
    ax.set_title(title or f"Distribution of {_label(output)}", fontsize=10)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="center right")
    save(fig, path)


def sweep_plot(result, path: str, output: str = "cost_usd", scenario: str = "") -> None:
    """Lines (one swept number, one line per other value) or a heatmap (two numbers)."""
    import numpy as np

    _check_path(path)
    cols = result.columns
    if output not in cols:
        raise InputError(f"plot: output {output!r} was not computed in this sweep")
    swept = list(result.swept)
    numeric = [k for k in swept if cols[k].dtype != object and len(np.unique(cols[k])) > 1]
    other = [k for k in swept if k not in numeric]
    plt = _plt()
    if len(numeric) == 2 and not other:
        xk, yk = numeric
        xs, ys = np.unique(cols[xk]), np.unique(cols[yk])
        z = np.full((ys.size, xs.size), np.nan)
        z[np.searchsorted(ys, cols[yk]), np.searchsorted(xs, cols[xk])] = cols[output]
        fig, ax = plt.subplots(figsize=(7, 5.5))
        m = ax.pcolormesh(xs, ys, z, shading="nearest", cmap="viridis")
        cb = fig.colorbar(m, ax=ax, format=_formatter(output))
        cb.set_label(_label(output))
        ax.set_xlabel(xk)
        ax.set_ylabel(yk)
        ax.xaxis.set_major_formatter(_formatter(xk))
        ax.yaxis.set_major_formatter(_formatter(yk))
    elif len(numeric) == 1:
        xk = numeric[0]
        fig, ax = plt.subplots(figsize=(7, 4.5))
        keys = (
            list(zip(*(cols[k].tolist() for k in other), strict=True))
            if other
            else [()] * len(cols[xk])
        )
        for combo in dict.fromkeys(keys):
            mask = np.array([k == combo for k in keys])
            order = np.argsort(cols[xk][mask])
            label = ", ".join(f"{k}={v}" for k, v in zip(other, combo, strict=True)) or None
            ax.plot(cols[xk][mask][order], cols[output][mask][order], marker="o", ms=3, label=label)
        ax.set_xlabel(xk)
        ax.set_ylabel(_label(output))
        ax.xaxis.set_major_formatter(_formatter(xk))
        ax.yaxis.set_major_formatter(_formatter(output))
        if other:
            ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    else:
        raise InputError(
            f"plot: sweep plots need one swept number (lines) or two (heatmap); "
            f"this sweep varies {', '.join(swept) or 'nothing'}"
        )
    ax.set_title(
        f"{_label(output)} over {', '.join(swept)}" + (f"\n{scenario}" if scenario else ""),
        fontsize=10,
    )
    save(fig, path)
