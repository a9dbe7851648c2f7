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
from ..formulas import flops
from ..formulas.distbase import Dist
from ..formulas.units import format_si
from .inputs import DOMAINS, MFU_BASES, RECOMPUTE, Domain, check_array
from .resolution import ResolvesHardware

__all__ = ["Domain", "DOMAINS", "Scenario", "RECOMPUTE", "check_array", "given_inputs"]


@dataclass
class Scenario(ResolvesHardware):
    """Inputs of one estimate. Numeric inputs may be numbers, arrays or distributions.

    Parameters follow the glossary (``params``, ``active_params``, ``tokens``, ``gpu``,
    ``precision``, ``fp8_fraction``, ``mfu``, ``goodput``, ``n_gpus``,
    ``price_usd_per_gpu_hour``, ``pue``, ``usd_per_kwh``, ``grid_kg_co2e_per_kwh``);
    ``run`` starts from a run preset, ``architecture`` enables the architecture-detailed
    FLOP conventions; ``mfu_basis`` (:data:`~costmodel.model.inputs.MFU_BASES`) names the
    peak ``mfu`` is a fraction of.
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
    mfu_basis: str = "16bit"
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
        self._check_hfu()
        self._resolve_prior()

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
        validate.choice("mfu_basis", self.mfu_basis, MFU_BASES)
        if self.mfu_basis not in MFU_BASES:
            from ..errors import close_matches

            near = close_matches(self.mfu_basis, MFU_BASES)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise InputError(
                f"mfu_basis: {self.mfu_basis!r} is not one of {', '.join(MFU_BASES)}{hint}: "
                f"the peak mfu is a fraction of (16bit: the BF16/FP16 dense peak, as published "
                f"MFU figures are; fp8: the FP8 dense peak; blended: the run precision's peak)"
            )
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
                from ..formulas.dist import Fixed, restrict  # loaded already: defines every Dist

                dom = DOMAINS[name]
                # a count (n_gpus) is at least 1 and, when fixed, whole: fixed:0.3 and
                # 0.1..0.2 are refused like 0.3
                low, low_inclusive = (1.0, True) if dom.integer else (dom.low, dom.low_inclusive)
                if dom.integer and isinstance(v, Fixed):
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

    def _hardware_ratio(self) -> Any:
        """Hardware FLOP / model FLOP under ``recompute`` (a number or an array); ``None``
        when the hardware FLOP are not computed (selective without an architecture)."""
        if self.recompute == "none":
            return 1.0
        if self.architecture is None:
            return 4.0 / 3.0 if self.recompute == "full" else None  # 8ND / 6ND
        a = self.active_params
        fpt = self.flop_per_token(
            None if a is None else np.asarray(a.median() if isinstance(a, Dist) else a)
        )
        if fpt is None:
            return None
        extra = self.architecture.hardware_extra_per_token(self.recompute, mtp=self.mtp)
        return 1.0 + extra / np.asarray(fpt, float)

    def _check_hfu(self) -> None:
        """Refuse an ``mfu`` that would have the accelerator execute more FLOP/s than the run
        precision's dense peak: hardware FLOP/s = mfu × basis peak × hardware FLOP / model
        FLOP (recomputation adds hardware FLOP), and HFU against the run's own peak is at
        most 1. With ``mfu_basis`` the run's own peak and no recomputation nothing can pass."""
        if self.mfu is None:
            return
        over = self.basis_over_peak()  # basis peak / the run's peak: 1 when they coincide
        ratio = None if self.recompute == "none" else self._hardware_ratio()
        if ratio is None and np.max(over) <= 1.0:
            return
        ratio = 1.0 if ratio is None else ratio
        total = np.asarray(ratio, float) * over
        if np.all(over == 1.0):
            why = f"with recompute {self.recompute!r} HFU = {float(np.max(ratio)):.4g} × mfu"
        else:
            why = (
                f"mfu is a fraction of the {self._basis_words()} peak, {float(np.max(over)):.4g} "
                f"× the run's {self._run_peak_words()} peak"
                + (
                    f", and with recompute {self.recompute!r} the hardware executes "
                    f"{float(np.max(ratio)):.4g} × the model FLOP"
                    if np.max(ratio) != 1.0
                    else ""
                )
                + "; HFU against the run's peak"
            )
        if isinstance(self.mfu, Dist):
            if np.size(total) != 1:
                return
            from ..formulas.dist import restrict

            bound = 1.0 / float(np.ravel(total)[0])
            if bound >= 1.0:
                return
            try:
                self.mfu, note = restrict(self.mfu, "mfu", 0.0, bound)
            except InputError as e:
                raise InputError(f"{e} ({why} cannot exceed 1)") from None
            if note:
                self.assumptions.append(f"{note} ({why} cannot exceed 1)")
            return
        hfu = np.asarray(self.mfu, float) * total
        if np.max(hfu) <= 1.0:
            return
        m, r, h = np.broadcast_arrays(np.asarray(self.mfu, float), total, hfu)
        i = np.unravel_index(int(np.argmax(h)), h.shape) if h.ndim else ()
        over_n = int(np.count_nonzero(h > 1.0))
        where = f" ({over_n} of {h.size} values)" if h.size > 1 else ""
        if np.all(over == 1.0):
            raise InputError(
                f"mfu: {float(m[i]):.4g}{where} with recompute {self.recompute!r} means an HFU "
                f"of {float(h[i]):.4g} (hardware FLOP = {float(r[i]):.4g} × model FLOP), above "
                f"the peak; HFU is at most 1, so mfu must be at most {1.0 / float(r[i]):.4g} "
                f"here"
            )
        raise InputError(
            f"mfu: {float(m[i]):.4g}{where} means an HFU of {float(h[i]):.4g} against the run's "
            f"{self._run_peak_words()} peak ({why}), above that peak; mfu must be at most "
            f"{1.0 / float(r[i]):.4g} here, or give {arg('mfu_basis')} the peak it was read "
            f"against"
        )

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
