"""Evaluating a scenario: every output from input values, in one call on arrays.

The part of :class:`~costmodel.model.scenario.Scenario` that computes: FLOP under the
scenario's convention, the peak per element, GPU-hours (from ``mfu`` or the utilization
prior), wall-clock, cost, energy, emissions and the ownership cost — all with the formulas of
:mod:`costmodel.formulas.cost`, broadcasting the inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError
from ..formulas import cost
from .hardware import Hardware
from .inputs import all_finite

__all__ = ["Evaluates"]


class Evaluates:
    """Base of :class:`~costmodel.model.scenario.Scenario`: outputs from input values."""

    # the scenario's fields and resolved state (declared on :class:`Scenario`)
    params: Any
    active_params: Any
    tokens: Any
    gpu: Any
    precision: Any
    fp8_fraction: Any
    mfu: Any
    goodput: Any
    n_gpus: Any
    price_usd_per_gpu_hour: Any
    pue: Any
    usd_per_kwh: Any
    grid_kg_co2e_per_kwh: Any
    server_usd_per_gpu: Any
    depreciation_oom_per_year: Any
    ownership: bool
    architecture: Any
    flop_convention: str
    recompute: str
    mtp: bool
    assumptions: list[str]
    given: set[str]
    run_preset: Any
    accelerators: dict[str, Any]
    hardware: Hardware | None
    mfu_prior: Any
    mfu_basis: str
    basis_peaks: np.ndarray | None

    def prior_peak(self, peak: np.ndarray) -> np.ndarray:  # defined by ResolvesHardware
        raise NotImplementedError

    def families(self) -> np.ndarray:  # defined by ResolvesHardware
        raise NotImplementedError

    def prior_upper(self) -> np.ndarray:  # defined by ResolvesHardware
        raise NotImplementedError

    def work_reference(self) -> tuple[float, int]:  # defined by ResolvesHardware
        raise NotImplementedError

    def flop_per_token(self, active_params: Any) -> np.ndarray | float | None:
        """Training model FLOP per token under the scenario's convention [FLOP]."""
        if self.flop_convention == "6nd":
            return None if active_params is None else 6.0 * np.asarray(active_params, float)
        return self.architecture.flop_per_token(self.flop_convention, mtp=self.mtp)

    def _energy_kwh(self, hours: Any, pue: Any) -> Any:
        """Facility energy [kWh] of ``hours`` at ``pue`` (:func:`cost.energy_kwh`); ``None``
        unless every accelerator has a TDP.

        The formula is a product, linear in the hours: its per-accelerator factors (TDP,
        server power factor, average draw) and a single PUE are evaluated once per
        accelerator, and only that table is looked up per element, then scaled by the hours.
        """
        hw = self.hardware
        tdp = None if hw is None else hw.gpu_table("tdp_w")
        if hw is None or tdp is None:
            return None
        one_pue = np.ndim(pue) == 0
        per_gpu_hour = cost.energy_kwh(
            1.0,
            tdp,
            pue if one_pue else 1.0,
            server_power_factor=[a.server_power_factor for a in hw.accs],
            avg_power_fraction=hw.avg_power_fraction_table(),
        )
        kwh = np.asarray(hours) * hw.by_gpu(np.asarray(per_gpu_hour))
        if not one_pue:
            kwh = kwh * pue
        return kwh.item() if np.ndim(kwh) == 0 else kwh

    def peak(self, fp8_fraction: Any) -> np.ndarray | None:
        """Dense peak per accelerator [FLOP/s], blended for mixed precision."""
        return None if self.hardware is None else self.hardware.peak(fp8_fraction)

    def basis_peak(self, peak: Any) -> Any:
        """The peak ``mfu`` is a fraction of, per element [FLOP/s] (``mfu_basis``): ``peak``
        (the run precision's own) unless the basis is another one, see
        :meth:`~costmodel.model.hardware.Hardware.basis_table`."""
        table = getattr(self, "basis_peaks", None)
        if peak is None or table is None or self.hardware is None:
            return peak
        return self.hardware.by_pair(table)

    def evaluate(self, v: dict[str, Any]) -> dict[str, Any]:
        """All outputs from input values ``v`` (arrays broadcast together). One call.

        Outputs that need a missing input are ``None``. An output beyond the float range
        (``1e300`` parameters × ``1e300`` tokens) raises :class:`InputError` naming it.
        """
        try:  # inputs are finite, so only an overflow (or 0 from an underflow) makes inf/NaN
            with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                return self._evaluate(v)
        except FloatingPointError:
            pass  # find the output it reached, or find none (an intermediate, kept out)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = self._evaluate(v)
        for k, x in out.items():
            if x is not None and k != "ownership_parts" and not all_finite(x):
                raise InputError(
                    f"{k}: the inputs give a value beyond the floating-point range "
                    f"(above ~1.8e308); check their units and magnitudes"
                )
        return out

    def _evaluate(self, v: dict[str, Any]) -> dict[str, Any]:
        tokens: Any = v.get("tokens")
        fpt = self.flop_per_token(v.get("active_params"))
        model_flop = None if (fpt is None or tokens is None) else fpt * tokens
        hardware_flop = self._hardware_flop(model_flop, fpt, v.get("active_params"), tokens)
        peak: Any = self.peak(v.get("fp8_fraction"))
        # mfu is a fraction of the basis peak (16-bit by default), which with the mfu sets the
        # achieved FLOP/s; peak_flop_per_s stays the run precision's own peak
        basis: Any = self.basis_peak(peak)
        mfu = v.get("mfu")
        goodput = v.get("goodput")
        g = 1.0 if goodput is None else goodput
        hours: Any = None
        prior_mfu = v.get("mfu_prior")
        if mfu is None and self.mfu_prior is not None and prior_mfu is None:
            prior_mfu = self.mfu_prior.median(
                v["active_params"], self.families(), upper=self.prior_upper()
            )
        if model_flop is not None and peak is not None and mfu is not None:
            hours = cost.gpu_hours(model_flop, basis, mfu, g)
        elif model_flop is not None and peak is not None and prior_mfu is not None:
            # the prior is a 6ND utilization of the 16-bit peak (costmodel.priors): the hours
            # grow with the work per token beyond what the prior's runs had (issue 9.27), and
            # never below the time the work takes at the accelerator's measured ceiling
            ref = self.work_reference()[0]
            hours = cost.gpu_hours(model_flop / ref, self.prior_peak(peak), prior_mfu, g)
            done = model_flop if hardware_flop is None else hardware_flop
            hours = np.maximum(hours, cost.gpu_hours(done, peak, self.prior_upper(), g))
            mfu = model_flop / (hours * g * cost.SECONDS_PER_HOUR * basis)
        out: dict[str, Any] = {
            "model_flop": model_flop,
            "hardware_flop": hardware_flop,
            "flop_per_token": fpt,
            "peak_flop_per_s": peak,
            "mfu_basis_peak_flop_per_s": basis,
            "mfu": mfu,
            "hfu": None,
            "gpu_hours": hours,
            "wall_clock_days": None,
            "cost_usd": None,
            "energy_kwh": None,
            "co2e_kg": None,
            "tokens_per_s_per_gpu": None,
        }
        if hours is None:
            return out
        if hardware_flop is model_flop:  # nothing recomputed: HFU is the MFU
            out["hfu"] = mfu
        elif hardware_flop is not None:
            out["hfu"] = hardware_flop / (hours * g * cost.SECONDS_PER_HOUR * basis)
        if v.get("n_gpus") is not None:
            out["wall_clock_days"] = cost.wall_clock_days(hours, v["n_gpus"])
        if v.get("price_usd_per_gpu_hour") is not None:
            out["cost_usd"] = cost.rental_cost_usd(hours, v["price_usd_per_gpu_hour"])
        if v.get("pue") is not None:
            out["energy_kwh"] = self._energy_kwh(hours, v["pue"])
            if out["energy_kwh"] is not None and v.get("grid_kg_co2e_per_kwh") is not None:
                out["co2e_kg"] = cost.co2e_kg(out["energy_kwh"], v["grid_kg_co2e_per_kwh"])
        out["tokens_per_s_per_gpu"] = cost.tokens_per_s_per_gpu(tokens, hours)
        if self.ownership:
            acc = self.accelerators[self.gpu]
            rate = cost.ownership_usd_per_gpu_hour(
                v["server_usd_per_gpu"],
                acc.tdp_w,
                v["usd_per_kwh"],
                pue=v["pue"],
                depreciation_oom_per_year=v["depreciation_oom_per_year"],
                server_power_factor=acc.server_power_factor,
                avg_power_fraction=cost.AVG_POWER_FRACTION[acc.kind],
            )
            out["ownership_usd_per_gpu_hour"] = rate["total"]
            out["ownership_parts"] = rate
            out["ownership_cost_usd"] = rate["total"] * hours
        return out

    def _hardware_flop(self, model_flop, fpt, active_params, tokens):
        if model_flop is None:
            return None
        if self.recompute == "none":
            return model_flop
        if self.architecture is not None:
            extra = self.architecture.hardware_extra_per_token(self.recompute, mtp=self.mtp)
            return model_flop + extra * tokens
        if self.recompute == "full":  # 6ND without a shape: one more forward = 8ND
            return model_flop * 4.0 / 3.0
        return None  # selective needs the attention core, i.e. an architecture
