"""Fitting and hold-out scoring of the utilization prior (see :mod:`.priors`): published runs
as :class:`FitRow`, least squares or REML with organization effects, leave-one-run-out and
leave-one-organization-out predictions, error and calibration scores."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .prior_dist import (
    _LAMBDA_GRID,
    BASELINE_MFU,
    CEILING_REFERENCE,
    SIZE_REFERENCE,
    MFUPrior,
    _log_gpus,
    _terms,
    sixteen_bit_peak,
)


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
    #: the performance model's predicted MFU ceiling (16-bit peak) for the run's shape on
    #: its accelerator and GPU count; filled by costmodel.analysis.prior_ceiling [1]
    ceiling: float | None = None
    #: the shape behind ``ceiling`` was derived from the parameter count, not published
    ceiling_derived: bool = False

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
    if "ceiling" in terms:
        missing = [r.id for r in rows if r.ceiling is None]
        if missing:
            raise ValueError(
                f"ceiling: no predicted MFU ceiling for {missing[:3]}; attach them with "
                "costmodel.analysis.prior_ceiling.with_ceilings"
            )
        names.append("ceiling")
        cols.append([math.log10(float(r.ceiling or 0) / CEILING_REFERENCE) for r in rows])
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
        r.active_params,
        r.family,
        r.moe,
        r.n_gpus,
        r.organization if known_org else None,
        r.ceiling,
    )
    return float(mu), float(sd)


def loo_predictions(rows: list[FitRow], model: str = "family+size"):
    """Leave-one-run-out: each row predicted by the prior fitted without it, as ``(mu, sd)``
    of ln mfu (its organization's effect used when the organization has other runs)."""
    return [
        _predict(fit(rows[:i] + rows[i + 1 :], model), r, known_org=True)
        for i, r in enumerate(rows)
    ]


def looo_predictions(rows: list[FitRow], model: str = "family+size") -> list[tuple[float, float]]:
    """Leave-one-organization-out: each row predicted by the prior fitted without any run
    of its organization (so as a new organization), as ``(mu, sd)`` of ln mfu."""
    out: dict[int, tuple[float, float]] = {}
    for org in sorted({r.organization for r in rows}):
        prior = fit([r for r in rows if r.organization != org], model)
        for i, r in enumerate(rows):
            if r.organization == org:
                out[i] = _predict(prior, r, known_org=False)
    return [out[i] for i in range(len(rows))]


def baseline_predictions(rows: list[FitRow]):
    """The constant-utilization baseline (:data:`BASELINE_MFU`; no interval)."""
    return [(math.log(BASELINE_MFU), 0.0) for _ in rows]


def score(rows: list[FitRow], preds, *, df: float | None = None) -> dict:
    """Error and calibration of predictions ``(mu, sd)`` of ln mfu, each truncated at its
    row's ``upper``: median |log10 error| of the median, share of reported values inside the
    central 50/80/90 % intervals, median 90 % width (p95/p05), the PIT values, and per row
    the |log10 error| (``abs_log10_errors``) and whether it fell inside the 90 % interval."""
    from scipy.special import ndtr, ndtri, stdtr, stdtrit

    cdf = (lambda z: ndtr(z)) if df is None else (lambda z: stdtr(df, z))
    ppf = (lambda p: ndtri(p)) if df is None else (lambda p: stdtrit(df, p))
    errs, pit, widths = [], [], []
    inside: dict[int, list[bool]] = {50: [], 80: [], 90: []}
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
    out: dict[str, Any] = {
        "n": len(rows),
        "median_abs_log10_error": float(np.median(errs)),
        "abs_log10_errors": [float(e) for e in errs],
    }
    if pit:
        out["inside_90"] = [bool(v) for v in inside[90]]
        out.update({f"coverage_{c}": float(np.mean(v)) for c, v in inside.items()})
        out.update(median_width_90=float(np.median(widths)), pit=[float(p) for p in pit])
    return out
