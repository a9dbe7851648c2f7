"""The physics verdict of a claim check (``d["physics"]``) as text and as HTML: the
headline sentence, the prediction against what the claim needs, the layout and the
residuals the probability rests on."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from .report import fmt_pct, table

__all__ = ["ordinal", "headline", "text_section", "html_section", "plain"]

_W = 96


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, _W, initial_indent=indent, subsequent_indent=indent)


def ordinal(p: float) -> str:
    """A probability as a percentile ordinal.

    >>> ordinal(0.99), ordinal(0.9), ordinal(0.05), ordinal(0.01), ordinal(0.02)
    ('99th', '90th', '5th', '1st', '2nd')
    """
    n = round(p * 100)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _where(ph: Mapping[str, Any]) -> str:
    return (
        "its published layout"
        if "no published layout" not in ph["layout_source"]
        else "the best layout that fits (none published)"
    )


def headline(d: Mapping[str, Any]) -> str:
    """The verdict and what decided it, in one sentence."""
    v = d["verdict"]
    ph = d.get("physics")
    if ph is None or v.get("basis", "").split(" and ")[0] != "physics":
        return f"verdict: {v['verdict'].upper()} (basis: {v.get('basis_text', v.get('basis'))})"
    q = ph["predicted_tokens_per_s_per_gpu"]
    return (
        f"verdict: {v['verdict'].upper()}: the claim needs "
        f"{ph['needed_steady_state_tokens_per_s_per_gpu']:,.0f} tokens/s per GPU; the "
        f"performance model predicts {ph['point_tokens_per_s_per_gpu']:,.0f} "
        f"({fmt_pct(ph['predicted_mfu_16bit'])} MFU; runs measure {q['p05']:,.0f}-"
        f"{q['p95']:,.0f}, 90%) on {d['basis']['n_gpus']:,} {d['claim']['gpu']} at "
        f"{_where(ph)}, so P(achievable) = {ph['p_achievable']:.0%}"
    )


def rule_text(ph: Mapping[str, Any]) -> str:
    r = ph["rules"]
    return (
        f"implausible when P(achievable) < {r['implausible']:.0%} (beyond the model's "
        f"{ordinal(1 - r['implausible'])} percentile), optimistic below {r['optimistic']:.0%} "
        f"(beyond the {ordinal(1 - r['optimistic'])}), consistent otherwise; above "
        f"{r['slower_than_hardware']:.0%} the claim is slower than the hardware allows"
    )


def _facts(ph: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        ("layout", ph["layout_text"]),
        ("layout source", ph["layout_source"]),
        (
            "point prediction",
            f"{ph['point_tokens_per_s_per_gpu']:,.0f} tokens/s per GPU, MFU "
            f"{fmt_pct(ph['predicted_mfu_16bit'])} of the 16-bit peak (megatron causal FLOP; "
            f"the same evaluation as costmodel perf at this layout); memory "
            f"{ph['memory_gb_per_gpu']:.1f} GB per GPU" + ("" if ph["fits"] else " (does not fit)"),
        ),
        ("hours", ph["hours_basis_text"]),
        ("spread", ph["residual_basis"]),
        ("rule", rule_text(ph)),
    ]


def text_section(ph: Mapping[str, Any]) -> list[str]:
    """The text report's physics section (after its title line)."""
    q = ph["predicted_tokens_per_s_per_gpu"]
    rows = [
        (
            "tokens/s per GPU",
            f"{q['p05']:,.0f}",
            f"{q['p50']:,.0f}",
            f"{q['p95']:,.0f}",
            f"{ph['needed_steady_state_tokens_per_s_per_gpu']:,.0f}",
            fmt_pct(ph["p_achievable"]),
        )
    ]
    out = [
        table(rows, ["runs measure", "p05", "p50", "p95", "claim needs", "P(achievable)"]),
        _wrap(
            "(what runs measure when the model predicts this point: its validation residuals; "
            "the claim needs steady-state throughput)"
        ),
    ]
    out += [_wrap(f"{k}: {v}") for k, v in _facts(ph)]
    out += [_wrap(f"- {n}") for n in ph.get("notes", [])]
    return out


def plain(d: Mapping[str, Any]) -> str:
    """The physics verdict as a sentence for readers who never ran the CLI."""
    ph = d["physics"]
    q = ph["predicted_tokens_per_s_per_gpu"]
    return (
        f"To do the claimed work in the claimed hours, each {d['claim']['gpu']} had to "
        f"process {ph['needed_steady_state_tokens_per_s_per_gpu']:,.0f} tokens per second. "
        f"At {_where(ph)} the performance model predicts "
        f"{ph['point_tokens_per_s_per_gpu']:,.0f}; runs the model predicts that well measure "
        f"{q['p05']:,.0f} to {q['p95']:,.0f} (90% range). The chance that the hardware sustains "
        f"what the claim needs is {ph['p_achievable']:.0%}."
    )


def html_section(d: Mapping[str, Any]) -> Any:
    """The HTML report's physics section body."""
    from .html import join, table, tag

    ph = d["physics"]
    q = ph["predicted_tokens_per_s_per_gpu"]
    rows = [
        ("runs measure, p05", f"{q['p05']:,.0f}"),
        ("runs measure, p50", f"{q['p50']:,.0f}"),
        ("runs measure, p95", f"{q['p95']:,.0f}"),
        (
            "the claim needs (steady state)",
            f"{ph['needed_steady_state_tokens_per_s_per_gpu']:,.0f}",
        ),
        ("P(achievable)", fmt_pct(ph["p_achievable"])),
    ]
    parts: list[Any] = [
        tag("p", plain(d)),
        table(rows, ["tokens/s per GPU", ""], numeric=[False, True], cls="kv"),
        table([(k, v) for k, v in _facts(ph)], cls="kv", stack=False),
    ]
    parts += [tag("p", n, class_="muted") for n in ph.get("notes", [])]
    return join(parts)
