"""The sections of a claim-check page after the verdict (see :mod:`.html_check`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..formulas.units import format_si, format_usd
from . import svg
from .html import Raw, fmt, generic, label, records_table, rest, table, tag
from .html import join as _join

if TYPE_CHECKING:
    import numpy as np

__all__ = ["claim", "implied", "consistency", "runs", "likelihood"]

_CONV = {"6nd": "6ND", "palm": "PaLM", "megatron": "Megatron", "megatron+mtp": "Megatron + MTP"}


def conv(name: str) -> str:
    return _CONV.get(name, name.replace("megatron", "Megatron"))


def pct(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{100 * x:.{digits}f}%"


def claim(d: Mapping[str, Any]) -> Raw:
    c = d["claim"]
    out: list[Any] = [
        tag("p", f"{c['claimant']}, {c['date']} ({c['kind']}):"),
        tag("blockquote", c["quote"]),
        tag("p", tag("strong", "Scope: "), c["scope"]),
    ]
    if c.get("excludes"):
        out += [tag("p", tag("strong", "What it leaves out:")), generic(list(c["excludes"]))]
    keys = ["gpu", "n_gpus", "precision", "params", "active_params", "tokens", "gpu_hours"]
    keys += ["cost_usd", "price_usd_per_gpu_hour"]
    out.append(table([(label(k), fmt(c.get(k), k)) for k in keys], cls="kv"))
    if c.get("stages"):
        out += [tag("h3", "Stages"), records_table(c["stages"])]
    handled = set(keys) | {"id", "name", "claimant", "date", "quote", "kind", "scope"}
    return _join([*out, rest(c, handled | {"excludes", "stages", "source"})])


def implied(d: Mapping[str, Any]) -> Raw:
    b = d["basis"]
    if "flop" not in d:
        why = d.get("not_analysed_because", "inputs missing")
        return tag("p", f"FLOP and utilization cannot be implied: {why}.")
    t = d["throughput"]
    out: list[Any] = [
        tag(
            "p",
            f"Analysed: {b['stage']}, {format_si(b['tokens'], 4)} tokens in "
            f"{format_si(b['gpu_hours'], 4)} GPU-hours. Model FLOP under each counting "
            f"convention, and the throughput per GPU they imply:",
        )
    ]
    rows = [
        (
            conv(k),
            format_si(f["total"], 4),
            f"{f['per_token'] / 1e9:,.1f} G",
            f"{t['tflop_per_s_per_gpu'][k]:,.0f}",
        )
        for k, f in d["flop"].items()
    ]
    out.append(
        table(
            rows,
            ["FLOP convention", "model FLOP", "per token", "TFLOP/s per GPU"],
            numeric=[False, True, True, True],
        )
    )
    peaks = d["peaks_flop_per_s"]
    head = ["implied MFU vs dense peak"] + [
        f"{k.upper() if k != 'blended' else 'blended'} {v / 1e12:,.0f} TFLOP/s"
        + (f" ({pct(d.get('fp8_fraction'), 0)} FP8)" if k == "blended" else "")
        for k, v in peaks.items()
    ]
    mfu_rows = [[conv(k)] + [pct(m.get(p)) for p in peaks] for k, m in d["mfu"].items()]
    out += [
        tag("h3", "Implied MFU: FLOP convention × peak"),
        table(mfu_rows, head, numeric=[False] + [True] * len(peaks)),
        tag(
            "p",
            "MFU = model FLOP / (GPU-hours × 3,600 s × dense peak FLOP/s of the named "
            "precision). The verdict uses 6ND against the 16-bit peak, as the prior does.",
            class_="muted",
        ),
        tag("h3", "Throughput"),
        fmt({k: v for k, v in t.items() if k != "tflop_per_s_per_gpu"}),
    ]
    if d.get("stated_mfu"):
        named = [_rename(r, value="stated_mfu", computed="our_mfu") for r in d["stated_mfu"]]
        out += [tag("h3", "Stated MFU against ours"), records_table(named)]
    if d.get("third_party"):
        out += [tag("h3", "Third-party MFU figures"), records_table(d["third_party"])]
    return _join(out)


def _rename(r: Mapping[str, Any], **names: str) -> dict[str, Any]:
    return {names.get(k, k): v for k, v in r.items()}


def consistency(d: Mapping[str, Any]) -> Raw:
    rows = d["consistency"]
    if not rows:
        return tag("p", "The claim states nothing that can be cross-checked.")
    cols = ["check", "stated", "computed", "rel_diff", "tolerance", "note"]
    cols += [k for r in rows for k in r if k not in cols and k != "ok"]
    cells = [
        [tag("span", "ok" if r.get("ok") else "MISMATCH", class_="ok" if r.get("ok") else "bad")]
        + [fmt(r.get(k), k) for k in cols]
        for r in rows
    ]
    head = ["", "check", "stated", "computed", "difference", "tolerance", "how"]
    head += [label(k) for k in cols[6:]]
    return table(cells, head, numeric=[False, False, True, True, True, True, False], stack=True)


def runs(d: Mapping[str, Any]) -> Raw:
    cm = d.get("comparison")
    if not cm:
        return tag("p", "No comparison: the claim's utilization could not be implied.")
    fam = d.get("likelihood", {}).get("prior", {}).get("family")
    runs = cm.get("runs") or cm["nearest"] + cm["nearest_same_family"]
    groups: dict[str, list[tuple[float, str]]] = {}
    for r in sorted(runs, key=lambda r: r.get("family", "")):
        groups.setdefault(r.get("family", "published"), []).append(
            (r["mfu"], f"{r['name']} ({r['gpu']})")
        )
    m = cm["implied_mfu"]
    chart = svg.strip(
        list(groups.items()),
        marker=m,
        marker_text=f"this claim {pct(m)}",
        xlabel="MFU: 6ND FLOP / (reported GPU-hours × 16-bit dense peak)",
        fmt=lambda v: f"{100 * v:.0f}%",
        title="The claim's implied utilization among published training runs",
        desc=f"{len(runs)} published runs by accelerator family; the claim at {pct(m)}, above "
        f"{pct(cm['percentile'], 0)} of them.",
        marker_group=fam,
    )
    out: list[Any] = [
        tag(
            "figure",
            chart,
            tag(
                "figcaption",
                f"Each dot is a published run (hover for its name); the red line is the claim "
                f"({pct(m)}), above {pct(cm['percentile'], 0)} of {cm['n_runs']} runs (highest "
                f"{pct(cm['max_published'])}). Basis: {cm['convention']}.",
            ),
        ),
        tag("h3", "Nearest published runs"),
        records_table(cm["nearest"] + cm["nearest_same_family"], skip=("id",)),
    ]
    if d.get("history"):
        out += [tag("h3", "The lab's own record"), records_table(d["history"], skip=("id",))]
    dc = d.get("decomposition")
    if dc:
        f, cp = dc["factors"], dc["comparator"]
        out += [
            tag("h3", "Where the efficiency comes from"),
            tag(
                "p",
                f"{cp['name']} ({cp['gpu']}) needed {dc['gpu_hours_ratio']:.1f}× the "
                f"GPU-hours = {f['active_params']:.2f}× from active parameters × "
                f"{f['tokens']:.2f}× from tokens × {f['utilization']:.2f}× from utilization × "
                f"{f['peak']:.2f}× from the accelerator's 16-bit peak.",
            ),
        ]
    handled = {"convention", "implied_mfu", "percentile", "n_runs", "max_published", "runs"}
    return _join([*out, rest(cm, handled | {"nearest", "nearest_same_family"})])


def likelihood(d: Mapping[str, Any], hours: Sequence[float] | np.ndarray | None) -> Raw:
    lik = d.get("likelihood")
    if not lik:
        return tag("p", f"Not analysed: {d.get('not_analysed_because', 'inputs missing')}.")
    q, claimed = lik["predicted_gpu_hours"], lik["claimed_gpu_hours"]
    p = lik["p_gpu_hours_le_claimed"]
    title = f"GPU-hours the {d['basis']['stage']} would need under the prior, the claim marked"
    desc = (
        f"Predicted GPU-hours: median {format_si(q['p50'], 3)}, 90% range "
        f"{format_si(q['p05'], 3)} to {format_si(q['p95'], 3)}; claimed "
        f"{format_si(claimed, 4)}; P(at most claimed) {pct(p)}."
    )
    if hours is not None and len(hours):
        chart = svg.histogram(
            hours,
            marker=claimed,
            marker_text=f"claimed {format_si(claimed, 4)}",
            xlabel="GPU-hours",
            fmt=lambda v: format_si(v, 3),
            title=title,
            desc=desc,
            quantiles={"p05": q["p05"], "p50": q["p50"], "p95": q["p95"]},
        )
        cap = (
            f"Draws of the GPU-hours a run of this size would need (utilization prior × FLOP "
            f"convention); the shaded bars, {pct(p)} of the probability, need no more than "
            f"the claim."
        )
    else:
        chart = svg.ranges(
            [
                ("predicted", q["p05"], q["p50"], q["p95"], False),
                ("claimed", claimed, None, claimed, True),
            ],
            xlabel="GPU-hours",
            fmt=lambda v: format_si(v, 3),
            title=title,
            desc=desc,
        )
        cap = "Predicted 90% range and median (dot) against the claim."
    pr = lik["prior"]
    rows = [
        (
            "GPU-hours (analysed stage)",
            format_si(q["p05"], 3),
            format_si(q["p50"], 3),
            format_si(q["p95"], 3),
            format_si(claimed, 4),
            pct(p),
        )
    ]
    mk = lik.get("predicted_cost_usd_market")
    cost = d["claim"].get("cost_usd")
    if mk:
        rows.append(
            (
                "cost at market prices",
                format_usd(mk["p05"], 3),
                format_usd(mk["p50"], 3),
                format_usd(mk["p95"], 3),
                format_usd(cost, 4) if cost else "",
                pct(lik.get("p_cost_le_claimed_at_market_price")),
            )
        )
    if lik.get("p_cost_le_claimed_at_claimed_price") is not None:
        rows.append(
            (
                "cost at the claimed price",
                "",
                "",
                "",
                format_usd(cost, 4),
                pct(lik["p_cost_le_claimed_at_claimed_price"]),
            )
        )
    out = [
        tag("figure", chart, tag("figcaption", cap)),
        tag(
            "p",
            f"Utilization prior for {pr['family']} at this size: median "
            f"{pct(pr['median_mfu'])} (90%: {pct(pr['mfu_p05'])} – {pct(pr['mfu_p95'])}), "
            f"{pr['n_runs']} runs; {lik['flop_convention_mixture']}; {lik['samples']:,} samples.",
        ),
        table(
            rows,
            ["predicted", "p05", "p50", "p95", "claimed", "P(≤ claimed)"],
            numeric=[False] + [True] * 5,
            stack=True,
        ),
    ]
    if "price" in lik:
        out.append(tag("p", f"Market price: {lik['price']['basis']}", class_="muted"))
    out.append(
        tag(
            "p",
            f"P(GPU-hours ≤ claimed) is {lik['p_method']}; the other columns "
            f"come from {lik['samples']:,} samples.",
            class_="muted",
        )
    )
    handled = {
        "samples",
        "prior",
        "flop_convention_mixture",
        "predicted_gpu_hours",
        "price",
        "claimed_gpu_hours",
        "p_gpu_hours_le_claimed",
        "p_method",
        "predicted_cost_usd_market",
        "p_cost_le_claimed_at_market_price",
        "p_cost_le_claimed_at_claimed_price",
    }
    if lik.get("alternatives"):
        out.append(_alternatives(lik["alternatives"], d["verdict"]["thresholds"]))
    shown_above = {k for k in lik if "prior" in k} | {"alternatives"}
    return _join([*out, rest(lik, handled | shown_above)])


def side(p: float, t: Mapping[str, float]) -> str:
    """The verdict the probability alone would give (the utilization and arithmetic rules
    can only make it stricter)."""
    if p < t["p_implausible"]:
        return "implausible"
    if p < t["p_optimistic"]:
        return "optimistic"
    return "consistent"


def _alternatives(alt: Sequence[Mapping[str, Any]], t: Mapping[str, float]) -> Raw:
    """P(GPU-hours ≤ claimed) under each candidate prior: a dot chart and a table."""
    line = t["p_optimistic"]
    chart = svg.strip(
        [("chosen", [(a["p_gpu_hours_le_claimed"], a.get("model", "")) for a in alt[:1]]),
         ("others", [(a["p_gpu_hours_le_claimed"], f"{a.get('prior')} {a.get('model')}")
                     for a in alt[1:]])],
        marker=line, marker_text=f"{pct(line, 0)} line", xlabel="P(GPU-hours ≤ claimed)",
        fmt=lambda v: f"{100 * v:.0f}%", title="The chance under each candidate prior",
        desc="; ".join(f"{a.get('model')}: {pct(a['p_gpu_hours_le_claimed'])}" for a in alt),
    )  # fmt: skip
    rows = [
        (a.get("prior", ""), a.get("model", ""), pct(a["p_gpu_hours_le_claimed"], 1),
         side(a["p_gpu_hours_le_claimed"], t), a.get("note", ""))
        for a in alt
    ]  # fmt: skip
    return _join([
        tag("h3", "The chance under each candidate prior", id="priors"),
        tag("figure", chart, tag("figcaption", "Each dot is one prior (hover for its name); "
            "left of the red line the probability alone would make the claim “optimistic”.")),
        table(rows, ["prior", "model", "P(≤ claimed)", "verdict on P alone", "how"],
              numeric=[False, False, True, False, False], stack=True),
    ])  # fmt: skip
