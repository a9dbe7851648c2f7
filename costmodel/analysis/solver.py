"""``costmodel.solve``: given a budget and all inputs but one, find the one.

The model is a power law in most unknowns (cost ∝ tokens, ∝ price, ∝ 1/mfu; days ∝
1/n_gpus), which gives a closed form; where the utilization prior makes it nonlinear
(``active_params`` without ``mfu``, and compute-optimal sizing) ``scipy.optimize.brentq``
finds the root in log space.

References
----------
.. [1] Hoffmann et al., "Training Compute-Optimal Large Language Models", arXiv 2203.15556:
       compute-optimal training uses about 20 tokens per parameter (Table 3; approaches 1
       and 2 give a ≈ b ≈ 0.5), so ``C = 6·N·D = 120·N²``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..errors import CostModelError, InputError, MissingInputError
from ..formulas.dist import Dist
from ..model.inputs import Names, Quantity, Rng
from ..model.scenario import Scenario, given_inputs

if TYPE_CHECKING:
    from ..formulas.architecture import Architecture

__all__ = ["UNKNOWNS", "Solution", "solve", "TOKENS_PER_PARAM"]

SCHEMA = "costmodel.solve/1"
UNKNOWNS = ("tokens", "active_params", "mfu", "price_usd_per_gpu_hour", "n_gpus")
#: Hoffmann et al. 2022: compute-optimal tokens per parameter.
TOKENS_PER_PARAM = 20.0
_METRIC = {
    "budget_usd": "cost_usd",
    "budget_gpu_hours": "gpu_hours",
    "budget_days": "wall_clock_days",
}
# exponent k of metric ∝ unknown^k where the model is a power law in it
_POWER = {
    ("tokens", "cost_usd"): 1,
    ("tokens", "gpu_hours"): 1,
    ("tokens", "wall_clock_days"): 1,
    ("mfu", "cost_usd"): -1,
    ("mfu", "gpu_hours"): -1,
    ("mfu", "wall_clock_days"): -1,
    ("price_usd_per_gpu_hour", "cost_usd"): 1,
    ("n_gpus", "wall_clock_days"): -1,
    ("active_params", "cost_usd"): 1,
    ("active_params", "gpu_hours"): 1,
    ("active_params", "wall_clock_days"): 1,
}


@dataclass
class Solution:
    """Result of :func:`solve`."""

    unknown: str | None
    value: float | None
    method: str
    budget: dict[str, float]
    estimate: dict[str, Any]
    quantiles: dict[str, float] | None = None
    probability_budget_suffices: float | None = None
    compute_optimal: dict[str, float] | None = None
    assumptions: list[str] = field(default_factory=list)
    #: tokens the budget pays for at the inputs' medians (probability mode)
    tokens_budget_buys: float | None = None

    def to_dict(self) -> dict[str, Any]:
        from ..model.estimation import to_jsonable

        return to_jsonable(
            {
                "schema": SCHEMA,
                "unknown": self.unknown,
                "value": self.value,
                "method": self.method,
                "budget": self.budget,
                "quantiles": self.quantiles or {},
                "probability_budget_suffices": self.probability_budget_suffices,
                "compute_optimal": self.compute_optimal,
                "tokens_budget_buys": self.tokens_budget_buys,
                "estimate": self.estimate,
                "assumptions": self.assumptions,
            }
        )

    def table(self) -> str:
        """Key–value text that fits the terminal (100 columns when not a TTY)."""
        from ..render.solve_report import solve_table

        return solve_table(self.to_dict())


def _metric(sc_kwargs: dict[str, Any], metric: str) -> tuple[float, Scenario, dict]:
    sc = Scenario(**sc_kwargs)
    res = sc.evaluate(sc.point_values())
    val = res.get(metric)
    if val is None:
        need = {"cost_usd": "price_usd_per_gpu_hour", "wall_clock_days": "n_gpus"}.get(
            metric, "gpu and mfu (or the prior)"
        )
        raise MissingInputError(f"budget: computing {metric} needs {need}")
    return float(np.asarray(val)), sc, res


def _log_ratio(value: float, budget: float) -> float:
    """``log(value / budget)`` without the quotient: 6e-25 / 1e300 underflows to 0."""
    if not (0 < value < math.inf):
        raise InputError(f"budget: the search reached a value of {value:g}")
    return math.log(value) - math.log(budget)


def _brentq(fn, x0: float) -> float:
    """Root of fn(log x) near x0, bracketing outward by factors of 10."""
    from scipy.optimize import brentq

    lo, hi = math.log(x0) - 1.0, math.log(x0) + 1.0
    for _ in range(30):
        if fn(lo) * fn(hi) <= 0:
            return math.exp(brentq(fn, lo, hi, xtol=1e-12, rtol=1e-12))
        lo, hi = lo - 2.3, hi + 2.3
    raise InputError("solve: no solution found: the budget cannot be met by any value")


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
        parameter, Hoffmann et al. 2022) that spend the budget.
    params, active_params, tokens, gpu, precision, mfu, goodput, n_gpus, \
price_usd_per_gpu_hour, fp8_fraction, pue, usd_per_kwh, grid_kg_co2e_per_kwh, ownership, \
server_usd_per_gpu, depreciation_oom_per_year, run, architecture, flop_convention, \
recompute, mtp, seq_len
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
    validate.rng(rng)
    if unknown is not None:
        validate.choice("unknown", unknown, UNKNOWNS)
    validate.single_values("solve", inputs, (*DOMAINS, "gpu", "precision"))
    if not (math.isfinite(budget) and budget > 0):
        raise InputError(f"{bkey}: {budget!r} must be a positive finite number")
    metric = _METRIC[bkey]
    if compute_optimal:
        return _compute_optimal(bkey, budget, metric, inputs)
    if unknown is None:
        return _probability(bkey, budget, metric, samples, rng, inputs, qmc)
    unknown = unknown.replace("-", "_")
    if unknown not in UNKNOWNS:
        raise InputError(f"unknown: {unknown!r} is not one of {', '.join(UNKNOWNS)}")
    if inputs.get(unknown) is not None:
        raise InputError(f"{unknown}: given, but it is the unknown; leave it out")
    if (unknown, metric) not in _POWER:
        raise InputError(f"unknown: {unknown} does not change {metric}; use another budget")
    # a trial value: the solution scales from it
    trial = {
        "tokens": 1e12,
        "active_params": 1e10,
        "mfu": 0.5,
        "price_usd_per_gpu_hour": 1.0,
        "n_gpus": 1000.0,
    }[unknown]
    k = _POWER[(unknown, metric)]
    kw = dict(inputs, **{unknown: trial})
    m0, sc, _ = _metric(kw, metric)
    nonlinear = unknown == "active_params" and (
        sc.mfu_prior is not None or sc.flop_convention != "6nd"
    )
    if unknown == "active_params" and sc.flop_convention != "6nd":
        raise InputError("unknown: active_params can be solved only under the 6nd convention")
    if nonlinear:

        def g(logx):
            return _log_ratio(_metric(dict(inputs, **{unknown: math.exp(logx)}), metric)[0], budget)

        value, method = (
            _brentq(g, trial * (budget / m0)),
            "scipy.optimize.brentq (the utilization prior depends on model size)",
        )
    else:
        value = trial * (budget / m0) ** (1.0 / k)
        method = f"closed form ({metric} ∝ {unknown}^{k})"
    if unknown == "mfu":
        limit, why = _mfu_limit(sc)
        if value > limit:
            raise InputError(
                _impossible_mfu(bkey, budget, metric, value, limit, why, m0, trial, inputs)
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
        sol.quantiles = _solution_quantiles(kw, metric, budget, trial, k, samples, rng, qmc)
        if sol.quantiles:
            sol.assumptions.append(
                f"{unknown} quantiles over {samples:,} samples of the uncertain inputs"
            )
    return sol


def _mfu_limit(sc: Scenario) -> tuple[float, str]:
    """The highest MFU a run can have: the accelerators' best measured dense matmul
    throughput at 16-bit precision when the catalog has it, else 100%."""
    prec = np.atleast_1d(np.asarray(sc.precision, dtype=object)).tolist()
    ceilings = [a.matmul_ceiling_fraction for a in getattr(sc, "accelerators", {}).values()]
    if ceilings and all(ceilings) and set(prec) <= {"bf16", "fp16"}:
        gpus = ", ".join(sorted(sc.accelerators))
        return float(min(ceilings)), f"{gpus}'s best measured dense matmul throughput"
    return 1.0, "the dense peak"


def _impossible_mfu(bkey, budget, metric, value, limit, why, m0, trial, inputs) -> str:
    """What an out-of-reach budget needs, and what it does buy."""
    from ..render.report import fmt_value
    from ..render.solve_report import budget_text

    key = next(k for k, v in _METRIC.items() if v == metric)
    b = budget_text(bkey, budget)
    parts = [
        f"solve: budget {b} would need MFU {fmt_value(value, 'pct')}, above the "
        f"{fmt_value(limit, 'pct')} possible ({why}): impossible"
    ]
    tokens = inputs.get("tokens")
    try:  # at the utilization prior's median (metric ∝ tokens)
        m_prior, sc, res = _metric({k: v for k, v in inputs.items() if k != "mfu"}, metric)
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


def _solution_quantiles(kw, metric, budget, trial, k, samples, rng, qmc=False):
    from ..model.uncertainty import simulate, summarize

    sc = Scenario(**kw)
    if not sc.uncertain() and sc.mfu_prior is None:
        return None
    s = simulate(sc, samples, rng, qmc=qmc, keep=(metric,))
    x = trial * (budget / s.outputs[metric]) ** (1.0 / k)
    return summarize(x)


def _probability(bkey, budget, metric, samples, rng, inputs, qmc=False) -> Solution:
    from ..model.estimation import estimate_scenario
    from ..model.uncertainty import simulate

    sc = Scenario(**inputs)
    est = estimate_scenario(sc)
    point = est.to_dict()[metric]
    if point is None:
        _metric(inputs, metric)  # raises the missing-input error
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


def _compute_optimal(bkey, budget, metric, inputs) -> Solution:
    for k in ("active_params", "tokens", "params"):
        if inputs.get(k) is not None:
            raise InputError(f"{k}: compute-optimal sizing chooses it; leave it out")
    if any(isinstance(v, Dist) for v in inputs.values()):
        raise InputError(
            "compute_optimal: use point values (the medians are not used implicitly here)"
        )

    def metric_at(n):
        return _metric(dict(inputs, active_params=n, tokens=TOKENS_PER_PARAM * n), metric)

    def g(logn):
        return _log_ratio(metric_at(math.exp(logn))[0], budget)

    from ..render.solve_report import budget_text

    try:
        n = _brentq(g, 1e10)
    except InputError:
        raise InputError(
            f"{bkey}: no compute-optimal model meets {budget_text(bkey, budget)} (sizes from "
            "1e-20 to 1e40 "
            "parameters were searched); check the budget's magnitude"
        ) from None
    _, sc, _ = metric_at(n)
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
