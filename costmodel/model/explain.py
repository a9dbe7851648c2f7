"""Why an estimate is empty, and the peak its MFU refers to.

:func:`require_something` names every missing input at once when nothing can be computed
(issue 9, item 12; the reading of what is missing is :mod:`costmodel.render.needs`);
:func:`mfu_basis` states the peak an MFU is a fraction of (item 13).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import MissingInputError, arg
from ..render.needs import missing_inputs, spell

__all__ = ["require_something", "mfu_basis"]


def require_something(d: dict[str, Any]) -> None:
    """Raise one :class:`MissingInputError` naming every missing input when not even the
    model FLOP can be computed."""
    if d.get("model_flop") is not None:
        return
    need = missing_inputs(d)
    first = [k for k, outs in need.items() if "gpu_hours" in outs or "model_flop" in outs]
    rest = [k for k in need if k not in first]
    names = [spell(k) for k in first]
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    msg = f"nothing to estimate: give {text}"
    if rest:
        msg += "; optional: " + "; ".join(f"{arg(k)} for {', '.join(need[k])}" for k in rest)
    raise MissingInputError(msg)


#: ``mfu_basis`` spelled out, for the result's ``text``.
_BASIS_TEXT = {
    "16bit": "as published MFU figures are",
    "fp8": "the FP8 dense peak",
    "blended": "the run precision's own peak",
}


def mfu_basis(sc, point: dict[str, Any]) -> dict[str, Any] | None:
    """The peak the MFU is a fraction of. ``None`` without an accelerator.

    Keys: ``basis`` (``16bit``, ``fp8`` or ``blended``: the scenario's ``mfu_basis``),
    ``precision`` (the precision whose dense peak that is: ``bf16`` for the 16-bit basis of
    a mixed or FP8 run, ``mixed`` for the blended one), ``peak_flop_per_s`` (that peak
    [FLOP/s], per element), ``run_precision`` (the run's own precision, whose peak is the
    result's ``peak_flop_per_s``), ``fp8_fraction``, ``precision_source`` (why that run
    precision: given, the run preset's, or the default), ``mfu_source`` and, for one
    accelerator and precision, ``text``.

    Compact for arrays (a 10⁶-element ``precision`` builds no 10⁶-element list): a
    precision is the one precision of every element, else the list of the distinct
    precisions in order of first appearance; ``fp8_fraction`` is one number when every
    element has the same, else ``{"min", "max"}`` of its values. The per-element values
    are in ``inputs``; ``peak_flop_per_s`` is the per-element basis peak itself (the
    output's array, not a copy).
    """
    peak = point.get("peak_flop_per_s")
    if peak is None or sc.gpu is None:
        return None
    bpeak = point.get("mfu_basis_peak_flop_per_s")
    bpeak = peak if bpeak is None else bpeak
    prec = sc.precision
    single = np.ndim(prec) == 0 and np.ndim(sc.gpu) == 0
    run_v: str | list[str] = str(prec) if np.ndim(prec) == 0 else _distinct_precisions(sc)
    basis = getattr(sc, "mfu_basis", "blended")
    prec_v = run_v if basis == "blended" else _basis_precisions(sc, run_v)
    if "precision" in sc.given:
        source = "given"
    elif getattr(sc, "run_preset", None) is not None and sc.run_preset.precision == run_v:
        source = f"the run preset {sc.run}"
    else:
        source = "the default"
    f8: float | dict[str, float] | None = None
    if sc.fp8_fraction is not None:
        f8 = _fraction_summary(sc.point_values()["fp8_fraction"])
    out: dict[str, Any] = {
        "basis": basis,
        "precision": prec_v,
        "peak_flop_per_s": bpeak,
        "run_precision": run_v,
        "fp8_fraction": f8,
        "precision_source": source,
        "mfu_source": "given" if "mfu" in sc.given else "utilization prior",
    }
    if single and np.size(peak) == 1 and np.size(bpeak) == 1:
        p, b = float(np.ravel(peak)[0]), float(np.ravel(bpeak)[0])
        run = (
            f"blended FP8/BF16 dense peak ({f8:.1%} of FLOP in FP8)"
            if run_v == "mixed" and isinstance(f8, float)
            else f"{run_v} dense peak"
        )
        what = run if basis == "blended" else f"{prec_v} dense peak"
        text = f"{what} of {sc.gpu}, {b / 1e12:,.1f} TFLOP/s"
        if basis == "blended":
            text += f" ({source})"
        elif b == p:
            text += f" (mfu basis {basis}, {_BASIS_TEXT[basis]}; the run's own, {source})"
        else:
            text += (
                f" (mfu basis {basis}, {_BASIS_TEXT[basis]}; the run's precision "
                f"{run_v}, {source}, has the {run} of {p / 1e12:,.1f} TFLOP/s)"
            )
        out["text"] = text
    return out


def _basis_precisions(sc, run_v: str | list[str]) -> str | list[str]:
    """The distinct precisions whose peaks are the basis, in the order of the run
    precisions they stand for."""
    names = getattr(sc, "basis_names", None) or {}
    order = [run_v] if isinstance(run_v, str) else list(run_v)
    found: list[str] = []
    for p in order:
        for (_, q), name in sorted(names.items()):
            if q == p and name not in found:
                found.append(name)
    if not found:
        return run_v
    return found[0] if len(found) == 1 else found


def _distinct_precisions(sc) -> str | list[str]:
    """The distinct precisions of an array ``precision`` (one string when all are equal),
    from the codes :class:`~costmodel.model.hardware.Hardware` resolved them to."""
    hw = getattr(sc, "hardware", None)
    if hw is not None and hw.precisions:
        values = list(hw.precisions)
    else:
        from .hardware import distinct

        values = list(distinct(sc.precision).values)
    return values[0] if len(values) == 1 else values


def _fraction_summary(f: Any) -> float | dict[str, float]:
    """One number when every element of ``f`` is the same, else its ``min`` and ``max``."""
    a = np.asarray(f, dtype=float)
    if a.size == 1:
        return float(a.reshape(-1)[0])
    lo, hi = float(np.min(a)), float(np.max(a))
    return lo if lo == hi else {"min": lo, "max": hi}
