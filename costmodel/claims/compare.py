"""A claim against published runs: percentile, the lab's own history, and where the
efficiency comes from (part of ``costmodel check``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..data import store
from ..model import priors

if TYPE_CHECKING:
    from ..data.schemas import Accelerator, RunPreset
    from ..model.prior_fit import FitRow

__all__ = ["comparison", "history", "decomposition"]


def comparison(run: RunPreset | None, acc: Accelerator, implied: float) -> dict[str, Any]:
    """The claim's implied utilization among published runs of a comparable hours scope.

    Only runs whose hours measure the work of their stated tokens
    (:data:`~costmodel.data.schemas.runs.COMPARABLE_SCOPES`: final pre-training, all
    pre-training, a stated wall-clock span) are compared against, like the claim's basis
    hours for its basis tokens. Runs whose hours also cover post-training, other models
    (distillation teachers) or were derived from an assumed throughput have a deflated or
    circular "utilization"; they are listed under ``excluded`` with their scope, not ranked.
    Every row states its ``hours_scope``; ``claim_hours_scope`` is the scope of the claim's
    run preset, when it has one.
    """
    from ..data.schemas.runs import COMPARABLE_SCOPES

    every = [
        r for r in priors.run_rows(grades=("primary", "secondary")) if not run or r.id != run.id
    ]
    rows = [r for r in every if r.hours_scope in COMPARABLE_SCOPES]
    excluded = [r for r in every if r.hours_scope not in COMPARABLE_SCOPES]
    mfus = np.array([r.mfu for r in rows])
    pct = float(np.mean(mfus < implied))
    runs = store.load("runs")

    def item(r: FitRow) -> dict[str, Any]:
        return {
            "id": r.id,
            "name": runs[r.id].name,
            "gpu": runs[r.id].gpu,
            "mfu": r.mfu,
            "active_params": r.active_params,
            "hours_scope": r.hours_scope,
        }

    def full(r: FitRow) -> dict[str, Any]:
        return {**item(r), "family": r.family, "year": runs[r.id].year}

    near = sorted(rows, key=lambda r: abs(math.log(r.mfu / implied)))
    same = [r for r in near if r.family == acc.family]
    claim_scope = run.reported.hours_scope if run is not None else None
    return {
        "convention": "6nd over reported hours × 16-bit dense peak (as the prior); runs whose "
        "hours cover the work of their stated tokens",
        "implied_mfu": implied,
        "percentile": pct,
        "n_runs": len(rows),
        "hours_scopes": list(COMPARABLE_SCOPES),
        "claim_hours_scope": claim_scope,
        "like_with_like": claim_scope is None or claim_scope in COMPARABLE_SCOPES,
        "max_published": float(mfus.max()),
        "nearest": [item(r) for r in near[:3]],
        "nearest_same_family": [item(r) for r in same[:3]],
        # every run compared against (for the chart of the claim among them), by MFU
        "runs": [full(r) for r in sorted(rows, key=lambda r: r.mfu)],
        # runs with hours of another scope: not ranked against (their "mfu" is not 6ND work)
        "excluded": [item(r) for r in sorted(excluded, key=lambda r: r.id)],
    }


def _row(r: FitRow) -> dict[str, Any]:
    """A published run on the 6ND, 16-bit-peak basis."""
    run = store.get("runs", r.id)
    return {
        "id": r.id,
        "name": run.name,
        "year": run.year,
        "gpu": run.gpu,
        "active_params": r.active_params,
        "tokens": r.tokens,
        "gpu_hours": r.gpu_hours,
        "gpu_hours_per_trillion_tokens": r.gpu_hours / (r.tokens / 1e12),
        "mfu": r.mfu,
        "tflop_per_s_per_gpu": 6.0 * r.active_params * r.tokens / (r.gpu_hours * 3600) / 1e12,
    }


def history(
    run: RunPreset | None, tokens: float, hours: float, active: float, acc: Accelerator
) -> list[dict[str, Any]] | None:
    """The same lab's other published runs, on the same 6ND and 16-bit-peak basis.

    A cross-check against the lab's own record (DeepSeek: LLM 67B at 300.6K and V2 at
    172.8K GPU-hours per trillion tokens, V3 at 180K): a jump in throughput per GPU should
    have a reason (FP8, a new pipeline schedule) rather than appear from nowhere.
    """
    if run is None:
        return None
    rows = [
        _row(r)
        for r in priors.run_rows(grades=("primary", "secondary"))
        if store.get("runs", r.id).organization == run.organization and r.id != run.id
    ]
    if not rows:
        return None
    own_tflops = 6.0 * active * tokens / (hours * 3600) / 1e12
    for x in rows:
        x["claim_tflop_per_s_ratio"] = own_tflops / x["tflop_per_s_per_gpu"]
    return sorted(rows, key=lambda x: (x["year"], x["id"]))


def decomposition(
    run: RunPreset | None, acc: Accelerator, active: float, tokens: float, hours: float
) -> dict[str, Any] | None:
    """Why the claim needs fewer GPU-hours than the largest published run on the same
    accelerator family whose hours are of a comparable scope (they measure the work of the
    stated tokens): the ratio of GPU-hours factors exactly into active parameters,
    tokens, utilization and the accelerator's 16-bit peak (hours = 6·N·D / (peak · MFU))."""
    from ..data.schemas.runs import COMPARABLE_SCOPES

    # only hours that measure the work of their stated tokens, as the comparison ranks
    # (a model card's "all training" hours include post-training: not like for like)
    rows = [
        r
        for r in priors.run_rows(grades=("primary",))
        if r.family == acc.family
        and (run is None or r.id != run.id)
        and r.hours_scope in COMPARABLE_SCOPES
    ]
    if not rows:
        return None
    comp = max(rows, key=lambda r: r.active_params * r.tokens)
    peak = priors.sixteen_bit_peak(acc)
    mfu = 6.0 * active * tokens / (hours * 3600 * peak)
    factors = {
        "active_params": comp.active_params / active,
        "tokens": comp.tokens / tokens,
        "utilization": mfu / comp.mfu,
        "peak": peak / comp.peak_flop_per_s,
    }
    return {
        "comparator": _row(comp) | {"hours_scope": comp.hours_scope},
        "gpu_hours_ratio": comp.gpu_hours / hours,  # = the product of the factors
        "factors": factors,
        "claim_mfu": mfu,
    }
