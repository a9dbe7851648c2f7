"""Type checks at the public API's boundary: a wrong-typed argument is a one-line
:class:`~costmodel.errors.InputError` naming the parameter, never a numpy, pydantic or
attribute error from deep inside (issue 9, item 29)."""

from __future__ import annotations

import numbers
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = [
    "real_array",
    "ids",
    "names",
    "single_values",
    "flag",
    "choice",
    "check_rng",
    "rng",
    "probabilities",
    "architecture",
    "broadcast",
    "shown",
]

#: numpy kinds of real numbers: signed and unsigned integers, floats
_REAL_KINDS = "iuf"
_KIND_NAMES = {
    "b": "booleans",
    "c": "complex numbers",
    "M": "dates (datetime64)",
    "m": "durations (timedelta64)",
    "S": "bytes",
    "U": "strings",
    "V": "raw records",
}


def shown(value: Any, width: int = 40) -> str:
    """``repr(value)`` cut to ``width`` characters, on one line."""
    text = " ".join(repr(value).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _is_real(x: Any) -> bool:
    return isinstance(x, numbers.Real | np.floating | np.integer) and not isinstance(
        x, bool | np.bool_
    )


def real_array(name: str, value: Any) -> np.ndarray:
    """``value`` as a float array, if it is a real number or an array/list of them.

    Booleans (``mfu=True``), strings and bytes (``tokens=b"12"``), complex numbers, dates
    and ragged lists are refused: numpy would convert several of them silently.
    """
    if isinstance(value, str | bytes | bool | np.bool_ | Mapping):
        raise InputError(f"{name}: expected a number or an array of numbers, got {shown(value)}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # ragged nested lists
        raise InputError(
            f"{name}: expected a number or an array of numbers, got {shown(value)}"
        ) from None
    kind = arr.dtype.kind
    if kind == "O":
        if not all(_is_real(x) for x in arr.flat):
            bad = next(x for x in arr.flat if not _is_real(x))
            raise InputError(f"{name}: expected numbers, got {shown(bad)} among them")
    elif kind not in _REAL_KINDS:
        what = _KIND_NAMES.get(kind, f"dtype {arr.dtype}")
        raise InputError(f"{name}: expected real numbers, got an array of {what}")
    if arr.size == 0:
        raise InputError(f"{name}: an empty array; give at least one value")
    try:
        return np.asarray(arr, dtype=float)
    except OverflowError:  # a Python int beyond the float range
        raise InputError(f"{name}: {shown(value)} is beyond the floating-point range") from None


def ids(name: str, value: Any) -> Any:
    """An id (``gpu``, ``precision``) or a non-empty flat list/array of ids, unchanged."""
    if value is None or isinstance(value, str):
        return value
    bad = InputError(f"{name}: expected an id or a list of ids (strings), got {shown(value)}")
    if isinstance(value, bytes | Mapping) or not hasattr(value, "__len__"):
        raise bad
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # ragged nested lists
        raise bad from None
    if arr.ndim != 1 or arr.size == 0:
        raise bad
    # a str array holds only strings; any other (object) array is checked element by element
    if arr.dtype.kind != "U" and not all(isinstance(x, str) for x in arr.tolist()):
        raise bad
    return value


def names(name: str, value: Any, allowed: Iterable[str] | None = None) -> tuple[str, ...]:
    """A list or tuple of output names (each one of ``allowed``, when given)."""
    if not isinstance(value, list | tuple) or not all(isinstance(o, str) for o in value):
        raise InputError(f"{name}: expected a list of output names, got {shown(value)}")
    allowed = None if allowed is None else tuple(allowed)
    for o in value:
        if allowed is not None and o not in allowed:
            raise InputError(f"{name}: {o!r} is not one of {', '.join(allowed)}")
    return tuple(value)


def single_values(what: str, inputs: Mapping[str, Any], keys: Iterable[str]) -> None:
    """Numeric inputs that must be one value each (``solve``, a sweep's fixed inputs,
    sensitivity): an array is an :class:`InputError` pointing to the tool for arrays."""
    from ..formulas.distbase import Dist

    for k in keys:
        v = inputs.get(k)
        if k in ("gpu", "precision") and v is not None and not isinstance(v, str):
            raise InputError(
                f"{k}: {what} takes one id, got {shown(v)}; compare several in a sweep"
            )
        if v is None or isinstance(v, Dist | str):
            continue
        if real_array(k, v).ndim != 0:
            raise InputError(
                f"{k}: {what} takes one value per input, got an array of shape "
                f"{np.shape(v)}; give a distribution, or sweep the values"
            )


def flag(name: str, value: Any) -> bool:
    """A ``True``/``False`` option (``mtp``, ``ownership``, ``qmc``); arrays are refused."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise InputError(f"{name}: expected True or False, got {shown(value)}")


def choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """One string out of ``choices`` (``flop_convention``, ``recompute``)."""
    choices = list(choices)
    if not isinstance(value, str):
        raise InputError(
            f"{name}: expected one of {', '.join(choices)} (a string), got {shown(value)}"
        )
    return value


def check_rng(value: Any) -> Any:
    """``value`` if it is a valid ``rng`` (a Generator, BitGenerator, SeedSequence, a seed
    int >= 0, or None), else an :class:`InputError` naming ``rng``.

    Checks without importing :mod:`numpy.random` for a seed or None (a tenth of a point
    estimate's start-up); an object of numpy.random's types can only exist once it has been
    imported, so the type test runs only then.
    """
    if value is None:
        return value
    if isinstance(value, int | np.integer):
        if not isinstance(value, bool) and value >= 0:
            return value
    elif "numpy.random" in sys.modules and isinstance(
        value, np.random.Generator | np.random.BitGenerator | np.random.SeedSequence
    ):
        return value
    raise InputError(
        f"rng: expected a numpy Generator, a seed (an int >= 0) or None, got {shown(value)}"
    )


def rng(value: Any) -> np.random.Generator:
    """``numpy.random.default_rng(value)`` for a Generator, BitGenerator, SeedSequence, a
    seed (int >= 0) or None; anything else is an :class:`InputError` naming ``rng``."""
    return np.random.default_rng(check_rng(value))


def probabilities(name: str, value: Any) -> tuple[float, ...]:
    """A sequence of probabilities strictly between 0 and 1 (``quantiles``)."""
    if isinstance(value, str | bytes):
        raise InputError(f"{name}: expected numbers in (0, 1), got {shown(value)}")
    if isinstance(value, list | tuple) and not value:
        return ()
    arr = real_array(name, value)
    if arr.ndim > 1:
        raise InputError(f"{name}: expected a flat sequence of numbers, got shape {arr.shape}")
    out = tuple(float(q) for q in np.atleast_1d(arr))
    for q in out:
        if not 0 < q < 1:
            raise InputError(f"{name}: {q:g} is not a probability strictly between 0 and 1")
    return out


def architecture(value: Any):
    """An :class:`~costmodel.formulas.architecture.Architecture`, from itself or a dict of
    its fields; a one-line error naming every missing, unknown or bad field otherwise."""
    if value is None:  # before the imports: no architecture, no pydantic model to build
        return None
    from pydantic import ValidationError

    from ..data.store import describe_validation_error
    from ..formulas.architecture import Architecture

    if isinstance(value, Architecture):
        return value
    if not isinstance(value, Mapping):
        raise InputError(
            f"architecture: expected an Architecture or a dict of its fields, got {shown(value)}"
        )
    try:
        return Architecture.model_validate(dict(value))
    except ValidationError as e:
        raise InputError(describe_validation_error(e, "architecture")) from None


def broadcast(arrays: Mapping[str, Any]) -> None:
    """Check that array inputs broadcast together; name the first pair that does not."""
    shapes = {k: np.shape(v) for k, v in arrays.items() if v is not None and np.ndim(v) > 0}
    try:
        np.broadcast_shapes(*shapes.values())
    except ValueError:
        seen: dict[str, tuple] = {}
        for k, s in shapes.items():
            for k0, s0 in seen.items():
                try:
                    np.broadcast_shapes(s0, s)
                except ValueError:
                    raise InputError(
                        f"{k}: an array of shape {s} does not broadcast with {k0} of shape "
                        f"{s0}; give arrays of one length (or use a sweep for a grid)"
                    ) from None
            seen[k] = s
        raise InputError(
            "inputs: the array shapes "
            + ", ".join(f"{k} {s}" for k, s in shapes.items())
            + " do not broadcast together"
        ) from None


#: Plausible ranges of the counts a unit slip corrupts (issue 19, item 5), with the reason:
#: (low, high, typical value, why). A value outside gets a :class:`CostModelWarning` naming
#: the SI prefix that brings it nearest the typical value; it is never refused.
PLAUSIBLE: dict[str, tuple[float, float, float, str]] = {
    "tokens": (
        1e8,
        1e15,
        1e12,
        "published training runs span about 1e9 (GPT-2 124M reproductions) to 3.6e13 tokens "
        "(Qwen3); 1e8 is a tenth of the smallest, 1e15 thirty times the largest",
    ),
    "params": (
        1e6,
        1e14,
        1e10,
        "published models span about 1.2e8 (SmolLM 135M) to 1.6e12 parameters (Switch-C); "
        "1e6 is a toy model, 1e14 sixty times the largest",
    ),
    "active_params": (
        1e6,
        1e14,
        1e10,
        "as params: 1.2e8 (SmolLM 135M) to 5.4e11 active parameters (PaLM 540B)",
    ),
    "n_gpus": (
        1,
        1e6,
        1e3,
        "the largest clusters reported hold about 2e5 accelerators (xAI Colossus, 2025); a "
        "million is five times that",
    ),
}

_PREFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def _spelled(x: float) -> str:
    from ..formulas.units import format_si

    return format_si(x)


def _sci(x: float) -> str:
    mant, exp = f"{x:.2g}e0".split("e")[:2] if "e" not in f"{x:.2g}" else f"{x:.2g}".split("e")
    return f"{mant}e{int(exp)}"


def unit_slip(name: str, value: Any) -> str | None:
    """The one-line doubt about ``value`` for the count ``name``, or None when plausible.

    Distributions are judged by their median, arrays by their first implausible element.

    >>> unit_slip("tokens", 15)
    'tokens 15 looks like a unit slip: did you mean 15T (1.5e13)?'
    >>> unit_slip("n_gpus", 1e7)
    'n_gpus 10M looks like a unit slip: did you mean 10K (1e4)?'
    >>> unit_slip("tokens", 14.8e12) is None
    True
    """
    rng_ = PLAUSIBLE.get(name)
    if rng_ is None or value is None or isinstance(value, str):
        return None
    low, high, typical, _why = rng_
    from ..formulas.distbase import Dist

    if isinstance(value, Dist):
        try:
            value = float(value.median())
        except Exception:  # a family without a median: nothing to judge
            return None
    try:
        arr = np.atleast_1d(np.asarray(value, dtype=float))
    except (TypeError, ValueError, OverflowError):  # not numbers: validation's to refuse
        return None
    bad = arr[np.isfinite(arr) & (arr > 0) & ((arr < low) | (arr > high))]
    if bad.size == 0:
        return None
    x = float(bad[0])
    import math

    from ..errors import arg

    shown_name = arg(name)  # --tokens on the command line
    # the decimal prefix (x 1e±3k) that puts the value nearest the typical one, in range
    cands = [x * 10.0 ** (3 * k) for k in range(-6, 7) if k]
    cands = [c for c in cands if low <= c <= high]
    side = "small" if x < low else "large"
    if not cands:
        return (
            f"{shown_name} {_spelled(x)} looks implausibly {side} (plausible: {low:g} to {high:g})"
        )
    best = min(cands, key=lambda c: abs(math.log10(c / typical)))
    return (
        f"{shown_name} {_spelled(x)} looks like a unit slip: "
        f"did you mean {_spelled(best)} ({_sci(best)})?"
    )


def warn_unit_slips(inputs: Mapping[str, Any], stacklevel: int = 3) -> list[str]:
    """Warn (:class:`~costmodel.errors.CostModelWarning`) about every count in ``inputs``
    outside its plausible range (:data:`PLAUSIBLE`); return the messages."""
    import warnings

    from ..errors import CostModelWarning

    out = []
    for name in PLAUSIBLE:
        msg = unit_slip(name, inputs.get(name))
        if msg is not None:
            out.append(msg)
            warnings.warn(msg, CostModelWarning, stacklevel=stacklevel)
    return out
