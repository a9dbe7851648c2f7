"""The ``costmodel.perf/1`` JSON object of one predicted layout: breakdown, memory, the
bottleneck in words and the peaks the MFUs divide by."""

from __future__ import annotations

import numpy as np

from .layout import LAYOUT_KEYS
from .shapes import Hardware

__all__ = ["BREAKDOWN", "MEMORY", "result_dict"]

BREAKDOWN = (
    "gemm",
    "attention",
    "memory_bound",
    "comm_sm_share",
    "tp_comm",
    "ep_comm",
    "cp_comm",
    "pp_comm",
    "pipeline_bubble",
    "dp_comm",
    "optimizer",
    "other_overhead",
)
MEMORY = ("weights", "gradients", "optimizer", "activations", "moe_buffers", "runtime_reserved")
_WORDS = {
    "gemm": "matmul compute",
    "attention": "attention core",
    "memory_bound": "memory-bound kernels (HBM bandwidth)",
    "comm_sm_share": "compute slowed by SMs lent to overlapped communication",
    "tp_comm": "tensor-parallel communication on the scale-up link",
    "ep_comm": "expert-parallel all-to-all",
    "cp_comm": "context-parallel ring exchange",
    "pp_comm": "pipeline point-to-point traffic",
    "pipeline_bubble": "pipeline bubble",
    "dp_comm": "data-parallel gradient/parameter collectives",
    "optimizer": "optimizer step",
    "other_overhead": "unmodelled overhead",
}


def result_dict(out: dict, i, layout: dict, assumptions: list[str], hw: Hardware) -> dict:
    """One layout's result as the ``costmodel.perf/1`` JSON object."""

    def f(key):
        return float(np.asarray(out[key]).reshape(-1)[i] if np.ndim(out[key]) else out[key])

    bd = {k: f(f"bf_{k}") for k in BREAKDOWN}
    hidden = {k: f(f"hidden_{k}") for k in ("tp_comm", "ep_comm", "cp_comm", "pp_comm", "dp_comm")}
    memgb = {k: f(f"mem_{k}") / 1e9 for k in MEMORY}
    memgb["total"] = f("mem_total") / 1e9
    memgb["capacity"] = hw.memory_bytes / 1e9
    fits = bool(f("fits"))
    big = max((k for k in BREAKDOWN if k != "other_overhead"), key=lambda k: bd[k])
    step = f("step_time_s")
    bottleneck = f"{_WORDS[big]} ({bd[big] / step:.0%} of the step)"
    overflow = None
    if not fits:
        parts = sorted(MEMORY, key=lambda k: -memgb[k])[:2]
        overflow = (
            f"needs {memgb['total']:.1f} GB per GPU of {memgb['capacity']:.0f} GB; largest: "
            + ", ".join(f"{k} {memgb[k]:.1f} GB" for k in parts)
        )
    prec = layout["precision"]
    mfu = f("mfu")
    if prec == "fp8":
        mfu = f("model_flop_per_s_per_gpu") / (
            hw.peak_fp8_flop_per_s
            if np.isfinite(hw.peak_fp8_flop_per_s)
            else hw.peak_bf16_flop_per_s
        )
    rate = f("model_flop_per_s_per_gpu")
    basis = {  # the peaks the two MFUs divide by (issue 9, item 13)
        "precision": prec,
        "peak_flop_per_s": rate / mfu if mfu > 0 else None,
        "peak_16bit_flop_per_s": rate / f("mfu_16bit") if f("mfu_16bit") > 0 else None,
    }
    if basis["peak_flop_per_s"]:
        basis["text"] = (
            f"{'blended FP8/BF16' if prec == 'mixed' else prec} dense peak, "
            f"{basis['peak_flop_per_s'] / 1e12:,.1f} TFLOP/s"
        )
    return {
        "schema": "costmodel.perf/1",
        "mfu": mfu,
        "mfu_16bit": f("mfu_16bit"),
        "mfu_basis": basis,
        "hfu": f("hfu"),
        "tokens_per_s_per_gpu": f("tokens_per_s_per_gpu"),
        "model_flop_per_s_per_gpu": f("model_flop_per_s_per_gpu"),
        "step_time_s": step,
        "breakdown": bd,
        "hidden_by_overlap": hidden,
        "memory_gb_per_gpu": memgb,
        "fits": fits,
        "overflow": overflow,
        "bottleneck": bottleneck,
        "layout": {k: layout[k] for k in LAYOUT_KEYS} | {"n_gpus": layout["n_gpus"]},
        "flop_convention": "megatron (causal, MTP excluded)",
        "assumptions": list(assumptions),
    }
