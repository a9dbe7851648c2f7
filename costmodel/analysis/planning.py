"""Search the layout space of a model on a cluster (``costmodel plan``).

Builds every combination of tensor, pipeline, context and expert parallelism, virtual
stages, schedule, ZeRO stage, micro-batch and recomputation that is valid for the model
and the GPU count, scores them all in one vectorized call of
:func:`costmodel.perf.step.evaluate`, drops those that do not fit in memory, and ranks the
rest by predicted MFU.
"""

from __future__ import annotations

import math

import numpy as np

from ..perf import bind, pipeline
from ..perf.compare import node_limits
from ..perf.layout import check_global_batch
from ..perf.search import candidate_layouts
from ..perf.step import evaluate

__all__ = ["candidate_layouts", "plan", "min_gpus_to_fit"]


def plan(
    arch,
    acc,
    n_gpus: int,
    *,
    top: int = 5,
    global_batch: int | None = None,
    seq_len: int | None = None,
    precision: str = "bf16",
    fp8_fraction: float | None = None,
    node_limit: int | None = None,
    scale_out_gbit_per_s: float | None = None,
    published: dict | None = None,
) -> dict:
    """Best layouts by predicted MFU among those that fit (``costmodel plan``).

    Parameters
    ----------
    arch : Architecture
    acc : costmodel.schemas.Accelerator
    n_gpus : int
        Accelerators [1].
    top : int, default 5
        Layouts to return.
    global_batch : int, optional
        Target sequences per step; each layout rounds it up to a multiple of
        ``dp·micro_batch``; layouts whose ``dp·micro_batch`` exceeds it are dropped.
        Default: 16M tokens (:data:`bind.DEFAULT_TOKENS_PER_STEP`).
    seq_len : int, optional
        Default: the architecture's.
    precision : {"bf16", "fp8", "mixed"}
    fp8_fraction : float, optional
        FP8 share of the block linears for ``mixed`` (default 1).
    node_limit : int, optional
        Node-limited MoE routing (0 = off). Default: the search tries off, DeepSeek-V3's
        limit of 4 nodes (for MoE models wider than 4 scale-up domains) and the published
        layout's (:func:`costmodel.perf.compare.node_limits`).
    scale_out_gbit_per_s : float, optional
        Override the scale-out bandwidth [Gbit/s].
    published : dict, optional
        The run's published layout (``perf`` keys, ``node_limit`` included): ranked with
        the searched layouts, so the plan never ranks first a layout worse than it.

    Returns
    -------
    dict
        ``schema`` "costmodel.plan/1", ``searched`` (layouts scored), ``fitting``,
        ``layouts`` (the best ``top`` as ``costmodel.perf/1`` dicts), ``min_memory_gb``
        (smallest per-GPU memory of any layout), ``assumptions``.
    """
    if n_gpus < 1:
        raise bind.InputError(f"--n-gpus: {n_gpus} is not allowed; give a positive integer")
    if precision not in bind.PRECISIONS:
        raise bind.InputError(
            f"--precision: {precision} is not allowed; choose one of {', '.join(bind.PRECISIONS)}"
        )
    if precision != "bf16" and "fp8" not in acc.peak_dense_tflop_per_s:
        raise bind.InputError(f"--precision: {precision} is not allowed; {acc.id} has no FP8 peak")
    hw, notes = bind.hardware(acc, scale_out_gbit_per_s=scale_out_gbit_per_s)
    s = seq_len or arch.seq_len
    cand = candidate_layouts(arch, n_gpus, seq_len=s, domain=hw.scale_up_domain)
    pub_nl = int((published or {}).get("node_limit", 0) or 0)
    limits = (
        (int(node_limit),)
        if node_limit is not None
        else node_limits(arch, n_gpus, hw.scale_up_domain, pub_nl)
    )
    k = len(limits)
    cand = {key: np.tile(v, k) for key, v in cand.items()}
    cand["node_limit"] = np.repeat(np.asarray(limits, dtype=np.int64), len(cand["tp"]) // k)
    pub_row = _published_candidate(arch, n_gpus, published, s, node_limit)
    if pub_row is not None:
        cand = {key: np.append(v, pub_row[key]) for key, v in cand.items()}
    check_global_batch(global_batch)
    target = global_batch or max(1, math.ceil(bind.DEFAULT_TOKENS_PER_STEP / s))
    unit = cand["dp"] * cand["micro_batch"]
    gb = np.ceil(target / unit).astype(np.int64) * unit
    f8 = 0.0 if precision == "bf16" else (1.0 if fp8_fraction is None else fp8_fraction)
    recipe = bind.recipe({"precision": precision})
    out = evaluate(
        bind.model_shape(arch),
        hw,
        global_batch=gb,
        seq_len=s,
        fp8_linear=f8,
        **cand,
        **recipe,
    )
    # a layout whose data-parallel replicas need more sequences than the target batch
    # would only fit by training with a larger batch than asked: not a candidate
    fits = np.asarray(out["fits"], dtype=bool) & (unit <= target)
    score = np.where(fits, out["mfu"], -np.inf)
    ranked = np.argsort(-score, kind="stable")[: max(top, 0)]
    order = [int(i) for i in ranked if fits[i]]
    assumptions = notes + bind.standard_assumptions(arch, max(limits))
    if k > 1:
        assumptions.append(
            "node-limited routing searched: "
            + ", ".join("off" if x == 0 else f"at most {x} nodes per token" for x in limits)
            + " (it changes the router: check the model allows it)"
        )
    if pub_row is not None:
        assumptions.append("the run's published layout is ranked with the searched ones")
    assumptions.append(
        f"global batch: {target} sequences of {s} tokens, rounded up to a multiple of "
        "dp·micro-batch per layout"
    )
    layouts = []
    for i in order:
        lay = {
            "tp": int(cand["tp"][i]),
            "pp": int(cand["pp"][i]),
            "dp": int(cand["dp"][i]),
            "ep": int(cand["ep"][i]),
            "cp": int(cand["cp"][i]),
            "vpp": int(cand["vpp"][i]),
            "schedule": pipeline.SCHEDULES[int(cand["schedule"][i])],
            "zero": int(cand["zero"][i]),
            "micro_batch": int(cand["micro_batch"][i]),
            "global_batch": int(gb[i]),
            "seq_len": int(s),
            "recompute": bind.RECOMPUTE[int(cand["recompute"][i])],
            "precision": precision,
            "n_gpus": n_gpus,
        }
        r = bind.result_dict(out, i, lay, [], hw)
        r["layout"]["node_limit"] = int(cand["node_limit"][i])
        if pub_row is not None and i == len(fits) - 1:
            r["published"] = True
        layouts.append(r)
    return {
        "schema": "costmodel.plan/1",
        "gpu": acc.id,
        "n_gpus": n_gpus,
        "searched": int(len(fits)),
        "fitting": int(fits.sum()),
        "min_memory_gb": float(np.min(out["mem_total"]) / 1e9),
        "layouts": layouts,
        "assumptions": assumptions,
    }


def _published_candidate(
    arch, n_gpus: int, published: dict | None, seq_len: int, node_limit: int | None
) -> dict | None:
    """The published layout as one candidate row (integer codes), or ``None`` when it does
    not apply here (its degrees do not divide these GPUs, another sequence length, or a
    node limit other than the one asked for)."""
    if not published:
        return None
    p = {k: v for k, v in published.items() if k not in ("dp", "n_gpus")}
    nl = int(p.pop("node_limit", 0) or 0)
    if node_limit is not None and node_limit != nl or p.get("seq_len", seq_len) != seq_len:
        return None
    try:
        lay, _ = bind.resolve_layout(arch, n_gpus, **{k: v for k, v in p.items()})
    except bind.InputError:
        return None
    c = bind.codes(lay)
    row = {k: int(c[k]) for k in ("tp", "pp", "dp", "ep", "cp", "vpp", "schedule", "zero")}
    row |= {"micro_batch": int(c["micro_batch"]), "recompute": int(c["recompute"])}
    return row | {"node_limit": nl}


def min_gpus_to_fit(arch, acc, *, candidates=None, precision: str = "bf16", **kw) -> int | None:
    """Smallest GPU count (from ``candidates``, default powers of two 8 … 65,536) at which
    some layout fits in memory, or ``None``."""
    candidates = candidates or [2**i for i in range(3, 17)]
    for n in candidates:
        if plan(arch, acc, n, top=1, precision=precision, **kw)["fitting"]:
            return n
    return None
