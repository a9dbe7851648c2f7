"""Claim preset schema."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ...formulas.architecture import Architecture
from .base import Sourced, Strict
from .layout import Layout
from .prices import _MONTH


class ClaimStage(Strict):
    """One stage of a claimed training run."""

    name: str
    gpu_hours: float | None = Field(None, ge=1, le=1e13, description="[GPU-hours]")
    cost_usd: float | None = Field(None, ge=1, le=1e13, description="[USD]")
    tokens: float | None = Field(None, ge=1, le=1e18, description="tokens trained in this stage")
    n_gpus: int | None = Field(None, gt=0, le=100_000_000)
    wall_clock_hours: float | None = Field(None, gt=0, le=1e6, description="stated duration [h]")
    wall_clock_approximate: bool = Field(
        False, description="the duration is a round figure ('about two weeks')"
    )


class ClaimStatement(Strict):
    """A further quantitative statement the claim makes, checked for consistency."""

    kind: Literal[
        "gpu_hours_per_trillion_tokens",
        "days_per_trillion_tokens",
        "max_wall_clock_days",
        "tokens_per_day",
        "mfu",
        "model_flop",
    ]
    value: float = Field(gt=0)
    stage: str | None = Field(None, description="stage the statement is about")
    convention: str | None = Field(None, description="for mfu: 6nd, megatron, ...")
    precision: str | None = Field(None, description="for mfu: the peak it divides by")
    causal: bool = True
    source: str = Field(min_length=3)


class ExternalEstimate(Strict):
    """Someone else's estimate of a cost the claim leaves out."""

    item: str
    low_usd: float = Field(gt=0)
    high_usd: float = Field(gt=0)
    source: str = Field(min_length=3)
    disputed: bool = False
    note: str = ""


class ThirdPartyMFU(Strict):
    """A published third-party utilization figure, with the peak it divided by."""

    who: str
    mfu: float = Field(gt=0, le=1)
    denominator_tflop_per_s: float = Field(gt=0)
    source: str = Field(min_length=3)


class ClaimPreset(Sourced):
    """A published training-cost claim, with its own scope.

    Quantities are bounded to physically sensible ranges (1 to 1e13 GPU-hours or dollars,
    1 to 1e18 tokens), so a claim cannot push the arithmetic beyond floating point.
    """

    name: str
    claimant: str
    date: str = Field(pattern=_MONTH + r"|^\d{4}-\d{2}-\d{2}$")
    quote: str = Field(min_length=10, description="the claim in the claimant's words")
    kind: Literal["final-run rental-equivalent", "final-run compute", "development cost", "capex"]
    scope: str = Field(min_length=10)
    excludes: tuple[str, ...] = ()
    run: str | None = Field(None, description="run preset with the model's shape")
    architecture: Architecture | None = Field(
        None, description="the model's shape, instead of run (the run presets' schema)"
    )
    layout: Layout | None = Field(
        None, description="the parallel layout the claimant states (costmodel perf's keys)"
    )
    hours_basis: Literal["steady_state", "wall_clock"] | None = Field(
        None,
        description="steady_state: hours at the run's sustained throughput (no downtime); "
        "wall_clock: reserved hours including restarts and downtime",
    )
    gpu: str
    n_gpus: int | None = Field(None, gt=0, le=100_000_000)
    precision: Literal["fp32", "tf32", "bf16", "fp16", "fp8", "mixed"] | None = None
    params: float | None = Field(None, ge=1e3, le=1e16)
    active_params: float | None = Field(None, ge=1e3, le=1e16)
    tokens: float | None = Field(None, ge=1, le=1e18)
    gpu_hours: float | None = Field(None, ge=1, le=1e13, description="claimed total [GPU-hours]")
    cost_usd: float | None = Field(None, ge=1, le=1e13, description="claimed total [USD]")
    price_usd_per_gpu_hour: float | None = Field(
        None, ge=1e-3, le=1e4, description="price the claim uses [USD per GPU-hour]"
    )
    analysis_stage: str | None = Field(
        None, description="stage whose tokens and hours the utilization analysis uses"
    )
    stages: tuple[ClaimStage, ...] = ()
    statements: tuple[ClaimStatement, ...] = ()
    external_estimates: tuple[ExternalEstimate, ...] = ()
    third_party: tuple[ThirdPartyMFU, ...] = ()
    related_claims: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _something_to_check(self) -> ClaimPreset:
        if (
            self.gpu_hours is None
            and self.cost_usd is None
            and not any(s.gpu_hours or s.cost_usd for s in self.stages)
        ):
            raise ValueError("a claim needs gpu_hours, cost_usd, or stages with them")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError("stage names must be unique")
        if self.run is not None and self.architecture is not None:
            raise ValueError("give run or [architecture], not both")
        if self.layout is not None and self.run is None and self.architecture is None:
            raise ValueError("a [layout] needs the model's shape: run or [architecture]")
        if self.analysis_stage is not None and self.analysis_stage not in names:
            raise ValueError(
                f"analysis_stage {self.analysis_stage!r} is not one of the stages {names}"
            )
        return self
