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
    whole: bool = False,
) -> dict[str, float] | None:
    """Quantiles of the unknown over samples of the uncertain inputs (metric ∝ unknown^k),
    or None when nothing is uncertain; ``whole``: each sample rounded up to a whole number
    (``n_gpus``), as the point answer is."""
    from ..model.uncertainty import simulate, summarize, uncertain_names

    sc = _metric_scenario(kw, metric)
    if not sc.uncertain() and sc.mfu_prior is None:
        return None
    # one uncertain input: its stratified quantiles, so p50 is the point answer's median
    # to the printed digit (as in estimate), the same for every seed
    one = not qmc and len(uncertain_names(sc)) == 1
    s = simulate(sc, samples, rng, qmc=qmc, keep=(metric,), stratified=one)
    x = trial * (budget / s.outputs[metric]) ** (1.0 / k)
    if not whole:
        return summarize(x)
    # a whole number of GPUs, rounded up as the point answer is (percentiles too: they
    # interpolate between samples)
    q = summarize(np.ceil(x - 1e-9))
    return {k: math.ceil(v - 1e-9) if k.startswith("p") else v for k, v in q.items()}


def _metric_scenario(kw: Mapping[str, Any], metric: str) -> Scenario:
    """The scenario whose samples decide ``metric``: a price moves only the cost, so for a
    GPU-hour or days budget it is left out (an uncertain market price would otherwise make
    two uncertain inputs of one, and the quantiles noisier)."""
    if metric == "cost_usd":
        return Scenario(**kw)
    return Scenario(
        **{k: v for k, v in kw.items() if k != "price_usd_per_gpu_hour"}, default_price=False
    )


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


def compute_optimal(
    bkey: str,
    budget: float,
    metric: str,
    inputs: Mapping[str, Any],
    samples: int = 0,
    rng: Rng = None,
    qmc: bool = False,
) -> Solution:
    """The compute-optimal model (20 tokens per parameter) that spends the budget.

    The point answer is at the inputs' medians. With ``samples`` and uncertain inputs (a
    distribution, the utilization prior, a market price) the size is solved per sample:
    the metric is ∝ N² at 20 tokens per parameter (C = 120·N²), so a sample whose metric
    at the point size N* is m_i spends the budget at N_i = N*·(budget/m_i)^½; quantiles of
    N_i, of 20·N_i tokens and of 120·N_i² model FLOP are reported.
    """
    for k in ("active_params", "tokens", "params"):
        if inputs.get(k) is not None:
            raise InputError(f"{k}: compute-optimal sizing chooses it; leave it out")

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
    co: dict[str, Any] = {
        "active_params": n,
        "tokens": TOKENS_PER_PARAM * n,
        "model_flop": 6.0 * n * TOKENS_PER_PARAM * n,
        "tokens_per_param": TOKENS_PER_PARAM,
    }
    notes = list(sc.assumptions)
    if samples and (sc.uncertain() or sc.mfu_prior is not None):
        co["quantiles"] = _optimal_quantiles(
            dict(inputs, active_params=n, tokens=TOKENS_PER_PARAM * n),
            metric,
            budget,
            n,
            samples,
            rng,
            qmc,
        )
        notes.append(
            f"compute-optimal size quantiles over {samples:,} samples of the uncertain inputs "
            f"(metric ∝ N² at {TOKENS_PER_PARAM:g} tokens per parameter)"
            + (
                "; the utilization prior is drawn at the point answer's size (its median "
                "changes slowly with size)"
                if sc.mfu_prior is not None
                else ""
            )
        )
    return Solution(
        unknown=None,
        value=None,
        method="compute-optimal (Hoffmann et al. 2022: 20 tokens per parameter), "
        "scipy.optimize.brentq",
        budget={bkey: budget},
        estimate=est.to_dict(),
        compute_optimal=co,
        assumptions=notes,
    )


def _optimal_quantiles(
    kw: Mapping[str, Any], metric: str, budget: float, n: float, samples: int, rng: Rng, qmc: bool
) -> dict[str, dict[str, float]]:
    """Quantiles of the compute-optimal size, tokens and FLOP over the uncertain inputs."""
    from ..model.uncertainty import simulate, summarize, uncertain_names

    sc = _metric_scenario(kw, metric)
    one = not qmc and len(uncertain_names(sc)) == 1
    s = simulate(sc, samples, rng, qmc=qmc, keep=(metric,), stratified=one)
    size = n * np.sqrt(budget / np.asarray(s.outputs[metric], dtype=float))
    return {
        "active_params": summarize(size),
        "tokens": summarize(TOKENS_PER_PARAM * size),
        "model_flop": summarize(6.0 * TOKENS_PER_PARAM * size**2),
    }
