"""Consistency checks of a claim's own numbers (part of ``costmodel check``)."""

from __future__ import annotations

from typing import Any

from .schemas import ClaimPreset

__all__ = ["TOLERANCE", "TOLERANCE_APPROXIMATE", "check_row", "consistency"]

#: Relative tolerance of consistency checks: claims round to 2-3 significant figures.
TOLERANCE = 0.02
#: Tolerance for durations stated as round figures ("about two weeks" is 13-15 days).
TOLERANCE_APPROXIMATE = 0.15


def check_row(name, stated, computed, note="", le=False, tol=TOLERANCE) -> dict[str, Any]:
    rel = computed / stated - 1.0
    ok = computed <= stated * (1 + tol) if le else abs(rel) <= tol
    return {
        "check": name,
        "stated": stated,
        "computed": computed,
        "rel_diff": rel,
        "ok": bool(ok),
        "tolerance": tol,
        "note": note,
    }


def consistency(c: ClaimPreset, stage, basis_hours, tokens, n_gpus, price):
    """Cross-checks of the claim's own numbers. ``price`` is the price the claim states;
    an implied price (cost / hours) is never checked against the numbers it came from."""
    rows = []
    hours_stages = [s.gpu_hours for s in c.stages if s.gpu_hours]
    if c.gpu_hours and c.stages and len(hours_stages) == len(c.stages):
        rows.append(
            check_row(
                "stage GPU-hours add up to the total",
                c.gpu_hours,
                sum(hours_stages),
                " + ".join(f"{h:,.0f}" for h in hours_stages),
            )
        )
    cost_stages = [s.cost_usd for s in c.stages if s.cost_usd]
    if c.cost_usd and c.stages and len(cost_stages) == len(c.stages):
        rows.append(
            check_row(
                "stage costs add up to the total",
                c.cost_usd,
                sum(cost_stages),
                " + ".join(f"${x:,.0f}" for x in cost_stages),
            )
        )
    if price and c.gpu_hours and c.cost_usd:
        rows.append(
            check_row(
                "GPU-hours × price = cost",
                c.cost_usd,
                c.gpu_hours * price,
                f"{c.gpu_hours:,.0f} h × ${price:g}",
            )
        )
    for s in c.stages:
        if price and s.gpu_hours and s.cost_usd:
            rows.append(
                check_row(f"{s.name}: GPU-hours × price = cost", s.cost_usd, s.gpu_hours * price)
            )
        if s.n_gpus and s.wall_clock_hours and s.gpu_hours:
            approx = s.wall_clock_approximate
            rows.append(
                check_row(
                    f"{s.name}: GPUs × duration = GPU-hours",
                    s.gpu_hours,
                    s.n_gpus * s.wall_clock_hours,
                    f"{s.n_gpus:,} × {s.wall_clock_hours:g} h"
                    + (" (a round duration)" if approx else ""),
                    tol=TOLERANCE_APPROXIMATE if approx else TOLERANCE,
                )
            )
    timed = [s for s in c.stages if s.n_gpus and s.wall_clock_hours]
    if (
        c.gpu_hours
        and timed
        and len(c.stages) > 1
        and all(s.gpu_hours or (s.n_gpus and s.wall_clock_hours) for s in c.stages)
    ):
        parts = [
            s.n_gpus * s.wall_clock_hours if s.n_gpus and s.wall_clock_hours else s.gpu_hours
            for s in c.stages
        ]
        rows.append(
            check_row(
                "GPUs × durations (+ stated hours) = total GPU-hours",
                c.gpu_hours,
                sum(parts),
                " + ".join(
                    f"{s.n_gpus:,} × {s.wall_clock_hours:g} h"
                    if s.n_gpus and s.wall_clock_hours
                    else f"{s.gpu_hours:,.0f}"
                    for s in c.stages
                ),
            )
        )
    for st in c.statements:
        if st.stage is not None and stage is not None and st.stage != stage.name:
            continue
        if st.kind == "gpu_hours_per_trillion_tokens" and tokens and basis_hours:
            rows.append(
                check_row(
                    "per-trillion-token GPU-hours × tokens = GPU-hours",
                    basis_hours,
                    st.value * tokens / 1e12,
                    f"{st.value:,.0f} × {tokens / 1e12:g}T",
                )
            )
        elif st.kind == "days_per_trillion_tokens" and n_gpus:
            per_t = next(
                (x.value for x in c.statements if x.kind == "gpu_hours_per_trillion_tokens"), None
            )
            if per_t is None and tokens and basis_hours:
                per_t = basis_hours / (tokens / 1e12)
            if per_t:
                rows.append(
                    check_row(
                        "days per trillion tokens on the cluster",
                        st.value,
                        per_t / n_gpus / 24,
                        f"{per_t:,.0f} GPU-h / {n_gpus:,} GPUs / 24",
                    )
                )
        elif st.kind == "max_wall_clock_days" and n_gpus and basis_hours:
            rows.append(
                check_row(
                    "wall-clock within the stated duration",
                    st.value,
                    basis_hours / n_gpus / 24,
                    f"{basis_hours:,.0f} GPU-h / {n_gpus:,} GPUs / 24",
                    le=True,
                )
            )
        elif st.kind == "tokens_per_day" and n_gpus and tokens and basis_hours:
            rows.append(
                check_row(
                    "measured throughput vs implied tokens per day",
                    st.value,
                    tokens / (basis_hours / n_gpus / 24),
                )
            )
    return rows
