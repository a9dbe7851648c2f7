"""The verdict of a claim check: physics first, the claim's own arithmetic, and the
population prior as context.

Verdict rules (on the analysis stage, the one whose tokens are known)
--------------------------------------------------------------------
With the model's shape and the GPU count (the physics verdict, :mod:`.physics`):

``implausible``
    the claim needs steady-state throughput beyond the performance model's 99th
    percentile at the claimant's layout (P(achievable) < 1 %), or more 16-bit FLOP/s
    than the accelerator's best measured dense matmul (its ``matmul_ceiling_fraction``).
``optimistic``
    beyond the 90th percentile (P(achievable) < 10 %), or the claim's own numbers
    disagree with each other.
``consistent``
    otherwise; a claim below the model's 5th percentile is noted as slower than the
    hardware allows.

Without a shape (or without a GPU count) the verdict falls back to the population prior
of realized utilization, and says so:

``implausible``
    the implied 6ND utilization exceeds the matmul ceiling, or P(GPU-hours ≤ claimed)
    under the prior is below 1 %.
``optimistic``
    P(GPU-hours ≤ claimed) is below 10 %, or the implied utilization is above 95 % of
    published runs, or the claim's own numbers disagree.

``unverifiable``
    the claim states nothing the check can test (no utilization analysis is possible and
    none of its numbers can be cross-checked).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .consistency import TOLERANCE, TOLERANCE_APPROXIMATE

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

#: The verdict on each side of a probability threshold.
_SIDES = {
    "p_implausible": ("implausible", "optimistic"),
    "p_optimistic": ("optimistic", "consistent"),
}


def fragility(alternatives: Sequence[Mapping[str, Any]], name: str, t: float) -> str:
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


def _physics_reasons(ph: Mapping[str, Any]) -> list[str]:
    """Why the physics verdict is what it is, in words."""
    q = ph["predicted_tokens_per_s_per_gpu"]
    p = ph["p_achievable"]
    need = ph["needed_steady_state_tokens_per_s_per_gpu"]
    what = f"the claim needs {need:,.0f} tokens/s per GPU in steady state" + (
        f" ({ph['claimed_tokens_per_s_per_gpu']:,.0f} over its wall-clock hours / goodput "
        f"{ph['goodput']:.2f})"
        if ph["hours_basis"] == "wall_clock"
        else ""
    )
    at = (
        "the published layout"
        if "no published layout" not in ph["layout_source"]
        else ("the best layout that fits (none published)")
    )
    out = [
        f"{what}; the performance model predicts {ph['point_tokens_per_s_per_gpu']:,.0f} at "
        f"{at} (runs measure {q['p05']:,.0f}-{q['p95']:,.0f}, 90%), so P(achievable) = {p:.1%}"
    ]
    r = {k: round((1 - x) * 100) for k, x in ph["rules"].items()}  # percentiles
    if ph["verdict"] == "implausible":
        out.append(
            f"beyond the model's {r['implausible']}th percentile: more throughput than this "
            "hardware and layout have sustained in any validated run"
        )
    elif ph["verdict"] == "optimistic":
        out.append(f"beyond the model's {r['optimistic']}th percentile")
    if ph.get("slower_than_hardware"):
        out.append(
            f"slower than the hardware allows: below the model's {r['slower_than_hardware']}th "
            "percentile, so the hours leave room for downtime, other work or a slower layout"
        )
    if not ph.get("fits", True):
        out.append(
            f"the layout is predicted not to fit in memory ({ph['memory_gb_per_gpu']:.0f} GB "
            "per GPU), so read the prediction with care"
        )
    return out


def _prior_context(d: Mapping[str, Any]) -> str | None:
    """The population prior, as one line of context."""
    lik = d.get("likelihood")
    cm = d.get("comparison")
    if lik is None or cm is None:
        return None
    return (
        f"context: compared with {cm['n_runs']} published runs the implied utilization "
        f"({cm['implied_mfu']:.1%} of the 16-bit peak, 6ND) is above {cm['percentile']:.0%} of "
        f"them, and {lik['p_gpu_hours_le_claimed']:.0%} of the utilization prior's draws need "
        "as few GPU-hours as claimed or fewer (not the verdict's basis)"
    )


def verdict_of(d: Mapping[str, Any]) -> dict[str, Any]:
    """The verdict and its reasons, from a check's data (the rules in the module docstring)."""
    reasons = []
    bad_checks = [r for r in d["consistency"] if not r["ok"]]
    lik = d.get("likelihood")
    ph = d.get("physics")
    verdict = "consistent"
    basis = "physics"
    if ph is not None:
        verdict = ph["verdict"]
        reasons += _physics_reasons(ph)
        m = d.get("implied_mfu_16bit")
        ceiling = lik["prior"]["upper"] if lik is not None else 1.0
        if m is not None and m > ceiling * THRESHOLDS["max_mfu"]:
            verdict = "implausible"
            reasons.append(
                f"the claimed hours would need {m:.0%} of the 16-bit dense peak (6ND), above "
                "the best measured dense matmul throughput of this accelerator: more work than "
                "the hardware can do"
            )
        if d.get("throughput_derived_hours") and ph["hours_basis"] == "steady_state":
            reasons.append(
                "the claimed hours are a steady-state throughput figure with no downtime; "
                "the physics verdict compares them with steady-state throughput"
            )
        ctx = _prior_context(d)
        if ctx:
            reasons.append(ctx)
        p = ph["p_achievable"]
        for t in (ph["rules"]["implausible"], ph["rules"]["optimistic"]):
            if abs(p - t) < BORDERLINE * t:
                reasons.append(
                    f"borderline: P(achievable) {p:.2%} is within {BORDERLINE:.0%} of the "
                    f"{t:.0%} threshold, so read the verdict together with the probability"
                )
        lik = None  # the prior is context only: no prior-based reasons below
    elif lik is None:
        basis = "arithmetic"
        why = d.get("not_analysed_because", "the claim lacks the inputs")
        if not d["consistency"]:
            return {
                "verdict": "unverifiable",
                "basis": "none",
                "basis_text": "nothing the check can test",
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
        basis = "population prior"
        why = d.get("physics_unavailable") or "no model shape or GPU count to predict from"
        reasons.append(
            f"{why}: the verdict falls back to the population prior of realized utilization"
        )
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
                reasons.append(fragility(lik.get("alternatives", ()), name, t))
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
    if bad_checks and basis != "arithmetic":
        basis += " and the claim's own arithmetic"
    words = {
        "physics": "the performance model's predicted throughput at the claimant's layout "
        "(P(achievable), validation residuals)",
        "population prior": "the population prior of realized utilization (no shape or GPU "
        "count for the performance model)",
        "arithmetic": "the claim's own arithmetic only",
    }
    return {
        "verdict": verdict,
        "basis": basis,
        "basis_text": words[basis.split(" and ")[0]]
        + (" and the claim's own arithmetic" if " and " in basis else ""),
        "reasons": reasons,
        "thresholds": THRESHOLDS,
        "tolerance": TOLERANCE,
    }
