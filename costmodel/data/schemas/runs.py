"""Run preset schema (published training runs)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ...formulas.architecture import Architecture
from .base import Sourced, Strict
from .layout import Layout

#: What a run's published accelerator-hours cover (closed list; ``hours_scope``).
HoursScope = Literal[
    "final_pretraining",
    "all_pretraining",
    "all_training",
    "incl_other_models",
    "assumed_throughput",
    "wall_clock_span",
]
#: Each :data:`HoursScope` and what it means.
HOURS_SCOPES: dict[HoursScope, str] = {
    "final_pretraining": "the pre-training run (or stated segment of it) that the stated "
    "tokens describe; no later stages, no post-training",
    "all_pretraining": "all pre-training including annealing, mid-training or "
    "long-context extension",
    "all_training": "all training of the model including post-training (SFT, RL)",
    "incl_other_models": "includes work on other models (distillation teacher, "
    "logit generation, sibling models)",
    "assumed_throughput": "derived by someone from an assumed throughput, so the "
    "utilization computed from them is circular",
    "wall_clock_span": "GPUs x a calendar span, including queueing, idle time and "
    "whatever else ran on them",
}
#: Scopes whose hours measure the work of the stated tokens (the prior's fit set).
COMPARABLE_SCOPES: tuple[HoursScope, ...] = (
    "final_pretraining",
    "all_pretraining",
    "wall_clock_span",
)


class Reported(Strict):
    """What a run's authors published, with scope and basis stated."""

    gpu_hours: float | None = Field(None, gt=0, description="accelerator-hours [h]")
    gpu_hours_scope: str | None = Field(
        None, description="what the hours cover (pre-training only, all stages, ...)"
    )
    hours_scope: HoursScope | None = Field(
        None, description="closed-list scope of the hours (see HOURS_SCOPES)"
    )
    gpu_hours_basis: Literal["reported", "derived"] | None = Field(
        None, description="published as hours, or derived from count × duration"
    )
    gpu_hours_grade: Literal["primary", "secondary"] | None = Field(
        None, description="read in the authors' own text (primary) or only as quoted by others"
    )
    gpu_hours_derivation: str | None = None
    wall_clock_days: float | None = Field(None, gt=0, description="[days]")
    assumed_tflop_per_s_per_gpu: float | None = Field(
        None,
        gt=0,
        description="throughput per accelerator the hours were derived from when they were "
        "not measured: hours = model_flop / this [TFLOP/s]",
    )
    model_flop: float | None = Field(None, gt=0, description="published training FLOP [FLOP]")
    model_flop_scope: str | None = Field(
        None, description="what the published FLOP cover when more than 6ND (restarts, ...)"
    )
    mfu: float | None = Field(None, gt=0, le=1, description="published MFU [1]")
    mfu_convention: str | None = None
    cost_usd: float | None = Field(None, gt=0, description="published cost [USD]")
    price_usd_per_gpu_hour: float | None = Field(None, gt=0, description="[USD/h]")

    @model_validator(mode="after")
    def _basis_with_hours(self) -> Reported:
        if self.gpu_hours is not None and (
            self.gpu_hours_basis is None or not self.gpu_hours_scope
        ):
            raise ValueError("gpu_hours needs gpu_hours_basis and gpu_hours_scope")
        if self.gpu_hours is not None and self.hours_scope is None:
            raise ValueError(f"gpu_hours needs hours_scope, one of: {', '.join(HOURS_SCOPES)}")
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
    layout: Layout | None = Field(
        None, description="the parallel layout the run's paper states (costmodel perf's keys)"
    )
    reported: Reported = Reported()

    @model_validator(mode="after")
    def _active(self) -> RunPreset:
        if self.active_params is not None and self.active_params > self.params:
            raise ValueError(
                f"active_params ({self.active_params:g}) exceeds params ({self.params:g})"
            )
        if self.precision == "mixed" and self.fp8_fraction is None and self.architecture is None:
            raise ValueError("precision 'mixed' needs fp8_fraction or an architecture")
        if self.layout is not None:
            _check_layout(self.layout, self.architecture, self.n_gpus)
        return self

    @property
    def active_params_(self) -> float:
        """Active parameters, defaulting to total for dense runs [count]."""
        return self.active_params if self.active_params is not None else self.params

    @property
    def is_moe(self) -> bool:
        """Mixture-of-experts run (fewer active than total parameters)."""
        return self.active_params_ < self.params


def _check_layout(lay: Layout, arch: Architecture | None, n_gpus: int | None) -> None:
    """A published layout needs the model's shape, and its degrees must multiply out to the
    run's accelerators (``tp·pp·dp·cp = n_gpus``) when all of them are stated."""
    if arch is None:
        raise ValueError("a [layout] needs an [architecture] to evaluate it on")
    if n_gpus is not None and lay.dp is not None:
        prod = (lay.tp or 1) * (lay.pp or 1) * lay.dp * (lay.cp or 1)
        if prod != n_gpus:
            raise ValueError(f"layout: tp·pp·dp·cp = {prod} must equal n_gpus = {n_gpus}")
    if lay.seq_len is not None and lay.seq_len != arch.seq_len:
        raise ValueError(
            f"layout: seq_len {lay.seq_len} differs from the architecture's {arch.seq_len}; "
            "state one"
        )
