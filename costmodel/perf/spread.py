"""Uncertainty of the performance model's MFU, from its validation residuals (layer 1).

The leave-one-source-out residuals of ``docs/perf_validation.md`` say how far a predicted
throughput lands from a measured one. A prediction ``mfu`` becomes a lognormal with median
``mfu`` and the residuals' geometric standard deviation, truncated to (0, 1].
``costmodel estimate --mfu model --samples N`` samples it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MFU_LOG10_SD", "MFU_GEOMETRIC_SD", "sample_mfu", "mfu_quantiles"]

#: Robust standard deviation of log10(predicted / measured) throughput, leave-one-source-out
#: over the 76 validation rows (``1.4826·MAD``, so the ZeRO-3 and small-MoE misses listed
#: in ``docs/perf_validation.md`` do not dominate) [log10]. A test re-derives it.
MFU_LOG10_SD = 0.081
#: The same as a geometric standard deviation [1].
MFU_GEOMETRIC_SD = 10.0**MFU_LOG10_SD


def sample_mfu(mfu, n: int, rng=None, *, log10_sd: float = MFU_LOG10_SD) -> np.ndarray:
    """Draw ``n`` MFU values around a point prediction [1].

    Parameters
    ----------
    mfu : float
        Predicted MFU (the lognormal's median) [1].
    n : int
        Samples.
    rng : numpy.random.Generator | int | None
        Random source (``np.random.default_rng(rng)``).
    log10_sd : float, default :data:`MFU_LOG10_SD`
        Spread in log10 units.

    Returns
    -------
    ndarray
        ``mfu · 10^(σ·z)``, ``z`` standard normal, clipped to at most 1 [1].

    Examples
    --------
    >>> x = sample_mfu(0.4, 100_000, rng=0)
    >>> round(float(np.median(x)), 2)
    0.4
    """
    g = np.random.default_rng(rng)
    z = g.standard_normal(int(n))
    return np.minimum(float(mfu) * 10.0 ** (log10_sd * z), 1.0)


def mfu_quantiles(mfu, probs=(0.05, 0.5, 0.95), *, log10_sd: float = MFU_LOG10_SD):
    """Quantiles of the MFU lognormal [1] (closed form, no sampling).

    Examples
    --------
    A spread of 0.1 in log10: the 5 % and 95 % quantiles are 10^(∓0.1·1.645) times the median.

    >>> [round(q, 3) for q in mfu_quantiles(0.4, log10_sd=0.1)]
    [0.274, 0.4, 0.584]
    """
    from statistics import NormalDist

    z = np.array([NormalDist().inv_cdf(p) for p in probs])
    return [float(min(mfu * 10.0 ** (log10_sd * zi), 1.0)) for zi in z]
