"""Price preset schema (rental and purchase).

Declared on ``BaseModel`` directly, like :class:`~costmodel.data.schemas.Accelerator`, with
the :class:`~costmodel.data.schemas.base.Sourced` fields repeated in :class:`PricePreset`: an
estimate without a price loads one price preset, and building the two base classes too would
add a tenth to the four models it needs (a test keeps the repeated fields identical).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from ...formulas.strict import STRICT_CONFIG
from . import _ID

_MONTH = r"^\d{4}(-\d{2})?$"


class RentalQuote(BaseModel):
    """One dated rental price observation."""

    model_config = STRICT_CONFIG

    provider: str
    usd_per_gpu_hour: float = Field(gt=0, description="[USD per GPU-hour]")
    kind: Literal["on-demand", "1-year", "3-year", "reserved block", "spot", "assumed"]
    date: str = Field(pattern=_MONTH, description="YYYY or YYYY-MM")
    in_range: bool = True


class Rental(BaseModel):
    """A market range of rental prices: the 5th and 95th percentiles of a lognormal."""

    model_config = STRICT_CONFIG

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
                raise ValueError(
                    f"quote {q.provider!r} at {q.usd_per_gpu_hour} is marked "
                    f"in_range but lies outside [{lo}, {hi}]"
                )
        return self

    def dist(self):
        """Lognormal with ``low``/``high`` as its 5th/95th percentiles."""
        from ...formulas.dist import lognormal_5_95

        return lognormal_5_95(self.low_usd_per_gpu_hour, self.high_usd_per_gpu_hour)


class Purchase(BaseModel):
    """One dated purchase price per accelerator."""

    model_config = STRICT_CONFIG

    what: str
    usd_per_gpu: float = Field(gt=0, description="[USD per accelerator]")
    level: Literal["gpu", "server"] = Field(
        description="gpu: the accelerator (or its baseboard share); server: a whole system / GPUs"
    )
    date: str = Field(pattern=_MONTH)


class PricePreset(BaseModel):
    """Rental and purchase prices for one accelerator."""

    model_config = STRICT_CONFIG

    id: str = Field(pattern=_ID, description="lowercase, hyphenated identifier")
    source: str = Field(min_length=3, description="citation(s): paper + table, datasheet, URL")
    as_of: dt.date = Field(description="date the figures were checked or published")
    notes: str = ""

    gpu: str
    rental: Rental | None = None
    purchase: tuple[Purchase, ...] = ()

    def server_usd_per_gpu_range(self, server_overhead: float = 1.64) -> tuple[float, float]:
        """Lowest and highest server cost per accelerator [USD].

        Server-level quotes are used as they are; accelerator-level quotes are multiplied by
        Epoch AI's server overhead (1.64) for CPUs, memory, NVSwitch and chassis.
        """
        vals = [
            p.usd_per_gpu * (server_overhead if p.level == "gpu" else 1.0) for p in self.purchase
        ]
        if not vals:
            raise ValueError(f"prices: no purchase price for {self.gpu}")
        return min(vals), max(vals)
