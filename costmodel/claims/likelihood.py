"""The likelihood of a claim's GPU-hours under the utilization prior (part of the check).

P(GPU-hours ≤ claimed) is exact: hours ≤ h exactly when the utilization is at least
work / (peak · h), a tail of the prior's truncated lognormal, weighted over the FLOP-convention
branches. The same prior refitted in other ways (the claimant's organization effect, without
its organization, the other candidate models) gives the alternatives a verdict is read
against. The cost at market prices comes from samples.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..data import store
from ..data.schemas import Accelerator, RunPreset
from ..errors import InputError
from ..formulas.architecture import Architecture
from ..model import priors


def prior_without(
    run_id: str | None, model: str | None = None
) -> tuple[priors.MFUPrior, bool, list[priors.FitRow]]:
    """The prior (``model``, default the committed one) refitted to its fit set without
    ``run_id``: (prior, whether the run was in the fit set, the rows kept)."""
    rows = priors.fit_rows()
    model = model or store.get("priors", "mfu-6nd").model
    kept = [r for r in rows if r.id != run_id]
    return priors.fit(kept, model), len(kept) < len(rows), kept


#: P(GPU-hours ≤ claimed) under a prior, optionally with an organization's effect.
PUnder = Callable[..., float]


def alternatives(
    p_under: PUnder,
    prior: priors.MFUPrior,
    rows: list[priors.FitRow],
    org: str | None,
    model: str,
) -> list[dict[str, Any]]:
    """P(GPU-hours ≤ claimed) under the chosen prior and the alternatives to it: the
    claimant's own organization effect, the chosen model refitted without any run of the
    claimant's organization (leave-one-organization-out), the family+size baseline and
    every other candidate model (each refitted without the claim's run)."""
    out = [
        {
            "prior": "chosen",
            "model": model,
            "note": "refitted without the claim's run; the claimant as a new organization",
            "p_gpu_hours_le_claimed": p_under(prior),
        }
    ]
    if org and org in prior.org_effects:
        u, _ = prior.org_effects[org]
        out.append(
            {
                "prior": "chosen, own organization",
                "model": model,
                "note": f"with {org}'s fitted effect ({u:+.2f} on ln mfu) from its other runs",
                "p_gpu_hours_le_claimed": p_under(prior, org),
            }
        )
    if org and any(r.organization == org for r in rows):
        others = [r for r in rows if r.organization != org]
        out.append(
            {
                "prior": "leave-one-organization-out",
                "model": model,
                "note": f"refitted without any {org} run",
                "p_gpu_hours_le_claimed": p_under(priors.fit(others, model)),
            }
        )
    for m in priors.CANDIDATES:
        if m == model:
            continue
        out.append(
            {
                "prior": "baseline" if m == priors.CANDIDATES[0] else "candidate",
                "model": m,
                "note": "refitted without the claim's run",
                "p_gpu_hours_le_claimed": p_under(priors.fit(rows, m)),
            }
        )
    return out


def likelihood(
    cost_usd: float | None,
    acc: Accelerator,
    run: RunPreset | None,
    arch: Architecture | None,
    active: float,
    tokens: float,
    basis_hours: float,
    other_hours: float,
    price: float | None,
    n: int,
    rng: np.random.Generator | int | None,
    assumptions: list[str],
    n_gpus: float | None = None,
) -> tuple[dict[str, Any], np.ndarray | None, np.ndarray]:
    """P(GPU-hours ≤ claimed) exactly; the cost distribution at market prices by sampling."""
    from ..model.uncertainty import draw_uniforms, summarize

    prior, refit, rows = prior_without(run.id if run else None)
    if refit and run is not None:
        assumptions.append(
            f"the prior is refitted without {run.id} itself, so the claim is "
            f"not judged against its own number"
        )
    upper = acc.matmul_ceiling_fraction or 1.0
    peak16 = priors.sixteen_bit_peak(acc)
    work_6nd = 6.0 * active * tokens
    # (weight, work multiplier) of each FLOP-convention branch
    branches = [(1.0, 1.0)]
    conv_note = "6nd only (no architecture)"
    if arch is not None:
        # typical megatron/6ND ratio of the prior's runs: a shape with more attention work
        # than typical needs more hours at the same utilization (as in estimate)
        ref, n_ref = priors.convention_ratio("megatron", rows)
        own = arch.flop_per_token("megatron") / (6.0 * active)
        branches = [(0.5, 1.0), (0.5, own / ref)]
        conv_note = (
            f"half the weight counts work as 6ND, half as megatron relative to the "
            f"prior's runs (this shape: {own:.3f} × 6ND; median of "
            f"{n_ref} runs with shapes: {ref:.3f} × 6ND)"
        )

    def p_hours_le(h: float, pr: priors.MFUPrior | None = None, org: str | None = None) -> float:
        """Exact: hours ≤ h  ⟺  mfu ≥ work·k / (peak · h · 3600), per branch."""
        if h <= 0:
            return 0.0
        p = (pr or prior).p_at_least
        return sum(
            (
                w
                * p(
                    work_6nd * k / (peak16 * h * 3600.0),
                    active,
                    acc.family,
                    upper=upper,
                    org=org,
                    n_gpus=n_gpus,
                )
                for w, k in branches
            ),
            0.0,
        )

    u = draw_uniforms(n, 3, rng)
    mfu = prior.ppf(u[:, 0], active, acc.family, upper=upper)
    mult = np.where(u[:, 1] < branches[0][0], branches[0][1], branches[-1][1])
    hours = work_6nd * mult / (peak16 * mfu * 3600.0)
    total_hours = hours + other_hours
    d = prior.dist(active, acc.family, upper=upper)
    out: dict[str, Any] = {
        "samples": n,
        "prior": {
            "family": acc.family,
            "median_mfu": d.median(),
            "mfu_p05": d.quantile(0.05),
            "mfu_p95": d.quantile(0.95),
            "upper": upper,
            "n_runs": prior.n_runs,
        },
        "flop_convention_mixture": conv_note,
        "predicted_gpu_hours": summarize(hours),
        "claimed_gpu_hours": basis_hours,
        "p_gpu_hours_le_claimed": p_hours_le(basis_hours),
        "p_method": "exact (truncated-lognormal tails, weighted over the FLOP-convention branches)",
        "other_stages_gpu_hours": other_hours,
        "alternatives": alternatives(
            lambda pr, org=None: p_hours_le(basis_hours, pr, org),
            prior,
            rows,
            run.organization if run else None,
            prior.model,
        ),
    }
    if other_hours:
        assumptions.append(
            f"stages other than the analysed one ({other_hours:,.0f} GPU-hours) are taken as stated"
        )
    cost_samples = None
    from ..model.market import market_price

    try:
        market = market_price(acc.id)
    except InputError:
        market = None
    if market is not None:
        pd = market.dist()
        cost_samples = total_hours * pd.ppf(u[:, 2])
        lo, hi = market.low_usd_per_gpu_hour, market.high_usd_per_gpu_hour
        out["price"] = {
            "basis": (
                f"{acc.id} rental range ${lo:g}-${hi:g} as 5th-95th percentiles: {market.basis}"
                if not market.proxy
                else f"{acc.id} has no rental quote: its ownership-cost rate ${lo:.2f}-"
                f"${hi:.2f} as 5th-95th percentiles ({market.basis})"
            ),
            "kind": market.kind,
            "median": pd.median(),
        }
        out["predicted_cost_usd_market"] = summarize(cost_samples)
        if cost_usd:
            out["p_cost_le_claimed_at_market_price"] = float(np.mean(cost_samples <= cost_usd))
    if price and cost_usd:
        out["p_cost_le_claimed_at_claimed_price"] = p_hours_le(
            cost_usd * (1 + 1e-9) / price - other_hours
        )
    return out, cost_samples, hours
