"""Time, money, energy and ownership-cost formulas (pure, broadcasting).

References
----------
.. [1] Cottier, Rahman, Fattorini, Maslej, Besiroglu, Owen, "The rising costs of training
       frontier AI models", arXiv 2405.21015 (2024), and the code behind it,
       github.com/epoch-research/training-cost-trends ``cost_analysis_standalone.py``
       (depreciation 0.14 OOM/year, server overhead 1.64, interconnect 19 %, average power
       75 % of server TDP for GPUs and 43 % for TPUs, PUE 1.1 hyperscaler / 1.25 other).
.. [2] DeepSeek-AI, "DeepSeek-V3 Technical Report", arXiv 2412.19437, Table 1
       (GPU-hours × $2/GPU-hour).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .numeric import scalar_or_array as _out

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = [
    "SECONDS_PER_HOUR",
    "HOURS_PER_DAY",
    "HOURS_PER_YEAR",
    "blended_peak_flop_per_s",
    "gpu_hours",
    "implied_mfu",
    "wall_clock_days",
    "rental_cost_usd",
    "tokens_per_s_per_gpu",
    "energy_kwh",
    "co2e_kg",
    "depreciation_rate_per_year",
    "ownership_usd_per_gpu_hour",
    "AVG_POWER_FRACTION",
    "DEPRECIATION_OOM_PER_YEAR",
    "DEFAULT_PUE",
    "INTERCONNECT_SHARE",
    "SERVER_OVERHEAD",
]

SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0
#: Hours in a Julian year, as Epoch AI amortizes (365.25 × 24).
HOURS_PER_YEAR = 8766.0

#: Hardware value falls by 0.14 orders of magnitude a year (Cottier et al. 2024, §2.2;
#: Epoch AI ``cost_analysis_standalone.py``).
DEPRECIATION_OOM_PER_YEAR = 0.14
#: Cluster interconnect as a share of total cluster cost (Epoch AI: 19 %).
INTERCONNECT_SHARE = 0.19
#: Server cost per accelerator / accelerator price (Epoch AI default 1.64; A100 1.66).
SERVER_OVERHEAD = 1.64
#: Average power during training as a share of server TDP (Epoch AI: 0.75 GPU, 0.43 TPU).
AVG_POWER_FRACTION = {"gpu": 0.75, "tpu": 0.43}
#: Power usage effectiveness when none is given: 1.25, Epoch AI's value for data centres
#: outside the hyperscalers (1.1 for them) (Cottier et al. 2024, arXiv 2405.21015, §2.3;
#: ``cost_analysis_standalone.py`` in epoch-research/training-cost-trends).
DEFAULT_PUE = 1.25


def _product(*factors: ArrayLike) -> np.ndarray:
    """The product of ``factors``, smallest first: scalars and per-accelerator values combine
    before an array of the full shape is touched (one pass over it, not one per factor)."""
    xs = sorted((np.asarray(f, float) for f in factors), key=np.size)
    out = xs[0]
    for x in xs[1:]:
        out = out * x
    return out


def blended_peak_flop_per_s(
    peak_fp8_flop_per_s: ArrayLike, peak_bf16_flop_per_s: ArrayLike, fp8_fraction: ArrayLike
) -> np.ndarray | float:
    """Ideal peak of a run whose FLOP are split between FP8 and BF16.

    Parameters
    ----------
    peak_fp8_flop_per_s, peak_bf16_flop_per_s : array_like
        Dense peaks [FLOP/s].
    fp8_fraction : array_like
        Share of the model FLOP executed in FP8 [1], in [0, 1].

    Returns
    -------
    float or ndarray
        Blended peak [FLOP/s].

    Notes
    -----
    Time adds, rates do not: ``1 / (f/P_fp8 + (1 − f)/P_bf16)`` (the harmonic mean
    weighted by FLOP share), the denominator torchtitan #560 asks MFU to state.

    Examples
    --------
    DeepSeek-V3 (85.3 % of FLOP in FP8 GEMMs) on an H800:

    >>> round(blended_peak_flop_per_s(1978.9e12, 989.4e12, 0.8527) / 1e12)
    1725
    """
    p8, p16, f = (
        np.asarray(v, float) for v in (peak_fp8_flop_per_s, peak_bf16_flop_per_s, fp8_fraction)
    )
    return _out(1.0 / (f / p8 + (1.0 - f) / p16))


def gpu_hours(
    model_flop: ArrayLike, peak_flop_per_s: ArrayLike, mfu: ArrayLike, goodput: ArrayLike = 1.0
) -> np.ndarray | float:
    """Accelerator-hours reserved for a training run.

    Parameters
    ----------
    model_flop : array_like
        Model FLOP (the MFU numerator) [FLOP].
    peak_flop_per_s : array_like
        Dense peak per accelerator at the run's precision [FLOP/s].
    mfu : array_like
        Model FLOP utilization [1], in (0, 1].
    goodput : array_like, default 1.0
        Productive share of reserved time [1], in (0, 1].

    Returns
    -------
    float or ndarray
        Accelerator-hours [h].

    Notes
    -----
    ``model_flop / (peak · mfu · goodput) / 3600``.

    Examples
    --------
    DeepSeek-V3, 6ND, H800 BF16 peak, MFU 0.35:

    >>> round(gpu_hours(3.2856e24, 989.4e12, 0.35) / 1e6, 4)
    2.6356
    """
    c, p, u, g = (np.asarray(v, float) for v in (model_flop, peak_flop_per_s, mfu, goodput))
    return _out(c / _product(p, u, g, SECONDS_PER_HOUR))


def implied_mfu(
    model_flop: ArrayLike, gpu_hours: ArrayLike, peak_flop_per_s: ArrayLike
) -> np.ndarray | float:
    """Utilization implied by a FLOP count and reported accelerator-hours.

    Parameters
    ----------
    model_flop : array_like
        [FLOP].
    gpu_hours : array_like
        Reported accelerator-hours [h].
    peak_flop_per_s : array_like
        Dense peak [FLOP/s].

    Returns
    -------
    float or ndarray
        MFU [1] (end-to-end: downtime in the hours lowers it).

    Examples
    --------
    >>> round(implied_mfu(3.2856e24, 2.664e6, 989.4e12), 4)
    0.3463
    """
    c, h, p = (np.asarray(v, float) for v in (model_flop, gpu_hours, peak_flop_per_s))
    return _out(c / (h * SECONDS_PER_HOUR * p))


def wall_clock_days(gpu_hours: ArrayLike, n_gpus: ArrayLike) -> np.ndarray | float:
    """Elapsed days when ``n_gpus`` accelerators share the work.

    Examples
    --------
    >>> round(wall_clock_days(2.664e6, 2048), 2)
    54.2
    """
    h, n = np.asarray(gpu_hours, float), np.asarray(n_gpus, float)
    return _out(h / n / HOURS_PER_DAY)


def rental_cost_usd(gpu_hours: ArrayLike, price_usd_per_gpu_hour: ArrayLike):
    """Final-run cost at a rental price [USD].

    Examples
    --------
    >>> rental_cost_usd(2.788e6, 2.0)
    5576000.0
    """
    h, p = np.asarray(gpu_hours, float), np.asarray(price_usd_per_gpu_hour, float)
    return _out(h * p)


def tokens_per_s_per_gpu(tokens: ArrayLike, gpu_hours: ArrayLike) -> np.ndarray | float:
    """Training throughput per accelerator [tokens/s].

    Examples
    --------
    >>> round(tokens_per_s_per_gpu(14.8e12, 2.664e6))
    1543
    """
    d, h = np.asarray(tokens, float), np.asarray(gpu_hours, float)
    return _out(_product(d, 1.0 / SECONDS_PER_HOUR) / h)


def energy_kwh(
    gpu_hours: ArrayLike,
    tdp_w: ArrayLike,
    pue: ArrayLike,
    *,
    server_power_factor: ArrayLike = 1.8,
    avg_power_fraction: ArrayLike = 0.75,
) -> np.ndarray | float:
    """Facility energy of a training run.

    Parameters
    ----------
    gpu_hours : array_like
        Accelerator-hours [h].
    tdp_w : array_like
        Accelerator board power [W].
    pue : array_like
        Power usage effectiveness [1], ≥ 1.
    server_power_factor : array_like, default 1.8
        Server power per accelerator over accelerator TDP [1] (Epoch AI; H100 1.82).
    avg_power_fraction : array_like, default 0.75
        Average draw as a share of server power [1] (Epoch AI: 0.75 GPU, 0.43 TPU).

    Returns
    -------
    float or ndarray
        Energy at the facility meter [kWh].

    Notes
    -----
    ``gpu_hours · tdp_w/1000 · server_power_factor · avg_power_fraction · pue``.

    Examples
    --------
    One H800-hour at PUE 1.25: 0.7 kW × 1.82 × 0.75 × 1.25.

    >>> round(energy_kwh(1.0, 700, 1.25, server_power_factor=1.82), 4)
    1.1944
    """
    h, w, e, s, a = (
        np.asarray(v, float)
        for v in (gpu_hours, tdp_w, pue, server_power_factor, avg_power_fraction)
    )
    return _out(_product(h, w, s, a, e, 1e-3))


def co2e_kg(energy_kwh: ArrayLike, grid_kg_co2e_per_kwh: ArrayLike) -> np.ndarray | float:
    """Operational emissions [kg CO2e] = energy × grid intensity.

    Examples
    --------
    >>> co2e_kg(1000.0, 0.475)
    475.0
    """
    e, g = np.asarray(energy_kwh, float), np.asarray(grid_kg_co2e_per_kwh, float)
    return _out(e * g)


def depreciation_rate_per_year(oom_per_year: float = DEPRECIATION_OOM_PER_YEAR) -> float:
    """Continuous depreciation rate for a value falling ``oom_per_year`` orders a year.

    ``0.14 · ln 10 ≈ 0.322`` per year (Epoch AI's optimal replacement rate).

    >>> round(depreciation_rate_per_year(), 4)
    0.3224
    """
    return oom_per_year * math.log(10.0)


def ownership_usd_per_gpu_hour(
    server_usd_per_gpu: ArrayLike,
    tdp_w: ArrayLike,
    usd_per_kwh: ArrayLike,
    *,
    pue: ArrayLike = 1.25,
    depreciation_oom_per_year: ArrayLike = DEPRECIATION_OOM_PER_YEAR,
    interconnect_share: ArrayLike = INTERCONNECT_SHARE,
    server_power_factor: ArrayLike = 1.8,
    avg_power_fraction: ArrayLike = 0.75,
) -> dict[str, np.ndarray | float]:
    """Cost of owning one accelerator for one hour, by the Epoch AI method.

    Parameters
    ----------
    server_usd_per_gpu : array_like
        Server cost per accelerator, server components included [USD]
        (a GPU price × :data:`SERVER_OVERHEAD`, or a DGX/HGX system price / 8).
    tdp_w : array_like
        Accelerator board power [W].
    usd_per_kwh : array_like
        Electricity price [USD/kWh].
    pue : array_like, default 1.25
        Power usage effectiveness (Epoch: 1.1 hyperscalers, 1.25 others) [1].
    depreciation_oom_per_year : array_like, default 0.14
        Orders of magnitude of value lost per year [1/year].
    interconnect_share : array_like, default 0.19
        Cluster networking as a share of total cluster cost [1].
    server_power_factor, avg_power_fraction : array_like
        As in :func:`energy_kwh`.

    Returns
    -------
    dict
        ``hardware`` (servers), ``interconnect``, ``energy`` and ``total`` [USD per GPU-hour].

    Notes
    -----
    ``hardware = P · 0.14·ln10 / 8766``; ``interconnect = hardware · s/(1 − s)``;
    ``energy = tdp_kW · server_power_factor · avg_power_fraction · pue · usd_per_kwh``.

    References
    ----------
    Cottier et al. 2024, arXiv 2405.21015, §2; Epoch AI ``cost_analysis_standalone.py``.

    Examples
    --------
    DGX H800 at $44,750 per GPU, $0.08/kWh: about $2.13 per GPU-hour
    (docs/sources/hardware.md s4.2).

    >>> r = ownership_usd_per_gpu_hour(44750, 700, 0.0826, server_power_factor=1.82)
    >>> round(r["total"], 2)
    2.13
    """
    p, w, kwh, e, oom, s, spf, a = (
        np.asarray(v, float)
        for v in (
            server_usd_per_gpu,
            tdp_w,
            usd_per_kwh,
            pue,
            depreciation_oom_per_year,
            interconnect_share,
            server_power_factor,
            avg_power_fraction,
        )
    )
    hw = p * oom * math.log(10.0) / HOURS_PER_YEAR
    ic = hw * s / (1.0 - s)
    en = w / 1000.0 * spf * a * e * kwh
    return {
        "hardware": _out(hw),
        "interconnect": _out(ic),
        "energy": _out(en),
        "total": _out(hw + ic + en),
    }
