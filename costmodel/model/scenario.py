"""A training scenario: resolved, validated inputs and one vectorized evaluation.

:class:`Scenario` gathers the glossary inputs (numbers, arrays or distributions), fills them
from a run preset, checks every domain once, and evaluates all outputs in a single call on
arrays. A scalar estimate, a sweep and a Monte Carlo simulation all go through
:meth:`Scenario.evaluate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ..data import store
from ..errors import InputError, MissingInputError, arg
from ..formulas import cost, flops
from ..formulas.distbase import Dist
from ..formulas.units import format_si
from .hardware import Hardware
from .inputs import DOMAINS, RECOMPUTE, Domain, all_finite, check_array

__all__ = ["Domain", "DOMAINS", "Scenario", "RECOMPUTE", "check_array", "given_inputs"]


@dataclass
class Scenario:
    """Inputs of one estimate. Numeric inputs may be numbers, arrays or distributions.

    Parameters follow the glossary (``params``, ``active_params``, ``tokens``, ``gpu``,
    ``precision``, ``fp8_fraction``, ``mfu``, ``goodput``, ``n_gpus``,
    ``price_usd_per_gpu_hour``, ``pue``, ``usd_per_kwh``, ``grid_kg_co2e_per_kwh``);
    ``run`` starts from a run preset, ``architecture`` enables the architecture-detailed
    FLOP conventions.
    """

    params: Any = None
    active_params: Any = None
    tokens: Any = None
    gpu: Any = None
    precision: Any = None
    fp8_fraction: Any = None
    mfu: Any = None
    goodput: Any = None
    n_gpus: Any = None
    price_usd_per_gpu_hour: Any = None
    pue: Any = None
    usd_per_kwh: Any = None
    grid_kg_co2e_per_kwh: Any = None
    server_usd_per_gpu: Any = None
    depreciation_oom_per_year: Any = None
    ownership: bool = False
    run: str | None = None
    architecture: Any = None  # Architecture or dict
    flop_convention: str = "6nd"
    recompute: str = "none"
    mtp: bool = False
    seq_len: int | None = None
    default_price: bool = True
    assumptions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.given = {k for k in (*DOMAINS, "precision", "gpu") if getattr(self, k) is not None}
        self._resolve_run()
        self._resolve_architecture()
        self._check_options()
        self._router_note()
        market = isinstance(self.price_usd_per_gpu_hour, str)
        if market:
            if self.price_usd_per_gpu_hour.strip().lower() != "market":
                raise InputError(
                    f"price_usd_per_gpu_hour: {self.price_usd_per_gpu_hour!r} is "
                    f"not a number, a distribution or 'market'"
                )
            self.price_usd_per_gpu_hour = None
        self._check_numeric()
        self._resolve_hardware()
        if market:
            self._market_price()
        elif self.default_price and self.price_usd_per_gpu_hour is None:
            self._default_market_price()
        if self.ownership:
            self._ownership_defaults()
        self._default_pue()
        self._resolve_params()
        self._resolve_prior()

    # ---------------------------------------------------------------- resolution
    def _resolve_run(self) -> None:
        if self.run is None:
            self.run_preset = None
            return
        if not isinstance(self.run, str):
            from .validate import shown

            raise InputError(f"run: expected a run preset id (a string), got {shown(self.run)}")
        r = store.get("runs", self.run)
        self.run_preset = r
        self.run = r.id
        for name, value in (
            ("params", r.params),
            ("active_params", r.active_params),
            ("tokens", r.tokens),
            ("gpu", r.gpu),
            ("n_gpus", r.n_gpus),
        ):
            if getattr(self, name) is None and value is not None:
                setattr(self, name, value)
        if self.precision is None:
            self.precision = r.precision
            if r.precision == "mixed" and self.fp8_fraction is None and r.fp8_fraction is not None:
                self.fp8_fraction = r.fp8_fraction
        if self.architecture is None and r.architecture is not None:
            self.architecture = r.architecture

    def _resolve_architecture(self) -> None:
        from . import validate

        self.architecture = validate.architecture(self.architecture)
        if self.seq_len is not None:
            if self.architecture is None:
                raise MissingInputError(
                    f"seq_len: only used by architecture-detailed conventions; give an "
                    f"architecture or {arg('run')}"
                )
            ok = isinstance(self.seq_len, int | float | np.integer | np.floating)
            try:
                ok = ok and not isinstance(self.seq_len, bool) and 0 < self.seq_len < 1e12
            except OverflowError:
                ok = False
            if not ok:
                got = validate.shown(self.seq_len)
                raise InputError(f"seq_len: expected a whole number of tokens, got {got}")
            s = int(self.seq_len)
            if s <= 0 or s != self.seq_len:
                raise InputError(f"seq_len: {self.seq_len!r} must be a positive integer")
            self.architecture = self.architecture.model_copy(update={"seq_len": s})

    def _check_options(self) -> None:
        from . import validate

        validate.choice("flop_convention", self.flop_convention, flops.CONVENTIONS)
        validate.choice("recompute", self.recompute, RECOMPUTE)
        self.mtp = validate.flag("mtp", self.mtp)
        self.ownership = validate.flag("ownership", self.ownership)
        if self.flop_convention not in flops.CONVENTIONS:
            from ..errors import close_matches

            near = close_matches(self.flop_convention, flops.CONVENTIONS)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise InputError(
                f"flop_convention: {self.flop_convention!r} is not one of "
                f"{', '.join(flops.CONVENTIONS)}{hint}"
            )
        if self.recompute not in RECOMPUTE:
            raise InputError(f"recompute: {self.recompute!r} is not one of {', '.join(RECOMPUTE)}")
        if self.flop_convention != "6nd" and self.architecture is None:
            raise MissingInputError(
                f"flop_convention: {self.flop_convention!r} needs the model's architecture; "
                f"start from a run preset ({arg('run', 'deepseek-v3', repr('deepseek-v3'))}) or "
                f"use 6nd"
            )
        if self.mtp and (self.architecture is None or not self.architecture.mtp_depth):
            raise InputError("mtp: the architecture has no multi-token-prediction module")
        if self.mtp and self.flop_convention != "megatron":
            raise InputError(
                f"mtp: only the megatron convention counts the MTP module; add "
                f"{arg('flop_convention', 'megatron', repr('megatron'))} "
                f"(got {self.flop_convention})"
            )
        if self.flop_convention != "6nd" and "active_params" in self.given:
            self.assumptions.append(
                f"active_params is not used by the {self.flop_convention} convention, which "
                f"counts the architecture's own shape; it only feeds the utilization prior"
            )
        a = self.architecture
        if self.flop_convention == "narayanan2021" and not (
            a.mla is None
            and a.moe is None
            and not a.gated_mlp
            and a.n_kv_heads_ == a.n_heads
            and a.ffn_hidden == 4 * a.d_model
            and not a.causal
            and a.sliding_window is None
        ):
            self.assumptions.append(
                "narayanan2021 assumes MHA, a 4h plain MLP and non-causal attention; this "
                "architecture differs, so the closed form is only indicative"
            )
        if self.recompute == "selective" and self.architecture is None:
            self.assumptions.append(
                "recompute 'selective' adds the attention core, which "
                "needs an architecture: hardware_flop not computed"
            )

    def _check_numeric(self) -> None:
        from .validate import broadcast, ids

        self.gpu = ids("gpu", self.gpu)
        self.precision = ids("precision", self.precision)
        for name in DOMAINS:
            v = getattr(self, name)
            if v is None:
                continue
            if isinstance(v, Dist):
                from ..formulas.dist import restrict  # loaded already: it defines every Dist

                dom = DOMAINS[name]
                # a count (n_gpus) is at least 1 and, when fixed, whole: fixed:0.3 and
                # 0.1..0.2 are refused like 0.3
                low, low_inclusive = (1.0, True) if dom.integer else (dom.low, dom.low_inclusive)
                if dom.integer and v.kind == "fixed":
                    check_array(name, v.value)
                v2, note = restrict(
                    v,
                    name,
                    low,
                    dom.high,
                    low_inclusive=low_inclusive,
                    high_inclusive=dom.high_inclusive,
                )
                setattr(self, name, v2)
                if note:
                    self.assumptions.append(note)
            else:
                setattr(self, name, check_array(name, v))
        broadcast({k: getattr(self, k) for k in (*DOMAINS, "gpu", "precision")})

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
        if self.mfu is not None and not isinstance(self.mfu, Dist):
            self._note_over_ceiling(hw)
        if mixed and self.mfu is not None:
            src = "" if "precision" in self.given else " (the run preset's precision)"
            self.assumptions.append(
                f"precision 'mixed'{src}: mfu is a fraction of the blended FP8/BF16 peak; "
                f"published MFU figures usually divide by the BF16 peak (add "
                f"{arg('precision', 'bf16', repr('bf16'))} to use it)"
            )

    def _note_over_ceiling(self, hw: Hardware) -> None:
        """Note each (gpu, 16-bit precision) whose mfu exceeds the measured matmul ceiling."""
        try:
            m, ceil, g, p = np.broadcast_arrays(
                np.asarray(self.mfu, float), hw.matmul_ceiling(), hw.gpu_codes, hw.precision_codes
            )
        except ValueError:  # shapes that only broadcast with other inputs: skip the note
            return
        if m.size > 1 and np.max(m) <= np.min(hw.matmul_ceiling_table()):
            return
        over = m > ceil
        if not np.any(over):
            return
        key = p[over] * len(hw.gpu_ids) + g[over]
        for k in np.unique(key):
            gi = hw.gpu_ids[k % len(hw.gpu_ids)]
            ceiling = self.accelerators[gi].matmul_ceiling_fraction
            self.assumptions.append(
                f"mfu {float(np.max(m[over][key == k])):.0%} exceeds {gi}'s best measured dense "
                f"matmul throughput ({ceiling:.1%} of peak): no training run can reach it"
            )

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
        else the ownership-cost proxy; the assumption says which."""
        from .market import market_price

        if self.gpu is None or np.ndim(self.gpu) > 0:
            raise InputError(f"price_usd_per_gpu_hour: 'market' needs a single {arg('gpu')}")
        m = market_price(self.gpu)
        self.price_usd_per_gpu_hour = m.dist()
        self.assumptions.append(m.describe())

    def _default_market_price(self) -> None:
        """No price given: the accelerator's market price by the one rule of
        :meth:`_market_price`, stated in ``assumptions``. Without a market price (nor the
        ownership-cost proxy) the cost stays uncomputed and the missing input is named."""
        if self.gpu is None or np.ndim(self.gpu) > 0:
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

    def _resolve_params(self) -> None:
        if self.active_params is None and self.params is not None:
            self.active_params = self.params
            if self.run_preset is None:
                self.assumptions.append(
                    "active_params not given: dense model assumed (active_params = params)"
                )
        if self.active_params is None and self.architecture is not None:
            n = self.architecture.param_count()["active"]
            self.active_params = np.asarray(n)
            self.assumptions.append(f"active_params = {format_si(n)} derived from the architecture")
        if (
            self.params is not None
            and self.active_params is not None
            and not isinstance(self.params, Dist)
            and not isinstance(self.active_params, Dist)
        ):
            p, a = np.broadcast_arrays(self.params, self.active_params)
            if np.any(a > p * (1 + 1e-9)):
                raise InputError(
                    f"active_params: {float(np.max(a)):g} exceeds params {float(np.min(p)):g}"
                )

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

    def _router_note(self) -> None:
        """Say where the ``megatron`` count goes beyond Megatron-LM's (the MoE router)."""
        a = self.architecture
        if self.flop_convention != "megatron" or a is None or a.moe is None or not a.moe.router:
            return
        b = a.breakdown(mtp=self.mtp)
        lm = b.training_megatron_lm
        self.assumptions.append(
            f"the megatron count includes the MoE router's gating matmul "
            f"({(b.training - lm) / 1e9:.3g} GFLOP/token, +{b.training / lm - 1:.2%}), which "
            f"Megatron-LM's num_floating_point_operations leaves out; Megatron-LM's own count "
            f"is {lm / 1e9:.2f} GFLOP/token"
        )

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
            own = float(np.ravel(self.flop_per_token(n0))[0]) / (6.0 * n0)
            self.assumptions.append(
                f"hours from the 6ND prior scaled by the {conv} work per token beyond the "
                f"prior's runs: this shape (seq {self.architecture.seq_len:,}) does "
                f"{own:.3f} × 6ND, the median of {n_ref} published runs with shapes "
                f"{ref:.3f} × 6ND, so × {own / ref:.3f} (docs/methodology.md §4)"
            )
        acc = self.accelerators[str(np.ravel(self.gpu)[0])]
        f8 = self.fp8_fraction
        f8 = None if f8 is None else (f8.median() if isinstance(f8, Dist) else f8)
        peak = float(np.ravel(self.peak(None if f8 is None else np.asarray(f8)))[0])
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
        return np.minimum(peak, np.asarray([sixteen_bit_peak(a) for a in hw.accs])[hw.gpu_codes])

    def prior_upper(self) -> np.ndarray:
        """Upper bound of the prior per ``gpu``: its measured matmul ceiling, else 1."""
        assert self.hardware is not None, "prior_upper() needs a gpu"
        hw = self.hardware
        return np.asarray([a.matmul_ceiling_fraction or 1.0 for a in hw.accs])[hw.gpu_codes]

    def prior_ppf(self, u: np.ndarray, active_params) -> np.ndarray:
        """Prior MFU quantiles (sampling)."""
        return self.mfu_prior.ppf(u, active_params, self.families(), upper=self.prior_upper())

    # ---------------------------------------------------------------- evaluation
    def uncertain(self) -> dict[str, Dist]:
        """Inputs given as distributions (excluding fixed points)."""
        return {k: getattr(self, k) for k in DOMAINS if isinstance(getattr(self, k), Dist)}

    def point_values(self) -> dict[str, np.ndarray | None]:
        """Inputs at their medians (arrays stay arrays)."""
        out = {}
        for k in DOMAINS:
            v = getattr(self, k)
            out[k] = np.asarray(v.median()) if isinstance(v, Dist) else v
        return out

    def flop_per_token(self, active_params: np.ndarray | None) -> np.ndarray | float | None:
        """Training model FLOP per token under the scenario's convention [FLOP]."""
        if self.flop_convention == "6nd":
            return None if active_params is None else 6.0 * np.asarray(active_params, float)
        return self.architecture.flop_per_token(self.flop_convention, mtp=self.mtp)

    def _per_gpu(self, attr: str) -> np.ndarray | None:
        """Vectorized lookup of an accelerator attribute over ``gpu``."""
        return None if self.hardware is None else self.hardware.per_gpu(attr)

    def peak(self, fp8_fraction: np.ndarray | None) -> np.ndarray | None:
        """Dense peak per accelerator [FLOP/s], blended for mixed precision."""
        return None if self.hardware is None else self.hardware.peak(fp8_fraction)

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
        tokens = v.get("tokens")
        fpt = self.flop_per_token(v.get("active_params"))
        model_flop = None if (fpt is None or tokens is None) else fpt * tokens
        hardware_flop = self._hardware_flop(model_flop, fpt, v.get("active_params"), tokens)
        peak = self.peak(v.get("fp8_fraction"))
        mfu = v.get("mfu")
        goodput = v.get("goodput")
        g = 1.0 if goodput is None else goodput
        hours = None
        prior_mfu = v.get("mfu_prior")
        if mfu is None and self.mfu_prior is not None and prior_mfu is None:
            prior_mfu = self.mfu_prior.median(
                v["active_params"], self.families(), upper=self.prior_upper()
            )
        if model_flop is not None and peak is not None and mfu is not None:
            hours = cost.gpu_hours(model_flop, peak, mfu, g)
        elif model_flop is not None and peak is not None and prior_mfu is not None:
            # the prior is a 6ND utilization of the 16-bit peak (costmodel.priors): the hours
            # grow with the work per token beyond what the prior's runs had (issue 9.27), and
            # never below the time the work takes at the accelerator's measured ceiling
            ref = self.work_reference()[0]
            hours = cost.gpu_hours(model_flop / ref, self.prior_peak(peak), prior_mfu, g)
            done = model_flop if hardware_flop is None else hardware_flop
            hours = np.maximum(hours, cost.gpu_hours(done, peak, self.prior_upper(), g))
            mfu = model_flop / (hours * g * cost.SECONDS_PER_HOUR * peak)
        out: dict[str, Any] = {
            "model_flop": model_flop,
            "hardware_flop": hardware_flop,
            "flop_per_token": fpt,
            "peak_flop_per_s": peak,
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
        if hardware_flop is not None:
            out["hfu"] = hardware_flop / (hours * g * cost.SECONDS_PER_HOUR * peak)
        if v.get("n_gpus") is not None:
            out["wall_clock_days"] = cost.wall_clock_days(hours, v["n_gpus"])
        if v.get("price_usd_per_gpu_hour") is not None:
            out["cost_usd"] = cost.rental_cost_usd(hours, v["price_usd_per_gpu_hour"])
        tdp = self._per_gpu("tdp_w")
        if v.get("pue") is not None and tdp is not None:
            assert self.hardware is not None
            kinds = self.hardware.avg_power_fraction()
            out["energy_kwh"] = cost.energy_kwh(
                hours,
                tdp,
                v["pue"],
                server_power_factor=self._per_gpu("server_power_factor"),
                avg_power_fraction=kinds,
            )
            if v.get("grid_kg_co2e_per_kwh") is not None:
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


#: Scenario inputs a public entry point takes, and their defaults.
SCENARIO_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in fields(Scenario) if f.name not in ("default_price", "assumptions")
}


def given_inputs(values: dict[str, Any]) -> dict[str, Any]:
    """The scenario inputs among an entry point's arguments that differ from the defaults.

    ``estimate(mfu=0.3)`` and the former ``estimate(**{"mfu": 0.3})`` build the same
    :class:`Scenario`; analyses that check which inputs were given (a sweep's grid against
    its fixed inputs) see only these.
    """
    out = {}
    for k, default in SCENARIO_DEFAULTS.items():
        v = values.get(k, default)
        same = isinstance(v, str | bool) and type(v) is type(default) and v == default
        if v is default or same:
            continue
        out[k] = v
    return out
