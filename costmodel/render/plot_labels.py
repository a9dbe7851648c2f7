"""Words for plots: axis labels with units, value formats and scenario subtitles.

Pure functions (no matplotlib), so the text a chart shows can be tested on its own and
reused by the text and HTML reports.
"""

from __future__ import annotations

import math
from typing import Any

from ..formulas.units import format_si, format_usd

__all__ = ["axis_label", "short_label", "format_value", "scenario_subtitle", "kind_of"]

#: name -> (words, unit in brackets, value kind: usd | pct | int | si | plain)
LABELS: dict[str, tuple[str, str, str]] = {
    # outputs
    "cost_usd": ("training cost (rental)", "USD", "usd"),
    "ownership_cost_usd": ("training cost (ownership)", "USD", "usd"),
    "ownership_usd_per_gpu_hour": ("ownership cost", "USD per GPU-hour", "usd"),
    "gpu_hours": ("accelerator time", "GPU-hours", "si"),
    "wall_clock_days": ("wall-clock time", "days", "plain"),
    "energy_kwh": ("facility energy", "kWh", "si"),
    "co2e_kg": ("emissions", "kg CO2e", "si"),
    "model_flop": ("model FLOP", "FLOP", "si"),
    "hardware_flop": ("hardware FLOP", "FLOP", "si"),
    "tokens_per_s_per_gpu": ("throughput", "tokens/s per GPU", "si"),
    "hfu": ("hardware FLOP utilization (HFU)", "%", "pct"),
    # inputs
    "mfu": ("model FLOP utilization (MFU)", "%", "pct"),
    "goodput": ("goodput", "% of reserved time", "pct"),
    "fp8_fraction": ("FP8 share of FLOP", "%", "pct"),
    "params": ("parameters", "count", "si"),
    "active_params": ("active parameters per token", "count", "si"),
    "tokens": ("training tokens", "count", "si"),
    "n_gpus": ("cluster size", "GPUs", "int"),
    "price_usd_per_gpu_hour": ("rental price", "USD per GPU-hour", "usd"),
    "pue": ("power usage effectiveness (PUE)", "", "plain"),
    "usd_per_kwh": ("electricity price", "USD per kWh", "usd"),
    "grid_kg_co2e_per_kwh": ("grid carbon intensity", "kg CO2e per kWh", "plain"),
    "server_usd_per_gpu": ("server cost per GPU", "USD", "usd"),
    "depreciation_oom_per_year": ("depreciation", "orders of magnitude per year", "plain"),
    "seq_len": ("sequence length", "tokens", "int"),
    "gpu": ("accelerator", "", "text"),
    "precision": ("precision", "", "text"),
    "run": ("run preset", "", "text"),
    "flop_convention": ("FLOP convention", "", "text"),
    "recompute": ("activation recomputation", "", "text"),
}


#: name -> the few words a one-line chart title uses (the axis labels carry the units)
SHORT: dict[str, str] = {
    "cost_usd": "training cost (rental)",
    "ownership_cost_usd": "ownership cost",
    "ownership_usd_per_gpu_hour": "ownership cost per GPU-hour",
    "gpu_hours": "accelerator time",
    "wall_clock_days": "wall-clock time",
    "energy_kwh": "energy",
    "tokens_per_s_per_gpu": "throughput",
    "hfu": "HFU",
    "mfu": "MFU",
    "fp8_fraction": "FP8 share",
    "active_params": "active parameters",
    "tokens": "training tokens",
    "price_usd_per_gpu_hour": "rental price",
    "pue": "PUE",
    "grid_kg_co2e_per_kwh": "grid carbon intensity",
    "depreciation_oom_per_year": "depreciation",
    "recompute": "recomputation",
}


def short_label(name: str) -> str:
    """The few words a one-line title uses for ``name``, without units.

    >>> short_label("cost_usd"), short_label("n_gpus"), short_label("mfu")
    ('training cost (rental)', 'cluster size', 'MFU')
    """
    if name in SHORT:
        return SHORT[name]
    return LABELS.get(name, (name.replace("_", " "), "", ""))[0]


def kind_of(name: str) -> str:
    """How values of ``name`` are written: ``usd``, ``pct``, ``int``, ``si``, ``plain``."""
    return LABELS.get(name, ("", "", "si"))[2]


def axis_label(name: str) -> str:
    """``price_usd_per_gpu_hour`` → ``rental price [USD per GPU-hour]``.

    >>> axis_label("price_usd_per_gpu_hour")
    'rental price [USD per GPU-hour]'
    >>> axis_label("mfu")
    'model FLOP utilization (MFU) [%]'
    """
    words, unit, _ = LABELS.get(name, (name.replace("_", " "), "", "si"))
    return f"{words} [{unit}]" if unit else words


def format_value(name: str, x: Any, sig: int = 3) -> str:
    """One value of ``name`` as people write it: ``$1.8``, ``21%``, ``2,048``, ``14.8T``.

    >>> format_value("mfu", 0.21), format_value("cost_usd", 5.576e6), format_value("n_gpus", 2048)
    ('21%', '$5.58M', '2,048')
    """
    if x is None:
        return "n/a"
    if isinstance(x, str):
        return x
    x = float(x)
    if not math.isfinite(x):
        return "n/a" if math.isnan(x) else format_si(x)
    kind = kind_of(name)
    if kind == "usd":
        return format_usd(x, sig)
    if kind == "pct":
        pct = 100 * x
        digits = max(0, sig - 1 - int(math.floor(math.log10(abs(pct))))) if pct else 0
        text = f"{pct:.{min(digits, 3)}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text + "%"
    if kind == "int" and abs(x) < 1e7:
        return f"{x:,.0f}" if x == round(x) else f"{x:,.2f}"
    if kind == "plain" and 1e-3 <= abs(x) < 1e6:
        return f"{x:,.{sig}g}" if abs(x) < 1e3 else f"{x:,.0f}"
    return format_si(x, sig)


#: distribution parameters without the input's unit (shapes, spread factors)
_UNITLESS = ("gsd", "a", "b", "alpha", "beta")


def _dist_text(name: str, d: dict) -> str:
    args = ", ".join(
        f"{k} {format_si(float(v), 3) if k in _UNITLESS else format_value(name, v)}"
        if isinstance(v, int | float)
        else f"{k} {v}"
        for k, v in d.items()
        if k != "dist"
    )
    return f"{d['dist']}({args})"


def _given(name: str, v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, dict) and "dist" in v:
        return _dist_text(name, v)
    if isinstance(v, list):
        return None
    return format_value(name, v)


def scenario_subtitle(d: dict[str, Any], swept: tuple[str, ...] = ()) -> str:
    """The whole scenario of an ``Estimate.to_dict()`` in one or two lines for a chart.

    Names the run, parameters (dense models too), tokens, accelerator and precision, the
    MFU and where it came from, goodput, cluster size and price; inputs in ``swept`` are
    shown as swept.
    """
    inp = d.get("inputs", {})
    parts: list[str] = []

    def show(name: str) -> str | None:
        return "swept" if name in swept else _given(name, inp.get(name))

    if inp.get("run"):
        parts.append(f"run {inp['run']}")
    params, active = show("params"), show("active_params")
    if params and active and inp.get("params") != inp.get("active_params"):
        parts.append(f"{params} params ({active} active, MoE)")
    elif params or active:
        parts.append(f"{params or active} params (dense)")
    if show("tokens"):
        parts.append(f"{show('tokens')} tokens")
    hw = []
    if "gpu" in swept:
        hw.append("each accelerator swept")
    elif inp.get("gpu"):
        hw.append(str(inp["gpu"]))
    if "precision" in swept:
        hw.append("precision swept")
    elif inp.get("precision"):
        hw.append(str(inp["precision"]))
    if hw:
        parts.append(", ".join(hw) if "gpu" in swept else " ".join(hw))
    line1 = ", ".join(parts)

    more: list[str] = []
    prec = inp.get("precision") or ""
    raw_basis = d.get("mfu_basis")
    basis: dict[str, Any] = raw_basis if isinstance(raw_basis, dict) else {}
    peak = basis.get("peak_flop_per_s") or d.get("peak_flop_per_s")
    of_peak = (
        f" of the {basis.get('precision') or prec} dense peak {float(peak) / 1e12:,.0f} TFLOP/s"
        if isinstance(peak, int | float) and "gpu" not in swept and "precision" not in swept
        else ""
    )
    if "mfu" in swept:
        more.append("MFU swept")
    elif inp.get("mfu") is not None:
        more.append(f"MFU {show('mfu')}{of_peak} (given)")
    elif "gpu" in swept and d.get("mfu") is not None:
        more.append("MFU from the data-derived prior for each accelerator (median)")
    elif isinstance(d.get("mfu"), int | float):
        more.append(f"MFU {format_value('mfu', d['mfu'])}{of_peak} (data-derived prior, median)")
    for name, text in (
        ("goodput", "goodput {}"),
        ("n_gpus", "{} GPUs"),
        ("price_usd_per_gpu_hour", "{} per GPU-hour"),
    ):
        if name in swept:
            more.append(f"{LABELS[name][0]} swept")
        elif show(name):
            more.append(text.format(show(name)))
    if inp.get("flop_convention") and inp["flop_convention"] != "6nd":
        more.append(f"FLOP convention {inp['flop_convention']}")
    line2 = ", ".join(more)
    return "\n".join(x for x in (line1, line2) if x)
