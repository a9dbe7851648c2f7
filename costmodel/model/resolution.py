"""Resolving a scenario's hardware and preset defaults.

The part of :class:`~costmodel.model.scenario.Scenario` that turns names into presets:
accelerators and precisions (once per distinct name, :mod:`costmodel.model.hardware`), the
default precision, the market price, PUE and ownership defaults, and the utilization prior
when ``mfu`` is not given, each default stated in ``assumptions``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..data import store
from ..errors import InputError, MissingInputError, arg
from ..formulas import cost
from ..formulas.distbase import Dist
from ..formulas.units import format_si
from .basis import ReadsBasis
from .hardware import Hardware

__all__ = ["ResolvesHardware"]


class ResolvesHardware(ReadsBasis):
    """Base of :class:`~costmodel.model.scenario.Scenario`: hardware, prices, priors (it
    evaluates the peak and FLOP per token for its notes, hence :class:`Evaluates`, and
    reads ``mfu_basis`` through :class:`~costmodel.model.basis.ReadsBasis`)."""

    def _resolve_hardware(self) -> None:
        self.accelerators: dict[str, Any] = {}
        self.hardware: Hardware | None = None
        if self.gpu is None:
            if self.precision is not None and self.precision != "mixed":
                self._check_precision_name(self.precision)
            return
        hw = self.hardware = Hardware(self.gpu)  # one store lookup per distinct name
        self.accelerators = hw.accelerators
        self.gpu = hw.gpu
        if (
            isinstance(self.precision, str)
            and self.precision == "mixed"
            and "precision" not in self.given
            and not all("fp8" in a.peak_dense_tflop_per_s for a in self.accelerators.values())
        ):
            # the run preset trained in FP8, but the accelerator asked for has no FP8
            self.assumptions.append(
                f"the run preset's precision 'mixed' needs FP8, which "
                f"{', '.join(sorted(self.accelerators))} lacks: the run is priced in 16-bit"
            )
            self.precision = None
            self.fp8_fraction = None
        if self.precision is None:
            self.precision = self._default_precision()
        hw.set_precision(self.precision)
        mixed = False
        for gi, pi in hw.pairs():
            acc = self.accelerators[gi]
            if pi == "mixed":
                mixed = True
                acc.peak_flop_per_s("fp8"), acc.peak_flop_per_s("bf16")
                continue
            self._check_precision_name(pi)
            acc.peak_flop_per_s(pi)  # raises UnsupportedPrecisionError with the choices
        if mixed and self.fp8_fraction is None:
            if self.architecture is None:
                raise MissingInputError(
                    f"fp8_fraction: precision 'mixed' needs the FLOP share run in FP8 "
                    f"({arg('fp8_fraction', '0.85')}) or an architecture to derive it from"
                )
            f = self.architecture.fp8_flop_fraction(mtp=self.mtp)
            self.fp8_fraction = np.asarray(f)
            self.assumptions.append(
                f"fp8_fraction = {f:.3f}: block linears in FP8, attention core, router and "
                f"LM head in BF16 (DeepSeek-V3 recipe, arXiv 2412.19437 §3.3.1)"
            )
        if self.fp8_fraction is not None and not mixed:
            raise InputError("fp8_fraction: only meaningful with precision 'mixed'")
        self._resolve_basis(hw)
        if self.mfu is not None and not isinstance(self.mfu, Dist):
            self._note_over_ceiling(hw)
        if self.mfu is not None:
            self._basis_note()

    @staticmethod
    def _check_precision_name(p: str) -> None:
        from ..data.schemas import PRECISIONS

        if p not in (*PRECISIONS, "mixed"):
            from ..errors import close_matches

            near = close_matches(str(p), PRECISIONS)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise InputError(f"precision: {p!r} is not one of {', '.join(PRECISIONS)}, mixed{hint}")

    def _default_precision(self) -> str:
        for p in ("bf16", "fp16"):
            if all(p in a.peak_dense_tflop_per_s for a in self.accelerators.values()):
                self.assumptions.append(f"precision not given: {p} assumed")
                return p
        raise MissingInputError(
            f"precision: give {arg('precision')}; the accelerators share no 16-bit peak"
        )

    def _market_price(self) -> None:
        """Price by the one market rule (:mod:`costmodel.market`): the sourced rental range,
        else the ownership-cost proxy; the assumption says which. An array of accelerators
        is priced element by element (:meth:`_market_medians`, an error naming any without
        a market price)."""
        from .market import market_price

        if self.gpu is None:
            raise InputError(f"price_usd_per_gpu_hour: 'market' needs {arg('gpu')}")
        if np.ndim(self.gpu) > 0:
            self._market_medians(strict=True)
            return
        m = market_price(self.gpu)
        self.price_usd_per_gpu_hour = m.dist()
        self.assumptions.append(m.describe())

    def _market_medians(self, *, strict: bool) -> None:
        """An array of accelerators: each element at its accelerator's market price median
        (the rule of :mod:`costmodel.model.market`, looked up once per distinct id and
        gathered by the ``gpu`` codes), as a swept ``gpu`` is priced
        (:func:`costmodel.analysis.sweep_eval.iter_sweep`). An accelerator without a market
        price raises when ``strict`` (``'market'`` asked for); otherwise its elements' cost
        is NaN and an assumption names it. Without any market price the cost stays
        uncomputed, as for a single such accelerator."""
        from .market import market_price

        assert self.hardware is not None, "_market_medians() needs a gpu"
        hw = self.hardware
        medians: list[float] = []
        priced: list[str] = []
        missing: list[str] = []
        for gid in hw.gpu_ids:
            try:
                m = market_price(gid)
            except InputError:
                if strict:
                    raise
                medians.append(math.nan)
                missing.append(gid)
                continue
            med = float(m.dist().median())
            medians.append(med)
            lo, hi = m.low_usd_per_gpu_hour, m.high_usd_per_gpu_hour
            rng = f"${lo:.2f}" if hi == lo else f"${lo:.2f}-${hi:.2f}"
            priced.append(f"{gid} ${med:.2f} ({m.kind} {rng}, {m.source})")
        if not priced:
            return
        self.price_usd_per_gpu_hour = hw.by_gpu(np.asarray(medians, dtype=float))
        why = "'market'" if strict else "not given (give one to override)"
        self.assumptions.append(
            f"price_usd_per_gpu_hour {why}: each accelerator's market price at its median "
            f"(the geometric mean of the range's 5th and 95th percentiles): " + "; ".join(priced)
        )
        if missing:
            self.assumptions.append(
                f"price_usd_per_gpu_hour: {', '.join(missing)} "
                f"{'has' if len(missing) == 1 else 'have'} no market price (no rental range "
                f"in presets/prices nor the inputs of the ownership-cost proxy), so cost_usd "
                f"is NaN for {'its' if len(missing) == 1 else 'their'} elements; give "
                f"{arg('price_usd_per_gpu_hour')}"
            )

    def _default_market_price(self) -> None:
        """No price given: the accelerator's market price by the one rule of
        :meth:`_market_price`, stated in ``assumptions``; for an array of accelerators each
        element's at its median (:meth:`_market_medians`). Without a market price (nor the
        ownership-cost proxy) the cost stays uncomputed and the missing input is named."""
        if self.gpu is None:
            return
        if np.ndim(self.gpu) > 0:
            self._market_medians(strict=False)
            return
        n = len(self.assumptions)
        try:
            self._market_price()
        except InputError:
            return
        self.assumptions[n] = self.assumptions[n].replace(
            "price_usd_per_gpu_hour: ",
            "price_usd_per_gpu_hour not given, so the market price (give one to override): ",
            1,
        )

    def _default_pue(self) -> None:
        """No PUE given: Epoch AI's 1.25 (:data:`costmodel.cost.DEFAULT_PUE`) for energy."""
        if self.pue is not None or not any(a.tdp_w for a in self.accelerators.values()):
            return
        self.pue = np.asarray(cost.DEFAULT_PUE)
        self.assumptions.append(
            f"pue not given: {cost.DEFAULT_PUE:g} for energy_kwh (Epoch AI, Cottier et al. "
            f"2024: 1.25 outside hyperscalers, 1.1 for them)"
        )

    def _ownership_defaults(self) -> None:
        """Sourced defaults for the Epoch AI ownership-cost rate (each overridable)."""
        from ..formulas.cost import DEPRECIATION_OOM_PER_YEAR

        if self.gpu is None or np.ndim(self.gpu) > 0:
            raise InputError(f"ownership: needs a single {arg('gpu')}")
        acc = self.accelerators[self.gpu]
        if acc.tdp_w is None:
            raise InputError(f"ownership: {acc.id} has no published TDP for the energy term")
        if self.server_usd_per_gpu is None:
            try:
                lo, hi = store.get("prices", acc.id).server_usd_per_gpu_range()
            except (KeyError, ValueError):
                raise InputError(
                    f"server_usd_per_gpu: no purchase price for {acc.id} in "
                    f"presets/prices; give {arg('server_usd_per_gpu')}"
                ) from None
            from ..formulas.dist import Fixed, LogUniform

            self.server_usd_per_gpu = LogUniform(lo, hi) if hi > lo else Fixed(lo)
            self.assumptions.append(
                f"server_usd_per_gpu: log-uniform ${lo:,.0f}-${hi:,.0f} from presets/prices/"
                f"{acc.id}.toml (server-level quotes as they are, GPU-level × 1.64 server "
                f"overhead, Epoch AI)"
            )
        for name, value, why in (
            (
                "depreciation_oom_per_year",
                DEPRECIATION_OOM_PER_YEAR,
                "Epoch AI: hardware value falls 0.14 orders of magnitude a year",
            ),
            ("pue", 1.25, "Epoch AI: 1.25 outside hyperscalers, 1.1 for them"),
            ("usd_per_kwh", 0.0826, "Epoch AI: US industrial average electricity price, 2025"),
        ):
            if getattr(self, name) is None:
                setattr(self, name, np.asarray(value))
                self.assumptions.append(f"{name} = {value:g} ({why})")

    def _resolve_prior(self) -> None:
        """Use the data-derived utilization prior when ``mfu`` is not given."""
        self.mfu_prior = None
        if self.mfu is not None or self.gpu is None or self.active_params is None:
            return
        from . import priors

        self.mfu_prior = priors.load()
        fams = self.families()
        n = self.active_params
        n0 = n.median() if isinstance(n, Dist) else np.asarray(n, float)
        if np.size(n0) == 1 and np.size(fams) == 1:
            self.assumptions.append(
                self.mfu_prior.describe(
                    float(np.ravel(n0)[0]),
                    str(np.ravel(fams)[0]),
                    upper=float(np.ravel(self.prior_upper())[0]),
                )
            )
        else:
            self.assumptions.append(
                "mfu not given: data-derived prior (presets/priors/"
                "mfu-6nd.toml) median for each accelerator and size"
            )
        if self.mfu_prior.outside_fit(n0):
            lo, hi = (10**x * priors.SIZE_REFERENCE for x in self.mfu_prior.x_range)
            self.assumptions.append(
                f"active_params outside the published runs the prior was fitted to "
                f"({format_si(lo)}-{format_si(hi)}): the prior uses the nearest fitted size"
            )
        if self.goodput is not None:
            self.assumptions.append(
                "the prior's mfu is end-to-end (downtime included); goodput is applied on top of it"
            )
        if self.tokens is not None:
            self._work_notes()

    def work_reference(self) -> tuple[float, int]:
        """The prior's typical ``convention FLOP / 6ND`` (1 for ``6nd``), and its run count
        (:func:`costmodel.priors.convention_ratio`)."""
        if self.flop_convention == "6nd" or self.architecture is None:
            return 1.0, 0
        from .priors import convention_ratio

        return convention_ratio(self.flop_convention)

    def _work_notes(self) -> None:
        """State how the prior's hours follow the convention's work, and where the implied
        utilization would pass the accelerator's measured ceiling."""
        from .priors import sixteen_bit_peak

        ref, n_ref = self.work_reference()
        conv = self.flop_convention
        n = self.active_params
        n0 = n.median() if isinstance(n, Dist) else n
        if np.size(n0) != 1 or np.size(self.gpu) != 1 or np.size(self.precision) != 1:
            return
        n0 = float(np.ravel(n0)[0])
        if ref != 1.0 or conv != "6nd":
            own = float(np.ravel(np.asarray(self.flop_per_token(n0), float))[0]) / (6.0 * n0)
            self.assumptions.append(
                f"hours from the 6ND prior scaled by the {conv} work per token beyond the "
                f"prior's runs: this shape (seq {self.architecture.seq_len:,}) does "
                f"{own:.3f} × 6ND, the median of {n_ref} published runs with shapes "
                f"{ref:.3f} × 6ND, so × {own / ref:.3f} (docs/methodology.md §4)"
            )
        acc = self.accelerators[str(np.ravel(self.gpu)[0])]
        f8 = self.fp8_fraction
        f8 = None if f8 is None else (f8.median() if isinstance(f8, Dist) else f8)
        peak = float(np.ravel(np.asarray(self.peak(f8), float))[0])
        p16 = min(peak, sixteen_bit_peak(acc))
        upper = acc.matmul_ceiling_fraction or 1.0
        # implied mfu = prior draw × ref × p16 / peak: above the ceiling past this draw
        t = upper * peak / (ref * p16)
        if t < upper:
            p = self.mfu_prior.p_at_least(t, n0, acc.family, upper=upper)
            if p > 0:
                self.assumptions.append(
                    f"where a prior draw would imply more than {acc.id}'s measured ceiling "
                    f"({upper:.1%} of peak; {p:.1%} of draws), the hours are those at the "
                    f"ceiling: an implied utilization above it is never reported"
                )

    def families(self) -> np.ndarray:
        """Accelerator family for each ``gpu`` element."""
        assert self.hardware is not None, "families() needs a gpu"
        return self.hardware.families()

    def prior_peak(self, peak: np.ndarray) -> np.ndarray:
        """Peak the prior's MFU refers to: the 16-bit peak, or lower if the precision is."""
        from .priors import sixteen_bit_peak

        assert self.hardware is not None, "prior_peak() needs a gpu"
        hw = self.hardware
        return np.minimum(peak, hw.by_gpu(np.asarray([sixteen_bit_peak(a) for a in hw.accs])))

    def prior_upper(self) -> np.ndarray:
        """Upper bound of the prior per ``gpu``: its measured matmul ceiling, else 1."""
        assert self.hardware is not None, "prior_upper() needs a gpu"
        hw = self.hardware
        return hw.by_gpu(np.asarray([a.matmul_ceiling_fraction or 1.0 for a in hw.accs]))

    def prior_ppf(self, u: np.ndarray, active_params) -> np.ndarray:
        """Prior MFU quantiles (sampling)."""
        return self.mfu_prior.ppf(u, active_params, self.families(), upper=self.prior_upper())
