"""Charts as hand-written inline SVG (standard library and numpy only).

Why not matplotlib: it is an optional extra (``plot``) and takes about a second to import;
these charts are a few bars, dots and lines, so ``--html`` works on a bare install and the
page stays small, sharp at any zoom and printable. Every chart has a ``<title>`` and
``<desc>`` (read by screen readers), scales to its container through its ``viewBox``, and
escapes every label.

Coordinates: a chart is ``W`` user units wide; a horizontal :class:`Axis` maps data values
(linear or log) onto pixel columns.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .html import Raw, h

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Axis", "strip", "histogram", "ranges", "tornado", "scatter", "bars"]

W = 520
FONT = 14
CLAIM = "#cf222e"
INK = "#1b1f24"
MUTE = "#57606a"
GRID = "#d0d7de"
BLUE = "#0969da"
PALE = "#8cb4e6"


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


class Axis:
    """Data → x pixel, linear or log10, with readable ticks."""

    def __init__(self, lo: float, hi: float, px0: float, px1: float, *, log: bool = False):
        if log:
            lo, hi = max(lo, 1e-300), max(hi, lo * 1.0001)
        elif hi <= lo:
            lo, hi = lo - abs(lo or 1) * 0.1, hi + abs(hi or 1) * 0.1
        self.lo, self.hi, self.px0, self.px1, self.log = lo, hi, px0, px1, log

    def __call__(self, v: float) -> float:
        if self.log:
            lv = math.log10(max(v, 1e-300))
            f = (lv - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        else:
            f = (v - self.lo) / (self.hi - self.lo)
        return self.px0 + min(max(f, -0.02), 1.02) * (self.px1 - self.px0)

    def ticks(self) -> list[float]:
        if self.log:
            a, b = math.floor(math.log10(self.lo)), math.ceil(math.log10(self.hi))
            steps = (1, 2, 5) if b - a <= 2 else (1,)
            t = [m * 10.0**e for e in range(a, b + 1) for m in steps]
            return [x for x in t if self.lo <= x <= self.hi] or [self.lo, self.hi]
        raw = (self.hi - self.lo) / 5
        mag = 10 ** math.floor(math.log10(raw))
        step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
        first = math.ceil(self.lo / step) * step
        return [first + i * step for i in range(int((self.hi - first) / step + 1e-9) + 1)]


def _svg(height: float, title: str, desc: str, body: Sequence[str]) -> Raw:
    return Raw(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {_num(height)}" '
        f'role="img" font-family="system-ui,sans-serif" font-size="{FONT}">'
        f"<title>{h(title)}</title><desc>{h(desc)}</desc>" + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, s: Any, *, anchor: str = "start", **kw: Any) -> str:
    at = "".join(f' {k.replace("_", "-")}="{h(v)}"' for k, v in kw.items())
    return f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}"{at}>{h(s)}</text>'


def _line(x1: float, y1: float, x2: float, y2: float, color: str = GRID, **kw: Any) -> str:
    at = "".join(f' {k.replace("_", "-")}="{h(v)}"' for k, v in kw.items())
    return (
        f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" '
        f'stroke="{color}"{at}/>'
    )


def _rect(x: float, y: float, w: float, hgt: float, fill: str, tip: str = "", **kw: Any) -> str:
    at = "".join(f' {k.replace("_", "-")}="{h(v)}"' for k, v in kw.items())
    t = f"<title>{h(tip)}</title>" if tip else ""
    return (
        f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(max(w, 0.5))}" '
        f'height="{_num(hgt)}" fill="{fill}"{at}>{t}</rect>'
    )


def _xaxis(ax: Axis, y: float, fmt: Callable[[float], str], xlabel: str, top: float) -> list[str]:
    out = [_line(ax.px0, y, ax.px1, y, MUTE)]
    for t in ax.ticks():
        x = ax(t)
        out += [_line(x, top, x, y, GRID, stroke_dasharray="2 3"), _line(x, y, x, y + 4, MUTE)]
        out.append(_text(x, y + 18, fmt(t), anchor="middle", fill=MUTE))
    out.append(_text((ax.px0 + ax.px1) / 2, y + 38, xlabel, anchor="middle"))
    return out


def _label_width(labels: Sequence[str]) -> float:
    return min(210.0, max([len(s) for s in labels] + [4]) * FONT * 0.55 + 12)


def _marker(ax: Axis, value: float, top: float, bottom: float, text: str) -> list[str]:
    x = ax(value)
    anchor = "end" if x > (ax.px0 + ax.px1) / 2 else "start"
    dx = -5 if anchor == "end" else 5
    return [
        _line(x, top - 4, x, bottom, CLAIM, stroke_width=2.5),
        _text(x + dx, top + 8, text, anchor=anchor, fill=CLAIM, font_weight="700"),
    ]


def strip(
    groups: Sequence[tuple[str, Sequence[tuple[float, str]]]],
    *,
    marker: float,
    marker_text: str,
    xlabel: str,
    fmt: Callable[[float], str],
    title: str,
    desc: str,
    marker_group: str | None = None,
) -> Raw:
    """One row of dots per group on a shared axis, a vertical marker line across all rows."""
    left = _label_width([g for g, _ in groups]) + 8
    top, row = 30.0, 30.0
    vals = [v for _, pts in groups for v, _ in pts] + [marker]
    ax = Axis(0.0, max(vals) * 1.08, left, W - 16)
    body: list[str] = []
    bottom = top + row * len(groups)
    body += _xaxis(ax, bottom, fmt, xlabel, top)
    for i, (g, pts) in enumerate(groups):
        y = top + row * (i + 0.5)
        bold = {"font_weight": "700"} if g == marker_group else {}
        body.append(_text(left - 8, y + 5, g, anchor="end", **bold))
        body.append(_line(left, y, W - 16, y, "#eef1f4"))
        for v, name in pts:
            body.append(
                f'<circle cx="{_num(ax(v))}" cy="{_num(y)}" r="6" fill="{BLUE}" '
                f'fill-opacity="0.55" stroke="#fff"><title>{h(name)}: {h(fmt(v))}</title></circle>'
            )
    body += _marker(ax, marker, top - 14, bottom, marker_text)
    return _svg(bottom + 48, title, desc, body)


def histogram(
    values: ArrayLike,
    *,
    marker: float | None,
    marker_text: str,
    xlabel: str,
    fmt: Callable[[float], str],
    title: str,
    desc: str,
    quantiles: dict[str, float] | None = None,
    bins: int = 40,
    shade_below: bool = True,
) -> Raw:
    """Histogram of draws; the share at or below the marker shaded, p05/p50/p95 dashed."""
    import numpy as np

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    lo, hi = np.quantile(x, [0.002, 0.995]) if x.size else (0.0, 1.0)
    if marker is not None:
        lo, hi = min(lo, marker * 0.95), max(hi, marker * 1.05)
    log = lo > 0 and hi / lo > 20
    left, top, plot_h = 16.0, 34.0, 170.0
    ax = Axis(lo, hi, left + 4, W - 16, log=bool(log))
    edges = np.geomspace(lo, hi, bins + 1) if log else np.linspace(lo, hi, bins + 1)
    counts, _ = np.histogram(np.clip(x, lo, hi), edges)
    peak = max(int(counts.max()) if counts.size else 1, 1)
    base = top + plot_h
    body = _xaxis(ax, base, fmt, xlabel, top)
    for c, a, b in zip(counts, edges[:-1], edges[1:], strict=True):
        below = shade_below and marker is not None and b <= marker * (1 + 1e-12)
        hgt = plot_h * c / peak
        tip = f"{fmt(a)} – {fmt(b)}: {c / max(x.size, 1):.1%} of draws"
        body.append(
            _rect(
                ax(a) + 0.5, base - hgt, ax(b) - ax(a) - 1, hgt, "#f4a8ae" if below else PALE, tip
            )
        )
    for name, q in (quantiles or {}).items():
        qx = ax(q)
        body.append(_line(qx, top + 18, qx, base, INK, stroke_dasharray="5 4"))
        body.append(_text(qx, top + 14, name, anchor="middle", fill=INK, font_size=FONT - 2))
    if marker is not None:
        body += _marker(ax, marker, top - 18, base, marker_text)
    return _svg(base + 46, title, desc, body)


def ranges(
    rows: Sequence[tuple[str, float, float | None, float, bool]],
    *,
    xlabel: str,
    fmt: Callable[[float], str],
    title: str,
    desc: str,
    log: bool = True,
) -> Raw:
    """One low–high bar per row, its label above it and its value beside it (a dot at the
    middle value, if any; a single value as a tick). Labels of any length fit."""
    left, top, row = 16.0, 8.0, 46.0
    pos = [v for r in rows for v in (r[1], r[3]) if v is not None and (v > 0 or not log)]
    ax = Axis(min(pos) / 1.5 if log else 0.0, max(pos) * 1.5, left, W - 16, log=log)
    bottom = top + row * len(rows)
    body = _xaxis(ax, bottom, fmt, xlabel, top)
    for i, (name, lo, mid, hi, hl) in enumerate(rows):
        y = top + row * i + 16
        color = CLAIM if hl else BLUE
        value = fmt(lo) + (f" – {fmt(hi)}" if hi != lo else "")
        bold = {"font_weight": "700"} if hl else {}
        body.append(_text(left, y, name, fill=INK, **bold))
        yb = y + 8
        x0, x1 = ax(lo), ax(hi)
        if x1 - x0 < 4:  # a single value: a tick
            body.append(_rect(x0 - 2, yb, 4, 16, color, f"{name}: {value}"))
            x1 = x0 + 2
        else:
            body.append(
                _rect(x0, yb, x1 - x0, 16, color, f"{name}: {value}", fill_opacity="0.8", rx="3")
            )
        if mid is not None:
            body.append(f'<circle cx="{_num(ax(mid))}" cy="{_num(yb + 8)}" r="5" fill="{INK}"/>')
        if x1 + 8 + len(value) * FONT * 0.55 < W:
            body.append(_text(x1 + 6, yb + 13, value, fill=MUTE, font_size=FONT - 1))
        else:
            body.append(_text(x0 - 6, yb + 13, value, anchor="end", fill=MUTE, font_size=FONT - 1))
    return _svg(bottom + 46, title, desc, body)


def tornado(
    rows: Sequence[dict[str, Any]],
    center: float,
    *,
    xlabel: str,
    fmt: Callable[[float], str],
    fmt_input: Callable[[float, str], str],
    title: str,
    desc: str,
) -> Raw:
    """Bars from the median output to the output at each input's p05 and p95.

    Each input's name stands above its bars, and each bar end is labelled with the input
    value that produced it (``fmt_input(value, input)``), so an input that lowers the output
    as it rises is labelled correctly.
    """
    ends = [
        (
            f"p05 {fmt_input(r['low_value'], r['input'])}",
            f"p95 {fmt_input(r['high_value'], r['input'])}",
        )
        for r in rows
    ]
    pad = max([len(t) for e in ends for t in e] + [6]) * (FONT - 2) * 0.56 + 10
    top, row = 40.0, 50.0
    vals = [center] + [r[k] for r in rows for k in ("output_at_low", "output_at_high")]
    ax = Axis(min(vals), max(vals), 16 + pad, W - 16 - pad)
    bottom = top + row * len(rows)
    body = _xaxis(ax, bottom, fmt, xlabel, top)
    for i, r in enumerate(rows):
        y = top + row * i
        body.append(_text(16, y + 14, r["input"], fill=INK, font_weight="600"))
        for (side, out_key, in_key, color), text in zip(
            (
                ("p05", "output_at_low", "low_value", "#8cb4e6"),
                ("p95", "output_at_high", "high_value", "#0550ae"),
            ),
            ends[i],
            strict=True,
        ):
            out = r[out_key]
            x0, x1 = sorted((ax(center), ax(out)))
            tip = f"{r['input']} at its {side} ({fmt_input(r[in_key], r['input'])}): {fmt(out)}"
            body.append(_rect(x0, y + 20, x1 - x0, 20, color, tip))
            right = out >= center
            tx = ax(out) + (4 if right else -4)
            body.append(
                _text(tx, y + 35, text, anchor="start" if right else "end", font_size=FONT - 2,
                      fill=INK)
            )  # fmt: skip
    body.append(_line(ax(center), top - 6, ax(center), bottom, INK, stroke_width=1.5))
    body.append(_text(ax(center), top - 12, f"median {fmt(center)}", anchor="middle", fill=INK))
    return _svg(bottom + 46, title, desc, body)


def scatter(
    points: Sequence[tuple[float, float, float, float, str, bool]],
    *,
    xlabel: str,
    ylabel: str,
    fmt: Callable[[float], str],
    title: str,
    desc: str,
) -> Raw:
    """Log-log predicted (with its 90 % bar) against reported, and the 1:1 line."""
    vals = [v for p in points for v in p[:4] if v and v > 0]
    lo, hi = min(vals) / 1.5, max(vals) * 1.5
    left, top, size = 70.0, 14.0, 380.0
    ax = Axis(lo, hi, left, W - 20, log=True)
    ay = Axis(lo, hi, top + size, top, log=True)  # pixel y grows downwards
    bottom = top + size
    body = _xaxis(ax, bottom, fmt, xlabel, top)
    for t in ay.ticks():
        body.append(_line(left, ay(t), W - 20, ay(t), GRID, stroke_dasharray="2 3"))
        body.append(_text(left - 6, ay(t) + 4, fmt(t), anchor="end", fill=MUTE, font_size=FONT - 2))
    body.append(_line(ax(lo), ay(lo), ax(hi), ay(hi), MUTE, stroke_dasharray="6 4"))
    body.append(
        _text(
            16,
            top + size / 2,
            ylabel,
            anchor="middle",
            transform=f"rotate(-90 16 {_num(top + size / 2)})",
        )
    )
    for x, p50, p05, p95, name, inside in points:
        color = BLUE if inside else CLAIM
        body.append(
            _line(ax(x), ay(p05), ax(x), ay(p95), color, stroke_opacity="0.5", stroke_width=2)
        )
        body.append(
            f'<circle cx="{_num(ax(x))}" cy="{_num(ay(p50))}" r="4.5" fill="{color}">'
            f"<title>{h(name)}: reported {h(fmt(x))}, predicted {h(fmt(p50))}</title></circle>"
        )
    return _svg(bottom + 46, title, desc, body)


def bars(
    rows: Sequence[tuple[str, Sequence[float]]],
    series: Sequence[str],
    *,
    xlabel: str,
    title: str,
    desc: str,
    hi: float = 1.0,
) -> Raw:
    """Grouped horizontal bars (e.g. Sobol first-order and total indices), 0 to ``hi``."""
    left = _label_width([r[0] for r in rows]) + 8
    top, row = 30.0, 16.0 * len(series) + 14
    ax = Axis(0.0, hi, left, W - 50)
    bottom = top + row * len(rows)
    body = _xaxis(ax, bottom, lambda v: f"{v:g}", xlabel, top)
    colors = [PALE, "#0550ae", MUTE]
    for j, s in enumerate(series):
        body.append(_rect(left + 120 * j, 6, 12, 12, colors[j % 3]))
        body.append(_text(left + 120 * j + 16, 17, s, font_size=FONT - 2))
    for i, (name, vs) in enumerate(rows):
        y0 = top + row * i + 7
        body.append(_text(left - 8, y0 + 8 * len(series) + 4, name, anchor="end"))
        for j, v in enumerate(vs):
            y = y0 + 16 * j
            vv = max(min(v, hi), 0.0)
            body.append(
                _rect(left, y, ax(vv) - left, 14, colors[j % 3], f"{name} {series[j]}: {v:.3f}")
            )
            body.append(_text(ax(vv) + 4, y + 11, f"{v:.2f}", font_size=FONT - 3, fill=INK))
    return _svg(bottom + 46, title, desc, body)
