"""Validation of the performance model against published throughput with layouts.

Predicts every usable row of ``tests/data/perf_validation_rows.csv`` — the rows of
published training-throughput tables (88 configurations, 14 sources) that print a layout,
transcribed with the reading notes of ``docs/sources/perf_validation_sources.md`` — and
compares like with like:
each measured number (MFU, HFU or TFLOP/s per GPU) is turned back into *tokens per second
per GPU* with the FLOP count and peak its source used, so no FLOP convention leaks into the
comparison. The one fitted constant, :data:`~costmodel.perf.step.SYSTEM_EFFICIENCY`, is
judged leave-one-source-out: refit without a source, then predict that source.

Rows left out (and why) are listed in ``docs/perf_validation.md``: Frontier (no layouts),
Gopher and GPT-3 in PaLM's Table 3 (no layout), the Megatron-LM strong-scaling rows (layout
not stated), Korthikanti's full-recompute rows without a number, OPT (FLOP counting not
stated).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from . import bind, pipeline
from .step import SYSTEM_EFFICIENCY, evaluate

__all__ = [
    "SOURCES",
    "load_rows",
    "row_architecture",
    "measured_tokens_per_s",
    "evaluate_row",
    "raw_predictions",
    "fit_system_efficiency",
    "leave_one_source_out",
    "summary",
    "DSV3_ISCA_STEP_S",
    "deepseek_step_components",
]

#: Source prefixes of the row ids, longest first.
SOURCES = (
    "DSV3-ISCA",
    "NEMO4-15B",
    "MLM-README",
    "NEMO2407",
    "MBRIDGE",
    "MAXTEXT",
    "LLAMA3",
    "NAR21",
    "KOR22",
    "MTNLG",
    "PALM",
    "BLOOM",
    "LLMF",
)


def source_of(row_id: str) -> str:
    """The source prefix of a row id."""
    for s in SOURCES:
        if row_id.startswith(s + "-"):
            return s
    raise ValueError(f"row id {row_id!r} has no known source prefix")


def load_rows(path: str | Path) -> list[dict]:
    """Read the validation rows (CSV with a header) [list of dict of str]."""
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _int(x: str, default: int = 0) -> int:
    return int(x) if x not in ("", None) else default


def row_architecture(row: dict):
    """The :class:`~costmodel.formulas.architecture.Architecture` of a validation row."""
    from ..data import store
    from ..formulas.architecture import Architecture

    if row["arch_preset"]:
        arch = store.get("runs", row["arch_preset"]).architecture
        return arch.model_copy(update={"seq_len": int(row["seq"])})
    spec = {
        "n_layers": int(row["layers"]),
        "d_model": int(row["hidden"]),
        "n_heads": int(row["heads"]),
        "n_kv_heads": int(row["kv_heads"]),
        "ffn_hidden": int(row["ffn"]),
        "gated_mlp": row["gated"] == "1",
        "vocab_size": int(row["vocab"]),
        "tied_embeddings": row["tied"] == "1",
        "seq_len": int(row["seq"]),
        "causal": True,
    }
    if row["head_dim"]:
        spec["head_dim"] = int(row["head_dim"])
    if row["n_experts"]:
        spec["moe"] = {
            "n_routed_experts": int(row["n_experts"]),
            "top_k": int(row["top_k"]),
            "expert_ffn_hidden": int(row["expert_ffn"]),
            "n_shared_experts": 1 if _int(row["shared_ffn"]) else 0,
            **(
                {"shared_expert_ffn_hidden": int(row["shared_ffn"])}
                if _int(row["shared_ffn"])
                else {}
            ),
        }
    return Architecture(**spec)


def source_flop_per_token(row: dict, arch) -> float:
    """Training FLOP per token the row's source counts [FLOP]
    (``docs/sources/perf_validation_sources.md``).

    ``nar21``/``nar21_full``: Narayanan et al. 2021 Eq. (3), 72 or 96 coefficient (the
    latter counts full recomputation); ``palm``: ``6N + 12·L·H·Q·T`` (Chowdhery et al. 2022
    App. B); ``llmf``: llm-foundry ``6N + 12·L·d·s`` with all parameters; ``maxtext``:
    ``6N + 12·H·L·hd·s`` with all parameters; ``megatron_causal``/``megatron_noncausal``:
    the architecture-detailed count with and without the causal halving.
    """
    from ..formulas import flops

    conv = row["convention"]
    s, L, h, V = arch.seq_len, arch.n_layers, arch.d_model, arch.vocab_size
    if conv in ("nar21", "nar21_full"):
        return (
            flops.narayanan2021_flop_per_iteration(
                1, s, L, h, V, full_recompute=conv == "nar21_full"
            )
            / s
        )
    if conv == "palm":
        return arch.flop_per_token("palm")
    total = arch.param_count()["total"]
    if conv == "llmf":
        return 6.0 * total + 12.0 * L * h * s
    if conv == "maxtext":
        return 6.0 * total + 12.0 * arch.n_heads * L * arch.head_dim_ * s
    if conv == "megatron_causal":
        return arch.flop_per_token("megatron")
    if conv == "megatron_noncausal":
        return arch.breakdown(causal=False).training
    raise ValueError(f"convention {conv!r} unknown")


def measured_tokens_per_s(row: dict, arch) -> float:
    """The row's measured throughput as tokens/s per GPU [1/s]."""
    v = float(row["value"])
    f = source_flop_per_token(row, arch)
    if row["metric"] == "tflops":
        return v * 1e12 / f
    return v * float(row["peak_tflop"]) * 1e12 / f


def evaluate_row(r: dict, system_efficiency: float = 1.0):
    """The step model's outputs at a validation row's published layout, and the hardware
    (:class:`~costmodel.perf.shapes.Hardware`) it ran on."""
    from ..data import store

    arch = row_architecture(r)
    hw, _ = bind.hardware(store.get("accelerators", r["accelerator"]))
    prec = r["precision"]
    res = evaluate(
        bind.model_shape(arch),
        hw,
        tp=int(r["tp"]),
        pp=int(r["pp"]),
        dp=int(r["dp"]),
        ep=_int(r["ep"], 1),
        cp=_int(r["cp"], 1),
        vpp=_int(r["vpp"], 1),
        schedule=pipeline.SCHEDULES.index(r["schedule"]),
        zero=int(r["zero"]),
        micro_batch=int(r["micro_batch"]),
        global_batch=int(r["global_batch"]),
        seq_len=int(r["seq"]),
        recompute=bind.RECOMPUTE.index(r["recompute"]),
        fp8_linear=0.0 if prec == "bf16" else 1.0,
        node_limit=4 if r["arch_preset"] == "deepseek-v3" and r["schedule"] == "dualpipe" else 0,
        tp_overlap=float(r["tp_overlap"]),
        system_efficiency=system_efficiency,
        **bind.recipe({"precision": prec}),
    )
    return res, hw


def raw_predictions(rows: list[dict]) -> np.ndarray:
    """Predicted tokens/s per GPU of each row with ``system_efficiency = 1`` [1/s]."""
    return np.array([float(evaluate_row(r)[0]["tokens_per_s_per_gpu"]) for r in rows])


def fit_system_efficiency(raw: np.ndarray, measured: np.ndarray) -> float:
    """The system efficiency that makes the median log ratio zero [1].

    ``exp(median(log(measured / raw)))``: robust to a few badly transcribed rows.
    """
    return float(np.exp(np.median(np.log(np.asarray(measured) / np.asarray(raw)))))


def leave_one_source_out(rows: list[dict], raw: np.ndarray, measured: np.ndarray) -> np.ndarray:
    """Predicted tokens/s per GPU of each row with the constant refitted without its
    source [1/s]."""
    src = np.array([source_of(r["id"]) for r in rows])
    pred = np.empty_like(raw)
    for s in np.unique(src):
        keep = src != s
        eta = fit_system_efficiency(raw[keep], measured[keep])
        pred[~keep] = raw[~keep] * eta
    return pred


def summary(rows: list[dict]) -> dict:
    """Per-row and per-source validation table.

    Returns
    -------
    dict
        ``rows`` (id, source, measured and predicted tokens/s, log10 ratios in sample and
        leave-one-source-out), ``sources`` (median |log10| per source), ``overall_loso``,
        ``overall_in_sample``, ``system_efficiency`` (fitted on all rows),
        ``log10_sd_loso`` (the residuals' standard deviation).
    """
    archs = [row_architecture(r) for r in rows]
    meas = np.array([measured_tokens_per_s(r, a) for r, a in zip(rows, archs, strict=True)])
    raw = raw_predictions(rows)
    eta_all = fit_system_efficiency(raw, meas)
    ins = raw * eta_all
    loso = leave_one_source_out(rows, raw, meas)
    lr_in = np.log10(ins / meas)
    lr_lo = np.log10(loso / meas)
    src = [source_of(r["id"]) for r in rows]
    by = {}
    for s in dict.fromkeys(src):
        idx = [i for i, x in enumerate(src) if x == s]
        by[s] = {
            "n": len(idx),
            "median_abs_log10_loso": float(np.median(np.abs(lr_lo[idx]))),
            "median_abs_log10_in_sample": float(np.median(np.abs(lr_in[idx]))),
            "median_log10_loso": float(np.median(lr_lo[idx])),
        }
    return {
        "rows": [
            {
                "id": r["id"],
                "source": s,
                "measured_tokens_per_s_per_gpu": float(m),
                "predicted_tokens_per_s_per_gpu": float(p),
                "log10_ratio_in_sample": float(a),
                "log10_ratio_loso": float(b),
            }
            for r, s, m, p, a, b in zip(rows, src, meas, loso, lr_in, lr_lo, strict=True)
        ],
        "sources": by,
        "overall_loso": float(np.median(np.abs(lr_lo))),
        "overall_in_sample": float(np.median(np.abs(lr_in))),
        "system_efficiency": eta_all,
        "system_efficiency_in_code": SYSTEM_EFFICIENCY,
        "log10_sd_loso": float(np.std(lr_lo, ddof=1)),
        "log10_mean_loso": float(np.mean(lr_lo)),
        "n": len(rows),
        "geometric_sd": float(10 ** np.std(lr_lo, ddof=1)),
        "log10_robust_sd_loso": robust_sd(lr_lo),
    }


def robust_sd(x) -> float:
    """Normal-consistent robust standard deviation, ``1.4826 · median|x − median(x)|``
    (Rousseeuw & Croux 1993, J. Am. Stat. Assoc. 88:1273) [same unit as x]."""
    x = np.asarray(x, dtype=float)
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


#: DeepSeek-V3's measured step (arXiv 2505.09343 Table 4, MPFT): 15,360 sequences of 4,096
#: tokens on 2,048 H800s [s].
DSV3_ISCA_STEP_S = 19.926


def deepseek_step_components() -> dict:
    """DeepSeek-V3's published layout (its run preset's ``[layout]``: arXiv 2412.19437 §3.2,
    PP16 DualPipe, EP64, DP128, node-limited routing M = 4; batch 15,360 × 4,096) through
    :func:`bind.perf`: the step components [s], the step [s], MFU [1] and memory per GPU
    [GB]."""
    from ..data import store

    run = store.get("runs", "deepseek-v3")
    assert run.layout is not None and run.architecture is not None
    flags = run.layout.flags()
    node_limit = int(flags.pop("node_limit", 0))
    acc = store.get("accelerators", run.gpu)
    return bind.perf(run.architecture, acc, n_gpus=run.n_gpus, node_limit=node_limit, **flags)
