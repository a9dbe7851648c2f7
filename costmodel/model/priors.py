"""Data-derived utilization priors, fitted to the published runs in ``presets/runs``.

Model (chosen by leave-one-out error among the candidates in :data:`CANDIDATES`; the fit
script ``scripts/fit_priors.py`` records the comparison in the priors file)::

    ln(mfu) = a[family] + b · log10(active_params / 1e10) + ε,   ε ~ Normal(0, s²)

``mfu`` here is end-to-end: the ``6nd`` numerator over the reported accelerator-hours times
the 16-bit (BF16/FP16) dense peak. Downtime inside the reported hours is part of it, so
``goodput`` defaults to 1 when the prior is used. The prediction for a new run is lognormal
with the predictive standard deviation ``sqrt(s² + x₀ᵀ Σ x₀)`` (``Σ`` the coefficient
covariance), widened by the between-family spread for a family with no published run, and
truncated to (0, 1].

Why the 16-bit peak even for FP8 runs: published FP8 runs do not realize FP8's 2× peak
end to end (DeepSeek-V3: 34.6 % of the BF16 peak, 19.9 % of its blended FP8/BF16 peak), and
our own H200 measurement found naive FP8 training steps 1.2–1.3× slower than BF16
(shared/reference/h200_fp8_2026-11-28.json). Epoch AI likewise uses the 16-bit peak for
FP8-trained models. So the prior credits no FP8 speed-up; a user who expects one gives
``mfu`` explicitly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

__all__ = [
    "SIZE_REFERENCE",
    "CANDIDATES",
    "FitRow",
    "MFUPrior",
    "sixteen_bit_peak",
    "run_rows",
    "fit",
    "load",
    "loo_predictions",
    "convention_ratio",
]

#: ``active_params`` at which the family intercepts apply [count].
SIZE_REFERENCE = 1e10
#: Candidate models compared by the fit script.
CANDIDATES = ("pooled", "family", "size", "family+size", "family+size+moe")
_STD = NormalDist()


def sixteen_bit_peak(acc) -> float:
    """BF16 dense peak, or FP16 where the accelerator has no BF16 (V100) [FLOP/s]."""
    p = acc.peak_dense_tflop_per_s
    return 1e12 * (p["bf16"] if "bf16" in p else p["fp16"])


@dataclass(frozen=True)
class FitRow:
    """One published run as the prior sees it."""

    id: str
    family: str
    active_params: float
    tokens: float
    gpu_hours: float
    peak_flop_per_s: float
    moe: bool
    grade: str
    basis: str

    @property
    def mfu(self) -> float:
        """End-to-end 6ND utilization of the 16-bit peak [1]."""
        return (
            6.0
            * self.active_params
            * self.tokens
            / (self.gpu_hours * 3600.0 * self.peak_flop_per_s)
        )

    @property
    def x(self) -> float:
        return math.log10(self.active_params / SIZE_REFERENCE)


def run_rows(runs=None, *, grades=("primary",)) -> list[FitRow]:
    """Runs with accelerator-hours and tokens, as :class:`FitRow` (sorted by id)."""
    from ..data import store

    runs = store.load("runs") if runs is None else runs
    rows = []
    for r in sorted(runs.values(), key=lambda r: r.id):
        rep = r.reported
        if rep.gpu_hours is None or r.tokens is None or rep.gpu_hours_grade not in grades:
            continue
        acc = store.get("accelerators", r.gpu)
        rows.append(
            FitRow(
                r.id,
                acc.family,
                r.active_params_,
                r.tokens,
                rep.gpu_hours,
                sixteen_bit_peak(acc),
                r.is_moe,
                rep.gpu_hours_grade,
                rep.gpu_hours_basis,
            )
        )
    return rows


@dataclass(frozen=True)
class MFUPrior:
    """A fitted prior: family intercepts, a size slope, and their uncertainty."""

    intercepts: dict[str, float]
    slope: float
    residual_sd: float
    coef_cov: np.ndarray
    between_family_sd: float
    n_runs: int
    runs: tuple[str, ...] = ()
    family_counts: dict[str, int] = field(default_factory=dict)
    moe_effect: float = 0.0
    pooled: bool = False
    #: log10(active_params / 1e10) of the smallest and largest fitted runs: the size slope is
    #: not extrapolated beyond them
    x_range: tuple[float, float] = (-math.inf, math.inf)

    def outside_fit(self, active_params) -> bool:
        """True when a model size lies outside the fitted runs (the prior then uses the
        nearest fitted size instead of extrapolating the slope)."""
        x = np.log10(np.asarray(active_params, float) / SIZE_REFERENCE)
        return bool(np.any((x < self.x_range[0]) | (x > self.x_range[1])))

    def _x(self, active_params) -> np.ndarray:
        x = np.log10(np.asarray(active_params, float) / SIZE_REFERENCE)
        return np.clip(x, *self.x_range)

    @property
    def families(self) -> list[str]:
        return sorted(self.intercepts)

    def _x0(self, family: str, x: float, moe: bool) -> tuple[float, np.ndarray, float]:
        if self.pooled:
            family = "all"
        fams = self.families
        k = len(fams)
        extra = 0.0
        vec = np.zeros(self.coef_cov.shape[0])
        if family in self.intercepts:
            a = self.intercepts[family]
            vec[fams.index(family)] = 1.0
        else:  # unseen family: the mean intercept, widened by the spread between families
            a = float(np.mean(list(self.intercepts.values())))
            vec[:k] = 1.0 / k
            extra = self.between_family_sd**2
        vec[k] = x
        mu = a + self.slope * x
        if self.coef_cov.shape[0] > k + 1:
            vec[k + 1] = float(moe)
            mu += self.moe_effect * float(moe)
        var = self.residual_sd**2 + float(vec @ self.coef_cov @ vec) + extra
        return mu, vec, math.sqrt(var)

    def log_params(self, active_params, family, moe=False):
        """Mean and sd of ``ln(mfu)`` (arrays broadcast; vectorized per family)."""
        n, f, m = np.broadcast_arrays(
            np.asarray(active_params, float), np.asarray(family, dtype=object), np.asarray(moe)
        )
        x = self._x(n)
        mu = np.empty(n.shape)
        sd = np.empty(n.shape)
        for fam in set(f.ravel().tolist()):
            sel = f == fam
            # x0 = [intercept weights..., x, moe]: the quadratic form is linear in x and x²
            mu0, v0, sd0 = self._x0(str(fam), 0.0, False)
            k = len(self.families)
            cov = self.coef_cov
            w = v0.copy()
            w[k] = 0.0
            xs = x[sel]
            var = sd0**2 + 2.0 * xs * float(w @ cov[:, k]) + xs * xs * cov[k, k]
            mu[sel] = mu0 + self.slope * xs
            if cov.shape[0] > k + 1:
                ms = m[sel].astype(float)
                var += (
                    2.0 * ms * float(w @ cov[:, k + 1])
                    + ms * cov[k + 1, k + 1]
                    + 2.0 * xs * ms * cov[k, k + 1]
                )
                mu[sel] += self.moe_effect * ms
            sd[sel] = np.sqrt(var)
        return mu, sd

    def dist(self, active_params: float, family: str, moe: bool = False, upper: float = 1.0):
        """The prior for one scenario as a :class:`~costmodel.dist.LogNormal` truncated to
        ``(0, upper]`` (``upper``: the accelerator's matmul ceiling, else 1)."""
        from ..formulas.dist import LogNormal

        mu, _, sd = self._x0(family, float(self._x(active_params)), moe)
        return LogNormal(math.exp(mu), math.exp(sd), 0.0, upper)

    def median(self, active_params, family, moe=False, upper=1.0):
        """Median MFU of the prior truncated to ``(0, upper]`` [1].

        ``exp(μ + σ·Φ⁻¹(Φ(z_u)/2))`` with ``z_u = (ln upper − μ)/σ``; small inputs use the
        standard library (so a point estimate never imports scipy), large arrays
        ``scipy.special``.
        """
        mu, sd = self.log_params(active_params, family, moe)
        lu = np.log(np.broadcast_to(np.asarray(upper, float), mu.shape))
        if mu.size > 64:
            from scipy.special import ndtr, ndtri

            return np.minimum(np.exp(mu + sd * ndtri(0.5 * ndtr((lu - mu) / sd))), np.exp(lu))
        out = np.empty(mu.shape)
        for idx in np.ndindex(mu.shape):
            m, s, u = float(mu[idx]), float(sd[idx]), float(lu[idx])
            out[idx] = min(math.exp(m + s * _STD.inv_cdf(0.5 * _STD.cdf((u - m) / s))), math.exp(u))
        return out

    def ppf(self, u, active_params, family, moe=False, upper=1.0):
        """Quantiles of the truncated prior at ``u`` (vectorized) [1]."""
        from scipy.special import ndtr, ndtri

        mu, sd = self.log_params(active_params, family, moe)
        lu = np.log(np.broadcast_to(np.asarray(upper, float), mu.shape))
        p = np.asarray(u, float) * ndtr((lu - mu) / sd)
        return np.minimum(np.exp(mu + sd * ndtri(np.clip(p, 1e-300, 1.0))), np.exp(lu))

    def p_at_least(
        self, mfu: float, active_params: float, family: str, moe: bool = False, upper: float = 1.0
    ) -> float:
        """P(MFU ≥ ``mfu``) under the truncated prior, exactly (no sampling)."""
        if mfu >= upper:
            return 0.0
        if mfu <= 0:
            return 1.0
        mu, _, sd = self._x0(family, float(self._x(active_params)), moe)
        cu = _STD.cdf((math.log(upper) - mu) / sd)
        return (cu - _STD.cdf((math.log(mfu) - mu) / sd)) / cu

    def describe(self, active_params: float, family: str, upper: float = 1.0) -> str:
        """One line for ``assumptions``."""
        d = self.dist(active_params, family, upper=upper)
        seen = self.family_counts.get("all" if self.pooled else family, 0)
        basis = (
            f"{seen} published {family} runs"
            if seen
            else f"no published {family} run: all families pooled, widened by the "
            f"between-family spread"
        )
        cap = (
            f", truncated at the accelerator's measured matmul ceiling {upper:.1%}"
            if upper < 1
            else ""
        )
        return (
            f"mfu not given: data-derived prior, lognormal median {d.median():.3f}, "
            f"geometric sd {d.gsd:.2f}, on the 16-bit dense peak, end-to-end{cap} "
            f"(fitted to {self.n_runs} published runs; {basis}; "
            f"presets/priors/mfu-6nd.toml)"
        )


def _design(rows: list[FitRow], model: str, families: list[str]) -> np.ndarray:
    cols = []
    if "family" in model:
        cols += [[1.0 if r.family == f else 0.0 for r in rows] for f in families]
    else:
        cols.append([1.0] * len(rows))
    if "size" in model:
        cols.append([r.x for r in rows])
    if "moe" in model:
        cols.append([float(r.moe) for r in rows])
    return np.array(cols, dtype=float).T


def fit(rows: list[FitRow], model: str = "family+size") -> MFUPrior:
    """Ordinary least squares on ``ln(mfu)``; see the module docstring.

    Models without a family term put every family on the pooled intercept; models without
    a size term get a zero slope.
    """
    if model not in CANDIDATES:
        raise ValueError(f"model: {model!r} is not one of {CANDIDATES}")
    families = sorted({r.family for r in rows}) if "family" in model else ["all"]
    X = _design(rows, model, families)
    y = np.log([r.mfu for r in rows])
    n, p = X.shape
    xtx_inv = np.linalg.pinv(X.T @ X)
    beta = xtx_inv @ X.T @ y
    resid = y - X @ beta
    s2 = float(resid @ resid) / max(n - p, 1)
    cov = s2 * xtx_inv
    k = len(families)
    intercepts = {f: float(beta[i]) for i, f in enumerate(families)}
    # full covariance layout: [intercepts..., slope, (moe)]
    size = "size" in model
    moe = "moe" in model
    dim = k + 1 + (1 if moe else 0)
    full = np.zeros((dim, dim))
    idx = list(range(k)) + ([k] if size else []) + ([k + 1] if moe else [])
    full[np.ix_(idx, idx)] = cov
    slope = float(beta[k]) if size else 0.0
    tau = float(np.std(list(intercepts.values()), ddof=1)) if k > 1 else 0.0
    counts = {f: sum(r.family == f or f == "all" for r in rows) for f in families}
    xs = [r.x for r in rows]
    return MFUPrior(
        intercepts=intercepts,
        slope=slope,
        residual_sd=math.sqrt(s2),
        coef_cov=full,
        between_family_sd=tau,
        n_runs=n,
        runs=tuple(r.id for r in rows),
        family_counts=counts,
        moe_effect=float(beta[k + (1 if size else 0)]) if moe else 0.0,
        pooled="family" not in model,
        x_range=(min(xs), max(xs)),
    )


def loo_predictions(rows: list[FitRow], model: str = "family+size"):
    """Leave-one-out: for each row, the prior fitted without it, as ``(mu, sd)`` of ln mfu."""
    out = []
    for i, r in enumerate(rows):
        prior = fit(rows[:i] + rows[i + 1 :], model)
        mu, _, sd = prior._x0(r.family, r.x, r.moe)
        out.append((mu, sd))
    return out


_loaded: dict[str, MFUPrior] = {}


def load(prior_id: str = "mfu-6nd") -> MFUPrior:
    """The prior stored in ``presets/priors`` (cached)."""
    from ..data import store

    p = store.get("priors", prior_id)
    key = f"{prior_id}:{id(p)}"
    if key not in _loaded:
        groups = {g.family: g for g in p.groups}
        fams = sorted(groups)
        prior = MFUPrior(
            intercepts={f: groups[f].intercept for f in fams},
            slope=p.slope_per_decade,
            residual_sd=p.residual_sd,
            coef_cov=np.array(p.coef_cov, dtype=float),
            between_family_sd=p.between_family_sd,
            n_runs=p.n_runs,
            runs=tuple(p.runs),
            family_counts={f: groups[f].n_runs for f in fams},
            x_range=(
                math.log10(p.min_active_params / SIZE_REFERENCE),
                math.log10(p.max_active_params / SIZE_REFERENCE),
            ),
        )
        _loaded[key] = prior
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
    docs/methodology.md §4). ``6nd`` is 1 by definition. ``rows`` defaults to the primary
    runs the prior is fitted to (:func:`run_rows`).
    """
    if convention == "6nd":
        return 1.0, 0
    from ..data import store

    rows = run_rows() if rows is None else rows
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
