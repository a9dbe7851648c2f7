"""Step time, utilization and memory of one training layout (layer 1, vectorized).

:func:`evaluate` takes one model (:class:`ModelShape`) and one accelerator
(:class:`Hardware`), both plain dataclasses of numbers, and *arrays* of layouts; every
layout field broadcasts, so ``plan`` scores ten thousand layouts in one call.

The step is assembled from the pieces in :mod:`.kernels` (GEMM roofline, flash attention,
memory-bound kernels), :mod:`.collectives` (TP, EP, CP, PP and DP communication),
:mod:`.pipeline` (bubbles) and :mod:`.memory`::

    t_mb   = Σ_layers of the busiest stage (GEMM + attention + memory-bound)
             + exposed TP + exposed EP + exposed CP communication          [per micro-batch]
    t_pipe = m·t_mb + bubble(t_mb) + exposed PP point-to-point
    step   = (t_pipe + exposed DP/ZeRO communication + optimizer step) / SYSTEM_EFFICIENCY

Every overlap is a stated fraction of a communication that may hide behind a stated window
of compute: ``hidden = min(f·comm, window)``.

References
----------
.. [1] Narayanan et al. 2021, arXiv 2104.04473 (tensor, pipeline and data parallelism in
       Megatron-LM; §3 communication volumes).
.. [2] Korthikanti et al. 2022, arXiv 2205.05198 (sequence parallelism: the TP all-reduce
       becomes an all-gather + reduce-scatter pair, 4 per layer forward, 4 backward).
.. [3] DeepSeek-AI 2024, arXiv 2412.19437 §3.2 (DualPipe hides the all-to-all behind the
       computation of the other micro-batch; node-limited routing, M = 4).
.. [4] Isaev et al., "Calculon: a methodology and tool for high-level co-design of systems
       and large language models", SC'23 (the same decomposition for dense models).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import collectives as col
from . import kernels as ker
from . import memory as mem
from . import pipeline as pipe

__all__ = [
    "ModelShape",
    "Hardware",
    "TP_OVERLAP",
    "CP_OVERLAP",
    "EP_OVERLAP",
    "PP_OVERLAP",
    "DP_OVERLAP",
    "SYSTEM_EFFICIENCY",
    "GRAD_COMM_BYTES",
    "QUANT_BYTES",
    "evaluate",
    "model_flop_per_token",
]

#: Fraction of TP (sequence-parallel) collectives hidden behind GEMMs [1]: 0, Megatron-LM's
#: default (the all-gather/reduce-scatter sit on the critical path; Korthikanti 2022 §4.2).
TP_OVERLAP = 0.0
#: Fraction of the CP ring's K/V exchange hidden behind the attention core [1]: 1, as in
#: ring attention, where each step's send overlaps the previous block's compute (Liu et al.
#: 2023, arXiv 2310.01889; Megatron-LM context parallelism).
CP_OVERLAP = 1.0
#: Fraction of the EP all-to-all hidden behind compute, by schedule (1F1B, interleaved,
#: DualPipe) [1]: DualPipe overlaps it with the other micro-batch's compute (arXiv
#: 2412.19437 §3.2.1); the Megatron schedules run dispatch/combine on the critical path.
EP_OVERLAP = (0.0, 0.0, 1.0)
#: Fraction of pipeline point-to-point traffic hidden, by schedule [1]: 1F1B sends on the
#: critical path; the interleaved schedule overlaps p2p with compute (Megatron-LM
#: ``overlap_p2p_comm``); DualPipe overlaps all PP communication (arXiv 2412.19437 §3.2.1).
PP_OVERLAP = (0.0, 1.0, 1.0)
#: Fraction of data-parallel gradient reduce-scatter / parameter all-gather hidden [1]: the
#: collectives overlap the backward pass of the last micro-batch and the forward of the
#: first (Megatron-LM ``overlap_grad_reduce`` / ``overlap_param_gather``; PyTorch FSDP
#: prefetch, per micro-batch for ZeRO-3).
DP_OVERLAP = 1.0
#: End-to-end efficiency of everything the model does not cost explicitly [1] (kernel launch
#: gaps, data loading, logging, stragglers, load imbalance): step = modelled time / this.
#: Calibrated on ``mfu_layouts.csv`` — the median over all usable rows of predicted/measured
#: throughput before this factor (``scripts/perf_validation.py``; judged leave-one-source-out
#: in ``docs/perf_validation.md``).
SYSTEM_EFFICIENCY = 0.80
#: Fixed time per kernel [s]: launch plus the idle gap between dependent kernels, ~5 µs on
#: current GPUs (NVIDIA CUDA C++ Best Practices Guide, "kernel launch overhead"; a stated
#: order of magnitude, not fitted).
KERNEL_OVERHEAD_S = 5e-6
#: Kernels per transformer layer, forward + backward [1]: about 20 forward (norms, GEMMs,
#: attention, activation, residuals, rotary) and twice that backward.
KERNELS_PER_LAYER = 60.0
#: Kernels per MoE layer, forward + backward [1]: adds router, top-k, permutation,
#: all-to-all, grouped GEMMs, unpermutation, shared experts (about 2× a dense layer).
KERNELS_PER_MOE_LAYER = 120.0
#: Share of the streaming multiprocessors that communication kernels occupy while they
#: overlap compute [1]: 20 of 132 on the H800 (DeepSeek-V3, arXiv 2412.19437 §3.2.2).
COMM_SM_SHARE = 20.0 / 132.0
#: Bytes per gradient element in the data-parallel reduction [byte] (bf16/fp16 gradients).
GRAD_COMM_BYTES = 2.0
#: Bytes moved per element of a linear's input/output to quantize it for FP8, forward and
#: backward [byte]: the FP8 copy is written (1 byte) by the kernel that produced the
#: tensor — quantization fused as in Transformer Engine and DeepSeek-V3 (arXiv 2412.19437
#: §3.3); unfused casts run at 0.75 TB/s on the H200 (h200_membound) and made our naive FP8
#: steps slower than BF16 (h200_fp8).
QUANT_BYTES = 2.0


@dataclass(frozen=True)
class ModelShape:
    """A decoder-only transformer as the performance model needs it (plain numbers).

    Built from :class:`costmodel.formulas.architecture.Architecture` by
    :func:`costmodel.perf.bind.model_shape`. Counts are [1]; FLOP are per token [FLOP].
    """

    n_layers: int
    n_moe_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    qk_head_dim: int
    v_head_dim: int
    ffn_hidden: int
    gated: bool
    vocab_size: int
    causal: bool
    # MLA (0 = standard attention)
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    qk_rope_head_dim: int = 0
    # MoE (0 experts = dense)
    n_experts: int = 0
    top_k: int = 0
    expert_ffn_hidden: int = 0
    shared_ffn_hidden: int = 0  # all shared experts together
    mtp_depth: int = 0
    # parameter counts [count]
    params_total: float = 0.0  # without MTP modules
    params_expert: float = 0.0  # routed experts, all layers
    params_embedding: float = 0.0  # input embedding + untied head
    params_mtp: float = 0.0
    # forward FLOP per token without the attention core, MTP excluded [FLOP]
    linear_flop_per_token: float = 0.0
    # forward FLOP per token of the linears that run in FP8 under DeepSeek's recipe [FLOP]
    fp8_linear_flop_per_token: float = 0.0

    @property
    def n_dense_layers(self) -> int:
        """Layers with a dense MLP [1]."""
        return self.n_layers - self.n_moe_layers

    @property
    def mla(self) -> bool:
        """Multi-head latent attention [bool]."""
        return self.kv_lora_rank > 0


@dataclass(frozen=True)
class Hardware:
    """One accelerator and its network (plain numbers, datasheet values).

    Bandwidths are nominal one-direction per accelerator; :func:`evaluate` applies
    :data:`costmodel.perf.collectives.LINK_EFFICIENCY`.
    """

    peak_bf16_flop_per_s: float
    peak_fp8_flop_per_s: float  # NaN if none
    hbm_bytes_per_s: float
    memory_bytes: float
    scale_up_bytes_per_s: float  # one direction, per accelerator
    scale_up_domain: int
    scale_out_bytes_per_s: float  # one direction, per accelerator
    matmul_ceiling: float = ker.H200_MATMUL_CEILING


def model_flop_per_token(model: ModelShape, seq_len, *, causal=None):
    """Training model FLOP per token, MTP excluded (``megatron`` convention) [FLOP].

    ``3·(linear + L·2·a·(d_qk + d_v)·k̄)`` with ``k̄ = s/2`` causal, ``s`` otherwise
    (Megatron-LM ``num_floating_point_operations``; DESIGN.md FLOP conventions).

    Parameters
    ----------
    model : ModelShape
    seq_len : array_like
        Sequence length [tokens].
    causal : bool, optional
        Override the model's mask.
    """
    c = model.causal if causal is None else causal
    s = np.asarray(seq_len, dtype=float)
    keys = s / 2.0 if c else s
    core = model.n_layers * 2.0 * model.n_heads * (model.qk_head_dim + model.v_head_dim) * keys
    return 3.0 * (model.linear_flop_per_token + core)


def _attn_saved_bytes(m: ModelShape, selective, input_bytes):
    """Bytes per token the attention block saves besides its input [byte].

    Standard attention keeps Q, K, V (16-bit, for the flash backward) and the core output
    (the output projection's input). MLA keeps its compressed latents; under selective
    recomputation it recomputes the up-projections from them (DeepSeek-V3, arXiv 2412.19437
    §3.3.4 and §3.2.3: "recompute … MLA up-projections"), otherwise it also keeps Q, K, V.
    """
    o = m.n_heads * m.v_head_dim * input_bytes
    if m.mla:
        latents = 2.0 * (m.q_lora_rank + m.kv_lora_rank + m.qk_rope_head_dim)
        qkv = 2.0 * m.n_heads * (2 * m.qk_head_dim + m.v_head_dim)
        return latents + o + np.where(selective, 0.0, qkv)
    qkv = 2.0 * (m.n_heads * m.qk_head_dim + m.n_kv_heads * (m.qk_head_dim + m.v_head_dim))
    return qkv + o + 0.0 * np.asarray(selective, dtype=float)


def _mlp_saved_bytes(f, gated, selective):
    """Bytes per token a (gated) MLP of width ``f`` saves besides its input [byte]: the
    up/gate outputs, and the activation's output unless selective recomputation redoes it
    (DeepSeek-V3 recomputes SwiGLU, arXiv 2412.19437 §3.3.4)."""
    pre = 2.0 * (2.0 * f if gated else f)
    return pre + np.where(selective, 0.0, 2.0 * f)


def evaluate(
    model: ModelShape,
    hw: Hardware,
    *,
    tp,
    pp,
    dp,
    ep,
    cp,
    vpp,
    schedule,
    zero,
    micro_batch,
    global_batch,
    seq_len,
    recompute,
    fp8_linear=0.0,
    node_limit=0,
    optimizer_bytes=mem.OPTIMIZER_BYTES,
    expert_act_bytes=2.0,
    recompute_norms=False,
    tp_overlap=TP_OVERLAP,
    system_efficiency=SYSTEM_EFFICIENCY,
) -> dict[str, np.ndarray]:
    """Predict step time, throughput, utilization and memory of training layouts.

    Parameters
    ----------
    model : ModelShape
    hw : Hardware
    tp, pp, dp, ep, cp, vpp : array_like
        Tensor, pipeline, data (replicas of the non-expert weights), expert, context
        parallel degrees and virtual stages per device [1]. ``n_gpus = tp·pp·dp·cp``.
    schedule : array_like of int
        0 ``1f1b``, 1 ``interleaved``, 2 ``dualpipe``.
    zero : array_like of int
        ZeRO stage 0–3 over the data-parallel ranks.
    micro_batch, global_batch : array_like
        Sequences per micro-batch and per step [1].
    seq_len : array_like
        Tokens per sequence [1].
    recompute : array_like of int
        0 none, 1 selective, 2 full.
    fp8_linear : array_like, default 0
        Fraction of the block linears' GEMM work run in FP8 [1] (0 for BF16; 1 for FP8 or
        DeepSeek's mixed recipe). The attention core and LM head stay BF16.
    node_limit : array_like, default 0
        Node-limited MoE routing: at most this many scale-up domains per token (0 = off).
    optimizer_bytes : array_like, default 12
        Optimizer-state bytes per parameter [byte] (fp32 master + two fp32 moments; 8 with
        DeepSeek-V3's BF16 moments, arXiv 2412.19437 §3.3.4).
    expert_act_bytes : array_like, default 2
        Element size of the routed experts' cached inputs and SwiGLU inputs [byte] (1 in
        DeepSeek-V3's FP8 recipe, §3.3.4).
    tp_overlap : array_like, default :data:`TP_OVERLAP`
        Fraction of TP collectives hidden behind GEMMs (1 with Transformer Engine's
        userbuffer overlap, which Megatron-LM's H100 benchmarks state they use) [1].
    recompute_norms : bool, default False
        Under selective recomputation also recompute the RMSNorms, so their outputs (the
        QKV and MLP inputs) are not kept (DeepSeek-V3, §3.3.4).
    system_efficiency : float, default :data:`SYSTEM_EFFICIENCY`
        End-to-end efficiency factor [1].

    Returns
    -------
    dict of ndarray
        ``step_time_s`` [s], ``tokens_per_s_per_gpu`` [1/s], ``model_flop_per_s_per_gpu``
        [FLOP/s], ``mfu_16bit``, ``mfu``, ``hfu`` [1], ``bf_<component>`` exposed seconds per
        step, ``hidden_<component>`` seconds hidden by overlap, ``mem_<part>`` bytes per GPU,
        ``microbatches``; all broadcast to the layouts' shape.
    """
    m_ = model
    tp, pp, dp, ep, cp, vpp, mb, gb, s = (
        np.asarray(a, dtype=float)
        for a in (tp, pp, dp, ep, cp, vpp, micro_batch, global_batch, seq_len)
    )
    sched = np.asarray(schedule, dtype=int)
    zero = np.asarray(zero, dtype=int)
    rec = np.asarray(recompute, dtype=int)
    f8 = np.asarray(fp8_linear, dtype=float)
    nl = np.asarray(node_limit, dtype=float)

    n = tp * pp * dp * cp
    micro = gb / (dp * mb)  # micro-batches per step per pipeline
    T = mb * s / cp  # token rows of one micro-batch on one TP group
    Tg = T / tp  # tokens per GPU after sequence parallelism
    d = float(m_.d_model)
    P16 = hw.peak_bf16_flop_per_s
    P8 = hw.peak_fp8_flop_per_s if np.isfinite(hw.peak_fp8_flop_per_s) else P16
    bw = hw.hbm_bytes_per_s
    ceil_ = hw.matmul_ceiling

    def gemm_eff(M, N, K, fp8):
        return ker.gemm_efficiency(M, N, K, P8 if fp8 else P16, bw, matmul_ceiling=ceil_, fp8=fp8)

    def lin(M, N, K, M_eff=None, frac=None):
        """Forward time of linear GEMM(s) with M rows of FLOP [s], FP8 share ``frac``."""
        M_eff = M if M_eff is None else M_eff
        frac = f8 if frac is None else frac
        flop = 2.0 * M * N * K
        t16 = flop / (P16 * gemm_eff(M_eff, N, K, False))
        t8 = flop / (P8 * gemm_eff(M_eff, N, K, True))
        return (1.0 - frac) * t16 + frac * t8

    h, kv, dq, dv = m_.n_heads, m_.n_kv_heads, m_.qk_head_dim, m_.v_head_dim
    # ---- attention projections, forward, one layer [s]
    if m_.mla:
        rope = m_.qk_rope_head_dim
        nope = dq - rope
        if m_.q_lora_rank:
            t_attn = lin(T, m_.q_lora_rank + m_.kv_lora_rank + rope, d)  # replicated in TP
            t_attn = t_attn + lin(T, h * dq / tp, m_.q_lora_rank)
        else:
            t_attn = lin(T, h * dq / tp, d) + lin(T, m_.kv_lora_rank + rope, d)
        t_attn = t_attn + lin(T, h * (nope + dv) / tp, m_.kv_lora_rank) + lin(T, d, h * dv / tp)
    else:
        t_attn = lin(T, (h * dq + kv * (dq + dv)) / tp, d) + lin(T, d, h * dv / tp)
    up = 2.0 if m_.gated else 1.0
    # ---- dense MLP, forward [s]
    F = float(m_.ffn_hidden)
    t_dense = lin(T, up * F / tp, d) + lin(T, d, F / tp)
    # ---- MoE MLP, forward [s]
    t_moe = 0.0
    if m_.n_moe_layers:
        E, k, Fe = float(m_.n_experts), float(m_.top_k), float(m_.expert_ffn_hidden)
        e_loc = E / ep
        Me = Tg * k / e_loc  # tokens per local expert (balanced routing)
        Meff = Me * np.minimum(e_loc, ker.GROUPED_GEMM_GAIN)
        t_moe = e_loc * (lin(Me, up * Fe, d, Meff) + lin(Me, d, Fe, Meff))
        if m_.shared_ffn_hidden:
            Fs = float(m_.shared_ffn_hidden)
            t_moe = t_moe + lin(T, up * Fs / tp, d) + lin(T, d, Fs / tp)
        t_moe = t_moe + lin(Tg, E, d, frac=0.0)  # router, BF16
    # ---- attention core, forward+backward [s]
    keys = s / 2.0 if m_.causal else s
    core_fwd_flop = 2.0 * T * keys * (h / tp) * (dq + dv)
    eff_attn = ker.attention_efficiency(dq, matmul_ceiling=ceil_)
    t_core_fb = 3.0 * core_fwd_flop / (P16 * eff_attn)
    t_core_fwd = core_fwd_flop / (P16 * eff_attn)
    # ---- memory-bound work per layer, forward+backward [s]
    sel = rec == 1
    in_b = np.where(f8 > 0, 1.0, 2.0)  # FP8 training caches quantized matmul inputs
    attn_saved = _attn_saved_bytes(m_, sel, in_b)
    dense_saved = _mlp_saved_bytes(F, m_.gated, sel)
    io_attn = _attn_saved_bytes(m_, False, 2.0) / 2.0  # elements in and out of the linears
    io_dense = _mlp_saved_bytes(F, m_.gated, False) / 2.0
    mb_common = Tg * 40.0 * d  # two norms (10 B/elem fwd+bwd) + two residual adds
    mb_dense = mb_common + Tg * 16.0 * F  # activation function, 16 B per element
    q_dense = f8 * QUANT_BYTES * Tg * (io_attn + io_dense + 3 * d)
    mb_moe = 0.0
    moe_saved = 0.0
    if m_.n_moe_layers:
        act_f = k * Fe + m_.shared_ffn_hidden
        xb = np.asarray(expert_act_bytes, dtype=float) / 2.0
        moe_saved = k * (in_b * d + xb * _mlp_saved_bytes(Fe, m_.gated, sel)) + _mlp_saved_bytes(
            m_.shared_ffn_hidden, m_.gated, sel
        )
        io_moe = k * (d + _mlp_saved_bytes(Fe, m_.gated, False) / 2.0) + io_dense * 0.0
        # + token permutation around the all-to-all: one gather and one scatter of k copies,
        # read and written once each way (8·k·d bytes forward+backward)
        mb_moe = mb_common + Tg * 16.0 * act_f + Tg * 8.0 * k * d
    q_moe = f8 * QUANT_BYTES * Tg * (io_attn + (io_moe if m_.n_moe_layers else 0.0) + 3 * d)
    t_mb_dense = ker.membound_time_s(mb_dense + q_dense, bw)
    t_mb_moe = ker.membound_time_s(mb_moe + q_moe, bw) if m_.n_moe_layers else 0.0

    # ---- per-layer compute, forward+backward (+ recompute) [s]
    rec_full = rec == 2
    fwd_mult = 3.0 + np.where(rec_full, 1.0, 0.0)
    core_extra = np.where(rec >= 1, t_core_fwd, 0.0)
    mb_mult = 1.0 + np.where(rec_full, 1.0 / 3.0, 0.0)
    gemm_dense_layer = fwd_mult * (t_attn + t_dense)
    gemm_moe_layer = fwd_mult * (t_attn + t_moe)
    attn_layer = t_core_fb + core_extra
    # ---- busiest stage: ceil(L/p) layers in the model's dense/MoE mix, plus head and MTP
    L = float(m_.n_layers)
    stage_layers = np.ceil(L / pp)
    share_dense = m_.n_dense_layers / L
    share_moe = m_.n_moe_layers / L
    t_head = 3.0 * lin(T, m_.vocab_size / tp, d, frac=0.0)
    t_ce = ker.membound_time_s(Tg * 6.0 * m_.vocab_size, bw, efficiency=ker.CROSS_ENTROPY_EFF)
    mtp_layers = float(m_.mtp_depth)
    mtp_moe = m_.n_moe_layers > 0
    t_mtp_gemm = mtp_layers * (
        (gemm_moe_layer if mtp_moe else gemm_dense_layer) + 3.0 * lin(T, d, 2.0 * d / tp) + t_head
    )
    # Stages are balanced as well as whole layers allow: the busiest stage carries the
    # larger of ceil(L/p) average layers and 1/p of all work (layers, LM head, MTP), as
    # frameworks move layers off the stages holding the embedding and head (Llama 3 paper,
    # arXiv 2407.21783 §3.3.2; DeepSeek-V3 places MTP and head on the last stage).
    g_layer = share_dense * gemm_dense_layer + share_moe * gemm_moe_layer
    m_layer = (share_dense * t_mb_dense + share_moe * t_mb_moe) * mb_mult
    g_extra = t_head + t_mtp_gemm
    a_extra = mtp_layers * attn_layer
    m_extra = t_ce * (1.0 + mtp_layers) + mtp_layers * (t_mb_moe if mtp_moe else t_mb_dense)
    w_layer = g_layer + attn_layer + m_layer
    w_total = L * w_layer + g_extra + a_extra + m_extra
    w_stage = np.where(pp > 1, np.maximum(stage_layers * w_layer, w_total / pp), w_total)
    frac = w_stage / w_total  # share of the model's work on the busiest stage
    gemm_stage = frac * (L * g_layer + g_extra)
    attn_stage = frac * (L * attn_layer + a_extra)
    mbnd_stage = frac * (L * m_layer + m_extra)
    # fixed cost of the kernels of each layer (launch and synchronization), forward and
    # backward: matters for small layers only
    n_kern = np.where(m_.n_moe_layers > 0, KERNELS_PER_MOE_LAYER, KERNELS_PER_LAYER)
    launch_layer = (
        KERNEL_OVERHEAD_S
        * (share_dense * KERNELS_PER_LAYER + share_moe * n_kern)
        * (1.0 + np.where(rec_full, 1.0 / 3.0, 0.0))
    )
    mbnd_stage = mbnd_stage + frac * (L + mtp_layers) * launch_layer
    compute_mb = gemm_stage + attn_stage + mbnd_stage
    layers_all = frac * (L + mtp_layers)
    moe_layers_stage = frac * (m_.n_moe_layers + (mtp_layers if mtp_moe else 0.0))

    # ---- communication inside a micro-batch [s]
    eta = col.LINK_EFFICIENCY
    up_bw = hw.scale_up_bytes_per_s * eta
    out_bw = hw.scale_out_bytes_per_s * eta
    dom = float(hw.scale_up_domain)
    # TP with sequence parallelism: 4 all-gather/reduce-scatter forward, 4 backward (+4)
    tp_in = col.group_in_domain(tp, 1.0, dom)
    n_tp_coll = 8.0 + np.where(rec_full, 4.0, 0.0)
    t_tp = (
        layers_all
        * n_tp_coll
        * np.where(tp > 1, col.ring_time_s(T * d * 2.0, tp, tp_in, up_bw, out_bw, passes=1), 0.0)
    )
    # EP all-to-all: dispatch + combine, forward and backward (dispatch in FP8 if used)
    t_ep = 0.0
    if m_.n_moe_layers:
        ep_in = col.group_in_domain(ep, tp * cp, dom)
        disp = d * np.where(f8 > 0, 1.0, 2.0)
        lim = np.where(nl > 0, nl, np.inf)
        a2a = [
            col.all_to_all_time_s(c, Tg, k, ep, ep_in, up_bw, out_bw, max_nodes=lim)
            for c in (disp, 2.0 * d, 2.0 * d, 2.0 * d)
        ]
        t_ep = moe_layers_stage * np.where(ep > 1, sum(a2a), 0.0)
    # CP ring: (cp-1) K/V chunks forward, K/V and their gradients backward
    cp_in = col.group_in_domain(cp, tp, dom)
    kv_bytes = T * 2.0 * ((h if m_.mla else kv) / tp) * (dq + dv)  # K and V, 2 bytes, per layer
    t_cp = layers_all * np.where(
        cp > 1, col.ring_time_s(kv_bytes, cp, cp_in, up_bw, out_bw, passes=3), 0.0
    )
    ep_f = np.choose(sched, EP_OVERLAP)
    # SM-driven overlap costs compute: DeepSeek gives 20 of the H800's 132 SMs to the
    # all-to-all kernels while it overlaps (arXiv 2412.19437 §3.2.2)
    overlapping = (ep_f > 0) & (ep > 1)
    compute_mb = compute_mb / np.where(overlapping, 1.0 - COMM_SM_SHARE, 1.0)
    hid_ep = np.minimum(ep_f * t_ep, compute_mb)
    hid_cp = np.minimum(CP_OVERLAP * t_cp, attn_stage)
    hid_tp = np.minimum(np.asarray(tp_overlap, dtype=float) * t_tp, gemm_stage)
    t_mb = compute_mb + (t_tp - hid_tp) + (t_ep - hid_ep) + (t_cp - hid_cp)

    # ---- pipeline [s]
    bubble = np.where(pp > 1, pipe.bubble_time_s(t_mb, pp, schedule=sched, vpp=vpp), 0.0)
    pp_stride_in = (tp * cp * dp) < dom
    pp_bw = np.where(pp_stride_in, up_bw, out_bw)
    t_pp_all = np.where(pp > 1, micro * 2.0 * (T * d * 2.0 / tp) / pp_bw, 0.0)
    hid_pp = np.choose(sched, PP_OVERLAP) * t_pp_all

    # ---- parameters on the busiest stage [count]
    p_exp_all = m_.params_expert
    p_emb = m_.params_embedding
    p_body = m_.params_total - p_exp_all - p_emb
    stage_frac = stage_layers / L
    mtp_exp = m_.params_mtp * (p_exp_all / max(m_.params_total - p_emb, 1.0))
    p_dense_gpu = (
        p_body * stage_frac + (m_.params_mtp - mtp_exp)
    ) / tp + p_emb / 2.0 / tp * np.where(pp > 1, 1.0, 2.0)
    p_exp_gpu = (p_exp_all * stage_frac + mtp_exp) / ep
    copies = np.where(sched == 2, 2.0, 1.0)  # DualPipe keeps two stages per device
    p_dense_gpu = p_dense_gpu * copies
    p_exp_gpu = p_exp_gpu * copies
    dp_shard = dp * cp
    edp = n / (pp * ep)

    # ---- data parallel [s]
    dp_in = col.group_in_domain(dp_shard, tp, dom)
    edp_in = col.group_in_domain(edp, ep * tp, dom)

    def dp_comm(params, group, group_in):
        g = params * GRAD_COMM_BYTES
        w = params * mem.WEIGHT_BYTES
        ar = col.ring_time_s(g, group, group_in, up_bw, out_bw, passes=2)
        rs = col.ring_time_s(g, group, group_in, up_bw, out_bw, passes=1)
        ag = col.ring_time_s(w, group, group_in, up_bw, out_bw, passes=1)
        per_step = np.where(zero == 0, ar, rs + ag)
        # ZeRO-3/FSDP gathers and reduces layer by layer: one collective per layer each
        nl = np.maximum(layers_all, 1.0)
        ag_l = col.ring_time_s(w / nl, group, group_in, up_bw, out_bw, passes=1)
        rs_l = col.ring_time_s(g / nl, group, group_in, up_bw, out_bw, passes=1)
        per_mb = nl * (ag_l * 2.0 + rs_l)
        return np.where(group > 1, np.where(zero >= 3, micro * per_mb, per_step), 0.0)

    t_dp = dp_comm(p_dense_gpu, dp_shard, dp_in) + dp_comm(p_exp_gpu, edp, edp_in)
    window = np.where(zero >= 3, micro * t_mb, t_mb)
    hid_dp = np.minimum(DP_OVERLAP * t_dp, window)
    # ---- optimizer step [s]
    opt_params = p_dense_gpu / np.where(zero >= 1, dp_shard, 1.0) + p_exp_gpu / np.where(
        zero >= 1, edp, 1.0
    )
    t_opt = ker.membound_time_s(
        opt_params * ker.OPTIMIZER_BYTES_PER_PARAM, bw, efficiency=ker.OPTIMIZER_EFF
    )

    modelled = micro * t_mb + bubble + (t_pp_all - hid_pp) + (t_dp - hid_dp) + t_opt
    step = modelled / system_efficiency

    # ---- memory per GPU [byte]
    w_d, g_d, o_d = mem.model_state_bytes(p_dense_gpu, zero, dp_shard)
    w_e, g_e, o_e = mem.model_state_bytes(p_exp_gpu, zero, edp)
    ob = np.asarray(optimizer_bytes, dtype=float) / mem.OPTIMIZER_BYTES
    o_d, o_e = o_d * ob, o_e * ob
    in_keep = np.where(sel & bool(recompute_norms), 0.0, in_b)
    act_dense_tok = mem.activation_bytes_per_token(
        d, attn_saved, dense_saved, recompute=rec, input_bytes=in_keep
    )
    act_moe_tok = mem.activation_bytes_per_token(
        d, attn_saved, moe_saved, recompute=rec, input_bytes=in_keep
    )
    act_tok_layer = share_dense * act_dense_tok + share_moe * act_moe_tok
    inflight = mem.inflight_microbatches(pp, micro, schedule=sched, vpp=vpp)
    acts = act_tok_layer * Tg * stage_layers * inflight
    working = np.where(
        rec_full,
        Tg
        * mem.activation_bytes_per_token(
            d, attn_saved, np.maximum(dense_saved, moe_saved), recompute=0, input_bytes=in_b
        ),
        0.0,
    )
    # fp32 logits of the micro-batch on the last stage; the fused vocab-parallel cross
    # entropy writes their gradient in place (Megatron-LM ``fused_vocab_parallel_cross_entropy``)
    logits = Tg * m_.vocab_size * 4.0
    acts = acts + working + logits
    moe_buf = 8.0 * Tg * (m_.top_k * d) if m_.n_moe_layers else 0.0
    moe_buf = np.where(ep > 1, moe_buf, 0.0)
    total = w_d + w_e + g_d + g_e + o_d + o_e + acts + moe_buf + mem.RUNTIME_RESERVED_BYTES

    # ---- utilization
    tokens = gb * s
    tps = tokens / (step * n)
    fpt = model_flop_per_token(m_, s)
    core_per_tok = m_.n_layers * 2.0 * h * (dq + dv) * keys
    lin_blocks = m_.linear_flop_per_token - 2.0 * d * m_.vocab_size
    hw_extra = np.where(rec_full, lin_blocks + core_per_tok, np.where(rec == 1, core_per_tok, 0.0))
    fp8_frac = f8 * m_.fp8_linear_flop_per_token / (fpt / 3.0)
    peak_run = 1.0 / (fp8_frac / P8 + (1.0 - fp8_frac) / P16)
    out = {
        "step_time_s": step,
        "tokens_per_s_per_gpu": tps,
        "model_flop_per_s_per_gpu": tps * fpt,
        "mfu_16bit": tps * fpt / P16,
        "mfu": tps * fpt / peak_run,
        "hfu": tps * (fpt + hw_extra) / P16,
        "peak_flop_per_s": peak_run + 0.0 * tps,
        "microbatches": micro,
        "bf_gemm": micro * gemm_stage,
        "bf_attention": micro * attn_stage,
        "bf_memory_bound": micro * mbnd_stage,
        "bf_tp_comm": micro * (t_tp - hid_tp),
        "bf_ep_comm": micro * (t_ep - hid_ep),
        "bf_cp_comm": micro * (t_cp - hid_cp),
        "bf_pp_comm": t_pp_all - hid_pp,
        "bf_pipeline_bubble": bubble,
        "bf_dp_comm": t_dp - hid_dp,
        "bf_optimizer": t_opt,
        "bf_other_overhead": step - modelled,
        "hidden_tp_comm": micro * hid_tp,
        "hidden_ep_comm": micro * hid_ep,
        "hidden_cp_comm": micro * hid_cp,
        "hidden_pp_comm": hid_pp,
        "hidden_dp_comm": hid_dp,
        "mem_weights": w_d + w_e,
        "mem_gradients": g_d + g_e,
        "mem_optimizer": o_d + o_e,
        "mem_activations": acts,
        "mem_moe_buffers": moe_buf,
        "mem_runtime_reserved": mem.RUNTIME_RESERVED_BYTES,
        "mem_total": total,
        "fits": total <= hw.memory_bytes,
    }
    shape = np.broadcast(*(np.asarray(v) for v in out.values())).shape
    return {k: np.broadcast_to(np.asarray(v), shape) for k, v in out.items()}
