"""The performance model's validation residuals as a distribution (layer: perf).

``costmodel/data/perf_residuals.toml`` (written by ``scripts/perf_residuals.py``) holds each
validation row's measured and predicted tokens/s per GPU, its source and its stratum. This
module turns them into the Student-t of ``r = log10(predicted / measured)`` a prediction is
judged by (the claim check's physics verdict, :mod:`costmodel.claims.physics`) and into the
spread ``estimate --mfu model`` samples.

Stratified by dense vs MoE and 16-bit vs FP8. A stratum whose rows come from fewer than
:data:`MIN_SOURCES` sources borrows the rows of the other precision, then all rows. Each
source is weighted once (its rows share one transcription, cluster and software stack),
the tail weight (degrees of freedom) is fitted by maximum likelihood on all rows, the
location and scale on the stratum's.
"""

from __future__ import annotations

import math
import tomllib
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["MIN_SOURCES", "residual_rows", "residual_model", "sampling_log10_sd"]

#: Fewest sources a stratum's rows must come from to stand on its own [1]: rows of one
#: source share its biases, so a location and a scale need several independent sources;
#: with fewer the stratum borrows the other precision's rows, then all rows.
MIN_SOURCES = 5


@lru_cache(maxsize=1)
def residual_rows() -> tuple[dict[str, Any], ...]:
    """The validation rows (``costmodel/data/perf_residuals.toml``, written by
    ``scripts/perf_residuals.py``)."""
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "data" / "perf_residuals.toml"
    with open(path, "rb") as fh:
        return tuple(tomllib.load(fh)["rows"])


def _t_fit(x: np.ndarray, w: np.ndarray, df: float | None = None) -> tuple[float, float, float]:
    """Student-t (df, loc, scale) by weighted maximum likelihood; ``df`` fixed when given.

    The weights make each source count once (``1 / rows of its source``): rows of one
    paper share its transcription, hardware and software, so they are not independent.
    """
    from scipy import optimize, stats

    w = np.asarray(w, dtype=float) / np.sum(w)

    def nll(th: np.ndarray) -> float:
        d = math.exp(th[0]) if df is None else df
        return -float(np.sum(w * stats.t.logpdf(x, d, loc=th[-2], scale=math.exp(th[-1]))))

    med = float(np.median(x))
    sd = max(float(1.4826 * np.median(np.abs(x - med))), 1e-3)
    th0 = ([math.log(5.0)] if df is None else []) + [med, math.log(sd)]
    th = optimize.minimize(
        nll, th0, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-10, "maxiter": 4000}
    ).x
    d = min(math.exp(th[0]), 1e3) if df is None else df
    return float(d), float(th[-2]), float(math.exp(th[-1]))


def _source_weights(src: list[str], idx: list[int]) -> np.ndarray:
    """``1 / rows of its source`` for each row in ``idx``: each source counts once."""
    n = {s: sum(src[i] == s for i in idx) for s in {src[i] for i in idx}}
    return np.array([1.0 / n[src[i]] for i in idx])


@lru_cache(maxsize=32)
def residual_model(run_id: str | None, moe: bool, fp8: bool) -> dict[str, Any]:
    """The residual distribution a claim is judged by, and the efficiency refitted with it.

    Parameters
    ----------
    run_id : str or None
        The claim's run preset: validation rows measuring it are left out.
    moe, fp8 : bool
        The claim's stratum.

    Returns
    -------
    dict
        ``df``, ``loc``, ``scale`` (Student-t of log10(predicted / measured)),
        ``efficiency_ratio`` (refitted end-to-end efficiency over the one in code),
        ``n_rows``, ``stratum``, ``left_out`` (row ids), ``basis`` (one sentence).
    """
    from .step import SYSTEM_EFFICIENCY

    rows = residual_rows()
    left = [r["id"] for r in rows if run_id and r["run"] == run_id]
    use = [r for r in rows if r["id"] not in left]
    meas = np.array([r["measured_tokens_per_s_per_gpu"] for r in use])
    raw = np.array([r["raw_tokens_per_s_per_gpu"] for r in use])
    eff = float(np.exp(np.median(np.log(meas / raw))))
    res = np.array([r["log10_loso"] for r in use])
    src = [r["source_id"] for r in use]

    def weights(idx: list[int]) -> np.ndarray:
        return _source_weights(src, idx)

    def sources(idx: list[int]) -> int:
        return len({src[i] for i in idx})

    every = list(range(len(use)))
    pooled = _t_fit(res, weights(every))
    df_all = pooled[0]
    kind = f"{'MoE' if moe else 'dense'}, {'FP8' if fp8 else '16-bit'}"
    exact = [i for i, r in enumerate(use) if r["moe"] == moe and r["fp8"] == fp8]
    same_arch = [i for i, r in enumerate(use) if r["moe"] == moe]
    if sources(exact) >= MIN_SOURCES:
        idx, stratum = exact, f"{kind} rows"
    elif sources(same_arch) >= MIN_SOURCES:
        idx = same_arch
        stratum = (
            f"{'MoE' if moe else 'dense'} rows of both precisions ({kind} rows come from "
            f"{sources(exact)} source{'s' if sources(exact) != 1 else ''}, fewer than "
            f"{MIN_SOURCES})"
        )
    else:
        idx = every
        own = res[same_arch]
        n_s = sources(same_arch)
        stratum = (
            f"all rows, because the {len(same_arch)} {'MoE' if moe else 'dense'} "
            f"row{'s' if len(same_arch) != 1 else ''} come from {n_s} "
            f"source{'s' if n_s != 1 else ''}, fewer than {MIN_SOURCES}"
            + (
                f" (their residuals {', '.join(f'{x:+.2f}' for x in sorted(own))}; positive "
                "= the model over-predicts, as it does for small MoE models: with all rows a "
                "claim on this model is judged as leniently as a dense one)"
                if len(own)
                else ""
            )
        )
    df, loc, scale = pooled if idx is every else _t_fit(res[idx], weights(idx), df_all)
    basis = (
        f"leave-one-source-out residuals of the performance model, {stratum}: "
        f"{len(idx)} published throughputs from {sources(idx)} source"
        f"{'s' if sources(idx) != 1 else ''}, each source "
        f"weighted once; Student-t in log10, df {df:.1f} (fitted on all {len(use)} rows), "
        f"location {loc:+.3f}, scale {scale:.3f}"
    )
    if left:
        basis += f"; rows measuring this model left out: {', '.join(left)}"
    return {
        "df": df,
        "loc": loc,
        "scale": scale,
        "efficiency_ratio": eff / SYSTEM_EFFICIENCY,
        "system_efficiency": eff,
        "n_rows": len(idx),
        "stratum": stratum,
        "left_out": left,
        "basis": basis,
    }


@lru_cache(maxsize=8)
def sampling_log10_sd(moe: bool, fp8: bool) -> tuple[float, str]:
    """Spread of ``estimate --mfu model`` [log10], and where it comes from.

    The standard deviation of the source-weighted leave-one-source-out residuals of the
    run's stratum, never below all rows'. Unlike the verdict (whose thin strata pool with
    all rows), a MoE estimate keeps the MoE rows' spread however few their sources: their
    misses (2-3x on small MoE models) are the uncertainty of a MoE cost.
    """
    rows = residual_rows()
    res = np.array([r["log10_loso"] for r in rows])
    src = [r["source_id"] for r in rows]

    def wsd(idx: list[int]) -> float:
        w = _source_weights(src, idx)
        w = w / w.sum()
        x = res[idx]
        m = float(np.sum(w * x))
        return float(math.sqrt(np.sum(w * (x - m) ** 2)))

    every = list(range(len(rows)))
    same = [i for i, r in enumerate(rows) if r["moe"] == moe and (moe or r["fp8"] == fp8)]
    if len(same) < 2:
        same = [i for i, r in enumerate(rows) if r["moe"] == moe] or every
    sd = max(wsd(same), wsd(every))
    kind = "MoE" if moe else ("dense FP8" if fp8 else "dense 16-bit")
    return sd, (
        f"{kind} validation rows ({len(same)} rows from {len({src[i] for i in same})} "
        f"sources, each source weighted once; never below all rows' {wsd(every):.3f})"
    )
