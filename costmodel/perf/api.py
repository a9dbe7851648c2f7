"""``mfu="model"``: the performance model's utilization inside :func:`costmodel.estimate`.

:func:`estimate` is :func:`costmodel.model.estimation.estimate` plus one extra value for
``mfu``: ``"model"`` plans the best layout of the run's architecture on its accelerator
and GPU count (:func:`costmodel.analysis.planning.plan` is layer 6, so the search here is
the same vectorized :func:`~costmodel.perf.step.evaluate` over the candidate layouts),
turns the predicted throughput into the utilization *under the estimate's FLOP
convention* (so GPU-hours do not depend on the convention), and, when samples are asked
for, spreads it by the validation residuals (:mod:`costmodel.perf.spread`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from ..errors import InputError
from ..model import estimation

__all__ = ["estimate", "model_mfu"]

P = ParamSpec("P")
R = TypeVar("R")


def _layouts(arch, acc, n_gpus: int, precision: str) -> dict:
    """Best fitting layout's result dict (``costmodel.perf/1``)."""
    import numpy as np

    from . import bind
    from .compare import node_limits, score_layouts

    hw, notes = bind.hardware(acc)
    limits = node_limits(arch, n_gpus, hw.scale_up_domain)
    cand, gb, out, fits = score_layouts(arch, hw, n_gpus, precision, node_limit=limits)
    if out is None or not fits.any():
        leanest = (
            f" (leanest needs {float(np.min(out['mem_total'])) / 1e9:.0f} GB per GPU)"
            if out is not None
            else " (no valid layout of it on that many GPUs)"
        )
        raise InputError(
            f"mfu: 'model' found no layout of this architecture that fits {n_gpus} x {acc.id}"
            f"{leanest}; give more --n-gpus or a number for --mfu"
        )
    i = int(np.argmax(np.where(fits, out["mfu"], -np.inf)))
    lay = {k: (int(v[i]) if k != "schedule" else v[i]) for k, v in cand.items()}
    return {
        "tokens_per_s_per_gpu": float(out["tokens_per_s_per_gpu"][i]),
        "mfu_16bit": float(out["mfu_16bit"][i]),
        "layout": lay | {"global_batch": int(gb[i])},
        "notes": notes,
    }


def model_mfu(inputs: dict[str, Any]) -> tuple[float, list[str]]:
    """The performance model's utilization for an estimate's inputs [1], and notes.

    Parameters
    ----------
    inputs : dict
        :func:`costmodel.estimate` keyword inputs (``run`` or ``architecture``, ``gpu``,
        ``n_gpus``, ``precision``, ``flop_convention``, …); ``mfu`` is ignored.

    Returns
    -------
    (float, list of str)
        Utilization under the estimate's FLOP convention and peak, and the assumptions.
    """
    from ..data import store
    from ..formulas.architecture import Architecture
    from . import pipeline

    probe = estimation.estimate(**{**inputs, "mfu": 0.5, "samples": 0})
    d = probe.to_dict()
    res = d["inputs"]
    run = store.get("runs", inputs["run"]) if inputs.get("run") else None
    arch = inputs.get("architecture") or (run.architecture if run else None)
    if isinstance(arch, dict):
        arch = Architecture(**arch)
    if arch is None:
        raise InputError(
            "mfu: 'model' needs the model's shape: give --run with an [architecture] "
            "(e.g. deepseek-v3) or an architecture"
        )
    gpu, n, prec = res.get("gpu"), res.get("n_gpus"), res.get("precision") or "bf16"
    if not isinstance(gpu, str) or n is None:
        raise InputError("mfu: 'model' needs one --gpu and --n-gpus (or a run preset with both)")
    if inputs.get("seq_len"):
        arch = arch.model_copy(update={"seq_len": int(inputs["seq_len"])})
    acc = store.get("accelerators", gpu)
    tokens, flop = d["inputs"].get("tokens"), d["model_flop"]
    # the peak the estimate reads mfu against (its mfu_basis, 16-bit by default)
    peak = (d.get("mfu_basis") or {}).get("peak_flop_per_s") or d["peak_flop_per_s"]
    if run is not None and run.layout is not None and not inputs.get("architecture"):
        from . import bind, published

        given: dict[str, Any] = {}
        if inputs.get("seq_len"):
            given["seq_len"] = int(inputs["seq_len"])
        if inputs.get("precision") and prec in ("bf16", "fp8", "mixed"):
            given["precision"] = prec
        lay, n_pub, nl, notes = published.merge(run, given, int(n), None)
        if lay.get("precision", "bf16") != "bf16" and "fp8" not in acc.peak_dense_tflop_per_s:
            lay["precision"] = "bf16"
            notes.append(f"{acc.id} has no FP8 peak: the published layout is costed in bf16")
        r = bind.perf(arch, acc, n_gpus=n_pub, node_limit=nl, **lay)
        mfu = r["tokens_per_s_per_gpu"] * (flop / tokens) / peak
        fit = "" if r["fits"] else f"; it is predicted not to fit in memory ({r['overflow']})"
        notes = (
            notes
            + [a for a in r["assumptions"] if a.startswith(acc.id + ":")]
            + [
                f"mfu from the performance model: {mfu:.3f} under {d['flop_convention']} "
                f"({r['tokens_per_s_per_gpu']:,.0f} tokens/s/GPU; {r['mfu_16bit']:.1%} of the "
                f"16-bit peak, megatron causal) at {run.id}'s published layout: "
                f"{published.layout_text(r['layout'], nl)}{fit} (costmodel perf --run "
                f"{run.id}; docs/perf_validation.md)"
            ]
        )
        return mfu, notes
    best = _layouts(arch, acc, int(n), prec if prec in ("bf16", "fp8", "mixed") else "bf16")
    mfu = best["tokens_per_s_per_gpu"] * (flop / tokens) / peak
    lay = best["layout"]
    shown = (
        f"tp={lay['tp']} pp={lay['pp']} dp={lay['dp']} ep={lay['ep']} cp={lay['cp']} "
        f"vpp={lay['vpp']} {pipeline.SCHEDULES[int(lay['schedule'])]} zero={lay['zero']} "
        f"micro-batch={lay['micro_batch']} global-batch={lay['global_batch']} "
        f"recompute={('none', 'selective', 'full')[int(lay['recompute'])]}"
        + (f" node-limit={lay['node_limit']}" if lay.get("node_limit") else "")
    )
    notes = best["notes"] + [
        f"mfu from the performance model: {mfu:.3f} under {d['flop_convention']} "
        f"({best['tokens_per_s_per_gpu']:,.0f} tokens/s/GPU; {best['mfu_16bit']:.1%} of the "
        f"16-bit peak, megatron causal) at the best layout that fits: {shown} "
        "(costmodel plan; docs/perf_validation.md)"
    ]
    return mfu, notes


def _stratum(inputs: dict[str, Any]) -> tuple[bool, bool]:
    """(MoE, FP8) of an estimate's model and precision, for the residuals' strata."""
    from ..data import store

    arch = inputs.get("architecture")
    if arch is None and inputs.get("run"):
        run = store.get("runs", inputs["run"])
        arch = run.architecture
        prec = inputs.get("precision") or run.precision
    else:
        prec = inputs.get("precision") or "bf16"
    moe = bool(arch.get("moe") if isinstance(arch, dict) else getattr(arch, "moe", None))
    return moe, str(prec) in ("fp8", "mixed")


def _signature_of(f: Callable[P, R]) -> Callable[[Callable[..., R]], Callable[P, R]]:
    """Give the decorated function ``f``'s signature and docstring (for ``help()``,
    ``inspect.signature`` and the type checker)."""

    def wrap(g: Callable[..., R]) -> Callable[P, R]:
        return functools.wraps(f)(g)

    return wrap


@_signature_of(estimation.estimate)
def estimate(**kw: Any) -> estimation.Estimate:
    # :func:`costmodel.model.estimation.estimate`, plus ``mfu="model"``. With
    # ``mfu="model"`` and samples requested, ``mfu`` is a lognormal around the model's
    # value with the geometric sd of its validation residuals in the run's stratum (dense or
    # MoE, 16-bit or FP8; :func:`costmodel.perf.residuals.sampling_log10_sd`).
    if not (isinstance(kw.get("mfu"), str) and kw["mfu"].strip().lower() == "model"):
        return estimation.estimate(**kw)
    inputs = {k: v for k, v in kw.items() if k not in ("samples", "rng", "qmc", "quantiles")}
    mfu, notes = model_mfu(inputs)
    samples = kw.get("samples", 0)
    if samples:
        from ..formulas import dist
        from .residuals import sampling_log10_sd

        sd, basis = sampling_log10_sd(*_stratum(inputs))
        kw["mfu"] = dist.lognormal(mfu, 10.0**sd)
        notes.append(
            f"mfu sampled: lognormal, median {mfu:.3f}, geometric sd {10.0**sd:.2f} "
            f"(log10 sd {sd:.3f} of the performance model's leave-one-source-out residuals: "
            f"{basis})"
        )
    else:
        kw["mfu"] = mfu
    result = estimation.estimate(**kw)
    result.assumptions[:0] = notes
    return estimation.mark_steady_state(result, kw.get("goodput"))
