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
    precision (given, the run preset's, or the default). ``None`` without an accelerator."""
    peak = point.get("peak_flop_per_s")
    if peak is None or sc.gpu is None:
        return None
    prec = sc.precision
    single = np.ndim(prec) == 0 and np.ndim(sc.gpu) == 0
    prec_v = str(prec) if single else np.asarray(prec, dtype=object).tolist()
    if "precision" in sc.given:
        source = "given"
    elif getattr(sc, "run_preset", None) is not None and sc.run_preset.precision == prec_v:
        source = f"the run preset {sc.run}"
    else:
        source = "the default"
    f8 = None
    if sc.fp8_fraction is not None:
        f = sc.point_values()["fp8_fraction"]
        f8 = float(np.ravel(f)[0]) if np.size(f) == 1 else np.asarray(f).tolist()
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
