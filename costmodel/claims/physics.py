"""The physics verdict: can the claimed hardware sustain the claimed throughput?

A claim states tokens, GPU-hours, an accelerator and (directly or through its run preset)
the model's shape and parallel layout. The performance model predicts the steady-state
tokens/s per GPU of that layout on that accelerator; its validation residuals (published
throughputs it did not see, ``docs/perf_validation.md``) say how far a prediction lands
from what a real run measures. ``P(achievable)`` is the probability that the hardware
sustains at least the claimed steady-state throughput:

    r = log10(predicted / measured)             (validation residual, Student-t)
    P(achievable) = P(measured ≥ claimed) = P(r ≤ log10(predicted / claimed))

The point prediction is the one every command makes (``costmodel perf`` at the same layout,
``estimate --mfu model``, the NVLink section). The residual distribution leaves out the
validation rows that measure the claim's own model, so a claim is never judged by the
spread of its own measurement. The residuals are stratified by dense vs MoE and
16-bit vs FP8; a stratum whose rows come from fewer than :data:`MIN_SOURCES` sources
borrows the rows of the other precision, then all rows, and names its own rows' residuals
(the MoE rows, from two sources, are mostly over-predictions of small MoE models; pooled,
a MoE claim is judged as leniently as a dense one, and the text says so). Each source is
weighted once. The distribution is a Student-t: its degrees
of freedom (the weight of the tails) fitted by maximum likelihood on all rows, its
location and scale on the stratum's rows.

Hours on a wall-clock basis (reserved time with failures, restarts and checkpoints)
cover more than steady-state training: the steady-state throughput they need is the
claimed one divided by the goodput, :data:`INTERIM_GOODPUT` until the goodput model lands.
"""

from __future__ import annotations

import math
import tomllib
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:
    from ..data.schemas import Accelerator, ClaimPreset, RunPreset
    from ..formulas.architecture import Architecture

__all__ = [
    "MIN_SOURCES",
    "INTERIM_GOODPUT",
    "RULES",
    "residual_rows",
    "residual_model",
    "physics",
]

#: Fewest sources a stratum's rows must come from to stand on its own [1]: rows of one
#: source share its biases, so a location and a scale need several independent sources;
#: with fewer the stratum borrows the other precision's rows, then all rows.
MIN_SOURCES = 5
#: Productive share of reserved GPU time for hours on a wall-clock basis [1], until the
#: goodput model lands: Meta reports more than 90% effective training time for Llama 3
#: 405B on 16,384 H100s over 54 days (arXiv 2407.21783 §3.3.4), 419 interruptions included.
INTERIM_GOODPUT = 0.90
#: Verdict rules on P(achievable): the claim needs throughput beyond the model's 99th
#: percentile (implausible) or 90th (optimistic); below the 5th percentile it is slower
#: than the hardware allows (noted, not a verdict).
RULES = {"implausible": 0.01, "optimistic": 0.10, "slower_than_hardware": 0.95}


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
    from ..perf.step import SYSTEM_EFFICIENCY

    rows = residual_rows()
    left = [r["id"] for r in rows if run_id and r["run"] == run_id]
    use = [r for r in rows if r["id"] not in left]
    meas = np.array([r["measured_tokens_per_s_per_gpu"] for r in use])
    raw = np.array([r["raw_tokens_per_s_per_gpu"] for r in use])
    eff = float(np.exp(np.median(np.log(meas / raw))))
    res = np.array([r["log10_loso"] for r in use])
    src = [r["source_id"] for r in use]

    def weights(idx: list[int]) -> np.ndarray:
        n = {s: sum(src[i] == s for i in idx) for s in {src[i] for i in idx}}
        return np.array([1.0 / n[src[i]] for i in idx])

    def sources(idx: list[int]) -> int:
        return len({src[i] for i in idx})

    every = list(range(len(use)))
    df_all, _, _ = _t_fit(res, weights(every))
    kind = f"{'MoE' if moe else 'dense'}, {'FP8' if fp8 else '16-bit'}"
    exact = [i for i, r in enumerate(use) if r["moe"] == moe and r["fp8"] == fp8]
    same_arch = [i for i, r in enumerate(use) if r["moe"] == moe]
    pooled = _t_fit(res, weights(every), df_all)
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


def _p_le(x: float, m: dict[str, Any]) -> float:
    from scipy import stats

    return float(stats.t.cdf(x, m["df"], loc=m["loc"], scale=m["scale"]))


def _quantile(p: float, m: dict[str, Any]) -> float:
    from scipy import stats

    return float(stats.t.ppf(p, m["df"], loc=m["loc"], scale=m["scale"]))


def published_layout(
    c: ClaimPreset, run: RunPreset | None, n_gpus: int | None
) -> tuple[dict[str, Any] | None, str | None]:
    """The layout a claim states, else its run preset's when it ran on the same GPUs."""
    if c.layout is not None:
        return c.layout.flags(), c.layout.source
    if run is not None and run.layout is not None:
        flags = run.layout.flags()
        if n_gpus is not None and run.n_gpus is not None and int(n_gpus) != run.n_gpus:
            flags.pop("dp", None)
        return flags, f"{run.id} run preset: {run.layout.source}"
    return None, None


def physics(
    c: ClaimPreset,
    run: RunPreset | None,
    arch: Architecture | None,
    acc: Accelerator,
    tokens: float,
    hours: float,
    n_gpus: int | None,
    *,
    steady_state_hours: bool,
) -> dict[str, Any] | None:
    """The physics section of a claim check, or ``None`` without a shape or GPU count.

    Parameters
    ----------
    c, run, arch, acc
        The claim, its run preset (or ``None``), the model's shape and the accelerator.
    tokens, hours : float
        The analysed stage's tokens and GPU-hours.
    n_gpus : int or None
        Accelerators in the cluster.
    steady_state_hours : bool
        The hours were derived from a steady-state throughput (the claim's own
        ``hours_basis``, or its per-trillion-token rate) rather than reserved wall-clock.
    """
    from ..perf import bind
    from ..perf.compare import best_layout, describe

    if arch is None or not n_gpus:
        return None
    n = int(n_gpus)
    flags, source = published_layout(c, run, n)
    notes: list[str] = []
    if flags is not None:
        lay = dict(flags)
        node_limit = int(lay.pop("node_limit", 0) or 0)
        if lay.get("precision", "bf16") != "bf16" and "fp8" not in acc.peak_dense_tflop_per_s:
            lay["precision"] = "bf16"
            notes.append(f"{acc.id} has no FP8 peak: the layout is costed in bf16")
        try:
            r = bind.perf(arch, acc, n_gpus=n, node_limit=node_limit, **lay)
        except InputError as e:
            raise InputError(f"layout: the published layout does not run here: {e}") from None
        layout_source = source
        shown = describe(r["layout"])
    else:
        prec = "mixed" if c.precision == "mixed" else ("fp8" if c.precision == "fp8" else "bf16")
        best = best_layout(arch, acc, n, precision=prec, small=True)
        if best is None:
            return None
        lay = dict(best["layout"])
        node_limit = 0
        r = bind.perf(arch, acc, n_gpus=n, **lay)
        layout_source = (
            "no published layout: the best layout that fits on these GPUs "
            "(costmodel plan's search), so the prediction is an upper bound on the layout"
        )
        shown = describe(r["layout"])
    moe = arch.moe is not None
    fp8 = r["layout"]["precision"] != "bf16"
    m = residual_model(run.id if run is not None else None, moe, fp8)
    # the point prediction is the one every command makes (costmodel perf, estimate --mfu
    # model, the NVLink section): the efficiency in code, fitted on all validation rows
    pred50 = r["tokens_per_s_per_gpu"]
    claimed = tokens / (hours * 3600.0)
    goodput = 1.0 if steady_state_hours else INTERIM_GOODPUT
    needed = claimed / goodput
    # measured = predicted / 10^r; quantile q of measured is predicted / 10^(r_{1-q})
    quant = {
        f"p{round(q * 100):02d}": pred50 / 10.0 ** _quantile(1.0 - q, m) for q in (0.05, 0.5, 0.95)
    }
    p = _p_le(math.log10(pred50 / needed), m)
    if p < RULES["implausible"]:
        verdict = "implausible"
    elif p < RULES["optimistic"]:
        verdict = "optimistic"
    else:
        verdict = "consistent"
    slower = p > RULES["slower_than_hardware"]
    hours_words = (
        "steady-state hours (no downtime in them)"
        if steady_state_hours
        else f"wall-clock hours: steady state needs claimed / goodput {goodput:.2f} "
        f"(interim default; Llama 3 405B's >90% effective training time)"
    )
    return {
        "p_achievable": p,
        "verdict": verdict,
        "slower_than_hardware": slower,
        "claimed_tokens_per_s_per_gpu": claimed,
        "needed_steady_state_tokens_per_s_per_gpu": needed,
        "predicted_tokens_per_s_per_gpu": quant,
        "point_tokens_per_s_per_gpu": pred50,
        "predicted_mfu_16bit": r["mfu_16bit"],
        "hours_basis": "steady_state" if steady_state_hours else "wall_clock",
        "hours_basis_text": hours_words,
        "goodput": goodput,
        "layout": r["layout"] | ({"node_limit": node_limit} if node_limit else {}),
        "layout_text": shown,
        "layout_source": layout_source,
        "fits": r["fits"],
        "memory_gb_per_gpu": r["memory_gb_per_gpu"]["total"],
        "residual_basis": m["basis"],
        "residual_model": {k: m[k] for k in ("df", "loc", "scale", "n_rows", "stratum")},
        "system_efficiency": m["system_efficiency"],
        "rules": dict(RULES),
        "notes": notes,
    }
