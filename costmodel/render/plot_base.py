"""The plumbing every chart shares: matplotlib on demand, the file checks, atomic saving,
tick formatters, a legend outside the data and the one-line headline over its subtitle.

The charts themselves are in :mod:`costmodel.render.plots` and
:mod:`costmodel.render.sweep_plots`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..errors import InputError
from ..formulas.units import format_si, format_usd
from .plot_labels import format_value

__all__ = [
    "PLOT_SUFFIXES",
    "MAX_TITLE_CHARS",
    "check_plot_target",
    "plain_text",
    "si_formatter",
    "value_formatter",
    "save",
    "legend_outside",
]

PLOT_SUFFIXES = (".png", ".svg")
#: The longest one-line title a figure gets; longer ones continue in the subtitle.
MAX_TITLE_CHARS = 60
BLUE, ORANGE, RED = "#4c72b0", "#dd8452", "#c44e52"


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
    if p.suffix.lower() not in PLOT_SUFFIXES:
        raise InputError(f"plot: {str(path)!r} must end in .png or .svg")
    if not p.parent.is_dir() and str(p.parent):
        raise InputError(f"plot: directory {p.parent} does not exist")
    return p


def check_plot_target(path: str) -> Path:
    """Refuse a plot before any work starts: a suffix other than .png/.svg, a missing
    directory, or matplotlib not installed (found without importing it)."""
    p = _check_path(path)
    if importlib.util.find_spec("matplotlib") is None:
        raise InputError(
            f"plot: cannot write {str(path)!r}: matplotlib is not installed; "
            'pip install "costmodel-ai[plot]", or ".[plot]" from a checkout; or leave out --plot'
        )
    return p


def _plain_rc():
    """An rc context in which dollar signs are money, never TeX math, and SVG text stays
    editable text."""
    import matplotlib

    return matplotlib.rc_context({"text.parse_math": False, "svg.fonttype": "none"})


def plain_text(build):
    """Run a figure builder with mathtext off, so "$2 … $5M" is drawn as written."""
    import functools

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        _plt()
        with _plain_rc():
            return build(*args, **kwargs)

    return wrapper


def si_formatter(unit: str = "", usd: bool = False):
    """A tick formatter: 2.8M GPU-h, $5.6M."""
    from matplotlib.ticker import FuncFormatter

    def fmt(x, _pos):
        if usd:
            return format_usd(x, 3)
        return f"{format_si(x, 3)}{' ' + unit if unit else ''}"

    return FuncFormatter(fmt)


def value_formatter(name: str):
    """Ticks written as the values of ``name`` are: $2, 35%, 2,048, 14.8T."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos: format_value(name, x))


def save(fig, path: str) -> None:
    """Save atomically (temporary file, then rename; see :func:`costmodel.io.atomic_writer`);
    SVG keeps its text as text."""
    from ..io import atomic_writer

    p = _check_path(path)
    try:
        with _plain_rc():
            atomic_writer(
                path,
                lambda f: fig.savefig(f, format=p.suffix[1:].lower(), dpi=150, bbox_inches="tight"),
                binary=True,
            )
    finally:
        _plt().close(fig)


def legend_outside(ax, handles=None, labels=None, **kw) -> None:
    """A legend to the right of the axes, never over the data."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        fontsize=8,
        frameon=False,
        **kw,
    )


def _title(ax, headline: str, subtitle: str = "", width: int = 105) -> None:
    """A short headline (one line, bold, at most :data:`MAX_TITLE_CHARS` characters) over
    the subtitle, both left-aligned above the axes. The subtitle is the axes' left title,
    its long lines wrapped; a headline too long for one line continues in it."""
    import textwrap

    from matplotlib.text import Annotation

    head, *more = headline.strip().splitlines() or [""]
    if len(head) > MAX_TITLE_CHARS:
        first = textwrap.wrap(head, MAX_TITLE_CHARS)
        head, more = first[0], [" ".join(first[1:]), *more]
    detail = "\n".join([*more, subtitle]).strip()
    lines = [w for line in detail.splitlines()
             for w in textwrap.wrap(line, width) or [""]]  # fmt: skip
    sub = ax.set_title("\n".join(lines), fontsize=9, loc="left", color="#333333")
    # the headline sits just above the subtitle, wherever the subtitle's lines end
    ax.figure.add_artist(
        Annotation(
            head,
            xy=(0, 1),
            xycoords=sub,
            xytext=(0, 5),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=13,
            fontweight="bold",
            gid="headline",
        )
    )
