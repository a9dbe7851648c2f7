"""The estimate page's opening sentence: what the run would take and cost, with the 90 %
ranges of its samples, in words (as the check page opens with its verdict)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..formulas.units import format_si, format_usd
from .html import Raw, tag

__all__ = ["estimate_headline"]


def _chart_fmt(key: str) -> Callable[[float], str]:
    if "usd" in key:
        return lambda v: format_usd(v, 3)
    return lambda v: format_si(v, 3)


def _subject(inp: Mapping[str, Any]) -> str:
    """What is being trained, in words: the run, or the model's size, tokens and hardware."""
    if inp.get("run"):
        return str(inp["run"])
    active, total = inp.get("active_params"), inp.get("params")
    parts = []
    if isinstance(active, int | float):
        parts.append(f"a {format_si(active, 3)}-active-parameter model")
    elif isinstance(total, int | float):
        parts.append(f"a {format_si(total, 3)}-parameter model")
    else:
        parts.append("the model")
    if isinstance(tokens := inp.get("tokens"), int | float):
        parts.append(f"on {format_si(tokens, 3)} tokens")
    if inp.get("gpu"):
        parts.append(f"using {inp['gpu']}")
    return " ".join(parts)


def estimate_headline(d: Mapping[str, Any]) -> Raw:
    """One sentence with the answer and its 90 % range, as the check page leads with its
    verdict: "Training X would take about N GPU-hours (90%: a–b) and cost about $C (…)"."""
    q = d.get("quantiles") or {}

    def about(key: str, unit: str = "") -> str:
        f = _chart_fmt(key)
        text = f"about {f(d[key])}{unit}"
        lo, hi = (q.get(key) or {}).get("p05"), (q.get(key) or {}).get("p95")
        if isinstance(lo, int | float) and isinstance(hi, int | float):
            text += f" (90%: {f(lo)}–{f(hi)})"
        return text

    if not _isnum(d.get("gpu_hours")):
        return Raw("")
    sentence = f"Training {_subject(d['inputs'])} would take {about('gpu_hours', ' GPU-hours')}"
    days, n = d.get("wall_clock_days"), d["inputs"].get("n_gpus")
    if _isnum(days) and _isnum(n):
        sentence += f", {days:,.1f} days on {n:,.0f} GPUs,"
    if _isnum(d.get("cost_usd")):
        sentence += f" and cost {about('cost_usd')}"
    return tag("p", sentence + ".", class_="headline big")


def _isnum(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)
