"""Inputs of a scenario: their names, types, units and allowed ranges.

:data:`DOMAINS` lists the numeric inputs of the glossary with their allowed ranges;
:func:`check_array` validates one. The type aliases are those of the public entry points'
signatures (:func:`costmodel.estimate` and the analyses).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias

import numpy as np

from ..errors import InputError
from ..formulas.distbase import Dist
from ..formulas.units import format_si

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = [
    "Domain",
    "DOMAINS",
    "RECOMPUTE",
    "MFU_BASES",
    "check_array",
    "all_finite",
    "Quantity",
    "Names",
    "Rng",
]

RECOMPUTE = ("none", "selective", "full")
#: The peak a given ``mfu`` is a fraction of (``mfu_basis``): ``16bit`` the accelerator's
#: dense BF16 peak (FP16 without BF16), as published MFU figures are (DeepSeek-V3's 38.94%
#: divides by the H800's 989 TFLOP/s BF16 peak: arXiv 2505.09343, Table 4), or the run
#: precision's own peak where that is lower (TF32, FP32); ``fp8`` the dense FP8 peak;
#: ``blended`` the run precision's own peak (for ``mixed`` the blended FP8/BF16 peak).
MFU_BASES = ("16bit", "fp8", "blended")

#: A numeric input: a number, an array of numbers (a grid, broadcast) or a distribution.
Quantity: TypeAlias = "float | ArrayLike | Dist | None"
#: A name input (``gpu``, ``precision``): one name or an array of names.
Names: TypeAlias = "str | Sequence[str] | np.ndarray | None"
#: A random source: a generator, a seed, or None for fresh entropy.
Rng: TypeAlias = "np.random.Generator | int | None"


class Domain(NamedTuple):
    """Allowed range of a numeric input (a named tuple: a frozen dataclass costs a
    millisecond of start-up to create)."""

    low: float
    high: float = math.inf
    low_inclusive: bool = False
    high_inclusive: bool = True
    unit: str = ""
    integer: bool = False

    def text(self) -> str:
        lb = "[" if self.low_inclusive else "("
        rb = "]" if self.high_inclusive and self.high != math.inf else ")"
        hi = "inf" if self.high == math.inf else format_si(self.high)
        return f"{lb}{format_si(self.low)}, {hi}{rb}"

    def contains(self, x: np.ndarray) -> np.ndarray:
        lo_ok = x >= self.low if self.low_inclusive else x > self.low
        hi_ok = x <= self.high if self.high_inclusive else x < self.high
        return np.isfinite(x) & lo_ok & hi_ok


#: Numeric inputs of the glossary and their domains.
DOMAINS: dict[str, Domain] = {
    "params": Domain(0, unit="count"),
    "active_params": Domain(0, unit="count"),
    "tokens": Domain(0, unit="count"),
    "fp8_fraction": Domain(0, 1, low_inclusive=True, unit="1"),
    "mfu": Domain(0, 1, unit="1"),
    "goodput": Domain(0, 1, unit="1"),
    "n_gpus": Domain(0, unit="count", integer=True),
    "price_usd_per_gpu_hour": Domain(0, unit="USD/h"),
    "pue": Domain(1, 10, low_inclusive=True, unit="1"),
    "usd_per_kwh": Domain(0, low_inclusive=True, unit="USD/kWh"),
    "grid_kg_co2e_per_kwh": Domain(0, 10, low_inclusive=True, unit="kg/kWh"),
    "server_usd_per_gpu": Domain(0, unit="USD"),
    "depreciation_oom_per_year": Domain(0, 2, unit="1/year"),
}


def check_array(name: str, value: Any) -> np.ndarray:
    """Convert to a float array and check the domain; raise one clear error otherwise."""
    from .validate import real_array

    arr = real_array(name, value)
    dom = DOMAINS[name]
    if arr.size > 1 and not dom.integer and np.all(dom.contains(np.array([arr.min(), arr.max()]))):
        return arr  # every value lies between two allowed ones (a NaN would be the min)
    ok = dom.contains(arr)
    if dom.integer and np.all(ok) and np.any(arr != np.floor(arr)):
        frac = float(np.ravel(arr[arr != np.floor(arr)])[0])
        # the exact value (repr), so 1024.0000000000002 is not shown as "1024"
        raise InputError(f"{name}: {frac!r} must be a whole number")
    if not np.all(ok):
        bad = arr[~ok] if arr.ndim else arr
        first = float(np.ravel(bad)[0])
        count = int(np.size(bad))
        where = f" ({count} of {arr.size} values)" if arr.ndim and arr.size > 1 else ""
        shown = repr(first) if not math.isfinite(first) else format_si(first, 6)
        raise InputError(
            f"{name}: {shown}{where} is outside the allowed range {dom.text()}"
            + (" (a fraction, not a percent)" if dom.high == 1 and first > 1 else "")
        )
    return arr


def all_finite(x: Any) -> bool:
    """Whether every value of ``x`` is finite; two reductions for an array (NaN and ±inf
    show in its min or max), no temporary of its size."""
    a = np.asarray(x)
    if a.size > 1 and a.dtype.kind == "f":
        return bool(np.isfinite(a.min()) and np.isfinite(a.max()))
    return bool(np.all(np.isfinite(a)))
