"""Price preset schema (rental and purchase)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Sourced, Strict

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
                raise ValueError(
                    f"quote {q.provider!r} at {q.usd_per_gpu_hour} is marked "
                    f"in_range but lies outside [{lo}, {hi}]"
                )
        return self

    def dist(self):
        """Lognormal with ``low``/``high`` as its 5th/95th percentiles."""
        import math

        from ...formulas.dist import Fixed, LogNormal
        from ...formulas.normal import ppf

        lo, hi = self.low_usd_per_gpu_hour, self.high_usd_per_gpu_hour
        if hi == lo:
            return Fixed(lo)
        z = ppf(0.95)
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
        vals = [
            p.usd_per_gpu * (server_overhead if p.level == "gpu" else 1.0) for p in self.purchase
        ]
        if not vals:
            raise ValueError(f"prices: no purchase price for {self.gpu}")
        return min(vals), max(vals)
