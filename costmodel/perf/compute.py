"""Compute time of one micro-batch on the busiest pipeline stage (layer 1, broadcasting).

GEMMs from their shapes after the layout splits them (:func:`.kernels.gemm_efficiency`),
the flash-attention core, the memory-bound kernels (norms, activations, permutation, FP8
quantization) and a fixed cost per kernel, summed over the layers of the busiest stage.
:func:`microbatch_compute` returns the stage's times and the per-token activation sizes
the memory model needs.

References
----------
.. [1] Narayanan et al. 2021, arXiv 2104.04473 (Megatron-LM tensor-parallel splits of the
       attention and MLP GEMMs, §2.3).
.. [2] Korthikanti et al. 2022, arXiv 2205.05198 (sequence parallelism: the norms and
       elementwise work run on ``1/t`` of the tokens per GPU; recomputation, §5).
.. [3] DeepSeek-AI 2024, arXiv 2412.19437 §3.2–3.3 (MLA, shared and routed experts, MTP,
       fused FP8 quantization, selective recomputation of norms, SwiGLU and MLA
       up-projections).
"""

from __future__ import annotations

import numpy as np

from . import kernels as ker
from .shapes import Hardware, ModelShape

__all__ = [
    "KERNEL_OVERHEAD_S",
    "KERNELS_PER_LAYER",
    "KERNELS_PER_MOE_LAYER",
    "QUANT_BYTES",
    "attn_saved_bytes",
    "mlp_saved_bytes",
    "microbatch_compute",
]

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
#: Bytes moved per element of a linear's input/output to quantize it for FP8, forward and
#: backward [byte]: the FP8 copy is written (1 byte) by the kernel that produced the
#: tensor — quantization fused as in Transformer Engine and DeepSeek-V3 (arXiv 2412.19437
#: §3.3); unfused casts run at 0.75 TB/s on the H200 (h200_membound) and made our naive FP8
#: steps slower than BF16 (h200_fp8).
QUANT_BYTES = 2.0


def attn_saved_bytes(m: ModelShape, selective, input_bytes):
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


def mlp_saved_bytes(f, gated, selective):
    """Bytes per token a (gated) MLP of width ``f`` saves besides its input [byte]: the
    up/gate outputs, and the activation's output unless selective recomputation redoes it
    (DeepSeek-V3 recomputes SwiGLU, arXiv 2412.19437 §3.3.4)."""
    pre = 2.0 * (2.0 * f if gated else f)
    return pre + np.where(selective, 0.0, 2.0 * f)


def microbatch_compute(m_: ModelShape, hw: Hardware, *, T, s, tp, pp, ep, f8, rec, xb) -> dict:
    """Compute time of one micro-batch, forward + backward, on the busiest stage.

    Parameters
    ----------
    m_ : ModelShape
    hw : Hardware
    T : ndarray
        Token rows of one micro-batch on one TP group (``micro_batch·seq_len/cp``) [1].
    s : ndarray
        Sequence length [tokens].
    tp, pp, ep : ndarray
        Tensor, pipeline and expert parallel degrees [1].
    f8 : ndarray
        Fraction of the block linears' GEMM work run in FP8 [1].
    rec : ndarray of int
        0 none, 1 selective, 2 full recomputation.
    xb : ndarray
        Element size of the routed experts' cached activations / 2 [1].

    Returns
    -------
    dict of ndarray
        ``gemm``, ``attention``, ``memory_bound`` (seconds on the busiest stage),
        ``frac`` (its share of the model's work), ``layers`` and ``moe_layers`` on it
        (MTP included), ``stage_layers`` (``ceil(L/p)``), ``share_dense``/``share_moe``,
        and the saved-activation sizes ``attn_saved``, ``dense_saved``, ``moe_saved``
        [byte/token] with ``input_bytes``.
    """
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
    E, k, Fe = float(m_.n_experts), float(m_.top_k), float(m_.expert_ffn_hidden)
    if m_.n_moe_layers:
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
    attn_saved = attn_saved_bytes(m_, sel, in_b)
    dense_saved = mlp_saved_bytes(F, m_.gated, sel)
    io_attn = attn_saved_bytes(m_, False, 2.0) / 2.0  # elements in and out of the linears
    io_dense = mlp_saved_bytes(F, m_.gated, False) / 2.0
    mb_common = Tg * 40.0 * d  # two norms (10 B/elem fwd+bwd) + two residual adds
    mb_dense = mb_common + Tg * 16.0 * F  # activation function, 16 B per element
    q_dense = f8 * QUANT_BYTES * Tg * (io_attn + io_dense + 3 * d)
    mb_moe = 0.0
    moe_saved = 0.0
    io_moe = 0.0
    if m_.n_moe_layers:
        act_f = k * Fe + m_.shared_ffn_hidden
        moe_saved = k * (in_b * d + xb * mlp_saved_bytes(Fe, m_.gated, sel)) + mlp_saved_bytes(
            m_.shared_ffn_hidden, m_.gated, sel
        )
        io_moe = k * (d + mlp_saved_bytes(Fe, m_.gated, False) / 2.0)
        # + token permutation around the all-to-all: one gather and one scatter of k copies,
        # read and written once each way (8·k·d bytes forward+backward)
        mb_moe = mb_common + Tg * 16.0 * act_f + Tg * 8.0 * k * d
    q_moe = f8 * QUANT_BYTES * Tg * (io_attn + io_moe + 3 * d)
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
    # fixed cost of the kernels of each layer (launch and synchronization), forward and
    # backward: matters for small layers only
    n_kern = KERNELS_PER_MOE_LAYER if m_.n_moe_layers > 0 else KERNELS_PER_LAYER
    launch_layer = (
        KERNEL_OVERHEAD_S
        * (share_dense * KERNELS_PER_LAYER + share_moe * n_kern)
        * (1.0 + np.where(rec_full, 1.0 / 3.0, 0.0))
    )
    return {
        "gemm": frac * (L * g_layer + g_extra),
        "attention": frac * (L * attn_layer + a_extra),
        "memory_bound": frac * (L * m_layer + m_extra) + frac * (L + mtp_layers) * launch_layer,
        "frac": frac,
        "layers": frac * (L + mtp_layers),
        "moe_layers": frac * (m_.n_moe_layers + (mtp_layers if mtp_moe else 0.0)),
        "stage_layers": stage_layers,
        "share_dense": share_dense,
        "share_moe": share_moe,
        "attn_saved": attn_saved,
        "dense_saved": dense_saved,
        "moe_saved": moe_saved,
        "input_bytes": in_b,
    }
