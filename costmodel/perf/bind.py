"""Bind the performance model to the catalog: architectures, accelerators, layouts.

The only module of :mod:`costmodel.perf` that imports the rest of the package (the
``Architecture`` model, the accelerator catalog, the error classes), so moving those is a
one-file change. It turns an :class:`~costmodel.formulas.architecture.Architecture` into a
:class:`~costmodel.perf.step.ModelShape`, an accelerator preset into a
:class:`~costmodel.perf.step.Hardware`, fills and checks layouts, and shapes results as
the ``costmodel.perf/1`` JSON contract.
"""

from __future__ import annotations

from ..errors import InputError
from ..formulas.architecture import Architecture
from .layout import (
    DEFAULT_TOKENS_PER_STEP,
    LAYOUT_KEYS,
    MIN_MICROBATCHES_PER_STAGE,
    PRECISIONS,
    RECOMPUTE,
    _bad,
    codes,
    recipe,
    resolve_layout,
)
from .result import BREAKDOWN, MEMORY, result_dict
from .shapes import Hardware, ModelShape
from .step import evaluate

__all__ = [
    "DEFAULT_SCALE_OUT_GBIT_PER_S",
    "DEFAULT_SCALE_UP_DOMAIN",
    "DEFAULT_TOKENS_PER_STEP",
    "MIN_MICROBATCHES_PER_STAGE",
    "LAYOUT_KEYS",
    "BREAKDOWN",
    "MEMORY",
    "RECOMPUTE",
    "PRECISIONS",
    "codes",
    "recipe",
    "model_shape",
    "hardware",
    "resolve_layout",
    "perf",
    "result_dict",
    "standard_assumptions",
    "load_architecture",
]

#: Scale-out bandwidth per accelerator when the preset has none [Gbit/s, one direction]:
#: one 400 Gb/s NIC per GPU, as in DeepSeek's H800 cluster (arXiv 2505.09343 §4.1) and
#: Meta's H100 clusters (arXiv 2407.21783 §3.3.1).
DEFAULT_SCALE_OUT_GBIT_PER_S = 400.0
#: Scale-up domain when the preset has none [1]: an 8-GPU HGX/DGX node.
DEFAULT_SCALE_UP_DOMAIN = 8


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
    out = evaluate(shape, hw, node_limit=node_limit, **codes(lay), **recipe(lay))
    notes = notes + hw_notes + standard_assumptions(arch, node_limit)
    d = result_dict(out, 0, lay, notes, hw)
    d["layout"]["node_limit"] = int(node_limit)
    if lay["precision"] != "bf16":
        d["layout"]["fp8_fraction"] = lay["fp8_fraction"]
    return d


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
        with open(str(path), "rb") as fh:
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
