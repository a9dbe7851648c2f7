"""The claim check's cost ledger and hardware sections (see :mod:`.html_check`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..formulas.units import format_si, format_usd
from . import svg
from .html import Raw, fmt, generic, label, records_table, rest, table, tag, words
from .html import join as _join

__all__ = ["ledger", "hardware", "nvlink"]


def ledger(d: Mapping[str, Any]) -> Raw:
    led = d["ledger"]
    cells = []
    for e in led:
        amt = (
            f"${e['low_usd']:.2f} – ${e['high_usd']:.2f} per GPU-hour"
            if e["kind"] == "rate"
            else _usd_range(e["low_usd"], e["high_usd"])
        )
        cells.append(
            [
                e["item"] + (" [disputed]" if e.get("disputed") else ""),
                amt,
                fmt(e.get("basis")),
                fmt(e.get("source"), "source"),
            ]
        )
    costs = [e for e in led if e["kind"] != "rate" and e["high_usd"] > 0]
    chart = svg.ranges(
        [(e["item"], e["low_usd"], None, e["high_usd"], i == 0) for i, e in enumerate(costs)],
        xlabel="US dollars (log scale)",
        fmt=lambda v: format_usd(v, 2),
        title="What the claimed figure leaves out, side by side",
        desc="; ".join(f"{e['item']}: {_usd_range(e['low_usd'], e['high_usd'])}" for e in costs),
    )
    return _join(
        [
            tag("p", "Different quantities, shown side by side and never summed."),
            tag(
                "figure",
                chart,
                tag(
                    "figcaption",
                    "Low–high range of each amount, log scale; the claimed figure in red.",
                ),
            ),
            table(
                cells,
                ["item", "amount", "basis", "source"],
                numeric=[False, True, False, False],
                stack=True,
            ),
        ]
    )


def _usd_range(lo: float, hi: float) -> str:
    if abs(hi - lo) < 1e-9 * max(hi, 1):
        return format_usd(lo, 4)
    return f"{format_usd(lo, 3)} – {format_usd(hi, 3)}"


def hardware(d: Mapping[str, Any]) -> Raw:
    hw = d["hardware"]
    ec = hw.get("export_control", {})
    out: list[Any] = [tag("p", f"Claimed accelerator: {hw['claimed_gpu']}.")]
    if ec:
        rows = [(x.get("rule_name", k), x.get("status"), x.get("reason")) for k, x in ec.items()]
        out += [
            tag("h3", "US export-control classification"),
            table(rows, ["rule", "status", "why"], stack=True),
        ]
        m = next(iter(ec.values())).get("metrics")
        if m:
            keep = (
                "tpp",
                "tpp_precision",
                "performance_density",
                "die_area_mm2",
                "interconnect_gb_per_s",
                "memory_bandwidth_gb_per_s",
            )
            out.append(table([(label(k), fmt(m.get(k), k)) for k in keep if k in m], cls="kv"))
    if hw.get("what_if"):
        proxy = any("proxy" in str(w.get("price_basis", "")) for w in hw["what_if"])
        out += [
            tag("h3", f"The same {hw.get('what_if_stage', 'run')} on other accelerators"),
            records_table(
                [_what_if(w) for w in hw["what_if"]],
                labels={
                    "gpu": "accelerator",
                    "perf_mfu_16bit": "model MFU",
                    "min_gpus_to_fit": "min GPUs",
                    "peak_16bit_tflop_per_s": "16-bit TFLOP/s",
                    "days_on_same_cluster": "days",
                    "prior_90": "prior 90% range",
                    "cost_usd": "cost (USD)",
                    "export_2022_10": "2022-10 rule",
                    "export_2023_10": "2023-10 rule",
                    "china_licence_2026_01": "2026-01 China",
                },
            ),
        ]
        note = hw.get("what_if_basis", "")
        if hw.get("what_if_model"):
            note += f"; hours from the {hw['what_if_model']}"
        if proxy:
            note += "; * no rental quote: the Epoch AI ownership-cost rate as a proxy"
        out.append(tag("p", words(note), class_="muted"))
    handled = {"claimed_gpu", "export_control", "what_if", "what_if_stage", "what_if_basis"}
    handled.add("what_if_model")
    return _join([*out, rest(hw, handled)])


def _what_if(w: Mapping[str, Any]) -> dict[str, Any]:
    """One what-if row narrow enough to print: the prior's range in one cell, the price basis
    as a mark; the performance model's layout text, same-share hours and absolute model
    predictions (steady state and with the goodput model's downtime) stay in the JSON."""
    drop: tuple[str, ...] = (
        "prior_gpu_hours",
        "price_basis",
        "cost_usd",
        "perf_layout",
        "same_share_gpu_hours",
    )
    drop += ("model_gpu_hours", "model_days", "model_goodput", "model_days_expected")
    r = {k: v for k, v in w.items() if k not in drop}
    pg = w.get("prior_gpu_hours") or {}
    out: dict[str, Any] = {}
    for k, v in r.items():
        out[k] = v
        if k == "days_on_same_cluster" or (k == "gpu_hours" and "days_on_same_cluster" not in r):
            if pg:
                out["prior_90"] = f"{format_si(pg['p05'], 2)} – {format_si(pg['p95'], 2)}"
            cost = w.get("cost_usd")
            if cost:
                mark = "*" if "proxy" in str(w.get("price_basis", "")) else ""
                out["cost_usd"] = _usd_range(*cost) + mark
    return out


def nvlink(d: Mapping[str, Any]) -> Raw:
    """The performance model's answer to "what did the NVLink cut cost?" (``d["nvlink"]``)."""
    nv = d["nvlink"]
    cut, full = nv.get("cut", "cut"), nv.get("full", "full")
    names = {"deepseek": "DeepSeek's layout", "tp8_megatron": "TP-8 Megatron-style"}
    lays = nv.get("layouts", {})
    rows = [
        (names.get(k, label(k)), r.get("layout", ""), fmt(r.get(cut), "mfu"),
         fmt(r.get(full), "mfu"), f"{100 * r['speedup']:+.1f}%" if "speedup" in r else "—")
        for k, r in lays.items()
    ]  # fmt: skip
    out: list[Any] = [
        table(rows, ["layout", "", f"MFU on {cut}", f"MFU on {full}", f"{full} faster by"],
              numeric=[False, False, True, True, True], stack=True),
    ]  # fmt: skip
    ds, tp = lays.get("deepseek"), lays.get("tp8_megatron")
    if ds and tp:
        rec = nv.get("recovered")
        text = (
            f"With the NVLink bandwidth of the {full}, DeepSeek's layout would be "
            f"{100 * ds['speedup']:.1f}% faster and a TP-8 layout {100 * tp['speedup']:.1f}% "
            f"faster. DeepSeek's choices (no tensor parallelism, DualPipe, node-limited routing) "
            f"avoid {'all' if rec is None else f'{100 * rec:.0f}%'} of the TP-8 layout's NVLink "
            f"penalty"
        )
        if nv.get("deepseek_vs_tp8_on_cut"):
            text += (
                f", and on the {cut} its layout is predicted to reach "
                f"{nv['deepseek_vs_tp8_on_cut']:.1f}× the TP-8 layout's MFU"
            )
        out.append(tag("p", text + "."))
    if nv.get("assumptions"):
        out += [tag("p", "Assumptions of this comparison:", class_="muted"),
                generic(list(nv["assumptions"]))]  # fmt: skip
    handled = {"cut", "full", "layouts", "recovered", "deepseek_vs_tp8_on_cut", "assumptions"}
    return _join([*out, rest(nv, handled)])
