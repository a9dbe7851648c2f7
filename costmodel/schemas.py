"""Strict pydantic schemas for preset files (TOML).

Every schema rejects unknown keys (a typo is an error, not a silent default) and every
entry carries ``source`` and ``as_of``. Units are in the field names.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .architecture import Architecture
from .errors import UnsupportedPrecisionError

__all__ = [
    "PRECISIONS",
    "Precision",
    "Accelerator",
    "Reported",
    "RunPreset",
]

#: Numeric formats with a tensor (matrix) peak. ``int8`` rates are TOP/s.
PRECISIONS = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "fp4", "int8")
Precision = Literal["fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "fp4", "int8"]

#: Bit length of each precision's multiply inputs, for the BIS TPP metric
#: (15 CFR 774, ECCN 3A090 Technical Note: TPP = 2 × MacTOPS × bit length).
BIT_LENGTH = {"fp64": 64, "fp32": 32, "tf32": 32, "bf16": 16, "fp16": 16, "fp8": 8,
              "fp4": 4, "int8": 8}

_ID = r"^[a-z0-9][a-z0-9.\-]*$"


class Strict(BaseModel):
    """Base for preset schemas: unknown keys rejected, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(Strict):
    """Fields every preset entry carries."""

    id: str = Field(pattern=_ID, description="lowercase, hyphenated identifier")
    source: str = Field(min_length=3, description="citation(s): paper + table, datasheet, URL")
    as_of: dt.date = Field(description="date the figures were checked or published")
    notes: str = ""


class Accelerator(Sourced):
    """An accelerator's published specifications (dense peaks only)."""

    name: str
    vendor: str
    kind: Literal["gpu", "tpu"] = "gpu"
    family: Literal["volta", "ampere", "hopper", "blackwell", "ada", "cdna", "tpu"] = Field(
        description="architecture generation; utilization priors are grouped by it"
    )
    form_factor: Literal["sxm", "pcie", "oam", "superchip", "tpu"]
    release_year: int = Field(ge=2010, le=2035)
    aliases: tuple[str, ...] = ()
    peak_dense_tflop_per_s: dict[Precision, float] = Field(
        description="dense (non-sparse) tensor peak per precision [TFLOP/s; TOP/s for int8]"
    )
    memory_gb: float = Field(gt=0, description="on-package memory [GB, vendor's label]")
    memory_bandwidth_tb_per_s: float = Field(gt=0, description="memory bandwidth [TB/s]")
    interconnect_gb_per_s: float | None = Field(
        None, ge=0, description="aggregate bidirectional chip-to-chip bandwidth [GB/s]"
    )
    interconnect: str = Field("", description="what the interconnect figure measures")
    tdp_w: float | None = Field(None, gt=0, description="board power [W], where published")
    die_area_mm2: float | None = Field(
        None, gt=0, description="applicable (non-planar logic) die area [mm²], where public"
    )
    server_power_factor: float = Field(
        1.8, gt=1, le=4,
        description="server power per accelerator / accelerator TDP [1] (Epoch AI)",
    )

    @field_validator("peak_dense_tflop_per_s")
    @classmethod
    def _peaks_positive(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            raise ValueError("at least one precision is required")
        for k, x in v.items():
            if not (x > 0) or x != x or x == float("inf"):
                raise ValueError(f"peak for {k} must be a positive finite number, got {x}")
        return v

    @field_validator("aliases")
    @classmethod
    def _aliases_lower(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for a in v:
            if a != a.lower() or not a:
                raise ValueError(f"alias {a!r} must be non-empty lowercase")
        return v

    @property
    def precisions(self) -> tuple[str, ...]:
        """Precisions with a published dense peak, in canonical order."""
        return tuple(p for p in PRECISIONS if p in self.peak_dense_tflop_per_s)

    def peak_flop_per_s(self, precision: str) -> float:
        """Dense peak at ``precision`` [FLOP/s].

        Raises
        ------
        UnsupportedPrecisionError
            When the accelerator has no published dense peak at that precision.
        """
        try:
            return self.peak_dense_tflop_per_s[precision] * 1e12
        except KeyError:
            raise UnsupportedPrecisionError(
                f"precision: {self.id} has no published dense {precision} peak; "
                f"available: {', '.join(self.precisions)}"
            ) from None


class Reported(Strict):
    """What a run's authors published, with scope and basis stated."""

    gpu_hours: float | None = Field(None, gt=0, description="accelerator-hours [h]")
    gpu_hours_scope: str | None = Field(
        None, description="what the hours cover (pre-training only, all stages, ...)"
    )
    gpu_hours_basis: Literal["reported", "derived"] | None = Field(
        None, description="published as hours, or derived from count × duration"
    )
    gpu_hours_grade: Literal["primary", "secondary"] | None = Field(
        None, description="read in the authors' own text (primary) or only as quoted by others"
    )
    gpu_hours_derivation: str | None = None
    wall_clock_days: float | None = Field(None, gt=0, description="[days]")
    model_flop: float | None = Field(None, gt=0, description="published training FLOP [FLOP]")
    mfu: float | None = Field(None, gt=0, le=1, description="published MFU [1]")
    mfu_convention: str | None = None
    cost_usd: float | None = Field(None, gt=0, description="published cost [USD]")
    price_usd_per_gpu_hour: float | None = Field(None, gt=0, description="[USD/h]")

    @model_validator(mode="after")
    def _basis_with_hours(self) -> Reported:
        if self.gpu_hours is not None and (self.gpu_hours_basis is None or not self.gpu_hours_scope):
            raise ValueError("gpu_hours needs gpu_hours_basis and gpu_hours_scope")
        return self


class RunPreset(Sourced):
    """A published training run."""

    name: str
    organization: str
    year: int = Field(ge=2015, le=2035)
    params: float = Field(gt=0, description="total parameters [count]")
    active_params: float | None = Field(None, gt=0, description="parameters per token [count]")
    tokens: float | None = Field(None, gt=0, description="training tokens [count]")
    gpu: str = Field(description="accelerator id")
    precision: Literal["fp32", "tf32", "bf16", "fp16", "fp8", "mixed"] = "bf16"
    fp8_fraction: float | None = Field(
        None, ge=0, le=1, description="FLOP share in FP8 when precision is mixed [1]"
    )
    n_gpus: int | None = Field(None, gt=0, description="accelerators in the cluster [count]")
    stage: str = Field("pre-training", description="what the run record covers")
    architecture: Architecture | None = None
    reported: Reported = Reported()

    @model_validator(mode="after")
    def _active(self) -> RunPreset:
        if self.active_params is not None and self.active_params > self.params:
            raise ValueError(
                f"active_params ({self.active_params:g}) exceeds params ({self.params:g})"
            )
        if self.precision == "mixed" and self.fp8_fraction is None and self.architecture is None:
            raise ValueError("precision 'mixed' needs fp8_fraction or an architecture")
        return self

    @property
    def active_params_(self) -> float:
        """Active parameters, defaulting to total for dense runs [count]."""
        return self.active_params if self.active_params is not None else self.params

    @property
    def is_moe(self) -> bool:
        """Mixture-of-experts run (fewer active than total parameters)."""
        return self.active_params_ < self.params


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


_MONTH = r"^\d{4}(-\d{2})?$"


class RentalQuote(Strict):
    """One dated rental price observation."""

    provider: str
    usd_per_gpu_hour: float = Field(gt=0, description="[USD per GPU-hour]")
    kind: Literal["on-demand", "1-year", "3-year", "reserved block", "spot", "assumed"]
    date: str = Field(pattern=_MONTH, description="YYYY or YYYY-MM")
    in_range: bool = True


class Rental(Strict):
    """A market range of rental prices: the 5th and 95th percentiles of a lognormal."""

    low_usd_per_gpu_hour: float = Field(gt=0)
    high_usd_per_gpu_hour: float = Field(gt=0)
    basis: str = Field(min_length=10, description="which quotes make the range, and why")
    quotes: tuple[RentalQuote, ...] = ()

    @model_validator(mode="after")
    def _ordered(self) -> Rental:
        lo, hi = self.low_usd_per_gpu_hour, self.high_usd_per_gpu_hour
        if hi < lo:
            raise ValueError(f"high_usd_per_gpu_hour ({hi}) is below low ({lo})")
        for q in self.quotes:
            if q.in_range and not lo <= q.usd_per_gpu_hour <= hi:
                raise ValueError(f"quote {q.provider!r} at {q.usd_per_gpu_hour} is marked "
                                 f"in_range but lies outside [{lo}, {hi}]")
        return self

    def dist(self):
        """Lognormal with ``low``/``high`` as its 5th/95th percentiles."""
        import math
        from statistics import NormalDist

        from .dist import Fixed, LogNormal

        lo, hi = self.low_usd_per_gpu_hour, self.high_usd_per_gpu_hour
        if hi == lo:
            return Fixed(lo)
        z = NormalDist().inv_cdf(0.95)
        return LogNormal(math.sqrt(lo * hi), math.exp(math.log(hi / lo) / (2 * z)))


class Purchase(Strict):
    """One dated purchase price per accelerator."""

    what: str
    usd_per_gpu: float = Field(gt=0, description="[USD per accelerator]")
    level: Literal["gpu", "server"] = Field(
        description="gpu: the accelerator (or its baseboard share); server: a whole system / GPUs"
    )
    date: str = Field(pattern=_MONTH)


class PricePreset(Sourced):
    """Rental and purchase prices for one accelerator."""

    gpu: str
    rental: Rental | None = None
    purchase: tuple[Purchase, ...] = ()

    def server_usd_per_gpu_range(self, server_overhead: float = 1.64) -> tuple[float, float]:
        """Lowest and highest server cost per accelerator [USD].

        Server-level quotes are used as they are; accelerator-level quotes are multiplied by
        Epoch AI's server overhead (1.64) for CPUs, memory, NVSwitch and chassis.
        """
        vals = [p.usd_per_gpu * (server_overhead if p.level == "gpu" else 1.0)
                for p in self.purchase]
        if not vals:
            raise ValueError(f"prices: no purchase price for {self.gpu}")
        return min(vals), max(vals)


class RuleCondition(Strict):
    """One threshold test."""

    metric: Literal["tpp", "performance_density", "interconnect_gb_per_s",
                    "memory_bandwidth_gb_per_s"]
    op: Literal[">=", ">", "<", "<="]
    value: float


class RuleCategory(Strict):
    """A classification that applies when all its conditions hold."""

    eccn: str
    clause: str
    conditions: tuple[RuleCondition, ...] = Field(min_length=1)


class RulePreset(Sourced):
    """An export-control rule: thresholds as published, evaluated on catalog metrics."""

    name: str
    federal_register: str
    published: dt.date
    effective: str
    text: str = Field(min_length=20, description="the rule's wording, quoted or summarised")
    categories: tuple[RuleCategory, ...] = Field(min_length=1)


class ClaimStage(Strict):
    """One stage of a claimed training run."""

    name: str
    gpu_hours: float | None = Field(None, gt=0, description="[GPU-hours]")
    cost_usd: float | None = Field(None, gt=0, description="[USD]")
    tokens: float | None = Field(None, gt=0, description="tokens trained in this stage")
    n_gpus: int | None = Field(None, gt=0)
    wall_clock_hours: float | None = Field(None, gt=0, description="stated duration [h]")
    wall_clock_approximate: bool = Field(
        False, description="the duration is a round figure ('about two weeks')")


class ClaimStatement(Strict):
    """A further quantitative statement the claim makes, checked for consistency."""

    kind: Literal["gpu_hours_per_trillion_tokens", "days_per_trillion_tokens",
                  "max_wall_clock_days", "tokens_per_day", "mfu"]
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
    """A published training-cost claim, with its own scope."""

    name: str
    claimant: str
    date: str = Field(pattern=_MONTH + r"|^\d{4}-\d{2}-\d{2}$")
    quote: str = Field(min_length=10, description="the claim in the claimant's words")
    kind: Literal["final-run rental-equivalent", "final-run compute", "development cost",
                  "capex"]
    scope: str = Field(min_length=10)
    excludes: tuple[str, ...] = ()
    run: str | None = Field(None, description="run preset with the model's shape")
    gpu: str
    n_gpus: int | None = Field(None, gt=0)
    precision: Literal["fp32", "tf32", "bf16", "fp16", "fp8", "mixed"] | None = None
    params: float | None = Field(None, gt=0)
    active_params: float | None = Field(None, gt=0)
    tokens: float | None = Field(None, gt=0)
    gpu_hours: float | None = Field(None, gt=0, description="claimed total [GPU-hours]")
    cost_usd: float | None = Field(None, gt=0, description="claimed total [USD]")
    price_usd_per_gpu_hour: float | None = Field(None, gt=0, description="price the claim uses")
    analysis_stage: str | None = Field(
        None, description="stage whose tokens and hours the utilization analysis uses")
    stages: tuple[ClaimStage, ...] = ()
    statements: tuple[ClaimStatement, ...] = ()
    external_estimates: tuple[ExternalEstimate, ...] = ()
    third_party: tuple[ThirdPartyMFU, ...] = ()
    related_claims: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _something_to_check(self) -> ClaimPreset:
        if self.gpu_hours is None and self.cost_usd is None and not any(
                s.gpu_hours or s.cost_usd for s in self.stages):
            raise ValueError("a claim needs gpu_hours, cost_usd, or stages with them")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError("stage names must be unique")
        if self.analysis_stage is not None and self.analysis_stage not in names:
            raise ValueError(f"analysis_stage {self.analysis_stage!r} is not one of the "
                             f"stages {names}")
        return self


EXTRA_SCHEMAS = {"priors": PriorPreset, "prices": PricePreset, "rules": RulePreset,
                 "claims": ClaimPreset}
