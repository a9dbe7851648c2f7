"""``costmodel.estimate``: the forward estimate, for scalars, arrays and distributions.

A scalar estimate is the vectorized path with 0-d arrays: :func:`estimate` builds a
:class:`~costmodel.scenario.Scenario`, evaluates it once at the inputs' medians (arrays
broadcast), and, when ``samples > 0``, once more on all samples to fill ``quantiles``.
The result type, :class:`Estimate`, and its JSON rules are in :mod:`.estimate_result`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .estimate_result import OUTPUT_KEYS, SCHEMA, Estimate, scalar, to_jsonable
from .inputs import Names, Quantity, Rng
from .scenario import DOMAINS, Scenario, given_inputs

if TYPE_CHECKING:
    from ..formulas.architecture import Architecture

__all__ = [
    "SCHEMA",
    "STEADY_STATE",
    "mark_steady_state",
    "OUTPUT_KEYS",
    "STABLE_QUANTILES",
    "DEFAULT_SAMPLES",
    "Estimate",
    "estimate",
    "samplable",
    "to_jsonable",
]


def _inputs(sc: Scenario) -> dict[str, Any]:
    d: dict[str, Any] = {"run": sc.run}
    for k in ("params", "active_params", "tokens"):
        d[k] = scalar(getattr(sc, k))
    # arrays stay arrays, like the numeric inputs (``to_dict`` makes them lists)
    d["gpu"] = scalar(sc.gpu)
    d["precision"] = scalar(sc.precision)
    for k in DOMAINS:
        if k not in d:
            d[k] = scalar(getattr(sc, k))
    d["flop_convention"] = sc.flop_convention
    d["recompute"] = sc.recompute
    d["mtp"] = sc.mtp
    d["ownership"] = sc.ownership
    d["seq_len"] = sc.architecture.seq_len if sc.architecture is not None else None
    d["architecture"] = (
        sc.architecture.model_dump(exclude_none=True) if sc.architecture is not None else None
    )
    return d


#: Probabilities every summary reports (``p05``, ``p50``, ``p95``: the stable schema).
STABLE_QUANTILES = (0.05, 0.5, 0.95)
#: Samples drawn by ``samples="auto"`` (the CLI's ``--samples`` default) when an input is
#: uncertain.
DEFAULT_SAMPLES = 20_000


#: What a steady-state figure leaves out, and the evidence for its size (issue 19, item 2).
STEADY_STATE = {
    "basis": "steady_state",
    "leaves_out": ["failures", "restarts", "checkpointing", "evaluation"],
    "evidence": "Llama 3 405B reports more than 90% effective training time over 54 days "
    "(Dubey et al. 2024, arXiv 2407.21783, §3.3.4); the goodput model "
    "(costmodel.formulas.goodput, docs/goodput.md) gives the expected figures beside these",
}


def _expected_with_goodput(result: Estimate) -> dict[str, Any] | None:
    """The steady-state figures divided by the goodput model's expected goodput for the
    run's GPU count, model size and duration (scalar estimates only)."""
    from ..formulas.goodput import goodput_distribution

    inp = result.inputs
    n, params, days = inp.get("n_gpus"), inp.get("params"), result.wall_clock_days
    if params is None:
        params = inp.get("active_params")
    vals = (n, params, days)
    if any(v is None or np.ndim(v) or not np.isfinite(v) or v <= 0 for v in vals):
        return None
    gp = goodput_distribution(float(n), float(params), float(days))  # type: ignore[arg-type]
    g = gp["p50"]
    out: dict[str, Any] = {"goodput": {k: gp[k] for k in ("p05", "p50", "p95")}}
    for k in ("gpu_hours", "wall_clock_days", "cost_usd", "energy_kwh"):
        v = getattr(result, k, None)
        out[k] = float(v) / g if v is not None and not np.ndim(v) else None
    out["sources"] = list(gp["sources"])
    return out


def mark_steady_state(result: Estimate, goodput: Any) -> Estimate:
    """Name the time basis of an estimate whose ``mfu`` is the performance model's.

    The performance model predicts a training step's time, so without a ``goodput`` its
    GPU-hours, wall-clock days and cost are steady state: they leave out failures, restarts,
    checkpointing and evaluation. The result says so under ``time_basis`` (JSON) and in
    ``assumptions``; with a ``goodput`` given, ``time_basis`` records that it was applied.
    """
    if goodput is None:
        result.extras["time_basis"] = dict(STEADY_STATE)
        expected = _expected_with_goodput(result)
        result.extras["time_basis"]["expected"] = expected
        side = ""
        if expected is not None:
            g = expected["goodput"]
            from ..formulas.units import format_si, format_usd

            side = (
                f"; expected with downtime (goodput model: {g['p50']:.3f}, 90% "
                f"{g['p05']:.3f}-{g['p95']:.3f}): {format_si(expected['gpu_hours'], 4)} "
                f"GPU-hours, {expected['wall_clock_days']:,.1f} days"
                + (f", {format_usd(expected['cost_usd'], 4)}" if expected.get("cost_usd") else "")
            )
        result.assumptions.insert(
            0,
            "steady state: with mfu from the performance model, GPU-hours, wall-clock days "
            "and cost count training steps only; they leave out "
            + ", ".join(STEADY_STATE["leaves_out"])
            + f" ({STEADY_STATE['evidence']}){side}; give goodput (e.g. --goodput 0.9) to "
            "include them in the figures",
        )
    else:
        result.extras["time_basis"] = {
            "basis": "with_goodput",
            "leaves_out": [],
            "evidence": "goodput as given",
        }
    return result


def samplable(sc: Scenario) -> bool:
    """Whether ``samples="auto"`` samples: some input is uncertain (a distribution or the
    utilization prior) and none is an array (arrays are grids, not samples)."""
    if not (sc.uncertain() or sc.mfu_prior is not None):
        return False
    return all(v is None or np.size(v) <= 1 for v in sc.point_values().values())


def estimate(
    *,
    params: Quantity = None,
    active_params: Quantity = None,
    tokens: Quantity = None,
    gpu: Names = None,
    precision: Names = None,
    mfu: Quantity | Literal["model"] = None,
    goodput: Quantity = None,
    n_gpus: Quantity = None,
    price_usd_per_gpu_hour: Quantity | Literal["market"] = None,
    fp8_fraction: Quantity = None,
    pue: Quantity = None,
    usd_per_kwh: Quantity = None,
    grid_kg_co2e_per_kwh: Quantity = None,
    ownership: bool = False,
    server_usd_per_gpu: Quantity = None,
    depreciation_oom_per_year: Quantity = None,
    run: str | None = None,
    architecture: Architecture | dict[str, Any] | None = None,
    flop_convention: str = "6nd",
    recompute: str = "none",
    mtp: bool = False,
    seq_len: int | None = None,
    mfu_basis: str = "16bit",
    samples: int | Literal["auto"] = 0,
    rng: Rng = None,
    qmc: bool = False,
    quantiles: Sequence[float] = (),
) -> Estimate:
    """Estimate FLOP, accelerator-hours, wall-clock, cost, energy and emissions.

    Parameters
    ----------
    params : float, array or Dist, optional
        Total parameters [count].
    active_params : float, array or Dist, optional
        Parameters used per token (MoE) [count]; defaults to ``params`` (dense) or to the
        architecture's count.
    tokens : float, array or Dist, optional
        Training tokens [count].
    gpu : str or array of str, optional
        Accelerator id or alias (``"h800-sxm"``); see ``costmodel gpus``. An array of ids
        is resolved once per distinct id.
    precision : str or array of str, optional
        ``bf16``, ``fp8``, ... or ``mixed`` (FP8/BF16, blended peak from
        ``fp8_fraction``). Default ``bf16`` (listed in ``assumptions``).
    mfu : float, array, Dist or "model", optional
        Model FLOP utilization [1] in (0, 1], under ``flop_convention``, a fraction of the
        peak ``mfu_basis`` names (the 16-bit dense peak by default). Default: the
        data-derived prior (``presets/priors``) for the accelerator and model size, its
        median for point values and sampled for ``quantiles``. ``"model"`` (through
        ``costmodel.estimate``, :mod:`costmodel.perf.api`): the performance model's
        utilization at the best layout for the run's architecture, ``gpu`` and ``n_gpus``;
        sampled with its validation spread when ``samples > 0``.
    goodput : float, array or Dist, optional
        Productive share of reserved time [1]; default 1.
    n_gpus : float or array, optional
        Cluster size, for ``wall_clock_days`` [count].
    price_usd_per_gpu_hour : float, array, Dist or "market", optional
        Rental price, for ``cost_usd`` [USD/h]; ``"market"`` (also the default for one
        ``gpu``) uses the accelerator's sourced price range (``presets/prices``).
    fp8_fraction : float, array or Dist, optional
        FLOP share run in FP8 for ``precision="mixed"`` [1].
    pue : float, array or Dist, optional
        Power usage effectiveness [1], for ``energy_kwh``; default 1.25 (Epoch AI).
    usd_per_kwh : float, array or Dist, optional
        Electricity price [USD/kWh], for ``ownership``.
    grid_kg_co2e_per_kwh : float, array or Dist, optional
        Grid carbon intensity [kg CO2e/kWh], for ``co2e_kg``.
    ownership : bool, default False
        Also compute the cost of owning the hardware (Epoch AI method), reported under
        ``ownership`` beside the rental cost.
    server_usd_per_gpu : float, array or Dist, optional
        Server purchase price per accelerator, for ``ownership`` [USD]; default from
        ``presets/prices`` (listed in ``assumptions``).
    depreciation_oom_per_year : float, array or Dist, optional
        Value lost per year, for ``ownership`` [orders of magnitude/year]; default 0.14
        (Epoch AI).
    run : str, optional
        Start from a run preset (``"deepseek-v3"``); explicit inputs override it.
    architecture : Architecture or dict, optional
        Model shape, for the ``megatron``, ``palm`` and ``narayanan2021`` conventions.
    flop_convention : {"6nd", "megatron", "palm", "narayanan2021"}, default "6nd"
        How ``model_flop`` is counted.
    recompute : {"none", "selective", "full"}, default "none"
        Activation recomputation; changes ``hardware_flop`` (and HFU) only.
    mtp : bool, default False
        Count DeepSeek's multi-token-prediction module (``megatron``).
    seq_len : int, optional
        Override the architecture's training sequence length [tokens].
    mfu_basis : {"16bit", "fp8", "blended"}, default "16bit"
        The peak ``mfu`` (given, and reported) is a fraction of. ``"16bit"``: the dense
        BF16 peak (FP16 without BF16; the run precision's own where that is lower, as for
        FP32), as published MFU figures are (DeepSeek-V3's 38.94% divides by the H800's
        989 TFLOP/s BF16 peak: arXiv 2505.09343, Table 4). ``"fp8"``: the dense FP8 peak
        (an error where the accelerator has none). ``"blended"``: the run precision's own
        peak, ``peak_flop_per_s`` (for ``mixed``, 1/(f/P_fp8 + (1-f)/P_bf16)). The achieved
        rate is ``mfu`` × that peak, so GPU-hours = ``model_flop`` / (``mfu`` × basis peak)
        / 3600 / ``goodput``; ``extras["mfu_basis"]`` (JSON ``mfu_basis``) states it.
    samples : int or "auto", default 0
        Monte Carlo samples for ``quantiles`` (0: none). ``"auto"`` draws
        :data:`DEFAULT_SAMPLES` (20,000) when any input is uncertain (a distribution, the
        utilization prior, a market price) and none is an array, else none. With exactly
        one uncertain input (and no ``qmc``) the samples are its stratified quantiles
        (``extras["samples"]["method"] == "stratified"``): percentiles exact to within
        ``1/(2·samples)`` in probability, the same for every ``rng``.
    rng : numpy.random.Generator, int or None
        Random source for sampling (unused when one input is uncertain).
    qmc : bool, default False
        Scrambled Sobol points instead of pseudo-random ones.
    quantiles : tuple of float, default ()
        Probabilities reported in ``quantiles`` besides the stable ``p05``, ``p50`` and
        ``p95`` (always there, with ``mean``, ``stderr`` and ``n``); e.g. ``(0.1, 0.9)``
        adds ``p10`` and ``p90``. ``to_dict()["samples"]["probabilities"]`` lists both.

    Returns
    -------
    Estimate

    Raises
    ------
    MissingInputError
        When not even the model FLOP can be computed, naming every missing input at once.
    InputError
        For out-of-domain or malformed values, naming the field and the allowed range.
    UnknownPresetError
        For an unknown accelerator or run, with close matches.

    Examples
    --------
    >>> e = estimate(active_params=37e9, tokens=14.8e12, gpu="h800-sxm", precision="bf16",
    ...              mfu=0.35, price_usd_per_gpu_hour=2, n_gpus=2048)
    >>> round(e.gpu_hours / 1e6, 3), round(e.cost_usd / 1e6, 2), round(e.wall_clock_days, 1)
    (2.636, 5.27, 53.6)
    """
    from . import validate

    given = given_inputs(locals())
    sc = Scenario(**given)  # validates first: a bad value is an error, not a doubt
    validate.warn_unit_slips(given)  # a likely unit slip (tokens=15): warned, not refused
    return estimate_scenario(sc, samples=samples, rng=rng, qmc=qmc, quantiles=quantiles)


def estimate_scenario(
    sc: Scenario,
    *,
    samples: int | Literal["auto"] = 0,
    rng: Rng = None,
    qmc: bool = False,
    quantiles: Sequence[float] = (),
) -> Estimate:
    """:func:`estimate` of a :class:`Scenario` already built (the analyses reuse theirs)."""
    from . import validate

    quantiles = validate.probabilities("quantiles", quantiles)
    qmc = validate.flag("qmc", qmc)
    rng = validate.check_rng(rng)  # a Generator only when sampling: numpy.random is slow to import
    n = 0
    if isinstance(samples, str):
        if samples != "auto":
            from ..errors import InputError

            raise InputError(f"samples: {samples!r} is not a whole number or 'auto'")
        n = DEFAULT_SAMPLES if samplable(sc) else 0
    else:
        from .uncertainty import check_samples

        n = check_samples(samples)
    point = sc.evaluate(sc.point_values())
    result = Estimate(
        inputs=_inputs(sc),
        assumptions=list(sc.assumptions),
        flop_convention=sc.flop_convention,
        **{k: scalar(point.get(k)) for k in OUTPUT_KEYS},
    )
    from .explain import mfu_basis, require_something

    # nothing computable: every missing input, at once (presence only: arrays stay arrays)
    require_something(
        {
            "inputs": {k: None if v is None else True for k, v in result.inputs.items()},
            **{k: None if getattr(result, k) is None else True for k in OUTPUT_KEYS},
        }
    )
    result.extras["mfu_basis"] = mfu_basis(sc, point)
    if sc.ownership:
        parts = point.get("ownership_parts")
        result.extras["ownership"] = (
            None
            if parts is None
            else {
                "server_usd_per_gpu": scalar(np.asarray(sc.point_values()["server_usd_per_gpu"])),
                "usd_per_gpu_hour": scalar(parts["total"]),
                "hardware_usd_per_gpu_hour": scalar(parts["hardware"]),
                "interconnect_usd_per_gpu_hour": scalar(parts["interconnect"]),
                "energy_usd_per_gpu_hour": scalar(parts["energy"]),
                "cost_usd": scalar(point.get("ownership_cost_usd")),
                "method": "Epoch AI (Cottier et al. 2024, arXiv 2405.21015)",
            }
        )
    if n > 0:
        from .uncertainty import SUMMARY_OUTPUTS, simulate, uncertain_names

        # one uncertain input: its stratified quantiles, exact and the same for every seed
        one = not qmc and len(uncertain_names(sc)) == 1
        sims = simulate(sc, n, rng, qmc=qmc, keep=SUMMARY_OUTPUTS, stratified=one)
        # the stable schema's p05/p50/p95 always, plus any other probabilities asked for
        probs = tuple(sorted({*STABLE_QUANTILES, *(float(q) for q in quantiles)}))
        result.quantiles = sims.summary(probs)
        result.samples = sims
        result.extras["samples"] = {
            "n": n,
            "method": sims.method,
            "uncertain_inputs": sorted(sims.inputs),
            "probabilities": {
                "stable": list(STABLE_QUANTILES),
                "requested": sorted({float(q) for q in quantiles}),
            },
        }
        if not sims.inputs:
            result.assumptions.append(
                "samples requested but every input is fixed: quantiles are degenerate"
            )
    return result
