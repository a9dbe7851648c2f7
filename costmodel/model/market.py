"""The market price of an accelerator-hour: one rule for every command (issue 9, item 9).

Rule
----
1. The accelerator's sourced **rental range** (``presets/prices/<gpu>.toml``, ``[rental]``),
   its low and high taken as the 5th and 95th percentiles of a lognormal.
2. Where no rental quote exists (the H20), the **ownership-cost rate** of the
   accelerator by the Epoch AI method (Cottier et al. 2024, arXiv 2405.21015) as a proxy:
   the server price range per accelerator (``[[purchase]]``) amortized at 0.14 orders of
   magnitude a year plus 19 % cluster interconnect, and energy at the accelerator's TDP,
   PUE :data:`OWNERSHIP_PUE` and :data:`OWNERSHIP_USD_PER_KWH`; the low and high rates are
   again the 5th and 95th percentiles of a lognormal.
3. Neither: an error that names what is missing.

``estimate``/``sweep``/``sensitivity``/``solve`` with ``--price-usd-per-gpu-hour market``
and ``check`` (cost at market prices, the what-if table) all call :func:`market_price`,
and each states the basis (``kind`` and ``basis``) in its output.
"""

from __future__ import annotations

from typing import NamedTuple

from ..data import store
from ..errors import InputError
from ..formulas import cost

__all__ = [
    "OWNERSHIP_PUE",
    "OWNERSHIP_USD_PER_KWH",
    "MarketPrice",
    "market_price",
    "ownership_rate",
]

#: Epoch AI defaults for the ownership rate: PUE of a non-hyperscaler, US industrial
#: electricity price in 2025 (``cost_analysis_standalone.py`` in epoch-research/
#: training-cost-trends).
OWNERSHIP_PUE = 1.25
OWNERSHIP_USD_PER_KWH = 0.0826


def ownership_rate(acc) -> tuple[float, float, str] | None:
    """Low and high ownership cost per accelerator-hour [USD], and the server price basis;
    ``None`` without a purchase price or a TDP."""
    try:
        pr = store.get("prices", acc.id)
        lo, hi = pr.server_usd_per_gpu_range()
    except (KeyError, ValueError):
        return None
    if acc.tdp_w is None:
        return None
    rates = [
        float(  # scalar inputs give a scalar rate
            cost.ownership_usd_per_gpu_hour(
                p,
                acc.tdp_w,
                OWNERSHIP_USD_PER_KWH,
                pue=OWNERSHIP_PUE,
                server_power_factor=acc.server_power_factor,
            )["total"]
        )
        for p in (lo, hi)
    ]
    price = f"${lo:,.0f}" if hi == lo else f"${lo:,.0f}-${hi:,.0f}"
    return rates[0], rates[1], f"server price {price} per GPU"


class MarketPrice(NamedTuple):
    """A market price range for one accelerator and where it comes from."""

    gpu: str
    low_usd_per_gpu_hour: float
    high_usd_per_gpu_hour: float
    kind: str  # "rental range" or "ownership-cost proxy"
    basis: str
    source: str

    @property
    def proxy(self) -> bool:
        return self.kind != "rental range"

    def dist(self):
        """Lognormal with ``low``/``high`` as its 5th/95th percentiles."""
        from ..formulas.dist import lognormal_5_95

        return lognormal_5_95(self.low_usd_per_gpu_hour, self.high_usd_per_gpu_hour)

    def describe(self) -> str:
        """One line for ``assumptions``."""
        lo, hi = self.low_usd_per_gpu_hour, self.high_usd_per_gpu_hour
        if self.proxy:
            what = (
                f"{self.gpu} has no rental quote, so the market price is its Epoch AI "
                f"ownership-cost rate ({self.basis}):"
            )
            rng = f"${lo:.2f}" if hi == lo else f"${lo:.2f}-${hi:.2f}"
        else:
            what = f"{self.gpu} market range"
            rng = f"${lo:g}-${hi:g}"
        spread = (
            "(a single quote, so no spread)"
            if hi == lo
            else f"as the 5th-95th percentiles of {self.dist().describe()}"
        )
        return f"price_usd_per_gpu_hour: {what} {rng} {spread} ({self.source})"


def market_price(gpu: str) -> MarketPrice:
    """The market price of ``gpu`` by the rule in the module docstring.

    Raises
    ------
    InputError
        When the accelerator has neither a rental range nor the inputs of the proxy.
    """
    acc = store.get("accelerators", gpu)
    try:
        pr = store.get("prices", acc.id)
    except KeyError:
        pr = None
    if pr is not None and pr.rental is not None:
        r = pr.rental
        return MarketPrice(
            acc.id,
            r.low_usd_per_gpu_hour,
            r.high_usd_per_gpu_hour,
            "rental range",
            r.basis,
            f"presets/prices/{pr.id}.toml, as of {pr.as_of}",
        )
    own = ownership_rate(acc)
    if own is None:
        missing = "no price preset" if pr is None else "no purchase price"
        if pr is not None and acc.tdp_w is None:
            missing = "no TDP for the energy term"
        raise InputError(
            f"price_usd_per_gpu_hour: 'market' for {acc.id}: no rental range in "
            f"presets/prices and {missing} for the ownership-cost proxy; give a number or "
            f"a distribution"
        )
    return MarketPrice(
        acc.id,
        own[0],
        own[1],
        "ownership-cost proxy",
        f"{own[2]}, depreciation 0.14 orders of magnitude a year, 19% interconnect, PUE "
        f"{OWNERSHIP_PUE}, ${OWNERSHIP_USD_PER_KWH}/kWh",
        f"Cottier et al. 2024, arXiv 2405.21015; presets/prices/{pr.id}.toml, as of {pr.as_of}",
    )
