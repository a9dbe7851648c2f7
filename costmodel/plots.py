"""Plots (optional extra ``costmodel[plot]``); matplotlib is imported only here, on demand.

Every figure has labelled axes with units, SI-formatted ticks and a title that states the
scenario. ``path`` chooses the format: ``.png`` or ``.svg``.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError
from .units import format_si, format_usd

__all__ = ["backtest_plot", "si_formatter", "save"]


def _plt():
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError("plot: matplotlib is not installed; pip install 'costmodel[plot]'") \
            from None
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
    """Save atomically (temporary file, then rename)."""
    import os
    import tempfile

    p = _check_path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=p.suffix, dir=p.parent or ".")
    os.close(fd)
    try:
        fig.savefig(tmp, format=p.suffix[1:], dpi=150, bbox_inches="tight")
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        _plt().close(fig)


def backtest_plot(bt, path: str) -> None:
    """Predicted (p50 with p05–p95 bars) vs reported accelerator-hours, log axes, 1:1 line."""
    _check_path(path)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 6.5))
    for derived, marker, label in ((False, "o", "hours published"),
                                   (True, "s", "hours derived (GPUs × days)")):
        rows = [r for r in bt.rows if r.derived == derived]
        if not rows:
            continue
        x = [r.reported_gpu_hours for r in rows]
        y = [r.predicted_p50 for r in rows]
        lo = [r.predicted_p50 - r.predicted_p05 for r in rows]
        hi = [r.predicted_p95 - r.predicted_p50 for r in rows]
        ax.errorbar(x, y, yerr=[lo, hi], fmt=marker, ms=4, capsize=2, lw=0.8, label=label,
                    alpha=0.85)
    lo_all = min(min(r.reported_gpu_hours, r.predicted_p05) for r in bt.rows) / 1.5
    hi_all = max(max(r.reported_gpu_hours, r.predicted_p95) for r in bt.rows) * 1.5
    ax.plot([lo_all, hi_all], [lo_all, hi_all], "k--", lw=1, label="1:1")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo_all, hi_all)
    ax.set_ylim(lo_all, hi_all)
    ax.xaxis.set_major_formatter(si_formatter("GPU-h"))
    ax.yaxis.set_major_formatter(si_formatter("GPU-h"))
    ax.set_xlabel("reported accelerator-hours [GPU-h]")
    ax.set_ylabel("predicted accelerator-hours, p50 with p05–p95 [GPU-h]")
    s = bt.summary["all"]
    ax.set_title(f"Backtest of the utilization prior on {s['n']} published runs (leave-one-out)"
                 f"\nmedian |log10 error| {s['median_abs_log10_error']:.3f}, "
                 f"{s['share_inside_90']:.0%} inside 90% interval", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    save(fig, path)
