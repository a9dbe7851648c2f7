"""``costmodel.solve``: given a budget and all inputs but one, find the one.

The model is a power law in most unknowns (cost ∝ tokens, ∝ price, ∝ 1/mfu; days ∝
1/n_gpus), which gives a closed form; where the utilization prior makes it nonlinear
(``active_params`` without ``mfu``, and compute-optimal sizing) ``scipy.optimize.brentq``
finds the root in log space. The result type and the evaluations are in
:mod:`~costmodel.analysis.solution`; the probability, compute-optimal and impossible-budget
answers in :mod:`~costmodel.analysis.solve_modes`.

References
----------
.. [1] Hoffmann et al., "Training Compute-Optimal Large Language Models", arXiv 2203.15556:
       compute-optimal training uses about 20 tokens per parameter (Table 3; approaches 1
       and 2 give a ≈ b ≈ 0.5), so ``C = 6·N·D = 120·N²``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

from ..errors import InputError, MissingInputError
from ..model.inputs import Names, Quantity, Rng
from ..model.scenario import given_inputs
from . import solve_modes
from .solution import (
    METRIC,
    POWER,
    SCHEMA,
    TOKENS_PER_PARAM,
    UNKNOWNS,
    Solution,
    evaluate_metric,
    log_ratio,
    root_in_log,
)

if TYPE_CHECKING:
    from ..formulas.architecture import Architecture

__all__ = ["UNKNOWNS", "Solution", "solve", "TOKENS_PER_PARAM", "SCHEMA"]


def solve(
    *,
    unknown: str | None = None,
    budget_usd: float | None = None,
    budget_gpu_hours: float | None = None,
    budget_days: float | None = None,
    compute_optimal: bool = False,
    params: Quantity = None,
    active_params: Quantity = None,
    tokens: Quantity = None,
    gpu: Names = None,
    precision: Names = None,
    mfu: Quantity = None,
    goodput: Quantity = None,
    n_gpus: Quantity = None,
    price_usd_per_gpu_hour: Quantity | Literal["market"] = None,
    fp8_fraction: Quantity = None,
    pue: Quantity = None,
    usd_per_kwh: Quantity = None,
    grid_kg_co2e_per_kwh: Quantity = None,
    ownership: bool = False,
    server_usd_per_gpu: Quantity = None,
    depreciation_oom_per_year: Quantity = None,
    run: str | None = None,
    architecture: Architecture | dict[str, Any] | None = None,
    flop_convention: str = "6nd",
    recompute: str = "none",
    mtp: bool = False,
    seq_len: int | None = None,
    mfu_basis: str = "16bit",
    samples: int = 20_000,
    rng: Rng = None,
    qmc: bool = False,
) -> Solution:
    """Solve for one input from a budget, or the probability that a budget suffices.

    Parameters
    ----------
    unknown : {"tokens", "active_params", "mfu", "price_usd_per_gpu_hour", "n_gpus"}, optional
        The input to solve for. Without it (and without ``compute_optimal``) the result is
        the probability that the budget suffices (with ``samples``).
    budget_usd, budget_gpu_hours, budget_days : float
        Exactly one budget [USD; GPU-hours; days, with ``n_gpus``].
    compute_optimal : bool
        Return the compute-optimal ``active_params`` and ``tokens`` (20 tokens per
        parameter, Hoffmann et al. 2022) that spend the budget, at the inputs' medians;
        with ``samples`` and uncertain inputs, also their quantiles
        (``compute_optimal["quantiles"]``).
    params, active_params, tokens, gpu, precision, mfu, goodput, n_gpus, \
price_usd_per_gpu_hour, fp8_fraction, pue, usd_per_kwh, grid_kg_co2e_per_kwh, ownership, \
server_usd_per_gpu, depreciation_oom_per_year, run, architecture, flop_convention, \
recompute, mtp, seq_len, mfu_basis
        Scenario inputs, as for :func:`costmodel.estimate` (same units and defaults).
    samples : int, default 20000
        Monte Carlo samples when inputs are distributions (or ``mfu`` comes from the
        prior): quantiles of the solution, or the probability that the budget suffices.
        0 gives the point answer only.
    rng : Generator, int or None
    qmc : bool, default False
        Scrambled Sobol points instead of plain Monte Carlo for ``samples``.

    Returns
    -------
    Solution

    Examples
    --------
    >>> s = solve(budget_usd=6e6, unknown="mfu", active_params=37e9, tokens=14.8e12,
    ...           gpu="h800-sxm", precision="bf16", price_usd_per_gpu_hour=2)
    >>> round(s.value, 4)
    0.3075
    """
    inputs = given_inputs(locals())
    budgets = {
        k: v
        for k, v in (
            ("budget_usd", budget_usd),
            ("budget_gpu_hours", budget_gpu_hours),
            ("budget_days", budget_days),
        )
        if v is not None
    }
    if len(budgets) != 1:
        raise MissingInputError(
            "budget: give exactly one of budget_usd, budget_gpu_hours, budget_days"
        )
    ((bkey, budget),) = budgets.items()
    from ..model import validate
    from ..model.scenario import DOMAINS
    from ..model.uncertainty import check_samples

    arr = validate.real_array(bkey, budget)
    if arr.ndim:
        raise InputError(f"{bkey}: expected one number, got an array of shape {arr.shape}")
    budget = float(arr)
    compute_optimal = validate.flag("compute_optimal", compute_optimal)
    qmc = validate.flag("qmc", qmc)
    samples = check_samples(samples)
    validate.check_rng(rng)
    if unknown is not None:
        validate.choice("unknown", unknown, UNKNOWNS)
    validate.single_values("solve", inputs, (*DOMAINS, "gpu", "precision"))
    validate.warn_unit_slips(inputs)  # a likely unit slip: warned, not refused
    if not (math.isfinite(budget) and budget > 0):
        raise InputError(f"{bkey}: {budget!r} must be a positive finite number")
    metric = METRIC[bkey]
    if compute_optimal:
        return solve_modes.compute_optimal(bkey, budget, metric, inputs, samples, rng, qmc)
    if unknown is None:
        return solve_modes.probability(bkey, budget, metric, samples, rng, inputs, qmc)
    unknown = unknown.replace("-", "_")
    if unknown not in UNKNOWNS:
        raise InputError(f"unknown: {unknown!r} is not one of {', '.join(UNKNOWNS)}")
    if inputs.get(unknown) is not None:
        raise InputError(f"{unknown}: given, but it is the unknown; leave it out")
    if (unknown, metric) not in POWER:
        raise InputError(f"unknown: {unknown} does not change {metric}; use another budget")
    # a trial value: the solution scales from it
    trial = {
        "tokens": 1e12,
        "active_params": 1e10,
        "mfu": 0.5,
        "price_usd_per_gpu_hour": 1.0,
        "n_gpus": 1000.0,
    }[unknown]
    k = POWER[(unknown, metric)]
    kw = dict(inputs, **{unknown: trial})
    m0, sc, _ = evaluate_metric(kw, metric)
    nonlinear = unknown == "active_params" and (
        sc.mfu_prior is not None or sc.flop_convention != "6nd"
    )
    if unknown == "active_params" and sc.flop_convention != "6nd":
        raise InputError("unknown: active_params can be solved only under the 6nd convention")
    if nonlinear:

        def g(logx: float) -> float:
            return log_ratio(
                evaluate_metric(dict(inputs, **{unknown: math.exp(logx)}), metric)[0], budget
            )

        value, method = (
            root_in_log(g, trial * (budget / m0)),
            "scipy.optimize.brentq (the utilization prior depends on model size)",
        )
    else:
        value = trial * (budget / m0) ** (1.0 / k)
        method = f"closed form ({metric} ∝ {unknown}^{k})"
    if unknown == "mfu":
        limit, why = solve_modes.mfu_limit(sc)
        if value > limit:
            raise InputError(
                solve_modes.impossible_mfu(
                    bkey, budget, metric, value, limit, why, m0, trial, inputs
                )
            )
    if unknown == "n_gpus":
        exact = value
        value = float(math.ceil(value - 1e-9))
    final = dict(inputs, **{unknown: value})
    from ..model.estimation import estimate

    est = estimate(**final)
    assumptions = list(est.assumptions)  # of the solution, not of the trial value
    if unknown == "n_gpus" and value != exact:
        assumptions.append(f"n_gpus rounded up from {exact:,.2f} to a whole number")
    sol = Solution(
        unknown=unknown,
        value=value,
        method=method,
        budget={bkey: budget},
        estimate=est.to_dict(),
        assumptions=assumptions,
    )
    if samples and nonlinear:
        sol.assumptions.append(
            "samples ignored: quantiles of the solution need a closed form, and the "
            "utilization prior makes cost nonlinear in active_params"
        )
    elif samples:
        sol.quantiles = solve_modes.solution_quantiles(
            kw, metric, budget, trial, k, samples, rng, qmc, whole=unknown == "n_gpus"
        )
        if sol.quantiles:
            sol.assumptions.append(
                f"{unknown} quantiles over {samples:,} samples of the uncertain inputs"
            )
    return sol
