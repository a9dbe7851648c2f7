"""Goodput: the productive fraction of reserved GPU time, from failures and checkpoints.

A synchronous run stops when any of its ``N`` accelerators fails. With Poisson failures of
rate ``Λ = N·λ`` (``M = 1/Λ``), a checkpoint blocking ``δ`` s after every ``τ`` s of work and
a restart (detection, rescheduling, reload) of ``R`` s per failure, Daly's [2]_ complete model
gives the expected wall-clock time per unit of useful work::

    T_w / T_s = (M / τ) · e^{R/M} · (e^{(τ+δ)/M} − 1)          goodput = T_s / T_w

To first order this is Young's [1]_ waste per unit of useful time, ``δ/τ + Λ(τ/2 + R)``, and
goodput ``1 / (1 + waste)``: the waste is time *added* to the useful time, and ``1 − waste``
(a further linearisation) turns negative once the waste passes 1. The expected fraction does
not depend on the run's length ([2]_: wall time is proportional to the work); the length sets
how far a finite run's failure count strays, which :func:`goodput_distribution` samples.

References
----------
.. [1] Young, "A first order approximation to the optimum checkpoint interval", CACM 17(9):
       530-531 (1974), doi:10.1145/361147.361115 (``τ_opt = sqrt(2·δ·M)``).
.. [2] Daly, "A higher order estimate of the optimum checkpoint interval for restart dumps",
       FGCS 22(3):303-312 (2006), doi:10.1016/j.future.2004.11.016 (complete cost function;
       perturbation series for ``τ_opt``; Figs. 3-5: 117, 57, 9.1 min at M = 24 h, 6 h,
       15 min, δ = 5 min).
.. [3] Meta, "The Llama 3 Herd of Models", arXiv 2407.21783: §3.3.4 (466 interruptions, 47
       planned and 419 unexpected, in a 54-day snapshot; "higher than 90% effective training
       time"); §3.3.1, Table 4 (16,384 H100; storage 2 TB/s sustained, 7 TB/s peak).
.. [4] Kokolis et al., "Revisiting Reliability in Large-Scale Machine Learning Research
       Clusters", arXiv 2410.21680 v2 (HPCA 2025), ETTR model: "rf ≈5 × 10−3 failures per GPU
       node-day of runtime, wcp ≈5 mins, u0 ≈5 −20 mins"; RSC-1 6.50 and RSC-2 2.34 failures
       per 1000 node-days as secondary readings quote them (RSC-1's reproduces the paper's
       projected MTTF, 1.8 h at 16,384 GPUs and 0.23 h at 131,072, at 8 GPUs a node).
.. [5] Rajbhandari et al., "ZeRO", arXiv 1910.02054, §3.1 (mixed-precision Adam: 2 bytes of
       fp16 weights, 2 of gradients, K = 12 of fp32 optimizer states per parameter).
.. [6] Jiang et al., "MegaScale", arXiv 2402.15627 (NSDI 2024), §6.3: detection and diagnosis
       under 10 min, catch-up "within 15 minutes ..., maintaining over 90% effective training
       time rate", over 100 recoveries in several weeks on more than 10,000 GPUs.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from .distbase import Dist
from .distfamilies import LogUniform, Uniform
from .numeric import scalar_or_array as _out

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

# fmt: off
__all__ = [
    "GPUS_PER_NODE_RSC", "LLAMA3_FAILURE_RATE_PER_GPU_HOUR", "KOKOLIS_FAILURE_RATE_PER_GPU_HOUR",
    "RSC1_FAILURE_RATE_PER_GPU_HOUR", "RSC2_FAILURE_RATE_PER_GPU_HOUR",
    "FAILURE_RATE_PER_GPU_HOUR", "RESTART_S_RANGE", "RESTART_S", "STORAGE_BYTES_PER_S_RANGE",
    "STORAGE_BYTES_PER_S", "CHECKPOINT_BYTES_PER_PARAM", "SOURCES", "job_mtbf_s",
    "state_write_s", "young_interval_s", "daly_interval_s", "optimal_interval_s",
    "goodput_fraction", "goodput_distribution",
]
# fmt: on

_S_PER_H = 3600.0
_H_PER_DAY = 24.0

#: GPUs per node on Meta's RSC clusters (DGX A100); with it RSC-1's rate gives [4]'s MTTFs.
GPUS_PER_NODE_RSC = 8
#: Llama 3 405B: 419 unexpected interruptions / (16,384 GPUs × 54 days × 24 h) [3] §3.3.4.
LLAMA3_FAILURE_RATE_PER_GPU_HOUR = 419 / (16384 * 54 * 24)
#: Meta's RSC clusters: rf ≈ 5e-3 failures per node-day [4], eight GPUs a node.
KOKOLIS_FAILURE_RATE_PER_GPU_HOUR = 5e-3 / (GPUS_PER_NODE_RSC * 24)
#: RSC-1: 6.50 failures per 1000 node-days [4] (the highest sourced rate).
RSC1_FAILURE_RATE_PER_GPU_HOUR = 6.50e-3 / (GPUS_PER_NODE_RSC * 24)
#: RSC-2: 2.34 failures per 1000 node-days [4] (the lowest sourced rate).
RSC2_FAILURE_RATE_PER_GPU_HOUR = 2.34e-3 / (GPUS_PER_NODE_RSC * 24)
#: Point default 2.03e-5: the geometric middle of RSC-2..RSC-1 (the sampled median).
FAILURE_RATE_PER_GPU_HOUR = math.sqrt(
    RSC1_FAILURE_RATE_PER_GPU_HOUR * RSC2_FAILURE_RATE_PER_GPU_HOUR
)
#: Restart overhead u0 ≈ 5-20 min on the RSC clusters [4] (detection, rescheduling, reload);
#: MegaScale's detection and diagnosis under 10 min and catch-up within 15 min [6] fall inside.
RESTART_S_RANGE = (300.0, 1200.0)
#: Point default: the middle of :data:`RESTART_S_RANGE`, 12.5 min.
RESTART_S = 0.5 * (RESTART_S_RANGE[0] + RESTART_S_RANGE[1])
#: Llama 3's storage, 2 TB/s sustained, 7 TB/s peak [3] §3.3.1: an assumption elsewhere.
STORAGE_BYTES_PER_S_RANGE = (2e12, 7e12)
#: Point default: the sustained figure (checkpoint bursts get the peak only briefly).
STORAGE_BYTES_PER_S = STORAGE_BYTES_PER_S_RANGE[0]
#: Checkpointed bytes per parameter: fp16 weights 2 + fp32 Adam states 12 [5] (no gradients).
CHECKPOINT_BYTES_PER_PARAM = 14.0

#: Where each default comes from, as :func:`goodput_distribution` reports it.
SOURCES = (
    "model: Daly 2006 (doi:10.1016/j.future.2004.11.016) expected time under Poisson failures, "
    "checkpoint interval at its exact optimum; Young 1974 (doi:10.1145/361147.361115) first order",
    "failure_rate_per_gpu_hour: log-uniform 1.22e-5..3.39e-5, Kokolis et al. arXiv 2410.21680 "
    "(RSC-2 2.34 and RSC-1 6.50 failures per 1000 node-days, 8 GPUs a node); Llama 3 "
    "arXiv 2407.21783 s3.3.4 (419 unexpected interruptions, 54 days, 16,384 GPUs: 1.97e-5) inside",
    "restart_s: uniform 300..1200 s, Kokolis et al. arXiv 2410.21680 (u0 ≈ 5-20 min)",
    "storage_bytes_per_s: log-uniform 2e12..7e12 B/s, Llama 3 arXiv 2407.21783 s3.3.1 (Tectonic "
    "2 TB/s sustained, 7 TB/s peak); an assumption for other clusters",
    "bytes_per_param: 14, ZeRO arXiv 1910.02054 s3.1 (fp16 weights + fp32 Adam states)",
    "finite run: the failure count is Poisson, so short or small runs spread wider",
)

_MODELS = ("daly2006", "young1974")


def _check(name: str, x: np.ndarray, *, low: float = 0.0, strict: bool = False) -> None:
    bad = (x <= low) if strict else (x < low)
    if np.any(bad | np.isnan(x)):
        first = x[bad | np.isnan(x)].flat[0]
        rel, v = (">" if strict else ">="), float(first)
        raise InputError(f"{name} must be {rel} {low:g}, got {v:g}; pass a value {rel} {low:g}")


def job_mtbf_s(n_gpus: ArrayLike, failure_rate_per_gpu_hour: ArrayLike) -> np.ndarray | float:
    """Mean time between job-stopping failures ``M = 1 / (N·λ)`` [s] of a synchronous run of
    ``n_gpus`` [count] at ``failure_rate_per_gpu_hour`` [1/h]; a zero rate gives ``inf``.

    Examples
    --------
    RSC-1's rate at 16,384 GPUs, in hours (Kokolis et al. project 1.8 h):

    >>> round(job_mtbf_s(16384, RSC1_FAILURE_RATE_PER_GPU_HOUR) / 3600, 2)
    1.8
    """
    n, lam = np.asarray(n_gpus, float), np.asarray(failure_rate_per_gpu_hour, float)
    _check("n_gpus", n, strict=True)
    _check("failure_rate_per_gpu_hour", lam)
    rate_per_s = n * lam / _S_PER_H
    with np.errstate(divide="ignore"):
        return _out(np.where(rate_per_s > 0, 1.0 / rate_per_s, np.inf))


def state_write_s(
    params: ArrayLike,
    *,
    bytes_per_param: ArrayLike = CHECKPOINT_BYTES_PER_PARAM,
    storage_bytes_per_s: ArrayLike = STORAGE_BYTES_PER_S,
) -> np.ndarray | float:
    """Checkpoint write time ``δ = params · bytes_per_param / storage_bytes_per_s`` [s].

    ``params`` [count]; ``bytes_per_param`` [B], default 14 (ZeRO §3.1: fp16 weights + fp32
    Adam states); ``storage_bytes_per_s`` aggregate write bandwidth [B/s], default 2e12
    (Llama 3 §3.3.1, sustained).

    Examples
    --------
    >>> round(state_write_s(405e9), 3)
    2.835
    """
    p, b, bw = (np.asarray(v, float) for v in (params, bytes_per_param, storage_bytes_per_s))
    _check("params", p)
    _check("bytes_per_param", b)
    _check("storage_bytes_per_s", bw, strict=True)
    return _out(p * b / bw)


def young_interval_s(checkpoint_write_s: ArrayLike, mtbf_s: ArrayLike) -> np.ndarray | float:
    """Young's first-order optimum checkpoint interval ``sqrt(2·δ·M)`` [1]_.

    Examples
    --------
    >>> young_interval_s(300.0, 86400.0)
    7200.0
    """
    d, m = np.asarray(checkpoint_write_s, float), np.asarray(mtbf_s, float)
    _check("checkpoint_write_s", d)
    _check("mtbf_s", m, strict=True)
    return _out(np.sqrt(2.0 * d * m))


def daly_interval_s(checkpoint_write_s: ArrayLike, mtbf_s: ArrayLike) -> np.ndarray | float:
    """Daly's higher-order optimum checkpoint interval (compute time between dumps) [2]_.

    Notes
    -----
    ``τ = sqrt(2δM)·[1 + (δ/2M)^{1/2}/3 + (δ/2M)/9] − δ`` for ``δ < 2M``, else ``τ = M``.

    Examples
    --------
    Daly's Fig. 3 (M = 24 h, δ = 5 min), in minutes:

    >>> round(daly_interval_s(300.0, 86400.0) / 60)
    117
    """
    d, m = np.asarray(checkpoint_write_s, float), np.asarray(mtbf_s, float)
    _check("checkpoint_write_s", d)
    _check("mtbf_s", m, strict=True)
    x = d / (2.0 * m)
    with np.errstate(invalid="ignore"):
        series = np.sqrt(2.0 * d * m) * (1.0 + np.sqrt(x) / 3.0 + x / 9.0) - d
    return _out(np.where(x < 1.0, series, m))


def optimal_interval_s(checkpoint_write_s: ArrayLike, mtbf_s: ArrayLike) -> np.ndarray | float:
    """Exact maximiser of Daly's goodput over the checkpoint interval ``τ`` [2]_.

    Notes
    -----
    ``d/dτ [τ / (e^{(τ+δ)/M} − 1)] = 0`` gives ``1 − e^{−(t+ε)} = t`` with ``t = τ/M`` and
    ``ε = δ/M``; its root in (0, 1) is found by bisection (64 halvings). Daly's perturbation
    series (:func:`daly_interval_s`) and Young's rule approximate it for small ``ε``. An
    infinite ``M`` (no failures) gives ``inf``.

    Examples
    --------
    >>> round(optimal_interval_s(300.0, 21600.0) / 60)
    57
    """
    d, m = np.broadcast_arrays(np.asarray(checkpoint_write_s, float), np.asarray(mtbf_s, float))
    _check("checkpoint_write_s", d)
    _check("mtbf_s", m, strict=True)
    finite = np.isfinite(m)
    eps = np.where(finite, d / np.where(finite, m, 1.0), 0.0)
    lo, hi = np.zeros_like(eps), np.ones_like(eps)
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        above = -np.expm1(-(mid + eps)) > mid
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    return _out(np.where(finite, 0.5 * (lo + hi) * np.where(finite, m, 1.0), np.inf))


def goodput_fraction(
    n_gpus: ArrayLike,
    params: ArrayLike,
    *,
    failure_rate_per_gpu_hour: ArrayLike = FAILURE_RATE_PER_GPU_HOUR,
    restart_s: ArrayLike = RESTART_S,
    bytes_per_param: ArrayLike = CHECKPOINT_BYTES_PER_PARAM,
    storage_bytes_per_s: ArrayLike = STORAGE_BYTES_PER_S,
    checkpoint_write_s: ArrayLike | None = None,
    checkpoint_interval_s: ArrayLike | None = None,
    planned_stops_per_day: ArrayLike = 0.0,
    other_overhead_fraction: ArrayLike = 0.0,
    model: str = "daly2006",
) -> np.ndarray | float:
    """Expected productive fraction of a synchronous run's reserved GPU time.

    Parameters
    ----------
    n_gpus, params : array_like
        Accelerators in the job [count]; parameters, for the checkpoint size [count].
    failure_rate_per_gpu_hour : array_like, default 2.03e-5
        Job-stopping failures per accelerator-hour [1/h] (:data:`FAILURE_RATE_PER_GPU_HOUR`).
    restart_s : array_like, default 750
        Detection, rescheduling and reload after each failure [s] (Kokolis: 5-20 min).
    bytes_per_param, storage_bytes_per_s : array_like
        Checkpoint size per parameter [B] and storage write bandwidth [B/s]; see
        :func:`state_write_s`. Ignored when ``checkpoint_write_s`` is given.
    checkpoint_write_s : array_like, optional
        Blocking time of one checkpoint [s], overriding the size/bandwidth estimate.
    checkpoint_interval_s : array_like, optional
        Useful compute between checkpoints [s]; default the optimum for ``model``
        (:func:`optimal_interval_s` for ``"daly2006"``, :func:`young_interval_s` else).
    planned_stops_per_day : array_like, default 0
        Planned stops (maintenance, a checkpoint first, so no lost work) per wall-clock day
        [1/day]; each costs ``restart_s``. Llama 3 had 47 in 54 days.
    other_overhead_fraction : array_like, default 0
        Further lost share of wall-clock time (evaluation pauses, stragglers) [1], in [0, 1);
        no source gives a general value, so none is assumed.
    model : {"daly2006", "young1974"}
        Daly's exact expected time (default) or Young's first order ``1 / (1 + waste)``.

    Returns
    -------
    float or ndarray
        Goodput [1], in (0, 1]; :class:`InputError` for an input out of its domain.

    Notes
    -----
    ``Λ = N·λ``, ``δ`` the checkpoint write, ``τ`` the interval, ``R`` the restart:
    ``daly2006``: ``τΛ / (e^{RΛ}·(e^{(τ+δ)Λ} − 1))``; ``young1974``:
    ``1 / (1 + δ/τ + Λ(τ/2 + R))``. Both are then multiplied by
    ``(1 − planned_stops · R) · (1 − other_overhead_fraction)``.

    Examples
    --------
    Llama 3 405B on 16,384 GPUs with the defaults (Meta: "higher than 90%"):

    >>> round(goodput_fraction(16384, 405e9, planned_stops_per_day=47 / 54), 3)
    0.905
    """
    if model not in _MODELS:
        raise InputError(f"model must be one of {list(_MODELS)}, got {model!r}")
    m = np.asarray(job_mtbf_s(n_gpus, failure_rate_per_gpu_hour), float)
    r = np.asarray(restart_s, float)
    _check("restart_s", r)
    if checkpoint_write_s is None:
        kw = {"bytes_per_param": bytes_per_param, "storage_bytes_per_s": storage_bytes_per_s}
        d = np.asarray(state_write_s(params, **kw))
    else:
        d = np.asarray(checkpoint_write_s, float)
        _check("checkpoint_write_s", d)
    if checkpoint_interval_s is None:
        rule = optimal_interval_s if model == "daly2006" else young_interval_s
        tau = np.asarray(rule(d, m), float)
    else:
        tau = np.asarray(checkpoint_interval_s, float)
        _check("checkpoint_interval_s", tau, strict=True)
    stops, other = (np.asarray(v, float) for v in (planned_stops_per_day, other_overhead_fraction))
    _check("planned_stops_per_day", stops)
    _check("other_overhead_fraction", other)
    planned = stops * r / (_H_PER_DAY * _S_PER_H)
    if np.any(planned >= 1.0) or np.any(other >= 1.0):
        raise InputError("planned stops × restart_s and other_overhead_fraction must each be < 1")
    g = _goodput(np.where(np.isfinite(m), 1.0 / m, 0.0), r, d, tau, model)
    return _out(g * (1.0 - planned) * (1.0 - other))


def _goodput(lam: np.ndarray, r: np.ndarray, d: np.ndarray, tau: np.ndarray, model: str):
    """Goodput at job failure rate ``lam`` [1/s]; masks for Λ = 0, τ = ∞ and δ = 0."""
    t = np.where(np.isfinite(tau), tau, 1.0)
    fails = lam > 0
    lam1 = np.where(fails, lam, 1.0)
    with np.errstate(invalid="ignore", over="ignore"):
        if model == "daly2006":
            g = t * lam1 / (np.exp(r * lam1) * np.expm1((t + d) * lam1))
            g = np.where(fails, g, t / (t + d))
        else:
            d_b, t_b = np.broadcast_arrays(d, t)
            ckpt = np.divide(d_b, t_b, out=np.zeros(d_b.shape), where=d_b > 0)
            g = 1.0 / (1.0 + ckpt + lam * (0.5 * t + r))
    return np.where(np.isfinite(tau), g, 1.0)


def _draw(x: float | Dist, u: np.ndarray) -> np.ndarray:
    return x.ppf(u) if isinstance(x, Dist) else np.full(u.shape, float(x))


def goodput_distribution(
    n_gpus: float,
    params: float,
    steady_state_days: float,
    *,
    failure_rate_per_gpu_hour: float | Dist | None = None,
    restart_s: float | Dist | None = None,
    storage_bytes_per_s: float | Dist | None = None,
    bytes_per_param: float = CHECKPOINT_BYTES_PER_PARAM,
    checkpoint_write_s: float | None = None,
    planned_stops_per_day: float = 0.0,
    other_overhead_fraction: float = 0.0,
    n_samples: int = 20000,
    seed: int = 0,
) -> dict:
    """Goodput of one run as percentiles over its uncertain inputs and its failure count.

    ``n_gpus`` [count], ``params`` [count] and ``steady_state_days``, the failure-free
    duration at steady-state throughput [days], which sets how many failures to expect. The
    three uncertain inputs take a value or a :class:`Dist` overriding the sourced default
    (:data:`SOURCES`): log-uniform rate [1/h], uniform :data:`RESTART_S_RANGE` [s],
    log-uniform :data:`STORAGE_BYTES_PER_S_RANGE` [B/s]. The rest are as in
    :func:`goodput_fraction`; ``n_samples`` draws with ``seed`` (reproducible).

    Returns ``{"p05", "p50", "p95"}`` goodput [1] and ``"sources"``, strings naming where
    each default comes from (overridden inputs are named as given).

    Per draw the interval is planned at the optimum for the drawn rate, the run's failures are
    ``k ~ Poisson(N·λ·T_w)`` (``T_w`` the expected wall time), and the goodput is Daly's
    expression at the realized rate ``k / T_w`` with that interval.

    Examples
    --------
    >>> d = goodput_distribution(16384, 405e9, 54.0)
    >>> d["p05"] < 0.9 < d["p95"]
    True
    """
    days = np.asarray(steady_state_days, float)
    _check("steady_state_days", days, strict=True)
    if n_samples < 1:
        raise InputError(f"n_samples must be >= 1, got {n_samples}; pass a positive count")
    lam_d = LogUniform(RSC2_FAILURE_RATE_PER_GPU_HOUR, RSC1_FAILURE_RATE_PER_GPU_HOUR)
    names = ("failure_rate_per_gpu_hour", "restart_s", "storage_bytes_per_s")
    values = (failure_rate_per_gpu_hour, restart_s, storage_bytes_per_s)
    dists = (lam_d, Uniform(*RESTART_S_RANGE), LogUniform(*STORAGE_BYTES_PER_S_RANGE))
    pairs = zip(names, values, strict=True)
    given: dict[str, float | Dist] = {k: v for k, v in pairs if v is not None}
    rng = np.random.default_rng(seed)
    u = rng.random((3, n_samples))
    lam, r, bw = (_draw(given.get(k, dd), x) for k, dd, x in zip(names, dists, u, strict=True))
    if checkpoint_write_s is None:
        d = np.asarray(
            state_write_s(params, bytes_per_param=bytes_per_param, storage_bytes_per_s=bw), float
        )
    else:
        d = np.full(n_samples, float(checkpoint_write_s))
    tau = np.asarray(optimal_interval_s(d, job_mtbf_s(n_gpus, lam)), float)
    lam_s = n_gpus * lam / _S_PER_H  # job failures [1/s]
    wall_s = days * _H_PER_DAY * _S_PER_H / _goodput(lam_s, r, d, tau, "daly2006")
    realized = _goodput(rng.poisson(lam_s * wall_s) / wall_s, r, d, tau, "daly2006")
    realized = realized * (1.0 - planned_stops_per_day * r / (_H_PER_DAY * _S_PER_H))
    realized = realized * (1.0 - other_overhead_fraction)
    p05, p50, p95 = (float(q) for q in np.quantile(realized, [0.05, 0.5, 0.95]))
    kept = tuple(s for s in SOURCES if s.split(":", 1)[0] not in given)
    named = tuple(f"{k}: {v!r} (given)" for k, v in given.items())
    return {"p05": p05, "p50": p50, "p95": p95, "sources": kept + named}
