"""Sobol variance-based sensitivity indices of a function on the unit hypercube.

References
----------
.. [1] Saltelli, Annoni, Azzini, Campolongo, Ratto, Tarantola, "Variance based sensitivity
       analysis of model output. Design and estimator for the total sensitivity index",
       Computer Physics Communications 181 (2010) 259-270, doi:10.1016/j.cpc.2009.09.018,
       Table 2: first-order estimator (b) and total-effect estimator (f).
.. [2] Jansen, "Analysis of variance designs for model output", Computer Physics
       Communications 117 (1999) 35-43 (the total-effect estimator).
.. [3] Ishigami and Homma, "An importance quantification technique in uncertainty
       analysis for computer models", ISUMA'90 (the test function, a=7, b=0.1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NotRequired, TypedDict

import numpy as np

from ..errors import InputError
from ..model.inputs import Rng
from ..model.uncertainty import draw_uniforms

__all__ = ["SobolIndices", "sobol_indices"]


class SobolIndices(TypedDict):
    """What :func:`sobol_indices` returns."""

    #: first-order and total indices, one per input
    S1: np.ndarray
    ST: np.ndarray
    #: the output's variance over the base samples
    variance: float
    n_evaluations: int
    #: bootstrap confidence intervals (d × 2), when ``n_boot > 0``
    S1_ci: NotRequired[np.ndarray]
    ST_ci: NotRequired[np.ndarray]


def sobol_indices(
    f: Callable[[np.ndarray], np.ndarray],
    d: int,
    n: int,
    rng: Rng = None,
    *,
    qmc: bool = True,
    n_boot: int = 200,
    conf: float = 0.95,
) -> SobolIndices:
    """First-order and total Sobol indices of ``f`` on the unit hypercube.

    Parameters
    ----------
    f : callable
        ``f(U)`` for ``U`` of shape (m, d) with independent uniform columns; returns (m,).
        Called once, on all ``n·(d + 2)`` points.
    d : int
        Number of inputs.
    n : int
        Base sample size (a power of two for QMC).
    rng : numpy.random.Generator, int or None
        Random source for sampling and the bootstrap.
    qmc : bool, default True
        Scrambled Sobol points for the two base matrices.
    n_boot : int, default 200
        Bootstrap resamples for the confidence intervals.
    conf : float, default 0.95
        Confidence level.

    Returns
    -------
    dict
        ``S1``, ``ST`` (arrays of length d), ``S1_ci``, ``ST_ci`` (d × 2), ``variance``,
        ``n_evaluations``.

    Notes
    -----
    Matrices ``A``, ``B`` and ``AB_i`` (``A`` with column ``i`` from ``B``):
    ``S_i = mean(f(B)·(f(AB_i) − f(A))) / V`` (Saltelli et al. 2010, Table 2 (b)) and
    ``ST_i = mean((f(A) − f(AB_i))²) / (2V)`` (Jansen 1999; Saltelli et al. 2010, (f)),
    with ``V`` the variance of ``f`` over ``A`` and ``B``. Confidence intervals are
    percentile bootstraps over the ``n`` rows.

    Examples
    --------
    >>> r = sobol_indices(lambda u: u[:, 0] + 2 * u[:, 1], 2, 1024, rng=0, n_boot=0)
    >>> [round(float(x), 2) for x in r["S1"]]
    [0.2, 0.8]
    """
    if d < 1:
        raise InputError("sensitivity: no uncertain inputs; give at least one distribution")
    if not 0 <= n_boot <= 10_000:
        raise InputError(f"bootstrap: {n_boot} resamples; use 0 to 10,000")
    from ..model.validate import rng as as_rng

    gen = as_rng(rng)
    u = draw_uniforms(n, 2 * d, gen, qmc=qmc)
    a, b = u[:, :d], u[:, d:]
    blocks = [a, b]
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    y = np.asarray(f(np.vstack(blocks)), float)
    if y.shape != (n * (d + 2),):
        raise ValueError(f"f returned shape {y.shape}, expected {(n * (d + 2),)}")
    # the indices are ratios of variances, so scale the outputs to at most 1 first: squares
    # of costs near 1e158 USD (a fuzzed --tokens 6.5e158) overflowed in np.var
    finite = np.abs(y[np.isfinite(y)])
    scale = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    y = y / scale
    fa, fb = y[:n], y[n : 2 * n]
    if np.var(np.concatenate([fa, fb])) <= 1e-24 * max(float(np.mean(np.abs(fa))) ** 2, 1e-300):
        raise InputError(
            "sensitivity: the output does not vary with the uncertain inputs, so its Sobol "
            "indices are undefined (every input's share is zero)"
        )
    fab = y[2 * n :].reshape(d, n)

    def estimate(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        fa_, fb_, fab_ = fa[idx], fb[idx], fab[:, idx]
        var = np.var(np.concatenate([fa_, fb_], axis=-1), axis=-1, ddof=1)
        s1 = np.mean(fb_ * (fab_ - fa_), axis=-1) / var
        st = 0.5 * np.mean((fa_ - fab_) ** 2, axis=-1) / var
        return s1, st, var

    s1, st, var = estimate(np.arange(n))
    out: SobolIndices = {
        "S1": s1,
        "ST": st,
        "variance": float(var) * scale * scale,  # [output unit²]; inf past the float range
        "n_evaluations": int(y.size),
    }
    if n_boot > 0:
        bs1, bst = np.empty((n_boot, d)), np.empty((n_boot, d))
        for r in range(n_boot):
            idx = gen.integers(0, n, n)
            bs1[r], bst[r], _ = estimate(idx)
        lo, hi = (1 - conf) / 2 * 100, (1 + conf) / 2 * 100
        out["S1_ci"] = np.percentile(bs1, [lo, hi], axis=0).T
        out["ST_ci"] = np.percentile(bst, [lo, hi], axis=0).T
    return out
