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
    "ROUTING_NODE_LIMIT",
    "node_limits",
    "score_layouts",
    "best_layout",
    "min_gpus_to_fit",
    "nvlink_cost",
    "DEEPSEEK_LAYOUT",
    "TP8_LAYOUT",
]

#: Node-limited routing the layout search tries for MoE models [nodes]: DeepSeek-V3's M = 4
#: (each token sent to at most 4 nodes; arXiv 2412.19437 §2.1.2).
ROUTING_NODE_LIMIT = 4

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


def node_limits(arch, n_gpus: int, domain: int, published: int = 0) -> tuple[int, ...]:
    """Node-limited routing options the search covers [1]: off, and for an MoE model
    spread over more than :data:`ROUTING_NODE_LIMIT` scale-up domains DeepSeek-V3's limit
    (each token to at most 4 nodes, arXiv 2412.19437 §2.1.2) and the run's own."""
    if arch.moe is None:
        return (0,)
    opts = {0, int(published or 0)}
    if n_gpus > ROUTING_NODE_LIMIT * domain:
        opts.add(ROUTING_NODE_LIMIT)
    return tuple(sorted(opts))


def score_layouts(
    arch,
    hw,
    n_gpus: int,
    precision: str,
    *,
    small: bool = False,
    global_batch: int | None = None,
    node_limit: tuple[int, ...] = (0,),
):
    """Every candidate layout of ``arch`` on ``n_gpus`` of ``hw``, evaluated at once.

    Each layout's global batch is ``global_batch`` sequences (default: the default tokens
    per step) rounded up to a whole number of data-parallel micro-batches; a layout whose
    replicas need more sequences than that target would only fit by training with a
    larger batch than asked, so it does not count as fitting. Each layout is tried with
    every ``node_limit`` (MoE routing).

    Returns
    -------
    (dict, ndarray, dict, ndarray)
        The candidate layouts (arrays, ``node_limit`` included), their global batches
        [sequences], the step model's outputs (``None`` when there is no candidate), and
        which layouts fit.
    """
    cand = search.candidate_layouts(
        arch, n_gpus, seq_len=arch.seq_len, domain=hw.scale_up_domain, small=small
    )
    if not len(cand["tp"]):
        cand["node_limit"] = np.zeros(0, dtype=np.int64)
        return cand, np.zeros(0, dtype=np.int64), None, np.zeros(0, dtype=bool)
    k = len(node_limit)
    cand = {key: np.tile(v, k) for key, v in cand.items()}
    cand["node_limit"] = np.repeat(np.asarray(node_limit, dtype=np.int64), len(cand["tp"]) // k)
    target = global_batch or max(1, math.ceil(bind.DEFAULT_TOKENS_PER_STEP / arch.seq_len))
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


def best_layout(
    arch,
    acc,
    n_gpus: int,
    *,
    precision: str = "bf16",
    small: bool = True,
    global_batch: int | None = None,
    published: dict | None = None,
):
    """Best fitting layout by predicted MFU, or ``None`` when none fits.

    Parameters
    ----------
    global_batch : int, optional
        Sequences per step (the run's own); default the default tokens per step.
    published : dict, optional
        The run's published layout (``perf`` keys, ``node_limit`` included): its node
        limit joins the search, and the layout itself is a candidate, so the search never
        returns a layout worse than the published one on the same hardware.

    Returns
    -------
    dict or None
        ``tokens_per_s_per_gpu``, ``mfu_16bit``, ``layout`` (dict), ``memory_gb``,
        ``notes`` (defaults the hardware needed), ``published`` (whether the published
        layout won).
    """
    hw, notes = bind.hardware(acc)
    prec = precision if "fp8" in acc.peak_dense_tflop_per_s else "bf16"
    pub_nl = int((published or {}).get("node_limit", 0) or 0)
    limits = node_limits(arch, n_gpus, hw.scale_up_domain, pub_nl)
    cand, gb, out, fits = score_layouts(
        arch, hw, n_gpus, prec, small=small, global_batch=global_batch, node_limit=limits
    )
    best = None
    if fits.any():
        i = int(np.argmax(np.where(fits, out["mfu"], -np.inf)))
        lay: dict[str, Any] = {k: int(v[i]) for k, v in cand.items()}
        lay["schedule"] = pipeline.SCHEDULES[lay["schedule"]]
        lay["recompute"] = bind.RECOMPUTE[lay["recompute"]]
        lay["global_batch"] = int(gb[i])
        lay["precision"] = prec
        best = {
            "tokens_per_s_per_gpu": float(out["tokens_per_s_per_gpu"][i]),
            "mfu_16bit": float(out["mfu_16bit"][i]),
            "memory_gb": float(out["mem_total"][i]) / 1e9,
            "layout": lay,
            "notes": notes,
            "published": False,
        }
    if published is not None:
        pub = {k: v for k, v in published.items() if k not in ("node_limit", "n_gpus", "dp")}
        if pub.get("precision", "bf16") != "bf16" and prec == "bf16":
            pub["precision"] = "bf16"
        try:
            r = bind.perf(arch, acc, n_gpus=n_gpus, node_limit=pub_nl, **pub)
        except bind.InputError:  # the published degrees do not divide this GPU count
            r = None
        if (
            r is not None
            and r["fits"]
            and (best is None or r["tokens_per_s_per_gpu"] >= best["tokens_per_s_per_gpu"])
        ):
            lay = {k: r["layout"][k] for k in r["layout"] if k != "n_gpus"}
            best = {
                "tokens_per_s_per_gpu": r["tokens_per_s_per_gpu"],
                "mfu_16bit": r["mfu_16bit"],
                "memory_gb": r["memory_gb_per_gpu"]["total"],
                "layout": lay,
                "notes": notes,
                "published": True,
            }
    return best


def describe(lay: dict) -> str:
    """A layout in one line."""
    return (
        f"tp={lay['tp']} pp={lay['pp']} dp={lay['dp']} ep={lay['ep']} cp={lay['cp']} "
        f"vpp={lay['vpp']} {lay['schedule']} zero={lay['zero']} mb={lay['micro_batch']} "
        f"gb={lay['global_batch']} recompute={lay['recompute']}"
        + (f" node-limit={lay['node_limit']}" if lay.get("node_limit") else "")
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


def nvlink_cost(
    arch,
    n_gpus: int,
    cut: str = "h800-sxm",
    full: str = "h100-sxm",
    *,
    layout: dict | None = None,
    layout_source: str | None = None,
) -> dict:
    """Predicted MFU of ``arch`` on the NVLink-cut part and on the full part, at the run's
    published layout (``layout``, with ``node_limit``; DeepSeek's when not given) and at a
    TP-8 Megatron-style layout with the same batch (16-bit basis, megatron causal FLOP).

    Returns
    -------
    dict
        ``layouts`` {name: {gpu: mfu_16bit, …, "speedup": full/cut − 1, "layout": str,
        "fits": bool}}, ``recovered`` (share of the TP-8 layout's NVLink penalty that
        DeepSeek's layout avoids), ``deepseek_vs_tp8_on_cut`` (MFU ratio on the cut part),
        ``assumptions``.
    """
    from ..data import store

    pub = dict(DEEPSEEK_LAYOUT if layout is None else layout)
    pub.setdefault("node_limit", 0)
    pub.pop("n_gpus", None)
    if layout is not None and n_gpus is not None:
        pub.pop("dp", None)  # follows from n_gpus
    tp8 = dict(TP8_LAYOUT)
    for k in ("global_batch", "seq_len", "precision", "recompute", "micro_batch"):
        if k in pub:
            tp8[k] = pub[k]
    out: dict = {"cut": cut, "full": full, "n_gpus": n_gpus, "layouts": {}}
    out["layout_source"] = layout_source or "DeepSeek-V3's layout (arXiv 2412.19437 s3.2, s4.2)"
    for name, lay in (("deepseek", pub), ("tp8_megatron", tp8)):
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
        f"both layouts: {tp8['global_batch']:,} sequences of "
        f"{tp8.get('seq_len', arch.seq_len):,} tokens per step, "
        f"{'FP8 mixed' if tp8['precision'] == 'mixed' else tp8['precision']} precision, "
        f"{tp8['recompute']} recomputation; MFU on the BF16 peak with megatron causal FLOP",
        f"the first layout: {out['layout_source']}",
    ]
    return out
