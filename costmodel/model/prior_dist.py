"""The utilization prior as a distribution: model terms, :class:`MFUPrior` (design rows,
location and scale of ``ln mfu``, truncated quantiles and tails). Fitting is in
:mod:`.prior_fit`; :mod:`.priors` is the public face of both (see its docstring)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

SIZE_REFERENCE = 1e10
#: cluster size at which the ``gpus`` term is zero [count].
GPUS_REFERENCE = 256
#: accelerators per billion active parameters at which the ``gpb`` term is zero [1/B].
GPB_REFERENCE = 30.0
#: predicted MFU ceiling at which the ``ceiling`` term is zero [1].
CEILING_REFERENCE = 0.5
#: degrees of freedom of the Student-t predictive (``t`` term); fixed, not fitted.
T_DF = 5.0
#: the constant-utilization baseline: 40 % of the 16-bit dense peak.
BASELINE_MFU = 0.40
TERMS = {
    "family": "one intercept per accelerator family (else one pooled intercept)",
    "size": "slope on log10(active_params / 1e10)",
    "moe": "shift for mixture-of-experts runs",
    "gpus": "slope on log10(n_gpus / 256), with a shift for runs whose cluster size is "
    "not published",
    "gpb": "slope on log10(accelerators per billion active parameters / 30), with a shift "
    "for runs whose cluster size is not published",
    "ceiling": "slope on log10(predicted MFU ceiling / 0.5): the performance model's best "
    "layout for the run's shape (published, else derived) on its accelerator and GPU count",
    "org": "organization random intercept (partial pooling, REML)",
    "t": f"Student-t predictive with {T_DF:g} degrees of freedom instead of normal",
}
#: Candidate models compared by the fit script (first: the baseline of issue 12).
CANDIDATES = (
    "family+size",
    "pooled",
    "family",
    "size",
    "family+size+moe",
    "family+size+gpus",
    "family+size+gpb",
    "family+size+org",
    "size+org",
    "family+size+gpus+org",
    "family+size+gpb+org",
    "family+size+org+t",
    "family+size+gpb+org+t",
)
#: Candidates with the physics-informed ``ceiling`` term (issue 12, item 4). Scored by the
#: fit script like the others, but they need each run's predicted ceiling, which only the
#: performance model (a layer above this one) computes
#: (:func:`costmodel.analysis.prior_ceiling.with_ceilings`), so they are kept apart from
#: :data:`CANDIDATES` (which ``check`` refits for every claim without the performance model).
CEILING_CANDIDATES = (
    "ceiling+size",
    "ceiling+size+org",
    "family+size+ceiling",
    "family+size+ceiling+org",
    "ceiling+size+org+t",
)
_STD = NormalDist()
#: up to this many values, quantiles and tails are computed in pure Python (no scipy import
#: for a point estimate)
_SMALL = 64


def t5_cdf(t: float) -> float:
    """CDF of Student's t with 5 degrees of freedom, closed form (Abramowitz & Stegun
    26.7.4, odd ν): ``1/2 + (θ + sin θ (cos θ + ⅔ cos³ θ)) / π`` with ``θ = atan(t/√5)``."""
    th = math.atan(t / math.sqrt(5.0))
    c = math.cos(th)
    return 0.5 + (th + math.sin(th) * (c + (2.0 / 3.0) * c**3)) / math.pi


def t5_ppf(p: float) -> float:
    """Inverse of :func:`t5_cdf` by bisection then Newton steps (pdf
    ``8 / (3π√5) · (1 + t²/5)⁻³``), to about 1e-12 [1]."""
    if not 0.0 < p < 1.0:
        return -math.inf if p <= 0.0 else math.inf
    lo, hi = -1e3, 1e3
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if t5_cdf(mid) < p:
            lo = mid
        else:
            hi = mid
    t = 0.5 * (lo + hi)
    for _ in range(3):
        t -= (t5_cdf(t) - p) / (8.0 / (3.0 * math.pi * math.sqrt(5.0)) * (1 + t * t / 5.0) ** -3)
    return t


_LAMBDA_GRID = np.concatenate([[0.0], np.logspace(-3, 2, 81)])


def sixteen_bit_peak(acc) -> float:
    """BF16 dense peak, or FP16 where the accelerator has no BF16 (V100) [FLOP/s]."""
    p = acc.peak_dense_tflop_per_s
    return 1e12 * (p["bf16"] if "bf16" in p else p["fp16"])


def _terms(model: str) -> set[str]:
    if model == "pooled":
        return set()
    terms = set(model.split("+"))
    bad = terms - set(TERMS)
    if bad:
        raise ValueError(f"model: unknown term(s) {sorted(bad)}; terms are {sorted(TERMS)}")
    return terms


def _log_gpus(n_gpus, active_params, kind: str):
    """The ``gpus``/``gpb`` covariate and its "unknown" indicator (arrays)."""
    g = np.asarray(n_gpus, dtype=float)
    known = np.isfinite(g) & (g > 0)
    gs = np.where(known, g, 1.0)
    if kind == "gpus":
        v = np.log10(gs / GPUS_REFERENCE)
    else:
        v = np.log10(gs / (np.asarray(active_params, float) / 1e9) / GPB_REFERENCE)
    return np.where(known, v, 0.0), (~known).astype(float)


@dataclass(frozen=True)
class MFUPrior:
    """A fitted prior: coefficients by name, their covariance and the variance parts."""

    model: str
    names: tuple[str, ...]
    coef: np.ndarray
    coef_cov: np.ndarray
    residual_sd: float
    between_family_sd: float
    between_org_sd: float = 0.0
    n_runs: int = 0
    runs: tuple[str, ...] = ()
    family_counts: dict[str, int] = field(default_factory=dict)
    #: organization effects (BLUP mean, conditional variance) of the fitted organizations
    org_effects: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: log10(active_params / 1e10) of the smallest and largest fitted runs: the size slope is
    #: not extrapolated beyond them
    x_range: tuple[float, float] = (-math.inf, math.inf)

    # ------------------------------------------------------------------ structure
    @property
    def terms(self) -> set[str]:
        return _terms(self.model)

    @property
    def df(self) -> float | None:
        """Student-t degrees of freedom, or None for the normal predictive."""
        return T_DF if "t" in self.terms else None

    @property
    def families(self) -> list[str]:
        return [n.removeprefix("family_") for n in self.names if n.startswith("family_")]

    @property
    def intercepts(self) -> dict[str, float]:
        """ln(mfu) at 10B active parameters per family (pooled: key ``all``)."""
        if "intercept" in self.names:
            return {"all": float(self.coef[self.names.index("intercept")])}
        return {f: float(self.coef[self.names.index("family_" + f)]) for f in self.families}

    @property
    def slope(self) -> float:
        return float(self.coef[self.names.index("size")]) if "size" in self.names else 0.0

    @property
    def moe_effect(self) -> float:
        return float(self.coef[self.names.index("moe")]) if "moe" in self.names else 0.0

    @property
    def pooled(self) -> bool:
        return "intercept" in self.names

    def outside_fit(self, active_params) -> bool:
        """True when a model size lies outside the fitted runs (the prior then uses the
        nearest fitted size instead of extrapolating the slope)."""
        x = np.log10(np.asarray(active_params, float) / SIZE_REFERENCE)
        return bool(np.any((x < self.x_range[0]) | (x > self.x_range[1])))

    def _x(self, active_params) -> np.ndarray:
        x = np.log10(np.asarray(active_params, float) / SIZE_REFERENCE)
        return np.clip(x, *self.x_range)

    def design(self, active_params, family, moe=False, n_gpus=None, ceiling=None):
        """Design rows ``X`` (…, p) and the extra variance of unseen families (arrays).

        ``ceiling``: the predicted MFU ceiling, needed by (only) a ``ceiling`` model."""
        if "ceiling" in self.names and ceiling is None:
            raise ValueError(
                f"ceiling: the {self.model} prior needs the predicted MFU ceiling of the run "
                "(costmodel.analysis.prior_ceiling)"
            )
        n, f, m, g, c = np.broadcast_arrays(
            np.asarray(active_params, float),
            np.asarray(family, dtype=object),
            np.asarray(moe, dtype=float),
            np.asarray(np.nan if n_gpus is None else n_gpus, dtype=float),
            np.asarray(np.nan if ceiling is None else ceiling, dtype=float),
        )
        X = np.zeros(n.shape + (len(self.names),))
        extra = np.zeros(n.shape)
        fams = self.families
        for i, name in enumerate(self.names):
            if name == "intercept":
                X[..., i] = 1.0
            elif name == "size":
                X[..., i] = self._x(n)
            elif name == "moe":
                X[..., i] = m
            elif name == "ceiling":
                X[..., i] = np.log10(c / CEILING_REFERENCE)
            elif name in ("gpus", "gpb"):
                X[..., i] = _log_gpus(g, n, name)[0]
            elif name in ("gpus_unknown", "gpb_unknown"):
                X[..., i] = _log_gpus(g, n, name.split("_")[0])[1]
        if fams:
            k0 = self.names.index("family_" + fams[0])
            seen = np.zeros(n.shape, bool)
            for j, fam in enumerate(fams):
                sel = f == fam
                X[..., k0 + j] = sel
                seen |= sel
            # unseen family: the mean intercept, widened by the spread between families
            X[~seen, k0 : k0 + len(fams)] = 1.0 / len(fams)
            extra = np.where(seen, 0.0, self.between_family_sd**2)
        return X, extra

    def log_params(self, active_params, family, moe=False, n_gpus=None, org=None, ceiling=None):
        """Location and scale of ``ln(mfu)`` (arrays broadcast).

        ``org``: an organization the prior was fitted to gets its own effect; anything else
        (the default) is a new organization and carries the between-organization variance.
        ``ceiling``: the predicted MFU ceiling (``ceiling`` models only).
        """
        X, extra = self.design(active_params, family, moe, n_gpus, ceiling)
        mu = X @ self.coef
        var = self.residual_sd**2 + extra + np.einsum("...i,ij,...j->...", X, self.coef_cov, X)
        if org is not None and org in self.org_effects:
            u, v = self.org_effects[org]
            mu = mu + u
            var = var + v
        else:
            var = var + self.between_org_sd**2
        return mu, np.sqrt(var)

    # ------------------------------------------------------------------ distribution
    def _cdf(self, z):
        if self.df is None:
            from math import erf

            return np.vectorize(lambda t: 0.5 * (1.0 + erf(t / math.sqrt(2.0))))(z)
        if self.df == 5 and np.size(z) <= _SMALL:
            return np.vectorize(t5_cdf)(z)
        from scipy.special import stdtr

        return stdtr(self.df, z)

    def _ppf(self, p):
        if self.df == 5 and np.size(p) <= _SMALL:
            return np.vectorize(t5_ppf)(p)
        if self.df is None:
            from scipy.special import ndtri

            return ndtri(p)
        from scipy.special import stdtrit

        return stdtrit(self.df, p)

    def dist(self, active_params: float, family: str, moe: bool = False, upper: float = 1.0):
        """The prior for one scenario as a :class:`~costmodel.dist.LogNormal` truncated to
        ``(0, upper]`` (``upper``: the accelerator's matmul ceiling, else 1).

        For a Student-t prior this is the lognormal of the same location and scale (its
        quantiles and tails are narrower; use :meth:`ppf` and :meth:`p_at_least`)."""
        from ..formulas.dist import LogNormal

        mu, sd = self.log_params(active_params, family, moe)
        return LogNormal(math.exp(float(mu)), math.exp(float(sd)), 0.0, upper)

    def median(self, active_params, family, moe=False, upper=1.0):
        """Median MFU of the prior truncated to ``(0, upper]`` [1].

        ``exp(μ + σ·F⁻¹(F(z_u)/2))`` with ``z_u = (ln upper − μ)/σ``; small normal inputs
        use the standard library (so a point estimate never imports scipy).
        """
        mu, sd = self.log_params(active_params, family, moe)
        lu = np.log(np.broadcast_to(np.asarray(upper, float), mu.shape))
        if mu.size > _SMALL or self.df is not None:
            z = self._ppf(0.5 * self._cdf((lu - mu) / sd))
            return np.minimum(np.exp(mu + sd * z), np.exp(lu))
        out = np.empty(mu.shape)
        for idx in np.ndindex(mu.shape):
            m, s, u = float(mu[idx]), float(sd[idx]), float(lu[idx])
            out[idx] = min(math.exp(m + s * _STD.inv_cdf(0.5 * _STD.cdf((u - m) / s))), math.exp(u))
        return out

    def ppf(self, u, active_params, family, moe=False, upper=1.0):
        """Quantiles of the truncated prior at ``u`` (vectorized) [1]."""
        mu, sd = self.log_params(active_params, family, moe)
        lu = np.log(np.broadcast_to(np.asarray(upper, float), mu.shape))
        p = np.asarray(u, float) * self._cdf((lu - mu) / sd)
        return np.minimum(np.exp(mu + sd * self._ppf(np.clip(p, 1e-300, 1.0))), np.exp(lu))

    def p_at_least(
        self,
        mfu: float,
        active_params: float,
        family: str,
        moe: bool = False,
        upper: float = 1.0,
        org: str | None = None,
        n_gpus: float | None = None,
    ) -> float:
        """P(MFU ≥ ``mfu``) under the truncated prior, exactly (no sampling); ``org`` and
        ``n_gpus`` as in :meth:`log_params`."""
        if mfu >= upper:
            return 0.0
        if mfu <= 0:
            return 1.0
        mu, sd = (float(v) for v in self.log_params(active_params, family, moe, n_gpus, org))
        cu = float(self._cdf((math.log(upper) - mu) / sd))
        return (cu - float(self._cdf((math.log(mfu) - mu) / sd))) / cu

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
        org = (
            ", as for an organization not in the data (between-organization spread included)"
            if self.between_org_sd > 0
            else ""
        )
        shape = f"Student-t ({self.df:g} df) on ln mfu" if self.df else "lognormal"
        return (
            f"mfu not given: data-derived prior ({self.model}), {shape} median "
            f"{float(self.median(active_params, family, upper=upper)):.3f}, "
            f"geometric sd {d.gsd:.2f}, on the 16-bit dense peak, end-to-end{cap}{org} "
            f"(fitted to {self.n_runs} published runs; {basis}; "
            f"presets/priors/mfu-6nd.toml)"
        )


# ---------------------------------------------------------------------- fitting
