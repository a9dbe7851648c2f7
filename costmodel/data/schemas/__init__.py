"""Strict pydantic schemas for preset files (TOML).

Every schema rejects unknown keys (a typo is an error, not a silent default) and every
entry carries ``source`` and ``as_of``. Units are in the field names.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, TypeGuard

from pydantic import BaseModel, Field, field_validator, model_validator

from ...errors import UnsupportedPrecisionError
from ...formulas.strict import STRICT_CONFIG

__all__ = [
    "PRECISIONS",
    "STRICT_CONFIG",
    "Precision",
    "BIT_LENGTH",
    "Strict",
    "Sourced",
    "Accelerator",
    "SCHEMA_MODULES",
]

#: Preset kind -> (module, class); each module is imported only when its kind is loaded,
#: so a point estimate builds only the pydantic models it needs.
SCHEMA_MODULES = {
    "accelerators": (None, "Accelerator"),
    "runs": ("runs", "RunPreset"),
    "priors": ("priors", "PriorPreset"),
    "prices": ("prices", "PricePreset"),
    "rules": ("rules", "RulePreset"),
    "claims": ("claims", "ClaimPreset"),
}
_LAZY = {
    "Reported": "runs",
    "RunPreset": "runs",
    "PriorGroup": "priors",
    "CandidateScore": "priors",
    "PriorPreset": "priors",
    "RentalQuote": "prices",
    "Rental": "prices",
    "Purchase": "prices",
    "PricePreset": "prices",
    "Strict": "base",
    "Sourced": "base",
    "RuleCondition": "rules",
    "RuleCategory": "rules",
    "RulePreset": "rules",
    "ClaimStage": "claims",
    "ClaimStatement": "claims",
    "ExternalEstimate": "claims",
    "ThirdPartyMFU": "claims",
    "ClaimPreset": "claims",
    "Layout": "layout",
}


def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def schema_for(kind: str):
    """The pydantic model of a preset kind (imports its module on first use)."""
    from importlib import import_module

    module, cls = SCHEMA_MODULES[kind]
    return globals()[cls] if module is None else getattr(import_module(f"{__name__}.{module}"), cls)


#: Numeric formats with a tensor (matrix) peak. ``int8`` rates are TOP/s.
PRECISIONS = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "fp4", "int8")
Precision = Literal["fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "fp4", "int8"]


def _is_precision(name: str) -> TypeGuard[Precision]:
    return name in PRECISIONS


#: Bit length of each precision's multiply inputs, for the BIS TPP metric
#: (15 CFR 774, ECCN 3A090 Technical Note: TPP = 2 × MacTOPS × bit length).
BIT_LENGTH = {
    "fp64": 64,
    "fp32": 32,
    "tf32": 19,  # TF32 multiplies 19-bit operands: 1 sign, 8 exponent, 10 mantissa bits
    "bf16": 16,
    "fp16": 16,
    "fp8": 8,
    "fp4": 4,
    "int8": 8,
}

_ID = r"^[a-z0-9][a-z0-9.\-]*$"


class Accelerator(BaseModel):
    """An accelerator's published specifications (dense peaks only).

    Declared on ``BaseModel`` directly, with the :class:`Sourced` fields repeated, because a
    point estimate validates only this model and each extra class costs start-up time.
    """

    model_config = STRICT_CONFIG

    id: str = Field(pattern=_ID, description="lowercase, hyphenated identifier")
    source: str = Field(min_length=3, description="citation(s): paper + table, datasheet, URL")
    as_of: dt.date = Field(description="date the figures were checked or published")
    notes: str = ""

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
    scale_up_gb_per_s: float | None = Field(
        None,
        gt=0,
        description="bidirectional per-chip bandwidth collectives get inside the scale-up "
        "domain [GB/s], where it differs from interconnect_gb_per_s or that is unpublished",
    )
    scale_up_domain: int | None = Field(
        None, ge=1, description="accelerators per NVLink/xGMI/ICI scale-up domain [1]"
    )
    scale_out_gbit_per_s: float | None = Field(
        None,
        gt=0,
        description="scale-out network (InfiniBand/RoCE NIC, TPU DCN) per accelerator, one "
        "direction [Gbit/s] in the reference cluster named in source",
    )
    tdp_w: float | None = Field(None, gt=0, description="board power [W], where published")
    die_area_mm2: float | None = Field(
        None, gt=0, description="applicable (non-planar logic) die area [mm²], where public"
    )
    matmul_ceiling_fraction: float | None = Field(
        None,
        gt=0,
        le=1,
        description="best measured dense BF16 matmul throughput / dense BF16 peak [1]; an "
        "upper bound on end-to-end MFU of the 16-bit peak",
    )
    server_power_factor: float = Field(
        1.8,
        gt=1,
        le=4,
        description="server power per accelerator / accelerator TDP [1] (Epoch AI)",
    )
    us_commercially_available: bool | None = Field(
        None,
        description="sold commercially in the United States on "
        "us_commercially_available_as_of (a condition of the Jan-2026 China licence policy, "
        "91 FR 1684); None where not researched",
    )
    us_commercially_available_as_of: dt.date | None = None
    us_commercially_available_source: str = ""

    @model_validator(mode="after")
    def _availability_sourced(self) -> Accelerator:
        if self.us_commercially_available is not None and (
            self.us_commercially_available_as_of is None
            or len(self.us_commercially_available_source) < 3
        ):
            raise ValueError(
                "us_commercially_available needs us_commercially_available_as_of and "
                "us_commercially_available_source"
            )
        return self

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
        if _is_precision(precision) and precision in self.peak_dense_tflop_per_s:
            return self.peak_dense_tflop_per_s[precision] * 1e12
        raise UnsupportedPrecisionError(
            f"precision: {self.id} has no published dense {precision} peak; "
            f"available: {', '.join(self.precisions)}"
        )
