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
             (DualPipe: its n unpaired warm-up/cool-down micro-batches take t_alone, with
             the all-to-all exposed: (m − n)·t_mb + n·t_alone + bubble)
    step   = (t_pipe + exposed DP/ZeRO communication + optimizer step) / SYSTEM_EFFICIENCY

The breakdown accounts for every second of the step: the compute components, the compute
time lost to SMs lent to overlapped communication (``comm_sm_share``), each exposed
communication, the bubble, the optimizer and ``other_overhead`` (the share of the step that
:data:`SYSTEM_EFFICIENCY` adds) sum to ``step_time_s``.

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

import numpy as np

from . import kernels as ker
from . import memory as mem
from . import pipeline as pipe
from .compute import QUANT_BYTES, microbatch_compute
from .shapes import Hardware, ModelShape, model_flop_per_token
from .traffic import (
    CP_OVERLAP,
    DP_OVERLAP,
    EP_OVERLAP,
    GRAD_COMM_BYTES,
    PP_OVERLAP,
    TP_OVERLAP,
    dp_comm_time_s,
    microbatch_comm,
    pp_comm_time_s,
)

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

#: End-to-end efficiency of everything the model does not cost explicitly [1] (kernel launch
#: gaps, data loading, logging, stragglers, load imbalance): step = modelled time / this.
#: Calibrated on ``mfu_layouts.csv`` — the median over all usable rows of predicted/measured
#: throughput before this factor (``scripts/perf_validation.py``; judged leave-one-source-out
#: in ``docs/perf_validation.md``).
SYSTEM_EFFICIENCY = 0.81
#: Share of the streaming multiprocessors that communication kernels occupy while they
#: overlap compute [1]: 20 of 132 on the H800 (DeepSeek-V3, arXiv 2412.19437 §3.2.2).
COMM_SM_SHARE = 20.0 / 132.0


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
    grad_bytes=mem.GRAD_BYTES,
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
    grad_bytes : array_like, default 2
        Gradient bytes per parameter [byte] (4 with FP32 gradient accumulation, as in
        DeepSeek-V3 §3.3.4 and Megatron-LM's bf16 default).
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
    P16 = hw.peak_bf16_flop_per_s
    P8 = hw.peak_fp8_flop_per_s if np.isfinite(hw.peak_fp8_flop_per_s) else P16
    xb = np.asarray(expert_act_bytes, dtype=float) / 2.0

    # ---- compute and communication of one micro-batch on the busiest stage [s]
    c = microbatch_compute(m_, hw, T=T, s=s, tp=tp, pp=pp, ep=ep, f8=f8, rec=rec, xb=xb)
    gemm_stage, attn_stage = c["gemm"], c["attention"]
    raw_mb = gemm_stage + attn_stage + c["memory_bound"]
    comm = microbatch_comm(
        m_,
        hw,
        T=T,
        tp=tp,
        ep=ep,
        cp=cp,
        f8=f8,
        rec=rec,
        node_limit=nl,
        layers=c["layers"],
        moe_layers=c["moe_layers"],
    )
    t_tp, t_ep, t_cp = comm["tp"], comm["ep"], comm["cp"]
    ep_f = np.choose(sched, EP_OVERLAP)
    # SM-driven overlap costs compute: DeepSeek gives 20 of the H800's 132 SMs to the
    # all-to-all kernels while it overlaps (arXiv 2412.19437 §3.2.2)
    overlapping = (ep_f > 0) & (ep > 1)
    compute_mb = raw_mb / np.where(overlapping, 1.0 - COMM_SM_SHARE, 1.0)
    hid_ep = np.minimum(ep_f * t_ep, compute_mb)
    hid_cp = np.minimum(CP_OVERLAP * t_cp, attn_stage)
    hid_tp = np.minimum(np.asarray(tp_overlap, dtype=float) * t_tp, gemm_stage)
    x_other = (t_tp - hid_tp) + (t_cp - hid_cp)  # exposed TP + CP per micro-batch
    t_mb = compute_mb + x_other + (t_ep - hid_ep)
    # DualPipe's warm-up and cool-down chunks run unpaired: no partner hides their
    # all-to-all, and no SMs are lent while it runs (deepseek-ai/DualPipe ``step``)
    n_alone = np.where(sched == 2, pipe.dualpipe_unpaired_microbatches(pp, micro), 0.0)
    t_alone = raw_mb + x_other + t_ep

    # ---- pipeline [s]
    bubble = np.where(
        pp > 1,
        pipe.bubble_time_s(
            t_mb, pp, schedule=sched, vpp=vpp, unpaired_s=t_alone, unpaired_comm_s=t_ep
        ),
        0.0,
    )
    t_pp_all = pp_comm_time_s(m_, hw, T=T, tp=tp, pp=pp, dp=dp, cp=cp, micro=micro)
    hid_pp = np.choose(sched, PP_OVERLAP) * t_pp_all

    # ---- data parallel and optimizer [s]
    p_dense_gpu, p_exp_gpu = mem.stage_params(m_, tp=tp, pp=pp, ep=ep, schedule=sched)
    dp_shard = dp * cp
    edp = n / (pp * ep)
    dpk = dict(zero=zero, micro=micro, layers=c["layers"])
    t_dp = dp_comm_time_s(hw, p_dense_gpu, dp_shard, tp, **dpk) + dp_comm_time_s(
        hw, p_exp_gpu, edp, ep * tp, **dpk
    )
    window = np.where(zero >= 3, micro * t_mb, t_mb)
    hid_dp = np.minimum(DP_OVERLAP * t_dp, window)
    opt_params = p_dense_gpu / np.where(zero >= 1, dp_shard, 1.0) + p_exp_gpu / np.where(
        zero >= 1, edp, 1.0
    )
    t_opt = ker.membound_time_s(
        opt_params * ker.OPTIMIZER_BYTES_PER_PARAM, hw.hbm_bytes_per_s, efficiency=ker.OPTIMIZER_EFF
    )

    paired = micro - n_alone
    parts = {
        "gemm": micro * gemm_stage,
        "attention": micro * attn_stage,
        "memory_bound": micro * c["memory_bound"],
        "comm_sm_share": paired * (compute_mb - raw_mb),
        "tp_comm": micro * (t_tp - hid_tp),
        "ep_comm": paired * (t_ep - hid_ep) + n_alone * t_ep,
        "cp_comm": micro * (t_cp - hid_cp),
        "pp_comm": t_pp_all - hid_pp,
        "pipeline_bubble": bubble,
        "dp_comm": t_dp - hid_dp,
        "optimizer": t_opt,
    }
    # = (m − n)·t_mb + n·t_alone + bubble + exposed PP, DP + optimizer: every modelled second
    modelled = sum(parts.values())
    step = modelled / system_efficiency

    # ---- memory per GPU [byte]
    # DualPipe holds each stage on two ranks of a pipeline: ZeRO shards the optimizer states
    # over both copies' data-parallel replicas
    dual = np.where(sched == 2, 2.0, 1.0)
    w_d, g_d, o_d = mem.model_state_bytes(
        p_dense_gpu, zero, dp_shard, grad_bytes=grad_bytes, optimizer_shard=dp_shard * dual
    )
    w_e, g_e, o_e = mem.model_state_bytes(
        p_exp_gpu, zero, edp, grad_bytes=grad_bytes, optimizer_shard=edp * dual
    )
    ob = np.asarray(optimizer_bytes, dtype=float) / mem.OPTIMIZER_BYTES
    states = (w_d + w_e, g_d + g_e, (o_d + o_e) * ob)
    memory = mem.per_gpu_bytes(
        m_,
        c,
        Tg=Tg,
        pp=pp,
        ep=ep,
        micro=micro,
        schedule=sched,
        vpp=vpp,
        rec=rec,
        states=states,
        recompute_norms=recompute_norms,
    )

    # ---- utilization
    h, dq, dv = m_.n_heads, m_.qk_head_dim, m_.v_head_dim
    keys = s / 2.0 if m_.causal else s
    tokens = gb * s
    tps = tokens / (step * n)
    fpt = model_flop_per_token(m_, s)
    core_per_tok = m_.n_layers * 2.0 * h * (dq + dv) * keys
    lin_blocks = m_.linear_flop_per_token - 2.0 * m_.d_model * m_.vocab_size
    hw_extra = np.where(rec == 2, lin_blocks + core_per_tok, np.where(rec == 1, core_per_tok, 0.0))
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
        **{f"bf_{k}": v for k, v in parts.items()},
        "bf_other_overhead": step - modelled,
        "hidden_tp_comm": micro * hid_tp,
        "hidden_ep_comm": paired * hid_ep,
        "hidden_cp_comm": micro * hid_cp,
        "hidden_pp_comm": hid_pp,
        "hidden_dp_comm": hid_dp,
        **{f"mem_{k}": v for k, v in memory.items()},
        "fits": memory["total"] <= hw.memory_bytes,
    }
    shape = np.broadcast(*(np.asarray(v) for v in out.values())).shape
    return {k: np.broadcast_to(np.asarray(v), shape) for k, v in out.items()}
