"""The result of :func:`costmodel.solve` and the evaluations a solution is found with.

Where the model is a power law in the unknown (cost ∝ tokens, ∝ price, ∝ 1/mfu; days ∝
1/n_gpus) the exponents are in :data:`POWER`; elsewhere :func:`root_in_log` finds the root
with ``scipy.optimize.brentq`` in log space.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError, MissingInputError
from ..model.scenario import Scenario

__all__ = [
    "SCHEMA",
    "UNKNOWNS",
    "TOKENS_PER_PARAM",
    "METRIC",
    "POWER",
    "Solution",
    "evaluate_metric",
    "log_ratio",
    "root_in_log",
]

SCHEMA = "costmodel.solve/1"
UNKNOWNS = ("tokens", "active_params", "mfu", "price_usd_per_gpu_hour", "n_gpus")
#: Hoffmann et al. 2022: compute-optimal tokens per parameter.
TOKENS_PER_PARAM = 20.0
#: The output each budget limits.
METRIC = {
    "budget_usd": "cost_usd",
    "budget_gpu_hours": "gpu_hours",
    "budget_days": "wall_clock_days",
}
# exponent k of metric ∝ unknown^k where the model is a power law in it
POWER = {
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


def evaluate_metric(
    sc_kwargs: Mapping[str, Any], metric: str
) -> tuple[float, Scenario, dict[str, Any]]:
    """``metric`` of the scenario ``sc_kwargs`` at its inputs' medians, the scenario and
    all its outputs; raises :class:`MissingInputError` naming what the metric needs."""
    sc = Scenario(**sc_kwargs)
    res = sc.evaluate(sc.point_values())
    val = res.get(metric)
    if val is None:
        need = {"cost_usd": "price_usd_per_gpu_hour", "wall_clock_days": "n_gpus"}.get(
            metric, "gpu and mfu (or the prior)"
        )
        raise MissingInputError(f"budget: computing {metric} needs {need}")
    return float(np.asarray(val)), sc, res


def log_ratio(value: float, budget: float) -> float:
    """``log(value / budget)`` without the quotient: 6e-25 / 1e300 underflows to 0."""
    if not (0 < value < math.inf):
        raise InputError(f"budget: the search reached a value of {value:g}")
    return math.log(value) - math.log(budget)


def root_in_log(fn: Callable[[float], float], x0: float) -> float:
    """Root of fn(log x) near x0, bracketing outward by factors of 10."""
    from scipy.optimize import brentq

    lo, hi = math.log(x0) - 1.0, math.log(x0) + 1.0
    for _ in range(30):
        if fn(lo) * fn(hi) <= 0:
            return math.exp(brentq(fn, lo, hi, xtol=1e-12, rtol=1e-12))
        lo, hi = lo - 2.3, hi + 2.3
    raise InputError("solve: no solution found: the budget cannot be met by any value")
