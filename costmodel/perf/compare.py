"""The performance model across accelerators: best layout, memory fit, NVLink cut.

What ``costmodel check`` needs to compare hardware by physics instead of "the same share
of peak": the predicted throughput of a run's architecture at the best layout that fits on
each accelerator, the fewest GPUs on which it fits at all, and what the H800's NVLink cut
(400 vs 900 GB/s, the only difference from the H100 that matters for training) costs at
DeepSeek's layout and at a Megatron-style tensor-parallel one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import bind, layout, pipeline, search
from .step import evaluate

__all__ = [
    "score_layouts",
    "best_layout",
    "min_gpus_to_fit",
    "nvlink_cost",
    "DEEPSEEK_LAYOUT",
    "TP8_LAYOUT",
]

#: DeepSeek-V3's layout (arXiv 2412.19437 §3.2 and §4.2): no TP, PP16 with DualPipe, EP64
#: over 8 nodes, node-limited routing to 4 nodes, ZeRO-1, 15,360 sequences per step,
#: selective recomputation, FP8 mixed precision.
DEEPSEEK_LAYOUT: dict[str, Any] = dict(
    tp=1,
    pp=16,
    ep=64,
    cp=1,
    vpp=1,
    schedule="dualpipe",
    zero=1,
    micro_batch=1,
    global_batch=15360,
    recompute="selective",
    precision="mixed",
    node_limit=4,
)
#: A Megatron-style layout on the same cluster: TP8 inside the node (on NVLink), PP16 with
#: 1F1B, EP8, ZeRO-1, same batch, no node-limited routing, no DualPipe.
TP8_LAYOUT: dict[str, Any] = dict(
    tp=8,
    pp=16,
    ep=8,
    cp=1,
    vpp=1,
    schedule="1f1b",
    zero=1,
    micro_batch=1,
    global_batch=15360,
    recompute="selective",
    precision="mixed",
    node_limit=0,
)


def score_layouts(arch, hw, n_gpus: int, precision: str, *, small: bool = False):
    """Every candidate layout of ``arch`` on ``n_gpus`` of ``hw``, evaluated at once.

    Each layout's global batch is the default tokens per step rounded up to a whole
    number of data-parallel micro-batches; a layout whose replicas need more sequences
    than that target would only fit by training with a larger batch than asked, so it does
    not count as fitting.

    Returns
    -------
    (dict, ndarray, dict, ndarray)
        The candidate layouts (arrays), their global batches [sequences], the step
        model's outputs (``None`` when there is no candidate), and which layouts fit.
    """
    cand = search.candidate_layouts(
        arch, n_gpus, seq_len=arch.seq_len, domain=hw.scale_up_domain, small=small
    )
    if not len(cand["tp"]):
        return cand, np.zeros(0, dtype=np.int64), None, np.zeros(0, dtype=bool)
    target = max(1, math.ceil(bind.DEFAULT_TOKENS_PER_STEP / arch.seq_len))
    unit = cand["dp"] * cand["micro_batch"]
    gb = np.ceil(target / unit).astype(np.int64) * unit
    out = evaluate(
        bind.model_shape(arch),
        hw,
        global_batch=gb,
        seq_len=arch.seq_len,
        fp8_linear=0.0 if precision == "bf16" else 1.0,
        **cand,
        **layout.recipe({"precision": precision}),
    )
    fits = np.asarray(out["fits"], dtype=bool) & (unit <= target)
    return cand, gb, out, fits


def best_layout(arch, acc, n_gpus: int, *, precision: str = "bf16", small: bool = True):
    """Best fitting layout by predicted MFU, or ``None`` when none fits.

    Returns
    -------
    dict or None
        ``tokens_per_s_per_gpu``, ``mfu_16bit``, ``layout`` (dict), ``memory_gb``,
        ``notes`` (defaults the hardware needed).
    """
    hw, notes = bind.hardware(acc)
    prec = precision if "fp8" in acc.peak_dense_tflop_per_s else "bf16"
    cand, gb, out, fits = score_layouts(arch, hw, n_gpus, prec, small=small)
    if not fits.any():
        return None
    i = int(np.argmax(np.where(fits, out["mfu"], -np.inf)))
    lay: dict[str, Any] = {k: int(v[i]) for k, v in cand.items()}
    lay["schedule"] = pipeline.SCHEDULES[lay["schedule"]]
    lay["recompute"] = bind.RECOMPUTE[lay["recompute"]]
    lay["global_batch"] = int(gb[i])
    lay["precision"] = prec
    return {
        "tokens_per_s_per_gpu": float(out["tokens_per_s_per_gpu"][i]),
        "mfu_16bit": float(out["mfu_16bit"][i]),
        "memory_gb": float(out["mem_total"][i]) / 1e9,
        "layout": lay,
        "notes": notes,
    }


def describe(lay: dict) -> str:
    """A layout in one line."""
    return (
        f"tp={lay['tp']} pp={lay['pp']} dp={lay['dp']} ep={lay['ep']} cp={lay['cp']} "
        f"vpp={lay['vpp']} {lay['schedule']} zero={lay['zero']} mb={lay['micro_batch']} "
        f"gb={lay['global_batch']} recompute={lay['recompute']}"
    )


def min_gpus_to_fit(arch, acc, *, precision: str = "bf16", max_gpus: int = 65536) -> int | None:
    """Fewest GPUs (a power of two, at least 8) on which some layout fits in memory [1].

    Memory per GPU falls as GPUs are added (more sharding), so a bisection over the
    exponents suffices. ``None`` if even ``max_gpus`` is not enough.
    """
    hw, _ = bind.hardware(acc)
    prec = precision if "fp8" in acc.peak_dense_tflop_per_s else "bf16"
    shape = bind.model_shape(arch)
    target = max(1, math.ceil(bind.DEFAULT_TOKENS_PER_STEP / arch.seq_len))

    def fits(n: int) -> bool:
        cand = search.candidate_layouts(
            arch, n, seq_len=arch.seq_len, domain=hw.scale_up_domain, small=True
        )
        if not len(cand["tp"]):
            return False
        unit = cand["dp"] * cand["micro_batch"]
        gb = np.ceil(target / unit).astype(np.int64) * unit
        out = evaluate(
            shape,
            hw,
            global_batch=gb,
            seq_len=arch.seq_len,
            fp8_linear=0.0 if prec == "bf16" else 1.0,
            **cand,
            **layout.recipe({"precision": prec}),
        )
        return bool(np.any(np.asarray(out["fits"], dtype=bool) & (unit <= max(target, n))))

    lo, hi = 3, int(math.log2(max_gpus))
    if not fits(2**hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if fits(2**mid):
            hi = mid
        else:
            lo = mid + 1
    return 2**lo


def nvlink_cost(arch, n_gpus: int, cut: str = "h800-sxm", full: str = "h100-sxm") -> dict:
    """Predicted MFU of ``arch`` on the NVLink-cut part and on the full part, at DeepSeek's
    layout and at a TP-8 Megatron-style layout (16-bit basis, megatron causal FLOP).

    Returns
    -------
    dict
        ``layouts`` {name: {gpu: mfu_16bit, …, "speedup": full/cut − 1, "layout": str,
        "fits": bool}}, ``recovered`` (share of the TP-8 layout's NVLink penalty that
        DeepSeek's layout avoids), ``deepseek_vs_tp8_on_cut`` (MFU ratio on the cut part),
        ``assumptions``.
    """
    from ..data import store

    out: dict = {"cut": cut, "full": full, "n_gpus": n_gpus, "layouts": {}}
    for name, lay in (("deepseek", DEEPSEEK_LAYOUT), ("tp8_megatron", TP8_LAYOUT)):
        row: dict = {}
        for gid in (cut, full):
            r = bind.perf(arch, store.get("accelerators", gid), n_gpus=n_gpus, **lay)
            row[gid] = r["mfu_16bit"]
            row["fits"] = r["fits"] and row.get("fits", True)
            row["layout"] = " ".join(
                f"{k}={r['layout'][k]}" for k in ("tp", "pp", "dp", "ep", "schedule", "zero")
            ) + (f" node-limit={lay['node_limit']}" if lay["node_limit"] else "")
        row["speedup"] = row[full] / row[cut] - 1.0
        out["layouts"][name] = row
    d, t = out["layouts"]["deepseek"], out["layouts"]["tp8_megatron"]
    out["recovered"] = 1.0 - d["speedup"] / t["speedup"] if t["speedup"] > 0 else None
    out["deepseek_vs_tp8_on_cut"] = d[cut] / t[cut]
    out["assumptions"] = [
        f"{cut} and {full} differ only in NVLink bandwidth (400 vs 900 GB/s bidirectional): "
        "same tensor peaks, HBM and 400 Gb/s IB per GPU (DeepSeek ISCA'25 §4.1)",
        "both layouts: 15,360 sequences of 4,096 tokens per step, FP8 mixed precision, "
        "selective recomputation; MFU on the BF16 peak with megatron causal FLOP",
    ]
    return out
