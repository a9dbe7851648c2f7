"""Sampling and summaries: sample → evaluate (one vectorized call per chunk) → summarize.

Every stochastic function takes ``rng`` (a ``numpy.random.Generator``, a seed, or ``None``)
and calls ``numpy.random.default_rng(rng)``; nothing touches global random state
(Scientific Python SPEC 7).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = [
    "SUMMARY_OUTPUTS",
    "MAX_SAMPLES",
    "CHUNK",
    "summarize",
    "draw_uniforms",
    "Samples",
    "simulate",
    "uncertain_names",
    "inputs_from_uniforms",
    "evaluate_inputs",
]

#: Outputs summarized by ``estimate --samples`` when they can be computed.
SUMMARY_OUTPUTS = (
    "gpu_hours",
    "cost_usd",
    "wall_clock_days",
    "energy_kwh",
    "co2e_kg",
    "model_flop",
    "mfu",
    "tokens_per_s_per_gpu",
    "ownership_usd_per_gpu_hour",
    "ownership_cost_usd",
)
#: Largest sample count accepted (16 MB per kept output; ~200 MB for all of them).
MAX_SAMPLES = 2_000_000
#: Samples evaluated at a time, so intermediate arrays stay well under 64 MiB.
CHUNK = 1 << 18


def summarize(x: np.ndarray, quantiles: tuple[float, ...] = (0.05, 0.5, 0.95)) -> dict:
    """Percentiles, mean and the Monte Carlo standard error of the mean.

    Parameters
    ----------
    x : ndarray
        Samples of one output.
    quantiles : tuple of float
        Probabilities in (0, 1); ``0.05`` is reported as ``p05``.

    Returns
    -------
    dict
        ``p05``, ``p50``, ``p95`` (or the requested ones), ``mean``, ``stderr``
        (standard deviation / √n; for QMC and stratified points an upper bound; exactly 0
        for a constant;
        ``None`` for a single sample) and ``n``. With no finite sample, every value but
        ``n`` is ``None``.

    Examples
    --------
    >>> s = summarize(np.arange(1.0, 102.0))
    >>> s["p50"], s["mean"], s["n"]
    (51.0, 51.0, 101)
    """
    x = np.asarray(x, float).ravel()
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return {_qname(q): None for q in quantiles} | {"mean": None, "stderr": None, "n": 0}
    if x[0] == x.min() == x.max():  # a constant (an output no uncertain input reaches)
        c = float(x[0])
        return {_qname(q): c for q in quantiles} | {
            "mean": c,
            "stderr": 0.0 if n > 1 else None,
            "n": int(n),
        }
    qs = _quantiles(x, quantiles)
    out: dict[str, float | None] = {_qname(q): float(v) for q, v in zip(quantiles, qs, strict=True)}
    # moments of the data shifted by one sample (the "shifted data" variance algorithm):
    # no cancellation against a large mean, so a constant output has mean = the constant
    # and standard error exactly 0, not the rounding noise of summing 1e22-sized numbers.
    # Where squares of the shifts overflow (1e160 and up) they are scaled by the largest.
    with np.errstate(over="ignore", invalid="ignore"):
        d = x - x[0]
        mean, sd = d.mean(), d.std(ddof=1) if n > 1 else 0.0
        if not (math.isfinite(mean) and math.isfinite(sd)):
            s = float(np.max(np.abs(d)))
            if math.isfinite(s):
                u = d / s
                mean, sd = s * u.mean(), s * u.std(ddof=1)
        if math.isfinite(mean) and math.isfinite(sd):
            out["mean"] = float(x[0] + mean)
            out["stderr"] = float(sd / math.sqrt(n)) if n > 1 else None
        else:  # samples spread wider than the largest float: no finite moments to report
            out["mean"] = out["stderr"] = None
    out["n"] = int(n)
    return out


def _quantiles(x: np.ndarray, probs: tuple[float, ...]) -> list[float]:
    """``np.quantile(x, probs)`` (its default, linear method, and its interpolation), by one
    partition: ``np.quantile`` imports ``numpy.ma``, a twentieth of a point estimate's
    start-up."""
    h = np.asarray(probs, float) * (x.size - 1)  # the virtual index of each probability
    lo = np.floor(h).astype(np.intp)
    hi = np.minimum(lo + 1, x.size - 1)
    part = np.partition(x, np.concatenate([lo, hi]))
    a, b, t = part[lo], part[hi], h - lo
    with np.errstate(over="ignore", invalid="ignore"):
        d = b - a  # numpy's _lerp: from the nearer end, so t = 1 gives b exactly
        q = np.where(t >= 0.5, b - d * (1 - t), a + d * t)
        # neighbours more than the largest float apart: weigh them instead of subtracting
        wide = ~np.isfinite(d) & np.isfinite(a) & np.isfinite(b)
        q[wide] = (a * (1 - t) + b * t)[wide]
    return q.tolist()


def _qname(q: float) -> str:
    pct = q * 100
    return f"p{int(round(pct)):02d}" if abs(pct - round(pct)) < 1e-9 else f"p{pct:g}"


def draw_uniforms(
    n: int, d: int, rng=None, *, qmc: bool = False, stratified: bool = False
) -> np.ndarray:
    """``(n, d)`` uniforms on (0, 1): pseudo-random, scrambled Sobol points, or (one
    dimension only) stratified.

    Sobol points are balanced only for ``n`` a power of two; other ``n`` are allowed.
    ``stratified`` gives the midpoints ``(k + 1/2) / n`` of ``n`` equal-probability strata,
    each once, in bit-reversed (van der Corput) order of ``k``, so any first ``m`` of them
    are spread over (0, 1) too (gaps under ~4/m). It uses no random numbers.
    """
    if stratified:
        if d > 1:
            raise InputError(
                f"stratified sampling covers one uncertain input; this scenario has {d}"
            )
        if d == 0:
            return np.empty((n, 0))
        bits = max(1, (n - 1).bit_length())  # <= 21 bits: n <= MAX_SAMPLES
        k = _reverse_bits(np.arange(1 << bits, dtype=np.uint32)) >> np.uint32(32 - bits)
        k = k[k < n]  # a permutation of 0..n-1
        return ((k + 0.5) / n)[:, None]
    from .validate import rng as as_rng

    rng = as_rng(rng)
    if d == 0:
        return np.empty((n, 0))
    if not qmc:
        return rng.random((n, d))
    from scipy.stats import qmc as _qmc

    sampler = _qmc.Sobol(d, scramble=True, seed=rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        u = sampler.random(n)
    return np.clip(u, 1e-12, 1 - 1e-12)


def _reverse_bits(v: np.ndarray) -> np.ndarray:
    """The 32 bits of each ``uint32`` in reverse order (swap halves, bytes, nibbles, pairs,
    bits: five whole-array steps)."""
    for shift, mask in ((1, 0x55555555), (2, 0x33333333), (4, 0x0F0F0F0F), (8, 0x00FF00FF)):
        m, s = np.uint32(mask), np.uint32(shift)
        v = ((v >> s) & m) | ((v & m) << s)
    return (v >> np.uint32(16)) | (v << np.uint32(16))


@dataclass
class Samples:
    """Inputs drawn and outputs evaluated by :func:`simulate`.

    ``inputs`` and ``outputs`` map names to length-``n`` arrays (outputs that could not
    be computed are absent).
    """

    n: int
    method: str
    inputs: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]
    assumptions: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> np.ndarray:
        if name in self.outputs:
            return self.outputs[name]
        return self.inputs[name]

    def summary(self, quantiles: tuple[float, ...] = (0.05, 0.5, 0.95)) -> dict[str, dict]:
        """:func:`summarize` for every output."""
        return {k: summarize(v, quantiles) for k, v in self.outputs.items()}

    def to_dict(self) -> dict[str, list]:
        """Columns as plain lists."""
        return {k: np.asarray(v).tolist() for k, v in {**self.inputs, **self.outputs}.items()}

    def to_pandas(self):
        """A ``pandas.DataFrame`` with one row per sample (needs pandas)."""
        from ..errors import require_pandas

        pd = require_pandas()

        return pd.DataFrame({**self.inputs, **self.outputs})


def check_samples(n: Any) -> int:
    """Validate a sample count."""
    import numbers

    from .validate import shown

    if isinstance(n, bool | np.bool_) or not isinstance(n, numbers.Real):
        raise InputError(f"samples: expected a whole number, got {shown(n)}")
    try:
        # an Integral converts exactly; any other Real (float, Fraction, numpy float)
        # through float, which every Real supports
        k = int(n) if isinstance(n, numbers.Integral) else int(float(n))
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"samples: {shown(n)} is not a whole number") from None
    if k != n or k < 0:
        raise InputError(f"samples: {shown(n)} must be a whole number >= 0")
    if k > MAX_SAMPLES:
        raise InputError(
            f"samples: {k:,} exceeds the limit of {MAX_SAMPLES:,}; "
            f"1e5 samples already give percentiles to about 1 %"
        )
    return k


def uncertain_names(scenario) -> list[str]:
    """Names of the scenario's uncertain inputs, in sampling order.

    Distributions first (sorted), then ``mfu`` when it comes from the utilization prior.
    """
    names = sorted(scenario.uncertain())
    if getattr(scenario, "mfu_prior", None) is not None:
        names.append("mfu")
    return names


def inputs_from_uniforms(scenario, names: list[str], u: np.ndarray) -> dict[str, np.ndarray]:
    """Map uniforms ``u`` (n × len(names)) to input values by each input's quantile function.

    The utilization prior is conditional on ``active_params`` (sampled or fixed).
    """
    unc = scenario.uncertain()
    out = {k: unc[k].ppf(u[:, i]) for i, k in enumerate(names) if k in unc}
    if "mfu" in names and "mfu" not in unc:
        base = scenario.point_values()
        n_act = out.get("active_params", base["active_params"])
        out["mfu"] = scenario.prior_ppf(u[:, names.index("mfu")], n_act)
    return out


def evaluate_inputs(
    scenario, inputs: dict[str, np.ndarray], keep: tuple[str, ...], n: int
) -> dict[str, np.ndarray]:
    """Evaluate sampled inputs in chunks of :data:`CHUNK`; keep only ``keep`` outputs."""
    base = scenario.point_values()
    prior = getattr(scenario, "mfu_prior", None) is not None and "mfu" not in scenario.uncertain()
    outputs: dict[str, list[np.ndarray]] = {}
    for start in range(0, n, CHUNK):
        sl = slice(start, min(start + CHUNK, n))
        vals = dict(base)
        vals.update({k: x[sl] for k, x in inputs.items()})
        if prior and "mfu" in vals and vals["mfu"] is not None:
            vals["mfu_prior"] = vals.pop("mfu")
        res = scenario.evaluate(vals)
        m = sl.stop - sl.start
        for k in keep:
            r = res.get(k)
            if r is not None:
                outputs.setdefault(k, []).append(np.broadcast_to(r, (m,)).astype(float))
    return {k: np.concatenate(v) for k, v in outputs.items()}


def simulate(
    scenario,
    n: int,
    rng=None,
    *,
    qmc: bool = False,
    keep: tuple[str, ...] = SUMMARY_OUTPUTS,
    stratified: bool = False,
) -> Samples:
    """Monte Carlo (or QMC, or stratified) over a scenario's uncertain inputs.

    Parameters
    ----------
    scenario : Scenario
        Inputs; those given as distributions (and ``mfu`` when it comes from the prior)
        are sampled, the rest held fixed.
    n : int
        Number of samples (at most :data:`MAX_SAMPLES`).
    rng : numpy.random.Generator, int or None
        Random source (SPEC 7).
    qmc : bool, default False
        Scrambled Sobol points instead of pseudo-random ones.
    keep : tuple of str
        Outputs to keep.
    stratified : bool, default False
        For a scenario with at most one uncertain input: evaluate it at the midpoints of
        ``n`` equal-probability strata of its distribution (:func:`draw_uniforms`) instead of
        at random draws. Percentiles are then exact to within ``1/(2n)`` in probability and
        the same for every ``rng``; :func:`costmodel.estimate` uses it whenever one input is
        uncertain.

    Returns
    -------
    Samples

    Notes
    -----
    Inputs are sampled by their quantile functions from one ``(n, d)`` array of uniforms;
    evaluation runs in chunks of :data:`CHUNK` samples, each one vectorized call of
    :meth:`Scenario.evaluate`, so memory stays bounded.

    Examples
    --------
    >>> import costmodel
    >>> sc = costmodel.Scenario(active_params=37e9, tokens=14.8e12, gpu="h800-sxm",
    ...                         precision="bf16", mfu=costmodel.dist.uniform(0.25, 0.45),
    ...                         price_usd_per_gpu_hour=2)
    >>> s = costmodel.simulate(sc, 1000, rng=0)
    >>> s.n, sorted(s.inputs)
    (1000, ['mfu'])
    """
    n = check_samples(n)
    if n == 0:
        raise InputError("samples: need at least 1 sample to simulate")
    from .scenario import Scenario
    from .validate import check_rng, flag
    from .validate import rng as as_rng

    if not isinstance(scenario, Scenario):
        raise InputError(
            f"scenario: expected a costmodel.Scenario, got {type(scenario).__name__}; "
            "build one with costmodel.Scenario(...)"
        )
    qmc = flag("qmc", qmc)
    stratified = flag("stratified", stratified)
    if stratified and qmc:
        raise InputError("stratified: give either qmc=True or stratified=True, not both")
    rng = check_rng(rng) if stratified else as_rng(rng)
    from .validate import names as output_names

    keep = output_names("keep", keep)
    base = scenario.point_values()
    names = uncertain_names(scenario)
    if stratified and len(names) > 1:
        raise InputError(
            f"stratified: covers one uncertain input; this scenario has {len(names)} "
            f"({', '.join(names)}); sample them with Monte Carlo or qmc=True"
        )
    for k, v in base.items():
        if k not in names and v is not None and np.ndim(v) > 0 and np.size(v) > 1:
            raise InputError(
                f"{k}: an array input cannot be combined with sampling; "
                f"use a distribution or a sweep"
            )
    u = draw_uniforms(n, len(names), rng, qmc=qmc, stratified=stratified)
    inputs = inputs_from_uniforms(scenario, names, u)
    outputs = evaluate_inputs(scenario, inputs, keep, n)
    method = "sobol-qmc" if qmc else "stratified" if stratified else "monte-carlo"
    return Samples(
        n=n, method=method, inputs=inputs, outputs=outputs, assumptions=list(scenario.assumptions)
    )
