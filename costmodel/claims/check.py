"""``costmodel.check``: test a published training-cost claim the way a careful analyst would.

Everything is computed from the claim preset, the run preset (the model's shape), the
accelerator catalog, the price presets, the utilization prior and the export rules; nothing
in the report is typed in. See ``docs/methodology.md`` and the verdict rules below.

Verdict rules (on the analysis stage, the one whose tokens are known)
--------------------------------------------------------------------
``implausible``
    the implied 6ND utilization of the 16-bit peak exceeds the accelerator's best measured
    dense matmul throughput (its ``matmul_ceiling_fraction``; the peak itself where none is
    measured), or P(GPU-hours ≤ claimed) under the prior is below 1 %.
``optimistic``
    P(GPU-hours ≤ claimed) is below 10 %, or the implied utilization is above 95 % of
    published runs, or the claim's own numbers disagree with each other.
``consistent``
    otherwise.
``unverifiable``
    the claim states nothing the check can test (no utilization analysis is possible and
    none of its numbers can be cross-checked).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..data import store
from ..data.schemas import ClaimPreset
from ..errors import InputError, PresetError, UnknownPresetError
from ..model import priors
from .compare import comparison, decomposition, history
from .consistency import (
    TOLERANCE,
    TOLERANCE_APPROXIMATE,
    check_row,
    consistency,
    resolve,
)
from .implied import implied
from .ledger import RESEARCH_MULTIPLIER, WHAT_IF_GPUS, _prior_without, hardware, ledger

__all__ = [
    "ClaimCheck",
    "check",
    "load_claim",
    "RESEARCH_MULTIPLIER",
    "WHAT_IF_GPUS",
    "THRESHOLDS",
    "TOLERANCE",
]

SCHEMA = "costmodel.check/1"
#: Fewest Monte Carlo samples the check accepts (the verdict's probability is exact; the
#: samples give the cost distribution at market prices).
MIN_SAMPLES = 1000
#: Verdict thresholds (see the module docstring).
THRESHOLDS = {
    "p_implausible": 0.01,
    "p_optimistic": 0.10,
    "percentile_optimistic": 0.95,
    "max_mfu": 1.0,  # × the accelerator's measured matmul ceiling (1 where unmeasured)
}
#: A probability within this relative distance of a verdict threshold (±20 %: 8-12 % around
#: 10 %, 0.8-1.2 % around 1 %) is reported as borderline.
BORDERLINE = 0.2


def load_claim(claim: str | os.PathLike | dict | ClaimPreset) -> ClaimPreset:
    """A claim from a preset id, a TOML file, a dict or a :class:`ClaimPreset`."""
    if isinstance(claim, ClaimPreset):
        return claim
    if isinstance(claim, dict):
        from pydantic import ValidationError

        try:
            return ClaimPreset.model_validate(claim)
        except ValidationError as e:
            from ..data.store import describe_validation_error

            raise PresetError(describe_validation_error(e, "claim")) from None
    if isinstance(claim, os.PathLike):  # a file only when the caller says so
        from pathlib import Path

        p = Path(claim)
        if not p.exists():
            raise InputError(f"claim: file {p} does not exist")
        return store.read_file(p, "claims")
    from ..model.validate import shown

    if not isinstance(claim, str):
        raise InputError(
            f"claim: expected a claim id, a pathlib.Path, a dict or a ClaimPreset, "
            f"got {shown(claim)}"
        )
    if claim.endswith(".toml") or os.path.sep in claim:
        raise UnknownPresetError(
            f"claim: {shown(claim)} is read as a preset id, not a file; pass "
            f"path={shown(claim)} or a pathlib.Path to read a file"
        )
    return store.get("claims", claim)


@dataclass
class ClaimCheck:
    """Result of :func:`check`; ``to_dict()`` is the JSON report, ``table()`` the text."""

    data: dict[str, Any]
    cost_samples: np.ndarray | None = field(default=None, repr=False)
    #: Draws of the analysed stage's GPU-hours under the prior (the likelihood chart).
    gpu_hours_samples: np.ndarray | None = field(default=None, repr=False)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    @property
    def verdict(self) -> str:
        return self.data["verdict"]["verdict"]

    def to_dict(self) -> dict[str, Any]:
        from ..model.estimation import to_jsonable

        return to_jsonable(self.data)

    def table(self) -> str:
        from ..render.claims_report import render

        return render(self.to_dict())

    def to_html(self, command: str | None = None) -> str:
        """A self-contained HTML page: the whole check, charts included.

        ``command``, if given, is shown as the way to regenerate the page.
        """
        from ..render import html_check as r

        return r.page(self.to_dict(), self.gpu_hours_samples, command=command)

    def _repr_html_(self) -> str:
        """Notebook display: the same HTML without the page chrome."""
        from ..render.html import fragment
        from ..render.html_check import body

        return fragment(body(self.to_dict(), self.gpu_hours_samples))

    def plot(self, path: str) -> None:
        """Distribution of the predicted total cost at market prices, the claim marked."""
        from ..render.plots import distribution_plot

        if self.cost_samples is None:
            raise InputError("plot: this claim has no token count, so no cost distribution")
        c = self.data["claim"]
        distribution_plot(
            self.cost_samples,
            path,
            output="cost_usd",
            claimed=c.get("cost_usd"),
            title=f"{c['name']}\npredicted cost at market rental prices vs the claim",
        )


# ---------------------------------------------------------------- helpers
# ---------------------------------------------------------------- the check
def check(
    claim: str | os.PathLike[str] | dict[str, Any] | ClaimPreset | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
    samples: int = 20_000,
    rng: np.random.Generator | int | None = 0,
) -> ClaimCheck:
    """Check a training-cost claim.

    Parameters
    ----------
    claim : str, pathlib.Path, dict or ClaimPreset
        A preset id (``"deepseek-v3"``), a :class:`pathlib.Path` to a TOML file with the
        claim schema, or the fields. A string is always an id, never a file name.
    path : str or path, optional
        Instead of ``claim``: a TOML file with the claim schema.
    samples : int, default 20000
        Monte Carlo samples for the likelihood (utilization prior × FLOP convention ×
        market price).
    rng : Generator, int or None, default 0
        Random source.

    Returns
    -------
    ClaimCheck
    """
    from ..model.uncertainty import check_samples
    from ..model.validate import rng as check_rng

    if (claim is None) == (path is None):
        raise InputError("claim: give exactly one of claim (an id, Path, dict) or path=")
    if path is not None:
        if not isinstance(path, str | os.PathLike):
            raise InputError(f"path: expected a file name, got {path!r:.40}")
        from pathlib import Path

        claim = Path(path)
    samples = check_samples(samples)
    check_rng(rng)
    if samples < MIN_SAMPLES:
        raise InputError(
            f"samples: {samples} is too few for the cost distribution; use at least {MIN_SAMPLES:,}"
        )
    c = load_claim(claim)
    acc = store.get("accelerators", c.gpu)
    run = store.get("runs", c.run) if c.run else None
    arch = run.architecture if run else None
    active = c.active_params or (run.active_params_ if run else None) or c.params
    dense_assumed = c.active_params is None and run is None and c.params is not None
    precision = c.precision or (run.precision if run else None) or "bf16"
    fp8_fraction = None
    if precision == "mixed" and arch is not None:
        fp8_fraction = arch.fp8_flop_fraction()
    elif precision == "fp8":
        fp8_fraction = 1.0
    stage = None
    if c.analysis_stage:
        stage = next(s for s in c.stages if s.name == c.analysis_stage)
    elif len(c.stages) == 1:
        stage = c.stages[0]
    # every quantity the claim implies, derived before anything is compared (issue 9.2)
    facts = resolve(c, run)
    level = facts.analysis
    tokens = facts.get(level, "T") if level is not None else c.tokens
    n_gpus = (facts.get(level, "N") if level is not None else None) or c.n_gpus
    if n_gpus is not None and float(n_gpus).is_integer():
        n_gpus = int(n_gpus)
    price = c.price_usd_per_gpu_hour
    assumptions: list[str] = []
    warnings: list[str] = []
    if dense_assumed:
        assumptions.append("active_params not given: dense model assumed (active = params)")
    basis_hours = facts.get(level, "H") if level is not None else None
    hv = facts.value(level, "H") if level is not None else None
    if hv is not None and not hv.stated:
        assumptions.append(f"GPU-hours not stated: {hv.how} = {basis_hours:,.0f}")
    tv = facts.value(level, "T") if level is not None else None
    if tv is not None and not tv.stated:
        assumptions.append(f"tokens not stated: {tv.how} = {tokens:.4g}")
    total_hours = facts.get("", "H")
    total_cost = facts.get("", "C")
    if price is None and total_cost and total_hours:
        price = total_cost / total_hours
        assumptions.append(
            f"price not stated: cost / GPU-hours = ${price:.2f} per GPU-hour (implied)"
        )
    other_hours = (total_hours - basis_hours) if total_hours and basis_hours else 0.0
    if other_hours < 0:  # a stage larger than the total: the consistency check reports it
        other_hours = 0.0
    if acc.form_factor == "pcie":
        warnings.append(
            f"{acc.id} is a PCIe part: its peaks are below the SXM version's; "
            f"make sure the cluster used it"
        )

    data: dict[str, Any] = {"schema": SCHEMA}
    data["claim"] = {
        "id": c.id,
        "name": c.name,
        "claimant": c.claimant,
        "date": c.date,
        "quote": c.quote,
        "kind": c.kind,
        "scope": c.scope,
        "excludes": list(c.excludes),
        "gpu": acc.id,
        "n_gpus": c.n_gpus or n_gpus,
        "precision": precision,
        "params": c.params or (run.params if run else None),
        "active_params": active,
        "tokens": tokens,
        "gpu_hours": total_hours,
        "cost_usd": total_cost,
        "price_usd_per_gpu_hour": c.price_usd_per_gpu_hour,
        "stages": [s.model_dump(exclude_none=True) for s in c.stages],
        "related_claims": list(c.related_claims),
        "source": c.source,
    }
    data["basis"] = {
        "stage": stage.name if stage else "whole claim",
        "tokens": tokens,
        "gpu_hours": basis_hours,
        "n_gpus": n_gpus,
    }
    data["consistency"] = consistency(facts)
    data["derived"] = facts.derived_notes(facts.used())

    analysable = tokens is not None and basis_hours is not None and active is not None
    cost_samples = hours_samples = None
    if analysable:
        data.update(
            implied(c, acc, arch, active, tokens, basis_hours, n_gpus, fp8_fraction, warnings)
        )
        data["comparison"] = comparison(run, acc, data["implied_mfu_16bit"])
        data["history"] = history(run, tokens, basis_hours, active, acc)
        data["decomposition"] = decomposition(run, acc, active, tokens, basis_hours)
        for st in c.statements:  # a stated FLOP total, against the same convention
            conv = st.convention or "6nd"
            if st.kind == "model_flop" and conv in data["flop"]:
                data["consistency"].append(
                    check_row(f"stated model FLOP vs {conv}", st.value, data["flop"][conv]["total"])
                )
        lik, cost_samples, hours_samples = _likelihood(
            total_cost,
            acc,
            run,
            arch,
            active,
            tokens,
            basis_hours,
            other_hours,
            c.price_usd_per_gpu_hour,  # only a stated price, never one implied by cost/hours
            samples,
            rng,
            assumptions,
            n_gpus=n_gpus,
        )
        data["likelihood"] = lik
    else:
        data["not_analysed_because"] = _why_not_analysed(c, tokens, basis_hours, active)
        assumptions.append(f"no utilization analysis: {data['not_analysed_because']}")
    per_t = next(
        (st.value for st in c.statements if st.kind == "gpu_hours_per_trillion_tokens"), None
    )
    if per_t and tokens and basis_hours and abs(per_t * tokens / 1e12 / basis_hours - 1) < 1e-3:
        data["throughput_derived_hours"] = True
        assumptions.append(
            f"the {data['basis']['stage']} GPU-hours equal the per-trillion-token "
            f"rate × tokens ({per_t:,.0f} × {tokens / 1e12:g}T): a steady-state "
            f"throughput figure, so downtime and restarts are not in them "
            f"(published runs' hours usually include them)"
        )
    data["verdict"] = _verdict(data)
    data["ledger"] = ledger(c, acc, total_hours, price, total_cost, c.n_gpus or n_gpus)
    data["hardware"] = hardware(
        acc,
        data.get("implied_mfu_16bit"),
        basis_hours,
        n_gpus,
        active,
        tokens,
        run,
        data["basis"]["stage"],
    )
    if arch is not None and arch.moe is not None and acc.id == "h800-sxm" and n_gpus:
        from ..perf.compare import nvlink_cost

        data["nvlink"] = nvlink_cost(arch, int(n_gpus))
    data["warnings"] = warnings
    data["assumptions"] = assumptions
    return ClaimCheck(data, cost_samples, hours_samples)


def _why_not_analysed(c, tokens, basis_hours, active) -> str:
    """Name exactly what stops the FLOP and utilization analysis."""
    missing = []
    if tokens is None:
        missing.append("no token count" + (" for any stage" if len(c.stages) > 1 else ""))
    if active is None:
        missing.append("no active_params (or params, or a run preset with the model's shape)")
    if basis_hours is None:
        if len(c.stages) > 1 and not c.analysis_stage:
            missing.append(
                "no stage marked as the one whose tokens and GPU-hours go together (analysis_stage)"
            )
        else:
            missing.append("no GPU-hours (nor GPUs × duration, nor cost and price) for it")
    return "the claim gives " + "; ".join(missing)


def _alternatives(p_under, prior, rows, run, org, model) -> list[dict[str, Any]]:
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


def _likelihood(
    cost_usd,
    acc,
    run,
    arch,
    active,
    tokens,
    basis_hours,
    other_hours,
    price,
    n,
    rng,
    assumptions,
    n_gpus=None,
):
    """P(GPU-hours ≤ claimed) exactly; the cost distribution at market prices by sampling."""
    from ..model.uncertainty import draw_uniforms, summarize

    prior, refit, rows = _prior_without(run.id if run else None)
    if refit:
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

    def p_hours_le(h: float, pr=None, org=None) -> float:
        """Exact: hours ≤ h  ⟺  mfu ≥ work·k / (peak · h · 3600), per branch."""
        if h <= 0:
            return 0.0
        return sum(
            w
            * (pr or prior).p_at_least(
                work_6nd * k / (peak16 * h * 3600.0),
                active,
                acc.family,
                upper=upper,
                org=org,
                n_gpus=n_gpus,
            )
            for w, k in branches
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
        "alternatives": _alternatives(
            lambda pr, org=None: p_hours_le(basis_hours, pr, org),
            prior,
            rows,
            run,
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


#: The verdict on each side of a probability threshold.
_SIDES = {
    "p_implausible": ("implausible", "optimistic"),
    "p_optimistic": ("optimistic", "consistent"),
}


def _fragility(alternatives, name: str, t: float) -> str:
    """Which way each alternative prior falls at a threshold the verdict is close to."""
    below, above = _SIDES[name]
    parts = [
        f"{a['prior'] if a['prior'] not in ('candidate', 'baseline') else a['model']}"
        f"{' (baseline)' if a['prior'] == 'baseline' else ''} "
        f"{a['p_gpu_hours_le_claimed']:.1%} → {below if a['p_gpu_hours_le_claimed'] < t else above}"
        for a in alternatives
    ]
    n_below = sum(a["p_gpu_hours_le_claimed"] < t for a in alternatives)
    return (
        f"at the {t:.0%} threshold {n_below} of {len(alternatives)} priors fall on the "
        f"'{below}' side: " + "; ".join(parts)
    )


def _verdict(d) -> dict[str, Any]:
    reasons = []
    bad_checks = [r for r in d["consistency"] if not r["ok"]]
    lik = d.get("likelihood")
    verdict = "consistent"
    if lik is None:
        why = d.get("not_analysed_because", "the claim lacks the inputs")
        if not d["consistency"]:
            return {
                "verdict": "unverifiable",
                "reasons": [
                    f"nothing to test: {why}, and it states nothing that can be cross-checked"
                ],
                "thresholds": THRESHOLDS,
                "tolerance": TOLERANCE,
            }
        reasons.append(
            f"utilization cannot be checked ({why}); the verdict rests on the claim's "
            f"internal arithmetic"
        )
    else:
        p = lik["p_gpu_hours_le_claimed"]
        m = d["implied_mfu_16bit"]
        pct = d["comparison"]["percentile"]
        ceiling = lik["prior"]["upper"]
        if m > ceiling * THRESHOLDS["max_mfu"]:
            verdict = "implausible"
            what = (
                f"the best measured dense matmul throughput of this accelerator ({ceiling:.1%})"
                if ceiling < 1
                else "the dense peak itself"
            )
            reasons.append(
                f"the claimed hours would need {m:.0%} of the 16-bit dense peak (6ND), above "
                f"{what}: more work than the hardware can do"
            )
        elif p < THRESHOLDS["p_implausible"]:
            verdict = "implausible"
            reasons.append(f"only {p:.2%} of prior draws need as few GPU-hours as claimed")
        else:
            if p < THRESHOLDS["p_optimistic"]:
                verdict = "optimistic"
                reasons.append(f"only {p:.1%} of prior draws need as few GPU-hours as claimed")
            else:
                reasons.append(f"{p:.0%} of prior draws need as few GPU-hours as claimed or fewer")
            if d.get("throughput_derived_hours"):
                reasons.append(
                    "the claimed hours are a steady-state throughput figure with "
                    "no downtime, which flatters them against published runs"
                )
            if pct > THRESHOLDS["percentile_optimistic"]:
                verdict = "optimistic"
                reasons.append(
                    f"the implied utilization ({m:.1%}) is above {pct:.0%} of published runs"
                )
            else:
                near = d["comparison"]["nearest"][0]
                reasons.append(
                    f"the implied utilization ({m:.1%} of the 16-bit peak, 6ND) "
                    f"is above {pct:.0%} of "
                    f"{d['comparison']['n_runs']} published runs, next to "
                    f"{near['name']} ({near['mfu']:.1%})"
                )
    if lik is not None:
        p = lik["p_gpu_hours_le_claimed"]
        for name in ("p_implausible", "p_optimistic"):
            t = THRESHOLDS[name]
            if abs(p - t) < BORDERLINE * t:
                reasons.append(
                    f"borderline: {p:.2%} is within {BORDERLINE:.0%} of the {t:.0%} threshold, "
                    f"so read the verdict together with the probability"
                )
                reasons.append(_fragility(lik.get("alternatives", ()), name, t))
    if bad_checks:
        if verdict == "consistent":
            verdict = "optimistic"
        reasons.append(
            "the claim's own numbers disagree: "
            + "; ".join(f"{r['check']} off by {r['rel_diff']:+.1%}" for r in bad_checks)
        )
    elif d["consistency"]:
        rows = d["consistency"]
        loose = sum(r["tolerance"] > TOLERANCE for r in rows)
        bounds = sum("within" in r["check"] for r in rows)
        detail = []
        if loose:
            detail.append(
                f"{loose} round duration{'s' if loose > 1 else ''} within "
                f"{TOLERANCE_APPROXIMATE:.0%}"
            )
        if bounds:
            detail.append(f"{bounds} stated bound{'s' if bounds > 1 else ''} respected")
        reasons.append(
            f"the claim's {len(rows)} arithmetic cross-checks agree (equalities within "
            f"{TOLERANCE:.0%}" + (f"; {'; '.join(detail)}" if detail else "") + ")"
        )
    return {
        "verdict": verdict,
        "reasons": reasons,
        "thresholds": THRESHOLDS,
        "tolerance": TOLERANCE,
    }
