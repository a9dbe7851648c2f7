"""The ways :func:`costmodel.solve` answers besides solving for one input: the chance that
a budget suffices, compute-optimal sizing, quantiles of a solution, and what an
out-of-reach budget does buy.

References
----------
.. [1] Hoffmann et al., "Training Compute-Optimal Large Language Models", arXiv 2203.15556:
       compute-optimal training uses about 20 tokens per parameter (Table 3; approaches 1
       and 2 give a ≈ b ≈ 0.5), so ``C = 6·N·D = 120·N²``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import CostModelError, InputError
from ..formulas.dist import Dist
from ..model.inputs import Rng
from ..model.scenario import Scenario
from .solution import (
    METRIC,
    TOKENS_PER_PARAM,
    Solution,
    evaluate_metric,
    log_ratio,
    root_in_log,
)

__all__ = [
    "mfu_limit",
    "impossible_mfu",
    "solution_quantiles",
    "probability",
    "compute_optimal",
]


def mfu_limit(sc: Scenario) -> tuple[float, str]:
    """The highest MFU a run can have: the accelerators' best measured dense matmul
    throughput at 16-bit precision when the catalog has it, else 100%."""
    prec = np.atleast_1d(np.asarray(sc.precision, dtype=object)).tolist()
    ceilings = [a.matmul_ceiling_fraction for a in getattr(sc, "accelerators", {}).values()]
    if ceilings and all(ceilings) and set(prec) <= {"bf16", "fp16"}:
        gpus = ", ".join(sorted(sc.accelerators))
        return float(min(ceilings)), f"{gpus}'s best measured dense matmul throughput"
    return 1.0, "the dense peak"


def impossible_mfu(
    bkey: str,
    budget: float,
    metric: str,
    value: float,
    limit: float,
    why: str,
    m0: float,
    trial: float,
    inputs: Mapping[str, Any],
) -> str:
    """What an out-of-reach budget needs, and what it does buy."""
    from ..render.report import fmt_value
    from ..render.solve_report import budget_text

    key = next(k for k, v in METRIC.items() if v == metric)
    b = budget_text(bkey, budget)
    parts = [
        f"solve: budget {b} would need MFU {fmt_value(value, 'pct')}, above the "
        f"{fmt_value(limit, 'pct')} possible ({why}): impossible"
    ]
    tokens = inputs.get("tokens")
    try:  # at the utilization prior's median (metric ∝ tokens)
        m_prior, sc, res = evaluate_metric({k: v for k, v in inputs.items() if k != "mfu"}, metric)
        mfu_prior = float(np.asarray(res["mfu"]))
        if tokens is not None and not isinstance(tokens, Dist) and sc.mfu_prior is not None:
            buys = float(tokens) * budget / m_prior
            parts.append(
                f"at the prior's median MFU ({fmt_value(mfu_prior, 'pct')}) it buys "
                f"{fmt_value(buys)} tokens"
            )
    except CostModelError:
        pass
    minimum = m0 * trial / limit  # metric ∝ 1/mfu
    parts.append(
        f"the run as given needs at least {budget_text(key, minimum)} "
        f"(at MFU {fmt_value(limit, 'pct')})"
    )
    return "; ".join(parts)


def solution_quantiles(
    kw: Mapping[str, Any],
    metric: str,
    budget: float,
    trial: float,
    k: int,
    samples: int,
    rng: Rng,
    qmc: bool = False,
) -> dict[str, float] | None:
    """Quantiles of the unknown over samples of the uncertain inputs (metric ∝ unknown^k),
    or None when nothing is uncertain."""
    from ..model.uncertainty import simulate, summarize

    sc = Scenario(**kw)
    if not sc.uncertain() and sc.mfu_prior is None:
        return None
    s = simulate(sc, samples, rng, qmc=qmc, keep=(metric,))
    x = trial * (budget / s.outputs[metric]) ** (1.0 / k)
    return summarize(x)


def probability(
    bkey: str,
    budget: float,
    metric: str,
    samples: int,
    rng: Rng,
    inputs: Mapping[str, Any],
    qmc: bool = False,
) -> Solution:
    """The chance that the budget suffices (0 or 1 at a point estimate)."""
    from ..model.estimation import estimate_scenario
    from ..model.uncertainty import simulate

    sc = Scenario(**inputs)
    est = estimate_scenario(sc)
    point = est.to_dict()[metric]
    if point is None:
        evaluate_metric(inputs, metric)  # raises the missing-input error
    sol = Solution(
        unknown=None,
        value=None,
        method="point estimate at the inputs' medians",
        budget={bkey: budget},
        estimate=est.to_dict(),
        assumptions=list(sc.assumptions),
    )
    tokens = est.to_dict()["inputs"].get("tokens")
    if isinstance(tokens, int | float) and point:  # metric ∝ tokens
        sol.tokens_budget_buys = float(tokens) * budget / float(point)
    uncertain = sc.uncertain() or sc.mfu_prior is not None
    if uncertain and samples:
        n = samples
        s = simulate(sc, n, rng, qmc=qmc, keep=(metric,))
        sol.probability_budget_suffices = float(np.mean(s.outputs[metric] <= budget))
        sol.method = f"Monte Carlo over the uncertain inputs ({n:,} samples)"
    else:
        sol.probability_budget_suffices = float(point <= budget)
        if uncertain:
            sol.assumptions.append("samples = 0: the probability is the point estimate's 0 or 1")
    return sol


def compute_optimal(bkey: str, budget: float, metric: str, inputs: Mapping[str, Any]) -> Solution:
    """The compute-optimal model (20 tokens per parameter) that spends the budget."""
    for k in ("active_params", "tokens", "params"):
        if inputs.get(k) is not None:
            raise InputError(f"{k}: compute-optimal sizing chooses it; leave it out")
    if any(isinstance(v, Dist) for v in inputs.values()):
        raise InputError(
            "compute_optimal: use point values (the medians are not used implicitly here)"
        )

    def at_size(n: float) -> tuple[float, Scenario, dict[str, Any]]:
        return evaluate_metric(dict(inputs, active_params=n, tokens=TOKENS_PER_PARAM * n), metric)

    def g(logn: float) -> float:
        return log_ratio(at_size(math.exp(logn))[0], budget)

    from ..render.solve_report import budget_text

    try:
        n = root_in_log(g, 1e10)
    except InputError:
        raise InputError(
            f"{bkey}: no compute-optimal model meets {budget_text(bkey, budget)} (sizes from "
            "1e-20 to 1e40 "
            "parameters were searched); check the budget's magnitude"
        ) from None
    _, sc, _ = at_size(n)
    from ..model.estimation import estimate

    est = estimate(**dict(inputs, active_params=n, tokens=TOKENS_PER_PARAM * n))
    co = {
        "active_params": n,
        "tokens": TOKENS_PER_PARAM * n,
        "model_flop": 6.0 * n * TOKENS_PER_PARAM * n,
        "tokens_per_param": TOKENS_PER_PARAM,
    }
    return Solution(
        unknown=None,
        value=None,
        method="compute-optimal (Hoffmann et al. 2022: 20 tokens per parameter), "
        "scipy.optimize.brentq",
        budget={bkey: budget},
        estimate=est.to_dict(),
        compute_optimal=co,
        assumptions=list(sc.assumptions),
    )
