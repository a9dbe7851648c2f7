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


def mfu_basis(sc, point: dict[str, Any]) -> dict[str, Any] | None:
    """The peak the MFU is a fraction of: precision, dense peak [FLOP/s], and why that
    precision (given, the run preset's, or the default). ``None`` without an accelerator.

    Compact for arrays (a 10⁶-element ``precision`` builds no 10⁶-element list):
    ``precision`` is the one precision of every element, else the list of the distinct
    precisions in order of first appearance; ``fp8_fraction`` is one number when every
    element has the same, else ``{"min", "max"}`` of its values. The per-element values
    are in ``inputs``; ``peak_flop_per_s`` is the per-element peak itself (the output's
    array, not a copy).
    """
    peak = point.get("peak_flop_per_s")
    if peak is None or sc.gpu is None:
        return None
    prec = sc.precision
    single = np.ndim(prec) == 0 and np.ndim(sc.gpu) == 0
    prec_v: str | list[str] = str(prec) if np.ndim(prec) == 0 else _distinct_precisions(sc)
    if "precision" in sc.given:
        source = "given"
    elif getattr(sc, "run_preset", None) is not None and sc.run_preset.precision == prec_v:
        source = f"the run preset {sc.run}"
    else:
        source = "the default"
    f8: float | dict[str, float] | None = None
    if sc.fp8_fraction is not None:
        f8 = _fraction_summary(sc.point_values()["fp8_fraction"])
    out: dict[str, Any] = {
        "precision": prec_v,
        "peak_flop_per_s": peak,
        "fp8_fraction": f8,
        "precision_source": source,
        "mfu_source": "given" if "mfu" in sc.given else "utilization prior",
    }
    if single and np.size(peak) == 1:
        p = float(np.ravel(peak)[0])
        what = (
            f"blended FP8/BF16 dense peak ({f8:.1%} of FLOP in FP8)"
            if prec_v == "mixed" and isinstance(f8, float)
            else f"{prec_v} dense peak"
        )
        out["text"] = f"{what} of {sc.gpu}, {p / 1e12:,.1f} TFLOP/s ({source})"
    return out


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
