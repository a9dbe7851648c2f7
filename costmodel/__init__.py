"""costmodel: what it costs to train an AI model, with honest uncertainty.

Public API (names stay stable)::

    costmodel.estimate(...)        -> Estimate
    costmodel.simulate(scenario, n, rng) -> Samples
    costmodel.sensitivity(...), costmodel.sweep(...), costmodel.solve(...)
    costmodel.check(claim_or_id)   -> ClaimCheck
    costmodel.backtest()           -> Backtest
    costmodel.catalog()            -> accelerators, runs, claims, prices, priors, rules
    costmodel.flops, costmodel.cost, costmodel.dist  (formula and distribution modules)

Submodules load on first use, so ``import costmodel`` stays cheap.
"""

from importlib import import_module

from ._version import __version__
from .errors import (
    CostModelError,
    CostModelWarning,
    InputError,
    MissingInputError,
    PresetError,
    UnknownPresetError,
    UnsupportedPrecisionError,
)

_LAZY = {
    "estimate": ("costmodel.perf.api", "estimate"),
    "Estimate": ("costmodel.model.estimate_result", "Estimate"),
    "Scenario": ("costmodel.model.scenario", "Scenario"),
    "Architecture": ("costmodel.formulas.architecture", "Architecture"),
    "simulate": ("costmodel.model.uncertainty", "simulate"),
    "Samples": ("costmodel.model.uncertainty", "Samples"),
    "catalog": ("costmodel.data.store", "catalog"),
    "sensitivity": ("costmodel.analysis.sensitivities", "sensitivity"),
    "sweep": ("costmodel.analysis.sweeping", "sweep"),
    "solve": ("costmodel.analysis.solver", "solve"),
    "check": ("costmodel.claims.check", "check"),
    "ClaimCheck": ("costmodel.claims.check", "ClaimCheck"),
    "backtest": ("costmodel.analysis.backtesting", "backtest"),
    "Backtest": ("costmodel.analysis.backtesting", "Backtest"),
    "export_control": ("costmodel.claims.export_control", None),
    "flops": ("costmodel.formulas.flops", None),
    "cost": ("costmodel.formulas.cost", None),
    "dist": ("costmodel.formulas.dist", None),
    "units": ("costmodel.formulas.units", None),
}

__all__ = [
    "__version__",
    "CostModelError",
    "CostModelWarning",
    "InputError",
    "MissingInputError",
    "PresetError",
    "UnknownPresetError",
    "UnsupportedPrecisionError",
    *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        module, attr = _LAZY[name]
        mod = import_module(module)
        value = mod if attr is None else getattr(mod, attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'costmodel' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
