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


class CandidateScore(Strict):
    """Leave-one-out performance of a candidate prior model."""

    model: str
    loo_median_abs_log10: float
    loo_coverage_90: float
    loo_median_width: float


class PriorPreset(Sourced):
    """A fitted utilization prior (written by scripts/fit_priors.py)."""

    description: str
    model: Literal["pooled", "family", "size", "family+size", "family+size+moe"]
    convention: Literal["6nd"] = "6nd"
    denominator: str
    size_reference_params: float = Field(gt=0)
    slope_per_decade: float
    residual_sd: float = Field(gt=0)
    between_family_sd: float = Field(ge=0)
    n_runs: int = Field(gt=0)
    min_active_params: float = Field(gt=0, description="smallest fitted run; no extrapolation")
    max_active_params: float = Field(gt=0, description="largest fitted run; no extrapolation")
    coef_names: tuple[str, ...]
    coef_cov: tuple[tuple[float, ...], ...]
    runs: tuple[str, ...]
    groups: tuple[PriorGroup, ...]
    candidates: tuple[CandidateScore, ...] = ()
    chosen_because: str = ""

    @model_validator(mode="after")
    def _shapes(self) -> PriorPreset:
        k = len(self.coef_names)
        if len(self.coef_cov) != k or any(len(r) != k for r in self.coef_cov):
            raise ValueError(f"coef_cov must be {k} x {k} (one row per coef_names entry)")
        if len(self.runs) != self.n_runs:
            raise ValueError(f"runs lists {len(self.runs)} ids but n_runs is {self.n_runs}")
        return self
