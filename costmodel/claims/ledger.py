"""What a claim leaves out, and its hardware context (part of ``costmodel check``).

The ledger lists costs side by side and never sums them; the hardware section classifies
the claimed accelerator under the export rules and prices the same work on others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..data import store
from ..errors import InputError
from ..formulas import cost
from ..model import priors
from ..model.market import OWNERSHIP_PUE, OWNERSHIP_USD_PER_KWH, market_price, ownership_rate
from .likelihood import prior_without

if TYPE_CHECKING:
    from ..data.schemas import Accelerator, ClaimPreset, RunPreset

__all__ = ["RESEARCH_MULTIPLIER", "WHAT_IF_GPUS", "ownership_rate", "ledger", "hardware"]

#: Full development compute / final-run compute: Epoch AI's 90 % range for the
#: experiment-compute multiplier (Cottier et al. 2024, arXiv 2405.21015, cost notebooks).
#: For scale: BLOOM used ~3.46M GPU-hours in all vs 1.08M for the final run (3.2x; Luccioni
#: et al., arXiv 2211.02001) and OPT's authors put ablations and downtime at ~2x.
RESEARCH_MULTIPLIER = (1.2, 4.0)
#: Accelerators in the what-if table (issue 5).
WHAT_IF_GPUS = ("h100-sxm", "h200-sxm", "b200", "h20", "a100-sxm4-80gb", "mi300x")


def ledger(
    c: ClaimPreset,
    acc: Accelerator,
    hours: float | None,
    price: float | None,
    cost_usd: float | None = None,
    n_gpus: float | None = None,
) -> list[dict[str, Any]]:
    """The claim's figure and what it leaves out; ``hours`` (the claim's total GPU-hours),
    ``price`` [USD per GPU-hour], ``cost_usd`` and ``n_gpus`` are the resolved ones (stated
    at the top or in a stage, else derived; ``None`` when unknown)."""
    L: list[dict[str, Any]] = []

    def add(
        item: str,
        low: float,
        high: float,
        basis: str,
        source: str = "",
        disputed: bool = False,
        kind: str = "cost",
    ) -> None:
        L.append(
            {
                "item": item,
                "low_usd": low,
                "high_usd": high,
                "basis": basis,
                "source": source,
                "disputed": disputed,
                "kind": kind,
            }
        )

    final = cost_usd or (hours * price if hours and price else None)
    if final:
        add("claimed figure", final, final, c.kind, c.source)
    if hours:
        try:
            m = market_price(acc.id)
        except InputError:
            m = None
        if m is not None:
            lo, hi = m.low_usd_per_gpu_hour, m.high_usd_per_gpu_hour
            add(
                "the claimed GPU-hours at market rental prices"
                if not m.proxy
                else "the claimed GPU-hours at market prices (ownership-cost proxy)",
                hours * lo,
                hours * hi,
                f"{hours:,.0f} h × ${lo:g}-${hi:g}"
                if not m.proxy
                else f"{hours:,.0f} h × ${lo:.2f}-${hi:.2f}: no rental quote for {acc.id}",
                m.source,
            )
        own = ownership_rate(acc)
        if own is not None:
            add(
                "ownership cost per GPU-hour (Epoch AI method)",
                own[0],
                own[1],
                f"{own[2]}; depreciation {cost.DEPRECIATION_OOM_PER_YEAR:g} OOM/yr, "
                f"{cost.INTERCONNECT_SHARE:.0%} interconnect, PUE "
                f"{OWNERSHIP_PUE}, ${OWNERSHIP_USD_PER_KWH}/kWh"
                + (f"; the claim's rate: ${price:g}" if price else ""),
                "Cottier et al. 2024, arXiv 2405.21015",
                kind="rate",
            )
            add(
                "the claimed GPU-hours at the ownership cost rate",
                hours * own[0],
                hours * own[1],
                f"{hours:,.0f} h × ${own[0]:.2f}-${own[1]:.2f}",
            )
    if final:
        lo, hi = RESEARCH_MULTIPLIER
        add(
            "development compute incl. research and ablations",
            final * lo,
            final * hi,
            f"final run × {lo:g}-{hi:g}",
            "Epoch AI experiment-compute multiplier (Cottier et al. 2024); BLOOM 3.2x "
            "(Luccioni et al., arXiv 2211.02001)",
        )
    if n_gpus:
        try:
            lo, hi = store.get("prices", acc.id).server_usd_per_gpu_range()
            s = cost.INTERCONNECT_SHARE
            add(
                "acquiring the cluster (capex)",
                n_gpus * lo,
                n_gpus * hi / (1 - s),
                f"{n_gpus:,} GPUs × ${lo:,.0f}-${hi:,.0f} server cost per GPU; high end "
                f"adds {s:.0%} cluster interconnect",
                f"presets/prices/{acc.id}.toml; Epoch AI server overhead 1.64",
            )
        except (KeyError, ValueError):
            pass
    for e in c.external_estimates:
        add(e.item, e.low_usd, e.high_usd, e.note, e.source, e.disputed)
    return L


def hardware(
    acc: Accelerator,
    implied16: float | None,
    hours: float | None,
    n_gpus: float | None,
    active: float | None,
    tokens: float | None,
    run: RunPreset | None,
    stage: str,
) -> dict[str, Any]:
    """The claimed accelerator under the export rules and the same work (the analysed
    ``stage``'s ``hours``) on the what-if accelerators: by the performance model where the
    run has a shape and ``n_gpus`` is known, else at the same share of each one's 16-bit
    peak, with the prior's range and the market cost. ``implied16`` (the claim's implied
    6ND utilization of the 16-bit peak) is not used: the same share follows from the hours
    and the peaks."""
    from .export_control import classify

    def status(gid: str) -> dict[str, dict[str, Any]]:
        return {r: classify(gid, r).to_dict() for r in ("2022-10", "2023-10", "2026-01")}

    out: dict[str, Any] = {"claimed_gpu": acc.id, "export_control": status(acc.id)}
    if not hours:
        return out
    prior = prior_without(run.id if run else None)[0]  # the same prior as the likelihood
    rows = []
    peak_claim = priors.sixteen_bit_peak(acc)
    perf = _perf_speeds(acc, n_gpus, run) if n_gpus else None
    for gid in (acc.id, *[g for g in WHAT_IF_GPUS if g != acc.id]):
        g = store.get("accelerators", gid)
        p16 = priors.sixteen_bit_peak(g)
        same_share = hours * peak_claim / p16  # the same share of each GPU's 16-bit peak
        h: float | None = same_share
        row: dict[str, Any] = {"gpu": gid, "peak_16bit_tflop_per_s": p16 / 1e12}
        if perf is not None:
            # the performance model: the same work at each accelerator's best layout on the
            # same GPU count, scaled by predicted throughput relative to the claimed GPU
            p = perf["rows"].get(gid)
            row["perf_mfu_16bit"] = p and p["mfu_16bit"]
            row["perf_layout"] = p and p["layout"]
            row["min_gpus_to_fit"] = perf["min_gpus"].get(gid)
            h = hours * perf["base_tps"] / p["tps"] if p else None
            if p and tokens and n_gpus:
                row["model_gpu_hours"] = tokens / (p["tps"] * 3600.0)
                row["model_days"] = row["model_gpu_hours"] / n_gpus / 24.0
                if run is not None and run.architecture is not None:
                    # expected wall-clock: the goodput model for these GPUs and this duration
                    from ..formulas.goodput import goodput_distribution

                    total = run.architecture.param_count()["total"]
                    gd = goodput_distribution(float(n_gpus), total, row["model_days"])
                    row["model_goodput"] = {k: gd[k] for k in ("p05", "p50", "p95")}
                    row["model_days_expected"] = row["model_days"] / gd["p50"]
        row["gpu_hours"] = h
        row["same_share_gpu_hours"] = same_share
        row["days_on_same_cluster"] = h / n_gpus / 24 if (n_gpus and h) else None
        if active and tokens:
            d = prior.dist(active, g.family, upper=g.matmul_ceiling_fraction or 1.0)
            w = 6.0 * active * tokens
            row["prior_gpu_hours"] = {
                "p05": w / (p16 * d.quantile(0.95) * 3600),
                "p50": w / (p16 * d.median() * 3600),
                "p95": w / (p16 * d.quantile(0.05) * 3600),
            }
        try:
            m = market_price(gid)
        except InputError:
            m = None
        if m is not None and h:
            row["price_basis"] = (
                "market rental range"
                if not m.proxy
                else "no rental quote: Epoch ownership-cost rate as a proxy"
            )
            row["cost_usd"] = [h * m.low_usd_per_gpu_hour, h * m.high_usd_per_gpu_hour]
        ec = {r: classify(gid, r) for r in ("2022-10", "2023-10", "2026-01")}
        row["export_2022_10"] = ec["2022-10"].status
        row["export_2023_10"] = ec["2023-10"].status
        row["china_licence_2026_01"] = ec["2026-01"].status
        rows.append(row)
    out["what_if"] = rows
    out["what_if_stage"] = stage
    if perf is not None:
        out["what_if_basis"] = (
            f"the {stage}'s hours scaled by the performance model's predicted throughput at "
            f"the best layout that fits on {n_gpus:,} of each accelerator relative to "
            f"{acc.id} ({perf['base_layout']}"
            + ("; the run's published layout" if perf.get("base_published") else "")
            + f"), searched at {perf['batch_text']} with node-limited routing "
            "and the run's published layout as candidates; min GPUs: fewest (power of two) "
            f"on which any layout fits in memory; prior_gpu_hours is the data-derived 90% range "
            f"(6ND basis) for that accelerator family. These days keep the claim's own hours "
            f"as the anchor; model_days is the model's absolute steady-state prediction at the "
            f"same layout and model_days_expected adds the goodput model's downtime "
            f"(docs/goodput.md); `costmodel estimate --run ... --mfu model --gpu X` predicts at "
            f"the run's published layout instead of the best one"
        )
        out["what_if_model"] = "performance model (docs/perf_validation.md)"
    else:
        out["what_if_basis"] = (
            f"no model shape, so no performance model: the {stage}'s work at the same share "
            f"of each accelerator's 16-bit dense peak as the claim implies; prior_gpu_hours "
            f"is the data-derived 90% range (6ND basis) for that accelerator family"
        )
    return out


def _perf_speeds(acc: Accelerator, n_gpus: float, run: RunPreset | None) -> dict[str, Any] | None:
    """Predicted throughput of the run's architecture at the best fitting layout on
    ``n_gpus`` of the claimed and every what-if accelerator, and the fewest GPUs that fit."""
    if run is None or run.architecture is None:
        return None
    from ..perf import compare

    arch, prec = run.architecture, run.precision or "bf16"
    prec = prec if prec in ("bf16", "fp8", "mixed") else "bf16"
    pub = run.layout.flags() if run.layout is not None else None
    if pub is not None:
        prec = pub.get("precision", prec)
    batch = pub.get("global_batch") if pub else None
    gids = (acc.id, *[g for g in WHAT_IF_GPUS if g != acc.id])
    rows: dict[str, dict[str, Any]] = {}
    mins: dict[str, int | None] = {}
    for gid in gids:
        g = store.get("accelerators", gid)
        try:
            b = compare.best_layout(
                arch, g, int(n_gpus), precision=prec, global_batch=batch, published=pub
            )
            mins[gid] = compare.min_gpus_to_fit(arch, g, precision=prec)
        except InputError:  # no published scale-up bandwidth: not modelled
            b, mins[gid] = None, None
        if b is not None:
            rows[gid] = {
                "tps": b["tokens_per_s_per_gpu"],
                "mfu_16bit": b["mfu_16bit"],
                "layout": compare.describe(b["layout"]),
                "published": b["published"],
            }
    if acc.id not in rows:
        return None
    return {
        "rows": rows,
        "min_gpus": mins,
        "base_tps": rows[acc.id]["tps"],
        "base_layout": rows[acc.id]["layout"],
        "base_published": rows[acc.id]["published"],
        "batch_text": (
            f"the run's batch of {batch:,} sequences"
            if batch
            else f"{compare.bind.DEFAULT_TOKENS_PER_STEP / 1e6:.1f}M tokens per step"
        ),
    }
