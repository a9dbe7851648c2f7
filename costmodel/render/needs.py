"""Which inputs an estimate still needs: a reading of ``Estimate.to_dict()``.

:func:`missing_inputs` names, once each, every input the uncomputed outputs need (issue 9,
item 12). Names are spelled by :func:`costmodel.errors.arg`: Python parameters in the
library, flags on the CLI.
"""

from __future__ import annotations

from typing import Any

from ..errors import arg

__all__ = ["CHAIN", "missing_inputs", "spell"]

#: Outputs that depend on inputs, in the order they build on each other.
CHAIN = ("model_flop", "gpu_hours", "wall_clock_days", "cost_usd", "energy_kwh", "co2e_kg")
#: Inputs that stand in for one another.
_ALTERNATIVES = {"active_params": ("params", "run")}


def spell(name: str) -> str:
    """``active_params (or params, or run)`` / ``--active-params (or --params, or --run)``."""
    alt = _ALTERNATIVES.get(name, ())
    return (
        arg(name)
        + "".join(f" (or {arg(a)}" for a in alt[:1])
        + "".join(f", or {arg(a)}" for a in alt[1:])
        + (")" if alt else "")
    )


def missing_inputs(d: dict[str, Any]) -> dict[str, list[str]]:
    """Inputs to give, each with the outputs it would unlock (an ``Estimate.to_dict()``).

    Only inputs without a default are named: a price or a PUE is not, since both default
    once the accelerator is known (the market price, Epoch AI's PUE); a price is named
    only for an accelerator without a market price. Energy that is missing for want of a
    published TDP is not an input's fault and is not listed.

    Examples
    --------
    >>> d = {"inputs": {"tokens": 1e12}, "model_flop": None, "gpu_hours": None}
    >>> sorted(missing_inputs(d))
    ['active_params', 'gpu', 'grid_kg_co2e_per_kwh', 'n_gpus']
    """
    inp = d.get("inputs") or {}
    need: dict[str, list[str]] = {}

    def add(name: str, outputs: tuple[str, ...]) -> None:
        for o in outputs:
            if d.get(o) is None and o not in need.setdefault(name, []):
                need[name].append(o)
        if not need[name]:
            del need[name]

    if d.get("model_flop") is None:
        if inp.get("tokens") is None:
            add("tokens", CHAIN)
        if inp.get("active_params") is None:
            add("active_params", CHAIN)
    if inp.get("gpu") is None:
        add("gpu", CHAIN[1:])
    elif d.get("model_flop") is not None and d.get("gpu_hours") is None:
        add("mfu", CHAIN[1:])
    if inp.get("n_gpus") is None:
        add("n_gpus", ("wall_clock_days",))
    if inp.get("gpu") is not None and inp.get("price_usd_per_gpu_hour") is None:
        add("price_usd_per_gpu_hour", ("cost_usd",))  # no market price for this accelerator
    if inp.get("grid_kg_co2e_per_kwh") is None:
        add("grid_kg_co2e_per_kwh", ("co2e_kg",))
    return need
