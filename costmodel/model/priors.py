"""Data-derived utilization priors, fitted to the published runs in ``presets/runs``.

A candidate model is a ``+``-joined list of terms (see :data:`TERMS`), e.g.
``family+size+org``::

    ln(mfu) = a[family] + b · log10(active_params / 1e10) + … + u[org] + ε
    u[org] ~ Normal(0, τ²)   (only with the ``org`` term),   ε ~ Normal(0, s²)

``mfu`` here is end-to-end: the ``6nd`` numerator over the reported accelerator-hours times
the 16-bit (BF16/FP16) dense peak. Downtime inside the reported hours is part of it, so
``goodput`` defaults to 1 when the prior is used. Only runs whose hours measure the work of
their stated tokens are fitted (``hours_scope`` in
:data:`costmodel.schemas.runs.COMPARABLE_SCOPES`, grade primary).

Without ``org`` the coefficients are ordinary least squares. With it (partial pooling) the
variance ratio ``λ = τ²/s²`` maximizes the restricted likelihood (REML) over a fixed grid, the
coefficients are generalized least squares at that ``λ``, and each organization's effect is
its best linear unbiased predictor ``u_j = λ·Z_jᵀ W⁻¹ r`` (``W = I + λ·ZZᵀ``) — for an
intercept-only model the familiar shrinkage ``n_j τ² / (n_j τ² + s²) · (ȳ_j − μ)``.

A prediction for a new run is ``Normal(x₀ᵀβ, s² + τ² + x₀ᵀΣx₀)`` on ``ln mfu`` — a run of an
organization the prior has not seen carries the between-organization variance τ² — plus
the between-family spread for an accelerator family with no published run, truncated to
``(0, upper]`` (the accelerator's measured matmul ceiling). With the ``t`` term the
predictive is Student-t with :data:`T_DF` degrees of freedom at the same scale.

Why the 16-bit peak even for FP8 runs: published FP8 runs do not realize FP8's 2× peak
end to end (DeepSeek-V3: 34.6 % of the BF16 peak, 19.9 % of its blended FP8/BF16 peak), and
our own H200 measurement found naive FP8 training steps 1.2–1.3× slower than BF16
(docs/sources/h200_fp8_2026-11-28.json). Epoch AI likewise uses the 16-bit peak for
FP8-trained models. So the prior credits no FP8 speed-up; a user who expects one gives
``mfu`` explicitly.
"""

from __future__ import annotations

import math

import numpy as np

from .prior_dist import (
    BASELINE_MFU,
    CANDIDATES,
    CEILING_CANDIDATES,
    CEILING_REFERENCE,
    GPB_REFERENCE,
    GPUS_REFERENCE,
    SIZE_REFERENCE,
    T_DF,
    TERMS,
    MFUPrior,
    sixteen_bit_peak,
)
from .prior_fit import (
    FitRow,
    baseline_predictions,
    fit,
    fit_rows,
    loo_predictions,
    looo_predictions,
    run_rows,
    score,
)

__all__ = [
    "SIZE_REFERENCE",
    "GPUS_REFERENCE",
    "GPB_REFERENCE",
    "TERMS",
    "CANDIDATES",
    "CEILING_CANDIDATES",
    "CEILING_REFERENCE",
    "BASELINE_MFU",
    "T_DF",
    "FitRow",
    "MFUPrior",
    "sixteen_bit_peak",
    "run_rows",
    "fit_rows",
    "fit",
    "load",
    "loo_predictions",
    "looo_predictions",
    "baseline_predictions",
    "score",
    "convention_ratio",
]

_loaded: dict[str, MFUPrior] = {}


def load(prior_id: str = "mfu-6nd") -> MFUPrior:
    """The prior stored in ``presets/priors`` (cached)."""
    from ..data import store

    p = store.get("priors", prior_id)
    key = f"{prior_id}:{id(p)}"
    if key not in _loaded:
        _loaded[key] = MFUPrior(
            model=p.model,
            names=tuple(p.coef_names),
            coef=np.array(p.coef, dtype=float),
            coef_cov=np.array(p.coef_cov, dtype=float),
            residual_sd=p.residual_sd,
            between_family_sd=p.between_family_sd,
            between_org_sd=p.between_org_sd,
            n_runs=p.n_runs,
            runs=tuple(p.runs),
            family_counts={g.family: g.n_runs for g in p.groups},
            org_effects={o.organization: (o.effect, o.variance) for o in p.organizations},
            x_range=(
                math.log10(p.min_active_params / SIZE_REFERENCE),
                math.log10(p.max_active_params / SIZE_REFERENCE),
            ),
        )
    return _loaded[key]


_ratios: dict[tuple, tuple[float, int]] = {}


def convention_ratio(convention: str, rows: list[FitRow] | None = None) -> tuple[float, int]:
    """Typical ``convention FLOP / 6ND`` of the prior's runs: the median over the runs with
    a published shape of (the convention's FLOP per token at the run's own sequence length)
    / (6 · active params), and how many runs had a shape.

    The prior is a 6ND utilization, so it already prices in the attention and LM-head work
    of a typical run. A shape with more work per token than that (a long sequence, a large
    vocabulary) needs proportionally more hours at the same utilization: the estimate
    scales its hours by ``(convention FLOP / 6ND) / convention_ratio`` (issue 9, item 27;
    docs/methodology.md §4). ``6nd`` is 1 by definition. ``rows`` defaults to the runs the
    prior is fitted to (:func:`fit_rows`).
    """
    if convention == "6nd":
        return 1.0, 0
    from ..data import store

    rows = fit_rows() if rows is None else rows
    key = (convention, tuple(r.id for r in rows), id(store.load("runs")))
    if key not in _ratios:
        vals = []
        for r in rows:
            arch = store.get("runs", r.id).architecture
            if arch is None:
                continue
            vals.append(arch.flop_per_token(convention) / (6.0 * r.active_params))
        _ratios[key] = (float(np.median(vals)), len(vals)) if vals else (1.0, 0)
    return _ratios[key]
