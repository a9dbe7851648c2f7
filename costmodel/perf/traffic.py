"""Communication of a parallel layout: what each parallel dimension sends, and when.

Turns a layout into messages for the collectives of :mod:`.collectives`: tensor-parallel
all-gather/reduce-scatter (sequence parallelism), the MoE all-to-all, the context-parallel
ring, pipeline point-to-point and the data-parallel / ZeRO gradient and parameter
collectives. Layer 1, broadcasting. The overlap fractions that decide how much of each is
hidden are stated here and applied by :func:`costmodel.perf.step.evaluate`.

References
----------
.. [1] Narayanan et al. 2021, arXiv 2104.04473 §3 (communication volumes of tensor,
       pipeline and data parallelism in Megatron-LM).
.. [2] Korthikanti et al. 2022, arXiv 2205.05198 §4.2 (sequence parallelism: the TP
       all-reduce becomes an all-gather + reduce-scatter pair, 4 per layer forward, 4
       backward).
.. [3] DeepSeek-AI 2024, arXiv 2412.19437 §3.2 (DualPipe hides the all-to-all behind the
       other micro-batch's compute; node-limited routing, M = 4).
.. [4] Rajbhandari et al. 2020, arXiv 1910.02054 §7 (ZeRO-3 moves 1.5× the data-parallel
       all-reduce volume: parameters gathered in the forward and the backward, gradients
       reduce-scattered).
"""

from __future__ import annotations

import numpy as np

from . import collectives as col
from . import memory as mem
from .shapes import Hardware, ModelShape

__all__ = [
    "TP_OVERLAP",
    "CP_OVERLAP",
    "EP_OVERLAP",
    "PP_OVERLAP",
    "DP_OVERLAP",
    "GRAD_COMM_BYTES",
    "ZERO3_RAILS",
    "microbatch_comm",
    "pp_comm_time_s",
    "dp_comm_time_s",
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
#: Whether ZeRO-3's per-layer parameter all-gathers and gradient reduce-scatters spread
#: their inter-domain traffic over all the domain's NICs [bool]: False. DeepSpeed
#: partitions every parameter tensor flat over the data-parallel ranks and gathers it
#: tensor by tensor, so each rank pulls the remote shards through its own NIC; ZeRO++
#: (Wang et al. 2023, arXiv 2306.10209 §1, §3.2) names this cross-node all-gather as what
#: limits ZeRO-3 at small batch per GPU and adds hpZ to keep it inside a node. Megatron's
#: measurements of DeepSpeed ZeRO-3 agree: at 1–4 sequences per A100 the step time stays
#: at ~1 TB of gathered/reduced bytes per GPU at about one NIC's speed (arXiv 2104.04473
#: Table 2).
ZERO3_RAILS = False
#: Bytes per gradient element in the data-parallel reduction [byte] (bf16/fp16 gradients).
GRAD_COMM_BYTES = 2.0


def _bandwidths(hw: Hardware):
    eta = col.LINK_EFFICIENCY
    return hw.scale_up_bytes_per_s * eta, hw.scale_out_bytes_per_s * eta, float(hw.scale_up_domain)


def microbatch_comm(
    m_: ModelShape, hw: Hardware, *, T, tp, ep, cp, f8, rec, node_limit, layers, moe_layers
) -> dict:
    """TP, EP and CP communication of one micro-batch on the busiest stage [s].

    Parameters
    ----------
    T : ndarray
        Token rows of one micro-batch on one TP group [1].
    tp, ep, cp : ndarray
        Parallel degrees [1].
    f8 : ndarray
        FP8 share of the linears (the EP dispatch is sent in FP8 when > 0) [1].
    rec : ndarray of int
        Recomputation (full recomputation repeats the forward's 4 TP collectives).
    node_limit : ndarray
        Node-limited routing, domains per token (0 = off) [1].
    layers, moe_layers : ndarray
        Layers and MoE layers on the busiest stage [1].

    Returns
    -------
    dict of ndarray
        ``tp``, ``ep``, ``cp`` seconds per micro-batch, before overlap.
    """
    up_bw, out_bw, dom = _bandwidths(hw)
    d = float(m_.d_model)
    Tg = T / tp
    # TP with sequence parallelism: 4 all-gather/reduce-scatter forward, 4 backward (+4)
    tp_in = col.group_in_domain(tp, 1.0, dom)
    n_tp_coll = 8.0 + np.where(rec == 2, 4.0, 0.0)
    t_tp = (
        layers
        * n_tp_coll
        * np.where(tp > 1, col.ring_time_s(T * d * 2.0, tp, tp_in, up_bw, out_bw, passes=1), 0.0)
    )
    # EP all-to-all: dispatch + combine, forward and backward (dispatch in FP8 if used)
    t_ep = 0.0 * T
    if m_.n_moe_layers:
        k = float(m_.top_k)
        ep_in = col.group_in_domain(ep, tp * cp, dom)
        disp = d * np.where(f8 > 0, 1.0, 2.0)
        lim = np.where(node_limit > 0, node_limit, np.inf)
        a2a = [
            col.all_to_all_time_s(c, Tg, k, ep, ep_in, up_bw, out_bw, max_nodes=lim)
            for c in (disp, 2.0 * d, 2.0 * d, 2.0 * d)
        ]
        t_ep = moe_layers * np.where(ep > 1, sum(a2a), 0.0)
    # CP ring: (cp-1) K/V chunks forward, K/V and their gradients backward
    cp_in = col.group_in_domain(cp, tp, dom)
    h, kv, dq, dv = m_.n_heads, m_.n_kv_heads, m_.qk_head_dim, m_.v_head_dim
    kv_bytes = T * 2.0 * ((h if m_.mla else kv) / tp) * (dq + dv)  # K and V, 2 bytes, per layer
    t_cp = layers * np.where(
        cp > 1, col.ring_time_s(kv_bytes, cp, cp_in, up_bw, out_bw, passes=3), 0.0
    )
    return {"tp": t_tp, "ep": t_ep, "cp": t_cp}


def pp_comm_time_s(m_: ModelShape, hw: Hardware, *, T, tp, pp, dp, cp, micro):
    """Pipeline point-to-point time per step [s]: each micro-batch sends its activations
    forward and their gradient backward, ``2·T·d·2/t`` bytes, over the scale-up link when a
    stage's neighbour shares its domain, else the NIC."""
    up_bw, out_bw, dom = _bandwidths(hw)
    pp_bw = np.where((tp * cp * dp) < dom, up_bw, out_bw)
    return np.where(pp > 1, micro * 2.0 * (T * float(m_.d_model) * 2.0 / tp) / pp_bw, 0.0)


def dp_comm_time_s(hw: Hardware, params, group, stride, *, zero, micro, layers):
    """Data-parallel / ZeRO communication of ``params`` parameters per step [s].

    ZeRO 0: one all-reduce of the gradients; 1–2: reduce-scatter of the gradients and
    all-gather of the updated weights; 3 (FSDP): per micro-batch, every layer's weights
    gathered in the forward and again in the backward, its gradients reduce-scattered [4].

    Parameters
    ----------
    hw : Hardware
    params : ndarray
        Parameters per GPU before ZeRO sharding [count].
    group : ndarray
        Ranks the parameters are replicated (and sharded) over [1].
    stride : ndarray
        Rank distance between members of the group (placement in domains) [1].
    zero : ndarray of int
        ZeRO stage.
    micro : ndarray
        Micro-batches per step [1].
    layers : ndarray
        Layers on the stage (ZeRO-3 collectives per pass) [1].
    """
    up_bw, out_bw, dom = _bandwidths(hw)
    group_in = col.group_in_domain(group, stride, dom)
    g = params * GRAD_COMM_BYTES
    w = params * mem.WEIGHT_BYTES
    ar = col.ring_time_s(g, group, group_in, up_bw, out_bw, passes=2)
    rs = col.ring_time_s(g, group, group_in, up_bw, out_bw, passes=1)
    ag = col.ring_time_s(w, group, group_in, up_bw, out_bw, passes=1)
    per_step = np.where(zero == 0, ar, rs + ag)
    # ZeRO-3/FSDP gathers and reduces layer by layer: one collective per layer each
    nl = np.maximum(layers, 1.0)
    flat = not ZERO3_RAILS
    ag_l = col.ring_time_s(w / nl, group, group_in, up_bw, out_bw, passes=1, rails=not flat)
    rs_l = col.ring_time_s(g / nl, group, group_in, up_bw, out_bw, passes=1, rails=not flat)
    per_mb = nl * (ag_l * 2.0 + rs_l)
    return np.where(group > 1, np.where(zero >= 3, micro * per_mb, per_step), 0.0)
