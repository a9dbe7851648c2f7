"""Text rendering of a claim check (``costmodel check``'s default output)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from ..formulas.units import format_si, format_usd
from . import claims_physics as physics
from .report import fmt_pct, table

__all__ = ["render"]

_W = 96


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, _W, initial_indent=indent, subsequent_indent=indent)


def _usd_range(lo: float, hi: float) -> str:
    return (
        format_usd(lo, 3)
        if abs(hi - lo) < 1e-9 * max(hi, 1)
        else f"{format_usd(lo, 3)} - {format_usd(hi, 3)}"
    )


def render(d: dict[str, Any], *, verbose: bool = False) -> str:
    c = d["claim"]
    v = d["verdict"]
    out = [f"CLAIM CHECK: {c['name']}", _wrap(physics.headline(d), ""), ""]
    out += [
        f"{c['claimant']}, {c['date']} ({c['kind']}):",
        _wrap(f'"{c["quote"]}"'),
        _wrap(f"scope: {c['scope']}"),
    ]
    if c["excludes"]:
        out.append(_wrap("leaves out: " + "; ".join(c["excludes"])))
    b = d["basis"]
    out += [
        "",
        f"1. WHAT THE NUMBERS IMPLY ({b['stage']}"
        + (
            f": {format_si(b['tokens'])} tokens in {format_si(b['gpu_hours'])} GPU-hours)"
            if b.get("tokens") and b.get("gpu_hours")
            else ")"
        ),
    ]
    if "flop" in d:
        t = d["throughput"]
        rows: list[Sequence[str]] = [
            (
                conv,
                format_si(f["total"], 3),
                f"{f['per_token'] / 1e9:,.1f} G",
                f"{t['tflop_per_s_per_gpu'][conv]:,.0f}",
            )
            for conv, f in d["flop"].items()
        ]
        out.append(table(rows, ["FLOP convention", "model FLOP", "per token", "TFLOP/s/GPU"]))
        peaks = d["peaks_flop_per_s"]
        head = ["MFU vs dense peak"] + [
            f"{k}{' (' + fmt_pct(d['fp8_fraction'], 0) + ' FP8)' if k == 'blended' else ''} "
            f"{v / 1e12:,.0f}"
            for k, v in peaks.items()
        ]
        rows = [[conv] + [fmt_pct(m[k]) for k in peaks] for conv, m in d["mfu"].items()]
        out += ["", table(rows, head)]
        line = (
            f"  throughput: {t['tokens_per_s_per_gpu']:,.0f} tokens/s per GPU "
            f"({format_si(t['tokens_per_gpu_hour'], 3)} per GPU-hour)"
        )
        if t.get("cluster_tokens_per_day"):
            line += (
                f"; {format_si(t['cluster_tokens_per_day'], 4)} tokens/day and "
                f"{t['wall_clock_days']:.1f} days on {b['n_gpus']:,} GPUs"
            )
        out += ["", line]
        for s in d.get("stated_mfu", []):
            ours = s.get("computed")
            conv = s["convention"] or "convention not stated"
            txt = (
                f"ours {fmt_pct(ours, 2)}"
                if ours is not None
                else "ours "
                + " to ".join(fmt_pct(x) for x in s["range_computed"])
                + " across conventions"
                if s.get("range_computed")
                else ""
            )
            out.append(f"  stated MFU {fmt_pct(s['value'], 2)} ({conv}, {s['precision']}): {txt}")
        for tp in d.get("third_party", []):
            out.append(
                f"  {tp['who']}: {fmt_pct(tp['mfu'])} using {tp['denominator_tflop_per_s']:g} "
                f"TFLOP/s = {tp['denominator_matches'] or 'no catalog peak'}"
            )
    else:
        out.append(
            _wrap(
                f"(FLOP and utilization cannot be implied: "
                f"{d.get('not_analysed_because', 'inputs missing')})"
            )
        )
    out += ["", "2. CONSISTENCY OF THE CLAIM'S OWN NUMBERS"]
    if d["consistency"]:
        rows = [
            (
                "ok" if r["ok"] else "MISMATCH",
                r["check"],
                format_si(r["stated"], 4),
                format_si(r["computed"], 4),
                f"{r['rel_diff']:+.1%}",
            )
            for r in d["consistency"]
        ]
        out.append(table(rows, ["", "check", "stated", "computed", "diff"]))
    else:
        out.append("  (nothing to cross-check)")
    if d.get("derived"):
        out.append(_wrap("derived before checking: " + "; ".join(d["derived"])))
    if "comparison" in d:
        cm = d["comparison"]
        out += ["", "3. AGAINST PUBLISHED RUNS"]
        out.append(
            _wrap(
                f"implied utilization {fmt_pct(cm['implied_mfu'])} ({cm['convention']}) is above "
                f"{fmt_pct(cm['percentile'], 0)} of {cm['n_runs']} published runs (highest "
                f"{fmt_pct(cm['max_published'])}). Nearest: "
                + ", ".join(f"{r['name']} {fmt_pct(r['mfu'])} on {r['gpu']}" for r in cm["nearest"])
                + ". Same accelerator family: "
                + ", ".join(f"{r['name']} {fmt_pct(r['mfu'])}" for r in cm["nearest_same_family"])
                + "."
            )
        )
        b_ = d["basis"]
        if d.get("history"):
            own = f"{b_['gpu_hours'] / (b_['tokens'] / 1e12) / 1e3:,.1f}K"
            parts = [
                f"{h['name']} ({h['year']}, {h['gpu']}): "
                f"{h['gpu_hours_per_trillion_tokens'] / 1e3:,.1f}K GPU-h per trillion tokens, "
                f"{h['tflop_per_s_per_gpu']:,.0f} TFLOP/s/GPU ({fmt_pct(h['mfu'])}); this claim "
                f"{h['claim_tflop_per_s_ratio']:.2f}x that rate"
                for h in d["history"]
            ]
            out.append(
                _wrap(
                    f"the lab's own record (6ND basis; this claim {own} GPU-h per "
                    f"trillion tokens): " + "; ".join(parts) + "."
                )
            )
        dc = d.get("decomposition")
        if dc:
            f = dc["factors"]
            cp = dc["comparator"]
            out.append(
                _wrap(
                    f"where the efficiency comes from: {cp['name']} ({cp['gpu']}, "
                    f"{format_si(cp['gpu_hours'], 4)} GPU-hours) needed "
                    f"{dc['gpu_hours_ratio']:.1f}x "
                    f"the GPU-hours = {f['active_params']:.2f}x from active parameters "
                    f"({format_si(cp['active_params'])} vs "
                    f"{format_si(c['active_params'])}) x "
                    f"{f['tokens']:.2f}x from tokens x {f['utilization']:.2f}x from utilization "
                    f"({fmt_pct(dc['claim_mfu'])} vs {fmt_pct(cp['mfu'])}) x {f['peak']:.2f}x from "
                    f"the accelerator's 16-bit peak."
                )
            )
        lk = d["likelihood"]
        pr = lk["prior"]
        q = lk["predicted_gpu_hours"]
        ph = d.get("physics")
        if ph is not None and not verbose:
            out.append(
                _wrap(
                    "utilization prior (context, not the verdict): P(GPU-hours ≤ claimed) = "
                    f"{lk['p_gpu_hours_le_claimed']:.0%} (prior median "
                    f"{fmt_pct(pr['median_mfu'])}, {pr['n_runs']} {pr['family']} runs; "
                    "--verbose for each candidate prior)"
                )
            )
    if d.get("physics") is not None:
        out += ["", "4. CAN THE HARDWARE DO IT? (performance model, the verdict's basis)"]
        out += physics.text_section(d["physics"])
    if "comparison" in d and (d.get("physics") is None or verbose):
        lk = d["likelihood"]
        pr = lk["prior"]
        q = lk["predicted_gpu_hours"]
        out += [
            "",
            "5. HOW LIKELY UNDER THE UTILIZATION PRIOR"
            + (" (context)" if d.get("physics") is not None else ""),
            _wrap(
                f"utilization prior for {pr['family']} at this size: median "
                f"{fmt_pct(pr['median_mfu'])}"
                f" (90%: {fmt_pct(pr['mfu_p05'])}-{fmt_pct(pr['mfu_p95'])}), {pr['n_runs']} runs; "
                f"{lk['flop_convention_mixture']}; {lk['samples']:,} samples."
            ),
        ]
        rows = [
            (
                "GPU-hours (analysed stage)",
                format_si(q["p05"], 3),
                format_si(q["p50"], 3),
                format_si(q["p95"], 3),
                format_si(lk["claimed_gpu_hours"], 4),
                fmt_pct(lk["p_gpu_hours_le_claimed"]),
            )
        ]
        if "predicted_cost_usd_market" in lk:
            qc = lk["predicted_cost_usd_market"]
            rows.append(
                (
                    "cost at market prices",
                    format_usd(qc["p05"], 3),
                    format_usd(qc["p50"], 3),
                    format_usd(qc["p95"], 3),
                    format_usd(c["cost_usd"], 4) if c.get("cost_usd") else "",
                    fmt_pct(lk.get("p_cost_le_claimed_at_market_price")),
                )
            )
        if lk.get("p_cost_le_claimed_at_claimed_price") is not None:
            rows.append(
                (
                    "cost at the claimed price",
                    "",
                    "",
                    "",
                    format_usd(c["cost_usd"], 4),
                    fmt_pct(lk["p_cost_le_claimed_at_claimed_price"]),
                )
            )
        out.append(table(rows, ["predicted", "p05", "p50", "p95", "claimed", "P(≤ claimed)"]))
        if lk.get("alternatives"):
            out.append(
                _wrap(
                    "P(GPU-hours ≤ claimed) under each utilization prior (the chosen one and "
                    "the alternatives to it, each refitted without the claim's run):"
                )
            )
            out.append(
                table(
                    [
                        (a["prior"], a["model"], fmt_pct(a["p_gpu_hours_le_claimed"]), a["note"])
                        for a in lk["alternatives"]
                    ],
                    ["prior", "model", "P(≤ claimed)", "how"],
                )
            )
        if "price" in lk:
            out.append(_wrap(f"market price: {lk['price']['basis']}"))
        out.append(
            _wrap(
                f"P(GPU-hours ≤ claimed) is {lk['p_method']}; the other columns come "
                f"from {lk['samples']:,} samples."
            )
        )
    out += ["", f"VERDICT: {v['verdict'].upper()}"] + [_wrap(f"- {r}") for r in v["reasons"]]
    if v.get("basis_text"):
        out.append(_wrap(f"- decided by: {v['basis_text']}"))
    out += ["", "6. WHAT THE FIGURE LEAVES OUT (side by side, never summed)"]
    rows = []
    for e in d["ledger"]:
        amt = (
            f"${e['low_usd']:.2f} - ${e['high_usd']:.2f} /GPU-h"
            if e["kind"] == "rate"
            else _usd_range(e["low_usd"], e["high_usd"])
        )
        rows.append((e["item"] + (" [disputed]" if e["disputed"] else ""), amt))
    out.append(table(rows))
    h = d["hardware"]
    out += ["", f"7. HARDWARE: {h['claimed_gpu']}"]
    for x in h["export_control"].values():
        out.append(_wrap(f"{x['rule_name']}: {x['status']} - {x['reason']}"))
    if h.get("what_if"):
        rows = []
        model = "what_if_model" in h
        for w in h["what_if"]:
            pg = w.get("prior_gpu_hours")
            perf_cols = (
                (
                    f"{w['perf_mfu_16bit']:.0%}" if w.get("perf_mfu_16bit") else "no fit",
                    f"{w['min_gpus_to_fit']:,}" if w.get("min_gpus_to_fit") else "n/a",
                )
                if model
                else ()
            )
            rows.append(
                (
                    w["gpu"],
                    f"{w['peak_16bit_tflop_per_s']:,.0f}",
                    *perf_cols,
                    format_si(w["gpu_hours"], 3) if w.get("gpu_hours") else "n/a",
                    f"{w['days_on_same_cluster']:.0f}" if w.get("days_on_same_cluster") else "",
                    (f"{format_si(pg['p05'], 2)}-{format_si(pg['p95'], 2)}" if pg else ""),
                    _usd_range(*w["cost_usd"])
                    + ("*" if "proxy" in w.get("price_basis", "") else "")
                    if w.get("cost_usd")
                    else "n/a",
                    w["export_2022_10"],
                    w["export_2023_10"],
                    w["china_licence_2026_01"],
                )
            )
        out += [
            "",
            table(
                rows,
                [
                    f"same {h.get('what_if_stage', 'run')} on",
                    "16-bit TF/s",
                    *(("model MFU", "min GPUs") if model else ()),
                    "GPU-hours",
                    "days",
                    "prior range",
                    "cost",
                    "2022-10",
                    "2023-10",
                    "2026-01 China",
                ],
            ),
            _wrap(
                f"({h['what_if_basis']}; * no rental quote, Epoch ownership-cost rate as a proxy)"
            ),
        ]
    nv = d.get("nvlink")
    if nv:
        cut, full = nv["cut"], nv["full"]
        ds, tp = nv["layouts"]["deepseek"], nv["layouts"]["tp8_megatron"]
        out += [
            "",
            f"8. WHAT DID THE NVLINK CUT COST? ({cut} vs {full}, performance model)",
            table(
                [
                    (
                        name,
                        r["layout"],
                        f"{r[cut]:.1%}",
                        f"{r[full]:.1%}",
                        f"{r['speedup']:+.1%}",
                    )
                    for name, r in (("DeepSeek's layout", ds), ("TP-8 Megatron-style", tp))
                ],
                ["layout", "", f"MFU {cut}", f"MFU {full}", f"{full} faster by"],
            ),
            _wrap(
                f"At DeepSeek's layout the {full} would be {ds['speedup']:.1%} faster; at a "
                f"TP-8 layout {tp['speedup']:.1%}. DeepSeek's choices (no TP, DualPipe, "
                f"node-limited routing) avoid "
                + (f"{nv['recovered']:.0%}" if nv.get("recovered") is not None else "all")
                + f" of the TP-8 layout's NVLink penalty, and on the {cut} its layout "
                f"predicts {nv['deepseek_vs_tp8_on_cut']:.1f}x the TP-8 layout's MFU."
            ),
        ] + [_wrap(f"- {a}") for a in nv["assumptions"]]
    if d.get("warnings"):
        out += ["", "WARNINGS"] + [_wrap(f"- {w}") for w in d["warnings"]]
    if d.get("assumptions"):
        out += ["", "ASSUMPTIONS"] + [_wrap(f"- {a}") for a in d["assumptions"]]
    out += ["", _wrap(f"sources: {c['source']}", "")]
    return "\n".join(out)
