"""Bind the performance model to the catalog: architectures, accelerators, layouts.

The only module of :mod:`costmodel.perf` that imports the rest of the package (the
``Architecture`` model, the accelerator catalog, the error classes), so moving those is a
one-file change. It turns an :class:`~costmodel.formulas.architecture.Architecture` into a
:class:`~costmodel.perf.step.ModelShape`, an accelerator preset into a
:class:`~costmodel.perf.step.Hardware`, fills and checks layouts, and shapes results as
the ``costmodel.perf/1`` JSON contract.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..formulas.architecture import Architecture
from . import pipeline
from .step import Hardware, ModelShape, evaluate

__all__ = [
    "DEFAULT_SCALE_OUT_GBIT_PER_S",
    "DEFAULT_SCALE_UP_DOMAIN",
    "DEFAULT_TOKENS_PER_STEP",
    "RECOMPUTE",
    "PRECISIONS",
    "model_shape",
    "hardware",
    "resolve_layout",
    "perf",
    "result_dict",
]

#: Scale-out bandwidth per accelerator when the preset has none [Gbit/s, one direction]:
#: one 400 Gb/s NIC per GPU, as in DeepSeek's H800 cluster (arXiv 2505.09343 §4.1) and
#: Meta's H100 clusters (arXiv 2407.21783 §3.3.1).
DEFAULT_SCALE_OUT_GBIT_PER_S = 400.0
#: Scale-up domain when the preset has none [1]: an 8-GPU HGX/DGX node.
DEFAULT_SCALE_UP_DOMAIN = 8
#: Default tokens per step when no global batch is given [tokens]: 16M (2²⁴), Llama 3
#: 405B's batch (arXiv 2407.21783 §3.4.1: 16M tokens at 8K sequences), between GPT-3's
#: 3.2M and DeepSeek-V3's 63M (15,360 × 4,096; arXiv 2412.19437 §4.2).
DEFAULT_TOKENS_PER_STEP = 16 * 1024 * 1024
#: Default minimum micro-batches per pipeline: 8 per stage keeps the 1F1B bubble
#: ``(p−1)/m`` under 1/8 (Narayanan et al. 2021 §3.3.1).
MIN_MICROBATCHES_PER_STAGE = 8

RECOMPUTE = ("none", "selective", "full")
PRECISIONS = ("bf16", "fp8", "mixed")
LAYOUT_KEYS = (
    "tp",
    "pp",
    "dp",
    "ep",
    "cp",
    "vpp",
    "schedule",
    "zero",
    "micro_batch",
    "global_batch",
    "seq_len",
    "recompute",
    "precision",
)


def model_shape(arch: Architecture) -> ModelShape:
    """The :class:`ModelShape` of an architecture (counts and per-token FLOP).

    Sliding-window layers are costed as full attention (stated in ``assumptions``).
    """
    pc = arch.param_count()
    b = arch.breakdown(mtp=False)
    moe = arch.moe
    expert = 0.0
    if moe is not None:
        expert = (
            arch.n_moe_layers
            * moe.n_routed_experts
            * (3 if arch.gated_mlp else 2)
            * arch.d_model
            * moe.expert_ffn_hidden
        )
    emb = pc["embedding"] + (0.0 if arch.tied_embeddings else pc["embedding"])
    return ModelShape(
        n_layers=arch.n_layers,
        n_moe_layers=arch.n_moe_layers,
        d_model=arch.d_model,
        n_heads=arch.n_heads,
        n_kv_heads=arch.n_kv_heads_ if arch.mla is None else arch.n_heads,
        qk_head_dim=arch.qk_head_dim,
        v_head_dim=arch.v_head_dim,
        ffn_hidden=arch.ffn_hidden,
        gated=arch.gated_mlp,
        vocab_size=arch.vocab_size,
        causal=arch.causal,
        q_lora_rank=(arch.mla.q_lora_rank or 0) if arch.mla else 0,
        kv_lora_rank=arch.mla.kv_lora_rank if arch.mla else 0,
        qk_rope_head_dim=arch.mla.qk_rope_head_dim if arch.mla else 0,
        n_experts=moe.n_routed_experts if moe else 0,
        top_k=moe.top_k if moe else 0,
        expert_ffn_hidden=moe.expert_ffn_hidden if moe else 0,
        shared_ffn_hidden=(
            moe.n_shared_experts * (moe.shared_expert_ffn_hidden or moe.expert_ffn_hidden)
            if moe
            else 0
        ),
        mtp_depth=arch.mtp_depth,
        params_total=pc["total"],
        params_expert=expert,
        params_embedding=emb,
        params_mtp=pc["mtp"],
        linear_flop_per_token=b.forward - b.attention_core,
        fp8_linear_flop_per_token=b.attention_projections + b.mlp,
    )


def hardware(acc, *, scale_out_gbit_per_s: float | None = None) -> tuple[Hardware, list[str]]:
    """The :class:`Hardware` of an accelerator preset, and the defaults it needed.

    Parameters
    ----------
    acc : costmodel.schemas.Accelerator
    scale_out_gbit_per_s : float, optional
        Override the scale-out bandwidth per accelerator [Gbit/s, one direction].
    """
    notes: list[str] = []
    bidir = acc.scale_up_gb_per_s or acc.interconnect_gb_per_s
    if bidir is None:
        raise InputError(
            f"gpu: {acc.id} has no published scale-up bandwidth (interconnect_gb_per_s), "
            "so its communication cannot be costed; add scale_up_gb_per_s with a source "
            "in a --presets directory"
        )
    domain = acc.scale_up_domain
    if domain is None:
        domain = DEFAULT_SCALE_UP_DOMAIN
        notes.append(
            f"{acc.id}: scale-up domain not in the preset; assumed {domain} accelerators "
            "(an HGX/DGX node)"
        )
    so = scale_out_gbit_per_s or acc.scale_out_gbit_per_s
    if so is None:
        so = DEFAULT_SCALE_OUT_GBIT_PER_S
        notes.append(
            f"{acc.id}: scale-out bandwidth not in the preset; assumed {so:g} Gb/s per "
            "accelerator (one 400G NIC per GPU, as DeepSeek's and Meta's clusters)"
        )
    elif scale_out_gbit_per_s:
        notes.append(f"scale-out bandwidth {so:g} Gb/s per accelerator (given)")
    pk = acc.peak_dense_tflop_per_s
    fp8 = pk.get("fp8")
    hw = Hardware(
        peak_bf16_flop_per_s=pk.get("bf16", pk.get("fp16", 0.0)) * 1e12,
        peak_fp8_flop_per_s=fp8 * 1e12 if fp8 else float("nan"),
        hbm_bytes_per_s=acc.memory_bandwidth_tb_per_s * 1e12,
        memory_bytes=acc.memory_gb * 1e9,
        scale_up_bytes_per_s=bidir / 2.0 * 1e9,
        scale_up_domain=int(domain),
        scale_out_bytes_per_s=so / 8.0 * 1e9,
        matmul_ceiling=acc.matmul_ceiling_fraction or 0.759,
    )
    if acc.matmul_ceiling_fraction is None:
        notes.append(f"{acc.id}: no measured GEMM ceiling; the H200's 0.759 of peak assumed")
    return hw, notes


def _bad(flag: str, value, allowed: str) -> InputError:
    return InputError(f"{flag}: {value} is not allowed; {allowed}")


def _divisors(n: int) -> list[int]:
    return [i for i in range(1, n + 1) if n % i == 0]


def resolve_layout(arch: Architecture, n_gpus: int | None, **given) -> tuple[dict, list[str]]:
    """Fill omitted layout values with documented defaults and check the layout.

    Parameters
    ----------
    arch : Architecture
    n_gpus : int, optional
        Accelerators; default ``tp·pp·dp·cp`` when ``dp`` is given, else an error.
    **given
        Any of ``tp pp dp ep cp vpp schedule zero micro_batch global_batch seq_len
        recompute precision fp8_fraction`` (``None`` = omitted).

    Returns
    -------
    (dict, list of str)
        The full layout and the assumptions made.

    Raises
    ------
    InputError
        One line naming the flag, the bad value and what is allowed.
    """
    g = {k: v for k, v in given.items() if v is not None}
    notes: list[str] = []

    def default(key, value, why):
        if key not in g:
            g[key] = value
            notes.append(f"{key.replace('_', '-')} = {value} (default: {why})")

    for key in ("tp", "pp", "cp", "vpp", "micro_batch", "global_batch", "seq_len", "dp", "ep"):
        if key in g and (not isinstance(g[key], (int, np.integer)) or g[key] < 1):
            raise _bad(f"--{key.replace('_', '-')}", g[key], "give a positive integer")
    default("tp", 1, "no tensor parallelism")
    default("pp", 1, "no pipeline parallelism")
    default("cp", 1, "no context parallelism")
    tp, pp, cp = g["tp"], g["pp"], g["cp"]
    kv = arch.n_heads if arch.mla else arch.n_kv_heads_
    if arch.n_heads % tp or (kv % tp and tp % kv):
        ok = [t for t in _divisors(arch.n_heads) if kv % t == 0 or t % kv == 0]
        raise _bad("--tp", tp, f"must divide the {arch.n_heads} attention heads; allowed: {ok}")
    if pp > arch.n_layers:
        raise _bad("--pp", pp, f"exceeds the {arch.n_layers} layers")
    default("seq_len", arch.seq_len, "the architecture's training sequence length")
    if g["seq_len"] % cp:
        raise _bad("--cp", cp, f"must divide seq-len {g['seq_len']}")
    if n_gpus is None:
        if "dp" not in g:
            raise InputError("--n-gpus: missing; give --n-gpus or --dp")
        n_gpus = tp * pp * cp * g["dp"]
    if n_gpus < 1:
        raise _bad("--n-gpus", n_gpus, "give a positive integer")
    if "dp" not in g:
        if n_gpus % (tp * pp * cp):
            raise _bad(
                "--n-gpus",
                n_gpus,
                f"must be a multiple of tp·pp·cp = {tp * pp * cp} (dp = n_gpus/(tp·pp·cp))",
            )
        default("dp", n_gpus // (tp * pp * cp), "n_gpus/(tp·pp·cp)")
    dp = g["dp"]
    if tp * pp * cp * dp != n_gpus:
        raise _bad(
            "--dp",
            dp,
            f"tp·pp·dp·cp = {tp}·{pp}·{dp}·{cp} = {tp * pp * dp * cp} must equal n_gpus = {n_gpus}",
        )
    moe = arch.moe
    if moe is None:
        default("ep", 1, "dense model")
        if g["ep"] != 1:
            raise _bad("--ep", g["ep"], "a dense model has no experts; use 1")
    else:
        cand = [e for e in _divisors(moe.n_routed_experts) if e <= 8 and (n_gpus // pp) % e == 0]
        default("ep", max(cand) if cand else 1, "experts spread over one 8-GPU node")
        ep = g["ep"]
        if moe.n_routed_experts % ep:
            raise _bad(
                "--ep",
                ep,
                f"must divide the {moe.n_routed_experts} routed experts; allowed: "
                f"{_divisors(moe.n_routed_experts)}",
            )
        if (n_gpus // pp) % ep:
            raise _bad("--ep", ep, f"must divide the {n_gpus // pp} GPUs of a pipeline stage")
    sched = g.get("schedule")
    if sched is None:
        default("schedule", "interleaved" if g.get("vpp", 1) > 1 else "1f1b", "1F1B")
    if g["schedule"] not in pipeline.SCHEDULES:
        raise _bad("--schedule", g["schedule"], f"choose one of {', '.join(pipeline.SCHEDULES)}")
    if g["schedule"] == "interleaved":
        default("vpp", 2, "two model chunks per device")
    default("vpp", 1, "one model chunk per device")
    if g["schedule"] != "interleaved" and g["vpp"] != 1:
        raise _bad("--vpp", g["vpp"], "virtual stages need --schedule interleaved")
    if g["schedule"] == "interleaved" and pp * g["vpp"] > arch.n_layers:
        raise _bad(
            "--vpp", g["vpp"], f"pp·vpp = {pp * g['vpp']} exceeds the {arch.n_layers} layers"
        )
    if g["schedule"] == "dualpipe" and pp % 2:
        raise _bad("--pp", pp, "DualPipe needs an even number of stages")
    default("zero", 1, "optimizer states sharded over data parallelism (distributed optimizer)")
    if g["zero"] not in (0, 1, 2, 3):
        raise _bad("--zero", g["zero"], "choose 0, 1, 2 or 3")
    default("micro_batch", 1, "one sequence per micro-batch")
    mb = g["micro_batch"]
    seqs = max(1, math.ceil(DEFAULT_TOKENS_PER_STEP / g["seq_len"]))
    m_min = MIN_MICROBATCHES_PER_STAGE * pp if pp > 1 else 1
    m = max(math.ceil(seqs / (dp * mb)), m_min)
    default(
        "global_batch",
        m * dp * mb,
        f"≥ {DEFAULT_TOKENS_PER_STEP / 1e6:.1f}M tokens and ≥ {MIN_MICROBATCHES_PER_STAGE} "
        "micro-batches per pipeline stage",
    )
    if g["global_batch"] % (dp * mb):
        raise _bad(
            "--global-batch",
            g["global_batch"],
            f"must be a multiple of dp·micro-batch = {dp * mb}",
        )
    default(
        "recompute",
        "selective",
        "selective recomputation, the recommended default (Korthikanti et al. 2022 §5)",
    )
    if g["recompute"] not in RECOMPUTE:
        raise _bad("--recompute", g["recompute"], f"choose one of {', '.join(RECOMPUTE)}")
    default("precision", "bf16", "16-bit training")
    if g["precision"] not in PRECISIONS:
        raise _bad("--precision", g["precision"], f"choose one of {', '.join(PRECISIONS)}")
    if g["precision"] == "mixed":
        default("fp8_fraction", 1.0, "all block linears in FP8 (DeepSeek-V3 recipe)")
    f = g.get("fp8_fraction", 1.0 if g["precision"] == "fp8" else 0.0)
    if not 0.0 <= f <= 1.0:
        raise _bad("--fp8-fraction", f, "give a fraction in [0, 1]")
    g["fp8_fraction"] = f if g["precision"] != "bf16" else 0.0
    g["n_gpus"] = n_gpus
    return g, notes


def _codes(layout: dict) -> dict:
    return {
        "tp": layout["tp"],
        "pp": layout["pp"],
        "dp": layout["dp"],
        "ep": layout["ep"],
        "cp": layout["cp"],
        "vpp": layout["vpp"],
        "schedule": pipeline.SCHEDULES.index(layout["schedule"]),
        "zero": layout["zero"],
        "micro_batch": layout["micro_batch"],
        "global_batch": layout["global_batch"],
        "seq_len": layout["seq_len"],
        "recompute": RECOMPUTE.index(layout["recompute"]),
        "fp8_linear": layout["fp8_fraction"],
    }


def _recipe(layout: dict) -> dict:
    """Memory recipe of a precision: ``mixed`` is DeepSeek-V3's FP8 framework (BF16 Adam
    moments, FP8-cached expert activations; arXiv 2412.19437 §3.3.4); ``bf16`` and ``fp8``
    (Transformer Engine style) keep fp32 moments."""
    if layout["precision"] == "mixed":
        return {"optimizer_bytes": 8.0, "expert_act_bytes": 1.0, "recompute_norms": True}
    return {"optimizer_bytes": 12.0, "expert_act_bytes": 2.0}


BREAKDOWN = (
    "gemm",
    "attention",
    "memory_bound",
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


def perf(
    arch: Architecture,
    acc,
    *,
    n_gpus: int | None = None,
    node_limit: int = 0,
    scale_out_gbit_per_s: float | None = None,
    **layout,
) -> dict:
    """Predict one layout (``costmodel perf``): the ``costmodel.perf/1`` dict.

    Parameters
    ----------
    arch : Architecture
    acc : costmodel.schemas.Accelerator
    n_gpus : int, optional
    node_limit : int, default 0
        Node-limited MoE routing (DeepSeek's M; 0 = off).
    scale_out_gbit_per_s : float, optional
        Override the preset's scale-out bandwidth [Gbit/s].
    **layout
        See :func:`resolve_layout`.
    """
    lay, notes = resolve_layout(arch, n_gpus, **layout)
    if lay["precision"] != "bf16" and "fp8" not in acc.peak_dense_tflop_per_s:
        raise _bad("--precision", lay["precision"], f"{acc.id} has no FP8 peak; use bf16")
    hw, hw_notes = hardware(acc, scale_out_gbit_per_s=scale_out_gbit_per_s)
    shape = model_shape(arch)
    out = evaluate(shape, hw, node_limit=node_limit, **_codes(lay), **_recipe(lay))
    notes = notes + hw_notes + standard_assumptions(arch, node_limit)
    return result_dict(out, 0, lay, notes, hw)


def standard_assumptions(arch: Architecture, node_limit: int = 0) -> list[str]:
    """The modelling assumptions every prediction carries."""
    a = [
        "GEMM efficiency from the H200 shape measurements scaled by peak, HBM bandwidth and "
        "the accelerator's measured GEMM ceiling (roofline)",
        "sequence parallelism with TP; experts not tensor-parallel; balanced expert routing",
        "overlap: DP collectives hidden behind one micro-batch (all of them under ZeRO-3), CP "
        "ring behind attention, EP all-to-all only under DualPipe, TP none",
        "memory: mixed-precision Adam 16 bytes/parameter (ZeRO shards), flash attention "
        "(no s² activations), 3 GB runtime reserve",
        "MFU counts megatron causal FLOP without MTP; hfu adds recomputation",
    ]
    if arch.sliding_window is not None:
        a.append("sliding-window layers costed as full attention")
    if node_limit:
        a.append(
            "node-limited routing: each token crosses the scale-out network to at most "
            f"{node_limit} nodes"
        )
    return a


def load_architecture(run: str | None, path: str | None) -> tuple[Architecture, str]:
    """The architecture of a run preset, or of a TOML file with one ``[architecture]``
    table in the run presets' schema; and a label for it.

    Raises
    ------
    InputError
        Neither or both given, the run has no architecture, or the file is malformed.
    """
    from ..data import store

    if (run is None) == (path is None):
        raise InputError("--run / --architecture: give exactly one of them")
    if run is not None:
        preset = store.get("runs", run)
        if preset.architecture is None:
            with_arch = sorted(k for k, v in store.load("runs").items() if v.architecture)
            raise InputError(
                f"--run: {preset.id} has no [architecture] table; runs with one: "
                f"{', '.join(with_arch)}"
            )
        return preset.architecture, preset.id
    import tomllib

    from pydantic import ValidationError

    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"--architecture: {path} is not valid TOML ({e})") from None
    table = data.get("architecture")
    if not isinstance(table, dict):
        raise InputError(f"--architecture: {path} has no [architecture] table")
    try:
        return Architecture(**table), str(path)
    except ValidationError as e:
        first = e.errors()[0]
        key = ".".join(str(x) for x in first["loc"]) or "(table)"
        raise InputError(f"--architecture: {path}: {key}: {first['msg']}") from None
