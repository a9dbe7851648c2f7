"""Utilization-prior preset schema."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Sourced, Strict


class PriorGroup(Strict):
    """One accelerator family's intercept in a utilization prior."""

    family: str
    intercept: float = Field(description="ln(mfu) at active_params = 1e10 [ln 1]")
    n_runs: int = Field(ge=0)


class PriorOrganization(Strict):
    """One organization's fitted effect (partial pooling) in a utilization prior."""

    organization: str
    effect: float = Field(description="best linear unbiased predictor of u[org] [ln 1]")
    variance: float = Field(ge=0, description="its conditional variance [(ln 1)^2]")
    n_runs: int = Field(ge=0)


class CandidateScore(Strict):
    """Leave-one-run-out (loro) and leave-one-organization-out (looo) scores of a model."""

    model: str
    loro_median_abs_log10: float
    loro_coverage_50: float | None = None
    loro_coverage_80: float | None = None
    loro_coverage_90: float | None = None
    loro_median_width_90: float | None = None
    looo_median_abs_log10: float
    looo_coverage_50: float | None = None
    looo_coverage_80: float | None = None
    looo_coverage_90: float | None = None
    looo_median_width_90: float | None = None


class PriorPreset(Sourced):
    """A fitted utilization prior (written by scripts/fit_priors.py)."""

    description: str
    model: str = Field(pattern=r"^(pooled|[a-z]+(\+[a-z]+)*)$")
    convention: Literal["6nd"] = "6nd"
    denominator: str
    size_reference_params: float = Field(gt=0)
    slope_per_decade: float
    residual_sd: float = Field(gt=0)
    between_family_sd: float = Field(ge=0)
    between_org_sd: float = Field(0.0, ge=0)
    n_runs: int = Field(gt=0)
    min_active_params: float = Field(gt=0, description="smallest fitted run; no extrapolation")
    max_active_params: float = Field(gt=0, description="largest fitted run; no extrapolation")
    coef_names: tuple[str, ...]
    coef: tuple[float, ...]
    coef_cov: tuple[tuple[float, ...], ...]
    hours_scopes: tuple[str, ...] = Field(description="hours_scope values of the fitted runs")
    excluded_runs: tuple[str, ...] = Field(
        (), description="primary runs left out of the fit, each with its hours_scope"
    )
    runs: tuple[str, ...]
    groups: tuple[PriorGroup, ...]
    organizations: tuple[PriorOrganization, ...] = ()
    candidates: tuple[CandidateScore, ...] = ()
    baseline: CandidateScore | None = None
    chosen_because: str = ""

    @model_validator(mode="after")
    def _shapes(self) -> PriorPreset:
        k = len(self.coef_names)
        if len(self.coef) != k:
            raise ValueError(f"coef must have {k} entries (one per coef_names entry)")
        if len(self.coef_cov) != k or any(len(r) != k for r in self.coef_cov):
            raise ValueError(f"coef_cov must be {k} x {k} (one row per coef_names entry)")
        if len(self.runs) != self.n_runs:
            raise ValueError(f"runs lists {len(self.runs)} ids but n_runs is {self.n_runs}")
        return self
