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
    InputError,
    MissingInputError,
    PresetError,
    UnknownPresetError,
    UnsupportedPrecisionError,
)

_LAZY = {
    "estimate": ("costmodel.estimation", "estimate"),
    "Estimate": ("costmodel.estimation", "Estimate"),
    "Scenario": ("costmodel.scenario", "Scenario"),
    "Architecture": ("costmodel.architecture", "Architecture"),
    "simulate": ("costmodel.uncertainty", "simulate"),
    "Samples": ("costmodel.uncertainty", "Samples"),
    "catalog": ("costmodel.store", "catalog"),
    "sensitivity": ("costmodel.sensitivities", "sensitivity"),
    "sweep": ("costmodel.sweeping", "sweep"),
    "solve": ("costmodel.solver", "solve"),
    "check": ("costmodel.claims", "check"),
    "ClaimCheck": ("costmodel.claims", "ClaimCheck"),
    "backtest": ("costmodel.backtesting", "backtest"),
    "Backtest": ("costmodel.backtesting", "Backtest"),
    "export_control": ("costmodel.export_control", None),
    "flops": ("costmodel.flops", None),
    "cost": ("costmodel.cost", None),
    "dist": ("costmodel.dist", None),
    "units": ("costmodel.units", None),
}

__all__ = [
    "__version__",
    "CostModelError",
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
