"""The peak each tornado bar's numbers are a fraction of (issue 19, item 1): a sampled
``mfu`` is a fraction of the peak its ``mfu_basis`` names, the utilization prior's draws of
the 16-bit dense peak whatever ``mfu_basis`` says."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import arg

if TYPE_CHECKING:
    from ..model.scenario import Scenario

__all__ = ["label_bases"]


def label_bases(scenario: Scenario, rows: list[dict[str, Any]]) -> None:
    """Give each tornado row the basis of its numbers: ``basis`` (words),
    ``basis_precision`` (the precision whose dense peak it is; ``mixed`` for the blended
    FP8/BF16 one) and ``basis_peak_flop_per_s`` for ``mfu``; ``None`` for inputs that are no
    fraction of a peak.

    A sampled ``mfu`` is a fraction of the peak ``mfu_basis`` names; the utilization prior's
    draws are fractions of the 16-bit dense peak (the run's own where lower) whatever
    ``mfu_basis`` says, since that is the peak the prior was fitted on.
    """
    for r in rows:
        r["basis"], r["basis_precision"], r["basis_peak_flop_per_s"] = None, None, None
        if r["input"] == "mfu":
            r["basis"], r["basis_precision"], r["basis_peak_flop_per_s"] = _mfu_basis(scenario)


def _mfu_basis(sc: Scenario) -> tuple[str | None, str | None, float | None]:
    """The words, precision and peak [FLOP/s] the tornado's ``mfu`` values are a fraction
    of."""
    hw = getattr(sc, "hardware", None)
    if hw is None or np.ndim(sc.gpu) or np.ndim(sc.precision):
        return None, None, None
    gpu, prec = str(sc.gpu), str(sc.precision)
    f8 = sc.fp8_fraction
    f8 = f8.median() if hasattr(f8, "median") else f8
    peak = float(np.ravel(np.asarray(sc.peak(f8), float))[0])
    prior = sc.mfu_prior is not None and "mfu" not in sc.uncertain()
    if prior:
        bpeak = float(np.ravel(np.asarray(sc.prior_peak(np.asarray(peak)), float))[0])
        name = hw.basis_table("16bit")[1].get((gpu, prec), prec)
        how = "the utilization prior's basis" + (
            f"; {arg('mfu_basis', sc.mfu_basis, repr(sc.mfu_basis))} applies to a given mfu"
            if sc.mfu_basis != "16bit"
            else ""
        )
        if sc.flop_convention != "6nd":
            how += "; a 6ND utilization"
    else:
        bpeak = float(np.ravel(np.asarray(sc.basis_peak(peak), float))[0])
        name = prec if sc.mfu_basis == "blended" else sc.basis_names.get((gpu, prec), prec)
        how = arg("mfu_basis", sc.mfu_basis, repr(sc.mfu_basis))
    if name == "mixed":
        f = float(np.ravel(np.asarray(f8, float))[0]) if f8 is not None else None
        words = "blended FP8/BF16 dense peak" + (
            f" ({f:.1%} of FLOP in FP8)" if f is not None else ""
        )
    else:
        words = f"{name} dense peak"
    return f"{words} of {gpu}, {bpeak / 1e12:,.1f} TFLOP/s ({how})", name, bpeak
