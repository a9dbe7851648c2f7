"""Text for ``costmodel solve``: budgets as people write them, a table that fits the terminal."""

from __future__ import annotations

from typing import Any

from ..formulas.units import format_si, format_usd
from .report import fmt_value, key_values, terminal_width

__all__ = ["budget_text", "solve_table"]

_UNKNOWN_WORDS = {
    "tokens": ("training tokens", "si"),
    "active_params": ("active parameters", "si"),
    "mfu": ("MFU", "pct"),
    "price_usd_per_gpu_hour": ("price per GPU-hour", "usd"),
    "n_gpus": ("GPUs", "int"),
}


def _sig(x: float, sig: int = 4) -> str:
    text = f"{x:,.{sig}g}" if abs(x) < 10**sig else f"{x:,.0f}"
    return text


def budget_text(key: str, value: float) -> str:
    """``budget_usd`` 6e6 → ``$6M``; ``budget_days`` 90 → ``90 days``; GPU-hours with SI.

    >>> budget_text("budget_usd", 6e6), budget_text("budget_days", 90)
    ('$6M', '90 days')
    >>> budget_text("budget_gpu_hours", 2.788e6)
    '2.788M GPU-hours'
    """
    if key == "budget_usd":
        return format_usd(value)
    if key == "budget_days":
        return f"{_sig(value)} day" + ("" if value == 1 else "s")
    return f"{format_si(value)} GPU-hours"


def solve_table(d: dict[str, Any], width: int | None = None) -> str:
    """A ``Solution.to_dict()`` as ``key  value`` lines wrapped to ``width`` (default: the
    terminal's, 100 columns when stdout is not a terminal)."""
    width = width or terminal_width()
    words, kind = _UNKNOWN_WORDS.get(d.get("unknown") or "", ("", "si"))
    rows = [("budget", ", ".join(budget_text(k, v) for k, v in d["budget"].items()))]
    c = d.get("compute_optimal")
    if c:
        rows += [
            ("compute-optimal parameters", fmt_value(c["active_params"])),
            ("compute-optimal tokens", fmt_value(c["tokens"])),
            ("model FLOP", fmt_value(c["model_flop"])),
        ]
        for k, words in (("active_params", "parameters"), ("tokens", "tokens")):
            cq = (c.get("quantiles") or {}).get(k)
            if cq:
                rows.append(
                    (
                        f"{words} p05 / p50 / p95",
                        " / ".join(fmt_value(cq[p]) for p in ("p05", "p50", "p95")),
                    )
                )
    elif d.get("unknown"):
        rows.append((f"solved: {words}", fmt_value(d["value"], kind)))
    rows.append(("method", d["method"]))
    q = d.get("quantiles")
    if q:
        rows.append(
            (
                f"{words} p05 / p50 / p95",
                " / ".join(fmt_value(q[p], kind) for p in ("p05", "p50", "p95")),
            )
        )
    if d.get("probability_budget_suffices") is not None:
        rows.append(("P(budget suffices)", f"{d['probability_budget_suffices']:.1%}"))
    if d.get("tokens_budget_buys") is not None:
        rows.append(
            (
                "the budget buys",
                f"{fmt_value(d['tokens_budget_buys'])} tokens at the inputs' medians",
            )
        )
    e = d.get("estimate") or {}
    for k, label, fmt in (
        ("gpu_hours", "check: GPU-hours", lambda v: fmt_value(v)),
        ("wall_clock_days", "check: wall-clock", lambda v: budget_text("budget_days", v)),
        ("cost_usd", "check: cost", lambda v: format_usd(v)),
        ("mfu", "check: MFU", lambda v: fmt_value(v, "pct")),
    ):
        if e.get(k) is not None:
            rows.append((label, fmt(e[k])))
    basis = (e.get("mfu_basis") or {}).get("text")
    if basis and (d.get("unknown") == "mfu" or e.get("mfu") is not None):
        rows.append(("MFU basis", basis))
    out = ["costmodel solve", "", key_values(rows, width=width)]
    if d.get("assumptions"):
        out += ["", "assumptions"] + [f"  - {a}" for a in d["assumptions"]]
    return "\n".join(out)
