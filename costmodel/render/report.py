"""Readable text tables for results (the CLI's default output)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..formulas.units import format_si, format_usd

__all__ = ["table", "estimate_table", "fmt_value", "fmt_pct", "fit_width", "terminal_width"]


def fmt_value(x: Any, kind: str = "si") -> str:
    """Format one value: ``si`` (671B), ``usd`` ($5.58M), ``pct`` (34.6%), ``flops`` (FLOP/s)."""
    if x is None:
        return "n/a"
    if isinstance(x, list):
        if len(x) > 4:
            return f"[{fmt_value(x[0], kind)} … {fmt_value(x[-1], kind)}] ({len(x)} values)"
        return "[" + ", ".join(fmt_value(v, kind) for v in x) + "]"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, str):
        return x
    if isinstance(x, dict) and "dist" in x:
        args = ", ".join(
            format_si(v) if isinstance(v, int | float) else str(v)
            for k, v in x.items()
            if k not in ("dist",)
        )
        return f"{x['dist']}({args})"
    if kind == "usd":
        return format_usd(x)
    if kind == "pct":
        return fmt_pct(x)
    if kind == "tflops":
        return f"{x / 1e12:,.1f} TFLOP/s"
    if kind == "days":
        return f"{x:,.1f}"
    if kind == "int":
        return f"{x:,.0f}" if abs(x) < 1e7 else format_si(x)
    return format_si(x)


def fmt_pct(x: float | None, digits: int = 1) -> str:
    """``0.3463`` → ``34.6%``."""
    return "n/a" if x is None else f"{100 * x:.{digits}f}%"


#: Output width when stdout is not a terminal (pipes, files, notebooks, tests).
DEFAULT_WIDTH = 100


def terminal_width() -> int:
    """Columns of the terminal stdout writes to; :data:`DEFAULT_WIDTH` when not a TTY."""
    import shutil
    import sys

    try:
        if sys.stdout.isatty():
            return max(shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns, 40)
    except (AttributeError, ValueError, OSError):
        pass
    return DEFAULT_WIDTH


def fit_width(text: str, width: int | None = None) -> str:
    """Wrap every line longer than ``width`` under its own indentation.

    Tables from :func:`table` already fit (they switch to a stacked layout), so only
    prose lines are wrapped; a list item (``- ...``) continues under its text.
    """
    import textwrap

    width = width or terminal_width()
    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        body = line.lstrip()
        indent = line[: len(line) - len(body)]
        hang = indent + "  "
        out += textwrap.wrap(
            body,
            width,
            initial_indent=indent,
            subsequent_indent=hang,
            break_on_hyphens=False,
        ) or [line[:width]]
    return "\n".join(out)


def _stacked(all_rows: list[list[str]], header: Sequence[str] | None, indent: str, width: int):
    """One record per row: the first cell as a heading, then ``name: value`` pairs."""
    lines = []
    body = all_rows[1:] if header else all_rows
    for r in body:
        head, cells = (str(r[0]) if r else ""), r[1:]
        lines.append(indent + (head or "-"))
        pairs = []
        for i, c in enumerate(cells, start=1):
            c = str(c)
            if not c:
                continue
            name = str(header[i]).strip() if header and i < len(header) else ""
            pairs.append(f"{name}: {c}" if name else c)
        line = indent + "    "
        for pair in pairs:
            if len(line) + len(pair) + 3 > width and line.strip():
                lines.append(line.rstrip())
                line = indent + "    "
            line += pair + "   "
        if line.strip():
            lines.append(line.rstrip())
    return "\n".join(lines)


def table(
    rows: Sequence[Sequence[str]],
    header: Sequence[str] | None = None,
    indent: str = "  ",
    width: int | None = None,
) -> str:
    """Align columns; the first column left, the rest right-aligned.

    A table wider than ``width`` (default: the terminal's, 100 when not a TTY) is shown
    stacked: one record per row, each cell named by its header.
    """
    all_rows = [list(header)] if header else []
    all_rows += [list(r) for r in rows]
    if not all_rows:
        return ""
    widths = [
        max(len(str(r[i])) for r in all_rows if i < len(r))
        for i in range(max(len(r) for r in all_rows))
    ]
    width = width or terminal_width()
    if len(indent) + sum(widths) + 2 * (len(widths) - 1) > width:
        return _stacked(all_rows, header, indent, width)
    lines = []
    for j, r in enumerate(all_rows):
        cells = []
        for i, c in enumerate(r):
            c = str(c)
            cells.append(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]))
        lines.append(indent + "  ".join(cells).rstrip())
        if header and j == 0:
            lines.append(indent + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


_OUTPUT_ROWS: list[tuple[str, str, str]] = [
    ("model_flop", "model FLOP", "si"),
    ("hardware_flop", "hardware FLOP", "si"),
    ("flop_per_token", "FLOP per token", "si"),
    ("peak_flop_per_s", "dense peak per GPU", "tflops"),
    ("mfu", "MFU", "pct"),
    ("hfu", "HFU", "pct"),
    ("gpu_hours", "GPU-hours", "si"),
    ("wall_clock_days", "wall-clock days", "days"),
    ("cost_usd", "cost (rental)", "usd"),
    ("energy_kwh", "energy kWh", "si"),
    ("co2e_kg", "CO2e kg", "si"),
    ("tokens_per_s_per_gpu", "tokens/s per GPU", "int"),
]

_INPUT_ROWS: list[tuple[str, str, str]] = [
    ("run", "run preset", "si"),
    ("params", "params", "si"),
    ("active_params", "active params", "si"),
    ("tokens", "tokens", "si"),
    ("gpu", "accelerator", "si"),
    ("precision", "precision", "si"),
    ("fp8_fraction", "FP8 FLOP share", "pct"),
    ("mfu", "MFU", "pct"),
    ("goodput", "goodput", "pct"),
    ("n_gpus", "GPUs", "int"),
    ("price_usd_per_gpu_hour", "price per GPU-hour", "usd"),
    ("pue", "PUE", "si"),
    ("usd_per_kwh", "USD per kWh", "si"),
    ("grid_kg_co2e_per_kwh", "grid kg CO2e/kWh", "si"),
    ("seq_len", "sequence length", "int"),
    ("recompute", "recompute", "si"),
]


def _needed_by(d: dict[str, Any]) -> dict[str, list[str]]:
    """Input -> outputs it would unlock (``missing_inputs`` of ``Estimate.to_dict()``)."""
    if "missing_inputs" in d:
        return d["missing_inputs"] or {}
    from .needs import missing_inputs  # a dict from an older producer

    return missing_inputs(d)


def missing_hint(k: str, d: dict[str, Any]) -> str:
    """``give --price-usd-per-gpu-hour`` (CLI) / ``give price_usd_per_gpu_hour`` (Python):
    the inputs output ``k`` still needs."""
    from .needs import spell

    names = [spell(i) for i, outs in _needed_by(d).items() if k in outs]
    if not names:
        return "no published TDP for this accelerator" if k == "energy_kwh" else "not computable"
    return "give " + " and ".join(names)


_HINTED = ("model_flop", "gpu_hours", "wall_clock_days", "cost_usd", "energy_kwh", "co2e_kg")


def _mfu_label(d: dict[str, Any]) -> str:
    b = d.get("mfu_basis") or {}
    p = b.get("precision")
    if not isinstance(p, str):
        return "MFU"
    return "MFU vs blended FP8/BF16 peak" if p == "mixed" else f"MFU vs {p} dense peak"


#: Outputs that count reserved time, so a steady-state figure leaves downtime out of them.
_STEADY_KEYS = ("gpu_hours", "wall_clock_days", "cost_usd", "ownership_cost_usd", "energy_kwh")


def estimate_table(d: dict[str, Any], title: str | None = None) -> str:
    """Render an ``Estimate.to_dict()`` as text."""
    out = [title or f"costmodel estimate  (FLOP convention: {d['flop_convention']})", "", "inputs"]
    inp = d["inputs"]
    rows = [
        (label, fmt_value(inp.get(k), kind))
        for k, label, kind in _INPUT_ROWS
        if inp.get(k) is not None and not (k == "recompute" and inp[k] == "none")
    ]
    src = (d.get("mfu_basis") or {}).get("precision_source")
    if src and src != "given":
        rows = [(a, f"{b} (from {src})" if a == "precision" else b) for a, b in rows]
    out.append(table(rows))
    q = d.get("quantiles") or {}
    out += ["", "outputs"]
    out_rows: list[list[str]] = []
    header = None
    qkeys: list[str] = []
    if q:
        first = next(iter(q.values()))
        qkeys = [k for k in first if k.startswith("p")]
        header = ["", "point", *qkeys]
    same_hw = d.get("hardware_flop") == d.get("model_flop")
    rows_spec = list(_OUTPUT_ROWS)
    own = d.get("ownership")
    if own:
        i = [k for k, _, _ in rows_spec].index("cost_usd") + 1
        rows_spec[i:i] = [
            ("ownership_cost_usd", "cost (ownership)", "usd"),
            ("ownership_usd_per_gpu_hour", "ownership per GPU-hour", "usd"),
        ]
        d = dict(
            d,
            ownership_cost_usd=own.get("cost_usd"),
            ownership_usd_per_gpu_hour=own.get("usd_per_gpu_hour"),
        )
    needed = _needed_by(d)
    blocked = {o for outs in needed.values() for o in outs}
    steady = (d.get("time_basis") or {}).get("basis") == "steady_state"
    for k, label, kind in rows_spec:
        v = d.get(k)
        if (v is None and (k not in _HINTED or k in blocked)) or (
            same_hw and k in ("hardware_flop", "hfu")
        ):
            continue
        if k == "mfu":
            label = _mfu_label(d)
        if steady and k in _STEADY_KEYS:
            label = (
                label[:-1] + ", steady state)" if label.endswith(")") else label + " (steady state)"
            )
        if v is None:
            cells = [label, f"n/a ({missing_hint(k, d)})"]
        else:
            cells = [label, fmt_value(v, kind)]
        if q:
            s = q.get(k)
            cells += [fmt_value(s.get(p), kind) for p in qkeys] if s else [""] * len(qkeys)
        out_rows.append(cells)
    out.append(table(out_rows, header))
    basis = (d.get("mfu_basis") or {}).get("text")
    if basis and d.get("mfu") is not None:
        out.append(f"  MFU basis: {basis}")
    if steady:
        tb = d["time_basis"]
        out.append(
            "  steady state: training steps only; leaves out "
            + ", ".join(tb.get("leaves_out") or [])
            + " (Llama 3 405B: >90% effective training time, arXiv 2407.21783 §3.3.4); "
            "--goodput 0.9 includes them"
        )
        ex = tb.get("expected")
        if ex and ex.get("gpu_hours"):
            g = ex["goodput"]
            out.append(
                f"  expected with downtime (goodput model {g['p50']:.3f}, 90% {g['p05']:.3f}-"
                f"{g['p95']:.3f}): {format_si(ex['gpu_hours'], 4)} GPU-hours, "
                f"{ex['wall_clock_days']:,.1f} days"
                + (f", {format_usd(ex['cost_usd'], 4)}" if ex.get("cost_usd") else "")
            )
    if needed:
        from .needs import spell

        labels = {k: lab for k, lab, _ in _OUTPUT_ROWS}
        out += ["", "not computed: give these inputs"]
        names = {i: spell(i) for i in needed}
        w = max(map(len, names.values()))
        out += [
            f"  {names[i].ljust(w)}  {', '.join(labels.get(o, o) for o in outs)}"
            for i, outs in needed.items()
        ]
    if own:
        out += ["", "ownership cost breakdown (Epoch AI method)", _ownership_rows(own)]
    if d["assumptions"]:
        out += ["", "assumptions"] + [f"  - {a}" for a in d["assumptions"]]
    return "\n".join(out)


def _ownership_rows(o: dict[str, Any]) -> str:
    rows = [
        ("server cost per GPU", fmt_value(o.get("server_usd_per_gpu"), "usd")),
        ("hardware per GPU-hour", fmt_value(o.get("hardware_usd_per_gpu_hour"), "usd")),
        ("interconnect per GPU-hour", fmt_value(o.get("interconnect_usd_per_gpu_hour"), "usd")),
        ("energy per GPU-hour", fmt_value(o.get("energy_usd_per_gpu_hour"), "usd")),
        ("ownership per GPU-hour", fmt_value(o.get("usd_per_gpu_hour"), "usd")),
    ]
    return table(rows)


def listing(items: Sequence[Any], columns: Sequence[tuple[str, Callable[[Any], str]]]) -> str:
    """A table of presets: ``columns`` are (header, getter) pairs."""
    rows = [[get(it) for _, get in columns] for it in items]
    return table(rows, [h for h, _ in columns])


def describe_inputs(kw: dict[str, Any]) -> str:
    """Short scenario label for plot titles: 'deepseek-v3, h800-sxm bf16, $2/GPU-h'."""
    from ..formulas.distbase import Dist

    parts = []
    if kw.get("run"):
        parts.append(str(kw["run"]))
    for k, label in (("active_params", "active"), ("tokens", "tokens")):
        v = kw.get(k)
        if v is not None and not isinstance(v, Dist) and not hasattr(v, "__len__"):
            parts.append(f"{format_si(float(v))} {label}")
    g = kw.get("gpu")
    if isinstance(g, str):
        parts.append(g + (f" {kw['precision']}" if isinstance(kw.get("precision"), str) else ""))
    p = kw.get("price_usd_per_gpu_hour")
    if isinstance(p, Dist):
        parts.append(f"price {p.describe()}")
    elif isinstance(p, int | float):
        parts.append(f"{format_usd(p)}/GPU-h")
    elif p == "market":
        parts.append("market price")
    return ", ".join(parts)


def key_values(rows: Sequence[tuple[str, str]], width: int = 96) -> str:
    """``key  value`` lines, long values wrapped under themselves."""
    import textwrap

    w = max(len(k) for k, _ in rows) + 2
    out = []
    for k, v in rows:
        lines = textwrap.wrap(v, max(width - w, 30)) or [""]
        out.append(f"  {k.ljust(w)}{lines[0]}")
        out += [f"  {' ' * w}{line}" for line in lines[1:]]
    return "\n".join(out)
