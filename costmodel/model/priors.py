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
    "GPUS_REFERENCE",
    "TERMS",
    "CANDIDATES",
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

#: ``active_params`` at which the family intercepts apply [count].
SIZE_REFERENCE = 1e10
#: cluster size at which the ``gpus`` term is zero [count].
GPUS_REFERENCE = 256
#: accelerators per billion active parameters at which the ``gpb`` term is zero [1/B].
GPB_REFERENCE = 30.0
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
_STD = NormalDist()
_LAMBDA_GRID = np.concatenate([[0.0], np.logspace(-3, 2, 81)])


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
    organization: str = ""
    hours_scope: str = ""
    n_gpus: int | None = None
    upper: float = 1.0

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


def run_rows(runs=None, *, grades=("primary",), scopes="all") -> list[FitRow]:
    """Runs with accelerator-hours and tokens, as :class:`FitRow` (sorted by id).

    ``scopes``: the ``hours_scope`` values kept (``"all"``: every run).
    """
    from ..data import store

    runs = store.load("runs") if runs is None else runs
    rows = []
    for r in sorted(runs.values(), key=lambda r: r.id):
        rep = r.reported
        if rep.gpu_hours is None or r.tokens is None or rep.gpu_hours_grade not in grades:
            continue
        if scopes != "all" and rep.hours_scope not in scopes:
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
                r.organization,
                rep.hours_scope or "",
                r.n_gpus,
                acc.matmul_ceiling_fraction or 1.0,
            )
        )
    return rows


def fit_rows(runs=None) -> list[FitRow]:
    """The prior's fit set: primary-graded hours of a comparable scope."""
    from ..data.schemas.runs import COMPARABLE_SCOPES

    return run_rows(runs, grades=("primary",), scopes=COMPARABLE_SCOPES)


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

    def design(self, active_params, family, moe=False, n_gpus=None):
        """Design rows ``X`` (…, p) and the extra variance of unseen families (arrays)."""
        n, f, m, g = np.broadcast_arrays(
            np.asarray(active_params, float),
            np.asarray(family, dtype=object),
            np.asarray(moe, dtype=float),
            np.asarray(np.nan if n_gpus is None else n_gpus, dtype=float),
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

    def log_params(self, active_params, family, moe=False, n_gpus=None, org=None):
        """Location and scale of ``ln(mfu)`` (arrays broadcast).

        ``org``: an organization the prior was fitted to gets its own effect; anything else
        (the default) is a new organization and carries the between-organization variance.
        """
        X, extra = self.design(active_params, family, moe, n_gpus)
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
        from scipy.special import stdtr

        return stdtr(self.df, z)

    def _ppf(self, p):
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
        if mu.size > 64 or self.df is not None:
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
        n_gpus: int | None = None,
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
def _columns(rows: list[FitRow], terms: set[str], families: list[str]):
    names, cols = [], []
    if "family" in terms:
        for f in families:
            names.append("family_" + f)
            cols.append([1.0 if r.family == f else 0.0 for r in rows])
    else:
        names.append("intercept")
        cols.append([1.0] * len(rows))
    if "size" in terms:
        names.append("size")
        cols.append([r.x for r in rows])
    if "moe" in terms:
        names.append("moe")
        cols.append([float(r.moe) for r in rows])
    for kind in ("gpus", "gpb"):
        if kind in terms:
            g = [np.nan if r.n_gpus is None else r.n_gpus for r in rows]
            v, unknown = _log_gpus(g, [r.active_params for r in rows], kind)
            names.append(kind)
            cols.append(list(v))
            if unknown.any() and not unknown.all():
                names.append(kind + "_unknown")
                cols.append(list(unknown))
    return names, np.array(cols, dtype=float).T


def _gls(UX, Uy, d, lam, rank):
    """GLS at variance ratios ``lam`` (array; ``W = I + lam·ZZᵀ = U diag(1 + lam·d) Uᵀ``) on
    the rotated data ``UX = UᵀX``, ``Uy = Uᵀy``, all ratios at once: (beta, (XᵀW⁻¹X)⁻¹, s²,
    restricted log-likelihood), each stacked along the first axis."""
    lam = np.atleast_1d(np.asarray(lam, float))
    w = 1.0 + lam[:, None] * d[None, :]
    sw = 1.0 / np.sqrt(w)
    Xs = UX[None, :, :] * sw[:, :, None]
    ys = Uy[None, :] * sw
    A = np.einsum("lni,lnj->lij", Xs, Xs)
    Ainv = np.linalg.pinv(A, hermitian=True)
    beta = np.einsum("lij,lj->li", Ainv, np.einsum("lni,ln->li", Xs, ys))
    r = ys - np.einsum("lni,li->ln", Xs, beta)
    n = len(Uy)
    s2 = np.einsum("ln,ln->l", r, r) / max(n - rank, 1)
    ev = np.linalg.eigvalsh(A)
    keep = ev > 1e-12 * ev.max(axis=1, keepdims=True)
    lda = np.sum(np.where(keep, np.log(np.where(keep, ev, 1.0)), 0.0), axis=1)
    ll = -0.5 * ((n - rank) * np.log(np.maximum(s2, 1e-300)) + np.log(w).sum(axis=1) + lda)
    return beta, Ainv, s2, ll


def fit(rows: list[FitRow], model: str = "family+size") -> MFUPrior:
    """Fit a candidate model to ``rows`` (see the module docstring)."""
    terms = _terms(model)
    families = sorted({r.family for r in rows}) if "family" in terms else []
    names, X = _columns(rows, terms, families)
    y = np.log([r.mfu for r in rows])
    n = len(rows)
    orgs = sorted({r.organization for r in rows})
    org_effects: dict[str, tuple[float, float]] = {}
    tau = 0.0
    rank = int(np.linalg.matrix_rank(X))
    if "org" in terms:
        Z = np.array([[1.0 if r.organization == o else 0.0 for o in orgs] for r in rows])
        d, U = np.linalg.eigh(Z @ Z.T)
        UX, Uy = U.T @ X, U.T @ y
        betas, Ainvs, s2s, ll = _gls(UX, Uy, d, _LAMBDA_GRID, rank)
        k = int(np.argmax(ll))
        best = float(_LAMBDA_GRID[k])
        beta, Ainv, s2 = betas[k], Ainvs[k], float(s2s[k])
        tau = math.sqrt(best * s2)
        W = np.eye(n) + best * (Z @ Z.T)
        Winv = np.linalg.inv(W)
        r = y - X @ beta
        u = best * Z.T @ Winv @ r
        # conditional variance of each effect: τ² − τ⁴ Z_jᵀ V⁻¹ Z_j  (V = s² W)
        v = s2 * (best - best**2 * np.einsum("ij,ik,kj->j", Z, Winv, Z))
        org_effects = {o: (float(u[j]), float(max(v[j], 0.0))) for j, o in enumerate(orgs)}
    else:
        betas, Ainvs, s2s, _ = _gls(X, y, np.zeros(n), 0.0, rank)
        beta, Ainv, s2 = betas[0], Ainvs[0], float(s2s[0])
    icpt = [beta[i] for i, nm in enumerate(names) if nm.startswith("family_")]
    counts = {f: sum(r.family == f for r in rows) for f in families} if families else {"all": n}
    xs = [r.x for r in rows]
    return MFUPrior(
        model=model,
        names=tuple(names),
        coef=np.asarray(beta, float),
        coef_cov=s2 * Ainv,
        residual_sd=math.sqrt(s2),
        between_family_sd=float(np.std(icpt, ddof=1)) if len(icpt) > 1 else 0.0,
        between_org_sd=tau,
        n_runs=n,
        runs=tuple(r.id for r in rows),
        family_counts=counts,
        org_effects=org_effects,
        x_range=(min(xs), max(xs)),
    )


def _predict(prior: MFUPrior, r: FitRow, *, known_org: bool):
    mu, sd = prior.log_params(
        r.active_params, r.family, r.moe, r.n_gpus, r.organization if known_org else None
    )
    return float(mu), float(sd)


def loo_predictions(rows: list[FitRow], model: str = "family+size"):
    """Leave-one-run-out: each row predicted by the prior fitted without it, as ``(mu, sd)``
    of ln mfu (its organization's effect used when the organization has other runs)."""
    return [
        _predict(fit(rows[:i] + rows[i + 1 :], model), r, known_org=True)
        for i, r in enumerate(rows)
    ]


def looo_predictions(rows: list[FitRow], model: str = "family+size"):
    """Leave-one-organization-out: each row predicted by the prior fitted without any run
    of its organization (so as a new organization), as ``(mu, sd)`` of ln mfu."""
    out: list[tuple[float, float] | None] = [None] * len(rows)
    for org in sorted({r.organization for r in rows}):
        prior = fit([r for r in rows if r.organization != org], model)
        for i, r in enumerate(rows):
            if r.organization == org:
                out[i] = _predict(prior, r, known_org=False)
    return out  # type: ignore[return-value]


def baseline_predictions(rows: list[FitRow]):
    """The constant-utilization baseline (:data:`BASELINE_MFU`; no interval)."""
    return [(math.log(BASELINE_MFU), 0.0) for _ in rows]


def score(rows: list[FitRow], preds, *, df: float | None = None) -> dict:
    """Error and calibration of predictions ``(mu, sd)`` of ln mfu, each truncated at its
    row's ``upper``: median |log10 error| of the median, share of reported values inside the
    central 50/80/90 % intervals, median 90 % width (p95/p05), and the PIT values."""
    from scipy.special import ndtr, ndtri, stdtr, stdtrit

    cdf = (lambda z: ndtr(z)) if df is None else (lambda z: stdtr(df, z))
    ppf = (lambda p: ndtri(p)) if df is None else (lambda p: stdtrit(df, p))
    errs, pit, widths = [], [], []
    inside = {50: [], 80: [], 90: []}
    for r, (mu, sd) in zip(rows, preds, strict=True):
        y, lu = math.log(r.mfu), math.log(r.upper)
        if sd <= 0:  # a point prediction
            errs.append(abs(min(mu, lu) - y) / math.log(10))
            continue
        cu = float(cdf((lu - mu) / sd))
        med = min(mu + sd * float(ppf(0.5 * cu)), lu)
        errs.append(abs(med - y) / math.log(10))
        u = min(float(cdf((y - mu) / sd)) / cu, 1.0)
        pit.append(u)
        for c in inside:
            inside[c].append(abs(u - 0.5) <= c / 200.0)
        q05 = mu + sd * float(ppf(0.05 * cu))
        q95 = min(mu + sd * float(ppf(0.95 * cu)), lu)
        widths.append(math.exp(q95 - q05))
    out = {"n": len(rows), "median_abs_log10_error": float(np.median(errs))}
    if pit:
        out.update(
            {f"coverage_{c}": float(np.mean(v)) for c, v in inside.items()}
            | {"median_width_90": float(np.median(widths)), "pit": [float(p) for p in pit]}
        )
    return out


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
